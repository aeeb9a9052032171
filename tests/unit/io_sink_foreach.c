/* tests/unit/io_sink_foreach.c - the foreach and foreachBatch sinks
 * (io/sink_foreach.c): the order of the open, process and close callbacks
 * per partition and epoch, a failing callback failing the write or the
 * commit, the epoch gathered for the batch callback, and the callbacks each
 * needs. The harness is tests/support/sink_harness.h. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/sink_harness.h"

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

static void calls_log(calls *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void calls_log(calls *c, const char *fmt, ...)
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

	calls_log(c, "open(%u,%lld) ", partition, (long long)epoch);
	return c->fail_open;
}

static int cb_process(void *ud, const sl_rows *rows, uint32_t i)
{
	calls *c = ud;
	int64_t v = sl_rows_long(rows, i, 0);

	calls_log(c, "row(%lld) ", (long long)v);
	return v == c->fail_at_row ? 9 : 0;
}

static void cb_close(void *ud, const char *error)
{
	calls *c = ud;

	calls_log(c, "close(%s) ", error ? "error" : "-");
}

static int cb_batch(void *ud, const sl_rows *rows, int64_t id)
{
	calls *c = ud;

	c->nrows = sl_rows_count(rows);
	c->ncols = sl_rows_ncols(rows);
	c->sum = 0;
	for (uint32_t i = 0; i < c->nrows; i++)
		c->sum += sl_rows_long(rows, i, 0);
	calls_log(c, "batch(%lld,%u) ", (long long)id, c->nrows);
	return c->fail_batch;
}

/* foreach's full set: open, process and close, logging into c. */
static sl_sink_callbacks row_callbacks(calls *c)
{
	return (sl_sink_callbacks){ .size = sizeof(sl_sink_callbacks), .ud = c,
				    .open = cb_open,
				    .process = cb_process,
				    .close = cb_close };
}

/* foreachBatch's one callback, logging into c. */
static sl_sink_callbacks batch_callback(calls *c)
{
	return (sl_sink_callbacks){ .size = sizeof(sl_sink_callbacks), .ud = c, .batch = cb_batch };
}

/* The sink thread stamps every vector with its epoch before write. */
static sl_batch *at_epoch(sl_batch *b, int64_t epoch)
{
	b->epoch = epoch;
	return b;
}

static void foreach_open_sink(sl_test_sink *t, const sl_sink_ops *ops,
			      sl_sink_callbacks *cb)
{
	sl_err err = { 0 };

	cr_assert_eq(
		sl_test_sink_open(t, ops, &sl_test_long_schema, NULL, &err), 0);
	t->sk.cb = cb;
	cr_assert_eq(sl_test_sink_init(t, &err), 0, "%s", err.msg);
}

Test(foreach, call_sequence)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = row_callbacks(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_assert_eq(
		sl_test_sink_write(
			&t, sl_test_long_batch(3, (int64_t[]){ 10, 11 }, 2)),
		0);
	cr_assert_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(1, (int64_t[]){ 12 }, 1)),
		     0);
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	/* An epoch without rows is opened and closed all the same. */
	cr_assert_eq(sl_test_sink_commit(&t, 1), 0);
	cr_assert_eq(sl_test_sink_write(
			     &t, at_epoch(sl_test_long_batch(0, NULL, 0), 2)),
		     0);
	cr_assert_eq(sl_test_sink_write(
			     &t, at_epoch(sl_test_long_batch(
						  2, (int64_t[]){ 13 }, 1),
					  2)),
		     0);
	cr_assert_eq(sl_test_sink_commit(&t, 2), 0);
	sl_test_sink_close(&t);
	cr_expect_str_eq(c.log, "open(3,0) row(10) row(11) row(12) close(-) "
				"open(0,1) close(-) "
				"open(2,2) row(13) close(-) ");
}

Test(foreach, process_only_is_enough)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .process = cb_process };
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1, 2 }, 2));
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	cr_assert_eq(sl_test_sink_commit(&t, 1), 0);
	sl_test_sink_close(&t);
	cr_expect_str_eq(c.log, "row(1) row(2) ");
}

Test(foreach, process_error_fails_write_and_closes)
{
	calls c = { .fail_at_row = 21 };
	sl_sink_callbacks cb = row_callbacks(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 10 }, 1));
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	cr_expect_eq(
		sl_test_sink_write(
			&t, at_epoch(sl_test_long_batch(
					     0, (int64_t[]){ 20, 21, 22 }, 3),
				     1)),
		SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "process callback returned 9"), "%s",
		  t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "batch 1"), "%s", t.sk.err.msg);
	sl_test_sink_close(&t); /* must not close a second time */
	cr_expect_str_eq(c.log, "open(0,0) row(10) close(-) "
				"open(0,1) row(20) row(21) close(error) ");
}

Test(foreach, open_error_fails_without_close)
{
	calls c = { .fail_at_row = -1, .fail_open = 5 };
	sl_sink_callbacks cb = row_callbacks(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_expect_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(4, (int64_t[]){ 1 }, 1)),
		     SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "open callback returned 5"), "%s",
		  t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "partition 4"), "%s", t.sk.err.msg);
	sl_test_sink_close(&t);
	cr_expect_str_eq(c.log, "open(4,0) ");
}

Test(foreach, open_error_on_empty_epoch_fails_commit)
{
	calls c = { .fail_at_row = -1, .fail_open = 1 };
	sl_sink_callbacks cb = row_callbacks(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	cr_expect_eq(sl_test_sink_commit(&t, 0), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "open callback"), "%s", t.sk.err.msg);
	sl_test_sink_close(&t);
	cr_expect_str_eq(c.log, "open(0,0) ");
}

Test(foreach, stop_mid_epoch_closes_with_error)
{
	calls c = { .fail_at_row = -1 };
	sl_sink_callbacks cb = row_callbacks(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach, &cb);
	t.sk.continuous = true;
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1 }, 1));
	sl_test_sink_close(&t);
	cr_expect_str_eq(c.log, "open(0,0) row(1) close(error) ");
}

Test(foreach, init_needs_process)
{
	calls c = { 0 };
	sl_sink_callbacks cb = batch_callback(&c);
	sl_test_sink t;
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_foreach,
				       &sl_test_long_schema, NULL, &err),
		     0);
	cr_expect_eq(sl_test_sink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "process callback"), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	t.sk.cb = &cb;
	cr_expect_eq(sl_test_sink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "foreachBatch"), "%s", err.msg);
	cr_expect_null(t.sk.state);
	sl_test_sink_close(&t);
}

/* ---- foreachBatch ------------------------------------------------------- */

Test(foreach_batch, gathers_the_epoch)
{
	calls c = { 0 };
	sl_sink_callbacks cb = batch_callback(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	/* The first vector is kept without a copy, the rest copied in. */
	cr_expect_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(0, (int64_t[]){ 1, 2 }, 2)),
		     1);
	cr_expect_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(1, (int64_t[]){ 3 }, 1)),
		     0);
	cr_expect_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(0, (int64_t[]){ 4 }, 1)),
		     0);
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	cr_expect_eq(c.sum, 10);
	cr_expect_eq(c.ncols, 1);
	cr_assert_eq(sl_test_sink_commit(&t, 1), 0); /* empty batch */
	cr_expect_eq(c.nrows, 0);
	cr_expect_eq(c.ncols, 1);
	sl_test_sink_close(&t);
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
	sl_sink_callbacks cb = { .size = sizeof(cb), .batch = cb_batch_strings };
	sl_test_sink t;
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_foreach_batch,
				       &sl_test_pair_schema, NULL, &err),
		     0);
	t.sk.cb = &cb;
	cr_assert_eq(sl_test_sink_init(&t, &err), 0);
	sl_batch *a = sl_batch_new(&sl_test_pair_schema, 1),
		 *b = sl_batch_new(&sl_test_pair_schema, 1);
	sl_test_pair_add(a, 1, "first");
	sl_test_pair_add(b, 2, "second");
	sl_test_sink_write(&t, a);
	sl_test_sink_write(&t, b); /* freed: its string must have been copied */
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	cr_expect_str_eq(seen_name, "second");
	sl_test_sink_close(&t);
}

Test(foreach_batch, callback_error)
{
	calls c = { .fail_batch = 3 };
	sl_sink_callbacks cb = batch_callback(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1 }, 1));
	cr_expect_eq(sl_test_sink_commit(&t, 6), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "batch callback returned 3 for batch 6"),
		  "%s", t.sk.err.msg);
	sl_test_sink_close(&t);
}

Test(foreach_batch, init_needs_batch)
{
	calls c = { 0 };
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .process = cb_process };
	sl_test_sink t;
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_foreach_batch,
				       &sl_test_long_schema, NULL, &err),
		     0);
	t.sk.cb = &cb;
	cr_expect_eq(sl_test_sink_init(&t, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "batch callback"), "%s", err.msg);
	cr_expect(strstr(err.msg, "foreach format"), "%s", err.msg);
	sl_test_sink_close(&t);
}

Test(foreach_batch, unfinished_epoch_freed)
{
	calls c = { 0 };
	sl_sink_callbacks cb = batch_callback(&c);
	sl_test_sink t;

	foreach_open_sink(&t, &sl_sink_foreach_batch, &cb);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1 }, 1));
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 2 }, 1));
	sl_test_sink_close(&t); /* ASan: the kept vector is freed */
	cr_expect_str_eq(c.log, "");
}
