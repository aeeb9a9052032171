/* core/log.h - what the library has to say, as opposed to its errors:
 * a warning (a checkpoint recovered past a torn file, io_uring missing),
 * a Kafka client's log line. Every such message goes to a logger, the
 * host's callback (sl_session_set_log_cb in sluice.h); with none set it
 * goes nowhere: the library never writes to the host's stderr.
 *
 * Code that has the session's logger at hand passes it; code deep in
 * io/ or ops/ that has none logs to the calling thread's logger, which
 * the engine binds on every thread it runs (partition, sink,
 * coordinator, stateful workers) and, for the length of a call, on the
 * caller's thread (sl_session_read_stream, sl_frame_start, sl_query_stop, ...). */
#ifndef SL_CORE_LOG_H
#define SL_CORE_LOG_H

#include "sluice.h"

typedef struct sl_logger {
	sl_log_cb fn; /* NULL: the messages are dropped */
	void *opaque;
} sl_logger;

/* Formats and hands a message (no trailing newline) to lg; lg NULL or
 * without a function: nothing. Any thread; the callback must be
 * thread-safe. */
void sl_log(const sl_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same to the calling thread's logger. */
void sl_log_here(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Makes lg the calling thread's logger (NULL: none) and returns the one
 * it replaces, for the caller to restore. */
const sl_logger *sl_log_bind(const sl_logger *lg);
/* The calling thread's logger, or NULL. */
const sl_logger *sl_log_current(void);

#endif
