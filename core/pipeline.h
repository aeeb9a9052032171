/* core/pipeline.h - pipeline files: the SQL-like language `sluice run` reads.
 *
 * A pipeline file names sources, views and sinks and connects them with
 * INSERT INTO statements (docs/PIPELINE.md). It is read in two steps:
 *
 *   sl_pl_parse()       text -> statements (sl_pl_file); no engine involved,
 *                       so the syntax can be tested on its own;
 *   sl_pipeline_load()  statements -> frames, through the public API
 *                       (sl_read_stream, sl_frame_with_watermark,
 *                       sl_frame_where, sl_frame_select, and
 *                       sl_frame_aggregate for GROUP BY / aggregates),
 *                       with every option and expression analysed;
 *   sl_pipeline_start() one sl_frame_start() per INSERT INTO.
 *
 * Every error message starts with "FILE:LINE:COL: " (1-based; columns count
 * characters), pointing at the token, option or expression at fault. */
#ifndef SL_CORE_PIPELINE_H
#define SL_CORE_PIPELINE_H

#include "core/value.h"
#include "sluice.h"

/* ---- the syntax tree -------------------------------------------------- */

typedef enum sl_pl_kind {
	SL_PL_SOURCE, /* CREATE SOURCE name WITH (...) */
	SL_PL_VIEW,   /* CREATE VIEW name AS SELECT ... */
	SL_PL_SINK,   /* CREATE SINK name WITH (...) */
	SL_PL_INSERT, /* INSERT INTO sink SELECT ... */
} sl_pl_kind;

/* A piece of the file: names and option values unquoted and unescaped;
 * expressions verbatim, except that comments and line breaks are spaces
 * (so that a character offset in s is the same offset in the file). */
typedef struct sl_pl_text {
	const char *s;
	uint32_t off; /* byte offset in the file of what s came from */
} sl_pl_text;

typedef struct sl_pl_opt {
	sl_pl_text key, value;
} sl_pl_opt;

/* One equality of a JOIN: [qa.]ca = [qb.]cb (q*.s NULL: unqualified);
 * USING (k) gives ca = cb = k. */
typedef struct sl_pl_joinkey {
	sl_pl_text qa, ca, qb, cb;
} sl_pl_joinkey;

typedef struct sl_pl_select {
	uint32_t off; /* the SELECT keyword */
	uint32_t nitems;
	sl_pl_text *items; /* "value * 10 AS v", "*", ... */
	bool star;	   /* exactly `SELECT *`: no projection */
	sl_pl_text from;   /* the source or view it reads */
	/* [INNER | LEFT [OUTER]] JOIN table ON ... | USING (...): s is NULL
	 * without one */
	sl_pl_text join;
	bool join_left;
	uint32_t njoin;
	sl_pl_joinkey *jkeys;
	/* WATERMARK col DELAY OF interval: s is NULL without it; the delay
	 * as the engine takes it ("10 minutes") */
	sl_pl_text wm_col, wm_delay;
	sl_pl_text where;  /* s is NULL without WHERE */
	bool group_by;     /* GROUP BY given (ngroup may still be 0: never) */
	uint32_t ngroup;
	sl_pl_text *group; /* GROUP BY expressions */
	sl_pl_text having; /* s is NULL without HAVING */
	/* UNION ALL: the next SELECT (its off is where messages about the
	 * union point), or NULL */
	struct sl_pl_select *union_all;
} sl_pl_select;

typedef struct sl_pl_stmt {
	sl_pl_kind kind;
	uint32_t off;	 /* the statement's first keyword */
	sl_pl_text name; /* what CREATE names, or INSERT INTO's sink */
	bool table;	 /* SOURCE: CREATE TABLE, a static table read once */
	uint32_t nopts;	 /* SOURCE and SINK */
	sl_pl_opt *opts;
	sl_pl_select sel; /* VIEW and INSERT */
} sl_pl_stmt;

typedef struct sl_pl_file {
	const char *filename;
	const char *text; /* the file, with comments turned into spaces */
	size_t len;
	uint32_t nstmts;
	sl_pl_stmt *stmts;
	sl_arena arena; /* everything above */
} sl_pl_file;

/* Parses text (len bytes; NULs not allowed) into statements. filename is
 * used in messages only (NULL: "<pipeline>"). Returns 0 and *out (free with
 * sl_pl_free), or SL_ESYNTAX / SL_EANALYSIS (for clauses that are
 * recognised but not supported, such as ORDER BY or JOIN) with err->msg
 * "FILE:LINE:COL: ..." and err->pos the 1-based character offset in the
 * file. */
int sl_pl_parse(const char *text, size_t len, const char *filename,
		sl_pl_file **out, sl_err *err);
void sl_pl_free(sl_pl_file *f);

/* The 1-based line and column (in characters) of byte offset off. */
void sl_pl_linecol(const sl_pl_file *f, uint32_t off, int *line, int *col);

/* ---- loaded pipelines ------------------------------------------------- */

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
