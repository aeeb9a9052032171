/* io/format_parquet_write.c - the Parquet writer of the file sink: one
 * file per part file the sink starts, made of row groups of about
 * parquet.block.size bytes, each column chunk of data pages (v1) of
 * about parquet.page.size bytes or 20,000 values. Every column is
 * OPTIONAL, as Spark writes them: definition levels (RLE/bit-packed
 * hybrid, width 1) before the values of the non-null rows. Pages are
 * compressed by the compression option; the footer (FileMetaData, Thrift
 * compact) carries each chunk's statistics: null count, min and max
 * (min_value/max_value, and the legacy min/max for signed orders, as
 * Spark's writer does).
 *
 * With parquet.enable.dictionary (the default, as in Spark) a column
 * chunk's values other than booleans go into a dictionary page, its data
 * pages holding indices (PLAIN_DICTIONARY); once the dictionary passes
 * parquet.dictionary.page.size bytes the rest of the chunk is PLAIN, as
 * Spark's writer falls back.
 *
 * The sink hands rows one at a time (write_batch); a file's columns are
 * buffered until its row group is full, then the row group goes to the
 * sink's buffer in one piece. The format counts the bytes it gave the
 * sink, which are the file's offsets in the footer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/decimal.h"
#include "io/parquet_write.h"
#include "sluice.h"

/* Spark's writer (parquet-mr) caps a page at 20,000 values too. */
#define PQ_PAGE_ROWS 20000

/* The Spark version whose file semantics sluice's files follow. */
#define PQ_SPARK_VERSION "4.0.0"

/* One column of the file being written: its open page and the pages of
 * the row group so far. */
struct pq_chunk {
	uint32_t *defs; /* the page's definition levels */
	uint32_t *reps; /* and repetition levels (max_rep > 0) */
	size_t ndefs, capdefs;
	sl_buf vals;     /* the page's PLAIN values */
	uint32_t nbools; /* BOOLEAN: bits in vals */
	sl_buf pages;    /* headers and (compressed) pages */
	int64_t raw;     /* the same, uncompressed */
	int64_t nvalues, nulls;
	bool has_minmax;
	sl_value min, max; /* fixed-width types */
	sl_dec_u dmin, dmax; /* FIXED_LEN_BYTE_ARRAY decimals */
	sl_buf minb, maxb; /* byte arrays */
	/* The chunk's dictionary: its PLAIN values, where each entry's
	 * bytes are in them, an open-addressing table of entries + 1. */
	bool fallback; /* PLAIN for the rest of the chunk */
	bool paged;    /* the chunk has a data page */
	int64_t plain_len; /* the open page's values' PLAIN bytes */
	sl_buf dvals;
	uint32_t ndict, capdict;
	uint32_t *doff, *dlen;
	uint32_t *slots;
	size_t nslots;
	/* The open page's dictionary indices (page_dict: it has them). */
	bool page_dict;
	uint32_t *idx;
	size_t nidx, capidx;
};

struct pq_file {
	const struct pq_writer *pw;
	sl_buf stat; /* a row group's statistics, being encoded */
	struct pq_chunk *c;
	int64_t offset;  /* bytes given to the sink */
	int64_t rows;    /* in the open row group */
	int64_t total;   /* in the file */
	sl_buf rgs;      /* the RowGroup structs written */
	uint32_t nrgs;
	sl_buf page, zip, hdr; /* scratch */
};

/* ---- columns ------------------------------------------------------------ */

/* The part files' extension as Spark names them by codec. */
static const char *codec_extension(int codec)
{
	switch (codec) {
	case PQ_CODEC_SNAPPY: return ".snappy.parquet";
	case PQ_CODEC_GZIP: return ".gz.parquet";
	case PQ_CODEC_ZSTD: return ".zstd.parquet";
	default: return ".parquet";
	}
}

int pq_writer_init(sl_format_writer *w, sl_err *err)
{
	const struct pq_conf *c = w->conf;
	struct pq_writer *pw = sl_xcalloc(1, sizeof(*pw));
	int rc;

	w->state = pw; /* an unwind (core/alloc.h) leaves it to writer_free */
	pw->codec = pq_conf_codec(c->compression);
	pw->block_size = c->block_size;
	pw->page_size = c->page_size;
	pw->dict = c->dictionary;
	pw->dict_limit = c->dict_page_size;
	if ((rc = pq_writer_leaves(pw, w, err)) < 0) {
		free(pw->cols);
		free(pw);
		w->state = NULL;
		return rc;
	}
	pq_spark_schema_json(&pw->row_meta, w);
	w->extension = codec_extension(pw->codec);
	w->state = pw;
	return 0;
}

void pq_writer_free(sl_format_writer *w)
{
	struct pq_writer *pw = w->state;

	if (!pw)
		return;
	free(pw->cols);
	sl_buf_free(&pw->row_meta);
	free(pw);
	w->state = NULL;
}

/* ---- values and statistics -------------------------------------------- */

/* a < b in the column's order: signed for numbers, unsigned bytes for
 * byte arrays; doubles without NaN (left out of the statistics). */
static void stats_add(struct pq_chunk *k, const struct pq_wcol *c,
		      const sl_value *v)
{
	if (c->phys == PQ_BYTE_ARRAY) {
		const void *p = v->v.str;
		size_t n = v->len;
		bool lt, gt;

		if (!k->has_minmax) {
			sl_buf_put(&k->minb, p, n);
			sl_buf_put(&k->maxb, p, n);
			k->has_minmax = true;
			return;
		}
		{
			size_t m = n < k->minb.len ? n : k->minb.len;
			int r = memcmp(p, k->minb.s, m);

			lt = r < 0 || (r == 0 && n < k->minb.len);
		}
		{
			size_t m = n < k->maxb.len ? n : k->maxb.len;
			int r = memcmp(p, k->maxb.s, m);

			gt = r > 0 || (r == 0 && n > k->maxb.len);
		}
		if (lt) {
			k->minb.len = 0;
			sl_buf_put(&k->minb, p, n);
		}
		if (gt) {
			k->maxb.len = 0;
			sl_buf_put(&k->maxb, p, n);
		}
		return;
	}
	if (c->phys == PQ_FIXED) {
		sl_dec_u u = sl_v_dec_get(v);

		if (!k->has_minmax || u < k->dmin)
			k->dmin = u;
		if (!k->has_minmax || u > k->dmax)
			k->dmax = u;
		k->has_minmax = true;
		return;
	}
	if ((c->phys == PQ_DOUBLE && isnan(v->v.f64)) ||
	    (c->phys == PQ_FLOAT && isnan(v->v.f32)))
		return;
	if (!k->has_minmax) {
		k->min = k->max = *v;
		k->has_minmax = true;
		return;
	}
	switch (c->phys) {
	case PQ_BOOLEAN:
		if (v->v.b < k->min.v.b)
			k->min = *v;
		if (v->v.b > k->max.v.b)
			k->max = *v;
		break;
	case PQ_INT32:
		if (v->v.i32 < k->min.v.i32)
			k->min = *v;
		if (v->v.i32 > k->max.v.i32)
			k->max = *v;
		break;
	case PQ_INT64:
		if (v->v.i64 < k->min.v.i64)
			k->min = *v;
		if (v->v.i64 > k->max.v.i64)
			k->max = *v;
		break;
	case PQ_FLOAT:
		if (v->v.f32 < k->min.v.f32)
			k->min = *v;
		if (v->v.f32 > k->max.v.f32)
			k->max = *v;
		break;
	default:
		if (v->v.f64 < k->min.v.f64)
			k->min = *v;
		if (v->v.f64 > k->max.v.f64)
			k->max = *v;
		break;
	}
}

static void put_plain(sl_buf *b, const struct pq_wcol *c, const sl_value *v)
{
	switch (c->phys) {
	case PQ_BOOLEAN: sl_buf_put_u8(b, v->v.b ? 1 : 0); break;
	case PQ_INT32: sl_buf_put_u32(b, (uint32_t)v->v.i32); break;
	case PQ_INT64: sl_buf_put_u64(b, (uint64_t)v->v.i64); break;
	case PQ_FLOAT: {
		uint32_t u;

		memcpy(&u, &v->v.f32, sizeof(u));
		sl_buf_put_u32(b, u);
		break;
	}
	case PQ_DOUBLE: {
		uint64_t u;

		memcpy(&u, &v->v.f64, sizeof(u));
		sl_buf_put_u64(b, u);
		break;
	}
	case PQ_FIXED: {
		uint8_t be[16];

		pq_decimal_put(be, c->flen, sl_v_dec_get(v));
		sl_buf_put(b, be, (size_t)c->flen);
		break;
	}
	default:
		sl_buf_put_u32(b, v->len);
		sl_buf_put(b, v->v.str, v->len);
		break;
	}
}

/* ---- the dictionary ---------------------------------------------------- */

/* The bit width of indices below n (at least 1). */
static int index_width(uint32_t n)
{
	return n <= 2 ? 1 : 32 - __builtin_clz(n - 1);
}

/* The bytes a value is keyed by: a byte array's own, a number's PLAIN. */
static const void *dict_key(const struct pq_wcol *c, const sl_value *v,
			    uint8_t tmp[16], size_t *n)
{
	uint64_t u;

	if (c->phys == PQ_BYTE_ARRAY) {
		*n = v->len;
		return v->v.str;
	}
	if (c->phys == PQ_FIXED) {
		pq_decimal_put(tmp, c->flen, sl_v_dec_get(v));
		*n = (size_t)c->flen;
		return tmp;
	}
	if (c->phys == PQ_INT32) {
		u = (uint32_t)v->v.i32;
		*n = 4;
	} else if (c->phys == PQ_FLOAT) {
		uint32_t f;

		memcpy(&f, &v->v.f32, sizeof(f));
		u = f;
		*n = 4;
	} else if (c->phys == PQ_DOUBLE) {
		memcpy(&u, &v->v.f64, sizeof(u));
		*n = 8;
	} else {
		u = (uint64_t)v->v.i64;
		*n = 8;
	}
	for (size_t i = 0; i < *n; i++)
		tmp[i] = (uint8_t)(u >> (8 * i));
	return tmp;
}

static void dict_rehash(struct pq_chunk *k)
{
	k->nslots = k->nslots ? 2 * k->nslots : 1024;
	free(k->slots);
	k->slots = sl_xcalloc(k->nslots, sizeof(*k->slots));
	for (uint32_t e = 0; e < k->ndict; e++) {
		size_t h = (size_t)XXH3_64bits(k->dvals.s + k->doff[e],
					       k->dlen[e]) &
			   (k->nslots - 1);

		while (k->slots[h])
			h = (h + 1) & (k->nslots - 1);
		k->slots[h] = e + 1;
	}
}

/* The value's dictionary index, adding it; -1 if the dictionary would
 * pass its limit (the caller falls back to PLAIN). */
static int64_t dict_index(const struct pq_writer *pw, struct pq_chunk *k,
			  const struct pq_wcol *c, const sl_value *v)
{
	uint8_t tmp[16];
	size_t n, h;
	const void *key = dict_key(c, v, tmp, &n);

	if (!k->nslots)
		dict_rehash(k);
	h = (size_t)XXH3_64bits(key, n) & (k->nslots - 1);
	for (; k->slots[h]; h = (h + 1) & (k->nslots - 1)) {
		uint32_t e = k->slots[h] - 1;

		const char *at = k->dvals.s + k->doff[e];

		/* Constant sizes for numbers: memcmp inlined. */
		if (k->dlen[e] == n &&
		    (n == 8   ? !memcmp(at, key, 8)
		     : n == 4 ? !memcmp(at, key, 4)
			      : !memcmp(at, key, n)))
			return e;
	}
	if ((int64_t)(k->dvals.len + n + 4) > pw->dict_limit)
		return -1;
	if (k->ndict == k->capdict) {
		k->capdict = k->capdict ? 2 * k->capdict : 256;
		k->doff = sl_xrealloc(k->doff, k->capdict * sizeof(*k->doff));
		k->dlen = sl_xrealloc(k->dlen, k->capdict * sizeof(*k->dlen));
	}
	if (c->phys == PQ_BYTE_ARRAY)
		sl_buf_put_u32(&k->dvals, (uint32_t)n);
	k->doff[k->ndict] = (uint32_t)k->dvals.len;
	k->dlen[k->ndict] = (uint32_t)n;
	sl_buf_put(&k->dvals, key, n);
	k->slots[h] = ++k->ndict;
	if (2 * (size_t)k->ndict >= k->nslots)
		dict_rehash(k);
	return k->ndict - 1;
}

/* The open page's value bytes, about. */
static int64_t page_bytes(const struct pq_chunk *k)
{
	if (k->page_dict)
		return (int64_t)(k->nidx * (size_t)index_width(k->ndict) / 8 +
				 k->ndefs / 8);
	return (int64_t)(k->vals.len + k->ndefs / 8);
}

/* ---- pages and row groups --------------------------------------------- */

/* One page: body compressed behind its PageHeader, appended to dst; a
 * data page (v1) of nvalues levels with values in encoding, or the
 * dictionary page of nvalues entries. Returns the bytes appended, or < 0
 * with err set. */
static int put_page(const struct pq_writer *pw, struct pq_file *f,
		    struct pq_chunk *k, int type, const void *body, size_t len,
		    uint32_t nvalues, int encoding, sl_buf *dst, sl_err *err)
{
	pq_enc e;
	int rc;

	f->zip.len = 0;
	if ((rc = pq_compress(pw->codec, body, len, &f->zip, err)) < 0)
		return rc;
	f->hdr.len = 0;
	pq_enc_init(&e, &f->hdr);
	pq_w_struct(&e, 0);
	pq_w_i32(&e, 1, type);
	pq_w_i32(&e, 2, (int32_t)len);
	pq_w_i32(&e, 3, (int32_t)f->zip.len);
	/* The page's CRC-32 over its stored bytes, as Spark writes it. */
	pq_w_i32(&e, 4, (int32_t)(uint32_t)crc32(0, (const Bytef *)f->zip.s,
						 (uInt)f->zip.len));
	pq_w_struct(&e, type == PQ_PAGE_DATA ? 5 : 7);
	pq_w_i32(&e, 1, (int32_t)nvalues);
	pq_w_i32(&e, 2, encoding);
	if (type == PQ_PAGE_DATA) {
		pq_w_i32(&e, 3, PQ_ENC_RLE); /* definition levels */
		pq_w_i32(&e, 4, PQ_ENC_RLE); /* repetition levels (none) */
	}
	pq_w_end(&e);
	pq_w_end(&e);
	sl_buf_put(dst, f->hdr.s, f->hdr.len);
	sl_buf_put(dst, f->zip.s, f->zip.len);
	k->raw += (int64_t)(f->hdr.len + len);
	return (int)(f->hdr.len + f->zip.len);
}

/* Gives up the chunk's dictionary: the open page's values PLAIN into
 * out (from the dictionary's entries), the rest of the chunk PLAIN, no
 * dictionary page. The statistics stay: they are the entries'. */
static void dict_to_plain(struct pq_chunk *k, const struct pq_wcol *c,
			  sl_buf *out)
{
	size_t pre = c->phys == PQ_BYTE_ARRAY ? 4 : 0;

	for (size_t i = 0; i < k->nidx; i++) {
		uint32_t e = k->idx[i];

		sl_buf_put(out, k->dvals.s + k->doff[e] - pre,
			   k->dlen[e] + pre);
	}
	k->page_dict = false;
	k->fallback = true;
	k->ndict = 0;
	k->dvals.len = 0;
	if (k->slots)
		memset(k->slots, 0, k->nslots * sizeof(*k->slots));
}

static int page_flush(const struct pq_writer *pw, struct pq_file *f,
		      struct pq_chunk *k, const struct pq_wcol *c,
		      sl_err *err)
{
	size_t at;
	int rc;

	if (!k->ndefs)
		return 0;
	f->page.len = 0;
	/* v1: the repetition levels (a list's leaves), then the
	 * definition levels, each behind its length. */
	if (c->max_rep) {
		sl_buf_put_u32(&f->page, 0);
		pq_rle_encode(&f->page, k->reps, k->ndefs,
			      pq_level_width(c->max_rep));
		at = f->page.len - 4;
		for (int i = 0; i < 4; i++)
			f->page.s[i] = (char)(at >> (8 * i));
	}
	size_t lv_at = f->page.len;
	sl_buf_put_u32(&f->page, 0);
	pq_rle_encode(&f->page, k->defs, k->ndefs, pq_level_width(c->max_def));
	at = f->page.len - lv_at - 4;
	for (int i = 0; i < 4; i++)
		f->page.s[lv_at + i] = (char)(at >> (8 * i));
	if (k->page_dict) {
		int bw = index_width(k->ndict);
		size_t at0 = f->page.len;

		sl_buf_put_u8(&f->page, (uint8_t)bw);
		pq_rle_encode(&f->page, k->idx, k->nidx, bw);
		/* At the chunk's first page, as Spark's writer: a
		 * dictionary that does not make the values smaller than
		 * PLAIN (indices and dictionary against PLAIN bytes) is
		 * given up, this page written PLAIN too. */
		if (!k->paged && (int64_t)(f->page.len - at0 + k->dvals.len) >=
					 k->plain_len) {
			f->page.len = at0;
			dict_to_plain(k, c, &f->page);
		}
	} else {
		sl_buf_put(&f->page, k->vals.s, k->vals.len);
	}
	rc = put_page(pw, f, k, PQ_PAGE_DATA, f->page.s, f->page.len,
		      (uint32_t)k->ndefs,
		      k->page_dict ? PQ_ENC_PLAIN_DICTIONARY : PQ_ENC_PLAIN,
		      &k->pages, err);
	if (rc < 0)
		return rc;
	k->ndefs = 0;
	k->vals.len = 0;
	k->nbools = 0;
	k->nidx = 0;
	k->page_dict = false;
	k->paged = true;
	k->plain_len = 0;
	return 0;
}

/* A statistic's PLAIN bytes (no length for byte arrays). */
static void stat_bytes(sl_buf *b, const struct pq_wcol *c, const sl_value *v,
		       bool is_max)
{
	if (c->phys == PQ_DOUBLE && v->v.f64 == 0) {
		/* Zeros: -0.0 as the min, +0.0 as the max. */
		sl_value z = sl_v_double(is_max ? 0.0 : -0.0);

		put_plain(b, c, &z);
		return;
	}
	if (c->phys == PQ_FLOAT && v->v.f32 == 0) {
		sl_value z = sl_v_float(is_max ? 0.0f : -0.0f);

		put_plain(b, c, &z);
		return;
	}
	put_plain(b, c, v);
}

static void put_stats(pq_enc *e, const struct pq_wcol *c,
		      const struct pq_chunk *k, sl_buf *tmp)
{
	bool signed_order = c->phys != PQ_BYTE_ARRAY;

	pq_w_struct(e, 12);
	if (k->has_minmax && c->phys == PQ_BYTE_ARRAY) {
		pq_w_i64(e, 3, k->nulls);
		pq_w_bin(e, 5, k->maxb.s, k->maxb.len);
		pq_w_bin(e, 6, k->minb.s, k->minb.len);
	} else if (k->has_minmax) {
		size_t half;

		tmp->len = 0;
		if (c->phys == PQ_FIXED) {
			uint8_t be[16];

			pq_decimal_put(be, c->flen, k->dmax);
			sl_buf_put(tmp, be, (size_t)c->flen);
			pq_decimal_put(be, c->flen, k->dmin);
			sl_buf_put(tmp, be, (size_t)c->flen);
		} else {
			stat_bytes(tmp, c, &k->max, true);
			stat_bytes(tmp, c, &k->min, false);
		}
		half = tmp->len / 2;
		if (signed_order) {
			pq_w_bin(e, 1, tmp->s, half);
			pq_w_bin(e, 2, tmp->s + half, tmp->len - half);
		}
		pq_w_i64(e, 3, k->nulls);
		pq_w_bin(e, 5, tmp->s, half);
		pq_w_bin(e, 6, tmp->s + half, tmp->len - half);
	} else {
		pq_w_i64(e, 3, k->nulls);
	}
	pq_w_end(e);
}

/* The open row group's chunks go to out; its RowGroup to f->rgs. */
static int rowgroup_flush(const struct pq_writer *pw, struct pq_file *f,
			  sl_buf *out, sl_err *err)
{
	int64_t start = f->offset, raw = 0, zipped = 0;
	pq_enc e;
	int rc;

	for (uint32_t i = 0; i < pw->ncols; i++)
		if ((rc = page_flush(pw, f, &f->c[i], &pw->cols[i], err)) < 0)
			return rc;
	pq_enc_init(&e, &f->rgs);
	pq_w_struct(&e, 0);
	pq_w_list(&e, 1, PQ_T_STRUCT, pw->ncols);
	for (uint32_t i = 0; i < pw->ncols; i++) {
		const struct pq_wcol *c = &pw->cols[i];
		struct pq_chunk *k = &f->c[i];
		int64_t dict_at = -1, dict_bytes = 0;

		if (k->ndict) {
			dict_at = f->offset;
			dict_bytes = put_page(pw, f, k, PQ_PAGE_DICTIONARY,
					      k->dvals.s, k->dvals.len,
					      k->ndict, PQ_ENC_PLAIN, out, err);
			if (dict_bytes < 0)
				return (int)dict_bytes;
			f->offset += dict_bytes;
		}
		pq_w_struct(&e, 0);
		pq_w_i64(&e, 2, dict_at >= 0 ? dict_at : f->offset);
		pq_w_struct(&e, 3);
		pq_w_i32(&e, 1, c->phys);
		pq_w_list(&e, 2, PQ_T_I32, k->ndict ? 3 : 2);
		if (k->ndict)
			pq_w_elem_i32(&e, PQ_ENC_PLAIN_DICTIONARY);
		pq_w_elem_i32(&e, PQ_ENC_PLAIN);
		pq_w_elem_i32(&e, PQ_ENC_RLE);
		pq_w_list(&e, 3, PQ_T_BINARY, c->nnames);
		for (uint32_t d = 0; d < c->nnames; d++)
			pq_w_elem_bin(&e, c->names[d], strlen(c->names[d]));
		pq_w_i32(&e, 4, pw->codec);
		pq_w_i64(&e, 5, k->nvalues);
		pq_w_i64(&e, 6, k->raw);
		pq_w_i64(&e, 7, (int64_t)k->pages.len + dict_bytes);
		pq_w_i64(&e, 9, f->offset);
		if (dict_at >= 0)
			pq_w_i64(&e, 11, dict_at);
		put_stats(&e, c, k, &f->stat);
		pq_w_end(&e);
		pq_w_end(&e);
		sl_buf_put(out, k->pages.s, k->pages.len);
		f->offset += (int64_t)k->pages.len;
		raw += k->raw;
		zipped += (int64_t)k->pages.len + dict_bytes;
		k->pages.len = 0;
		k->raw = k->nvalues = k->nulls = 0;
		k->has_minmax = false;
		k->minb.len = k->maxb.len = 0;
		k->fallback = false;
		k->paged = false;
		k->ndict = 0;
		k->dvals.len = 0;
		if (k->slots)
			memset(k->slots, 0, k->nslots * sizeof(*k->slots));
	}
	pq_w_i64(&e, 2, raw);
	pq_w_i64(&e, 3, f->rows);
	pq_w_i64(&e, 5, start);
	pq_w_i64(&e, 6, zipped);
	pq_w_end(&e);
	f->stat.len = 0;
	f->nrgs++;
	f->total += f->rows;
	f->rows = 0;
	return 0;
}

/* ---- files -------------------------------------------------------------- */

int pq_file_open(const sl_format_writer *w, void **file, sl_buf *out,
		 sl_err *err)
{
	const struct pq_writer *pw = w->state;
	struct pq_file *f = sl_xcalloc(1, sizeof(*f));

	*file = f; /* the sink's now: an unwind leaves it to file_abandon */
	f->pw = pw;
	f->c = sl_xcalloc(pw->ncols ? pw->ncols : 1, sizeof(*f->c));
	sl_buf_put(out, "PAR1", 4);
	f->offset = 4;
	*file = f;
	return 0;
}

/* A non-null value other than a boolean into the open page: its
 * dictionary index, or PLAIN. 1 when the statistics must see it (PLAIN,
 * or new to the dictionary: the chunk's statistics are its
 * dictionary's), 0, or < 0 with err set. */
static int put_value(const struct pq_writer *pw, struct pq_file *f,
		     struct pq_chunk *k, const struct pq_wcol *c,
		     const sl_value *v, sl_err *err)
{
	/* A list's leaf is PLAIN: a dictionary that fills up would end
	 * its page inside a row. */
	if (pw->dict && !k->fallback && !c->max_rep) {
		uint32_t before = k->ndict;
		int64_t i = dict_index(pw, k, c, v);

		if (i >= 0) {
			if (k->nidx == k->capidx) {
				k->capidx = k->capidx ? 2 * k->capidx : 256;
				k->idx = sl_xrealloc(k->idx, k->capidx *
								     sizeof(*k->idx));
			}
			k->idx[k->nidx++] = (uint32_t)i;
			k->page_dict = true;
			k->plain_len += c->phys == PQ_BYTE_ARRAY
						? 4 + (int64_t)v->len
					: c->phys == PQ_FIXED ? c->flen
					: c->phys == PQ_INT32 ||
							c->phys == PQ_FLOAT
						? 4
						: 8;
			return k->ndict != before;
		}
		/* The dictionary is full: this page ends (its levels so
		 * far, less this value's), the rest of the chunk is PLAIN. */
		k->fallback = true;
		if (k->page_dict) {
			int rc;

			k->ndefs--;
			rc = page_flush(pw, f, k, c, err);
			if (rc < 0)
				return rc;
			k->defs[k->ndefs++] = c->max_def;
		}
	}
	put_plain(&k->vals, c, v);
	return 1;
}

/* A decimal value of column c as the file keeps it: its unscaled value
 * at the column's scale, an INT32 or INT64 value for the narrow
 * decimals. 0, or < 0 with err set for a value the column cannot hold. */
static int decimal_value(const sl_format_writer *w, const struct pq_wcol *c,
			 const sl_value *v, sl_value *out, sl_dec_u *slot,
			 sl_err *err)
{
	sl_dec_u u = sl_v_dec_get(v);

	if (v->type != SL_DECIMAL)
		return sl_err_set(err, SL_EINVAL,
				  "sink '%s': column '%s': a value of type %d "
				  "in a DECIMAL column",
				  w->component, c->name, (int)v->type);
	if (v->pad[0] != c->prec || v->pad[1] != c->scale) {
		sl_dec_u r;

		if (sl_decimal_rescale(u, sl_decimal_type_make(v->pad[0],
							       v->pad[1]),
				       sl_decimal_type_make(c->prec, c->scale),
				       SL_DECIMAL_HALF_UP, &r) != 0)
			return sl_err_set(err, SL_EINVAL,
					  "sink '%s': column '%s': a value "
					  "of DECIMAL(%d,%d) does not fit "
					  "DECIMAL(%d,%d)",
					  w->component, c->name, v->pad[0],
					  v->pad[1], c->prec, c->scale);
		u = r;
	}
	if (c->phys == PQ_INT32)
		*out = sl_v_int((int32_t)u);
	else if (c->phys == PQ_INT64)
		*out = sl_v_long((int64_t)u);
	else {
		/* Kept in slot when it is beyond int64. */
		*out = sl_v_dec(0, c->prec, c->scale, NULL);
		if (u >= INT64_MIN && u <= INT64_MAX) {
			out->v.i64 = (int64_t)u;
		} else {
			*slot = u;
			out->pad[2] = SL_DEC_WIDE;
			out->v.dec = slot;
		}
	}
	return 0;
}

/* One entry of leaf c's chunk: its repetition and definition levels, and
 * its value when def is the leaf's max_def (v, else NULL). 0, or < 0
 * with err set. */
static int leaf_put(const sl_format_writer *w, struct pq_file *f,
		    struct pq_chunk *k, const struct pq_wcol *c, uint32_t rep,
		    uint32_t def, const sl_value *v, sl_err *err)
{
	const struct pq_writer *pw = w->state;
	sl_value nv;
	sl_dec_u slot;
	int rc;

	if (v && c->id == SL_DECIMAL) {
		if ((rc = decimal_value(w, c, v, &nv, &slot, err)) < 0)
			return rc;
		v = &nv;
	}
	if (k->ndefs == k->capdefs) {
		k->capdefs = k->capdefs ? 2 * k->capdefs : 256;
		k->defs = sl_xrealloc(k->defs, k->capdefs * sizeof(*k->defs));
		if (c->max_rep)
			k->reps = sl_xrealloc(k->reps,
					      k->capdefs * sizeof(*k->reps));
	}
	if (c->max_rep)
		k->reps[k->ndefs] = rep;
	k->defs[k->ndefs++] = def;
	k->nvalues++;
	if (!v) {
		k->nulls++;
	} else if (c->phys == PQ_BOOLEAN) {
		if (k->nbools % 8 == 0)
			sl_buf_put_u8(&k->vals, 0);
		if (v->v.b)
			k->vals.s[k->vals.len - 1] |=
				(char)(1u << (k->nbools % 8));
		k->nbools++;
		stats_add(k, c, v);
	} else {
		if ((rc = put_value(pw, f, k, c, v, err)) < 0)
			return rc;
		if (rc)
			stats_add(k, c, v);
	}
	return 0;
}

/* Leaf c's entries of value v, at step s of its path: the levels of the
 * repetition rep it starts at, def of its levels above defined. */
static int shred(const sl_format_writer *w, struct pq_file *f,
		 struct pq_chunk *k, const struct pq_wcol *c, const sl_value *v,
		 uint32_t s, uint32_t rep, uint32_t def, sl_err *err)
{
	int rc;

	if (sl_v_is_null(v))
		return leaf_put(w, f, k, c, rep, def, NULL, err);
	if (s == c->nsteps)
		return leaf_put(w, f, k, c, rep, def + 1, v, err);
	if (c->step[s] == PQ_STEP_FIELD)
		return shred(w, f, k, c, &v->v.fields[c->path[s]], s + 1, rep,
			     def + 1, err);
	/* A list or a map: its group defined (def + 1), each element or
	 * entry one level of repetition deeper (c->rep_at[s]); none: empty.
	 * A map's entries are its keys and values in turn; a key is
	 * REQUIRED (no level of its own). */
	if (!v->len)
		return leaf_put(w, f, k, c, rep, def + 1, NULL, err);
	for (uint32_t i = 0; i < v->len; i++) {
		uint32_t r = i ? c->rep_at[s] : rep;

		if (c->step[s] == PQ_STEP_ELEM)
			rc = shred(w, f, k, c, &v->v.arr[i], s + 1, r, def + 2,
				   err);
		else if (c->step[s] == PQ_STEP_KEY)
			rc = shred(w, f, k, c, &v->v.arr[2 * i], s + 1, r,
				   def + 1, err);
		else
			rc = shred(w, f, k, c, &v->v.arr[2 * i + 1], s + 1, r,
				   def + 2, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pq_write_batch(const sl_format_writer *w, void *file, const sl_batch *b,
		   uint32_t from, uint32_t n, sl_buf *out, sl_err *err)
{
	const struct pq_writer *pw = w->state;
	struct pq_file *f = file;
	int rc;

	for (uint32_t r = from; r < from + n; r++) {
		const sl_value *row = sl_batch_row(b, r);
		int64_t size = 0;

		for (uint32_t i = 0; i < pw->ncols; i++) {
			const struct pq_wcol *c = &pw->cols[i];
			struct pq_chunk *k = &f->c[i];

			if ((rc = shred(w, f, k, c, &row[c->col], 0, 0, 0,
					err)) < 0)
				return rc;
			/* Pages end between rows. */
			if ((k->ndefs >= PQ_PAGE_ROWS ||
			     page_bytes(k) >= pw->page_size) &&
			    (rc = page_flush(pw, f, k, c, err)) < 0)
				return rc;
			size += (int64_t)(k->pages.len + k->dvals.len) +
				page_bytes(k);
		}
		f->rows++;
		if (size >= pw->block_size &&
		    (rc = rowgroup_flush(pw, f, out, err)) < 0)
			return rc;
	}
	return 0;
}

static void file_free(const struct pq_writer *pw, struct pq_file *f)
{
	for (uint32_t i = 0; f->c && i < pw->ncols; i++) {
		free(f->c[i].defs);
		free(f->c[i].reps);
		sl_buf_free(&f->c[i].vals);
		sl_buf_free(&f->c[i].pages);
		sl_buf_free(&f->c[i].minb);
		sl_buf_free(&f->c[i].maxb);
		sl_buf_free(&f->c[i].dvals);
		free(f->c[i].doff);
		free(f->c[i].dlen);
		free(f->c[i].slots);
		free(f->c[i].idx);
	}
	free(f->c);
	sl_buf_free(&f->rgs);
	sl_buf_free(&f->page);
	sl_buf_free(&f->zip);
	sl_buf_free(&f->hdr);
	sl_buf_free(&f->stat);
	free(f);
}

static void file_free_v(void *f)
{
	file_free(((struct pq_file *)f)->pw, f);
}

void pq_file_abandon(const sl_format_writer *w, void *file)
{
	file_free_v(file);
}

int pq_file_close(const sl_format_writer *w, void *file, sl_buf *out,
		  sl_err *err)
{
	const struct pq_writer *pw = w->state;
	struct pq_file *f = file;
	size_t start;
	pq_enc e;
	int rc = 0;

	if (!f)
		return 0;
	sl_oom_defer(file_free_v, f); /* core/alloc.h */
	if ((f->rows || !f->nrgs) && (rc = rowgroup_flush(pw, f, out, err)) < 0)
		goto out;
	start = out->len;
	pq_enc_init(&e, out);
	pq_w_struct(&e, 0);
	pq_w_i32(&e, 1, 1);
	pq_put_schema(&e, pw, w);
	pq_w_i64(&e, 3, f->total);
	pq_w_list(&e, 4, PQ_T_STRUCT, f->nrgs);
	sl_buf_put(out, f->rgs.s, f->rgs.len);
	/* key_value_metadata: the schema for Spark's reader, and the Spark
	 * version whose calendar the dates and timestamps are in (Spark
	 * rebases the values of files of versions before 3.0, or of files
	 * without a version when spark.sql.parquet.datetimeRebaseModeInRead
	 * says so; sluice's are proleptic Gregorian, as Spark 3 and later
	 * write them). */
	pq_w_list(&e, 5, PQ_T_STRUCT, 2);
	pq_w_struct(&e, 0);
	pq_w_str(&e, 1, "org.apache.spark.version");
	pq_w_str(&e, 2, PQ_SPARK_VERSION);
	pq_w_end(&e);
	pq_w_struct(&e, 0);
	pq_w_str(&e, 1, "org.apache.spark.sql.parquet.row.metadata");
	pq_w_bin(&e, 2, pw->row_meta.s, pw->row_meta.len);
	pq_w_end(&e);
	pq_w_str(&e, 6, "sluice version " SLUICE_VERSION " (build none)");
	pq_w_list(&e, 7, PQ_T_STRUCT, pw->ncols);
	for (uint32_t i = 0; i < pw->ncols; i++) {
		/* ColumnOrder: TYPE_ORDER, the types' own orders. */
		pq_w_struct(&e, 0);
		pq_w_struct(&e, 1);
		pq_w_end(&e);
		pq_w_end(&e);
	}
	pq_w_end(&e);
	sl_buf_put_u32(out, (uint32_t)(out->len - start));
	sl_buf_put(out, "PAR1", 4);
out:
	sl_oom_undefer(f);
	file_free(pw, f);
	return rc;
}
