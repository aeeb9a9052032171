/* bench/stateful.c - micro-batch latency of a stateful query: from a row's
 * arrival to the update that counts it, with the default trigger (the aim: a few
 * milliseconds, not Spark's ~100 ms per batch).
 *
 *   stateful: rate (rowsPerSecond R, 1 partition)
 *             -> GROUP BY value % 10: count(*), max(value), max(timestamp)
 *             -> foreachBatch, outputMode update, default trigger
 *   baseline: the same source -> SELECT timestamp, value -> foreachBatch,
 *             default trigger: the micro-batch path without state, so the
 *             difference is what the aggregation costs.
 *
 * A row "arrives" when the rate source makes it due: its timestamp is
 * start + due(value) on the wall clock (io/source_rate.c, exactly
 * floor(value * 1e6 / R) us after value 0), and the source hands it on at
 * that moment. In the callback, now (CLOCK_REALTIME) minus a row's
 * timestamp is its latency. The stateless baseline sees each row's
 * timestamp. The aggregation's output rows carry only per-group maxima,
 * but in update mode the group of the batch's newest row is among them,
 * so max(value) and max(timestamp) over the output rows are the newest
 * row's; the batch's rows are the values after the previous batch's
 * newest, and the timestamp of each is the newest's minus the difference
 * of their due times. Every row gets its own latency (a batch of k rows
 * counts k latencies, its oldest row waiting longest); the counts are
 * checked: the updates' count(*) increments must add up to those rows.
 *
 * The first --warmup seconds are left out (start-up). Runs alternate,
 * --reps each, median of the per-run percentiles.
 *
 * --partitions N runs the aggregation on N stateful partitions (writer
 * option statefulPartitions: worker threads fed by the sink thread's
 * hash shuffle); the default, 1, aggregates on the sink thread.
 *
 * usage: stateful [--rate R] [--seconds S] [--warmup S] [--reps N]
 *                 [--partitions N] [--json FILE]
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "sluice.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define MAX_REPS 9
#define GROUPS 10

static const double pcts[] = { 50, 90, 99, 99.9, 100 };
#define NPCT (sizeof(pcts) / sizeof(pcts[0]))

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* statefulPartitions of the stateful query */
static const char *partitions = "1";

struct run {
	bool stateful;
	int64_t rate;
	int64_t t_skip_us; /* rows stamped before this are warm-up */
	/* collected on the sink thread */
	int64_t *lat;	   /* us, one per measured row */
	size_t nlat, cap;
	int64_t *newest;   /* us, per batch: its newest row */
	size_t nnew, ncap;
	int64_t prev_maxv; /* stateful: the previous batch's newest value */
	int64_t count[GROUPS];
	int64_t batches, rows, count_mismatch;
	/* results */
	double p[NPCT], pn[NPCT];
	double rows_per_batch;
};

static void push(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v) {
			fprintf(stderr, "stateful: out of memory\n");
			exit(1);
		}
	}
	(*v)[(*n)++] = x;
}

/* Microseconds after value 0 at which value v is due (no ramp-up). */
static int64_t due_us(int64_t rate, int64_t v)
{
	return v / rate * 1000000 + v % rate * 1000000 / rate;
}

static int on_batch(void *ud, const sl_rows *rows, int64_t id)
{
	struct run *r = ud;
	int64_t now = wall_us();
	uint32_t n = sl_rows_count(rows);

	if (!n)
		return 0;
	r->batches++;
	if (!r->stateful) {
		int64_t newest = 0;

		for (uint32_t i = 0; i < n; i++) {
			int64_t ts = sl_rows_long(rows, i, 0);

			if (ts > newest)
				newest = ts;
			if (ts >= r->t_skip_us)
				push(&r->lat, &r->nlat, &r->cap, now - ts);
		}
		r->rows += n;
		if (newest >= r->t_skip_us)
			push(&r->newest, &r->nnew, &r->ncap, now - newest);
		return 0;
	}
	/* k, n, maxv, maxts */
	int64_t maxv = -1, maxts = 0, added = 0;

	for (uint32_t i = 0; i < n; i++) {
		int64_t k = sl_rows_long(rows, i, 0);
		int64_t c = sl_rows_long(rows, i, 1);
		int64_t v = sl_rows_long(rows, i, 2);
		int64_t ts = sl_rows_long(rows, i, 3);

		if (k >= 0 && k < GROUPS) {
			added += c - r->count[k];
			r->count[k] = c;
		}
		if (v > maxv) {
			maxv = v;
			maxts = ts;
		}
	}
	if (added != maxv - r->prev_maxv)
		r->count_mismatch++;
	for (int64_t v = r->prev_maxv + 1; v <= maxv; v++) {
		int64_t ts = maxts - (due_us(r->rate, maxv) -
				      due_us(r->rate, v));

		if (ts >= r->t_skip_us)
			push(&r->lat, &r->nlat, &r->cap, now - ts);
	}
	if (maxts >= r->t_skip_us)
		push(&r->newest, &r->nnew, &r->ncap, now - maxts);
	r->rows += maxv - r->prev_maxv;
	r->prev_maxv = maxv;
	return 0;
}

static void pct(int64_t *v, size_t n, double *out)
{
	qsort(v, n, sizeof(*v), bu_cmp_i64);
	for (size_t i = 0; i < NPCT; i++)
		out[i] = (double)bu_pct_sorted(v, n, pcts[i]) / 1e3; /* ms */
}

static int run_once(struct run *r, double seconds, double warmup)
{
	sl_session *s = sl_session_new();
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = r, .batch = on_batch };
	char rate[32];
	sl_frame *f;
	sl_query *q = NULL;

	snprintf(rate, sizeof(rate), "%lld", (long long)r->rate);
	r->prev_maxv = -1;
	f = sl_session_read_stream(s, "rate",
			   OPTS("rowsPerSecond", rate, "numPartitions", "1"));
	if (f && r->stateful)
		f = sl_frame_aggregate(f, OPTS("value % 10"),
				       OPTS("value % 10 AS k", "count(*) AS n",
					    "max(value) AS maxv",
					    "max(timestamp) AS maxts"),
				       NULL);
	else if (f)
		f = sl_frame_select(f, OPTS("timestamp", "value"));
	r->t_skip_us = wall_us() + (int64_t)(warmup * 1e6);
	if (f)
		q = sl_frame_start(f, "foreachBatch",
				   OPTS("outputMode", "update",
					"statefulPartitions", partitions),
				   &cb);
	if (!q) {
		fprintf(stderr, "stateful: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return -1;
	}
	bu_sleep_ms((int64_t)((warmup + seconds) * 1000));
	if (sl_query_stop(q) < 0) {
		fprintf(stderr, "stateful: query failed: %s\n",
			sl_query_exception(q));
		sl_session_destroy(s);
		return -1;
	}
	sl_session_destroy(s);
	if (!r->nlat) {
		fprintf(stderr, "stateful: no rows measured\n");
		return -1;
	}
	r->rows_per_batch = r->batches ? (double)r->rows / r->batches : 0;
	pct(r->lat, r->nlat, r->p);
	pct(r->newest, r->nnew, r->pn);
	return 0;
}

static int cmp_run_p99(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return bu_cmp_double(&x->p[2], &y->p[2]);
}

static void usage(void)
{
	fprintf(stderr, "usage: stateful [--rate R] [--seconds S] "
			"[--warmup S] [--reps N] [--partitions N] "
			"[--json FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int64_t rate = 1000;
	double seconds = 10, warmup = 1;
	int reps = 3;
	const char *json = NULL;
	static struct run runs[2][MAX_REPS];
	static const char *const names[2] = { "stateless", "stateful" };
	FILE *jf = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--rate"))
			rate = atoll(argv[++i]);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(argv[++i]);
		else if (!strcmp(a, "--warmup"))
			warmup = atof(argv[++i]);
		else if (!strcmp(a, "--reps"))
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "--json"))
			json = argv[++i];
		else if (!strcmp(a, "--partitions"))
			partitions = argv[++i];
		else
			usage();
	}
	if (rate < 1 || seconds <= 0 || warmup < 0 || reps < 1 ||
	    reps > MAX_REPS)
		usage();

	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < 2; k++) {
			int kk = (k + rep) % 2; /* alternate the order */
			struct run *r = &runs[kk][rep];

			r->stateful = kk == 1;
			r->rate = rate;
			if (run_once(r, seconds, warmup) < 0)
				return 1;
		}

	printf("micro-batch latency, default trigger: rate %lld rows/s -> "
	       "[GROUP BY value %% 10: count(*), max | SELECT] -> "
	       "foreachBatch (update), statefulPartitions %s\n",
	       (long long)rate, partitions);
	printf("from each row's rate timestamp (when it became due) to the "
	       "callback, ms; %.1f s per run after %.1f s warm-up, median of "
	       "%d\n",
	       seconds, warmup, reps);
	printf("%-10s %8s %8s %8s %8s %8s %9s %9s %8s %s\n", "query", "p50",
	       "p90", "p99", "p99.9", "max", "newest50", "newest99",
	       "rows/b", "");
	if (json) {
		jf = fopen(json, "w");
		if (!jf) {
			perror(json);
			return 1;
		}
		fprintf(jf,
			"{\"bench\": \"stateful\", \"rate\": %lld, "
			"\"seconds\": %.1f, \"warmup\": %.1f, \"reps\": %d,\n"
			" \"query\": \"rate -> GROUP BY value %% 10: count(*), "
			"max(value), max(timestamp) -> foreachBatch, update, "
			"default trigger\",\n \"baseline\": \"rate -> SELECT "
			"timestamp, value -> foreachBatch, default trigger\",\n"
			" \"results\": [",
			(long long)rate, seconds, warmup, reps);
	}
	for (int k = 0; k < 2; k++) {
		double med[NPCT], medn[NPCT], v[MAX_REPS];
		int64_t mism = 0;
		double rpb = 0;

		for (size_t i = 0; i < NPCT; i++) {
			for (int rep = 0; rep < reps; rep++)
				v[rep] = runs[k][rep].p[i];
			med[i] = bu_median(v, reps);
			for (int rep = 0; rep < reps; rep++)
				v[rep] = runs[k][rep].pn[i];
			medn[i] = bu_median(v, reps);
		}
		for (int rep = 0; rep < reps; rep++) {
			mism += runs[k][rep].count_mismatch;
			rpb += runs[k][rep].rows_per_batch / reps;
		}
		printf("%-10s %8.3f %8.3f %8.3f %8.3f %8.3f %9.3f %9.3f %8.1f "
		       "%s\n",
		       names[k], med[0], med[1], med[2], med[3], med[4],
		       medn[0], medn[2], rpb,
		       mism ? "COUNTS DO NOT ADD UP" : "");
		if (jf) {
			fprintf(jf,
				"%s\n  {\"query\": \"%s\", \"p50_ms\": %.4f, "
				"\"p90_ms\": %.4f, \"p99_ms\": %.4f, "
				"\"p999_ms\": %.4f, \"max_ms\": %.4f, "
				"\"newest_p50_ms\": %.4f, "
				"\"newest_p99_ms\": %.4f, "
				"\"rows_per_batch\": %.2f, "
				"\"count_mismatches\": %lld, \"runs\": [",
				k ? "," : "", names[k], med[0], med[1], med[2],
				med[3], med[4], medn[0], medn[2], rpb,
				(long long)mism);
			qsort(runs[k], (size_t)reps, sizeof(runs[k][0]),
			      cmp_run_p99);
			for (int rep = 0; rep < reps; rep++) {
				struct run *r = &runs[k][rep];

				fprintf(jf,
					"%s{\"p50_ms\": %.4f, \"p99_ms\": "
					"%.4f, \"p999_ms\": %.4f, \"rows\": "
					"%lld, \"batches\": %lld}",
					rep ? ", " : "", r->p[0], r->p[2],
					r->p[3], (long long)r->rows,
					(long long)r->batches);
			}
			fprintf(jf, "]}");
		}
	}
	if (jf) {
		fprintf(jf, "\n]}\n");
		fclose(jf);
	}
	for (int k = 0; k < 2; k++)
		for (int rep = 0; rep < reps; rep++) {
			free(runs[k][rep].lat);
			free(runs[k][rep].newest);
		}
	return 0;
}
