/* tests/support/files.h - small files a test writes as a source's input
 * or reads back from a checkpoint (the query tests in tests/pipeline/,
 * the checkpoint store's tests). Each fails the test (Criterion
 * assertion) when the file cannot be opened. Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_FILES_H
#define SL_TEST_FILES_H

#include <stdbool.h>

/* Creates or truncates path with text. */
void sl_test_write_file(const char *path, const char *text);
/* Creates or truncates dir/name with text. */
void sl_test_write_file_in(const char *dir, const char *name,
			   const char *text);
/* Whether path exists; whether it is a directory. */
bool sl_test_path_exists(const char *path);
bool sl_test_path_is_dir(const char *path);
/* The whole of path, NUL-terminated, malloc'd (the test fails if it
 * cannot be read). */
char *sl_test_read_file(const char *path);
/* Damages path: flips a bit of the byte at where (0 <= where < 1) of
 * its length. */
void sl_test_flip_byte(const char *path, double where);

#endif
