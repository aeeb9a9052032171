/* tests/unit/io_file_sink_commit.c - the file sink's commits: exactly
 * once across replayed commits and a simulated crash, a batch that never
 * commits removed, maxRecordsPerFile, big batches with io_uring and
 * without, one query end to end through the public API; and the console
 * sink's write through the I/O layer on a non-blocking pipe. What the
 * files hold is tests/unit/io_file_sink.c. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/plugin.h"
#include "io/sink_file.h"
#include "sluice.h"
#include "tests/support/file_sink.h"

extern const sl_sink_ops sl_sink_console;

TestSuite(file_sink, .init = sl_test_sink_mkdir, .fini = sl_test_sink_rmdir);

/* ---- exactly once ------------------------------------------------------ */

/* Checks that the listed JSON output of a long column holds each value in
 * [0, n) exactly once. */
static void expect_each_once(const char *path, int64_t n)
{
	char *all = sl_test_listed_text(path);
	char *counts = calloc((size_t)n, 1);
	int64_t rows = 0;

	for (char *p = all; (p = strstr(p, "{\"value\":")); rows++) {
		long long v = strtoll(p + 9, &p, 10);

		cr_assert(v >= 0 && v < n, "value %lld out of range", v);
		counts[v]++;
	}
	cr_expect_eq(rows, n, "%lld rows listed, wanted %lld", (long long)rows,
		     (long long)n);
	for (int64_t v = 0; v < n; v++)
		cr_expect_eq(counts[v], 1, "value %lld seen %d times",
			     (long long)v, counts[v]);
	free(counts);
	free(all);
}

Test(file_sink, replayed_commit_does_not_double)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("x");

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("json"), &sl_test_s_long,
				  (const char *[]){ "path", path, NULL }, &err),
		0, "%s", err.msg);
	sl_test_sink_write_ok(&t, sl_test_longs(0, 100));
	sl_test_sink_commit_ok(&t, 3);
	sl_test_sink_write_ok(&t, sl_test_longs(0, 100));
	sl_test_sink_commit_ok(&t, 3);
	expect_each_once(path, 100);
	cr_expect_eq(sl_test_count_parts(path), 1,
		     "the replay's file was deleted");
	/* and batches after it go on */
	sl_test_sink_write_ok(&t, sl_test_longs(100, 150));
	sl_test_sink_commit_ok(&t, 4);
	expect_each_once(path, 150);
	sl_test_sink_close(&t);
}

/* The crash test runs each sink life in a child process of its own: a
 * child that dies without commit is the crash. The parent touches no
 * io_uring ring until the end, because a forked child would share the
 * parent's ring (sl_uring_get keeps one per thread, and fork copies it). */
#define BIG 60000 /* ~1 MB of JSON: past one write chunk, so on disk */

static const char *crash_path;

/* What each child does: steps of (batch to write [lo, hi), commit id or -1,
 * destroy or die). */
static int crash_child(int64_t lo, int64_t hi, int64_t commit, bool destroy,
		       int64_t lo2, int64_t hi2, int64_t commit2)
{
	const char *opts[] = { "path", crash_path, NULL };
	sl_err err = { 0 };
	sl_test_sink c;

	if (sl_test_sink_open_init(&c, sl_sink_lookup("json"), &sl_test_s_long, opts,
			      &err))
		return 2;
	if (c.sk.ops->write(&c.sk, sl_test_longs(lo, hi)) < 0)
		return 3;
	if (commit >= 0 && c.sk.ops->commit(&c.sk, commit) < 0)
		return 4;
	if (hi2 > lo2 && (c.sk.ops->write(&c.sk, sl_test_longs(lo2, hi2)) < 0 ||
			  c.sk.ops->commit(&c.sk, commit2) < 0))
		return 5;
	if (destroy)
		c.sk.ops->destroy(&c.sk);
	return 0; /* without destroy: files stay as a crash leaves them */
}

#define IN_CHILD(...)                                                          \
	do {                                                                   \
		int status_;                                                   \
		pid_t pid_ = fork();                                           \
		cr_assert_geq(pid_, 0);                                        \
		if (pid_ == 0)                                                 \
			_exit(crash_child(__VA_ARGS__));                       \
		cr_assert_eq(waitpid(pid_, &status_, 0), pid_);                \
		cr_assert(WIFEXITED(status_) && WEXITSTATUS(status_) == 0,     \
			  "child step failed: %d", WEXITSTATUS(status_));      \
	} while (0)

/* A batch is written and the process dies before commit; the restarted
 * query replays it. Then the other crash: the manifest is written but the
 * engine did not learn of it, so it replays the batch once more. The
 * output holds every row once. */
Test(file_sink, crash_then_replay)
{
	crash_path = sl_test_out_path("x");

	IN_CHILD(0, 10, 0, true, 0, 0, 0);
	IN_CHILD(10, 10 + BIG, -1, false, 0, 0, 0); /* dies in batch 1 */
	cr_expect_eq(sl_test_count_parts(crash_path), 2,
		     "the crashed batch left a file");
	IN_CHILD(10, 10 + BIG, 1, true, 0, 0, 0); /* replays batch 1 */
	/* dies after batch 2's manifest, before the engine's commit */
	IN_CHILD(10 + BIG, 20 + BIG, 2, false, 0, 0, 0);
	/* replays batch 2, then goes on with batch 3 */
	IN_CHILD(10 + BIG, 20 + BIG, 2, true, 20 + BIG, 30 + BIG, 3);
	/* batches 0, 1, 2, 3 and the crashed batch 1's garbage; the replay
	 * of batch 2 deleted its own file */
	cr_expect_eq(sl_test_count_parts(crash_path), 5);
	expect_each_once(crash_path, 30 + BIG);
}

Test(file_sink, uncommitted_batch_removed_at_destroy)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("x");

	cr_assert_eq(sl_test_sink_open_init(&t, sl_sink_lookup("json"),
				       &sl_test_s_long,
				       (const char *[]){ "path", path,
							 "maxRecordsPerFile",
							 "10", NULL },
				       &err),
		     0, "%s", err.msg);
	sl_test_sink_write_ok(&t, sl_test_longs(0, 25));
	cr_expect_eq(sl_test_count_parts(path), 2,
		     "two full files are on disk");
	sl_test_sink_close(&t);
	cr_expect_eq(sl_test_count_parts(path), 0);
}

Test(file_sink, max_records_per_file)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("x");
	size_t n;

	cr_assert_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("csv"), &sl_test_s_long,
			     (const char *[]){ "path", path, "header", "true",
					       "maxRecordsPerFile", "2", NULL },
			     &err),
		     0, "%s", err.msg);
	sl_test_sink_write_ok(&t, sl_test_longs(0, 5));
	sl_test_sink_commit_ok(&t, 0);
	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 3);
	const char *want[] = { "value\n0\n1\n", "value\n2\n3\n", "value\n4\n" };
	for (size_t i = 0; i < n; i++) {
		char suffix[32];
		snprintf(suffix, sizeof(suffix), ".c%03zu.csv", i);
		cr_expect(strstr(files[i], suffix), "%s", files[i]);
		char *got = sl_test_read_file(files[i]);
		cr_expect_str_eq(got, want[i]);
		free(got);
	}
	sl_file_sink_list_free(files, n);
	sl_test_sink_close(&t);
}

/* Rows cross the write chunk: the output is whole and in order. */
static void big_batch(void)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("big");
	const int64_t n = 200000;

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("text"), &sl_test_s_line,
				  (const char *[]){ "path", path, NULL }, &err),
		0, "%s", err.msg);
	for (int64_t lo = 0; lo < n; lo += 1000) {
		sl_batch *b = sl_batch_new(&sl_test_s_line, 1000);
		for (int64_t v = lo; v < lo + 1000; v++) {
			char s[32];
			snprintf(s, sizeof(s), "line %lld", (long long)v);
			sl_batch_add_row(b)[0] = sl_test_astr(b, s);
		}
		sl_test_sink_write_ok(&t, b);
	}
	sl_test_sink_commit_ok(&t, 0);
	char *all = sl_test_listed_text(path);
	char *p = all;
	for (int64_t v = 0; v < n; v++) {
		char s[32];
		int l = snprintf(s, sizeof(s), "line %lld\n", (long long)v);
		cr_assert(!strncmp(p, s, (size_t)l), "row %lld", (long long)v);
		p += l;
	}
	cr_expect_eq(*p, '\0');
	free(all);
	sl_test_sink_close(&t);
}

Test(file_sink, big_batch_in_order)
{
	big_batch();
}

/* The plain system-call path writes the same bytes. */
Test(file_sink, big_batch_without_io_uring)
{
	setenv("SLUICE_NO_URING", "1", 1);
	big_batch();
}

/* ---- end to end ------------------------------------------------------- */

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* rate-micro-batch -> json through the public API, trigger once: every
 * row of the batch is in the committed output once. */
Test(file_sink, query_rate_to_json_once)
{
	const char *path = sl_test_out_path("q");
	sl_session *s = sl_session_new();

	cr_assert_not_null(sl_sink_lookup("json"),
			   "sink 'json' is not registered in io/registry.c");
	sl_frame *in = sl_session_read_stream(
		s, "rate-micro-batch",
		OPTS("rowsPerBatch", "500", "numPartitions", "3"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(in, OPTS("value"));
	cr_assert_not_null(o, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		o, "json", OPTS("path", path, "trigger", "once"), NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_query_stop(q);
	sl_session_destroy(s);
	expect_each_once(path, 500);
}

/* The file sink refuses what Spark's refuses: continuous triggers and
 * output modes other than append. */
Test(file_sink, query_refuses_continuous_and_complete)
{
	sl_session *s = sl_session_new();

	cr_assert_not_null(sl_sink_lookup("csv"),
			   "sink 'csv' is not registered in io/registry.c");
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	cr_expect_null(sl_frame_start(in, "csv",
				      OPTS("path", sl_test_out_path("c"),
					   "trigger", "continuous 1 second"),
				      NULL));
	cr_expect(strstr(sl_session_errmsg(s), "continuous"), "%s",
		  sl_session_errmsg(s));
	cr_expect_null(sl_frame_start(
		in, "csv",
		OPTS("path", sl_test_out_path("c"), "outputMode", "complete"),
		NULL));
	sl_session_destroy(s);
}

/* ---- console through the I/O layer ------------------------------------- */

typedef struct drain {
	int fd;
	char *buf;
	size_t len, cap;
} drain;

/* Reads a pipe slowly, so that the writer finds it full. */
static void *drain_main(void *arg)
{
	drain *d = arg;
	struct pollfd p = { .fd = d->fd, .events = POLLIN };

	for (;;) {
		if (d->len + 4096 > d->cap) {
			d->cap = d->cap ? d->cap * 2 : 65536;
			d->buf = realloc(d->buf, d->cap);
		}
		poll(&p, 1, -1);
		usleep(200);
		ssize_t r = read(d->fd, d->buf + d->len, 4096);
		if (r == 0)
			break;
		if (r > 0)
			d->len += (size_t)r;
	}
	return NULL;
}

static size_t console_bytes(int fd, bool nonblock, int rows)
{
	sl_test_sink t;
	sl_err err = { 0 };
	int p[2];
	drain d = { 0 };
	pthread_t th;

	cr_assert_eq(pipe(p), 0);
	if (nonblock)
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	memset(&t, 0, sizeof(t));
	sl_arena_init(&t.arena);
	t.sk.ops = &sl_sink_console;
	t.sk.conf = sl_arena_calloc(&t.arena, sl_sink_console.conf_size);
	sl_kvs given = { 0 };
	sl_kvs_add(&given, &t.arena, "numRows", "1000000");
	cr_assert_eq(sl_options_apply(sl_sink_console.options, t.sk.conf,
				      &given, NULL, "console", &t.arena, &err),
		     0);
	t.sk.schema = &sl_test_s_long;
	t.sk.console_fd = fd >= 0 ? fd : p[1];
	cr_assert_eq(sl_sink_console.init(&t.sk, &err), 0);
	d.fd = p[0];
	pthread_create(&th, NULL, drain_main, &d);
	sl_test_sink_write_ok(&t, sl_test_longs(0, rows));
	cr_assert_eq(sl_sink_console.commit(&t.sk, 0), 0, "%s", t.sk.err.msg);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	/* every row is there, then the closing border and a blank line */
	char last[64];
	snprintf(last, sizeof(last), "|%*d|\n", 5, rows - 1);
	cr_expect(d.len > 0 && memmem(d.buf, d.len, last, strlen(last)),
		  "last row missing");
	cr_expect(d.len >= 2 && d.buf[d.len - 1] == '\n' &&
		  d.buf[d.len - 2] == '\n');
	free(d.buf);
	sl_test_sink_close(&t);
	return d.len;
}

Test(file_sink, console_pipe_blocking_and_non_blocking)
{
	/* 20,000 rows: ~160 KB, more than a pipe holds */
	size_t a = console_bytes(-1, false, 20000);
	size_t b = console_bytes(-1, true, 20000);

	cr_expect_eq(a, b);
	cr_expect_gt(a, 65536);
}
