/* io/sink_console.c - the console sink: prints each epoch/batch as a table,
 * in the exact text Spark's console sink prints (Dataset.show under a
 * "Batch: N" banner), so outputs can be compared with Spark's line by line.
 *
 * Data flow: the sink thread hands record vectors to write(), which keeps
 * deep copies of at most numRows + 1 rows of the epoch (one more than shown,
 * which is all show() needs to know whether to add "only showing top N
 * rows"); commit() formats the table into one buffer and writes it to the
 * session's console fd in one write through the sink thread's io_uring
 * ring (io/uring.h). Rows past numRows + 1 are only counted, so a huge
 * epoch costs no memory here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "io/plugin.h"
#include "io/uring.h"

typedef struct sl_console_conf {
	int64_t num_rows;
	bool truncate;
} sl_console_conf;

static const sl_opt_def console_options[] = {
	{
		.name = "numRows",
		.type = SL_OPT_INT,
		.offset = offsetof(sl_console_conf, num_rows),
		.min = 1,
		.max = INT32_MAX,
		.def = "20",
		.desc = "Number of rows to print for each epoch or "
			"micro-batch.",
	},
	{
		.name = "truncate",
		.type = SL_OPT_BOOL,
		.offset = offsetof(sl_console_conf, truncate),
		.def = "true",
		.desc = "Cut cells longer than 20 characters to 17 characters "
			"and \"...\" (and right-align the columns), as "
			"Dataset.show does.",
	},
	{ NULL },
};

/* Spark's show(): cells longer than this are cut when truncate is on. */
#define SL_SHOW_TRUNCATE 20
#define SL_SHOW_MIN_WIDTH 3

typedef struct sl_console {
	sl_batch *rows;	  /* copies of the first numRows + 1 rows, or NULL */
	uint64_t nseen;	  /* rows written in this epoch, shown or not */
	sl_buf out;	  /* one per sink, reused across batches */
	sl_arena scratch; /* the rendered cells of one commit */
	int flags_fd;	  /* the fd whose O_NONBLOCK flag is cached */
	bool nonblock;	  /* flags_fd is non-blocking */
} sl_console;

/* One rendered, escaped and possibly truncated cell. */
typedef struct sl_cell {
	const char *s;
	size_t len;   /* bytes */
	size_t width; /* Spark's half-width count: what padding is based on */
} sl_cell;

/* Decodes one UTF-8 sequence at s (n > 0 bytes left). Returns its length
 * and the code point in *cp. A malformed byte counts as one character of
 * its own, which is what a lenient decoder's replacement character would
 * occupy on screen. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2;
		v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		v = c & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n) {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/* Spark measures strings in Java chars (UTF-16 code units): a code point
 * above the BMP is two of them. */
static size_t utf16_units(uint32_t cp)
{
	return cp >= 0x10000 ? 2 : 1;
}

/* The ranges Spark's Utils.stringHalfWidth counts as full width (two
 * columns on a terminal). Its list, not Unicode's East Asian Width table,
 * so that column widths match Spark's output exactly. */
static bool is_full_width(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) ||
	       (cp >= 0x2e80 && cp <= 0xa4cf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) ||
	       (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xfe10 && cp <= 0xfe19) ||
	       (cp >= 0xfe30 && cp <= 0xfe6f) ||
	       (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6);
}

/* The escape show() uses for a control character that would break the
 * table's lines (SchemaUtils.escapeMetaCharacters), or 0. */
static char meta_escape(unsigned char c)
{
	switch (c) {
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\f': return 'f';
	case '\b': return 'b';
	case '\v': return 'v';
	case '\a': return 'a';
	}
	return 0;
}

/* Builds a cell from text as show() does: escape control characters, then,
 * if truncate is on and the text is longer than 20 characters, keep the
 * first 17 and add "...". Lengths are in UTF-16 units, as Java counts a
 * String's length, so the cut falls where Spark's does. */
static sl_cell make_cell(const char *text, size_t n, bool truncate, sl_arena *a)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t esc = 0, units = 0;
	sl_cell c;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_next(s + i, n - i, &cp);
		if (l == 1 && meta_escape(s[i])) {
			esc++;
			units += 2;
		} else {
			units += utf16_units(cp);
		}
		i += l;
	}

	bool cut = truncate && units > SL_SHOW_TRUNCATE;
	size_t keep = cut ? SL_SHOW_TRUNCATE - 3 : units;
	char *d = sl_arena_alloc(a, n + esc + 4);
	size_t dl = 0, du = 0, width = 0;
	char straddle = 0; /* what the cut fell in the middle of */

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_next(s + i, n - i, &cp);
		char e = l == 1 ? meta_escape(s[i]) : 0;
		size_t u = e ? 2 : utf16_units(cp);
		if (du + u > keep) {
			straddle = e ? '\\' : '?';
			break;
		}
		if (e) {
			d[dl++] = '\\';
			d[dl++] = e;
		} else {
			memcpy(d + dl, s + i, l);
			dl += l;
		}
		du += u;
		width += u + (is_full_width(cp) ? 1 : 0);
		i += l;
	}
	if (cut) {
		/* Java's substring keeps the first unit of what the cut
		 * splits: the backslash of an escape, or a lone high
		 * surrogate, which the JVM's UTF-8 encoder prints as '?'.
		 * Print the same so the widths agree. */
		if (du < keep && straddle) {
			d[dl++] = straddle;
			du++;
			width++;
		}
		memcpy(d + dl, "...", 3);
		dl += 3;
		width += 3;
	}
	c.s = d;
	c.len = dl;
	c.width = width;
	return c;
}

/* Renders one value as CAST(x AS STRING) would and makes a cell of it. */
static sl_cell value_cell(const sl_value *v, bool truncate, sl_arena *a)
{
	char small[128];

	if (sl_v_is_null(v))
		return make_cell("null", 4, truncate, a);
	size_t need = sl_value_render(v, small, sizeof(small));
	if (need < sizeof(small))
		return make_cell(small, need, truncate, a);
	char *big = sl_arena_alloc(a, need + 1);
	sl_value_render(v, big, need + 1);
	return make_cell(big, need, truncate, a);
}

static void put_border(sl_buf *o, const size_t *widths, uint32_t ncols)
{
	sl_buf_putc(o, '+');
	for (uint32_t c = 0; c < ncols; c++) {
		sl_buf_fill(o, '-', widths[c]);
		sl_buf_putc(o, '+');
	}
	sl_buf_putc(o, '\n');
}

/* One line of the table. show() right-aligns (pads on the left) when it
 * truncates and left-aligns otherwise. */
static void put_line(sl_buf *o, const sl_cell *cells, const size_t *widths,
		     uint32_t ncols, bool truncate)
{
	sl_buf_putc(o, '|');
	for (uint32_t c = 0; c < ncols; c++) {
		size_t pad = widths[c] - cells[c].width;
		if (truncate)
			sl_buf_fill(o, ' ', pad);
		sl_buf_put(o, cells[c].s, cells[c].len);
		if (!truncate)
			sl_buf_fill(o, ' ', pad);
		sl_buf_putc(o, '|');
	}
	sl_buf_putc(o, '\n');
}

/* Appends Spark's console output for one epoch to o: the banner, then
 * Dataset.show(numRows, truncate) followed by the blank line println adds. */
static void format_batch(sl_sink *sk, sl_console *st, int64_t epoch)
{
	const sl_console_conf *cf = sk->conf;
	const sl_schema *sc = sk->schema;
	uint32_t ncols = sc ? sc->n : 0;
	uint64_t max = (uint64_t)cf->num_rows;
	uint32_t nshow = st->rows ? st->rows->nrows : 0;
	sl_arena *a = &st->scratch;
	sl_buf *o = &st->out;

	if (nshow > max)
		nshow = (uint32_t)max;

	/* Line 0 is the header; the names are escaped but never cut. */
	sl_cell *cells = sl_arena_alloc(
		a, sizeof(sl_cell) * ((size_t)nshow + 1) * (ncols ? ncols : 1));
	size_t *widths =
		sl_arena_alloc(a, sizeof(size_t) * (ncols ? ncols : 1));
	for (uint32_t c = 0; c < ncols; c++) {
		const char *name = sc->fields[c].name ? sc->fields[c].name : "";
		cells[c] = make_cell(name, strlen(name), false, a);
		widths[c] = cells[c].width > SL_SHOW_MIN_WIDTH
				    ? cells[c].width
				    : SL_SHOW_MIN_WIDTH;
	}
	for (uint32_t r = 0; r < nshow; r++) {
		const sl_value *row = sl_batch_row(st->rows, r);
		sl_cell *cr = cells + (size_t)(r + 1) * ncols;
		for (uint32_t c = 0; c < ncols; c++) {
			cr[c] = value_cell(&row[c], cf->truncate, a);
			if (cr[c].width > widths[c])
				widths[c] = cr[c].width;
		}
	}

	/* Spark's console sink labels every commit "Batch", continuous epochs
	 * included (kept for compatibility with its pre-DataSource V2
	 * output). */
	sl_buf_puts(o, "-------------------------------------------\n");
	sl_buf_printf(o, "Batch: %lld\n", (long long)epoch);
	sl_buf_puts(o, "-------------------------------------------\n");
	put_border(o, widths, ncols);
	put_line(o, cells, widths, ncols, cf->truncate);
	put_border(o, widths, ncols);
	for (uint32_t r = 0; r < nshow; r++)
		put_line(o, cells + (size_t)(r + 1) * ncols, widths, ncols,
			 cf->truncate);
	put_border(o, widths, ncols);
	if (st->nseen > max) {
		sl_buf_printf(o, "only showing top %lld %s\n", (long long)max,
			      max == 1 ? "row" : "rows");
	}
	sl_buf_putc(o, '\n');
}

/* Writes all of buf, through partial writes and EINTR, as one io_uring
 * write (sl_uring_write loops over short writes). A non-blocking fd that
 * is momentarily full is the exception: sl_uring_write reports -EAGAIN
 * without saying how much of a short write went out before it, so such an
 * fd is written with write(2), waiting with poll(2) while it is full.
 * Returns 0 or -errno. */
static int write_all(sl_console *st, int fd, const char *buf, size_t n)
{
	if (st->flags_fd != fd) {
		int fl = fcntl(fd, F_GETFL);

		st->nonblock = fl >= 0 && (fl & O_NONBLOCK);
		st->flags_fd = fd;
	}
	if (!st->nonblock) {
		ssize_t w = sl_uring_write(sl_uring_get(), fd, buf, n, -1);

		return w < 0 ? (int)w : 0;
	}
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd,
						    .events = POLLOUT };
				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int console_init(sl_sink *sk, sl_err *err)
{
	const sl_console_conf *cf = sk->conf;

	if (!cf || cf->num_rows < 1)
		return sl_err_set(err, SL_EOPTION,
				  "console sink: numRows must be at least 1");
	sl_console *st = calloc(1, sizeof(*st));
	if (!st)
		return sl_err_set(err, -ENOMEM, "console sink: out of memory");
	sl_arena_init(&st->scratch);
	st->flags_fd = -2; /* no fd checked yet (-1 is an fd value) */
	sk->state = st;
	return 0;
}

static int console_write(sl_sink *sk, sl_batch *b)
{
	const sl_console_conf *cf = sk->conf;
	sl_console *st = sk->state;
	uint64_t keep = (uint64_t)cf->num_rows + 1;

	for (uint32_t r = 0; r < b->nrows && st->nseen + r < keep; r++) {
		if (!st->rows) {
			/* Room for what will be shown, up to a modest start:
			 * numRows may be set huge to mean "everything". */
			uint32_t cap = keep < 64 ? (uint32_t)keep : 64;
			st->rows = sl_batch_new(sk->schema, cap);
		}
		const sl_value *in = sl_batch_row(b, r);
		sl_value *out = sl_batch_add_row(st->rows);
		for (uint32_t c = 0; c < st->rows->ncols && c < b->ncols; c++)
			out[c] = sl_value_copy(&in[c], &st->rows->arena);
	}
	st->nseen += b->nrows;
	return 0;
}

static int console_commit(sl_sink *sk, int64_t epoch)
{
	sl_console *st = sk->state;
	int rc;

	sl_buf_reset(&st->out);
	format_batch(sk, st, epoch);
	rc = write_all(st, sk->console_fd, st->out.s, st->out.len);

	sl_batch_free(st->rows);
	st->rows = NULL;
	st->nseen = 0;
	sl_arena_reset(&st->scratch);
	/* Don't keep a buffer sized for one giant epoch forever. */
	if (st->out.cap > (1u << 20))
		sl_buf_free(&st->out);
	if (rc < 0)
		return sl_err_set(&sk->err, SL_EIO,
				  "console sink: writing batch %lld to fd %d "
				  "failed: %s",
				  (long long)epoch, sk->console_fd,
				  strerror(-rc));
	return 0;
}

static void console_destroy(sl_sink *sk)
{
	sl_console *st = sk->state;

	if (!st)
		return;
	sl_batch_free(st->rows);
	sl_buf_free(&st->out);
	sl_arena_free(&st->scratch);
	free(st);
	sk->state = NULL;
}

const sl_sink_ops sl_sink_console = {
	.name = "console",
	.description = "Prints every epoch or micro-batch to the console as a "
		       "table, as Spark's console sink does (for debugging).",
	.options = console_options,
	.conf_size = sizeof(sl_console_conf),
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |
		 SL_MODE_BIT(SL_MODE_COMPLETE),
	.continuous = true,
	.init = console_init,
	.write = console_write,
	.commit = console_commit,
	.destroy = console_destroy,
};
