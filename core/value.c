/* core/value.c - data types, schemas and values: the vocabulary every other
 * room speaks.
 *
 * Types print and parse with Spark's names (so schemas read the same as in
 * Spark's printSchema and DDL), and values render exactly as Spark's
 * CAST(x AS STRING) and show() print them, since sinks and tests compare
 * sluice's output with Spark's. Arenas and batches live in arena.c and
 * batch.c. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "core/decimal.h"
#include "core/interval.h"
#include "core/map.h"
#include "core/value_text.h"
#include "sluice.h"

/* ---- data types ------------------------------------------------------- */

const sl_dtype sl_dtype_null = { .id = SL_NULL };
const sl_dtype sl_dtype_bool = { .id = SL_BOOL };
const sl_dtype sl_dtype_int = { .id = SL_INT };
const sl_dtype sl_dtype_long = { .id = SL_LONG };
const sl_dtype sl_dtype_double = { .id = SL_DOUBLE };
const sl_dtype sl_dtype_string = { .id = SL_STRING };
const sl_dtype sl_dtype_binary = { .id = SL_BINARY };
const sl_dtype sl_dtype_timestamp = { .id = SL_TIMESTAMP };
const sl_dtype sl_dtype_date = { .id = SL_DATE };
const sl_dtype sl_dtype_timestamp_ntz = { .id = SL_TIMESTAMP_NTZ };
const sl_dtype sl_dtype_byte = { .id = SL_BYTE };
const sl_dtype sl_dtype_short = { .id = SL_SHORT };
const sl_dtype sl_dtype_float = { .id = SL_FLOAT };

/* Every DECIMAL(p,s), p 0..38 and s 0..39 (rows of 40 so the initialiser
 * is regular; only 1 <= p <= 38, s <= p are handed out). */
#define DEC1(p, s) { .id = SL_DECIMAL, .precision = (p), .scale = (s) }
#define DEC10(p, s)                                                           \
	DEC1(p, s + 0), DEC1(p, s + 1), DEC1(p, s + 2), DEC1(p, s + 3),       \
		DEC1(p, s + 4), DEC1(p, s + 5), DEC1(p, s + 6),               \
		DEC1(p, s + 7), DEC1(p, s + 8), DEC1(p, s + 9)
#define DECROW(p) DEC10(p, 0), DEC10(p, 10), DEC10(p, 20), DEC10(p, 30)
#define DECROW10(p)                                                           \
	DECROW(p + 0), DECROW(p + 1), DECROW(p + 2), DECROW(p + 3),           \
		DECROW(p + 4), DECROW(p + 5), DECROW(p + 6), DECROW(p + 7),   \
		DECROW(p + 8), DECROW(p + 9)
static const sl_dtype dec_types[39 * 40] = {
	DECROW10(0), DECROW10(10), DECROW10(20), DECROW(30), DECROW(31),
	DECROW(32),  DECROW(33),   DECROW(34),   DECROW(35), DECROW(36),
	DECROW(37),  DECROW(38),
};

const sl_dtype *sl_dtype_decimal(int precision, int scale)
{
	if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
		return NULL;
	return &dec_types[precision * 40 + scale];
}

const sl_dtype *sl_dtype_prim(sl_type id)
{
	switch ((int)id) {
	case SL_NULL: return &sl_dtype_null;
	case SL_BOOL: return &sl_dtype_bool;
	case SL_INT: return &sl_dtype_int;
	case SL_LONG: return &sl_dtype_long;
	case SL_DOUBLE: return &sl_dtype_double;
	case SL_STRING: return &sl_dtype_string;
	case SL_BINARY: return &sl_dtype_binary;
	case SL_TIMESTAMP: return &sl_dtype_timestamp;
	case SL_TIMESTAMP_NTZ: return &sl_dtype_timestamp_ntz;
	case SL_DATE: return &sl_dtype_date;
	case SL_BYTE: return &sl_dtype_byte;
	case SL_SHORT: return &sl_dtype_short;
	case SL_FLOAT: return &sl_dtype_float;
	case SL_DECIMAL: return sl_dtype_decimal(10, 0);
	default: return NULL;
	}
}

static const char *prim_name(sl_type id)
{
	switch ((int)id) {
	case SL_NULL: return "void";
	case SL_BOOL: return "boolean";
	case SL_INT: return "int";
	case SL_LONG: return "bigint";
	case SL_DOUBLE: return "double";
	case SL_STRING: return "string";
	case SL_BINARY: return "binary";
	case SL_TIMESTAMP: return "timestamp";
	case SL_TIMESTAMP_NTZ: return "timestamp_ntz";
	case SL_DATE: return "date";
	case SL_BYTE: return "tinyint";
	case SL_SHORT: return "smallint";
	case SL_FLOAT: return "float";
	default: return "?";
	}
}

static void put_dtype_name(sl_buf *w, const sl_dtype *t)
{
	if (t->id == SL_ARRAY) {
		sl_buf_puts(w, "array<");
		put_dtype_name(w, t->elem);
		sl_buf_putc(w, '>');
	} else if (t->id == SL_STRUCT) {
		sl_buf_puts(w, "struct<");
		for (uint32_t i = 0; i < t->fields->n; i++) {
			if (i)
				sl_buf_putc(w, ',');
			sl_buf_puts(w, t->fields->fields[i].name);
			sl_buf_putc(w, ':');
			put_dtype_name(w, t->fields->fields[i].type);
		}
		sl_buf_putc(w, '>');
	} else if (t->id == SL_MAP) {
		sl_buf_puts(w, "map<");
		put_dtype_name(w, t->key);
		sl_buf_putc(w, ',');
		put_dtype_name(w, t->elem);
		sl_buf_putc(w, '>');
	} else if (t->id == SL_DECIMAL) {
		sl_buf_printf(w, "decimal(%d,%d)", t->precision, t->scale);
	} else if (t->id == SL_INTERVAL_YM || t->id == SL_INTERVAL_DT) {
		sl_interval_type_name(w, t, false);
	} else {
		sl_buf_puts(w, prim_name(t->id));
	}
}

size_t sl_dtype_name(const sl_dtype *t, char *buf, size_t n)
{
	sl_buf w;
	sl_buf_fixed(&w, buf, n);
	put_dtype_name(&w, t);
	sl_buf_cstr(&w);
	return w.len;
}

bool sl_dtype_equal(const sl_dtype *a, const sl_dtype *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->id != b->id)
		return false;
	if (a->id == SL_DECIMAL || a->id == SL_INTERVAL_YM ||
	    a->id == SL_INTERVAL_DT)
		return a->precision == b->precision && a->scale == b->scale;
	if (a->id == SL_ARRAY)
		return sl_dtype_equal(a->elem, b->elem);
	if (a->id == SL_MAP)
		return sl_dtype_equal(a->key, b->key) &&
		       sl_dtype_equal(a->elem, b->elem);
	if (a->id != SL_STRUCT)
		return true;
	if (a->fields->n != b->fields->n)
		return false;
	for (uint32_t i = 0; i < a->fields->n; i++) {
		const sl_field *x = &a->fields->fields[i];
		const sl_field *y = &b->fields->fields[i];
		if (strcmp(x->name, y->name) ||
		    !sl_dtype_equal(x->type, y->type))
			return false;
	}
	return true;
}

/* ---- type and DDL parsing --------------------------------------------- */

/* A cursor over DDL text; errors keep the offset they happened at. */
typedef struct ddl {
	const char *s;
	size_t n, i;
	sl_arena *a;
	const char *why;
	size_t errat;
} ddl;

static void ddl_ws(ddl *p)
{
	while (p->i < p->n && isspace((unsigned char)p->s[p->i]))
		p->i++;
}

static bool is_word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* A bare word at the cursor: its length (0 if none). */
static size_t ddl_word(ddl *p)
{
	size_t j = p->i;
	if (j < p->n && is_word_start((unsigned char)p->s[j]))
		while (j < p->n && is_word_char((unsigned char)p->s[j]))
			j++;
	return j - p->i;
}

static bool ddl_kw(ddl *p, const char *kw)
{
	size_t w = ddl_word(p), k = strlen(kw);
	if (w != k || strncasecmp(p->s + p->i, kw, k))
		return false;
	p->i += k;
	return true;
}

static void *ddl_fail(ddl *p, const char *why)
{
	if (!p->why) {
		p->why = why;
		p->errat = p->i;
	}
	return NULL;
}

/* A field name: a bare word or a backticked name (`` doubles a tick). */
static char *ddl_name(ddl *p)
{
	if (p->i < p->n && p->s[p->i] == '`') {
		size_t j = p->i + 1;
		sl_buf w;
		sl_buf_init(&w, p->a, 16);
		for (;;) {
			if (j >= p->n)
				return ddl_fail(p, "unterminated `name`");
			if (p->s[j] == '`') {
				if (j + 1 < p->n && p->s[j + 1] == '`') {
					sl_buf_putc(&w, '`');
					j += 2;
					continue;
				}
				break;
			}
			sl_buf_putc(&w, p->s[j++]);
		}
		p->i = j + 1;
		return (char *)sl_buf_cstr(&w);
	}
	size_t w = ddl_word(p);
	if (!w)
		return ddl_fail(p, "expected a field name");
	char *name = sl_arena_strndup(p->a, p->s + p->i, w);
	p->i += w;
	return name;
}

static const sl_dtype *ddl_type(ddl *p);

/* Optional trailing attributes of a field: NOT NULL, COMMENT 'text'. */
static bool ddl_field_attrs(ddl *p, bool *nullable)
{
	*nullable = true;
	for (;;) {
		ddl_ws(p);
		size_t save = p->i;
		if (ddl_kw(p, "NOT")) {
			ddl_ws(p);
			if (!ddl_kw(p, "NULL")) {
				ddl_fail(p, "expected NULL after NOT");
				return false;
			}
			*nullable = false;
			continue;
		}
		if (ddl_kw(p, "COMMENT")) {
			ddl_ws(p);
			char q = p->i < p->n ? p->s[p->i] : 0;
			if (q != '\'' && q != '"') {
				ddl_fail(p, "expected a quoted comment");
				return false;
			}
			size_t j = p->i + 1;
			while (j < p->n && p->s[j] != q)
				j += p->s[j] == '\\' ? 2 : 1;
			if (j >= p->n) {
				ddl_fail(p, "unterminated comment");
				return false;
			}
			p->i = j + 1;
			continue;
		}
		p->i = save;
		return true;
	}
}

/* Fields "name[:] type, ..." up to (not including) `end` (0: end of
 * text) into a new schema. */
static sl_schema *ddl_fields(ddl *p, char end)
{
	uint32_t n = 0, cap = 8;
	sl_field *f = sl_arena_alloc(p->a, cap * sizeof(*f));
	ddl_ws(p);
	if (end && p->i < p->n && p->s[p->i] == end)
		goto done;
	for (;;) {
		ddl_ws(p);
		char *name = ddl_name(p);
		if (!name)
			return NULL;
		ddl_ws(p);
		if (p->i < p->n && p->s[p->i] == ':')
			p->i++;
		ddl_ws(p);
		const sl_dtype *t = ddl_type(p);
		if (!t)
			return NULL;
		bool nullable;
		if (!ddl_field_attrs(p, &nullable))
			return NULL;
		if (n == cap) {
			sl_field *g =
				sl_arena_alloc(p->a, 2 * cap * sizeof(*g));
			memcpy(g, f, cap * sizeof(*g));
			f = g;
			cap *= 2;
		}
		f[n].name = name;
		f[n].type = t;
		f[n].nullable = nullable;
		n++;
		ddl_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (end ? (p->i < p->n && p->s[p->i] == end) : p->i >= p->n)
			break;
		return ddl_fail(p, end ? "expected ',' or '>'"
				       : "expected ',' or end of schema");
	}
done:;
	sl_schema *s = sl_arena_alloc(p->a, sizeof(*s));
	s->n = n;
	s->fields = f;
	return s;
}

static const struct {
	const char *name;
	sl_type id;
} prim_names[] = {
	{ "string", SL_STRING },
	{ "int", SL_INT },
	{ "integer", SL_INT },
	{ "bigint", SL_LONG },
	{ "long", SL_LONG },
	{ "double", SL_DOUBLE },
	{ "float", SL_FLOAT },
	{ "real", SL_FLOAT },
	{ "boolean", SL_BOOL },
	{ "bool", SL_BOOL },
	{ "timestamp", SL_TIMESTAMP },
	{ "timestamp_ltz", SL_TIMESTAMP },
	{ "timestamp_ntz", SL_TIMESTAMP_NTZ },
	{ "date", SL_DATE },
	{ "binary", SL_BINARY },
	{ "tinyint", SL_BYTE },
	{ "byte", SL_BYTE },
	{ "smallint", SL_SHORT },
	{ "short", SL_SHORT },
};

/* DECIMAL [(p [, s])] after its word (w bytes at the cursor). */
static const sl_dtype *ddl_decimal(ddl *p, size_t w)
{
	size_t start = p->i;
	p->i += w;
	size_t save = p->i;
	ddl_ws(p);
	if (p->i >= p->n || p->s[p->i] != '(') {
		p->i = save;
		return sl_dtype_decimal(10, 0);
	}
	size_t j = p->i + 1;
	while (j < p->n && p->s[j] != ')')
		j++;
	if (j >= p->n)
		return ddl_fail(p, "expected ')' after DECIMAL(p, s");
	sl_decimal_type t;
	int rc = sl_decimal_type_parse(p->s + start, j + 1 - start, &t);
	if (rc == SL_EINVAL)
		return ddl_fail(p, "[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] "
				   "DECIMAL takes a precision of 1 to 38 and "
				   "a scale of 0 to the precision");
	if (rc)
		return ddl_fail(p, "expected DECIMAL(precision, scale)");
	p->i = j + 1;
	return sl_dtype_decimal(t.precision, t.scale);
}

/* INTERVAL field [TO field] after its word (w bytes at the cursor). */
static const sl_dtype *ddl_interval(ddl *p, size_t w)
{
	p->i += w;
	ddl_ws(p);
	sl_type id, id2;
	int from, to;
	size_t fw = ddl_word(p);
	if (!sl_interval_field_of(p->s + p->i, fw, &id, &from))
		return ddl_fail(p, "expected an interval field (YEAR, MONTH, "
				   "DAY, HOUR, MINUTE or SECOND)");
	p->i += fw;
	to = from;
	size_t save = p->i;
	ddl_ws(p);
	if (ddl_kw(p, "to")) {
		ddl_ws(p);
		fw = ddl_word(p);
		if (!sl_interval_field_of(p->s + p->i, fw, &id2, &to) ||
		    id2 != id || to <= from)
			return ddl_fail(p, "expected a later field of the same "
					   "interval after TO");
		p->i += fw;
	} else {
		p->i = save;
	}
	return sl_dtype_interval(id, from, to);
}

static const sl_dtype *ddl_type(ddl *p)
{
	ddl_ws(p);
	size_t start = p->i, w = ddl_word(p);
	if (!w)
		return ddl_fail(p, "expected a type");
	for (size_t k = 0; k < sizeof(prim_names) / sizeof(prim_names[0]);
	     k++) {
		if (strlen(prim_names[k].name) == w &&
		    !strncasecmp(p->s + start, prim_names[k].name, w)) {
			p->i += w;
			return sl_dtype_prim(prim_names[k].id);
		}
	}
	if (w == 8 && !strncasecmp(p->s + start, "interval", 8))
		return ddl_interval(p, w);
	if ((w == 7 && !strncasecmp(p->s + start, "decimal", 7)) ||
	    (w == 7 && !strncasecmp(p->s + start, "numeric", 7)) ||
	    (w == 3 && !strncasecmp(p->s + start, "dec", 3)))
		return ddl_decimal(p, w);
	bool arr = w == 5 && !strncasecmp(p->s + start, "array", 5);
	bool st = w == 6 && !strncasecmp(p->s + start, "struct", 6);
	bool map = w == 3 && !strncasecmp(p->s + start, "map", 3);
	if (!arr && !st && !map)
		return ddl_fail(p, "unknown type");
	p->i += w;
	ddl_ws(p);
	if (p->i >= p->n || p->s[p->i] != '<')
		return ddl_fail(p, "expected '<'");
	p->i++;
	sl_dtype *t = sl_arena_calloc(p->a, sizeof(*t));
	if (arr || map) {
		t->id = arr ? SL_ARRAY : SL_MAP;
		t->elem = ddl_type(p);
		if (!t->elem)
			return NULL;
		if (map) { /* MAP<key, value> */
			ddl_ws(p);
			if (p->i >= p->n || p->s[p->i] != ',')
				return ddl_fail(p, "expected ','");
			p->i++;
			t->key = t->elem;
			if (!(t->elem = ddl_type(p)))
				return NULL;
		}
	} else {
		t->id = SL_STRUCT;
		t->fields = ddl_fields(p, '>');
		if (!t->fields)
			return NULL;
	}
	ddl_ws(p);
	if (p->i >= p->n || p->s[p->i] != '>')
		return ddl_fail(p, "expected '>'");
	p->i++;
	return t;
}

const sl_dtype *sl_dtype_parse_prefix(const char *text, size_t len, sl_arena *a,
				      size_t *used, const char **why,
				      size_t *errat)
{
	ddl p = { .s = text, .n = len, .a = a };
	const sl_dtype *t = ddl_type(&p);
	if (!t) {
		*why = p.why;
		*errat = p.errat;
		return NULL;
	}
	*used = p.i;
	return t;
}

const sl_dtype *sl_dtype_parse(const char *text, size_t len, sl_arena *a)
{
	ddl p = { .s = text, .n = len, .a = a };
	const sl_dtype *t = ddl_type(&p);
	ddl_ws(&p);
	return t && p.i == p.n ? t : NULL;
}

int sl_schema_find(const sl_schema *s, const char *name, size_t len)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const char *f = s->fields[i].name;
		if (!strncasecmp(f, name, len) && f[len] == 0)
			return (int)i;
	}
	return -1;
}

sl_schema *sl_schema_new(sl_arena *a, uint32_t n)
{
	sl_schema *s = sl_arena_calloc(a, sizeof(*s));
	s->n = n;
	s->fields = sl_arena_calloc(a, (n ? n : 1) * sizeof(sl_field));
	return s;
}

sl_schema *sl_schema_parse(const char *text, sl_arena *a, sl_err *err)
{
	ddl p = { .s = text, .n = strlen(text), .a = a };
	sl_schema *s = NULL;
	ddl_ws(&p);
	if (p.i == p.n) {
		ddl_fail(&p, "empty schema");
	} else {
		/* Spark's fromDDL also takes one struct<...> type. */
		size_t save = p.i;
		if (ddl_kw(&p, "struct")) {
			ddl_ws(&p);
			if (p.i < p.n && p.s[p.i] == '<') {
				p.i = save;
				const sl_dtype *t = ddl_type(&p);
				ddl_ws(&p);
				if (t && p.i == p.n)
					return (sl_schema *)t->fields;
				if (t)
					ddl_fail(&p, "expected end of schema");
				goto fail;
			}
		}
		p.i = save;
		s = ddl_fields(&p, 0);
	}
	if (s)
		return s;
fail:;
	size_t at = p.errat;
	int pos = sl_char_pos(text, at);
	int near = 0;
	while (at + near < p.n && near < 20 &&
	       !isspace((unsigned char)text[at + near]) &&
	       text[at + near] != ',')
		near++;
	if (at >= p.n)
		sl_err_set(err, SL_ESYNTAX,
			   "invalid schema at position %d near end of "
			   "input: %s",
			   pos, p.why);
	else
		sl_err_set(err, SL_ESYNTAX,
			   "invalid schema at position %d near '%.*s': %s", pos,
			   near ? near : 1, text + at, p.why);
	if (err)
		err->pos = pos;
	return NULL;
}

/* ---- values: copy and compare ----------------------------------------- */

sl_value sl_value_copy(const sl_value *v, sl_arena *a)
{
	sl_value c = *v;
	switch (v->type) {
	case SL_STRING:
	case SL_BINARY: {
		char *p = sl_arena_alloc(a, v->len ? v->len : 1);
		if (v->len)
			memcpy(p, v->v.str, v->len);
		c.v.str = p;
		break;
	}
	case SL_ARRAY:
	case SL_MAP:
	case SL_STRUCT: {
		uint32_t n = v->type == SL_MAP ? 2 * v->len : v->len;
		sl_value *e = sl_arena_alloc(a, (n ? n : 1) * sizeof(sl_value));
		for (uint32_t i = 0; i < n; i++)
			e[i] = sl_value_copy(&v->v.arr[i], a);
		c.v.arr = e;
		break;
	}
	case SL_DECIMAL:
		if (v->pad[2] & SL_DEC_WIDE) {
			sl_dec_u *w = sl_arena_alloc(a, sizeof(*w));
			*w = *v->v.dec;
			c.v.dec = w;
		}
		break;
	default: break;
	}
	return c;
}

/* Spark orders NaN above every other double and equal to itself. */
static int dcmp(double x, double y)
{
	if (x < y)
		return -1;
	if (x > y)
		return 1;
	if (x == y)
		return 0;
	return isnan(x) ? (isnan(y) ? 0 : 1) : -1;
}

static int bytes_cmp(const void *x, uint32_t nx, const void *y, uint32_t ny)
{
	int c = nx && ny ? memcmp(x, y, nx < ny ? nx : ny) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

static bool is_num(uint8_t t)
{
	return t == SL_INT || t == SL_LONG || t == SL_DOUBLE ||
	       t == SL_FLOAT || t == SL_DECIMAL;
}

static sl_decimal_type dec_type_of(const sl_value *v)
{
	return sl_decimal_type_make(v->pad[0], v->pad[1]);
}

/* A number as a double, for comparisons across types. */
static double num_double(const sl_value *v)
{
	switch (v->type) {
	case SL_DOUBLE: return v->v.f64;
	case SL_FLOAT: return v->v.f32;
	case SL_LONG: return (double)v->v.i64;
	case SL_DECIMAL:
		return sl_decimal_to_double(sl_v_dec_get(v), dec_type_of(v));
	default: return v->v.i32;
	}
}

int sl_value_cmp(const sl_value *a, const sl_value *b)
{
	/* Nulls (only possible inside arrays and structs) sort first, as
	 * in Spark's ascending order. */
	if (a->type == SL_NULL || b->type == SL_NULL)
		return (a->type != SL_NULL) - (b->type != SL_NULL);
	if (is_num(a->type) && is_num(b->type)) {
		if (a->type == SL_DOUBLE || b->type == SL_DOUBLE ||
		    a->type == SL_FLOAT || b->type == SL_FLOAT)
			return dcmp(num_double(a), num_double(b));
		if (a->type == SL_DECIMAL || b->type == SL_DECIMAL) {
			sl_decimal_type ta = sl_decimal_type_make(20, 0),
					tb = ta;
			sl_decimal x, y;
			if (a->type == SL_DECIMAL) {
				x = sl_v_dec_get(a);
				ta = dec_type_of(a);
			} else {
				x = a->type == SL_LONG ? a->v.i64 : a->v.i32;
			}
			if (b->type == SL_DECIMAL) {
				y = sl_v_dec_get(b);
				tb = dec_type_of(b);
			} else {
				y = b->type == SL_LONG ? b->v.i64 : b->v.i32;
			}
			return sl_decimal_cmp(x, ta, y, tb);
		}
		int64_t x = a->type == SL_LONG ? a->v.i64 : a->v.i32;
		int64_t y = b->type == SL_LONG ? b->v.i64 : b->v.i32;
		return (x > y) - (x < y);
	}
	switch (a->type) {
	case SL_BOOL: return (int)a->v.b - (int)b->v.b;
	case SL_DATE: return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ:
	case SL_INTERVAL_DT: return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
	case SL_INTERVAL_YM: return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
	case SL_STRING:
	case SL_BINARY: return bytes_cmp(a->v.str, a->len, b->v.str, b->len);
	case SL_ARRAY:
	case SL_STRUCT: {
		uint32_t n = a->len < b->len ? a->len : b->len;
		for (uint32_t i = 0; i < n; i++) {
			int c = sl_value_cmp(&a->v.arr[i], &b->v.arr[i]);
			if (c)
				return c;
		}
		return (a->len > b->len) - (a->len < b->len);
	}
	default: return 0;
	}
}

/* ---- calendar: proleptic Gregorian, as Spark 3 ------------------------ */

int64_t sl_days_from_civil(int64_t y, int m, int d)
{
	/* Count from 0000-03-01 so the leap day ends the year; eras are
	 * 400-year cycles of 146097 days. */
	y -= m <= 2;
	int64_t era = sl_floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = sl_floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int sl_days_in_month(int64_t y, int m)
{
	static const int dm[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dm[m - 1];
}

static char *put2(char *o, int v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
	return o + 2;
}

/* yyyy-MM-dd into o; Java's yyyy: four digits, a sign past 9999 */
static char *put_date(char *o, int32_t days)
{
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		o = put2(o, (int)(y / 100));
		o = put2(o, (int)(y % 100));
	} else {
		char num[24];
		size_t l = sl_fmt_long(y < 0 ? -y : y, num);
		*o++ = y < 0 ? '-' : '+';
		for (size_t k = l; k < 4; k++)
			*o++ = '0';
		memcpy(o, num, l);
		o += l;
	}
	*o++ = '-';
	o = put2(o, m);
	*o++ = '-';
	return put2(o, d);
}

void sl_fmt_date(sl_buf *w, int32_t days)
{
	char buf[40];
	sl_buf_put(w, buf, (size_t)(put_date(buf, days) - buf));
}

void sl_fmt_ts(sl_buf *w, int64_t us)
{
	char buf[64], *o;
	int64_t days = sl_floor_div(us, SL_US_PER_DAY);
	/* not us - days * SL_US_PER_DAY: that passes a long at INT64_MIN */
	int64_t t = us % SL_US_PER_DAY;
	if (t < 0)
		t += SL_US_PER_DAY;
	int sec = (int)(t / 1000000), frac = (int)(t % 1000000);
	o = put_date(buf, (int32_t)days);
	*o++ = ' ';
	o = put2(o, sec / 3600);
	*o++ = ':';
	o = put2(o, sec / 60 % 60);
	*o++ = ':';
	o = put2(o, sec % 60);
	if (frac) {
		/* microseconds, trailing zeros dropped */
		*o++ = '.';
		for (int div = 100000; frac; div /= 10) {
			*o++ = (char)('0' + frac / div);
			frac %= div;
		}
	}
	sl_buf_put(w, buf, (size_t)(o - buf));
}

/* ---- rendering -------------------------------------------------------- */

void sl_value_render_buf(sl_buf *w, const sl_value *v)
{
	char tmp[40];
	switch (v->type) {
	case SL_NULL: sl_buf_put(w, "null", 4); break;
	case SL_BOOL: sl_buf_puts(w, v->v.b ? "true" : "false"); break;
	case SL_INT: sl_buf_put(w, tmp, sl_fmt_long(v->v.i32, tmp)); break;
	case SL_LONG: sl_buf_put(w, tmp, sl_fmt_long(v->v.i64, tmp)); break;
	case SL_DOUBLE: sl_buf_put(w, tmp, sl_fmt_double(v->v.f64, tmp)); break;
	case SL_FLOAT: sl_buf_put(w, tmp, sl_fmt_float(v->v.f32, tmp)); break;
	case SL_DECIMAL: {
		char dt[SL_DECIMAL_TEXT_MAX];
		sl_buf_put(w, dt,
			   sl_decimal_format(sl_v_dec_get(v), dec_type_of(v),
					     dt, sizeof(dt)));
		break;
	}
	case SL_STRING: sl_buf_put(w, v->v.str, v->len); break;
	case SL_BINARY:
		sl_buf_putc(w, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			static const char hx[] = "0123456789ABCDEF";
			char b[3] = { ' ', hx[v->v.bin[i] >> 4],
				      hx[v->v.bin[i] & 15] };
			sl_buf_put(w, i ? b : b + 1, i ? 3 : 2);
		}
		sl_buf_putc(w, ']');
		break;
	case SL_TIMESTAMP:
	case SL_TIMESTAMP_NTZ: sl_fmt_ts(w, v->v.i64); break;
	case SL_DATE: sl_fmt_date(w, v->v.i32); break;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT: sl_interval_render(w, v); break;
	case SL_ARRAY:
	case SL_STRUCT:
		sl_buf_putc(w, v->type == SL_ARRAY ? '[' : '{');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				sl_buf_put(w, ", ", 2);
			sl_value_render_buf(w, &v->v.arr[i]);
		}
		sl_buf_putc(w, v->type == SL_ARRAY ? ']' : '}');
		break;
	case SL_MAP: sl_map_render_buf(w, v); break;
	default: sl_buf_puts(w, "?");
	}
}

void sl_fmt_decimal_java(sl_buf *w, const sl_value *v)
{
	char dt[SL_DECIMAL_TEXT_MAX];
	sl_buf_put(w, dt,
		   sl_decimal_format_java(sl_v_dec_get(v), dec_type_of(v), dt,
					  sizeof(dt)));
}

int sl_v_dec_parse(const char *s, size_t n, const sl_dtype *t, sl_arena *a,
		   sl_value *out)
{
	sl_decimal u;
	int rc = sl_decimal_parse(
		s, n, sl_decimal_type_make(t->precision, t->scale), &u);
	if (!rc)
		*out = sl_v_dec(u, t->precision, t->scale, a);
	return rc;
}

size_t sl_value_render(const sl_value *v, char *buf, size_t n)
{
	sl_buf w;
	sl_buf_fixed(&w, buf, n);
	sl_value_render_buf(&w, v);
	sl_buf_cstr(&w);
	return w.len;
}

/* ---- UTF-8 ------------------------------------------------------------ */

size_t sl_utf8_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

int sl_utf8_put(char *dst, uint32_t cp)
{
	unsigned char *o = (unsigned char *)dst;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int sl_char_pos(const char *text, size_t off)
{
	return (int)sl_utf8_count(text, off) + 1;
}
