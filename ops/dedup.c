/* ops/dedup.c - streaming deduplication (ops/dedup.h).
 *
 * State is one sl_keytab of the key tuples seen: no value per key, since
 * the event time that eviction needs is a key column when there is
 * eviction at all. Changes are tracked for the state store's delta: the
 * slots added in the batch and tombstones of the keys evicted. */
#include <stdlib.h>
#include <string.h>

#include "ops/dedup.h"
#include "sluice.h"

static const sl_stateful_op_ops dedup_stateful_ops;

struct sl_dedup {
	sl_stateful_op base; /* first: the instance of ops/operator.h */
	sl_dedup_spec spec;
	int32_t wm_key; /* index in keys[] of the watermark column, or -1 */
	sl_keytab *kt;
	sl_watermark wm;
	int64_t min_ts; /* no key's event time is below this */
	bool moved;     /* the running batch moved the watermark */

	/* the running batch */
	uint32_t *added;
	uint32_t nadded, capadded;
	sl_buf removed; /* tombstone records of evicted keys */
	uint64_t nremoved;
	uint64_t late, dups, kept;

	sl_value *kbuf; /* scratch key */
};

sl_dedup *sl_dedup_new(const sl_dedup_spec *spec, sl_err *err)
{
	const sl_schema *in = spec->in;
	for (uint32_t i = 0; i < spec->nkeys; i++)
		if (spec->keys[i] >= in->n) {
			sl_err_set(err, SL_EANALYSIS,
				   "dropDuplicates: key column %u out of range",
				   spec->keys[i]);
			return NULL;
		}
	if (spec->wm_col >= 0 &&
	    ((uint32_t)spec->wm_col >= in->n ||
	     in->fields[spec->wm_col].type->id != SL_TIMESTAMP)) {
		sl_err_set(err, SL_EANALYSIS,
			   "dropDuplicates: the watermark column must be a "
			   "timestamp column of the input");
		return NULL;
	}
	sl_dedup *d = sl_xcalloc(1, sizeof(*d));
	d->base = (sl_stateful_op){ .ops = &dedup_stateful_ops, .nparts = 1 };
	d->spec = *spec;
	d->wm_key = -1;
	for (uint32_t i = 0; i < spec->nkeys && spec->wm_col >= 0; i++)
		if ((int32_t)spec->keys[i] == spec->wm_col) {
			d->wm_key = (int32_t)i;
			break;
		}
	d->kt = sl_keytab_new(spec->nkeys);
	sl_watermark_init(&d->wm, spec->wm_delay_us);
	d->min_ts = INT64_MAX;
	d->kbuf = sl_xcalloc(spec->nkeys ? spec->nkeys : 1, sizeof(sl_value));
	return d;
}

void sl_dedup_free(sl_dedup *d)
{
	if (!d)
		return;
	sl_keytab_free(d->kt);
	free(d->added);
	sl_buf_free(&d->removed);
	free(d->kbuf);
	free(d);
}

static void note_added(sl_dedup *d, uint32_t slot)
{
	if (d->nadded == d->capadded) {
		d->capadded = d->capadded ? d->capadded * 2 : 64;
		d->added =
			sl_xrealloc(d->added, d->capadded * sizeof(uint32_t));
	}
	d->added[d->nadded++] = slot;
}

/* The event time a key is evicted at, or INT64_MAX (never). */
static int64_t key_time(const sl_dedup *d, const sl_value *key)
{
	if (d->wm_key < 0 || key[d->wm_key].type != SL_TIMESTAMP)
		return INT64_MAX;
	return key[d->wm_key].v.i64;
}

int sl_dedup_process(sl_dedup *d, sl_batch *b, sl_err *err)
{
	const sl_dedup_spec *sp = &d->spec;
	if (b->ncols != sp->in->n)
		return sl_err_set(err, SL_EINVAL,
				  "dropDuplicates: %u columns, expected %u",
				  b->ncols, sp->in->n);
	uint32_t out = 0;
	for (uint32_t r = 0; r < b->nrows; r++) {
		sl_value *row = sl_batch_row(b, r);
		/* Spark's watermark sees every input row, late ones too */
		if (sp->wm_col >= 0 && row[sp->wm_col].type == SL_TIMESTAMP) {
			int64_t t = row[sp->wm_col].v.i64;
			sl_watermark_observe(&d->wm, t);
			/* by the previous batch's watermark, as Spark
			 * 3.4+ (ops/window.h) */
			if (t <= d->wm.late_us) {
				d->late++;
				continue;
			}
		}
		for (uint32_t k = 0; k < sp->nkeys; k++)
			d->kbuf[k] = row[sp->keys[k]];
		bool created = false;
		uint32_t slot = sl_keytab_insert(d->kt, d->kbuf, &created);
		if (!created) {
			d->dups++;
			continue;
		}
		note_added(d, slot);
		int64_t t = key_time(d, d->kbuf);
		if (t < d->min_ts)
			d->min_ts = t;
		if (out != r)
			memcpy(sl_batch_row(b, out), row,
			       b->ncols * sizeof(sl_value));
		out++;
	}
	b->nrows = out;
	d->kept += out;
	return (int)out;
}

static void encode_key(const sl_dedup *d, const sl_value *k, sl_buf *b)
{
	for (uint32_t i = 0; i < d->spec.nkeys; i++)
		sl_value_encode(b, &k[i]);
}

/* Removes every key whose event time is at or behind the watermark. */
static void evict(sl_dedup *d)
{
	int64_t wm = d->wm.current_us;
	if (d->wm_key < 0 || d->min_ts > wm)
		return;
	int64_t newmin = INT64_MAX;
	for (int64_t s = sl_keytab_next(d->kt, -1); s >= 0;
	     s = sl_keytab_next(d->kt, s)) {
		const sl_value *k = sl_keytab_key(d->kt, (uint32_t)s);
		int64_t t = key_time(d, k);
		if (t > wm) {
			if (t < newmin)
				newmin = t;
			continue;
		}
		encode_key(d, k, &d->removed);
		sl_buf_put_u8(&d->removed, 0);
		d->nremoved++;
		/* sl_keytab_next goes on from the slot number, which stays
		 * valid after the delete */
		sl_keytab_delete(d->kt, (uint32_t)s);
	}
	d->min_ts = newmin;
}

bool sl_dedup_finish(sl_dedup *d)
{
	/* Spark evicts with this batch's watermark (the rows of the batch
	 * were checked against the state first), then the watermark moves;
	 * the batch without data Spark runs then evicts with the new one. */
	evict(d);
	return sl_watermark_advance(&d->wm);
}

void sl_dedup_end_batch(sl_dedup *d)
{
	d->nadded = 0;
	d->removed.len = 0;
	d->nremoved = 0;
	d->late = d->dups = d->kept = 0;
}

int64_t sl_dedup_watermark(const sl_dedup *d)
{
	return d->wm.current_us;
}

void sl_dedup_set_watermark(sl_dedup *d, int64_t wm_us)
{
	d->wm.current_us = d->wm.late_us = wm_us;
}

void sl_dedup_stats_get(const sl_dedup *d, sl_dedup_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->num_rows_total = sl_keytab_count(d->kt);
	st->num_rows_updated = d->nadded;
	st->num_rows_removed = d->nremoved;
	st->num_rows_dropped_by_watermark = d->late;
	st->num_duplicates = d->dups;
	st->num_output_rows = d->kept;
	st->watermark_us = d->wm.current_us;
	st->memory_used_bytes = sizeof(*d) + sl_keytab_mem(d->kt) +
				(size_t)d->capadded * sizeof(uint32_t) +
				d->removed.cap;
}

/* ---- state store encoding ------------------------------------------------ */

#define DD_MAGIC "SLDD"
#define DD_FORMAT 1
#define DD_SNAPSHOT 1
#define DD_DELTA 2

static void put_header(const sl_dedup *d, uint8_t kind, int64_t version,
		       uint64_t nrec, sl_buf *b)
{
	sl_buf_put(b, DD_MAGIC, 4);
	sl_buf_put_u8(b, DD_FORMAT);
	sl_buf_put_u8(b, kind);
	sl_buf_put_u64(b, (uint64_t)version);
	sl_buf_put_u64(b, (uint64_t)d->wm.current_us);
	sl_buf_put_u32(b, d->spec.nkeys);
	for (uint32_t i = 0; i < d->spec.nkeys; i++)
		sl_buf_put_u8(b,
			      (uint8_t)d->spec.in->fields[d->spec.keys[i]]
				      .type->id);
	sl_buf_put_u64(b, nrec);
}

void sl_dedup_snapshot(const sl_dedup *d, int64_t version, sl_buf *out)
{
	put_header(d, DD_SNAPSHOT, version, sl_keytab_count(d->kt), out);
	for (int64_t s = sl_keytab_next(d->kt, -1); s >= 0;
	     s = sl_keytab_next(d->kt, s)) {
		encode_key(d, sl_keytab_key(d->kt, (uint32_t)s), out);
		sl_buf_put_u8(out, 1);
	}
}

void sl_dedup_delta(const sl_dedup *d, int64_t version, sl_buf *out)
{
	uint64_t live = 0;
	for (uint32_t i = 0; i < d->nadded; i++)
		live += sl_keytab_live(d->kt, d->added[i]);
	put_header(d, DD_DELTA, version, d->nremoved + live, out);
	/* Tombstones first; a key added and evicted in one batch is in
	 * neither list (its slot is no longer live). Slots are not reused
	 * within a batch: eviction runs after the batch's last insert. */
	sl_buf_put(out, d->removed.p, d->removed.len);
	for (uint32_t i = 0; i < d->nadded; i++) {
		if (!sl_keytab_live(d->kt, d->added[i]))
			continue;
		encode_key(d, sl_keytab_key(d->kt, d->added[i]), out);
		sl_buf_put_u8(out, 1);
	}
}

static int restore_fail(sl_err *err, const char *why)
{
	return sl_err_set(err, SL_EINVAL, "state restore: %s", why);
}

int sl_dedup_restore(sl_dedup *d, const void *p, size_t n, int64_t *version,
		     sl_err *err)
{
	sl_rbuf r = sl_rbuf_make(p, n);
	const uint8_t *m = sl_rbuf_get(&r, 4);
	if (!m || memcmp(m, DD_MAGIC, 4))
		return restore_fail(err, "not a deduplication state encoding");
	if (sl_rbuf_u8(&r) != DD_FORMAT)
		return restore_fail(err, "unknown format version");
	uint8_t kind = sl_rbuf_u8(&r);
	int64_t ver = (int64_t)sl_rbuf_u64(&r);
	int64_t wm = (int64_t)sl_rbuf_u64(&r);
	bool shape = sl_rbuf_u32(&r) == d->spec.nkeys;
	for (uint32_t i = 0; shape && i < d->spec.nkeys; i++)
		shape = sl_rbuf_u8(&r) ==
			(uint8_t)d->spec.in->fields[d->spec.keys[i]].type->id;
	if (!shape)
		return restore_fail(err, "written by a deduplication over "
					 "other columns");
	uint64_t nrec = sl_rbuf_u64(&r);
	if (r.err || (kind != DD_SNAPSHOT && kind != DD_DELTA))
		return restore_fail(err, "truncated or malformed header");
	if (kind == DD_SNAPSHOT) {
		sl_keytab_clear(d->kt);
		d->min_ts = INT64_MAX;
	}
	sl_arena tmp;
	sl_arena_init(&tmp);
	int rc = 0;
	for (uint64_t i = 0; i < nrec && !rc; i++) {
		for (uint32_t k = 0; k < d->spec.nkeys && !rc; k++)
			rc = sl_value_decode(&r, &tmp, &d->kbuf[k]);
		uint8_t present = sl_rbuf_u8(&r);
		if (rc || r.err) {
			rc = SL_EINVAL;
			break;
		}
		if (present) {
			sl_keytab_insert(d->kt, d->kbuf, NULL);
			int64_t t = key_time(d, d->kbuf);
			if (t < d->min_ts)
				d->min_ts = t;
		} else {
			int64_t s = sl_keytab_find(d->kt, d->kbuf);
			if (s >= 0)
				sl_keytab_delete(d->kt, (uint32_t)s);
		}
		sl_arena_reset(&tmp);
	}
	sl_arena_free(&tmp);
	if (!rc && r.off != r.len)
		rc = SL_EINVAL;
	sl_dedup_end_batch(d);
	d->wm.seen = false;
	d->wm.current_us = d->wm.late_us = wm;
	if (rc < 0)
		return restore_fail(err, "truncated or malformed record");
	if (version)
		*version = ver;
	return 0;
}

/* ---- the stateful operator interface (ops/operator.h) -------------------- */

sl_stateful_op *sl_dedup_as_op(sl_dedup *d)
{
	return &d->base;
}

/* The instance is the operator's first member. */
static sl_dedup *dedup_of(const sl_stateful_op *op)
{
	return (sl_dedup *)op;
}

static int dedup_op_update(sl_stateful_op *op, sl_batch *b, sl_err *err)
{
	int rc = sl_dedup_process(dedup_of(op), b, err);
	return rc < 0 ? rc : 0;
}

/* Its rows went on in update: the batch's end only evicts and moves the
 * watermark. */
static int dedup_op_emit(sl_stateful_op *op, int64_t epoch, int64_t now_us,
			 sl_batch **out, sl_err *err)
{
	sl_dedup *d = dedup_of(op);
	d->moved = sl_dedup_finish(d);
	return 0;
}

/* Spark runs a batch without data when the watermark moved: it evicts
 * what the new watermark passes, and the next batch's late rows are
 * judged by the new one. */
static int dedup_op_end_batch(sl_stateful_op *op, sl_err *err)
{
	sl_dedup *d = dedup_of(op);
	sl_dedup_end_batch(d);
	return d->moved;
}

static int64_t dedup_op_watermark(const sl_stateful_op *op)
{
	return sl_dedup_watermark(dedup_of(op));
}

static void dedup_op_set_watermark(sl_stateful_op *op, int64_t wm_us)
{
	sl_dedup_set_watermark(dedup_of(op), wm_us);
}

static void dedup_op_stats(const sl_stateful_op *op, sl_state_stats *st)
{
	sl_dedup_stats ds;
	sl_dedup_stats_get(dedup_of(op), &ds);
	st->num_rows_total = ds.num_rows_total;
	st->num_rows_updated = ds.num_rows_updated;
	st->num_rows_removed = ds.num_rows_removed;
	st->num_rows_dropped_by_watermark = ds.num_rows_dropped_by_watermark;
	st->num_output_rows = ds.num_output_rows;
	st->memory_used_bytes = ds.memory_used_bytes;
	st->watermark_us = ds.watermark_us;
}

static sl_stateful_op *dedup_op_partition(sl_stateful_op *op, uint32_t i)
{
	return op;
}

static void dedup_op_delta(const sl_stateful_op *op, uint32_t i,
			   int64_t version, sl_buf *out)
{
	sl_dedup_delta(dedup_of(op), version, out);
}

static void dedup_op_snapshot(const sl_stateful_op *op, int64_t version,
			      sl_buf *out)
{
	sl_dedup_snapshot(dedup_of(op), version, out);
}

static int dedup_op_restore(sl_stateful_op *op, const void *p, size_t n,
			    sl_err *err)
{
	return sl_dedup_restore(dedup_of(op), p, n, NULL, err);
}

static void dedup_op_destroy(sl_stateful_op *op)
{
	sl_dedup_free(dedup_of(op));
}

static const sl_stateful_op_ops dedup_stateful_ops = {
	.name = "dedupe",
	.passes_rows = true,
	.update = dedup_op_update,
	.emit = dedup_op_emit,
	.end_batch = dedup_op_end_batch,
	.watermark = dedup_op_watermark,
	.set_watermark = dedup_op_set_watermark,
	.stats = dedup_op_stats,
	.partition = dedup_op_partition,
	.delta = dedup_op_delta,
	.snapshot = dedup_op_snapshot,
	.restore = dedup_op_restore,
	.destroy = dedup_op_destroy,
};
