/* tests/pipeline/dynamic_partitions.c - dynamic partitions in execution
 * (engine/exec_coord.c): a source whose slots are assigned and revoked
 * while the query runs (sl_source.dynamic, ops->rebalance; the Kafka
 * source with partitionAssignment 'group' is the real one,
 * tests/kafka/scale_out.c).
 *
 * The source here is the engine's counterpart only: it plays a consumer
 * group in memory. Slot i yields the values i * 1e6 + 0, 1, 2, ... in
 * order, up to a limit the test raises step by step; the test says which
 * slots are assigned (want) and wakes the coordinator; rebalance() starts
 * and stops the slots' threads through the engine's ctl, and a revoked
 * slot's next start is the end its commit() last got, as a group's
 * committed offset. Into a memory table, continuous trigger:
 *
 * - slots start only when assigned, stop when revoked (while they
 *   produce), start again where the commit left them;
 * - every value of every slot arrives, none twice (a revocation waits for
 *   what the slot read to be committed before giving it up);
 * - the query stops cleanly with slots running.
 * Runs under TSan (make SAN=tsan unit-test): starting, revoking and
 * joining partition threads against the sink thread is what it checks. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "sluice.h"

#define NSLOT 4
#define MAXV 4000

/* ---- the source: a consumer group in memory ------------------------------ */

static struct {
	_Atomic unsigned want;	  /* slots the "group" assigns (bits) */
	_Atomic unsigned owned;	  /* slots running now (bits) */
	_Atomic int64_t limit;	  /* values each slot may yield */
	_Atomic int starts, stops; /* ctl->start / ctl->stop calls */
	int64_t committed[NSLOT]; /* coordinator thread only */
	_Atomic int64_t revoked_at[NSLOT]; /* committed when last revoked */
} grp;

static int dyn_init(sl_source *src, sl_err *err)
{
	sl_schema *s = sl_schema_new(src->arena, 2);
	s->fields[0].name = "slot";
	s->fields[0].type = &sl_dtype_long;
	s->fields[1].name = "v";
	s->fields[1].type = &sl_dtype_long;
	src->schema = s;
	src->nparts = NSLOT;
	src->dynamic = true;
	return 0;
}

static int dyn_open(sl_source_part *p)
{
	/* the coordinator: where the last owner's commit left the slot */
	p->offset = grp.committed[p->index];
	return 0;
}

/* Up to 4 values a poll, then a short pause: a slot yields for long
 * enough that revocations land while it produces. */
static int dyn_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		    sl_batch **out)
{
	int64_t lim = atomic_load(&grp.limit);
	struct timespec ts = { 0, 200000 };

	*out = NULL;
	if (p->offset >= lim) {
		nanosleep(&ts, NULL);
		return 0;
	}
	sl_batch *b = sl_batch_new(p->src->schema, 4);
	int n = 0;
	for (; n < 4 && p->offset < lim; n++, p->offset++) {
		sl_value *row = sl_batch_add_row(b);
		row[0] = sl_v_long(p->index);
		row[1] = sl_v_long(p->offset);
	}
	b->ingest_ns = sl_now_ns();
	b->end_offset = p->offset;
	*out = b;
	nanosleep(&ts, NULL);
	return n;
}

static void dyn_commit(sl_source *src, const int64_t *ends, uint32_t n,
		       bool last)
{
	unsigned owned = atomic_load(&grp.owned);
	for (uint32_t i = 0; i < n; i++)
		if ((owned >> i & 1) && ends[i] > grp.committed[i])
			grp.committed[i] = ends[i];
}

static int dyn_rebalance(sl_source *src, sl_source_ctl *ctl, sl_err *err)
{
	unsigned want = atomic_load(&grp.want);
	unsigned owned = atomic_load(&grp.owned);
	uint32_t gone[NSLOT], n = 0;

	for (uint32_t i = 0; i < NSLOT; i++)
		if ((owned >> i & 1) && !(want >> i & 1))
			gone[n++] = i;
	if (n) {
		/* commit() still sees them owned while the engine waits */
		ctl->stop(ctl, gone, n);
		atomic_fetch_add(&grp.stops, (int)n);
		for (uint32_t k = 0; k < n; k++) {
			owned &= ~(1u << gone[k]);
			atomic_store(&grp.revoked_at[gone[k]],
				     grp.committed[gone[k]]);
		}
		atomic_store(&grp.owned, owned);
	}
	for (uint32_t i = 0; i < NSLOT; i++)
		if ((want >> i & 1) && !(owned >> i & 1)) {
			int rc = ctl->start(ctl, i);
			if (rc < 0)
				return sl_err_set(err, rc, "start %u", i);
			owned |= 1u << i;
			atomic_store(&grp.owned, owned);
			atomic_fetch_add(&grp.starts, 1);
		}
	return 0;
}

static const sl_source_ops dyn_ops = {
	.name = "dyn",
	.init = dyn_init,
	.open = dyn_open,
	.poll = dyn_poll,
	.continuous = true,
	.commit = dyn_commit,
	.rebalance = dyn_rebalance,
};

/* A frame on a dyn source, as sl_session_read_stream makes one. */
static sl_frame *dyn_frame(sl_session *s)
{
	sl_err err = { 0 };
	sl_source *src = sl_arena_calloc(&s->arena, sizeof(*src));
	src->ops = &dyn_ops;
	src->session = s;
	src->arena = &s->arena;
	src->given = sl_arena_calloc(&s->arena, sizeof(sl_kvs));
	cr_assert_eq(dyn_init(src, &err), 0);
	sl_frame *f = sl_arena_calloc(&s->arena, sizeof(*f));
	f->session = s;
	f->kind = SL_FR_SOURCE;
	f->src = src;
	f->format = dyn_ops.name;
	f->schema = src->schema;
	f->gen = -1;
	return f;
}

/* A query of a dyn source into memory table `name`. */
static sl_query *dyn_start(sl_session *s, const char *name,
			   const char *trigger)
{
	const char *o[] = { "queryName", name, "trigger", trigger, NULL };
	return sl_frame_start(dyn_frame(s), "memory", o, NULL);
}

/* ---- checks ------------------------------------------------------------- */

static uint8_t seen[NSLOT][MAXV];

/* Counts the table's copies of each value; returns, per slot, how many
 * distinct values below upto it holds, and the extra copies in *dups. */
static void table_counts(sl_session *s, int64_t upto, int64_t *have,
			 uint64_t *dups)
{
	memset(seen, 0, sizeof(seen));
	*dups = 0;
	for (int i = 0; i < NSLOT; i++)
		have[i] = 0;
	sl_rows *r = sl_session_table(s, "dyn");
	for (uint32_t i = 0; r && i < sl_rows_count(r); i++) {
		int64_t slot = sl_rows_long(r, i, 0), v = sl_rows_long(r, i, 1);
		cr_assert(slot >= 0 && slot < NSLOT && v >= 0 && v < MAXV,
			  "row %u: slot %lld value %lld", i, (long long)slot,
			  (long long)v);
		if (seen[slot][v]++)
			(*dups)++;
		else if (v < upto)
			have[slot]++;
	}
	sl_rows_free(r);
}

/* Waits until each slot in mask has every value below upto in the table. */
static void wait_values(sl_session *s, sl_query *q, unsigned mask,
			int64_t upto)
{
	int64_t have[NSLOT];
	uint64_t dups;
	int64_t dl = sl_now_ns() + 60 * 1000000000LL;
	for (;;) {
		table_counts(s, upto, have, &dups);
		bool ok = true;
		for (int i = 0; i < NSLOT; i++)
			if ((mask >> i & 1) && have[i] < upto)
				ok = false;
		if (ok)
			return;
		cr_assert_null(sl_query_exception(q), "%s",
			       sl_query_exception(q));
		cr_assert_lt(sl_now_ns(), dl,
			     "values below %lld never all arrived: %lld %lld "
			     "%lld %lld",
			     (long long)upto, (long long)have[0],
			     (long long)have[1], (long long)have[2],
			     (long long)have[3]);
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
}

/* The group changes: the coordinator hears of it through src->wake. */
static void assign(sl_query *q, unsigned want)
{
	atomic_store(&grp.want, want);
	q->src->wake(q->src->wake_arg);
}

TestSuite(exec_dynamic, .timeout = 120);

Test(exec_dynamic, slots_start_stop_and_resume_where_committed)
{
	memset(&grp, 0, sizeof(grp));
	atomic_store(&grp.limit, 1000);
	sl_session *s = sl_session_new();
	sl_query *q = dyn_start(s, "dyn", "continuous 50 ms");
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(q->dynamic_parts);
	cr_assert_eq(atomic_load(&grp.starts), 0, "no slot before the group");

	/* Half the slots, then all. */
	assign(q, 0x3);
	wait_values(s, q, 0x3, 1000);
	int64_t have[NSLOT];
	uint64_t dups;
	table_counts(s, MAXV, have, &dups);
	cr_assert_eq(have[2] + have[3], 0, "slots 2 and 3 read unassigned");
	assign(q, 0xf);
	wait_values(s, q, 0xf, 1000);

	/* Slots 0 and 1 go while they produce, and come back. */
	atomic_store(&grp.limit, MAXV);
	wait_values(s, q, 0x3, 1500);
	assign(q, 0xc);
	int64_t dl = sl_now_ns() + 60 * 1000000000LL;
	while (atomic_load(&grp.owned) != 0xc) {
		cr_assert_lt(sl_now_ns(), dl, "slots 0, 1 never revoked");
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "exec_dynamic: slots 0, 1 revoked at %lld, %lld of "
			"%d values\n",
		(long long)atomic_load(&grp.revoked_at[0]),
		(long long)atomic_load(&grp.revoked_at[1]), MAXV);
	assign(q, 0xf);
	wait_values(s, q, 0xf, MAXV);
	cr_assert_eq(atomic_load(&grp.stops), 2);
	cr_assert_eq(atomic_load(&grp.starts), 6);

	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_session_errmsg(s));
	table_counts(s, MAXV, have, &dups);
	for (int i = 0; i < NSLOT; i++)
		cr_assert_eq(have[i], MAXV, "slot %d: %lld values", i,
			     (long long)have[i]);
	cr_assert_eq(dups, 0,
		     "%llu values twice: a revoked slot resumed behind what "
		     "it had delivered",
		     (unsigned long long)dups);
	sl_session_destroy(s);
}

Test(exec_dynamic, micro_batch_trigger_is_refused)
{
	memset(&grp, 0, sizeof(grp));
	sl_session *s = sl_session_new();
	sl_query *q = dyn_start(s, "mb", "processingTime 1 second");
	cr_assert_null(q);
	cr_assert(strstr(sl_session_errmsg(s), "continuous") &&
			  strstr(sl_session_errmsg(s), "processingTime"),
		  "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}
