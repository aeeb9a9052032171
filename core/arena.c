/* core/arena.c - bump allocation for the bytes of a record vector or a plan.
 *
 * A batch's strings, arrays and structs are allocated here and freed all at
 * once with the batch (docs/ARCHITECTURE.md, section 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

struct sl_arena_chunk {
	struct sl_arena_chunk *next;
	size_t size;
	_Alignas(16) char data[];
};

#define SL_ARENA_MIN_CHUNK 4000

void sl_arena_init(sl_arena *a)
{
	memset(a, 0, sizeof(*a));
}

static void arena_grow(sl_arena *a, size_t n)
{
	size_t size = n > SL_ARENA_MIN_CHUNK ? n : SL_ARENA_MIN_CHUNK;
	/* Later chunks double up to 1 MiB so big batches need few mallocs. */
	if (a->head && a->head->size * 2 > size)
		size = a->head->size * 2 < (1u << 20) ? a->head->size * 2 : size;
	/* On failure the arena is as it was (its chunks still its own) and
	 * the thread unwinds to its recovery point (core/alloc.h). */
	struct sl_arena_chunk *c = sl_try_realloc(NULL, sizeof(*c) + size);
	if (!c)
		sl_oom_raise(sizeof(*c) + size);
	c->next = a->head;
	c->size = size;
	a->head = c;
	a->cur = c->data;
	a->end = c->data + size;
	a->total += size;
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if ((size_t)(a->end - a->cur) < n)
		arena_grow(a, n);
	void *p = a->cur;
	a->cur += n;
	return p;
}

void *sl_arena_calloc(sl_arena *a, size_t n)
{
	void *p = sl_arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
	char *p = sl_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
	return sl_arena_strndup(a, s, strlen(s));
}

void sl_arena_reset(sl_arena *a)
{
	if (!a->head)
		return;
	/* Keep the newest (largest) chunk: a reused arena then settles on
	 * one allocation. */
	struct sl_arena_chunk *keep = a->head, *c = keep->next;
	while (c) {
		struct sl_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	keep->next = NULL;
	a->total = keep->size;
	a->cur = keep->data;
	a->end = keep->data + keep->size;
}

void sl_arena_free(sl_arena *a)
{
	struct sl_arena_chunk *c = a->head;
	while (c) {
		struct sl_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	sl_arena_init(a);
}
