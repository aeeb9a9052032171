/* expr/fn_string.c - Spark's string functions beyond expr/func.c's
 * (concat, substring, trim, case mapping): concat_ws, lpad/rpad, instr,
 * locate/position, replace, translate, repeat, reverse, left/right,
 * split_part, substring_index, overlay, ascii, chr, startswith/endswith/
 * contains, btrim and space, and the group's table, whose other entries
 * expr/fn_text.c implements (levenshtein, soundex, elt, the lengths).
 *
 * Positions and lengths count characters (UTF-8 code points), as Spark's
 * UTF8String does. */
#include <stdio.h>
#include <stdlib.h>

#include "core/unicode.h"
#include "expr/fn.h"

/* The characters of s[0..n). */
static int64_t nchars(const sl_value *v)
{
	return (int64_t)sl_utf8_count(v->v.str, v->len);
}

/* Finds needle in hay from byte `from`: the byte offset or -1. */
static int64_t find_bytes(const char *hay, size_t n, const char *nd, size_t m,
			  size_t from)
{
	if (m == 0)
		return from <= n ? (int64_t)from : -1;
	if (m > n)
		return -1;
	for (size_t i = from; i + m <= n; i++)
		if (hay[i] == nd[0] && !memcmp(hay + i, nd, m))
			return (int64_t)i;
	return -1;
}

/* 1-based character position of needle in hay searched from character
 * `start` (0-based), 0 when absent; an empty needle is at 1, as in
 * Spark's UTF8String.indexOf. */
static int32_t char_index(const sl_value *hay, const sl_value *nd,
			  int64_t start)
{
	if (nd->len == 0)
		return 1;
	size_t b = sl_fn_char_off(hay->v.str, hay->len, start);
	if (b >= hay->len)
		return 0;
	int64_t at = find_bytes(hay->v.str, hay->len, nd->v.str, nd->len, b);
	if (at < 0)
		return 0;
	return (int32_t)sl_utf8_count(hay->v.str, (size_t)at) + 1;
}

/* Spark's substringSQL(pos, len) of s as a slice of it: 1-based pos, 0
 * read as 1, negative counting from the end, the length clamped. */
static sl_value substr_sql(const sl_value *s, int64_t pos, int64_t len)
{
	int64_t n = nchars(s);
	int64_t start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0;
	int64_t end = start + len;
	if (start < 0)
		start = 0;
	if (end > n)
		end = n;
	if (start >= end)
		return sl_v_str(s->v.str, 0);
	size_t b0 = sl_fn_char_off(s->v.str, s->len, start);
	size_t b1 = b0 + sl_fn_char_off(s->v.str + b0, s->len - b0, end - start);
	return sl_v_str(s->v.str + b0, (uint32_t)(b1 - b0));
}

/* ---- concat_ws -------------------------------------------------------- */

static int ev_concat_ws(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, sep);
	sl_buf b;
	sl_buf_init(&b, a, 32);
	bool first = true;
	for (uint32_t i = 1; i < e->nargs; i++) {
		sl_value v;
		int rc = sl_fn_arg(e, i, row, a, &v, err);
		if (rc)
			return rc;
		const sl_value *items = &v;
		uint32_t n = 1;
		if (v.type == SL_ARRAY) {
			items = v.v.arr;
			n = v.len;
		}
		for (uint32_t k = 0; k < n; k++) {
			if (items[k].type == SL_NULL)
				continue;
			if (!first)
				sl_buf_put(&b, sep.v.str, sep.len);
			sl_buf_put(&b, items[k].v.str, items[k].len);
			first = false;
			if (b.len > SL_FN_MAX_OUT)
				return sl_fn_too_big(err, e);
		}
	}
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_concat_ws(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_dtype *t = e->args[i]->type;
		int rc;
		if (i > 0 && t->id == SL_ARRAY) {
			if (t->elem->id != SL_STRING && t->elem->id != SL_NULL)
				return sl_fn_arg_type_error(
					e, i, "(\"ARRAY<STRING>\" or \"STRING\")",
					err);
			continue;
		}
		if ((rc = sl_fn_string_arg(cx, e, i, err)))
			return rc;
	}
	e->type = &sl_dtype_string;
	e->eval = ev_concat_ws;
	return 0;
}

/* ---- lpad, rpad ------------------------------------------------------- */

static int pad(FN_EV_ARGS, bool left)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, l);
	sl_value p = sl_v_str(" ", 1);
	if (e->nargs > 2) {
		int rc = sl_fn_arg(e, 2, row, a, &p, err);
		if (rc)
			return rc;
		if (p.type == SL_NULL) {
			*out = p;
			return 0;
		}
	}
	int64_t len = l.v.i32, have = nchars(&s);
	if (len <= 0) {
		*out = sl_v_str("", 0);
		return 0;
	}
	/* Spark's UTF8String.lpad: too long or nothing to pad with cuts
	 * the string to len characters */
	if (have >= len || p.len == 0) {
		*out = sl_v_str(s.v.str,
				(uint32_t)sl_fn_char_off(s.v.str, s.len, len));
		return 0;
	}
	int64_t fill = len - have, plen = nchars(&p);
	if ((size_t)fill * 4 + s.len > SL_FN_MAX_OUT)
		return sl_fn_too_big(err, e);
	sl_buf b;
	sl_buf_init(&b, a, s.len + (size_t)fill * 4);
	if (!left)
		sl_buf_put(&b, s.v.str, s.len);
	for (int64_t k = fill; k > 0; k -= plen) {
		int64_t take = k < plen ? k : plen;
		sl_buf_put(&b, p.v.str, sl_fn_char_off(p.v.str, p.len, take));
	}
	if (left)
		sl_buf_put(&b, s.v.str, s.len);
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int ev_lpad(FN_EV_ARGS)
{
	return pad(e, row, a, out, err, true);
}

static int ev_rpad(FN_EV_ARGS)
{
	return pad(e, row, a, out, err, false);
}

static int bind_pad(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ",  ");
	if ((rc = sl_fn_string_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)) ||
	    (e->nargs > 2 && (rc = sl_fn_string_arg(cx, e, 2, err))))
		return rc;
	e->type = &sl_dtype_string;
	e->eval = e->fn->name[0] == 'l' ? ev_lpad : ev_rpad;
	return 0;
}

/* ---- instr, locate, position ------------------------------------------ */

static int ev_instr(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, sub);
	*out = sl_v_int(char_index(&s, &sub, 0));
	return 0;
}

static int bind_instr(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_instr;
	return sl_fn_args(cx, e, "ss", err);
}

/* Spark's StringLocate: a null start gives 0, not null; a start below 1
 * gives 0. */
static int ev_locate(FN_EV_ARGS)
{
	sl_value st = sl_v_int(1);
	int rc;
	if (e->nargs > 2 && (rc = sl_fn_arg(e, 2, row, a, &st, err)))
		return rc;
	if (st.type == SL_NULL) {
		*out = sl_v_int(0);
		return 0;
	}
	FN_ARG_OR_NULL(0, sub);
	FN_ARG_OR_NULL(1, s);
	*out = sl_v_int(st.v.i32 < 1 ? 0 : char_index(&s, &sub, st.v.i32 - 1));
	return 0;
}

static int bind_locate(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_args(cx, e, "ssi", err);
	if (rc)
		return rc;
	if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", 1");
	e->type = &sl_dtype_int;
	e->eval = ev_locate;
	return 0;
}

/* ---- replace, translate ----------------------------------------------- */

static int ev_replace(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, from);
	sl_value to = sl_v_str("", 0);
	if (e->nargs > 2) {
		int rc = sl_fn_arg(e, 2, row, a, &to, err);
		if (rc)
			return rc;
		if (to.type == SL_NULL) {
			*out = to;
			return 0;
		}
	}
	if (from.len == 0) {
		*out = s;
		return 0;
	}
	sl_buf b;
	sl_buf_init(&b, a, s.len + 1);
	size_t i = 0;
	for (;;) {
		int64_t at = find_bytes(s.v.str, s.len, from.v.str, from.len, i);
		if (at < 0)
			break;
		sl_buf_put(&b, s.v.str + i, (size_t)at - i);
		sl_buf_put(&b, to.v.str, to.len);
		i = (size_t)at + from.len;
		if (b.len > SL_FN_MAX_OUT)
			return sl_fn_too_big(err, e);
	}
	sl_buf_put(&b, s.v.str + i, s.len - i);
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_strings(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	return sl_fn_args(cx, e, "sssss", err);
}

static int bind_replace(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_strings(cx, e, err);
	if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", ");
	e->eval = ev_replace;
	return rc;
}

/* translate: each character of from maps to the one at its place in to,
 * or is deleted when to is shorter; the first occurrence in from wins. */
static int ev_translate(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, from);
	FN_ARG_OR_NULL(2, to);
	uint32_t nf = (uint32_t)nchars(&from);
	uint32_t *fc = sl_arena_alloc(a, (nf + 1) * 2 * sizeof(uint32_t));
	uint32_t *tc = fc + nf + 1;
	size_t i = 0, j = 0;
	uint32_t nt = 0;
	for (uint32_t k = 0; k < nf; k++)
		fc[k] = sl_fn_utf8_next(from.v.str, from.len, &i);
	while (j < to.len && nt < nf)
		tc[nt++] = sl_fn_utf8_next(to.v.str, to.len, &j);
	sl_buf b;
	sl_buf_init(&b, a, s.len + 1);
	for (i = 0; i < s.len;) {
		size_t st = i;
		uint32_t c = sl_fn_utf8_next(s.v.str, s.len, &i);
		uint32_t k = 0;
		while (k < nf && fc[k] != c)
			k++;
		if (k == nf) {
			sl_buf_put(&b, s.v.str + st, i - st);
		} else if (k < nt) {
			char u[4];
			sl_buf_put(&b, u, (size_t)sl_utf8_put(u, tc[k]));
		}
	}
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_translate(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_translate;
	return bind_strings(cx, e, err);
}

/* ---- repeat, reverse, space ------------------------------------------- */

static int ev_repeat(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, n);
	if (n.v.i32 <= 0 || s.len == 0) {
		*out = sl_v_str("", 0);
		return 0;
	}
	if ((size_t)n.v.i32 * s.len > SL_FN_MAX_OUT)
		return sl_fn_too_big(err, e);
	size_t total = (size_t)n.v.i32 * s.len;
	char *o = sl_arena_alloc(a, total);
	for (int32_t k = 0; k < n.v.i32; k++)
		memcpy(o + (size_t)k * s.len, s.v.str, s.len);
	*out = sl_v_str(o, (uint32_t)total);
	return 0;
}

static int bind_repeat(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_repeat;
	return sl_fn_args(cx, e, "si", err);
}

static int ev_space(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, n);
	int32_t k = n.v.i32 > 0 ? n.v.i32 : 0;
	if ((size_t)k > SL_FN_MAX_OUT)
		return sl_fn_too_big(err, e);
	char *o = sl_arena_alloc(a, (size_t)k + 1);
	memset(o, ' ', (size_t)k);
	*out = sl_v_str(o, (uint32_t)k);
	return 0;
}

static int bind_space(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_space;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_int, err);
}

/* reverse of a string (by characters) or of an array */
static int ev_reverse(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	if (s.type == SL_ARRAY) {
		sl_value *v = sl_arena_alloc(a, (s.len + 1) * sizeof(*v));
		for (uint32_t i = 0; i < s.len; i++)
			v[i] = s.v.arr[s.len - 1 - i];
		*out = s;
		out->v.arr = v;
		return 0;
	}
	char *o = sl_arena_alloc(a, s.len + 1);
	size_t k = s.len;
	for (size_t i = 0; i < s.len;) {
		size_t st = i;
		(void)sl_fn_utf8_next(s.v.str, s.len, &i);
		k -= i - st;
		memcpy(o + k, s.v.str + st, i - st);
	}
	*out = sl_v_str(o, s.len);
	return 0;
}

static int bind_reverse(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_reverse;
	if (e->args[0]->type->id == SL_ARRAY) {
		e->type = e->args[0]->type;
		return 0;
	}
	e->type = &sl_dtype_string;
	return sl_fn_string_arg(cx, e, 0, err);
}

/* ---- left, right ------------------------------------------------------ */

static int side(FN_EV_ARGS, bool left)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, l);
	int64_t n = l.v.i32;
	if (n <= 0) {
		*out = sl_v_str("", 0);
		return 0;
	}
	if (left) {
		*out = sl_v_str(s.v.str,
				(uint32_t)sl_fn_char_off(s.v.str, s.len, n));
		return 0;
	}
	int64_t have = nchars(&s);
	size_t b = have > n ? sl_fn_char_off(s.v.str, s.len, have - n) : 0;
	*out = sl_v_str(s.v.str + b, (uint32_t)(s.len - b));
	return 0;
}

static int ev_left(FN_EV_ARGS)
{
	return side(e, row, a, out, err, true);
}

static int ev_right(FN_EV_ARGS)
{
	return side(e, row, a, out, err, false);
}

static int bind_side(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = e->fn->name[0] == 'l' ? ev_left : ev_right;
	return sl_fn_args(cx, e, "si", err);
}

/* ---- split_part, substring_index -------------------------------------- */

/* split_part(str, delim, n): the n-th part (negative: from the end), ''
 * past the parts; 0 is an error. An empty delimiter leaves one part. */
static int ev_split_part(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, d);
	FN_ARG_OR_NULL(2, p);
	int32_t n = p.v.i32;
	if (n == 0)
		return sl_runtime_error(
			err, "INVALID_INDEX_OF_ZERO",
			"The index 0 is invalid. An index shall be either < 0 "
			"or > 0 (the first element has index 1). SQLSTATE: "
			"22003");
	/* the parts' bounds */
	size_t cap = 16, np = 0;
	size_t *st = sl_arena_alloc(a, cap * 2 * sizeof(size_t));
	size_t i = 0;
	for (;;) {
		int64_t at = d.len ? find_bytes(s.v.str, s.len, d.v.str,
						d.len, i)
				   : -1;
		size_t end = at < 0 ? s.len : (size_t)at;
		if (np == cap) {
			size_t *ns = sl_arena_alloc(a, cap * 4 * sizeof(size_t));
			memcpy(ns, st, np * 2 * sizeof(size_t));
			st = ns;
			cap *= 2;
		}
		st[2 * np] = i;
		st[2 * np + 1] = end;
		np++;
		if (at < 0)
			break;
		i = end + d.len;
	}
	int64_t k = n > 0 ? (int64_t)n - 1 : (int64_t)np + n;
	if (k < 0 || k >= (int64_t)np) {
		*out = sl_v_str("", 0);
		return 0;
	}
	*out = sl_v_str(s.v.str + st[2 * k],
			(uint32_t)(st[2 * k + 1] - st[2 * k]));
	return 0;
}

static int bind_split_part(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_split_part;
	return sl_fn_args(cx, e, "ssi", err);
}

/* substring_index(str, delim, count): before the count-th delimiter
 * (negative: after the count-th from the end). */
static int ev_substring_index(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, d);
	FN_ARG_OR_NULL(2, c);
	int32_t n = c.v.i32;
	*out = sl_v_str("", 0);
	if (n == 0 || d.len == 0)
		return 0;
	if (n > 0) {
		size_t i = 0;
		for (int32_t k = 0; k < n; k++) {
			int64_t at = find_bytes(s.v.str, s.len, d.v.str, d.len,
						i);
			if (at < 0) {
				*out = s;
				return 0;
			}
			i = (size_t)at + (k + 1 < n ? d.len : 0);
		}
		*out = sl_v_str(s.v.str, (uint32_t)i);
		return 0;
	}
	/* from the end: the last -n occurrences */
	int64_t end = (int64_t)s.len;
	for (int32_t k = 0; k < -(int64_t)n; k++) {
		int64_t at = -1;
		for (int64_t j = end - (int64_t)d.len; j >= 0; j--)
			if (!memcmp(s.v.str + j, d.v.str, d.len)) {
				at = j;
				break;
			}
		if (at < 0) {
			*out = s;
			return 0;
		}
		end = at;
	}
	size_t b = (size_t)end + d.len;
	*out = sl_v_str(s.v.str + b, (uint32_t)(s.len - b));
	return 0;
}

static int bind_substring_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_substring_index;
	return sl_fn_args(cx, e, "ssi", err);
}

/* ---- overlay ---------------------------------------------------------- */

/* overlay(input, replace, pos[, len]): input's characters before pos,
 * replace, then input from pos + len (len -1: replace's length). */
static int ev_overlay(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, r);
	FN_ARG_OR_NULL(2, p);
	sl_value l = sl_v_int(-1);
	if (e->nargs > 3) {
		int rc = sl_fn_arg(e, 3, row, a, &l, err);
		if (rc)
			return rc;
		if (l.type == SL_NULL) {
			*out = l;
			return 0;
		}
	}
	int64_t pos = p.v.i32, len = l.v.i32 >= 0 ? l.v.i32 : nchars(&r);
	sl_value head = substr_sql(&s, 1, pos - 1);
	sl_value tail = substr_sql(&s, pos + len, INT32_MAX);
	sl_buf b;
	sl_buf_init(&b, a, head.len + r.len + tail.len + 1);
	sl_buf_put(&b, head.v.str, head.len);
	sl_buf_put(&b, r.v.str, r.len);
	sl_buf_put(&b, tail.v.str, tail.len);
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_overlay(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_args(cx, e, "ssii", err);
	if (rc)
		return rc;
	if (e->nargs == 3)
		e->sql = sl_fn_append_sql(cx, e->sql, ", -1");
	e->type = &sl_dtype_string;
	e->eval = ev_overlay;
	return 0;
}

/* ---- ascii, chr ------------------------------------------------------- */

static int ev_ascii(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	size_t i = 0;
	*out = sl_v_int(s.len ? (int32_t)sl_fn_utf8_next(s.v.str, s.len, &i)
			      : 0);
	return 0;
}

static int bind_ascii(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_ascii;
	return sl_fn_string_arg(cx, e, 0, err);
}

/* chr(n): the character n mod 256 (a negative n: ''). */
static int ev_chr(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, n);
	if (n.v.i64 < 0) {
		*out = sl_v_str("", 0);
		return 0;
	}
	char *o = sl_arena_alloc(a, 4);
	int k = sl_utf8_put(o, (uint32_t)(n.v.i64 & 0xff));
	*out = sl_v_str(o, (uint32_t)k);
	return 0;
}

static int bind_chr(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_chr;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_long, err);
}

/* ---- startswith, endswith, contains ----------------------------------- */

enum { AFFIX_START, AFFIX_END, AFFIX_IN };

static int affix(FN_EV_ARGS, int how)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, p);
	bool r;
	if (p.len > s.len)
		r = false;
	else if (how == AFFIX_START)
		r = !p.len || !memcmp(s.v.str, p.v.str, p.len);
	else if (how == AFFIX_END)
		r = !p.len || !memcmp(s.v.str + s.len - p.len, p.v.str, p.len);
	else
		r = find_bytes(s.v.str, s.len, p.v.str, p.len, 0) >= 0;
	*out = sl_v_bool(r);
	return 0;
}

static int ev_startswith(FN_EV_ARGS)
{
	return affix(e, row, a, out, err, AFFIX_START);
}

static int ev_endswith(FN_EV_ARGS)
{
	return affix(e, row, a, out, err, AFFIX_END);
}

static int ev_contains(FN_EV_ARGS)
{
	return affix(e, row, a, out, err, AFFIX_IN);
}

static int bind_affix(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool bin = e->args[0]->type->id == SL_BINARY &&
		   e->args[1]->type->id == SL_BINARY;
	int rc = 0;
	for (uint32_t i = 0; i < 2 && !bin && !rc; i++)
		rc = sl_fn_string_arg(cx, e, i, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_bool;
	e->eval = e->fn->name[0] == 's'	  ? ev_startswith
		  : e->fn->name[0] == 'e' ? ev_endswith
					  : ev_contains;
	return 0;
}

/* ---- btrim ------------------------------------------------------------ */

static bool in_set(const uint32_t *set, uint32_t n, uint32_t c)
{
	for (uint32_t k = 0; k < n; k++)
		if (set[k] == c)
			return true;
	return false;
}

static int ev_btrim(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	sl_value t = sl_v_str(" ", 1);
	if (e->nargs > 1) {
		int rc = sl_fn_arg(e, 1, row, a, &t, err);
		if (rc)
			return rc;
		if (t.type == SL_NULL) {
			*out = t;
			return 0;
		}
	}
	uint32_t nt = (uint32_t)nchars(&t);
	uint32_t *set = sl_arena_alloc(a, (nt + 1) * sizeof(*set));
	size_t i = 0;
	for (uint32_t k = 0; k < nt; k++)
		set[k] = sl_fn_utf8_next(t.v.str, t.len, &i);
	size_t b = 0, end = s.len;
	while (b < s.len) {
		size_t j = b;
		if (!in_set(set, nt, sl_fn_utf8_next(s.v.str, s.len, &j)))
			break;
		b = j;
	}
	while (end > b) {
		size_t st = end - 1;
		while (st > b && ((unsigned char)s.v.str[st] & 0xc0) == 0x80)
			st--;
		size_t j = st;
		if (!in_set(set, nt, sl_fn_utf8_next(s.v.str, s.len, &j)))
			break;
		end = st;
	}
	*out = sl_v_str(s.v.str + b, (uint32_t)(end - b));
	return 0;
}

static int bind_btrim(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_btrim;
	return bind_strings(cx, e, err);
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_string[] = {
	{ "ascii", 1, 1, 0, bind_ascii, "ascii(str)",
	  "The code point of str's first character (0 for an empty string).",
	  "ascii('A')" },
	{ "bit_length", 1, 1, 0, sl_fn_bind_len, "bit_length(expr)",
	  "The bit length of a string's UTF-8 bytes or of binary data.",
	  "bit_length('abc')" },
	{ "btrim", 1, 2, 0, bind_btrim, "btrim(str[, trimStr])",
	  "Removes the characters of trimStr (default: spaces) from both "
	  "ends of str.",
	  "btrim('xxabcxx', 'x')" },
	{ "char", 1, 1, 0, bind_chr, "char(expr)",
	  "The character whose code is expr mod 256; '' for a negative "
	  "expr.",
	  "char(65)" },
	{ "chr", 1, 1, 0, bind_chr, "chr(expr)",
	  "The character whose code is expr mod 256; '' for a negative "
	  "expr.",
	  "chr(65)" },
	{ "concat_ws", 1, -1, 0, bind_concat_ws,
	  "concat_ws(sep[, str | array(str)]+)",
	  "Joins the strings (and the arrays' strings) with sep, skipping "
	  "nulls.",
	  "concat_ws(' ', 'Spark', 'SQL')" },
	{ "contains", 2, 2, 0, bind_affix, "contains(left, right)",
	  "Whether right occurs in left (strings or binary).",
	  "contains('Spark SQL', 'SQL')" },
	{ "elt", 2, -1, 0, sl_fn_bind_elt, "elt(n, input1, input2, ...)",
	  "The n-th input (1-based); out of range: an error with ANSI on, "
	  "else null.",
	  "elt(1, 'scala', 'java')" },
	{ "endswith", 2, 2, 0, bind_affix, "endswith(left, right)",
	  "Whether left ends with right (strings or binary).",
	  "endswith('Spark SQL', 'SQL')" },
	{ "find_in_set", 2, 2, 0, sl_fn_bind_find_in_set, "find_in_set(str, str_array)",
	  "The 1-based place of str in the comma-separated list (0 when "
	  "absent).",
	  "find_in_set('ab', 'abc,b,ab,c,def')" },
	{ "instr", 2, 2, 0, bind_instr, "instr(str, substr)",
	  "The 1-based position of substr's first occurrence in str, 0 when "
	  "absent.",
	  "instr('SparkSQL', 'SQL')" },
	{ "left", 2, 2, 0, bind_side, "left(str, len)",
	  "The leftmost len characters of str ('' for len <= 0).",
	  "left('Spark SQL', 3)" },
	{ "len", 1, 1, 0, sl_fn_bind_len, "len(expr)",
	  "The character length of a string, or the bytes of binary data.",
	  "len('Spark SQL ')" },
	{ "levenshtein", 2, 3, 0, sl_fn_bind_levenshtein,
	  "levenshtein(str1, str2[, threshold])",
	  "The Levenshtein distance between the strings; -1 when it passes "
	  "threshold.",
	  "levenshtein('kitten', 'sitting')" },
	{ "locate", 2, 3, 0, bind_locate, "locate(substr, str[, pos])",
	  "The 1-based position of substr in str from character pos; 0 when "
	  "absent or pos < 1.",
	  "locate('bar', 'foobarbar', 5)" },
	{ "luhn_check", 1, 1, 0, sl_fn_bind_luhn_check, "luhn_check(str)",
	  "Whether str is digits that pass the Luhn checksum.",
	  "luhn_check('8112189876')" },
	{ "lpad", 2, 3, 0, bind_pad, "lpad(str, len[, pad])",
	  "str left-padded with pad (default: a space) to len characters, or "
	  "cut to len.",
	  "lpad('hi', 5, 'ab')" },
	{ "mask", 1, 5, 0, sl_fn_bind_mask,
	  "mask(input[, upperChar, lowerChar, digitChar, otherChar])",
	  "input with upper-case letters, lower-case letters and digits "
	  "replaced (X, x, n), other characters too when otherChar is given; "
	  "a null replacement keeps its class.",
	  "mask('AbCD123-@$#', 'Q', 'q', 'd', 'o')" },
	{ "octet_length", 1, 1, 0, sl_fn_bind_len, "octet_length(expr)",
	  "The byte length of a string's UTF-8 bytes or of binary data.",
	  "octet_length('Spark SQL')" },
	{ "overlay", 3, 4, 0, bind_overlay, "overlay(input, replace, pos[, len])",
	  "Replaces len characters of input from pos (default: replace's "
	  "length) with replace.",
	  "overlay('Spark SQL', '_', 6)" },
	{ "position", 2, 3, 0, bind_locate, "position(substr, str[, pos])",
	  "The 1-based position of substr in str from character pos; 0 when "
	  "absent.",
	  "position('bar', 'foobarbar')" },
	{ "repeat", 2, 2, 0, bind_repeat, "repeat(str, n)",
	  "str repeated n times ('' for n <= 0).", "repeat('123', 2)" },
	{ "replace", 2, 3, 0, bind_replace, "replace(str, search[, replace])",
	  "Replaces every occurrence of search with replace (default: "
	  "removes them).",
	  "replace('ABCabc', 'abc', 'DEF')" },
	{ "reverse", 1, 1, 0, bind_reverse, "reverse(str | array)",
	  "The string's characters, or the array's elements, in reverse "
	  "order.",
	  "reverse('Spark SQL')" },
	{ "right", 2, 2, 0, bind_side, "right(str, len)",
	  "The rightmost len characters of str ('' for len <= 0).",
	  "right('Spark SQL', 3)" },
	{ "rpad", 2, 3, 0, bind_pad, "rpad(str, len[, pad])",
	  "str right-padded with pad (default: a space) to len characters, "
	  "or cut to len.",
	  "rpad('hi', 5, 'ab')" },
	{ "soundex", 1, 1, 0, sl_fn_bind_soundex, "soundex(str)",
	  "The Soundex code of str (str itself when it does not start with "
	  "a letter).",
	  "soundex('Miller')" },
	{ "space", 1, 1, 0, bind_space, "space(n)",
	  "A string of n spaces.", "concat(space(2), '1')" },
	{ "split_part", 3, 3, 0, bind_split_part,
	  "split_part(str, delimiter, partNum)",
	  "The partNum-th part of str split by delimiter (negative: from the "
	  "end; '' past the parts).",
	  "split_part('11.12.13', '.', 3)" },
	{ "startswith", 2, 2, 0, bind_affix, "startswith(left, right)",
	  "Whether left starts with right (strings or binary).",
	  "startswith('Spark SQL', 'Spark')" },
	{ "substring_index", 3, 3, 0, bind_substring_index,
	  "substring_index(str, delim, count)",
	  "str before the count-th delim (negative count: after the "
	  "count-th from the end).",
	  "substring_index('www.apache.org', '.', 2)" },
	{ "translate", 3, 3, 0, bind_translate, "translate(input, from, to)",
	  "Replaces each character of from in input by the one at its place "
	  "in to (deleted past to's end).",
	  "translate('AaBbCc', 'abc', '123')" },
};
const size_t sl_funcs_string_n = SL_NFUNCS(sl_funcs_string);
