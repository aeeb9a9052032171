/* io/source_kafka_part.c - a partition thread of the Kafka source
 * (io/source_kafka.c): open (where the partition starts, its own queue and
 * eventfd, the assignment), poll (records into a vector without a copy,
 * the messages held by the vector), latest and close. The engine's
 * partition threads (engine/exec.c) call these; latest runs on the
 * coordinator. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "io/source_kafka_internal.h"
#include "io/uring.h"

/* Messages taken from a partition queue at a time, and so the most rows in
 * one vector. */
#define KSRC_MAX_BATCH 1024
/* The most record bytes in one vector (a single larger record still makes
 * a vector of its own): 1024 records of 1 KiB fill it, so vectors of small
 * records end at the count and those of big ones here. A byte budget on
 * what a partition has in flight would be tighter, but it would count the
 * vectors a Kafka sink keeps until their delivery reports, which that sink
 * serves only when it writes: the source would stall on it (measured:
 * 1.8M -> 50k records/s in bench/relay). */
#define KSRC_MAX_BATCH_BYTES (1 << 20)
/* What librdkafka spends per message beside its key and value (its op and
 * message structs, the record's header in the fetch buffer), counted with
 * each record so that the limit means memory, not only payload. */
#define KSRC_MSG_OVERHEAD 256

/* A partition thread's state. */
struct ksrc_part {
	struct ksrc_tp *tp;
	rd_kafka_queue_t *q;
	int efd; /* eventfd librdkafka bumps when q goes from empty to not */
	uint32_t head, n; /* buf[head..n) fetched, not yet returned */
	rd_kafka_message_t *buf[KSRC_MAX_BATCH];
};

/* What a vector holds: the messages its rows point into. */
struct ksrc_hold {
	uint32_t n;
	rd_kafka_message_t *m[];
};

static int ksrc_attach(sl_source_part *p, struct ksrc_part *kp,
		       struct ksrc_tp *tp, int64_t start);

int sl_ksrc_open(sl_source_part *p)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_tp *tp;
	struct ksrc_part *kp;
	int64_t lo, hi, start;
	int rc;

	if (!ks || p->index >= ks->ntp + ks->nspare)
		return sl_err_set(&p->err, SL_EINVAL, KSRC ": no partition %u",
				  p->index);
	/* A spare: no partition until discovery binds one (poll). With a
	 * group the rebalance bound it before it opens. */
	if (p->index >= ks->ntp && !ks->group) {
		kp = calloc(1, sizeof(*kp));
		if (!kp)
			return sl_err_set(&p->err, -ENOMEM,
					  KSRC ": out of memory");
		kp->efd = -1;
		p->state = kp;
		p->offset = -1;
		return 0;
	}
	tp = &ks->tp[p->index];
	/* group: the rebalance callback looked the group's offset up */
	if (ks->group)
		start = ks->next_start[p->index];
	/* A checkpoint's -1: the partition was a spare not bound yet when
	 * the epoch ended (found since): all of it is new. */
	else if (p->has_resume && p->resume < 0)
		start = KSRC_EARLIEST;
	/* The query resumes (slot 0, opened first, had an offset) but this
	 * slot is not in the checkpoint: the topic has grown since
	 * (src->parts_may_grow), and all of this partition is new. */
	else if (!p->has_resume && ks->resumed) {
		start = KSRC_EARLIEST;
		sl_log(ks->ev.log, SL_LOG_INFO,
		       KSRC ": %s-%d is not in the checkpoint (the topic grew "
			    "since): reading it from the earliest offset",
		       tp->topic, tp->partition);
	} else
		start = p->has_resume ? p->resume : tp->start;
	if (p->has_resume)
		ks->resumed = true;
	/* exactly-once: the group's offset was committed with the output
	 * of the last committed transaction, and the checkpoint may trail
	 * it by the epoch that was committing when the query died. Read
	 * after the sink's init aborted what an earlier run left open, so
	 * it is stable. */
	if (ks->eos && !(ks->eos_keep_resume && p->has_resume)) {
		int64_t g;

		if ((rc = sl_ksrc_committed(p, tp, &g)))
			return rc;
		if (g >= 0)
			start = g;
	}
	if (start == KSRC_STORED && (rc = sl_ksrc_committed(p, tp, &start)))
		return rc;
	if (start < 0) {
		if ((rc = sl_ksrc_watermarks(p, tp, &lo, &hi)))
			return rc;
		start = start == KSRC_EARLIEST ? lo : hi;
	}
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return sl_err_set(&p->err, -ENOMEM, KSRC ": out of memory");
	if ((rc = ksrc_attach(p, kp, tp, start))) {
		free(kp);
		return rc;
	}
	p->state = kp;
	p->offset = start;
	return 0;
}

/* Gives kp the queue of tp, starting at start (>= 0), and (unless the
 * group assigns) assigns it. Returns 0, or < 0 with p->err set and kp
 * left as it was (its queue and fd gone). */
static int ksrc_attach(sl_source_part *p, struct ksrc_part *kp,
		       struct ksrc_tp *tp, int64_t start)
{
	struct ksrc *ks = p->src->state;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;
	int rc;

	kp->tp = tp;
	/* The partition's own queue, no longer forwarded to the consumer
	 * queue: this partition's thread is its only reader. Done before
	 * the assignment so no message goes the other way. */
	kp->q = rd_kafka_queue_get_partition(ks->rk, tp->topic, tp->partition);
	if (!kp->q) {
		kp->tp = NULL;
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": no queue for %s-%d", tp->topic,
				  tp->partition);
	}
	rd_kafka_queue_forward(kp->q, NULL);
	/* The thread waits for messages in its io_uring ring, polling this
	 * fd, rather than inside librdkafka (a futex wait the ring cannot
	 * see). librdkafka writes the payload to the fd when the queue goes
	 * from empty to non-empty; an eventfd takes only 8-byte writes, so
	 * the payload is a uint64_t 1. Enabled before the assignment, so
	 * the first message already signals. */
	kp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (kp->efd < 0) {
		rc = -errno;
		rd_kafka_queue_destroy(kp->q);
		kp->q = NULL;
		kp->tp = NULL;
		return sl_err_set(&p->err, rc, KSRC ": eventfd: %s",
				  strerror(-rc));
	}
	rd_kafka_queue_io_event_enable(kp->q, kp->efd, &(uint64_t){ 1 },
				       sizeof(uint64_t));
	/* group: the rebalance callback assigns every partition of the
	 * rebalance at once, once their slots are open. */
	if (ks->group) {
		ks->own_start[p->index] = start;
		return 0;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, tp->topic, tp->partition)->offset =
		start;
	e = rd_kafka_incremental_assign(ks->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e) {
		sl_err_set(&p->err, SL_EKAFKA, KSRC ": cannot assign %s-%d: %s",
			   tp->topic, tp->partition, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		rd_kafka_queue_io_event_enable(kp->q, -1, NULL, 0);
		rd_kafka_queue_destroy(kp->q);
		close(kp->efd);
		kp->q = NULL;
		kp->tp = NULL;
		kp->efd = -1;
		return SL_EKAFKA;
	}
	return 0;
}

/* A spare's poll while it has no partition: discovery (one spare at a
 * time looks; the others go on), then the next partition found is this
 * spare's once every spare before it has one, so spare k reads the k-th
 * partition found. Waits up to wait_ns when there is none. */
static int ksrc_spare_poll(sl_source_part *p, struct ksrc_part *kp,
			   int64_t wait_ns)
{
	struct ksrc *ks = p->src->state;
	int64_t lo, hi;
	int rc = 0;

	if (!pthread_mutex_trylock(&ks->disc_lock)) {
		rc = sl_ksrc_discover(p->src, &p->err);
		pthread_mutex_unlock(&ks->disc_lock);
		if (rc)
			return rc;
	}
	if (p->index < sl_ksrc_known(ks)) {
		struct ksrc_tp *tp = &ks->tp[p->index];

		if ((rc = sl_ksrc_watermarks(p, tp, &lo, &hi)))
			return rc;
		if ((rc = ksrc_attach(p, kp, tp, lo)))
			return rc;
		p->offset = lo;
		return 0;
	}
	if (wait_ns > 0) {
		struct timespec ts = { wait_ns / 1000000000,
				       wait_ns % 1000000000 };

		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A record's bytes against KSRC_MAX_BATCH_BYTES. */
static int64_t msg_bytes(const rd_kafka_message_t *m)
{
	return (int64_t)m->len + (int64_t)m->key_len + KSRC_MSG_OVERHEAD;
}

static void ksrc_hold_release(void *arg)
{
	struct ksrc_hold *h = arg;

	for (uint32_t i = 0; i < h->n; i++)
		rd_kafka_message_destroy(h->m[i]);
	free(h);
}

/* Takes what the partition's queue holds now, without waiting. */
static bool ksrc_take(struct ksrc_part *kp)
{
	ssize_t n =
		rd_kafka_consume_batch_queue(kp->q, 0, kp->buf, KSRC_MAX_BATCH);

	kp->n = n > 0 ? (uint32_t)n : 0;
	return kp->n > 0;
}

/* Empties the eventfd: a wake-up already seen must not end the next
 * wait at once. Non-blocking, so nothing there is -EAGAIN. */
static void ksrc_drain(struct ksrc_part *kp)
{
	uint64_t v;

	while (read(kp->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* Tops up kp->buf from the partition's queue, waiting up to wait_ns in
 * the thread's io_uring ring when it is empty.
 * rd_kafka_consume_batch_queue with a timeout waits for a *full* batch,
 * so it is only ever called with 0. librdkafka writes the fd only when
 * the queue goes from empty to non-empty, so a wake-up written while the
 * thread still had messages to take stays in the fd: it is drained and
 * the queue looked at again before the wait, and a message that arrives
 * after that look writes the fd anew (no lost wake-up). */
static void ksrc_fetch(struct ksrc_part *kp, int64_t wait_ns)
{
	if (kp->head < kp->n)
		return;
	kp->head = kp->n = 0;
	if (ksrc_take(kp) || wait_ns <= 0)
		return;
	ksrc_drain(kp);
	if (ksrc_take(kp))
		return;
	/* An error or a timeout is the same here: look once more and let
	 * the engine poll again. */
	(void)sl_uring_poll_fd(sl_uring_get(), kp->efd, POLLIN, wait_ns);
	ksrc_drain(kp);
	ksrc_take(kp);
}

static void ksrc_headers(sl_batch *b, sl_value *out, rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h;
	const char *name;
	const void *val;
	size_t size, cnt;
	sl_value *arr;

	if (rd_kafka_message_headers(m, &h) ||
	    !(cnt = rd_kafka_header_cnt(h))) {
		*out = sl_v_null();
		return;
	}
	/* Element i is a struct whose two field values follow the array. */
	arr = sl_arena_alloc(&b->arena, cnt * 3 * sizeof(*arr));
	for (size_t i = 0; i < cnt; i++) {
		sl_value *f = arr + cnt + 2 * i;

		if (rd_kafka_header_get_all(h, i, &name, &val, &size)) {
			cnt = i;
			break;
		}
		/* Names and values stay in the held message: no copy. */
		f[0] = sl_v_str(name, (uint32_t)strlen(name));
		f[1] = val ? sl_v_bin(val, (uint32_t)size) : sl_v_null();
		arr[i] = (sl_value){ .type = SL_STRUCT,
				     .len = 2,
				     .v.fields = f };
	}
	*out = (sl_value){ .type = SL_ARRAY,
			   .len = (uint32_t)cnt,
			   .v.arr = arr };
}

/* Whether a consumer error ends the query. librdkafka also hands the
 * application errors it gets past by itself ("Fetch from broker 1 failed:
 * Request timed out", a leader moving, a dropped connection): it retries
 * the fetch, so those must not stop a query that would otherwise go on.
 * Only what retrying cannot mend ends it: offsets gone (when
 * failOnDataLoss says so), no permission, a topic or partition that
 * existed when the source was made and no longer does, a fatal error. */
bool sl_ksrc_err_ends(const struct ksrc_conf *c, rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
	case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE: return c->fail_on_data_loss;
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR__FATAL: return true;
	default: return false;
	}
}

/* An error message at the head of the partition's queue: ends the query
 * (returns < 0 with p->err set) or is noted for status and dropped
 * (returns 0). */
static int ksrc_msg_error(sl_source_part *p, rd_kafka_message_t *m)
{
	const struct ksrc_conf *c = p->src->conf;
	struct ksrc *ks = p->src->state;
	const struct ksrc_tp *tp = ((struct ksrc_part *)p->state)->tp;
	char why[512];

	if (m->err == RD_KAFKA_RESP_ERR__FATAL &&
	    rd_kafka_fatal_error(ks->rk, why, sizeof(why)))
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": %s-%d: the consumer failed: %s",
				  tp->topic, tp->partition, why);
	if (!sl_ksrc_err_ends(c, m->err)) {
		sl_kafka_events_note(&ks->ev, m->err, "%s-%d: %s", tp->topic,
				     tp->partition, rd_kafka_message_errstr(m));
		return 0;
	}
	if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
	    m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": %s-%d: offset %lld is gone (%s); "
				       "set failOnDataLoss=false to go on from "
				       "the earliest offset left",
				  tp->topic, tp->partition,
				  (long long)p->offset,
				  rd_kafka_message_errstr(m));
	return sl_err_set(&p->err, SL_EKAFKA, KSRC ": %s-%d: %s", tp->topic,
			  tp->partition, rd_kafka_message_errstr(m));
}

int sl_ksrc_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		 sl_batch **out)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_part *kp = p->state;
	const struct ksrc_tp *tp;
	bool headers = p->src->schema->n > 7;
	struct ksrc_hold *h;
	uint32_t k, take;
	int64_t bytes;
	sl_batch *b;

	*out = NULL;
	if (!kp->tp)
		return ksrc_spare_poll(p, kp, wait_ns);
	/* One partition thread serves the consumer's main queue: errors
	 * and logs reach the events callbacks there. With a group, the
	 * coordinator serves it (sl_ksrc_rebalance). */
	if (p->index == 0 && !ks->group) {
		char why[512];

		rd_kafka_poll(ks->rk, 0);
		/* A fatal error (a fenced static member, ...) may reach no
		 * partition queue: it is the client's, not a partition's. */
		if (rd_kafka_fatal_error(ks->rk, why, sizeof(why)))
			return sl_err_set(&p->err, SL_EKAFKA,
					  KSRC ": the consumer failed: %s",
					  why);
		/* Discovery goes on when every spare is bound, so that a
		 * partition with no room left fails the query rather than
		 * go unread. */
		if (ks->nspare && !pthread_mutex_trylock(&ks->disc_lock)) {
			int rc = sl_ksrc_discover(p->src, &p->err);

			pthread_mutex_unlock(&ks->disc_lock);
			if (rc)
				return rc;
		}
	}
	tp = kp->tp;
	if (p->offset >= end)
		return 0;
	ksrc_fetch(kp, wait_ns);
	/* Error messages at the head: stop on one that ends the query,
	 * drop the others (noted) and go on to the rows behind them. */
	while (kp->head < kp->n && kp->buf[kp->head]->err) {
		rd_kafka_message_t *m = kp->buf[kp->head];
		int rc;

		if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
		    (rc = ksrc_msg_error(p, m)))
			return rc;
		kp->head++;
		rd_kafka_message_destroy(m);
	}
	/* Rows below end only; an error message ends the vector and is
	 * reported by the next poll, after the rows before it. A vector
	 * ends at KSRC_MAX_BATCH_BYTES too; the rest stays in kp->buf for
	 * the next poll. */
	for (take = 0, bytes = 0, k = kp->head; k < kp->n; k++, take++) {
		if (kp->buf[k]->err || kp->buf[k]->offset >= end ||
		    (take &&
		     bytes + msg_bytes(kp->buf[k]) > KSRC_MAX_BATCH_BYTES))
			break;
		bytes += msg_bytes(kp->buf[k]);
	}
	if (!take)
		return 0;

	b = sl_batch_new(p->src->schema, take);
	h = malloc(sizeof(*h) + take * sizeof(h->m[0]));
	if (!h) {
		sl_batch_free(b);
		return sl_err_set(&p->err, -ENOMEM, KSRC ": out of memory");
	}
	h->n = take;
	for (uint32_t i = 0; i < take; i++) {
		rd_kafka_message_t *m = kp->buf[kp->head + i];
		rd_kafka_timestamp_type_t tt;
		int64_t ts = rd_kafka_message_timestamp(m, &tt);
		sl_value *row = sl_batch_add_row(b);

		h->m[i] = m;
		row[0] = m->key ? sl_v_bin(m->key, (uint32_t)m->key_len)
				: sl_v_null();
		row[1] = m->payload ? sl_v_bin(m->payload, (uint32_t)m->len)
				    : sl_v_null();
		row[2] = sl_v_str(tp->topic, tp->topic_len);
		row[3] = sl_v_int(m->partition);
		row[4] = sl_v_long(m->offset);
		/* Spark's timestampType: 0 CreateTime, 1 LogAppendTime. */
		row[5] = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
				 ? sl_v_null()
				 : sl_v_ts(ts * 1000);
		row[6] = sl_v_int(tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1
				  : tt == RD_KAFKA_TIMESTAMP_CREATE_TIME ? 0
									 : 1);
		if (headers)
			ksrc_headers(b, &row[7], m);
	}
	sl_batch_hold(b, ksrc_hold_release, h);
	kp->head += take;
	p->offset = h->m[take - 1]->offset + 1;
	b->partition = p->index;
	b->ingest_ns = sl_now_ns();
	b->end_offset = p->offset;
	*out = b;
	return (int)take;
}

/* The high watermark: the offset after the last record in the partition
 * now. Runs on the coordinator thread: librdkafka's cached watermarks (from
 * the fetches the partition's thread causes) are safe to read there; ask
 * the broker only when there is none yet. */
int64_t sl_ksrc_latest(sl_source_part *p, int64_t batch_id)
{
	struct ksrc *ks = p->src->state;
	const struct ksrc_part *kp = p->state;
	int64_t lo = -1, hi = -1;

	/* A spare without a partition: nothing to read, until discovery
	 * has found one for it; then 0, so that a micro-batch polls the
	 * spare, which takes its partition there. Discovery runs here too:
	 * between micro-batches no partition polls when no records came,
	 * and records written only into new partitions would wait for ever
	 * (a failure is kept and fails the spare's next poll). */
	if (!kp->tp) {
		if (p->index >= sl_ksrc_known(ks) &&
		    !pthread_mutex_trylock(&ks->disc_lock)) {
			sl_err derr = { 0 };

			(void)sl_ksrc_discover(p->src, &derr);
			pthread_mutex_unlock(&ks->disc_lock);
		}
		return p->index < sl_ksrc_known(ks) ? 0 : p->offset;
	}
	if (rd_kafka_get_watermark_offsets(ks->rk, kp->tp->topic,
					   kp->tp->partition, &lo, &hi) ||
	    hi < 0)
		if (rd_kafka_query_watermark_offsets(ks->rk, kp->tp->topic,
						     kp->tp->partition, &lo,
						     &hi, 1000))
			return 0;
	return hi;
}

void sl_ksrc_close(sl_source_part *p)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_part *kp = p->state;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;

	if (!kp)
		return;
	if (!kp->tp) {
		free(kp);
		p->state = NULL;
		return;
	}
	/* group: the rebalance callback unassigns, once the thread is
	 * gone and what it read is committed. */
	if (!ks->group) {
		l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, kp->tp->topic,
						  kp->tp->partition);
		e = rd_kafka_incremental_unassign(ks->rk, l);
		if (e)
			rd_kafka_error_destroy(e);
		rd_kafka_topic_partition_list_destroy(l);
	}
	while (kp->head < kp->n)
		rd_kafka_message_destroy(kp->buf[kp->head++]);
	/* The partition's queue outlives this handle (librdkafka keeps
	 * it): it must stop writing to the fd before the fd is closed and
	 * its number reused. */
	rd_kafka_queue_io_event_enable(kp->q, -1, NULL, 0);
	rd_kafka_queue_destroy(kp->q);
	close(kp->efd);
	free(kp);
	p->state = NULL;
}
