/* tests/fuzz/fuzz_state.c - libFuzzer target: restoring stateful
 * operators' state (what engine/state_store.c hands each operator from a
 * state file): the aggregation's (ops/groupby.c, two keys and five
 * aggregates) and deduplication's (ops/dedup.c) decoders. The first byte
 * picks the operator, and whether the bytes go to the operator directly or
 * through the state store (a checksummed state/0/0/1.delta in a
 * checkpoint, restored as batch 1). A restore that succeeds must round-trip:
 * the restored state's snapshot restores into a fresh operator whose
 * snapshot is the same bytes.
 *
 * FUZZ_WRITE_SEEDS=DIR writes valid snapshots and deltas of both
 * operators into DIR: the starting inputs of tests/fuzz/corpus/fuzz_state/. */
#include "engine/checkpoint.h"
#include "engine/state_store.h"
#include "ops/dedup.h"
#include "ops/groupby.h"
#include "tests/fuzz/fuzz.h"

static sl_arena plan;
static const sl_schema *gb_in, *dd_in;
static const sl_groupby_agg gb_aggs[] = {
	{ &sl_agg_count_star, -1, "n" },  { &sl_agg_sum, 1, NULL },
	{ &sl_agg_min, 0, NULL },	  { &sl_agg_collect_list, 0, NULL },
	{ &sl_agg_approx_count_distinct, 1, NULL },
};
static const uint32_t dd_keys[] = { 0, 1 };

static sl_groupby *gb_make(void)
{
	sl_groupby_spec sp = { .in = gb_in, .nkeys = 2, .naggs = 5,
			       .aggs = gb_aggs, .time_key = -1, .wm_col = -1,
			       .mode = SL_MODE_UPDATE };
	sl_err err = { 0 };
	sl_groupby *g = sl_groupby_new(&sp, &plan, &err);

	FUZZ_CHECK(g, "%s", err.msg);
	return g;
}

static sl_dedup *dd_make(void)
{
	sl_dedup_spec sp = { .in = dd_in, .nkeys = 2, .keys = dd_keys,
			     .wm_col = 1, .wm_delay_us = 1000000 };
	sl_err err = { 0 };
	sl_dedup *d = sl_dedup_new(&sp, &err);

	FUZZ_CHECK(d, "%s", err.msg);
	return d;
}

/* An operator of either kind, behind one face. */
typedef struct op {
	sl_groupby *g;
	sl_dedup *d;
} op;

static op op_make(bool dedup)
{
	return dedup ? (op){ NULL, dd_make() } : (op){ gb_make(), NULL };
}

static void op_free(op o)
{
	sl_groupby_free(o.g);
	sl_dedup_free(o.d);
}

static sl_stateful_op *op_as(op o)
{
	return o.g ? sl_groupby_as_op(o.g) : sl_dedup_as_op(o.d);
}

static int op_restore(op o, const void *p, size_t n, sl_err *err)
{
	int64_t v;

	return o.g ? sl_groupby_restore(o.g, p, n, &v, err)
		   : sl_dedup_restore(o.d, p, n, &v, err);
}

static void op_snapshot(op o, sl_buf *out)
{
	if (o.g)
		sl_groupby_snapshot(o.g, 5, out);
	else
		sl_dedup_snapshot(o.d, 5, out);
}

static void round_trip(op o)
{
	sl_buf a = { 0 }, b = { 0 };
	op fresh = op_make(o.d != NULL);
	sl_err err = { 0 };

	op_snapshot(o, &a);
	FUZZ_CHECK(op_restore(fresh, a.p, a.len, &err) == 0,
		   "a snapshot of restored state does not restore: %s",
		   err.msg);
	op_snapshot(fresh, &b);
	FUZZ_CHECK(a.len == b.len && !memcmp(a.p, b.p, a.len),
		   "snapshot of a restored snapshot differs (%zu, %zu bytes)",
		   a.len, b.len);
	sl_buf_free(&a);
	sl_buf_free(&b);
	op_free(fresh);
}

/* Some rows, for the starting inputs: keys (string, bigint) / (string, timestamp). */
static sl_batch *rows(const sl_schema *s, int from, int n)
{
	sl_batch *b = sl_batch_new(s, (uint32_t)n);

	for (int i = from; i < from + n; i++) {
		sl_value *r = sl_batch_add_row(b);
		static const char *const w[] = { "a", "bb", "", "é" };

		r[0] = i % 5 ? sl_v_str(w[i % 4], strlen(w[i % 4]))
			     : sl_v_null();
		r[1] = s == gb_in ? sl_v_long(i * 3 - 7)
				  : sl_v_ts((int64_t)i * 1000000);
	}
	return b;
}

static void write_seeds(const char *dir)
{
	for (int k = 0; k < 2; k++) {
		op o = op_make(k == 1);
		sl_err err = { 0 };
		sl_buf snap = { 0 }, delta = { 0 };
		char path[512];
		uint8_t kind = (uint8_t)k;
		sl_batch *b = rows(k ? dd_in : gb_in, 0, 12);

		if (o.g) {
			FUZZ_CHECK(sl_groupby_update(o.g, b, &err) == 0, "%s",
				   err.msg);
			sl_groupby_delta(o.g, 1, &delta);
		} else {
			FUZZ_CHECK(sl_dedup_process(o.d, b, &err) >= 0, "%s",
				   err.msg);
			sl_dedup_finish(o.d);
			sl_dedup_delta(o.d, 1, &delta);
		}
		sl_batch_free(b);
		op_snapshot(o, &snap);
		for (int via = 0; via < 2; via++) {
			uint8_t first = kind | (uint8_t)(via ? 0x80 : 0);

			snprintf(path, sizeof(path), "%s/%s-snapshot%s", dir,
				 k ? "dedup" : "groupby", via ? "-store" : "");
			sl_buf f = { 0 };
			sl_buf_put_u8(&f, first);
			sl_buf_put(&f, snap.p, snap.len);
			fuzz_write(path, f.p, f.len);
			f.len = 0;
			snprintf(path, sizeof(path), "%s/%s-delta%s", dir,
				 k ? "dedup" : "groupby", via ? "-store" : "");
			sl_buf_put_u8(&f, first);
			sl_buf_put(&f, delta.p, delta.len);
			fuzz_write(path, f.p, f.len);
			sl_buf_free(&f);
		}
		sl_buf_free(&snap);
		sl_buf_free(&delta);
		op_free(o);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sl_err err = { 0 };
	const char *seeds = getenv("FUZZ_WRITE_SEEDS");

	sl_arena_init(&plan);
	gb_in = sl_schema_parse("w STRING, n BIGINT", &plan, &err);
	dd_in = sl_schema_parse("w STRING, t TIMESTAMP", &plan, &err);
	FUZZ_CHECK(gb_in && dd_in, "%s", err.msg);
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	return 0;
}

/* The state file's framing (engine/state_store.c state_write): magic,
 * format, kind, version, watermark, the segment count, then each segment
 * as a varint length and its bytes, then a newline. */
static void state_file(sl_buf *f, const uint8_t *p, size_t n)
{
	sl_buf_put(f, "SLST", 4);
	sl_buf_put_u8(f, 1);
	sl_buf_put_u8(f, 2); /* delta */
	sl_buf_put_u64(f, 1);
	sl_buf_put_u64(f, 0);
	sl_buf_put_u32(f, 1);
	sl_buf_put_varint(f, n);
	sl_buf_put(f, p, n);
	sl_buf_put_u8(f, '\n');
}

static void via_store(op o, const uint8_t *p, size_t n)
{
	char dir[256], sub[512];
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	sl_state_store st = { 0 };
	sl_buf f = { 0 };
	int fd;

	snprintf(dir, sizeof(dir), "%s/ck", fuzz_dir());
	fuzz_rmtree(dir);
	FUZZ_CHECK(sl_ckpt_open(dir, "q", NULL, "state\n", &c, &err) == 0,
		   "%s", err.msg);
	sl_state_store_init(&st, op_as(o));
	/* Opening with no batch makes the directories. */
	FUZZ_CHECK(sl_state_store_open(&st, c, 0, -1, &err) == 0, "%s",
		   err.msg);
	snprintf(sub, sizeof(sub), "%s/state/0/0", dir);
	fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "open %s", sub);
	state_file(&f, p, n);
	FUZZ_CHECK(sl_ckpt_file_write(fd, sub, "1.delta", (const char *)f.p,
				      f.len, &err) == 0,
		   "%s", err.msg);
	close(fd);
	sl_buf_free(&f);
	sl_state_store_free(&st);
	/* The engine's stores start zeroed (calloc'd with their sink). */
	memset(&st, 0, sizeof(st));
	sl_state_store_init(&st, op_as(o));
	if (sl_state_store_open(&st, c, 0, 1, &err) < 0)
		FUZZ_CHECK(err.msg[0], "restore failed without a message");
	sl_state_store_free(&st);
	sl_ckpt_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t k = size ? data[0] : 0;
	op o;
	sl_err err = { 0 };

	if (size > 65536)
		return 0;
	o = op_make(k & 1);
	data++, size = size ? size - 1 : 0;
	if (k & 0x80) {
		via_store(o, data, size);
	} else if (op_restore(o, data, size, &err) == 0) {
		round_trip(o);
	} else {
		FUZZ_CHECK(err.msg[0], "restore failed without a message");
	}
	op_free(o);
	return 0;
}
