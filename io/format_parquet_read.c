/* io/format_parquet_read.c - the Parquet reader of the file source and
 * static tables. A file is read footer first: the magic at both ends, the
 * FileMetaData (io/parquet_meta.c), then each row group's column chunks
 * of the schema's columns (only those: a schema that names fewer columns
 * than the file has reads fewer bytes), one io_uring read each
 * (io/uring.h). A chunk's pages are decoded one at a time: dictionary
 * pages, data pages v1 and v2, definition levels in the RLE/bit-packed
 * hybrid, PLAIN, dictionary (PLAIN_DICTIONARY, RLE_DICTIONARY),
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT values (the last four made PLAIN first), uncompressed,
 * snappy, gzip or zstd. Columns are matched by name, case-insensitively, as Spark does;
 * a column the file lacks reads as nulls.
 *
 * Without a schema option the schema is the footer's, as Spark infers it:
 * the first Parquet file of the directory by name, every column nullable.
 * Every fault in a file (bad magic, a truncated or damaged footer or page,
 * an encoding or type sluice does not read) is an error naming the file,
 * the byte offset of the footer, column chunk or page, and the problem. */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/parquet.h"

/* How a column's stored values become sluice's values. */
enum {
	CV_BOOL,
	CV_INT,    /* INT32 as INT (or widened to SMALLINT/INT) */
	CV_I8,     /* INT32 as TINYINT */
	CV_I16,    /* INT32 as SMALLINT */
	CV_I32_LONG,
	CV_I32_DOUBLE,
	CV_DATE,
	CV_LONG,
	CV_I64_DOUBLE,
	CV_TS_US,
	CV_TS_MS,
	CV_INT96,
	CV_FLOAT,
	CV_DOUBLE,
	CV_STR,
	CV_BIN,
};

/* Values of one page at most (a row group may have more in its pages). */
#define PQ_MAX_PAGE_VALUES (1 << 26)

struct pq_rcol {
	const char *name;
	int leaf; /* the file's leaf column, -1: not in the file (nulls) */
	const pq_selem *el;
	int conv, max_def;
	int64_t rg_rows; /* rows of the open row group */
	/* The open row group's chunk. */
	uint8_t *chunk;
	size_t clen, cpos;
	int codec;
	sl_value *dict;
	uint32_t ndict;
	uint8_t *dict_mem;
	/* The open page's values. */
	uint8_t *page;
	size_t pagecap;
	sl_value *vals;
	uint32_t nvals, at;
	size_t capvals;
	uint32_t *lv;
	size_t caplv;
	sl_value *tmp;
	size_t captmp;
	/* A DELTA_* or BYTE_STREAM_SPLIT page's values as PLAIN bytes, and
	 * the integers of its delta streams. */
	uint8_t *dec;
	size_t capdec;
	uint64_t *u64;
	size_t capu64;
	int64_t chunk_at; /* the open chunk's file offset */
	int64_t page_at;  /* the open page header's file offset */
};

struct pq_rd {
	int fd;
	int64_t size;
	sl_arena a;
	pq_meta m;
	struct pq_rcol *cols;
	uint32_t ncols;
	uint32_t rg;     /* the next row group */
	int64_t rg_left; /* rows left in the open one */
};

static int fail(sl_format_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(sl_format_reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_err_set(&r->err, SL_EIO, "source '%s': %s: %s",
			  r->scan->component, r->path, msg);
}

/* A fault of column c's open chunk or page: "column 'C' (page at byte
 * N): why", the page's offset in the file when a page is open. */
static int failc(sl_format_reader *r, const struct pq_rcol *c,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int failc(sl_format_reader *r, const struct pq_rcol *c,
		 const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->page_at > 0)
		return fail(r, "column '%s' (page at byte %lld): %s", c->name,
			    (long long)c->page_at, msg);
	return fail(r, "column '%s' (column chunk at byte %lld): %s",
		    c->name, (long long)c->chunk_at, msg);
}

static const char *encoding_name(int e)
{
	static const char *const names[] = {
		"PLAIN",	       "GROUP_VAR_INT",	  "PLAIN_DICTIONARY",
		"RLE",		       "BIT_PACKED",	  "DELTA_BINARY_PACKED",
		"DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY",
		"BYTE_STREAM_SPLIT",
	};

	return e >= 0 && e < 10 ? names[e] : "unknown";
}

/* ---- the file's columns ----------------------------------------------- */

/* A top-level column of the file: its schema element and its first leaf
 * (chunk index); a group's leaves are counted, not read. */
struct pq_top {
	const pq_selem *el;
	int leaf;
};

/* The element after the subtree at i, counting its leaves. */
static uint32_t subtree_end(const pq_meta *m, uint32_t i, int *leaves,
			    int depth)
{
	uint32_t n = (uint32_t)(m->schema[i].num_children > 0
					? m->schema[i].num_children
					: 0);

	if (depth > 64)
		return m->nschema;
	if (!n) {
		(*leaves)++;
		return i + 1;
	}
	i++;
	for (uint32_t k = 0; k < n && i < m->nschema; k++)
		i = subtree_end(m, i, leaves, depth + 1);
	return i;
}

/* The file's top-level columns; their count, or -1 if the schema does not
 * add up. */
static int file_columns(const pq_meta *m, struct pq_top **out, sl_arena *a)
{
	int32_t n = m->schema[0].num_children;
	uint32_t i = 1;
	int leaves = 0;
	struct pq_top *t;

	if (n < 0 || (uint32_t)n >= m->nschema)
		return -1;
	t = sl_arena_calloc(a, ((size_t)n + 1) * sizeof(*t));
	for (int32_t k = 0; k < n; k++) {
		if (i >= m->nschema)
			return -1;
		t[k].el = &m->schema[i];
		t[k].leaf = leaves;
		i = subtree_end(m, i, &leaves, 0);
	}
	for (uint32_t g = 0; g < m->nrgs; g++)
		if (m->rgs[g].ncols != (uint32_t)leaves)
			return -1;
	*out = t;
	return n;
}

/* sluice's type of a file column, or a message. */
static int file_column_type(const struct pq_top *t, const sl_dtype **out,
			    char *why, size_t n)
{
	return pq_column_type(t->el, out, why, n);
}

/* ---- the schema ------------------------------------------------------- */

static bool hidden(const char *name)
{
	return name[0] == '.' || name[0] == '_';
}

/* The schema of the directory's first Parquet file by name. */
static int infer_schema(sl_format_scan *scan, sl_err *err)
{
	DIR *dir = scan->dir ? opendir(scan->dir) : NULL;
	struct dirent *de;
	char *best = NULL, path[4096], why[160];
	struct pq_top *top;
	sl_arena a;
	pq_meta m;
	struct stat st;
	sl_schema *s;
	int fd, n, rc;

	while (dir && (de = readdir(dir))) {
		if (hidden(de->d_name) ||
		    (scan->glob && fnmatch(scan->glob, de->d_name, FNM_PERIOD)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", scan->dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!best || strcmp(de->d_name, best) < 0) {
			free(best);
			best = sl_xstrdup(de->d_name);
		}
	}
	if (dir)
		closedir(dir);
	if (!best)
		return sl_err_set(err, SL_EOPTION,
				  "source '%s': no option 'schema' and no "
				  "Parquet file in %s to take the schema from "
				  "(Spark's 'Unable to infer schema'): give "
				  "the schema in DDL",
				  scan->component,
				  scan->dir ? scan->dir : "the directory");
	snprintf(path, sizeof(path), "%s/%s", scan->dir, best);
	free(best);
	sl_arena_init(&a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = sl_err_set(err, SL_EIO, "source '%s': %s: %s",
				scan->component, path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) ||
	    (rc = pq_footer_read(fd, st.st_size, &m, &a, err)) < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		rc = sl_err_set(err, SL_EIO,
				"source '%s': taking the schema from %s: %s",
				scan->component, path, msg);
		goto out;
	}
	if ((n = file_columns(&m, &top, &a)) < 0) {
		rc = sl_err_set(err, SL_EIO,
				"source '%s': %s: the footer's schema does "
				"not match its column chunks",
				scan->component, path);
		goto out;
	}
	s = sl_schema_new(scan->arena, (uint32_t)n);
	for (int k = 0; k < n; k++) {
		const sl_dtype *t;

		if (file_column_type(&top[k], &t, why, sizeof(why)) < 0) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"source '%s': %s: column '%s' is %s, "
					"which sluice does not read yet; give "
					"a schema without it",
					scan->component, path, top[k].el->name,
					why);
			goto out;
		}
		s->fields[k].name = sl_arena_strdup(scan->arena,
						    top[k].el->name);
		s->fields[k].type = t;
		s->fields[k].nullable = true;
	}
	scan->schema = s;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	sl_arena_free(&a);
	return rc;
}

int pq_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct pq_conf *c = scan->conf;
	int rc;

	if (c->schema && *c->schema)
		rc = sl_format_scan_schema(scan, c->schema, err);
	else
		rc = infer_schema(scan, err);
	return rc ? rc : sl_format_scan_columns(scan, err);
}

/* ---- opening a file --------------------------------------------------- */

/* How the file's type src (physical phys) is read as the schema's dst;
 * -1 if it cannot be. */
static int conversion(const pq_selem *el, const sl_dtype *src,
		      const sl_dtype *dst)
{
	int s = (int)src->id, d = (int)dst->id;
	bool small = s == (int)SL_BYTE || s == (int)SL_SHORT || s == SL_INT;

	switch (el->type) {
	case PQ_BOOLEAN: return d == SL_BOOL ? CV_BOOL : -1;
	case PQ_INT32:
		if (s == SL_DATE)
			return d == SL_DATE ? CV_DATE : -1;
		if (!small)
			return -1;
		if (d == (int)SL_BYTE)
			return s == (int)SL_BYTE ? CV_I8 : -1;
		if (d == (int)SL_SHORT)
			return s != SL_INT ? CV_I16 : -1;
		return d == SL_INT	  ? CV_INT
		       : d == SL_LONG	  ? CV_I32_LONG
		       : d == SL_DOUBLE ? CV_I32_DOUBLE
					: -1;
	case PQ_INT64:
		if (s == SL_TIMESTAMP) {
			bool ms = el->logical == PQ_LT_TIMESTAMP
					  ? el->lt_unit == PQ_UNIT_MILLIS
					  : el->converted ==
						    PQ_CT_TIMESTAMP_MILLIS;

			return d == SL_TIMESTAMP ? ms ? CV_TS_MS : CV_TS_US
						 : -1;
		}
		return d == SL_LONG ? CV_LONG : d == SL_DOUBLE ? CV_I64_DOUBLE : -1;
	case PQ_INT96: return d == SL_TIMESTAMP ? CV_INT96 : -1;
	case PQ_FLOAT: return d == SL_DOUBLE ? CV_FLOAT : -1;
	case PQ_DOUBLE: return d == SL_DOUBLE ? CV_DOUBLE : -1;
	case PQ_BYTE_ARRAY:
		if (s == SL_STRING)
			return d == SL_STRING ? CV_STR : -1;
		return d == SL_BINARY ? CV_BIN : -1;
	case PQ_FIXED: return d == SL_BINARY ? CV_BIN : -1;
	default: return -1;
	}
}

static void rd_free(struct pq_rd *rd)
{
	for (uint32_t i = 0; rd->cols && i < rd->ncols; i++) {
		struct pq_rcol *c = &rd->cols[i];

		free(c->chunk);
		free(c->dict);
		free(c->dict_mem);
		free(c->page);
		free(c->vals);
		free(c->lv);
		free(c->tmp);
		free(c->dec);
		free(c->u64);
	}
	free(rd->cols);
	if (rd->fd >= 0)
		sl_uring_close(sl_uring_get(), rd->fd);
	sl_arena_free(&rd->a);
	free(rd);
}

static int map_columns(sl_format_reader *r, struct pq_rd *rd)
{
	const sl_format_scan *scan = r->scan;
	struct pq_top *top;
	int n = file_columns(&rd->m, &top, &rd->a);
	char why[160], tn[64], fn[64];

	if (n < 0)
		return fail(r, "the footer's schema does not match its column "
			       "chunks");
	rd->ncols = scan->ndata;
	rd->cols = sl_xcalloc(rd->ncols + 1, sizeof(*rd->cols));
	for (uint32_t k = 0; k < scan->ndata; k++) {
		const sl_field *f = &scan->schema->fields[scan->data[k]];
		struct pq_rcol *c = &rd->cols[k];
		const sl_dtype *t;
		int j;

		c->name = f->name;
		c->leaf = -1;
		for (j = 0; j < n; j++)
			if (!strcasecmp(top[j].el->name, f->name))
				break;
		if (j == n)
			continue; /* not in this file: nulls */
		if (file_column_type(&top[j], &t, why, sizeof(why)) < 0)
			return fail(r, "column '%s' is %s, which sluice does "
				       "not read yet",
				    f->name, why);
		c->conv = conversion(top[j].el, t, f->type);
		if (c->conv < 0) {
			sl_dtype_name(t, fn, sizeof(fn));
			sl_dtype_name(f->type, tn, sizeof(tn));
			return fail(r, "column '%s' is %s in the file, and the "
				       "schema says %s",
				    f->name, fn, tn);
		}
		c->el = top[j].el;
		c->leaf = top[j].leaf;
		c->max_def = c->el->repetition == PQ_OPTIONAL;
	}
	return 0;
}

int pq_reader_open(sl_format_reader *r)
{
	struct pq_rd *rd = sl_xcalloc(1, sizeof(*rd));
	sl_err e = { 0 };
	int rc;

	sl_arena_init(&rd->a);
	rd->size = r->size;
	rd->fd = sl_uring_openat(sl_uring_get(), AT_FDCWD, r->path,
				 O_RDONLY | O_CLOEXEC, 0);
	if (rd->fd < 0) {
		rc = fail(r, "cannot open: %s", strerror(-rd->fd));
		goto bad;
	}
	if (pq_footer_read(rd->fd, rd->size, &rd->m, &rd->a, &e) < 0) {
		rc = fail(r, "%s", e.msg);
		goto bad;
	}
	if ((rc = map_columns(r, rd)) < 0)
		goto bad;
	r->state = rd;
	return 0;
bad:
	rd_free(rd);
	return rc;
}

void pq_reader_close(sl_format_reader *r)
{
	if (r->state)
		rd_free(r->state);
	r->state = NULL;
}

/* ---- pages ------------------------------------------------------------ */

static sl_value convert(const struct pq_rcol *c, const uint8_t *p,
			uint32_t len)
{
	switch (c->conv) {
	case CV_INT: return sl_v_int((int32_t)pq_le32(p));
	case CV_I8: return sl_v_int((int8_t)pq_le32(p));
	case CV_I16: return sl_v_int((int16_t)pq_le32(p));
	case CV_I32_LONG: return sl_v_long((int32_t)pq_le32(p));
	case CV_I32_DOUBLE: return sl_v_double((int32_t)pq_le32(p));
	case CV_DATE: return sl_v_date((int32_t)pq_le32(p));
	case CV_LONG: return sl_v_long((int64_t)pq_le64(p));
	case CV_I64_DOUBLE: return sl_v_double((double)(int64_t)pq_le64(p));
	case CV_TS_US: return sl_v_ts((int64_t)pq_le64(p));
	case CV_TS_MS:
		return sl_v_ts((int64_t)((uint64_t)pq_le64(p) * 1000));
	case CV_INT96: {
		/* Nanoseconds of the day, then the Julian day. */
		int64_t ns = (int64_t)pq_le64(p);
		int64_t day = (int32_t)pq_le32(p + 8) - 2440588;

		return sl_v_ts((int64_t)((uint64_t)day * 86400000000ull +
					 (uint64_t)(ns / 1000)));
	}
	case CV_FLOAT: {
		uint32_t u = pq_le32(p);
		float f;

		memcpy(&f, &u, sizeof(f));
		return sl_v_double(f);
	}
	case CV_DOUBLE: {
		uint64_t u = pq_le64(p);
		double x;

		memcpy(&x, &u, sizeof(x));
		return sl_v_double(x);
	}
	case CV_STR: return sl_v_str((const char *)p, len);
	default: return sl_v_bin(p, len);
	}
}

/* PLAIN values: n of them from [p, p + len) into out; -1 if the bytes
 * end first. */
static int plain(const struct pq_rcol *c, const uint8_t *p, size_t len,
		 uint32_t n, sl_value *out)
{
	size_t w;

	switch (c->el->type) {
	case PQ_BOOLEAN:
		if (len < ((size_t)n + 7) / 8)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			out[i] = sl_v_bool(p[i / 8] >> (i % 8) & 1);
		return 0;
	case PQ_BYTE_ARRAY:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t l;

			if (len < 4 || (l = pq_le32(p)) > len - 4)
				return -1;
			out[i] = convert(c, p + 4, l);
			p += 4 + l;
			len -= 4 + l;
		}
		return 0;
	case PQ_INT32:
	case PQ_FLOAT: w = 4; break;
	case PQ_INT96: w = 12; break;
	case PQ_FIXED: w = (size_t)c->el->type_length; break;
	default: w = 8; break;
	}
	if (w && len / w < n)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		out[i] = convert(c, p + i * w, (uint32_t)w);
	return 0;
}

static void *grow(void *p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return p;
	*cap = want + want / 2 + 16;
	return sl_xrealloc(p, *cap * size);
}

/* A page's values past this many bytes once decoded are damage (a
 * DELTA_BYTE_ARRAY page's prefixes can multiply its size). */
#define PQ_MAX_DECODED ((size_t)1 << 28)

/* The bytes of one PLAIN value, 0 for byte arrays and booleans. */
static size_t plain_width(const struct pq_rcol *c)
{
	switch (c->el->type) {
	case PQ_INT32:
	case PQ_FLOAT: return 4;
	case PQ_INT64:
	case PQ_DOUBLE: return 8;
	case PQ_INT96: return 12;
	case PQ_FIXED:
		return c->el->type_length > 0 ? (size_t)c->el->type_length : 0;
	default: return 0;
	}
}

/* n integers of a DELTA_BINARY_PACKED stream at *p into c->u64 from
 * index at; *p moves past the stream. */
static int delta_ints(sl_format_reader *r, struct pq_rcol *c,
		      const uint8_t **p, const uint8_t *end, uint32_t n,
		      size_t at, const char *what)
{
	static const char *const why[] = {
		"end before the page's values",
		"have a header or a bit width out of range",
		"hold another number of values than the page",
	};
	size_t used;
	int rc;

	c->u64 = grow(c->u64, &c->capu64, at + n + 1, sizeof(*c->u64));
	rc = pq_delta_decode(*p, (size_t)(end - *p), c->u64 + at, n, &used);
	if (rc < 0)
		return failc(r, c, "the page's DELTA_BINARY_PACKED %s %s",
			     what, why[-rc - 1]);
	*p += used;
	return 0;
}

/* The n values of a page in a DELTA_* encoding or BYTE_STREAM_SPLIT at
 * [p, p + len), made PLAIN in c->dec and read by plain() into c->tmp.
 * 1 if the encoding is not one of them. */
static int decoded_values(sl_format_reader *r, struct pq_rcol *c, int enc,
			  const uint8_t *p, size_t len, uint32_t n)
{
	const uint8_t *end = p + len;
	int type = c->el->type;
	size_t w = plain_width(c), total = 0;
	uint8_t *o;

	switch (enc) {
	case PQ_ENC_DELTA_BINARY_PACKED:
		if (type != PQ_INT32 && type != PQ_INT64)
			break;
		if (delta_ints(r, c, &p, end, n, 0, "values") < 0)
			return r->err.code;
		c->dec = grow(c->dec, &c->capdec, (size_t)n * w + 1, 1);
		for (uint32_t i = 0; i < n; i++)
			for (size_t k = 0; k < w; k++)
				c->dec[i * w + k] =
					(uint8_t)(c->u64[i] >> (8 * k));
		total = (size_t)n * w;
		goto plain;
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
		if (type != PQ_BYTE_ARRAY)
			break;
		if (delta_ints(r, c, &p, end, n, 0, "lengths") < 0)
			return r->err.code;
		for (uint32_t i = 0; i < n; i++) {
			if (c->u64[i] > (uint64_t)(end - p) - total)
				return failc(r, c, "the page's DELTA_LENGTH_"
					     "BYTE_ARRAY values run past it");
			total += (size_t)c->u64[i];
		}
		c->dec = grow(c->dec, &c->capdec, 4 * (size_t)n + total + 1, 1);
		o = c->dec;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t l = (uint32_t)c->u64[i];

			memcpy(o, &(uint32_t){ htole32(l) }, 4);
			memcpy(o + 4, p, l);
			o += 4 + l;
			p += l;
		}
		total = (size_t)(o - c->dec);
		goto plain;
	case PQ_ENC_DELTA_BYTE_ARRAY: {
		/* Prefix lengths, then suffixes (DELTA_LENGTH_BYTE_ARRAY):
		 * each value is the previous one's first bytes and its own. */
		size_t prev = 0, sufs = 0;
		const uint8_t *last = NULL;

		if (type != PQ_BYTE_ARRAY && !(type == PQ_FIXED && w))
			break;
		if (delta_ints(r, c, &p, end, n, 0, "prefix lengths") < 0 ||
		    delta_ints(r, c, &p, end, n, n, "suffix lengths") < 0)
			return r->err.code;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t pre = c->u64[i], suf = c->u64[n + i];

			if (pre > prev)
				return failc(r, c, "value %u's DELTA_BYTE_ARRAY "
					     "prefix (%llu bytes) is longer "
					     "than the value before it",
					     i, (unsigned long long)pre);
			if (suf > (uint64_t)(end - p) - sufs)
				return failc(r, c, "the page's DELTA_BYTE_"
					     "ARRAY suffixes run past it");
			sufs += (size_t)suf;
			prev = (size_t)(pre + suf);
			if (w && prev != w)
				return failc(r, c, "a DELTA_BYTE_ARRAY value of "
					     "%zu bytes in a column of "
					     "%zu-byte values",
					     prev, w);
			total += (w ? 0 : 4) + prev;
			if (total > PQ_MAX_DECODED)
				return failc(r, c, "the page's values pass "
					     "%zu bytes once decoded",
					     PQ_MAX_DECODED);
		}
		c->dec = grow(c->dec, &c->capdec, total + 1, 1);
		o = c->dec;
		for (uint32_t i = 0; i < n; i++) {
			size_t pre = (size_t)c->u64[i];
			size_t suf = (size_t)c->u64[n + i];

			if (!w) {
				uint32_t l = (uint32_t)(pre + suf);

				memcpy(o, &(uint32_t){ htole32(l) }, 4);
				o += 4;
			}
			if (pre)
				memcpy(o, last, pre);
			memcpy(o + pre, p, suf);
			last = o;
			o += pre + suf;
			p += suf;
		}
		goto plain;
	}
	case PQ_ENC_BYTE_STREAM_SPLIT:
		if (!w || type == PQ_INT96)
			break;
		if (len / w < n)
			return failc(r, c, "the page's BYTE_STREAM_SPLIT values "
				     "end before its %u values",
				     n);
		total = (size_t)n * w;
		c->dec = grow(c->dec, &c->capdec, total + 1, 1);
		for (size_t k = 0; k < w; k++)
			for (uint32_t i = 0; i < n; i++)
				c->dec[i * w + k] = p[k * n + i];
		goto plain;
	default: return 1;
	}
	return failc(r, c, "page encoding %s is not valid for the column's "
		     "physical type %d",
		     encoding_name(enc), type);
plain:
	if (plain(c, c->dec, total, n, c->tmp) < 0)
		return failc(r, c, "the page's %s values end before its %u "
			     "values",
			     encoding_name(enc), n);
	return 0;
}

static int dictionary_page(sl_format_reader *r, struct pq_rcol *c,
			   const pq_page *pg, const uint8_t *body)
{
	sl_err e = { 0 };

	if (c->dict)
		return failc(r, c, "a second dictionary page in one "
			       "column chunk");
	if (pg->encoding != PQ_ENC_PLAIN &&
	    pg->encoding != PQ_ENC_PLAIN_DICTIONARY)
		return failc(r, c, "dictionary page encoding %s is "
			       "not supported",
			    encoding_name(pg->encoding));
	c->dict_mem = sl_xrealloc(NULL, (size_t)pg->usize + 1);
	if (pq_decompress(c->codec, body, (size_t)pg->csize, c->dict_mem,
			  (size_t)pg->usize, &e) < 0)
		return failc(r, c, "dictionary page: %s", e.msg);
	c->ndict = (uint32_t)pg->nvalues;
	c->dict = sl_xcalloc((size_t)c->ndict + 1, sizeof(*c->dict));
	if (plain(c, c->dict_mem, (size_t)pg->usize, c->ndict, c->dict) < 0)
		return failc(r, c, "the dictionary page's values end "
			       "before its %u values",
			    c->ndict);
	return 0;
}

/* Values of a data page: levels at [lv, lv + lvlen) (none when the column
 * is REQUIRED), then values at [p, p + len). */
static int page_values(sl_format_reader *r, struct pq_rcol *c,
		       const pq_page *pg, const uint8_t *lvp, size_t lvlen,
		       const uint8_t *p, size_t len)
{
	uint32_t n = (uint32_t)pg->nvalues, nn = 0;
	int rc;

	c->lv = grow(c->lv, &c->caplv, (size_t)n + 1, sizeof(*c->lv));
	c->vals = grow(c->vals, &c->capvals, (size_t)n + 1, sizeof(*c->vals));
	c->tmp = grow(c->tmp, &c->captmp, (size_t)n + 1, sizeof(*c->tmp));
	if (c->max_def) {
		if (!pq_rle_decode(lvp, lvlen, 1, c->lv, n))
			return failc(r, c, "the definition levels end "
				       "before the page's %u values",
				    n);
		for (uint32_t i = 0; i < n; i++)
			nn += c->lv[i] != 0;
	} else {
		nn = n;
	}
	if (pg->encoding == PQ_ENC_PLAIN) {
		if (plain(c, p, len, nn, c->tmp) < 0)
			return failc(r, c, "a page's values end "
				       "before its %u values",
				    nn);
	} else if (pg->encoding == PQ_ENC_RLE && c->el->type == PQ_BOOLEAN) {
		/* Booleans in the hybrid at width 1, after a 4-byte length. */
		uint32_t *bits = sl_xcalloc((size_t)nn + 1, sizeof(*bits));
		bool ok = len >= 4 && pq_le32(p) <= len - 4 &&
			  pq_rle_decode(p + 4, pq_le32(p), 1, bits, nn);

		for (uint32_t i = 0; ok && i < nn; i++)
			c->tmp[i] = sl_v_bool(bits[i] != 0);
		free(bits);
		if (!ok)
			return failc(r, c, "a page's RLE booleans end "
				       "before its %u values",
				    nn);
	} else if (pg->encoding == PQ_ENC_PLAIN_DICTIONARY ||
		   pg->encoding == PQ_ENC_RLE_DICTIONARY) {
		uint32_t *ix;

		if (!c->dict)
			return failc(r, c, "a dictionary-encoded "
				       "page without a dictionary page");
		ix = sl_xcalloc((size_t)nn + 1, sizeof(*ix));
		if (nn && (len < 1 || !pq_rle_decode(p + 1, len - 1, p[0], ix,
						     nn))) {
			free(ix);
			return failc(r, c, "a page's dictionary "
				       "indices are damaged");
		}
		for (uint32_t i = 0; i < nn; i++) {
			if (ix[i] >= c->ndict) {
				uint32_t bad = ix[i];

				free(ix);
				return failc(r, c, "dictionary index "
					       "%u past the dictionary's %u "
					       "values",
					    bad, c->ndict);
			}
			c->tmp[i] = c->dict[ix[i]];
		}
		free(ix);
	} else if ((rc = decoded_values(r, c, pg->encoding, p, len, nn)) <
		   0) {
		return rc;
	} else if (rc) {
		return failc(r, c, "page encoding %s (%d) is not "
			       "supported (sluice reads PLAIN, dictionary, "
			       "RLE boolean, DELTA_* and BYTE_STREAM_SPLIT "
			       "pages)",
			    encoding_name(pg->encoding), pg->encoding);
	}
	for (uint32_t i = 0, k = 0; i < n; i++)
		c->vals[i] = !c->max_def || c->lv[i] ? c->tmp[k++] : sl_v_null();
	c->nvals = n;
	c->at = 0;
	return 0;
}

/* The column's next data page with values. */
static int next_page(sl_format_reader *r, struct pq_rcol *c)
{
	for (;;) {
		const uint8_t *body;
		sl_err e = { 0 };
		size_t used;
		pq_page pg;

		if (c->cpos >= c->clen)
			return failc(r, c, "the column chunk (%zu bytes) ends "
				       "before the row group's rows",
				     c->clen);
		c->page_at = c->chunk_at + (int64_t)c->cpos;
		if (pq_page_parse(c->chunk + c->cpos, c->clen - c->cpos, &pg,
				  &used) < 0)
			return failc(r, c, "a damaged page header (its Thrift "
				       "bytes end or break)");
		c->cpos += used;
		if ((size_t)pg.csize > c->clen - c->cpos)
			return failc(r, c, "a page of %d bytes runs "
				       "past its column chunk (truncated?)",
				    pg.csize);
		body = c->chunk + c->cpos;
		c->cpos += (size_t)pg.csize;
		/* A flat column's page has at most a row group's values;
		 * a damaged count must not size the buffers. */
		if (pg.nvalues > PQ_MAX_PAGE_VALUES ||
		    (pg.type != PQ_PAGE_DICTIONARY && pg.nvalues > c->rg_rows))
			return failc(r, c, "a page says it has %d "
				       "values, more than %s",
				    pg.nvalues,
				    pg.nvalues > PQ_MAX_PAGE_VALUES
					    ? "sluice reads in one page"
					    : "its row group's rows");
		if (pg.type == PQ_PAGE_DICTIONARY) {
			int rc = dictionary_page(r, c, &pg, body);

			if (rc < 0)
				return rc;
			continue;
		}
		if (pg.type == PQ_PAGE_DATA) {
			size_t lvlen = 0, off = 0;

			if (c->max_def && pg.def_encoding != PQ_ENC_RLE)
				return failc(r, c, "definition level "
					       "encoding %s is not supported",
					    encoding_name(pg.def_encoding));
			c->page = grow(c->page, &c->pagecap,
				       (size_t)pg.usize + 1, 1);
			if (pq_decompress(c->codec, body, (size_t)pg.csize,
					  c->page, (size_t)pg.usize, &e) < 0)
				return failc(r, c, "%s", e.msg);
			if (c->max_def) {
				if (pg.usize < 4 ||
				    pq_le32(c->page) > (uint32_t)pg.usize - 4)
					return failc(r, c, "a page's "
						       "definition levels run "
						       "past it");
				lvlen = pq_le32(c->page);
				off = 4 + lvlen;
			}
			if (page_values(r, c, &pg, c->page + 4, lvlen,
					c->page + off,
					(size_t)pg.usize - off) < 0)
				return r->err.code;
		} else if (pg.type == PQ_PAGE_DATA_V2) {
			size_t lv = (size_t)pg.def_len + (size_t)pg.rep_len;
			const uint8_t *vals = body + lv;
			size_t vlen;

			if (lv > (size_t)pg.csize || lv > (size_t)pg.usize)
				return failc(r, c, "a v2 page's levels "
					       "run past it");
			vlen = (size_t)pg.usize - lv;
			if (pg.v2_compressed && c->codec != PQ_CODEC_NONE) {
				c->page = grow(c->page, &c->pagecap, vlen + 1,
					       1);
				if (pq_decompress(c->codec, vals,
						  (size_t)pg.csize - lv,
						  c->page, vlen, &e) < 0)
					return failc(r, c, "%s",
						    e.msg);
				vals = c->page;
			} else if ((size_t)pg.csize - lv < vlen) {
				return failc(r, c, "a v2 page is "
					       "shorter than it says");
			}
			if (page_values(r, c, &pg, body + pg.rep_len,
					(size_t)pg.def_len, vals, vlen) < 0)
				return r->err.code;
		} else {
			continue; /* an index page */
		}
		if (c->nvals)
			return 0;
	}
}

/* ---- row groups and rows ---------------------------------------------- */

static int open_row_group(sl_format_reader *r, struct pq_rd *rd)
{
	const pq_rowgroup *g = &rd->m.rgs[rd->rg];
	int64_t most = 0;

	/* Every row has a value (or a null's level) in each leaf column: a
	 * count past them all is damage, not rows of nulls to make up. */
	for (uint32_t i = 0; i < g->ncols; i++)
		if (g->cols[i].num_values > most)
			most = g->cols[i].num_values;
	if (g->num_rows < 0 || (g->ncols && g->num_rows > most))
		return fail(r, "row group %u says it has %lld rows but its "
			       "column chunks hold %lld values",
			    rd->rg, (long long)g->num_rows, (long long)most);

	for (uint32_t k = 0; k < rd->ncols; k++) {
		struct pq_rcol *c = &rd->cols[k];
		const pq_chunkmeta *cm;
		int64_t start, len;
		ssize_t got;

		free(c->dict);
		free(c->dict_mem);
		c->dict = NULL;
		c->dict_mem = NULL;
		c->ndict = 0;
		c->nvals = c->at = 0;
		c->clen = c->cpos = 0;
		c->rg_rows = g->num_rows;
		c->page_at = 0;
		if (c->leaf < 0)
			continue;
		cm = &g->cols[c->leaf];
		start = cm->data_page_offset;
		if (cm->dict_page_offset > 0 && cm->dict_page_offset < start)
			start = cm->dict_page_offset;
		c->chunk_at = start;
		len = cm->total_compressed;
		if (!cm->has_meta || start < 4 || len < 0 ||
		    start + len > rd->size - 8)
			return failc(r, c, "row group %u's column "
				       "chunk (%lld bytes at %lld) is outside "
				       "the file",
				    rd->rg, (long long)len,
				    (long long)start);
		if (cm->type != c->el->type)
			return failc(r, c, "the column chunk's type "
				       "differs from the schema's");
		if (!pq_codec_name(cm->codec))
			return failc(r, c, "compression codec %d is "
				       "not supported (sluice reads "
				       "uncompressed, snappy, gzip and zstd)",
				    cm->codec);
		c->codec = cm->codec;
		free(c->chunk);
		c->chunk = sl_xrealloc(NULL, (size_t)len + 1);
		got = sl_uring_pread(sl_uring_get(), rd->fd, c->chunk,
				     (size_t)len, (uint64_t)start);
		if (got != (ssize_t)len)
			return failc(r, c, "reading %lld bytes: %s",
				     (long long)len,
				     got < 0 ? strerror((int)-got)
					     : "short read (truncated?)");
		c->clen = (size_t)len;
	}
	rd->rg_left = g->num_rows;
	rd->rg++;
	return 0;
}

int pq_next_batch(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	struct pq_rd *rd = r->state;
	const sl_format_scan *scan = r->scan;
	int rc;

	while (b->nrows < max) {
		if (rd->rg_left <= 0) {
			if (rd->rg >= rd->m.nrgs)
				return 0;
			if ((rc = open_row_group(r, rd)) < 0)
				return rc;
			continue;
		}
		sl_value *row = sl_batch_add_row(b);

		for (uint32_t k = 0; k < rd->ncols; k++) {
			struct pq_rcol *c = &rd->cols[k];
			sl_value v;

			if (c->leaf < 0)
				continue;
			if (c->at == c->nvals && (rc = next_page(r, c)) < 0) {
				b->nrows--;
				return rc;
			}
			v = c->vals[c->at++];
			if (v.type == SL_STRING || v.type == SL_BINARY) {
				char *s = sl_arena_alloc(&b->arena,
							 v.len ? v.len : 1);

				memcpy(s, v.v.str, v.len);
				v.v.str = s;
			}
			row[scan->data[k]] = v;
		}
		rd->rg_left--;
	}
	return 1;
}
