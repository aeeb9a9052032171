/* expr/parse_interval.c - INTERVAL literals in every form Spark's parser
 * takes, for expr/parse.c: a multi-unit list (INTERVAL 1 DAY 2 HOURS,
 * INTERVAL '-1' DAY, INTERVAL 1.5 SECONDS), a unit-to-unit form
 * (INTERVAL '1 02:03:04' DAY TO SECOND, INTERVAL -'1-2' YEAR TO MONTH)
 * and a string alone (INTERVAL '1 day 2 hours'). Each becomes a literal
 * of an ANSI interval type whose fields are the units written, as in
 * Spark; a text the form cannot read is a syntax error at the literal. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "core/interval.h"
#include "expr/parse_internal.h"

/* the words a multi-unit list takes: singular or plural */
static bool unit_word(const sl_tok *t)
{
	static const char *const w[] = { "year",   "month",	      "week",
					 "day",	   "hour",	      "minute",
					 "second", "millisecond", "microsecond" };
	if (t->type != TK_IDENT)
		return false;
	size_t n = strlen(t->s);
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		size_t l = strlen(w[k]);
		if ((n == l || (n == l + 1 && (t->s[l] == 's' || t->s[l] == 'S'))) &&
		    !strncasecmp(t->s, w[k], l))
			return true;
	}
	return false;
}

typedef struct lexstate {
	sl_lexer lx;
	sl_tok t;
} lexstate;

/* Whether a value and a unit start at the current token: [+|-] number or
 * string, then a unit word (or, first, TO's unit). Leaves the parser
 * where it was. */
static bool value_unit_ahead(parser *p)
{
	lexstate save = { p->lx, p->t };
	if (p->t.type == TK_OP && (p->t.op == '-' || p->t.op == '+'))
		sl_px_next(p);
	bool ok = p->t.type == TK_NUM || p->t.type == TK_STR;
	if (ok) {
		sl_px_next(p);
		ok = unit_word(&p->t);
	}
	p->lx = save.lx;
	p->t = save.t;
	return ok;
}

static bool is_to(const parser *p)
{
	return p->t.type == TK_IDENT && !strcasecmp(p->t.s, "TO");
}

static void *iv_fail(parser *p, size_t off, const char *why)
{
	return sl_px_fail_at(p, off, p->t.off > off ? p->t.off - off : 8, why);
}

/* INTERVAL [+|-]'text' FROM TO TO, the value read already */
static sl_expr *unit_to_unit(parser *p, size_t off, const char *s, size_t n,
			     int sign, const char *from)
{
	sl_px_next(p); /* TO */
	if (p->t.type != TK_IDENT)
		return iv_fail(p, off, "expected an interval unit after TO");
	sl_type id1, id2;
	int f1, f2;
	const char *to = p->t.s;
	if (!sl_interval_field_of(from, strlen(from), &id1, &f1) ||
	    !sl_interval_field_of(to, strlen(to), &id2, &f2) || id1 != id2 ||
	    f2 <= f1) {
		char why[160];
		snprintf(why, sizeof(why),
			 "[INVALID_INTERVAL_FORMAT.UNSUPPORTED_FROM_TO_EXPRESSION] "
			 "Intervals FROM %s TO %s are not supported.",
			 from, to);
		return iv_fail(p, off, why);
	}
	sl_px_next(p);
	const sl_dtype *t = sl_dtype_interval(id1, f1, f2);
	sl_value v;
	char why[300], msg[512];
	if (sl_interval_parse_fields(s, n, t, false, sign, &v, why,
				     sizeof(why))) {
		snprintf(msg, sizeof(msg),
			 "[INVALID_INTERVAL_FORMAT.UNMATCHED_FORMAT_STRING] "
			 "Error parsing '%.*s' to interval: %s",
			 (int)(n > 60 ? 60 : n), s, why);
		return sl_px_fail_at(p, off, p->t.off - off, msg);
	}
	return sl_px_lit(p, off, v, t);
}

static sl_expr *from_units(parser *p, size_t off, const char *text, size_t n)
{
	sl_value v;
	const sl_dtype *t;
	char why[400];
	if (sl_interval_parse_units(text, n, &v, &t, why, sizeof(why)))
		return sl_px_fail_at(p, off, p->t.off - off, why);
	return sl_px_lit(p, off, v, t);
}

bool sl_px_interval_ahead(parser *p)
{
	return p->t.type == TK_STR || p->t.type == TK_NUM ||
	       value_unit_ahead(p);
}

sl_expr *sl_px_interval_lit(parser *p, size_t off)
{
	/* INTERVAL 'text' alone: the text's own units */
	if (p->t.type == TK_STR && !value_unit_ahead(p)) {
		const char *s = p->t.s;
		size_t n = p->t.slen;
		sl_px_next(p);
		return from_units(p, off, s, n);
	}
	if (!value_unit_ahead(p))
		return iv_fail(p, off, "expected an interval value and unit "
				       "after INTERVAL");
	sl_buf w;
	sl_buf_init(&w, p->a, 64);
	bool first = true;
	while (value_unit_ahead(p)) {
		int sign = 1;
		if (p->t.type == TK_OP) {
			sign = p->t.op == '-' ? -1 : 1;
			sl_px_next(p);
		}
		sl_tok val = p->t;
		sl_px_next(p);
		const char *unit = p->t.s;
		sl_px_next(p);
		if (first && is_to(p)) {
			if (val.type != TK_STR)
				return iv_fail(p, off, "The value of from-to "
						       "unit must be a string.");
			return unit_to_unit(p, off, val.s, val.slen, sign, unit);
		}
		first = false;
		sl_buf_putc(&w, ' ');
		if (val.type == TK_STR) {
			/* a unit inside the text would join the next one:
			 * INTERVAL '1 day 2' HOUR is an error */
			for (size_t i = 0; i < val.slen; i++)
				if (isalpha((unsigned char)val.s[i]))
					return iv_fail(
						p, off,
						"[INVALID_INTERVAL_FORMAT] an "
						"interval value must not name "
						"units");
			const char *s = val.s;
			size_t n = val.slen;
			while (n && isspace((unsigned char)*s))
				s++, n--;
			if (sign < 0 && n && *s == '-')
				s++, n--;
			else if (sign < 0)
				sl_buf_putc(&w, '-');
			sl_buf_put(&w, s, n);
		} else {
			if (sign < 0)
				sl_buf_putc(&w, '-');
			sl_buf_put(&w, p->text + val.off, val.len);
		}
		sl_buf_printf(&w, " %s", unit);
	}
	return from_units(p, off, w.s, w.len);
}
