/* expr/fn_json.c - get_json_object, json_array_length and
 * json_object_keys (from_json and to_json are expr/json.c's).
 *
 * They scan the JSON text in place, without building a tree: the root
 * value is checked to be well-formed (Spark reads every enclosing object
 * to its end, so a malformed one gives null), then a path step skips the
 * members or elements before the one it wants. The value found is given as
 * Spark's Jackson writes it: a string unescaped, a number as Java prints
 * it (1.50 -> 1.5, 1e2 -> 100.0), an object or array as compact JSON.
 * Paths: $, .name, ['name'], [n] and [*] (matches gathered into an
 * array as Spark does, one match unwrapped; .* finds nothing, as in
 * Spark 4). Nesting is limited to SL_JSON_MAX_DEPTH. */
#include <stdio.h>
#include <stdlib.h>

#include "expr/fn.h"

#define SL_JSON_MAX_DEPTH 512

typedef struct js {
	const char *s;
	size_t n, i;
	int depth;
} js;

/* Jackson's escaping of a string's body (no quotes) */
static void json_escape(sl_buf *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': sl_buf_puts(w, "\\\""); break;
		case '\\': sl_buf_puts(w, "\\\\"); break;
		case '\n': sl_buf_puts(w, "\\n"); break;
		case '\r': sl_buf_puts(w, "\\r"); break;
		case '\t': sl_buf_puts(w, "\\t"); break;
		case '\b': sl_buf_puts(w, "\\b"); break;
		case '\f': sl_buf_puts(w, "\\f"); break;
		default:
			if (c < 0x20)
				sl_buf_printf(w, "\\u%04X", c);
			else
				sl_buf_putc(w, (char)c);
		}
	}
}

static void ws(js *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static bool lit(js *j, const char *w)
{
	size_t k = strlen(w);
	if (j->n - j->i < k || memcmp(j->s + j->i, w, k))
		return false;
	j->i += k;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A string at j->i (its opening quote); its unescaped text to b (when
 * given). false if malformed. */
static bool str(js *j, sl_buf *b)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->n) {
		char c = j->s[j->i++];
		if (c == '"')
			return true;
		if ((unsigned char)c < 0x20)
			return false;
		if (c != '\\') {
			if (b)
				sl_buf_putc(b, c);
			continue;
		}
		if (j->i >= j->n)
			return false;
		char x = j->s[j->i++];
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *p = strchr(from, x);
		if (x && p) {
			if (b)
				sl_buf_putc(b, to[p - from]);
			continue;
		}
		if (x != 'u' || j->n - j->i < 4)
			return false;
		int u = hex4(j->s + j->i);
		if (u < 0)
			return false;
		j->i += 4;
		uint32_t cp = (uint32_t)u;
		if (cp >= 0xd800 && cp < 0xdc00 && j->n - j->i >= 6 &&
		    j->s[j->i] == '\\' && j->s[j->i + 1] == 'u') {
			int lo = hex4(j->s + j->i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     ((uint32_t)lo - 0xdc00);
				j->i += 6;
			}
		}
		if (b) {
			char u8[4];
			sl_buf_put(b, u8, (size_t)sl_utf8_put(u8, cp));
		}
	}
	return false;
}

/* A number at j->i: its text bounds; whether it is an integer. */
static bool num(js *j, size_t *b, size_t *e, bool *integer)
{
	size_t i = j->i;
	*b = i;
	*integer = true;
	if (i < j->n && j->s[i] == '-')
		i++;
	size_t d = i;
	while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9')
		i++;
	if (i == d)
		return false;
	if (i < j->n && j->s[i] == '.') {
		*integer = false;
		size_t f = ++i;
		while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i < j->n && (j->s[i] == 'e' || j->s[i] == 'E')) {
		*integer = false;
		i++;
		if (i < j->n && (j->s[i] == '+' || j->s[i] == '-'))
			i++;
		size_t x = i;
		while (i < j->n && j->s[i] >= '0' && j->s[i] <= '9')
			i++;
		if (i == x)
			return false;
	}
	j->i = *e = i;
	return true;
}

/* A number as Jackson writes it back: integers as they are (no sign of
 * a zero), others through a double, as Java prints it. */
static void put_num(sl_buf *w, const char *s, size_t n, bool integer)
{
	if (integer) {
		if (n == 2 && s[0] == '-' && s[1] == '0')
			sl_buf_putc(w, '0');
		else
			sl_buf_put(w, s, n);
		return;
	}
	char tmp[64], out[32];
	size_t k = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;
	memcpy(tmp, s, k);
	tmp[k] = 0;
	size_t len = sl_fmt_double(strtod(tmp, NULL), out);
	sl_buf_put(w, out, len);
}

/* Reads one value; writes it compact to w when w is given. */
static bool value(js *j, sl_buf *w)
{
	ws(j);
	if (j->i >= j->n)
		return false;
	char c = j->s[j->i];
	if (c == '{' || c == '[') {
		if (++j->depth > SL_JSON_MAX_DEPTH)
			return false;
		char close = c == '{' ? '}' : ']';
		j->i++;
		if (w)
			sl_buf_putc(w, c);
		ws(j);
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
		} else {
			for (bool first = true;; first = false) {
				if (!first && w)
					sl_buf_putc(w, ',');
				ws(j);
				if (c == '{') {
					if (w)
						sl_buf_putc(w, '"');
					sl_buf kb;
					sl_buf_init(&kb, NULL, 0);
					bool ok = str(j, w ? &kb : NULL);
					if (w)
						json_escape(w, kb.s,
								     kb.len);
					sl_buf_free(&kb);
					ws(j);
					if (!ok || j->i >= j->n ||
					    j->s[j->i] != ':')
						return false;
					j->i++;
					if (w)
						sl_buf_puts(w, "\":");
				}
				if (!value(j, w))
					return false;
				ws(j);
				if (j->i < j->n && j->s[j->i] == ',') {
					j->i++;
					continue;
				}
				if (j->i < j->n && j->s[j->i] == close) {
					j->i++;
					break;
				}
				return false;
			}
		}
		if (w)
			sl_buf_putc(w, close);
		j->depth--;
		return true;
	}
	if (c == '"') {
		if (!w)
			return str(j, NULL);
		sl_buf t;
		sl_buf_init(&t, NULL, 0);
		bool ok = str(j, &t);
		sl_buf_putc(w, '"');
		json_escape(w, t.s, t.len);
		sl_buf_putc(w, '"');
		sl_buf_free(&t);
		return ok;
	}
	if (c == 't' || c == 'f' || c == 'n') {
		const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
		if (!lit(j, word))
			return false;
		if (w)
			sl_buf_puts(w, word);
		return true;
	}
	size_t b, e;
	bool integer;
	if (!num(j, &b, &e, &integer))
		return false;
	if (w)
		put_num(w, j->s + b, e - b, integer);
	return true;
}

/* ---- paths ------------------------------------------------------------ */

typedef struct step {
	const char *key; /* NULL: an index, or [*] when wild */
	size_t klen;	 /* SIZE_MAX: .*, which names nothing */
	int64_t index;
	bool wild;
} step;

typedef struct path {
	uint32_t n;
	bool wild; /* a [*] step: evaluated by eval_path */
	step st[];
} path;

/* Spark's JSON paths: $ then .name, ['name'] or [n]. NULL (why) for one
 * sluice does not take. */
static const path *parse_path(const char *p, size_t n, sl_arena *a,
			      const char **why)
{
	path *r = sl_arena_calloc(a, sizeof(*r) + (n + 1) * sizeof(step));
	*why = "it must start with $";
	if (!n || p[0] != '$')
		return NULL;
	size_t i = 1;
	while (i < n) {
		step *s = &r->st[r->n];
		if (p[i] == '.') {
			size_t b = ++i;
			while (i < n && p[i] != '.' && p[i] != '[')
				i++;
			if (i == b) {
				*why = "a '.' must be followed by a name";
				return NULL;
			}
			s->key = p + b;
			s->klen = i - b;
			/* Spark's $.* finds nothing */
			if (i - b == 1 && p[b] == '*')
				s->klen = SIZE_MAX;
		} else if (p[i] == '[' && i + 1 < n && p[i + 1] == '\'') {
			size_t b = i + 2;
			const char *q = memchr(p + b, '\'', n - b);
			if (!q || (size_t)(q - p) + 1 >= n || q[1] != ']') {
				*why = "a ['name'] step is not closed";
				return NULL;
			}
			s->key = p + b;
			s->klen = (size_t)(q - p) - b;
			i = (size_t)(q - p) + 2;
		} else if (p[i] == '[' && i + 2 < n && p[i + 1] == '*' &&
			   p[i + 2] == ']') {
			s->key = NULL;
			s->wild = r->wild = true;
			i += 3;
		} else if (p[i] == '[') {
			size_t b = ++i;
			int64_t v = 0;
			while (i < n && p[i] >= '0' && p[i] <= '9' && v < 1e12)
				v = v * 10 + (p[i++] - '0');
			if (i == b || i >= n || p[i] != ']') {
				*why = "an index must be [n] or [*]";
				return NULL;
			}
			i++;
			s->key = NULL;
			s->index = v;
		} else {
			*why = "expected '.' or '['";
			return NULL;
		}
		r->n++;
	}
	return r;
}

/* Moves j to the value the path names; false if absent or malformed. */
static bool walk(js *j, const path *p, sl_arena *a)
{
	for (uint32_t k = 0; k < p->n; k++) {
		const step *s = &p->st[k];
		ws(j);
		if (j->i >= j->n)
			return false;
		char open = s->key ? '{' : '[';
		if (j->s[j->i] != open)
			return false;
		j->i++;
		ws(j);
		if (j->i < j->n && j->s[j->i] == (s->key ? '}' : ']'))
			return false;
		for (int64_t idx = 0;; idx++) {
			ws(j);
			bool hit;
			if (s->key) {
				sl_buf kb;
				sl_buf_init(&kb, a, 16);
				bool ok = str(j, &kb);
				hit = ok && kb.len == s->klen &&
				      !memcmp(kb.s, s->key, s->klen);
				ws(j);
				if (!ok || j->i >= j->n || j->s[j->i] != ':')
					return false;
				j->i++;
			} else {
				hit = idx == s->index;
			}
			if (hit)
				break;
			if (!value(j, NULL))
				return false;
			ws(j);
			if (j->i < j->n && j->s[j->i] == ',') {
				j->i++;
				continue;
			}
			return false; /* the end: not there */
		}
	}
	return true;
}

/* ---- paths with [*]: Spark's evaluation ------------------------------ */

/* A JSON writer: commas between the values of the arrays it has open. */
typedef struct jw {
	sl_buf *b;
	uint32_t d, *cnt; /* open arrays; values written in each */
} jw;

enum { RAW, QUOTED, FLATTEN };

static void jw_value(jw *w)
{
	if (w->d && w->cnt[w->d - 1]++)
		sl_buf_putc(w->b, ',');
}

static void jw_open(jw *w)
{
	jw_value(w);
	sl_buf_putc(w->b, '[');
	w->cnt[w->d++] = 0;
}

static void jw_close(jw *w)
{
	w->d--;
	sl_buf_putc(w->b, ']');
}

/* The elements of the array at j (at its '['), each through fn. */
#define EACH_ELEMENT(j, body)                                                  	do {                                                                   		(j)->i++;                                                      		ws(j);                                                         		if ((j)->s[(j)->i] == ']') {                                   			(j)->i++;                                              			break;                                                 		}                                                              		for (;;) {                                                     			body;                                                  			ws(j);                                                 			if ((j)->s[(j)->i++] == ']')                           				break;                                         		}                                                              	} while (0)

/* Spark's evaluatePath: writes what the path st[0..n) finds in the value
 * at j (a well-formed document) in style, moving j past the value;
 * returns how many matches it wrote. */
static int eval_path(js *j, jw *w, int style, const step *st, uint32_t n,
		     sl_arena *a)
{
	ws(j);
	char c = j->s[j->i];
	int dirty = 0;
	if (!n) {
		if (c == '"' && style == RAW) {
			jw_value(w);
			return str(j, w->b);
		}
		if (c == '[' && style == FLATTEN) {
			EACH_ELEMENT(j, dirty |= eval_path(j, w, style, st, 0, a));
			return dirty;
		}
		jw_value(w);
		return value(j, w->b);
	}
	if (c == '{' && st->key) {
		j->i++;
		ws(j);
		if (j->s[j->i] == '}') {
			j->i++;
			return 0;
		}
		for (;;) {
			sl_buf kb;
			sl_buf_init(&kb, a, 16);
			ws(j);
			str(j, &kb);
			ws(j);
			j->i++; /* : */
			ws(j);
			bool hit = !dirty && kb.len == st->klen &&
				   !memcmp(kb.s, st->key, kb.len);
			if (hit && j->s[j->i] != 'n')
				dirty = eval_path(j, w, style, st + 1, n - 1, a);
			else
				value(j, NULL);
			ws(j);
			if (j->s[j->i++] == '}')
				return dirty;
		}
	}
	if (c != '[' || st->key) {
		value(j, NULL);
		return 0;
	}
	if (st->wild && n > 1 && st[1].wild) {
		/* Hive's [*][*]: one array of every match, flattened */
		jw_open(w);
		EACH_ELEMENT(j, dirty |= eval_path(j, w, FLATTEN, st + 2, n - 2,
						   a));
		jw_close(w);
		return dirty;
	}
	if (st->wild && style != QUOTED) {
		/* the matches in an array, a single one unwrapped */
		sl_buf t;
		sl_buf_init(&t, a, 32);
		jw tw = { &t, 0, sl_arena_alloc(a, (n + 1) * sizeof(uint32_t)) };
		int next = style == RAW ? QUOTED : style;
		jw_open(&tw);
		EACH_ELEMENT(j, dirty += !!eval_path(j, &tw, next, st + 1,
						     n - 1, a));
		jw_close(&tw);
		if (dirty) {
			jw_value(w);
			if (dirty > 1)
				sl_buf_put(w->b, t.s, t.len);
			else
				sl_buf_put(w->b, t.s + 1, t.len - 2);
		}
		return dirty > 0;
	}
	if (st->wild) {
		jw_open(w);
		EACH_ELEMENT(j, dirty |= eval_path(j, w, QUOTED, st + 1, n - 1,
						   a));
		jw_close(w);
		return dirty;
	}
	/* [i]: the i-th element, in quoted style when a [*] follows */
	int sub = n > 1 && st[1].wild ? QUOTED : style;
	int64_t idx = 0;
	EACH_ELEMENT(j, {
		if (idx++ == st->index)
			dirty = eval_path(j, w, sub, st + 1, n - 1, a);
		else
			value(j, NULL);
	});
	return dirty;
}

/* The value at j as get_json_object gives it: a string unescaped, a
 * JSON null as null, anything else as compact JSON (null if malformed). */
static void found(js *j, sl_arena *a, sl_value *out)
{
	*out = sl_v_null();
	ws(j);
	if (j->i >= j->n)
		return;
	char c = j->s[j->i];
	sl_buf w;
	sl_buf_init(&w, a, 32);
	if (c == '"') {
		if (str(j, &w))
			*out = sl_v_str(w.s, (uint32_t)w.len);
		return;
	}
	if (c == 'n') /* JSON null: null */
		return;
	if (value(j, &w))
		*out = sl_v_str(w.s, (uint32_t)w.len);
}

static int ev_get_json_object(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	FN_ARG_OR_NULL(1, pv);
	const path *p = e->aux;
	if (!p) {
		const char *why;
		p = parse_path(pv.v.str, pv.len, a, &why);
		if (!p) {
			*out = sl_v_null();
			return 0;
		}
	}
	js j = { x.v.str, x.len, 0, 0 };
	*out = sl_v_null();
	/* Spark reads each enclosing object and array to its end: a
	 * malformed document gives null wherever the path points */
	if (!value(&j, NULL))
		return 0;
	j.i = 0;
	if (p->wild) {
		sl_buf b;
		sl_buf_init(&b, a, 32);
		jw w = { &b, 0, sl_arena_alloc(a, (p->n + 1) * sizeof(uint32_t)) };
		if (eval_path(&j, &w, RAW, p->st, p->n, a))
			*out = sl_v_str(b.s, (uint32_t)b.len);
		return 0;
	}
	if (!walk(&j, p, a))
		return 0;
	found(&j, a, out);
	return 0;
}

static int bind_get_json_object(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc;
	if ((rc = sl_fn_string_arg(cx, e, 0, err)) ||
	    (rc = sl_fn_string_arg(cx, e, 1, err)))
		return rc;
	const sl_expr *p = e->args[1];
	if (p->kind == EX_LIT && p->lit.type == SL_STRING) {
		const char *why;
		e->aux = parse_path(p->lit.v.str, p->lit.len, cx->a, &why);
		if (!e->aux)
			return sl_bind_fail(err, p, SL_EANALYSIS,
					    "get_json_object: the path %s is "
					    "not one sluice takes: %s",
					    p->sql, why);
	}
	e->type = &sl_dtype_string;
	e->eval = ev_get_json_object;
	return 0;
}

/* ---- json_tuple ---------------------------------------------------------- */

/* A generator of one row a document: the top-level fields named by the
 * arguments after the first, as get_json_object's $.name gives them, in
 * columns c0, c1, ...; a row of nulls for a null, malformed or non-object
 * document (expr/fn_gen.c's several-column form). */
static int ev_json_tuple(FN_EV_ARGS)
{
	uint32_t k = e->nargs - 1;
	sl_value *r = sl_arena_alloc(a, (k + 1) * sizeof(*r));
	sl_value *f = r + 1;
	sl_value x;
	int rc = sl_fn_arg(e, 0, row, a, &x, err);
	if (rc)
		return rc;
	js j = { x.v.str, x.len, 0, 0 };
	bool ok = x.type == SL_STRING && value(&j, NULL);
	path *one = sl_arena_alloc(a, sizeof(*one) + sizeof(step));
	one->n = 1;
	for (uint32_t i = 0; i < k; i++) {
		sl_value nm;
		f[i] = sl_v_null();
		if ((rc = sl_fn_arg(e, i + 1, row, a, &nm, err)))
			return rc;
		if (!ok || nm.type != SL_STRING)
			continue;
		one->st[0] = (step){ nm.v.str, nm.len, 0, false };
		j.i = 0;
		j.depth = 0;
		if (walk(&j, one, a))
			found(&j, a, &f[i]);
	}
	r->type = SL_STRUCT;
	r->len = k;
	r->v.fields = f;
	out->type = SL_ARRAY;
	out->len = 1;
	out->v.arr = r;
	return 0;
}

static int bind_json_tuple(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	uint32_t k = e->nargs - 1;
	sl_schema *sc = sl_schema_new(cx->a, k);
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sl_fn_string_arg(cx, e, i, err);
		if (rc)
			return rc;
		if (!i)
			continue;
		char *nm = sl_arena_alloc(cx->a, 12);
		snprintf(nm, 12, "c%u", i - 1);
		sc->fields[i - 1] = (sl_field){ nm, &sl_dtype_string, true };
	}
	sl_dtype *st = sl_arena_calloc(cx->a, sizeof(*st));
	st->id = SL_STRUCT;
	st->fields = sc;
	e->type = st;
	e->op = 1; /* its rows have several columns */
	e->eval = ev_json_tuple;
	return sl_fn_generator_names(cx, e, err);
}

/* ---- json_array_length, json_object_keys ------------------------------ */

static int ev_json_array_length(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	js j = { x.v.str, x.len, 0, 0 };
	*out = sl_v_null();
	ws(&j);
	if (j.i >= j.n || j.s[j.i] != '[')
		return 0;
	j.i++;
	ws(&j);
	int32_t n = 0;
	if (j.i < j.n && j.s[j.i] == ']') {
		*out = sl_v_int(0);
		return 0;
	}
	for (;;) {
		if (!value(&j, NULL))
			return 0;
		n++;
		ws(&j);
		if (j.i < j.n && j.s[j.i] == ',') {
			j.i++;
			continue;
		}
		if (j.i < j.n && j.s[j.i] == ']')
			break;
		return 0;
	}
	*out = sl_v_int(n);
	return 0;
}

static int ev_json_object_keys(FN_EV_ARGS)
{
	FN_ARG_OR_NULL(0, x);
	js j = { x.v.str, x.len, 0, 0 };
	*out = sl_v_null();
	ws(&j);
	if (j.i >= j.n || j.s[j.i] != '{')
		return 0;
	j.i++;
	ws(&j);
	sl_buf items;
	sl_buf_init(&items, a, 8 * sizeof(sl_value));
	uint32_t n = 0;
	if (!(j.i < j.n && j.s[j.i] == '}')) {
		for (;;) {
			ws(&j);
			sl_buf k;
			sl_buf_init(&k, a, 16);
			if (!str(&j, &k))
				return 0;
			ws(&j);
			if (j.i >= j.n || j.s[j.i] != ':')
				return 0;
			j.i++;
			if (!value(&j, NULL))
				return 0;
			sl_value v = sl_v_str(k.s, (uint32_t)k.len);
			sl_buf_put(&items, &v, sizeof(v));
			n++;
			ws(&j);
			if (j.i < j.n && j.s[j.i] == ',') {
				j.i++;
				continue;
			}
			if (j.i < j.n && j.s[j.i] == '}')
				break;
			return 0;
		}
	}
	out->type = SL_ARRAY;
	out->len = n;
	out->v.arr = (const sl_value *)items.p;
	return 0;
}

static int bind_json1(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	bool keys = e->fn->name[5] == 'o';
	e->type = keys ? sl_fn_array_of(cx, &sl_dtype_string) : &sl_dtype_int;
	e->eval = keys ? ev_json_object_keys : ev_json_array_length;
	return sl_fn_string_arg(cx, e, 0, err);
}

const sl_func sl_funcs_json[] = {
	{ "from_csv", 2, 3, FN_LAMBDA, sl_fn_bind_from_csv,
	  "from_csv(csvStr, schema[, options])",
	  "The CSV line read into a struct of the DDL schema (a field its "
	  "type cannot read is null).",
	  "from_csv('1,0.8', 'a INT, b DOUBLE')" },
	{ "get_json_object", 2, 2, 0, bind_get_json_object,
	  "get_json_object(json_txt, path)",
	  "The value at the JSON path ($.a.b, $['a'], $[0]) as text; null "
	  "when absent or the JSON is malformed.",
	  "get_json_object('{\"a\":\"b\"}', '$.a')" },
	{ "json_array_length", 1, 1, 0, bind_json1, "json_array_length(jsonArray)",
	  "The number of elements of the outermost JSON array; null for "
	  "anything else.",
	  "json_array_length('[1,2,3,4]')" },
	{ "json_object_keys", 1, 1, 0, bind_json1, "json_object_keys(json_object)",
	  "The keys of the outermost JSON object, in an array; null for "
	  "anything else.",
	  "json_object_keys('{\"f1\":\"abc\",\"f2\":{\"f3\":\"a\"}}')" },
	{ "json_tuple", 2, -1, FN_GEN, bind_json_tuple,
	  "json_tuple(jsonStr, p1, p2, ..., pn)",
	  "A row of the named top-level fields of the JSON object, as strings "
	  "in columns c0, c1, ... (nulls for a malformed document).",
	  "json_tuple('{\"a\":1, \"b\":2}', 'a', 'b')" },
	{ "schema_of_csv", 1, 1, 0, sl_fn_bind_schema_of_csv,
	  "schema_of_csv(csv)",
	  "The schema Spark infers from one CSV line, as DDL.",
	  "schema_of_csv('1,abc')" },
	{ "to_csv", 1, 2, FN_LAMBDA, sl_fn_bind_to_csv,
	  "to_csv(expr[, options])",
	  "The struct's fields as one CSV line.",
	  "to_csv(named_struct('a', 1, 'b', 2))" },
};
const size_t sl_funcs_json_n = SL_NFUNCS(sl_funcs_json);
