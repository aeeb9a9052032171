/* bench/relay/traffic.c - the relay benchmark's traffic (bench/relay.c):
 * clients with sluice's settings, fresh topics per measurement, the
 * generator that produces each record with its sequence number and
 * scheduled send time to IN, and the checker that consumes OUT and records
 * each record's latency from that schedule (bench/relay/relay.h). */
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

/* ---- client settings: sluice's defaults, io/kafka_common.c ------------ */

static void kset(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char errstr[256];

	if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		die("librdkafka conf: %s", errstr);
}

rd_kafka_conf_t *kconf(bool consumer)
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

rd_kafka_t *knew(bool consumer, rd_kafka_conf_t *c)
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
void kassign(rd_kafka_t *rk, const char *topic)
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
void topic_make(char *name, size_t n, const char *what)
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

void checker_start(struct checker *c, const char *topic, int64_t n)
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

void checker_stop(struct checker *c)
{
	atomic_store(&c->stop, true);
	pthread_join(c->th, NULL);
}

/* ---- the generator: produces to IN ------------------------------------- */

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

void *gen_main(void *arg)
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

