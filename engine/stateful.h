/* engine/stateful.h - stateful queries: the plan of an aggregation (GROUP BY
 * with aggregates, windows, a watermark) and how a query runs it.
 *
 * Plan (engine/stateful_plan.c). sl_frame_with_watermark() adds a
 * watermark frame (rows pass unchanged; it only names the event-time
 * column and the delay).
 * sl_frame_group_by() / sl_frame_aggregate() analyse keys and aggregate
 * expressions and add three kinds of frames over the input:
 *
 *   input -> pre-projection [keys..., aggregate arguments..., watermark]
 *         -> aggregate frame (the sl_groupby operator's plan; schema: the
 *            keys, the window as struct window{start, end}, then one
 *            column per distinct aggregate call)
 *         -> output projection (and HAVING): what the user asked for
 *
 * Execution (engine/stateful.c; docs/STATEFUL.md, section 7). The partition
 * threads run the fused stateless chain up to the pre-projection. The aggregation runs on
 * the query's sink thread, as a *stateful sink* that wraps the real one:
 * write() folds each record vector into one sl_groupby (all keys, one
 * stateful partition), commit(N) emits by output mode, runs the output
 * projection, writes the rows to the real sink and commits it, then
 * advances the watermark. With statefulPartitions N > 1 the groups are
 * spread over N worker threads by key hash instead (engine/stateful_part.h):
 * write() routes the rows to their rings, commit(N) runs rounds over
 * them. engine/exec.c needs no change: it only calls the
 * sink's write, commit and destroy.
 *
 * A deduplication (dropDuplicates, SELECT DISTINCT; ops/dedup.h) is
 * another stateful operator: write() filters each vector and passes what
 * it keeps on to the real sink at once; commit(N) advances the watermark
 * and evicts. Per-group state (map/flatMapGroupsWithState;
 * ops/group_state.h) is the third: write() keeps each vector, commit(N)
 * calls the user's function per group with rows and per timed-out group,
 * and writes what it emitted to the real sink. An aggregation may sit
 * over a flatMapGroupsWithState in append mode or a deduplication: the
 * stateful sink then runs both, the lower one's rows feeding the
 * aggregation in the same batch (docs/STATEFUL.md, section 12).
 *
 * The stateful sink holds its operators as a chain of sl_stateful_op
 * instances (ops/operator.h), the one rows enter first, and drives them
 * through that interface only.
 *
 * State store (engine/state_store.h; docs/STATEFUL.md, section 8). With a
 * checkpointLocation, commit(N) writes state/0/<partition>/<N>.delta (and
 * every 10 batches <N>.snapshot; a chain's lower operator in state/1/0/)
 * crash-safely before the real sink commits N; the first write or commit
 * of a run restores the last committed batch's state from them (the
 * checkpoint was recovered by sl_exec_start before the threads started). */
#ifndef SL_CORE_STATEFUL_H
#define SL_CORE_STATEFUL_H

#include "engine/engine.h"
#include "ops/dedup.h"
#include "ops/group_state.h"
#include "ops/groupby.h"

/* Frame kinds beyond the stateless ones of engine.h. They never reach the
 * fused chain: sl_stateful_chain() skips watermark frames, and a query
 * runs the frames above an aggregate frame on the sink thread. */

/* withWatermark(column, delay): rows pass unchanged. */
typedef struct sl_wm_frame {
	sl_frame f;           /* kind SL_FR_WATERMARK; schema: the parent's */
	const char *column;   /* event-time column, as given */
	const char *delay;    /* the delay as given ("10 minutes") */
	int64_t delay_us;
} sl_wm_frame;

/* One aggregation, or one deduplication (dedup: dropDuplicates, SELECT
 * DISTINCT), or one group state: a stateful operator. A deduplication is
 * a frame of the same kind so that everything that finds "the stateful
 * operator" (sl_stateful_find: the mode check, the one stateful sink
 * partition, the chain split) finds it too; with two (an aggregation over
 * one of the others) it finds the top one, sl_stateful_lower the other.
 * Everything lives in the session arena. */
typedef struct sl_agg_frame {
	sl_frame f;              /* kind SL_FR_AGGREGATE; parent: the
	                            pre-projection (dedup: the input);
	                            schema: keys then aggregates (dedup: the
	                            input's) */
	const sl_frame *input;   /* the frame grouped */
	sl_groupby_spec spec;    /* spec.mode is set when a query starts */
	const sl_wm_frame *wm;   /* the watermark below, or NULL */
	const char *keys_text;   /* "word, window(timestamp, ...)", for plans */
	const char *aggs_text;   /* "count(1), sum(x)" */
	bool dedup;              /* a deduplication: dspec, not spec */
	sl_dedup_spec dspec;
	bool gstate;             /* map/flatMapGroupsWithState: gspec */
	sl_group_state_op_spec gspec;
	sl_output_mode gmode;       /* the mode the function is written for
	                            (update for map) */
} sl_agg_frame;

/* Makes the frames of an aggregation over f (see sl_frame_aggregate in
 * sluice.h): keys are GROUP BY expressions, items the output expressions
 * (over keys and aggregate calls), having a condition or NULL. With
 * keys_first the output is every key, then the items (DataFrame groupBy().
 * agg()), and every item must contain an aggregate call. Returns the top
 * frame, or NULL with err set (SL_ESYNTAX, SL_EANALYSIS). */
sl_frame *sl_stateful_aggregate(sl_frame *f, const char *const *keys,
				const char *const *items, const char *having,
				bool keys_first, sl_err *err);
/* dropDuplicates(cols) over f (cols NULL or empty: every column); NULL
 * with err set (SL_EANALYSIS). */
sl_frame *sl_stateful_drop_duplicates(sl_frame *f, const char *const *cols,
				      sl_err *err);
/* mapGroupsWithState / flatMapGroupsWithState over f (see
 * sl_frame_group_state in sluice.h; engine/group_state_plan.c); NULL with err
 * set (SL_EINVAL, SL_EANALYSIS). */
sl_frame *sl_stateful_group_state(sl_frame *f, const char *const *keys,
				  const sl_group_state_spec *spec,
				  sl_err *err);
/* The index in `in` of each of the n column names cols, into idx; 0, or
 * SL_EANALYSIS naming the column (what: the operator, for the message). */
int sl_stateful_columns(const sl_schema *in, const char *const *cols,
			uint32_t n, const char *what, uint32_t *idx,
			sl_err *err);
/* Fills the frame of a stateful operator that is not an aggregation
 * (dedup, group state: the caller set its spec) over f: its output
 * schema, the watermark it uses (or NULL), its key names for plans. */
void sl_stateful_op_frame(sl_agg_frame *ag, sl_frame *f,
			  const sl_schema *schema, const sl_wm_frame *wm,
			  const char *const *keys, uint32_t nkeys);
/* "a, b, c": n strings joined, in a (plan descriptions). */
const char *sl_stateful_join_text(sl_arena *a, const char *const *v,
				  uint32_t n);
/* A watermark frame over f; NULL with err set. */
sl_frame *sl_stateful_watermark(sl_frame *f, const char *column,
				const char *delay, sl_err *err);

/* The top stateful operator's frame under top (top included), or NULL
 * if the query is stateless. */
sl_agg_frame *sl_stateful_find(const sl_frame *top);
/* The stateful operator below ag's input: the lower one of a chain of
 * two (flatMapGroupsWithState in append mode under an aggregation, the
 * one chain sluice runs), or NULL. */
sl_agg_frame *sl_stateful_lower(const sl_agg_frame *ag);
/* The fused chain from the source up to top, watermark frames left out
 * (they do nothing to rows); if a stateful operator lies below top, up to
 * the lowest one's input. Allocated in a. */
sl_chain *sl_stateful_chain(const sl_frame *top, sl_arena *a);
/* The where/select frames rows go through from below top up to top, stop
 * (exclusive, or NULL: down to the source) to top, watermarks left out;
 * fills c, allocating in a (engine/stateful_plan.c; the stateful sink uses
 * it for the frames above and between its operators). */
void sl_stateful_chain_fill(sl_chain *c, const sl_frame *top,
			    const sl_frame *stop, sl_arena *a);

/* Spark's compatibility table for an aggregation: output mode against
 * the watermark and window (Spark's messages). 0 or SL_EMODE. */
int sl_stateful_check_mode(const sl_agg_frame *ag, int mode, sl_err *err);

/* How many stateful partitions run the operator when the writer asked
 * for `asked` (statefulPartitions): an aggregation by at least one key
 * besides a window takes them; anything else runs on one. */
uint32_t sl_stateful_partitions(const sl_agg_frame *ag, int64_t asked);
/* statefulPartitions above 1 for an operator that runs on one partition
 * only (dropDuplicates, group state): SL_EINVAL with the message. */
int sl_stateful_check_partitions(const sl_agg_frame *ag, int64_t asked,
				 sl_err *err);

/* Starts the stateful side of query q, whose real sink (q->sink) is
 * initialised: makes the operator, moves the real sink inside a stateful
 * sink and installs that one as q->sink. fell_back: the query asked for
 * a continuous trigger and runs micro-batches instead (the status says
 * so). On error the real sink is left in q->sink, untouched. */
int sl_stateful_wrap(sl_query *q, sl_agg_frame *ag, bool fell_back,
		     sl_err *err);

/* For sl_query_status: a note to append to the status message of a
 * stateful query that fell back from a continuous trigger ("continuous
 * trigger on a stateful query: micro-batches every 1000 ms"). Returns
 * false (and writes nothing) for other queries. Any thread. */
bool sl_stateful_status_note(const sl_query *q, char *buf, size_t n);

/* For the progress record (engine/exec.c, on the sink thread after commit):
 * the "stateOperators" array of the last committed batch, Spark's fields
 * (numRowsTotal, numRowsUpdated, numRowsRemoved,
 * numRowsDroppedByWatermark, memoryUsedBytes, ...); an empty array for a
 * stateless query. A new jansson reference (json_t *). */

struct json_t;
struct json_t *sl_stateful_progress(const sl_query *q);
/* Rows the stateful sink wrote to the real sink in the last committed
 * batch (the progress's sink numOutputRows); false if q is stateless. */
bool sl_stateful_output_rows(const sl_query *q, uint64_t *rows);

#endif
