/* core/expr_parse.c - Spark SQL expression text to an unbound tree.
 *
 * A recursive-descent parser over expr_lex.c's tokens, with Spark's
 * precedence (lowest first): OR, AND, NOT, predicates (IS NULL, IN, LIKE,
 * RLIKE, BETWEEN), comparisons, + - ||, * / %, unary minus, postfix (.field,
 * [index]). It runs once per query when a frame is made; binding against a
 * schema (expr_bind.c) happens next. Syntax errors name the 1-based
 * character position and the token found there. */
#include <stdio.h>
#include <strings.h>

#include "core/expr_internal.h"

typedef struct parser {
	sl_lexer lx;
	sl_tok t;
	const char *text;
	sl_arena *a;
	sl_err *err;
	bool failed;
} parser;

typedef struct vec {
	sl_expr **v;
	uint32_t n, cap;
} vec;

static sl_expr *parse_expr(parser *p);
static sl_expr *parse_cmp(parser *p);

static void next(parser *p)
{
	sl_lex_next(&p->lx, &p->t);
}

static void *fail_at(parser *p, size_t off, size_t len, const char *why)
{
	if (p->failed)
		return NULL;
	p->failed = true;
	int pos = sl_char_pos(p->text, off);
	size_t n = strlen(p->text);
	if (off >= n) {
		sl_err_set(p->err, SL_ESYNTAX,
			   "syntax error at position %d near end of input: "
			   "%s",
			   pos, why);
	} else {
		/* Quote at most ~20 bytes, cut at a character boundary. */
		if (len == 0)
			len = 1;
		if (len > 20) {
			len = 20;
			while (len > 1 && ((unsigned char)p->text[off + len] &
					   0xc0) == 0x80)
				len--;
		}
		sl_err_set(p->err, SL_ESYNTAX,
			   "syntax error at position %d near '%.*s': %s", pos,
			   (int)len, p->text + off, why);
	}
	if (p->err)
		p->err->pos = pos;
	return NULL;
}

static void *fail(parser *p, const char *why)
{
	if (p->t.type == TK_ERR)
		why = p->t.err;
	return fail_at(p, p->t.off, p->t.len, why);
}

static bool is_op(const parser *p, int op)
{
	return p->t.type == TK_OP && p->t.op == op;
}

static bool is_kw(const parser *p, const char *k)
{
	return p->t.type == TK_IDENT && !strcasecmp(p->t.s, k);
}

/* Words that end or join expressions and so cannot be column names or
 * bare aliases without backticks. */
static bool reserved_word(const char *s)
{
	static const char *const words[] = {
		"AND",	"OR",	 "NOT",	   "IS",       "IN",
		"LIKE", "RLIKE", "REGEXP", "BETWEEN",  "CASE",
		"WHEN", "THEN",	 "ELSE",   "END",      "AS",
		"FROM", "WHERE", "SELECT", "DISTINCT", NULL,
	};
	for (int i = 0; words[i]; i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

static bool is_reserved(const parser *p)
{
	return p->t.type == TK_IDENT && reserved_word(p->t.s);
}

static bool expect(parser *p, int op, const char *why)
{
	if (is_op(p, op)) {
		next(p);
		return true;
	}
	fail(p, why);
	return false;
}

static bool expect_kw(parser *p, const char *k, const char *why)
{
	if (is_kw(p, k)) {
		next(p);
		return true;
	}
	fail(p, why);
	return false;
}

static sl_expr *node(parser *p, sl_ex_kind kind, size_t off)
{
	sl_expr *e = sl_arena_calloc(p->a, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->pos = sl_char_pos(p->text, off);
	e->col = -1;
	return e;
}

static sl_expr *node2(parser *p, sl_ex_kind kind, int op, sl_expr *l,
		      sl_expr *r, size_t off)
{
	sl_expr *e = node(p, kind, off);
	e->op = (uint8_t)op;
	e->nargs = r ? 2 : 1;
	e->args = sl_arena_alloc(p->a, 2 * sizeof(*e->args));
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

static void vec_push(parser *p, vec *v, sl_expr *e)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 4;
		sl_expr **nv = sl_arena_alloc(p->a, cap * sizeof(*nv));
		if (v->n)
			memcpy(nv, v->v, v->n * sizeof(*nv));
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = e;
}

/* A copy of an unbound subtree, for the forms Spark rewrites into ones
 * that mention an operand twice (CASE x WHEN, BETWEEN). */
static sl_expr *clone(parser *p, const sl_expr *e)
{
	sl_expr *c = sl_arena_alloc(p->a, sizeof(*c));
	*c = *e;
	if (e->nargs) {
		c->args = sl_arena_alloc(p->a, e->nargs * sizeof(*c->args));
		for (uint32_t i = 0; i < e->nargs; i++)
			c->args[i] = e->args[i] ? clone(p, e->args[i]) : NULL;
	}
	return c;
}

static sl_expr *lit(parser *p, size_t off, sl_value v, const sl_dtype *t)
{
	sl_expr *e = node(p, EX_LIT, off);
	e->lit = v;
	e->type = t;
	return e;
}

/* The current number token as a literal; neg when a minus preceded it
 * (Spark's grammar folds it into the literal, so -2147483648 is an int). */
static sl_expr *num_lit(parser *p, bool neg, size_t off)
{
	sl_tok *t = &p->t;
	sl_expr *e;
	if (!t->is_int) {
		e = lit(p, off, sl_v_double(neg ? -t->d : t->d),
			&sl_dtype_double);
		next(p);
		return e;
	}
	uint64_t u = t->u;
	uint64_t lmax = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t imax = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
	int64_t v = 0;
	if (u <= lmax)
		v = neg ? (u ? -(int64_t)(u - 1) - 1 : 0) : (int64_t)u;
	switch (t->suffix) {
	case 'L':
		if (u > lmax)
			return fail(p, "bigint literal out of range");
		e = lit(p, off, sl_v_long(v), &sl_dtype_long);
		break;
	case 'S':
	case 'Y': {
		/* smallint/tinyint: sluice has no narrow ints; an int
		 * holds them, within the narrow range Spark checks. */
		int64_t lim = t->suffix == 'S' ? 32767 : 127;
		if (u > (uint64_t)lim + neg)
			return fail(p,
				    t->suffix == 'S'
					    ? "smallint literal out of range"
					    : "tinyint literal out of range");
		e = lit(p, off, sl_v_int((int32_t)v), &sl_dtype_int);
		break;
	}
	default:
		if (u <= imax)
			e = lit(p, off, sl_v_int((int32_t)v), &sl_dtype_int);
		else if (u <= lmax)
			e = lit(p, off, sl_v_long(v), &sl_dtype_long);
		else
			e = lit(p, off,
				sl_v_double(neg ? -(double)u : (double)u),
				&sl_dtype_double);
	}
	next(p);
	return e;
}

/* 'a' 'b' is 'ab' in Spark. */
static sl_expr *str_lit(parser *p)
{
	size_t off = p->t.off;
	const char *s = p->t.s;
	size_t n = p->t.slen;
	next(p);
	while (p->t.type == TK_STR) {
		char *j = sl_arena_alloc(p->a, n + p->t.slen + 1);
		memcpy(j, s, n);
		memcpy(j + n, p->t.s, p->t.slen + 1);
		n += p->t.slen;
		s = j;
		next(p);
	}
	return lit(p, off, sl_v_str(s, (uint32_t)n), &sl_dtype_string);
}

/* DATE 'yyyy-mm-dd' and TIMESTAMP '...' */
static sl_expr *typed_lit(parser *p, bool ts, size_t off)
{
	sl_tok st = p->t;
	sl_value v;
	if (ts) {
		int64_t us;
		if (!sl_str_to_ts(st.s, st.slen, &us))
			return fail(p, "cannot parse the TIMESTAMP value");
		v = sl_v_ts(us);
	} else {
		int32_t d;
		if (!sl_str_to_date(st.s, st.slen, &d))
			return fail(p, "cannot parse the DATE value");
		v = sl_v_date(d);
	}
	next(p);
	return lit(p, off, v, ts ? &sl_dtype_timestamp : &sl_dtype_date);
}

/* CASE [x] WHEN c THEN v ... [ELSE e] END. The simple form becomes
 * WHEN x = c, as Spark's parser rewrites it (and names it). */
static sl_expr *parse_case(parser *p)
{
	size_t off = p->t.off;
	next(p);
	sl_expr *operand = NULL;
	if (!is_kw(p, "WHEN")) {
		operand = parse_expr(p);
		if (!operand)
			return NULL;
	}
	vec v = { 0 };
	while (is_kw(p, "WHEN")) {
		next(p);
		size_t coff = p->t.off;
		sl_expr *c = parse_expr(p);
		if (!c || !expect_kw(p, "THEN", "expected THEN"))
			return NULL;
		sl_expr *r = parse_expr(p);
		if (!r)
			return NULL;
		if (operand)
			c = node2(p, EX_CMP, CMP_EQ,
				  v.n ? clone(p, operand) : operand, c, coff);
		vec_push(p, &v, c);
		vec_push(p, &v, r);
	}
	if (!v.n)
		return fail(p, "expected WHEN");
	sl_expr *e = node(p, EX_CASE, off);
	if (is_kw(p, "ELSE")) {
		next(p);
		sl_expr *x = parse_expr(p);
		if (!x)
			return NULL;
		vec_push(p, &v, x);
		e->flags |= EXF_HAS_ELSE;
	}
	if (!expect_kw(p, "END", "expected WHEN, ELSE or END"))
		return NULL;
	e->args = v.v;
	e->nargs = v.n;
	return e;
}

static sl_expr *parse_cast(parser *p, size_t off)
{
	next(p); /* ( */
	sl_expr *x = parse_expr(p);
	if (!x || !expect_kw(p, "AS", "expected AS"))
		return NULL;
	/* The type is parsed from the text by the DDL type parser, so CAST
	 * and schemas accept the same names; then lexing resumes after. */
	size_t toff = p->t.off, used, errat;
	const char *why;
	size_t n = strlen(p->text);
	const sl_dtype *t = sl_dtype_parse_prefix(p->text + toff, n - toff,
						  p->a, &used, &why, &errat);
	if (!t) {
		size_t at = toff + errat, len = 0;
		while (at + len < n && len < 20 && p->text[at + len] != ' ' &&
		       p->text[at + len] != ')' && p->text[at + len] != ',' &&
		       p->text[at + len] != '>')
			len++;
		return fail_at(p, at, len, why);
	}
	p->lx.i = toff + used;
	next(p);
	if (!expect(p, ')', "expected ')'"))
		return NULL;
	sl_expr *e = node(p, EX_CAST, off);
	e->nargs = 1;
	e->args = sl_arena_alloc(p->a, sizeof(*e->args));
	e->args[0] = x;
	e->type = t;
	return e;
}

/* The name an argument of struct() may carry: `x AS n` or `x n`. */
static bool parse_arg_alias(parser *p, sl_expr *a)
{
	if (is_kw(p, "AS")) {
		next(p);
		if (p->t.type != TK_IDENT && p->t.type != TK_QIDENT) {
			fail(p, "expected a name after AS");
			return false;
		}
	} else if (p->t.type != TK_QIDENT &&
		   (p->t.type != TK_IDENT || is_reserved(p))) {
		return true;
	}
	a->alias = p->t.s;
	next(p);
	return true;
}

static sl_expr *parse_call(parser *p, const char *name, size_t off)
{
	sl_expr *e = node(p, EX_FUNC, off);
	size_t n = strlen(name);
	char *lname = sl_arena_alloc(p->a, n + 1);
	for (size_t i = 0; i <= n; i++)
		lname[i] =
			(char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32
								: name[i]);
	e->ident = lname;
	bool named = !strcmp(lname, "struct");
	next(p); /* ( */
	vec v = { 0 };
	if (is_op(p, ')')) {
		next(p);
		return e;
	}
	if (is_kw(p, "DISTINCT")) {
		e->flags |= EXF_DISTINCT;
		next(p);
	} else if (is_kw(p, "ALL")) {
		next(p);
	}
	for (;;) {
		sl_expr *a = parse_expr(p);
		if (!a)
			return NULL;
		if (named && !parse_arg_alias(p, a))
			return NULL;
		vec_push(p, &v, a);
		if (is_op(p, ',')) {
			next(p);
			continue;
		}
		if (!expect(p, ')', "expected ',' or ')'"))
			return NULL;
		break;
	}
	e->args = v.v;
	e->nargs = v.n;
	return e;
}

static sl_expr *column(parser *p, const char *name, size_t off)
{
	sl_expr *e = node(p, EX_COL, off);
	e->parts = sl_arena_alloc(p->a, 4 * sizeof(*e->parts));
	e->parts[0] = name;
	e->nparts = 1;
	return e;
}

static sl_expr *parse_primary(parser *p, bool *chain)
{
	size_t off = p->t.off;
	*chain = false;
	switch (p->t.type) {
	case TK_NUM: return num_lit(p, false, off);
	case TK_STR: return str_lit(p);
	case TK_QIDENT: {
		const char *name = p->t.s;
		next(p);
		if (is_op(p, '('))
			return parse_call(p, name, off);
		*chain = true;
		return column(p, name, off);
	}
	case TK_IDENT: break;
	case TK_OP:
		if (p->t.op == '(') {
			next(p);
			sl_expr *e = parse_expr(p);
			if (!e || !expect(p, ')', "expected ')'"))
				return NULL;
			return e;
		}
		if (p->t.op == '*') {
			next(p);
			return node(p, EX_STAR, off);
		}
		return fail(p, "expected an expression");
	default: return fail(p, "expected an expression");
	}
	if (is_kw(p, "NULL")) {
		next(p);
		return lit(p, off, sl_v_null(), &sl_dtype_null);
	}
	if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
		bool b = is_kw(p, "TRUE");
		next(p);
		return lit(p, off, sl_v_bool(b), &sl_dtype_bool);
	}
	if (is_kw(p, "CASE"))
		return parse_case(p);
	const char *name = p->t.s;
	if (reserved_word(name))
		return fail(p, "expected an expression");
	next(p);
	if (is_op(p, '(')) {
		if (!strcasecmp(name, "CAST"))
			return parse_cast(p, off);
		return parse_call(p, name, off);
	}
	if (p->t.type == TK_STR &&
	    (!strcasecmp(name, "DATE") || !strcasecmp(name, "TIMESTAMP")))
		return typed_lit(p, !strcasecmp(name, "TIMESTAMP"), off);
	if (!strcasecmp(name, "INTERVAL"))
		return fail_at(p, off, 8,
			       "INTERVAL literals are not supported");
	*chain = true;
	return column(p, name, off);
}

static sl_expr *parse_postfix(parser *p)
{
	bool chain;
	sl_expr *e = parse_primary(p, &chain);
	while (e) {
		size_t off = p->t.off;
		if (is_op(p, '[')) {
			next(p);
			sl_expr *i = parse_expr(p);
			if (!i || !expect(p, ']', "expected ']'"))
				return NULL;
			e = node2(p, EX_INDEX, 0, e, i, off);
			e->pos = e->args[0]->pos;
			chain = false;
			continue;
		}
		if (!is_op(p, '.'))
			break;
		next(p);
		if (chain && is_op(p, '*')) {
			next(p);
			e->kind = EX_STAR;
			return e;
		}
		if (p->t.type != TK_IDENT && p->t.type != TK_QIDENT)
			return fail(p, "expected a field name after '.'");
		if (chain) {
			if (e->nparts % 4 == 0) {
				const char **np = sl_arena_alloc(
					p->a, (e->nparts + 4) * sizeof(*np));
				memcpy(np, e->parts, e->nparts * sizeof(*np));
				e->parts = np;
			}
			e->parts[e->nparts++] = p->t.s;
		} else {
			sl_expr *f = node2(p, EX_FIELD, 0, e, NULL, off);
			f->pos = e->pos;
			f->ident = p->t.s;
			e = f;
		}
		next(p);
	}
	return e;
}

static sl_expr *parse_unary(parser *p)
{
	size_t off = p->t.off;
	if (is_op(p, '-')) {
		next(p);
		if (p->t.type == TK_NUM)
			return num_lit(p, true, off);
		sl_expr *x = parse_unary(p);
		return x ? node2(p, EX_NEG, 0, x, NULL, off) : NULL;
	}
	if (is_op(p, '+')) {
		next(p);
		return parse_unary(p);
	}
	return parse_postfix(p);
}

static sl_expr *parse_mul(parser *p)
{
	sl_expr *l = parse_unary(p);
	while (l && (is_op(p, '*') || is_op(p, '/') || is_op(p, '%'))) {
		int op = p->t.op;
		next(p);
		sl_expr *r = parse_unary(p);
		if (!r)
			return NULL;
		l = node2(p, EX_ARITH, op, l, r, 0);
		l->pos = l->args[0]->pos;
	}
	return l;
}

static sl_expr *parse_add(parser *p)
{
	sl_expr *l = parse_mul(p);
	while (l && (is_op(p, '+') || is_op(p, '-') || is_op(p, OP_CONCAT))) {
		int op = p->t.op;
		next(p);
		sl_expr *r = parse_mul(p);
		if (!r)
			return NULL;
		int pos = l->pos;
		if (op == OP_CONCAT) {
			l = node2(p, EX_FUNC, 0, l, r, 0);
			l->ident = "concat";
		} else {
			l = node2(p, EX_ARITH, op, l, r, 0);
		}
		l->pos = pos;
	}
	return l;
}

static int cmp_op(const parser *p)
{
	if (p->t.type != TK_OP)
		return -1;
	switch (p->t.op) {
	case '=':
	case OP_EQ2: return CMP_EQ;
	case OP_NE:
	case OP_LTGT: return CMP_NE;
	case '<': return CMP_LT;
	case OP_LE: return CMP_LE;
	case '>': return CMP_GT;
	case OP_GE: return CMP_GE;
	case OP_NSEQ: return CMP_NSEQ;
	default: return -1;
	}
}

static sl_expr *parse_cmp(parser *p)
{
	sl_expr *l = parse_add(p);
	int op;
	while (l && (op = cmp_op(p)) >= 0) {
		next(p);
		sl_expr *r = parse_add(p);
		if (!r)
			return NULL;
		int pos = l->pos;
		l = node2(p, EX_CMP, op, l, r, 0);
		l->pos = pos;
		if (op == CMP_NE)
			l->flags |= EXF_NE_FORM;
	}
	return l;
}

static sl_expr *negate(parser *p, sl_expr *e, bool neg)
{
	if (!neg)
		return e;
	sl_expr *n = node2(p, EX_NOT, 0, e, NULL, 0);
	n->pos = e->pos;
	return n;
}

/* x [NOT] IN (...), [NOT] LIKE, [NOT] RLIKE, [NOT] BETWEEN, IS [NOT] NULL */
static sl_expr *parse_predicated(parser *p)
{
	sl_expr *l = parse_cmp(p);
	if (!l)
		return NULL;
	if (is_kw(p, "IS")) {
		next(p);
		bool nt = is_kw(p, "NOT");
		if (nt)
			next(p);
		if (!expect_kw(p, "NULL",
			       nt ? "expected NULL"
				  : "expected NULL or NOT NULL"))
			return NULL;
		sl_expr *e = node2(p, EX_ISNULL, 0, l, NULL, 0);
		e->pos = l->pos;
		if (nt)
			e->flags |= EXF_NOT;
		return e;
	}
	bool nt = false;
	if (is_kw(p, "NOT")) {
		nt = true;
		next(p);
		if (!is_kw(p, "IN") && !is_kw(p, "LIKE") &&
		    !is_kw(p, "RLIKE") && !is_kw(p, "REGEXP") &&
		    !is_kw(p, "BETWEEN"))
			return fail(p, "expected IN, LIKE, RLIKE or BETWEEN");
	}
	if (is_kw(p, "IN")) {
		next(p);
		if (!expect(p, '(', "expected '('"))
			return NULL;
		vec v = { 0 };
		vec_push(p, &v, l);
		for (;;) {
			sl_expr *x = parse_expr(p);
			if (!x)
				return NULL;
			vec_push(p, &v, x);
			if (is_op(p, ',')) {
				next(p);
				continue;
			}
			if (!expect(p, ')', "expected ',' or ')'"))
				return NULL;
			break;
		}
		sl_expr *e = node(p, EX_IN, 0);
		e->pos = l->pos;
		e->args = v.v;
		e->nargs = v.n;
		return negate(p, e, nt);
	}
	if (is_kw(p, "LIKE") || is_kw(p, "RLIKE") || is_kw(p, "REGEXP")) {
		bool re = !is_kw(p, "LIKE");
		next(p);
		sl_expr *r = parse_cmp(p);
		if (!r)
			return NULL;
		sl_expr *e = node2(p, EX_LIKE, re, l, r, 0);
		e->pos = l->pos;
		return negate(p, e, nt);
	}
	if (is_kw(p, "BETWEEN")) {
		next(p);
		sl_expr *lo = parse_cmp(p);
		if (!lo || !expect_kw(p, "AND", "expected AND"))
			return NULL;
		sl_expr *hi = parse_cmp(p);
		if (!hi)
			return NULL;
		/* Spark rewrites it so: ((x >= lo) AND (x <= hi)) */
		sl_expr *a = node2(p, EX_CMP, CMP_GE, l, lo, 0);
		sl_expr *b = node2(p, EX_CMP, CMP_LE, clone(p, l), hi, 0);
		a->pos = b->pos = l->pos;
		sl_expr *e = node2(p, EX_AND, 0, a, b, 0);
		e->pos = l->pos;
		return negate(p, e, nt);
	}
	return l;
}

static sl_expr *parse_not(parser *p)
{
	if (is_kw(p, "NOT")) {
		size_t off = p->t.off;
		next(p);
		sl_expr *x = parse_not(p);
		return x ? node2(p, EX_NOT, 0, x, NULL, off) : NULL;
	}
	return parse_predicated(p);
}

static sl_expr *parse_and(parser *p)
{
	sl_expr *l = parse_not(p);
	while (l && is_kw(p, "AND")) {
		next(p);
		sl_expr *r = parse_not(p);
		if (!r)
			return NULL;
		int pos = l->pos;
		l = node2(p, EX_AND, 0, l, r, 0);
		l->pos = pos;
	}
	return l;
}

static sl_expr *parse_expr(parser *p)
{
	sl_expr *l = parse_and(p);
	while (l && is_kw(p, "OR")) {
		next(p);
		sl_expr *r = parse_and(p);
		if (!r)
			return NULL;
		int pos = l->pos;
		l = node2(p, EX_OR, 0, l, r, 0);
		l->pos = pos;
	}
	return l;
}

sl_expr *sl_expr_parse(const char *text, bool allow_alias, sl_arena *a,
		       sl_err *err)
{
	parser p = { .text = text ? text : "", .a = a, .err = err };
	sl_lex_init(&p.lx, p.text, a);
	next(&p);
	if (p.t.type == TK_EOF)
		return fail(&p, "expected an expression");
	sl_expr *e = parse_expr(&p);
	if (!e)
		return NULL;
	if (is_kw(&p, "AS") && !allow_alias)
		return fail(&p, "an alias is not allowed here");
	if (allow_alias) {
		if (is_kw(&p, "AS")) {
			next(&p);
			if (is_op(&p, '('))
				return fail(&p, "multiple aliases (AS (a, b)) "
						"are not supported");
			if (p.t.type != TK_IDENT && p.t.type != TK_QIDENT)
				return fail(&p, "expected a name after AS");
			e->alias = p.t.s;
			next(&p);
		} else if (p.t.type == TK_QIDENT ||
			   (p.t.type == TK_IDENT && !is_reserved(&p))) {
			e->alias = p.t.s;
			next(&p);
		}
	}
	if (p.t.type != TK_EOF)
		return fail(&p, "expected end of expression");
	return e;
}
