/* examples/sessions.c - per-group state from C (Spark's
 * flatMapGroupsWithState): user sessions over an event-time stream. A
 * session gathers a user's events until none came for 1 second of event
 * time (an event-time timeout under a 2-second watermark), then one
 * summary row comes out: the user, the events, the first and last event
 * times. The input is rate-micro-batch (10 events a batch, one second of
 * event time a batch); users 3 and 4 leave after the first three
 * batches, users 0..2 stay. `make examples-test` runs it: it exits
 * non-zero unless the two sessions that ended were summarised once and
 * whole. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice.h"

/* A session, the group's state: plain bytes, as the checkpoint keeps
 * them. */
struct session {
	int64_t events, first_us, last_us;
};

static int on_events(void *ud, const sl_rows *key, const sl_rows *rows,
		     sl_group_state *st)
{
	struct session ss = { 0, INT64_MAX, INT64_MIN };
	size_t len;
	const void *p = sl_group_state_get(st, &len);
	if (p && len == sizeof(ss))
		memcpy(&ss, p, sizeof(ss));
	if (sl_group_state_has_timed_out(st)) {
		/* the session is over: summarise it and forget it */
		sl_group_state_emit(st);
		sl_group_state_out_long(st, 0, sl_rows_long(key, 0, 0));
		sl_group_state_out_long(st, 1, ss.events);
		sl_group_state_out_long(st, 2, ss.first_us);
		sl_group_state_out_long(st, 3, ss.last_us);
		sl_group_state_remove(st);
		return 0;
	}
	int ts = sl_rows_colindex(rows, "timestamp");
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t t = sl_rows_long(rows, i, (uint32_t)ts);
		ss.first_us = t < ss.first_us ? t : ss.first_us;
		ss.last_us = t > ss.last_us ? t : ss.last_us;
	}
	ss.events += sl_rows_count(rows);
	sl_group_state_update(st, &ss, sizeof(ss));
	/* a timeout lasts one call: set it again each time */
	return sl_group_state_set_timeout_timestamp(st, ss.last_us + 1000000);
}

struct seen {
	pthread_mutex_t lock;
	int sessions, bad;
};

static int on_batch(void *ud, const sl_rows *rows, int64_t batch_id)
{
	struct seen *s = ud;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		char line[160];
		size_t n = 0;
		for (uint32_t c = 0; c < sl_rows_ncols(rows); c++) {
			char v[48];
			sl_rows_string(rows, i, c, v, sizeof(v));
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%s%s=%s", c ? " " : "",
					      sl_rows_colname(rows, c), v);
		}
		printf("batch %lld: session %s\n", (long long)batch_id, line);
		int64_t user = sl_rows_long(rows, i, 0);
		/* users 3 and 4: 2 events a batch for 3 batches */
		s->bad += (user != 3 && user != 4) ||
			  sl_rows_long(rows, i, 1) != 6;
		s->sessions++;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int main(void)
{
	sl_session *s = sl_session_new();
	struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sl_frame *f = sl_session_read_stream(
		s, "rate-micro-batch",
		(const char *[]){ "rowsPerBatch", "10", "startTimestamp",
				  "1700000000000", "advanceMillisPerBatch",
				  "1000", NULL });
	if (f)
		f = sl_frame_with_watermark(f, "timestamp", "2 seconds");
	if (f)
		f = sl_frame_select(f, (const char *[]){ "value % 5 AS user",
							 "value", "timestamp",
							 NULL });
	if (f)
		f = sl_frame_where(f, "user < 3 OR value < 30");
	sl_group_state_spec spec = {
		.size = sizeof(spec),
		.fn = on_events,
		.output_schema = "user BIGINT, events BIGINT, "
				 "first TIMESTAMP, last TIMESTAMP",
		.flat = true,
		.output_mode = "append",
		.timeout = SL_GROUP_TIMEOUT_EVENT,
	};
	if (f)
		f = sl_frame_group_state(f, (const char *[]){ "user", NULL },
					 &spec);
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &seen, .batch = on_batch };
	sl_query *q = f ? sl_frame_start(f, "foreachBatch",
					 (const char *[]){ "outputMode",
							   "append", NULL },
					 &cb)
			: NULL;
	if (!q) {
		fprintf(stderr, "sessions: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return 1;
	}
	for (int i = 0; i < 500 && sl_query_is_active(q); i++) {
		pthread_mutex_lock(&seen.lock);
		int n = seen.sessions;
		pthread_mutex_unlock(&seen.lock);
		if (n >= 2)
			break;
		usleep(20000);
	}
	int rc = sl_query_stop(q);
	if (rc)
		fprintf(stderr, "sessions: %s\n", sl_query_exception(q));
	char *p = sl_query_last_progress(q);
	printf("%s\n", p ? p : "(no progress)");
	free(p);
	sl_session_destroy(s);
	printf("sessions %d bad %d\n", seen.sessions, seen.bad);
	return rc == 0 && seen.sessions == 2 && seen.bad == 0 ? 0 : 1;
}
