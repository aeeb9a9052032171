/* core/map.c - MAP types and the text of map values (core/map.h). */
#include "core/map.h"
#include "core/value_text.h"

const sl_dtype *sl_dtype_map(sl_arena *a, const sl_dtype *key,
			     const sl_dtype *value)
{
	sl_dtype *t = sl_arena_calloc(a, sizeof(*t));
	t->id = SL_MAP;
	t->key = key;
	t->elem = value;
	return t;
}

bool sl_dtype_has_map(const sl_dtype *t)
{
	if (!t)
		return false;
	switch ((int)t->id) {
	case SL_MAP: return true;
	case SL_ARRAY: return sl_dtype_has_map(t->elem);
	case SL_STRUCT:
		for (uint32_t i = 0; i < t->fields->n; i++)
			if (sl_dtype_has_map(t->fields->fields[i].type))
				return true;
		return false;
	default: return false;
	}
}

bool sl_dtype_map_keys_are_strings(const sl_dtype *t)
{
	switch ((int)t->id) {
	case SL_MAP:
		return t->key->id == SL_STRING &&
		       sl_dtype_map_keys_are_strings(t->elem);
	case SL_ARRAY: return sl_dtype_map_keys_are_strings(t->elem);
	case SL_STRUCT:
		for (uint32_t i = 0; i < t->fields->n; i++)
			if (!sl_dtype_map_keys_are_strings(
				    t->fields->fields[i].type))
				return false;
		return true;
	default: return true;
	}
}

void sl_map_key_json_text(sl_buf *w, const sl_value *k)
{
	if (k->type == SL_DATE)
		sl_buf_printf(w, "%d", k->v.i32);
	else if (k->type == SL_TIMESTAMP)
		sl_buf_printf(w, "%lld", (long long)k->v.i64);
	else
		sl_value_render_buf(w, k);
}

void sl_map_render_buf(sl_buf *w, const sl_value *v)
{
	sl_buf_putc(w, '{');
	for (uint32_t i = 0; i < v->len; i++) {
		if (i)
			sl_buf_put(w, ", ", 2);
		sl_value_render_buf(w, &v->v.arr[2 * i]);
		sl_buf_put(w, " -> ", 4);
		sl_value_render_buf(w, &v->v.arr[2 * i + 1]);
	}
	sl_buf_putc(w, '}');
}
