/* core/batch.c - record vectors and control markers, the entries of every
 * ring. Ownership rules: docs/ARCHITECTURE.md, section 3. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

sl_batch *sl_batch_new(const sl_schema *s, uint32_t cap)
{
	sl_batch *b = sl_xrealloc(NULL, sizeof(*b));
	memset(b, 0, sizeof(*b));
	b->kind = SL_MSG_ROWS;
	b->schema = s;
	b->ncols = s ? s->n : 0;
	if (cap && b->ncols) {
		size_t n = (size_t)cap * b->ncols * sizeof(sl_value);
		/* b is nobody's yet: freed before unwinding (core/alloc.h) */
		b->vals = sl_try_realloc(NULL, n);
		if (!b->vals) {
			free(b);
			sl_oom_raise(n);
		}
		b->cap = cap;
	}
	sl_arena_init(&b->arena);
	return b;
}

sl_batch *sl_batch_marker(sl_msg_kind kind, uint32_t partition, int64_t epoch,
			  const char *msg)
{
	sl_batch *b = sl_batch_new(NULL, 0);
	b->kind = (uint8_t)kind;
	b->partition = partition;
	b->epoch = epoch;
	if (msg)
		b->errmsg = strdup(msg);
	return b;
}

sl_value *sl_batch_add_row(sl_batch *b)
{
	if (b->nrows == b->cap) {
		uint32_t ncap = b->cap ? b->cap * 2 : 16;
		b->vals = sl_xrealloc(b->vals, (size_t)ncap * b->ncols *
						       sizeof(sl_value));
		b->cap = ncap;
	}
	sl_value *row = sl_batch_row(b, b->nrows++);
	memset(row, 0, sizeof(sl_value) * b->ncols);
	return row;
}

void sl_batch_hold(sl_batch *b, void (*release)(void *), void *p)
{
	if (b->nholds == b->capholds) {
		b->capholds = b->capholds ? b->capholds * 2 : 8;
		b->holds = sl_xrealloc(b->holds, b->capholds * sizeof(sl_hold));
	}
	b->holds[b->nholds].release = release;
	b->holds[b->nholds].p = p;
	b->nholds++;
}

void sl_batch_free(sl_batch *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->nholds; i++)
		b->holds[i].release(b->holds[i].p);
	free(b->holds);
	free(b->vals);
	free(b->errmsg);
	sl_arena_free(&b->arena);
	free(b);
}

void sl_batch_append_copy(sl_batch *dst, const sl_batch *src)
{
	for (uint32_t r = 0; r < src->nrows; r++) {
		const sl_value *in = sl_batch_row(src, r);
		sl_value *out = sl_batch_add_row(dst);
		for (uint32_t c = 0; c < dst->ncols && c < src->ncols; c++)
			out[c] = sl_value_copy(&in[c], &dst->arena);
	}
}

sl_value *sl_values_grow(sl_value *vals, uint32_t *cap, uint32_t width)
{
	uint32_t ncap = *cap ? *cap * 2 : 1;
	vals = sl_xrealloc(vals, (size_t)ncap * (width ? width : 1) *
					 sizeof(sl_value));
	*cap = ncap;
	return vals;
}
