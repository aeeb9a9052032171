/* io/sink_file_internal.h - what the file sink's files share and nobody
 * else needs: its state (sl_fsink: columns, partition directories, the
 * batch's part files), the byte buffers rows are encoded into, and the
 * functions one part calls in another.
 *
 * io/sink_file.c is the sink itself (options, init, partition directories,
 * part-file I/O, write and commit); io/sink_file_fmt.c encodes rows as JSON
 * lines, CSV and text; io/sink_file_manifest.c writes the _spark_metadata
 * log and reads it back (sl_file_sink_list, io/sink_file.h). */
#ifndef SL_IO_SINK_FILE_INTERNAL_H
#define SL_IO_SINK_FILE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plugin.h"

/* A partition directory's buffer is written out when it holds this much:
 * large enough that writes cost little per row, small enough that many
 * partition directories do not hold much memory. */
#define SL_FSINK_CHUNK (512u * 1024)

/* Spark's name for a null or empty partition value. */
#define SL_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

#define SL_META_DIR "_spark_metadata"

enum sl_fsink_fmt { FMT_JSON, FMT_CSV, FMT_TEXT };

typedef struct sl_fsink_conf {
	const char *path;
	const char *partition_by;
	int64_t max_records; /* maxRecordsPerFile; 0: no limit */
	/* csv */
	bool header;
	const char *sep, *quote, *escape, *null_value;
	bool trim_lead, trim_trail;
} sl_fsink_conf;

/* A growable byte buffer. */
typedef struct sl_fbuf {
	char *p;
	size_t len, cap;
} sl_fbuf;

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
	sl_fbuf buf;	/* encoded rows not yet written */
	int32_t file;	/* its current file in files[], -1: none */
	uint32_t nfile; /* files started this batch: the cNNN counter */
	int64_t rows;	/* rows in its current file */
} fs_dir;

typedef struct sl_fsink {
	enum sl_fsink_fmt fmt;
	const char *ext; /* ".json", ".csv", ".txt" */
	char *root;	 /* the output directory, absolute */
	int root_fd, meta_fd;
	int64_t latest; /* the latest batch in the manifest, -1: none */
	bool warned;	/* said once that replayed batches are skipped */

	/* columns */
	uint32_t npart, ndata;
	uint32_t *part_cols, *data_cols;
	/* csv */
	char sep, quote, escape;
	const char *null_value;
	size_t null_len;

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

	sl_fbuf key;  /* scratch: one row's partition directory */
	sl_fbuf cell; /* scratch: one rendered value */
	sl_fbuf man;  /* scratch: the manifest */
} sl_fsink;

/* ---- buffers (inline: the encoders call them for every byte) ---------- */

static inline void fb_reserve(sl_fbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more)
		ncap *= 2;
	b->p = sl_xrealloc(b->p, ncap);
	b->cap = ncap;
}

static inline void fb_put(sl_fbuf *b, const char *s, size_t n)
{
	fb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void fb_putc(sl_fbuf *b, char c)
{
	fb_reserve(b, 1);
	b->p[b->len++] = c;
}

static inline void fb_puts(sl_fbuf *b, const char *s)
{
	fb_put(b, s, strlen(s));
}

static inline void fb_printf(sl_fbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void fb_printf(sl_fbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	fb_reserve(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if ((size_t)n >= b->cap - b->len) {
		fb_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static inline void fb_free(sl_fbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}


/* ---- encoding rows (io/sink_file_fmt.c) -------------------------------- */

/* Appends CAST(v AS STRING) (sl_value_render) to b. */
void sl_fsink_put_render(sl_fbuf *b, const sl_value *v);

/* A JSON string as Jackson writes it: quote, backslash and control
 * characters escaped; everything else (UTF-8 included) as it is. */
void sl_fsink_json_str(sl_fbuf *b, const char *s, size_t n);

/* One row of sc (its data columns, st->data_cols) appended to b in the
 * sink's format, newline included; the CSV header line. */
void sl_fsink_encode_json(sl_fsink *st, const sl_schema *sc, sl_fbuf *b,
			  const sl_value *row);
void sl_fsink_encode_csv(sl_fsink *st, const sl_fsink_conf *cf, sl_fbuf *b,
			 const sl_value *row);
void sl_fsink_csv_header(sl_fsink *st, const sl_fsink_conf *cf,
			 const sl_schema *sc, sl_fbuf *b);
void sl_fsink_encode_text(sl_fsink *st, sl_fbuf *b, const sl_value *row);

/* ---- the sink (io/sink_file.c) ----------------------------------------- */

/* Sets sk->err to "file sink ROOT: cannot WHAT ROOT/REL: strerror(e)" and
 * returns SL_EIO. */
int sl_fsink_fail(sl_sink *sk, int e, const char *what, const char *rel);

/* ---- the manifest (io/sink_file_manifest.c) ---------------------------- */

/* Builds the manifest of the batch's files into st->man; a file whose
 * mtime_ms is < 0 is left out. */
void sl_fsink_manifest_build(sl_fsink *st, const int64_t *mtime_ms);

/* Writes _spark_metadata/<epoch> from st->man crash-safely. Returns 0, 1
 * if the manifest already existed (nothing written), or < 0 with sk->err
 * set. */
int sl_fsink_manifest_write(sl_sink *sk, int64_t epoch);

/* true when _spark_metadata/<epoch> exists. */
bool sl_fsink_manifest_exists(sl_fsink *st, int64_t epoch);

/* The highest batch number in the manifest directory, -1 if none. */
int64_t sl_fsink_manifest_latest(int meta_fd);

#endif
