/* io/source_socket.c - the socket source: lines from a TCP server, one row
 * per line (Spark's TextSocketSource; the `nc -lk 9999` of the examples).
 * For tests and demos only, as in Spark: nothing is replayable, what was
 * received before a crash is gone.
 *
 * Data flow: bytes arrive through io_uring recv into a buffer; every '\n'
 * closes a line, queued with the time it arrived. The partition offset
 * counts the lines handed on (as rows, or dropped as malformed). In a
 * micro-batch query latest() (coordinator thread, partition parked) drains
 * what the kernel holds without waiting and returns the offset after the
 * queued lines, so a batch is the lines received before it was planned;
 * poll() hands those on. In a continuous query poll() itself receives,
 * waiting up to its wait time. When the server closes the connection the
 * stream ends: the last lines are delivered, then poll returns SL_SOURCE_END.
 * No reconnection: a test server that goes away ends the query. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "io/plugin.h"
#include "io/deadletter.h"
#include "io/uring.h"

#define SOCK_MAX_ROWS 1024
#define SOCK_RECV (64 * 1024)
/* latest() stops draining after this much, so one planning call cannot
 * buffer without bound while a fast server keeps sending. */
#define SOCK_DRAIN_MAX (8 * 1024 * 1024)
#define SOCK_CONNECT_NS (10 * 1000000000LL)

enum { MODE_PERMISSIVE, MODE_DROPMALFORMED, MODE_FAILFAST };

struct sock_conf {
	const char *host;
	int64_t port;
	bool include_ts;
	int mode;
	const char *dead_letter;
	int64_t max_line;
};

/* The source's own state: in the session arena, as it needs no
 * teardown. */
struct sock_src {
	const char *dl_dir; /* absolute deadLetterPath, or NULL */
	_Atomic uint64_t dead_lettered;
};

struct sock_line {
	size_t off, len;
	int64_t ts_us; /* wall clock when its last byte arrived */
};

struct sock_part {
	int fd;
	sl_buf in;	     /* received bytes (core/buf.h) */
	size_t start;	     /* unconsumed bytes: in.s[start, in.len) */
	size_t lstart;	     /* where the line being received begins */
	size_t scan;	     /* bytes before this are scanned for '\n' */
	struct sock_line *q; /* complete lines, oldest first */
	size_t qhead, nq, capq;
	bool eof; /* the server closed the connection */
	bool eos_sent;
	int err; /* a receive error seen by latest() */
	size_t max_line; /* maxLineLength: a longer line fails (-EMSGSIZE) */
	uint64_t dropped;
	sl_deadletter *dl; /* NULL without deadLetterPath */
};

static const struct sock_conf *conf_of(const sl_source *src)
{
	return src->conf;
}

static void push_line(struct sock_part *sp, size_t off, size_t len, int64_t ts)
{
	if (sp->qhead + sp->nq == sp->capq) {
		if (sp->qhead) {
			memmove(sp->q, sp->q + sp->qhead,
				sp->nq * sizeof(*sp->q));
			sp->qhead = 0;
		} else {
			sp->capq = sp->capq ? sp->capq * 2 : 256;
			sp->q = sl_xrealloc(sp->q, sp->capq * sizeof(*sp->q));
		}
	}
	/* \r\n ends a line too. */
	if (len && sp->in.s[off + len - 1] == '\r')
		len--;
	sp->q[sp->qhead + sp->nq++] = (struct sock_line){ off, len, ts };
}

/* Bytes a receive may write after the ones held (the buffer keeps one for
 * a NUL). */
static size_t recv_room(const struct sock_part *sp)
{
	return sp->in.cap ? sp->in.cap - sp->in.len - 1 : 0;
}

/* Room for one more receive: drop consumed bytes first, grow if still
 * short. Offsets in the queue move with the bytes. */
static void make_room(struct sock_part *sp)
{
	sl_buf *in = &sp->in;

	if (sp->start && recv_room(sp) < SOCK_RECV) {
		size_t d = sp->start;

		memmove(in->s, in->s + d, in->len - d);
		in->len -= d;
		sp->lstart -= d;
		sp->scan -= d;
		sp->start = 0;
		for (size_t i = 0; i < sp->nq; i++)
			sp->q[sp->qhead + i].off -= d;
	}
	sl_buf_reserve(in, SOCK_RECV);
}

/* One receive (timeout_ns as sl_uring_recv). Returns bytes received, 0 at
 * the end of the stream (or nothing in time), < 0 on an error. */
static ssize_t receive(struct sock_part *sp, int64_t timeout_ns)
{
	ssize_t k;
	int64_t ts;

	if (sp->eof)
		return 0;
	make_room(sp);
	k = sl_uring_recv(sl_uring_get(), sp->fd, sp->in.s + sp->in.len,
			  recv_room(sp), timeout_ns);
	if (k == -EAGAIN)
		return 0;
	ts = sl_wall_us();
	/* A reset is how many test servers hang up: end of stream too. */
	if (k == 0 || k == -ECONNRESET) {
		sp->eof = true;
		/* A last line without a newline is still a line, as
		 * BufferedReader.readLine gives it. */
		if (sp->lstart < sp->in.len)
			push_line(sp, sp->lstart, sp->in.len - sp->lstart, ts);
		sp->lstart = sp->scan = sp->in.len;
		return 0;
	}
	if (k < 0)
		return k;
	sp->in.len += (size_t)k;
	for (;;) {
		char *nl = memchr(sp->in.s + sp->scan, '\n',
				  sp->in.len - sp->scan);

		if (!nl)
			break;
		if ((size_t)(nl - sp->in.s) - sp->lstart > sp->max_line)
			return -EMSGSIZE;
		push_line(sp, sp->lstart, (size_t)(nl - sp->in.s) - sp->lstart,
			  ts);
		sp->lstart = sp->scan = (size_t)(nl - sp->in.s) + 1;
	}
	sp->scan = sp->in.len;
	/* A line still arriving is held whole: past the limit it fails
	 * now, before the buffer grows with it. */
	if (sp->in.len - sp->lstart > sp->max_line)
		return -EMSGSIZE;
	return k;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Offset of the first invalid byte of s, or n if s is valid UTF-8. */
static size_t utf8_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad;

	while (i < n) {
		size_t k;

		if (u[i] < 0x80) {
			i++;
			continue;
		}
		k = sl_utf8_seq(u + i, n - i, &bad);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

/* s with every invalid sequence replaced by U+FFFD, into arena a. */
static char *utf8_fix(const char *s, size_t n, sl_arena *a, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	/* At worst every byte becomes three. */
	char *o = sl_arena_alloc(a, n * 3 + 1), *w = o;
	size_t i = 0, bad;

	while (i < n) {
		size_t k = sl_utf8_seq(u + i, n - i, &bad);

		if (k) {
			memcpy(w, s + i, k);
			w += k;
			i += k;
		} else {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			i += bad;
		}
	}
	*outlen = (size_t)(w - o);
	return o;
}

/* ---- the source ------------------------------------------------------- */

static int sock_init(sl_source *src, sl_err *err)
{
	const struct sock_conf *c = conf_of(src);
	sl_schema *s = sl_schema_new(src->arena, c->include_ts ? 2 : 1);
	struct sock_src *ss;

	s->fields[0].name = "value";
	s->fields[0].type = &sl_dtype_string;
	s->fields[0].nullable = true;
	if (c->include_ts) {
		s->fields[1].name = "timestamp";
		s->fields[1].type = &sl_dtype_timestamp;
		s->fields[1].nullable = true;
	}
	src->schema = s;
	src->nparts = 1;
	ss = sl_arena_calloc(src->arena, sizeof(*ss));
	atomic_init(&ss->dead_lettered, 0);
	if (c->dead_letter && *c->dead_letter) {
		char *d = sl_dl_prepare(c->dead_letter, "source 'socket'", NULL,
					err);
		char *a;

		if (!d)
			return SL_EOPTION;
		a = sl_arena_alloc(src->arena, strlen(d) + 1);
		strcpy(a, d);
		free(d);
		ss->dl_dir = a;
	}
	src->state = ss;
	return 0;
}

uint64_t sl_socket_source_dead_lettered(sl_source *src)
{
	struct sock_src *ss = src->state;

	return ss ? atomic_load(&ss->dead_lettered) : 0;
}

static int sock_connect(sl_source_part *p, int *fdp)
{
	const struct sock_conf *c = conf_of(p->src);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *it;
	char port[16];
	int rc, fd = -1, last = -ECONNREFUSED;

	snprintf(port, sizeof(port), "%lld", (long long)c->port);
	rc = getaddrinfo(c->host, port, &hints, &ai);
	if (rc)
		return sl_err_set(&p->err, SL_EIO,
				  "cannot connect to %s:%s: %s", c->host, port,
				  gai_strerror(rc));
	for (it = ai; it; it = it->ai_next) {
		fd = socket(it->ai_family, it->ai_socktype | SOCK_CLOEXEC,
			    it->ai_protocol);
		if (fd < 0) {
			last = -errno;
			continue;
		}
		last = sl_uring_connect(sl_uring_get(), fd, it->ai_addr,
					it->ai_addrlen, SOCK_CONNECT_NS);
		if (!last)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return sl_err_set(&p->err, SL_EIO,
				  "cannot connect to %s:%s: %s (is a server "
				  "listening there, e.g. nc -lk %s?)",
				  c->host, port, strerror(-last), port);
	*fdp = fd;
	return 0;
}

static int sock_open(sl_source_part *p)
{
	const struct sock_src *ss = p->src->state;
	struct sock_part *sp = calloc(1, sizeof(*sp));
	int rc;

	if (!sp)
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	if ((rc = sock_connect(p, &sp->fd)) < 0) {
		free(sp);
		return rc;
	}
	if (ss->dl_dir)
		sp->dl = sl_dl_open(ss->dl_dir, "socket", p->index);
	sp->max_line = (size_t)conf_of(p->src)->max_line;
	p->state = sp;
	p->offset = 0;
	return 0;
}

static int64_t sock_latest(sl_source_part *p, int64_t batch_id)
{
	struct sock_part *sp = p->state;
	size_t got = 0;

	/* The partition thread closed us after its stream ended: nothing
	 * more will come. */
	if (!sp)
		return p->offset;
	/* Only what is there now: planning must not wait for the server. */
	while (!sp->err && !sp->eof && got < SOCK_DRAIN_MAX) {
		ssize_t k = receive(sp, 0);

		if (k < 0)
			sp->err = (int)k;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	/* The end of the stream is one more offset, so that a batch is
	 * planned in which poll can report it. */
	return p->offset + (int64_t)sp->nq +
	       ((sp->eof || sp->err) && !sp->eos_sent ? 1 : 0);
}

/* Takes the oldest queued line into b (or drops it); < 0 on FAILFAST. */
static int take_line(sl_source_part *p, struct sock_part *sp, sl_batch *b)
{
	const struct sock_conf *c = conf_of(p->src);
	struct sock_line *l = &sp->q[sp->qhead];
	const char *s = sp->in.s + l->off;
	size_t n = l->len, bad = utf8_check(s, n);
	sl_value *row;
	char *v;

	sp->qhead++;
	sp->nq--;
	sp->start = l->off + l->len;
	p->offset++;
	if (bad < n) {
		/* Every mode, FAILFAST's line too; poll writes it before it
		 * returns. The line number is the offset: lines since the
		 * connection was made, from 1. */
		if (sp->dl) {
			char why[64];

			snprintf(why, sizeof(why), "invalid UTF-8 at byte %zu",
				 bad + 1);
			sl_dl_add(sp->dl, NULL, p->offset, why, s, n);
		}
		if (c->mode == MODE_FAILFAST)
			return sl_err_set(&p->err, SL_EINVAL,
					  "FAILFAST: invalid UTF-8 in line "
					  "%lld from %s:%lld at byte %zu",
					  (long long)p->offset, c->host,
					  (long long)c->port, bad + 1);
		if (c->mode == MODE_DROPMALFORMED) {
			sp->dropped++;
			return 0;
		}
		v = utf8_fix(s, n, &b->arena, &n);
	} else {
		v = sl_arena_alloc(&b->arena, n ? n : 1);
		memcpy(v, s, n);
	}
	row = sl_batch_add_row(b);
	row[0] = sl_v_str(v, (uint32_t)n);
	if (c->include_ts)
		row[1] = sl_v_ts(l->ts_us);
	return 0;
}

static int sock_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		     sl_batch **out)
{
	struct sock_part *sp = p->state;
	const struct sock_conf *c = conf_of(p->src);
	struct sock_src *ss = p->src->state;
	sl_batch *b;
	int rc = 0;

	*out = NULL;
	if (p->offset >= end)
		return 0;
	if (!sp->nq && !sp->eof && !sp->err) {
		ssize_t k = receive(sp, wait_ns > 0 ? wait_ns : 0);

		/* Then whatever else is already there, without waiting. */
		while (k > 0 && !sp->eof)
			k = receive(sp, 0);
		if (k < 0)
			sp->err = (int)k;
	}
	if (!sp->nq) {
		if (sp->err == -EMSGSIZE)
			return sl_err_set(&p->err, SL_EIO,
					  "line %lld from %s:%lld is longer "
					  "than maxLineLength (%zu bytes)",
					  (long long)p->offset + 1, c->host,
					  (long long)c->port, sp->max_line);
		if (sp->err) {
			rc = sl_err_set(&p->err, SL_EIO,
					"receiving from %s:%lld: %s", c->host,
					(long long)c->port, strerror(-sp->err));
			return rc;
		}
		if (sp->eof) {
			if (!sp->eos_sent) {
				sp->eos_sent = true;
				p->offset++;
			}
			return SL_SOURCE_END;
		}
		return 0;
	}
	b = sl_batch_new(p->src->schema, sp->nq < SOCK_MAX_ROWS
						 ? (uint32_t)sp->nq
						 : SOCK_MAX_ROWS);
	while (sp->nq && b->nrows < SOCK_MAX_ROWS && p->offset < end)
		if ((rc = take_line(p, sp, b)) < 0)
			break;
	/* Written before the poll returns, synced when the micro-batch is
	 * complete (or the query fails); in continuous mode (end INT64_MAX)
	 * only at close. */
	if (sp->dl) {
		sl_err e2 = { 0 };
		int64_t k = sl_dl_flush(sp->dl, rc < 0 || p->offset >= end,
					rc < 0 ? &e2 : &p->err);

		if (k < 0 && rc >= 0)
			rc = (int)k;
		else if (k > 0)
			atomic_fetch_add(&ss->dead_lettered, (uint64_t)k);
	}
	if (rc < 0 || !b->nrows) {
		sl_batch_free(b);
		return rc;
	}
	b->partition = p->index;
	b->ingest_ns = sl_now_ns();
	b->end_offset = p->offset;
	*out = b;
	return (int)b->nrows;
}

static void sock_close(sl_source_part *p)
{
	struct sock_part *sp = p->state;

	if (!sp)
		return;
	sl_dl_close(sp->dl);
	sl_uring_close(sl_uring_get(), sp->fd);
	sl_buf_free(&sp->in);
	free(sp->q);
	free(sp);
	p->state = NULL;
}

static const char *const sock_modes[] = { "PERMISSIVE", "DROPMALFORMED",
					  "FAILFAST", NULL };

/* clang-format off */
static const sl_opt_def sock_options[] = {
	{
		.name = "host",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct sock_conf, host),
		.required = true,
		.desc = "Host name or address of the line server.",
	},
	{
		.name = "port",
		.type = SL_OPT_INT,
		.offset = offsetof(struct sock_conf, port),
		.min = 1,
		.max = 65535,
		.required = true,
		.desc = "TCP port of the line server.",
	},
	{
		.name = "includeTimestamp",
		.type = SL_OPT_BOOL,
		.offset = offsetof(struct sock_conf, include_ts),
		.def = "false",
		.desc = "Add a column timestamp: when the line arrived.",
	},
	{
		.name = "mode",
		.type = SL_OPT_ENUM,
		.offset = offsetof(struct sock_conf, mode),
		.def = "PERMISSIVE",
		.allowed = sock_modes,
		.desc = "Lines that are not valid UTF-8: replace bad bytes "
			"with U+FFFD, drop the line, or fail naming the "
			"line number.",
	},
	{
		.name = "deadLetterPath",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct sock_conf, dead_letter),
		.desc = "A directory (made if missing) where every line that "
			"is not valid UTF-8 is appended as a JSON line with "
			"its line number and reason, in every mode; see "
			"docs/FILES.md.",
	},
	{
		.name = "maxLineLength",
		.type = SL_OPT_INT,
		.offset = offsetof(struct sock_conf, max_line),
		.min = 1,
		.max = INFINITY,
		.def = "16777216",
		.desc = "Longest line, in bytes: a longer one fails the query "
			"naming its line number, instead of being held in "
			"memory whole (sluice; Spark has no limit).",
	},
	{ .name = NULL },
};

const sl_source_ops sl_source_socket = {
	.name = "socket",
	.description = "Lines from a TCP server (nc -lk 9999), one row per "
		       "line in column value. For tests: not replayable; the "
		       "stream ends when the server closes.",
	.options = sock_options,
	.conf_size = sizeof(struct sock_conf),
	.init = sock_init,
	.open = sock_open,
	.poll = sock_poll,
	.latest = sock_latest,
	.close = sock_close,
	.continuous = true,
};
/* clang-format on */
