/* expr/fn_regexp.c - Spark's regexp functions: regexp_replace,
 * regexp_extract, regexp_extract_all, regexp_count, regexp_substr,
 * regexp_instr, and regexp_like (RLIKE as a function; `regexp(...)`
 * cannot be called: REGEXP is the parser's operator word).
 *
 * Patterns are Java regexes translated to POSIX (expr/regex.c, which
 * refuses what POSIX cannot express); a literal pattern is translated and
 * checked once at bind and compiled once per thread, any other per row.
 * Matching walks as Java's Matcher.find does: after an empty match the
 * next search starts one character on. */
#include <regex.h>
#include <stdlib.h>

#include "expr/fn.h"

#define MAX_GROUPS 10

typedef struct rx_use {
	const regex_t *re;
	regex_t own; /* a pattern compiled for this row */
	bool owned;
	locale_t old;
} rx_use;

static int bad_pattern(sl_err *err, const sl_expr *e, const sl_value *p,
		       const char *why)
{
	return sl_runtime_error(err, "INVALID_PARAMETER_VALUE.PATTERN",
				"The value of parameter(s) `regexp` in `%s` "
				"is invalid: '%.*s'%s%s. SQLSTATE: 22023",
				e->fn->name, (int)p->len, p->v.str,
				why ? ": " : "", why ? why : "");
}

/* The regex for this row: the bound one, or pattern p compiled now.
 * Switches the thread to the UTF-8 locale until rx_done. */
static int rx_begin(const sl_expr *e, const sl_value *p, sl_arena *a,
		    rx_use *u, sl_err *err)
{
	locale_t l = sl_utf8_locale();
	u->old = l ? uselocale(l) : (locale_t)0;
	u->owned = false;
	if (e->aux) {
		u->re = sl_regex_compiled(e->aux);
		if (!u->re)
			return sl_err_set(err, SL_EINVAL,
					  "%s: cannot compile the pattern",
					  e->fn->name);
		return 0;
	}
	sl_buf w;
	sl_buf_init(&w, a, p->len * 2 + 16);
	int fl = REG_EXTENDED;
	const char *why = sl_regex_translate(p->v.str, p->len, &w, &fl);
	if (why || regcomp(&u->own, sl_buf_cstr(&w), fl)) {
		if (u->old)
			uselocale(u->old);
		u->old = 0;
		return bad_pattern(err, e, p, why);
	}
	u->owned = true;
	u->re = &u->own;
	return 0;
}

static void rx_done(rx_use *u)
{
	if (u->owned)
		regfree(&u->own);
	if (u->old)
		uselocale(u->old);
}

/* The next match in s[0..n) from byte `from`: groups in m (offsets in
 * s; -1 for a group that took no part). */
static bool rx_find(const regex_t *re, const char *s, size_t n, size_t from,
		    regmatch_t *m)
{
	m[0].rm_so = (regoff_t)from;
	m[0].rm_eo = (regoff_t)n;
	int fl = REG_STARTEND | (from > 0 ? REG_NOTBOL : 0);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's regexec interceptor reads up to a NUL */
	char *z = malloc(n + 1);
	if (!z)
		return false;
	memcpy(z, s, n);
	z[n] = 0;
	int rc = regexec(re, z, MAX_GROUPS, m, fl);
	free(z);
#else
	int rc = regexec(re, s ? s : "", MAX_GROUPS, m, fl);
#endif
	return rc == 0;
}

/* The step past an empty match at byte i: one character */
static size_t step_char(const char *s, size_t n, size_t i)
{
	size_t k = i + (size_t)sl_utf8_len((unsigned char)s[i]);
	return k < n ? k : n;
}

static int bind_regexp(sl_bind_ctx *cx, sl_expr *e, uint32_t nstr,
		       sl_err *err)
{
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = i < nstr ? sl_fn_string_arg(cx, e, i, err)
				  : sl_fn_int_arg(cx, e, i, &sl_dtype_int, err);
		if (rc)
			return rc;
	}
	const sl_expr *p = e->args[1];
	if (p->kind == EX_LIT && p->lit.type == SL_STRING) {
		const char *why;
		e->aux = sl_regex_prepare(p->lit.v.str, p->lit.len, cx->a, &why);
		if (!e->aux)
			return sl_bind_fail(err, p, SL_EANALYSIS,
					    "invalid regular expression '%s': "
					    "%s",
					    p->sql, why);
	}
	return 0;
}

/* ---- regexp_replace --------------------------------------------------- */

/* Appends Java's replacement text: $n a group, \c the character c. */
static void put_replacement(sl_buf *b, const sl_value *r, const char *s,
			    const regmatch_t *m, size_t ngroups)
{
	for (uint32_t i = 0; i < r->len; i++) {
		char c = r->v.str[i];
		if (c == '\\' && i + 1 < r->len) {
			sl_buf_putc(b, r->v.str[++i]);
		} else if (c == '$' && i + 1 < r->len && r->v.str[i + 1] >= '0' &&
			   r->v.str[i + 1] <= '9') {
			size_t g = (size_t)(r->v.str[++i] - '0');
			/* more digits while the number is still a group */
			while (i + 1 < r->len && r->v.str[i + 1] >= '0' &&
			       r->v.str[i + 1] <= '9' &&
			       g * 10 + (size_t)(r->v.str[i + 1] - '0') <=
				       ngroups)
				g = g * 10 + (size_t)(r->v.str[++i] - '0');
			if (g <= ngroups && g < MAX_GROUPS && m[g].rm_so >= 0)
				sl_buf_put(b, s + m[g].rm_so,
					   (size_t)(m[g].rm_eo - m[g].rm_so));
		} else {
			sl_buf_putc(b, c);
		}
	}
}

static int ev_regexp_replace(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, p);
	FN_ARG_OR_NULL(2, r);
	int64_t pos = 1;
	if (e->nargs > 3) {
		FN_ARG_OR_NULL(3, ps);
		pos = ps.v.i32;
		if (pos < 1)
			return sl_runtime_error(
				err, "INVALID_PARAMETER_VALUE.POSITION",
				"The value of parameter(s) `position` in "
				"`regexp_replace` is invalid: Expects a "
				"positive value, but got %lld. SQLSTATE: 22023",
				(long long)pos);
	}
	rx_use u;
	int rc = rx_begin(e, &p, a, &u, err);
	if (rc)
		return rc;
	size_t from = sl_fn_char_off(s.v.str, s.len, pos - 1);
	if (pos - 1 > (int64_t)sl_utf8_count(s.v.str, s.len)) {
		rx_done(&u);
		*out = s;
		return 0;
	}
	sl_buf b;
	sl_buf_init(&b, a, s.len + 16);
	sl_buf_put(&b, s.v.str, from);
	size_t last = from, at = from;
	regmatch_t m[MAX_GROUPS];
	while (at <= s.len && rx_find(u.re, s.v.str, s.len, at, m)) {
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		sl_buf_put(&b, s.v.str + last, so - last);
		put_replacement(&b, &r, s.v.str, m, u.re->re_nsub);
		last = eo;
		if (b.len > SL_FN_MAX_OUT) {
			rx_done(&u);
			return sl_fn_too_big(err, e);
		}
		if (eo == so) {
			if (so >= s.len)
				break;
			size_t k = step_char(s.v.str, s.len, so);
			sl_buf_put(&b, s.v.str + so, k - so);
			last = at = k;
		} else {
			at = eo;
		}
	}
	rx_done(&u);
	sl_buf_put(&b, s.v.str + last, s.len - last);
	*out = sl_v_str(b.s, (uint32_t)b.len);
	return 0;
}

static int bind_regexp_replace(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	e->type = &sl_dtype_string;
	e->eval = ev_regexp_replace;
	if (e->nargs == 3)
		e->sql = sl_fn_append_sql(cx, e->sql, ", 1");
	return bind_regexp(cx, e, 3, err);
}

/* ---- regexp_extract, regexp_extract_all ------------------------------- */

static int group_index_error(sl_err *err, const sl_expr *e, size_t ngroups,
			     int64_t idx)
{
	return sl_runtime_error(
		err, "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX",
		"The value of parameter(s) `idx` in `%s` is invalid: Expects "
		"group index between 0 and %zu, but got %lld. SQLSTATE: 22023",
		e->fn->name, ngroups, (long long)idx);
}

static sl_value group_text(const char *s, const regmatch_t *m, int64_t g)
{
	if (m[g].rm_so < 0)
		return sl_v_str("", 0);
	return sl_v_str(s + m[g].rm_so, (uint32_t)(m[g].rm_eo - m[g].rm_so));
}

static int ev_regexp_extract(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, p);
	int64_t idx = 1;
	if (e->nargs > 2) {
		FN_ARG_OR_NULL(2, ix);
		idx = ix.v.i32;
	}
	bool all = e->fn->name[14] == '_';
	rx_use u;
	int rc = rx_begin(e, &p, a, &u, err);
	if (rc)
		return rc;
	size_t ng = u.re->re_nsub;
	if (idx < 0 || (size_t)idx > ng || idx >= MAX_GROUPS) {
		rx_done(&u);
		return group_index_error(err, e, ng, idx);
	}
	regmatch_t m[MAX_GROUPS];
	if (!all) {
		*out = rx_find(u.re, s.v.str, s.len, 0, m)
			       ? group_text(s.v.str, m, idx)
			       : sl_v_str("", 0);
		rx_done(&u);
		return 0;
	}
	sl_buf items;
	sl_buf_init(&items, a, 8 * sizeof(sl_value));
	size_t at = 0, n = 0;
	while (at <= s.len && rx_find(u.re, s.v.str, s.len, at, m)) {
		sl_value v = group_text(s.v.str, m, idx);
		sl_buf_put(&items, &v, sizeof(v));
		n++;
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		if (eo == so) {
			if (so >= s.len)
				break;
			at = step_char(s.v.str, s.len, so);
		} else {
			at = eo;
		}
		if (items.len > SL_FN_MAX_OUT) {
			rx_done(&u);
			return sl_fn_too_big(err, e);
		}
	}
	rx_done(&u);
	out->type = SL_ARRAY;
	out->len = (uint32_t)n;
	out->v.arr = (const sl_value *)items.p;
	return 0;
}

static int bind_regexp_extract(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool all = e->fn->name[14] == '_';
	e->type = all ? sl_fn_array_of(cx, &sl_dtype_string) : &sl_dtype_string;
	e->eval = ev_regexp_extract;
	if (e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", 1");
	return bind_regexp(cx, e, 2, err);
}

/* ---- regexp_count, regexp_substr, regexp_instr ------------------------ */

enum { RX_COUNT, RX_SUBSTR, RX_INSTR };

static int ev_regexp_scan(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, s);
	FN_ARG_OR_NULL(1, p);
	char k = e->fn->name[7]; /* regexp_count, _substr, _instr */
	int how = k == 'c' ? RX_COUNT : k == 's' ? RX_SUBSTR : RX_INSTR;
	int64_t g = 0;
	if (e->nargs > 2) {
		FN_ARG_OR_NULL(2, ix);
		g = ix.v.i32;
	}
	rx_use u;
	int rc = rx_begin(e, &p, a, &u, err);
	if (rc)
		return rc;
	regmatch_t m[MAX_GROUPS];
	if (g < 0 || (size_t)g > u.re->re_nsub || g >= MAX_GROUPS) {
		size_t ng = u.re->re_nsub;
		rx_done(&u);
		return group_index_error(err, e, ng, g);
	}
	if (how != RX_COUNT) {
		bool hit = rx_find(u.re, s.v.str, s.len, 0, m) &&
			   m[g].rm_so >= 0;
		rx_done(&u);
		if (how == RX_SUBSTR)
			*out = hit ? group_text(s.v.str, m, 0) : sl_v_null();
		else
			*out = sl_v_int(
				hit ? (int32_t)sl_utf8_count(
					      s.v.str, (size_t)m[g].rm_so) +
					      1
				    : 0);
		return 0;
	}
	int32_t n = 0;
	size_t at = 0;
	while (at <= s.len && rx_find(u.re, s.v.str, s.len, at, m)) {
		n++;
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		if (eo == so) {
			if (so >= s.len)
				break;
			at = step_char(s.v.str, s.len, so);
		} else {
			at = eo;
		}
	}
	rx_done(&u);
	*out = sl_v_int(n);
	return 0;
}

static int bind_regexp_scan(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	char k = e->fn->name[7];
	e->type = k == 's' ? &sl_dtype_string : &sl_dtype_int;
	e->eval = ev_regexp_scan;
	if (k == 'i' && e->nargs == 2)
		e->sql = sl_fn_append_sql(cx, e->sql, ", 0");
	return bind_regexp(cx, e, 2, err);
}

/* regexp_like is RLIKE, named REGEXP_LIKE(...) */
static int bind_regexp_like(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_bind_rlike(cx, e, err);
	if (!rc)
		sl_fn_rename(cx, e, NULL, NULL);
	return rc;
}

/* ---- the group -------------------------------------------------------- */

const sl_func sl_funcs_regexp[] = {
	{ "regexp_count", 2, 2, 0, bind_regexp_scan, "regexp_count(str, regexp)",
	  "The number of matches of the regex in str.",
	  "regexp_count('Steven Jones and Stephen Smith', 'Ste(v|ph)en')" },
	{ "regexp_extract", 2, 3, 0, bind_regexp_extract,
	  "regexp_extract(str, regexp[, idx])",
	  "Group idx (default 1; 0: the whole match) of the first match, '' "
	  "when none.",
	  "regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 1)" },
	{ "regexp_extract_all", 2, 3, 0, bind_regexp_extract,
	  "regexp_extract_all(str, regexp[, idx])",
	  "Group idx (default 1) of every match, in an array.",
	  "regexp_extract_all('100-200, 300-400', '(\\\\d+)-(\\\\d+)', 1)" },
	{ "regexp_instr", 2, 3, 0, bind_regexp_scan,
	  "regexp_instr(str, regexp[, idx])",
	  "The 1-based position of the first match, 0 when none.",
	  "regexp_instr('user@spark.apache.org', '@[^.]*')" },
	{ "regexp_like", 2, 2, 0, bind_regexp_like, "regexp_like(str, regexp)",
	  "Whether str matches the Java regex (RLIKE).",
	  "regexp_like('Spark', 'S.*k')" },
	{ "regexp_replace", 3, 4, 0, bind_regexp_replace,
	  "regexp_replace(str, regexp, rep[, position])",
	  "str with every match from character position (default 1) "
	  "replaced by rep ($n: group n).",
	  "regexp_replace('100-200', '(\\\\d+)', 'num')" },
	{ "regexp_substr", 2, 2, 0, bind_regexp_scan,
	  "regexp_substr(str, regexp)",
	  "The first match of the regex in str, null when none.",
	  "regexp_substr('Steven Jones and Stephen Smith', 'Ste(v|ph)en')" },
};
const size_t sl_funcs_regexp_n = SL_NFUNCS(sl_funcs_regexp);
