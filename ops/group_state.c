/* ops/group_state.c - per-group state with timeouts (ops/group_state.h):
 * the operator behind sl_frame_group_state, and the sl_group_state
 * handle its user function works through.
 *
 * Groups live in an sl_keytab (key tuple -> slot) with one struct gslot
 * per slot: the state's bytes (malloc'd, so a removed group gives its
 * memory back at once), its timeout, and the batch's row list. The
 * batch's vectors are held until its end, and its rows are threaded into
 * per-group lists by index, so grouping copies no value until a group's
 * rows are laid out for its call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rows.h"
#include "ops/group_state.h"

static const sl_stateful_op_ops gstate_stateful_ops;

#define NO_TIMEOUT INT64_MIN

struct gslot {
	uint8_t *blob; /* the state's bytes (malloc'd) */
	uint32_t len;
	bool exists;
	int64_t timeout;     /* us, or NO_TIMEOUT */
	uint64_t seen;	     /* the run that gave it rows */
	uint64_t changed;    /* the run that wrote it */
	uint32_t head, tail; /* its rows of the run (indexes into refs) */
};

struct rowref {
	uint32_t batch, row, next;
};

struct sl_group_state {
	sl_group_state_op *g;
	uint32_t slot;
	bool timed_out;
	int64_t timeout; /* set during the call; NO_TIMEOUT: none */
	bool written;	 /* update or remove was called */
	sl_batch *out;
	uint32_t emitted;
	sl_err err; /* the first misuse (code 0: none) */
};

struct sl_group_state_op {
	sl_stateful_op base; /* first: the instance of ops/operator.h */
	sl_group_state_op_spec spec;
	sl_keytab *kt;
	struct gslot *slots;
	uint32_t capslots;
	sl_watermark wm;
	uint64_t run; /* run counter, stamps gslot.seen/changed */

	/* the running batch */
	sl_batch **held;
	uint32_t nheld, capheld;
	struct rowref *refs;
	uint32_t nrefs, caprefs;
	uint32_t *order; /* slots with rows, in order of first row */
	uint32_t norder, caporder;
	uint32_t *changed; /* slots written (live or not) */
	uint32_t nchanged, capchanged;
	sl_buf removed; /* tombstones of removed groups */
	uint64_t nremoved, late, outrows, timeouts;
	int64_t now_us;
	size_t state_bytes; /* sum of blob lengths */

	sl_value *kbuf;	  /* scratch key */
	sl_batch *keyrow; /* the key row handed to the function */
	sl_batch *rows;	  /* the group's rows handed to the function */
};

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	uint32_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	p = sl_xrealloc(p, (size_t)c * elem);
	*cap = c;
	return p;
}

sl_group_state_op *sl_group_state_op_new(const sl_group_state_op_spec *spec,
					 sl_err *err)
{
	/* The planner (engine/group_state_plan.c) resolved the key and
	 * watermark columns against spec->in; only the user's parts are
	 * checked. */
	if (!spec->fn || !spec->out) {
		sl_err_set(err, SL_EINVAL,
			   "group state: a function and an output schema are "
			   "needed");
		return NULL;
	}
	sl_group_state_op *g = sl_xcalloc(1, sizeof(*g));
	g->base = (sl_stateful_op){ .ops = &gstate_stateful_ops, .nparts = 1 };
	g->spec = *spec;
	g->kt = sl_keytab_new(spec->nkeys);
	sl_watermark_init(&g->wm, spec->wm_delay_us);
	g->kbuf = sl_xcalloc(spec->nkeys ? spec->nkeys : 1, sizeof(sl_value));
	g->keyrow = sl_batch_new(spec->key_schema, 1);
	g->rows = sl_batch_new(spec->in, 64);
	/* one row, its values set before each call (none without keys) */
	if (spec->nkeys)
		sl_batch_add_row(g->keyrow);
	else
		g->keyrow->nrows = 1;
	return g;
}

static void release_held(sl_group_state_op *g)
{
	for (uint32_t i = 0; i < g->nheld; i++)
		sl_batch_free(g->held[i]);
	g->nheld = 0;
}

void sl_group_state_op_free(sl_group_state_op *g)
{
	if (!g)
		return;
	release_held(g);
	for (uint32_t i = 0; i < g->capslots; i++)
		free(g->slots[i].blob);
	free(g->slots);
	sl_keytab_free(g->kt);
	free(g->held);
	free(g->refs);
	free(g->order);
	free(g->changed);
	sl_buf_free(&g->removed);
	free(g->kbuf);
	sl_batch_free(g->keyrow);
	sl_batch_free(g->rows);
	free(g);
}

int sl_group_state_op_add(sl_group_state_op *g, sl_batch *b, sl_err *err)
{
	if (b->ncols != g->spec.in->n)
		return sl_err_set(err, SL_EINVAL,
				  "group state: %u columns, expected %u",
				  b->ncols, g->spec.in->n);
	g->held = grow(g->held, &g->capheld, g->nheld + 1, sizeof(*g->held));
	g->held[g->nheld++] = b;
	return 0;
}

/* The slot of key, made (and zeroed) if new. */
static uint32_t slot_get(sl_group_state_op *g, const sl_value *key)
{
	bool created = false;
	uint32_t s = sl_keytab_insert(g->kt, key, &created);
	if (s >= g->capslots) {
		uint32_t old = g->capslots;
		g->slots =
			grow(g->slots, &g->capslots, s + 1, sizeof(*g->slots));
		memset(g->slots + old, 0,
		       (g->capslots - old) * sizeof(*g->slots));
	}
	if (created) {
		struct gslot *gs = &g->slots[s];
		free(gs->blob);
		memset(gs, 0, sizeof(*gs));
		gs->timeout = NO_TIMEOUT;
	}
	return s;
}

static void slot_set_blob(sl_group_state_op *g, struct gslot *gs, const void *p,
			  size_t len)
{
	uint8_t *nb = NULL;
	if (len) {
		nb = sl_xrealloc(NULL, len);
		memcpy(nb, p, len);
	}
	g->state_bytes -= gs->len;
	free(gs->blob); /* after the copy: p may be the old blob */
	gs->blob = nb;
	gs->len = (uint32_t)len;
	gs->exists = true;
	g->state_bytes += len;
}

static void slot_clear_blob(sl_group_state_op *g, struct gslot *gs)
{
	g->state_bytes -= gs->len;
	free(gs->blob);
	gs->blob = NULL;
	gs->len = 0;
	gs->exists = false;
}

static void encode_key(const sl_group_state_op *g, const sl_value *k, sl_buf *b)
{
	for (uint32_t i = 0; i < g->spec.nkeys; i++)
		sl_value_encode(b, &k[i]);
}

/* "[a, 3]": a key for messages. */
static void key_text(const sl_group_state_op *g, uint32_t slot, char *buf,
		     size_t n)
{
	const sl_value *k = sl_keytab_key(g->kt, slot);
	size_t len = (size_t)snprintf(buf, n, "[");
	for (uint32_t i = 0; i < g->spec.nkeys && len < n; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, n - len, ", ");
		if (len < n)
			len += sl_value_render(&k[i], buf + len, n - len);
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

/* Threads the held rows into per-group lists; drops late rows (event-time
 * timeout only, Spark's rule) after the watermark has seen them. */
static void group_rows(sl_group_state_op *g)
{
	const sl_group_state_op_spec *sp = &g->spec;
	bool drop_late = sp->timeout == SL_GROUP_TIMEOUT_EVENT;
	for (uint32_t bi = 0; bi < g->nheld; bi++) {
		const sl_batch *b = g->held[bi];
		for (uint32_t r = 0; r < b->nrows; r++) {
			const sl_value *row = sl_batch_row(b, r);
			if (sp->wm_col >= 0 &&
			    row[sp->wm_col].type == SL_TIMESTAMP) {
				int64_t t = row[sp->wm_col].v.i64;
				sl_watermark_observe(&g->wm, t);
				/* by the previous batch's watermark,
				 * as Spark 3.4+ (ops/window.h) */
				if (drop_late && t <= g->wm.late_us) {
					g->late++;
					continue;
				}
			}
			for (uint32_t k = 0; k < sp->nkeys; k++)
				g->kbuf[k] = row[sp->keys[k]];
			uint32_t s = slot_get(g, g->kbuf);
			struct gslot *gs = &g->slots[s];
			g->refs = grow(g->refs, &g->caprefs, g->nrefs + 1,
				       sizeof(*g->refs));
			uint32_t ref = g->nrefs++;
			g->refs[ref] = (struct rowref){ bi, r, UINT32_MAX };
			if (gs->seen != g->run) {
				gs->seen = g->run;
				gs->head = ref;
				g->order =
					grow(g->order, &g->caporder,
					     g->norder + 1, sizeof(*g->order));
				g->order[g->norder++] = s;
			} else {
				g->refs[gs->tail].next = ref;
			}
			gs->tail = ref;
		}
	}
}

/* Lays out the group's rows for its call. */
static void fill_rows(sl_group_state_op *g, const struct gslot *gs,
		      bool with_rows)
{
	sl_batch *rb = g->rows;
	rb->nrows = 0;
	if (!with_rows)
		return;
	for (uint32_t ref = gs->head; ref != UINT32_MAX;
	     ref = g->refs[ref].next) {
		const struct rowref *rr = &g->refs[ref];
		sl_value *dst = sl_batch_add_row(rb);
		memcpy(dst, sl_batch_row(g->held[rr->batch], rr->row),
		       rb->ncols * sizeof(sl_value));
	}
}

static void note_changed(sl_group_state_op *g, uint32_t slot)
{
	struct gslot *gs = &g->slots[slot];
	if (gs->changed == g->run)
		return;
	gs->changed = g->run;
	g->changed = grow(g->changed, &g->capchanged, g->nchanged + 1,
			  sizeof(*g->changed));
	g->changed[g->nchanged++] = slot;
}

/* One call of the user's function for the group in slot; then the
 * group's fate (Spark's): written if its state or timeout changed,
 * dropped when it has neither a state nor a timeout. */
static int call_one(sl_group_state_op *g, uint32_t slot, bool timed_out,
		    sl_batch *out, sl_err *err)
{
	const sl_group_state_op_spec *sp = &g->spec;
	struct gslot *gs = &g->slots[slot];
	fill_rows(g, gs, !timed_out);
	const sl_value *k = sl_keytab_key(g->kt, slot);
	if (sp->nkeys)
		memcpy(g->keyrow->vals, k, sp->nkeys * sizeof(sl_value));
	struct sl_group_state st = { .g = g,
				     .slot = slot,
				     .timed_out = timed_out,
				     .timeout = NO_TIMEOUT,
				     .out = out };
	bool old_exists = gs->exists;
	int64_t old_timeout = gs->timeout;
	uint32_t rows_before = out->nrows;
	int rc = sp->fn(sp->ud, sl_rows_of_const(g->keyrow),
			 sl_rows_of_const(g->rows), &st);
	char kt[160];
	if (st.err.code || rc || (!sp->flat && st.emitted != 1))
		key_text(g, slot, kt, sizeof(kt));
	if (st.err.code)
		return sl_err_set(err, st.err.code, "%s (group %s)", st.err.msg,
				  kt);
	if (rc)
		return sl_err_set(err, SL_EINVAL,
				  "the group state function returned %d for "
				  "group %s",
				  rc, kt);
	if (!sp->flat && st.emitted != 1)
		return sl_err_set(err, SL_EINVAL,
				  "mapGroupsWithState: the function must emit "
				  "exactly one row per call (sl_group_state_emit), "
				  "it emitted %u for group %s%s",
				  st.emitted, kt,
				  timed_out ? " (a timeout call)" : "");
	g->outrows += out->nrows - rows_before;
	g->timeouts += timed_out;
	/* the timeout is reset at each call: what the call set, or none */
	gs->timeout = st.timeout;
	if (!gs->exists && gs->timeout == NO_TIMEOUT) {
		if (old_exists || old_timeout != NO_TIMEOUT) {
			encode_key(g, k, &g->removed);
			sl_buf_put_u8(&g->removed, 0);
			g->nremoved++;
		}
		/* the slot stops being live: a "changed" mark on it is
		 * skipped by the delta */
		sl_keytab_delete(g->kt, slot);
		return 0;
	}
	if (st.written || gs->timeout != old_timeout)
		note_changed(g, slot);
	return 0;
}

int sl_group_state_op_run(sl_group_state_op *g, int64_t now_us, sl_batch *out,
			  sl_err *err)
{
	const sl_group_state_op_spec *sp = &g->spec;
	g->run++;
	g->now_us = now_us;
	g->nrefs = 0;
	g->norder = 0;
	group_rows(g);
	for (uint32_t i = 0; i < g->norder; i++) {
		int rc = call_one(g, g->order[i], false, out, err);
		if (rc < 0)
			return rc;
	}
	if (sp->timeout == SL_GROUP_TIMEOUT_NONE)
		return 0;
	int64_t threshold = sp->timeout == SL_GROUP_TIMEOUT_PROCESSING
				    ? now_us
				    : g->wm.current_us;
	/* Groups with rows in this run were called and got a fresh
	 * timeout: Spark fires only the others. A call may delete its
	 * slot; sl_keytab_next goes on from the slot number. */
	for (int64_t s = sl_keytab_next(g->kt, -1); s >= 0;
	     s = sl_keytab_next(g->kt, s)) {
		struct gslot *gs = &g->slots[s];
		if (gs->seen == g->run || gs->timeout == NO_TIMEOUT ||
		    gs->timeout >= threshold)
			continue;
		int rc = call_one(g, (uint32_t)s, true, out, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

bool sl_group_state_op_finish(sl_group_state_op *g)
{
	release_held(g);
	g->nrefs = g->norder = g->nchanged = 0;
	g->removed.len = 0;
	g->nremoved = g->late = g->outrows = g->timeouts = 0;
	/* no group may keep a run stamp that matches a later run's */
	g->run++;
	return sl_watermark_advance(&g->wm);
}

int64_t sl_group_state_op_next_timeout(const sl_group_state_op *g)
{
	int64_t next = INT64_MAX;
	for (int64_t s = sl_keytab_next(g->kt, -1); s >= 0;
	     s = sl_keytab_next(g->kt, s)) {
		int64_t t = g->slots[s].timeout;
		if (t != NO_TIMEOUT && t < next)
			next = t;
	}
	return next;
}

int64_t sl_group_state_op_watermark(const sl_group_state_op *g)
{
	return g->wm.current_us;
}

void sl_group_state_op_set_watermark(sl_group_state_op *g, int64_t wm_us)
{
	g->wm.current_us = g->wm.late_us = wm_us;
}

void sl_group_state_op_stats_get(const sl_group_state_op *g,
				 sl_group_state_op_stats *st)
{
	memset(st, 0, sizeof(*st));
	uint64_t live = 0;
	for (uint32_t i = 0; i < g->nchanged; i++)
		live += sl_keytab_live(g->kt, g->changed[i]);
	st->num_rows_total = sl_keytab_count(g->kt);
	st->num_rows_updated = live;
	st->num_rows_removed = g->nremoved;
	st->num_rows_dropped_by_watermark = g->late;
	st->num_output_rows = g->outrows;
	st->num_timeouts = g->timeouts;
	st->watermark_us = g->wm.current_us;
	st->memory_used_bytes = sizeof(*g) + sl_keytab_mem(g->kt) +
				(size_t)g->capslots * sizeof(*g->slots) +
				g->state_bytes;
}

/* ---- the handle ------------------------------------------------------- */

/* Records a misuse of the handle and returns code. The first of a call
 * wins: it is the one the query stops with, once the call returns. */
#define misuse(st, rc, ...)                                                    \
	((st)->err.code ? (rc) : sl_err_set(&(st)->err, (rc), __VA_ARGS__))

bool sl_group_state_exists(const sl_group_state *st)
{
	return st->g->slots[st->slot].exists;
}

const void *sl_group_state_get(const sl_group_state *st, size_t *len)
{
	const struct gslot *gs = &st->g->slots[st->slot];
	if (len)
		*len = gs->exists ? gs->len : 0;
	if (!gs->exists)
		return NULL;
	/* an empty state is not "no state": a non-NULL pointer */
	return gs->blob ? (const void *)gs->blob : (const void *)"";
}

int sl_group_state_update(sl_group_state *st, const void *p, size_t len)
{
	if (len > UINT32_MAX)
		return misuse(st, SL_EINVAL,
			      "sl_group_state_update: a state of %zu bytes "
			      "is too large",
			      len);
	slot_set_blob(st->g, &st->g->slots[st->slot], p, len);
	st->written = true;
	return 0;
}

void sl_group_state_remove(sl_group_state *st)
{
	slot_clear_blob(st->g, &st->g->slots[st->slot]);
	st->written = true;
}

bool sl_group_state_has_timed_out(const sl_group_state *st)
{
	return st->timed_out;
}

int sl_group_state_set_timeout_duration(sl_group_state *st, int64_t duration_us)
{
	if (st->g->spec.timeout != SL_GROUP_TIMEOUT_PROCESSING)
		return misuse(st, SL_ESTATE,
			      "sl_group_state_set_timeout_duration needs a "
			      "processing-time timeout "
			      "(SL_GROUP_TIMEOUT_PROCESSING in the spec)");
	if (duration_us <= 0)
		return misuse(st, SL_EINVAL,
			      "sl_group_state_set_timeout_duration: the "
			      "duration must be positive, got %lld us",
			      (long long)duration_us);
	st->timeout = st->g->now_us + duration_us;
	return 0;
}

int sl_group_state_set_timeout_timestamp(sl_group_state *st, int64_t ts_us)
{
	if (st->g->spec.timeout != SL_GROUP_TIMEOUT_EVENT)
		return misuse(st, SL_ESTATE,
			      "sl_group_state_set_timeout_timestamp needs an "
			      "event-time timeout (SL_GROUP_TIMEOUT_EVENT in "
			      "the spec)");
	if (ts_us < st->g->wm.current_us)
		return misuse(st, SL_EINVAL,
			      "sl_group_state_set_timeout_timestamp: the "
			      "timeout %lld us is earlier than the current "
			      "watermark %lld us",
			      (long long)ts_us,
			      (long long)st->g->wm.current_us);
	st->timeout = ts_us;
	return 0;
}

int64_t sl_group_state_watermark(const sl_group_state *st)
{
	return st->g->wm.current_us;
}

int64_t sl_group_state_processing_time(const sl_group_state *st)
{
	return st->g->now_us;
}

int sl_group_state_emit(sl_group_state *st)
{
	sl_batch_add_row(st->out);
	st->emitted++;
	return 0;
}

/* The output column col of the last row emitted, or NULL (misuse). */
static sl_value *out_cell(sl_group_state *st, uint32_t col, const char *fn,
			  const sl_field **f)
{
	const sl_schema *sc = st->g->spec.out;
	if (!st->emitted) {
		misuse(st, SL_EINVAL,
		       "%s: no row to set: call sl_group_state_emit first", fn);
		return NULL;
	}
	if (col >= sc->n) {
		misuse(st, SL_EINVAL,
		       "%s: column %u out of range (the output has %u "
		       "columns)",
		       fn, col, sc->n);
		return NULL;
	}
	*f = &sc->fields[col];
	return sl_batch_row(st->out, st->out->nrows - 1) + col;
}

static int wrong_type(sl_group_state *st, const char *fn, uint32_t col,
		      const sl_field *f)
{
	char tn[64];
	sl_dtype_name(f->type, tn, sizeof(tn));
	return misuse(st, SL_EINVAL, "%s: output column %u '%s' is of type %s",
		      fn, col, f->name, tn);
}

int sl_group_state_out_long(sl_group_state *st, uint32_t col, int64_t v)
{
	static const char fn[] = "sl_group_state_out_long";
	const sl_field *f;
	sl_value *c = out_cell(st, col, fn, &f);
	if (!c)
		return SL_EINVAL;
	switch (f->type->id) {
	case SL_INT:
	case SL_DATE:
		if (v < INT32_MIN || v > INT32_MAX)
			return misuse(st, SL_EINVAL,
				      "%s: %lld is out of range for output "
				      "column %u '%s'",
				      fn, (long long)v, col, f->name);
		*c = f->type->id == SL_INT ? sl_v_int((int32_t)v)
					   : sl_v_date((int32_t)v);
		return 0;
	case SL_LONG: *c = sl_v_long(v); return 0;
	case SL_TIMESTAMP: *c = sl_v_ts(v); return 0;
	case SL_BOOL: *c = sl_v_bool(v != 0); return 0;
	case SL_DOUBLE: *c = sl_v_double((double)v); return 0;
	default: return wrong_type(st, fn, col, f);
	}
}

int sl_group_state_out_double(sl_group_state *st, uint32_t col, double v)
{
	static const char fn[] = "sl_group_state_out_double";
	const sl_field *f;
	sl_value *c = out_cell(st, col, fn, &f);
	if (!c)
		return SL_EINVAL;
	if (f->type->id != SL_DOUBLE)
		return wrong_type(st, fn, col, f);
	*c = sl_v_double(v);
	return 0;
}

int sl_group_state_out_string(sl_group_state *st, uint32_t col, const char *s,
			size_t len)
{
	static const char fn[] = "sl_group_state_out_string";
	const sl_field *f;
	sl_value *c = out_cell(st, col, fn, &f);
	if (!c)
		return SL_EINVAL;
	sl_type t = f->type->id;
	if (t != SL_STRING && t != SL_BINARY)
		return wrong_type(st, fn, col, f);
	if (len > UINT32_MAX || (len && !s))
		return misuse(st, SL_EINVAL, "%s: bad string for column %u", fn,
			      col);
	char *copy = sl_arena_alloc(&st->out->arena, len ? len : 1);
	if (len)
		memcpy(copy, s, len);
	*c = t == SL_STRING ? sl_v_str(copy, (uint32_t)len)
			    : sl_v_bin((const uint8_t *)copy, (uint32_t)len);
	return 0;
}

/* ---- state store encoding ------------------------------------------------ */

#define GS_MAGIC "SLGS"
#define GS_FORMAT 1
#define GS_SNAPSHOT 1
#define GS_DELTA 2

static void put_header(const sl_group_state_op *g, uint8_t kind,
		       int64_t version, uint64_t nrec, sl_buf *b)
{
	sl_buf_put(b, GS_MAGIC, 4);
	sl_buf_put_u8(b, GS_FORMAT);
	sl_buf_put_u8(b, kind);
	sl_buf_put_u64(b, (uint64_t)version);
	sl_buf_put_u64(b, (uint64_t)g->wm.current_us);
	sl_buf_put_u32(b, g->spec.nkeys);
	for (uint32_t i = 0; i < g->spec.nkeys; i++)
		sl_buf_put_u8(
			b,
			(uint8_t)g->spec.in->fields[g->spec.keys[i]].type->id);
	sl_buf_put_u64(b, nrec);
}

static void put_group(const sl_group_state_op *g, uint32_t slot, sl_buf *b)
{
	const struct gslot *gs = &g->slots[slot];
	encode_key(g, sl_keytab_key(g->kt, slot), b);
	sl_buf_put_u8(b, 1);
	sl_buf_put_u64(b, (uint64_t)gs->timeout);
	sl_buf_put_u8(b, gs->exists);
	sl_buf_put_varint(b, gs->len);
	sl_buf_put(b, gs->blob, gs->len);
}

void sl_group_state_op_snapshot(const sl_group_state_op *g, int64_t version,
				sl_buf *out)
{
	put_header(g, GS_SNAPSHOT, version, sl_keytab_count(g->kt), out);
	for (int64_t s = sl_keytab_next(g->kt, -1); s >= 0;
	     s = sl_keytab_next(g->kt, s))
		put_group(g, (uint32_t)s, out);
}

void sl_group_state_op_delta(const sl_group_state_op *g, int64_t version,
			     sl_buf *out)
{
	uint64_t live = 0;
	for (uint32_t i = 0; i < g->nchanged; i++)
		live += sl_keytab_live(g->kt, g->changed[i]);
	put_header(g, GS_DELTA, version, g->nremoved + live, out);
	/* Tombstones first. A group written and then removed in the run
	 * is a tombstone only: its slot is no longer live. Slots are not
	 * reused within a run: every insert comes before the calls. */
	sl_buf_put(out, g->removed.p, g->removed.len);
	for (uint32_t i = 0; i < g->nchanged; i++)
		if (sl_keytab_live(g->kt, g->changed[i]))
			put_group(g, g->changed[i], out);
}

static int restore_fail(sl_err *err, const char *why)
{
	return sl_err_set(err, SL_EINVAL, "group state restore: %s", why);
}

static void clear_all(sl_group_state_op *g)
{
	for (uint32_t i = 0; i < g->capslots; i++) {
		free(g->slots[i].blob);
		memset(&g->slots[i], 0, sizeof(g->slots[i]));
	}
	g->state_bytes = 0;
	sl_keytab_clear(g->kt);
}

/* One record of a snapshot or delta, applied. */
static int restore_record(sl_group_state_op *g, sl_rbuf *r, sl_arena *tmp)
{
	for (uint32_t k = 0; k < g->spec.nkeys; k++)
		if (sl_value_decode(r, tmp, &g->kbuf[k]))
			return SL_EINVAL;
	uint8_t present = sl_rbuf_u8(r);
	if (r->err)
		return SL_EINVAL;
	if (!present) {
		int64_t s = sl_keytab_find(g->kt, g->kbuf);
		if (s >= 0) {
			slot_clear_blob(g, &g->slots[s]);
			sl_keytab_delete(g->kt, (uint32_t)s);
		}
		return 0;
	}
	int64_t timeout = (int64_t)sl_rbuf_u64(r);
	uint8_t exists = sl_rbuf_u8(r);
	uint64_t len = sl_rbuf_varint(r);
	const uint8_t *p = len <= UINT32_MAX ? sl_rbuf_get(r, len) : NULL;
	if (r->err || (len && !p))
		return SL_EINVAL;
	uint32_t slot = slot_get(g, g->kbuf); /* may move g->slots */
	struct gslot *gs = &g->slots[slot];
	if (exists)
		slot_set_blob(g, gs, p, len);
	else
		slot_clear_blob(g, gs);
	gs->timeout = timeout;
	return 0;
}

int sl_group_state_op_restore(sl_group_state_op *g, const void *p, size_t n,
			      sl_err *err)
{
	sl_rbuf r = sl_rbuf_make(p, n);
	const uint8_t *m = sl_rbuf_get(&r, 4);
	if (!m || memcmp(m, GS_MAGIC, 4))
		return restore_fail(err, "not a group state encoding");
	if (sl_rbuf_u8(&r) != GS_FORMAT)
		return restore_fail(err, "unknown format version");
	uint8_t kind = sl_rbuf_u8(&r);
	(void)sl_rbuf_u64(&r); /* version: the envelope's is checked */
	int64_t wm = (int64_t)sl_rbuf_u64(&r);
	bool shape = sl_rbuf_u32(&r) == g->spec.nkeys;
	for (uint32_t i = 0; shape && i < g->spec.nkeys; i++)
		shape = sl_rbuf_u8(&r) ==
			(uint8_t)g->spec.in->fields[g->spec.keys[i]].type->id;
	if (!shape)
		return restore_fail(err, "written by a group state operator "
					 "over other key columns");
	uint64_t nrec = sl_rbuf_u64(&r);
	if (r.err || (kind != GS_SNAPSHOT && kind != GS_DELTA))
		return restore_fail(err, "truncated or malformed header");
	if (kind == GS_SNAPSHOT)
		clear_all(g);
	sl_arena tmp;
	sl_arena_init(&tmp);
	int rc = 0;
	for (uint64_t i = 0; i < nrec && !rc; i++) {
		rc = restore_record(g, &r, &tmp);
		sl_arena_reset(&tmp);
	}
	sl_arena_free(&tmp);
	if (!rc && r.off != r.len)
		rc = SL_EINVAL;
	g->nchanged = 0;
	g->removed.len = 0;
	g->nremoved = 0;
	g->wm.seen = false;
	g->wm.current_us = g->wm.late_us = wm;
	if (rc < 0)
		return restore_fail(err, "truncated or malformed record");
	return 0;
}

/* ---- the stateful operator interface (ops/operator.h) -------------------- */

sl_stateful_op *sl_group_state_op_as_op(sl_group_state_op *g)
{
	return &g->base;
}

/* The instance is the operator's first member. */
static sl_group_state_op *gstate_of(const sl_stateful_op *op)
{
	return (sl_group_state_op *)op;
}

/* The vector is kept until the batch ends: its rows are grouped and
 * handed to the function in emit. */
static int gstate_op_update(sl_stateful_op *op, sl_batch *b, sl_err *err)
{
	return sl_group_state_op_add(gstate_of(op), b, err) < 0 ? SL_EINVAL : 1;
}

static int gstate_op_emit(sl_stateful_op *op, int64_t epoch, int64_t now_us,
			  sl_batch **out, sl_err *err)
{
	sl_group_state_op *g = gstate_of(op);
	if (!*out)
		*out = sl_batch_new(g->spec.out, 16);
	return sl_group_state_op_run(g, now_us, *out, err);
}

/* With an event-time timeout, a watermark that moved runs Spark's batch
 * without data, where the timeouts the new watermark passes fire. */
static int gstate_op_end_batch(sl_stateful_op *op, sl_err *err)
{
	sl_group_state_op *g = gstate_of(op);
	return sl_group_state_op_finish(g) &&
	       g->spec.timeout == SL_GROUP_TIMEOUT_EVENT;
}

static int64_t gstate_op_watermark(const sl_stateful_op *op)
{
	return sl_group_state_op_watermark(gstate_of(op));
}

static void gstate_op_set_watermark(sl_stateful_op *op, int64_t wm_us)
{
	sl_group_state_op_set_watermark(gstate_of(op), wm_us);
}

static void gstate_op_stats(const sl_stateful_op *op, sl_state_stats *st)
{
	sl_group_state_op_stats gs;
	sl_group_state_op_stats_get(gstate_of(op), &gs);
	st->num_rows_total = gs.num_rows_total;
	st->num_rows_updated = gs.num_rows_updated;
	st->num_rows_removed = gs.num_rows_removed;
	st->num_rows_dropped_by_watermark = gs.num_rows_dropped_by_watermark;
	st->num_output_rows = gs.num_output_rows;
	st->memory_used_bytes = gs.memory_used_bytes;
	st->watermark_us = gs.watermark_us;
}

static sl_stateful_op *gstate_op_partition(sl_stateful_op *op, uint32_t i)
{
	return op;
}

static void gstate_op_delta(const sl_stateful_op *op, uint32_t i,
			    int64_t version, sl_buf *out)
{
	sl_group_state_op_delta(gstate_of(op), version, out);
}

static void gstate_op_snapshot(const sl_stateful_op *op, int64_t version,
			       sl_buf *out)
{
	sl_group_state_op_snapshot(gstate_of(op), version, out);
}

static int gstate_op_restore(sl_stateful_op *op, const void *p, size_t n,
			     sl_err *err)
{
	return sl_group_state_op_restore(gstate_of(op), p, n, err);
}

/* A processing-time timeout wakes the query: the coordinator runs a batch
 * without data when the earliest one is due. */
static bool gstate_op_due(const sl_stateful_op *op, int64_t *due_us)
{
	const sl_group_state_op *g = gstate_of(op);
	if (g->spec.timeout != SL_GROUP_TIMEOUT_PROCESSING)
		return false;
	*due_us = sl_group_state_op_next_timeout(g);
	return true;
}

static void gstate_op_destroy(sl_stateful_op *op)
{
	sl_group_state_op_free(gstate_of(op));
}

/* Spark's operatorName for map too: Spark plans both as
 * FlatMapGroupsWithStateExec. */
static const sl_stateful_op_ops gstate_stateful_ops = {
	.name = "flatMapGroupsWithState",
	.update = gstate_op_update,
	.emit = gstate_op_emit,
	.end_batch = gstate_op_end_batch,
	.watermark = gstate_op_watermark,
	.set_watermark = gstate_op_set_watermark,
	.stats = gstate_op_stats,
	.partition = gstate_op_partition,
	.delta = gstate_op_delta,
	.snapshot = gstate_op_snapshot,
	.restore = gstate_op_restore,
	.due = gstate_op_due,
	.destroy = gstate_op_destroy,
};
