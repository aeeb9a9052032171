/* engine/plugin_format.c - the host's own file formats (include/
 * sluice_plugin.h, sl_format_plugin): each registered one becomes an
 * sl_format_ops of the session (io/format.h) whose callbacks call the
 * plugin's, and, as the registry does for the built-in formats
 * (io/registry.c), a file source and a file sink made of it
 * (io/source_file.h, io/sink_file.h). The file source and sink are the
 * built-in ones: file admission, checkpoints, cleanSource, part files
 * and the _spark_metadata log work as for csv or json.
 *
 * Reading goes through the line service's file handling (io/format.h:
 * read-ahead io_uring reads), but hands the plugin the raw chunks, not
 * lines. The format's conf is the `schema` option, then the plugin's
 * option values in its order. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/rows.h"
#include "engine/plugin_internal.h"
#include "io/format.h"
#include "io/sink_file.h"
#include "io/source_file.h"

#define PFMT_ERRLEN 512

struct sl_plugin_fmt {
	sl_format_ops fops; /* first: scan->ops and w->ops point here */
	sl_file_source_ops src;
	sl_file_sink_ops sink;
	sl_format_plugin p;
	char who_src[96], who_sink[96];
	struct sl_plugin_fmt *next;
};

/* The format's conf: the schema, then the plugin's values. */
struct pfmt_conf {
	const char *schema;
	const char *values[];
};

/* The output of write (sl_bytes_append): the sink's buffer itself. */
struct sl_bytes {
	sl_buf b;
};

static const struct sl_plugin_fmt *fmt_of(const sl_format_ops *ops)
{
	return (const struct sl_plugin_fmt *)ops;
}

static const char *const *values_of(const void *conf)
{
	return ((const struct pfmt_conf *)conf)->values;
}

int sl_bytes_append(sl_bytes *out, const void *p, size_t n)
{
	if (!out || (!p && n))
		return SL_EINVAL;
	sl_buf_put(&out->b, p, n);
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int pfmt_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct sl_plugin_fmt *pf = fmt_of(scan->ops);
	const struct pfmt_conf *c = scan->conf;
	int rc;

	if (!c->schema)
		return sl_err_set(err, SL_EOPTION,
				  "%s: option 'schema' is required (the "
				  "columns the format's rows have, e.g. "
				  "'name STRING, n BIGINT')",
				  pf->who_src);
	if ((rc = sl_format_scan_schema(scan, c->schema, err)))
		return rc;
	for (uint32_t i = 0; i < scan->schema->n; i++) {
		const sl_field *f = &scan->schema->fields[i];
		if (!sl_row_settable(f->type)) {
			char tn[64];
			sl_dtype_name(f->type, tn, sizeof(tn));
			return sl_err_set(err, SL_EOPTION,
					  "%s: option 'schema': column '%s' "
					  "is %s, which a plugin cannot set",
					  pf->who_src, f->name, tn);
		}
	}
	return sl_format_scan_columns(scan, err);
}

/* One file being read: the line service's file (first), the plugin's. */
struct pfmt_reader {
	sl_lines lines;
	void *file;
	bool opened, ended;
};

static int pfmt_open(sl_format_reader *r)
{
	const struct sl_plugin_fmt *pf = fmt_of(r->scan->ops);
	struct pfmt_reader *st = sl_lines_reader_open(r, sizeof(*st));
	char msg[PFMT_ERRLEN] = "";
	int rc;

	if (!st)
		return r->err.code;
	rc = pf->p.open(pf->p.ud, values_of(r->scan->conf), r->path,
			&st->file, msg, sizeof(msg));
	if (rc < 0) {
		sl_lines_reader_close(r);
		return sl_plugin_err(&r->err, rc, pf->who_src, msg);
	}
	st->opened = true;
	return 0;
}

static int pfmt_next(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	const struct sl_plugin_fmt *pf = fmt_of(r->scan->ops);
	struct pfmt_reader *st = r->state;
	sl_emit e = { .schema = r->scan->schema, .who = pf->who_src, .b = b,
		      .max = UINT32_MAX };

	while (!st->ended && b->nrows < max) {
		const char *data = NULL;
		ssize_t k = sl_uring_reader_next(&st->lines.rd, &data);
		char msg[PFMT_ERRLEN] = "";
		int rc;

		if (k < 0)
			return sl_err_set(&r->err, SL_EIO,
					  "%s: reading %s: %s", pf->who_src,
					  r->path, strerror((int)-k));
		st->ended = k == 0;
		rc = pf->p.parse(st->file, k ? data : NULL, (size_t)k, &e, msg,
				 sizeof(msg));
		if (rc < 0)
			return sl_plugin_err(&r->err, rc, pf->who_src,
					     msg[0] ? msg : e.err.msg);
	}
	return st->ended ? 0 : 1;
}

static void pfmt_close(sl_format_reader *r)
{
	const struct sl_plugin_fmt *pf = fmt_of(r->scan->ops);
	struct pfmt_reader *st = r->state;

	if (st && st->opened && pf->p.close)
		pf->p.close(st->file);
	sl_lines_reader_close(r);
}

/* ---- writing ------------------------------------------------------------ */

/* A sink's writing: the schema of the columns it writes. */
struct pfmt_writer {
	sl_arena arena;
	sl_schema *schema;
};

static int pfmt_writer_init(sl_format_writer *w, sl_err *err)
{
	struct pfmt_writer *st = sl_xcalloc(1, sizeof(*st));

	sl_arena_init(&st->arena);
	sl_oom_own(st); /* an unwind frees it (core/alloc.h) */
	st->schema = sl_schema_new(&st->arena, w->ncols);
	sl_oom_disown(st);
	for (uint32_t i = 0; i < w->ncols; i++)
		st->schema->fields[i] = w->schema->fields[w->cols[i]];
	w->state = st;
	return 0;
}

static void free_batch(void *b)
{
	sl_batch_free(b);
}

static int pfmt_write(const sl_format_writer *w, void *file, const sl_batch *b,
		      uint32_t from, uint32_t n, sl_buf *out, sl_err *err)
{
	const struct sl_plugin_fmt *pf = fmt_of(w->ops);
	const struct pfmt_writer *st = w->state;
	char msg[PFMT_ERRLEN] = "";

	(void)file;
	/* The written columns of the rows, borrowed: the values' bytes stay
	 * in b's arena. */
	sl_batch *view = sl_batch_new(st->schema, n ? n : 1);
	for (uint32_t r = from; r < from + n; r++) {
		const sl_value *in = sl_batch_row(b, r);
		sl_value *row = sl_batch_add_row(view);
		for (uint32_t c = 0; c < w->ncols; c++)
			row[c] = in[w->cols[c]];
	}
	sl_oom_defer(free_batch, view);
	int rc = pf->p.write(pf->p.ud, values_of(w->conf), sl_rows_of(view),
			     (sl_bytes *)out, msg, sizeof(msg));
	sl_oom_undefer(view);
	sl_batch_free(view);
	return rc < 0 ? sl_plugin_err(err, rc, pf->who_sink, msg) : 0;
}

static void pfmt_writer_free(sl_format_writer *w)
{
	struct pfmt_writer *st = w->state;

	if (!st)
		return;
	sl_arena_free(&st->arena);
	free(st);
	w->state = NULL;
}

/* ---- registration ----------------------------------------------------- */

/* The file source's and sink's own cross-option rules; a plugin format
 * has none of its own (sl_file_source_finalize reads only ->finalize). */
static const sl_format_ops pfmt_rules = { .name = "" };

static const char *pfmt_source_finalize(const void *conf)
{
	return sl_file_source_finalize(&pfmt_rules, conf);
}

static const char *pfmt_sink_finalize(const void *conf)
{
	return sl_file_sink_finalize(&pfmt_rules, conf);
}

static bool pfmt_readable(const struct sl_plugin_fmt *pf)
{
	return pf->fops.flags & SL_FORMAT_READ;
}

static bool pfmt_writable(const struct sl_plugin_fmt *pf)
{
	return pf->fops.flags & SL_FORMAT_WRITE;
}

/* The read options: schema, then the plugin's (the same conf as the
 * write options, which are the plugin's only). */
static const sl_opt_def *pfmt_read_options(const sl_opt_def *write,
					   sl_arena *a)
{
	size_t n = 0;
	while (write[n].name)
		n++;
	sl_opt_def *t = sl_arena_calloc(a, (n + 2) * sizeof(*t));
	t[0] = (sl_opt_def){
		.name = "schema",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct pfmt_conf, schema),
		.desc = "The rows' columns, as Spark DDL ('name STRING, n "
			"BIGINT'). Required.",
	};
	memcpy(t + 1, write, n * sizeof(*t));
	return t;
}

static void free_table(void *t)
{
	free(t);
}

static int add_format(sl_session *s, const sl_format_plugin *p)
{
	if (!p || p->size < sizeof(*p))
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_format: the "
				    "plugin's size is not set");
	const char *name = p->name;
	if (!name || !name[0])
		return sl_fail_code(s, SL_EINVAL,
				    "sl_session_add_format: no name");
	if (!p->open != !p->parse)
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_format: "
				    "'%s' has %s without %s", name,
				    p->open ? "open" : "parse",
				    p->open ? "parse" : "open");
	if (!p->open && !p->write)
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_format: "
				    "'%s' neither reads (open, parse) nor "
				    "writes (write)", name);
	if ((p->open && sl_session_source_ops(s, name)) ||
	    (p->write && sl_session_sink_ops(s, name)))
		return sl_fail_code(s, SL_EINVAL, "sl_session_add_format: the "
				    "format name '%s' is taken", name);

	struct sl_plugin_fmt *pf = sl_arena_calloc(&s->arena, sizeof(*pf));
	pf->p = *p;
	pf->p.name = sl_arena_strdup(&s->arena, name);
	snprintf(pf->who_src, sizeof(pf->who_src), "source '%s'", name);
	snprintf(pf->who_sink, sizeof(pf->who_sink), "sink '%s'", name);
	size_t conf_size = 0;
	const sl_opt_def *wopts = sl_plugin_opt_table(
		p->options, &s->arena, offsetof(struct pfmt_conf, values),
		&conf_size);
	const char *desc = p->description ? sl_arena_strdup(&s->arena,
							    p->description)
					  : "a file format of the host's";
	pf->fops = (sl_format_ops){
		.name = pf->p.name,
		.description = desc,
		.label = pf->p.name,
		.extension = p->extension
				     ? sl_arena_strdup(&s->arena, p->extension)
				     : "",
		.flags = (p->open ? SL_FORMAT_READ : 0u) |
			 (p->write ? SL_FORMAT_WRITE : 0u),
		.source_description = desc,
		.sink_description = desc,
		.read_options = pfmt_read_options(wopts, &s->arena),
		.write_options = wopts,
		.conf_size = conf_size,
		.scan_init = pfmt_scan_init,
		.reader_open = pfmt_open,
		.next_batch = pfmt_next,
		.reader_close = pfmt_close,
		.writer_init = pfmt_writer_init,
		.write_batch = pfmt_write,
		.writer_free = pfmt_writer_free,
	};
	/* The merged option tables are malloc'd (sl_format_table): the
	 * session frees them. */
	if (p->open) {
		sl_file_source_ops_init(&pf->src, &pf->fops,
					pfmt_source_finalize);
		sl_session_on_destroy(s, free_table,
				      (void *)pf->src.ops.options);
	}
	if (p->write) {
		sl_file_sink_ops_init(&pf->sink, &pf->fops, pfmt_sink_finalize);
		sl_session_on_destroy(s, free_table,
				      (void *)pf->sink.ops.options);
	}
	pf->next = s->plugin_formats;
	s->plugin_formats = pf;
	return 0;
}

static void add_format_run(sl_api_call *c)
{
	c->rc = add_format((sl_session *)c->a[0], c->a[1]);
}

int sl_session_add_format(sl_session *s, const sl_format_plugin *p)
{
	if (!s)
		return SL_EINVAL;
	sl_api_call c = { .a = { s, p } };
	sl_api_guard(s, "add_format", add_format_run, &c);
	return c.rc;
}

const sl_source_ops *sl_plugin_format_source(const sl_session *s,
					     const char *name)
{
	for (const struct sl_plugin_fmt *pf = s ? s->plugin_formats : NULL; pf;
	     pf = pf->next)
		if (pfmt_readable(pf) && !strcasecmp(pf->p.name, name))
			return &pf->src.ops;
	return NULL;
}

const sl_sink_ops *sl_plugin_format_sink(const sl_session *s,
					 const char *name)
{
	for (const struct sl_plugin_fmt *pf = s ? s->plugin_formats : NULL; pf;
	     pf = pf->next)
		if (pfmt_writable(pf) && !strcasecmp(pf->p.name, name))
			return &pf->sink.ops;
	return NULL;
}
