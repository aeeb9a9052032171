/* tests/unit/sql_parser.c - sql/lexer.c and sql/parser.c on their own, no
 * session: the statements, options, comments, SELECT lists and clauses a
 * pipeline file holds, the clauses refused by name, and every syntax error
 * with its FILE:LINE:COL. Loading into a session: sql_pipeline.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "sql/internal.h"

/* ---- helpers ---------------------------------------------------------- */

static sl_pipeline_file *parse_ok(const char *text)
{
	sl_err e = { 0 };
	sl_pipeline_file *f = NULL;
	int rc = sl_pipeline_parse(text, strlen(text), "t.sql", &f, &e);
	cr_assert_eq(rc, 0, "parse failed: %s", e.msg);
	return f;
}

/* The message must start with want (a "t.sql:L:C: ..." prefix). */
static void parse_fails(const char *text, const char *want)
{
	sl_err e = { 0 };
	sl_pipeline_file *f = NULL;
	int rc = sl_pipeline_parse(text, strlen(text), "t.sql", &f, &e);
	cr_assert_lt(rc, 0, "parsed, expected: %s", want);
	cr_assert_null(f);
	cr_assert(!strncmp(e.msg, want, strlen(want)), "got:  %s\nwant: %s...",
		  e.msg, want);
}

static const char *opt(const sl_pipeline_stmt *st, const char *key)
{
	for (uint32_t k = 0; k < st->nopts; k++)
		if (!strcmp(st->opts[k].key.s, key))
			return st->opts[k].value.s;
	return NULL;
}

/* sel lists exactly the items want (n of them), in order. */
static void expect_items(const sl_pipeline_select *sel,
			 const char *const *want, uint32_t n)
{
	cr_assert_eq(sel->nitems, n);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_str_eq(sel->items[i].s, want[i], "item %u", i);
}

/* ---- statements ------------------------------------------------------- */

Test(pl_parse, every_statement_form)
{
	sl_pipeline_file *f = parse_ok(
		"CREATE SOURCE rates WITH (format = 'rate', "
		"rowsPerSecond = '1000', numPartitions = 2);\n"
		"CREATE VIEW evens AS SELECT value, timestamp FROM rates "
		"WHERE value % 2 = 0;\n"
		"CREATE SINK out WITH (format = 'console', outputMode = "
		"'append',\n    trigger = 'continuous 1 second', queryName = "
		"'q1', numRows = '20');\n"
		"INSERT INTO out SELECT value * 10 AS v FROM evens;\n");
	cr_assert_eq(f->nstmts, 4);

	const sl_pipeline_stmt *s = &f->stmts[0];
	cr_assert_eq(s->kind, SL_PIPELINE_SOURCE);
	cr_assert_str_eq(s->name.s, "rates");
	cr_assert_eq(s->nopts, 3);
	cr_assert_str_eq(opt(s, "format"), "rate");
	cr_assert_str_eq(opt(s, "rowsPerSecond"), "1000");
	cr_assert_str_eq(opt(s, "numPartitions"), "2");
	cr_assert_eq(s->off, 0);
	cr_assert_eq(s->name.off, 14);

	s = &f->stmts[1];
	cr_assert_eq(s->kind, SL_PIPELINE_VIEW);
	cr_assert_str_eq(s->name.s, "evens");
	expect_items(&s->sel, (const char *const[]){ "value", "timestamp" }, 2);
	cr_assert_not(s->sel.star);
	cr_assert_str_eq(s->sel.from.s, "rates");
	cr_assert_str_eq(s->sel.where.s, "value % 2 = 0");

	s = &f->stmts[2];
	cr_assert_eq(s->kind, SL_PIPELINE_SINK);
	cr_assert_str_eq(s->name.s, "out");
	cr_assert_eq(s->nopts, 5);
	cr_assert_str_eq(opt(s, "trigger"), "continuous 1 second");
	cr_assert_str_eq(opt(s, "queryName"), "q1");

	s = &f->stmts[3];
	cr_assert_eq(s->kind, SL_PIPELINE_INSERT);
	cr_assert_str_eq(s->name.s, "out");
	expect_items(&s->sel, (const char *const[]){ "value * 10 AS v" }, 1);
	cr_assert_str_eq(s->sel.from.s, "evens");
	cr_assert_null(s->sel.where.s);
	sl_pipeline_file_free(f);
}

Test(pl_parse, select_star_and_last_statement_without_semicolon)
{
	sl_pipeline_file *f = parse_ok("insert into o select * from s");
	cr_assert_eq(f->nstmts, 1);
	cr_assert(f->stmts[0].sel.star);
	cr_assert_str_eq(f->stmts[0].sel.items[0].s, "*");
	sl_pipeline_file_free(f);

	/* a star with more columns is a projection the engine expands */
	f = parse_ok("INSERT INTO o SELECT *, value + 1 AS w FROM s;");
	cr_assert_not(f->stmts[0].sel.star);
	cr_assert_eq(f->stmts[0].sel.nitems, 2);
	sl_pipeline_file_free(f);
}

Test(pl_parse, keywords_are_case_insensitive)
{
	sl_pipeline_file *f = parse_ok(
		"create Source a with (FORMAT = 'rate');\n"
		"CrEaTe ViEw b As SeLeCt value FrOm a WhErE value > 1;\n"
		"create sink c with (format='console');\n"
		"Insert Into c select * FROM b");
	cr_assert_eq(f->nstmts, 4);
	cr_assert_eq(f->stmts[1].kind, SL_PIPELINE_VIEW);
	cr_assert_str_eq(f->stmts[1].sel.where.s, "value > 1");
	cr_assert_str_eq(f->stmts[0].opts[0].key.s, "FORMAT");
	sl_pipeline_file_free(f);
}

Test(pl_parse, option_keys_and_values)
{
	sl_pipeline_file *f =
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
	const sl_pipeline_stmt *s = &f->stmts[0];
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
	sl_pipeline_file_free(f);
}

Test(pl_parse, comments)
{
	sl_pipeline_file *f = parse_ok(
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
	sl_pipeline_file_free(f);
	f = parse_ok("INSERT INTO o SELECT '--;/*' AS a, `x;y` FROM s;;;");
	cr_assert_eq(f->nstmts, 1);
	cr_assert_str_eq(f->stmts[0].sel.items[0].s, "'--;/*' AS a");
	cr_assert_str_eq(f->stmts[0].sel.items[1].s, "`x;y`");
	sl_pipeline_file_free(f);
}

Test(pl_parse, select_list_splits_at_top_level_commas)
{
	sl_pipeline_file *f = parse_ok(
		"INSERT INTO o SELECT concat(a, ',', b) AS c, "
		"CAST(value AS STRING), array(1, 2)[0] AS e, 'x,y' AS s, "
		"`p,q`, a IS DISTINCT FROM b AS d, window.start,\n"
		"  explode(split(value, ' ')) AS word\n"
		"FROM src WHERE f(x, y) AND extract(YEAR FROM ts) > 2000");
	const sl_pipeline_select *sel = &f->stmts[0].sel;
	static const char *const items[] = {
		"concat(a, ',', b) AS c",
		"CAST(value AS STRING)",
		"array(1, 2)[0] AS e",
		"'x,y' AS s",
		"`p,q`",
		"a IS DISTINCT FROM b AS d",
		"window.start",
		"explode(split(value, ' ')) AS word",
	};
	expect_items(sel, items, 8);
	cr_assert_str_eq(sel->from.s, "src");
	cr_assert_str_eq(sel->where.s,
			 "f(x, y) AND extract(YEAR FROM ts) > 2000");
	sl_pipeline_file_free(f);
}

Test(pl_parse, item_offsets_point_into_the_file)
{
	const char *text = "INSERT INTO o SELECT a,\n"
			   "\tb\n"
			   "  + 1 AS c FROM s WHERE\n"
			   "x > 1";
	sl_pipeline_file *f = parse_ok(text);
	const sl_pipeline_select *sel = &f->stmts[0].sel;
	/* line breaks and tabs become spaces, one for one */
	cr_assert_str_eq(sel->items[1].s, "b   + 1 AS c");
	cr_assert_eq(sel->items[1].off, (uint32_t)(strchr(text, 'b') - text));
	int l, c;
	sl_pipeline_linecol(f, sel->items[1].off, &l, &c);
	cr_assert_eq(l, 2);
	cr_assert_eq(c, 2);
	sl_pipeline_linecol(f, sel->where.off, &l, &c);
	cr_assert_eq(l, 4);
	cr_assert_eq(c, 1);
	sl_pipeline_file_free(f);
}

Test(pl_parse, backticked_names)
{
	sl_pipeline_file *f =
		parse_ok("CREATE SOURCE `my source` WITH (format = 'rate');\n"
			 "CREATE SINK `select` WITH (format = 'console');\n"
			 "INSERT INTO `select` SELECT * FROM `my source`;");
	cr_assert_str_eq(f->stmts[0].name.s, "my source");
	cr_assert_str_eq(f->stmts[1].name.s, "select");
	cr_assert_str_eq(f->stmts[2].name.s, "select");
	cr_assert_str_eq(f->stmts[2].sel.from.s, "my source");
	sl_pipeline_file_free(f);
}

Test(pl_parse, group_by_having_watermark)
{
	sl_pipeline_file *f = parse_ok(
		"INSERT INTO o SELECT window.start, word, count(*) AS n\n"
		"FROM s WATERMARK ts DELAY OF INTERVAL 10 MINUTES\n"
		"WHERE word <> ''\n"
		"group by window(ts, '10 minutes', '5 minutes'), word\n"
		"HAVING count(*) > 1");
	const sl_pipeline_select *sel = &f->stmts[0].sel;
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
	sl_pipeline_linecol(f, sel->group[1].off, &l, &c);
	cr_assert_eq(l, 4);
	cr_assert_eq(c, 49);
	sl_pipeline_file_free(f);
	/* the delay's other spellings */
	f = parse_ok("INSERT INTO o SELECT a FROM s WATERMARK ts DELAY OF "
		     "'1 minute'");
	cr_assert_str_eq(f->stmts[0].sel.wm_delay.s, "1 minute");
	sl_pipeline_file_free(f);
	f = parse_ok("INSERT INTO o SELECT a FROM s WATERMARK ts DELAY OF "
		     "INTERVAL '30' SECONDS GROUP BY a");
	cr_assert_str_eq(f->stmts[0].sel.wm_delay.s, "30 seconds");
	cr_assert_eq(f->stmts[0].sel.ngroup, 1);
	sl_pipeline_file_free(f);
}

Test(pl_parse, empty_and_comment_only_files)
{
	sl_pipeline_file *f = parse_ok("");
	cr_assert_eq(f->nstmts, 0);
	sl_pipeline_file_free(f);
	f = parse_ok("-- nothing\n/* at all */ ; ;\n");
	cr_assert_eq(f->nstmts, 0);
	sl_pipeline_file_free(f);
}

/* ---- refusals and syntax errors, with their exact positions ----------- */

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
		    "expected CREATE SOURCE, CREATE VIEW, CREATE SINK, "
		    "INSERT INTO or SET");
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
