/* expr/fn_text.c - more of Spark's string functions (the string group's
 * table is expr/fn_string.c's): levenshtein, soundex, len, bit_length,
 * octet_length, elt, find_in_set, mask and luhn_check. Lengths count
 * characters (UTF-8 code points), as Spark's UTF8String does. */
#include <wctype.h>

#include "expr/fn.h"

static int64_t nchars(const sl_value *v)
{
	return (int64_t)sl_utf8_count(v->v.str, v->len);
}

static int bind_strings(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	return sl_fn_args(cx, e, "sssss", err);
}

/* ---- levenshtein, soundex --------------------------------------------- */

static uint32_t *code_points(sl_arena *a, const sl_value *s, uint32_t *n)
{
	uint32_t m = (uint32_t)nchars(s);
	uint32_t *c = sl_arena_alloc(a, (m + 1) * sizeof(*c));
	size_t i = 0;
	for (uint32_t k = 0; k < m; k++)
		c[k] = sl_fn_utf8_next(s->v.str, s->len, &i);
	*n = m;
	return c;
}

static int ev_levenshtein(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, y);
	int64_t limit = -1;
	if (e->nargs > 2) {
		FN_ARG_OR_NULL(2, t);
		limit = t.v.i32;
	}
	uint32_t n, m;
	uint32_t *p = code_points(a, &x, &n), *q = code_points(a, &y, &m);
	/* the work is n * m: bounded like the output of other functions */
	if ((uint64_t)n * m > SL_FN_MAX_OUT)
		return sl_fn_too_big(err, e);
	uint32_t *d = sl_arena_alloc(a, (m + 1) * 2 * sizeof(*d));
	uint32_t *prev = d, *cur = d + m + 1;
	for (uint32_t j = 0; j <= m; j++)
		prev[j] = j;
	for (uint32_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (uint32_t j = 1; j <= m; j++) {
			uint32_t c = prev[j - 1] + (p[i - 1] != q[j - 1]);
			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		uint32_t *t = prev;
		prev = cur;
		cur = t;
	}
	int64_t dist = prev[m];
	*out = sl_v_int(limit >= 0 && dist > limit ? -1 : (int32_t)dist);
	return 0;
}

int sl_fn_bind_levenshtein(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_levenshtein;
	return sl_fn_args(cx, e, "ssi", err);
}

/* American soundex: a string not starting with a letter is itself. */
static int ev_soundex(FN_EV_ARGS)
{
	static const char code[] = "01230127022455012623017202";
	FN_ARG_OR_NULL(0, s);
	if (!s.len) {
		*out = s;
		return 0;
	}
	char c0 = s.v.str[0];
	if (c0 >= 'a' && c0 <= 'z')
		c0 = (char)(c0 - 32);
	if (c0 < 'A' || c0 > 'Z') {
		*out = s;
		return 0;
	}
	char *o = sl_arena_alloc(a, 4);
	int k = 1;
	o[0] = c0;
	char last = code[c0 - 'A'];
	for (uint32_t i = 1; i < s.len && k < 4; i++) {
		char c = s.v.str[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c < 'A' || c > 'Z') {
			last = '0';
			continue;
		}
		char d = code[c - 'A'];
		if (d == '7') /* H and W keep the previous code */
			continue;
		if (d != '0' && d != last)
			o[k++] = d;
		last = d;
	}
	while (k < 4)
		o[k++] = '0';
	*out = sl_v_str(o, 4);
	return 0;
}

int sl_fn_bind_soundex(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_soundex;
	return bind_strings(cx, e, err);
}

/* ---- len, bit_length, octet_length ------------------------------------ */

static int ev_len(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	int32_t n = s.type == SL_BINARY ? (int32_t)s.len
					: (int32_t)nchars(&s);
	const char *f = e->fn->name;
	if (f[0] == 'b')
		n = (int32_t)s.len * 8;
	else if (f[0] == 'o')
		n = (int32_t)s.len;
	*out = sl_v_int(n);
	return 0;
}

int sl_fn_bind_len(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_len;
	return sl_fn_string_or_binary_arg(cx, e, 0, err);
}

/* ---- elt, find_in_set ------------------------------------------------- */

static int ev_elt(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, n);
	int32_t k = n.v.i32;
	if (k < 1 || (uint32_t)k >= e->nargs) {
		if (e->flags & EXF_ANSI)
			return sl_runtime_error(
				err, "INVALID_ARRAY_INDEX",
				"The index %d is out of bounds. The array has "
				"%u elements. Use `try_element_at` to tolerate "
				"accessing element at invalid index and return "
				"NULL instead. SQLSTATE: 22003",
				k, e->nargs - 1);
		*out = sl_v_null();
		return 0;
	}
	return sl_fn_arg(e, (uint32_t)k, row, a, out, err);
}

int sl_fn_bind_elt(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_int_arg(cx, e, 0, &sl_dtype_int, err)))
		return rc;
	bool bin = e->nargs > 1;
	for (uint32_t i = 1; i < e->nargs; i++)
		bin &= e->args[i]->type->id == SL_BINARY;
	for (uint32_t i = 1; i < e->nargs && !bin; i++)
		if ((rc = sl_fn_string_arg(cx, e, i, err)))
			return rc;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = bin ? &sl_dtype_binary : &sl_dtype_string;
	e->eval = ev_elt;
	return 0;
}

/* find_in_set(str, list): the 1-based place of str in the comma list, 0
 * when absent or when str holds a comma. */
static int ev_find_in_set(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, l);
	*out = sl_v_int(0);
	if (memchr(s.v.str, ',', s.len))
		return 0;
	int32_t k = 1;
	size_t i = 0;
	for (;;) {
		const char *c = memchr(l.v.str + i, ',', l.len - i);
		size_t end = c ? (size_t)(c - l.v.str) : l.len;
		if (end - i == s.len && !memcmp(l.v.str + i, s.v.str, s.len)) {
			*out = sl_v_int(k);
			return 0;
		}
		if (!c)
			return 0;
		i = end + 1;
		k++;
	}
}

int sl_fn_bind_find_in_set(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_strings(cx, e, err);
	e->type = &sl_dtype_int;
	e->eval = ev_find_in_set;
	return rc;
}


/* ---- mask, luhn_check ------------------------------------------------- */

/* mask(str[, upper[, lower[, digit[, other]]]]): upper-case letters to
 * upper ('X'), lower-case to lower ('x'), digits to digit ('n'), other
 * characters to other (kept when null or not given); a null replacement
 * keeps its class. */
static int ev_mask(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	static const char *const dflt[] = { "X", "x", "n" };
	uint32_t rep[4];
	bool keep[4];
	for (uint32_t k = 0; k < 4; k++) {
		sl_value r = sl_v_null();
		if (k < 3)
			r = sl_v_str(dflt[k], 1);
		if (k + 1 < e->nargs) {
			int rc = sl_fn_arg(e, k + 1, row, a, &r, err);
			if (rc)
				return rc;
		}
		keep[k] = r.type == SL_NULL || r.len == 0;
		size_t i = 0;
		rep[k] = keep[k] ? 0 : sl_fn_utf8_next(r.v.str, r.len, &i);
	}
	sl_buf b;
	sl_buf_init(&b, a, s.len + 1);
	/* letters beyond ASCII (é, Ö) by the UTF-8 locale's classes, as
	 * Java's Character.isUpperCase/isLowerCase see them */
	locale_t loc = sl_utf8_locale();
	for (size_t i = 0; i < s.len;) {
		size_t st = i;
		uint32_t c = sl_fn_utf8_next(s.v.str, s.len, &i);
		int k = 3;
		if (c >= '0' && c <= '9')
			k = 2;
		else if (c < 0x80)
			k = c >= 'A' && c <= 'Z' ? 0 : c >= 'a' && c <= 'z' ? 1 : 3;
		else if (loc && iswupper_l((wint_t)c, loc))
			k = 0;
		else if (loc && iswlower_l((wint_t)c, loc))
			k = 1;
		if (keep[k]) {
			sl_buf_put(&b, s.v.str + st, i - st);
		} else {
			char u[4];
			sl_buf_put(&b, u, (size_t)sl_utf8_put(u, rep[k]));
		}
	}
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

int sl_fn_bind_mask(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	static const char *const names[] = { "upperChar", "lowerChar",
					     "digitChar", "otherChar" };
	e->eval = ev_mask;
	int rc = bind_strings(cx, e, err);
	for (uint32_t k = 1; k < e->nargs && !rc; k++) {
		const sl_expr *r = e->args[k];
		if (r->kind == EX_LIT && r->lit.type == SL_STRING &&
		    sl_utf8_count(r->lit.v.str, r->lit.len) != 1)
			return sl_type_mismatch(
				err, e,
				"DATATYPE_MISMATCH.INPUT_SIZE_NOT_ONE: Length "
				"of %s should be 1",
				names[k - 1]);
	}
	static const char *const dflt[] = { ", X", ", x", ", n", ", NULL" };
	for (uint32_t k = e->nargs; k < 5 && !rc; k++)
		e->sql = sl_fn_append_sql(cx, e->sql, dflt[k - 1]);
	return rc;
}

/* luhn_check(str): whether str is digits passing the Luhn checksum */
static int ev_luhn_check(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	int sum = 0;
	bool ok = s.len > 0;
	for (uint32_t i = 0; i < s.len && ok; i++) {
		char c = s.v.str[s.len - 1 - i];
		if (c < '0' || c > '9') {
			ok = false;
			break;
		}
		int d = c - '0';
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	*out = sl_v_bool(ok && sum % 10 == 0);
	return 0;
}

int sl_fn_bind_luhn_check(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_strings(cx, e, err);
	e->type = &sl_dtype_bool;
	e->eval = ev_luhn_check;
	return rc;
}
