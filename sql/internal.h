/* sql/internal.h - what the files of sql/ share and nothing else sees: the
 * syntax tree sql/parser.c makes and sql/builder.c reads, the tokens
 * sql/lexer.c hands the parser, the located error messages, and the
 * relations (one per statement) that the builder, sql/options.c and
 * sql/explain.c fill and read. sql/pipeline.h is the public face. */
#ifndef SL_SQL_INTERNAL_H
#define SL_SQL_INTERNAL_H

#include <stdarg.h>

#include "core/value.h"
#include "engine/trigger.h"
#include "sql/pipeline.h"
#include "sluice.h"

/* ---- the syntax tree -------------------------------------------------- */

typedef enum sl_pipeline_kind {
	SL_PIPELINE_SOURCE, /* CREATE SOURCE name WITH (...) */
	SL_PIPELINE_VIEW,   /* CREATE VIEW name AS SELECT ... */
	SL_PIPELINE_SINK,   /* CREATE SINK name WITH (...) */
	SL_PIPELINE_INSERT, /* INSERT INTO sink SELECT ... */
	SL_PIPELINE_SET,    /* SET key = value: opts[0] */
} sl_pipeline_kind;

/* Whether a statement of kind k defines a name (a source, a view, a
 * sink). */
static inline bool sl_pipeline_defines(sl_pipeline_kind k)
{
	return k == SL_PIPELINE_SOURCE || k == SL_PIPELINE_VIEW ||
	       k == SL_PIPELINE_SINK;
}

/* A piece of the file: names and option values unquoted and unescaped;
 * expressions verbatim, except that comments and line breaks are spaces
 * (so that a character offset in s is the same offset in the file). */
typedef struct sl_pipeline_text {
	const char *s;
	uint32_t off; /* byte offset in the file of what s came from */
} sl_pipeline_text;

typedef struct sl_pipeline_opt {
	sl_pipeline_text key, value;
} sl_pipeline_opt;

/* One equality of a JOIN: [qa.]ca = [qb.]cb (q*.s NULL: unqualified);
 * USING (k) gives ca = cb = k. */
typedef struct sl_pipeline_joinkey {
	sl_pipeline_text qa, ca, qb, cb;
} sl_pipeline_joinkey;

typedef struct sl_pipeline_select {
	uint32_t off; /* the SELECT keyword */
	uint32_t nitems;
	sl_pipeline_text *items; /* "value * 10 AS v", "*", ... */
	bool star;		 /* exactly `SELECT *`: no projection */
	sl_pipeline_text from;	 /* the source or view it reads */
	/* [INNER | LEFT [OUTER]] JOIN table ON ... | USING (...): s is NULL
	 * without one */
	sl_pipeline_text join;
	bool join_left;
	uint32_t njoin;
	sl_pipeline_joinkey *jkeys;
	/* WATERMARK col DELAY OF interval: s is NULL without it; the delay
	 * as the engine takes it ("10 minutes") */
	sl_pipeline_text wm_col, wm_delay;
	sl_pipeline_text where; /* s is NULL without WHERE */
	bool group_by; /* GROUP BY given (ngroup may still be 0: never) */
	uint32_t ngroup;
	sl_pipeline_text *group; /* GROUP BY expressions */
	sl_pipeline_text having; /* s is NULL without HAVING */
	/* UNION ALL: the next SELECT (its off is where messages about the
	 * union point), or NULL */
	struct sl_pipeline_select *union_all;
} sl_pipeline_select;

typedef struct sl_pipeline_stmt {
	sl_pipeline_kind kind;
	uint32_t off;	       /* the statement's first keyword */
	sl_pipeline_text name; /* what CREATE names, or INSERT INTO's sink */
	bool table;	/* SOURCE: CREATE TABLE, a static table read once */
	uint32_t nopts; /* SOURCE and SINK */
	sl_pipeline_opt *opts;
	sl_pipeline_select sel; /* VIEW and INSERT */
} sl_pipeline_stmt;

typedef struct sl_pipeline_file {
	const char *filename;
	const char *text; /* the file, with comments turned into spaces */
	size_t len;
	uint32_t nstmts;
	sl_pipeline_stmt *stmts;
	sl_arena arena; /* everything above */
} sl_pipeline_file;

/* Parses text (len bytes; NULs not allowed) into statements. filename is
 * used in messages only (NULL: "<pipeline>"). Returns 0 and *out (free with
 * sl_pipeline_file_free), or SL_ESYNTAX / SL_EANALYSIS (for clauses that are
 * recognised but not supported, such as ORDER BY or JOIN) with err->msg
 * "FILE:LINE:COL: ..." and err->pos the 1-based character offset in the
 * file. */
int sl_pipeline_parse(const char *text, size_t len, const char *filename,
		      sl_pipeline_file **out, sl_err *err);
void sl_pipeline_file_free(sl_pipeline_file *f);

/* The 1-based line and column (in characters) of byte offset off. */
void sl_pipeline_linecol(const sl_pipeline_file *f, uint32_t off, int *line,
			 int *col);

/* ---- located errors (sql/lexer.c) ------------------------------------- */

/* Sets err to code and "FILE:LINE:COL: " + the message, the position
 * being byte offset off of the file (err->pos: its 1-based character
 * offset). Returns code; err NULL: returns code only. */
int sl_pipeline_verr(const sl_pipeline_file *f, sl_err *err, int code,
		     uint32_t off, const char *fmt, va_list ap);
int sl_pipeline_err(const sl_pipeline_file *f, sl_err *err, int code,
		    uint32_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- tokens (sql/lexer.c -> sql/parser.c) ----------------------------- */

enum { TK_WORD, TK_STRING, TK_QUOTED_ID, TK_PUNCT };

struct sl_pipeline_token {
	uint8_t kind;
	char ch; /* TK_PUNCT */
	uint32_t off, len;
};

struct sl_pipeline_lexer {
	sl_pipeline_file *f;
	char *text; /* == f->text, writable while we blank comments */
	struct sl_pipeline_token *t;
	uint32_t n, cap;
};

/* Splits f's text into lx->t, comments blanked in place. */
int sl_pipeline_lex(struct sl_pipeline_lexer *lx, sl_err *err);

/* ---- relations (sql/builder.c, sql/options.c, sql/explain.c) ---------- */

/* One per statement, in file order. */
struct sl_pipeline_rel {
	const sl_pipeline_stmt *st;
	sl_frame *frame; /* SOURCE, VIEW, INSERT */
	/* VIEW, INSERT: what it reads; the next UNION ALL SELECT, or NULL;
	 * the JOIN's table */
	struct sl_pipeline_rel *from, *arm, *table;
	const char **jl, **jr; /* VIEW, INSERT: the join keys */
	const char **items;    /* VIEW, INSERT: SELECT items, NULL */
	const char **keys;     /* VIEW, INSERT: GROUP BY expressions */
	bool aggregate;	       /* VIEW, INSERT: sl_frame_aggregate */
	bool distinct;	       /* VIEW, INSERT: SELECT DISTINCT */
	bool claimed;	       /* SOURCE: an INSERT runs on frame */
	/* INSERT: its sink; SINK: the INSERT writing to it */
	const struct sl_pipeline_rel *sink, *writer;
	const sl_pipeline_opt *format; /* SOURCE, SINK: the format option */
	const char *fmt_name;	       /* the format, as its plugin says */
	/* SOURCE, SINK: key, value, ..., NULL, all but format: what the
	 * engine gets */
	const char **opts;
	int mode;		/* SINK: sl_output_mode */
	sl_trigger trig;	/* SINK */
	const char *query_name; /* SINK: queryName or NULL */
	bool sink_continuous;	/* SINK: supports continuous */
	unsigned sink_modes;	/* SINK: SL_MODE_BIT()s */
	sl_query *q;		/* INSERT, once started */
	char *label;		/* INSERT: "f.sql:1:1: INSERT INTO o" */
};

struct sl_pipeline {
	sl_session *s;
	sl_pipeline_file *f;
	uint32_t nrels;
	struct sl_pipeline_rel *rels;
	uint32_t nq;
	struct sl_pipeline_rel **qs; /* the INSERTs */
	bool started;
};

/* "source", "view" or "sink". */
const char *sl_pipeline_kind_name(sl_pipeline_kind k);

/* ---- options (sql/options.c) ------------------------------------------ */

/* Whether key is one of the query's options (sl_writer_option_names:
 * outputMode, trigger, ...) rather than the sink's own. */
bool sl_pipeline_is_writer_option(const char *key);

/* Where in the file an engine message about statement st's options
 * points: the option it quotes first, else the statement's name. */
uint32_t sl_pipeline_blame_opt(const sl_pipeline_stmt *st, const char *msg);

/* Where option key of a source or sink is: its value, else the
 * statement's name. */
uint32_t sl_pipeline_opt_off(const struct sl_pipeline_rel *r, const char *key);

/* The format option into r->format, and the rest into r->opts as the
 * engine's key/value array. */
int sl_pipeline_split_format(sl_pipeline *p, struct sl_pipeline_rel *r,
			     sl_err *err);

/* A CREATE SINK: its format and options checked (the sink is not
 * opened), its output mode, trigger and query name kept in r. */
int sl_pipeline_check_sink(sl_pipeline *p, struct sl_pipeline_rel *r,
			   sl_err *err);

/* What sl_frame_start would refuse for INSERT r on its sink. */
int sl_pipeline_check_start(sl_pipeline *p, const struct sl_pipeline_rel *r,
			    sl_err *err);

#endif
