/* io/source_kafka_offsets.c - the Kafka source's offsets on the cluster
 * (io/source_kafka.c): the retry rules of offset queries, the group's
 * committed offset and a partition's watermarks (read at open), the commit
 * of what the engine checkpointed to the consumer group, the lag the
 * metrics report, and what a sink writing exactly once asks of the source
 * (io/kafka_common.h: the group, the offsets as Kafka's topic-partitions,
 * the group's committed offsets). */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/source_kafka_internal.h"

/* Errors an offset query at open can meet on a healthy cluster: a topic
 * created a moment ago whose leader does not know it leads yet ("Not
 * leader for partition"), or is not known everywhere yet; a leader being
 * elected; a group coordinator loading; a slow answer. The broker will
 * answer in a moment, so open asks again rather than fail the query. */
bool sl_ksrc_retriable(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION: return true;
	default: return false;
	}
}

/* Before asking again: 20, 40, 80, ... 320 ms, never past the deadline.
 * Returns false when there is no time left for another try. */
bool sl_ksrc_backoff(int *ms, int64_t deadline)
{
	int64_t left = (deadline - sl_now_ns()) / 1000000;
	struct timespec ts;

	if (left <= 0)
		return false;
	if (*ms > left)
		*ms = (int)left;
	ts.tv_sec = *ms / 1000;
	ts.tv_nsec = (long)(*ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	*ms = *ms < 160 ? *ms * 2 : 320;
	return sl_now_ns() < deadline;
}

/* What is left of the deadline for one try, in ms (at least 1). */
int sl_ksrc_left_ms(int64_t deadline)
{
	int64_t left = (deadline - sl_now_ns()) / 1000000;

	return left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* The group's committed offset of tp in *off, or KSRC_LATEST when the
 * group has none (a new query would start there too). Asks again on
 * retriable errors until metadataTimeout; then fails rather than start at
 * latest, which would skip what the group has not read. */
int sl_ksrc_committed(sl_source_part *p, const struct ksrc_tp *tp, int64_t *off)
{
	struct ksrc *ks = p->src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, tp->topic, tp->partition);
	for (;;) {
		e = rd_kafka_committed(ks->rk, l, sl_ksrc_left_ms(deadline));
		if (!e)
			e = l->elems[0].err;
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	if (!e)
		*off = l->elems[0].offset >= 0 ? l->elems[0].offset
					       : KSRC_LATEST;
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": cannot read the consumer group's "
				       "committed offset of %s-%d: %s",
				  tp->topic, tp->partition,
				  rd_kafka_err2str(e));
	return 0;
}

/* The low and high watermarks of tp, asking again on retriable errors
 * until metadataTimeout: on a topic created a moment ago the first answer
 * is often "Not leader for partition". */
int sl_ksrc_watermarks(sl_source_part *p, const struct ksrc_tp *tp, int64_t *lo,
		       int64_t *hi)
{
	struct ksrc *ks = p->src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	for (;;) {
		e = rd_kafka_query_watermark_offsets(ks->rk, tp->topic,
						     tp->partition, lo, hi,
						     sl_ksrc_left_ms(deadline));
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	if (e)
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": cannot read the offsets of %s-%d "
				       "within %d ms: %s",
				  tp->topic, tp->partition, ks->timeout_ms,
				  rd_kafka_err2str(e));
	return 0;
}

/* The engine committed an epoch/batch ending at ends[i]: tell the
 * consumer group, if the user named one (a made-up group would only
 * litter the cluster). rd_kafka_commit is thread-safe; asynchronous (no
 * offset_commit_cb: nothing to serve) except for the query's last call,
 * which must reach the broker before the consumer goes away. */
void sl_ksrc_commit(sl_source *src, const int64_t *ends, uint32_t n, bool last)
{
	struct ksrc *ks = src->state;
	rd_kafka_topic_partition_list_t *l;

	/* exactly-once: the sink's transactions commit the offsets; an
	 * asynchronous commit here could land after a newer transaction's
	 * and move the group's offset back. */
	if (!ks || !ks->rk || !ks->user_group || ks->closed || ks->eos)
		return;
	l = rd_kafka_topic_partition_list_new((int)n);
	for (uint32_t i = 0; i < n && i < sl_ksrc_known(ks); i++) {
		if (ends[i] < 0)
			continue;
		/* group: only partitions this member reads now, and ends
		 * from this assignment (an epoch committed just after a
		 * partition came back may still end where it was left the
		 * time before, behind the group's offset). */
		if (ks->group) {
			if (!ks->owned[i] || ends[i] < ks->own_start[i])
				continue;
			ks->done_end[i] = ends[i];
		}
		rd_kafka_topic_partition_list_add(l, ks->tp[i].topic,
						  ks->tp[i].partition)
			->offset = ends[i];
	}
	if (l->cnt)
		rd_kafka_commit(ks->rk, l, last ? 0 : 1);
	rd_kafka_topic_partition_list_destroy(l);
}

/* Metrics: the partition's lag, from librdkafka's cached high watermark
 * (updated by every fetch response; rd_kafka_get_watermark_offsets only
 * takes the partition's lock, never asks the broker), so the metrics
 * thread may call it at any time. ks->tp and ks->rk live until destroy. */
int64_t sl_ksrc_lag(sl_source *src, uint32_t part, int64_t position)
{
	struct ksrc *ks = src->state;
	int64_t lo = -1, hi = -1;

	if (!ks || !ks->rk || part >= sl_ksrc_known(ks) || position < 0 ||
	    rd_kafka_get_watermark_offsets(ks->rk, ks->tp[part].topic,
					   ks->tp[part].partition, &lo, &hi) ||
	    hi < 0)
		return -1;
	return hi > position ? hi - position : 0;
}

int sl_kafka_source_topics(const sl_source *src, const char **names,
			   int32_t *nparts, int max)
{
	const struct ksrc *ks;
	int n = 0;

	if (!src || src->ops != &sl_source_kafka || !(ks = src->state))
		return -1;
	for (uint32_t i = 0; i < sl_ksrc_known(ks); i++) {
		const struct ksrc_tp *t = &ks->tp[i];
		int k = 0;

		while (k < n && strcmp(names[k], t->topic))
			k++;
		if (k == n) {
			if (n == max)
				continue;
			names[n] = t->topic;
			nparts[n++] = 0;
		}
		if (t->partition + 1 > nparts[k])
			nparts[k] = t->partition + 1;
	}
	return n;
}

/* ---- exactly-once ------------------------------------------------------ */

int sl_kafka_source_exactly_once(sl_source *src, bool keep_resume,
				 const char **group, const char *comp,
				 sl_err *err)
{
	const struct ksrc_conf *c;
	struct ksrc *ks;
	const char *iso;

	if (!src || src->ops != &sl_source_kafka)
		return sl_err_set(err, SL_EOPTION,
				  "%s: deliveryGuarantee 'exactly-once' needs "
				  "a query that reads Kafka (format 'kafka'); "
				  "this one reads '%s'",
				  comp, src ? src->ops->name : "nothing");
	ks = src->state;
	c = src->conf;
	if (ks->group)
		return sl_err_set(err, SL_EOPTION,
				  "%s: deliveryGuarantee 'exactly-once' needs "
				  "the source's partitionAssignment 'manual' "
				  "(the default): a group rebalance could move "
				  "a partition in the middle of a transaction",
				  comp);
	if (!ks->user_group)
		return sl_err_set(err, SL_EOPTION,
				  "%s: deliveryGuarantee 'exactly-once' needs "
				  "the source's kafka.group.id: the consumer "
				  "group whose offsets each transaction "
				  "commits, and where a restart resumes",
				  comp);
	iso = sl_kvs_get(&c->kafka, "isolation.level");
	if (iso && strcasecmp(iso, "read_committed"))
		return sl_err_set(err, SL_EOPTION,
				  "%s: deliveryGuarantee 'exactly-once' reads "
				  "committed records only: the source's "
				  "kafka.isolation.level is '%s'; leave it out "
				  "or set 'read_committed'",
				  comp, iso);
	ks->eos = true;
	ks->eos_keep_resume = keep_resume;
	*group = ks->group_id;
	return 0;
}

int sl_kafka_source_group_offsets(const sl_source *src, int64_t *out,
				  uint32_t n, int timeout_ms, sl_err *err)
{
	const struct ksrc *ks = src->state;
	int64_t deadline = sl_now_ns() + (int64_t)timeout_ms * 1000000;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	l = rd_kafka_topic_partition_list_new((int)(n ? n : 1));
	for (uint32_t i = 0; i < n && i < ks->ntp; i++)
		rd_kafka_topic_partition_list_add(l, ks->tp[i].topic,
						  ks->tp[i].partition);
	for (;;) {
		e = rd_kafka_committed(ks->rk, l, sl_ksrc_left_ms(deadline));
		for (int i = 0; !e && i < l->cnt; i++)
			e = l->elems[i].err;
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	for (uint32_t i = 0; !e && i < n; i++)
		out[i] = i < (uint32_t)l->cnt && l->elems[i].offset >= 0
				 ? l->elems[i].offset
				 : -1;
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		return sl_err_set(err, SL_EKAFKA,
				  KSRC ": cannot read the committed offsets "
				       "of group '%s': %s",
				  ks->group_id, rd_kafka_err2str(e));
	return 0;
}

rd_kafka_topic_partition_list_t *
sl_kafka_source_offsets(const sl_source *src, const int64_t *ends, uint32_t n)
{
	const struct ksrc *ks = src->state;
	rd_kafka_topic_partition_list_t *l;

	l = rd_kafka_topic_partition_list_new((int)(n ? n : 1));
	for (uint32_t i = 0; l && i < n && i < sl_ksrc_known(ks); i++)
		if (ends[i] >= 0)
			rd_kafka_topic_partition_list_add(l, ks->tp[i].topic,
							  ks->tp[i].partition)
				->offset = ends[i];
	return l;
}
