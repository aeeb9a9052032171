/* io/deadletter.c - the dead-letter writer shared by the file and socket
 * sources (io/deadletter.h): JSON lines of rejected records, buffered per
 * poll and appended through the partition thread's io_uring. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "io/deadletter.h"
#include "io/uring.h"

/* ---- making the directory --------------------------------------------- */

/* mkdir -p dir: each component in turn, an existing one is fine. */
static int mkdir_p(sl_uring *r, char *dir)
{
	int rc;

	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		rc = sl_uring_mkdirat(r, AT_FDCWD, dir, 0777);
		*s = '/';
		if (rc < 0 && rc != -EEXIST)
			return rc;
	}
	rc = sl_uring_mkdirat(r, AT_FDCWD, dir, 0777);
	return rc == -EEXIST ? 0 : rc;
}

char *sl_dl_prepare(const char *dir, const char *component, const char *watched,
		    sl_err *err)
{
	char *tmp = sl_xstrdup(dir), *real;
	int rc;

	rc = mkdir_p(sl_uring_get(), tmp);
	free(tmp);
	if (rc < 0) {
		sl_err_set(err, SL_EOPTION,
			   "%s: option 'deadLetterPath' = '%s': cannot make "
			   "the directory: %s",
			   component, dir, strerror(-rc));
		return NULL;
	}
	/* Absolute, so a later chdir cannot move the output. */
	real = realpath(dir, NULL);
	if (!real) {
		sl_err_set(err, SL_EOPTION,
			   "%s: option 'deadLetterPath' = '%s': %s", component,
			   dir, strerror(errno));
		return NULL;
	}
	if (watched && !strcmp(real, watched)) {
		sl_err_set(err, SL_EOPTION,
			   "%s: option 'deadLetterPath' = '%s' is the source "
			   "directory itself: its files would be read as "
			   "input (a subdirectory is fine)",
			   component, dir);
		free(real);
		return NULL;
	}
	return real;
}

/* ---- the writer ------------------------------------------------------- */

sl_deadletter *sl_dl_open(const char *dir, const char *source, uint32_t part)
{
	sl_deadletter *d = sl_xcalloc(1, sizeof(*d));
	d->dir = dir;
	d->source = source;
	d->part = part;
	d->start_ms = sl_wall_us() / 1000;
	d->fd = -1;
	return d;
}

static void put(sl_deadletter *d, const char *s, size_t n)
{
	sl_buf_put(&d->lines, s, n);
}

static void puts_(sl_deadletter *d, const char *s)
{
	put(d, s, strlen(s));
}


/* s as a JSON string. Returns false if an invalid UTF-8 sequence had to be
 * replaced: the text is then not the exact bytes. */
static bool put_json_str(sl_deadletter *d, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	bool exact = true;
	size_t i = 0, k, bad;

	put(d, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(d, esc, 2);
			i++;
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(d, esc);
			i++;
		} else if (c < 0x80) {
			put(d, s + i, 1);
			i++;
		} else if ((k = sl_utf8_seq(u + i, n - i, &bad))) {
			put(d, s + i, k);
			i += k;
		} else {
			put(d, "\xef\xbf\xbd", 3);
			i += bad;
			exact = false;
		}
	}
	put(d, "\"", 1);
	return exact;
}

static void put_base64(sl_deadletter *d, const char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;

	put(d, "\"", 1);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		put(d, q, 4);
	}
	put(d, "\"", 1);
}

void sl_dl_add(sl_deadletter *d, const char *file, int64_t line,
	       const char *reason, const char *rec, size_t len)
{
	char num[32];

	puts_(d, "{\"source\":");
	put_json_str(d, d->source, strlen(d->source));
	if (file) {
		puts_(d, ",\"file\":");
		put_json_str(d, file, strlen(file));
	}
	if (line >= 0) {
		snprintf(num, sizeof(num), ",\"line\":%lld", (long long)line);
		puts_(d, num);
	}
	puts_(d, ",\"reason\":");
	put_json_str(d, reason, strlen(reason));
	if (!rec) {
		puts_(d, "}\n");
		d->pending++;
		return;
	}
	puts_(d, ",\"record\":");
	/* The replaced text keeps the record readable; the base64 keeps it
	 * exact, for whoever repairs and replays it. */
	if (!put_json_str(d, rec, len)) {
		puts_(d, ",\"recordBase64\":");
		put_base64(d, rec, len);
	}
	puts_(d, "}\n");
	d->pending++;
}

/* Makes the partition's file. O_EXCL, with the next millisecond on a
 * clash, so two writers (two sources sharing the directory, a partition
 * reopened at once) never append to the same file. */
static int make_file(sl_deadletter *d, sl_uring *r)
{
	int fd = -EEXIST, dfd;

	for (int i = 0; i < 1000 && fd == -EEXIST; i++) {
		free(d->path);
		d->path = NULL;
		d->path = sl_xasprintf("%s/rejected-%ld-%u-%lld.jsonl", d->dir,
				       (long)getpid(), d->part,
				       (long long)(d->start_ms + i));
		fd = sl_uring_openat(r, AT_FDCWD, d->path,
				     O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
					     O_CLOEXEC,
				     0644);
	}
	if (fd < 0)
		return fd;
	d->fd = fd;
	/* The new name must survive a crash as well as the data synced
	 * into it later: sync the directory once. */
	dfd = sl_uring_openat(r, AT_FDCWD, d->dir,
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd >= 0) {
		sl_uring_fsync(r, dfd, false);
		sl_uring_close(r, dfd);
	}
	return 0;
}

int64_t sl_dl_flush(sl_deadletter *d, bool sync, sl_err *err)
{
	sl_uring *r = sl_uring_get();
	int64_t n = (int64_t)d->pending;
	ssize_t k;
	int rc;

	if (d->lines.len) {
		if (d->fd < 0 && (rc = make_file(d, r)) < 0) {
			d->lines.len = 0;
			d->pending = 0;
			return sl_err_set(err, SL_EIO,
					  "dead letter: cannot create %s: %s",
					  d->path, strerror(-rc));
		}
		k = sl_uring_write(r, d->fd, d->lines.p, d->lines.len, -1);
		d->lines.len = 0;
		d->pending = 0;
		if (k < 0)
			return sl_err_set(err, SL_EIO,
					  "dead letter: writing %s: %s",
					  d->path, strerror((int)-k));
		d->written += (uint64_t)n;
		d->unsynced = true;
	}
	if (sync && d->unsynced) {
		rc = sl_uring_fsync(r, d->fd, true);
		if (rc < 0)
			return sl_err_set(err, SL_EIO,
					  "dead letter: fsync of %s: %s",
					  d->path, strerror(-rc));
		d->unsynced = false;
	}
	return n;
}

void sl_dl_close(sl_deadletter *d)
{
	sl_err e = { 0 };

	if (!d)
		return;
	if (sl_dl_flush(d, true, &e) < 0)
		sl_log_here(SL_LOG_ERROR, "%s", e.msg);
	if (d->fd >= 0)
		sl_uring_close(sl_uring_get(), d->fd);
	free(d->path);
	sl_buf_free(&d->lines);
	free(d);
}
