/* io/sink_kafka_txn.h - the Kafka sink's transactions, for
 * deliveryGuarantee 'exactly-once' (io/sink_kafka.c; docs/KAFKA.md,
 * "Exactly once").
 *
 * Each epoch (continuous) or batch (micro-batch) that has output or moved
 * the source's offsets is one Kafka transaction: begun before its first
 * record, and at the epoch's commit its source offsets are added
 * (send_offsets_to_transaction, to the source's consumer group) and it
 * commits. The group's committed offsets are then exactly where the last
 * committed transaction ended, and a restarted query starts its
 * partitions there (sl_kafka_source_exactly_once). All on the sink
 * thread. */
#ifndef SL_IO_SINK_KAFKA_TXN_H
#define SL_IO_SINK_KAFKA_TXN_H

#include "io/kafka_common.h"

typedef struct sl_ktxn {
	rd_kafka_t *rk; /* the sink's producer, set by sl_ktxn_start */
	sl_source *src;
	const char *group;
	rd_kafka_consumer_group_metadata_t *cgmd;
	char id[256];	    /* transactional.id */
	int64_t timeout_ms; /* transaction.timeout.ms */
	int op_ms;	    /* the longest one transactional call may take:
			       the caller's, or transaction.timeout.ms if
			       shorter */
	bool open;	    /* begun, not committed or aborted */
	int64_t since_ns;   /* when it was begun */
	uint32_t n;	    /* source partitions */
	int64_t *last;	    /* their ends in the last committed
			       transaction; NULL before the first */
	uint64_t ncommits;
	/* micro-batch: the first batch of a run may be one the previous run
	 * committed to Kafka but not to the checkpoint; checked at its
	 * commit against the group's offsets */
	bool check_replay;
	uint64_t replays_dropped;
} sl_ktxn;

/* Sink init, before the producer exists: checks the query reads Kafka
 * (sl_kafka_source_exactly_once), and sets transactional.id on conf
 * unless the user gave kafka.transactional.id: sluice-<group>-<topic>,
 * stable across restarts of the query, so that a restarted or second
 * instance fences the first. topic: the sink's option topic, or NULL.
 * Micro-batch (!sk->continuous): the checkpoint says where partitions
 * resume, and the first batch's commit drops the batch if the group's
 * offsets show the previous run committed it already.
 * Returns 0 or < 0 with err set. */
int sl_ktxn_conf(sl_ktxn *t, sl_sink *sk, const sl_kvs *kafka,
		 const char *topic, rd_kafka_conf_t *conf, int op_ms,
		 sl_err *err);
/* Sink init, once the producer is made: init_transactions, which fences
 * every older producer with the same transactional.id and aborts the
 * transaction a crashed run left open. Returns 0 or < 0 with err set. */
int sl_ktxn_start(sl_ktxn *t, rd_kafka_t *rk, const char *bootstrap,
		  sl_err *err);
/* Before a record is produced: begins the epoch's transaction if none is
 * open. Returns 0 or < 0 with err set. */
int sl_ktxn_begin(sl_ktxn *t, int64_t epoch, sl_err *err);
/* The epoch's every record is delivered (the caller flushed): adds the
 * offsets ends[0..t->n) and commits. An epoch with no record and no
 * offset moved commits nothing; nor does a re-run batch the group's
 * offsets show committed (check_replay): its transaction is aborted, as
 * its records are in Kafka already. Retriable errors are retried within
 * op_ms; an abortable one aborts the transaction (nothing of the epoch
 * becomes visible) and fails; a fenced producer fails naming the
 * transactional.id. Returns 0 or < 0 with err set. */
int sl_ktxn_commit(sl_ktxn *t, int64_t epoch, const int64_t *ends,
		   sl_err *err);
/* If the producer is fenced (a fatal error: another instance with the
 * same transactional.id took over), puts that in err and returns true. */
bool sl_ktxn_fenced(sl_ktxn *t, sl_err *err);
/* Aborts the open transaction, if any (a failed or stopped sink). */
void sl_ktxn_abort(sl_ktxn *t);
/* Frees what t holds (not the producer). */
void sl_ktxn_destroy(sl_ktxn *t);

#endif
