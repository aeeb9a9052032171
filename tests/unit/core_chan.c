/* tests/unit/core_chan.c - sl_chan rings and sl_waiter parking (core/chan.c).
 *
 * Behaviour only, never timings: FIFO order under contention, markers keep
 * their place among record vectors, a full ring blocks its producer and
 * drops nothing, cancel unblocks a blocked producer, no wakeup is ever lost
 * (a lost one hangs the test until Criterion's timeout fails it), and a
 * waiter's timeout returns. Run it under -fsanitize=thread too: every
 * protocol here must be free of TSan reports. */
#include "core/chan.h"
#include "core/value.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "tests/support/sanitizer.h"

/* TSan makes every atomic several times slower; halve the runs, which still
 * move millions of entries across full and empty rings. */
#if SL_TEST_TSAN
#define SL_TEST_SCALE 2
#else
#define SL_TEST_SCALE 1
#endif

static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L,
			       .tv_nsec = ns % 1000000000L };

	nanosleep(&ts, NULL);
}

static void *seq_ptr(uintptr_t i)
{
	return (void *)(i + 1); /* never NULL: NULL means "empty" */
}

/* The consumer's side of the protocol the sink thread uses: poll, spin a
 * little, then prepare, re-check and park (no timeout: a lost wakeup hangs
 * here). */
static void *pop_wait(sl_chan *c, sl_waiter *w, int spin)
{
	void *p;
	uint32_t t;

	for (;;) {
		for (int i = 0; i <= spin; i++) {
			p = sl_chan_try_pop_spsc(c);
			if (p)
				return p;
		}
		t = sl_waiter_prepare(w);
		p = sl_chan_try_pop_spsc(c);
		if (p)
			return p;
		sl_waiter_wait(w, t, -1);
	}
}

/* ---- capacity -------------------------------------------------------- */

Test(chan, capacity_rounds_up_and_holds_all, .timeout = 30)
{
	static const uint32_t ask[] = { 0, 1, 3, 4, 5, 8, 9, 1000, 1024 };
	static const uint32_t got[] = { 4, 4, 4, 4, 8, 8, 16, 1024, 1024 };

	for (size_t k = 0; k < sizeof(ask) / sizeof(ask[0]); k++) {
		sl_chan *c = sl_chan_new(ask[k], NULL);
		uint32_t cap;

		cr_assert_not_null(c);
		cap = sl_chan_capacity(c);
		cr_assert_eq(cap, got[k], "capacity(%u) = %u", ask[k], cap);
		/* Every requested entry is usable, not capacity - 1. */
		for (uint32_t i = 0; i < cap; i++)
			cr_assert(sl_chan_try_push_spsc(c, seq_ptr(i)));
		cr_assert_not(sl_chan_try_push_spsc(c, seq_ptr(cap)));
		cr_assert_eq(sl_chan_size(c), cap);
		for (uint32_t i = 0; i < cap; i++)
			cr_assert_eq(sl_chan_try_pop_spsc(c), seq_ptr(i));
		cr_assert_null(sl_chan_try_pop_spsc(c));
		cr_assert_eq(sl_chan_size(c), 0);
		cr_assert_eq(sl_chan_blocked_ns(c), 0);
		sl_chan_free(c);
	}
	cr_assert_null(sl_chan_new((1u << 31) + 1, NULL));
}

/* ---- FIFO under contention ------------------------------------------- */

struct fifo_arg {
	sl_chan *c;
	uintptr_t n;
};

static void *fifo_producer(void *arg)
{
	struct fifo_arg *a = arg;

	for (uintptr_t i = 0; i < a->n; i++)
		if (!sl_chan_push_spsc(a->c, seq_ptr(i), NULL))
			return (void *)1;
	return NULL;
}

Test(chan, fifo_under_contention, .timeout = 120)
{
	sl_waiter w;
	struct fifo_arg a;
	pthread_t th;
	void *ret;

	sl_waiter_init(&w);
	/* A small ring: both sides cross full and empty constantly, so both
	 * parking paths run. */
	a.c = sl_chan_new(64, &w);
	a.n = 4000000 / SL_TEST_SCALE;
	cr_assert_not_null(a.c);
	cr_assert_eq(pthread_create(&th, NULL, fifo_producer, &a), 0);
	for (uintptr_t i = 0; i < a.n; i++) {
		void *p = pop_wait(a.c, &w, 64);

		if (p != seq_ptr(i))
			cr_assert_fail("entry %lu: got %lu", (unsigned long)i,
				       (unsigned long)((uintptr_t)p - 1));
	}
	pthread_join(th, &ret);
	cr_assert_null(ret, "producer failed to push");
	cr_assert_null(sl_chan_try_pop_spsc(a.c));
	cr_assert_eq(sl_chan_size(a.c), 0);
	sl_chan_free(a.c);
}

/* ---- markers among record vectors ------------------------------------ */

#define MARK_EPOCHS (20000 / SL_TEST_SCALE)

struct mark_arg {
	sl_chan *c;
	sl_batch *b; /* every entry, in push order */
	size_t n;
};

/* Epoch e carries e % 7 record vectors (zero included: an empty epoch),
 * then its marker; the stream ends with EOS. */
static size_t mark_build(sl_batch *b)
{
	size_t n = 0;
	int64_t off = 0;

	for (int64_t e = 0; e < MARK_EPOCHS; e++) {
		for (int64_t r = 0; r < e % 7; r++) {
			b[n].kind = SL_MSG_ROWS;
			b[n].epoch = e;
			b[n].end_offset = ++off;
			n++;
		}
		b[n].kind = SL_MSG_MARKER;
		b[n].epoch = e;
		b[n].end_offset = off;
		n++;
	}
	b[n].kind = SL_MSG_EOS;
	b[n].end_offset = off;
	return n + 1;
}

static void *mark_producer(void *arg)
{
	struct mark_arg *a = arg;

	for (size_t i = 0; i < a->n; i++)
		sl_chan_push_spsc(a->c, &a->b[i], NULL);
	return NULL;
}

Test(chan, markers_keep_their_place, .timeout = 120)
{
	sl_waiter w;
	struct mark_arg a;
	pthread_t th;
	int64_t epoch = 0, off = 0, rows_in_epoch = 0;
	size_t got = 0;

	sl_waiter_init(&w);
	a.c = sl_chan_new(8, &w);
	a.b = calloc((size_t)MARK_EPOCHS * 8 + 1, sizeof(sl_batch));
	cr_assert(a.c && a.b);
	a.n = mark_build(a.b);
	cr_assert_eq(pthread_create(&th, NULL, mark_producer, &a), 0);
	for (;;) {
		sl_batch *b = pop_wait(a.c, &w, 8);

		cr_assert_eq(b, &a.b[got], "entry %zu out of order", got);
		got++;
		if (b->kind == SL_MSG_EOS)
			break;
		if (b->kind == SL_MSG_ROWS) {
			/* Every row before marker(e) belongs to epoch e. */
			cr_assert_eq(b->epoch, epoch);
			cr_assert_eq(b->end_offset, off + 1);
			off = b->end_offset;
			rows_in_epoch++;
			continue;
		}
		cr_assert_eq(b->kind, SL_MSG_MARKER);
		cr_assert_eq(b->epoch, epoch, "marker for epoch %ld, want %ld",
			     (long)b->epoch, (long)epoch);
		cr_assert_eq(b->end_offset, off);
		cr_assert_eq(rows_in_epoch, epoch % 7);
		epoch++;
		rows_in_epoch = 0;
	}
	pthread_join(th, NULL);
	cr_assert_eq(got, a.n);
	cr_assert_eq(epoch, MARK_EPOCHS);
	cr_assert_null(sl_chan_try_pop_spsc(a.c));
	sl_chan_free(a.c);
	free(a.b);
}

/* ---- backpressure ----------------------------------------------------- */

struct block_arg {
	sl_chan *c;
	void *p;
	const _Atomic bool *cancel;
	_Atomic bool started; /* about to push */
	_Atomic bool done;
	bool ok;
};

static void *block_producer(void *arg)
{
	struct block_arg *a = arg;

	atomic_store_explicit(&a->started, true, memory_order_relaxed);
	a->ok = sl_chan_push_spsc(a->c, a->p, a->cancel);
	/* release: the main thread reads a->ok after seeing done. */
	atomic_store_explicit(&a->done, true, memory_order_release);
	return NULL;
}

Test(chan, full_ring_blocks_producer_until_pop, .timeout = 30)
{
	struct block_arg a = { .p = seq_ptr(100) };
	pthread_t th;

	a.c = sl_chan_new(8, NULL);
	cr_assert_not_null(a.c);
	for (uintptr_t i = 0; i < 8; i++)
		cr_assert(sl_chan_try_push_spsc(a.c, seq_ptr(i)));
	cr_assert_not(sl_chan_try_push_spsc(a.c, a.p), "full ring took more");
	atomic_init(&a.done, false);
	atomic_init(&a.started, false);
	cr_assert_eq(pthread_create(&th, NULL, block_producer, &a), 0);
	/* On a loaded machine the thread may not run for a while: wait until
	 * it is at its push, or the pop below could come first and the push
	 * never block. Then give it time to spin and park. However long we
	 * wait, a correct ring cannot let the push finish while it is full. */
	while (!atomic_load_explicit(&a.started, memory_order_relaxed))
		sleep_ns(1000 * 1000);
	sleep_ns(20 * 1000 * 1000);
	cr_assert_not(atomic_load(&a.done), "push returned on a full ring");
	cr_assert_eq(sl_chan_size(a.c), 8);
	/* One pop frees one slot and must wake the parked producer: with no
	 * cancel flag it parks without a timeout, so a lost wake hangs. */
	cr_assert_eq(sl_chan_try_pop_spsc(a.c), seq_ptr(0));
	pthread_join(th, NULL);
	cr_assert(atomic_load(&a.done));
	cr_assert(a.ok);
	cr_assert_eq(sl_chan_size(a.c), 8);
	cr_assert_gt(sl_chan_blocked_ns(a.c), 0);
	for (uintptr_t i = 1; i < 8; i++)
		cr_assert_eq(sl_chan_try_pop_spsc(a.c), seq_ptr(i));
	cr_assert_eq(sl_chan_try_pop_spsc(a.c), a.p);
	cr_assert_null(sl_chan_try_pop_spsc(a.c));
	sl_chan_free(a.c);
}

#define SLOW_N 3000
#define SLOW_CAP 16

struct slow_arg {
	sl_chan *c;
	_Atomic uint32_t max_seen; /* largest occupancy the producer saw */
};

static void *slow_producer(void *arg)
{
	struct slow_arg *a = arg;

	for (uintptr_t i = 0; i < SLOW_N; i++) {
		uint32_t n;

		if (!sl_chan_push_spsc(a->c, seq_ptr(i), NULL))
			return (void *)1;
		n = sl_chan_size(a->c);
		if (n > atomic_load(&a->max_seen))
			atomic_store(&a->max_seen, n);
	}
	return NULL;
}

Test(chan, slow_consumer_backpressure_drops_nothing, .timeout = 60)
{
	sl_waiter w;
	struct slow_arg a;
	pthread_t th;
	void *ret;

	sl_waiter_init(&w);
	a.c = sl_chan_new(SLOW_CAP, &w);
	cr_assert_not_null(a.c);
	atomic_init(&a.max_seen, 0);
	cr_assert_eq(pthread_create(&th, NULL, slow_producer, &a), 0);
	/* Do not pop until the ring is full, so the producer's next push
	 * must block: backpressure is then certain, not likely. */
	while (sl_chan_size(a.c) < SLOW_CAP)
		sleep_ns(100 * 1000);
	for (uintptr_t i = 0; i < SLOW_N; i++) {
		uint32_t n = sl_chan_size(a.c);

		cr_assert_leq(n, SLOW_CAP, "occupancy %u > capacity", n);
		cr_assert_eq(pop_wait(a.c, &w, 0), seq_ptr(i),
			     "entry %lu lost or reordered", (unsigned long)i);
		/* A slow consumer: the producer keeps hitting a full ring. */
		if (i % 4 == 0)
			sleep_ns(20 * 1000);
	}
	pthread_join(th, &ret);
	cr_assert_null(ret);
	cr_assert_null(sl_chan_try_pop_spsc(a.c));
	cr_assert_leq(atomic_load(&a.max_seen), SLOW_CAP);
	cr_assert_gt(sl_chan_blocked_ns(a.c), 0, "producer never blocked");
	sl_chan_free(a.c);
}

/* ---- cancel ------------------------------------------------------------ */

Test(chan, cancel_unblocks_blocked_producer, .timeout = 30)
{
	struct block_arg a = { .p = seq_ptr(100) };
	_Atomic bool cancel;
	pthread_t th;

	atomic_init(&cancel, false);
	a.c = sl_chan_new(4, NULL);
	a.cancel = &cancel;
	atomic_init(&a.done, false);
	cr_assert_not_null(a.c);
	for (uintptr_t i = 0; i < 4; i++)
		cr_assert(sl_chan_try_push_spsc(a.c, seq_ptr(i)));
	cr_assert_eq(pthread_create(&th, NULL, block_producer, &a), 0);
	sleep_ns(20 * 1000 * 1000); /* let it park; not needed for the check */
	cr_assert_not(atomic_load(&a.done));
	/* Nobody wakes it: it must notice cancel on its own. */
	atomic_store(&cancel, true);
	pthread_join(th, NULL);
	cr_assert_not(a.ok, "cancelled push reported success");
	/* The entry was not pushed, and nothing else was disturbed. */
	cr_assert_eq(sl_chan_size(a.c), 4);
	for (uintptr_t i = 0; i < 4; i++)
		cr_assert_eq(sl_chan_try_pop_spsc(a.c), seq_ptr(i));
	cr_assert_null(sl_chan_try_pop_spsc(a.c));

	/* cancel only matters while waiting: with room, the push succeeds. */
	cr_assert(sl_chan_push_spsc(a.c, seq_ptr(7), &cancel));
	cr_assert_eq(sl_chan_try_pop_spsc(a.c), seq_ptr(7));
	sl_chan_free(a.c);
}

/* ---- no lost wakeups ------------------------------------------------- */

#define PING_ROUNDS (200000 / SL_TEST_SCALE)

struct ping_arg {
	sl_chan *to, *from; /* seen from the echo thread */
	sl_waiter *w;
};

/* Echoes every entry back; parks at once whenever its ring is empty. */
static void *ping_echo(void *arg)
{
	struct ping_arg *a = arg;

	for (uintptr_t i = 0; i < PING_ROUNDS; i++) {
		void *p = pop_wait(a->from, a->w, 0);

		sl_chan_push_spsc(a->to, p, NULL);
	}
	return NULL;
}

/* Each side pushes one entry and then parks without a timeout until the
 * reply comes: every round is a park and a wake on both sides, racing
 * prepare against push. One lost wakeup and both threads sleep forever. */
Test(chan, parked_consumer_woken_by_push, .timeout = 120)
{
	sl_waiter wmain, wecho;
	struct ping_arg a;
	sl_chan *out, *back;
	pthread_t th;

	sl_waiter_init(&wmain);
	sl_waiter_init(&wecho);
	out = sl_chan_new(4, &wecho);
	back = sl_chan_new(4, &wmain);
	cr_assert(out && back);
	a.from = out;
	a.to = back;
	a.w = &wecho;
	cr_assert_eq(pthread_create(&th, NULL, ping_echo, &a), 0);
	for (uintptr_t i = 0; i < PING_ROUNDS; i++) {
		cr_assert(sl_chan_push_spsc(out, seq_ptr(i), NULL));
		if (pop_wait(back, &wmain, 0) != seq_ptr(i))
			cr_assert_fail("round %lu: wrong echo",
				       (unsigned long)i);
	}
	pthread_join(th, NULL);
	sl_chan_free(out);
	sl_chan_free(back);
}

/* Several rings, one consumer waiter (the sink thread's shape): producers
 * race each other's wakes on the shared waiter. */
#define SHARED_RINGS 3
#define SHARED_N (300000 / SL_TEST_SCALE)

static void *shared_producer(void *arg)
{
	sl_chan *c = arg;

	for (uintptr_t i = 0; i < SHARED_N; i++)
		sl_chan_push_spsc(c, seq_ptr(i), NULL);
	return NULL;
}

Test(chan, rings_sharing_one_consumer_waiter, .timeout = 120)
{
	sl_waiter w;
	sl_chan *c[SHARED_RINGS];
	pthread_t th[SHARED_RINGS];
	uintptr_t next[SHARED_RINGS] = { 0 };
	uintptr_t left = (uintptr_t)SHARED_N * SHARED_RINGS;
	uint32_t t;

	sl_waiter_init(&w);
	for (int r = 0; r < SHARED_RINGS; r++) {
		c[r] = sl_chan_new(16, &w);
		cr_assert_not_null(c[r]);
	}
	for (int r = 0; r < SHARED_RINGS; r++)
		cr_assert_eq(
			pthread_create(&th[r], NULL, shared_producer, c[r]), 0);
	while (left) {
		bool any = false;

		for (int r = 0; r < SHARED_RINGS; r++) {
			void *p;

			while ((p = sl_chan_try_pop_spsc(c[r]))) {
				if (p != seq_ptr(next[r]))
					cr_assert_fail(
						"ring %d: entry %lu wrong", r,
						(unsigned long)next[r]);
				next[r]++;
				left--;
				any = true;
			}
		}
		if (any || !left)
			continue;
		/* Park until any ring has something: prepare, re-check
		 * every ring, then wait without a timeout. */
		t = sl_waiter_prepare(&w);
		for (int r = 0; r < SHARED_RINGS; r++)
			any |= sl_chan_size(c[r]) > 0;
		if (!any)
			sl_waiter_wait(&w, t, -1);
	}
	for (int r = 0; r < SHARED_RINGS; r++) {
		pthread_join(th[r], NULL);
		cr_assert_eq(next[r], SHARED_N);
		sl_chan_free(c[r]);
	}
}

/* ---- sl_waiter on its own --------------------------------------------- */

Test(waiter, wake_between_prepare_and_wait_is_kept, .timeout = 30)
{
	sl_waiter w;

	sl_waiter_init(&w);
	for (int i = 0; i < 1000; i++) {
		uint32_t t = sl_waiter_prepare(&w);

		sl_waiter_wake(&w);
		sl_waiter_wait(&w, t, -1); /* must return, or we hang */
	}
}

Test(waiter, timeout_returns, .timeout = 30)
{
	sl_waiter w;
	uint32_t t;

	sl_waiter_init(&w);
	t = sl_waiter_prepare(&w);
	sl_waiter_wait(&w, t, 0);
	sl_waiter_wait(&w, t, 1000 * 1000);
	sl_waiter_wait(&w, t, 5 * 1000 * 1000);
	/* A prepare that was never followed by a wait (the caller found
	 * work) must not break the next round. */
	sl_waiter_wake(&w);
	t = sl_waiter_prepare(&w);
	sl_waiter_wait(&w, t, 1000 * 1000);
	sl_waiter_wake(&w);
	t = sl_waiter_prepare(&w);
	sl_waiter_wait(&w, t, 1000 * 1000);
}

struct wake_arg {
	sl_waiter *w;
	_Atomic int *flag;
};

static void *late_waker(void *arg)
{
	struct wake_arg *a = arg;

	sleep_ns(5 * 1000 * 1000);
	/* release: the waiter reads the flag after waking. */
	atomic_store_explicit(a->flag, 1, memory_order_release);
	sl_waiter_wake(a->w);
	return NULL;
}

Test(waiter, sleeper_woken_by_other_thread, .timeout = 30)
{
	sl_waiter w;
	_Atomic int flag;
	struct wake_arg a = { .w = &w, .flag = &flag };
	pthread_t th;

	sl_waiter_init(&w);
	for (int round = 0; round < 20; round++) {
		atomic_init(&flag, 0);
		cr_assert_eq(pthread_create(&th, NULL, late_waker, &a), 0);
		/* acquire: pairs with the waker's release store. */
		while (!atomic_load_explicit(&flag, memory_order_acquire)) {
			uint32_t t = sl_waiter_prepare(&w);

			if (atomic_load_explicit(&flag, memory_order_acquire))
				break;
			sl_waiter_wait(&w, t, -1);
		}
		pthread_join(th, NULL);
	}
}
