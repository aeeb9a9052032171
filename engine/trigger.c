/* engine/trigger.c - triggers and the writer options every query takes.
 *
 * A query's timing comes from the writer option `trigger`, written the way
 * Spark users write it in Scala or Python ("processingTime='10 seconds'",
 * "continuous 1 second", "once", "availableNow"). This file turns that text
 * into an sl_trigger for the coordinator (engine/exec_coord.c), and
 * declares the option table of the writer options (outputMode, trigger,
 * queryName, checkpointLocation), which the query consumes and every sink
 * ignores. */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/trigger.h"

#define TRIGGER_FORMS                                                          \
	"default (or unset), processingTime '<interval>', once, "              \
	"availableNow, continuous '<interval>' (e.g. "                         \
	"'processingTime 10 seconds', 'continuous=1 second')"

static int bad_trigger(const char *text, const char *why, sl_err *err)
{
	return sl_err_set(
	    err, SL_EOPTION,
	    "trigger '%s' is not valid%s%s; use one of: " TRIGGER_FORMS, text,
	    why ? ": " : "", why ? why : "");
}

static bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncasecmp(s, word, len);
}

int sl_trigger_parse(const char *text, sl_trigger *out, sl_err *err)
{
	const char *s, *end, *kw, *val, *vend;
	size_t kwlen, vlen;
	char buf[128];
	int64_t ms;
	sl_err derr;

	out->kind = SL_TRIG_DEFAULT;
	out->interval_ms = 0;
	if (!text)
		return 0;
	s = text;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end)
		return 0;

	kw = s;
	while (s < end && isalpha((unsigned char)*s))
		s++;
	kwlen = (size_t)(s - kw);
	while (s < end && isspace((unsigned char)*s))
		s++;
	/* The argument, as Python's trigger(processingTime='10 seconds')
	 * and Scala's Trigger.ProcessingTime("10 seconds") spell it. */
	if (s < end && *s == '=') {
		s++;
		while (s < end && isspace((unsigned char)*s))
			s++;
	}
	val = s;
	vend = end;
	if (val < vend && (*val == '\'' || *val == '"')) {
		if (vend - val < 2 || vend[-1] != *val)
			return bad_trigger(text, "unbalanced quotes", err);
		val++;
		vend--;
	}
	vlen = (size_t)(vend - val);

	if (word_is(kw, kwlen, "default")) {
		if (vlen)
			return bad_trigger(text, "default takes no interval",
					   err);
		return 0;
	}
	if (word_is(kw, kwlen, "once") || word_is(kw, kwlen, "availableNow")) {
		/* once=true / availableNow=true: Python's keyword form. */
		if (vlen && !word_is(val, vlen, "true"))
			return bad_trigger(text, "takes no interval", err);
		out->kind = word_is(kw, kwlen, "once") ? SL_TRIG_ONCE
						       : SL_TRIG_AVAILABLE_NOW;
		return 0;
	}
	if (!word_is(kw, kwlen, "processingTime") &&
	    !word_is(kw, kwlen, "continuous"))
		return bad_trigger(text, NULL, err);

	if (!vlen)
		return bad_trigger(text, "missing the interval", err);
	if (vlen >= sizeof(buf))
		return bad_trigger(text, "interval too long", err);
	memcpy(buf, val, vlen);
	buf[vlen] = 0;
	if (sl_duration_parse(buf, &ms, &derr))
		return bad_trigger(text, derr.msg, err);
	if (word_is(kw, kwlen, "continuous")) {
		/* The interval is how often epochs are checkpointed; zero would
		 * mean checkpointing without pause. */
		if (ms <= 0)
			return bad_trigger(text,
					   "the continuous interval "
					   "must be positive",
					   err);
		out->kind = SL_TRIG_CONTINUOUS;
	} else {
		/* processingTime 0 is allowed, as in Spark, where it runs
		 * batches back to back like the default trigger. */
		out->kind = SL_TRIG_PROCESSING;
	}
	out->interval_ms = ms;
	return 0;
}

size_t sl_trigger_describe(const sl_trigger *t, char *buf, size_t n)
{
	int k;

	switch (t->kind) {
	case SL_TRIG_PROCESSING:
		k = snprintf(buf, n, "processingTime %lld ms",
			     (long long)t->interval_ms);
		break;
	case SL_TRIG_ONCE:
		k = snprintf(buf, n, "once");
		break;
	case SL_TRIG_AVAILABLE_NOW:
		k = snprintf(buf, n, "availableNow");
		break;
	case SL_TRIG_CONTINUOUS:
		k = snprintf(buf, n, "continuous %lld ms",
			     (long long)t->interval_ms);
		break;
	case SL_TRIG_DEFAULT:
	default:
		k = snprintf(buf, n, "default");
		break;
	}
	return k < 0 ? 0 : (size_t)k;
}

/* ---- writer options --------------------------------------------------- */

/* Indexed by sl_output_mode: the ENUM option stores the index. */
static const char *const output_modes[] = {"append", "update", "complete",
					   NULL};

_Static_assert(SL_MODE_APPEND == 0 && SL_MODE_UPDATE == 1 &&
		   SL_MODE_COMPLETE == 2,
	       "output_modes[] is indexed by sl_output_mode");

/* clang-format off */
const sl_opt_def sl_writer_options[] = {
	{
		.name = "outputMode",
		.type = SL_OPT_ENUM,
		.offset = offsetof(sl_writer_conf, output_mode),
		.def = "append",
		.allowed = output_modes,
		.desc = "What is written at each batch/epoch: new rows only "
			"(append), changed rows (update) or the whole result "
			"table (complete).",
	},
	{
		.name = "trigger",
		.type = SL_OPT_STRING,
		.offset = offsetof(sl_writer_conf, trigger),
		.desc = "When batches run: unset for the default micro-batch "
			"trigger, 'processingTime 10 seconds', 'once', "
			"'availableNow' or 'continuous 1 second'.",
	},
	{
		.name = "queryName",
		.type = SL_OPT_STRING,
		.offset = offsetof(sl_writer_conf, query_name),
		.desc = "The query's name, shown in progress reports; the "
			"memory sink's table name.",
	},
	{
		.name = "checkpointLocation",
		.type = SL_OPT_STRING,
		.offset = offsetof(sl_writer_conf, checkpoint),
		.desc = "Directory where the query keeps its offsets and "
			"commits.",
	},
	{
		.name = "minBatchesToRetain",
		.type = SL_OPT_INT,
		.offset = offsetof(sl_writer_conf, min_batches_to_retain),
		.min = 1,
		.max = INFINITY,
		.def = "100",
		.desc = "How many committed batches/epochs keep their "
			"offsets and commits files in checkpointLocation; "
			"older ones are deleted.",
	},
	{
		.name = "statefulPartitions",
		.type = SL_OPT_INT,
		.offset = offsetof(sl_writer_conf, stateful_partitions),
		.min = 1,
		.max = 64,
		.def = "1",
		.desc = "Aggregations: how many stateful partitions (worker "
			"threads) hold the groups, rows going to one by "
			"the hash of their key (Spark's "
			"spark.sql.shuffle.partitions). Fixed for a "
			"checkpointLocation once it has state.",
	},
	{
		.name = "maxStateRows",
		.type = SL_OPT_INT,
		.offset = offsetof(sl_writer_conf, max_state_rows),
		.min = 0,
		.max = INFINITY,
		.def = "0",
		.desc = "Stateful queries: the most rows (groups, keys) a "
			"stateful operator may hold at the end of a batch; "
			"more fails the query naming the operator (0: no "
			"limit; sluice, not Spark).",
	},
	{
		.name = "maxStateBytes",
		.type = SL_OPT_INT,
		.offset = offsetof(sl_writer_conf, max_state_bytes),
		.min = 0,
		.max = INFINITY,
		.def = "4294967296",
		.desc = "Stateful queries: the most memory, in bytes, a "
			"stateful operator's state may take at the end of a "
			"batch (its memoryUsedBytes); more fails the query "
			"naming the operator, instead of growing until the "
			"host runs out of memory (0: no limit; sluice, not "
			"Spark).",
	},
	{ .name = NULL },
};
/* clang-format on */

const char *const sl_writer_option_names[] = {
    "outputMode", "trigger", "queryName", "checkpointLocation",
    "minBatchesToRetain", "statefulPartitions", "maxStateRows",
    "maxStateBytes", NULL,
};
