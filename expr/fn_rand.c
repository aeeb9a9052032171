/* expr/fn_rand.c - rand/random, randn and uuid.
 *
 * rand(seed) and randn(seed) follow Spark's generator: per partition a
 * xorshift generator (Spark's XORShiftRandom) seeded with seed + the
 * partition's index, its seed first spread by MurmurHash3 as Spark's is,
 * and Java's nextDouble and nextGaussian over it; so a partition's rows
 * get Spark's numbers in the order the partition reads them (randn
 * within a rounding of the logarithm: Java's StrictMath is not libm). A
 * generator's state is its thread's (a partition is one thread), kept per
 * call in a small table, so evaluation stays read-only on the tree.
 * Without a seed argument a random seed is drawn at bind and named as
 * Spark names it, rand(<seed>). uuid() is a version 4 UUID from a
 * per-thread generator seeded from the kernel's randomness (Spark's is
 * random too). The table entries are the math group's (expr/fn_math.c). */
#include <math.h>
#include <stdio.h>
#include <sys/random.h>

#include "core/uuid.h"
#include "expr/fn.h"

static _Thread_local int32_t part_index;

void sl_expr_thread_partition(int32_t index)
{
	part_index = index;
}

/* ---- Spark's XORShiftRandom --------------------------------------------- */

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t mix_last(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	return h ^ k;
}

/* Scala's MurmurHash3.bytesHash of 8 bytes */
static uint32_t murmur8(const uint8_t b[8], uint32_t h)
{
	for (int i = 0; i < 8; i += 4) {
		uint32_t k = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 |
			     (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
		h = rotl32(mix_last(h, k), 13) * 5 + 0xe6546b64u;
	}
	h ^= 8;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint64_t hash_seed(int64_t seed)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++) /* big-endian, as ByteBuffer.putLong */
		b[i] = (uint8_t)((uint64_t)seed >> (56 - 8 * i));
	uint32_t lo = murmur8(b, 0x3c074a61u);
	uint32_t hi = murmur8(b, lo);
	return (uint64_t)hi << 32 | lo;
}

typedef struct rng {
	const sl_expr *e;
	uint64_t s;
	bool have_gauss;
	double gauss;
} rng;

static int32_t next_bits(rng *r, int bits)
{
	uint64_t x = r->s ^ (r->s << 21);
	x ^= x >> 35;
	x ^= x << 4;
	r->s = x;
	return (int32_t)(x & ((1ull << bits) - 1));
}

static double next_double(rng *r)
{
	int64_t hi = next_bits(r, 26);
	int64_t lo = next_bits(r, 27);
	return (double)((hi << 27) + lo) * 0x1.0p-53;
}

static double next_gaussian(rng *r)
{
	if (r->have_gauss) {
		r->have_gauss = false;
		return r->gauss;
	}
	double v1, v2, s;
	do {
		v1 = 2 * next_double(r) - 1;
		v2 = 2 * next_double(r) - 1;
		s = v1 * v1 + v2 * v2;
	} while (s >= 1 || s == 0);
	double m = sqrt(-2 * log(s) / s);
	r->gauss = v2 * m;
	r->have_gauss = true;
	return v1 * m;
}

/* The generators of this thread, one per call evaluated on it. */
#define MAX_RNGS 64
static _Thread_local rng rngs[MAX_RNGS];
static _Thread_local uint32_t nrngs;

static rng *rng_of(const sl_expr *e, int64_t seed)
{
	for (uint32_t i = 0; i < nrngs; i++)
		if (rngs[i].e == e)
			return &rngs[i];
	/* past the table's size the oldest generator starts over */
	rng *r = &rngs[nrngs < MAX_RNGS ? nrngs++ : (uintptr_t)e % MAX_RNGS];
	*r = (rng){ .e = e, .s = hash_seed(seed + part_index) };
	return r;
}

/* ---- rand, randn ----------------------------------------------------------- */

static int ev_rand(FN_EV_ARGS)
{
	rng *r = rng_of(e, e->lit.v.i64);
	*out = sl_v_double(e->op ? next_gaussian(r) : next_double(r));
	return 0;
}

static int64_t random_seed(void)
{
	int64_t s;
	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = sl_now_ns();
	return s;
}

int sl_fn_bind_rand(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int64_t seed;
	if (e->nargs == 0) {
		seed = random_seed();
		char tail[32];
		snprintf(tail, sizeof(tail), "%lld", (long long)seed);
		e->sql = sl_fn_append_sql(cx, e->sql, tail);
	} else {
		const sl_expr *x = e->args[0];
		int id = x->type->id;
		if (x->kind != EX_LIT ||
		    (id != SL_INT && id != SL_LONG && id != SL_NULL &&
		     id != SL_SHORT && id != SL_BYTE))
			return sl_bind_fail(
				err, e, SL_EANALYSIS,
				"[SEED_EXPRESSION_IS_UNFOLDABLE] The seed "
				"expression %s of the expression %s must be "
				"an integer literal",
				x->sql, e->sql);
		seed = x->lit.type == SL_LONG  ? x->lit.v.i64
		       : x->lit.type == SL_NULL ? 0
						: x->lit.v.i32;
	}
	if (e->fn->name[4] == 'o') /* random: named rand */
		sl_fn_rename(cx, e, "rand(", NULL);
	e->lit = sl_v_long(seed);
	e->op = e->fn->name[4] == 'n'; /* randn */
	e->type = &sl_dtype_double;
	e->eval = ev_rand;
	return 0;
}

/* ---- uuid -------------------------------------------------------------------- */

static int ev_uuid(FN_EV_ARGS)
{
	static _Thread_local uint64_t s[2];
	if (!s[0] && !s[1]) {
		if (getrandom(s, sizeof(s), 0) != sizeof(s)) {
			s[0] = (uint64_t)sl_now_ns() | 1;
			s[1] = (uint64_t)(uintptr_t)&s;
		}
	}
	uint8_t u[16];
	for (int h = 0; h < 2; h++) { /* xorshift128+ */
		uint64_t x = s[0], y = s[1];
		s[0] = y;
		x ^= x << 23;
		s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
		uint64_t v = s[1] + y;
		memcpy(u + 8 * h, &v, 8);
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	char *o = sl_arena_alloc(a, 37);
	snprintf(o, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	*out = sl_v_str(o, 36);
	return 0;
}

int sl_fn_bind_uuid(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_uuid;
	return 0;
}
