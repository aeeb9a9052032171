/* io/format_lines.c - the line service of the line formats (text, CSV,
 * JSON lines; io/format.h): one file read ahead through io_uring, split
 * into lines, a line that straddles two reads carried over, and the loop
 * that turns a file's lines into rows. The file source hands a format a
 * file; only the formats that are lines of text read it through here. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/format.h"

/* Read-ahead: two 256 KiB reads in flight keep the disk busy while the
 * partition parses, without holding much memory per partition. */
#define FILE_CHUNK (256 * 1024)
#define FILE_DEPTH 2

void sl_lines_close(sl_lines *l)
{
	if (!l->open)
		return;
	sl_uring_reader_stop(&l->rd);
	sl_uring_close(sl_uring_get(), l->fd);
	l->open = false;
	sl_buf_free(&l->carry);
}

int sl_lines_open(sl_lines *l, sl_format_reader *r)
{
	int fd = sl_uring_openat(sl_uring_get(), AT_FDCWD, r->path,
				 O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return sl_err_set(&r->err, SL_EIO,
				  "source '%s': cannot open %s: %s",
				  r->scan->component, r->path, strerror(-fd));
	/* Up to the size the scan saw, as Spark reads the length its listing
	 * recorded: bytes appended later are not part of this file. */
	if (sl_uring_reader_start(&l->rd, sl_uring_get(), fd, (uint64_t)r->size,
				  FILE_CHUNK, FILE_DEPTH) < 0) {
		sl_uring_close(sl_uring_get(), fd);
		return sl_err_set(&r->err, -ENOMEM, "out of memory");
	}
	l->fd = fd;
	l->open = true;
	l->chunk = NULL;
	l->clen = l->cpos = 0;
	l->eof = false;
	sl_buf_reset(&l->carry);
	l->carry_used = false;
	l->line_no = 0;
	l->max_line = r->scan->max_line > 0 ? (size_t)r->scan->max_line
					    : SL_LINES_MAX_DEFAULT;
	return 0;
}

int sl_lines_next(sl_lines *l, const char **line, size_t *len)
{
	if (l->carry_used) {
		sl_buf_reset(&l->carry);
		l->carry_used = false;
	}
	for (;;) {
		if (l->cpos < l->clen) {
			const char *s = l->chunk + l->cpos;
			size_t left = l->clen - l->cpos;
			const char *nl = memchr(s, '\n', left);

			if (nl) {
				size_t n = (size_t)(nl - s);

				if (l->carry.len + n > l->max_line + 1)
					return -EMSGSIZE;

				l->cpos += n + 1;
				if (l->carry.len) {
					sl_buf_put(&l->carry, s, n);
					*line = l->carry.s;
					*len = l->carry.len;
					l->carry_used = true;
				} else {
					*line = s;
					*len = n;
				}
				goto got;
			}
			/* The line goes on in the next chunk, whose buffer
			 * will replace this one: keep its start (unless it is
			 * past the limit already: then it is never held). */
			if (l->carry.len + left > l->max_line + 1)
				return -EMSGSIZE;
			sl_buf_put(&l->carry, s, left);
			l->cpos = l->clen;
		}
		if (l->eof) {
			if (!l->carry.len)
				return 0;
			/* A last line without a newline is a line. */
			*line = l->carry.s;
			*len = l->carry.len;
			l->carry_used = true;
			goto got;
		}
		{
			ssize_t k = sl_uring_reader_next(&l->rd, &l->chunk);

			if (k < 0)
				return (int)k;
			if (k == 0) {
				l->eof = true;
				l->clen = l->cpos = 0;
			} else {
				l->clen = (size_t)k;
				l->cpos = 0;
			}
		}
	}
got:
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	/* The checks above allow for a '\r' the line may end with. */
	if (*len > l->max_line)
		return -EMSGSIZE;
	l->line_no++;
	return 1;
}

int sl_lines_next_batch(sl_format_reader *r, sl_lines *l, sl_batch *b,
			uint32_t max,
			int (*line)(sl_format_reader *r, sl_batch *b,
				    const char *s, size_t n))
{
	while (b->nrows < max) {
		const char *s = NULL;
		size_t n = 0;
		int rc = sl_lines_next(l, &s, &n);

		if (rc == -EMSGSIZE)
			return sl_err_set(&r->err, SL_EIO,
					  "source '%s': line %lld of %s is "
					  "longer than maxLineLength (%zu "
					  "bytes)",
					  r->scan->component,
					  (long long)l->line_no + 1, r->path,
					  l->max_line);
		if (rc < 0)
			return sl_err_set(&r->err, SL_EIO,
					  "source '%s': reading %s: %s",
					  r->scan->component, r->path,
					  strerror(-rc));
		if (rc == 0)
			return 0;
		if ((rc = line(r, b, s, n)) < 0)
			return rc;
	}
	return 1;
}

void *sl_lines_reader_open(sl_format_reader *r, size_t size)
{
	sl_lines *l = sl_xcalloc(1, size);

	sl_oom_own(l); /* the thread's first io_uring ring may unwind */
	int rc = sl_lines_open(l, r);
	sl_oom_disown(l);
	if (rc < 0) {
		free(l);
		return NULL;
	}
	r->state = l;
	return l;
}

void sl_lines_reader_close(sl_format_reader *r)
{
	sl_lines *l = r->state;

	if (!l)
		return;
	sl_lines_close(l);
	free(l);
	r->state = NULL;
}

int sl_lines_record(sl_format_reader *r, sl_batch *b, const char *s,
		    size_t n,
		    int (*parse)(sl_format_reader *r, sl_batch *b,
				 sl_value *row, const char *s, size_t n))
{
	sl_value *row = sl_batch_add_row(b);
	int rc = parse(r, b, row, s, n);

	/* Dropped, or failed: the record is no row. */
	if (rc != 0)
		b->nrows--;
	return rc < 0 ? rc : 0;
}
