/* core/rows.h - the public sl_rows (include/sluice.h) as the library sees
 * it: a read-only view of a record vector. The struct's one member is the
 * batch, so the view of a batch is the batch's own address and no copy is
 * made when a callback receives rows. */
#ifndef SL_CORE_ROWS_H
#define SL_CORE_ROWS_H

#include "core/value.h"
#include "sluice.h"

struct sl_rows {
	sl_batch b;
};

/* The view of batch b (NULL for NULL). */
static inline sl_rows *sl_rows_of(sl_batch *b)
{
	return (sl_rows *)b;
}

static inline const sl_rows *sl_rows_of_const(const sl_batch *b)
{
	return (const sl_rows *)b;
}

/* The batch a view shows (NULL for NULL). */
static inline const sl_batch *sl_rows_batch(const sl_rows *r)
{
	return r ? &r->b : NULL;
}

/* ---- building a row from the host's typed values ---------------------- */

/* The setters behind the public row builders (the in-process input's
 * sl_input_row_*, a source plugin's sl_emit_*): they put a host's value
 * into row[col] of a row of schema sc, checking that the column exists
 * and that its type takes the value (a long sets BIGINT, INT and DATE in
 * their ranges, TIMESTAMP in microseconds, BOOLEAN and DOUBLE; a double
 * sets DOUBLE; a string sets STRING and BINARY, borrowed: the caller
 * copies the bytes where they must live). `who` names the row's owner in
 * messages ("input 'orders'"). 0, or SL_EINVAL with err set. */
int sl_row_set_long(const sl_schema *sc, sl_value *row, uint32_t col,
		    int64_t v, const char *who, sl_err *err);
int sl_row_set_double(const sl_schema *sc, sl_value *row, uint32_t col,
		      double v, const char *who, sl_err *err);
int sl_row_set_string(const sl_schema *sc, sl_value *row, uint32_t col,
		      const char *s, size_t len, const char *who, sl_err *err);
/* Whether the setters can set a column of type t (BOOLEAN, INT, BIGINT,
 * DOUBLE, STRING, BINARY, TIMESTAMP, DATE). */
bool sl_row_settable(const sl_dtype *t);
/* 0 if col is a column of sc, else SL_EINVAL naming who. */
int sl_row_check_col(const sl_schema *sc, uint32_t col, const char *who,
		     sl_err *err);

#endif
