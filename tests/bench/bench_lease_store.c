/*
 * Lease-store commit throughput, through the real path: lease_store_submit into the
 * bounded queue, the writer thread's group commit (WAL, one transaction per batch, each
 * change with its event row), and the completion polled back by the producer, as a
 * dataplane lcore does before it sends a DHCPACK.
 *
 * Table 1: batch size (1 .. 4096) x synchronous (FULL, NORMAL) -> lease changes per second,
 * transactions per second, and the latency from submit to completion.
 * Table 2: the writer's maintenance (expiry of leases that ran out, pruning of old events)
 * draining a large backlog while a client keeps committing one change at a time: the
 * latency of those changes with and without the backlog, to show that maintenance, done
 * in small transactions between batches, does not stall commits.
 *
 * A file database in a fresh directory under $TMPDIR (default /tmp); the file system type
 * is printed. Nothing here is asserted: the numbers are for people.
 *
 * Usage: bench_lease_store [SECONDS_PER_CELL [BATCH full|normal]] (default 1.0 s; with
 * BATCH, only that cell, e.g. under a profiler)
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "lease-store/lease_store.h"

#define BENCH_TENANT_ADDR_BASE 0x0a000000u
/* A busy service's steady rate of lease changes, for the maintenance table. */
#define BENCH_MAINT_RATE    500
#define BENCH_MAINT_BACKLOG 50000

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU seconds the writer thread ("lease-writer") has used since it started, from
 * /proc/self/task/TID/stat (clock ticks), or -1 when it cannot be found.
 */
static double bench_writer_cpu(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	double cpu = -1;

	if (dir == NULL)
		return -1;
	while (cpu < 0 && (de = readdir(dir)) != NULL) {
		char path[300], buf[1024];
		FILE *fp;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		bool writer =
		    fgets(buf, sizeof(buf), fp) != NULL && strncmp(buf, "lease-writer", 12) == 0;

		fclose(fp);
		if (!writer)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, fp);

		fclose(fp);
		buf[len] = '\0';
		/* After the command name in parentheses: fields 3 .. 15; utime and stime last. */
		const char *p = strrchr(buf, ')');
		unsigned long long ut, st;

		if (p != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		           &st) == 2)
			cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	closedir(dir);
	return cpu;
}

static void bench_sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

static const char *bench_fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0)
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:
		return "ext4 (or ext2/3)";
	case TMPFS_MAGIC:
		return "tmpfs (no real fsync: FULL costs little here)";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	default:
		return "other";
	}
}

struct bench_dir {
	char dir[256];
	char db[300];
};

static int bench_dir_make(struct bench_dir *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->dir, sizeof(d->dir), "%s/mtdhcp-bench-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(d->dir) == NULL)
		return -errno;
	snprintf(d->db, sizeof(d->db), "%s/leases.db", d->dir);
	return 0;
}

static void bench_dir_remove(struct bench_dir *d)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};
	char p[320];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", d->db, suffixes[i]);
		unlink(p);
	}
	rmdir(d->dir);
}

static struct lease_store *bench_open(const char *db, bool full, uint32_t batch, uint32_t usec,
                                      uint32_t queue, uint32_t maint_ms, uint32_t *tenant)
{
	struct lease_store_params p = {
	    .path = db,
	    .synchronous_full = full,
	    .batch_max = batch,
	    .batch_usec = usec,
	    .queue_size = queue,
	    .n_owners = 1,
	    .maint_interval_ms = maint_ms,
	};
	char err[512];
	struct lease_store *s = lease_store_open(&p, err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "bench_lease_store: %s\n", err);
		return NULL;
	}
	if (lease_store_tenant_id(s, "bench", tenant) != 0) {
		fprintf(stderr, "bench_lease_store: cannot name the tenant\n");
		lease_store_close(s);
		return NULL;
	}
	return s;
}

static void bench_change(struct lease_change *ch, uint32_t tenant, uint32_t i, int64_t now)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = LEASE_OP_BIND;
	ch->cookie = i;
	ch->rec.tenant_id = tenant;
	ch->rec.address = BENCH_TENANT_ADDR_BASE + (i & 0xffffff);
	ch->rec.state = LEASE_STATE_ACTIVE;
	ch->rec.start_time = now;
	ch->rec.end_time = now + 3600;
	ch->rec.cltt = now;
	ch->rec.hwtype = 1;
	ch->rec.hwlen = 6;
	ch->rec.hwaddr[0] = 0x02;
	ch->rec.hwaddr[3] = (uint8_t)(i >> 16);
	ch->rec.hwaddr[4] = (uint8_t)(i >> 8);
	ch->rec.hwaddr[5] = (uint8_t)i;
	ch->rec.hostname_len = 8;
	memcpy(ch->rec.hostname, "bench-pc", 8);
	ch->rec.giaddr = 0xc0a80101;
	ch->rec.circuit_id_len = 5;
	memcpy(ch->rec.circuit_id, "eth0/", 5);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Latency samples (seconds), reservoir-free: at most one per change, capped. */
struct bench_lat {
	double *v;
	size_t n, cap;
};

static void bench_lat_add(struct bench_lat *l, double x)
{
	if (l->n < l->cap)
		l->v[l->n++] = x;
}

static double bench_lat_pct(struct bench_lat *l, double pct)
{
	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), bench_cmp_double);
	size_t i = (size_t)(pct / 100.0 * (double)(l->n - 1) + 0.5);

	return l->v[i];
}

struct bench_result {
	double cpu_us; /* the writer thread's CPU time per change */
	double changes_per_s;
	double txn_per_s;
	double avg_batch;
	double p50_ms, p99_ms;
	uint64_t failed;
};

/*
 * Runs one cell: a producer keeps up to @inflight changes submitted and polls their
 * completions, for @seconds.
 */
static int bench_cell(bool full, uint32_t batch, double seconds, struct bench_result *r)
{
	/*
	 * Two batches in flight: one being committed while the next fills, as a busy service
	 * would keep the writer. Deeper only adds queueing to the latency.
	 */
	uint32_t inflight = batch * 2;
	struct lease_completion done[512];
	struct lease_store_stats st0, st1;
	struct bench_dir d;
	struct lease_store *s;
	uint32_t tenant, next = 0, outstanding = 0;
	uint64_t completed = 0, failed = 0;
	int64_t now = time(NULL);
	double *sent = calloc(inflight * 2, sizeof(*sent));
	struct bench_lat lat = {.cap = 4000000};

	lat.v = calloc(lat.cap, sizeof(*lat.v));
	if (sent == NULL || lat.v == NULL || bench_dir_make(&d) != 0)
		return -ENOMEM;
	/* A batch window long enough for a producer that keeps the queue fed to fill it. */
	s = bench_open(d.db, full, batch, 2000, inflight * 2, 0, &tenant);
	if (s == NULL || lease_store_start(s) != 0) {
		bench_dir_remove(&d);
		return -EIO;
	}
	lease_store_get_stats(s, &st0);
	double t0 = bench_now(), end = t0 + seconds, t;

	while ((t = bench_now()) < end || outstanding > 0) {
		/* Keep the queue fed while the cell runs. */
		while (t < end && outstanding < inflight) {
			struct lease_change ch;

			bench_change(&ch, tenant, next, now);
			ch.cookie = next % (inflight * 2);
			if (lease_store_submit(s, &ch) != 0)
				break;
			sent[ch.cookie] = t;
			next++;
			outstanding++;
		}
		size_t n = lease_store_poll(s, 0, done, sizeof(done) / sizeof(done[0]));

		if (n == 0) {
			bench_sleep_us(20);
			continue;
		}
		t = bench_now();
		for (size_t i = 0; i < n; i++) {
			bench_lat_add(&lat, t - sent[done[i].cookie]);
			failed += done[i].status != 0;
		}
		completed += n;
		outstanding -= (uint32_t)n;
	}
	double elapsed = bench_now() - t0, cpu = bench_writer_cpu();

	lease_store_get_stats(s, &st1);
	lease_store_close(s);
	bench_dir_remove(&d);
	r->changes_per_s = (double)completed / elapsed;
	r->cpu_us = completed > 0 && cpu >= 0 ? cpu * 1e6 / (double)completed : 0;
	r->txn_per_s = (double)(st1.transactions - st0.transactions) / elapsed;
	r->avg_batch = st1.transactions > st0.transactions
	                   ? (double)(st1.committed - st0.committed) /
	                         (double)(st1.transactions - st0.transactions)
	                   : 0;
	r->p50_ms = bench_lat_pct(&lat, 50) * 1e3;
	r->p99_ms = bench_lat_pct(&lat, 99) * 1e3;
	r->failed = failed;
	free(sent);
	free(lat.v);
	return 0;
}

/*
 * A service committing @rate changes a second (each submitted on time, whatever the
 * others' fate) for @seconds, or with a backlog until the writer has worked it off (at
 * most @seconds): the latency of those changes. The backlog is @backlog leases (and their
 * events) that ended 59 days ago, which the writer's maintenance expires and prunes
 * meanwhile.
 */
static int bench_maint(uint32_t backlog, uint32_t rate, double seconds)
{
	struct bench_dir d;
	struct lease_store *s;
	struct lease_store_stats st;
	struct lease_completion done[512];
	uint32_t tenant;
	int64_t now = time(NULL);
	struct bench_lat lat = {.cap = 1000000};
	double max = 0, *sent = calloc(16384, sizeof(*sent));

	lat.v = calloc(lat.cap, sizeof(*lat.v));
	if (lat.v == NULL || sent == NULL || bench_dir_make(&d) != 0)
		return -ENOMEM;
	if (backlog > 0) {
		/*
		 * The backlog, queued into a store whose writer never starts: closing it commits
		 * the lot (NORMAL, big batches) without any maintenance.
		 */
		s = bench_open(d.db, false, 4096, 2000, BENCH_MAINT_BACKLOG, 0, &tenant);
		if (s == NULL)
			return -EIO;
		for (uint32_t i = 0; i < backlog; i++) {
			struct lease_change ch;

			bench_change(&ch, tenant, 0x800000 + i, now - 60 * 86400);
			ch.rec.end_time = now - 59 * 86400;
			if (lease_store_submit(s, &ch) != 0)
				return -EIO;
		}
		lease_store_close(s);
	}
	/* The service file's defaults: batches of up to 256, a 200 us window. */
	s = bench_open(d.db, true, 256, 200, 16384, 0, &tenant);
	if (s == NULL || lease_store_start(s) != 0)
		return -EIO;
	double t0 = bench_now(), drained = 0, next = t0, t;
	uint32_t i = 0, outstanding = 0;

	while ((t = bench_now()) - t0 < seconds || outstanding > 0) {
		if (t - t0 < seconds && t >= next && drained == 0 && outstanding < 16384) {
			struct lease_change ch;

			bench_change(&ch, tenant, i, now);
			ch.cookie = i % 16384;
			if (lease_store_submit(s, &ch) == 0) {
				sent[ch.cookie] = t;
				i++;
				outstanding++;
			}
			next += 1.0 / rate;
		}
		size_t n = lease_store_poll(s, 0, done, 512);

		t = bench_now();
		for (size_t k = 0; k < n; k++) {
			double l = t - sent[done[k].cookie];

			bench_lat_add(&lat, l);
			if (l > max)
				max = l;
		}
		outstanding -= (uint32_t)n;
		lease_store_get_stats(s, &st);
		if (drained == 0 && backlog > 0 && st.expired >= backlog &&
		    st.pruned >= 2 * backlog)
			drained = t - t0;
		if (n == 0)
			bench_sleep_us(50);
		if (backlog == 0 ? false : drained > 0 && outstanding == 0)
			break;
	}
	lease_store_get_stats(s, &st);
	lease_store_close(s);
	bench_dir_remove(&d);
	char drain[32];

	if (backlog == 0)
		snprintf(drain, sizeof(drain), "-");
	else if (drained > 0)
		snprintf(drain, sizeof(drain), "%.2f s", drained);
	else
		snprintf(drain, sizeof(drain), "not yet");
	printf("| %7u | %7u | %6.2f | %6.2f | %6.2f | %7" PRIu64 " | %7" PRIu64 " | %8s |\n",
	       backlog, i, bench_lat_pct(&lat, 50) * 1e3, bench_lat_pct(&lat, 99) * 1e3, max * 1e3,
	       st.expired, st.pruned, drain);
	free(lat.v);
	free(sent);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t batches[] = {1, 4, 16, 64, 256, 1024, 4096};
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	struct bench_dir probe;

	if (seconds <= 0 || argc == 3 || argc > 4 ||
	    (argc == 4 && (atoi(argv[2]) <= 0 ||
	                   (strcmp(argv[3], "full") != 0 && strcmp(argv[3], "normal") != 0)))) {
		fprintf(stderr,
		        "usage: bench_lease_store [SECONDS_PER_CELL [BATCH full|normal]]\n");
		return 2;
	}
	if (argc == 4) {
		struct bench_result r;
		bool full = strcmp(argv[3], "full") == 0;

		if (bench_cell(full, (uint32_t)atoi(argv[2]), seconds, &r) != 0)
			return 1;
		printf("batch %s, %s: %.0f changes/s, %.0f transactions/s, %.1f changes/txn,"
		       " p50 %.2f ms, p99 %.2f ms, writer %.1f CPU us/change\n",
		       argv[2], argv[3], r.changes_per_s, r.txn_per_s, r.avg_batch, r.p50_ms,
		       r.p99_ms, r.cpu_us);
		return 0;
	}
	if (bench_dir_make(&probe) != 0) {
		perror("bench_lease_store: mkdtemp");
		return 1;
	}
	printf("lease store group commit: submit -> writer -> completion, one producer,\n"
	       "each change a BIND (row upsert + event row), %.1f s per cell\n",
	       seconds);
	printf("database directory: %s, file system: %s\n", probe.dir, bench_fs_name(probe.dir));
	double load[3];

	if (getloadavg(load, 3) == 3)
		printf("load average at the start: %.2f %.2f %.2f (other work on the machine"
		       " skews every figure)\n",
		       load[0], load[1], load[2]);
	printf("\n");
	bench_dir_remove(&probe);

	printf("| batch | synchronous | changes/s | transactions/s | changes/txn | p50 ms |"
	       " p99 ms | writer CPU us/change |\n");
	printf("|------:|:------------|----------:|---------------:|------------:|-------:|"
	       "-------:|---------------------:|\n");
	for (int full = 1; full >= 0; full--) {
		for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
			struct bench_result r;

			if (bench_cell(full, batches[i], seconds, &r) != 0) {
				fprintf(stderr, "bench_lease_store: cell failed\n");
				return 1;
			}
			printf("| %5u | %-11s | %9.0f | %14.0f | %11.1f | %6.2f | %6.2f | %13.1f "
			       "|%s\n",
			       batches[i], full ? "FULL" : "NORMAL", r.changes_per_s, r.txn_per_s,
			       r.avg_batch, r.p50_ms, r.p99_ms, r.cpu_us,
			       r.failed != 0 ? " (some changes failed!)" : "");
			fflush(stdout);
		}
	}

	printf("\nmaintenance under load: %d changes/s (FULL, batch_max 256, batch_usec 200)\n"
	       "while the writer expires and prunes a backlog of leases that ended 59 days ago;\n"
	       "latency from submit to completion, and how long the backlog took to go\n\n",
	       BENCH_MAINT_RATE);
	printf("| backlog | changes | p50 ms | p99 ms | max ms | expired |  pruned | drained  |\n");
	printf("|--------:|--------:|-------:|-------:|-------:|--------:|--------:|---------:|\n");
	if (bench_maint(0, BENCH_MAINT_RATE, 3 * seconds) != 0 ||
	    bench_maint(BENCH_MAINT_BACKLOG, BENCH_MAINT_RATE, 60) != 0) {
		fprintf(stderr, "bench_lease_store: maintenance run failed\n");
		return 1;
	}
	return 0;
}
