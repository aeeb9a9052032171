/* core/buf.h - the one growable byte buffer: encoders, renderers, the
 * options reference and every text or binary writer use it.
 *
 * A buffer lives in one of three places, fixed when it is made:
 * - malloc'd (a zeroed `sl_buf`, or sl_buf_init(b, NULL, 0)): grows with
 *   realloc; sl_buf_free releases it, sl_buf_take hands the bytes over;
 * - in an arena (sl_buf_init(b, arena, hint)): grows in the arena, which
 *   owns every byte; sl_buf_free only forgets them;
 * - a caller's fixed array (sl_buf_fixed): never grows; bytes past the end
 *   are counted in `len` but not stored, snprintf's contract, so a caller
 *   can size a second try from the first's length.
 * Bytes are kept NUL-terminated where room allows, so `s` is a C string
 * after sl_buf_cstr. Out of memory aborts, as the allocators in
 * core/util.c do. */
#ifndef SL_CORE_BUF_H
#define SL_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/value.h"

typedef struct sl_buf {
	union {
		uint8_t *p; /* the bytes, as binary */
		char *s;    /* the bytes, as text */
	};
	size_t len;      /* bytes written (in fixed mode: also those dropped) */
	size_t cap;      /* bytes of storage at p */
	sl_arena *arena; /* grows in this arena; NULL: malloc or fixed */
	bool fixed;      /* a caller's array: never grows */
} sl_buf;

/* Starts an empty buffer in arena a (NULL: malloc'd), with room for hint
 * bytes to begin with (0: a small default). */
void sl_buf_init(sl_buf *b, sl_arena *a, size_t hint);
/* Starts an empty buffer over the caller's mem[0..cap) (cap >= 1). */
void sl_buf_fixed(sl_buf *b, char *mem, size_t cap);

/* Makes room for n more bytes and returns where they go (not in fixed
 * mode: there it returns NULL when they do not fit). The caller writes
 * them and then adds n to len. */
uint8_t *sl_buf_reserve(sl_buf *b, size_t n);

void sl_buf_put(sl_buf *b, const void *p, size_t n);
void sl_buf_putc(sl_buf *b, char c);
static inline void sl_buf_puts(sl_buf *b, const char *s)
{
	sl_buf_put(b, s, strlen(s));
}
/* Appends n copies of c (padding, borders). */
void sl_buf_fill(sl_buf *b, char c, size_t n);
void sl_buf_printf(sl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Binary encodings (ops/keyhash.c's canonical values, state files). */
void sl_buf_put_u8(sl_buf *b, uint8_t x);
void sl_buf_put_u32(sl_buf *b, uint32_t x);    /* little-endian */
void sl_buf_put_u64(sl_buf *b, uint64_t x);    /* little-endian */
void sl_buf_put_varint(sl_buf *b, uint64_t x); /* LEB128 */
/* n bytes as base64 (RFC 4648's alphabet, '=' padding, no line breaks). */
void sl_buf_put_base64(sl_buf *b, const uint8_t *p, size_t n);

/* The text so far, NUL-terminated (in fixed mode: truncated to fit). */
const char *sl_buf_cstr(sl_buf *b);
/* Empties the buffer, keeping its storage. */
static inline void sl_buf_reset(sl_buf *b)
{
	b->len = 0;
}
/* Releases a malloc'd buffer's bytes and leaves it empty (arena and
 * fixed buffers: only empties it). */
void sl_buf_free(sl_buf *b);
/* A malloc'd buffer's bytes, NUL-terminated, now the caller's (free());
 * the buffer is left empty. */
char *sl_buf_take(sl_buf *b);

#endif
