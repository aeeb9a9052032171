/* engine/state_store.c - the state store of a stateful query's operators
 * (engine/state_store.h; docs/STATEFUL.md, section 8): their encodings in
 * crash-safe files under checkpointLocation/state/, written by the
 * stateful sink (engine/stateful.c) at each batch's commit and read back
 * when a query restarts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "engine/ckpt_internal.h"
#include "engine/state_store.h"
#include "ops/keyhash.h"

/* ---- the state store -------------------------------------------------------
 *
 * checkpointLocation/state/0/0/<N>.delta after every batch N, and
 * <N>.snapshot every ST_SNAPSHOT_EVERY batches, each written crash-safely
 * (sl_ckpt_file_write: temp file, fsync, rename, checksum line) on the
 * sink thread in commit(N), before the real sink commits N and so before
 * the coordinator writes commits/N. A file is the operator's own encoding
 * (ops/groupby.h, ops/dedup.h) in a small envelope:
 *
 *   "SLST", format 1, kind (1 snapshot, 2 delta), version N, the
 *   watermark for batch N+1, segment count; per segment a varint length
 *   and one operator encoding; then "\n"
 *
 * Several segments because commit(N) may end two batches of the operator:
 * batch N and Spark's batch without data that sluice folds into it (each
 * ends with end_batch, which clears what the delta is made of). The final
 * "\n" is ours so that the checksum writer adds none and the body read
 * back is exactly what was written, less that byte.
 *
 * Versions above the last committed batch are never read: an in-flight
 * batch's files are rewritten when it runs again. */

#define ST_MAGIC "SLST"
#define ST_FORMAT 1
#define ST_SNAPSHOT 1
#define ST_DELTA 2
#define ST_SNAPSHOT_EVERY 10

void sl_state_store_segment(sl_buf *segs, uint32_t *nseg, const sl_buf *one)
{
	sl_buf_put_varint(segs, one->len);
	sl_buf_put(segs, one->p, one->len);
	(*nseg)++;
}

static void file_name(char *buf, size_t n, int64_t v, int kind)
{
	snprintf(buf, n, "%lld.%s", (long long)v,
		 kind == ST_SNAPSHOT ? "snapshot" : "delta");
}

static void free_buf_v(void *b)
{
	sl_buf_free(b);
}

static int state_write(sl_state_part *sp, int64_t v, int kind, int64_t wm,
		       const sl_buf *segs, uint32_t nseg, sl_err *err)
{
	sl_buf b = { 0 };
	char name[64];
	sl_oom_defer(free_buf_v, &b); /* core/alloc.h */
	sl_buf_put(&b, ST_MAGIC, 4);
	sl_buf_put_u8(&b, ST_FORMAT);
	sl_buf_put_u8(&b, (uint8_t)kind);
	sl_buf_put_u64(&b, (uint64_t)v);
	sl_buf_put_u64(&b, (uint64_t)wm);
	sl_buf_put_u32(&b, nseg);
	sl_buf_put(&b, segs->p, segs->len);
	sl_buf_put_u8(&b, '\n');
	file_name(name, sizeof(name), v, kind);
	int rc = sl_ckpt_file_write(sp->dirfd, sp->dirpath, name,
				    (const char *)b.p, b.len, err);
	sl_oom_undefer(&b);
	sl_buf_free(&b);
	return rc;
}
/* Reads state file (v, kind) and applies it to the operator. */
static int state_apply(sl_state_part *sp, int64_t v, int kind, sl_err *err)
{
	char name[64], *body = NULL;
	size_t len = 0;
	file_name(name, sizeof(name), v, kind);
	int rc = sl_ckpt_file_read(sp->dirfd, sp->dirpath, name, &body, &len,
				   err);
	if (rc < 0)
		return rc;
	sl_rbuf r = sl_rbuf_make(body, len ? len - 1 : 0);
	const uint8_t *m = sl_rbuf_get(&r, 4);
	bool ok = len && body[len - 1] == '\n' && m &&
		  !memcmp(m, ST_MAGIC, 4) && sl_rbuf_u8(&r) == ST_FORMAT &&
		  sl_rbuf_u8(&r) == kind && sl_rbuf_u64(&r) == (uint64_t)v;
	int64_t wm = (int64_t)sl_rbuf_u64(&r);
	uint32_t nseg = sl_rbuf_u32(&r);
	if (!ok || r.err) {
		free(body);
		return sl_err_set(err, SL_EINVAL,
				  "%s/%s is corrupt (not a state file of "
				  "version %lld)",
				  sp->dirpath, name, (long long)v);
	}
	for (uint32_t i = 0; i < nseg && !rc; i++) {
		uint64_t n = sl_rbuf_varint(&r);
		const uint8_t *p = sl_rbuf_get(&r, n);
		sl_err e = { 0 };
		if (!p)
			rc = sl_err_set(err, SL_EINVAL,
					"%s/%s is corrupt (truncated)",
					sp->dirpath, name);
		else if (sp->op->ops->restore(sp->op, p, n, &e) < 0)
			rc = sl_err_set(err, SL_EINVAL, "%s/%s: %s",
					sp->dirpath, name, e.msg);
	}
	if (!rc && r.off != r.len)
		rc = sl_err_set(err, SL_EINVAL,
				"%s/%s is corrupt (trailing bytes)",
				sp->dirpath, name);
	free(body);
	if (!rc)
		sp->op->ops->set_watermark(sp->op, wm);
	return rc;
}

/* The versions of the state files in the store, sorted: snapshots into
 * *snap, deltas into *delta (malloc'd). */
static int state_list(sl_state_part *sp, int64_t **snap, uint32_t *nsnap,
		      int64_t **delta, uint32_t *ndelta, sl_err *err)
{
	*snap = *delta = NULL;
	*nsnap = *ndelta = 0;
	int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return sl_err_set(err, SL_EIO, "cannot list %s: %s",
				  sp->dirpath, strerror(e));
	}
	uint32_t caps = 0, capd = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		long long v = strtoll(de->d_name, &end, 10);
		int64_t **arr;
		uint32_t *n, *cap;
		if (!strcmp(end, ".snapshot")) {
			arr = snap, n = nsnap, cap = &caps;
		} else if (!strcmp(end, ".delta")) {
			arr = delta, n = ndelta, cap = &capd;
		} else {
			continue;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*arr = sl_xrealloc(*arr, *cap * sizeof(int64_t));
		}
		(*arr)[(*n)++] = v;
	}
	closedir(d);
	if (*nsnap)
		qsort(*snap, *nsnap, sizeof(int64_t), sl_ckpt_cmp_i64);
	if (*ndelta)
		qsort(*delta, *ndelta, sizeof(int64_t), sl_ckpt_cmp_i64);
	return 0;
}

/* Restores the state of batch `last` (the last committed one): the newest
 * snapshot at or before it and the deltas after it, in order. A snapshot
 * or delta that is torn, corrupt or missing makes the restore fall back to
 * the snapshot before (or to nothing, with every delta from 0), with a
 * warning on stderr; if no chain is whole, it fails naming the file that
 * broke the newest chain. */
static int state_restore(sl_state_part *sp, int64_t last, sl_err *err)
{
	int64_t *snap, *delta;
	uint32_t nsnap, ndelta;
	int rc = state_list(sp, &snap, &nsnap, &delta, &ndelta, err);
	if (rc < 0)
		return rc;
	sl_err first = { 0 }, e = { 0 };
	int64_t base = -1;
	rc = SL_EINVAL;
	/* candidates: snapshots <= last, newest first, then nothing (-1) */
	int64_t k = (int64_t)nsnap - 1;
	while (k >= 0 && snap[k] > last)
		k--;
	for (;; k--) {
		base = k >= 0 ? snap[k] : -1;
		memset(&e, 0, sizeof(e));
		if (base >= 0)
			rc = state_apply(sp, base, ST_SNAPSHOT, &e);
		else
			rc = sp->op->ops->restore(sp->op, sp->empty->p,
						  sp->empty->len, &e);
		for (int64_t v = base + 1; !rc && v <= last; v++)
			rc = state_apply(sp, v, ST_DELTA, &e);
		if (!rc)
			break;
		if (!first.msg[0])
			first = e;
		if (k < 0)
			break;
	}
	free(snap);
	free(delta);
	(void)ndelta;
	/* The newest chain's failure, and the oldest's when it differs
	 * (a torn snapshot, then the delta every chain needs). */
	if (rc < 0)
		return sl_err_set(err, SL_EINVAL,
				  "cannot restore the state of batch %lld "
				  "from %s: %s%s%s",
				  (long long)last, sp->dirpath, first.msg,
				  strcmp(first.msg, e.msg) ? "; without it: "
							   : "",
				  strcmp(first.msg, e.msg) ? e.msg : "");
	if (first.msg[0])
		sl_log_here(SL_LOG_WARN,
			"state %s: skipped (%s); restored batch %lld "
			"from %s",
			sp->dirpath, first.msg, (long long)last,
			base >= 0 ? "an older snapshot" : "every delta");
	return 0;
}

/* Removes the files recovery can no longer need: the checkpoint keeps
 * the offsets and commits of the last `retain` batches, so a restart may
 * go back to batch now - retain at most; it needs the newest snapshot at
 * or before that and everything after it. Failures are left for the next
 * purge. */
static void state_purge(sl_state_part *sp, int64_t retain, int64_t now)
{
	int64_t *snap, *delta;
	uint32_t nsnap, ndelta;
	sl_err e = { 0 };
	if (state_list(sp, &snap, &nsnap, &delta, &ndelta, &e) < 0)
		return;
	int64_t floor = now - retain, keep = -1;
	for (uint32_t i = 0; i < nsnap; i++)
		if (snap[i] <= floor)
			keep = snap[i];
	char name[64];
	for (uint32_t i = 0; keep > 0 && i < nsnap && snap[i] < keep; i++) {
		file_name(name, sizeof(name), snap[i], ST_SNAPSHOT);
		unlinkat(sp->dirfd, name, 0);
	}
	for (uint32_t i = 0; keep > 0 && i < ndelta && delta[i] <= keep; i++) {
		file_name(name, sizeof(name), delta[i], ST_DELTA);
		unlinkat(sp->dirfd, name, 0);
	}
	free(snap);
	free(delta);
}

/* How many partition directories of dirfd (named 0, 1, ...) hold state
 * files: the partitioning the checkpoint was written with. */
static uint32_t count_parts(int dirfd)
{
	uint32_t n = 0;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		sl_state_part p = { .dirfd = openat(dirfd, de->d_name,
						    O_RDONLY | O_DIRECTORY |
							    O_CLOEXEC) };
		int64_t *snap = NULL, *delta = NULL;
		uint32_t nsnap = 0, ndelta = 0;
		sl_err e = { 0 };
		p.dirpath = de->d_name;
		if (p.dirfd >= 0 &&
		    !state_list(&p, &snap, &nsnap, &delta, &ndelta, &e))
			n += nsnap + ndelta > 0;
		free(snap);
		free(delta);
		if (p.dirfd >= 0)
			close(p.dirfd);
	}
	closedir(d);
	return n;
}

/* Opens the directory of each of the n partitions of operator `op`
 * under the state directory (fd, path) and cleans the temp files a
 * crash left; path is then the operator's directory, for messages, and
 * *fdop its descriptor (-1 if it could not be opened). */
static int open_parts(int fd, char *path, size_t n, const char *op,
		      sl_state_part *parts, uint32_t nparts, int *fdop,
		      sl_err *err)
{
	size_t len = strlen(path);
	int rc = sl_ckpt_dir_open(fd, path, op, true, fdop, err);
	snprintf(path + len, n - len, "/%s", op);
	for (uint32_t i = 0; i < nparts && !rc; i++) {
		sl_state_part *sp = &parts[i];
		char name[16];
		snprintf(name, sizeof(name), "%u", i);
		sp->dirpath = sl_xrealloc(NULL, n + 16);
		snprintf(sp->dirpath, n + 16, "%s/%s", path, name);
		rc = sl_ckpt_dir_open(*fdop, path, name, true, &sp->dirfd, err);
		/* as for offsets and commits: a crash mid-write leaves a
		 * temp file */
		if (!rc) {
			sl_ckpt_file_clean_tmp(sp->dirfd, sp->dirpath, err);
			memset(err, 0, sizeof(*err));
		}
	}
	return rc;
}

void sl_state_store_init(sl_state_store *st, sl_stateful_op *op)
{
	st->nparts = op->nparts;
	st->parts = sl_xcalloc(st->nparts, sizeof(*st->parts));
	for (uint32_t i = 0; i < st->nparts; i++)
		st->parts[i] = (sl_state_part){ .dirfd = -1,
						.op = op->ops->partition(op, i),
						.empty = &st->empty };
	/* the operators are as made: nothing has touched them yet */
	st->parts[0].op->ops->snapshot(st->parts[0].op, -1, &st->empty);
}

void sl_state_store_free(sl_state_store *st)
{
	for (uint32_t i = 0; st->parts && i < st->nparts; i++) {
		if (st->parts[i].dirfd >= 0)
			close(st->parts[i].dirfd);
		free(st->parts[i].dirpath);
	}
	free(st->parts);
	sl_buf_free(&st->empty);
	st->parts = NULL;
}

int sl_state_store_open(sl_state_store *st, const sl_ckpt *ckpt, uint32_t op_id,
			int64_t last, sl_err *err)
{
	const char *root = sl_ckpt_path(ckpt);
	size_t n = strlen(root) + 32;
	char *path = malloc(n);
	if (!path)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	sl_oom_own(path); /* freed by an unwind (core/alloc.h) */
	char op[16];
	int fd1 = -1, fd2 = -1;
	snprintf(op, sizeof(op), "%u", op_id);
	snprintf(path, n, "%s/state", root);
	int rc = sl_ckpt_dir_open(AT_FDCWD, path, path, true, &fd1, err);
	if (!rc)
		rc = open_parts(fd1, path, n, op, st->parts, st->nparts, &fd2,
				err);
	/* a checkpoint keeps the partitioning its state was written with,
	 * as Spark keeps spark.sql.shuffle.partitions */
	uint32_t had = !rc && last >= 0 ? count_parts(fd2) : 0;
	if (had && had != st->nparts)
		rc = sl_err_set(err, SL_EINVAL,
				"the state in %s was written by %u stateful "
				"partition%s; start the query with "
				"statefulPartitions %u (a checkpoint keeps its "
				"partitioning)",
				path, had, had == 1 ? "" : "s", had);
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	sl_oom_disown(path);
	free(path);
	if (rc < 0)
		return rc;
	/* Set once at open, before any thread: a plain read. */
	st->retain = ckpt->retain;
	for (uint32_t i = 0; i < st->nparts && last >= 0 && !rc; i++)
		rc = state_restore(&st->parts[i], last, err);
	return rc;
}

int sl_state_store_commit(sl_state_store *st, int64_t epoch, const sl_buf *segs,
			  const uint32_t *nseg, int64_t wm, sl_err *err)
{
	int rc = 0;
	for (uint32_t i = 0; i < st->nparts && !rc; i++)
		rc = state_write(&st->parts[i], epoch, ST_DELTA, wm, &segs[i],
				 nseg[i], err);
	bool snap = epoch > 0 && epoch % ST_SNAPSHOT_EVERY == 0;
	for (uint32_t i = 0; i < st->nparts && snap && !rc; i++) {
		sl_state_part *sp = &st->parts[i];
		sl_buf one = { 0 }, all = { 0 };
		uint32_t n = 0;
		sp->op->ops->snapshot(sp->op, epoch, &one);
		sl_state_store_segment(&all, &n, &one);
		rc = state_write(sp, epoch, ST_SNAPSHOT, wm, &all, n, err);
		sl_buf_free(&one);
		sl_buf_free(&all);
		if (!rc)
			state_purge(sp, st->retain, epoch);
	}
	return rc;
}
