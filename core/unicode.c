/* core/unicode.c - UTF-8 decoding, case mapping and character classes for
 * Spark's upper, lower and initcap (the rules: core/unicode.h).
 *
 * The tables are generated (core/unicode_tables.c): runs of equal deltas
 * for the simple mappings, a short list of the mappings to more than one
 * code point, and runs of class bits, each found by binary search (the
 * case tables through a block index, so a search covers a few entries of
 * one 256-code-point block: mixed text is mostly in the BMP). ASCII,
 * most of the data, never reaches them: the string functions map eight
 * ASCII bytes at a time with word arithmetic and fall back to one code
 * point at a time at the first byte >= 0x80. */
#include "core/unicode.h"

#include <string.h>

#include "sluice.h"

/* ---- code points -------------------------------------------------------- */

/* Well-formed UTF-8 (The Unicode Standard, table 3-7): the second byte's
 * range depends on the first so overlongs, surrogates and code points past
 * U+10FFFF are all refused there. */
size_t sl_unicode_decode(const uint8_t *s, size_t n, uint32_t *cp, bool *bad)
{
	uint8_t b0, lo = 0x80, hi = 0xBF;
	size_t len, k;
	uint32_t c;

	if (n == 0)
		return 0;
	b0 = s[0];
	*bad = false;
	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		len = 2;
		c = b0 & 0x1F;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		len = 3;
		c = b0 & 0x0F;
		if (b0 == 0xE0)
			lo = 0xA0;
		else if (b0 == 0xED)
			hi = 0x9F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		len = 4;
		c = b0 & 0x07;
		if (b0 == 0xF0)
			lo = 0x90;
		else if (b0 == 0xF4)
			hi = 0x8F;
	} else {
		goto bad;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		goto bad;
	c = (c << 6) | (s[1] & 0x3F);
	for (k = 2; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (s[k] & 0x3F);
	}
	*cp = c;
	return len;
bad:
	*cp = b0;
	*bad = true;
	return 1;
}

size_t sl_unicode_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

#define HIGH_BITS 0x8080808080808080ull
#define ONES 0x0101010101010101ull

size_t sl_unicode_length(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, count = 0, len;
	uint64_t w;
	uint32_t cp;
	bool bad;

	while (i < n) {
		/* Eight ASCII bytes are eight code points. */
		while (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (w & HIGH_BITS)
				break;
			i += 8;
			count += 8;
		}
		if (i >= n)
			break;
		len = sl_unicode_decode(s + i, n - i, &cp, &bad);
		i += len;
		count++;
	}
	return count;
}

bool sl_unicode_valid(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;
	uint32_t cp;
	bool bad;

	while (i < n) {
		i += sl_unicode_decode(s + i, n - i, &cp, &bad);
		if (bad)
			return false;
	}
	return true;
}

/* ---- one code point ------------------------------------------------------ */

/* The window of m's delta runs that can hold cp: those from the first one
 * reaching cp's 256-code-point block to the first one reaching the next
 * block (which may start inside this one); outside the BMP, all the rest.
 * A handful at most, so the binary search below is short. */
static const sl_unicode_delta *delta_find(const sl_unicode_map *m, uint32_t cp)
{
	const sl_unicode_delta *t = m->deltas;
	size_t base, lo, hi;

	if (cp < 0x10000) {
		base = m->delta_block[cp >> 8];
		hi = (size_t)m->delta_block[(cp >> 8) + 1] + 1;
		if (hi > m->ndeltas)
			hi = m->ndeltas;
	} else {
		base = m->delta_block[256];
		hi = m->ndeltas;
	}
	/* The last run in the window starting at or before cp. */
	lo = base;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].lo <= cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == base)
		return NULL;
	t += lo - 1;
	if (cp > t->hi || ((cp - t->lo) & (uint32_t)(t->stride - 1)))
		return NULL;
	return t;
}

static uint32_t delta_map(const sl_unicode_map *m, uint32_t cp)
{
	const sl_unicode_delta *d = delta_find(m, cp);

	return d ? (uint32_t)((int64_t)cp + d->delta) : cp;
}

/* m's full mapping of cp, or NULL: searched among the entries of cp's
 * block (outside the BMP: all the rest). */
static const sl_unicode_full *full_find(const sl_unicode_map *m, uint32_t cp)
{
	const sl_unicode_full *t = m->full;
	size_t lo, hi;

	if (cp < 0x10000) {
		lo = m->full_block[cp >> 8];
		hi = m->full_block[(cp >> 8) + 1];
	} else {
		lo = m->full_block[256];
		hi = m->nfull;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].cp == cp)
			return &t[mid];
		if (t[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t sl_unicode_simple_upper(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'a' && cp <= 'z' ? cp - 0x20 : cp;
	return delta_map(&sl_unicode_upper_map, cp);
}

uint32_t sl_unicode_simple_lower(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 0x20 : cp;
	return delta_map(&sl_unicode_lower_map, cp);
}

uint32_t sl_unicode_simple_title(uint32_t cp)
{
	const sl_unicode_delta *d;

	if (cp < 0x80)
		return cp >= 'a' && cp <= 'z' ? cp - 0x20 : cp;
	d = delta_find(&sl_unicode_title_map, cp);
	if (d)
		return (uint32_t)((int64_t)cp + d->delta);
	return delta_map(&sl_unicode_upper_map, cp);
}

/* cp's full (one-to-several) mapping in m into out, else simple, its
 * one-to-one mapping, alone; how many code points that is. */
static size_t full_map(const sl_unicode_map *m, uint32_t cp, uint32_t simple,
		       uint32_t out[3])
{
	const sl_unicode_full *f = cp < 0x80 ? NULL : full_find(m, cp);

	if (!f) {
		out[0] = simple;
		return 1;
	}
	out[0] = f->to[0];
	out[1] = f->to[1];
	out[2] = f->to[2];
	return f->to[2] ? 3 : 2;
}

size_t sl_unicode_full_upper(uint32_t cp, uint32_t out[3])
{
	return full_map(&sl_unicode_upper_map, cp, sl_unicode_simple_upper(cp),
			out);
}

size_t sl_unicode_full_lower(uint32_t cp, uint32_t out[3])
{
	return full_map(&sl_unicode_lower_map, cp, sl_unicode_simple_lower(cp),
			out);
}

size_t sl_unicode_full_title(uint32_t cp, uint32_t out[3])
{
	return full_map(&sl_unicode_title_map, cp, sl_unicode_simple_title(cp),
			out);
}

unsigned sl_unicode_classes(uint32_t cp)
{
	const uint32_t *t = sl_unicode_class_runs;
	size_t lo = 0, hi = sl_unicode_class_nruns;

	if (cp > 0x10FFFF)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((t[mid] >> 8) <= cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo >= 1: the first run starts at U+0000. */
	return t[lo - 1] & 0xFF;
}

bool sl_unicode_is_whitespace(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) ||
		       (cp >= 0x1C && cp <= 0x1F);
	return sl_unicode_classes(cp) & SL_UNICODE_WHITESPACE;
}

bool sl_unicode_is_letter(uint32_t cp)
{
	if (cp < 0x80)
		return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
	return sl_unicode_classes(cp) & SL_UNICODE_LETTER;
}

bool sl_unicode_is_digit(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= '0' && cp <= '9';
	return sl_unicode_classes(cp) & SL_UNICODE_DIGIT;
}

bool sl_unicode_is_cased(uint32_t cp)
{
	return sl_unicode_classes(cp) & SL_UNICODE_CASED;
}

bool sl_unicode_is_case_ignorable(uint32_t cp)
{
	return sl_unicode_classes(cp) & SL_UNICODE_CASE_IGNORABLE;
}

/* ---- strings ------------------------------------------------------------- */

enum { MAP_UPPER, MAP_LOWER, MAP_INITCAP };

#define GREEK_CAPITAL_SIGMA 0x3A3
#define GREEK_SMALL_SIGMA 0x3C3
#define GREEK_FINAL_SIGMA 0x3C2
/* Input bytes mapped per reservation of output room: small enough that
 * the fallback array below fits on the stack. */
#define CHUNK 1024
/* Output room for one chunk: each input byte makes at most
 * SL_UNICODE_MAX_GROWTH bytes, and the chunk's last code point may start
 * just before its end and run three bytes past it. */
#define CHUNK_ROOM ((CHUNK + 3) * SL_UNICODE_MAX_GROWTH)

/* The code point that ends at s[j] (j > 0, a code point boundary of the
 * forward decoding): its start, with *cp and *bad as sl_unicode_decode
 * gives them. A well-formed sequence ending at j begins at the nearest
 * byte before j that is not a continuation byte, at most three back;
 * anything else leaves s[j - 1] a bad byte, as reading forwards does. */
static size_t prev_start(const uint8_t *s, size_t j, uint32_t *cp, bool *bad)
{
	size_t k = j - 1, floor = j >= 4 ? j - 4 : 0;

	while (k > floor && (s[k] & 0xC0) == 0x80)
		k--;
	if (sl_unicode_decode(s + k, j - k, cp, bad) == j - k && !*bad)
		return k;
	*cp = s[j - 1];
	*bad = true;
	return j - 1;
}

/* Unicode's Final_Sigma condition for the Σ at s[i..i+len): a cased letter
 * before it and none after it, case-ignorable code points skipped both
 * ways (ICU's rule, over the whole string). A bad byte is neither cased
 * nor ignorable, as its U+FFFD is in Spark. Each scan stops at the first
 * code point that is not ignorable, and every Σ is cased, so the scans of
 * a string's sigmas cross each stretch between two sigmas at most twice:
 * linear in n. */
static bool final_sigma(const uint8_t *s, size_t n, size_t i, size_t len)
{
	size_t j = i;
	uint32_t cp;
	bool bad, before = false;
	unsigned c;

	while (j > 0) {
		j = prev_start(s, j, &cp, &bad);
		if (bad)
			break;
		c = sl_unicode_classes(cp);
		if (!(c & SL_UNICODE_CASE_IGNORABLE)) {
			before = c & SL_UNICODE_CASED;
			break;
		}
	}
	if (!before)
		return false;
	for (j = i + len; j < n;) {
		j += sl_unicode_decode(s + j, n - j, &cp, &bad);
		if (bad)
			return true;
		c = sl_unicode_classes(cp);
		if (!(c & SL_UNICODE_CASE_IGNORABLE))
			return !(c & SL_UNICODE_CASED);
	}
	return true;
}

/* Bytes of w (ASCII only) in 'A'..'Z' (lo 'A') or 'a'..'z' (lo 'a'): 0x80
 * in each such byte. No byte exceeds 0x7F + 0x3F, so no carry crosses. */
static inline uint64_t letters(uint64_t w, uint8_t lo)
{
	uint64_t ge = w + ONES * (uint64_t)(0x80 - lo);
	uint64_t gt = w + ONES * (uint64_t)(0x80 - (lo + 25) - 1);

	return ge & ~gt & HIGH_BITS;
}

/* 0x80 in each byte of w (ASCII only) that is a space. */
static inline uint64_t spaces(uint64_t w)
{
	uint64_t x = w ^ (ONES * ' ');

	return ~((x & ~HIGH_BITS) + ~HIGH_BITS) & HIGH_BITS;
}

/* Eight ASCII bytes mapped at once (little-endian: byte k of the input is
 * bits 8k..8k+7 of w). */
static inline uint64_t ascii8(int mode, uint64_t w, bool *word)
{
	uint64_t prev;

	if (mode == MAP_UPPER)
		return w ^ (letters(w, 'a') >> 2);
	w ^= letters(w, 'A') >> 2;
	if (mode == MAP_INITCAP) {
		/* The byte before each byte: the one below it, and for the
		 * first the previous word's last. */
		prev = (w << 8) | (*word ? ' ' : 0);
		w ^= (letters(w, 'a') & spaces(prev)) >> 2;
		*word = (w >> 56) == ' ';
	}
	return w;
}

/* Maps s[*ip..lim), starting code points only, ASCII eight bytes at a time,
 * into o; returns the bytes written and advances *ip past the last code
 * point begun before lim. *word: initcap's "the previous code point was
 * an ASCII space" (or the start). */
static size_t map_chunk(int mode, const uint8_t *s, size_t n, size_t *ip,
			size_t lim, bool *word, uint8_t *o)
{
	uint8_t *o0 = o;
	size_t i = *ip, len, k, m;
	uint32_t cp, to[3];
	uint64_t w;
	/* A local copy: the output stores (bytes) may alias *word, which
	 * would make the compiler reload it every time. */
	bool bad, wd = *word;

	while (i < lim) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		while (i + 8 <= lim) {
			memcpy(&w, s + i, 8);
			if (w & HIGH_BITS)
				break;
			w = ascii8(mode, w, &wd);
			memcpy(o, &w, 8);
			o += 8;
			i += 8;
		}
		if (i >= lim)
			break;
#endif
		if (s[i] < 0x80) {
			uint8_t b = s[i++];
			bool up = mode == MAP_UPPER ||
				  (mode == MAP_INITCAP && wd);

			if (up && b >= 'a' && b <= 'z')
				b -= 0x20;
			else if (!up && b >= 'A' && b <= 'Z')
				b += 0x20;
			*o++ = b;
			wd = b == ' ';
			continue;
		}
		len = sl_unicode_decode(s + i, n - i, &cp, &bad);
		if (bad) {
			*o++ = s[i++];
			wd = false;
			continue;
		}
		if (mode == MAP_UPPER) {
			m = sl_unicode_full_upper(cp, to);
		} else if (mode == MAP_INITCAP && wd) {
			m = sl_unicode_full_title(cp, to);
		} else if (cp == GREEK_CAPITAL_SIGMA) {
			to[0] = final_sigma(s, n, i, len) ? GREEK_FINAL_SIGMA
							  : GREEK_SMALL_SIGMA;
			m = 1;
		} else {
			m = sl_unicode_full_lower(cp, to);
		}
		if (m == 1 && to[0] == cp) {
			memcpy(o, s + i, len); /* unchanged: as it came */
			o += len;
		} else {
			for (k = 0; k < m; k++)
				o += sl_unicode_encode(to[k], o);
		}
		i += len;
		wd = false;
	}
	*ip = i;
	*word = wd;
	return (size_t)(o - o0);
}

/* True when s[i..lim) is ASCII. */
static bool all_ascii(const uint8_t *s, size_t i, size_t lim)
{
	uint64_t w, acc = 0;

	for (; i + 8 <= lim; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < lim; i++)
		acc |= s[i];
	return !(acc & HIGH_BITS);
}

static int64_t map_string(int mode, sl_buf *out, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	uint8_t spare[CHUNK_ROOM];
	size_t i = 0, lim, room, wrote, total = 0;
	bool word = true;
	uint8_t *o;

	if (n > SL_UNICODE_MAX_INPUT)
		return SL_EINVAL;
	while (i < n) {
		lim = n - i > CHUNK ? i + CHUNK : n;
		/* Room for the chunk's worst case, or for exactly its bytes
		 * when it is ASCII: an arena buffer then grows by what the
		 * string needs, not three times that. (The scan reads a chunk
		 * that stays in L1 for the mapping.) A fixed buffer without
		 * the room gets the chunk through spare[], where sl_buf_put
		 * keeps what fits and counts the rest. */
		room = all_ascii(s, i, lim)
			       ? lim - i
			       : (lim - i + 3) * SL_UNICODE_MAX_GROWTH;
		o = sl_buf_reserve(out, room);
		wrote = map_chunk(mode, s, n, &i, lim, &word, o ? o : spare);
		if (o)
			out->len += wrote;
		else
			sl_buf_put(out, spare, wrote);
		total += wrote;
	}
	return (int64_t)total;
}

int64_t sl_unicode_upper(sl_buf *out, const char *s, size_t n)
{
	return map_string(MAP_UPPER, out, s, n);
}

int64_t sl_unicode_lower(sl_buf *out, const char *s, size_t n)
{
	return map_string(MAP_LOWER, out, s, n);
}

int64_t sl_unicode_initcap(sl_buf *out, const char *s, size_t n)
{
	return map_string(MAP_INITCAP, out, s, n);
}
