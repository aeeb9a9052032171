/* expr/func.c - the function table and the general functions: strings,
 * struct/array constructors, coalesce, explode, abs, round, hash.
 *
 * Each function has a bind step (argument types, implicit casts, result
 * type, constant arguments prepared once) and an evaluator. Regex, JSON and
 * datetime functions live in expr/regex.c, expr/json.c and expr/time.c.
 * Aggregates and window() are listed so they parse and are refused with a
 * clear message until GROUP BY (the stateful path) exists. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <wctype.h>

#include "core/unicode.h"
#include "expr/fn.h"
#include "expr/fn_map.h"
#include "expr/internal.h"

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

static inline int arg(const sl_expr *e, uint32_t i, const sl_value *row,
		      sl_arena *a, sl_value *v, sl_err *err)
{
	return sl_eval_child(e->args[i], row, a, v, err);
}

/* Evaluates argument 0 into x; a null returns null from the caller. */
#define ARG0_OR_NULL(x)                                                        \
	sl_value x;                                                            \
	do {                                                                   \
		int rc_ = arg(e, 0, row, a, &x, err);                          \
		if (rc_)                                                       \
			return rc_;                                            \
		if (x.type == SL_NULL) {                                       \
			*out = sl_v_null();                                    \
			return 0;                                              \
		}                                                              \
	} while (0)

static int coerce_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i,
		      const sl_dtype *t, sl_err *err)
{
	return sl_coerce(cx, &e->args[i], t, err);
}

/* Arguments Spark's string functions take: strings, or anything atomic
 * cast to a string. */
static int string_arg(sl_bind_ctx *cx, sl_expr *e, uint32_t i, sl_err *err)
{
	const sl_dtype *t = e->args[i]->type;
	if (t->id == SL_ARRAY || t->id == SL_STRUCT) {
		char tb[128];
		sl_dtype_name(t, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"argument %u requires string type, "
					"however, '%s' is of %s type",
					i + 1, e->args[i]->sql, tb);
	}
	return coerce_arg(cx, e, i, &sl_dtype_string, err);
}

static const char *append_sql(sl_bind_ctx *cx, const char *sql,
			      const char *extra)
{
	/* "f(a, b)" -> "f(a, b<extra>)": Spark names calls with their
	 * default arguments spelled out. */
	size_t n = strlen(sql);
	sl_buf w;
	sl_buf_init(&w, cx->a, n + strlen(extra) + 2);
	sl_buf_put(&w, sql, n - 1);
	sl_buf_puts(&w, extra);
	sl_buf_putc(&w, ')');
	return sl_buf_cstr(&w);
}

/* ---- the UTF-8 locale ------------------------------------------------- */

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	/* The regex functions' classes beyond ASCII need a UTF-8 locale's
	 * tables; a private locale object leaves the process's locale
	 * alone. */
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!utf8_loc)
		utf8_loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

locale_t sl_utf8_locale(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_loc;
}

/* ---- lower, upper, initcap -------------------------------------------- */

/* upper, lower, initcap: Spark's full Unicode case mappings
 * (core/unicode.h: straße -> STRASSE, final sigma, ligatures). */
enum { CASE_UPPER, CASE_LOWER, CASE_INITCAP };

static int case_map(EV_ARGS, int how)
{
	ARG0_OR_NULL(x);
	sl_buf b;
	int64_t rc;

	sl_buf_init(&b, a, x.len + 1);
	rc = how == CASE_UPPER	 ? sl_unicode_upper(&b, x.v.str, x.len)
	     : how == CASE_LOWER ? sl_unicode_lower(&b, x.v.str, x.len)
				 : sl_unicode_initcap(&b, x.v.str, x.len);
	if (rc < 0)
		return sl_err_set(err, (int)rc, "%s: the string is too long",
				  e->fn->name);
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int ev_lower(EV_ARGS)
{
	return case_map(e, row, a, out, err, CASE_LOWER);
}

static int ev_upper(EV_ARGS)
{
	return case_map(e, row, a, out, err, CASE_UPPER);
}

static int ev_initcap(EV_ARGS)
{
	return case_map(e, row, a, out, err, CASE_INITCAP);
}

static int bind_str1(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = string_arg(cx, e, 0, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_string;
	e->eval = e->fn->name[0] == 'u'	  ? ev_upper
		  : e->fn->name[0] == 'i' ? ev_initcap
					  : ev_lower;
	return 0;
}

/* ---- length ----------------------------------------------------------- */

static int ev_length(EV_ARGS)
{
	ARG0_OR_NULL(x);
	*out = sl_v_int(x.type == SL_BINARY
				? (int32_t)x.len
				: (int32_t)sl_utf8_count(x.v.str, x.len));
	return 0;
}

static int bind_length(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (e->args[0]->type->id != SL_BINARY) {
		int rc = string_arg(cx, e, 0, err);
		if (rc)
			return rc;
	}
	e->type = &sl_dtype_int;
	e->eval = ev_length;
	return 0;
}

/* ---- concat ----------------------------------------------------------- */

static int ev_concat(EV_ARGS)
{
	sl_value small[8], *v = small;
	if (e->nargs > 8)
		v = sl_arena_alloc(a, e->nargs * sizeof(*v));
	size_t total = 0;
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = arg(e, i, row, a, &v[i], err);
		if (rc)
			return rc;
		if (v[i].type == SL_NULL) {
			*out = sl_v_null();
			return 0;
		}
		total += v[i].len;
	}
	char *o = sl_arena_alloc(a, total ? total : 1);
	size_t k = 0;
	for (uint32_t i = 0; i < e->nargs; i++) {
		if (v[i].len)
			memcpy(o + k, v[i].v.str, v[i].len);
		k += v[i].len;
	}
	*out = sl_v_str(o, (uint32_t)total);
	out->type = e->type->id == SL_BINARY ? SL_BINARY : SL_STRING;
	return 0;
}

static int bind_concat(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool all_bin = e->nargs > 0;
	for (uint32_t i = 0; i < e->nargs; i++)
		all_bin &= e->args[i]->type->id == SL_BINARY;
	for (uint32_t i = 0; i < e->nargs && !all_bin; i++) {
		int rc = string_arg(cx, e, i, err);
		if (rc)
			return rc;
	}
	e->type = all_bin ? &sl_dtype_binary : &sl_dtype_string;
	e->eval = ev_concat;
	return 0;
}

/* ---- substring -------------------------------------------------------- */

/* Byte offset of character index ci (clamped to the end). */
static size_t char_off(const char *s, size_t n, int64_t ci)
{
	size_t i = 0;
	for (; i < n && ci > 0; ci--)
		i += (size_t)sl_utf8_len((unsigned char)s[i]);
	return i < n ? i : n;
}

/* Spark's substringSQL: 1-based pos; 0 is 1; negative counts from the
 * end; the length clamps. */
static int ev_substring(EV_ARGS)
{
	ARG0_OR_NULL(x);
	sl_value p, l = sl_v_int(INT32_MAX);
	int rc = arg(e, 1, row, a, &p, err);
	if (!rc && e->nargs > 2)
		rc = arg(e, 2, row, a, &l, err);
	if (rc)
		return rc;
	if (p.type == SL_NULL || l.type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	bool bin = x.type == SL_BINARY;
	int64_t len = bin ? x.len : (int64_t)sl_utf8_count(x.v.str, x.len);
	int64_t pos = p.v.i32;
	int64_t start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
	int64_t end = start + l.v.i32;
	if (end > INT32_MAX)
		end = INT32_MAX;
	if (start < 0)
		start = 0;
	if (end > len)
		end = len;
	*out = x;
	if (start >= end) {
		out->len = 0;
		return 0;
	}
	size_t b0, b1;
	if (bin || len == (int64_t)x.len) { /* bytes, or ASCII text */
		b0 = (size_t)start;
		b1 = (size_t)end;
	} else {
		b0 = char_off(x.v.str, x.len, start);
		b1 = b0 + char_off(x.v.str + b0, x.len - b0, end - start);
	}
	out->v.str = x.v.str + b0;
	out->len = (uint32_t)(b1 - b0);
	return 0;
}

static int bind_substring(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = 0;
	if (e->args[0]->type->id != SL_BINARY)
		rc = string_arg(cx, e, 0, err);
	for (uint32_t i = 1; i < e->nargs && !rc; i++)
		rc = coerce_arg(cx, e, i, &sl_dtype_int, err);
	if (rc)
		return rc;
	if (e->nargs == 2)
		e->sql = append_sql(cx, e->sql, ", 2147483647");
	e->type = e->args[0]->type;
	e->eval = ev_substring;
	return 0;
}

/* ---- trim ------------------------------------------------------------- */

/* Spark's trim family removes spaces (0x20) only. */
static int trim_ev(EV_ARGS, bool left, bool right)
{
	ARG0_OR_NULL(x);
	uint32_t b = 0, n = x.len;
	while (left && b < n && x.v.str[b] == ' ')
		b++;
	while (right && n > b && x.v.str[n - 1] == ' ')
		n--;
	*out = sl_v_str(x.v.str + b, n - b);
	return 0;
}

static int ev_trim(EV_ARGS)
{
	return trim_ev(e, row, a, out, err, true, true);
}

static int ev_ltrim(EV_ARGS)
{
	return trim_ev(e, row, a, out, err, true, false);
}

static int ev_rtrim(EV_ARGS)
{
	return trim_ev(e, row, a, out, err, false, true);
}

static int bind_trim(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = string_arg(cx, e, 0, err);
	if (rc)
		return rc;
	e->type = &sl_dtype_string;
	e->eval = e->fn->name[0] == 'l'	  ? ev_ltrim
		  : e->fn->name[0] == 'r' ? ev_rtrim
					  : ev_trim;
	return 0;
}

/* ---- coalesce --------------------------------------------------------- */

static int ev_coalesce(EV_ARGS)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = arg(e, i, row, a, out, err);
		if (rc || out->type != SL_NULL)
			return rc;
	}
	return 0;
}

/* All arguments to their common type (Spark's wider type, strings
 * winning), for coalesce and array. */
static int common_args(sl_bind_ctx *cx, sl_expr *e, const sl_dtype **t,
		       sl_err *err)
{
	const sl_dtype *c = &sl_dtype_null;
	for (uint32_t i = 0; i < e->nargs && c; i++)
		c = sl_common_type(cx, c, e->args[i]->type);
	if (!c)
		return sl_type_mismatch(err, e,
					"input to function %s should all be "
					"the same type",
					e->fn->name);
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = coerce_arg(cx, e, i, c, err);
		if (rc)
			return rc;
	}
	*t = c;
	return 0;
}

static int bind_coalesce(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->eval = ev_coalesce;
	return common_args(cx, e, &e->type, err);
}

/* ---- struct, named_struct, array -------------------------------------- */

static int ev_struct(EV_ARGS)
{
	uint32_t n = e->type->fields->n;
	sl_value *f = sl_arena_alloc(a, (n ? n : 1) * sizeof(*f));
	/* named_struct's names sit at even positions; the values after */
	uint32_t step = e->nargs == n ? 1 : 2, first = step - 1;
	for (uint32_t i = 0; i < n; i++) {
		int rc = arg(e, first + i * step, row, a, &f[i], err);
		if (rc)
			return rc;
	}
	out->type = SL_STRUCT;
	out->len = n;
	out->v.fields = f;
	return 0;
}

static sl_dtype *struct_type(sl_bind_ctx *cx, uint32_t n)
{
	sl_dtype *t = sl_arena_calloc(cx->a, sizeof(*t));
	t->id = SL_STRUCT;
	t->fields = sl_schema_new(cx->a, n);
	return t;
}

static int bind_struct(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	sl_dtype *t = struct_type(cx, e->nargs);
	sl_field *f = ((sl_schema *)t->fields)->fields;
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sl_expr *x = e->args[i];
		/* Spark's CreateStruct: named expressions keep their names,
		 * others are col1, col2, ... */
		if (x->alias) {
			f[i].name = x->alias;
		} else if (x->name &&
			   (x->kind == EX_COL || x->kind == EX_FIELD)) {
			f[i].name = x->name;
		} else {
			char *nm = sl_arena_alloc(cx->a, 16);
			snprintf(nm, 16, "col%u", i + 1);
			f[i].name = nm;
		}
		f[i].type = x->type;
		f[i].nullable = true;
	}
	e->type = t;
	e->eval = ev_struct;
	return 0;
}

static int bind_named_struct(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (e->nargs % 2)
		return sl_bind_fail(err, e, SL_EANALYSIS,
				    "named_struct expects an even number of "
				    "arguments, found %u",
				    e->nargs);
	sl_dtype *t = struct_type(cx, e->nargs / 2);
	sl_field *f = ((sl_schema *)t->fields)->fields;
	for (uint32_t i = 0; i < e->nargs; i += 2) {
		const sl_expr *nm = e->args[i];
		if (nm->kind != EX_LIT || nm->lit.type != SL_STRING)
			return sl_type_mismatch(err, e,
						"only foldable string "
						"expressions are allowed to "
						"appear at odd position, got: "
						"%s",
						nm->sql);
		f[i / 2].name =
			sl_arena_strndup(cx->a, nm->lit.v.str, nm->lit.len);
		f[i / 2].type = e->args[i + 1]->type;
		f[i / 2].nullable = true;
	}
	e->type = t;
	e->eval = ev_struct;
	return 0;
}

static int ev_array(EV_ARGS)
{
	sl_value *v = sl_arena_alloc(a, (e->nargs ? e->nargs : 1) * sizeof(*v));
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = arg(e, i, row, a, &v[i], err);
		if (rc)
			return rc;
	}
	out->type = SL_ARRAY;
	out->len = e->nargs;
	out->v.arr = v;
	return 0;
}

static int bind_array(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *el;
	int rc = common_args(cx, e, &el, err);
	if (rc)
		return rc;
	sl_dtype *t = sl_arena_calloc(cx->a, sizeof(*t));
	t->id = SL_ARRAY;
	t->elem = el;
	e->type = t;
	e->eval = ev_array;
	return 0;
}

/* ---- explode ---------------------------------------------------------- */

static int ev_explode(EV_ARGS)
{
	return arg(e, 0, row, a, out, err);
}

static int bind_explode(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id != SL_ARRAY) {
		char tb[128];
		sl_dtype_name(t, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"input to function explode should be "
					"array type, not %s",
					tb);
	}
	e->type = t->elem;
	e->eval = ev_explode;
	return 0;
}

/* ---- abs, round ------------------------------------------------------- */

static int ev_abs(EV_ARGS)
{
	ARG0_OR_NULL(x);
	*out = x;
	if (x.type == SL_INT && x.v.i32 < 0)
		out->v.i32 = (int32_t)(0u - (uint32_t)x.v.i32);
	else if (x.type == SL_LONG && x.v.i64 < 0)
		out->v.i64 = (int64_t)(0ull - (uint64_t)x.v.i64);
	else if (x.type == SL_DOUBLE)
		out->v.f64 = fabs(x.v.f64);
	else if (x.type == SL_FLOAT)
		out->v.f32 = fabsf(x.v.f32);
	else if (x.type == SL_DECIMAL && sl_v_dec_get(&x) < 0)
		*out = sl_v_dec(-sl_v_dec_get(&x), x.pad[0], x.pad[1], a);
	return 0;
}

static int numeric_arg(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	const sl_dtype *t = e->args[0]->type;
	if (t->id == SL_STRING || t->id == SL_NULL)
		t = &sl_dtype_double;
	if (!sl_is_numeric(t)) {
		char tb[128];
		sl_dtype_name(e->args[0]->type, tb, sizeof(tb));
		return sl_type_mismatch(err, e,
					"argument 1 requires numeric type, "
					"however, '%s' is of %s type",
					e->args[0]->sql, tb);
	}
	e->type = t;
	return coerce_arg(cx, e, 0, t, err);
}

/* With ANSI on the one int without an absolute value is an error. */
static int ev_abs_ansi(EV_ARGS)
{
	ARG0_OR_NULL(x);
	if ((x.type == SL_INT && x.v.i32 == INT32_MIN) ||
	    (x.type == SL_LONG && x.v.i64 == INT64_MIN))
		return sl_runtime_error(
			err, "ARITHMETIC_OVERFLOW",
			"overflow. If necessary set \"spark.sql.ansi.enabled\" "
			"to \"false\" to bypass this error. SQLSTATE: 22003");
	return ev_abs(e, row, a, out, err);
}

static int bind_abs(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	if (sl_is_interval(e->args[0]->type))
		return sl_bind_interval_abs(cx, e, err);
	e->eval = cx->ansi ? ev_abs_ansi : ev_abs;
	return numeric_arg(cx, e, err);
}

/* v rounded HALF_UP to a multiple of 10^-d, exactly (Spark rounds an
 * integer through BigDecimal): beyond 38 digits everything rounds to 0. */
static __int128 round_int(int64_t v, int d)
{
	if (d >= 0)
		return v;
	if (d < -38)
		return 0;
	__int128 f = 1;
	for (int i = 0; i < -d; i++)
		f *= 10;
	__int128 r = (__int128)v % f, base = (__int128)v - r;
	if (r >= 0 ? r * 2 >= f : -r * 2 >= f)
		base += r >= 0 ? f : -f;
	return base;
}

static int ev_round(EV_ARGS)
{
	ARG0_OR_NULL(x);
	int d = (int)(intptr_t)e->aux;
	*out = x;
	if (x.type == SL_DOUBLE) {
		out->v.f64 = sl_round_double(x.v.f64, d, false);
		return 0;
	}
	bool wide = x.type == SL_LONG;
	__int128 r = round_int(wide ? x.v.i64 : x.v.i32, d);
	bool fits = wide ? r >= INT64_MIN && r <= INT64_MAX
			 : r >= INT32_MIN && r <= INT32_MAX;
	/* out of the type's range: ANSI's error, else Java's longValue /
	 * intValue, the low bits */
	if (!fits && (e->flags & EXF_ANSI))
		return sl_runtime_error(err, "ARITHMETIC_OVERFLOW",
					"Overflow. If necessary set "
					"\"spark.sql.ansi.enabled\" to "
					"\"false\" to bypass this error. "
					"SQLSTATE: 22003");
	uint64_t low = (uint64_t)(unsigned __int128)r;
	if (wide)
		out->v.i64 = (int64_t)low;
	else
		out->v.i32 = (int32_t)(uint32_t)low;
	return 0;
}

static int bind_round(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = numeric_arg(cx, e, err);
	if (rc)
		return rc;
	int64_t d = 0;
	if (e->nargs > 1) {
		const sl_expr *s = e->args[1];
		if (s->kind != EX_LIT ||
		    (s->lit.type != SL_INT && s->lit.type != SL_LONG))
			return sl_type_mismatch(err, e,
						"the scale of round must be a "
						"constant integer, not %s",
						s->sql);
		d = s->lit.type == SL_INT ? s->lit.v.i32 : s->lit.v.i64;
		if (d < -400 || d > 400)
			d = d < 0 ? -400 : 400;
	} else {
		e->sql = append_sql(cx, e->sql, ", 0");
	}
	e->aux = (const void *)(intptr_t)d;
	e->eval = ev_round;
	if (cx->ansi)
		e->flags |= EXF_ANSI;
	if (e->type->id == SL_DECIMAL || e->type->id == SL_FLOAT)
		return sl_dec_bind_round(cx, e, (int)d);
	return 0;
}

/* ---- hash: Spark's Murmur3 x86_32, seed 42 ---------------------------- */

static inline uint32_t rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static inline uint32_t mix_k1(uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	return k * 0x1b873593u;
}

static inline uint32_t mix_h1(uint32_t h, uint32_t k)
{
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline uint32_t fmix32(uint32_t h, uint32_t len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

static uint32_t hash_int(uint32_t v, uint32_t seed)
{
	return fmix32(mix_h1(seed, mix_k1(v)), 4);
}

static uint32_t hash_long(uint64_t v, uint32_t seed)
{
	uint32_t h = mix_h1(seed, mix_k1((uint32_t)v));
	return fmix32(mix_h1(h, mix_k1((uint32_t)(v >> 32))), 8);
}

/* Spark's hashUnsafeBytes: little-endian words, then each trailing byte
 * (sign-extended) mixed as a whole word: not the reference Murmur3 tail,
 * but what Spark's hash() has always returned. */
static uint32_t hash_bytes(const uint8_t *b, uint32_t n, uint32_t seed)
{
	uint32_t h = seed, aligned = n - n % 4;
	for (uint32_t i = 0; i < aligned; i += 4) {
		uint32_t w = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 |
			     (uint32_t)b[i + 2] << 16 |
			     (uint32_t)b[i + 3] << 24;
		h = mix_h1(h, mix_k1(w));
	}
	for (uint32_t i = aligned; i < n; i++)
		h = mix_h1(h, mix_k1((uint32_t)(int32_t)(int8_t)b[i]));
	return fmix32(h, n);
}

uint64_t sl_hash_value(const sl_value *v, uint64_t seed,
		       const sl_hash_fns *h)
{
	switch (v->type) {
	case SL_NULL: return seed;
	case SL_BOOL: return h->i32(v->v.b, seed);
	case SL_INT:
	case SL_DATE: return h->i32((uint32_t)v->v.i32, seed);
	case SL_INTERVAL_YM: return h->i32((uint32_t)v->v.i32, seed);
	case SL_LONG:
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
	case SL_INTERVAL_DT: return h->i64((uint64_t)v->v.i64, seed);
	case SL_DOUBLE: {
		/* -0.0 hashes as 0.0; every NaN as Java's canonical NaN */
		double d = v->v.f64 == 0 ? 0.0 : v->v.f64;
		uint64_t bits;
		if (isnan(d))
			bits = 0x7ff8000000000000ull;
		else
			memcpy(&bits, &d, 8);
		return h->i64(bits, seed);
	}
	case SL_FLOAT: {
		float f = v->v.f32 == 0 ? 0.0f : v->v.f32;
		uint32_t bits;
		if (isnan(f))
			bits = 0x7fc00000u;
		else
			memcpy(&bits, &f, 4);
		return h->i32(bits, seed);
	}
	case SL_DECIMAL: {
		/* Spark: the unscaled long up to precision 18, else the
		 * bytes of BigInteger.toByteArray (big-endian, minimal) */
		sl_dec_u u = sl_v_dec_get(v);
		if (v->pad[0] <= 18)
			return h->i64((uint64_t)(int64_t)u, seed);
		uint8_t b[16];
		int n = 16;
		for (int i = 15; i >= 0; i--, u >>= 8)
			b[i] = (uint8_t)u;
		while (n > 1 && ((b[16 - n] == 0 && !(b[17 - n] & 0x80)) ||
				 (b[16 - n] == 0xff && (b[17 - n] & 0x80))))
			n--;
		return h->bytes(b + 16 - n, (uint32_t)n, seed);
	}
	case SL_STRING:
	case SL_BINARY: return h->bytes(v->v.bin, v->len, seed);
	case SL_ARRAY:
	case SL_STRUCT:
		for (uint32_t i = 0; i < v->len; i++)
			seed = sl_hash_value(&v->v.arr[i], seed, h);
		return seed;
	default: return seed;
	}
}

/* Murmur3 behind the walker's interface: a 32-bit seed and hash. */
static uint64_t m3_i32(uint32_t v, uint64_t seed)
{
	return hash_int(v, (uint32_t)seed);
}

static uint64_t m3_i64(uint64_t v, uint64_t seed)
{
	return hash_long(v, (uint32_t)seed);
}

static uint64_t m3_bytes(const uint8_t *b, uint32_t n, uint64_t seed)
{
	return hash_bytes(b, n, (uint32_t)seed);
}

static const sl_hash_fns murmur3 = { m3_i32, m3_i64, m3_bytes };

static int ev_hash(EV_ARGS)
{
	uint32_t h = 42;
	for (uint32_t i = 0; i < e->nargs; i++) {
		sl_value v;
		int rc = arg(e, i, row, a, &v, err);
		if (rc)
			return rc;
		h = (uint32_t)sl_hash_value(&v, h, &murmur3);
	}
	*out = sl_v_int((int32_t)h);
	return 0;
}

static int bind_hash(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_int;
	e->eval = ev_hash;
	return 0;
}

/* typeof(x): Spark's name of x's type, known at bind */
static int ev_typeof(EV_ARGS)
{
	const char *name = e->aux;
	*out = sl_v_str(name, (uint32_t)strlen(name));
	return 0;
}

static int bind_typeof(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	char tb[256];
	sl_dtype_name(e->args[0]->type, tb, sizeof(tb));
	e->aux = sl_arena_strdup(cx->a, tb);
	e->type = &sl_dtype_string;
	e->eval = ev_typeof;
	return 0;
}

/* ---- the table -------------------------------------------------------- */

static const sl_func funcs[] = {
	{ "abs", 1, 1, 0, bind_abs, NULL, NULL, NULL },
	{ "array", 0, -1, 0, bind_array, NULL, NULL, NULL },
	{ "char_length", 1, 1, 0, bind_length, NULL, NULL, NULL },
	{ "character_length", 1, 1, 0, bind_length, NULL, NULL, NULL },
	{ "coalesce", 1, -1, 0, bind_coalesce, NULL, NULL, NULL },
	{ "concat", 0, -1, 0, bind_concat, NULL, NULL, NULL },
	{ "current_date", 0, 0, 0, sl_bind_current_date, NULL, NULL, NULL },
	{ "current_timestamp", 0, 0, 0, sl_bind_current_timestamp, NULL, NULL, NULL },
	{ "date_format", 2, 2, 0, sl_bind_date_format, NULL, NULL, NULL },
	{ "element_at", 2, 2, 0, sl_bind_element_at, NULL, NULL, NULL },
	{ "explode", 1, 1, FN_GEN, bind_explode, NULL, NULL, NULL },
	{ "from_json", 2, 2, 0, sl_bind_from_json, NULL, NULL, NULL },
	{ "get", 2, 2, 0, sl_bind_element_at, NULL, NULL, NULL },
	{ "hash", 1, -1, 0, bind_hash, NULL, NULL, NULL },
	{ "initcap", 1, 1, 0, bind_str1, NULL, NULL, NULL },
	{ "lcase", 1, 1, 0, bind_str1, NULL, NULL, NULL },
	{ "length", 1, 1, 0, bind_length, NULL, NULL, NULL },
	{ "lower", 1, 1, 0, bind_str1, NULL, NULL, NULL },
	{ "ltrim", 1, 1, 0, bind_trim, NULL, NULL, NULL },
	{ "named_struct", 0, -1, 0, bind_named_struct, NULL, NULL, NULL },
	{ "now", 0, 0, 0, sl_bind_current_timestamp, NULL, NULL, NULL },
	{ "round", 1, 2, 0, bind_round, NULL, NULL, NULL },
	{ "rtrim", 1, 1, 0, bind_trim, NULL, NULL, NULL },
	{ "split", 2, 3, 0, sl_bind_split, NULL, NULL, NULL },
	{ "struct", 0, -1, FN_STRUCT_ARGS, bind_struct, NULL, NULL, NULL },
	{ "substr", 2, 3, 0, bind_substring, NULL, NULL, NULL },
	{ "substring", 2, 3, 0, bind_substring, NULL, NULL, NULL },
	{ "to_date", 1, 2, 0, sl_bind_to_date, NULL, NULL, NULL },
	{ "to_json", 1, 1, 0, sl_bind_to_json, NULL, NULL, NULL },
	{ "to_timestamp", 1, 2, 0, sl_bind_to_timestamp, NULL, NULL, NULL },
	{ "trim", 1, 1, 0, bind_trim, NULL, NULL, NULL },
	{ "try_add", 2, 2, 0, sl_bind_try_arith, NULL, NULL, NULL },
	{ "try_divide", 2, 2, 0, sl_bind_try_arith, NULL, NULL, NULL },
	{ "try_element_at", 2, 2, 0, sl_bind_element_at, NULL, NULL, NULL },
	{ "try_mod", 2, 2, 0, sl_bind_try_arith, NULL, NULL, NULL },
	{ "try_multiply", 2, 2, 0, sl_bind_try_arith, NULL, NULL, NULL },
	{ "try_subtract", 2, 2, 0, sl_bind_try_arith, NULL, NULL, NULL },
	{ "typeof", 1, 1, 0, bind_typeof, NULL, NULL, NULL },
	{ "ucase", 1, 1, 0, bind_str1, NULL, NULL, NULL },
	{ "upper", 1, 1, 0, bind_str1, NULL, NULL, NULL },
	/* aggregates: the stateful path's */
	{ "approx_count_distinct", 1, 2, FN_AGG, NULL, NULL, NULL, NULL },
	{ "avg", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "collect_list", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "collect_set", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "count", 0, -1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "first", 1, 2, FN_AGG, NULL, NULL, NULL, NULL },
	{ "last", 1, 2, FN_AGG, NULL, NULL, NULL, NULL },
	{ "max", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "mean", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "min", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "sum", 1, 1, FN_AGG, NULL, NULL, NULL, NULL },
	{ "session_window", 2, 2, FN_WINDOW, NULL, NULL, NULL, NULL },
	{ "window", 2, 4, FN_WINDOW, NULL, NULL, NULL, NULL },
};

/* The groups searched and listed, in listing order. */
static const size_t nfuncs = SL_NFUNCS(funcs);
static const sl_func_group groups[] = {
	{ "general", funcs, &nfuncs },
	{ "string", sl_funcs_string, &sl_funcs_string_n },
	{ "like", sl_funcs_like, &sl_funcs_like_n },
	{ "format", sl_funcs_format, &sl_funcs_format_n },
	{ "regexp", sl_funcs_regexp, &sl_funcs_regexp_n },
	{ "json", sl_funcs_json, &sl_funcs_json_n },
	{ "conditional", sl_funcs_cond, &sl_funcs_cond_n },
	{ "math", sl_funcs_math, &sl_funcs_math_n },
	{ "hash", sl_funcs_hash, &sl_funcs_hash_n },
	{ "encoding", sl_funcs_encode, &sl_funcs_encode_n },
	{ "datetime", sl_funcs_date, &sl_funcs_date_n },
	{ "datetime patterns", sl_funcs_epoch, &sl_funcs_epoch_n },
	{ "interval", sl_funcs_interval, &sl_funcs_interval_n },
	{ "time zones", sl_funcs_zone, &sl_funcs_zone_n },
	{ "collection", sl_funcs_collection, &sl_funcs_collection_n },
	{ "map", sl_funcs_map, &sl_funcs_map_n },
	{ "operators", sl_funcs_ops, &sl_funcs_ops_n },
};

const sl_func_group *sl_func_groups(size_t *n)
{
	*n = SL_NFUNCS(groups);
	return groups;
}

const sl_func *sl_func_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t g = 0; g < SL_NFUNCS(groups); g++)
		for (size_t i = 0; i < *groups[g].n; i++)
			if (!strcmp(groups[g].fns[i].name, name))
				return &groups[g].fns[i];
	return NULL;
}
