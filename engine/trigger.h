/* engine/trigger.h - triggers, the writer options every query takes
 * besides its sink's own, and the whole options reference. */
#ifndef SL_ENGINE_TRIGGER_H
#define SL_ENGINE_TRIGGER_H

#include "io/plugin.h"


typedef enum sl_trigger_kind {
	SL_TRIG_DEFAULT = 0,   /* micro-batch, next as soon as the last ends */
	SL_TRIG_PROCESSING,    /* micro-batch every interval_ms */
	SL_TRIG_ONCE,          /* one micro-batch of everything available */
	SL_TRIG_AVAILABLE_NOW, /* micro-batches until what was available at
	                          start is done */
	SL_TRIG_CONTINUOUS,    /* record at a time, epoch every interval_ms */
} sl_trigger_kind;

typedef struct sl_trigger {
	sl_trigger_kind kind;
	int64_t interval_ms;
} sl_trigger;

/* Parses a trigger as the writer option `trigger` gives it, case-
 * insensitively: "" or "default"; "processingTime 10 seconds" (also
 * "processingTime=10 seconds", "processingTime='10 seconds'"); "once";
 * "availableNow"; "continuous 1 second" (also "continuous=1 second").
 * Returns 0 or SL_EOPTION with a message listing the accepted forms. */
int sl_trigger_parse(const char *text, sl_trigger *out, sl_err *err);
/* "continuous 1000 ms" style text for plans and status. */
size_t sl_trigger_describe(const sl_trigger *t, char *buf, size_t n);

/* The options every query takes besides its sink's own. */
typedef struct sl_writer_conf {
	int output_mode;            /* sl_output_mode, ENUM append|update|complete */
	const char *trigger;        /* parsed with sl_trigger_parse */
	const char *query_name;     /* queryName */
	const char *checkpoint;     /* checkpointLocation */
	int64_t min_batches_to_retain; /* minBatchesToRetain, >= 1 */
	int64_t stateful_partitions;   /* statefulPartitions, 1..64 */
	int64_t max_state_rows;        /* maxStateRows, 0: no limit */
	int64_t max_state_bytes;       /* maxStateBytes, 0: no limit */
} sl_writer_conf;
extern const sl_opt_def sl_writer_options[];
/* The writer options' names, NULL-terminated: the `ignore` list for the
 * sink's own table. */
extern const char *const sl_writer_option_names[];

/* The whole options reference (every source, sink and the writer options) as
 * Markdown: what docs/OPTIONS.md holds. malloc'd; free with free(). */
char *sl_options_reference(void);

#endif
