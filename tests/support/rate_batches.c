/* tests/support/rate_batches.c - the stateful query tests' input
 * (tests/support/rate_batches.h). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/support/rate_batches.h"

sl_frame *sl_test_rate_batches(sl_session *s, int rows)
{
	char n[16], start[24];
	snprintf(n, sizeof(n), "%d", rows);
	snprintf(start, sizeof(start), "%lld", RATE_T0_MS);
	sl_frame *in = sl_session_read_stream(
		s, "rate-micro-batch",
		(const char *[]){ "rowsPerBatch", n, "numPartitions", "2",
				  "startTimestamp", start,
				  "advanceMillisPerBatch", "1000", NULL });
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	return in;
}
