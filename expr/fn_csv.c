/* expr/fn_csv.c - to_csv and from_csv with Spark's default CSV options
 * (separator ',', quote '"', escape '\\', null as an empty field).
 *
 * to_csv writes a struct's fields as one line: each field as Spark
 * casts it to a string (timestamps as yyyy-MM-dd'T'HH:mm:ss.SSSXXX,
 * binary as [41 42]), leading and trailing whitespace trimmed, quoted when
 * it holds the separator, a quote, a line break, starts with the comment
 * character '#' or is empty, a quote inside escaped as \". from_csv reads
 * one line into the struct of a DDL schema: fields past the schema are
 * dropped, missing ones null, an empty field null, and a field its type
 * cannot read null (Spark's PERMISSIVE mode); a quoted field ends at a
 * quote before the separator, \" inside it is a quote, and a field with a
 * quote elsewhere is taken as written up to the next separator.
 * schema_of_csv infers such a schema from one line as Spark does. The
 * options map('sep', ';', ...) takes sep (delimiter), quote, escape,
 * nullValue and, for to_csv, quoteAll; others are refused. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "expr/fn.h"

/* The options a call's map('sep', ';', ...) gives. */
typedef struct csv_opts {
	char sep, quote, escape;
	bool quote_all;
	const char *null_text; /* written for a null (to_csv) */
	uint32_t null_len;
} csv_opts;

static const csv_opts defaults = { ',', '"', '\\', false, "", 0 };

static const csv_opts *opts_of(const sl_expr *e)
{
	return e->aux ? e->aux : &defaults;
}

/* The options argument i: map('sep', ';', ...) of string literals, read
 * as written (it is not bound: its call is the options' syntax). */
static int parse_options(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
			 sl_err *err)
{
	if (e->nargs <= i)
		return 0;
	const sl_expr *m = e->args[i];
	if (m->kind != EX_FUNC || strcmp(m->ident, "map") || m->nargs % 2)
		return sl_bind_fail(err, m, SL_EANALYSIS,
				    "[INVALID_OPTIONS.NON_MAP_FUNCTION] %s: the "
				    "options must be map('key', 'value', ...)",
				    e->fn->name);
	csv_opts *o = sl_arena_alloc(cx->a, sizeof(*o));
	*o = defaults;
	for (uint32_t k = 0; k < m->nargs; k += 2) {
		const sl_expr *kx = m->args[k], *vx = m->args[k + 1];
		if (kx->kind != EX_LIT || kx->lit.type != SL_STRING ||
		    vx->kind != EX_LIT || vx->lit.type != SL_STRING)
			return sl_bind_fail(
				err, kx, SL_EANALYSIS,
				"[INVALID_OPTIONS.NON_STRING_TYPE] %s: the "
				"options' keys and values must be string "
				"literals",
				e->fn->name);
		const char *key = sl_arena_strndup(cx->a, kx->lit.v.str,
						   kx->lit.len);
		const char *v = vx->lit.v.str;
		uint32_t vn = vx->lit.len;
		char *one = NULL;
		if (!strcmp(key, "sep") || !strcmp(key, "delimiter"))
			one = &o->sep;
		else if (!strcmp(key, "quote"))
			one = &o->quote;
		else if (!strcmp(key, "escape"))
			one = &o->escape;
		if (one) {
			if (vn != 1)
				return sl_bind_fail(
					err, vx, SL_EANALYSIS,
					"%s: the option %s takes one "
					"character, not '%.*s'",
					e->fn->name, key, (int)vn, v);
			*one = v[0];
		} else if (!strcmp(key, "nullValue")) {
			o->null_text = sl_arena_strndup(cx->a, v, vn);
			o->null_len = vn;
		} else if (!strcmp(key, "quoteAll") &&
			   e->fn->name[0] == 't') {
			o->quote_all = vn == 4 && !strncasecmp(v, "true", 4);
		} else {
			return sl_bind_fail(err, kx, SL_EANALYSIS,
					    "%s: the CSV option '%s' is not "
					    "supported (sep, quote, escape, "
					    "nullValue%s are)",
					    e->fn->name, key,
					    e->fn->name[0] == 't' ? ", quoteAll"
								  : "");
		}
	}
	e->aux = o;
	return 0;
}

/* Binds arguments 0..n-1 (the options after them stay as written) and
 * names the call fn(args[0]), as Spark names it. */
static int bind_plain_args(sl_bind_ctx *cx, sl_expr *e, uint32_t n,
			   sl_err *err)
{
	for (uint32_t i = 0; i < n && i < e->nargs; i++) {
		if (e->args[i]->kind == EX_STAR || e->args[i]->kind == EX_LAMBDA)
			return sl_bind_fail(err, e->args[i], SL_EANALYSIS,
					    "invalid argument of %s",
					    e->fn->name);
		int rc = sl_bind_node(cx, &e->args[i], err);
		if (rc)
			return rc;
	}
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_printf(&w, "%s(%s)", e->fn->name, sl_sql_of(cx, e->args[0]));
	e->sql = sl_buf_cstr(&w);
	e->spelled = NULL;
	e->spelled_of = e->sql;
	return 0;
}

/* ---- to_csv --------------------------------------------------------------- */

static bool needs_quotes(const csv_opts *o, const char *s, size_t n)
{
	if (!n || s[0] == '#' || o->quote_all)
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == o->sep || s[i] == o->quote || s[i] == '\n' ||
		    s[i] == '\r')
			return true;
	return false;
}

static void put_field(sl_buf *w, const csv_opts *o, const sl_value *v,
		      const sl_dtype *t, sl_arena *a)
{
	if (v->type == SL_NULL) {
		sl_buf_put(w, o->null_text, o->null_len);
		return;
	}
	sl_buf tb;
	sl_buf_init(&tb, a, 32);
	const char *s;
	size_t n;
	if (v->type == SL_TIMESTAMP) {
		sl_fmt_ts_json(&tb, v->v.i64);
		s = tb.s;
		n = tb.len;
	} else if (v->type == SL_BINARY) {
		sl_buf_putc(&tb, '[');
		for (uint32_t i = 0; i < v->len; i++)
			sl_buf_printf(&tb, "%s%02X", i ? " " : "", v->v.bin[i]);
		sl_buf_putc(&tb, ']');
		s = tb.s;
		n = tb.len;
	} else {
		sl_value txt;
		sl_cast_value(v, t, &sl_dtype_string, a, &txt);
		s = txt.type == SL_STRING ? txt.v.str : "";
		n = txt.type == SL_STRING ? txt.len : 0;
	}
	while (n && (unsigned char)s[0] <= ' ') {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= ' ')
		n--;
	if (!needs_quotes(o, s, n)) {
		sl_buf_put(w, s, n);
		return;
	}
	sl_buf_putc(w, o->quote);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == o->quote)
			sl_buf_putc(w, o->escape);
		sl_buf_putc(w, s[i]);
	}
	sl_buf_putc(w, o->quote);
}

static int ev_to_csv(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, st);
	const sl_schema *sc = e->args[0]->type->fields;
	sl_buf w;
	sl_buf_init(&w, a, 64);
	const csv_opts *o = opts_of(e);
	for (uint32_t i = 0; i < st.len && i < sc->n; i++) {
		if (i)
			sl_buf_putc(&w, o->sep);
		put_field(&w, o, &st.v.fields[i], sc->fields[i].type, a);
		if (w.len > SL_FN_MAX_OUT)
			return sl_fn_too_big(err, e);
	}
	*out = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

int sl_fn_bind_to_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_plain_args(cx, e, 1, err);
	if (!rc)
		rc = parse_options(cx, e, 1, err);
	if (rc)
		return rc;
	if (e->args[0]->type->id != SL_STRUCT)
		return sl_fn_arg_type_error(e, 0, "\"STRUCT\"", err);
	e->type = &sl_dtype_string;
	e->eval = ev_to_csv;
	return 0;
}

/* ---- from_csv ------------------------------------------------------------- */

/* The next field of s[*i..n) into f (*quoted: it was quoted); advances
 * *i past its separator; false at the end of the line. */
static bool next_field(const csv_opts *o, const char *s, size_t n,
		       size_t *i, sl_buf *f, bool *quoted)
{
	size_t p = *i;
	f->len = 0;
	*quoted = false;
	if (p > n)
		return false;
	if (p < n && s[p] == o->quote) {
		size_t q = p + 1;
		for (; q < n; q++) {
			if (s[q] == o->escape && q + 1 < n &&
			    s[q + 1] == o->quote) {
				sl_buf_putc(f, o->quote);
				q++;
			} else if (s[q] == o->quote) {
				break;
			} else {
				sl_buf_putc(f, s[q]);
			}
		}
		if (q < n && (q + 1 == n || s[q + 1] == o->sep)) {
			*i = q + 2;
			*quoted = true;
			return true;
		}
		/* a quote inside: the field as written, to the separator */
		f->len = 0;
	}
	size_t q = p;
	while (q < n && s[q] != o->sep)
		q++;
	sl_buf_put(f, s + p, q - p);
	*i = q + 1;
	return true;
}

/* Java's Integer/Long.parseLong: an optional sign and digits only. */
static bool strict_long(const char *s, size_t n, int64_t lo, int64_t hi,
			int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	__int128 v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > (__int128)hi + 1)
			return false;
	}
	v = neg ? -v : v;
	if (v < lo || v > hi)
		return false;
	*out = (int64_t)v;
	return true;
}

/* One field's text as the field's type, null when it cannot be read. */
static void read_field(const char *s, size_t n, const sl_dtype *t,
		       sl_arena *a, sl_value *out)
{
	int64_t l;
	*out = sl_v_null();
	switch ((int)t->id) {
	case SL_STRING: {
		char *c = sl_arena_alloc(a, n ? n : 1);
		memcpy(c, s, n);
		*out = sl_v_str(c, (uint32_t)n);
		return;
	}
	case SL_BYTE:
	case SL_SHORT:
	case SL_INT: {
		int64_t lim = t->id == SL_BYTE ? 127 : t->id == SL_SHORT
							     ? 32767
							     : INT32_MAX;
		if (strict_long(s, n, -lim - 1, lim, &l)) {
			*out = sl_v_int((int32_t)l);
			out->type = (uint8_t)t->id;
		}
		return;
	}
	case SL_LONG:
		if (strict_long(s, n, INT64_MIN, INT64_MAX, &l))
			*out = sl_v_long(l);
		return;
	case SL_BOOL:
		if (n == 4 && !strncasecmp(s, "true", 4))
			*out = sl_v_bool(true);
		else if (n == 5 && !strncasecmp(s, "false", 5))
			*out = sl_v_bool(false);
		return;
	case SL_DOUBLE:
	case SL_FLOAT: {
		double d;
		if (n == 3 && !memcmp(s, "NaN", 3))
			d = NAN;
		else if (n == 3 && !memcmp(s, "Inf", 3))
			d = INFINITY;
		else if (n == 4 && !memcmp(s, "-Inf", 4))
			d = -INFINITY;
		else if (!sl_str_to_double(s, n, &d))
			return;
		*out = t->id == SL_FLOAT ? sl_v_float((float)d)
					 : sl_v_double(d);
		return;
	}
	default: {
		sl_value in = sl_v_str(s, (uint32_t)n);
		sl_cast_value(&in, &sl_dtype_string, t, a, out);
		return;
	}
	}
}

static int ev_from_csv(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	const sl_schema *sc = e->type->fields;
	sl_value *f = sl_arena_alloc(a, (sc->n ? sc->n : 1) * sizeof(*f));
	sl_buf b;
	sl_buf_init(&b, a, 32);
	size_t i = 0;
	bool more = x.len > 0, quoted;
	const csv_opts *o = opts_of(e);
	for (uint32_t k = 0; k < sc->n; k++) {
		f[k] = sl_v_null();
		if (!more ||
		    !next_field(o, x.v.str, x.len, &i, &b, &quoted)) {
			more = false;
			continue;
		}
		/* an empty field or nullValue is null */
		if (quoted || (b.len && (b.len != o->null_len ||
					 memcmp(b.s, o->null_text, b.len))))
			read_field(b.s ? b.s : "", b.len, sc->fields[k].type,
				   a, &f[k]);
	}
	out->type = SL_STRUCT;
	out->len = sc->n;
	out->v.fields = f;
	return 0;
}

int sl_fn_bind_from_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bind_plain_args(cx, e, 2, err);
	if (!rc)
		rc = parse_options(cx, e, 2, err);
	if (rc)
		return rc;
	const sl_expr *s = e->args[1];
	/* a literal, or schema_of_csv of one */
	bool inferred = s->kind == EX_FUNC && s->fn &&
			s->fn->bind == sl_fn_bind_schema_of_csv;
	if ((s->kind != EX_LIT && !inferred) || s->lit.type != SL_STRING)
		return sl_type_mismatch(err, e,
					"the schema of from_csv must be a "
					"string literal such as 'a INT, b "
					"STRING'");
	if ((rc = sl_fn_string_arg(cx, e, 0, err)))
		return rc;
	const char *ddl = sl_arena_strndup(cx->a, s->lit.v.str, s->lit.len);
	sl_err e2 = { 0 };
	const sl_dtype *t = sl_dtype_parse(ddl, s->lit.len, cx->a);
	const sl_schema *sc = t && t->id == SL_STRUCT
				      ? t->fields
				      : sl_schema_parse(ddl, cx->a, &e2);
	if (!sc)
		return sl_bind_fail(err, s, SL_EANALYSIS, "from_csv: %s in '%s'",
				    e2.msg, ddl);
	for (uint32_t i = 0; i < sc->n; i++) {
		int id = sc->fields[i].type->id;
		if (id == SL_ARRAY || id == SL_STRUCT || id == SL_BINARY)
			return sl_bind_fail(
				err, s, SL_EANALYSIS,
				"[UNSUPPORTED_DATATYPE] from_csv cannot read "
				"the field %s: CSV has no such type",
				sc->fields[i].name);
	}
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	st->id = SL_STRUCT;
	st->fields = sc;
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	sl_buf_printf(&w, "from_csv(%s)", e->args[0]->sql);
	e->sql = sl_buf_cstr(&w);
	e->type = st;
	e->eval = ev_from_csv;
	return 0;
}

/* ---- schema_of_csv ------------------------------------------------------ */

/* The type Spark infers for one field's text: INT, BIGINT, DECIMAL(n,0)
 * for longer integers, DOUBLE, DATE, TIMESTAMP, BOOLEAN, else STRING. */
static void infer_field(const char *s, size_t n, sl_buf *w)
{
	int64_t l;
	double d;
	int32_t day;
	int64_t us;
	if (!n) {
		sl_buf_puts(w, "STRING");
	} else if (strict_long(s, n, INT32_MIN, INT32_MAX, &l)) {
		sl_buf_puts(w, "INT");
	} else if (strict_long(s, n, INT64_MIN, INT64_MAX, &l)) {
		sl_buf_puts(w, "BIGINT");
	} else {
		size_t i = s[0] == '+' || s[0] == '-', k = i;
		while (k < n && s[k] >= '0' && s[k] <= '9')
			k++;
		bool digits = k == n && k > i && k - i <= 38;
		bool ts_like = n >= 10 && isdigit((unsigned char)s[0]) &&
			       s[4] == '-';
		if (digits)
			sl_buf_printf(w, "DECIMAL(%zu,0)", k - i);
		else if ((n == 3 && !memcmp(s, "NaN", 3)) ||
			 (n == 3 && !memcmp(s, "Inf", 3)) ||
			 (n == 4 && !memcmp(s, "-Inf", 4)) ||
			 sl_str_to_double(s, n, &d))
			sl_buf_puts(w, "DOUBLE");
		else if (n == 10 && ts_like && sl_str_to_date(s, n, &day))
			sl_buf_puts(w, "DATE");
		else if (ts_like && sl_str_to_ts(s, n, &us))
			sl_buf_puts(w, "TIMESTAMP");
		else if ((n == 4 && !strncasecmp(s, "true", 4)) ||
			 (n == 5 && !strncasecmp(s, "false", 5)))
			sl_buf_puts(w, "BOOLEAN");
		else
			sl_buf_puts(w, "STRING");
	}
}

static int ev_schema_of_csv(FN_EV_ARGS)
{
	*out = e->lit;
	return 0;
}

int sl_fn_bind_schema_of_csv(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_string_arg(cx, e, 0, err);
	if (rc)
		return rc;
	const sl_expr *x = e->args[0];
	if (x->kind != EX_LIT)
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
			"the csv of schema_of_csv must be a string literal, "
			"not %s",
			x->sql);
	if (x->lit.type != SL_STRING || !x->lit.len)
		return sl_type_mismatch_cls(
			err, e, "DATATYPE_MISMATCH.UNEXPECTED_NULL",
			"The csv must not be null or empty");
	sl_buf w, f;
	sl_buf_init(&w, cx->a, 64);
	sl_buf_init(&f, cx->a, 32);
	sl_buf_puts(&w, "STRUCT<");
	size_t i = 0;
	bool quoted;
	for (uint32_t k = 0; next_field(&defaults, x->lit.v.str, x->lit.len, &i,
					&f, &quoted);
	     k++) {
		sl_buf_printf(&w, "%s_c%u: ", k ? ", " : "", k);
		infer_field(f.s ? f.s : "", f.len, &w);
	}
	sl_buf_putc(&w, '>');
	e->lit = sl_v_str(w.s, (uint32_t)w.len);
	e->type = &sl_dtype_string;
	e->eval = ev_schema_of_csv;
	return 0;
}
