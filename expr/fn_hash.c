/* expr/fn_hash.c - Spark's hash functions: md5, sha1/sha, sha2, crc32
 * and xxhash64 (hash, Murmur3, is expr/func.c's). The digests take
 * binary (a string is its UTF-8 bytes) and give lower-case hex text;
 * xxhash64 folds its arguments' values as Spark's XxHash64 does, seed
 * 42. The algorithms are expr/fn_digest.c's. */
#include <math.h>

#include "expr/fn.h"
#include "expr/fn_digest.h"

static sl_value hex_text(sl_arena *a, const uint8_t *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *o = sl_arena_alloc(a, 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = digits[d[i] >> 4];
		o[2 * i + 1] = digits[d[i] & 15];
	}
	return sl_v_str(o, (uint32_t)(2 * n));
}

static int ev_md5(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	uint8_t d[16];
	sl_md5(x.v.bin, x.len, d);
	*out = hex_text(a, d, sizeof(d));
	return 0;
}

static int ev_sha1(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	uint8_t d[20];
	sl_sha1(x.v.bin, x.len, d);
	*out = hex_text(a, d, sizeof(d));
	return 0;
}

static int ev_sha2(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, b);
	int bits = b.v.i32 == 0 ? 256 : b.v.i32;
	if (bits != 224 && bits != 256 && bits != 384 && bits != 512) {
		*out = sl_v_null();
		return 0;
	}
	uint8_t d[64];
	size_t n = sl_sha2(bits, x.v.bin, x.len, d);
	*out = hex_text(a, d, n);
	return 0;
}

static int ev_crc32(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	*out = sl_v_long((int64_t)sl_crc32(x.v.bin, x.len));
	return 0;
}

/* The first argument as bytes: binary, or a string (its UTF-8 bytes),
 * or an atomic value cast to a string. */
static int bytes_arg(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id == SL_BINARY || t->id == SL_STRING)
		return 0;
	if (t->id == SL_ARRAY || t->id == SL_STRUCT || t->id == SL_BOOL ||
	    sl_is_numeric(t) || t->id == SL_DATE || t->id == SL_TIMESTAMP)
		return sl_fn_arg_type_error(e, 0, "\"BINARY\"", err);
	return sl_coerce(cx, &e->args[0], &sl_dtype_string, err);
}

static int bind_digest(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = bytes_arg(cx, e, err);
	if (rc)
		return rc;
	const char *f = e->fn->name;
	if (!strcmp(f, "sha2")) {
		if ((rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
			return rc;
		e->eval = ev_sha2;
	} else {
		e->eval = !strcmp(f, "md5") ? ev_md5 : ev_sha1;
	}
	e->type = &sl_dtype_string;
	return 0;
}

static int bind_crc32(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_long;
	e->eval = ev_crc32;
	return bytes_arg(cx, e, err);
}

/* ---- xxhash64 --------------------------------------------------------- */

static uint64_t xx_int(uint32_t v, uint64_t seed)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return sl_xxh64(b, 4, seed);
}

static uint64_t xx_long(uint64_t v, uint64_t seed)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return sl_xxh64(b, 8, seed);
}

static uint64_t xx_bytes(const uint8_t *b, uint32_t n, uint64_t seed)
{
	return sl_xxh64(b, n, seed);
}

static const sl_hash_fns xxh64 = { xx_int, xx_long, xx_bytes };

static int ev_xxhash64(FN_EV_ARGS)
{
	uint64_t h = 42;
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_value v;
		int rc = sl_fn_arg(e, i, row, a, &v, err);
		if (rc)
			return rc;
		h = sl_hash_value(&v, h, &xxh64);
	}
	*out = sl_v_long((int64_t)h);
	return 0;
}

static int bind_xxhash64(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_long;
	e->eval = ev_xxhash64;
	return 0;
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_hash[] = {
	{ "crc32", 1, 1, 0, bind_crc32, "crc32(expr)",
	  "The CRC-32 checksum of expr's bytes, as a BIGINT.",
	  "crc32('Spark')" },
	{ "md5", 1, 1, 0, bind_digest, "md5(expr)",
	  "The MD5 digest of expr's bytes as 32 hex digits.", "md5('Spark')" },
	{ "sha", 1, 1, 0, bind_digest, "sha(expr)",
	  "The SHA-1 digest of expr's bytes as 40 hex digits.",
	  "sha('Spark')" },
	{ "sha1", 1, 1, 0, bind_digest, "sha1(expr)",
	  "The SHA-1 digest of expr's bytes as 40 hex digits.",
	  "sha1('Spark')" },
	{ "sha2", 2, 2, 0, bind_digest, "sha2(expr, bitLength)",
	  "The SHA-2 digest (bitLength 224, 256 (or 0), 384 or 512) as hex; "
	  "null for another length.",
	  "sha2('Spark', 256)" },
	{ "xxhash64", 1, -1, 0, bind_xxhash64, "xxhash64(expr1, expr2, ...)",
	  "The 64-bit xxHash of the arguments, seed 42, as Spark computes "
	  "it.",
	  "xxhash64('Spark', array(123), 2)" },
};
const size_t sl_funcs_hash_n = SL_NFUNCS(sl_funcs_hash);
