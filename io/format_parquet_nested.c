/* io/format_parquet_nested.c - STRUCT columns of Parquet files: a group
 * of fields (structs nested in it too) read as a STRUCT value, each leaf
 * of it a column of its own whose definition levels say which of the
 * structs above it are null. Lists, maps and repeated fields are refused
 * by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet_read.h"

/* Structs nest at most this deep in a column read. */
#define PQ_READ_DEPTH 16

/* How a STRUCT column's value is made of its leaves' (pq_struct_value). */
struct pq_node {
	bool optional;        /* null when the first leaf's level < thr */
	uint32_t thr;         /* the OPTIONAL levels down to it, itself in */
	uint32_t n;           /* a struct's fields; 0: a leaf */
	struct pq_node *kids; /* a struct's */
	uint32_t leaf;        /* a leaf's: index into rd->leaves */
	uint32_t first;       /* the first leaf below it */
};

/* The group or leaf at schema index at and its subtree: its type into
 * *out (in a), the index after it into *next. */
static int elem_type(const pq_meta *m, uint32_t at, uint32_t depth,
		     uint32_t *next, sl_arena *a, const sl_dtype **out,
		     char *why, size_t n)
{
	const pq_selem *el = &m->schema[at];
	uint32_t i = at + 1;
	sl_schema *s;
	sl_dtype *t;

	if (el->num_children <= 0) {
		*next = at + 1;
		return pq_column_type(el, out, why, n);
	}
	if (el->repetition == PQ_REPEATED || el->logical == 2 ||
	    el->logical == 3 || (el->converted >= 1 && el->converted <= 3)) {
		snprintf(why, n, "a list or map");
		return -1;
	}
	if (depth >= PQ_READ_DEPTH) {
		snprintf(why, n, "a struct nested deeper than %d levels",
			 PQ_READ_DEPTH);
		return -1;
	}
	s = sl_schema_new(a, (uint32_t)el->num_children);
	for (int32_t k = 0; k < el->num_children; k++) {
		if (i >= m->nschema) {
			snprintf(why, n, "a group whose fields are missing");
			return -1;
		}
		s->fields[k].name = sl_arena_strdup(a, m->schema[i].name);
		s->fields[k].nullable = m->schema[i].repetition != PQ_REQUIRED;
		if (elem_type(m, i, depth + 1, &i, a, &s->fields[k].type, why,
			      n) < 0)
			return -1;
	}
	t = sl_arena_calloc(a, sizeof(*t));
	t->id = SL_STRUCT;
	t->fields = s;
	*out = t;
	*next = i;
	return 0;
}

int pq_file_type(const pq_meta *m, uint32_t at, sl_arena *a,
		 const sl_dtype **out, char *why, size_t n)
{
	uint32_t next;

	return elem_type(m, at, 0, &next, a, out, why, n);
}

/* The node of the element at *at (its type t), its leaves appended to
 * rd->leaves from the file's leaf column *leaf on. */
static struct pq_node *node_make(struct pq_rd *rd, uint32_t *at, int *leaf,
				 uint32_t thr_above, const sl_dtype *t)
{
	const pq_selem *el = &rd->m.schema[*at];
	struct pq_node *nd = sl_arena_calloc(&rd->a, sizeof(*nd));

	nd->optional = el->repetition == PQ_OPTIONAL;
	nd->thr = thr_above + nd->optional;
	nd->first = rd->nleaves;
	(*at)++;
	if (t->id != SL_STRUCT) {
		struct pq_rcol *c = &rd->leaves[rd->nleaves];

		nd->leaf = rd->nleaves++;
		c->name = el->name;
		c->el = el;
		c->leaf = (*leaf)++;
		c->max_def = (int)nd->thr;
		c->conv = pq_conversion(el, t, t);
		if (t->id == SL_DECIMAL) {
			c->fprec = c->dprec = t->precision;
			c->fscale = c->dscale = t->scale;
		}
		return nd;
	}
	nd->n = t->fields->n;
	nd->kids = sl_arena_calloc(&rd->a, nd->n * sizeof(*nd->kids));
	for (uint32_t k = 0; k < nd->n; k++)
		nd->kids[k] = *node_make(rd, at, leaf, nd->thr,
					 t->fields->fields[k].type);
	return nd;
}

int pq_struct_open(sl_format_reader *r, struct pq_rd *rd, struct pq_rcol *c,
		   uint32_t at, int leaf)
{
	const sl_dtype *t;
	char why[160];
	uint32_t i = at;

	if (pq_file_type(&rd->m, at, &rd->a, &t, why, sizeof(why)) < 0)
		return pq_fail(r, "column '%s' is %s", c->name, why);
	c->leaf = PQ_LEAF_STRUCT;
	c->first = rd->nleaves;
	c->node = node_make(rd, &i, &leaf, 0, t);
	c->nleaves = rd->nleaves - c->first;
	for (uint32_t k = c->first; k < rd->nleaves; k++)
		if (rd->leaves[k].conv < 0)
			return pq_fail(r, "column '%s': field '%s' cannot be "
				       "read",
				    c->name, rd->leaves[k].name);
	return 0;
}

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

static sl_value node_value(const struct pq_rd *rd, const struct pq_node *nd,
			   sl_arena *a)
{
	sl_value *f;

	if (!nd->n)
		return pq_value_own(rd->leaves[nd->leaf].cur, a);
	if (nd->optional && rd->leaves[nd->first].cur_lv < nd->thr)
		return sl_v_null();
	f = sl_arena_alloc(a, nd->n * sizeof(*f));
	for (uint32_t k = 0; k < nd->n; k++)
		f[k] = node_value(rd, &nd->kids[k], a);
	return (sl_value){ .type = SL_STRUCT, .len = nd->n, .v.fields = f };
}

int pq_struct_value(sl_format_reader *r, struct pq_rd *rd,
		    const struct pq_rcol *c, sl_arena *a, sl_value *out)
{
	for (uint32_t k = c->first; k < c->first + c->nleaves; k++) {
		struct pq_rcol *l = &rd->leaves[k];
		int rc;

		if (l->at == l->nvals && (rc = pq_next_page(r, l)) < 0)
			return rc;
		l->cur_lv = l->max_def ? l->lv[l->at] : 0;
		l->cur = l->vals[l->at++];
	}
	*out = node_value(rd, c->node, a);
	return 0;
}
