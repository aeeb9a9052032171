/* core/alloc.h - what an allocation failure does: recovery points.
 *
 * The allocator wrappers (sl_xrealloc, sl_xcalloc, sl_xstrdup in
 * core/util.c; every arena chunk, core/arena.c) never return NULL. When
 * the allocation fails they unwind to the innermost recovery point of the
 * calling thread, set by sl_oom_call: sl_oom_call then returns SL_ENOMEM
 * and its caller turns that into the error of its call or its query
 * (docs/api/aborts.md). Every thread of a running query runs its body
 * under one (engine/exec_part.c, exec_sink.c, exec_coord.c,
 * stateful_part.c), and so does every public function that allocates.
 *
 * The rules for code between a recovery point and an allocation, which
 * keep the unwinding safe:
 * - no lock held across an allocation unless the unwind releases it
 *   (sl_oom_lock, below); otherwise the allocation is made before the
 *   lock is taken, or the locked region makes only raw malloc calls whose
 *   NULL it handles;
 * - what the unwound frames own is reachable from an object the
 *   recovery point's caller frees (a query's parts, a session's lists,
 *   an arena), or the frame that allocates frees it before raising
 *   (sl_oom_raise after its own cleanup, as sl_batch_new does), or
 *   marks it owned for the unwind (sl_oom_own, below);
 * - an object half-updated when the allocation fails is one that the
 *   failing query or call discards, never one a later call reads as
 *   valid (the query stops; its state is not committed).
 *
 * A thread with no recovery point (none of the library's own; a host
 * thread inside a public function that has none) gets the old behaviour:
 * the failure is logged and the process aborts. */
#ifndef SL_CORE_ALLOC_H
#define SL_CORE_ALLOC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Runs fn(arg) under a recovery point. Returns 0 when fn returned, or
 * SL_ENOMEM when an allocation inside it failed (fn's frames are gone;
 * sl_oom_bytes() says how many bytes were asked for). Nests. */
int sl_oom_call(void (*fn)(void *arg), void *arg);

/* Unwinds to the thread's innermost recovery point after a failed
 * allocation of n bytes; aborts when there is none. For code that
 * allocates with malloc itself and has no error return. */
_Noreturn void sl_oom_raise(size_t n);

/* The size of this thread's last failed allocation. */
size_t sl_oom_bytes(void);

/* realloc that returns NULL on failure (p then unchanged), counted by
 * the test hook like the sl_x* wrappers: for a constructor that frees
 * what it made before raising. */
void *sl_try_realloc(void *p, size_t n);

/* What the calling frame holds while code that may unwind runs:
 * sl_oom_defer(fn, p) before, sl_oom_undefer(p) once p is released or
 * handed to an owner; an unwind in between calls fn(p) (newest first).
 * sl_oom_own(p) defers free(p); sl_oom_own_swap follows a realloc
 * (old -> p). sl_oom_lock/sl_oom_unlock take and release a mutex that
 * an unwind releases too: a locked region that allocates. Per thread,
 * a few at a time. */
void sl_oom_defer(void (*fn)(void *), void *p);
void sl_oom_undefer(void *p);
void sl_oom_own(void *p);
void sl_oom_disown(void *p);
void sl_oom_own_swap(void *old, void *p);
void sl_oom_lock(pthread_mutex_t *m);
void sl_oom_unlock(pthread_mutex_t *m);

/* asprintf on the wrappers: never NULL. */
char *sl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- test hook: fail the Nth allocation -------------------------------- */

/* From now on, the nth allocation made through the wrappers (counted
 * over every thread from this call on, 1-based) fails, once; 0 turns it
 * off. Process-wide; for tests (tests/unit/engine_oom.c). */
void sl_alloc_fail_nth(uint64_t n);
/* Allocations counted since the last sl_alloc_fail_nth, and whether the
 * planned failure has happened. */
uint64_t sl_alloc_count(void);
int sl_alloc_failed(void);

#endif
