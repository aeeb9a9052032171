/* expr/fn_text.c - more of Spark's string functions (the string group's
 * table is expr/fn_string.c's): levenshtein, soundex, len, bit_length,
 * octet_length, elt and find_in_set. Lengths count characters (UTF-8 code
 * points), as Spark's UTF8String does. */
#include "expr/fn.h"

static int64_t nchars(const sl_value *v)
{
	return (int64_t)sl_utf8_count(v->v.str, v->len);
}

static int bind_strings(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_fn_string_arg(cx, e, i, err);
		if (rc)
			return rc;
	}
	e->type = &sl_dtype_string;
	return 0;
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
	int rc;
	if ((rc = sl_fn_string_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_string_arg(cx, e, 1, err)))
		return rc;
	if (e->nargs > 2 &&
	    (rc = sl_fn_int_arg(cx, e, 2, &sl_dtype_int, err)))
		return rc;
	e->type = &sl_dtype_int;
	e->eval = ev_levenshtein;
	return 0;
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

