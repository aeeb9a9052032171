/* tests/unit/engine_plugin_format.c - a file format of the host's
 * (sluice_plugin.h, engine/plugin_format.c): "rev" files are lines whose
 * text is stored reversed. It is read by a file source and written by a
 * file sink in a pipeline (FORMAT 'rev'), its options reach open and
 * write, a record cut between two reads comes whole, a parse failure
 * fails the query naming the format, and registration refuses what it
 * must. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/sink_file.h"
#include "sluice.h"
#include "sluice_plugin.h"
#include "sql/pipeline.h"
#include "tests/support/files.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

typedef struct rev_file {
	char *line;
	size_t len, cap;
	int chunks; /* parse calls with data */
} rev_file;

/* what the callbacks saw, for the assertions */
static struct {
	int opened, closed, writes, max_chunks;
	char prefix[16];
} seen;

static int rev_open(void *ud, const char *const *values, const char *path,
		    void **file, char *err, size_t errlen)
{
	(void)ud;
	(void)path;
	snprintf(seen.prefix, sizeof(seen.prefix), "%s", values[0]);
	*file = calloc(1, sizeof(rev_file));
	seen.opened++;
	return 0;
}

static int emit_line(rev_file *f, sl_emit *e, char *err, size_t errlen)
{
	char *out = malloc(f->len + 1);
	if (f->len && f->line[0] == '!') {
		free(out);
		snprintf(err, errlen, "a line starts with '!'");
		return SL_EINVAL;
	}
	for (size_t i = 0; i < f->len; i++)
		out[i] = f->line[f->len - 1 - i];
	cr_assert_eq(sl_emit_row(e), 0);
	cr_assert_eq(sl_emit_string(e, 0, out, f->len), 0, "%s",
		     sl_emit_errmsg(e));
	free(out);
	f->len = 0;
	return 1;
}

static int rev_parse(void *file, const char *data, size_t len, sl_emit *e,
		     char *err, size_t errlen)
{
	rev_file *f = file;
	int rows = 0;
	if (len && ++f->chunks > seen.max_chunks)
		seen.max_chunks = f->chunks;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (f->len == f->cap) {
				f->cap = f->cap ? f->cap * 2 : 64;
				f->line = realloc(f->line, f->cap);
			}
			f->line[f->len++] = data[i];
			continue;
		}
		int rc = emit_line(f, e, err, errlen);
		if (rc < 0)
			return rc;
		rows += rc;
	}
	if (!len && f->len) {
		int rc = emit_line(f, e, err, errlen);
		if (rc < 0)
			return rc;
		rows += rc;
	}
	return rows;
}

static void rev_close(void *file)
{
	free(((rev_file *)file)->line);
	free(file);
	seen.closed++;
}

static int rev_write(void *ud, const char *const *values, const sl_rows *rows,
		     sl_bytes *out, char *err, size_t errlen)
{
	seen.writes++;
	cr_assert_eq(sl_rows_ncols(rows), 1);
	cr_assert_str_eq(sl_rows_colname(rows, 0), "line");
	for (uint32_t r = 0; r < sl_rows_count(rows); r++) {
		char s[4096], o[4096];
		sl_rows_string(rows, r, 0, s, sizeof(s));
		size_t n = strlen(s), p = strlen(values[0]);
		memcpy(o, values[0], p);
		for (size_t i = 0; i < n; i++)
			o[p + i] = s[n - 1 - i];
		o[p + n] = '\n';
		cr_assert_eq(sl_bytes_append(out, o, p + n + 1), 0);
	}
	return 0;
}

static const sl_plugin_option rev_options[] = {
	{ "prefix", "", "written before each reversed line", 0 },
	{ NULL, NULL, NULL, 0 },
};

static const sl_format_plugin rev = {
	.size = sizeof(rev),
	.name = "rev",
	.description = "lines stored reversed",
	.options = rev_options,
	.extension = ".rev",
	.open = rev_open,
	.parse = rev_parse,
	.close = rev_close,
	.write = rev_write,
};

/* The lines of the files the sink at dir committed, in commit order,
 * joined by '|'. */
static void committed_text(const char *dir, char *buf, size_t n)
{
	char **files = NULL;
	size_t nf = 0;
	sl_err err = { 0 };
	cr_assert_eq(sl_file_sink_list(dir, &files, &nf, &err), 0, "%s",
		     err.msg);
	buf[0] = 0;
	for (size_t i = 0; i < nf; i++) {
		cr_assert(strstr(files[i], ".rev"), "%s", files[i]);
		char *t = sl_test_read_file(files[i]);
		for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n"))
			snprintf(buf + strlen(buf), n - strlen(buf), "%s|", l);
		free(t);
	}
	sl_file_sink_list_free(files, nf);
}

Test(plugin_format, a_pipeline_reads_and_writes_it)
{
	memset(&seen, 0, sizeof(seen));
	char *dir = sl_test_tmpdir("sluice-fmt");
	char in[512], out[512], ck[512], text[2048];
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(ck, sizeof(ck), "%s/ck", dir);
	cr_assert_eq(mkdir(in, 0700), 0);
	/* "hello", "world" and "stream" stored reversed; a line longer
	 * than one read (256 KiB) comes as one record from several
	 * chunks */
	sl_test_write_file_in(in, "a.rev", "olleh\ndlrow\n");
	size_t big = 300 * 1024;
	char *b = malloc(big + 16);
	memset(b, 'x', big);
	memcpy(b + big, "\nmaerts", 8);
	sl_test_write_file_in(in, "b.rev", b);
	free(b);

	sl_session *s = sl_session_new();
	cr_assert_eq(sl_session_add_format(s, &rev), 0, "%s",
		     sl_session_errmsg(s));
	snprintf(text, sizeof(text),
		 "CREATE SOURCE src WITH (format = 'rev', path = '%s',\n"
		 "  schema = 'line STRING', maxFilesPerTrigger = 1,\n"
		 "  prefix = 'ignored');\n"
		 "CREATE SINK dst WITH (format = 'rev', path = '%s',\n"
		 "  checkpointLocation = '%s', prefix = '>',\n"
		 "  trigger = 'availableNow');\n"
		 "INSERT INTO dst SELECT upper(line) AS line FROM src\n"
		 "  WHERE length(line) < 100;\n",
		 in, out, ck);
	sl_pipeline *p = NULL;
	sl_err e = { 0 };
	cr_assert_eq(sl_pipeline_load(s, text, strlen(text), "t.sql", &p, &e),
		     0, "%s", e.msg);
	cr_assert_eq(sl_pipeline_start(p, &e), 0, "%s", e.msg);
	sl_query *q = sl_pipeline_query(p, 0);
	cr_assert_eq(sl_query_await(q, 20000), 1);
	cr_assert_null(sl_query_exception(q), "%s", sl_query_exception(q));
	cr_assert_str_eq(seen.prefix, "ignored");
	cr_assert_eq(seen.opened, 2);
	cr_assert_eq(seen.closed, 2);
	cr_assert_geq(seen.max_chunks, 2, "the big file came in one chunk");
	cr_assert_geq(seen.writes, 2); /* one file a batch */
	char got[1024];
	committed_text(out, got, sizeof(got));
	/* stored reversed again, after the sink's prefix */
	cr_assert_str_eq(got, ">OLLEH|>DLROW|>MAERTS|");
	sl_pipeline_free(p);
	sl_session_destroy(s);
	sl_test_tmpdir_free(dir);
}

Test(plugin_format, a_parse_failure_fails_the_query)
{
	memset(&seen, 0, sizeof(seen));
	char *dir = sl_test_tmpdir("sluice-fmt");
	sl_test_write_file_in(dir, "bad.rev", "kO\n!oops\n");
	sl_session *s = sl_session_new();
	cr_assert_eq(sl_session_add_format(s, &rev), 0);
	sl_frame *f = sl_session_read_stream(
		s, "rev", OPTS("path", dir, "schema", "line STRING"));
	cr_assert(f, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(f, "noop", OPTS("trigger", "availableNow"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 20000), SL_ESTOPPED);
	const char *x = sl_query_exception(q);
	cr_assert(x && strstr(x, "source 'rev': a line starts with '!'"),
		  "%s", x ? x : "(none)");
	cr_assert_eq(seen.closed, seen.opened);
	sl_session_destroy(s);
	sl_test_tmpdir_free(dir);
}

Test(plugin_format, registration_and_options_refuse_what_they_must)
{
	sl_session *s = sl_session_new();
	sl_format_plugin p = rev;

	p.size = 0;
	cr_assert_eq(sl_session_add_format(s, &p), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "size"));
	p = rev;
	p.name = "csv";
	cr_assert_eq(sl_session_add_format(s, &p), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "'csv' is taken"), "%s",
		  sl_session_errmsg(s));
	p = rev;
	p.parse = NULL;
	cr_assert_eq(sl_session_add_format(s, &p), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "open without parse"), "%s",
		  sl_session_errmsg(s));
	p = rev;
	p.open = NULL;
	p.parse = NULL;
	p.write = NULL;
	cr_assert_eq(sl_session_add_format(s, &p), SL_EINVAL);

	/* written only: no file source of that name */
	p = rev;
	p.name = "revout";
	p.open = NULL;
	p.parse = NULL;
	cr_assert_eq(sl_session_add_format(s, &p), 0, "%s",
		     sl_session_errmsg(s));
	cr_assert_null(sl_session_read_stream(s, "revout",
					      OPTS("path", "/tmp")));
	cr_assert_eq(sl_session_errcode(s), SL_EFORMAT);

	cr_assert_eq(sl_session_add_format(s, &rev), 0);
	cr_assert_eq(sl_session_add_format(s, &rev), SL_EINVAL);
	cr_assert_null(sl_session_read_stream(s, "rev", OPTS("path", "/tmp")));
	cr_assert(strstr(sl_session_errmsg(s), "option 'schema' is required"),
		  "%s", sl_session_errmsg(s));
	/* a misspelt option is named, as for the built-in formats */
	cr_assert_null(sl_session_read_stream(
		s, "rev", OPTS("path", "/tmp", "schema", "line STRING",
			       "prefx", "a")));
	cr_assert(strstr(sl_session_errmsg(s), "prefx"), "%s",
		  sl_session_errmsg(s));
	cr_assert_null(sl_session_read_stream(
		s, "rev", OPTS("path", "/tmp", "schema", "line MAP<INT,INT>")));
	sl_session_destroy(s);

	/* per session: another session does not know it */
	s = sl_session_new();
	cr_assert_null(sl_session_read_stream(s, "rev", OPTS("path", "/tmp")));
	cr_assert_eq(sl_session_errcode(s), SL_EFORMAT);
	sl_session_destroy(s);
}
