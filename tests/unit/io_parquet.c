/* tests/unit/io_parquet.c - the byte codings under the Parquet format
 * (io/parquet.h): the Thrift compact protocol written and read back, field
 * deltas and long ids, lists, skipping unknown fields, and a damaged input
 * stopping the decoder without reading past its end; the RLE/bit-packed
 * hybrid at every bit width, runs and literals mixed; each compression
 * round trip, and a corrupt compressed page refused; decimals' bytes
 * (big-endian two's complement) both ways, and the types sluice gives
 * DECIMAL, FLOAT and INT(8/16) columns, from a footer too. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet.h"

/* ---- the Thrift compact protocol -------------------------------------- */

static void encode_sample(sl_buf *b)
{
	pq_enc e;

	pq_enc_init(&e, b);
	pq_w_struct(&e, 0);
	pq_w_i32(&e, 1, -5);
	pq_w_i64(&e, 3, 1234567890123LL);
	pq_w_str(&e, 4, "name");
	pq_w_bool(&e, 5, true);
	pq_w_struct(&e, 7);
	pq_w_i32(&e, 1, 42);
	pq_w_end(&e);
	pq_w_list(&e, 8, PQ_T_I32, 20);
	for (int i = 0; i < 20; i++)
		pq_w_elem_i32(&e, i * 1000 - 7);
	pq_w_i32(&e, 300, 9); /* a delta past 15: the long form */
	pq_w_bool(&e, 301, false);
	pq_w_end(&e);
}

Test(parquet, thrift_round_trip)
{
	sl_buf b = { 0 };
	int16_t last = 0, id;
	int t, n = 0;
	pq_dec d;

	encode_sample(&b);
	d = (pq_dec){ .p = (const uint8_t *)b.s,
		      .end = (const uint8_t *)b.s + b.len };
	cr_assert(pq_r_enter(&d));
	while (pq_r_field(&d, &last, &id, &t)) {
		n++;
		switch (id) {
		case 1: cr_assert_eq(pq_r_int(&d), -5); break;
		case 3: cr_assert_eq(pq_r_int(&d), 1234567890123LL); break;
		case 4: {
			uint32_t len;
			const uint8_t *s = pq_r_bin(&d, &len);

			cr_assert_eq(len, 4);
			cr_assert(!memcmp(s, "name", 4));
			break;
		}
		case 5: cr_assert_eq(t, PQ_T_TRUE); break;
		case 7: pq_r_skip(&d, t); break;
		case 8: {
			int et;
			uint32_t k = pq_r_list(&d, &et);

			cr_assert_eq(k, 20);
			cr_assert_eq(et, PQ_T_I32);
			for (uint32_t i = 0; i < k; i++)
				cr_assert_eq(pq_r_int(&d), (int)i * 1000 - 7);
			break;
		}
		case 300: cr_assert_eq(pq_r_int(&d), 9); break;
		case 301: cr_assert_eq(t, PQ_T_FALSE); break;
		default: cr_assert_fail("field %d", id);
		}
	}
	cr_assert(!d.bad);
	cr_assert_eq(n, 8);
	cr_assert_eq(d.p, d.end);
	sl_buf_free(&b);
}

Test(parquet, thrift_truncated_input_is_bad_never_past_the_end)
{
	sl_buf b = { 0 };

	encode_sample(&b);
	for (size_t cut = 0; cut < b.len; cut++) {
		/* A copy of exactly cut bytes: ASan sees a read past it. */
		uint8_t *p = malloc(cut ? cut : 1);
		pq_dec d;

		memcpy(p, b.s, cut);
		d = (pq_dec){ .p = p, .end = p + cut };
		pq_r_skip(&d, PQ_T_STRUCT);
		cr_assert(d.bad, "cut at %zu", cut);
		free(p);
	}
	sl_buf_free(&b);
}

Test(parquet, thrift_nesting_is_bounded)
{
	uint8_t deep[200];
	pq_dec d = { .p = deep, .end = deep + sizeof(deep) };

	/* Field 1, a struct, inside itself, 200 times. */
	memset(deep, 0x1c, sizeof(deep));
	pq_r_skip(&d, PQ_T_STRUCT);
	cr_assert(d.bad);
}

/* ---- the RLE/bit-packed hybrid ---------------------------------------- */

Test(parquet, rle_round_trip_every_width)
{
	enum { N = 1003 };
	uint32_t v[N], got[N];

	srand(7);
	for (int bw = 1; bw <= 32; bw++) {
		uint64_t lim = bw == 32 ? 0xffffffffu : (1u << bw) - 1;
		sl_buf b = { 0 };

		for (int i = 0; i < N; i++) {
			/* Runs, then literals, then runs again. */
			if (i < 100 || (i > 600 && i < 900))
				v[i] = (uint32_t)((i / 37) % (lim + 1));
			else
				v[i] = (uint32_t)((uint64_t)rand() % (lim + 1));
		}
		pq_rle_encode(&b, v, N, bw);
		memset(got, 0xee, sizeof(got));
		cr_assert(pq_rle_decode((const uint8_t *)b.s, b.len, bw, got,
					N),
			  "width %d", bw);
		cr_assert(!memcmp(v, got, sizeof(v)), "width %d", bw);
		/* Half the bytes: refused, not read past. */
		cr_assert(!pq_rle_decode((const uint8_t *)b.s, b.len / 2, bw,
					 got, N),
			  "width %d", bw);
		sl_buf_free(&b);
	}
}

Test(parquet, rle_runs_are_short)
{
	uint32_t v[1000];
	sl_buf b = { 0 };

	for (int i = 0; i < 1000; i++)
		v[i] = i < 500;
	pq_rle_encode(&b, v, 1000, 1);
	/* Two runs: a two-byte header and a value byte each. */
	cr_assert_leq(b.len, 6);
	sl_buf_free(&b);
}

/* ---- compression ------------------------------------------------------ */

Test(parquet, codecs_round_trip)
{
	static const int codecs[] = { PQ_CODEC_NONE, PQ_CODEC_SNAPPY,
				      PQ_CODEC_GZIP, PQ_CODEC_ZSTD };
	char text[5000];
	uint8_t back[5000];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)("parquet pages "[i % 14] + (i % 97 == 0));
	for (int k = 0; k < 4; k++) {
		sl_buf z = { 0 };
		sl_err err = { 0 };

		cr_assert_eq(pq_compress(codecs[k], (const uint8_t *)text,
					 sizeof(text), &z, &err),
			     0, "%s", err.msg);
		if (codecs[k] != PQ_CODEC_NONE)
			cr_assert_lt(z.len, sizeof(text) / 4);
		cr_assert_eq(pq_decompress(codecs[k], (const uint8_t *)z.s,
					   z.len, back, sizeof(back), &err),
			     0, "%s: %s", pq_codec_name(codecs[k]), err.msg);
		cr_assert(!memcmp(text, back, sizeof(text)));
		/* Wrong size or damaged bytes: an error, no crash. */
		cr_assert_lt(pq_decompress(codecs[k], (const uint8_t *)z.s,
					   z.len, back, sizeof(back) - 1, &err),
			     0);
		if (codecs[k] != PQ_CODEC_NONE) {
			memset(z.s + z.len / 2, 0x5a, z.len / 2);
			cr_assert_lt(pq_decompress(codecs[k],
						   (const uint8_t *)z.s, z.len,
						   back, sizeof(back), &err),
				     0, "%s", pq_codec_name(codecs[k]));
		}
		sl_buf_free(&z);
	}
	cr_assert_null(pq_codec_name(3)); /* LZO */
}

/* ---- DELTA_BINARY_PACKED ---------------------------------------------- */

static void put_uleb(sl_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		sl_buf_put_u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	sl_buf_put_u8(b, (uint8_t)v);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* A stream of v[0..n) as the encodings document lays it out: blocks of
 * 128 values in 4 miniblocks of 32, each miniblock's deltas less the
 * block's smallest, bit-packed at the width the largest needs. Written
 * here from the document, independently of the decoder. */
static void delta_encode(sl_buf *b, const int64_t *v, size_t n)
{
	put_uleb(b, 128);
	put_uleb(b, 4);
	put_uleb(b, n);
	put_uleb(b, zigzag(n ? v[0] : 0));
	for (size_t at = 1; at < n; at += 128) {
		uint64_t d[128] = { 0 }, min = 0;
		size_t k = n - at < 128 ? n - at : 128;
		uint8_t widths[4] = { 0 };
		int64_t mind = INT64_MAX;

		for (size_t i = 0; i < k; i++) {
			int64_t x = (int64_t)((uint64_t)v[at + i] -
					      (uint64_t)v[at + i - 1]);

			mind = x < mind ? x : mind;
		}
		min = (uint64_t)mind;
		for (size_t i = 0; i < k; i++)
			d[i] = (uint64_t)v[at + i] - (uint64_t)v[at + i - 1] -
			       min;
		put_uleb(b, zigzag(mind));
		for (int m = 0; m < 4; m++)
			for (int i = 0; i < 32; i++)
				while (widths[m] < 64 &&
				       d[m * 32 + i] >> widths[m])
					widths[m]++;
		sl_buf_put(b, widths, 4);
		for (int m = 0; m < 4 && (size_t)m * 32 < k; m++) {
			size_t bytes = 32 * (size_t)widths[m] / 8, bit = 0;
			uint8_t *o = sl_buf_reserve(b, bytes + 1);

			memset(o, 0, bytes + 1);
			for (int i = 0; i < 32; i++)
				for (int j = 0; j < widths[m]; j++, bit++)
					if (d[m * 32 + i] >> j & 1)
						o[bit / 8] |=
							(uint8_t)(1u << bit % 8);
			b->len += bytes;
		}
	}
}

Test(parquet, delta_binary_packed_round_trip)
{
	enum { N = 1000 };
	static int64_t v[N];
	static uint64_t got[N];
	static const size_t counts[] = { 0, 1, 2, 33, 128, 129, 257, N };

	srand(11);
	for (int i = 0; i < N; i++)
		v[i] = i % 200 < 100 ? (int64_t)i * 7 - 300
		       : i % 3 ? (int64_t)((uint64_t)rand() << 33 ^
					   (uint64_t)rand())
				     : (i % 2 ? INT64_MIN : INT64_MAX);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t n = counts[c], used = 0;
		sl_buf b = { 0 };

		delta_encode(&b, v, n);
		memset(got, 0xee, sizeof(got));
		cr_assert_eq(pq_delta_decode((const uint8_t *)b.s, b.len, got,
					     n, &used),
			     0, "%zu values", n);
		cr_assert_eq(used, b.len, "%zu values", n);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq((int64_t)got[i], v[i], "value %zu of %zu",
				     i, n);
		/* Another count than the stream's. */
		cr_assert_eq(pq_delta_decode((const uint8_t *)b.s, b.len, got,
					     n + 1, &used),
			     -3);
		/* Cut anywhere: refused, never read past (ASan). */
		for (size_t cut = 0; n && cut < b.len; cut++) {
			uint8_t *p = malloc(cut ? cut : 1);

			memcpy(p, b.s, cut);
			cr_assert_lt(pq_delta_decode(p, cut, got, n, &used), 0,
				     "%zu values cut at %zu", n, cut);
			free(p);
		}
		sl_buf_free(&b);
	}
}

Test(parquet, delta_binary_packed_spec_example)
{
	/* The encodings document's example 1, 2, 3, 4, 5: deltas of 1, a
	 * minimum delta of 1 and widths 0. */
	static const uint8_t s[] = { 0x80, 0x01, 0x04, 0x05, 0x02,
				     0x02, 0x00, 0x00, 0x00, 0x00 };
	uint64_t got[5];
	size_t used;

	cr_assert_eq(pq_delta_decode(s, sizeof(s), got, 5, &used), 0);
	cr_assert_eq(used, sizeof(s));
	for (int i = 0; i < 5; i++)
		cr_assert_eq(got[i], (uint64_t)i + 1);
	/* A block size that is no multiple of 128: refused. */
	{
		uint8_t bad[sizeof(s)];

		memcpy(bad, s, sizeof(s));
		bad[0] = 0x81;
		cr_assert_eq(pq_delta_decode(bad, sizeof(bad), got, 5, &used),
			     -2);
	}
}

/* ---- decimals and the narrow types ------------------------------------ */

static sl_dec_u pow10_u(int n)
{
	sl_dec_u x = 1;

	while (n-- > 0)
		x *= 10;
	return x;
}

Test(parquet, decimal_bytes_round_trip)
{
	sl_dec_u max38 = pow10_u(38) - 1;
	const sl_dec_u vals[] = { 0,	    1,	   -1,	  127,	  128,
				  -128,	    -129,  32767, -32769, max38,
				  -max38,   (sl_dec_u)INT64_MAX + 1,
				  (sl_dec_u)INT64_MIN - 1 };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		/* The fewest bytes that hold it, up to 16. */
		int need = 1;

		while (need < 16 && (vals[i] >= (sl_dec_u)1 << (8 * need - 1) ||
				     vals[i] < -((sl_dec_u)1 << (8 * need - 1))))
			need++;
		for (int n = need; n <= 16; n++) {
			uint8_t b[16];
			sl_dec_u got = 12345;

			pq_decimal_put(b, n, vals[i]);
			cr_assert(pq_decimal_get(b, (uint32_t)n, &got));
			cr_assert(got == vals[i], "value %zu in %d bytes", i, n);
		}
	}
	{
		/* Two's complement, big-endian. */
		uint8_t b[2];
		sl_dec_u got;

		pq_decimal_put(b, 2, 128);
		cr_assert(b[0] == 0x00 && b[1] == 0x80);
		pq_decimal_put(b, 2, -2);
		cr_assert(b[0] == 0xff && b[1] == 0xfe);
		cr_assert(pq_decimal_get(b, 1, &got) && got == -1);
		cr_assert(pq_decimal_get(b, 0, &got) && got == 0);
	}
	{
		/* Past 16 bytes: a sign's extension reads, more does not. */
		uint8_t b[20];
		sl_dec_u got;

		memset(b, 0xff, 4);
		pq_decimal_put(b + 4, 16, -max38);
		cr_assert(pq_decimal_get(b, 20, &got) && got == -max38);
		memset(b, 0, 4);
		pq_decimal_put(b + 4, 16, max38);
		cr_assert(pq_decimal_get(b, 20, &got) && got == max38);
		b[1] = 1;
		cr_assert(!pq_decimal_get(b, 20, &got));
		/* Zeros before a 16-byte negative: a positive past 2^127. */
		memset(b, 0, 4);
		pq_decimal_put(b + 4, 16, -1);
		cr_assert(!pq_decimal_get(b, 20, &got));
	}
}

/* A leaf of the given physical and logical types. */
static pq_selem leaf(int type, int len, int converted, int logical, int p,
		     int s)
{
	pq_selem el = { .name = "c", .type = type, .type_length = len,
			.repetition = PQ_OPTIONAL, .converted = converted,
			.logical = logical, .precision = p, .scale = s };

	return el;
}

Test(parquet, column_types_decimal_float_narrow)
{
	const sl_dtype *t;
	char why[160];
	pq_selem el;

	/* Every physical type a DECIMAL comes in, by the logical type or
	 * the converted type alone (older writers). */
	el = leaf(PQ_INT32, 0, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 9, 2);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(9, 2));
	el = leaf(PQ_INT64, 0, PQ_CT_DECIMAL, 0, 18, 4);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(18, 4));
	el = leaf(PQ_FIXED, 16, -1, PQ_LT_DECIMAL, 38, 10);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(38, 10));
	el = leaf(PQ_FIXED, 3, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 5, 0);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(5, 0));
	el = leaf(PQ_BYTE_ARRAY, 0, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 20, 3);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(20, 3));
	/* Past 38 digits, a scale past the precision, a bad physical type:
	 * refused, naming the type. */
	el = leaf(PQ_FIXED, 17, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 40, 2);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), -1);
	cr_assert(strstr(why, "DECIMAL(40,2)"), "%s", why);
	cr_assert_null(t);
	el = leaf(PQ_INT32, 0, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 5, 6);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), -1);
	el = leaf(PQ_DOUBLE, 0, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 5, 2);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), -1);
	cr_assert(strstr(why, "DECIMAL(5,2) of physical type"), "%s", why);
	el = leaf(PQ_FIXED, 0, PQ_CT_DECIMAL, PQ_LT_DECIMAL, 5, 2);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), -1);
	/* FLOAT is float; INT(8) and INT(16) are tinyint and smallint. */
	el = leaf(PQ_FLOAT, 0, -1, 0, 0, 0);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, &sl_dtype_float);
	el = leaf(PQ_INT32, 0, PQ_CT_INT_8, PQ_LT_INTEGER, 0, 0);
	el.lt_bits = 8, el.lt_signed = true;
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, &sl_dtype_byte);
	el = leaf(PQ_INT32, 0, PQ_CT_INT_16, 0, 0, 0);
	cr_assert_eq(pq_column_type(&el, &t, why, sizeof(why)), 0);
	cr_assert_eq(t, &sl_dtype_short);
}

Test(parquet, footer_decimal_logical_type)
{
	/* A footer whose leaf has only the LogicalType's DECIMAL (scale,
	 * precision in its struct), as the format allows. */
	sl_buf b = { 0 };
	sl_arena a;
	sl_err err = { 0 };
	pq_meta m;
	pq_enc e;
	const sl_dtype *t;
	char why[160];

	pq_enc_init(&e, &b);
	pq_w_struct(&e, 0);
	pq_w_i32(&e, 1, 1);
	pq_w_list(&e, 2, PQ_T_STRUCT, 2);
	pq_w_struct(&e, 0);
	pq_w_str(&e, 4, "schema");
	pq_w_i32(&e, 5, 1);
	pq_w_end(&e);
	pq_w_struct(&e, 0);
	pq_w_i32(&e, 1, PQ_FIXED);
	pq_w_i32(&e, 2, 11);
	pq_w_i32(&e, 3, PQ_OPTIONAL);
	pq_w_str(&e, 4, "amount");
	pq_w_struct(&e, 10);
	pq_w_struct(&e, PQ_LT_DECIMAL);
	pq_w_i32(&e, 1, 3);
	pq_w_i32(&e, 2, 25);
	pq_w_end(&e);
	pq_w_end(&e);
	pq_w_end(&e);
	pq_w_i64(&e, 3, 0);
	pq_w_list(&e, 4, PQ_T_STRUCT, 0);
	pq_w_end(&e);
	sl_arena_init(&a);
	cr_assert_eq(pq_meta_parse((const uint8_t *)b.s, b.len, &m, &a, &err),
		     0, "%s", err.msg);
	cr_assert_eq(m.nschema, 2);
	cr_assert_eq(m.schema[1].precision, 25);
	cr_assert_eq(m.schema[1].scale, 3);
	cr_assert_eq(m.schema[1].type_length, 11);
	cr_assert_eq(pq_column_type(&m.schema[1], &t, why, sizeof(why)), 0);
	cr_assert_eq(t, sl_dtype_decimal(25, 3));
	sl_arena_free(&a);
	sl_buf_free(&b);
}
