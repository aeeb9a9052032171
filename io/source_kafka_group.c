/* io/source_kafka_group.c - the Kafka source with partitionAssignment
 * 'group' (docs/KAFKA.md): the consumer group decides which partitions
 * this query reads while it runs. The source is dynamic
 * (sl_source.dynamic): its partitions found at init are slots, and the
 * consumer subscribes on the coordinator's first rebalance() call. Every
 * group event (rebalances, errors) then arrives in the consumer queue,
 * which only rebalance() serves, on the coordinator thread: the rebalance
 * callback runs there, starts the threads of assigned slots (ctl->start,
 * which calls the source's open) and stops those of revoked ones
 * (ctl->stop), commits what was checkpointed of a revoked partition
 * before giving it up, and answers librdkafka (incremental (un)assign, or
 * assign for eager assignors). A librdkafka queue event wakes the
 * coordinator when something arrives. An assigned partition starts at the
 * group's committed offset, else where startingOffsets says; a
 * checkpoint's offsets are not used: another member may have moved the
 * partition on since. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/source_kafka_internal.h"

static void ksrc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			      rd_kafka_topic_partition_list_t *parts,
			      void *opaque);

/* ---- init -------------------------------------------------------------- */

/* partitionAssignment 'group': what it needs, said before connecting. */
int sl_ksrc_group_check(sl_source *src, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;

	if (!sl_kvs_get(&c->kafka, "group.id"))
		return sl_err_set(err, SL_EOPTION,
				  KSRC ": option partitionAssignment = 'group' "
				       "needs kafka.group.id: the consumer "
				       "group whose members share the "
				       "partitions");
	if (c->assign)
		return sl_err_set(err, SL_EOPTION,
				  KSRC
				  ": option partitionAssignment = 'group' "
				  "reads the partitions the group assigns "
				  "of the topics named by subscribe or "
				  "subscribePattern; option 'assign' names "
				  "fixed partitions (use partitionAssignment "
				  "= 'manual' with it)");
	return 0;
}

/* The group's rebalances come to our callback. Assignor: cooperative-
 * sticky unless the user chose one: a rebalance then moves only the
 * partitions that change owner, and the others' threads read on. */
void sl_ksrc_group_conf(sl_source *src, rd_kafka_conf_t *conf)
{
	const struct ksrc_conf *c = src->conf;
	char errstr[512], ms[32];

	rd_kafka_conf_set_rebalance_cb(conf, ksrc_rebalance_cb);
	if (!sl_kvs_get(&c->kafka, "partition.assignment.strategy"))
		rd_kafka_conf_set(conf, "partition.assignment.strategy",
				  "cooperative-sticky", errstr, sizeof(errstr));
	/* The group's leader rebalances when a subscribed topic's
	 * partition count changes in the metadata it refreshes (librdkafka:
	 * every 5 minutes): refresh as often as discovery says. */
	if (c->discovery_interval_ms > 0 && !c->assign &&
	    !sl_kvs_get(&c->kafka, "topic.metadata.refresh.interval.ms")) {
		snprintf(ms, sizeof(ms), "%lld",
			 (long long)c->discovery_interval_ms);
		rd_kafka_conf_set(conf, "topic.metadata.refresh.interval.ms",
				  ms, errstr, sizeof(errstr));
	}
}

int sl_ksrc_group_alloc(sl_source *src, sl_err *err)
{
	struct ksrc *ks = src->state;
	uint32_t n = ks->ntp + ks->nspare;

	ks->owned = calloc(n, sizeof(*ks->owned));
	ks->next_start = calloc(n, sizeof(int64_t));
	ks->own_start = calloc(n, sizeof(int64_t));
	ks->done_end = calloc(n, sizeof(int64_t));
	if (!ks->owned || !ks->next_start || !ks->own_start || !ks->done_end)
		return sl_err_set(err, -ENOMEM, KSRC ": out of memory");
	for (uint32_t i = 0; i < n; i++)
		ks->done_end[i] = -1;
	src->dynamic = true;
	return 0;
}

/* ---- rebalances ---------------------------------------------------------- */

/* The slot reading topic-partition, or -1: the slots found at init are
 * sorted (sl_ksrc_tp_cmp), the spares bound since in binding order. */
static int64_t group_slot(const struct ksrc *ks, const char *topic,
			  int32_t partition)
{
	struct ksrc_tp key = { .topic = topic, .partition = partition };
	const struct ksrc_tp *t =
		bsearch(&key, ks->tp, ks->ntp, sizeof(*ks->tp), sl_ksrc_tp_cmp);

	if (t)
		return t - ks->tp;
	for (uint32_t i = ks->ntp; i < sl_ksrc_known(ks); i++)
		if (ks->tp[i].partition == partition &&
		    !strcmp(ks->tp[i].topic, topic))
			return i;
	return -1;
}

/* A failure inside the rebalance callback: the first one is what
 * rebalance() returns (the query fails with it). Outside a rebalance()
 * call (the consumer closing) it is only noted. */
static void group_fail(struct ksrc *ks, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void group_fail(struct ksrc *ks, int code, const char *fmt, ...)
{
	char msg[sizeof(((sl_err *)0)->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ks->rb_err && !ks->rb_rc) {
		ks->rb_rc = sl_err_set(ks->rb_err, code, "%s", msg);
		return;
	}
	sl_kafka_events_note(&ks->ev, code, "%s", msg);
}

static const char *group_id(const sl_source *src)
{
	const struct ksrc_conf *c = src->conf;

	return sl_kvs_get(&c->kafka, "group.id");
}

/* A partition the group assigns that was not there at init (a topic
 * grown since): binds the next spare slot to it, read from the earliest
 * offset where the group has none. Returns the slot, or -1 with the
 * failure recorded when no spare is left. */
static int64_t group_bind_spare(sl_source *src, const char *topic,
				int32_t partition)
{
	struct ksrc *ks = src->state;
	uint32_t known;
	struct ksrc_tp *d;
	char *name;

	pthread_mutex_lock(&ks->disc_lock);
	known = sl_ksrc_known(ks);
	if (known == ks->ntp + ks->nspare || !(name = strdup(topic))) {
		pthread_mutex_unlock(&ks->disc_lock);
		group_fail(ks, SL_EKAFKA,
			   KSRC ": consumer group '%s' assigned %s-%d, which "
				"did not exist when the source was made, and "
				"the query has no room for it: option "
				"'maxAddedPartitions' = %u; restart the query "
				"or raise it",
			   group_id(src), topic, partition, ks->nspare);
		return -1;
	}
	d = &ks->tp[known];
	d->topic = name;
	d->topic_len = (uint32_t)strlen(name);
	d->partition = partition;
	d->start = KSRC_EARLIEST;
	/* release: tp[known] is written before it is counted */
	atomic_store_explicit(&ks->nadded, known + 1 - ks->ntp,
			      memory_order_release);
	pthread_mutex_unlock(&ks->disc_lock);
	sl_log(ks->ev.log, SL_LOG_INFO,
	       KSRC ": consumer group '%s': %s-%d is new, source partition "
		    "%u",
	       group_id(src), topic, partition, known);
	return known;
}

/* Where each of slots[0..n) starts: the group's committed offset (where
 * the partition's last owner's last checkpointed epoch ended), else
 * startingOffsets. One request for all of them, asked again on retriable
 * errors until metadataTimeout; then the query fails rather than start
 * somewhere the group has not reached. */
static int group_starts(sl_source *src, const uint32_t *slots, uint32_t n)
{
	struct ksrc *ks = src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	l = rd_kafka_topic_partition_list_new((int)n);
	for (uint32_t k = 0; k < n; k++)
		rd_kafka_topic_partition_list_add(l, ks->tp[slots[k]].topic,
						  ks->tp[slots[k]].partition);
	for (;;) {
		e = rd_kafka_committed(ks->rk, l, sl_ksrc_left_ms(deadline));
		for (int i = 0; !e && i < l->cnt; i++)
			e = l->elems[i].err;
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	for (uint32_t k = 0; !e && k < n; k++) {
		int64_t off = l->elems[k].offset;

		ks->next_start[slots[k]] =
			off >= 0 ? off : ks->tp[slots[k]].start;
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		group_fail(ks, SL_EKAFKA,
			   KSRC ": cannot read the committed offsets of "
				"consumer group '%s': %s",
			   group_id(src), rd_kafka_err2str(e));
	return e ? SL_EKAFKA : 0;
}

/* ASSIGN: open each slot and start its thread (ctl->start), then tell
 * librdkafka where each starts (the caller assigns the list). */
static void group_assign(sl_source *src, rd_kafka_topic_partition_list_t *l)
{
	struct ksrc *ks = src->state;
	uint32_t *slots = calloc(l->cnt ? l->cnt : 1, sizeof(*slots));
	int *elem = calloc(l->cnt ? l->cnt : 1, sizeof(*elem));
	uint32_t n = 0;

	if (!slots || !elem) {
		group_fail(ks, -ENOMEM, KSRC ": out of memory");
		goto out;
	}
	for (int i = 0; i < l->cnt; i++) {
		int64_t s = group_slot(ks, l->elems[i].topic,
				       l->elems[i].partition);

		if (s < 0)
			s = group_bind_spare(src, l->elems[i].topic,
					     l->elems[i].partition);
		if (s < 0)
			continue;
		slots[n] = (uint32_t)s;
		elem[n++] = i;
	}
	/* No query (the consumer is closing): nothing reads them. */
	if (!ks->ctl || !n || group_starts(src, slots, n))
		goto out;
	for (uint32_t k = 0; k < n; k++) {
		if (ks->ctl->start(ks->ctl, slots[k]) < 0)
			break; /* the query has failed */
		ks->owned[slots[k]] = true;
		l->elems[elem[k]].offset = ks->own_start[slots[k]];
		sl_log(ks->ev.log, SL_LOG_INFO,
		       KSRC ": consumer group '%s': assigned %s-%d, reading "
			    "from offset %lld",
		       group_id(src), ks->tp[slots[k]].topic,
		       ks->tp[slots[k]].partition,
		       (long long)ks->own_start[slots[k]]);
	}
out:
	free(slots);
	free(elem);
}

/* REVOKE (or a failed rebalance: then every slot we own): end the slots'
 * threads and wait for what they read to be committed (ctl->stop), then
 * commit it to the group before the partitions go, unless they are lost
 * (another member may own them already: a commit would fail anyway). */
static void group_revoke(sl_source *src, rd_kafka_topic_partition_list_t *l,
			 bool commit)
{
	struct ksrc *ks = src->state;
	uint32_t known = sl_ksrc_known(ks);
	uint32_t *slots = calloc(known, sizeof(*slots));
	rd_kafka_topic_partition_list_t *c;
	uint32_t n = 0;

	if (!slots) {
		group_fail(ks, -ENOMEM, KSRC ": out of memory");
		return;
	}
	for (uint32_t i = 0; i < known; i++) {
		bool in = !l;

		for (int k = 0; l && k < l->cnt && !in; k++)
			in = l->elems[k].partition == ks->tp[i].partition &&
			     !strcmp(l->elems[k].topic, ks->tp[i].topic);
		if (in && ks->owned[i])
			slots[n++] = i;
	}
	if (ks->ctl && n)
		ks->ctl->stop(ks->ctl, slots, n);
	c = rd_kafka_topic_partition_list_new((int)(n ? n : 1));
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = slots[k];

		if (commit && ks->done_end[i] >= ks->own_start[i])
			rd_kafka_topic_partition_list_add(c, ks->tp[i].topic,
							  ks->tp[i].partition)
				->offset = ks->done_end[i];
		ks->owned[i] = false;
		sl_log(ks->ev.log, SL_LOG_INFO,
		       KSRC ": consumer group '%s': %s %s-%d, committed up "
			    "to offset %lld",
		       group_id(src), commit ? "gave up" : "lost",
		       ks->tp[i].topic, ks->tp[i].partition,
		       (long long)(commit ? ks->done_end[i] : -1));
	}
	/* Synchronous: the next owner reads the group's offset as soon
	 * as we unassign. A failure costs repeats, not records. */
	if (c->cnt) {
		rd_kafka_resp_err_t e = rd_kafka_commit(ks->rk, c, 0);

		if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
			sl_kafka_events_note(&ks->ev, e,
					     "commit before giving partitions "
					     "up: %s",
					     rd_kafka_err2str(e));
	}
	rd_kafka_topic_partition_list_destroy(c);
	free(slots);
}

/* Served by rd_kafka_consumer_poll in sl_ksrc_rebalance (the coordinator
 * thread), or inside rd_kafka_consumer_close (sl_ksrc_leave, ksrc_destroy:
 * no query then, ks->ctl is NULL). The source is the conf's opaque's
 * container: ev is its first member. */
static void ksrc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			      rd_kafka_topic_partition_list_t *parts,
			      void *opaque)
{
	struct ksrc *ks = opaque;
	sl_source *src = ks->self;
	bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		group_assign(src, parts);
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			re = rd_kafka_assign(rk, parts);
	} else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		group_revoke(src, coop ? parts : NULL,
			     !rd_kafka_assignment_lost(rk));
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			re = rd_kafka_assign(rk, NULL);
	} else {
		/* librdkafka: on any other error, drop the assignment */
		sl_kafka_events_note(&ks->ev, err, "rebalance failed: %s",
				     rd_kafka_err2str(err));
		group_revoke(src, NULL, false);
		re = rd_kafka_assign(rk, NULL);
	}
	if (e || re)
		group_fail(ks, SL_EKAFKA,
			   KSRC ": consumer group '%s': cannot take the "
				"rebalance's %s: %s",
			   group_id(src),
			   err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
				   ? "assignment"
				   : "revocation",
			   e ? rd_kafka_error_string(e) : rd_kafka_err2str(re));
	if (e)
		rd_kafka_error_destroy(e);
}

/* librdkafka's thread: the consumer queue was empty and is not. */
static void ksrc_queue_event(rd_kafka_t *rk, void *opaque)
{
	struct ksrc *ks = opaque;

	pthread_mutex_lock(&ks->wake_lock);
	if (ks->wake_src && ks->wake_src->wake)
		ks->wake_src->wake(ks->wake_src->wake_arg);
	pthread_mutex_unlock(&ks->wake_lock);
}

/* Joins the group: every event (rebalances, errors, logs) goes to the
 * consumer queue, which wakes the coordinator. The topics are those found
 * when the source was made (subscribePattern included), as manual
 * assignment reads. */
static int ksrc_subscribe(sl_source *src, sl_err *err)
{
	struct ksrc *ks = src->state;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	l = rd_kafka_topic_partition_list_new(4);
	for (uint32_t i = 0; i < ks->ntp; i++)
		if (!i || strcmp(ks->tp[i].topic, ks->tp[i - 1].topic))
			rd_kafka_topic_partition_list_add(
				l, ks->tp[i].topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_poll_set_consumer(ks->rk);
	ks->cq = rd_kafka_queue_get_consumer(ks->rk);
	pthread_mutex_lock(&ks->wake_lock);
	ks->wake_src = src;
	pthread_mutex_unlock(&ks->wake_lock);
	if (ks->cq)
		rd_kafka_queue_cb_event_enable(ks->cq, ksrc_queue_event, ks);
	e = rd_kafka_subscribe(ks->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		return sl_err_set(err, SL_EKAFKA,
				  KSRC ": cannot join consumer group '%s': %s",
				  group_id(src), rd_kafka_err2str(e));
	ks->subscribed = true;
	return 0;
}

/* An error message from the consumer queue: the client's, or a partition's
 * that reached no partition queue. Ends the query as a partition's would
 * (sl_ksrc_err_ends), else it is noted. */
static void group_msg_error(sl_source *src, rd_kafka_message_t *m)
{
	struct ksrc *ks = src->state;

	if (!sl_ksrc_err_ends(src->conf, m->err)) {
		sl_kafka_events_note(&ks->ev, m->err, "%s",
				     rd_kafka_message_errstr(m));
		return;
	}
	group_fail(ks, SL_EKAFKA, KSRC ": consumer group '%s': %s",
		   group_id(src), rd_kafka_message_errstr(m));
}

/* sl_source_ops.rebalance: serves what the consumer queue holds. */
int sl_ksrc_rebalance(sl_source *src, sl_source_ctl *ctl, sl_err *err)
{
	struct ksrc *ks = src->state;
	char why[512];
	int rc;

	if (!ks || !ks->group)
		return sl_err_set(err, SL_EINVAL,
				  KSRC ": not in a consumer group");
	if (ks->closed)
		return sl_err_set(err, SL_EINVAL,
				  KSRC ": the consumer left group '%s' when "
				       "the source's last query ended; make "
				       "the source again for another query",
				  group_id(src));
	if (!ks->subscribed && (rc = ksrc_subscribe(src, err)))
		return rc;
	ks->ctl = ctl;
	ks->rb_err = err;
	ks->rb_rc = 0;
	/* Bounded: a flood of error events must not keep the coordinator
	 * from its epochs; the rest waits for the next call. */
	for (int i = 0; i < 1000 && !ks->rb_rc; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(ks->rk, 0);

		if (!m)
			break;
		/* Records come to partition queues only: every slot's
		 * queue is unforwarded before it is assigned. */
		if (m->err)
			group_msg_error(src, m);
		rd_kafka_message_destroy(m);
	}
	ks->ctl = NULL;
	ks->rb_err = NULL;
	if (!ks->rb_rc && rd_kafka_fatal_error(ks->rk, why, sizeof(why)))
		return sl_err_set(err, SL_EKAFKA,
				  KSRC ": the consumer failed: %s", why);
	return ks->rb_rc;
}

/* sl_source_ops.leave: leave the group now (the final revocation is
 * served inside rd_kafka_consumer_close, with no query to stop), so the
 * other members take the partitions over at once from the offsets the
 * query's last commit left. */
void sl_ksrc_leave(sl_source *src)
{
	struct ksrc *ks = src->state;

	if (!ks || !ks->group || ks->closed)
		return;
	pthread_mutex_lock(&ks->wake_lock);
	ks->wake_src = NULL;
	pthread_mutex_unlock(&ks->wake_lock);
	if (ks->cq)
		rd_kafka_queue_cb_event_enable(ks->cq, NULL, NULL);
	if (ks->subscribed) {
		rd_kafka_consumer_close(ks->rk);
		ks->closed = true;
	}
}
