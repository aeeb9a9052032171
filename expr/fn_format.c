/* expr/fn_format.c - format_string/printf (Java's Formatter, the
 * conversions %s %S %d %x %X %o %f %e %E %g %G %c %b %% %n with flags,
 * width,
 * precision and n$ argument indexes) and format_number. Java's %f rounds
 * HALF_UP on the shortest decimal form of a double (2.675 -> 2.68), not
 * on its binary value as C's printf does, and so do %e and %g;
 * format_number (DecimalFormat) rounds the binary value HALF_EVEN, as
 * printf does. %a is refused with an error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/decimal.h"
#include "core/unicode.h"
#include "expr/fn.h"

/* The decimal digits of |x| rounded to `frac` places HALF_UP on its
 * shortest decimal form (Java's Formatter): integer part and fraction in
 * out (no sign). */
static void fixed_digits(double x, int frac, sl_buf *out)
{
	char dig[24];
	int e;
	x = fabs(x);
	if (x == 0) {
		sl_buf_putc(out, '0');
		if (frac > 0) {
			sl_buf_putc(out, '.');
			sl_buf_fill(out, '0', (size_t)frac);
		}
		return;
	}
	int n = sl_double_digits(x, dig, &e); /* x = 0.dig * 10^e */
	/* digits of the whole number x * 10^frac */
	/* past 340 places a double has only zeros: they are added after */
	int extra = frac > 340 ? frac - 340 : 0;
	frac -= extra;
	char v[700];
	int len = 0, keep = e + frac; /* digits kept: at most 309 + 340 */
	bool up = false;
	if (keep < n) {
		if (keep >= 0) {
			char d = dig[keep];
			up = d >= '5';
		}
		n = keep > 0 ? keep : 0;
	}
	for (int k = 0; k < n; k++)
		v[len++] = dig[k];
	while (len < keep)
		v[len++] = '0';
	if (up) {
		int k = len - 1;
		while (k >= 0 && v[k] == '9')
			v[k--] = '0';
		if (k >= 0) {
			v[k]++;
		} else {
			memmove(v + 1, v, (size_t)len);
			v[0] = '1';
			len++;
		}
	}
	/* v[0..len) is x * 10^frac: split off the fraction */
	int ip = len - frac;
	if (ip <= 0)
		sl_buf_putc(out, '0');
	else
		sl_buf_put(out, v, (size_t)ip);
	if (frac > 0) {
		sl_buf_putc(out, '.');
		for (int k = ip; k < 0; k++)
			sl_buf_putc(out, '0');
		sl_buf_put(out, v + (ip > 0 ? ip : 0),
			   (size_t)(len - (ip > 0 ? ip : 0)));
	}
	sl_buf_fill(out, '0', (size_t)extra);
}

/* The p (1..340) significant digits of |x| > 0 rounded HALF_UP on its
 * shortest decimal form, as dig[0..p), and e with |x| ~ 0.dig * 10^e. */
static void sig_digits(double x, int p, char *dig, int *e)
{
	char d[24];
	int n = sl_double_digits(fabs(x), d, e);
	for (int k = 0; k < p; k++)
		dig[k] = k < n ? d[k] : '0';
	if (p >= n || d[p] < '5')
		return;
	int k = p - 1;
	while (k >= 0 && dig[k] == '9')
		dig[k--] = '0';
	if (k >= 0) {
		dig[k]++;
	} else {
		dig[0] = '1';
		(*e)++;
	}
}

/* Java's %e body of x != 0: d.ddd (prec decimals) e+XX */
static void sci_text(double x, int prec, bool upper, sl_buf *out)
{
	char dig[344];
	int e;
	if (prec > 339)
		prec = 339;
	if (x == 0) {
		memset(dig, '0', (size_t)prec + 1);
		e = 1;
	} else {
		sig_digits(x, prec + 1, dig, &e);
	}
	sl_buf_putc(out, dig[0]);
	if (prec > 0) {
		sl_buf_putc(out, '.');
		sl_buf_put(out, dig + 1, (size_t)prec);
	}
	int x10 = e - 1;
	sl_buf_printf(out, "%c%c%02d", upper ? 'E' : 'e', x10 < 0 ? '-' : '+',
		      x10 < 0 ? -x10 : x10);
}

/* Inserts ',' every three digits of the integer part in s[0..n) */
static void group_thousands(sl_buf *w, const char *s, size_t n)
{
	size_t ip = 0;
	while (ip < n && s[ip] != '.')
		ip++;
	for (size_t i = 0; i < ip; i++) {
		if (i && (ip - i) % 3 == 0)
			sl_buf_putc(w, ',');
		sl_buf_putc(w, s[i]);
	}
	sl_buf_put(w, s + ip, n - ip);
}

/* ---- format_string ---------------------------------------------------- */

typedef struct spec {
	bool left, zero, plus, space, comma, paren, alt;
	int width, prec;
} spec;

static void pad_out(sl_buf *w, const spec *sp, const char *sign,
		    const char *body, size_t n)
{
	size_t len = strlen(sign) + n;
	size_t fill = sp->width > 0 && (size_t)sp->width > len
			      ? (size_t)sp->width - len
			      : 0;
	if (!sp->left && !sp->zero)
		sl_buf_fill(w, ' ', fill);
	sl_buf_puts(w, sign);
	if (sp->zero && !sp->left)
		sl_buf_fill(w, '0', fill);
	sl_buf_put(w, body, n);
	if (sp->left)
		sl_buf_fill(w, ' ', fill);
}

static const char *java_class(const sl_value *v)
{
	switch (v->type) {
	case SL_INT: return "java.lang.Integer";
	case SL_LONG: return "java.lang.Long";
	case SL_DOUBLE: return "java.lang.Double";
	case SL_BOOL: return "java.lang.Boolean";
	case SL_STRING: return "org.apache.spark.unsafe.types.UTF8String";
	default: return "java.lang.Object";
	}
}

static int conversion_error(sl_err *err, char c, const sl_value *v)
{
	return sl_runtime_error(err, "IllegalFormatConversionException",
				"%c != %s", c, java_class(v));
}

static int put_conv(sl_buf *w, const spec *sp, char c, const sl_value *v,
		    sl_arena *a, sl_err *err)
{
	char tmp[64];
	sl_buf t;
	sl_buf_init(&t, a, 32);
	if (v->type == SL_NULL && c != 'b') {
		/* Java formats a null argument as the text "null" (upper
		 * case for an upper-case conversion), cut to the precision,
		 * padded with spaces */
		bool upper = c >= 'A' && c <= 'Z';
		const char *txt = upper ? "NULL" : "null";
		size_t n = sp->prec >= 0 && sp->prec < 4 ? (size_t)sp->prec : 4;
		spec q = *sp;
		q.zero = false;
		pad_out(w, &q, "", txt, n);
		return 0;
	}
	switch (c) {
	case 's':
	case 'S': {
		sl_value_render_buf(&t, v);
		if (c == 'S') { /* Java's toUpperCase: full case mappings */
			sl_buf u;
			sl_buf_init(&u, a, t.len + 8);
			if (sl_unicode_upper(&u, t.s, t.len) >= 0)
				t = u;
		}
		size_t n = t.len;
		if (sp->prec >= 0)
			n = sl_fn_char_off(t.s, t.len, sp->prec);
		pad_out(w, sp, "", t.s, n);
		return 0;
	}
	case 'b':
		pad_out(w, sp, "",
			v->type == SL_NULL			 ? "false"
			: v->type == SL_BOOL && !v->v.b ? "false"
							 : "true",
			v->type == SL_NULL || (v->type == SL_BOOL && !v->v.b)
				? 5
				: 4);
		return 0;
	case 'c':
		if (v->type != SL_INT)
			return conversion_error(err, c, v);
		pad_out(w, sp, "", tmp,
			(size_t)sl_utf8_put(tmp, (uint32_t)v->v.i32));
		return 0;
	case 'd':
	case 'x':
	case 'X':
	case 'o': {
		if (v->type != SL_INT && v->type != SL_LONG)
			return conversion_error(err, c, v);
		int64_t x = v->type == SL_LONG ? v->v.i64 : v->v.i32;
		if (c != 'd') {
			/* two's complement of the value's own width */
			uint64_t u = v->type == SL_LONG ? (uint64_t)x
							: (uint32_t)x;
			snprintf(tmp, sizeof(tmp),
				 c == 'o' ? "%llo" : c == 'x' ? "%llx" : "%llX",
				 (unsigned long long)u);
			pad_out(w, sp,
				sp->alt ? (c == 'o' ? "0" : c == 'x' ? "0x" : "0X")
					: "",
				tmp, strlen(tmp));
			return 0;
		}
		uint64_t mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)mag);
		if (sp->comma)
			group_thousands(&t, tmp, strlen(tmp));
		else
			sl_buf_puts(&t, tmp);
		const char *sign = x < 0	? (sp->paren ? "(" : "-")
				   : sp->plus	? "+"
				   : sp->space ? " "
					       : "";
		if (x < 0 && sp->paren)
			sl_buf_putc(&t, ')');
		pad_out(w, sp, sign, t.s, t.len);
		return 0;
	}
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'f': {
		if (v->type != SL_DOUBLE)
			return conversion_error(err, c, v);
		double x = v->v.f64;
		if (isnan(x) || isinf(x)) {
			bool up = c == 'E' || c == 'G';
			const char *s = isnan(x) ? (up ? "NAN" : "NaN")
					: x > 0
						? (sp->plus ? (up ? "+INFINITY"
								  : "+Infinity")
							    : (up ? "INFINITY"
								  : "Infinity"))
						: (up ? "-INFINITY"
						      : "-Infinity");
			spec q = *sp;
			q.zero = false;
			pad_out(w, &q, "", s, strlen(s));
			return 0;
		}
		sl_buf d;
		sl_buf_init(&d, a, 32);
		bool sci = c == 'e' || c == 'E', upper = c == 'E' || c == 'G';
		int prec = sp->prec >= 0 ? sp->prec : 6;
		if (c == 'g' || c == 'G') {
			/* Java's %g: prec significant digits, as %e outside
			 * [10^-4, 10^prec) once rounded */
			char dig[344];
			int e10 = 1;
			prec = prec ? (prec > 340 ? 340 : prec) : 1;
			if (x != 0)
				sig_digits(x, prec, dig, &e10);
			sci = x != 0 && (e10 - 1 < -4 || e10 - 1 >= prec);
			prec = sci ? prec - 1 : prec - e10;
		}
		if (sci)
			sci_text(x, prec, upper, &d);
		else
			fixed_digits(x, prec, &d);
		if (sp->comma && !sci)
			group_thousands(&t, d.s, d.len);
		else
			sl_buf_put(&t, d.s, d.len);
		bool neg = signbit(x);
		const char *sign = neg	       ? (sp->paren ? "(" : "-")
				   : sp->plus  ? "+"
				   : sp->space ? " "
					       : "";
		if (neg && sp->paren)
			sl_buf_putc(&t, ')');
		pad_out(w, sp, sign, t.s, t.len);
		return 0;
	}
	default:
		return sl_runtime_error(err, "UnknownFormatConversionException",
					"Conversion = '%c' (sluice has %%s %%S "
					"%%d %%x %%X %%o %%f %%c %%b %%%% %%n)",
					c);
	}
}

static int ev_format_string(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, f);
	uint32_t nv = e->nargs - 1;
	sl_value *v = sl_arena_alloc(a, (nv + 1) * sizeof(*v));
	for (uint32_t i = 0; i < nv; i++) {
		int rc = sl_fn_arg(e, i + 1, row, a, &v[i], err);
		if (rc)
			return rc;
	}
	sl_buf w;
	sl_buf_init(&w, a, f.len + 16);
	uint32_t next = 0;
	const char *s = f.v.str;
	size_t n = f.len;
	for (size_t i = 0; i < n;) {
		if (s[i] != '%') {
			sl_buf_putc(&w, s[i++]);
			continue;
		}
		size_t st = i++;
		spec sp = { .prec = -1 };
		/* n$ */
		size_t j = i;
		int argi = -1;
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j < n && j > i && s[j] == '$') {
			argi = atoi(s + i) - 1;
			i = j + 1;
		}
		for (; i < n; i++) {
			char c = s[i];
			if (c == '-')
				sp.left = true;
			else if (c == '0')
				sp.zero = true;
			else if (c == '+')
				sp.plus = true;
			else if (c == ' ')
				sp.space = true;
			else if (c == ',')
				sp.comma = true;
			else if (c == '(')
				sp.paren = true;
			else if (c == '#')
				sp.alt = true;
			else
				break;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && sp.width < 100000)
			sp.width = sp.width * 10 + (s[i++] - '0');
		if (i < n && s[i] == '.') {
			sp.prec = 0;
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9' &&
			       sp.prec < 100000)
				sp.prec = sp.prec * 10 + (s[i++] - '0');
		}
		if (i >= n)
			return sl_runtime_error(
				err, "UnknownFormatConversionException",
				"Conversion = '%%' at the end of '%.*s'",
				(int)n, s);
		char c = s[i++];
		if (c == '%') {
			spec q = sp;
			q.zero = false;
			pad_out(&w, &q, "", "%", 1);
			continue;
		}
		if (c == 'n') {
			sl_buf_putc(&w, '\n');
			continue;
		}
		uint32_t k = argi >= 0 ? (uint32_t)argi : next++;
		if (k >= nv)
			return sl_runtime_error(
				err, "MissingFormatArgumentException",
				"Format specifier '%.*s'", (int)(i - st),
				s + st);
		int rc = put_conv(&w, &sp, c, &v[k], a, err);
		if (rc)
			return rc;
		if (w.len > SL_FN_MAX_OUT)
			return sl_fn_too_big(err, e);
	}
	*out = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

static int bind_format_string(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_fn_string_arg(cx, e, 0, err);
	if (rc)
		return rc;
	for (uint32_t i = 1; i < e->nargs; i++) {
		int id = (int)e->args[i]->type->id;
		/* TINYINT and SMALLINT are Integers to Java's Formatter as
		 * they are here */
		if (id == SL_BYTE || id == SL_SHORT)
			rc = sl_coerce(cx, &e->args[i], &sl_dtype_int, err);
		if (rc)
			return rc;
	}
	e->type = &sl_dtype_string;
	e->eval = ev_format_string;
	return 0;
}

/* ---- format_number ---------------------------------------------------- */

/* format_number(x, d): x with d decimals (HALF_EVEN, as DecimalFormat)
 * and thousands grouped; null for d < 0. */
static int ev_format_number(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, d);
	if (d.v.i32 < 0) {
		*out = sl_v_null();
		return 0;
	}
	int frac = d.v.i32 > 340 ? 340 : d.v.i32;
	sl_buf t, w;
	sl_buf_init(&t, a, 32);
	sl_buf_init(&w, a, 32);
	bool neg;
	if (x.type == SL_DECIMAL) {
		/* exactly: the decimal rounded HALF_EVEN to frac digits; past
		 * 38 digits, through a double as DecimalFormat would get */
		sl_decimal_type from =
			sl_decimal_type_make(x.pad[0], x.pad[1]);
		int s2 = frac > 38 ? 38 : frac;
		sl_decimal_type to = sl_decimal_type_make(38, s2);
		sl_decimal r;
		if (sl_decimal_rescale(sl_v_dec_get(&x), from, to,
				       SL_DECIMAL_HALF_EVEN, &r) == 0) {
			char txt[SL_DECIMAL_TEXT_MAX];
			sl_decimal_format(r < 0 ? -r : r, to, txt,
					  sizeof(txt));
			sl_buf_puts(&t, txt);
			if (frac > s2)
				sl_buf_fill(&t, '0', (size_t)(frac - s2));
			/* -0.001 to 2 places is "-0.00", as DecimalFormat */
			neg = sl_v_dec_get(&x) < 0;
			goto grouped;
		}
		x = sl_v_double(sl_decimal_to_double(sl_v_dec_get(&x), from));
	}
	if (x.type == SL_DOUBLE) {
		if (isnan(x.v.f64) || isinf(x.v.f64)) {
			/* DecimalFormat's symbols */
			const char *s = isnan(x.v.f64) ? "\xef\xbf\xbd"
					: x.v.f64 > 0	? "\xe2\x88\x9e"
							: "-\xe2\x88\x9e";
			*out = sl_v_str(s, (uint32_t)strlen(s));
			return 0;
		}
		/* DecimalFormat rounds the double's exact binary value,
		 * HALF_EVEN, which is what printf's %f does */
		sl_buf_printf(&t, "%.*f", frac, fabs(x.v.f64));
		neg = signbit(x.v.f64);
	} else {
		int64_t v = x.type == SL_LONG ? x.v.i64 : x.v.i32;
		uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		sl_buf_printf(&t, "%llu", (unsigned long long)mag);
		if (frac) {
			sl_buf_putc(&t, '.');
			sl_buf_fill(&t, '0', (size_t)frac);
		}
		neg = v < 0;
	}
grouped:
	/* a negative value that rounds to zero keeps its sign ("-0.00"),
	 * as in DecimalFormat */
	if (neg)
		sl_buf_putc(&w, '-');
	group_thousands(&w, t.s, t.len);
	*out = sl_v_str(w.s, (uint32_t)w.len);
	return 0;
}

static int bind_format_number(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	int rc;
	if (t->id == SL_STRING || t->id == SL_NULL)
		t = &sl_dtype_double;
	if (!sl_is_numeric(t))
		return sl_fn_arg_type_error(e, 0, "\"NUMERIC\"", err);
	if ((int)t->id == SL_BYTE || (int)t->id == SL_SHORT)
		t = &sl_dtype_int;
	if ((rc = sl_coerce(cx, &e->args[0], t, err)) ||
	    (rc = sl_fn_int_arg(cx, e, 1, &sl_dtype_int, err)))
		return rc;
	e->type = &sl_dtype_string;
	e->eval = ev_format_number;
	return 0;
}

const sl_func sl_funcs_format[] = {
	{ "format_number", 2, 2, 0, bind_format_number, "format_number(expr1, expr2)",
	  "expr1 with expr2 decimals (HALF_EVEN) and its thousands grouped "
	  "by commas; null for expr2 < 0.",
	  "format_number(12332.123456e0, 4)" },
	{ "format_string", 1, -1, 0, bind_format_string,
	  "format_string(strfmt, obj, ...)",
	  "The arguments formatted by the Java printf-style strfmt.",
	  "format_string('Hello World %d %s', 100, 'days')" },
	{ "printf", 1, -1, 0, bind_format_string, "printf(strfmt, obj, ...)",
	  "The arguments formatted by the Java printf-style strfmt.",
	  "printf('Hello World %d %s', 100, 'days')" },
	{ "to_number", 2, 2, 0, sl_fn_bind_to_number, "to_number(expr, fmt)",
	  "The string read by the number format fmt (0 9 . D , G $ S MI PR) "
	  "as a DECIMAL; an error if it does not match.",
	  "to_number('$1,234.50', '$9,999.99')" },
	{ "try_to_number", 2, 2, 0, sl_fn_bind_to_number,
	  "try_to_number(expr, fmt)",
	  "to_number, null where the string does not match the format.",
	  "try_to_number('12x', '999')" },
};
const size_t sl_funcs_format_n = SL_NFUNCS(sl_funcs_format);
