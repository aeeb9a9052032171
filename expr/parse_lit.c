/* expr/parse_lit.c - the literals of Spark SQL expression text, for the
 * parser (expr/parse.c): numbers with Spark's types and suffixes (1 INT,
 * 1L, 1.5 DECIMAL(2,1), 1.5D, 1E2, 1BD, integers beyond BIGINT as
 * DECIMAL), strings, X'..' binary literals and typed DATE / TIMESTAMP
 * literals, each checked: a value out of its type's range or a typed
 * literal that is not one is a syntax error at its position. */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "core/decimal.h"
#include "expr/parse_internal.h"

sl_expr *sl_px_lit(parser *p, size_t off, sl_value v, const sl_dtype *t)
{
	sl_expr *e = sl_px_node(p, EX_LIT, off);
	e->lit = v;
	e->type = t;
	return e;
}

/* Spark's error for a number literal its type cannot hold: the literal's
 * text (without its suffix, with the minus folded into it). */
static void *out_of_range(parser *p, bool neg, const char *type,
			  const char *min, const char *max)
{
	char why[256];
	int digits = (int)(p->t.len - (p->t.suffix == 'B' ? 2
				       : p->t.suffix != 0 ? 1
							  : 0));
	snprintf(why, sizeof(why),
		 "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal %s%.*s is "
		 "outside the valid range for %s with minimum value of %s and "
		 "maximum value of %s",
		 neg ? "-" : "", digits, p->text + p->t.off, type, min, max);
	return sl_px_fail(p, why);
}

/* The current number token as a DECIMAL literal (1.5, 1.5BD, an integer
 * beyond BIGINT), as Spark types it: DECIMAL(2,1) for 1.5. */
static sl_expr *dec_lit(parser *p, bool neg, size_t off)
{
	sl_tok *t = &p->t;
	sl_decimal u;
	sl_decimal_type dt;
	int rc = sl_decimal_parse_literal(p->text + t->off, t->len, &u, &dt);
	if (rc == SL_EINVAL)
		return sl_px_fail(p, "[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] "
			       "the literal has more than 38 digits, the "
			       "maximum precision of DECIMAL");
	if (rc)
		return sl_px_fail(p, "malformed number");
	sl_expr *e = sl_px_lit(p, off,
			 sl_v_dec(neg ? sl_decimal_neg(u) : u, dt.precision,
				  dt.scale, p->a),
			 sl_dtype_decimal(dt.precision, dt.scale));
	sl_px_next(p);
	return e;
}

/* The current number token as a literal; neg when a minus preceded it
 * (Spark's grammar folds it into the literal, so -2147483648 is an int). */
sl_expr *sl_px_num_lit(parser *p, bool neg, size_t off)
{
	sl_tok *t = &p->t;
	sl_expr *e;
	/* Spark's 1.5BD, 1.5 (no exponent, no suffix), and an integer
	 * beyond BIGINT are DECIMALs */
	if (t->suffix == 'B' || t->overflow ||
	    (!t->is_int && !t->expo && !t->suffix))
		return dec_lit(p, neg, off);
	if (!t->is_int) {
		if (isinf(t->d))
			return out_of_range(p, neg, "double",
					    "-1.7976931348623157E+308",
					    "1.7976931348623157E+308");
		if (t->suffix == 'F') {
			float f = (float)t->d;
			if (isinf(f))
				return out_of_range(p, neg, "float",
						    "-3.4028234663852886E+38",
						    "3.4028234663852886E+38");
			e = sl_px_lit(p, off, sl_v_float(neg ? -f : f),
				&sl_dtype_float);
		} else {
			e = sl_px_lit(p, off, sl_v_double(neg ? -t->d : t->d),
				&sl_dtype_double);
		}
		sl_px_next(p);
		return e;
	}
	uint64_t u = t->u;
	uint64_t lmax = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t imax = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
	int64_t v = 0;
	if (u <= lmax)
		v = neg ? (u ? -(int64_t)(u - 1) - 1 : 0) : (int64_t)u;
	switch (t->suffix) {
	case 'L':
		if (u > lmax)
			return out_of_range(p, neg, "bigint",
					    "-9223372036854775808",
					    "9223372036854775807");
		e = sl_px_lit(p, off, sl_v_long(v), &sl_dtype_long);
		break;
	case 'S':
	case 'Y': {
		/* smallint/tinyint: an int-tagged value of the narrow type */
		int64_t lim = t->suffix == 'S' ? 32767 : 127;
		if (u > (uint64_t)lim + neg)
			return t->suffix == 'S'
				       ? out_of_range(p, neg, "smallint",
						      "-32768", "32767")
				       : out_of_range(p, neg, "tinyint", "-128",
						      "127");
		e = sl_px_lit(p, off, sl_v_int((int32_t)v),
			t->suffix == 'S' ? &sl_dtype_short : &sl_dtype_byte);
		break;
	}
	case 'D':
		e = sl_px_lit(p, off, sl_v_double(neg ? -(double)u : (double)u),
			&sl_dtype_double);
		break;
	case 'F':
		e = sl_px_lit(p, off, sl_v_float(neg ? -(float)u : (float)u),
			&sl_dtype_float);
		break;
	default:
		if (u <= imax)
			e = sl_px_lit(p, off, sl_v_int((int32_t)v), &sl_dtype_int);
		else if (u <= lmax)
			e = sl_px_lit(p, off, sl_v_long(v), &sl_dtype_long);
		else
			return dec_lit(p, neg, off);
	}
	sl_px_next(p);
	return e;
}

/* 'a' 'b' is 'ab' in Spark. */
sl_expr *sl_px_str_lit(parser *p)
{
	size_t off = p->t.off;
	const char *s = p->t.s;
	size_t n = p->t.slen;
	sl_px_next(p);
	while (p->t.type == TK_STR) {
		char *j = sl_arena_alloc(p->a, n + p->t.slen + 1);
		memcpy(j, s, n);
		memcpy(j + n, p->t.s, p->t.slen + 1);
		n += p->t.slen;
		s = j;
		sl_px_next(p);
	}
	return sl_px_lit(p, off, sl_v_str(s, (uint32_t)n), &sl_dtype_string);
}

/* Spark's error for a typed literal whose text its type refuses, at the
 * type's name: DATE '1999 Jan 08'. */
static void *invalid_typed(parser *p, const char *type, const sl_tok *st,
			   size_t off)
{
	char why[200];
	snprintf(
		why, sizeof(why),
		"[INVALID_TYPED_LITERAL] The value of the typed literal \"%s\" "
		"is invalid: '%.*s'",
		type, (int)(st->slen > 80 ? 80 : st->slen), st->s);
	return sl_px_fail_at(p, off, st->off + st->len - off, why);
}

/* X'0A1B': bytes from hex digits, an odd count padded with a leading 0 as
 * Spark does (X'0A1' is 00 A1). */
sl_expr *sl_px_binary_lit(parser *p, size_t off)
{
	sl_tok st = p->t;
	size_t nb = (st.slen + 1) / 2;
	uint8_t *b = sl_arena_alloc(p->a, nb + 1);
	for (size_t i = 0, k = st.slen % 2; i < st.slen; i++, k++) {
		int h = sl_hexval(st.s[i]);
		if (h < 0)
			return invalid_typed(p, "X", &st, off);
		if (k % 2 == 0)
			b[k / 2] = (uint8_t)(h << 4);
		else if (i == 0)
			b[0] = (uint8_t)h;
		else
			b[k / 2] |= (uint8_t)h;
	}
	sl_px_next(p);
	return sl_px_lit(p, off, sl_v_bin(b, (uint32_t)nb), &sl_dtype_binary);
}

/* DATE 'yyyy-mm-dd', TIMESTAMP '...' and TIMESTAMP_NTZ '...' (whose zone,
 * if written, is dropped), validated as Spark's parser does: a text the
 * type cannot read is an error, not null. */
sl_expr *sl_px_typed_lit(parser *p, sl_type kind, size_t off)
{
	sl_tok st = p->t;
	sl_value v;
	if (kind == SL_TIMESTAMP || kind == SL_TIMESTAMP_NTZ) {
		int64_t us;
		bool ntz = kind == SL_TIMESTAMP_NTZ;
		if (!(ntz ? sl_str_to_ts_ntz(st.s, st.slen, &us)
			  : sl_str_to_ts(st.s, st.slen, &us)))
			return invalid_typed(p, ntz ? "TIMESTAMP_NTZ" : "TIMESTAMP",
					     &st, off);
		v = sl_v_ts(us);
		v.type = (uint8_t)kind;
	} else {
		int32_t d;
		if (!sl_str_to_date(st.s, st.slen, &d))
			return invalid_typed(p, "DATE", &st, off);
		v = sl_v_date(d);
	}
	sl_px_next(p);
	return sl_px_lit(p, off, v, sl_dtype_prim(kind));
}
