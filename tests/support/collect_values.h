/* tests/support/collect_values.h - what a foreachBatch or foreach sink delivers,
 * kept in memory for the query tests (tests/pipeline/queries.c,
 * tests/pipeline/checkpoint_restart.c): each call's batch id (foreach:
 * the epoch open() tells) and the first column's values as BIGINT, under
 * a lock, since the query's sink thread calls in. Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_VALUES_H
#define SL_TEST_VALUES_H

#include <pthread.h>
#include <stdint.h>

#include "sluice.h"

/* Calls whose batch id (and slice of vals) is kept; later calls are only
 * counted in nbatches, their values still kept. */
#define SL_TEST_VALUES_MAX_BATCHES 4096

typedef struct sl_test_values {
	pthread_mutex_t lock;
	int64_t batch_ids[SL_TEST_VALUES_MAX_BATCHES];
	/* foreachBatch: each batch's slice of vals */
	uint32_t first_val[SL_TEST_VALUES_MAX_BATCHES];
	uint32_t nval[SL_TEST_VALUES_MAX_BATCHES];
	uint32_t nbatches; /* calls: batches, or foreach's open()s */
	int64_t *vals;     /* every row's first column, in delivery order */
	uint32_t nvals, cap;
	uint32_t sleep_ms; /* a slow sink: sleep this long per call */
	int fail_at;       /* return an error from this call (1-based, as
	                      nbatches counts), 0: never */
} sl_test_values;

void sl_test_values_init(sl_test_values *c);
void sl_test_values_free(sl_test_values *c);

/* sl_sink_callbacks.batch (foreachBatch), ud: the sl_test_values. */
int sl_test_values_batch(void *ud, const sl_rows *rows, int64_t id);
/* sl_sink_callbacks.open and .process (foreach): open() counts as a call
 * with the epoch as its id; process() keeps the row's value. */
int sl_test_values_open(void *ud, uint32_t partition, int64_t epoch);
int sl_test_values_process(void *ud, const sl_rows *rows, uint32_t i);

/* Appends v to c->vals; the caller holds c->lock, or no query runs. */
void sl_test_values_add(sl_test_values *c, int64_t v);

/* qsort's comparison of int64_t values. */
int sl_test_cmp_int64(const void *a, const void *b);

#endif
