/* tests/unit/io_socket.c - the socket source against a line server the
 * test runs itself on 127.0.0.1 (a free port from bind(0)): micro-batch
 * planning and reading, lines split across sends, \r\n, invalid UTF-8
 * under each mode, includeTimestamp, continuous polling, the end of the
 * stream when the server closes, and connection errors. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/plugin.h"
#include "tests/support/line_server.h"
#include "tests/support/source_harness.h"

extern const sl_source_ops sl_source_socket;

SL_TEST_SOURCE_FIXTURE

TestSuite(sock, .init = source_setup, .fini = source_teardown);

/* ---- a line server ---------------------------------------------------- */

/* A line server (tests/support/line_server.h) that serves pieces to its
 * first client from a thread of its own, then hangs up by itself. */
struct piece_server {
	struct server line;
	const char *const *pieces; /* sent one by one, NULL-terminated */
	int gap_ms;		   /* pause between pieces */
	int hold_ms;		   /* wait before closing */
	pthread_t th;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *serve(void *arg)
{
	struct piece_server *s = arg;
	int c = accept(s->line.ls, NULL, NULL);

	if (c < 0)
		return NULL;
	for (int i = 0; s->pieces[i]; i++) {
		size_t n = strlen(s->pieces[i]);

		if (write(c, s->pieces[i], n) != (ssize_t)n)
			break;
		if (s->gap_ms)
			sleep_ms(s->gap_ms);
	}
	sleep_ms(s->hold_ms);
	close(c);
	return NULL;
}

static void server_start(struct piece_server *s, const char *const *pieces,
			 int gap_ms, int hold_ms)
{
	server_listen(&s->line);
	s->pieces = pieces;
	s->gap_ms = gap_ms;
	s->hold_ms = hold_ms;
	pthread_create(&s->th, NULL, serve, s);
}

static void server_stop(struct piece_server *s)
{
	pthread_join(s->th, NULL);
	server_close(&s->line);
}

/* ---- the source ------------------------------------------------------- */

static int make_source(const char *const *kv, sl_source *src)
{
	return sl_test_source_make(&sl_source_socket, kv, src, &arena, &err);
}

static void open_src(struct piece_server *s, sl_source *src,
		     sl_source_part *p, const char *mode, const char *ts)
{
	const char *port = s->line.port;

	cr_assert_eq(make_source(
			     (const char *const[]){
				     "host", "127.0.0.1", "port", port, "mode",
				     mode, "includeTimestamp", ts, NULL },
			     src),
		     0, "%s", err.msg);
	memset(p, 0, sizeof(*p));
	p->src = src;
	cr_assert_eq(src->ops->open(p), 0, "%s", p->err.msg);
}

/* Micro-batch: plans batches until the stream ends (or 5 s pass) and
 * returns every row; *rc gets the first poll error. */
static sl_batch *run_microbatch(sl_source *src, sl_source_part *p, int *rc)
{
	sl_batch *all = sl_batch_new(src->schema, 16);
	int64_t t0 = sl_now_ns();

	*rc = 0;
	for (int64_t id = 0; sl_now_ns() - t0 < 5000000000LL; id++) {
		int64_t end = src->ops->latest(p, id);
		bool eos = false;

		if (end <= p->offset) {
			sleep_ms(5);
			continue;
		}
		while (p->offset < end) {
			sl_batch *b = NULL;
			int n = src->ops->poll(p, end, 1000000, &b);

			if (n == SL_SOURCE_END) {
				eos = true;
				break;
			}
			if (n < 0) {
				*rc = n;
				return all;
			}
			if (b) {
				sl_batch_append_copy(all, b);
				sl_batch_free(b);
			}
		}
		if (eos)
			return all;
	}
	cr_assert_fail("the stream did not end");
	return all;
}

static const char *cell(const sl_batch *b, uint32_t r)
{
	static char buf[4][256];
	static int k;
	char *o = buf[k++ % 4];

	cr_assert_lt(r, b->nrows);
	sl_value_render(&sl_batch_row(b, r)[0], o, 256);
	return o;
}

static const char *const mixed[] = {
	"hello wor",
	"ld\r\n",
	"caf\xc3\xa9\n",
	"bad \xff byte\n", /* line 3 */
	"over\xc0\xaflong\n",
	"trunc \xe2\x82\n",
	"last without newline",
	NULL,
};

Test(sock, microbatch_permissive_replaces_bad_utf8)
{
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int rc;

	server_start(&s, mixed, 20, 50);
	open_src(&s, &src, &p, "PERMISSIVE", "false");
	cr_assert_eq(src.schema->n, 1);
	b = run_microbatch(&src, &p, &rc);
	cr_assert_eq(rc, 0, "%s", p.err.msg);
	cr_assert_eq(b->nrows, 6);
	cr_assert_str_eq(cell(b, 0), "hello world");
	cr_assert_str_eq(cell(b, 1), "caf\xc3\xa9");
	cr_assert_str_eq(cell(b, 2), "bad \xef\xbf\xbd byte");
	/* C0 and AF are each invalid on their own: two replacements. */
	cr_assert_str_eq(cell(b, 3), "over\xef\xbf\xbd\xef\xbf\xbdlong");
	/* A truncated sequence is one replacement. */
	cr_assert_str_eq(cell(b, 4), "trunc \xef\xbf\xbd");
	cr_assert_str_eq(cell(b, 5), "last without newline");
	/* After the end, polls keep saying so. */
	cr_assert_eq(src.ops->poll(&p, INT64_MAX, 0, &(sl_batch *){ 0 }),
		     SL_SOURCE_END);
	sl_batch_free(b);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, dropmalformed_drops_lines)
{
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int rc;

	server_start(&s, mixed, 0, 50);
	open_src(&s, &src, &p, "DROPMALFORMED", "false");
	b = run_microbatch(&src, &p, &rc);
	cr_assert_eq(rc, 0, "%s", p.err.msg);
	cr_assert_eq(b->nrows, 3);
	cr_assert_str_eq(cell(b, 0), "hello world");
	cr_assert_str_eq(cell(b, 1), "caf\xc3\xa9");
	cr_assert_str_eq(cell(b, 2), "last without newline");
	sl_batch_free(b);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, failfast_names_line)
{
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	char want[128];
	int rc;

	server_start(&s, mixed, 0, 50);
	open_src(&s, &src, &p, "FAILFAST", "false");
	b = run_microbatch(&src, &p, &rc);
	cr_assert_lt(rc, 0);
	snprintf(want, sizeof(want),
		 "FAILFAST: invalid UTF-8 in line 3 from 127.0.0.1:%s at "
		 "byte 5",
		 s.line.port);
	cr_assert_str_eq(p.err.msg, want);
	cr_assert_eq(b->nrows, 0); /* the vector with the bad line failed */
	sl_batch_free(b);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, include_timestamp)
{
	static const char *const lines[] = { "a\nb\n", NULL };
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int64_t t0 = sl_wall_us();
	int rc;

	server_start(&s, lines, 0, 50);
	open_src(&s, &src, &p, "PERMISSIVE", "true");
	cr_assert_eq(src.schema->n, 2);
	cr_assert_str_eq(src.schema->fields[1].name, "timestamp");
	cr_assert_eq(src.schema->fields[1].type->id, SL_TIMESTAMP);
	b = run_microbatch(&src, &p, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(b->nrows, 2);
	for (uint32_t r = 0; r < 2; r++) {
		const sl_value *ts = &sl_batch_row(b, r)[1];

		cr_assert_eq(ts->type, SL_TIMESTAMP);
		cr_assert_geq(ts->v.i64, t0);
		cr_assert_leq(ts->v.i64, sl_wall_us());
	}
	sl_batch_free(b);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, latest_counts_lines_received)
{
	static const char *const lines[] = { "1\n2\n3\npartial", NULL };
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	int64_t end = 0, t0 = sl_now_ns();
	sl_batch *b = NULL;

	server_start(&s, lines, 0, 300);
	open_src(&s, &src, &p, "PERMISSIVE", "false");
	/* Three complete lines while the server holds the connection. */
	while (end < 3 && sl_now_ns() - t0 < 2000000000LL) {
		end = src.ops->latest(&p, 0);
		sleep_ms(2);
	}
	cr_assert_eq(end, 3);
	cr_assert_eq(src.ops->poll(&p, 2, 0, &b), 2); /* up to end only */
	cr_assert_eq(p.offset, 2);
	sl_batch_free(b);
	cr_assert_eq(src.ops->poll(&p, 3, 0, &b), 1);
	sl_batch_free(b);
	/* The server hangs up: the partial line, then one offset for the
	 * end of the stream. */
	while (end < 5 && sl_now_ns() - t0 < 3000000000LL) {
		end = src.ops->latest(&p, 1);
		sleep_ms(5);
	}
	cr_assert_eq(end, 5);
	cr_assert_eq(src.ops->poll(&p, end, 0, &b), 1);
	cr_assert_str_eq(cell(b, 0), "partial");
	sl_batch_free(b);
	cr_assert_eq(src.ops->poll(&p, end, 0, &b), SL_SOURCE_END);
	cr_assert_eq(p.offset, 5);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, continuous_polls_until_server_closes)
{
	static const char *const pieces[] = {
		"alpha\nbe", "ta\ngam", "ma\n", "delta\n", NULL,
	};
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *all;
	int64_t t0 = sl_now_ns();
	int n;

	cr_assert(sl_source_socket.continuous);
	server_start(&s, pieces, 30, 0);
	open_src(&s, &src, &p, "PERMISSIVE", "false");
	all = sl_batch_new(src.schema, 8);
	do {
		sl_batch *b = NULL;

		n = src.ops->poll(&p, INT64_MAX, 20000000, &b);
		if (b) {
			sl_batch_append_copy(all, b);
			sl_batch_free(b);
		}
		cr_assert(n >= 0 || n == SL_SOURCE_END, "%s", p.err.msg);
	} while (n != SL_SOURCE_END && sl_now_ns() - t0 < 5000000000LL);
	cr_assert_eq(n, SL_SOURCE_END);
	cr_assert_eq(all->nrows, 4);
	cr_assert_str_eq(cell(all, 0), "alpha");
	cr_assert_str_eq(cell(all, 1), "beta");
	cr_assert_str_eq(cell(all, 2), "gamma");
	cr_assert_str_eq(cell(all, 3), "delta");
	sl_batch_free(all);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, many_lines_in_vectors)
{
	/* 5000 lines of one send each would be slow; a few big pieces. */
	static char big[5000 * 8 + 1];
	static const char *pieces[2] = { big, NULL };
	struct piece_server s;
	sl_source src;
	sl_source_part p;
	sl_batch *b;
	int rc;

	for (unsigned i = 0; i < 5000; i++)
		snprintf(big + i * 8, 9, "%07u\n", i % 10000000u);
	server_start(&s, pieces, 0, 50);
	open_src(&s, &src, &p, "PERMISSIVE", "false");
	b = run_microbatch(&src, &p, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(b->nrows, 5000);
	cr_assert_str_eq(cell(b, 4999), "0004999");
	sl_batch_free(b);
	src.ops->close(&p);
	server_stop(&s);
}

Test(sock, connection_refused_names_host_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	sl_source src;
	sl_source_part p;
	char port[16], want[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was free a moment ago, with nobody listening. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));
	cr_assert_eq(make_source((const char *const[]){ "host", "127.0.0.1",
							"port", port, NULL },
				 &src),
		     0);
	memset(&p, 0, sizeof(p));
	p.src = &src;
	cr_assert_lt(src.ops->open(&p), 0);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%s:", port);
	cr_assert_not_null(strstr(p.err.msg, want), "%s", p.err.msg);
	cr_assert_not_null(strstr(p.err.msg, "refused"), "%s", p.err.msg);
}

Test(sock, option_errors)
{
	sl_source src;

	cr_assert_eq(make_source((const char *const[]){ "port", "9999", NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "'host' is required"), "%s",
			   err.msg);
	cr_assert_eq(make_source((const char *const[]){ "host", "localhost",
							"port", "70000", NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_eq(make_source((const char *const[]){ "host",
							"no.such.host."
							"invalid",
							"port", "9", NULL },
				 &src),
		     0);
}
