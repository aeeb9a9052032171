/* expr/fn_bits.c - the operator group: Spark's bitwise operators a & b,
 * a | b, a ^ b, ~a, the shifts a << n, a >> n, a >>> n and integral
 * division a div b. The parser (expr/
 * parse.c) makes each a call of a name no unquoted call can write ("& op",
 * "div op", ...), so they are operators, not functions a query could
 * call; their names are Spark's: (a & b), ~a, (a div b).
 *
 * Types as Spark's: the bitwise operators take integral operands
 * (TINYINT .. BIGINT) and give the wider one; div takes integral or
 * DECIMAL operands (with ANSI on a string too, as a BIGINT) and gives a
 * BIGINT, truncated toward zero. A zero divisor is DIVIDE_BY_ZERO with
 * ANSI on and null without; BIGINT's smallest value div -1 overflows
 * (ARITHMETIC_OVERFLOW, or the wrapped value without ANSI). */
#include <stdio.h>
#include <string.h>

#include "expr/fn.h"

static bool integral(const sl_dtype *t)
{
	int id = (int)t->id;
	return id == SL_INT || id == SL_LONG || id == SL_BYTE ||
	       id == SL_SHORT;
}

static const char *op_symbol(const sl_expr *e)
{
	switch (e->fn->name[0]) {
	case 'd': return "div";
	case '<': return "<<";
	case '>': return e->fn->name[2] == '>' ? ">>>" : ">>";
	case '&': return "&";
	case '|': return "|";
	case '^': return "^";
	default: return "~";
	}
}

/* "(a OP b)" or "~a", Spark's names. */
static void name_it(sl_bind_ctx *cx, sl_expr *e)
{
	const char *a0 = sl_sql_of(cx, e->args[0]);
	const char *a1 = e->nargs > 1 ? sl_sql_of(cx, e->args[1]) : "";
	size_t n = strlen(a0) + strlen(a1) + 16;
	char *s = sl_arena_alloc(cx->a, n);
	if (e->nargs == 1)
		snprintf(s, n, "~%s", a0);
	else
		snprintf(s, n, "(%s %s %s)", a0, op_symbol(e), a1);
	e->sql = s;
}

static int64_t as_i64(const sl_value *v)
{
	return v->type == SL_LONG ? v->v.i64 : v->v.i32;
}

/* The result in the operator's integral type: SL_INT carries TINYINT,
 * SMALLINT and INT (narrowed to the type's width, as Java's arithmetic
 * on bytes and shorts then the cast back does). */
static sl_value of_type(const sl_dtype *t, int64_t r)
{
	switch ((int)t->id) {
	case SL_BYTE: return sl_v_int((int8_t)(uint8_t)r);
	case SL_SHORT: return sl_v_int((int16_t)(uint16_t)r);
	case SL_INT: return sl_v_int((int32_t)(uint32_t)r);
	default: return sl_v_long(r);
	}
}

static int ev_bits(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	int64_t l = as_i64(&x), r;
	char op = e->fn->name[0];
	if (op == '~') {
		r = ~l;
	} else {
		FN_ARG_OR_NULL(1, y);
		int64_t m = as_i64(&y);
		r = op == '&' ? (l & m) : op == '|' ? (l | m) : (l ^ m);
	}
	*out = of_type(e->type, r);
	return 0;
}

static int bind_bits(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	for (uint32_t i = 1; i < e->nargs; i++) {
		const sl_dtype *u = e->args[i]->type;
		t = t->id == SL_NULL ? u
		    : u->id == SL_NULL ? t
				       : sl_wider_type(t, u, false);
	}
	name_it(cx, e);
	if (t && t->id == SL_NULL)
		t = &sl_dtype_int;
	if (!t || !integral(t)) {
		char ta[64], tb[64];
		sl_dtype_name(e->args[0]->type, ta, sizeof(ta));
		sl_dtype_name(e->args[e->nargs - 1]->type, tb, sizeof(tb));
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
			"'%s' takes integral operands, not %s and %s", e->sql,
			ta, tb);
	}
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_coerce(cx, &e->args[i], t, err);
		if (rc)
			return rc;
	}
	e->type = t;
	e->eval = ev_bits;
	return 0;
}

/* ---- div ----------------------------------------------------------------- */

static int div_zero(sl_err *err)
{
	return sl_runtime_error(
		err, "DIVIDE_BY_ZERO",
		"Division by zero. Use `try_divide` to tolerate divisor being "
		"0 and return NULL instead. If necessary set "
		"\"spark.sql.ansi.enabled\" to \"false\" to bypass this "
		"error. SQLSTATE: 22012");
}

static int div_overflow(sl_err *err)
{
	return sl_runtime_error(
		err, "ARITHMETIC_OVERFLOW",
		"Overflow in integral divide. Use 'try_divide' to tolerate "
		"overflow and return NULL instead. If necessary set "
		"\"spark.sql.ansi.enabled\" to \"false\" to bypass this "
		"error. SQLSTATE: 22003");
}

/* A decimal operand as its unscaled value and scale (integers: scale 0). */
static sl_dec_u unscaled(const sl_value *v, int *scale)
{
	if (v->type == SL_DECIMAL) {
		*scale = v->pad[1];
		return sl_v_dec_get(v);
	}
	*scale = 0;
	return as_i64(v);
}

static int ev_div(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	bool ansi = e->flags & EXF_ANSI;
	*out = sl_v_null();
	int sa, sb;
	sl_dec_u num = unscaled(&x, &sa), den = unscaled(&y, &sb);
	if (den == 0)
		return ansi ? div_zero(err) : 0;
	/* a common scale, then the quotient of the unscaled values, which
	 * truncates toward zero as Java's BigDecimal.divideToIntegralValue */
	for (; sa < sb; sa++)
		if (__builtin_mul_overflow(num, (sl_dec_u)10, &num))
			return ansi ? div_overflow(err) : 0;
	for (; sb < sa; sb++)
		if (__builtin_mul_overflow(den, (sl_dec_u)10, &den)) {
			/* |den| beyond 38 digits: |num / den| < 1 */
			*out = sl_v_long(0);
			return 0;
		}
	sl_dec_u q;
	if (den == -1)
		q = -num; /* no int128 overflow: num has at most 39 digits */
	else
		q = num / den;
	if (q > INT64_MAX || q < INT64_MIN) {
		if (ansi)
			return div_overflow(err);
		*out = sl_v_long((int64_t)(uint64_t)q); /* Java's longValue */
		return 0;
	}
	*out = sl_v_long((int64_t)q);
	return 0;
}

static int bind_div(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	name_it(cx, e);
	for (uint32_t i = 0; i < 2; i++) {
		const sl_dtype *t = e->args[i]->type;
		/* with ANSI on a string is a BIGINT here, as in Spark 4 */
		if (t->id == SL_STRING && cx->ansi)
			t = &sl_dtype_long;
		if (t->id == SL_NULL)
			t = &sl_dtype_long;
		if (!integral(t) && t->id != SL_DECIMAL) {
			char ta[64], tb[64];
			sl_dtype_name(e->args[0]->type, ta, sizeof(ta));
			sl_dtype_name(e->args[1]->type, tb, sizeof(tb));
			return sl_type_mismatch_cls(
				err, e, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
				"'%s' takes integral or decimal operands, not "
				"%s and %s",
				e->sql, ta, tb);
		}
		if (t->id != SL_DECIMAL) {
			int rc = sl_coerce(cx, &e->args[i], &sl_dtype_long, err);
			if (rc)
				return rc;
		}
	}
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = &sl_dtype_long;
	e->eval = ev_div;
	return 0;
}

/* a << n, a >> n, a >>> n: shiftleft, shiftright, shiftrightunsigned */
static int bind_shift_op(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	name_it(cx, e);
	const char *f = e->fn->name;
	return sl_fn_bind_shift(cx, e, f[0] == '<' ? 0 : f[2] == '>' ? 2 : 1,
				err);
}

const sl_func sl_funcs_ops[] = {
	{ "<< op", 2, 2, FN_SYNTAX, bind_shift_op, "base << expr",
	  "shiftleft(base, expr).", "1 << 2" },
	{ ">> op", 2, 2, FN_SYNTAX, bind_shift_op, "base >> expr",
	  "shiftright(base, expr).", "-8 >> 1" },
	{ ">>> op", 2, 2, FN_SYNTAX, bind_shift_op, "base >>> expr",
	  "shiftrightunsigned(base, expr).", "-8 >>> 1" },
	{ "& op", 2, 2, FN_SYNTAX, bind_bits, "expr1 & expr2",
	  "Bitwise AND of two integral values.", "5 & 3" },
	{ "^ op", 2, 2, FN_SYNTAX, bind_bits, "expr1 ^ expr2",
	  "Bitwise exclusive OR of two integral values.", "5 ^ 3" },
	{ "div op", 2, 2, FN_SYNTAX, bind_div, "expr1 div expr2",
	  "expr1 divided by expr2, truncated to a BIGINT (integral or "
	  "decimal operands).",
	  "7 div 2" },
	{ "| op", 2, 2, FN_SYNTAX, bind_bits, "expr1 | expr2",
	  "Bitwise OR of two integral values.", "5 | 3" },
	{ "~ op", 1, 1, FN_SYNTAX, bind_bits, "~expr",
	  "Bitwise NOT of an integral value.", "~5" },
};
const size_t sl_funcs_ops_n = SL_NFUNCS(sl_funcs_ops);
