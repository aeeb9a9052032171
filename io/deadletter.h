/* io/deadletter.h - the dead-letter output of the file and socket sources
 * (option deadLetterPath): every record a source rejects (dropped under
 * DROPMALFORMED, kept with nulls under PERMISSIVE, or the one that stops
 * a FAILFAST query) is appended as one JSON line
 *
 *   {"source":"csv","file":"/in/a.csv","line":7,
 *    "reason":"expected 3 fields, found 2","record":"1,x"}
 *
 * to a file of its own per source partition,
 * <dir>/rejected-<pid>-<partition>-<unix ms>.jsonl, made on the first
 * rejected record. A record that is not valid UTF-8 gets its invalid bytes
 * replaced by U+FFFD in "record" (JSON text must be UTF-8) and its exact
 * bytes in "recordBase64".
 *
 * One writer belongs to one partition thread. Records are buffered by
 * sl_dl_add and written by sl_dl_flush, through the thread's io_uring,
 * which the source calls before each poll returns: what a poll counted as
 * rejected has been written before the engine can commit the batch. */
#ifndef SL_IO_DEADLETTER_H
#define SL_IO_DEADLETTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/plugin.h"

typedef struct sl_deadletter {
	const char *dir;    /* absolute; the source's, outlives the writer */
	const char *source; /* format name: "csv", "json", "socket" */
	uint32_t part;
	int64_t start_ms; /* when the partition opened: part of the name */
	int fd;		  /* -1 until the first record is written */
	char *path;	  /* the file, once made */
	sl_buf lines;	  /* JSON lines not yet written (malloc'd) */
	uint64_t pending; /* records in buf */
	uint64_t written; /* records written since open */
	bool unsynced;	  /* written since the last fdatasync */
} sl_deadletter;

/* At source init: makes dir and its parents if missing and returns its
 * absolute path (malloc'd), or NULL with err set (SL_EOPTION naming the
 * option, the path and the reason). `watched` (may be NULL) is a
 * directory the dead letter must not be: the file source's own, whose
 * listing would read the dead-letter files back as input. */
char *sl_dl_prepare(const char *dir, const char *component, const char *watched,
		    sl_err *err);

/* A writer for one partition; dir is the path sl_dl_prepare returned.
 * Makes no file yet. Never NULL (aborts only when out of memory). */
sl_deadletter *sl_dl_open(const char *dir, const char *source, uint32_t part);

/* Buffers one rejected record: file (NULL for the socket source: the
 * field is left out), its 1-based line, why it was rejected and its raw
 * bytes. A file skipped whole (a bad Parquet file) has line -1 and rec
 * NULL: the line is {"source":..,"file":..,"reason":..}. */
void sl_dl_add(sl_deadletter *d, const char *file, int64_t line,
	       const char *reason, const char *rec, size_t len);

/* Writes the buffered records (making the file on the first), and with
 * `sync` fdatasyncs whatever was written since the last sync. Returns the
 * number of records written by this call, or < 0 (SL_EIO) with err
 * naming the file; the buffer is emptied either way. */
int64_t sl_dl_flush(sl_deadletter *d, bool sync, sl_err *err);

/* Flushes and syncs what is left (errors go to the thread's logger,
 * core/log.h: there is no one left to return them to), closes the file,
 * frees d. NULL is ok. */
void sl_dl_close(sl_deadletter *d);

/* Records a source has written to its dead letter so far (0 without
 * deadLetterPath); for progress, beside sl_file_source_stats. Thread-safe.
 * Defined by io/source_file.c and io/source_socket.c. */
uint64_t sl_file_source_dead_lettered(sl_source *src);
uint64_t sl_socket_source_dead_lettered(sl_source *src);

#endif
