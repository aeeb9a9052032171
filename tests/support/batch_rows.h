/* tests/support/batch_rows.h - what a foreachBatch sink delivers, as
 * text: each row "c1|c2|..." with its batch id, collected under a lock
 * from the query's sink thread; and waiting for it with a hang bound.
 * For the stateful tests (core_group_state.c, core_stateful_part.c,
 * core_stateful_ckpt.c). */
#ifndef SL_TEST_BATCH_ROWS_H
#define SL_TEST_BATCH_ROWS_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice.h"

typedef struct row {
	int64_t batch;
	char text[96]; /* "c1|c2|..." */
} row;

typedef struct collect {
	pthread_mutex_t lock;
	int64_t *ids; /* the batch id of every call, in order */
	uint32_t nbatches, capb;
	row *rows;
	uint32_t nrows, capr;
	int64_t fail_at;      /* fail the call for this batch, -1 never */
	uint32_t fail_call;   /* fail this call (1-based) once its rows are
				 kept, 0 never */
	sl_sink_callbacks cb; /* the query keeps a pointer to it */
} collect;

static inline int on_batch(void *ud, const sl_rows *rows, int64_t id)
{
	collect *c = ud;
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
		row *r = &c->rows[c->nrows++];
		r->batch = id;
		size_t len = 0;
		r->text[0] = 0;
		for (uint32_t k = 0; k < sl_rows_ncols(rows); k++) {
			char v[48];
			sl_rows_string(rows, i, k, v, sizeof(v));
			len += (size_t)snprintf(r->text + len,
						sizeof(r->text) - len, "%s%s",
						k ? "|" : "", v);
		}
	}
	bool fail = ++c->nbatches == c->fail_call;
	pthread_mutex_unlock(&c->lock);
	return fail ? -1 : 0;
}

static inline collect *collect_new(void)
{
	collect *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->fail_at = -1;
	c->cb = (sl_sink_callbacks){ .ud = c, .batch = on_batch };
	return c;
}

static inline void collect_free(collect *c)
{
	free(c->ids);
	free(c->rows);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Waits (10 s at most: a hang bound) until pred(c, arg) holds or q ends. */
static inline bool wait_for(collect *c, sl_query *q,
			    bool (*pred)(collect *, int64_t), int64_t arg)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&c->lock);
		bool ok = pred(c, arg);
		pthread_mutex_unlock(&c->lock);
		if (ok)
			return true;
		if (!sl_query_is_active(q))
			return false;
		usleep(10000);
	}
	return false;
}

/* Starts g into foreachBatch (c) with the writer options opts, waits
 * until pred(c, arg) holds and stops the query, which must not have
 * failed. Returns it (the session owns it). */
static inline sl_query *run_until(sl_session *s, sl_frame *g,
				  const char *const *opts, collect *c,
				  bool (*pred)(collect *, int64_t), int64_t arg)
{
	sl_query *q = sl_frame_start(g, "foreachBatch", opts, &c->cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert(wait_for(c, q, pred, arg), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "hang");
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	return q;
}

static inline bool has_batches(collect *c, int64_t n)
{
	return c->nbatches >= (uint32_t)n;
}

static inline bool has_rows(collect *c, int64_t n)
{
	return c->nrows >= (uint32_t)n;
}

/* Rows that differ in batch or text: a batch that ran again after a
 * restart delivers the same rows under the same id. */
static inline uint32_t distinct_rows(const collect *c)
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

#endif
