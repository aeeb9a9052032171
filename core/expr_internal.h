/* core/expr_internal.h - what the expression files (core/expr_*.c) and
 * core/value.c share: the tree node, the function table, and the text,
 * number and calendar helpers that both rendering and evaluation need.
 * Nothing here is public API; include/sluice.h and core/expr.h are. */
#ifndef SL_CORE_EXPR_INTERNAL_H
#define SL_CORE_EXPR_INTERNAL_H

#include <locale.h>
#include <stdarg.h>
#include <string.h>

#include "core/expr.h"
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
	EX_LIKE,   /* args[0] LIKE args[1]; op 1: RLIKE; EXF_NOT */
	EX_CASE,   /* args: cond, value, cond, value, ..., [else] */
	EX_CAST,   /* CAST(args[0] AS type); EXF_IMPLICIT when bind made it */
	EX_FUNC,   /* ident(args), fn after bind */
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
};

typedef int (*sl_eval_fn)(const sl_expr *e, const sl_value *row, sl_arena *a,
			  sl_value *out, sl_err *err);

struct sl_func;

struct sl_expr {
	sl_eval_fn eval; /* chosen by bind for the operand types */
	uint8_t kind;	 /* sl_ex_kind */
	uint8_t op;
	uint8_t flags; /* EXF_* */
	int32_t col;   /* EX_COL: input column; EX_FIELD: field index */
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
	const struct sl_func *fn;
	const void *aux; /* kind-specific state prepared by bind */
};

/* Evaluates child c of a node. */
static inline int sl_ev(const sl_expr *c, const sl_value *row, sl_arena *a,
			sl_value *out, sl_err *err)
{
	return c->eval(c, row, a, out, err);
}

/* A pointer to child c's value without copying when it is a column or a
 * literal: the common operands of comparisons and arithmetic. */
static inline int sl_operand(const sl_expr *c, const sl_value *row, sl_arena *a,
			     sl_value *tmp, const sl_value **res, sl_err *err)
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

/* ---- lexing (expr_lex.c) --------------------------------------------- */

typedef enum sl_tok_type {
	TK_EOF,
	TK_IDENT,  /* bare word, keywords included (matched by the parser) */
	TK_QIDENT, /* `backticked` */
	TK_NUM,	   /* a number: see is_int, u, d, suffix */
	TK_STR,	   /* 'text' or "text", unescaped */
	TK_OP,	   /* punctuation: op is the character or an OP_* code */
	TK_ERR,	   /* a lexical error: err says what */
} sl_tok_type;

enum { OP_LE = 256, OP_GE, OP_NE, OP_EQ2, OP_NSEQ, OP_CONCAT, OP_LTGT };

typedef struct sl_tok {
	sl_tok_type type;
	int op;
	size_t off, len; /* the token's bytes in the text */
	/* TK_NUM: an integer (is_int, magnitude u, overflow set when it
	 * does not fit 64 bits) or a double d; suffix is the upper-cased
	 * type letter (L, S, Y, D, F, B for BD) or 0. */
	bool is_int, overflow;
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
/* Spark's unescaping of a string literal's body. */
size_t sl_unescape_sql(const char *s, size_t n, char *out);

/* ---- binding ---------------------------------------------------------- */

typedef struct sl_bind_ctx {
	const sl_schema *in;
	sl_arena *a;
} sl_bind_ctx;

int sl_bind_node(sl_bind_ctx *cx, sl_expr **slot, sl_err *err);
/* Wraps *slot in an implicit cast to t unless it already has type t; folds
 * casts of literals. Fails if Spark would not cast implicitly. */
int sl_coerce(sl_bind_ctx *cx, sl_expr **slot, const sl_dtype *t, sl_err *err);
/* Spark's wider common type of a and b (numeric widening, dates into
 * timestamps, and strings winning over other atomic types when
 * string_wins), or NULL if there is none. */
const sl_dtype *sl_wider_type(const sl_dtype *a, const sl_dtype *b,
			      bool string_wins);
bool sl_is_numeric(const sl_dtype *t);
int sl_bind_fail(sl_err *err, const sl_expr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sl_type_mismatch(sl_err *err, const sl_expr *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Spark's SQL name of a type in CAST text: "STRING", "ARRAY<INT>". */
void sl_type_sql(const sl_dtype *t, char *buf, size_t n);

/* ---- functions -------------------------------------------------------- */

enum {
	FN_AGG = 1,	    /* aggregate: refused until GROUP BY exists */
	FN_WINDOW = 2,	    /* window()/session_window(): needs GROUP BY too */
	FN_GEN = 4,	    /* generator (explode) */
	FN_STRUCT_ARGS = 8, /* arguments may carry `AS name` and `*` */
};

typedef struct sl_func {
	const char *name;
	int8_t min, max; /* argument counts; max -1: any number */
	uint8_t flags;
	/* Checks and coerces the arguments, sets e->type and e->eval. NULL
	 * for aggregates and windows, which bind refuses. */
	int (*bind)(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
} sl_func;

const sl_func *sl_func_find(const char *name);

/* function groups living in their own files */
int sl_bind_split(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_rlike(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_from_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_to_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_date_format(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_current_timestamp(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
int sl_bind_current_date(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

/* ---- operators (expr_eval.c) ------------------------------------------ */

/* Picks e->eval for an operator node whose operands are bound and
 * coerced. */
int sl_pick_eval(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* Compiles a LIKE pattern (escape '\'). NULL and a message on a bad
 * escape. */
const void *sl_like_compile(const char *p, size_t n, sl_arena *a, sl_err *err);
bool sl_like_match(const void *pat, const char *s, size_t n);
/* Equality of two non-null values of one type, Spark's way (NaN = NaN). */
bool sl_value_eq(const sl_value *x, const sl_value *y);

/* ---- casts (expr_cast.c) ---------------------------------------------- */

bool sl_can_cast(const sl_dtype *from, const sl_dtype *to);
bool sl_can_cast_implicit(const sl_dtype *from, const sl_dtype *to);
/* Casts non-null in (whose dtype is `from`) to `to`. A value Spark cannot
 * convert (ANSI off) gives null. */
void sl_cast_value(const sl_value *in, const sl_dtype *from, const sl_dtype *to,
		   sl_arena *a, sl_value *out);
int sl_eval_cast(const sl_expr *e, const sl_value *row, sl_arena *a,
		 sl_value *out, sl_err *err);

bool sl_str_to_long(const char *s, size_t n, int64_t *out);
bool sl_str_to_int(const char *s, size_t n, int32_t *out);
bool sl_str_to_double(const char *s, size_t n, double *out);
bool sl_str_to_bool(const char *s, size_t n, bool *out);
/* Spark's CAST(string AS TIMESTAMP/DATE) (UTC session time zone). */
bool sl_str_to_ts(const char *s, size_t n, int64_t *us);
bool sl_str_to_date(const char *s, size_t n, int32_t *days);

/* ---- writers ---------------------------------------------------------- */

/* Appends text. With an arena it grows (allocating in the arena); without
 * one it writes into a fixed buffer, truncating but counting every byte,
 * the snprintf contract of sl_value_render. */
typedef struct sl_wr {
	char *buf;
	size_t cap, len;
	sl_arena *a;
} sl_wr;

void sl_wr_init(sl_wr *w, sl_arena *a, size_t hint);
void sl_wr_put(sl_wr *w, const char *s, size_t n);
static inline void sl_wr_puts(sl_wr *w, const char *s)
{
	sl_wr_put(w, s, strlen(s));
}
void sl_wr_putc(sl_wr *w, char c);
void sl_wr_printf(sl_wr *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The text so far as an arena string (NUL-terminated). */
const char *sl_wr_cstr(sl_wr *w);

/* Renders v (Spark's CAST AS STRING text) through a writer. */
void sl_render_wr(sl_wr *w, const sl_value *v);

/* ---- numbers, calendar and text helpers (value.c) --------------------- */

/* Decimal text of v into buf (>= 21 bytes); returns the length. */
size_t sl_fmt_long(int64_t v, char *buf);
/* Java's Double.toString(d) into buf (>= 32 bytes); returns the length. */
size_t sl_fmt_double(double d, char *buf);
/* The shortest decimal digits that read back as |d| (finite, non-zero):
 * d = 0.DIGITS * 10^(*exp10). Returns the number of digits (<= 17). */
int sl_double_digits(double d, char *digits, int *exp10);

int64_t sl_days_from_civil(int64_t y, int m, int d);
void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int sl_days_in_month(int64_t y, int m);
static inline int64_t sl_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
#define SL_US_PER_DAY 86400000000LL

/* Parses one type name at text[0..len): the longest prefix that is a type,
 * consumed into *used. NULL with a reason in why (static text) and the
 * offset of the problem in *errat. */
const sl_dtype *sl_dtype_parse_prefix(const char *text, size_t len, sl_arena *a,
				      size_t *used, const char **why,
				      size_t *errat);

/* UTF-8: bytes of the character starting with byte c (1 for stray
 * continuation bytes, so malformed text still advances). */
static inline int sl_utf8_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}
size_t sl_utf8_count(const char *s, size_t n);
/* Appends code point cp as UTF-8; returns the bytes written (<= 4). */
int sl_utf8_put(char *dst, uint32_t cp);
/* 1-based character position of byte offset off in text. */
int sl_char_pos(const char *text, size_t off);

/* ---- regular expressions (expr_regex.c) ------------------------------- */

/* A private C.UTF-8 locale object (0 if the system has none), for case
 * mapping and for regexes that must see characters, not bytes. Never
 * installed process-wide: users switch to it per thread (uselocale). */
locale_t sl_utf8_locale(void);

/* Translates a Java regex (what Spark's split/rlike take) to POSIX ERE.
 * Returns an error message (static) or NULL. */
const char *sl_regex_translate(const char *p, size_t n, sl_wr *out,
			       int *cflags);

/* ---- time text ---------------------------------------------------------- */

/* Spark's default timestamp and date text ("2024-01-02 03:04:05.1",
 * "2024-01-02"; value.c), and the JSON timestamp
 * ("2024-01-02T03:04:05.100Z"; expr_time.c). */
void sl_fmt_ts(sl_wr *w, int64_t us);
void sl_fmt_date(sl_wr *w, int32_t days);
void sl_fmt_ts_json(sl_wr *w, int64_t us);

/* ---- vectorised evaluation (expr_vec.c) -------------------------------- */

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

#endif
