/* tests/unit/io_format.c - the file-format interface itself (io/format.h):
 * formats looked up by name, an unknown format, the file source and sink
 * the registry makes of each format, and for each of text, csv, json and
 * parquet a small file written through the format's writer and read back
 * through its reader: the rows that went in come out. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/format.h"
#include "io/plugin.h"
#include "sluice.h"
#include "tests/support/file_source.h"
#include "tests/support/tmpdir.h"

SL_TEST_FILES_SUITE(format, "sl_format");

/* ---- lookup and registration ------------------------------------------ */

Test(format, lookup_by_name)
{
	static const char *const names[] = { "text", "csv", "json",
					     "parquet" };

	for (int i = 0; i < 4; i++) {
		const sl_format_ops *f = sl_format_lookup(names[i]);

		cr_assert_not_null(f, "%s", names[i]);
		cr_assert_str_eq(f->name, names[i]);
		cr_assert(f->flags & SL_FORMAT_READ);
		cr_assert(f->flags & SL_FORMAT_WRITE);
		cr_assert(f->flags & SL_FORMAT_STATIC);
	}
	/* Names match as Spark's do: case-insensitively. */
	cr_assert_eq(sl_format_lookup("CSV"), sl_format_lookup("csv"));
	cr_assert_eq(sl_format_lookup("Json"), sl_format_lookup("json"));
	cr_assert(sl_format_lookup("csv")->flags & SL_FORMAT_MALFORMED);
	cr_assert_not(sl_format_lookup("text")->flags & SL_FORMAT_MALFORMED);
}

Test(format, unknown_format)
{
	sl_session *s = sl_session_new();

	cr_assert_null(sl_format_lookup("orc"));
	cr_assert_null(sl_format_lookup(""));
	/* A source or sink that is not a format is no format. */
	cr_assert_null(sl_format_lookup("rate"));
	cr_assert_null(sl_format_lookup("console"));
	cr_assert_null(sl_session_read_static(s, "orc",
				      (const char *[]){ "path", dir, NULL }));
	cr_assert_eq(sl_session_errcode(s), SL_EFORMAT);
	cr_assert_str_eq(sl_session_errmsg(s),
			 "read_static: format 'orc' cannot be read as a "
			 "static table (use csv, json, parquet or text)");
	cr_assert_null(sl_session_read_static(s, "rate",
				      (const char *[]){ "path", dir, NULL }));
	cr_assert_eq(sl_session_errcode(s), SL_EFORMAT);
	sl_session_destroy(s);
}

static bool has_option(const sl_opt_def *t, const char *name)
{
	for (; t && t->name; t++)
		if (!strcasecmp(t->name, name))
			return true;
	return false;
}

/* Every format brings a file source and a file sink of its name, whose
 * options are the component's and then the format's. */
Test(format, registry_makes_source_and_sink)
{
	for (int i = 0; sl_formats[i]; i++) {
		const sl_format_ops *f = sl_formats[i];
		const sl_source_ops *src = sl_source_lookup(f->name);
		const sl_sink_ops *sk = sl_sink_lookup(f->name);

		cr_assert_not_null(src, "%s", f->name);
		cr_assert_not_null(sk, "%s", f->name);
		cr_assert_str_eq(src->description, f->source_description);
		cr_assert_str_eq(sk->description, f->sink_description);
		cr_assert(has_option(src->options, "path"));
		cr_assert(has_option(src->options, "maxFilesPerTrigger"));
		cr_assert(has_option(sk->options, "partitionBy"));
		for (const sl_opt_def *o = f->read_options; o->name; o++)
			cr_assert(has_option(src->options, o->name), "%s %s",
				  f->name, o->name);
		for (const sl_opt_def *o = f->write_options; o->name; o++)
			cr_assert(has_option(sk->options, o->name), "%s %s",
				  f->name, o->name);
		cr_assert_eq(has_option(src->options, "mode"),
			     (f->flags & (SL_FORMAT_MALFORMED |
					  SL_FORMAT_BAD_FILES)) != 0,
			     "%s", f->name);
		cr_assert_eq(has_option(src->options, "ignoreCorruptFiles"),
			     (f->flags & SL_FORMAT_BAD_FILES) != 0, "%s",
			     f->name);
	}
	cr_assert(has_option(sl_source_lookup("csv")->options, "sep"));
	cr_assert(has_option(sl_sink_lookup("csv")->options,
			     "ignoreLeadingWhiteSpace"));
	cr_assert_not(has_option(sl_source_lookup("csv")->options,
				 "ignoreLeadingWhiteSpace"));
}

/* The format's finalize is the file source's and sink's. */
Test(format, finalize_checks_format_options)
{
	sl_session *s = sl_session_new();

	cr_assert_null(
		sl_session_read_stream(s, "csv",
			       (const char *[]){ "path", dir, "schema", "a INT",
						 "sep", ";;", NULL }));
	cr_assert_eq(sl_session_errcode(s), SL_EOPTION);
	cr_assert_not_null(strstr(sl_session_errmsg(s), "source 'csv': "), "%s",
			   sl_session_errmsg(s));
	sl_session_destroy(s);
}

/* ---- writing and reading a file ---------------------------------------- */

/* A format's conf from options (key, value, ..., NULL) through table. */
static void *format_conf(const sl_format_ops *f, const sl_opt_def *table,
			 const char *const *kv)
{
	void *conf = sl_arena_calloc(&arena, f->conf_size ? f->conf_size : 1);
	sl_kvs given = { 0 };

	for (int i = 0; kv && kv[i]; i += 2)
		sl_kvs_add(&given, &arena, kv[i], kv[i + 1]);
	cr_assert_eq(sl_options_apply(table, conf, &given, NULL, f->name,
				      &arena, &err),
		     0, "%s", err.msg);
	cr_assert_eq(sl_options_finalize(f->finalize, conf, f->name, &err), 0,
		     "%s", err.msg);
	return conf;
}

/* rows through the format's writer into one file, dir/name. */
static void write_file(const sl_format_ops *f, const char *const *kv,
		       const sl_batch *rows, const char *name)
{
	uint32_t cols[8];
	sl_format_writer w = {
		.ops = f,
		.conf = format_conf(f, f->write_options, kv),
		.component = f->name,
		.schema = rows->schema,
		.cols = cols,
		.ncols = rows->schema->n,
	};
	sl_buf out = { 0 };
	void *file = NULL;
	char path[512];
	FILE *fp;

	for (uint32_t i = 0; i < w.ncols; i++)
		cols[i] = i;
	cr_assert_eq(f->writer_init ? f->writer_init(&w, &err) : 0, 0, "%s",
		     err.msg);
	if (f->file_open)
		cr_assert_eq(f->file_open(&w, &file, &out, &err), 0);
	cr_assert_eq(f->write_batch(&w, file, rows, 0, rows->nrows, &out, &err),
		     0);
	if (f->file_close)
		cr_assert_eq(f->file_close(&w, file, &out, &err), 0);
	if (f->writer_free)
		f->writer_free(&w);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(out.s, 1, out.len, fp), out.len);
	cr_assert_eq(fclose(fp), 0);
	sl_buf_free(&out);
}

static int no_malformed(sl_format_reader *r, sl_batch *b, sl_value *row,
			const char *rec, size_t len, int64_t line,
			const char *why)
{
	(void)b;
	(void)row;
	cr_assert_fail("%s line %lld: malformed '%.*s': %s", r->path,
		       (long long)line, (int)len, rec, why);
	return -1;
}

/* dir/name through the format's reader, a few rows per next_batch, into
 * one batch. */
static sl_batch *read_file(const sl_format_ops *f, const char *const *kv,
			   const char *name)
{
	sl_format_scan scan = {
		.ops = f,
		.conf = format_conf(f, f->read_options, kv),
		.component = f->name,
		.arena = &arena,
		.dir = dir,
	};
	char path[512];
	sl_format_reader r = { 0 };
	sl_batch *all;
	FILE *fp;
	long size;
	int rc;

	cr_assert_eq(f->scan_init(&scan, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	cr_assert_not_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fclose(fp);
	r.scan = &scan;
	r.path = path;
	r.size = size;
	r.malformed = no_malformed;
	cr_assert_eq(f->reader_open(&r), 0, "%s", r.err.msg);
	all = sl_batch_new(scan.schema, 16);
	do {
		sl_batch *b = sl_batch_new(scan.schema, 2);

		rc = f->next_batch(&r, b, 2);
		cr_assert_geq(rc, 0, "%s", r.err.msg);
		cr_assert_leq(b->nrows, 2);
		sl_batch_append_copy(all, b);
		sl_batch_free(b);
	} while (rc == 1);
	f->reader_close(&r);
	return all;
}

static void expect_same_rows(const sl_batch *in, const sl_batch *out)
{
	cr_assert_eq(out->nrows, in->nrows);
	cr_assert_eq(out->ncols, in->ncols);
	for (uint32_t r = 0; r < in->nrows; r++)
		for (uint32_t c = 0; c < in->ncols; c++) {
			char a[128], b[128];

			sl_value_render(&sl_batch_row(in, r)[c], a, sizeof(a));
			sl_value_render(&sl_batch_row(out, r)[c], b, sizeof(b));
			cr_assert_str_eq(b, a, "row %u column %u", r, c);
		}
}

static sl_value str_value(sl_batch *b, const char *s)
{
	size_t n = strlen(s);

	return sl_v_str(sl_arena_strndup(&b->arena, s, n), (uint32_t)n);
}

static sl_field f_rec[] = {
	{ "id", &sl_dtype_long, true },
	{ "name", &sl_dtype_string, true },
};
static const sl_schema s_rec = { 2, f_rec };

static sl_field f_line[] = { { "value", &sl_dtype_string, true } };
static const sl_schema s_line = { 1, f_line };

/* Rows whose strings need quoting or escaping in CSV and JSON. */
static sl_batch *records(void)
{
	static const char *const names[] = { "plain", "with, comma",
					     "say \"hi\"", "back\\slash" };
	sl_batch *b = sl_batch_new(&s_rec, 4);

	for (int i = 0; i < 4; i++) {
		sl_value *row = sl_batch_add_row(b);

		row[0] = sl_v_long(i * 1000000007LL);
		row[1] = str_value(b, names[i]);
	}
	sl_batch_add_row(b)[0] = sl_v_long(-5); /* name null */
	return b;
}

Test(format, csv_rows_in_rows_out)
{
	const sl_format_ops *f = sl_format_lookup("csv");
	sl_batch *in = records(), *out;

	write_file(f, (const char *[]){ "header", "true", NULL }, in, "a.csv");
	out = read_file(f,
			(const char *[]){ "header", "true", "schema",
					  "id BIGINT, name STRING", NULL },
			"a.csv");
	expect_same_rows(in, out);
	sl_batch_free(in);
	sl_batch_free(out);
}

Test(format, json_rows_in_rows_out)
{
	const sl_format_ops *f = sl_format_lookup("json");
	sl_batch *in = records(), *out;

	write_file(f, NULL, in, "a.json");
	out = read_file(
		f, (const char *[]){ "schema", "id BIGINT, name STRING", NULL },
		"a.json");
	expect_same_rows(in, out);
	sl_batch_free(in);
	sl_batch_free(out);
}

Test(format, text_rows_in_rows_out)
{
	static const char *const lines[] = { "one", "", "two three",
					     "with, comma" };
	const sl_format_ops *f = sl_format_lookup("text");
	sl_batch *in = sl_batch_new(&s_line, 4), *out;

	for (int i = 0; i < 4; i++)
		sl_batch_add_row(in)[0] = str_value(in, lines[i]);
	write_file(f, NULL, in, "a.txt");
	out = read_file(f, NULL, "a.txt");
	expect_same_rows(in, out);
	sl_batch_free(in);
	sl_batch_free(out);
}

Test(format, parquet_rows_in_rows_out)
{
	const sl_format_ops *f = sl_format_lookup("parquet");
	sl_session *s = sl_session_new();
	sl_batch *in = records(), *out;
	char path[512], schema[128];
	sl_frame *t;

	write_file(f, (const char *[]){ "compression", "zstd", NULL }, in,
		   "a.parquet");
	/* The schema from the footer, then a static table of the file. */
	out = read_file(f, NULL, "a.parquet");
	expect_same_rows(in, out);
	snprintf(path, sizeof(path), "%s/a.parquet", dir);
	t = sl_session_read_static(s, "parquet", (const char *[]){ "path", path, NULL });
	cr_assert_not_null(t, "%s", sl_session_errmsg(s));
	sl_frame_schema(t, schema, sizeof(schema));
	cr_assert_str_eq(schema, "id: bigint, name: string");
	sl_session_destroy(s);
	sl_batch_free(in);
	sl_batch_free(out);
}
