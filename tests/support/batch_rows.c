/* tests/support/batch_rows.c - collecting what a foreachBatch sink
 * delivers (tests/support/batch_rows.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/batch_rows.h"

static int on_batch(void *ud, const sl_rows *rows, int64_t id)
{
	sl_test_collect *c = ud;
	if (id == c->fail_at)
		return -1;
	pthread_mutex_lock(&c->lock);
	if (c->nbatches == c->capb) {
		c->capb = c->capb ? c->capb * 2 : 256;
		c->ids = realloc(c->ids, c->capb * sizeof(*c->ids));
	}
	c->ids[c->nbatches] = id;
	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		if (c->nrows == c->capr) {
			c->capr = c->capr ? c->capr * 2 : 1024;
			c->rows = realloc(c->rows, c->capr * sizeof(*c->rows));
		}
		sl_test_row *r = &c->rows[c->nrows++];
		r->batch = id;
		r->call = c->nbatches;
		size_t len = 0;
		r->text[0] = 0;
		for (uint32_t k = 0; k < sl_rows_ncols(rows); k++) {
			char v[96];
			sl_rows_string(rows, i, k, v, sizeof(v));
			len += (size_t)snprintf(r->text + len,
						len < sizeof(r->text)
							? sizeof(r->text) - len
							: 0,
						"%s%s", k ? "|" : "", v);
		}
	}
	bool fail = ++c->nbatches == c->fail_call;
	pthread_mutex_unlock(&c->lock);
	return fail ? -1 : 0;
}

sl_test_collect *sl_test_collect_new(void)
{
	sl_test_collect *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->fail_at = -1;
	c->cb = (sl_sink_callbacks){ .size = sizeof(sl_sink_callbacks), .ud = c, .batch = on_batch };
	return c;
}

void sl_test_collect_free(sl_test_collect *c)
{
	free(c->ids);
	free(c->rows);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool sl_test_wait_for(sl_test_collect *c, sl_query *q,
		      bool (*pred)(sl_test_collect *, int64_t), int64_t arg)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&c->lock);
		bool ok = pred(c, arg);
		pthread_mutex_unlock(&c->lock);
		if (ok)
			return true;
		if (q && !sl_query_is_active(q))
			return false;
		usleep(10000);
	}
	return false;
}

void sl_test_wait_batches(sl_test_collect *c, uint32_t n)
{
	sl_test_wait_for(c, NULL, sl_test_has_batches, n);
	pthread_mutex_lock(&c->lock);
	uint32_t got = c->nbatches;
	pthread_mutex_unlock(&c->lock);
	cr_assert_geq(got, n, "only %u of %u batches arrived", got, n);
}

sl_query *sl_test_start(sl_session *s, sl_frame *g, const char *const *opts,
			sl_test_collect *c)
{
	sl_query *q = sl_frame_start(g, "foreachBatch", opts, &c->cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	return q;
}

sl_query *sl_test_run_until(sl_session *s, sl_frame *g, const char *const *opts,
			    sl_test_collect *c,
			    bool (*pred)(sl_test_collect *, int64_t),
			    int64_t arg)
{
	sl_query *q = sl_test_start(s, g, opts, c);
	cr_assert(sl_test_wait_for(c, q, pred, arg), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "hang");
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	return q;
}

bool sl_test_has_batches(sl_test_collect *c, int64_t n)
{
	return c->nbatches >= (uint32_t)n;
}

bool sl_test_has_rows(sl_test_collect *c, int64_t n)
{
	return c->nrows >= (uint32_t)n;
}

uint32_t sl_test_distinct_rows(const sl_test_collect *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->nrows; i++) {
		bool dup = false;
		for (uint32_t j = 0; j < i && !dup; j++)
			dup = c->rows[j].batch == c->rows[i].batch &&
			      !strcmp(c->rows[j].text, c->rows[i].text);
		n += !dup;
	}
	return n;
}

uint32_t sl_test_count_row(sl_test_collect *c, const char *text)
{
	uint32_t n = 0;
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nrows; i++)
		n += !strcmp(c->rows[i].text, text);
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint32_t sl_test_nrows(sl_test_collect *c)
{
	pthread_mutex_lock(&c->lock);
	uint32_t n = c->nrows;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint32_t sl_test_call_nrows(sl_test_collect *c, uint32_t call)
{
	uint32_t n = 0;
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nrows; i++)
		n += c->rows[i].call == call;
	pthread_mutex_unlock(&c->lock);
	return n;
}

const char *sl_test_call_row(sl_test_collect *c, uint32_t call, uint32_t i,
			     char *out, size_t n)
{
	const char *found = NULL;
	pthread_mutex_lock(&c->lock);
	for (uint32_t r = 0; r < c->nrows && !found; r++)
		if (c->rows[r].call == call && !i--)
			found = c->rows[r].text;
	snprintf(out, n, "%s", found ? found : "");
	pthread_mutex_unlock(&c->lock);
	return found ? out : NULL;
}

bool sl_test_call_has(sl_test_collect *c, uint32_t call, const char *text)
{
	bool found = false;
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nrows && !found; i++)
		found = c->rows[i].call == call &&
			!strcmp(c->rows[i].text, text);
	pthread_mutex_unlock(&c->lock);
	return found;
}
