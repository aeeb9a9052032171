/* examples/format_plugin.c - a file format of the program's own
 * (sluice_plugin.h, sl_format_plugin): "semi" files hold records
 * `name:number;`, one after another, with any white space between them
 * (no line structure: a record may be cut between two reads). The
 * program writes two such files, streams them through a query that keeps
 * the numbers above 1, upper-cases the names and multiplies the numbers
 * by ten, and writes the result as semi files with the file sink; a
 * second query reads that output back, sums the numbers by name, and the
 * program checks the sums. Exits non-zero if anything went wrong. `make
 * test` builds and runs it. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "sluice_plugin.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- reading: the bytes of one file, a chunk at a time ---------------- */

struct semi_file {
	char *carry; /* a record cut by a chunk's end */
	size_t len, cap;
	char sep; /* the option 'separator': between name and number */
};

static int semi_open(void *ud, const char *const *values, const char *path,
		     void **file, char *err, size_t errlen)
{
	struct semi_file *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "%s: out of memory", path);
		return SL_EINVAL;
	}
	f->sep = values[0][0];
	*file = f;
	return 0;
}

/* One record "name:number" (s, n bytes, white space trimmed). */
static int semi_record(struct semi_file *f, const char *s, size_t n,
		       sl_emit *e, char *err, size_t errlen)
{
	const char *colon = memchr(s, f->sep, n);

	if (!colon) {
		snprintf(err, errlen, "record '%.*s' has no '%c'", (int)n, s,
			 f->sep);
		return SL_EINVAL;
	}
	char num[32];
	size_t k = (size_t)(s + n - colon - 1);
	if (k == 0 || k >= sizeof(num)) {
		snprintf(err, errlen, "record '%.*s': bad number", (int)n, s);
		return SL_EINVAL;
	}
	memcpy(num, colon + 1, k);
	num[k] = 0;
	if (sl_emit_row(e) < 0 ||
	    sl_emit_string(e, 0, s, (size_t)(colon - s)) < 0 ||
	    sl_emit_long(e, 1, strtoll(num, NULL, 10)) < 0) {
		snprintf(err, errlen, "%s", sl_emit_errmsg(e));
		return SL_EINVAL;
	}
	return 1;
}

static int semi_parse(void *file, const char *data, size_t len, sl_emit *e,
		      char *err, size_t errlen)
{
	struct semi_file *f = file;
	int rows = 0;

	if (f->len + len > f->cap) {
		size_t cap = (f->len + len) * 2;
		char *p = realloc(f->carry, cap);
		if (!p) {
			snprintf(err, errlen, "out of memory");
			return SL_EINVAL;
		}
		f->carry = p;
		f->cap = cap;
	}
	if (len)
		memcpy(f->carry + f->len, data, len);
	f->len += len;
	size_t start = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (f->carry[i] != ';')
			continue;
		size_t a = start, b = i;
		while (a < b && strchr(" \t\r\n", f->carry[a]))
			a++;
		while (b > a && strchr(" \t\r\n", f->carry[b - 1]))
			b--;
		int rc = semi_record(f, f->carry + a, b - a, e, err, errlen);
		if (rc < 0)
			return rc;
		rows += rc;
		start = i + 1;
	}
	memmove(f->carry, f->carry + start, f->len - start);
	f->len -= start;
	if (!len) {
		/* the end of the file: only white space may be left */
		for (size_t i = 0; i < f->len; i++)
			if (!strchr(" \t\r\n", f->carry[i])) {
				snprintf(err, errlen, "the file ends inside "
					 "a record (no ';')");
				return SL_EINVAL;
			}
	}
	return rows;
}

static void semi_close(void *file)
{
	struct semi_file *f = file;

	free(f->carry);
	free(f);
}

/* ---- writing: rows to bytes ------------------------------------------- */

static int semi_write(void *ud, const char *const *values, const sl_rows *rows,
		      sl_bytes *out, char *err, size_t errlen)
{
	if (sl_rows_ncols(rows) != 2) {
		snprintf(err, errlen, "semi files hold two columns, not %u",
			 sl_rows_ncols(rows));
		return SL_EINVAL;
	}
	for (uint32_t r = 0; r < sl_rows_count(rows); r++) {
		char name[256], line[320];
		sl_rows_string(rows, r, 0, name, sizeof(name));
		int n = snprintf(line, sizeof(line), "%s%c%lld;\n", name,
				 values[0][0],
				 (long long)sl_rows_long(rows, r, 1));
		if (sl_bytes_append(out, line, (size_t)n) < 0)
			return SL_EINVAL;
	}
	return 0;
}

static const sl_plugin_option semi_options[] = {
	{ "separator", ":", "between a record's name and its number", 0 },
	{ NULL, NULL, NULL, 0 },
};

static const sl_format_plugin semi = {
	.size = sizeof(semi),
	.name = "semi",
	.description = "name:number; records",
	.options = semi_options,
	.extension = ".semi",
	.open = semi_open,
	.parse = semi_parse,
	.close = semi_close,
	.write = semi_write,
};

/* ---- the program ------------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static int run(sl_session *s, const char *in, const char *out,
	       const char *ckpt)
{
	sl_frame *f = sl_session_read_stream(
		s, "semi",
		OPTS("path", in, "schema", "name STRING, n BIGINT",
		     "maxFilesPerTrigger", "1"));
	f = f ? sl_frame_where(f, "n > 1") : NULL;
	f = f ? sl_frame_select(f, OPTS("upper(name) AS name", "n * 10 AS n"))
	      : NULL;
	sl_query *q = f ? sl_frame_start(f, "semi",
					 OPTS("path", out, "checkpointLocation",
					      ckpt, "trigger", "availableNow"),
					 NULL)
			: NULL;
	if (!q || sl_query_await(q, 30000) != 1) {
		fprintf(stderr, "writing: %s%s\n", sl_session_errmsg(s),
			q && sl_query_exception(q) ? sl_query_exception(q)
						     : "");
		return 1;
	}
	/* the output, read back by the same format */
	f = sl_session_read_stream(s, "semi",
				   OPTS("path", out, "schema",
					"name STRING, n BIGINT"));
	f = f ? sl_frame_group_by(f, OPTS("name"), OPTS("sum(n) AS total"))
	      : NULL;
	q = f ? sl_frame_start(f, "memory",
			       OPTS("outputMode", "complete", "queryName",
				    "totals", "trigger", "availableNow"),
			       NULL)
	      : NULL;
	if (!q || sl_query_await(q, 30000) != 1) {
		fprintf(stderr, "reading back: %s%s\n", sl_session_errmsg(s),
			q && sl_query_exception(q) ? sl_query_exception(q)
						     : "");
		return 1;
	}
	sl_rows *r = sl_session_table(s, "totals");
	int bad = !r || sl_rows_count(r) != 3;
	for (uint32_t i = 0; r && i < sl_rows_count(r); i++) {
		char name[32];
		sl_rows_string(r, i, 0, name, sizeof(name));
		long long t = sl_rows_long(r, i, 1);
		printf("%s %lld\n", name, t);
		bad |= !(!strcmp(name, "APPLE") && t == 30) &&
		       !(!strcmp(name, "PEAR") && t == 60) &&
		       !(!strcmp(name, "FIG") && t == 50);
	}
	sl_rows_free(r);
	return bad;
}

int main(void)
{
	char root[] = "/tmp/sluice-format-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	char in[600], out[600], ckpt[600];
	snprintf(in, sizeof(in), "%s/in", root);
	snprintf(out, sizeof(out), "%s/out", root);
	snprintf(ckpt, sizeof(ckpt), "%s/ckpt", root);
	if (mkdir(in, 0700) < 0)
		return 1;
	/* a record split over two lines, and one per line */
	write_file(in, "a.semi", "apple:1; pear:\n2;apple:3;\n");
	write_file(in, "b.semi", "pear:4;\nfig:5;\n");

	sl_session *s = sl_session_new();
	int rc = 1;
	if (sl_session_add_format(s, &semi) < 0)
		fprintf(stderr, "register: %s\n", sl_session_errmsg(s));
	else
		rc = run(s, in, out, ckpt);
	sl_session_destroy(s);
	if (nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		rc = 1;
	return rc;
}
