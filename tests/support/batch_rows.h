/* tests/support/batch_rows.h - what a foreachBatch sink delivers, as
 * text: each row "c1|c2|..." with its batch id and the call it came in,
 * collected under a lock from the query's sink thread; and waiting for it
 * with a hang bound. For the stateful query tests under tests/pipeline/.
 * Compiled once into build/libsltest.a. */
#ifndef SL_TEST_BATCH_ROWS_H
#define SL_TEST_BATCH_ROWS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

typedef struct sl_test_row {
	int64_t batch;
	uint32_t call;	/* the foreachBatch call, 0-based */
	char text[128]; /* "c1|c2|..." */
} sl_test_row;

typedef struct sl_test_collect {
	pthread_mutex_t lock;
	int64_t *ids; /* the batch id of every call, in order */
	uint32_t nbatches, capb;
	sl_test_row *rows;
	uint32_t nrows, capr;
	int64_t fail_at;      /* fail the call for this batch, -1 never */
	uint32_t fail_call;   /* fail this call (1-based) once its rows are
				 kept, 0 never */
	sl_sink_callbacks cb; /* the query keeps a pointer to it */
} sl_test_collect;

sl_test_collect *sl_test_collect_new(void);
void sl_test_collect_free(sl_test_collect *c);

/* Waits (10 s at most: a hang bound) until pred(c, arg) holds or q ends. */
bool sl_test_wait_for(sl_test_collect *c, sl_query *q,
		      bool (*pred)(sl_test_collect *, int64_t), int64_t arg);
/* Waits (10 s at most) until n calls arrived; the test fails if not. */
void sl_test_wait_batches(sl_test_collect *c, uint32_t n);

/* Starts g into foreachBatch (c) with the writer options opts; the test
 * fails if it does not start. Returns it (the session owns it). */
sl_query *sl_test_start(sl_session *s, sl_frame *g, const char *const *opts,
			sl_test_collect *c);
/* Starts g into foreachBatch (c) with the writer options opts, waits
 * until pred(c, arg) holds and stops the query, which must not have
 * failed. Returns it (the session owns it). */
sl_query *sl_test_run_until(sl_session *s, sl_frame *g, const char *const *opts,
			    sl_test_collect *c,
			    bool (*pred)(sl_test_collect *, int64_t),
			    int64_t arg);

/* Predicates for the waits: at least n calls, at least n rows. */
bool sl_test_has_batches(sl_test_collect *c, int64_t n);
bool sl_test_has_rows(sl_test_collect *c, int64_t n);

/* Rows that differ in batch or text: a batch that ran again after a
 * restart delivers the same rows under the same id. */
uint32_t sl_test_distinct_rows(const sl_test_collect *c);
/* Rows whose text is `text`, and all rows (under the lock). */
uint32_t sl_test_count_row(sl_test_collect *c, const char *text);
uint32_t sl_test_nrows(sl_test_collect *c);

/* The rows of call `call` (under the lock: the sink thread may still be
 * adding rows): how many, the i-th one's text copied into out (NULL if
 * there is none), and whether one is `text`. */
uint32_t sl_test_call_nrows(sl_test_collect *c, uint32_t call);
const char *sl_test_call_row(sl_test_collect *c, uint32_t call, uint32_t i,
			     char *out, size_t n);
bool sl_test_call_has(sl_test_collect *c, uint32_t call, const char *text);

#endif
