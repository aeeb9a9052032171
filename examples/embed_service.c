/* examples/embed_service.c - a C service feeding its own records into a
 * streaming query, no network: four worker threads each push the requests
 * they "serve" (route, duration, time) into their own partition of an
 * in-process input (sl_session_input); the query counts them and averages
 * their durations per route over 1-second windows, and a foreachBatch
 * callback keeps the latest figures. At the end the program prints each
 * window's figures and exits non-zero unless every request was counted
 * exactly once. `make test` builds and runs it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice.h"

#define WORKERS 4
#define PER_WORKER 3000 /* requests each, over about 1.5 seconds */
#define SLOTS 256

static const char *const routes[] = {"/login", "/search", "/cart"};

/* The latest figures of each (window, route), as the update-mode batches
 * give them; written by the query's sink thread, read after it stopped. */
struct figures {
	pthread_mutex_t lock;
	struct slot {
		int64_t start_us;
		char route[16];
		int64_t count;
		double avg_ms;
	} slot[SLOTS];
	int n;
	int overflow;
};

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int on_batch(void *ud, const sl_rows *rows, int64_t batch_id)
{
	struct figures *f = ud;
	int ws = sl_rows_colindex(rows, "start");
	int rt = sl_rows_colindex(rows, "route");
	int n = sl_rows_colindex(rows, "requests");
	int avg = sl_rows_colindex(rows, "avg_ms");

	pthread_mutex_lock(&f->lock);
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t start = sl_rows_long(rows, i, (uint32_t)ws);
		char route[16];
		int k;

		sl_rows_string(rows, i, (uint32_t)rt, route, sizeof(route));
		for (k = 0; k < f->n; k++)
			if (f->slot[k].start_us == start &&
			    !strcmp(f->slot[k].route, route))
				break;
		if (k == f->n) {
			if (f->n == SLOTS) {
				f->overflow++;
				continue;
			}
			f->n++;
			f->slot[k].start_us = start;
			snprintf(f->slot[k].route, sizeof(f->slot[k].route),
				 "%s", route);
		}
		f->slot[k].count = sl_rows_long(rows, i, (uint32_t)n);
		f->slot[k].avg_ms = sl_rows_double(rows, i, (uint32_t)avg);
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int64_t counted(struct figures *f)
{
	int64_t total = 0;

	pthread_mutex_lock(&f->lock);
	for (int k = 0; k < f->n; k++)
		total += f->slot[k].count;
	pthread_mutex_unlock(&f->lock);
	return total;
}

struct worker {
	sl_input *in;
	uint32_t id;
	int failures;
};

/* A worker "serves" a request every 0.5 ms and pushes what it did. */
static void *serve(void *arg)
{
	struct worker *w = arg;
	sl_input_row *r = sl_input_row_new(w->in);
	struct timespec pause = {.tv_nsec = 500000};

	for (int i = 0; i < PER_WORKER; i++) {
		const char *route = routes[(w->id + (uint32_t)i) % 3];

		sl_input_row_long(r, 0, wall_us());
		sl_input_row_string(r, 1, route, strlen(route));
		sl_input_row_double(r, 2, 1.0 + (i % 10));
		if (sl_input_push(w->in, w->id, r) != 0)
			w->failures++;
		nanosleep(&pause, NULL);
	}
	sl_input_row_free(r);
	return NULL;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return strcmp(x->route, y->route);
}

int main(void)
{
	sl_session *s = sl_session_new();
	struct figures f = {.lock = PTHREAD_MUTEX_INITIALIZER};
	sl_input *in = sl_session_input(
		s, "requests", "at TIMESTAMP, route STRING, ms DOUBLE",
		WORKERS, NULL);
	sl_frame *src = in ? sl_session_read_stream(s, "input",
					    (const char *[]){"name",
							     "requests", NULL})
			   : NULL;
	sl_frame *agg =
		src ? sl_frame_group_by(
			      src,
			      (const char *[]){"window(at, '1 second')",
					       "route", NULL},
			      (const char *[]){"count(*) AS requests",
					       "avg(ms) AS avg_ms", NULL})
		    : NULL;
	sl_frame *out = agg ? sl_frame_select(
				      agg, (const char *[]){
					      "window.start AS start", "route",
					      "requests", "avg_ms", NULL})
			    : NULL;
	sl_sink_callbacks cb = {.size = sizeof(cb), .ud = &f, .batch = on_batch};
	sl_query *q = out ? sl_frame_start(out, "foreachBatch",
					   (const char *[]){"outputMode",
							    "update", NULL},
					   &cb)
			  : NULL;
	if (!q) {
		fprintf(stderr, "embed_service: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return 1;
	}

	pthread_t th[WORKERS];
	struct worker w[WORKERS];
	for (uint32_t i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.in = in, .id = i};
		pthread_create(&th[i], NULL, serve, &w[i]);
	}
	int failures = 0;
	for (uint32_t i = 0; i < WORKERS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	sl_input_close(in);

	/* The micro-batches catch up with what was pushed. */
	const int64_t total = (int64_t)WORKERS * PER_WORKER;
	for (int tries = 0; counted(&f) < total && tries < 1000; tries++)
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	int rc = sl_query_stop(q);

	qsort(f.slot, (size_t)f.n, sizeof(f.slot[0]), cmp_slot);
	for (int k = 0; k < f.n; k++) {
		time_t sec = (time_t)(f.slot[k].start_us / 1000000);
		struct tm tm;
		char when[32];
		gmtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("%s %-8s %6lld requests  avg %.2f ms\n", when,
		       f.slot[k].route, (long long)f.slot[k].count,
		       f.slot[k].avg_ms);
	}
	int64_t got = counted(&f);
	printf("%lld requests pushed, %lld counted\n", (long long)total,
	       (long long)got);
	sl_session_destroy(s);
	if (rc < 0 || failures || f.overflow || got != total) {
		fprintf(stderr, "embed_service: rc %d, %d failed pushes, "
			"%lld of %lld counted\n", rc, failures,
			(long long)got, (long long)total);
		return 1;
	}
	return 0;
}
