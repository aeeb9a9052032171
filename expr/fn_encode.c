/* expr/fn_encode.c - Spark's encoding functions: base64/unbase64,
 * hex/unhex, encode/decode (Spark's seven charsets), conv (number
 * bases, through an unsigned 64-bit integer as Spark's NumberConverter)
 * and bin. */
#include <stdio.h>
#include <strings.h>

#include "expr/fn.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Java's MIME encoder, which Spark's base64 uses: lines of 76
 * characters joined by CR LF. */
static int ev_base64(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	size_t n = x.len, o = 0, quads = (n + 2) / 3;
	char *s = sl_arena_alloc(a, quads * 4 + quads / 19 * 2 + 1);
	for (size_t i = 0; i < n; i += 3) {
		if (i && i % 57 == 0) {
			s[o++] = '\r';
			s[o++] = '\n';
		}
		uint32_t v = (uint32_t)x.v.bin[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)x.v.bin[i + 1] << 8;
		if (i + 2 < n)
			v |= x.v.bin[i + 2];
		s[o++] = b64[v >> 18 & 63];
		s[o++] = b64[v >> 12 & 63];
		s[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		s[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	*out = sl_v_str(s, (uint32_t)o);
	return 0;
}

static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Java's MIME decoder, which Spark's unbase64 uses: characters outside
 * the alphabet are skipped, '=' ends the data. */
static int ev_unbase64(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	uint8_t *o = sl_arena_alloc(a, x.len / 4 * 3 + 3);
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (uint32_t i = 0; i < x.len; i++) {
		unsigned char c = (unsigned char)x.v.str[i];
		if (c == '=')
			break;
		int d = b64_digit(c);
		if (d < 0)
			continue;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (uint8_t)(acc >> bits);
		}
		bits %= 24;
	}
	/* one character past the last whole byte is six bits: Java's
	 * decoder refuses it */
	if (bits == 6)
		return sl_runtime_error(err, "IllegalArgumentException",
					"unbase64: Last unit does not have "
					"enough valid bits");
	*out = sl_v_bin(o, (uint32_t)k);
	return 0;
}

static int bind_base64(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_string_or_binary_arg(cx, e, 0, err);
	if (e->fn->name[0] == 'b') {
		e->type = &sl_dtype_string;
		e->eval = ev_base64;
	} else {
		e->type = &sl_dtype_binary;
		e->eval = ev_unbase64;
	}
	return rc;
}

/* ---- hex, unhex ------------------------------------------------------- */

static int ev_hex(FN_EV_ARGS)
{
	static const char digits[] = "0123456789ABCDEF";
	FN_ARG_OR_NULL(0, x);
	if (x.type == SL_LONG) {
		char *s = sl_arena_alloc(a, 17);
		int n = snprintf(s, 17, "%llX", (unsigned long long)x.v.i64);
		*out = sl_v_str(s, (uint32_t)n);
		return 0;
	}
	char *s = sl_arena_alloc(a, 2 * (size_t)x.len + 1);
	for (uint32_t i = 0; i < x.len; i++) {
		s[2 * i] = digits[x.v.bin[i] >> 4];
		s[2 * i + 1] = digits[x.v.bin[i] & 15];
	}
	*out = sl_v_str(s, 2 * x.len);
	return 0;
}

static int bind_hex(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int id = (int)e->args[0]->type->id;
	int rc;
	e->type = &sl_dtype_string;
	e->eval = ev_hex;
	if (id == SL_INT || id == SL_LONG || id == SL_BYTE || id == SL_SHORT)
		rc = sl_coerce(cx, &e->args[0], &sl_dtype_long, err);
	else
		rc = sl_fn_string_or_binary_arg(cx, e, 0, err);
	return rc;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unhex: pairs of hex digits (an odd count: a leading 0); null for
 * anything else. */
static int ev_unhex(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	size_t n = x.len, odd = n % 2;
	uint8_t *o = sl_arena_alloc(a, (n + 1) / 2 + 1);
	size_t k = 0, i = 0;
	if (odd) {
		int d = hex_digit((unsigned char)x.v.str[0]);
		if (d < 0)
			goto bad;
		o[k++] = (uint8_t)d;
		i = 1;
	}
	for (; i < n; i += 2) {
		int h = hex_digit((unsigned char)x.v.str[i]);
		int l = hex_digit((unsigned char)x.v.str[i + 1]);
		if (h < 0 || l < 0)
			goto bad;
		o[k++] = (uint8_t)(h << 4 | l);
	}
	*out = sl_v_bin(o, (uint32_t)k);
	return 0;
bad:
	*out = sl_v_null();
	return 0;
}

static int bind_unhex(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_binary;
	e->eval = ev_unhex;
	return sl_fn_string_arg(cx, e, 0, err);
}

/* ---- encode, decode --------------------------------------------------- */

/* Spark's charsets (spark.sql.legacy.javaCharsets off): Java's names */
enum { CS_UTF8, CS_ASCII, CS_LATIN1, CS_UTF16, CS_UTF16BE, CS_UTF16LE,
       CS_UTF32 };
static const char *const cs_names[] = { "utf-8",    "us-ascii", "iso-8859-1",
					"utf-16",   "utf-16be", "utf-16le",
					"utf-32" };

static int charset_of(const sl_value *c)
{
	for (int i = 0; i < (int)(sizeof(cs_names) / sizeof(cs_names[0]));
	     i++)
		if (strlen(cs_names[i]) == c->len &&
		    !strncasecmp(cs_names[i], c->v.str, c->len))
			return i;
	return -1;
}

static int bad_charset(sl_err *err, const sl_expr *e, const sl_value *c)
{
	return sl_runtime_error(
		err, "INVALID_PARAMETER_VALUE.CHARSET",
		"The value of parameter(s) `charset` in `%s` is invalid: "
		"expects one of the iso-8859-1, us-ascii, utf-16, utf-16be, "
		"utf-16le, utf-32, utf-8, but got %.*s. SQLSTATE: 22023",
		e->fn->name, (int)c->len, c->v.str);
}

static int malformed(sl_err *err, const char *fn, int cs)
{
	static const char *const names[] = { "UTF-8",	 "US-ASCII",
					     "ISO-8859-1", "UTF-16",
					     "UTF-16BE", "UTF-16LE",
					     "UTF-32" };
	return sl_runtime_error(err, "MALFORMED_CHARACTER_CODING",
				"Invalid value found when performing `%s` "
				"with %s SQLSTATE: 22000",
				fn, names[cs]);
}

/* Whether s[0..n) is well-formed UTF-8 (shortest forms, no surrogates,
 * at most U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2
					: c >= 0xe0 && c < 0xf0	   ? 3
					: c >= 0xf0 && c < 0xf5	   ? 4
								   : 0;
		if (!len || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] >= 0xa0) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] >= 0x90))
			return false;
		i += len;
	}
	return true;
}

static void put_unit(uint8_t *o, size_t *k, uint32_t u, int bytes, bool le)
{
	for (int i = 0; i < bytes; i++) {
		int sh = le ? 8 * i : 8 * (bytes - 1 - i);
		o[(*k)++] = (uint8_t)(u >> sh);
	}
}

static int ev_encode(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, c);
	int cs = charset_of(&c);
	if (cs < 0)
		return bad_charset(err, e, &c);
	if (cs == CS_UTF8) {
		*out = sl_v_bin(s.v.bin, s.len);
		return 0;
	}
	uint8_t *o = sl_arena_alloc(a, 4 * (size_t)s.len + 2);
	size_t k = 0;
	bool le = cs == CS_UTF16LE;
	if (cs == CS_UTF16) /* Java writes a byte-order mark */
		put_unit(o, &k, 0xfeff, 2, false);
	for (size_t i = 0; i < s.len;) {
		uint32_t cp = sl_fn_utf8_next(s.v.str, s.len, &i);
		if (cs == CS_ASCII || cs == CS_LATIN1) {
			if (cp >= (cs == CS_ASCII ? 0x80u : 0x100u))
				return malformed(err, "encode", cs);
			o[k++] = (uint8_t)cp;
		} else if (cs == CS_UTF32) {
			put_unit(o, &k, cp, 4, false);
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			put_unit(o, &k, 0xd800 | cp >> 10, 2, le);
			put_unit(o, &k, 0xdc00 | (cp & 0x3ff), 2, le);
		} else {
			put_unit(o, &k, cp, 2, le);
		}
	}
	*out = sl_v_bin(o, (uint32_t)k);
	return 0;
}

static uint32_t get_unit(const uint8_t *p, int bytes, bool le)
{
	uint32_t u = 0;
	for (int i = 0; i < bytes; i++)
		u = le ? u | (uint32_t)p[i] << (8 * i) : u << 8 | p[i];
	return u;
}

static int ev_decode(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, b);
	FN_ARG_OR_NULL(1, c);
	int cs = charset_of(&c);
	if (cs < 0)
		return bad_charset(err, e, &c);
	if (cs == CS_UTF8) {
		if (!utf8_valid(b.v.bin, b.len))
			return malformed(err, "decode", cs);
		*out = sl_v_str(b.v.str, b.len);
		return 0;
	}
	char *o = sl_arena_alloc(a, 3 * (size_t)b.len + 1);
	size_t k = 0, i = 0;
	bool le = cs == CS_UTF16LE;
	int unit = cs == CS_UTF32 ? 4 : cs >= CS_UTF16 ? 2 : 1;
	if (cs == CS_UTF16 && b.len >= 2) { /* a byte-order mark decides */
		uint32_t bom = get_unit(b.v.bin, 2, false);
		if (bom == 0xfeff || bom == 0xfffe) {
			le = bom == 0xfffe;
			i = 2;
		}
	}
	if ((b.len - i) % (size_t)unit)
		return malformed(err, "decode", cs);
	for (; i < b.len; i += (size_t)unit) {
		uint32_t cp = get_unit(b.v.bin + i, unit, le);
		if (cs == CS_ASCII && cp >= 0x80)
			return malformed(err, "decode", cs);
		if (unit == 2 && cp >= 0xd800 && cp < 0xdc00) {
			uint32_t lo = i + 4 <= b.len
					      ? get_unit(b.v.bin + i + 2, 2, le)
					      : 0;
			if (lo < 0xdc00 || lo >= 0xe000)
				return malformed(err, "decode", cs);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if ((cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff) {
			return malformed(err, "decode", cs);
		}
		k += (size_t)sl_utf8_put(o + k, cp);
	}
	*out = sl_v_str(o, (uint32_t)k);
	return 0;
}

static int bind_encode(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if (e->fn->name[0] == 'e') {
		rc = sl_fn_string_arg(cx, e, 0, err);
		e->type = &sl_dtype_binary;
		e->eval = ev_encode;
	} else {
		rc = e->args[0]->type->id == SL_BINARY
			     ? 0
			     : sl_coerce(cx, &e->args[0], &sl_dtype_binary,
					 err);
		e->type = &sl_dtype_string;
		e->eval = ev_decode;
	}
	return rc ? rc : sl_fn_string_arg(cx, e, 1, err);
}

/* ---- conv, bin -------------------------------------------------------- */

static int conv_overflow(sl_err *err)
{
	return sl_runtime_error(
		err, "ARITHMETIC_OVERFLOW",
		"Overflow in function conv(). If necessary set "
		"\"spark.sql.ansi.enabled\" to \"false\" to bypass this "
		"error. SQLSTATE: 22003");
}

static int digit_of(unsigned char c, int radix)
{
	int d = c >= '0' && c <= '9'   ? c - '0'
		: c >= 'a' && c <= 'z' ? c - 'a' + 10
		: c >= 'A' && c <= 'Z' ? c - 'A' + 10
				       : 99;
	return d < radix ? d : -1;
}

/* Spark's NumberConverter.convert: the digits up to the first invalid
 * one, read as an unsigned 64-bit number (overflow: all ones, or the
 * ANSI error); a negative to-base writes a signed result. */
static int ev_conv(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, fb);
	FN_ARG_OR_NULL(2, tb);
	int from = fb.v.i32, to = tb.v.i32, ato = to < 0 ? -to : to;
	*out = sl_v_null();
	if (from < 2 || from > 36 || ato < 2 || ato > 36 || s.len == 0)
		return 0;
	bool neg = s.v.str[0] == '-';
	uint64_t v = 0;
	bool over = false;
	for (uint32_t i = neg; i < s.len; i++) {
		int d = digit_of((unsigned char)s.v.str[i], from);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)from) {
			over = true;
			break;
		}
		v = v * (uint64_t)from + (uint64_t)d;
	}
	if (over) {
		if (e->flags & EXF_ANSI)
			return conv_overflow(err);
		v = UINT64_MAX;
	}
	if (neg && to > 0)
		v = (int64_t)v < 0 ? UINT64_MAX : 0 - v;
	if (to < 0 && (int64_t)v < 0) {
		v = 0 - v;
		neg = true;
	}
	char buf[80];
	int k = (int)sizeof(buf);
	do {
		int d = (int)(v % (uint64_t)ato);
		buf[--k] = (char)(d < 10 ? '0' + d : 'A' + d - 10);
		v /= (uint64_t)ato;
	} while (v);
	if (neg && to < 0)
		buf[--k] = '-';
	size_t n = sizeof(buf) - (size_t)k;
	char *o = sl_arena_alloc(a, n);
	memcpy(o, buf + k, n);
	*out = sl_v_str(o, (uint32_t)n);
	return 0;
}

static int bind_conv(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_string_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 2, &sl_dtype_int, err)))
		return rc;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	e->type = &sl_dtype_string;
	e->eval = ev_conv;
	return 0;
}

static int ev_bin(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	uint64_t v = (uint64_t)x.v.i64;
	char buf[64];
	int k = 64;
	do {
		buf[--k] = (char)('0' + (v & 1));
		v >>= 1;
	} while (v);
	char *o = sl_arena_alloc(a, (size_t)(64 - k));
	memcpy(o, buf + k, (size_t)(64 - k));
	*out = sl_v_str(o, (uint32_t)(64 - k));
	return 0;
}

static int bind_bin(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_bin;
	return sl_fn_int_arg(cx, e, 0, &sl_dtype_long, err);
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_encode[] = {
	{ "base64", 1, 1, 0, bind_base64, "base64(bin)",
	  "bin (or a string's UTF-8 bytes) as base 64 text, in lines of 76 "
	  "characters joined by CR LF.",
	  "base64('Spark SQL')" },
	{ "bin", 1, 1, 0, bind_bin, "bin(expr)",
	  "The binary digits of the BIGINT expr (two's complement).",
	  "bin(13)" },
	{ "conv", 3, 3, 0, bind_conv, "conv(num, from_base, to_base)",
	  "num's digits in from_base rewritten in to_base (negative: "
	  "signed); overflow: an error with ANSI on.",
	  "conv('100', 2, 10)" },
	{ "decode", 2, 2, 0, bind_encode, "decode(bin, charset)",
	  "bin decoded as text in charset (UTF-8, US-ASCII, ISO-8859-1, "
	  "UTF-16, UTF-16BE, UTF-16LE, UTF-32).",
	  "decode(encode('abc', 'utf-8'), 'utf-8')" },
	{ "encode", 2, 2, 0, bind_encode, "encode(str, charset)",
	  "str encoded as bytes in charset (UTF-8, US-ASCII, ISO-8859-1, "
	  "UTF-16, UTF-16BE, UTF-16LE, UTF-32).",
	  "encode('abc', 'utf-8')" },
	{ "hex", 1, 1, 0, bind_hex, "hex(expr)",
	  "An integer's hex digits (two's complement), or a string's or "
	  "binary's bytes in hex.",
	  "hex(17)" },
	{ "unbase64", 1, 1, 0, bind_base64, "unbase64(str)",
	  "The bytes of base 64 text (characters outside the alphabet "
	  "skipped).",
	  "unbase64('U3BhcmsgU1FM')" },
	{ "unhex", 1, 1, 0, bind_unhex, "unhex(expr)",
	  "The bytes of hex text; null when it is not hex.",
	  "decode(unhex('537061726B2053514C'), 'UTF-8')" },
};
const size_t sl_funcs_encode_n = SL_NFUNCS(sl_funcs_encode);
