/* io/sink_kafka.c - the Kafka sink (format "kafka"), Spark's Kafka sink
 * with its option and column names.
 *
 * Rows: `value` (STRING or BINARY, required); optionally `key` (STRING or
 * BINARY), `topic` (STRING; the option `topic` wins, as in Spark),
 * `partition` (INT), `headers` (ARRAY<STRUCT<key: STRING, value: BINARY>>)
 * and, with writeTimestamp, `timestamp`. Other columns are ignored.
 *
 * One producer per sink, driven from the sink thread only. Payloads are not
 * copied: each message points into the record vector, and write() keeps
 * the vector (returns 1) until librdkafka has reported the delivery of
 * every message of it; the delivery callback, served on the sink thread
 * by rd_kafka_poll, then frees it. A delivery failure fails the sink,
 * naming the topic, the partition and librdkafka's reason.
 *
 * Durability (acks=all by default: in every in-sync replica), so that a
 * checkpoint never names a record Kafka could still lose:
 *   - micro-batch: commit(batch) returns once every message written
 *     before it is delivered;
 *   - continuous: commit(epoch) only notes that the epoch is closed;
 *     durable() serves the delivery reports come and says which closed
 *     epoch has no message in flight, so an epoch boundary never stops
 *     the record path (librdkafka wakes the sink thread: ksink_queue_cb).
 *
 * deliveryGuarantee 'exactly-once' (io/sink_kafka_txn.c): every batch,
 * and every epoch or run of epochs, is one Kafka transaction, begun before
 * its first record; its commit waits for every delivery, adds the
 * source's offsets of the epoch (sl_sink.epoch_end) to the transaction and
 * commits it, so read_committed consumers see each epoch's output whole
 * or not at all, and the consumer group's offsets move with it. Epochs
 * shorter than a commit share a transaction (ksink_txn_due). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/sink_kafka_internal.h"

static const char *const ksink_guarantees[] = { "at-least-once",
						"exactly-once", NULL };

static const sl_opt_def ksink_options[] = {
	{
		.name = "topic",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksink_conf, topic),
		.desc = "Topic every row is written to; without it, each row's "
			"topic column says.",
	},
	{
		.name = "deliveryGuarantee",
		.type = SL_OPT_ENUM,
		.offset = offsetof(struct ksink_conf, guarantee),
		.def = "at-least-once",
		.allowed = ksink_guarantees,
		.desc = "at-least-once: after a crash the records of the "
			"epochs not yet checkpointed are written again. "
			"exactly-once (sluice; not in Spark): a query that "
			"reads Kafka (manual partitionAssignment, "
			"kafka.group.id) writes each epoch or batch in one "
			"Kafka transaction with the source's offsets, so a "
			"read_committed consumer sees every record once "
			"across crashes and restarts; output is visible "
			"when its epoch commits (docs/KAFKA.md).",
	},
	{
		.name = "metadataTimeout",
		.type = SL_OPT_DURATION,
		.offset = offsetof(struct ksink_conf, metadata_timeout_ms),
		.min = 1,
		.max = 3600000,
		.def = "10 seconds",
		.desc = "How long starting the query waits for the cluster to "
			"show the topic, and a row's topic column for a topic "
			"not seen before (sluice; not in Spark). An "
			"unreachable cluster fails sooner.",
	},
	{
		.name = "writeTimestamp",
		.type = SL_OPT_BOOL,
		.offset = offsetof(struct ksink_conf, write_timestamp),
		.def = "false",
		.desc = "Write the timestamp column (TIMESTAMP) as each "
			"record's CreateTime (sluice; Spark's sink, and a null "
			"timestamp, write the time of the write).",
	},
	{
		.name = "createTopics",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksink_conf, create_topics),
		.desc = "Make the topics the query writes, when missing, "
			"before it starts, with the partition counts of the "
			"Kafka source's topics (sluice; not in Spark): a name "
			"holding '${topic}' (mirror.${topic}, as sluice "
			"relay's --to) is one topic per source topic, with "
			"that topic's partitions; a plain name is one topic "
			"with the most partitions of any source topic. "
			"Topics that exist are left as they are.",
	},
	{
		.name = "createTopicsReplicationFactor",
		.type = SL_OPT_INT,
		.offset = offsetof(struct ksink_conf, create_rf),
		.min = -1,
		.max = 32767,
		.def = "-1",
		.desc = "Replicas of each topic createTopics makes; -1: the "
			"cluster's default.replication.factor.",
	},
	{
		.name = "kafka.",
		.type = SL_OPT_PREFIX,
		.offset = offsetof(struct ksink_conf, kafka),
		.desc = "Any librdkafka producer property, prefix removed: "
			"kafka.bootstrap.servers (absent or 'embedded': the "
			"embedded cluster), kafka.acks, kafka.linger.ms, "
			"kafka.compression.type, ...",
	},
	{ .name = NULL },
};

static struct ksink *ksink_of(void *opaque)
{
	return (struct ksink *)((char *)opaque - offsetof(struct ksink, ev));
}

/* The first failure sticks: later calls return it. */
static void ksink_failf(struct ksink *ks, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ksink_failf(struct ksink *ks, int code, const char *fmt, ...)
{
	va_list ap;

	if (ks->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(ks->fail.msg, sizeof(ks->fail.msg), fmt, ap);
	va_end(ap);
	ks->fail.code = code;
	ks->failed = true;
}

static int ksink_error(sl_sink *sk)
{
	struct ksink *ks = sk->state;

	/* Whatever call met it first (a delivery, a commit), a fenced
	 * producer is what the user must hear of. */
	if (ks->eos && ks->rk)
		sl_ktxn_fenced(&ks->txn, &ks->fail);
	sk->err = ks->fail;
	return ks->fail.code;
}

/* A fatal producer error (the idempotent producer lost its guarantees)
 * ends the sink. */
static bool ksink_check_fatal(struct ksink *ks)
{
	char why[512];
	bool fatal;

	pthread_mutex_lock(&ks->ev.lock);
	fatal = ks->ev.fatal;
	pthread_mutex_unlock(&ks->ev.lock);
	if (fatal && rd_kafka_fatal_error(ks->rk, why, sizeof(why)))
		ksink_failf(ks, SL_EKAFKA, KSINK ": the producer failed: %s",
			    why);
	return ks->failed;
}

static void track_unlink(struct ksink_track *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
}

/* Delivery report of one message, on the sink thread (rd_kafka_poll). */
static void ksink_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct ksink *ks = ksink_of(opaque);
	struct ksink_track *t = m->_private;

	if (m->err)
		ks->delivery_errors++;
	if (m->err && !ks->failed) {
		char why[256], tail[300] = "";

		/* "Message timed out" alone does not say why; what
		 * librdkafka last reported (a refused connection, ...)
		 * does. */
		sl_kafka_events_last(&ks->ev, why, sizeof(why));
		if (*why)
			snprintf(tail, sizeof(tail),
				 " (librdkafka last reported: %s)", why);
		ksink_failf(ks, SL_EKAFKA,
			    KSINK ": delivery to topic '%s' partition %d "
				  "failed: %s%s",
			    rd_kafka_topic_name(m->rkt), (int)m->partition,
			    rd_kafka_err2str(m->err), tail);
	}
	ks->outstanding--;
	if (--t->outstanding == 0 && t->sealed) {
		track_unlink(t);
		sl_batch_free(t->b);
		free(t);
	}
}

/* Runs on a librdkafka thread when an event (a delivery report, mostly)
 * lands on the producer's empty main queue: wakes the sink thread, which
 * serves the queue in durable(). It only reads the sink's wake and
 * wake_arg, which the engine set before init and so before librdkafka's
 * threads existed, and the waker is thread-safe; librdkafka's own calls
 * are forbidden here. */
static void ksink_queue_cb(rd_kafka_t *rk, void *opaque)
{
	const sl_sink *sk = opaque;

	sk->wake(sk->wake_arg);
}

/* ---- init --------------------------------------------------------------- */

static bool is_bytes(const sl_dtype *t)
{
	return t->id == SL_STRING || t->id == SL_BINARY;
}

static bool is_headers(const sl_dtype *t)
{
	const sl_schema *f;

	if (t->id != SL_ARRAY || !t->elem || t->elem->id != SL_STRUCT)
		return false;
	f = t->elem->fields;
	return f && f->n == 2 && f->fields[0].type->id == SL_STRING &&
	       is_bytes(f->fields[1].type);
}

/* Finds the Spark columns and checks their types. */
static int ksink_columns(sl_sink *sk, struct ksink *ks, sl_err *err)
{
	const sl_schema *s = sk->schema;
	static const struct {
		const char *name;
		size_t off;
		const char *want;
	} cols[] = {
		{ "key", offsetof(struct ksink, key), "STRING or BINARY" },
		{ "value", offsetof(struct ksink, value), "STRING or BINARY" },
		{ "topic", offsetof(struct ksink, topic), "STRING" },
		{ "partition", offsetof(struct ksink, partition), "INT" },
		{ "headers", offsetof(struct ksink, headers),
		  "ARRAY<STRUCT<key: STRING, value: BINARY>>" },
	};

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		int *slot = (int *)((char *)ks + cols[i].off);
		int c = s ? sl_schema_find(s, cols[i].name,
					   strlen(cols[i].name))
			  : -1;
		const sl_dtype *t;
		bool ok;

		*slot = c;
		if (c < 0)
			continue;
		t = s->fields[c].type;
		switch (i) {
		case 0:
		case 1: ok = is_bytes(t); break;
		case 2: ok = t->id == SL_STRING; break;
		case 3: ok = t->id == SL_INT; break;
		default: ok = is_headers(t); break;
		}
		if (!ok) {
			char tn[128];

			sl_dtype_name(t, tn, sizeof(tn));
			return sl_err_set(err, SL_EANALYSIS,
					  KSINK ": column '%s' is %s; it must "
						"be %s",
					  cols[i].name, tn, cols[i].want);
		}
	}
	ks->timestamp = -1;
	if (((const struct ksink_conf *)sk->conf)->write_timestamp &&
	    ((ks->timestamp = s ? sl_schema_find(s, "timestamp", 9) : -1) < 0 ||
	     s->fields[ks->timestamp].type->id != SL_TIMESTAMP))
		return sl_err_set(err, SL_EANALYSIS,
				  KSINK ": option writeTimestamp = true needs "
					"a column 'timestamp' (TIMESTAMP)");
	if (ks->value < 0)
		return sl_err_set(err, SL_EANALYSIS,
				  KSINK ": the rows need a 'value' column "
					"(STRING or BINARY); e.g. select "
					"\"CAST(value AS STRING) AS value\"");
	return 0;
}

static void ksink_destroy(sl_sink *sk);

/* The longest librdkafka may take to report a message: its
 * message.timeout.ms. The sink never waits much longer than that. */
static int64_t conf_msg_timeout(rd_kafka_conf_t *conf)
{
	char buf[64];
	size_t n = sizeof(buf);

	if (rd_kafka_conf_get(conf, "message.timeout.ms", buf, &n) !=
	    RD_KAFKA_CONF_OK)
		return 300000;
	return strtoll(buf, NULL, 10);
}

/* librdkafka's statistics (JSON), served by rd_kafka_poll on the sink
 * thread: the retries of every broker's requests, summed. */
static int ksink_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct ksink *ks = ksink_of(opaque);
	json_t *j = json_loadb(json, len, 0, NULL);
	json_t *b = json_object_get(j, "brokers");
	uint64_t n = 0;

	for (void *it = json_object_iter(b); it;
	     it = json_object_iter_next(b, it))
		n += (uint64_t)json_integer_value(
			json_object_get(json_object_iter_value(it), "txretries"));
	if (j)
		ks->retries = n;
	json_decref(j);
	return 0; /* librdkafka frees json */
}

/* sl_sink_ops.stats */
static void ksink_stats(sl_sink *sk, sl_sink_stats *out)
{
	const struct ksink *ks = sk->state;

	out->delivery_errors = ks->delivery_errors;
	out->retries = ks->retries;
}

static int ksink_init(sl_sink *sk, sl_err *err)
{
	const struct ksink_conf *c = sk->conf;
	rd_kafka_conf_t *conf;
	struct ksink *ks;
	int rc;

	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return sl_err_set(err, -ENOMEM, KSINK ": out of memory");
	sl_kafka_events_init(&ks->ev);
	ks->live.prev = ks->live.next = &ks->live;
	ks->closed = -1;
	ks->pend_epoch = -1;
	sk->state = ks;
	if ((rc = ksink_columns(sk, ks, err)))
		goto fail;
	if (!c->topic && ks->topic < 0) {
		rc = sl_err_set(err, SL_EOPTION,
				KSINK ": no topic: set the option 'topic' or "
				      "give the rows a 'topic' column");
		goto fail;
	}
	ks->timeout_ms = (int)c->metadata_timeout_ms;
	ks->bootstrap = sl_kafka_bootstrap(&c->kafka, &ks->embedded, err);
	if (!ks->bootstrap) {
		rc = SL_EKAFKA;
		goto fail;
	}
	conf = sl_kafka_conf_new(SL_KAFKA_PRODUCER, &c->kafka, ks->bootstrap,
				 ks->embedded, &ks->ev, KSINK, err);
	if (!conf) {
		rc = SL_EOPTION;
		goto fail;
	}
	ks->max_wait_ms = conf_msg_timeout(conf) + 30000;
	rd_kafka_conf_set_dr_msg_cb(conf, ksink_dr_cb);
	/* The producer's retries, for the metrics: librdkafka counts them
	 * only in its statistics (every second unless told otherwise). */
	rd_kafka_conf_set_stats_cb(conf, ksink_stats_cb);
	if (!sl_kvs_get(&c->kafka, "statistics.interval.ms")) {
		char errstr[256];

		rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", errstr,
				  sizeof(errstr));
	}
	ks->eos = c->guarantee == KSINK_EXACTLY_ONCE;
	if (ks->eos && (rc = sl_ktxn_conf(&ks->txn, sk, &c->kafka, c->topic,
					  conf, KSINK_TXN_OP_MS, err))) {
		rd_kafka_conf_destroy(conf);
		goto fail;
	}
	ks->rk = sl_kafka_client_new(SL_KAFKA_PRODUCER, conf, KSINK, err);
	if (!ks->rk) {
		rc = SL_EKAFKA;
		goto fail;
	}
	/* Before any partition opens (engine/query.c inits the sink first):
	 * what a crashed run left open is aborted, so the group's offsets
	 * the partitions start at are stable. */
	if (ks->eos &&
	    (rc = sl_ktxn_start(&ks->txn, ks->rk, ks->bootstrap, err)))
		goto fail;
	/* Continuous: the sink thread parks between records, and a
	 * delivery report must bring it back to move durable() on.
	 * Micro-batch commits wait in rd_kafka_flush and need no wake. */
	if (sk->continuous && sk->wake) {
		ks->mainq = rd_kafka_queue_get_main(ks->rk);
		rd_kafka_queue_cb_event_enable(ks->mainq, ksink_queue_cb, sk);
	}
	if ((rc = sl_ksink_create_topics(sk, ks, err)))
		goto fail;
	if (c->topic) {
		ks->fixed = rd_kafka_topic_new(ks->rk, c->topic, NULL);
		if (!ks->fixed) {
			rc = sl_err_set(
				err, SL_EKAFKA, KSINK ": topic '%s': %s",
				c->topic,
				rd_kafka_err2str(rd_kafka_last_error()));
			goto fail;
		}
		if ((rc = sl_ksink_check_topic(ks, ks->fixed, err)))
			goto fail;
	}
	return 0;
fail:
	ksink_destroy(sk);
	return rc;
}

/* ---- write ----------------------------------------------------------------
 */

/* Rows that cannot be written are refused before any is produced, so a
 * bad row never leaves half a vector in flight. */
static int ksink_check_rows(sl_sink *sk, struct ksink *ks, const sl_batch *b)
{
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);

		if (!ks->fixed && sl_v_is_null(&row[ks->topic]))
			return sl_err_set(&sk->err, SL_EINVAL,
					  KSINK
					  ": a row has a null topic and "
					  "the option 'topic' is not set");
		if (ks->partition >= 0 && !sl_v_is_null(&row[ks->partition]) &&
		    row[ks->partition].v.i32 < 0)
			return sl_err_set(&sk->err, SL_EINVAL,
					  KSINK ": a row has partition %d",
					  row[ks->partition].v.i32);
	}
	return 0;
}

/* A row's headers, copied by librdkafka (headers are small). */
static rd_kafka_headers_t *row_headers(const sl_value *v)
{
	rd_kafka_headers_t *h;

	if (sl_v_is_null(v) || !v->len)
		return NULL;
	h = rd_kafka_headers_new(v->len);
	for (uint32_t i = 0; i < v->len; i++) {
		const sl_value *f = v->v.arr[i].v.fields;

		if (sl_v_is_null(&v->v.arr[i]) || sl_v_is_null(&f[0]))
			continue;
		rd_kafka_header_add(h, f[0].v.str, f[0].len,
				    sl_v_is_null(&f[1]) ? NULL : f[1].v.bin,
				    sl_v_is_null(&f[1]) ? 0 : f[1].len);
	}
	return h;
}

/* Produces one row; waits (serving delivery reports) while librdkafka's
 * queue is full, never longer than max_wait_ms. Returns 0 or < 0 with the
 * failure recorded. */
static int ksink_produce(struct ksink *ks, const sl_value *row,
			 struct ksink_track *t)
{
	const sl_value *k = ks->key >= 0 ? &row[ks->key] : NULL;
	const sl_value *v = &row[ks->value];
	rd_kafka_topic_t *rkt = ks->fixed;
	int32_t part = RD_KAFKA_PARTITION_UA;
	int64_t deadline = 0;
	rd_kafka_resp_err_t e;
	sl_err terr;

	if (!rkt && !(rkt = sl_ksink_topic(ks, &row[ks->topic], &terr))) {
		ksink_failf(ks, terr.code, "%s", terr.msg);
		return terr.code;
	}
	if (ks->partition >= 0 && !sl_v_is_null(&row[ks->partition]))
		part = row[ks->partition].v.i32;
	if (k && sl_v_is_null(k))
		k = NULL;
	if (sl_v_is_null(v))
		v = NULL;
	const sl_value *tv = ks->timestamp >= 0 ? &row[ks->timestamp] : NULL;
	int64_t ts_ms = tv && !sl_v_is_null(tv) ? tv->v.i64 / 1000 : 0;
	for (;;) {
		/* Flags 0: no copy, librdkafka points at the vector's bytes
		 * until the delivery report, and the track keeps the vector
		 * alive that long. */
		if (ks->headers >= 0 || ks->timestamp >= 0) {
			rd_kafka_headers_t *h =
				ks->headers >= 0 ? row_headers(&row[ks->headers])
						 : NULL;

			e = rd_kafka_producev(
				ks->rk, RD_KAFKA_V_RKT(rkt),
				RD_KAFKA_V_PARTITION(part),
				RD_KAFKA_V_MSGFLAGS(0),
				RD_KAFKA_V_VALUE(v ? (void *)v->v.bin : NULL,
						 v ? v->len : 0),
				RD_KAFKA_V_KEY(k ? (void *)k->v.bin : NULL,
					       k ? k->len : 0),
				RD_KAFKA_V_TIMESTAMP(ts_ms > 0 ? ts_ms : 0),
				RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(t),
				RD_KAFKA_V_END);
			/* On success librdkafka owns h. */
			if (e && h)
				rd_kafka_headers_destroy(h);
		} else {
			e = rd_kafka_produce(
				    rkt, part, 0, v ? (void *)v->v.bin : NULL,
				    v ? v->len : 0, k ? k->v.bin : NULL,
				    k ? k->len : 0, t)
				    ? rd_kafka_last_error()
				    : RD_KAFKA_RESP_ERR_NO_ERROR;
		}
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* Backpressure from librdkafka: serve delivery reports
		 * until there is room; a dead cluster ends in delivery
		 * failures (message.timeout.ms), not an endless wait. */
		if (!deadline)
			deadline = sl_now_ns() + ks->max_wait_ms * 1000000;
		if (sl_now_ns() > deadline) {
			ksink_failf(ks, SL_ETIMEOUT,
				    KSINK ": the producer queue stayed full "
					  "for %lld ms",
				    (long long)ks->max_wait_ms);
			return SL_ETIMEOUT;
		}
		rd_kafka_poll(ks->rk, 10);
		if (ksink_check_fatal(ks))
			return ks->fail.code;
	}
	if (e) {
		char where[32] = "";

		if (part != RD_KAFKA_PARTITION_UA)
			snprintf(where, sizeof(where), " partition %d",
				 (int)part);
		ksink_failf(ks, SL_EKAFKA,
			    KSINK ": cannot produce to topic '%s'%s: %s",
			    rd_kafka_topic_name(rkt), where,
			    rd_kafka_err2str(e));
		return SL_EKAFKA;
	}
	t->outstanding++;
	ks->outstanding++;
	return 0;
}

/* After a failure in the middle of a vector: its messages already queued
 * point into it, and the caller frees it when write fails. Purge them and
 * wait (bounded) for their reports, so none is left pointing at freed
 * memory. Returns true if none is left in flight. */
static bool ksink_recall(struct ksink *ks, struct ksink_track *t)
{
	int64_t deadline = sl_now_ns() + 10000LL * 1000000;

	rd_kafka_purge(ks->rk,
		       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	while (t->outstanding && sl_now_ns() < deadline)
		rd_kafka_poll(ks->rk, 10);
	return t->outstanding == 0;
}

static int ksink_write(sl_sink *sk, sl_batch *b)
{
	struct ksink *ks = sk->state;
	struct ksink_track *t;
	int rc = 0;

	if (ks->failed || ksink_check_fatal(ks))
		return ksink_error(sk);
	if (!b->nrows)
		return 0;
	if ((rc = ksink_check_rows(sk, ks, b)))
		return rc;
	if (ks->eos && (rc = sl_ktxn_begin(&ks->txn, b->epoch, &ks->fail))) {
		ks->failed = true;
		return ksink_error(sk);
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return sl_err_set(&sk->err, -ENOMEM, KSINK ": out of memory");
	ks->wrote_since = ks->pend_epoch >= 0;
	t->b = b;
	t->epoch = b->epoch;
	t->since_ns = sl_now_ns();
	t->next = &ks->live;
	t->prev = ks->live.prev;
	t->prev->next = t;
	ks->live.prev = t;

	for (uint32_t r = 0; r < b->nrows && !rc; r++)
		rc = ksink_produce(ks, sl_batch_row(b, r), t);
	if (rc && t->outstanding && !ksink_recall(ks, t)) {
		/* Still in flight: keep the vector until the reports come
		 * (the sink has failed; the next call says so). */
		t->sealed = true;
		return 1;
	}
	if (rc || !t->outstanding) {
		track_unlink(t);
		free(t);
		return rc ? ksink_error(sk) : 0;
	}
	t->sealed = true;
	/* Serve the reports that are in: frees earlier vectors, never this
	 * one's bytes before its last report. */
	rd_kafka_poll(ks->rk, 0);
	return 1;
}

/* Micro-batch: every message written so far is delivered (or failed).
 * Continuous: the epoch is closed; durable() tells when it is
 * delivered. */
static int ksink_commit_txn(sl_sink *sk, struct ksink *ks, int64_t epoch);

/* Waits until every message written so far is delivered or failed,
 * serving delivery reports, at most max_wait_ms; a wait that runs out
 * fails the sink. */
static void ksink_drain(struct ksink *ks, int64_t epoch)
{
	int64_t deadline = sl_now_ns() + ks->max_wait_ms * 1000000;

	while (ks->outstanding && !ks->failed) {
		if (sl_now_ns() > deadline) {
			ksink_failf(ks, SL_ETIMEOUT,
				    KSINK ": epoch %lld: %llu messages not "
					  "delivered after %lld ms",
				    (long long)epoch,
				    (unsigned long long)ks->outstanding,
				    (long long)ks->max_wait_ms);
			break;
		}
		rd_kafka_flush(ks->rk, 100);
		ksink_check_fatal(ks);
	}
}

static int ksink_commit(sl_sink *sk, int64_t epoch)
{
	struct ksink *ks = sk->state;

	if (ks->eos)
		return ksink_commit_txn(sk, ks, epoch);
	if (sk->continuous) {
		if (ks->failed || ksink_check_fatal(ks))
			return ksink_error(sk);
		ks->closed = epoch;
		return 0;
	}
	ksink_drain(ks, epoch);
	if (ks->failed)
		return ksink_error(sk);
	return 0;
}

/* exactly-once: every message written so far delivered (a failed one
 * fails the epoch and aborts its transaction), then the offsets ends and
 * the commit: epoch and every epoch before it are visible to read_committed
 * consumers once this returns. */
static int ksink_txn_commit(sl_sink *sk, struct ksink *ks, int64_t epoch,
			    const int64_t *ends)
{
	int64_t t0 = sl_now_ns();

	ksink_drain(ks, epoch);
	if (!ks->failed && sl_ktxn_commit(&ks->txn, epoch, ends, &ks->fail))
		ks->failed = true;
	if (ks->failed) {
		sl_ktxn_abort(&ks->txn);
		return ksink_error(sk);
	}
	ks->closed = epoch;
	ks->pend_epoch = -1;
	ks->txn_end_ns = sl_now_ns();
	ks->txn_cost_ns = ks->txn_end_ns - t0;
	return 0;
}

/* Continuous: whether the pending epoch's transaction may commit now.
 * Each commit costs a few milliseconds (deliveries, then two requests to
 * the coordinators), and with epochs as short as that, committing each
 * one would make the sink thread the bottleneck: the rings fill with
 * markers and records wait behind them. So a transaction commits only
 * once the time since the last commit is at least what the last one took
 * (the sink spends at most about half its time committing); until then
 * the closed epochs stay in the open transaction and the next commit
 * covers them all. With cheap commits every epoch gets its own. */
static bool ksink_txn_due(const struct ksink *ks)
{
	/* One slow commit (a coordinator moving) does not hold the output
	 * back that long again: at most a second. */
	int64_t pace = ks->txn_cost_ns < 1000000000 ? ks->txn_cost_ns
						    : 1000000000;

	return sl_now_ns() - ks->txn_end_ns >= pace;
}

/* exactly-once, both modes. Micro-batch: the batch is one transaction,
 * committed here. Continuous: the epoch is closed and its ends kept; its
 * transaction commits here when due (ksink_txn_due), else at a later
 * commit() or, when no row has come since, in durable(). */
static int ksink_commit_txn(sl_sink *sk, struct ksink *ks, int64_t epoch)
{
	uint32_t n = ks->txn.n;

	if (!sk->epoch_end) {
		ksink_failf(ks, SL_EINVAL,
			    KSINK ": deliveryGuarantee 'exactly-once': the "
				  "engine gave no source offsets for epoch "
				  "%lld",
			    (long long)epoch);
		sl_ktxn_abort(&ks->txn);
		return ksink_error(sk);
	}
	if (ks->failed || ksink_check_fatal(ks)) {
		sl_ktxn_abort(&ks->txn);
		return ksink_error(sk);
	}
	if (!sk->continuous)
		return ksink_txn_commit(sk, ks, epoch, sk->epoch_end);
	if (!ks->pend_end &&
	    !(ks->pend_end = malloc((n ? n : 1) * sizeof(int64_t)))) {
		ksink_failf(ks, -ENOMEM, KSINK ": out of memory");
		return ksink_error(sk);
	}
	memcpy(ks->pend_end, sk->epoch_end, n * sizeof(int64_t));
	ks->pend_epoch = epoch;
	ks->wrote_since = false;
	if (!ksink_txn_due(ks))
		return 0;
	return ksink_txn_commit(sk, ks, epoch, ks->pend_end);
}

/* Continuous: serves the delivery reports that have arrived (which frees
 * delivered vectors and unlinks their tracks) and reports the newest
 * closed epoch with no message in flight: the epoch before the oldest
 * track's, or the last closed one when nothing is in flight. A message
 * librdkafka has not reported within max_wait_ms fails the sink, as the
 * blocking commit does; librdkafka's message.timeout.ms normally reports
 * it as failed well before. */
static int ksink_durable(sl_sink *sk, int64_t *epoch)
{
	struct ksink *ks = sk->state;
	struct ksink_track *t;

	rd_kafka_poll(ks->rk, 0);
	if (ks->failed || ksink_check_fatal(ks))
		return ksink_error(sk);
	/* exactly-once: a pending epoch with nothing after it in its
	 * transaction (the stream paused, or ended) commits when due. */
	if (ks->eos && ks->pend_epoch >= 0 && !ks->wrote_since &&
	    ksink_txn_due(ks) &&
	    ksink_txn_commit(sk, ks, ks->pend_epoch, ks->pend_end) < 0)
		return ksink_error(sk);
	t = ks->live.next;
	if (t == &ks->live) {
		*epoch = ks->closed;
		return 0;
	}
	if (sl_now_ns() - t->since_ns > ks->max_wait_ms * 1000000) {
		ksink_failf(ks, SL_ETIMEOUT,
			    KSINK ": epoch %lld: %llu messages not "
				  "delivered after %lld ms",
			    (long long)t->epoch,
			    (unsigned long long)ks->outstanding,
			    (long long)ks->max_wait_ms);
		return ksink_error(sk);
	}
	*epoch = t->epoch - 1 < ks->closed ? t->epoch - 1 : ks->closed;
	return 0;
}

static void ksink_destroy(sl_sink *sk)
{
	struct ksink *ks = sk->state;

	if (!ks)
		return;
	if (ks->mainq) {
		/* No more wakes: the query that owns the waker ends. */
		rd_kafka_queue_cb_event_enable(ks->mainq, NULL, NULL);
		rd_kafka_queue_destroy(ks->mainq);
	}
	if (ks->rk && ks->eos) {
		/* A stop without a last commit: what the open transaction
		 * holds is dropped (a restart writes it again). */
		sl_ktxn_abort(&ks->txn);
	}
	if (ks->rk) {
		/* Normally commit has drained everything. After a failure,
		 * or a stop without a last commit, give what is in flight a
		 * moment, then drop it: reports for purged messages free
		 * their vectors. */
		if (ks->outstanding && !ks->failed)
			rd_kafka_flush(ks->rk, 5000);
		if (ks->outstanding) {
			rd_kafka_purge(ks->rk,
				       RD_KAFKA_PURGE_F_QUEUE |
					       RD_KAFKA_PURGE_F_INFLIGHT);
			rd_kafka_flush(ks->rk, 1000);
		}
		if (ks->fixed)
			rd_kafka_topic_destroy(ks->fixed);
		for (uint32_t i = 0; i < ks->ntopics; i++) {
			rd_kafka_topic_destroy(ks->topics[i].rkt);
			free(ks->topics[i].name);
		}
		rd_kafka_destroy(ks->rk);
	}
	/* librdkafka is gone: whatever it still pointed at can go too. */
	while (ks->live.next != &ks->live) {
		struct ksink_track *t = ks->live.next;

		track_unlink(t);
		sl_batch_free(t->b);
		free(t);
	}
	free(ks->topics);
	sl_ktxn_destroy(&ks->txn);
	free(ks->pend_end);
	sl_kafka_events_destroy(&ks->ev);
	free(ks);
	sk->state = NULL;
}

const sl_sink_ops sl_sink_kafka = {
	.name = "kafka",
	.description = "Writes rows to Kafka (Spark's Kafka sink): value, "
		       "and optionally key, topic, partition, headers "
		       "columns. Not copied; an epoch is checkpointed once "
		       "Kafka has acknowledged every record of it.",
	.options = ksink_options,
	.conf_size = sizeof(struct ksink_conf),
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |
		 SL_MODE_BIT(SL_MODE_COMPLETE),
	.continuous = true,
	.init = ksink_init,
	.write = ksink_write,
	.commit = ksink_commit,
	.destroy = ksink_destroy,
	.durable = ksink_durable,
	.stats = ksink_stats,
};
