/* sql/pipeline.h - pipeline files: the SQL-like language `sluice run` reads,
 * as cli/ uses it.
 *
 * A pipeline file names sources, views and sinks and connects them with
 * INSERT INTO statements (docs/PIPELINE.md). sql/ reads it in steps, each
 * its own file, sharing sql/internal.h:
 *
 *   sql/lexer.c    text -> tokens, with comments blanked; the
 *                  "FILE:LINE:COL: " of every message;
 *   sql/parser.c   tokens -> statements (sl_pipeline_file); no engine
 *                  involved, so the syntax can be tested on its own;
 *   sql/builder.c  statements -> frames, through the public API
 *                  (sl_session_read_stream, sl_frame_with_watermark, sl_frame_where,
 *                  sl_frame_select, sl_frame_aggregate for GROUP BY and
 *                  aggregates, sl_frame_join, sl_frame_union), with every
 *                  expression analysed; one sl_frame_start() per INSERT
 *                  INTO;
 *   sql/options.c  the WITH options of sources and sinks, a sink's checked
 *                  by the tables sl_frame_start will use;
 *   sql/explain.c  the plan `sluice validate` prints.
 *
 * Every error message starts with "FILE:LINE:COL: " (1-based; columns count
 * characters), pointing at the token, option or expression at fault. */
#ifndef SL_SQL_PIPELINE_H
#define SL_SQL_PIPELINE_H

#include "core/value.h" /* sl_err */
#include "sluice.h"

typedef struct sl_pipeline sl_pipeline;

/* Parses text and builds every source and view in session s, and checks
 * every sink and INSERT INTO: formats, options (by the components' own
 * option tables), expressions (parsed and bound), output mode and trigger.
 * Starts nothing. Returns 0 and *out (free with sl_pipeline_free, before
 * the session), or < 0 with err->msg "FILE:LINE:COL: ...". */
int sl_pipeline_load(sl_session *s, const char *text, size_t len,
		     const char *filename, sl_pipeline **out, sl_err *err);

/* Starts one query per INSERT INTO, in file order. If one fails to start,
 * the ones already started are stopped and the error names the INSERT.
 * Returns 0 or < 0 with err set. Not twice. */
int sl_pipeline_start(sl_pipeline *p, sl_err *err);

/* The plan, as `sluice validate` prints it: each source with its format,
 * options and schema, each view, and each query with its sink, output
 * mode, trigger and chain of operators. Writes at most n bytes
 * (NUL-terminated); returns the full length. */
size_t sl_pipeline_describe(const sl_pipeline *p, char *buf, size_t n);

/* The queries, one per INSERT INTO in file order. sl_pipeline_query is
 * NULL before sl_pipeline_start. The label, "FILE:LINE:COL: INSERT INTO
 * out", starts messages about the query; valid while p lives. */
uint32_t sl_pipeline_nqueries(const sl_pipeline *p);
sl_query *sl_pipeline_query(const sl_pipeline *p, uint32_t i);
const char *sl_pipeline_query_label(const sl_pipeline *p, uint32_t i);

/* Frees the pipeline's own memory. Its frames and queries belong to the
 * session: running queries keep running until sl_query_stop or
 * sl_session_destroy. NULL is a no-op. */
void sl_pipeline_free(sl_pipeline *p);

#endif
