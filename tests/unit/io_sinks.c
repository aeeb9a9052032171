/* tests/unit/io_sinks.c - the console, memory, foreach, foreachBatch and
 * noop sinks driven directly through their sl_sink_ops, as the sink thread
 * drives them (init, write..., commit, destroy), plus the sl_rows_*
 * accessors. The console's expected text is Spark's own output for the same
 * rows. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/plugin.h"
#include "sluice.h"

extern const sl_sink_ops sl_sink_console, sl_sink_memory, sl_sink_foreach,
	sl_sink_foreach_batch, sl_sink_noop;

/* ---- schemas and batches ------------------------------------------------ */

static sl_field f_value[] = { { "value", &sl_dtype_long, false } };
static const sl_schema s_value = { 1, f_value };

static sl_field f_word[] = { { "word", &sl_dtype_string, true } };
static const sl_schema s_word = { 1, f_word };

static sl_field f_pair[] = {
	{ "id", &sl_dtype_long, true },
	{ "name", &sl_dtype_string, true },
};
static const sl_schema s_pair = { 2, f_pair };

/* A vector of longs, as a source would make it. */
static sl_batch *longs(uint32_t part, const int64_t *v, uint32_t n)
{
	sl_batch *b = sl_batch_new(&s_value, n);

	b->partition = part;
	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] = sl_v_long(v[i]);
	return b;
}

/* Strings live in the batch's arena, as they do in real vectors, so a sink
 * that keeps a pointer past write() shows up under ASan. */
static sl_value arena_str(sl_batch *b, const char *s)
{
	size_t n = strlen(s);

	return sl_v_str(sl_arena_strndup(&b->arena, s, n), (uint32_t)n);
}

static sl_batch *words(const char *const *w, uint32_t n)
{
	sl_batch *b = sl_batch_new(&s_word, n);

	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] =
			w[i] ? arena_str(b, w[i]) : sl_v_null();
	return b;
}

/* id, name pairs; id < 0 means a null id. */
static void pair_add(sl_batch *b, int64_t id, const char *name)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = id < 0 ? sl_v_null() : sl_v_long(id);
	r[1] = name ? arena_str(b, name) : sl_v_null();
}

/* ---- a sink under test -------------------------------------------------- */

typedef struct tsink {
	sl_sink sk;
	sl_arena arena;
	int fd;
} tsink;

/* Fills sk as core/query.c does and applies opts (key, value, ..., NULL)
 * through the sink's own option table. Returns the option or init result. */
static int tsink_open(tsink *t, const sl_sink_ops *ops, const sl_schema *sc,
		      const char *const *opts, sl_err *err)
{
	sl_kvs given = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	sl_arena_init(&t->arena);
	t->fd = memfd_create("console", 0);
	cr_assert_geq(t->fd, 0);
	t->sk.ops = ops;
	t->sk.conf =
		sl_arena_calloc(&t->arena, ops->conf_size ? ops->conf_size : 1);
	for (size_t i = 0; opts && opts[i]; i += 2)
		sl_kvs_add(&given, &t->arena, opts[i], opts[i + 1]);
	rc = sl_options_apply(ops->options, t->sk.conf, &given, NULL, ops->name,
			      &t->arena, err);
	if (rc)
		return rc;
	t->sk.schema = sc;
	t->sk.mode = SL_MODE_APPEND;
	t->sk.console_fd = t->fd;
	t->sk.nparts = 1;
	t->sk.arena = &t->arena;
	return 0;
}

static int tsink_init(tsink *t, sl_err *err)
{
	return t->sk.ops->init(&t->sk, err);
}

/* Writes b as the sink thread does: frees it unless the sink kept it. */
static int tsink_write(tsink *t, sl_batch *b)
{
	int rc = t->sk.ops->write(&t->sk, b);

	cr_assert(rc == 0 || rc == 1 || rc < 0);
	if (rc == 0 || rc < 0)
		sl_batch_free(b);
	return rc;
}

static void tsink_close(tsink *t)
{
	if (t->sk.ops && t->sk.state)
		t->sk.ops->destroy(&t->sk);
	close(t->fd);
	sl_arena_free(&t->arena);
}

/* Everything the console wrote since the last call; caller frees. */
static char *console_text(tsink *t)
{
	off_t n = lseek(t->fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)n + 1);

	cr_assert_eq(pread(t->fd, buf, (size_t)n, 0), n);
	cr_assert_eq(ftruncate(t->fd, 0), 0);
	lseek(t->fd, 0, SEEK_SET);
	return buf;
}

static void expect_text(tsink *t, const char *want)
{
	char *got = console_text(t);

	cr_expect_str_eq(got, want, "got:\n%s\nwanted:\n%s", got, want);
	free(got);
}

/* ---- console ------------------------------------------------------------ */

#define BANNER(n)                                                              \
	"-------------------------------------------\n"                        \
	"Batch: " #n "\n"                                                      \
	"-------------------------------------------\n"

Test(console, plain_ints)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(tsink_init(&t, &err), 0, "%s", err.msg);
	cr_assert_eq(tsink_write(&t, longs(0, (int64_t[]){ 0, 20 }, 2)), 0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    0|\n"
				  "|   20|\n"
				  "+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, narrow_column_is_three_wide)
{
	static sl_field f[] = { { "x", &sl_dtype_long, false } };
	static const sl_schema sc = { 1, f };
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &sc, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	sl_batch *b = sl_batch_new(&sc, 1);
	sl_batch_add_row(b)[0] = sl_v_long(7);
	tsink_write(&t, b);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+---+\n"
				  "|  x|\n"
				  "+---+\n"
				  "|  7|\n"
				  "+---+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, long_strings_truncated)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_word, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	/* 26 characters: cut; exactly 20: kept; 21: cut. */
	tsink_write(&t, words((const char *[]){ "abcdefghijklmnopqrstuvwxyz",
						"exactly-twenty-chars",
						"twenty-one-characters", "hi" },
			      4));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+--------------------+\n"
				  "|                word|\n"
				  "+--------------------+\n"
				  "|abcdefghijklmnopq...|\n"
				  "|exactly-twenty-chars|\n"
				  "|twenty-one-charac...|\n"
				  "|                  hi|\n"
				  "+--------------------+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, truncate_false_left_aligns_and_keeps_all)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_word,
				(const char *[]){ "truncate", "false", NULL },
				&err),
		     0, "%s", err.msg);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, words((const char *[]){ "abcdefghijklmnopqrstuvwxyz",
						"hi" },
			      2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+--------------------------+\n"
				  "|word                      |\n"
				  "+--------------------------+\n"
				  "|abcdefghijklmnopqrstuvwxyz|\n"
				  "|hi                        |\n"
				  "+--------------------------+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, nulls)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_pair, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	sl_batch *b = sl_batch_new(&s_pair, 2);
	pair_add(b, 1, NULL);
	pair_add(b, -1, "spark");
	tsink_write(&t, b);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+----+-----+\n"
				  "|  id| name|\n"
				  "+----+-----+\n"
				  "|   1| null|\n"
				  "|null|spark|\n"
				  "+----+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, num_rows_cut_across_vectors)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value,
				(const char *[]){ "numRows", "2", NULL }, &err),
		     0, "%s", err.msg);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 5 }, 1));
	tsink_write(&t, longs(1, (int64_t[]){ 6, 1000 }, 2));
	tsink_write(&t, longs(0, (int64_t[]){ 123456789 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	/* Widths come from the shown rows only, as in show(). */
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    5|\n"
				  "|    6|\n"
				  "+-----+\n"
				  "only showing top 2 rows\n"
				  "\n");
	tsink_close(&t);
}

Test(console, num_rows_one_says_row)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value,
				(const char *[]){ "numRows", "1", NULL }, &err),
		     0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    1|\n"
				  "+-----+\n"
				  "only showing top 1 row\n"
				  "\n");
	tsink_close(&t);
}

Test(console, exactly_num_rows_has_no_footer)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value,
				(const char *[]){ "numRows", "2", NULL }, &err),
		     0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    1|\n"
				  "|    2|\n"
				  "+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, empty_batch)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, two_batches)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 0, 1 }, 2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    0|\n"
				  "|    1|\n"
				  "+-----+\n"
				  "\n");
	/* The next batch starts empty and counts on. */
	tsink_write(&t, longs(0, (int64_t[]){ 2 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0);
	expect_text(&t, BANNER(1) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    2|\n"
				  "+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, continuous_still_says_batch)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0);
	t.sk.continuous = true;
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 3 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 7), 0);
	expect_text(&t, BANNER(7) "+-----+\n"
				  "|value|\n"
				  "+-----+\n"
				  "|    3|\n"
				  "+-----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, control_characters_escaped)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_word, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	/* The escape counts two characters towards truncation; a cut in the
	 * middle of one keeps its backslash, as Java's substring does. */
	tsink_write(&t, words((const char *[]){ "a\tb\nc",
						"0123456789abcdef\tXYZW" },
			      2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+--------------------+\n"
				  "|                word|\n"
				  "+--------------------+\n"
				  "|             a\\tb\\nc|\n"
				  "|0123456789abcdef\\...|\n"
				  "+--------------------+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, full_width_characters_count_double)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_word, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	/* Two CJK characters are four columns wide; "é" is one. */
	tsink_write(&t, words((const char *[]){ "\xe6\x97\xa5\xe6\x9c\xac",
						"caf\xc3\xa9" },
			      2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+----+\n"
				  "|word|\n"
				  "+----+\n"
				  "|\xe6\x97\xa5\xe6\x9c\xac|\n"
				  "|caf\xc3\xa9|\n"
				  "+----+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, astral_characters_count_two)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_word, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	/* U+1F600 is two UTF-16 units, as Java counts it. When the cut at 17
	 * splits it, Java keeps a lone surrogate, which prints as '?'. */
	tsink_write(&t, words((const char *[]){ "\xf0\x9f\x98\x80",
						"aaaaaaaaaaaaaaaa"
						"\xf0\x9f\x98\x80"
						"bcd" },
			      2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	expect_text(&t, BANNER(0) "+--------------------+\n"
				  "|                word|\n"
				  "+--------------------+\n"
				  "|                  \xf0\x9f\x98\x80|\n"
				  "|aaaaaaaaaaaaaaaa?...|\n"
				  "+--------------------+\n"
				  "\n");
	tsink_close(&t);
}

Test(console, huge_num_rows)
{
	tsink t;
	sl_err err = { 0 };
	int64_t v[200];

	for (int i = 0; i < 200; i++)
		v[i] = i;
	cr_assert_eq(
		tsink_open(&t, &sl_sink_console, &s_value,
			   (const char *[]){ "numRows", "2147483647", NULL },
			   &err),
		0, "%s", err.msg);
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, v, 200));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	char *got = console_text(&t);
	cr_expect(strstr(got, "|  199|\n+-----+\n\n"), "%s", got);
	cr_expect_null(strstr(got, "only showing"));
	free(got);
	tsink_close(&t);
}

Test(console, num_rows_zero_rejected)
{
	tsink t;
	sl_err err = { 0 };

	cr_expect_eq(tsink_open(&t, &sl_sink_console, &s_value,
				(const char *[]){ "numRows", "0", NULL }, &err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "numRows"), "%s", err.msg);
	tsink_close(&t);
}

Test(console, write_failure_is_reported)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	t.sk.console_fd = -1;
	tsink_write(&t, longs(0, (int64_t[]){ 1 }, 1));
	cr_expect_eq(t.sk.ops->commit(&t.sk, 4), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "console sink"), "%s", t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "batch 4"), "%s", t.sk.err.msg);
	tsink_close(&t);
}

Test(console, through_a_pipe)
{
	tsink t;
	sl_err err = { 0 };
	int p[2];
	char buf[512] = { 0 };

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(tsink_open(&t, &sl_sink_console, &s_value, NULL, &err), 0);
	t.sk.console_fd = p[1];
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 42 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	cr_expect_str_eq(buf, BANNER(0) "+-----+\n"
					"|value|\n"
					"+-----+\n"
					"|   42|\n"
					"+-----+\n"
					"\n");
	tsink_close(&t);
}

/* ---- memory ------------------------------------------------------------- */

static void table_longs(sl_session *s, const char *name, const int64_t *want,
			uint32_t n)
{
	sl_rows *r = sl_session_table(s, name);

	cr_assert_not_null(r, "no table %s", name);
	cr_expect_eq(sl_rows_count(r), n);
	for (uint32_t i = 0; i < n && i < sl_rows_count(r); i++)
		cr_expect_eq(sl_rows_long(r, i, 0), want[i], "row %u", i);
	sl_rows_free(r);
}

Test(memory, needs_query_name)
{
	tsink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();

	cr_assert_eq(tsink_open(&t, &sl_sink_memory, &s_value, NULL, &err), 0);
	t.sk.session = s;
	cr_expect_eq(tsink_init(&t, &err), SL_EOPTION);
	cr_expect_str_eq(err.msg, "memory sink needs queryName (the table's "
				  "name)");
	cr_expect_null(t.sk.state);
	tsink_close(&t);
	sl_session_destroy(s);
}

Test(memory, append_publishes_at_commit)
{
	tsink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();

	cr_assert_eq(tsink_open(&t, &sl_sink_memory, &s_value, NULL, &err), 0);
	t.sk.session = s;
	t.sk.query_name = "counts";
	cr_assert_eq(tsink_init(&t, &err), 0, "%s", err.msg);
	/* The table exists, empty, as soon as the query starts. */
	table_longs(s, "counts", NULL, 0);

	cr_assert_eq(tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2)), 0);
	cr_assert_eq(tsink_write(&t, longs(1, (int64_t[]){ 3 }, 1)), 0);
	table_longs(s, "counts", NULL, 0); /* not before the commit */
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3 }, 3);

	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0); /* empty batch */
	tsink_write(&t, longs(0, (int64_t[]){ 4 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 2), 0);
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3, 4 }, 4);
	tsink_close(&t);

	/* The table outlives its query, as Spark's does. */
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3, 4 }, 4);
	sl_session_destroy(s);
}

Test(memory, strings_are_deep_copies)
{
	tsink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();
	char buf[64];

	cr_assert_eq(tsink_open(&t, &sl_sink_memory, &s_pair, NULL, &err), 0);
	t.sk.session = s;
	t.sk.query_name = "people";
	cr_assert_eq(tsink_init(&t, &err), 0);
	sl_batch *b = sl_batch_new(&s_pair, 2);
	pair_add(b, 1, "ada");
	pair_add(b, -1, NULL);
	tsink_write(&t, b); /* freed here: the sink must have copied */
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	tsink_close(&t);

	sl_rows *r = sl_session_table(s, "people");
	cr_assert_not_null(r);
	cr_expect_eq(sl_rows_count(r), 2);
	cr_expect_eq(sl_rows_ncols(r), 2);
	cr_expect_str_eq(sl_rows_string(r, 0, 1, buf, sizeof(buf)), "ada");
	cr_expect(sl_rows_is_null(r, 1, 0));
	cr_expect_str_eq(sl_rows_string(r, 1, 1, buf, sizeof(buf)), "null");
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(memory, complete_replaces)
{
	tsink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();

	cr_assert_eq(tsink_open(&t, &sl_sink_memory, &s_value, NULL, &err), 0);
	t.sk.session = s;
	t.sk.query_name = "totals";
	t.sk.mode = SL_MODE_COMPLETE;
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	table_longs(s, "totals", (int64_t[]){ 1, 2 }, 2);
	tsink_write(&t, longs(0, (int64_t[]){ 5 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0);
	table_longs(s, "totals", (int64_t[]){ 5 }, 1);
	/* An empty result table empties the table. */
	cr_assert_eq(t.sk.ops->commit(&t.sk, 2), 0);
	table_longs(s, "totals", NULL, 0);
	tsink_close(&t);
	sl_session_destroy(s);
}

Test(memory, unfinished_epoch_dropped_at_destroy)
{
	tsink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();

	cr_assert_eq(tsink_open(&t, &sl_sink_memory, &s_value, NULL, &err), 0);
	t.sk.session = s;
	t.sk.query_name = "half";
	cr_assert_eq(tsink_init(&t, &err), 0);
	tsink_write(&t, longs(0, (int64_t[]){ 1 }, 1));
	tsink_close(&t); /* no commit: ASan checks the rows are freed */
	table_longs(s, "half", NULL, 0);
	sl_session_destroy(s);
}

/* ---- foreach ------------------------------------------------------------ */

/* What the callbacks saw, as text: "open(p,e) row(v) close(-) ...". */
typedef struct calls {
	char log[1024];
	int fail_open;	 /* open returns this */
	int fail_at_row; /* process returns 9 at this value, or -1 */
	int fail_batch;	 /* batch returns this */
	int64_t sum;	 /* foreachBatch: sum of the values seen */
	uint32_t nrows;	 /* foreachBatch: rows seen in the last call */
	uint32_t ncols;	 /* foreachBatch: columns seen in the last call */
} calls;

static void logf_(calls *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(calls *c, const char *fmt, ...)
{
	size_t n = strlen(c->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->log + n, sizeof(c->log) - n, fmt, ap);
	va_end(ap);
}

static int cb_open(void *ud, uint32_t partition, int64_t epoch)
{
	calls *c = ud;

	logf_(c, "open(%u,%lld) ", partition, (long long)epoch);
	return c->fail_open;
}

static int cb_process(void *ud, const sl_rows *rows, uint32_t i)
{
	calls *c = ud;
	int64_t v = sl_rows_long(rows, i, 0);

	logf_(c, "row(%lld) ", (long long)v);
	return v == c->fail_at_row ? 9 : 0;
}

static void cb_close(void *ud, const char *error)
{
	calls *c = ud;

	logf_(c, "close(%s) ", error ? "error" : "-");
}

static int cb_batch(void *ud, const sl_rows *rows, int64_t id)
{
	calls *c = ud;

	c->nrows = sl_rows_count(rows);
	c->ncols = sl_rows_ncols(rows);
	c->sum = 0;
	for (uint32_t i = 0; i < c->nrows; i++)
		c->sum += sl_rows_long(rows, i, 0);
	logf_(c, "batch(%lld,%u) ", (long long)id, c->nrows);
	return c->fail_batch;
}

/* The sink thread stamps every vector with its epoch before write. */
static sl_batch *at_epoch(sl_batch *b, int64_t epoch)
{
	b->epoch = epoch;
	return b;
}

static void foreach_open_sink(tsink *t, const sl_sink_ops *ops,
			      sl_sink_callbacks *cb)
{
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(t, ops, &s_value, NULL, &err), 0);
	t->sk.cb = cb;
	cr_assert_eq(tsink_init(t, &err), 0, "%s", err.msg);
}

Test(foreach, call_sequence)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = { .ud = &c,
				 .open = cb_open,
				 .process = cb_process,
				 .close = cb_close };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_assert_eq(tsink_write(&t, longs(3, (int64_t[]){ 10, 11 }, 2)), 0);
	cr_assert_eq(tsink_write(&t, longs(1, (int64_t[]){ 12 }, 1)), 0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	/* An epoch without rows is opened and closed all the same. */
	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0);
	cr_assert_eq(tsink_write(&t, at_epoch(longs(0, NULL, 0), 2)), 0);
	cr_assert_eq(tsink_write(&t, at_epoch(longs(2, (int64_t[]){ 13 }, 1),
					      2)),
		     0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 2), 0);
	tsink_close(&t);
	cr_expect_str_eq(c.log, "open(3,0) row(10) row(11) row(12) close(-) "
				"open(0,1) close(-) "
				"open(2,2) row(13) close(-) ");
}

Test(foreach, process_only_is_enough)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = { .ud = &c, .process = cb_process };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0);
	tsink_close(&t);
	cr_expect_str_eq(c.log, "row(1) row(2) ");
}

Test(foreach, process_error_fails_write_and_closes)
{
	calls c = { .fail_at_row = 21 };
	sl_sink_callbacks cb = { .ud = &c,
				 .open = cb_open,
				 .process = cb_process,
				 .close = cb_close };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	tsink_write(&t, longs(0, (int64_t[]){ 10 }, 1));
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	cr_expect_eq(tsink_write(&t, at_epoch(longs(0, (int64_t[]){ 20, 21, 22 },
						    3),
					      1)),
		     SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "process callback returned 9"), "%s",
		  t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "batch 1"), "%s", t.sk.err.msg);
	tsink_close(&t); /* must not close a second time */
	cr_expect_str_eq(c.log, "open(0,0) row(10) close(-) "
				"open(0,1) row(20) row(21) close(error) ");
}

Test(foreach, open_error_fails_without_close)
{
	calls c = { .fail_at_row = -1, .fail_open = 5 };
	sl_sink_callbacks cb = { .ud = &c,
				 .open = cb_open,
				 .process = cb_process,
				 .close = cb_close };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_expect_eq(tsink_write(&t, longs(4, (int64_t[]){ 1 }, 1)), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "open callback returned 5"), "%s",
		  t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "partition 4"), "%s", t.sk.err.msg);
	tsink_close(&t);
	cr_expect_str_eq(c.log, "open(4,0) ");
}

Test(foreach, open_error_on_empty_epoch_fails_commit)
{
	calls c = { .fail_at_row = -1, .fail_open = 1 };
	sl_sink_callbacks cb = { .ud = &c,
				 .open = cb_open,
				 .process = cb_process,
				 .close = cb_close };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_expect_eq(t.sk.ops->commit(&t.sk, 0), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "open callback"), "%s", t.sk.err.msg);
	tsink_close(&t);
	cr_expect_str_eq(c.log, "open(0,0) ");
}

Test(foreach, stop_mid_epoch_closes_with_error)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = { .ud = &c,
				 .open = cb_open,
				 .process = cb_process,
				 .close = cb_close };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	t.sk.continuous = true;
	tsink_write(&t, longs(0, (int64_t[]){ 1 }, 1));
	tsink_close(&t);
	cr_expect_str_eq(c.log, "open(0,0) row(1) close(error) ");
}

Test(foreach, init_needs_process)
{
	calls c = { 0 };
	sl_sink_callbacks cb = { .ud = &c, .batch = cb_batch };
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_foreach, &s_value, NULL, &err), 0);
	cr_expect_eq(tsink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "process callback"), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	t.sk.cb = &cb;
	cr_expect_eq(tsink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "foreachBatch"), "%s", err.msg);
	cr_expect_null(t.sk.state);
	tsink_close(&t);
}

/* ---- foreachBatch ------------------------------------------------------- */

Test(foreach_batch, gathers_the_epoch)
{
	calls c = { 0 };
	sl_sink_callbacks cb = { .ud = &c, .batch = cb_batch };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	/* The first vector is kept without a copy, the rest copied in. */
	cr_expect_eq(tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2)), 1);
	cr_expect_eq(tsink_write(&t, longs(1, (int64_t[]){ 3 }, 1)), 0);
	cr_expect_eq(tsink_write(&t, longs(0, (int64_t[]){ 4 }, 1)), 0);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	cr_expect_eq(c.sum, 10);
	cr_expect_eq(c.ncols, 1);
	cr_assert_eq(t.sk.ops->commit(&t.sk, 1), 0); /* empty batch */
	cr_expect_eq(c.nrows, 0);
	cr_expect_eq(c.ncols, 1);
	tsink_close(&t);
	cr_expect_str_eq(c.log, "batch(0,4) batch(1,0) ");
}

static char seen_name[64];

static int cb_batch_strings(void *ud, const sl_rows *rows, int64_t id)
{
	(void)ud;
	(void)id;
	cr_assert_eq(sl_rows_count(rows), 2);
	sl_rows_string(rows, 1, 1, seen_name, sizeof(seen_name));
	return 0;
}

Test(foreach_batch, later_vectors_copied)
{
	sl_sink_callbacks cb = { .batch = cb_batch_strings };
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(
		tsink_open(&t, &sl_sink_foreach_batch, &s_pair, NULL, &err), 0);
	t.sk.cb = &cb;
	cr_assert_eq(tsink_init(&t, &err), 0);
	sl_batch *a = sl_batch_new(&s_pair, 1), *b = sl_batch_new(&s_pair, 1);
	pair_add(a, 1, "first");
	pair_add(b, 2, "second");
	tsink_write(&t, a);
	tsink_write(&t, b); /* freed: its string must have been copied */
	cr_assert_eq(t.sk.ops->commit(&t.sk, 0), 0);
	cr_expect_str_eq(seen_name, "second");
	tsink_close(&t);
}

Test(foreach_batch, callback_error)
{
	calls c = { .fail_batch = 3 };
	sl_sink_callbacks cb = { .ud = &c, .batch = cb_batch };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	tsink_write(&t, longs(0, (int64_t[]){ 1 }, 1));
	cr_expect_eq(t.sk.ops->commit(&t.sk, 6), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "batch callback returned 3 for batch 6"),
		  "%s", t.sk.err.msg);
	tsink_close(&t);
}

Test(foreach_batch, init_needs_batch)
{
	calls c = { 0 };
	sl_sink_callbacks cb = { .ud = &c, .process = cb_process };
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(
		tsink_open(&t, &sl_sink_foreach_batch, &s_value, NULL, &err),
		0);
	t.sk.cb = &cb;
	cr_expect_eq(tsink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "batch callback"), "%s", err.msg);
	cr_expect(strstr(err.msg, "foreach format"), "%s", err.msg);
	tsink_close(&t);
}

Test(foreach_batch, unfinished_epoch_freed)
{
	calls c = { 0 };
	sl_sink_callbacks cb = { .ud = &c, .batch = cb_batch };
	tsink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	tsink_write(&t, longs(0, (int64_t[]){ 1 }, 1));
	tsink_write(&t, longs(0, (int64_t[]){ 2 }, 1));
	tsink_close(&t); /* ASan: the kept vector is freed */
	cr_expect_str_eq(c.log, "");
}

/* ---- noop --------------------------------------------------------------- */

Test(noop, drops_everything)
{
	tsink t;
	sl_err err = { 0 };

	cr_assert_eq(tsink_open(&t, &sl_sink_noop, &s_value, NULL, &err), 0);
	cr_assert_eq(tsink_init(&t, &err), 0);
	cr_expect_eq(tsink_write(&t, longs(0, (int64_t[]){ 1, 2 }, 2)), 0);
	cr_expect_eq(t.sk.ops->commit(&t.sk, 0), 0);
	cr_expect_eq(t.sk.ops->commit(&t.sk, 1), 0);
	tsink_close(&t);
}

Test(noop, rejects_unknown_options)
{
	tsink t;
	sl_err err = { 0 };

	cr_expect_eq(tsink_open(&t, &sl_sink_noop, &s_value,
				(const char *[]){ "numRows", "3", NULL }, &err),
		     SL_EOPTION);
	tsink_close(&t);
}

/* ---- what each sink supports -------------------------------------------- */

#define ALL_MODES                                                              \
	(SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |           \
	 SL_MODE_BIT(SL_MODE_COMPLETE))

Test(sinks, names_modes_and_triggers)
{
	cr_expect_str_eq(sl_sink_console.name, "console");
	cr_expect_str_eq(sl_sink_memory.name, "memory");
	cr_expect_str_eq(sl_sink_foreach.name, "foreach");
	cr_expect_str_eq(sl_sink_foreach_batch.name, "foreachBatch");
	cr_expect_str_eq(sl_sink_noop.name, "noop");

	/* The seed's sink table. */
	cr_expect_eq(sl_sink_console.modes, ALL_MODES);
	cr_expect_eq(sl_sink_memory.modes,
		     SL_MODE_BIT(SL_MODE_APPEND) |
			     SL_MODE_BIT(SL_MODE_COMPLETE));
	cr_expect_eq(sl_sink_foreach.modes, ALL_MODES);
	cr_expect_eq(sl_sink_foreach_batch.modes, ALL_MODES);
	cr_expect_eq(sl_sink_noop.modes, ALL_MODES);

	/* The seed's continuous section, plus foreach and noop. */
	cr_expect(sl_sink_console.continuous);
	cr_expect(sl_sink_memory.continuous);
	cr_expect(sl_sink_foreach.continuous);
	cr_expect(!sl_sink_foreach_batch.continuous);
	cr_expect(sl_sink_noop.continuous);
}

Test(sinks, option_tables_end_and_document)
{
	const sl_sink_ops *all[] = { &sl_sink_console, &sl_sink_memory,
				     &sl_sink_foreach, &sl_sink_foreach_batch,
				     &sl_sink_noop };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const sl_opt_def *d = all[i]->options;
		int n = 0;

		cr_assert_not_null(d, "%s", all[i]->name);
		for (; d->name; d++, n++) {
			cr_expect_not_null(d->desc, "%s.%s", all[i]->name,
					   d->name);
			cr_assert_lt(n, 16, "%s: no {NULL} end", all[i]->name);
		}
		cr_expect_not_null(all[i]->description);
	}
}

/* ---- sl_rows ------------------------------------------------------------ */

Test(rows, accessors)
{
	static sl_field f[] = {
		{ "Id", &sl_dtype_long, true },
		{ "score", &sl_dtype_double, true },
		{ "ok", &sl_dtype_bool, true },
		{ "name", &sl_dtype_string, true },
	};
	static const sl_schema sc = { 4, f };
	sl_batch *b = sl_batch_new(&sc, 2);
	sl_value *r = sl_batch_add_row(b);
	char buf[16];

	r[0] = sl_v_long(-7);
	r[1] = sl_v_double(2.9);
	r[2] = sl_v_bool(true);
	r[3] = arena_str(b, "x");
	sl_batch_add_row(b); /* all nulls */

	cr_expect_eq(sl_rows_count(b), 2);
	cr_expect_eq(sl_rows_ncols(b), 4);
	cr_expect_str_eq(sl_rows_colname(b, 1), "score");
	cr_expect_null(sl_rows_colname(b, 4));
	cr_expect_eq(sl_rows_colindex(b, "id"), 0);
	cr_expect_eq(sl_rows_colindex(b, "NAME"), 3);
	cr_expect_eq(sl_rows_colindex(b, "nope"), -1);

	cr_expect_eq(sl_rows_long(b, 0, 0), -7);
	cr_expect_eq(sl_rows_long(b, 0, 1), 2); /* truncated */
	cr_expect_eq(sl_rows_long(b, 0, 2), 1);
	cr_expect_eq(sl_rows_long(b, 0, 3), 0); /* not numeric */
	cr_expect_float_eq(sl_rows_double(b, 0, 1), 2.9, 1e-12);
	cr_expect_float_eq(sl_rows_double(b, 0, 0), -7.0, 1e-12);
	cr_expect_str_eq(sl_rows_string(b, 0, 3, buf, sizeof(buf)), "x");
	cr_expect_str_eq(sl_rows_string(b, 0, 0, buf, sizeof(buf)), "-7");

	cr_expect(!sl_rows_is_null(b, 0, 0));
	cr_expect(sl_rows_is_null(b, 1, 0));
	cr_expect_eq(sl_rows_long(b, 1, 0), 0);
	cr_expect_str_eq(sl_rows_string(b, 1, 3, buf, sizeof(buf)), "null");

	/* Out of range reads as null rather than crashing. */
	cr_expect(sl_rows_is_null(b, 2, 0));
	cr_expect(sl_rows_is_null(b, 0, 9));
	cr_expect_eq(sl_rows_long(b, 5, 0), 0);
	cr_expect_str_eq(sl_rows_string(b, 5, 0, buf, sizeof(buf)), "null");
	sl_rows_free(b);

	cr_expect_eq(sl_rows_count(NULL), 0);
	cr_expect_eq(sl_rows_ncols(NULL), 0);
	cr_expect_eq(sl_rows_colindex(NULL, "x"), -1);
	sl_rows_free(NULL);
}

Test(rows, long_from_double_saturates)
{
	static sl_field f[] = { { "d", &sl_dtype_double, true } };
	static const sl_schema sc = { 1, f };
	sl_batch *b = sl_batch_new(&sc, 3);

	sl_batch_add_row(b)[0] = sl_v_double(1e300);
	sl_batch_add_row(b)[0] = sl_v_double(-1e300);
	sl_batch_add_row(b)[0] = sl_v_double(0.0 / 0.0);
	cr_expect_eq(sl_rows_long(b, 0, 0), INT64_MAX);
	cr_expect_eq(sl_rows_long(b, 1, 0), INT64_MIN);
	cr_expect_eq(sl_rows_long(b, 2, 0), 0);
	sl_rows_free(b);
}
