/* core/map.h - MAP values and types below the expressions: a map type
 * made in an arena, a map's text as Spark's CAST(m AS STRING) and show()
 * print it ("{a -> 1, b -> null}"), and whether a type holds a map
 * anywhere (Spark refuses maps where it needs ordering or hashing).
 *
 * A map value (SL_MAP) has len entries; v.arr holds 2 * len values, the
 * key then the value of each entry in turn. Keys are never null and
 * distinct; entries keep their insertion order, as Spark's do. */
#ifndef SL_CORE_MAP_H
#define SL_CORE_MAP_H

#include "core/buf.h"
#include "core/value.h"

/* MAP<key, value> in arena a. */
const sl_dtype *sl_dtype_map(sl_arena *a, const sl_dtype *key,
			     const sl_dtype *value);

/* true if t is a map or an array or struct with a map inside. */
bool sl_dtype_has_map(const sl_dtype *t);

/* true if every map in t (t itself, or inside arrays, structs and
 * maps) has STRING keys: what JSON can hold, as Spark requires. */
bool sl_dtype_map_keys_are_strings(const sl_dtype *t);

/* Appends "{k1 -> v1, k2 -> v2}" (null values as "null") to w. */
void sl_map_render_buf(sl_buf *w, const sl_value *v);

/* Appends a key's text as Spark's JSON generator names a member by it:
 * its text (as CAST AS STRING), but a DATE as its day number and a
 * TIMESTAMP as its microseconds, which is what Spark writes. */
void sl_map_key_json_text(sl_buf *w, const sl_value *k);

/* A map value of n entries over kv (2 * n values, borrowed). */
static inline sl_value sl_v_map(const sl_value *kv, uint32_t n)
{
	sl_value x = { 0 };
	x.type = SL_MAP;
	x.len = n;
	x.v.arr = kv;
	return x;
}

#endif
