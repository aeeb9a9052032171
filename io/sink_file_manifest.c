/* io/sink_file_manifest.c - the file sink's _spark_metadata log: building
 * and writing a batch's manifest crash-safely (temp file, fsync, rename,
 * fsync of the directory: core/atomic_file.h) at commit, finding the latest
 * batch at init, and reading the log back (sl_file_sink_list,
 * io/sink_file.h), Spark's compact files and deletes included. The format
 * is Spark's byte for byte; why it is not sl_ckpt_file_write: the top of
 * io/sink_file.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "io/sink_file.h"
#include "io/sink_file_internal.h"
#include "io/uring.h"

/* What Hadoop's local file system reports as a file's block size; Spark
 * records it in the manifest. */
#define SL_FSINK_BLOCK_SIZE 33554432

/* ---- the manifest ----------------------------------------------------- */

/* Appends path as the path of a file: URI, as Hadoop's Path.toUri prints
 * it: ASCII outside the characters a URI path may hold is percent-encoded
 * (so a partition directory's own %XX escapes become %25XX); other bytes
 * stay as they are. */
static void put_uri_path(sl_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.!~*'()/,;:$&+=@", c)) {
			sl_buf_putc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sl_buf_put(b, e, 3);
		}
	}
}

/* Spark's manifest: "v1", then one SinkFileStatus per line. */
void sl_file_sink_manifest_build(sl_file_sink *st, const int64_t *mtime_ms)
{
	sl_buf *m = &st->man;

	m->len = 0;
	sl_buf_puts(m, "v1");
	for (uint32_t i = 0; i < st->nfiles; i++) {
		const fs_file *f = &st->files[i];

		if (mtime_ms[i] < 0)
			continue;
		st->cell.len = 0;
		sl_buf_puts(&st->cell, "file://");
		put_uri_path(&st->cell, st->root);
		sl_buf_putc(&st->cell, '/');
		put_uri_path(&st->cell, f->rel);
		sl_buf_puts(m, "\n{\"path\":");
		sl_format_json_str(m, st->cell.s, st->cell.len);
		sl_buf_printf(m,
			      ",\"size\":%" PRIu64 ",\"isDir\":false,"
			      "\"modificationTime\":%" PRId64
			      ",\"blockReplication\":1,\"blockSize\":%d,"
			      "\"action\":\"add\"}",
			      f->size, mtime_ms[i], SL_FSINK_BLOCK_SIZE);
	}
}

/* Writes _spark_metadata/<epoch> crash-safely (core/atomic_file.h): a temporary
 * file, fsync, rename (refusing to replace: a manifest that appeared meanwhile
 * wins), fsync of the directory. Returns 0, 1 if the manifest already existed
 * (nothing written), or < 0 with sk->err set. */
int sl_file_sink_manifest_write(sl_sink *sk, int64_t epoch)
{
	sl_file_sink *st = sk->state;
	char name[32], tmp[96], rel[128];
	sl_atomic_step step;
	int rc;

	snprintf(name, sizeof(name), "%" PRId64, epoch);
	snprintf(tmp, sizeof(tmp), ".%s.%s.tmp", name,
		 st->have_uuid ? st->uuid : "empty");
	snprintf(rel, sizeof(rel), SL_META_DIR "/%s", tmp);
	rc = sl_atomic_file_write(st->meta_fd, tmp, name, st->man.s,
				  st->man.len, true, &step);
	if (rc >= 0)
		return rc; /* 1: the manifest appeared meanwhile and wins */
	switch (step) {
	case SL_ATOMIC_CREATE: return sl_file_sink_fail(sk, -rc, "create", rel);
	case SL_ATOMIC_WRITE: return sl_file_sink_fail(sk, -rc, "write", rel);
	case SL_ATOMIC_FSYNC: return sl_file_sink_fail(sk, -rc, "fsync", rel);
	case SL_ATOMIC_CLOSE: return sl_file_sink_fail(sk, -rc, "close", rel);
	case SL_ATOMIC_RENAME:
		snprintf(rel, sizeof(rel), SL_META_DIR "/%s", name);
		return sl_file_sink_fail(sk, -rc, "rename into", rel);
	case SL_ATOMIC_FSYNC_DIR: break;
	}
	return sl_file_sink_fail(sk, -rc, "fsync directory", SL_META_DIR);
}

/* true when _spark_metadata/<epoch> exists. */
bool sl_file_sink_manifest_exists(sl_file_sink *st, int64_t epoch)
{
	struct statx sx;
	char name[32];

	snprintf(name, sizeof(name), "%" PRId64, epoch);
	return sl_uring_statx(sl_uring_get(), st->meta_fd, name,
			      AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx) == 0;
}

/* A manifest name: a batch number ("12"), or "12.compact" when compact is
 * not NULL. Returns the number or -1. */
static int64_t manifest_id(const char *s, bool *compact)
{
	int64_t v = 0;
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9' && i < 18; i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || (s[0] == '0' && i > 1))
		return -1;
	if (s[i] == '\0') {
		if (compact)
			*compact = false;
		return v;
	}
	if (compact && !strcmp(s + i, ".compact")) {
		*compact = true;
		return v;
	}
	return -1;
}

/* The highest batch number in the manifest directory, -1 if none. */
int64_t sl_file_sink_manifest_latest(int meta_fd)
{
	int64_t latest = -1;
	struct dirent *de;
	int fd = dup(meta_fd);
	DIR *dp;

	if (fd < 0 || !(dp = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(dp);
	while ((de = readdir(dp)) != NULL) {
		bool c;
		int64_t id = manifest_id(de->d_name, &c);

		if (id > latest)
			latest = id;
	}
	closedir(dp);
	return latest;
}

/* ---- reading the manifest --------------------------------------------- */

/* Reads name in dfd whole, through io_uring. */
static int read_whole(sl_uring *r, int dfd, const char *name, char **out,
		      size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = sl_xrealloc(NULL, cap + 1);
	int fd = sl_uring_openat(r, dfd, name, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		free(buf);
		return fd;
	}
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = sl_xrealloc(buf, cap + 1);
		}
		ssize_t k = sl_uring_pread(r, fd, buf + n, cap - n, n);
		if (k < 0) {
			sl_uring_close(r, fd);
			free(buf);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	sl_uring_close(r, fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A manifest path ("file:///a/b%20c", "file:/a/b", "/a/b") as a local
 * path, malloc'd. */
static char *uri_to_path(const char *u)
{
	const char *s = u;
	char *out, *w;
	bool uri = false;

	if (!strncmp(s, "file://", 7)) {
		s += 7;
		uri = true;
	} else if (!strncmp(s, "file:", 5)) {
		s += 5;
		uri = true;
	}
	out = w = sl_xrealloc(NULL, strlen(s) + 1);
	for (; *s; s++) {
		int h, l;

		if (uri && *s == '%' && (h = sl_hexval(s[1])) >= 0 &&
		    (l = sl_hexval(s[2])) >= 0) {
			*w++ = (char)(h << 4 | l);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return out;
}

typedef struct fs_list {
	char **v;
	size_t n, cap;
} fs_list;

static void list_apply(fs_list *l, const char *uri, bool add)
{
	char *p = uri_to_path(uri);

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], p)) {
			if (!add) {
				free(l->v[i]);
				memmove(l->v + i, l->v + i + 1,
					(l->n - i - 1) * sizeof(char *));
				l->n--;
			}
			free(p);
			return;
		}
	if (!add) {
		free(p);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = sl_xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = p;
}

/* Applies one manifest file's entries to l. */
static int list_read(sl_uring *r, int meta_fd, const char *dirpath,
		     const char *name, fs_list *l, sl_err *err)
{
	char *body = NULL, *line, *next;
	size_t len;
	int rc = read_whole(r, meta_fd, name, &body, &len);

	if (rc < 0)
		return sl_err_set(err, SL_EIO, "cannot read %s/%s: %s", dirpath,
				  name, strerror(-rc));
	next = strchr(body, '\n');
	if (next)
		*next++ = '\0';
	if (body[0] != 'v' || strtol(body + 1, NULL, 10) != 1) {
		rc = sl_err_set(err, SL_EINVAL,
				"%s/%s is not a file sink manifest (first line "
				"'%.20s', wanted 'v1')",
				dirpath, name, body);
		goto out;
	}
	for (line = next; line && *line; line = next) {
		json_error_t je;
		json_t *j, *path, *action;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		j = json_loads(line, 0, &je);
		path = json_object_get(j, "path");
		action = json_object_get(j, "action");
		if (!json_is_string(path)) {
			json_decref(j);
			rc = sl_err_set(err, SL_EINVAL,
					"%s/%s: bad entry '%.60s'", dirpath,
					name, line);
			goto out;
		}
		list_apply(l, json_string_value(path),
			   !json_is_string(action) ||
				   strcmp(json_string_value(action),
					  "delete") != 0);
		json_decref(j);
	}
out:
	free(body);
	return rc;
}

typedef struct fs_mentry {
	int64_t id;
	bool compact;
	char name[NAME_MAX + 1];
} fs_mentry;

static int mentry_cmp(const void *a, const void *b)
{
	const fs_mentry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->compact - (int)y->compact;
}

int sl_file_sink_list(const char *path, char ***files, size_t *n, sl_err *err)
{
	sl_uring *r = sl_uring_get();
	fs_list l = { 0 };
	fs_mentry *m = NULL;
	size_t nm = 0, cap = 0, from = 0;
	char meta[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int fd, rc = 0;

	*files = NULL;
	*n = 0;
	snprintf(meta, sizeof(meta), "%s/" SL_META_DIR, path);
	fd = sl_uring_openat(r, AT_FDCWD, meta,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return sl_err_set(err, SL_ENOTFOUND,
				  "%s has no " SL_META_DIR
				  ": not the output of a file sink",
				  path);
	if (fd < 0)
		return sl_err_set(err, SL_EIO, "cannot open %s: %s", meta,
				  strerror(-fd));
	/* Names come from getdents (no io_uring operation lists a
	 * directory); the reads go through the ring. */
	int lfd = dup(fd);
	if (lfd < 0 || !(dp = fdopendir(lfd))) {
		rc = sl_err_set(err, SL_EIO, "cannot list %s: %s", meta,
				strerror(errno));
		if (lfd >= 0)
			close(lfd);
		sl_uring_close(r, fd);
		return rc;
	}
	while ((de = readdir(dp)) != NULL) {
		bool compact;
		int64_t id = manifest_id(de->d_name, &compact);

		if (id < 0)
			continue;
		if (nm == cap) {
			cap = cap ? cap * 2 : 16;
			m = sl_xrealloc(m, cap * sizeof(*m));
		}
		m[nm].id = id;
		m[nm].compact = compact;
		memcpy(m[nm].name, de->d_name, strlen(de->d_name) + 1);
		nm++;
	}
	closedir(dp);
	/* An empty directory leaves m NULL, which qsort must not be given
	 * even with no elements. */
	if (nm > 1)
		qsort(m, nm, sizeof(*m), mentry_cmp);
	/* A compact file holds everything up to its batch: start there. */
	for (size_t i = 0; i < nm; i++)
		if (m[i].compact)
			from = i;
	for (size_t i = from; i < nm && rc == 0; i++) {
		if (i > from && m[i].id == m[i - 1].id)
			continue; /* N and N.compact: the same batch */
		rc = list_read(r, fd, meta, m[i].name, &l, err);
	}
	sl_uring_close(r, fd);
	free(m);
	if (rc < 0) {
		sl_file_sink_list_free(l.v, l.n);
		return rc;
	}
	*files = l.v;
	*n = l.n;
	return 0;
}

void sl_file_sink_list_free(char **files, size_t n)
{
	if (!files)
		return;
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
