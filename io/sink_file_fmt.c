/* io/sink_file_fmt.c - the file sink's row encoders: JSON lines, CSV and
 * text as Spark's writers produce them (Jackson's escaping, univocity's
 * quoting, ISO-8601 timestamps), appended to a partition directory's
 * buffer. Called by the sink's write() (io/sink_file.c) for every row; the
 * JSON string escaper also serves the manifest (io/sink_file_manifest.c). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/sink_file_internal.h"

/* ---- rendering values ------------------------------------------------- */

/* Appends CAST(v AS STRING) (sl_value_render) to b. */
void sl_fsink_put_render(sl_fbuf *b, const sl_value *v)
{
	size_t need;

	fb_reserve(b, 64);
	need = sl_value_render(v, b->p + b->len, b->cap - b->len);
	if (need >= b->cap - b->len) {
		fb_reserve(b, need + 1);
		sl_value_render(v, b->p + b->len, b->cap - b->len);
	}
	b->len += need;
}

/* Days since 1970-01-01 to a proleptic Gregorian date: shift to a calendar
 * whose years start in March (so the leap day ends a year), count 400-year
 * eras, then the year of era and the day of year. */
static void civil_date(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Spark's default timestampFormat for JSON and CSV output,
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC: "2024-01-01T00:00:00.000Z".
 * Microseconds are cut to milliseconds, as that pattern does. */
static void put_iso_ts(sl_fbuf *b, int64_t us)
{
	int64_t ms = floor_div(us, 1000);
	int64_t days = floor_div(ms, 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	int mo, d;

	civil_date(days, &y, &mo, &d);
	fb_printf(b, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
		  (int)(rem / 3600000), (int)(rem / 60000 % 60),
		  (int)(rem / 1000 % 60), (int)(rem % 1000));
}

/* ---- JSON lines ------------------------------------------------------- */

/* A JSON string as Jackson writes it: quote, backslash and control
 * characters escaped; everything else (UTF-8 included) as it is. */
void sl_fsink_json_str(sl_fbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	fb_reserve(b, n + 2);
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = 0;

		switch (c) {
		case '"': e = '"'; break;
		case '\\': e = '\\'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\t': e = 't'; break;
		case '\b': e = 'b'; break;
		case '\f': e = 'f'; break;
		}
		if (e) {
			fb_putc(b, '\\');
			fb_putc(b, e);
		} else if (c < 0x20) {
			char u[6] = { '\\', 'u',	 '0',
				      '0',  hex[c >> 4], hex[c & 15] };
			fb_put(b, u, 6);
		} else {
			fb_putc(b, (char)c);
		}
	}
	fb_putc(b, '"');
}

/* Jackson's default base64 (MIME alphabet, padded, no line feeds). */
static void json_base64(sl_fbuf *b, const uint8_t *p, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				 "tuvwxyz0123456789+/";

	fb_reserve(b, (n + 2) / 3 * 4 + 2);
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		b->p[b->len++] = al[v >> 18 & 63];
		b->p[b->len++] = al[v >> 12 & 63];
		b->p[b->len++] = k > 1 ? al[v >> 6 & 63] : '=';
		b->p[b->len++] = k > 2 ? al[v & 63] : '=';
	}
	b->p[b->len++] = '"';
}

static void json_value(sl_fbuf *b, const sl_value *v, const sl_dtype *t);

/* A struct as Spark's JSON writer does it: fields in order, null fields
 * left out (ignoreNullFields, Spark's default). */
static void json_struct(sl_fbuf *b, const sl_value *vals, uint32_t n,
			const sl_schema *names)
{
	bool first = true;

	fb_putc(b, '{');
	for (uint32_t i = 0; i < n; i++) {
		const sl_dtype *ft = NULL;
		char nm[24];
		const char *name = nm;

		if (sl_v_is_null(&vals[i]))
			continue;
		if (names && i < names->n) {
			name = names->fields[i].name;
			ft = names->fields[i].type;
		} else {
			snprintf(nm, sizeof(nm), "col%u", i + 1);
		}
		if (!first)
			fb_putc(b, ',');
		first = false;
		sl_fsink_json_str(b, name, strlen(name));
		fb_putc(b, ':');
		json_value(b, &vals[i], ft);
	}
	fb_putc(b, '}');
}

static void json_value(sl_fbuf *b, const sl_value *v, const sl_dtype *t)
{
	switch ((sl_type)v->type) {
	case SL_NULL: fb_puts(b, "null"); break;
	case SL_BOOL: fb_puts(b, v->v.b ? "true" : "false"); break;
	case SL_INT:
	case SL_LONG: sl_fsink_put_render(b, v); break;
	case SL_DOUBLE:
		/* NaN and the infinities are not JSON numbers: Jackson quotes
		 * them. */
		if (!isfinite(v->v.f64)) {
			fb_putc(b, '"');
			sl_fsink_put_render(b, v);
			fb_putc(b, '"');
		} else {
			sl_fsink_put_render(b, v);
		}
		break;
	case SL_STRING: sl_fsink_json_str(b, v->v.str, v->len); break;
	case SL_BINARY: json_base64(b, v->v.bin, v->len); break;
	case SL_TIMESTAMP:
		fb_putc(b, '"');
		put_iso_ts(b, v->v.i64);
		fb_putc(b, '"');
		break;
	case SL_DATE:
		fb_putc(b, '"');
		sl_fsink_put_render(b, v);
		fb_putc(b, '"');
		break;
	case SL_ARRAY:
		fb_putc(b, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				fb_putc(b, ',');
			json_value(b, &v->v.arr[i],
				   t && t->id == SL_ARRAY ? t->elem : NULL);
		}
		fb_putc(b, ']');
		break;
	case SL_STRUCT:
		json_struct(b, v->v.fields, v->len,
			    t && t->id == SL_STRUCT ? t->fields : NULL);
		break;
	}
}

void sl_fsink_encode_json(sl_fsink *st, const sl_schema *sc, sl_fbuf *b,
			  const sl_value *row)
{
	bool first = true;

	fb_putc(b, '{');
	for (uint32_t i = 0; i < st->ndata; i++) {
		uint32_t c = st->data_cols[i];
		const char *name = sc->fields[c].name;

		if (sl_v_is_null(&row[c]))
			continue;
		if (!first)
			fb_putc(b, ',');
		first = false;
		sl_fsink_json_str(b, name, strlen(name));
		fb_putc(b, ':');
		json_value(b, &row[c], sc->fields[c].type);
	}
	fb_put(b, "}\n", 2);
}

/* ---- CSV -------------------------------------------------------------- */

/* One CSV field, as Spark's writer (univocity) does it with the sink's
 * options: leading/trailing white space cut (ignoreLeadingWhiteSpace and
 * ignoreTrailingWhiteSpace default to true on write), then quoted when it
 * holds the separator, the quote, a line break, is empty (Spark's
 * emptyValue `""`), or equals nullValue (so that it reads back as the
 * string, not as null); inside quotes, quote and escape characters are
 * escaped. */
static void csv_field(const sl_fsink *st, const sl_fsink_conf *cf, sl_fbuf *b,
		      const char *s, size_t n)
{
	bool q = false;

	if (cf->trim_lead)
		while (n && (unsigned char)*s <= ' ') {
			s++;
			n--;
		}
	if (cf->trim_trail)
		while (n && (unsigned char)s[n - 1] <= ' ')
			n--;
	if (st->quote) {
		q = n == 0 || (n == st->null_len && st->null_len &&
			       !memcmp(s, st->null_value, n));
		for (size_t i = 0; i < n && !q; i++)
			q = s[i] == st->sep || s[i] == st->quote ||
			    s[i] == '\n' || s[i] == '\r';
	}
	if (!q) {
		fb_put(b, s, n);
		return;
	}
	fb_reserve(b, n + 2);
	b->p[b->len++] = st->quote;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == st->quote || (st->escape && s[i] == st->escape))
			fb_putc(b, st->escape ? st->escape : st->quote);
		fb_putc(b, s[i]);
	}
	fb_putc(b, st->quote);
}

void sl_fsink_encode_csv(sl_fsink *st, const sl_fsink_conf *cf, sl_fbuf *b,
			 const sl_value *row)
{
	for (uint32_t i = 0; i < st->ndata; i++) {
		const sl_value *v = &row[st->data_cols[i]];

		if (i)
			fb_putc(b, st->sep);
		if (sl_v_is_null(v)) {
			fb_put(b, st->null_value, st->null_len);
			continue;
		}
		st->cell.len = 0;
		if (v->type == SL_STRING) {
			csv_field(st, cf, b, v->v.str, v->len);
			continue;
		}
		if (v->type == SL_TIMESTAMP)
			put_iso_ts(&st->cell, v->v.i64);
		else
			sl_fsink_put_render(&st->cell, v);
		csv_field(st, cf, b, st->cell.p, st->cell.len);
	}
	fb_putc(b, '\n');
}

void sl_fsink_csv_header(sl_fsink *st, const sl_fsink_conf *cf,
			 const sl_schema *sc, sl_fbuf *b)
{
	for (uint32_t i = 0; i < st->ndata; i++) {
		const char *name = sc->fields[st->data_cols[i]].name;

		if (i)
			fb_putc(b, st->sep);
		csv_field(st, cf, b, name, strlen(name));
	}
	fb_putc(b, '\n');
}

/* ---- text ------------------------------------------------------------- */

/* Spark's text writer: the string and a newline; a null is an empty
 * line. */
void sl_fsink_encode_text(sl_fsink *st, sl_fbuf *b, const sl_value *row)
{
	const sl_value *v = &row[st->data_cols[0]];

	if (v->type == SL_STRING)
		fb_put(b, v->v.str, v->len);
	fb_putc(b, '\n');
}

