/* expr/fn_number.c - to_number and try_to_number: a string read by a
 * number format into DECIMAL(p, s), as Spark's does.
 *
 * The format (case-insensitive) is a sequence of: 0 or 9 digits (a run
 * starting with 0 before the point needs exactly that many digits, else
 * at most that many), . or D the point, , or G a thousands separator
 * between digits, $, S (an optional + or -) and MI (an optional -) at
 * either end, PR (<n> for a negative n) at the end. It is checked at
 * bind, with Spark's INVALID_FORMAT classes; p is its digits, s those
 * after the point. An input must match it: digit groups (whitespace among
 * them ignored) no larger than the format's, read right to left, and
 * nothing left over; else to_number fails (INVALID_FORMAT.MISMATCH_INPUT)
 * and try_to_number is null. The entries are the format group's
 * (expr/fn_format.c). */
#include <ctype.h>
#include <stdio.h>

#include "expr/fn.h"

/* The longest format taken. */
#define MAX_FMT 128

enum { T_DIGITS, T_POINT, T_SEP, T_DOLLAR, T_S, T_MI, T_OPEN, T_CLOSE,
       T_BAD };

typedef struct tok {
	uint8_t kind;
	bool exact;  /* T_DIGITS */
	uint16_t n;  /* T_DIGITS: digits in the run */
	char bad;    /* T_BAD: the character */
} tok;

/* A group: runs of digits with separators between, up to the next other
 * token; its runs are kept right to left as the input is compared. */
typedef struct group {
	uint16_t nruns;
	bool exact[MAX_FMT];
	uint16_t n[MAX_FMT];
} group;

typedef struct numfmt {
	const char *text; /* upper-cased */
	uint32_t ntok;
	tok t[MAX_FMT + 2];
	/* the tokens with digit groups folded: T_DIGITS entries index g */
	uint32_t nitem;
	tok item[MAX_FMT + 2];
	group *g[MAX_FMT + 2];
	int precision, scale;
} numfmt;

static int bad_format(sl_err *err, const sl_expr *at, const char *sub,
		      const char *fmt, const char *why)
{
	return sl_bind_fail(err, at, SL_EANALYSIS,
			    "[INVALID_FORMAT.%s] The format is invalid: '%s'. "
			    "%s",
			    sub, fmt, why);
}

static int index_of(const numfmt *f, int kind)
{
	for (uint32_t i = 0; i < f->nitem; i++)
		if (f->item[i].kind == kind)
			return (int)i;
	return -1;
}

/* Tokens, then groups, then Spark's checks of the format. */
static int compile(numfmt *f, const sl_expr *at, sl_arena *a, sl_err *err)
{
	const char *s = f->text;
	size_t len = strlen(s);
	bool point = false;
	uint32_t nt = 0;
	if (!len)
		return bad_format(err, at, "EMPTY", s,
				  "The number format string cannot be empty.");
	for (size_t i = 0; i < len;) {
		tok t = { .kind = T_BAD, .bad = s[i] };
		if (s[i] == '0' || s[i] == '9') {
			size_t b = i;
			while (i < len && (s[i] == '0' || s[i] == '9'))
				i++;
			t = (tok){ .kind = T_DIGITS, .n = (uint16_t)(i - b),
				   .exact = s[b] == '0' && !point };
		} else if (s[i] == '.' || s[i] == 'D') {
			t.kind = T_POINT;
			point = true;
			i++;
		} else if (s[i] == ',' || s[i] == 'G') {
			t.kind = T_SEP;
			i++;
		} else if (s[i] == '$') {
			t.kind = T_DOLLAR;
			i++;
		} else if (s[i] == 'S') {
			t.kind = T_S;
			i++;
		} else if (s[i] == 'M' && s[i + 1] == 'I') {
			t.kind = T_MI;
			i += 2;
		} else if (s[i] == 'P' && s[i + 1] == 'R') {
			/* <: first of all; >: here */
			memmove(&f->t[1], &f->t[0], nt * sizeof(tok));
			f->t[0] = (tok){ .kind = T_OPEN };
			nt++;
			t.kind = T_CLOSE;
			i += 2;
		} else {
			i++;
		}
		f->t[nt++] = t;
	}
	f->ntok = nt;
	/* fold runs and separators into groups; check separators */
	point = false;
	for (uint32_t i = 0; i < nt;) {
		tok t = f->t[i];
		if (t.kind != T_DIGITS && t.kind != T_SEP) {
			point |= t.kind == T_POINT;
			f->item[f->nitem++] = t;
			i++;
			continue;
		}
		group *g = sl_arena_calloc(a, sizeof(*g));
		uint32_t b = i;
		bool sep = false;
		while (i < nt && (f->t[i].kind == T_DIGITS ||
				  f->t[i].kind == T_SEP)) {
			bool is_sep = f->t[i].kind == T_SEP;
			if (is_sep && (i == b || i + 1 >= nt ||
				       f->t[i + 1].kind != T_DIGITS ||
				       f->t[i - 1].kind != T_DIGITS) && !point)
				return bad_format(
					err, at, "CONT_THOUSANDS_SEPS", s,
					"Thousands separators (, or G) must "
					"have digits in between them in the "
					"number format.");
			sep |= is_sep;
			i++;
		}
		if (sep && point)
			return bad_format(err, at,
					  "THOUSANDS_SEPS_MUST_BEFORE_DEC", s,
					  "Thousands separators (, or G) may "
					  "not appear after the decimal point "
					  "in the number format.");
		for (uint32_t k = i; k-- > b;) {
			if (f->t[k].kind != T_DIGITS)
				continue;
			g->exact[g->nruns] = f->t[k].exact;
			g->n[g->nruns++] = f->t[k].n;
			f->precision += f->t[k].n;
			if (point)
				f->scale += f->t[k].n;
		}
		f->g[f->nitem] = g;
		f->item[f->nitem++] = (tok){ .kind = T_DIGITS };
	}
	int dig = index_of(f, T_DIGITS), dol = index_of(f, T_DOLLAR),
	    pt = index_of(f, T_POINT);
	if (dig < 0)
		return bad_format(err, at, "WRONG_NUM_DIGIT", s,
				  "The format string requires at least one "
				  "number digit.");
	if (dig < dol)
		return bad_format(err, at, "CUR_MUST_BEFORE_DIGIT", s,
				  "Currency characters must appear before any "
				  "digits in the number format.");
	if (pt >= 0 && pt < dol)
		return bad_format(err, at, "CUR_MUST_BEFORE_DEC", s,
				  "Currency characters must appear before any "
				  "decimal point in the number format.");
	static const int once[] = { T_POINT, T_S, T_MI, T_DOLLAR, T_CLOSE };
	static const char *const once_name[] = { ". or D", "S", "MI", "$",
						 "PR" };
	for (int k = 0; k < 5; k++) {
		int c = 0;
		for (uint32_t i = 0; i < f->nitem; i++)
			c += f->item[i].kind == once[k];
		if (c > 1) {
			char why[96];
			snprintf(why, sizeof(why),
				 "At most one %s is allowed in the number "
				 "format.",
				 once_name[k]);
			return bad_format(err, at, "WRONG_NUM_TOKEN", s, why);
		}
	}
	/* [<] [MI|S] [$] [digits] [.] [digits] [$] [PR|MI|S] */
	static const uint8_t order[8][3] = {
		{ T_OPEN, 255, 255 },	 { T_MI, T_S, 255 },
		{ T_DOLLAR, 255, 255 },	 { T_DIGITS, 255, 255 },
		{ T_POINT, 255, 255 },	 { T_DIGITS, 255, 255 },
		{ T_DOLLAR, 255, 255 },	 { T_MI, T_S, T_CLOSE },
	};
	uint32_t i = 0;
	for (int k = 0; k < 8; k++)
		if (i < f->nitem && (order[k][0] == f->item[i].kind ||
				     order[k][1] == f->item[i].kind ||
				     order[k][2] == f->item[i].kind))
			i++;
	if (i < f->nitem) {
		char why[96];
		const tok *t = &f->item[i];
		if (t->kind == T_BAD)
			snprintf(why, sizeof(why),
				 "Found the unexpected character '%c' in the "
				 "format string.",
				 t->bad);
		else
			snprintf(why, sizeof(why),
				 "Found an unexpected token in the format "
				 "string.");
		return bad_format(err, at, "UNEXPECTED_TOKEN", s, why);
	}
	if (f->precision > 38)
		return sl_bind_fail(err, at, SL_EANALYSIS,
				    "[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] "
				    "Decimal precision %d exceeds max precision "
				    "38.",
				    f->precision);
	return 0;
}

/* The digits of the input at *pos for group g (after the point when
 * after), appended to dig; false if they do not fit g. */
static bool read_group(const group *g, const char *s, size_t n, size_t *pos,
		       char *dig, int *nd, int *nafter, bool after)
{
	uint16_t sizes[MAX_FMT + 1];
	uint32_t ng = 0, cur = 0;
	size_t i = *pos;
	for (; i < n; i++) {
		char c = s[i];
		if (isspace((unsigned char)c))
			continue;
		if (c >= '0' && c <= '9') {
			if (*nd >= 38)
				return false;
			dig[(*nd)++] = c;
			*nafter += after;
			cur++;
			continue;
		}
		if (c != ',')
			break;
		if (ng >= g->nruns)
			return false;
		sizes[ng++] = (uint16_t)cur;
		cur = 0;
	}
	if (ng >= g->nruns + 1u)
		return false;
	sizes[ng++] = (uint16_t)cur;
	/* compare right to left */
	for (uint32_t k = 0; k < g->nruns; k++) {
		uint32_t have = k < ng ? sizes[ng - 1 - k] : 0;
		if (g->exact[k] ? have != g->n[k] : have > g->n[k])
			return false;
	}
	if (ng > g->nruns)
		return false;
	*pos = i;
	return true;
}

static int ev_to_number(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const numfmt *f = e->aux;
	const char *s = x.v.str;
	size_t n = x.len, pos = 0;
	char dig[40];
	int nd = 0, nafter = 0;
	bool after = false, open = false, close = false, neg = false,
	     ok = true;
	for (uint32_t k = 0; k < f->nitem && ok; k++) {
		char c = pos < n ? s[pos] : 0;
		switch (f->item[k].kind) {
		case T_DIGITS:
			ok = read_group(f->g[k], s, n, &pos, dig, &nd, &nafter,
					after);
			break;
		case T_POINT:
			if (c == '.') {
				after = true;
				pos++;
			}
			break;
		case T_DOLLAR:
			ok = c == '$';
			pos += ok;
			break;
		case T_S:
		case T_MI:
			if (c == '-' || (c == '+' && f->item[k].kind == T_S)) {
				neg ^= c == '-';
				pos++;
			}
			break;
		case T_OPEN:
			if (c == '<') {
				open = true;
				pos++;
			}
			break;
		case T_CLOSE:
			if (c == '>') {
				ok = open;
				close = true;
				neg = !neg;
				pos++;
			}
			break;
		default: ok = false;
		}
	}
	if (!ok || pos < n || open != close || nd == 0) {
		if (e->op) {
			*out = sl_v_null();
			return 0;
		}
		return sl_runtime_error(
			err, "INVALID_FORMAT.MISMATCH_INPUT",
			"The format is invalid: %s. The input \"STRING\" %.*s "
			"does not match the format.",
			f->text, (int)(n > 200 ? 200 : n), s);
	}
	sl_dec_u u = 0;
	for (int k = 0; k < nd; k++)
		u = u * 10 + (dig[k] - '0');
	for (int k = nafter; k < f->scale; k++)
		u *= 10;
	*out = sl_v_dec(neg ? -u : u, f->precision, f->scale, a);
	return 0;
}

int sl_fn_bind_to_number(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_args(cx, e, "ss", err);
	if (rc)
		return rc;
	const sl_expr *p = e->args[1];
	if (p->kind != EX_LIT || p->lit.type != SL_STRING)
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
			"the format of %s must be a string literal, not %s",
			e->fn->name, p->sql);
	if (p->lit.len > MAX_FMT)
		return sl_bind_fail(err, p, SL_EANALYSIS,
				    "%s: the format passes %d characters",
				    e->fn->name, MAX_FMT);
	numfmt *f = sl_arena_calloc(cx->a, sizeof(*f));
	char *up = sl_arena_alloc(cx->a, p->lit.len + 1);
	for (uint32_t i = 0; i < p->lit.len; i++)
		up[i] = (char)toupper((unsigned char)p->lit.v.str[i]);
	up[p->lit.len] = 0;
	f->text = up;
	if ((rc = compile(f, p, cx->a, err)))
		return rc;
	e->aux = f;
	e->op = e->fn->name[0] == 't' && e->fn->name[1] == 'r'; /* try_ */
	e->type = sl_dtype_decimal(f->precision, f->scale);
	e->eval = ev_to_number;
	return 0;
}
