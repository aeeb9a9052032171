/* io/sink_file.c - the file sink: formats json, csv and text, written as
 * part files in a directory and made visible batch by batch through a
 * manifest log, as Spark's FileStreamSink does.
 *
 * Data flow: the sink thread hands record vectors to write(), which
 * encodes each row into the buffer of its partition directory
 * (`col=value/...` for partitionBy, "" without) and writes a buffer to its
 * part file through io_uring (io/uring.h) once it holds SL_FSINK_CHUNK
 * bytes, so a file costs one write per chunk, not one per row. commit(N)
 * writes what is left, fsyncs every part file and the directories that
 * gained entries, then publishes the batch by writing `_spark_metadata/N`
 * (temp file, fsync, rename, fsync of the directory). Until that rename
 * the batch's files are invisible to readers that follow the manifest
 * (Spark, sl_file_sink_list): a crash before it leaves garbage files,
 * never half a batch.
 *
 * Exactly once: a batch whose manifest already exists (the engine replays
 * batch N after a crash that came after N's manifest but before the
 * engine's own commit record) is already visible, so commit(N) deletes the
 * files it just wrote and adds nothing. Spark skips such a batch the same
 * way (batchId <= the latest in the log).
 *
 * The manifest is Spark's format byte for byte (first line "v1", then one
 * JSON object per file, no trailing newline), so Spark can read sluice's
 * output and sl_file_sink_list can read Spark's. That is why it is not
 * written with sl_ckpt_file_write: its checksum line would make Spark's
 * reader fail on the manifest. The same temp/fsync/rename/fsync steps are
 * done here, through io_uring. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/plugin.h"
#include "io/csv.h"
#include "io/sink_file.h"
#include "io/uring.h"

/* A partition directory's buffer is written out when it holds this much:
 * large enough that writes cost little per row, small enough that many
 * partition directories do not hold much memory. */
#define SL_FSINK_CHUNK (512u * 1024)

/* What Hadoop's local file system reports as a file's block size; Spark
 * records it in the manifest. */
#define SL_FSINK_BLOCK_SIZE 33554432

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

/* ---- buffers ---------------------------------------------------------- */

static void oom(size_t n)
{
	/* Same policy as the arenas: no sensible recovery. */
	fprintf(stderr, "sluice: out of memory (%zu bytes)\n", n);
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom(strlen(s));
	return d;
}

static void fb_reserve(sl_fbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more)
		ncap *= 2;
	b->p = xrealloc(b->p, ncap);
	b->cap = ncap;
}

static void fb_put(sl_fbuf *b, const char *s, size_t n)
{
	fb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void fb_putc(sl_fbuf *b, char c)
{
	fb_reserve(b, 1);
	b->p[b->len++] = c;
}

static void fb_puts(sl_fbuf *b, const char *s)
{
	fb_put(b, s, strlen(s));
}

static void fb_printf(sl_fbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fb_printf(sl_fbuf *b, const char *fmt, ...)
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

static void fb_free(sl_fbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- rendering values ------------------------------------------------- */

/* Appends CAST(v AS STRING) (sl_value_render) to b. */
static void put_render(sl_fbuf *b, const sl_value *v)
{
	size_t need;

	fb_reserve(b, 64);
	need = sl_value_render(v, b->p + b->len, b->cap - b->len);
	if (need >= b->cap - b->len) {
		fb_reserve(b, need + 1);
		sl_value_render(v, b->p + b->len, b->cap - b->len);
	}
	b->len += need;
}

/* Days since 1970-01-01 to a proleptic Gregorian date: shift to a calendar
 * whose years start in March (so the leap day ends a year), count 400-year
 * eras, then the year of era and the day of year. */
static void civil_date(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Spark's default timestampFormat for JSON and CSV output,
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC: "2024-01-01T00:00:00.000Z".
 * Microseconds are cut to milliseconds, as that pattern does. */
static void put_iso_ts(sl_fbuf *b, int64_t us)
{
	int64_t ms = floor_div(us, 1000);
	int64_t days = floor_div(ms, 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	int mo, d;

	civil_date(days, &y, &mo, &d);
	fb_printf(b, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
		  (int)(rem / 3600000), (int)(rem / 60000 % 60),
		  (int)(rem / 1000 % 60), (int)(rem % 1000));
}

/* ---- JSON lines ------------------------------------------------------- */

/* A JSON string as Jackson writes it: quote, backslash and control
 * characters escaped; everything else (UTF-8 included) as it is. */
static void json_str(sl_fbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	fb_reserve(b, n + 2);
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = 0;

		switch (c) {
		case '"': e = '"'; break;
		case '\\': e = '\\'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\t': e = 't'; break;
		case '\b': e = 'b'; break;
		case '\f': e = 'f'; break;
		}
		if (e) {
			fb_putc(b, '\\');
			fb_putc(b, e);
		} else if (c < 0x20) {
			char u[6] = { '\\', 'u',	 '0',
				      '0',  hex[c >> 4], hex[c & 15] };
			fb_put(b, u, 6);
		} else {
			fb_putc(b, (char)c);
		}
	}
	fb_putc(b, '"');
}

/* Jackson's default base64 (MIME alphabet, padded, no line feeds). */
static void json_base64(sl_fbuf *b, const uint8_t *p, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				 "tuvwxyz0123456789+/";

	fb_reserve(b, (n + 2) / 3 * 4 + 2);
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		b->p[b->len++] = al[v >> 18 & 63];
		b->p[b->len++] = al[v >> 12 & 63];
		b->p[b->len++] = k > 1 ? al[v >> 6 & 63] : '=';
		b->p[b->len++] = k > 2 ? al[v & 63] : '=';
	}
	b->p[b->len++] = '"';
}

static void json_value(sl_fbuf *b, const sl_value *v, const sl_dtype *t);

/* A struct as Spark's JSON writer does it: fields in order, null fields
 * left out (ignoreNullFields, Spark's default). */
static void json_struct(sl_fbuf *b, const sl_value *vals, uint32_t n,
			const sl_schema *names)
{
	bool first = true;

	fb_putc(b, '{');
	for (uint32_t i = 0; i < n; i++) {
		const sl_dtype *ft = NULL;
		char nm[24];
		const char *name = nm;

		if (sl_v_is_null(&vals[i]))
			continue;
		if (names && i < names->n) {
			name = names->fields[i].name;
			ft = names->fields[i].type;
		} else {
			snprintf(nm, sizeof(nm), "col%u", i + 1);
		}
		if (!first)
			fb_putc(b, ',');
		first = false;
		json_str(b, name, strlen(name));
		fb_putc(b, ':');
		json_value(b, &vals[i], ft);
	}
	fb_putc(b, '}');
}

static void json_value(sl_fbuf *b, const sl_value *v, const sl_dtype *t)
{
	switch ((sl_type)v->type) {
	case SL_NULL: fb_puts(b, "null"); break;
	case SL_BOOL: fb_puts(b, v->v.b ? "true" : "false"); break;
	case SL_INT:
	case SL_LONG: put_render(b, v); break;
	case SL_DOUBLE:
		/* NaN and the infinities are not JSON numbers: Jackson quotes
		 * them. */
		if (!isfinite(v->v.f64)) {
			fb_putc(b, '"');
			put_render(b, v);
			fb_putc(b, '"');
		} else {
			put_render(b, v);
		}
		break;
	case SL_STRING: json_str(b, v->v.str, v->len); break;
	case SL_BINARY: json_base64(b, v->v.bin, v->len); break;
	case SL_TIMESTAMP:
		fb_putc(b, '"');
		put_iso_ts(b, v->v.i64);
		fb_putc(b, '"');
		break;
	case SL_DATE:
		fb_putc(b, '"');
		put_render(b, v);
		fb_putc(b, '"');
		break;
	case SL_ARRAY:
		fb_putc(b, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				fb_putc(b, ',');
			json_value(b, &v->v.arr[i],
				   t && t->id == SL_ARRAY ? t->elem : NULL);
		}
		fb_putc(b, ']');
		break;
	case SL_STRUCT:
		json_struct(b, v->v.fields, v->len,
			    t && t->id == SL_STRUCT ? t->fields : NULL);
		break;
	}
}

static void encode_json(sl_fsink *st, const sl_schema *sc, sl_fbuf *b,
			const sl_value *row)
{
	bool first = true;

	fb_putc(b, '{');
	for (uint32_t i = 0; i < st->ndata; i++) {
		uint32_t c = st->data_cols[i];
		const char *name = sc->fields[c].name;

		if (sl_v_is_null(&row[c]))
			continue;
		if (!first)
			fb_putc(b, ',');
		first = false;
		json_str(b, name, strlen(name));
		fb_putc(b, ':');
		json_value(b, &row[c], sc->fields[c].type);
	}
	fb_put(b, "}\n", 2);
}

/* ---- CSV -------------------------------------------------------------- */

/* One CSV field, as Spark's writer (univocity) does it with the sink's
 * options: leading/trailing white space cut (ignoreLeadingWhiteSpace and
 * ignoreTrailingWhiteSpace default to true on write), then quoted when it
 * holds the separator, the quote, a line break, is empty (Spark's
 * emptyValue `""`), or equals nullValue (so that it reads back as the
 * string, not as null); inside quotes, quote and escape characters are
 * escaped. */
static void csv_field(const sl_fsink *st, const sl_fsink_conf *cf, sl_fbuf *b,
		      const char *s, size_t n)
{
	bool q = false;

	if (cf->trim_lead)
		while (n && (unsigned char)*s <= ' ') {
			s++;
			n--;
		}
	if (cf->trim_trail)
		while (n && (unsigned char)s[n - 1] <= ' ')
			n--;
	if (st->quote) {
		q = n == 0 || (n == st->null_len && st->null_len &&
			       !memcmp(s, st->null_value, n));
		for (size_t i = 0; i < n && !q; i++)
			q = s[i] == st->sep || s[i] == st->quote ||
			    s[i] == '\n' || s[i] == '\r';
	}
	if (!q) {
		fb_put(b, s, n);
		return;
	}
	fb_reserve(b, n + 2);
	b->p[b->len++] = st->quote;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == st->quote || (st->escape && s[i] == st->escape))
			fb_putc(b, st->escape ? st->escape : st->quote);
		fb_putc(b, s[i]);
	}
	fb_putc(b, st->quote);
}

static void encode_csv(sl_fsink *st, const sl_fsink_conf *cf, sl_fbuf *b,
		       const sl_value *row)
{
	for (uint32_t i = 0; i < st->ndata; i++) {
		const sl_value *v = &row[st->data_cols[i]];

		if (i)
			fb_putc(b, st->sep);
		if (sl_v_is_null(v)) {
			fb_put(b, st->null_value, st->null_len);
			continue;
		}
		st->cell.len = 0;
		if (v->type == SL_STRING) {
			csv_field(st, cf, b, v->v.str, v->len);
			continue;
		}
		if (v->type == SL_TIMESTAMP)
			put_iso_ts(&st->cell, v->v.i64);
		else
			put_render(&st->cell, v);
		csv_field(st, cf, b, st->cell.p, st->cell.len);
	}
	fb_putc(b, '\n');
}

static void csv_header(sl_fsink *st, const sl_fsink_conf *cf,
		       const sl_schema *sc, sl_fbuf *b)
{
	for (uint32_t i = 0; i < st->ndata; i++) {
		const char *name = sc->fields[st->data_cols[i]].name;

		if (i)
			fb_putc(b, st->sep);
		csv_field(st, cf, b, name, strlen(name));
	}
	fb_putc(b, '\n');
}

/* ---- text ------------------------------------------------------------- */

/* Spark's text writer: the string and a newline; a null is an empty
 * line. */
static void encode_text(sl_fsink *st, sl_fbuf *b, const sl_value *row)
{
	const sl_value *v = &row[st->data_cols[0]];

	if (v->type == SL_STRING)
		fb_put(b, v->v.str, v->len);
	fb_putc(b, '\n');
}

/* ---- partition directories -------------------------------------------- */

/* Characters Spark escapes in a partition directory name (as %XX, upper
 * case hex): control characters and "#%'*\/:=?\\{[]^ and DEL. */
static bool path_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c);
}

static void put_path_part(sl_fbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c && path_escape(c)) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			fb_put(b, e, 3);
		} else {
			fb_putc(b, (char)c);
		}
	}
}

/* The row's partition directory, "a=1/b=x", in st->key. */
static void partition_key(sl_fsink *st, const sl_schema *sc,
			  const sl_value *row)
{
	sl_fbuf *k = &st->key;

	k->len = 0;
	for (uint32_t i = 0; i < st->npart; i++) {
		uint32_t c = st->part_cols[i];
		const char *name = sc->fields[c].name;
		const sl_value *v = &row[c];
		size_t at;

		if (i)
			fb_putc(k, '/');
		put_path_part(k, name, strlen(name));
		fb_putc(k, '=');
		at = k->len;
		if (!sl_v_is_null(v)) {
			st->cell.len = 0;
			put_render(&st->cell, v);
			put_path_part(k, st->cell.p, st->cell.len);
		}
		if (k->len == at)
			fb_puts(k, SL_HIVE_NULL);
	}
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void index_put(sl_fsink *st, uint32_t d)
{
	uint32_t mask = st->index_cap - 1;
	uint32_t i = (uint32_t)st->dirs[d].hash & mask;

	while (st->index[i])
		i = (i + 1) & mask;
	st->index[i] = d + 1;
}

/* The directory entry for the partition in st->key, made on first sight. */
static fs_dir *dir_get(sl_fsink *st)
{
	const char *s = st->key.len ? st->key.p : "";
	size_t n = st->key.len;
	uint64_t h = hash_bytes(s, n);
	uint32_t mask, i;
	fs_dir *d;

	if (st->index_cap) {
		mask = st->index_cap - 1;
		for (i = (uint32_t)h & mask; st->index[i]; i = (i + 1) & mask) {
			d = &st->dirs[st->index[i] - 1];
			if (d->hash == h && strlen(d->rel) == n &&
			    !memcmp(d->rel, s, n))
				return d;
		}
	}
	if (st->ndirs == st->capdirs) {
		st->capdirs = st->capdirs ? st->capdirs * 2 : 8;
		st->dirs = xrealloc(st->dirs, st->capdirs * sizeof(*st->dirs));
	}
	d = &st->dirs[st->ndirs++];
	memset(d, 0, sizeof(*d));
	d->rel = xrealloc(NULL, n + 1);
	memcpy(d->rel, s, n);
	d->rel[n] = '\0';
	d->hash = h;
	d->file = -1;
	d->exists = n == 0; /* the output directory itself */
	/* Keep the index at most half full. */
	if (st->ndirs * 2 > st->index_cap) {
		st->index_cap = st->index_cap ? st->index_cap * 2 : 16;
		free(st->index);
		st->index = calloc(st->index_cap, sizeof(*st->index));
		if (!st->index)
			oom(st->index_cap * sizeof(*st->index));
		for (uint32_t j = 0; j < st->ndirs; j++)
			index_put(st, j);
	} else {
		index_put(st, st->ndirs - 1);
	}
	return d;
}

/* ---- I/O -------------------------------------------------------------- */

static int fail(sl_sink *sk, int e, const char *what, const char *rel)
{
	sl_fsink *st = sk->state;

	return sl_err_set(&sk->err, SL_EIO,
			  "file sink %s: cannot %s %s%s%s: %s", st->root, what,
			  st->root, *rel ? "/" : "", rel, strerror(e));
}

/* Adds rel to the directories to fsync at commit (once). */
static void sync_later(sl_fsink *st, const char *rel)
{
	for (uint32_t i = 0; i < st->nsync; i++)
		if (!strcmp(st->syncdirs[i], rel))
			return;
	if (st->nsync == st->capsync) {
		st->capsync = st->capsync ? st->capsync * 2 : 8;
		st->syncdirs =
			xrealloc(st->syncdirs, st->capsync * sizeof(char *));
	}
	st->syncdirs[st->nsync++] = xstrdup(rel);
}

/* mkdir -p of rel (relative to dfd) through io_uring. Each directory made
 * has its parent ("" for dfd itself) passed to made(), which must fsync
 * it before anything inside is relied on. Returns 0 or -errno with the
 * failing prefix left in rel. */
static int mkdirs_at(sl_uring *r, int dfd, char *rel,
		     void (*made)(void *, const char *), void *ud)
{
	size_t n = strlen(rel);

	for (size_t i = 1; i <= n; i++) {
		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		char saved = rel[i];
		rel[i] = '\0';
		int rc = sl_uring_mkdirat(r, dfd, rel, 0755);
		if (rc == 0 && made) {
			char *slash = strrchr(rel, '/');
			if (slash) {
				*slash = '\0';
				made(ud, rel);
				*slash = '/';
			} else {
				made(ud, "");
			}
		}
		if (rc < 0 && rc != -EEXIST)
			return rc;
		rel[i] = saved;
	}
	return 0;
}

static void made_cb(void *ud, const char *parent)
{
	sync_later(ud, parent);
}

/* Closes the open part files other than keep, to get file descriptors
 * back. They stay in the batch; commit reopens them to fsync. */
static void close_others(sl_fsink *st, sl_uring *r, int32_t keep)
{
	for (uint32_t i = 0; i < st->nfiles; i++)
		if ((int32_t)i != keep && st->files[i].fd >= 0) {
			sl_uring_close(r, st->files[i].fd);
			st->files[i].fd = -1;
		}
}

static int file_open(sl_sink *sk, sl_uring *r, uint32_t fi)
{
	sl_fsink *st = sk->state;
	fs_file *f = &st->files[fi];
	fs_dir *d = &st->dirs[f->dir];
	int flags = O_WRONLY | O_CLOEXEC | (f->created ? 0 : O_CREAT | O_EXCL);
	int fd;

	if (!d->exists) {
		int rc = mkdirs_at(r, st->root_fd, d->rel, made_cb, st);
		if (rc < 0)
			return fail(sk, -rc, "create directory", d->rel);
		d->exists = true;
	}
	fd = sl_uring_openat(r, st->root_fd, f->rel, flags, 0644);
	if (fd == -EMFILE || fd == -ENFILE) {
		close_others(st, r, (int32_t)fi);
		fd = sl_uring_openat(r, st->root_fd, f->rel, flags, 0644);
	}
	if (fd < 0)
		return fail(sk, -fd, f->created ? "open" : "create", f->rel);
	if (!f->created)
		d->sync = true;
	f->created = true;
	f->fd = fd;
	return 0;
}

/* Writes d's buffer to the end of its current file. */
static int dir_flush(sl_sink *sk, fs_dir *d)
{
	sl_fsink *st = sk->state;
	sl_uring *r = sl_uring_get();
	fs_file *f;
	ssize_t w;
	int rc;

	if (!d->buf.len || d->file < 0)
		return 0;
	f = &st->files[d->file];
	if (f->fd < 0 && (rc = file_open(sk, r, (uint32_t)d->file)) < 0)
		return rc;
	w = sl_uring_write(r, f->fd, d->buf.p, d->buf.len, (int64_t)f->size);
	if (w < 0)
		return fail(sk, (int)-w, "write", f->rel);
	f->size += d->buf.len;
	d->buf.len = 0;
	/* One giant row must not keep a giant buffer. */
	if (d->buf.cap > 4 * SL_FSINK_CHUNK) {
		fb_free(&d->buf);
	}
	return 0;
}

static void new_uuid(char out[37])
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u)) {
		uint64_t t = (uint64_t)sl_now_ns() ^ (uint64_t)getpid() << 40;
		memcpy(u, &t, 8);
		t = (uint64_t)sl_wall_us();
		memcpy(u + 8, &t, 8);
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Starts d's next part file: Spark's name part-00000-<uuid>.cNNN<ext>,
 * one uuid per batch, NNN counting the files of the directory. */
static void dir_start_file(sl_sink *sk, fs_dir *d)
{
	sl_fsink *st = sk->state;
	const sl_fsink_conf *cf = sk->conf;
	fs_file *f;

	if (!st->have_uuid) {
		new_uuid(st->uuid);
		st->have_uuid = true;
	}
	if (st->nfiles == st->capfiles) {
		st->capfiles = st->capfiles ? st->capfiles * 2 : 8;
		st->files =
			xrealloc(st->files, st->capfiles * sizeof(*st->files));
	}
	f = &st->files[st->nfiles];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->dir = (uint32_t)(d - st->dirs);
	st->key.len = 0;
	fb_printf(&st->key, "%s%spart-00000-%s.c%03u%s", d->rel,
		  *d->rel ? "/" : "", st->uuid, d->nfile, st->ext);
	fb_putc(&st->key, '\0');
	f->rel = xstrdup(st->key.p);
	d->file = (int32_t)st->nfiles++;
	d->nfile++;
	d->rows = 0;
	if (st->fmt == FMT_CSV && cf->header)
		csv_header(st, cf, sk->schema, &d->buf);
}

/* Finishes the batch's files (after the last flush): fsync and close each,
 * and fill sizes and times from the file system. */
static int files_sync(sl_sink *sk, int64_t *mtime_ms)
{
	sl_fsink *st = sk->state;
	sl_uring *r = sl_uring_get();

	for (uint32_t i = 0; i < st->nfiles; i++) {
		fs_file *f = &st->files[i];
		struct statx sx;
		int rc;

		if (!f->created) {
			/* maxRecordsPerFile rolled at the end of the data, or
			 * a header-less empty start: nothing to publish. */
			mtime_ms[i] = -1;
			continue;
		}
		if (f->fd < 0 && (rc = file_open(sk, r, i)) < 0)
			return rc;
		rc = sl_uring_fsync(r, f->fd, false);
		if (rc < 0)
			return fail(sk, -rc, "fsync", f->rel);
		rc = sl_uring_statx(r, f->fd, "", AT_EMPTY_PATH,
				    STATX_SIZE | STATX_MTIME, &sx);
		if (rc < 0)
			return fail(sk, -rc, "stat", f->rel);
		f->size = sx.stx_size;
		mtime_ms[i] = (int64_t)sx.stx_mtime.tv_sec * 1000 +
			      sx.stx_mtime.tv_nsec / 1000000;
		sl_uring_close(r, f->fd);
		f->fd = -1;
	}
	return 0;
}

/* fsyncs directory rel ("" the output directory). */
static int dir_sync(sl_sink *sk, sl_uring *r, const char *rel)
{
	sl_fsink *st = sk->state;
	int fd, rc;

	if (!*rel)
		return (rc = sl_uring_fsync(r, st->root_fd, false)) < 0
			       ? fail(sk, -rc, "fsync directory", "")
			       : 0;
	fd = sl_uring_openat(r, st->root_fd, rel,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fail(sk, -fd, "open directory", rel);
	rc = sl_uring_fsync(r, fd, false);
	sl_uring_close(r, fd);
	return rc < 0 ? fail(sk, -rc, "fsync directory", rel) : 0;
}

/* Makes the new entries of this batch durable: every directory a part
 * file was created in, and the parents of directories made. Deepest
 * first is not needed: all are synced before the manifest is written. */
static int dirs_sync(sl_sink *sk)
{
	sl_fsink *st = sk->state;
	sl_uring *r = sl_uring_get();
	int rc;

	for (uint32_t i = 0; i < st->ndirs; i++)
		if (st->dirs[i].sync)
			sync_later(st, st->dirs[i].rel);
	for (uint32_t i = 0; i < st->nsync; i++)
		if ((rc = dir_sync(sk, r, st->syncdirs[i])) < 0)
			return rc;
	return 0;
}

/* Deletes the batch's files (a replayed batch, or one that will never
 * commit). */
static void files_remove(sl_fsink *st)
{
	sl_uring *r = sl_uring_get();

	for (uint32_t i = 0; i < st->nfiles; i++) {
		fs_file *f = &st->files[i];

		if (f->fd >= 0)
			sl_uring_close(r, f->fd);
		f->fd = -1;
		if (f->created)
			sl_uring_unlinkat(r, st->root_fd, f->rel, 0);
		f->created = false;
	}
}

/* Forgets the batch: its files, buffers and per-batch marks. */
static void batch_reset(sl_fsink *st)
{
	for (uint32_t i = 0; i < st->nfiles; i++)
		free(st->files[i].rel);
	st->nfiles = 0;
	for (uint32_t i = 0; i < st->nsync; i++)
		free(st->syncdirs[i]);
	st->nsync = 0;
	for (uint32_t i = 0; i < st->ndirs; i++) {
		fs_dir *d = &st->dirs[i];

		d->buf.len = 0;
		d->file = -1;
		d->nfile = 0;
		d->rows = 0;
		d->sync = false;
	}
	st->have_uuid = false;
}

/* ---- the manifest ----------------------------------------------------- */

/* Appends path as the path of a file: URI, as Hadoop's Path.toUri prints
 * it: ASCII outside the characters a URI path may hold is percent-encoded
 * (so a partition directory's own %XX escapes become %25XX); other bytes
 * stay as they are. */
static void put_uri_path(sl_fbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.!~*'()/,;:$&+=@", c)) {
			fb_putc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			fb_put(b, e, 3);
		}
	}
}

/* Spark's manifest: "v1", then one SinkFileStatus per line. */
static void manifest_build(sl_fsink *st, const int64_t *mtime_ms)
{
	sl_fbuf *m = &st->man;

	m->len = 0;
	fb_puts(m, "v1");
	for (uint32_t i = 0; i < st->nfiles; i++) {
		const fs_file *f = &st->files[i];

		if (mtime_ms[i] < 0)
			continue;
		st->cell.len = 0;
		fb_puts(&st->cell, "file://");
		put_uri_path(&st->cell, st->root);
		fb_putc(&st->cell, '/');
		put_uri_path(&st->cell, f->rel);
		fb_puts(m, "\n{\"path\":");
		json_str(m, st->cell.p, st->cell.len);
		fb_printf(m,
			  ",\"size\":%" PRIu64 ",\"isDir\":false,"
			  "\"modificationTime\":%" PRId64
			  ",\"blockReplication\":1,\"blockSize\":%d,"
			  "\"action\":\"add\"}",
			  f->size, mtime_ms[i], SL_FSINK_BLOCK_SIZE);
	}
}

/* Writes _spark_metadata/<epoch> crash-safely: a temporary file, fsync,
 * rename (refusing to replace: a manifest that appeared meanwhile wins),
 * fsync of the directory. Returns 0, 1 if the manifest already existed
 * (nothing written), or < 0 with sk->err set. */
static int manifest_write(sl_sink *sk, int64_t epoch)
{
	sl_fsink *st = sk->state;
	sl_uring *r = sl_uring_get();
	char name[32], tmp[96], rel[128];
	int fd, rc;

	snprintf(name, sizeof(name), "%" PRId64, epoch);
	snprintf(tmp, sizeof(tmp), ".%s.%s.tmp", name,
		 st->have_uuid ? st->uuid : "empty");
	snprintf(rel, sizeof(rel), SL_META_DIR "/%s", tmp);
	fd = sl_uring_openat(r, st->meta_fd, tmp,
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(sk, -fd, "create", rel);
	ssize_t w = sl_uring_write(r, fd, st->man.p, st->man.len, 0);
	rc = w < 0 ? (int)w : sl_uring_fsync(r, fd, false);
	sl_uring_close(r, fd);
	if (rc < 0) {
		sl_uring_unlinkat(r, st->meta_fd, tmp, 0);
		return fail(sk, -rc, w < 0 ? "write" : "fsync", rel);
	}
	rc = sl_uring_renameat(r, st->meta_fd, tmp, st->meta_fd, name,
			       RENAME_NOREPLACE);
	if (rc == -EINVAL)
		/* A file system without RENAME_NOREPLACE: the existence
		 * check at commit is all there is (one writer per path). */
		rc = sl_uring_renameat(r, st->meta_fd, tmp, st->meta_fd, name,
				       0);
	if (rc == -EEXIST) {
		sl_uring_unlinkat(r, st->meta_fd, tmp, 0);
		return 1;
	}
	snprintf(rel, sizeof(rel), SL_META_DIR "/%s", name);
	if (rc < 0) {
		sl_uring_unlinkat(r, st->meta_fd, tmp, 0);
		return fail(sk, -rc, "rename into", rel);
	}
	rc = sl_uring_fsync(r, st->meta_fd, false);
	if (rc < 0)
		return fail(sk, -rc, "fsync directory", SL_META_DIR);
	return 0;
}

/* true when _spark_metadata/<epoch> exists. */
static bool manifest_exists(sl_fsink *st, int64_t epoch)
{
	struct statx sx;
	char name[32];

	snprintf(name, sizeof(name), "%" PRId64, epoch);
	return sl_uring_statx(sl_uring_get(), st->meta_fd, name,
			      AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx) == 0;
}

/* A manifest name: a batch number ("12"), or "12.compact" when compact is
 * not NULL. Returns the number or -1. */
static int64_t manifest_id(const char *s, bool *compact)
{
	int64_t v = 0;
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9' && i < 18; i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || (s[0] == '0' && i > 1))
		return -1;
	if (s[i] == '\0') {
		if (compact)
			*compact = false;
		return v;
	}
	if (compact && !strcmp(s + i, ".compact")) {
		*compact = true;
		return v;
	}
	return -1;
}

/* The highest batch number in the manifest directory, -1 if none. */
static int64_t manifest_latest(int meta_fd)
{
	int64_t latest = -1;
	struct dirent *de;
	int fd = dup(meta_fd);
	DIR *dp;

	if (fd < 0 || !(dp = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(dp);
	while ((de = readdir(dp)) != NULL) {
		bool c;
		int64_t id = manifest_id(de->d_name, &c);

		if (id > latest)
			latest = id;
	}
	closedir(dp);
	return latest;
}

/* ---- options ---------------------------------------------------------- */

/* The CSV options' characters and their checks are shared with the csv
 * source and sink (io/csv.c). */
#define opt_char sl_csv_opt_char

static const char *validate_csv(const void *conf)
{
	const sl_fsink_conf *c = conf;
	return sl_csv_check_chars(c->sep, c->quote, c->escape);
}

#define FSINK_OPT_COMMON                                                       \
	{ .name = "path",                                                      \
	  .type = SL_OPT_STRING,                                               \
	  .offset = offsetof(sl_fsink_conf, path),                             \
	  .required = true,                                                    \
	  .desc = "Output directory (made if missing). Part files go "         \
		  "there, the manifest log in its _spark_metadata." },         \
		{ .name = "partitionBy",                                       \
		  .type = SL_OPT_STRING,                                       \
		  .offset = offsetof(sl_fsink_conf, partition_by),             \
		  .desc = "Comma-separated columns: rows go to Hive-style "    \
			  "directories col=value/, and those columns are "     \
			  "left out "                                          \
			  "of the files." },                                   \
	{                                                                      \
		.name = "maxRecordsPerFile", .type = SL_OPT_INT,               \
		.offset = offsetof(sl_fsink_conf, max_records), .min = 0,      \
		.max = INFINITY, .def = "0",                                   \
		.desc = "Most rows per part file (0: no limit); a "            \
			"directory's "                                         \
			"batch goes to files .c000, .c001, ..."                \
	}

static const sl_opt_def json_options[] = {
	FSINK_OPT_COMMON,
	{ .name = NULL },
};

static const sl_opt_def text_options[] = {
	FSINK_OPT_COMMON,
	{ .name = NULL },
};

static const sl_opt_def csv_options[] = {
	FSINK_OPT_COMMON,
	{ .name = "header",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(sl_fsink_conf, header),
	  .def = "false",
	  .desc = "Write the column names as the first line of each file." },
	{ .name = "sep",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(sl_fsink_conf, sep),
	  .def = ",",
	  .validate = validate_csv,
	  .desc = "Field separator: one character (\"\\t\" for a tab)." },
	{ .name = "quote",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(sl_fsink_conf, quote),
	  .def = "\"",
	  .desc = "Quote character for fields that need it; \"\" turns "
		  "quoting off." },
	{ .name = "escape",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(sl_fsink_conf, escape),
	  .def = "\\",
	  .desc = "Escapes quote and escape characters inside a quoted "
		  "field." },
	{ .name = "nullValue",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(sl_fsink_conf, null_value),
	  .def = "",
	  .desc = "Text written for a null." },
	{ .name = "ignoreLeadingWhiteSpace",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(sl_fsink_conf, trim_lead),
	  .def = "true",
	  .desc = "Cut white space at the start of values (Spark's write "
		  "default)." },
	{ .name = "ignoreTrailingWhiteSpace",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(sl_fsink_conf, trim_trail),
	  .def = "true",
	  .desc = "Cut white space at the end of values (Spark's write "
		  "default)." },
	{ .name = NULL },
};

/* ---- init ------------------------------------------------------------- */

static const char *fmt_name(enum sl_fsink_fmt f)
{
	return f == FMT_JSON ? "json" : f == FMT_CSV ? "csv" : "text";
}

static int type_error(sl_err *err, enum sl_fsink_fmt f, const sl_dtype *t,
		      const char *col, const char *why)
{
	char tn[128];

	sl_dtype_name(t, tn, sizeof(tn));
	return sl_err_set(err, SL_EANALYSIS, "sink '%s': column '%s' is %s: %s",
			  fmt_name(f), col, tn, why);
}

/* Resolves partitionBy against the schema and checks what each format can
 * write; fills part_cols and data_cols. */
static int columns_init(sl_sink *sk, sl_fsink *st, sl_err *err)
{
	const sl_fsink_conf *cf = sk->conf;
	const sl_schema *sc = sk->schema;
	uint32_t n = sc ? sc->n : 0;
	const char *p = cf->partition_by ? cf->partition_by : "";
	bool *is_part = calloc(n ? n : 1, sizeof(bool));
	int rc = 0;

	st->part_cols = calloc(n ? n : 1, sizeof(uint32_t));
	st->data_cols = calloc(n ? n : 1, sizeof(uint32_t));
	if (!is_part || !st->part_cols || !st->data_cols)
		oom(n * sizeof(uint32_t));
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;
		int c;

		while (len && (*q == ' ' || *q == '\t')) {
			q++;
			len--;
		}
		while (len && (q[len - 1] == ' ' || q[len - 1] == '\t'))
			len--;
		p = e ? e + 1 : p + strlen(p);
		if (!len)
			continue;
		c = sl_schema_find(sc, q, len);
		if (c < 0) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"sink '%s': partitionBy column '%.*s' "
					"is not a column of the query (%u "
					"columns)",
					fmt_name(st->fmt), (int)len, q, n);
			goto out;
		}
		if (is_part[c]) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"sink '%s': partitionBy names column "
					"'%s' twice",
					fmt_name(st->fmt), sc->fields[c].name);
			goto out;
		}
		sl_type id = sc->fields[c].type->id;
		if (id == SL_ARRAY || id == SL_STRUCT || id == SL_BINARY) {
			rc = type_error(err, st->fmt, sc->fields[c].type,
					sc->fields[c].name,
					"cannot be a partition column");
			goto out;
		}
		is_part[c] = true;
		st->part_cols[st->npart++] = (uint32_t)c;
	}
	for (uint32_t c = 0; c < n; c++)
		if (!is_part[c])
			st->data_cols[st->ndata++] = c;
	if (n && st->ndata == 0) {
		rc = sl_err_set(err, SL_EANALYSIS,
				"sink '%s': cannot use all columns as "
				"partitionBy columns: nothing would be left to "
				"write",
				fmt_name(st->fmt));
		goto out;
	}
	if (st->fmt == FMT_TEXT) {
		if (st->ndata != 1) {
			rc = sl_err_set(
				err, SL_EANALYSIS,
				"sink 'text' writes a single STRING "
				"column, and the query has %u (besides "
				"partitionBy columns); select one, e.g. "
				"CAST(x AS STRING) AS value",
				st->ndata);
			goto out;
		}
		uint32_t c = st->data_cols[0];
		if (sc->fields[c].type->id != SL_STRING) {
			rc = type_error(err, st->fmt, sc->fields[c].type,
					sc->fields[c].name,
					"the text sink writes a single STRING "
					"column (cast it: CAST(x AS STRING))");
			goto out;
		}
	}
	if (st->fmt == FMT_CSV)
		for (uint32_t i = 0; i < st->ndata; i++) {
			const sl_field *f = &sc->fields[st->data_cols[i]];
			sl_type id = f->type->id;

			if (id == SL_ARRAY || id == SL_STRUCT ||
			    id == SL_BINARY) {
				rc = type_error(err, st->fmt, f->type, f->name,
						"CSV cannot hold this type "
						"(use json, or cast it to a "
						"string)");
				goto out;
			}
		}
out:
	free(is_part);
	return rc;
}

/* A directory of the output path was made: fsync its parent so that it
 * survives a crash (ud: the path, to tell "/" from "." for a first
 * component). */
static void init_made(void *ud, const char *parent)
{
	sl_uring *r = sl_uring_get();
	const char *p = *parent ? parent : *(const char *)ud == '/' ? "/" : ".";
	int fd = sl_uring_openat(r, AT_FDCWD, p,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (fd >= 0) {
		sl_uring_fsync(r, fd, false);
		sl_uring_close(r, fd);
	}
}

/* Makes (mkdir -p) and opens the output directory and its manifest
 * directory. */
static int dirs_init(sl_sink *sk, sl_fsink *st, sl_err *err)
{
	const sl_fsink_conf *cf = sk->conf;
	sl_uring *r = sl_uring_get();
	char *p = xstrdup(cf->path);
	int rc;

	rc = mkdirs_at(r, AT_FDCWD, p, init_made, p);
	if (rc < 0) {
		sl_err_set(err, SL_EIO,
			   "sink '%s': cannot create directory %s: %s",
			   fmt_name(st->fmt), p, strerror(-rc));
		free(p);
		return SL_EIO;
	}
	free(p);
	st->root_fd = sl_uring_openat(r, AT_FDCWD, cf->path,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (st->root_fd < 0)
		return sl_err_set(err, SL_EIO, "sink '%s': cannot open %s: %s",
				  fmt_name(st->fmt), cf->path,
				  st->root_fd == -ENOTDIR
					  ? "not a directory"
					  : strerror(-st->root_fd));
	st->root = realpath(cf->path, NULL);
	if (!st->root)
		return sl_err_set(err, SL_EIO,
				  "sink '%s': cannot resolve %s: %s",
				  fmt_name(st->fmt), cf->path, strerror(errno));
	rc = sl_uring_mkdirat(r, st->root_fd, SL_META_DIR, 0755);
	if (rc == 0)
		sl_uring_fsync(r, st->root_fd, false);
	st->meta_fd = sl_uring_openat(r, st->root_fd, SL_META_DIR,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (st->meta_fd < 0)
		return sl_err_set(
			err, SL_EIO,
			"sink '%s': cannot open %s/" SL_META_DIR ": %s",
			fmt_name(st->fmt), st->root, strerror(-st->meta_fd));
	st->latest = manifest_latest(st->meta_fd);
	return 0;
}

static void fsink_free(sl_fsink *st)
{
	sl_uring *r = sl_uring_get();

	batch_reset(st);
	for (uint32_t i = 0; i < st->ndirs; i++) {
		free(st->dirs[i].rel);
		fb_free(&st->dirs[i].buf);
	}
	free(st->dirs);
	free(st->index);
	free(st->files);
	free(st->syncdirs);
	free(st->part_cols);
	free(st->data_cols);
	fb_free(&st->key);
	fb_free(&st->cell);
	fb_free(&st->man);
	if (st->meta_fd >= 0)
		sl_uring_close(r, st->meta_fd);
	if (st->root_fd >= 0)
		sl_uring_close(r, st->root_fd);
	free(st->root);
	free(st);
}

static int fsink_init(sl_sink *sk, enum sl_fsink_fmt fmt, sl_err *err)
{
	const sl_fsink_conf *cf = sk->conf;
	sl_fsink *st;
	int rc;

	if (!cf || !cf->path || !*cf->path)
		return sl_err_set(err, SL_EOPTION,
				  "sink '%s': option 'path' is required (the "
				  "output directory)",
				  fmt_name(fmt));
	st = calloc(1, sizeof(*st));
	if (!st)
		oom(sizeof(*st));
	st->fmt = fmt;
	st->ext = fmt == FMT_JSON ? ".json" : fmt == FMT_CSV ? ".csv" : ".txt";
	st->root_fd = st->meta_fd = -1;
	st->latest = -1;
	if (fmt == FMT_CSV) {
		st->sep = (char)opt_char(cf->sep);
		st->quote = (char)opt_char(cf->quote);
		st->escape = (char)opt_char(cf->escape);
		st->null_value = cf->null_value ? cf->null_value : "";
		st->null_len = strlen(st->null_value);
	}
	if ((rc = columns_init(sk, st, err)) < 0 ||
	    (rc = dirs_init(sk, st, err)) < 0) {
		fsink_free(st);
		return rc;
	}
	sk->state = st;
	return 0;
}

static int json_init(sl_sink *sk, sl_err *err)
{
	return fsink_init(sk, FMT_JSON, err);
}

static int csv_init(sl_sink *sk, sl_err *err)
{
	return fsink_init(sk, FMT_CSV, err);
}

static int text_init(sl_sink *sk, sl_err *err)
{
	return fsink_init(sk, FMT_TEXT, err);
}

/* ---- write, commit, destroy ------------------------------------------- */

static int fsink_write(sl_sink *sk, sl_batch *b)
{
	sl_fsink *st = sk->state;
	const sl_fsink_conf *cf = sk->conf;
	const sl_schema *sc = sk->schema;
	fs_dir *d = NULL;
	int rc;

	if (st->npart == 0 && b->nrows) {
		st->key.len = 0;
		d = dir_get(st);
	}
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);

		if (st->npart) {
			partition_key(st, sc, row);
			d = dir_get(st);
		}
		if (d->file < 0)
			dir_start_file(sk, d);
		switch (st->fmt) {
		case FMT_JSON: encode_json(st, sc, &d->buf, row); break;
		case FMT_CSV: encode_csv(st, cf, &d->buf, row); break;
		case FMT_TEXT: encode_text(st, &d->buf, row); break;
		}
		d->rows++;
		if (cf->max_records > 0 && d->rows >= cf->max_records) {
			/* The file is full: the next row starts .c<N+1>. */
			if ((rc = dir_flush(sk, d)) < 0)
				return rc;
			d->file = -1;
		} else if (d->buf.len >= SL_FSINK_CHUNK &&
			   (rc = dir_flush(sk, d)) < 0) {
			return rc;
		}
	}
	return 0;
}

static int fsink_commit(sl_sink *sk, int64_t epoch)
{
	sl_fsink *st = sk->state;
	int64_t *mtime = NULL;
	int rc = 0;

	for (uint32_t i = 0; i < st->ndirs; i++)
		if ((rc = dir_flush(sk, &st->dirs[i])) < 0)
			goto out;

	if (epoch <= st->latest || manifest_exists(st, epoch)) {
		/* A replay of a batch that is already visible. */
		if (!st->warned)
			fprintf(stderr,
				"sluice: file sink %s: batch %" PRId64
				" is already committed in " SL_META_DIR
				"; its rows are dropped as a replay\n",
				st->root, epoch);
		st->warned = true;
		files_remove(st);
		goto out;
	}
	mtime = calloc(st->nfiles ? st->nfiles : 1, sizeof(*mtime));
	if (!mtime)
		oom(st->nfiles * sizeof(*mtime));
	if ((rc = files_sync(sk, mtime)) < 0 || (rc = dirs_sync(sk)) < 0)
		goto out;
	manifest_build(st, mtime);
	rc = manifest_write(sk, epoch);
	if (rc == 1) {
		/* Committed by another writer between the check and now. */
		files_remove(st);
		rc = 0;
	}
	if (rc == 0 && epoch > st->latest)
		st->latest = epoch;
out:
	free(mtime);
	if (rc < 0) {
		/* The batch will be replayed after the failure: what it
		 * wrote is garbage now. */
		files_remove(st);
	}
	batch_reset(st);
	return rc;
}

static void fsink_destroy(sl_sink *sk)
{
	sl_fsink *st = sk->state;

	if (!st)
		return;
	/* Files of a batch that never committed are invisible anyway;
	 * remove them rather than leave garbage. */
	files_remove(st);
	fsink_free(st);
	sk->state = NULL;
}

#define FSINK_OPS(fmt_, init_, opts_, desc_)                                   \
	{                                                                      \
		.name = fmt_, .description = desc_, .options = opts_,          \
		.conf_size = sizeof(sl_fsink_conf),                            \
		.modes = SL_MODE_BIT(SL_MODE_APPEND), .continuous = false,     \
		.init = init_, .write = fsink_write, .commit = fsink_commit,   \
		.destroy = fsink_destroy,                                      \
	}

const sl_sink_ops sl_sink_file_json =
	FSINK_OPS("json", json_init, json_options,
		  "Writes JSON lines files into a directory, each micro-batch "
		  "made visible exactly once by the _spark_metadata log, as "
		  "Spark's file sink.");
const sl_sink_ops sl_sink_file_csv =
	FSINK_OPS("csv", csv_init, csv_options,
		  "Writes CSV files into a directory, each micro-batch made "
		  "visible exactly once by the _spark_metadata log, as "
		  "Spark's file sink.");
const sl_sink_ops sl_sink_file_text =
	FSINK_OPS("text", text_init, text_options,
		  "Writes one STRING column as lines of text files into a "
		  "directory, each micro-batch made visible exactly once by "
		  "the _spark_metadata log, as Spark's file sink.");

/* ---- reading the manifest --------------------------------------------- */

/* Reads name in dfd whole, through io_uring. */
static int read_whole(sl_uring *r, int dfd, const char *name, char **out,
		      size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xrealloc(NULL, cap + 1);
	int fd = sl_uring_openat(r, dfd, name, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		free(buf);
		return fd;
	}
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t k = sl_uring_pread(r, fd, buf + n, cap - n, n);
		if (k < 0) {
			sl_uring_close(r, fd);
			free(buf);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	sl_uring_close(r, fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A manifest path ("file:///a/b%20c", "file:/a/b", "/a/b") as a local
 * path, malloc'd. */
static char *uri_to_path(const char *u)
{
	const char *s = u;
	char *out, *w;
	bool uri = false;

	if (!strncmp(s, "file://", 7)) {
		s += 7;
		uri = true;
	} else if (!strncmp(s, "file:", 5)) {
		s += 5;
		uri = true;
	}
	out = w = xrealloc(NULL, strlen(s) + 1);
	for (; *s; s++) {
		int h, l;

		if (uri && *s == '%' && (h = hexval(s[1])) >= 0 &&
		    (l = hexval(s[2])) >= 0) {
			*w++ = (char)(h << 4 | l);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return out;
}

typedef struct fs_list {
	char **v;
	size_t n, cap;
} fs_list;

static void list_apply(fs_list *l, const char *uri, bool add)
{
	char *p = uri_to_path(uri);

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], p)) {
			if (!add) {
				free(l->v[i]);
				memmove(l->v + i, l->v + i + 1,
					(l->n - i - 1) * sizeof(char *));
				l->n--;
			}
			free(p);
			return;
		}
	if (!add) {
		free(p);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = p;
}

/* Applies one manifest file's entries to l. */
static int list_read(sl_uring *r, int meta_fd, const char *dirpath,
		     const char *name, fs_list *l, sl_err *err)
{
	char *body = NULL, *line, *next;
	size_t len;
	int rc = read_whole(r, meta_fd, name, &body, &len);

	if (rc < 0)
		return sl_err_set(err, SL_EIO, "cannot read %s/%s: %s", dirpath,
				  name, strerror(-rc));
	next = strchr(body, '\n');
	if (next)
		*next++ = '\0';
	if (body[0] != 'v' || strtol(body + 1, NULL, 10) != 1) {
		rc = sl_err_set(err, SL_EINVAL,
				"%s/%s is not a file sink manifest (first line "
				"'%.20s', wanted 'v1')",
				dirpath, name, body);
		goto out;
	}
	for (line = next; line && *line; line = next) {
		json_error_t je;
		json_t *j, *path, *action;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		j = json_loads(line, 0, &je);
		path = json_object_get(j, "path");
		action = json_object_get(j, "action");
		if (!json_is_string(path)) {
			json_decref(j);
			rc = sl_err_set(err, SL_EINVAL,
					"%s/%s: bad entry '%.60s'", dirpath,
					name, line);
			goto out;
		}
		list_apply(l, json_string_value(path),
			   !json_is_string(action) ||
				   strcmp(json_string_value(action),
					  "delete") != 0);
		json_decref(j);
	}
out:
	free(body);
	return rc;
}

typedef struct fs_mentry {
	int64_t id;
	bool compact;
	char name[NAME_MAX + 1];
} fs_mentry;

static int mentry_cmp(const void *a, const void *b)
{
	const fs_mentry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->compact - (int)y->compact;
}

int sl_file_sink_list(const char *path, char ***files, size_t *n, sl_err *err)
{
	sl_uring *r = sl_uring_get();
	fs_list l = { 0 };
	fs_mentry *m = NULL;
	size_t nm = 0, cap = 0, from = 0;
	char meta[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int fd, rc = 0;

	*files = NULL;
	*n = 0;
	snprintf(meta, sizeof(meta), "%s/" SL_META_DIR, path);
	fd = sl_uring_openat(r, AT_FDCWD, meta,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return sl_err_set(err, SL_ENOTFOUND,
				  "%s has no " SL_META_DIR
				  ": not the output of a file sink",
				  path);
	if (fd < 0)
		return sl_err_set(err, SL_EIO, "cannot open %s: %s", meta,
				  strerror(-fd));
	/* Names come from getdents (no io_uring operation lists a
	 * directory); the reads go through the ring. */
	int lfd = dup(fd);
	if (lfd < 0 || !(dp = fdopendir(lfd))) {
		rc = sl_err_set(err, SL_EIO, "cannot list %s: %s", meta,
				strerror(errno));
		if (lfd >= 0)
			close(lfd);
		sl_uring_close(r, fd);
		return rc;
	}
	while ((de = readdir(dp)) != NULL) {
		bool compact;
		int64_t id = manifest_id(de->d_name, &compact);

		if (id < 0)
			continue;
		if (nm == cap) {
			cap = cap ? cap * 2 : 16;
			m = xrealloc(m, cap * sizeof(*m));
		}
		m[nm].id = id;
		m[nm].compact = compact;
		memcpy(m[nm].name, de->d_name, strlen(de->d_name) + 1);
		nm++;
	}
	closedir(dp);
	qsort(m, nm, sizeof(*m), mentry_cmp);
	/* A compact file holds everything up to its batch: start there. */
	for (size_t i = 0; i < nm; i++)
		if (m[i].compact)
			from = i;
	for (size_t i = from; i < nm && rc == 0; i++) {
		if (i > from && m[i].id == m[i - 1].id)
			continue; /* N and N.compact: the same batch */
		rc = list_read(r, fd, meta, m[i].name, &l, err);
	}
	sl_uring_close(r, fd);
	free(m);
	if (rc < 0) {
		sl_file_sink_list_free(l.v, l.n);
		return rc;
	}
	*files = l.v;
	*n = l.n;
	return 0;
}

void sl_file_sink_list_free(char **files, size_t n)
{
	if (!files)
		return;
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
