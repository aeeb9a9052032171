/* io/kafka_common.c - librdkafka configuration and client events shared by
 * the Kafka source and sink.
 *
 * sluice's defaults put latency first; every one of them can be overridden
 * by a `kafka.<property>` option, which reaches librdkafka unchanged:
 *
 *   both      socket.nagle.disable=true   a record is sent when it is ready
 *             client.id=sluice
 *   producer  linger.ms=0                 no batching delay (librdkafka's
 *                                         default is 5 ms)
 *             acks=all                    a delivery report means the record
 *                                         is in every in-sync replica: what
 *                                         the sink's commit promises
 *             enable.idempotence=true     retries neither duplicate nor
 *                                         reorder a partition's records
 *   consumer  fetch.wait.max.ms=100       a real broker answers a fetch as
 *                                         soon as fetch.min.bytes arrive, so
 *                                         the wait only bounds idle polling;
 *             fetch.wait.max.ms=1         ... but librdkafka's mock cluster
 *                                         (the embedded one) answers only
 *                                         when the wait ends: 1 ms there
 *                                         (p50 1.0 ms: docs/BENCHMARKS.md,
 *                                         "The machine")
 *             fetch.min.bytes=1
 *             fetch.error.backoff.ms=100  (librdkafka: 500)
 *             enable.auto.commit=false    offsets are committed at
 *             enable.auto.offset.store=false   checkpoints, not in between
 *             queued.max.messages.kbytes=8192  prefetch per partition
 *                                         (the source reads each partition's
 *                                         own queue, so librdkafka applies
 *                                         it per partition): its default,
 *                                         64 MiB, is what a slow sink kept
 *                                         resident; 8 fetches of
 *                                         max.partition.fetch.bytes (1 MiB)
 *                                         keep the relay's throughput
 *                                         (docs/BENCHMARKS.md, "Memory with
 *                                         a slow sink")
 *
 * Runs when a source or sink is made, never on the data path. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "io/kafka_common.h"
#include "io/kafka_embedded.h"

/* ---- events ----------------------------------------------------------- */

void sl_kafka_events_init(sl_kafka_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	pthread_mutex_init(&ev->lock, NULL);
	ev->log = sl_log_current();
}

void sl_kafka_events_destroy(sl_kafka_events *ev)
{
	pthread_mutex_destroy(&ev->lock);
}

void sl_kafka_events_last(sl_kafka_events *ev, char *buf, size_t n)
{
	pthread_mutex_lock(&ev->lock);
	snprintf(buf, n, "%s", ev->last_msg);
	pthread_mutex_unlock(&ev->lock);
}

void sl_kafka_events_note(sl_kafka_events *ev, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&ev->lock);
	va_start(ap, fmt);
	vsnprintf(ev->last_msg, sizeof(ev->last_msg), fmt, ap);
	va_end(ap);
	ev->last_err = err;
	pthread_mutex_unlock(&ev->lock);
}

/* Runs on the thread that serves the client's main queue (rd_kafka_poll).
 * Most errors librdkafka reports here are transient and it retries them
 * itself; we only remember them, to explain a later failure. */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
			   void *opaque)
{
	sl_kafka_events *ev = opaque;
	/* librdkafka before 2.6.1 repeats the client's nonce in SCRAM's
	 * final message, which Kafka 4.0 and later refuse as invalid
	 * credentials: say so, or the user hunts for a wrong password. */
	bool old_scram = err == RD_KAFKA_RESP_ERR__AUTHENTICATION &&
			 rd_kafka_version() < 0x020601ff && reason &&
			 strstr(reason, "SCRAM");

	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
		ev->auth_failed = true;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		ev->all_brokers_down = true;
	else if (old_scram)
		snprintf(ev->last_msg, sizeof(ev->last_msg),
			 "%s (librdkafka %s: SCRAM needs librdkafka 2.6.1 or "
			 "later with Kafka 4.0 or later brokers; PLAIN over "
			 "SASL_SSL works)",
			 reason ? reason : "", rd_kafka_version_str());
	else
		snprintf(ev->last_msg, sizeof(ev->last_msg), "%s",
			 reason ? reason : "");
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		ev->fatal = true;
	ev->last_err = err;
	pthread_mutex_unlock(&ev->lock);
}

/* Runs on librdkafka's own threads. Every line goes to the session's
 * logger at SL_LOG_DEBUG (the client's own chatter: what matters reaches
 * the host as an error or the status); warnings and worse are also kept
 * (a refused connection is logged, not reported as an error, before the
 * all-brokers-down event). */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
			 const char *buf)
{
	sl_kafka_events *ev = rd_kafka_opaque(rk);

	if (!ev)
		return;
	sl_log(ev->log, SL_LOG_DEBUG, "kafka %s (level %d): %s",
	       fac ? fac : "", level, buf);
	if (level > 4)
		return;
	pthread_mutex_lock(&ev->lock);
	snprintf(ev->last_msg, sizeof(ev->last_msg), "%s", buf);
	pthread_mutex_unlock(&ev->lock);
}

/* ---- configuration ---------------------------------------------------- */

const char *sl_kafka_bootstrap(const sl_kvs *kafka, bool *embedded, sl_err *err)
{
	const char *bs = sl_kvs_get(kafka, "bootstrap.servers");

	if (!bs)
		bs = sl_kvs_get(kafka, "metadata.broker.list");
	*embedded = !bs || !*bs || !strcasecmp(bs, "embedded");
	if (!*embedded)
		return bs;
	return sl_kafka_embedded_bootstrap(err);
}

struct kafka_default {
	unsigned roles; /* 1 << sl_kafka_role */
	const char *name, *value;
};

#define BOTH ((1u << SL_KAFKA_CONSUMER) | (1u << SL_KAFKA_PRODUCER))
#define CONS (1u << SL_KAFKA_CONSUMER)
#define PROD (1u << SL_KAFKA_PRODUCER)

/* The defaults explained at the top of this file. fetch.wait.max.ms is set
 * apart (it depends on the cluster). */
static const struct kafka_default kafka_defaults[] = {
	{ BOTH, "client.id", "sluice" },
	{ BOTH, "socket.nagle.disable", "true" },
	{ BOTH, "log.connection.close", "false" },
	{ PROD, "linger.ms", "0" },
	/* Kafka's Java producer (and so Spark) hashes keys with murmur2;
	 * librdkafka's default is CRC32, which puts keys elsewhere. */
	{ PROD, "partitioner", "murmur2_random" },
	{ PROD, "acks", "all" },
	{ PROD, "enable.idempotence", "true" },
	{ CONS, "fetch.min.bytes", "1" },
	{ CONS, "fetch.error.backoff.ms", "100" },
	{ CONS, "enable.auto.commit", "false" },
	{ CONS, "enable.auto.offset.store", "false" },
	{ CONS, "enable.partition.eof", "false" },
	{ CONS, "queued.max.messages.kbytes", "8192" },
	{ 0, NULL, NULL },
};

/* Properties the source manages itself, as Spark refuses the same ones for
 * its Kafka source, with what to use instead. */
static const struct {
	const char *name, *instead;
} kafka_refused[] = {
	{ "enable.auto.commit",
	  "sluice commits offsets at checkpoints; use checkpointLocation" },
	{ "enable.auto.offset.store",
	  "sluice commits offsets at checkpoints; use checkpointLocation" },
	{ "auto.offset.reset",
	  "use the option startingOffsets (and failOnDataLoss)" },
	{ NULL, NULL },
};

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		    bool user, const char *comp, sl_err *err)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	/* librdkafka's reason may quote the value too */
	if (sl_option_secret(name))
		return sl_err_set(err, SL_EOPTION,
				  "%s: option 'kafka.%s' (its value not "
				  "shown: a secret) is refused by librdkafka",
				  comp, name);
	if (user)
		return sl_err_set(err, SL_EOPTION,
				  "%s: option 'kafka.%s' = '%s': %s", comp,
				  name, value, errstr);
	return sl_err_set(err, SL_EOPTION, "%s: librdkafka refused %s=%s: %s",
			  comp, name, value, errstr);
}

rd_kafka_conf_t *sl_kafka_conf_new(sl_kafka_role role, const sl_kvs *kafka,
				   const char *bootstrap, bool embedded,
				   sl_kafka_events *ev, const char *comp,
				   sl_err *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	unsigned bit = 1u << role;

	for (const struct kafka_default *d = kafka_defaults; d->name; d++)
		if ((d->roles & bit) &&
		    conf_set(conf, d->name, d->value, false, comp, err))
			goto fail;
	if (role == SL_KAFKA_CONSUMER &&
	    conf_set(conf, "fetch.wait.max.ms", embedded ? "1" : "100", false,
		     comp, err))
		goto fail;

	for (uint32_t i = 0; kafka && i < kafka->n; i++) {
		const char *k = kafka->kv[i].key, *v = kafka->kv[i].value;

		if (!strcasecmp(k, "bootstrap.servers") ||
		    !strcasecmp(k, "metadata.broker.list"))
			continue;
		if (role == SL_KAFKA_CONSUMER)
			for (int j = 0; kafka_refused[j].name; j++)
				if (!strcasecmp(k, kafka_refused[j].name)) {
					sl_err_set(err, SL_EOPTION,
						   "%s: option 'kafka.%s' is "
						   "not supported: %s",
						   comp, k,
						   kafka_refused[j].instead);
					goto fail;
				}
		/* librdkafka's names are lower case; Spark users write
		 * them so too, and options match case-insensitively. */
		if (conf_set(conf, k, v, true, comp, err))
			goto fail;
	}
	if (conf_set(conf, "bootstrap.servers", bootstrap, false, comp, err))
		goto fail;

	snprintf(ev->bootstrap, sizeof(ev->bootstrap), "%s", bootstrap);
	rd_kafka_conf_set_opaque(conf, ev);
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

rd_kafka_t *sl_kafka_client_new(sl_kafka_role role, rd_kafka_conf_t *conf,
				const char *comp, sl_err *err)
{
	char errstr[512];
	rd_kafka_t *rk;

	rk = rd_kafka_new(role == SL_KAFKA_PRODUCER ? RD_KAFKA_PRODUCER
						    : RD_KAFKA_CONSUMER,
			  conf, errstr, sizeof(errstr));
	if (!rk) {
		/* rd_kafka_new frees conf only when it succeeds. */
		rd_kafka_conf_destroy(conf);
		sl_err_set(err, SL_EKAFKA,
			   "%s: cannot create the Kafka "
			   "client: %s",
			   comp, errstr);
	}
	return rk;
}

/* rkt NULL: every topic of the cluster; else that topic alone. */
static int kafka_metadata(rd_kafka_t *rk, sl_kafka_events *ev,
			  rd_kafka_topic_t *rkt, int timeout_ms,
			  const rd_kafka_metadata_t **md, const char *comp,
			  sl_err *err)
{
	int64_t deadline = sl_now_ns() + (int64_t)timeout_ms * 1000000;
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
	char why[256];
	bool down = false;

	*md = NULL;
	/* In slices, serving the error callback in between, so a cluster
	 * that cannot be reached fails at once instead of at the deadline. */
	for (;;) {
		int64_t left = (deadline - sl_now_ns()) / 1000000;

		if (left <= 0)
			break;
		e = rd_kafka_metadata(rk, !rkt, rkt, md,
				      left < 200 ? (int)left : 200);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			/* An answer: whatever outage set the flag is over,
			 * and a later look must not give up on it. */
			pthread_mutex_lock(&ev->lock);
			ev->all_brokers_down = ev->auth_failed = false;
			pthread_mutex_unlock(&ev->lock);
			return 0;
		}
		rd_kafka_poll(rk, 0);
		pthread_mutex_lock(&ev->lock);
		/* refused credentials: asking again will not change that */
		down = ev->all_brokers_down || ev->auth_failed;
		pthread_mutex_unlock(&ev->lock);
		if (down)
			break;
		if (e != RD_KAFKA_RESP_ERR__TIMED_OUT &&
		    e != RD_KAFKA_RESP_ERR__TRANSPORT)
			break;
	}
	sl_kafka_events_last(ev, why, sizeof(why));
	if (e == RD_KAFKA_RESP_ERR__TIMED_OUT && !down)
		return sl_err_set(err, SL_ETIMEOUT,
				  "%s: no metadata from Kafka at '%s' within "
				  "%d ms%s%s",
				  comp, ev->bootstrap, timeout_ms,
				  *why ? ": " : "", why);
	return sl_err_set(err, SL_EKAFKA, "%s: cannot reach Kafka at '%s': %s",
			  comp, ev->bootstrap,
			  *why ? why : rd_kafka_err2str(e));
}

int sl_kafka_metadata(rd_kafka_t *rk, sl_kafka_events *ev, int timeout_ms,
		      const rd_kafka_metadata_t **md, const char *comp,
		      sl_err *err)
{
	return kafka_metadata(rk, ev, NULL, timeout_ms, md, comp, err);
}

int sl_kafka_topic_metadata(rd_kafka_t *rk, sl_kafka_events *ev,
			    rd_kafka_topic_t *rkt, int timeout_ms,
			    const rd_kafka_metadata_t **md, const char *comp,
			    sl_err *err)
{
	return kafka_metadata(rk, ev, rkt, timeout_ms, md, comp, err);
}

const rd_kafka_metadata_topic_t *sl_kafka_md_find(const rd_kafka_metadata_t *md,
						  const char *name)
{
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, name))
			return &md->topics[i];
	return NULL;
}

bool sl_kafka_md_ready(const rd_kafka_metadata_topic_t *t)
{
	if (!t || t->err || t->partition_cnt <= 0)
		return false;
	for (int i = 0; i < t->partition_cnt; i++)
		if (t->partitions[i].err || t->partitions[i].leader < 0)
			return false;
	return true;
}
