/* core/engine.h - the engine's private structures: sessions, frames (the
 * logical plan), the compiled stateless chain, and running queries.
 * Shared by core/session.c, core/query.c, core/exec.c, core/union.c and
 * ops/stateless.c.
 * docs/ARCHITECTURE.md describes the threads these structures drive. */
#ifndef SL_CORE_ENGINE_H
#define SL_CORE_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/chan.h"
#include "core/checkpoint.h"
#include "core/expr.h"
#include "core/plugin.h"
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
	struct sl_metrics *metrics; /* the HTTP endpoint (core/metrics.c), or
	                               NULL; started and stopped by the
	                               session's owner thread */
	struct sl_source **sources; /* every source made, destroyed with us */
	uint32_t nsources, capsources;
	sl_cleanup *cleanups; /* run after the sources are destroyed */
};

/* Runs fn(p) when s is destroyed (after every query has stopped). */
void sl_session_on_destroy(sl_session *s, void (*fn)(void *), void *p);

/* Records a failure for sl_session_errmsg() (thread-local). Returns NULL so
 * that builders can `return sl_fail(...)`. */
void *sl_fail(const sl_err *err);
void sl_fail_code(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- frames and the stateless chain ------------------------------------ */

typedef enum sl_frame_kind {
	SL_FR_SOURCE,
	SL_FR_WHERE,
	SL_FR_SELECT,
	SL_FR_AGGREGATE, /* core/stateful.h: GROUP BY with aggregates */
	SL_FR_WATERMARK, /* core/stateful.h: withWatermark */
	SL_FR_STATIC,    /* sl_read_static: a table read once, no source */
	SL_FR_JOIN,      /* ops/join.h: stream-static equi-join */
	SL_FR_UNION,     /* core/union.c: two streams as one; a root, like
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
 * from a chain of frames (ops/stateless.c). */
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
	/* Metrics (core/metrics.c), written by the partition thread only and
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

/* Latency histogram: log-linear buckets over nanoseconds. */
#define SL_HIST_BUCKETS 512
typedef struct sl_hist {
	uint64_t count;
	int64_t max;
	uint64_t sum_ns; /* sum of the samples: Prometheus's _sum */
	uint64_t b[SL_HIST_BUCKETS];
} sl_hist;
void sl_hist_add(sl_hist *h, int64_t ns, uint64_t n);
int64_t sl_hist_pct(const sl_hist *h, double p); /* ns */

#define SL_PROGRESS_KEEP 100

struct sl_query {
	sl_session *session;
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
	 * (core/stateful.c sets it after each batch, the coordinator reads
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
	char *exception;
	char *progress[SL_PROGRESS_KEEP]; /* ring of JSON strings */
	uint32_t nprogress, progress_head;
	int64_t start_wall_us;
	int64_t start_ns;    /* when the threads started (read-only after) */
	sl_hist lat_total; /* end-to-end latency over the whole run; the
	                      sink thread adds each commit's under lock so
	                      the metrics server can read it */
	uint64_t rows_out; /* rows the sink committed (lock, as lat_total) */
	bool stopped;      /* threads joined */

	/* Checkpoint (checkpointLocation; core/exec.c, docs/CHECKPOINTS.md).
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
	 * for the checkpoint (ck_lock). The sink thread never writes files:
	 * an fsync there would stall the record path. If the coordinator
	 * falls behind, the slot accumulates: [ck_start, ck_end) spans every
	 * epoch since the last one written, and only the newest is written. */
	pthread_mutex_t ck_lock;
	int64_t ck_epoch;     /* newest sink-committed epoch not yet
	                         checkpointed, -1 none */
	int64_t *ck_start, *ck_end;
	int64_t ck_done_epoch;   /* newest epoch checkpointed (or handed to
	                            the source's commit without a checkpoint),
	                            -1 none */
	int64_t *ck_done_end;    /* its end offsets: "committed offsets" */
	int64_t ck_commit_us;    /* how long the last checkpoint commit took
	                            (offsets + commit files), -1 none */
};

enum { SL_QS_INIT, SL_QS_WAIT_DATA, SL_QS_WAIT_TRIGGER, SL_QS_PROCESSING,
       SL_QS_STOPPED };

/* core/exec_sink.c: the sink thread's body (arg: the query). */
void *sl_exec_sink_main(void *arg);

/* core/exec.c: start the threads; stop and join them. */
int sl_exec_start(sl_query *q, sl_err *err);
void sl_exec_join(sl_query *q);
/* Ends the query with an exception (first one wins). */
void sl_query_fail(sl_query *q, int code, const char *msg);
/* Appends a progress record (takes ownership of the JSON). */
void sl_query_add_progress(sl_query *q, char *json);

#endif
