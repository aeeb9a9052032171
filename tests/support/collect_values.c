/* tests/support/collect_values.c - the foreachBatch / foreach collector of the
 * query tests (tests/support/collect_values.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/collect_values.h"

void sl_test_values_init(sl_test_values *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

void sl_test_values_free(sl_test_values *c)
{
	free(c->vals);
	c->vals = NULL;
	pthread_mutex_destroy(&c->lock);
}

void sl_test_values_add(sl_test_values *c, int64_t v)
{
	if (c->nvals == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->vals = realloc(c->vals, c->cap * sizeof(int64_t));
		cr_assert_not_null(c->vals);
	}
	c->vals[c->nvals++] = v;
}

int sl_test_values_batch(void *ud, const sl_rows *rows, int64_t id)
{
	sl_test_values *c = ud;
	if (c->sleep_ms)
		usleep(c->sleep_ms * 1000);
	pthread_mutex_lock(&c->lock);
	uint32_t b = c->nbatches++;
	if (b < SL_TEST_VALUES_MAX_BATCHES) {
		c->batch_ids[b] = id;
		c->first_val[b] = c->nvals;
		c->nval[b] = sl_rows_count(rows);
	}
	for (uint32_t i = 0; i < sl_rows_count(rows); i++)
		sl_test_values_add(c, sl_rows_long(rows, i, 0));
	int fail = c->fail_at && (int)c->nbatches == c->fail_at;
	pthread_mutex_unlock(&c->lock);
	return fail ? -1 : 0;
}

int sl_test_values_open(void *ud, uint32_t partition, int64_t epoch)
{
	sl_test_values *c = ud;
	(void)partition;
	pthread_mutex_lock(&c->lock);
	uint32_t b = c->nbatches++;
	if (b < SL_TEST_VALUES_MAX_BATCHES)
		c->batch_ids[b] = epoch;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int sl_test_values_process(void *ud, const sl_rows *rows, uint32_t i)
{
	sl_test_values *c = ud;
	pthread_mutex_lock(&c->lock);
	sl_test_values_add(c, sl_rows_long(rows, i, 0));
	pthread_mutex_unlock(&c->lock);
	if (c->sleep_ms && i == 0)
		usleep(c->sleep_ms * 1000);
	return 0;
}

int sl_test_cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}
