/* io/sink_kafka_txn.c - the Kafka sink's transactions (io/sink_kafka_txn.h):
 * deliveryGuarantee 'exactly-once'. The sink (io/sink_kafka.c) produces as
 * always; this file opens, fills with the source's offsets and commits one
 * transaction per epoch, and turns librdkafka's transactional errors
 * (retriable, abortable, fatal) into a retry or a clear failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/sink_kafka_txn.h"

#define KTXN "sink 'kafka'"
/* retry.backoff.ms unless the user sets it (sl_ktxn_conf) */
#define KTXN_RETRY_BACKOFF "5"

static int64_t conf_int(rd_kafka_conf_t *conf, const char *name, int64_t def)
{
	char buf[64];
	size_t n = sizeof(buf);

	if (rd_kafka_conf_get(conf, name, buf, &n) != RD_KAFKA_CONF_OK)
		return def;
	return strtoll(buf, NULL, 10);
}

int sl_ktxn_conf(sl_ktxn *t, sl_sink *sk, const sl_kvs *kafka,
		 const char *topic, rd_kafka_conf_t *conf, int op_ms,
		 sl_err *err)
{
	const char *given = sl_kvs_get(kafka, "transactional.id");
	char errstr[256];
	int rc;

	memset(t, 0, sizeof(*t));
	t->op_ms = op_ms;
	rc = sl_kafka_source_exactly_once(sk->source, !sk->continuous,
					  &t->group, KTXN, err);
	if (rc)
		return rc;
	t->src = sk->source;
	t->n = sk->source->nparts;
	t->check_replay = !sk->continuous;
	if (given)
		snprintf(t->id, sizeof(t->id), "%s", given);
	else
		snprintf(t->id, sizeof(t->id), "sluice-%s-%s", t->group,
			 topic ? topic : "rows");
	if (rd_kafka_conf_set(conf, "transactional.id", t->id, errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK)
		return sl_err_set(err, SL_EOPTION,
				  KTXN ": transactional.id '%s': %s", t->id,
				  errstr);
	/* After a commit the coordinator is still writing the markers of
	 * the transaction, and the next one's AddPartitionsToTxn is
	 * answered CONCURRENT_TRANSACTIONS; librdkafka asks again after
	 * retry.backoff.ms, 100 ms by default, which with epochs of 10 ms
	 * is what most records would wait for. */
	if (!sl_kvs_get(kafka, "retry.backoff.ms") &&
	    rd_kafka_conf_set(conf, "retry.backoff.ms", KTXN_RETRY_BACKOFF,
			      errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		return sl_err_set(err, SL_EOPTION,
				  KTXN ": retry.backoff.ms: %s", errstr);
	t->timeout_ms = conf_int(conf, "transaction.timeout.ms", 60000);
	/* A transaction stays open at least an epoch: one the broker may
	 * abort before the epoch ends can never commit. */
	if (sk->epoch_ms > 0 && t->timeout_ms > 0 &&
	    t->timeout_ms <= sk->epoch_ms)
		return sl_err_set(err, SL_EOPTION,
				  KTXN ": kafka.transaction.timeout.ms = %lld "
				  "is not longer than the trigger's interval "
				  "(%lld ms): the broker would abort every "
				  "transaction before its epoch commits",
				  (long long)t->timeout_ms,
				  (long long)sk->epoch_ms);
	/* A call that waits longer than the transaction may stay open
	 * waits for nothing: the broker aborts it by then. */
	if (t->timeout_ms > 0 && t->timeout_ms < t->op_ms)
		t->op_ms = (int)t->timeout_ms;
	t->cgmd = rd_kafka_consumer_group_metadata_new(t->group);
	if (!t->cgmd)
		return sl_err_set(err, -ENOMEM, KTXN ": out of memory");
	return 0;
}

/* Another producer with our transactional.id has taken over. */
static bool is_fenced(rd_kafka_t *rk, const rd_kafka_error_t *e)
{
	rd_kafka_resp_err_t c = rd_kafka_error_code(e);
	char why[16];

	if (rd_kafka_error_is_fatal(e) && c == RD_KAFKA_RESP_ERR__FATAL)
		c = rd_kafka_fatal_error(rk, why, sizeof(why));
	return c == RD_KAFKA_RESP_ERR__FENCED ||
	       c == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
	       c == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

static void fenced_msg(const sl_ktxn *t, const char *why, sl_err *err)
{
	sl_err_set(err, SL_EKAFKA,
		   KTXN ": another instance with transactional.id '%s' took "
			"over (this producer is fenced: %s); this query stops",
		   t->id, why);
}

bool sl_ktxn_fenced(sl_ktxn *t, sl_err *err)
{
	char why[400];
	rd_kafka_resp_err_t c;

	if (!t->rk)
		return false;
	c = rd_kafka_fatal_error(t->rk, why, sizeof(why));
	if (c != RD_KAFKA_RESP_ERR__FENCED &&
	    c != RD_KAFKA_RESP_ERR_PRODUCER_FENCED &&
	    c != RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
		return false;
	t->open = false;
	fenced_msg(t, why, err);
	return true;
}

/* A transactional call failed for good: say why, abort what can be
 * aborted, and return the code. Takes e. */
static int ktxn_fail(sl_ktxn *t, rd_kafka_error_t *e, const char *what,
		     int64_t epoch, sl_err *err)
{
	char hint[200] = "";
	int64_t open_ms = t->open ? (sl_now_ns() - t->since_ns) / 1000000 : 0;
	int code = SL_EKAFKA;

	if (is_fenced(t->rk, e)) {
		fenced_msg(t, rd_kafka_error_string(e), err);
		rd_kafka_error_destroy(e);
		t->open = false;
		return code;
	}
	if (t->open && open_ms >= t->timeout_ms)
		snprintf(hint, sizeof(hint),
			 " (the transaction was open %lld ms, longer than "
			 "kafka.transaction.timeout.ms = %lld: the broker "
			 "aborts it; use shorter epochs or raise it)",
			 (long long)open_ms, (long long)t->timeout_ms);
	if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT)
		code = SL_ETIMEOUT;
	sl_err_set(err, code,
		   KTXN ": exactly-once: epoch %lld: %s failed: %s%s%s", (long long)epoch,
		   what, rd_kafka_error_string(e), hint,
		   rd_kafka_error_txn_requires_abort(e)
			   ? "; the transaction is aborted, nothing of the "
			     "epoch is visible to read_committed consumers"
			   : "");
	if (rd_kafka_error_txn_requires_abort(e))
		sl_ktxn_abort(t);
	rd_kafka_error_destroy(e);
	return code;
}

int sl_ktxn_start(sl_ktxn *t, rd_kafka_t *rk, const char *bootstrap,
		  sl_err *err)
{
	int64_t deadline = sl_now_ns() + (int64_t)t->op_ms * 1000000;
	rd_kafka_error_t *e;

	t->rk = rk;
	for (;;) {
		int64_t left = (deadline - sl_now_ns()) / 1000000;

		e = rd_kafka_init_transactions(rk, left < 1 ? 1 : (int)left);
		if (!e)
			return 0;
		/* Resumable: the call goes on where it left off. */
		if (!rd_kafka_error_is_retriable(e) || sl_now_ns() >= deadline)
			break;
		rd_kafka_error_destroy(e);
	}
	if (is_fenced(rk, e))
		return ktxn_fail(t, e, "init_transactions", -1, err);
	sl_err_set(err,
		   rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT
			   ? SL_ETIMEOUT
			   : SL_EKAFKA,
		   KTXN ": exactly-once: cannot start transactions with "
			"transactional.id '%s' at '%s' within %d ms: %s (the "
			"cluster must support transactions, Kafka 0.11 or "
			"later, and its transaction coordinator, the topic "
			"__transaction_state, must be available: see "
			"transaction.state.log.replication.factor and "
			"transaction.state.log.min.isr on the brokers)",
		   t->id, bootstrap, t->op_ms, rd_kafka_error_string(e));
	rd_kafka_error_destroy(e);
	return SL_EKAFKA;
}

int sl_ktxn_begin(sl_ktxn *t, int64_t epoch, sl_err *err)
{
	rd_kafka_error_t *e;

	if (t->open)
		return 0;
	e = rd_kafka_begin_transaction(t->rk);
	if (e)
		return ktxn_fail(t, e, "begin_transaction", epoch, err);
	t->open = true;
	t->since_ns = sl_now_ns();
	return 0;
}

enum ktxn_op { KTXN_OFFSETS, KTXN_COMMIT };

/* One call, retried while librdkafka says it may be and op_ms lasts. */
static int ktxn_call(sl_ktxn *t, enum ktxn_op op,
		     const rd_kafka_topic_partition_list_t *l, int64_t epoch,
		     sl_err *err)
{
	int64_t deadline = sl_now_ns() + (int64_t)t->op_ms * 1000000;
	rd_kafka_error_t *e;

	for (;;) {
		int64_t left = (deadline - sl_now_ns()) / 1000000;
		int ms = left < 1 ? 1 : (int)left;

		e = op == KTXN_OFFSETS
			    ? rd_kafka_send_offsets_to_transaction(t->rk, l,
								   t->cgmd, ms)
			    : rd_kafka_commit_transaction(t->rk, ms);
		if (!e)
			return 0;
		if (!rd_kafka_error_is_retriable(e) ||
		    rd_kafka_error_txn_requires_abort(e) ||
		    sl_now_ns() >= deadline)
			break;
		rd_kafka_error_destroy(e);
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return ktxn_fail(t, e,
			 op == KTXN_OFFSETS ? "send_offsets_to_transaction"
					    : "commit_transaction",
			 epoch, err);
}

/* Whether the group's offsets are exactly ends already (where at least
 * one partition read something): the previous run committed this batch's
 * transaction and died before the checkpoint's commit, and the engine
 * re-runs the batch. */
static int ktxn_replayed(sl_ktxn *t, const int64_t *ends, bool *done,
			 sl_err *err)
{
	int64_t *g = malloc((t->n ? t->n : 1) * sizeof(int64_t));
	bool any = false, same = true;
	int rc;

	*done = false;
	if (!g)
		return sl_err_set(err, -ENOMEM, KTXN ": out of memory");
	rc = sl_kafka_source_group_offsets(t->src, g, t->n, t->op_ms, err);
	for (uint32_t i = 0; !rc && i < t->n; i++) {
		if (ends[i] < 0)
			continue;
		any = true;
		same &= g[i] == ends[i];
	}
	free(g);
	*done = !rc && any && same;
	return rc;
}

int sl_ktxn_commit(sl_ktxn *t, int64_t epoch, const int64_t *ends,
		   sl_err *err)
{
	rd_kafka_topic_partition_list_t *l;
	int rc;

	if (!t->open && t->last &&
	    !memcmp(t->last, ends, t->n * sizeof(int64_t)))
		return 0; /* nothing written, nothing read */
	if (!t->last) {
		t->last = malloc(t->n * sizeof(int64_t) + 1);
		if (!t->last)
			return sl_err_set(err, -ENOMEM,
					  KTXN ": out of memory");
	}
	if (t->check_replay) {
		bool done;

		t->check_replay = false;
		if ((rc = ktxn_replayed(t, ends, &done, err)))
			return rc;
		if (done) {
			sl_ktxn_abort(t);
			t->replays_dropped++;
			memcpy(t->last, ends, t->n * sizeof(int64_t));
			return 0;
		}
	}
	if ((rc = sl_ktxn_begin(t, epoch, err)))
		return rc;
	l = sl_kafka_source_offsets(t->src, ends, t->n);
	if (!l)
		return sl_err_set(err, -ENOMEM, KTXN ": out of memory");
	rc = l->cnt ? ktxn_call(t, KTXN_OFFSETS, l, epoch, err) : 0;
	rd_kafka_topic_partition_list_destroy(l);
	if (!rc)
		rc = ktxn_call(t, KTXN_COMMIT, NULL, epoch, err);
	if (rc)
		return rc;
	t->open = false;
	t->ncommits++;
	memcpy(t->last, ends, t->n * sizeof(int64_t));
	return 0;
}

void sl_ktxn_abort(sl_ktxn *t)
{
	rd_kafka_error_t *e;

	if (!t->open || !t->rk)
		return;
	t->open = false;
	e = rd_kafka_abort_transaction(t->rk, t->op_ms);
	/* Nothing more to do about it: the next instance's
	 * init_transactions aborts it, or the broker after
	 * transaction.timeout.ms. */
	if (e)
		rd_kafka_error_destroy(e);
}

void sl_ktxn_destroy(sl_ktxn *t)
{
	if (t->cgmd)
		rd_kafka_consumer_group_metadata_destroy(t->cgmd);
	free(t->last);
	memset(t, 0, sizeof(*t));
}
