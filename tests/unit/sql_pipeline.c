/* tests/unit/sql_pipeline.c - pipeline files loaded into a session
 * (sql/builder.c, sql/options.c): names, formats, options and expressions
 * checked by the engine and located in the file; the plan `sluice
 * validate` prints (sql/explain.c); and pipelines run into memory tables.
 * The parser on its own: sql_parser.c. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sql/pipeline.h"
#include "sluice.h"

static sl_session *s;
static sl_pipeline *p;

static void setup(void)
{
	s = sl_session_new();
	cr_assert_not_null(s);
	p = NULL;
}

static void teardown(void)
{
	sl_pipeline_free(p);
	sl_session_destroy(s);
}

static const char demo[] =
	"-- the acceptance pipeline\n"
	"CREATE SOURCE rates WITH (format = 'rate', rowsPerSecond = 10,\n"
	"                          numPartitions = '2');\n"
	"CREATE VIEW evens AS SELECT * FROM rates WHERE value % 2 = 0;\n"
	"CREATE SINK out WITH (format = 'console', outputMode = 'append',\n"
	"                      trigger = 'continuous 1 second',\n"
	"                      queryName = 'q1', numRows = '20');\n"
	"INSERT INTO out SELECT value * 10 AS v FROM evens;\n";

static void load_ok(const char *text)
{
	sl_err e = { 0 };
	int rc = sl_pipeline_load(s, text, strlen(text), "t.sql", &p, &e);
	cr_assert_eq(rc, 0, "load failed: %s", e.msg);
}

/* Starting the loaded pipeline must succeed. */
static void start_ok(void)
{
	sl_err e = { 0 };
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
}

/* The load fails, and its message starts with prefix (a "t.sql:L:C: ..."
 * prefix) and contains part. */
static void load_fails_with(const char *text, const char *prefix,
			    const char *part)
{
	sl_err e = { 0 };
	sl_pipeline *q = NULL;
	int rc = sl_pipeline_load(s, text, strlen(text), "t.sql", &q, &e);
	cr_assert_lt(rc, 0, "loaded, expected: %s", prefix);
	cr_assert_null(q);
	cr_assert(!strncmp(e.msg, prefix, strlen(prefix)),
		  "got:  %s\nwant: %s...", e.msg, prefix);
	cr_assert(strstr(e.msg, part), "got: %s\nwant it to contain: %s", e.msg,
		  part);
}

static void load_fails(const char *text, const char *want)
{
	load_fails_with(text, want, "");
}

/* Rows of memory table name once it has at least n, or NULL. */
static sl_rows *table_with(const char *name, uint32_t n)
{
	sl_rows *r = NULL;
	for (int i = 0; i < 100; i++) {
		sl_rows_free(r);
		r = sl_session_table(s, name);
		if (r && sl_rows_count(r) >= n)
			return r;
		usleep(50 * 1000);
	}
	sl_rows_free(r);
	return NULL;
}

TestSuite(pl_load, .init = setup, .fini = teardown, .timeout = 20);

Test(pl_load, acceptance_pipeline_loads_and_describes)
{
	load_ok(demo);
	cr_assert_eq(sl_pipeline_nqueries(p), 1);
	cr_assert_null(sl_pipeline_query(p, 0));
	cr_assert_str_eq(sl_pipeline_query_label(p, 0),
			 "t.sql:8:1: INSERT INTO out");
	char buf[4096];
	size_t n = sl_pipeline_describe(p, buf, sizeof(buf));
	cr_assert_lt(n, sizeof(buf));
	cr_assert_eq(n, strlen(buf));
	cr_assert(strstr(buf, "pipeline t.sql: 1 source, 1 view, 1 sink, "
			      "1 query\n"),
		  "%s", buf);
	cr_assert(strstr(buf,
			 "source rates (t.sql:2:1)\n"
			 "  format   rate\n"
			 "  options  rowsPerSecond=10, numPartitions=2\n"
			 "  schema   timestamp: timestamp, value: bigint\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "query INSERT INTO out (t.sql:8:1)\n"
			      "  read     rates (rate)\n"
			      "  where    value % 2 = 0   [view evens]\n"
			      "  select   value * 10 AS v\n"
			      "  schema   v: bigint\n"
			      "  write    out (console), outputMode append, "
			      "trigger continuous"),
		  "%s", buf);
	cr_assert(strstr(buf, "sink out (t.sql:5:1)\n"
			      "  format   console\n"
			      "  options  numRows=20\n"
			      "  mode     append\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "  trigger  continuous"), "%s", buf);
	cr_assert(strstr(buf, "  name     q1\n"), "%s", buf);
	/* a short buffer gets a NUL-terminated prefix and the full length */
	char small[16];
	cr_assert_eq(sl_pipeline_describe(p, small, sizeof(small)), n);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
}

Test(pl_load, unknown_names)
{
	load_fails("CREATE SINK o WITH (format = 'console');\n"
		   "INSERT INTO o SELECT * FROM nope;",
		   "t.sql:2:29: unknown source or view 'nope' (none defined "
		   "so far)");
	load_fails("CREATE SOURCE a WITH (format = 'rate');\n"
		   "CREATE SINK o WITH (format = 'console');\n"
		   "INSERT INTO o SELECT * FROM b;\n"
		   "CREATE VIEW b AS SELECT * FROM a;",
		   "t.sql:3:29: unknown source or view 'b': it is defined "
		   "later, at line 4; define it before use");
	load_fails("CREATE SOURCE a WITH (format = 'rate');\n"
		   "INSERT INTO nowhere SELECT * FROM a;",
		   "t.sql:2:13: unknown sink 'nowhere' (none defined so far)");
}

Test(pl_load, duplicate_and_misused_names)
{
	load_fails("CREATE SOURCE a WITH (format = 'rate');\n"
		   "CREATE SINK A WITH (format = 'console');",
		   "t.sql:2:13: 'A' is already defined at line 1 (as a "
		   "source)");
	load_fails("CREATE SOURCE a WITH (format = 'rate');\n"
		   "CREATE SINK o WITH (format = 'console');\n"
		   "INSERT INTO o SELECT * FROM a;\n"
		   "INSERT INTO o SELECT value FROM a;",
		   "t.sql:4:13: sink 'o' is already written by the INSERT INTO "
		   "at line 3: a sink takes one query; define another sink");
	load_fails("CREATE SOURCE a WITH (format = 'rate');\n"
		   "INSERT INTO a SELECT * FROM a;",
		   "t.sql:2:13: 'a' is a source, not a sink");
	load_fails("CREATE SINK o WITH (format = 'console');\n"
		   "CREATE VIEW v AS SELECT * FROM o;",
		   "t.sql:2:32: 'o' is a sink: FROM reads a source or a view");
}

Test(pl_load, source_format_and_options)
{
	load_fails("CREATE SOURCE a WITH (rowsPerSecond = 5);",
		   "t.sql:1:15: source 'a' has no format: add format = "
		   "'rate'");
	load_fails_with("CREATE SOURCE a WITH (format = 'rate-micro-batch');",
			"t.sql:1:15: ", "rowsPerBatch");
	load_fails_with("CREATE SOURCE a WITH (format = 'rat');",
			"t.sql:1:32: unknown source format 'rat'", "rate");
	/* a misspelt option: the engine names it, we point at it */
	load_fails_with("CREATE SOURCE a WITH (format = 'rate',\n"
			"  rowsPerSec = 5);",
			"t.sql:2:3: ", "rowsPerSec");
	load_fails_with("CREATE SOURCE a WITH (format = 'rate',\n"
			"  numPartitions = 2, rowsPerSecond = 'abc');",
			"t.sql:2:38: ", "rowsPerSecond");
}

Test(pl_load, sink_format_and_options)
{
	const char *src = "CREATE SOURCE a WITH (format = 'rate');\n";
	char text[512];
	snprintf(text, sizeof(text), "%s%s", src,
		 "CREATE SINK o WITH (format = 'consol');");
	load_fails_with(text, "t.sql:2:30: unknown sink format 'consol'",
			"console");
	snprintf(text, sizeof(text), "%s%s", src,
		 "CREATE SINK o WITH (format = 'console', numRow = 5);");
	load_fails_with(text, "t.sql:2:41: ", "numRow");
	snprintf(
		text, sizeof(text), "%s%s", src,
		"CREATE SINK o WITH (format = 'console', outputMode = 'all');");
	load_fails_with(text, "t.sql:2:54: ", "outputMode");
	snprintf(text, sizeof(text), "%s%s", src,
		 "CREATE SINK o WITH (format = 'console', trigger = "
		 "'sometimes');");
	load_fails_with(text, "t.sql:2:51: ", "sometimes");
	snprintf(text, sizeof(text), "%s%s", src,
		 "CREATE SINK o WITH (format = 'foreach');");
	load_fails(text, "t.sql:2:30: sink format 'foreach' calls C "
			 "functions");
}

Test(pl_load, output_mode_and_trigger_checked_at_load)
{
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE SINK o WITH (format = 'console', outputMode = "
			"'complete');\n"
			"INSERT INTO o SELECT * FROM a;",
			"t.sql:2:54: Complete output mode not supported",
			"aggregations");
	load_fails_with("CREATE SOURCE a WITH (format = 'rate-micro-batch', "
			"rowsPerBatch = 5);\n"
			"CREATE SINK o WITH (format = 'console', trigger = "
			"'continuous 1 second');\n"
			"INSERT INTO o SELECT * FROM a;",
			"t.sql:2:51: source 'rate-micro-batch' does not support "
			"the continuous trigger",
			"processingTime");
	load_fails(
		"CREATE SOURCE a WITH (format = 'rate');\n"
		"CREATE SINK o1 WITH (format = 'console', queryName = 'q');\n"
		"CREATE SINK o2 WITH (format = 'console', queryName = 'q');\n"
		"INSERT INTO o1 SELECT * FROM a;\n"
		"INSERT INTO o2 SELECT * FROM a;",
		"t.sql:3:54: queryName 'q' is also the name of the query "
		"at line 4");
}

Test(pl_load, expression_errors_are_located)
{
	/* a syntax error: the engine's position in the expression, mapped
	 * to the file's line and column */
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE SINK o WITH (format = 'console');\n"
			"INSERT INTO o SELECT value,\n"
			"  value * AS x\n"
			"FROM a;",
			"t.sql:4:11: ", "syntax error");
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE VIEW v AS SELECT * FROM a\n"
			"  WHERE value >> = 2;",
			"t.sql:3:", "syntax error");
	/* an unknown column: the engine names it, we point at it */
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE VIEW v AS SELECT * FROM a WHERE sgnal > 10;",
			"t.sql:2:40: ", "sgnal");
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE VIEW v AS SELECT value, 1 + vlue AS w FROM a;",
			"t.sql:2:36: ", "vlue");
	/* an aggregate without GROUP BY: a global aggregation, where a
	 * plain column has no place */
	load_fails_with("CREATE SOURCE a WITH (format = 'rate');\n"
			"CREATE VIEW v AS SELECT value, count(*) FROM a;",
			"t.sql:2:25: ", "neither present in the group by");
}

Test(pl_load, runs_into_a_memory_table)
{
	load_ok("CREATE SOURCE a WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 10, numPartitions = 1);\n"
		"CREATE VIEW odd AS SELECT value FROM a WHERE value % 2 = 1;\n"
		"CREATE SINK m WITH (format = 'memory', queryName = 'tbl',\n"
		"  trigger = 'processingTime 100 milliseconds');\n"
		"INSERT INTO m SELECT value * 10 AS v FROM odd;\n");
	start_ok();
	sl_err e = { 0 };
	sl_query *q = sl_pipeline_query(p, 0);
	cr_assert_not_null(q);
	cr_assert_eq(sl_pipeline_start(p, &e), SL_ESTATE);
	sl_rows *r = table_with("tbl", 5);
	cr_assert_not_null(r);
	cr_assert_geq(sl_rows_count(r), 5);
	cr_assert_str_eq(sl_rows_colname(r, 0), "v");
	for (uint32_t i = 0; i < sl_rows_count(r); i++)
		cr_assert_eq(sl_rows_long(r, i, 0) % 20, 10);
	sl_rows_free(r);
	cr_assert_eq(sl_query_stop(q), 0);
}

Test(pl_load, group_by_runs_into_a_memory_table)
{
	load_ok("CREATE SOURCE a WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 30, numPartitions = 1);\n"
		"CREATE VIEW w AS SELECT CAST(value % 3 AS STRING) AS word\n"
		"  FROM a;\n"
		"CREATE SINK m WITH (format = 'memory', queryName = 'wc',\n"
		"  outputMode = 'complete', trigger = 'once');\n"
		"INSERT INTO m SELECT word, count(*) AS count FROM w\n"
		"  GROUP BY word HAVING count > 5;\n");
	char plan[4096];
	sl_pipeline_describe(p, plan, sizeof(plan));
	cr_assert(strstr(plan, "  group by word   (stateful, micro-batch)"),
		  "%s", plan);
	cr_assert(strstr(plan, "  having   count > 5"), "%s", plan);
	cr_assert(strstr(plan, "  schema   word: string, count: bigint"), "%s",
		  plan);
	start_ok();
	sl_query *q = sl_pipeline_query(p, 0);
	cr_assert_eq(sl_query_await(q, 10000), 1);
	sl_rows *r = sl_session_table(s, "wc");
	cr_assert_eq(sl_rows_count(r), 3);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(sl_rows_long(r, i, 1), 10);
	sl_rows_free(r);
}

Test(pl_load, aggregation_errors_are_located)
{
	const char *head = "CREATE SOURCE r WITH (format = 'rate');\n"
			   "CREATE SINK o WITH (format = 'console',\n"
			   "  outputMode = 'complete');\n";
	char t[1024];
	snprintf(t, sizeof(t), "%sINSERT INTO o SELECT value, count(*)\n"
		 "  FROM r GROUP BY value %% 2;", head);
	load_fails(t, "t.sql:4:22: expression 'value' is neither present in "
		      "the group by");
	snprintf(t, sizeof(t), "%sINSERT INTO o SELECT count(*), sum(nope)\n"
		 "  FROM r;", head);
	load_fails(t, "t.sql:4:36: cannot resolve 'nope'");
	snprintf(t, sizeof(t), "%sINSERT INTO o SELECT count(*) FROM r\n"
		 "  WATERMARK value DELAY OF INTERVAL 1 MINUTE;", head);
	load_fails(t, "t.sql:5:13: Event time must be defined on a window or "
		      "a timestamp");
	snprintf(t, sizeof(t), "%sINSERT INTO o SELECT count(*) FROM r\n"
		 "  WATERMARK timestamp DELAY OF INTERVAL 1 MONTH;", head);
	load_fails(t, "t.sql:5:41: withWatermark: delay '1 month'");
	/* append without a watermark: at the outputMode option */
	load_fails("CREATE SOURCE r WITH (format = 'rate');\n"
		   "CREATE SINK o WITH (format = 'console');\n"
		   "INSERT INTO o SELECT count(*) FROM r;",
		   "t.sql:2:13: Append output mode not supported when there are "
		   "streaming aggregations");
}

Test(pl_load, a_query_name_taken_is_refused_at_load)
{
	static const char text[] =
		"CREATE SOURCE a WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 2);\n"
		"CREATE SINK m WITH (format = 'memory', queryName = 'dup');\n"
		"INSERT INTO m SELECT * FROM a;\n";
	sl_err e = { 0 };
	load_ok(text);
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
	/* a second copy in the same session: the name is taken */
	sl_pipeline *p2 = NULL;
	cr_assert_lt(sl_pipeline_load(s, text, strlen(text), "u.sql", &p2, &e),
		     0);
	cr_assert(!strncmp(e.msg, "u.sql:3:52: ", 12), "%s", e.msg);
	cr_assert(strstr(e.msg, "'dup' is already active"), "%s", e.msg);
	cr_assert_eq(sl_query_stop(sl_pipeline_query(p, 0)), 0);
}

/* What only starting can find (here: nobody listens on the socket's
 * port) is reported against the INSERT that failed. */
Test(pl_load, a_failed_start_names_the_insert)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd); /* the port is now free and nobody listens on it */
	char text[512];
	snprintf(text, sizeof(text),
		 "CREATE SOURCE a WITH (format = 'socket', host = "
		 "'127.0.0.1', port = '%d');\n"
		 "CREATE SINK m WITH (format = 'memory', queryName = 'sk');\n"
		 "INSERT INTO m SELECT * FROM a;\n",
		 ntohs(sa.sin_port));
	sl_err e = { 0 };
	load_ok(text);
	cr_assert_lt(sl_pipeline_start(p, &e), 0);
	cr_assert(
		!strncmp(e.msg, "t.sql:3:1: cannot start INSERT INTO m: ", 39),
		"%s", e.msg);
	char port[16];
	snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));
	cr_assert(strstr(e.msg, port), "%s", e.msg);
	cr_assert_null(sl_pipeline_query(p, 0));
}

Test(pl_load, select_star_is_no_projection)
{
	load_ok("CREATE SOURCE a WITH (format = 'rate');\n"
		"CREATE SINK o WITH (format = 'noop');\n"
		"INSERT INTO o SELECT * FROM a;");
	char buf[2048];
	sl_pipeline_describe(p, buf, sizeof(buf));
	cr_assert(strstr(buf,
			 "  read     a (rate)\n"
			 "  schema   timestamp: timestamp, value: bigint\n"),
		  "%s", buf);
	cr_assert_null(strstr(buf, "select"), "%s", buf);
}

Test(pl_load, two_queries_read_one_view_each_on_its_own)
{
	load_ok("CREATE SOURCE a WITH (format = 'rate-micro-batch',\n"
		"  rowsPerBatch = 6, numPartitions = 2);\n"
		"CREATE VIEW evens AS SELECT value FROM a WHERE value % 2 = "
		"0;\n"
		"CREATE SINK m1 WITH (format = 'memory', queryName = 't1',\n"
		"  trigger = 'once');\n"
		"CREATE SINK m2 WITH (format = 'memory', queryName = 't2',\n"
		"  trigger = 'once');\n"
		"INSERT INTO m1 SELECT value AS x FROM evens;\n"
		"INSERT INTO m2 SELECT value + 1 AS y FROM evens;\n");
	start_ok();
	cr_assert_eq(sl_pipeline_nqueries(p), 2);
	for (uint32_t i = 0; i < 2; i++)
		cr_assert_eq(sl_query_await(sl_pipeline_query(p, i), 10000), 1);
	/* batch 0 holds values 0..5: each query saw all of its evens */
	sl_rows *r1 = table_with("t1", 3), *r2 = table_with("t2", 3);
	cr_assert_not_null(r1);
	cr_assert_not_null(r2);
	cr_assert_eq(sl_rows_count(r1), 3);
	cr_assert_eq(sl_rows_count(r2), 3);
	int64_t sum1 = 0, sum2 = 0;
	for (uint32_t i = 0; i < 3; i++) {
		sum1 += sl_rows_long(r1, i, 0);
		sum2 += sl_rows_long(r2, i, 0);
	}
	cr_assert_eq(sum1, 0 + 2 + 4);
	cr_assert_eq(sum2, 1 + 3 + 5);
	sl_rows_free(r1);
	sl_rows_free(r2);
}

/* ---- SET: the session's configuration ---------------------------------- */

Test(pl_load, set_configures_the_session_for_what_follows)
{
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.ansi.enabled"),
			 "true", "Spark 4's default");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "UTC");
	load_ok("SET spark.sql.ansi.enabled = false;\n"
		"SET TIME ZONE 'America/Los_Angeles';\n"
		"SET spark.sql.shuffle.partitions=4;\n"
		"SET my.note = 'a ''quoted'' value';\n"
		"CREATE SOURCE a WITH (format = 'rate');\n");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.ansi.enabled"),
			 "false");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "America/Los_Angeles");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.shuffle.partitions"),
			 "4", "a key sluice does not read is kept, as Spark");
	cr_assert_str_eq(sl_session_conf_get(s, "my.note"), "a 'quoted' value");
	/* the bare form takes the text after '=', as Spark does */
	sl_pipeline_free(p);
	load_ok("SET spark.sql.session.timeZone = Europe/Madrid;\n");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "Europe/Madrid");
	cr_assert_null(sl_session_conf_get(s, "never.set"));
	char buf[512];
	sl_pipeline_describe(p, buf, sizeof(buf));
	cr_assert(strstr(buf, "set spark.sql.session.timeZone = Europe/Madrid"),
		  "%s", buf);
}

Test(pl_load, set_refuses_bad_values_where_they_are)
{
	load_fails("SET spark.sql.ansi.enabled = maybe;",
		   "t.sql:1:30: SET spark.sql.ansi.enabled: "
		   "[INVALID_CONF_VALUE.TYPE_MISMATCH] The value 'maybe' in the "
		   "config \"spark.sql.ansi.enabled\" is invalid");
	load_fails_with("\nSET TIME ZONE 'Mars/Olympus';", "t.sql:2:15: SET "
			"spark.sql.session.timeZone: "
			"[INVALID_CONF_VALUE.TIME_ZONE]", "Mars/Olympus");
	load_fails("SET TIME ZONE LOCAL;",
		   "t.sql:1:15: SET TIME ZONE LOCAL is not supported");
	load_fails("SET spark.sql.ansi.enabled;",
		   "t.sql:1:27: SET spark.sql.ansi.enabled without '= value'");
	load_fails("SET;", "t.sql:1:4: SET without a key");
	/* a refused value leaves the setting as it was */
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.ansi.enabled"),
			 "true");
}
