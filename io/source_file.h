/* io/source_file.h - the file sources (one per readable format,
 * io/format.h; io/source_file.c): how the registry makes them, and what
 * the engine (checkpoints, progress) may ask of a running one beyond the
 * sl_source_ops interface.
 *
 * A file source numbers the files it admits 0, 1, 2, ... in the order it
 * reads them; its partition offset is the number of files fully read. The
 * checkpoint keeps the admitted files (Spark's sources/0/N log) with these
 * functions; the commit hook applies cleanSource once a batch's output is
 * durable. All functions lock the source's catalogue, so they may be called
 * from any thread while the query runs. */
#ifndef SL_IO_SOURCE_FILE_H
#define SL_IO_SOURCE_FILE_H

#include <stdint.h>

#include "io/format.h"
#include "io/plugin.h"

/* The file source of one format: src->ops points at `ops`. Made by the
 * registry (io/registry.c) for every format that can be read. */
typedef struct sl_file_source_ops {
	sl_source_ops ops;
	const sl_format_ops *format;
} sl_file_source_ops;

/* Fills o: name, description and options from the format (the source's
 * options, then the format's read options); finalize is the registry's
 * function that calls sl_file_source_finalize with this format. */
void sl_file_source_ops_init(sl_file_source_ops *o,
			     const sl_format_ops *format,
			     const char *(*finalize)(const void *conf));
/* The source's cross-option rules, then the format's. */
const char *sl_file_source_finalize(const sl_format_ops *format,
				    const void *conf);

/* One admitted file. */
typedef struct sl_file_entry {
	const char *path; /* the full path the source opened */
	int64_t mtime_ns; /* modification time when admitted */
	int64_t size;	  /* bytes read: the size when admitted */
	int64_t index;	  /* its file number; offset index + 1 means read */
} sl_file_entry;

/* Calls fn for every admitted file the source still remembers, in index
 * order (files older than maxFileAge allows are forgotten, as in Spark's
 * seen-files map). Returns the index the next admitted file will get. */
int64_t sl_file_source_list(sl_source *src,
			    void (*fn)(void *ud, const sl_file_entry *f),
			    void *ud);

/* Before open: makes the source remember files from a checkpoint. Those
 * with index >= the partition's starting offset are read again, in index
 * order, before any new file (a batch planned but not committed before a
 * crash is replayed with the same files). open() starts the partition at
 * the offset after the highest restored index; the engine may set
 * p->offset lower after open to replay. Returns 0 or SL_EINVAL with err
 * set (an entry without a path, or indexes not increasing). */
int sl_file_source_restore(sl_source *src, const sl_file_entry *files, size_t n,
			   sl_err *err);

/* The batch ending at partition offset `end` is committed: apply
 * cleanSource (archive or delete) to every file with index < end not yet
 * cleaned. The source also does this itself at the start of the next
 * latest(), which the engine calls only after the previous batch committed;
 * calling the hook earlier just makes it prompter. Returns the number of
 * files that could not be cleaned (each is counted in
 * sl_file_source_stats). */
int sl_file_source_commit(sl_source *src, int64_t end);

typedef struct sl_file_stats {
	uint64_t files_read;   /* files fully read */
	uint64_t rows;	       /* rows produced */
	uint64_t dropped;      /* malformed records dropped (DROPMALFORMED) */
	uint64_t corrupt;      /* malformed records kept (PERMISSIVE) */
	uint64_t cleaned;      /* files archived or deleted */
	uint64_t clean_errors; /* files cleanSource could not move/delete */
	uint64_t ignored_old;  /* files skipped as older than maxFileAge */
	uint64_t bad_files;    /* bad files skipped (mode, ignoreCorruptFiles) */
	uint64_t groups_skipped; /* row groups a WHERE ruled out (Parquet) */
} sl_file_stats;

/* A snapshot of the source's counters (for progress). */
void sl_file_source_stats(sl_source *src, sl_file_stats *out);

#endif
