/* io/format_json.c - the JSON lines format: one JSON object per line, its
 * fields taken by the schema's column names (jansson), read through the
 * line service (io/format.h); written as Spark's writer (Jackson) does:
 * null fields left out, Jackson's escaping and base64, ISO-8601
 * timestamps. */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/map.h"
#include "core/value_text.h"
#include "io/csv.h"
#include "io/format.h"

struct json_conf {
	const char *schema;
};

/* ---- reading ---------------------------------------------------------- */

static int json_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct json_conf *c = scan->conf;
	int rc;

	if ((rc = sl_format_scan_schema(scan, c->schema, err)))
		return rc;
	for (uint32_t i = 0; i < scan->schema->n; i++)
		if (!sl_dtype_map_keys_are_strings(scan->schema->fields[i].type))
			return sl_err_set(err, SL_EOPTION,
					  "source 'json': column %s: "
					  "[INVALID_JSON_SCHEMA_MAP_TYPE] JSON "
					  "can only hold STRING as the key type "
					  "of a MAP",
					  scan->schema->fields[i].name);
	return sl_format_scan_columns(scan, err);
}

static int json_open(sl_format_reader *r)
{
	return sl_lines_reader_open(r, sizeof(sl_lines)) ? 0 : r->err.code;
}

/* A string is no number for a DOUBLE field (Spark 4: null, the record
 * malformed) except Jackson's non-numeric numbers, which Spark's default
 * allowNonNumericNumbers = true takes. */
static bool non_numeric(const char *s, sl_value *out)
{
	if (!strcmp(s, "NaN"))
		*out = sl_v_double(NAN);
	else if (!strcmp(s, "Infinity") || !strcmp(s, "+Infinity") ||
		 !strcmp(s, "+INF"))
		*out = sl_v_double(INFINITY);
	else if (!strcmp(s, "-Infinity") || !strcmp(s, "-INF"))
		*out = sl_v_double(-INFINITY);
	else
		return false;
	return true;
}

/* The end of the JSON value that starts at s[i] (already valid: jansson
 * parsed the line): a string, an object or array with what it nests, or
 * a scalar up to the next separator or white space. */
static size_t json_value_end(const char *s, size_t n, size_t i)
{
	int depth = 0;
	bool in_str = false;

	for (; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			else
				continue;
			if (!in_str && depth == 0)
				return i + 1;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 &&
			   (c == ',' || c == ' ' || c == '\t' || c == '\r' ||
			    c == '\n'))
			return i;
	}
	return n;
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
	while (i < n &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* The text of top-level field name of the object on line (valid JSON), as
 * it is written there: Spark 4 keeps a non-string read into a STRING
 * field exactly (12.50 stays 12.50, white space inside stays). The last
 * field of that name wins, as in jansson; false if not found or its key
 * has escapes. */
static bool json_raw_field(const char *line, size_t len, const char *name,
			   const char **at, size_t *n)
{
	size_t nl = strlen(name), i = skip_space(line, len, 0);
	bool found = false;

	if (i >= len || line[i] != '{')
		return false;
	i++;
	for (;;) {
		size_t k, end;
		bool match;

		i = skip_space(line, len, i);
		if (i >= len || line[i] != '"')
			return found;
		k = json_value_end(line, len, i);
		match = k - i - 2 == nl && !memcmp(line + i + 1, name, nl);
		i = skip_space(line, len, k);
		if (i >= len || line[i] != ':')
			return found;
		i = skip_space(line, len, i + 1);
		end = json_value_end(line, len, i);
		if (match) {
			*at = line + i;
			*n = end - i;
			found = true;
		}
		i = skip_space(line, len, end);
		if (i >= len || line[i] != ',')
			return found;
		i++;
	}
}

bool sl_format_json_value(json_t *j, const sl_dtype *t, sl_arena *a,
			  sl_value *out)
{
	*out = sl_v_null();
	if (json_is_null(j))
		return true;
	/* (int): TINYINT and SMALLINT are dtype ids outside sl_type. */
	switch ((int)t->id) {
	case SL_STRING:
		if (json_is_string(j))
			return !sl_text_to_value(json_string_value(j),
						 json_string_length(j), t, a,
						 out);
		{
			/* Spark keeps a non-string's JSON text. */
			char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
			int rc;

			if (!s)
				return false;
			rc = sl_text_to_value(s, strlen(s), t, a, out);
			free(s);
			return !rc;
		}
	case SL_BYTE:
		/* Jackson's getByteValue, which Spark uses, takes -128..255
		 * and wraps 128..255 to a byte: 200 reads as -56. */
		if (!json_is_integer(j) || json_integer_value(j) < INT8_MIN ||
		    json_integer_value(j) > UINT8_MAX)
			return false;
		*out = sl_v_int((int8_t)(uint8_t)json_integer_value(j));
		return true;
	case SL_INT:
	case SL_SHORT:
		if (!json_is_integer(j) ||
		    json_integer_value(j) < sl_text_int_min(t->id) ||
		    json_integer_value(j) > sl_text_int_max(t->id))
			return false;
		*out = sl_v_int((int32_t)json_integer_value(j));
		return true;
	case SL_LONG:
		if (!json_is_integer(j))
			return false;
		*out = sl_v_long(json_integer_value(j));
		return true;
	case SL_DOUBLE:
		if (json_is_number(j)) {
			*out = sl_v_double(json_number_value(j));
			return true;
		}
		return json_is_string(j) && non_numeric(json_string_value(j),
							 out);
	case SL_FLOAT:
		if (json_is_number(j)) {
			*out = sl_v_float((float)json_number_value(j));
			return true;
		}
		if (json_is_string(j) && non_numeric(json_string_value(j), out)) {
			if (out->type == SL_DOUBLE)
				*out = sl_v_float((float)out->v.f64);
			return true;
		}
		return false;
	case SL_DECIMAL: {
		/* A top-level field reads its exact text (json_record); here
		 * a nested one: an integer exactly, a real through its
		 * shortest decimal text. */
		char num[40];

		if (json_is_integer(j))
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(j));
		else if (json_is_real(j))
			sl_fmt_double(json_real_value(j), num);
		else
			return false;
		return !sl_v_dec_parse(num, strlen(num), t, a, out);
	}
	case SL_BOOL:
		if (!json_is_boolean(j))
			return false;
		*out = sl_v_bool(json_is_true(j));
		return true;
	case SL_TIMESTAMP:
		if (json_is_integer(j)) {
			/* Spark reads a number as seconds since the epoch. */
			*out = sl_v_ts(json_integer_value(j) * 1000000);
			return true;
		}
		/* fall through */
	case SL_DATE:
	case SL_BINARY:
	case SL_TIMESTAMP_NTZ:
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT:
		return json_is_string(j) &&
		       !sl_text_to_value(json_string_value(j),
					 json_string_length(j), t, a, out);
	case SL_ARRAY: {
		size_t n = json_array_size(j);
		sl_value *e;

		if (!json_is_array(j))
			return false;
		e = sl_arena_alloc(a, (n ? n : 1) * sizeof(*e));
		for (size_t i = 0; i < n; i++)
			if (!sl_format_json_value(json_array_get(j, i), t->elem, a,
					   &e[i]))
				return false;
		out->type = SL_ARRAY;
		out->len = (uint32_t)n;
		out->v.arr = e;
		return true;
	}
	case SL_MAP: {
		/* an object: its member names read as the key type, in
		 * the order written */
		size_t n = json_object_size(j), i = 0;
		const char *k;
		json_t *v;

		if (!json_is_object(j))
			return false;
		sl_value *e = sl_arena_alloc(a, (n ? 2 * n : 1) * sizeof(*e));
		json_object_foreach(j, k, v) {
			if (sl_text_to_value(k, strlen(k), t->key, a, &e[2 * i]) ||
			    e[2 * i].type == SL_NULL ||
			    !sl_format_json_value(v, t->elem, a, &e[2 * i + 1]))
				return false;
			i++;
		}
		*out = (sl_value){ .type = SL_MAP, .len = (uint32_t)n, .v.arr = e };
		return true;
	}
	case SL_STRUCT: {
		const sl_schema *fs = t->fields;
		sl_value *e;

		if (!json_is_object(j))
			return false;
		e = sl_arena_calloc(a, (fs->n ? fs->n : 1) * sizeof(*e));
		for (uint32_t i = 0; i < fs->n; i++) {
			json_t *v = json_object_get(j, fs->fields[i].name);

			if (v &&
			    !sl_format_json_value(v, fs->fields[i].type, a, &e[i]))
				return false;
		}
		out->type = SL_STRUCT;
		out->len = fs->n;
		out->v.fields = e;
		return true;
	}
	default: return false;
	}
}

static int json_record(sl_format_reader *r, sl_batch *b, sl_value *row,
		       const char *line, size_t len)
{
	const sl_lines *lines = r->state;
	const sl_format_scan *scan = r->scan;
	const sl_schema *sch = scan->schema;
	int64_t line_no = lines->line_no;
	json_error_t je;
	json_t *j;
	char whybuf[260];
	const char *why = NULL;
	int rc;

	j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* jansson refuses integers beyond 64 bits, which a DECIMAL(38,0)
	 * field holds: read the record again with numbers as reals, and
	 * take integral and decimal fields from their text */
	bool as_real = false;
	if (!j && strstr(je.text, "too big")) {
		j = json_loadb(line, len,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL |
				       JSON_DECODE_INT_AS_REAL,
			       &je);
		as_real = true;
	}
	if (!j) {
		snprintf(whybuf, sizeof(whybuf), "%s (column %d)", je.text,
			 je.column);
		return r->malformed(r, b, row, line, len, line_no, whybuf);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return r->malformed(r, b, row, line, len, line_no,
				    "not a JSON object");
	}
	for (uint32_t i = 0; i < scan->ndata; i++) {
		uint32_t col = scan->data[i];
		const sl_field *sf = &sch->fields[col];
		json_t *v = json_object_get(j, sf->name);

		const char *raw;
		size_t nraw;

		if (v && sf->type->id == SL_STRING && !json_is_string(v) &&
		    !json_is_null(v) &&
		    json_raw_field(line, len, sf->name, &raw, &nraw)) {
			sl_text_to_value(raw, nraw, sf->type, &b->arena,
					 &row[col]);
			continue;
		}
		/* a decimal reads the number's exact text (10.25 is not
		 * the double nearest it) */
		if (v &&
		    (sf->type->id == SL_DECIMAL ||
		     (as_real && (sf->type->id == SL_INT ||
				  sf->type->id == SL_LONG ||
				  (int)sf->type->id == SL_SHORT ||
				  (int)sf->type->id == SL_BYTE))) &&
		    json_is_number(v) &&
		    json_raw_field(line, len, sf->name, &raw, &nraw)) {
			if (!sl_text_to_value(raw, nraw, sf->type, &b->arena,
					      &row[col]))
				continue;
			row[col] = sl_v_null();
			if (!why) {
				snprintf(whybuf, sizeof(whybuf),
					 "field %s does not fit its type",
					 sf->name);
				why = whybuf;
			}
			continue;
		}
		if (!v || sl_format_json_value(v, sf->type, &b->arena, &row[col]))
			continue;
		row[col] = sl_v_null();
		if (!why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "field %s is not of type %s", sf->name, tn);
			why = whybuf;
		}
	}
	json_decref(j);
	rc = why ? r->malformed(r, b, row, line, len, line_no, why) : 0;
	return rc;
}

/* Blank lines are no record, as in Spark. */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static int json_line(sl_format_reader *r, sl_batch *b, const char *line,
		     size_t len)
{
	if (blank(line, len))
		return 0;
	return sl_lines_record(r, b, line, len, json_record);
}

static int json_next(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	return sl_lines_next_batch(r, r->state, b, max, json_line);
}

/* ---- writing ---------------------------------------------------------- */

/* Jackson's default base64 (MIME alphabet, padded, no line feeds). */
static void json_base64(sl_buf *b, const uint8_t *p, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				 "tuvwxyz0123456789+/";
	char *o = (char *)sl_buf_reserve(b, (n + 2) / 3 * 4 + 2);

	*o++ = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		*o++ = al[v >> 18 & 63];
		*o++ = al[v >> 12 & 63];
		*o++ = k > 1 ? al[v >> 6 & 63] : '=';
		*o++ = k > 2 ? al[v & 63] : '=';
	}
	*o++ = '"';
	b->len = (size_t)(o - b->s);
}

static void json_put_value(sl_buf *b, const sl_value *v, const sl_dtype *t);

/* A struct as Spark's JSON writer does it: fields in order, null fields
 * left out (ignoreNullFields, Spark's default). */
static void json_put_struct(sl_buf *b, const sl_value *vals, uint32_t n,
			    const sl_schema *names)
{
	bool first = true;

	sl_buf_putc(b, '{');
	for (uint32_t i = 0; i < n; i++) {
		const sl_dtype *ft = NULL;
		char nm[24];
		const char *name = nm;

		if (sl_v_is_null(&vals[i]))
			continue;
		if (names && i < names->n) {
			name = names->fields[i].name;
			ft = names->fields[i].type;
		} else {
			snprintf(nm, sizeof(nm), "col%u", i + 1);
		}
		if (!first)
			sl_buf_putc(b, ',');
		first = false;
		sl_format_json_str(b, name, strlen(name));
		sl_buf_putc(b, ':');
		json_put_value(b, &vals[i], ft);
	}
	sl_buf_putc(b, '}');
}

static void json_put_value(sl_buf *b, const sl_value *v, const sl_dtype *t)
{
	switch ((sl_type)v->type) {
	case SL_NULL: sl_buf_puts(b, "null"); break;
	case SL_BOOL: sl_buf_puts(b, v->v.b ? "true" : "false"); break;
	case SL_INT:
	case SL_LONG: sl_format_put_render(b, v); break;
	case SL_DOUBLE:
	case SL_FLOAT:
		/* NaN and the infinities are not JSON numbers: Jackson quotes
		 * them. */
		if (!(v->type == SL_FLOAT ? isfinite(v->v.f32)
					  : isfinite(v->v.f64))) {
			sl_buf_putc(b, '"');
			sl_format_put_render(b, v);
			sl_buf_putc(b, '"');
		} else {
			sl_format_put_render(b, v);
		}
		break;
	case SL_DECIMAL:
		/* Jackson writes a BigDecimal with its toString */
		sl_fmt_decimal_java(b, v);
		break;
	case SL_STRING: sl_format_json_str(b, v->v.str, v->len); break;
	case SL_BINARY: json_base64(b, v->v.bin, v->len); break;
	case SL_TIMESTAMP:
		sl_buf_putc(b, '"');
		sl_format_put_iso_ts(b, v->v.i64);
		sl_buf_putc(b, '"');
		break;
	case SL_DATE:
		sl_buf_putc(b, '"');
		sl_format_put_render(b, v);
		sl_buf_putc(b, '"');
		break;
	case SL_ARRAY:
		sl_buf_putc(b, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				sl_buf_putc(b, ',');
			json_put_value(b, &v->v.arr[i],
				       t && t->id == SL_ARRAY ? t->elem : NULL);
		}
		sl_buf_putc(b, ']');
		break;
	case SL_STRUCT:
		json_put_struct(b, v->v.fields, v->len,
				t && t->id == SL_STRUCT ? t->fields : NULL);
		break;
	case SL_MAP:
		/* an object whose member names are the keys as text */
		sl_buf_putc(b, '{');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				sl_buf_putc(b, ',');
			const sl_value *k = &v->v.arr[2 * i];
			if (k->type == SL_STRING) {
				sl_format_json_str(b, k->v.str, k->len);
			} else {
				sl_buf tmp;
				sl_buf_init(&tmp, NULL, 0);
				sl_map_key_json_text(&tmp, k);
				sl_format_json_str(b, tmp.s, tmp.len);
				sl_buf_free(&tmp);
			}
			sl_buf_putc(b, ':');
			json_put_value(b, &v->v.arr[2 * i + 1],
				       t && t->id == SL_MAP ? t->elem : NULL);
		}
		sl_buf_putc(b, '}');
		break;
	case SL_TIMESTAMP_NTZ:
		/* Spark's timestampNTZFormat: the ISO text without a zone */
		sl_buf_putc(b, '"');
		sl_format_put_iso_ts(b, v->v.i64);
		b->len--; /* the 'Z' */
		sl_buf_putc(b, '"');
		break;
	case SL_INTERVAL_YM:
	case SL_INTERVAL_DT:
		sl_buf_putc(b, '"');
		sl_format_put_render(b, v);
		sl_buf_putc(b, '"');
		break;
	}
}

static int json_write(const sl_format_writer *w, void *file,
		      const sl_batch *b, uint32_t from, uint32_t n,
		      sl_buf *out, sl_err *err)
{
	const sl_schema *sc = w->schema;

	(void)file;
	(void)err;
	for (uint32_t r = from; r < from + n; r++) {
		const sl_value *row = sl_batch_row(b, r);
		bool first = true;

		sl_buf_putc(out, '{');
		for (uint32_t i = 0; i < w->ncols; i++) {
			uint32_t c = w->cols[i];
			const char *name = sc->fields[c].name;

			if (sl_v_is_null(&row[c]))
				continue;
			if (!first)
				sl_buf_putc(out, ',');
			first = false;
			sl_format_json_str(out, name, strlen(name));
			sl_buf_putc(out, ':');
			json_put_value(out, &row[c], sc->fields[c].type);
		}
		sl_buf_put(out, "}\n", 2);
	}
	return 0;
}

/* ---- options ---------------------------------------------------------- */

static const sl_opt_def json_read_options[] = {
	{ .name = "schema", .type = SL_OPT_STRING,
	  .offset = offsetof(struct json_conf, schema), .required = true,
	  .desc = "The records' schema in Spark DDL ('a STRING, b INT')." },
	{ .name = NULL },
};

static const sl_opt_def json_write_options[] = {
	{ .name = NULL },
};

const sl_format_ops sl_format_json = {
	.name = "json",
	.description = "JSON lines: one object per line.",
	.label = "JSON",
	.extension = ".json",
	.flags = SL_FORMAT_READ | SL_FORMAT_WRITE | SL_FORMAT_STATIC |
		 SL_FORMAT_MALFORMED | SL_FORMAT_LINES,
	.source_description =
		"JSON-lines records of new files in a directory, parsed with a "
		"given schema. Micro-batch triggers only.",
	.sink_description =
		"Writes JSON lines files into a directory, each micro-batch "
		"made visible exactly once by the _spark_metadata log, as "
		"Spark's file sink.",
	.read_options = json_read_options,
	.write_options = json_write_options,
	.conf_size = sizeof(struct json_conf),
	.scan_init = json_scan_init,
	.reader_open = json_open,
	.next_batch = json_next,
	.reader_close = sl_lines_reader_close,
	.write_batch = json_write,
};
