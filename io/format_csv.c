/* io/format_csv.c - the CSV format: records of a file split into fields
 * (io/csv.c) and parsed with the source's schema, read through the line
 * service (io/format.h); written as Spark's writer (univocity) does, with
 * its quoting and ISO-8601 timestamps. Options sep, quote, escape,
 * nullValue and header as Spark's. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value_text.h"
#include "io/csv.h"
#include "io/format.h"

struct csv_conf {
	const char *schema;
	bool header;
	const char *sep, *quote, *escape, *null_value;
	bool trim_lead, trim_trail; /* written only */
};

/* The options' characters, once: sl_csv_opts serves the reader's
 * sl_csv_split, and the writer quotes with the same. */
static void csv_chars(const struct csv_conf *c, sl_csv_opts *o)
{
	o->sep = (char)sl_csv_opt_char(c->sep);
	o->quote = (char)sl_csv_opt_char(c->quote);
	o->escape = (char)sl_csv_opt_char(c->escape);
	o->null_value = c->null_value ? c->null_value : "";
	o->null_len = strlen(o->null_value);
}

static const char *csv_finalize(const void *conf)
{
	const struct csv_conf *c = conf;

	return sl_csv_check_chars(c->sep, c->quote, c->escape);
}

/* ---- reading ---------------------------------------------------------- */

struct csv_reader {
	sl_lines lines; /* first: the line service's part */
	bool skip_header;
	char *scratch;
	size_t capscratch;
	sl_csv_field *fields;
	uint32_t capfields;
};

static int csv_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct csv_conf *c = scan->conf;
	sl_csv_opts *o;
	int rc;

	if ((rc = sl_format_scan_schema(scan, c->schema, err)) ||
	    (rc = sl_format_scan_columns(scan, err)))
		return rc;
	for (uint32_t i = 0; i < scan->ndata; i++) {
		const sl_field *f = &scan->schema->fields[scan->data[i]];
		sl_type t = f->type->id;

		if (t == SL_ARRAY || t == SL_STRUCT || t == SL_MAP ||
		    t == SL_BINARY || t == SL_NULL) {
			char tn[64];

			sl_dtype_name(f->type, tn, sizeof(tn));
			return sl_err_set(err, SL_EOPTION,
					  "source 'csv': column %s: CSV does "
					  "not support type %s",
					  f->name, tn);
		}
	}
	o = sl_arena_calloc(scan->arena, sizeof(*o));
	csv_chars(c, o);
	scan->state = o;
	return 0;
}

static void close_lines_reader(void *r)
{
	sl_lines_reader_close(r);
}

static int csv_open(sl_format_reader *r)
{
	const struct csv_conf *c = r->scan->conf;
	struct csv_reader *cr = sl_lines_reader_open(r, sizeof(*cr));

	if (!cr)
		return r->err.code;
	cr->skip_header = c->header;
	cr->capfields = r->scan->ndata + 1;
	/* the open reader is closed by an unwind (core/alloc.h) */
	sl_oom_defer(close_lines_reader, r);
	cr->fields = sl_xrealloc(NULL, cr->capfields * sizeof(*cr->fields));
	sl_oom_undefer(r);
	return 0;
}

static int csv_record(sl_format_reader *r, sl_batch *b, sl_value *row,
		      const char *line, size_t len)
{
	struct csv_reader *cr = r->state;
	const sl_format_scan *scan = r->scan;
	const sl_csv_opts *o = scan->state;
	const sl_schema *sch = scan->schema;
	int64_t line_no = cr->lines.line_no;
	uint32_t nf;
	const char *why = NULL, *open_quote = NULL;
	char whybuf[200];

	if (len > cr->capscratch) {
		cr->capscratch = len * 2;
		cr->scratch = sl_xrealloc(cr->scratch, cr->capscratch);
	}
	sl_csv_split(o, line, len, cr->scratch, cr->fields, cr->capfields, &nf,
		     &open_quote);
	for (uint32_t i = 0; i < scan->ndata && i < nf; i++) {
		const sl_csv_field *f = &cr->fields[i];
		uint32_t col = scan->data[i];
		const sl_field *sf = &sch->fields[col];

		if (sl_csv_is_null(o, f))
			continue;
		if (sl_text_to_value(f->s, f->len, sf->type, &b->arena,
				     &row[col]) < 0 &&
		    !why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "cannot parse '%.*s' as %s for column %s",
				 (int)(f->len > 40 ? 40 : f->len), f->s, tn,
				 sf->name);
			why = whybuf;
		}
	}
	if (nf != scan->ndata && !why && open_quote) {
		why = open_quote;
	} else if (nf != scan->ndata && !why) {
		snprintf(whybuf, sizeof(whybuf), "expected %u fields, found %u",
			 scan->ndata, nf);
		why = whybuf;
	}
	return why ? r->malformed(r, b, row, line, len, line_no, why) : 0;
}

static int csv_line(sl_format_reader *r, sl_batch *b, const char *line,
		    size_t len)
{
	struct csv_reader *cr = r->state;

	if (cr->skip_header) {
		cr->skip_header = false;
		return 0;
	}
	/* A blank line is no record, as in Spark. */
	if (len == 0)
		return 0;
	return sl_lines_record(r, b, line, len, csv_record);
}

static int csv_next(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	return sl_lines_next_batch(r, r->state, b, max, csv_line);
}

static void csv_close(sl_format_reader *r)
{
	struct csv_reader *cr = r->state;

	if (cr) {
		free(cr->scratch);
		free(cr->fields);
	}
	sl_lines_reader_close(r);
}

/* ---- writing ---------------------------------------------------------- */

struct csv_writer {
	sl_csv_opts o;
	sl_buf cell; /* scratch: one rendered value */
};

static int csv_writer_init(sl_format_writer *w, sl_err *err)
{
	struct csv_writer *cw;

	for (uint32_t i = 0; i < w->ncols; i++) {
		const sl_field *f = &w->schema->fields[w->cols[i]];
		sl_type id = f->type->id;

		if (id == SL_ARRAY || id == SL_STRUCT || id == SL_MAP ||
		    id == SL_BINARY)
			return sl_format_column_error(
				err, w->component, f->type, f->name,
				"CSV cannot hold this type (use json, or cast "
				"it to a string)");
	}
	cw = sl_xcalloc(1, sizeof(*cw));
	csv_chars(w->conf, &cw->o);
	w->state = cw;
	return 0;
}

static void csv_writer_free(sl_format_writer *w)
{
	struct csv_writer *cw = w->state;

	if (!cw)
		return;
	sl_buf_free(&cw->cell);
	free(cw);
	w->state = NULL;
}

/* One CSV field, as Spark's writer (univocity) does it with the sink's
 * options: leading/trailing white space cut (ignoreLeadingWhiteSpace and
 * ignoreTrailingWhiteSpace default to true on write), then quoted when it
 * holds the separator, the quote, a line break, is empty (Spark's
 * emptyValue `""`), or equals nullValue (so that it reads back as the
 * string, not as null); inside quotes, quote and escape characters are
 * escaped. */
static void csv_field(const sl_csv_opts *st, const struct csv_conf *cf,
		      sl_buf *b, const char *s, size_t n)
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
		sl_buf_put(b, s, n);
		return;
	}
	sl_buf_putc(b, st->quote);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == st->quote || (st->escape && s[i] == st->escape))
			sl_buf_putc(b, st->escape ? st->escape : st->quote);
		sl_buf_putc(b, s[i]);
	}
	sl_buf_putc(b, st->quote);
}

static int csv_file_open(const sl_format_writer *w, void **file, sl_buf *out,
			 sl_err *err)
{
	const struct csv_conf *cf = w->conf;
	struct csv_writer *cw = w->state;

	(void)err;
	*file = NULL;
	if (!cf->header)
		return 0;
	for (uint32_t i = 0; i < w->ncols; i++) {
		const char *name = w->schema->fields[w->cols[i]].name;

		if (i)
			sl_buf_putc(out, cw->o.sep);
		csv_field(&cw->o, cf, out, name, strlen(name));
	}
	sl_buf_putc(out, '\n');
	return 0;
}

static int csv_write(const sl_format_writer *w, void *file, const sl_batch *b,
		     uint32_t from, uint32_t n, sl_buf *out, sl_err *err)
{
	const struct csv_conf *cf = w->conf;
	struct csv_writer *cw = w->state;
	const sl_csv_opts *st = &cw->o;

	(void)file;
	(void)err;
	for (uint32_t r = from; r < from + n; r++) {
		const sl_value *row = sl_batch_row(b, r);

		for (uint32_t i = 0; i < w->ncols; i++) {
			const sl_value *v = &row[w->cols[i]];

			if (i)
				sl_buf_putc(out, st->sep);
			if (sl_v_is_null(v)) {
				sl_buf_put(out, st->null_value, st->null_len);
				continue;
			}
			sl_buf_reset(&cw->cell);
			if (v->type == SL_STRING) {
				csv_field(st, cf, out, v->v.str, v->len);
				continue;
			}
			if (v->type == SL_TIMESTAMP ||
			    v->type == SL_TIMESTAMP_NTZ) {
				sl_format_put_iso_ts(&cw->cell, v->v.i64);
				/* timestampNTZFormat: no zone */
				cw->cell.len -= v->type == SL_TIMESTAMP_NTZ;
			} else if (v->type == SL_DECIMAL) {
				/* Spark writes Decimal.toString: Java's
				 * BigDecimal text (1.0E-7) */
				sl_fmt_decimal_java(&cw->cell, v);
			} else
				sl_format_put_render(&cw->cell, v);
			csv_field(st, cf, out, cw->cell.s, cw->cell.len);
		}
		sl_buf_putc(out, '\n');
	}
	return 0;
}

/* ---- options ---------------------------------------------------------- */

static const sl_opt_def csv_read_options[] = {
	{ .name = "schema", .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, schema), .required = true,
	  .desc = "The records' schema in Spark DDL ('a STRING, b INT')." },
	{ .name = "header", .type = SL_OPT_BOOL,
	  .offset = offsetof(struct csv_conf, header), .def = "false",
	  .desc = "The first line of each file is a header, skipped." },
	{ .name = "sep", .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, sep), .def = ",",
	  .desc = "Field separator: one character (\"\\t\" for a tab)." },
	{ .name = "quote", .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, quote), .def = "\"",
	  .desc = "Quote character; \"\" turns quoting off." },
	{ .name = "escape", .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, escape), .def = "\\",
	  .desc = "Escapes a quote inside a quoted field." },
	{ .name = "nullValue", .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, null_value), .def = "",
	  .desc = "An unquoted field equal to this is null." },
	{ .name = NULL },
};

static const sl_opt_def csv_write_options[] = {
	{ .name = "header",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(struct csv_conf, header),
	  .def = "false",
	  .desc = "Write the column names as the first line of each file." },
	{ .name = "sep",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, sep),
	  .def = ",",
	  .desc = "Field separator: one character (\"\\t\" for a tab)." },
	{ .name = "quote",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, quote),
	  .def = "\"",
	  .desc = "Quote character for fields that need it; \"\" turns "
		  "quoting off." },
	{ .name = "escape",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, escape),
	  .def = "\\",
	  .desc = "Escapes quote and escape characters inside a quoted "
		  "field." },
	{ .name = "nullValue",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(struct csv_conf, null_value),
	  .def = "",
	  .desc = "Text written for a null." },
	{ .name = "ignoreLeadingWhiteSpace",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(struct csv_conf, trim_lead),
	  .def = "true",
	  .desc = "Cut white space at the start of values (Spark's write "
		  "default)." },
	{ .name = "ignoreTrailingWhiteSpace",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(struct csv_conf, trim_trail),
	  .def = "true",
	  .desc = "Cut white space at the end of values (Spark's write "
		  "default)." },
	{ .name = NULL },
};

const sl_format_ops sl_format_csv = {
	.name = "csv",
	.description = "Comma-separated values, Spark's CSV options.",
	.label = "CSV",
	.extension = ".csv",
	.flags = SL_FORMAT_READ | SL_FORMAT_WRITE | SL_FORMAT_STATIC |
		 SL_FORMAT_MALFORMED | SL_FORMAT_LINES,
	.source_description =
		"CSV records of new files in a directory, parsed with a given "
		"schema. Micro-batch triggers only.",
	.sink_description =
		"Writes CSV files into a directory, each micro-batch made "
		"visible exactly once by the _spark_metadata log, as "
		"Spark's file sink.",
	.read_options = csv_read_options,
	.write_options = csv_write_options,
	.conf_size = sizeof(struct csv_conf),
	.finalize = csv_finalize,
	.scan_init = csv_scan_init,
	.reader_open = csv_open,
	.next_batch = csv_next,
	.reader_close = csv_close,
	.writer_init = csv_writer_init,
	.file_open = csv_file_open,
	.write_batch = csv_write,
	.writer_free = csv_writer_free,
};
