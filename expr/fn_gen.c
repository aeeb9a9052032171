/* expr/fn_gen.c - the generators beside explode (expr/func.c):
 * explode_outer, posexplode, posexplode_outer, inline and inline_outer,
 * and all four explode forms over a map (sl_map_bind_explode: key and
 * value columns).
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
#include "expr/fn_map.h"

/* The one element of an outer generator's null row. */
static const sl_value null_row[1];

static bool is_outer(const sl_expr *e)
{
	size_t n = strlen(e->fn->name);
	return n > 6 && !strcmp(e->fn->name + n - 6, "_outer");
}

/* What a generator yields for a null or empty input: nothing, or for
 * the _outer forms one row of nulls. */
static int empty_input(const sl_expr *e, sl_value *out)
{
	if (!is_outer(e)) {
		*out = sl_v_null();
		return 0;
	}
	*out = (sl_value){ .type = SL_ARRAY, .len = 1, .v.arr = null_row };
	return 0;
}

static int ev_generate(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc)
		return rc;
	bool pos = e->fn->name[0] == 'p';
	if (out->type != SL_ARRAY || out->len == 0)
		return empty_input(e, out);
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

/* explode, explode_outer, posexplode and posexplode_outer of a map: a
 * row per entry, (key, value), pos first for the pos forms. */
static int ev_map_generate(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc)
		return rc;
	bool pos = e->fn->name[0] == 'p';
	uint32_t w = pos ? 3 : 2, n = out->type == SL_MAP ? out->len : 0;
	if (!n)
		return empty_input(e, out);
	const sl_value *kv = out->v.arr;
	sl_value *s = sl_arena_alloc(a, (size_t)n * (1 + w) * sizeof(*s));
	sl_value *f = s + n;
	for (uint32_t i = 0; i < n; i++, f += w) {
		uint32_t j = 0;
		if (pos)
			f[j++] = sl_v_int((int32_t)i);
		f[j++] = kv[2 * i];
		f[j] = kv[2 * i + 1];
		s[i] = (sl_value){ .type = SL_STRUCT, .len = w, .v.fields = f };
	}
	*out = (sl_value){ .type = SL_ARRAY, .len = n, .v.arr = s };
	return 0;
}

bool sl_map_bind_explode(sl_bind_ctx *cx, sl_expr *e, int *rc, sl_err *err)
{
	const char *n = e->fn->name;
	if ((strcmp(n, "explode") && strcmp(n, "explode_outer") &&
	     strcmp(n, "posexplode") && strcmp(n, "posexplode_outer")) ||
	    e->nargs != 1 || e->args[0]->type->id != SL_MAP)
		return false;
	const sl_dtype *t = e->args[0]->type;
	bool pos = n[0] == 'p';
	uint32_t j = 0;
	/* Spark names the _outer forms as the others */
	sl_fn_rename(cx, e, pos ? "posexplode(" : "explode(", NULL);
	sl_schema *sc = sl_schema_new(cx->a, pos ? 3 : 2);
	if (pos)
		sc->fields[j++] = (sl_field){ "pos", &sl_dtype_int, false };
	sc->fields[j++] = (sl_field){ "key", t->key, false };
	sc->fields[j] = (sl_field){ "value", t->elem, true };
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	st->id = SL_STRUCT;
	st->fields = sc;
	e->type = st;
	e->op = 1;
	e->eval = ev_map_generate;
	*rc = sl_fn_generator_names(cx, e, err);
	return true;
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
