/* tests/support/tmpdir.h - temporary directories for tests: made new
 * under /tmp, looked into, removed with everything below them (no shell,
 * no `rm -rf`). Compiled once into build/obj/tests/support/. */
#ifndef SL_TEST_TMPDIR_H
#define SL_TEST_TMPDIR_H

#include <stdbool.h>
#include <stdint.h>

/* A new empty directory /tmp/<name>.XXXXXX, malloc'd; the test fails
 * (Criterion assertion) when it cannot be made. */
char *sl_test_tmpdir(const char *name);
/* Whether dir holds file (a path below it). */
bool sl_test_exists(const char *dir, const char *file);
/* Removes path and everything below it; a missing path is fine. Returns
 * 0, or -errno of the first failure. */
int sl_test_rmtree(const char *path);
/* The largest N among the names in dir that are decimal numbers (the
 * epochs of a checkpoint's offsets/ or commits/), or -1, also when dir
 * cannot be read. */
int64_t sl_test_newest_number(const char *dir);
/* sl_test_rmtree(dir), failing the test on an error, then free(dir). */
void sl_test_tmpdir_free(char *dir);

#endif
