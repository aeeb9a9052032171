/* bench/engine.c - stateless engine throughput, beside a plain C loop.
 *
 * The query is the README's: rate -> WHERE value % 2 = 0 -> SELECT value *
 * 10 AS v -> noop, built with the public API (include/sluice.h). The rate
 * source runs at rowsPerSecond 1e9 (its maximum), far above what one thread
 * can take, so the source is always ahead and the rows counted are the rows
 * the partition threads got through: source, fused chain, ring, sink.
 *
 *   engine:   continuous trigger (epochs of EPOCH_MS), run for --seconds;
 *             rows and time come from the query's progress records
 *             (numInputRows / processedRowsPerSecond per epoch), leaving
 *             out the first epoch (warm-up) and the last (cut by stop).
 *   baseline: the same work as plain C on the same values, one thread per
 *             partition: generate a vector of 1024 values as partition p of
 *             P does (p, p + P, ...), keep v % 2 == 0, compute v * 10, sum
 *             (so the optimiser cannot drop it); rows counted over the same
 *             --seconds.
 *
 * Runs of the engine and the baseline alternate, --reps times each, and the
 * medians are reported with their ratio: the machine drifts from run to
 * run (docs/BENCHMARKS.md, "The machine").
 *
 * --count N --impl engine|baseline runs the path once on exactly N rows and
 * exits (rate-micro-batch, rowsPerBatch N, trigger once; or the loop on N
 * values): bench/run.sh runs it under valgrind at two N and divides the
 * difference in instructions by the difference in N.
 *
 * usage: engine [--seconds S] [--reps R] [--parts 1,2] [--json FILE]
 *        engine --count N --impl engine|baseline
 */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "sluice.h"

#define EPOCH_MS 200
#define VEC 1024
#define MAX_REPS 15
#define MAX_PARTS 8

/* ---- the engine ------------------------------------------------------- */

static sl_frame *eng_frame(sl_session *s, const char *format,
			   const char *const *opts)
{
	sl_frame *f = sl_session_read_stream(s, format, opts);

	if (f)
		f = sl_frame_where(f, "value % 2 = 0");
	if (f)
		f = sl_frame_select(f, (const char *[]){ "value * 10 AS v",
							 NULL });
	if (!f)
		fprintf(stderr, "engine: %s\n", sl_session_errmsg(s));
	return f;
}

/* Sums rows and seconds over the progress records of epochs 1..last-1.
 * Returns rows/s, or -1. *out_rows gets the output rows seen (a check). */
static double eng_rate_from_progress(const char *js, double *in_rows,
				     double *out_rows)
{
	json_error_t jerr;
	json_t *arr = json_loads(js, 0, &jerr);
	double rows = 0, secs = 0, orows = 0;
	size_t n;

	if (!arr || !json_is_array(arr)) {
		fprintf(stderr, "engine: progress is not a JSON array: %s\n",
			jerr.text);
		json_decref(arr);
		return -1;
	}
	n = json_array_size(arr);
	for (size_t i = 1; i + 1 < n; i++) {
		json_t *p = json_array_get(arr, i);
		double in = (double)json_integer_value(
			json_object_get(p, "numInputRows"));
		double rate = json_number_value(
			json_object_get(p, "processedRowsPerSecond"));
		json_t *sink = json_object_get(p, "sink");

		if (in <= 0 || rate <= 0)
			continue;
		rows += in;
		secs += in / rate;
		orows += (double)json_integer_value(
			json_object_get(sink, "numOutputRows"));
	}
	json_decref(arr);
	*in_rows = rows;
	*out_rows = orows;
	return secs > 0 ? rows / secs : -1;
}

/* One timed run of the query with `parts` partitions. Returns rows/s. */
static double eng_run(int parts, double seconds)
{
	sl_session *s = sl_session_new();
	char np[16], trig[64];
	sl_query *q;
	sl_frame *f;
	char *js;
	double rate = -1, in = 0, out = 0;

	snprintf(np, sizeof(np), "%d", parts);
	snprintf(trig, sizeof(trig), "continuous %d milliseconds", EPOCH_MS);
	f = eng_frame(s, "rate",
		      (const char *[]){ "rowsPerSecond", "1000000000",
					"numPartitions", np, NULL });
	q = f ? sl_frame_start(f, "noop",
			       (const char *[]){ "trigger", trig, NULL }, NULL)
	      : NULL;
	if (!q) {
		fprintf(stderr, "engine: start: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return -1;
	}
	bu_sleep_ms((int64_t)(seconds * 1000));
	if (sl_query_stop(q) < 0)
		fprintf(stderr, "engine: query failed: %s\n",
			sl_query_exception(q));
	js = sl_query_recent_progress(q);
	if (js)
		rate = eng_rate_from_progress(js, &in, &out);
	free(js);
	/* With one partition every other value is even: a query that drops
	 * or duplicates rows makes the figure meaningless. (With an even
	 * number of partitions, partition 0 holds every even value.) */
	if (rate > 0 && parts == 1 && (out < in / 2 - 2 || out > in / 2 + 2))
		fprintf(stderr,
			"engine: warning: %.0f rows in, %.0f out (expected "
			"half)\n",
			in, out);
	sl_session_destroy(s);
	return rate;
}

/* Exactly n rows through the query (micro-batch, once). */
static int eng_count(int64_t n)
{
	sl_session *s = sl_session_new();
	char rows[32];
	sl_query *q;
	sl_frame *f;
	int rc;

	snprintf(rows, sizeof(rows), "%lld", (long long)n);
	f = eng_frame(s, "rate-micro-batch",
		      (const char *[]){ "rowsPerBatch", rows, NULL });
	q = f ? sl_frame_start(f, "noop",
			       (const char *[]){ "trigger", "once", NULL },
			       NULL)
	      : NULL;
	if (!q) {
		fprintf(stderr, "engine: start: %s\n", sl_session_errmsg(s));
		sl_session_destroy(s);
		return 1;
	}
	rc = sl_query_await(q, -1);
	sl_session_destroy(s);
	return rc == 1 ? 0 : 1;
}

/* ---- the baseline ----------------------------------------------------- */

struct base_arg {
	int part, parts;
	int64_t deadline_ns; /* 0: run `count` rows instead */
	int64_t count;
	int64_t rows; /* out: rows processed */
	int64_t t0, t1;
};

/* One vector: generate as the rate source's partition does, filter,
 * project, sum. noinline keeps the work per vector the same in every
 * caller. */
static __attribute__((noinline)) int64_t base_vector(int64_t first, int step,
						     int n)
{
	int64_t in[VEC], out[VEC], sum = 0;
	int m = 0;

	for (int i = 0; i < n; i++)
		in[i] = first + (int64_t)i * step;
	for (int i = 0; i < n; i++)
		if (in[i] % 2 == 0)
			out[m++] = in[i] * 10;
	for (int i = 0; i < m; i++)
		sum += out[i];
	return sum;
}

static void *base_main(void *arg)
{
	struct base_arg *a = arg;
	int64_t k = 0, sum = 0;

	a->t0 = bu_now_ns();
	for (;;) {
		int n = VEC;

		if (!a->deadline_ns && a->count - k < n)
			n = (int)(a->count - k);
		if (n <= 0)
			break;
		sum += base_vector(a->part + k * a->parts, a->parts, n);
		k += n;
		/* The clock is read once per 64 vectors (20 ns each, docs/BENCHMARKS.md):
		 * well under 0.1% of the loop. */
		if (a->deadline_ns && (k / VEC) % 64 == 0 &&
		    bu_now_ns() >= a->deadline_ns)
			break;
	}
	a->t1 = bu_now_ns();
	a->rows = k;
	bu_keep(sum);
	return NULL;
}

static double base_run(int parts, double seconds)
{
	struct base_arg a[MAX_PARTS];
	pthread_t th[MAX_PARTS];
	int64_t dl = bu_now_ns() + (int64_t)(seconds * 1e9);
	double rate = 0;

	for (int p = 0; p < parts; p++) {
		a[p] = (struct base_arg){ .part = p, .parts = parts,
					  .deadline_ns = dl };
		pthread_create(&th[p], NULL, base_main, &a[p]);
	}
	for (int p = 0; p < parts; p++) {
		pthread_join(th[p], NULL);
		rate += (double)a[p].rows * 1e9 / (double)(a[p].t1 - a[p].t0);
	}
	return rate;
}

/* ---- main ------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: engine [--seconds S] [--reps R] [--parts 1,2] "
		"[--json FILE]\n"
		"       engine --count N --impl engine|baseline\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double seconds = 2.0;
	int reps = 3, nparts = 0, parts[MAX_PARTS];
	const char *json = NULL, *impl = NULL, *plist = "1,2";
	int64_t count = 0;
	double eng[MAX_PARTS][MAX_REPS], base[MAX_PARTS][MAX_REPS];
	double em[MAX_PARTS], bm[MAX_PARTS];

	/* Line by line even into a pipe: run.sh shows progress as it goes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--seconds"))
			seconds = atof(argv[++i]);
		else if (!strcmp(a, "--reps"))
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "--parts"))
			plist = argv[++i];
		else if (!strcmp(a, "--json"))
			json = argv[++i];
		else if (!strcmp(a, "--count"))
			count = atoll(argv[++i]);
		else if (!strcmp(a, "--impl"))
			impl = argv[++i];
		else
			usage();
	}
	if (count > 0) {
		if (impl && !strcmp(impl, "engine"))
			return eng_count(count);
		if (impl && !strcmp(impl, "baseline")) {
			struct base_arg a = { .part = 0, .parts = 1,
					      .count = count };
			base_main(&a);
			return 0;
		}
		usage();
	}
	for (const char *p = plist; *p && nparts < MAX_PARTS;) {
		int v = atoi(p);

		if (v < 1 || v > MAX_PARTS)
			usage();
		parts[nparts++] = v;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	if (seconds <= 0 || reps < 1 || reps > MAX_REPS || !nparts)
		usage();

	for (int r = 0; r < reps; r++)
		for (int k = 0; k < nparts; k++) {
			eng[k][r] = eng_run(parts[k], seconds);
			if (eng[k][r] < 0)
				return 1;
			base[k][r] = base_run(parts[k], seconds);
		}

	printf("engine: rate -> WHERE value %% 2 = 0 -> SELECT value * 10 "
	       "-> noop, %.1f s per run, median of %d runs\n",
	       seconds, reps);
	printf("%-6s %16s %16s %16s %7s\n", "parts", "engine rows/s",
	       "per part thread", "baseline rows/s", "ratio");
	for (int k = 0; k < nparts; k++) {
		double e2[MAX_REPS], b2[MAX_REPS];

		memcpy(e2, eng[k], sizeof(double) * (size_t)reps);
		memcpy(b2, base[k], sizeof(double) * (size_t)reps);
		em[k] = bu_median(e2, reps);
		bm[k] = bu_median(b2, reps);
		printf("%-6d %16.0f %16.0f %16.0f %7.3f\n", parts[k], em[k],
		       em[k] / parts[k], bm[k], em[k] / bm[k]);
	}

	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			perror(json);
			return 1;
		}
		fprintf(f,
			"{\"bench\": \"engine\", \"seconds\": %.2f, "
			"\"reps\": %d, \"epoch_ms\": %d,\n \"query\": \"rate "
			"-> WHERE value %% 2 = 0 -> SELECT value * 10 AS v -> "
			"noop\",\n \"baseline\": \"plain C loop, one thread "
			"per partition\",\n \"results\": [",
			seconds, reps, EPOCH_MS);
		for (int k = 0; k < nparts; k++) {
			fprintf(f,
				"%s\n  {\"partitions\": %d, "
				"\"engine_rows_per_s\": %.0f, "
				"\"engine_rows_per_s_per_thread\": %.0f, "
				"\"baseline_rows_per_s\": %.0f, "
				"\"ratio\": %.4f, \"engine_runs\": [",
				k ? "," : "", parts[k], em[k],
				em[k] / parts[k], bm[k], em[k] / bm[k]);
			for (int r = 0; r < reps; r++)
				fprintf(f, "%s%.0f", r ? ", " : "", eng[k][r]);
			fprintf(f, "], \"baseline_runs\": [");
			for (int r = 0; r < reps; r++)
				fprintf(f, "%s%.0f", r ? ", " : "",
					base[k][r]);
			fprintf(f, "]}");
		}
		fprintf(f, "\n]}\n");
		fclose(f);
	}
	return 0;
}
