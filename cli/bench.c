/* cli/bench.c - `sluice bench`: end-to-end latency and throughput of a
 * Kafka cluster, or of a sluice relay on it, at a fixed offered rate; and
 * the engine of `sluice demo` (cli/demo.c).
 *
 *   producer thread --from--> [sluice query: key, value, continuous] --to-->
 *   checker (main thread)                       (mode relay, the default)
 *   producer thread --from--> checker            (mode topic)
 *   producer threads --from--> [a relay bench does not run] --to-->
 *   checker                                      (mode external)
 *
 * - The producers send record i at its scheduled time t0 + i / rate and
 *   writes that time (CLOCK_MONOTONIC ns) into the payload. Latency is
 *   measured from the scheduled time, not from when the send happened, so
 *   a producer or cluster that falls behind shows as latency instead of
 *   hiding it (no coordinated omission). linger.ms=0: records are not held
 *   back for batching.
 * - The checker is a consumer assigned to every partition of the topic it
 *   reads at the high watermark taken before the first send, so it sees
 *   exactly the records of this run. It keeps one histogram per second and
 *   one for the run, and a bitmap of sequence numbers (loss, duplicates).
 * - The relay is a query built with the public API, as a user would:
 *   sl_session_read_stream("kafka", subscribe from) -> select(key, value) ->
 *   start("kafka", topic to, trigger continuous 1 second).
 * - Without --bootstrap-servers (or with "embedded") everything runs
 *   against librdkafka's mock cluster inside this process. The mock
 *   answers a fetch only when fetch.wait.max.ms runs out, so consumers of
 *   it use 1 ms (the sluice defaults do, io/kafka_common.c); its latency
 *   figures are the mock's, not Kafka's.
 *
 * Payload: [0..8) scheduled send time, [8..16) run id, [16..24) sequence
 * number, little endian; then padding up to --size bytes.
 *
 * This file runs a benchmark: the relay query, the checker's loop, the
 * figures and the summary, and reads the command line. The Kafka side
 * (topics, the producer thread, the checker's assignment) is in
 * cli/bench_cluster.c; cli/bench_internal.h is what they share. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/bench_internal.h"
#include "cli/cli.h"
#include "core/histogram.h"
#include "io/kafka_common.h"
#include "io/kafka_embedded.h"
#include "sluice.h"

/* ---- helpers ------------------------------------------------------------- */

void sl_bench_err(const char *fmt, ...)
{
	va_list ap;

	fputs(BENCH ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sl_bench_sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / NS_PER_S,
			       .tv_nsec = t % NS_PER_S };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* ---- relay --------------------------------------------------------------- */

/* The query a user would write:
 *   INSERT INTO to SELECT key, value FROM from   (continuous trigger)
 * with the same --kafka properties on its source and sink. */
static int relay_start(struct bench *b)
{
	const sl_bench_opts *o = b->opts;
	const char *bs = b->embedded ? "embedded" : b->bootstrap;
	const char *src_opts[2 * SL_BENCH_MAX_PROPS + 8];
	const char *sink_opts[2 * SL_BENCH_MAX_PROPS + 10];
	char keys[SL_BENCH_MAX_PROPS][256];
	int ns = 0, nk = 0;
	sl_frame *in, *sel;

	src_opts[ns++] = "kafka.bootstrap.servers";
	src_opts[ns++] = bs;
	src_opts[ns++] = "subscribe";
	src_opts[ns++] = o->from;
	sink_opts[nk++] = "kafka.bootstrap.servers";
	sink_opts[nk++] = bs;
	sink_opts[nk++] = "topic";
	sink_opts[nk++] = o->to;
	sink_opts[nk++] = "trigger";
	sink_opts[nk++] = "continuous 1 second";
	sink_opts[nk++] = "queryName";
	sink_opts[nk++] = "sluice-bench-relay";
	for (uint32_t i = 0; i < o->nprops; i++) {
		snprintf(keys[i], sizeof(keys[i]), "kafka.%s", o->prop_key[i]);
		src_opts[ns++] = keys[i];
		src_opts[ns++] = o->prop_value[i];
		sink_opts[nk++] = keys[i];
		sink_opts[nk++] = o->prop_value[i];
	}
	src_opts[ns] = NULL;
	sink_opts[nk] = NULL;

	b->session = sl_cli_session_new();
	if (!b->session) {
		sl_bench_err("out of memory");
		return -1;
	}
	in = sl_session_read_stream(b->session, "kafka", src_opts);
	sel = in ? sl_frame_select(in, (const char *[]){ "key", "value", NULL })
		 : NULL;
	b->q = sel ? sl_frame_start(sel, "kafka", sink_opts, NULL) : NULL;
	if (!b->q) {
		sl_bench_err("the relay query did not start: %s",
			     sl_session_errmsg(b->session));
		return -1;
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------- */

static void account(struct bench *b, struct tally *t,
		    const rd_kafka_message_t *m, int64_t now)
{
	const uint8_t *p = m->payload;
	uint64_t seq;
	int64_t sched;

	if (!p || m->len < SL_BENCH_HEADER || get64(p + 8) != b->run_id ||
	    (seq = get64(p + 16)) >= b->scheduled) {
		t->foreign++;
		return;
	}
	if (t->seen[seq >> 3] & (1u << (seq & 7))) {
		t->dups++;
		return;
	}
	t->seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
	t->received++;
	t->bytes += m->len;
	/* Order within the record's class: its key (the number in "k<n>"),
	 * or without keys the partition it was sent to. */
	uint32_t cls = sl_bench_class(b, seq);
	if (cls < b->nclasses) {
		if (seq + 1 < t->last[cls])
			t->reordered++;
		else
			t->last[cls] = seq + 1;
	}
	sched = (int64_t)get64(p);
	sl_histogram_add(&t->sec, now - sched, 1);
	if (seq >= b->warm_n) {
		sl_histogram_add(&t->all, now - sched, 1);
		if (!t->measured)
			t->first_ns = now;
		t->measured++;
		t->last_ns = now;
	}
}

/* Polls rk once, waiting up to wait_ms for the first message, takes what
 * else is queued (up to a batch), and accounts it under the tally's lock. */
#define DRAIN_BATCH 256
static void drain(struct bench *b, struct tally *t, rd_kafka_t *rk,
		  int wait_ms)
{
	rd_kafka_message_t *ms[DRAIN_BATCH];
	int n = 0;

	for (rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, wait_ms); m;
	     m = n < DRAIN_BATCH ? rd_kafka_consumer_poll(rk, 0) : NULL)
		ms[n++] = m;
	if (!n)
		return;
	int64_t now = sl_now_ns();
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < n; i++) {
		if (!ms[i]->err)
			account(b, t, ms[i], now);
		else if (ms[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			snprintf(t->cons_err, sizeof(t->cons_err), "%s",
				 rd_kafka_message_errstr(ms[i]));
	}
	pthread_mutex_unlock(&t->lock);
	for (int i = 0; i < n; i++)
		rd_kafka_message_destroy(ms[i]);
}

struct checker_arg {
	struct bench *b;
	struct tally *t;
	int k;
};

/* The thread of checker consumer k >= 1. */
static void *checker_main(void *arg)
{
	struct checker_arg *c = arg;

	while (!atomic_load(&c->b->checkers_stop))
		drain(c->b, c->t, c->b->checker[c->k], 50);
	return NULL;
}

/* Reads the checked topic until every record sent has arrived (or the
 * drain gives up), printing a line per second. Returns 0, or -1 if the
 * relay failed. */
static int check_loop(struct bench *b, struct tally *t)
{
	int64_t next = b->t0 + NS_PER_S, done_at = 0, last_new = 0;
	uint64_t sec_no = 1, seen = 0;
	struct checker_arg args[SL_BENCH_MAX_CONSUMERS];
	int rc = 0;

	sl_bench_print_header(b);
	for (int k = 1; k < b->nconsumers; k++) {
		args[k] = (struct checker_arg){ .b = b, .t = t, .k = k };
		if (pthread_create(&b->checker_thread[k], NULL, checker_main,
				   &args[k])) {
			sl_bench_err("cannot start checker thread %d", k);
			rc = -1;
			goto out;
		}
		b->checkers_started = k;
	}
	for (;;) {
		drain(b, t, b->checker[0], 50);
		int64_t now = sl_now_ns();

		pthread_mutex_lock(&t->lock);
		uint64_t received = t->received;
		while (now >= next) {
			sl_bench_end_second(b, t, (double)sec_no, 1.0);
			sec_no++;
			next += NS_PER_S;
		}
		pthread_mutex_unlock(&t->lock);
		if (received != seen)
			last_new = now;
		seen = received;
		if (sl_cli_stop_signal())
			atomic_store(&b->producer_stop, true);
		if (b->q && !sl_query_is_active(b->q)) {
			const char *exc = sl_query_exception(b->q);

			sl_bench_err("the relay query stopped: %s",
				     exc ? exc : "(no exception)");
			atomic_store(&b->producer_stop, true);
			rc = -1;
			break;
		}
		if (!atomic_load(&b->producer_done))
			continue;
		if (!done_at)
			done_at = now;
		if (!last_new)
			last_new = now;
		if (received >= atomic_load(&b->sent))
			break;
		if (now - last_new > DRAIN_IDLE_NS ||
		    now - done_at > DRAIN_MAX_NS)
			break;
	}
out:
	atomic_store(&b->checkers_stop, true);
	for (int k = 1; k <= b->checkers_started; k++)
		pthread_join(b->checker_thread[k], NULL);
	b->checkers_started = 0;
	/* The last, partial second. */
	{
		int64_t now = sl_now_ns();
		double len = (double)(now - (next - NS_PER_S)) / 1e9;

		if (t->sec.count && len > 0)
			sl_bench_end_second(b, t, (double)(now - b->t0) / 1e9, len);
	}
	return rc;
}

static void bench_cleanup(struct bench *b)
{
	atomic_store(&b->producer_stop, true);
	for (int i = 0; i < b->producers_started; i++)
		pthread_join(b->producer_thread[i], NULL);
	b->producers_started = 0;
	if (b->session)
		sl_session_destroy(b->session); /* stops the relay */
	for (int k = 0; k < SL_BENCH_MAX_CONSUMERS; k++)
		if (b->checker[k]) {
			rd_kafka_consumer_close(b->checker[k]);
			rd_kafka_destroy(b->checker[k]);
			sl_kafka_events_destroy(&b->checker_events[k]);
		}
	if (b->producer_topic)
		rd_kafka_topic_destroy(b->producer_topic);
	if (b->producer) {
		rd_kafka_destroy(b->producer);
		sl_kafka_events_destroy(&b->producer_events);
	}
	if (b->embedded)
		sl_kafka_embedded_shutdown();
	free(b->zipf_cdf);
	free(b->payload);
	pthread_mutex_destroy(&b->lock);
	pthread_mutex_destroy(&b->hlock);
}

void sl_bench_defaults(sl_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = SL_BENCH_RELAY;
	o->rate = 1000;
	o->size = 100;
	o->duration_s = 10;
	o->warmup_s = 1;
	o->partitions = 1;
	o->from = "sluice-bench-in";
	o->to = "sluice-bench-out";
	o->create = true;
	o->keys = SL_BENCH_KEYS_NONE;
	o->zipf_s = 1.0;
	o->producers = 1;
	o->consumers = 1;
	o->p_pct = 99;
}

int sl_bench_run(const sl_bench_opts *o, sl_bench_result *res)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct tally t = { 0 };
	rd_kafka_conf_t *conf;
	struct sigaction sa, old_int, old_term;
	sl_err err = { 0 };
	int rc = SL_EXIT_FAIL, lrc;
	bool failed = false, tally_lock = false;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!b) {
		sl_bench_err("out of memory");
		return SL_EXIT_FAIL;
	}
	b->opts = o;
	b->out = o->json ? stderr : stdout;
	pthread_mutex_init(&b->lock, NULL);
	pthread_mutex_init(&b->hlock, NULL);
	sl_kafka_events_init(&b->producer_events);
	b->embedded = !o->bootstrap || !*o->bootstrap ||
		      !strcasecmp(o->bootstrap, "embedded");
	b->run_id = (uint64_t)sl_now_ns() ^ ((uint64_t)getpid() << 40) ^
		    (uint64_t)sl_wall_us();
	for (uint32_t i = 0; i < o->nprops; i++) {
		b->kv[i].key = o->prop_key[i];
		b->kv[i].value = o->prop_value[i];
	}
	b->props.n = b->props.cap = o->nprops;
	b->props.kv = b->kv;
	b->interval_ns = 1e9 / o->rate;
	b->warm_n = (uint64_t)ceil(o->warmup_s * o->rate);
	b->scheduled = (uint64_t)ceil((o->warmup_s + o->duration_s) * o->rate);

	if (o->title)
		fprintf(b->out, "%s\n", o->title);
	if (b->embedded) {
		b->bootstrap = sl_kafka_embedded_bootstrap(&err);
		if (!b->bootstrap) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
	} else {
		b->bootstrap = o->bootstrap;
	}

	/* The producer first: it checks the --kafka properties and serves
	 * the metadata and admin requests. */
	conf = sl_kafka_conf_new(SL_KAFKA_PRODUCER, &b->props, b->bootstrap,
				 b->embedded, &b->producer_events, BENCH, &err);
	if (!conf) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, sl_bench_producer_delivery_cb);
	b->producer = sl_kafka_client_new(SL_KAFKA_PRODUCER, conf, BENCH, &err);
	if (!b->producer) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	if (sl_bench_topics_setup(b))
		goto out;
	b->producer_topic = rd_kafka_topic_new(b->producer, o->from, NULL);
	if (!b->producer_topic) {
		sl_bench_err("topic '%s': %s", o->from,
			     rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	b->check_topic = o->mode == SL_BENCH_TOPIC ? o->from : o->to;
	b->check_parts =
		o->mode == SL_BENCH_TOPIC ? b->from_parts : b->to_parts;
	if (sl_bench_keys_setup(b))
		goto out;
	if (sl_bench_checker_setup(b))
		goto out;
	if (o->mode == SL_BENCH_RELAY && relay_start(b))
		goto out;
	pthread_mutex_init(&t.lock, NULL);
	tally_lock = true;
	t.seen = calloc(b->scheduled / 8 + 1, 1);
	t.last = calloc(b->nclasses ? b->nclasses : 1, sizeof(*t.last));
	if (!t.seen || !t.last) {
		sl_bench_err("out of memory for %" PRIu64 " records",
			     b->scheduled);
		goto out;
	}

	if (o->mode == SL_BENCH_RELAY)
		fprintf(b->out,
			"relay %s -> %s (sluice query, continuous trigger) "
			"at %s%s, %d -> %d partition%s\n",
			o->from, o->to, b->bootstrap,
			b->embedded ? " (embedded cluster)" : "", b->from_parts,
			b->to_parts, b->to_parts > 1 ? "s" : "");
	else if (o->mode == SL_BENCH_EXTERNAL)
		fprintf(b->out,
			"external relay %s -> %s (not run by bench) at %s%s, "
			"%d -> %d partition%s\n",
			o->from, o->to, b->bootstrap,
			b->embedded ? " (embedded cluster)" : "", b->from_parts,
			b->to_parts, b->to_parts > 1 ? "s" : "");
	else
		fprintf(b->out, "topic %s at %s%s, %d partition%s\n", o->from,
			b->bootstrap, b->embedded ? " (embedded cluster)" : "",
			b->from_parts, b->from_parts > 1 ? "s" : "");
	fprintf(b->out,
		"%.0f records/s of %u bytes for %.1f s (+%.1f s warmup), "
		"latency from each record's scheduled send time\n\n",
		o->rate, o->size, o->duration_s, o->warmup_s);
	fflush(b->out);

	/* A signal stops the sending; the run then drains and prints its
	 * summary. The handlers replaced are put back at the end. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sl_cli_on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	if (sl_bench_report_open(b, &t))
		goto out_signals;
	b->t0 = sl_now_ns() + START_DELAY_NS;
	atomic_store(&b->producers_running, o->producers);
	for (int i = 0; i < o->producers; i++) {
		b->pargs[i] = (struct bench_producer){ .b = b, .index = i };
		if (pthread_create(&b->producer_thread[i], NULL,
				   sl_bench_producer_main, &b->pargs[i])) {
			sl_bench_err("cannot start producer thread %d", i);
			atomic_store(&b->producer_stop, true);
			/* the threads not started will not flush */
			atomic_fetch_sub(&b->producers_running,
					 o->producers - i);
			if (!i)
				atomic_store(&b->producer_done, true);
			failed = true;
			break;
		}
		b->producers_started = i + 1;
	}
	lrc = check_loop(b, &t);
	atomic_store(&b->producer_stop, true);
	for (int i = 0; i < b->producers_started; i++)
		pthread_join(b->producer_thread[i], NULL);
	b->producers_started = 0;
	failed = failed || lrc != 0;
	if (sl_cli_stop_signal())
		fprintf(b->out, "\ninterrupted: sending stopped early\n");
	{
		sl_bench_result r;

		sl_bench_print_summary(b, &t, failed, &r);
		rc = r.ok && t.received == r.sent ? SL_EXIT_OK : SL_EXIT_FAIL;
		if (res)
			*res = r;
	}
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	bench_cleanup(b);
	sl_bench_report_close(&t);
	if (tally_lock)
		pthread_mutex_destroy(&t.lock);
	free(t.seen);
	free(t.last);
	free(t.secs);
	free(b);
	return rc;
}


/* ---- rate steps and the rate finder --------------------------------------- */

struct step {
	double rate;
	sl_bench_result r;
	bool pass; /* ok, and the percentile under the bound (if any) */
};

static bool step_run(const sl_bench_opts *o, double rate, struct step *s,
		     FILE *out)
{
	sl_bench_opts one = *o;

	one.rate = rate;
	one.nsteps = 0;
	one.find_max = false;
	fprintf(out, "\n=== step: %.0f records/s\n", rate);
	fflush(out);
	s->rate = rate;
	sl_bench_run(&one, &s->r);
	s->pass = s->r.ok && (!o->p_bound_ms || s->r.pct_ms <= o->p_bound_ms);
	return s->pass;
}

int sl_bench_steps(const sl_bench_opts *o)
{
	struct step st[SL_BENCH_MAX_STEPS];
	uint32_t n = 0;
	FILE *out = o->json ? stderr : stdout;
	double pct = o->p_pct > 0 ? o->p_pct : 99;
	double best = 0;
	bool all_ok = true;

	if (!o->find_max) {
		for (uint32_t i = 0; i < o->nsteps; i++, n++)
			if (step_run(o, o->steps[i], &st[n], out))
				best = st[n].rate > best ? st[n].rate : best;
			else
				all_ok = false;
	} else {
		/* Doubling from --rate until a step fails (or --rate-max
		 * passes), then bisecting between the best pass and the
		 * lowest failure until they are within 10% (halving while
		 * nothing passed, down to an eighth of --rate). */
		double max = o->rate_max > 0 ? o->rate_max : 1e6;
		double rate = o->rate < max ? o->rate : max, fail = 0;

		while (n < SL_BENCH_MAX_STEPS && rate >= 1) {
			bool pass = step_run(o, rate, &st[n++], out);
			if (pass)
				best = rate;
			else
				fail = rate;
			if (!fail) {
				if (rate >= max)
					break;
				rate = rate * 2 < max ? rate * 2 : max;
			} else {
				if (fail - best <= 0.1 * fail)
					break;
				rate = best > 0 ? (best + fail) / 2 : fail / 2;
				/* nothing passes: down to an eighth of
				 * --rate, then give up */
				if (!best && rate < o->rate / 8)
					break;
			}
			if (sl_cli_stop_signal())
				break;
		}
	}
	fprintf(out, "\nrate steps");
	if (o->p_bound_ms)
		fprintf(out, " (bound: p%g <= %.3f ms, nothing lost)", pct,
			o->p_bound_ms);
	fprintf(out, ":\n%12s %12s %10s %8s %9s %10s %10s  %s\n", "offered/s",
		"received/s", "lost", "dups", "reordered", "p99 ms", "max ms",
		"result");
	for (uint32_t i = 0; i < n; i++)
		fprintf(out,
			"%12.0f %12.0f %10" PRIu64 " %8" PRIu64 " %9" PRIu64
			" %10.3f %10.3f  %s\n",
			st[i].rate, st[i].r.throughput, st[i].r.lost,
			st[i].r.duplicates, st[i].r.reordered, st[i].r.p99_ms,
			st[i].r.max_ms, st[i].pass ? "pass" : "FAIL");
	if (o->find_max) {
		if (best > 0)
			fprintf(out, "highest rate within the bound: %.0f "
				     "records/s\n", best);
		else
			fprintf(out, "no rate tried stayed within the bound "
				     "(lowest tried: %.0f records/s)\n",
				st[n ? n - 1 : 0].rate);
		fflush(out);
		return best > 0 ? SL_EXIT_OK : SL_EXIT_FAIL;
	}
	fflush(out);
	return all_ok ? SL_EXIT_OK : SL_EXIT_FAIL;
}
