/* cli/bench.c - `sluice bench`: end-to-end latency and throughput of a
 * Kafka cluster, or of a sluice relay on it, at a fixed offered rate; and
 * the engine of `sluice demo` (cli/demo.c).
 *
 *   producer thread --from--> [sluice query: key, value, continuous] --to-->
 *   checker (main thread)                       (mode relay, the default)
 *   producer thread --from--> checker            (mode topic)
 *
 * - The producer sends record i at its scheduled time t0 + i / rate and
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

static double ns_to_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* The p-th percentile of h, in ms. */
static double percentile_ms(const sl_histogram *h, double p)
{
	return ns_to_ms(sl_histogram_percentile(h, p));
}

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

struct second {
	double t;   /* end of the second, since t0 */
	uint64_t n; /* records received in it */
	int64_t p50, p99, p999, max;
};

struct tally {
	sl_histogram sec;  /* this second's records */
	sl_histogram all;  /* every measured (post-warmup) record */
	uint8_t *seen;	   /* bitmap of sequence numbers */
	uint64_t received; /* distinct records of this run */
	uint64_t dups;
	uint64_t foreign;  /* not this run's, or malformed */
	int64_t first_ns;  /* first measured record received */
	int64_t last_ns;   /* last measured record received */
	uint64_t measured; /* measured records received */
	struct second *secs;
	uint32_t nsecs, capsecs;
	char cons_err[256]; /* last consumer error */
};

static void print_header(struct bench *b)
{
	fprintf(b->out, "%7s %9s %9s %9s %9s %9s\n", "time s", "recv/s",
		"p50 ms", "p99 ms", "p99.9 ms", "max ms");
}

static void end_second(struct bench *b, struct tally *t, double at, double len)
{
	struct second s = { .t = at, .n = t->sec.count };

	if (t->sec.count) {
		s.p50 = sl_histogram_percentile(&t->sec, 50);
		s.p99 = sl_histogram_percentile(&t->sec, 99);
		s.p999 = sl_histogram_percentile(&t->sec, 99.9);
		s.max = t->sec.max;
		fprintf(b->out, "%7.1f %9.0f %9.3f %9.3f %9.3f %9.3f%s\n", at,
			(double)s.n / len, ns_to_ms(s.p50), ns_to_ms(s.p99),
			ns_to_ms(s.p999), ns_to_ms(s.max),
			at <= b->opts->warmup_s + 1e-9 ? "  (warmup)" : "");
	} else {
		fprintf(b->out, "%7.1f %9d %9s %9s %9s %9s%s\n", at, 0, "-",
			"-", "-", "-",
			at <= b->opts->warmup_s + 1e-9 ? "  (warmup)" : "");
	}
	fflush(b->out);
	if (t->nsecs == t->capsecs) {
		uint32_t cap = t->capsecs ? t->capsecs * 2 : 64;
		struct second *n = realloc(t->secs, cap * sizeof(*n));

		if (!n)
			return;
		t->secs = n;
		t->capsecs = cap;
	}
	t->secs[t->nsecs++] = s;
	sl_histogram_reset(&t->sec);
}

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

/* Reads the checked topic until every record sent has arrived (or the
 * drain gives up), printing a line per second. Returns 0, or -1 if the
 * relay failed. */
static int check_loop(struct bench *b, struct tally *t)
{
	int64_t next = b->t0 + NS_PER_S, done_at = 0, last_new = 0;
	uint64_t sec_no = 1;
	int rc = 0;

	print_header(b);
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(b->checker, 50);
		int64_t now = sl_now_ns();
		uint64_t before = t->received;

		while (m) {
			if (!m->err)
				account(b, t, m, now);
			else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				snprintf(t->cons_err, sizeof(t->cons_err), "%s",
					 rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			m = rd_kafka_consumer_poll(b->checker, 0);
			now = sl_now_ns();
		}
		if (t->received != before)
			last_new = now;
		while (now >= next) {
			end_second(b, t, (double)sec_no, 1.0);
			sec_no++;
			next += NS_PER_S;
		}
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
		if (t->received >= atomic_load(&b->sent))
			break;
		if (now - last_new > DRAIN_IDLE_NS ||
		    now - done_at > DRAIN_MAX_NS)
			break;
	}
	/* The last, partial second. */
	{
		int64_t now = sl_now_ns();
		double len = (double)(now - (next - NS_PER_S)) / 1e9;

		if (t->sec.count && len > 0)
			end_second(b, t, (double)(now - b->t0) / 1e9, len);
	}
	return rc;
}

static void print_summary(struct bench *b, struct tally *t, bool failed)
{
	const sl_bench_opts *o = b->opts;
	uint64_t sent = atomic_load(&b->sent), acked = atomic_load(&b->acked);
	uint64_t dr_failed = atomic_load(&b->delivery_failed);
	uint64_t lost = sent > t->received ? sent - t->received : 0;
	double span = t->measured > 1 && t->last_ns > b->t0
			      ? (double)(t->last_ns -
					 (b->t0 + (int64_t)((double)b->warm_n *
							    b->interval_ns))) /
					1e9
			      : 0;
	double tput = span > 0 ? (double)t->measured / span : 0;
	double send_span = (double)(atomic_load(&b->send_end_ns) - b->t0) / 1e9;
	double send_rate = send_span > 0 ? (double)sent / send_span : 0;
	const sl_histogram *h = &t->all;
	bool ok = !failed && !lost && !dr_failed && !b->producer_error[0] &&
		  !b->behind;

	if (o->json) {
		json_t *lat = json_pack(
			"{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			"count", (json_int_t)h->count, "min",
			ns_to_ms(h->count ? h->min : 0), "mean",
			h->count ? (double)h->sum_ns / (double)h->count / 1e6
				 : 0.0,
			"p50", percentile_ms(h, 50), "p90",
			percentile_ms(h, 90), "p99", percentile_ms(h, 99),
			"p99.9", percentile_ms(h, 99.9), "p99.99",
			percentile_ms(h, 99.99), "max", ns_to_ms(h->max));
		json_t *secs = json_array();

		for (uint32_t i = 0; i < t->nsecs; i++)
			json_array_append_new(
				secs,
				json_pack("{s:f, s:I, s:f, s:f, s:f, s:f}", "t",
					  t->secs[i].t, "received",
					  (json_int_t)t->secs[i].n, "p50_ms",
					  ns_to_ms(t->secs[i].p50), "p99_ms",
					  ns_to_ms(t->secs[i].p99), "p99.9_ms",
					  ns_to_ms(t->secs[i].p999), "max_ms",
					  ns_to_ms(t->secs[i].max)));
		json_t *j = json_pack(
			"{s:s, s:s, s:b, s:s, s:s?, s:i, s:f, s:I, s:f, s:f, "
			"s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, "
			"s:f, s:o, s:b, s:s?, s:o}",
			"mode", o->mode == SL_BENCH_RELAY ? "relay" : "topic",
			"bootstrap", b->bootstrap, "embedded", b->embedded,
			"from", o->from, "to",
			o->mode == SL_BENCH_RELAY ? o->to : NULL, "partitions",
			b->from_parts, "rate", o->rate, "size",
			(json_int_t)o->size, "duration_s", o->duration_s,
			"warmup_s", o->warmup_s, "scheduled",
			(json_int_t)b->scheduled, "sent", (json_int_t)sent,
			"acked", (json_int_t)acked, "delivery_failed",
			(json_int_t)dr_failed, "received",
			(json_int_t)t->received, "lost", (json_int_t)lost,
			"duplicates", (json_int_t)t->dups, "foreign",
			(json_int_t)t->foreign, "send_rate", send_rate,
			"throughput", tput, "throughput_mb_s",
			tput * o->size / 1e6, "latency_ms", lat, "ok", ok,
			"error",
			b->producer_error[0] ? b->producer_error
					     : (b->behind ? "the producer fell "
							    "behind the rate"
							  : NULL),
			"seconds", secs);
		char *s =
			j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						  JSON_REAL_PRECISION(6))
			  : NULL;

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	}
	FILE *f = b->out;

	fprintf(f,
		"\nsummary: %s, %.0f records/s offered, %u-byte records, "
		"%.1f s measured after %.1f s warmup\n",
		o->mode == SL_BENCH_RELAY ? "relay" : "topic", o->rate, o->size,
		o->duration_s, o->warmup_s);
	fprintf(f,
		"  records:    sent %" PRIu64 ", acknowledged %" PRIu64
		", received %" PRIu64 ", lost %" PRIu64 ", duplicates %" PRIu64
		"\n",
		sent, acked, t->received, lost, t->dups);
	if (dr_failed)
		fprintf(f, "  failed deliveries: %" PRIu64 "\n", dr_failed);
	if (t->foreign)
		fprintf(f,
			"  other records on the topic (ignored): %" PRIu64 "\n",
			t->foreign);
	fprintf(f,
		"  throughput: %.0f records/s received (%.2f MB/s of "
		"payload), %.0f records/s sent\n",
		tput, tput * o->size / 1e6, send_rate);
	if (h->count)
		fprintf(f,
			"  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 "
			"%.3f  p99.99 %.3f  max %.3f  (%" PRIu64 " records)\n",
			percentile_ms(h, 50), percentile_ms(h, 90),
			percentile_ms(h, 99), percentile_ms(h, 99.9),
			percentile_ms(h, 99.99), ns_to_ms(h->max), h->count);
	fprintf(f, "              from each record's scheduled send time "
		   "to when the checker read it\n");
	if (b->behind)
		fprintf(f,
			"  the producer fell more than %lld s behind its "
			"schedule and stopped: the cluster does not take "
			"%.0f records/s\n",
			BEHIND_MAX_NS / NS_PER_S, o->rate);
	if (b->producer_error[0])
		fprintf(f, "  producer: %s\n", b->producer_error);
	if (t->cons_err[0])
		fprintf(f, "  checker: last consumer error: %s\n", t->cons_err);
	fprintf(f, "result: %s\n",
		ok ? "OK, every record sent was received exactly once"
		   : "FAILED");
	fflush(f);
}

static void bench_cleanup(struct bench *b)
{
	if (b->producer_started) {
		atomic_store(&b->producer_stop, true);
		pthread_join(b->producer_thread, NULL);
	}
	if (b->session)
		sl_session_destroy(b->session); /* stops the relay */
	if (b->checker) {
		rd_kafka_consumer_close(b->checker);
		rd_kafka_destroy(b->checker);
		sl_kafka_events_destroy(&b->checker_events);
	}
	if (b->producer_topic)
		rd_kafka_topic_destroy(b->producer_topic);
	if (b->producer) {
		rd_kafka_destroy(b->producer);
		sl_kafka_events_destroy(&b->producer_events);
	}
	if (b->embedded)
		sl_kafka_embedded_shutdown();
	pthread_mutex_destroy(&b->lock);
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
}

int sl_bench_run(const sl_bench_opts *o)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct tally t = { 0 };
	rd_kafka_conf_t *conf;
	struct sigaction sa, old_int, old_term;
	sl_err err = { 0 };
	int rc = SL_EXIT_FAIL, lrc;
	bool failed = false;

	if (!b) {
		sl_bench_err("out of memory");
		return SL_EXIT_FAIL;
	}
	b->opts = o;
	b->out = o->json ? stderr : stdout;
	pthread_mutex_init(&b->lock, NULL);
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
	b->check_topic = o->mode == SL_BENCH_RELAY ? o->to : o->from;
	b->check_parts =
		o->mode == SL_BENCH_RELAY ? b->to_parts : b->from_parts;
	if (sl_bench_checker_setup(b))
		goto out;
	if (o->mode == SL_BENCH_RELAY && relay_start(b))
		goto out;
	t.seen = calloc(b->scheduled / 8 + 1, 1);
	if (!t.seen) {
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

	b->t0 = sl_now_ns() + START_DELAY_NS;
	if (pthread_create(&b->producer_thread, NULL, sl_bench_producer_main,
			   b)) {
		sl_bench_err("cannot start the producer thread");
		goto out_signals;
	}
	b->producer_started = true;
	lrc = check_loop(b, &t);
	atomic_store(&b->producer_stop, true);
	pthread_join(b->producer_thread, NULL);
	b->producer_started = false;
	failed = lrc != 0;
	if (sl_cli_stop_signal())
		fprintf(b->out, "\ninterrupted: sending stopped early\n");
	print_summary(b, &t, failed);
	{
		uint64_t sent = atomic_load(&b->sent);

		rc = !failed && t.received == sent && !b->producer_error[0] &&
				     !b->behind &&
				     !atomic_load(&b->delivery_failed)
			     ? SL_EXIT_OK
			     : SL_EXIT_FAIL;
	}
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	bench_cleanup(b);
	free(t.seen);
	free(t.secs);
	free(b);
	return rc;
}

/* ---- the command line ---------------------------------------------------- */

void sl_bench_usage(FILE *to)
{
	fputs("usage: sluice bench [options]\n"
	      "\n"
	      "Sends timestamped records at a fixed rate into a Kafka topic "
	      "and reads them\n"
	      "back, printing end-to-end latency (p50, p99, p99.9, max) every "
	      "second and a\n"
	      "summary. Latency is measured from each record's scheduled send "
	      "time.\n"
	      "\n"
	      "  --bootstrap-servers LIST|embedded  the cluster (default: "
	      "embedded, a mock\n"
	      "                        cluster inside this process; for demos, "
	      "not figures)\n"
	      "  --mode relay|topic    relay (default): a sluice query copies "
	      "--from to --to\n"
	      "                        and the checker reads --to; topic: the "
	      "checker reads\n"
	      "                        --from (the cluster alone)\n"
	      "  --rate N              records per second (default 1000)\n"
	      "  --size BYTES          payload size, >= 24 (default 100)\n"
	      "  --duration SECONDS    measured time (default 10)\n"
	      "  --warmup SECONDS      sent first, not in the figures "
	      "(default 1)\n"
	      "  --partitions N        partitions of the topics bench creates "
	      "(default 1)\n"
	      "  --from TOPIC          (default sluice-bench-in; --topic is "
	      "the same)\n"
	      "  --to TOPIC            (default sluice-bench-out)\n"
	      "  --no-create           fail on a missing topic instead of "
	      "creating it\n"
	      "  --kafka KEY=VALUE     a librdkafka property for every client "
	      "(repeatable)\n"
	      "  --json                the summary as one JSON object on "
	      "stdout (the\n"
	      "                        per-second lines go to stderr)\n"
	      "\n"
	      "Exit status: 0 every record sent was received exactly once, 1 "
	      "loss or a\n"
	      "failure, 2 usage error. docs/BENCH-TOOL.md has the details.\n",
	      to);
}

static int parse_num(const char *opt, const char *text, double lo, double hi,
		     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno || !isfinite(v) || v < lo || v > hi)
		return sl_cli_command_usage_error(
			BENCH,
			"%s '%s': expected a number from %g "
			"to %g",
			opt, text, lo, hi);
	*out = v;
	return 0;
}

int sl_cli_bench(int argc, char **argv)
{
	sl_bench_opts o;
	bool to_given = false;
	double v;

	sl_bench_defaults(&o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char *eq = NULL;
		char name[64];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			sl_bench_usage(stdout);
			return SL_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			o.json = true;
			continue;
		}
		if (!strcmp(a, "--no-create")) {
			o.create = false;
			continue;
		}
		if (strncmp(a, "--", 2))
			return sl_cli_command_usage_error(
				BENCH, "unexpected argument '%s'", a);
		/* --name=value or --name value */
		snprintf(name, sizeof(name), "%s", a);
		if ((eq = strchr(name, '='))) {
			*eq = 0;
			val = a + (eq - name) + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return sl_cli_command_usage_error(
				BENCH, "option %s needs a value", a);
		}
		if (!strcmp(name, "--bootstrap-servers")) {
			o.bootstrap = val;
		} else if (!strcmp(name, "--mode")) {
			if (!strcmp(val, "relay"))
				o.mode = SL_BENCH_RELAY;
			else if (!strcmp(val, "topic"))
				o.mode = SL_BENCH_TOPIC;
			else
				return sl_cli_command_usage_error(
					BENCH,
					"--mode '%s': expected relay or topic",
					val);
		} else if (!strcmp(name, "--rate")) {
			if (parse_num(name, val, 0.001, 1e7, &o.rate))
				return SL_EXIT_USAGE;
		} else if (!strcmp(name, "--size")) {
			if (parse_num(name, val, SL_BENCH_HEADER, 16 << 20, &v))
				return SL_EXIT_USAGE;
			o.size = (uint32_t)v;
		} else if (!strcmp(name, "--duration")) {
			if (parse_num(name, val, 0.001, 86400, &o.duration_s))
				return SL_EXIT_USAGE;
		} else if (!strcmp(name, "--warmup")) {
			if (parse_num(name, val, 0, 3600, &o.warmup_s))
				return SL_EXIT_USAGE;
		} else if (!strcmp(name, "--partitions")) {
			if (parse_num(name, val, 1, 10000, &v))
				return SL_EXIT_USAGE;
			o.partitions = (int)v;
		} else if (!strcmp(name, "--from") ||
			   !strcmp(name, "--topic")) {
			if (!*val)
				return sl_cli_command_usage_error(
					BENCH, "%s needs a topic", name);
			o.from = val;
		} else if (!strcmp(name, "--to")) {
			if (!*val)
				return sl_cli_command_usage_error(
					BENCH, "--to needs a topic");
			o.to = val;
			to_given = true;
		} else if (!strcmp(name, "--kafka") || !strcmp(name, "-X")) {
			const char *e = strchr(val, '=');

			if (!e || e == val)
				return sl_cli_command_usage_error(
					BENCH,
					"--kafka '%s': expected KEY=VALUE",
					val);
			if (o.nprops == SL_BENCH_MAX_PROPS)
				return sl_cli_command_usage_error(
					BENCH,
					"more than %d --kafka properties",
					SL_BENCH_MAX_PROPS);
			o.prop_key[o.nprops] = strndup(val, (size_t)(e - val));
			o.prop_value[o.nprops++] = e + 1;
		} else {
			return sl_cli_command_usage_error(
				BENCH, "unknown option '%s'", name);
		}
	}
	if (o.mode == SL_BENCH_TOPIC && to_given)
		return sl_cli_command_usage_error(
			BENCH, "--to is for --mode relay; topic mode "
			       "reads --from back");
	if (o.mode == SL_BENCH_RELAY && !strcmp(o.from, o.to))
		return sl_cli_command_usage_error(
			BENCH,
			"--from and --to are both '%s': a "
			"relay into its own input would loop",
			o.from);
	if ((o.warmup_s + o.duration_s) * o.rate > 4e9)
		return sl_cli_command_usage_error(
			BENCH, "rate x (warmup + duration) is over "
			       "4 billion records");
	int rc = sl_bench_run(&o);

	for (uint32_t i = 0; i < o.nprops; i++)
		free((char *)o.prop_key[i]);
	return rc;
}
