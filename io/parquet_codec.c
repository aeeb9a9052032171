/* io/parquet_codec.c - the byte-level codings of Parquet pages: the
 * RLE/bit-packed hybrid (Encodings.md) that definition levels and
 * dictionary indices are written in, and the page compressions sluice
 * has: snappy (libsnappy), gzip (zlib), zstd (libzstd). */
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "io/parquet.h"

/* ---- the RLE/bit-packed hybrid ---------------------------------------- */

static void put_uvarint(sl_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		sl_buf_put_u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	sl_buf_put_u8(b, (uint8_t)v);
}

/* The length of the run of equal values at v[i]. */
static size_t run_at(const uint32_t *v, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && v[j] == v[i])
		j++;
	return j - i;
}

void pq_rle_encode(sl_buf *b, const uint32_t *v, size_t n, int bw)
{
	size_t vbytes = ((size_t)bw + 7) / 8;
	size_t i = 0;

	while (i < n) {
		size_t run = run_at(v, n, i), start, groups = 0;

		if (run >= 8) {
			/* An RLE run: count << 1, then the value. */
			put_uvarint(b, (uint64_t)run << 1);
			for (size_t k = 0; k < vbytes; k++)
				sl_buf_put_u8(b, (uint8_t)(v[i] >> (8 * k)));
			i += run;
			continue;
		}
		/* Bit-packed groups of 8 until a long run starts a group;
		 * only the last group of the data is padded with zeros. */
		start = i;
		while (i < n && groups < 1u << 20) {
			if (groups && run_at(v, n, i) >= 8)
				break;
			i += 8;
			groups++;
		}
		if (i > n)
			i = n;
		put_uvarint(b, (uint64_t)groups << 1 | 1);
		{
			size_t nbits = groups * 8 * (size_t)bw;
			uint8_t *out = sl_buf_reserve(b, (nbits + 7) / 8);
			uint64_t acc = 0;
			int have = 0;

			/* LSB first: whole bytes leave the accumulator as
			 * they fill (8 values of bw bits are bw bytes). */
			for (size_t k = 0; k < groups * 8; k++) {
				uint64_t x = start + k < n ? v[start + k] : 0;

				acc |= x << have;
				have += bw;
				while (have >= 8) {
					*out++ = (uint8_t)acc;
					acc >>= 8;
					have -= 8;
				}
			}
			b->len += (nbits + 7) / 8;
		}
	}
}

/* Value k of width bw (1..64) of the little-endian bit stream at p. */
static uint64_t unpack_at(const uint8_t *p, size_t k, int bw)
{
	size_t bit = k * (size_t)bw;
	uint64_t x = 0;
	int got = 0;

	while (got < bw) {
		int off = (int)(bit % 8), take = 8 - off;

		if (take > bw - got)
			take = bw - got;
		x |= (uint64_t)(p[bit / 8] >> off & ((1u << take) - 1)) << got;
		got += take;
		bit += (size_t)take;
	}
	return x;
}

bool pq_rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out,
		   size_t n)
{
	const uint8_t *end = p + len;
	size_t vbytes = ((size_t)bw + 7) / 8, got = 0;
	uint32_t mask = bw >= 32 ? 0xffffffffu : (1u << bw) - 1;

	if (bw < 0 || bw > 32)
		return false;
	if (bw == 0) {
		memset(out, 0, n * sizeof(*out));
		return true;
	}
	while (got < n) {
		uint64_t h = 0;
		int shift = 0;

		for (;;) {
			if (p >= end || shift > 56)
				return false;
			h |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
			if (!(*p++ & 0x80))
				break;
		}
		if (h & 1) {
			uint64_t count = (h >> 1) * 8, use = n - got;
			size_t bytes;

			if (count < use)
				use = count;
			if ((use * (uint64_t)bw + 7) / 8 > (uint64_t)(end - p))
				return false;
			bytes = count * (uint64_t)bw / 8 < (uint64_t)(end - p)
					? (size_t)(count * (uint64_t)bw / 8)
					: (size_t)(end - p);
			for (uint64_t k = 0; k < use; k++)
				out[got++] =
					(uint32_t)unpack_at(p, k, bw) & mask;
			p += bytes;
		} else {
			uint64_t count = h >> 1;
			uint32_t x = 0;

			if ((size_t)(end - p) < vbytes || count == 0)
				return false;
			for (size_t k = 0; k < vbytes; k++)
				x |= (uint32_t)p[k] << (8 * k);
			p += vbytes;
			for (; count && got < n; count--)
				out[got++] = x & mask;
		}
	}
	return true;
}

/* ---- compression ------------------------------------------------------ */

const char *pq_codec_name(int codec)
{
	switch (codec) {
	case PQ_CODEC_NONE: return "uncompressed";
	case PQ_CODEC_SNAPPY: return "snappy";
	case PQ_CODEC_GZIP: return "gzip";
	case PQ_CODEC_ZSTD: return "zstd";
	default: return NULL;
	}
}

static int gzip_compress(const uint8_t *p, size_t n, sl_buf *out, sl_err *err)
{
	z_stream z = { 0 };
	uLong cap;
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return sl_err_set(err, SL_EIO, "gzip: cannot start deflate");
	cap = deflateBound(&z, (uLong)n) + 32;
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = sl_buf_reserve(out, cap);
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	if (rc == Z_STREAM_END)
		out->len += z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END
		       ? 0
		       : sl_err_set(err, SL_EIO, "gzip: deflate failed (%d)",
				    rc);
}

int pq_compress(int codec, const uint8_t *p, size_t n, sl_buf *out,
		sl_err *err)
{
	switch (codec) {
	case PQ_CODEC_NONE: sl_buf_put(out, p, n); return 0;
	case PQ_CODEC_SNAPPY: {
		size_t cap = snappy_max_compressed_length(n);
		char *dst = (char *)sl_buf_reserve(out, cap);

		if (snappy_compress((const char *)p, n, dst, &cap) != SNAPPY_OK)
			return sl_err_set(err, SL_EIO, "snappy: compress "
						       "failed");
		out->len += cap;
		return 0;
	}
	case PQ_CODEC_ZSTD: {
		size_t cap = ZSTD_compressBound(n), got;
		uint8_t *dst = sl_buf_reserve(out, cap);

		got = ZSTD_compress(dst, cap, p, n, 3);
		if (ZSTD_isError(got))
			return sl_err_set(err, SL_EIO, "zstd: %s",
					  ZSTD_getErrorName(got));
		out->len += got;
		return 0;
	}
	case PQ_CODEC_GZIP: return gzip_compress(p, n, out, err);
	default:
		return sl_err_set(err, SL_EINVAL, "compression codec %d", codec);
	}
}

/* gzip (or zlib) members until want bytes came out. */
static int gzip_decompress(const uint8_t *p, size_t n, uint8_t *out,
			   size_t want, sl_err *err)
{
	z_stream z = { 0 };
	int rc = Z_OK;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return sl_err_set(err, SL_EIO, "gzip: cannot start inflate");
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)want;
	for (;;) {
		rc = inflate(&z, Z_FINISH);
		if (rc == Z_STREAM_END && z.avail_in && z.total_out < want) {
			uLong done = z.total_out;

			inflateReset(&z);
			z.total_out = done;
			continue;
		}
		if (rc != Z_OK)
			break;
	}
	inflateEnd(&z);
	if (z.total_out != want || rc != Z_STREAM_END)
		return sl_err_set(err, SL_EIO,
				  "gzip data does not inflate to %zu bytes "
				  "(%s)",
				  want, z.msg ? z.msg : "short");
	return 0;
}

int pq_decompress(int codec, const uint8_t *p, size_t n, uint8_t *out,
		  size_t want, sl_err *err)
{
	switch (codec) {
	case PQ_CODEC_NONE:
		if (n != want)
			return sl_err_set(err, SL_EIO,
					  "an uncompressed page of %zu bytes "
					  "says it has %zu",
					  n, want);
		memcpy(out, p, n);
		return 0;
	case PQ_CODEC_SNAPPY: {
		size_t len;

		if (snappy_uncompressed_length((const char *)p, n, &len) !=
			    SNAPPY_OK ||
		    len != want ||
		    snappy_uncompress((const char *)p, n, (char *)out, &len) !=
			    SNAPPY_OK ||
		    len != want)
			return sl_err_set(err, SL_EIO,
					  "snappy data does not uncompress "
					  "to %zu bytes",
					  want);
		return 0;
	}
	case PQ_CODEC_ZSTD: {
		size_t got = ZSTD_decompress(out, want, p, n);

		if (ZSTD_isError(got) || got != want)
			return sl_err_set(err, SL_EIO,
					  "zstd data does not uncompress to "
					  "%zu bytes (%s)",
					  want,
					  ZSTD_isError(got)
						  ? ZSTD_getErrorName(got)
						  : "short");
		return 0;
	}
	case PQ_CODEC_GZIP: return gzip_decompress(p, n, out, want, err);
	default:
		return sl_err_set(err, SL_EINVAL,
				  "compression codec %d is not supported "
				  "(sluice reads uncompressed, snappy, gzip "
				  "and zstd)",
				  codec);
	}
}

/* ---- DELTA_BINARY_PACKED (Encodings.md) ------------------------------- */

/* An unsigned LEB128 varint at *p, at most 10 bytes; false past end. */
static bool get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return false;
		x |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static uint64_t unzigzag(uint64_t u)
{
	return (u >> 1) ^ (0 - (u & 1));
}

/* A block size past this is damage: writers use 128 or 256. */
#define PQ_DELTA_MAX_BLOCK (1u << 16)

int pq_delta_decode(const uint8_t *p, size_t len, uint64_t *out, size_t n,
		    size_t *used)
{
	const uint8_t *start = p, *end = p + len;
	uint64_t block, nmini, total, first, vpm, got = 0;

	if (!get_uvarint(&p, end, &block) || !get_uvarint(&p, end, &nmini) ||
	    !get_uvarint(&p, end, &total) || !get_uvarint(&p, end, &first))
		return -1;
	if (block == 0 || block % 128 || block > PQ_DELTA_MAX_BLOCK ||
	    nmini == 0 || block % nmini || (block / nmini) % 32)
		return -2;
	if (total != n)
		return -3;
	vpm = block / nmini;
	if (n)
		out[got++] = unzigzag(first);
	while (got < n) {
		uint64_t md;
		const uint8_t *widths;

		if (!get_uvarint(&p, end, &md) || (uint64_t)(end - p) < nmini)
			return -1;
		md = unzigzag(md);
		widths = p;
		p += nmini;
		for (uint64_t m = 0; m < nmini && got < n; m++) {
			int bw = widths[m];
			size_t bytes = (size_t)(vpm * (uint64_t)bw / 8);

			if (bw > 64)
				return -2;
			if ((size_t)(end - p) < bytes)
				return -1;
			for (uint64_t k = 0; k < vpm && got < n; k++) {
				uint64_t d = bw ? unpack_at(p, k, bw) : 0;

				out[got] = out[got - 1] + md + d;
				got++;
			}
			p += bytes;
		}
	}
	*used = (size_t)(p - start);
	return 0;
}

/* ---- decimals' bytes ---------------------------------------------------- */

/* The bytes of a DECIMAL(p,s) beyond 18 digits, as Spark's writer: the
 * fewest that hold 10^p - 1 in two's complement. */
int pq_decimal_bytes(int p)
{
	sl_dec_u max = 1;
	int n = 1;

	for (int i = 0; i < p; i++)
		max *= 10;
	max -= 1;
	while (n < 16 && max >> (8 * n - 1))
		n++;
	return n;
}

void pq_decimal_put(uint8_t *out, int n, sl_dec_u u)
{
	unsigned __int128 x = (unsigned __int128)u;

	for (int i = n - 1; i >= 0; i--, x >>= 8)
		out[i] = (uint8_t)x;
}

bool pq_decimal_get(const uint8_t *p, uint32_t len, sl_dec_u *out)
{
	unsigned __int128 u = len && p[0] & 0x80 ? ~(unsigned __int128)0 : 0;
	uint8_t sign = (uint8_t)u;

	for (uint32_t i = 0; i < len; i++) {
		/* Past 16 bytes, the leading ones only extend the sign. */
		if (len - i > 16 && p[i] != sign)
			return false;
		u = u << 8 | p[i];
	}
	*out = (sl_dec_u)u;
	/* And the 16 kept must have that sign. */
	return len <= 16 || (*out < 0) == (sign != 0);
}
