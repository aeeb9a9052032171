/* expr/bind_ref.c - binding the references of an expression: columns
 * (named as the query spells them, t.col and a.b.c included), struct
 * fields (st.a, st['a']) and array elements (arr[i], ANSI's
 * INVALID_ARRAY_INDEX), for expr/bind.c. */
#include <stdio.h>
#include <strings.h>

#include "expr/fn_map.h"
#include "expr/internal.h"
#include "expr/lambda.h"

static const char *tname(const sl_dtype *t, char *buf, size_t n)
{
	sl_dtype_name(t, buf, n);
	return buf;
}

static int unresolved(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_buf w, cols;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_init(&cols, cx->a, 64);
	for (uint32_t i = 0; i < e->nparts; i++)
		sl_buf_printf(&w, "%s%s", i ? "." : "", e->parts[i]);
	for (uint32_t i = 0; i < cx->in->n; i++)
		sl_buf_printf(&cols, "%s%s", i ? ", " : "",
			      cx->in->fields[i].name);
	return sl_bind_fail(err, e, SL_EANALYSIS,
			    "cannot resolve '%s' given input columns: [%s]",
			    sl_buf_cstr(&w), sl_buf_cstr(&cols));
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
	int rc = sl_eval_child(e->args[0], row, a, &s, err);
	if (rc)
		return rc;
	*out = s.type == SL_STRUCT ? s.v.fields[e->col] : sl_v_null();
	return 0;
}

/* e (an EX_FIELD whose child is bound) picks its field. */
int sl_bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *st = e->args[0]->type;
	if (st->id == SL_MAP) /* m.k is m['k'] */
		return sl_map_bind_field(cx, e, err);
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
		sl_buf w;
		sl_buf_init(&w, cx->a, 64);
		for (uint32_t i = 0; i < st->fields->n; i++)
			sl_buf_printf(&w, "%s%s", i ? ", " : "",
				      st->fields->fields[i].name);
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "no such struct field '%s' in %s", e->ident,
				    sl_buf_cstr(&w));
	}
	e->col = k;
	e->type = st->fields->fields[k].type;
	e->eval = ev_field;
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_printf(&w, "%s.%s", e->args[0]->sql, st->fields->fields[k].name);
	e->sql = sl_buf_cstr(&w);
	/* Spark's name keeps the field as the query spells it (ST.A) */
	e->spelled = NULL;
	e->spelled_of = e->sql;
	const sl_expr *c = e->args[0];
	if (sl_spelled_sql(c) != c->sql ||
	    strcmp(e->ident, st->fields->fields[k].name)) {
		sl_buf_init(&w, cx->a, 32);
		sl_buf_printf(&w, "%s.%s", sl_spelled_sql(c), e->ident);
		e->spelled = sl_buf_cstr(&w);
	}
	return 0;
}

int sl_bind_col(sl_bind_ctx *cx, sl_expr **slot, sl_err *err)
{
	sl_expr *e = *slot;
	int idx = -1, rc;
	uint32_t first = 0;
	if (!(cx->nlambda && sl_lambda_var_find(cx, e->parts[0], &idx)) &&
	    (rc = find_col(cx, e, e->parts[0], &idx, err)))
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
	/* Named as the query spells it, as Spark names an attribute after
	 * the reference that resolved it: SELECT VALUE over value is VALUE.
	 * sql keeps the schema's spelling: the planner matches SELECT items
	 * to GROUP BY keys by it (engine/stateful_plan.c), so upper(S) still
	 * finds GROUP BY upper(s). */
	e->sql = cx->in->fields[idx].name;
	e->name = e->parts[first];
	e->spelled = strcmp(e->name, e->sql) ? e->name : NULL;
	e->spelled_of = e->sql;
	e->eval = ev_col;
	e->flags |= EXF_BOUND;
	sl_lambda_var_named(cx, e);
	if (e->nparts <= first + 1)
		return 0;
	/* a.b.c: struct fields of column a, named by their last part. The
	 * column moves to a new node: e may be a root the caller holds,
	 * which the chain's top replaces (see sl_expr_bind). */
	sl_expr *cur = sl_bind_new_node(cx, EX_COL, e->pos);
	*cur = *e;
	cur->alias = NULL;
	const char *alias = e->alias;
	for (uint32_t i = first + 1; i < e->nparts; i++) {
		sl_expr *f = sl_bind_new_node(cx, EX_FIELD, e->pos);
		f->nargs = 1;
		f->args = sl_arena_alloc(cx->a, sizeof(*f->args));
		f->args[0] = cur;
		f->ident = e->parts[i];
		if ((rc = sl_bind_field(cx, f, err)))
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
	int rc = sl_eval_child(e->args[0], row, a, &arr, err);
	if (!rc)
		rc = sl_eval_child(e->args[1], row, a, &i, err);
	if (rc)
		return rc;
	/* out of range: an error with ANSI on, else null */
	if (arr.type != SL_ARRAY || i.type != SL_INT) {
		*out = sl_v_null();
	} else if (i.v.i32 < 0 || (uint32_t)i.v.i32 >= arr.len) {
		if (e->flags & EXF_ANSI)
			return sl_runtime_error(
				err, "INVALID_ARRAY_INDEX",
				"The index %d is out of bounds. The array has "
				"%u elements. Use the SQL function `get()` to "
				"tolerate accessing element at invalid index "
				"and return NULL instead. SQLSTATE: 22003",
				i.v.i32, arr.len);
		*out = sl_v_null();
	} else
		*out = arr.v.arr[i.v.i32];
	return 0;
}

/* st['a'] is the field a of st, named st.a as Spark names it; the name
 * must be a string literal. */
static int struct_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_expr *key = e->args[1];
	if (key->kind != EX_LIT || key->lit.type != SL_STRING)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "[INVALID_EXTRACT_FIELD_TYPE] Field name "
				    "should be a non-null string literal, but "
				    "it's \"%s\"",
				    key->sql);
	char *name = sl_arena_alloc(cx->a, key->lit.len + 1);
	memcpy(name, key->lit.v.str, key->lit.len);
	name[key->lit.len] = 0;
	e->kind = EX_FIELD;
	e->nargs = 1;
	e->ident = name;
	return sl_bind_field(cx, e, err);
}

/* arr[i] (and st['a']): e an EX_INDEX whose children are bound. */
int sl_bind_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if (e->args[0]->type->id == SL_MAP)
		return sl_map_bind_index(cx, e, err);
	if (e->args[0]->type->id == SL_STRUCT)
		return struct_index(cx, e, err);
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
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	return 0;
}
