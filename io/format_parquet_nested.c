/* io/format_parquet_nested.c - nested columns of Parquet files: groups
 * read as STRUCTs and lists (LIST groups, Spark's and pyarrow's three
 * levels, the older two-level forms and bare repeated fields) as ARRAYs,
 * and maps (MAP groups of a repeated key_value group) as MAPs, nested in
 * each other at will. Each atomic value inside is a leaf
 * column of its own; its definition levels say how far down its path a
 * row's value is not null and its repetition levels where a list's new
 * element starts (the record shredding of the Parquet format). A row's
 * value is put together from the entries each leaf has for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet_read.h"

/* Structs and lists nest at most this deep in a column read. */
#define PQ_READ_DEPTH 16

enum { ND_LEAF, ND_STRUCT, ND_LIST, ND_MAP };

/* How a nested column's value is made of its leaves' entries. */
struct pq_node {
	int kind;             /* ND_* */
	bool optional;        /* null when the level is below thr */
	uint32_t thr;         /* the level from which it is not null */
	uint32_t n;           /* a struct's fields (ND_LIST: 1, ND_MAP: 2) */
	struct pq_node *kids; /* a struct's fields; a list's element; a
	                         map's key and value */
	uint32_t rep;         /* ND_LIST, ND_MAP: its entries' repetition
	                         level */
	uint32_t leaf;        /* ND_LEAF: index into rd->leaves */
	uint32_t first, last; /* the leaves below it: [first, last) */
};

/* ---- types ---------------------------------------------------------------- */

static bool is_map(const pq_selem *el)
{
	return el->logical == PQ_LT_MAP || el->converted == PQ_CT_MAP ||
	       el->converted == PQ_CT_MAP_KEY_VALUE;
}

static bool is_list(const pq_selem *el)
{
	return el->logical == PQ_LT_LIST || el->converted == PQ_CT_LIST;
}

/* The element of the LIST group at index at, by the format's rules for
 * the older forms: its repeated child is the element when it is a leaf,
 * a group of several fields, or a group named `array` or `<list>_tuple`;
 * else the repeated group's one child is. *rep_at: the repeated child's
 * index; *elem_at: the element's, the same when it is the element. */
static int list_parts(const pq_meta *m, uint32_t at, uint32_t *rep_at,
		      uint32_t *elem_at, char *why, size_t n)
{
	const pq_selem *l = &m->schema[at], *r;
	char tuple[300];

	if (l->num_children != 1 || at + 1 >= m->nschema ||
	    m->schema[at + 1].repetition != PQ_REPEATED) {
		snprintf(why, n, "a LIST group without one repeated field");
		return -1;
	}
	*rep_at = at + 1;
	r = &m->schema[at + 1];
	snprintf(tuple, sizeof(tuple), "%s_tuple", l->name);
	if (r->num_children <= 0 || r->num_children > 1 ||
	    !strcmp(r->name, "array") || !strcmp(r->name, tuple))
		*elem_at = at + 1;
	else
		*elem_at = at + 2;
	return 0;
}

static int elem_type(const pq_meta *m, uint32_t at, uint32_t depth,
		     uint32_t *next, sl_arena *a, const sl_dtype **out,
		     char *why, size_t n);

/* The index after the subtree at at. */
static uint32_t subtree_skip(const pq_meta *m, uint32_t at)
{
	int leaves = 0;

	return pq_subtree_end(m, at, &leaves, 0);
}

/* A struct of the group at at's fields. */
static int struct_type(const pq_meta *m, uint32_t at, uint32_t depth,
		       uint32_t *next, sl_arena *a, const sl_dtype **out,
		       char *why, size_t n)
{
	const pq_selem *el = &m->schema[at];
	uint32_t i = at + 1;
	sl_schema *s = sl_schema_new(a, (uint32_t)el->num_children);
	sl_dtype *t;

	for (int32_t k = 0; k < el->num_children; k++) {
		if (i >= m->nschema) {
			snprintf(why, n, "a group whose fields are missing");
			return -1;
		}
		s->fields[k].name = sl_arena_strdup(a, m->schema[i].name);
		s->fields[k].nullable = m->schema[i].repetition != PQ_REQUIRED;
		if (elem_type(m, i, depth + 1, &i, a,
			      &s->fields[k].type, why, n) < 0)
			return -1;
	}
	t = sl_arena_calloc(a, sizeof(*t));
	t->id = SL_STRUCT;
	t->fields = s;
	*out = t;
	*next = i;
	return 0;
}

/* The element at at (an atomic field or a group), as the value type it
 * holds; a repeated atomic field is its element, never null. */
static int value_type(const pq_meta *m, uint32_t at, uint32_t depth,
		      uint32_t *next, sl_arena *a, const sl_dtype **out,
		      char *why, size_t n)
{
	const pq_selem *el = &m->schema[at];

	if (el->num_children > 0)
		return is_list(el) ? elem_type(m, at, depth, next, a, out,
					       why, n)
				   : struct_type(m, at, depth, next, a, out,
						 why, n);
	*next = at + 1;
	if (el->repetition == PQ_REPEATED) {
		pq_selem leaf = *el;

		leaf.repetition = PQ_REQUIRED;
		return pq_column_type(&leaf, out, why, n);
	}
	return pq_column_type(el, out, why, n);
}

static int elem_type(const pq_meta *m, uint32_t at, uint32_t depth,
		     uint32_t *next, sl_arena *a, const sl_dtype **out,
		     char *why, size_t n)
{
	const pq_selem *el = &m->schema[at];
	uint32_t rep_at, elem_at, after;
	sl_dtype *t;

	if (depth >= PQ_READ_DEPTH) {
		snprintf(why, n, "nested deeper than %d levels",
			 PQ_READ_DEPTH);
		return -1;
	}
	if (is_map(el)) {
		/* MAP { repeated key_value { key; value } }, key atomic. */
		const pq_selem *kv = at + 1 < m->nschema ? &m->schema[at + 1]
							 : NULL;
		uint32_t i = at + 3;

		if (el->num_children != 1 || !kv ||
		    kv->repetition != PQ_REPEATED || kv->num_children != 2 ||
		    at + 2 >= m->nschema || m->schema[at + 2].num_children > 0) {
			snprintf(why, n, "a map not of a repeated key_value "
					 "group of an atomic key and a value");
			return -1;
		}
		t = sl_arena_calloc(a, sizeof(*t));
		t->id = SL_MAP;
		if (pq_column_type(&m->schema[at + 2], &t->key, why, n) < 0 ||
		    value_type(m, i, depth + 1, &after, a, &t->elem, why, n) <
			    0)
			return -1;
		*out = t;
		*next = subtree_skip(m, at);
		return 0;
	}
	if (is_list(el) && el->num_children > 0) {
		if (list_parts(m, at, &rep_at, &elem_at, why, n) < 0)
			return -1;
		t = sl_arena_calloc(a, sizeof(*t));
		t->id = SL_ARRAY;
		if (elem_at == rep_at) {
			/* The repeated field is the element: a leaf, or a
			 * group read as a struct. */
			if (m->schema[rep_at].num_children > 0) {
				if (struct_type(m, rep_at, depth + 1, &after,
						a, &t->elem, why, n) < 0)
					return -1;
			} else if (value_type(m, rep_at, depth + 1, &after,
					      a, &t->elem, why, n) < 0) {
				return -1;
			}
		} else if (value_type(m, elem_at, depth + 1, &after, a,
				      &t->elem, why, n) < 0) {
			return -1;
		}
		*out = t;
		*next = subtree_skip(m, at);
		return 0;
	}
	if (el->repetition == PQ_REPEATED) {
		/* A bare repeated field: a list of it, its elements never
		 * null. */
		t = sl_arena_calloc(a, sizeof(*t));
		t->id = SL_ARRAY;
		if (el->num_children > 0) {
			if (struct_type(m, at, depth + 1, next, a, &t->elem,
					why, n) < 0)
				return -1;
		} else if (value_type(m, at, depth + 1, next, a, &t->elem,
				      why, n) < 0) {
			return -1;
		}
		*out = t;
		return 0;
	}
	if (el->num_children > 0)
		return struct_type(m, at, depth, next, a, out, why, n);
	*next = at + 1;
	return pq_column_type(el, out, why, n);
}

int pq_file_type(const pq_meta *m, uint32_t at, sl_arena *a,
		 const sl_dtype **out, char *why, size_t n)
{
	uint32_t next;

	return elem_type(m, at, 0, &next, a, out, why, n);
}

/* ---- the tree of a column --------------------------------------------------- */

struct build {
	struct pq_rd *rd;
	int leaf; /* the file's next leaf column */
};

static struct pq_node *node_of(struct build *b, uint32_t at, uint32_t thr,
			       uint32_t rep, const sl_dtype *t, bool elem);

/* A leaf: the atomic field at at, not null from level thr + its own. */
static void leaf_make(struct build *b, struct pq_node *nd, uint32_t at,
		      uint32_t rep, const sl_dtype *t)
{
	struct pq_rd *rd = b->rd;
	const pq_selem *el = &rd->m.schema[at];
	struct pq_rcol *c = &rd->leaves[rd->nleaves];

	nd->kind = ND_LEAF;
	nd->leaf = rd->nleaves++;
	c->name = el->name;
	c->el = el;
	c->leaf = b->leaf++;
	c->max_def = (int)nd->thr;
	c->max_rep = (int)rep;
	c->conv = pq_conversion(el, t, t);
	if (t->id == SL_DECIMAL) {
		c->fprec = c->dprec = t->precision;
		c->fscale = c->dscale = t->scale;
	}
}

/* The node of the element at at, of type t (pq_file_type's), below the
 * levels thr_above (definition) and rep (repetition); elem: the
 * repeated field of a list, read as its element (not null, a level of
 * its own for the repetition only). */
static struct pq_node *node_of(struct build *b, uint32_t at,
			       uint32_t thr_above, uint32_t rep,
			       const sl_dtype *t, bool elem)
{
	struct pq_rd *rd = b->rd;
	const pq_selem *el = &rd->m.schema[at];
	struct pq_node *nd = sl_arena_calloc(&rd->a, sizeof(*nd));
	uint32_t rep_at, elem_at;
	char why[80];

	nd->first = rd->nleaves;
	nd->optional = !elem && el->repetition == PQ_OPTIONAL;
	nd->thr = thr_above + nd->optional;
	if (t->id == SL_MAP) {
		/* The MAP group's level, then key_value's (repeated): the
		 * key REQUIRED below it, the value OPTIONAL. */
		nd->kind = ND_MAP;
		nd->n = 2;
		nd->rep = rep + 1;
		nd->kids = sl_arena_calloc(&rd->a, 2 * sizeof(*nd->kids));
		nd->kids[0] = *node_of(b, at + 2, nd->thr + 1, nd->rep, t->key,
				       true);
		nd->kids[1] = *node_of(b, at + 3, nd->thr + 1, nd->rep,
				       t->elem, false);
	} else if (t->id == SL_ARRAY) {
		nd->kind = ND_LIST;
		nd->n = 1;
		if (is_list(el) && el->num_children > 0) {
			/* The LIST group's level, then its repeated one. */
			list_parts(&rd->m, at, &rep_at, &elem_at, why,
				   sizeof(why));
			nd->rep = rep + 1;
			nd->kids = node_of(b, elem_at, nd->thr + 1, nd->rep,
					   t->elem, elem_at == rep_at);
		} else {
			/* A bare repeated field: no level of a group. */
			nd->optional = false;
			nd->thr = thr_above;
			nd->rep = rep + 1;
			nd->kids = node_of(b, at, nd->thr + 1, nd->rep,
					   t->elem, true);
		}
	} else if (t->id == SL_STRUCT) {
		uint32_t i = at + 1;

		nd->kind = ND_STRUCT;
		nd->n = t->fields->n;
		nd->kids = sl_arena_calloc(&rd->a, nd->n * sizeof(*nd->kids));
		for (uint32_t k = 0; k < nd->n; k++) {
			nd->kids[k] = *node_of(b, i, nd->thr, rep,
					       t->fields->fields[k].type,
					       false);
			i = subtree_skip(&rd->m, i);
		}
	} else {
		/* A repeated leaf read as an element is there once its
		 * repetition level is: no level of its own. */
		if (elem)
			nd->thr = thr_above;
		leaf_make(b, nd, at, rep, t);
	}
	nd->last = rd->nleaves;
	return nd;
}

int pq_struct_open(sl_format_reader *r, struct pq_rd *rd, struct pq_rcol *c,
		   uint32_t at, int leaf)
{
	struct build b = { .rd = rd, .leaf = leaf };
	const sl_dtype *t;
	char why[160];

	if (pq_file_type(&rd->m, at, &rd->a, &t, why, sizeof(why)) < 0)
		return pq_fail(r, "column '%s' is %s", c->name, why);
	c->leaf = PQ_LEAF_STRUCT;
	c->first = rd->nleaves;
	c->node = node_of(&b, at, 0, 0, t, false);
	c->nleaves = rd->nleaves - c->first;
	for (uint32_t k = c->first; k < rd->nleaves; k++)
		if (rd->leaves[k].conv < 0)
			return pq_fail(r, "column '%s': field '%s' cannot be "
				       "read",
				    c->name, rd->leaves[k].name);
	return 0;
}

/* ---- a row's value ------------------------------------------------------------ */

sl_value pq_value_own(sl_value v, sl_arena *a)
{
	if (v.type == SL_STRING || v.type == SL_BINARY) {
		char *s = sl_arena_alloc(a, v.len ? v.len : 1);

		memcpy(s, v.v.str, v.len);
		v.v.str = s;
	} else if (v.type == SL_DECIMAL && v.pad[2] & SL_DEC_WIDE) {
		v = sl_v_dec(*v.v.dec, v.pad[0], v.pad[1], a);
	}
	return v;
}

/* Leaf l's entries of the next row into l->row_*: the first, and the
 * ones after it that continue it (repetition level > 0). */
static int leaf_row(sl_format_reader *r, struct pq_rcol *l)
{
	int rc;

	l->row_n = 0;
	do {
		if (l->at == l->nvals && (rc = pq_next_page(r, l)) < 0)
			return rc;
		if (l->row_n && (!l->max_rep || l->rv[l->at] == 0))
			break;
		if (l->row_n == l->row_cap) {
			l->row_cap = l->row_cap ? 2 * l->row_cap : 16;
			l->row_def = sl_xrealloc(l->row_def, l->row_cap *
							     sizeof(*l->row_def));
			l->row_rep = sl_xrealloc(l->row_rep, l->row_cap *
							     sizeof(*l->row_rep));
			l->row_val = sl_xrealloc(l->row_val, l->row_cap *
							     sizeof(*l->row_val));
		}
		l->row_def[l->row_n] = l->max_def ? l->lv[l->at] : 0;
		l->row_rep[l->row_n] = l->max_rep ? l->rv[l->at] : 0;
		l->row_val[l->row_n++] = l->vals[l->at++];
		l->taken++;
	} while (l->max_rep && l->taken < l->chunk_values);
	return 0;
}

/* The value of node nd from its leaves' row entries lo[i] up to hi[i]
 * (i over nd's leaves, indexed from the column's first). */
static sl_value node_value(const struct pq_rd *rd, const struct pq_node *nd,
			   uint32_t base, const uint32_t *lo,
			   const uint32_t *hi, sl_arena *a)
{
	const struct pq_rcol *f = &rd->leaves[nd->first];
	uint32_t at = lo[nd->first - base];
	sl_value *v;

	/* Leaves whose levels disagree (a damaged file) run out of
	 * entries: what has none is null. */
	if (at >= hi[nd->first - base])
		return sl_v_null();
	if (nd->kind == ND_LEAF)
		return pq_value_own(f->row_val[at], a);
	if (nd->optional && f->row_def[at] < nd->thr)
		return sl_v_null();
	if (nd->kind == ND_STRUCT) {
		v = sl_arena_alloc(a, nd->n * sizeof(*v));
		for (uint32_t k = 0; k < nd->n; k++)
			v[k] = node_value(rd, &nd->kids[k], base, lo, hi, a);
		return (sl_value){ .type = SL_STRUCT, .len = nd->n,
				   .v.fields = v };
	}
	/* A list: empty when its repeated level is not reached; else an
	 * element at each entry of the first leaf whose repetition level
	 * is at most the list's (a new element of it), the other leaves
	 * cut at the same places by their own levels. */
	if (f->row_def[at] < nd->thr + 1)
		return (sl_value){ .type = nd->kind == ND_MAP ? SL_MAP
							     : SL_ARRAY,
				   .len = 0, .v.arr = NULL };
	uint32_t nl = nd->last - nd->first, count = 0;
	for (uint32_t e = at; e < hi[nd->first - base]; e++)
		count += e == at || f->row_rep[e] <= nd->rep;
	v = sl_arena_alloc(a, (count ? count : 1) * nd->n * sizeof(*v));
	uint32_t *sub_lo = sl_arena_alloc(a, 2 * (size_t)nl * sizeof(*sub_lo));
	uint32_t *sub_hi = sub_lo + nl;
	uint32_t *cur = sl_arena_alloc(a, (size_t)nl * sizeof(*cur));
	for (uint32_t i = 0; i < nl; i++)
		cur[i] = lo[nd->first - base + i];
	for (uint32_t k = 0; k < count; k++) {
		for (uint32_t i = 0; i < nl; i++) {
			const struct pq_rcol *l = &rd->leaves[nd->first + i];
			uint32_t end = hi[nd->first - base + i], e = cur[i];

			sub_lo[i] = e;
			if (e < end)
				for (e++; e < end && l->row_rep[e] > nd->rep;
				     e++)
					;
			sub_hi[i] = e;
			cur[i] = e;
		}
		if (nd->kind == ND_LIST) {
			v[k] = node_value(rd, nd->kids, nd->first, sub_lo,
					  sub_hi, a);
			continue;
		}
		/* A map's entry: its key, then its value, side by side. */
		v[2 * k] = node_value(rd, &nd->kids[0], nd->first, sub_lo,
				      sub_hi, a);
		v[2 * k + 1] = node_value(rd, &nd->kids[1], nd->first, sub_lo,
					  sub_hi, a);
	}
	return (sl_value){ .type = nd->kind == ND_MAP ? SL_MAP : SL_ARRAY,
			   .len = count,
			   .v.arr = v };
}

int pq_struct_value(sl_format_reader *r, struct pq_rd *rd,
		    const struct pq_rcol *c, sl_arena *a, sl_value *out)
{
	uint32_t *lo = sl_arena_alloc(a, 2 * (size_t)(c->nleaves + 1) *
						 sizeof(*lo));
	uint32_t *hi = lo + c->nleaves + 1;
	int rc;

	for (uint32_t k = 0; k < c->nleaves; k++) {
		struct pq_rcol *l = &rd->leaves[c->first + k];

		if ((rc = leaf_row(r, l)) < 0)
			return rc;
		lo[k] = 0;
		hi[k] = l->row_n;
	}
	*out = node_value(rd, c->node, c->first, lo, hi, a);
	return 0;
}
