/* io/format_parquet_schema.c - the Parquet writer's columns: the sink's
 * columns as the file's leaf columns (a STRUCT column's fields, nested
 * structs too, each a leaf with its path), the physical type of each as
 * Spark writes it, and the file's schema (FileMetaData field 2): groups
 * for the structs, OPTIONAL leaves with their logical and converted
 * types. */
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "io/parquet_write.h"
#include "sluice.h"

/* The physical type of a column of type t: DECIMAL(p,s) as Spark writes
 * it, INT32 up to 9 digits, INT64 up to 18, FIXED_LEN_BYTE_ARRAY
 * beyond. */
static int phys_of(const sl_dtype *t)
{
	switch ((int)t->id) {
	case SL_DECIMAL:
		return t->precision <= 9    ? PQ_INT32
		       : t->precision <= 18 ? PQ_INT64
					    : PQ_FIXED;
	case SL_FLOAT: return PQ_FLOAT;
	case SL_BOOL: return PQ_BOOLEAN;
	case SL_INT:
	case (int)SL_SHORT:
	case (int)SL_BYTE:
	case SL_DATE: return PQ_INT32;
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ: return PQ_INT64;
	case SL_DOUBLE: return PQ_DOUBLE;
	case SL_STRING:
	case SL_BINARY: return PQ_BYTE_ARRAY;
	default: return -1;
	}
}

/* Counts the leaves of a column of type t; -1 past PQ_MAX_STRUCTS, -2
 * for a struct of no fields. */
static int64_t count_leaves(const sl_dtype *t, uint32_t depth)
{
	int64_t n = 0;

	if (t->id != SL_STRUCT && t->id != SL_ARRAY && t->id != SL_MAP)
		return 1;
	if (depth >= PQ_MAX_STRUCTS)
		return -1;
	if (t->id == SL_ARRAY)
		return count_leaves(t->elem, depth + 1);
	if (t->id == SL_MAP) {
		int64_t v = count_leaves(t->elem, depth + 1);

		/* Keys of atomic types only. */
		if (t->key->id == SL_STRUCT || t->key->id == SL_ARRAY ||
		    t->key->id == SL_MAP)
			return -3;
		return v < 0 ? v : 1 + v;
	}
	if (!t->fields->n)
		return -2;
	for (uint32_t i = 0; i < t->fields->n; i++) {
		int64_t k = count_leaves(t->fields->fields[i].type, depth + 1);

		if (k < 0)
			return k;
		n += k;
	}
	return n;
}

/* The leaves of a column (or field, or list element) named name of type
 * t into pw->cols from pw->ncols on, the path so far in *tmpl (def: the
 * levels above that can be null, rep: the lists above). */
static int add_leaves(struct pq_writer *pw, const sl_format_writer *w,
		      struct pq_wcol *tmpl, const char *name,
		      const sl_dtype *t, uint32_t def, uint32_t rep,
		      sl_err *err)
{
	uint32_t s = tmpl->nsteps, nn = tmpl->nnames;
	int id = (int)t->id, rc;

	tmpl->names[tmpl->nnames++] = name;
	if (id == SL_STRUCT) {
		for (uint32_t i = 0; i < t->fields->n; i++) {
			const sl_field *f = &t->fields->fields[i];

			tmpl->step[s] = PQ_STEP_FIELD;
			tmpl->path[s] = i;
			tmpl->nsteps = s + 1;
			rc = add_leaves(pw, w, tmpl, f->name, f->type, def + 1,
					rep, err);
			tmpl->nsteps = s;
			tmpl->nnames = nn + 1;
			if (rc < 0)
				return rc;
		}
		tmpl->nnames = nn;
		return 0;
	}
	if (id == SL_MAP) {
		tmpl->rep_at[s] = rep + 1;
		tmpl->nsteps = s + 1;
		tmpl->names[tmpl->nnames++] = "key_value";
		/* The key: REQUIRED, there once its entry is. */
		tmpl->step[s] = PQ_STEP_KEY;
		rc = add_leaves(pw, w, tmpl, "key", t->key, def + 1, rep + 1,
				err);
		if (rc >= 0) {
			tmpl->nsteps = s + 1;
			tmpl->nnames = nn + 2;
			tmpl->step[s] = PQ_STEP_VALUE;
			rc = add_leaves(pw, w, tmpl, "value", t->elem, def + 2,
					rep + 1, err);
		}
		tmpl->nsteps = s;
		tmpl->nnames = nn;
		return rc;
	}
	if (id == SL_ARRAY) {
		tmpl->step[s] = PQ_STEP_ELEM;
		tmpl->rep_at[s] = rep + 1;
		tmpl->nsteps = s + 1;
		tmpl->names[tmpl->nnames++] = "list";
		rc = add_leaves(pw, w, tmpl, "element", t->elem, def + 2,
				rep + 1, err);
		tmpl->nsteps = s;
		tmpl->nnames = nn;
		return rc;
	}
	struct pq_wcol *c = &pw->cols[pw->ncols++];

	*c = *tmpl;
	tmpl->nnames = nn;
	c->name = name;
	c->id = id;
	c->phys = phys_of(t);
	c->max_def = def + 1;
	c->max_rep = rep;
	if (id == SL_DECIMAL) {
		c->prec = t->precision;
		c->scale = t->scale;
		c->flen = pq_decimal_bytes(t->precision);
	}
	if (c->phys < 0)
		return sl_format_column_error(
			err, w->component, t, name,
			"Parquet columns of this type are not supported yet");
	return 0;
}

int pq_writer_leaves(struct pq_writer *pw, const sl_format_writer *w,
		     sl_err *err)
{
	int64_t n = 0;

	for (uint32_t i = 0; i < w->ncols; i++) {
		const sl_field *f = &w->schema->fields[w->cols[i]];
		int64_t k = count_leaves(f->type, 0);

		if (k < 0)
			return sl_format_column_error(
				err, w->component, f->type, f->name,
				k == -1 ? "its structs nest deeper than the "
					  "16 levels sluice writes"
				: k == -2 ? "a struct of no fields cannot be a "
					    "Parquet group"
					  : "Parquet map keys of nested types "
					    "are not supported yet");
		n += k;
	}
	pw->cols = sl_xcalloc(n ? (size_t)n : 1, sizeof(*pw->cols));
	pw->ncols = 0;
	for (uint32_t i = 0; i < w->ncols; i++) {
		const sl_field *f = &w->schema->fields[w->cols[i]];
		struct pq_wcol tmpl = { .col = w->cols[i] };
		int rc = add_leaves(pw, w, &tmpl, f->name, f->type, 0, 0,
				    err);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One leaf's SchemaElement. */
static void put_leaf(pq_enc *e, const struct pq_wcol *c, int repetition)
{
	int ct = -1, lt = -1, width = 0;

	switch (c->id) {
	case SL_STRING: ct = PQ_CT_UTF8, lt = PQ_LT_STRING; break;
	case SL_DATE: ct = PQ_CT_DATE, lt = PQ_LT_DATE; break;
	case SL_TIMESTAMP:
		ct = PQ_CT_TIMESTAMP_MICROS, lt = PQ_LT_TIMESTAMP;
		break;
	/* a wall-clock time: no converted type (TIMESTAMP_MICROS means
	 * UTC), isAdjustedToUTC false, as Spark writes TIMESTAMP_NTZ */
	case SL_TIMESTAMP_NTZ: lt = PQ_LT_TIMESTAMP; break;
	case (int)SL_BYTE:
		ct = PQ_CT_INT_8, lt = PQ_LT_INTEGER, width = 8;
		break;
	case (int)SL_SHORT:
		ct = PQ_CT_INT_16, lt = PQ_LT_INTEGER, width = 16;
		break;
	case SL_DECIMAL: ct = PQ_CT_DECIMAL, lt = PQ_LT_DECIMAL; break;
	default: break;
	}
	pq_w_struct(e, 0);
	pq_w_i32(e, 1, c->phys);
	if (c->phys == PQ_FIXED)
		pq_w_i32(e, 2, c->flen);
	pq_w_i32(e, 3, repetition);
	pq_w_str(e, 4, c->name);
	if (ct >= 0)
		pq_w_i32(e, 6, ct);
	if (lt == PQ_LT_DECIMAL) {
		pq_w_i32(e, 7, c->scale);
		pq_w_i32(e, 8, c->prec);
	}
	if (lt >= 0) {
		pq_w_struct(e, 10);
		pq_w_struct(e, (int16_t)lt);
		if (lt == PQ_LT_TIMESTAMP) {
			pq_w_bool(e, 1, c->id != SL_TIMESTAMP_NTZ);
			pq_w_struct(e, 2);
			pq_w_struct(e, PQ_UNIT_MICROS);
			pq_w_end(e);
			pq_w_end(e);
		} else if (lt == PQ_LT_INTEGER) {
			pq_w_i8(e, 1, (int8_t)width);
			pq_w_bool(e, 2, true);
		} else if (lt == PQ_LT_DECIMAL) {
			pq_w_i32(e, 1, c->scale);
			pq_w_i32(e, 2, c->prec);
		}
		pq_w_end(e);
		pq_w_end(e);
	}
	pq_w_end(e);
}

/* A LIST's or MAP's two outer elements: the OPTIONAL group name of
 * converted type ct and logical type lt, and its one REPEATED group
 * inner of n fields. */
static void put_outer(pq_enc *e, const char *name, int ct, int lt,
		      const char *inner, int32_t n)
{
	pq_w_struct(e, 0);
	pq_w_i32(e, 3, PQ_OPTIONAL);
	pq_w_str(e, 4, name);
	pq_w_i32(e, 5, 1);
	pq_w_i32(e, 6, ct);
	pq_w_struct(e, 10);
	pq_w_struct(e, (int16_t)lt);
	pq_w_end(e);
	pq_w_end(e);
	pq_w_end(e);
	pq_w_struct(e, 0);
	pq_w_i32(e, 3, PQ_REPEATED);
	pq_w_str(e, 4, inner);
	pq_w_i32(e, 5, n);
	pq_w_end(e);
}

/* Column (or field) name of type t, its leaves from pw->cols[*leaf]. */
static void put_type(pq_enc *e, const struct pq_writer *pw, const char *name,
		     const sl_dtype *t, uint32_t *leaf)
{
	if (t->id == SL_MAP) {
		/* Spark's three levels: the MAP group, the repeated group
		 * `key_value`, its REQUIRED `key` and OPTIONAL `value`. */
		put_outer(e, name, PQ_CT_MAP, PQ_LT_MAP, "key_value", 2);
		put_leaf(e, &pw->cols[*leaf], PQ_REQUIRED);
		(*leaf)++;
		put_type(e, pw, "value", t->elem, leaf);
		return;
	}
	if (t->id == SL_ARRAY) {
		/* Spark's three levels: the LIST group, the repeated group
		 * `list`, its OPTIONAL `element`. */
		put_outer(e, name, PQ_CT_LIST, PQ_LT_LIST, "list", 1);
		put_type(e, pw, "element", t->elem, leaf);
		return;
	}
	if (t->id != SL_STRUCT) {
		put_leaf(e, &pw->cols[(*leaf)++], PQ_OPTIONAL);
		return;
	}
	pq_w_struct(e, 0);
	pq_w_i32(e, 3, PQ_OPTIONAL);
	pq_w_str(e, 4, name);
	pq_w_i32(e, 5, (int32_t)t->fields->n);
	pq_w_end(e);
	for (uint32_t i = 0; i < t->fields->n; i++)
		put_type(e, pw, t->fields->fields[i].name,
			 t->fields->fields[i].type, leaf);
}

/* Schema elements of a column of type t: its groups and leaves. */
static uint32_t elements(const sl_dtype *t)
{
	uint32_t n = 1;

	if (t->id == SL_ARRAY)
		return 2 + elements(t->elem);
	if (t->id == SL_MAP)
		return 3 + elements(t->elem);
	if (t->id == SL_STRUCT)
		for (uint32_t i = 0; i < t->fields->n; i++)
			n += elements(t->fields->fields[i].type);
	return n;
}

void pq_put_schema(pq_enc *e, const struct pq_writer *pw,
		   const sl_format_writer *w)
{
	uint32_t n = 1, leaf = 0;

	for (uint32_t i = 0; i < w->ncols; i++)
		n += elements(w->schema->fields[w->cols[i]].type);
	pq_w_list(e, 2, PQ_T_STRUCT, n);
	pq_w_struct(e, 0);
	pq_w_str(e, 4, "spark_schema");
	pq_w_i32(e, 5, (int32_t)w->ncols);
	pq_w_end(e);
	for (uint32_t i = 0; i < w->ncols; i++) {
		const sl_field *f = &w->schema->fields[w->cols[i]];

		put_type(e, pw, f->name, f->type, &leaf);
	}
}
