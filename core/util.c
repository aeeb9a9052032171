/* core/util.c - errors, clocks, and error-code names shared by every room. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void util_oom(size_t n)
{
	sl_log_here(SL_LOG_ERROR, "out of memory (%zu bytes)", n);
	abort();
}

void *sl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		util_oom(n);
	return q;
}

void *sl_xcalloc(size_t n, size_t size)
{
	void *q = calloc(n ? n : 1, size ? size : 1);

	if (!q)
		util_oom(n * size);
	return q;
}

char *sl_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		util_oom(strlen(s) + 1);
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
