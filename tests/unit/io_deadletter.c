/* tests/unit/io_deadletter.c - the dead-letter output (deadLetterPath) of
 * the csv, json and socket sources: under DROPMALFORMED, PERMISSIVE and
 * FAILFAST the dead-letter files hold exactly the rejected records, each
 * with its file, line, reason and raw text, while the good rows still
 * arrive; invalid UTF-8 from a socket keeps its exact bytes in base64;
 * nothing rejected makes no file; bad paths are option errors. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/plugin.h"
#include "io/deadletter.h"
#include "io/source_file.h"
#include "tests/support/file_source.h"
#include "tests/support/tmpdir.h"

extern const sl_source_ops sl_source_socket;

static sl_arena arena;
static sl_err err;
static char *dir, *base, dl[128];

static void setup(void)
{
	sl_arena_init(&arena);
	memset(&err, 0, sizeof(err));
	dir = sl_test_tmpdir("sl_dlsrc");
	base = sl_test_tmpdir("sl_dlout");
	/* Two levels that do not exist yet: the source makes them. */
	snprintf(dl, sizeof(dl), "%s/dead/letters", base);
}

static void teardown(void)
{
	sl_test_tmpdir_free(dir);
	sl_test_tmpdir_free(base);
	sl_arena_free(&arena);
}

TestSuite(dl, .init = setup, .fini = teardown);

/* ---- helpers ---------------------------------------------------------- */

static int make_source(const sl_source_ops *ops, const char *const *kv,
		       sl_source *src)
{
	return sl_test_source_make(ops, kv, src, &arena, &err);
}

#define SRC(ops, src, ...) SL_TEST_SRC(&arena, &err, ops, src, __VA_ARGS__)
#define CELL(b, r, c, s) cr_assert_str_eq(sl_test_cell(b, r, c), s)

/* Every record of every dead-letter file, in file-name order; checks the
 * names are rejected-<pid>-<partition>-<ms>.jsonl and each line is one
 * JSON object. *nfiles gets the number of files. */
static json_t *read_dl(int *nfiles)
{
	struct dirent **names;
	json_t *all = json_array();
	int n = scandir(dl, &names, NULL, alphasort);
	char pre[64];

	cr_assert_geq(n, 0, "no dead-letter directory %s", dl);
	snprintf(pre, sizeof(pre), "rejected-%ld-0-", (long)getpid());
	*nfiles = 0;
	for (int i = 0; i < n; i++) {
		char path[512], line[4096];
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		FILE *f;

		if (nm[0] == '.') {
			free(names[i]);
			continue;
		}
		cr_assert_eq(strncmp(nm, pre, strlen(pre)), 0, "%s", nm);
		cr_assert(l > 6 && !strcmp(nm + l - 6, ".jsonl"), "%s", nm);
		(*nfiles)++;
		snprintf(path, sizeof(path), "%s/%s", dl, nm);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f)) {
			json_error_t je;
			json_t *o = json_loads(line, 0, &je);

			cr_assert(json_is_object(o), "not JSON: %s (%s)", line,
				  je.text);
			json_array_append_new(all, o);
		}
		fclose(f);
		free(names[i]);
	}
	free(names);
	return all;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Record i of a is {source, file (dir/name, or absent), line, reason,
 * record}; reason NULL: any, starting with `prefix` when given. */
static void check(json_t *a, size_t i, const char *source, const char *name,
		  int line, const char *reason, const char *record)
{
	json_t *o = json_array_get(a, i);
	char path[256];

	cr_assert_not_null(o, "no record %zu", i);
	cr_assert_str_eq(str(o, "source"), source);
	if (name) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		cr_assert_str_eq(str(o, "file"), path);
	} else {
		cr_assert_null(json_object_get(o, "file"));
	}
	cr_assert_eq(json_integer_value(json_object_get(o, "line")), line,
		     "record %zu: line %lld", i,
		     (long long)json_integer_value(json_object_get(o, "line")));
	cr_assert_not_null(str(o, "reason"));
	cr_assert_eq(strncmp(str(o, "reason"), reason, strlen(reason)), 0,
		     "record %zu: reason '%s', expected '%s'", i,
		     str(o, "reason"), reason);
	cr_assert_str_eq(str(o, "record"), record);
}

/* id,name,n with a header: lines 3, 4 and 5 are bad, 6 is blank. */
static const char a_csv[] = "id,name,n\n"
			    "1,a,10\n"
			    "2,b\n"
			    "3,\"c,7\n"
			    "4,d,x\n"
			    "\n"
			    "5,e,50\n";
/* A bad record with quotes and a tab, which the JSON line must escape. */
static const char b_csv[] = "id,name,n\n"
			    "6,f,60\n"
			    "7,\"say \"\"hi\"\"\",\tx\n";

/* The dead-letter files hold one record, as check describes it. */
static void check_only(const char *source, const char *name, int line,
		       const char *reason, const char *record)
{
	int nf;
	json_t *a = read_dl(&nf);

	cr_assert_eq(json_array_size(a), 1);
	check(a, 0, source, name, line, reason, record);
	json_decref(a);
}

/* a.csv and b.csv through a new csv source with options kv: the first
 * micro-batch, which must not fail. */
static sl_batch *read_ab(sl_source *src, sl_source_part *p,
			 const char *const *kv)
{
	sl_test_put_file(dir, "a.csv", a_csv, 10);
	sl_test_put_file(dir, "b.csv", b_csv, 0);
	cr_assert_eq(make_source(sl_source_lookup("csv"), kv, src), 0, "%s",
		     err.msg);
	sl_test_open_part(src, p);
	return sl_test_source_batch_ok(src, p, 0);
}

#define READ_AB(src, p, ...)                                                   \
	read_ab(src, p, (const char *const[]){ __VA_ARGS__, NULL })

/* The dead-letter files hold the four rejects of a.csv and b.csv; how
 * many files there are. */
static int check_csv_rejects(void)
{
	int nf;
	json_t *a = read_dl(&nf);

	cr_assert_eq(json_array_size(a), 4);
	check(a, 0, "csv", "a.csv", 3, "expected 3 fields, found 2", "2,b");
	check(a, 1, "csv", "a.csv", 4, "unterminated quoted field", "3,\"c,7");
	check(a, 2, "csv", "a.csv", 5, "cannot parse 'x' as int for column n",
	      "4,d,x");
	check(a, 3, "csv", "b.csv", 3, "cannot parse",
	      "7,\"say \"\"hi\"\"\",\tx");
	json_decref(a);
	return nf;
}

/* ---- CSV -------------------------------------------------------------- */

Test(dl, csv_dropmalformed)
{
	sl_source src;
	sl_source_part p;
	sl_file_stats st;
	sl_batch *b;

	b = READ_AB(&src, &p, "path", dir, "header", "true", "mode",
		    "DROPMALFORMED", "schema", "id INT, name STRING, n INT",
		    "deadLetterPath", dl);
	/* The good rows arrive. */
	cr_assert_eq(b->nrows, 3);
	CELL(b, 0, 0, "1");
	CELL(b, 1, 0, "5");
	CELL(b, 2, 0, "6");
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.dropped, 4);
	cr_assert_eq(sl_file_source_dead_lettered(&src), 4);
	/* On disk before the poll returned, not only at close. */
	cr_assert_eq(check_csv_rejects(), 1);
	sl_batch_free(b);
	sl_test_source_done(&src, &p);
}

Test(dl, csv_permissive_keeps_rows_and_dead_letters_them)
{
	sl_source src;
	sl_source_part p;
	sl_file_stats st;
	sl_batch *b;

	b = READ_AB(&src, &p, "path", dir, "header", "true", "schema",
		    "id INT, name STRING, n INT, _corrupt_record STRING",
		    "deadLetterPath", dl);
	cr_assert_eq(b->nrows, 7);
	CELL(b, 1, 3, "2,b");
	CELL(b, 4, 3, "null");
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.corrupt, 4);
	cr_assert_eq(sl_file_source_dead_lettered(&src), 4);
	check_csv_rejects();
	sl_batch_free(b);
	sl_test_source_done(&src, &p);
}

Test(dl, csv_failfast_writes_the_record_first)
{
	sl_source src;
	sl_source_part p;

	sl_test_put_file(dir, "a.csv", a_csv, 0);
	SRC(sl_source_lookup("csv"), &src, "path", dir, "header", "true",
	    "mode", "FAILFAST", "schema", "id INT, name STRING, n INT",
	    "deadLetterPath", dl);
	sl_test_source_batch_fails(&src, &p, "a.csv line 3: expected 3");
	/* Written when the poll failed, before any close. */
	check_only("csv", "a.csv", 3, "expected 3 fields, found 2", "2,b");
	sl_test_source_done(&src, &p);
}

Test(dl, nothing_rejected_makes_no_file)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	json_t *a;
	int rc, nf;

	sl_test_put_file(dir, "ok.csv", "1,a,10\n2,b,20\n", 0);
	SRC(sl_source_lookup("csv"), &src, "path", dir, "mode", "DROPMALFORMED",
	    "schema", "id INT, name STRING, n INT", "deadLetterPath", dl);
	sl_test_open_part(&src, &p);
	b = sl_test_source_batch(&src, &p, 0, &rc);
	cr_assert_eq(rc, 0, "%s", p.err.msg);
	cr_assert_eq(b->nrows, 2);
	sl_test_source_done(&src, &p);
	/* The directory is made at init; a file only for a rejected
	 * record. */
	a = read_dl(&nf);
	cr_assert_eq(nf, 0);
	json_decref(a);
	sl_batch_free(b);
}

/* ---- JSON ------------------------------------------------------------- */

static const char c_json[] = "{\"id\":1,\"name\":\"a\"}\n"
			     "{\"id\":2,\n"
			     "[1,2]\n"
			     "{\"id\":\"x\",\"name\":\"c\"}\n"
			     "\n"
			     "{\"id\":7,\"name\":\"g\"}\n";

static void json_mode(const char *mode, uint32_t rows)
{
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	json_t *a;
	int rc, nf;

	sl_test_put_file(dir, "c.json", c_json, 0);
	SRC(sl_source_lookup("json"), &src, "path", dir, "mode", mode, "schema",
	    "id INT, name STRING", "deadLetterPath", dl);
	sl_test_open_part(&src, &p);
	b = sl_test_source_batch(&src, &p, 0, &rc);
	cr_assert_eq(rc, 0, "%s", p.err.msg);
	cr_assert_eq(b->nrows, rows);
	CELL(b, 0, 0, "1");
	CELL(b, rows - 1, 0, "7");
	cr_assert_eq(sl_file_source_dead_lettered(&src), 3);
	a = read_dl(&nf);
	cr_assert_eq(json_array_size(a), 3);
	check(a, 0, "json", "c.json", 2, "", "{\"id\":2,");
	check(a, 1, "json", "c.json", 3, "not a JSON object", "[1,2]");
	check(a, 2, "json", "c.json", 4, "field id is not of type int",
	      "{\"id\":\"x\",\"name\":\"c\"}");
	json_decref(a);
	sl_batch_free(b);
	sl_test_source_done(&src, &p);
}

Test(dl, json_dropmalformed)
{
	json_mode("DROPMALFORMED", 2);
}

Test(dl, json_permissive)
{
	json_mode("PERMISSIVE", 5);
}

Test(dl, json_failfast)
{
	sl_source src;
	sl_source_part p;

	sl_test_put_file(dir, "c.json", c_json, 0);
	SRC(sl_source_lookup("json"), &src, "path", dir, "mode", "FAILFAST",
	    "schema", "id INT, name STRING", "deadLetterPath", dl);
	sl_test_source_batch_fails(&src, &p, NULL);
	check_only("json", "c.json", 2, "", "{\"id\":2,");
	sl_test_source_done(&src, &p);
}

/* ---- option errors ---------------------------------------------------- */

Test(dl, bad_paths_are_option_errors)
{
	sl_source src;
	char file[160];
	FILE *f;

	/* The watched directory itself: its files would be read back. */
	cr_assert_eq(make_source(sl_source_lookup("csv"),
				 (const char *const[]){
					 "path", dir, "schema", "a INT",
					 "deadLetterPath", dir, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "source directory itself"), "%s",
			   err.msg);
	/* Under a regular file: cannot be made. */
	snprintf(file, sizeof(file), "%s/plain", base);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	strcat(file, "/sub");
	cr_assert_eq(make_source(sl_source_lookup("json"),
				 (const char *const[]){
					 "path", dir, "schema", "a INT",
					 "deadLetterPath", file, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "deadLetterPath"), "%s", err.msg);
	cr_assert_eq(make_source(&sl_source_socket,
				 (const char *const[]){
					 "host", "localhost", "port", "9",
					 "deadLetterPath", file, NULL },
				 &src),
		     SL_EOPTION);
}

/* ---- socket ----------------------------------------------------------- */

struct server {
	int ls, port;
	const char *text;
	pthread_t th;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->ls, NULL, NULL);
	size_t n = strlen(s->text);

	if (c < 0)
		return NULL;
	if (write(c, s->text, n) != (ssize_t)n)
		perror("write");
	close(c);
	return NULL;
}

static void server_start(struct server *s, const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->ls = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(s->ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->ls, 1), 0);
	cr_assert_eq(getsockname(s->ls, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	s->text = text;
	pthread_create(&s->th, NULL, serve, s);
}

Test(dl, socket_dropmalformed_invalid_utf8)
{
	struct server s;
	sl_source src;
	sl_source_part p;
	sl_batch *all;
	char port[16];
	json_t *a;
	int nf;
	bool eos = false;
	int64_t t0 = sl_now_ns();

	server_start(&s, "ok\nbad \xff byte\nfine\ntrunc \xe2\x82");
	snprintf(port, sizeof(port), "%d", s.port);
	SRC(&sl_source_socket, &src, "host", "127.0.0.1", "port", port, "mode",
	    "DROPMALFORMED", "deadLetterPath", dl);
	sl_test_open_part(&src, &p);
	all = sl_batch_new(src.schema, 16);
	for (int64_t id = 0; !eos && sl_now_ns() - t0 < 5000000000LL; id++) {
		int64_t end = src.ops->latest(&p, id);

		while (p.offset < end) {
			sl_batch *b = NULL;
			int n = src.ops->poll(&p, end, 1000000, &b);

			if (n == SL_SOURCE_END) {
				eos = true;
				break;
			}
			cr_assert_geq(n, 0, "%s", p.err.msg);
			if (b) {
				sl_batch_append_copy(all, b);
				sl_batch_free(b);
			}
		}
	}
	cr_assert(eos, "the stream did not end");
	cr_assert_eq(all->nrows, 2);
	CELL(all, 0, 0, "ok");
	CELL(all, 1, 0, "fine");
	cr_assert_eq(sl_socket_source_dead_lettered(&src), 2);
	a = read_dl(&nf);
	cr_assert_eq(nf, 1);
	cr_assert_eq(json_array_size(a), 2);
	/* Readable with U+FFFD, exact in base64. */
	check(a, 0, "socket", NULL, 2, "invalid UTF-8 at byte 5",
	      "bad \xef\xbf\xbd byte");
	cr_assert_str_eq(str(json_array_get(a, 0), "recordBase64"),
			 "YmFkIP8gYnl0ZQ==");
	check(a, 1, "socket", NULL, 4, "invalid UTF-8 at byte 7",
	      "trunc \xef\xbf\xbd");
	cr_assert_str_eq(str(json_array_get(a, 1), "recordBase64"),
			 "dHJ1bmMg4oI=");
	json_decref(a);
	sl_batch_free(all);
	src.ops->close(&p);
	pthread_join(s.th, NULL);
	close(s.ls);
}
