/* expr/parse.c - Spark SQL expression text to an unbound tree.
 *
 * A recursive-descent parser over expr/lex.c's tokens, with Spark's
 * precedence (lowest first): OR, AND, NOT, predicates (IS NULL, IN, LIKE,
 * RLIKE, BETWEEN), comparisons, + - ||, * / %, unary minus, postfix (.field,
 * [index]). It runs once per query when a frame is made; binding against a
 * schema (expr/bind.c) happens next. Syntax errors name the 1-based
 * character position and the token found there. */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "core/decimal.h"
#include "expr/internal.h"

#include "expr/parse_internal.h"

static sl_expr *parse_expr(parser *p);
static sl_expr *parse_cmp(parser *p);

void sl_px_next(parser *p)
{
	p->star_ok = p->t.type == TK_OP && (p->t.op == '(' || p->t.op == ',');
	sl_lex_next(&p->lx, &p->t);
}

/* The 1-based character position of byte off, counted on from the last
 * position asked for when off lies after it. */
static int char_pos(parser *p, size_t off)
{
	if (off < p->pos_off)
		return sl_char_pos(p->text, off);
	int pos = p->pos_char;
	for (size_t i = p->pos_off; i < off; i++)
		pos += ((unsigned char)p->text[i] & 0xc0) != 0x80;
	p->pos_off = off;
	p->pos_char = pos;
	return pos;
}

void *sl_px_fail_at(parser *p, size_t off, size_t len, const char *why)
{
	if (p->failed)
		return NULL;
	p->failed = true;
	int pos = char_pos(p, off);
	size_t n = p->lx.n;
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

void *sl_px_fail(parser *p, const char *why)
{
	if (p->t.type == TK_ERR)
		why = p->t.err;
	return sl_px_fail_at(p, p->t.off, p->t.len, why);
}

/* One level deeper; false (and the error set) past the limit. Every
 * recursion of the grammar passes through parse_expr, parse_unary or
 * parse_not, which call this. */
static bool enter(parser *p)
{
	if (++p->depth <= SL_EXPR_MAX_DEPTH)
		return true;
	char why[96];
	snprintf(why, sizeof(why), "the expression nests deeper than %d levels",
		 SL_EXPR_MAX_DEPTH);
	sl_px_fail(p, why);
	return false;
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
		sl_px_next(p);
		return true;
	}
	sl_px_fail(p, why);
	return false;
}

static bool expect_kw(parser *p, const char *k, const char *why)
{
	if (is_kw(p, k)) {
		sl_px_next(p);
		return true;
	}
	sl_px_fail(p, why);
	return false;
}

sl_expr *sl_px_node(parser *p, sl_ex_kind kind, size_t off)
{
	sl_expr *e = sl_arena_calloc(p->a, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->pos = char_pos(p, off);
	e->col = -1;
	return e;
}

static sl_expr *node2(parser *p, sl_ex_kind kind, int op, sl_expr *l,
		      sl_expr *r, size_t off)
{
	sl_expr *e = sl_px_node(p, kind, off);
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

static sl_expr *parse_case(parser *p)
{
	size_t off = p->t.off;
	sl_px_next(p);
	sl_expr *operand = NULL;
	if (!is_kw(p, "WHEN")) {
		operand = parse_expr(p);
		if (!operand)
			return NULL;
	}
	vec v = { 0 };
	while (is_kw(p, "WHEN")) {
		sl_px_next(p);
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
		return sl_px_fail(p, "expected WHEN");
	sl_expr *e = sl_px_node(p, EX_CASE, off);
	if (is_kw(p, "ELSE")) {
		sl_px_next(p);
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

/* A type name at the current token, for CAST and `::`. */
static const sl_dtype *parse_type(parser *p)
{
	/* The type is parsed from the text by the DDL type parser, so CAST
	 * and schemas accept the same names; then lexing resumes after. */
	size_t toff = p->t.off, used, errat;
	const char *why;
	size_t n = p->lx.n;
	const sl_dtype *t = sl_dtype_parse_prefix(p->text + toff, n - toff,
						  p->a, &used, &why, &errat);
	if (!t) {
		size_t at = toff + errat, len = 0;
		while (at + len < n && len < 20 && p->text[at + len] != ' ' &&
		       p->text[at + len] != ')' && p->text[at + len] != ',' &&
		       p->text[at + len] != '>')
			len++;
		return sl_px_fail_at(p, at, len, why);
	}
	p->lx.i = toff + used;
	sl_px_next(p);
	return t;
}

static sl_expr *cast_node(parser *p, sl_expr *x, const sl_dtype *t, size_t off)
{
	sl_expr *e = sl_px_node(p, EX_CAST, off);
	e->nargs = 1;
	e->args = sl_arena_alloc(p->a, sizeof(*e->args));
	e->args[0] = x;
	e->type = t;
	return e;
}

/* CAST(x AS t), and TRY_CAST (try: null instead of an error) */
static sl_expr *parse_cast(parser *p, size_t off, bool try)
{
	sl_px_next(p); /* ( */
	sl_expr *x = parse_expr(p);
	if (!x || !expect_kw(p, "AS", "expected AS"))
		return NULL;
	const sl_dtype *t = parse_type(p);
	if (!t || !expect(p, ')', "expected ')'"))
		return NULL;
	sl_expr *e = cast_node(p, x, t, off);
	e->op = try;
	return e;
}

/* The name an argument of struct() may carry: `x AS n` or `x n`. */
static bool parse_arg_alias(parser *p, sl_expr *a)
{
	if (is_kw(p, "AS")) {
		sl_px_next(p);
		if (p->t.type != TK_IDENT && p->t.type != TK_QIDENT) {
			sl_px_fail(p, "expected a name after AS");
			return false;
		}
	} else if (p->t.type != TK_QIDENT &&
		   (p->t.type != TK_IDENT || is_reserved(p))) {
		return true;
	}
	a->alias = p->t.s;
	sl_px_next(p);
	return true;
}

/* `expr, expr, ... )`: the rest of a function's arguments or an IN list,
 * appended to v; named (struct()): each may carry `AS name`. */
static bool parse_list_rest(parser *p, vec *v, bool named)
{
	for (;;) {
		sl_expr *x = sl_px_lambda_ahead(p) ? sl_px_lambda(p, parse_expr)
						   : parse_expr(p);
		if (!x)
			return false;
		if (named && !parse_arg_alias(p, x))
			return false;
		vec_push(p, v, x);
		if (!is_op(p, ','))
			return expect(p, ')', "expected ',' or ')'");
		sl_px_next(p);
	}
}

static sl_expr *parse_call(parser *p, const char *name, size_t off)
{
	sl_expr *e = sl_px_node(p, EX_FUNC, off);
	size_t n = strlen(name);
	char *lname = sl_arena_alloc(p->a, n + 1);
	for (size_t i = 0; i <= n; i++)
		lname[i] =
			(char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32
								: name[i]);
	e->ident = lname;
	bool named = !strcmp(lname, "struct");
	sl_px_next(p); /* ( */
	vec v = { 0 };
	if (is_op(p, ')')) {
		sl_px_next(p);
		return e;
	}
	if (is_kw(p, "DISTINCT")) {
		e->flags |= EXF_DISTINCT;
		sl_px_next(p);
	} else if (is_kw(p, "ALL")) {
		sl_px_next(p);
	}
	/* extract(FIELD FROM source): the field as a string argument */
	if (!strcmp(lname, "extract") && p->t.type == TK_IDENT) {
		sl_expr *f = sl_px_lit(p, p->t.off,
				       sl_v_str(p->t.s, (uint32_t)strlen(p->t.s)),
				       &sl_dtype_string);
		sl_px_next(p);
		if (!expect_kw(p, "FROM", "expected FROM"))
			return NULL;
		sl_expr *src = parse_expr(p);
		if (!src || !expect(p, ')', "expected ')'"))
			return NULL;
		vec_push(p, &v, f);
		vec_push(p, &v, src);
		e->args = v.v;
		e->nargs = v.n;
		return e;
	}
	/* position(substr IN str): Spark's locate(substr, str) */
	if (!strcmp(lname, "position")) {
		sl_expr *sub = parse_cmp(p);
		if (!sub)
			return NULL;
		if (is_kw(p, "IN")) {
			sl_px_next(p);
			sl_expr *str = parse_expr(p);
			if (!str || !expect(p, ')', "expected ')'"))
				return NULL;
			vec_push(p, &v, sub);
			vec_push(p, &v, str);
			e->ident = "locate";
			e->args = v.v;
			e->nargs = v.n;
			return e;
		}
		vec_push(p, &v, sub);
		if (!is_op(p, ',')) {
			if (!expect(p, ')', "expected IN, ',' or ')'"))
				return NULL;
			e->args = v.v;
			e->nargs = v.n;
			return e;
		}
		sl_px_next(p);
	}
	if (!parse_list_rest(p, &v, named))
		return NULL;
	e->args = v.v;
	e->nargs = v.n;
	return e;
}

static sl_expr *column(parser *p, const char *name, size_t off)
{
	sl_expr *e = sl_px_node(p, EX_COL, off);
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
	case TK_NUM: return sl_px_num_lit(p, false, off);
	case TK_STR: return sl_px_str_lit(p);
	case TK_QIDENT: {
		const char *name = p->t.s;
		sl_px_next(p);
		if (is_op(p, '('))
			return parse_call(p, name, off);
		*chain = true;
		return column(p, name, off);
	}
	case TK_IDENT: break;
	case TK_OP:
		if (p->t.op == '(') {
			sl_px_next(p);
			sl_expr *e = parse_expr(p);
			if (!e || !expect(p, ')', "expected ')'"))
				return NULL;
			return e;
		}
		/* `*` only as a whole item or argument: in `value +* 2`
		 * the star is the error */
		if (p->t.op == '*' && p->star_ok) {
			sl_px_next(p);
			return sl_px_node(p, EX_STAR, off);
		}
		return sl_px_fail(p, "expected an expression");
	default: return sl_px_fail(p, "expected an expression");
	}
	if (is_kw(p, "NULL")) {
		sl_px_next(p);
		return sl_px_lit(p, off, sl_v_null(), &sl_dtype_null);
	}
	if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
		bool b = is_kw(p, "TRUE");
		sl_px_next(p);
		return sl_px_lit(p, off, sl_v_bool(b), &sl_dtype_bool);
	}
	if (is_kw(p, "CASE"))
		return parse_case(p);
	const char *name = p->t.s;
	if (reserved_word(name))
		return sl_px_fail(p, "expected an expression");
	sl_px_next(p);
	if (is_op(p, '(')) {
		if (!strcasecmp(name, "CAST") || !strcasecmp(name, "TRY_CAST"))
			return parse_cast(p, off,
					  !strcasecmp(name, "TRY_CAST"));
		return parse_call(p, name, off);
	}
	if (p->t.type == TK_STR && !strcasecmp(name, "DATE"))
		return sl_px_typed_lit(p, SL_DATE, off);
	if (p->t.type == TK_STR && (!strcasecmp(name, "TIMESTAMP") ||
				    !strcasecmp(name, "TIMESTAMP_LTZ")))
		return sl_px_typed_lit(p, SL_TIMESTAMP, off);
	if (p->t.type == TK_STR && !strcasecmp(name, "TIMESTAMP_NTZ"))
		return sl_px_typed_lit(p, SL_TIMESTAMP_NTZ, off);
	if (p->t.type == TK_STR && !strcasecmp(name, "X") &&
	    p->t.off == off + 1 && p->text[p->t.off] == '\'')
		return sl_px_binary_lit(p, off);
	if (!strcasecmp(name, "INTERVAL") && sl_px_interval_ahead(p))
		return sl_px_interval_lit(p, off);
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
			sl_px_next(p);
			sl_expr *i = parse_expr(p);
			if (!i || !expect(p, ']', "expected ']'"))
				return NULL;
			e = node2(p, EX_INDEX, 0, e, i, off);
			e->pos = e->args[0]->pos;
			chain = false;
			continue;
		}
		if (is_op(p, OP_DCOLON)) {
			/* x::type is CAST(x AS type) */
			sl_px_next(p);
			const sl_dtype *t = parse_type(p);
			if (!t)
				return NULL;
			e = cast_node(p, e, t, off);
			e->pos = e->args[0]->pos;
			chain = false;
			continue;
		}
		if (!is_op(p, '.'))
			break;
		sl_px_next(p);
		if (chain && is_op(p, '*')) {
			sl_px_next(p);
			e->kind = EX_STAR;
			return e;
		}
		if (p->t.type != TK_IDENT && p->t.type != TK_QIDENT)
			return sl_px_fail(p, "expected a field name after '.'");
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
		sl_px_next(p);
	}
	return e;
}

static sl_expr *parse_unary(parser *p)
{
	size_t off = p->t.off;
	if (is_op(p, '-')) {
		sl_px_next(p);
		if (p->t.type == TK_NUM)
			return sl_px_num_lit(p, true, off);
		if (!enter(p))
			return NULL;
		sl_expr *x = parse_unary(p);
		p->depth--;
		return x ? node2(p, EX_NEG, 0, x, NULL, off) : NULL;
	}
	if (is_op(p, '+')) {
		sl_px_next(p);
		if (!enter(p))
			return NULL;
		sl_expr *x = parse_unary(p);
		p->depth--;
		/* Spark's UnaryPositive: the value, named (+ a), (+ 1) */
		return x ? node2(p, EX_NEG, 1, x, NULL, off) : NULL;
	}
	if (is_op(p, '~')) {
		sl_px_next(p);
		if (!enter(p))
			return NULL;
		sl_expr *x = parse_unary(p);
		p->depth--;
		if (!x)
			return NULL;
		/* bitwise NOT: a call only the parser makes (fn_math.c) */
		sl_expr *e = node2(p, EX_FUNC, 0, x, NULL, off);
		e->ident = "~ op";
		return e;
	}
	return parse_postfix(p);
}

static sl_expr *parse_mul(parser *p)
{
	sl_expr *l = parse_unary(p);
	while (l && (is_op(p, '*') || is_op(p, '/') || is_op(p, '%') ||
		     is_kw(p, "DIV"))) {
		if (is_kw(p, "DIV")) {
			/* integral division: a call only the parser makes */
			sl_px_next(p);
			sl_expr *r = parse_unary(p);
			if (!r)
				return NULL;
			int pos = l->pos;
			l = node2(p, EX_FUNC, 0, l, r, 0);
			l->ident = "div op";
			l->pos = pos;
			continue;
		}
		int op = p->t.op;
		sl_px_next(p);
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
		sl_px_next(p);
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

/* The bitwise operators, below + - and above comparisons, as Spark's
 * grammar has them: & binds tighter than ^, ^ tighter than |. Each is a
 * call only the parser makes ("& op", ...: expr/fn_math.c). */
static sl_expr *parse_bit_level(parser *p, int level)
{
	static const int ops[] = { '&', '^', '|' };
	static const char *const names[] = { "& op", "^ op", "| op" };
	sl_expr *l = level ? parse_bit_level(p, level - 1)
			   : sl_px_shift(p, parse_add);
	while (l && is_op(p, ops[level])) {
		sl_px_next(p);
		sl_expr *r = level ? parse_bit_level(p, level - 1)
				   : sl_px_shift(p, parse_add);
		if (!r)
			return NULL;
		int pos = l->pos;
		l = node2(p, EX_FUNC, 0, l, r, 0);
		l->ident = names[level];
		l->pos = pos;
	}
	return l;
}

static sl_expr *parse_bits(parser *p)
{
	return parse_bit_level(p, 2);
}

static sl_expr *parse_cmp(parser *p)
{
	sl_expr *l = parse_bits(p);
	int op;
	while (l && (op = cmp_op(p)) >= 0) {
		sl_px_next(p);
		sl_expr *r = parse_bits(p);
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

/* x [NOT] LIKE ANY|ALL (p, ...), after LIKE: Spark's likeany(x),
 * likeall(x), notlikeany(x), notlikeall(x); with a NULL pattern, as Spark
 * rewrites it, the OR (ANY) or AND (ALL) of the LIKEs. */
static sl_expr *parse_like_quantified(parser *p, sl_expr *l, bool nt)
{
	bool any = is_kw(p, "ANY");
	sl_px_next(p);
	if (!expect(p, '(', "expected '('"))
		return NULL;
	vec v = { 0 };
	vec_push(p, &v, l);
	if (!parse_list_rest(p, &v, false))
		return NULL;
	bool has_null = false;
	for (uint32_t i = 1; i < v.n; i++)
		has_null |= v.v[i]->kind == EX_LIT &&
			    v.v[i]->lit.type == SL_NULL;
	if (has_null && !nt) {
		sl_expr *acc = NULL;
		for (uint32_t i = 1; i < v.n; i++) {
			sl_expr *x = i == 1 ? l : clone(p, l);
			sl_expr *k = node2(p, EX_LIKE, 0, x, v.v[i], 0);
			k->pos = l->pos;
			k->col = '\\';
			acc = acc ? node2(p, any ? EX_OR : EX_AND, 0, acc, k, 0)
				  : k;
			acc->pos = l->pos;
		}
		return acc;
	}
	sl_expr *e = sl_px_node(p, EX_FUNC, 0);
	e->pos = l->pos;
	/* a name no unquoted call can write: the syntax's own */
	e->ident = nt ? (any ? "not like any" : "not like all")
		      : (any ? "like any" : "like all");
	e->args = v.v;
	e->nargs = v.n;
	return e;
}

/* x [NOT] IN (...), [NOT] LIKE, [NOT] RLIKE, [NOT] BETWEEN, IS [NOT] NULL */
static sl_expr *parse_predicated(parser *p)
{
	sl_expr *l = parse_cmp(p);
	if (!l)
		return NULL;
	if (is_kw(p, "IS")) {
		sl_px_next(p);
		bool nt = is_kw(p, "NOT");
		if (nt)
			sl_px_next(p);
		/* IS [NOT] DISTINCT FROM y: NOT (x <=> y), (x <=> y) */
		if (is_kw(p, "DISTINCT")) {
			sl_px_next(p);
			if (!expect_kw(p, "FROM", "expected FROM"))
				return NULL;
			sl_expr *r = parse_cmp(p);
			if (!r)
				return NULL;
			sl_expr *e = node2(p, EX_CMP, CMP_NSEQ, l, r, 0);
			e->pos = l->pos;
			return negate(p, e, !nt);
		}
		/* IS [NOT] TRUE / FALSE: (x <=> true), NOT (x <=> false) */
		if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
			size_t boff = p->t.off;
			bool bv = is_kw(p, "TRUE");
			sl_px_next(p);
			sl_expr *b = sl_px_lit(p, boff, sl_v_bool(bv), &sl_dtype_bool);
			sl_expr *e = node2(p, EX_CMP, CMP_NSEQ, l, b, 0);
			e->pos = l->pos;
			return negate(p, e, nt);
		}
		/* IS [NOT] UNKNOWN: IS [NOT] NULL of a boolean (op 1) */
		bool unknown = is_kw(p, "UNKNOWN");
		if (unknown)
			sl_px_next(p);
		else if (!expect_kw(p, "NULL",
				    nt ? "expected NULL, TRUE, FALSE, UNKNOWN "
					 "or DISTINCT FROM"
				       : "expected NULL, NOT NULL, TRUE, "
					 "FALSE, UNKNOWN or DISTINCT FROM"))
			return NULL;
		sl_expr *e = node2(p, EX_ISNULL, unknown, l, NULL, 0);
		e->pos = l->pos;
		if (nt)
			e->flags |= EXF_NOT;
		return e;
	}
	bool nt = false;
	if (is_kw(p, "NOT")) {
		nt = true;
		sl_px_next(p);
		if (!is_kw(p, "IN") && !is_kw(p, "LIKE") &&
		    !is_kw(p, "ILIKE") && !is_kw(p, "RLIKE") &&
		    !is_kw(p, "REGEXP") && !is_kw(p, "BETWEEN"))
			return sl_px_fail(p, "expected IN, LIKE, ILIKE, RLIKE or "
				       "BETWEEN");
	}
	/* x ILIKE y [ESCAPE 'c']: Spark's ilike(x, y[, c]) */
	if (is_kw(p, "ILIKE")) {
		sl_px_next(p);
		sl_expr *r = parse_cmp(p);
		if (!r)
			return NULL;
		vec v = { 0 };
		vec_push(p, &v, l);
		vec_push(p, &v, r);
		if (is_kw(p, "ESCAPE")) {
			sl_px_next(p);
			if (p->t.type != TK_STR)
				return sl_px_fail(p, "expected the escape string");
			vec_push(p, &v, sl_px_str_lit(p));
		}
		sl_expr *e = sl_px_node(p, EX_FUNC, l->pos);
		e->ident = "ilike";
		e->args = v.v;
		e->nargs = v.n;
		return negate(p, e, nt);
	}
	if (is_kw(p, "IN")) {
		sl_px_next(p);
		if (!expect(p, '(', "expected '('"))
			return NULL;
		vec v = { 0 };
		vec_push(p, &v, l);
		if (!parse_list_rest(p, &v, false))
			return NULL;
		sl_expr *e = sl_px_node(p, EX_IN, 0);
		e->pos = l->pos;
		e->args = v.v;
		e->nargs = v.n;
		return negate(p, e, nt);
	}
	if (is_kw(p, "LIKE") || is_kw(p, "RLIKE") || is_kw(p, "REGEXP")) {
		bool re = !is_kw(p, "LIKE");
		sl_px_next(p);
		if (!re && (is_kw(p, "ANY") || is_kw(p, "ALL")))
			return parse_like_quantified(p, l, nt);
		sl_expr *r = parse_cmp(p);
		if (!r)
			return NULL;
		sl_expr *e = node2(p, EX_LIKE, re, l, r, 0);
		e->pos = l->pos;
		e->col = '\\';
		if (!re && is_kw(p, "ESCAPE")) {
			size_t eoff = p->t.off;
			sl_px_next(p);
			if (p->t.type != TK_STR || p->t.slen != 1) {
				char why[160];
				snprintf(
					why, sizeof(why),
					"[INVALID_ESC] Found an invalid escape "
					"string: '%.*s'. The escape string "
					"must contain only one character",
					p->t.type == TK_STR ? (int)p->t.slen
							    : 0,
					p->t.type == TK_STR ? p->t.s : "");
				return sl_px_fail_at(p, eoff,
					       p->t.off + p->t.len - eoff, why);
			}
			e->col = (unsigned char)p->t.s[0];
			sl_px_next(p);
		}
		return negate(p, e, nt);
	}
	if (is_kw(p, "BETWEEN")) {
		sl_px_next(p);
		sl_expr *lo = parse_cmp(p);
		if (!lo || !expect_kw(p, "AND", "expected AND"))
			return NULL;
		sl_expr *hi = parse_cmp(p);
		if (!hi)
			return NULL;
		/* evaluated as ((x >= lo) AND (x <= hi)) */
		sl_expr *a = node2(p, EX_CMP, CMP_GE, l, lo, 0);
		sl_expr *b = node2(p, EX_CMP, CMP_LE, clone(p, l), hi, 0);
		a->pos = b->pos = l->pos;
		/* op 1: named between(x, lo, hi) as Spark 4 does */
		sl_expr *e = node2(p, EX_AND, 1, a, b, 0);
		e->pos = l->pos;
		return negate(p, e, nt);
	}
	return l;
}

static sl_expr *parse_not(parser *p)
{
	if (is_kw(p, "NOT") || is_op(p, '!')) {
		size_t off = p->t.off;
		sl_px_next(p);
		if (!enter(p))
			return NULL;
		sl_expr *x = parse_not(p);
		p->depth--;
		return x ? node2(p, EX_NOT, 0, x, NULL, off) : NULL;
	}
	return parse_predicated(p);
}

/* A left-associative chain `operand KW operand KW ...` of kind nodes, each
 * at the position of its leftmost operand. */
static sl_expr *parse_chain(parser *p, const char *kw, sl_ex_kind kind,
			    sl_expr *(*operand)(parser *p))
{
	sl_expr *l = operand(p);
	while (l && is_kw(p, kw)) {
		sl_px_next(p);
		sl_expr *r = operand(p);
		if (!r)
			return NULL;
		int pos = l->pos;
		l = node2(p, kind, 0, l, r, 0);
		l->pos = pos;
	}
	return l;
}

static sl_expr *parse_and(parser *p)
{
	return parse_chain(p, "AND", EX_AND, parse_not);
}

static sl_expr *parse_expr(parser *p)
{
	if (!enter(p))
		return NULL;
	sl_expr *e = parse_chain(p, "OR", EX_OR, parse_and);
	p->depth--;
	return e;
}

sl_expr *sl_expr_parse(const char *text, bool allow_alias, sl_arena *a,
		       sl_err *err)
{
	parser p = {
		.text = text ? text : "", .a = a, .err = err, .pos_char = 1
	};
	sl_lex_init(&p.lx, p.text, a);
	sl_px_next(&p);
	p.star_ok = true;
	if (p.t.type == TK_EOF)
		return sl_px_fail(&p, "expected an expression");
	sl_expr *e = parse_expr(&p);
	if (!e)
		return NULL;
	if (is_kw(&p, "AS") && !allow_alias)
		return sl_px_fail(&p, "an alias is not allowed here");
	if (allow_alias) {
		if (is_kw(&p, "AS")) {
			sl_px_next(&p);
			if (is_op(&p, '(')) /* a generator's columns */
				return sl_px_aliases(&p, e) ? e : NULL;
			if (p.t.type != TK_IDENT && p.t.type != TK_QIDENT)
				return sl_px_fail(&p, "expected a name after AS");
			e->alias = p.t.s;
			sl_px_next(&p);
		} else if (p.t.type == TK_QIDENT ||
			   (p.t.type == TK_IDENT && !is_reserved(&p))) {
			e->alias = p.t.s;
			sl_px_next(&p);
		}
	}
	if (p.t.type != TK_EOF)
		return sl_px_fail(&p, "expected end of expression");
	return e;
}
