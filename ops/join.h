/* ops/join.h - the stream-static equi-join operator: a static table (rows
 * the engine read once, engine/static_table.c) hashed on its key columns,
 * probed by every stream row on the partition threads as one step of the
 * fused stateless chain.
 *
 * The hash table is built once and never written again, so the partition
 * threads of every query that uses it probe it concurrently without a
 * lock. The table's rows must outlive it: output rows point into the
 * table's arena. */
#ifndef SL_OPS_JOIN_H
#define SL_OPS_JOIN_H

#include "core/value.h"
#include "sluice.h"

enum { SL_JOIN_INNER, SL_JOIN_LEFT };

typedef struct sl_join sl_join;

/* The join of stream rows (schema ls) with table (rows of schema rs) on
 * key pairs (keys_left[i] of the stream = keys_right[i] of the table;
 * keys_right NULL: the same names). Output: the stream's columns, then the
 * table's non-key columns (Spark's join(other, usingColumns) rule, applied
 * to every form), sl_join_schema. how: SL_JOIN_INNER or SL_JOIN_LEFT.
 * Schemas and column maps go into a. NULL with err set on error. */
sl_join *sl_join_new(const sl_schema *ls, const sl_schema *rs,
		     const sl_batch *table, const char *const *keys_left,
		     const char *const *keys_right, int how, sl_arena *a,
		     sl_err *err);
void sl_join_free(sl_join *j);

/* The schema of the joined rows. */
const sl_schema *sl_join_schema(const sl_join *j);

/* The join step: replaces b's rows (all of them: the caller compacts) by
 * the joined rows. Returns 0. */
int sl_join_probe(const sl_join *j, sl_batch *b, sl_err *err);

#endif
