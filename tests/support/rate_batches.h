/* tests/support/rate_batches.h - the input of the stateful tests: a
 * rate-micro-batch source whose batch N holds the values N*rows ..
 * (N+1)*rows-1 on two partitions, all stamped RATE_T0_MS + N seconds,
 * so every batch's output is known in closed form. For
 * core_group_state.c, core_stateful_chain.c, core_stateful_part.c. */
#ifndef SL_TEST_RATE_BATCHES_H
#define SL_TEST_RATE_BATCHES_H

#include <criterion/criterion.h>
#include <stdio.h>

#include "sluice.h"

/* Batch 0's time, 1700000000 s: after the epoch, since an event time at
 * or behind the first watermark (0) is late, as in Spark. */
#define RATE_T0_MS 1700000000000LL

static inline sl_frame *rate_batches(sl_session *s, int rows)
{
	char n[16], start[24];
	snprintf(n, sizeof(n), "%d", rows);
	snprintf(start, sizeof(start), "%lld", RATE_T0_MS);
	sl_frame *in = sl_read_stream(
		s, "rate-micro-batch",
		(const char *[]){ "rowsPerBatch", n, "numPartitions", "2",
				  "startTimestamp", start,
				  "advanceMillisPerBatch", "1000", NULL });
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	return in;
}

#endif
