/* core/util.c - errors, clocks, error-code names and the allocator
 * wrappers with their recovery points (core/alloc.h), shared by every room. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/value.h"
#include "sluice.h"

int sl_err_vset(sl_err *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		err->code = code;
	}
	return code;
}

int sl_err_set(sl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int sl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- allocation failure (core/alloc.h) --------------------------------- */

typedef struct oom_point {
	jmp_buf jb;
	struct oom_point *prev;
	unsigned owned; /* oom_nowned when it was set */
} oom_point;

static _Thread_local oom_point *oom_top;
static _Thread_local size_t oom_size;
/* What the frames between a recovery point and an allocation own
 * (sl_oom_defer): released when the thread unwinds past them. */
#define OOM_OWNED_MAX 32
typedef struct oom_owned_entry {
	void (*fn)(void *);
	void *p;
} oom_owned_entry;
static _Thread_local oom_owned_entry oom_owned[OOM_OWNED_MAX];
static _Thread_local unsigned oom_nowned, oom_lost;

/* The test hook: counted allocations and the one planned to fail. */
static _Atomic uint64_t alloc_count, alloc_fail_at;
static atomic_int alloc_fail_done;

void sl_alloc_fail_nth(uint64_t n)
{
	atomic_store(&alloc_fail_at, 0);
	atomic_store(&alloc_count, 0);
	atomic_store(&alloc_fail_done, 0);
	atomic_store(&alloc_fail_at, n);
}

uint64_t sl_alloc_count(void)
{
	return atomic_load(&alloc_count);
}

int sl_alloc_failed(void)
{
	return atomic_load(&alloc_fail_done);
}

/* Whether the hook fails this allocation. One relaxed load when off. */
static bool alloc_hook_fails(void)
{
	uint64_t at = atomic_load_explicit(&alloc_fail_at,
					   memory_order_relaxed);
	if (!at)
		return false;
	if (atomic_fetch_add(&alloc_count, 1) + 1 != at)
		return false;
	atomic_store(&alloc_fail_done, 1);
	return true;
}

int sl_oom_call(void (*fn)(void *arg), void *arg)
{
	/* Only pt is live across setjmp, and it is not changed after it. */
	oom_point pt;
	pt.prev = oom_top;
	pt.owned = oom_nowned;
	oom_top = &pt;
	if (setjmp(pt.jb)) {
		/* sl_oom_raise released what the unwound frames held */
		oom_top = pt.prev;
		return SL_ENOMEM;
	}
	fn(arg);
	oom_top = pt.prev;
	if (oom_nowned != pt.owned) {
		/* A frame returned without releasing what it deferred: a
		 * later unwind would call into a dead frame. A bug; said
		 * here so that tests see it. */
		sl_log_here(SL_LOG_ERROR,
			    "sl_oom_defer without sl_oom_undefer (%u left)",
			    oom_nowned - pt.owned);
		oom_nowned = pt.owned;
	}
	return 0;
}

void sl_oom_defer(void (*fn)(void *), void *p)
{
	if (!p)
		return;
	if (oom_nowned < OOM_OWNED_MAX)
		oom_owned[oom_nowned++] = (oom_owned_entry){ fn, p };
	else
		oom_lost++; /* leaked on a failure only; never in practice */
}

void sl_oom_undefer(void *p)
{
	for (unsigned i = oom_nowned; p && i-- > 0;)
		if (oom_owned[i].p == p) {
			memmove(&oom_owned[i], &oom_owned[i + 1],
				(oom_nowned - i - 1) * sizeof(oom_owned[0]));
			oom_nowned--;
			return;
		}
}

void sl_oom_own(void *p)
{
	sl_oom_defer(free, p);
}

void sl_oom_disown(void *p)
{
	sl_oom_undefer(p);
}

void sl_oom_own_swap(void *old, void *p)
{
	for (unsigned i = oom_nowned; old && i-- > 0;)
		if (oom_owned[i].p == old) {
			oom_owned[i].p = p;
			return;
		}
	sl_oom_own(p);
}

static void oom_unlock(void *m)
{
	pthread_mutex_unlock(m);
}

void sl_oom_lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	sl_oom_defer(oom_unlock, m);
}

void sl_oom_unlock(pthread_mutex_t *m)
{
	sl_oom_undefer(m);
	pthread_mutex_unlock(m);
}

_Noreturn void sl_oom_raise(size_t n)
{
	oom_size = n;
	if (oom_top) {
		/* While the frames that hold them still exist (a deferred
		 * object may live in one): newest first, so that a buffer
		 * deferred under a lock goes before the lock's release. */
		while (oom_nowned > oom_top->owned) {
			oom_owned_entry *e = &oom_owned[--oom_nowned];
			e->fn(e->p);
		}
		longjmp(oom_top->jb, 1);
	}
	sl_log_here(SL_LOG_ERROR,
		    "out of memory (%zu bytes) outside any recovery point", n);
	abort();
}

size_t sl_oom_bytes(void)
{
	return oom_size;
}

void *sl_try_realloc(void *p, size_t n)
{
	if (alloc_hook_fails())
		return NULL;
	return realloc(p, n ? n : 1);
}

void *sl_xrealloc(void *p, size_t n)
{
	void *q = sl_try_realloc(p, n);

	if (!q)
		sl_oom_raise(n);
	return q;
}

void *sl_xcalloc(size_t n, size_t size)
{
	void *q = alloc_hook_fails() ? NULL
				     : calloc(n ? n : 1, size ? size : 1);

	if (!q)
		sl_oom_raise(n * size);
	return q;
}

char *sl_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = sl_xrealloc(NULL, (size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *sl_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = sl_xrealloc(NULL, n);

	memcpy(d, s, n);
	return d;
}

int64_t sl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sl_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *sl_strerror(int code)
{
	switch (code) {
	case SL_OK: return "success";
	case SL_EINVAL: return "invalid argument";
	case SL_ESYNTAX: return "syntax error";
	case SL_EANALYSIS: return "analysis error";
	case SL_EOPTION: return "bad option";
	case SL_EFORMAT: return "unknown format";
	case SL_EMODE: return "output mode or trigger not allowed";
	case SL_ESTATE: return "invalid state";
	case SL_EIO: return "I/O error";
	case SL_EKAFKA: return "Kafka error";
	case SL_ETIMEOUT: return "timed out";
	case SL_ENOTFOUND: return "not found";
	case SL_ESTOPPED: return "query stopped with an exception";
	case SL_EFULL: return "queue full";
	case SL_EOS: return "end of stream";
	case SL_ENOMEM: return "out of memory";
	}
	if (code < 0 && code > -4096)
		return strerror(-code);
	return "unknown error";
}

const char *sl_errname(int code)
{
	switch (code) {
	case SL_OK: return "SL_OK";
	case SL_EINVAL: return "SL_EINVAL";
	case SL_ESYNTAX: return "SL_ESYNTAX";
	case SL_EANALYSIS: return "SL_EANALYSIS";
	case SL_EOPTION: return "SL_EOPTION";
	case SL_EFORMAT: return "SL_EFORMAT";
	case SL_EMODE: return "SL_EMODE";
	case SL_ESTATE: return "SL_ESTATE";
	case SL_EIO: return "SL_EIO";
	case SL_EKAFKA: return "SL_EKAFKA";
	case SL_ETIMEOUT: return "SL_ETIMEOUT";
	case SL_ENOTFOUND: return "SL_ENOTFOUND";
	case SL_ESTOPPED: return "SL_ESTOPPED";
	case SL_EOS: return "SL_EOS";
	case SL_EFULL: return "SL_EFULL";
	case SL_ENOMEM: return "SL_ENOMEM";
	}
	return NULL;
}

/* Unicode's table of well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF), one sequence at a time. */
size_t sl_utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else {
		*bad = 1;
		return 0;
	}
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}
