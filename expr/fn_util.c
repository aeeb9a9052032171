/* expr/fn_util.c - the argument coercions, names and limits the function
 * library (expr/fn_*.c) shares; expr/fn.h describes each. */
#include <stdio.h>

#include "expr/fn.h"

static const char *type_text(const sl_dtype *t, char *buf, size_t n)
{
	sl_type_sql(t, buf, n);
	return buf;
}

int sl_fn_arg_type_error(sl_expr *e, uint32_t i, const char *want,
			 sl_err *err)
{
	char tb[128];
	return sl_type_mismatch(err, e,
				"DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE: "
				"parameter %u requires the %s type, however "
				"'%s' has the type \"%s\"",
				i + 1, want, e->args[i]->sql,
				type_text(e->args[i]->type, tb, sizeof(tb)));
}

int sl_fn_string_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id == SL_ARRAY || t->id == SL_STRUCT)
		return sl_fn_arg_type_error(e, i, "\"STRING\"", err);
	return sl_coerce(cx, &e->args[i], &sl_dtype_string, err);
}

int sl_fn_string_or_binary_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
			       sl_err *err)
{
	if (e->args[i]->type->id == SL_BINARY)
		return 0;
	return sl_fn_string_arg(cx, e, i, err);
}

int sl_fn_int_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, const sl_dtype *t,
		  sl_err *err)
{
	int id = (int)e->args[i]->type->id;
	bool ok = id == SL_INT || id == SL_BYTE || id == SL_SHORT ||
		  id == SL_NULL || id == SL_STRING ||
		  (id == SL_LONG && t->id == SL_LONG);
	if (!ok)
		return sl_fn_arg_type_error(
			e, i, t->id == SL_LONG ? "\"BIGINT\"" : "\"INT\"", err);
	return sl_coerce(cx, &e->args[i], t, err);
}

int sl_fn_double_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (!sl_is_numeric(t) && t->id != SL_STRING && t->id != SL_NULL)
		return sl_fn_arg_type_error(e, i, "\"DOUBLE\"", err);
	return sl_coerce(cx, &e->args[i], &sl_dtype_double, err);
}

int sl_fn_bool_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id != SL_BOOL && t->id != SL_NULL)
		return sl_fn_arg_type_error(e, i, "\"BOOLEAN\"", err);
	return sl_coerce(cx, &e->args[i], &sl_dtype_bool, err);
}

int sl_fn_args(sl_bind_ctx *cx, sl_expr *e, const char *kinds, sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs && kinds[i]; i++) {
		int rc = 0;
		switch (kinds[i]) {
		case 's': rc = sl_fn_string_arg(cx, e, i, err); break;
		case 'S': rc = sl_fn_string_or_binary_arg(cx, e, i, err); break;
		case 'i': rc = sl_fn_int_arg(cx, e, i, &sl_dtype_int, err); break;
		case 'l': rc = sl_fn_int_arg(cx, e, i, &sl_dtype_long, err); break;
		case 'd': rc = sl_fn_double_arg(cx, e, i, err); break;
		case 'b': rc = sl_fn_bool_arg(cx, e, i, err); break;
		default: break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

sl_expr *sl_fn_hidden_op(sl_bind_ctx *cx, sl_expr *e, int kind, int op,
			 sl_err *err)
{
	sl_expr *x = sl_arena_calloc(cx->a, sizeof(*x));
	x->kind = (uint8_t)kind;
	x->op = (uint8_t)op;
	x->pos = e->pos;
	x->col = -1;
	x->nargs = 2;
	x->args = sl_arena_alloc(cx->a, 2 * sizeof(*x->args));
	x->args[0] = e->args[0];
	x->args[1] = e->args[1];
	x->sql = e->sql;
	sl_expr *slot = x;
	if (sl_bind_operator(cx, &slot, err))
		return NULL;
	slot->flags |= EXF_BOUND;
	return slot;
}

int sl_fn_common_args(sl_bind_ctx *cx, sl_expr *e, uint32_t from,
		      const sl_dtype **t, sl_err *err)
{
	const sl_dtype *c = &sl_dtype_null;
	for (uint32_t i = from; i < e->nargs && c; i++)
		c = sl_common_type(cx, c, e->args[i]->type);
	if (!c)
		return sl_type_mismatch(err, e,
					"DATATYPE_MISMATCH.DATA_DIFF_TYPES: "
					"input to %s should all be the same "
					"type",
					e->fn->name);
	for (uint32_t i = from; i < e->nargs; i++) {
		int rc = sl_coerce(cx, &e->args[i], c, err);
		if (rc)
			return rc;
	}
	*t = c;
	return 0;
}

const char *sl_fn_append_sql(sl_bind_ctx *cx, const char *sql,
			     const char *extra)
{
	size_t n = strlen(sql);
	sl_buf w;
	sl_buf_init(&w, cx->a, n + strlen(extra) + 2);
	sl_buf_put(&w, sql, n - 1);
	sl_buf_puts(&w, extra);
	sl_buf_putc(&w, ')');
	return sl_buf_cstr(&w);
}

static const char *renamed(sl_bind_ctx *cx, const char *sql, const char *head,
			   const char *tail)
{
	const char *p = strchr(sql, '(');
	if (!p)
		return sql;
	sl_buf w;
	sl_buf_init(&w, cx->a, strlen(sql) + 16);
	if (head) {
		sl_buf_puts(&w, head);
		p++;
	} else {
		for (const char *c = sql; c < p; c++)
			sl_buf_putc(&w, (char)(*c >= 'a' && *c <= 'z' ? *c - 32
								       : *c));
	}
	size_t n = strlen(p);
	if (tail && n) {
		sl_buf_put(&w, p, n - 1);
		sl_buf_puts(&w, tail);
		sl_buf_putc(&w, ')');
	} else {
		sl_buf_put(&w, p, n);
	}
	return sl_buf_cstr(&w);
}

void sl_fn_rename(sl_bind_ctx *cx, sl_expr *e, const char *head,
		  const char *tail)
{
	bool spelled = e->spelled && e->spelled_of == e->sql;
	e->sql = renamed(cx, e->sql, head, tail);
	if (spelled) {
		e->spelled = renamed(cx, e->spelled, head, tail);
		e->spelled_of = e->sql;
	} else {
		e->spelled = NULL;
	}
}

int sl_fn_too_big(sl_err *err, const sl_expr *e)
{
	return sl_err_set(err, SL_EINVAL,
			  "%s: the result would pass %zu bytes (or elements), "
			  "the most one function call may build",
			  e->fn ? e->fn->name : "function", SL_FN_MAX_OUT);
}

const sl_dtype *sl_fn_array_of(sl_bind_ctx *cx, const sl_dtype *elem)
{
	sl_dtype *t = sl_arena_calloc(cx->a, sizeof(*t));
	t->id = SL_ARRAY;
	t->elem = elem;
	return t;
}

size_t sl_fn_char_off(const char *s, size_t n, int64_t ci)
{
	size_t i = 0;
	for (; i < n && ci > 0; ci--)
		i += (size_t)sl_utf8_len((unsigned char)s[i]);
	return i < n ? i : n;
}

uint32_t sl_fn_utf8_next(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = *i;
	int len = sl_utf8_len(u[k]);
	if (len <= 1 || k + (size_t)len > n) {
		*i = k + 1;
		return u[k];
	}
	uint32_t cp = u[k] & (0xffu >> (len + 1));
	for (int j = 1; j < len; j++) {
		if ((u[k + (size_t)j] & 0xc0) != 0x80) {
			*i = k + 1;
			return u[k];
		}
		cp = cp << 6 | (u[k + (size_t)j] & 0x3f);
	}
	*i = k + (size_t)len;
	return cp;
}
