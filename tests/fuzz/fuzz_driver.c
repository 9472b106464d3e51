/*
 * A stand-in for libFuzzer's main, for builds without clang's -fsanitize=fuzzer: runs a
 * target over every file of the corpus directories and files given, then over random
 * mutations of them for a bounded number of iterations or seconds. `make test` runs each
 * target this way (ctest fuzz-smoke/<target>), with AddressSanitizer and UBSan in the
 * SANITIZE=1 build.
 *
 *   fuzz_<target> [-runs=N] [-seconds=S] [-seed=X] [-max_len=L] PATH...
 *
 * When a run crashes or fails a check, the input is written to ./crash-<target>-<seed>-<n>
 * and its path printed, so that it can be replayed: fuzz_<target> that-file.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Present when linked with a sanitizer runtime: called before it ends the process. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* LLVMFuzzerInitialize is optional for a target; the driver calls it when it exists. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct fuzz_input {
	uint8_t *data;
	size_t len;
};

static struct {
	struct fuzz_input *v;
	size_t n, cap;
	size_t max_len;
} corpus;

/* What runs now, for the crash handlers: they save it. */
static const uint8_t *run_data;
static size_t run_len;
static const char *run_target = "target";
static uint64_t run_seed;
static uint64_t run_count;

static void fuzz_save_crash(void)
{
	char name[160];
	FILE *f;

	if (!run_data)
		return;
	snprintf(name, sizeof(name), "crash-%s-%" PRIu64 "-%" PRIu64, run_target, run_seed,
	         run_count);
	f = fopen(name, "wb");
	if (f) {
		fwrite(run_data, 1, run_len, f);
		fclose(f);
	}
	fprintf(stderr,
	        "fuzz driver: input of run %" PRIu64 " (%zu bytes, seed %" PRIu64
	        ") saved as %s; replay with: %s %s\n",
	        run_count, run_len, run_seed, name, run_target, name);
	run_data = NULL;
}

static void fuzz_on_signal(int sig)
{
	fuzz_save_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fuzz_add(const uint8_t *data, size_t len)
{
	if (corpus.n == corpus.cap) {
		size_t cap = corpus.cap ? 2 * corpus.cap : 64;
		struct fuzz_input *v = realloc(corpus.v, cap * sizeof(*v));

		if (!v) {
			perror("fuzz driver");
			exit(2);
		}
		corpus.v = v;
		corpus.cap = cap;
	}
	corpus.v[corpus.n].data = malloc(len ? len : 1);
	if (!corpus.v[corpus.n].data) {
		perror("fuzz driver");
		exit(2);
	}
	memcpy(corpus.v[corpus.n].data, data, len);
	corpus.v[corpus.n].len = len;
	corpus.n++;
}

static int fuzz_load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -EIO;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	fuzz_add(buf, (size_t)n);
	free(buf);
	return 0;
}

static int fuzz_load_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, rc = 0;

	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return fuzz_load_file(path);
	/* Sorted, so that a run is the same on every machine. */
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) && !rc)
				rc = fuzz_load_file(sub);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* xorshift64*: small, fast and plenty for choosing mutations. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t rng_below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

/* Values that tend to sit on boundaries: lengths, counts, flags. */
static const uint8_t interesting[] = {0,    1,    2,    4,    6,  0x10, 0x20, 0x3f, 0x40, 0x7f,
                                      0x80, 0x81, 0xfe, 0xff, 52, 53,   55,   61,   82,   255};

/* Applies one random mutation to @buf (@len bytes of @cap) and returns the new length. */
static size_t fuzz_mutate_once(uint8_t *buf, size_t len, size_t cap)
{
	switch (rng_below(9)) {
	case 0: /* flip a bit */
		if (len)
			buf[rng_below(len)] ^= (uint8_t)(1u << rng_below(8));
		break;
	case 1: /* a random byte */
		if (len)
			buf[rng_below(len)] = (uint8_t)rng();
		break;
	case 2: /* an interesting byte */
		if (len)
			buf[rng_below(len)] = interesting[rng_below(sizeof(interesting))];
		break;
	case 3: /* insert bytes */
		if (len < cap) {
			size_t at = rng_below(len + 1),
			       k = 1 + rng_below(cap - len < 8 ? cap - len : 8);

			memmove(buf + at + k, buf + at, len - at);
			for (size_t i = 0; i < k; i++)
				buf[at + i] = (uint8_t)rng();
			len += k;
		}
		break;
	case 4: /* erase bytes */
		if (len) {
			size_t at = rng_below(len),
			       k = 1 + rng_below(len - at < 16 ? len - at : 16);

			memmove(buf + at, buf + at + k, len - at - k);
			len -= k;
		}
		break;
	case 5: /* truncate */
		len = rng_below(len + 1);
		break;
	case 6: /* copy a chunk over another place */
		if (len > 1) {
			size_t from = rng_below(len), to = rng_below(len);
			size_t k = 1 + rng_below(len - (from > to ? from : to));

			memmove(buf + to, buf + from, k);
		}
		break;
	case 7: /* splice in a piece of another input */
		if (corpus.n && len) {
			const struct fuzz_input *o = &corpus.v[rng_below(corpus.n)];
			size_t at = rng_below(len);

			if (o->len) {
				size_t from = rng_below(o->len), k = 1 + rng_below(o->len - from);

				if (k > len - at)
					k = len - at;
				memcpy(buf + at, o->data + from, k);
			}
		}
		break;
	default: /* add to a 16-bit big-endian number: lengths and checksums */
		if (len >= 2) {
			size_t at = rng_below(len - 1);
			uint16_t v = (uint16_t)(buf[at] << 8 | buf[at + 1]);

			v = (uint16_t)(v + (uint16_t)(rng_below(33)) - 16);
			buf[at] = (uint8_t)(v >> 8);
			buf[at + 1] = (uint8_t)v;
		}
		break;
	}
	return len;
}

static void fuzz_run(const uint8_t *data, size_t len)
{
	/* A buffer of exactly @len bytes: a read past the input is a heap overflow. */
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		perror("fuzz driver");
		exit(2);
	}
	memcpy(copy, data, len);
	run_data = copy;
	run_len = len;
	run_count++;
	LLVMFuzzerTestOneInput(copy, len);
	run_data = NULL;
	free(copy);
}

static bool fuzz_arg(const char *arg, const char *name, uint64_t *out)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return false;
	errno = 0;
	*out = strtoull(arg + n + 1, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "fuzz driver: bad value in %s\n", arg);
		exit(2);
	}
	return true;
}

static double fuzz_elapsed(const struct timespec *start)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - start->tv_sec) + (double)(t.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t runs = 100000, seconds = 3, seed = 0, max_len = 4096;
	struct timespec start;
	bool have_seed = false;

	run_target = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	for (int i = 1; i < argc; i++) {
		if (fuzz_arg(argv[i], "-runs", &runs) || fuzz_arg(argv[i], "-seconds", &seconds) ||
		    fuzz_arg(argv[i], "-max_len", &max_len))
			continue;
		if (fuzz_arg(argv[i], "-seed", &seed)) {
			have_seed = true;
			continue;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr,
			        "usage: %s [-runs=N] [-seconds=S] [-seed=X] [-max_len=L] PATH...\n",
			        run_target);
			return 2;
		}
		int rc = fuzz_load_path(argv[i]);

		if (rc) {
			fprintf(stderr, "fuzz driver: %s: %s\n", argv[i], strerror(-rc));
			return 2;
		}
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	run_seed = seed;
	rng_state = seed ? seed : 1;
	corpus.max_len = max_len;

	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(fuzz_save_crash);
	signal(SIGSEGV, fuzz_on_signal);
	signal(SIGBUS, fuzz_on_signal);
	signal(SIGFPE, fuzz_on_signal);
	signal(SIGILL, fuzz_on_signal);
	signal(SIGABRT, fuzz_on_signal);

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < corpus.n; i++)
		fuzz_run(corpus.v[i].data, corpus.v[i].len);
	size_t seeds_run = corpus.n;

	uint8_t *buf = malloc(max_len ? max_len : 1);
	uint64_t mutated = 0;

	if (!buf) {
		perror("fuzz driver");
		return 2;
	}
	while (corpus.n && mutated < runs && fuzz_elapsed(&start) < (double)seconds) {
		const struct fuzz_input *in = &corpus.v[rng_below(corpus.n)];
		size_t len = in->len < max_len ? in->len : max_len;
		unsigned k = 1 + (unsigned)rng_below(8);

		memcpy(buf, in->data, len);
		for (unsigned i = 0; i < k; i++)
			len = fuzz_mutate_once(buf, len, max_len);
		fuzz_run(buf, len);
		mutated++;
	}
	free(buf);
	printf("%s: %zu corpus inputs and %" PRIu64 " mutations (seed %" PRIu64
	       ") in %.1f s: no crash, no failed check\n",
	       run_target, seeds_run, mutated, seed, fuzz_elapsed(&start));
	for (size_t i = 0; i < corpus.n; i++)
		free(corpus.v[i].data);
	free(corpus.v);
	return 0;
}
