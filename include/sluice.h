/* sluice.h - the public API of sluice, a stream-processing engine.
 *
 * The model is Spark Structured Streaming's: read a stream from a source, shape
 * it with Spark SQL expression strings, write it to a sink under an output mode
 * and a trigger. Example:
 *
 *   sl_session *s = sl_session_new();
 *   sl_frame *in = sl_session_read_stream(s, "rate",
 *           (const char *[]){"rowsPerSecond", "100", NULL});
 *   sl_frame *ev = sl_frame_where(in, "value % 2 = 0");
 *   sl_frame *out = sl_frame_select(ev, (const char *[]){"value * 10 AS v", NULL});
 *   sl_query *q = sl_frame_start(out, "console",
 *           (const char *[]){"outputMode", "append", NULL}, NULL);
 *   sl_query_await(q, 3000);
 *   sl_session_destroy(s);
 *
 * Conventions
 * - Functions that return int return >= 0 on success and a negative SL_E*
 *   code (or -errno) on failure; sl_strerror() describes the code and
 *   sl_errname() names it. Functions that return a pointer return NULL on
 *   failure. In both cases the detailed message (what was wrong and where)
 *   is the session's last error: sl_session_errmsg(), sl_session_errcode().
 *   Each session keeps its own; a function with no session yet
 *   (sl_session_new_conf) writes its message into the caller's errstr.
 * - Frames, writers' options and queries belong to their session and are freed
 *   by sl_session_destroy(); the caller frees nothing else unless a function
 *   says "free with ...".
 * - Thread-safety: a session and its frames are built from one thread at a
 *   time. Query functions (sl_query_*), sl_session_table(),
 *   sl_session_await_any(), sl_session_metrics_text() and the error
 *   accessors may be called from any thread while queries run.
 * - The structs the caller fills or reads (sl_sink_callbacks,
 *   sl_group_state_spec, sl_state_stats, sl_status) begin with
 *   `size_t size`, which the caller sets to sizeof the struct:
 *   `sl_status st = { .size = sizeof(st) };`. The library reads and writes
 *   only the bytes both versions know, so members added at the end in a
 *   later version do not break a program built against this header. A
 *   size of 0 is refused (SL_EINVAL) or, for functions that return
 *   nothing, leaves the struct untouched.
 * - sluice never calls exit() and prints nothing except through the console
 *   sink (to the session's console fd); what it has to say otherwise goes
 *   to the session's log callback (sl_session_set_log_cb), and nowhere
 *   when none is set. It aborts only when an allocation fails (docs/API.md,
 *   "Out of memory", lists where and why).
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. A program tests it at build time
 * (SL_VERSION_NUM >= SL_VERSION(0, 2, 0)) and asks the library it runs
 * with through sl_version(). The ABI's major number is the SONAME's:
 * libsluice.so.0. */
#define SL_VERSION_MAJOR 0
#define SL_VERSION_MINOR 1
#define SL_VERSION_PATCH 0
#define SL_VERSION(major, minor, patch)                                        \
	(((major) << 16) | ((minor) << 8) | (patch))
#define SL_VERSION_NUM                                                         \
	SL_VERSION(SL_VERSION_MAJOR, SL_VERSION_MINOR, SL_VERSION_PATCH)
#define SLUICE_VERSION "0.1.0"

/* Marks the functions libsluice.so exports; everything else in the
 * library is hidden (it is built with -fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define SL_API __attribute__((visibility("default")))
#else
#define SL_API
#endif

/* The library's version as SL_VERSION_NUM computes it, and as text
 * ("0.1.0"), for the library the program runs with (which may be newer
 * than the header it was built with). */
SL_API int sl_version(void);
SL_API const char *sl_version_str(void);

/* Error codes. Negative, below the -errno range. */
enum {
	SL_OK = 0,
	SL_EINVAL = -1000,   /* invalid argument or option value */
	SL_ESYNTAX = -1001,  /* expression or pipeline-file syntax error */
	SL_EANALYSIS = -1002,/* unknown column, type mismatch, unsupported query */
	SL_EOPTION = -1003,  /* unknown option or bad option value */
	SL_EFORMAT = -1004,  /* unknown source or sink format */
	SL_EMODE = -1005,    /* output mode or trigger not allowed for this query */
	SL_ESTATE = -1006,   /* call not valid in the object's current state */
	SL_EIO = -1007,      /* I/O failure */
	SL_EKAFKA = -1008,   /* Kafka client failure */
	SL_ETIMEOUT = -1009, /* timed out */
	SL_ENOTFOUND = -1010,/* no such table, query or file */
	SL_ESTOPPED = -1011, /* the query stopped with an exception */
	/* End of stream: no more rows will come. Far below the -errno range,
	 * so never read as one; a function that reads a stream returns it
	 * where it has nothing more (sl_query_await says a query ended by
	 * returning 1). */
	SL_EOS = -1012,
	/* A push found the partition's queue full (SL_INPUT_FAIL). */
	SL_EFULL = -1013,
	/* An allocation failed: the call failed, or the query whose thread
	 * it was stopped with this code (sl_query_await, sl_query_status). */
	SL_ENOMEM = -1014,
};

/* A short description of an SL_E* code or -errno. Never NULL. */
SL_API const char *sl_strerror(int code);
/* The name of an SL_E* code as the header spells it ("SL_EINVAL", "SL_OK");
 * NULL for any other code (a -errno: sl_strerror describes it). The
 * string is static. */
SL_API const char *sl_errname(int code);

typedef struct sl_session sl_session;
typedef struct sl_frame sl_frame;
typedef struct sl_query sl_query;
/* A read-only set of rows: a memory table snapshot, a foreachBatch batch. */
typedef struct sl_rows sl_rows;

/* ---- sessions --------------------------------------------------------- */

/* A new session. Free with sl_session_destroy(). Returns NULL only when out
 * of memory. */
SL_API sl_session *sl_session_new(void);
/* Stops every query of the session (draining them), then frees the session,
 * its frames and queries. NULL is a no-op. */
SL_API void sl_session_destroy(sl_session *s);
/* A new session with configuration keys set as by sl_session_conf_set:
 * conf is key, value, key, value, ..., NULL (NULL: none). On failure
 * (a bad value, out of memory) returns NULL and, when errstr is not
 * NULL, writes the message there (at most errstr_size bytes,
 * NUL-terminated), as librdkafka's rd_kafka_new does; on success errstr
 * holds "". Free with sl_session_destroy(). */
SL_API sl_session *sl_session_new_conf(const char *const *conf, char *errstr,
				       size_t errstr_size);
/* The message of the last failure of a call on this session (or one of its
 * frames or queries), from any thread; "" if none. Each session keeps its
 * own, so two sessions on one thread do not overwrite each other's. The
 * pointer is valid while the session lives; its text changes at the next
 * failure on the session (a host that fails calls on one session from
 * several threads at once reads it with sl_session_errmsg_copy). s NULL
 * gives "". */
SL_API const char *sl_session_errmsg(sl_session *s);
/* The SL_E* code (or -errno) of that same failure (0 if none). */
SL_API int sl_session_errcode(sl_session *s);
/* Copies the last failure's message into buf (at most n bytes,
 * NUL-terminated) under the session's error lock; returns its full
 * length. Any thread. */
SL_API size_t sl_session_errmsg_copy(sl_session *s, char *buf, size_t n);
/* Forgets the last failure: errmsg "" and errcode 0. */
SL_API void sl_session_clear_error(sl_session *s);
/* Where the console sink writes (default 1, stdout). The fd is not closed. */
SL_API void sl_session_set_console_fd(sl_session *s, int fd);

/* ---- logging ------------------------------------------------------------ */

/* Log levels, syslog's numbers (as librdkafka's). */
enum {
	SL_LOG_ERROR = 3,
	SL_LOG_WARN = 4,
	SL_LOG_INFO = 6,
	SL_LOG_DEBUG = 7,
};
/* Receives one message: level, and the text (one line, no newline, valid
 * during the call). It is called from whichever thread has something to
 * say: the caller's inside a call, the query's own threads, a Kafka
 * client's threads; so it must be thread-safe, must not block for long,
 * and must not call back into the session. */
typedef void (*sl_log_cb)(void *opaque, int level, const char *msg);
/* Sends what the session's library code has to say that is not an error
 * of the call (warnings such as a checkpoint recovered past a torn file
 * or io_uring being unavailable; Kafka clients' log lines at
 * SL_LOG_DEBUG) to cb, with opaque. cb NULL: nothing is said anywhere,
 * which is the default. Unlike librdkafka, whose default logger prints
 * to stderr, sluice prints nothing unless asked: a host's stderr is the
 * host's. Call before starting the session's queries (sources and sinks
 * take the logger when they are made). */
SL_API void sl_session_set_log_cb(sl_session *s, sl_log_cb cb, void *opaque);
/* A ready-made sl_log_cb that writes "sluice: MSG\n" to stderr, every
 * level but SL_LOG_DEBUG (librdkafka's rd_kafka_log_print); what the
 * `sluice` command installs. */
SL_API void sl_log_stderr(void *opaque, int level, const char *msg);

/* Sets a configuration key of the session, as Spark's `SET key = value` or
 * spark.conf.set do; it applies to the frames made after the call. Known
 * keys are checked: spark.sql.ansi.enabled ("true"/"false", default true,
 * Spark 4's) and spark.sql.session.timeZone (a region such as
 * "Europe/Madrid", "UTC", or an offset such as "+01:00"; default "UTC")
 * and spark.sql.mapKeyDedupPolicy ("EXCEPTION", the default, or
 * "LAST_WIN", any case). Other keys are kept as given, as Spark keeps them. Keys are
 * case-sensitive, as Spark's. Returns 0, or SL_EINVAL (a bad value, message
 * in sl_session_errmsg()). */
SL_API int sl_session_conf_set(sl_session *s, const char *key, const char *value);
/* The value of key (what was set, or the default of a known key), or NULL
 * if it was never set and has no default. Valid until the key is set again
 * or the session is destroyed. */
SL_API const char *sl_session_conf_get(sl_session *s, const char *key);

/* ---- frames: sources and transformations ------------------------------ */

/* A streaming frame reading from a source. format: "rate",
 * "rate-micro-batch", "kafka", ... options: NULL-terminated array of
 * key, value, key, value, ..., NULL, with Spark's option names
 * (docs/OPTIONS.md). Unknown options and bad values are errors. */
SL_API sl_frame *sl_session_read_stream(sl_session *s, const char *format,
				const char *const *options);

/* A frame may feed several queries only if its source can be read twice:
 * a Kafka or socket source has one consumer or connection, so start each
 * query on its own sl_session_read_stream. */

/* Rows of f for which the SQL condition is true ("signal > 10"). */
SL_API sl_frame *sl_frame_where(sl_frame *f, const char *condition);
/* Spark's selectExpr: each string is an expression with an optional alias
 * ("CAST(value AS STRING)", "value * 10 AS v",
 * "explode(split(value, ' ')) AS word"). NULL-terminated. */
SL_API sl_frame *sl_frame_select(sl_frame *f, const char *const *exprs);
/* Names of f's columns and their Spark type names, for display. Writes a
 * "name: type, ..." line into buf (at most n bytes); returns its length. */
SL_API size_t sl_frame_schema(sl_frame *f, char *buf, size_t n);

/* ---- stream-static joins ----------------------------------------------- */

/* Reads a whole table now, once: format "csv", "json" or "text" with the
 * file source's options (path: a directory, optionally with a file-name
 * pattern, or one file). The
 * frame is static: it can only be the right side of sl_frame_join. */
SL_API sl_frame *sl_session_read_static(sl_session *s, const char *format,
				const char *const *options);
/* Joins each row of stream with the rows of the static table stat whose
 * keys equal its keys (keys_left[i] of stream = keys_right[i] of stat;
 * NULL-terminated; keys_right NULL: the same names, Spark's join(other,
 * usingColumns)). how: "inner" (unmatched stream rows are dropped) or
 * "left" (kept, the table's columns null). Output: stream's columns, then
 * stat's non-key columns; a null key matches nothing. The query runs in
 * append mode only (Spark's output-mode rules: a stream-static join takes append). */
SL_API sl_frame *sl_frame_join(sl_frame *stream, sl_frame *stat,
			       const char *const *keys_left,
			       const char *const *keys_right, const char *how);
/* Spark's union (unionAll): the rows of a and of b, in one stream, each
 * keeping its own order (no order between the two). a and b are streams
 * (their roots are sources, possibly with where/select frames above them)
 * of the same number of columns; columns are matched by position, as in
 * Spark, take a's names, and each pair must have the same type or types
 * with a common wider type (INT and BIGINT give BIGINT; a null column
 * takes the other's type), else the error names the column and both
 * types. Every partition of both sources runs its own thread; in
 * continuous mode an epoch ends once every partition of both sides has
 * delivered its marker, and a checkpoint holds both sides' offsets.
 * Returns NULL on error (different column counts, incompatible types, a
 * static table, an aggregation, watermark or join inside a side, both
 * sides reading the same source, a frame from another session). */
SL_API sl_frame *sl_frame_union(sl_frame *a, sl_frame *b);

/* ---- stateful frames: aggregations, windows, watermarks -------------- */

/* Spark's withWatermark: rows of f pass unchanged; `column` (a timestamp
 * column of f) is the event time and `delay` ("10 minutes") how late rows
 * may arrive. An aggregation above it that groups by a window of that
 * column (or by the column itself) drops rows older than the watermark
 * (max event time seen minus delay, from the next batch on), evicts the
 * windows the watermark has passed, and may run in append mode. One
 * watermark per query, below its aggregation. */
SL_API sl_frame *sl_frame_with_watermark(sl_frame *f, const char *column,
					 const char *delay);

/* Spark's groupBy(keys).agg(aggs). keys: NULL-terminated expressions
 * ("word", "upper(name) AS n"), at most one of them a window:
 * "window(timestamp, '10 minutes', '5 minutes')" (tumbling when the slide
 * is left out; an optional fourth argument is the start offset) or
 * "session_window(timestamp, '5 minutes')". keys may be NULL or empty: one
 * global group. aggs: NULL-terminated expressions each with at least one
 * aggregate call and an optional alias: "count(*) AS count",
 * "sum(x) AS total", "avg(x)", "max(x) - min(x) AS spread"; aggregates are
 * count(*), count(x), sum, avg/mean, min, max, approx_count_distinct,
 * collect_list, first, last (no DISTINCT). Non-aggregated columns must be
 * keys. The result has the keys (a window key as the struct column
 * `window` {start, end}, or `session_window`), then the aggs; where and
 * select over it see those names ("window.start", "count"): a where after
 * group_by is SQL's HAVING. The query must then use output mode complete
 * or update, or append when a watermark is on the window's column
 * (checked by sl_frame_start). Returns NULL on error (SL_ESYNTAX,
 * SL_EANALYSIS, message in sl_session_errmsg()). */
SL_API sl_frame *sl_frame_group_by(sl_frame *f, const char *const *keys,
				   const char *const *aggs);

/* SQL's SELECT items FROM f GROUP BY keys HAVING having, as the pipeline
 * files use it: items (NULL-terminated) are the output columns, each an
 * expression over the keys (by name or by the same expression text:
 * "window.start", "word", "upper(word)") and aggregate calls
 * ("count(*) AS n", "sum(x) / count(*) AS mean"); having (or NULL) is a
 * condition over the same, which may also use the items' aliases. keys
 * may be NULL or empty (one global group). */
SL_API sl_frame *sl_frame_aggregate(sl_frame *f, const char *const *keys,
				    const char *const *items, const char *having);

/* Spark's dropDuplicates(cols): each row of f whose values in cols (all
 * of f's columns when cols is NULL or empty) were not seen before, once;
 * SQL's SELECT DISTINCT. Null equals null. The state holds every key
 * seen, unless a watermark (sl_frame_with_watermark below) is on a
 * column of f: then rows at or behind the watermark are dropped as late,
 * and when that column is one of cols, keys at or behind it are evicted,
 * which bounds the state. The query must use output mode append (or
 * update, which emits the same rows). An aggregation may follow it
 * (the query's mode is then the aggregation's); no other stateful
 * operator may come before or after it. With checkpointLocation the keys
 * survive a restart. Returns NULL on error (an unknown column). */
SL_API sl_frame *sl_frame_drop_duplicates(sl_frame *f, const char *const *cols);

/* The state of a stateful query's aggregation after its last committed
 * batch (Spark's progress stateOperators). */
typedef struct sl_state_stats {
	size_t size;                      /* sizeof(sl_state_stats), set by
	                                     the caller */
	int64_t batch_id;                 /* -1 before the first batch */
	uint64_t num_rows_total;          /* groups held */
	uint64_t num_rows_updated;        /* groups updated by the batch */
	uint64_t num_rows_removed;        /* groups evicted by the batch */
	uint64_t num_rows_dropped_by_watermark; /* in the batch, per (row,
	                                           window) */
	uint64_t total_rows_dropped_by_watermark; /* since the start */
	uint64_t num_output_rows;         /* rows the batch emitted */
	uint64_t memory_used_bytes;       /* the state's memory */
	int64_t watermark_us;             /* for the next batch; 0: none yet */
} sl_state_stats;
/* Fills *out (up to out->size bytes). Returns 0, or SL_EINVAL if
 * out->size is 0 or q has no stateful operator
 * (aggregation, dropDuplicates, group state). With two (an aggregation
 * over a group state or a deduplication) the aggregation's; the progress
 * lists both. Any thread, also after the query ended. */
SL_API int sl_query_state_stats(sl_query *q, sl_state_stats *out);

/* ---- per-group state: mapGroupsWithState, flatMapGroupsWithState ----- */

/* The handle a group-state function gets for the group it is called for:
 * the group's state, its timeout, and the emitter of output rows. Valid
 * only during the call; used only from the function (on the query's sink
 * thread). */
typedef struct sl_group_state sl_group_state;

/* Timeouts (Spark's GroupStateTimeout). */
typedef enum sl_group_timeout {
	SL_GROUP_TIMEOUT_NONE = 0,
	/* sl_group_state_set_timeout_duration: fires in the first batch
	 * whose processing time (wall clock, taken at the batch's end) is
	 * past the time of the call plus the duration, unless the group got
	 * rows before. */
	SL_GROUP_TIMEOUT_PROCESSING,
	/* sl_group_state_set_timeout_timestamp: fires once the watermark
	 * passes the timestamp. Needs sl_frame_with_watermark below, on a
	 * column of the grouped frame; rows at or behind the watermark are
	 * then dropped as late (Spark's rule). */
	SL_GROUP_TIMEOUT_EVENT,
} sl_group_timeout;

/* The function: called once per batch for each group that has new rows
 * (rows: the group's rows of the batch, in arrival order, with the
 * grouped frame's columns; sl_group_state_has_timed_out false), and once
 * for each group whose timeout fired (rows empty, has_timed_out true).
 * key: one row holding the key columns (by name, as in the frame). Both
 * are read with the sl_rows_* accessors and are valid during the call.
 * Return 0; anything else stops the query with an error. */
typedef int (*sl_group_fn)(void *ud, const sl_rows *key, const sl_rows *rows,
			   sl_group_state *st);

typedef struct sl_group_state_spec {
	size_t size; /* sizeof(sl_group_state_spec), set by the caller */
	sl_group_fn fn;
	void *ud;
	/* The output rows' columns, as DDL: "user STRING, events BIGINT,
	 * start TIMESTAMP" (types: STRING, INT, BIGINT, DOUBLE, BOOLEAN,
	 * TIMESTAMP, DATE, BINARY). */
	const char *output_schema;
	/* false: mapGroupsWithState, exactly one output row per call, the
	 * query in update mode. true: flatMapGroupsWithState, zero or more
	 * rows per call. */
	bool flat;
	/* flat only: the output mode the function is written for, "append"
	 * (rows it emits are final) or "update"; the query must use the
	 * same. NULL or "update" for map. */
	const char *output_mode;
	sl_group_timeout timeout;
} sl_group_state_spec;

/* Spark's groupByKey(keys).mapGroupsWithState / flatMapGroupsWithState
 * over f. keys: NULL-terminated column names of f (select first to group
 * by an expression; NULL or empty: one global group). The result's
 * columns are spec->output_schema's; where and select may follow. The
 * state of a group is an opaque byte string whose format the function
 * owns (it is stored as is in the checkpoint's state store, so it holds
 * no pointers); a group without state and without a timeout is dropped.
 * The function is called on the query's sink thread, one call at a time.
 * Output modes (Spark's rules for these operators): map runs in update mode only; flat in
 * the mode it declares (append or update); complete never. An
 * aggregation may follow a flat function in append mode (the query's
 * mode is then the aggregation's: update or complete, since the
 * function's output carries no watermark); no other stateful operator
 * may come before or after it. With checkpointLocation the states and
 * their timeouts survive a restart. spec is copied; fn and ud must stay
 * valid while queries run. Returns NULL on error (SL_EINVAL,
 * SL_EANALYSIS, message in sl_session_errmsg()). */
SL_API sl_frame *sl_frame_group_state(sl_frame *f, const char *const *keys,
				      const sl_group_state_spec *spec);

/* Whether the group has a state. */
SL_API bool sl_group_state_exists(const sl_group_state *st);
/* The state's bytes (*len set), or NULL (and *len 0) if none. Valid until
 * the next update or remove, at most until the call returns. */
SL_API const void *sl_group_state_get(const sl_group_state *st, size_t *len);
/* Replaces the state with a copy of len bytes at p (p may be what get
 * returned). Returns 0. */
SL_API int sl_group_state_update(sl_group_state *st, const void *p, size_t len);
/* Removes the state. */
SL_API void sl_group_state_remove(sl_group_state *st);
/* True in the call made because the group's timeout fired. */
SL_API bool sl_group_state_has_timed_out(const sl_group_state *st);
/* A timeout is reset at every call: set it again in each call that wants
 * one. Processing-time timeout: duration_us > 0 from the batch's
 * processing time. Returns 0, or SL_ESTATE (not a processing-time
 * timeout) / SL_EINVAL (duration <= 0): the query then stops with the
 * message. */
SL_API int sl_group_state_set_timeout_duration(sl_group_state *st,
					       int64_t duration_us);
/* Event-time timeout: the watermark (microseconds since the epoch, as
 * timestamps are) after which to call again; not earlier than the
 * current watermark. Returns 0, SL_ESTATE or SL_EINVAL as above. */
SL_API int sl_group_state_set_timeout_timestamp(sl_group_state *st, int64_t ts_us);
/* The watermark of the batch (0 before it first moves) and its
 * processing time, both in microseconds since the epoch. */
SL_API int64_t sl_group_state_watermark(const sl_group_state *st);
SL_API int64_t sl_group_state_processing_time(const sl_group_state *st);

/* Output rows. sl_group_state_emit appends a row of nulls; the setters fill
 * column col (by position in output_schema) of the last row emitted.
 * long: INT (range-checked), BIGINT, TIMESTAMP (us), DATE (days),
 * BOOLEAN (non-zero is true), DOUBLE (converted); double: DOUBLE;
 * string: STRING and BINARY (len bytes copied). Each returns 0, or
 * SL_EINVAL (no row, bad column, wrong type, out of range) and the query
 * then stops with a message naming the column. */
SL_API int sl_group_state_emit(sl_group_state *st);
SL_API int sl_group_state_out_long(sl_group_state *st, uint32_t col, int64_t v);
SL_API int sl_group_state_out_double(sl_group_state *st, uint32_t col, double v);
SL_API int sl_group_state_out_string(sl_group_state *st, uint32_t col, const char *s,
				     size_t len);

/* ---- sinks and queries ------------------------------------------------ */

/* Callbacks for the foreach and foreachBatch sinks. Unused members may be
 * NULL. They run on the query's sink thread, one call at a time. A non-zero
 * return stops the query with an error. */
typedef struct sl_sink_callbacks {
	size_t size; /* sizeof(sl_sink_callbacks), set by the caller */
	void *ud;
	/* foreach: a writer opens per partition and epoch/batch. */
	int (*open)(void *ud, uint32_t partition, int64_t epoch);
	/* foreach: one row (row index i of rows). */
	int (*process)(void *ud, const sl_rows *rows, uint32_t i);
	/* foreach: after the epoch's rows; error is NULL or the failure. */
	void (*close)(void *ud, const char *error);
	/* foreachBatch: every row of batch/epoch batch_id. */
	int (*batch)(void *ud, const sl_rows *rows, int64_t batch_id);
} sl_sink_callbacks;

/* Starts a streaming query writing f to a sink. format: "console", "memory",
 * "foreach", "foreachBatch", "noop", "kafka", ... options: as for
 * sl_session_read_stream, plus the writer options: outputMode (append | update |
 * complete), trigger ("continuous 1 second", "processingTime 10 seconds",
 * "once", "availableNow", or unset for the default micro-batch), queryName,
 * checkpointLocation. cb is required for foreach/foreachBatch, else NULL;
 * it is copied (cb->size set, else SL_EINVAL), its functions and ud must
 * stay valid while the query runs.
 * Fails (NULL) if the output mode or trigger is not allowed for this query,
 * saying which would be (Spark's output-mode rules: an aggregation takes complete
 * and update, and append only with a watermark on its window;
 * map/flatMapGroupsWithState as sl_frame_group_state says; other
 * queries take append and update; and the sink's own modes). A stateful
 * query (an aggregation) runs micro-batches: a continuous trigger on it
 * runs micro-batches at the same interval instead, and its status says so.
 * The query runs until it ends or is stopped. */
SL_API sl_query *sl_frame_start(sl_frame *f, const char *format,
				const char *const *options,
				const sl_sink_callbacks *cb);

/* Every check sl_frame_start makes (sink format, options, output mode and
 * trigger against the query's shape), without starting anything: for
 * validating a pipeline. Returns 0, or the SL_E* code with the message in
 * sl_session_errmsg(). */
SL_API int sl_frame_check_start(sl_frame *f, const char *format,
				const char *const *options);

/* Stops the query: sources stop, what is in flight drains to the sink, the
 * threads are joined. Idempotent. Returns 0, or the query's error code if it
 * had failed. */
SL_API int sl_query_stop(sl_query *q);
/* Waits until the query ends or timeout_ms passes (-1: forever).
 * Returns 1 if it ended, 0 on timeout, SL_ESTOPPED if it ended with an
 * exception. */
SL_API int sl_query_await(sl_query *q, int64_t timeout_ms);
/* Whether the query still runs (false once it ended by itself, failed or
 * was stopped). Any thread. */
SL_API bool sl_query_is_active(sl_query *q);
/* The exception that ended the query, or NULL. Owned by the query, valid
 * while the session lives. Any thread. */
SL_API const char *sl_query_exception(sl_query *q);
/* The queryName option, or NULL; owned by the query, valid while the
 * session lives. Any thread. */
SL_API const char *sl_query_name(sl_query *q);
/* The query's id, a UUID stable for the query (kept across restarts from
 * its checkpoint, as Spark's); owned by the query. Any thread. */
SL_API const char *sl_query_id(sl_query *q);

typedef struct sl_status {
	size_t size;       /* sizeof(sl_status), set by the caller */
	char message[128]; /* "Waiting for data to arrive", ... as Spark says */
	bool is_data_available;
	bool is_trigger_active;
	/* 0, or the code the query failed with (SL_ENOMEM after an
	 * allocation failed on one of its threads, ...): what
	 * sl_query_stop returns; the message is sl_query_exception's. */
	int error;
} sl_status;
/* Fills *out (up to out->size bytes; nothing when size is 0). Any
 * thread. */
SL_API void sl_query_status(sl_query *q, sl_status *out);

/* The last batch's or epoch's progress as JSON with Spark's field names
 * (StreamingQueryProgress). A malloc'd string, free with free(); NULL if
 * no batch or epoch has completed yet. Any thread. */
SL_API char *sl_query_last_progress(sl_query *q);
/* The recent progress records (up to 100) as a JSON array, oldest first.
 * Free with free(); NULL if none yet. Any thread. */
SL_API char *sl_query_recent_progress(sl_query *q);
/* The status as JSON {"message":..,"isDataAvailable":..,"isTriggerActive":..}.
 * Free with free(); NULL only when out of memory. Any thread. */
SL_API char *sl_query_status_json(sl_query *q);

/* Waits until any query of the session ends (timeout_ms -1: forever). Returns
 * 1, 0 on timeout. Any thread. */
SL_API int sl_session_await_any(sl_session *s, int64_t timeout_ms);

/* ---- metrics for operators (docs/METRICS.md) -------------------------- */

/* Serves the session's metrics in Prometheus's text format at
 * http://127.0.0.1:PORT/metrics (loopback only; any other path is 404),
 * from a thread of its own, until sl_session_metrics_stop() or
 * sl_session_destroy(). port 0 picks a free port. Returns the port bound
 * (> 0), SL_ESTATE if the session already serves metrics, or SL_EIO if
 * the port cannot be bound (message in sl_session_errmsg()). Off unless
 * called. Call from the thread that owns the session. */
SL_API int sl_session_metrics_start(sl_session *s, int port);
/* Stops serving (the port is closed when it returns). No-op if not
 * serving. Call from the thread that owns the session. */
SL_API void sl_session_metrics_stop(sl_session *s);
/* What GET /metrics returns: the exposition text of every query of the
 * session (records in and out, Kafka lag, latency histogram, ring
 * occupancy, backpressure, errors, activity). Works without the server.
 * Any thread, while queries run. malloc'd, free with free(); NULL only
 * when out of memory. */
SL_API char *sl_session_metrics_text(sl_session *s);

/* ---- rows: memory tables and foreach/foreachBatch --------------------- */

/* A snapshot of the memory table named `name` (the query's queryName), safe
 * to read while the query runs. Free with sl_rows_free(). NULL if no such
 * table. */
SL_API sl_rows *sl_session_table(sl_session *s, const char *name);
/* Frees a snapshot from sl_session_table(). NULL is a no-op. Never call
 * it on the rows a callback is given: those belong to the query. */
SL_API void sl_rows_free(sl_rows *r);
/* The rows' accessors read without changing anything, so any thread may
 * read one set of rows at once. Every one takes NULL rows and an
 * out-of-range row or column: a cell outside reads as null. */
/* Number of rows (0 for NULL). */
SL_API uint32_t sl_rows_count(const sl_rows *r);
/* Number of columns (0 for NULL). */
SL_API uint32_t sl_rows_ncols(const sl_rows *r);
/* The name of column col, owned by the rows; NULL if out of range. */
SL_API const char *sl_rows_colname(const sl_rows *r, uint32_t col);
/* Index of the column named name (case-insensitive, as Spark resolves
 * names), or -1. */
SL_API int sl_rows_colindex(const sl_rows *r, const char *name);
/* Whether the cell is null (true outside the rows). */
SL_API bool sl_rows_is_null(const sl_rows *r, uint32_t row, uint32_t col);
/* The value as a long (int, long, timestamp micros, date days, bool 0/1;
 * doubles, floats and decimals truncated). 0 if null or not numeric. */
SL_API int64_t sl_rows_long(const sl_rows *r, uint32_t row, uint32_t col);
/* The value as a double (a DOUBLE or FLOAT as is, a DECIMAL the nearest
 * double, the others as sl_rows_long reads them). 0 if null or not
 * numeric. */
SL_API double sl_rows_double(const sl_rows *r, uint32_t row, uint32_t col);
/* The value rendered as Spark's CAST(x AS STRING) would ("null" for null),
 * into buf (at most n bytes, NUL-terminated). Returns buf. */
SL_API const char *sl_rows_string(const sl_rows *r, uint32_t row, uint32_t col,
				  char *buf, size_t n);

/* ---- in-process input: rows the host pushes (docs/ARCHITECTURE.md) -- */

/* A stream the host feeds from its own threads, without the network: the
 * query reads it as the source format "input" with the option
 * name = the input's name (sl_session_read_stream(s, "input",
 * (const char *[]){"name", "orders", NULL}), or FORMAT 'input' in a
 * pipeline run in the same session). Each partition is a bounded queue of
 * rows read by that partition's thread of the query; its rows keep the
 * order they were pushed in. One thread at a time pushes into a
 * partition (a different partition may be pushed from another thread at
 * the same time): the queue is single-producer, lock-free. */
typedef struct sl_input sl_input;
/* A row being built by the host: typed setters, then sl_input_push. */
typedef struct sl_input_row sl_input_row;

/* What a push does when the partition's queue is full. */
typedef enum sl_input_backpressure {
	/* Waits for room up to block_timeout_ms (0: forever), then
	 * returns SL_ETIMEOUT with the row not queued. */
	SL_INPUT_BLOCK = 0,
	/* Drops the row being pushed: the push returns 1 and
	 * sl_input_dropped() counts it. */
	SL_INPUT_DROP_NEWEST,
	/* Returns SL_EFULL at once, the row not queued. */
	SL_INPUT_FAIL,
} sl_input_backpressure;

typedef struct sl_input_opts {
	size_t size; /* sizeof(sl_input_opts): later fields may be added */
	sl_input_backpressure backpressure; /* default SL_INPUT_BLOCK */
	int64_t block_timeout_ms; /* SL_INPUT_BLOCK: 0 waits forever */
	uint32_t capacity; /* rows per partition queue, rounded up to a
	                      power of two; 0: 65536 */
} sl_input_opts;

/* Declares the input `name` of session s: rows of schema_ddl ("id BIGINT,
 * user STRING, amount DOUBLE"; types STRING, BINARY, INT, BIGINT, DOUBLE,
 * BOOLEAN, TIMESTAMP, DATE) in `partitions` partitions (1..1024). opts may
 * be NULL (the defaults). Freed with the session, after its queries
 * stopped. Returns NULL on error (a name already declared, a bad schema
 * or option; message in sl_session_errmsg()). */
SL_API sl_input *sl_session_input(sl_session *s, const char *name,
				  const char *schema_ddl, int partitions,
				  const sl_input_opts *opts);

/* A row of in's schema, every column null. Used by one thread at a time;
 * free with sl_input_row_free. NULL only when out of memory. */
SL_API sl_input_row *sl_input_row_new(sl_input *in);
SL_API void sl_input_row_free(sl_input_row *r);
/* Sets every column back to null. */
SL_API void sl_input_row_reset(sl_input_row *r);
/* Setters of column col (by position in the schema). long: INT
 * (range-checked), BIGINT, TIMESTAMP (us since the epoch), DATE (days),
 * BOOLEAN (non-zero is true), DOUBLE (converted); double: DOUBLE; string:
 * STRING and BINARY: the bytes are borrowed until the push, which copies
 * them. Each returns 0 or SL_EINVAL (bad column, wrong type, out of
 * range; the message names the column). */
SL_API int sl_input_row_null(sl_input_row *r, uint32_t col);
SL_API int sl_input_row_long(sl_input_row *r, uint32_t col, int64_t v);
SL_API int sl_input_row_double(sl_input_row *r, uint32_t col, double v);
SL_API int sl_input_row_string(sl_input_row *r, uint32_t col, const char *s,
			       size_t len);

/* Appends a copy of row to partition's queue. Returns 0 (queued), 1
 * (dropped: SL_INPUT_DROP_NEWEST and the queue full), SL_ETIMEOUT
 * (SL_INPUT_BLOCK), SL_EFULL (SL_INPUT_FAIL), SL_ESTATE (the input is
 * closed), SL_EINVAL (no such partition). Takes no lock; wakes the
 * query's partition thread if it sleeps. */
SL_API int sl_input_push(sl_input *in, uint32_t partition,
			 const sl_input_row *row);
/* rows[0..n) in one go (one publication, one clock read): all queued or
 * none (SL_ETIMEOUT, SL_EFULL), except under SL_INPUT_DROP_NEWEST, which
 * queues what fits and drops the rest. n at most the capacity. Returns
 * the rows queued, or the codes of sl_input_push. */
SL_API int sl_input_push_batch(sl_input *in, uint32_t partition,
			       const sl_input_row *const *rows, uint32_t n);
/* A row from one JSON object ({"id": 1, "user": "ann"}: fields by column
 * name, case-insensitive; missing fields null; read as Spark's JSON
 * reader reads them: TIMESTAMP and DATE as text or, for TIMESTAMP, a
 * number of seconds; a STRING keeps a non-string's JSON text). Returns as
 * sl_input_push, or SL_EINVAL naming the field that does not fit. */
SL_API int sl_input_push_json(sl_input *in, uint32_t partition,
			      const char *json, size_t len);

/* Ends every partition's stream: once the query has read what is queued,
 * its partitions end (a continuous query then ends by itself; a
 * micro-batch query runs what is queued and then idles until stopped).
 * Pushes after it return SL_ESTATE (close after the pushes: a push racing
 * with the close may be left unread). A push blocked on a full queue
 * returns SL_ESTATE. Rows still queued when a query stops are read by the
 * next query of the session on the input. Idempotent; returns 0. */
SL_API int sl_input_close(sl_input *in);

/* Offsets: the rows of a partition are numbered in push order from where
 * the query reading it started: 0, or after a restart from a checkpoint,
 * the partition's committed offset. sl_input_committed: the offset below
 * which every row of the partition is committed (checkpointed when the
 * query has checkpointLocation): after sl_frame_start resumed from a
 * checkpoint, the host pushes its rows again from that one on
 * (at-least-once). 0 before any query; SL_EINVAL for no such partition. */
SL_API int64_t sl_input_committed(sl_input *in, uint32_t partition);
/* Rows dropped from partition by SL_INPUT_DROP_NEWEST so far. */
SL_API uint64_t sl_input_dropped(sl_input *in, uint32_t partition);

#ifdef __cplusplus
}
#endif
#endif
