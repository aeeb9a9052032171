/* io/sink_kafka_topic.c - the topics the Kafka sink writes
 * (io/sink_kafka.c): looked for when the query starts or a row first names
 * one; made before the query starts with createTopics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
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


/* ---- createTopics ---------------------------------------------------------- */

/* The most topics createTopics makes at once: a source reading more
 * topics than this is refused rather than half served. */
#define KSINK_CREATE_MAX 256

/* Makes topics names[0..n) with parts[i] partitions (one CreateTopics
 * request); those that exist already are left alone. */
static int create_topics(struct ksink *ks, char **names, const int32_t *parts,
			 int n, int rf, sl_err *err)
{
	rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof(*nt));
	rd_kafka_queue_t *q = rd_kafka_queue_new(ks->rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(
		ks->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_event_t *ev = NULL;
	char errstr[256];
	int rc = 0;

	if (!nt || !q || !o) {
		rc = sl_err_set(err, -ENOMEM, KSINK ": out of memory");
		goto out;
	}
	rd_kafka_AdminOptions_set_request_timeout(o, ks->timeout_ms, errstr,
						  sizeof(errstr));
	for (int i = 0; i < n; i++) {
		nt[i] = rd_kafka_NewTopic_new(names[i], parts[i], rf, errstr,
					      sizeof(errstr));
		if (!nt[i]) {
			rc = sl_err_set(err, SL_EOPTION,
					KSINK ": option 'createTopics': topic "
					      "'%s': %s",
					names[i], errstr);
			goto out;
		}
	}
	rd_kafka_CreateTopics(ks->rk, nt, (size_t)n, o, q);
	ev = rd_kafka_queue_poll(q, ks->timeout_ms + 1000);
	if (!ev || rd_kafka_event_error(ev)) {
		rc = sl_err_set(err, SL_EKAFKA,
				KSINK ": cannot create topics at '%s': %s",
				ks->bootstrap,
				ev ? rd_kafka_event_error_string(ev)
				   : "no answer");
		goto out;
	}
	size_t cnt = 0;
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &cnt);
	for (size_t i = 0; i < cnt && !rc; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
		const char *name = rd_kafka_topic_result_name(res[i]);

		if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			continue;
		if (e) {
			rc = sl_err_set(err, SL_EKAFKA,
					KSINK ": cannot create topic '%s' at "
					      "'%s': %s",
					name, ks->bootstrap,
					rd_kafka_topic_result_error_string(
						res[i]));
			break;
		}
		for (int k = 0; k < n; k++)
			if (!strcmp(names[k], name))
				sl_log(ks->ev.log, SL_LOG_INFO,
				       KSINK ": created topic '%s' with %d "
					     "partitions",
				       name, parts[k]);
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (o)
		rd_kafka_AdminOptions_destroy(o);
	if (q)
		rd_kafka_queue_destroy(q);
	if (nt) {
		rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
		free(nt);
	}
	return rc;
}

int sl_ksink_create_topics(sl_sink *sk, struct ksink *ks, sl_err *err)
{
	const struct ksink_conf *c = sk->conf;
	const char *src_names[KSINK_CREATE_MAX];
	int32_t src_parts[KSINK_CREATE_MAX];
	char *names[KSINK_CREATE_MAX];
	int32_t parts[KSINK_CREATE_MAX];
	const char *pat = c->create_topics, *var;
	int n, made = 0, rc = 0;

	if (!pat)
		return 0;
	n = sl_kafka_source_topics(sk->source, src_names, src_parts,
				   KSINK_CREATE_MAX);
	if (n < 0)
		return sl_err_set(err, SL_EOPTION,
				  KSINK ": option 'createTopics' makes topics "
					"with the partition counts of a Kafka "
					"source; this query reads '%s'",
				  sk->source ? sk->source->ops->name
					     : "nothing");
	if (n == KSINK_CREATE_MAX)
		return sl_err_set(err, SL_EOPTION,
				  KSINK ": option 'createTopics': the source "
					"reads more than %d topics",
				  KSINK_CREATE_MAX - 1);
	var = strstr(pat, "${topic}");
	for (int i = 0; var && i < n; i++) {
		size_t pre = (size_t)(var - pat);

		if (asprintf(&names[made], "%.*s%s%s", (int)pre, pat,
			     src_names[i], var + 8) < 0)
			goto nomem;
		parts[made++] = src_parts[i];
	}
	if (!var) {
		if (!(names[0] = strdup(pat)))
			goto nomem;
		parts[0] = 0;
		for (int i = 0; i < n; i++)
			if (src_parts[i] > parts[0])
				parts[0] = src_parts[i];
		made = 1;
	}
	if (ks->embedded)
		for (int i = 0; i < made && !rc; i++)
			rc = sl_kafka_embedded_topic_create(names[i], parts[i],
							    err);
	else if (made)
		rc = create_topics(ks, names, parts, made, (int)c->create_rf,
				   err);
	for (int i = 0; i < made; i++)
		free(names[i]);
	return rc;
nomem:
	for (int i = 0; i < made; i++)
		free(names[i]);
	return sl_err_set(err, -ENOMEM, KSINK ": out of memory");
}
