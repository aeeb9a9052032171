/* expr/json.c - to_json and from_json.
 *
 * to_json writes what Spark's Jackson generator writes (field order kept,
 * null fields left out, doubles as Java prints them, timestamps as
 * 2024-01-01T00:00:00.000Z, binary as base64). from_json parses with
 * jansson and converts to the schema given as a DDL literal; as in Spark 3
 * (PERMISSIVE mode) a malformed record gives a struct whose fields are all
 * null, and a field of the wrong JSON type is null. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/decimal.h"
#include "core/map.h"
#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(sl_buf *w, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { b64[v >> 18], b64[v >> 12 & 63],
			      i + 1 < n ? b64[v >> 6 & 63] : '=',
			      i + 2 < n ? b64[v & 63] : '=' };
		sl_buf_put(w, q, 4);
	}
}

/* Decodes base64 (padding optional); false on a bad character. */
static bool get_base64(const char *s, size_t n, sl_arena *a, sl_value *out)
{
	uint8_t *o = sl_arena_alloc(a, n * 3 / 4 + 3);
	uint32_t k = 0, acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = s[i] ? strchr(b64, s[i]) : NULL;
		if (s[i] == '=')
			break;
		if (!c)
			return false;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (uint8_t)(acc >> bits);
		}
	}
	*out = sl_v_bin(o, k);
	return true;
}

/* ---- to_json ---------------------------------------------------------- */

static void put_json_str(sl_buf *w, const char *s, size_t n)
{
	sl_buf_putc(w, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[8];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(u, sizeof(u), "\\u%04X", c);
				esc = u;
			}
		}
		if (!esc)
			continue;
		sl_buf_put(w, s + run, i - run);
		sl_buf_puts(w, esc);
		run = i + 1;
	}
	sl_buf_put(w, s + run, n - run);
	sl_buf_putc(w, '"');
}

static void put_json(sl_buf *w, const sl_value *v, const sl_dtype *t)
{
	char tmp[40];
	switch (v->type) {
	case SL_NULL: sl_buf_puts(w, "null"); break;
	case SL_BOOL:
	case SL_INT:
	case SL_LONG: sl_value_render_buf(w, v); break;
	case SL_DOUBLE:
	case SL_FLOAT: {
		/* Jackson quotes the non-numbers */
		bool fin = v->type == SL_FLOAT ? isfinite(v->v.f32)
					       : isfinite(v->v.f64);
		size_t n = v->type == SL_FLOAT ? sl_fmt_float(v->v.f32, tmp)
					       : sl_fmt_double(v->v.f64, tmp);
		if (!fin)
			sl_buf_putc(w, '"');
		sl_buf_put(w, tmp, n);
		if (!fin)
			sl_buf_putc(w, '"');
		break;
	}
	case SL_DECIMAL:
		/* Jackson writes a BigDecimal with its toString */
		sl_fmt_decimal_java(w, v);
		break;
	case SL_STRING: put_json_str(w, v->v.str, v->len); break;
	case SL_BINARY:
		sl_buf_putc(w, '"');
		put_base64(w, v->v.bin, v->len);
		sl_buf_putc(w, '"');
		break;
	case SL_TIMESTAMP:
		sl_buf_putc(w, '"');
		sl_fmt_ts_json(w, v->v.i64);
		sl_buf_putc(w, '"');
		break;
	case SL_DATE:
		sl_buf_putc(w, '"');
		sl_fmt_date(w, v->v.i32);
		sl_buf_putc(w, '"');
		break;
	case SL_TIMESTAMP_NTZ:
		sl_buf_putc(w, '"');
		sl_fmt_ts_json(w, v->v.i64);
		w->len--; /* no zone: Spark's timestampNTZFormat */
		sl_buf_putc(w, '"');
		break;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT:
		sl_buf_putc(w, '"');
		sl_value_render_buf(w, v);
		sl_buf_putc(w, '"');
		break;
	case SL_ARRAY:
		sl_buf_putc(w, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				sl_buf_putc(w, ',');
			put_json(w, &v->v.arr[i], t->elem);
		}
		sl_buf_putc(w, ']');
		break;
	case SL_STRUCT: {
		bool first = true;
		sl_buf_putc(w, '{');
		for (uint32_t i = 0; i < v->len && i < t->fields->n; i++) {
			if (v->v.fields[i].type == SL_NULL)
				continue; /* ignoreNullFields */
			if (!first)
				sl_buf_putc(w, ',');
			first = false;
			const char *nm = t->fields->fields[i].name;
			put_json_str(w, nm, strlen(nm));
			sl_buf_putc(w, ':');
			put_json(w, &v->v.fields[i], t->fields->fields[i].type);
		}
		sl_buf_putc(w, '}');
		break;
	}
	case SL_MAP:
		/* member names: the keys' text (core/map.h) */
		sl_buf_putc(w, '{');
		for (uint32_t i = 0; i < v->len; i++) {
			const sl_value *k = &v->v.arr[2 * i];
			sl_buf kt;
			sl_buf_init(&kt, NULL, 0);
			sl_map_key_json_text(&kt, k);
			if (i)
				sl_buf_putc(w, ',');
			put_json_str(w, kt.s, kt.len);
			sl_buf_free(&kt);
			sl_buf_putc(w, ':');
			put_json(w, &v->v.arr[2 * i + 1], t->elem);
		}
		sl_buf_putc(w, '}');
		break;
	default: sl_buf_puts(w, "null");
	}
}

static int ev_to_json(EV_ARGS)
{
	sl_value x;
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (rc)
		return rc;
	if (x.type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	sl_buf w;
	sl_buf_init(&w, a, 64);
	put_json(&w, &x, e->args[0]->type);
	*out = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

int sl_bind_to_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id != SL_STRUCT && t->id != SL_ARRAY && t->id != SL_MAP) {
		char tb[128];
		sl_dtype_name(t, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"input schema %s must be a struct, a "
					"map or an array",
					tb);
	}
	e->type = &sl_dtype_string;
	e->eval = ev_to_json;
	return 0;
}

/* ---- from_json -------------------------------------------------------- */

/* Compact JSON text of a jansson value (a STRING field given an object,
 * array or number keeps its JSON text, as Spark does). */
static void put_jansson(sl_buf *w, const json_t *j)
{
	char tmp[40];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		bool first = true;
		sl_buf_putc(w, '{');
		json_object_foreach((json_t *)j, k, v)
		{
			if (!first)
				sl_buf_putc(w, ',');
			first = false;
			put_json_str(w, k, strlen(k));
			sl_buf_putc(w, ':');
			put_jansson(w, v);
		}
		sl_buf_putc(w, '}');
		break;
	}
	case JSON_ARRAY:
		sl_buf_putc(w, '[');
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				sl_buf_putc(w, ',');
			put_jansson(w, json_array_get(j, i));
		}
		sl_buf_putc(w, ']');
		break;
	case JSON_STRING:
		put_json_str(w, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		sl_buf_printf(w, "%lld", (long long)json_integer_value(j));
		break;
	case JSON_REAL:
		sl_buf_put(w, tmp, sl_fmt_double(json_real_value(j), tmp));
		break;
	case JSON_TRUE: sl_buf_puts(w, "true"); break;
	case JSON_FALSE: sl_buf_puts(w, "false"); break;
	default: sl_buf_puts(w, "null");
	}
}

static void from_jansson(const json_t *j, const sl_dtype *t, sl_arena *a,
			 sl_value *out);

static void null_struct(const sl_dtype *t, sl_arena *a, sl_value *out)
{
	uint32_t n = t->fields->n;
	sl_value *f = sl_arena_calloc(a, (n ? n : 1) * sizeof(*f));
	out->type = SL_STRUCT;
	out->len = n;
	out->v.fields = f;
}

static void struct_from(const json_t *j, const sl_dtype *t, sl_arena *a,
			sl_value *out)
{
	null_struct(t, a, out);
	sl_value *f = (sl_value *)out->v.fields;
	for (uint32_t i = 0; i < t->fields->n; i++) {
		/* JSON keys match field names exactly, as in Spark */
		const json_t *v = json_object_get(j, t->fields->fields[i].name);
		if (v)
			from_jansson(v, t->fields->fields[i].type, a, &f[i]);
	}
}

static void from_jansson(const json_t *j, const sl_dtype *t, sl_arena *a,
			 sl_value *out)
{
	*out = sl_v_null();
	if (json_is_null(j))
		return;
	switch (t->id) {
	case SL_INT:
		if (json_is_integer(j) && json_integer_value(j) >= INT32_MIN &&
		    json_integer_value(j) <= INT32_MAX)
			*out = sl_v_int((int32_t)json_integer_value(j));
		break;
	case SL_LONG:
		if (json_is_integer(j))
			*out = sl_v_long(json_integer_value(j));
		break;
	case SL_DOUBLE:
		if (json_is_number(j)) {
			*out = sl_v_double(json_number_value(j));
		} else if (json_is_string(j)) {
			/* allowNonNumericNumbers, as quoted strings */
			const char *s = json_string_value(j);
			if (!strcmp(s, "NaN"))
				*out = sl_v_double(NAN);
			else if (!strcmp(s, "Infinity") ||
				 !strcmp(s, "+Infinity") || !strcmp(s, "+INF"))
				*out = sl_v_double(INFINITY);
			else if (!strcmp(s, "-Infinity") || !strcmp(s, "-INF"))
				*out = sl_v_double(-INFINITY);
		}
		break;
	case SL_FLOAT:
		if (json_is_number(j))
			*out = sl_v_float((float)json_number_value(j));
		break;
	case SL_DECIMAL: {
		char num[40];
		if (json_is_integer(j))
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(j));
		else if (json_is_real(j))
			sl_fmt_double(json_real_value(j), num);
		else
			break;
		sl_v_dec_parse(num, strlen(num), t, a, out);
		break;
	}
	case SL_BOOL:
		if (json_is_boolean(j))
			*out = sl_v_bool(json_is_true(j));
		break;
	case SL_STRING:
		if (json_is_string(j)) {
			size_t n = json_string_length(j);
			char *s = sl_arena_alloc(a, n ? n : 1);
			memcpy(s, json_string_value(j), n);
			*out = sl_v_str(s, (uint32_t)n);
		} else {
			sl_buf w;
			sl_buf_init(&w, a, 64);
			put_jansson(&w, j);
			*out = sl_v_str(w.s, (uint32_t)w.len);
		}
		break;
	case SL_TIMESTAMP:
		if (json_is_string(j)) {
			int64_t us;
			if (sl_str_to_ts(json_string_value(j),
					 json_string_length(j), &us))
				*out = sl_v_ts(us);
		} else if (json_is_integer(j)) {
			*out = sl_v_ts(json_integer_value(j) * 1000000);
		}
		break;
	case SL_DATE:
		if (json_is_string(j)) {
			int32_t d;
			if (sl_str_to_date(json_string_value(j),
					   json_string_length(j), &d))
				*out = sl_v_date(d);
		}
		break;
	case SL_BINARY:
		if (json_is_string(j) &&
		    !get_base64(json_string_value(j), json_string_length(j), a,
				out))
			*out = sl_v_null();
		break;
	case SL_ARRAY:
		if (json_is_array(j)) {
			size_t n = json_array_size(j);
			sl_value *v =
				sl_arena_alloc(a, (n ? n : 1) * sizeof(*v));
			for (size_t i = 0; i < n; i++)
				from_jansson(json_array_get(j, i), t->elem, a,
					     &v[i]);
			out->type = SL_ARRAY;
			out->len = (uint32_t)n;
			out->v.arr = v;
		}
		break;
	case SL_STRUCT:
		if (json_is_object(j))
			struct_from(j, t, a, out);
		break;
	case SL_MAP: {
		/* an object; a value of the wrong JSON type makes the whole
		 * map null, as Spark's parser fails the record */
		if (!json_is_object(j))
			break;
		size_t n = json_object_size(j), i = 0;
		sl_value *kv = sl_arena_alloc(a, (n ? 2 * n : 1) * sizeof(*kv));
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)j, k, v)
		{
			size_t kn = strlen(k);
			char *ks = sl_arena_alloc(a, kn ? kn : 1);
			memcpy(ks, k, kn);
			kv[2 * i] = sl_v_str(ks, (uint32_t)kn);
			from_jansson(v, t->elem, a, &kv[2 * i + 1]);
			if (kv[2 * i + 1].type == SL_NULL && !json_is_null(v))
				return;
			i++;
		}
		*out = (sl_value){ .type = SL_MAP, .len = (uint32_t)n, .v.arr = kv };
		break;
	}
	default: break;
	}
}

static int ev_from_json(EV_ARGS)
{
	sl_value x;
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (rc)
		return rc;
	*out = sl_v_null();
	if (x.type == SL_NULL)
		return 0;
	json_error_t je;
	json_t *j = json_loadb(x.v.str, x.len, JSON_DECODE_ANY, &je);
	if (j && json_is_null(j)) {
		json_decref(j);
		return 0;
	}
	if (e->type->id == SL_STRUCT) {
		/* Spark 3 PERMISSIVE: a bad record is a row of nulls */
		if (j && json_is_object(j))
			struct_from(j, e->type, a, out);
		else
			null_struct(e->type, a, out);
	} else if (j) {
		from_jansson(j, e->type, a, out);
	}
	if (j)
		json_decref(j);
	return 0;
}

int sl_bind_from_json(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_expr *s = e->args[1];
	if (s->kind != EX_LIT || s->lit.type != SL_STRING)
		return sl_type_mismatch(err, e,
					"the schema of from_json must be a "
					"string literal such as 'a INT, b "
					"STRING'");
	int rc = sl_coerce(cx, &e->args[0], &sl_dtype_string, err);
	if (rc)
		return rc;
	const char *ddl = sl_arena_strndup(cx->a, s->lit.v.str, s->lit.len);
	const sl_dtype *t = sl_dtype_parse(ddl, s->lit.len, cx->a);
	if (t && t->id == SL_MAP && !sl_dtype_map_keys_are_strings(t)) {
		char tb[128];
		sl_type_sql(t, tb, sizeof(tb));
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.INVALID_JSON_MAP_KEY_TYPE",
			"Input schema \"%s\" can only contain STRING as a key "
			"type for a MAP",
			tb);
	}
	if (!t || (t->id != SL_ARRAY && t->id != SL_STRUCT && t->id != SL_MAP)) {
		sl_err e2 = { 0 };
		const sl_schema *sc = sl_schema_parse(ddl, cx->a, &e2);
		if (!sc)
			return sl_bind_fail(err, s, SL_EANALYSIS,
					    "from_json: %s in '%s'", e2.msg,
					    ddl);
		sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
		st->id = SL_STRUCT;
		st->fields = sc;
		t = st;
	}
	/* Spark names it from_json(value): the schema is not an argument
	 * it prints */
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_printf(&w, "from_json(%s)", e->args[0]->sql);
	e->sql = sl_buf_cstr(&w);
	if (t->id == SL_MAP) /* Spark names a map result so */
		e->name = "entries";
	e->type = t;
	e->eval = ev_from_json;
	return 0;
}
