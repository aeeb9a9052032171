/* tests/unit/ops_join.c - stream-static joins (ops/join.c, the static
 * table of engine/static_table.c) end to end: a rate-micro-batch stream
 * (keys value % 5) joined with a small CSV table the test writes (keys
 * 0..3 with names), inner and left, into the
 * memory sink; the append-only rule; and the same join written in a
 * pipeline file (CREATE TABLE, JOIN ... ON / USING). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/pipeline.h"
#include "tests/support/tmpdir.h"
#include "sluice.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

static const char *const names[] = { "zero", "one", "two", "three" };

static char *dir;
static char file[96];

/* keys 0..3 with names; key 1 twice, so a stream row can match twice */
static void write_table(void)
{
	dir = sl_test_tmpdir("sl_join");
	snprintf(file, sizeof(file), "%s/dim.csv", dir);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs("k,name\n0,zero\n1,one\n2,two\n3,three\n1,uno\n", f);
	fclose(f);
}

static void remove_table(void)
{
	sl_test_tmpdir_free(dir);
}

TestSuite(join, .init = write_table, .fini = remove_table);

static sl_frame *stream_keys(sl_session *s)
{
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "20"));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *k = sl_frame_select(in, OPTS("value", "value % 5 AS k"));
	cr_assert(k, "%s", sl_session_errmsg(s));
	return k;
}

static sl_frame *table(sl_session *s, const char *path)
{
	sl_frame *t = sl_session_read_static(s, "csv",
				     OPTS("path", path, "header", "true",
					  "schema", "k INT, name STRING"));
	cr_assert(t, "%s", sl_session_errmsg(s));
	return t;
}

static sl_rows *run(sl_session *s, sl_frame *f, const char *name)
{
	sl_query *q = sl_frame_start(f, "memory",
				     OPTS("outputMode", "append", "queryName",
					  name, "trigger", "once"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1);
	sl_rows *r = sl_session_table(s, name);
	cr_assert_not_null(r);
	return r;
}

/* Checks every output row against the table; returns how many rows each
 * stream value produced in *per (20 values). */
static void check_rows(sl_rows *r, int *per)
{
	int cv = sl_rows_colindex(r, "value"), ck = sl_rows_colindex(r, "k");
	int cn = sl_rows_colindex(r, "name");
	char buf[64];
	cr_assert(cv >= 0 && ck >= 0 && cn >= 0);
	cr_assert_eq(sl_rows_ncols(r), 3);
	for (uint32_t i = 0; i < sl_rows_count(r); i++) {
		int64_t v = sl_rows_long(r, i, cv), k = sl_rows_long(r, i, ck);
		cr_assert(v >= 0 && v < 20);
		cr_assert_eq(k, v % 5);
		per[v]++;
		if (k == 4) {
			cr_assert(sl_rows_is_null(r, i, cn));
			continue;
		}
		sl_rows_string(r, i, cn, buf, sizeof(buf));
		cr_assert(!strcmp(buf, names[k]) ||
				  (k == 1 && !strcmp(buf, "uno")),
			  "value %ld: name %s", (long)v, buf);
	}
}

Test(join, inner)
{
	sl_session *s = sl_session_new();
	sl_frame *j = sl_frame_join(stream_keys(s), table(s, dir), OPTS("k"),
				    NULL, "inner");
	cr_assert(j, "%s", sl_session_errmsg(s));
	char sc[256];
	sl_frame_schema(j, sc, sizeof(sc));
	cr_assert_str_eq(sc, "value: bigint, k: bigint, name: string");
	sl_rows *r = run(s, j, "inner");
	int per[20] = { 0 };
	check_rows(r, per);
	/* key 4 has no match: dropped; key 1 matches twice */
	for (int v = 0; v < 20; v++)
		cr_assert_eq(per[v], v % 5 == 4 ? 0 : v % 5 == 1 ? 2 : 1,
			     "value %d: %d rows", v, per[v]);
	cr_assert_eq(sl_rows_count(r), 20);
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(join, left_one_file)
{
	sl_session *s = sl_session_new();
	/* one file as the path; different key names on each side */
	sl_frame *in = sl_frame_select(stream_keys(s),
				       OPTS("value", "k", "k AS kk"));
	sl_frame *t = table(s, file);
	sl_frame *j = sl_frame_join(in, t, OPTS("kk"), OPTS("k"), "left");
	cr_assert(j, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(j, OPTS("value", "k", "name"));
	cr_assert(o, "%s", sl_session_errmsg(s));
	sl_rows *r = run(s, o, "left");
	int per[20] = { 0 };
	check_rows(r, per);
	for (int v = 0; v < 20; v++)
		cr_assert_eq(per[v], v % 5 == 1 ? 2 : 1, "value %d: %d rows",
			     v, per[v]);
	cr_assert_eq(sl_rows_count(r), 24);
	sl_rows_free(r);
	sl_session_destroy(s);
}

Test(join, modes_and_errors)
{
	sl_session *s = sl_session_new();
	sl_frame *t = table(s, dir);
	sl_frame *j = sl_frame_join(stream_keys(s), t, OPTS("k"), NULL,
				    "inner");
	cr_assert(j, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(j, "memory",
				     OPTS("outputMode", "update", "queryName",
					  "u"),
				     NULL);
	cr_assert_null(q);
	cr_assert(strstr(sl_session_errmsg(s), "append"), "%s",
		  sl_session_errmsg(s));
	cr_assert_null(sl_frame_join(stream_keys(s), t, OPTS("nope"), NULL,
				     "inner"));
	cr_assert(strstr(sl_session_errmsg(s), "nope"));
	cr_assert_null(sl_frame_join(stream_keys(s), t, OPTS("k"), NULL,
				     "full"));
	cr_assert_null(sl_frame_where(t, "k > 1"));
	cr_assert(strstr(sl_session_errmsg(s), "static"));
	cr_assert_null(sl_frame_start(t, "memory",
				      OPTS("queryName", "st"), NULL));
	/* a string key against an int key must be cast first */
	sl_frame *str = sl_frame_select(stream_keys(s),
					OPTS("value", "CAST(k AS STRING) AS k"));
	cr_assert_null(sl_frame_join(str, t, OPTS("k"), NULL, "inner"));
	cr_assert(strstr(sl_session_errmsg(s), "CAST"));
	sl_session_destroy(s);
}

Test(join, pipeline)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "CREATE SOURCE s WITH (format = 'rate-micro-batch',\n"
		 "  rowsPerBatch = 20);\n"
		 "CREATE VIEW v AS SELECT value, value %% 5 AS k FROM s;\n"
		 "CREATE TABLE dim WITH (format = 'csv', path = '%s',\n"
		 "  schema = 'k INT, name STRING', header = 'true');\n"
		 "CREATE SINK m WITH (format = 'memory', queryName = 'pj',\n"
		 "  trigger = 'once');\n"
		 "CREATE SINK m2 WITH (format = 'memory', queryName = 'pj2',\n"
		 "  trigger = 'once');\n"
		 "INSERT INTO m SELECT value, k, name FROM v\n"
		 "  LEFT JOIN dim ON dim.k = v.k WHERE value < 10;\n"
		 "INSERT INTO m2 SELECT * FROM v JOIN dim USING (k);\n",
		 file);
	sl_session *s = sl_session_new();
	sl_pipeline *p = NULL;
	sl_err e = { 0 };
	int rc = sl_pipeline_load(s, text, strlen(text), "j.sql", &p, &e);
	cr_assert_eq(rc, 0, "%s", e.msg);
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
	cr_assert_eq(sl_query_await(sl_pipeline_query(p, 0), 10000), 1);
	cr_assert_eq(sl_query_await(sl_pipeline_query(p, 1), 10000), 1);
	sl_rows *r = sl_session_table(s, "pj");
	cr_assert_not_null(r);
	int per[20] = { 0 };
	check_rows(r, per);
	for (int v = 0; v < 20; v++)
		cr_assert_eq(per[v], v >= 10 ? 0 : v % 5 == 1 ? 2 : 1);
	cr_assert_eq(sl_rows_count(r), 12);
	sl_rows_free(r);
	r = sl_session_table(s, "pj2");
	cr_assert_not_null(r);
	memset(per, 0, sizeof(per));
	check_rows(r, per);
	cr_assert_eq(sl_rows_count(r), 20);
	sl_rows_free(r);
	sl_pipeline_free(p);

	/* stream-stream and other joins stay refused, by name */
	const char *bad = "CREATE SOURCE a WITH (format = 'rate');\n"
			  "CREATE SOURCE b WITH (format = 'rate');\n"
			  "CREATE SINK m WITH (format = 'memory', "
			  "queryName = 'x');\n"
			  "INSERT INTO m SELECT * FROM a JOIN b USING (value);\n";
	p = NULL;
	rc = sl_pipeline_load(s, bad, strlen(bad), "j.sql", &p, &e);
	cr_assert_lt(rc, 0);
	cr_assert(strstr(e.msg, "stream-stream"), "%s", e.msg);
	bad = "CREATE SOURCE a WITH (format = 'rate');\n"
	      "CREATE VIEW v AS SELECT * FROM a FULL JOIN b USING (k);\n";
	rc = sl_pipeline_load(s, bad, strlen(bad), "j.sql", &p, &e);
	cr_assert_lt(rc, 0);
	cr_assert(strstr(e.msg, "stream-static"), "%s", e.msg);
	sl_session_destroy(s);
}
