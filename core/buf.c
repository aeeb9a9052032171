/* core/buf.c - the one growable byte buffer (core/buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "sluice.h"

void sl_buf_init(sl_buf *b, sl_arena *a, size_t hint)
{
	b->arena = a;
	b->fixed = false;
	b->len = 0;
	b->cap = hint ? hint : 16;
	b->p = a ? sl_arena_alloc(a, b->cap) : sl_xrealloc(NULL, b->cap);
	b->p[0] = 0;
}

void sl_buf_fixed(sl_buf *b, char *mem, size_t cap)
{
	b->s = mem;
	b->cap = cap;
	b->len = 0;
	b->arena = NULL;
	b->fixed = true;
	if (cap)
		mem[0] = 0;
}

/* Grows so that need bytes (and a NUL) fit. */
static void buf_grow(sl_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap * 2 : 64;
	while (cap < need + 1)
		cap *= 2;
	if (b->arena) {
		uint8_t *p = sl_arena_alloc(b->arena, cap);
		if (b->len)
			memcpy(p, b->p, b->len);
		b->p = p;
	} else {
		b->p = sl_xrealloc(b->p, cap);
	}
	b->cap = cap;
}

uint8_t *sl_buf_reserve(sl_buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		if (b->fixed)
			return NULL;
		buf_grow(b, b->len + n);
	}
	return b->p + b->len;
}

void sl_buf_put(sl_buf *b, const void *p, size_t n)
{
	if (!n)
		return; /* p may be NULL for an empty value */
	if (b->fixed) {
		if (b->len + 1 < b->cap) {
			size_t room = b->cap - 1 - b->len;
			memcpy(b->p + b->len, p, n < room ? n : room);
		}
		b->len += n;
		return;
	}
	if (b->len + n + 1 > b->cap)
		buf_grow(b, b->len + n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void sl_buf_putc(sl_buf *b, char c)
{
	if (!b->fixed && b->len + 2 <= b->cap) {
		b->s[b->len++] = c;
		return;
	}
	sl_buf_put(b, &c, 1);
}

void sl_buf_fill(sl_buf *b, char c, size_t n)
{
	uint8_t *at = sl_buf_reserve(b, n);
	if (at) {
		memset(at, c, n);
		b->len += n;
		return;
	}
	while (n--) /* fixed and full: count what does not fit */
		sl_buf_putc(b, c);
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sl_buf_put(b, tmp, (size_t)n);
		return;
	}
	/* Rare long output: format it again at its full length. */
	char *big = sl_xrealloc(NULL, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sl_buf_put(b, big, (size_t)n);
	free(big);
}

void sl_buf_put_u8(sl_buf *b, uint8_t x)
{
	if (!b->fixed && b->len + 2 <= b->cap) {
		b->p[b->len++] = x;
		return;
	}
	sl_buf_put(b, &x, 1);
}

void sl_buf_put_u32(sl_buf *b, uint32_t x)
{
	uint8_t t[4];
	for (int i = 0; i < 4; i++)
		t[i] = (uint8_t)(x >> (8 * i));
	sl_buf_put(b, t, 4);
}

void sl_buf_put_u64(sl_buf *b, uint64_t x)
{
	uint8_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(x >> (8 * i));
	sl_buf_put(b, t, 8);
}

void sl_buf_put_varint(sl_buf *b, uint64_t x)
{
	uint8_t t[10];
	size_t n = 0;
	do {
		t[n] = (uint8_t)(x & 0x7f);
		x >>= 7;
		if (x)
			t[n] |= 0x80;
		n++;
	} while (x);
	sl_buf_put(b, t, n);
}

const char *sl_buf_cstr(sl_buf *b)
{
	if (b->fixed) {
		if (!b->cap)
			return "";
		b->s[b->len < b->cap ? b->len : b->cap - 1] = 0;
		return b->s;
	}
	if (b->len + 1 > b->cap)
		buf_grow(b, b->len);
	b->s[b->len] = 0;
	return b->s;
}

void sl_buf_free(sl_buf *b)
{
	if (!b->arena && !b->fixed)
		free(b->p);
	if (!b->fixed) {
		b->p = NULL;
		b->cap = 0;
	}
	b->len = 0;
}

char *sl_buf_take(sl_buf *b)
{
	sl_buf_cstr(b);
	char *s = b->s;
	b->p = NULL;
	b->len = b->cap = 0;
	return s;
}

void sl_buf_put_base64(sl_buf *b, const uint8_t *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { abc[v >> 18], abc[v >> 12 & 63],
			      i + 1 < n ? abc[v >> 6 & 63] : '=',
			      i + 2 < n ? abc[v & 63] : '=' };
		sl_buf_put(b, q, 4);
	}
}
