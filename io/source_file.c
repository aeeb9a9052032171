/* io/source_file.c - the file sources "text", "csv" and "json": Spark's
 * file stream source over one directory, read through io/uring.
 *
 * Data flow: latest() (coordinator thread, between batches) lists the
 * directory with opendir/readdir, stats the new names in one io_uring batch,
 * and admits up to maxFilesPerTrigger unseen files in modification-time
 * order, numbering them 0, 1, 2, ...; poll() (the partition thread) reads
 * the admitted files in that order through a read-ahead io_uring reader,
 * splits lines, parses records (CSV fields, JSON objects, or whole lines)
 * into record vectors of up to 1024 rows, and moves the partition offset
 * (files fully read) on as each file ends. Malformed records follow Spark's
 * mode option. The admitted-file catalogue is shared by both threads and by
 * the checkpoint hooks of io/source_file.h, under one mutex. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/plugin.h"
#include "io/csv.h"
#include "io/deadletter.h"
#include "io/source_file.h"
#include "io/uring.h"

/* Rows per record vector, as the other sources. */
#define FILE_MAX_ROWS 1024
/* Read-ahead: two 256 KiB reads in flight keep the disk busy while the
 * partition parses, without holding much memory per partition. */
#define FILE_CHUNK (256 * 1024)
#define FILE_DEPTH 2

enum { FMT_TEXT, FMT_CSV, FMT_JSON };
enum { CLEAN_OFF, CLEAN_ARCHIVE, CLEAN_DELETE };
enum { MODE_PERMISSIVE, MODE_DROPMALFORMED, MODE_FAILFAST };

struct file_conf {
	const char *path;
	const char *schema;
	bool header;
	const char *sep, *quote, *escape, *null_value;
	int64_t max_files;
	bool latest_first;
	bool file_name_only;
	int64_t max_age_ms;
	int clean;
	const char *archive_dir;
	int mode;
	const char *corrupt_col;
	const char *dead_letter;
};

/* One admitted file in the catalogue. */
struct fentry {
	char *path;
	int64_t mtime_ns, size, index;
};

struct file_src {
	pthread_mutex_t lock;
	int fmt;
	char *dir;     /* absolute directory */
	char *glob;    /* file-name pattern, or NULL for every file */
	char *archive; /* absolute sourceArchiveDir, or NULL */
	sl_csv_opts csv;
	int corrupt;	/* schema column of the corrupt record, or -1 */
	uint32_t ndata; /* columns that come from the record */
	uint32_t *data; /* their schema columns, in record order */
	/* The catalogue, guarded by lock. */
	struct fentry *f; /* remembered files, index order */
	size_t nf, capf;
	int32_t *hash; /* open addressing on the file key: positions */
	size_t hcap;
	int64_t next_index;
	int64_t newest_ns;  /* newest mtime admitted: Spark's latestTimestamp */
	int64_t clean_upto; /* files below this index have been cleaned */
	int64_t read_upto;  /* the partition's offset as last seen */
	sl_file_stats st;
	char *dl_dir;		/* absolute deadLetterPath, or NULL */
	uint64_t dead_lettered; /* records written to it */
};

/* The partition's reading position. */
struct file_part {
	bool open;
	int fd;
	char *path;
	int64_t index;
	sl_uring_reader rd;
	const char *chunk;
	size_t clen, cpos;
	bool eof;
	char *carry;
	size_t ncarry, capcarry;
	bool carry_used;
	int64_t line_no;
	bool skip_header;
	char *scratch;
	size_t capscratch;
	sl_csv_field *fields;
	uint32_t capfields;
	uint64_t rows, dropped, corrupt; /* not yet added to the stats */
	uint64_t dead;			 /* ditto: dead-lettered records */
	sl_deadletter *dl;		 /* NULL without deadLetterPath */
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "sluice: out of memory (%zu bytes)\n", n);
		abort();
	}
	return q;
}

static const struct file_conf *conf_of(const sl_source *src)
{
	return src->conf;
}

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
	fs->hash = xrealloc(NULL, cap * sizeof(*fs->hash));
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

	if (fs->nf == fs->capf) {
		fs->capf = fs->capf ? fs->capf * 2 : 64;
		fs->f = xrealloc(fs->f, fs->capf * sizeof(*fs->f));
	}
	e = &fs->f[fs->nf++];
	e->path = strdup(path);
	if (!e->path)
		abort();
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

static const struct fentry *find_index(struct file_src *fs, int64_t index)
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
		const struct fentry *e = find_index(fs, fs->clean_upto);

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
		return seen(src, name);
	if (asprintf(&path, "%s/%s", fs->dir, name) < 0)
		abort();
	r = seen(src, path);
	free(path);
	return r;
}

/* Lists new candidate files, oldest first. Caller holds the lock. */
static size_t scan(sl_source *src, struct cand **out)
{
	struct file_src *fs = src->state;
	DIR *d = opendir(fs->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, k = 0;
	struct statx *stx;
	int *res;
	struct cand *c;
	int64_t thr = age_threshold(src);

	*out = NULL;
	if (!d)
		return 0;
	/* getdents64 has no io_uring opcode: the listing is readdir, the
	 * metadata of what it finds is one batch of statx on the ring. */
	while ((de = readdir(d))) {
		if (hidden(de->d_name) ||
		    (de->d_type != DT_REG && de->d_type != DT_LNK &&
		     de->d_type != DT_UNKNOWN))
			continue;
		if (fs->glob && fnmatch(fs->glob, de->d_name, FNM_PERIOD))
			continue;
		/* Known files need no statx: a big directory costs one
		 * statx per new file, not per file, each batch. */
		if (name_seen(src, de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	if (!n) {
		closedir(d);
		free(names);
		return 0;
	}
	stx = xrealloc(NULL, n * sizeof(*stx));
	res = xrealloc(NULL, n * sizeof(*res));
	c = xrealloc(NULL, n * sizeof(*c));
	/* Names relative to the listing's own descriptor: no path joins,
	 * and no second open of the directory. */
	sl_uring_statx_many(sl_uring_get(), dirfd(d),
			    (const char *const *)names, n, 0,
			    STATX_TYPE | STATX_SIZE | STATX_MTIME, stx, res);
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		char *path;
		int64_t mt;

		if (res[i] < 0 || !S_ISREG(stx[i].stx_mode)) {
			free(names[i]);
			continue;
		}
		mt = (int64_t)stx[i].stx_mtime.tv_sec * 1000000000 +
		     stx[i].stx_mtime.tv_nsec;
		if (asprintf(&path, "%s/%s", fs->dir, names[i]) < 0)
			abort();
		if (mt < thr) {
			free(path);
			free(names[i]);
			continue;
		}
		free(names[i]);
		c[k].name = path;
		c[k].mtime_ns = mt;
		c[k].size = (int64_t)stx[i].stx_size;
		k++;
	}
	free(names);
	free(stx);
	free(res);
	qsort(c, k, sizeof(*c), cand_cmp);
	*out = c;
	return k;
}

static int64_t file_latest(sl_source_part *p, int64_t batch_id)
{
	sl_source *src = p->src;
	struct file_src *fs = src->state;
	const struct file_conf *c = conf_of(src);
	struct cand *cd;
	size_t n, take;
	int64_t end;

	pthread_mutex_lock(&fs->lock);
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
		pthread_mutex_unlock(&fs->lock);
		return end;
	}
	n = scan(src, &cd);
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
	for (size_t i = 0; i < n; i++)
		free(cd[i].name);
	free(cd);
	purge(src);
	end = fs->next_index;
	pthread_mutex_unlock(&fs->lock);
	return end > p->offset ? end : p->offset;
}

/* ---- reading lines ---------------------------------------------------- */

static void part_close_file(struct file_part *fp)
{
	if (!fp->open)
		return;
	sl_uring_reader_stop(&fp->rd);
	sl_uring_close(sl_uring_get(), fp->fd);
	free(fp->path);
	fp->path = NULL;
	fp->open = false;
}

static int part_open_file(sl_source_part *p, struct file_part *fp)
{
	struct file_src *fs = p->src->state;
	const struct fentry *e;
	int64_t size;
	int fd, rc;

	pthread_mutex_lock(&fs->lock);
	e = find_index(fs, p->offset);
	fp->path = e ? strdup(e->path) : NULL;
	size = e ? e->size : 0;
	pthread_mutex_unlock(&fs->lock);
	if (!fp->path)
		return sl_err_set(&p->err, SL_ESTATE,
				  "source '%s': file number %lld was never "
				  "admitted",
				  p->src->ops->name, (long long)p->offset);
	fd = sl_uring_openat(sl_uring_get(), AT_FDCWD, fp->path,
			     O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = sl_err_set(&p->err, SL_EIO,
				"source '%s': cannot open %s: %s",
				p->src->ops->name, fp->path, strerror(-fd));
		free(fp->path);
		fp->path = NULL;
		return rc;
	}
	/* Up to the size the scan saw, as Spark reads the length its listing
	 * recorded: bytes appended later are not part of this file. */
	if (sl_uring_reader_start(&fp->rd, sl_uring_get(), fd, (uint64_t)size,
				  FILE_CHUNK, FILE_DEPTH) < 0) {
		sl_uring_close(sl_uring_get(), fd);
		free(fp->path);
		fp->path = NULL;
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	}
	fp->fd = fd;
	fp->open = true;
	fp->index = p->offset;
	fp->chunk = NULL;
	fp->clen = fp->cpos = 0;
	fp->eof = false;
	fp->ncarry = 0;
	fp->carry_used = false;
	fp->line_no = 0;
	fp->skip_header = fs->fmt == FMT_CSV && conf_of(p->src)->header;
	return 0;
}

static void carry_add(struct file_part *fp, const char *s, size_t n)
{
	if (fp->ncarry + n > fp->capcarry) {
		size_t cap = fp->capcarry ? fp->capcarry : 1024;

		while (cap < fp->ncarry + n)
			cap *= 2;
		fp->carry = xrealloc(fp->carry, cap);
		fp->capcarry = cap;
	}
	memcpy(fp->carry + fp->ncarry, s, n);
	fp->ncarry += n;
}

/* The next line of the open file (without its \n or \r\n): 1 and the line,
 * 0 at the end of the file, < 0 on a read error. The line is valid until
 * the next call. */
static int next_line(struct file_part *fp, const char **line, size_t *len)
{
	if (fp->carry_used) {
		fp->ncarry = 0;
		fp->carry_used = false;
	}
	for (;;) {
		if (fp->cpos < fp->clen) {
			const char *s = fp->chunk + fp->cpos;
			size_t left = fp->clen - fp->cpos;
			const char *nl = memchr(s, '\n', left);

			if (nl) {
				size_t n = (size_t)(nl - s);

				fp->cpos += n + 1;
				if (fp->ncarry) {
					carry_add(fp, s, n);
					*line = fp->carry;
					*len = fp->ncarry;
					fp->carry_used = true;
				} else {
					*line = s;
					*len = n;
				}
				goto got;
			}
			/* The line goes on in the next chunk, whose buffer
			 * will replace this one: keep its start. */
			carry_add(fp, s, left);
			fp->cpos = fp->clen;
		}
		if (fp->eof) {
			if (!fp->ncarry)
				return 0;
			/* A last line without a newline is a line. */
			*line = fp->carry;
			*len = fp->ncarry;
			fp->carry_used = true;
			goto got;
		}
		{
			ssize_t k = sl_uring_reader_next(&fp->rd, &fp->chunk);

			if (k < 0)
				return (int)k;
			if (k == 0) {
				fp->eof = true;
				fp->clen = fp->cpos = 0;
			} else {
				fp->clen = (size_t)k;
				fp->cpos = 0;
			}
		}
	}
got:
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	fp->line_no++;
	return 1;
}

/* ---- records ---------------------------------------------------------- */

static const char *const fmt_upper[] = { "text", "CSV", "JSON" };

/* One malformed record. Returns 0 to keep the row, 1 to drop it, < 0 to
 * fail (FAILFAST), with p->err naming file, line and problem. */
static int malformed(sl_source_part *p, struct file_part *fp, sl_batch *b,
		     sl_value *row, const char *line, size_t len,
		     const char *why)
{
	struct file_src *fs = p->src->state;

	/* Every mode: a FAILFAST record too, so the record that stopped the
	 * query is kept beside the error; poll writes it before returning. */
	if (fp->dl)
		sl_dl_add(fp->dl, fp->path, fp->line_no, why, line, len);
	switch (conf_of(p->src)->mode) {
	case MODE_FAILFAST:
		return sl_err_set(&p->err, SL_EINVAL,
				  "FAILFAST: malformed %s record at %s line "
				  "%lld: %s",
				  fmt_upper[fs->fmt], fp->path,
				  (long long)fp->line_no, why);
	case MODE_DROPMALFORMED: fp->dropped++; return 1;
	default:
		fp->corrupt++;
		if (fs->corrupt >= 0) {
			char *s = sl_arena_alloc(&b->arena, len ? len : 1);

			memcpy(s, line, len);
			row[fs->corrupt] = sl_v_str(s, (uint32_t)len);
		}
		return 0;
	}
}

static int csv_record(sl_source_part *p, struct file_part *fp, sl_batch *b,
		      sl_value *row, const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	const sl_schema *sch = p->src->schema;
	uint32_t nf;
	const char *why = NULL;
	char whybuf[200];

	if (len > fp->capscratch) {
		fp->capscratch = len * 2;
		fp->scratch = xrealloc(fp->scratch, fp->capscratch);
	}
	if (sl_csv_split(&fs->csv, line, len, fp->scratch, fp->fields,
			 fp->capfields, &nf, &why) < 0)
		return malformed(p, fp, b, row, line, len, why);
	for (uint32_t i = 0; i < fs->ndata && i < nf; i++) {
		const sl_csv_field *f = &fp->fields[i];
		uint32_t col = fs->data[i];
		const sl_field *sf = &sch->fields[col];

		if (sl_csv_is_null(&fs->csv, f))
			continue;
		if (sl_text_to_value(f->s, f->len, sf->type, &b->arena,
				     &row[col]) < 0 &&
		    !why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "cannot parse '%.*s' as %s for column %s",
				 (int)(f->len > 40 ? 40 : f->len), f->s, tn,
				 sf->name);
			why = whybuf;
		}
	}
	if (nf != fs->ndata && !why) {
		snprintf(whybuf, sizeof(whybuf), "expected %u fields, found %u",
			 fs->ndata, nf);
		why = whybuf;
	}
	return why ? malformed(p, fp, b, row, line, len, why) : 0;
}

/* A JSON value as a value of type t; false if it is not one. */
static bool json_value(json_t *j, const sl_dtype *t, sl_arena *a, sl_value *out)
{
	*out = sl_v_null();
	if (json_is_null(j))
		return true;
	switch (t->id) {
	case SL_STRING:
		if (json_is_string(j))
			return !sl_text_to_value(json_string_value(j),
						 json_string_length(j), t, a,
						 out);
		{
			/* Spark keeps a non-string's JSON text. */
			char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
			int rc;

			if (!s)
				return false;
			rc = sl_text_to_value(s, strlen(s), t, a, out);
			free(s);
			return !rc;
		}
	case SL_INT:
		if (!json_is_integer(j) || json_integer_value(j) < INT32_MIN ||
		    json_integer_value(j) > INT32_MAX)
			return false;
		*out = sl_v_int((int32_t)json_integer_value(j));
		return true;
	case SL_LONG:
		if (!json_is_integer(j))
			return false;
		*out = sl_v_long(json_integer_value(j));
		return true;
	case SL_DOUBLE:
		if (json_is_number(j)) {
			*out = sl_v_double(json_number_value(j));
			return true;
		}
		return json_is_string(j) &&
		       !sl_text_to_value(json_string_value(j),
					 json_string_length(j), t, a, out);
	case SL_BOOL:
		if (!json_is_boolean(j))
			return false;
		*out = sl_v_bool(json_is_true(j));
		return true;
	case SL_TIMESTAMP:
		if (json_is_integer(j)) {
			/* Spark reads a number as seconds since the epoch. */
			*out = sl_v_ts(json_integer_value(j) * 1000000);
			return true;
		}
		/* fall through */
	case SL_DATE:
	case SL_BINARY:
		return json_is_string(j) &&
		       !sl_text_to_value(json_string_value(j),
					 json_string_length(j), t, a, out);
	case SL_ARRAY: {
		size_t n = json_array_size(j);
		sl_value *e;

		if (!json_is_array(j))
			return false;
		e = sl_arena_alloc(a, (n ? n : 1) * sizeof(*e));
		for (size_t i = 0; i < n; i++)
			if (!json_value(json_array_get(j, i), t->elem, a,
					&e[i]))
				return false;
		out->type = SL_ARRAY;
		out->len = (uint32_t)n;
		out->v.arr = e;
		return true;
	}
	case SL_STRUCT: {
		const sl_schema *fs = t->fields;
		sl_value *e;

		if (!json_is_object(j))
			return false;
		e = sl_arena_calloc(a, (fs->n ? fs->n : 1) * sizeof(*e));
		for (uint32_t i = 0; i < fs->n; i++) {
			json_t *v = json_object_get(j, fs->fields[i].name);

			if (v && !json_value(v, fs->fields[i].type, a, &e[i]))
				return false;
		}
		out->type = SL_STRUCT;
		out->len = fs->n;
		out->v.fields = e;
		return true;
	}
	default: return false;
	}
}

static int json_record(sl_source_part *p, struct file_part *fp, sl_batch *b,
		       sl_value *row, const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	const sl_schema *sch = p->src->schema;
	json_error_t je;
	json_t *j;
	char whybuf[260];
	const char *why = NULL;
	int rc;

	j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j) {
		snprintf(whybuf, sizeof(whybuf), "%s (column %d)", je.text,
			 je.column);
		return malformed(p, fp, b, row, line, len, whybuf);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return malformed(p, fp, b, row, line, len, "not a JSON object");
	}
	for (uint32_t i = 0; i < fs->ndata; i++) {
		uint32_t col = fs->data[i];
		const sl_field *sf = &sch->fields[col];
		json_t *v = json_object_get(j, sf->name);

		if (!v || json_value(v, sf->type, &b->arena, &row[col]))
			continue;
		row[col] = sl_v_null();
		if (!why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "field %s is not of type %s", sf->name, tn);
			why = whybuf;
		}
	}
	json_decref(j);
	rc = why ? malformed(p, fp, b, row, line, len, why) : 0;
	return rc;
}

/* Blank lines are no record in CSV and JSON, as in Spark. */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* One line of the open file into b. 0 (row added or line skipped), or
 * < 0 with p->err set. */
static int file_line(sl_source_part *p, struct file_part *fp, sl_batch *b,
		     const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	sl_value *row;
	int rc;

	if (fs->fmt == FMT_TEXT) {
		char *s = sl_arena_alloc(&b->arena, len ? len : 1);

		memcpy(s, line, len);
		row = sl_batch_add_row(b);
		row[0] = sl_v_str(s, (uint32_t)len);
		fp->rows++;
		return 0;
	}
	if (fp->skip_header) {
		fp->skip_header = false;
		return 0;
	}
	if (fs->fmt == FMT_CSV ? len == 0 : blank(line, len))
		return 0;
	row = sl_batch_add_row(b);
	rc = fs->fmt == FMT_CSV ? csv_record(p, fp, b, row, line, len)
				: json_record(p, fp, b, row, line, len);
	if (rc < 0)
		return rc;
	if (rc == 1)
		b->nrows--;
	else
		fp->rows++;
	return 0;
}

static void flush_stats(sl_source_part *p, struct file_part *fp, uint64_t files)
{
	struct file_src *fs = p->src->state;

	pthread_mutex_lock(&fs->lock);
	fs->st.rows += fp->rows;
	fs->st.dropped += fp->dropped;
	fs->st.corrupt += fp->corrupt;
	fs->st.files_read += files;
	fs->dead_lettered += fp->dead;
	pthread_mutex_unlock(&fs->lock);
	fp->rows = fp->dropped = fp->corrupt = fp->dead = 0;
}

static int file_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		     sl_batch **out)
{
	struct file_part *fp = p->state;
	sl_batch *b = NULL;
	uint64_t files = 0;
	int rc = 0;

	*out = NULL;
	/* Files are all there: nothing to wait for. */
	while (p->offset < end) {
		const char *line = NULL;
		size_t len = 0;

		if (!fp->open && (rc = part_open_file(p, fp)) < 0)
			break;
		if (!b)
			b = sl_batch_new(p->src->schema, FILE_MAX_ROWS);
		if (b->nrows >= FILE_MAX_ROWS)
			break;
		rc = next_line(fp, &line, &len);
		if (rc < 0) {
			rc = sl_err_set(
				&p->err, SL_EIO, "source '%s': reading %s: %s",
				p->src->ops->name, fp->path, strerror(-rc));
			break;
		}
		if (rc == 0) {
			part_close_file(fp);
			p->offset++;
			files++;
			continue;
		}
		if ((rc = file_line(p, fp, b, line, len)) < 0)
			break;
	}
	/* The rejected records of this poll are written before it returns,
	 * so none counted as dropped can be lost by a later commit; synced
	 * when the batch is complete (or the query fails), which costs one
	 * fdatasync only for batches that rejected something. */
	if (fp->dl) {
		sl_err e2 = { 0 };
		int64_t k = sl_dl_flush(fp->dl, rc < 0 || p->offset >= end,
					rc < 0 ? &e2 : &p->err);

		if (k < 0 && rc >= 0)
			rc = (int)k;
		else if (k > 0)
			fp->dead += (uint64_t)k;
	}
	flush_stats(p, fp, files);
	if (rc < 0 || !b || !b->nrows) {
		sl_batch_free(b);
		return rc < 0 ? rc : 0;
	}
	b->partition = p->index;
	b->ingest_ns = sl_now_ns();
	b->end_offset = p->offset;
	*out = b;
	return (int)b->nrows;
}

static int file_open(sl_source_part *p)
{
	struct file_src *fs = p->src->state;
	struct file_part *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	fp->capfields = fs->ndata + 1;
	fp->fields = xrealloc(NULL, fp->capfields * sizeof(*fp->fields));
	if (fs->dl_dir)
		fp->dl = sl_dl_open(fs->dl_dir, p->src->ops->name, p->index);
	p->state = fp;
	pthread_mutex_lock(&fs->lock);
	/* Resuming: the files from the checkpoint's offset on are read
	 * again (sl_file_source_restore put them back in the catalogue). */
	p->offset = p->has_resume && p->resume <= fs->next_index
			    ? p->resume
			    : fs->next_index;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static void file_close(sl_source_part *p)
{
	struct file_part *fp = p->state;

	if (!fp)
		return;
	part_close_file(fp);
	sl_dl_close(fp->dl);
	free(fp->carry);
	free(fp->scratch);
	free(fp->fields);
	free(fp);
	p->state = NULL;
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

	pthread_mutex_lock(&fs->lock);
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
	pthread_mutex_unlock(&fs->lock);
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
static char *file_ckpt_save(sl_source *src)
{
	json_t *files = json_array();
	int64_t next = sl_file_source_list(src, save_one, files);
	json_t *o = json_pack("{s:I, s:o}", "next", (json_int_t)next, "files",
			      files);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return t;
}

static int file_ckpt_restore(sl_source *src, const char *text, sl_err *err)
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

/* ---- init ------------------------------------------------------------- */

/* A one-character option: the character, "\t" for a tab, "" or "\u0000"
 * for none (quote, escape). Returns -1 if it is not one character. */
/* The CSV options' characters and their checks are shared with the csv
 * source and sink (io/csv.c). */
#define opt_char sl_csv_opt_char

static const char *validate_csv(const void *conf)
{
	const struct file_conf *c = conf;
	return sl_csv_check_chars(c->sep, c->quote, c->escape);
}

static const char *validate_common(const void *conf)
{
	const struct file_conf *c = conf;

	if (c->clean == CLEAN_ARCHIVE && (!c->archive_dir || !*c->archive_dir))
		return "cleanSource 'archive' needs option 'sourceArchiveDir'";
	return NULL;
}

/* Splits path into a directory and an optional file-name glob. */
static int split_path(sl_source *src, struct file_src *fs, sl_err *err)
{
	const char *path = conf_of(src)->path;
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	char *dir, *real;
	struct stat st;

	if (strpbrk(last, "*?[")) {
		fs->glob = strdup(last);
		dir = slash ? strndup(path, (size_t)(slash - path))
			    : strdup(".");
		if (dir && !*dir) {
			free(dir);
			dir = strdup("/");
		}
	} else {
		dir = strdup(path);
	}
	real = dir ? realpath(dir, NULL) : NULL;
	if (!real || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		int rc = sl_err_set(err, SL_EOPTION,
				    "source '%s': option 'path' = '%s': %s "
				    "is not a directory (%s); the file "
				    "source watches a directory, optionally "
				    "with a file-name pattern (dir/*.csv)",
				    src->ops->name, path, dir ? dir : path,
				    real ? "not a directory" : strerror(errno));
		free(dir);
		free(real);
		return rc;
	}
	free(dir);
	fs->dir = real;
	return 0;
}

static int file_init_schema(sl_source *src, struct file_src *fs, sl_err *err)
{
	const struct file_conf *c = conf_of(src);
	sl_schema *s;
	sl_err e2 = { 0 };

	if (fs->fmt == FMT_TEXT && !c->schema) {
		s = sl_schema_new(src->arena, 1);
		s->fields[0].name = "value";
		s->fields[0].type = &sl_dtype_string;
		s->fields[0].nullable = true;
		src->schema = s;
	} else {
		s = sl_schema_parse(c->schema, src->arena, &e2);
		if (!s)
			return sl_err_set(err, SL_EOPTION,
					  "source '%s': option 'schema': %s",
					  src->ops->name, e2.msg);
		src->schema = s;
	}
	if (fs->fmt == FMT_TEXT &&
	    (s->n != 1 || s->fields[0].type->id != SL_STRING))
		return sl_err_set(err, SL_EOPTION,
				  "source 'text': option 'schema' must be one "
				  "STRING column (the line)");
	fs->corrupt = -1;
	if (fs->fmt != FMT_TEXT) {
		const char *cc = c->corrupt_col;

		fs->corrupt = sl_schema_find(s, cc, strlen(cc));
		if (fs->corrupt >= 0 &&
		    s->fields[fs->corrupt].type->id != SL_STRING)
			return sl_err_set(err, SL_EOPTION,
					  "source '%s': the corrupt record "
					  "column '%s' must be STRING",
					  src->ops->name, cc);
	}
	fs->data = sl_arena_alloc(src->arena, (s->n + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++) {
		sl_type t = s->fields[i].type->id;

		if ((int)i == fs->corrupt)
			continue;
		if (fs->fmt == FMT_CSV && (t == SL_ARRAY || t == SL_STRUCT ||
					   t == SL_BINARY || t == SL_NULL)) {
			char tn[64];

			sl_dtype_name(s->fields[i].type, tn, sizeof(tn));
			return sl_err_set(err, SL_EOPTION,
					  "source 'csv': column %s: CSV does "
					  "not support type %s",
					  s->fields[i].name, tn);
		}
		fs->data[fs->ndata++] = i;
	}
	return 0;
}

static void file_destroy(sl_source *src)
{
	struct file_src *fs = src->state;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->nf; i++)
		free(fs->f[i].path);
	free(fs->f);
	free(fs->hash);
	free(fs->dir);
	free(fs->glob);
	free(fs->archive);
	free(fs->dl_dir);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
	src->state = NULL;
}

static int file_init(sl_source *src, sl_err *err)
{
	const struct file_conf *c = conf_of(src);
	struct file_src *fs = calloc(1, sizeof(*fs));
	int rc;

	if (!fs)
		return sl_err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&fs->lock, NULL);
	src->state = fs;
	fs->fmt = !strcmp(src->ops->name, "csv")    ? FMT_CSV
		  : !strcmp(src->ops->name, "json") ? FMT_JSON
						    : FMT_TEXT;
	if ((rc = split_path(src, fs, err)) ||
	    (rc = file_init_schema(src, fs, err)))
		goto fail;
	if (fs->fmt == FMT_CSV) {
		fs->csv.sep = (char)opt_char(c->sep);
		fs->csv.quote = (char)opt_char(c->quote);
		fs->csv.escape = (char)opt_char(c->escape);
		fs->csv.null_value = c->null_value ? c->null_value : "";
		fs->csv.null_len = strlen(fs->csv.null_value);
	}
	if (c->clean == CLEAN_ARCHIVE) {
		char *a = realpath(c->archive_dir, NULL);
		size_t dl = strlen(fs->dir);

		if (!a) {
			rc = sl_err_set(err, SL_EOPTION,
					"source '%s': sourceArchiveDir '%s': "
					"%s",
					src->ops->name, c->archive_dir,
					strerror(errno));
			goto fail;
		}
		/* Archived files land under archive/<their path>: inside the
		 * watched directory they could be listed again. */
		if (!strncmp(a, fs->dir, dl) && (!a[dl] || a[dl] == '/')) {
			rc = sl_err_set(err, SL_EOPTION,
					"source '%s': sourceArchiveDir '%s' "
					"must not be inside the source "
					"directory %s",
					src->ops->name, a, fs->dir);
			free(a);
			goto fail;
		}
		fs->archive = a;
	}
	if (c->dead_letter && *c->dead_letter) {
		char comp[64];

		snprintf(comp, sizeof(comp), "source '%s'", src->ops->name);
		fs->dl_dir = sl_dl_prepare(c->dead_letter, comp, fs->dir, err);
		if (!fs->dl_dir) {
			rc = SL_EOPTION;
			goto fail;
		}
	}
	src->nparts = 1;
	return 0;
fail:
	file_destroy(src);
	return rc;
}

/* ---- options ---------------------------------------------------------- */

static const char *const clean_modes[] = { "off", "archive", "delete", NULL };
static const char *const parse_modes[] = { "PERMISSIVE", "DROPMALFORMED",
					   "FAILFAST", NULL };

/* clang-format off */
#define FILE_OPT_PATH {							\
	.name = "path", .type = SL_OPT_STRING,				\
	.offset = offsetof(struct file_conf, path), .required = true,	\
	.validate = validate_common,					\
	.desc = "The directory to watch, optionally ending in a "	\
		"file-name pattern (/data/in/*.csv). Files must be moved "\
		"in atomically (rename); see docs/FILES.md." }

#define FILE_OPT_COMMON							\
	{ .name = "maxFilesPerTrigger", .type = SL_OPT_INT,		\
	  .offset = offsetof(struct file_conf, max_files),		\
	  .min = 1, .max = INFINITY,					\
	  .desc = "Most new files admitted per micro-batch (unset: all)." },\
	{ .name = "latestFirst", .type = SL_OPT_BOOL,			\
	  .offset = offsetof(struct file_conf, latest_first),		\
	  .def = "false",						\
	  .desc = "Take the newest files first." },			\
	{ .name = "fileNameOnly", .type = SL_OPT_BOOL,			\
	  .offset = offsetof(struct file_conf, file_name_only),		\
	  .def = "false",						\
	  .desc = "Recognise seen files by name only, not full path." },\
	{ .name = "maxFileAge", .type = SL_OPT_DURATION,		\
	  .offset = offsetof(struct file_conf, max_age_ms),		\
	  .min = 0, .max = INFINITY, .def = "7 days",			\
	  .desc = "Files older than this, relative to the newest file "	\
		  "admitted, are ignored (not for the first batch; not "\
		  "when latestFirst and maxFilesPerTrigger are both set)." },\
	{ .name = "cleanSource", .type = SL_OPT_ENUM,			\
	  .offset = offsetof(struct file_conf, clean),			\
	  .def = "off", .allowed = clean_modes,				\
	  .desc = "What to do with a file once its batch is committed: "\
		  "keep it, move it under sourceArchiveDir, or delete it." },\
	{ .name = "sourceArchiveDir", .type = SL_OPT_STRING,		\
	  .offset = offsetof(struct file_conf, archive_dir),		\
	  .desc = "Where cleanSource=archive moves files (keeping their "\
		  "full path below it); outside the source directory." }

#define FILE_OPT_SCHEMA {						\
	.name = "schema", .type = SL_OPT_STRING,			\
	.offset = offsetof(struct file_conf, schema), .required = true,	\
	.desc = "The records' schema in Spark DDL ('a STRING, b INT')." }

#define FILE_OPT_MODE							\
	{ .name = "mode", .type = SL_OPT_ENUM,				\
	  .offset = offsetof(struct file_conf, mode),			\
	  .def = "PERMISSIVE", .allowed = parse_modes,			\
	  .desc = "Malformed records: keep with nulls (and the raw line "\
		  "in columnNameOfCorruptRecord), drop and count, or fail "\
		  "naming file and line." },				\
	{ .name = "columnNameOfCorruptRecord", .type = SL_OPT_STRING,	\
	  .offset = offsetof(struct file_conf, corrupt_col),		\
	  .def = "_corrupt_record",					\
	  .desc = "A STRING column of the schema with this name gets the "\
		  "raw text of malformed records (PERMISSIVE)." },	\
	{ .name = "deadLetterPath", .type = SL_OPT_STRING,		\
	  .offset = offsetof(struct file_conf, dead_letter),		\
	  .desc = "A directory (made if missing) where every malformed "\
		  "record is appended as a JSON line with its file, line "\
		  "and reason, in every mode; see docs/FILES.md." }

static const sl_opt_def text_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_COMMON,
	{ .name = "schema", .type = SL_OPT_STRING,
	  .offset = offsetof(struct file_conf, schema),
	  .desc = "Optional: one STRING column for the line (default "
		  "'value STRING')." },
	{ .name = NULL },
};

static const sl_opt_def csv_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_SCHEMA,
	FILE_OPT_COMMON,
	FILE_OPT_MODE,
	{ .name = "header", .type = SL_OPT_BOOL,
	  .offset = offsetof(struct file_conf, header), .def = "false",
	  .desc = "The first line of each file is a header, skipped." },
	{ .name = "sep", .type = SL_OPT_STRING,
	  .offset = offsetof(struct file_conf, sep), .def = ",",
	  .validate = validate_csv,
	  .desc = "Field separator: one character (\"\\t\" for a tab)." },
	{ .name = "quote", .type = SL_OPT_STRING,
	  .offset = offsetof(struct file_conf, quote), .def = "\"",
	  .desc = "Quote character; \"\" turns quoting off." },
	{ .name = "escape", .type = SL_OPT_STRING,
	  .offset = offsetof(struct file_conf, escape), .def = "\\",
	  .desc = "Escapes a quote inside a quoted field." },
	{ .name = "nullValue", .type = SL_OPT_STRING,
	  .offset = offsetof(struct file_conf, null_value), .def = "",
	  .desc = "An unquoted field equal to this is null." },
	{ .name = NULL },
};

static const sl_opt_def json_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_SCHEMA,
	FILE_OPT_COMMON,
	FILE_OPT_MODE,
	{ .name = NULL },
};

#define FILE_OPS(fmt_name, opts, desc_text) {				\
	.name = fmt_name,						\
	.description = desc_text,					\
	.options = opts,						\
	.conf_size = sizeof(struct file_conf),				\
	.init = file_init,						\
	.open = file_open,						\
	.poll = file_poll,						\
	.latest = file_latest,						\
	.close = file_close,						\
	.destroy = file_destroy,					\
	.continuous = false,						\
	.ckpt_save = file_ckpt_save,					\
	.ckpt_restore = file_ckpt_restore,				\
}

const sl_source_ops sl_source_text = FILE_OPS("text", text_options,
	"Lines of new files in a directory, one row per line in column "
	"value. Micro-batch triggers only.");
const sl_source_ops sl_source_csv = FILE_OPS("csv", csv_options,
	"CSV records of new files in a directory, parsed with a given "
	"schema. Micro-batch triggers only.");
const sl_source_ops sl_source_json = FILE_OPS("json", json_options,
	"JSON-lines records of new files in a directory, parsed with a "
	"given schema. Micro-batch triggers only.");
/* clang-format on */
