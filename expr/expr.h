/* expr/expr.h - Spark SQL expressions: parse once, bind to a schema, evaluate
 * per row.
 *
 * The stateless operators (engine/stateless.c) compile every WHERE condition and
 * SELECT item with these functions when a frame is made, and evaluate them on
 * each row of each record vector on the partition thread. */
#ifndef SL_EXPR_EXPR_H
#define SL_EXPR_EXPR_H

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

/* How expressions are compiled: Spark's session settings that change
 * their meaning. */
typedef struct sl_expr_options {
	/* spark.sql.ansi.enabled (true by default, as in Spark 4): integer
	 * overflow in + - * and unary minus, division or remainder by zero,
	 * a CAST of a malformed string or of a number out of the target's
	 * range, and an array index out of bounds raise Spark's errors
	 * (ARITHMETIC_OVERFLOW, DIVIDE_BY_ZERO, REMAINDER_BY_ZERO,
	 * CAST_INVALID_INPUT, CAST_OVERFLOW, INVALID_ARRAY_INDEX) at
	 * evaluation; false gives Spark's legacy nulls and wraparound.
	 * try_cast, try_add, try_subtract, try_multiply, try_divide and
	 * try_mod give null in both modes. */
	bool ansi;
	/* spark.sql.mapKeyDedupPolicy LAST_WIN (false: EXCEPTION, Spark's
	 * default): a key repeated while a map is built keeps its first
	 * place and takes the last value, instead of DUPLICATED_MAP_KEY. */
	bool map_last_win;
} sl_expr_options;

/* Spark 4's defaults: ansi on. */
extern const sl_expr_options sl_expr_defaults;

/* sl_expr_bind with explicit options (NULL: sl_expr_defaults).
 * sl_expr_bind is this with the defaults. */
int sl_expr_bind_with(sl_expr *e, const sl_schema *in,
		      const sl_expr_options *opts, sl_arena *a, sl_err *err);

/* After bind: the result type, and the output column name: the alias if one
 * was given, else Spark 3's name for the expression (a column's own name for
 * a column reference, the last part for a struct field `a.b`, "(value * 10)"
 * for arithmetic, "upper(value)" for a function call, "col" for explode's
 * element, and the column's name for CAST(column AS type), as Spark's
 * ResolveAliases does; "CAST((value + 1) AS STRING)" otherwise). */
const sl_dtype *sl_expr_type(const sl_expr *e);
const char *sl_expr_name(const sl_expr *e);

/* true if the expression is a generator (explode(...), posexplode,
 * inline and their _outer forms, at its root): it yields zero or more
 * rows per input row. Only allowed at the top of a SELECT item. */
bool sl_expr_is_generator(const sl_expr *e);
/* true if the expression contains an aggregate function call (count, sum,
 * ...): such queries belong to the stateful path; the stateless select
 * refuses them with a clear message. */
bool sl_expr_has_aggregate(const sl_expr *e);
/* true if e is the star `*` (select all columns) */
bool sl_expr_is_star(const sl_expr *e);

/* ---- aggregation support (engine/stateful.c, GROUP BY) ------------------ */

/* The parts of a function call node, before or after bind. */
typedef struct sl_expr_call {
	const char *name;      /* lowercased function name */
	uint32_t nargs;
	sl_expr *const *args;  /* owned by the tree */
	bool distinct;         /* f(DISTINCT ...) */
	bool aggregate;        /* count, sum, ...: an aggregate function */
	bool window;           /* window() or session_window() */
} sl_expr_call;

/* Fills *out and returns true if e is a function call. */
bool sl_expr_call_get(const sl_expr *e, sl_expr_call *out);

/* Replaces, in place, every outermost aggregate call of the unbound
 * expression e (e itself included) by a reference to a column: fn(ud,
 * call, &name) is called for each (in text order) and names the column
 * (name must live as long as a); the node becomes that column reference
 * (allocated in a) and keeps its alias. The call's
 * argument subtrees stay valid (they belong to the arena of e) and are
 * no longer part of e. Returns 0, or the first negative value fn
 * returns. */
int sl_expr_replace_aggregates(sl_expr *e, sl_arena *a,
			       int (*fn)(void *ud, const sl_expr *call,
					 const char **name),
			       void *ud);

/* The input column a bound expression reads if it is a plain column
 * reference (no field access, no cast), else -1. */
int32_t sl_expr_column(const sl_expr *e);
/* Marks in used[0..n) the input columns the bound expression e reads
 * (anywhere in it). */
void sl_expr_columns(const sl_expr *e, bool *used, uint32_t n);

/* A predicate a source can test against statistics: a row is wanted only
 * if `column op lit` holds (IS_NULL, NOT_NULL: lit unused). */
enum {
	SL_PRED_EQ,
	SL_PRED_LT,
	SL_PRED_LE,
	SL_PRED_GT,
	SL_PRED_GE,
	SL_PRED_IS_NULL,
	SL_PRED_NOT_NULL,
};
typedef struct sl_expr_pred {
	int32_t col; /* input column */
	int op;      /* SL_PRED_* */
	sl_value lit; /* of the column's type; strings in the arena given */
} sl_expr_pred;

/* Whether the bound e is such a predicate: `col OP constant` or
 * `constant OP col` (= < <= > >=, the column bare, the constant of the
 * column's type, a literal or bind's implicit cast of one) or `col IS
 * [NOT] NULL`; fills *out. */
bool sl_expr_pred_of(const sl_expr *e, sl_arena *a, sl_expr_pred *out);

/* The operands of e's top-level ANDs (e itself when it is no AND), at
 * most max, into out; returns how many. Every row e keeps satisfies each
 * (some may be left out: the list is a necessary condition only). */
uint32_t sl_expr_conjuncts(const sl_expr *e, const sl_expr **out,
			   uint32_t max);

/* true and the value if e is a literal (before or after bind). The value
 * points into the tree. */
bool sl_expr_literal(const sl_expr *e, sl_value *out);
/* Spark's SQL text of a bound expression ("(value * 2)", "upper(word)"),
 * without its alias. */
const char *sl_expr_sql(const sl_expr *e);
/* The alias given with AS, or NULL. */
const char *sl_expr_alias(const sl_expr *e);

/* Evaluates a bound expression on one row (values in `in`'s order, each of
 * its column's declared type or null). Variable data of the result is
 * allocated in arena out_arena (or points into the input row's data or the
 * plan's literals, which must then live as long as the result); nothing is
 * malloc'd per row except inside from_json (jansson) and for regex patterns
 * that are not literals. Returns 0, or < 0 (SL_EINVAL) with err set on a
 * runtime error that Spark would raise: with ANSI on (sl_expr_options) the
 * message starts as Spark's does, "[DIVIDE_BY_ZERO] Division by zero. ...";
 * with ANSI off most of them give null instead. Thread-safe: a bound expression is
 * read-only during evaluation. */
int sl_expr_eval(const sl_expr *e, const sl_value *row, sl_arena *out_arena,
		 sl_value *out, sl_err *err);

/* Generators: evaluates the generator and returns what it yields, one
 * element a row, as `out` (an SL_ARRAY value; null or empty gives zero
 * rows). */
int sl_expr_eval_generator(const sl_expr *e, const sl_value *row,
			   sl_arena *out_arena, sl_value *out, sl_err *err);
/* The columns a generator's row has when it yields several (posexplode:
 * pos and col; inline: its structs' fields), or NULL when it yields one
 * (explode of an array). Each element sl_expr_eval_generator gives is
 * then a struct of these fields, or a null: a row of nulls. A generator
 * says so by op 1 and a STRUCT type (expr/fn_gen.c). */
const sl_schema *sl_expr_generator_fields(const sl_expr *e);
/* The number of columns a generator's rows have: 1, or the fields'. */
uint32_t sl_expr_generator_width(const sl_expr *e);

/* The index of the source partition the calling thread evaluates rows
 * of (0 unless set): rand(seed) and randn(seed) seed their generator
 * with seed + it, as Spark does (expr/fn_rand.c). The engine's partition
 * threads set it when they start. */
void sl_expr_thread_partition(int32_t index);

/* The wider of two map types (keys and values widened as
 * sl_wider_type does, strings winning when string_wins), made in arena
 * a; NULL unless both are maps and they have one. What a union of map
 * columns of different types is. */
const sl_dtype *sl_map_wider_type(const sl_dtype *x, const sl_dtype *y,
				  bool string_wins, sl_arena *a);

/* SQL truth of a WHERE condition: true only if the value is non-null true. */
static inline bool sl_value_truthy(const sl_value *v)
{
	return v->type == SL_BOOL && v->v.b;
}

/* ---- vectorised evaluation (expr/vec.c) -------------------------- */

/* A record vector's rows as the vectorised evaluator reads them: row r is
 * rows[r * ncols ...]; the rows looked at are sel[0..n) (row numbers,
 * increasing), or 0..n-1 when sel is NULL. */
typedef struct sl_vec_in {
	const sl_value *rows;
	uint32_t ncols;
	const uint32_t *sel;
	uint32_t n;
} sl_vec_in;

/* true if the bound expression e can be evaluated a column at a time by
 * the two functions below: column references, number/boolean literals,
 * + - * / %, unary minus, comparisons (<=> too), AND/OR/NOT, IS [NOT]
 * NULL and CASTs between int, bigint, double and boolean, on int, bigint,
 * double, boolean, date and timestamp operands, in both ANSI modes. They
 * allocate nothing; with ANSI on they can fail (overflow, a zero
 * divisor), which the two functions below report as the per-row
 * evaluator does. Cheap (a walk of the tree). */
bool sl_expr_vec_ok(const sl_expr *e);

/* WHERE over the rows of in: writes the row numbers whose condition is
 * non-null true to keep[] (in order; keep may be in->sel) and returns how
 * many, or < 0 with err set when a row's evaluation fails (ANSI's errors;
 * a (allocating nothing in practice) as for sl_expr_eval). The same rows
 * and the same errors as sl_value_truthy(sl_expr_eval(...)) per row. */
int64_t sl_expr_vec_filter(const sl_expr *e, const sl_vec_in *in,
			   uint32_t *keep, sl_arena *a, sl_err *err);

/* Evaluates e on the rows of in; the value of the i-th row goes to
 * out[i * stride], the same value sl_expr_eval gives for that row.
 * Returns 0, or < 0 with err set as sl_expr_eval fails for a row. */
int sl_expr_vec_project(const sl_expr *e, const sl_vec_in *in, sl_value *out,
			size_t stride, sl_arena *a, sl_err *err);

/* ---- types and casts (expr/bind.c, expr/cast.c) ------------------------ */
/* Also what the engine's union (engine/union.c) reconciles its inputs'
 * schemas with. */

/* Spark's wider common type of a and b (numeric widening, dates into
 * timestamps, and strings winning over other atomic types when
 * string_wins), or NULL if there is none. */
const sl_dtype *sl_wider_type(const sl_dtype *a, const sl_dtype *b,
			      bool string_wins);

/* Casts non-null in (whose dtype is `from`) to `to`. A value Spark cannot
 * convert (ANSI off) gives null. */
void sl_cast_value(const sl_value *in, const sl_dtype *from, const sl_dtype *to,
		   sl_arena *a, sl_value *out);

#endif
