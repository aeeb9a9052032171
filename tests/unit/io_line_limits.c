/* tests/unit/io_line_limits.c - maxLineLength: the text, csv and json file
 * sources and the socket source refuse a line longer than the limit,
 * naming the file (or server) and the line, before holding it whole;
 * lines up to the limit (a "\r\n" ending not counted) are read as ever,
 * within a read and across the line service's 256 KiB reads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/plugin.h"
#include "tests/support/file_source.h"
#include "tests/support/line_server.h"

SL_TEST_FILES_SUITE(lines, "sl_line_limits");

static char *repeat(char c, size_t n, const char *tail)
{
	char *s = malloc(n + strlen(tail) + 1);

	memset(s, c, n);
	strcpy(s + n, tail);
	return s;
}

/* dir/name holds text; the source of format with maxLineLength = limit
 * fails its first batch with a message holding want. */
static void file_refuses(const char *format, const char *name,
			 const char *text, const char *limit, const char *want)
{
	sl_source src;
	sl_source_part p;
	char path[512];
	const char *kv[] = { "path", path, "maxLineLength", limit, "schema",
			     "a STRING", NULL };

	/* only this file of the directory */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (char *c = path + strlen(dir) + 1; *c; c++)
		if (*c == '.')
			*c = '?';

	if (!strcmp(format, "text"))
		kv[4] = NULL;
	sl_test_put_file(dir, name, text, 0);
	cr_assert_eq(sl_test_source_make(sl_source_lookup(format), kv, &src,
					 &arena, &err),
		     0, "%s", err.msg);
	sl_test_source_batch_fails(&src, &p, want);
	sl_test_source_done(&src, &p);
}

Test(lines, csv_line_over_the_limit_names_file_and_line)
{
	char want[512];

	snprintf(want, sizeof(want),
		 "source 'csv': line 3 of %s/a.csv is longer than "
		 "maxLineLength (10 bytes)",
		 dir);
	file_refuses("csv", "a.csv", "short\n0123456789\r\n0123456789A\nx\n",
		     "10", want);
}

Test(lines, json_and_text_lines_over_the_limit)
{
	file_refuses("json", "a.json", "{\"a\":\"x\"}\n{\"a\":\"xxxxxxxx\"}\n",
		     "12", "line 2 of");
	file_refuses("text", "b.txt", "aaaa\nbbbbbbbbbbbbbbbb", "8",
		     "line 2 of");
}

/* A line longer than a read (256 KiB) fails once past the limit, and one
 * as long but under it reads. */
Test(lines, long_lines_across_reads)
{
	char *big = repeat('x', 600 * 1024, "\nlast\n");
	sl_source src;
	sl_source_part p;
	sl_batch *b;

	file_refuses("text", "big.txt", big, "500000",
		     "longer than maxLineLength (500000 bytes)");
	char path[512];
	snprintf(path, sizeof(path), "%s/big.txt", dir);
	cr_assert_eq(unlink(path), 0);
	b = sl_test_read_via_source(&src, &p, dir, "ok.txt", big,
				    sl_source_lookup("text"),
				    (const char *const[]){ "path", dir,
							   "maxLineLength",
							   "614400", NULL },
				    &arena, &err);
	cr_assert_eq(b->nrows, 2);
	cr_assert_eq(sl_batch_row(b, 0)[0].len, 600 * 1024);
	sl_batch_free(b);
	sl_test_source_done(&src, &p);
	free(big);
}

Test(lines, default_limit_is_in_the_options)
{
	sl_source src;
	const sl_opt_def *o = NULL;

	cr_assert_eq(sl_test_source_make(sl_source_lookup("csv"),
					 (const char *const[]){
						 "path", dir, "schema",
						 "a STRING", NULL },
					 &src, &arena, &err),
		     0, "%s", err.msg);
	for (const sl_opt_def *d = src.ops->options; d->name; d++)
		if (!strcmp(d->name, "maxLineLength"))
			o = d;
	cr_assert_not_null(o);
	cr_assert_str_eq(o->def, "16777216");
	src.ops->destroy(&src);
	cr_assert_neq(sl_test_source_make(sl_source_lookup("json"),
					  (const char *const[]){
						  "path", dir, "schema",
						  "a STRING", "maxLineLength",
						  "0", NULL },
					  &src, &arena, &err),
		      0);
	cr_assert(strstr(err.msg, "maxLineLength"), "%s", err.msg);
}

Test(lines, socket_line_over_the_limit)
{
	struct server s;
	sl_source src;
	sl_source_part p;
	int rc = 0;
	uint32_t rows = 0;

	server_listen(&s);
	cr_assert_eq(sl_test_source_make(sl_source_lookup("socket"),
					 (const char *const[]){
						 "host", "127.0.0.1", "port",
						 s.port, "maxLineLength", "16",
						 NULL },
					 &src, &arena, &err),
		     0, "%s", err.msg);
	memset(&p, 0, sizeof(p));
	p.src = &src;
	cr_assert_eq(src.ops->open(&p), 0, "%s", p.err.msg);
	server_accept(&s);
	server_send(&s, "one\r\n0123456789abcdef\nthree is far too long for it");
	for (int64_t id = 0; id < 200 && rc == 0; id++) {
		int64_t end = src.ops->latest(&p, id);

		while (p.offset < end && rc == 0) {
			sl_batch *b = NULL;
			int n = src.ops->poll(&p, end, 1000000, &b);

			if (n < 0)
				rc = n;
			if (b) {
				rows += b->nrows;
				sl_batch_free(b);
			}
		}
		usleep(5000);
	}
	cr_assert_lt(rc, 0, "the long line was not refused");
	cr_assert_eq(rows, 2);
	cr_assert(strstr(p.err.msg, "line 3 from 127.0.0.1:"), "%s",
		  p.err.msg);
	cr_assert(strstr(p.err.msg, "longer than maxLineLength (16 bytes)"),
		  "%s", p.err.msg);
	src.ops->close(&p);
	server_close(&s);
}
