/* tests/support/file_sink.h - a file sink under test
 * (tests/unit/io_file_sink.c, io_file_sink_commit.c), driven through its
 * sl_sink_ops as the sink thread drives it (init, write..., commit(N),
 * destroy), the schemas and rows those tests write, and what they read
 * back: files, the committed list, part files on disk. */
#ifndef SL_TEST_FILE_SINK_H
#define SL_TEST_FILE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/plugin.h"
#include "tests/support/files.h"
#include "tests/support/sink_harness.h"

/* ---- schemas and rows ---- */

/* id BIGINT, name STRING, ts TIMESTAMP, x DOUBLE, ok BOOLEAN */
extern const sl_schema sl_test_s_mix;
/* value STRING */
extern const sl_schema sl_test_s_line;
/* value BIGINT NOT NULL */
extern const sl_schema sl_test_s_long;
/* country STRING, year INT, n BIGINT */
extern const sl_schema sl_test_s_geo;

/* 2024-01-01T00:00:00Z in microseconds. */
#define SL_TEST_TS_2024 1704067200000000LL

/* s as a string value in b's arena. */
sl_value sl_test_astr(sl_batch *b, const char *s);
/* A row of s_mix; id, ts < 0, x < -1e300, ok < 0 and name NULL: null. */
void sl_test_mix_add(sl_batch *b, int64_t id, const char *name, int64_t ts,
		     double x, int ok);
/* Rows of s_line (NULL: a null). */
sl_batch *sl_test_lines(const char *const *v, uint32_t n);
/* Rows of s_long: values lo .. hi-1. */
sl_batch *sl_test_longs(int64_t lo, int64_t hi);
/* A row of s_geo (country NULL, year < 0: null). */
void sl_test_geo_add(sl_batch *b, const char *country, int year, int64_t n);

/* ---- a sink under test: tests/support/sink_harness.h ---- */

/* ---- files ---- */

/* The test's temporary directory, made by sl_test_sink_mkdir (a suite's
 * init) and removed by sl_test_sink_rmdir (its fini). */
extern char *sl_test_sink_dir;
void sl_test_sink_mkdir(void);
void sl_test_sink_rmdir(void);

/* sl_test_sink_dir/sub, in one of a few static buffers (a test holds
 * several). */
const char *sl_test_out_path(const char *sub);
/* The committed files of the sink at path (sl_file_sink_list); asserts
 * success. */
char **sl_test_listed(const char *path, size_t *n);
/* The concatenated contents of every committed file (commit order);
 * caller frees. */
char *sl_test_listed_text(const char *path);
/* Part files on disk under dir (recursively), manifest or not. */
int sl_test_count_parts(const char *dir);
/* base is part-00000-<uuid>.c000<ext>. */
bool sl_test_is_part_name(const char *base, const char *ext);

#endif
