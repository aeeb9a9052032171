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
#include "io/kafka_embedded.h"
#include "sluice.h"

#define MAGIC 0x31424c53u /* "SLB1" */
#define HDR 24		  /* magic, phase, seq, scheduled time */
#define MAX_LIST 8
#define MAX_REPS 9
#define BATCH 1024

extern char **environ;

static const char *g_bs;      /* bootstrap as given */
static const char *g_addr;    /* host:port the clients use */
static bool g_embedded;
static int g_parts = 1;
static const char *g_ckpt_parent = "/tmp"; /* --ckpt-parent */
static rd_kafka_t *g_admin;   /* creates topics on a broker */
static unsigned g_topic_seq;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "relay: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* ---- client settings: sluice's defaults, io/kafka_common.c ------------ */

static void kset(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char errstr[256];

	if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		die("librdkafka conf: %s", errstr);
}

static rd_kafka_conf_t *kconf(bool consumer)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();

	kset(c, "bootstrap.servers", g_addr);
	kset(c, "client.id", "sluice-bench");
	kset(c, "socket.nagle.disable", "true");
	kset(c, "log.connection.close", "false");
	/* Errors only: warnings such as a fresh broker's "coordinator load
	 * in progress, retrying" would break up the tables. */
	kset(c, "log_level", "3");
	if (consumer) {
		char gid[64];

		snprintf(gid, sizeof(gid), "sl-bench-%d-%u", (int)getpid(),
			 g_topic_seq++);
		kset(c, "group.id", gid);
		kset(c, "fetch.wait.max.ms", g_embedded ? "1" : "100");
		kset(c, "fetch.min.bytes", "1");
		kset(c, "fetch.error.backoff.ms", "100");
		kset(c, "enable.auto.commit", "false");
		kset(c, "enable.auto.offset.store", "false");
		kset(c, "enable.partition.eof", "false");
	} else {
		kset(c, "linger.ms", "0");
		kset(c, "acks", "all");
		kset(c, "enable.idempotence", "true");
	}
	return c;
}

static rd_kafka_t *knew(bool consumer, rd_kafka_conf_t *c)
{
	char errstr[256];
	rd_kafka_t *rk = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER
					       : RD_KAFKA_PRODUCER,
				      c, errstr, sizeof(errstr));

	if (!rk)
		die("rd_kafka_new: %s", errstr);
	return rk;
}

/* Assigns every partition of topic from its beginning. */
static void kassign(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(g_parts);

	for (int p = 0; p < g_parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	if (rd_kafka_assign(rk, l))
		die("assign %s failed", topic);
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- topics ------------------------------------------------------------ */

static bool topic_ready(const char *name)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(g_admin, name, NULL);
	bool ok = false;

	if (rd_kafka_metadata(g_admin, 0, rkt, &md, 2000) == 0) {
		ok = md->topic_cnt == 1 && !md->topics[0].err &&
		     md->topics[0].partition_cnt == g_parts;
		for (int i = 0; ok && i < md->topics[0].partition_cnt; i++)
			ok = md->topics[0].partitions[i].leader >= 0;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return ok;
}

/* A fresh topic name, created with g_parts partitions. */
static void topic_make(char *name, size_t n, const char *what)
{
	char errstr[256];
	sl_err err = { 0 };

	snprintf(name, n, "slb-%d-%u-%s", (int)getpid(), g_topic_seq++, what);
	if (g_embedded) {
		if (sl_kafka_embedded_topic_create(name, g_parts, &err))
			die("embedded topic: %s", err.msg);
		return;
	}
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(name, g_parts, 1, errstr, sizeof(errstr));
	rd_kafka_queue_t *rq = rd_kafka_queue_new(g_admin);
	rd_kafka_event_t *ev;
	const rd_kafka_topic_result_t **res;
	size_t cnt = 0;

	if (!nt)
		die("NewTopic: %s", errstr);
	rd_kafka_CreateTopics(g_admin, &nt, 1, NULL, rq);
	ev = rd_kafka_queue_poll(rq, 30000);
	if (!ev || rd_kafka_event_error(ev))
		die("CreateTopics: %s",
		    ev ? rd_kafka_event_error_string(ev) : "timed out");
	res = rd_kafka_CreateTopics_result_topics(
		rd_kafka_event_CreateTopics_result(ev), &cnt);
	if (cnt != 1 || rd_kafka_topic_result_error(res[0]))
		die("CreateTopics: %s",
		    cnt ? rd_kafka_topic_result_error_string(res[0]) : "?");
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(rq);
	rd_kafka_NewTopic_destroy(nt);
	for (int i = 0; i < 100 && !topic_ready(name); i++)
		bu_sleep_ms(50);
}

/* ---- the checker: consumes OUT, records each record's latency ---------- */

struct checker {
	pthread_t th;
	char topic[128];
	int64_t n;		/* measured records expected */
	int64_t *lat;		/* ns by sequence number, -1 until seen */
	int64_t *arrive;	/* receive times in arrival order */
	_Atomic int64_t received;
	_Atomic bool warm_seen;
	_Atomic bool stop;
	int64_t dups, t_first, t_last;
};

static void *checker_main(void *arg)
{
	struct checker *c = arg;
	rd_kafka_t *rk = knew(true, kconf(true));

	rd_kafka_poll_set_consumer(rk);
	kassign(rk, c->topic);
	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 20);
		int64_t now = bu_now_ns();
		uint32_t magic;
		int64_t seq, sched;

		if (!m)
			continue;
		if (m->err || m->len < HDR) {
			rd_kafka_message_destroy(m);
			continue;
		}
		memcpy(&magic, m->payload, 4);
		memcpy(&seq, (char *)m->payload + 8, 8);
		memcpy(&sched, (char *)m->payload + 16, 8);
		if (magic != MAGIC) {
		} else if (((char *)m->payload)[4] == 0) {
			atomic_store(&c->warm_seen, true);
		} else if (seq >= 0 && seq < c->n) {
			if (c->lat[seq] >= 0) {
				c->dups++;
			} else {
				c->lat[seq] = now - sched;
				c->arrive[atomic_load(&c->received)] = now;
				if (!c->t_first)
					c->t_first = now;
				c->t_last = now;
				atomic_fetch_add(&c->received, 1);
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
	c->lat = malloc((size_t)(n ? n : 1) * sizeof(*c->lat));
	c->arrive = malloc((size_t)(n ? n : 1) * sizeof(*c->arrive));
	if (!c->lat || !c->arrive)
		die("%s", "out of memory");
	memset(c->lat, 0xff, (size_t)n * sizeof(*c->lat)); /* -1 */
	pthread_create(&c->th, NULL, checker_main, c);
}

static void checker_stop(struct checker *c)
{
	atomic_store(&c->stop, true);
	pthread_join(c->th, NULL);
}

/* ---- the generator: produces to IN ------------------------------------- */

struct gen {
	pthread_t th;
	char topic[128];
	int size;
	double rate;	      /* records/s; 0: as fast as possible */
	int64_t n;	      /* measured records */
	struct checker *warm; /* warm up until it sees a record; NULL: none */
	int64_t t0;	      /* scheduled time of record 0 */
	int64_t max_lag;      /* worst send time behind schedule, ns */
	int64_t t_end;	      /* when the last record was delivered */
	bool failed;
};

static void gen_send(rd_kafka_t *rk, rd_kafka_topic_t *rkt, char *buf,
		     int size, int phase, int64_t seq, int64_t sched)
{
	uint32_t magic = MAGIC;

	memcpy(buf, &magic, 4);
	buf[4] = (char)phase;
	memcpy(buf + 8, &seq, 8);
	memcpy(buf + 16, &sched, 8);
	while (rd_kafka_produce(rkt, (int32_t)(seq % g_parts),
				RD_KAFKA_MSG_F_COPY, buf, (size_t)size, NULL, 0,
				NULL) == -1) {
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			die("produce: %s",
			    rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_poll(rk, 5);
	}
}

static void *gen_main(void *arg)
{
	struct gen *g = arg;
	rd_kafka_conf_t *conf = kconf(false);
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char *buf = malloc((size_t)g->size);
	double step = g->rate > 0 ? 1e9 / g->rate : 0;

	/* Sleeps end when asked, not up to 50 us later: the schedule is
	 * what latency is measured from. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	kset(conf, "queue.buffering.max.messages", "1000000");
	kset(conf, "queue.buffering.max.kbytes", "1048576");
	rk = knew(false, conf);
	rkt = rd_kafka_topic_new(rk, g->topic, NULL);
	memset(buf, 'x', (size_t)g->size);
	if (g->warm) {
		int64_t until = bu_now_ns() + 60 * 1000000000LL;

		for (int64_t w = 0; !atomic_load(&g->warm->warm_seen); w++) {
			if (bu_now_ns() > until) {
				fprintf(stderr, "relay: no warm-up record "
						"came through in 60 s\n");
				g->failed = true;
				goto out;
			}
			gen_send(rk, rkt, buf, g->size, 0, w, bu_now_ns());
			rd_kafka_poll(rk, 0);
			bu_sleep_ms(10);
		}
		bu_sleep_ms(200);
	}
	g->t0 = bu_now_ns() + 1000000;
	for (int64_t i = 0; i < g->n; i++) {
		int64_t sched = g->t0 + (int64_t)(step * (double)i);
		int64_t now = bu_now_ns();

		if (step > 0 && sched > now) {
			rd_kafka_poll(rk, 0);
			bu_sleep_until(sched);
			now = bu_now_ns();
		}
		if (step > 0 && now - sched > g->max_lag)
			g->max_lag = now - sched;
		gen_send(rk, rkt, buf, g->size, 1, i, step > 0 ? sched : now);
		if ((i & 63) == 63)
			rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	g->t_end = bu_now_ns();
	if (rd_kafka_outq_len(rk)) {
		fprintf(stderr, "relay: generator could not deliver\n");
		g->failed = true;
	}
out:
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(buf);
	return NULL;
}

/* ---- the relays -------------------------------------------------------- */

struct relay {
	/* "sluice", "baseline", "slow"; "nockpt" and "ckpt": sluice with
	 * trigger 'continuous 100 ms', without and with a checkpoint */
	const char *impl;
	char in[128], out[128];
	int64_t slow_us;
	/* sluice */
	sl_session *s;
	sl_query *q;
	char ckdir[160];       /* ckpt: its checkpointLocation */
	double commit_ms_med;  /* ckpt: median checkpoint.lastCommitMs */
	double commit_ms_top;  /* ckpt: the highest lastCommitMs seen */
	double commit_ms_max;  /* ckpt: checkpoint.maxCommitMs at the end */
	int ncommit;	       /* progress records with a lastCommitMs */
	/* nockpt, ckpt: medians over the progress records of latencyMs.p99
	 * and latencyMs.max, the engine's own latency (source poll to sink
	 * write, one epoch each): no broker or checker in it, so a stall of
	 * the sink thread shows plainly */
	double eng_p99_ms, eng_max_ms;
	/* baseline */
	pthread_t th;
	_Atomic bool stop;
	_Atomic int64_t relayed;
	bool failed;
};

static void base_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct relay *r = opaque;

	if (m->err)
		r->failed = true;
	/* The produced message pointed into the consumed one. */
	rd_kafka_message_destroy(m->_private);
}

static void *base_main(void *arg)
{
	struct relay *r = arg;
	rd_kafka_conf_t *pc = kconf(false);
	rd_kafka_t *cons, *prod;
	rd_kafka_queue_t *cq;
	rd_kafka_topic_t *rkt;
	rd_kafka_message_t *msgs[BATCH];

	rd_kafka_conf_set_opaque(pc, r);
	rd_kafka_conf_set_dr_msg_cb(pc, base_dr);
	prod = knew(false, pc);
	rkt = rd_kafka_topic_new(prod, r->out, NULL);
	cons = knew(true, kconf(true));
	rd_kafka_poll_set_consumer(cons);
	cq = rd_kafka_queue_get_consumer(cons);
	kassign(cons, r->in);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		ssize_t n;

		/* Wait for one record, then take what else is queued. */
		msgs[0] = rd_kafka_consume_queue(cq, 10);
		if (!msgs[0]) {
			rd_kafka_poll(prod, 0);
			continue;
		}
		n = rd_kafka_consume_batch_queue(cq, 0, msgs + 1, BATCH - 1);
		n = n < 0 ? 1 : n + 1;
		for (ssize_t i = 0; i < n; i++) {
			rd_kafka_message_t *m = msgs[i];

			if (m->err) {
				rd_kafka_message_destroy(m);
				continue;
			}
			while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0,
						m->payload, m->len, m->key,
						m->key_len, m) == -1) {
				if (rd_kafka_last_error() !=
				    RD_KAFKA_RESP_ERR__QUEUE_FULL) {
					r->failed = true;
					rd_kafka_message_destroy(m);
					break;
				}
				rd_kafka_poll(prod, 10);
			}
		}
		atomic_fetch_add_explicit(&r->relayed, n,
					  memory_order_relaxed);
		rd_kafka_poll(prod, 0);
	}
	rd_kafka_flush(prod, 10000);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(prod);
	rd_kafka_queue_destroy(cq);
	rd_kafka_consumer_close(cons);
	rd_kafka_destroy(cons);
	return NULL;
}

static int slow_process(void *ud, const sl_rows *rows, uint32_t i)
{
	struct relay *r = ud;

	bu_sleep_until(bu_now_ns() + r->slow_us * 1000);
	atomic_fetch_add_explicit(&r->relayed, 1, memory_order_relaxed);
	return 0;
}

static int relay_start(struct relay *r)
{
	const char *bs = g_embedded ? "embedded" : g_addr;
	static sl_sink_callbacks cb;
	sl_frame *f;

	if (strcmp(r->impl, "baseline") == 0)
		return pthread_create(&r->th, NULL, base_main, r);
	r->s = sl_session_new();
	f = sl_read_stream(r->s, "kafka",
			   (const char *[]){ "subscribe", r->in,
					     "startingOffsets", "earliest",
					     "kafka.bootstrap.servers", bs,
					     NULL });
	if (f)
		f = sl_frame_select(f, (const char *[]){ "key", "value",
							 NULL });
	if (f && strcmp(r->impl, "slow") == 0) {
		cb = (sl_sink_callbacks){ .ud = r, .process = slow_process };
		r->q = sl_frame_start(
			f, "foreach",
			(const char *[]){ "trigger", "continuous 1 second",
					  NULL },
			&cb);
	} else if (f) {
		bool ck = strcmp(r->impl, "ckpt") == 0;
		bool fast = ck || strcmp(r->impl, "nockpt") == 0;

		if (ck) {
			snprintf(r->ckdir, sizeof(r->ckdir),
				 "%s/slb-ckpt.XXXXXX", g_ckpt_parent);
			if (!mkdtemp(r->ckdir))
				die("mkdtemp in %s failed", g_ckpt_parent);
		}
		r->q = sl_frame_start(
			f, "kafka",
			(const char *[]){ "topic", r->out,
					  "kafka.bootstrap.servers", bs,
					  "trigger",
					  fast ? "continuous 100 ms"
					       : "continuous 1 second",
					  ck ? "checkpointLocation" : NULL,
					  r->ckdir, NULL },
			NULL);
	}
	if (!r->q) {
		fprintf(stderr, "relay: sluice: %s\n",
			sl_session_errmsg(r->s));
		return -1;
	}
	return 0;
}

/* From the query's progress records: the checkpoint's commit times, the
 * median and the highest checkpoint.lastCommitMs (an epoch's offsets and
 * commits files, with their fsyncs) over the records, and the last
 * record's maxCommitMs (the store's slowest commits/N write alone since
 * the start, so it may be below lastCommitMs); and the engine's latency
 * (eng_p99_ms, eng_max_ms). */
static void progress_figures(struct relay *r)
{
	char *js = sl_query_recent_progress(r->q);
	json_t *arr = js ? json_loads(js, 0, NULL) : NULL;
	double v[1024], e99[1024], emax[1024];
	int n = 0, ne = 0;

	r->commit_ms_med = r->commit_ms_max = r->commit_ms_top = -1;
	r->eng_p99_ms = r->eng_max_ms = -1;
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		json_t *pr = json_array_get(arr, i);
		json_t *lat = json_object_get(pr, "latencyMs");
		json_t *ck = json_object_get(pr, "checkpoint");
		json_t *last = json_object_get(ck, "lastCommitMs");
		json_t *max = json_object_get(ck, "maxCommitMs");

		if (json_is_number(last) && n < 1024) {
			v[n++] = json_number_value(last);
			if (v[n - 1] > r->commit_ms_top)
				r->commit_ms_top = v[n - 1];
		}
		if (json_is_number(max))
			r->commit_ms_max = json_number_value(max);
		if (json_is_number(json_object_get(lat, "p99")) && ne < 1024) {
			e99[ne] = json_number_value(json_object_get(lat, "p99"));
			emax[ne++] = json_number_value(
				json_object_get(lat, "max"));
		}
	}
	r->ncommit = n;
	if (n)
		r->commit_ms_med = bu_median(v, n);
	if (ne) {
		r->eng_p99_ms = bu_median(e99, ne);
		r->eng_max_ms = bu_median(emax, ne);
	}
	json_decref(arr);
	free(js);
}

static void relay_stop(struct relay *r)
{
	if (strcmp(r->impl, "baseline") == 0) {
		atomic_store(&r->stop, true);
		pthread_join(r->th, NULL);
		return;
	}
	if (sl_query_stop(r->q) < 0) {
		fprintf(stderr, "relay: sluice query failed: %s\n",
			sl_query_exception(r->q));
		r->failed = true;
	}
	if (!strcmp(r->impl, "nockpt") || r->ckdir[0])
		progress_figures(r);
	if (r->ckdir[0]) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->ckdir);
		if (system(cmd))
			fprintf(stderr, "relay: cannot remove %s\n",
				r->ckdir);
	}
	sl_session_destroy(r->s);
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

static FILE *g_json;
static bool g_json_first;

static void json_sep(void)
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

/* ---- the relay alone in a child process (memory) ------------------------ */

static _Atomic bool child_stop;

static void *child_stdin(void *arg)
{
	char b[64];

	while (read(0, b, sizeof(b)) > 0)
		;
	atomic_store(&child_stop, true);
	return NULL;
}

/* Rows sluice's sink has written, from the query's progress records
 * (committed epochs only). */
static int64_t sluice_relayed(sl_query *q)
{
	char *js = sl_query_recent_progress(q);
	json_t *arr = js ? json_loads(js, 0, NULL) : NULL;
	int64_t n = 0;

	for (size_t i = 0; arr && i < json_array_size(arr); i++)
		n += json_integer_value(json_object_get(
			json_object_get(json_array_get(arr, i), "sink"),
			"numOutputRows"));
	json_decref(arr);
	free(js);
	return n;
}

/* Runs one relay until stdin closes (or, with count > 0, until it has
 * relayed count records), sampling VmRSS every 250 ms; prints
 * {"vmhwm_kib":..,"samples":[[s,kib],..],"relayed":..} on stdout. */
static int child_main(const char *impl, const char *in, const char *out,
		      int64_t slow_us, int64_t count)
{
	struct relay r = { .impl = impl, .slow_us = slow_us };
	pthread_t th;
	int64_t t0 = bu_now_ns();
	long samples[4096][2];
	int ns = 0;

	snprintf(r.in, sizeof(r.in), "%s", in);
	snprintf(r.out, sizeof(r.out), "%s", out);
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (relay_start(&r))
		return 1;
	if (!count)
		pthread_create(&th, NULL, child_stdin, NULL);
	while (!atomic_load(&child_stop)) {
		bu_sleep_ms(count ? 100 : 250);
		if (count && r.q)
			atomic_store(&r.relayed, sluice_relayed(r.q));
		if (count && atomic_load(&r.relayed) >= count)
			break;
		if (ns < 4096) {
			samples[ns][0] = (long)((bu_now_ns() - t0) / 1000000);
			samples[ns][1] = bu_status_kib("VmRSS");
			ns++;
		}
	}
	if (r.q && strcmp(impl, "slow") != 0)
		atomic_store(&r.relayed, sluice_relayed(r.q));
	printf("{\"vmhwm_kib\": %ld, \"relayed\": %lld, \"samples\": [",
	       bu_status_kib("VmHWM"), (long long)atomic_load(&r.relayed));
	for (int i = 0; i < ns; i++)
		printf("%s[%.2f, %ld]", i ? ", " : "",
		       (double)samples[i][0] / 1e3, samples[i][1]);
	printf("]}\n");
	fflush(stdout);
	/* A slow sink would take minutes to drain on stop: leave without
	 * it, the figures are out. */
	if (strcmp(impl, "slow") == 0)
		_exit(0);
	relay_stop(&r);
	return 0;
}

/* Starts this program as a child relay; *wfd closes to stop it, *rfd
 * carries its figures. */
static pid_t child_spawn(const char *impl, const char *in, const char *out,
			 int64_t slow_us, int *wfd, int *rfd)
{
	int pin[2], pout[2];
	char us[32];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	char *argv[] = { "/proc/self/exe", "--child", (char *)impl,
			 "--bootstrap", (char *)g_addr, "--in", (char *)in,
			 "--out", (char *)out, "--slow-us", us, NULL };

	snprintf(us, sizeof(us), "%lld", (long long)slow_us);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
		die("%s", "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ))
		die("%s", "posix_spawn failed");
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	*wfd = pin[1];
	*rfd = pout[0];
	return pid;
}

static char *child_finish(pid_t pid, int wfd, int rfd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t k;
	int st;

	close(wfd);
	while ((k = read(rfd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)k;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = 0;
	close(rfd);
	waitpid(pid, &st, 0);
	while (len && (buf[len - 1] == '\n'))
		buf[--len] = 0;
	if (!len) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A slow sink's VmRSS once a second, and whether it levelled off: the
 * highest sample of the last third of the run against the highest of the
 * middle third. A queue without a bound in bytes keeps growing into the
 * last third; a bounded one has stopped by then. */
static void slow_summary(const char *res, double seconds)
{
	json_t *j = json_loads(res, 0, NULL);
	json_t *smp = json_object_get(j, "samples");
	long mid = 0, last = 0, next = 1;
	size_t n = json_array_size(smp);

	printf("  VmRSS (MiB) each second:");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(smp, i);
		double t = json_number_value(json_array_get(e, 0));
		long kib = (long)json_integer_value(json_array_get(e, 1));

		if (t >= (double)next) {
			printf(" %ld", kib / 1024);
			next = (long)t + 1;
		}
		if (t >= seconds / 3 && t < 2 * seconds / 3 && kib > mid)
			mid = kib;
		if (t >= 2 * seconds / 3 && kib > last)
			last = kib;
	}
	printf("\n  VmHWM %lld MiB; highest VmRSS in the middle third %ld "
	       "MiB, in the last third %ld MiB: %s\n",
	       (long long)json_integer_value(json_object_get(j, "vmhwm_kib")) /
		       1024,
	       mid / 1024, last / 1024,
	       last > mid + mid / 10 ? "STILL GROWING" : "levelled off");
	json_decref(j);
}

/* The relay alone under a fixed-rate load; its memory goes to the JSON. */
static void measure_rss(const char *impl, int rate, int size, double seconds,
			int64_t slow_us)
{
	struct checker c;
	struct gen g = { .size = size, .rate = rate };
	char in[128], out[128];
	int wfd, rfd;
	pid_t pid;
	char *res;
	bool slow = strcmp(impl, "slow") == 0;

	topic_make(in, sizeof(in), "in");
	topic_make(out, sizeof(out), "out");
	pid = child_spawn(impl, in, out, slow_us, &wfd, &rfd);
	snprintf(g.topic, sizeof(g.topic), "%s", in);
	g.n = (int64_t)(rate * seconds);
	/* A slow sink writes nothing to OUT: warm up on nothing. */
	checker_start(&c, out, g.n);
	g.warm = slow ? NULL : &c;
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	if (!slow) {
		int64_t deadline = bu_now_ns() + 5000000000LL;

		while (atomic_load(&c.received) < g.n &&
		       bu_now_ns() < deadline)
			bu_sleep_ms(10);
	}
	checker_stop(&c);
	res = child_finish(pid, wfd, rfd);
	printf("  %-9s %6d rec/s x %4d B for %.0f s: %s\n", impl, rate, size,
	       seconds, res ? res : "child failed");
	if (slow && res)
		slow_summary(res, seconds);
	if (g_json && res) {
		json_sep();
		fprintf(g_json,
			"{\"kind\": \"%s\", \"impl\": \"%s\", \"rate\": %d, "
			"\"size\": %d, \"seconds\": %.1f, \"slow_us\": %lld, "
			"\"received\": %lld, \"child\": %s}",
			slow ? "slow_sink" : "rss", impl, rate, size, seconds,
			(long long)slow_us, (long long)c.received, res);
		fflush(g_json);
	}
	free(res);
	free(c.lat);
	free(c.arrive);
}

/* ---- instructions per record ------------------------------------------- */

static char g_self[4096]; /* this program's path, for valgrind */

/* Instructions valgrind counted in one run of the relay alone (a child
 * under cachegrind) moving n pre-produced records; -1 on failure. */
static double ipr_run(const char *impl, int64_t n, int size)
{
	struct gen g = { .size = size, .rate = 0, .n = n };
	char in[128], out[128], cnt[32], logf[64], line[256];
	char *argv[] = { "valgrind", "--tool=cachegrind", "--cache-sim=no",
			 "--cachegrind-out-file=/dev/null", logf, g_self,
			 "--child", (char *)impl, "--bootstrap",
			 (char *)g_addr, "--in", in, "--out", out, "--count",
			 cnt, NULL };
	double ir = -1;
	pid_t pid;
	int st, rc;
	FILE *f;
	posix_spawn_file_actions_t fa;

	topic_make(in, sizeof(in), "in");
	topic_make(out, sizeof(out), "out");
	snprintf(g.topic, sizeof(g.topic), "%s", in);
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	snprintf(cnt, sizeof(cnt), "%lld", (long long)n);
	snprintf(logf, sizeof(logf), "--log-file=/tmp/slb-vg-%d.log",
		 (int)getpid());
	/* The child's figures line is not wanted here: only the count. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "valgrind", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	waitpid(pid, &st, 0);
	f = fopen(logf + strlen("--log-file="), "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "I   refs:");
		double v = 0;

		if (!p)
			continue;
		for (p += 9; *p; p++)
			if (*p >= '0' && *p <= '9')
				v = v * 10 + (*p - '0');
		ir = v;
	}
	if (f)
		fclose(f);
	unlink(logf + strlen("--log-file="));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return ir;
}

static void measure_ipr(const int *counts, int ncounts)
{
	static const char *const impls[2] = { "sluice", "baseline" };

	if (ncounts < 2)
		return;
	printf("instructions per record (cachegrind, relay alone, 100 B): "
	       "(I(N2) - I(N1)) / (N2 - N1)\n");
	for (int k = 0; k < 2; k++) {
		double i1 = ipr_run(impls[k], counts[0], 100);
		double i2 = ipr_run(impls[k], counts[1], 100);
		double per = (i1 > 0 && i2 > 0)
				     ? (i2 - i1) / (counts[1] - counts[0])
				     : -1;

		printf("  %-9s N=%d: %.0f, N=%d: %.0f -> %.0f per record\n",
		       impls[k], counts[0], i1, counts[1], i2, per);
		if (g_json) {
			json_sep();
			fprintf(g_json,
				"{\"kind\": \"ipr\", \"impl\": \"%s\", "
				"\"size\": 100, \"counts\": [%d, %d], "
				"\"irefs\": [%.0f, %.0f], "
				"\"per_record\": %.1f}",
				impls[k], counts[0], counts[1], i1, i2, per);
			fflush(g_json);
		}
	}
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
