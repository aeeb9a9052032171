/* sluice_plugin.h - sources, sinks and file formats of the host's own.
 *
 * A host registers a source, a sink or a file format in a session under a
 * format name;
 * from then on sl_session_read_stream(s, NAME, options), sl_frame_start(f,
 * NAME, options) and a pipeline's FORMAT 'NAME' in that session use it as
 * they use the built-in ones: its options are checked by name (a misspelt
 * one gets "did you mean"), its errors become the query's, and the engine
 * runs it on the query's threads with the same contract as the built-in
 * sources and sinks (docs/ARCHITECTURE.md, "sources and sinks"):
 *
 * - A source has a schema and N partitions. Each partition is read by one
 *   thread of the query, in order; a row's offset is its position in its
 *   partition (0, 1, 2, ...). The engine records the offsets each epoch or
 *   micro-batch ends at, and after a restart from a checkpoint asks the
 *   source to start each partition at the end of the last committed one:
 *   a source that can replay from an offset gets at-least-once delivery
 *   (exactly-once into an idempotent sink), as the built-in ones do.
 * - A sink receives the rows of each epoch (continuous trigger) or batch
 *   (micro-batch), then commit(epoch) once every row of it was written.
 *
 * Registration is per session (no process-wide state): two sessions may
 * register different plugins under one name. A source's name may not be
 * a built-in source's (or file format's), a sink's not a built-in
 * sink's; a file format's (a file source and a file sink of that name)
 * neither. The plugin structs have a leading size, as the
 * other public structs: set it to sizeof the struct.
 *
 * Callbacks report failures by returning a negative code (an SL_E* code
 * or -errno) after writing a message into err (errlen bytes, NUL-
 * terminated): the query fails with "source 'NAME': message". They must
 * not block forever (poll waits at most wait_ns) and must not call back
 * into the session.
 *
 * The functions return 0 or a negative code with the message in
 * sl_session_errmsg(), as everywhere in sluice.h. */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include "sluice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One option a plugin takes: every value is a string, given to the
 * plugin's init/open in the order of its option list. */
typedef struct sl_plugin_option {
	const char *name;        /* matched case-insensitively */
	const char *def;         /* default value, NULL: unset (NULL given) */
	const char *description; /* for messages and docs */
	int required;            /* non-zero: a query must give it */
} sl_plugin_option;

/* ---- sources -------------------------------------------------------- */

/* The record vector a source's poll fills: rows begun with sl_emit_row,
 * their columns set by the sl_emit_* setters (a column not set is null).
 * Valid for the length of the poll call only. */
typedef struct sl_emit sl_emit;

/* Begins the next row, every column null. Returns 0, or SL_EFULL when
 * the vector already holds the max rows poll was asked for (the row is
 * not begun). */
SL_API int sl_emit_row(sl_emit *e);
/* Set column col of the row begun last, as sl_input_row_long/_double/
 * _string do for the in-process input (the same type rules); strings are
 * copied. 0, or SL_EINVAL (no row begun, no such column, a type that does
 * not take the value: the message in the error the query fails with, if
 * the plugin returns it). */
SL_API int sl_emit_long(sl_emit *e, uint32_t col, int64_t v);
SL_API int sl_emit_double(sl_emit *e, uint32_t col, double v);
SL_API int sl_emit_string(sl_emit *e, uint32_t col, const char *s,
			  size_t len);
/* The message of the last failed sl_emit_* call ("" if none). */
SL_API const char *sl_emit_errmsg(const sl_emit *e);

typedef struct sl_source_plugin {
	size_t size;             /* sizeof(sl_source_plugin) */
	const char *name;        /* the format name */
	const char *description; /* one line */
	/* The options it takes, ended by an entry whose name is NULL; NULL:
	 * none. */
	const sl_plugin_option *options;
	void *ud; /* given to init */
	/* A frame reads the source (sl_session_read_stream, on the caller's
	 * thread): values holds the options' values in the order of
	 * `options` (NULL for one not given and without default). Sets
	 * *schema_ddl (Spark DDL, "id BIGINT, name STRING", read as soon
	 * as init returns; the types sl_emit_* can set: BOOLEAN, INT,
	 * BIGINT, DOUBLE, STRING, BINARY, TIMESTAMP, DATE), *partitions
	 * (1..1024) and *state. On failure init frees what it made; after
	 * a success, destroy(state) is called, also when the schema or the
	 * partition count is refused. Required. */
	int (*init)(void *ud, const char *const *values, void **state,
		    const char **schema_ddl, uint32_t *partitions, char *err,
		    size_t errlen);
	/* A partition's thread starts reading it at offset `start` (0, or
	 * where the last committed epoch ended). Sets *part. Required. */
	int (*open)(void *state, uint32_t partition, int64_t start,
		    void **part, char *err, size_t errlen);
	/* Emits up to max rows that are ready now (sl_emit_row, then the
	 * setters), waiting up to wait_ns for the first one. Returns the
	 * rows emitted (0: none yet), SL_EOS when the partition has ended,
	 * or < 0. The rows are the next offsets of the partition. Required. */
	int (*poll)(void *part, sl_emit *e, uint32_t max, int64_t wait_ns,
		    char *err, size_t errlen);
	/* The offset the partition's readable rows end at now (the next
	 * offset a row will have once every ready row is read): a
	 * micro-batch reads up to it. Called on another thread than poll's,
	 * so it must be thread-safe. Required. */
	int64_t (*available)(void *state, uint32_t partition);
	/* Optional: partition i has been processed, committed and
	 * checkpointed below ends[i] (n partitions): rows before it will not
	 * be asked for again. Not on a partition thread. */
	void (*commit)(void *state, const int64_t *ends, uint32_t n);
	/* The partition's thread is done with it. Optional. */
	void (*close)(void *part);
	/* The frame's source is freed (the session is destroyed). Optional. */
	void (*destroy)(void *state);
} sl_source_plugin;

/* Registers source plugin p in session s under p->name (p is copied; the
 * strings and options it points to must live as long as the session).
 * SL_EINVAL: a missing required callback, a size not set, a name taken by
 * a built-in or an already registered source. */
SL_API int sl_session_add_source(sl_session *s, const sl_source_plugin *p);

/* ---- sinks ---------------------------------------------------------- */

typedef struct sl_sink_plugin {
	size_t size;             /* sizeof(sl_sink_plugin) */
	const char *name;        /* the format name */
	const char *description; /* one line */
	const sl_plugin_option *options; /* as for sources */
	void *ud; /* given to open */
	/* A query starts (sl_frame_start): values as for sources, schema
	 * the DDL of the rows it will receive ("id BIGINT, n STRING").
	 * Sets *state. Required. */
	int (*open)(void *ud, const char *const *values, const char *schema,
		    void **state, char *err, size_t errlen);
	/* Rows of epoch `epoch` (read them with the sl_rows_* accessors;
	 * valid for the call only). One thread at a time. Required. */
	int (*write)(void *state, const sl_rows *rows, int64_t epoch,
		     char *err, size_t errlen);
	/* Every row of epoch `epoch` was written. Required. */
	int (*commit)(void *state, int64_t epoch, char *err, size_t errlen);
	/* The query has stopped (also after a failure). Optional. */
	void (*close)(void *state);
} sl_sink_plugin;

/* Registers sink plugin p in session s under p->name (as
 * sl_session_add_source). The sink takes the append output mode and both
 * triggers. */
SL_API int sl_session_add_sink(sl_session *s, const sl_sink_plugin *p);

/* ---- file formats --------------------------------------------------- */

/* A file format of the host's: how the bytes of one file become rows
 * and rows become the bytes of a file. Registered, the name is a file
 * source and a file sink like the built-in "csv" or "json"
 * (docs/FILES.md): the source watches a directory (option path, the
 * file source's options: maxFilesPerTrigger, latestFirst, cleanSource,
 * ...) and reads each new file through open/parse/close, one file a
 * partition thread at a time, exactly once with a checkpoint; the sink
 * writes part files into a directory (option path, partitionBy,
 * maxRecordsPerFile, ...) through write, each micro-batch made visible
 * once by its _spark_metadata log. A file source of the format needs the
 * option schema (Spark DDL, the types sl_emit_* can set).
 *
 * Output bytes go into an sl_bytes with sl_bytes_append. */
typedef struct sl_bytes sl_bytes;

/* Appends n bytes at p to out. 0, or SL_EINVAL (out NULL, p NULL with
 * n > 0). */
SL_API int sl_bytes_append(sl_bytes *out, const void *p, size_t n);

typedef struct sl_format_plugin {
	size_t size;             /* sizeof(sl_format_plugin) */
	const char *name;        /* the format name */
	const char *description; /* one line */
	/* The format's own options (read and written alike), ended by an
	 * entry whose name is NULL; NULL: none. Their values reach open
	 * and write in this order. */
	const sl_plugin_option *options;
	/* of the files the sink writes (".semi"); NULL: none */
	const char *extension;
	void *ud;              /* given to open and write */

	/* ---- reading: open and parse both set, or neither (a format only
	 * written) ---- */
	/* A partition thread starts reading the file at path: sets *file,
	 * the plugin's state for it. */
	int (*open)(void *ud, const char *const *values, const char *path,
		    void **file, char *err, size_t errlen);
	/* The file's bytes, in order, in chunks of up to 256 KiB as they are
	 * read (a record may be cut between two chunks: keep its start),
	 * then once more with len 0 at the end of the file. Emits the rows
	 * decoded so far (sl_emit_row, then the setters; any number of
	 * rows). Returns the rows emitted (>= 0) or < 0. */
	int (*parse)(void *file, const char *data, size_t len, sl_emit *e,
		     char *err, size_t errlen);
	/* The file is done with (also after a failure). Optional. */
	void (*close)(void *file);

	/* ---- writing: NULL if the format is only read ---- */
	/* Rows for one output file (the columns the sink writes, without
	 * partitionBy's; read them with the sl_rows_* accessors; valid for
	 * the call only), appended to out as the file's bytes. The sink
	 * thread only. */
	int (*write)(void *ud, const char *const *values, const sl_rows *rows,
		     sl_bytes *out, char *err, size_t errlen);
} sl_format_plugin;

/* Registers file format plugin p in session s under p->name (p is
 * copied; the strings and options it points to must live as long as the
 * session): sl_session_read_stream(s, NAME, ...) and FORMAT 'NAME' in a
 * pipeline read it if it has open and parse, sl_frame_start(f, NAME, ...)
 * writes it if it has write. SL_EINVAL: a size not set, neither reading
 * nor writing callbacks, open without parse, a name taken by a built-in
 * or registered source or sink. */
SL_API int sl_session_add_format(sl_session *s, const sl_format_plugin *p);

#ifdef __cplusplus
}
#endif

#endif
