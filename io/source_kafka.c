/* io/source_kafka.c - the Kafka source (format "kafka"), Spark's Kafka
 * source with its option names and schema.
 *
 * One source partition per Kafka partition: init reads the cluster's
 * metadata and fixes the list of (topic, partition) pairs, sorted, so
 * partition i of the source is the same Kafka partition on every run. Each
 * partition thread reads its own librdkafka queue
 * (rd_kafka_queue_get_partition, unforwarded from the consumer queue) of
 * one consumer shared by the source; partitions are assigned manually
 * (rd_kafka_incremental_assign at open), as Spark does: no group
 * rebalancing decides who reads what, and offsets are the checkpoint's.
 *
 * With partitionAssignment 'group' the consumer group decides instead
 * (io/source_kafka_group.c, docs/KAFKA.md): the source is dynamic, open
 * runs when the group assigns a partition and does not assign it itself.
 *
 * Records are not copied: the key and value of a row point into the
 * rd_kafka_message_t that librdkafka fetched, and the vector holds the
 * messages (sl_batch_hold) until it is freed. Schema:
 *   key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT,
 *   timestamp TIMESTAMP, timestampType INT
 *   [, headers ARRAY<STRUCT<key: STRING, value: BINARY>>]  (includeHeaders)
 * A partition's offset (p->offset) is Kafka's: the offset of the next
 * record it will return.
 *
 * Memory is bounded in bytes, not only in entries. A partition's ring
 * holds up to SL_RING_ENTRIES vectors (engine/exec.c) whatever their size,
 * and with a sink slower than the source every vector is full: at 1024
 * records of 1 KiB that was 256 MiB per partition, on top of librdkafka's
 * prefetch (docs/BENCHMARKS.md, "Memory with a slow sink"). So a vector
 * also ends at KSRC_MAX_BATCH_BYTES, which makes the ring's bound one of
 * bytes (entries x 1 MiB), and librdkafka's queue behind it is bounded by
 * queued.max.messages.kbytes (io/kafka_common.c). Neither makes a poll wait
 * to fill a vector: the byte limit only cuts a vector short, and the rest
 * goes into the next one.
 *
 * Where a partition starts: the checkpoint's offset when the query resumes
 * from one (p->has_resume); else, when kafka.group.id is given and
 * startingOffsets is not, the group's committed offset (librdkafka's
 * RD_KAFKA_OFFSET_STORED, read at open; latest when the group has none);
 * else startingOffsets. After each epoch/batch commit the engine calls
 * commit(): the ends are committed to the consumer group (when the user
 * named it with kafka.group.id), so lag tools see the query's progress.
 * With a Kafka sink writing exactly once (io/sink_kafka_txn.c) the sink's
 * transactions commit those offsets instead, and a partition starts at
 * the group's committed offset (io/source_kafka_offsets.c,
 * sl_kafka_source_exactly_once).
 *
 * This file holds the options, the schema and init/destroy; the rest is
 * io/source_kafka_meta.c (the partitions from the cluster's metadata),
 * io/source_kafka_part.c (a partition thread: open, poll, close) and
 * io/source_kafka_offsets.c (offset queries, commit, lag). */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/source_kafka_internal.h"

/* ---- options ---------------------------------------------------------- */

static const char *const ksrc_assign_modes[] = { "manual", "group", NULL };

static const sl_opt_def ksrc_options[] = {
	{
		.name = "partitionAssignment",
		.type = SL_OPT_ENUM,
		.offset = offsetof(struct ksrc_conf, partition_assignment),
		.def = "manual",
		.allowed = ksrc_assign_modes,
		.desc = "Who decides which partitions the query reads (sluice; "
			"not in Spark). manual: every partition found when the "
			"source is made, for the query's life, as Spark does. "
			"group: the consumer group kafka.group.id, rebalancing "
			"partitions among the queries (processes) that "
			"subscribe with it while they run; needs subscribe or "
			"subscribePattern and the continuous trigger "
			"(docs/KAFKA.md).",
	},
	{
		.name = "subscribe",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksrc_conf, subscribe),
		.desc = "Comma-separated topics to read. One of assign, "
			"subscribe, subscribePattern is required.",
	},
	{
		.name = "subscribePattern",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksrc_conf, subscribe_pattern),
		.desc = "Read the topics whose whole name matches this "
			"regular expression (POSIX extended), as found when "
			"the source is made.",
	},
	{
		.name = "assign",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksrc_conf, assign),
		.desc = "Read these partitions: JSON such as "
			"{\"topicA\":[0,1],\"topicB\":[2,4]}.",
	},
	{
		.name = "startingOffsets",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksrc_conf, starting_offsets),
		.def = "latest",
		.desc = "Where a new query starts: earliest, latest, or JSON "
			"naming every partition, such as "
			"{\"topicA\":{\"0\":23,\"1\":-2}} (-2: earliest, -1: "
			"latest).",
	},
	{
		.name = "groupIdPrefix",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct ksrc_conf, group_id_prefix),
		.def = "sluice-kafka-source",
		.desc = "Prefix of the consumer group id made up for the "
			"query when kafka.group.id is not given.",
	},
	{
		.name = "includeHeaders",
		.type = SL_OPT_BOOL,
		.offset = offsetof(struct ksrc_conf, include_headers),
		.def = "false",
		.desc = "Add the column headers ARRAY<STRUCT<key: STRING, "
			"value: BINARY>>.",
	},
	{
		.name = "failOnDataLoss",
		.type = SL_OPT_BOOL,
		.offset = offsetof(struct ksrc_conf, fail_on_data_loss),
		.def = "true",
		.desc = "Fail the query when offsets to read are gone (deleted "
			"by retention); false: go on from the earliest "
			"offset still there.",
	},
	{
		.name = "metadataTimeout",
		.type = SL_OPT_DURATION,
		.offset = offsetof(struct ksrc_conf, metadata_timeout_ms),
		.min = 1,
		.max = 3600000,
		.def = "10 seconds",
		.desc = "How long making the source and starting a query wait "
			"for the cluster's metadata and offsets (sluice; not "
			"in Spark). An unreachable cluster fails sooner.",
	},
	{
		.name = "partitionDiscoveryInterval",
		.type = SL_OPT_DURATION,
		.offset = offsetof(struct ksrc_conf, discovery_interval_ms),
		.min = 0,
		.max = 3600000,
		.def = "5 seconds",
		.desc = "How often a running query looks for partitions added "
			"to its topics (subscribe) or for new topics matching "
			"subscribePattern (sluice; Spark looks each batch). "
			"New ones are read from the earliest offset. 0: never "
			"(docs/KAFKA.md). Not with 'assign'; with "
			"partitionAssignment 'group', how often the group "
			"looks for partitions added to its topics.",
	},
	{
		.name = "maxAddedPartitions",
		.type = SL_OPT_INT,
		.offset = offsetof(struct ksrc_conf, max_added_partitions),
		.min = 0,
		.max = 1024,
		.def = "8",
		.desc = "How many partitions a running query can add (one "
			"idle partition thread each until then); more fail "
			"the query, naming this option (sluice).",
	},
	{
		.name = "kafka.",
		.type = SL_OPT_PREFIX,
		.offset = offsetof(struct ksrc_conf, kafka),
		.desc = "Any librdkafka consumer property, prefix removed: "
			"kafka.bootstrap.servers (absent or 'embedded': the "
			"embedded cluster), kafka.group.id, "
			"kafka.fetch.wait.max.ms, ...",
	},
	{ .name = NULL },
};

/* The source's cross-option rule (sl_source_ops.finalize): the topics
 * come from exactly one of assign, subscribe and subscribePattern. */
static const char *ksrc_finalize(const void *conf)
{
	const struct ksrc_conf *c = conf;
	int n = !!c->subscribe + !!c->subscribe_pattern + !!c->assign;

	if (n != 1)
		return "exactly one of the options 'assign', 'subscribe', "
		       "'subscribePattern' must be given";
	return NULL;
}

/* ---- schema ------------------------------------------------------------ */

static const sl_schema *ksrc_schema(sl_arena *a, bool headers)
{
	static const struct {
		const char *name;
		const sl_dtype *type;
		bool nullable;
	} cols[] = {
		{ "key", &sl_dtype_binary, true },
		{ "value", &sl_dtype_binary, true },
		{ "topic", &sl_dtype_string, false },
		{ "partition", &sl_dtype_int, false },
		{ "offset", &sl_dtype_long, false },
		{ "timestamp", &sl_dtype_timestamp, true },
		{ "timestampType", &sl_dtype_int, false },
	};
	uint32_t n = sizeof(cols) / sizeof(cols[0]);
	sl_schema *s = sl_schema_new(a, n + headers);

	for (uint32_t i = 0; i < n; i++) {
		s->fields[i].name = cols[i].name;
		s->fields[i].type = cols[i].type;
		s->fields[i].nullable = cols[i].nullable;
	}
	if (headers) {
		sl_schema *kv = sl_schema_new(a, 2);
		sl_dtype *st = sl_arena_calloc(a, sizeof(*st));
		sl_dtype *arr = sl_arena_calloc(a, sizeof(*arr));

		kv->fields[0].name = "key";
		kv->fields[0].type = &sl_dtype_string;
		kv->fields[1].name = "value";
		kv->fields[1].type = &sl_dtype_binary;
		kv->fields[1].nullable = true;
		st->id = SL_STRUCT;
		st->fields = kv;
		arr->id = SL_ARRAY;
		arr->elem = st;
		s->fields[n].name = "headers";
		s->fields[n].type = arr;
		s->fields[n].nullable = true;
	}
	return s;
}

/* ---- options in JSON ---------------------------------------------------- */

/* assign: {"topic":[0,1],...}. Returns the parsed object or NULL. */
static json_t *parse_assign(const char *text, sl_err *err)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);

	if (!o || !json_is_object(o) || !json_object_size(o))
		goto bad;
	for (void *it = json_object_iter(o); it;
	     it = json_object_iter_next(o, it)) {
		json_t *v = json_object_iter_value(it);

		if (!json_is_array(v) || !json_array_size(v))
			goto bad;
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *p = json_array_get(v, i);

			if (!json_is_integer(p) || json_integer_value(p) < 0 ||
			    json_integer_value(p) > INT32_MAX)
				goto bad;
		}
	}
	return o;
bad:
	json_decref(o);
	sl_err_set(err, SL_EOPTION,
		   KSRC ": option 'assign' = '%s' is not JSON of the form "
			"{\"topicA\":[0,1],\"topicB\":[2,4]}",
		   text);
	return NULL;
}

/* startingOffsets: "earliest", "latest", or
 * {"topic":{"0":23,"1":-2},...} naming every partition the source reads. */
static int apply_starting(sl_source *src, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	struct ksrc *ks = src->state;
	const char *text = c->starting_offsets;
	json_error_t je;
	json_t *o;

	if (!strcasecmp(text, "earliest") || !strcasecmp(text, "latest")) {
		int64_t v = strcasecmp(text, "earliest") ? KSRC_LATEST
							 : KSRC_EARLIEST;

		for (uint32_t i = 0; i < ks->ntp; i++)
			ks->tp[i].start = v;
		return 0;
	}
	o = json_loads(text, 0, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return sl_err_set(err, SL_EOPTION,
				  KSRC ": option 'startingOffsets' = '%s' is "
				       "not earliest, latest or JSON such as "
				       "{\"topicA\":{\"0\":23,\"1\":-2}}",
				  text);
	}
	for (uint32_t i = 0; i < ks->ntp; i++)
		ks->tp[i].start = INT64_MIN; /* not given yet */
	for (void *it = json_object_iter(o); it;
	     it = json_object_iter_next(o, it)) {
		const char *topic = json_object_iter_key(it);
		json_t *parts = json_object_iter_value(it);

		if (!json_is_object(parts))
			goto bad;
		for (void *pit = json_object_iter(parts); pit;
		     pit = json_object_iter_next(parts, pit)) {
			const char *pk = json_object_iter_key(pit);
			json_t *ov = json_object_iter_value(pit);
			char *end;
			long part = strtol(pk, &end, 10);
			int64_t off;
			bool found = false;

			if (!*pk || *end || !json_is_integer(ov))
				goto bad;
			off = json_integer_value(ov);
			if (off < KSRC_EARLIEST)
				goto bad;
			for (uint32_t i = 0; i < ks->ntp; i++)
				if (ks->tp[i].partition == part &&
				    !strcmp(ks->tp[i].topic, topic)) {
					ks->tp[i].start = off;
					found = true;
				}
			if (!found) {
				sl_err_set(err, SL_EOPTION,
					   KSRC
					   ": option 'startingOffsets' "
					   "names %s-%ld, which the source "
					   "does not read",
					   topic, part);
				json_decref(o);
				return SL_EOPTION;
			}
		}
	}
	json_decref(o);
	for (uint32_t i = 0; i < ks->ntp; i++)
		if (ks->tp[i].start == INT64_MIN)
			return sl_err_set(err, SL_EOPTION,
					  KSRC
					  ": option 'startingOffsets' "
					  "must give an offset for every "
					  "partition read; %s-%d is missing",
					  ks->tp[i].topic, ks->tp[i].partition);
	return 0;
bad:
	json_decref(o);
	return sl_err_set(err, SL_EOPTION,
			  KSRC ": option 'startingOffsets' = '%s' is not JSON "
			       "of the form {\"topicA\":{\"0\":23,\"1\":-2}} "
			       "(offsets >= -2)",
			  text);
}

/* ---- init / destroy ----------------------------------------------------- */

static void ksrc_destroy(sl_source *src)
{
	struct ksrc *ks = src->state;

	if (!ks)
		return;
	if (ks->rk) {
		if (ks->cq) {
			rd_kafka_queue_cb_event_enable(ks->cq, NULL, NULL);
			rd_kafka_queue_destroy(ks->cq);
		}
		if (!ks->closed)
			rd_kafka_consumer_close(ks->rk);
		rd_kafka_destroy(ks->rk);
	}
	sl_kafka_events_destroy(&ks->ev);
	pthread_mutex_destroy(&ks->wake_lock);
	pthread_mutex_destroy(&ks->disc_lock);
	for (uint32_t i = 0; i < atomic_load(&ks->nadded); i++)
		free((char *)ks->tp[ks->ntp + i].topic);
	free(ks->owned);
	free(ks->next_start);
	free(ks->own_start);
	free(ks->done_end);
	free(ks);
	src->state = NULL;
}

static int ksrc_init(sl_source *src, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	rd_kafka_conf_t *conf;
	struct ksrc *ks;
	json_t *assign = NULL;
	char errstr[512];
	int rc;

	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return sl_err_set(err, -ENOMEM, KSRC ": out of memory");
	sl_kafka_events_init(&ks->ev);
	pthread_mutex_init(&ks->wake_lock, NULL);
	pthread_mutex_init(&ks->disc_lock, NULL);
	src->state = ks;
	ks->self = src;
	ks->timeout_ms = (int)c->metadata_timeout_ms;
	ks->group = c->partition_assignment == KSRC_ASSIGN_GROUP;
	if (ks->group && (rc = sl_ksrc_group_check(src, err)))
		goto fail;

	if (c->assign && !(assign = parse_assign(c->assign, err))) {
		rc = SL_EOPTION;
		goto fail;
	}
	ks->bootstrap = sl_kafka_bootstrap(&c->kafka, &ks->embedded, err);
	if (!ks->bootstrap) {
		rc = SL_EKAFKA;
		goto fail;
	}
	conf = sl_kafka_conf_new(SL_KAFKA_CONSUMER, &c->kafka, ks->bootstrap,
				 ks->embedded, &ks->ev, KSRC, err);
	if (!conf) {
		rc = SL_EOPTION;
		goto fail;
	}
	/* Offsets gone from the log: fail (Spark's failOnDataLoss) or go on
	 * from the earliest one left. */
	rd_kafka_conf_set(conf, "auto.offset.reset",
			  c->fail_on_data_loss ? "error" : "earliest", errstr,
			  sizeof(errstr));
	/* Manual assignment needs a group id (librdkafka keeps assignments
	 * in its group handle); like Spark, make one per source unless the
	 * user names one. */
	if (!sl_kvs_get(&c->kafka, "group.id")) {
		char gid[256];

		snprintf(gid, sizeof(gid), "%s-%08x%08x", c->group_id_prefix,
			 (unsigned)random(),
			 (unsigned)(sl_now_ns() & 0xffffffff));
		rd_kafka_conf_set(conf, "group.id", gid, errstr,
				  sizeof(errstr));
	}
	if (ks->group)
		sl_ksrc_group_conf(src, conf);
	ks->rk = sl_kafka_client_new(SL_KAFKA_CONSUMER, conf, KSRC, err);
	if (!ks->rk) {
		rc = SL_EKAFKA;
		goto fail;
	}
	if ((rc = sl_ksrc_partitions(src, assign, err)))
		goto fail;
	if ((rc = apply_starting(src, err)))
		goto fail;
	ks->group_id = sl_kvs_get(&c->kafka, "group.id");
	ks->user_group = ks->group_id != NULL;
	/* A named group and no startingOffsets: go on where the group's
	 * committed offsets say (a checkpoint, when there is one, still
	 * wins: open sees p->has_resume). */
	if (ks->user_group && !ks->group &&
	    !sl_kvs_get(src->given, "startingOffsets"))
		for (uint32_t i = 0; i < ks->ntp; i++)
			ks->tp[i].start = KSRC_STORED;
	/* Spares for the partitions discovery finds (subscribe or
	 * subscribePattern; with a group, those the group assigns that
	 * were not there at init): ks->tp gets room for them now, so that
	 * binding one never moves the array other threads read. */
	if (!c->assign && c->discovery_interval_ms > 0 &&
	    c->max_added_partitions > 0) {
		struct ksrc_tp *t;

		ks->nspare = (uint32_t)c->max_added_partitions;
		t = sl_arena_calloc(src->arena,
				    (ks->ntp + ks->nspare) * sizeof(*t));
		memcpy(t, ks->tp, ks->ntp * sizeof(*t));
		ks->tp = t;
		ks->disc_interval_ns = c->discovery_interval_ms * 1000000;
		ks->disc_next_ns = sl_now_ns() + ks->disc_interval_ns;
	}
	if (ks->group && (rc = sl_ksrc_group_alloc(src, err)))
		goto fail;
	json_decref(assign);
	/* A checkpoint made before the topic grew resumes: with a group
	 * the group's offsets say where partitions start anyway; with
	 * one subscribed topic slot i is its partition i on every run
	 * (sorted, and discovery binds new partitions in order), so the
	 * checkpoint's slots keep their partitions and the new ones come
	 * after them. Several topics interleave: refused, as before. */
	uint32_t ntopics = 0;
	for (uint32_t i = 0; i < ks->ntp; i++)
		ntopics += !i || strcmp(ks->tp[i].topic, ks->tp[i - 1].topic);
	src->parts_may_grow = ks->group || (c->subscribe && ntopics == 1);
	src->schema = ksrc_schema(src->arena, c->include_headers);
	src->nparts = ks->ntp + ks->nspare;
	return 0;
fail:
	json_decref(assign);
	ksrc_destroy(src);
	return rc;
}

const sl_source_ops sl_source_kafka = {
	.name = "kafka",
	.description = "Reads Kafka topics (Spark's Kafka source): one "
		       "partition thread per Kafka partition, records not "
		       "copied. Rows: key, value, topic, partition, offset, "
		       "timestamp, timestampType[, headers].",
	.options = ksrc_options,
	.conf_size = sizeof(struct ksrc_conf),
	.finalize = ksrc_finalize,
	.init = ksrc_init,
	.open = sl_ksrc_open,
	.poll = sl_ksrc_poll,
	.latest = sl_ksrc_latest,
	.close = sl_ksrc_close,
	.destroy = ksrc_destroy,
	.continuous = true,
	.commit = sl_ksrc_commit,
	.lag = sl_ksrc_lag,
	.rebalance = sl_ksrc_rebalance,
	.leave = sl_ksrc_leave,
};
