/* expr/generator.c - the generators over a map: explode, explode_outer,
 * posexplode and posexplode_outer of a map give one row per entry, its
 * columns key and value (pos first for the pos forms). As every generator
 * of several columns (expr/fn_gen.c, expr/expr.h), the evaluator gives
 * an array of structs of those columns and the generator is marked with
 * op 1 and that struct type; the _outer forms give one row of nulls for
 * a null or empty map. The array forms are expr/fn_gen.c's and
 * expr/func.c's. */
#include "expr/fn_hof.h"
#include "expr/fn_map.h"

/* The one element of an outer generator's null row. */
static const sl_value null_row[1];

static bool gen_outer(const sl_expr *e)
{
	size_t n = strlen(e->fn->name);
	return n > 6 && !strcmp(e->fn->name + n - 6, "_outer");
}

static int ev_map_generate(FN_EV_ARGS)
{
	int rc = sl_fn_arg(e, 0, row, a, out, err);
	if (rc)
		return rc;
	bool pos = e->fn->name[0] == 'p';
	uint32_t w = pos ? 3 : 2, n = out->type == SL_MAP ? out->len : 0;
	if (!n) {
		if (!gen_outer(e)) {
			*out = sl_v_null();
			return 0;
		}
		*out = (sl_value){ .type = SL_ARRAY, .len = 1,
				   .v.arr = null_row };
		return 0;
	}
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
