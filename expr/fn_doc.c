/* expr/fn_doc.c - the function reference: `sluice functions [NAME]` and
 * docs/FUNCTIONS.md, made from the function table (expr/func.c's
 * groups). Each entry's signature, description and example come from its
 * table entry, or, for the general group's entries that carry none, from
 * the table below. Examples are evaluated and printed with their result,
 * so the reference shows what sluice computes and a broken example shows
 * in `make docs-check`. */
#include <stdio.h>
#include <stdlib.h>

#include "expr/fn.h"

static const struct {
	const char *name;
	sl_func_doc doc;
} general_docs[] = {
	{ "abs", { "abs(expr)", "The absolute value of expr.", "abs(-1)" } },
	{ "approx_count_distinct",
	  { "approx_count_distinct(expr[, relativeSD])",
	    "Aggregate: the estimated number of distinct values (HyperLogLog).",
	    NULL } },
	{ "array",
	  { "array(expr, ...)", "An array of the arguments (their common type).",
	    "array(1, 2, 3)" } },
	{ "avg", { "avg(expr)", "Aggregate: the mean of the values.", NULL } },
	{ "char_length",
	  { "char_length(expr)",
	    "The character length of a string, or the bytes of binary data.",
	    "char_length('Spark SQL ')" } },
	{ "character_length",
	  { "character_length(expr)",
	    "The character length of a string, or the bytes of binary data.",
	    "character_length('Spark SQL ')" } },
	{ "coalesce",
	  { "coalesce(expr1, expr2, ...)", "The first non-null argument.",
	    "coalesce(NULL, 1, NULL)" } },
	{ "collect_list",
	  { "collect_list(expr)", "Aggregate: the values in an array.", NULL } },
	{ "collect_set",
	  { "collect_set(expr)",
	    "Aggregate: the distinct values in an array.", NULL } },
	{ "concat",
	  { "concat(col1, col2, ..., colN)",
	    "The arguments joined (strings, or binary when all are); null if "
	    "any is null.",
	    "concat('Spark', 'SQL')" } },
	{ "count",
	  { "count(*) | count(expr, ...)",
	    "Aggregate: the rows, or those whose arguments are all non-null.",
	    NULL } },
	{ "current_date",
	  { "current_date()", "The date the query started at (UTC).",
	    "current_date()" } },
	{ "current_timestamp",
	  { "current_timestamp()", "The time the query started at.",
	    "current_timestamp()" } },
	{ "date_format",
	  { "date_format(timestamp, fmt)",
	    "timestamp as text in Spark's datetime pattern fmt.",
	    "date_format('2016-04-08', 'y')" } },
	{ "element_at",
	  { "element_at(array, index)",
	    "The element at the 1-based index (negative: from the end); out "
	    "of range: an error with ANSI on, else null.",
	    "element_at(array(1, 2, 3), 2)" } },
	{ "explode",
	  { "explode(expr)",
	    "Generator: one row per element of the array (col) or entry of "
	    "the map (key, value).",
	    NULL } },
	{ "first",
	  { "first(expr[, isIgnoreNull])",
	    "Aggregate: the first value of the group.", NULL } },
	{ "from_json",
	  { "from_json(jsonStr, schema)",
	    "jsonStr parsed as a value of the DDL schema.",
	    "from_json('{\"a\":1, \"b\":0.8}', 'a INT, b DOUBLE')" } },
	{ "get",
	  { "get(array, index)",
	    "The element at the 0-based index; null out of range.",
	    "get(array(1, 2, 3), 0)" } },
	{ "hash",
	  { "hash(expr1, expr2, ...)",
	    "The Murmur3 hash of the arguments, seed 42, as Spark computes it.",
	    "hash('Spark', array(123), 2)" } },
	{ "initcap",
	  { "initcap(str)",
	    "str with each word's first letter upper-cased, the rest lower.",
	    "initcap('sPark sql')" } },
	{ "last",
	  { "last(expr[, isIgnoreNull])",
	    "Aggregate: the last value of the group.", NULL } },
	{ "lcase",
	  { "lcase(str)", "str in lower case (Unicode's full mappings).",
	    "lcase('SparkSql')" } },
	{ "length",
	  { "length(expr)",
	    "The character length of a string, or the bytes of binary data.",
	    "length('Spark SQL ')" } },
	{ "lower",
	  { "lower(str)", "str in lower case (Unicode's full mappings).",
	    "lower('SparkSql')" } },
	{ "ltrim",
	  { "ltrim(str)", "str without its leading spaces.",
	    "ltrim('    SparkSQL   ')" } },
	{ "max", { "max(expr)", "Aggregate: the greatest value.", NULL } },
	{ "mean", { "mean(expr)", "Aggregate: the mean of the values.", NULL } },
	{ "min", { "min(expr)", "Aggregate: the least value.", NULL } },
	{ "named_struct",
	  { "named_struct(name1, val1, name2, val2, ...)",
	    "A struct of the named fields.",
	    "named_struct('a', 1, 'b', 2, 'c', 3)" } },
	{ "now",
	  { "now()", "The time the query started at.", "now()" } },
	{ "round",
	  { "round(expr[, d])",
	    "expr rounded to d decimal places (default 0) with HALF_UP "
	    "rounding.",
	    "round(2.5e0, 0)" } },
	{ "rtrim",
	  { "rtrim(str)", "str without its trailing spaces.",
	    "rtrim('    SparkSQL   ')" } },
	{ "session_window",
	  { "session_window(time_column, gap_duration)",
	    "Grouping: the session windows of an event-time column.", NULL } },
	{ "split",
	  { "split(str, regex[, limit])",
	    "str split around the matches of the Java regex.",
	    "split('oneAtwoBthreeC', '[ABC]')" } },
	{ "struct",
	  { "struct(col1, col2, col3, ...)",
	    "A struct of the arguments (named after columns, else col1, "
	    "col2, ...).",
	    "struct(1, 'a')" } },
	{ "substr",
	  { "substr(str, pos[, len])",
	    "len characters of str from the 1-based pos (negative: from the "
	    "end).",
	    "substr('Spark SQL', 5, 1)" } },
	{ "substring",
	  { "substring(str, pos[, len])",
	    "len characters of str from the 1-based pos (negative: from the "
	    "end).",
	    "substring('Spark SQL', 5, 1)" } },
	{ "sum", { "sum(expr)", "Aggregate: the sum of the values.", NULL } },
	{ "to_date",
	  { "to_date(date_str[, fmt])",
	    "date_str read as a date, with Spark's datetime pattern fmt.",
	    "to_date('2016-12-31', 'yyyy-MM-dd')" } },
	{ "to_json",
	  { "to_json(expr)", "A struct or array as JSON text.",
	    "to_json(named_struct('a', 1, 'b', 2))" } },
	{ "to_timestamp",
	  { "to_timestamp(timestamp_str[, fmt])",
	    "timestamp_str read as a timestamp, with Spark's datetime pattern "
	    "fmt.",
	    "to_timestamp('2016-12-31 00:12:00')" } },
	{ "trim",
	  { "trim(str)", "str without its leading and trailing spaces.",
	    "trim('    SparkSQL   ')" } },
	{ "try_add",
	  { "try_add(expr1, expr2)", "expr1 + expr2, null on overflow.",
	    "try_add(2147483647, 1)" } },
	{ "try_divide",
	  { "try_divide(dividend, divisor)",
	    "dividend / divisor, null for a zero divisor.",
	    "try_divide(1, 0)" } },
	{ "try_element_at",
	  { "try_element_at(array, index)",
	    "element_at, null for an index out of range.",
	    "try_element_at(array(1, 2, 3), 5)" } },
	{ "try_mod",
	  { "try_mod(dividend, divisor)",
	    "dividend % divisor, null for a zero divisor.", "try_mod(3, 0)" } },
	{ "try_multiply",
	  { "try_multiply(expr1, expr2)", "expr1 * expr2, null on overflow.",
	    "try_multiply(2147483647, 2)" } },
	{ "try_subtract",
	  { "try_subtract(expr1, expr2)", "expr1 - expr2, null on overflow.",
	    "try_subtract(-2147483648, 1)" } },
	{ "typeof",
	  { "typeof(expr)", "Spark's name of expr's type.", "typeof(1)" } },
	{ "ucase",
	  { "ucase(str)", "str in upper case (Unicode's full mappings).",
	    "ucase('SparkSql')" } },
	{ "upper",
	  { "upper(str)", "str in upper case (Unicode's full mappings).",
	    "upper('SparkSql')" } },
	{ "window",
	  { "window(time_column, window_duration[, slide_duration[, "
	    "start_time]])",
	    "Grouping: the tumbling or sliding windows of an event-time "
	    "column.",
	    NULL } },
};

sl_func_doc sl_func_doc_of(const sl_func *f)
{
	sl_func_doc d = { f->sig, f->desc, f->example };
	if (d.sig)
		return d;
	for (size_t i = 0; i < sizeof(general_docs) / sizeof(general_docs[0]);
	     i++)
		if (!strcmp(general_docs[i].name, f->name))
			return general_docs[i].doc;
	d.sig = f->name;
	d.desc = "";
	return d;
}

/* Whether the example's value changes from run to run */
static bool volatile_example(const char *name)
{
	return !strcmp(name, "current_date") ||
	       !strcmp(name, "current_timestamp") || !strcmp(name, "now");
}

/* The example evaluated: its value as Spark prints it, or the error. */
static void put_result(sl_buf *w, const char *example)
{
	sl_arena a;
	sl_err err = { 0 };
	sl_arena_init(&a);
	sl_schema *in = sl_schema_new(&a, 0);
	sl_expr *e = sl_expr_parse(example, false, &a, &err);
	sl_value v;
	if (!e || sl_expr_bind(e, in, &a, &err) ||
	    sl_expr_eval(e, NULL, &a, &v, &err)) {
		sl_buf_printf(w, "error: %s", err.msg);
	} else {
		sl_value_render_buf(w, &v);
	}
	sl_arena_free(&a);
}

static void put_entry(sl_buf *w, const sl_func *f, bool md, bool full)
{
	sl_func_doc d = sl_func_doc_of(f);
	if (md) {
		sl_buf_printf(w, "- `%s`: %s", d.sig, d.desc);
		if (d.example) {
			sl_buf_printf(w, " `%s` gives `", d.example);
			if (volatile_example(f->name))
				sl_buf_puts(w, "(the query's start)");
			else
				put_result(w, d.example);
			sl_buf_puts(w, "`.");
		}
		sl_buf_putc(w, '\n');
		return;
	}
	sl_buf_printf(w, "  %s\n      %s\n", d.sig, d.desc);
	if (full && d.example) {
		sl_buf_printf(w, "      > SELECT %s;\n      ", d.example);
		if (volatile_example(f->name))
			sl_buf_puts(w, "(the query's start)");
		else
			put_result(w, d.example);
		sl_buf_putc(w, '\n');
	}
}

char *sl_func_reference(const char *name, bool md, sl_err *err)
{
	size_t ng, total = 0;
	const sl_func_group *g = sl_func_groups(&ng);
	sl_buf w = { 0 };
	if (name) {
		const sl_func *f = sl_func_find(name);
		if (!f) {
			sl_err_set(err, SL_ENOTFOUND,
				   "no function '%s' (`sluice functions` "
				   "lists them)",
				   name);
			return NULL;
		}
		for (size_t i = 0; i < ng; i++)
			if (f >= g[i].fns && f < g[i].fns + *g[i].n)
				sl_buf_printf(&w, "%s function\n", g[i].name);
		put_entry(&w, f, false, true);
		return sl_buf_take(&w);
	}
	for (size_t i = 0; i < ng; i++)
		total += *g[i].n;
	if (md)
		sl_buf_printf(
			&w,
			"<!-- docs/FUNCTIONS.md - generated by `sluice "
			"functions --markdown` (make docs); do not edit. -->\n\n"
			"# Functions\n\n"
			"The %zu functions sluice's SQL knows, by group, each "
			"with its signature, what it does and an example with "
			"the value sluice gives for it. `sluice functions` "
			"prints the same list and `sluice functions NAME` one "
			"entry. Aggregates and window() run in grouped "
			"queries (GROUP BY).\n",
			total);
	for (size_t i = 0; i < ng; i++) {
		if (md)
			sl_buf_printf(&w, "\n## %s\n\n", g[i].name);
		else
			sl_buf_printf(&w, "%s%s\n", i ? "\n" : "", g[i].name);
		for (size_t k = 0; k < *g[i].n; k++)
			put_entry(&w, &g[i].fns[k], md, false);
	}
	return sl_buf_take(&w);
}
