/* io/source_file_read.c - the file source's partition side: open, poll
 * and close (the partition thread). poll() hands the admitted files, in
 * index order, to the source's format (io/format.h), whose reader turns
 * each into record vectors; handles the malformed records the reader
 * reports by the mode option (and the dead-letter directory), and moves
 * the partition offset on as each file ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/source_file_internal.h"

/* Rows per record vector, as the other sources. */
#define FILE_MAX_ROWS 1024


/* ---- files ------------------------------------------------------------ */

static void free_batch(void *b)
{
	sl_batch_free(b);
}

static void part_close_file(sl_source_part *p, struct file_part *fp)
{
	struct file_src *fs = p->src->state;

	if (!fp->open)
		return;
	fp->groups += fp->rd.skipped;
	fs->format->reader_close(&fp->rd);
	free(fp->path);
	fp->path = NULL;
	fp->open = false;
}

static int malformed(sl_format_reader *r, sl_batch *b, sl_value *row,
		     const char *line, size_t len, int64_t line_no,
		     const char *why);

/* A bad file (SL_FORMAT_BAD_FILES formats; the reader set rd.bad with
 * its error): written to the dead letter in every mode; FAILFAST (the
 * default, as Spark fails on a corrupt file) fails with the reader's
 * error, the other modes and ignoreCorruptFiles skip the rest of the file
 * and count it. Returns true to skip. */
static bool bad_file_skips(sl_source_part *p, struct file_part *fp)
{
	struct file_src *fs = p->src->state;
	const struct file_conf *c = conf_of(p->src);

	if (!(fs->format->flags & SL_FORMAT_BAD_FILES) || !fp->rd.bad)
		return false;
	if (fp->dl)
		sl_dl_add(fp->dl, fp->rd.path, -1, fp->rd.err.msg, NULL, 0);
	if (c->mode == MODE_FAILFAST && !c->ignore_corrupt)
		return false;
	fp->bad++;
	return true;
}

/* Opens the file at the partition's offset: 0, 1 when it is a bad file
 * skipped whole (bad_file_skips), or < 0 with p->err set. */
static int part_open_file(sl_source_part *p, struct file_part *fp)
{
	struct file_src *fs = p->src->state;
	const struct fentry *e;
	const struct sl_expr_pred *preds;
	const bool *used;
	uint32_t npreds;
	int64_t size;
	int rc;

	pthread_mutex_lock(&fs->lock);
	e = sl_file_source_find_index(fs, p->offset);
	fp->path = e ? strdup(e->path) : NULL;
	size = e ? e->size : 0;
	used = fs->pd_used;
	preds = fs->pd_preds;
	npreds = fs->pd_npreds;
	pthread_mutex_unlock(&fs->lock);
	if (!fp->path)
		return sl_err_set(&p->err, SL_ESTATE,
				  "source '%s': file number %lld was never "
				  "admitted",
				  p->src->ops->name, (long long)p->offset);
	fp->rd = (sl_format_reader){
		.scan = &fs->scan,
		.path = fp->path,
		.size = size,
		.malformed = malformed,
		.owner = p,
		.used = used,
		.preds = preds,
		.npreds = npreds,
	};
	sl_oom_own(fp->path); /* freed by an unwind (core/alloc.h) */
	rc = fs->format->reader_open(&fp->rd);
	sl_oom_disown(fp->path);
	if (rc < 0) {
		bool skip = bad_file_skips(p, fp);

		if (!skip)
			p->err = fp->rd.err;
		free(fp->path);
		fp->path = NULL;
		return skip ? 1 : rc;
	}
	fp->open = true;
	fp->index = p->offset;
	return 0;
}

/* ---- malformed records ------------------------------------------------ */

/* One malformed record. Returns 0 to keep the row, 1 to drop it, < 0 to
 * fail (FAILFAST), with r->err naming file, line and problem. */
static int malformed(sl_format_reader *r, sl_batch *b, sl_value *row,
		     const char *line, size_t len, int64_t line_no,
		     const char *why)
{
	sl_source_part *p = r->owner;
	struct file_part *fp = p->state;
	struct file_src *fs = p->src->state;

	/* Every mode: a FAILFAST record too, so the record that stopped the
	 * query is kept beside the error; poll writes it before returning. */
	if (fp->dl)
		sl_dl_add(fp->dl, r->path, line_no, why, line, len);
	switch (conf_of(p->src)->mode) {
	case MODE_FAILFAST:
		return sl_err_set(&r->err, SL_EINVAL,
				  "FAILFAST: malformed %s record at %s line "
				  "%lld: %s",
				  fs->format->label, r->path,
				  (long long)line_no, why);
	case MODE_DROPMALFORMED: fp->dropped++; return 1;
	default:
		fp->corrupt++;
		if (fs->scan.corrupt >= 0) {
			char *s = sl_arena_alloc(&b->arena, len ? len : 1);

			memcpy(s, line, len);
			row[fs->scan.corrupt] = sl_v_str(s, (uint32_t)len);
		}
		return 0;
	}
}

static void flush_stats(sl_source_part *p, struct file_part *fp, uint64_t files)
{
	struct file_src *fs = p->src->state;

	pthread_mutex_lock(&fs->lock);
	fs->st.rows += fp->rows;
	fs->st.dropped += fp->dropped;
	fs->st.corrupt += fp->corrupt;
	fs->st.files_read += files;
	fs->st.bad_files += fp->bad;
	fs->st.groups_skipped += fp->groups;
	fs->dead_lettered += fp->dead;
	pthread_mutex_unlock(&fs->lock);
	fp->rows = fp->dropped = fp->corrupt = fp->dead = fp->bad = 0;
	fp->groups = 0;
}

int sl_file_source_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		 sl_batch **out)
{
	struct file_src *fs = p->src->state;
	struct file_part *fp = p->state;
	sl_batch *b = NULL;
	uint64_t files = 0;
	int rc = 0;

	*out = NULL;
	/* Files are all there: nothing to wait for. */
	while (p->offset < end) {
		uint32_t before;

		/* A bad file skipped (fp->bad counts it) is passed, not
		 * read: files counts the files read to their end. */
		if (!fp->open && (rc = part_open_file(p, fp)) != 0) {
			if (rc < 0)
				break;
			rc = 0;
			p->offset++;
			continue;
		}
		if (!b) {
			b = sl_batch_new(p->src->schema, FILE_MAX_ROWS);
			/* freed by an unwind (core/alloc.h) until returned */
			sl_oom_defer(free_batch, b);
		}
		if (b->nrows >= FILE_MAX_ROWS)
			break;
		before = b->nrows;
		rc = fs->format->next_batch(&fp->rd, b, FILE_MAX_ROWS);
		bool skipped = false;
		if (rc < 0) {
			/* The rows of the failing call may be half made:
			 * those handed on before it stay. */
			b->nrows = before;
			if (!(skipped = bad_file_skips(p, fp))) {
				p->err = fp->rd.err;
				break;
			}
			rc = 0;
		}
		fp->rows += b->nrows - before;
		if (rc == 0) {
			part_close_file(p, fp);
			p->offset++;
			files += !skipped;
		}
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
	sl_oom_undefer(b);
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

int sl_file_source_open(sl_source_part *p)
{
	struct file_src *fs = p->src->state;
	struct file_part *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
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

void sl_file_source_close(sl_source_part *p)
{
	struct file_part *fp = p->state;

	if (!fp)
		return;
	part_close_file(p, fp);
	sl_dl_close(fp->dl);
	free(fp);
	p->state = NULL;
}

