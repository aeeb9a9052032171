/* engine/static_table.c - static tables and the frames of stream-static
 * joins (docs/STATEFUL.md, "Stream-static join").
 *
 * A static table is read once, when sl_session_read_static is called, through the
 * file source of its format (io/format.h, io/source_file.c), so its
 * options, schema and parse modes are exactly a stream's: every file there
 * now, each partition drained to its end, into one batch the session
 * owns. A join frame hands those rows to the join operator (ops/join.c),
 * which hashes them on their keys; the partition threads probe them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/engine.h"
#include "io/format.h"
#include "ops/join.h"

/* ---- reading the static table --------------------------------------------- */


static void batch_free_cb(void *p)
{
	sl_batch_free(p);
}

/* The file source watches a directory, optionally with a file-name glob.
 * One file becomes its directory plus a glob that matches only its name:
 * each character in brackets, which also escapes glob metacharacters. */
static const char *one_file_path(sl_arena *a, const char *path)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return path;
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dl = slash ? (size_t)(slash - path) : 0;
	size_t nl = strlen(name);
	char *out = sl_arena_calloc(a, dl + 3 + 3 * nl + 1);
	size_t k = 0;
	if (slash) {
		memcpy(out, path, dl ? dl : 1);
		k = dl ? dl : 1;
		if (dl)
			out[k++] = '/';
	} else {
		memcpy(out, "./", 2);
		k = 2;
	}
	for (size_t i = 0; i < nl; i++) {
		out[k++] = '[';
		out[k++] = name[i];
		out[k++] = ']';
	}
	out[k] = 0;
	return out;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "csv, json or text": the formats a static table can be read in,
 * alphabetically. */
static void static_format_names(char *buf, size_t n)
{
	const char *names[64];
	size_t k = 0, len = 0;

	for (int i = 0; sl_formats[i] && k < 64; i++)
		if (sl_formats[i]->flags & SL_FORMAT_STATIC)
			names[k++] = sl_formats[i]->name;
	qsort(names, k, sizeof(*names), by_name);
	buf[0] = 0;
	for (size_t i = 0; i < k; i++)
		len += (size_t)snprintf(buf + (len < n ? len : n),
					len < n ? n - len : 0, "%s%s",
					!i	       ? ""
					: i + 1 == k ? " or "
						     : ", ",
					names[i]);
}

static sl_frame *static_read(sl_session *s, const char *format,
			     const char *const *options, sl_err *err)
{
	const sl_format_ops *fmt = format ? sl_format_lookup(format) : NULL;

	if (!fmt || !(fmt->flags & SL_FORMAT_STATIC) ||
	    !(fmt->flags & SL_FORMAT_READ)) {
		char names[256];

		static_format_names(names, sizeof(names));
		sl_err_set(err, SL_EFORMAT,
			   "read_static: format '%s' cannot be read as a "
			   "static table (use %s)",
			   format ? format : "(none)", names);
		return NULL;
	}
	/* Options with a one-file path rewritten to the source's form. */
	size_t n = 0;
	while (options && options[n])
		n += 2;
	const char **opts = sl_arena_calloc(&s->arena,
					    (n + 1) * sizeof(*opts));
	for (size_t i = 0; i < n; i += 2) {
		opts[i] = options[i];
		opts[i + 1] = options[i + 1];
		if (opts[i + 1] && !strcasecmp(opts[i], "path"))
			opts[i + 1] = one_file_path(&s->arena, opts[i + 1]);
	}
	sl_frame *src_f = sl_session_read_stream(s, format, opts);
	if (!src_f) {
		sl_err_set(err, sl_session_errcode(s), "%s",
			   sl_session_errmsg(s));
		return NULL;
	}
	struct sl_source *src = src_f->src;
	sl_batch *rows = sl_batch_new(src->schema, 64);
	int rc = 0;
	/* Every file there now, each partition drained to its end once. */
	for (uint32_t i = 0; i < src->nparts && rc >= 0; i++) {
		sl_source_part p = { .src = src, .index = i };
		if ((rc = src->ops->open(&p)) < 0) {
			*err = p.err;
			break;
		}
		int64_t end = src->ops->latest(&p, -1);
		while (p.offset < end) {
			int64_t before = p.offset;
			sl_batch *got = NULL;
			rc = src->ops->poll(&p, end, 0, &got);
			if (got) {
				sl_batch_append_copy(rows, got);
				sl_batch_free(got);
			}
			if (rc == SL_SOURCE_END) {
				rc = 0;
				break;
			}
			if (rc < 0) {
				*err = p.err;
				break;
			}
			if (rc == 0 && p.offset == before)
				break; /* nothing more to read: no spin */
		}
		if (src->ops->close)
			src->ops->close(&p);
	}
	if (rc < 0) {
		if (!err->msg[0])
			sl_err_set(err, SL_EIO, "read_static: reading failed");
		sl_batch_free(rows);
		return NULL;
	}
	sl_session_on_destroy(s, batch_free_cb, rows);
	sl_frame *f = sl_arena_calloc(&s->arena, sizeof(*f));
	f->session = s;
	f->kind = SL_FR_STATIC;
	f->format = src->ops->name;
	f->schema = src->schema;
	f->rows = rows;
	f->gen = -1;
	return f;
}

/* ---- join frames ---------------------------------------------------------- */

static void join_free_cb(void *p)
{
	sl_join_free(p);
}

/* The join frame of stream and stat (ops/join.h). */
static sl_frame *join_frame(sl_frame *stream, sl_frame *stat,
			    const char *const *keys_left,
			    const char *const *keys_right, int how, sl_err *err)
{
	sl_session *s = stream->session;

	if (!stat || stat->kind != SL_FR_STATIC) {
		sl_err_set(err, SL_EANALYSIS,
			   "join: the right side must be a static table "
			   "(sl_session_read_static); stream-stream joins are not "
			   "supported");
		return NULL;
	}
	if (stream->kind == SL_FR_STATIC) {
		sl_err_set(err, SL_EANALYSIS,
			   "join: the left side must be a stream (a join of "
			   "two static tables is not a streaming query)");
		return NULL;
	}
	for (const sl_frame *f = stream; f; f = f->parent)
		if (f->kind == SL_FR_AGGREGATE) {
			sl_err_set(err, SL_EANALYSIS,
				   "join: joining the result of an "
				   "aggregation or dropDuplicates is not "
				   "supported (a stream-static join is a "
				   "stateless step over input rows)");
			return NULL;
		}
	sl_join *j = sl_join_new(stream->schema, stat->schema, stat->rows,
				 keys_left, keys_right, how, &s->arena, err);
	if (!j)
		return NULL;
	sl_session_on_destroy(s, join_free_cb, j);

	sl_frame *f = sl_arena_calloc(&s->arena, sizeof(*f));
	*f = *stream;
	f->kind = SL_FR_JOIN;
	f->parent = stream;
	f->schema = sl_join_schema(j);
	f->cond = NULL;
	f->items = NULL;
	f->nitems = 0;
	f->pass = NULL;
	f->gen = -1;
	f->rows = NULL;
	f->join = j;
	return f;
}

/* ---- the API ---------------------------------------------------------------- */


static sl_frame *session_read_static(sl_session *s, const char *format,
			 const char *const *options)
{
	sl_err err = {0};
	const sl_logger *prev = sl_log_bind(&s->log);
	sl_frame *f = static_read(s, format, options, &err);
	sl_log_bind(prev);
	return f ? f : sl_fail(s, &err);
}

static void session_read_static_run(sl_api_call *c)
{
	c->ret = session_read_static((sl_session *)c->a[0], c->a[1], c->a[2]);
}

sl_frame *sl_session_read_static(sl_session *s, const char *format,
			 const char *const *options)
{
	sl_api_call c = { .a = { s, format, options } };
	sl_api_guard(s, "read_static", session_read_static_run, &c);
	return c.ret;
}

static sl_frame *frame_join(sl_frame *stream, sl_frame *stat,
			const char *const *keys_left,
			const char *const *keys_right, const char *how)
{
	sl_err err = {0};
	int h;
	if (!how || !strcasecmp(how, "inner"))
		h = SL_JOIN_INNER;
	else if (!strcasecmp(how, "left") || !strcasecmp(how, "left_outer") ||
		 !strcasecmp(how, "leftouter"))
		h = SL_JOIN_LEFT;
	else {
		sl_err_set(&err, SL_EANALYSIS,
			   "join: type '%s' is not supported for a "
			   "stream-static join (use 'inner' or 'left')",
			   how);
		return sl_fail(stream ? stream->session : NULL, &err);
	}
	sl_frame *f = join_frame(stream, stat, keys_left, keys_right, h, &err);
	return f ? f : sl_fail(stream ? stream->session : NULL, &err);
}

static void frame_join_run(sl_api_call *c)
{
	c->ret = frame_join((sl_frame *)c->a[0], (sl_frame *)c->a[1], c->a[2],
			    c->a[3], c->a[4]);
}

sl_frame *sl_frame_join(sl_frame *stream, sl_frame *stat,
			const char *const *keys_left,
			const char *const *keys_right, const char *how)
{
	sl_api_call c = { .a = { stream, stat, keys_left, keys_right, how } };
	sl_api_guard(stream ? stream->session : NULL, "join", frame_join_run,
		     &c);
	return c.ret;
}

