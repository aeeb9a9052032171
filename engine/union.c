/* engine/union.c - Spark's union (unionAll) of two streams, sl_frame_union.
 *
 * A union is a composite source: its partitions are the left side's
 * partitions followed by the right side's, and each delegates open, poll,
 * latest and close to the child source's partition, running the side's
 * own where/select chain and the cast to the union's (widened) column
 * types inside poll. So the engine runs a union like any source: one
 * thread and one ring per partition of either side, and the sink thread's
 * marker alignment over all rings is what makes an epoch end only once
 * every partition of both sides has delivered its marker. Offsets are the
 * children's, partition by partition; the optional operations (commit,
 * lag, ckpt_save/ckpt_restore) hand each side its own slice.
 *
 * The union frame is a root (parent NULL), like a source frame: chains
 * over it (engine/stateless.c, engine/stateful.c) stop there, and its sides'
 * chains are built here. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "expr/expr.h"

/* One side of a union: a stream of where/select frames over a source
 * (or over another union). */
typedef struct union_side {
	sl_source *src;
	const sl_chain *chain;	/* the side's where/select steps */
	const sl_dtype **widen; /* per column, the side's type where it
				   must be cast to the union's; NULL when
				   no column needs a cast */
	uint32_t base;		/* the side's first partition */
	uint32_t nparts;
} union_side;

typedef struct union_state {
	union_side side[2];
	const sl_schema *schema;
} union_state;

/* A union partition: the child's partition it delegates to. */
typedef struct union_part {
	const union_side *side;
	sl_source_part child;
} union_part;

static const union_side *side_of(const sl_source *src, uint32_t index)
{
	const union_state *st = src->state;

	return index < st->side[1].base ? &st->side[0] : &st->side[1];
}

/* The child's error, said as the union's partition. */
static int child_fail(sl_source_part *p, const union_part *up, int rc)
{
	const sl_err *ce = &up->child.err;

	return sl_err_set(&p->err, ce->code ? ce->code : rc,
			  "union side '%s' partition %u: %s",
			  up->side->src->ops->name, up->child.index,
			  ce->msg[0] ? ce->msg : sl_strerror(rc));
}

static int union_open(sl_source_part *p)
{
	const union_side *sd = side_of(p->src, p->index);
	union_part *up = calloc(1, sizeof(*up));

	if (!up)
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	up->side = sd;
	up->child.src = sd->src;
	up->child.index = p->index - sd->base;
	/* A checkpoint's resume offset is the child's own offset. */
	up->child.has_resume = p->has_resume;
	up->child.resume = p->resume;
	if (sd->src->ops->open) {
		int rc = sd->src->ops->open(&up->child);

		if (rc < 0) {
			child_fail(p, up, rc);
			free(up);
			return rc;
		}
	}
	p->state = up;
	p->offset = up->child.offset;
	return 0;
}

/* The side's where/select, then its columns cast to the union's types;
 * the rows take the union's schema (a's names). */
static int side_rows(const union_side *sd, const sl_schema *schema, sl_batch *b,
		     sl_err *err)
{
	if (sl_chain_run(sd->chain, b, err) < 0)
		return err->code ? err->code : SL_EINVAL;
	for (uint32_t c = 0; sd->widen && c < schema->n; c++) {
		const sl_dtype *from = sd->widen[c];

		if (!from)
			continue;
		for (uint32_t r = 0; r < b->nrows; r++) {
			sl_value *v = &sl_batch_row(b, r)[c], out;

			if (sl_v_is_null(v))
				continue;
			sl_cast_value(v, from, schema->fields[c].type,
				      &b->arena, &out);
			*v = out;
		}
	}
	b->schema = schema;
	b->ncols = schema->n;
	return 0;
}

static int union_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		      sl_batch **out)
{
	const union_state *st = p->src->state;
	union_part *up = p->state;
	const union_side *sd = up->side;
	sl_batch *b = NULL;
	int rc = sd->src->ops->poll(&up->child, end, wait_ns, &b);

	*out = NULL;
	p->offset = up->child.offset;
	if (rc < 0 && rc != SL_SOURCE_END) {
		sl_batch_free(b);
		return child_fail(p, up, rc);
	}
	if (!b)
		return rc;
	int crc = side_rows(sd, st->schema, b, &p->err);
	if (crc < 0 || b->nrows == 0) {
		sl_batch_free(b);
		return crc < 0 ? crc : rc;
	}
	*out = b;
	return rc;
}

static int64_t union_latest(sl_source_part *p, int64_t batch_id)
{
	union_part *up = p->state;

	return up->side->src->ops->latest(&up->child, batch_id);
}

static void union_close(sl_source_part *p)
{
	union_part *up = p->state;

	if (!up)
		return;
	if (up->side->src->ops->close)
		up->side->src->ops->close(&up->child);
	free(up);
	p->state = NULL;
}

/* Each side hears of its own partitions' ends. */
static void union_commit(sl_source *src, const int64_t *ends, uint32_t n,
			 bool last)
{
	const union_state *st = src->state;

	for (int i = 0; i < 2; i++) {
		const union_side *sd = &st->side[i];

		if (sd->src->ops->commit && sd->base + sd->nparts <= n)
			sd->src->ops->commit(sd->src, ends + sd->base,
					     sd->nparts, last);
	}
}

static int64_t union_lag(sl_source *src, uint32_t part, int64_t position)
{
	const union_side *sd = side_of(src, part);

	return sd->src->ops->lag
		       ? sd->src->ops->lag(sd->src, part - sd->base, position)
		       : -1;
}

/* {"0": left's text or null, "1": right's}: each side's own text as a
 * JSON string, so that it comes back byte for byte. NULL when neither
 * side has anything to remember. */
static char *union_ckpt_save(sl_source *src)
{
	const union_state *st = src->state;
	json_t *j = json_object();
	bool any = false;
	char *out = NULL;

	for (int i = 0; j && i < 2; i++) {
		sl_source *c = st->side[i].src;
		char *t = c->ops->ckpt_save ? c->ops->ckpt_save(c) : NULL;

		json_object_set_new(j, i ? "1" : "0",
				    t ? json_string(t) : json_null());
		any |= t != NULL;
		free(t);
	}
	if (j && any)
		out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return out;
}

static int union_ckpt_restore(sl_source *src, const char *text, sl_err *err)
{
	const union_state *st = src->state;
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int rc = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		return sl_err_set(err, SL_EINVAL,
				  "union: the saved source state is not a "
				  "JSON object {\"0\": ..., \"1\": ...}: %s",
				  j ? "another JSON value" : je.text);
	}
	for (int i = 0; i < 2 && rc == 0; i++) {
		sl_source *c = st->side[i].src;
		json_t *v = json_object_get(j, i ? "1" : "0");

		if (json_is_string(v) && c->ops->ckpt_restore)
			rc = c->ops->ckpt_restore(c, json_string_value(v), err);
		else if (v && !json_is_null(v) && !json_is_string(v))
			rc = sl_err_set(err, SL_EINVAL,
					"union: the saved state of side %d "
					"is not a string",
					i);
	}
	json_decref(j);
	return rc;
}

/* The operations every union shares; a union's own copy says whether it
 * supports continuous mode and which optional operations it passes on,
 * from what its two sources support. */
static const sl_source_ops union_ops = {
	.name = "union",
	.description = "The rows of two streams (sl_frame_union, UNION ALL)",
	.open = union_open,
	.poll = union_poll,
	.latest = union_latest,
	.close = union_close,
};

/* ---- building the frame ----------------------------------------------- */

/* The sources at the leaves of f's stream, into out (at most max);
 * returns how many. */
static uint32_t leaf_sources(const sl_frame *f, const sl_source **out,
			     uint32_t max)
{
	while (f->parent)
		f = f->parent;
	if (f->kind != SL_FR_UNION)
		return max ? (out[0] = f->src, 1) : 0;
	uint32_t n = leaf_sources(f->sides[0], out, max);
	return n + leaf_sources(f->sides[1], out + n, max - n);
}

/* A side must be a stream of where/select frames over a source or a
 * union: the contract of sl_frame_union. */
static int check_side(const sl_frame *f, const char *which, sl_err *err)
{
	for (; f; f = f->parent) {
		const char *what = NULL;

		if (f->kind == SL_FR_SOURCE && f->src->dynamic)
			return sl_err_set(
				err, SL_EANALYSIS,
				"union: the %s side reads '%s' with "
				"partitionAssignment 'group', whose partitions "
				"come and go with the group's rebalances; a "
				"union's sides need fixed partitions: use "
				"partitionAssignment 'manual' there",
				which, f->src->ops->name);
		switch (f->kind) {
		case SL_FR_SOURCE:
		case SL_FR_WHERE:
		case SL_FR_SELECT:
		case SL_FR_UNION: continue;
		case SL_FR_AGGREGATE:
			what = "an aggregation or dropDuplicates (state); "
			       "aggregate over the union instead";
			break;
		case SL_FR_WATERMARK:
			what = "a watermark; put withWatermark over the "
			       "union instead";
			break;
		case SL_FR_STATIC:
			what = "a static table (sl_session_read_static), not a stream";
			break;
		case SL_FR_JOIN:
			what = "a stream-static join; join over the union "
			       "instead";
			break;
		}
		return sl_err_set(err, SL_EANALYSIS,
				  "union: the %s side has %s (a side is "
				  "where/select over a source)",
				  which, what);
	}
	return 0;
}

/* The union's columns: a's names, each pair's common type (Spark's
 * widening, strings winning over other atomic types, as Spark's
 * WidenSetOperationTypes does). Fills each side's casts. */
static const sl_schema *union_schema(const sl_frame *a, const sl_frame *b,
				     union_side *sd, sl_arena *ar, sl_err *err)
{
	const sl_schema *sa = a->schema, *sb = b->schema;
	char la[256], lb[256];

	if (sa->n != sb->n) {
		sl_schema_list(sa, la, sizeof(la));
		sl_schema_list(sb, lb, sizeof(lb));
		sl_err_set(err, SL_EANALYSIS,
			   "union: the left side has %u column%s (%s) and "
			   "the right side %u (%s); a union matches columns "
			   "by position and needs the same number",
			   sa->n, sa->n == 1 ? "" : "s", la, sb->n, lb);
		return NULL;
	}
	sl_schema *sc = sl_schema_new(ar, sa->n);
	for (uint32_t c = 0; c < sa->n; c++) {
		const sl_field *fa = &sa->fields[c], *fb = &sb->fields[c];
		const sl_dtype *w = sl_wider_type(fa->type, fb->type, true);
		if (!w) /* maps of different key or value types */
			w = sl_map_wider_type(fa->type, fb->type, true, ar);

		if (!w) {
			sl_dtype_name(fa->type, la, sizeof(la));
			sl_dtype_name(fb->type, lb, sizeof(lb));
			sl_err_set(err, SL_EANALYSIS,
				   "union: column %u ('%s' on the left, "
				   "'%s' on the right) is %s on the left and "
				   "%s on the right, which have no common "
				   "type: CAST one side",
				   c + 1, fa->name, fb->name, la, lb);
			return NULL;
		}
		sc->fields[c] = *fa;
		sc->fields[c].type = w;
		sc->fields[c].nullable =
			fa->nullable || fb->nullable || w->id == SL_NULL;
		const sl_field *in[2] = { fa, fb };
		for (int i = 0; i < 2; i++) {
			if (sl_dtype_equal(in[i]->type, w) ||
			    in[i]->type->id == SL_NULL)
				continue;
			if (!sd[i].widen)
				sd[i].widen = sl_arena_calloc(
					ar, sa->n * sizeof(*sd[i].widen));
			sd[i].widen[c] = in[i]->type;
		}
	}
	return sc;
}

/* What the checkpoint's plan fingerprint (engine/exec_checkpoint.c)
 * keeps of a union: each side's source options and where/select steps as
 * "option = SIDE: value" lines, so that a restart with another shape on
 * either side is refused naming it, while options that do not change
 * what offsets mean (rowsPerSecond, ...) stay free, by their own key. */
static void plan_side(sl_kvs *k, sl_arena *a, int i, const sl_frame *top)
{
	const sl_frame *steps[64];
	uint32_t n = 0;
	char v[1024];
	const sl_frame *f;

	for (f = top; f->parent; f = f->parent)
		if (n < 64)
			steps[n++] = f;
	const sl_kvs *given = f->src->given;
	for (uint32_t o = 0; given && o < given->n; o++) {
		snprintf(v, sizeof(v), "%d: %s", i,
			 given->kv[o].value ? given->kv[o].value : "");
		sl_kvs_add(k, a, given->kv[o].key, v);
	}
	while (n-- > 0) {
		const sl_frame *s = steps[n];
		size_t len = (size_t)snprintf(v, sizeof(v), "%d:", i);

		if (s->kind == SL_FR_WHERE) {
			snprintf(v + len, sizeof(v) - len, " %s",
				 sl_expr_name(s->cond));
			sl_kvs_add(k, a, "where", v);
			continue;
		}
		for (uint32_t c = 0; c < s->schema->n && len < sizeof(v); c++)
			len += (size_t)snprintf(v + len, sizeof(v) - len,
						"%s %s", c ? "," : "",
						s->schema->fields[c].name);
		sl_kvs_add(k, a, "select", v);
	}
}

static sl_frame *union_build(sl_frame *a, sl_frame *b, sl_err *err)
{
	sl_session *s = a->session;
	sl_arena *ar = &s->arena;
	const sl_frame *side[2] = { a, b };

	if (a->session != b->session) {
		sl_err_set(err, SL_EINVAL,
			   "union: the two frames belong to different "
			   "sessions");
		return NULL;
	}
	if (check_side(a, "left", err) || check_side(b, "right", err))
		return NULL;
	const sl_source *la[64], *lb[64];
	uint32_t na = leaf_sources(a, la, 64), nb = leaf_sources(b, lb, 64);
	for (uint32_t i = 0; i < na; i++)
		for (uint32_t k = 0; k < nb; k++)
			if (la[i] == lb[k]) {
				sl_err_set(err, SL_EANALYSIS,
					   "union: both sides read the same "
					   "'%s' source; read the stream "
					   "twice (a second sl_session_read_stream) "
					   "for the other side",
					   la[i]->ops->name);
				return NULL;
			}
	union_state *st = sl_arena_calloc(ar, sizeof(*st));
	st->schema = union_schema(a, b, st->side, ar, err);
	if (!st->schema)
		return NULL;
	sl_source_ops *ops = sl_arena_calloc(ar, sizeof(*ops));
	*ops = union_ops;
	for (int i = 0; i < 2; i++) {
		union_side *sd = &st->side[i];

		sd->src = side[i]->src;
		sd->chain = sl_chain_build(side[i], ar);
		sd->nparts = sd->src->nparts ? sd->src->nparts : 1;
		sd->base = i ? st->side[0].nparts : 0;
	}
	const sl_source_ops *oa = st->side[0].src->ops,
			    *ob = st->side[1].src->ops;
	/* The checkpoint names the source "0:<name>", in file names too
	 * (sources/0:<name>/state): only A-Z a-z 0-9 . _ : - are allowed
	 * there, hence colons rather than "union(a, b)". */
	char name[160];
	snprintf(name, sizeof(name), "union:%s:%s", oa->name, ob->name);
	ops->name = sl_arena_strdup(ar, name);
	ops->continuous = oa->continuous && ob->continuous;
	if (oa->commit || ob->commit)
		ops->commit = union_commit;
	if (oa->lag || ob->lag)
		ops->lag = union_lag;
	if (oa->ckpt_save || ob->ckpt_save) {
		ops->ckpt_save = union_ckpt_save;
		ops->ckpt_restore = union_ckpt_restore;
	}

	sl_kvs *given = sl_arena_calloc(ar, sizeof(*given));
	plan_side(given, ar, 0, a);
	plan_side(given, ar, 1, b);
	sl_source *src = sl_arena_calloc(ar, sizeof(*src));
	src->ops = ops;
	src->state = st;
	src->schema = st->schema;
	src->nparts = st->side[0].nparts + st->side[1].nparts;
	src->session = s;
	src->arena = ar;
	src->given = given;
	src->conf = NULL;

	sl_frame *u = sl_frame_root(s, SL_FR_UNION, src);
	u->sides[0] = a;
	u->sides[1] = b;
	return u;
}

static sl_frame *frame_union(sl_frame *a, sl_frame *b)
{
	sl_err err = { 0 };
	sl_frame *u;

	if (!a || !b) {
		sl_err_set(&err, SL_EINVAL, "union: a frame is NULL");
		return sl_fail(a ? a->session : b ? b->session : NULL, &err);
	}
	u = union_build(a, b, &err);
	return u ? u : sl_fail(a->session, &err);
}

static void frame_union_run(sl_api_call *c)
{
	c->ret = frame_union((sl_frame *)c->a[0], (sl_frame *)c->a[1]);
}

sl_frame *sl_frame_union(sl_frame *a, sl_frame *b)
{
	sl_api_call c = { .a = { a, b } };
	sl_api_guard(a ? a->session : b ? b->session : NULL, "union",
		     frame_union_run, &c);
	return c.ret;
}
