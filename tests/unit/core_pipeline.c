/* tests/unit/core_pipeline.c - pipeline files: the statement parser on its
 * own (statements, options, comments, SELECT lists, refusals, every error
 * with its FILE:LINE:COL), then loading into a session (names, formats,
 * options and expressions checked by the engine, located in the file), the
 * plan `sluice validate` prints, and one pipeline run into a memory table. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/pipeline.h"
#include "sluice.h"

/* ---- helpers ---------------------------------------------------------- */

static sl_pl_file *parse_ok(const char *text)
{
	sl_err e = { 0 };
	sl_pl_file *f = NULL;
	int rc = sl_pl_parse(text, strlen(text), "t.sql", &f, &e);
	cr_assert_eq(rc, 0, "parse failed: %s", e.msg);
	return f;
}

/* The message must start with want (a "t.sql:L:C: ..." prefix). */
static void parse_fails(const char *text, const char *want)
{
	sl_err e = { 0 };
	sl_pl_file *f = NULL;
	int rc = sl_pl_parse(text, strlen(text), "t.sql", &f, &e);
	cr_assert_lt(rc, 0, "parsed, expected: %s", want);
	cr_assert_null(f);
	cr_assert(!strncmp(e.msg, want, strlen(want)), "got:  %s\nwant: %s...",
		  e.msg, want);
}

static const char *opt(const sl_pl_stmt *st, const char *key)
{
	for (uint32_t k = 0; k < st->nopts; k++)
		if (!strcmp(st->opts[k].key.s, key))
			return st->opts[k].value.s;
	return NULL;
}

/* ---- statements ------------------------------------------------------- */

Test(pl_parse, every_statement_form)
{
	sl_pl_file *f = parse_ok(
		"CREATE SOURCE rates WITH (format = 'rate', "
		"rowsPerSecond = '1000', numPartitions = 2);\n"
		"CREATE VIEW evens AS SELECT value, timestamp FROM rates "
		"WHERE value % 2 = 0;\n"
		"CREATE SINK out WITH (format = 'console', outputMode = "
		"'append',\n    trigger = 'continuous 1 second', queryName = "
		"'q1', numRows = '20');\n"
		"INSERT INTO out SELECT value * 10 AS v FROM evens;\n");
	cr_assert_eq(f->nstmts, 4);

	const sl_pl_stmt *s = &f->stmts[0];
	cr_assert_eq(s->kind, SL_PL_SOURCE);
	cr_assert_str_eq(s->name.s, "rates");
	cr_assert_eq(s->nopts, 3);
	cr_assert_str_eq(opt(s, "format"), "rate");
	cr_assert_str_eq(opt(s, "rowsPerSecond"), "1000");
	cr_assert_str_eq(opt(s, "numPartitions"), "2");
	cr_assert_eq(s->off, 0);
	cr_assert_eq(s->name.off, 14);

	s = &f->stmts[1];
	cr_assert_eq(s->kind, SL_PL_VIEW);
	cr_assert_str_eq(s->name.s, "evens");
	cr_assert_eq(s->sel.nitems, 2);
	cr_assert_str_eq(s->sel.items[0].s, "value");
	cr_assert_str_eq(s->sel.items[1].s, "timestamp");
	cr_assert_not(s->sel.star);
	cr_assert_str_eq(s->sel.from.s, "rates");
	cr_assert_str_eq(s->sel.where.s, "value % 2 = 0");

	s = &f->stmts[2];
	cr_assert_eq(s->kind, SL_PL_SINK);
	cr_assert_str_eq(s->name.s, "out");
	cr_assert_eq(s->nopts, 5);
	cr_assert_str_eq(opt(s, "trigger"), "continuous 1 second");
	cr_assert_str_eq(opt(s, "queryName"), "q1");

	s = &f->stmts[3];
	cr_assert_eq(s->kind, SL_PL_INSERT);
	cr_assert_str_eq(s->name.s, "out");
	cr_assert_eq(s->sel.nitems, 1);
	cr_assert_str_eq(s->sel.items[0].s, "value * 10 AS v");
	cr_assert_str_eq(s->sel.from.s, "evens");
	cr_assert_null(s->sel.where.s);
	sl_pl_free(f);
}

Test(pl_parse, select_star_and_last_statement_without_semicolon)
{
	sl_pl_file *f = parse_ok("insert into o select * from s");
	cr_assert_eq(f->nstmts, 1);
	cr_assert(f->stmts[0].sel.star);
	cr_assert_str_eq(f->stmts[0].sel.items[0].s, "*");
	sl_pl_free(f);

	/* a star with more columns is a projection the engine expands */
	f = parse_ok("INSERT INTO o SELECT *, value + 1 AS w FROM s;");
	cr_assert_not(f->stmts[0].sel.star);
	cr_assert_eq(f->stmts[0].sel.nitems, 2);
	sl_pl_free(f);
}

Test(pl_parse, keywords_are_case_insensitive)
{
	sl_pl_file *f = parse_ok(
		"create Source a with (FORMAT = 'rate');\n"
		"CrEaTe ViEw b As SeLeCt value FrOm a WhErE value > 1;\n"
		"create sink c with (format='console');\n"
		"Insert Into c select * FROM b");
	cr_assert_eq(f->nstmts, 4);
	cr_assert_eq(f->stmts[1].kind, SL_PL_VIEW);
	cr_assert_str_eq(f->stmts[1].sel.where.s, "value > 1");
	cr_assert_str_eq(f->stmts[0].opts[0].key.s, "FORMAT");
	sl_pl_free(f);
}

Test(pl_parse, option_keys_and_values)
{
	sl_pl_file *f =
		parse_ok("CREATE SOURCE k WITH (\n"
			 "  format = kafka,\n"
			 "  kafka.bootstrap.servers = 'localhost:9092',\n"
			 "  'kafka.group.id' = 'g 1',\n"
			 "  `weird key` = \"dq\",\n"
			 "  startingOffsets = earliest,\n"
			 "  failOnDataLoss = false,\n"
			 "  maxOffsetsPerTrigger = 1000,\n"
			 "  ratio = -1.5,\n"
			 "  hosts = host1:9092,\n"
			 "  quote = 'it''s \\'here\\' \\\\ \\d',\n"
			 ");");
	const sl_pl_stmt *s = &f->stmts[0];
	cr_assert_eq(s->nopts, 10);
	cr_assert_str_eq(opt(s, "format"), "kafka");
	cr_assert_str_eq(opt(s, "kafka.bootstrap.servers"), "localhost:9092");
	cr_assert_str_eq(opt(s, "kafka.group.id"), "g 1");
	cr_assert_str_eq(opt(s, "weird key"), "dq");
	cr_assert_str_eq(opt(s, "startingOffsets"), "earliest");
	cr_assert_str_eq(opt(s, "failOnDataLoss"), "false");
	cr_assert_str_eq(opt(s, "maxOffsetsPerTrigger"), "1000");
	cr_assert_str_eq(opt(s, "ratio"), "-1.5");
	cr_assert_str_eq(opt(s, "hosts"), "host1:9092");
	/* '' and \' are quotes, \\ a backslash, other escapes stay */
	cr_assert_str_eq(opt(s, "quote"), "it's 'here' \\ \\d");
	sl_pl_free(f);
}

Test(pl_parse, comments)
{
	sl_pl_file *f = parse_ok(
		"-- a pipeline\n"
		"/* block /* nested */ still comment */\n"
		"CREATE SOURCE s WITH (format = 'rate' -- the format\n"
		"  , rowsPerSecond = 5 /* five */);\n"
		"INSERT INTO o SELECT value /* v */ * 2 AS w, -- first\n"
		"  value FROM s WHERE value > 1 -- end\n"
		";");
	cr_assert_eq(f->nstmts, 2);
	cr_assert_eq(f->stmts[0].nopts, 2);
	cr_assert_str_eq(opt(&f->stmts[0], "rowsPerSecond"), "5");
	/* a comment in an expression is spaces: positions stay those of
	 * the file */
	cr_assert_str_eq(f->stmts[1].sel.items[0].s, "value         * 2 AS w");
	cr_assert_str_eq(f->stmts[1].sel.items[1].s, "value");
	cr_assert_str_eq(f->stmts[1].sel.where.s, "value > 1");
	/* quotes protect comment markers and semicolons */
	sl_pl_free(f);
	f = parse_ok("INSERT INTO o SELECT '--;/*' AS a, `x;y` FROM s;;;");
	cr_assert_eq(f->nstmts, 1);
	cr_assert_str_eq(f->stmts[0].sel.items[0].s, "'--;/*' AS a");
	cr_assert_str_eq(f->stmts[0].sel.items[1].s, "`x;y`");
	sl_pl_free(f);
}

Test(pl_parse, select_list_splits_at_top_level_commas)
{
	sl_pl_file *f = parse_ok(
		"INSERT INTO o SELECT concat(a, ',', b) AS c, "
		"CAST(value AS STRING), array(1, 2)[0] AS e, 'x,y' AS s, "
		"`p,q`, a IS DISTINCT FROM b AS d, window.start,\n"
		"  explode(split(value, ' ')) AS word\n"
		"FROM src WHERE f(x, y) AND extract(YEAR FROM ts) > 2000");
	const sl_pl_select *sel = &f->stmts[0].sel;
	cr_assert_eq(sel->nitems, 8);
	cr_assert_str_eq(sel->items[0].s, "concat(a, ',', b) AS c");
	cr_assert_str_eq(sel->items[1].s, "CAST(value AS STRING)");
	cr_assert_str_eq(sel->items[2].s, "array(1, 2)[0] AS e");
	cr_assert_str_eq(sel->items[3].s, "'x,y' AS s");
	cr_assert_str_eq(sel->items[4].s, "`p,q`");
	cr_assert_str_eq(sel->items[5].s, "a IS DISTINCT FROM b AS d");
	cr_assert_str_eq(sel->items[6].s, "window.start");
	cr_assert_str_eq(sel->items[7].s, "explode(split(value, ' ')) AS word");
	cr_assert_str_eq(sel->from.s, "src");
	cr_assert_str_eq(sel->where.s,
			 "f(x, y) AND extract(YEAR FROM ts) > 2000");
	sl_pl_free(f);
}

Test(pl_parse, item_offsets_point_into_the_file)
{
	const char *text = "INSERT INTO o SELECT a,\n"
			   "\tb\n"
			   "  + 1 AS c FROM s WHERE\n"
			   "x > 1";
	sl_pl_file *f = parse_ok(text);
	const sl_pl_select *sel = &f->stmts[0].sel;
	/* line breaks and tabs become spaces, one for one */
	cr_assert_str_eq(sel->items[1].s, "b   + 1 AS c");
	cr_assert_eq(sel->items[1].off, (uint32_t)(strchr(text, 'b') - text));
	int l, c;
	sl_pl_linecol(f, sel->items[1].off, &l, &c);
	cr_assert_eq(l, 2);
	cr_assert_eq(c, 2);
	sl_pl_linecol(f, sel->where.off, &l, &c);
	cr_assert_eq(l, 4);
	cr_assert_eq(c, 1);
	sl_pl_free(f);
}

Test(pl_parse, backticked_names)
{
	sl_pl_file *f =
		parse_ok("CREATE SOURCE `my source` WITH (format = 'rate');\n"
			 "CREATE SINK `select` WITH (format = 'console');\n"
			 "INSERT INTO `select` SELECT * FROM `my source`;");
	cr_assert_str_eq(f->stmts[0].name.s, "my source");
	cr_assert_str_eq(f->stmts[1].name.s, "select");
	cr_assert_str_eq(f->stmts[2].name.s, "select");
	cr_assert_str_eq(f->stmts[2].sel.from.s, "my source");
	sl_pl_free(f);
}

/* ---- refusals and syntax errors, with their exact positions ----------- */

Test(pl_parse, group_by_having_watermark)
{
	sl_pl_file *f = parse_ok(
		"INSERT INTO o SELECT window.start, word, count(*) AS n\n"
		"FROM s WATERMARK ts DELAY OF INTERVAL 10 MINUTES\n"
		"WHERE word <> ''\n"
		"group by window(ts, '10 minutes', '5 minutes'), word\n"
		"HAVING count(*) > 1");
	const sl_pl_select *sel = &f->stmts[0].sel;
	cr_assert_eq(sel->nitems, 3);
	cr_assert_str_eq(sel->wm_col.s, "ts");
	cr_assert_str_eq(sel->wm_delay.s, "10 minutes");
	cr_assert_str_eq(sel->where.s, "word <> ''");
	cr_assert(sel->group_by);
	cr_assert_eq(sel->ngroup, 2);
	cr_assert_str_eq(sel->group[0].s,
			 "window(ts, '10 minutes', '5 minutes')");
	cr_assert_str_eq(sel->group[1].s, "word");
	cr_assert_str_eq(sel->having.s, "count(*) > 1");
	int l, c;
	sl_pl_linecol(f, sel->group[1].off, &l, &c);
	cr_assert_eq(l, 4);
	cr_assert_eq(c, 49);
	sl_pl_free(f);
	/* the delay's other spellings */
	f = parse_ok("INSERT INTO o SELECT a FROM s WATERMARK ts DELAY OF "
		     "'1 minute'");
	cr_assert_str_eq(f->stmts[0].sel.wm_delay.s, "1 minute");
	sl_pl_free(f);
	f = parse_ok("INSERT INTO o SELECT a FROM s WATERMARK ts DELAY OF "
		     "INTERVAL '30' SECONDS GROUP BY a");
	cr_assert_str_eq(f->stmts[0].sel.wm_delay.s, "30 seconds");
	cr_assert_eq(f->stmts[0].sel.ngroup, 1);
	sl_pl_free(f);
}

Test(pl_errors, group_by_errors)
{
	parse_fails("INSERT INTO o SELECT value FROM s GROUP BY",
		    "t.sql:1:35: expected expressions after GROUP BY");
	parse_fails("INSERT INTO o SELECT value FROM s GROUP BY a,, b",
		    "t.sql:1:46: empty item in the GROUP BY list before ','");
	parse_fails("INSERT INTO o SELECT value FROM s HAVING",
		    "t.sql:1:35: expected a condition after HAVING");
	parse_fails("INSERT INTO o SELECT value GROUP BY value",
		    "t.sql:1:28: missing FROM: expected FROM <source or view> "
		    "before 'GROUP'");
	parse_fails("INSERT INTO o SELECT a FROM s WATERMARK ts",
		    "t.sql:1:43: expected DELAY OF INTERVAL");
	parse_fails("INSERT INTO o SELECT a FROM s WHERE a > 1 WATERMARK ts "
		    "DELAY OF '1 minute'",
		    "t.sql:1:43: unexpected 'WATERMARK' after FROM s");
	parse_fails("INSERT INTO o SELECT a FROM s HAVING a > 1 GROUP BY a",
		    "t.sql:1:44: unexpected 'GROUP' after FROM s");
}

Test(pl_errors, other_clauses_refused)
{
	parse_fails("INSERT INTO o SELECT a FROM s ORDER BY a",
		    "t.sql:1:31: ORDER BY is not supported yet");
	/* a stream-static JOIN parses (core_join.c runs it); a JOIN without
	 * its condition and the comma form of a join do not */
	parse_fails("INSERT INTO o SELECT a FROM s LEFT OUTER JOIN t",
		    "t.sql:1:48: expected ON or USING after JOIN table");
	parse_fails("INSERT INTO o SELECT a FROM s, t",
		    "t.sql:1:30: this JOIN is not supported: only a "
		    "stream-static join is");
	parse_fails("INSERT INTO o SELECT a FROM s WHERE a > 1 LIMIT 10",
		    "t.sql:1:43: LIMIT is not supported yet");
	parse_fails("INSERT INTO o SELECT a FROM s UNION SELECT b FROM t",
		    "t.sql:1:31: UNION without ALL (a distinct union) is "
		    "not supported");
}

Test(pl_errors, window_refused)
{
	parse_fails("INSERT INTO o\n"
		    "SELECT window(timestamp, '10 seconds') AS w FROM s",
		    "t.sql:2:8: window() and session_window() belong in "
		    "GROUP BY");
	parse_fails("INSERT INTO o SELECT a FROM s WHERE "
		    "Window(ts, '1 minute').start > 0",
		    "t.sql:1:37: window() and session_window() belong in "
		    "GROUP BY");
	parse_fails("INSERT INTO o SELECT a FROM s WINDOW w AS (PARTITION "
		    "BY a)",
		    "t.sql:1:31: a WINDOW clause is not supported");
}

Test(pl_errors, missing_from)
{
	parse_fails("CREATE SINK o WITH (format = 'console');\n"
		    "INSERT INTO o SELECT value * 2;",
		    "t.sql:2:31: missing FROM: expected FROM <source or view> "
		    "before the end of the statement");
	parse_fails("INSERT INTO o SELECT value WHERE value > 2",
		    "t.sql:1:28: missing FROM: expected FROM <source or view> "
		    "before 'WHERE'");
	parse_fails("CREATE VIEW v AS SELECT value", "t.sql:1:30: missing "
						     "FROM");
}

Test(pl_errors, unknown_statements)
{
	parse_fails("CREATE SOURCE s WITH (format = 'rate');\n"
		    "  DROP TABLE s;",
		    "t.sql:2:3: unknown statement starting with 'DROP': "
		    "expected CREATE SOURCE, CREATE VIEW, CREATE SINK or "
		    "INSERT INTO");
	parse_fails("CREATE TABLE s (a INT)",
		    "t.sql:1:16: CREATE TABLE takes WITH (format = 'csv', "
		    "path = '...', schema = '...'): columns go in the schema "
		    "option");
	parse_fails("SELECT * FROM s",
		    "t.sql:1:1: a SELECT on its own has nowhere to go");
	parse_fails("INSERT OVERWRITE o SELECT * FROM s",
		    "t.sql:1:8: INSERT OVERWRITE is not supported");
}

Test(pl_errors, option_syntax)
{
	parse_fails("CREATE SOURCE s WITH (format = 'rate', format = 'x')",
		    "t.sql:1:40: option 'format' is given twice (first at "
		    "line 1)");
	parse_fails("CREATE SOURCE s WITH (format 'rate')",
		    "t.sql:1:30: expected '=' after option 'format', found "
		    "''rate''");
	parse_fails("CREATE SINK o WITH (trigger = continuous 1 second)",
		    "t.sql:1:42: expected ',' or ')' after the value of option "
		    "'trigger', found '1' (quote values with spaces");
	parse_fails("CREATE SOURCE s WITH (format = )",
		    "t.sql:1:32: option 'format' has no value");
	parse_fails("CREATE SOURCE s (format = 'rate')",
		    "t.sql:1:17: expected WITH (option = 'value', ...), found "
		    "'('");
	parse_fails("CREATE SOURCE WITH (format = 'rate')",
		    "t.sql:1:15: expected a source name, found the keyword "
		    "'WITH'");
}

Test(pl_errors, quotes_comments_and_parentheses)
{
	parse_fails("CREATE SOURCE s WITH (format = 'rate);",
		    "t.sql:1:32: unterminated string");
	parse_fails("INSERT INTO o SELECT `a FROM s",
		    "t.sql:1:22: unterminated `identifier`");
	parse_fails("/* one\n /* two */\nINSERT INTO o SELECT a FROM s",
		    "t.sql:1:1: unterminated /* comment");
	parse_fails("INSERT INTO o SELECT f(a, (b) AS c FROM s",
		    "t.sql:1:23: '(' is never closed");
	parse_fails("INSERT INTO o SELECT a) FROM s",
		    "t.sql:1:23: unbalanced ')'");
	parse_fails("INSERT INTO o SELECT a,, b FROM s",
		    "t.sql:1:24: empty item in the SELECT list before ','");
}

Test(pl_errors, missing_semicolon_and_aliases)
{
	parse_fails("CREATE SOURCE s WITH (format = 'rate')\n"
		    "CREATE SINK o WITH (format = 'console');",
		    "t.sql:2:1: unexpected 'CREATE' after the end of the "
		    "statement (missing ';'?)");
	parse_fails("INSERT INTO o SELECT a FROM s x WHERE x.a > 1",
		    "t.sql:1:31: unexpected 'x' after FROM s: expected "
		    "WATERMARK, WHERE, GROUP BY, HAVING or the end of the "
		    "statement");
}

Test(pl_errors, columns_count_characters)
{
	/* 'é' is two bytes but one column; a tab is one column */
	parse_fails("INSERT INTO o SELECT 'é', a FROM s\tORDER BY a",
		    "t.sql:1:36: ORDER BY");
}

/* ---- loading into a session ------------------------------------------ */

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

static void load_fails(const char *text, const char *want)
{
	sl_err e = { 0 };
	sl_pipeline *q = NULL;
	int rc = sl_pipeline_load(s, text, strlen(text), "t.sql", &q, &e);
	cr_assert_lt(rc, 0, "loaded, expected: %s", want);
	cr_assert_null(q);
	cr_assert(!strncmp(e.msg, want, strlen(want)), "got:  %s\nwant: %s...",
		  e.msg, want);
}

static void load_fails_with(const char *text, const char *prefix,
			    const char *part)
{
	sl_err e = { 0 };
	sl_pipeline *q = NULL;
	int rc = sl_pipeline_load(s, text, strlen(text), "t.sql", &q, &e);
	cr_assert_lt(rc, 0, "loaded, expected: %s", prefix);
	cr_assert(!strncmp(e.msg, prefix, strlen(prefix)),
		  "got:  %s\nwant: %s...", e.msg, prefix);
	cr_assert(strstr(e.msg, part), "got: %s\nwant it to contain: %s", e.msg,
		  part);
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
	sl_err e = { 0 };
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
	sl_query *q = sl_pipeline_query(p, 0);
	cr_assert_not_null(q);
	cr_assert_eq(sl_pipeline_start(p, &e), SL_ESTATE);
	sl_rows *r = NULL;
	for (int i = 0; i < 100; i++) {
		sl_rows_free(r);
		r = sl_session_table(s, "tbl");
		if (r && sl_rows_count(r) >= 5)
			break;
		usleep(50 * 1000);
	}
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
	sl_err e = { 0 };
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
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

Test(pl_parse, empty_and_comment_only_files)
{
	sl_pl_file *f = parse_ok("");
	cr_assert_eq(f->nstmts, 0);
	sl_pl_free(f);
	f = parse_ok("-- nothing\n/* at all */ ; ;\n");
	cr_assert_eq(f->nstmts, 0);
	sl_pl_free(f);
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
	sl_err e = { 0 };
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
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
