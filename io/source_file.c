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
 * the checkpoint hooks of io/source_file.h, under one mutex.
 *
 * This file makes the source: options, schema, init and destroy, the ops
 * tables. Listing and admitting files, the catalogue, cleanSource and the
 * hooks are in io/source_file_catalog.c; reading and parsing in
 * io/source_file_read.c; io/source_file_internal.h is what they share. */
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
	.open = sl_fsrc_open,						\
	.poll = sl_fsrc_poll,						\
	.latest = sl_fsrc_latest,					\
	.close = sl_fsrc_close,						\
	.destroy = file_destroy,					\
	.continuous = false,						\
	.ckpt_save = sl_fsrc_ckpt_save,					\
	.ckpt_restore = sl_fsrc_ckpt_restore,				\
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
