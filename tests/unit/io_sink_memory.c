/* tests/unit/io_sink_memory.c - the memory sink (io/sink_memory.c): it
 * needs a query name, publishes a session table at each commit (appended
 * or, in complete mode, replaced), deep-copies strings, and drops an
 * unfinished epoch. The harness is tests/support/sink_harness.h. */
#include <criterion/criterion.h>

#include "engine/engine.h"
#include "tests/support/sink_harness.h"

/* ---- memory ------------------------------------------------------------- */

/* Starts the memory sink for table name in session s, in mode. */
static void memory_start(sl_test_sink *t, sl_session *s, const sl_schema *sc,
			 const char *name, sl_output_mode mode)
{
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(t, &sl_sink_memory, sc, NULL, &err), 0);
	t->sk.publish = sl_session_table_publish;
	t->sk.publish_arg = s;
	t->sk.query_name = name;
	t->sk.mode = mode;
	cr_assert_eq(sl_test_sink_init(t, &err), 0, "%s", err.msg);
}

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
	sl_test_sink t;
	sl_err err = { 0 };
	sl_session *s = sl_session_new();

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_memory,
				       &sl_test_long_schema, NULL, &err),
		     0);
	t.sk.publish = sl_session_table_publish;
	t.sk.publish_arg = s;
	cr_expect_eq(sl_test_sink_init(&t, &err), SL_EOPTION);
	cr_expect_str_eq(err.msg, "memory sink needs queryName (the table's "
				  "name)");
	cr_expect_null(t.sk.state);
	sl_test_sink_close(&t);
	sl_session_destroy(s);
}

Test(memory, append_publishes_at_commit)
{
	sl_test_sink t;
	sl_session *s = sl_session_new();

	memory_start(&t, s, &sl_test_long_schema, "counts", SL_MODE_APPEND);
	/* The table exists, empty, as soon as the query starts. */
	table_longs(s, "counts", NULL, 0);

	cr_assert_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(0, (int64_t[]){ 1, 2 }, 2)),
		     0);
	cr_assert_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(1, (int64_t[]){ 3 }, 1)),
		     0);
	table_longs(s, "counts", NULL, 0); /* not before the commit */
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3 }, 3);

	cr_assert_eq(sl_test_sink_commit(&t, 1), 0); /* empty batch */
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 4 }, 1));
	cr_assert_eq(sl_test_sink_commit(&t, 2), 0);
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3, 4 }, 4);
	sl_test_sink_close(&t);

	/* The table outlives its query, as Spark's does. */
	table_longs(s, "counts", (int64_t[]){ 1, 2, 3, 4 }, 4);
	sl_session_destroy(s);
}

Test(memory, strings_are_deep_copies)
{
	sl_test_sink t;
	sl_session *s = sl_session_new();
	char buf[64];

	memory_start(&t, s, &sl_test_pair_schema, "people", SL_MODE_APPEND);
	sl_batch *b = sl_batch_new(&sl_test_pair_schema, 2);
	sl_test_pair_add(b, 1, "ada");
	sl_test_pair_add(b, -1, NULL);
	sl_test_sink_write(&t, b); /* freed here: the sink must have copied */
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	sl_test_sink_close(&t);

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
	sl_test_sink t;
	sl_session *s = sl_session_new();

	memory_start(&t, s, &sl_test_long_schema, "totals", SL_MODE_COMPLETE);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	table_longs(s, "totals", (int64_t[]){ 1, 2 }, 2);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 5 }, 1));
	cr_assert_eq(sl_test_sink_commit(&t, 1), 0);
	table_longs(s, "totals", (int64_t[]){ 5 }, 1);
	/* An empty result table empties the table. */
	cr_assert_eq(sl_test_sink_commit(&t, 2), 0);
	table_longs(s, "totals", NULL, 0);
	sl_test_sink_close(&t);
	sl_session_destroy(s);
}

Test(memory, unfinished_epoch_dropped_at_destroy)
{
	sl_test_sink t;
	sl_session *s = sl_session_new();

	memory_start(&t, s, &sl_test_long_schema, "half", SL_MODE_APPEND);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1 }, 1));
	sl_test_sink_close(&t); /* no commit: ASan checks the rows are freed */
	table_longs(s, "half", NULL, 0);
	sl_session_destroy(s);
}
