/* core/chan.c - the rings between a query's threads, and parking spots.
 *
 * Every source partition thread pushes record vectors and markers into one
 * sl_chan; the sink thread pops them all and parks on one sl_waiter when
 * every ring is empty. A full ring parks its producer on the ring's own
 * producer waiter (backpressure, docs/ARCHITECTURE.md section 2).
 *
 * Why the ring is not ck_ring: ck_ring's index loads, stores and fences are
 * inline asm (ck_pr), which ThreadSanitizer cannot see. Under -fsanitize=
 * thread it then reports every slot, and every object handed through a slot,
 * as a data race (measured: ck_ring_enqueue_spsc/ck_ring_dequeue_spsc with
 * malloc'd payloads reports both). A report-free TSan run is how we check
 * every protocol here (CONTRIBUTING.md), so the ring below is a plain SPSC
 * ring on C11 atomics, which TSan understands: free-running 32-bit head and
 * tail indices, release stores publishing them and acquire loads reading
 * them, producer and consumer state on separate cache lines, each side
 * caching the other's index to keep the shared lines quiet. Free-running
 * indices also let it hold all `capacity` entries (ck_ring holds one less).
 * ck is still used for the spin-wait pause (ck_pr_stall).
 *
 * Lost wakeups. Both parking protocols are the same two-sided handshake
 * (Dekker's): the waiting side announces itself, then re-reads the ring; the
 * waking side changes the ring, then reads the announcement. Each side has
 * a store followed by a load of another location, which only a full
 * (seq_cst) fence keeps in order on either side; with both fences, at
 * least one side sees the other's store. The fences are on the ring's hot
 * path (one per push, one per pop); on x86-64 each is one `lock or` on the
 * stack, and bench/ring_hop measures what they cost against a bare ring.
 */
#include "core/chan.h"

#include <ck_pr.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- sl_waiter: a futex eventcount ---------------------------------- */

/* seq's low bit says "a thread has prepared to wait and not yet been woken
 * since"; the other 31 bits count wakes that found it set. Keeping the
 * announcement in the same word as the count is what makes a wake race-free
 * against a concurrent prepare: both are read-modify-writes of one location,
 * so whichever comes second in its modification order sees the first. A
 * waiter that prepares and then finds work simply leaves the bit set; the
 * next wake clears it, and since nobody sleeps (sleepers == 0) that costs a
 * compare-and-swap, never a system call. */
#define SL_WAITER_ARMED 1u

static long sl_futex(_Atomic uint32_t *addr, int op, uint32_t val,
		     const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

void sl_waiter_init(sl_waiter *w)
{
	memset(w, 0, sizeof(*w));
	atomic_init(&w->seq, 0);
	atomic_init(&w->sleepers, 0);
}

uint32_t sl_waiter_prepare(sl_waiter *w)
{
	uint32_t t;

	/* relaxed: the fence below orders the announcement; the value read
	 * only needs to be the latest in seq's modification order, which
	 * every read-modify-write gets. */
	t = atomic_fetch_or_explicit(&w->seq, SL_WAITER_ARMED,
				     memory_order_relaxed);
	/* Orders the announcement (the store half of the fetch_or) before
	 * the caller's re-check of its rings (loads of other locations).
	 * Pairs with the first fence in sl_waiter_wake: either that wake sees
	 * the armed bit, or the caller's re-check sees the waker's entry. */
	atomic_thread_fence(memory_order_seq_cst);
	return t | SL_WAITER_ARMED;
}

void sl_waiter_wait(sl_waiter *w, uint32_t t, int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	/* relaxed: only a changed value matters (a wake came, return); the
	 * entries the waker published are read through the ring's own
	 * acquire loads, not through seq. */
	if (atomic_load_explicit(&w->seq, memory_order_relaxed) != t)
		return;
	if (timeout_ns == 0)
		return;
	if (timeout_ns > 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	/* relaxed: the fence below orders the increment. */
	atomic_fetch_add_explicit(&w->sleepers, 1, memory_order_relaxed);
	/* Orders "I am about to sleep" before the kernel's read of seq in
	 * FUTEX_WAIT. Pairs with the second fence in sl_waiter_wake: either
	 * the waker sees sleepers > 0 and calls FUTEX_WAKE, or the kernel
	 * sees the bumped seq and FUTEX_WAIT returns at once (EAGAIN). */
	atomic_thread_fence(memory_order_seq_cst);
	/* EINTR, EAGAIN and ETIMEDOUT all mean "return": the caller re-checks
	 * its rings either way. */
	sl_futex(&w->seq, FUTEX_WAIT_PRIVATE, t, tsp);
	/* relaxed: a stale nonzero count costs a waker one useless
	 * FUTEX_WAKE, never a lost wake. */
	atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_relaxed);
}

void sl_waiter_wake(sl_waiter *w)
{
	uint32_t s;

	/* Orders the caller's publication (its ring index store) before the
	 * load of the armed bit below. Pairs with the fence in
	 * sl_waiter_prepare; without it the store could wait in the store
	 * buffer while both sides read the other's old value. */
	atomic_thread_fence(memory_order_seq_cst);
	/* relaxed: the fence above did the ordering; this is the one load a
	 * wake costs when nobody is waiting. */
	s = atomic_load_explicit(&w->seq, memory_order_relaxed);
	while (s & SL_WAITER_ARMED) {
		/* Clear the bit and count the wake in one step. release: a
		 * waiter whose prepare reads this value also sees what the
		 * caller published before waking (not relied on by sl_chan,
		 * whose indices carry their own release/acquire, but it
		 * makes the waiter usable for plain flags). relaxed on
		 * failure: we only retry with the fresher value. */
		if (atomic_compare_exchange_weak_explicit(
			    &w->seq, &s, (s & ~SL_WAITER_ARMED) + 2,
			    memory_order_release, memory_order_relaxed))
			goto bumped;
	}
	return;
bumped:
	/* Orders the bump of seq before the load of sleepers. Pairs with
	 * the fence in sl_waiter_wait (see there). */
	atomic_thread_fence(memory_order_seq_cst);
	/* relaxed: ordered by the fence above. */
	if (atomic_load_explicit(&w->sleepers, memory_order_relaxed) > 0)
		sl_futex(&w->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* ---- sl_chan: the SPSC ring ----------------------------------------- */

/* How long a producer facing a full ring spins before it parks: about what
 * parking costs (a parked thread runs 7 to 26 us after its futex wake on
 * these machines, bench/ring_hop), so a consumer that is busy for a moment
 * is waited out without a park, and a slow one does not keep the only
 * other core (these machines have two) spinning for long. Bounded by the clock,
 * not by a count of pauses: one pause takes 45 ns on these AMD EPYCs and a
 * few ns on many other CPUs. Between looks at the ring the pauses double,
 * up to SL_CHAN_SPIN_MAX. */
#define SL_CHAN_SPIN_NS (20 * 1000)
#define SL_CHAN_SPIN_MAX 64
/* How long a blocked producer sleeps before it looks at `cancel` again when
 * nobody wakes it: whoever sets cancel has no handle on this waiter. Without
 * a cancel flag there is nothing to look at, and it sleeps until a pop wakes
 * it (which also keeps a lost wake from hiding behind the timeout). */
#define SL_CHAN_PARK_NS (10 * 1000 * 1000)

struct sl_chan {
	/* Producer's line: written by the producer on every push. */
	_Alignas(64) _Atomic uint32_t tail; /* next slot to fill */
	uint32_t head_cache;		    /* producer's last view of head */
	_Atomic uint64_t blocked_ns;	    /* written only by the producer */

	/* Consumer's line: written by the consumer on every pop. */
	_Alignas(64) _Atomic uint32_t head; /* next slot to take */
	uint32_t tail_cache;		    /* consumer's last view of tail */

	/* Read-only after sl_chan_new: shared by both without traffic. */
	_Alignas(64) uint32_t mask;
	uint32_t cap;
	sl_waiter *consumer;

	/* The producer's parking spot, on its own line (sl_waiter is 64
	 * bytes, 64-aligned): the consumer reads it on every pop, and it is
	 * written only when the producer parks. */
	sl_waiter prod;

	_Alignas(64) void *slots[];
};

sl_chan *sl_chan_new(uint32_t capacity, sl_waiter *consumer)
{
	uint32_t cap = 4;
	size_t size;
	sl_chan *c;

	/* Above 2^31 the free-running indices could not tell full from
	 * empty. */
	if (capacity > (1u << 31))
		return NULL;
	while (cap < capacity)
		cap <<= 1;
	size = sizeof(*c) + (size_t)cap * sizeof(void *);
	size = (size + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
	c = aligned_alloc(64, size);
	if (!c)
		return NULL;
	memset(c, 0, size);
	atomic_init(&c->tail, 0);
	atomic_init(&c->head, 0);
	atomic_init(&c->blocked_ns, 0);
	c->mask = cap - 1;
	c->cap = cap;
	c->consumer = consumer;
	sl_waiter_init(&c->prod);
	return c;
}

void sl_chan_free(sl_chan *c)
{
	free(c);
}

bool sl_chan_try_push_spsc(sl_chan *c, void *p)
{
	/* relaxed: only this thread writes tail. */
	uint32_t t = atomic_load_explicit(&c->tail, memory_order_relaxed);

	if (t - c->head_cache == c->cap) {
		/* acquire: pairs with the consumer's release store of head,
		 * so its read of the slot we are about to overwrite is
		 * finished before our write below. */
		c->head_cache =
			atomic_load_explicit(&c->head, memory_order_acquire);
		if (t - c->head_cache == c->cap)
			return false;
	}
	c->slots[t & c->mask] = p;
	/* release: the slot's contents (and everything the pointer refers
	 * to, written before this push) are visible to a consumer whose
	 * acquire load reads the new tail. */
	atomic_store_explicit(&c->tail, t + 1, memory_order_release);
	if (c->consumer)
		sl_waiter_wake(c->consumer);
	return true;
}

static uint64_t sl_chan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool sl_chan_cancelled(const _Atomic bool *cancel)
{
	/* acquire: whoever sets cancel may have set up state (an error, a
	 * stop reason) that our caller reads after we return false. */
	return cancel && atomic_load_explicit(cancel, memory_order_acquire);
}

/* The slow path, out of line so the fast path stays small: spin, then
 * park on c->prod until the consumer pops or *cancel is set. */
static bool sl_chan_push_slow(sl_chan *c, void *p, const _Atomic bool *cancel)
{
	uint64_t start = sl_chan_now_ns();
	uint64_t blocked;
	bool ok = true;
	unsigned int i, n = 1;
	uint32_t t;

	do {
		for (i = 0; i < n; i++)
			ck_pr_stall();
		if (n < SL_CHAN_SPIN_MAX)
			n <<= 1;
		if (sl_chan_try_push_spsc(c, p))
			goto out;
		if (sl_chan_cancelled(cancel)) {
			ok = false;
			goto out;
		}
	} while (sl_chan_now_ns() - start < SL_CHAN_SPIN_NS);
	for (;;) {
		t = sl_waiter_prepare(&c->prod);
		/* The re-check after prepare: a pop between our last try and
		 * the prepare is seen here, a pop after it bumps c->prod. */
		if (sl_chan_try_push_spsc(c, p))
			break;
		if (sl_chan_cancelled(cancel)) {
			ok = false;
			break;
		}
		sl_waiter_wait(&c->prod, t, cancel ? SL_CHAN_PARK_NS : -1);
	}
out:
	blocked = sl_chan_now_ns() - start;
	/* relaxed, load and store: the producer is the only writer, and
	 * readers want an approximate metric, not an ordering. */
	atomic_store_explicit(
		&c->blocked_ns,
		atomic_load_explicit(&c->blocked_ns, memory_order_relaxed) +
			blocked,
		memory_order_relaxed);
	return ok;
}

bool sl_chan_push_spsc(sl_chan *c, void *p, const _Atomic bool *cancel)
{
	if (sl_chan_try_push_spsc(c, p))
		return true;
	return sl_chan_push_slow(c, p, cancel);
}

void *sl_chan_try_pop_spsc(sl_chan *c)
{
	/* relaxed: only this thread writes head. */
	uint32_t h = atomic_load_explicit(&c->head, memory_order_relaxed);
	void *p;

	if (h == c->tail_cache) {
		/* acquire: pairs with the producer's release store of tail,
		 * so the slot and what it points to are visible below. */
		c->tail_cache =
			atomic_load_explicit(&c->tail, memory_order_acquire);
		if (h == c->tail_cache)
			return NULL;
	}
	p = c->slots[h & c->mask];
	/* release: our read of the slot completes before the producer, whose
	 * acquire load sees the new head, may overwrite it. */
	atomic_store_explicit(&c->head, h + 1, memory_order_release);
	/* Costs a fence and a load unless the producer is parked. */
	sl_waiter_wake(&c->prod);
	return p;
}

uint32_t sl_chan_size(const sl_chan *c)
{
	/* acquire: keeps the tail load below after this one, so tail is at
	 * least the head we read (head never passes tail): no underflow. */
	uint32_t h = atomic_load_explicit(&c->head, memory_order_acquire);
	/* relaxed: any value at or after the head we read will do. */
	uint32_t t = atomic_load_explicit(&c->tail, memory_order_relaxed);

	/* From a third thread the consumer may have popped, and the producer
	 * refilled, between the two loads. */
	return t - h > c->cap ? c->cap : t - h;
}

uint32_t sl_chan_capacity(const sl_chan *c)
{
	return c->cap;
}

uint64_t sl_chan_blocked_ns(const sl_chan *c)
{
	/* relaxed: a metric; no other memory is read on the strength of it. */
	return atomic_load_explicit(&c->blocked_ns, memory_order_relaxed);
}
