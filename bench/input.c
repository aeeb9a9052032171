/* bench/input.c - what the in-process input costs (sl_session_input,
 * io/input.c): latency from a host's push to the foreach callback, and
 * the rows a second a host can push in batches, beside a plain sl_chan hop
 * between two threads measured in the same run (the baseline).
 *
 *   input:    one host thread pushes rows (t BIGINT, v BIGINT) into a
 *             one-partition input at R rows/s, t = CLOCK_MONOTONIC just
 *             before the push; query: WHERE v >= 0, SELECT t, v + 1 AS w
 *             -> foreach, trigger 'continuous 1 second'; the callback takes
 *             now - t. The path is two hops: the input's queue to the
 *             partition thread, then its ring to the sink thread.
 *   baseline: one thread pushes records stamped the same way into an
 *             sl_chan at R/s; the other pops them, parking when the ring is
 *             empty (as the partition and sink threads do), and takes now -
 *             t: one hop, no rows, no query.
 *   batches:  --rows rows pushed in batches of 256 as fast as the input
 *             takes them (blocking backpressure), through the same query;
 *             rows/s from the first push to the last callback.
 *
 * The first --warmup ms of each latency run are left out. Rates and their
 * spacing are a busy-waiting producer's: it pushes whenever a row is due,
 * so a late producer pushes the rows it owes at once.
 *
 * usage: input [--seconds S] [--warmup MS] [--rows N] [--rates R,R,...]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/chan.h"
#include "sluice.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

static const double pcts[] = { 50, 99, 99.9 };
#define NPCT 3

struct lat {
	int64_t *v;
	size_t n, cap;
	int64_t from_ns; /* samples before this are warm-up */
	_Atomic uint64_t seen;
};

static void lat_add(struct lat *l, int64_t t, int64_t now)
{
	if (t < l->from_ns || l->n == l->cap)
		return;
	l->v[l->n++] = now - t;
}

static void lat_print(const char *what, int64_t rate, struct lat *l)
{
	qsort(l->v, l->n, sizeof(*l->v), bu_cmp_i64);
	printf("%-28s %9lld/s  n=%-8zu", what, (long long)rate, l->n);
	for (int i = 0; i < NPCT; i++)
		printf("  p%-4g %8.1f us", pcts[i],
		       (double)bu_pct_sorted(l->v, l->n, pcts[i]) / 1e3);
	printf("\n");
}

/* Calls push(arg, i) for i = 0, 1, ... whenever row i is due (rate a
 * second from t0), busy-waiting in between, until end; push says whether
 * the row went. Returns the rows pushed. */
static uint64_t paced(int64_t rate, int64_t t0, int64_t end,
		      bool (*push)(void *arg, uint64_t i), void *arg)
{
	int64_t spacing = 1000000000LL / rate;
	uint64_t i = 0;

	for (;;) {
		int64_t now = bu_now_ns();
		if (now >= end)
			return i;
		if (now >= t0 + (int64_t)i * spacing && push(arg, i))
			i++;
	}
}

/* ---- the input through a query ---------------------------------------- */

static int on_row(void *ud, const sl_rows *rows, uint32_t i)
{
	struct lat *l = ud;

	lat_add(l, sl_rows_long(rows, i, 0), bu_now_ns());
	atomic_fetch_add_explicit(&l->seen, 1, memory_order_relaxed);
	return 0;
}

static sl_input *start_query(sl_session **s, struct lat *l, sl_query **q)
{
	sl_input_opts o = { .size = sizeof(o), .capacity = 65536 };
	sl_input *in;
	sl_frame *f;

	*s = sl_session_new();
	in = sl_session_input(*s, "bench", "t BIGINT, v BIGINT", 1, &o);
	f = sl_session_read_stream(*s, "input", OPTS("name", "bench"));
	f = sl_frame_where(f, "v >= 0");
	f = sl_frame_select(f, OPTS("t", "v + 1 AS w"));
	static sl_sink_callbacks cb;
	cb = (sl_sink_callbacks){ .size = sizeof(cb), .ud = l, .process = on_row };
	*q = sl_frame_start(f, "foreach",
			    OPTS("trigger", "continuous 1 second"), &cb);
	if (!in || !*q) {
		fprintf(stderr, "input: %s\n", sl_session_errmsg(*s));
		exit(1);
	}
	return in;
}

static void wait_seen(struct lat *l, uint64_t n)
{
	int64_t give_up = bu_now_ns() + 30 * 1000000000LL;

	while (atomic_load(&l->seen) < n && bu_now_ns() < give_up)
		bu_sleep_ms(1);
}

struct row_ctx {
	sl_input *in;
	sl_input_row *r;
};

static bool push_row(void *arg, uint64_t i)
{
	struct row_ctx *c = arg;

	sl_input_row_long(c->r, 0, bu_now_ns());
	sl_input_row_long(c->r, 1, (int64_t)i);
	return sl_input_push(c->in, 0, c->r) == 0;
}

static void input_latency(int64_t rate, double seconds, int64_t warmup_ms)
{
	struct lat l = { 0 };
	sl_session *s;
	sl_query *q;
	sl_input *in = start_query(&s, &l, &q);
	sl_input_row *r = sl_input_row_new(in);
	int64_t t0, end;
	uint64_t i;

	l.cap = (size_t)(rate * seconds) + 16;
	l.v = malloc(l.cap * sizeof(*l.v));
	bu_sleep_ms(100); /* the query's threads are up */
	t0 = bu_now_ns();
	l.from_ns = t0 + warmup_ms * 1000000;
	end = l.from_ns + (int64_t)(seconds * 1e9);
	i = paced(rate, t0, end, push_row, &(struct row_ctx){ in, r });
	wait_seen(&l, i);
	sl_input_close(in);
	sl_query_await(q, 10000);
	lat_print("input -> query -> foreach", rate, &l);
	sl_input_row_free(r);
	sl_session_destroy(s);
	free(l.v);
}

/* ---- the baseline: one sl_chan hop -------------------------------------- */

struct hop {
	sl_chan *ch;
	sl_waiter w;
	struct lat *l;
	_Atomic bool done;
};

static void *hop_consumer(void *arg)
{
	struct hop *h = arg;

	for (;;) {
		int64_t *rec = sl_chan_try_pop_spsc(h->ch);
		if (!rec) {
			uint32_t t = sl_waiter_prepare(&h->w);
			rec = sl_chan_try_pop_spsc(h->ch);
			if (!rec) {
				if (atomic_load(&h->done))
					return NULL;
				sl_waiter_wait(&h->w, t, 1000000);
				continue;
			}
		}
		lat_add(h->l, *rec, bu_now_ns());
		free(rec);
	}
}

static bool push_rec(void *arg, uint64_t i)
{
	struct hop *h = arg;
	int64_t *rec = malloc(sizeof(*rec));

	*rec = bu_now_ns();
	sl_chan_push_spsc(h->ch, rec, NULL);
	return true;
}

static void chan_latency(int64_t rate, double seconds, int64_t warmup_ms)
{
	struct lat l = { 0 };
	struct hop h = { .l = &l };
	pthread_t th;
	int64_t t0, end;

	l.cap = (size_t)(rate * seconds) + 16;
	l.v = malloc(l.cap * sizeof(*l.v));
	sl_waiter_init(&h.w);
	h.ch = sl_chan_new(1024, &h.w);
	pthread_create(&th, NULL, hop_consumer, &h);
	bu_sleep_ms(20);
	t0 = bu_now_ns();
	l.from_ns = t0 + warmup_ms * 1000000;
	end = l.from_ns + (int64_t)(seconds * 1e9);
	paced(rate, t0, end, push_rec, &h);
	atomic_store(&h.done, true);
	sl_waiter_wake(&h.w);
	pthread_join(th, NULL);
	sl_chan_free(h.ch);
	lat_print("sl_chan hop (baseline)", rate, &l);
	free(l.v);
}

/* ---- batches as fast as they go ---------------------------------------- */

#define BATCH 256

static void input_peak(uint64_t rows)
{
	struct lat l = { 0 };
	sl_session *s;
	sl_query *q;
	sl_input *in = start_query(&s, &l, &q);
	sl_input_row *rs[BATCH];
	int64_t t0, t_pushed, t_seen;
	uint64_t i = 0;

	for (int k = 0; k < BATCH; k++)
		rs[k] = sl_input_row_new(in);
	bu_sleep_ms(100);
	t0 = bu_now_ns();
	while (i < rows) {
		for (int k = 0; k < BATCH; k++) {
			sl_input_row_long(rs[k], 0, 0);
			sl_input_row_long(rs[k], 1, (int64_t)(i + k));
		}
		if (sl_input_push_batch(in, 0,
					(const sl_input_row *const *)rs,
					BATCH) == BATCH)
			i += BATCH;
	}
	t_pushed = bu_now_ns();
	wait_seen(&l, i);
	t_seen = bu_now_ns();
	printf("%-28s %9.0f rows/s pushed, %9.0f rows/s to the callback "
	       "(%llu rows, batches of %d)\n",
	       "input, batches, peak", (double)i * 1e9 / (double)(t_pushed - t0),
	       (double)atomic_load(&l.seen) * 1e9 / (double)(t_seen - t0),
	       (unsigned long long)i, BATCH);
	sl_input_close(in);
	sl_query_await(q, 10000);
	for (int k = 0; k < BATCH; k++)
		sl_input_row_free(rs[k]);
	sl_session_destroy(s);
}

int main(int argc, char **argv)
{
	double seconds = 2;
	int64_t warmup_ms = 300;
	uint64_t rows = 5000000;
	char rates_arg[256] = "10000,100000,1000000";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			warmup_ms = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
			rows = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rates") && i + 1 < argc)
			snprintf(rates_arg, sizeof(rates_arg), "%s", argv[++i]);
		else {
			fprintf(stderr, "usage: input [--seconds S] [--warmup "
				"MS] [--rows N] [--rates R,R,...]\n");
			return 2;
		}
	}
	for (char *p = strtok(rates_arg, ","); p; p = strtok(NULL, ",")) {
		int64_t rate = atoll(p);
		if (rate <= 0)
			continue;
		chan_latency(rate, seconds, warmup_ms);
		input_latency(rate, seconds, warmup_ms);
	}
	input_peak(rows);
	return 0;
}
