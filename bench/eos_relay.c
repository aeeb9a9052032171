/* bench/eos_relay.c - what exactly-once costs a Kafka-to-Kafka relay:
 * sluice's relay with deliveryGuarantee 'exactly-once' beside the same
 * relay at-least-once (the baseline), in the same run, on the same broker,
 * at each epoch length (trigger 'continuous E ms').
 *
 *   relay:   kafka source (subscribe IN, kafka.group.id, earliest)
 *            -> SELECT key, value -> kafka sink (topic OUT,
 *            deliveryGuarantee at-least-once | exactly-once)
 *   checker: a plain librdkafka consumer of OUT with
 *            isolation.level=read_committed, in this process: a record
 *            counts when a read_committed consumer can see it, so an
 *            exactly-once record waits for its epoch's commit.
 *
 *   latency     a generator produces --rates records/s (100 B, keyed) to
 *               IN for --seconds; each record carries its scheduled send
 *               time, and latency is the checker's receive time minus it
 *               (CLOCK_MONOTONIC, no coordinated omission): p50, p99, max.
 *               Warm-up records flow first until the checker sees one.
 *   throughput  --tput-records records pre-produced to IN, then the relay
 *               started: records/s from the relay's start (its start-up
 *               included, about a second) to the checker's last record.
 *
 * Topics are made fresh per measurement with the admin API. A broker is
 * needed (tests/kafka/broker.sh start DIR prints its address).
 *
 * usage: eos_relay --bootstrap HOST:PORT [--rates 1000,10000]
 *                  [--epochs 10,50,100] [--seconds S] [--tput-records N]
 *                  [--partitions P] [--json FILE]
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "sluice.h"

#define SIZE 100
#define MAXL 8
#define WARM UINT64_MAX

static const char *g_bs;
static int g_parts = 4;
static unsigned g_seq;
static rd_kafka_t *g_admin;
/* --sink-option K=V: extra sink options, for experiments */
static const char *g_sopt[2 * MAXL + 1];
static int g_nsopt;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "eos_relay: %s: %s\n", what, why ? why : "");
	exit(1);
}

static void quiet(const rd_kafka_t *rk, int level, const char *fac,
		  const char *buf)
{
}

static rd_kafka_conf_t *kconf(void)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char e[256];

	rd_kafka_conf_set_log_cb(c, quiet);
	if (rd_kafka_conf_set(c, "bootstrap.servers", g_bs, e, sizeof(e)))
		die("conf", e);
	return c;
}

static void kset(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char e[256];

	if (rd_kafka_conf_set(c, k, v, e, sizeof(e)))
		die(k, e);
}

static rd_kafka_t *knew(rd_kafka_type_t t, rd_kafka_conf_t *c)
{
	char e[256];
	rd_kafka_t *rk = rd_kafka_new(t, c, e, sizeof(e));

	if (!rk)
		die("client", e);
	return rk;
}

static void topic_make(char *name, size_t n, const char *what)
{
	char e[256];
	size_t cnt = 0;

	snprintf(name, n, "sleos-%d-%u-%s", (int)getpid(), g_seq++, what);
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, g_parts, 1, e, sizeof(e));
	if (!nt)
		die("NewTopic", e);
	rd_kafka_queue_t *rq = rd_kafka_queue_new(g_admin);
	rd_kafka_CreateTopics(g_admin, &nt, 1, NULL, rq);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(rq, 30000);
	if (!ev || rd_kafka_event_error(ev))
		die("CreateTopics",
		    ev ? rd_kafka_event_error_string(ev) : "timed out");
	const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
		rd_kafka_event_CreateTopics_result(ev), &cnt);
	if (cnt != 1 || rd_kafka_topic_result_error(res[0]))
		die("CreateTopics",
		    cnt ? rd_kafka_topic_result_error_string(res[0]) : "?");
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(rq);
	rd_kafka_NewTopic_destroy(nt);
	/* until the topic's metadata lists every partition with a leader,
	 * and each leader answers */
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(g_admin, name, NULL);
	for (int i = 0; i < 600; i++) {
		const rd_kafka_metadata_t *md = NULL;
		int64_t lo, hi;
		int ok = 0;
		if (!rd_kafka_metadata(g_admin, 0, rkt, &md, 2000) &&
		    md->topic_cnt == 1 && !md->topics[0].err &&
		    md->topics[0].partition_cnt == g_parts)
			for (int p = 0; p < g_parts; p++)
				ok += !rd_kafka_query_watermark_offsets(
					g_admin, name, p, &lo, &hi, 2000);
		if (md)
			rd_kafka_metadata_destroy(md);
		if (ok == g_parts) {
			rd_kafka_topic_destroy(rkt);
			return;
		}
		bu_sleep_ms(50);
	}
	die("topic never ready", name);
}

/* ---- the checker ------------------------------------------------------- */

struct checker {
	pthread_t th;
	char topic[128];
	int64_t n;
	int64_t *lat; /* by sequence number, -1 until seen */
	_Atomic int64_t received;
	_Atomic bool warm_seen, stop;
	int64_t dups, t_first, t_last;
};

static void *checker_main(void *arg)
{
	struct checker *c = arg;
	rd_kafka_conf_t *cf = kconf();
	char gid[160];

	snprintf(gid, sizeof(gid), "%s-checker", c->topic);
	kset(cf, "group.id", gid);
	kset(cf, "enable.auto.commit", "false");
	kset(cf, "isolation.level", "read_committed");
	kset(cf, "fetch.wait.max.ms", "5");
	rd_kafka_t *rk = knew(RD_KAFKA_CONSUMER, cf);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(g_parts);
	for (int p = 0; p < g_parts; p++)
		rd_kafka_topic_partition_list_add(l, c->topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 20);
		if (!m)
			continue;
		int64_t now = bu_now_ns();
		if (!m->err && m->len >= 16) {
			uint64_t seq;
			int64_t sched;
			memcpy(&seq, m->payload, 8);
			memcpy(&sched, (char *)m->payload + 8, 8);
			if (seq == WARM) {
				atomic_store(&c->warm_seen, true);
			} else if ((int64_t)seq < c->n) {
				if (c->lat[seq] >= 0) {
					c->dups++;
				} else {
					c->lat[seq] = now - sched;
					if (!c->t_first)
						c->t_first = now;
					c->t_last = now;
					atomic_fetch_add(&c->received, 1);
				}
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

static void checker_start(struct checker *c, const char *topic, int64_t n)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->topic, sizeof(c->topic), "%s", topic);
	c->n = n;
	c->lat = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
	for (int64_t i = 0; i < n; i++)
		c->lat[i] = -1;
	pthread_create(&c->th, NULL, checker_main, c);
}

static void checker_stop(struct checker *c)
{
	atomic_store(&c->stop, true);
	pthread_join(c->th, NULL);
}

/* ---- the generator ----------------------------------------------------- */

static rd_kafka_t *producer(void)
{
	rd_kafka_conf_t *c = kconf();

	kset(c, "linger.ms", "1");
	kset(c, "acks", "all");
	kset(c, "enable.idempotence", "true");
	return knew(RD_KAFKA_PRODUCER, c);
}

/* key: k<key % 1000>; warm-up records pass their own counter, so they
 * reach every partition. */
static void produce(rd_kafka_t *rk, const char *topic, uint64_t seq,
		    uint64_t key, int64_t sched)
{
	char v[SIZE] = { 0 }, k[16];
	int kl = snprintf(k, sizeof(k), "k%u", (unsigned)(key % 1000));

	memcpy(v, &seq, 8);
	memcpy(v + 8, &sched, 8);
	while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
				 RD_KAFKA_V_VALUE(v, SIZE),
				 RD_KAFKA_V_KEY(k, (size_t)kl),
				 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				 RD_KAFKA_V_END) ==
	       RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(rk, 1);
	rd_kafka_poll(rk, 0);
}

/* ---- the relay --------------------------------------------------------- */

struct relay {
	sl_session *s;
	sl_query *q;
};

static void relay_start(struct relay *r, const char *in, const char *out,
			bool eos, int epoch_ms)
{
	char group[200], trig[64];

	snprintf(group, sizeof(group), "%s-relay", in);
	snprintf(trig, sizeof(trig), "continuous %d ms", epoch_ms);
	r->s = sl_session_new();
	const char *src[] = { "subscribe", in, "kafka.bootstrap.servers", g_bs,
			      "kafka.group.id", group, "startingOffsets",
			      "earliest", NULL };
	sl_frame *f = sl_session_read_stream(r->s, "kafka", src);
	static const char *const cols[] = { "key", "value", NULL };
	sl_frame *sel = f ? sl_frame_select(f, cols) : NULL;
	const char *snk[10 + 2 * MAXL + 1] = {
		"topic", out, "kafka.bootstrap.servers", g_bs,
		"trigger", trig, "deliveryGuarantee",
		eos ? "exactly-once" : "at-least-once", NULL
	};
	for (int i = 0; i < g_nsopt; i++)
		snk[8 + i] = g_sopt[i];
	r->q = sel ? sl_frame_start(sel, "kafka", snk, NULL) : NULL;
	if (!r->q)
		die("relay", sl_session_errmsg(r->s));
}

static void relay_stop(struct relay *r)
{
	if (sl_query_stop(r->q) < 0)
		die("relay stopped with", sl_query_exception(r->q));
	sl_session_destroy(r->s);
}

/* ---- the measurements -------------------------------------------------- */

struct lat_result {
	double p50, p99, max;
	int64_t missing, dups;
};

static struct lat_result measure_latency(bool eos, int epoch_ms, int rate,
					 double seconds)
{
	char in[128], out[128];
	struct relay r;
	struct checker c;
	struct lat_result res = { 0 };
	int64_t n = (int64_t)(rate * seconds);

	topic_make(in, sizeof(in), "in");
	topic_make(out, sizeof(out), "out");
	checker_start(&c, out, n);
	relay_start(&r, in, out, eos, epoch_ms);
	rd_kafka_t *p = producer();
	/* warm up: until the checker has seen records for a second (every
	 * partition of both topics has been written and read by then) */
	int64_t warm_until = 0;
	for (int i = 0; !warm_until || bu_now_ns() < warm_until; i++) {
		if (i > 3000)
			die("warm-up", "no record came out in 30 s");
		produce(p, in, WARM, (uint64_t)i, bu_now_ns());
		bu_sleep_ms(10);
		if (!warm_until && atomic_load(&c.warm_seen))
			warm_until = bu_now_ns() + 1000000000LL;
	}
	/* the warm-up's last records out */
	bu_sleep_ms(300);
	int64_t t0 = bu_now_ns() + 1000000;
	for (int64_t i = 0; i < n; i++) {
		int64_t sched = t0 + (int64_t)((double)i * 1e9 / rate);
		bu_sleep_until(sched);
		produce(p, in, (uint64_t)i, (uint64_t)i, sched);
	}
	rd_kafka_flush(p, 30000);
	rd_kafka_destroy(p);
	int64_t dl = bu_now_ns() + 20000000000LL;
	while (atomic_load(&c.received) < n && bu_now_ns() < dl)
		bu_sleep_ms(10);
	relay_stop(&r);
	checker_stop(&c);
	int64_t *v = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
	size_t k = 0;
	for (int64_t i = 0; i < n; i++)
		if (c.lat[i] >= 0)
			v[k++] = c.lat[i];
	qsort(v, k, sizeof(int64_t), bu_cmp_i64);
	res.p50 = (double)bu_pct_sorted(v, k, 50) / 1e6;
	res.p99 = (double)bu_pct_sorted(v, k, 99) / 1e6;
	res.max = k ? (double)v[k - 1] / 1e6 : 0;
	res.missing = n - (int64_t)k;
	res.dups = c.dups;
	free(v);
	free(c.lat);
	return res;
}

static double measure_tput(bool eos, int epoch_ms, int64_t n)
{
	char in[128], out[128];
	struct relay r;
	struct checker c;

	topic_make(in, sizeof(in), "tin");
	topic_make(out, sizeof(out), "tout");
	rd_kafka_t *p = producer();
	for (int64_t i = 0; i < n; i++)
		produce(p, in, (uint64_t)i, (uint64_t)i, 0);
	rd_kafka_flush(p, 60000);
	rd_kafka_destroy(p);
	checker_start(&c, out, n);
	/* From the relay's start, which both guarantees pay alike: from
	 * the first record out would leave exactly-once's first commit out,
	 * and a read_committed checker then receives whole transactions at
	 * the speed it reads, not the relay's. */
	int64_t t0 = bu_now_ns();
	relay_start(&r, in, out, eos, epoch_ms);
	int64_t dl = bu_now_ns() + 120000000000LL;
	while (atomic_load(&c.received) < n && bu_now_ns() < dl)
		bu_sleep_ms(10);
	relay_stop(&r);
	checker_stop(&c);
	double secs = (double)(c.t_last - t0) / 1e9;
	int64_t got = atomic_load(&c.received);
	free(c.lat);
	if (got < n)
		fprintf(stderr, "eos_relay: throughput run: %lld of %lld out\n",
			(long long)got, (long long)n);
	return secs > 0 ? (double)got / secs : 0;
}

static int parse_list(const char *s, int *out)
{
	int n = 0;

	while (s && *s && n < MAXL) {
		out[n++] = atoi(s);
		s = strchr(s, ',');
		s = s ? s + 1 : NULL;
	}
	return n;
}

int main(int argc, char **argv)
{
	int rates[MAXL] = { 1000, 10000 }, epochs[MAXL] = { 10, 50, 100 };
	int nrates = 2, nepochs = 3;
	double seconds = 5;
	int64_t tput_n = 500000;
	const char *json = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("usage", "every flag takes a value");
		if (!strcmp(a, "--bootstrap"))
			g_bs = v;
		else if (!strcmp(a, "--rates"))
			nrates = parse_list(v, rates);
		else if (!strcmp(a, "--epochs"))
			nepochs = parse_list(v, epochs);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--tput-records"))
			tput_n = atoll(v);
		else if (!strcmp(a, "--partitions"))
			g_parts = atoi(v);
		else if (!strcmp(a, "--json"))
			json = v;
		else if (!strcmp(a, "--sink-option") && g_nsopt < 2 * MAXL) {
			char *eq = strchr(v, '=');
			if (!eq)
				die("--sink-option wants K=V", v);
			*eq = 0;
			g_sopt[g_nsopt++] = v;
			g_sopt[g_nsopt++] = eq + 1;
		}
		else
			die("unknown flag", a);
		i++;
	}
	if (!g_bs || g_parts < 1 || seconds <= 0)
		die("usage",
		    "eos_relay --bootstrap HOST:PORT [--rates 1000,10000] "
		    "[--epochs 10,50,100] [--seconds S] [--tput-records N] "
		    "[--partitions P] [--json FILE]");
	g_admin = knew(RD_KAFKA_PRODUCER, kconf());
	FILE *js = json ? fopen(json, "w") : NULL;
	if (js)
		fprintf(js, "{\"runs\": [");
	printf("%-14s %6s %7s %9s %9s %9s %7s %12s\n", "guarantee", "epoch",
	       "rate", "p50 ms", "p99 ms", "max ms", "dups", "max rec/s");
	bool first = true;
	for (int e = 0; e < nepochs; e++) {
		double tput[2];
		for (int m = 0; m < 2; m++) {
			bool eos = m == 1;
			const char *name = eos ? "exactly-once" : "at-least-once";
			tput[m] = tput_n > 0 ? measure_tput(eos, epochs[e], tput_n)
					     : 0;
			for (int r = 0; r < nrates; r++) {
				struct lat_result l = measure_latency(
					eos, epochs[e], rates[r], seconds);
				printf("%-14s %4dms %7d %9.2f %9.2f %9.2f "
				       "%7lld %12.0f\n",
				       name, epochs[e], rates[r], l.p50, l.p99,
				       l.max, (long long)l.dups, tput[m]);
				if (l.missing)
					printf("  (%lld records not out)\n",
					       (long long)l.missing);
				if (js)
					fprintf(js,
						"%s\n {\"guarantee\": \"%s\", "
						"\"epoch_ms\": %d, \"rate\": "
						"%d, \"p50_ms\": %.3f, "
						"\"p99_ms\": %.3f, \"max_ms\": "
						"%.3f, \"missing\": %lld, "
						"\"dups\": %lld, "
						"\"max_records_per_s\": %.0f}",
						first ? "" : ",", name,
						epochs[e], rates[r], l.p50,
						l.p99, l.max,
						(long long)l.missing,
						(long long)l.dups, tput[m]);
				first = false;
				fflush(stdout);
			}
		}
		if (tput[0] > 0)
			printf("  epoch %d ms: exactly-once throughput is "
			       "%.2f of at-least-once's\n",
			       epochs[e], tput[1] / tput[0]);
	}
	if (js) {
		fprintf(js, "\n]}\n");
		fclose(js);
	}
	rd_kafka_destroy(g_admin);
	return 0;
}
