/* tests/kafka/eos_mock.c - deliveryGuarantee 'exactly-once' on librdkafka's
 * mock cluster (in this process, no broker): transactional errors injected
 * into the relay's requests are retried or stop the query with a clear
 * error, and the option's own errors.
 *
 * The relay is the public API's: kafka source (subscribe IN, group G) ->
 * SELECT key, value -> kafka sink (topic OUT, exactly-once, continuous
 * 50 ms). The mock cluster answers the transactional requests
 * (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
 * EndTxn) but writes no transaction markers, so what a read_committed
 * consumer would not see cannot be checked here, and its TxnOffsetCommit
 * (librdkafka 2.0.2) stores no offset, so neither can where a restart
 * resumes: tests/kafka/eos_relay.c checks both on the real broker. Here:
 * every record comes out, none twice, while the errors are injected, or
 * the query stops naming the error. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"

#include "sluice.h"

/* Kafka protocol ApiKeys. */
#define API_PRODUCE 0
#define API_INIT_PRODUCER_ID 22
#define API_ADD_OFFSETS_TO_TXN 25
#define API_END_TXN 26
#define API_TXN_OFFSET_COMMIT 28

#define IN "in"
#define OUT "out"
#define GROUP "eos-relay"
#define NREC 2000

static rd_kafka_t *host_rk;
static rd_kafka_mock_cluster_t *mc;
static const char *bs;

static void cluster_up(void)
{
	mc = sl_test_kafka_mock_up(1, &host_rk);
	bs = rd_kafka_mock_cluster_bootstraps(mc);
	cr_assert_eq(rd_kafka_mock_topic_create(mc, IN, 2, 1), 0);
	cr_assert_eq(rd_kafka_mock_topic_create(mc, OUT, 2, 1), 0);
}

static void cluster_down(void)
{
	sl_test_kafka_mock_down(&mc, &host_rk);
}

TestSuite(eos_mock, .init = cluster_up, .fini = cluster_down);

static rd_kafka_t *client(rd_kafka_type_t type)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char e[256];

	rd_kafka_conf_set(c, "bootstrap.servers", bs, e, sizeof(e));
	rd_kafka_conf_set(c, "fetch.wait.max.ms", "5", e, sizeof(e));
	rd_kafka_conf_set(c, "group.id", "eos-mock-checker", e, sizeof(e));
	rd_kafka_conf_set(c, "isolation.level", "read_committed", e,
			  sizeof(e));
	rd_kafka_conf_set_log_cb(c, sl_test_kafka_quiet_log);
	rd_kafka_t *rk = rd_kafka_new(type, c, e, sizeof(e));
	cr_assert_not_null(rk, "%s", e);
	return rk;
}

/* Records "r<i>" for i in [first, first + n) into IN. */
static void produce(int first, int n)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER);

	for (int i = first; i < first + n; i++) {
		char k[16], v[16];
		snprintf(k, sizeof(k), "k%d", i % 7);
		snprintf(v, sizeof(v), "r%d", i);
		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(IN),
				     RD_KAFKA_V_KEY(k, strlen(k)),
				     RD_KAFKA_V_VALUE(v, strlen(v)),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	}
	cr_assert_eq(rd_kafka_flush(rk, 30000), 0);
	rd_kafka_destroy(rk);
}

/* The i of a record "r<i>" in [0, NREC). */
static bool record_number(const rd_kafka_message_t *m, int *i)
{
	char v[16];

	snprintf(v, sizeof(v), "%.*s", (int)m->len, (const char *)m->payload);
	return sscanf(v, "r%d", i) == 1 && *i >= 0 && *i < NREC;
}

struct checker {
	rd_kafka_t *rk;
	int seen[NREC];
	int dups;
};

static void checker_start(struct checker *c)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(2);

	memset(c, 0, sizeof(*c));
	c->rk = client(RD_KAFKA_CONSUMER);
	for (int p = 0; p < 2; p++)
		rd_kafka_topic_partition_list_add(l, OUT, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(c->rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
}

/* Until [0, upto) all came, ms passed, or q stopped. */
static bool checker_wait(struct checker *c, int upto, int64_t ms,
			 sl_query *q)
{
	int64_t dl = sl_test_now_ms() + ms;

	for (;;) {
		int i = 0;
		while (i < upto && c->seen[i])
			i++;
		if (i == upto)
			return true;
		if (sl_test_now_ms() > dl || (q && !sl_query_is_active(q)))
			return false;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
		if (!m)
			continue;
		int k;
		if (!m->err && record_number(m, &k))
			c->dups += c->seen[k]++ > 0;
		rd_kafka_message_destroy(m);
	}
}

/* Reads on for ms: a record written twice arrives within it. */
static void checker_read_for(struct checker *c, int64_t ms)
{
	int64_t dl = sl_test_now_ms() + ms;

	while (sl_test_now_ms() < dl) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 20);
		int k;
		if (!m)
			continue;
		if (!m->err && record_number(m, &k))
			c->dups += c->seen[k]++ > 0;
		rd_kafka_message_destroy(m);
	}
}

static void checker_stop(struct checker *c)
{
	rd_kafka_consumer_close(c->rk);
	rd_kafka_destroy(c->rk);
}

/* The relay; extra: two more sink options (key, value), or NULL. */
static sl_query *relay_with(sl_session *s, const char *const *extra)
{
	const char *src[] = { "subscribe", IN, "kafka.bootstrap.servers", bs,
			      "kafka.group.id", GROUP, "startingOffsets",
			      "earliest", NULL };
	const char *snk[] = { "topic", OUT, "kafka.bootstrap.servers", bs,
			      "deliveryGuarantee", "exactly-once", "trigger",
			      "continuous 50 ms", NULL, NULL, NULL };
	if (extra) {
		snk[8] = extra[0];
		snk[9] = extra[1];
	}
	static const char *const cols[] = { "key", "value", NULL };
	sl_frame *f = sl_session_read_stream(s, "kafka", src);
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_frame *sel = sl_frame_select(f, cols);
	cr_assert_not_null(sel, "%s", sl_session_errmsg(s));
	return sl_frame_start(sel, "kafka", snk, NULL);
}

static sl_query *relay(sl_session *s)
{
	return relay_with(s, NULL);
}

/* No fault: nothing to inject. */
static void no_fault(void)
{
}

/* The coordinators moving or loading while epochs commit. */
static void retriable_faults(void)
{
	rd_kafka_mock_push_request_errors(
		mc, API_END_TXN, 3, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
		RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
		RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
	rd_kafka_mock_push_request_errors(
		mc, API_ADD_OFFSETS_TO_TXN, 2,
		RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
		RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
	rd_kafka_mock_push_request_errors(
		mc, API_TXN_OFFSET_COMMIT, 2,
		RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
		RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
}

/* Half the records relayed, inject(), the other half: the query keeps
 * running, and every record comes out once. */
static void relay_through(void (*inject)(void))
{
	sl_session *s = sl_session_new();
	struct checker c;

	produce(0, NREC / 2);
	checker_start(&c);
	sl_query *q = relay(s);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(checker_wait(&c, NREC / 2, 20000, q));
	inject();
	produce(NREC / 2, NREC / 2);
	cr_assert(checker_wait(&c, NREC, 30000, q), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "timed out");
	cr_assert(sl_query_is_active(q), "%s", sl_query_exception(q));
	checker_read_for(&c, 500); /* a repeat would come within it */
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	cr_assert_eq(c.dups, 0, "%d records written twice", c.dups);
	checker_stop(&c);
	sl_session_destroy(s);
}

Test(eos_mock, relays_each_record_once)
{
	relay_through(no_fault);
}

Test(eos_mock, retriable_transaction_errors_are_retried)
{
	relay_through(retriable_faults);
}

/* The coordinator says another producer took the transactional.id over
 * (a newer epoch; err: PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH from
 * older brokers): the query stops with the fencing error. */
static void fenced(rd_kafka_resp_err_t err)
{
	sl_session *s = sl_session_new();
	struct checker c;

	produce(0, NREC / 2);
	checker_start(&c);
	sl_query *q = relay(s);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(checker_wait(&c, NREC / 2, 20000, q));
	rd_kafka_mock_push_request_errors(mc, API_END_TXN, 1, err);
	produce(NREC / 2, NREC / 2);
	int64_t dl = sl_test_now_ms() + 20000;
	while (sl_query_is_active(q) && sl_test_now_ms() < dl)
		sl_test_sleep_ms(20);
	cr_assert_not(sl_query_is_active(q), "the fenced query stops");
	const char *ex = sl_query_exception(q);
	cr_assert_not_null(ex);
	cr_assert(strstr(ex, "is fenced") && strstr(ex, "sluice-" GROUP "-" OUT),
		  "the error names the fencing and the transactional.id: %s",
		  ex);
	sl_query_stop(q);
	checker_stop(&c);
	sl_session_destroy(s);
}

Test(eos_mock, fenced_producer_stops_the_query)
{
	fenced(RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
}

Test(eos_mock, invalid_producer_epoch_stops_the_query)
{
	fenced(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
}

/* A commit the coordinator keeps refusing (every EndTxn answered
 * COORDINATOR_NOT_AVAILABLE, retriable; kafka.transaction.timeout.ms
 * 2 s): the query stops with an error naming the commit, within the
 * transaction timeout and a little, rather than retry for ever. */
Test(eos_mock, commit_timeout_stops_the_query)
{
	static const char *const tmo[] = { "kafka.transaction.timeout.ms",
					   "2000" };
	sl_session *s = sl_session_new();
	struct checker c;

	produce(0, NREC / 2);
	checker_start(&c);
	sl_query *q = relay_with(s, tmo);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(checker_wait(&c, NREC / 2, 20000, q));
	rd_kafka_resp_err_t busy[4000];
	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		busy[i] = RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE;
	rd_kafka_mock_push_request_errors_array(
		mc, API_END_TXN, sizeof(busy) / sizeof(busy[0]), busy);
	int64_t t0 = sl_test_now_ms();
	produce(NREC / 2, NREC / 2);
	while (sl_query_is_active(q) && sl_test_now_ms() < t0 + 20000)
		sl_test_sleep_ms(20);
	cr_assert_not(sl_query_is_active(q), "the query stops");
	int64_t took = sl_test_now_ms() - t0;
	const char *ex = sl_query_exception(q);
	cr_assert(ex && strstr(ex, "commit_transaction failed"),
		  "the error names the commit: %s", ex ? ex : "(none)");
	fprintf(stderr, "eos_mock: stopped %lld ms after the fault: %s\n",
		(long long)took, ex);
	cr_assert_lt(took, 8000, "stopped after %lld ms", (long long)took);
	sl_query_stop(q);
	checker_stop(&c);
	sl_session_destroy(s);
}

Test(eos_mock, cluster_refusing_transactions_fails_the_start)
{
	sl_session *s = sl_session_new();

	rd_kafka_mock_push_request_errors(
		mc, API_INIT_PRODUCER_ID, 1,
		RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
	int64_t t0 = sl_test_now_ms();
	sl_query *q = relay(s);
	cr_assert_null(q, "the start fails");
	const char *m = sl_session_errmsg(s);
	cr_assert(strstr(m, "cannot start transactions") &&
			  strstr(m, "sluice-" GROUP "-" OUT),
		  "names transactions and the id: %s", m);
	cr_assert_lt(sl_test_now_ms() - t0, 10000, "fails at once");
	sl_session_destroy(s);
}

Test(eos_mock, option_errors)
{
	sl_session *s = sl_session_new();
	static const char *const cols[] = { "key", "value", NULL };
	const char *nogroup[] = { "subscribe", IN, "kafka.bootstrap.servers",
				  bs, NULL };
	const char *uncommitted[] = { "subscribe",
				      IN,
				      "kafka.bootstrap.servers",
				      bs,
				      "kafka.group.id",
				      GROUP,
				      "kafka.isolation.level",
				      "read_uncommitted",
				      NULL };
	const char *snk[] = { "topic", OUT, "kafka.bootstrap.servers", bs,
			      "deliveryGuarantee", "exactly-once", NULL };
	const char *bad[] = { "topic", OUT, "kafka.bootstrap.servers", bs,
			      "deliveryGuarantee", "exactly_once", NULL };
	const char *grouped[] = { "subscribe", IN, "kafka.bootstrap.servers",
				  bs, "kafka.group.id", GROUP, NULL };
	const char *short_txn[] = { "topic", OUT, "kafka.bootstrap.servers",
				    bs, "deliveryGuarantee", "exactly-once",
				    "kafka.transaction.timeout.ms", "1000",
				    "trigger", "continuous 2 seconds", NULL };
	struct {
		const char *const *src, *const *snk;
		const char *want;
	} cases[] = {
		{ nogroup, snk, "needs the source's kafka.group.id" },
		{ uncommitted, snk, "kafka.isolation.level is " },
		{ nogroup, bad, "exactly-once" },
		{ grouped, short_txn, "kafka.transaction.timeout.ms = 1000 is "
				      "not longer than the trigger's interval "
				      "(2000 ms)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_frame *f = sl_session_read_stream(s, "kafka", cases[i].src);
		cr_assert_not_null(f, "%s", sl_session_errmsg(s));
		sl_frame *sel = sl_frame_select(f, cols);
		sl_query *q = sl_frame_start(sel, "kafka", cases[i].snk, NULL);
		cr_assert_null(q, "case %zu starts", i);
		cr_assert(strstr(sl_session_errmsg(s), cases[i].want),
			  "case %zu: %s", i, sl_session_errmsg(s));
	}
	/* a source that is not Kafka */
	const char *rate[] = { "rowsPerSecond", "10", NULL };
	static const char *const vcols[] = { "CAST(value AS STRING) AS value",
					     NULL };
	sl_frame *f = sl_session_read_stream(s, "rate", rate);
	cr_assert_not_null(f);
	sl_frame *sel = sl_frame_select(f, vcols);
	cr_assert_not_null(sel, "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_start(sel, "kafka", snk, NULL));
	cr_assert(strstr(sl_session_errmsg(s), "needs a query that reads "
					       "Kafka"),
		  "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}
