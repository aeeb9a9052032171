/* bench/relay/relays.c - the two relays the benchmark measures
 * (bench/relay.c): sluice's query (kafka -> SELECT key, value -> kafka, or
 * its variants: a slow foreach sink, trigger 'continuous 100 ms' with and
 * without a checkpoint) and the minimal librdkafka consume-produce loop,
 * started and stopped alike (bench/relay/relay.h). */
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

/* ---- the relays -------------------------------------------------------- */

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

int relay_start(struct relay *r)
{
	const char *bs = g_embedded ? "embedded" : g_addr;
	static sl_sink_callbacks cb;
	sl_frame *f;

	if (strcmp(r->impl, "baseline") == 0)
		return pthread_create(&r->th, NULL, base_main, r);
	r->s = sl_session_new();
	f = sl_session_read_stream(r->s, "kafka",
			   (const char *[]){ "subscribe", r->in,
					     "startingOffsets", "earliest",
					     "kafka.bootstrap.servers", bs,
					     NULL });
	if (f)
		f = sl_frame_select(f, (const char *[]){ "key", "value",
							 NULL });
	if (f && strcmp(r->impl, "slow") == 0) {
		cb = (sl_sink_callbacks){ .size = sizeof(sl_sink_callbacks), .ud = r, .process = slow_process };
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

void relay_stop(struct relay *r)
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
	if (r->ckdir[0] && bu_rmtree(r->ckdir) != 0)
		fprintf(stderr, "relay: cannot remove %s\n", r->ckdir);
	sl_session_destroy(r->s);
}

