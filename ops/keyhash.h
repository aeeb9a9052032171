/* ops/keyhash.h - group keys: a canonical byte encoding of sl_values, their
 * hash and equality, and sl_keytab, the table a stateful operator uses to
 * find the state of a group from its key tuple.
 *
 * The same encoding serves three purposes: the input of the key hash, the
 * bytes of a key in a state store snapshot or delta, and the bytes of
 * aggregate states that hold values (collect_list, min/max of strings).
 * One encoding means one place to get Spark's grouping rules right: null
 * is a key of its own, -0.0 groups with 0.0, and every NaN groups together
 * (Spark's NormalizeFloatingNumbers). */
#ifndef SL_OPS_KEYHASH_H
#define SL_OPS_KEYHASH_H

#include "core/buf.h"
#include "core/value.h"

/* ---- byte buffers: sl_buf is core/buf.h's ---------------------------- */

/* A reader over encoded bytes. A read past the end (or malformed input)
 * sets err and returns zeros, so decoders check err once at the end. */
typedef struct sl_rbuf {
	const uint8_t *p;
	size_t len, off;
	bool err;
} sl_rbuf;

static inline sl_rbuf sl_rbuf_make(const void *p, size_t len)
{
	sl_rbuf r = { .p = p, .len = len };
	return r;
}
const uint8_t *sl_rbuf_get(sl_rbuf *r, size_t n); /* NULL (and err) if short */
uint8_t sl_rbuf_u8(sl_rbuf *r);
uint32_t sl_rbuf_u32(sl_rbuf *r);
uint64_t sl_rbuf_u64(sl_rbuf *r);
uint64_t sl_rbuf_varint(sl_rbuf *r);

/* ---- value encoding ------------------------------------------------------ */

/* Appends the canonical encoding of v: a type tag, then the payload
 * (fixed-width little-endian numbers, length-prefixed bytes, counted
 * elements). Doubles are normalised as Spark groups them. */
void sl_value_encode(sl_buf *b, const sl_value *v);
/* Decodes one value; variable data is allocated in arena a. Returns 0 or
 * SL_EINVAL on malformed input (r->err set). */
int sl_value_decode(sl_rbuf *r, sl_arena *a, sl_value *out);
/* Bytes a deep copy of v takes outside the sl_value itself. */
size_t sl_value_deep_size(const sl_value *v);
/* A deep copy of v in a single malloc'd block (*blk, NULL if v holds no
 * variable data), for states that must free a value on their own. */
sl_value sl_value_dup_heap(const sl_value *v, void **blk);

/* ---- keys ---------------------------------------------------------------- */

/* 64-bit hash of a tuple of n values (XXH3 over the canonical encoding).
 * Equal tuples (sl_key_equal) hash equal. */
uint64_t sl_key_hash(const sl_value *key, uint32_t n);
/* Grouping equality: same types and values; null equals null; doubles
 * compare after normalisation (so NaN = NaN and -0.0 = 0.0). */
bool sl_key_equal(const sl_value *a, const sl_value *b, uint32_t n);

/* ---- the key table ------------------------------------------------------- */

/* Maps key tuples of a fixed arity to dense slot numbers (0, 1, ...). A slot
 * is stable while its key is in the table, and is reused after deletion, so
 * callers keep per-group data in arrays indexed by slot. Keys are deep
 * copies held in the table's arena; the arena is compacted when deleted
 * keys would otherwise pin more memory than the live ones, which keeps
 * memory bounded under continuous insert and eviction. Not thread-safe:
 * one table belongs to one stateful partition thread. */
typedef struct sl_keytab sl_keytab;

sl_keytab *sl_keytab_new(uint32_t nkeys);
/* Frees the table and every key. NULL is a no-op. */
void sl_keytab_free(sl_keytab *t);
/* The slot of key, or -1 if absent. */
int64_t sl_keytab_find(const sl_keytab *t, const sl_value *key);
/* The slot of key, inserting a deep copy if absent (*created says which).
 * Never fails (aborts on out of memory like the arenas). */
uint32_t sl_keytab_insert(sl_keytab *t, const sl_value *key, bool *created);
/* Removes the key in slot (which must be live). */
void sl_keytab_delete(sl_keytab *t, uint32_t slot);
/* The stored key tuple of a live slot. The pointer is valid until the next
 * insert or delete (either may move keys while compacting). */
const sl_value *sl_keytab_key(const sl_keytab *t, uint32_t slot);
bool sl_keytab_live(const sl_keytab *t, uint32_t slot);
/* Live keys. */
uint32_t sl_keytab_count(const sl_keytab *t);
/* One past the highest slot ever used: iterate slots [0, this) and skip
 * the ones that are not live (or use sl_keytab_next). */
uint32_t sl_keytab_slots(const sl_keytab *t);
/* The next live slot after `slot` (pass -1 to start), or -1 at the end. */
int64_t sl_keytab_next(const sl_keytab *t, int64_t slot);
/* Bytes held: the index, the slot array and the key arena. */
size_t sl_keytab_mem(const sl_keytab *t);
/* Removes every key (keeps the table's allocations small again). */
void sl_keytab_clear(sl_keytab *t);

#endif
