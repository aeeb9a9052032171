/* tests/unit/io_rate.c - the rate and rate-micro-batch sources: options,
 * schema, values and timestamps per partition, pacing, caps, ramp-up, and
 * micro-batch contents. Timing tests count rows over a stretch of time with
 * generous bounds; none of them measures speed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/plugin.h"
#include "tests/support/source_harness.h"

extern const sl_source_ops sl_source_rate, sl_source_rate_micro_batch;

SL_TEST_SOURCE_FIXTURE

TestSuite(rate, .init = source_setup, .fini = source_teardown);
TestSuite(rmb, .init = source_setup, .fini = source_teardown);

/* Builds a source the way a session does: apply the table, then init. */
static int make_source(const sl_source_ops *ops, const char *const *kv,
		       sl_source *src)
{
	return sl_test_source_make(ops, kv, src, &arena, &err);
}

#define SRC(ops, src, ...) SL_TEST_SRC(&arena, &err, ops, src, __VA_ARGS__)

static void open_part(sl_source *src, sl_source_part *p, uint32_t i)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->index = i;
	cr_assert_eq(src->ops->open(p), 0);
}

static void close_source(sl_source *src, sl_source_part *parts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		src->ops->close(&parts[i]);
	if (src->ops->destroy)
		src->ops->destroy(src);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int64_t val(const sl_batch *b, uint32_t row, uint32_t col)
{
	return sl_batch_row(b, row)[col].v.i64;
}

/* ---- rate ------------------------------------------------------------- */

Test(rate, schema_and_flags)
{
	sl_source src;

	SRC(&sl_source_rate, &src, "numPartitions", "4");
	cr_assert_eq(src.nparts, 4);
	cr_assert_eq(src.schema->n, 2);
	cr_assert_str_eq(src.schema->fields[0].name, "timestamp");
	cr_assert_eq(src.schema->fields[0].type->id, SL_TIMESTAMP);
	cr_assert_not(src.schema->fields[0].nullable);
	cr_assert_str_eq(src.schema->fields[1].name, "value");
	cr_assert_eq(src.schema->fields[1].type->id, SL_LONG);
	cr_assert_not(src.schema->fields[1].nullable);
	cr_assert(sl_source_rate.continuous);
	cr_assert_str_eq(sl_source_rate.name, "rate");
	src.ops->destroy(&src);
}

Test(rate, defaults)
{
	sl_source src;

	cr_assert_eq(make_source(&sl_source_rate, NULL, &src), 0, "%s",
		     err.msg);
	cr_assert_eq(src.nparts, 1);
	src.ops->destroy(&src);
}

Test(rate, bad_options)
{
	sl_source src;

	cr_assert_eq(
	    make_source(&sl_source_rate,
			(const char *const[]){"rowsPerSecond", "0", NULL},
			&src),
	    SL_EOPTION);
	cr_assert(strstr(err.msg, "source 'rate': option 'rowsPerSecond' = "
				  "'0' is out of range"),
		  "%s", err.msg);
	cr_assert_eq(
	    make_source(&sl_source_rate,
			(const char *const[]){"rowsPerSecond", "abc", NULL},
			&src),
	    SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'rate': option 'rowsPerSecond' = "
				  "'abc' is not a number");
	cr_assert_eq(
	    make_source(&sl_source_rate,
			(const char *const[]){"numPartitions", "0", NULL},
			&src),
	    SL_EOPTION);
	cr_assert_eq(
	    make_source(&sl_source_rate,
			(const char *const[]){"rowsPerBatch", "5", NULL}, &src),
	    SL_EOPTION);
	cr_assert(strstr(err.msg, "unknown option 'rowsPerBatch'"), "%s",
		  err.msg);
}

/* Partition p of P produces p, p+P, ...; value v is stamped
 * start + v * 1e6 / rowsPerSecond microseconds. */
Test(rate, values_and_timestamps_per_partition)
{
	sl_source src;
	sl_source_part parts[3];
	int64_t start = -1, before = sl_wall_us();

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1000", "numPartitions",
	    "3");
	for (uint32_t i = 0; i < 3; i++)
		open_part(&src, &parts[i], i);
	sleep_ms(60);
	for (uint32_t i = 0; i < 3; i++) {
		sl_batch *b = NULL;
		int n = src.ops->poll(&parts[i], INT64_MAX, 0, &b);

		cr_assert_geq(n, 10, "partition %u: %d rows", i, n);
		cr_assert_not_null(b);
		cr_assert_eq(b->nrows, (uint32_t)n);
		cr_assert_eq(b->partition, i);
		cr_assert_eq(b->end_offset, n);
		cr_assert_eq(parts[i].offset, n);
		cr_assert_gt(b->ingest_ns, 0);
		for (int r = 0; r < n; r++) {
			int64_t v = val(b, (uint32_t)r, 1);
			int64_t ts = val(b, (uint32_t)r, 0);

			cr_assert_eq(sl_batch_row(b, (uint32_t)r)[0].type,
				     SL_TIMESTAMP);
			cr_assert_eq(sl_batch_row(b, (uint32_t)r)[1].type,
				     SL_LONG);
			cr_assert_eq(v, i + 3 * r);
			/* 1000 rows/s: one millisecond per value. */
			if (start < 0)
				start = ts - v * 1000;
			cr_assert_eq(ts, start + v * 1000, "v=%lld",
				     (long long)v);
		}
		sl_batch_free(b);
	}
	/* The clock starts when the query opens the partitions. */
	cr_assert_geq(start, before);
	cr_assert_lt(start, before + 1000000);
	close_source(&src, parts, 3);
}

Test(rate, timestamps_with_odd_rate)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;
	int n;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "3");
	open_part(&src, &p, 0);
	/* Value 0 is due at once; value 1 after 333333 us. */
	for (int64_t v = 0; v < 3; v++) {
		n = src.ops->poll(&p, INT64_MAX, v ? 2000000000 : 0, &b);
		cr_assert_eq(n, 1, "poll for value %lld", (long long)v);
		cr_assert_eq(val(b, 0, 1), v);
		sl_batch_free(b);
	}
	close_source(&src, &p, 1);
}

/* Polls p for rows below end, waiting up to wait_ns, and gets none; how
 * long that poll took. */
static int64_t poll_nothing(sl_source *src, sl_source_part *p, int64_t end,
			    int64_t wait_ns)
{
	sl_batch *b = NULL;
	int64_t t0 = sl_now_ns();

	cr_assert_eq(src->ops->poll(p, end, wait_ns, &b), 0);
	cr_assert_null(b);
	return sl_now_ns() - t0;
}

/* 1000 rows/s for ~300 ms is ~300 rows: the count is checked, loosely. */
Test(rate, pacing)
{
	sl_source src;
	sl_source_part p;
	int64_t t0, rows = 0;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1000");
	open_part(&src, &p, 0);
	t0 = sl_now_ns();
	while (sl_now_ns() - t0 < 300000000) {
		sl_batch *b = NULL;
		int n = src.ops->poll(&p, INT64_MAX, 10000000, &b);

		cr_assert_geq(n, 0);
		if (n)
			cr_assert_eq(val(b, 0, 1), rows);
		rows += n;
		sl_batch_free(b);
	}
	cr_assert(rows >= 200 && rows <= 400, "%lld rows", (long long)rows);
	cr_assert_eq(p.offset, rows);
	close_source(&src, &p, 1);
}

/* Nothing due: poll waits (here, till its wait_ns runs out) and returns no
 * rows rather than spinning or making rows early. */
Test(rate, waits_when_nothing_due)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1");
	open_part(&src, &p, 0);
	cr_assert_eq(src.ops->poll(&p, INT64_MAX, 0, &b), 1);
	sl_batch_free(b);
	b = NULL;
	cr_assert_geq(poll_nothing(&src, &p, INT64_MAX, 30000000), 25000000,
		      "poll did not wait");
	cr_assert_eq(src.ops->poll(&p, INT64_MAX, 0, &b), 0);
	cr_assert_eq(p.offset, 1);
	close_source(&src, &p, 1);
}

Test(rate, end_cap)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "100000");
	open_part(&src, &p, 0);
	sleep_ms(20);
	cr_assert_eq(src.ops->poll(&p, 5, 0, &b), 5);
	cr_assert_eq(b->end_offset, 5);
	cr_assert_eq(val(b, 4, 1), 4);
	sl_batch_free(b);
	b = NULL;
	/* At the end already: no rows, and no waiting either. */
	cr_assert_lt(poll_nothing(&src, &p, 5, 1000000000), 500000000);
	cr_assert_eq(src.ops->poll(&p, 8, 0, &b), 3);
	cr_assert_eq(val(b, 0, 1), 5);
	cr_assert_eq(p.offset, 8);
	sl_batch_free(b);
	close_source(&src, &p, 1);
}

Test(rate, vector_size_cap)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;
	int n;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1000000");
	open_part(&src, &p, 0);
	sleep_ms(20);
	n = src.ops->poll(&p, INT64_MAX, 0, &b);
	cr_assert_eq(n, 1024);
	sl_batch_free(b);
	n = src.ops->poll(&p, INT64_MAX, 0, &b);
	cr_assert_gt(n, 0);
	cr_assert_eq(val(b, 0, 1), 1024);
	sl_batch_free(b);
	close_source(&src, &p, 1);
}

Test(rate, latest_is_due_offset)
{
	sl_source src;
	sl_source_part parts[2];
	int64_t l0, l1, l0b;
	sl_batch *b = NULL;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1000", "numPartitions",
	    "2");
	open_part(&src, &parts[0], 0);
	open_part(&src, &parts[1], 1);
	sleep_ms(100);
	l0 = src.ops->latest(&parts[0], 0);
	l1 = src.ops->latest(&parts[1], 0);
	/* ~100 rows due over two partitions: ~50 each. */
	cr_assert(l0 >= 25 && l0 <= 150, "%lld", (long long)l0);
	cr_assert(l1 >= l0 - 1 && l1 <= l0, "%lld %lld", (long long)l0,
		  (long long)l1);
	cr_assert_eq(src.ops->poll(&parts[0], l0, 0, &b), l0);
	cr_assert_eq(parts[0].offset, l0);
	sl_batch_free(b);
	l0b = src.ops->latest(&parts[0], 1);
	cr_assert_geq(l0b, l0);
	close_source(&src, parts, 2);
}

/* rampUpTime 100 ms at 1000 rows/s: the rate grows linearly, so value v of
 * the first R*T/2 = 50 is due at sqrt(2 T v / R) seconds, and after the
 * ramp at v / R + T / 2. */
Test(rate, ramp_up_shape)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;
	int64_t t0, due;
	double el;
	int n;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "1000", "rampUpTime",
	    "100 ms");
	t0 = sl_now_ns();
	open_part(&src, &p, 0);
	sleep_ms(250);
	due = src.ops->latest(&p, 0);
	el = (double)(sl_now_ns() - t0) / 1e9;
	/* At least 250 ms in: 50 rows in the ramp, 150 after it, and value 0
	 * at once. Without the ramp there would be 50 more. */
	cr_assert_geq(due, 200, "%lld", (long long)due);
	cr_assert_leq(due, 50 + 1000 * (el - 0.1) + 2, "%lld after %.3f s",
		      (long long)due, el);
	n = src.ops->poll(&p, 120, 0, &b);
	cr_assert_eq(n, 120);
	t0 = val(b, 0, 0);
	cr_assert(llabs(val(b, 1, 0) - t0 - 14142) <= 1, "%lld",
		  (long long)(val(b, 1, 0) - t0));
	cr_assert(llabs(val(b, 10, 0) - t0 - 44721) <= 1);
	cr_assert(llabs(val(b, 50, 0) - t0 - 100000) <= 1);
	cr_assert(llabs(val(b, 100, 0) - t0 - 150000) <= 1);
	cr_assert(llabs(val(b, 110, 0) - t0 - 160000) <= 1);
	/* Gaps shrink during the ramp and settle at 1 ms after it. */
	cr_assert_gt(val(b, 2, 0) - val(b, 1, 0),
		     val(b, 41, 0) - val(b, 40, 0));
	cr_assert(llabs(val(b, 101, 0) - val(b, 100, 0) - 1000) <= 1);
	for (int r = 1; r < n; r++)
		cr_assert_geq(val(b, (uint32_t)r, 0),
			      val(b, (uint32_t)r - 1, 0));
	sl_batch_free(b);
	close_source(&src, &p, 1);
}

/* The clock restarts for a new query: opening after every partition closed
 * starts the values' schedule again from now. */
Test(rate, clock_restarts_per_query)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "10");
	open_part(&src, &p, 0);
	src.ops->close(&p);
	sleep_ms(300);
	open_part(&src, &p, 0);
	/* Only value 0 is due at once, not the ~3 since the first open. */
	cr_assert_eq(src.ops->poll(&p, INT64_MAX, 0, &b), 1);
	sl_batch_free(b);
	close_source(&src, &p, 1);
}

/* Value v's offset from the start without a ramp: v / R seconds, rounded
 * down to the microsecond. */
static int64_t due_us(int64_t v, int64_t r)
{
	return (v / r) * 1000000 + (v % r) * 1000000 / r;
}

/* One vector that crosses from one second into the next, with a rate whose
 * microseconds per value are not whole: every row's timestamp is exactly
 * the due time of its value, as the closed form gives it. */
Test(rate, timestamps_across_a_second)
{
	const int64_t r = 999999937;
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;
	int64_t v0;
	int n;

	SRC(&sl_source_rate, &src, "rowsPerSecond", "999999937",
	    "numPartitions", "3");
	/* Resume partition 1 a few values before value R (second 1). */
	memset(&p, 0, sizeof(p));
	p.src = &src;
	p.index = 1;
	p.has_resume = true;
	p.resume = (r - 30) / 3;
	cr_assert_eq(src.ops->open(&p), 0);
	v0 = 1 + 3 * p.resume;
	sleep_ms(20);
	n = src.ops->poll(&p, INT64_MAX, 0, &b);
	cr_assert_gt(n, 100, "%d rows", n);
	cr_assert_eq(val(b, 0, 1), v0);
	for (int k = 0; k < n; k++) {
		int64_t v = val(b, (uint32_t)k, 1);

		cr_assert_eq(v, v0 + 3 * k);
		cr_assert_eq(val(b, (uint32_t)k, 0) - val(b, 0, 0),
			     due_us(v, r) - due_us(v0, r), "v=%lld",
			     (long long)v);
	}
	cr_assert_gt(val(b, (uint32_t)n - 1, 1), r);
	sl_batch_free(b);
	close_source(&src, &p, 1);
}

/* ---- rate-micro-batch ------------------------------------------------- */

Test(rmb, requires_rows_per_batch)
{
	sl_source src;

	cr_assert_eq(make_source(&sl_source_rate_micro_batch, NULL, &src),
		     SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'rate-micro-batch': option "
				  "'rowsPerBatch' is required");
	cr_assert_eq(
	    make_source(&sl_source_rate_micro_batch,
			(const char *const[]){"rowsPerBatch", "0", NULL}, &src),
	    SL_EOPTION);
	cr_assert_not(sl_source_rate_micro_batch.continuous);
	cr_assert_str_eq(sl_source_rate_micro_batch.name, "rate-micro-batch");
}

Test(rmb, batch_contents_and_latest)
{
	static const int64_t want_l0[3] = {4, 3, 3}; /* values 0..9 */
	static const int64_t want_l1[3] = {7, 7, 6}; /* values 0..19 */
	sl_source src;
	sl_source_part parts[3];

	SRC(&sl_source_rate_micro_batch, &src, "rowsPerBatch", "10",
	    "numPartitions", "3", "startTimestamp", "1000",
	    "advanceMillisPerBatch", "500");
	cr_assert_eq(src.nparts, 3);
	cr_assert_eq(src.schema->fields[1].type->id, SL_LONG);
	for (uint32_t i = 0; i < 3; i++) {
		sl_source_part *p = &parts[i];
		sl_batch *b = NULL;
		int64_t end;

		open_part(&src, p, i);
		cr_assert_eq(p->offset, 0);
		end = src.ops->latest(p, 0);
		cr_assert_eq(end, want_l0[i]);
		cr_assert_eq(src.ops->poll(p, end, 0, &b), end);
		for (uint32_t r = 0; r < b->nrows; r++) {
			cr_assert_eq(val(b, r, 1), i + 3 * r);
			cr_assert_lt(val(b, r, 1), 10);
			cr_assert_eq(val(b, r, 0), 1000 * 1000);
		}
		cr_assert_eq(b->end_offset, end);
		cr_assert_eq(b->partition, i);
		sl_batch_free(b);
		b = NULL;
		/* At the batch's end: nothing more, at once. */
		cr_assert_eq(src.ops->poll(p, end, 1000000000, &b), 0);
		cr_assert_null(b);

		end = src.ops->latest(p, 1);
		cr_assert_eq(end, want_l1[i]);
		cr_assert_eq(src.ops->poll(p, end, 0, &b),
			     want_l1[i] - want_l0[i]);
		for (uint32_t r = 0; r < b->nrows; r++) {
			int64_t v = val(b, r, 1);

			cr_assert(v >= 10 && v < 20 && v % 3 == i);
			cr_assert_eq(val(b, r, 0), 1500 * 1000);
		}
		sl_batch_free(b);
	}
	close_source(&src, parts, 3);
}

Test(rmb, defaults_and_big_batches)
{
	sl_source src;
	sl_source_part p;
	int64_t end, got = 0;

	SRC(&sl_source_rate_micro_batch, &src, "rowsPerBatch", "3000");
	cr_assert_eq(src.nparts, 1);
	open_part(&src, &p, 0);
	cr_assert_eq(src.ops->latest(&p, 0), 3000);
	cr_assert_eq(src.ops->latest(&p, 4), 15000);
	end = src.ops->latest(&p, 1);
	while (p.offset < end) {
		sl_batch *b = NULL;
		int n = src.ops->poll(&p, end, 0, &b);

		cr_assert(n > 0 && n <= 1024, "%d", n);
		for (uint32_t r = 0; r < b->nrows; r++) {
			int64_t v = val(b, r, 1);

			cr_assert_eq(v, got + r);
			/* startTimestamp 0, advanceMillisPerBatch 1000. */
			cr_assert_eq(val(b, r, 0), v < 3000 ? 0 : 1000000);
		}
		got += n;
		sl_batch_free(b);
	}
	cr_assert_eq(got, 6000);
	close_source(&src, &p, 1);
}

Test(rmb, refuses_continuous)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;

	SRC(&sl_source_rate_micro_batch, &src, "rowsPerBatch", "5");
	open_part(&src, &p, 0);
	cr_assert_lt(src.ops->poll(&p, INT64_MAX, 0, &b), 0);
	cr_assert_null(b);
	cr_assert(strstr(p.err.msg, "micro-batch"), "%s", p.err.msg);
	close_source(&src, &p, 1);
}

/* Batches smaller than the step between a partition's values: every row
 * of one vector lies in another batch, and each has its batch's time. */
Test(rmb, many_batches_in_one_vector)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b = NULL;

	SRC(&sl_source_rate_micro_batch, &src, "rowsPerBatch", "2",
	    "numPartitions", "3", "startTimestamp", "7",
	    "advanceMillisPerBatch", "13");
	open_part(&src, &p, 1);
	cr_assert_eq(src.ops->poll(&p, 300, 0, &b), 300);
	for (uint32_t k = 0; k < 300; k++) {
		int64_t v = val(b, k, 1);

		cr_assert_eq(v, 1 + 3 * (int64_t)k);
		cr_assert_eq(val(b, k, 0), (7 + v / 2 * 13) * 1000, "v=%lld",
			     (long long)v);
	}
	sl_batch_free(b);
	close_source(&src, &p, 1);
}
