/* io/source_file.c - the file sources, one per readable format (text,
 * csv, json: io/format.h): Spark's file stream source over one directory.
 *
 * Data flow: latest() (coordinator thread, between batches) lists the
 * directory with opendir/readdir, stats the new names in one io_uring batch,
 * and admits up to maxFilesPerTrigger unseen files in modification-time
 * order, numbering them 0, 1, 2, ...; poll() (the partition thread) reads
 * the admitted files in that order through the format's reader (the line
 * formats read ahead through io_uring) into record vectors of up to 1024
 * rows, and moves the partition offset (files fully read) on as each file
 * ends. Malformed records follow Spark's mode option. The admitted-file
 * catalogue is shared by both threads and by the checkpoint hooks of
 * io/source_file.h, under one mutex.
 *
 * This file makes the source: options, schema, init and destroy, and the
 * ops of a format's source (the registry, io/registry.c, calls
 * sl_file_source_ops_init for each format). Listing and admitting files,
 * the catalogue, cleanSource and the hooks are in io/source_file_catalog.c;
 * reading in io/source_file_read.c; io/source_file_internal.h is what
 * they share. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/source_file_internal.h"

/* ---- init ------------------------------------------------------------- */

/* The source's cross-option rules; the format's come after them
 * (sl_file_source_finalize). */
static const char *file_finalize(const void *conf)
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

/* The schema and what the format makes of it (io/format.h). */
/* What Spark refuses of a file source's schema: a column name twice
 * (compared without case, as Spark's default spark.sql.caseSensitive),
 * and a schema whose only columns are the corrupt-record column, which
 * would read no field of the records. */
static int file_check_schema(const sl_source *src, const sl_format_scan *sc,
			     sl_err *err)
{
	const sl_schema *s = sc->schema;

	for (uint32_t i = 0; s && i < s->n; i++)
		for (uint32_t k = i + 1; k < s->n; k++)
			if (!strcasecmp(s->fields[i].name, s->fields[k].name))
				return sl_err_set(
					err, SL_EOPTION,
					"source '%s': option 'schema': column "
					"'%s' is there twice (columns %u and "
					"%u; names are compared without case)",
					src->ops->name, s->fields[k].name,
					i + 1, k + 1);
	if (sc->corrupt >= 0 && sc->ndata == 0)
		return sl_err_set(err, SL_EOPTION,
				  "source '%s': option "
				  "'columnNameOfCorruptRecord' = '%s' names "
				  "every column of the schema: the records' "
				  "fields would all be dropped (Spark refuses "
				  "queries of only the corrupt record column)",
				  src->ops->name, sc->corrupt_col);
	return 0;
}

static int file_init_scan(sl_source *src, struct file_src *fs, sl_err *err)
{
	const struct file_conf *c = conf_of(src);
	int rc;

	fs->scan = (sl_format_scan){
		.ops = fs->format,
		.conf = sl_format_conf(c, FILE_FORMAT_CONF),
		.component = src->ops->name,
		.corrupt_col = fs->format->flags & SL_FORMAT_MALFORMED
				       ? c->corrupt_col
				       : NULL,
		.arena = src->arena,
		.dir = fs->dir,
		.glob = fs->glob,
		.max_line = c->max_line,
	};
	if ((rc = fs->format->scan_init(&fs->scan, err)))
		return rc;
	src->schema = fs->scan.schema;
	return file_check_schema(src, &fs->scan, err);
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
	fs->format = ((const sl_file_source_ops *)src->ops)->format;
	if ((rc = split_path(src, fs, err)) ||
	    (rc = file_init_scan(src, fs, err)))
		goto fail;
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

/* sl_source_ops.pushdown: kept for the readers of the files opened from
 * now on (part_open_file). A second query of the source reads it all. */
static int file_pushdown(sl_source *src, const sl_pushdown *pd, sl_err *err)
{
	struct file_src *fs = src->state;

	pthread_mutex_lock(&fs->lock);
	if (fs->pd_calls++ || pd->ncols != src->schema->n) {
		fs->pd_used = NULL;
		fs->pd_preds = NULL;
		fs->pd_npreds = 0;
	} else {
		fs->pd_used = pd->used;
		fs->pd_preds = pd->preds;
		fs->pd_npreds = pd->npreds;
	}
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* ---- options ---------------------------------------------------------- */

static const char *const clean_modes[] = { "off", "archive", "delete", NULL };
static const char *const parse_modes[] = { "PERMISSIVE", "DROPMALFORMED",
					   "FAILFAST", NULL };

/* clang-format off */
#define FILE_OPT_PATH {							\
	.name = "path", .type = SL_OPT_STRING,				\
	.offset = offsetof(struct file_conf, path), .required = true,	\
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

/* The options of formats whose records can be malformed. */
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

/* The options of formats whose files can be bad as a whole (Parquet):
 * Spark fails the query on a corrupt file unless ignoreCorruptFiles. */
#define FILE_OPT_BAD_FILES						\
	{ .name = "mode", .type = SL_OPT_ENUM,				\
	  .offset = offsetof(struct file_conf, mode),			\
	  .def = "FAILFAST", .allowed = parse_modes,			\
	  .desc = "A bad file (damaged footer or page): fail naming the "\
		  "file, its byte offset and what is wrong (FAILFAST), or "\
		  "skip the rest of it, keeping the rows read before, "	\
		  "counted in the progress (PERMISSIVE, DROPMALFORMED)." },\
	{ .name = "ignoreCorruptFiles", .type = SL_OPT_BOOL,		\
	  .offset = offsetof(struct file_conf, ignore_corrupt),		\
	  .def = "false",						\
	  .desc = "Spark's option: true skips bad files as mode "	\
		  "DROPMALFORMED does." },				\
	{ .name = "deadLetterPath", .type = SL_OPT_STRING,		\
	  .offset = offsetof(struct file_conf, dead_letter),		\
	  .desc = "A directory (made if missing) where every bad file "	\
		  "is appended as a JSON line with its path and reason, "\
		  "in every mode; see docs/FILES.md." }

/* The line formats' (text, csv, json). */
#define FILE_OPT_LINES							\
	{ .name = "maxLineLength", .type = SL_OPT_INT,			\
	  .offset = offsetof(struct file_conf, max_line),		\
	  .min = 1, .max = INFINITY, .def = "16777216",		\
	  .desc = "Longest line (record), in bytes: a longer one fails "\
		  "the query naming its file and line, instead of being "\
		  "read into memory whole (sluice; Spark has no limit)." }

static const sl_opt_def file_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_COMMON,
	{ .name = NULL },
};

static const sl_opt_def file_line_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_COMMON,
	FILE_OPT_LINES,
	{ .name = NULL },
};

static const sl_opt_def file_bad_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_COMMON,
	FILE_OPT_BAD_FILES,
	{ .name = NULL },
};

static const sl_opt_def file_mode_options[] = {
	FILE_OPT_PATH,
	FILE_OPT_COMMON,
	FILE_OPT_MODE,
	FILE_OPT_LINES,
	{ .name = NULL },
};
/* clang-format on */

const char *sl_file_source_finalize(const sl_format_ops *format,
				    const void *conf)
{
	const char *msg = file_finalize(conf);

	if (!msg && format->finalize)
		msg = format->finalize(sl_format_conf(conf, FILE_FORMAT_CONF));
	return msg;
}

void sl_file_source_ops_init(sl_file_source_ops *o,
			     const sl_format_ops *format,
			     const char *(*finalize)(const void *conf))
{
	/* The formats with malformed records are all line formats. */
	const sl_opt_def *own = format->flags & SL_FORMAT_MALFORMED
					? file_mode_options
				: format->flags & SL_FORMAT_LINES
					? file_line_options
				: format->flags & SL_FORMAT_BAD_FILES
					? file_bad_options
					: file_options;

	o->format = format;
	o->ops = (sl_source_ops){
		.name = format->name,
		.description = format->source_description,
		.options = sl_format_table(own, format->read_options,
					   FILE_FORMAT_CONF),
		.conf_size = FILE_FORMAT_CONF + format->conf_size,
		.finalize = finalize,
		.init = file_init,
		.open = sl_file_source_open,
		.poll = sl_file_source_poll,
		.latest = sl_file_source_latest,
		.close = sl_file_source_close,
		.destroy = file_destroy,
		.continuous = false,
		.ckpt_save = sl_file_source_ckpt_save,
		.ckpt_restore = sl_file_source_ckpt_restore,
		.metrics = sl_file_source_metrics,
		.pushdown = file_pushdown,
	};
}
