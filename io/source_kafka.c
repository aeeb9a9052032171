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
 * holds up to SL_RING_ENTRIES vectors (core/exec.c) whatever their size,
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
 * named it with kafka.group.id), so lag tools see the query's progress. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "io/kafka_embedded.h"
#include "io/source_kafka.h"
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

static const char *ksrc_validate(const void *conf);

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
		.validate = ksrc_validate,
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

static const char *ksrc_validate(const void *conf)
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

/* ---- partitions from metadata ------------------------------------------ */

int sl_ksrc_tp_cmp(const void *x, const void *y)
{
	const struct ksrc_tp *a = x, *b = y;
	int c = strcmp(a->topic, b->topic);

	if (c)
		return c;
	return (a->partition > b->partition) - (a->partition < b->partition);
}

static void tp_add(sl_source *src, uint32_t *cap, const char *topic,
		   int32_t part)
{
	struct ksrc *ks = src->state;

	for (uint32_t i = 0; i < ks->ntp; i++)
		if (ks->tp[i].partition == part &&
		    !strcmp(ks->tp[i].topic, topic))
			return;
	if (ks->ntp == *cap) {
		struct ksrc_tp *n;

		*cap = *cap ? *cap * 2 : 16;
		n = sl_arena_alloc(src->arena, *cap * sizeof(*n));
		if (ks->ntp)
			memcpy(n, ks->tp, ks->ntp * sizeof(*n));
		ks->tp = n;
	}
	ks->tp[ks->ntp].topic = sl_arena_strdup(src->arena, topic);
	ks->tp[ks->ntp].topic_len = (uint32_t)strlen(topic);
	ks->tp[ks->ntp].partition = part;
	ks->tp[ks->ntp].start = KSRC_LATEST;
	ks->ntp++;
}

/* The topics named by subscribe or assign, NULL-terminated, in arena a. */
static int named_topics(sl_source *src, json_t *assign, const char ***out,
			sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	const char **t;
	uint32_t n = 0;

	if (assign) {
		t = sl_arena_calloc(src->arena, (json_object_size(assign) + 1) *
							sizeof(*t));
		for (void *it = json_object_iter(assign); it;
		     it = json_object_iter_next(assign, it))
			t[n++] = sl_arena_strdup(src->arena,
						 json_object_iter_key(it));
	} else {
		char *list = sl_arena_strdup(src->arena, c->subscribe), *save;

		t = sl_arena_calloc(src->arena,
				    (strlen(list) / 2 + 2) * sizeof(*t));
		for (char *s = strtok_r(list, ",", &save); s;
		     s = strtok_r(NULL, ",", &save)) {
			while (*s == ' ' || *s == '\t')
				s++;
			char *e = s + strlen(s);
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
			if (*s)
				t[n++] = s;
		}
		if (!n)
			return sl_err_set(err, SL_EOPTION,
					  KSRC ": option 'subscribe' = '%s' "
					       "names no topic",
					  c->subscribe);
	}
	*out = t;
	return 0;
}

/* Reads metadata until every named topic is ready or the timeout passes.
 * On the embedded cluster a missing topic is created (one partition), so
 * a demo pipeline runs without a setup step; elsewhere it is an error. */
static int ksrc_metadata(sl_source *src, const char *const *names,
			 const rd_kafka_metadata_t **mdp, sl_err *err)
{
	struct ksrc *ks = src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	const rd_kafka_metadata_t *md = NULL;
	const char *missing = NULL;
	bool created = false;

	for (;;) {
		int64_t left = (deadline - sl_now_ns()) / 1000000;
		int rc;

		const rd_kafka_metadata_t *next = NULL;
		rc = sl_kafka_metadata(ks->rk, &ks->ev,
				       left > 0 ? (int)left : 1, &next, KSRC,
				       err);
		/* A slow last look does not undo what an earlier answer
		 * said: the topic was missing then. */
		if (rc && md)
			break;
		if (rc)
			return rc;
		if (md)
			rd_kafka_metadata_destroy(md);
		md = next;
		missing = NULL;
		for (int i = 0; names && names[i] && !missing; i++) {
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, names[i]);

			if (!sl_kafka_md_ready(t))
				missing = names[i];
		}
		if (!missing) {
			*mdp = md;
			return 0;
		}
		if (ks->embedded && names && !created) {
			for (int i = 0; names[i]; i++)
				if (!sl_kafka_md_find(md, names[i]) &&
				    sl_kafka_embedded_topic_create(names[i], 1,
								   err)) {
					rd_kafka_metadata_destroy(md);
					return SL_EKAFKA;
				}
			created = true;
		}
		/* Another look only if it can still come back in time. */
		if (sl_now_ns() + 100 * 1000000 >= deadline)
			break;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	const rd_kafka_metadata_topic_t *t = sl_kafka_md_find(md, missing);
	if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		sl_err_set(err, SL_ENOTFOUND,
			   KSRC ": topic '%s' does not exist at '%s'", missing,
			   ks->bootstrap);
	else
		sl_err_set(
			err, SL_EKAFKA,
			KSRC ": topic '%s' at '%s' is not ready after %d "
			     "ms: %s",
			missing, ks->bootstrap, ks->timeout_ms,
			rd_kafka_err2str(
				t->err ? t->err
				       : RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE));
	rd_kafka_metadata_destroy(md);
	return SL_ENOTFOUND;
}

/* Fills ks->tp from the metadata, per subscribe, subscribePattern or
 * assign. */
static int ksrc_partitions(sl_source *src, json_t *assign, sl_err *err)
{
	const struct ksrc_conf *c = src->conf;
	struct ksrc *ks = src->state;
	const rd_kafka_metadata_t *md;
	const char **names = NULL;
	uint32_t cap = 0;
	int rc;

	if (!c->subscribe_pattern &&
	    (rc = named_topics(src, assign, &names, err)))
		return rc;
	if ((rc = ksrc_metadata(src, names, &md, err)))
		return rc;

	if (c->subscribe_pattern) {
		regex_t re;
		char anchored[1024];

		/* Spark matches the whole name (Pattern.matches). */
		snprintf(anchored, sizeof(anchored), "^(%s)$",
			 c->subscribe_pattern);
		if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB)) {
			rd_kafka_metadata_destroy(md);
			return sl_err_set(err, SL_EOPTION,
					  KSRC ": option 'subscribePattern' = "
					       "'%s' is not a valid regular "
					       "expression",
					  c->subscribe_pattern);
		}
		for (int i = 0; i < md->topic_cnt; i++) {
			const rd_kafka_metadata_topic_t *t = &md->topics[i];

			/* Internal topics (__consumer_offsets, ...) are not
			 * data, as the Java consumer's
			 * exclude.internal.topics says. */
			if (!strncmp(t->topic, "__", 2) || t->err ||
			    regexec(&re, t->topic, 0, NULL, 0))
				continue;
			for (int j = 0; j < t->partition_cnt; j++)
				tp_add(src, &cap, t->topic,
				       t->partitions[j].id);
		}
		regfree(&re);
		if (!ks->ntp) {
			rd_kafka_metadata_destroy(md);
			return sl_err_set(err, SL_ENOTFOUND,
					  KSRC ": option 'subscribePattern' = "
					       "'%s' matches no topic at '%s'",
					  c->subscribe_pattern, ks->bootstrap);
		}
	} else if (assign) {
		for (void *it = json_object_iter(assign); it;
		     it = json_object_iter_next(assign, it)) {
			const char *key = json_object_iter_key(it);
			json_t *v = json_object_iter_value(it);
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, key);

			for (size_t i = 0; i < json_array_size(v); i++) {
				json_int_t part = json_integer_value(
					json_array_get(v, i));
				bool found = false;

				for (int j = 0; j < t->partition_cnt; j++)
					found |= t->partitions[j].id == part;
				if (!found) {
					sl_err_set(err, SL_ENOTFOUND,
						   KSRC
						   ": option 'assign': "
						   "topic '%s' has no "
						   "partition %lld (it has %d)",
						   key, (long long)part,
						   t->partition_cnt);
					rd_kafka_metadata_destroy(md);
					return SL_ENOTFOUND;
				}
				tp_add(src, &cap, key, (int32_t)part);
			}
		}
	} else {
		for (int i = 0; names[i]; i++) {
			const rd_kafka_metadata_topic_t *t =
				sl_kafka_md_find(md, names[i]);

			for (int j = 0; j < t->partition_cnt; j++)
				tp_add(src, &cap, t->topic,
				       t->partitions[j].id);
		}
	}
	rd_kafka_metadata_destroy(md);
	if (!ks->ntp)
		return sl_err_set(err, SL_EOPTION,
				  KSRC ": no partitions to read");
	qsort(ks->tp, ks->ntp, sizeof(*ks->tp), sl_ksrc_tp_cmp);
	return 0;
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
	if ((rc = ksrc_partitions(src, assign, err)))
		goto fail;
	if ((rc = apply_starting(src, err)))
		goto fail;
	ks->user_group = sl_kvs_get(&c->kafka, "group.id") != NULL;
	/* A named group and no startingOffsets: go on where the group's
	 * committed offsets say (a checkpoint, when there is one, still
	 * wins: open sees p->has_resume). */
	if (ks->user_group && !ks->group &&
	    !sl_kvs_get(src->given, "startingOffsets"))
		for (uint32_t i = 0; i < ks->ntp; i++)
			ks->tp[i].start = KSRC_STORED;
	if (ks->group && (rc = sl_ksrc_group_alloc(src, err)))
		goto fail;
	json_decref(assign);
	src->schema = ksrc_schema(src->arena, c->include_headers);
	src->nparts = ks->ntp;
	return 0;
fail:
	json_decref(assign);
	ksrc_destroy(src);
	return rc;
}

/* ---- partitions -----------------------------------------------------------
 */

/* Errors an offset query at open can meet on a healthy cluster: a topic
 * created a moment ago whose leader does not know it leads yet ("Not
 * leader for partition"), or is not known everywhere yet; a leader being
 * elected; a group coordinator loading; a slow answer. The broker will
 * answer in a moment, so open asks again rather than fail the query. */
bool sl_ksrc_retriable(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION: return true;
	default: return false;
	}
}

/* Before asking again: 20, 40, 80, ... 320 ms, never past the deadline.
 * Returns false when there is no time left for another try. */
bool sl_ksrc_backoff(int *ms, int64_t deadline)
{
	int64_t left = (deadline - sl_now_ns()) / 1000000;
	struct timespec ts;

	if (left <= 0)
		return false;
	if (*ms > left)
		*ms = (int)left;
	ts.tv_sec = *ms / 1000;
	ts.tv_nsec = (long)(*ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	*ms = *ms < 160 ? *ms * 2 : 320;
	return sl_now_ns() < deadline;
}

/* What is left of the deadline for one try, in ms (at least 1). */
int sl_ksrc_left_ms(int64_t deadline)
{
	int64_t left = (deadline - sl_now_ns()) / 1000000;

	return left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* The group's committed offset of tp in *off, or KSRC_LATEST when the
 * group has none (a new query would start there too). Asks again on
 * retriable errors until metadataTimeout; then fails rather than start at
 * latest, which would skip what the group has not read. */
static int ksrc_committed(sl_source_part *p, const struct ksrc_tp *tp,
			  int64_t *off)
{
	struct ksrc *ks = p->src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, tp->topic, tp->partition);
	for (;;) {
		e = rd_kafka_committed(ks->rk, l, sl_ksrc_left_ms(deadline));
		if (!e)
			e = l->elems[0].err;
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	if (!e)
		*off = l->elems[0].offset >= 0 ? l->elems[0].offset
					       : KSRC_LATEST;
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": cannot read the consumer group's "
				       "committed offset of %s-%d: %s",
				  tp->topic, tp->partition,
				  rd_kafka_err2str(e));
	return 0;
}

/* The low and high watermarks of tp, asking again on retriable errors
 * until metadataTimeout: on a topic created a moment ago the first answer
 * is often "Not leader for partition". */
static int ksrc_watermarks(sl_source_part *p, const struct ksrc_tp *tp,
			   int64_t *lo, int64_t *hi)
{
	struct ksrc *ks = p->src->state;
	int64_t deadline = sl_now_ns() + (int64_t)ks->timeout_ms * 1000000;
	rd_kafka_resp_err_t e;
	int backoff = 20;

	for (;;) {
		e = rd_kafka_query_watermark_offsets(ks->rk, tp->topic,
						     tp->partition, lo, hi,
						     sl_ksrc_left_ms(deadline));
		if (!e || !sl_ksrc_retriable(e) ||
		    !sl_ksrc_backoff(&backoff, deadline))
			break;
	}
	if (e)
		return sl_err_set(&p->err, SL_EKAFKA,
				  KSRC ": cannot read the offsets of %s-%d "
				       "within %d ms: %s",
				  tp->topic, tp->partition, ks->timeout_ms,
				  rd_kafka_err2str(e));
	return 0;
}

static int ksrc_open(sl_source_part *p)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_tp *tp;
	struct ksrc_part *kp;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;
	int64_t lo, hi, start;
	int rc;

	if (!ks || p->index >= ks->ntp)
		return sl_err_set(&p->err, SL_EINVAL, KSRC ": no partition %u",
				  p->index);
	tp = &ks->tp[p->index];
	/* group: the rebalance callback looked the group's offset up */
	if (ks->group)
		start = ks->next_start[p->index];
	else
		start = p->has_resume ? p->resume : tp->start;
	if (start == KSRC_STORED && (rc = ksrc_committed(p, tp, &start)))
		return rc;
	if (start < 0) {
		if ((rc = ksrc_watermarks(p, tp, &lo, &hi)))
			return rc;
		start = start == KSRC_EARLIEST ? lo : hi;
	}
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return sl_err_set(&p->err, -ENOMEM, KSRC ": out of memory");
	kp->tp = tp;
	/* The partition's own queue, no longer forwarded to the consumer
	 * queue: this partition's thread is its only reader. Done before
	 * the assignment so no message goes the other way. */
	kp->q = rd_kafka_queue_get_partition(ks->rk, tp->topic, tp->partition);
	if (!kp->q) {
		free(kp);
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
		free(kp);
		return sl_err_set(&p->err, rc, KSRC ": eventfd: %s",
				  strerror(-rc));
	}
	rd_kafka_queue_io_event_enable(kp->q, kp->efd, &(uint64_t){ 1 },
				       sizeof(uint64_t));
	p->state = kp;
	p->offset = start;
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
		free(kp);
		p->state = NULL;
		return SL_EKAFKA;
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

static int ksrc_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		     sl_batch **out)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_part *kp = p->state;
	const struct ksrc_tp *tp = kp->tp;
	bool headers = p->src->schema->n > 7;
	struct ksrc_hold *h;
	uint32_t k, take;
	int64_t bytes;
	sl_batch *b;

	*out = NULL;
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
	}
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
		    (take && bytes + msg_bytes(kp->buf[k]) >
				     KSRC_MAX_BATCH_BYTES))
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
static int64_t ksrc_latest(sl_source_part *p, int64_t batch_id)
{
	struct ksrc *ks = p->src->state;
	const struct ksrc_part *kp = p->state;
	int64_t lo = -1, hi = -1;

	if (rd_kafka_get_watermark_offsets(ks->rk, kp->tp->topic,
					   kp->tp->partition, &lo, &hi) ||
	    hi < 0)
		if (rd_kafka_query_watermark_offsets(ks->rk, kp->tp->topic,
						     kp->tp->partition, &lo,
						     &hi, 1000))
			return 0;
	return hi;
}

/* The engine committed an epoch/batch ending at ends[i]: tell the
 * consumer group, if the user named one (a made-up group would only
 * litter the cluster). rd_kafka_commit is thread-safe; asynchronous (no
 * offset_commit_cb: nothing to serve) except for the query's last call,
 * which must reach the broker before the consumer goes away. */
static void ksrc_commit(sl_source *src, const int64_t *ends, uint32_t n,
			bool last)
{
	struct ksrc *ks = src->state;
	rd_kafka_topic_partition_list_t *l;

	if (!ks || !ks->rk || !ks->user_group || ks->closed)
		return;
	l = rd_kafka_topic_partition_list_new((int)n);
	for (uint32_t i = 0; i < n && i < ks->ntp; i++) {
		if (ends[i] < 0)
			continue;
		/* group: only partitions this member reads now, and ends
		 * from this assignment (an epoch committed just after a
		 * partition came back may still end where it was left the
		 * time before, behind the group's offset). */
		if (ks->group) {
			if (!ks->owned[i] || ends[i] < ks->own_start[i])
				continue;
			ks->done_end[i] = ends[i];
		}
		rd_kafka_topic_partition_list_add(l, ks->tp[i].topic,
						  ks->tp[i].partition)
			->offset = ends[i];
	}
	if (l->cnt)
		rd_kafka_commit(ks->rk, l, last ? 0 : 1);
	rd_kafka_topic_partition_list_destroy(l);
}

static void ksrc_close(sl_source_part *p)
{
	struct ksrc *ks = p->src->state;
	struct ksrc_part *kp = p->state;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;

	if (!kp)
		return;
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

/* Metrics: the partition's lag, from librdkafka's cached high watermark
 * (updated by every fetch response; rd_kafka_get_watermark_offsets only
 * takes the partition's lock, never asks the broker), so the metrics
 * thread may call it at any time. ks->tp and ks->rk live until destroy. */
static int64_t ksrc_lag(sl_source *src, uint32_t part, int64_t position)
{
	struct ksrc *ks = src->state;
	int64_t lo = -1, hi = -1;

	if (!ks || !ks->rk || part >= ks->ntp || position < 0 ||
	    rd_kafka_get_watermark_offsets(ks->rk, ks->tp[part].topic,
					   ks->tp[part].partition, &lo, &hi) ||
	    hi < 0)
		return -1;
	return hi > position ? hi - position : 0;
}

const sl_source_ops sl_source_kafka = {
	.name = "kafka",
	.description = "Reads Kafka topics (Spark's Kafka source): one "
		       "partition thread per Kafka partition, records not "
		       "copied. Rows: key, value, topic, partition, offset, "
		       "timestamp, timestampType[, headers].",
	.options = ksrc_options,
	.conf_size = sizeof(struct ksrc_conf),
	.init = ksrc_init,
	.open = ksrc_open,
	.poll = ksrc_poll,
	.latest = ksrc_latest,
	.close = ksrc_close,
	.destroy = ksrc_destroy,
	.continuous = true,
	.commit = ksrc_commit,
	.lag = ksrc_lag,
	.rebalance = sl_ksrc_rebalance,
	.leave = sl_ksrc_leave,
};
