/* io/sink_file.c - the file sinks, one per writable format (json, csv,
 * text: io/format.h), written as part files in a directory and made
 * visible batch by batch through a manifest log, as Spark's FileStreamSink
 * does.
 *
 * Data flow: the sink thread hands record vectors to write(), which
 * has the format encode each row into the buffer of its partition
 * directory
 * (`col=value/...` for partitionBy, "" without) and writes a buffer to its
 * part file through io_uring (io/uring.h) once it holds SL_FSINK_CHUNK
 * bytes, so a file costs one write per chunk, not one per row. commit(N)
 * writes what is left, fsyncs every part file and the directories that
 * gained entries, then publishes the batch by writing `_spark_metadata/N`
 * (temp file, fsync, rename, fsync of the directory). Until that rename
 * the batch's files are invisible to readers that follow the manifest
 * (Spark, sl_file_sink_list): a crash before it leaves garbage files,
 * never half a batch.
 *
 * Exactly once: a batch whose manifest already exists (the engine replays
 * batch N after a crash that came after N's manifest but before the
 * engine's own commit record) is already visible, so commit(N) deletes the
 * files it just wrote and adds nothing. Spark skips such a batch the same
 * way (batchId <= the latest in the log).
 *
 * The manifest is Spark's format byte for byte (first line "v1", then one
 * JSON object per file, no trailing newline), so Spark can read sluice's
 * output and sl_file_sink_list can read Spark's. That is why it is not
 * written with sl_ckpt_file_write: its checksum line would make Spark's
 * reader fail on the manifest. The same temp/fsync/rename/fsync steps are
 * taken, through the one crash-safe write, core/atomic_file.h.
 *
 * This file is the sink itself: options, init, partition directories,
 * part-file I/O through io_uring, write, commit and destroy, and the ops
 * of a format's sink (made by the registry, io/registry.c). Rows are
 * encoded by the format, the manifest is written and read by
 * io/sink_file_manifest.c; io/sink_file_internal.h is what they share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/uuid.h"
#include "io/plugin.h"
#include "io/sink_file.h"
#include "io/sink_file_internal.h"
#include "io/uring.h"

/* ---- partition directories -------------------------------------------- */

/* Characters Spark escapes in a partition directory name (as %XX, upper
 * case hex): control characters and "#%'*\/:=?\\{[]^ and DEL. */
static bool path_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c);
}

static void put_path_part(sl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c && path_escape(c)) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sl_buf_put(b, e, 3);
		} else {
			sl_buf_putc(b, (char)c);
		}
	}
}

/* The row's partition directory, "a=1/b=x", in st->key. */
static void partition_key(sl_file_sink *st, const sl_schema *sc,
			  const sl_value *row)
{
	sl_buf *k = &st->key;

	k->len = 0;
	for (uint32_t i = 0; i < st->npart; i++) {
		uint32_t c = st->part_cols[i];
		const char *name = sc->fields[c].name;
		const sl_value *v = &row[c];
		size_t at;

		if (i)
			sl_buf_putc(k, '/');
		put_path_part(k, name, strlen(name));
		sl_buf_putc(k, '=');
		at = k->len;
		if (!sl_v_is_null(v)) {
			st->cell.len = 0;
			sl_format_put_render(&st->cell, v);
			put_path_part(k, st->cell.s, st->cell.len);
		}
		if (k->len == at)
			sl_buf_puts(k, SL_HIVE_NULL);
	}
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void index_put(sl_file_sink *st, uint32_t d)
{
	uint32_t mask = st->index_cap - 1;
	uint32_t i = (uint32_t)st->dirs[d].hash & mask;

	while (st->index[i])
		i = (i + 1) & mask;
	st->index[i] = d + 1;
}

/* The directory entry for the partition in st->key, made on first sight. */
static fs_dir *dir_get(sl_file_sink *st)
{
	const char *s = st->key.len ? st->key.s : "";
	size_t n = st->key.len;
	uint64_t h = hash_bytes(s, n);
	uint32_t mask, i;
	fs_dir *d;

	if (st->index_cap) {
		mask = st->index_cap - 1;
		for (i = (uint32_t)h & mask; st->index[i]; i = (i + 1) & mask) {
			d = &st->dirs[st->index[i] - 1];
			if (d->hash == h && strlen(d->rel) == n &&
			    !memcmp(d->rel, s, n))
				return d;
		}
	}
	if (st->ndirs == st->capdirs) {
		st->capdirs = st->capdirs ? st->capdirs * 2 : 8;
		st->dirs =
			sl_xrealloc(st->dirs, st->capdirs * sizeof(*st->dirs));
	}
	d = &st->dirs[st->ndirs++];
	memset(d, 0, sizeof(*d));
	d->rel = sl_xrealloc(NULL, n + 1);
	memcpy(d->rel, s, n);
	d->rel[n] = '\0';
	d->hash = h;
	d->file = -1;
	d->exists = n == 0; /* the output directory itself */
	/* Keep the index at most half full. */
	if (st->ndirs * 2 > st->index_cap) {
		st->index_cap = st->index_cap ? st->index_cap * 2 : 16;
		free(st->index);
		st->index = sl_xcalloc(st->index_cap, sizeof(*st->index));
		for (uint32_t j = 0; j < st->ndirs; j++)
			index_put(st, j);
	} else {
		index_put(st, st->ndirs - 1);
	}
	return d;
}

/* ---- I/O -------------------------------------------------------------- */

int sl_file_sink_fail(sl_sink *sk, int e, const char *what, const char *rel)
{
	sl_file_sink *st = sk->state;

	return sl_err_set(&sk->err, SL_EIO,
			  "file sink %s: cannot %s %s%s%s: %s", st->root, what,
			  st->root, *rel ? "/" : "", rel, strerror(e));
}

/* Adds rel to the directories to fsync at commit (once). */
static void sync_later(sl_file_sink *st, const char *rel)
{
	for (uint32_t i = 0; i < st->nsync; i++)
		if (!strcmp(st->syncdirs[i], rel))
			return;
	/* allocations before the counts move: an unwind (core/alloc.h)
	 * leaves the lists as they were */
	if (st->nsync == st->capsync) {
		uint32_t cap = st->capsync ? st->capsync * 2 : 8;
		st->syncdirs = sl_xrealloc(st->syncdirs, cap * sizeof(char *));
		st->capsync = cap;
	}
	char *copy = sl_xstrdup(rel);
	st->syncdirs[st->nsync++] = copy;
}

/* mkdir -p of rel (relative to dfd) through io_uring. Each directory made
 * has its parent ("" for dfd itself) passed to made(), which must fsync
 * it before anything inside is relied on. Returns 0 or -errno with the
 * failing prefix left in rel. */
static int mkdirs_at(sl_uring *r, int dfd, char *rel,
		     void (*made)(void *, const char *), void *ud)
{
	size_t n = strlen(rel);

	for (size_t i = 1; i <= n; i++) {
		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		char saved = rel[i];
		rel[i] = '\0';
		int rc = sl_uring_mkdirat(r, dfd, rel, 0755);
		if (rc == 0 && made) {
			char *slash = strrchr(rel, '/');
			if (slash) {
				*slash = '\0';
				made(ud, rel);
				*slash = '/';
			} else {
				made(ud, "");
			}
		}
		if (rc < 0 && rc != -EEXIST)
			return rc;
		rel[i] = saved;
	}
	return 0;
}

static void made_cb(void *ud, const char *parent)
{
	sync_later(ud, parent);
}

/* Closes the open part files other than keep, to get file descriptors
 * back. They stay in the batch; commit reopens them to fsync. */
static void close_others(sl_file_sink *st, sl_uring *r, int32_t keep)
{
	for (uint32_t i = 0; i < st->nfiles; i++)
		if ((int32_t)i != keep && st->files[i].fd >= 0) {
			sl_uring_close(r, st->files[i].fd);
			st->files[i].fd = -1;
		}
}

static int file_open(sl_sink *sk, sl_uring *r, uint32_t fi)
{
	sl_file_sink *st = sk->state;
	fs_file *f = &st->files[fi];
	fs_dir *d = &st->dirs[f->dir];
	int flags = O_WRONLY | O_CLOEXEC | (f->created ? 0 : O_CREAT | O_EXCL);
	int fd;

	if (!d->exists) {
		int rc = mkdirs_at(r, st->root_fd, d->rel, made_cb, st);
		if (rc < 0)
			return sl_file_sink_fail(sk, -rc, "create directory",
						 d->rel);
		d->exists = true;
	}
	fd = sl_uring_openat(r, st->root_fd, f->rel, flags, 0644);
	if (fd == -EMFILE || fd == -ENFILE) {
		close_others(st, r, (int32_t)fi);
		fd = sl_uring_openat(r, st->root_fd, f->rel, flags, 0644);
	}
	if (fd < 0)
		return sl_file_sink_fail(
			sk, -fd, f->created ? "open" : "create", f->rel);
	if (!f->created)
		d->sync = true;
	f->created = true;
	f->fd = fd;
	return 0;
}

/* Writes d's buffer to the end of its current file. */
static int dir_flush(sl_sink *sk, fs_dir *d)
{
	sl_file_sink *st = sk->state;
	sl_uring *r = sl_uring_get();
	fs_file *f;
	ssize_t w;
	int rc;

	if (!d->buf.len || d->file < 0)
		return 0;
	f = &st->files[d->file];
	if (f->fd < 0 && (rc = file_open(sk, r, (uint32_t)d->file)) < 0)
		return rc;
	w = sl_uring_write(r, f->fd, d->buf.s, d->buf.len, (int64_t)f->size);
	if (w < 0)
		return sl_file_sink_fail(sk, (int)-w, "write", f->rel);
	f->size += d->buf.len;
	d->buf.len = 0;
	/* One giant row must not keep a giant buffer. */
	if (d->buf.cap > 4 * SL_FSINK_CHUNK) {
		sl_buf_free(&d->buf);
	}
	return 0;
}

/* The format's last bytes of d's current file (a footer), into its
 * buffer. */
static int dir_end_file(sl_sink *sk, fs_dir *d)
{
	sl_file_sink *st = sk->state;

	if (!d->in_file)
		return 0;
	d->in_file = false;
	if (!st->format->file_close)
		return 0;
	return st->format->file_close(&st->writer, d->wfile, &d->buf, &sk->err);
}

/* Starts d's next part file: Spark's name part-00000-<uuid>.cNNN<ext>,
 * one uuid per batch, NNN counting the files of the directory. */
static int dir_start_file(sl_sink *sk, fs_dir *d)
{
	sl_file_sink *st = sk->state;
	fs_file *f;

	if (!st->have_uuid) {
		sl_uuid_v4(st->uuid);
		st->have_uuid = true;
	}
	if (st->nfiles == st->capfiles) {
		uint32_t cap = st->capfiles ? st->capfiles * 2 : 8;
		st->files = sl_xrealloc(st->files, cap * sizeof(*st->files));
		st->capfiles = cap;
	}
	f = &st->files[st->nfiles];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->dir = (uint32_t)(d - st->dirs);
	st->key.len = 0;
	sl_buf_printf(&st->key, "%s%spart-00000-%s.c%03u%s", d->rel,
		      *d->rel ? "/" : "", st->uuid, d->nfile, st->ext);
	sl_buf_putc(&st->key, '\0');
	f->rel = sl_xstrdup(st->key.s);
	d->file = (int32_t)st->nfiles++;
	d->nfile++;
	d->rows = 0;
	d->wfile = NULL;
	d->in_file = true;
	if (st->format->file_open)
		return st->format->file_open(&st->writer, &d->wfile, &d->buf,
					     &sk->err);
	return 0;
}

/* Finishes the batch's files (after the last flush): fsync and close each,
 * and fill sizes and times from the file system. */
static int files_sync(sl_sink *sk, int64_t *mtime_ms)
{
	sl_file_sink *st = sk->state;
	sl_uring *r = sl_uring_get();

	for (uint32_t i = 0; i < st->nfiles; i++) {
		fs_file *f = &st->files[i];
		struct statx sx;
		int rc;

		if (!f->created) {
			/* maxRecordsPerFile rolled at the end of the data, or
			 * a header-less empty start: nothing to publish. */
			mtime_ms[i] = -1;
			continue;
		}
		if (f->fd < 0 && (rc = file_open(sk, r, i)) < 0)
			return rc;
		rc = sl_uring_fsync(r, f->fd, false);
		if (rc < 0)
			return sl_file_sink_fail(sk, -rc, "fsync", f->rel);
		rc = sl_uring_statx(r, f->fd, "", AT_EMPTY_PATH,
				    STATX_SIZE | STATX_MTIME, &sx);
		if (rc < 0)
			return sl_file_sink_fail(sk, -rc, "stat", f->rel);
		f->size = sx.stx_size;
		mtime_ms[i] = (int64_t)sx.stx_mtime.tv_sec * 1000 +
			      sx.stx_mtime.tv_nsec / 1000000;
		sl_uring_close(r, f->fd);
		f->fd = -1;
	}
	return 0;
}

/* fsyncs directory rel ("" the output directory). */
static int dir_sync(sl_sink *sk, sl_uring *r, const char *rel)
{
	sl_file_sink *st = sk->state;
	int fd, rc;

	if (!*rel)
		return (rc = sl_uring_fsync(r, st->root_fd, false)) < 0
			       ? sl_file_sink_fail(sk, -rc, "fsync directory",
						   "")
			       : 0;
	fd = sl_uring_openat(r, st->root_fd, rel,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return sl_file_sink_fail(sk, -fd, "open directory", rel);
	rc = sl_uring_fsync(r, fd, false);
	sl_uring_close(r, fd);
	return rc < 0 ? sl_file_sink_fail(sk, -rc, "fsync directory", rel) : 0;
}

/* Makes the new entries of this batch durable: every directory a part
 * file was created in, and the parents of directories made. Deepest
 * first is not needed: all are synced before the manifest is written. */
static int dirs_sync(sl_sink *sk)
{
	sl_file_sink *st = sk->state;
	sl_uring *r = sl_uring_get();
	int rc;

	for (uint32_t i = 0; i < st->ndirs; i++)
		if (st->dirs[i].sync)
			sync_later(st, st->dirs[i].rel);
	for (uint32_t i = 0; i < st->nsync; i++)
		if ((rc = dir_sync(sk, r, st->syncdirs[i])) < 0)
			return rc;
	return 0;
}

/* Deletes the batch's files (a replayed batch, or one that will never
 * commit). */
static void files_remove(sl_file_sink *st)
{
	sl_uring *r = sl_uring_get();

	for (uint32_t i = 0; i < st->nfiles; i++) {
		fs_file *f = &st->files[i];

		if (f->fd >= 0)
			sl_uring_close(r, f->fd);
		f->fd = -1;
		if (f->created)
			sl_uring_unlinkat(r, st->root_fd, f->rel, 0);
		f->created = false;
	}
}

/* Forgets the batch: its files, buffers and per-batch marks. */
static void batch_reset(sl_file_sink *st)
{
	for (uint32_t i = 0; i < st->ndirs; i++) {
		fs_dir *d = &st->dirs[i];

		/* A file the batch gave up: the format lets its state go. */
		if (d->in_file && d->wfile && st->format->file_abandon) {
			st->format->file_abandon(&st->writer, d->wfile);
		} else if (d->in_file && st->format->file_close) {
			sl_buf junk = { 0 };
			sl_err e = { 0 };

			st->format->file_close(&st->writer, d->wfile, &junk,
					       &e);
			sl_buf_free(&junk);
		}
		d->in_file = false;
		d->wfile = NULL;
	}
	for (uint32_t i = 0; i < st->nfiles; i++)
		free(st->files[i].rel);
	st->nfiles = 0;
	for (uint32_t i = 0; i < st->nsync; i++)
		free(st->syncdirs[i]);
	st->nsync = 0;
	for (uint32_t i = 0; i < st->ndirs; i++) {
		fs_dir *d = &st->dirs[i];

		d->buf.len = 0;
		d->file = -1;
		d->nfile = 0;
		d->rows = 0;
		d->sync = false;
	}
	st->have_uuid = false;
}

/* ---- options ---------------------------------------------------------- */

#define FSINK_OPT_COMMON                                                       \
	{ .name = "path",                                                      \
	  .type = SL_OPT_STRING,                                               \
	  .offset = offsetof(sl_file_sink_conf, path),                         \
	  .required = true,                                                    \
	  .desc = "Output directory (made if missing). Part files go "         \
		  "there, the manifest log in its _spark_metadata." },         \
		{ .name = "partitionBy",                                       \
		  .type = SL_OPT_STRING,                                       \
		  .offset = offsetof(sl_file_sink_conf, partition_by),         \
		  .desc = "Comma-separated columns: rows go to Hive-style "    \
			  "directories col=value/, and those columns are "     \
			  "left out "                                          \
			  "of the files." },                                   \
	{                                                                      \
		.name = "maxRecordsPerFile", .type = SL_OPT_INT,               \
		.offset = offsetof(sl_file_sink_conf, max_records), .min = 0,  \
		.max = INFINITY, .def = "0",                                   \
		.desc = "Most rows per part file (0: no limit); a "            \
			"directory's "                                         \
			"batch goes to files .c000, .c001, ..."                \
	}

static const sl_opt_def fsink_options[] = {
	FSINK_OPT_COMMON,
	{ .name = NULL },
};

/* ---- init ------------------------------------------------------------- */

/* Resolves partitionBy against the schema; fills part_cols and
 * data_cols. What the format can write it checks itself (writer_init). */
static int columns_init(sl_sink *sk, sl_file_sink *st, sl_err *err)
{
	const sl_file_sink_conf *cf = sk->conf;
	const sl_schema *sc = sk->schema;
	uint32_t n = sc ? sc->n : 0;
	const char *p = cf->partition_by ? cf->partition_by : "";
	bool *is_part = sl_xcalloc(n, sizeof(bool));
	int rc = 0;

	sl_oom_own(is_part); /* freed by an unwind (core/alloc.h) */
	st->part_cols = sl_xcalloc(n, sizeof(uint32_t));
	st->data_cols = sl_xcalloc(n, sizeof(uint32_t));
	sl_oom_disown(is_part);
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;
		int c;

		while (len && (*q == ' ' || *q == '\t')) {
			q++;
			len--;
		}
		while (len && (q[len - 1] == ' ' || q[len - 1] == '\t'))
			len--;
		p = e ? e + 1 : p + strlen(p);
		if (!len)
			continue;
		c = sl_schema_find(sc, q, len);
		if (c < 0) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"sink '%s': partitionBy column '%.*s' "
					"is not a column of the query (%u "
					"columns)",
					sk->ops->name, (int)len, q, n);
			goto out;
		}
		if (is_part[c]) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"sink '%s': partitionBy names column "
					"'%s' twice",
					sk->ops->name, sc->fields[c].name);
			goto out;
		}
		sl_type id = sc->fields[c].type->id;
		if (id == SL_ARRAY || id == SL_STRUCT || id == SL_MAP ||
		    id == SL_BINARY) {
			rc = sl_format_column_error(
				err, sk->ops->name, sc->fields[c].type,
				sc->fields[c].name,
				"cannot be a partition column");
			goto out;
		}
		is_part[c] = true;
		st->part_cols[st->npart++] = (uint32_t)c;
	}
	for (uint32_t c = 0; c < n; c++)
		if (!is_part[c])
			st->data_cols[st->ndata++] = c;
	if (n && st->ndata == 0) {
		rc = sl_err_set(err, SL_EANALYSIS,
				"sink '%s': cannot use all columns as "
				"partitionBy columns: nothing would be left to "
				"write",
				sk->ops->name);
		goto out;
	}
out:
	free(is_part);
	return rc;
}

/* A directory of the output path was made: fsync its parent so that it
 * survives a crash (ud: the path, to tell "/" from "." for a first
 * component). */
static void init_made(void *ud, const char *parent)
{
	sl_uring *r = sl_uring_get();
	const char *p = *parent ? parent : *(const char *)ud == '/' ? "/" : ".";
	int fd = sl_uring_openat(r, AT_FDCWD, p,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (fd >= 0) {
		sl_uring_fsync(r, fd, false);
		sl_uring_close(r, fd);
	}
}

/* Makes (mkdir -p) and opens the output directory and its manifest
 * directory. */
static int dirs_init(sl_sink *sk, sl_file_sink *st, sl_err *err)
{
	const sl_file_sink_conf *cf = sk->conf;
	sl_uring *r = sl_uring_get();
	char *p = sl_xstrdup(cf->path);
	int rc;

	rc = mkdirs_at(r, AT_FDCWD, p, init_made, p);
	if (rc < 0) {
		sl_err_set(err, SL_EIO,
			   "sink '%s': cannot create directory %s: %s",
			   sk->ops->name, p, strerror(-rc));
		free(p);
		return SL_EIO;
	}
	free(p);
	st->root_fd = sl_uring_openat(r, AT_FDCWD, cf->path,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (st->root_fd < 0)
		return sl_err_set(err, SL_EIO, "sink '%s': cannot open %s: %s",
				  sk->ops->name, cf->path,
				  st->root_fd == -ENOTDIR
					  ? "not a directory"
					  : strerror(-st->root_fd));
	st->root = realpath(cf->path, NULL);
	if (!st->root)
		return sl_err_set(err, SL_EIO,
				  "sink '%s': cannot resolve %s: %s",
				  sk->ops->name, cf->path, strerror(errno));
	rc = sl_uring_mkdirat(r, st->root_fd, SL_META_DIR, 0755);
	if (rc == 0)
		sl_uring_fsync(r, st->root_fd, false);
	st->meta_fd = sl_uring_openat(r, st->root_fd, SL_META_DIR,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (st->meta_fd < 0)
		return sl_err_set(
			err, SL_EIO,
			"sink '%s': cannot open %s/" SL_META_DIR ": %s",
			sk->ops->name, st->root, strerror(-st->meta_fd));
	st->latest = sl_file_sink_manifest_latest(st->meta_fd);
	return 0;
}

static void fsink_free(sl_file_sink *st)
{
	sl_uring *r = sl_uring_get();

	batch_reset(st);
	for (uint32_t i = 0; i < st->ndirs; i++) {
		free(st->dirs[i].rel);
		sl_buf_free(&st->dirs[i].buf);
	}
	free(st->dirs);
	free(st->index);
	free(st->files);
	free(st->syncdirs);
	free(st->part_cols);
	free(st->data_cols);
	sl_buf_free(&st->key);
	sl_buf_free(&st->cell);
	sl_buf_free(&st->man);
	if (st->format->writer_free)
		st->format->writer_free(&st->writer);
	if (st->meta_fd >= 0)
		sl_uring_close(r, st->meta_fd);
	if (st->root_fd >= 0)
		sl_uring_close(r, st->root_fd);
	free(st->root);
	free(st);
}

/* What fsink_init refuses of the options and the schema (a path, the
 * partitionBy columns, the columns the format can write), without making
 * the directories. */
static void columns_free(void *arg)
{
	sl_file_sink *st = arg;
	free(st->part_cols);
	free(st->data_cols);
}

/* What fsink_check made, after an unwind (core/alloc.h). */
static void check_unwind(void *arg)
{
	sl_file_sink *st = arg;
	if (st->writer.state && st->writer.ops->writer_free)
		st->writer.ops->writer_free(&st->writer);
	columns_free(st);
}

static void fsink_free_v(void *st)
{
	fsink_free(st);
}

static int fsink_check(const sl_sink *sk, sl_err *err)
{
	const sl_file_sink_conf *cf = sk->conf;
	const sl_format_ops *format =
		((const sl_file_sink_ops *)sk->ops)->format;
	sl_file_sink st = { 0 };
	int rc;

	if (!cf || !cf->path || !*cf->path)
		return sl_err_set(err, SL_EOPTION,
				  "sink '%s': option 'path' is required (the "
				  "output directory)",
				  sk->ops->name);
	sl_oom_defer(check_unwind, &st); /* an unwind (core/alloc.h) */
	rc = columns_init((sl_sink *)sk, &st, err);
	if (rc >= 0 && format->writer_init) {
		st.writer = (sl_format_writer){
			.ops = format,
			.conf = sl_format_conf(cf, FSINK_FORMAT_CONF),
			.component = sk->ops->name,
			.schema = sk->schema,
			.cols = st.data_cols,
			.ncols = st.ndata,
		};
		rc = format->writer_init(&st.writer, err);
		if (format->writer_free)
			format->writer_free(&st.writer);
	}
	sl_oom_undefer(&st);
	columns_free(&st);
	return rc < 0 ? rc : 0;
}

static int fsink_init(sl_sink *sk, sl_err *err)
{
	const sl_file_sink_conf *cf = sk->conf;
	const sl_format_ops *format =
		((const sl_file_sink_ops *)sk->ops)->format;
	sl_file_sink *st;
	int rc;

	if (!cf || !cf->path || !*cf->path)
		return sl_err_set(err, SL_EOPTION,
				  "sink '%s': option 'path' is required (the "
				  "output directory)",
				  sk->ops->name);
	st = sl_xcalloc(1, sizeof(*st));
	st->format = format;
	st->ext = format->extension;
	st->root_fd = st->meta_fd = -1;
	st->latest = -1;
	/* freed by an unwind (core/alloc.h) until it is the sink's */
	sl_oom_defer(fsink_free_v, st);
	if ((rc = columns_init(sk, st, err)) < 0)
		goto fail;
	st->writer = (sl_format_writer){
		.ops = format,
		.conf = sl_format_conf(cf, FSINK_FORMAT_CONF),
		.component = sk->ops->name,
		.schema = sk->schema,
		.cols = st->data_cols,
		.ncols = st->ndata,
	};
	if ((format->writer_init &&
	     (rc = format->writer_init(&st->writer, err)) < 0) ||
	    (rc = dirs_init(sk, st, err)) < 0)
		goto fail;
	if (st->writer.extension)
		st->ext = st->writer.extension;
	sl_oom_undefer(st);
	sk->state = st;
	return 0;
fail:
	sl_oom_undefer(st);
	fsink_free(st);
	return rc;
}

/* ---- write, commit, destroy ------------------------------------------- */

static int fsink_write(sl_sink *sk, sl_batch *b)
{
	sl_file_sink *st = sk->state;
	const sl_file_sink_conf *cf = sk->conf;
	const sl_schema *sc = sk->schema;
	fs_dir *d = NULL;
	int rc;

	if (st->npart == 0 && b->nrows) {
		st->key.len = 0;
		d = dir_get(st);
	}
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);

		if (st->npart) {
			partition_key(st, sc, row);
			d = dir_get(st);
		}
		if (d->file < 0 && (rc = dir_start_file(sk, d)) < 0)
			return rc;
		rc = st->format->write_batch(&st->writer, d->wfile, b, r, 1,
					     &d->buf, &sk->err);
		if (rc < 0)
			return rc;
		d->rows++;
		if (cf->max_records > 0 && d->rows >= cf->max_records) {
			/* The file is full: the next row starts .c<N+1>. */
			if ((rc = dir_end_file(sk, d)) < 0 ||
			    (rc = dir_flush(sk, d)) < 0)
				return rc;
			d->file = -1;
		} else if (d->buf.len >= SL_FSINK_CHUNK &&
			   (rc = dir_flush(sk, d)) < 0) {
			return rc;
		}
	}
	return 0;
}

static int fsink_commit(sl_sink *sk, int64_t epoch)
{
	sl_file_sink *st = sk->state;
	int64_t *mtime = NULL;
	int rc = 0;

	for (uint32_t i = 0; i < st->ndirs; i++)
		if ((rc = dir_end_file(sk, &st->dirs[i])) < 0 ||
		    (rc = dir_flush(sk, &st->dirs[i])) < 0)
			goto out;

	if (epoch <= st->latest || sl_file_sink_manifest_exists(st, epoch)) {
		/* A replay of a batch that is already visible. */
		if (!st->warned)
			sl_log_here(SL_LOG_WARN,
				"file sink %s: batch %" PRId64
				" is already committed in " SL_META_DIR
				"; its rows are dropped as a replay",
				st->root, epoch);
		st->warned = true;
		files_remove(st);
		goto out;
	}
	mtime = sl_xcalloc(st->nfiles, sizeof(*mtime));
	sl_oom_own(mtime); /* freed by an unwind (core/alloc.h) */
	if ((rc = files_sync(sk, mtime)) < 0 || (rc = dirs_sync(sk)) < 0)
		goto out;
	sl_file_sink_manifest_build(st, mtime);
	rc = sl_file_sink_manifest_write(sk, epoch);
	if (rc == 1) {
		/* Committed by another writer between the check and now. */
		files_remove(st);
		rc = 0;
	}
	if (rc == 0 && epoch > st->latest)
		st->latest = epoch;
out:
	sl_oom_disown(mtime);
	free(mtime);
	if (rc < 0) {
		/* The batch will be replayed after the failure: what it
		 * wrote is garbage now. */
		files_remove(st);
	}
	batch_reset(st);
	return rc;
}

static void fsink_destroy(sl_sink *sk)
{
	sl_file_sink *st = sk->state;

	if (!st)
		return;
	/* Files of a batch that never committed are invisible anyway;
	 * remove them rather than leave garbage. */
	files_remove(st);
	fsink_free(st);
	sk->state = NULL;
}

const char *sl_file_sink_finalize(const sl_format_ops *format, const void *conf)
{
	const void *own = sl_format_conf(conf, FSINK_FORMAT_CONF);

	return format->finalize ? format->finalize(own) : NULL;
}

void sl_file_sink_ops_init(sl_file_sink_ops *o, const sl_format_ops *format,
			   const char *(*finalize)(const void *conf))
{
	o->format = format;
	o->ops = (sl_sink_ops){
		.name = format->name,
		.description = format->sink_description,
		.options = sl_format_table(fsink_options, format->write_options,
					   FSINK_FORMAT_CONF),
		.conf_size = FSINK_FORMAT_CONF + format->conf_size,
		.modes = SL_MODE_BIT(SL_MODE_APPEND),
		.finalize = finalize,
		.continuous = false,
		.init = fsink_init,
		.check = fsink_check,
		.write = fsink_write,
		.commit = fsink_commit,
		.destroy = fsink_destroy,
	};
}
