/* expr/fn_map.c - the MAP functions: map(k, v, ...), map_keys,
 * map_values, map_entries, map_from_arrays, map_from_entries, str_to_map,
 * map_contains_key and map_concat (the "map" group of the function
 * table), and the map forms of calls and operators whose table entries
 * live elsewhere: m[k], size/cardinality, element_at/try_element_at, and
 * the refusals of maps in hash(), xxhash64(), comparisons and IN, as
 * Spark 4 refuses them. Building a map (null and duplicate keys) is
 * expr/map_build.c's. */
#include <stdio.h>

#include "expr/fn_map.h"

static const char *tname(const sl_dtype *t, char *buf, size_t n)
{
	sl_type_sql(t, buf, n);
	return buf;
}

/* Argument i must be a map; a NULL literal becomes a null MAP<VOID, VOID>
 * when null_ok (Spark's map_keys(NULL)). */
static int need_map(sl_bind_ctx *cx, sl_expr *e, uint32_t i, bool null_ok,
		    sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id == SL_MAP)
		return 0;
	if (t->id == SL_NULL && null_ok)
		return sl_coerce(cx, &e->args[i],
				 sl_dtype_map(cx->a, &sl_dtype_null,
					      &sl_dtype_null),
				 err);
	return sl_fn_arg_type_error(e, i, "\"MAP\"", err);
}

/* Spark's key types: anything but a map (or a type holding one). */
static int check_key_type(const sl_expr *e, const sl_dtype *k, sl_err *err)
{
	if (!sl_dtype_has_map(k))
		return 0;
	char tb[128];
	return sl_type_mismatch_cls(err, e,
				    "DATATYPE_MISMATCH.INVALID_MAP_KEY_TYPE",
				    "The key of map cannot be/contain \"%s\"",
				    tname(k, tb, sizeof(tb)));
}

/* ---- map(k1, v1, ...) -------------------------------------------------- */

static int ev_map(FN_EV_ARGS)
{
	sl_map_builder b;
	sl_map_builder_init(&b, e, a, e->nargs / 2);
	for (uint32_t i = 0; i + 1 < e->nargs; i += 2) {
		sl_value k, v;
		int rc = sl_fn_arg(e, i, row, a, &k, err);
		if (!rc)
			rc = sl_fn_arg(e, i + 1, row, a, &v, err);
		if (rc)
			return rc;
		if (k.type == SL_NULL)
			return sl_map_null_key(err);
		if ((rc = sl_map_builder_add(&b, &k, &v, err)))
			return rc;
	}
	return sl_map_builder_finish(&b, out, err);
}

/* The common type of arguments from, from + 2, ...; NULL if none. */
static const sl_dtype *common_every_other(sl_bind_ctx *cx, sl_expr *e,
					  uint32_t from, uint32_t *bad)
{
	const sl_dtype *c = &sl_dtype_null;
	for (uint32_t i = from; i < e->nargs; i += 2) {
		c = sl_common_type(cx, c, e->args[i]->type);
		if (!c) {
			*bad = i;
			return NULL;
		}
	}
	return c;
}

static int diff_types(sl_expr *e, uint32_t from, const char *cls,
		      const char *what, sl_err *err)
{
	char list[400];
	size_t k = 0;
	list[0] = 0;
	for (uint32_t i = from; i < e->nargs && k + 80 < sizeof(list);
	     i += 2) {
		char tb[128];
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s\"%s\"",
				      i == from ? "" : ", ",
				      tname(e->args[i]->type, tb, sizeof(tb)));
	}
	return sl_type_mismatch_cls(err, e, cls,
				    "The given %s of function `map` should all "
				    "be the same type, but they are [%s]",
				    what, list);
}

static int bind_map(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (e->nargs % 2)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The "
				    "`map` requires 2n (n > 0) parameters but "
				    "the actual number is %u",
				    e->nargs);
	uint32_t bad = 0;
	const sl_dtype *k = common_every_other(cx, e, 0, &bad);
	if (!k)
		return diff_types(e, 0,
				  "DATATYPE_MISMATCH.CREATE_MAP_KEY_DIFF_TYPES",
				  "keys", err);
	const sl_dtype *v = common_every_other(cx, e, 1, &bad);
	if (!v)
		return diff_types(
			e, 1, "DATATYPE_MISMATCH.CREATE_MAP_VALUE_DIFF_TYPES",
			"values", err);
	int rc = check_key_type(e, k, err);
	for (uint32_t i = 0; i < e->nargs && !rc; i++)
		rc = sl_coerce(cx, &e->args[i], i % 2 ? v : k, err);
	if (rc)
		return rc;
	e->type = sl_dtype_map(cx->a, k, v);
	e->eval = ev_map;
	sl_map_note_policy(cx, e);
	return 0;
}

/* ---- map_keys, map_values, map_entries, size -------------------------- */

enum { PART_KEYS, PART_VALUES, PART_ENTRIES };

static int ev_map_part(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, m);
	sl_value *o = sl_arena_alloc(a, (m.len ? m.len : 1) * sizeof(*o));
	for (uint32_t i = 0; i < m.len; i++) {
		if (e->op != PART_ENTRIES) {
			o[i] = m.v.arr[2 * i + (e->op == PART_VALUES)];
			continue;
		}
		o[i] = (sl_value){ .type = SL_STRUCT, .len = 2,
				   .v.fields = &m.v.arr[2 * i] };
	}
	*out = (sl_value){ .type = SL_ARRAY, .len = m.len, .v.arr = o };
	return 0;
}

static int bind_map_part(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = need_map(cx, e, 0, true, err);
	if (rc)
		return rc;
	const sl_dtype *t = e->args[0]->type, *elem;
	const char *n = e->fn->name;
	e->op = !strcmp(n, "map_keys")	   ? PART_KEYS
		: !strcmp(n, "map_values") ? PART_VALUES
					   : PART_ENTRIES;
	if (e->op == PART_ENTRIES) {
		sl_schema *s = sl_schema_new(cx->a, 2);
		s->fields[0] = (sl_field){ "key", t->key, false };
		s->fields[1] = (sl_field){ "value", t->elem, true };
		sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
		st->id = SL_STRUCT;
		st->fields = s;
		elem = st;
	} else {
		elem = e->op == PART_KEYS ? t->key : t->elem;
	}
	e->type = sl_fn_array_of(cx, elem);
	e->eval = ev_map_part;
	return 0;
}

static int ev_map_size(FN_EV_ARGS)
{
	sl_value m;
	int rc = sl_fn_arg(e, 0, row, a, &m, err);
	if (rc)
		return rc;
	/* spark.sql.legacy.sizeOfNull: -1 unless ANSI is on */
	if (m.type == SL_NULL)
		*out = e->flags & EXF_ANSI ? sl_v_null() : sl_v_int(-1);
	else
		*out = sl_v_int((int32_t)m.len);
	return 0;
}

/* ---- element_at, try_element_at, m[k], map_contains_key --------------- */

static int ev_map_get(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, m);
	FN_ARG_OR_NULL(1, k);
	int64_t i = sl_map_find(&m, &k);
	*out = i < 0 ? sl_v_null() : m.v.arr[2 * i + 1];
	return 0;
}

static int ev_map_contains(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, m);
	FN_ARG_OR_NULL(1, k);
	*out = sl_v_bool(sl_map_find(&m, &k) >= 0);
	return 0;
}

/* The map argument 0 and the key argument 1 brought to one key type
 * without string promotion, as Spark's element_at and map_contains_key
 * do (the map is cast when its keys are the narrower). */
static int map_and_key(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = need_map(cx, e, 0, false, err);
	if (rc)
		return rc;
	const sl_dtype *m = e->args[0]->type, *k = e->args[1]->type;
	if (k->id == SL_NULL && !strcmp(e->fn->name, "map_contains_key"))
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.NULL_TYPE",
			"Null typed values cannot be used as arguments of "
			"`map_contains_key`");
	const sl_dtype *w = sl_wider_type(m->key, k, false);
	if (!w || sl_dtype_has_map(w)) {
		char ta[128], tb[128];
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.MAP_FUNCTION_DIFF_TYPES",
			"Input to `%s` should have been \"MAP\" followed by a "
			"value with same key type, but it's [\"%s\", \"%s\"]",
			e->fn->name, tname(m, ta, sizeof(ta)),
			tname(k, tb, sizeof(tb)));
	}
	if (!sl_dtype_equal(w, m->key) &&
	    (rc = sl_coerce(cx, &e->args[0],
			    sl_dtype_map(cx->a, w, m->elem), err)))
		return rc;
	return sl_coerce(cx, &e->args[1], w, err);
}

static int bind_map_contains_key(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = map_and_key(cx, e, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_bool;
	e->eval = ev_map_contains;
	return 0;
}

int sl_map_bind_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	/* m[k] casts the key to the map's key type (Spark's GetMapValue),
	 * so map('a', 1)[1] looks for '1' */
	int rc = sl_coerce(cx, &e->args[1], e->args[0]->type->key, err);
	if (rc)
		return rc;
	e->type = e->args[0]->type->elem;
	e->eval = ev_map_get;
	return 0;
}

int sl_map_bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_expr *k = sl_arena_calloc(cx->a, sizeof(*k));
	size_t n = strlen(e->ident);
	k->kind = EX_LIT;
	k->pos = e->pos;
	k->col = -1;
	k->type = &sl_dtype_string;
	k->lit = sl_v_str(e->ident, (uint32_t)n);
	sl_expr **args = sl_arena_alloc(cx->a, 2 * sizeof(*args));
	args[0] = e->args[0];
	args[1] = k;
	int rc = sl_bind_node(cx, &args[1], err);
	if (rc)
		return rc;
	e->kind = EX_INDEX;
	e->nargs = 2;
	e->args = args;
	e->ident = NULL;
	e->sql = sl_node_sql(cx, e);
	e->spelled = NULL;
	return sl_map_bind_index(cx, e, err);
}

/* ---- map_from_arrays, map_from_entries -------------------------------- */

static int ev_map_from_arrays(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, ks);
	FN_ARG_OR_NULL(1, vs);
	if (ks.len != vs.len)
		return sl_runtime_error(
			err, "_LEGACY_ERROR_TEMP_2128",
			"The key array and value array of MapData must have "
			"the same length (%u and %u)",
			ks.len, vs.len);
	sl_map_builder b;
	sl_map_builder_init(&b, e, a, ks.len);
	for (uint32_t i = 0; i < ks.len; i++) {
		if (ks.v.arr[i].type == SL_NULL)
			return sl_map_null_key(err);
		int rc = sl_map_builder_add(&b, &ks.v.arr[i], &vs.v.arr[i],
					    err);
		if (rc)
			return rc;
	}
	return sl_map_builder_finish(&b, out, err);
}

static int bind_map_from_arrays(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	for (uint32_t i = 0; i < 2; i++) {
		const sl_dtype *t = e->args[i]->type;
		if (t->id == SL_NULL) {
			int rc = sl_coerce(cx, &e->args[i],
					   sl_fn_array_of(cx, &sl_dtype_null),
					   err);
			if (rc)
				return rc;
		} else if (t->id != SL_ARRAY) {
			return sl_fn_arg_type_error(e, i, "\"ARRAY\"", err);
		}
	}
	const sl_dtype *k = e->args[0]->type->elem;
	int rc = check_key_type(e, k, err);
	if (rc)
		return rc;
	e->type = sl_dtype_map(cx->a, k, e->args[1]->type->elem);
	e->eval = ev_map_from_arrays;
	sl_map_note_policy(cx, e);
	return 0;
}

static int ev_map_from_entries(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, arr);
	sl_map_builder b;
	sl_map_builder_init(&b, e, a, arr.len);
	for (uint32_t i = 0; i < arr.len; i++) {
		const sl_value *en = &arr.v.arr[i];
		/* a null entry makes the whole map null */
		if (en->type == SL_NULL) {
			*out = sl_v_null();
			return 0;
		}
		if (en->v.fields[0].type == SL_NULL)
			return sl_map_null_key(err);
		int rc = sl_map_builder_add(&b, &en->v.fields[0],
					    &en->v.fields[1], err);
		if (rc)
			return rc;
	}
	return sl_map_builder_finish(&b, out, err);
}

static int bind_map_from_entries(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id != SL_ARRAY || t->elem->id != SL_STRUCT ||
	    t->elem->fields->n != 2) {
		char tb[128];
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
			"The first parameter requires the \"ARRAY\" of pair "
			"\"STRUCT\" type, however \"%s\" has the type \"%s\"",
			e->args[0]->sql, tname(t, tb, sizeof(tb)));
	}
	const sl_schema *f = t->elem->fields;
	int rc = check_key_type(e, f->fields[0].type, err);
	if (rc)
		return rc;
	e->type = sl_dtype_map(cx->a, f->fields[0].type, f->fields[1].type);
	e->eval = ev_map_from_entries;
	sl_map_note_policy(cx, e);
	return 0;
}

/* ---- map_concat --------------------------------------------------------- */

const sl_dtype *sl_map_common_type(const sl_bind_ctx *cx, const sl_dtype *a,
				   const sl_dtype *b)
{
	if (sl_dtype_equal(a, b))
		return a;
	const sl_dtype *k = cx->ansi ? sl_wider_type(a->key, b->key, false)
				     : sl_common_type(cx, a->key, b->key);
	const sl_dtype *v = cx->ansi ? sl_wider_type(a->elem, b->elem, false)
				     : sl_common_type(cx, a->elem, b->elem);
	return k && v ? sl_dtype_map(cx->a, k, v) : NULL;
}

static int ev_map_concat(FN_EV_ARGS)
{
	sl_map_builder b;
	sl_map_builder_init(&b, e, a, 8);
	for (uint32_t i = 0; i < e->nargs; i++) {
		FN_ARG_OR_NULL(i, m);
		for (uint32_t j = 0; j < m.len; j++) {
			int rc = sl_map_builder_add(&b, &m.v.arr[2 * j],
						    &m.v.arr[2 * j + 1], err);
			if (rc)
				return rc;
		}
	}
	return sl_map_builder_finish(&b, out, err);
}

static int bind_map_concat(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = NULL;
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_dtype *at = e->args[i]->type;
		if (at->id != SL_MAP) {
			char list[400];
			size_t n = 0;
			for (uint32_t j = 0; j < e->nargs && n + 80 < sizeof(list);
			     j++) {
				char tb[128];
				n += (size_t)snprintf(
					list + n, sizeof(list) - n, "%s\"%s\"",
					j ? ", " : "",
					tname(e->args[j]->type, tb, sizeof(tb)));
			}
			return sl_type_mismatch_cls(
				err, e, "DATATYPE_MISMATCH.MAP_CONCAT_DIFF_TYPES",
				"The `map_concat` should all be of type map, "
				"but it's [%s]",
				list);
		}
		t = t ? sl_map_common_type(cx, t, at) : at;
		if (!t)
			return sl_type_mismatch_cls(
				err, e, "DATATYPE_MISMATCH.DATA_DIFF_TYPES",
				"Input to `map_concat` should all be the same "
				"type");
	}
	/* map_concat() is an empty MAP<STRING, STRING> */
	if (!t)
		t = sl_dtype_map(cx->a, &sl_dtype_string, &sl_dtype_string);
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_coerce(cx, &e->args[i], t, err);
		if (rc)
			return rc;
	}
	e->type = t;
	e->eval = ev_map_concat;
	sl_map_note_policy(cx, e);
	return 0;
}

/* ---- str_to_map ----------------------------------------------------------- */

/* The first d in s[0..n); an empty d splits after the first character,
 * as Spark splits on an empty pattern. */
static const char *find_delim(const char *s, size_t n, const sl_value *d)
{
	if (!d->len)
		return n ? s + sl_fn_char_off(s, n, 1) : NULL;
	for (size_t i = 0; i + d->len <= n; i++)
		if (!memcmp(s + i, d->v.str, d->len))
			return s + i;
	return NULL;
}

static int ev_str_to_map(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, text);
	sl_value pd = sl_v_str(",", 1), kd = sl_v_str(":", 1);
	if (e->nargs > 1) {
		int rc = sl_fn_arg(e, 1, row, a, &pd, err);
		if (rc)
			return rc;
	}
	if (e->nargs > 2) {
		int rc = sl_fn_arg(e, 2, row, a, &kd, err);
		if (rc)
			return rc;
	}
	if (pd.type == SL_NULL || kd.type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	sl_map_builder b;
	sl_map_builder_init(&b, e, a, 8);
	const char *s = text.v.str, *end = s + text.len;
	for (;;) {
		const char *p = find_delim(s, (size_t)(end - s), &pd);
		const char *pe = p ? p : end;
		const char *q = find_delim(s, (size_t)(pe - s), &kd);
		if (q == pe && !kd.len) /* one character: no value */
			q = NULL;
		sl_value k = sl_v_str(s, (uint32_t)((q ? q : pe) - s));
		sl_value v = sl_v_null();
		if (q)
			v = sl_v_str(q + kd.len,
				     (uint32_t)(pe - (q + kd.len)));
		int rc = sl_map_builder_add(&b, &k, &v, err);
		if (rc)
			return rc;
		if (!p || (!pd.len && p == end))
			break;
		s = p + pd.len;
	}
	return sl_map_builder_finish(&b, out, err);
}

/* Spark splits on the delimiters as Java regexes; sluice takes them as
 * plain text, so a delimiter with a regex metacharacter other than an
 * escaped one is refused rather than read another way. */
static int literal_delim(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
			 sl_err *err)
{
	sl_expr *d = e->args[i];
	if (d->kind != EX_LIT || d->lit.type != SL_STRING)
		return 0;
	sl_buf w;
	sl_buf_init(&w, cx->a, d->lit.len + 1);
	for (uint32_t k = 0; k < d->lit.len; k++) {
		char c = d->lit.v.str[k];
		if (c == '\\' && k + 1 < d->lit.len &&
		    strchr(".[]{}()*+?^$|\\", d->lit.v.str[k + 1])) {
			sl_buf_putc(&w, d->lit.v.str[++k]);
			continue;
		}
		if (strchr(".[]{}()*+?^$|\\", c))
			return sl_bind_fail(
				err, d, SL_EANALYSIS,
				"str_to_map: the delimiter '%.*s' is a regular "
				"expression; sluice takes plain delimiters "
				"(escape the character with a backslash)",
				(int)d->lit.len, d->lit.v.str);
		sl_buf_putc(&w, c);
	}
	d->lit = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

static int bind_str_to_map(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_args(cx, e, "sss", err);
	for (uint32_t i = 1; i < e->nargs && !rc; i++)
		rc = literal_delim(cx, e, i, err);
	if (rc)
		return rc;
	/* Spark names the call with its default delimiters */
	if (e->nargs == 1)
		e->sql = sl_fn_append_sql(cx, e->sql, ", ,, :");
	else if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", :");
	e->spelled = NULL;
	e->type = sl_dtype_map(cx->a, &sl_dtype_string, &sl_dtype_string);
	e->eval = ev_str_to_map;
	sl_map_note_policy(cx, e);
	return 0;
}

/* ---- the map forms of other functions ------------------------------------ */

static int refuse_hash(sl_expr *e, sl_err *err)
{
	return sl_type_mismatch_cls(
		err, e, "DATATYPE_MISMATCH.HASH_MAP_TYPE",
		"Input to the function `%s` cannot contain elements of the "
		"\"MAP\" type. In Spark, same maps may have different "
		"hashcode, thus hash expressions are prohibited on \"MAP\" "
		"elements",
		e->fn->name);
}

/* The functions that order or compare their arguments' elements, which
 * Spark refuses over maps. */
static const char *const ordering_fns[] = {
	"array_contains", "array_distinct", "array_except", "array_intersect",
	"array_max",	  "array_min",	    "array_position", "array_remove",
	"array_sort",	  "array_union",    "arrays_overlap", "greatest",
	"least",	  "sort_array",
};

static bool refuse_ordering(sl_expr *e, int *rc, sl_err *err)
{
	const char *n = e->fn->name;
	size_t k = 0;
	while (k < SL_NFUNCS(ordering_fns) && strcmp(ordering_fns[k], n))
		k++;
	if (k == SL_NFUNCS(ordering_fns))
		return false;
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_dtype *t = e->args[i]->type;
		if (!sl_dtype_has_map(t))
			continue;
		/* Spark names sort_array's whole argument, the others the
		 * element */
		if (t->id == SL_ARRAY && strcmp(n, "sort_array"))
			t = t->elem;
		char tb[128];
		*rc = sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.INVALID_ORDERING_TYPE",
			"The `%s` does not support ordering on type \"%s\"", n,
			tname(t, tb, sizeof(tb)));
		return true;
	}
	return false;
}

bool sl_map_bind_call(sl_bind_ctx *cx, sl_expr *e, int *rc, sl_err *err)
{
	const char *n = e->fn->name;
	if (refuse_ordering(e, rc, err))
		return true;
	if (!strcmp(n, "hash") || !strcmp(n, "xxhash64")) {
		for (uint32_t i = 0; i < e->nargs; i++)
			if (sl_dtype_has_map(e->args[i]->type)) {
				*rc = refuse_hash(e, err);
				return true;
			}
		return false;
	}
	if (!e->nargs || e->args[0]->type->id != SL_MAP)
		return false;
	if (sl_map_bind_explode(cx, e, rc, err))
		return true;
	if (!strcmp(n, "size") || !strcmp(n, "cardinality")) {
		if (cx->ansi)
			e->flags |= EXF_ANSI;
		e->type = &sl_dtype_int;
		e->eval = ev_map_size;
		*rc = 0;
		return true;
	}
	if ((!strcmp(n, "element_at") || !strcmp(n, "try_element_at")) &&
	    e->nargs == 2) {
		/* a missing key is null in both modes (Spark 4) */
		*rc = map_and_key(cx, e, err);
		e->type = e->args[0]->type->elem;
		e->eval = ev_map_get;
		return true;
	}
	return false;
}

int sl_map_check_orderable(const sl_expr *e, sl_err *err)
{
	static const char *const cmp[] = { "=", "=", "<", "<=", ">", ">=",
					   "<=>" };
	const char *op = e->kind == EX_IN ? "in"
			 : e->kind == EX_CMP && e->op < 7 ? cmp[e->op]
							  : "?";
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_dtype *t = e->args[i]->type;
		if (!sl_dtype_has_map(t))
			continue;
		char tb[128];
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.INVALID_ORDERING_TYPE",
			"The `%s` does not support ordering on type \"%s\"",
			op, tname(t, tb, sizeof(tb)));
	}
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

const sl_func sl_funcs_map[] = {
	{ "map", 0, -1, 0, bind_map, "map(key0, value0, key1, value1, ...)",
	  "A map of the given key/value pairs (keys non-null and distinct).",
	  "map(1.0, '2', 3.0, '4')" },
	{ "map_concat", 0, -1, 0, bind_map_concat, "map_concat(map, ...)",
	  "The union of the maps (a key in two of them is an error).",
	  "map_concat(map(1, 'a', 2, 'b'), map(3, 'c'))" },
	{ "map_contains_key", 2, 2, 0, bind_map_contains_key,
	  "map_contains_key(map, key)", "Whether the map has the key.",
	  "map_contains_key(map(1, 'a', 2, 'b'), 1)" },
	{ "map_entries", 1, 1, 0, bind_map_part, "map_entries(map)",
	  "The map's entries as an array of structs (key, value).",
	  "map_entries(map(1, 'a', 2, 'b'))" },
	{ "map_from_arrays", 2, 2, 0, bind_map_from_arrays,
	  "map_from_arrays(keys, values)",
	  "A map of the keys array paired with the values array.",
	  "map_from_arrays(array(1.0, 3.0), array('2', '4'))" },
	{ "map_from_entries", 1, 1, 0, bind_map_from_entries,
	  "map_from_entries(arrayOfEntries)",
	  "A map of an array of (key, value) structs.",
	  "map_from_entries(array(struct(1, 'a'), struct(2, 'b')))" },
	{ "map_keys", 1, 1, 0, bind_map_part, "map_keys(map)",
	  "The map's keys, in the map's order.",
	  "map_keys(map(1, 'a', 2, 'b'))" },
	{ "map_values", 1, 1, 0, bind_map_part, "map_values(map)",
	  "The map's values, in the map's order.",
	  "map_values(map(1, 'a', 2, 'b'))" },
	{ "str_to_map", 1, 3, 0, bind_str_to_map,
	  "str_to_map(text[, pairDelim[, keyValueDelim]])",
	  "A map of the text split into pairs (default ',') and each pair "
	  "into key and value (default ':').",
	  "str_to_map('a:1,b:2,c:3', ',', ':')" },
};
const size_t sl_funcs_map_n = SL_NFUNCS(sl_funcs_map);
