/* io/format_parquet_pages.c - the pages of a Parquet column chunk
 * decoded into sluice's values (the reader's half that knows the page
 * formats; io/format_parquet_read.c opens files and row groups and makes
 * rows of the values). A chunk's pages are decoded one at a time:
 * dictionary pages, data pages v1 and v2, definition levels in the
 * RLE/bit-packed hybrid, PLAIN, dictionary (PLAIN_DICTIONARY,
 * RLE_DICTIONARY), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT values (the last four made PLAIN
 * first), uncompressed, snappy, gzip or zstd. Every fault names the
 * column and the page's byte offset in the file. */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/decimal.h"
#include "io/parquet_read.h"

/* ---- errors ----------------------------------------------------------- */

int pq_fail(sl_format_reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The file's bytes, unless the caller says otherwise (pq_unbad). */
	r->bad = true;
	return sl_err_set(&r->err, SL_EIO, "source '%s': %s: %s",
			  r->scan->component, r->path, msg);
}

int pq_unbad(sl_format_reader *r, int rc)
{
	r->bad = false;
	return rc;
}

int pq_failc(sl_format_reader *r, const struct pq_rcol *c,
		 const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->page_at > 0)
		return pq_fail(r, "column '%s' (page at byte %lld): %s",
			       c->name, (long long)c->page_at, msg);
	return pq_fail(r, "column '%s' (column chunk at byte %lld): %s",
		    c->name, (long long)c->chunk_at, msg);
}

const char *pq_encoding_name(int e)
{
	static const char *const names[] = {
		"PLAIN",	       "GROUP_VAR_INT",	  "PLAIN_DICTIONARY",
		"RLE",		       "BIT_PACKED",	  "DELTA_BINARY_PACKED",
		"DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY",
		"BYTE_STREAM_SPLIT",
	};

	return e >= 0 && e < 10 ? names[e] : "unknown";
}

/* ---- pages ------------------------------------------------------------ */

/* One stored value of column c at [p, p + len) as sluice's value into
 * *out; a decimal beyond int64 goes into *wide. false for a decimal out
 * of the column's precision. */
static bool convert(const struct pq_rcol *c, const uint8_t *p, uint32_t len,
		    sl_dec_u *wide, sl_value *out)
{
	sl_dec_u u;

	switch (c->conv) {
	case CV_INT: *out = sl_v_int((int32_t)pq_le32(p)); return true;
	case CV_I8: *out = sl_v_int((int8_t)pq_le32(p)); return true;
	case CV_I16: *out = sl_v_int((int16_t)pq_le32(p)); return true;
	case CV_I32_LONG: *out = sl_v_long((int32_t)pq_le32(p)); return true;
	case CV_I32_DOUBLE:
		*out = sl_v_double((int32_t)pq_le32(p));
		return true;
	case CV_DATE: *out = sl_v_date((int32_t)pq_le32(p)); return true;
	case CV_LONG: *out = sl_v_long((int64_t)pq_le64(p)); return true;
	case CV_I64_DOUBLE:
		*out = sl_v_double((double)(int64_t)pq_le64(p));
		return true;
	case CV_TS_US: *out = sl_v_ts((int64_t)pq_le64(p)); return true;
	case CV_TS_MS:
		*out = sl_v_ts((int64_t)((uint64_t)pq_le64(p) * 1000));
		return true;
	case CV_NTZ_US:
	case CV_NTZ_MS:
		*out = (sl_value){ .type = SL_TIMESTAMP_NTZ };
		out->v.i64 = (int64_t)((uint64_t)pq_le64(p) *
				       (c->conv == CV_NTZ_MS ? 1000 : 1));
		return true;
	case CV_INT96: {
		/* Nanoseconds of the day, then the Julian day. */
		int64_t ns = (int64_t)pq_le64(p);
		int64_t day = (int32_t)pq_le32(p + 8) - 2440588;

		*out = sl_v_ts((int64_t)((uint64_t)day * 86400000000ull +
					 (uint64_t)(ns / 1000)));
		return true;
	}
	case CV_FLOAT:
	case CV_F32: {
		uint32_t b = pq_le32(p);
		float f;

		memcpy(&f, &b, sizeof(f));
		*out = c->conv == CV_F32 ? sl_v_float(f) : sl_v_double(f);
		return true;
	}
	case CV_DOUBLE: {
		uint64_t b = pq_le64(p);
		double x;

		memcpy(&x, &b, sizeof(x));
		*out = sl_v_double(x);
		return true;
	}
	case CV_STR: *out = sl_v_str((const char *)p, len); return true;
	case CV_DEC_I32: u = (int32_t)pq_le32(p); break;
	case CV_DEC_I64: u = (int64_t)pq_le64(p); break;
	case CV_DEC_BE:
		if (!pq_decimal_get(p, len, &u))
			return false;
		break;
	default: *out = sl_v_bin(p, len); return true;
	}
	if (!sl_decimal_fits(u, sl_decimal_type_make(c->fprec, c->fscale)))
		return false;
	/* A wider schema type: fits, as map_columns chose it so. */
	if (c->dscale > c->fscale)
		u *= sl_decimal_pow10(c->dscale - c->fscale);
	*out = sl_v_dec(0, c->dprec, c->dscale, NULL);
	if (u >= INT64_MIN && u <= INT64_MAX) {
		out->v.i64 = (int64_t)u;
	} else {
		*wide = u;
		out->pad[2] = SL_DEC_WIDE;
		out->v.dec = wide;
	}
	return true;
}

bool pq_stat_value(const struct pq_rcol *c, const uint8_t *p, uint32_t len,
		   sl_dec_u *wide, sl_value *out)
{
	switch (c->conv) {
	case CV_INT:
	case CV_I8:
	case CV_I16:
	case CV_I32_LONG:
	case CV_DATE:
	case CV_DEC_I32:
		if (len != 4)
			return false;
		break;
	case CV_LONG:
	case CV_TS_US:
	case CV_TS_MS:
	case CV_NTZ_US:
	case CV_NTZ_MS:
	case CV_DEC_I64:
		if (len != 8)
			return false;
		break;
	/* min_value and max_value order decimals by value and strings by
	 * their bytes, unsigned (the Parquet format's column orders). */
	case CV_DEC_BE:
	case CV_STR: break;
	/* Floats (NaN is left out of their bounds but compares above
	 * every number), INT96, binary and the rest: not used. */
	default: return false;
	}
	return convert(c, p, len, wide, out);
}

/* PLAIN values: n of them from [p, p + len) into out (decimals beyond
 * int64 into wide[0..n), when the column has decimals); -1 if the bytes
 * end first, -2 for a decimal out of the column's precision. */
static int plain(const struct pq_rcol *c, const uint8_t *p, size_t len,
		 uint32_t n, sl_value *out, sl_dec_u *wide)
{
	size_t w;
	sl_dec_u spare;

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
			if (!convert(c, p + 4, l, wide ? &wide[i] : &spare,
				     &out[i]))
				return -2;
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
		if (!convert(c, p + i * w, (uint32_t)w,
			     wide ? &wide[i] : &spare, &out[i]))
			return -2;
	return 0;
}

static void *grow(void *p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return p;
	*cap = want + want / 2 + 16;
	return sl_xrealloc(p, *cap * size);
}

/* Room for the unscaled values beyond int64 of n values of the open
 * page: NULL unless the column's decimals are stored as bytes. */
static sl_dec_u *page_wide(struct pq_rcol *c, uint32_t n)
{
	if (c->conv != CV_DEC_BE)
		return NULL;
	c->wide = grow(c->wide, &c->capwide, (size_t)n + 1, sizeof(*c->wide));
	return c->wide;
}

/* plain()'s -2: a decimal that its column cannot hold. */
static int bad_decimal(sl_format_reader *r, const struct pq_rcol *c)
{
	return pq_failc(r, c, "a DECIMAL(%d,%d) value past the column's "
			"precision", c->fprec, c->fscale);
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
		return pq_failc(r, c, "the page's DELTA_BINARY_PACKED %s %s",
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
	int rc;

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
				return pq_failc(r, c, "the page's DELTA_LENGTH_"
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
				return pq_failc(r, c, "value %u's DELTA_BYTE_"
					"ARRAY "
					     "prefix (%llu bytes) is longer "
					     "than the value before it",
					     i, (unsigned long long)pre);
			if (suf > (uint64_t)(end - p) - sufs)
				return pq_failc(r, c, "the page's DELTA_BYTE_"
					     "ARRAY suffixes run past it");
			sufs += (size_t)suf;
			prev = (size_t)(pre + suf);
			if (w && prev != w)
				return pq_failc(r, c, "a DELTA_BYTE_ARRAY "
					"value of "
					     "%zu bytes in a column of "
					     "%zu-byte values",
					     prev, w);
			total += (w ? 0 : 4) + prev;
			if (total > PQ_MAX_DECODED)
				return pq_failc(r, c, "the page's values pass "
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
			return pq_failc(r, c, "the page's BYTE_STREAM_"
					"SPLIT values "
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
	return pq_failc(r, c, "page encoding %s is not valid for the column's "
		     "physical type %d",
		     pq_encoding_name(enc), type);
plain:
	if ((rc = plain(c, c->dec, total, n, c->tmp, page_wide(c, n))) == -2)
		return bad_decimal(r, c);
	if (rc < 0)
		return pq_failc(r, c, "the page's %s values end before its %u "
			     "values",
			     pq_encoding_name(enc), n);
	return 0;
}

static int dictionary_page(sl_format_reader *r, struct pq_rcol *c,
			   const pq_page *pg, const uint8_t *body)
{
	sl_err e = { 0 };
	int rc;

	if (c->dict)
		return pq_failc(r, c, "a second dictionary page in one "
			       "column chunk");
	if (pg->encoding != PQ_ENC_PLAIN &&
	    pg->encoding != PQ_ENC_PLAIN_DICTIONARY)
		return pq_failc(r, c, "dictionary page encoding %s is "
			       "not supported",
			    pq_encoding_name(pg->encoding));
	c->dict_mem = sl_xrealloc(NULL, (size_t)pg->usize + 1);
	if (pq_decompress(c->codec, body, (size_t)pg->csize, c->dict_mem,
			  (size_t)pg->usize, &e) < 0)
		return pq_failc(r, c, "dictionary page: %s", e.msg);
	c->ndict = (uint32_t)pg->nvalues;
	c->dict = sl_xcalloc((size_t)c->ndict + 1, sizeof(*c->dict));
	if (c->conv == CV_DEC_BE)
		c->dict_wide = sl_xcalloc((size_t)c->ndict + 1,
					  sizeof(*c->dict_wide));
	rc = plain(c, c->dict_mem, (size_t)pg->usize, c->ndict, c->dict,
		   c->dict_wide);
	if (rc == -2)
		return bad_decimal(r, c);
	if (rc < 0)
		return pq_failc(r, c, "the dictionary page's values end "
			       "before its %u values",
			    c->ndict);
	return 0;
}

/* Values of a data page: levels at [lv, lv + lvlen) (none when the column
 * is REQUIRED), then values at [p, p + len). */
static int page_values(sl_format_reader *r, struct pq_rcol *c,
		       const pq_page *pg, const uint8_t *rvp, size_t rvlen,
		       const uint8_t *lvp, size_t lvlen, const uint8_t *p,
		       size_t len)
{
	uint32_t n = (uint32_t)pg->nvalues, nn = 0;
	int rc;

	if (c->max_rep) {
		c->rv = grow(c->rv, &c->caprv, (size_t)n + 1, sizeof(*c->rv));
		if (!pq_rle_decode(rvp, rvlen,
				   pq_level_width((uint32_t)c->max_rep), c->rv,
				   n))
			return pq_failc(r, c, "the repetition levels end "
				       "before the page's %u values",
				    n);
		for (uint32_t i = 0; i < n; i++)
			if (c->rv[i] > (uint32_t)c->max_rep)
				return pq_failc(r, c, "a repetition level %u "
					       "past the column's %d",
					    c->rv[i], c->max_rep);
	}

	c->lv = grow(c->lv, &c->caplv, (size_t)n + 1, sizeof(*c->lv));
	c->vals = grow(c->vals, &c->capvals, (size_t)n + 1, sizeof(*c->vals));
	c->tmp = grow(c->tmp, &c->captmp, (size_t)n + 1, sizeof(*c->tmp));
	if (c->max_def) {
		if (!pq_rle_decode(lvp, lvlen, pq_level_width((uint32_t)c->max_def),
				   c->lv, n))
			return pq_failc(r, c, "the definition levels end "
				       "before the page's %u values",
				    n);
		for (uint32_t i = 0; i < n; i++) {
			if (c->lv[i] > (uint32_t)c->max_def)
				return pq_failc(r, c, "a definition level %u "
					       "past the column's %d",
					    c->lv[i], c->max_def);
			nn += c->lv[i] == (uint32_t)c->max_def;
		}
	} else {
		nn = n;
	}
	if (pg->encoding == PQ_ENC_PLAIN) {
		if ((rc = plain(c, p, len, nn, c->tmp, page_wide(c, nn))) == -2)
			return bad_decimal(r, c);
		if (rc < 0)
			return pq_failc(r, c, "a page's values end "
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
			return pq_failc(r, c, "a page's RLE booleans end "
				       "before its %u values",
				    nn);
	} else if (pg->encoding == PQ_ENC_PLAIN_DICTIONARY ||
		   pg->encoding == PQ_ENC_RLE_DICTIONARY) {
		uint32_t *ix;

		if (!c->dict)
			return pq_failc(r, c, "a dictionary-encoded "
				       "page without a dictionary page");
		ix = sl_xcalloc((size_t)nn + 1, sizeof(*ix));
		if (nn && (len < 1 || !pq_rle_decode(p + 1, len - 1, p[0], ix,
						     nn))) {
			free(ix);
			return pq_failc(r, c, "a page's dictionary "
				       "indices are damaged");
		}
		for (uint32_t i = 0; i < nn; i++) {
			if (ix[i] >= c->ndict) {
				uint32_t bad = ix[i];

				free(ix);
				return pq_failc(r, c, "dictionary index "
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
		return pq_failc(r, c, "page encoding %s (%d) is not "
			       "supported (sluice reads PLAIN, dictionary, "
			       "RLE boolean, DELTA_* and BYTE_STREAM_SPLIT "
			       "pages)",
			    pq_encoding_name(pg->encoding), pg->encoding);
	}
	for (uint32_t i = 0, k = 0; i < n; i++)
		c->vals[i] = !c->max_def || c->lv[i] == (uint32_t)c->max_def
				     ? c->tmp[k++]
				     : sl_v_null();
	c->nvals = n;
	c->at = 0;
	return 0;
}

int pq_next_page(sl_format_reader *r, struct pq_rcol *c)
{
	for (;;) {
		const uint8_t *body;
		sl_err e = { 0 };
		size_t used;
		pq_page pg;

		if (c->cpos >= c->clen)
			return pq_failc(r, c, "the column chunk (%zu bytes) "
					"ends "
				       "before the row group's rows",
				     c->clen);
		c->page_at = c->chunk_at + (int64_t)c->cpos;
		if (pq_page_parse(c->chunk + c->cpos, c->clen - c->cpos, &pg,
				  &used) < 0)
			return pq_failc(r, c, "a damaged page header (its "
					"Thrift "
				       "bytes end or break)");
		c->cpos += used;
		if ((size_t)pg.csize > c->clen - c->cpos)
			return pq_failc(r, c, "a page of %d bytes runs "
				       "past its column chunk (truncated?)",
				    pg.csize);
		body = c->chunk + c->cpos;
		c->cpos += (size_t)pg.csize;
		if (pg.has_crc) {
			uint32_t crc = (uint32_t)crc32(0, body, (uInt)pg.csize);

			if (crc != pg.crc)
				return pq_failc(r, c, "page CRC mismatch: its "
					       "bytes' CRC-32 is %08x, its "
					       "header says %08x (damaged)",
					    (unsigned)crc, (unsigned)pg.crc);
		}
		/* A flat column's page has at most a row group's values;
		 * a damaged count must not size the buffers. */
		if (pg.nvalues > PQ_MAX_PAGE_VALUES ||
		    (pg.type != PQ_PAGE_DICTIONARY && !c->max_rep &&
		     pg.nvalues > c->rg_rows))
			return pq_failc(r, c, "a page says it has %d "
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
				return pq_failc(r, c, "definition level "
					       "encoding %s is not supported",
					    pq_encoding_name(pg.def_encoding));
			c->page = grow(c->page, &c->pagecap,
				       (size_t)pg.usize + 1, 1);
			if (pq_decompress(c->codec, body, (size_t)pg.csize,
					  c->page, (size_t)pg.usize, &e) < 0)
				return pq_failc(r, c, "%s", e.msg);
			/* Each level block behind its 4-byte length:
			 * repetition (a list's leaf), then definition. */
			size_t rvat = 0, rvlen = 0, lvat = 0;

			for (int b = 0; b < 2; b++) {
				if (!(b ? c->max_def : c->max_rep))
					continue;
				if ((size_t)pg.usize < off + 4 ||
				    pq_le32(c->page + off) >
					    (uint32_t)pg.usize - off - 4)
					return pq_failc(r, c, "a page's "
						       "levels run past it");
				if (b)
					lvat = off + 4, lvlen = pq_le32(c->page + off);
				else
					rvat = off + 4, rvlen = pq_le32(c->page + off);
				off += 4 + pq_le32(c->page + off);
			}
			if (page_values(r, c, &pg, c->page + rvat, rvlen,
					c->page + lvat, lvlen, c->page + off,
					(size_t)pg.usize - off) < 0)
				return r->err.code;
		} else if (pg.type == PQ_PAGE_DATA_V2) {
			size_t lv = (size_t)pg.def_len + (size_t)pg.rep_len;
			const uint8_t *vals = body + lv;
			size_t vlen;

			if (lv > (size_t)pg.csize || lv > (size_t)pg.usize)
				return pq_failc(r, c, "a v2 page's levels "
					       "run past it");
			vlen = (size_t)pg.usize - lv;
			if (pg.v2_compressed && c->codec != PQ_CODEC_NONE) {
				c->page = grow(c->page, &c->pagecap, vlen + 1,
					       1);
				if (pq_decompress(c->codec, vals,
						  (size_t)pg.csize - lv,
						  c->page, vlen, &e) < 0)
					return pq_failc(r, c, "%s",
						    e.msg);
				vals = c->page;
			} else if ((size_t)pg.csize - lv < vlen) {
				return pq_failc(r, c, "a v2 page is "
					       "shorter than it says");
			}
			if (page_values(r, c, &pg, body, (size_t)pg.rep_len,
					body + pg.rep_len, (size_t)pg.def_len,
					vals, vlen) < 0)
				return r->err.code;
		} else {
			continue; /* an index page */
		}
		if (c->nvals)
			return 0;
	}
}
