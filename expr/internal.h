/* expr/internal.h - what the expression files in expr/ share: the tree
 * node, the lexer, binding, the function table, casts, regexes and the
 * vectorised operator codes. The number, calendar and UTF-8 helpers they
 * take from values are core/value_text.h's. Nothing here is public API;
 * include/sluice.h and expr/expr.h are. */
#ifndef SL_EXPR_INTERNAL_H
#define SL_EXPR_INTERNAL_H

#include <locale.h>
#include <stdarg.h>
#include <string.h>

#include "core/buf.h"
#include "core/value_text.h"
#include "expr/expr.h"
#include "sluice.h"

#define sl_likely(x) __builtin_expect(!!(x), 1)
#define sl_unlikely(x) __builtin_expect(!!(x), 0)

/* ---- the tree --------------------------------------------------------- */

typedef enum sl_ex_kind {
	EX_LIT,	  /* lit */
	EX_COL,	  /* parts[nparts] before bind; col after */
	EX_FIELD, /* args[0].ident, struct field access; col = field index */
	EX_INDEX, /* args[0][args[1]] */
	EX_STAR,  /* `*` or `t.*` (parts = qualifier) */
	EX_NEG,	  /* - args[0] */
	EX_NOT,	  /* NOT args[0] */
	EX_ARITH, /* args[0] op args[1]; op: '+', '-', '*', '/', '%' */
	EX_CMP,	  /* args[0] op args[1]; op: sl_cmp_op */
	EX_AND,
	EX_OR,
	EX_ISNULL, /* EXF_NOT: IS NOT NULL */
	EX_IN,	   /* args[0] IN (args[1..]); EXF_NOT */
	EX_LIKE,   /* args[0] LIKE args[1]; op 1: RLIKE; EXF_NOT; col: the
		      LIKE's escape character */
	EX_CASE,   /* args: cond, value, cond, value, ..., [else] */
	EX_CAST,   /* CAST(args[0] AS type); EXF_IMPLICIT when bind made it;
		      op 1: TRY_CAST, null on failure in either mode */
	EX_FUNC,   /* ident(args), fn after bind */
	EX_CHAIN,  /* bind's wrapper of a very long chain: args[0] its top,
		      evaluated by a loop (expr/chain.c) */
	EX_LAMBDA, /* parts[nparts] -> args[0], a function's argument
		      (expr/lambda.c) */
} sl_ex_kind;

typedef enum sl_cmp_op {
	CMP_EQ,
	CMP_NE,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE,
	CMP_NSEQ,
} sl_cmp_op;

enum {
	EXF_NOT = 1,	  /* negated form: NOT IN, NOT LIKE, IS NOT NULL */
	EXF_IMPLICIT = 2, /* a cast bind inserted: invisible in names */
	EXF_DISTINCT = 4, /* f(DISTINCT ...) */
	EXF_HAS_ELSE = 8, /* CASE with an ELSE branch */
	EXF_BOUND = 16,
	EXF_NEG_LIT = 32, /* a literal written with a leading minus */
	EXF_NE_FORM = 64, /* `!=`/`<>`: Spark names it (NOT (a = b)) */
	EXF_ANSI = 128,	  /* bound with ANSI on: casts and [] raise errors */
};

typedef int (*sl_eval_fn)(const sl_expr *e, const sl_value *row, sl_arena *a,
			  sl_value *out, sl_err *err);

struct sl_func;

struct sl_expr {
	sl_eval_fn eval; /* chosen by bind for the operand types */
	uint8_t kind;	 /* sl_ex_kind */
	uint8_t op;
	uint8_t flags; /* EXF_* */
	/* What the vectorised evaluator computes for this node: sl_vop + 1
	 * (0: not known, ask sl_eval_vop_checked), and whether it is ANSI's
	 * checked form; set after bind (sl_expr_cache_vops). */
	uint8_t vop;
	bool vop_checked;
	int32_t col; /* EX_COL: input column; EX_FIELD: field index */
	int pos;       /* 1-based character position of the node */
	uint32_t nargs;
	sl_expr **args;
	const sl_dtype *type;
	sl_value lit;	    /* EX_LIT */
	const char *ident;  /* EX_FUNC: lowercased name; EX_FIELD: field */
	const char **parts; /* EX_COL, EX_STAR: the dotted name */
	uint32_t nparts;
	const char *alias; /* `AS name`, or a struct() argument's name */
	const char *sql;   /* Spark's pretty SQL text, set by bind */
	const char *name;  /* output column name, set by bind */
	/* sql with the column and field names as the query spells them
	 * (`VALUE + 1` over a column value), which Spark names the column
	 * by; sql keeps the schema's names, so equal expressions have equal
	 * sql whatever their case. NULL when it is sql; it holds only while
	 * sql is still spelled_of (code that rewrites sql drops it). */
	const char *spelled;
	const char *spelled_of;
	const struct sl_func *fn;
	const void *aux; /* kind-specific state prepared by bind */
};

/* Evaluates child c of a node. */
static inline int sl_eval_child(const sl_expr *c, const sl_value *row,
				sl_arena *a, sl_value *out, sl_err *err)
{
	return c->eval(c, row, a, out, err);
}

/* A pointer to child c's value without copying when it is a column or a
 * literal: the common operands of comparisons and arithmetic. */
static inline int sl_eval_operand(const sl_expr *c, const sl_value *row,
				  sl_arena *a, sl_value *tmp,
				  const sl_value **res, sl_err *err)
{
	if (c->kind == EX_COL) {
		*res = &row[c->col];
		return 0;
	}
	if (c->kind == EX_LIT) {
		*res = &c->lit;
		return 0;
	}
	*res = tmp;
	return c->eval(c, row, a, tmp, err);
}

/* Inside an evaluator (its arguments named e, row, a, out, err):
 * evaluates both operands into x and y, returning null early. */
#define SL_EVAL_OPERANDS()                                                             \
	sl_value t0_, t1_;                                                     \
	const sl_value *x, *y;                                                 \
	int rc_ = sl_eval_operand(e->args[0], row, a, &t0_, &x, err);          \
	if (sl_unlikely(rc_))                                                  \
		return rc_;                                                    \
	if (x->type == SL_NULL) {                                              \
		*out = sl_v_null();                                            \
		return 0;                                                      \
	}                                                                      \
	rc_ = sl_eval_operand(e->args[1], row, a, &t1_, &y, err);              \
	if (sl_unlikely(rc_))                                                  \
		return rc_;                                                    \
	if (y->type == SL_NULL) {                                              \
		*out = sl_v_null();                                            \
		return 0;                                                      \
	}

/* ---- lexing (expr/lex.c) --------------------------------------------- */

typedef enum sl_tok_type {
	TK_EOF,
	TK_IDENT,  /* bare word, keywords included (matched by the parser) */
	TK_QIDENT, /* `backticked` */
	TK_NUM,	   /* a number: see is_int, u, d, suffix */
	TK_STR,	   /* 'text' or "text", unescaped */
	TK_OP,	   /* punctuation: op is the character or an OP_* code */
	TK_ERR,	   /* a lexical error: err says what */
} sl_tok_type;

enum {
	OP_LE = 256,
	OP_GE,
	OP_NE,
	OP_EQ2,
	OP_NSEQ,
	OP_CONCAT,
	OP_LTGT,
	OP_DCOLON, /* :: */
	OP_ARROW,  /* -> */
	OP_SHL,	   /* << */
	OP_SHR,	   /* >> */
	OP_USHR,   /* >>> */
};

typedef struct sl_tok {
	sl_tok_type type;
	int op;
	size_t off, len; /* the token's bytes in the text */
	/* TK_NUM: an integer (is_int, magnitude u, overflow set when it
	 * does not fit 64 bits) or a double d; suffix is the upper-cased
	 * type letter (L, S, Y, D, F, B for BD) or 0. */
	bool is_int, overflow;
	bool expo; /* written with an exponent (1.5E0) */
	char suffix;
	uint64_t u;
	double d;
	const char *s; /* TK_STR, TK_IDENT, TK_QIDENT: text (NUL-terminated) */
	size_t slen;
	const char *err; /* TK_ERR */
} sl_tok;

typedef struct sl_lexer {
	const char *text;
	size_t n, i;
	sl_arena *a;
} sl_lexer;

void sl_lex_init(sl_lexer *lx, const char *text, sl_arena *a);
void sl_lex_next(sl_lexer *lx, sl_tok *t);
/* Spark's unescaping of a string literal's body (quote: the literal's
 * quote character, which a doubled one stands for). */
size_t sl_unescape_sql(const char *s, size_t n, char quote, char *out);

/* ---- binding ---------------------------------------------------------- */

typedef struct sl_bind_ctx {
	const sl_schema *in;
	sl_arena *a;
	bool ansi; /* sl_expr_options.ansi */
	bool map_last_win; /* sl_expr_options.map_last_win */
	/* inside a lambda's body: the last nlambda columns of in are the
	 * variables of the lambdas around it (expr/lambda.c) */
	uint32_t nlambda;
} sl_bind_ctx;

int sl_bind_node(sl_bind_ctx *cx, sl_expr **slot, sl_err *err);
/* A bound node of kind at pos in the plan arena (expr/bind.c). */
sl_expr *sl_bind_new_node(sl_bind_ctx *cx, sl_ex_kind kind, int pos);
/* expr/bind_ref.c: a column (slot: a.b.c becomes a field chain), a
 * struct field (EX_FIELD, child bound), an index (EX_INDEX, children
 * bound: an array's element or, st['a'], a struct's field). */
int sl_bind_col(sl_bind_ctx *cx, sl_expr **slot, sl_err *err);
int sl_bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* The second half of sl_bind_node for an operator node whose children
 * are bound: checks, coercions, type, evaluator. */
int sl_bind_operator(sl_bind_ctx *cx, sl_expr **slot, sl_err *err);
/* expr/chain.c: true if e starts a left-deep chain of binary operators
 * (e and its left operand both + - * / %, comparisons, AND or OR), which
 * sl_bind_chain binds with a loop instead of one recursion per term. */
bool sl_chain_starts(const sl_expr *e);
int sl_bind_chain(sl_bind_ctx *cx, sl_expr **slot, sl_err *err);
/* Evaluates the bound operator node on given operand values instead of
 * its children's (right NULL: its own second child), through a copy on
 * the stack whose operands are literals: the tree stays read-only, so
 * evaluation stays thread-safe. */
int sl_eval_on(const sl_expr *node, const sl_value *left,
	       const sl_value *right, const sl_value *row, sl_arena *a,
	       sl_value *out, sl_err *err);
/* Wraps *slot in an implicit cast to t unless it already has type t; folds
 * casts of literals. Fails if Spark would not cast implicitly. */
int sl_coerce(sl_bind_ctx *cx, sl_expr **slot, const sl_dtype *t, sl_err *err);
bool sl_is_numeric(const sl_dtype *t);
/* The common type of CASE branches, IN lists, coalesce and array
 * arguments: sl_wider_type with strings winning, except that with ANSI on
 * a string meets an integer as a BIGINT and a double as a DOUBLE, as in
 * Spark 4. */
const sl_dtype *sl_common_type(const sl_bind_ctx *cx, const sl_dtype *a,
			       const sl_dtype *b);
int sl_bind_fail(sl_err *err, const sl_expr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sl_type_mismatch_cls(sl_err *err, const sl_expr *e, const char *cls,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sl_type_mismatch(sl_err *err, const sl_expr *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Spark's SQL name of a type in CAST text: "STRING", "ARRAY<INT>". */
void sl_type_sql(const sl_dtype *t, char *buf, size_t n);
/* expr/sql_text.c: the SQL text of a literal, of an operator node from its
 * children's texts, and of a node whose text bind left out (the inner
 * nodes of a long chain: NULL sql), computed then and kept. */
const char *sl_lit_sql(sl_bind_ctx *cx, const sl_value *v, const sl_dtype *t);
const char *sl_node_sql(sl_bind_ctx *cx, sl_expr *e);
/* e's text as the query spells its names: spelled while it holds, else
 * sql (see sl_expr's spelled). */
const char *sl_spelled_sql(const sl_expr *e);
const char *sl_sql_of(sl_bind_ctx *cx, sl_expr *e);

/* ---- functions -------------------------------------------------------- */

enum {
	FN_AGG = 1,	    /* aggregate: refused until GROUP BY exists */
	FN_WINDOW = 2,	    /* window()/session_window(): needs GROUP BY too */
	FN_GEN = 4,	    /* generator (explode) */
	FN_STRUCT_ARGS = 8, /* arguments may carry `AS name` and `*` */
	/* written as syntax (an operator, LIKE ANY): only the parser makes
	 * the call, and the signature is the syntax */
	FN_SYNTAX = 16,
	/* its bind binds its arguments itself: lambdas (expr/lambda.c), the
	 * CSV options' map(...) (expr/fn_csv.c) */
	FN_LAMBDA = 32,
};

typedef struct sl_func {
	const char *name;
	int8_t min, max; /* argument counts; max -1: any number */
	uint8_t flags;
	/* Checks and coerces the arguments, sets e->type and e->eval. NULL
	 * for aggregates and windows, which bind refuses. */
	int (*bind)(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
	/* For the listing (`sluice functions`, docs/FUNCTIONS.md): the
	 * signature as Spark's reference writes it ("substring(str, pos[,
	 * len])"), one line on what it does, and an example expression. */
	const char *sig, *desc, *example;
} sl_func;

/* The function table is one table per group of functions, each in the
 * file that implements them; expr/func.c lists the groups (a new group
 * is one line there) and searches them all. A group's file defines its
 * table and its length:
 *
 *     const sl_func sl_funcs_string[] = { ... };
 *     const size_t sl_funcs_string_n = SL_NFUNCS(sl_funcs_string);
 */
#define SL_NFUNCS(t) (sizeof(t) / sizeof((t)[0]))
typedef struct sl_func_group {
	const char *name; /* "string", "math", ...: the listing's heading */
	const sl_func *fns;
	const size_t *n;
} sl_func_group;

/* The function of that (lower-case) name in any group, or NULL. */
const sl_func *sl_func_find(const char *name);
/* The groups, in listing order: *n of them. */
const sl_func_group *sl_func_groups(size_t *n);

/* function groups living in their own files */
int sl_bind_split(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_rlike(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_from_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_timestamp_ntz(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_localtimestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_date_format(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_current_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_current_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_try_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_element_at(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* ---- operators (expr/eval.c) ------------------------------------------ */

/* Picks e->eval for an operator node whose operands are bound and
 * coerced. */
int sl_pick_eval(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* Compiles a LIKE pattern with its escape character ('\\' unless the
 * expression says ESCAPE). NULL and a message on a bad escape. */
const void *sl_like_compile(const char *p, size_t n, char escape, sl_arena *a,
			    sl_err *err);
bool sl_like_match(const void *pat, const char *s, size_t n);
/* Equality of two non-null values of one type, Spark's way (NaN = NaN). */
bool sl_value_eq(const sl_value *x, const sl_value *y);

/* ---- casts (expr/cast.c) ---------------------------------------------- */

bool sl_can_cast(const sl_dtype *from, const sl_dtype *to);
/* sl_cast_value with ANSI's errors: CAST_INVALID_INPUT for a text the
 * target cannot read, CAST_OVERFLOW for a number out of its range. */
int sl_cast_value_ansi(const sl_value *in, const sl_dtype *from,
		       const sl_dtype *to, sl_arena *a, sl_value *out,
		       sl_err *err);
/* Spark's SQL literal text of a value in error messages: 'abc', 42,
 * 3000000000L, 1.0E10D, NaN. */
void sl_value_sql_literal(sl_buf *w, const sl_value *v);
/* Sets err to a runtime error of Spark's error class cls (its message
 * follows, printf style) and returns SL_EINVAL. */
int sl_runtime_error(sl_err *err, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool sl_can_cast_implicit(const sl_dtype *from, const sl_dtype *to);
/* Spark's cast error: "The value <in> of the type "<from>" cannot be cast
 * to "<to>" <why>. <hint>", of class cls. */
int sl_cast_error(sl_err *err, const char *cls, const char *why,
		  const char *hint, const sl_value *in, const sl_dtype *from,
		  const sl_dtype *to);
int sl_eval_cast(const sl_expr *e, const sl_value *row, sl_arena *a,
		 sl_value *out, sl_err *err);
/* The evaluator of a cast from to: sl_eval_cast, or interval casts'
 * own. */
sl_eval_fn sl_cast_evaluator(const sl_dtype *from, const sl_dtype *to);

bool sl_str_to_long(const char *s, size_t n, int64_t *out);
bool sl_str_to_int(const char *s, size_t n, int32_t *out);
bool sl_str_to_double(const char *s, size_t n, double *out);
bool sl_str_to_bool(const char *s, size_t n, bool *out);
/* Spark's CAST(string AS TIMESTAMP/DATE) (UTC session time zone). */
bool sl_str_to_ts(const char *s, size_t n, int64_t *us);
/* The same for TIMESTAMP_NTZ: the wall-clock time, a zone dropped. */
bool sl_str_to_ts_ntz(const char *s, size_t n, int64_t *us);
bool sl_str_to_date(const char *s, size_t n, int32_t *days);

/* ---- intervals and TIMESTAMP_NTZ (expr/interval.c) --------------------- */

static inline bool sl_is_interval(const sl_dtype *t)
{
	return t->id == SL_INTERVAL_YM || t->id == SL_INTERVAL_DT;
}
/* Whether Spark casts between from and to when either is an interval. */
bool sl_interval_can_cast(const sl_dtype *from, const sl_dtype *to);
/* A cast with an interval on either side (and not to STRING): 0, or an
 * error (INVALID_INTERVAL_FORMAT, CAST_OVERFLOW) with *out null; Spark
 * raises these in both modes, TRY_CAST gives the null. */
int sl_cast_interval(const sl_value *in, const sl_dtype *from,
		     const sl_dtype *to, sl_arena *a, sl_value *out,
		     sl_err *err);
/* Binds an EX_ARITH node whose operand types Spark's datetime and
 * interval arithmetic takes; *handled false (and 0) leaves the node to
 * the numeric rules. */
int sl_bind_interval_arith(sl_bind_ctx *cx, sl_expr *e, bool *handled,
			   sl_err *err);
/* expr/fn_extract.c: extract(FIELD FROM x) / date_part('FIELD', x) (e's
 * arguments bound, the field a string literal) where the source is an
 * interval or the field is SECOND (a DECIMAL(8,6)), and extract's name;
 * *handled false leaves the date and timestamp fields to fn_date.c. */
int sl_bind_extract(sl_bind_ctx *cx, sl_expr *e, bool *handled, sl_err *err);
/* abs() of an interval. */
int sl_bind_interval_abs(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* Unary minus (or plus) of an interval. */
int sl_bind_interval_neg(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* ---- decimals and floats (expr/decimal.c) ------------------------------ */

/* The DECIMAL type an integer type (or a decimal) is seen as beside a
 * decimal: TINYINT DECIMAL(3,0) ... BIGINT DECIMAL(20,0); NULL for other
 * types. */
const sl_dtype *sl_dec_type_of(const sl_dtype *t);
/* Binds an arithmetic node with a decimal operand and no floating one:
 * coerces both sides to decimals, sets Spark's result type and the
 * evaluator. */
int sl_bind_dec_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* The evaluators of + - * % and of unary minus for FLOAT operands (and
 * decimal ones); NULL for other types. */
sl_eval_fn sl_dec_arith_fn(const sl_dtype *t);
sl_eval_fn sl_dec_neg_fn(const sl_dtype *t);
/* A cast to a decimal or from one (the other side any type Spark casts
 * with decimals): 0, or an SL_DECIMAL_E* code with *out null (for an
 * integer target, on overflow, *out is Spark's non-ANSI wrapped value). */
int sl_cast_dec(const sl_value *in, const sl_dtype *to, sl_arena *a,
		sl_value *out);
/* The same with ANSI's errors: NUMERIC_VALUE_OUT_OF_RANGE,
 * CAST_OVERFLOW, CAST_INVALID_INPUT, NUMERIC_OUT_OF_SUPPORTED_RANGE. */
int sl_cast_dec_ansi(const sl_value *in, const sl_dtype *from,
		     const sl_dtype *to, sl_arena *a, sl_value *out,
		     sl_err *err);
/* CAST(x AS FLOAT) of a non-null number, boolean, timestamp or string
 * (null when the string is no number). */
void sl_cast_float(const sl_value *in, sl_value *out);
/* round(x, scale) of a decimal (Spark's result type, HALF_UP) or of a
 * float; e's argument is bound and e->type is its type. */
int sl_dec_bind_round(sl_bind_ctx *cx, sl_expr *e, int scale);
/* The same with an sl_decimal_round_mode (bround: HALF_EVEN; floor and
 * ceil: FLOOR and CEILING at scale 0, of a type Spark's floor keeps when
 * the scale is already 0). */
int sl_dec_bind_round_mode(sl_bind_ctx *cx, sl_expr *e, int scale,
			   int mode);

/* ---- regular expressions (expr/regex.c) ------------------------------- */

/* A private C.UTF-8 locale object (0 if the system has none), for case
 * mapping and for regexes that must see characters, not bytes. Never
 * installed process-wide: users switch to it per thread (uselocale). */
locale_t sl_utf8_locale(void);

/* Translates a Java regex (what Spark's split/rlike take) to POSIX ERE.
 * Returns an error message (static) or NULL. */
const char *sl_regex_translate(const char *p, size_t n, sl_buf *out,
			       int *cflags);

/* For the regexp functions (expr/fn_regexp.c): a Java pattern
 * translated, checked and interned at bind (NULL and *why on a bad one;
 * compiled with submatches), and this thread's compiled regex_t of it
 * (as const void *, so this header needs no <regex.h>; NULL if it cannot
 * be compiled). */
const void *sl_regex_prepare(const char *p, size_t n, sl_arena *a,
			     const char **why);
const void *sl_regex_compiled(const void *key);

/* ---- time text ---------------------------------------------------------- */

/* The JSON timestamp text ("2024-01-02T03:04:05.100Z"; expr/time.c);
 * Spark's default timestamp and date text is core/value_text.h's. */
void sl_fmt_ts_json(sl_buf *w, int64_t us);

/* ---- vectorised evaluation (expr/vec.c) -------------------------------- */

/* What the per-row evaluator bind picked for an operator node computes,
 * so the vectorised evaluator implements exactly that and nothing it has
 * not been taught (VOP_NONE: evaluate this node row by row). */
typedef enum sl_vop {
	VOP_NONE = 0,
	VOP_NULL, /* always null */
	VOP_ADD_I, VOP_SUB_I, VOP_MUL_I, VOP_MOD_I,
	VOP_ADD_L, VOP_SUB_L, VOP_MUL_L, VOP_MOD_L,
	VOP_ADD_D, VOP_SUB_D, VOP_MUL_D, VOP_MOD_D, VOP_DIV_D,
	VOP_NEG,
	VOP_CMP_I32, VOP_CMP_I64, VOP_CMP_F64, VOP_CMP_BOOL,
	VOP_NSEQ,
	VOP_AND, VOP_OR, VOP_NOT, VOP_ISNULL,
} sl_vop;

sl_vop sl_eval_vop(const sl_expr *e);
/* The same, and whether the node is ANSI's checked form of the operator
 * (overflow and a zero divisor raise errors instead of wrapping or giving
 * null): the vectorised evaluator then computes it as the unchecked one
 * and detects those cases, handing the chunk to the per-row evaluator,
 * which raises the error. */
sl_vop sl_eval_vop_checked(const sl_expr *e, bool *checked);
/* Stores each node's sl_vop in it, down to the depth the vectorised
 * evaluator handles, so that it needs no lookup per chunk. Bind calls it
 * on the root (single-threaded: the plan is then shared read-only). */
void sl_expr_cache_vops(sl_expr *e, int depth);

#endif
