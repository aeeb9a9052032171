/* expr/generator.c - the generators' output columns: explode of an array
 * (one column, col) or of a map (key, value), posexplode (pos first), and
 * the _outer forms, which give one row of nulls for a null or empty
 * input instead of none. The select (engine/stateless.c) asks here how
 * many columns a generator fills and fills them row by row. explode's
 * table entry is expr/func.c's; the others are this file's group. */
#include "expr/fn_map.h"

/* e->op of a bound generator: what it walks and what it adds */
enum { GEN_MAP = 1, GEN_POS = 2, GEN_OUTER = 4 };

static int ev_generator_arg(FN_EV_ARGS)
{
	return sl_fn_arg(e, 0, row, a, out, err);
}

/* Binds explode, explode_outer, posexplode or posexplode_outer over an
 * array or a map. */
static int bind_gen(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	const char *n = e->fn->name;
	if (t->id != SL_ARRAY && t->id != SL_MAP) {
		char tb[128];
		sl_type_sql(t, tb, sizeof(tb));
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
			"The first parameter requires the (\"ARRAY\" or "
			"\"MAP\") type, however \"%s\" has the type \"%s\"",
			e->args[0]->sql, tb);
	}
	e->op = (uint8_t)((t->id == SL_MAP ? GEN_MAP : 0) |
			  (!strncmp(n, "pos", 3) ? GEN_POS : 0) |
			  (strstr(n, "_outer") ? GEN_OUTER : 0));
	e->type = e->op & GEN_POS ? &sl_dtype_int
		  : t->id == SL_MAP ? t->key
				    : t->elem;
	e->eval = ev_generator_arg;
	return 0;
}

bool sl_map_bind_explode(sl_bind_ctx *cx, sl_expr *e, int *rc, sl_err *err)
{
	if (strcmp(e->fn->name, "explode") || e->nargs != 1 ||
	    e->args[0]->type->id != SL_MAP)
		return false;
	*rc = bind_gen(cx, e, err);
	return true;
}

uint32_t sl_expr_generator_width(const sl_expr *e)
{
	return 1 + !!(e->op & GEN_MAP) + !!(e->op & GEN_POS);
}

const char *sl_expr_generator_name(const sl_expr *e, uint32_t i)
{
	if (e->op & GEN_POS) {
		if (i == 0)
			return "pos";
		i--;
	}
	if (e->op & GEN_MAP)
		return i ? "value" : "key";
	return e->alias ? e->alias : "col";
}

const sl_dtype *sl_expr_generator_type(const sl_expr *e, uint32_t i)
{
	const sl_dtype *t = e->args[0]->type;
	if (e->op & GEN_POS) {
		if (i == 0)
			return &sl_dtype_int;
		i--;
	}
	if (e->op & GEN_MAP)
		return i ? t->elem : t->key;
	return t->elem;
}

uint32_t sl_expr_generator_rows(const sl_expr *e, const sl_value *coll)
{
	uint32_t n = coll->type == SL_ARRAY || coll->type == SL_MAP ? coll->len
								     : 0;
	return !n && (e->op & GEN_OUTER) ? 1 : n;
}

void sl_expr_generator_row(const sl_expr *e, const sl_value *coll, uint32_t i,
			   sl_value *out)
{
	bool have = (coll->type == SL_ARRAY || coll->type == SL_MAP) &&
		    i < coll->len;
	if (e->op & GEN_POS)
		*out++ = have ? sl_v_int((int32_t)i) : sl_v_null();
	if (e->op & GEN_MAP) {
		out[0] = have ? coll->v.arr[2 * i] : sl_v_null();
		out[1] = have ? coll->v.arr[2 * i + 1] : sl_v_null();
	} else {
		out[0] = have ? coll->v.arr[i] : sl_v_null();
	}
}

const sl_func sl_funcs_generator[] = {
	{ "explode_outer", 1, 1, FN_GEN, bind_gen, "explode_outer(expr)",
	  "Generator: explode, but a null or empty array or map gives one "
	  "row of nulls.",
	  NULL },
	{ "posexplode", 1, 1, FN_GEN, bind_gen, "posexplode(expr)",
	  "Generator: one row per element of the array (pos, col) or entry "
	  "of the map (pos, key, value).",
	  NULL },
	{ "posexplode_outer", 1, 1, FN_GEN, bind_gen, "posexplode_outer(expr)",
	  "Generator: posexplode, but a null or empty array or map gives one "
	  "row of nulls.",
	  NULL },
};
const size_t sl_funcs_generator_n = SL_NFUNCS(sl_funcs_generator);
