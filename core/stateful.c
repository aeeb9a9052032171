/* core/stateful.c - running a stateful query's operator (an
 * aggregation, a deduplication, per-group state, or an aggregation over
 * one of the other two) on the query's sink thread, as a sink that wraps
 * the real sink, and its state store (core/stateful.h; docs/STATEFUL.md,
 * sections 7, 8, 10 and 12). Planning them is core/stateful_plan.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ckpt_internal.h"
#include "core/stateful.h"
#include "core/stateful_part.h"

/* ---- the stateful sink ---------------------------------------------------- */

/* What lives as long as the session (so that status and stats stay
 * readable after the query ends): the sink ops q->sink points at, and the
 * last batch's stats. */
typedef struct sl_stateful {
	sl_sink_ops ops;       /* the real sink's, with our callbacks */
	struct sl_stateful_rt *rt; /* freed when the query's sink is */
	bool fell_back;
	const char *op_name;   /* Spark's operatorName */
	int64_t interval_ms;
	uint32_t nparts;       /* stateful partitions */
	pthread_mutex_t lock;  /* stats, commit_us */
	sl_state_stats stats;
	int64_t commit_us;     /* the last state store commit, -1 none */
	uint64_t out_rows;     /* sink thread only */
	/* a chain's lower operator (group state, deduplication): its
	 * stats, under lock; low_name NULL without one */
	const char *low_name;
	sl_state_stats low_stats;
	int64_t low_commit_us;
} sl_stateful;

/* One stateful partition's state store (checkpointLocation/state/<op>/
 * <i>) and the operator whose state it keeps (one of op, dd, gs). */
struct st_part {
	int dirfd; /* -1 without a checkpoint */
	char *dirpath;
	sl_groupby *op;
	sl_dedup *dd;
	sl_gstate *gs;
	const sl_buf *empty; /* a snapshot of the operator as made */
};

/* What a running query holds: the real sink and the operator (one of op,
 * dd, gs; or sp, an aggregation on several partitions), and its state
 * store, one per partition. A chain of two (`chained`: flatMapGroupsWithState
 * in append mode or a deduplication, then an aggregation) holds op and gs
 * or dd: the lower one's output goes through `mid` into op, and its state
 * is operator 1's (state/1/0, `low`). */
typedef struct sl_stateful_rt {
	sl_sink real;
	sl_groupby *op;
	sl_dedup *dd;
	sl_gstate *gs;
	sl_spart *sp;
	sl_group_timeout timeout; /* gs: its timeout kind */
	sl_chain post;                 /* output projection, HAVING */
	const sl_schema *agg_schema;   /* the operator's output, named */
	sl_out_mode mode;
	bool chained;
	sl_chain mid;                  /* chained: the lower operator's
	                                  output to op's input (where/select
	                                  between them, the aggregation's
	                                  pre-projection) */
	const sl_schema *mid_schema;   /* chained: the lower one's output */
	struct st_part low;            /* chained: the lower one's store */
	sl_buf low_empty;
	/* The state store (checkpointLocation/state/0/<i>), store false
	 * without a checkpoint. `empty` is a snapshot of the operator as
	 * made, which a restore applies to start over from nothing. */
	bool restored;
	bool store;
	struct st_part *parts;
	uint32_t nparts;
	sl_buf empty;                  /* parts' operator as made */
	int64_t retain;
	uint64_t dedup_rows; /* rows a deduplication passed on this batch */
} sl_stateful_rt;

static int st_write(sl_sink *sk, sl_batch *b);
static int st_commit(sl_sink *sk, int64_t epoch);
static void st_destroy(sl_sink *sk);
static void op_snapshot(const struct st_part *sp, int64_t v, sl_buf *out);

static sl_stateful *shell_of(const sl_query *q)
{
	const sl_sink_ops *ops = q ? q->sink.ops : NULL;
	if (!ops || ops->write != st_write)
		return NULL;
	return (sl_stateful *)((char *)ops - offsetof(sl_stateful, ops));
}

int sl_stateful_wrap(sl_query *q, sl_agg_frame *ag, bool fell_back,
		     sl_err *err)
{
	sl_arena *a = &q->session->arena;
	sl_groupby *op = NULL;
	sl_dedup *dd = NULL;
	sl_gstate *gs = NULL;
	sl_spart *sp = NULL;
	uint32_t np = sl_stateful_partitions(ag, q->wconf.stateful_partitions);
	/* the lower operator of a chain of two, or the only one: the
	 * operator the rows enter */
	const sl_agg_frame *low = sl_stateful_lower(ag);
	const sl_agg_frame *entry = low ? low : ag;
	if (entry->gstate) {
		gs = sl_gstate_new(&entry->gspec, err);
		if (!gs)
			return err->code ? err->code : SL_EANALYSIS;
	} else if (entry->dedup) {
		dd = sl_dedup_new(&entry->dspec, err);
		if (!dd)
			return err->code ? err->code : SL_EANALYSIS;
	}
	if (!ag->gstate && !ag->dedup) {
		sl_groupby_spec spec = ag->spec;
		spec.mode = (sl_out_mode)q->wconf.output_mode;
		if (np > 1)
			sp = sl_spart_new(&spec, np, a, &q->cancel, err);
		else
			op = sl_groupby_new(&spec, a, err);
		if (!op && !sp) {
			sl_gstate_free(gs);
			sl_dedup_free(dd);
			return err->code ? err->code : SL_EANALYSIS;
		}
	}
	sl_stateful_rt *rt = calloc(1, sizeof(*rt));
	struct st_part *parts = calloc(np, sizeof(*parts));
	if (!rt || !parts)
		abort(); /* as sl_arena: no sensible recovery from OOM */
	for (uint32_t i = 0; i < np; i++)
		parts[i] = (struct st_part){ .dirfd = -1,
					     .op = sp ? sl_spart_op(sp, i) : op,
					     .dd = low ? NULL : dd,
					     .gs = low ? NULL : gs,
					     .empty = &rt->empty };
	sl_stateful *sh = sl_arena_calloc(a, sizeof(*sh));
	rt->low.dirfd = -1;
	rt->real = q->sink;
	rt->op = op;
	rt->dd = dd;
	rt->gs = gs;
	rt->sp = sp;
	rt->parts = parts;
	rt->nparts = np;
	rt->timeout = entry->gspec.timeout;
	rt->mode = (sl_out_mode)q->wconf.output_mode;
	rt->agg_schema = ag->f.schema;
	/* the workers have not touched their operators yet */
	op_snapshot(&parts[0], -1, &rt->empty);
	sl_stateful_chain_fill(&rt->post, q->frame, &ag->f, a);
	if (low) {
		rt->chained = true;
		rt->mid_schema = low->f.schema;
		sl_stateful_chain_fill(&rt->mid, ag->f.parent, &low->f, a);
		rt->low = (struct st_part){ .dirfd = -1,
					    .dd = dd,
					    .gs = gs,
					    .empty = &rt->low_empty };
		op_snapshot(&rt->low, -1, &rt->low_empty);
	}
	sh->ops = *q->sink.ops;
	sh->ops.write = st_write;
	sh->ops.commit = st_commit;
	sh->ops.destroy = st_destroy;
	sh->ops.init = NULL;
	sh->rt = rt;
	sh->fell_back = fell_back;
	/* Spark's operatorName for each (flatMapGroupsWithState for map
	 * too: Spark plans both as FlatMapGroupsWithStateExec) */
	sh->op_name = op || sp ? "stateStoreSave"
		      : dd     ? "dedupe"
			       : "flatMapGroupsWithState";
	sh->low_name = !low	  ? NULL
		       : low->dedup ? "dedupe"
				    : "flatMapGroupsWithState";
	sh->low_stats.batch_id = -1;
	sh->low_commit_us = -1;
	sh->interval_ms = q->trig.interval_ms;
	sh->nparts = np;
	sh->commit_us = -1;
	pthread_mutex_init(&sh->lock, NULL);
	sh->stats.batch_id = -1;
	/* Processing-time timeouts restored from a checkpoint fire in a
	 * first batch even if the sources stay idle: the state is restored
	 * there, and it sets when the next batch is due. */
	if (gs && entry->gspec.timeout == SL_GROUP_TIMEOUT_PROCESSING)
		atomic_store(&q->idle_due_us, 1);
	q->sink.ops = &sh->ops;
	q->sink.state = sh;
	q->sink.schema = entry->f.parent->schema;
	return 0;
}

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

static void seg_add(sl_buf *segs, uint32_t *nseg, const sl_buf *one)
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

static int state_write(struct st_part *sp, int64_t v, int kind, int64_t wm,
		       const sl_buf *segs, uint32_t nseg, sl_err *err)
{
	sl_buf b = { 0 };
	char name[64];
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
	sl_buf_free(&b);
	return rc;
}

static int op_restore(struct st_part *sp, const void *p, size_t n,
		      sl_err *err)
{
	if (sp->gs)
		return sl_gstate_restore(sp->gs, p, n, err);
	return sp->op ? sl_groupby_restore(sp->op, p, n, NULL, err)
		      : sl_dedup_restore(sp->dd, p, n, NULL, err);
}

static void op_set_watermark(struct st_part *sp, int64_t wm)
{
	if (sp->op)
		sl_groupby_set_watermark(sp->op, wm);
	else if (sp->dd)
		sl_dedup_set_watermark(sp->dd, wm);
	else
		sl_gstate_set_watermark(sp->gs, wm);
}

static void op_snapshot(const struct st_part *sp, int64_t v, sl_buf *out)
{
	if (sp->op)
		sl_groupby_snapshot(sp->op, v, out);
	else if (sp->dd)
		sl_dedup_snapshot(sp->dd, v, out);
	else
		sl_gstate_snapshot(sp->gs, v, out);
}

/* Reads state file (v, kind) and applies it to the operator. */
static int state_apply(struct st_part *sp, int64_t v, int kind, sl_err *err)
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
		else if (op_restore(sp, p, n, &e) < 0)
			rc = sl_err_set(err, SL_EINVAL, "%s/%s: %s",
					sp->dirpath, name, e.msg);
	}
	if (!rc && r.off != r.len)
		rc = sl_err_set(err, SL_EINVAL,
				"%s/%s is corrupt (trailing bytes)",
				sp->dirpath, name);
	free(body);
	if (!rc)
		op_set_watermark(sp, wm);
	return rc;
}

/* The versions of the state files in the store, sorted: snapshots into
 * *snap, deltas into *delta (malloc'd). */
static int state_list(struct st_part *sp, int64_t **snap, uint32_t *nsnap,
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
			*arr = realloc(*arr, *cap * sizeof(int64_t));
			if (!*arr)
				abort();
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
static int state_restore(struct st_part *sp, int64_t last, sl_err *err)
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
			rc = op_restore(sp, sp->empty->p, sp->empty->len, &e);
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
		fprintf(stderr,
			"sluice: state %s: skipped (%s); restored batch %lld "
			"from %s\n",
			sp->dirpath, first.msg, (long long)last,
			base >= 0 ? "an older snapshot" : "every delta");
	return 0;
}

/* Removes the files recovery can no longer need: the checkpoint keeps
 * the offsets and commits of the last `retain` batches, so a restart may
 * go back to batch now - retain at most; it needs the newest snapshot at
 * or before that and everything after it. Failures are left for the next
 * purge. */
static void state_purge(struct st_part *sp, int64_t retain, int64_t now)
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
		struct st_part p = { .dirfd = openat(dirfd, de->d_name,
						     O_RDONLY | O_DIRECTORY |
							     O_CLOEXEC) };
		int64_t *snap = NULL, *delta = NULL;
		uint32_t nsnap = 0, ndelta = 0;
		sl_err e = { 0 };
		p.dirpath = de->d_name;
		if (p.dirfd >= 0 && !state_list(&p, &snap, &nsnap, &delta,
						&ndelta, &e))
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
		      struct st_part *parts, uint32_t nparts, int *fdop,
		      sl_err *err)
{
	size_t len = strlen(path);
	int rc = sl_ckpt_dir_open(fd, path, op, true, fdop, err);
	snprintf(path + len, n - len, "/%s", op);
	for (uint32_t i = 0; i < nparts && !rc; i++) {
		struct st_part *sp = &parts[i];
		char name[16];
		snprintf(name, sizeof(name), "%u", i);
		sp->dirpath = malloc(n + 16);
		if (!sp->dirpath)
			abort();
		snprintf(sp->dirpath, n + 16, "%s/%s", path, name);
		rc = sl_ckpt_dir_open(*fdop, path, name, true, &sp->dirfd,
				      err);
		/* as for offsets and commits: a crash mid-write leaves a
		 * temp file */
		if (!rc) {
			sl_ckpt_file_clean_tmp(sp->dirfd, sp->dirpath, err);
			memset(err, 0, sizeof(*err));
		}
	}
	return rc;
}

/* Once, on the sink thread before the first batch: opens the state store
 * of a query with a checkpoint (a directory per stateful partition of
 * operator 0; a chain's lower operator is operator 1, Spark's numbering
 * from the sink down) and restores the last committed batch's state.
 * exec set q->ckpt and q->first_epoch (the batch after the last
 * committed one) before the threads started. */
static int state_open(sl_sink *sk, sl_stateful_rt *rt)
{
	sl_query *q = sk->query;
	rt->restored = true;
	if (!q || !q->ckpt)
		return 0;
	const char *root = sl_ckpt_path(q->ckpt);
	size_t n = strlen(root) + 32;
	char *path = malloc(n);
	if (!path)
		return sl_err_set(&sk->err, SL_EIO, "out of memory");
	int fd1 = -1, fd2 = -1, fd3 = -1;
	int64_t last = q->first_epoch - 1;
	snprintf(path, n, "%s/state", root);
	int rc = sl_ckpt_dir_open(AT_FDCWD, path, path, true, &fd1, &sk->err);
	if (!rc)
		rc = open_parts(fd1, path, n, "0", rt->parts, rt->nparts, &fd2,
				&sk->err);
	/* a checkpoint keeps the partitioning its state was written with,
	 * as Spark keeps spark.sql.shuffle.partitions */
	uint32_t had = !rc && last >= 0 ? count_parts(fd2) : 0;
	if (had && had != rt->nparts)
		rc = sl_err_set(&sk->err, SL_EINVAL,
				"the state in %s was written by %u stateful "
				"partition%s; start the query with "
				"statefulPartitions %u (a checkpoint keeps its "
				"partitioning)",
				path, had, had == 1 ? "" : "s", had);
	if (!rc && rt->chained) {
		snprintf(path, n, "%s/state", root);
		rc = open_parts(fd1, path, n, "1", &rt->low, 1, &fd3,
				&sk->err);
	}
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (fd3 >= 0)
		close(fd3);
	free(path);
	if (rc < 0)
		return rc;
	rt->store = true;
	/* Set once at open, before any thread: a plain read. */
	rt->retain = q->ckpt->retain;
	for (uint32_t i = 0; i < rt->nparts && last >= 0 && !rc; i++)
		rc = state_restore(&rt->parts[i], last, &sk->err);
	if (!rc && rt->chained && last >= 0)
		rc = state_restore(&rt->low, last, &sk->err);
	return rc;
}

static inline int st_ready(sl_sink *sk, sl_stateful_rt *rt)
{
	if (rt->restored)
		return 0;
	int rc = state_open(sk, rt);
	return rc < 0 ? (sk->err.code ? sk->err.code : SL_EINVAL) : 0;
}

/* Writes version `epoch`: each partition's delta (segs[i], nseg[i]
 * segments), and every ST_SNAPSHOT_EVERY batches a snapshot of each
 * partition's whole state (then purges). Records how long it took for
 * the progress. */
static int parts_commit(struct st_part *parts, uint32_t np, int64_t retain,
			int64_t epoch, const sl_buf *segs,
			const uint32_t *nseg, int64_t wm, sl_err *err)
{
	int rc = 0;
	for (uint32_t i = 0; i < np && !rc; i++)
		rc = state_write(&parts[i], epoch, ST_DELTA, wm, &segs[i],
				 nseg[i], err);
	bool snap = epoch > 0 && epoch % ST_SNAPSHOT_EVERY == 0;
	for (uint32_t i = 0; i < np && snap && !rc; i++) {
		sl_buf one = { 0 }, all = { 0 };
		uint32_t n = 0;
		op_snapshot(&parts[i], epoch, &one);
		seg_add(&all, &n, &one);
		rc = state_write(&parts[i], epoch, ST_SNAPSHOT, wm, &all, n,
				 err);
		sl_buf_free(&one);
		sl_buf_free(&all);
		if (!rc)
			state_purge(&parts[i], retain, epoch);
	}
	return rc;
}

static int state_commit(sl_stateful *sh, int64_t epoch, const sl_buf *segs,
			const uint32_t *nseg, int64_t wm, sl_err *err)
{
	sl_stateful_rt *rt = sh->rt;
	int64_t t0 = sl_now_ns();
	int rc = parts_commit(rt->parts, rt->nparts, rt->retain, epoch, segs,
			      nseg, wm, err);
	pthread_mutex_lock(&sh->lock);
	sh->commit_us = (sl_now_ns() - t0) / 1000;
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

/* ---- the sink's callbacks ------------------------------------------------- */

/* Rows a deduplication kept go on at once: under an aggregation (a
 * chain) through the frames between the two into it; else the output
 * projection, then the real sink (whose ownership answer we pass on). */
static int dedup_write(sl_sink *sk, sl_stateful_rt *rt, sl_batch *b)
{
	int rc = sl_dedup_process(rt->dd, b, &sk->err);
	if (rc <= 0)
		return rc;
	b->schema = rt->chained ? rt->mid_schema : rt->agg_schema;
	rc = sl_chain_run(rt->chained ? &rt->mid : &rt->post, b, &sk->err);
	if (rc < 0)
		return rc;
	if (rt->chained)
		return sl_groupby_update(rt->op, b, &sk->err) < 0
			       ? (sk->err.code ? sk->err.code : SL_EINVAL)
			       : 0;
	if (!b->nrows)
		return 0;
	rt->dedup_rows += b->nrows;
	rc = rt->real.ops->write(&rt->real, b);
	if (rc < 0)
		sk->err = rt->real.err;
	return rc;
}

static int st_write(sl_sink *sk, sl_batch *b)
{
	sl_stateful *sh = sk->state;
	sl_stateful_rt *rt = sh->rt;
	int rc = st_ready(sk, rt);
	if (rc < 0)
		return rc;
	if (rt->dd)
		return dedup_write(sk, rt, b);
	/* the group state operator keeps the vector until the batch ends:
	 * its rows are grouped and handed to the function at commit */
	if (rt->gs)
		return sl_gstate_add(rt->gs, b, &sk->err) < 0 ? SL_EINVAL : 1;
	/* several partitions: the rows go to their workers' rings, b is
	 * kept until the batch's emit */
	if (rt->sp)
		return sl_spart_write(rt->sp, b, &sk->err);
	return sl_groupby_update(rt->op, b, &sk->err) < 0
		       ? (sk->err.code ? sk->err.code : SL_EINVAL)
		       : 0;
}

static void add_stats(sl_state_stats *t, const sl_groupby_stats *g)
{
	t->num_rows_total = g->num_rows_total;
	t->num_rows_updated += g->num_rows_updated;
	t->num_rows_removed += g->num_rows_removed;
	t->num_rows_dropped_by_watermark += g->num_rows_dropped_by_watermark;
	t->num_output_rows += g->num_output_rows;
	t->memory_used_bytes = g->memory_used_bytes;
}

static void publish_stats(sl_stateful *sh, sl_state_stats *st)
{
	pthread_mutex_lock(&sh->lock);
	st->total_rows_dropped_by_watermark =
		sh->stats.total_rows_dropped_by_watermark +
		st->num_rows_dropped_by_watermark;
	sh->stats = *st;
	pthread_mutex_unlock(&sh->lock);
}

/* The end of batch N of a deduplication: the watermark advances and
 * evicts; the delta (with a store) into segs, the stats into *st. */
static void dedup_run(sl_stateful_rt *rt, int64_t epoch, sl_buf *segs,
		      uint32_t *nseg, sl_state_stats *st)
{
	sl_dedup_stats ds;
	sl_dedup_finish(rt->dd);
	sl_dedup_stats_get(rt->dd, &ds);
	st->batch_id = epoch;
	st->num_rows_total = ds.num_rows_total;
	st->num_rows_updated = ds.num_rows_updated;
	st->num_rows_removed = ds.num_rows_removed;
	st->num_rows_dropped_by_watermark = ds.num_rows_dropped_by_watermark;
	st->num_output_rows = ds.num_output_rows;
	st->memory_used_bytes = ds.memory_used_bytes;
	st->watermark_us = ds.watermark_us;
	if (rt->store) {
		sl_buf one = { 0 };
		sl_dedup_delta(rt->dd, epoch, &one);
		seg_add(segs, nseg, &one);
		sl_buf_free(&one);
	}
	sl_dedup_end_batch(rt->dd);
}

/* A deduplication's batch ends: its state is written, the real sink
 * commits (its rows went on in write). */
static int dedup_commit(sl_sink *sk, sl_stateful *sh, int64_t epoch)
{
	sl_stateful_rt *rt = sh->rt;
	sl_state_stats st = { 0 };
	sl_buf segs = { 0 };
	uint32_t nseg = 0;
	int rc = 0;
	dedup_run(rt, epoch, &segs, &nseg, &st);
	if (rt->store)
		rc = state_commit(sh, epoch, &segs, &nseg, st.watermark_us,
				  &sk->err);
	sl_buf_free(&segs);
	if (rc < 0)
		return rc;
	publish_stats(sh, &st);
	sh->out_rows = rt->dedup_rows;
	rt->dedup_rows = 0;
	rc = rt->real.ops->commit(&rt->real, epoch);
	if (rc < 0)
		sk->err = rt->real.err;
	return rc;
}

/* The operator's output of batch `epoch` (out, taken) through the output
 * projection and HAVING to the real sink, which then commits; the
 * batch's stats are published. */
static int write_out(sl_sink *sk, sl_stateful *sh, sl_batch *out,
		     int64_t epoch, sl_state_stats *st)
{
	sl_stateful_rt *rt = sh->rt;
	out->schema = rt->agg_schema;
	int rc = sl_chain_run(&rt->post, out, &sk->err);
	if (rc < 0) {
		sl_batch_free(out);
		return rc;
	}
	if (!rt->post.n)
		out->schema = rt->agg_schema;
	out->epoch = epoch;
	out->partition = 0;
	out->ingest_ns = sl_now_ns();
	sh->out_rows = out->nrows;
	publish_stats(sh, st);

	sl_sink *real = &rt->real;
	if (out->nrows) {
		rc = real->ops->write(real, out);
		if (rc == 0)
			sl_batch_free(out);
	} else {
		sl_batch_free(out);
	}
	if (rc >= 0)
		rc = real->ops->commit(real, epoch);
	if (rc < 0) {
		sk->err = real->err;
		return rc;
	}
	return 0;
}

/* The end of a batch of an aggregation or group state: the state of
 * version `epoch` (each partition's deltas in segs[i], freed here) is
 * written, then the output (taken) goes to the real sink. */
static int store_and_write(sl_sink *sk, sl_stateful *sh, int64_t epoch,
			   sl_batch *out, sl_buf *segs, const uint32_t *nseg,
			   sl_state_stats *st)
{
	int rc = 0;
	if (sh->rt->store)
		rc = state_commit(sh, epoch, segs, nseg, st->watermark_us,
				  &sk->err);
	for (uint32_t i = 0; i < sh->rt->nparts; i++)
		sl_buf_free(&segs[i]);
	if (rc < 0) {
		sl_batch_free(out);
		return rc;
	}
	return write_out(sk, sh, out, epoch, st);
}

static void add_gstate_stats(sl_state_stats *t, const sl_gstate_stats *g)
{
	sl_groupby_stats gb = {
		.num_rows_total = g->num_rows_total,
		.num_rows_updated = g->num_rows_updated,
		.num_rows_removed = g->num_rows_removed,
		.num_rows_dropped_by_watermark =
			g->num_rows_dropped_by_watermark,
		.num_output_rows = g->num_output_rows,
		.memory_used_bytes = g->memory_used_bytes,
	};
	add_stats(t, &gb);
}

/* Batch N of map/flatMapGroupsWithState, its rows appended to out: the
 * function runs for the groups with rows and the timed-out ones (at the
 * wall clock now: the batch's processing time); then, with an event-time
 * timeout and a watermark that moved, Spark's batch without data folded
 * in, where the timeouts the new watermark passes fire. Each pass's delta
 * is appended to segs (with a store) before finish clears it; stats into
 * *st. */
static int gstate_run(sl_sink *sk, sl_stateful_rt *rt, int64_t epoch,
		      sl_batch *out, sl_buf *segs, uint32_t *nseg,
		      sl_state_stats *st)
{
	sl_buf one = { 0 };
	int64_t now = sl_wall_us();
	int rc = 0;
	for (int pass = 0; pass < 2; pass++) {
		rc = sl_gstate_run(rt->gs, now, out, &sk->err);
		if (rc < 0)
			break;
		sl_gstate_stats gs;
		sl_gstate_stats_get(rt->gs, &gs);
		add_gstate_stats(st, &gs);
		if (rt->store) {
			one.len = 0;
			sl_gstate_delta(rt->gs, epoch, &one);
			seg_add(segs, nseg, &one);
		}
		if (!sl_gstate_finish(rt->gs) ||
		    rt->timeout != SL_GROUP_TIMEOUT_EVENT)
			break;
	}
	st->watermark_us = sl_gstate_watermark(rt->gs);
	st->batch_id = epoch;
	/* the coordinator runs a batch without data when the next
	 * processing-time timeout is due (one that is < now fires) */
	if (!rc && rt->timeout == SL_GROUP_TIMEOUT_PROCESSING && sk->query) {
		int64_t next = sl_gstate_next_timeout(rt->gs);
		atomic_store(&sk->query->idle_due_us,
			     next == INT64_MAX ? 0 : next + 1);
	}
	sl_buf_free(&one);
	return rc;
}

static int gstate_commit(sl_sink *sk, sl_stateful *sh, int64_t epoch)
{
	sl_stateful_rt *rt = sh->rt;
	sl_state_stats st = { 0 };
	sl_batch *out = sl_batch_new(rt->agg_schema, 16);
	sl_buf segs = { 0 };
	uint32_t nseg = 0;
	int rc = gstate_run(sk, rt, epoch, out, &segs, &nseg, &st);
	if (rc < 0) {
		sl_buf_free(&segs);
		sl_batch_free(out);
		return rc;
	}
	return store_and_write(sk, sh, epoch, out, &segs, &nseg, &st);
}

/* The end of batch N on several partitions: as st_commit below, each
 * step a round over the workers (core/stateful_part.h), each partition
 * with its own deltas. */
static int spart_commit(sl_sink *sk, sl_stateful *sh, int64_t epoch)
{
	sl_stateful_rt *rt = sh->rt;
	uint32_t n = rt->nparts;
	sl_state_stats st = { 0 };
	sl_groupby_stats gs;
	sl_batch *out = NULL;
	sl_buf *one = rt->store ? calloc(n, sizeof(*one)) : NULL;
	sl_buf *segs = calloc(n, sizeof(*segs));
	uint32_t *nseg = calloc(n, sizeof(*nseg));
	if ((rt->store && !one) || !segs || !nseg)
		abort();
	/* pass 0: the batch; pass 1: Spark's batch without data when the
	 * watermark moved (append and update modes) */
	int rc = 0;
	for (int pass = 0; pass < 2 && rc >= 0; pass++) {
		sl_batch *more = NULL;
		rc = sl_spart_emit(rt->sp, epoch, &more, &gs, one, &sk->err);
		if (rc < 0)
			break;
		add_stats(&st, &gs);
		for (uint32_t i = 0; one && i < n; i++)
			seg_add(&segs[i], &nseg[i], &one[i]);
		if (!out)
			out = more;
		else if (more->nrows)
			sl_batch_append_copy(out, more);
		if (more != out)
			sl_batch_free(more);
		rc = sl_spart_end_batch(rt->sp, &sk->err);
		if (rc <= 0 || rt->mode == SL_OUT_COMPLETE)
			break;
	}
	for (uint32_t i = 0; one && i < n; i++)
		sl_buf_free(&one[i]);
	free(one);
	if (rc < 0) {
		for (uint32_t i = 0; i < n; i++)
			sl_buf_free(&segs[i]);
		sl_batch_free(out);
	} else {
		st.watermark_us = sl_spart_watermark(rt->sp);
		st.batch_id = epoch;
		rc = store_and_write(sk, sh, epoch, out, segs, nseg, &st);
	}
	free(segs);
	free(nseg);
	return rc;
}

/* Batch N of an aggregation on one partition: emit, then (watermark
 * moved, append or update mode) Spark's batch without data folded into
 * this one, so the windows the new watermark closes come out now rather
 * than with the next data. The output in *out, the state of version N
 * (each pass's delta, taken before end_batch clears it) in segs, the
 * stats in *st. */
static void agg_run(sl_stateful_rt *rt, int64_t epoch, sl_batch **out,
		    sl_buf *segs, uint32_t *nseg, sl_state_stats *st)
{
	sl_groupby_stats gs;
	sl_buf one = { 0 };
	bool store = rt->store;
	sl_groupby_emit(rt->op, epoch, out);
	sl_groupby_stats_get(rt->op, &gs);
	add_stats(st, &gs);
	if (store) {
		sl_groupby_delta(rt->op, epoch, &one);
		seg_add(segs, nseg, &one);
	}
	if (sl_groupby_advance_watermark(rt->op) &&
	    rt->mode != SL_OUT_COMPLETE) {
		sl_batch *more = NULL;
		sl_groupby_emit(rt->op, epoch, &more);
		sl_groupby_stats_get(rt->op, &gs);
		add_stats(st, &gs);
		if (store) {
			one.len = 0;
			sl_groupby_delta(rt->op, epoch, &one);
			seg_add(segs, nseg, &one);
		}
		sl_groupby_advance_watermark(rt->op);
		if (more->nrows)
			sl_batch_append_copy(*out, more);
		sl_batch_free(more);
	}
	st->watermark_us = sl_groupby_watermark(rt->op);
	st->batch_id = epoch;
	sl_buf_free(&one);
}

/* The group state operator of a chain runs batch N and its rows go
 * through the frames between the two operators into the aggregation, as
 * that batch's input. */
static int chain_gstate(sl_sink *sk, sl_stateful_rt *rt, int64_t epoch,
			sl_buf *segs, uint32_t *nseg, sl_state_stats *st)
{
	sl_batch *mid = sl_batch_new(rt->mid_schema, 16);
	int rc = gstate_run(sk, rt, epoch, mid, segs, nseg, st);
	if (rc >= 0) {
		mid->schema = rt->mid_schema;
		rc = sl_chain_run(&rt->mid, mid, &sk->err);
	}
	if (rc >= 0 && sl_groupby_update(rt->op, mid, &sk->err) < 0)
		rc = sk->err.code ? sk->err.code : SL_EINVAL;
	sl_batch_free(mid);
	return rc;
}

/* The end of batch N of a chain: the lower operator ends its batch (a
 * group state runs and feeds the aggregation now; a deduplication fed it
 * in write), then the aggregation emits by the output mode. Operator 1's
 * state (the lower one's) is written first, then operator 0's with the
 * output, as for one operator. */
static int chain_commit(sl_sink *sk, sl_stateful *sh, int64_t epoch)
{
	sl_stateful_rt *rt = sh->rt;
	sl_state_stats low = { 0 }, st = { 0 };
	sl_batch *out = NULL;
	sl_buf lsegs = { 0 }, segs = { 0 };
	uint32_t nl = 0, nseg = 0;
	int rc = 0;
	if (rt->gs)
		rc = chain_gstate(sk, rt, epoch, &lsegs, &nl, &low);
	else
		dedup_run(rt, epoch, &lsegs, &nl, &low);
	if (rc >= 0 && rt->store) {
		int64_t t0 = sl_now_ns();
		rc = parts_commit(&rt->low, 1, rt->retain, epoch, &lsegs, &nl,
				  low.watermark_us, &sk->err);
		pthread_mutex_lock(&sh->lock);
		sh->low_commit_us = (sl_now_ns() - t0) / 1000;
		pthread_mutex_unlock(&sh->lock);
	}
	sl_buf_free(&lsegs);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&sh->lock);
	low.total_rows_dropped_by_watermark =
		sh->low_stats.total_rows_dropped_by_watermark +
		low.num_rows_dropped_by_watermark;
	sh->low_stats = low;
	pthread_mutex_unlock(&sh->lock);
	agg_run(rt, epoch, &out, &segs, &nseg, &st);
	return store_and_write(sk, sh, epoch, out, &segs, &nseg, &st);
}

/* The end of batch N: the operator's batch, the state of version N, then
 * the output projection and the real sink. */
static int st_commit(sl_sink *sk, int64_t epoch)
{
	sl_stateful *sh = sk->state;
	sl_stateful_rt *rt = sh->rt;
	int rc = st_ready(sk, rt);
	if (rc < 0)
		return rc;
	if (rt->chained)
		return chain_commit(sk, sh, epoch);
	if (rt->dd)
		return dedup_commit(sk, sh, epoch);
	if (rt->gs)
		return gstate_commit(sk, sh, epoch);
	if (rt->sp)
		return spart_commit(sk, sh, epoch);
	sl_state_stats st = { 0 };
	sl_batch *out = NULL;
	sl_buf segs = { 0 };
	uint32_t nseg = 0;
	agg_run(rt, epoch, &out, &segs, &nseg, &st);
	return store_and_write(sk, sh, epoch, out, &segs, &nseg, &st);
}

static void st_destroy(sl_sink *sk)
{
	sl_stateful *sh = sk->state;
	if (!sh || !sh->rt)
		return;
	sl_stateful_rt *rt = sh->rt;
	if (rt->real.ops->destroy)
		rt->real.ops->destroy(&rt->real);
	sl_groupby_free(rt->op);
	sl_dedup_free(rt->dd);
	sl_gstate_free(rt->gs);
	sl_spart_free(rt->sp);
	for (uint32_t i = 0; rt->parts && i < rt->nparts; i++) {
		if (rt->parts[i].dirfd >= 0)
			close(rt->parts[i].dirfd);
		free(rt->parts[i].dirpath);
	}
	if (rt->low.dirfd >= 0)
		close(rt->low.dirfd);
	free(rt->low.dirpath);
	free(rt->parts);
	sl_buf_free(&rt->empty);
	sl_buf_free(&rt->low_empty);
	free(rt);
	sh->rt = NULL;
}

bool sl_stateful_status_note(const sl_query *q, char *buf, size_t n)
{
	const sl_stateful *sh = shell_of(q);
	if (!sh || !sh->fell_back)
		return false;
	snprintf(buf, n,
		 "continuous trigger on a stateful query: micro-batches "
		 "every %lld ms",
		 (long long)sh->interval_ms);
	return true;
}

int sl_query_state_stats(sl_query *q, sl_state_stats *out)
{
	sl_stateful *sh = shell_of(q);
	if (!sh) {
		sl_fail_code(SL_EINVAL,
			     "query has no aggregation: no state to report");
		return SL_EINVAL;
	}
	pthread_mutex_lock(&sh->lock);
	*out = sh->stats;
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

/* One "stateOperators" entry. */
static json_t *op_progress(const char *name, const sl_state_stats *st,
			   int64_t commit_us, uint32_t nparts)
{
	json_t *op = json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"operatorName", name, "numRowsTotal",
		(json_int_t)st->num_rows_total, "numRowsUpdated",
		(json_int_t)st->num_rows_updated, "numRowsRemoved",
		(json_int_t)st->num_rows_removed, "numRowsDroppedByWatermark",
		(json_int_t)st->num_rows_dropped_by_watermark,
		"memoryUsedBytes", (json_int_t)st->memory_used_bytes,
		"numShufflePartitions", (json_int_t)nparts,
		"numStateStoreInstances", (json_int_t)nparts, "watermarkMs",
		(json_int_t)(st->watermark_us / 1000));
	/* Spark's commitTimeMs: the state store's write of the batch
	 * (with a checkpoint only) */
	if (commit_us >= 0)
		json_object_set_new(op, "commitTimeMs",
				    json_integer(commit_us / 1000));
	return op;
}

struct json_t *sl_stateful_progress(const sl_query *q)
{
	json_t *arr = json_array();
	sl_stateful *sh = shell_of(q);
	if (!sh)
		return arr;
	pthread_mutex_lock(&sh->lock);
	sl_state_stats st = sh->stats, low = sh->low_stats;
	int64_t commit_us = sh->commit_us, low_us = sh->low_commit_us;
	pthread_mutex_unlock(&sh->lock);
	/* Spark's order: from the sink down, operator 0 first */
	json_array_append_new(arr,
			      op_progress(sh->op_name, &st, commit_us,
					  sh->nparts));
	if (sh->low_name)
		json_array_append_new(arr, op_progress(sh->low_name, &low,
						       low_us, 1));
	return arr;
}

bool sl_stateful_output_rows(const sl_query *q, uint64_t *rows)
{
	sl_stateful *sh = shell_of(q);
	if (!sh)
		return false;
	*rows = sh->out_rows;
	return true;
}
