/* io/sink_kafka_topic.c - the topics the Kafka sink writes
 * (io/sink_kafka.c): looked for when the query starts or a row first names
 * one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/kafka_embedded.h"
#include "io/sink_kafka_internal.h"

/* Waits, at most metadataTimeout, until the cluster shows the topic of
 * rkt, so a sink that cannot write says so when the query starts (or a
 * row first names the topic), not when librdkafka gives up on the first
 * record after message.timeout.ms (5 minutes). An unreachable cluster
 * fails at once (sl_kafka_metadata). A topic created a moment ago may be
 * unknown for a while, so a missing one is looked for again until the
 * deadline. On the embedded cluster a missing topic is made (one
 * partition), as the source does, so a demo needs no setup. */
int sl_ksink_check_topic(struct ksink *ks, rd_kafka_topic_t *rkt,
			     sl_err *err)
{
	const char *name = rd_kafka_topic_name(rkt);
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_resp_err_t te = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	bool seen = false, created = false;

	for (;;) {
		const rd_kafka_metadata_t *md;
		const rd_kafka_metadata_topic_t *t;
		int64_t left = (deadline - sl_now_ns()) / 1000000;
		int tmo = left < 1 ? 1 : (int)left;
		int rc;

		/* The embedded cluster is asked for every topic: asking
		 * for this one could have the mock cluster make it, with
		 * its own partition count. Elsewhere the request is the
		 * producer's own, so a cluster that makes topics on first
		 * use makes this one now. */
		if (ks->embedded)
			rc = sl_kafka_metadata(ks->rk, &ks->ev, tmo, &md, KSINK,
					       err);
		else
			rc = sl_kafka_topic_metadata(ks->rk, &ks->ev, rkt, tmo,
						     &md, KSINK, err);
		/* A slow last look does not undo what an earlier answer
		 * said. */
		if (rc && !seen)
			return rc;
		if (rc)
			break;
		seen = true;
		t = sl_kafka_md_find(md, name);
		te = t ? t->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		if (!te && t->partition_cnt <= 0)
			te = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
		rd_kafka_metadata_destroy(md);
		if (!te)
			return 0;
		if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
		    ks->embedded && !created) {
			if (sl_kafka_embedded_topic_create(name, 1, err))
				return SL_EKAFKA;
			created = true;
			continue;
		}
		/* No permission, an invalid name: asking again will not
		 * change the answer. */
		if (te != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
		    te != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
			break;
		/* Another look only if it can still come back in time. */
		if (sl_now_ns() + 100 * 1000000 >= deadline)
			break;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		return sl_err_set(err, SL_ENOTFOUND,
				  KSINK ": topic '%s' does not exist at '%s'",
				  name, ks->bootstrap);
	return sl_err_set(err, SL_EKAFKA, KSINK ": topic '%s' at '%s': %s",
			  name, ks->bootstrap, rd_kafka_err2str(te));
}

/* The handle of the topic named by a row's topic column (not
 * NUL-terminated). Handles live until the sink ends. A topic met for the
 * first time is checked as the option's is at init (ksink_check_topic).
 * Returns NULL with err set. */
rd_kafka_topic_t *sl_ksink_topic(struct ksink *ks, const sl_value *v,
				  sl_err *err)
{
	struct ksink_topic *t;

	if (ks->last < ks->ntopics && ks->topics[ks->last].len == v->len &&
	    !memcmp(ks->topics[ks->last].name, v->v.str, v->len))
		return ks->topics[ks->last].rkt;
	for (uint32_t i = 0; i < ks->ntopics; i++)
		if (ks->topics[i].len == v->len &&
		    !memcmp(ks->topics[i].name, v->v.str, v->len)) {
			ks->last = i;
			return ks->topics[i].rkt;
		}
	if (ks->ntopics == ks->captopics) {
		uint32_t cap = ks->captopics ? ks->captopics * 2 : 8;
		void *n = realloc(ks->topics, cap * sizeof(*ks->topics));

		if (!n)
			goto nomem;
		ks->topics = n;
		ks->captopics = cap;
	}
	t = &ks->topics[ks->ntopics];
	t->name = strndup(v->v.str, v->len);
	if (!t->name)
		goto nomem;
	t->len = v->len;
	t->rkt = rd_kafka_topic_new(ks->rk, t->name, NULL);
	if (!t->rkt) {
		sl_err_set(err, SL_EKAFKA, KSINK ": topic '%s': %s", t->name,
			   rd_kafka_err2str(rd_kafka_last_error()));
		free(t->name);
		return NULL;
	}
	if (sl_ksink_check_topic(ks, t->rkt, err)) {
		rd_kafka_topic_destroy(t->rkt);
		free(t->name);
		return NULL;
	}
	ks->last = ks->ntopics++;
	return t->rkt;
nomem:
	sl_err_set(err, -ENOMEM, KSINK ": out of memory");
	return NULL;
}

