/* io/format.c - what the formats (io/format.h) share with each other and
 * with the file source and sink: merged option tables, the schema and
 * data columns of a scan, and the value renderers of the writers (CAST AS
 * STRING, ISO-8601 timestamps, Jackson's JSON strings; the last also
 * serves the file sink's manifest, io/sink_file_manifest.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "io/format.h"

/* ---- option tables ---------------------------------------------------- */

static size_t table_len(const sl_opt_def *t)
{
	size_t n = 0;

	while (t && t[n].name)
		n++;
	return n;
}

sl_opt_def *sl_format_table(const sl_opt_def *own, const sl_opt_def *format,
			    size_t base)
{
	size_t no = table_len(own), nf = table_len(format);
	sl_opt_def *t = sl_xcalloc(no + nf + 1, sizeof(*t));

	memcpy(t, own, no * sizeof(*t));
	for (size_t i = 0; i < nf; i++) {
		t[no + i] = format[i];
		t[no + i].offset += base;
	}
	return t;
}

/* ---- scans ------------------------------------------------------------ */

int sl_format_scan_schema(sl_format_scan *scan, const char *ddl, sl_err *err)
{
	sl_err e2 = { 0 };
	sl_schema *s = sl_schema_parse(ddl, scan->arena, &e2);

	if (!s)
		return sl_err_set(err, SL_EOPTION,
				  "source '%s': option 'schema': %s",
				  scan->component, e2.msg);
	scan->schema = s;
	return 0;
}

int sl_format_scan_columns(sl_format_scan *scan, sl_err *err)
{
	const sl_schema *s = scan->schema;

	scan->corrupt = -1;
	if (scan->corrupt_col) {
		const char *cc = scan->corrupt_col;

		scan->corrupt = sl_schema_find(s, cc, strlen(cc));
		if (scan->corrupt >= 0 &&
		    s->fields[scan->corrupt].type->id != SL_STRING)
			return sl_err_set(err, SL_EOPTION,
					  "source '%s': the corrupt record "
					  "column '%s' must be STRING",
					  scan->component, cc);
	}
	scan->ndata = 0;
	scan->data = sl_arena_alloc(scan->arena, (s->n + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++)
		if ((int)i != scan->corrupt)
			scan->data[scan->ndata++] = i;
	return 0;
}

/* ---- writers ---------------------------------------------------------- */

int sl_format_column_error(sl_err *err, const char *component,
			   const sl_dtype *t, const char *col, const char *why)
{
	char tn[128];

	sl_dtype_name(t, tn, sizeof(tn));
	return sl_err_set(err, SL_EANALYSIS, "sink '%s': column '%s' is %s: %s",
			  component, col, tn, why);
}

/* ---- rendering values ------------------------------------------------- */

void sl_format_put_render(sl_buf *b, const sl_value *v)
{
	size_t need;

	sl_buf_reserve(b, 64);
	need = sl_value_render(v, b->s + b->len, b->cap - b->len);
	if (need >= b->cap - b->len) {
		sl_buf_reserve(b, need + 1);
		sl_value_render(v, b->s + b->len, b->cap - b->len);
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

/* yyyy-MM-dd'T'HH:mm:ss.SSSXXX: microseconds are cut to milliseconds, as
 * that pattern does. */
void sl_format_put_iso_ts(sl_buf *b, int64_t us)
{
	int64_t ms = floor_div(us, 1000);
	int64_t days = floor_div(ms, 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	int mo, d;

	civil_date(days, &y, &mo, &d);
	/* years past 9999 take a sign, as java.time prints them */
	if (y > 9999)
		sl_buf_putc(b, '+');
	sl_buf_printf(b, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo,
		      d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
		      (int)(rem / 1000 % 60), (int)(rem % 1000));
}

void sl_format_json_str(sl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sl_buf_putc(b, '"');
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
			sl_buf_putc(b, '\\');
			sl_buf_putc(b, e);
		} else if (c < 0x20) {
			char u[6] = { '\\', 'u',	 '0',
				      '0',  hex[c >> 4], hex[c & 15] };
			sl_buf_put(b, u, 6);
		} else {
			sl_buf_putc(b, (char)c);
		}
	}
	sl_buf_putc(b, '"');
}
