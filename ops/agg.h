/* ops/agg.h - aggregate functions of GROUP BY: count, sum, avg, min, max,
 * approx_count_distinct, collect_list, first, last.
 *
 * Each function is one const struct of callbacks over a fixed-size state
 * the caller allocates (STYLE.md, convention 6). The stateful operator
 * (ops/groupby.c) keeps one state per group and aggregate, calls add for
 * every input value, merge when session windows join, result at emit, and
 * encode/decode for the state store. Null handling and result types follow
 * Spark: nulls are skipped (count(*) counts rows), sum/avg/min/max of no
 * non-null input is null, count is bigint, avg is double, sum of integers
 * is bigint and of doubles double. */
#ifndef SL_OPS_AGG_H
#define SL_OPS_AGG_H

#include "core/value.h"
#include "ops/keyhash.h"

typedef struct sl_agg_fn {
	const char *name;    /* Spark's function name, lower case */
	size_t state_size;   /* bytes of the caller-allocated state */
	bool star;           /* count(*): takes no argument (add gets NULL) */
	/* The result type for an argument type, or NULL if the function does
	 * not accept it (the plan reports an analysis error). */
	const sl_dtype *(*result_type)(const sl_dtype *arg, sl_arena *a);
	void (*init)(void *st);
	/* Adds one input value (a row's argument). Returns 0. */
	int (*add)(void *st, const sl_value *v);
	/* Folds other (same function, then left unchanged) into st, as if
	 * st's inputs came first. */
	void (*merge)(void *st, const void *other);
	/* The current result; variable data goes into out. */
	sl_value (*result)(const void *st, sl_arena *out);
	/* Releases what the state holds (NULL when it holds nothing). */
	void (*destroy)(void *st);
	/* Undoes an add of v, for sliding-window reuse; NULL when the
	 * function is not invertible (min, max, first, ...). Returns 0. */
	int (*remove)(void *st, const sl_value *v);
	/* Heap bytes the state holds beyond state_size (NULL: none), for
	 * the progress's memoryUsedBytes. */
	size_t (*mem)(const void *st);
	/* State store: appends the state's bytes / restores a state from
	 * them into an initialised state (returns 0 or SL_EINVAL). */
	void (*encode)(const void *st, sl_buf *b);
	int (*decode)(void *st, sl_rbuf *r);
} sl_agg_fn;

/* The function named name (case-insensitive; "count" is count(x);
 * "count(*)" and "count(1)" name count of rows), or NULL. */
const sl_agg_fn *sl_agg_lookup(const char *name);

extern const sl_agg_fn sl_agg_count_star, sl_agg_count, sl_agg_sum,
	sl_agg_avg, sl_agg_min, sl_agg_max, sl_agg_approx_count_distinct,
	sl_agg_collect_list, sl_agg_first, sl_agg_last;

/* approx_count_distinct's HyperLogLog precision: 2^9 = 512 registers, the
 * precision Spark derives from its default relativeSD 0.05
 * (p = ceil(2 log2(1.106 / 0.05))), standard error about 1.04/sqrt(512) =
 * 4.6%. Values are hashed as Spark does (XXH64, seed 42, over the value's
 * int/long/double bits or string bytes), so for cardinalities past
 * 5 * 512 the estimate is Spark's. */
#define SL_HLL_P 9

#endif
