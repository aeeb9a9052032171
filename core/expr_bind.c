/* core/expr_bind.c - resolves a parsed expression against its input schema.
 *
 * Binding does everything that does not depend on the row, once per query:
 * column and struct-field resolution, function lookup and argument checks,
 * Spark's implicit casts (inserted as cast nodes, folded when the operand is
 * a literal), the result type, the choice of each node's evaluation
 * function, and Spark's output name for the expression. Evaluation
 * (expr_eval.c) then runs without type tests or lookups. */
#include <stdio.h>
#include <strings.h>

#include "core/expr_internal.h"

int sl_bind_fail(sl_err *err, const sl_expr *e, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
		err->pos = e ? e->pos : 0;
	}
	return code;
}

int sl_type_mismatch(sl_err *err, const sl_expr *e, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "cannot resolve '%s' due to data type mismatch: "
			    "%s",
			    e->sql ? e->sql : "?", why);
}

bool sl_is_numeric(const sl_dtype *t)
{
	return t->id == SL_INT || t->id == SL_LONG || t->id == SL_DOUBLE;
}

static const char *tname(const sl_dtype *t, char *buf, size_t n)
{
	sl_dtype_name(t, buf, n);
	return buf;
}

/* ---- Spark's pretty SQL text, which names the output columns ---------- */

void sl_type_sql(const sl_dtype *t, char *buf, size_t n)
{
	char tmp[256];
	size_t k = 0;
	switch (t->id) {
	case SL_ARRAY:
		sl_type_sql(t->elem, tmp, sizeof(tmp));
		snprintf(buf, n, "ARRAY<%s>", tmp);
		return;
	case SL_STRUCT:
		k = (size_t)snprintf(buf, n, "STRUCT<");
		for (uint32_t i = 0; i < t->fields->n && k < n; i++) {
			sl_type_sql(t->fields->fields[i].type, tmp,
				    sizeof(tmp));
			k += (size_t)snprintf(buf + k, n - k, "%s%s: %s",
					      i ? ", " : "",
					      t->fields->fields[i].name, tmp);
		}
		if (k < n)
			snprintf(buf + k, n - k, ">");
		return;
	default:
		sl_dtype_name(t, tmp, sizeof(tmp));
		for (k = 0; tmp[k] && k + 1 < n; k++)
			buf[k] = (char)(tmp[k] >= 'a' && tmp[k] <= 'z'
						? tmp[k] - 32
						: tmp[k]);
		buf[k] = 0;
	}
}

static const char *lit_sql(sl_bind_ctx *cx, const sl_value *v,
			   const sl_dtype *t)
{
	sl_wr w;
	sl_wr_init(&w, cx->a, 32);
	if (v->type == SL_NULL) {
		sl_wr_puts(&w, "NULL");
	} else if (t->id == SL_DATE || t->id == SL_TIMESTAMP) {
		sl_wr_puts(&w, t->id == SL_DATE ? "DATE '" : "TIMESTAMP '");
		sl_render_wr(&w, v);
		sl_wr_putc(&w, '\'');
	} else {
		/* Spark's pretty form: strings and numbers bare */
		sl_render_wr(&w, v);
	}
	return sl_wr_cstr(&w);
}

static const char *cmp_sym(int op)
{
	static const char *const s[] = {
		"=", "=", "<", "<=", ">", ">=", "<=>"
	};
	return s[op];
}

/* The node's own SQL text from its children's (which bind has set). */
static const char *node_sql(sl_bind_ctx *cx, const sl_expr *e)
{
	sl_wr w;
	sl_wr_init(&w, cx->a, 64);
	const sl_expr *const *a = (const sl_expr *const *)e->args;
	char tbuf[256];
	switch (e->kind) {
	case EX_NEG: sl_wr_printf(&w, "(- %s)", a[0]->sql); break;
	case EX_NOT: sl_wr_printf(&w, "(NOT %s)", a[0]->sql); break;
	case EX_ARITH:
		sl_wr_printf(&w, "(%s %c %s)", a[0]->sql, e->op, a[1]->sql);
		break;
	case EX_CMP:
		if (e->flags & EXF_NE_FORM)
			sl_wr_printf(&w, "(NOT (%s = %s))", a[0]->sql,
				     a[1]->sql);
		else
			sl_wr_printf(&w, "(%s %s %s)", a[0]->sql,
				     cmp_sym(e->op), a[1]->sql);
		break;
	case EX_AND:
	case EX_OR:
		sl_wr_printf(&w, "(%s %s %s)", a[0]->sql,
			     e->kind == EX_AND ? "AND" : "OR", a[1]->sql);
		break;
	case EX_ISNULL:
		sl_wr_printf(&w, "(%s IS %sNULL)", a[0]->sql,
			     e->flags & EXF_NOT ? "NOT " : "");
		break;
	case EX_IN:
		sl_wr_printf(&w, "(%s IN (", a[0]->sql);
		for (uint32_t i = 1; i < e->nargs; i++)
			sl_wr_printf(&w, "%s%s", i > 1 ? ", " : "", a[i]->sql);
		sl_wr_puts(&w, "))");
		break;
	case EX_LIKE:
		sl_wr_printf(&w, "%s %s %s", a[0]->sql,
			     e->op ? "RLIKE" : "LIKE", a[1]->sql);
		break;
	case EX_CASE: {
		sl_wr_puts(&w, "CASE");
		uint32_t end = e->nargs - !!(e->flags & EXF_HAS_ELSE);
		for (uint32_t i = 0; i + 1 < end; i += 2)
			sl_wr_printf(&w, " WHEN %s THEN %s", a[i]->sql,
				     a[i + 1]->sql);
		if (e->flags & EXF_HAS_ELSE)
			sl_wr_printf(&w, " ELSE %s", a[e->nargs - 1]->sql);
		sl_wr_puts(&w, " END");
		break;
	}
	case EX_CAST:
		sl_type_sql(e->type, tbuf, sizeof(tbuf));
		sl_wr_printf(&w, "CAST(%s AS %s)", a[0]->sql, tbuf);
		break;
	case EX_INDEX: sl_wr_printf(&w, "%s[%s]", a[0]->sql, a[1]->sql); break;
	case EX_FUNC:
		sl_wr_printf(&w, "%s(", e->fn ? e->fn->name : e->ident);
		for (uint32_t i = 0; i < e->nargs; i++) {
			sl_wr_printf(&w, "%s%s", i ? ", " : "", a[i]->sql);
			if (a[i]->alias)
				sl_wr_printf(&w, " AS %s", a[i]->alias);
		}
		sl_wr_putc(&w, ')');
		break;
	default: sl_wr_puts(&w, "?");
	}
	return sl_wr_cstr(&w);
}

/* ---- types ------------------------------------------------------------ */

static int num_rank(sl_type id)
{
	return id == SL_INT ? 1 : id == SL_LONG ? 2 : id == SL_DOUBLE ? 3 : 0;
}

const sl_dtype *sl_wider_type(const sl_dtype *a, const sl_dtype *b,
			      bool string_wins)
{
	if (sl_dtype_equal(a, b))
		return a;
	if (a->id == SL_NULL)
		return b;
	if (b->id == SL_NULL)
		return a;
	int ra = num_rank(a->id), rb = num_rank(b->id);
	if (ra && rb)
		return ra > rb ? a : b;
	if ((a->id == SL_DATE && b->id == SL_TIMESTAMP) ||
	    (a->id == SL_TIMESTAMP && b->id == SL_DATE))
		return &sl_dtype_timestamp;
	if (string_wins) {
		/* Spark's string promotion: any atomic type but binary and
		 * boolean widens with a string to a string. */
		const sl_dtype *o = a->id == SL_STRING	 ? b
				    : b->id == SL_STRING ? a
							 : NULL;
		if (o && o->id != SL_BINARY && o->id != SL_BOOL &&
		    o->id != SL_ARRAY && o->id != SL_STRUCT)
			return &sl_dtype_string;
	}
	return NULL;
}

/* The type both sides of a comparison are cast to (Spark's
 * findCommonTypeForBinaryComparison): a string meets a number, date or
 * boolean as that type. */
static const sl_dtype *cmp_type(const sl_dtype *a, const sl_dtype *b)
{
	const sl_dtype *w = sl_wider_type(a, b, false);
	if (w)
		return w;
	const sl_dtype *o = a->id == SL_STRING	 ? b
			    : b->id == SL_STRING ? a
						 : NULL;
	if (o && o->id != SL_ARRAY && o->id != SL_STRUCT)
		return o;
	return NULL;
}

static sl_expr *new_node(sl_bind_ctx *cx, sl_ex_kind kind, int pos)
{
	sl_expr *e = sl_arena_calloc(cx->a, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->pos = pos;
	e->col = -1;
	e->flags = EXF_BOUND;
	return e;
}

static int ev_lit(const sl_expr *e, const sl_value *row, sl_arena *a,
		  sl_value *out, sl_err *err)
{
	*out = e->lit;
	return 0;
}

/* Evaluates a bound node that has no column references into a literal
 * (plan arena). */
static sl_expr *fold(sl_bind_ctx *cx, sl_expr *e)
{
	sl_value v;
	sl_err err = { 0 };
	if (e->eval(e, NULL, cx->a, &v, &err) < 0)
		return e;
	sl_expr *l = new_node(cx, EX_LIT, e->pos);
	l->lit = sl_value_copy(&v, cx->a);
	l->type = e->type;
	l->sql = e->sql;
	l->name = e->name;
	l->alias = e->alias;
	l->eval = ev_lit;
	return l;
}

int sl_coerce(sl_bind_ctx *cx, sl_expr **slot, const sl_dtype *t, sl_err *err)
{
	sl_expr *e = *slot;
	if (sl_dtype_equal(e->type, t))
		return 0;
	if (e->kind == EX_LIT && e->type->id == SL_NULL) {
		e->type = t;
		return 0;
	}
	if (!sl_can_cast_implicit(e->type, t)) {
		char a[128], b[128];
		return sl_type_mismatch(err, e, "cannot cast %s to %s",
					tname(e->type, a, sizeof(a)),
					tname(t, b, sizeof(b)));
	}
	sl_expr *c = new_node(cx, EX_CAST, e->pos);
	c->flags |= EXF_IMPLICIT;
	c->nargs = 1;
	c->args = sl_arena_alloc(cx->a, sizeof(*c->args));
	c->args[0] = e;
	c->type = t;
	c->sql = e->sql;
	c->name = e->name;
	c->eval = sl_eval_cast;
	*slot = e->kind == EX_LIT ? fold(cx, c) : c;
	return 0;
}

/* ---- columns and fields ----------------------------------------------- */

static int unresolved(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_wr w, cols;
	sl_wr_init(&w, cx->a, 32);
	sl_wr_init(&cols, cx->a, 64);
	for (uint32_t i = 0; i < e->nparts; i++)
		sl_wr_printf(&w, "%s%s", i ? "." : "", e->parts[i]);
	for (uint32_t i = 0; i < cx->in->n; i++)
		sl_wr_printf(&cols, "%s%s", i ? ", " : "",
			     cx->in->fields[i].name);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "cannot resolve '%s' given input columns: [%s]",
			    sl_wr_cstr(&w), sl_wr_cstr(&cols));
}

static int find_col(sl_bind_ctx *cx, sl_expr *e, const char *name, int *idx,
		    sl_err *err)
{
	int found = -1;
	for (uint32_t i = 0; i < cx->in->n; i++) {
		if (strcasecmp(cx->in->fields[i].name, name))
			continue;
		if (found >= 0)
			return sl_bind_fail(
				err, e, SL_EANALYSIS,
				"reference '%s' is ambiguous, could be: %s, %s",
				name, cx->in->fields[found].name,
				cx->in->fields[i].name);
		found = (int)i;
	}
	*idx = found;
	return 0;
}

static int ev_col(const sl_expr *e, const sl_value *row, sl_arena *a,
		  sl_value *out, sl_err *err)
{
	*out = row[e->col];
	return 0;
}

static int ev_field(const sl_expr *e, const sl_value *row, sl_arena *a,
		    sl_value *out, sl_err *err)
{
	sl_value s;
	int rc = sl_ev(e->args[0], row, a, &s, err);
	if (rc)
		return rc;
	*out = s.type == SL_STRUCT ? s.v.fields[e->col] : sl_v_null();
	return 0;
}

/* e (an EX_FIELD whose child is bound) picks its field. */
static int bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *st = e->args[0]->type;
	if (st->id != SL_STRUCT) {
		char tb[128];
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "cannot extract field '%s' from '%s' of "
				    "type %s: not a struct",
				    e->ident, e->args[0]->sql,
				    tname(st, tb, sizeof(tb)));
	}
	int k = sl_schema_find(st->fields, e->ident, strlen(e->ident));
	if (k < 0) {
		sl_wr w;
		sl_wr_init(&w, cx->a, 64);
		for (uint32_t i = 0; i < st->fields->n; i++)
			sl_wr_printf(&w, "%s%s", i ? ", " : "",
				     st->fields->fields[i].name);
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "no such struct field '%s' in %s", e->ident,
				    sl_wr_cstr(&w));
	}
	e->col = k;
	e->type = st->fields->fields[k].type;
	e->eval = ev_field;
	sl_wr w;
	sl_wr_init(&w, cx->a, 32);
	sl_wr_printf(&w, "%s.%s", e->args[0]->sql, st->fields->fields[k].name);
	e->sql = sl_wr_cstr(&w);
	return 0;
}

static int bind_col(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	int idx = -1, rc;
	uint32_t first = 0;
	if ((rc = find_col(cx, e, e->parts[0], &idx, err)))
		return rc;
	if (idx < 0 && e->nparts >= 2) {
		/* t.col: sluice has no table names, so a qualifier is
		 * taken as naming the one input. */
		if ((rc = find_col(cx, e, e->parts[1], &idx, err)))
			return rc;
		first = 1;
	}
	if (idx < 0) {
		/* Spark resolves these keywords as functions when no
		 * column has the name. */
		if (e->nparts == 1 &&
		    (!strcasecmp(e->parts[0], "current_timestamp") ||
		     !strcasecmp(e->parts[0], "current_date"))) {
			e->kind = EX_FUNC;
			e->ident = !strcasecmp(e->parts[0], "current_date")
					   ? "current_date"
					   : "current_timestamp";
			return sl_bind_node(cx, slot, err);
		}
		return unresolved(cx, e, err);
	}
	e->col = idx;
	e->type = cx->in->fields[idx].type;
	e->sql = e->name = cx->in->fields[idx].name;
	e->eval = ev_col;
	e->flags |= EXF_BOUND;
	if (e->nparts <= first + 1)
		return 0;
	/* a.b.c: struct fields of column a, named by their last part. The
	 * column moves to a new node: e may be a root the caller holds,
	 * which the chain's top replaces (see sl_expr_bind). */
	sl_expr *cur = new_node(cx, EX_COL, e->pos);
	*cur = *e;
	cur->alias = NULL;
	const char *alias = e->alias;
	for (uint32_t i = first + 1; i < e->nparts; i++) {
		sl_expr *f = new_node(cx, EX_FIELD, e->pos);
		f->nargs = 1;
		f->args = sl_arena_alloc(cx->a, sizeof(*f->args));
		f->args[0] = cur;
		f->ident = e->parts[i];
		if ((rc = bind_field(cx, f, err)))
			return rc;
		f->name = e->parts[i];
		cur = f;
	}
	cur->alias = alias;
	*slot = cur;
	return 0;
}

static int ev_index(const sl_expr *e, const sl_value *row, sl_arena *a,
		    sl_value *out, sl_err *err)
{
	sl_value arr, i;
	int rc = sl_ev(e->args[0], row, a, &arr, err);
	if (!rc)
		rc = sl_ev(e->args[1], row, a, &i, err);
	if (rc)
		return rc;
	/* Spark (ANSI off): out of range is null */
	if (arr.type != SL_ARRAY || i.type != SL_INT || i.v.i32 < 0 ||
	    (uint32_t)i.v.i32 >= arr.len)
		*out = sl_v_null();
	else
		*out = arr.v.arr[i.v.i32];
	return 0;
}

/* ---- functions -------------------------------------------------------- */

static int arg_count_error(sl_expr *e, const sl_func *f, sl_err *err)
{
	char want[48];
	if (f->max < 0)
		snprintf(want, sizeof(want), "at least %d", f->min);
	else if (f->min == f->max)
		snprintf(want, sizeof(want), "%d", f->min);
	else if (f->max == f->min + 1)
		snprintf(want, sizeof(want), "%d or %d", f->min, f->max);
	else
		snprintf(want, sizeof(want), "%d to %d", f->min, f->max);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "invalid number of arguments for function %s: "
			    "expected %s, found %u",
			    f->name, want, e->nargs);
}

/* struct(*) and struct(a, *): every input column in place of the star. */
static void expand_stars(sl_bind_ctx *cx, sl_expr *e)
{
	uint32_t n = 0;
	bool star = false;
	for (uint32_t i = 0; i < e->nargs; i++) {
		star |= e->args[i]->kind == EX_STAR;
		n += e->args[i]->kind == EX_STAR ? cx->in->n : 1;
	}
	/* Not n == nargs: a star over one column keeps the count. */
	if (!star)
		return;
	sl_expr **v = sl_arena_alloc(cx->a, (n ? n : 1) * sizeof(*v));
	uint32_t k = 0;
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_expr *a = e->args[i];
		if (a->kind != EX_STAR) {
			v[k++] = a;
			continue;
		}
		for (uint32_t c = 0; c < cx->in->n; c++) {
			sl_expr *col = new_node(cx, EX_COL, a->pos);
			col->flags = 0;
			col->parts = sl_arena_alloc(cx->a, sizeof(char *));
			col->parts[0] = cx->in->fields[c].name;
			col->nparts = 1;
			v[k++] = col;
		}
	}
	e->args = v;
	e->nargs = n;
}

static int bind_func(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_func *f = sl_func_find(e->ident);
	if (!f)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "undefined function: '%s'", e->ident);
	if (f->flags & FN_AGG)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "aggregate function %s() needs GROUP BY: "
				    "aggregates belong in the select list of a "
				    "grouped query (GROUP BY, "
				    "sl_frame_group_by)",
				    f->name);
	if (f->flags & FN_WINDOW)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "%s() groups rows into event-time windows "
				    "and needs GROUP BY; GROUP BY is not "
				    "supported yet (stateful queries)",
				    f->name);
	e->fn = f;
	if (f->flags & FN_STRUCT_ARGS)
		expand_stars(cx, e);
	if (e->nargs < (uint32_t)f->min ||
	    (f->max >= 0 && e->nargs > (uint32_t)f->max))
		return arg_count_error(e, f, err);
	for (uint32_t i = 0; i < e->nargs; i++) {
		if (e->args[i]->kind == EX_STAR)
			return sl_bind_fail(err, e->args[i], SL_EANALYSIS,
					    "invalid usage of '*' in "
					    "expression '%s'",
					    f->name);
		int rc = sl_bind_node(cx, &e->args[i], err);
		if (rc)
			return rc;
	}
	e->sql = node_sql(cx, e);
	return f->bind(cx, e, err);
}

/* ---- operators -------------------------------------------------------- */

static int need_bool(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id == SL_BOOL)
		return 0;
	if (t->id == SL_NULL)
		return sl_coerce(cx, &e->args[i], &sl_dtype_bool, err);
	char tb[128];
	return sl_type_mismatch(err, e,
				"argument %u requires boolean type, however, "
				"'%s' is of %s type",
				i + 1, e->args[i]->sql,
				tname(t, tb, sizeof(tb)));
}

static int bind_arith(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *l = e->args[0]->type, *r = e->args[1]->type;
	char ta[128], tb[128];
	/* date + int and date - int are Spark 3's date_add/date_sub */
	if ((e->op == '+' || e->op == '-') &&
	    (l->id == SL_DATE || (e->op == '+' && r->id == SL_DATE))) {
		uint32_t d = l->id == SL_DATE ? 0 : 1;
		const sl_dtype *o = e->args[1 - d]->type;
		if (o->id != SL_INT && o->id != SL_LONG && o->id != SL_NULL &&
		    o->id != SL_STRING)
			return sl_type_mismatch(
				err, e,
				"a date takes a whole number of "
				"days, not %s",
				tname(o, ta, sizeof(ta)));
		int rc = sl_coerce(cx, &e->args[1 - d], &sl_dtype_int, err);
		if (rc)
			return rc;
		e->type = &sl_dtype_date;
		sl_wr w;
		sl_wr_init(&w, cx->a, 32);
		sl_wr_printf(&w, "date_%s(%s, %s)",
			     e->op == '+' ? "add" : "sub", e->args[d]->sql,
			     e->args[1 - d]->sql);
		e->sql = sl_wr_cstr(&w);
		return sl_pick_eval(cx, e, err);
	}
	/* Spark casts strings in arithmetic to double */
	if (l->id == SL_STRING)
		l = &sl_dtype_double;
	if (r->id == SL_STRING)
		r = &sl_dtype_double;
	if ((l->id != SL_NULL && !sl_is_numeric(l)) ||
	    (r->id != SL_NULL && !sl_is_numeric(r)))
		return sl_type_mismatch(
			err, e, "differing types in '%s' (%s and %s)", e->sql,
			tname(e->args[0]->type, ta, 128),
			tname(e->args[1]->type, tb, 128));
	const sl_dtype *t = sl_wider_type(l, r, false);
	if (t->id == SL_NULL)
		t = e->op == '/' ? &sl_dtype_double : &sl_dtype_int;
	if (e->op == '/')
		t = &sl_dtype_double;
	int rc = sl_coerce(cx, &e->args[0], t, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], t, err);
	if (rc)
		return rc;
	e->type = t;
	return sl_pick_eval(cx, e, err);
}

static int bind_cmp(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *l = e->args[0]->type, *r = e->args[1]->type;
	const sl_dtype *t = cmp_type(l, r);
	if (!t) {
		char ta[128], tb[128];
		return sl_type_mismatch(
			err, e, "differing types in '%s' (%s and %s)", e->sql,
			tname(l, ta, sizeof(ta)), tname(r, tb, sizeof(tb)));
	}
	int rc = sl_coerce(cx, &e->args[0], t, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], t, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_bool;
	return sl_pick_eval(cx, e, err);
}

static int bind_in(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	for (uint32_t i = 1; i < e->nargs && t; i++)
		t = sl_wider_type(t, e->args[i]->type, true);
	if (!t) {
		char ta[128];
		return sl_type_mismatch(
			err, e, "arguments must be same type but were: %s",
			tname(e->args[0]->type, ta, sizeof(ta)));
	}
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_coerce(cx, &e->args[i], t, err);
		if (rc)
			return rc;
	}
	e->type = &sl_dtype_bool;
	return sl_pick_eval(cx, e, err);
}

static int bind_case(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool has_else = e->flags & EXF_HAS_ELSE;
	uint32_t pairs = (e->nargs - has_else) / 2;
	const sl_dtype *t = &sl_dtype_null;
	for (uint32_t i = 0; i < pairs; i++) {
		int rc = need_bool(cx, e, 2 * i, err);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < e->nargs && t; i++)
		if (i % 2 == 1 || (has_else && i == e->nargs - 1))
			t = sl_wider_type(t, e->args[i]->type, true);
	if (!t)
		return sl_type_mismatch(err, e,
					"THEN and ELSE expressions should all "
					"be same type or coercible to a common "
					"type");
	for (uint32_t i = 0; i < e->nargs; i++) {
		if (i % 2 == 1 || (has_else && i == e->nargs - 1)) {
			int rc = sl_coerce(cx, &e->args[i], t, err);
			if (rc)
				return rc;
		}
	}
	e->type = t;
	return sl_pick_eval(cx, e, err);
}

static int bind_cast(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	const sl_expr *c = e->args[0];
	if (!sl_can_cast(c->type, e->type)) {
		char ta[128], tb[128];
		return sl_type_mismatch(err, e, "cannot cast %s to %s",
					tname(c->type, ta, sizeof(ta)),
					tname(e->type, tb, sizeof(tb)));
	}
	/* Spark names CAST(col AS t) after the column (ResolveAliases'
	 * Cast(NamedExpression) rule). */
	if (c->kind == EX_COL || (c->kind == EX_FIELD && c->name))
		e->name = c->name;
	e->eval = sl_eval_cast;
	if (c->kind == EX_LIT)
		*slot = fold(cx, e);
	return 0;
}

/* A generator is only allowed at the root of a select item. */
static int check_nested_generators(const sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_expr *c = e->args[i];
		if (c && c->kind == EX_FUNC && c->fn && (c->fn->flags & FN_GEN))
			return sl_bind_fail(
				err, c, SL_EANALYSIS,
				"generators are not supported when nested in "
				"expressions, but got: %s",
				e->sql);
	}
	return 0;
}

int sl_bind_node(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	int rc = 0;
	switch (e->kind) {
	case EX_LIT:
		e->eval = ev_lit;
		e->sql = lit_sql(cx, &e->lit, e->type);
		return 0;
	case EX_COL: return bind_col(cx, slot, err);
	case EX_STAR:
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "invalid usage of '*': a star selects all "
				    "columns only as a whole select item or "
				    "inside struct()");
	case EX_FUNC:
		rc = bind_func(cx, e, err);
		return rc ? rc : check_nested_generators(e, err);
	default: break;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		if ((rc = sl_bind_node(cx, &e->args[i], err)))
			return rc;
	e->sql = node_sql(cx, e);
	if ((rc = check_nested_generators(e, err)))
		return rc;
	switch (e->kind) {
	case EX_FIELD: return bind_field(cx, e, err);
	case EX_INDEX:
		if (e->args[0]->type->id != SL_ARRAY) {
			char tb[128];
			return sl_type_mismatch(
				err, e, "'%s' is of %s type, not an array",
				e->args[0]->sql,
				tname(e->args[0]->type, tb, sizeof(tb)));
		}
		if ((rc = sl_coerce(cx, &e->args[1], &sl_dtype_int, err)))
			return rc;
		e->type = e->args[0]->type->elem;
		e->eval = ev_index;
		return 0;
	case EX_NEG: {
		const sl_dtype *t = e->args[0]->type;
		if (t->id == SL_STRING || t->id == SL_NULL)
			t = &sl_dtype_double;
		if (!sl_is_numeric(t)) {
			char tb[128];
			return sl_type_mismatch(
				err, e, "'%s' is of %s type, not numeric",
				e->args[0]->sql,
				tname(e->args[0]->type, tb, sizeof(tb)));
		}
		if ((rc = sl_coerce(cx, &e->args[0], t, err)))
			return rc;
		e->type = t;
		return sl_pick_eval(cx, e, err);
	}
	case EX_NOT:
		if ((rc = need_bool(cx, e, 0, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_AND:
	case EX_OR:
		if ((rc = need_bool(cx, e, 0, err)) ||
		    (rc = need_bool(cx, e, 1, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_ISNULL:
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_ARITH: return bind_arith(cx, e, err);
	case EX_CMP: return bind_cmp(cx, e, err);
	case EX_IN: return bind_in(cx, e, err);
	case EX_LIKE:
		if (e->op)
			return sl_bind_rlike(cx, e, err);
		if ((rc = sl_coerce(cx, &e->args[0], &sl_dtype_string, err)) ||
		    (rc = sl_coerce(cx, &e->args[1], &sl_dtype_string, err)))
			return rc;
		e->type = &sl_dtype_bool;
		return sl_pick_eval(cx, e, err);
	case EX_CASE: return bind_case(cx, e, err);
	case EX_CAST: return bind_cast(cx, slot, err);
	default:
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "cannot bind expression");
	}
}

/* ---- public ----------------------------------------------------------- */

int sl_expr_bind(sl_expr *e, const sl_schema *in, sl_arena *a, sl_err *err)
{
	sl_bind_ctx cx = { .in = in, .a = a };
	if (e->flags & EXF_BOUND && e->eval)
		return 0;
	sl_expr *slot = e;
	const char *alias = e->alias;
	int rc = sl_bind_node(&cx, &slot, err);
	if (rc)
		return rc < 0 ? rc : SL_EANALYSIS;
	if (slot != e) {
		/* The caller holds e: the replacement (a resolved field
		 * chain, a folded literal) moves into it. No node refers to
		 * the root, so the copy is safe. */
		*e = *slot;
		if (!e->alias)
			e->alias = alias;
	}
	e->flags |= EXF_BOUND;
	return 0;
}

const sl_dtype *sl_expr_type(const sl_expr *e)
{
	return e->type ? e->type : &sl_dtype_null;
}

const char *sl_expr_name(const sl_expr *e)
{
	if (e->alias)
		return e->alias;
	if (e->kind == EX_FUNC && e->fn && (e->fn->flags & FN_GEN))
		return "col";
	if (e->name)
		return e->name;
	return e->sql ? e->sql : "";
}

bool sl_expr_is_generator(const sl_expr *e)
{
	return e->kind == EX_FUNC && e->ident && (!strcmp(e->ident, "explode"));
}

bool sl_expr_has_aggregate(const sl_expr *e)
{
	if (!e)
		return false;
	if (e->kind == EX_FUNC) {
		const sl_func *f = sl_func_find(e->ident);
		if (f && (f->flags & FN_AGG))
			return true;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sl_expr_has_aggregate(e->args[i]))
			return true;
	return false;
}

bool sl_expr_is_star(const sl_expr *e)
{
	return e->kind == EX_STAR;
}

int sl_expr_eval(const sl_expr *e, const sl_value *row, sl_arena *out_arena,
		 sl_value *out, sl_err *err)
{
	return e->eval(e, row, out_arena, out, err);
}

int sl_expr_eval_generator(const sl_expr *e, const sl_value *row,
			   sl_arena *out_arena, sl_value *out, sl_err *err)
{
	if (!sl_expr_is_generator(e) || !e->fn)
		return sl_err_set(err, SL_EINVAL,
				  "'%s' is not a bound generator",
				  e->sql ? e->sql : "?");
	return sl_ev(e->args[0], row, out_arena, out, err);
}
