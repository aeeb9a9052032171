/* tests/pipeline/union_streams.c - unions of two streams (sl_frame_union,
 * engine/union.c): every row of both sides arrives once, types widen,
 * mismatches are refused naming the column, an aggregation runs over a
 * union, a checkpoint resumes both sides, and, under TSan (make SAN=tsan
 * pipeline-test), the epoch-marker protocol through a union: in continuous
 * mode each committed epoch holds, for every partition of both sides,
 * exactly the contiguous offsets [start, end) the progress records for
 * it, also with many partitions, a tiny interval and a slow sink; and a
 * continuous union stopped and started again on its checkpoint goes on
 * in every partition of both sides with nothing repeated or skipped. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/files.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

static sl_frame *must(sl_session *s, sl_frame *f)
{
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	return f;
}

/* rate-micro-batch with n rows a batch over p partitions, as (side,
 * value): side tags each row with the side it came from. */
static sl_frame *rmb_side(sl_session *s, const char *rows, const char *parts,
			  const char *side)
{
	sl_frame *f = must(s, sl_session_read_stream(s, "rate-micro-batch",
					     OPTS("rowsPerBatch", rows,
						  "numPartitions", parts)));
	char item[32];
	snprintf(item, sizeof(item), "%s AS side", side);
	return must(s, sl_frame_select(f, OPTS(item, "value")));
}

/* Counts of each (side, value) in rows (side 0/1, value < max). */
static void count_rows(const sl_rows *r, uint32_t *cnt, int64_t max)
{
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		int64_t side = sl_rows_long(r, i, 0), v = sl_rows_long(r, i, 1);
		cr_assert(side == 0 || side == 1, "side %ld", (long)side);
		cr_assert(v >= 0 && v < max, "value %ld", (long)v);
		cnt[side * max + v]++;
	}
}

/* Runs f once (trigger once) into the memory table `name`, in output
 * mode `mode` (NULL: append), and returns the table; *qp gets the
 * query when qp is not NULL. */
static sl_rows *run_once(sl_session *s, sl_frame *f, const char *name,
			 const char *mode, sl_query **qp)
{
	sl_query *q = sl_frame_start(f, "memory",
				     OPTS("queryName", name, "trigger", "once",
					  "outputMode", mode ? mode : "append"),
				     NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 20000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "hang");
	if (qp)
		*qp = q;
	sl_rows *r = sl_session_table(s, name);
	cr_assert_not_null(r, "no table %s", name);
	return r;
}

/* ---- rows and schemas ------------------------------------------------- */

Test(frame_union, once_has_every_row_of_both_sides_once)
{
	sl_session *s = sl_session_new();
	sl_frame *a = rmb_side(s, "10", "2", "0");
	sl_frame *b = rmb_side(s, "7", "3", "1");
	sl_frame *u = must(s, sl_frame_union(a, b));
	char sc[128];
	sl_frame_schema(u, sc, sizeof(sc));
	cr_assert_str_eq(sc, "side: int, value: bigint");
	sl_query *q;
	sl_rows *r = run_once(s, u, "u", NULL, &q);
	cr_assert_eq(sl_rows_count(r), 17);
	uint32_t cnt[2 * 10] = { 0 };
	count_rows(r, cnt, 10);
	for (int v = 0; v < 10; v++) {
		cr_assert_eq(cnt[v], 1, "left value %d seen %u times", v,
			     cnt[v]);
		cr_assert_eq(cnt[10 + v], v < 7 ? 1u : 0u,
			     "right value %d seen %u times", v, cnt[10 + v]);
	}
	/* progress: one source, every partition of both sides */
	char *p = sl_query_last_progress(q);
	json_t *j = json_loads(p, 0, NULL);
	cr_assert_not_null(j, "%s", p);
	json_t *src = json_array_get(json_object_get(j, "sources"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(src, "description")),
			 "union:rate-micro-batch:rate-micro-batch");
	cr_assert_eq(json_object_size(json_object_get(src, "endOffset")), 5);
	json_decref(j);
	free(p);
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(frame_union, types_widen_and_take_the_left_names)
{
	sl_session *s = sl_session_new();
	sl_frame *a = must(s, sl_session_read_stream(s, "rate-micro-batch",
					     OPTS("rowsPerBatch", "4")));
	a = must(s, sl_frame_select(a, OPTS("CAST(value AS INT) AS n",
					    "NULL AS label", "value AS k")));
	sl_frame *b = must(s, sl_session_read_stream(s, "rate-micro-batch",
					     OPTS("rowsPerBatch", "3")));
	b = must(s, sl_frame_select(
			    b, OPTS("value + 0.5D AS x",
				    "concat('b', CAST(value AS STRING)) AS y",
				    "CAST(value AS INT) + 100 AS z")));
	sl_frame *u = must(s, sl_frame_union(a, b));
	char sc[128];
	sl_frame_schema(u, sc, sizeof(sc));
	cr_assert_str_eq(sc, "n: double, label: string, k: bigint");
	/* a where over the union sees the widened columns */
	u = must(s, sl_frame_where(u, "n >= 1"));
	sl_rows *r = run_once(s, u, "w", NULL, NULL);
	cr_assert_eq(sl_rows_count(r), 3 + 2);
	int left = 0, right = 0;
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		double n = sl_rows_double(r, i, 0);
		int64_t k = sl_rows_long(r, i, 2);
		char buf[32];
		if (sl_rows_is_null(r, i, 1)) {
			/* left: n = k = value, as double and bigint */
			cr_assert_eq(n, (double)k);
			cr_assert(k >= 1 && k <= 3);
			left++;
		} else {
			/* right: x = value + 0.5, z = value + 100 */
			sl_rows_string(r, i, 1, buf, sizeof(buf));
			int64_t v = k - 100;
			cr_assert_eq(n, (double)v + 0.5);
			char want[32];
			snprintf(want, sizeof(want), "b%ld", (long)v);
			cr_assert_str_eq(buf, want);
			right++;
		}
	}
	cr_assert_eq(left, 3);
	cr_assert_eq(right, 2);
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(frame_union, mismatches_are_refused_naming_what)
{
	sl_session *s = sl_session_new();
	sl_frame *a = must(s, sl_session_read_stream(s, "rate", NULL));
	sl_frame *b = must(s, sl_session_read_stream(s, "rate", NULL));
	sl_frame *b1 = must(s, sl_frame_select(b, OPTS("value")));
	cr_assert_null(sl_frame_union(a, b1));
	const char *m = sl_session_errmsg(s);
	cr_assert_eq(sl_session_errcode(s), SL_EANALYSIS);
	cr_assert_not_null(strstr(m, "2 columns (timestamp, value)"), "%s", m);
	cr_assert_not_null(strstr(m, "right side 1 (value)"), "%s", m);

	sl_frame *b2 = must(
		s, sl_frame_select(b, OPTS("timestamp", "value > 3 AS big")));
	cr_assert_null(sl_frame_union(a, b2));
	m = sl_session_errmsg(s);
	cr_assert_not_null(strstr(m, "column 2 ('value' on the left, 'big'"),
			   "%s", m);
	cr_assert_not_null(strstr(m, "bigint on the left and boolean"), "%s",
			   m);

	/* a side must be a stream of where/select */
	const char *keys[] = { "value", NULL }, *aggs[] = { "count(*)", NULL };
	sl_frame *g = must(s, sl_frame_group_by(b, keys, aggs));
	cr_assert_null(sl_frame_union(a, g));
	cr_assert_not_null(strstr(sl_session_errmsg(s), "right side has an "
							"aggregation"),
			   "%s", sl_session_errmsg(s));
	sl_frame *w =
		must(s, sl_frame_with_watermark(b, "timestamp", "1 second"));
	cr_assert_null(sl_frame_union(w, a));
	cr_assert_not_null(strstr(sl_session_errmsg(s), "left side has a "
							"watermark"),
			   "%s", sl_session_errmsg(s));

	/* one source cannot feed both sides */
	sl_frame *a2 = must(s, sl_frame_where(a, "value > 1"));
	cr_assert_null(sl_frame_union(a, a2));
	cr_assert_not_null(strstr(sl_session_errmsg(s), "same 'rate' source"),
			   "%s", sl_session_errmsg(s));
	/* nor inside a nested union */
	sl_frame *ab = must(s, sl_frame_union(a, b));
	cr_assert_null(sl_frame_union(ab, a2));
	cr_assert_not_null(strstr(sl_session_errmsg(s), "same 'rate' source"),
			   "%s", sl_session_errmsg(s));

	/* frames of another session */
	sl_session *s2 = sl_session_new();
	sl_frame *o = must(s2, sl_session_read_stream(s2, "rate", NULL));
	cr_assert_null(sl_frame_union(a, o));
	cr_assert_not_null(strstr(sl_session_errmsg(s), "different sessions"),
			   "%s", sl_session_errmsg(s));
	cr_assert_null(sl_frame_union(a, NULL));
	sl_session_destroy(s2);
	sl_session_destroy(s);
}

Test(frame_union, continuous_needs_both_sides_continuous)
{
	sl_session *s = sl_session_new();
	sl_frame *a = must(s, sl_session_read_stream(s, "rate", NULL));
	sl_frame *b = must(s, sl_session_read_stream(s, "rate-micro-batch",
					     OPTS("rowsPerBatch", "5")));
	sl_frame *u = must(s, sl_frame_union(a, b));
	int rc = sl_frame_check_start(
		u, "memory",
		OPTS("queryName", "c", "trigger", "continuous 1 second"));
	cr_assert_eq(rc, SL_EMODE);
	cr_assert_not_null(strstr(sl_session_errmsg(s),
				  "'union:rate:rate-micro-batch' does not "
				  "support the continuous trigger"),
			   "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* ---- stateful and nested ---------------------------------------------- */

Test(frame_union, group_by_over_a_union)
{
	sl_session *s = sl_session_new();
	sl_frame *a = rmb_side(s, "10", "2", "0");
	sl_frame *b = rmb_side(s, "6", "1", "1");
	sl_frame *u = must(s, sl_frame_union(a, b));
	sl_frame *g =
		must(s, sl_frame_aggregate(u, OPTS("value % 2 AS k"),
					   OPTS("k", "count(*) AS n",
						"sum(side) AS from_right"),
					   NULL));
	sl_rows *r = run_once(s, g, "g", "complete", NULL);
	cr_assert_eq(sl_rows_count(r), 2);
	for (uint32_t i = 0; i < 2; i++) {
		/* values 0..9 and 0..5: five and three of each parity */
		cr_assert_eq(sl_rows_long(r, i, 1), 8);
		cr_assert_eq(sl_rows_long(r, i, 2), 3);
	}
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(frame_union, nested_union_of_three_streams)
{
	sl_session *s = sl_session_new();
	sl_frame *a = rmb_side(s, "5", "2", "0");
	sl_frame *b = rmb_side(s, "4", "1", "1");
	sl_frame *c = must(s, sl_session_read_stream(s, "rate-micro-batch",
					     OPTS("rowsPerBatch", "3",
						  "numPartitions", "2")));
	c = must(s, sl_frame_select(c, OPTS("2 AS side", "value + 100")));
	sl_frame *ab = must(s, sl_frame_union(a, b));
	ab = must(s, sl_frame_where(ab, "value < 4"));
	sl_frame *abc = must(s, sl_frame_union(ab, c));
	sl_query *q;
	sl_rows *r = run_once(s, abc, "n", NULL, &q);
	uint32_t cnt[3][104] = { { 0 } };
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		int64_t side = sl_rows_long(r, i, 0), v = sl_rows_long(r, i, 1);
		cr_assert(side >= 0 && side <= 2 && v >= 0 && v < 104);
		cnt[side][v]++;
	}
	cr_assert_eq(sl_rows_count(r), 4 + 4 + 3);
	for (int v = 0; v < 4; v++)
		cr_assert(cnt[0][v] == 1 && cnt[1][v] == 1, "value %d", v);
	for (int v = 100; v < 103; v++)
		cr_assert_eq(cnt[2][v], 1, "value %d", v);
	char *p = sl_query_last_progress(q);
	cr_assert_not_null(strstr(p, "union:union:rate-micro-batch:"
				     "rate-micro-batch:rate-micro-batch"),
			   "%s", p);
	free(p);
	sl_rows_free(r);
	sl_session_destroy(s);
}

/* ---- checkpoints ------------------------------------------------------ */

typedef struct seen {
	pthread_mutex_t lock;
	int64_t nbatches, first_id, last_id;
	uint32_t cnt[2][4096]; /* times each (side, value) arrived */
	int64_t max[2];
	char fail[128]; /* a batch id out of order, "" if none */
} seen;

static int seen_batch(void *ud, const sl_rows *rows, int64_t id)
{
	seen *c = ud;
	pthread_mutex_lock(&c->lock);
	if (c->nbatches++ == 0)
		c->first_id = id;
	else if (id != c->last_id + 1 && !c->fail[0])
		snprintf(c->fail, sizeof(c->fail), "batch %ld after %ld",
			 (long)id, (long)c->last_id);
	c->last_id = id;
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t side = sl_rows_long(rows, i, 0);
		int64_t v = sl_rows_long(rows, i, 1);
		if (side >= 0 && side < 2 && v >= 0 && v < 4096) {
			c->cnt[side][v]++;
			if (v > c->max[side])
				c->max[side] = v;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* A union of rate-micro-batch (10 a batch over 2 partitions, and 4 over
 * 3, the right one filtered by where_b) into foreachBatch, run for
 * run_ms on checkpoint dir. Returns start's error or "" in err. */
static void run_ckpt(const char *dir, const char *where_b, int64_t run_ms,
		     seen *c, char *err, size_t n)
{
	sl_session *s = sl_session_new();
	sl_frame *a = rmb_side(s, "10", "2", "0");
	sl_frame *b = rmb_side(s, "4", "3", "1");
	if (where_b)
		b = must(s, sl_frame_where(b, where_b));
	sl_frame *u = must(s, sl_frame_union(a, b));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = c, .batch = seen_batch };
	sl_query *q = sl_frame_start(u, "foreachBatch",
				     OPTS("checkpointLocation", dir, "trigger",
					  "processingTime 20 ms"),
				     &cb);
	err[0] = 0;
	if (!q) {
		snprintf(err, n, "%s", sl_session_errmsg(s));
	} else {
		sl_query_await(q, run_ms);
		cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	}
	sl_session_destroy(s);
}

Test(frame_union, checkpoint_restart_resumes_both_sides)
{
	char *dir = sl_test_tmpdir("sl_union_ckpt");
	seen *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	char err[512];

	run_ckpt(dir, NULL, 300, c, err, sizeof(err));
	cr_assert_str_empty(err);
	int64_t n1 = c->nbatches;
	cr_assert_gt(n1, 1);
	run_ckpt(dir, NULL, 300, c, err, sizeof(err));
	cr_assert_str_empty(err);
	cr_assert_gt(c->nbatches, n1, "the second run committed batches");
	cr_assert_str_empty(c->fail, "%s", c->fail);
	cr_assert_eq(c->first_id, 0);
	cr_assert_eq(c->last_id, c->nbatches - 1, "batch ids go on");
	/* batch N reads values N*10 .. N*10+9 left and N*4 .. N*4+3 right:
	 * every one exactly once over both runs, on both sides */
	cr_assert_lt(c->nbatches * 10, 4096, "ran too many batches");
	for (int64_t v = 0; v < c->nbatches * 10; v++)
		cr_assert_eq(c->cnt[0][v], 1, "left %ld seen %u times", (long)v,
			     c->cnt[0][v]);
	for (int64_t v = 0; v < c->nbatches * 4; v++)
		cr_assert_eq(c->cnt[1][v], 1, "right %ld seen %u times",
			     (long)v, c->cnt[1][v]);
	cr_assert_eq(c->max[0], c->nbatches * 10 - 1);
	cr_assert_eq(c->max[1], c->nbatches * 4 - 1);

	/* another shape on one side is another query */
	int64_t before = c->nbatches;
	run_ckpt(dir, "value > 2", 100, c, err, sizeof(err));
	cr_assert_not_null(strstr(err, "different query"), "%s", err);
	cr_assert_not_null(strstr(err, "where"), "names what differs: %s", err);
	cr_assert_eq(c->nbatches, before);

	sl_test_tmpdir_free(dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The file sources remember which files they admitted (ckpt_save): a
 * union keeps both sides' lists, each restored to its own side. */
typedef struct total {
	pthread_mutex_t lock;
	int64_t rows, sum;
} total;

static int total_batch(void *ud, const sl_rows *rows, int64_t id)
{
	total *t = ud;
	(void)id;
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		t->rows++;
		t->sum += sl_rows_long(rows, i, 0);
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* text files of dirs l and r, united, once, into t. */
static void run_files(const char *l, const char *r, const char *ckpt, total *t)
{
	sl_session *s = sl_session_new();
	sl_frame *a = must(s, sl_session_read_stream(s, "text", OPTS("path", l)));
	a = must(s, sl_frame_select(a, OPTS("CAST(value AS BIGINT) AS v")));
	sl_frame *b = must(s, sl_session_read_stream(s, "text", OPTS("path", r)));
	b = must(s, sl_frame_select(b, OPTS("CAST(value AS INT) * 10")));
	sl_frame *u = must(s, sl_frame_union(a, b));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = t, .batch = total_batch };
	sl_query *q = sl_frame_start(
		u, "foreachBatch",
		OPTS("trigger", "once", "checkpointLocation", ckpt), &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 20000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "hang");
	sl_session_destroy(s);
}

Test(frame_union, file_sources_remember_their_files_on_both_sides)
{
	char *l = sl_test_tmpdir("sl_union_l"),
	     *r = sl_test_tmpdir("sl_union_r");
	char *ck = sl_test_tmpdir("sl_union_c");
	cr_assert_eq(rmdir(ck), 0); /* a fresh checkpoint location */
	total t = { .rows = 0 };
	pthread_mutex_init(&t.lock, NULL);
	sl_test_write_file_in(l, "a.txt", "1\n2\n");
	sl_test_write_file_in(r, "b.txt", "3\n");
	run_files(l, r, ck, &t);
	cr_assert_eq(t.rows, 3);
	cr_assert_eq(t.sum, 1 + 2 + 30);
	/* nothing new on either side: nothing read again */
	run_files(l, r, ck, &t);
	cr_assert_eq(t.rows, 3);
	sl_test_write_file_in(l, "c.txt", "4\n");
	sl_test_write_file_in(r, "d.txt", "5\n6\n");
	run_files(l, r, ck, &t);
	cr_assert_eq(t.rows, 6, "only the new files");
	cr_assert_eq(t.sum, 1 + 2 + 30 + 4 + 50 + 60);
	sl_test_tmpdir_free(l);
	sl_test_tmpdir_free(r);
	sl_test_tmpdir_free(ck);
	pthread_mutex_destroy(&t.lock);
}

/* ---- markers through a union: the protocol ---------------------------- */

#define MAXE 20000 /* epochs one test may check */
#define MAXP 16	   /* union partitions */

/* Each epoch's rows, per union partition: the first offset and the
 * count, as the sink delivered them. */
typedef struct proto {
	uint32_t pa, pb;    /* partitions of the left and right rate source */
	int64_t sleep_us;   /* the sink's work per epoch */
	int64_t next[MAXP]; /* next offset expected, per partition */
	int64_t (*first)[MAXP];
	uint32_t (*count)[MAXP];
	_Atomic int64_t epochs; /* committed epochs seen */
	int64_t cur;		/* the epoch being written */
	sl_sink_callbacks cb;	/* the foreach sink's, pointing at us */
	int64_t rows;
	char fail[256]; /* the first violation, "" if none */
} proto;

/* The foreach sink opens a writer for each epoch (with its number),
 * hands it the epoch's rows and closes it at the epoch's commit. */
static int proto_open(void *ud, uint32_t partition, int64_t epoch)
{
	proto *t = ud;
	(void)partition;
	if ((epoch < 0 || epoch >= MAXE || epoch != atomic_load(&t->epochs)) &&
	    !t->fail[0]) {
		snprintf(t->fail, sizeof(t->fail),
			 "epoch %ld opened after %ld epochs", (long)epoch,
			 (long)atomic_load(&t->epochs));
		return -1;
	}
	t->cur = epoch;
	return 0;
}

/* Row (side, value) of the rate source of P partitions: partition
 * value % P, offset value / P (partition p produces p, p + P, ...). */
static int proto_process(void *ud, const sl_rows *rows, uint32_t i)
{
	proto *t = ud;
	int64_t side = sl_rows_long(rows, i, 0);
	int64_t v = sl_rows_long(rows, i, 1);
	uint32_t np = side ? t->pb : t->pa;
	uint32_t part = (side ? t->pa : 0) + (uint32_t)(v % np);
	int64_t off = v / np, e = t->cur;

	/* In order, no gap, no repeat, within each partition. */
	if (off != t->next[part] && !t->fail[0])
		snprintf(t->fail, sizeof(t->fail),
			 "epoch %ld partition %u: offset %ld where %ld was "
			 "next",
			 (long)e, part, (long)off, (long)t->next[part]);
	if (!t->count[e][part])
		t->first[e][part] = off;
	t->count[e][part]++;
	t->next[part] = off + 1;
	t->rows++;
	return 0;
}

static void proto_close(void *ud, const char *error)
{
	proto *t = ud;
	if (error) {
		/* the writer of the epoch a stop cut short: not committed */
		return;
	}
	if (t->sleep_us)
		usleep((useconds_t)t->sleep_us);
	atomic_store(&t->epochs, t->cur + 1);
}

/* Progress records seen: each epoch's [startOffset, endOffset) per
 * partition, taken while the query runs (it keeps the last 100). */
typedef struct offs {
	bool have[MAXE];
	int64_t start[MAXE][MAXP], end[MAXE][MAXP];
} offs;

static void take_progress(sl_query *q, offs *o, uint32_t np)
{
	char *txt = sl_query_recent_progress(q);
	json_t *arr = json_loads(txt, 0, NULL);
	cr_assert(json_is_array(arr), "%s", txt);
	size_t i;
	json_t *p;
	json_array_foreach(arr, i, p)
	{
		int64_t id = json_integer_value(json_object_get(p, "batchId"));
		if (id < 0 || id >= MAXE || o->have[id])
			continue;
		json_t *src = json_array_get(json_object_get(p, "sources"), 0);
		json_t *so = json_object_get(src, "startOffset");
		json_t *eo = json_object_get(src, "endOffset");
		cr_assert_eq(json_object_size(so), np, "%s", txt);
		for (uint32_t k = 0; k < np; k++) {
			char key[16];
			snprintf(key, sizeof(key), "%u", k);
			o->start[id][k] =
				json_integer_value(json_object_get(so, key));
			o->end[id][k] =
				json_integer_value(json_object_get(eo, key));
		}
		o->have[id] = true;
	}
	json_decref(arr);
	free(txt);
}

/* Seconds the partition threads spent blocked on full rings (the
 * metrics text's sluice_backpressure_seconds_total), for the log: how
 * much contention a run saw depends on the machine. */
static double blocked_seconds(sl_session *s)
{
	char *m = sl_session_metrics_text(s);
	double sum = 0;
	const char *k = "sluice_backpressure_seconds_total{";
	for (char *p = m ? strstr(m, k) : NULL; p; p = strstr(p + 1, k))
		sum += strtod(strchr(p, '}') + 1, NULL);
	free(m);
	return sum;
}

/* A continuous query over a union of two rate sources (pa and pb
 * partitions) until it committed min_epochs (bounded by a generous hang
 * limit), then checks every epoch whose progress it saw. */
static proto *proto_new(uint32_t pa, uint32_t pb, int64_t sleep_us)
{
	proto *t = calloc(1, sizeof(*t));
	cr_assert_not_null(t);
	t->first = calloc(MAXE, sizeof(*t->first));
	t->count = calloc(MAXE, sizeof(*t->count));
	cr_assert(t->first && t->count);
	t->pa = pa;
	t->pb = pb;
	t->sleep_us = sleep_us;
	return t;
}

static void proto_free(proto *t)
{
	free(t->first);
	free(t->count);
	free(t);
}

/* A continuous query in s over a union of two rate sources (t->pa and
 * t->pb partitions, rate_a and rate_b rows a second) into the foreach
 * sink checking t, with checkpointLocation ckpt (or none). */
static sl_query *start_protocol(sl_session *s, proto *t, const char *rate_a,
				const char *rate_b, const char *interval,
				const char *ckpt)
{
	char na[8], nb[8], trig[64];
	snprintf(na, sizeof(na), "%u", t->pa);
	snprintf(nb, sizeof(nb), "%u", t->pb);
	snprintf(trig, sizeof(trig), "continuous %s", interval);
	sl_frame *a = must(s, sl_session_read_stream(s, "rate",
					     OPTS("rowsPerSecond", rate_a,
						  "numPartitions", na)));
	a = must(s, sl_frame_select(a, OPTS("0 AS side", "value")));
	sl_frame *b = must(s, sl_session_read_stream(s, "rate",
					     OPTS("rowsPerSecond", rate_b,
						  "numPartitions", nb)));
	b = must(s, sl_frame_select(b, OPTS("1 AS side", "value")));
	sl_frame *u = must(s, sl_frame_union(a, b));
	t->cb = (sl_sink_callbacks){ .size = sizeof(sl_sink_callbacks), .ud = t,
				     .open = proto_open,
				     .process = proto_process,
				     .close = proto_close };
	sl_query *q = sl_frame_start(
		u, "foreach",
		ckpt ? OPTS("trigger", trig, "checkpointLocation", ckpt)
		     : OPTS("trigger", trig),
		&t->cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	return q;
}

/* A continuous query over a union of two rate sources (pa and pb
 * partitions) until it committed min_epochs (bounded by a generous hang
 * limit), then checks every epoch whose progress it saw. */
static void run_protocol(uint32_t pa, uint32_t pb, const char *rate_a,
			 const char *rate_b, const char *interval,
			 int64_t sleep_us, int64_t min_epochs)
{
	proto *t = proto_new(pa, pb, sleep_us);
	offs *o = calloc(1, sizeof(*o));
	cr_assert_not_null(o);
	uint32_t np = pa + pb;
	sl_session *s = sl_session_new();
	sl_query *q = start_protocol(s, t, rate_a, rate_b, interval, NULL);
	/* Hang bound only: under TSan on a busy machine epochs are slow. */
	int64_t waited_ms = 0;
	while (atomic_load(&t->epochs) < min_epochs && waited_ms < 60000 &&
	       sl_query_is_active(q)) {
		usleep(5000);
		waited_ms += 5;
		take_progress(q, o, np);
	}
	double blocked = blocked_seconds(s);
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	take_progress(q, o, np);
	int64_t ne = atomic_load(&t->epochs);
	cr_assert_geq(ne, min_epochs, "only %ld epochs committed", (long)ne);
	cr_assert_str_empty(t->fail, "%s", t->fail);

	/* Every epoch whose progress we saw: for each partition of both
	 * sides, its rows are exactly the offsets [start, end). */
	int64_t checked = 0, rows[MAXP] = { 0 };
	for (int64_t e = 0; e < ne; e++) {
		if (!o->have[e])
			continue;
		checked++;
		for (uint32_t k = 0; k < np; k++) {
			int64_t st = o->start[e][k], en = o->end[e][k];
			cr_assert_eq((int64_t)t->count[e][k], en - st,
				     "epoch %ld partition %u: %u rows for "
				     "offsets [%ld, %ld)",
				     (long)e, k, t->count[e][k], (long)st,
				     (long)en);
			if (en > st)
				cr_assert_eq(t->first[e][k], st,
					     "epoch %ld partition %u starts "
					     "at %ld, not %ld",
					     (long)e, k, (long)t->first[e][k],
					     (long)st);
			if (e > 0 && o->have[e - 1])
				cr_assert_eq(st, o->end[e - 1][k],
					     "epoch %ld partition %u starts "
					     "where %ld ended",
					     (long)e, k, (long)e - 1);
			rows[k] += en - st;
		}
	}
	/* Most epochs were seen in progress, and what they checked holds
	 * rows of every partition of both sides. (Under backpressure many
	 * epochs are empty: a partition let through by a full ring pushes
	 * the markers of every epoch it missed back to back.) */
	cr_log_info("%u partitions: %ld epochs committed, %ld checked "
		    "against their progress, %ld rows; producers blocked on "
		    "full rings %.3f s",
		    np, (long)ne, (long)checked, (long)t->rows, blocked);
	cr_assert_geq(checked, min_epochs / 2, "checked %ld of %ld epochs",
		      (long)checked, (long)ne);
	for (uint32_t k = 0; k < np; k++)
		cr_assert_gt(rows[k], 0, "no rows of partition %u checked", k);
	sl_session_destroy(s);
	proto_free(t);
	free(o);
}

Test(union_protocol, markers_through_a_union, .timeout = 180)
{
	run_protocol(3, 2, "3000", "2000", "10 ms", 0, 60);
}

/* Seven partition rings at 2 ms epochs, into a sink that takes 3 ms an
 * epoch: the rings fill and their producers park (backpressure), epochs
 * pile up and the coordinator skips ticks; still every epoch is exact. */
Test(union_protocol, rings_under_contention, .timeout = 180)
{
	run_protocol(4, 3, "200000", "150000", "2 ms", 3000, 150);
}

/* A planned stop checkpoints the final epoch of both sides: started
 * again on the checkpoint, the union goes on with the next epoch number
 * and, in every partition of both sides, the next offset: nothing
 * repeated, nothing skipped (proto_process checks each row's offset). */
Test(union_protocol, continuous_restart_repeats_nothing, .timeout = 180)
{
	char *dir = sl_test_tmpdir("sl_union_cont");
	cr_assert_eq(rmdir(dir), 0); /* a fresh checkpoint location */
	proto *t = proto_new(2, 3, 0);
	for (int64_t run = 1; run <= 3; run++) {
		sl_session *s = sl_session_new();
		sl_query *q =
			start_protocol(s, t, "2000", "3000", "20 ms", dir);
		int64_t waited_ms = 0;
		while (atomic_load(&t->epochs) < run * 10 &&
		       waited_ms < 60000 && sl_query_is_active(q)) {
			usleep(5000);
			waited_ms += 5;
		}
		cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
		sl_session_destroy(s);
		cr_assert_geq(atomic_load(&t->epochs), run * 10);
		cr_assert_str_empty(t->fail, "run %ld: %s", (long)run, t->fail);
	}
	for (uint32_t k = 0; k < 5; k++)
		cr_assert_gt(t->next[k], 0, "partition %u read nothing", k);
	sl_test_tmpdir_free(dir);
	proto_free(t);
}
