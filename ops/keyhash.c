/* ops/keyhash.c - canonical value encoding, key hashing and equality, and
 * the open-addressing key table of the stateful operators (ops/groupby.c).
 *
 * The table is an index of 8-byte buckets (slot, hash tag) with linear
 * probing and backward-shift deletion, so eviction leaves no tombstones
 * and probe lengths stay short on a table that churns forever under a
 * watermark. Key tuples live in a dense slot array whose bytes are in one
 * arena, compacted when deletions have left it mostly dead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/alloc.h"

#include "ops/keyhash.h"
#include "sluice.h"

/* ---- readers ---------------------------------------------------------- */

const uint8_t *sl_rbuf_get(sl_rbuf *r, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	const uint8_t *p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t sl_rbuf_u8(sl_rbuf *r)
{
	const uint8_t *p = sl_rbuf_get(r, 1);
	return p ? p[0] : 0;
}

uint32_t sl_rbuf_u32(sl_rbuf *r)
{
	const uint8_t *p = sl_rbuf_get(r, 4);
	uint32_t x = 0;
	for (int i = 0; p && i < 4; i++)
		x |= (uint32_t)p[i] << (8 * i);
	return x;
}

uint64_t sl_rbuf_u64(sl_rbuf *r)
{
	const uint8_t *p = sl_rbuf_get(r, 8);
	uint64_t x = 0;
	for (int i = 0; p && i < 8; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

uint64_t sl_rbuf_varint(sl_rbuf *r)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c = sl_rbuf_u8(r);
		if (r->err)
			return 0;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return x;
	}
	r->err = true;
	return 0;
}

/* ---- value encoding ------------------------------------------------------ */

/* Spark groups -0.0 with 0.0 and every NaN together; hashing and equality
 * both go through these bits. */
static uint64_t norm_double_bits(double d)
{
	uint64_t u;
	if (isnan(d))
		return 0x7ff8000000000000ull;
	if (d == 0)
		d = 0;
	memcpy(&u, &d, 8);
	return u;
}

/* The values under an array, struct or map: a map's len entries are
 * 2 * len values, key then value. */
static uint32_t nvals(const sl_value *v)
{
	return v->type == SL_MAP ? 2 * v->len : v->len;
}

void sl_value_encode(sl_buf *b, const sl_value *v)
{
	sl_buf_put_u8(b, v->type);
	switch (v->type) {
	case SL_NULL:
		break;
	case SL_BOOL:
		sl_buf_put_u8(b, v->v.b ? 1 : 0);
		break;
	case SL_INT:
	case SL_DATE:
		sl_buf_put_u32(b, (uint32_t)v->v.i32);
		break;
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
		sl_buf_put_u64(b, (uint64_t)v->v.i64);
		break;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT:
		/* the fields (for the text), then months or microseconds */
		sl_buf_put_u8(b, v->pad[0]);
		sl_buf_put_u8(b, v->pad[1]);
		sl_buf_put_u64(b, (uint64_t)(v->type == SL_INTERVAL_YM
						     ? (int64_t)v->v.i32
						     : v->v.i64));
		break;
	case SL_DOUBLE:
		sl_buf_put_u64(b, norm_double_bits(v->v.f64));
		break;
	case SL_FLOAT:
		sl_buf_put_u64(b, norm_double_bits(v->v.f32));
		break;
	case SL_DECIMAL: {
		/* precision, scale, the 128-bit unscaled value */
		sl_dec_u u = sl_v_dec_get(v);
		sl_buf_put_u8(b, v->pad[0]);
		sl_buf_put_u8(b, v->pad[1]);
		sl_buf_put_u64(b, (uint64_t)u);
		sl_buf_put_u64(b, (uint64_t)(u >> 64));
		break;
	}
	case SL_STRING:
	case SL_BINARY:
		sl_buf_put_varint(b, v->len);
		sl_buf_put(b, v->v.str, v->len);
		break;
	case SL_ARRAY:
	case SL_STRUCT:
	case SL_MAP:
		sl_buf_put_varint(b, v->len);
		for (uint32_t i = 0; i < nvals(v); i++)
			sl_value_encode(b, &v->v.arr[i]);
		break;
	}
}

static int decode_depth(sl_rbuf *r, sl_arena *a, sl_value *out, int depth)
{
	sl_value v = { 0 };
	/* Nesting deeper than any schema sluice builds means corrupt
	 * input; refusing it bounds the recursion. */
	if (depth > 64)
		r->err = true;
	v.type = sl_rbuf_u8(r);
	switch (v.type) {
	case SL_NULL:
		break;
	case SL_BOOL:
		v.v.b = sl_rbuf_u8(r) != 0;
		break;
	case SL_INT:
	case SL_DATE:
		v.v.i32 = (int32_t)sl_rbuf_u32(r);
		break;
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
		v.v.i64 = (int64_t)sl_rbuf_u64(r);
		break;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT:
		v.pad[0] = sl_rbuf_u8(r);
		v.pad[1] = sl_rbuf_u8(r);
		v.v.i64 = (int64_t)sl_rbuf_u64(r);
		if (v.type == SL_INTERVAL_YM)
			v.v.i32 = (int32_t)v.v.i64;
		break;
	case SL_DOUBLE: {
		uint64_t u = sl_rbuf_u64(r);
		memcpy(&v.v.f64, &u, 8);
		break;
	}
	case SL_FLOAT: {
		uint64_t u = sl_rbuf_u64(r);
		double d;
		memcpy(&d, &u, 8);
		v.v.f32 = (float)d;
		break;
	}
	case SL_DECIMAL: {
		int p = sl_rbuf_u8(r), sc = sl_rbuf_u8(r);
		uint64_t lo = sl_rbuf_u64(r), hi = sl_rbuf_u64(r);
		if (!sl_dtype_decimal(p, sc)) {
			r->err = true;
			break;
		}
		v = sl_v_dec((sl_dec_u)((__extension__(unsigned __int128)hi << 64) |
					lo),
			     p, sc, a);
		break;
	}
	case SL_STRING:
	case SL_BINARY: {
		uint64_t n = sl_rbuf_varint(r);
		const uint8_t *p = n > UINT32_MAX ? NULL : sl_rbuf_get(r, n);
		if (!p) {
			r->err = true;
			break;
		}
		char *s = sl_arena_alloc(a, n ? n : 1);
		memcpy(s, p, n);
		v.len = (uint32_t)n;
		v.v.str = s;
		break;
	}
	case SL_ARRAY:
	case SL_STRUCT:
	case SL_MAP: {
		uint64_t len = sl_rbuf_varint(r);
		uint64_t n = v.type == SL_MAP ? 2 * len : len;
		/* every element takes at least one byte */
		if (len > r->len - r->off || n > r->len - r->off) {
			r->err = true;
			break;
		}
		sl_value *e = sl_arena_alloc(a, (n ? n : 1) * sizeof(*e));
		for (uint64_t i = 0; i < n && !r->err; i++)
			decode_depth(r, a, &e[i], depth + 1);
		v.len = (uint32_t)len;
		v.v.arr = e;
		break;
	}
	default:
		r->err = true;
	}
	if (r->err) {
		*out = sl_v_null();
		return SL_EINVAL;
	}
	*out = v;
	return 0;
}

int sl_value_decode(sl_rbuf *r, sl_arena *a, sl_value *out)
{
	return decode_depth(r, a, out, 0);
}

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

size_t sl_value_deep_size(const sl_value *v)
{
	switch (v->type) {
	case SL_STRING:
	case SL_BINARY:
		return round16(v->len ? v->len : 1);
	case SL_ARRAY:
	case SL_STRUCT:
	case SL_MAP: {
		size_t n = round16((nvals(v) ? nvals(v) : 1) * sizeof(sl_value));
		for (uint32_t i = 0; i < nvals(v); i++)
			n += sl_value_deep_size(&v->v.arr[i]);
		return n;
	}
	case SL_DECIMAL:
		return v->pad[2] & SL_DEC_WIDE ? round16(sizeof(sl_dec_u)) : 0;
	default:
		return 0;
	}
}

/* Copies v's variable data to *cur (laid out as sl_value_deep_size
 * counted it) and returns the copy. */
static sl_value copy_into(const sl_value *v, char **cur)
{
	sl_value c = *v;
	switch (v->type) {
	case SL_STRING:
	case SL_BINARY: {
		char *p = *cur;
		*cur += round16(v->len ? v->len : 1);
		if (v->len)
			memcpy(p, v->v.str, v->len);
		c.v.str = p;
		break;
	}
	case SL_ARRAY:
	case SL_STRUCT:
	case SL_MAP: {
		sl_value *e = (sl_value *)*cur;
		*cur += round16((nvals(v) ? nvals(v) : 1) * sizeof(sl_value));
		for (uint32_t i = 0; i < nvals(v); i++)
			e[i] = copy_into(&v->v.arr[i], cur);
		c.v.arr = e;
		break;
	}
	case SL_DECIMAL:
		if (v->pad[2] & SL_DEC_WIDE) {
			sl_dec_u *w = (sl_dec_u *)*cur;
			*cur += round16(sizeof(*w));
			*w = *v->v.dec;
			c.v.dec = w;
		}
		break;
	default:
		break;
	}
	return c;
}

sl_value sl_value_dup_heap(const sl_value *v, void **blk)
{
	size_t n = sl_value_deep_size(v);
	*blk = NULL;
	if (!n)
		return *v;
	char *p = sl_xrealloc(NULL, n);
	*blk = p;
	return copy_into(v, &p);
}

/* ---- hashing and equality ------------------------------------------------ */

/* Hashes one value's canonical encoding piece by piece, chaining the seed,
 * so hashing a key needs no scratch buffer (and no allocation on the
 * per-row path). */
static uint64_t hash_value(const sl_value *v, uint64_t h)
{
	uint8_t t[19];
	size_t n = 1;
	t[0] = v->type;
	switch (v->type) {
	case SL_FLOAT: {
		uint64_t u = norm_double_bits(v->v.f32);
		for (int i = 0; i < 8; i++)
			t[n++] = (uint8_t)(u >> (8 * i));
		break;
	}
	case SL_DECIMAL: {
		sl_dec_u u = sl_v_dec_get(v);
		t[n++] = v->pad[0];
		t[n++] = v->pad[1];
		for (int i = 0; i < 16; i++)
			t[n++] = (uint8_t)(u >> (8 * i));
		break;
	}
	case SL_BOOL:
		t[n++] = v->v.b ? 1 : 0;
		break;
	case SL_INT:
	case SL_DATE:
		for (int i = 0; i < 4; i++)
			t[n++] = (uint8_t)((uint32_t)v->v.i32 >> (8 * i));
		break;
	case SL_INTERVAL_YM:
		for (int i = 0; i < 4; i++)
			t[n++] = (uint8_t)((uint32_t)v->v.i32 >> (8 * i));
		break;
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
	case SL_INTERVAL_DT:
	case SL_DOUBLE: {
		uint64_t u = v->type == SL_DOUBLE ? norm_double_bits(v->v.f64)
						  : (uint64_t)v->v.i64;
		for (int i = 0; i < 8; i++)
			t[n++] = (uint8_t)(u >> (8 * i));
		break;
	}
	case SL_STRING:
	case SL_BINARY:
	case SL_ARRAY:
	case SL_STRUCT:
	case SL_MAP:
		for (int i = 0; i < 4; i++)
			t[n++] = (uint8_t)(v->len >> (8 * i));
		break;
	default:
		break;
	}
	h = XXH3_64bits_withSeed(t, n, h);
	if (v->type == SL_STRING || v->type == SL_BINARY)
		h = XXH3_64bits_withSeed(v->v.str, v->len, h);
	else if (v->type == SL_ARRAY || v->type == SL_STRUCT)
		for (uint32_t i = 0; i < v->len; i++)
			h = hash_value(&v->v.arr[i], h);
	else if (v->type == SL_MAP) {
		/* maps equal whatever their entries' order (Spark 4 groups
		 * by a map as by its sorted form): a sum of entry hashes */
		uint64_t sum = 0;
		for (uint32_t i = 0; i < v->len; i++)
			sum += hash_value(&v->v.arr[2 * i + 1],
					  hash_value(&v->v.arr[2 * i], 0));
		h = XXH3_64bits_withSeed(&sum, sizeof(sum), h);
	}
	return h;
}

uint64_t sl_key_hash(const sl_value *key, uint32_t n)
{
	uint64_t h = 0x736c75696365ull; /* "sluice" */
	for (uint32_t i = 0; i < n; i++)
		h = hash_value(&key[i], h);
	return h;
}

static bool value_equal(const sl_value *a, const sl_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SL_NULL:
		return true;
	case SL_BOOL:
		return a->v.b == b->v.b;
	case SL_INT:
	case SL_DATE:
		return a->v.i32 == b->v.i32;
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
	case SL_INTERVAL_DT:
		return a->v.i64 == b->v.i64;
	case SL_INTERVAL_YM:
		return a->v.i32 == b->v.i32;
	case SL_DOUBLE:
		return norm_double_bits(a->v.f64) == norm_double_bits(b->v.f64);
	case SL_FLOAT:
		return norm_double_bits(a->v.f32) == norm_double_bits(b->v.f32);
	case SL_DECIMAL:
		return a->pad[0] == b->pad[0] && a->pad[1] == b->pad[1] &&
		       sl_v_dec_get(a) == sl_v_dec_get(b);
	case SL_STRING:
	case SL_BINARY:
		return a->len == b->len &&
		       (!a->len || !memcmp(a->v.str, b->v.str, a->len));
	case SL_ARRAY:
	case SL_STRUCT:
		if (a->len != b->len)
			return false;
		for (uint32_t i = 0; i < a->len; i++)
			if (!value_equal(&a->v.arr[i], &b->v.arr[i]))
				return false;
		return true;
	case SL_MAP:
		/* the same entries in any order (keys are distinct) */
		if (a->len != b->len)
			return false;
		for (uint32_t i = 0; i < a->len; i++) {
			uint32_t j = 0;
			while (j < b->len &&
			       !value_equal(&a->v.arr[2 * i], &b->v.arr[2 * j]))
				j++;
			if (j == b->len ||
			    !value_equal(&a->v.arr[2 * i + 1],
					 &b->v.arr[2 * j + 1]))
				return false;
		}
		return true;
	}
	return false;
}

bool sl_key_equal(const sl_value *a, const sl_value *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!value_equal(&a[i], &b[i]))
			return false;
	return true;
}

/* ---- the key table ------------------------------------------------------- */

typedef struct kt_bucket {
	uint32_t slot_plus_one; /* slot + 1; 0 = empty */
	uint32_t tag;   /* high half of the hash: most misses end here */
} kt_bucket;

typedef struct kt_entry {
	sl_value *key;  /* NULL when the slot is free */
	uint64_t hash;
	size_t bytes;   /* arena bytes the key copy takes */
	uint32_t next_free;
} kt_entry;

struct sl_keytab {
	uint32_t nkeys;
	uint32_t count;
	kt_bucket *buckets;
	uint32_t mask;         /* buckets - 1 (a power of two) */
	kt_entry *entries;     /* by slot */
	uint32_t nentries, capentries; /* slots used (high-water), allocated */
	uint32_t first_free_plus_one;  /* first free slot + 1; 0: none */
	sl_arena arena;        /* key copies */
	size_t live_bytes;
};

/* Compaction runs when the key arena holds more than three times the live
 * key bytes plus this slack. A fresh arena holds at most about twice its
 * contents (its chunks double), so compaction cannot repeat at once, small
 * tables never pay for it, and a churning table stays within a small
 * multiple of its live keys. */
#define KT_COMPACT_SLACK (256u << 10)

sl_keytab *sl_keytab_new(uint32_t nkeys)
{
	sl_keytab *t = sl_xrealloc(NULL, sizeof(*t));
	memset(t, 0, sizeof(*t));
	t->nkeys = nkeys;
	t->mask = 15;
	sl_oom_own(t); /* freed by an unwind (core/alloc.h) */
	t->buckets = sl_xcalloc(t->mask + 1, sizeof(kt_bucket));
	sl_oom_disown(t);
	sl_arena_init(&t->arena);
	return t;
}

void sl_keytab_free(sl_keytab *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->entries);
	sl_arena_free(&t->arena);
	free(t);
}

void sl_keytab_clear(sl_keytab *t)
{
	free(t->buckets);
	free(t->entries);
	sl_arena_free(&t->arena);
	uint32_t nkeys = t->nkeys;
	memset(t, 0, sizeof(*t));
	t->nkeys = nkeys;
	t->mask = 15;
	t->buckets = sl_xcalloc(t->mask + 1, sizeof(kt_bucket));
}

static uint32_t kt_tag(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

/* The bucket index holding key (hash h), or the empty bucket where the
 * probe ended (then *found is false). */
static uint32_t kt_probe(const sl_keytab *t, const sl_value *key, uint64_t h,
			 bool *found)
{
	uint32_t i = (uint32_t)h & t->mask, tag = kt_tag(h);
	for (;;) {
		const kt_bucket *b = &t->buckets[i];
		if (!b->slot_plus_one) {
			*found = false;
			return i;
		}
		if (b->tag == tag) {
			const kt_entry *e = &t->entries[b->slot_plus_one - 1];
			if (e->hash == h &&
			    sl_key_equal(e->key, key, t->nkeys)) {
				*found = true;
				return i;
			}
		}
		i = (i + 1) & t->mask;
	}
}

int64_t sl_keytab_find(const sl_keytab *t, const sl_value *key)
{
	bool found;
	uint32_t i = kt_probe(t, key, sl_key_hash(key, t->nkeys), &found);
	return found ? (int64_t)t->buckets[i].slot_plus_one - 1 : -1;
}

static void kt_grow(sl_keytab *t)
{
	uint32_t ncap = (t->mask + 1) * 2;
	kt_bucket *buckets = sl_xcalloc(ncap, sizeof(kt_bucket));
	uint32_t mask = ncap - 1;
	for (uint32_t s = 0; s < t->nentries; s++) {
		if (!t->entries[s].key)
			continue;
		uint64_t h = t->entries[s].hash;
		uint32_t i = (uint32_t)h & mask;
		while (buckets[i].slot_plus_one)
			i = (i + 1) & mask;
		buckets[i].slot_plus_one = s + 1;
		buckets[i].tag = kt_tag(h);
	}
	free(t->buckets);
	t->buckets = buckets;
	t->mask = mask;
}

static sl_value *kt_copy_key(sl_arena *a, const sl_value *key, uint32_t n,
			     size_t *bytes)
{
	sl_value *k = sl_arena_alloc(a, (n ? n : 1) * sizeof(*k));
	size_t sz = round16((n ? n : 1) * sizeof(*k));
	for (uint32_t i = 0; i < n; i++) {
		k[i] = sl_value_copy(&key[i], a);
		sz += sl_value_deep_size(&key[i]);
	}
	*bytes = sz;
	return k;
}

uint32_t sl_keytab_insert(sl_keytab *t, const sl_value *key, bool *created)
{
	uint64_t h = sl_key_hash(key, t->nkeys);
	bool found;
	uint32_t i = kt_probe(t, key, h, &found);
	if (found) {
		if (created)
			*created = false;
		return t->buckets[i].slot_plus_one - 1;
	}
	/* Keep the load at or below 0.7 so linear probes stay short. */
	if ((uint64_t)(t->count + 1) * 10 > (uint64_t)(t->mask + 1) * 7) {
		kt_grow(t);
		i = kt_probe(t, key, h, &found);
	}
	uint32_t s;
	if (t->first_free_plus_one) {
		s = t->first_free_plus_one - 1;
		t->first_free_plus_one = t->entries[s].next_free;
	} else {
		if (t->nentries == t->capentries) {
			t->capentries = t->capentries ? t->capentries * 2 : 16;
			t->entries = sl_xrealloc(t->entries,
					     t->capentries * sizeof(kt_entry));
		}
		s = t->nentries++;
	}
	kt_entry *e = &t->entries[s];
	e->key = kt_copy_key(&t->arena, key, t->nkeys, &e->bytes);
	e->hash = h;
	e->next_free = 0;
	t->live_bytes += e->bytes;
	t->buckets[i].slot_plus_one = s + 1;
	t->buckets[i].tag = kt_tag(h);
	t->count++;
	if (created)
		*created = true;
	return s;
}

/* Copies every live key into a fresh arena and drops the old one. */
static void kt_compact(sl_keytab *t)
{
	sl_arena fresh;
	sl_arena_init(&fresh);
	size_t live = 0;
	for (uint32_t s = 0; s < t->nentries; s++) {
		kt_entry *e = &t->entries[s];
		if (!e->key)
			continue;
		e->key = kt_copy_key(&fresh, e->key, t->nkeys, &e->bytes);
		live += e->bytes;
	}
	sl_arena_free(&t->arena);
	t->arena = fresh;
	t->live_bytes = live;
}

void sl_keytab_delete(sl_keytab *t, uint32_t slot)
{
	kt_entry *e = &t->entries[slot];
	uint32_t i = (uint32_t)e->hash & t->mask;
	while (t->buckets[i].slot_plus_one != slot + 1)
		i = (i + 1) & t->mask;
	/* Backward shift: pull later members of the probe run into the
	 * hole when their home bucket does not lie in (hole, j]. */
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->buckets[j].slot_plus_one)
			break;
		uint32_t k =
			(uint32_t)t->entries[t->buckets[j].slot_plus_one - 1]
				.hash &
			t->mask;
		bool stay = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stay)
			continue;
		t->buckets[i] = t->buckets[j];
		i = j;
	}
	t->buckets[i].slot_plus_one = 0;
	t->buckets[i].tag = 0;
	t->live_bytes -= e->bytes;
	e->key = NULL;
	e->bytes = 0;
	e->next_free = t->first_free_plus_one;
	t->first_free_plus_one = slot + 1;
	t->count--;
	if (t->arena.total > 3 * t->live_bytes + KT_COMPACT_SLACK)
		kt_compact(t);
}

const sl_value *sl_keytab_key(const sl_keytab *t, uint32_t slot)
{
	return t->entries[slot].key;
}

bool sl_keytab_live(const sl_keytab *t, uint32_t slot)
{
	return slot < t->nentries && t->entries[slot].key;
}

uint32_t sl_keytab_count(const sl_keytab *t)
{
	return t->count;
}

uint32_t sl_keytab_slots(const sl_keytab *t)
{
	return t->nentries;
}

int64_t sl_keytab_next(const sl_keytab *t, int64_t slot)
{
	for (uint32_t s = (uint32_t)(slot + 1); s < t->nentries; s++)
		if (t->entries[s].key)
			return s;
	return -1;
}

size_t sl_keytab_mem(const sl_keytab *t)
{
	return sizeof(*t) + (size_t)(t->mask + 1) * sizeof(kt_bucket) +
	       (size_t)t->capentries * sizeof(kt_entry) + t->arena.total;
}
