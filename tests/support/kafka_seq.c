/* tests/support/kafka_seq.c - numbered records through a relay
 * (tests/support/kafka_seq.h): the producer and reader threads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_seq.h"

static void sl_test_seq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
			      void *opaque)
{
	sl_test_seq_io *s = opaque;
	uint32_t seq = (uint32_t)(uintptr_t)m->_private;
	if (m->err) {
		atomic_store(&s->prod_failed, true);
		return;
	}
	s->part[seq] = m->partition;
	s->off[seq] = m->offset;
	atomic_fetch_add(&s->produced, 1);
}

rd_kafka_t *sl_test_seq_producer_new(void *opaque,
				     void (*dr)(rd_kafka_t *rk,
						const rd_kafka_message_t *m,
						void *op))
{
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	sl_test_kafka_set(c, "enable.idempotence", "true");
	sl_test_kafka_set(c, "linger.ms", "5");
	sl_test_kafka_set(c, "batch.num.messages", "10000");
	sl_test_kafka_set(c, "queue.buffering.max.messages", "1000000");
	rd_kafka_conf_set_opaque(c, opaque);
	rd_kafka_conf_set_dr_msg_cb(c, dr);
	return sl_test_kafka_client_new(RD_KAFKA_PRODUCER, c);
}

void sl_test_seq_pace_wait(rd_kafka_t *rk, int64_t t0, uint32_t i,
			   uint32_t prefill, uint32_t rate)
{
	if (i < prefill || !rate)
		return;
	int64_t due = t0 + (int64_t)(i - prefill) * 1000 / rate;
	int64_t now = sl_test_now_ms();
	if (due > now) {
		rd_kafka_poll(rk, 0);
		sl_test_sleep_ms(due - now);
	}
}

void sl_test_seq_producer_done(rd_kafka_t *rk, rd_kafka_topic_t *t)
{
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
}

static void *sl_test_seq_producer_main(void *arg)
{
	sl_test_seq_io *s = arg;
	rd_kafka_t *rk = sl_test_seq_producer_new(s, sl_test_seq_dr_cb);
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, s->in, NULL);
	int64_t t0 = sl_test_now_ms();
	for (uint32_t seq = 0; seq < s->n; seq++) {
		while (seq >= atomic_load(&s->limit)) {
			rd_kafka_poll(rk, 0);
			sl_test_sleep_ms(10);
			/* held back: the pace resumes from here, no burst */
			if (seq >= s->prefill && s->rate)
				t0 = sl_test_now_ms() -
				     (int64_t)(seq - s->prefill) * 1000 /
					     s->rate;
		}
		sl_test_seq_pace_wait(rk, t0, seq, s->prefill, s->rate);
		char key[16], val[16];
		int kl = snprintf(key, sizeof(key), "k%u", seq % 1000);
		int vl = snprintf(val, sizeof(val), "%u", seq);
		while (rd_kafka_produce(t, (int32_t)(seq % (uint32_t)s->nparts),
					RD_KAFKA_MSG_F_COPY, val, (size_t)vl,
					key, (size_t)kl,
					(void *)(uintptr_t)seq))
			rd_kafka_poll(rk, 10); /* queue full */
		if (seq % 1000 == 0)
			rd_kafka_poll(rk, 0);
		if (seq + 1 == s->prefill)
			t0 = sl_test_now_ms();
	}
	sl_test_seq_producer_done(rk, t);
	return NULL;
}

rd_kafka_t *sl_test_seq_reader_new(const char *topic, int nparts)
{
	rd_kafka_conf_t *c = sl_test_kafka_conf_new();
	char gid[128];
	snprintf(gid, sizeof(gid), "%s-reader", topic);
	sl_test_kafka_set(c, "group.id", gid);
	sl_test_kafka_set(c, "enable.auto.commit", "false");
	sl_test_kafka_set(c, "fetch.wait.max.ms", "20");
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_CONSUMER, c);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(nparts);
	for (int p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

/* Reads the output from the beginning, counting copies of each sequence
 * number, until told to stop. */
static void *sl_test_seq_reader_main(void *arg)
{
	sl_test_seq_io *s = arg;
	rd_kafka_t *rk = sl_test_seq_reader_new(s->out, s->nparts);
	while (!atomic_load(&s->read_stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		if (!m)
			continue;
		if (!m->err && m->payload) {
			char buf[16];
			size_t n = m->len < 15 ? m->len : 15;
			memcpy(buf, m->payload, n);
			buf[n] = 0;
			char *end;
			unsigned long seq = strtoul(buf, &end, 10);
			if (*end || seq >= s->n) {
				fprintf(stderr, "%s: bad output record '%s'\n",
					s->tag, buf);
			} else {
				if (s->count[seq]++ == 0)
					atomic_fetch_add(&s->unique, 1);
				atomic_fetch_add(&s->total, 1);
			}
			atomic_store(&s->read_pos[m->partition], m->offset + 1);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return NULL;
}

void sl_test_seq_start(sl_test_seq_io *s, const char *tag, int nparts,
		       uint32_t n, uint32_t prefill, uint32_t rate)
{
	cr_assert_leq(nparts, SL_TEST_SEQ_MAXPART);
	s->tag = tag;
	s->nparts = nparts;
	s->n = n;
	s->prefill = prefill;
	s->rate = rate;
	if (!atomic_load(&s->limit))
		atomic_store(&s->limit, n);
	s->part = calloc(n, sizeof(*s->part));
	s->off = calloc(n, sizeof(*s->off));
	s->count = calloc(n, 1);
	cr_assert(s->part && s->off && s->count);
	pthread_create(&s->read_th, NULL, sl_test_seq_reader_main, s);
	pthread_create(&s->prod_th, NULL, sl_test_seq_producer_main, s);
}

void sl_test_seq_produced(sl_test_seq_io *s)
{
	pthread_join(s->prod_th, NULL);
	cr_assert_not(atomic_load(&s->prod_failed), "producing the input");
	cr_assert_eq(atomic_load(&s->produced), s->n);
}

void sl_test_seq_topic_ends(const sl_test_seq_io *s, const char *topic,
			    int64_t *hi)
{
	sl_test_kafka_topic_ends(topic, s->nparts, hi);
}

void sl_test_seq_wait_all(sl_test_seq_io *s, int64_t timeout_ms,
			  sl_test_child **kids, int nkids)
{
	int64_t dl = sl_test_now_ms() + timeout_ms;
	while (atomic_load(&s->unique) < s->n) {
		for (int k = 0; k < nkids; k++)
			if (kids[k]->pid)
				sl_test_child_check_alive(kids[k]);
		if (sl_test_now_ms() > dl) {
			for (int k = 0; k < nkids; k++)
				sl_test_child_print_log(kids[k]);
			cr_assert_fail("output has %u of %u records after %lld "
				       "ms",
				       atomic_load(&s->unique), s->n,
				       (long long)timeout_ms);
		}
		sl_test_sleep_ms(50);
	}
}

void sl_test_seq_drain(sl_test_seq_io *s)
{
	int64_t hi[SL_TEST_SEQ_MAXPART];
	sl_test_seq_topic_ends(s, s->out, hi);
	int64_t dl = sl_test_now_ms() + 30000;
	for (int p = 0; p < s->nparts; p++)
		while (atomic_load(&s->read_pos[p]) < hi[p]) {
			cr_assert_lt(sl_test_now_ms(), dl, "reader stuck");
			sl_test_sleep_ms(20);
		}
	atomic_store(&s->read_stop, true);
	pthread_join(s->read_th, NULL);
}

void sl_test_seq_free(sl_test_seq_io *s)
{
	free(s->part);
	free(s->off);
	free(s->count);
}
