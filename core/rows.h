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

#endif
