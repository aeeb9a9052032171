/* io/sink_file_internal.h - what the file sink's files share and nobody
 * else needs: its state (sl_file_sink: columns, partition directories, the
 * batch's part files) and the functions one part calls in another.
 *
 * io/sink_file.c is the sink itself (options, init, partition directories,
 * part-file I/O, write and commit) and hands rows to its format
 * (io/format.h) to encode; io/sink_file_manifest.c writes the _spark_metadata
 * log and reads it back (sl_file_sink_list, io/sink_file.h). */
#ifndef SL_IO_SINK_FILE_INTERNAL_H
#define SL_IO_SINK_FILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/format.h"
#include "io/plugin.h"

/* A partition directory's buffer is written out when it holds this much:
 * large enough that writes cost little per row, small enough that many
 * partition directories do not hold much memory. */
#define SL_FSINK_CHUNK (512u * 1024)

/* Spark's name for a null or empty partition value. */
#define SL_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

#define SL_META_DIR "_spark_metadata"

/* The sink's options; the format's (io/format.h) follow at
 * FSINK_FORMAT_CONF. */
typedef struct sl_file_sink_conf {
	const char *path;
	const char *partition_by;
	int64_t max_records; /* maxRecordsPerFile; 0: no limit */
	max_align_t format_conf[];
} sl_file_sink_conf;

#define FSINK_FORMAT_CONF offsetof(sl_file_sink_conf, format_conf)

/* One part file of the batch being written. */
typedef struct fs_file {
	char *rel;     /* relative to the output directory */
	uint32_t dir;  /* index of its partition directory */
	int fd;	       /* -1: not open (not created yet, or closed) */
	bool created;  /* exists on disk */
	uint64_t size; /* bytes written */
} fs_file;

/* One partition directory ("" is the output directory itself). Kept across
 * batches so that a directory is made once. */
typedef struct fs_dir {
	char *rel;
	uint64_t hash;
	bool exists;	/* made (or found) on disk */
	bool sync;	/* a file was created in it this batch */
	sl_buf buf;	/* encoded rows not yet written */
	int32_t file;	/* its current file in files[], -1: none */
	bool in_file;	/* the format opened the current file */
	void *wfile;	/* the format's state for the current file */
	uint32_t nfile; /* files started this batch: the cNNN counter */
	int64_t rows;	/* rows in its current file */
} fs_dir;

typedef struct sl_file_sink {
	const sl_format_ops *format;
	sl_format_writer writer; /* the format's side of the sink */
	const char *ext;	 /* the format's: ".json", ".csv", ".txt" */
	char *root;		 /* the output directory, absolute */
	int root_fd, meta_fd;
	int64_t latest; /* the latest batch in the manifest, -1: none */
	bool warned;	/* said once that replayed batches are skipped */

	/* columns */
	uint32_t npart, ndata;
	uint32_t *part_cols, *data_cols;
	/* directories: a vector and an open-addressing index into it */
	fs_dir *dirs;
	uint32_t ndirs, capdirs;
	uint32_t *index; /* slot: dir + 1, 0 empty */
	uint32_t index_cap;

	/* the batch being written */
	char uuid[37];
	bool have_uuid;
	fs_file *files;
	uint32_t nfiles, capfiles;
	char **syncdirs; /* parents of directories made this batch */
	uint32_t nsync, capsync;

	sl_buf key;  /* scratch: one row's partition directory */
	sl_buf cell; /* scratch: one rendered value */
	sl_buf man;  /* scratch: the manifest */
} sl_file_sink;

/* ---- the sink (io/sink_file.c) ----------------------------------------- */

/* Sets sk->err to "file sink ROOT: cannot WHAT ROOT/REL: strerror(e)" and
 * returns SL_EIO. */
int sl_file_sink_fail(sl_sink *sk, int e, const char *what, const char *rel);

/* ---- the manifest (io/sink_file_manifest.c) ---------------------------- */

/* Builds the manifest of the batch's files into st->man; a file whose
 * mtime_ms is < 0 is left out. */
void sl_file_sink_manifest_build(sl_file_sink *st, const int64_t *mtime_ms);

/* Writes _spark_metadata/<epoch> from st->man crash-safely. Returns 0, 1
 * if the manifest already existed (nothing written), or < 0 with sk->err
 * set. */
int sl_file_sink_manifest_write(sl_sink *sk, int64_t epoch);

/* true when _spark_metadata/<epoch> exists. */
bool sl_file_sink_manifest_exists(sl_file_sink *st, int64_t epoch);

/* The highest batch number in the manifest directory, -1 if none. */
int64_t sl_file_sink_manifest_latest(int meta_fd);

#endif
