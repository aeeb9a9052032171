/* io/source_rate.c - the rate sources, Spark's test and benchmark sources.
 *
 * "rate" (Spark's RateStreamProvider) produces rowsPerSecond rows a second
 * on a wall-clock schedule, optionally ramping up; it runs in micro-batch
 * and continuous queries. "rate-micro-batch" (RatePerMicroBatchProvider)
 * produces exactly rowsPerBatch rows per micro-batch with synthetic
 * timestamps, independent of time, which makes micro-batch tests
 * deterministic. Both have the schema (timestamp TIMESTAMP, value BIGINT)
 * and split values round-robin over partitions: partition p of P produces
 * p, p + P, p + 2P, ... and its offset counts the rows it has produced.
 *
 * Resuming from a checkpoint (p->has_resume), a partition starts at the
 * given offset: rate-micro-batch simply goes on (its rows depend on the
 * offset alone); rate's clock restarts at open, shifted so that the first
 * value resumed is due at once and the rest at the configured rate after
 * it, with timestamps on the new clock: no burst of every row "due" while
 * the query was down, and timestamps still grow with value. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "io/plugin.h"

/* Rows per record vector: big enough to amortise the ring hop, small
 * enough that a catching-up partition still hands rows on promptly. */
#define RATE_MAX_ROWS 1024

/* Partition threads are threads, so more would only thrash. */
#define RATE_MAX_PARTS 1024

static const sl_schema *rate_schema(sl_arena *a)
{
	sl_schema *s = sl_schema_new(a, 2);

	s->fields[0].name = "timestamp";
	s->fields[0].type = &sl_dtype_timestamp;
	s->fields[0].nullable = false;
	s->fields[1].name = "value";
	s->fields[1].type = &sl_dtype_long;
	s->fields[1].nullable = false;
	return s;
}

/* Rows of partition p among the first n values 0..n-1 (v % P == p). */
static int64_t part_count(int64_t n, uint32_t p, uint32_t nparts)
{
	return n > p ? (n - p - 1) / nparts + 1 : 0;
}

/* ---- rate ------------------------------------------------------------- */

struct rate_conf {
	int64_t rows_per_second;
	int64_t num_partitions;
	int64_t ramp_up_ms;
};

/* Shared by the partitions of one source. The clock starts when the first
 * partition of a query opens, not at init: init runs when the frame is
 * made, maybe long before the query starts, and starting the clock there
 * would make the first poll a burst of every row "due" since then. */
struct rate_state {
	pthread_mutex_t lock;
	uint32_t nopen;	  /* partitions open now */
	int64_t start_ns; /* CLOCK_MONOTONIC when the clock started */
	int64_t start_us; /* wall clock then: timestamp of value 0 */
	/* While a query's partitions open (one after another, on the thread
	 * that starts the query, before any partition thread runs), the
	 * clock may still move back for a partition that resumes further
	 * behind; settled once the last partition has opened. */
	bool settling;
	int64_t open_ns, open_us; /* when the first partition opened */
	int64_t first_v;	  /* the lowest value resumed */
};

static const struct rate_conf *rate_conf(const sl_source *src)
{
	return src->conf;
}

/* Microseconds after the start at which value v is due. Without a ramp
 * that is v / R seconds. With a ramp of T seconds the rate grows linearly
 * from 0 to R, so the rows produced by time t are R t^2 / 2T during the
 * ramp and R T / 2 + R (t - T) after it; this inverts that. */
static int64_t rate_due_us(const struct rate_conf *c, int64_t v)
{
	int64_t r = c->rows_per_second;
	double t, rd = (double)r, tt;

	if (c->ramp_up_ms <= 0)
		/* Split so v * 1e6 cannot overflow at high rates. */
		return (v / r) * 1000000 + (v % r) * 1000000 / r;
	tt = (double)c->ramp_up_ms / 1e3;
	if ((double)v <= rd * tt / 2)
		t = sqrt(2.0 * tt * (double)v / rd);
	else
		t = (double)v / rd + tt / 2;
	return (int64_t)(t * 1e6);
}

/* How many values (0, 1, ..., n-1) are due el_us microseconds after the
 * start: value v is due once rate_due_us(v) <= el_us, so value 0 is due at
 * once. */
static int64_t rate_due_count(const struct rate_conf *c, int64_t el_us)
{
	int64_t r = c->rows_per_second, n;
	double t, tt, rows;

	if (el_us < 0)
		return 0;
	if (c->ramp_up_ms <= 0) {
		/* due(v) = floor(v * 1e6 / r) <= el_us exactly for the
		 * ceil((el_us + 1) * r / 1e6) values below that count (split
		 * so it cannot overflow): the settling below then takes no
		 * step. It used to start from floor(el_us * r / 1e6) and
		 * step one value at a time, a thousand steps a poll at 1e9
		 * rows/s. */
		int64_t x = el_us + 1;
		n = (x / 1000000) * r +
		    ((x % 1000000) * r + 999999) / 1000000 - 1;
	} else {
		t = (double)el_us / 1e6;
		tt = (double)c->ramp_up_ms / 1e3;
		if (t < tt)
			rows = (double)r * t * t / (2 * tt);
		else
			rows = (double)r * tt / 2 + (double)r * (t - tt);
		n = (int64_t)rows;
	}
	/* The estimate may be one off either way (rounding, and the float
	 * inverse under a ramp). Settle it on rate_due_us itself, which also
	 * stamps the rows: a poll that slept until a row's due time must find
	 * it due, or it would spin. */
	while (n > 0 && rate_due_us(c, n) > el_us)
		n--;
	while (rate_due_us(c, n + 1) <= el_us)
		n++;
	return n + 1;
}

static int rate_init(sl_source *src, sl_err *err)
{
	const struct rate_conf *c = rate_conf(src);
	struct rate_state *st;

	st = sl_arena_calloc(src->arena, sizeof(*st));
	/* The mutex lives in the arena, so destroy must run before the
	 * arena is freed; it only guards the clock start. */
	pthread_mutex_init(&st->lock, NULL);
	src->state = st;
	src->schema = rate_schema(src->arena);
	src->nparts = (uint32_t)c->num_partitions;
	return 0;
}

static int rate_open(sl_source_part *p)
{
	struct rate_state *st = p->src->state;

	const struct rate_conf *c = rate_conf(p->src);
	int64_t v = p->has_resume
			    ? p->index + p->resume * (int64_t)p->src->nparts
			    : 0;

	pthread_mutex_lock(&st->lock);
	if (st->nopen++ == 0) {
		st->open_ns = sl_now_ns();
		st->open_us = sl_wall_us();
		st->first_v = INT64_MAX;
		st->settling = true;
	}
	/* Value first_v is due at open: the clock starts due(first_v)
	 * earlier. Without resume first_v is 0 and the clock starts at
	 * open, as before. */
	if (st->settling && v < st->first_v) {
		int64_t due = rate_due_us(c, v);

		st->first_v = v;
		st->start_ns = st->open_ns - due * 1000;
		st->start_us = st->open_us - due;
	}
	if (p->index + 1 >= p->src->nparts)
		st->settling = false;
	pthread_mutex_unlock(&st->lock);
	p->offset = p->has_resume ? p->resume : 0;
	return 0;
}

/* Partition offset due by now. Also called by the coordinator thread
 * (latest), hence the state comes from the source, which outlives every
 * partition. start_ns only changes while no partition is open, and a
 * partition's open() happened before any thread that asks about it started,
 * so reading it unlocked is safe. */
static int64_t rate_part_due(sl_source_part *p, int64_t now_ns)
{
	const struct rate_state *st = p->src->state;
	const struct rate_conf *c = rate_conf(p->src);
	int64_t n = rate_due_count(c, (now_ns - st->start_ns) / 1000);

	return part_count(n, p->index, p->src->nparts);
}

/* The timestamp of value v, for both sources: values come in spans of
 * span values, span q starting at base_us + q * span_us, and value m of a
 * span (m = v % span) lying m * slope_us / span after that start. rate
 * without a ramp: spans of R values a second apart, spread evenly over it
 * (slope_us = span_us = 1e6). rate-micro-batch: spans of rowsPerBatch
 * values advanceMillisPerBatch apart, all at the span's start (slope_us =
 * 0). rate under a ramp has no such shape: ramp is set and each value's
 * time is rate_due_us after base_us. */
struct rate_ts {
	int64_t base_us;
	int64_t span;
	int64_t span_us;
	int64_t slope_us;
	const struct rate_conf *ramp;
};

/* Writes n rows (timestamp, value) for values v0, v0 + step, ... into
 * rows (room for n rows of the 2 columns; every field is written, so the
 * vector needs no zeroing). Within a span the timestamp moves on by a
 * constant step * slope_us / span a value, its remainder carried in fr, so
 * a row costs no division: they run once per span the values enter. */
static void rate_fill(const struct rate_ts *t, int64_t v0, int64_t step,
		      sl_value *rows, int64_t n)
{
	const int64_t span = t->span, slope = t->slope_us;
	/* m * slope < 1e15: the slope is 0 or 1e6 and a sloped span (R) is
	 * at most 1e9. */
	const int64_t sa = step * slope, sq = sa / span, sr = sa % span;
	int64_t v = v0;

	if (t->ramp) {
		for (int64_t k = 0; k < n; k++, v += step, rows += 2) {
			rows[0] = sl_v_ts(t->base_us + rate_due_us(t->ramp, v));
			rows[1] = sl_v_long(v);
		}
		return;
	}
	while (n > 0) {
		/* v = q * span + m: the rows left in span q, and the time
		 * of v, base + q * span_us + m * slope / span (+ fr / span). */
		int64_t q = v / span, m = v % span;
		int64_t left = (span - m + step - 1) / step;
		int64_t ts = t->base_us + q * t->span_us + m * slope / span;
		int64_t fr = m * slope % span;

		if (left > n)
			left = n;
		n -= left;
		/* Without a carry (rate-micro-batch, or R dividing 1e6 *
		 * step) the loop below sheds two instructions a row: GCC -O2
		 * does not unswitch loops, and rate-micro-batch is the path
		 * the engine's instructions-per-row bench measures. */
		if (sr == 0) {
			for (; left > 0; left--, v += step, rows += 2) {
				rows[0] = sl_v_ts(ts);
				rows[1] = sl_v_long(v);
				ts += sq;
			}
			continue;
		}
		for (; left > 0; left--, v += step, rows += 2) {
			rows[0] = sl_v_ts(ts);
			rows[1] = sl_v_long(v);
			ts += sq;
			fr += sr;
			if (fr >= span) {
				fr -= span;
				ts++;
			}
		}
	}
}

/* Hands out the partition's next n rows (n > 0, at most RATE_MAX_ROWS) as
 * one vector stamped by t, and moves the partition's offset past them. */
static int rate_emit(sl_source_part *p, int64_t n, const struct rate_ts *t,
		     sl_batch **out)
{
	uint32_t nparts = p->src->nparts;
	sl_batch *b = sl_batch_new(p->src->schema, (uint32_t)n);

	rate_fill(t, p->index + p->offset * (int64_t)nparts, nparts, b->vals,
		  n);
	b->nrows = (uint32_t)n;
	b->partition = p->index;
	b->ingest_ns = sl_now_ns();
	p->offset += n;
	b->end_offset = p->offset;
	*out = b;
	return (int)n;
}

static int rate_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		     sl_batch **out)
{
	const struct rate_state *st = p->src->state;
	const struct rate_conf *c = rate_conf(p->src);
	uint32_t nparts = p->src->nparts;
	int64_t now = sl_now_ns(), limit, n;

	*out = NULL;
	/* At the end of the planned batch waiting cannot help: return so the
	 * partition thread can close the batch. */
	if (p->offset >= end)
		return 0;
	limit = rate_part_due(p, now);
	if (limit <= p->offset && wait_ns > 0) {
		int64_t v = p->index + p->offset * (int64_t)nparts;
		int64_t due = st->start_ns + rate_due_us(c, v) * 1000;
		/* Compared as a difference: wait_ns may be INT64_MAX. */
		int64_t until = wait_ns < due - now ? now + wait_ns : due;
		struct timespec ts = {.tv_sec = until / 1000000000,
				      .tv_nsec = until % 1000000000};

		/* Absolute time on the clock sl_now_ns reads, so a signal
		 * that interrupts the sleep does not stretch it. */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		limit = rate_part_due(p, sl_now_ns());
	}
	if (limit > end)
		limit = end;
	n = limit - p->offset;
	if (n <= 0)
		return 0;
	if (n > RATE_MAX_ROWS)
		n = RATE_MAX_ROWS;

	return rate_emit(p, n,
			 &(struct rate_ts){
				 .base_us = st->start_us,
				 .span = c->rows_per_second,
				 .span_us = 1000000,
				 .slope_us = 1000000,
				 .ramp = c->ramp_up_ms > 0 ? c : NULL,
			 },
			 out);
}

static int64_t rate_latest(sl_source_part *p, int64_t batch_id)
{
	return rate_part_due(p, sl_now_ns());
}

static void rate_close(sl_source_part *p)
{
	struct rate_state *st = p->src->state;

	pthread_mutex_lock(&st->lock);
	if (st->nopen)
		st->nopen--;
	pthread_mutex_unlock(&st->lock);
}

static void rate_destroy(sl_source *src)
{
	struct rate_state *st = src->state;

	if (st)
		pthread_mutex_destroy(&st->lock);
	src->state = NULL;
}

/* clang-format off */
static const sl_opt_def rate_options[] = {
	{
		.name = "rowsPerSecond",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rate_conf, rows_per_second),
		.min = 1,
		.max = 1e9,
		.def = "1",
		.desc = "Rows generated per second, over all partitions.",
	},
	{
		.name = "numPartitions",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rate_conf, num_partitions),
		.min = 1,
		.max = RATE_MAX_PARTS,
		.def = "1",
		.desc = "Partitions, each read by its own thread. Spark's "
			"default is the cluster's parallelism; sluice's is 1.",
	},
	{
		.name = "rampUpTime",
		.type = SL_OPT_DURATION,
		.offset = offsetof(struct rate_conf, ramp_up_ms),
		.min = 0,
		.max = INFINITY,
		.def = "0",
		.desc = "Time over which the rate grows linearly from 0 to "
			"rowsPerSecond (e.g. '5 seconds').",
	},
	{ .name = NULL },
};
/* clang-format on */

/* clang-format off */
const sl_source_ops sl_source_rate = {
	.name = "rate",
	.description = "Generates rowsPerSecond rows a second of (timestamp, "
		       "value), value counting up from 0 and timestamp the "
		       "time the row was due. For tests and benchmarks.",
	.options = rate_options,
	.conf_size = sizeof(struct rate_conf),
	.init = rate_init,
	.open = rate_open,
	.poll = rate_poll,
	.latest = rate_latest,
	.close = rate_close,
	.destroy = rate_destroy,
	.continuous = true,
};
/* clang-format on */

/* ---- rate-micro-batch ------------------------------------------------- */

struct rmb_conf {
	int64_t rows_per_batch;
	int64_t num_partitions;
	int64_t start_timestamp; /* ms */
	int64_t advance_ms;
};

static int rmb_init(sl_source *src, sl_err *err)
{
	const struct rmb_conf *c = src->conf;

	src->schema = rate_schema(src->arena);
	src->nparts = (uint32_t)c->num_partitions;
	return 0;
}

static int rmb_open(sl_source_part *p)
{
	p->offset = p->has_resume ? p->resume : 0;
	return 0;
}

static int rmb_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		    sl_batch **out)
{
	const struct rmb_conf *c = p->src->conf;
	int64_t n = end - p->offset;

	*out = NULL;
	/* Rows belong to a batch number, so they exist only once a batch
	 * bounds them; a continuous query would have none. */
	if (end == INT64_MAX)
		return sl_err_set(&p->err, SL_EMODE,
				  "source 'rate-micro-batch' needs a "
				  "micro-batch trigger, not continuous");
	/* No waiting: every row of a planned batch exists already. */
	if (n <= 0)
		return 0;
	if (n > RATE_MAX_ROWS)
		n = RATE_MAX_ROWS;

	/* Every row of a batch has the batch's timestamp. */
	return rate_emit(p, n,
			 &(struct rate_ts){
				 .base_us = c->start_timestamp * 1000,
				 .span = c->rows_per_batch,
				 .span_us = c->advance_ms * 1000,
			 },
			 out);
}

/* Batch N holds values N*rowsPerBatch .. (N+1)*rowsPerBatch - 1, so its end
 * is the partition's share of the values below (N+1)*rowsPerBatch. Asked
 * for everything available now (batch_id -1, availableNow), the source has
 * one batch's worth: it generates per batch, not ahead of time. */
static int64_t rmb_latest(sl_source_part *p, int64_t batch_id)
{
	const struct rmb_conf *c = p->src->conf;

	if (batch_id < 0)
		batch_id = 0;
	return part_count((batch_id + 1) * c->rows_per_batch, p->index,
			  p->src->nparts);
}

static void rmb_close(sl_source_part *p)
{
}

/* clang-format off */
static const sl_opt_def rmb_options[] = {
	{
		.name = "rowsPerBatch",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rmb_conf, rows_per_batch),
		.min = 1,
		.max = 1e12,
		.required = true,
		.desc = "Rows in each micro-batch, over all partitions.",
	},
	{
		.name = "numPartitions",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rmb_conf, num_partitions),
		.min = 1,
		.max = RATE_MAX_PARTS,
		.def = "1",
		.desc = "Partitions, each read by its own thread. Spark's "
			"default is the cluster's parallelism; sluice's is 1.",
	},
	{
		.name = "startTimestamp",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rmb_conf, start_timestamp),
		.min = 0,
		.max = 1e14,
		.def = "0",
		.desc = "Timestamp of batch 0's rows, in milliseconds since "
			"the epoch.",
	},
	{
		.name = "advanceMillisPerBatch",
		.type = SL_OPT_INT,
		.offset = offsetof(struct rmb_conf, advance_ms),
		.min = 0,
		.max = 1e12,
		.def = "1000",
		.desc = "How far the timestamp moves on from one batch to the "
			"next, in milliseconds.",
	},
	{ .name = NULL },
};
/* clang-format on */

/* clang-format off */
const sl_source_ops sl_source_rate_micro_batch = {
	.name = "rate-micro-batch",
	.description = "Generates exactly rowsPerBatch rows per micro-batch "
		       "of (timestamp, value): batch N holds values "
		       "N*rowsPerBatch to (N+1)*rowsPerBatch-1, all stamped "
		       "startTimestamp + N*advanceMillisPerBatch. Needs a "
		       "micro-batch trigger.",
	.options = rmb_options,
	.conf_size = sizeof(struct rmb_conf),
	.init = rmb_init,
	.open = rmb_open,
	.poll = rmb_poll,
	.latest = rmb_latest,
	.close = rmb_close,
	.continuous = false,
};
/* clang-format on */
