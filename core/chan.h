/* core/chan.h - rings between threads, and parking idle threads.
 *
 * sl_chan is a bounded single-producer single-consumer ring of pointers,
 * on C11 atomics rather than ck_ring: ck's index updates are inline asm that
 * ThreadSanitizer cannot see, and the protocol must be TSan-checked. Exactly one thread pushes and one thread pops
 * each chan: the contract is in the name of every function (_spsc).
 * sl_waiter is a thread's parking spot (a futex eventcount): a consumer that
 * reads several chans parks on one waiter that all of them signal. */
#ifndef SL_CORE_CHAN_H
#define SL_CORE_CHAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* A parking spot. Usage by the thread that waits:
 *     uint32_t t = sl_waiter_prepare(w);
 *     if (nothing to do, checked again after prepare)
 *             sl_waiter_wait(w, t, timeout_ns);
 * and by any thread that makes work for it: sl_waiter_wake(w). A wake
 * between prepare and wait makes wait return at once, so no wake is lost.
 * wake costs one full fence and one load when nobody is parked (plus a
 * compare-and-swap after a prepare that did not wait). */
typedef struct sl_waiter {
	_Alignas(64) _Atomic uint32_t seq;
	_Atomic uint32_t sleepers;
	char pad[56];
} sl_waiter;

void sl_waiter_init(sl_waiter *w);
uint32_t sl_waiter_prepare(sl_waiter *w);
/* Returns after a wake, after timeout_ns (< 0: no timeout), or spuriously. */
void sl_waiter_wait(sl_waiter *w, uint32_t t, int64_t timeout_ns);
void sl_waiter_wake(sl_waiter *w);

typedef struct sl_chan sl_chan;

/* A chan of `capacity` entries (rounded up to a power of two, at least 4).
 * `consumer` is woken whenever an entry is pushed (may be shared by several
 * chans that one thread consumes; NULL: nobody is woken). Free with sl_chan_free() once both sides
 * are done. */
sl_chan *sl_chan_new(uint32_t capacity, sl_waiter *consumer);
void sl_chan_free(sl_chan *c);

/* Producer side. try: false if full. push: blocks while full (spins
 * briefly, then parks until the consumer pops), returns false only if
 * *cancel became true while it waited; it re-checks cancel every 10 ms.
 * With cancel NULL it parks with no timeout. */
bool sl_chan_try_push_spsc(sl_chan *c, void *p);
bool sl_chan_push_spsc(sl_chan *c, void *p, const _Atomic bool *cancel);

/* Consumer side. NULL if empty. Wakes a producer parked on a full ring. */
void *sl_chan_try_pop_spsc(sl_chan *c);

/* Entries in the ring now (approximate when read by a third thread), and
 * its capacity; for metrics and tests. */
uint32_t sl_chan_size(const sl_chan *c);
uint32_t sl_chan_capacity(const sl_chan *c);
/* Nanoseconds the producer spent blocked on a full ring (backpressure). */
uint64_t sl_chan_blocked_ns(const sl_chan *c);

#endif
