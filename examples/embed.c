/* examples/embed.c - sluice embedded in a C program, no pipeline file:
 * a rate source, a filter and a projection, and a foreachBatch callback
 * that sums what it receives; the program prints the query's last progress
 * and exits non-zero if anything went wrong. `make test` builds and runs it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sluice.h"

struct totals {
	long rows, sum, bad;
};

static int on_batch(void *ud, const sl_rows *rows, int64_t batch_id)
{
	struct totals *t = ud;
	int v = sl_rows_colindex(rows, "v");
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		long x = (long)sl_rows_long(rows, i, (uint32_t)v);
		t->rows++;
		t->sum += x;
		if (x % 20 != 0) /* the filter let through an odd value */
			t->bad++;
	}
	printf("batch %ld: %u rows\n", (long)batch_id, sl_rows_count(rows));
	return 0;
}

int main(void)
{
	sl_session *s = sl_session_new();
	struct totals t = {0};
	sl_frame *in = sl_session_read_stream(
		s, "rate", (const char *[]){"rowsPerSecond", "1000", NULL});
	sl_frame *even = in ? sl_frame_where(in, "value % 2 = 0") : NULL;
	sl_frame *out = even ? sl_frame_select(even, (const char *[]){
						   "value * 10 AS v", NULL})
			     : NULL;
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &t, .batch = on_batch};
	sl_query *q = out ? sl_frame_start(out, "foreachBatch",
					   (const char *[]){
						   "trigger",
						   "processingTime 200 ms",
						   "queryName", "embedded", NULL},
					   &cb)
			  : NULL;
	if (!q) {
		fprintf(stderr, "embed: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return 1;
	}
	sl_query_await(q, 1500);
	int rc = sl_query_stop(q);
	char *p = sl_query_last_progress(q);
	printf("%s\n", p ? p : "(no progress)");
	free(p);
	printf("rows %ld sum %ld bad %ld\n", t.rows, t.sum, t.bad);
	sl_session_destroy(s);
	return rc == 0 && t.rows > 0 && t.bad == 0 ? 0 : 1;
}
