/* tests/fuzz/fuzz_kafka.c - libFuzzer target: Kafka records (keys, values,
 * headers) through the Kafka sink and back through the Kafka source, over
 * the embedded cluster (io/kafka_embedded.h: librdkafka's mock cluster in
 * the process, no broker needed).
 *
 * The input is up to four records, each: a flags byte (bit 0 key null,
 * bit 1 value null), the key's length (one byte) and bytes, the value's
 * length (two bytes, little-endian) and bytes, a header count (one byte,
 * at most 8 used) and per header its name's length (one byte) and bytes, a
 * flags byte (bit 0 value null) and the value's length (one byte) and
 * bytes. What the input runs out of is empty. The rows are written by the
 * sink's ops as one micro-batch, then read by the source's ops from the
 * topic's partition (includeHeaders), and each must come back as it went
 * out: key and value (null or the bytes), and the headers in order (a
 * header name ends at its first NUL byte: librdkafka hands names back as
 * C strings; a record with no headers reads as a null column). */
#include "io/kafka_embedded.h"
#include "tests/fuzz/fuzz.h"

#define FK_TOPIC "fz"
#define FK_MAX_ROWS 4
#define FK_MAX_HEADERS 8

static struct {
	bool ready;
	sl_arena arena;
	const sl_schema *schema;
	sl_source src;
	sl_source_part part;
	sl_sink sink;
	int64_t epoch;
} fk;

/* The input, read from the front; what runs out reads as zeros. */
struct fk_in {
	const uint8_t *p;
	size_t n;
};

static uint32_t fk_byte(struct fk_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static sl_value fk_bytes(struct fk_in *in, size_t len, bool str)
{
	const uint8_t *at = in->p;

	if (len > in->n)
		len = in->n;
	in->p += len;
	in->n -= len;
	return str ? sl_v_str((const char *)at, (uint32_t)len)
		   : sl_v_bin(at, (uint32_t)len);
}

/* Makes the sink as the engine does: options, cross-option rules, the
 * schema, a micro-batch append query of one partition, init. */
static void fk_sink_make(void)
{
	const sl_sink_ops *ops = sl_sink_lookup("kafka");
	sl_kvs *given = sl_arena_calloc(&fk.arena, sizeof(*given));
	sl_sink *sk = &fk.sink;
	sl_err err = { 0 };

	FUZZ_CHECK(ops, "no kafka sink");
	sl_kvs_add(given, &fk.arena, "topic", FK_TOPIC);
	sk->ops = ops;
	sk->arena = &fk.arena;
	sk->conf = sl_arena_calloc(&fk.arena, ops->conf_size);
	FUZZ_CHECK(!sl_options_apply(ops->options, sk->conf, given, NULL,
				     "sink 'kafka'", &fk.arena, &err) &&
			   !sl_options_finalize(ops->finalize, sk->conf,
						"sink 'kafka'", &err),
		   "sink options: %s", err.msg);
	sk->schema = fk.schema;
	sk->mode = SL_MODE_APPEND;
	sk->nparts = 1;
	sk->console_fd = -1;
	FUZZ_CHECK(ops->init(sk, &err) == 0, "sink init: %s", err.msg);
}

static void fk_setup(void)
{
	/* assign, not subscribe: no partition discovery, whose metadata
	 * requests would only slow each run down. */
	static const char *const kv[] = { "assign",	    "{\"" FK_TOPIC "\":[0]}",
					  "startingOffsets", "earliest",
					  "includeHeaders",  "true",
					  NULL };
	sl_err err = { 0 };

	sl_arena_init(&fk.arena);
	FUZZ_CHECK(!sl_kafka_embedded_topic_create(FK_TOPIC, 1, &err),
		   "topic: %s", err.msg);
	fk.schema = sl_schema_parse("key BINARY, value BINARY, headers "
				    "ARRAY<STRUCT<key: STRING, value: "
				    "BINARY>>",
				    &fk.arena, &err);
	FUZZ_CHECK(fk.schema, "schema: %s", err.msg);
	fk_sink_make();
	FUZZ_CHECK(!fuzz_source_make(sl_source_lookup("kafka"), kv, &fk.src,
				     &fk.arena, &err),
		   "source: %s", err.msg);
	FUZZ_CHECK(fk.src.nparts == 1, "%u partitions", fk.src.nparts);
	fk.part.src = &fk.src;
	FUZZ_CHECK(fk.src.ops->open(&fk.part) == 0, "open: %s",
		   fk.part.err.msg);
	fk.ready = true;
}

/* One record of the input as a row of b (headers in b's arena). */
static void fk_row(struct fk_in *in, sl_batch *b)
{
	sl_value *row = sl_batch_add_row(b);
	uint32_t flags = fk_byte(in), klen = fk_byte(in), vlen, nh;
	sl_value key = fk_bytes(in, klen, false), *arr;

	vlen = fk_byte(in);
	vlen |= fk_byte(in) << 8;
	row[0] = flags & 1 ? sl_v_null() : key;
	row[1] = fk_bytes(in, vlen, false);
	if (flags & 2)
		row[1] = sl_v_null();
	nh = fk_byte(in) % (FK_MAX_HEADERS + 1);
	if (!nh) {
		row[2] = sl_v_null();
		return;
	}
	/* As the source lays them out: the structs, then their fields. */
	arr = sl_arena_alloc(&b->arena, nh * 3 * sizeof(*arr));
	for (uint32_t i = 0; i < nh; i++) {
		sl_value *f = arr + nh + 2 * i;
		uint32_t hflags;

		f[0] = fk_bytes(in, fk_byte(in), true);
		hflags = fk_byte(in);
		f[1] = fk_bytes(in, fk_byte(in), false);
		if (hflags & 1)
			f[1] = sl_v_null();
		arr[i] = (sl_value){ .type = SL_STRUCT, .len = 2,
				     .v.fields = f };
	}
	row[2] = (sl_value){ .type = SL_ARRAY, .len = nh, .v.arr = arr };
}

static bool fk_bin_eq(const sl_value *a, const sl_value *b)
{
	if (sl_v_is_null(a) || sl_v_is_null(b))
		return sl_v_is_null(a) && sl_v_is_null(b);
	return a->len == b->len && (!a->len || !memcmp(a->v.bin, b->v.bin,
						       a->len));
}

/* Row `got` read back (the source's columns: key, value, topic, ...,
 * headers at 7) against row `sent`. */
static void fk_check(const sl_value *sent, const sl_value *got, int r)
{
	const sl_value *hs = &sent[2], *hg = &got[7];

	FUZZ_CHECK(fk_bin_eq(&sent[0], &got[0]), "row %d: key", r);
	FUZZ_CHECK(fk_bin_eq(&sent[1], &got[1]), "row %d: value", r);
	if (sl_v_is_null(hs)) {
		FUZZ_CHECK(sl_v_is_null(hg), "row %d: headers from none", r);
		return;
	}
	FUZZ_CHECK(!sl_v_is_null(hg) && hg->len == hs->len,
		   "row %d: %u headers sent", r, hs->len);
	for (uint32_t i = 0; i < hs->len; i++) {
		const sl_value *fs = hs->v.arr[i].v.fields;
		const sl_value *fg = hg->v.arr[i].v.fields;
		size_t name = strnlen(fs[0].v.str, fs[0].len);

		FUZZ_CHECK(fg[0].len == name &&
				   !memcmp(fg[0].v.str, fs[0].v.str, name),
			   "row %d: header %u's name", r, i);
		FUZZ_CHECK(fk_bin_eq(&fs[1], &fg[1]),
			   "row %d: header %u's value", r, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fk_in in = { data, size }, again = in;
	sl_batch *sent, *keep, *got = NULL;
	int64_t deadline;
	uint32_t n = 0;
	int rc;

	if (!fk.ready)
		fk_setup();
	/* The sink takes the vector (1) until its delivery reports, and
	 * commit waits for them all: what went out is read again into a
	 * second vector to compare with. */
	sent = sl_batch_new(fk.schema, FK_MAX_ROWS);
	keep = sl_batch_new(fk.schema, FK_MAX_ROWS);
	do {
		fk_row(&in, sent);
		fk_row(&again, keep);
	} while (in.n && sent->nrows < FK_MAX_ROWS);
	sent->epoch = fk.epoch;
	rc = fk.sink.ops->write(&fk.sink, sent);
	FUZZ_CHECK(rc >= 0, "write: %s", fk.sink.err.msg);
	if (rc == 0)
		sl_batch_free(sent);
	FUZZ_CHECK(fk.sink.ops->commit(&fk.sink, fk.epoch) == 0, "commit: %s",
		   fk.sink.err.msg);
	fk.epoch++;
	deadline = sl_now_ns() + 10000LL * 1000000;
	while (n < keep->nrows) {
		FUZZ_CHECK(sl_now_ns() < deadline, "%u of %u rows read back", n,
			   keep->nrows);
		rc = fk.src.ops->poll(&fk.part, INT64_MAX, 100LL * 1000000,
				      &got);
		FUZZ_CHECK(rc >= 0, "poll: %s", fk.part.err.msg);
		for (int r = 0; got && r < rc; r++, n++) {
			FUZZ_CHECK(n < keep->nrows, "more rows than sent");
			fk_check(sl_batch_row(keep, n), sl_batch_row(got, r),
				 (int)n);
		}
		sl_batch_free(got);
		got = NULL;
	}
	sl_batch_free(keep);
	return 0;
}
