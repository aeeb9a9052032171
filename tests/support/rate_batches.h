/* tests/support/rate_batches.h - the input of the stateful query tests: a
 * rate-micro-batch source whose batch N holds the values N*rows ..
 * (N+1)*rows-1 on two partitions, all stamped RATE_T0_MS + N seconds,
 * so every batch's output is known in closed form. Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_RATE_BATCHES_H
#define SL_TEST_RATE_BATCHES_H

#include "sluice.h"

/* Batch 0's time, 1700000000 s: after the epoch, since an event time at
 * or behind the first watermark (0) is late, as in Spark. */
#define RATE_T0_MS 1700000000000LL

/* The source in session s, `rows` rows a batch; the test fails if it
 * cannot be made. */
sl_frame *sl_test_rate_batches(sl_session *s, int rows);

#endif
