/* engine/engine.h - the engine's private structures: sessions, frames (the
 * logical plan), the compiled stateless chain, and running queries.
 * Shared by engine/session.c, engine/query.c, engine/exec*.c, engine/union.c
 * and engine/stateless.c.
 * docs/ARCHITECTURE.md describes the threads these structures drive. */
#ifndef SL_CORE_ENGINE_H
#define SL_CORE_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/chan.h"
#include "core/histogram.h"
#include "engine/checkpoint.h"
#include "expr/expr.h"
#include "engine/trigger.h"
#include "sluice.h"

/* ---- sessions --------------------------------------------------------- */

/* Work the session undoes when it is destroyed, newest first: static tables
 * and join hash tables, which rows in flight point into until every query
 * has stopped. */
typedef struct sl_cleanup {
	struct sl_cleanup *next;
	void (*fn)(void *);
	void *p;
} sl_cleanup;

typedef struct sl_table {
	struct sl_table *next;
	char *name;
	sl_batch *rows; /* deep copies, owned by the table */
} sl_table;

struct sl_session {
	sl_arena arena;          /* plan lifetime: frames, schemas, options */
	pthread_mutex_t lock;    /* queries, tables, the ended condition */
	pthread_cond_t ended;    /* signalled whenever a query ends */
	int console_fd;
	struct sl_query **queries;
	uint32_t nqueries, capqueries;
	sl_table *tables;
	struct sl_input *inputs; /* sl_session_input's, freed by cleanups */
	/* The host's sources and sinks (engine/plugin.c), in the arena. */
	struct sl_plugin_src *plugin_sources;
	struct sl_plugin_sink *plugin_sinks;
	struct sl_plugin_fmt *plugin_formats; /* engine/plugin_format.c */
	struct sl_metrics *metrics; /* the HTTP endpoint (engine/metrics.c), or
	                               NULL; started and stopped by the
	                               session's owner thread */
	struct sl_source **sources; /* every source made, destroyed with us */
	uint32_t nsources, capsources;
	sl_cleanup *cleanups; /* run after the sources are destroyed */
	/* Configuration (engine/session_conf.c): what SET gave, in order;
	 * the known keys also parsed. */
	sl_kvs conf;
	bool ansi;                   /* spark.sql.ansi.enabled */
	bool map_last_win;           /* spark.sql.mapKeyDedupPolicy LAST_WIN */
	const char *time_zone;       /* spark.sql.session.timeZone, its id */
	struct sl_tz_cache *tz_cache; /* zones opened by this session */
	/* The last failure of a call on the session (sl_fail), under
	 * err_lock: query functions may fail from any thread. */
	pthread_mutex_t err_lock;
	int errcode;
	char errmsg[1024];
	/* The host's log callback (sl_session_set_log_cb; core/log.h),
	 * bound on every thread the session's queries run and, during a
	 * call that may log, on the caller's. */
	sl_logger log;
};

/* Binds e against schema `in` with the session's settings
 * (spark.sql.ansi.enabled): every expression a frame compiles goes
 * through here, so a SET applies to the frames made after it. */
int sl_session_bind(const sl_session *s, sl_expr *e, const sl_schema *in,
		    sl_arena *a, sl_err *err);

/* The session's configuration, at its creation and its end. */
void sl_session_conf_init(sl_session *s);
void sl_session_conf_free(sl_session *s);

/* Runs fn(p) when s is destroyed (after every query has stopped). */
void sl_session_on_destroy(sl_session *s, void (*fn)(void *), void *p);

/* The memory sink's tables live in the session: the sinks' publish
 * callback (io/plugin.h), with the session as publish_arg. */
void sl_session_table_publish(void *session, const char *name, sl_batch *rows,
			      bool replace);
/* The ops of the source or sink format `name` in session s: a plugin the
 * host registered there (include/sluice_plugin.h), else the built-in
 * one, else NULL. */
const struct sl_source_ops *sl_session_source_ops(const sl_session *s,
						  const char *name);
const struct sl_sink_ops *sl_session_sink_ops(const sl_session *s,
					      const char *name);

/* Records a failure as session s's last error, for sl_session_errmsg()
 * and sl_session_errcode() (s NULL: recorded nowhere). sl_fail returns
 * NULL so that builders can `return sl_fail(s, ...)`; sl_fail_code
 * returns code. */
void *sl_fail(sl_session *s, const sl_err *err);
int sl_fail_code(sl_session *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A public function's body under a recovery point (core/alloc.h): runs
 * run(c); when an allocation inside fails, records SL_ENOMEM ("WHAT: out
 * of memory ...") as s's last error and returns SL_ENOMEM, else 0. The
 * body's results travel in c (a[] its arguments, ret its result, NULL
 * after a failure). */
typedef struct sl_api_call {
	const void *a[6];
	void *ret;
	int rc;
} sl_api_call;
int sl_api_guard(sl_session *s, const char *what,
		 void (*run)(sl_api_call *c), sl_api_call *c);

/* The public structs with a leading `size_t size` (engine/api_struct.c).
 * sl_sized_in copies the caller's struct src into dst (dst_size bytes,
 * the library's version), zero-filling the members an older caller's
 * version lacks and setting dst's size to dst_size; sl_sized_out copies
 * the library's src into the caller's dst, no more than dst->size bytes.
 * Both return false, touching nothing, when the caller's size is smaller
 * than the size field itself (0: not set). */
bool sl_sized_in(void *dst, size_t dst_size, const void *src);
bool sl_sized_out(void *dst, const void *src, size_t src_size);

/* ---- frames and the stateless chain ------------------------------------ */

typedef enum sl_frame_kind {
	SL_FR_SOURCE,
	SL_FR_WHERE,
	SL_FR_SELECT,
	SL_FR_AGGREGATE, /* engine/stateful.h: GROUP BY with aggregates */
	SL_FR_WATERMARK, /* engine/stateful.h: withWatermark */
	SL_FR_STATIC,    /* sl_session_read_static: a table read once, no source */
	SL_FR_JOIN,      /* ops/join.h: stream-static equi-join */
	SL_FR_UNION,     /* engine/union.c: two streams as one; a root, like
	                    a source: its src reads both sides */
} sl_frame_kind;

struct sl_frame {
	sl_session *session;
	sl_frame_kind kind;
	struct sl_frame *parent;  /* NULL for a source and a union: chains,
	                             plans and stateful walks stop there */
	struct sl_source *src;    /* the source at the root */
	const char *format;       /* source format name */
	const sl_schema *schema;  /* this frame's output schema */
	sl_expr *cond;            /* WHERE */
	uint32_t nitems;          /* SELECT: output columns (stars expanded) */
	sl_expr **items;          /* SELECT: one per output column; NULL for a
	                             column passed through by a star */
	int32_t *pass;            /* SELECT: input column for star columns */
	int32_t gen;              /* SELECT: index of the generator, or -1 */
	struct sl_batch *rows;    /* STATIC: the whole table (session-owned) */
	struct sl_join *join;     /* JOIN: the hash table and column maps */
	struct sl_frame *sides[2]; /* UNION: its two streams, whose chains
	                              run inside the union's partitions */
};

/* A frame at the root of a plan (a source's, a union's) reading src:
 * its schema and format are src's. In the session arena. */
sl_frame *sl_frame_root(sl_session *s, sl_frame_kind kind,
			struct sl_source *src);

/* The fused stateless operators between a source and its ring, compiled
 * from a chain of frames (engine/stateless.c). */
typedef struct sl_chain {
	uint32_t n;
	const sl_frame **steps; /* source side first */
} sl_chain;

sl_chain *sl_chain_build(const sl_frame *top, sl_arena *a);
/* Runs every step on b in place (b's schema becomes the top frame's).
 * Returns 0 or < 0 with err set. */
int sl_chain_run(const sl_chain *c, sl_batch *b, sl_err *err);

/* ---- queries ------------------------------------------------------------ */

typedef struct sl_part {
	struct sl_query *q;
	pthread_t th;
	sl_source_part sp;
	sl_chan *ch;              /* part -> sink */
	sl_waiter wake;           /* the part thread parks here */
	/* micro-batch plan for this partition, set by the coordinator */
	_Atomic int64_t plan_batch; /* batch to run, -1 none yet */
	int64_t plan_end;           /* its end offset (written before
	                               plan_batch is released) */
	int64_t avail_end;          /* availableNow: end offset at start */
	int64_t start_offset;       /* offset at the start of the epoch */
	int64_t open_offset;        /* offset after open, before the thread
	                               started: read-only afterwards */
	/* Metrics (engine/metrics.c), written by the partition thread only and
	 * read by the metrics server: relaxed atomics, since nothing else is
	 * read on the strength of them and a reader may see a value a poll
	 * old. */
	_Atomic uint64_t rows_in; /* rows read from the source */
	_Atomic int64_t position; /* sp.offset after the last poll; -1
	                             while a dynamic partition is not
	                             assigned (the coordinator writes it
	                             then, with no thread running) */
	/* Dynamic partitions (q->dynamic_parts): `running` is the
	 * coordinator's own (a thread is started and not yet joined);
	 * `revoke` asks the running thread to end its epoch and leave
	 * (release by the coordinator, acquire by the thread). */
	bool running;
	_Atomic bool revoke;
} sl_part;

#define SL_PROGRESS_KEEP 100

struct sl_query {
	sl_session *session;
	sl_sink_callbacks cb; /* the caller's, copied at start */
	const sl_frame *frame;
	sl_chain *chain;
	struct sl_source *src;
	sl_sink sink;
	sl_trigger trig;
	sl_writer_conf wconf;
	char id[37], run_id[37];
	char *name;

	uint32_t nparts;
	sl_part *parts;
	pthread_t sink_th, coord_th;
	sl_waiter sink_wake;  /* sink thread parks here */
	sl_waiter coord_wake; /* coordinator parks here */

	_Atomic bool stop;      /* stop requested or failed: sources end */
	_Atomic bool cancel;    /* unblock every push at once (failure) */
	_Atomic bool active;
	_Atomic int64_t epoch;     /* continuous: the epoch sources are in */
	_Atomic int64_t committed; /* last committed epoch/batch, -1 */
	_Atomic int status;        /* SL_QS_* */
	_Atomic bool data_avail;
	/* Micro-batch: when (wall-clock us) a batch must run even without
	 * new data, for a processing-time timeout of per-group state
	 * (engine/stateful.c sets it after each batch, the coordinator reads
	 * it); 0: never. A hint: nothing else is read on the strength of
	 * it, and a stale value costs one batch too many or a batch one
	 * coordinator tick late. */
	_Atomic int64_t idle_due_us;
	_Atomic bool sink_done;    /* the sink thread has finished */
	_Atomic bool plans_done;   /* micro-batch: the coordinator will plan
	                              no more batches */
	/* Dynamic partitions (a source whose partitions are assigned from
	 * outside while the query runs: a Kafka consumer group). Set before
	 * the threads start, read-only afterwards. Such a partition's
	 * thread runs only while the partition is assigned: it pushes
	 * SL_MSG_ATTACH first, and on revocation its final marker, then
	 * SL_MSG_EOS; the sink counts a partition between EOS and the next
	 * ATTACH as ended. The sink starts with every dynamic partition
	 * ended, and ends only once parts_final is set. */
	bool dynamic_parts;
	_Atomic bool parts_final;  /* every partition thread has been joined
	                              and none will start again (set by the
	                              coordinator; release) */
	_Atomic bool src_events;   /* a dynamic source woke the
	                              coordinator: call its rebalance */
	pthread_mutex_t join_lock; /* one joiner at a time */
	bool threads_started;

	pthread_mutex_t lock; /* exception, progress */
	int exc_code;
	/* NULL, or exc_buf once the query failed: no allocation, so that
	 * an out-of-memory failure is recorded too */
	char *exception;
	char exc_buf[512];
	char *progress[SL_PROGRESS_KEEP]; /* ring of JSON strings */
	uint32_t nprogress, progress_head;
	int64_t start_wall_us;
	int64_t start_ns;    /* when the threads started (read-only after) */
	sl_histogram lat_total; /* end-to-end latency over the whole run;
	                           the sink thread adds each commit's under
	                           lock so the metrics server can read it */
	uint64_t rows_out; /* rows the sink committed (lock, as lat_total) */
	/* Epoch/batch commits the sink thread made and the time the sink's
	 * commit took (sum, longest), and the sink's counters (ops->stats)
	 * after the last one: lock, as rows_out. */
	uint64_t commits, commit_ns_sum, commit_ns_max;
	sl_sink_stats sink_stats;
	bool stopped;      /* threads joined */

	/* Checkpoint (checkpointLocation; engine/exec_checkpoint.c,
	 * docs/CHECKPOINTS.md).
	 * ckpt is NULL without one. Only the coordinator writes to it once
	 * the threads run (sl_ckpt serialises itself anyway); the sink
	 * thread reads its lock-free stats for progress. */
	sl_ckpt *ckpt;
	char ckpt_warning[1024]; /* torn/corrupt files skipped at recovery,
	                            or ""; set before the threads start, then
	                            read-only (status, progress) */
	int64_t first_epoch;  /* the first epoch/batch number of this run */
	bool inflight;        /* micro-batch: re-run batch first_epoch with
	                         inflight_end[] as its end offsets */
	int64_t *inflight_end;
	char *src_blob;       /* the last ckpt_save text written */
	/* Continuous: epochs the sink committed, handed to the coordinator
	 * for the checkpoint (under checkpoint_lock). The sink thread never
	 * writes files: an fsync there would stall the record path. If the
	 * coordinator falls behind, the hand-off accumulates:
	 * [checkpoint_handoff_start, checkpoint_handoff_end) spans every
	 * epoch since the last one written, and only the newest is
	 * written. */
	pthread_mutex_t checkpoint_lock;
	/* newest sink-committed epoch not yet checkpointed, -1 none */
	int64_t checkpoint_handoff_epoch;
	int64_t *checkpoint_handoff_start, *checkpoint_handoff_end;
	/* newest epoch checkpointed (or handed to the source's commit
	 * without a checkpoint), -1 none; and its end offsets, which
	 * progress reports as "committed offsets" */
	int64_t checkpointed_epoch;
	int64_t *checkpointed_end;
	/* how long the last checkpoint commit took (offsets + commit
	 * files), -1 none */
	int64_t checkpoint_commit_us;
};

enum { SL_QS_INIT, SL_QS_WAIT_DATA, SL_QS_WAIT_TRIGGER, SL_QS_PROCESSING,
       SL_QS_STOPPED };

/* engine/exec.c: start the threads (engine/exec_internal.h lists them);
 * stop and join them. */
int sl_exec_start(sl_query *q, sl_err *err);
void sl_exec_join(sl_query *q);
/* engine/pushdown.c: tells q's source what the query reads of it, from
 * the frames top down to the source (sl_source_ops.pushdown). */
int sl_pushdown_apply(sl_query *q, const sl_frame *top, sl_err *err);
/* Ends the query with an exception (first one wins). */
void sl_query_fail(sl_query *q, int code, const char *msg);
/* The query fails with SL_ENOMEM after an allocation on the thread
 * `where` ("sink thread") failed (core/alloc.h): the message names the
 * thread and the size asked for. */
void sl_query_fail_oom(sl_query *q, const char *where);
/* Appends a progress record (takes ownership of the JSON). */
void sl_query_add_progress(sl_query *q, char *json);

#endif
