/* expr/map_build.c - building map values with Spark's checks (keys not
 * null, keys distinct), finding a key, and casts of maps. The functions
 * that make maps (expr/fn_map.c) all build through here. */
#include <errno.h>
#include <stdlib.h>

#include "expr/fn_map.h"

/* e->aux of a map-building call: non-NULL for LAST_WIN */
void sl_map_note_policy(const sl_bind_ctx *cx, sl_expr *e)
{
	e->aux = cx->map_last_win ? (const void *)e : NULL;
}

void sl_map_builder_init(sl_map_builder *b, const sl_expr *e, sl_arena *a,
			 uint32_t cap)
{
	b->last_win = e && e->aux;
	b->a = a;
	b->n = 0;
	b->cap = cap ? cap : 4;
	b->kv = sl_arena_alloc(a, 2 * (size_t)b->cap * sizeof(sl_value));
}

int sl_map_builder_add(sl_map_builder *b, const sl_value *k,
		       const sl_value *v, sl_err *err)
{
	if (b->n == b->cap) {
		if ((size_t)b->cap * 2 > SL_FN_MAX_OUT)
			return sl_err_set(err, SL_EINVAL,
					  "a map may hold at most %zu entries",
					  SL_FN_MAX_OUT);
		sl_value *kv = sl_arena_alloc(b->a, 4 * (size_t)b->cap *
							    sizeof(sl_value));
		memcpy(kv, b->kv, 2 * (size_t)b->n * sizeof(sl_value));
		b->kv = kv;
		b->cap *= 2;
	}
	b->kv[2 * b->n] = *k;
	b->kv[2 * b->n + 1] = *v;
	b->n++;
	return 0;
}

int sl_map_null_key(sl_err *err)
{
	return sl_runtime_error(err, "NULL_MAP_KEY",
				"Cannot use null as map key. SQLSTATE: 2200E");
}

static int dup_key(const sl_value *k, sl_err *err)
{
	char text[128];
	sl_value_render(k, text, sizeof(text));
	return sl_runtime_error(
		err, "DUPLICATED_MAP_KEY",
		"Duplicate map key %s was found, please check the input "
		"data. If you want to remove the duplicated keys, you can set "
		"\"spark.sql.mapKeyDedupPolicy\" to \"LAST_WIN\" so that the "
		"key inserted at last takes precedence. SQLSTATE: 23505",
		text);
}

/* Entry indexes ordered by key, then by index (qsort_r's context: the
 * keys and values). */
static int by_key(const void *x, const void *y, void *kv)
{
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const sl_value *v = kv;
	int c = sl_value_cmp(&v[2 * i], &v[2 * j]);
	return c ? c : (i > j) - (i < j);
}

/* LAST_WIN of a small map: each entry into the first place of its key */
static uint32_t dedup_small(sl_value *kv, uint32_t n)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = 0;
		while (j < m && !sl_value_eq(&kv[2 * j], &kv[2 * i]))
			j++;
		if (j == m) {
			kv[2 * m] = kv[2 * i];
			m++;
		}
		kv[2 * j + 1] = kv[2 * i + 1];
	}
	return m;
}

/* LAST_WIN over entry indexes ix sorted by key, then index: each run of
 * equal keys keeps its first entry, with its last value. */
static uint32_t dedup_sorted(sl_value *kv, uint32_t n, const uint32_t *ix,
			     bool *drop)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i + 1;
		while (j < n && sl_value_eq(&kv[2 * ix[j]], &kv[2 * ix[i]]))
			drop[ix[j++]] = true;
		kv[2 * ix[i] + 1] = kv[2 * ix[j - 1] + 1];
		i = j;
	}
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!drop[i]) {
			kv[2 * m] = kv[2 * i];
			kv[2 * m + 1] = kv[2 * i + 1];
			m++;
		}
	return m;
}

int sl_map_builder_finish(sl_map_builder *b, sl_value *out, sl_err *err)
{
	uint32_t n = b->n;
	if (b->last_win && n <= 16) {
		n = dedup_small(b->kv, n);
	} else if (n <= 16) {
		for (uint32_t i = 1; i < n; i++)
			for (uint32_t j = 0; j < i; j++)
				if (sl_value_eq(&b->kv[2 * i], &b->kv[2 * j]))
					return dup_key(&b->kv[2 * i], err);
	} else {
		uint32_t *ix = malloc((size_t)n * sizeof(*ix));
		if (!ix)
			return sl_err_set(err, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < n; i++)
			ix[i] = i;
		qsort_r(ix, n, sizeof(*ix), by_key, b->kv);
		if (b->last_win) {
			bool *drop = calloc(n, sizeof(*drop));
			if (!drop) {
				free(ix);
				return sl_err_set(err, -ENOMEM, "out of memory");
			}
			n = dedup_sorted(b->kv, n, ix, drop);
			free(drop);
			free(ix);
			*out = sl_v_map(b->kv, n);
			return 0;
		}
		int64_t dup = -1;
		for (uint32_t i = 1; i < n; i++)
			if (sl_value_eq(&b->kv[2 * ix[i]], &b->kv[2 * ix[i - 1]]) &&
			    (dup < 0 || ix[i] < dup))
				dup = ix[i];
		free(ix);
		if (dup >= 0)
			return dup_key(&b->kv[2 * dup], err);
	}
	*out = sl_v_map(b->kv, n);
	return 0;
}

int64_t sl_map_find(const sl_value *m, const sl_value *k)
{
	for (uint32_t i = 0; i < m->len; i++)
		if (m->v.arr[2 * i].type != SL_NULL &&
		    sl_value_eq(&m->v.arr[2 * i], k))
			return i;
	return -1;
}

/* ---- casts ---------------------------------------------------------- */

const sl_dtype *sl_map_wider_type(const sl_dtype *x, const sl_dtype *y,
				  bool string_wins, sl_arena *a)
{
	if (x->id != SL_MAP || y->id != SL_MAP)
		return NULL;
	const sl_dtype *k = sl_wider_type(x->key, y->key, string_wins);
	if (!k)
		k = sl_map_wider_type(x->key, y->key, string_wins, a);
	const sl_dtype *v = sl_wider_type(x->elem, y->elem, string_wins);
	if (!v)
		v = sl_map_wider_type(x->elem, y->elem, string_wins, a);
	return k && v ? sl_dtype_map(a, k, v) : NULL;
}

bool sl_map_can_cast(const sl_dtype *from, const sl_dtype *to, bool implicit)
{
	if (from->id != SL_MAP || to->id != SL_MAP)
		return false;
	if (implicit)
		return sl_can_cast_implicit(from->key, to->key) &&
		       sl_can_cast_implicit(from->elem, to->elem);
	return sl_can_cast(from->key, to->key) &&
	       sl_can_cast(from->elem, to->elem);
}

static int cast_one(const sl_value *in, const sl_dtype *from,
		    const sl_dtype *to, bool ansi, sl_arena *a, sl_value *out,
		    sl_err *err)
{
	if (in->type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	if (in->type == SL_MAP || to->id == SL_MAP)
		return sl_map_cast(in, from, to, ansi, a, out, err);
	if (ansi)
		return sl_cast_value_ansi(in, from, to, a, out, err);
	sl_cast_value(in, from, to, a, out);
	return 0;
}

int sl_map_cast(const sl_value *in, const sl_dtype *from, const sl_dtype *to,
		bool ansi, sl_arena *a, sl_value *out, sl_err *err)
{
	*out = sl_v_null();
	if (in->type != SL_MAP)
		return 0;
	if (to->id == SL_STRING) {
		sl_buf w;
		sl_buf_init(&w, a, 32);
		sl_map_render_buf(&w, in);
		*out = sl_v_str(w.s, (uint32_t)w.len);
		return 0;
	}
	if (to->id != SL_MAP || from->id != SL_MAP)
		return 0;
	/* entry by entry: keys that cast to one value stay two entries,
	 * as in Spark (map(1.1, 'a', 1.2, 'b') as MAP<INT, ..> writes
	 * {"1":"a","1":"b"}) */
	sl_value *kv = sl_arena_alloc(a, (in->len ? 2 * (size_t)in->len : 1) *
						 sizeof(sl_value));
	for (uint32_t i = 0; i < in->len; i++) {
		int rc = cast_one(&in->v.arr[2 * i], from->key, to->key, ansi,
				  a, &kv[2 * i], err);
		if (!rc)
			rc = cast_one(&in->v.arr[2 * i + 1], from->elem,
				      to->elem, ansi, a, &kv[2 * i + 1], err);
		if (rc)
			return rc;
		if (kv[2 * i].type == SL_NULL)
			return sl_map_null_key(err);
	}
	*out = sl_v_map(kv, in->len);
	return 0;
}
