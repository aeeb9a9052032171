/* io/format.h - the file formats: how the bytes of one file become record
 * vectors (the file source, static tables) and how rows become the bytes of
 * one output file (the file sink).
 *
 * A format is one `static const struct sl_format_ops` in its own file
 * (io/format_text.c, io/format_csv.c, io/format_json.c), registered by one
 * line in io/registry.c. The registry makes a file source and a file sink
 * of each format that can be read or written: their option tables are the
 * source's (io/source_file.c) or sink's (io/sink_file.c) options followed by
 * the format's, and their conf is the source's or sink's conf with the
 * format's after it (sl_format_conf).
 *
 * Reading: the file source admits files and hands each, in turn, to a
 * reader (reader_open, next_batch until it returns 0, reader_close). A
 * format decides how it reads its file: the line formats go through the
 * line service below (read-ahead io_uring reads, lines split across
 * reads); a format with a footer can read the end of the file first.
 * Writing: the file sink picks the output file of every row (partition
 * directories, maxRecordsPerFile) and owns the file's I/O; the format
 * turns rows into bytes appended to the file's buffer (file_open,
 * write_batch, file_close). */
#ifndef SL_IO_FORMAT_H
#define SL_IO_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/option.h"
#include "io/uring.h"

enum {
	SL_FORMAT_READ = 1u << 0,   /* a file source reads it */
	SL_FORMAT_WRITE = 1u << 1,  /* a file sink writes it */
	SL_FORMAT_STATIC = 1u << 2, /* a static table (sl_session_read_static) */
	/* Its records can be malformed: its file source has the options
	 * mode, columnNameOfCorruptRecord and deadLetterPath, and its
	 * reader reports bad records through sl_format_reader.malformed. */
	SL_FORMAT_MALFORMED = 1u << 3,
	/* Its files are lines of text, read through the line service below
	 * (the file source's maxLineLength applies). */
	SL_FORMAT_LINES = 1u << 4,
	/* Its file source also reads the files of partition directories
	 * (`col=value/`, Spark's layout), and the format fills the
	 * partition columns from r->path (relative to scan->dir). */
	SL_FORMAT_PARTITIONS = 1u << 5,
	/* Its files can be bad as a whole (a damaged footer or page): its
	 * file source has the options mode (FAILFAST by default: a bad
	 * file fails the query), ignoreCorruptFiles and deadLetterPath, and
	 * its reader sets sl_format_reader.bad on an error that is about the
	 * file's bytes, so that the other modes skip the rest of the file. */
	SL_FORMAT_BAD_FILES = 1u << 6,
};

/* The longest line the line service reads when the source sets no
 * limit (sl_format_scan.max_line 0): 16 MiB. */
#define SL_LINES_MAX_DEFAULT (16 * 1024 * 1024)

/* What one file source reads, the same for each of its files. The source
 * sets ops, conf, component, corrupt_col, arena, dir and glob; the
 * format's scan_init sets the rest. */
typedef struct sl_format_scan {
	const struct sl_format_ops *ops;
	const void *conf;        /* the format's options (ops->conf_size) */
	const char *component;   /* the source's name, for messages: "csv" */
	const char *corrupt_col; /* columnNameOfCorruptRecord, or NULL */
	sl_arena *arena;         /* plan lifetime */
	/* The directory the source watches and its file-name pattern (NULL:
	 * every file), for a format that takes its schema from a file. */
	const char *dir, *glob;
	const sl_schema *schema; /* the rows' schema */
	/* Longest line a line format reads, in bytes (the file source's
	 * maxLineLength); 0: SL_LINES_MAX_DEFAULT. */
	int64_t max_line;
	int corrupt;             /* schema column of the corrupt record, -1 */
	uint32_t ndata;          /* columns that come from the record */
	uint32_t *data;          /* their schema columns, in record order */
	void *state;             /* the format's own, in arena */
} sl_format_scan;

/* One file being read (one partition thread). The caller sets scan, path,
 * size, malformed and owner; the format sets state. */
typedef struct sl_format_reader {
	const sl_format_scan *scan;
	const char *path; /* the file */
	int64_t size;     /* bytes to read: the size when it was admitted */
	void *state;      /* the format's own, set by reader_open */
	sl_err err;       /* details when a callback fails */
	/* Set with err when what failed is the file's contents (not I/O,
	 * not the schema): SL_FORMAT_BAD_FILES formats. */
	bool bad;
	/* A malformed record `rec` (line `line`): 0 keeps row (nulls where
	 * fields were bad), 1 drops it, < 0 fails with err set. */
	int (*malformed)(struct sl_format_reader *r, sl_batch *b,
			 sl_value *row, const char *rec, size_t len,
			 int64_t line, const char *why);
	void *owner; /* the caller's, for malformed */
	/* Set by the caller from what the query reads (sl_pushdown), or
	 * NULL and 0: a format may leave the columns of scan->schema that
	 * used does not mark null, and leave out rows it knows fail one of
	 * preds (expr/expr.h, sl_expr_pred); both only to save work. */
	const bool *used;
	const struct sl_expr_pred *preds;
	uint32_t npreds;
	uint64_t skipped; /* row groups preds ruled out (the format's count) */
} sl_format_reader;

/* One sink's writing, the same for each of its files. The sink sets ops,
 * conf, component, schema and cols; writer_init sets state (and may set
 * extension). */
typedef struct sl_format_writer {
	const struct sl_format_ops *ops;
	const void *conf;        /* the format's options */
	const char *component;   /* the sink's name, for messages: "json" */
	const sl_schema *schema; /* the rows the sink receives */
	const uint32_t *cols;    /* the columns written, in order (the
	                            partitionBy columns are left out) */
	uint32_t ncols;
	void *state; /* the format's own */
	/* writer_init may set it: the part files' extension when it
	 * depends on the options (".snappy.parquet"), else ops->extension. */
	const char *extension;
} sl_format_writer;

typedef struct sl_format_ops {
	const char *name;        /* the format's name: "csv" */
	const char *description; /* one line: what the format is */
	const char *label;       /* in messages: "malformed CSV record" */
	const char *extension;   /* of the files the sink writes: ".csv" */
	unsigned flags;          /* SL_FORMAT_* */
	/* Docs of the file source and the file sink made of the format. */
	const char *source_description, *sink_description;
	/* The format's options when read and when written: two tables
	 * over one conf struct of conf_size bytes. */
	const sl_opt_def *read_options, *write_options;
	size_t conf_size;
	/* Optional: the options' cross-option rules (core/option.h,
	 * sl_options_finalize): NULL or a message. */
	const char *(*finalize)(const void *conf);

	/* ---- reading (SL_FORMAT_READ) ---- */
	/* Once per source: sets scan->schema, ->corrupt, ->ndata, ->data
	 * (sl_format_scan_columns) and ->state. 0 or < 0 with err set. */
	int (*scan_init)(sl_format_scan *scan, sl_err *err);
	/* Opens r->path; 0 or < 0 with r->err set. */
	int (*reader_open)(sl_format_reader *r);
	/* Appends the file's next rows to b until b holds max rows: 1 (the
	 * file may have more), 0 (the file has ended), < 0 with r->err. */
	int (*next_batch)(sl_format_reader *r, sl_batch *b, uint32_t max);
	/* Releases the file; also after errors. */
	void (*reader_close)(sl_format_reader *r);

	/* ---- writing (SL_FORMAT_WRITE) ---- */
	/* Once per sink: checks the columns' types, sets w->state. 0 or < 0
	 * with err set. */
	int (*writer_init)(sl_format_writer *w, sl_err *err);
	/* Optional: an output file starts; its first bytes (a header) go to
	 * out, *file is the format's state for that file (NULL if none). */
	int (*file_open)(const sl_format_writer *w, void **file, sl_buf *out,
			 sl_err *err);
	/* Rows [from, from + n) of b, appended to out. */
	int (*write_batch)(const sl_format_writer *w, void *file,
			   const sl_batch *b, uint32_t from, uint32_t n,
			   sl_buf *out, sl_err *err);
	/* Optional: the file is complete: its last bytes (a footer) go to
	 * out and file is released. */
	int (*file_close)(const sl_format_writer *w, void *file, sl_buf *out,
			  sl_err *err);
	/* Optional: the sink gives the file up (its batch failed, perhaps
	 * halfway through a write_batch an allocation failure unwound,
	 * core/alloc.h): release file without writing anything. Without
	 * it the sink calls file_close and drops the bytes. */
	void (*file_abandon)(const sl_format_writer *w, void *file);
	/* Optional: the sink ends. */
	void (*writer_free)(sl_format_writer *w);
} sl_format_ops;

/* ---- what the source and the sink share with the formats ------------- */

/* The format's conf inside a file source's or sink's conf: it follows the
 * component's own fields, at offset `base` (max_align_t aligned). */
static inline void *sl_format_conf(const void *conf, size_t base)
{
	return (char *)conf + base;
}

/* A merged option table: own[] (the component's entries), then format[]
 * with offsets moved by base. Malloc'd, NULL-terminated, kept for the
 * process (the registry's). */
sl_opt_def *sl_format_table(const sl_opt_def *own, const sl_opt_def *format,
			    size_t base);

/* ---- services for formats (io/format.c) ------------------------------- */

/* Parses schema text (Spark DDL) into scan->schema: "source 'NAME':
 * option 'schema': why" on error. */
int sl_format_scan_schema(sl_format_scan *scan, const char *ddl, sl_err *err);

/* Sets scan->corrupt (the STRING column named scan->corrupt_col, if the
 * schema has it) and the data columns (every other). */
int sl_format_scan_columns(sl_format_scan *scan, sl_err *err);

/* "sink 'NAME': column 'COL' is TYPE: why" (SL_EANALYSIS). */
int sl_format_column_error(sl_err *err, const char *component,
			   const sl_dtype *t, const char *col,
			   const char *why);

/* Appends CAST(v AS STRING) (sl_value_render) to b. */
void sl_format_put_render(sl_buf *b, const sl_value *v);

/* Spark's default timestampFormat for JSON and CSV output, in UTC:
 * "2024-01-01T00:00:00.000Z" (microseconds cut to milliseconds). */
void sl_format_put_iso_ts(sl_buf *b, int64_t us);

/* A JSON string as Jackson writes it: quote, backslash and control
 * characters escaped; everything else (UTF-8 included) as it is. */
void sl_format_json_str(sl_buf *b, const char *s, size_t n);

/* A JSON value (jansson's) as a value of type t, as Spark's JSON reader
 * reads it (a non-string kept as its JSON text in a STRING, a number of
 * seconds as a TIMESTAMP, ...), its bytes in a; false if it is not one.
 * io/format_json.c. */
struct json_t;
bool sl_format_json_value(struct json_t *j, const sl_dtype *t, sl_arena *a,
			  sl_value *out);

/* ---- the line service (io/format_lines.c) ------------------------------ */

/* Lines of one file, read ahead through io_uring (two 256 KiB reads in
 * flight); a line may straddle reads (the carry). */
typedef struct sl_lines {
	bool open;
	int fd;
	sl_uring_reader rd;
	const char *chunk;
	size_t clen, cpos;
	bool eof;
	sl_buf carry;
	bool carry_used;
	int64_t line_no; /* of the line last returned, from 1 */
	size_t max_line; /* a longer line fails: -EMSGSIZE */
} sl_lines;

/* Opens r->path for r->size bytes. 0 or < 0 with r->err set. */
int sl_lines_open(sl_lines *l, sl_format_reader *r);
/* The next line (without its \n or \r\n): 1 and the line, 0 at the end
 * of the file, < 0 (-errno) on a read error, -EMSGSIZE for a line longer
 * than l->max_line (found before more than that is held). Valid until the
 * next call. */
int sl_lines_next(sl_lines *l, const char **line, size_t *len);
void sl_lines_close(sl_lines *l);

/* A line format's reader_open: r->state becomes `size` zeroed bytes (a
 * struct whose first member is its sl_lines) over the opened file.
 * Returns the state, or NULL with r->err set. */
void *sl_lines_reader_open(sl_format_reader *r, size_t size);
/* A line format's reader_close: closes the file, frees r->state. */
void sl_lines_reader_close(sl_format_reader *r);

/* One record of a line: adds a row to b and fills it with parse(), which
 * returns 0 (the row stays), 1 (it is dropped: malformed) or < 0 (the
 * record fails; no row). Returns 0 or < 0. */
int sl_lines_record(sl_format_reader *r, sl_batch *b, const char *s,
		    size_t n,
		    int (*parse)(sl_format_reader *r, sl_batch *b,
				 sl_value *row, const char *s, size_t n));

/* A line format's next_batch: every line of the file through line(),
 * which adds a row to b (or skips the line) and returns 0, or < 0 with
 * r->err set. Read errors are "source 'NAME': reading PATH: why"; a line
 * too long is "source 'NAME': line N of PATH is longer than
 * maxLineLength (M bytes)". */
int sl_lines_next_batch(sl_format_reader *r, sl_lines *l, sl_batch *b,
			uint32_t max,
			int (*line)(sl_format_reader *r, sl_batch *b,
				    const char *s, size_t n));

/* ---- the registry (io/registry.c) ------------------------------------- */

const sl_format_ops *sl_format_lookup(const char *name);
/* NULL-terminated, registry order. */
extern const sl_format_ops *const sl_formats[];

#endif
