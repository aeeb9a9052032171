/* io/source_kafka_internal.h - private to the Kafka source: its option
 * struct and state, shared by io/source_kafka.c (options, schema, init),
 * io/source_kafka_meta.c (the partitions from metadata),
 * io/source_kafka_part.c (a partition thread: open, poll, close),
 * io/source_kafka_offsets.c (offset queries, commit, lag) and
 * io/source_kafka_group.c (partitionAssignment 'group': the consumer
 * group's rebalances, docs/KAFKA.md). */
#ifndef SL_IO_SOURCE_KAFKA_INTERNAL_H
#define SL_IO_SOURCE_KAFKA_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/kafka_common.h"

#define KSRC "source 'kafka'"

/* Offsets as Spark's startingOffsets JSON writes them. */
#define KSRC_EARLIEST (-2)
#define KSRC_LATEST (-1)
/* Not Spark's: the consumer group's committed offset. */
#define KSRC_STORED (-1000)

enum { KSRC_ASSIGN_MANUAL, KSRC_ASSIGN_GROUP };

struct ksrc_conf {
	int partition_assignment; /* KSRC_ASSIGN_* */
	const char *subscribe;
	const char *subscribe_pattern;
	const char *assign;
	const char *starting_offsets;
	const char *group_id_prefix;
	bool include_headers;
	bool fail_on_data_loss;
	int64_t metadata_timeout_ms;
	int64_t discovery_interval_ms; /* 0: off */
	int64_t max_added_partitions;
	sl_kvs kafka; /* kafka.* with the prefix removed */
};

/* One Kafka partition read by the source. */
struct ksrc_tp {
	const char *topic; /* in the session arena: plan lifetime */
	uint32_t topic_len;
	int32_t partition;
	int64_t start; /* startingOffsets: >= 0, EARLIEST or LATEST */
};

struct ksrc {
	sl_kafka_events ev; /* the consumer's opaque: first, so that the
			       rebalance callback's opaque is the ksrc */
	sl_source *self;
	rd_kafka_t *rk;
	const char *bootstrap;
	bool embedded;
	int timeout_ms;
	bool user_group; /* kafka.group.id given: commit offsets to it */
	/* A Kafka sink writes this query's output exactly once
	 * (sl_kafka_source_exactly_once): the group's offsets are
	 * committed in the sink's transactions, and a partition starts
	 * where they say, whatever the checkpoint says. */
	bool eos;
	/* ... and a partition with a checkpoint offset starts there all the
	 * same (micro-batch: the engine re-runs the batch the checkpoint
	 * planned, and the sink drops its output if the previous run had
	 * committed it) */
	bool eos_keep_resume;
	const char *group_id; /* kafka.group.id, when given */
	/* A partition opened with the checkpoint's offset: the query
	 * resumes, and a partition without one is new since (open). */
	bool resumed;
	uint32_t ntp;	    /* partitions found at init: slots [0, ntp) */
	struct ksrc_tp *tp; /* source partition i reads tp[i] */
	/* Partition discovery (manual assignment with subscribe or
	 * subscribePattern, partitionDiscoveryInterval > 0): slots
	 * [ntp, ntp + nspare) are spares, bound in discovery order to the
	 * partitions found while the query runs; tp[ntp + k] is valid once
	 * nadded > k (published with release, after tp[] is written, under
	 * disc_lock; its topic is malloc'd). */
	uint32_t nspare;
	_Atomic uint32_t nadded;
	pthread_mutex_t disc_lock;
	int64_t disc_next_ns; /* the next look at the metadata (disc_lock) */
	int64_t disc_interval_ns;
	char disc_fail[300]; /* set once: more partitions than spares */
	/* partitionAssignment 'group'. The fields below are the
	 * coordinator thread's (rebalance, commit, open, close all run
	 * there), except after leave, when no query runs. */
	bool group;
	bool subscribed, closed;
	rd_kafka_queue_t *cq; /* the consumer queue: every group event */
	sl_source_ctl *ctl;   /* the engine's, during rebalance() only */
	sl_err *rb_err;	      /* rebalance()'s err, during the call */
	int rb_rc;	      /* the first failure in the callback */
	bool *owned;	      /* slot i is assigned to us and read */
	int64_t *next_start;  /* where an assigned slot starts (open) */
	int64_t *own_start;   /* where it did start, this assignment */
	int64_t *done_end;    /* the last end commit() got per slot */
	/* The engine's wake, called from librdkafka's threads when the
	 * consumer queue receives something: behind a lock, since leave()
	 * turns it off while librdkafka may be calling it. */
	pthread_mutex_t wake_lock;
	sl_source *wake_src; /* NULL: off */
};

/* The source's ops (io/source_kafka.c). */
extern const sl_source_ops sl_source_kafka;

/* ---- source_kafka_meta.c ---------------------------------------------- */

/* The slots whose partition is known: those found at init and the
 * spares bound since (any thread). */
static inline uint32_t sl_ksrc_known(const struct ksrc *ks)
{
	return ks->ntp +
	       atomic_load_explicit(&ks->nadded, memory_order_acquire);
}
/* A spare's poll, disc_lock held: when the interval has passed, reads the
 * metadata and binds the partitions not read yet to the next spares
 * (from earliest). Returns 0, or < 0 with err set when more partitions
 * appeared than there are spares (the query fails: it would lose them). */
int sl_ksrc_discover(sl_source *src, sl_err *err);

/* Orders ks->tp: by topic, then partition. */
int sl_ksrc_tp_cmp(const void *x, const void *y);
/* init: fills ks->tp from the cluster's metadata, per subscribe,
 * subscribePattern or assign (the parsed JSON, else NULL). */
int sl_ksrc_partitions(sl_source *src, json_t *assign, sl_err *err);

/* ---- source_kafka_offsets.c ------------------------------------------- */

/* An error a broker on a healthy cluster answers with for a moment (a new
 * topic's leader, a coordinator loading, a timeout): ask again. */
bool sl_ksrc_retriable(rd_kafka_resp_err_t e);
/* Sleeps before asking again (20, 40, ... 320 ms, never past deadline);
 * false when no time is left for another try. */
bool sl_ksrc_backoff(int *ms, int64_t deadline);
/* What is left of deadline for one try, in ms (at least 1). */
int sl_ksrc_left_ms(int64_t deadline);
/* open: the group's committed offset of tp (KSRC_LATEST when it has
 * none), and tp's low and high watermarks; both ask again on retriable
 * errors until metadataTimeout, and fail with p->err set. */
int sl_ksrc_committed(sl_source_part *p, const struct ksrc_tp *tp,
		      int64_t *off);
int sl_ksrc_watermarks(sl_source_part *p, const struct ksrc_tp *tp, int64_t *lo,
		       int64_t *hi);
/* sl_source_ops.commit and .lag. */
void sl_ksrc_commit(sl_source *src, const int64_t *ends, uint32_t n, bool last);
int64_t sl_ksrc_lag(sl_source *src, uint32_t part, int64_t position);

/* ---- source_kafka_part.c ---------------------------------------------- */

/* sl_source_ops.open, .poll, .latest and .close. */
int sl_ksrc_open(sl_source_part *p);
int sl_ksrc_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		 sl_batch **out);
int64_t sl_ksrc_latest(sl_source_part *p, int64_t batch_id);
void sl_ksrc_close(sl_source_part *p);
/* Whether a consumer error ends the query (else librdkafka gets past
 * it). */
bool sl_ksrc_err_ends(const struct ksrc_conf *c, rd_kafka_resp_err_t e);

/* ---- source_kafka_group.c -------------------------------------------- */

/* init, before connecting: what partitionAssignment 'group' needs. */
int sl_ksrc_group_check(sl_source *src, sl_err *err);
/* init: the rebalance callback and the assignor, on the consumer's conf. */
void sl_ksrc_group_conf(sl_source *src, rd_kafka_conf_t *conf);
/* init, once the partitions are known: the per-slot state; makes the
 * source dynamic. */
int sl_ksrc_group_alloc(sl_source *src, sl_err *err);
/* sl_source_ops.rebalance and .leave. */
int sl_ksrc_rebalance(sl_source *src, sl_source_ctl *ctl, sl_err *err);
void sl_ksrc_leave(sl_source *src);

#endif
