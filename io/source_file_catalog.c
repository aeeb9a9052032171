/* io/source_file_catalog.c - the file source's admission and memory: the
 * directory scan and latest() (coordinator thread, between batches: list
 * with opendir/readdir, stat the new names in one io_uring batch, admit up
 * to maxFilesPerTrigger unseen files in modification-time order and number
 * them), the catalogue of admitted files (a hash on the file key,
 * maxFileAge purging), cleanSource (archive or delete once a batch is
 * committed), and the engine's hooks (io/source_file.h) and checkpoint
 * blobs. latest() and the hooks take the source's mutex; the helpers they
 * call expect it held. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/source_file_internal.h"

/* ---- the catalogue: remembered files and their keys -------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The seen-files key: the full path, or only the name with fileNameOnly
 * (Spark's option for paths that reach the same file by different URIs). */
static const char *file_key(const sl_source *src, const char *path)
{
	return conf_of(src)->file_name_only ? base_name(path) : path;
}

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void hash_rebuild(sl_source *src)
{
	struct file_src *fs = src->state;
	size_t cap = 64;

	while (cap < fs->nf * 2 + 2)
		cap *= 2;
	free(fs->hash);
	fs->hash = sl_xrealloc(NULL, cap * sizeof(*fs->hash));
	memset(fs->hash, 0xff, cap * sizeof(*fs->hash));
	fs->hcap = cap;
	for (size_t i = 0; i < fs->nf; i++) {
		size_t h = key_hash(file_key(src, fs->f[i].path)) & (cap - 1);

		while (fs->hash[h] >= 0)
			h = (h + 1) & (cap - 1);
		fs->hash[h] = (int32_t)i;
	}
}

static bool seen(sl_source *src, const char *key)
{
	struct file_src *fs = src->state;
	size_t h;

	if (!fs->hcap)
		return false;
	h = key_hash(key) & (fs->hcap - 1);
	for (; fs->hash[h] >= 0; h = (h + 1) & (fs->hcap - 1))
		if (!strcmp(file_key(src, fs->f[fs->hash[h]].path), key))
			return true;
	return false;
}

static void remember(sl_source *src, const char *path, int64_t mtime,
		     int64_t size, int64_t index)
{
	struct file_src *fs = src->state;
	struct fentry *e;
	size_t h;

	/* Allocations first: an unwind (core/alloc.h) leaves the catalogue
	 * as it was. */
	if (fs->nf == fs->capf) {
		size_t cap = fs->capf ? fs->capf * 2 : 64;
		fs->f = sl_xrealloc(fs->f, cap * sizeof(*fs->f));
		fs->capf = cap;
	}
	char *copy = sl_xstrdup(path);
	e = &fs->f[fs->nf++];
	e->path = copy;
	e->mtime_ns = mtime;
	e->size = size;
	e->index = index;
	if (mtime > fs->newest_ns)
		fs->newest_ns = mtime;
	if (fs->nf * 2 + 2 > fs->hcap) {
		hash_rebuild(src);
		return;
	}
	h = key_hash(file_key(src, path)) & (fs->hcap - 1);
	while (fs->hash[h] >= 0)
		h = (h + 1) & (fs->hcap - 1);
	fs->hash[h] = (int32_t)(fs->nf - 1);
}

const struct fentry *sl_file_source_find_index(struct file_src *fs,
					       int64_t index)
{
	size_t lo = 0, hi = fs->nf;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fs->f[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fs->nf && fs->f[lo].index == index ? &fs->f[lo] : NULL;
}

/* maxFileAge applies unless latestFirst and maxFilesPerTrigger are both
 * set: then the newest files are wanted whatever their age (Spark). */
static bool age_applies(const struct file_conf *c)
{
	return !(c->latest_first && c->max_files > 0);
}

/* Files older than this are neither admitted nor remembered; INT64_MIN
 * before the first file is admitted ("for the first batch all files are
 * valid", as Spark documents). */
static int64_t age_threshold(const sl_source *src)
{
	const struct file_src *fs = src->state;
	const struct file_conf *c = conf_of(src);

	if (!age_applies(c) || !fs->nf)
		return INT64_MIN;
	return fs->newest_ns - c->max_age_ms * 1000000;
}

/* Forgets files that are read, cleaned and too old to be admitted again,
 * so the catalogue stays bounded (Spark's SeenFilesMap.purge). */
static void purge(sl_source *src)
{
	struct file_src *fs = src->state;
	int64_t thr = age_threshold(src);
	size_t k = 0;

	if (thr == INT64_MIN)
		return;
	for (size_t i = 0; i < fs->nf; i++) {
		struct fentry *e = &fs->f[i];

		if (e->mtime_ns < thr && e->index < fs->read_upto &&
		    e->index < fs->clean_upto)
			free(e->path);
		else
			fs->f[k++] = *e;
	}
	if (k != fs->nf) {
		fs->nf = k;
		hash_rebuild(src);
	}
}

/* ---- cleanSource ------------------------------------------------------ */

/* mkdir -p of the directories above path (the last component is the
 * file). */
static int make_parents(sl_uring *r, char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		int rc;

		*s = 0;
		rc = sl_uring_mkdirat(r, AT_FDCWD, path, 0777);
		*s = '/';
		if (rc < 0 && rc != -EEXIST)
			return rc;
	}
	return 0;
}

static int clean_one(sl_source *src, const char *path)
{
	struct file_src *fs = src->state;
	sl_uring *r = sl_uring_get();
	char *dst;
	int rc;

	if (conf_of(src)->clean == CLEAN_DELETE)
		return sl_uring_unlinkat(r, AT_FDCWD, path, 0);
	/* Archive keeps the file's whole path under the archive directory,
	 * as Spark does, so files of the same name cannot collide. */
	if (asprintf(&dst, "%s%s", fs->archive, path) < 0)
		return -ENOMEM;
	rc = make_parents(r, dst);
	if (!rc)
		rc = sl_uring_renameat(r, AT_FDCWD, path, AT_FDCWD, dst,
				       RENAME_NOREPLACE);
	free(dst);
	return rc;
}

/* Cleans files below `end` (index order). Caller holds the lock. */
static int clean_upto(sl_source *src, int64_t end)
{
	struct file_src *fs = src->state;
	int failed = 0;

	if (conf_of(src)->clean == CLEAN_OFF) {
		if (end > fs->clean_upto)
			fs->clean_upto = end;
		return 0;
	}
	for (; fs->clean_upto < end; fs->clean_upto++) {
		const struct fentry *e =
			sl_file_source_find_index(fs, fs->clean_upto);

		if (!e)
			continue;
		if (clean_one(src, e->path) < 0) {
			fs->st.clean_errors++;
			failed++;
		} else {
			fs->st.cleaned++;
		}
	}
	return failed;
}

/* ---- directory scan --------------------------------------------------- */

struct cand {
	char *name;
	int64_t mtime_ns, size;
};

static bool hidden(const char *name)
{
	size_t n = strlen(name);

	/* Spark skips names starting with '.' or '_' (work files, _SUCCESS,
	 * _spark_metadata) and HDFS's in-progress "._COPYING_" copies. */
	return name[0] == '.' || name[0] == '_' ||
	       (n > 10 && !strcmp(name + n - 10, "._COPYING_"));
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool name_seen(sl_source *src, const char *name)
{
	struct file_src *fs = src->state;
	char *path;
	bool r;

	if (conf_of(src)->file_name_only)
		return seen(src, base_name(name));
	path = sl_xasprintf("%s/%s", fs->dir, name);
	r = seen(src, path);
	free(path);
	return r;
}

static void close_dir(void *d)
{
	closedir(d);
}

/* A format that reads partition directories (SL_FORMAT_PARTITIONS) gets
 * the files of `col=value/` directories this deep too. */
#define PARTITION_DEPTH 16

/* The new names of directory d (a subdirectory prefix/ of the source's)
 * into names[], relative to the source's directory; `col=value`
 * subdirectories listed in turn when the format reads them. */
static void list_names(sl_source *src, DIR *d, const char *prefix, int depth,
		       char ***names, size_t *n, size_t *cap)
{
	struct file_src *fs = src->state;
	bool parts = fs->format->flags & SL_FORMAT_PARTITIONS;
	struct dirent *de;
	char *rel;

	while ((de = readdir(d))) {
		/* Spark hides _x but not _x=y directories. */
		if (hidden(de->d_name) &&
		    !(de->d_type == DT_DIR && de->d_name[0] == '_' &&
		      strchr(de->d_name, '=')))
			continue;
		if (de->d_type == DT_DIR) {
			int fd;
			DIR *sub;

			if (!parts || depth >= PARTITION_DEPTH ||
			    !strchr(de->d_name + 1, '=') ||
			    (fd = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY |
						 O_CLOEXEC)) < 0)
				continue;
			if (!(sub = fdopendir(fd))) {
				close(fd);
				continue;
			}
			sl_oom_defer(close_dir, sub);
			rel = sl_xasprintf("%s%s/", prefix, de->d_name);
			sl_oom_own(rel);
			list_names(src, sub, rel, depth + 1, names, n, cap);
			sl_oom_disown(rel);
			free(rel);
			sl_oom_undefer(sub);
			closedir(sub);
			continue;
		}
		if (de->d_type != DT_REG && de->d_type != DT_LNK &&
		    de->d_type != DT_UNKNOWN)
			continue;
		if (fs->glob && fnmatch(fs->glob, de->d_name, FNM_PERIOD))
			continue;
		rel = sl_xasprintf("%s%s", prefix, de->d_name);
		sl_oom_own(rel);
		/* Known files need no statx: a big directory costs one
		 * statx per new file, not per file, each batch. */
		if (name_seen(src, rel)) {
			sl_oom_disown(rel);
			free(rel);
			continue;
		}
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			*names = sl_xrealloc(*names, ncap * sizeof(**names));
			*cap = ncap;
		}
		sl_oom_disown(rel);
		(*names)[(*n)++] = rel;
	}
}

/* What a scan holds while it may unwind (core/alloc.h). */
struct scan_tmp {
	DIR *d;
	char **names;
	size_t n, cap;
	struct statx *stx;
	int *res;
	struct cand *c;
	size_t k;
};

static void scan_tmp_free(void *arg)
{
	struct scan_tmp *t = arg;

	if (t->d)
		closedir(t->d);
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->stx);
	free(t->res);
	for (size_t i = 0; i < t->k; i++)
		free(t->c[i].name);
	free(t->c);
}

/* Lists new candidate files, oldest first. Caller holds the lock. */
static size_t scan(sl_source *src, struct cand **out)
{
	struct file_src *fs = src->state;
	DIR *d = opendir(fs->dir);
	size_t k = 0;
	struct cand *c;
	int64_t thr = age_threshold(src);
	struct scan_tmp t = { .d = d };

	*out = NULL;
	if (!d)
		return 0;
	sl_oom_defer(scan_tmp_free, &t);
	/* getdents64 has no io_uring opcode: the listing is readdir, the
	 * metadata of what it finds is one batch of statx on the ring. */
	list_names(src, d, "", 0, &t.names, &t.n, &t.cap);
	char **names = t.names;
	size_t n = t.n;
	if (!n) {
		sl_oom_undefer(&t);
		closedir(d);
		free(names);
		return 0;
	}
	struct statx *stx = t.stx = sl_xrealloc(NULL, n * sizeof(*stx));
	int *res = t.res = sl_xrealloc(NULL, n * sizeof(*res));
	c = t.c = sl_xrealloc(NULL, n * sizeof(*c));
	/* Names relative to the listing's own descriptor: no path joins,
	 * and no second open of the directory. */
	sl_uring_statx_many(sl_uring_get(), dirfd(d),
			    (const char *const *)names, n, 0,
			    STATX_TYPE | STATX_SIZE | STATX_MTIME, stx, res);
	closedir(d);
	t.d = NULL;
	for (size_t i = 0; i < n; i++) {
		char *path;
		int64_t mt;

		if (res[i] < 0 || !S_ISREG(stx[i].stx_mode)) {
			free(names[i]);
			names[i] = NULL;
			continue;
		}
		mt = (int64_t)stx[i].stx_mtime.tv_sec * 1000000000 +
		     stx[i].stx_mtime.tv_nsec;
		path = sl_xasprintf("%s/%s", fs->dir, names[i]);
		free(names[i]);
		names[i] = NULL;
		if (mt < thr) {
			free(path);
			continue;
		}
		c[k].name = path;
		c[k].mtime_ns = mt;
		c[k].size = (int64_t)stx[i].stx_size;
		t.k = ++k;
	}
	sl_oom_undefer(&t);
	free(names);
	free(stx);
	free(res);
	qsort(c, k, sizeof(*c), cand_cmp);
	*out = c;
	return k;
}

int64_t sl_file_source_latest(sl_source_part *p, int64_t batch_id)
{
	sl_source *src = p->src;
	struct file_src *fs = src->state;
	const struct file_conf *c = conf_of(src);
	struct cand *cd;
	size_t n, take;
	int64_t end;

	/* released by an unwind too (core/alloc.h): scan and remember
	 * allocate */
	sl_oom_lock(&fs->lock);
	fs->read_upto = p->offset;
	/* The engine asks for batch N+1 only after batch N committed: the
	 * files below the offset are safely processed. */
	clean_upto(src, p->offset);
	/* Files admitted but not read yet: the planned batch has not run,
	 * and planning it again must give the same end; or they were all
	 * admitted at once for availableNow and are read max at a time. */
	if (fs->next_index > p->offset && batch_id >= 0) {
		end = fs->next_index;
		if (c->max_files > 0 && end - p->offset > c->max_files)
			end = p->offset + c->max_files;
		sl_oom_unlock(&fs->lock);
		return end;
	}
	n = scan(src, &cd);
	struct scan_tmp held = { .c = cd, .k = n };
	sl_oom_defer(scan_tmp_free, &held);
	/* batch_id < 0 asks for everything available now (availableNow's
	 * first call): admit it all, as Spark's availableNow prefetches the
	 * whole listing, and let the batches take it max at a time. */
	take = c->max_files > 0 && (size_t)c->max_files < n && batch_id >= 0
		       ? (size_t)c->max_files
		       : n;
	for (size_t i = 0; i < n; i++) {
		/* latestFirst takes from the newest end. */
		struct cand *x = c->latest_first ? &cd[n - 1 - i] : &cd[i];

		if (i < take)
			remember(src, x->name, x->mtime_ns, x->size,
				 fs->next_index++);
	}
	sl_oom_undefer(&held);
	for (size_t i = 0; i < n; i++)
		free(cd[i].name);
	free(cd);
	purge(src);
	end = fs->next_index;
	sl_oom_unlock(&fs->lock);
	return end > p->offset ? end : p->offset;
}

/* ---- the engine's hooks (io/source_file.h) ---------------------------- */

int64_t sl_file_source_list(sl_source *src,
			    void (*fn)(void *ud, const sl_file_entry *f),
			    void *ud)
{
	struct file_src *fs = src->state;
	int64_t next;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->nf; i++) {
		sl_file_entry e = { fs->f[i].path, fs->f[i].mtime_ns,
				    fs->f[i].size, fs->f[i].index };

		fn(ud, &e);
	}
	next = fs->next_index;
	pthread_mutex_unlock(&fs->lock);
	return next;
}

int sl_file_source_restore(sl_source *src, const sl_file_entry *files, size_t n,
			   sl_err *err)
{
	struct file_src *fs = src->state;
	int rc = 0;

	sl_oom_lock(&fs->lock);
	for (size_t i = 0; i < n; i++) {
		if (!files[i].path || files[i].index < fs->next_index) {
			rc = sl_err_set(err, SL_EINVAL,
					"source '%s': restored file %zu has "
					"no path or an index out of order",
					src->ops->name, i);
			break;
		}
		remember(src, files[i].path, files[i].mtime_ns, files[i].size,
			 files[i].index);
		fs->next_index = files[i].index + 1;
	}
	/* Restored files were cleaned, if at all, when their batch
	 * committed before the restart. */
	fs->clean_upto = fs->read_upto = fs->next_index;
	sl_oom_unlock(&fs->lock);
	return rc;
}

int sl_file_source_commit(sl_source *src, int64_t end)
{
	struct file_src *fs = src->state;
	int failed;

	pthread_mutex_lock(&fs->lock);
	failed = clean_upto(src, end);
	pthread_mutex_unlock(&fs->lock);
	return failed;
}

void sl_file_source_stats(sl_source *src, sl_file_stats *out)
{
	struct file_src *fs = src->state;

	pthread_mutex_lock(&fs->lock);
	*out = fs->st;
	pthread_mutex_unlock(&fs->lock);
}

uint32_t sl_file_source_metrics(sl_source *src, sl_source_metric *out,
				uint32_t max)
{
	struct file_src *fs = src->state;
	const bool bad = fs->format->flags & SL_FORMAT_BAD_FILES;
	const bool malformed = fs->format->flags & SL_FORMAT_MALFORMED;
	sl_source_metric m[6];
	uint32_t n = 0;

	pthread_mutex_lock(&fs->lock);
	m[n++] = (sl_source_metric){ "numFilesRead",
				     (int64_t)fs->st.files_read };
	if (malformed) {
		m[n++] = (sl_source_metric){ "malformedRecordsDropped",
					     (int64_t)fs->st.dropped };
		m[n++] = (sl_source_metric){ "malformedRecordsKept",
					     (int64_t)fs->st.corrupt };
	}
	if (bad) {
		m[n++] = (sl_source_metric){ "badFilesSkipped",
					     (int64_t)fs->st.bad_files };
		m[n++] = (sl_source_metric){ "numRowGroupsSkipped",
					     (int64_t)fs->st.groups_skipped };
	}
	if (fs->dl_dir)
		m[n++] = (sl_source_metric){ "deadLettered",
					     (int64_t)fs->dead_lettered };
	pthread_mutex_unlock(&fs->lock);
	if (n > max)
		n = max;
	memcpy(out, m, n * sizeof(*m));
	return n;
}

uint64_t sl_file_source_dead_lettered(sl_source *src)
{
	struct file_src *fs = src->state;
	uint64_t n;

	pthread_mutex_lock(&fs->lock);
	n = fs->dead_lettered;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

/* ---- checkpoint blobs (sl_source_ops.ckpt_save/ckpt_restore) ---------- */

static void save_one(void *ud, const sl_file_entry *f)
{
	json_array_append_new(ud, json_pack("{s:s, s:I, s:I, s:I}", "path",
					    f->path, "mtime_ns",
					    (json_int_t)f->mtime_ns, "size",
					    (json_int_t)f->size, "index",
					    (json_int_t)f->index));
}

/* The catalogue as JSON: {"next": N, "files": [{path, mtime_ns, size,
 * index}, ...]}: the files admitted so far under their numbers, so a
 * restart neither admits them again nor renumbers a batch it replays. */
char *sl_file_source_ckpt_save(sl_source *src)
{
	json_t *files = json_array();
	int64_t next = sl_file_source_list(src, save_one, files);
	json_t *o = json_pack("{s:I, s:o}", "next", (json_int_t)next, "files",
			      files);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return t;
}

int sl_file_source_ckpt_restore(sl_source *src, const char *text,
				sl_err *err)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	json_t *files = o ? json_object_get(o, "files") : NULL;
	sl_file_entry *e;
	size_t n;
	int rc;

	if (!json_is_array(files)) {
		json_decref(o);
		return sl_err_set(err, SL_EINVAL,
				  "source '%s': the checkpoint's file list is "
				  "not {\"files\": [...]}",
				  src->ops->name);
	}
	n = json_array_size(files);
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		json_decref(o);
		return sl_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(files, i);

		e[i].path = json_string_value(json_object_get(f, "path"));
		e[i].mtime_ns =
			json_integer_value(json_object_get(f, "mtime_ns"));
		e[i].size = json_integer_value(json_object_get(f, "size"));
		e[i].index = json_integer_value(json_object_get(f, "index"));
	}
	rc = sl_file_source_restore(src, e, n, err);
	free(e);
	json_decref(o);
	return rc;
}

