/* core/log.c - loggers (core/log.h): a message is formatted here and
 * handed to the host's callback, or dropped when there is none. */
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"

static _Thread_local const sl_logger *tls_logger;

static void log_v(const sl_logger *lg, int level, const char *fmt,
		  va_list ap)
{
	if (!lg || !lg->fn)
		return;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	lg->fn(lg->opaque, level, msg);
}

void sl_log(const sl_logger *lg, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(lg, level, fmt, ap);
	va_end(ap);
}

void sl_log_here(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(tls_logger, level, fmt, ap);
	va_end(ap);
}

const sl_logger *sl_log_bind(const sl_logger *lg)
{
	const sl_logger *prev = tls_logger;
	tls_logger = lg;
	return prev;
}

const sl_logger *sl_log_current(void)
{
	return tls_logger;
}

void sl_log_stderr(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (level >= SL_LOG_DEBUG)
		return;
	fprintf(stderr, "sluice: %s\n", msg);
}
