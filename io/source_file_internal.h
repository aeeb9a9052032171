/* io/source_file_internal.h - what the file source's files share and
 * nobody else needs: its options, the source's state (struct file_src: the
 * catalogue of admitted files, under its mutex) and a partition's reading
 * position (struct file_part), and the functions one part calls in
 * another.
 *
 * io/source_file.c makes the source (options, schema, init, the ops
 * tables); io/source_file_catalog.c lists the directory, admits files,
 * remembers them, applies cleanSource and serves the engine's hooks and
 * checkpoint blobs; io/source_file_read.c reads the admitted files (open,
 * poll, close) through the source's format (io/format.h) and handles
 * malformed records. */
#ifndef SL_IO_SOURCE_FILE_INTERNAL_H
#define SL_IO_SOURCE_FILE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/deadletter.h"
#include "io/format.h"
#include "io/plugin.h"
#include "io/source_file.h"

enum { CLEAN_OFF, CLEAN_ARCHIVE, CLEAN_DELETE };
enum { MODE_PERMISSIVE, MODE_DROPMALFORMED, MODE_FAILFAST };

/* The source's options; the format's (io/format.h) follow at
 * FILE_FORMAT_CONF. */
struct file_conf {
	const char *path;
	int64_t max_files;
	bool latest_first;
	bool file_name_only;
	int64_t max_age_ms;
	int clean;
	const char *archive_dir;
	int mode;
	const char *corrupt_col;
	const char *dead_letter;
	bool ignore_corrupt; /* ignoreCorruptFiles (bad-file formats) */
	int64_t max_line;
	max_align_t format_conf[];
};

#define FILE_FORMAT_CONF offsetof(struct file_conf, format_conf)

/* One admitted file in the catalogue. */
struct fentry {
	char *path;
	int64_t mtime_ns, size, index;
};

struct file_src {
	pthread_mutex_t lock;
	const sl_format_ops *format;
	sl_format_scan scan; /* the schema and what the format made of it */
	char *dir;     /* absolute directory */
	char *glob;    /* file-name pattern, or NULL for every file */
	char *archive; /* absolute sourceArchiveDir, or NULL */
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
	/* What the query reads (file_pushdown), guarded by lock; NULL and
	 * 0 until told, and again once a second query is. */
	const bool *pd_used;
	const struct sl_expr_pred *pd_preds;
	uint32_t pd_npreds, pd_calls;
	char *dl_dir;		/* absolute deadLetterPath, or NULL */
	uint64_t dead_lettered; /* records written to it */
};

/* The partition's reading position. */
struct file_part {
	bool open;
	char *path;
	int64_t index;
	sl_format_reader rd; /* the open file's reader */
	uint64_t rows, dropped, corrupt; /* not yet added to the stats */
	uint64_t bad;			 /* bad files skipped, likewise */
	uint64_t groups;		 /* row groups ruled out, likewise */
	uint64_t dead;			 /* ditto: dead-lettered records */
	sl_deadletter *dl;		 /* NULL without deadLetterPath */
};

static inline const struct file_conf *conf_of(const sl_source *src)
{
	return src->conf;
}


/* ---- the catalogue (io/source_file_catalog.c) -------------------------- */

/* The remembered file numbered index, or NULL (fs->lock held). */
const struct fentry *sl_file_source_find_index(struct file_src *fs,
					       int64_t index);

/* sl_source_ops.latest, ckpt_save and ckpt_restore. */
int64_t sl_file_source_latest(sl_source_part *p, int64_t batch_id);
char *sl_file_source_ckpt_save(sl_source *src);
/* sl_source_ops.metrics: files read, malformed records, bad files
 * skipped, dead-lettered records, as the format has them. */
uint32_t sl_file_source_metrics(sl_source *src, sl_source_metric *out,
				uint32_t max);
int sl_file_source_ckpt_restore(sl_source *src, const char *text,
				sl_err *err);

/* ---- reading (io/source_file_read.c) ----------------------------------- */

/* sl_source_ops.open, poll and close. */
int sl_file_source_open(sl_source_part *p);
int sl_file_source_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		 sl_batch **out);
void sl_file_source_close(sl_source_part *p);

#endif
