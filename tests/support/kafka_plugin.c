/* tests/support/kafka_plugin.c - what tests/kafka/kafka_plugins.c (the
 * Kafka source) and tests/kafka/kafka_sink_plugin.c (the sink) share: a
 * mock cluster per test, a plain producer and consumer to check the
 * plugins against, and the Kafka source driven through its sl_source_ops
 * as the partition threads drive it (tests/support/kafka_plugin.h). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_embedded.h"
#include "tests/support/kafka.h"
#include "tests/support/kafka_plugin.h"

/* ---- a mock cluster per test ------------------------------------------- */

rd_kafka_t *sl_kplugin_host_rk;
rd_kafka_mock_cluster_t *sl_kplugin_mc;
const char *sl_kplugin_bootstrap;

void sl_kplugin_cluster_up(void)
{
	sl_kplugin_mc = sl_test_kafka_mock_up(1, &sl_kplugin_host_rk);
	sl_kplugin_bootstrap = rd_kafka_mock_cluster_bootstraps(sl_kplugin_mc);
}

void sl_kplugin_cluster_down(void)
{
	sl_test_kafka_mock_down(&sl_kplugin_mc, &sl_kplugin_host_rk);
	sl_kafka_embedded_shutdown();
}

void sl_kplugin_topic(const char *name, int parts)
{
	cr_assert_eq(rd_kafka_mock_topic_create(sl_kplugin_mc, name, parts, 1),
		     0);
}

/* ---- a plain producer and consumer, to check the plugins against ------- */

rd_kafka_t *sl_kplugin_client(rd_kafka_type_t type, const char *bs)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "fetch.wait.max.ms", "1", errstr,
			  sizeof(errstr));
	if (type == RD_KAFKA_CONSUMER)
		rd_kafka_conf_set(conf, "group.id", "test", errstr,
				  sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, sl_test_kafka_quiet_log);
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	cr_assert_not_null(rk, "%s", errstr);
	return rk;
}

/* n records "k<i>" / "v<i>" (i from first) to one partition. */
void sl_kplugin_produce(const char *bs, const char *t, int32_t part, int first,
			int n)
{
	rd_kafka_t *rk = sl_kplugin_client(RD_KAFKA_PRODUCER, bs);

	for (int i = first; i < first + n; i++) {
		char k[32], v[32];

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(t),
				     RD_KAFKA_V_PARTITION(part),
				     RD_KAFKA_V_KEY(k, strlen(k)),
				     RD_KAFKA_V_VALUE(v, strlen(v)),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	}
	cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
	rd_kafka_destroy(rk);
}

/* ---- driving the source ------------------------------------------------ */

void sl_kplugin_options(sl_kvs *given, sl_arena *arena, const char *first,
			va_list ap)
{
	sl_arena_init(arena);
	for (const char *k = first; k; k = va_arg(ap, const char *))
		sl_kvs_add(given, arena, k, va_arg(ap, const char *));
}

sl_kplugin_source *sl_kplugin_source_new(const char *first, ...)
{
	sl_kplugin_source *t = calloc(1, sizeof(*t));
	va_list ap;

	va_start(ap, first);
	sl_kplugin_options(&t->given, &t->arena, first, ap);
	va_end(ap);
	t->src.ops = &sl_source_kafka;
	t->src.arena = &t->arena;
	t->src.given = &t->given;
	t->src.conf = sl_arena_calloc(&t->arena, sl_source_kafka.conf_size);
	t->rc = sl_options_apply(sl_source_kafka.options, t->src.conf,
				 &t->given, NULL, "source 'kafka'", &t->arena,
				 &t->err);
	if (!t->rc)
		t->rc = sl_options_finalize(sl_source_kafka.finalize,
					    t->src.conf, "source 'kafka'",
					    &t->err);
	if (!t->rc)
		t->rc = sl_source_kafka.init(&t->src, &t->err);
	return t;
}

void sl_kplugin_source_open_all(sl_kplugin_source *t)
{
	cr_assert_eq(t->rc, 0, "%s", t->err.msg);
	t->parts = calloc(t->src.nparts, sizeof(*t->parts));
	for (uint32_t i = 0; i < t->src.nparts; i++) {
		t->parts[i].src = &t->src;
		t->parts[i].index = i;
		cr_assert_eq(sl_source_kafka.open(&t->parts[i]), 0, "%s",
			     t->parts[i].err.msg);
	}
}

void sl_kplugin_source_free(sl_kplugin_source *t)
{
	for (uint32_t i = 0; t->parts && i < t->src.nparts; i++)
		sl_source_kafka.close(&t->parts[i]);
	if (!t->rc)
		sl_source_kafka.destroy(&t->src);
	free(t->parts);
	sl_arena_free(&t->arena);
	free(t);
}

static void sl_kplugin_copy_bytes(char *dst, size_t n, const sl_value *v)
{
	if (sl_v_is_null(v)) {
		snprintf(dst, n, "(null)");
		return;
	}
	snprintf(dst, n, "%.*s", (int)v->len, (const char *)v->v.bin);
}

/* Polls partition p until `want` rows came (or 10 s passed), rows below
 * end only. Returns the count; rows copied into out. */
int sl_kplugin_poll_rows(sl_kplugin_source *t, uint32_t p, int64_t end,
			 int want, sl_kplugin_row *out)
{
	int got = 0;
	int64_t deadline = sl_now_ns() + 10000000000LL;

	while (got < want && sl_now_ns() < deadline) {
		sl_batch *b = NULL;
		int n = sl_source_kafka.poll(&t->parts[p], end, 20000000, &b);

		cr_assert_geq(n, 0, "poll: %s", t->parts[p].err.msg);
		if (!b)
			continue;
		cr_assert_eq((int)b->nrows, n);
		cr_assert_eq(b->partition, p);
		cr_assert_eq(b->end_offset, t->parts[p].offset);
		for (uint32_t r = 0; r < b->nrows; r++, got++) {
			const sl_value *row = sl_batch_row(b, r);
			sl_kplugin_row *o = &out[got];

			cr_assert_lt(got, want, "more rows than produced");
			cr_assert_eq(row[0].type == SL_NULL ||
					     row[0].type == SL_BINARY,
				     1);
			cr_assert_eq(row[1].type, SL_BINARY);
			cr_assert_eq(row[2].type, SL_STRING);
			sl_kplugin_copy_bytes(o->key, sizeof(o->key), &row[0]);
			sl_kplugin_copy_bytes(o->value, sizeof(o->value),
					      &row[1]);
			snprintf(o->topic, sizeof(o->topic), "%.*s",
				 (int)row[2].len, row[2].v.str);
			o->partition = row[3].v.i32;
			o->offset = row[4].v.i64;
			o->has_ts = row[5].type == SL_TIMESTAMP;
			o->ts_type = row[6].v.i32;
		}
		/* Frees the held librdkafka messages: ASan checks both that
		 * the rows pointed into live memory and that nothing leaks. */
		sl_batch_free(b);
	}
	return got;
}
