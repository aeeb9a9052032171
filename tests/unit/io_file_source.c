/* tests/unit/io_file_source.c - the text, csv and json file sources driven
 * through their ops (options, init, open, latest, poll) on files made in a
 * temporary directory: CSV quoting, escapes, nulls and headers, every
 * malformed-record mode, JSON lines, text lines, file admission
 * (maxFilesPerTrigger, latestFirst, fileNameOnly, maxFileAge, hidden
 * files, each file once), cleanSource, half-written files, the checkpoint
 * hooks, and the flight data of the examples. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/plugin.h"
#include "io/source_file.h"
#include "io/uring.h"

extern const sl_source_ops sl_source_text, sl_source_csv, sl_source_json;

static sl_arena arena;
static sl_err err;
static char dir[64], arch[64];

static void setup(void)
{
	sl_arena_init(&arena);
	memset(&err, 0, sizeof(err));
	strcpy(dir, "/tmp/sl_fsrc_XXXXXX");
	strcpy(arch, "/tmp/sl_farc_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_not_null(mkdtemp(arch));
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, arch);
	cr_assert_eq(system(cmd), 0);
	sl_arena_free(&arena);
}

TestSuite(fsrc, .init = setup, .fini = teardown);

/* A file with its modification time `age_s` seconds before a fixed base,
 * so the order of files does not depend on how fast the test writes. */
static void put(const char *name, const char *text, int64_t age_s)
{
	char path[256];
	FILE *f;
	struct timespec ts[2];
	time_t base = 1700000000;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	ts[0].tv_sec = ts[1].tv_sec = base - age_s;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int make_source(const sl_source_ops *ops, const char *const *kv,
		       sl_source *src)
{
	sl_kvs *given = sl_arena_calloc(&arena, sizeof(*given));
	char comp[64];
	int rc;

	memset(src, 0, sizeof(*src));
	for (int i = 0; kv && kv[i]; i += 2)
		sl_kvs_add(given, &arena, kv[i], kv[i + 1]);
	src->ops = ops;
	src->arena = &arena;
	src->given = given;
	src->conf = sl_arena_calloc(&arena, ops->conf_size);
	snprintf(comp, sizeof(comp), "source '%s'", ops->name);
	rc = sl_options_apply(ops->options, src->conf, given, NULL, comp,
			      &arena, &err);
	if (rc)
		return rc;
	return ops->init(src, &err);
}

#define SRC(ops, src, ...)                                                     \
	cr_assert_eq(make_source(ops,                                          \
				 (const char *const[]){ __VA_ARGS__, NULL },   \
				 src),                                         \
		     0, "%s", err.msg)

static void open_part(sl_source *src, sl_source_part *p)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	cr_assert_eq(src->ops->open(p), 0, "%s", p->err.msg);
}

static void done(sl_source *src, sl_source_part *p)
{
	src->ops->close(p);
	src->ops->destroy(src);
}

/* Plans one batch and reads it all, like the engine: latest, then poll
 * until the partition reaches the end. Returns the rows (maybe none),
 * and the poll's error code in *rc (0 if none). */
static sl_batch *batch(sl_source *src, sl_source_part *p, int64_t id, int *rc)
{
	int64_t end = src->ops->latest(p, id);
	sl_batch *all = sl_batch_new(src->schema, 16);

	*rc = 0;
	while (p->offset < end) {
		sl_batch *b = NULL;
		int n = src->ops->poll(p, end, 1000000, &b);

		if (n < 0) {
			*rc = n;
			sl_batch_free(b);
			break;
		}
		if (b) {
			cr_assert_eq(b->nrows, (uint32_t)n);
			cr_assert_leq(b->nrows, 1024);
			cr_assert_eq(b->end_offset, p->offset);
			sl_batch_append_copy(all, b);
			sl_batch_free(b);
		}
	}
	return all;
}

static sl_batch *batch_ok(sl_source *src, sl_source_part *p, int64_t id)
{
	int rc;
	sl_batch *b = batch(src, p, id, &rc);

	cr_assert_eq(rc, 0, "%s", p->err.msg);
	return b;
}

/* Cell (r, c) rendered as Spark prints it. */
static const char *cell(const sl_batch *b, uint32_t r, uint32_t c)
{
	static char buf[8][256];
	static int k;
	char *o = buf[k++ % 8];

	cr_assert_lt(r, b->nrows);
	sl_value_render(&sl_batch_row(b, r)[c], o, 256);
	return o;
}

#define CELL(b, r, c, s) cr_assert_str_eq(cell(b, r, c), s)

/* ---- CSV -------------------------------------------------------------- */

Test(fsrc, csv_header_quotes_escapes_nulls)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("a.csv",
	    "name,age,score,note\n"
	    "alice,30,1.5,\"hello, world\"\n"
	    "\"bob \"\"b\"\"\",,2,\"say \\\"hi\\\"\"\r\n"
	    "carol,41,,\n"
	    "\n"
	    "dave,7,-3e2,\"\"\n"
	    "eve,8,NaN,last line without newline",
	    0);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true", "schema",
	    "name STRING, age INT, score DOUBLE, note STRING");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 5);
	CELL(b, 0, 0, "alice");
	CELL(b, 0, 1, "30");
	CELL(b, 0, 2, "1.5");
	CELL(b, 0, 3, "hello, world");
	CELL(b, 1, 0, "bob \"b\"");
	CELL(b, 1, 1, "null"); /* empty unquoted field: nullValue "" */
	CELL(b, 1, 2, "2.0");
	CELL(b, 1, 3, "say \"hi\"");
	CELL(b, 2, 2, "null");
	CELL(b, 2, 3, "null");
	CELL(b, 3, 2, "-300.0");
	CELL(b, 3, 3, ""); /* a quoted empty field is an empty string */
	CELL(b, 4, 2, "NaN");
	CELL(b, 4, 3, "last line without newline");
	cr_assert_eq(p.offset, 1);
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_sep_quote_null_options)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("t.tsv", "x\t'a\tb'\tNA\n1\t'it''s'\t2\n", 0);
	SRC(&sl_source_csv, &src, "path", dir, "sep", "\\t", "quote", "'",
	    "nullValue", "NA", "schema", "a STRING, b STRING, c LONG");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 2);
	CELL(b, 0, 0, "x");
	CELL(b, 0, 1, "a\tb");
	CELL(b, 0, 2, "null");
	CELL(b, 1, 1, "it's");
	CELL(b, 1, 2, "2");
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_types)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("t.csv",
	    "true,2024-01-02,2024-01-02 03:04:05.123,9000000000\n"
	    "FALSE,1970-01-01,2024-01-02T03:04:05Z,-1\n",
	    0);
	SRC(&sl_source_csv, &src, "path", dir, "schema",
	    "b BOOLEAN, d DATE, t TIMESTAMP, l BIGINT");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 2);
	CELL(b, 0, 0, "true");
	CELL(b, 0, 1, "2024-01-02");
	CELL(b, 0, 2, "2024-01-02 03:04:05.123");
	CELL(b, 0, 3, "9000000000");
	CELL(b, 1, 0, "false");
	CELL(b, 1, 1, "1970-01-01");
	CELL(b, 1, 2, "2024-01-02 03:04:05");
	sl_batch_free(b);
	done(&src, &p);
}

static const char *bad_csv = "id,name,n\n"
			     "1,a,10\n"
			     "2,b\n"	  /* line 3: too few fields */
			     "3,c,x\n"	  /* line 4: not an int */
			     "4,\"d,40\n" /* line 5: open quote */
			     "5,e,50\n"
			     "6,f,60,extra\n"; /* line 7: too many */

Test(fsrc, csv_permissive_keeps_rows_with_corrupt_record)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	sl_file_stats st;

	put("bad.csv", bad_csv, 0);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true", "schema",
	    "id INT, name STRING, n INT, _corrupt_record STRING");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 6);
	CELL(b, 0, 2, "10");
	CELL(b, 0, 3, "null");
	/* Malformed: what parsed is kept, the rest null, the line saved. */
	CELL(b, 1, 0, "2");
	CELL(b, 1, 2, "null");
	CELL(b, 1, 3, "2,b");
	CELL(b, 2, 1, "c");
	CELL(b, 2, 2, "null");
	CELL(b, 2, 3, "3,c,x");
	CELL(b, 3, 3, "4,\"d,40");
	CELL(b, 4, 3, "null");
	CELL(b, 5, 2, "60");
	CELL(b, 5, 3, "6,f,60,extra");
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.corrupt, 4);
	cr_assert_eq(st.dropped, 0);
	cr_assert_eq(st.rows, 6);
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_permissive_without_corrupt_column)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("bad.csv", bad_csv, 0);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true", "schema",
	    "id INT, name STRING, n INT", "columnNameOfCorruptRecord",
	    "broken");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 6);
	cr_assert_eq(b->ncols, 3);
	CELL(b, 2, 2, "null");
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_dropmalformed_counts)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	sl_file_stats st;

	put("bad.csv", bad_csv, 0);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true", "mode",
	    "dropMalformed", "schema", "id INT, name STRING, n INT");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 2);
	CELL(b, 0, 0, "1");
	CELL(b, 1, 0, "5");
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.dropped, 4);
	cr_assert_eq(st.rows, 2);
	cr_assert_eq(st.files_read, 1);
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_failfast_names_file_line_problem)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int rc;

	put("bad.csv", bad_csv, 0);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true", "mode",
	    "FAILFAST", "schema", "id INT, name STRING, n INT");
	open_part(&src, &p);
	b = batch(&src, &p, 0, &rc);
	cr_assert_lt(rc, 0);
	/* The path is the resolved one (/tmp may be a symlink): compare
	 * the prefix and the tail. */
	cr_assert_not_null(strstr(p.err.msg, "/bad.csv line 3: expected 3 "
					     "fields, found 2"),
			   "%s", p.err.msg);
	cr_assert_eq(
		strncmp(p.err.msg, "FAILFAST: malformed CSV record at ", 34), 0,
		"%s", p.err.msg);
	cr_assert_eq(p.offset, 0); /* the file is not done */
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, csv_failfast_bad_value_and_open_quote)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int rc;

	put("v.csv", "1,a,10\n3,c,x\n", 0);
	SRC(&sl_source_csv, &src, "path", dir, "mode", "FAILFAST", "schema",
	    "id INT, name STRING, n INT");
	open_part(&src, &p);
	b = batch(&src, &p, 0, &rc);
	cr_assert_lt(rc, 0);
	cr_assert_not_null(strstr(p.err.msg, "v.csv line 2: cannot parse "
					     "'x' as int for column n"),
			   "%s", p.err.msg);
	sl_batch_free(b);
	done(&src, &p);

	put("w.csv", "4,\"d,40\n", -10);
	unlink(strcat(strcpy((char[256]){ 0 }, dir), "/v.csv"));
	SRC(&sl_source_csv, &src, "path", dir, "mode", "FAILFAST", "schema",
	    "id INT, name STRING, n INT");
	open_part(&src, &p);
	b = batch(&src, &p, 0, &rc);
	cr_assert_lt(rc, 0);
	cr_assert_not_null(strstr(p.err.msg, "w.csv line 1: unterminated "
					     "quoted field"),
			   "%s", p.err.msg);
	sl_batch_free(b);
	done(&src, &p);
}

/* ---- JSON and text ---------------------------------------------------- */

static const char *json_lines =
	"{\"id\": 1, \"name\": \"a\", \"tags\": [\"x\", \"y\"], "
	"\"pos\": {\"lat\": 1.5, \"lon\": 2}}\n"
	"\n"
	"{\"id\": 2, \"name\": null, \"extra\": true}\n"
	"{\"id\": \"three\", \"name\": \"c\"}\n" /* line 4: id not an int */
	"{not json}\n"				 /* line 5 */
	"[1, 2]\n"				 /* line 6: not an object */
	"{\"id\": 7, \"name\": 7}\n";		 /* a number into a string */

Test(fsrc, json_permissive)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("a.json", json_lines, 0);
	SRC(&sl_source_json, &src, "path", dir, "schema",
	    "id INT, name STRING, tags ARRAY<STRING>, "
	    "pos STRUCT<lat: DOUBLE, lon: DOUBLE>, _corrupt_record STRING");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 6);
	CELL(b, 0, 0, "1");
	CELL(b, 0, 1, "a");
	CELL(b, 0, 2, "[x, y]");
	CELL(b, 0, 3, "{1.5, 2.0}");
	CELL(b, 0, 4, "null");
	CELL(b, 1, 0, "2");
	CELL(b, 1, 1, "null");
	CELL(b, 2, 0, "null");
	CELL(b, 2, 1, "c");
	CELL(b, 2, 4, "{\"id\": \"three\", \"name\": \"c\"}");
	CELL(b, 3, 0, "null");
	CELL(b, 3, 4, "{not json}");
	CELL(b, 4, 4, "[1, 2]");
	CELL(b, 5, 1, "7");
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, json_dropmalformed_and_failfast)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	sl_file_stats st;
	int rc;

	put("a.json", json_lines, 0);
	SRC(&sl_source_json, &src, "path", dir, "mode", "DROPMALFORMED",
	    "schema", "id INT, name STRING");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 3);
	CELL(b, 2, 0, "7");
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.dropped, 3);
	sl_batch_free(b);
	done(&src, &p);

	SRC(&sl_source_json, &src, "path", dir, "mode", "FAILFAST", "schema",
	    "id INT, name STRING");
	open_part(&src, &p);
	b = batch(&src, &p, 0, &rc);
	cr_assert_lt(rc, 0);
	cr_assert_not_null(strstr(p.err.msg, "FAILFAST: malformed JSON "
					     "record at "),
			   "%s", p.err.msg);
	cr_assert_not_null(strstr(p.err.msg, "a.json line 4: field id is "
					     "not of type int"),
			   "%s", p.err.msg);
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, text_lines)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	put("a.txt", "one\r\n\ntwo three\nno newline", 0);
	SRC(&sl_source_text, &src, "path", dir);
	cr_assert_str_eq(src.schema->fields[0].name, "value");
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, 4);
	CELL(b, 0, 0, "one");
	CELL(b, 1, 0, "");
	CELL(b, 2, 0, "two three");
	CELL(b, 3, 0, "no newline");
	sl_batch_free(b);
	done(&src, &p);
}

Test(fsrc, long_lines_across_chunks_and_vectors)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	/* 3000 lines of 200 bytes: several 256 KiB chunks and three record
	 * vectors, with lines split across chunk boundaries. */
	size_t n = 3000, w = 200;
	char *text = malloc(n * w + 1);

	for (size_t i = 0; i < n; i++) {
		memset(text + i * w, 'a' + (char)(i % 26), w - 1);
		snprintf(text + i * w, 12, "%010zu", i);
		text[i * w + 10] = 'a' + (char)(i % 26);
		text[i * w + w - 1] = '\n';
	}
	text[n * w] = 0;
	put("big.txt", text, 0);
	SRC(&sl_source_text, &src, "path", dir);
	open_part(&src, &p);
	b = batch_ok(&src, &p, 0);
	cr_assert_eq(b->nrows, n);
	for (size_t i = 0; i < n; i += 97) {
		const sl_value *v = &sl_batch_row(b, (uint32_t)i)[0];

		cr_assert_eq(v->len, w - 1);
		cr_assert_eq(memcmp(v->v.str, text + i * w, w - 1), 0,
			     "line %zu", i);
	}
	free(text);
	sl_batch_free(b);
	done(&src, &p);
}

/* ---- admission -------------------------------------------------------- */

/* The text of row 0 of each batch: which file it came from. */
static void expect_files(sl_source *src, sl_source_part *p, int64_t id,
			 const char *want)
{
	sl_batch *b = batch_ok(src, p, id);
	char got[256] = "";

	for (uint32_t r = 0; r < b->nrows; r++) {
		if (r)
			strcat(got, " ");
		strcat(got, cell(b, r, 0));
	}
	cr_assert_str_eq(got, want, "batch %lld", (long long)id);
	sl_batch_free(b);
}

Test(fsrc, mtime_order_each_file_once_hidden_skipped)
{
	sl_source src;
	sl_source_part p;

	put("b.txt", "B", 30); /* oldest */
	put("a.txt", "A", 20);
	put("c.txt", "C", 10);
	put(".hidden", "H", 40);
	put("_SUCCESS", "S", 40);
	put("x._COPYING_", "X", 40);
	SRC(&sl_source_text, &src, "path", dir);
	open_part(&src, &p);
	expect_files(&src, &p, 0, "B A C");
	expect_files(&src, &p, 1, "");
	expect_files(&src, &p, 2, "");
	put("d.txt", "D", 5);
	expect_files(&src, &p, 3, "D");
	expect_files(&src, &p, 4, "");
	cr_assert_eq(p.offset, 4);
	done(&src, &p);
}

Test(fsrc, max_files_per_trigger)
{
	sl_source src;
	sl_source_part p;

	put("1.txt", "1", 50);
	put("2.txt", "2", 40);
	put("3.txt", "3", 30);
	put("4.txt", "4", 20);
	put("5.txt", "5", 10);
	SRC(&sl_source_text, &src, "path", dir, "maxFilesPerTrigger", "2");
	open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, 0), 2);
	/* Planning the same batch again gives the same end. */
	cr_assert_eq(src.ops->latest(&p, 0), 2);
	expect_files(&src, &p, 0, "1 2");
	expect_files(&src, &p, 1, "3 4");
	expect_files(&src, &p, 2, "5");
	expect_files(&src, &p, 3, "");
	done(&src, &p);
}

/* latest(p, -1): everything available now (availableNow's first call),
 * then read maxFilesPerTrigger at a time. */
Test(fsrc, available_now_all_then_capped)
{
	sl_source src;
	sl_source_part p;

	put("1.txt", "1", 50);
	put("2.txt", "2", 40);
	put("3.txt", "3", 30);
	SRC(&sl_source_text, &src, "path", dir, "maxFilesPerTrigger", "2");
	open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, -1), 3);
	put("4.txt", "4", 20);
	expect_files(&src, &p, 0, "1 2");
	expect_files(&src, &p, 1, "3");
	expect_files(&src, &p, 2, "4");
	done(&src, &p);
}

Test(fsrc, latest_first)
{
	sl_source src;
	sl_source_part p;

	put("1.txt", "1", 50);
	put("2.txt", "2", 40);
	put("3.txt", "3", 30);
	SRC(&sl_source_text, &src, "path", dir, "latestFirst", "true",
	    "maxFilesPerTrigger", "2");
	open_part(&src, &p);
	expect_files(&src, &p, 0, "3 2");
	put("4.txt", "4", 5);
	/* The newest of what is left now: 4 arrived after batch 0. */
	expect_files(&src, &p, 1, "4 1");
	done(&src, &p);
}

Test(fsrc, max_file_age)
{
	sl_source src;
	sl_source_part p;
	int64_t day = 86400;

	/* The first batch takes every file, however old. */
	put("old.txt", "old", 30 * day);
	put("new.txt", "new", 0);
	SRC(&sl_source_text, &src, "path", dir, "maxFileAge", "7 days");
	open_part(&src, &p);
	expect_files(&src, &p, 0, "old new");
	/* Then files older than the newest admitted minus 7 days are not. */
	put("stale.txt", "stale", 8 * day);
	put("recent.txt", "recent", 6 * day);
	expect_files(&src, &p, 1, "recent");
	done(&src, &p);

	/* latestFirst with maxFilesPerTrigger ignores maxFileAge (Spark). */
	SRC(&sl_source_text, &src, "path", dir, "maxFileAge", "7 days",
	    "latestFirst", "true", "maxFilesPerTrigger", "10");
	open_part(&src, &p);
	expect_files(&src, &p, 0, "new recent stale old");
	put("ancient.txt", "ancient", 100 * day);
	expect_files(&src, &p, 1, "ancient");
	done(&src, &p);
}

static int64_t list_count;
static void count_entry(void *ud, const sl_file_entry *f)
{
	list_count++;
}

Test(fsrc, file_name_only_and_restore)
{
	sl_source src;
	sl_source_part p;
	/* The times the files really have: remembered entries older than
	 * maxFileAge allows are forgotten, so fake ones would be too. */
	sl_file_entry prev[2] = {
		{ "/elsewhere/a.txt", (1700000000 - 30) * 1000000000LL, 1, 0 },
		{ "/elsewhere/b.txt", (1700000000 - 20) * 1000000000LL, 1, 1 },
	};

	put("a.txt", "A", 30);
	put("b.txt", "B", 20);
	put("c.txt", "C", 10);
	/* By name: a and b were seen before the restart, under another
	 * path. */
	SRC(&sl_source_text, &src, "path", dir, "fileNameOnly", "true");
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	open_part(&src, &p);
	cr_assert_eq(p.offset, 2);
	expect_files(&src, &p, 2, "C");
	expect_files(&src, &p, 3, "");
	list_count = 0;
	cr_assert_eq(sl_file_source_list(&src, count_entry, NULL), 3);
	cr_assert_eq(list_count, 3);
	done(&src, &p);

	/* By full path the restored names are other files. */
	SRC(&sl_source_text, &src, "path", dir);
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	open_part(&src, &p);
	expect_files(&src, &p, 2, "A B C");
	done(&src, &p);
}

Test(fsrc, restore_replays_uncommitted_files)
{
	sl_source src;
	sl_source_part p;
	char a[256], b[256];
	sl_file_entry prev[2];

	put("a.txt", "A1\nA2", 30);
	put("b.txt", "B", 20);
	put("c.txt", "C", 10);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	snprintf(b, sizeof(b), "%s/b.txt", dir);
	prev[0] = (sl_file_entry){ a, 0, 5, 0 };
	prev[1] = (sl_file_entry){ b, 0, 1, 1 };
	SRC(&sl_source_text, &src, "path", dir);
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	open_part(&src, &p);
	/* The checkpoint says file 0 was committed, file 1 was planned. */
	p.offset = 1;
	expect_files(&src, &p, 1, "B");
	expect_files(&src, &p, 2, "C");
	done(&src, &p);
}

/* ---- cleanSource ------------------------------------------------------ */

Test(fsrc, clean_source_delete_after_commit)
{
	sl_source src;
	sl_source_part p;
	char a[256], b[256];

	put("a.txt", "A", 20);
	put("b.txt", "B", 10);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	snprintf(b, sizeof(b), "%s/b.txt", dir);
	SRC(&sl_source_text, &src, "path", dir, "cleanSource", "delete",
	    "maxFilesPerTrigger", "1");
	open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	/* Read but not committed: still there. */
	cr_assert(exists(a));
	/* Planning batch 1 means batch 0 committed. */
	expect_files(&src, &p, 1, "B");
	cr_assert(!exists(a));
	cr_assert(exists(b));
	/* The hook cleans at once. */
	cr_assert_eq(sl_file_source_commit(&src, p.offset), 0);
	cr_assert(!exists(b));
	done(&src, &p);
}

Test(fsrc, clean_source_archive_keeps_path)
{
	sl_source src;
	sl_source_part p;
	char a[256], real[PATH_MAX], moved[PATH_MAX + 128];
	sl_file_stats st;

	put("a.txt", "A", 20);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	cr_assert_not_null(realpath(dir, real));
	SRC(&sl_source_text, &src, "path", dir, "cleanSource", "archive",
	    "sourceArchiveDir", arch);
	open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	expect_files(&src, &p, 1, "");
	cr_assert(!exists(a));
	snprintf(moved, sizeof(moved), "%s%s/a.txt", arch, real);
	cr_assert(exists(moved), "%s", moved);
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.cleaned, 1);
	done(&src, &p);
}

Test(fsrc, clean_source_off_keeps_files)
{
	sl_source src;
	sl_source_part p;
	char a[256];

	put("a.txt", "A", 20);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	SRC(&sl_source_text, &src, "path", dir);
	open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	expect_files(&src, &p, 1, "");
	cr_assert_eq(sl_file_source_commit(&src, p.offset), 0);
	cr_assert(exists(a));
	done(&src, &p);
}

Test(fsrc, clean_source_option_errors)
{
	sl_source src;

	cr_assert_eq(
		make_source(&sl_source_text,
			    (const char *const[]){ "path", dir, "cleanSource",
						   "archive", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "sourceArchiveDir"), "%s", err.msg);
	cr_assert_eq(
		make_source(&sl_source_text,
			    (const char *const[]){ "path", dir, "cleanSource",
						   "move", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "off, archive, delete"), "%s",
			   err.msg);
	cr_assert_eq(make_source(&sl_source_text,
				 (const char *const[]){
					 "path", dir, "cleanSource", "archive",
					 "sourceArchiveDir", dir, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "inside"), "%s", err.msg);
}

/* ---- options and schema errors ---------------------------------------- */

Test(fsrc, option_errors)
{
	sl_source src;

	cr_assert_eq(make_source(&sl_source_csv,
				 (const char *const[]){ "path", dir, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "'schema' is required"), "%s",
			   err.msg);
	cr_assert_eq(
		make_source(&sl_source_csv,
			    (const char *const[]){ "path", "/nonexistent/x",
						   "schema", "a INT", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "not a directory"), "%s", err.msg);
	cr_assert_eq(
		make_source(&sl_source_csv,
			    (const char *const[]){ "path", dir, "schema",
						   "a INT", "sep", ";;", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "'sep'"), "%s", err.msg);
	cr_assert_eq(make_source(&sl_source_csv,
				 (const char *const[]){ "path", dir, "schema",
							"a INT", "mode", "lax",
							NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_eq(make_source(&sl_source_csv,
				 (const char *const[]){ "path", dir, "schema",
							"a ARRAY<INT>", NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "does not support"), "%s", err.msg);
	cr_assert_eq(
		make_source(&sl_source_json,
			    (const char *const[]){ "path", dir, "schema",
						   "a INT, _corrupt_record "
						   "INT",
						   NULL },
			    &src),
		SL_EOPTION);
	/* text has no CSV options */
	cr_assert_eq(make_source(&sl_source_text,
				 (const char *const[]){ "path", dir, "header",
							"true", NULL },
				 &src),
		     SL_EOPTION);
}

Test(fsrc, glob_pattern)
{
	sl_source src;
	sl_source_part p;
	char pat[128];

	put("a.csv", "1", 20);
	put("b.txt", "2", 10);
	snprintf(pat, sizeof(pat), "%s/*.csv", dir);
	SRC(&sl_source_text, &src, "path", pat);
	open_part(&src, &p);
	expect_files(&src, &p, 0, "1");
	done(&src, &p);
}

/* ---- files that are not moved in atomically --------------------------- */

Test(fsrc, half_written_file_is_read_as_it_was_listed)
{
	sl_source src;
	sl_source_part p;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/part.txt", dir);
	f = fopen(path, "w");
	fputs("line 1\nline 2\nline", f); /* the writer is mid-line */
	fflush(f);
	SRC(&sl_source_text, &src, "path", dir);
	open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, 0), 1);
	/* More arrives between the scan and the read. */
	fputs(" 3\nline 4\n", f);
	fclose(f);
	/* What the scan saw is read: the cut line is a (short) line, and
	 * the rest of the file is never read, since the file is done. */
	expect_files(&src, &p, 0, "line 1 line 2 line");
	expect_files(&src, &p, 1, "");
	done(&src, &p);
}

/* ---- the flight data of the examples ---------------------------------- */

/* tests/data, found next to this file (the build compiles it by its path
 * from the repository root, where the tests run), or SLUICE_TEST_DATA. */
static const char *data_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("SLUICE_TEST_DATA");
	char *slash;

	if (env)
		return env;
	snprintf(buf, sizeof(buf), "%s", __FILE__);
	slash = strrchr(buf, '/');
	if (slash)
		snprintf(slash, sizeof(buf) - (size_t)(slash - buf),
			 "/../data");
	else
		snprintf(buf, sizeof(buf), "../data");
	return buf;
}

static void flight(bool fallback)
{
	sl_source src;
	sl_source_part p;
	int64_t rows = 0, sum = 0, us = 0, eg = 0, us_origin = 0;
	int nbatches = 0;
	char cmd[PATH_MAX + 256];

	snprintf(cmd, sizeof(cmd), "cp %s/flight-data/csv/*.csv %s/",
		 data_dir(), dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	SRC(&sl_source_csv, &src, "path", dir, "header", "true",
	    "maxFilesPerTrigger", "1", "schema",
	    "DEST_COUNTRY_NAME STRING, ORIGIN_COUNTRY_NAME STRING, "
	    "count INT");
	open_part(&src, &p);
	for (int64_t id = 0;; id++) {
		sl_batch *b = batch_ok(&src, &p, id);

		if (!b->nrows) {
			sl_batch_free(b);
			break;
		}
		nbatches++;
		for (uint32_t r = 0; r < b->nrows; r++) {
			const sl_value *row = sl_batch_row(b, r);
			int64_t c = row[2].v.i32;

			cr_assert_eq(row[2].type, SL_INT);
			rows++;
			sum += c;
			if (row[0].len == 13 &&
			    !memcmp(row[0].v.str, "United States", 13))
				us += c;
			if (row[1].len == 13 &&
			    !memcmp(row[1].v.str, "United States", 13))
				us_origin += c;
			if (row[0].len == 5 &&
			    !memcmp(row[0].v.str, "Egypt", 5))
				eg += c;
		}
		sl_batch_free(b);
	}
	/* Figures from tests/data/README.md. */
	cr_assert_eq(nbatches, 6);
	cr_assert_eq(rows, 1502);
	cr_assert_eq(sum, 2580915);
	cr_assert_eq(us, 2348280);
	cr_assert_eq(us_origin, 2352430);
	cr_assert_eq(eg, 89);
	done(&src, &p);
	/* This process's ring (each Criterion test is a process of its own)
	 * took the path the test asked for. */
	cr_assert_eq(sl_uring_active(sl_uring_get()), !fallback);
	cr_assert_gt(fallback ? sl_uring_get()->nsys : sl_uring_get()->nops,
		     12);
}

Test(fsrc, flight_data_counts_and_sums)
{
	unsetenv("SLUICE_NO_URING");
	flight(false);
}

Test(fsrc, flight_data_without_io_uring)
{
	setenv("SLUICE_NO_URING", "1", 1);
	flight(true);
}
