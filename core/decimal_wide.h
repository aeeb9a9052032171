/* core/decimal_wide.h - 512-bit unsigned integers for the intermediates of
 * core/decimal.c: an exact product of two 38-digit numbers, a dividend
 * scaled by up to 10^76. Internal to core/decimal.c and its test
 * (tests/unit/core_decimal.c checks the division against a bit-by-bit
 * one); nothing else should need it.
 *
 * Eight 64-bit limbs, little-endian; callers keep every value below
 * 2^512 (no operation reports a carry out). */
#ifndef SL_CORE_DECIMAL_WIDE_H
#define SL_CORE_DECIMAL_WIDE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* __extension__: 128-bit integers are GCC's and clang's, not ISO C's */
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

/* 10^0 .. 10^19 */
static const uint64_t w_p10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

#define WL 8
typedef struct wide {
	uint64_t w[WL];
} wide;

static inline void w_set(wide *x, u128 v)
{
	memset(x, 0, sizeof(*x));
	x->w[0] = (uint64_t)v;
	x->w[1] = (uint64_t)(v >> 64);
}

static inline bool w_fits128(const wide *x)
{
	for (int i = 2; i < WL; i++)
		if (x->w[i])
			return false;
	return true;
}

static inline u128 w_get(const wide *x)
{
	return (u128)x->w[1] << 64 | x->w[0];
}

static inline bool w_zero(const wide *x)
{
	for (int i = 0; i < WL; i++)
		if (x->w[i])
			return false;
	return true;
}

static inline int w_cmp(const wide *a, const wide *b)
{
	for (int i = WL - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* a += b; callers keep sums below 2^512. */
static inline void w_add(wide *a, const wide *b)
{
	uint64_t c = 0;
	for (int i = 0; i < WL; i++) {
		u128 s = (u128)a->w[i] + b->w[i] + c;
		a->w[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
}

/* a -= b, a >= b. */
static inline void w_sub(wide *a, const wide *b)
{
	uint64_t br = 0;
	for (int i = 0; i < WL; i++) {
		u128 d = (u128)a->w[i] - b->w[i] - br;
		a->w[i] = (uint64_t)d;
		br = (uint64_t)(d >> 64) ? 1 : 0;
	}
}

static inline void w_mul64(wide *x, uint64_t m)
{
	uint64_t c = 0;
	for (int i = 0; i < WL; i++) {
		u128 p = (u128)x->w[i] * m + c;
		x->w[i] = (uint64_t)p;
		c = (uint64_t)(p >> 64);
	}
}

/* x /= d, returns x % d. */
static inline uint64_t w_div64(wide *x, uint64_t d)
{
	u128 r = 0;
	for (int i = WL - 1; i >= 0; i--) {
		u128 cur = r << 64 | x->w[i];
		x->w[i] = (uint64_t)(cur / d);
		r = cur % d;
	}
	return (uint64_t)r;
}

/* x *= 10^k; callers keep the product below 2^512 (k <= 115 on values
 * below 10^38). */
static inline void w_mulpow10(wide *x, int k)
{
	for (; k >= 19; k -= 19)
		w_mul64(x, w_p10[19]);
	if (k > 0)
		w_mul64(x, w_p10[k]);
}

static inline void w_pow10(wide *x, int k)
{
	w_set(x, 1);
	w_mulpow10(x, k);
}

static inline void w_mul128(wide *out, u128 a, u128 b)
{
	uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	wide t;

	w_set(out, (u128)a0 * b0);
	w_set(&t, (u128)a0 * b1);
	memmove(&t.w[1], &t.w[0], 3 * sizeof(uint64_t));
	t.w[0] = 0;
	w_add(out, &t);
	w_set(&t, (u128)a1 * b0);
	memmove(&t.w[1], &t.w[0], 3 * sizeof(uint64_t));
	t.w[0] = 0;
	w_add(out, &t);
	w_set(&t, (u128)a1 * b1);
	memmove(&t.w[2], &t.w[0], 2 * sizeof(uint64_t));
	t.w[0] = t.w[1] = 0;
	w_add(out, &t);
}

static inline int w_bits(const wide *x)
{
	for (int i = WL - 1; i >= 0; i--)
		if (x->w[i])
			return i * 64 + 64 - __builtin_clzll(x->w[i]);
	return 0;
}

static inline int w_limbs(const wide *x)
{
	int n = WL;
	while (n > 0 && !x->w[n - 1])
		n--;
	return n;
}

/* q = n / d, r = n % d, d != 0. A divisor of one limb divides limb by
 * limb; longer ones take Knuth's algorithm D (TAOCP 4.3.1) in base 2^64:
 * normalize so the divisor's top bit is set, estimate each quotient limb
 * from the top two limbs, correct it at most twice, multiply and
 * subtract, add back in the rare case the estimate was still one over. */
static inline void w_divmod(const wide *n, const wide *d, wide *q, wide *r)
{
	uint64_t un[WL + 1], vn[WL];
	int m = w_limbs(n), nd = w_limbs(d), sh;

	if (nd <= 1) {
		*q = *n;
		w_set(r, w_div64(q, d->w[0]));
		return;
	}
	w_set(q, 0);
	if (m < nd || w_cmp(n, d) < 0) {
		*r = *n;
		return;
	}
	sh = __builtin_clzll(d->w[nd - 1]);
	for (int i = nd - 1; i > 0; i--)
		vn[i] = d->w[i] << sh | (sh ? d->w[i - 1] >> (64 - sh) : 0);
	vn[0] = d->w[0] << sh;
	un[m] = sh ? n->w[m - 1] >> (64 - sh) : 0;
	for (int i = m - 1; i > 0; i--)
		un[i] = n->w[i] << sh | (sh ? n->w[i - 1] >> (64 - sh) : 0);
	un[0] = n->w[0] << sh;
	for (int j = m - nd; j >= 0; j--) {
		u128 num = (u128)un[j + nd] << 64 | un[j + nd - 1];
		u128 qhat = num / vn[nd - 1], rhat = num % vn[nd - 1];
		i128 t, k = 0;

		while (qhat >> 64 ||
		       qhat * vn[nd - 2] > (rhat << 64 | un[j + nd - 2])) {
			qhat--;
			rhat += vn[nd - 1];
			if (rhat >> 64)
				break;
		}
		for (int i = 0; i < nd; i++) {
			u128 p = qhat * vn[i];
			t = (i128)un[i + j] - k - (i128)(uint64_t)p;
			un[i + j] = (uint64_t)t;
			k = (i128)(p >> 64) - (t >> 64);
		}
		t = (i128)un[j + nd] - k;
		un[j + nd] = (uint64_t)t;
		q->w[j] = (uint64_t)qhat;
		if (t < 0) { /* one too many: add the divisor back */
			u128 c = 0;
			q->w[j]--;
			for (int i = 0; i < nd; i++) {
				c += (u128)un[i + j] + vn[i];
				un[i + j] = (uint64_t)c;
				c >>= 64;
			}
			un[j + nd] += (uint64_t)c;
		}
	}
	/* the remainder is un[0..nd), still shifted left by sh */
	w_set(r, 0);
	for (int i = 0; i < nd - 1; i++)
		r->w[i] = un[i] >> sh | (sh ? un[i + 1] << (64 - sh) : 0);
	r->w[nd - 1] = un[nd - 1] >> sh;
}

#endif
