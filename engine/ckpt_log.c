/* engine/ckpt_log.c - the checkpoint's log: offsets/<N> (the write-ahead
 * entry of epoch or batch N), commits/<N>, the purge that keeps the last
 * minBatchesToRetain of them, and recovery, which finds the newest epoch
 * whose two files are both complete and valid.
 *
 * The coordinator and the sink thread call in once per epoch, never per
 * record; recovery runs in start() before any thread exists. Files go
 * through engine/ckpt_file.c (temp file, fsync, rename, fsync the directory,
 * a checksum line), plain syscalls that the io_uring layer may take over.
 * docs/CHECKPOINTS.md says what a user sees. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "engine/ckpt_internal.h"
#include "sluice.h"

/* ---- offsets and commits ------------------------------------------------- */

static json_t *offsets_json(int64_t epoch, const sl_ckpt_offsets *o,
			    sl_err *err)
{
	json_t *root = json_object(), *srcs = json_array();

	json_object_set_new(root, "version", json_integer(SL_CKPT_VERSION));
	json_object_set_new(root, "epoch", json_integer(epoch));
	json_object_set_new(root, "timestamp_us", json_integer(sl_wall_us()));
	json_object_set_new(root, "watermark_us",
			    json_integer(o->watermark_us));
	json_object_set_new(root, "sources", srcs);
	for (uint32_t i = 0; i < o->nsources; i++) {
		const sl_ckpt_source *s = &o->sources[i];
		json_t *js, *parts;

		if (!s->name || !*s->name) {
			sl_err_set(err, SL_EINVAL,
				   "offsets of epoch %" PRId64
				   ": source %u has no name",
				   epoch, i);
			goto fail;
		}
		js = json_object();
		parts = json_array();
		json_array_append_new(srcs, js);
		json_object_set_new(js, "name", json_string(s->name));
		json_object_set_new(js, "partitions", parts);
		for (uint32_t k = 0; k < s->nparts; k++) {
			json_t *p = json_object();

			json_object_set_new(
				p, "partition",
				json_integer(s->parts[k].partition));
			json_object_set_new(p, "start",
					    json_integer(s->parts[k].start));
			json_object_set_new(p, "end",
					    json_integer(s->parts[k].end));
			json_array_append_new(parts, p);
		}
		if (s->blob) {
			json_error_t je;
			json_t *b = json_loads(s->blob, JSON_DECODE_ANY, &je);

			if (!b) {
				sl_err_set(err, SL_EINVAL,
					   "offsets of epoch %" PRId64
					   ": the blob of source '%s' is not "
					   "JSON (%s)",
					   epoch, s->name, je.text);
				goto fail;
			}
			json_object_set_new(js, "blob", b);
		}
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

int sl_ckpt_write_offsets(sl_ckpt *c, int64_t epoch, const sl_ckpt_offsets *o,
			  sl_err *err)
{
	char name[24];
	int64_t t0;
	json_t *j;
	int rc;

	if (epoch < 0 || !o || (o->nsources && !o->sources))
		return sl_err_set(err, SL_EINVAL,
				  "bad offsets for epoch %" PRId64, epoch);
	j = offsets_json(epoch, o, err);
	if (!j)
		return SL_EINVAL;
	sl_ckpt_epoch_name(epoch, name);
	sl_oom_lock(&c->lock); /* an unwind unlocks */
	/* Rewriting the log under a committed epoch would make a restart
	 * resume from offsets the sink never saw: a caller numbering epochs
	 * from 0 again after recovery. */
	if (epoch <= sl_ckpt_stat_get(c, last_committed)) {
		rc = sl_err_set(err, SL_ESTATE,
				"cannot rewrite the offsets of epoch %" PRId64
				": epoch %" PRId64 " is committed in %s",
				epoch, sl_ckpt_stat_get(c, last_committed),
				c->path);
		goto out;
	}
	t0 = sl_now_ns();
	rc = sl_ckpt_json_write(c->off_fd, c->off_path, name, j, err);
	if (rc == 0)
		sl_ckpt_stat_set(c, last_offsets_us, (sl_now_ns() - t0) / 1000);
out:
	sl_oom_unlock(&c->lock);
	json_decref(j);
	return rc;
}

/* Removes the offsets and commits of epochs older than the last `retain`
 * committed ones. Deleting is not ordered against anything: recovery needs
 * only the newest complete epoch, and a file a crash keeps is deleted by a
 * later purge. Commits go before offsets so that a half-purged epoch is an
 * old offsets file without a commit, which recovery never looks at. */
static int purge_old_epochs(sl_ckpt *c, int64_t epoch, sl_err *err)
{
	int64_t upto = epoch - c->retain + 1; /* keep [upto, epoch] */
	char name[24];

	for (; c->purge_from < upto; c->purge_from++) {
		sl_ckpt_epoch_name(c->purge_from, name);
		if (unlinkat(c->com_fd, name, 0) < 0 && errno != ENOENT)
			return sl_err_set(err, SL_EIO,
					  "cannot remove %s/%s: %s",
					  c->com_path, name, strerror(errno));
		if (unlinkat(c->off_fd, name, 0) < 0 && errno != ENOENT)
			return sl_err_set(err, SL_EIO,
					  "cannot remove %s/%s: %s",
					  c->off_path, name, strerror(errno));
	}
	return 0;
}

int sl_ckpt_commit(sl_ckpt *c, int64_t epoch, sl_err *err)
{
	char name[24];
	int64_t t0, t1, us;
	json_t *j;
	int rc;

	if (epoch < 0)
		return sl_err_set(err, SL_EINVAL, "bad epoch %" PRId64, epoch);
	sl_ckpt_epoch_name(epoch, name);
	sl_oom_lock(&c->lock); /* an unwind unlocks */
	/* A commit without its write-ahead entry would leave recovery with
	 * nothing to resume from: that is a caller's ordering bug. */
	if (faccessat(c->off_fd, name, F_OK, 0) < 0) {
		rc = errno == ENOENT
			     ? sl_err_set(err, SL_ESTATE,
					  "cannot commit epoch %" PRId64
					  ": %s/%s was never written",
					  epoch, c->off_path, name)
			     : sl_err_set(err, SL_EIO,
					  "cannot access %s/%s: %s",
					  c->off_path, name, strerror(errno));
		goto out;
	}
	j = json_object();
	json_object_set_new(j, "version", json_integer(SL_CKPT_VERSION));
	json_object_set_new(j, "epoch", json_integer(epoch));
	json_object_set_new(j, "timestamp_us", json_integer(sl_wall_us()));
	t0 = sl_now_ns();
	rc = sl_ckpt_json_write(c->com_fd, c->com_path, name, j, err);
	json_decref(j);
	if (rc < 0)
		goto out;
	t1 = sl_now_ns();
	us = (t1 - t0) / 1000;
	sl_ckpt_stat_set(c, last_commit_us, us);
	if (us > sl_ckpt_stat_get(c, max_commit_us))
		sl_ckpt_stat_set(c, max_commit_us, us);
	if (epoch > sl_ckpt_stat_get(c, last_committed))
		sl_ckpt_stat_set(c, last_committed, epoch);
	sl_ckpt_stat_set(c, ncommits, sl_ckpt_stat_get(c, ncommits) + 1);
	/* The commit is durable; a purge failure is retried next time. */
	purge_old_epochs(c, epoch, NULL);
	sl_ckpt_stat_set(c, last_purge_us, (sl_now_ns() - t1) / 1000);
out:
	sl_oom_unlock(&c->lock);
	return rc;
}

/* ---- recovery ------------------------------------------------------------ */

static void recovery_warn(sl_ckpt_recovery *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void recovery_warn(sl_ckpt_recovery *r, const char *fmt, ...)
{
	size_t used = strlen(r->warning);
	va_list ap;

	if (used + 3 >= sizeof(r->warning))
		return;
	if (used) {
		memcpy(r->warning + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->warning + used, sizeof(r->warning) - used, fmt, ap);
	va_end(ap);
}

/* Fills o from an offsets file's JSON, strings in arena a. Returns false if
 * the JSON does not have the shape write_offsets gives it. A partition's
 * range that no source can have written (end before start, or end at
 * INT64_MAX, which no source reaches and which would leave the query
 * waiting for it) is reported in why (a hard error: the checksum held,
 * so this is no torn write a restart may skip). */
static bool offsets_parse(const json_t *j, int64_t epoch, sl_ckpt_offsets *o,
			  sl_arena *a, char *why, size_t nwhy)
{
	const json_t *srcs = json_object_get(j, "sources");
	int64_t e, ver;

	memset(o, 0, sizeof(*o));
	if (!sl_ckpt_json_i64(j, "version", &ver) ||
	    !sl_ckpt_json_i64(j, "epoch", &e) || e != epoch ||
	    !sl_ckpt_json_i64(j, "watermark_us", &o->watermark_us) ||
	    !sl_ckpt_json_i64(j, "timestamp_us", &o->timestamp_us) ||
	    !json_is_array(srcs))
		return false;
	o->nsources = (uint32_t)json_array_size(srcs);
	o->sources = sl_arena_calloc(a, o->nsources * sizeof(*o->sources) + 1);
	for (uint32_t i = 0; i < o->nsources; i++) {
		const json_t *js = json_array_get(srcs, i);
		const json_t *name = json_object_get(js, "name");
		const json_t *parts = json_object_get(js, "partitions");
		const json_t *blob = json_object_get(js, "blob");
		sl_ckpt_source *s = &o->sources[i];

		if (!json_is_string(name) || !json_is_array(parts))
			return false;
		s->name = sl_arena_strdup(a, json_string_value(name));
		s->nparts = (uint32_t)json_array_size(parts);
		s->parts =
			sl_arena_calloc(a, s->nparts * sizeof(*s->parts) + 1);
		for (uint32_t k = 0; k < s->nparts; k++) {
			const json_t *p = json_array_get(parts, k);
			int64_t pn;

			if (!sl_ckpt_json_i64(p, "partition", &pn) ||
			    !sl_ckpt_json_i64(p, "start", &s->parts[k].start) ||
			    !sl_ckpt_json_i64(p, "end", &s->parts[k].end) ||
			    pn < 0 || pn > INT32_MAX)
				return false;
			s->parts[k].partition = (int32_t)pn;
			if (s->parts[k].end < s->parts[k].start ||
			    s->parts[k].end == INT64_MAX) {
				snprintf(why, nwhy,
					 "source '%s' partition %" PRId64
					 " has start %" PRId64 " and end %" PRId64
					 " (%s)",
					 s->name, pn, s->parts[k].start,
					 s->parts[k].end,
					 s->parts[k].end == INT64_MAX
						 ? "an end no source reaches"
						 : "end before start");
				return false;
			}
		}
		if (blob) {
			char *t = json_dumps(blob,
					     JSON_COMPACT | JSON_ENCODE_ANY);
			if (!t)
				sl_oom_raise(0);
			s->blob = sl_arena_strdup(a, t);
			free(t);
		}
	}
	return true;
}

/* Reads offsets/<epoch> or commits/<epoch>. Returns 0 (valid), 1 (skipped:
 * missing, torn or corrupt, warned), or < 0 (unreadable: a hard error). */
static void json_decref_v(void *j)
{
	json_decref(j);
}

static int read_epoch_file(sl_ckpt *c, bool commit, int64_t epoch,
			   sl_ckpt_offsets *o, sl_ckpt_recovery *r, sl_err *err)
{
	const char *dir = commit ? "commits" : "offsets";
	sl_err e = { 0 };
	char name[24];
	json_t *j;
	int64_t ver = 0, je = 0;
	int rc;

	sl_ckpt_epoch_name(epoch, name);
	rc = sl_ckpt_json_read(commit ? c->com_fd : c->off_fd,
			       commit ? c->com_path : c->off_path, name, &j,
			       &e);
	if (rc == SL_ENOTFOUND) {
		recovery_warn(r, "skipped epoch %s: %s/%s/%s is missing", name,
			      c->path, dir, name);
		return 1;
	}
	if (rc == SL_EINVAL) {
		/* e.msg names the full path and says torn or corrupt. */
		recovery_warn(r, "skipped %s", e.msg);
		return 1;
	}
	if (rc < 0) {
		if (err)
			*err = e;
		return rc;
	}
	if (sl_ckpt_json_i64(j, "version", &ver) && ver > SL_CKPT_VERSION) {
		json_decref(j);
		return sl_err_set(err, SL_EINVAL,
				  "%s/%s/%s has format version %" PRId64
				  "; this sluice reads version %d",
				  c->path, dir, name, ver, SL_CKPT_VERSION);
	}
	char why[256] = "";
	/* the offsets' arena may unwind (core/alloc.h) */
	sl_oom_defer(json_decref_v, j);
	bool ok = commit ? sl_ckpt_json_i64(j, "epoch", &je) && je == epoch
			 : offsets_parse(j, epoch, o, &r->arena, why,
					 sizeof(why));
	sl_oom_undefer(j);
	if (!ok) {
		if (why[0]) {
			json_decref(j);
			return sl_err_set(err, SL_EINVAL,
					  "%s/%s/%s: %s; the file's checksum "
					  "is valid, so sluice did not write "
					  "it: restore it or start with a new "
					  "checkpointLocation",
					  c->path, dir, name, why);
		}
		recovery_warn(
			r,
			"skipped %s/%s/%s (not a valid %s file for epoch %s)",
			c->path, dir, name, commit ? "commit" : "offsets",
			name);
		json_decref(j);
		return 1;
	}
	json_decref(j);
	return 0;
}

/* The epoch lists a recovery holds while it may unwind. */
struct epoch_lists {
	int64_t *offs, *coms;
};

static void epoch_lists_free(void *arg)
{
	struct epoch_lists *t = arg;
	free(t->offs);
	free(t->coms);
}

int sl_ckpt_recover(sl_ckpt *c, sl_ckpt_recovery *r, sl_err *err)
{
	int64_t *offs = NULL, *coms = NULL, bad_off = -1, lowest;
	uint32_t noffs = 0, ncoms = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	sl_arena_init(&r->arena);
	r->epoch = -1;
	/* an unwind (core/alloc.h) frees the lists, then unlocks */
	sl_oom_lock(&c->lock);
	struct epoch_lists t = { NULL, NULL };
	sl_oom_defer(epoch_lists_free, &t);
	if ((rc = sl_ckpt_list_epochs(c->off_fd, c->off_path, &t.offs, &noffs,
				      err)) < 0 ||
	    (rc = sl_ckpt_list_epochs(c->com_fd, c->com_path, &t.coms, &ncoms,
				      err)) < 0)
		goto out;
	offs = t.offs;
	coms = t.coms;
	/* The newest commit whose offsets are complete too; newer ones that
	 * a crash or a disk tore are skipped, naming the file. */
	for (uint32_t i = ncoms; i-- > 0 && !r->committed;) {
		int64_t e = coms[i];

		rc = read_epoch_file(c, true, e, NULL, r, err);
		if (rc < 0)
			goto out;
		if (rc > 0)
			continue;
		rc = read_epoch_file(c, false, e, &r->offsets, r, err);
		if (rc < 0)
			goto out;
		if (rc > 0) {
			memset(&r->offsets, 0, sizeof(r->offsets));
			bad_off = e;
			continue;
		}
		r->committed = true;
		r->epoch = e;
	}
	rc = 0;
	r->next_epoch = r->epoch + 1;
	lowest = INT64_MAX;
	if (noffs)
		lowest = offs[0];
	if (ncoms && coms[0] < lowest)
		lowest = coms[0];
	/* Nothing committed, yet the history starts after 0: older epochs
	 * were purged, so starting over would silently re-read or skip what
	 * they covered. Refuse, and say why. */
	if (!r->committed && lowest != INT64_MAX && lowest > 0) {
		rc = sl_err_set(err, SL_EINVAL,
				"checkpoint %s has no complete epoch left "
				"(epochs from %" PRId64
				" on, every one damaged: %s)",
				c->path, lowest, r->warning);
		goto out;
	}
	if (r->next_epoch != bad_off &&
	    bsearch(&r->next_epoch, offs, noffs, sizeof(*offs),
		    sl_ckpt_cmp_i64)) {
		rc = read_epoch_file(c, false, r->next_epoch,
				     &r->in_flight_offsets, r, err);
		if (rc < 0)
			goto out;
		r->in_flight = rc == 0;
		if (!r->in_flight)
			memset(&r->in_flight_offsets, 0,
			       sizeof(r->in_flight_offsets));
		rc = 0;
	}
	if (r->warning[0]) {
		char tail[80];

		if (r->committed)
			snprintf(tail, sizeof(tail),
				 "resuming after epoch %" PRId64, r->epoch);
		else
			snprintf(tail, sizeof(tail), "no epoch committed");
		recovery_warn(r, "%s", tail);
	}
	sl_ckpt_stat_set(c, last_committed, r->epoch);
out:
	sl_oom_undefer(&t);
	sl_oom_unlock(&c->lock);
	free(t.offs);
	free(t.coms);
	return rc;
}

void sl_ckpt_recovery_free(sl_ckpt_recovery *r)
{
	if (!r)
		return;
	sl_arena_free(&r->arena);
	memset(r, 0, sizeof(*r));
	r->epoch = -1;
}
