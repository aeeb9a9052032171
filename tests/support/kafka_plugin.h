/* tests/support/kafka_plugin.h - the Kafka source and sink tests' shared
 * helpers (tests/support/kafka_plugin.c): librdkafka's mock cluster, made
 * by sl_kplugin_cluster_up (a suite's .init) and gone after
 * sl_kplugin_cluster_down (its .fini), a plain client, and the Kafka
 * source driven through its sl_source_ops. */
#ifndef SL_TEST_KAFKA_PLUGIN_H
#define SL_TEST_KAFKA_PLUGIN_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/plugin.h"

extern const sl_source_ops sl_source_kafka;
extern const sl_sink_ops sl_sink_kafka;

/* ---- a mock cluster per test ------------------------------------------- */

extern rd_kafka_t *sl_kplugin_host_rk;
extern rd_kafka_mock_cluster_t *sl_kplugin_mc;
extern const char *sl_kplugin_bootstrap; /* the mock cluster's address */

void sl_kplugin_cluster_up(void);
/* Also shuts the embedded cluster down, if a test started it. */
void sl_kplugin_cluster_down(void);
/* A topic of `parts` partitions on the mock cluster. */
void sl_kplugin_topic(const char *name, int parts);

/* ---- a plain producer and consumer, to check the plugins against ------- */

rd_kafka_t *sl_kplugin_client(rd_kafka_type_t type, const char *bs);
/* n records "k<i>" / "v<i>" (i from first) to one partition. */
void sl_kplugin_produce(const char *bs, const char *t, int32_t part, int first,
			int n);

/* ---- driving the source ------------------------------------------------ */

/* Initialises arena and fills given from the NULL-terminated key, value
 * pairs that follow first (in ap), as a test names a plugin's options. */
void sl_kplugin_options(sl_kvs *given, sl_arena *arena, const char *first,
			va_list ap);

typedef struct sl_kplugin_source {
	sl_arena arena;
	sl_kvs given;
	sl_source src;
	sl_source_part *parts;
	sl_err err;
	int rc;
} sl_kplugin_source;

/* Makes a Kafka source from NULL-terminated key, value pairs, as
 * sl_session_read_stream does: options applied and finalized, then init. */
sl_kplugin_source *sl_kplugin_source_new(const char *first, ...);
/* Opens every partition of a source that was made (the test fails if it
 * was not, or if a partition does not open). */
void sl_kplugin_source_open_all(sl_kplugin_source *t);
void sl_kplugin_source_free(sl_kplugin_source *t);

/* One row as the test keeps it (copied out of the vector). */
typedef struct sl_kplugin_row {
	char key[32], value[32], topic[64];
	int32_t partition;
	int64_t offset;
	bool has_ts;
	int32_t ts_type;
} sl_kplugin_row;

/* Polls partition p until `want` rows came (or 10 s passed), rows below
 * end only. Returns the count; rows copied into out. */
int sl_kplugin_poll_rows(sl_kplugin_source *t, uint32_t p, int64_t end,
			 int want, sl_kplugin_row *out);

#endif
