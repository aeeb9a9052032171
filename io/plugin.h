/* io/plugin.h - the interface every source and sink implements.
 *
 * A source or sink is one `static const struct sl_source_ops` /
 * `sl_sink_ops` in its own file under io/, registered by one line in
 * io/registry.c. Its option table (core/option.h) parses, validates and
 * documents its options. */
#ifndef SL_IO_PLUGIN_H
#define SL_IO_PLUGIN_H

#include "core/option.h"
#include "core/output_mode.h"

/* ---- sources ---------------------------------------------------------- */

typedef struct sl_source sl_source;
typedef struct sl_source_part sl_source_part;

/* One source of one frame. Made when the frame is made. */
struct sl_source {
	const struct sl_source_ops *ops;
	void *conf;              /* ops->conf_size bytes, filled by the table */
	void *state;             /* the source's own, set by init */
	const sl_schema *schema; /* set by init */
	uint32_t nparts;         /* set by init: number of partitions */
	sl_session *session;
	sl_arena *arena;         /* session arena: plan lifetime */
	const sl_kvs *given;     /* the options as given */
	struct sl_input *inputs; /* the session's in-process inputs (io/input.h) */
	/* Set by init: which of the nparts partitions ("slots") this
	 * source reads is decided from outside while a query runs (a
	 * Kafka consumer group's rebalances), through ops->rebalance.
	 * false: every partition is read from start to end. */
	bool dynamic;
	/* Set by init: partition i is the same one on every run even when
	 * the source has more partitions than its checkpoint knows (new
	 * ones come after the old), so such a checkpoint resumes: the
	 * partitions it lacks start as the source says. */
	bool parts_may_grow;
	/* Set by the engine before a query on a dynamic source starts:
	 * wakes the query's coordinator, which then calls
	 * ops->rebalance soon. Callable from any thread, also from
	 * inside a library's internal threads (it only sets a flag and
	 * wakes a futex); the source calls it when membership events
	 * arrive. */
	void (*wake)(void *wake_arg);
	void *wake_arg;
};

/* The engine's side of a dynamic source's membership changes, handed to
 * ops->rebalance for the length of that call (all on the coordinator
 * thread). */
typedef struct sl_source_ctl {
	/* The query reads slot from now on: the engine opens it (ops->open,
	 * on this thread: it sets where the slot starts) and starts its
	 * partition thread, which tells the sink first where it starts.
	 * Returns 0, or < 0 when open failed (the query has failed). A
	 * slot already running is left as it is. */
	int (*start)(struct sl_source_ctl *ctl, uint32_t slot);
	/* The query stops reading slots[0..n): each slot's thread marks the
	 * end of its epoch and ends, the engine joins it and closes the
	 * slot (ops->close), then waits, bounded, until what those threads
	 * read is committed and checkpointed and ops->commit has heard of
	 * it, so that the next reader repeats little. Returns once the
	 * threads are gone. Slots not running are skipped. */
	void (*stop)(struct sl_source_ctl *ctl, const uint32_t *slots,
		     uint32_t n);
	void *engine; /* the engine's own */
} sl_source_ctl;

/* One partition of a source inside a running query; used by one partition
 * thread only. */
struct sl_source_part {
	sl_source *src;
	uint32_t index;     /* partition number */
	void *state;        /* the source's own, set by open */
	int64_t offset;     /* next offset this partition will read */
	sl_err err;         /* details when a callback fails */
	/* Set by the engine before open when the query resumes from a
	 * checkpoint: open must start the partition at offset `resume` (the
	 * end offset of the last committed epoch) instead of where the
	 * source's options say. */
	bool has_resume;
	int64_t resume;
};

/* What a query reads of its source (sl_source_ops.pushdown). */
typedef struct sl_pushdown {
	/* used[i]: the query reads schema column i (ncols entries); a
	 * source may leave the others null. */
	const bool *used;
	uint32_t ncols;
	/* A row is wanted only if it satisfies each of these (expr/expr.h,
	 * sl_expr_pred): a source may leave out rows it knows fail one
	 * (row groups whose statistics rule them out). */
	const struct sl_expr_pred *preds;
	uint32_t npreds;
} sl_pushdown;

/* One counter of sl_source_ops.metrics. */
typedef struct sl_source_metric {
	const char *name; /* static: "badFilesSkipped" */
	int64_t value;
} sl_source_metric;

typedef struct sl_source_ops {
	const char *name;        /* format name: "rate" */
	const char *description; /* one line for docs and --help */
	const sl_opt_def *options;
	size_t conf_size;
	/* Optional: the options' cross-option rules, once every option is
	 * parsed (core/option.h, sl_options_finalize): NULL or a message. */
	const char *(*finalize)(const void *conf);
	/* Options applied and finalized; set src->schema and src->nparts. */
	int (*init)(sl_source *src, sl_err *err);
	/* A partition thread starts; set p->offset (where to start) and
	 * p->state. */
	int (*open)(sl_source_part *p);
	/* Reads what is ready now, rows at offsets below `end` only (INT64_MAX in
	 * continuous mode), as one record vector in *out (NULL if nothing). May
	 * wait up to wait_ns for data to arrive. Advances p->offset. Returns the
	 * number of rows (>= 0), SL_SOURCE_END when the partition has no more data,
	 * or < 0 with p->err set. */
	int (*poll)(sl_source_part *p, int64_t end, int64_t wait_ns,
		    sl_batch **out);
	/* The end offset micro-batch batch_id, planned now, would read up to
	 * (what is available now, within per-batch limits such as
	 * maxFilesPerTrigger). batch_id -1: everything available now, with no
	 * per-batch limit: the end an availableNow trigger works through. */
	int64_t (*latest)(sl_source_part *p, int64_t batch_id);
	void (*close)(sl_source_part *p);
	void (*destroy)(sl_source *src);
	/* true: the source supports the continuous trigger. */
	bool continuous;
	/* Optional. An epoch/batch is committed (and checkpointed, when the
	 * query has a checkpointLocation): partition i has durably processed
	 * everything below ends[i] (n == src->nparts). For sources that tell
	 * an external system (Kafka: the consumer group's offsets, so lag
	 * tools see progress). Called on the coordinator thread while the
	 * partition threads may be polling, so it must only use thread-safe
	 * state; `last` is true for the query's final call (stop), which
	 * should finish before returning rather than fire and forget. */
	void (*commit)(sl_source *src, const int64_t *ends, uint32_t n,
		       bool last);
	/* Optional, for sources whose offsets alone cannot resume them (the
	 * file sources: which files were admitted under which number).
	 * ckpt_save returns JSON text (malloc'd) describing what the source
	 * must remember, or NULL when it has nothing; it runs on the
	 * coordinator thread between micro-batches, before the batch's
	 * offsets are written. ckpt_restore gets that text back before any
	 * partition opens. Returns 0 or < 0 with err set. */
	char *(*ckpt_save)(sl_source *src);
	int (*ckpt_restore)(sl_source *src, const char *json, sl_err *err);
	/* Optional, for the metrics endpoint (core/metrics.c): how many
	 * records partition `part` holds at and after `position` (the
	 * engine's offset: the next record it will read), e.g. a Kafka
	 * consumer's lag; -1 when unknown. Called on the metrics server's
	 * thread while the partition threads poll, at any time between the
	 * query's start and the session's end (also after the query ended,
	 * so after close): it must use only thread-safe state of src, not
	 * the partition's, and must not block on the network. */
	int64_t (*lag)(sl_source *src, uint32_t part, int64_t position);
	/* Dynamic sources (src->dynamic) only; the engine then opens and
	 * starts no partition at start. Serves the membership events that
	 * have arrived, without waiting for more: calls ctl->start for each
	 * slot the query reads from now on and ctl->stop for those it no
	 * longer reads. Runs on the coordinator thread only, first when the
	 * query starts (the source joins its membership then), then
	 * whenever src->wake was called and at least once an epoch. The
	 * engine calls commit on the same thread, so commit sees the
	 * assignment as rebalance left it. Returns 0 or < 0 with err set
	 * (the query fails with it). */
	int (*rebalance)(sl_source *src, sl_source_ctl *ctl, sl_err *err);
	/* Dynamic sources: the query has ended (every thread joined, the
	 * last commit made, the slots closed): give the slots up at once,
	 * so that other members take them over (Kafka: leave the group).
	 * Coordinator thread. */
	void (*leave)(sl_source *src);
	/* Optional, for the progress JSON (the source's "metrics", names to
	 * numbers as in Spark's SourceProgress): up to max of the source's
	 * counters since the query started, into out. Coordinator thread,
	 * while the partition threads poll. Returns how many it set. */
	uint32_t (*metrics)(sl_source *src, sl_source_metric *out,
			    uint32_t max);
	/* Optional: a query starts reading src (after init, before any
	 * partition opens); pd says what it reads (its arrays live as long
	 * as the session). A source that takes it must still give every
	 * row a query could want, and stay right when a second query of
	 * the same source tells it something else (take the union).
	 * Returns 0 or < 0 with err set. */
	int (*pushdown)(sl_source *src, const sl_pushdown *pd, sl_err *err);
} sl_source_ops;

/* poll: the partition's stream has ended. Not an error code: apart from
 * every -errno and every SL_E* code, so an error is never read as an end
 * of stream. */
#define SL_SOURCE_END (-4096)

/* ---- sinks ------------------------------------------------------------ */


typedef struct sl_sink sl_sink;

struct sl_sink {
	const struct sl_sink_ops *ops;
	void *conf;              /* ops->conf_size bytes, filled by the table */
	void *state;             /* the sink's own, set by init */
	const sl_schema *schema; /* the rows the sink receives */
	sl_output_mode mode;
	bool continuous;         /* the trigger is continuous: epochs, not
	                            micro-batches */
	int64_t epoch_ms;        /* the trigger's interval (epochs, or
	                            processing-time batches); 0: none */
	const char *query_name;  /* may be NULL */
	uint32_t nparts;         /* number of input partitions */
	int console_fd;          /* where the console sink writes */
	/* Set by the engine before init, for a sink that keeps a result
	 * table for the host (the memory sink): publish(publish_arg, name,
	 * rows, replace) makes rows the table `name` (replace) or appends
	 * them to it, and takes ownership of rows. Callable on the sink
	 * thread. NULL: the host keeps no tables. */
	void (*publish)(void *publish_arg, const char *name, sl_batch *rows,
			bool replace);
	void *publish_arg;
	struct sl_query *query;
	const sl_sink_callbacks *cb; /* foreach/foreachBatch */
	sl_arena *arena;         /* session arena */
	sl_err err;              /* details when a callback fails */
	/* Set by the engine before init: wakes the sink thread. A sink
	 * whose completions arrive on another thread (librdkafka's
	 * delivery reports) calls wake(wake_arg) from there, so that the
	 * parked sink thread calls durable() soon. */
	void (*wake)(void *wake_arg);
	void *wake_arg;
	/* Set by the engine before init: the query's source, for a sink
	 * that commits what the source read together with its output (the
	 * Kafka sink's transactions). */
	sl_source *source;
	/* Set by the engine before each commit(epoch): source partition i
	 * has read everything below epoch_end[i] when the epoch/batch ends
	 * (source->nparts entries, -1: not read yet); a stateful query's
	 * operators pass them on to the real sink. NULL where not known. */
	const int64_t *epoch_end;
};

/* What a sink counts of its destination's client, for the metrics
 * endpoint (docs/METRICS.md): totals since the sink was made. */
typedef struct sl_sink_stats {
	uint64_t delivery_errors; /* records the destination did not take */
	uint64_t retries;	  /* requests the client sent again */
} sl_sink_stats;

typedef struct sl_sink_ops {
	const char *name;
	const char *description;
	const sl_opt_def *options;
	size_t conf_size;
	unsigned modes;          /* SL_MODE_BIT()s the sink supports */
	/* Optional: the options' cross-option rules (as for sources). */
	const char *(*finalize)(const void *conf);
	bool continuous;         /* supports the continuous trigger */
	/* Options applied, schema known: prepare (open files, connect). */
	int (*init)(sl_sink *sk, sl_err *err);
	/* Rows of the current epoch/batch. Returns 0 (the caller frees b), 1
	 * (the sink took ownership of b and will sl_batch_free it), or < 0 with
	 * sk->err set. Called on the sink thread only. */
	int (*write)(sl_sink *sk, sl_batch *b);
	/* Every row of epoch/batch `epoch` has been written: make it visible
	 * (print the console table, publish the memory table, call
	 * foreachBatch). Returns 0 or < 0 with sk->err set. */
	int (*commit)(sl_sink *sk, int64_t epoch);
	/* The query stops; release everything. Called once, even after
	 * errors. */
	void (*destroy)(sl_sink *sk);
	/* Optional, continuous trigger only: durability apart from commit,
	 * so that an epoch boundary never stalls the record path. When a
	 * sink has it, commit(epoch) in continuous mode only closes the
	 * epoch (it must not wait for the sink's I/O: Kafka delivery
	 * reports, an fsync), and durable() reports, without blocking,
	 * the newest epoch all of whose rows are durable (-1: none yet),
	 * serving whatever completions have arrived. The engine
	 * checkpoints an epoch (and tells the source: Kafka group offsets)
	 * only once durable() has reached it, and at the end waits for the
	 * last committed epoch to become durable. Called on the sink
	 * thread only. Returns 0 or < 0 with sk->err set (a delivery
	 * failure). */
	int (*durable)(sl_sink *sk, int64_t *epoch);
	/* Optional: options applied, schema known (sk->conf, sk->schema):
	 * what init would refuse of them, checked without touching
	 * anything outside (no directory made, no connection), so that
	 * `sluice validate` and sl_frame_check_start refuse what start
	 * would. 0 or < 0 with err set. */
	int (*check)(const sl_sink *sk, sl_err *err);
	/* Optional: the sink's counters now. Sink thread, after each
	 * commit. */
	void (*stats)(sl_sink *sk, sl_sink_stats *out);
} sl_sink_ops;

/* ---- the registry (io/registry.c) ------------------------------------- */

/* Adding a source, a sink or a file format (io/format.h) is one line in
 * io/registry.c; a format brings its file source and file sink. Formats
 * are looked up with sl_format_lookup (io/format.h). */
const sl_source_ops *sl_source_lookup(const char *name);
const sl_sink_ops *sl_sink_lookup(const char *name);
/* NULL-terminated lists, for docs and error messages; filled before main
 * runs and never changed after. */
extern const sl_source_ops *sl_sources[];
extern const sl_sink_ops *sl_sinks[];


#endif
