/* ops/groupby.c - the stateful aggregation operator (ops/groupby.h).
 *
 * State layout: an sl_keytab maps each key tuple to a slot; a slot heads
 * a chain of groups (exactly one for plain and time-windowed keys, where
 * the window is part of the key; one per session for session windows,
 * where the key excludes the window because sessions grow and merge).
 * A group is a record (its window bounds) plus one contiguous block of
 * aggregate states. Groups and slots are reused after eviction, and
 * aggregate states free their own bytes, so a stream under a watermark
 * holds memory proportional to the open windows only.
 *
 * Changes are tracked per slot for the batch: update mode emits the
 * changed slots, and the state store's delta is the changed slots plus
 * tombstones of the keys evicted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "ops/groupby.h"
#include "sluice.h"

typedef struct gb_group {
	uint32_t slot;   /* keytab slot of the group's key */
	uint32_t next_in_slot; /* next group of the same slot + 1; 0: none
	                          (sessions) */
	int64_t start;   /* session start (sessions only) */
	int64_t end;     /* the time the watermark evicts it at: window or
	                    session end, the key's event time, or INT64_MAX */
	bool live;
} gb_group;

struct sl_groupby {
	sl_stateful_op base; /* first: the instance of ops/operator.h */
	sl_groupby_spec spec;
	sl_groupby_agg *aggs;
	const sl_schema *out;
	bool session;
	uint32_t key_arity; /* keytab arity: nkeys, less the session column */
	int32_t wm_key;   /* key column the watermark applies to, or -1 */
	sl_keytab *kt;

	/* per slot */
	uint32_t *slot_first_group; /* its first group's index + 1; 0: none */
	uint32_t *slot_changed_at;  /* index in changed[] + 1; 0 when
	                               unchanged */
	uint32_t capslots;

	/* groups */
	gb_group *groups;
	uint8_t *states;   /* aggregate states, `stride` bytes per group */
	size_t stride;
	size_t *agg_offset; /* each aggregate's state in a group's */
	uint32_t ngroups, capgroups;
	uint32_t first_free_group; /* index + 1 of a freed group; 0: none */
	uint32_t nlive;            /* live groups */

	/* the running batch */
	uint32_t *changed;
	uint32_t nchanged, capchanged;
	sl_buf removed;   /* tombstone records of evicted keys */
	uint64_t nremoved;
	uint64_t updated, evicted, dropped, late_rows, outrows;

	sl_watermark wm;
	int64_t min_end;  /* no live group ends before this */
	size_t heap;      /* bytes aggregate states hold on the heap */

	sl_value *key_scratch;
	int64_t *starts;  /* scratch window starts */
};

static const char *agg_default_name(const sl_groupby_agg *a,
				    const sl_schema *in, sl_arena *plan)
{
	if (a->fn->star)
		return "count(1)";
	size_t n = strlen(a->fn->name) + strlen(in->fields[a->col].name) + 3;
	char *s = sl_arena_alloc(plan, n);
	snprintf(s, n, "%s(%s)", a->fn->name, in->fields[a->col].name);
	return s;
}

/* ---- making the operator ------------------------------------------------- */

static int check_spec(const sl_groupby_spec *s, sl_err *err)
{
	const sl_schema *in = s->in;
	if (!in || s->nkeys > in->n)
		return sl_err_set(err, SL_EANALYSIS,
				  "group by: %u key columns but the input has "
				  "%u columns", s->nkeys, in ? in->n : 0);
	for (uint32_t a = 0; a < s->naggs; a++) {
		const sl_groupby_agg *g = &s->aggs[a];
		if (!g->fn)
			return sl_err_set(err, SL_EANALYSIS,
					  "group by: aggregate %u has no "
					  "function", a);
		if (g->fn->star)
			continue;
		if (g->col < 0 || (uint32_t)g->col >= in->n)
			return sl_err_set(err, SL_EANALYSIS,
					  "%s needs an argument column",
					  g->fn->name);
	}
	int32_t tk = s->time_key;
	if ((tk >= 0) != (s->window.kind != SL_WINDOW_NONE))
		return sl_err_set(err, SL_EANALYSIS,
				  "group by: a window needs its time key "
				  "column and a time key needs a window");
	if (tk >= 0) {
		if ((uint32_t)tk >= s->nkeys)
			return sl_err_set(err, SL_EANALYSIS,
					  "group by: the window's time column "
					  "must be a key column");
		sl_type t = in->fields[tk].type->id;
		if (t != SL_TIMESTAMP)
			return sl_err_set(err, SL_EANALYSIS,
					  "%s: the time column '%s' must be a "
					  "timestamp",
					  s->window.kind == SL_WINDOW_SESSION
						  ? "session_window"
						  : "window",
					  in->fields[tk].name);
	}
	if (s->wm_col >= 0) {
		if ((uint32_t)s->wm_col >= in->n ||
		    in->fields[s->wm_col].type->id != SL_TIMESTAMP)
			return sl_err_set(err, SL_EANALYSIS,
					  "watermark: the event time column "
					  "must be a timestamp");
		if (s->wm_delay_us < 0)
			return sl_err_set(err, SL_EANALYSIS,
					  "watermark: the delay must not be "
					  "negative");
		if (tk >= 0 && (uint32_t)s->wm_col < s->nkeys &&
		    s->wm_col != tk)
			return sl_err_set(err, SL_EANALYSIS,
					  "watermark: with a window, the "
					  "watermark's column must be the "
					  "window's time column");
	}
	bool wm_on_key = s->wm_col >= 0 && (uint32_t)s->wm_col < s->nkeys;
	if (s->mode == SL_MODE_APPEND && !wm_on_key)
		return sl_err_set(err, SL_EMODE,
				  "append output mode is not supported for "
				  "streaming aggregations without a watermark "
				  "on a grouping key (a window of the "
				  "watermark's column); use update or "
				  "complete mode, or add a watermark");
	if (s->mode == SL_MODE_UPDATE &&
	    s->window.kind == SL_WINDOW_SESSION)
		return sl_err_set(err, SL_EMODE,
				  "update output mode is not supported for "
				  "session window aggregations; use append "
				  "(with a watermark) or complete mode");
	if (s->mode > SL_MODE_COMPLETE)
		return sl_err_set(err, SL_EMODE, "unknown output mode");
	return 0;
}

static void free_batch_v(void *b)
{
	sl_batch_free(b);
}

static void free_buf_v(void *b)
{
	sl_buf_free(b);
}

static void groupby_free_v(void *op)
{
	sl_groupby_free(op);
}

sl_groupby *sl_groupby_new(const sl_groupby_spec *spec, sl_arena *plan,
			   sl_err *err)
{
	if (check_spec(spec, err) < 0)
		return NULL;
	const sl_schema *in = spec->in;
	sl_schema *out = sl_schema_new(plan, spec->nkeys + spec->naggs);
	for (uint32_t c = 0; c < spec->nkeys; c++) {
		out->fields[c] = in->fields[c];
		if ((int32_t)c == spec->time_key) {
			out->fields[c].type = &sl_dtype_window;
			out->fields[c].name =
				spec->window.kind == SL_WINDOW_SESSION
					? "session_window"
					: "window";
			out->fields[c].nullable = false;
		}
	}
	for (uint32_t a = 0; a < spec->naggs; a++) {
		const sl_groupby_agg *g = &spec->aggs[a];
		const sl_dtype *at = g->fn->star ? &sl_dtype_null
						 : in->fields[g->col].type;
		const sl_dtype *rt = g->fn->result_type(at, plan);
		if (!rt) {
			char tn[64];
			sl_dtype_name(at, tn, sizeof(tn));
			sl_err_set(err, SL_EANALYSIS,
				   "cannot resolve '%s(%s)': %s does not "
				   "accept an argument of type %s",
				   g->fn->name, in->fields[g->col].name,
				   g->fn->name, tn);
			return NULL;
		}
		sl_field *f = &out->fields[spec->nkeys + a];
		f->name = g->name ? g->name : agg_default_name(g, in, plan);
		f->type = rt;
		/* counts and lists are never null */
		f->nullable = g->fn != &sl_agg_count &&
			      g->fn != &sl_agg_count_star &&
			      g->fn != &sl_agg_approx_count_distinct &&
			      g->fn != &sl_agg_collect_list;
	}

	sl_groupby *op = sl_xrealloc(NULL, sizeof(*op));
	memset(op, 0, sizeof(*op));
	/* freed by an unwind (core/alloc.h) until it is returned */
	sl_oom_defer(groupby_free_v, op);
	op->base = (sl_stateful_op){ .ops = &sl_groupby_stateful_ops,
				     .nparts = 1 };
	op->spec = *spec;
	op->aggs = sl_xrealloc(NULL, spec->naggs * sizeof(*op->aggs));
	if (spec->naggs)
		memcpy(op->aggs, spec->aggs, spec->naggs * sizeof(*op->aggs));
	op->spec.aggs = op->aggs;
	op->out = out;
	op->session = spec->window.kind == SL_WINDOW_SESSION;
	op->key_arity = spec->nkeys - (op->session ? 1 : 0);
	op->wm_key = spec->wm_col >= 0 && (uint32_t)spec->wm_col < spec->nkeys
			     ? spec->wm_col
			     : -1;
	op->kt = sl_keytab_new(op->key_arity);
	op->agg_offset = sl_xrealloc(NULL, (spec->naggs + 1) * sizeof(size_t));
	for (uint32_t a = 0; a < spec->naggs; a++) {
		op->agg_offset[a] = op->stride;
		/* 16-byte alignment for any state struct */
		op->stride += (spec->aggs[a].fn->state_size + 15) & ~(size_t)15;
	}
	op->key_scratch =
		sl_xrealloc(NULL, (spec->nkeys + 1) * sizeof(sl_value));
	op->starts = sl_xrealloc(NULL, sl_window_max(&spec->window) *
					       sizeof(int64_t));
	sl_watermark_init(&op->wm, spec->wm_delay_us);
	op->min_end = INT64_MAX;
	sl_oom_undefer(op);
	return op;
}

const sl_schema *sl_groupby_schema(const sl_groupby *op)
{
	return op->out;
}

sl_stateful_op *sl_groupby_as_op(sl_groupby *op)
{
	return &op->base;
}

sl_output_mode sl_groupby_mode(const sl_groupby *op)
{
	return op->spec.mode;
}

/* ---- groups -------------------------------------------------------------- */

static void *state_of(const sl_groupby *op, uint32_t gid, uint32_t a)
{
	return op->states + (size_t)gid * op->stride + op->agg_offset[a];
}

static void ensure_slots(sl_groupby *op)
{
	uint32_t need = sl_keytab_slots(op->kt);
	if (need <= op->capslots)
		return;
	uint32_t cap = op->capslots ? op->capslots : 16;
	while (cap < need)
		cap *= 2;
	op->slot_first_group =
		sl_xrealloc(op->slot_first_group, cap * sizeof(uint32_t));
	op->slot_changed_at =
		sl_xrealloc(op->slot_changed_at, cap * sizeof(uint32_t));
	memset(op->slot_first_group + op->capslots, 0,
	       (cap - op->capslots) * sizeof(uint32_t));
	memset(op->slot_changed_at + op->capslots, 0,
	       (cap - op->capslots) * sizeof(uint32_t));
	op->capslots = cap;
}

/* A new group at the head of slot's chain, with fresh states. */
static uint32_t new_group(sl_groupby *op, uint32_t slot, int64_t start,
			  int64_t end)
{
	uint32_t gid;
	if (op->first_free_group) {
		gid = op->first_free_group - 1;
		op->first_free_group = op->groups[gid].next_in_slot;
	} else {
		if (op->ngroups == op->capgroups) {
			op->capgroups = op->capgroups ? op->capgroups * 2 : 64;
			op->groups = sl_xrealloc(
				op->groups, op->capgroups * sizeof(gb_group));
			op->states = sl_xrealloc(op->states,
						 op->capgroups * op->stride);
		}
		gid = op->ngroups++;
	}
	gb_group *g = &op->groups[gid];
	g->slot = slot;
	g->start = start;
	g->end = end;
	g->live = true;
	g->next_in_slot = op->slot_first_group[slot];
	op->slot_first_group[slot] = gid + 1;
	for (uint32_t a = 0; a < op->spec.naggs; a++)
		op->aggs[a].fn->init(state_of(op, gid, a));
	if (end < op->min_end)
		op->min_end = end;
	op->nlive++;
	return gid;
}

/* Destroys a group's states and frees it; the caller unlinks it. */
static void free_group(sl_groupby *op, uint32_t gid)
{
	for (uint32_t a = 0; a < op->spec.naggs; a++) {
		const sl_agg_fn *fn = op->aggs[a].fn;
		void *s = state_of(op, gid, a);
		if (fn->mem)
			op->heap -= fn->mem(s);
		if (fn->destroy)
			fn->destroy(s);
	}
	op->groups[gid].live = false;
	op->groups[gid].next_in_slot = op->first_free_group;
	op->first_free_group = gid + 1;
	op->nlive--;
}

static void add_row(sl_groupby *op, uint32_t gid, const sl_value *row)
{
	for (uint32_t a = 0; a < op->spec.naggs; a++) {
		const sl_agg_fn *fn = op->aggs[a].fn;
		void *s = state_of(op, gid, a);
		const sl_value *v = fn->star ? NULL : &row[op->aggs[a].col];
		if (fn->mem) {
			size_t before = fn->mem(s);
			fn->add(s, v);
			op->heap += fn->mem(s) - before;
		} else {
			fn->add(s, v);
		}
	}
}

static void merge_group(sl_groupby *op, uint32_t into, uint32_t from)
{
	for (uint32_t a = 0; a < op->spec.naggs; a++) {
		const sl_agg_fn *fn = op->aggs[a].fn;
		void *s = state_of(op, into, a);
		size_t before = fn->mem ? fn->mem(s) : 0;
		fn->merge(s, state_of(op, from, a));
		if (fn->mem)
			op->heap += fn->mem(s) - before;
	}
}

static void mark_changed(sl_groupby *op, uint32_t slot, bool update)
{
	if (op->slot_changed_at[slot])
		return;
	if (op->nchanged == op->capchanged) {
		op->capchanged = op->capchanged ? op->capchanged * 2 : 64;
		op->changed = sl_xrealloc(op->changed,
					  op->capchanged * sizeof(uint32_t));
	}
	op->changed[op->nchanged++] = slot;
	op->slot_changed_at[slot] = op->nchanged;
	if (update)
		op->updated++;
}

static void unmark_changed(sl_groupby *op, uint32_t slot)
{
	uint32_t p = op->slot_changed_at[slot];
	if (!p)
		return;
	uint32_t last = op->changed[--op->nchanged];
	op->changed[p - 1] = last;
	op->slot_changed_at[last] = p;
	op->slot_changed_at[slot] = 0;
}

static void encode_key(const sl_groupby *op, uint32_t slot, sl_buf *b)
{
	const sl_value *k = sl_keytab_key(op->kt, slot);
	for (uint32_t i = 0; i < op->key_arity; i++)
		sl_value_encode(b, &k[i]);
}

/* Removes a slot whose chain is empty; `tombstone` records the removal
 * for the next delta (eviction does, restore does not). */
static void delete_slot(sl_groupby *op, uint32_t slot, bool tombstone)
{
	if (tombstone) {
		encode_key(op, slot, &op->removed);
		sl_buf_put_varint(&op->removed, 0);
		op->nremoved++;
	}
	unmark_changed(op, slot);
	op->slot_first_group[slot] = 0;
	sl_keytab_delete(op->kt, slot);
}

uint32_t sl_groupby_partition(const sl_groupby_spec *spec,
			      const sl_value *row, uint32_t nparts)
{
	if (nparts <= 1 || !spec->nkeys)
		return 0;
	uint64_t h;
	int32_t tk = spec->time_key;
	if (tk < 0) {
		h = sl_key_hash(row, spec->nkeys);
	} else {
		/* hash the key around the time column: keys before it, then
		 * the ones after, chained like one tuple */
		sl_value k[16], *kp = k;
		if (spec->nkeys - 1 > 16)
			kp = sl_xrealloc(NULL,
					 (spec->nkeys - 1) * sizeof(sl_value));
		memcpy(kp, row, (size_t)tk * sizeof(sl_value));
		memcpy(kp + tk, row + tk + 1,
		       (spec->nkeys - 1 - (uint32_t)tk) * sizeof(sl_value));
		h = sl_key_hash(kp, spec->nkeys - 1);
		if (kp != k)
			free(kp);
	}
	/* the high bits: the table index uses the low ones */
	return (uint32_t)((h >> 32) % nparts);
}

/* ---- update -------------------------------------------------------------- */

/* Is a group ending (for the watermark) at `end` too late to update? By
 * the previous batch's watermark, as Spark 3.4+ (ops/window.h); not in
 * complete mode: Spark keeps and updates every group there. */
static bool is_late(const sl_groupby *op, int64_t end)
{
	return op->wm_key >= 0 && op->spec.mode != SL_MODE_COMPLETE &&
	       end <= op->wm.late_us;
}

/* The group of a plain or time-windowed key (kbuf), made if new. */
static uint32_t group_for(sl_groupby *op, int64_t end)
{
	bool created;
	uint32_t slot = sl_keytab_insert(op->kt, op->key_scratch, &created);
	ensure_slots(op);
	if (created)
		return new_group(op, slot, 0, end);
	return op->slot_first_group[slot] - 1;
}

static bool touches(const gb_group *g, int64_t s, int64_t e)
{
	/* Spark merges a session starting at or before the current one's
	 * end: sessions that merely touch become one. */
	return g->start <= e && s <= g->end;
}

/* Adds a row at event time t to its key's sessions: merges every session
 * that [t, t + gap) overlaps or touches into the earliest of them, or
 * starts a new one. */
static void session_add(sl_groupby *op, uint32_t slot, int64_t t,
			const sl_value *row)
{
	int64_t s = t, e = t + op->spec.window.gap_us;
	uint32_t target_plus_one = 0;
	for (uint32_t l = op->slot_first_group[slot]; l;
	     l = op->groups[l - 1].next_in_slot)
		if (touches(&op->groups[l - 1], s, e) &&
		    (!target_plus_one ||
		     op->groups[l - 1].start <
			     op->groups[target_plus_one - 1].start))
			target_plus_one = l;
	uint32_t gid;
	if (!target_plus_one) {
		gid = new_group(op, slot, s, e);
	} else {
		gid = target_plus_one - 1;
		uint32_t *link = &op->slot_first_group[slot];
		while (*link) {
			uint32_t o = *link - 1;
			gb_group *og = &op->groups[o];
			if (o == gid || !touches(og, s, e)) {
				link = &og->next_in_slot;
				continue;
			}
			merge_group(op, gid, o);
			if (og->start < s)
				s = og->start;
			if (og->end > e)
				e = og->end;
			*link = og->next_in_slot;
			free_group(op, o);
		}
		gb_group *g = &op->groups[gid];
		if (s < g->start)
			g->start = s;
		if (e > g->end)
			g->end = e;
	}
	add_row(op, gid, row);
	mark_changed(op, slot, true);
}

int sl_groupby_update(sl_groupby *op, const sl_batch *in, sl_err *err)
{
	const sl_groupby_spec *sp = &op->spec;
	if (in->ncols != sp->in->n)
		return sl_err_set(err, SL_EINVAL,
				  "group by: input has %u columns, expected %u",
				  in->ncols, sp->in->n);
	int32_t tk = sp->time_key;
	for (uint32_t r = 0; r < in->nrows; r++) {
		const sl_value *row = sl_batch_row(in, r);
		if (sp->wm_col >= 0 && row[sp->wm_col].type == SL_TIMESTAMP)
			sl_watermark_observe(&op->wm, row[sp->wm_col].v.i64);
		memcpy(op->key_scratch, row, sp->nkeys * sizeof(sl_value));
		if (tk < 0) {
			int64_t end = INT64_MAX;
			if (op->wm_key >= 0 &&
			    row[op->wm_key].type == SL_TIMESTAMP)
				end = row[op->wm_key].v.i64;
			if (is_late(op, end)) {
				op->dropped++;
				op->late_rows++;
				continue;
			}
			uint32_t gid = group_for(op, end);
			add_row(op, gid, row);
			mark_changed(op, op->groups[gid].slot, true);
			continue;
		}
		/* Spark drops rows whose window time is null. */
		if (row[tk].type != SL_TIMESTAMP)
			continue;
		int64_t t = row[tk].v.i64;
		if (op->session) {
			if (is_late(op, t + sp->window.gap_us)) {
				op->dropped++;
				op->late_rows++;
				continue;
			}
			memmove(op->key_scratch + tk, op->key_scratch + tk + 1,
				(sp->nkeys - 1 - (uint32_t)tk) *
					sizeof(sl_value));
			bool created;
			uint32_t slot = sl_keytab_insert(
				op->kt, op->key_scratch, &created);
			ensure_slots(op);
			session_add(op, slot, t, row);
			continue;
		}
		uint32_t n = sl_window_assign(&sp->window, t, op->starts);
		uint32_t kept = 0;
		for (uint32_t w = 0; w < n; w++) {
			int64_t ws = op->starts[w];
			int64_t we = ws + sp->window.duration_us;
			if (is_late(op, we)) {
				op->dropped++;
				continue;
			}
			sl_value f[2] = { sl_v_ts(ws), sl_v_ts(we) };
			sl_value wv = { .type = SL_STRUCT, .len = 2 };
			wv.v.fields = f;
			op->key_scratch[tk] = wv;
			uint32_t gid = group_for(op, op->wm_key >= 0
							     ? we
							     : INT64_MAX);
			add_row(op, gid, row);
			mark_changed(op, op->groups[gid].slot, true);
			kept++;
		}
		if (n && !kept)
			op->late_rows++;
	}
	return 0;
}

/* ---- emit and eviction --------------------------------------------------- */

static void out_row(const sl_groupby *op, sl_batch *b, uint32_t gid)
{
	const gb_group *g = &op->groups[gid];
	const sl_value *k = sl_keytab_key(op->kt, g->slot);
	sl_value *row = sl_batch_add_row(b);
	uint32_t j = 0;
	for (uint32_t c = 0; c < op->spec.nkeys; c++) {
		if (op->session && (int32_t)c == op->spec.time_key)
			row[c] = sl_window_value(g->start, g->end, &b->arena);
		else
			row[c] = sl_value_copy(&k[j++], &b->arena);
	}
	for (uint32_t a = 0; a < op->spec.naggs; a++)
		row[op->spec.nkeys + a] = op->aggs[a].fn->result(
			state_of(op, gid, a), &b->arena);
}

/* Evicts every group the watermark has passed (end <= watermark),
 * emitting each into b first when b is not NULL (append mode). */
static void evict(sl_groupby *op, sl_batch *b)
{
	int64_t wm = op->wm.current_us;
	if (op->wm_key < 0 || op->min_end > wm)
		return;
	int64_t newmin = INT64_MAX;
	for (int64_t s = sl_keytab_next(op->kt, -1); s >= 0;
	     s = sl_keytab_next(op->kt, s)) {
		uint32_t slot = (uint32_t)s,
			 *link = &op->slot_first_group[slot];
		bool any = false;
		while (*link) {
			uint32_t gid = *link - 1;
			gb_group *g = &op->groups[gid];
			if (g->end > wm) {
				if (g->end < newmin)
					newmin = g->end;
				link = &g->next_in_slot;
				continue;
			}
			if (b)
				out_row(op, b, gid);
			*link = g->next_in_slot;
			free_group(op, gid);
			op->evicted++;
			any = true;
		}
		if (!op->slot_first_group[slot])
			delete_slot(op, slot, true);
		else if (any)
			mark_changed(op, slot, false);
	}
	op->min_end = newmin;
}

int sl_groupby_emit(sl_groupby *op, int64_t batch_id, sl_batch **out)
{
	/* A global aggregation (no keys) has its one row from the first
	 * batch on, even before any input (count 0), and Spark's partial
	 * aggregate feeds it every batch, so update mode emits it each
	 * time. */
	if (!op->spec.nkeys && op->spec.mode != SL_MODE_APPEND) {
		uint32_t gid = group_for(op, INT64_MAX);
		mark_changed(op, op->groups[gid].slot, false);
	}
	uint32_t cap = op->spec.mode == SL_MODE_COMPLETE ? op->nlive
		       : op->spec.mode == SL_MODE_UPDATE ? op->nchanged
							: 16;
	sl_batch *b = sl_batch_new(op->out, cap ? cap : 1);
	b->epoch = batch_id;
	sl_oom_defer(free_batch_v, b); /* until it is *out (core/alloc.h) */
	switch (op->spec.mode) {
	case SL_MODE_COMPLETE:
		for (int64_t s = sl_keytab_next(op->kt, -1); s >= 0;
		     s = sl_keytab_next(op->kt, s))
			for (uint32_t l = op->slot_first_group[s]; l;
			     l = op->groups[l - 1].next_in_slot)
				out_row(op, b, l - 1);
		break;
	case SL_MODE_UPDATE:
		for (uint32_t i = 0; i < op->nchanged; i++)
			for (uint32_t l = op->slot_first_group[op->changed[i]];
			     l; l = op->groups[l - 1].next_in_slot)
				out_row(op, b, l - 1);
		evict(op, NULL);
		break;
	case SL_MODE_APPEND:
		evict(op, b);
		break;
	}
	sl_oom_undefer(b);
	op->outrows = b->nrows;
	*out = b;
	return (int)b->nrows;
}

/* ---- batch ends and the watermark ---------------------------------------- */

void sl_groupby_end_batch(sl_groupby *op, int64_t next_watermark_us)
{
	for (uint32_t i = 0; i < op->nchanged; i++)
		op->slot_changed_at[op->changed[i]] = 0;
	op->nchanged = 0;
	op->removed.len = 0;
	op->nremoved = 0;
	op->updated = op->evicted = op->dropped = op->late_rows = 0;
	op->outrows = 0;
	op->wm.seen = false;
	op->wm.max_event_us = 0;
	op->wm.late_us = op->wm.current_us;
	if (next_watermark_us > op->wm.current_us)
		op->wm.current_us = next_watermark_us;
}

bool sl_groupby_advance_watermark(sl_groupby *op)
{
	int64_t before = op->wm.current_us;
	sl_groupby_end_batch(op, sl_watermark_next(&op->wm));
	return op->wm.current_us != before;
}

bool sl_groupby_max_event_time(const sl_groupby *op, int64_t *t)
{
	if (op->wm.seen)
		*t = op->wm.max_event_us;
	return op->wm.seen;
}

int64_t sl_groupby_watermark(const sl_groupby *op)
{
	return op->wm.current_us;
}

void sl_groupby_set_watermark(sl_groupby *op, int64_t wm_us)
{
	/* a restored batch had its batch without data: late rows are
	 * judged by the watermark it ended with */
	op->wm.current_us = op->wm.late_us = wm_us;
}

void sl_groupby_stats_get(const sl_groupby *op, sl_groupby_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->num_rows_total = op->nlive;
	st->num_rows_updated = op->updated;
	st->num_rows_removed = op->evicted;
	st->num_rows_dropped_by_watermark = op->dropped;
	st->num_late_input_rows = op->late_rows;
	st->num_output_rows = op->outrows;
	st->watermark_us = op->wm.current_us;
	st->memory_used_bytes =
		sizeof(*op) + sl_keytab_mem(op->kt) +
		(size_t)op->capgroups * (sizeof(gb_group) + op->stride) +
		(size_t)op->capslots * 2 * sizeof(uint32_t) +
		(size_t)op->capchanged * sizeof(uint32_t) + op->removed.cap +
		op->heap;
}

void sl_groupby_free(sl_groupby *op)
{
	if (!op)
		return;
	for (uint32_t gid = 0; gid < op->ngroups; gid++)
		if (op->groups[gid].live)
			free_group(op, gid);
	sl_keytab_free(op->kt);
	free(op->slot_first_group);
	free(op->slot_changed_at);
	free(op->groups);
	free(op->states);
	free(op->agg_offset);
	free(op->changed);
	sl_buf_free(&op->removed);
	free(op->key_scratch);
	free(op->starts);
	free(op->aggs);
	free(op);
}

/* ---- state store encoding ------------------------------------------------ */

/* Format (little-endian): "SLGB", format 1, kind (1 snapshot, 2 delta),
 * version, the watermark for the next batch, key arity, window kind,
 * aggregate count and names (the shape a restore must match), record
 * count; then records: the key tuple (canonical value encoding), the
 * number of groups (0: the key was removed), and per group its start, end
 * and length-prefixed aggregate states. */
#define GB_MAGIC "SLGB"
#define GB_FORMAT 1
#define GB_SNAPSHOT 1
#define GB_DELTA 2

static void put_header(const sl_groupby *op, uint8_t kind, int64_t version,
		       uint64_t nrec, sl_buf *b)
{
	sl_buf_put(b, GB_MAGIC, 4);
	sl_buf_put_u8(b, GB_FORMAT);
	sl_buf_put_u8(b, kind);
	sl_buf_put_u64(b, (uint64_t)version);
	sl_buf_put_u64(b, (uint64_t)sl_watermark_next(&op->wm));
	sl_buf_put_u32(b, op->key_arity);
	sl_buf_put_u8(b, (uint8_t)op->spec.window.kind);
	sl_buf_put_u32(b, op->spec.naggs);
	for (uint32_t a = 0; a < op->spec.naggs; a++) {
		const char *n = op->aggs[a].fn->name;
		sl_buf_put_u8(b, op->aggs[a].fn->star);
		sl_buf_put_varint(b, strlen(n));
		sl_buf_put(b, n, strlen(n));
	}
	sl_buf_put_u64(b, nrec);
}

static void put_record(const sl_groupby *op, uint32_t slot, sl_buf *b,
		       sl_buf *tmp)
{
	encode_key(op, slot, b);
	uint64_t n = 0;
	for (uint32_t l = op->slot_first_group[slot]; l;
	     l = op->groups[l - 1].next_in_slot)
		n++;
	sl_buf_put_varint(b, n);
	for (uint32_t l = op->slot_first_group[slot]; l;
	     l = op->groups[l - 1].next_in_slot) {
		const gb_group *g = &op->groups[l - 1];
		sl_buf_put_u64(b, (uint64_t)g->start);
		sl_buf_put_u64(b, (uint64_t)g->end);
		for (uint32_t a = 0; a < op->spec.naggs; a++) {
			tmp->len = 0;
			op->aggs[a].fn->encode(state_of(op, l - 1, a), tmp);
			sl_buf_put_varint(b, tmp->len);
			sl_buf_put(b, tmp->p, tmp->len);
		}
	}
}

void sl_groupby_snapshot(const sl_groupby *op, int64_t version, sl_buf *out)
{
	sl_buf tmp = { 0 };
	sl_oom_defer(free_buf_v, &tmp); /* core/alloc.h */
	put_header(op, GB_SNAPSHOT, version, sl_keytab_count(op->kt), out);
	for (int64_t s = sl_keytab_next(op->kt, -1); s >= 0;
	     s = sl_keytab_next(op->kt, s))
		put_record(op, (uint32_t)s, out, &tmp);
	sl_oom_undefer(&tmp);
	sl_buf_free(&tmp);
}

void sl_groupby_delta(const sl_groupby *op, int64_t version, sl_buf *out)
{
	sl_buf tmp = { 0 };
	sl_oom_defer(free_buf_v, &tmp); /* core/alloc.h */
	put_header(op, GB_DELTA, version, op->nremoved + op->nchanged, out);
	/* Tombstones first: a key evicted and made again in the same batch
	 * then ends up present. */
	sl_buf_put(out, op->removed.p, op->removed.len);
	for (uint32_t i = 0; i < op->nchanged; i++)
		put_record(op, op->changed[i], out, &tmp);
	sl_oom_undefer(&tmp);
	sl_buf_free(&tmp);
}

/* Frees every group and key. */
static void clear_state(sl_groupby *op)
{
	for (uint32_t gid = 0; gid < op->ngroups; gid++)
		if (op->groups[gid].live)
			free_group(op, gid);
	op->ngroups = op->first_free_group = 0;
	sl_keytab_clear(op->kt);
	if (op->capslots) {
		memset(op->slot_first_group, 0,
		       op->capslots * sizeof(uint32_t));
		memset(op->slot_changed_at, 0, op->capslots * sizeof(uint32_t));
	}
	op->nchanged = 0;
	op->min_end = INT64_MAX;
}

static int restore_fail(sl_err *err, const char *why)
{
	return sl_err_set(err, SL_EINVAL, "state restore: %s", why);
}

static int check_header(const sl_groupby *op, sl_rbuf *r, uint8_t *kind,
			int64_t *version, int64_t *wm, uint64_t *nrec,
			sl_err *err)
{
	const uint8_t *m = sl_rbuf_get(r, 4);
	if (!m || memcmp(m, GB_MAGIC, 4))
		return restore_fail(err, "not a group-by state encoding");
	if (sl_rbuf_u8(r) != GB_FORMAT)
		return restore_fail(err, "unknown format version");
	*kind = sl_rbuf_u8(r);
	*version = (int64_t)sl_rbuf_u64(r);
	*wm = (int64_t)sl_rbuf_u64(r);
	if (sl_rbuf_u32(r) != op->key_arity ||
	    sl_rbuf_u8(r) != (uint8_t)op->spec.window.kind ||
	    sl_rbuf_u32(r) != op->spec.naggs)
		return restore_fail(err, "written by an operator with other "
					 "keys, window or aggregates");
	for (uint32_t a = 0; a < op->spec.naggs; a++) {
		const sl_agg_fn *fn = op->aggs[a].fn;
		bool star = sl_rbuf_u8(r);
		uint64_t n = sl_rbuf_varint(r);
		const uint8_t *p = sl_rbuf_get(r, n);
		if (!p || star != fn->star || n != strlen(fn->name) ||
		    memcmp(p, fn->name, n))
			return restore_fail(err, "written by an operator with "
						 "other aggregates");
	}
	*nrec = sl_rbuf_u64(r);
	if (r->err || (*kind != GB_SNAPSHOT && *kind != GB_DELTA))
		return restore_fail(err, "truncated or malformed header");
	return 0;
}

static int restore_record(sl_groupby *op, sl_rbuf *r, sl_arena *tmp)
{
	for (uint32_t i = 0; i < op->key_arity; i++)
		if (sl_value_decode(r, tmp, &op->key_scratch[i]) < 0)
			return SL_EINVAL;
	uint64_t n = sl_rbuf_varint(r);
	if (r->err)
		return SL_EINVAL;
	int64_t found = sl_keytab_find(op->kt, op->key_scratch);
	if (found >= 0) {
		uint32_t slot = (uint32_t)found;
		while (op->slot_first_group[slot]) {
			uint32_t gid = op->slot_first_group[slot] - 1;
			op->slot_first_group[slot] =
				op->groups[gid].next_in_slot;
			free_group(op, gid);
		}
		delete_slot(op, slot, false);
	}
	if (!n)
		return 0;
	uint32_t slot = sl_keytab_insert(op->kt, op->key_scratch, NULL);
	ensure_slots(op);
	for (uint64_t i = 0; i < n; i++) {
		int64_t start = (int64_t)sl_rbuf_u64(r);
		int64_t end = (int64_t)sl_rbuf_u64(r);
		if (r->err)
			return SL_EINVAL;
		uint32_t gid = new_group(op, slot, start, end);
		for (uint32_t a = 0; a < op->spec.naggs; a++) {
			const sl_agg_fn *fn = op->aggs[a].fn;
			uint64_t len = sl_rbuf_varint(r);
			const uint8_t *p = sl_rbuf_get(r, len);
			if (!p)
				return SL_EINVAL;
			sl_rbuf sr = sl_rbuf_make(p, len);
			void *s = state_of(op, gid, a);
			if (fn->decode(s, &sr) < 0 || sr.err || sr.off != len)
				return SL_EINVAL;
			if (fn->mem)
				op->heap += fn->mem(s);
		}
	}
	return 0;
}

int sl_groupby_restore(sl_groupby *op, const void *p, size_t n,
		       int64_t *version, sl_err *err)
{
	sl_rbuf r = sl_rbuf_make(p, n);
	uint8_t kind = 0;
	int64_t ver = 0, wm = 0;
	uint64_t nrec = 0;
	int rc = check_header(op, &r, &kind, &ver, &wm, &nrec, err);
	if (rc < 0)
		return rc;
	if (kind == GB_SNAPSHOT)
		clear_state(op);
	sl_arena tmp;
	sl_arena_init(&tmp);
	for (uint64_t i = 0; i < nrec && !rc; i++) {
		rc = restore_record(op, &r, &tmp);
		sl_arena_reset(&tmp);
	}
	sl_arena_free(&tmp);
	if (!rc && r.off != r.len)
		rc = SL_EINVAL;
	/* A restore starts a batch: nothing of it is a change to emit or
	 * to write again. */
	sl_groupby_end_batch(op, wm);
	op->wm.current_us = op->wm.late_us = wm;
	if (rc < 0)
		return restore_fail(err, "truncated or malformed record");
	if (version)
		*version = ver;
	return 0;
}
