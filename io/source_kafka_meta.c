/* io/source_kafka_meta.c - the Kafka source's partitions, from the
 * cluster's metadata at init (io/source_kafka.c): the (topic, partition)
 * pairs that subscribe, subscribePattern or assign name, sorted so that
 * source partition i is the same Kafka partition on every run. */
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/kafka_embedded.h"
#include "io/source_kafka_internal.h"

int sl_ksrc_tp_cmp(const void *x, const void *y)
{
	const struct ksrc_tp *a = x, *b = y;
	int c = strcmp(a->topic, b->topic);

	if (c)
		return c;
	return (a->partition > b->partition) - (a->partition < b->partition);
}

static void tp_add(sl_source *src, uint32_t *cap, const char *topic,
		   int32_t part)
{
	struct ksrc *ks = src->state;

	for (uint32_t i = 0; i < ks->ntp; i++)
		if (ks->tp[i].partition == part &&
		    !strcmp(ks->tp[i].topic, topic))
			return;
	if (ks->ntp == *cap) {
		struct ksrc_tp *n;

		*cap = *cap ? *cap * 2 : 16;
		n = sl_arena_alloc(src->arena, *cap * sizeof(*n));
		if (ks->ntp)
			memcpy(n, ks->tp, ks->ntp * sizeof(*n));
		ks->tp = n;
	}
	ks->tp[ks->ntp].topic = sl_arena_strdup(src->arena, topic);
	ks->tp[ks->ntp].topic_len = (uint32_t)strlen(topic);
	ks->tp[ks->ntp].partition = part;
	ks->tp[ks->ntp].start = KSRC_LATEST;
	ks->ntp++;
}

/* The topics named by subscribe or assign, NULL-terminated, in arena a. */
static int named_topics(sl_source *src, json_t *assign, const char ***out,
			sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	const char **t;
	uint32_t n = 0;

	if (assign) {
		t = sl_arena_calloc(src->arena, (json_object_size(assign) + 1) *
							sizeof(*t));
		for (void *it = json_object_iter(assign); it;
		     it = json_object_iter_next(assign, it))
			t[n++] = sl_arena_strdup(src->arena,
						 json_object_iter_key(it));
	} else {
		char *list = sl_arena_strdup(src->arena, c->subscribe), *save;

		t = sl_arena_calloc(src->arena,
				    (strlen(list) / 2 + 2) * sizeof(*t));
		for (char *s = strtok_r(list, ",", &save); s;
		     s = strtok_r(NULL, ",", &save)) {
			while (*s == ' ' || *s == '\t')
				s++;
			char *e = s + strlen(s);
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
			if (*s)
				t[n++] = s;
		}
		if (!n)
			return sl_err_set(err, SL_EOPTION,
					  KSRC ": option 'subscribe' = '%s' "
					       "names no topic",
					  c->subscribe);
	}
	*out = t;
	return 0;
}

/* Reads metadata until every named topic is ready or the timeout passes.
 * On the embedded cluster a missing topic is created (one partition), so
 * a demo pipeline runs without a setup step; elsewhere it is an error. */
static int ksrc_metadata(sl_source *src, const char *const *names,
			 const rd_kafka_metadata_t **mdp, sl_err *err)
{
	struct ksrc *ks = src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	const rd_kafka_metadata_t *md = NULL;
	const char *missing = NULL;
	bool created = false;

	for (;;) {
		int64_t left = (deadline - sl_now_ns()) / 1000000;
		int rc;

		const rd_kafka_metadata_t *next = NULL;
		rc = sl_kafka_metadata(ks->rk, &ks->ev,
				       left > 0 ? (int)left : 1, &next, KSRC,
				       err);
		/* A slow last look does not undo what an earlier answer
		 * said: the topic was missing then. */
		if (rc && md)
			break;
		if (rc)
			return rc;
		if (md)
			rd_kafka_metadata_destroy(md);
		md = next;
		missing = NULL;
		for (int i = 0; names && names[i] && !missing; i++) {
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, names[i]);

			if (!sl_kafka_md_ready(t))
				missing = names[i];
		}
		if (!missing) {
			*mdp = md;
			return 0;
		}
		if (ks->embedded && names && !created) {
			for (int i = 0; names[i]; i++)
				if (!sl_kafka_md_find(md, names[i]) &&
				    sl_kafka_embedded_topic_create(names[i], 1,
								   err)) {
					rd_kafka_metadata_destroy(md);
					return SL_EKAFKA;
				}
			created = true;
		}
		/* Another look only if it can still come back in time. */
		if (sl_now_ns() + 100 * 1000000 >= deadline)
			break;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	const rd_kafka_metadata_topic_t *t = sl_kafka_md_find(md, missing);
	if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		sl_err_set(err, SL_ENOTFOUND,
			   KSRC ": topic '%s' does not exist at '%s'", missing,
			   ks->bootstrap);
	else
		sl_err_set(
			err, SL_EKAFKA,
			KSRC ": topic '%s' at '%s' is not ready after %d "
			     "ms: %s",
			missing, ks->bootstrap, ks->timeout_ms,
			rd_kafka_err2str(
				t->err ? t->err
				       : RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE));
	rd_kafka_metadata_destroy(md);
	return SL_ENOTFOUND;
}

/* Fills ks->tp from the metadata, per subscribe, subscribePattern or
 * assign. */
int sl_ksrc_partitions(sl_source *src, json_t *assign, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	struct ksrc *ks = src->state;
	const rd_kafka_metadata_t *md;
	const char **names = NULL;
	uint32_t cap = 0;
	int rc;

	if (!c->subscribe_pattern &&
	    (rc = named_topics(src, assign, &names, err)))
		return rc;
	if ((rc = ksrc_metadata(src, names, &md, err)))
		return rc;

	if (c->subscribe_pattern) {
		regex_t re;
		char anchored[1024];

		/* Spark matches the whole name (Pattern.matches). */
		snprintf(anchored, sizeof(anchored), "^(%s)$",
			 c->subscribe_pattern);
		if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB)) {
			rd_kafka_metadata_destroy(md);
			return sl_err_set(err, SL_EOPTION,
					  KSRC ": option 'subscribePattern' = "
					       "'%s' is not a valid regular "
					       "expression",
					  c->subscribe_pattern);
		}
		for (int i = 0; i < md->topic_cnt; i++) {
			const rd_kafka_metadata_topic_t *t = &md->topics[i];

			/* Internal topics (__consumer_offsets, ...) are not
			 * data, as the Java consumer's
			 * exclude.internal.topics says. */
			if (!strncmp(t->topic, "__", 2) || t->err ||
			    regexec(&re, t->topic, 0, NULL, 0))
				continue;
			for (int j = 0; j < t->partition_cnt; j++)
				tp_add(src, &cap, t->topic,
				       t->partitions[j].id);
		}
		regfree(&re);
		if (!ks->ntp) {
			rd_kafka_metadata_destroy(md);
			return sl_err_set(err, SL_ENOTFOUND,
					  KSRC ": option 'subscribePattern' = "
					       "'%s' matches no topic at '%s'",
					  c->subscribe_pattern, ks->bootstrap);
		}
	} else if (assign) {
		for (void *it = json_object_iter(assign); it;
		     it = json_object_iter_next(assign, it)) {
			const char *key = json_object_iter_key(it);
			json_t *v = json_object_iter_value(it);
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, key);

			for (size_t i = 0; i < json_array_size(v); i++) {
				json_int_t part = json_integer_value(
					json_array_get(v, i));
				bool found = false;

				for (int j = 0; j < t->partition_cnt; j++)
					found |= t->partitions[j].id == part;
				if (!found) {
					sl_err_set(err, SL_ENOTFOUND,
						   KSRC
						   ": option 'assign': "
						   "topic '%s' has no "
						   "partition %lld (it has %d)",
						   key, (long long)part,
						   t->partition_cnt);
					rd_kafka_metadata_destroy(md);
					return SL_ENOTFOUND;
				}
				tp_add(src, &cap, key, (int32_t)part);
			}
		}
	} else {
		for (int i = 0; names[i]; i++) {
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, names[i]);

			for (int j = 0; j < t->partition_cnt; j++)
				tp_add(src, &cap, t->topic,
				       t->partitions[j].id);
		}
	}
	rd_kafka_metadata_destroy(md);
	if (!ks->ntp)
		return sl_err_set(err, SL_EOPTION,
				  KSRC ": no partitions to read");
	qsort(ks->tp, ks->ntp, sizeof(*ks->tp), sl_ksrc_tp_cmp);
	return 0;
}

/* ---- discovery while the query runs ------------------------------------ */

/* Whether the running query reads topic: with subscribe, the topics found
 * at init (every named one existed then); with subscribePattern, any topic
 * the pattern matches now. */
static bool disc_wanted(const sl_source *src, const regex_t *re,
			const char *topic)
{
	const struct ksrc *ks = src->state;

	if (re)
		return strncmp(topic, "__", 2) &&
		       !regexec(re, topic, 0, NULL, 0);
	for (uint32_t i = 0; i < ks->ntp; i++)
		if (!strcmp(ks->tp[i].topic, topic))
			return true;
	return false;
}

static bool disc_known(const struct ksrc *ks, uint32_t known,
		       const char *topic, int32_t part)
{
	for (uint32_t i = 0; i < known; i++)
		if (ks->tp[i].partition == part &&
		    !strcmp(ks->tp[i].topic, topic))
			return true;
	return false;
}

int sl_ksrc_discover(sl_source *src, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	struct ksrc *ks = src->state;
	const rd_kafka_metadata_t *md = NULL;
	uint32_t known = sl_ksrc_known(ks), n = 0, cap = 0;
	struct ksrc_tp *found = NULL;
	regex_t re;
	bool have_re = false;
	int64_t now = sl_now_ns();
	sl_err merr = { 0 };

	if (ks->disc_fail[0])
		return sl_err_set(err, SL_EKAFKA, "%s", ks->disc_fail);
	if (now < ks->disc_next_ns)
		return 0;
	ks->disc_next_ns = now + ks->disc_interval_ns;
	/* Short: a spare's thread waits here, and its epoch marker with
	 * it. A cluster that does not answer is asked again next time. */
	if (sl_kafka_metadata(ks->rk, &ks->ev, 1000, &md, KSRC, &merr)) {
		sl_kafka_events_note(&ks->ev, merr.code,
				     "partition discovery: %s", merr.msg);
		return 0;
	}
	if (c->subscribe_pattern) {
		char anchored[1024];

		snprintf(anchored, sizeof(anchored), "^(%s)$",
			 c->subscribe_pattern);
		/* init compiled it already */
		have_re = !regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
		if (!have_re) {
			rd_kafka_metadata_destroy(md);
			return 0;
		}
	}
	for (int i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];

		if (t->err || !disc_wanted(src, have_re ? &re : NULL, t->topic))
			continue;
		for (int j = 0; j < t->partition_cnt; j++) {
			const rd_kafka_metadata_partition_t *mp =
				&t->partitions[j];

			/* a partition without a leader yet: next time */
			if (mp->err || mp->leader < 0 ||
			    disc_known(ks, known, t->topic, mp->id))
				continue;
			if (n == cap) {
				struct ksrc_tp *g;

				cap = cap ? cap * 2 : 16;
				g = realloc(found, cap * sizeof(*g));
				if (!g)
					break;
				found = g;
			}
			found[n++] = (struct ksrc_tp){ .topic = t->topic,
						       .partition = mp->id };
		}
	}
	if (have_re)
		regfree(&re);
	if (n)
		qsort(found, n, sizeof(*found), sl_ksrc_tp_cmp);
	for (uint32_t k = 0; k < n; k++) {
		struct ksrc_tp *d = &ks->tp[known];
		char *name;

		if (known == ks->ntp + ks->nspare) {
			snprintf(ks->disc_fail, sizeof(ks->disc_fail),
				 KSRC ": %u more partitions appeared (%s-%d "
				      "first) than the query has room for: "
				      "option 'maxAddedPartitions' = %u; "
				      "restart the query or raise it",
				 n - k, found[k].topic, found[k].partition,
				 ks->nspare);
			break;
		}
		if (!(name = strdup(found[k].topic)))
			break;
		d->topic = name;
		d->topic_len = (uint32_t)strlen(name);
		d->partition = found[k].partition;
		d->start = KSRC_EARLIEST;
		known++;
		/* release: tp[known - 1] is written before it is counted */
		atomic_store_explicit(&ks->nadded, known - ks->ntp,
				      memory_order_release);
		sl_log(ks->ev.log, SL_LOG_INFO,
		       KSRC ": partition discovery: reading %s-%d from the "
			    "earliest offset (source partition %u)",
		       d->topic, d->partition, known - 1);
	}
	free(found);
	rd_kafka_metadata_destroy(md);
	if (ks->disc_fail[0])
		return sl_err_set(err, SL_EKAFKA, "%s", ks->disc_fail);
	return 0;
}
