/* ops/window.h - event-time windows and the watermark.
 *
 * window(ts, duration[, slide[, startTime]]) assigns a row to every window
 * [start, start + duration) with start <= ts < end, starts spaced `slide`
 * apart from startTime (Spark's TimeWindowing). session_window(ts, gap)
 * gives each row the window [ts, ts + gap); the stateful operator merges
 * the windows of one key that overlap or touch (Spark's
 * MergingSessionsIterator). The watermark is Spark's: the largest event
 * time seen in a batch minus the delay, in effect from the next batch on,
 * never moving backwards; 0 until first computed. Times are microseconds
 * since the epoch (sl_value timestamps). */
#ifndef SL_OPS_WINDOW_H
#define SL_OPS_WINDOW_H

#include "core/value.h"

/* ---- intervals ----------------------------------------------------------- */

/* Parses a Spark interval string as window() and withWatermark take it:
 * "10 minutes", "1 hour 30 minutes", "interval 5 seconds", "500
 * milliseconds", "2 days" (units: microsecond(s), millisecond(s), ms,
 * second(s), sec(s), s, minute(s), min(s), m, hour(s), h, day(s), d,
 * week(s); case-insensitive; whole numbers, optionally negative).
 * Months and years are refused: they have no fixed length. Returns 0 and
 * *us, or SL_EINVAL with err naming the problem. */
int sl_interval_parse(const char *text, int64_t *us, sl_err *err);

/* ---- windows ------------------------------------------------------------- */

typedef enum sl_window_kind {
	SL_WINDOW_NONE = 0,
	SL_WINDOW_TIME,    /* tumbling (slide == duration) or sliding */
	SL_WINDOW_SESSION, /* session_window(ts, gap) */
} sl_window_kind;

typedef struct sl_window_spec {
	sl_window_kind kind;
	int64_t duration_us; /* TIME */
	int64_t slide_us;    /* TIME */
	int64_t start_us;    /* TIME: offset of the window grid */
	int64_t gap_us;      /* SESSION */
} sl_window_spec;

/* Fills a time window spec, checking Spark's rules: duration > 0,
 * 0 < slide <= duration, |start| < slide, and sluice's guard that a row
 * falls in at most SL_WINDOW_MAX_OVERLAP windows. SL_EINVAL with a
 * message otherwise. slide 0 means tumbling (slide = duration). */
#define SL_WINDOW_MAX_OVERLAP 10000
int sl_window_time(sl_window_spec *w, int64_t duration_us, int64_t slide_us,
		   int64_t start_us, sl_err *err);
/* Fills a session window spec; gap must be > 0. */
int sl_window_session(sl_window_spec *w, int64_t gap_us, sl_err *err);

/* The most windows one row can fall in: ceil(duration / slide) for time
 * windows, 1 for sessions. */
uint32_t sl_window_max(const sl_window_spec *w);

/* The starts of the windows holding event time t, latest first (Spark's
 * order); returns how many (at most sl_window_max). Session: the one
 * window [t, t + gap). */
uint32_t sl_window_assign(const sl_window_spec *w, int64_t t,
			  int64_t *starts);

/* The end of the window that starts at `start`. */
static inline int64_t sl_window_end(const sl_window_spec *w, int64_t start)
{
	return start + (w->kind == SL_WINDOW_SESSION ? w->gap_us
						     : w->duration_us);
}

/* struct<start: timestamp, end: timestamp>, the type of window() and
 * session_window() columns. */
extern const sl_dtype sl_dtype_window;

/* A window value {start, end}; the two fields are allocated in a. */
sl_value sl_window_value(int64_t start, int64_t end, sl_arena *a);
/* Reads a window value back; false if v is not one. */
bool sl_window_get(const sl_value *v, int64_t *start, int64_t *end);

/* ---- the watermark ------------------------------------------------------- */

typedef struct sl_watermark {
	int64_t delay_us;
	int64_t current_us;   /* in effect for the running batch: state
				 is evicted (windows closed, timeouts
				 fired) by it */
	/* The watermark of the batch before the running one: Spark 3.4+
	 * judges late rows by it (eventTimeWatermarkForLateEvents), so a
	 * row between it and current_us still enters the state the running
	 * batch then evicts. After a batch without data the two are equal. */
	int64_t late_us;
	int64_t max_event_us; /* largest event time of the running batch */
	bool seen;            /* max_event_us holds a value */
} sl_watermark;

void sl_watermark_init(sl_watermark *w, int64_t delay_us);
/* Notes an event time of the running batch. */
static inline void sl_watermark_observe(sl_watermark *w, int64_t t)
{
	if (!w->seen || t > w->max_event_us) {
		w->max_event_us = t;
		w->seen = true;
	}
}
/* Folds another partition's observations of the running batch into w
 * (the watermark is global: the max over every partition). */
void sl_watermark_merge(sl_watermark *w, const sl_watermark *other);
/* The watermark for the next batch from this batch's observations,
 * without changing w. Spark works in milliseconds: max event time
 * truncated to ms, minus the delay in ms; never below the current one. */
int64_t sl_watermark_next(const sl_watermark *w);
/* Ends the batch: current = sl_watermark_next(w), observations reset.
 * Returns true if the watermark moved (Spark then runs a batch without
 * data so that append mode emits what the new watermark closes). */
bool sl_watermark_advance(sl_watermark *w);

#endif
