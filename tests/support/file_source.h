/* tests/support/file_source.h - driving a file source through its ops as
 * the engine does (tests/unit/io_file_source.c, io_file_parse.c,
 * io_deadletter.c): files with fixed modification times, a source made
 * from options (apply, finalize, init), a partition opened, one
 * micro-batch read to its end, cells rendered as Spark prints them. */
#ifndef SL_TEST_FILE_SOURCE_H
#define SL_TEST_FILE_SOURCE_H

#include <stdint.h>

#include "io/plugin.h"
#include "tests/support/source_harness.h"
#include "tests/support/tmpdir.h"

/* A test file's fixture: its arena, err and temporary directory dir
 * (/tmp/<tmpname>.XXXXXX), made before each test of suite and removed
 * after it. */
#define SL_TEST_FILES_SUITE(suite, tmpname)                                    \
	static sl_arena arena;                                                 \
	static sl_err err;                                                     \
	static char *dir;                                                      \
	static void files_setup(void)                                          \
	{                                                                      \
		sl_arena_init(&arena);                                         \
		memset(&err, 0, sizeof(err));                                  \
		dir = sl_test_tmpdir(tmpname);                                 \
	}                                                                      \
	static void files_teardown(void)                                       \
	{                                                                      \
		sl_test_tmpdir_free(dir);                                      \
		sl_arena_free(&arena);                                         \
	}                                                                      \
	TestSuite(suite, .init = files_setup, .fini = files_teardown)

/* dir/name with text, its modification time age_s seconds before a fixed
 * base, so the order of files does not depend on how fast a test writes. */
void sl_test_put_file(const char *dir, const char *name, const char *text,
		      int64_t age_s);

/* Opens partition 0 of src into p (must succeed). */
void sl_test_open_part(sl_source *src, sl_source_part *p);

/* Plans micro-batch id and reads it all, like the engine: latest, then
 * poll until the partition reaches the end, checking each record vector
 * (rows as returned, at most 1024, end offset). Returns the rows (maybe
 * none) and the first poll error in *rc (0 if none). */
sl_batch *sl_test_source_batch(sl_source *src, sl_source_part *p, int64_t id,
			       int *rc);

/* sl_test_source_batch that must not fail. */
sl_batch *sl_test_source_batch_ok(sl_source *src, sl_source_part *p,
				  int64_t id);

/* Opens partition 0 of src and reads micro-batch 0, which must fail, with
 * an error (p->err.msg) that contains want unless want is NULL; the rows read before the
 * failure are dropped. The partition stays open for what the test checks
 * next (sl_test_source_done closes it). */
void sl_test_source_batch_fails(sl_source *src, sl_source_part *p,
				const char *want);

/* One file through a new source: writes dir/name with text, makes the
 * source ops from kv (must succeed), opens partition 0 and reads
 * micro-batch 0 (must not fail). */
sl_batch *sl_test_read_via_source(sl_source *src, sl_source_part *p, const char *dir,
			    const char *name, const char *text,
			    const sl_source_ops *ops, const char *const *kv,
			    sl_arena *arena, sl_err *err);

/* Closes the partition and destroys the source. */
void sl_test_source_done(sl_source *src, sl_source_part *p);

/* Cell (r, c) of b rendered as Spark prints it; valid for the next seven
 * calls. */
const char *sl_test_cell(const sl_batch *b, uint32_t r, uint32_t c);

#endif
