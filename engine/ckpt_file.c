/* engine/ckpt_file.c - crash-safe, self-checking files for checkpoints.
 *
 * Every file of a checkpoint directory goes through here: a write lands in
 * a temporary file, is fsynced, renamed over its name and the directory is
 * fsynced (core/atomic_file.c), so after a crash a name holds either the
 * old or the new content, never a mix; and every file ends with an XXH64
 * checksum line, so what a power loss or a disk still manages to tear (a file renamed before its
 * blocks reached the disk on a filesystem that reorders them, a flipped
 * byte) is detected when read, not trusted.
 *
 * Plain syscalls relative to directory fds (openat, unlinkat, and the
 * write of core/atomic_file.c): checkpoint writes are off the record path
 * (the coordinator and sink threads, once per epoch). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "engine/ckpt_internal.h"
#include "sluice.h"

/* "# xxh64 " + 16 hex digits + "\n" */
#define SUM_PREFIX "# xxh64 "
#define SUM_PREFIX_LEN 8
#define SUM_LINE_LEN (SUM_PREFIX_LEN + 16 + 1)

/* Checkpoint files are small (offsets of a few thousand partitions, a
 * source's file list); anything much larger is not one of ours and would
 * only exhaust memory if trusted. */
#define MAX_FILE_BYTES (256u << 20)

static int io_fail(sl_err *err, int e, const char *what, const char *dirpath,
		   const char *name)
{
	return sl_err_set(err, SL_EIO, "cannot %s %s%s%s: %s", what, dirpath,
			  name ? "/" : "", name ? name : "", strerror(e));
}

int sl_ckpt_file_write(int dirfd, const char *dirpath, const char *name,
		       const char *body, size_t len, sl_err *err)
{
	char tmp[NAME_MAX + 1], sum[SUM_LINE_LEN + 1];
	bool nl = len > 0 && body[len - 1] == '\n';
	sl_atomic_step step;
	size_t total;
	char *buf;
	int rc;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return sl_err_set(err, SL_EINVAL, "file name too long: %s/%s",
				  dirpath, name);

	/* One buffer, one write: the body (with a newline so that the
	 * checksum starts a line of its own) and the checksum of exactly the
	 * bytes before its line. */
	total = len + !nl + SUM_LINE_LEN;
	buf = malloc(total + 1);
	if (!buf)
		return sl_err_set(err, -ENOMEM, "out of memory writing %s/%s",
				  dirpath, name);
	memcpy(buf, body, len);
	if (!nl)
		buf[len] = '\n';
	snprintf(sum, sizeof(sum), SUM_PREFIX "%016" PRIx64 "\n",
		 (uint64_t)XXH64(buf, len + !nl, 0));
	memcpy(buf + len + !nl, sum, SUM_LINE_LEN);

	rc = sl_atomic_file_write(dirfd, tmp, name, buf, total, false, &step);
	free(buf);
	if (rc >= 0)
		return 0;
	switch (step) {
	case SL_ATOMIC_CREATE: return io_fail(err, -rc, "create", dirpath, tmp);
	case SL_ATOMIC_WRITE: io_fail(err, -rc, "write", dirpath, tmp); break;
	case SL_ATOMIC_FSYNC: io_fail(err, -rc, "fsync", dirpath, tmp); break;
	case SL_ATOMIC_CLOSE: io_fail(err, -rc, "close", dirpath, tmp); break;
	case SL_ATOMIC_RENAME:
		io_fail(err, -rc, "rename into", dirpath, name);
		break;
	case SL_ATOMIC_FSYNC_DIR:
		return io_fail(err, -rc, "fsync directory", dirpath, NULL);
	}
	return SL_EIO;
}

static bool hex16(const char *p, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 16; i++) {
		char ch = p[i];
		int d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return true;
}

/* Finds the checksum line at the end of data and checks it. Returns the
 * body length, or -1 with why in err. */
static ssize_t check_sum(const char *data, size_t n, const char *dirpath,
			 const char *name, sl_err *err)
{
	uint64_t want, got;
	size_t body;

	if (n == 0) {
		sl_err_set(err, SL_EINVAL, "%s/%s is empty (torn)", dirpath,
			   name);
		return -1;
	}
	if (n < SUM_LINE_LEN || data[n - 1] != '\n' ||
	    memcmp(data + n - SUM_LINE_LEN, SUM_PREFIX, SUM_PREFIX_LEN) != 0 ||
	    (n > SUM_LINE_LEN && data[n - SUM_LINE_LEN - 1] != '\n') ||
	    !hex16(data + n - SUM_LINE_LEN + SUM_PREFIX_LEN, &want)) {
		sl_err_set(err, SL_EINVAL,
			   "%s/%s is torn (no checksum line at its end)",
			   dirpath, name);
		return -1;
	}
	body = n - SUM_LINE_LEN;
	got = XXH64(data, body, 0);
	if (got != want) {
		sl_err_set(err, SL_EINVAL,
			   "%s/%s is corrupt (checksum %016" PRIx64
			   ", content hashes to %016" PRIx64 ")",
			   dirpath, name, want, got);
		return -1;
	}
	return (ssize_t)body;
}

int sl_ckpt_file_read(int dirfd, const char *dirpath, const char *name,
		      char **body, size_t *len, sl_err *err)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t blen;
	char *buf;
	int fd;

	*body = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return sl_err_set(err, SL_ENOTFOUND, "%s/%s is missing",
					  dirpath, name);
		return io_fail(err, errno, "open", dirpath, name);
	}
	if (fstat(fd, &st) < 0) {
		io_fail(err, errno, "stat", dirpath, name);
		close(fd);
		return SL_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return sl_err_set(err, SL_EIO,
				  "cannot read %s/%s: not a regular file",
				  dirpath, name);
	}
	if ((uint64_t)st.st_size > MAX_FILE_BYTES) {
		close(fd);
		return sl_err_set(err, SL_EINVAL,
				  "%s/%s is corrupt (%lld bytes: too large for "
				  "a checkpoint file)",
				  dirpath, name, (long long)st.st_size);
	}
	/* Read to EOF rather than trusting st_size, within the cap. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return sl_err_set(err, -ENOMEM, "out of memory reading %s/%s",
				  dirpath, name);
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap > MAX_FILE_BYTES)
				break;
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return sl_err_set(err, -ENOMEM,
						  "out of memory reading %s/%s",
						  dirpath, name);
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			io_fail(err, errno, "read", dirpath, name);
			free(buf);
			close(fd);
			return SL_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	blen = check_sum(buf, n, dirpath, name, err);
	if (blen < 0) {
		free(buf);
		return SL_EINVAL;
	}
	buf[blen] = '\0';
	*body = buf;
	*len = (size_t)blen;
	return 0;
}

static bool is_tmp_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] == '.' && l > 5 && strcmp(n + l - 4, ".tmp") == 0;
}

int sl_ckpt_file_clean_tmp(int dirfd, const char *dirpath, sl_err *err)
{
	struct dirent *de;
	int fd, count = 0;
	DIR *d;

	/* fdopendir takes the fd it is given: hand it a duplicate. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(err, errno, "open", dirpath, NULL);
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		return io_fail(err, e, "list", dirpath, NULL);
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_tmp_name(de->d_name))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			io_fail(err, errno, "remove", dirpath, de->d_name);
			closedir(d);
			return SL_EIO;
		}
		count++;
	}
	closedir(d);
	return count;
}

/* fsyncs the directory that holds path (a new entry in it must survive). */
static int sync_parent(const char *path, sl_err *err)
{
	char buf[PATH_MAX];
	char *slash;
	int fd;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash)
		snprintf(buf, sizeof(buf), ".");
	else if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(err, errno, "open", buf, NULL);
	if (fsync(fd) < 0) {
		int e = errno;

		close(fd);
		return io_fail(err, e, "fsync directory", buf, NULL);
	}
	close(fd);
	return 0;
}

/* mkdir -p for a checkpoint location given as a path; each directory made
 * is made durable in its parent. */
static int mkdir_path(const char *path, sl_err *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return sl_err_set(err, SL_EINVAL, "path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == 0) {
			int rc = sync_parent(buf, err);
			if (rc < 0)
				return rc;
		} else if (errno != EEXIST) {
			return io_fail(err, errno, "create directory", buf,
				       NULL);
		}
		buf[i] = path[i];
	}
	return 0;
}

int sl_ckpt_dir_open(int dirfd, const char *dirpath, const char *name,
		     bool create, int *fd, sl_err *err)
{
	bool top = dirfd == AT_FDCWD;
	const char *shown = top ? name : dirpath;
	const char *sub = top ? NULL : name;
	int f, rc;

	*fd = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		f = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f >= 0) {
			*fd = f;
			return 0;
		}
		if (errno == ENOTDIR)
			return sl_err_set(err, SL_EIO,
					  "cannot use %s%s%s: not a directory",
					  shown, sub ? "/" : "",
					  sub ? sub : "");
		if (errno != ENOENT)
			return io_fail(err, errno, "open directory", shown,
				       sub);
		if (!create)
			return sl_err_set(err, SL_ENOTFOUND,
					  "%s%s%s is missing", shown,
					  sub ? "/" : "", sub ? sub : "");
		if (top) {
			rc = mkdir_path(name, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return io_fail(err, errno, "create directory", dirpath,
				       name);
		if (fsync(dirfd) < 0)
			return io_fail(err, errno, "fsync directory", dirpath,
				       NULL);
	}
	return io_fail(err, ENOENT, "open directory", shown, sub);
}

/* ---- JSON and epoch listings (engine/ckpt_internal.h) ---------------------- */

int sl_ckpt_json_write(int dirfd, const char *dirpath, const char *name,
		       const json_t *j, sl_err *err)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	int rc;

	if (!text)
		return sl_err_set(err, -ENOMEM, "out of memory encoding %s/%s",
				  dirpath, name);
	rc = sl_ckpt_file_write(dirfd, dirpath, name, text, strlen(text), err);
	free(text);
	return rc;
}

/* SL_EINVAL covers both a bad checksum and a body that is not JSON: either
 * way the file is not what we wrote. */
int sl_ckpt_json_read(int dirfd, const char *dirpath, const char *name,
		      json_t **out, sl_err *err)
{
	json_error_t je;
	char *body;
	size_t len;
	int rc;

	*out = NULL;
	rc = sl_ckpt_file_read(dirfd, dirpath, name, &body, &len, err);
	if (rc < 0)
		return rc;
	*out = json_loadb(body, len, 0, &je);
	free(body);
	if (!*out)
		return sl_err_set(err, SL_EINVAL,
				  "%s/%s is corrupt (not JSON: %s at line %d)",
				  dirpath, name, je.text, je.line);
	return 0;
}

int sl_ckpt_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Parses an epoch file name: decimal digits, no sign, no leading zero. Other
 * names (temporary files, a user's notes) are not epochs and are ignored. */
static bool parse_epoch(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* What a listing holds while it may unwind. */
struct list_tmp {
	DIR *d;
	int64_t *v;
};

static void list_tmp_free(void *arg)
{
	struct list_tmp *t = arg;
	closedir(t->d);
	free(t->v);
}

int sl_ckpt_list_epochs(int dirfd, const char *dirpath, int64_t **out,
			uint32_t *n, sl_err *err)
{
	uint32_t cap = 16;
	struct dirent *de;
	int64_t *v, e;
	DIR *d;
	int fd;

	*out = NULL;
	*n = 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return io_fail(err, saved, "list", dirpath, NULL);
	}
	struct list_tmp t = { d, NULL };
	sl_oom_defer(list_tmp_free, &t); /* an unwind (core/alloc.h) */
	v = t.v = sl_xrealloc(NULL, cap * sizeof(*v));
	while ((de = readdir(d)) != NULL) {
		if (!parse_epoch(de->d_name, &e))
			continue;
		if (*n == cap) {
			v = t.v = sl_xrealloc(v, cap * 2 * sizeof(*v));
			cap *= 2;
		}
		v[(*n)++] = e;
	}
	sl_oom_undefer(&t);
	closedir(d);
	qsort(v, *n, sizeof(*v), sl_ckpt_cmp_i64);
	*out = v;
	return 0;
}
