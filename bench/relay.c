/* bench/relay.c - a Kafka-to-Kafka relay: sluice's query beside a minimal
 * librdkafka consume-then-produce loop, on the same cluster, in one run.
 *
 *   sluice:   kafka source (subscribe IN, startingOffsets earliest)
 *             -> SELECT key, value -> kafka sink (topic OUT),
 *             trigger 'continuous 1 second'
 *   baseline: one thread: a consumer assigned IN's partitions and a
 *             producer to OUT, both with sluice's client settings
 *             (io/kafka_common.c: linger.ms=0, acks=all, idempotence,
 *             nagle off, fetch.min.bytes=1, fetch.wait.max.ms 100 on a
 *             broker and 1 on the embedded cluster, ...). It waits for one
 *             record, takes what else is queued, produces each without a
 *             copy (the delivery report frees the consumed message), and
 *             serves delivery reports: what sluice's source and sink do,
 *             with nothing between them.
 *
 * Both are measured the same way, inside this process: a generator thread
 * produces to IN, the relay runs, a checker thread consumes OUT. Every
 * record carries its sequence number and its *scheduled* send time (the
 * generator's fixed-rate schedule), and latency is checker receive time
 * minus scheduled time on CLOCK_MONOTONIC, so a generator or relay that
 * falls behind shows in the figures (no coordinated omission). Before the
 * measured records, warm-up records flow until the checker sees one: the
 * relay's start-up (metadata, assignment, first fetch) is not measured.
 *
 *   latency      fixed rates (--rates) x payload sizes (--sizes) x both
 *                relays, --seconds each: p50/p99/p99.9/max and the curve.
 *   throughput   --tput-records records per size pre-produced to IN, then
 *                the relay started: records/s from the first to the last
 *                record the checker receives.
 *   rss          (--rss, a broker only) the relay alone in a child process
 *                (this program, --child IMPL) under a fixed-rate load from
 *                this one: its VmHWM and VmRSS over time.
 *   checkpoints  (--ckpt-rate R) sluice's relay with trigger 'continuous
 *                100 ms' and a checkpointLocation beside the same relay
 *                without one: latency at R records/s and max throughput
 *                (100 B), and the commit times from the progress records.
 *                --ckpt-only: only this (with --ckpt-rate). --ckpt-parent
 *                DIR: where the checkpoints go (default /tmp; /dev/shm
 *                takes the disk's fsyncs out of the comparison).
 *   slow sink    (--rss) sluice's kafka source -> foreach sink whose
 *                process() sleeps --slow-us per row, under a load it
 *                cannot keep up with: VmRSS over time must level off.
 *                --slow-sink-seconds S: only this, for S seconds (20k
 *                records/s of 1 KiB), with VmRSS each second and
 *                whether the last third of the run still grew.
 *
 * Topics are made per measurement (IN and OUT fresh each time): on a
 * broker with the Admin API, on the embedded cluster with
 * sl_kafka_embedded_topic_create(). Figures go to stdout and --json.
 *
 * This file holds the measurements and main; the traffic (clients,
 * topics, generator, checker) is bench/relay/traffic.c, the two relays
 * bench/relay/relays.c, the relay alone in a child process (memory,
 * instructions per record) bench/relay/child.c.
 *
 * usage: relay --bootstrap HOST:PORT|embedded [--rates 1000,10000,100000]
 *              [--sizes 100,1024] [--seconds S] [--tput-records N]
 *              [--tput-sizes 100,1024] [--reps R] [--partitions P] [--rss]
 *              [--ckpt-rate R [--ckpt-only] [--ckpt-parent DIR]]
 *              [--slow-sink-seconds S] [--json FILE]
 *        relay --child sluice|baseline|slow --bootstrap B --in T --out T
 *              [--slow-us U]      (used by --rss)
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/relay/relay.h"
#include "io/kafka_embedded.h"
#include "sluice.h"

const char *g_bs;      /* bootstrap as given */
const char *g_addr;    /* host:port the clients use */
bool g_embedded;
int g_parts = 1;
const char *g_ckpt_parent = "/tmp"; /* --ckpt-parent */
rd_kafka_t *g_admin;   /* creates topics on a broker */
unsigned g_topic_seq;

void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "relay: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* ---- measurements ------------------------------------------------------ */

static const double pcts[] = { 0,  10, 25,   50,   75,    90,    95,
			       99, 99.5, 99.9, 99.95, 99.99, 100 };
#define NPCT (sizeof(pcts) / sizeof(pcts[0]))

struct lat_res {
	const char *impl;
	int rate, size;
	int64_t sent, received, dups;
	double achieved; /* records/s received over the run */
	double p[NPCT];	 /* us */
	double gen_lag_us;
	bool sustained;
	double commit_ms_med, commit_ms_top, commit_ms_max; /* ckpt, else -1 */
	double eng_p99_ms, eng_max_ms; /* nockpt, ckpt; else -1 */
};

FILE *g_json;
bool g_json_first;

void json_sep(void)
{
	fprintf(g_json, "%s\n  ", g_json_first ? "" : ",");
	g_json_first = false;
}

static void lat_json(const struct lat_res *l, int rep)
{
	if (!g_json)
		return;
	json_sep();
	fprintf(g_json,
		"{\"kind\": \"latency\", \"impl\": \"%s\", \"rate\": %d, "
		"\"size\": %d, \"rep\": %d, \"sent\": %lld, \"received\": "
		"%lld, \"dups\": %lld, \"achieved_per_s\": %.0f, "
		"\"sustained\": %s, \"gen_max_lag_us\": %.1f, "
		"\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
		"\"max_us\": %.1f, \"commit_ms_median\": %.3f, "
		"\"commit_ms_top\": %.3f, \"commit_ms_max\": %.3f, "
		"\"engine_p99_ms\": %.3f, \"engine_max_ms\": %.3f, "
		"\"curve\": [",
		l->impl, l->rate, l->size, rep, (long long)l->sent,
		(long long)l->received, (long long)l->dups, l->achieved,
		l->sustained ? "true" : "false", l->gen_lag_us, l->p[3],
		l->p[7], l->p[9], l->p[NPCT - 1], l->commit_ms_med,
		l->commit_ms_top, l->commit_ms_max, l->eng_p99_ms,
		l->eng_max_ms);
	for (size_t i = 0; i < NPCT; i++)
		fprintf(g_json, "%s[%g, %.1f]", i ? ", " : "", pcts[i],
			l->p[i]);
	fprintf(g_json, "]}");
	fflush(g_json);
}

/* One fixed-rate run of one relay. */
static void measure_latency(const char *impl, int rate, int size,
			    double seconds, struct lat_res *l)
{
	struct relay r = { .impl = impl, .eng_p99_ms = -1, .eng_max_ms = -1 };
	struct checker c;
	struct gen g = { .size = size, .rate = rate };
	int64_t n = (int64_t)(rate * seconds), deadline, *v;
	size_t k = 0;

	topic_make(r.in, sizeof(r.in), "in");
	topic_make(r.out, sizeof(r.out), "out");
	checker_start(&c, r.out, n);
	if (relay_start(&r))
		exit(1);
	snprintf(g.topic, sizeof(g.topic), "%s", r.in);
	g.n = n;
	g.warm = &c;
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	/* Everything scheduled has been sent; allow the relay to catch up
	 * for as long again as the run (at least 5 s) before calling what
	 * is missing lost. */
	deadline = bu_now_ns() + (int64_t)((seconds > 5 ? seconds : 5) * 1e9);
	while (!g.failed && atomic_load(&c.received) < n &&
	       bu_now_ns() < deadline)
		bu_sleep_ms(10);
	checker_stop(&c);
	relay_stop(&r);

	memset(l, 0, sizeof(*l));
	l->impl = impl;
	l->rate = rate;
	l->size = size;
	l->sent = g.failed ? 0 : n;
	l->received = c.received;
	l->dups = c.dups;
	l->gen_lag_us = (double)g.max_lag / 1e3;
	l->sustained = !g.failed && c.received == n && !r.failed;
	l->commit_ms_med = r.ckdir[0] ? r.commit_ms_med : -1;
	l->commit_ms_top = r.ckdir[0] ? r.commit_ms_top : -1;
	l->commit_ms_max = r.ckdir[0] ? r.commit_ms_max : -1;
	l->eng_p99_ms = r.eng_p99_ms;
	l->eng_max_ms = r.eng_max_ms;
	if (c.received > 1 && c.t_last > g.t0)
		l->achieved = (double)c.received * 1e9 /
			      (double)(c.t_last - g.t0);
	v = malloc((size_t)(n ? n : 1) * sizeof(*v));
	for (int64_t i = 0; i < n; i++)
		if (c.lat[i] >= 0)
			v[k++] = c.lat[i];
	qsort(v, k, sizeof(*v), bu_cmp_i64);
	for (size_t i = 0; i < NPCT; i++)
		l->p[i] = (double)bu_pct_sorted(v, k, pcts[i]) / 1e3;
	free(v);
	free(c.lat);
	free(c.arrive);
}

struct tput_res {
	const char *impl;
	int size;
	int64_t n, received;
	double per_s, mib_per_s;
	double commit_ms_med, commit_ms_top, commit_ms_max; /* ckpt, else -1 */
};

/* Pre-produces n records to IN, then starts the relay and times the
 * checker's first to last record. */
static void measure_tput(const char *impl, int size, int64_t n,
			 struct tput_res *t)
{
	struct relay r = { .impl = impl };
	struct checker c;
	struct gen g = { .size = size, .rate = 0, .n = n };
	int64_t deadline;

	topic_make(r.in, sizeof(r.in), "in");
	topic_make(r.out, sizeof(r.out), "out");
	snprintf(g.topic, sizeof(g.topic), "%s", r.in);
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	checker_start(&c, r.out, n);
	if (g.failed || relay_start(&r))
		exit(1);
	deadline = bu_now_ns() + 120 * 1000000000LL;
	while (atomic_load(&c.received) < n && bu_now_ns() < deadline)
		bu_sleep_ms(10);
	checker_stop(&c);
	relay_stop(&r);
	memset(t, 0, sizeof(*t));
	t->impl = impl;
	t->size = size;
	t->n = n;
	t->received = c.received;
	t->commit_ms_med = r.ckdir[0] ? r.commit_ms_med : -1;
	t->commit_ms_top = r.ckdir[0] ? r.commit_ms_top : -1;
	t->commit_ms_max = r.ckdir[0] ? r.commit_ms_max : -1;
	/* The steady part of the drain: from the 10th to the 90th
	 * percentile record to arrive, leaving out the relay's start and
	 * the tail. */
	if (c.received == n && n >= 100) {
		int64_t a = n / 10, b = n * 9 / 10;

		if (c.arrive[b] > c.arrive[a])
			t->per_s = (double)(b - a) * 1e9 /
				   (double)(c.arrive[b] - c.arrive[a]);
		t->mib_per_s = t->per_s * size / (1024.0 * 1024.0);
	}
	free(c.lat);
	free(c.arrive);
}

static void tput_json(const struct tput_res *t, int rep)
{
	if (!g_json)
		return;
	json_sep();
	fprintf(g_json,
		"{\"kind\": \"throughput\", \"impl\": \"%s\", \"size\": %d, "
		"\"rep\": %d, \"records\": %lld, \"received\": %lld, "
		"\"records_per_s\": %.0f, \"mib_per_s\": %.2f, "
		"\"commit_ms_median\": %.3f, \"commit_ms_top\": %.3f, "
		"\"commit_ms_max\": %.3f}",
		t->impl, t->size, rep, (long long)t->n,
		(long long)t->received, t->per_s, t->mib_per_s,
		t->commit_ms_med, t->commit_ms_top, t->commit_ms_max);
	fflush(g_json);
}

static int cmp_lat_p99(const void *a, const void *b);

/* The cost of checkpoints: sluice's relay with trigger 'continuous 100 ms'
 * and a checkpointLocation ("ckpt") beside the same relay without one
 * ("nockpt"), alternating: latency at one rate and max throughput, 100 B
 * records, with each run's commit times from its progress records. */
static void measure_ckpt(int rate, double seconds, int reps, int64_t tput_n)
{
	static const char *const impls[2] = { "nockpt", "ckpt" };
	struct lat_res res[2][MAX_REPS];
	double tp[2][MAX_REPS], cm[2][MAX_REPS], ct[2][MAX_REPS];
	double cx[2][MAX_REPS];

	printf("checkpoint cost: sluice relay, trigger 'continuous 100 ms', "
	       "without (nockpt) and with (ckpt) a checkpointLocation; "
	       "100 B, median of %d\n",
	       reps);
	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < 2; k++) {
			int kk = (k + rep) % 2;

			measure_latency(impls[kk], rate, 100, seconds,
					&res[kk][rep]);
			lat_json(&res[kk][rep], rep);
		}
	for (int rep = 0; rep < reps && tput_n > 0; rep++)
		for (int k = 0; k < 2; k++) {
			int kk = (k + rep) % 2;
			struct tput_res t;

			measure_tput(impls[kk], 100, tput_n, &t);
			tput_json(&t, rep);
			tp[kk][rep] = t.received == tput_n ? t.per_s : 0;
			cm[kk][rep] = t.commit_ms_med;
			ct[kk][rep] = t.commit_ms_top;
			cx[kk][rep] = t.commit_ms_max;
		}
	printf("commit ms: checkpoint.lastCommitMs median and highest over the "
	       "progress records, maxCommitMs at the end; eng99/engmax ms: "
	       "medians over the progress records of latencyMs.p99 and .max "
	       "(source poll to sink write)\n");
	printf("%-7s %7s %9s %9s %9s %12s %8s %8s %8s %7s %7s %s\n", "relay",
	       "rate", "p50 us", "p99 us", "p99.9 us", "max rec/s", "commit",
	       "highest", "maxCmt", "eng99", "engmax", "note");
	for (int k = 0; k < 2; k++) {
		struct lat_res *l;
		double t = 0;

		qsort(res[k], (size_t)reps, sizeof(res[k][0]), cmp_lat_p99);
		l = &res[k][reps / 2];
		if (tput_n > 0)
			t = bu_median(tp[k], reps);
		printf("%-7s %7d %9.0f %9.0f %9.0f %12.0f %8.2f %8.2f %8.2f "
		       "%7.3f %7.3f %s\n",
		       impls[k], rate, l->p[3], l->p[7], l->p[9], t,
		       l->commit_ms_med, l->commit_ms_top, l->commit_ms_max,
		       l->eng_p99_ms, l->eng_max_ms,
		       l->sustained ? "" : "NOT SUSTAINED");
		if (k == 1 && tput_n > 0)
			printf("  (throughput runs, medians: commit %.2f, "
			       "highest %.2f, maxCommitMs %.2f)\n",
			       bu_median(cm[k], reps), bu_median(ct[k], reps),
			       bu_median(cx[k], reps));
	}
}

/* ---- main -------------------------------------------------------------- */

static int parse_list(const char *s, int *v)
{
	int n = 0;

	while (s && *s && n < MAX_LIST) {
		v[n++] = atoi(s);
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: relay --bootstrap HOST:PORT|embedded [--rates LIST] "
		"[--sizes LIST]\n"
		"             [--seconds S] [--tput-records N] [--tput-sizes "
		"LIST] [--reps R]\n"
		"             [--partitions P] [--rss] [--rss-seconds S] "
		"[--slow-us U] [--json FILE]\n"
		"             [--ckpt-rate R [--ckpt-only] [--ckpt-parent DIR]]\n"
		"             [--ipr-counts N1,N2] "
		"[--slow-sink-seconds S]\n");
	exit(2);
}

static int cmp_lat_p99(const void *a, const void *b)
{
	const struct lat_res *x = a, *y = b;

	return bu_cmp_double(&x->p[7], &y->p[7]);
}

int main(int argc, char **argv)
{
	int rates[MAX_LIST], sizes[MAX_LIST], tsizes[MAX_LIST];
	int nrates = parse_list("1000,10000,100000", rates);
	int nsizes = parse_list("100,1024", sizes);
	int ntsizes = -1;
	double seconds = 5, rss_seconds = 10, slow_seconds = 0;
	int64_t tput_records = 200000, slow_us = 200;
	int reps = 1, ipr_counts[MAX_LIST], nipr = 0;
	int64_t count = 0;
	bool rss = false, ckpt_only = false;
	int ckpt_rate = 0;
	const char *json = NULL, *child = NULL, *cin = NULL, *cout = NULL;
	static const char *const impls[2] = { "sluice", "baseline" };
	char errstr[256];
	sl_err err = { 0 };

	/* Line by line even into a pipe: run.sh shows progress as it goes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--rss")) {
			rss = true;
			continue;
		}
		if (!strcmp(a, "--ckpt-only")) {
			ckpt_only = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--bootstrap"))
			g_bs = argv[++i];
		else if (!strcmp(a, "--rates"))
			nrates = parse_list(argv[++i], rates);
		else if (!strcmp(a, "--sizes"))
			nsizes = parse_list(argv[++i], sizes);
		else if (!strcmp(a, "--tput-sizes"))
			ntsizes = parse_list(argv[++i], tsizes);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(argv[++i]);
		else if (!strcmp(a, "--rss-seconds"))
			rss_seconds = atof(argv[++i]);
		else if (!strcmp(a, "--tput-records"))
			tput_records = atoll(argv[++i]);
		else if (!strcmp(a, "--reps"))
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "--partitions"))
			g_parts = atoi(argv[++i]);
		else if (!strcmp(a, "--slow-sink-seconds"))
			slow_seconds = atof(argv[++i]);
		else if (!strcmp(a, "--slow-us"))
			slow_us = atoll(argv[++i]);
		else if (!strcmp(a, "--json"))
			json = argv[++i];
		else if (!strcmp(a, "--count"))
			count = atoll(argv[++i]);
		else if (!strcmp(a, "--ckpt-rate"))
			ckpt_rate = atoi(argv[++i]);
		else if (!strcmp(a, "--ckpt-parent"))
			g_ckpt_parent = argv[++i];
		else if (!strcmp(a, "--ipr-counts"))
			nipr = parse_list(argv[++i], ipr_counts);
		else if (!strcmp(a, "--child"))
			child = argv[++i];
		else if (!strcmp(a, "--in"))
			cin = argv[++i];
		else if (!strcmp(a, "--out"))
			cout = argv[++i];
		else
			usage();
	}
	if (!g_bs || reps < 1 || reps > MAX_REPS || g_parts < 1 ||
	    seconds <= 0 || (ckpt_only && ckpt_rate <= 0))
		usage();
	if (ntsizes < 0) {
		ntsizes = nsizes;
		memcpy(tsizes, sizes, sizeof(sizes));
	}
	for (int i = 0; i < nsizes; i++)
		if (sizes[i] < HDR)
			die("payload sizes must be at least %s bytes", "24");
	for (int i = 0; i < ntsizes; i++)
		if (tsizes[i] < HDR)
			die("payload sizes must be at least %s bytes", "24");
	g_embedded = !strcmp(g_bs, "embedded");
	g_addr = g_embedded ? sl_kafka_embedded_bootstrap(&err) : g_bs;
	if (!g_addr)
		die("embedded cluster: %s", err.msg);
	if (child)
		return child_main(child, cin, cout, slow_us, count);
	{
		ssize_t k = readlink("/proc/self/exe", g_self,
				     sizeof(g_self) - 1);

		g_self[k > 0 ? k : 0] = 0;
	}

	{
		rd_kafka_conf_t *c = rd_kafka_conf_new();

		rd_kafka_conf_set(c, "bootstrap.servers", g_addr, errstr,
				  sizeof(errstr));
		g_admin = knew(false, c);
	}
	if (json) {
		g_json = fopen(json, "w");
		if (!g_json)
			die("cannot write %s", json);
		g_json_first = true;
		fprintf(g_json,
			"{\"bench\": \"relay\", \"cluster\": \"%s\", "
			"\"partitions\": %d, \"seconds\": %.1f, \"reps\": %d, "
			"\"fetch_wait_max_ms\": %d, \"runs\": [",
			g_embedded ? "embedded" : "broker", g_parts, seconds,
			reps, g_embedded ? 1 : 100);
	}

	/* The slow sink alone, for as long as asked: whether its memory
	 * levels off shows only in a run longer than --rss gives it. */
	if (slow_seconds > 0 && !g_embedded) {
		printf("memory: sluice with a sink slower than its source "
		       "(foreach, %lld us per row), %.0f s\n",
		       (long long)slow_us, slow_seconds);
		measure_rss("slow", 20000, 1024, slow_seconds, slow_us);
		goto done;
	}
	/* The checkpoint's cost alone: a before/after comparison of one
	 * change needs nothing else, and the rest takes minutes. */
	if (ckpt_only) {
		measure_ckpt(ckpt_rate, seconds, reps, tput_records);
		goto done;
	}
	printf("relay on %s (%s), %d partition(s): sluice (kafka -> SELECT "
	       "key, value -> kafka, continuous) vs librdkafka loop\n",
	       g_embedded ? "the embedded cluster" : "a Kafka broker", g_addr,
	       g_parts);
	printf("latency from each record's scheduled send time, us; %.0f s "
	       "per run, %d run(s) each (median p99 shown)\n",
	       seconds, reps);
	printf("%-9s %7s %5s %9s %9s %9s %9s %9s %10s %s\n", "relay", "rate",
	       "size", "p50", "p99", "p99.9", "max", "recv", "achieved",
	       "note");
	for (int si = 0; si < nsizes; si++)
		for (int ri = 0; ri < nrates; ri++) {
			struct lat_res res[2][MAX_REPS];

			for (int rep = 0; rep < reps; rep++)
				for (int k = 0; k < 2; k++) {
					/* alternate which goes first */
					int kk = (k + rep) % 2;

					measure_latency(impls[kk], rates[ri],
							sizes[si], seconds,
							&res[kk][rep]);
					lat_json(&res[kk][rep], rep);
				}
			for (int k = 0; k < 2; k++) {
				struct lat_res *l;

				qsort(res[k], (size_t)reps, sizeof(res[k][0]),
				      cmp_lat_p99);
				l = &res[k][reps / 2];
				printf("%-9s %7d %5d %9.0f %9.0f %9.0f %9.0f "
				       "%9lld %10.0f %s\n",
				       l->impl, l->rate, l->size, l->p[3],
				       l->p[7], l->p[9], l->p[NPCT - 1],
				       (long long)l->received, l->achieved,
				       l->sustained ? ""
						    : "NOT SUSTAINED (records "
						      "missing at the "
						      "deadline)");
			}
		}

	printf("max throughput: records pre-produced, then relayed; records/s "
	       "from the 10th to the 90th percentile arrival\n");
	printf("%-9s %5s %9s %12s %9s\n", "relay", "size", "records",
	       "records/s", "MiB/s");
	for (int si = 0; si < ntsizes && tput_records > 0; si++) {
		int64_t n = tput_records;

		/* The same bytes for every size, at most tput_records. */
		if (tsizes[si] > 100)
			n = tput_records * 100 / tsizes[si];
		for (int rep = 0; rep < reps; rep++)
			for (int k = 0; k < 2; k++) {
				struct tput_res t;
				const char *impl = impls[(k + rep) % 2];

				measure_tput(impl, tsizes[si], n, &t);
				printf("%-9s %5d %9lld %12.0f %9.1f%s\n",
				       t.impl, t.size, (long long)t.received,
				       t.per_s, t.mib_per_s,
				       t.received < n ? " (incomplete)" : "");
				tput_json(&t, rep);
			}
	}

	if (ckpt_rate > 0)
		measure_ckpt(ckpt_rate, seconds, reps, tput_records);
	if (nipr && !g_embedded)
		measure_ipr(ipr_counts, nipr);
	if (rss && !g_embedded) {
		printf("memory: the relay alone in a child process\n");
		measure_rss("sluice", 10000, 100, rss_seconds, 0);
		measure_rss("baseline", 10000, 100, rss_seconds, 0);
		measure_rss("sluice", 10000, 1024, rss_seconds, 0);
		measure_rss("baseline", 10000, 1024, rss_seconds, 0);
		printf("memory: sluice with a sink slower than its source "
		       "(foreach, %lld us per row)\n",
		       (long long)slow_us);
		measure_rss("slow", 20000, 1024, rss_seconds * 2, slow_us);
	}
done:
	if (g_json) {
		fprintf(g_json, "\n]}\n");
		fclose(g_json);
	}
	rd_kafka_destroy(g_admin);
	if (g_embedded)
		sl_kafka_embedded_shutdown();
	return 0;
}
