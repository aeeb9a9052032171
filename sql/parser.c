/* sql/parser.c - pipeline statements: the tokens of sql/lexer.c into the
 * syntax tree of sql/internal.h (sl_pipeline_file), which sql/builder.c
 * turns into frames.
 *
 * CREATE SOURCE / TABLE / SINK with their WITH options, CREATE VIEW and
 * INSERT INTO with a SELECT: its items, FROM, JOIN, WATERMARK, WHERE,
 * GROUP BY, HAVING and UNION ALL. Expressions are kept as text (with their
 * file offsets), cut at the clause keywords; the clauses that are
 * recognised but not supported are refused by name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/internal.h"

/* A cursor over the tokens of one statement: [i, end). */
struct cur {
	struct sl_pipeline_lexer *lx;
	sl_pipeline_file *f;
	sl_err *err;
	uint32_t i, end;
	uint32_t end_off; /* where "the end of the statement" is */
};

static const struct sl_pipeline_token *tk(const struct cur *c, uint32_t i)
{
	return i < c->end ? &c->lx->t[i] : NULL;
}

static uint32_t tk_off(const struct cur *c, uint32_t i)
{
	return i < c->end ? c->lx->t[i].off : c->end_off;
}

static bool is_kw(const struct cur *c, uint32_t i, const char *kw)
{
	const struct sl_pipeline_token *t = tk(c, i);
	return t && t->kind == TK_WORD && t->len == strlen(kw) &&
	       !strncasecmp(c->f->text + t->off, kw, t->len);
}

static bool is_punct(const struct cur *c, uint32_t i, char ch)
{
	const struct sl_pipeline_token *t = tk(c, i);
	return t && t->kind == TK_PUNCT && t->ch == ch;
}

/* "'FROM'" or "the end of the statement", for messages. */
static const char *tk_desc(const struct cur *c, uint32_t i, char *buf, size_t n)
{
	const struct sl_pipeline_token *t = tk(c, i);
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
	sl_pipeline_verr(c->f, c->err, SL_ESYNTAX, tk_off(c, i), fmt, ap);
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
	sl_pipeline_err(c->f, c->err, SL_EANALYSIS, tk_off(c, i), "%s", msg);
	return SL_EANALYSIS;
}

static const char *const keywords[] = {
	"SELECT", "FROM",   "WHERE", "WITH", "AS",
	"CREATE", "INSERT", "INTO",  NULL,
};

/* name: a plain identifier or a `backticked` one. */
static int parse_name(struct cur *c, const char *what, sl_pipeline_text *out)
{
	const struct sl_pipeline_token *t = tk(c, c->i);
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
	const struct sl_pipeline_token *a = tk(c, i), *b = tk(c, i + 1);
	return a && b && a->off + a->len == b->off;
}

static bool bare_part(const struct cur *c, uint32_t i)
{
	const struct sl_pipeline_token *t = tk(c, i);
	return t && t->kind != TK_STRING && t->kind != TK_QUOTED_ID &&
	       !(t->kind == TK_PUNCT && strchr(",()=;", t->ch));
}

/* A key or a value: 'quoted', `backticked` (keys), or bare: touching
 * words and punctuation up to a space, ',', ')' or '='. */
static int parse_word(struct cur *c, bool key, sl_pipeline_text *out)
{
	const struct sl_pipeline_token *t = tk(c, c->i);
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
	const struct sl_pipeline_token *last = tk(c, c->i++);
	out->off = t->off;
	out->s = sl_arena_strndup(&c->f->arena, c->f->text + t->off,
				  last->off + last->len - t->off);
	return 0;
}

/* WITH ( key = value, ... ) */
static int parse_options(struct cur *c, sl_pipeline_stmt *st)
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
		sl_pipeline_opt *o = &st->opts[st->nopts];
		int rc = parse_word(c, true, &o->key);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < st->nopts; k++)
			if (!strcasecmp(st->opts[k].key.s, o->key.s)) {
				int l, col;
				sl_pipeline_linecol(c->f, st->opts[k].key.off,
						    &l, &col);
				return sl_pipeline_err(
					c->f, c->err, SL_ESYNTAX, o->key.off,
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
static sl_pipeline_text slice(struct cur *c, uint32_t a, uint32_t b)
{
	const struct sl_pipeline_token *first = &c->lx->t[a],
				       *last = &c->lx->t[b - 1];
	uint32_t len = last->off + last->len - first->off;
	char *s = sl_arena_strndup(&c->f->arena, c->f->text + first->off, len);
	for (uint32_t k = 0; k < len; k++)
		if (s[k] == '\n' || s[k] == '\r' || s[k] == '\t')
			s[k] = ' ';
	return (sl_pipeline_text){ s, first->off };
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
		const struct sl_pipeline_token *t = tk(c, i);
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
		      sl_pipeline_text **items, uint32_t *n)
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
					      what,
					      tk_desc(c, i, b, sizeof(b)));
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
static int parse_watermark(struct cur *c, sl_pipeline_select *sel)
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
		const struct sl_pipeline_token *t = tk(c, i);
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
	sel->wm_delay = (sl_pipeline_text){ d, tk(c, c->i)->off };
	c->i = stop;
	return 0;
}

/* [q.]col of a join condition */
static int parse_qcol(struct cur *c, sl_pipeline_text *q, sl_pipeline_text *col)
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
static int parse_join(struct cur *c, sl_pipeline_select *sel)
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
			sl_pipeline_joinkey *k = &sel->jkeys[sel->njoin++];
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
		sl_pipeline_joinkey *k = &sel->jkeys[sel->njoin++];
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
static int parse_select(struct cur *c, sl_pipeline_select *sel)
{
	char b[64];
	if (!is_kw(c, c->i, "SELECT"))
		return expected(c, "SELECT");
	sel->off = tk_off(c, c->i);
	c->i++;
	/* DISTINCT: sql/builder.c finds it again after the keyword */
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

/* SET key = value, SET TIME ZONE 'zone': Spark's session configuration.
 * The value is a quoted string or, as Spark takes it, the statement's
 * text after '=' (America/Los_Angeles, false). */
static int parse_set(struct cur *c, sl_pipeline_stmt *st)
{
	sl_pipeline_opt *o = sl_arena_calloc(&c->f->arena, sizeof(*o));
	int rc;

	st->opts = o;
	st->nopts = 1;
	if (is_kw(c, c->i, "TIME") && is_kw(c, c->i + 1, "ZONE")) {
		o->key.s = "spark.sql.session.timeZone";
		o->key.off = tk_off(c, c->i);
		c->i += 2;
		if (is_kw(c, c->i, "LOCAL") || is_kw(c, c->i, "INTERVAL"))
			return syntax(c, c->i,
				      "SET TIME ZONE %s is not supported: name "
				      "the zone, e.g. SET TIME ZONE "
				      "'Europe/Madrid' or '+01:00'",
				      is_kw(c, c->i, "LOCAL") ? "LOCAL"
							      : "INTERVAL");
		if (c->i >= c->end)
			return expected(c, "a time zone after SET TIME ZONE");
		return parse_word(c, false, &o->value);
	}
	if (c->i >= c->end)
		return syntax(c, c->i,
			      "SET without a key lists the settings in Spark; "
			      "in a pipeline write SET key = value");
	if ((rc = parse_word(c, true, &o->key)))
		return rc;
	if (!is_punct(c, c->i, '='))
		return syntax(c, c->i,
			      "SET %s without '= value' shows the setting in "
			      "Spark; in a pipeline write SET %s = value",
			      o->key.s, o->key.s);
	c->i++;
	const struct sl_pipeline_token *t = tk(c, c->i);
	if (!t)
		return syntax(c, c->i, "SET %s has no value", o->key.s);
	if (t->kind == TK_STRING && c->i + 1 == c->end)
		return parse_word(c, false, &o->value);
	const struct sl_pipeline_token *last = tk(c, c->end - 1);
	o->value.off = t->off;
	o->value.s = sl_arena_strndup(&c->f->arena, c->f->text + t->off,
				      last->off + last->len - t->off);
	c->i = c->end;
	return 0;
}

static int parse_stmt(struct cur *c, sl_pipeline_stmt *st)
{
	char b[64];
	int rc;
	st->off = tk_off(c, c->i);
	if (is_kw(c, c->i, "CREATE")) {
		c->i++;
		const char *what;
		if (is_kw(c, c->i, "SOURCE")) {
			st->kind = SL_PIPELINE_SOURCE;
			what = "a source";
		} else if (is_kw(c, c->i, "SINK")) {
			st->kind = SL_PIPELINE_SINK;
			what = "a sink";
		} else if (is_kw(c, c->i, "VIEW")) {
			st->kind = SL_PIPELINE_VIEW;
			what = "a view";
		} else if (is_kw(c, c->i, "TABLE")) {
			/* a static table: a source read once */
			st->kind = SL_PIPELINE_SOURCE;
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
		if (st->kind == SL_PIPELINE_VIEW) {
			if (!is_kw(c, c->i, "AS"))
				return expected(c, "AS SELECT ...");
			c->i++;
			rc = parse_select(c, &st->sel);
		} else {
			rc = parse_options(c, st);
		}
	} else if (is_kw(c, c->i, "INSERT")) {
		st->kind = SL_PIPELINE_INSERT;
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
	} else if (is_kw(c, c->i, "SET")) {
		st->kind = SL_PIPELINE_SET;
		c->i++;
		rc = parse_set(c, st);
	} else if (is_kw(c, c->i, "SELECT")) {
		return syntax(c, c->i,
			      "a SELECT on its own has nowhere to go: write "
			      "INSERT INTO <sink> SELECT ...");
	} else {
		return syntax(c, c->i,
			      "unknown statement starting with %s: expected "
			      "CREATE SOURCE, CREATE VIEW, CREATE SINK, "
			      "INSERT INTO or SET",
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

void sl_pipeline_file_free(sl_pipeline_file *f)
{
	if (!f)
		return;
	sl_arena a = f->arena;
	sl_arena_free(&a); /* f itself lives in its arena */
}

int sl_pipeline_parse(const char *text, size_t len, const char *filename,
		      sl_pipeline_file **out, sl_err *err)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_pipeline_file *f = sl_arena_calloc(&a, sizeof(*f));
	f->filename = sl_arena_strdup(&a, filename ? filename : "<pipeline>");
	char *copy = sl_arena_strndup(&a, text, len);
	f->text = copy;
	f->len = len;
	f->arena = a;

	struct sl_pipeline_lexer lx = { .f = f, .text = copy };
	int rc = sl_pipeline_lex(&lx, err);
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
		sl_pipeline_file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}
