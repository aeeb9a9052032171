/* io/format_text.c - the text format: one line of a file is one row of one
 * STRING column ("value"), read through the line service (io/format.h);
 * written as the string and a newline, a null as an empty line (Spark's
 * text reader and writer). */
#include <stddef.h>
#include <string.h>

#include "io/format.h"

struct text_conf {
	const char *schema;
};

static int text_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct text_conf *c = scan->conf;
	sl_schema *s;
	int rc;

	if (!c->schema) {
		s = sl_schema_new(scan->arena, 1);
		s->fields[0].name = "value";
		s->fields[0].type = &sl_dtype_string;
		s->fields[0].nullable = true;
		scan->schema = s;
	} else if ((rc = sl_format_scan_schema(scan, c->schema, err))) {
		return rc;
	}
	if (scan->schema->n != 1 ||
	    scan->schema->fields[0].type->id != SL_STRING)
		return sl_err_set(err, SL_EOPTION,
				  "source 'text': option 'schema' must be one "
				  "STRING column (the line)");
	return sl_format_scan_columns(scan, err);
}

static int text_open(sl_format_reader *r)
{
	return sl_lines_reader_open(r, sizeof(sl_lines)) ? 0 : r->err.code;
}

static int text_line(sl_format_reader *r, sl_batch *b, const char *line,
		     size_t len)
{
	char *s = sl_arena_alloc(&b->arena, len ? len : 1);
	sl_value *row;

	(void)r;
	memcpy(s, line, len);
	row = sl_batch_add_row(b);
	row[0] = sl_v_str(s, (uint32_t)len);
	return 0;
}

static int text_next(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	return sl_lines_next_batch(r, r->state, b, max, text_line);
}

static int text_writer_init(sl_format_writer *w, sl_err *err)
{
	const sl_field *f;

	if (w->ncols != 1)
		return sl_err_set(err, SL_EANALYSIS,
				  "sink 'text' writes a single STRING "
				  "column, and the query has %u (besides "
				  "partitionBy columns); select one, e.g. "
				  "CAST(x AS STRING) AS value",
				  w->ncols);
	f = &w->schema->fields[w->cols[0]];
	if (f->type->id != SL_STRING)
		return sl_format_column_error(
			err, w->component, f->type, f->name,
			"the text sink writes a single STRING column (cast "
			"it: CAST(x AS STRING))");
	return 0;
}

static int text_write(const sl_format_writer *w, void *file,
		      const sl_batch *b, uint32_t from, uint32_t n,
		      sl_buf *out, sl_err *err)
{
	(void)file;
	(void)err;
	for (uint32_t r = from; r < from + n; r++) {
		const sl_value *v = &sl_batch_row(b, r)[w->cols[0]];

		if (v->type == SL_STRING)
			sl_buf_put(out, v->v.str, v->len);
		sl_buf_putc(out, '\n');
	}
	return 0;
}

static const sl_opt_def text_read_options[] = {
	{ .name = "schema", .type = SL_OPT_STRING,
	  .offset = offsetof(struct text_conf, schema),
	  .desc = "Optional: one STRING column for the line (default "
		  "'value STRING')." },
	{ .name = NULL },
};

static const sl_opt_def text_write_options[] = {
	{ .name = NULL },
};

const sl_format_ops sl_format_text = {
	.name = "text",
	.description = "Lines of text, one STRING column.",
	.label = "text",
	.extension = ".txt",
	.flags = SL_FORMAT_READ | SL_FORMAT_WRITE | SL_FORMAT_STATIC |
		 SL_FORMAT_LINES,
	.source_description =
		"Lines of new files in a directory, one row per line in "
		"column value. Micro-batch triggers only.",
	.sink_description =
		"Writes one STRING column as lines of text files into a "
		"directory, each micro-batch made visible exactly once by "
		"the _spark_metadata log, as Spark's file sink.",
	.read_options = text_read_options,
	.write_options = text_write_options,
	.conf_size = sizeof(struct text_conf),
	.scan_init = text_scan_init,
	.reader_open = text_open,
	.next_batch = text_next,
	.reader_close = sl_lines_reader_close,
	.writer_init = text_writer_init,
	.write_batch = text_write,
};
