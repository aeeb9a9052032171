/* cli/bench_cluster.c - the Kafka side of `sluice bench`: the run's topics
 * (looked up in the metadata, created through the admin API on a real
 * cluster or directly on the embedded one, waited for until every
 * partition has a leader), the producer thread that sends record i at its
 * scheduled time t0 + i / rate with that time in the payload, and the
 * checker consumer's assignment at the high watermarks taken before the
 * first send. The checker's loop and the figures are in cli/bench.c. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench_internal.h"
#include "io/kafka_embedded.h"

/* ---- topics -------------------------------------------------------------- */

/* Creates the topics named (n of them) with the admin API. */
static int admin_create(struct bench *b, const char *const *names, int n)
{
	rd_kafka_NewTopic_t *nt[2] = { NULL, NULL };
	rd_kafka_AdminOptions_t *ao = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	char errstr[512];
	int rc = -1;

	for (int i = 0; i < n; i++) {
		nt[i] = rd_kafka_NewTopic_new(names[i], b->opts->partitions, -1,
					      errstr, sizeof(errstr));
		if (!nt[i]) {
			sl_bench_err("cannot create topic '%s': %s", names[i],
				     errstr);
			goto out;
		}
	}
	ao = rd_kafka_AdminOptions_new(b->producer,
				       RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(ao, SETUP_TIMEOUT_MS, errstr,
						  sizeof(errstr));
	rd_kafka_AdminOptions_set_operation_timeout(ao, SETUP_TIMEOUT_MS,
						    errstr, sizeof(errstr));
	q = rd_kafka_queue_new(b->producer);
	rd_kafka_CreateTopics(b->producer, nt, (size_t)n, ao, q);
	ev = rd_kafka_queue_poll(q, SETUP_TIMEOUT_MS + 5000);
	if (!ev) {
		sl_bench_err("creating topic '%s' at '%s' got no answer "
			     "within %d s",
			     names[0], b->bootstrap,
			     SETUP_TIMEOUT_MS / 1000 + 5);
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		sl_bench_err("cannot create topic '%s' at '%s': %s", names[0],
			     b->bootstrap, rd_kafka_event_error_string(ev));
		goto out;
	}
	{
		const rd_kafka_CreateTopics_result_t *res =
			rd_kafka_event_CreateTopics_result(ev);
		const rd_kafka_topic_result_t **tr;
		size_t cnt = 0;

		tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
		for (size_t i = 0; i < cnt; i++) {
			rd_kafka_resp_err_t e =
				rd_kafka_topic_result_error(tr[i]);

			if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				const char *s =
					rd_kafka_topic_result_error_string(
						tr[i]);
				sl_bench_err("cannot create topic '%s' at "
					     "'%s': %s",
					     rd_kafka_topic_result_name(tr[i]),
					     b->bootstrap,
					     s ? s : rd_kafka_err2str(e));
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (ao)
		rd_kafka_AdminOptions_destroy(ao);
	for (int i = 0; i < n; i++)
		if (nt[i])
			rd_kafka_NewTopic_destroy(nt[i]);
	return rc;
}

/* Makes sure the topics exist and have leaders; learns their partition
 * counts. On the embedded cluster they are simply created; on a real
 * one, missing topics are created with the admin API (unless
 * --no-create), then metadata is read until they are ready. */
int sl_bench_topics_setup(struct bench *b)
{
	const sl_bench_opts *o = b->opts;
	const char *names[2] = { o->from, o->to };
	int n = o->mode != SL_BENCH_TOPIC ? 2 : 1;
	int64_t deadline = sl_now_ns() + SETUP_TIMEOUT_MS * NS_PER_MS;
	bool created = false;
	sl_err err = { 0 };

	if (b->embedded)
		for (int i = 0; i < n; i++)
			if (sl_kafka_embedded_topic_create(
				    names[i], o->partitions, &err)) {
				sl_bench_err("%s", err.msg);
				return -1;
			}
	for (;;) {
		const rd_kafka_metadata_t *md = NULL;
		const char *missing[2];
		int nmissing = 0, notready = 0;

		if (sl_kafka_metadata(b->producer, &b->producer_events,
				      SETUP_TIMEOUT_MS, &md, BENCH, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, names[i]);

			if (!t ||
			    t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
				missing[nmissing++] = names[i];
			else if (!sl_kafka_md_ready(t))
				notready++;
			else if (i == 0)
				b->from_parts = t->partition_cnt;
			else
				b->to_parts = t->partition_cnt;
		}
		rd_kafka_metadata_destroy(md);
		if (!nmissing && !notready) {
			if (!created && b->from_parts != o->partitions)
				fprintf(b->out,
					"note: topic %s has %d partitions; "
					"--partitions applies to topics "
					"bench creates\n",
					o->from, b->from_parts);
			if (!created && n > 1 && b->to_parts != o->partitions)
				fprintf(b->out,
					"note: topic %s has %d partitions; "
					"--partitions applies to topics "
					"bench creates\n",
					o->to, b->to_parts);
			return 0;
		}
		if (nmissing && !created) {
			if (!o->create) {
				sl_bench_err("topic '%s' does not exist at "
					     "'%s' (bench creates missing "
					     "topics unless --no-create is "
					     "given)",
					     missing[0], b->bootstrap);
				return -1;
			}
			if (admin_create(b, missing, nmissing))
				return -1;
			fprintf(b->out,
				"created topic%s %s%s%s at %s, %d "
				"partition%s\n",
				nmissing > 1 ? "s" : "", missing[0],
				nmissing > 1 ? " and " : "",
				nmissing > 1 ? missing[1] : "", b->bootstrap,
				o->partitions, o->partitions > 1 ? "s" : "");
			created = true;
		}
		if (sl_now_ns() > deadline) {
			sl_bench_err("topic '%s' at '%s' is not ready (no "
				     "leader) after %d s",
				     nmissing ? missing[0] : names[0],
				     b->bootstrap, SETUP_TIMEOUT_MS / 1000);
			return -1;
		}
		sl_bench_sleep_until(sl_now_ns() + 100 * NS_PER_MS);
	}
}

/* ---- producer ------------------------------------------------------------ */

static void producer_fail(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void producer_fail(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&b->lock);
	if (!b->producer_error[0]) {
		va_start(ap, fmt);
		vsnprintf(b->producer_error, sizeof(b->producer_error), fmt,
			  ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&b->lock);
}

/* ---- keys ---------------------------------------------------------------- */

/* splitmix64: a well-mixed 64-bit hash of i, the same on every run with
 * the same run id. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Reads --payload-file (at most 16 MiB). */
static int payload_load(struct bench *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 16u << 20, n;

	if (!f) {
		sl_bench_err("--payload-file '%s': %s", path, strerror(errno));
		return -1;
	}
	b->payload = malloc(cap);
	n = b->payload ? fread(b->payload, 1, cap, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (!b->payload || bad || !n) {
		sl_bench_err("--payload-file '%s': %s", path,
			     !b->payload ? "out of memory"
			     : bad	 ? "cannot read it"
					 : "the file is empty");
		return -1;
	}
	b->payload_len = n;
	return 0;
}

uint32_t sl_bench_size(const struct bench *b, uint64_t i)
{
	const sl_bench_opts *o = b->opts;

	if (!o->size_min || o->size_min >= o->size)
		return o->size;
	return o->size_min + (uint32_t)(mix(i ^ ~b->run_id) %
					(o->size - o->size_min + 1));
}

double sl_bench_mean_size(const sl_bench_opts *o)
{
	return o->size_min && o->size_min < o->size
		       ? (o->size_min + o->size) / 2.0
		       : (double)o->size;
}

int sl_bench_keys_setup(struct bench *b)
{
	const sl_bench_opts *o = b->opts;

	if (o->payload_file && payload_load(b, o->payload_file))
		return -1;
	b->nclasses = o->keys == SL_BENCH_KEYS_NONE ? (uint32_t)b->from_parts
						    : o->nkeys;
	if (o->keys != SL_BENCH_KEYS_ZIPF)
		return 0;
	b->zipf_cdf = malloc(o->nkeys * sizeof(double));
	if (!b->zipf_cdf) {
		sl_bench_err("out of memory for %u zipf keys", o->nkeys);
		return -1;
	}
	double sum = 0;
	for (uint32_t k = 0; k < o->nkeys; k++)
		sum += 1.0 / pow((double)(k + 1), o->zipf_s);
	double acc = 0;
	for (uint32_t k = 0; k < o->nkeys; k++) {
		acc += 1.0 / pow((double)(k + 1), o->zipf_s) / sum;
		b->zipf_cdf[k] = acc;
	}
	b->zipf_cdf[o->nkeys - 1] = 1.0;
	return 0;
}

uint32_t sl_bench_key(const struct bench *b, uint64_t i)
{
	const sl_bench_opts *o = b->opts;
	uint64_t h;

	switch (o->keys) {
	case SL_BENCH_KEYS_ROUND_ROBIN: return (uint32_t)(i % o->nkeys);
	case SL_BENCH_KEYS_UNIFORM:
		return (uint32_t)(mix(i ^ b->run_id) % o->nkeys);
	case SL_BENCH_KEYS_ZIPF: {
		h = mix(i ^ b->run_id);
		double u = (double)(h >> 11) / 9007199254740992.0; /* [0,1) */
		uint32_t lo = 0, hi = o->nkeys - 1;
		while (lo < hi) { /* the first key whose cdf exceeds u */
			uint32_t mid = lo + (hi - lo) / 2;
			if (b->zipf_cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo;
	}
	default: return UINT32_MAX;
	}
}

uint32_t sl_bench_class(const struct bench *b, uint64_t i)
{
	uint32_t k = sl_bench_key(b, i);

	return k == UINT32_MAX ? (uint32_t)(i % (uint64_t)b->from_parts) : k;
}

/* Delivery reports, served by rd_kafka_poll on the producer threads. The
 * message's opaque is its send time: the acknowledgement latency. */
void sl_bench_producer_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
				   void *opaque)
{
	struct bench *b =
		(struct bench *)((char *)opaque -
				 offsetof(struct bench, producer_events));

	if (!m->err) {
		int64_t sent_ns = (int64_t)(intptr_t)m->_private;
		int64_t lat = sl_now_ns() - sent_ns;
		uint64_t seq = m->len >= SL_BENCH_HEADER
				       ? get64((const uint8_t *)m->payload + 16)
				       : 0;

		atomic_fetch_add_explicit(&b->acked, 1, memory_order_relaxed);
		pthread_mutex_lock(&b->hlock);
		sl_histogram_add(&b->pub_sec, lat, 1);
		if (seq >= b->warm_n)
			sl_histogram_add(&b->pub_all, lat, 1);
		pthread_mutex_unlock(&b->hlock);
		return;
	}
	atomic_fetch_add_explicit(&b->delivery_failed, 1, memory_order_relaxed);
	producer_fail(b, "delivery to %s [%d] failed: %s",
		      rd_kafka_topic_name(m->rkt), (int)m->partition,
		      rd_kafka_err2str(m->err));
}

/* Sends record i (scheduled at sched) from buf; 0 or the error. */
static rd_kafka_resp_err_t send_one(struct bench *b, uint8_t *buf,
				    uint32_t size, uint64_t i, int64_t sched)
{
	/* --payload-file: its bytes after the header, from a place of the
	 * file that moves with i */
	if (b->payload_len && size > SL_BENCH_HEADER) {
		size_t at = (size_t)((i * 7919) % b->payload_len);
		for (uint32_t k = SL_BENCH_HEADER; k < size; k++) {
			buf[k] = b->payload[at];
			if (++at == b->payload_len)
				at = 0;
		}
	}
	uint32_t key = sl_bench_key(b, i);
	char kbuf[16];
	int klen = 0;
	int32_t part = RD_KAFKA_PARTITION_UA;
	rd_kafka_resp_err_t e;

	if (key == UINT32_MAX)
		part = (int32_t)(i % (uint64_t)b->from_parts);
	else
		klen = snprintf(kbuf, sizeof(kbuf), "k%u", key);
	put64(buf, (uint64_t)sched);
	put64(buf + 16, i);
	for (;;) {
		int64_t now = sl_now_ns();

		e = rd_kafka_produce(b->producer_topic, part,
				     RD_KAFKA_MSG_F_COPY, buf, size,
				     klen ? kbuf : NULL, (size_t)klen,
				     (void *)(intptr_t)now)
			    ? rd_kafka_last_error()
			    : RD_KAFKA_RESP_ERR_NO_ERROR;
		if (!e) {
			pthread_mutex_lock(&b->hlock);
			sl_histogram_add(&b->delay_sec, now - sched, 1);
			if (i >= b->warm_n)
				sl_histogram_add(&b->delay_all, now - sched, 1);
			pthread_mutex_unlock(&b->hlock);
		}
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
		    atomic_load(&b->producer_stop))
			return e;
		rd_kafka_poll(b->producer, 1);
	}
}

void *sl_bench_producer_main(void *arg)
{
	struct bench_producer *pa = arg;
	struct bench *b = pa->b;
	uint32_t size = b->opts->size;
	uint32_t np = (uint32_t)b->opts->producers;
	int64_t end = b->t0 + (int64_t)((double)b->scheduled * b->interval_ns);
	uint8_t *buf = malloc(size);
	uint64_t mine = 0;

	if (!buf) {
		producer_fail(b, "out of memory");
		goto done;
	}
	/* Padding: printable, and compresses as badly as text does. */
	for (uint32_t k = SL_BENCH_HEADER; k < size; k++)
		buf[k] = (uint8_t)('a' + (k * 7) % 26);
	put64(buf + 8, b->run_id);
	for (uint64_t i = 0; i < b->scheduled; i++) {
		if (np > 1 && sl_bench_class(b, i) % np != (uint32_t)pa->index)
			continue;
		int64_t sched = b->t0 + (int64_t)((double)i * b->interval_ns);
		int64_t now = sl_now_ns();
		rd_kafka_resp_err_t e;

		if (atomic_load_explicit(&b->producer_stop,
					 memory_order_relaxed))
			break;
		if (sched > now) {
			rd_kafka_poll(b->producer, 0);
			sl_bench_sleep_until(sched);
		} else if (now - end > BEHIND_MAX_NS) {
			atomic_store(&b->behind, true);
			break;
		}
		e = send_one(b, buf, sl_bench_size(b, i), i, sched);
		if (e) {
			producer_fail(b, "cannot send to %s: %s", b->opts->from,
				      rd_kafka_err2str(e));
			break;
		}
		atomic_fetch_add_explicit(&b->sent, 1, memory_order_release);
		if ((++mine & 63) == 0)
			rd_kafka_poll(b->producer, 0);
	}
	free(buf);
done:
	/* The last thread out flushes: every record acknowledged, or give
	 * up and drop the rest. */
	if (atomic_fetch_sub(&b->producers_running, 1) == 1) {
		atomic_store(&b->send_end_ns, sl_now_ns());
		if (rd_kafka_flush(b->producer, SETUP_TIMEOUT_MS) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			char why[256];

			sl_kafka_events_last(&b->producer_events, why,
					     sizeof(why));
			producer_fail(b,
				      "%" PRIu64 " records not acknowledged "
				      "within %d s%s%s",
				      (uint64_t)rd_kafka_outq_len(b->producer),
				      SETUP_TIMEOUT_MS / 1000, *why ? ": " : "",
				      why);
			rd_kafka_purge(b->producer,
				       RD_KAFKA_PURGE_F_QUEUE |
					       RD_KAFKA_PURGE_F_INFLIGHT);
			rd_kafka_poll(b->producer, 0);
		}
		atomic_store(&b->producer_done, true);
	}
	return NULL;
}

/* ---- checker ------------------------------------------------------------- */

/* Makes checker consumer k, assigned the checked topic's partitions p
 * with p % nconsumers == k at their high watermarks, so the checkers read
 * what this run sends and nothing before. */
static int checker_make(struct bench *b, int k)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t e;
	char errstr[512], gid[64], name[64];
	sl_err err = { 0 };

	snprintf(name, sizeof(name), BENCH " (checker %d)", k);
	sl_kafka_events_init(&b->checker_events[k]);
	conf = sl_kafka_conf_new(SL_KAFKA_CONSUMER, &b->props, b->bootstrap,
				 b->embedded, &b->checker_events[k], name, &err);
	if (!conf) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	snprintf(gid, sizeof(gid), "sluice-bench-%016" PRIx64 "-%d", b->run_id,
		 k);
	if (rd_kafka_conf_set(conf, "group.id", gid, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
			      sizeof(errstr))) {
		rd_kafka_conf_destroy(conf);
		sl_bench_err("checker: %s", errstr);
		return -1;
	}
	b->checker[k] = sl_kafka_client_new(SL_KAFKA_CONSUMER, conf, name, &err);
	if (!b->checker[k]) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	rd_kafka_poll_set_consumer(b->checker[k]);
	l = rd_kafka_topic_partition_list_new(b->check_parts);
	for (int p = k; p < b->check_parts; p += b->nconsumers) {
		int64_t lo, hi;
		int64_t deadline = sl_now_ns() + SETUP_TIMEOUT_MS * NS_PER_MS;

		/* On a topic created a moment ago a broker may answer "not
		 * leader" for a while after the metadata shows a leader:
		 * ask again until the setup time is up. */
		for (;;) {
			e = rd_kafka_query_watermark_offsets(
				b->checker[k], b->check_topic, p, &lo, &hi,
				SETUP_TIMEOUT_MS);
			if ((e != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
			     e != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) ||
			    sl_now_ns() > deadline)
				break;
			sl_bench_sleep_until(sl_now_ns() + 100 * NS_PER_MS);
		}
		if (e) {
			sl_bench_err("cannot read the offsets of %s [%d] at "
				     "'%s': %s",
				     b->check_topic, p, b->bootstrap,
				     rd_kafka_err2str(e));
			rd_kafka_topic_partition_list_destroy(l);
			return -1;
		}
		rd_kafka_topic_partition_list_add(l, b->check_topic, p)
			->offset = hi;
	}
	e = rd_kafka_assign(b->checker[k], l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e) {
		sl_bench_err("cannot assign %s: %s", b->check_topic,
			     rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

int sl_bench_checker_setup(struct bench *b)
{
	/* no more consumers than partitions: one would have nothing */
	b->nconsumers = b->opts->consumers < b->check_parts
				? b->opts->consumers
				: b->check_parts;
	if (b->nconsumers < 1)
		b->nconsumers = 1;
	for (int k = 0; k < b->nconsumers; k++)
		if (checker_make(b, k))
			return -1;
	return 0;
}
