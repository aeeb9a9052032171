/* io/rows.c - the public read-only view of a set of rows (sl_rows in
 * sluice.h): what an application reads from a memory table snapshot
 * (sl_session_table) or receives in its foreach/foreachBatch callbacks.
 *
 * sl_rows is a view of an sl_batch (core/rows.h); these accessors keep the batch's layout out of
 * the public header. Every accessor tolerates a NULL set and out-of-range
 * indexes (returning null-like answers) so that a reader's off-by-one
 * cannot crash a running query's process. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/decimal.h"
#include "core/rows.h"

static const sl_value *rows_cell(const sl_rows *rows, uint32_t row,
				 uint32_t col)
{
	const sl_batch *r = sl_rows_batch(rows);
	if (!r || row >= r->nrows || col >= r->ncols)
		return NULL;
	return sl_batch_row(r, row) + col;
}

void sl_rows_free(sl_rows *r)
{
	sl_batch_free(r ? &r->b : NULL);
}

uint32_t sl_rows_count(const sl_rows *r)
{
	return r ? r->b.nrows : 0;
}

uint32_t sl_rows_ncols(const sl_rows *r)
{
	return r ? r->b.ncols : 0;
}

const char *sl_rows_colname(const sl_rows *rows, uint32_t col)
{
	const sl_batch *r = sl_rows_batch(rows);
	if (!r || !r->schema || col >= r->schema->n)
		return NULL;
	return r->schema->fields[col].name;
}

int sl_rows_colindex(const sl_rows *rows, const char *name)
{
	const sl_batch *r = sl_rows_batch(rows);
	if (!r || !r->schema || !name)
		return -1;
	/* Case-insensitive, as Spark resolves column names. */
	return sl_schema_find(r->schema, name, strlen(name));
}

bool sl_rows_is_null(const sl_rows *rows, uint32_t row, uint32_t col)
{
	const sl_value *v = rows_cell(rows, row, col);

	return !v || sl_v_is_null(v);
}

int64_t sl_rows_long(const sl_rows *r, uint32_t row, uint32_t col)
{
	const sl_value *v = rows_cell(r, row, col);

	if (!v)
		return 0;
	switch (v->type) {
	case SL_BOOL: return v->v.b ? 1 : 0;
	case SL_INT:
	case SL_DATE: return v->v.i32;
	case SL_LONG:
	case SL_TIMESTAMP: return v->v.i64;
	case SL_DOUBLE: return sl_double_to_long(v->v.f64);
	case SL_FLOAT: return sl_double_to_long(v->v.f32);
	case SL_DECIMAL: {
		/* truncated toward zero, as CAST(x AS BIGINT) outside ANSI */
		int64_t l;
		sl_decimal_to_int(sl_v_dec_get(v),
				  sl_decimal_type_make(v->pad[0], v->pad[1]), 64,
				  &l);
		return l;
	}
	}
	return 0;
}

/* DOUBLE, FLOAT and DECIMAL convert as CAST(x AS DOUBLE); every other
 * type is integral: its long converts exactly as the value itself
 * would. */
double sl_rows_double(const sl_rows *rows, uint32_t row, uint32_t col)
{
	const sl_value *v = rows_cell(rows, row, col);

	if (v && v->type == SL_DOUBLE)
		return v->v.f64;
	if (v && v->type == SL_FLOAT)
		return v->v.f32;
	if (v && v->type == SL_DECIMAL)
		return sl_decimal_to_double(
			sl_v_dec_get(v),
			sl_decimal_type_make(v->pad[0], v->pad[1]));
	return (double)sl_rows_long(rows, row, col);
}

const char *sl_rows_string(const sl_rows *rows, uint32_t row, uint32_t col,
			   char *buf, size_t n)
{
	const sl_value *v = rows_cell(rows, row, col);

	if (!buf || !n)
		return buf;
	if (!v || sl_v_is_null(v)) {
		/* An out-of-range cell reads as null, like the others. */
		snprintf(buf, n, "null");
		return buf;
	}
	buf[0] = 0;
	sl_value_render(v, buf, n);
	return buf;
}
