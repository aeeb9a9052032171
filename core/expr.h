/* core/expr.h - Spark SQL expressions: parse once, bind to a schema, evaluate
 * per row.
 *
 * The stateless operators (ops/stateless.c) compile every WHERE condition and
 * SELECT item with these functions when a frame is made, and evaluate them on
 * each row of each record vector on the partition thread. */
#ifndef SL_CORE_EXPR_H
#define SL_CORE_EXPR_H

#include "core/value.h"

typedef struct sl_expr sl_expr;

/* Parses one expression, optionally followed by an alias (`expr AS name`,
 * `expr name`, expr AS `my name`; `expr AS (a, b)` is not supported)
 * when allow_alias is true. The tree is allocated in arena a (plan
 * lifetime). On a syntax error returns NULL, err->code is SL_ESYNTAX,
 * err->pos the 1-based character (not byte) position, and err->msg says
 * what and where: "syntax error at position 12 near 'FROM': expected ','
 * or ')'" ("near end of input" when the text ended too soon). */
sl_expr *sl_expr_parse(const char *text, bool allow_alias, sl_arena *a,
		       sl_err *err);

/* Resolves column references against `in` (case-insensitive; a qualified
 * name `t.col` matches col, and `window.start` a struct field), checks
 * function names and argument counts and types, and infers the result type.
 * Spark's implicit casts apply (int + long -> long, int + double -> double,
 * string compared with a number is cast to the number's type). On error
 * returns SL_EANALYSIS and err names the expression and the problem:
 * "cannot resolve 'sgnal' given input columns: [timestamp, value]",
 * "undefined function: 'foo'", "invalid number of arguments for function
 * upper: expected 1, found 2"; err->pos is where the offending part
 * starts. Aggregates (count, sum, ...) and window()/session_window() are
 * refused here too: they need GROUP BY. Binding an already bound
 * expression again does nothing. */
int sl_expr_bind(sl_expr *e, const sl_schema *in, sl_arena *a, sl_err *err);

/* After bind: the result type, and the output column name: the alias if one
 * was given, else Spark 3's name for the expression (a column's own name for
 * a column reference, the last part for a struct field `a.b`, "(value * 10)"
 * for arithmetic, "upper(value)" for a function call, "col" for explode's
 * element, and the column's name for CAST(column AS type), as Spark's
 * ResolveAliases does; "CAST((value + 1) AS STRING)" otherwise). */
const sl_dtype *sl_expr_type(const sl_expr *e);
const char *sl_expr_name(const sl_expr *e);

/* true if the expression is a generator (explode(...) at its root): it
 * yields zero or more rows per input row. Only allowed at the top of a
 * SELECT item. */
bool sl_expr_is_generator(const sl_expr *e);
/* true if the expression contains an aggregate function call (count, sum,
 * ...): such queries belong to the stateful path; the stateless select
 * refuses them with a clear message. */
bool sl_expr_has_aggregate(const sl_expr *e);
/* true if e is the star `*` (select all columns) */
bool sl_expr_is_star(const sl_expr *e);

/* Evaluates a bound expression on one row (values in `in`'s order, each of
 * its column's declared type or null). Variable data of the result is
 * allocated in arena out_arena (or points into the input row's data or the
 * plan's literals, which must then live as long as the result); nothing is
 * malloc'd per row except inside from_json (jansson) and for regex patterns
 * that are not literals. Returns 0, or < 0 with err set on a runtime error
 * that Spark would raise (ANSI mode off: most errors give null instead,
 * e.g. division by zero, a failed CAST). Thread-safe: a bound expression is
 * read-only during evaluation. */
int sl_expr_eval(const sl_expr *e, const sl_value *row, sl_arena *out_arena,
		 sl_value *out, sl_err *err);

/* Generators: evaluates explode's argument and returns its array (or map
 * entries) as `out` (an SL_ARRAY value; null or empty gives zero rows). */
int sl_expr_eval_generator(const sl_expr *e, const sl_value *row,
			   sl_arena *out_arena, sl_value *out, sl_err *err);

/* SQL truth of a WHERE condition: true only if the value is non-null true. */
static inline bool sl_value_truthy(const sl_value *v)
{
	return v->type == SL_BOOL && v->v.b;
}

#endif
