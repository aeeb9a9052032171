/* expr/parse_internal.h - what the files of the expression parser share
 * (expr/parse.c: the grammar; expr/parse_lit.c: literals): the parser's
 * state and its token, node and error helpers. Nothing else includes it. */
#ifndef SL_EXPR_PARSE_INTERNAL_H
#define SL_EXPR_PARSE_INTERNAL_H

#include "expr/internal.h"

typedef struct parser {
	sl_lexer lx;
	sl_tok t;
	const char *text;
	sl_arena *a;
	sl_err *err;
	bool failed;
	/* the last position computed: nodes are made left to right, so
	 * counting characters on from here keeps long texts linear */
	size_t pos_off;
	int pos_char;
	int depth;    /* nesting of parentheses, unary operators and NOT */
	bool star_ok; /* the token follows the start, '(' or ',' */
} parser;

/* Deeper nesting than this is refused with a syntax error rather than
 * risking the stack of the thread that parses, binds or evaluates. */
#define SL_EXPR_MAX_DEPTH 1000

typedef struct vec {
	sl_expr **v;
	uint32_t n, cap;
} vec;

/* Moves to the next token. */
void sl_px_next(parser *p);
/* A syntax error at byte offset off (len bytes), or at the current
 * token: sets p->err and returns NULL. */
void *sl_px_fail_at(parser *p, size_t off, size_t len, const char *why);
void *sl_px_fail(parser *p, const char *why);
/* A node of kind at byte offset off, in the parser's arena. */
sl_expr *sl_px_node(parser *p, sl_ex_kind kind, size_t off);

/* ---- literals (expr/parse_lit.c) ---- */

/* A literal node of value v and type t. */
sl_expr *sl_px_lit(parser *p, size_t off, sl_value v, const sl_dtype *t);
/* The number at the current token (neg: a '-' came first, at off). */
sl_expr *sl_px_num_lit(parser *p, bool neg, size_t off);
/* The string at the current token. */
sl_expr *sl_px_str_lit(parser *p);
/* X'..' at off. */
sl_expr *sl_px_binary_lit(parser *p, size_t off);
/* DATE '..', TIMESTAMP '..' or TIMESTAMP_NTZ '..' (kind: SL_DATE,
 * SL_TIMESTAMP, SL_TIMESTAMP_NTZ) at off. */
sl_expr *sl_px_typed_lit(parser *p, sl_type kind, size_t off);

/* ---- INTERVAL literals (expr/parse_interval.c) ---- */

/* Whether an interval literal's body starts at the current token (else
 * the word INTERVAL is a column's name). */
bool sl_px_interval_ahead(parser *p);
/* The literal after the word INTERVAL (at off), at the current token. */
sl_expr *sl_px_interval_lit(parser *p, size_t off);

/* ---- lambdas and shifts (expr/parse_lambda.c) ---- */

/* Whether a lambda (`x ->`, `(x, y) ->`) starts at the current token. */
bool sl_px_lambda_ahead(const parser *p);
/* The lambda at the current token, its body parsed by body. */
sl_expr *sl_px_lambda(parser *p, sl_expr *(*body)(parser *p));
/* `AS (a, b, ...)` after a generator e, at the '(', to the end of the
 * text: the names of its columns in e->parts (the one name also its
 * alias). false and the error for anything else. */
bool sl_px_aliases(parser *p, sl_expr *e);
/* operand [<< >> >>> operand]... */
sl_expr *sl_px_shift(parser *p, sl_expr *(*operand)(parser *p));

#endif
