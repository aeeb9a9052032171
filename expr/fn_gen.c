/* expr/fn_gen.c - the generators beside explode (expr/func.c):
 * explode_outer, posexplode, posexplode_outer, inline and inline_outer.
 *
 * A generator's evaluator gives the array of what it yields, one element
 * a row (expr/expr.h: sl_expr_eval_generator); the engine makes the rows.
 * Those yielding several columns a row (posexplode: pos and col; inline:
 * its structs' fields) mark themselves with op 1 and have the struct type
 * whose fields are those columns, each element such a struct or a null
 * (a row of nulls). The _outer forms yield one row of nulls for a null or
 * empty array where the others yield none. */
#include <stdio.h>

#include "expr/fn_hof.h"

/* The one element of an outer generator's null row. */
static const sl_value null_row[1];

static bool is_outer(const sl_expr *e)
{
	size_t n = strlen(e->fn->name);
	return n > 6 && !strcmp(e->fn->name + n - 6, "_outer");
}

static int ev_generate(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc)
		return rc;
	bool pos = e->fn->name[0] == 'p';
	if (out->type != SL_ARRAY || out->len == 0) {
		if (!is_outer(e)) {
			*out = sl_v_null();
			return 0;
		}
		out->type = SL_ARRAY;
		out->len = 1;
		out->v.arr = null_row;
		return 0;
	}
	if (!pos)
		return 0;
	/* posexplode: a struct (pos, col) per element */
	uint32_t n = out->len;
	const sl_value *in = out->v.arr;
	sl_value *s = sl_arena_alloc(a, (size_t)n * 3 * sizeof(*s));
	sl_value *f = s + n;
	for (uint32_t i = 0; i < n; i++) {
		f[2 * i] = sl_v_int((int32_t)i);
		f[2 * i + 1] = in[i];
		s[i].type = SL_STRUCT;
		s[i].len = 2;
		s[i].v.fields = &f[2 * i];
	}
	out->v.arr = s;
	return 0;
}

int sl_fn_generator_names(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_schema *f = sl_expr_generator_fields(e);
	uint32_t w = f ? f->n : 1;
	if (!e->nparts && w > 1 && e->alias)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "[UDTF_ALIAS_NUMBER_MISMATCH] The number of "
				    "aliases supplied in the AS clause does not "
				    "match the number of columns output by the "
				    "UDTF. Expected %u aliases, but got 1.",
				    w);
	if (!e->nparts)
		return 0;
	if (e->nparts != w)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "[UDTF_ALIAS_NUMBER_MISMATCH] The number of "
				    "aliases supplied in the AS clause does not "
				    "match the number of columns output by the "
				    "UDTF. Expected %u aliases, but got %u.",
				    w, e->nparts);
	if (!f)
		return 0;
	sl_schema *sc = sl_schema_new(cx->a, w);
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	for (uint32_t i = 0; i < w; i++) {
		sc->fields[i] = f->fields[i];
		sc->fields[i].name = e->parts[i];
	}
	*st = *e->type;
	st->fields = sc;
	e->type = st;
	return 0;
}

int sl_fn_bind_generator(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	bool in = e->fn->name[0] == 'i';
	/* Spark names explode_outer(x) explode(x), and so the others */
	sl_fn_rename(cx, e, in ? "inline(" : e->fn->name[0] == 'p'
						     ? "posexplode("
						     : "explode(",
		     NULL);
	if (t->id != SL_ARRAY || (in && t->elem->id != SL_STRUCT)) {
		char tb[128];
		sl_type_sql(t, tb, sizeof(tb));
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
			"The first parameter requires the %s type, however "
			"\"%s\" has the type \"%s\"",
			in ? "\"ARRAY<STRUCT>\"" : "(\"ARRAY\" or \"MAP\")",
			e->args[0]->sql, tb);
	}
	e->eval = ev_generate;
	if (in) {
		e->type = t->elem;
		e->op = 1;
		return sl_fn_generator_names(cx, e, err);
	}
	if (e->fn->name[0] != 'p') {
		e->type = t->elem;
		return sl_fn_generator_names(cx, e, err);
	}
	sl_schema *sc = sl_schema_new(cx->a, 2);
	sc->fields[0] = (sl_field){ "pos", &sl_dtype_int, false };
	sc->fields[1] = (sl_field){ "col", t->elem, true };
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	st->id = SL_STRUCT;
	st->fields = sc;
	e->type = st;
	e->op = 1;
	return sl_fn_generator_names(cx, e, err);
}

const sl_schema *sl_expr_generator_fields(const sl_expr *e)
{
	if (!sl_expr_is_generator(e) || e->op != 1 || !e->type ||
	    e->type->id != SL_STRUCT)
		return NULL;
	return e->type->fields;
}

uint32_t sl_expr_generator_width(const sl_expr *e)
{
	const sl_schema *f = sl_expr_generator_fields(e);
	return f ? f->n : 1;
}
