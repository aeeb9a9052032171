/* core/pipeline.c - pipeline files: parsing statements, building frames.
 *
 * `sluice run FILE` reads a pipeline file (docs/PIPELINE.md) and this file
 * turns it into the calls a C program would make: sl_read_stream per CREATE
 * SOURCE, sl_frame_where/sl_frame_select per view or INSERT, sl_frame_start
 * per INSERT. Expressions are not interpreted here: a WHERE condition and
 * each SELECT item travel verbatim to the engine, so the file language and
 * the C API accept exactly the same expressions (the engine's parser is
 * asked only where a syntax error is, to locate it in the file). The
 * statement parser only needs to know where expressions start and end: a
 * small tokenizer that knows quotes, backticks, comments and parentheses
 * is enough for that. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/expr.h"
#include "core/pipeline.h"
#include "core/plugin.h"

/* ---- positions and errors ------------------------------------------- */

void sl_pl_linecol(const sl_pl_file *f, uint32_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (uint32_t i = 0; i < off && i < f->len; i++) {
		unsigned char ch = (unsigned char)f->text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			/* UTF-8 continuation bytes do not start a column */
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int char_pos(const sl_pl_file *f, uint32_t off)
{
	int n = 1;
	for (uint32_t i = 0; i < off && i < f->len; i++)
		if (((unsigned char)f->text[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int vpl_err(const sl_pl_file *f, sl_err *err, int code, uint32_t off,
		   const char *fmt, va_list ap)
{
	if (!err)
		return code;
	int line, col;
	sl_pl_linecol(f, off, &line, &col);
	int k = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", f->filename,
			 line, col);
	if (k < 0 || (size_t)k >= sizeof(err->msg))
		k = (int)sizeof(err->msg) - 1;
	vsnprintf(err->msg + k, sizeof(err->msg) - (size_t)k, fmt, ap);
	err->code = code;
	err->pos = char_pos(f, off);
	return code;
}

static int pl_err(const sl_pl_file *f, sl_err *err, int code, uint32_t off,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int pl_err(const sl_pl_file *f, sl_err *err, int code, uint32_t off,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpl_err(f, err, code, off, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- tokens ----------------------------------------------------------- */

enum { TK_WORD, TK_STRING, TK_QUOTED_ID, TK_PUNCT };

struct tok {
	uint8_t kind;
	char ch; /* TK_PUNCT */
	uint32_t off, len;
};

struct lexer {
	sl_pl_file *f;
	char *text; /* == f->text, writable while we blank comments */
	struct tok *t;
	uint32_t n, cap;
};

static bool is_word_byte(unsigned char c)
{
	/* Bytes >= 0x80 are parts of UTF-8 letters in identifiers. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static void lex_push(struct lexer *lx, uint8_t kind, uint32_t off, uint32_t len)
{
	if (lx->n == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->t = realloc(lx->t, lx->cap * sizeof(*lx->t));
		if (!lx->t)
			abort();
	}
	lx->t[lx->n++] = (struct tok){ kind, lx->text[off], off, len };
}

/* Blanks comments in place (keeping line breaks, so positions stay) and
 * splits the rest into tokens. Operators come out as one token per
 * character: only expression boundaries matter here. */
static int lex(struct lexer *lx, sl_err *err)
{
	char *s = lx->text;
	uint32_t n = (uint32_t)lx->f->len, i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			i++;
		} else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				s[i++] = ' ';
		} else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			/* Spark's bracketed comments nest. */
			uint32_t start = i, depth = 0;
			do {
				if (i + 1 < n && s[i] == '/' &&
				    s[i + 1] == '*') {
					depth++;
					s[i++] = ' ';
				} else if (i + 1 < n && s[i] == '*' &&
					   s[i + 1] == '/') {
					depth--;
					s[i++] = ' ';
				}
				if (s[i] != '\n')
					s[i] = ' ';
				i++;
			} while (depth && i < n);
			if (depth)
				return pl_err(lx->f, err, SL_ESYNTAX, start,
					      "unterminated /* comment");
		} else if (c == '\'' || c == '"' || c == '`') {
			uint32_t start = i++;
			for (;;) {
				if (i >= n)
					return pl_err(lx->f, err, SL_ESYNTAX,
						      start,
						      c == '`' ? "unterminated "
								 "`identifier`"
							       : "unterminated "
								 "string");
				if (s[i] == '\\' && c != '`' && i + 1 < n) {
					i += 2;
				} else if ((unsigned char)s[i] == c) {
					/* a doubled quote is a quote */
					if (i + 1 < n &&
					    (unsigned char)s[i + 1] == c) {
						i += 2;
						continue;
					}
					i++;
					break;
				} else {
					i++;
				}
			}
			lex_push(lx, c == '`' ? TK_QUOTED_ID : TK_STRING, start,
				 i - start);
		} else if (is_word_byte(c)) {
			uint32_t start = i;
			while (i < n && is_word_byte((unsigned char)s[i]))
				i++;
			lex_push(lx, TK_WORD, start, i - start);
		} else if (c == 0) {
			return pl_err(lx->f, err, SL_ESYNTAX, i,
				      "unexpected NUL byte");
		} else {
			lex_push(lx, TK_PUNCT, i, 1);
			i++;
		}
	}
	return 0;
}

/* ---- statements ------------------------------------------------------- */

/* A cursor over the tokens of one statement: [i, end). */
struct cur {
	struct lexer *lx;
	sl_pl_file *f;
	sl_err *err;
	uint32_t i, end;
	uint32_t end_off; /* where "the end of the statement" is */
};

static const struct tok *tk(const struct cur *c, uint32_t i)
{
	return i < c->end ? &c->lx->t[i] : NULL;
}

static uint32_t tk_off(const struct cur *c, uint32_t i)
{
	return i < c->end ? c->lx->t[i].off : c->end_off;
}

static bool is_kw(const struct cur *c, uint32_t i, const char *kw)
{
	const struct tok *t = tk(c, i);
	return t && t->kind == TK_WORD && t->len == strlen(kw) &&
	       !strncasecmp(c->f->text + t->off, kw, t->len);
}

static bool is_punct(const struct cur *c, uint32_t i, char ch)
{
	const struct tok *t = tk(c, i);
	return t && t->kind == TK_PUNCT && t->ch == ch;
}

/* "'FROM'" or "the end of the statement", for messages. */
static const char *tk_desc(const struct cur *c, uint32_t i, char *buf, size_t n)
{
	const struct tok *t = tk(c, i);
	if (!t)
		return "the end of the statement";
	int len = t->len > 40 ? 40 : (int)t->len;
	snprintf(buf, n, "'%.*s%s'", len, c->f->text + t->off,
		 t->len > 40 ? "..." : "");
	return buf;
}

static int syntax(struct cur *c, uint32_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int syntax(struct cur *c, uint32_t i, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpl_err(c->f, c->err, SL_ESYNTAX, tk_off(c, i), fmt, ap);
	va_end(ap);
	return SL_ESYNTAX;
}

static int expected(struct cur *c, const char *what)
{
	char b[64];
	return syntax(c, c->i, "expected %s, found %s", what,
		      tk_desc(c, c->i, b, sizeof(b)));
}

static const char refuse_join[] =
	"this JOIN is not supported: only a stream-static join is, written "
	"FROM stream [INNER | LEFT [OUTER]] JOIN table ON s.k = t.k (or "
	"USING (k)), where table is a CREATE TABLE; stream-stream, right, "
	"full and cross joins are not supported";
static const char refuse_window[] =
	"window() and session_window() belong in GROUP BY: group by "
	"window(ts, '10 minutes') and select window.start, window.end";

/* The clauses we recognise but do not run yet. Refusing them by name beats
 * a confusing syntax error, and silently ignoring one would change what the
 * query means. */
static const struct refusal {
	const char *kw, *msg;
} refusals[] = {
	{ "ORDER", "ORDER BY is not supported yet: sorting a stream needs an "
		   "aggregation in complete mode, which arrives with the "
		   "stateful micro-batch path" },
	{ "SORT", "SORT BY is not supported yet: sorting a stream needs an "
		  "aggregation, which arrives with the stateful micro-batch "
		  "path" },
	{ "CLUSTER", "CLUSTER BY is not supported: a query keeps its source's "
		     "partitioning" },
	{ "DISTRIBUTE", "DISTRIBUTE BY is not supported: a query keeps its "
			"source's partitioning" },
	{ "LIMIT", "LIMIT is not supported yet: a limit on a stream needs "
		   "state, which arrives with the stateful micro-batch path" },
	{ "WINDOW", "a WINDOW clause is not supported: write the window in "
		    "GROUP BY, as window(ts, '10 minutes', '5 minutes')" },
	{ "JOIN", refuse_join },
	{ "UNION", "UNION ALL joins two whole SELECTs: SELECT ... FROM a "
		   "UNION ALL SELECT ... FROM b" },
	{ "INTERSECT", "INTERSECT is not supported (UNION ALL is)" },
	{ "EXCEPT", "EXCEPT is not supported (UNION ALL is)" },
	{ "MINUS", "MINUS is not supported (UNION ALL is)" },
	{ "LATERAL", "LATERAL VIEW is not supported: use explode() in the "
		     "SELECT list" },
};

/* Words that start a join after FROM name. LEFT and RIGHT are also string
 * functions, so they only count right after the FROM name. */
static const char *const join_words[] = {
	"JOIN",	   "INNER", "LEFT", "RIGHT", "FULL", "CROSS",
	"NATURAL", "SEMI",  "ANTI", "OUTER", NULL,
};

static const struct refusal *refused(const struct cur *c, uint32_t i)
{
	for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
		if (!is_kw(c, i, refusals[k].kw))
			continue;
		/* WINDOW is a clause only as `WINDOW w AS (...)`; elsewhere
		 * it may be a column (window.start). */
		if (!strcmp(refusals[k].kw, "WINDOW") &&
		    !(tk(c, i + 1) && tk(c, i + 1)->kind != TK_PUNCT &&
		      is_kw(c, i + 2, "AS")))
			continue;
		return &refusals[k];
	}
	return NULL;
}

static int refuse(struct cur *c, uint32_t i, const char *msg)
{
	pl_err(c->f, c->err, SL_EANALYSIS, tk_off(c, i), "%s", msg);
	return SL_EANALYSIS;
}

static const char *const keywords[] = {
	"SELECT", "FROM",   "WHERE", "WITH", "AS",
	"CREATE", "INSERT", "INTO",  NULL,
};

/* name: a plain identifier or a `backticked` one. */
static int parse_name(struct cur *c, const char *what, sl_pl_text *out)
{
	const struct tok *t = tk(c, c->i);
	const char *s = t ? c->f->text + t->off : NULL;
	if (t && t->kind == TK_WORD && !(s[0] >= '0' && s[0] <= '9')) {
		for (int k = 0; keywords[k]; k++)
			if (is_kw(c, c->i, keywords[k]))
				return syntax(c, c->i,
					      "expected %s name, found the "
					      "keyword '%.*s' (write `%.*s` "
					      "to use it as a name)",
					      what, (int)t->len, s, (int)t->len,
					      s);
		out->s = sl_arena_strndup(&c->f->arena, s, t->len);
	} else if (t && t->kind == TK_QUOTED_ID) {
		char *d = sl_arena_alloc(&c->f->arena, t->len);
		size_t k = 0;
		for (uint32_t j = 1; j + 1 < t->len; j++) {
			d[k++] = s[j];
			if (s[j] == '`')
				j++; /* `` is one backtick */
		}
		d[k] = 0;
		if (!k)
			return syntax(c, c->i, "empty name");
		out->s = d;
	} else {
		char w[64];
		snprintf(w, sizeof(w), "%s name", what);
		return expected(c, w);
	}
	out->off = t->off;
	c->i++;
	return 0;
}

/* A quoted option value: quotes removed, '' and the backslash escapes \' \"
 * \\ \n \t \r decoded; any other backslash stays as written. */
static char *unquote(sl_arena *a, const char *s, uint32_t len)
{
	char q = s[0], *d = sl_arena_alloc(a, len);
	size_t k = 0;
	for (uint32_t j = 1; j + 1 < len; j++) {
		char ch = s[j];
		if (ch == q) {
			j++; /* doubled quote */
		} else if (ch == '\\' && j + 2 < len) {
			char e = s[j + 1];
			const char *from = "'\"\\ntr", *to = "'\"\\\n\t\r";
			const char *p = strchr(from, e);
			if (p && e) {
				ch = to[p - from];
				j++;
			}
		}
		d[k++] = ch;
	}
	d[k] = 0;
	return d;
}

/* Tokens i and i+1 touch (no space between): they form one bare word such
 * as kafka.bootstrap.servers or localhost:9092. */
static bool touching(const struct cur *c, uint32_t i)
{
	const struct tok *a = tk(c, i), *b = tk(c, i + 1);
	return a && b && a->off + a->len == b->off;
}

static bool bare_part(const struct cur *c, uint32_t i)
{
	const struct tok *t = tk(c, i);
	return t && t->kind != TK_STRING && t->kind != TK_QUOTED_ID &&
	       !(t->kind == TK_PUNCT && strchr(",()=;", t->ch));
}

/* A key or a value: 'quoted', `backticked` (keys), or bare: touching
 * words and punctuation up to a space, ',', ')' or '='. */
static int parse_word(struct cur *c, bool key, sl_pl_text *out)
{
	const struct tok *t = tk(c, c->i);
	if (t && t->kind == TK_STRING) {
		out->s = unquote(&c->f->arena, c->f->text + t->off, t->len);
		out->off = t->off;
		c->i++;
		return 0;
	}
	if (t && t->kind == TK_QUOTED_ID && key)
		return parse_name(c, "an option", out);
	if (!bare_part(c, c->i))
		return expected(c, key ? "an option name" : "an option value");
	while (touching(c, c->i) && bare_part(c, c->i + 1))
		c->i++;
	const struct tok *last = tk(c, c->i++);
	out->off = t->off;
	out->s = sl_arena_strndup(&c->f->arena, c->f->text + t->off,
				  last->off + last->len - t->off);
	return 0;
}

/* WITH ( key = value, ... ) */
static int parse_options(struct cur *c, sl_pl_stmt *st)
{
	if (!is_kw(c, c->i, "WITH"))
		return expected(c, "WITH (option = 'value', ...)");
	c->i++;
	if (!is_punct(c, c->i, '('))
		return expected(c, "'(' after WITH");
	c->i++;
	/* at most one option per three tokens */
	st->opts = sl_arena_calloc(&c->f->arena, ((c->end - c->i) / 3 + 1) *
							 sizeof(*st->opts));
	while (!is_punct(c, c->i, ')')) {
		sl_pl_opt *o = &st->opts[st->nopts];
		int rc = parse_word(c, true, &o->key);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < st->nopts; k++)
			if (!strcasecmp(st->opts[k].key.s, o->key.s)) {
				int l, col;
				sl_pl_linecol(c->f, st->opts[k].key.off, &l,
					      &col);
				return pl_err(c->f, c->err, SL_ESYNTAX,
					      o->key.off,
					      "option '%s' is given twice "
					      "(first at line %d)",
					      o->key.s, l);
			}
		if (!is_punct(c, c->i, '=')) {
			char w[128];
			snprintf(w, sizeof(w), "'=' after option '%s'",
				 o->key.s);
			return expected(c, w);
		}
		c->i++;
		if (is_punct(c, c->i, ',') || is_punct(c, c->i, ')'))
			return syntax(c, c->i, "option '%s' has no value",
				      o->key.s);
		if ((rc = parse_word(c, false, &o->value)))
			return rc;
		st->nopts++;
		if (is_punct(c, c->i, ','))
			c->i++;
		else if (!is_punct(c, c->i, ')')) {
			char b[64];
			return syntax(c, c->i,
				      "expected ',' or ')' after the value of "
				      "option '%s', found %s (quote values "
				      "with spaces: '10 seconds')",
				      o->key.s, tk_desc(c, c->i, b, sizeof(b)));
		}
	}
	c->i++;
	return 0;
}

/* Text of tokens [a, b) as the engine gets it: verbatim, but with line
 * breaks and tabs as spaces (comments are already spaces), so that the
 * engine's character positions are ours too. */
static sl_pl_text slice(struct cur *c, uint32_t a, uint32_t b)
{
	const struct tok *first = &c->lx->t[a], *last = &c->lx->t[b - 1];
	uint32_t len = last->off + last->len - first->off;
	char *s = sl_arena_strndup(&c->f->arena, c->f->text + first->off, len);
	for (uint32_t k = 0; k < len; k++)
		if (s[k] == '\n' || s[k] == '\r' || s[k] == '\t')
			s[k] = ' ';
	return (sl_pl_text){ s, first->off };
}

/* Scans an expression list from c->i to the first top-level token that
 * `stop` accepts (or the end), checking parentheses and refusing
 * window() unless window_ok (GROUP BY). Returns the stop index in *at. */
static int scan_expr(struct cur *c, bool (*stop)(const struct cur *, uint32_t),
		     bool window_ok, uint32_t *at)
{
	int depth = 0;
	uint32_t open = 0;
	uint32_t i;
	for (i = c->i; i < c->end; i++) {
		const struct tok *t = tk(c, i);
		if (t->kind == TK_PUNCT && (t->ch == '(' || t->ch == '[')) {
			if (!depth++)
				open = i;
		} else if (t->kind == TK_PUNCT &&
			   (t->ch == ')' || t->ch == ']')) {
			if (!depth--)
				return syntax(c, i, "unbalanced '%c'", t->ch);
		} else if (!window_ok &&
			   (is_kw(c, i, "window") ||
			    is_kw(c, i, "session_window")) &&
			   is_punct(c, i + 1, '(')) {
			return refuse(c, i, refuse_window);
		} else if (!depth && stop(c, i)) {
			break;
		}
	}
	if (depth)
		return syntax(c, open, "'%c' is never closed",
			      c->lx->t[open].ch);
	*at = i;
	return 0;
}

static bool is_group_by(const struct cur *c, uint32_t i);

static bool stop_select(const struct cur *c, uint32_t i)
{
	/* `a IS DISTINCT FROM b` is an expression, not the FROM clause */
	if (is_kw(c, i, "FROM"))
		return !(i > 0 && is_kw(c, i - 1, "DISTINCT"));
	return is_kw(c, i, "WHERE") || is_group_by(c, i) ||
	       is_kw(c, i, "HAVING") || refused(c, i);
}

/* GROUP BY and HAVING end a WHERE condition; HAVING ends a GROUP BY
 * list. */
static bool is_group_by(const struct cur *c, uint32_t i)
{
	return is_kw(c, i, "GROUP") && is_kw(c, i + 1, "BY");
}

/* WATERMARK col DELAY: the clause (out of place after WHERE), not a
 * column named watermark. */
static bool is_watermark(const struct cur *c, uint32_t i)
{
	return is_kw(c, i, "WATERMARK") && is_kw(c, i + 2, "DELAY");
}

static bool stop_where(const struct cur *c, uint32_t i)
{
	return is_group_by(c, i) || is_kw(c, i, "HAVING") ||
	       is_watermark(c, i) || refused(c, i) != NULL;
}

static bool stop_group(const struct cur *c, uint32_t i)
{
	return is_kw(c, i, "HAVING") || is_watermark(c, i) ||
	       refused(c, i) != NULL;
}

static bool stop_having(const struct cur *c, uint32_t i)
{
	return is_group_by(c, i) || is_watermark(c, i) ||
	       refused(c, i) != NULL;
}

static bool stop_delay(const struct cur *c, uint32_t i)
{
	return is_kw(c, i, "WHERE") || stop_where(c, i);
}

/* Splits tokens [c->i, stop) at top-level commas into *items. */
static int split_list(struct cur *c, uint32_t stop, const char *what,
		      sl_pl_text **items, uint32_t *n)
{
	char b[64];
	uint32_t nmax = 1;
	for (uint32_t i = c->i; i < stop; i++)
		nmax += is_punct(c, i, ',');
	*items = sl_arena_calloc(&c->f->arena, nmax * sizeof(**items));
	*n = 0;
	int depth = 0;
	uint32_t from = c->i;
	for (uint32_t i = c->i; i <= stop; i++) {
		if (i < stop && (is_punct(c, i, '(') || is_punct(c, i, '[')))
			depth++;
		else if (i < stop &&
			 (is_punct(c, i, ')') || is_punct(c, i, ']')))
			depth--;
		else if (i == stop || (!depth && is_punct(c, i, ','))) {
			if (i == from)
				return syntax(c, i,
					      "empty item in the %s list "
					      "before %s",
					      what, tk_desc(c, i, b, sizeof(b)));
			(*items)[(*n)++] = slice(c, from, i);
			from = i + 1;
		}
	}
	c->i = stop;
	return 0;
}

/* WATERMARK col DELAY OF INTERVAL 10 MINUTES (also INTERVAL '10'
 * MINUTES, INTERVAL '10 minutes', '10 minutes'): the delay becomes the
 * text "10 minutes". */
static int parse_watermark(struct cur *c, sl_pl_select *sel)
{
	uint32_t kw = c->i++;
	int rc = parse_name(c, "a watermark column", &sel->wm_col);
	if (rc)
		return rc;
	if (!is_kw(c, c->i, "DELAY") || !is_kw(c, c->i + 1, "OF"))
		return expected(c, "DELAY OF INTERVAL <n> <unit> after the "
				   "watermark column");
	c->i += 2;
	if (is_kw(c, c->i, "INTERVAL"))
		c->i++;
	uint32_t stop = c->i;
	while (stop < c->end && !stop_delay(c, stop))
		stop++;
	if (stop == c->i)
		return syntax(c, kw, "WATERMARK needs a delay: DELAY OF "
				     "INTERVAL 10 MINUTES");
	size_t len = 1;
	for (uint32_t i = c->i; i < stop; i++)
		len += tk(c, i)->len + 1;
	char *d = sl_arena_alloc(&c->f->arena, len), *w = d;
	for (uint32_t i = c->i; i < stop; i++) {
		const struct tok *t = tk(c, i);
		const char *piece = c->f->text + t->off;
		if (t->kind == TK_STRING)
			piece = unquote(&c->f->arena, piece, t->len);
		char *at = w + (i > c->i);
		w += sprintf(w, "%s%.*s", i > c->i ? " " : "",
			     t->kind == TK_STRING ? (int)strlen(piece)
						  : (int)t->len,
			     piece);
		/* INTERVAL 10 MINUTES reads "10 minutes" in plans */
		for (; t->kind != TK_STRING && at < w; at++)
			if (*at >= 'A' && *at <= 'Z')
				*at = (char)(*at - 'A' + 'a');
	}
	sel->wm_delay = (sl_pl_text){ d, tk(c, c->i)->off };
	c->i = stop;
	return 0;
}

/* [q.]col of a join condition */
static int parse_qcol(struct cur *c, sl_pl_text *q, sl_pl_text *col)
{
	int rc = parse_name(c, "a column", col);
	if (rc || !is_punct(c, c->i, '.'))
		return rc;
	c->i++;
	*q = *col;
	return parse_name(c, "a column", col);
}

/* [INNER | LEFT [OUTER]] JOIN table (ON a = b [AND ...] | USING (k, ...))
 * after FROM name; anything else that starts a join is refused. */
static int parse_join(struct cur *c, sl_pl_select *sel)
{
	uint32_t at = c->i;
	int rc;
	if (is_kw(c, c->i, "INNER")) {
		c->i++;
	} else if (is_kw(c, c->i, "LEFT")) {
		sel->join_left = true;
		c->i++;
		if (is_kw(c, c->i, "OUTER"))
			c->i++;
	}
	if (!is_kw(c, c->i, "JOIN"))
		return refuse(c, at, refuse_join);
	c->i++;
	if ((rc = parse_name(c, "a table", &sel->join)))
		return rc;
	uint32_t cap = 4;
	sel->jkeys = sl_arena_calloc(&c->f->arena, cap * sizeof(*sel->jkeys));
	if (is_kw(c, c->i, "USING")) {
		c->i++;
		if (!is_punct(c, c->i, '('))
			return expected(c, "( after USING");
		do {
			c->i++;
			if (sel->njoin == cap)
				return syntax(c, c->i, "at most 4 join keys");
			sl_pl_joinkey *k = &sel->jkeys[sel->njoin++];
			if ((rc = parse_name(c, "a column", &k->ca)))
				return rc;
			k->cb = k->ca;
		} while (is_punct(c, c->i, ','));
		if (!is_punct(c, c->i, ')'))
			return expected(c, ") after the USING columns");
		c->i++;
		return 0;
	}
	if (!is_kw(c, c->i, "ON"))
		return expected(c, "ON or USING after JOIN table");
	do {
		c->i++;
		if (sel->njoin == cap)
			return syntax(c, c->i, "at most 4 join keys");
		sl_pl_joinkey *k = &sel->jkeys[sel->njoin++];
		if ((rc = parse_qcol(c, &k->qa, &k->ca)))
			return rc;
		if (!is_punct(c, c->i, '='))
			return syntax(c, c->i,
				      "a join condition is column = column, "
				      "ANDed: only equi-joins are supported");
		c->i++;
		if ((rc = parse_qcol(c, &k->qb, &k->cb)))
			return rc;
	} while (is_kw(c, c->i, "AND"));
	return 0;
}

/* SELECT item, ... FROM name [WHERE condition] */
static int parse_select(struct cur *c, sl_pl_select *sel)
{
	char b[64];
	if (!is_kw(c, c->i, "SELECT"))
		return expected(c, "SELECT");
	sel->off = tk_off(c, c->i);
	c->i++;
	/* DISTINCT: sel_distinct() finds it again after the keyword */
	if (is_kw(c, c->i, "DISTINCT") || is_kw(c, c->i, "ALL"))
		c->i++;
	uint32_t stop;
	int rc = scan_expr(c, stop_select, false, &stop);
	if (rc)
		return rc;
	if (stop == c->i)
		return expected(c, "an expression after SELECT");
	if ((rc = split_list(c, stop, "SELECT", &sel->items, &sel->nitems)))
		return rc;
	sel->star = sel->nitems == 1 && !strcmp(sel->items[0].s, "*");

	if (!is_kw(c, c->i, "FROM")) {
		const struct refusal *r = refused(c, c->i);
		if (r)
			return refuse(c, c->i, r->msg);
		return syntax(c, c->i,
			      "missing FROM: expected FROM <source or view> "
			      "before %s",
			      tk_desc(c, c->i, b, sizeof(b)));
	}
	c->i++;
	if (is_punct(c, c->i, '('))
		return syntax(c, c->i,
			      "subqueries in FROM are not supported: define a "
			      "VIEW and select from it");
	if ((rc = parse_name(c, "a source or view", &sel->from)))
		return rc;
	for (int k = 0; join_words[k]; k++)
		if (is_kw(c, c->i, join_words[k])) {
			if ((rc = parse_join(c, sel)))
				return rc;
			break;
		}
	if (is_punct(c, c->i, ','))
		return refuse(c, c->i, refuse_join);
	if (is_kw(c, c->i, "WATERMARK") &&
	    (rc = parse_watermark(c, sel)))
		return rc;
	if (is_kw(c, c->i, "WHERE")) {
		uint32_t kw = c->i++;
		if ((rc = scan_expr(c, stop_where, false, &stop)))
			return rc;
		if (stop == c->i)
			return syntax(c, kw,
				      "expected a condition after "
				      "WHERE");
		sel->where = slice(c, c->i, stop);
		c->i = stop;
	}
	if (is_group_by(c, c->i)) {
		uint32_t kw = c->i;
		c->i += 2;
		sel->group_by = true;
		if ((rc = scan_expr(c, stop_group, true, &stop)))
			return rc;
		if (stop == c->i)
			return syntax(c, kw,
				      "expected expressions after GROUP BY");
		if ((rc = split_list(c, stop, "GROUP BY", &sel->group,
				     &sel->ngroup)))
			return rc;
	}
	if (is_kw(c, c->i, "HAVING")) {
		uint32_t kw = c->i++;
		if ((rc = scan_expr(c, stop_having, false, &stop)))
			return rc;
		if (stop == c->i)
			return syntax(c, kw,
				      "expected a condition after HAVING");
		sel->having = slice(c, c->i, stop);
		c->i = stop;
	}
	if (is_kw(c, c->i, "UNION")) {
		/* Spark's UNION (DISTINCT) would need the state of every
		 * row seen: refused rather than run as UNION ALL. */
		if (!is_kw(c, c->i + 1, "ALL"))
			return refuse(c, c->i,
				      "UNION without ALL (a distinct union) "
				      "is not supported: write UNION ALL, "
				      "and SELECT DISTINCT from a view of it "
				      "to drop duplicates");
		c->i += 2;
		sel->union_all = sl_arena_calloc(&c->f->arena,
						 sizeof(*sel->union_all));
		return parse_select(c, sel->union_all);
	}
	const struct refusal *r = refused(c, c->i);
	if (r)
		return refuse(c, c->i, r->msg);
	if (c->i < c->end)
		return syntax(c, c->i,
			      "unexpected %s after FROM %s: expected "
			      "WATERMARK, WHERE, GROUP BY, HAVING or the end "
			      "of the statement, in that order (table "
			      "aliases are not supported)",
			      tk_desc(c, c->i, b, sizeof(b)), sel->from.s);
	return 0;
}

static int parse_stmt(struct cur *c, sl_pl_stmt *st)
{
	char b[64];
	int rc;
	st->off = tk_off(c, c->i);
	if (is_kw(c, c->i, "CREATE")) {
		c->i++;
		const char *what;
		if (is_kw(c, c->i, "SOURCE")) {
			st->kind = SL_PL_SOURCE;
			what = "a source";
		} else if (is_kw(c, c->i, "SINK")) {
			st->kind = SL_PL_SINK;
			what = "a sink";
		} else if (is_kw(c, c->i, "VIEW")) {
			st->kind = SL_PL_VIEW;
			what = "a view";
		} else if (is_kw(c, c->i, "TABLE")) {
			/* a static table: a source read once */
			st->kind = SL_PL_SOURCE;
			st->table = true;
			what = "a table";
		} else {
			return syntax(c, c->i,
				      "unknown statement CREATE %s: expected "
				      "CREATE SOURCE, CREATE TABLE, CREATE "
				      "VIEW or CREATE SINK",
				      tk_desc(c, c->i, b, sizeof(b)));
		}
		c->i++;
		if ((rc = parse_name(c, what, &st->name)))
			return rc;
		if (st->table && is_punct(c, c->i, '('))
			return syntax(c, c->i,
				      "CREATE TABLE takes WITH (format = "
				      "'csv', path = '...', schema = '...'): "
				      "columns go in the schema option");
		if (st->kind == SL_PL_VIEW) {
			if (!is_kw(c, c->i, "AS"))
				return expected(c, "AS SELECT ...");
			c->i++;
			rc = parse_select(c, &st->sel);
		} else {
			rc = parse_options(c, st);
		}
	} else if (is_kw(c, c->i, "INSERT")) {
		st->kind = SL_PL_INSERT;
		c->i++;
		if (is_kw(c, c->i, "OVERWRITE"))
			return syntax(c, c->i,
				      "INSERT OVERWRITE is not supported: a "
				      "stream only appends; use INSERT INTO");
		if (!is_kw(c, c->i, "INTO"))
			return expected(c, "INTO after INSERT");
		c->i++;
		if ((rc = parse_name(c, "a sink", &st->name)))
			return rc;
		if (is_punct(c, c->i, '('))
			return syntax(c, c->i,
				      "column lists in INSERT INTO are not "
				      "supported: name the columns with AS in "
				      "the SELECT list");
		rc = parse_select(c, &st->sel);
	} else if (is_kw(c, c->i, "SELECT")) {
		return syntax(c, c->i,
			      "a SELECT on its own has nowhere to go: write "
			      "INSERT INTO <sink> SELECT ...");
	} else {
		return syntax(c, c->i,
			      "unknown statement starting with %s: expected "
			      "CREATE SOURCE, CREATE VIEW, CREATE SINK or "
			      "INSERT INTO",
			      tk_desc(c, c->i, b, sizeof(b)));
	}
	if (rc)
		return rc;
	if (c->i < c->end)
		return syntax(c, c->i,
			      "unexpected %s after the end of the statement "
			      "(missing ';'?)",
			      tk_desc(c, c->i, b, sizeof(b)));
	return 0;
}

void sl_pl_free(sl_pl_file *f)
{
	if (!f)
		return;
	sl_arena a = f->arena;
	sl_arena_free(&a); /* f itself lives in its arena */
}

int sl_pl_parse(const char *text, size_t len, const char *filename,
		sl_pl_file **out, sl_err *err)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_pl_file *f = sl_arena_calloc(&a, sizeof(*f));
	f->filename = sl_arena_strdup(&a, filename ? filename : "<pipeline>");
	char *copy = sl_arena_strndup(&a, text, len);
	f->text = copy;
	f->len = len;
	f->arena = a;

	struct lexer lx = { .f = f, .text = copy };
	int rc = lex(&lx, err);
	uint32_t nmax = 1;
	for (uint32_t i = 0; !rc && i < lx.n; i++)
		nmax += lx.t[i].kind == TK_PUNCT && lx.t[i].ch == ';';
	if (!rc)
		f->stmts = sl_arena_calloc(&f->arena, nmax * sizeof(*f->stmts));
	for (uint32_t i = 0; !rc && i < lx.n; i++) {
		uint32_t end = i;
		while (end < lx.n &&
		       !(lx.t[end].kind == TK_PUNCT && lx.t[end].ch == ';'))
			end++;
		if (end > i) {
			struct cur c = {
				.lx = &lx,
				.f = f,
				.err = err,
				.i = i,
				.end = end,
				.end_off = end < lx.n
						   ? lx.t[end].off
						   : lx.t[end - 1].off +
							     lx.t[end - 1].len,
			};
			rc = parse_stmt(&c, &f->stmts[f->nstmts++]);
		}
		i = end; /* the ';' */
	}
	free(lx.t);
	if (rc) {
		sl_pl_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* ---- building frames -------------------------------------------------- */

/* One per statement, in file order. */
struct pl_rel {
	const sl_pl_stmt *st;
	sl_frame *frame;	     /* SOURCE, VIEW, INSERT */
	struct pl_rel *from;	     /* VIEW, INSERT: what it reads */
	struct pl_rel *arm;	     /* VIEW, INSERT: the next UNION ALL
					SELECT, or NULL */
	struct pl_rel *table;	     /* VIEW, INSERT: the JOIN's table */
	const char **jl, **jr;	     /* VIEW, INSERT: the join keys */
	const char **items;	     /* VIEW, INSERT: SELECT items, NULL */
	const char **keys;	     /* VIEW, INSERT: GROUP BY expressions */
	bool aggregate;		     /* VIEW, INSERT: sl_frame_aggregate */
	bool distinct;		     /* VIEW, INSERT: SELECT DISTINCT */
	bool claimed;		     /* SOURCE: an INSERT runs on frame */
	const struct pl_rel *sink;   /* INSERT */
	const struct pl_rel *writer; /* SINK: the INSERT writing to it */
	const sl_pl_opt *format;     /* SOURCE, SINK: the format option */
	const char *fmt_name;	     /* the format, as its plugin says */
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
	sl_pl_file *f;
	uint32_t nrels;
	struct pl_rel *rels;
	uint32_t nq;
	struct pl_rel **qs; /* the INSERTs */
	bool started;
};

static const char *kind_name(sl_pl_kind k)
{
	return k == SL_PL_SOURCE ? "source" : k == SL_PL_VIEW ? "view" : "sink";
}

static const char *mode_name(int m)
{
	return m == SL_MODE_APPEND   ? "append"
	       : m == SL_MODE_UPDATE ? "update"
				     : "complete";
}

/* The relation that statements [0, upto) define under name, or NULL. */
static struct pl_rel *find_rel(sl_pipeline *p, uint32_t upto, const char *name)
{
	for (uint32_t i = 0; i < upto; i++)
		if (p->rels[i].st->kind != SL_PL_INSERT &&
		    !strcasecmp(p->rels[i].st->name.s, name))
			return &p->rels[i];
	return NULL;
}

static int line_of(const sl_pipeline *p, uint32_t off)
{
	int l, c;
	sl_pl_linecol(p->f, off, &l, &c);
	return l;
}

/* "unknown source or view 'x' (known: a, b)", or the line that defines it
 * too late. */
static int unknown_rel(sl_pipeline *p, uint32_t upto, const sl_pl_text *name,
		       bool sink, sl_err *err)
{
	const char *what = sink ? "sink" : "source or view";
	for (uint32_t i = upto; i < p->nrels; i++) {
		const sl_pl_stmt *st = p->rels[i].st;
		if (st->kind != SL_PL_INSERT &&
		    !strcasecmp(st->name.s, name->s))
			return pl_err(p->f, err, SL_ENOTFOUND, name->off,
				      "unknown %s '%s': it is defined later, "
				      "at line %d; define it before use",
				      what, name->s, line_of(p, st->off));
	}
	char known[256] = "";
	size_t len = 0;
	for (uint32_t i = 0; i < upto; i++) {
		const sl_pl_stmt *st = p->rels[i].st;
		if (st->kind == SL_PL_INSERT ||
		    (st->kind == SL_PL_SINK) != sink)
			continue;
		len += snprintf(
			known + (len < sizeof(known) ? len : sizeof(known)),
			len < sizeof(known) ? sizeof(known) - len : 0, "%s%s",
			len ? ", " : "", st->name.s);
	}
	return pl_err(p->f, err, SL_ENOTFOUND, name->off,
		      "unknown %s '%s' (%s%s)", what, name->s,
		      len ? "defined so far: " : "none defined so far", known);
}

/* Where in t->s the engine's message points: the first 'quoted' piece of
 * msg that occurs in the text (a column name, a function call), else 0. */
static uint32_t blame_text(const char *msg, const char *text)
{
	for (const char *q = strchr(msg, '\''); q; q = strchr(q + 1, '\'')) {
		const char *e = strchr(q + 1, '\'');
		if (!e)
			break;
		size_t n = (size_t)(e - q - 1);
		const char *h = n ? memmem(text, strlen(text), q + 1, n) : NULL;
		if (h)
			return (uint32_t)(h - text);
		q = e;
	}
	return 0;
}

/* Where msg holds 'word' (quotes included, case-insensitive), or NULL. */
static const char *quoted_at(const char *msg, const char *word)
{
	size_t n = strlen(word);
	for (const char *q = strchr(msg, '\''); n && q; q = strchr(q + 1, '\''))
		if (!strncasecmp(q + 1, word, n) && q[n + 1] == '\'')
			return q;
	return NULL;
}

/* The option an engine message is about, by the first of them it quotes:
 * the value of one whose key and value it quotes ("option 'x' = 'abc' is
 * not a number"), the key of one whose key only it quotes ("unknown option
 * 'x'"), the value of one whose value only it quotes ("trigger 'sometimes'
 * is not valid"), else the statement's name. The format option is left
 * out: every message names the component as "source 'rate': ...", and
 * unknown formats are found before the engine is asked. */
static uint32_t blame_opt(const sl_pl_stmt *st, const char *msg)
{
	const sl_pl_opt *best = NULL;
	const char *at = NULL, *q;
	for (int pass = 0; pass < 2 && !best; pass++)
		for (uint32_t k = 0; k < st->nopts; k++) {
			const sl_pl_opt *o = &st->opts[k];
			if (!strcasecmp(o->key.s, "format"))
				continue;
			q = quoted_at(msg, pass ? o->value.s : o->key.s);
			if (q && (!at || q < at)) {
				at = q;
				best = o;
			}
		}
	if (!best)
		return st->name.off;
	return quoted_at(msg, best->value.s) ? best->value.off : best->key.off;
}

/* The last failure of the session, located in the file. */
static int engine_err(sl_pipeline *p, int code, uint32_t off, sl_err *err)
{
	return pl_err(p->f, err, code, off, "%s", sl_session_errmsg(p->s));
}

static const sl_pl_opt *find_opt(const sl_pl_stmt *st, const char *key)
{
	for (uint32_t k = 0; k < st->nopts; k++)
		if (!strcasecmp(st->opts[k].key.s, key))
			return &st->opts[k];
	return NULL;
}

static bool is_writer_option(const char *key)
{
	for (int j = 0; sl_writer_option_names[j]; j++)
		if (!strcasecmp(key, sl_writer_option_names[j]))
			return true;
	return false;
}

/* The format option, and the rest as the engine's key/value array. */
static int split_format(sl_pipeline *p, struct pl_rel *r, sl_err *err)
{
	const sl_pl_stmt *st = r->st;
	r->format = find_opt(st, "format");
	if (!r->format)
		return pl_err(p->f, err, SL_EOPTION, st->name.off,
			      "%s '%s' has no format: add format = '%s' to "
			      "its WITH list",
			      kind_name(st->kind), st->name.s,
			      st->kind == SL_PL_SOURCE ? "rate" : "console");
	r->opts = sl_arena_calloc(&p->f->arena,
				  (2 * st->nopts + 1) * sizeof(*r->opts));
	uint32_t n = 0;
	for (uint32_t k = 0; k < st->nopts; k++) {
		if (&st->opts[k] == r->format)
			continue;
		r->opts[n++] = st->opts[k].key.s;
		r->opts[n++] = st->opts[k].value.s;
	}
	return 0;
}

static int build_source(sl_pipeline *p, struct pl_rel *r, sl_err *err)
{
	int rc = split_format(p, r, err);
	if (rc)
		return rc;
	r->frame = r->st->table
			   ? sl_read_static(p->s, r->format->value.s, r->opts)
			   : sl_read_stream(p->s, r->format->value.s, r->opts);
	if (!r->frame) {
		const char *msg = sl_session_errmsg(p->s);
		bool fmt = !sl_source_lookup(r->format->value.s);
		return engine_err(p, fmt ? SL_EFORMAT : SL_EOPTION,
				  fmt ? r->format->value.off
				      : blame_opt(r->st, msg),
				  err);
	}
	r->fmt_name = sl_source_lookup(r->format->value.s)->name;
	return 0;
}

/* Byte offset of 1-based character position pos in s. */
static uint32_t char_to_byte(const char *s, int pos)
{
	uint32_t b = 0;
	for (int n = 1; s[b] && n < pos; b++)
		if (((unsigned char)s[b + 1] & 0xc0) != 0x80)
			n++;
	return b;
}

/* Parses an expression the way the engine will, only to learn where a
 * syntax error is: the engine's own message carries no file position. */
static int check_syntax(sl_pipeline *p, const sl_pl_text *t, bool alias,
			sl_err *err)
{
	sl_arena a;
	sl_err e = { 0 };
	sl_arena_init(&a);
	sl_expr *x = sl_expr_parse(t->s, alias, &a, &e);
	sl_arena_free(&a);
	if (x)
		return 0;
	uint32_t off = t->off + (e.pos > 0 ? char_to_byte(t->s, e.pos) : 0);
	/* Our line and column replace the engine's position in the
	 * expression: "syntax error at position 9 near '='" reads "syntax
	 * error near '='". */
	const char *m = e.msg, *pfx = "syntax error at position ";
	size_t k = strlen(pfx);
	if (!strncmp(m, pfx, k) && m[k] >= '0' && m[k] <= '9') {
		const char *rest = m + k;
		while (*rest >= '0' && *rest <= '9')
			rest++;
		return pl_err(p->f, err, e.code ? e.code : SL_ESYNTAX, off,
			      "syntax error%s", rest);
	}
	return pl_err(p->f, err, e.code ? e.code : SL_ESYNTAX, off, "%s",
		      e.msg);
}

/* Where an engine message about one of several expressions points: the
 * first expression a quoted piece of the message occurs in. */
static uint32_t blame_texts(const char *msg, const sl_pl_text *t, uint32_t n,
			    uint32_t dflt)
{
	for (const char *q = strchr(msg, '\''); q; q = strchr(q + 1, '\'')) {
		const char *e = strchr(q + 1, '\'');
		if (!e)
			break;
		size_t len = (size_t)(e - q - 1);
		for (uint32_t k = 0; len && k < n; k++) {
			const char *h = t[k].s ? memmem(t[k].s, strlen(t[k].s),
							q + 1, len)
					       : NULL;
			if (h)
				return t[k].off + (uint32_t)(h - t[k].s);
		}
		q = e;
	}
	return dflt;
}

/* SELECT DISTINCT: the word after the SELECT keyword (comments are
 * spaces in the text by now). Read from the text rather than kept by the
 * parser so that sl_pl_select stays as it is. */
static bool sel_distinct(const sl_pl_file *f, const sl_pl_select *sel)
{
	const char *t = f->text + sel->off + 6, *end = f->text + f->len;
	while (t < end && (*t == ' ' || *t == '\t' || *t == '\n' ||
			   *t == '\r'))
		t++;
	if (end - t < 8 || strncasecmp(t, "DISTINCT", 8))
		return false;
	return end - t == 8 ||
	       !(isalnum((unsigned char)t[8]) || t[8] == '_');
}

/* A SELECT with GROUP BY, HAVING or an aggregate call in its list. */
static bool is_aggregate(const sl_pl_select *sel)
{
	if (sel->group_by || sel->having.s)
		return true;
	for (uint32_t k = 0; k < sel->nitems; k++) {
		sl_arena a;
		sl_err e = { 0 };
		sl_arena_init(&a);
		sl_expr *x = sl_expr_parse(sel->items[k].s, true, &a, &e);
		bool agg = x && sl_expr_has_aggregate(x);
		sl_arena_free(&a);
		if (agg)
			return true;
	}
	return false;
}

/* SELECT DISTINCT: a deduplication over the SELECT's output. */
static sl_frame *apply_distinct(sl_pipeline *p, struct pl_rel *r,
				sl_frame *f, sl_err *err)
{
	if (!f || !r->distinct)
		return f;
	sl_frame *o = sl_frame_drop_duplicates(f, NULL);
	if (!o && err)
		pl_err(p->f, err, SL_EANALYSIS, r->st->sel.off, "%s",
		       sl_session_errmsg(p->s));
	return o;
}

/* The frames of one SELECT over f: watermark, WHERE, then the SELECT
 * list or the aggregation. With err NULL (rebuilding a chain that was
 * built once already) failures are not located. */
static sl_frame *apply_select(sl_pipeline *p, struct pl_rel *r, sl_frame *f,
			      sl_err *err)
{
	const sl_pl_select *sel = &r->st->sel;
	if (f && r->table) {
		sl_frame *j = sl_frame_join(f, r->table->frame, r->jl, r->jr,
					    sel->join_left ? "left" : "inner");
		if (!j && err)
			engine_err(p, SL_EANALYSIS, sel->join.off, err);
		f = j;
	}
	if (f && sel->wm_col.s) {
		sl_frame *w = sl_frame_with_watermark(f, sel->wm_col.s,
						      sel->wm_delay.s);
		if (!w && err) {
			const char *m = sl_session_errmsg(p->s);
			engine_err(p, SL_EANALYSIS,
				   strstr(m, "delay") ? sel->wm_delay.off
						      : sel->wm_col.off,
				   err);
		}
		f = w;
	}
	if (f && sel->where.s) {
		sl_frame *w = sl_frame_where(f, sel->where.s);
		if (!w && err)
			engine_err(p, SL_EANALYSIS,
				   sel->where.off +
					   blame_text(sl_session_errmsg(p->s),
						      sel->where.s),
				   err);
		f = w;
	}
	if (f && r->aggregate) {
		sl_frame *o = sl_frame_aggregate(f, r->keys, r->items,
						 sel->having.s);
		if (!o && err) {
			const char *m = sl_session_errmsg(p->s);
			uint32_t off = blame_texts(m, sel->items, sel->nitems,
						   UINT32_MAX);
			if (off == UINT32_MAX)
				off = blame_texts(m, sel->group, sel->ngroup,
						  UINT32_MAX);
			if (off == UINT32_MAX)
				off = blame_texts(m, &sel->having, 1, sel->off);
			pl_err(p->f, err, SL_EANALYSIS, off, "%s", m);
		}
		return apply_distinct(p, r, o, err);
	}
	if (f && r->items) {
		sl_frame *o = sl_frame_select(f, r->items);
		if (!o && err) {
			/* Which item? Try each alone: a failure of one item
			 * names it; a failure of the list (two generators)
			 * is the SELECT's. The frames made here stay in the
			 * session arena, on this error path only. */
			uint32_t off = sel->off;
			sl_err whole = { 0 };
			snprintf(whole.msg, sizeof(whole.msg), "%s",
				 sl_session_errmsg(p->s));
			for (uint32_t k = 0; k < sel->nitems; k++) {
				const char *one[] = { r->items[k], NULL };
				if (sl_frame_select(f, one))
					continue;
				off = sel->items[k].off +
				      blame_text(sl_session_errmsg(p->s),
						 r->items[k]);
				break;
			}
			pl_err(p->f, err, SL_EANALYSIS, off, "%s", whole.msg);
		}
		f = o;
	}
	return apply_distinct(p, r, f, err);
}

static const char **texts(sl_pipeline *p, const sl_pl_text *t, uint32_t n)
{
	const char **v = sl_arena_calloc(&p->f->arena, (n + 1) * sizeof(*v));
	for (uint32_t k = 0; k < n; k++)
		v[k] = t[k].s;
	return v;
}

/* FROM, WATERMARK, WHERE, GROUP BY, HAVING and the SELECT list of a view
 * or an INSERT. */
/* The JOIN's table and its keys, each equality put stream side first:
 * a qualifier names its side (the FROM name or the table name);
 * unqualified, the left operand is the stream's. */
static int resolve_join(sl_pipeline *p, uint32_t idx, struct pl_rel *r,
			sl_err *err)
{
	const sl_pl_select *sel = &r->st->sel;
	struct pl_rel *t = find_rel(p, idx, sel->join.s);
	if (!t)
		return unknown_rel(p, idx, &sel->join, false, err);
	if (!t->st->table)
		return pl_err(p->f, err, SL_EANALYSIS, sel->join.off,
			      "'%s' is a %s: JOIN takes a static table "
			      "(CREATE TABLE); stream-stream joins are not "
			      "supported",
			      sel->join.s, kind_name(t->st->kind));
	r->table = t;
	r->jl = sl_arena_calloc(&p->f->arena,
				(sel->njoin + 1) * sizeof(*r->jl));
	r->jr = sl_arena_calloc(&p->f->arena,
				(sel->njoin + 1) * sizeof(*r->jr));
	for (uint32_t k = 0; k < sel->njoin; k++) {
		const sl_pl_joinkey *jk = &sel->jkeys[k];
		const sl_pl_text *qs[2] = { &jk->qa, &jk->qb };
		for (int i = 0; i < 2; i++)
			if (qs[i]->s && strcasecmp(qs[i]->s, sel->from.s) &&
			    strcasecmp(qs[i]->s, sel->join.s))
				return pl_err(p->f, err, SL_EANALYSIS,
					      qs[i]->off,
					      "'%s' is neither '%s' nor '%s': "
					      "qualify join columns with the "
					      "FROM name or the table name",
					      qs[i]->s, sel->from.s,
					      sel->join.s);
		bool swap = (jk->qa.s && !strcasecmp(jk->qa.s, sel->join.s)) ||
			    (jk->qb.s && !strcasecmp(jk->qb.s, sel->from.s));
		r->jl[k] = swap ? jk->cb.s : jk->ca.s;
		r->jr[k] = swap ? jk->ca.s : jk->cb.s;
	}
	return 0;
}

/* One SELECT of statement idx (its own or a UNION ALL one's, r): FROM,
 * JOIN, the expressions, and the frames over what FROM reads. */
static int build_core(sl_pipeline *p, uint32_t idx, struct pl_rel *r,
		      sl_err *err)
{
	const sl_pl_select *sel = &r->st->sel;
	struct pl_rel *from = find_rel(p, idx, sel->from.s);
	if (!from)
		return unknown_rel(p, idx, &sel->from, false, err);
	if (from->st->kind == SL_PL_SINK)
		return pl_err(p->f, err, SL_EANALYSIS, sel->from.off,
			      "'%s' is a sink: FROM reads a source or a view",
			      sel->from.s);
	r->from = from;
	int rc;
	if (from->st->table)
		return pl_err(p->f, err, SL_EANALYSIS, sel->from.off,
			      "'%s' is a static table: FROM reads a stream; "
			      "join the table to one (FROM stream JOIN %s "
			      "ON ...)",
			      sel->from.s, sel->from.s);
	if (sel->join.s && (rc = resolve_join(p, idx, r, err)))
		return rc;
	if (sel->where.s && (rc = check_syntax(p, &sel->where, false, err)))
		return rc;
	for (uint32_t k = 0; k < sel->ngroup; k++)
		if ((rc = check_syntax(p, &sel->group[k], true, err)))
			return rc;
	if (sel->having.s && (rc = check_syntax(p, &sel->having, false, err)))
		return rc;
	for (uint32_t k = 0; k < sel->nitems; k++)
		if ((rc = check_syntax(p, &sel->items[k], true, err)))
			return rc;
	r->aggregate = is_aggregate(sel);
	r->distinct = sel_distinct(p->f, sel);
	if (!sel->star || r->aggregate)
		r->items = texts(p, sel->items, sel->nitems);
	r->keys = texts(p, sel->group, sel->ngroup);
	r->frame = apply_select(p, r, from->frame, err);
	return r->frame ? 0 : err->code ? err->code : SL_EANALYSIS;
}

/* Calls fn(root, ud) for each source r reads, through views and UNION
 * ALL SELECTs, until one returns true; returns whether one did. */
static bool each_root(struct pl_rel *r,
		      bool (*fn)(struct pl_rel *root, void *ud), void *ud)
{
	if (r->st->kind == SL_PL_SOURCE)
		return fn(r, ud);
	for (struct pl_rel *a = r; a; a = a->arm)
		if (each_root(a->from, fn, ud))
			return true;
	return false;
}

static bool root_is(struct pl_rel *root, void *ud)
{
	return root == ud;
}

static bool root_read_by(struct pl_rel *root, void *ud)
{
	return each_root(ud, root_is, root);
}

static bool root_claimed(struct pl_rel *root, void *ud)
{
	(void)ud;
	return root->claimed;
}

static bool root_claim(struct pl_rel *root, void *ud)
{
	(void)ud;
	root->claimed = true;
	return false;
}

static sl_frame *rebuild(sl_pipeline *p, const struct pl_rel *r);

/* A SELECT and its UNION ALL SELECTs, each built on its own and then
 * united, left to right. A source that an earlier SELECT of the union
 * reads already is read again, on a new instance (a union reads each
 * source instance once, as Spark reads a relation twice). */
static int build_select(sl_pipeline *p, uint32_t idx, sl_err *err)
{
	struct pl_rel *r = &p->rels[idx], *last = r;
	int rc = build_core(p, idx, r, err);

	for (const sl_pl_select *u = r->st->sel.union_all; !rc && u;
	     u = u->union_all) {
		struct pl_rel *a = sl_arena_calloc(&p->f->arena, sizeof(*a));
		sl_pl_stmt *st = sl_arena_calloc(&p->f->arena, sizeof(*st));
		*st = *r->st;
		st->sel = *u;
		a->st = st;
		if ((rc = build_core(p, idx, a, err)))
			break;
		if (each_root(a, root_read_by, r) &&
		    !(a->frame = rebuild(p, a)))
			return engine_err(p, SL_EINVAL, u->off, err);
		last->arm = a;
		last = a;
		sl_frame *f = sl_frame_union(r->frame, a->frame);
		if (!f)
			return engine_err(p, SL_EANALYSIS, u->off, err);
		r->frame = f;
	}
	return rc;
}

/* The sink's options, checked now by the same tables sl_frame_start will
 * use, so that `validate` finds what `run` would. */
static int build_sink(sl_pipeline *p, struct pl_rel *r, sl_err *err)
{
	const sl_pl_stmt *st = r->st;
	int rc = split_format(p, r, err);
	if (rc)
		return rc;
	const sl_sink_ops *ops = sl_sink_lookup(r->format->value.s);
	if (!ops) {
		char known[256] = "";
		size_t len = 0;
		for (int i = 0; sl_sinks[i]; i++)
			if (len < sizeof(known))
				len += snprintf(known + len,
						sizeof(known) - len, "%s%s",
						i ? ", " : "",
						sl_sinks[i]->name);
		return pl_err(p->f, err, SL_EFORMAT, r->format->value.off,
			      "unknown sink format '%s' (known: %s)",
			      r->format->value.s, known);
	}
	if (!strcasecmp(ops->name, "foreach") ||
	    !strcasecmp(ops->name, "foreachBatch"))
		return pl_err(p->f, err, SL_EFORMAT, r->format->value.off,
			      "sink format '%s' calls C functions: it is "
			      "available from the C API (sl_frame_start with "
			      "callbacks), not from a pipeline file",
			      ops->name);
	r->fmt_name = ops->name;
	r->sink_modes = ops->modes;
	r->sink_continuous = ops->continuous;

	sl_arena a;
	sl_err e = { 0 };
	sl_kvs all = { 0 }, writer = { 0 };
	sl_writer_conf w;
	sl_arena_init(&a);
	for (uint32_t k = 0; r->opts[k]; k += 2) {
		sl_kvs_add(&all, &a, r->opts[k], r->opts[k + 1]);
		if (is_writer_option(r->opts[k]))
			sl_kvs_add(&writer, &a, r->opts[k], r->opts[k + 1]);
	}
	char comp[96];
	snprintf(comp, sizeof(comp), "sink '%s'", ops->name);
	void *conf = sl_arena_calloc(&a, ops->conf_size ? ops->conf_size : 1);
	rc = sl_options_apply(ops->options, conf, &all, sl_writer_option_names,
			      comp, &a, &e);
	if (!rc)
		rc = sl_options_apply(sl_writer_options, &w, &writer, NULL,
				      "query", &a, &e);
	if (!rc)
		rc = sl_trigger_parse(w.trigger ? w.trigger : "", &r->trig, &e);
	if (!rc) {
		r->mode = w.output_mode;
		r->query_name = w.query_name ? sl_arena_strdup(&p->f->arena,
							       w.query_name)
					     : NULL;
	}
	/* The sink's destroy is not called: init never ran. */
	sl_arena_free(&a);
	if (rc)
		return pl_err(p->f, err, rc, blame_opt(st, e.msg), "%s", e.msg);
	return 0;
}

static uint32_t opt_off(const struct pl_rel *sink, const char *key)
{
	const sl_pl_opt *o = find_opt(sink->st, key);
	return o ? o->value.off : sink->st->name.off;
}

/* Everything sl_frame_start will check (the seed's compatibility table of
 * output modes and triggers, the sink's options), asked of the engine
 * itself so that `validate` reports what `run` would, at the option that
 * causes it. */
static int check_start(sl_pipeline *p, const struct pl_rel *r, sl_err *err)
{
	const struct pl_rel *sink = r->sink;
	int rc = sl_frame_check_start(r->frame, sink->fmt_name, sink->opts);
	if (!rc)
		return 0;
	const char *msg = sl_session_errmsg(p->s);
	uint32_t off = rc == SL_EMODE ? opt_off(sink, strstr(msg, "trigger")
							  ? "trigger"
							  : "outputMode")
				      : blame_opt(sink->st, msg);
	return pl_err(p->f, err, rc, off, "%s", msg);
}

/* A new copy of r's chain (its UNION ALL SELECTs too), on new instances
 * of its sources. Every call here succeeded once already, when the
 * statements were built. */
static sl_frame *rebuild(sl_pipeline *p, const struct pl_rel *r)
{
	if (r->st->kind == SL_PL_SOURCE)
		return sl_read_stream(p->s, r->format->value.s, r->opts);
	sl_frame *f = NULL;
	for (const struct pl_rel *a = r; a; a = a->arm) {
		sl_frame *g = rebuild(p, a->from);
		if (g)
			g = apply_select(p, (struct pl_rel *)a, g, NULL);
		if (!g)
			return NULL;
		if (f && !(g = sl_frame_union(f, g)))
			return NULL;
		f = g;
	}
	return f;
}

static int build_insert(sl_pipeline *p, uint32_t idx, sl_err *err)
{
	struct pl_rel *r = &p->rels[idx];
	const sl_pl_stmt *st = r->st;
	struct pl_rel *sink = find_rel(p, idx, st->name.s);
	if (!sink)
		return unknown_rel(p, idx, &st->name, true, err);
	if (sink->st->kind != SL_PL_SINK)
		return pl_err(p->f, err, SL_EANALYSIS, st->name.off,
			      "'%s' is a %s, not a sink: INSERT INTO writes to "
			      "a sink (CREATE SINK)",
			      st->name.s, kind_name(sink->st->kind));
	if (sink->writer)
		return pl_err(p->f, err, SL_EANALYSIS, st->name.off,
			      "sink '%s' is already written by the INSERT INTO "
			      "at line %d: a sink takes one query; define "
			      "another sink",
			      st->name.s, line_of(p, sink->writer->st->off));
	if (sink->query_name)
		for (uint32_t k = 0; k < p->nq; k++)
			if (p->qs[k]->sink->query_name &&
			    !strcmp(p->qs[k]->sink->query_name,
				    sink->query_name))
				return pl_err(
					p->f, err, SL_EANALYSIS,
					opt_off(sink, "queryName"),
					"queryName '%s' is also the name of "
					"the query at line %d: query names "
					"must be unique",
					sink->query_name,
					line_of(p, p->qs[k]->st->off));
	sink->writer = r;
	r->sink = sink;
	int rc = build_select(p, idx, err);
	if (!rc)
		rc = check_start(p, r, err);
	if (rc)
		return rc;
	/* Each query reads its source on its own, as in Spark: the first
	 * INSERT on a source runs on the frames made at its definition,
	 * every later one on a new copy of its chain (a Kafka source's
	 * consumer, a rate source's clock, cannot serve two queries). */
	if (each_root(r, root_claimed, NULL) && !(r->frame = rebuild(p, r)))
		return engine_err(p, SL_EINVAL, st->off, err);
	each_root(r, root_claim, NULL);
	int l, c;
	sl_pl_linecol(p->f, st->off, &l, &c);
	size_t n = strlen(st->name.s) + strlen(p->f->filename) + 64;
	r->label = sl_arena_alloc(&p->f->arena, n);
	snprintf(r->label, n, "%s:%d:%d: INSERT INTO %s", p->f->filename, l, c,
		 st->name.s);
	p->qs[p->nq++] = r;
	return 0;
}

int sl_pipeline_load(sl_session *s, const char *text, size_t len,
		     const char *filename, sl_pipeline **out, sl_err *err)
{
	sl_pl_file *f;
	int rc = sl_pl_parse(text, len, filename, &f, err);
	if (rc)
		return rc;
	sl_pipeline *p = calloc(1, sizeof(*p));
	if (!p) {
		sl_pl_free(f);
		return sl_err_set(err, -ENOMEM, "out of memory");
	}
	p->s = s;
	p->f = f;
	p->nrels = f->nstmts;
	p->rels =
		sl_arena_calloc(&f->arena, (f->nstmts + 1) * sizeof(*p->rels));
	p->qs = sl_arena_calloc(&f->arena, (f->nstmts + 1) * sizeof(*p->qs));
	for (uint32_t i = 0; i < f->nstmts; i++)
		p->rels[i].st = &f->stmts[i];
	for (uint32_t i = 0; !rc && i < f->nstmts; i++) {
		const sl_pl_stmt *st = &f->stmts[i];
		if (st->kind != SL_PL_INSERT) {
			struct pl_rel *dup = find_rel(p, i, st->name.s);
			if (dup) {
				rc = pl_err(f, err, SL_EANALYSIS, st->name.off,
					    "'%s' is already defined at line "
					    "%d (as a %s)",
					    st->name.s,
					    line_of(p, dup->st->off),
					    kind_name(dup->st->kind));
				break;
			}
		}
		switch (st->kind) {
		case SL_PL_SOURCE:
			rc = build_source(p, &p->rels[i], err);
			break;
		case SL_PL_VIEW: rc = build_select(p, i, err); break;
		case SL_PL_SINK: rc = build_sink(p, &p->rels[i], err); break;
		case SL_PL_INSERT: rc = build_insert(p, i, err); break;
		}
	}
	if (rc) {
		sl_pipeline_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int sl_pipeline_start(sl_pipeline *p, sl_err *err)
{
	if (p->started)
		return sl_err_set(err, SL_ESTATE, "%s: already started",
				  p->f->filename);
	p->started = true;
	for (uint32_t i = 0; i < p->nq; i++) {
		struct pl_rel *r = p->qs[i];
		r->q = sl_frame_start(r->frame, r->sink->fmt_name,
				      r->sink->opts, NULL);
		if (r->q)
			continue;
		int rc = pl_err(p->f, err, SL_EINVAL, r->st->off,
				"cannot start INSERT INTO %s: %s",
				r->st->name.s, sl_session_errmsg(p->s));
		while (i--)
			sl_query_stop(p->qs[i]->q);
		return rc;
	}
	return 0;
}

uint32_t sl_pipeline_nqueries(const sl_pipeline *p)
{
	return p->nq;
}

sl_query *sl_pipeline_query(const sl_pipeline *p, uint32_t i)
{
	return i < p->nq ? p->qs[i]->q : NULL;
}

const char *sl_pipeline_query_label(const sl_pipeline *p, uint32_t i)
{
	return i < p->nq ? p->qs[i]->label : NULL;
}

void sl_pipeline_free(sl_pipeline *p)
{
	if (!p)
		return;
	sl_pl_free(p->f);
	free(p);
}

/* ---- the plan, for `sluice validate` ---------------------------------- */

struct out {
	char *buf;
	size_t n, len;
};

static void outf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->n ? o->n - o->len : 0;
	int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->len += (size_t)k;
}

static void out_where(struct out *o, const sl_pipeline *p, const sl_pl_stmt *st)
{
	int l, c;
	sl_pl_linecol(p->f, st->off, &l, &c);
	outf(o, " (%s:%d:%d)\n", p->f->filename, l, c);
}

/* The format and the component's own options (a sink's writer options
 * have lines of their own). */
static void out_opts(struct out *o, const struct pl_rel *r)
{
	bool sink = r->st->kind == SL_PL_SINK, first = true;
	outf(o, "  format   %s\n", r->fmt_name);
	for (uint32_t k = 0; r->opts[k]; k += 2) {
		if (sink && is_writer_option(r->opts[k]))
			continue;
		outf(o, "%s %s=%s", first ? "  options " : ",", r->opts[k],
		     r->opts[k + 1]);
		first = false;
	}
	if (!first)
		outf(o, "\n");
}

static void out_schema(struct out *o, sl_frame *f)
{
	char sc[1024];
	sl_frame_schema(f, sc, sizeof(sc));
	outf(o, "  schema   %s\n", sc);
}

static void out_chain(struct out *o, const struct pl_rel *r);

/* The operators from the source up to one SELECT r, views expanded. */
static void out_select(struct out *o, const struct pl_rel *r)
{
	const sl_pl_select *sel = &r->st->sel;
	char via[160] = "";
	if (r->from->st->kind == SL_PL_SOURCE)
		outf(o, "  read     %s (%s)\n", r->from->st->name.s,
		     r->from->fmt_name);
	else
		out_chain(o, r->from);
	if (r->st->kind == SL_PL_VIEW)
		snprintf(via, sizeof(via), "   [view %s]", r->st->name.s);
	if (sel->join.s)
		outf(o, "  join     %s (%s, static table)%s\n", sel->join.s,
		     sel->join_left ? "left" : "inner", via);
	if (sel->wm_col.s)
		outf(o, "  watermark %s delay %s%s\n", sel->wm_col.s,
		     sel->wm_delay.s, via);
	if (sel->where.s)
		outf(o, "  where    %s%s\n", sel->where.s, via);
	if (r->aggregate) {
		outf(o, "  group by ");
		for (uint32_t k = 0; k < sel->ngroup; k++)
			outf(o, "%s%s", k ? ", " : "", sel->group[k].s);
		outf(o, "%s%s   (stateful, micro-batch)\n",
		     sel->ngroup ? "" : "() [global]", via);
		if (sel->having.s)
			outf(o, "  having   %s%s\n", sel->having.s, via);
	}
	if (r->distinct)
		outf(o, "  distinct (stateful, micro-batch)%s\n", via);
	if (!sel->star || r->aggregate) {
		outf(o, "  select   ");
		for (uint32_t k = 0; k < sel->nitems; k++)
			outf(o, "%s%s", k ? ", " : "", sel->items[k].s);
		outf(o, "%s\n", via);
	}
}

/* r's SELECT, then each of its UNION ALL SELECTs. */
static void out_chain(struct out *o, const struct pl_rel *r)
{
	out_select(o, r);
	for (const struct pl_rel *a = r->arm; a; a = a->arm) {
		if (r->st->kind == SL_PL_VIEW)
			outf(o, "  union all   [view %s]\n", r->st->name.s);
		else
			outf(o, "  union all\n");
		out_select(o, a);
	}
}

size_t sl_pipeline_describe(const sl_pipeline *p, char *buf, size_t n)
{
	struct out o = { buf, n, 0 };
	uint32_t count[4] = { 0 };
	for (uint32_t i = 0; i < p->nrels; i++)
		count[p->rels[i].st->kind]++;
	if (n)
		buf[0] = 0;
	outf(&o,
	     "pipeline %s: %u source%s, %u view%s, %u sink%s, %u "
	     "quer%s\n",
	     p->f->filename, count[SL_PL_SOURCE],
	     count[SL_PL_SOURCE] == 1 ? "" : "s", count[SL_PL_VIEW],
	     count[SL_PL_VIEW] == 1 ? "" : "s", count[SL_PL_SINK],
	     count[SL_PL_SINK] == 1 ? "" : "s", count[SL_PL_INSERT],
	     count[SL_PL_INSERT] == 1 ? "y" : "ies");
	for (uint32_t i = 0; i < p->nrels; i++) {
		const struct pl_rel *r = &p->rels[i];
		const sl_pl_stmt *st = r->st;
		outf(&o, "\n");
		switch (st->kind) {
		case SL_PL_SOURCE:
			outf(&o, "source %s", st->name.s);
			out_where(&o, p, st);
			out_opts(&o, r);
			out_schema(&o, r->frame);
			break;
		case SL_PL_VIEW:
			outf(&o, "view %s", st->name.s);
			out_where(&o, p, st);
			out_chain(&o, r);
			out_schema(&o, r->frame);
			break;
		case SL_PL_SINK: {
			char trig[96];
			sl_trigger_describe(&r->trig, trig, sizeof(trig));
			outf(&o, "sink %s", st->name.s);
			out_where(&o, p, st);
			out_opts(&o, r);
			outf(&o, "  mode     %s\n", mode_name(r->mode));
			outf(&o, "  trigger  %s\n", trig);
			if (r->query_name)
				outf(&o, "  name     %s\n", r->query_name);
			if (!r->writer)
				outf(&o, "  (no INSERT INTO writes to it)\n");
			break;
		}
		case SL_PL_INSERT: {
			char trig[96];
			sl_trigger_describe(&r->sink->trig, trig, sizeof(trig));
			outf(&o, "query INSERT INTO %s", st->name.s);
			out_where(&o, p, st);
			out_chain(&o, r);
			out_schema(&o, r->frame);
			outf(&o,
			     "  write    %s (%s), outputMode %s, trigger %s\n",
			     r->sink->st->name.s, r->sink->fmt_name,
			     mode_name(r->sink->mode), trig);
			break;
		}
		}
	}
	return o.len;
}
