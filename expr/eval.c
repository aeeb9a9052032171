/* expr/eval.c - per-row evaluation of operators.
 *
 * Bind picks one small function per node for its operand types, so a
 * comparison of a long column with a literal is a call, two loads, a null
 * test and a compare. Spark's null rules are implemented here: null in,
 * null out for arithmetic and comparisons (except <=>), SQL three-valued
 * AND/OR/NOT, IN with nulls, and, per the ANSI setting bind saw, either
 * Spark's errors (overflow, division by zero) or its legacy nulls and
 * wraparound. */
#include <math.h>
#include <stdio.h>

#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

#define OPERANDS() SL_EVAL_OPERANDS()

static int ev_null(EV_ARGS)
{
	*out = sl_v_null();
	return 0;
}

/* ---- arithmetic ------------------------------------------------------- */

/* Java's wrapping integer arithmetic, which Spark (ANSI off) keeps. */
#define ARITH(name, field, mk, T, UT, body)                                    \
	static int name(EV_ARGS)                                               \
	{                                                                      \
		OPERANDS();                                                    \
		T l = x->v.field, r = y->v.field;                              \
		(void)l;                                                       \
		(void)r;                                                       \
		body;                                                          \
		return 0;                                                      \
	}

ARITH(ev_add_i, i32, sl_v_int, int32_t, uint32_t,
      *out = sl_v_int((int32_t)((uint32_t)l + (uint32_t)r)))
ARITH(ev_sub_i, i32, sl_v_int, int32_t, uint32_t,
      *out = sl_v_int((int32_t)((uint32_t)l - (uint32_t)r)))
ARITH(ev_mul_i, i32, sl_v_int, int32_t, uint32_t,
      *out = sl_v_int((int32_t)((uint32_t)l * (uint32_t)r)))
ARITH(ev_mod_i, i32, sl_v_int, int32_t, uint32_t,
      *out = r == 0 ? sl_v_null() : sl_v_int(r == -1 ? 0 : l % r))
ARITH(ev_add_l, i64, sl_v_long, int64_t, uint64_t,
      *out = sl_v_long((int64_t)((uint64_t)l + (uint64_t)r)))
ARITH(ev_sub_l, i64, sl_v_long, int64_t, uint64_t,
      *out = sl_v_long((int64_t)((uint64_t)l - (uint64_t)r)))
ARITH(ev_mul_l, i64, sl_v_long, int64_t, uint64_t,
      *out = sl_v_long((int64_t)((uint64_t)l * (uint64_t)r)))
ARITH(ev_mod_l, i64, sl_v_long, int64_t, uint64_t,
      *out = r == 0 ? sl_v_null() : sl_v_long(r == -1 ? 0 : l % r))
ARITH(ev_add_d, f64, sl_v_double, double, double, *out = sl_v_double(l + r))
ARITH(ev_sub_d, f64, sl_v_double, double, double, *out = sl_v_double(l - r))
ARITH(ev_mul_d, f64, sl_v_double, double, double, *out = sl_v_double(l * r))
ARITH(ev_mod_d, f64, sl_v_double, double, double,
      *out = r == 0 ? sl_v_null() : sl_v_double(fmod(l, r)))
ARITH(ev_div_d, f64, sl_v_double, double, double,
      *out = r == 0 ? sl_v_null() : sl_v_double(l / r))

/* ---- ANSI mode: Spark's errors instead of wraparound and nulls -------- */

int sl_runtime_error(sl_err *err, const char *cls, const char *fmt, ...)
{
	if (err) {
		int n = snprintf(err->msg, sizeof(err->msg), "[%s] ", cls);
		va_list ap;
		va_start(ap, fmt);
		if (n > 0 && (size_t)n < sizeof(err->msg))
			vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n,
				  fmt, ap);
		va_end(ap);
		err->code = SL_EINVAL;
		err->pos = 0;
	}
	return SL_EINVAL;
}

#define SL_ANSI_BYPASS                                                         \
	"If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass "  \
	"this error."

static int overflow(sl_err *err, const char *try_fn)
{
	return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
				"overflow. Use '%s' to tolerate overflow and "
				"return NULL instead. " SL_ANSI_BYPASS
				" SQLSTATE: 22003",
				try_fn);
}

static int by_zero(sl_err *err, bool remainder)
{
	if (remainder)
		return sl_runtime_error(
			err, "REMAINDER_BY_ZERO",
			"Remainder by zero. Use `try_mod` to tolerate divisor "
			"being 0 and return NULL instead. " SL_ANSI_BYPASS
			" SQLSTATE: 22012");
	return sl_runtime_error(err, "DIVIDE_BY_ZERO",
				"Division by zero. Use `try_divide` to "
				"tolerate divisor being 0 and return NULL "
				"instead. " SL_ANSI_BYPASS " SQLSTATE: 22012");
}

/* Java's Math.addExact and friends, as Spark's ANSI arithmetic. */
#define CHECKED(name, field, mk, T, builtin, try_fn)                           \
	ARITH(name, field, mk, T, T, {                                         \
		T res;                                                         \
		if (builtin(l, r, &res))                                       \
			return overflow(err, try_fn);                          \
		*out = mk(res);                                                \
	})

CHECKED(ev_add_i_ansi, i32, sl_v_int, int32_t, __builtin_add_overflow,
	"try_add")
CHECKED(ev_sub_i_ansi, i32, sl_v_int, int32_t, __builtin_sub_overflow,
	"try_subtract")
CHECKED(ev_mul_i_ansi, i32, sl_v_int, int32_t, __builtin_mul_overflow,
	"try_multiply")
CHECKED(ev_add_l_ansi, i64, sl_v_long, int64_t, __builtin_add_overflow,
	"try_add")
CHECKED(ev_sub_l_ansi, i64, sl_v_long, int64_t, __builtin_sub_overflow,
	"try_subtract")
CHECKED(ev_mul_l_ansi, i64, sl_v_long, int64_t, __builtin_mul_overflow,
	"try_multiply")
ARITH(ev_mod_i_ansi, i32, sl_v_int, int32_t, uint32_t, {
	if (r == 0)
		return by_zero(err, true);
	*out = sl_v_int(r == -1 ? 0 : l % r);
})
ARITH(ev_mod_l_ansi, i64, sl_v_long, int64_t, uint64_t, {
	if (r == 0)
		return by_zero(err, true);
	*out = sl_v_long(r == -1 ? 0 : l % r);
})
ARITH(ev_mod_d_ansi, f64, sl_v_double, double, double, {
	if (r == 0)
		return by_zero(err, true);
	*out = sl_v_double(fmod(l, r));
})
ARITH(ev_div_d_ansi, f64, sl_v_double, double, double, {
	if (r == 0)
		return by_zero(err, false);
	*out = sl_v_double(l / r);
})

/* TINYINT and SMALLINT (int-tagged values): computed in 64 bits, then
 * Java's (byte)/(short) wrap, or with ANSI on Spark's error naming the
 * operands (which it prints as SMALLINT literals for both types). */
static int ev_arith_narrow(EV_ARGS)
{
	OPERANDS();
	int64_t l = x->v.i32, r = y->v.i32, res;
	const char *try_fn = "try_add";
	bool ansi = e->flags & EXF_ANSI;
	switch (e->op) {
	case '+': res = l + r; break;
	case '-':
		res = l - r;
		try_fn = "try_subtract";
		break;
	case '*':
		res = l * r;
		try_fn = "try_multiply";
		break;
	default:
		if (r == 0) {
			if (ansi)
				return by_zero(err, true);
			*out = sl_v_null();
			return 0;
		}
		res = l % r;
	}
	int64_t lim = e->type->id == SL_BYTE ? 128 : 32768;
	if (ansi && (res < -lim || res >= lim))
		return sl_runtime_error(
			err, "BINARY_ARITHMETIC_OVERFLOW",
			"%dS %c %dS caused overflow. Use `%s` to "
			"ignore overflow problem and return "
			"NULL. SQLSTATE: 22003",
			x->v.i32, e->op, y->v.i32, try_fn);
	*out = sl_v_int(e->type->id == SL_BYTE ? (int8_t)res : (int16_t)res);
	return 0;
}

static int ev_neg_narrow(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	int32_t lim = e->type->id == SL_BYTE ? 128 : 32768;
	if (out->v.i32 == -lim && (e->flags & EXF_ANSI))
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"overflow. " SL_ANSI_BYPASS
					" SQLSTATE: 22003");
	out->v.i32 = e->type->id == SL_BYTE ? (int8_t)-out->v.i32
					    : (int16_t)-out->v.i32;
	return 0;
}

/* date + n, n + date, date - n (operands: the date first after bind's
 * ordering is not guaranteed, so look at the tags) */
static int ev_date_add(EV_ARGS)
{
	OPERANDS();
	int32_t d = x->type == SL_DATE ? x->v.i32 : y->v.i32;
	int32_t n = x->type == SL_DATE ? y->v.i32 : x->v.i32;
	if (e->op == '-')
		n = (int32_t)(0u - (uint32_t)n);
	*out = sl_v_date((int32_t)((uint32_t)d + (uint32_t)n));
	return 0;
}

static int ev_neg_ansi(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	if ((out->type == SL_INT && out->v.i32 == INT32_MIN) ||
	    (out->type == SL_LONG && out->v.i64 == INT64_MIN))
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"overflow. " SL_ANSI_BYPASS
					" SQLSTATE: 22003");
	if (out->type == SL_INT)
		out->v.i32 = -out->v.i32;
	else if (out->type == SL_LONG)
		out->v.i64 = -out->v.i64;
	else
		out->v.f64 = -out->v.f64;
	return 0;
}

static int ev_plus(EV_ARGS)
{
	return sl_eval_child(e->args[0], row, a, out, err);
}

static int ev_neg(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (rc || out->type == SL_NULL)
		return rc;
	if (out->type == SL_INT)
		out->v.i32 = (int32_t)(0u - (uint32_t)out->v.i32);
	else if (out->type == SL_LONG)
		out->v.i64 = (int64_t)(0ull - (uint64_t)out->v.i64);
	else
		out->v.f64 = -out->v.f64;
	return 0;
}

/* ---- comparisons ------------------------------------------------------ */

/* truth of each operator for a three-way result -1, 0, 1 */
static const bool cmp_tt[7][3] = {
	[CMP_EQ] = { 0, 1, 0 },	  [CMP_NE] = { 1, 0, 1 },
	[CMP_LT] = { 1, 0, 0 },	  [CMP_LE] = { 1, 1, 0 },
	[CMP_GT] = { 0, 0, 1 },	  [CMP_GE] = { 0, 1, 1 },
	[CMP_NSEQ] = { 0, 1, 0 },
};

/* Spark compares NaN as equal to itself and above everything else. */
static inline int dcmp(double l, double r)
{
	if (l < r)
		return -1;
	if (l > r)
		return 1;
	if (l == r)
		return 0;
	return isnan(l) ? !isnan(r) : -1;
}

static inline int bcmp3(const sl_value *x, const sl_value *y)
{
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->v.str, y->v.str, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return (x->len > y->len) - (x->len < y->len);
}

#define CMP(name, expr)                                                        \
	static int name(EV_ARGS)                                               \
	{                                                                      \
		OPERANDS();                                                    \
		int c = (expr);                                                \
		*out = sl_v_bool(cmp_tt[e->op][c + 1]);                        \
		return 0;                                                      \
	}

CMP(ev_cmp_i32, (x->v.i32 > y->v.i32) - (x->v.i32 < y->v.i32))
CMP(ev_cmp_i64, (x->v.i64 > y->v.i64) - (x->v.i64 < y->v.i64))
CMP(ev_cmp_f64, dcmp(x->v.f64, y->v.f64))
CMP(ev_cmp_bool, (int)x->v.b - (int)y->v.b)
CMP(ev_cmp_bytes, bcmp3(x, y))
CMP(ev_cmp_any, sl_value_cmp(x, y))

bool sl_value_eq(const sl_value *x, const sl_value *y)
{
	switch (x->type) {
	case SL_INT:
	case SL_DATE: return x->v.i32 == y->v.i32;
	case SL_LONG:
	case SL_TIMESTAMP: return x->v.i64 == y->v.i64;
	case SL_DOUBLE: return dcmp(x->v.f64, y->v.f64) == 0;
	case SL_BOOL: return x->v.b == y->v.b;
	case SL_STRING:
	case SL_BINARY:
		return x->len == y->len &&
		       (!x->len || !memcmp(x->v.str, y->v.str, x->len));
	default: return sl_value_cmp(x, y) == 0;
	}
}

/* a <=> b: null-safe equality, never null */
static int ev_nseq(EV_ARGS)
{
	sl_value t0, t1;
	const sl_value *x, *y;
	int rc = sl_eval_operand(e->args[0], row, a, &t0, &x, err);
	if (!rc)
		rc = sl_eval_operand(e->args[1], row, a, &t1, &y, err);
	if (rc)
		return rc;
	if (x->type == SL_NULL || y->type == SL_NULL)
		*out = sl_v_bool(x->type == y->type);
	else
		*out = sl_v_bool(sl_value_eq(x, y));
	return 0;
}

/* ---- logic ------------------------------------------------------------ */

static int ev_and(EV_ARGS)
{
	sl_value l, r;
	int rc = sl_eval_child(e->args[0], row, a, &l, err);
	if (rc)
		return rc;
	if (l.type == SL_BOOL && !l.v.b) {
		*out = l;
		return 0;
	}
	if ((rc = sl_eval_child(e->args[1], row, a, &r, err)))
		return rc;
	if (r.type == SL_BOOL && !r.v.b)
		*out = r;
	else if (l.type == SL_NULL || r.type == SL_NULL)
		*out = sl_v_null();
	else
		*out = sl_v_bool(true);
	return 0;
}

static int ev_or(EV_ARGS)
{
	sl_value l, r;
	int rc = sl_eval_child(e->args[0], row, a, &l, err);
	if (rc)
		return rc;
	if (l.type == SL_BOOL && l.v.b) {
		*out = l;
		return 0;
	}
	if ((rc = sl_eval_child(e->args[1], row, a, &r, err)))
		return rc;
	if (r.type == SL_BOOL && r.v.b)
		*out = r;
	else if (l.type == SL_NULL || r.type == SL_NULL)
		*out = sl_v_null();
	else
		*out = sl_v_bool(false);
	return 0;
}

static int ev_not(EV_ARGS)
{
	int rc = sl_eval_child(e->args[0], row, a, out, err);
	if (!rc && out->type == SL_BOOL)
		out->v.b = !out->v.b;
	return rc;
}

static int ev_isnull(EV_ARGS)
{
	sl_value t;
	const sl_value *x;
	int rc = sl_eval_operand(e->args[0], row, a, &t, &x, err);
	if (rc)
		return rc;
	*out = sl_v_bool((x->type == SL_NULL) != !!(e->flags & EXF_NOT));
	return 0;
}

/* x IN (list): true on a match; otherwise null if x or any item is null,
 * else false. */
static int ev_in(EV_ARGS)
{
	sl_value t0, t1;
	const sl_value *x, *y;
	int rc = sl_eval_operand(e->args[0], row, a, &t0, &x, err);
	if (rc)
		return rc;
	if (x->type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	bool saw_null = false;
	for (uint32_t i = 1; i < e->nargs; i++) {
		if ((rc = sl_eval_operand(e->args[i], row, a, &t1, &y, err)))
			return rc;
		if (y->type == SL_NULL) {
			saw_null = true;
			continue;
		}
		if (sl_value_eq(x, y)) {
			*out = sl_v_bool(true);
			return 0;
		}
	}
	*out = saw_null ? sl_v_null() : sl_v_bool(false);
	return 0;
}

static int ev_case(EV_ARGS)
{
	uint32_t end = e->nargs - !!(e->flags & EXF_HAS_ELSE);
	for (uint32_t i = 0; i + 1 < end; i += 2) {
		sl_value c;
		int rc = sl_eval_child(e->args[i], row, a, &c, err);
		if (rc)
			return rc;
		if (c.type == SL_BOOL && c.v.b)
			return sl_eval_child(e->args[i + 1], row, a, out, err);
	}
	if (e->flags & EXF_HAS_ELSE)
		return sl_eval_child(e->args[e->nargs - 1], row, a, out, err);
	*out = sl_v_null();
	return 0;
}

/* ---- LIKE ------------------------------------------------------------- */

/* A LIKE pattern as a token list: literal runs, '_' (one character) and
 * '%' (any run; consecutive ones merged). */
enum { LK_LIT, LK_ONE, LK_ANY };

typedef struct like_tok {
	uint8_t kind;
	uint32_t len;
	const char *s;
} like_tok;

/* Patterns made of text and '%' alone have shapes that need no
 * backtracking: the usual 'abc', 'abc%', '%abc' and '%abc%'. */
enum { LS_GENERAL, LS_EXACT, LS_PREFIX, LS_SUFFIX, LS_CONTAINS, LS_ALL };

typedef struct like_pat {
	uint32_t n;
	uint8_t shape;
	const like_tok *text; /* the text of a shaped pattern */
	like_tok t[];
} like_pat;

static void like_shape(like_pat *lp)
{
	char sig[5] = { 0 };
	if (lp->n > 3)
		return;
	for (uint32_t i = 0; i < lp->n; i++) {
		if (lp->t[i].kind == LK_ONE)
			return;
		sig[i] = lp->t[i].kind == LK_ANY ? '%' : 'a';
		if (lp->t[i].kind == LK_LIT)
			lp->text = &lp->t[i];
	}
	lp->shape = !strcmp(sig, "a")	  ? LS_EXACT
		    : !strcmp(sig, "a%")  ? LS_PREFIX
		    : !strcmp(sig, "%a")  ? LS_SUFFIX
		    : !strcmp(sig, "%a%") ? LS_CONTAINS
		    : !strcmp(sig, "%")	  ? LS_ALL
					  : LS_GENERAL;
}

const void *sl_like_compile(const char *p, size_t n, char escape, sl_arena *a,
			    sl_err *err)
{
	like_pat *lp =
		sl_arena_alloc(a, sizeof(*lp) + (n + 1) * sizeof(like_tok));
	char *lit = sl_arena_alloc(a, n + 1);
	size_t o = 0;
	lp->n = 0;
	lp->shape = LS_GENERAL;
	lp->text = NULL;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == escape) {
			if (i + 1 == n) {
				sl_err_set(err, SL_EANALYSIS,
					   "the pattern '%.*s' is invalid: it "
					   "is not allowed to end with the "
					   "escape character",
					   (int)n, p);
				return NULL;
			}
			c = p[++i];
			if (c != '%' && c != '_' && c != escape) {
				sl_err_set(err, SL_EANALYSIS,
					   "the pattern '%.*s' is invalid: the "
					   "escape character is not allowed to "
					   "precede '%c'",
					   (int)n, p, c);
				return NULL;
			}
		} else if (c == '%' || c == '_') {
			uint8_t k = c == '%' ? LK_ANY : LK_ONE;
			if (k == LK_ANY && lp->n &&
			    lp->t[lp->n - 1].kind == LK_ANY)
				continue;
			lp->t[lp->n++] = (like_tok){ .kind = k };
			continue;
		}
		if (lp->n && lp->t[lp->n - 1].kind == LK_LIT &&
		    lp->t[lp->n - 1].s + lp->t[lp->n - 1].len == lit + o) {
			lp->t[lp->n - 1].len++;
		} else {
			lp->t[lp->n++] = (like_tok){ .kind = LK_LIT,
						     .len = 1,
						     .s = lit + o };
		}
		lit[o++] = c;
	}
	if (lp->n == 0) { /* '' matches only '' */
		lp->shape = LS_EXACT;
		lp->t[0] = (like_tok){ .kind = LK_LIT, .len = 0, .s = lit };
		lp->text = &lp->t[0];
		return lp;
	}
	like_shape(lp);
	return lp;
}

/* Greedy matching with backtracking to the last '%': O(n*m) at worst,
 * and linear for the usual 'abc%' and '%abc%' shapes. */
bool sl_like_match(const void *pat, const char *s, size_t n)
{
	const like_pat *lp = pat;
	const like_tok *x = lp->text;
	if (!s)
		s = ""; /* an empty value may carry no pointer */
	switch (lp->shape) {
	case LS_EXACT: return n == x->len && (!n || !memcmp(s, x->s, n));
	case LS_PREFIX: return n >= x->len && !memcmp(s, x->s, x->len);
	case LS_SUFFIX:
		return n >= x->len && !memcmp(s + n - x->len, x->s, x->len);
	case LS_CONTAINS: return n && memmem(s, n, x->s, x->len) != NULL;
	case LS_ALL: return true;
	default: break;
	}
	uint32_t ti = 0, star = UINT32_MAX;
	size_t si = 0, star_si = 0;
	while (si < n || ti < lp->n) {
		if (ti < lp->n) {
			const like_tok *t = &lp->t[ti];
			if (t->kind == LK_ANY) {
				star = ti++;
				star_si = si;
				continue;
			}
			if (t->kind == LK_ONE && si < n) {
				si += (size_t)sl_utf8_len((unsigned char)s[si]);
				if (si > n)
					si = n;
				ti++;
				continue;
			}
			if (t->kind == LK_LIT && n - si >= t->len &&
			    !memcmp(s + si, t->s, t->len)) {
				si += t->len;
				ti++;
				continue;
			}
		}
		if (star == UINT32_MAX || star_si >= n)
			return false;
		star_si += (size_t)sl_utf8_len((unsigned char)s[star_si]);
		if (star_si > n)
			star_si = n;
		si = star_si;
		ti = star + 1;
	}
	return si >= n && ti == lp->n;
}

static int ev_like(EV_ARGS)
{
	OPERANDS();
	const void *pat = e->aux;
	if (!pat) {
		pat = sl_like_compile(y->v.str, y->len, (char)e->col, a, err);
		if (!pat)
			return SL_EANALYSIS;
	}
	*out = sl_v_bool(sl_like_match(pat, x->v.str, x->len));
	return 0;
}

/* ---- choosing ---------------------------------------------------------- */

static sl_eval_fn arith_fn(int op, sl_type t, bool ansi)
{
	int k = (t == SL_INT ? 0 : t == SL_LONG ? 1 : 2) + (ansi ? 3 : 0);
	/* doubles cannot overflow: ANSI only changes / and % by zero */
	static const sl_eval_fn add[] = { ev_add_i,	 ev_add_l,
					  ev_add_d,	 ev_add_i_ansi,
					  ev_add_l_ansi, ev_add_d };
	static const sl_eval_fn sub[] = { ev_sub_i,	 ev_sub_l,
					  ev_sub_d,	 ev_sub_i_ansi,
					  ev_sub_l_ansi, ev_sub_d };
	static const sl_eval_fn mul[] = { ev_mul_i,	 ev_mul_l,
					  ev_mul_d,	 ev_mul_i_ansi,
					  ev_mul_l_ansi, ev_mul_d };
	static const sl_eval_fn mod[] = { ev_mod_i,	 ev_mod_l,
					  ev_mod_d,	 ev_mod_i_ansi,
					  ev_mod_l_ansi, ev_mod_d_ansi };
	switch (op) {
	case '+': return add[k];
	case '-': return sub[k];
	case '*': return mul[k];
	case '%': return mod[k];
	default: return ansi ? ev_div_d_ansi : ev_div_d;
	}
}

static sl_eval_fn cmp_fn(sl_type t)
{
	switch ((int)t) {
	case SL_BYTE:
	case SL_SHORT:
	case SL_INT:
	case SL_DATE: return ev_cmp_i32;
	case SL_LONG:
	case SL_TIMESTAMP: return ev_cmp_i64;
	case SL_DOUBLE: return ev_cmp_f64;
	case SL_BOOL: return ev_cmp_bool;
	case SL_STRING:
	case SL_BINARY: return ev_cmp_bytes;
	case SL_NULL: return ev_null;
	default: return ev_cmp_any;
	}
}

int sl_pick_eval(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	switch (e->kind) {
	case EX_NEG:
		if (e->op) { /* unary plus */
			e->eval = ev_plus;
			break;
		}
		e->eval = cx->ansi ? ev_neg_ansi : ev_neg;
		if (e->type->id == SL_BYTE || e->type->id == SL_SHORT)
			e->eval = ev_neg_narrow;
		if (sl_dec_neg_fn(e->type))
			e->eval = sl_dec_neg_fn(e->type);
		break;
	case EX_NOT: e->eval = ev_not; break;
	case EX_AND: e->eval = ev_and; break;
	case EX_OR: e->eval = ev_or; break;
	case EX_ISNULL: e->eval = ev_isnull; break;
	case EX_ARITH:
		if (e->type->id == SL_DATE)
			e->eval = ev_date_add;
		else if (sl_dec_arith_fn(e->type))
			e->eval = sl_dec_arith_fn(e->type);
		else if ((e->type->id == SL_BYTE || e->type->id == SL_SHORT) &&
			 e->op != '/')
			e->eval = ev_arith_narrow;
		else
			e->eval = arith_fn(e->op, e->type->id, cx->ansi);
		break;
	case EX_CMP:
		e->eval = e->op == CMP_NSEQ ? ev_nseq
					    : cmp_fn(e->args[0]->type->id);
		break;
	case EX_IN:
		e->eval = e->args[0]->type->id == SL_NULL ? ev_null : ev_in;
		break;
	case EX_LIKE: {
		const sl_expr *p = e->args[1];
		if (p->kind == EX_LIT && p->lit.type == SL_STRING) {
			e->aux = sl_like_compile(p->lit.v.str, p->lit.len,
						 (char)e->col, cx->a, err);
			if (!e->aux) {
				if (err)
					err->pos = p->pos;
				return SL_EANALYSIS;
			}
		}
		e->eval = ev_like;
		break;
	}
	case EX_CASE: e->eval = ev_case; break;
	default:
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "no evaluator for '%s'", e->sql);
	}
	return 0;
}

/* ---- for the vectorised evaluator -------------------------------------- */

/* Keyed on the function bind picked rather than on kind and types, so a
 * node is vectorised only when its per-row semantics are known to match
 * (expr/vec.c implements each sl_vop the way the function above
 * does). */
sl_vop sl_eval_vop_checked(const sl_expr *e, bool *checked)
{
	static const struct {
		sl_eval_fn fn;
		sl_vop op;
	} ansi[] = {
		{ ev_add_i_ansi, VOP_ADD_I }, { ev_sub_i_ansi, VOP_SUB_I },
		{ ev_mul_i_ansi, VOP_MUL_I }, { ev_mod_i_ansi, VOP_MOD_I },
		{ ev_add_l_ansi, VOP_ADD_L }, { ev_sub_l_ansi, VOP_SUB_L },
		{ ev_mul_l_ansi, VOP_MUL_L }, { ev_mod_l_ansi, VOP_MOD_L },
		{ ev_mod_d_ansi, VOP_MOD_D }, { ev_div_d_ansi, VOP_DIV_D },
		{ ev_neg_ansi, VOP_NEG },
	};
	for (size_t i = 0; i < sizeof(ansi) / sizeof(ansi[0]); i++)
		if (e->eval == ansi[i].fn) {
			*checked = true;
			return ansi[i].op;
		}
	*checked = false;
	return sl_eval_vop(e);
}

sl_vop sl_eval_vop(const sl_expr *e)
{
	static const struct {
		sl_eval_fn fn;
		sl_vop op;
	} map[] = {
		{ ev_null, VOP_NULL },	       { ev_add_i, VOP_ADD_I },
		{ ev_sub_i, VOP_SUB_I },       { ev_mul_i, VOP_MUL_I },
		{ ev_mod_i, VOP_MOD_I },       { ev_add_l, VOP_ADD_L },
		{ ev_sub_l, VOP_SUB_L },       { ev_mul_l, VOP_MUL_L },
		{ ev_mod_l, VOP_MOD_L },       { ev_add_d, VOP_ADD_D },
		{ ev_sub_d, VOP_SUB_D },       { ev_mul_d, VOP_MUL_D },
		{ ev_mod_d, VOP_MOD_D },       { ev_div_d, VOP_DIV_D },
		{ ev_neg, VOP_NEG },	       { ev_cmp_i32, VOP_CMP_I32 },
		{ ev_cmp_i64, VOP_CMP_I64 },   { ev_cmp_f64, VOP_CMP_F64 },
		{ ev_cmp_bool, VOP_CMP_BOOL }, { ev_nseq, VOP_NSEQ },
		{ ev_and, VOP_AND },	       { ev_or, VOP_OR },
		{ ev_not, VOP_NOT },	       { ev_isnull, VOP_ISNULL },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (e->eval == map[i].fn)
			return map[i].op;
	return VOP_NONE;
}
