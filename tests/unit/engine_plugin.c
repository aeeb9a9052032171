/* tests/unit/engine_plugin.c - the host's own sources and sinks
 * (include/sluice_plugin.h, engine/plugin.c): a registered source feeds a
 * query and a registered sink receives its rows, each exactly once, also
 * from a pipeline file; options are checked by name; a plugin's failure
 * fails the query with its message; a restart from a checkpoint opens the
 * partitions where the last committed batch ended; registration is
 * checked and per session. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "sluice_plugin.h"
#include "sql/pipeline.h"
#include "tests/support/tmpdir.h"

#define MAXP 4

/* ---- the source: "counter", rows (id, tag, p) of ids 0..rows-1 in each
 * partition; fails at id `fail_at` if set. ---- */

typedef struct counter {
	int64_t rows;
	int64_t more; /* the data grew: rows is this, whatever the option */
	int64_t fail_at; /* -1: never */
	uint32_t nparts;
	int64_t start[MAXP]; /* where each partition was opened */
	_Atomic int64_t committed[MAXP];
	_Atomic int opens, closes, destroys;
} counter;

typedef struct counter_part {
	counter *c;
	uint32_t p;
	int64_t next;
} counter_part;


static int c_init(void *ud, const char *const *values, void **state,
		  const char **ddl, uint32_t *parts, char *err, size_t errlen)
{
	counter *c = ud;

	/* options: rows (required), partitions (default 2), failAt */
	c->rows = c->more ? c->more : atoll(values[0]);
	c->nparts = (uint32_t)atoi(values[1]);
	c->fail_at = values[2] ? atoll(values[2]) : -1;
	if (c->rows < 0) {
		snprintf(err, errlen, "rows must be >= 0, not %s", values[0]);
		return SL_EOPTION;
	}
	*state = c;
	*ddl = c->nparts > MAXP ? "id BIGINT, tag ARRAY<INT>"
				: "id BIGINT, tag STRING, p INT";
	*parts = c->nparts;
	return 0;
}

static int c_open(void *state, uint32_t partition, int64_t start, void **part,
		  char *err, size_t errlen)
{
	counter *c = state;
	counter_part *cp = calloc(1, sizeof(*cp));

	cp->c = c;
	cp->p = partition;
	cp->next = start;
	c->start[partition] = start;
	atomic_fetch_add(&c->opens, 1);
	*part = cp;
	return 0;
}

static int c_poll(void *part, sl_emit *e, uint32_t max, int64_t wait_ns,
		  char *err, size_t errlen)
{
	counter_part *cp = part;
	int n = 0;
	char tag[32];

	while ((uint32_t)n < max && cp->next < cp->c->rows) {
		if (cp->next == cp->c->fail_at) {
			snprintf(err, errlen, "boom at %lld",
				 (long long)cp->next);
			return SL_EIO;
		}
		cr_assert_eq(sl_emit_row(e), 0);
		cr_assert_eq(sl_emit_long(e, 0, cp->next), 0);
		int len = snprintf(tag, sizeof(tag), "T%lld",
				   (long long)cp->next);
		cr_assert_eq(sl_emit_string(e, 1, tag, (size_t)len), 0);
		cr_assert_eq(sl_emit_long(e, 2, cp->p), 0);
		cp->next++;
		n++;
	}
	if ((uint32_t)n == max)
		/* one row more than asked for is refused */
		cr_assert_eq(sl_emit_row(e), SL_EFULL);
	return n ? n : (cp->next >= cp->c->rows ? SL_EOS : 0);
}

static int64_t c_available(void *state, uint32_t partition)
{
	return ((counter *)state)->rows;
}

static void c_commit(void *state, const int64_t *ends, uint32_t n)
{
	counter *c = state;

	for (uint32_t i = 0; i < n && i < MAXP; i++)
		atomic_store(&c->committed[i], ends[i]);
}

static void c_close(void *part)
{
	counter_part *cp = part;

	atomic_fetch_add(&cp->c->closes, 1);
	free(cp);
}

static void c_destroy(void *state)
{
	atomic_fetch_add(&((counter *)state)->destroys, 1);
}

static const sl_plugin_option counter_opts[] = {
	{ "rows", NULL, "rows per partition", 1 },
	{ "partitions", "2", "partitions", 0 },
	{ "failAt", NULL, "the id whose poll fails", 0 },
	{ NULL, NULL, NULL, 0 },
};

static sl_source_plugin counter_plugin(counter *c)
{
	return (sl_source_plugin){
		.size = sizeof(sl_source_plugin), .name = "counter",
		.description = "ids 0..rows-1", .options = counter_opts,
		.ud = c, .init = c_init, .open = c_open, .poll = c_poll,
		.available = c_available, .commit = c_commit,
		.close = c_close, .destroy = c_destroy,
	};
}

/* ---- the sink: "collect", counts ids per partition ---- */

typedef struct collect {
	char schema[128];
	char prefix[16];
	int64_t seen[MAXP][64]; /* times each id (< 64) was seen */
	int bad;
	int commits, closes;
	int64_t last_epoch;
} collect;

static int k_open(void *ud, const char *const *values, const char *schema,
		  void **state, char *err, size_t errlen)
{
	collect *k = ud;

	snprintf(k->schema, sizeof(k->schema), "%s", schema);
	snprintf(k->prefix, sizeof(k->prefix), "%s", values[0]);
	*state = k;
	return 0;
}

static int k_write(void *state, const sl_rows *rows, int64_t epoch, char *err,
		   size_t errlen)
{
	collect *k = state;
	char tag[32], want[32];

	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t id = sl_rows_long(rows, i, 0);
		int64_t p = sl_rows_long(rows, i, 2);
		sl_rows_string(rows, i, 1, tag, sizeof(tag));
		snprintf(want, sizeof(want), "%sT%lld", k->prefix,
			 (long long)id);
		if (id < 0 || id >= 64 || p < 0 || p >= MAXP ||
		    strcmp(tag, want)) {
			k->bad++;
			continue;
		}
		k->seen[p][id]++;
	}
	return 0;
}

static int k_commit(void *state, int64_t epoch, char *err, size_t errlen)
{
	collect *k = state;

	k->commits++;
	k->last_epoch = epoch;
	return 0;
}

static void k_close(void *state)
{
	((collect *)state)->closes++;
}

static const sl_plugin_option collect_opts[] = {
	{ "prefix", "", "what the tags start with", 0 },
	{ NULL, NULL, NULL, 0 },
};

static sl_sink_plugin collect_plugin(collect *k)
{
	return (sl_sink_plugin){
		.size = sizeof(sl_sink_plugin), .name = "collect",
		.options = collect_opts, .ud = k, .open = k_open,
		.write = k_write, .commit = k_commit, .close = k_close,
	};
}

static sl_session *session_with(counter *c, collect *k)
{
	sl_session *s = sl_session_new();
	sl_source_plugin sp = counter_plugin(c);
	sl_sink_plugin kp = collect_plugin(k);

	cr_assert_eq(sl_session_add_source(s, &sp), 0, "%s",
		     sl_session_errmsg(s));
	cr_assert_eq(sl_session_add_sink(s, &kp), 0, "%s",
		     sl_session_errmsg(s));
	return s;
}

static void assert_each_once(const collect *k, uint32_t nparts, int64_t rows)
{
	cr_assert_eq(k->bad, 0);
	for (uint32_t p = 0; p < nparts; p++)
		for (int64_t id = 0; id < rows; id++)
			cr_assert_eq(k->seen[p][id], 1,
				     "partition %u id %lld seen %lld times", p,
				     (long long)id,
				     (long long)k->seen[p][id]);
}

static sl_query *run_counter(sl_session *s, const char *rows,
			     const char *trigger, const char *ckpt)
{
	sl_frame *f = sl_session_read_stream(
		s, "counter",
		(const char *[]){"rows", rows, "partitions", "3", NULL});
	cr_assert(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){"id", "concat('x', tag) AS tag",
						"p", NULL});
	cr_assert(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		f, "collect",
		(const char *[]){"prefix", "x", "trigger", trigger,
				 ckpt ? "checkpointLocation" : NULL, ckpt,
				 NULL},
		NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

Test(engine_plugin, source_to_sink_micro_batch)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);

	sl_query *q = run_counter(s, "50", "availableNow", NULL);
	cr_assert_eq(sl_query_await(q, 20000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "timeout");
	cr_assert_null(sl_query_exception(q));
	assert_each_once(&k, 3, 50);
	cr_assert_str_eq(k.schema, "`id` bigint, `tag` string, `p` int");
	cr_assert_geq(k.commits, 1);
	cr_assert_eq(k.closes, 1);
	cr_assert_eq(atomic_load(&c.opens), 3);
	cr_assert_eq(atomic_load(&c.closes), 3);
	for (int p = 0; p < 3; p++)
		cr_assert_eq(atomic_load(&c.committed[p]), 50);
	sl_session_destroy(s);
	cr_assert_eq(atomic_load(&c.destroys), 1);
}

Test(engine_plugin, continuous_ends_with_the_source)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);

	sl_query *q = run_counter(s, "40", "continuous 50 milliseconds", NULL);
	cr_assert_eq(sl_query_await(q, 20000), 1);
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));
	assert_each_once(&k, 3, 40);
	sl_session_destroy(s);
}

Test(engine_plugin, restart_opens_where_committed)
{
	char *dir = sl_test_tmpdir("plugin-ckpt");
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);

	sl_query *q = run_counter(s, "30", "availableNow", dir);
	cr_assert_eq(sl_query_await(q, 20000), 1);
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));
	sl_session_destroy(s);
	assert_each_once(&k, 3, 30);

	/* Again, the partitions grown to 45 rows: only 30..44 are read,
	 * from offset 30. */
	counter c2 = {.more = 45};
	collect k2 = {0};
	s = session_with(&c2, &k2);
	q = run_counter(s, "30", "availableNow", dir);
	cr_assert_eq(sl_query_await(q, 20000), 1);
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));
	for (int p = 0; p < 3; p++) {
		cr_assert_eq(c2.start[p], 30);
		for (int id = 0; id < 45; id++)
			cr_assert_eq(k2.seen[p][id], id >= 30 ? 1 : 0,
				     "partition %d id %d", p, id);
	}
	sl_session_destroy(s);
	sl_test_tmpdir_free(dir);
}

Test(engine_plugin, failures_fail_the_query)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);

	sl_frame *f = sl_session_read_stream(
		s, "counter",
		(const char *[]){"rows", "20", "failAt", "7", NULL});
	cr_assert(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		f, "collect", (const char *[]){"trigger", "availableNow", NULL},
		NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	sl_query_await(q, 20000);
	cr_assert(sl_query_exception(q));
	cr_assert(strstr(sl_query_exception(q), "source 'counter': boom at 7"),
		  "%s", sl_query_exception(q));
	cr_assert_eq(k.closes, 1);
	sl_session_destroy(s);
}

Test(engine_plugin, options_and_schema_checked)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);

	/* a required option */
	cr_assert_null(sl_session_read_stream(s, "counter", NULL));
	cr_assert(strstr(sl_session_errmsg(s), "rows"), "%s",
		  sl_session_errmsg(s));
	/* a misspelt one */
	cr_assert_null(sl_session_read_stream(
		s, "counter", (const char *[]){"rows", "1", "partitons", "2",
					       NULL}));
	cr_assert(strstr(sl_session_errmsg(s), "partitions"), "%s",
		  sl_session_errmsg(s));
	/* the plugin's own refusal */
	cr_assert_null(sl_session_read_stream(
		s, "counter", (const char *[]){"rows", "-1", NULL}));
	cr_assert(strstr(sl_session_errmsg(s),
			 "source 'counter': rows must be >= 0, not -1"),
		  "%s", sl_session_errmsg(s));
	/* a schema the setters cannot fill, refused; destroy still runs */
	int before = atomic_load(&c.destroys);
	cr_assert_null(sl_session_read_stream(
		s, "counter", (const char *[]){"rows", "1", "partitions", "9",
					       NULL}));
	cr_assert(strstr(sl_session_errmsg(s), "column 'tag' is array<int>"),
		  "%s", sl_session_errmsg(s));
	cr_assert_eq(atomic_load(&c.destroys), before + 1);
	sl_session_destroy(s);
}

Test(engine_plugin, registration_checked_and_per_session)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);
	sl_source_plugin sp = counter_plugin(&c);
	sl_sink_plugin kp = collect_plugin(&k);

	cr_assert_eq(sl_session_add_source(s, &sp), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "'counter' is taken"), "%s",
		  sl_session_errmsg(s));
	sp.name = "rate";
	cr_assert_eq(sl_session_add_source(s, &sp), SL_EINVAL);
	sp.name = "csv"; /* a file format's source */
	cr_assert_eq(sl_session_add_source(s, &sp), SL_EINVAL);
	kp.name = "console";
	cr_assert_eq(sl_session_add_sink(s, &kp), SL_EINVAL);
	sp.name = "other";
	sp.size = 0;
	cr_assert_eq(sl_session_add_source(s, &sp), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "size"));
	sp.size = sizeof(sp);
	sp.available = NULL;
	cr_assert_eq(sl_session_add_source(s, &sp), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "available"));
	/* a sink may share a source's name */
	kp.name = "counter";
	cr_assert_eq(sl_session_add_sink(s, &kp), 0, "%s",
		     sl_session_errmsg(s));

	sl_session *other = sl_session_new();
	cr_assert_null(sl_session_read_stream(
		other, "counter", (const char *[]){"rows", "1", NULL}));
	cr_assert(strstr(sl_session_errmsg(other), "unknown source format"),
		  "%s", sl_session_errmsg(other));
	sl_session_destroy(other);
	sl_session_destroy(s);
}

Test(engine_plugin, pipeline_uses_them)
{
	counter c = {0};
	collect k = {0};
	sl_session *s = session_with(&c, &k);
	const char *text =
		"CREATE SOURCE n WITH (format = 'counter', rows = '20',\n"
		"                      partitions = '2');\n"
		"CREATE SINK out WITH (format = 'collect', prefix = 'y',\n"
		"                      trigger = 'availableNow');\n"
		"INSERT INTO out SELECT id, concat('y', tag) AS tag, p FROM n;\n";
	sl_pipeline *p = NULL;
	sl_err e = {0};

	cr_assert_eq(sl_pipeline_load(s, text, strlen(text), "t.sql", &p, &e),
		     0, "%s", e.msg);
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
	sl_query *q = sl_pipeline_query(p, 0);
	cr_assert_eq(sl_query_await(q, 20000), 1);
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));
	assert_each_once(&k, 2, 20);
	sl_pipeline_free(p);
	sl_session_destroy(s);
}
