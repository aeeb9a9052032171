/* tests/support/file_source.c - driving a file source through its ops
 * (tests/support/file_source.h). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/support/file_source.h"

void sl_test_put_file(const char *dir, const char *name, const char *text,
		      int64_t age_s)
{
	char path[256];
	FILE *f;
	struct timespec ts[2];
	time_t base = 1700000000;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	ts[0].tv_sec = ts[1].tv_sec = base - age_s;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

void sl_test_open_part(sl_source *src, sl_source_part *p)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	cr_assert_eq(src->ops->open(p), 0, "%s", p->err.msg);
}

sl_batch *sl_test_source_batch(sl_source *src, sl_source_part *p, int64_t id,
			       int *rc)
{
	int64_t end = src->ops->latest(p, id);
	sl_batch *all = sl_batch_new(src->schema, 16);

	*rc = 0;
	while (p->offset < end) {
		sl_batch *b = NULL;
		int n = src->ops->poll(p, end, 1000000, &b);

		if (n < 0) {
			*rc = n;
			sl_batch_free(b);
			break;
		}
		if (b) {
			cr_assert_eq(b->nrows, (uint32_t)n);
			cr_assert_leq(b->nrows, 1024);
			cr_assert_eq(b->end_offset, p->offset);
			sl_batch_append_copy(all, b);
			sl_batch_free(b);
		}
	}
	return all;
}

sl_batch *sl_test_source_batch_ok(sl_source *src, sl_source_part *p, int64_t id)
{
	int rc;
	sl_batch *b = sl_test_source_batch(src, p, id, &rc);

	cr_assert_eq(rc, 0, "%s", p->err.msg);
	return b;
}

void sl_test_source_batch_fails(sl_source *src, sl_source_part *p,
				const char *want)
{
	int rc;

	sl_test_open_part(src, p);
	sl_batch_free(sl_test_source_batch(src, p, 0, &rc));
	cr_assert_lt(rc, 0);
	if (want)
		cr_assert_not_null(strstr(p->err.msg, want), "%s", p->err.msg);
}

sl_batch *sl_test_read_via_source(sl_source *src, sl_source_part *p, const char *dir,
			    const char *name, const char *text,
			    const sl_source_ops *ops, const char *const *kv,
			    sl_arena *arena, sl_err *err)
{
	sl_test_put_file(dir, name, text, 0);
	cr_assert_eq(sl_test_source_make(ops, kv, src, arena, err), 0, "%s",
		     err->msg);
	sl_test_open_part(src, p);
	return sl_test_source_batch_ok(src, p, 0);
}

void sl_test_source_done(sl_source *src, sl_source_part *p)
{
	src->ops->close(p);
	src->ops->destroy(src);
}

const char *sl_test_cell(const sl_batch *b, uint32_t r, uint32_t c)
{
	static char buf[8][256];
	static int k;
	char *o = buf[k++ % 8];

	cr_assert_lt(r, b->nrows);
	sl_value_render(&sl_batch_row(b, r)[c], o, 256);
	return o;
}
