/* ops/group_state.h - arbitrary per-group state: Spark's
 * mapGroupsWithState and flatMapGroupsWithState for C users
 * (sl_frame_group_state in sluice.h), with processing-time and event-time
 * timeouts, and the encoding of its state for the state store.
 *
 * One instance per stateful partition, driven by that partition's thread
 * (today the query's sink thread, engine/stateful.c):
 *
 *   for each record vector of batch N:  sl_group_state_op_add(g, vec) (kept)
 *   at the end of batch N:              sl_group_state_op_run(g, now, out)
 *                                       (read stats, write the state:
 *                                        sl_group_state_op_delta / _snapshot)
 *                                       sl_group_state_op_finish(g)
 *
 * run() groups the batch's rows by key and calls the user's function once
 * per group with rows, then once per group whose timeout is behind the
 * threshold (the processing time, or the watermark of the batch) and had
 * no rows. A group's state is an opaque byte string; the group is kept
 * while it has a state or a timeout. docs/STATEFUL.md, section 10. */
#ifndef SL_OPS_GROUP_STATE_H
#define SL_OPS_GROUP_STATE_H

#include "ops/keyhash.h"
#include "ops/operator.h"
#include "ops/window.h"
#include "sluice.h"

typedef struct sl_group_state_op_spec {
	const sl_schema *in; /* the rows handed to the function */
	uint32_t nkeys;
	const uint32_t *keys;	     /* key columns of in */
	const sl_schema *key_schema; /* those columns, for the key row */
	const sl_schema *out;	     /* the function's output rows */
	sl_group_fn fn;
	void *ud;
	bool flat; /* flatMap: any number of rows per call */
	sl_group_timeout timeout;
	int32_t wm_col; /* the watermark's column of in, or -1 */
	int64_t wm_delay_us;
} sl_group_state_op_spec;

typedef struct sl_group_state_op sl_group_state_op;

/* Makes the operator. The planner (engine/group_state_plan.c) resolved the
 * spec's key and watermark columns against spec->in; NULL with err set
 * (SL_EINVAL) only without a function or an output schema. The spec's
 * arrays and schemas must outlive the operator. */
sl_group_state_op *sl_group_state_op_new(const sl_group_state_op_spec *spec,
					 sl_err *err);
/* Frees the operator, its state and the vectors it holds. NULL is a
 * no-op. */
void sl_group_state_op_free(sl_group_state_op *g);
/* The operator as a stateful operator (ops/operator.h): update is
 * sl_group_state_op_add, emit sl_group_state_op_run, end_batch
 * sl_group_state_op_finish; with an event-time timeout a moved watermark asks
 * for the batch without data, with a processing-time one `due` says when the
 * next is due. */
sl_stateful_op *sl_group_state_op_as_op(sl_group_state_op *g);

/* Takes b (rows of the running batch) until sl_group_state_op_finish. Returns
 * SL_EINVAL if its column count is not the spec's. */
int sl_group_state_op_add(sl_group_state_op *g, sl_batch *b, sl_err *err);

/* Runs the batch: the function for each group with rows, then for each
 * group timed out at now_us (processing time) or at the watermark (event
 * time). Output rows are appended to out (schema spec->out). Returns 0,
 * or < 0 with err set when the function failed or misused its handle
 * (the message names the key). */
int sl_group_state_op_run(sl_group_state_op *g, int64_t now_us, sl_batch *out,
			  sl_err *err);

/* Ends the batch: frees the vectors held, clears the record of changed
 * groups (write the delta before), and advances the watermark from the
 * batch's event times. Returns true if it moved: with an event-time
 * timeout the caller then runs Spark's batch without data (run again,
 * no rows) so that the timeouts the new watermark passes fire. */
bool sl_group_state_op_finish(sl_group_state_op *g);

/* The earliest timeout of any group (us), INT64_MAX if none: when a
 * processing-time timeout is due, even if no rows arrive. */
int64_t sl_group_state_op_next_timeout(const sl_group_state_op *g);

int64_t sl_group_state_op_watermark(const sl_group_state_op *g);
void sl_group_state_op_set_watermark(sl_group_state_op *g, int64_t wm_us);

typedef struct sl_group_state_op_stats {
	uint64_t num_rows_total;   /* groups held */
	uint64_t num_rows_updated; /* groups written by the batch */
	uint64_t num_rows_removed; /* groups removed by the batch */
	uint64_t num_rows_dropped_by_watermark;
	uint64_t num_output_rows;
	uint64_t num_timeouts; /* calls for timed-out groups */
	uint64_t memory_used_bytes;
	int64_t watermark_us;
} sl_group_state_op_stats;

/* The running batch's (after run, before finish). */
void sl_group_state_op_stats_get(const sl_group_state_op *g,
				 sl_group_state_op_stats *st);

/* ---- state store encoding ------------------------------------------------
 * "SLGS", format 1, kind (1 snapshot, 2 delta), version, watermark, key
 * arity and the key columns' type ids, record count; per record the key
 * tuple (canonical encoding) and a presence byte (0: removed); a present
 * record then has its timeout (u64, INT64_MIN for none), an existence
 * byte and the state's bytes (varint length, bytes). */
void sl_group_state_op_snapshot(const sl_group_state_op *g, int64_t version,
				sl_buf *out);
/* The groups written and removed by the running batch: after run,
 * before finish. */
void sl_group_state_op_delta(const sl_group_state_op *g, int64_t version,
			     sl_buf *out);
/* Applies a snapshot (replacing every group) or a delta; sets the
 * watermark it recorded. SL_EINVAL if malformed or of another shape. */
int sl_group_state_op_restore(sl_group_state_op *g, const void *p, size_t n,
			      sl_err *err);

#endif
