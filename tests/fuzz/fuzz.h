/*
 * The contract between a fuzz target and whatever runs it: libFuzzer (clang,
 * -fsanitize=fuzzer, the MTDHCP_FUZZ build) or fuzz_driver.c (any compiler: runs a corpus
 * and a few seconds of random mutations, for `make test`). A target defines
 * LLVMFuzzerTestOneInput and may define LLVMFuzzerInitialize; both runners call them the
 * same way.
 *
 * A target aborts (fuzz_check) when a property it checks does not hold, so that both
 * runners report it like a crash and keep the input.
 */
#ifndef MTDHCP_TESTS_FUZZ_FUZZ_H
#define MTDHCP_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the file, line and condition when @cond is false: a finding. */
#define fuzz_check(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,      \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * A private scratch directory for a target's files, on tmpfs (/dev/shm) when there is
 * one, so that file and SQLite I/O cost little. @dir receives its path. 0 or -errno.
 */
int fuzz_tmpdir_make(char *dir, size_t len);

/* Writes @len bytes to @dir/@name (creating or truncating it). 0 or -errno. */
int fuzz_write_file(const char *dir, const char *name, const void *data, size_t len);

/* Removes @dir and everything below it; errors are ignored. */
void fuzz_tmpdir_remove(const char *dir);

#endif
