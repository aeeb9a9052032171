/* expr/fn.h - what the function-library files (expr/fn_*.c) share: the
 * evaluator signature, argument evaluation with Spark's null rule, the
 * argument coercions Spark's functions apply, and the limit on what a
 * function may build. Each expr/fn_*.c defines one group of the function
 * table (expr/internal.h's sl_func_group) and its evaluators. */
#ifndef SL_EXPR_FN_H
#define SL_EXPR_FN_H

#include "expr/internal.h"

#define FN_EV_ARGS                                                             \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

/* The most bytes (or elements) one function call may produce: repeat,
 * lpad, array_repeat, sequence and the like fail with a clear error past
 * it instead of exhausting memory. */
#define SL_FN_MAX_OUT ((size_t)1 << 28)

static inline int sl_fn_arg(const sl_expr *e, uint32_t i, const sl_value *row,
			    sl_arena *a, sl_value *v, sl_err *err)
{
	return sl_eval_child(e->args[i], row, a, v, err);
}

/* Evaluates argument i into the new variable x; a null returns null from
 * the calling evaluator (Spark's null-intolerant functions). */
#define FN_ARG_OR_NULL(i, x)                                                   \
	sl_value x;                                                            \
	do {                                                                   \
		int rc_ = sl_fn_arg(e, (i), row, a, &x, err);                  \
		if (rc_)                                                       \
			return rc_;                                            \
		if (x.type == SL_NULL) {                                       \
			*out = sl_v_null();                                    \
			return 0;                                              \
		}                                                              \
	} while (0)

/* expr/fn_util.c */

/* Argument i to a string: strings as they are, atomic values cast as
 * Spark casts them implicitly; arrays and structs refused. */
int sl_fn_string_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err);
/* Argument i to a string unless it is binary (functions that take both). */
int sl_fn_string_or_binary_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
			       sl_err *err);
/* Argument i to an integral type t (INT or BIGINT): integers widen,
 * strings and nulls cast; doubles and others refused, as Spark's
 * IntegerType arguments refuse them. */
int sl_fn_int_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, const sl_dtype *t,
		  sl_err *err);
/* Argument i to DOUBLE: numbers, strings and nulls. */
int sl_fn_double_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err);
/* Argument i to a boolean (null literals cast). */
int sl_fn_bool_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err);
/* The arguments present, coerced by the letters of kinds, one per
 * argument: s string, S string or binary, i INT, l BIGINT, d DOUBLE,
 * b BOOLEAN, '.' as it is (arguments past the letters stay too). */
int sl_fn_args(sl_bind_ctx *cx, sl_expr *e, const char *kinds, sl_err *err);
/* The operator node (EX_ARITH, EX_CMP, ...; op) over e's first two
 * arguments, bound as `a op b` would be (expr/bind.c's coercions and
 * evaluator); NULL and err on a mismatch. */
sl_expr *sl_fn_hidden_op(sl_bind_ctx *cx, sl_expr *e, int kind, int op,
			 sl_err *err);
/* Arguments from..nargs-1 to their common type (*t); a mismatch is
 * DATATYPE_MISMATCH naming the function. */
int sl_fn_common_args(sl_bind_ctx *cx, sl_expr *e, uint32_t from,
		      const sl_dtype **t, sl_err *err);
/* The DATATYPE_MISMATCH of argument i not being of the type wanted
 * (Spark's words: "requires the \"STRING\" type"). */
int sl_fn_arg_type_error(sl_expr *e, uint32_t i, const char *want,
			 sl_err *err);
/* "f(a, b)" -> "f(a, b<extra>)": Spark names a call with its default
 * arguments spelled out. */
const char *sl_fn_append_sql(sl_bind_ctx *cx, const char *sql,
			     const char *extra);
/* Renames the call in e's SQL text (and its spelled text): the part
 * before the first '(' becomes head, or (head NULL) is upper-cased, and
 * the rest is kept; tail, when given, goes before the closing ')'. */
void sl_fn_rename(sl_bind_ctx *cx, sl_expr *e, const char *head,
		  const char *tail);
/* The error of a result past SL_FN_MAX_OUT. */
int sl_fn_too_big(sl_err *err, const sl_expr *e);
/* An array type of elem in the plan arena. */
const sl_dtype *sl_fn_array_of(sl_bind_ctx *cx, const sl_dtype *elem);
/* Byte offset of character ci of s[0..n) (clamped to n). */
size_t sl_fn_char_off(const char *s, size_t n, int64_t ci);
/* Decodes the UTF-8 character at s[*i] (advancing *i); invalid bytes
 * read as themselves, one at a time. */
uint32_t sl_fn_utf8_next(const char *s, size_t n, size_t *i);

/* expr/fn_text.c: the binds of the string group's entries it holds */
int sl_fn_bind_levenshtein(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_soundex(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_len(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_elt(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_find_in_set(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_mask(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_luhn_check(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* A hash of values as Spark's hash() and xxhash64() compute them: the
 * walk over a value's type (booleans and 32-bit types as an int, 64-bit
 * types and doubles as a long, -0.0 as 0.0 and NaN canonical, decimals as
 * their unscaled long or minimal big-endian bytes, strings and binary as
 * bytes, arrays and structs element by element) is one (expr/func.c);
 * the hash function behind it is the caller's. */
typedef struct sl_hash_fns {
	uint64_t (*i32)(uint32_t v, uint64_t seed);
	uint64_t (*i64)(uint64_t v, uint64_t seed);
	uint64_t (*bytes)(const uint8_t *b, uint32_t n, uint64_t seed);
} sl_hash_fns;
uint64_t sl_hash_value(const sl_value *v, uint64_t seed,
		       const sl_hash_fns *h);

/* x rounded to d decimals on its shortest decimal form, as Spark's
 * BigDecimal(x.toString).setScale(d, mode): HALF_UP for round, HALF_EVEN
 * for bround (expr/fn_math.c); so round(2.675, 2) is 2.68, not 2.67 as
 * C's binary value would give. */
double sl_round_double(double x, int d, bool half_even);

/* The shifts of an INT or BIGINT by an INT, the shift taken mod the
 * width (kind 0 left, 1 right, 2 unsigned right): shiftleft and the
 * operator << (expr/fn_math.c). */
int sl_fn_bind_shift(sl_bind_ctx *cx, sl_expr *e, int kind, sl_err *err);

/* expr/fn_gen.c: a generator's columns renamed by `AS (a, b, ...)`
 * (e->parts; their number must be its columns'), once it is bound. */
int sl_fn_generator_names(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* expr/fn_csv.c: to_csv, from_csv */
int sl_fn_bind_to_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_from_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_schema_of_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* expr/fn_number.c: to_number, try_to_number */
int sl_fn_bind_to_number(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* expr/fn_rand.c: rand, randn, random; uuid */
int sl_fn_bind_rand(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_fn_bind_uuid(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* The groups (expr/func.c's groups[] lists them). */
extern const sl_func sl_funcs_string[], sl_funcs_cond[], sl_funcs_math[],
	sl_funcs_hash[], sl_funcs_encode[], sl_funcs_date[],
	sl_funcs_collection[], sl_funcs_regexp[], sl_funcs_json[],
	sl_funcs_format[], sl_funcs_epoch[], sl_funcs_ops[], sl_funcs_interval[], sl_funcs_zone[],
	sl_funcs_like[];
extern const size_t sl_funcs_string_n, sl_funcs_cond_n, sl_funcs_math_n,
	sl_funcs_hash_n, sl_funcs_encode_n, sl_funcs_date_n, sl_funcs_interval_n, sl_funcs_zone_n,
	sl_funcs_collection_n, sl_funcs_regexp_n, sl_funcs_json_n,
	sl_funcs_format_n, sl_funcs_epoch_n, sl_funcs_ops_n,
	sl_funcs_like_n;

/* expr/fn_doc.c: the signature, description and example of a function
 * whose table entry has none (the general group's), so that the listing
 * covers every function. */
typedef struct sl_func_doc {
	const char *sig, *desc, *example;
} sl_func_doc;
sl_func_doc sl_func_doc_of(const sl_func *f);
/* The reference of every function by group (name NULL), as text or
 * Markdown (docs/FUNCTIONS.md), or of the function name with its example
 * evaluated. malloc'd (the caller frees it); NULL and err (SL_ENOTFOUND)
 * for an unknown name. */
char *sl_func_reference(const char *name, bool markdown, sl_err *err);

#endif
