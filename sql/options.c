/* sql/options.c - the WITH (...) options of CREATE SOURCE, TABLE and SINK,
 * for sql/builder.c: the format split from the rest, a sink's options
 * checked at load by the same tables sl_frame_start will use, and what
 * sl_frame_start would refuse for an INSERT (output mode, trigger), so
 * that `sluice validate` finds what `sluice run` would; every engine
 * message about an option located at that option in the file. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "sql/internal.h"

/* Where msg holds 'word' (quotes included, case-insensitive), or NULL. */
static const char *quoted_at(const char *msg, const char *word)
{
	size_t n = strlen(word);
	for (const char *q = strchr(msg, '\''); n && q; q = strchr(q + 1, '\''))
		if (!strncasecmp(q + 1, word, n) && q[n + 1] == '\'')
			return q;
	return NULL;
}

/* The option an engine message is about, by the first of them it quotes:
 * the value of one whose key and value it quotes ("option 'x' = 'abc' is
 * not a number"), the key of one whose key only it quotes ("unknown option
 * 'x'"), the value of one whose value only it quotes ("trigger 'sometimes'
 * is not valid"), else the statement's name. The format option is left
 * out: every message names the component as "source 'rate': ...", and
 * unknown formats are found before the engine is asked. */
uint32_t sl_pipeline_blame_opt(const sl_pipeline_stmt *st, const char *msg)
{
	const sl_pipeline_opt *best = NULL;
	const char *at = NULL, *q;
	for (int pass = 0; pass < 2 && !best; pass++)
		for (uint32_t k = 0; k < st->nopts; k++) {
			const sl_pipeline_opt *o = &st->opts[k];
			if (!strcasecmp(o->key.s, "format"))
				continue;
			q = quoted_at(msg, pass ? o->value.s : o->key.s);
			if (q && (!at || q < at)) {
				at = q;
				best = o;
			}
		}
	if (!best)
		return st->name.off;
	return quoted_at(msg, best->value.s) ? best->value.off : best->key.off;
}

static const sl_pipeline_opt *find_opt(const sl_pipeline_stmt *st,
				       const char *key)
{
	for (uint32_t k = 0; k < st->nopts; k++)
		if (!strcasecmp(st->opts[k].key.s, key))
			return &st->opts[k];
	return NULL;
}

bool sl_pipeline_is_writer_option(const char *key)
{
	for (int j = 0; sl_writer_option_names[j]; j++)
		if (!strcasecmp(key, sl_writer_option_names[j]))
			return true;
	return false;
}

/* The format option, and the rest as the engine's key/value array. */
int sl_pipeline_split_format(sl_pipeline *p, struct sl_pipeline_rel *r,
			     sl_err *err)
{
	const sl_pipeline_stmt *st = r->st;
	r->format = find_opt(st, "format");
	if (!r->format)
		return sl_pipeline_err(
			p->f, err, SL_EOPTION, st->name.off,
			"%s '%s' has no format: add format = '%s' to "
			"its WITH list",
			sl_pipeline_kind_name(st->kind), st->name.s,
			st->kind == SL_PIPELINE_SOURCE ? "rate" : "console");
	r->opts = sl_arena_calloc(&p->f->arena,
				  (2 * st->nopts + 1) * sizeof(*r->opts));
	uint32_t n = 0;
	for (uint32_t k = 0; k < st->nopts; k++) {
		if (&st->opts[k] == r->format)
			continue;
		r->opts[n++] = st->opts[k].key.s;
		r->opts[n++] = st->opts[k].value.s;
	}
	return 0;
}

/* The sink's options, checked now by the same tables sl_frame_start will
 * use, so that `validate` finds what `run` would. */
int sl_pipeline_check_sink(sl_pipeline *p, struct sl_pipeline_rel *r,
			   sl_err *err)
{
	const sl_pipeline_stmt *st = r->st;
	int rc = sl_pipeline_split_format(p, r, err);
	if (rc)
		return rc;
	const sl_sink_ops *ops = sl_session_sink_ops(p->s, r->format->value.s);
	if (!ops) {
		char known[256] = "";
		size_t len = 0;
		for (int i = 0; sl_sinks[i]; i++)
			if (len < sizeof(known))
				len += snprintf(known + len,
						sizeof(known) - len, "%s%s",
						i ? ", " : "",
						sl_sinks[i]->name);
		return sl_pipeline_err(p->f, err, SL_EFORMAT,
				       r->format->value.off,
				       "unknown sink format '%s' (known: %s)",
				       r->format->value.s, known);
	}
	if (!strcasecmp(ops->name, "foreach") ||
	    !strcasecmp(ops->name, "foreachBatch"))
		return sl_pipeline_err(
			p->f, err, SL_EFORMAT, r->format->value.off,
			"sink format '%s' calls C functions: it is "
			"available from the C API (sl_frame_start with "
			"callbacks), not from a pipeline file",
			ops->name);
	r->fmt_name = ops->name;
	r->sink_modes = ops->modes;
	r->sink_continuous = ops->continuous;

	sl_arena a;
	sl_err e = { 0 };
	sl_kvs all = { 0 }, writer = { 0 };
	sl_writer_conf w;
	sl_arena_init(&a);
	for (uint32_t k = 0; r->opts[k]; k += 2) {
		sl_kvs_add(&all, &a, r->opts[k], r->opts[k + 1]);
		if (sl_pipeline_is_writer_option(r->opts[k]))
			sl_kvs_add(&writer, &a, r->opts[k], r->opts[k + 1]);
	}
	char comp[96];
	snprintf(comp, sizeof(comp), "sink '%s'", ops->name);
	void *conf = sl_arena_calloc(&a, ops->conf_size ? ops->conf_size : 1);
	rc = sl_options_apply(ops->options, conf, &all, sl_writer_option_names,
			      comp, &a, &e);
	if (!rc)
		rc = sl_options_finalize(ops->finalize, conf, comp, &e);
	if (!rc)
		rc = sl_options_apply(sl_writer_options, &w, &writer, NULL,
				      "query", &a, &e);
	if (!rc)
		rc = sl_trigger_parse(w.trigger ? w.trigger : "", &r->trig, &e);
	if (!rc) {
		r->mode = w.output_mode;
		r->query_name = w.query_name ? sl_arena_strdup(&p->f->arena,
							       w.query_name)
					     : NULL;
	}
	/* The sink's destroy is not called: init never ran. */
	sl_arena_free(&a);
	if (rc)
		return sl_pipeline_err(p->f, err, rc,
				       sl_pipeline_blame_opt(st, e.msg), "%s",
				       e.msg);
	return 0;
}

uint32_t sl_pipeline_opt_off(const struct sl_pipeline_rel *sink,
			     const char *key)
{
	const sl_pipeline_opt *o = find_opt(sink->st, key);
	return o ? o->value.off : sink->st->name.off;
}

/* Everything sl_frame_start will check (the compatibility table of
 * output modes and triggers, the sink's options), asked of the engine
 * itself so that `validate` reports what `run` would, at the option that
 * causes it. */
int sl_pipeline_check_start(sl_pipeline *p, const struct sl_pipeline_rel *r,
			    sl_err *err)
{
	const struct sl_pipeline_rel *sink = r->sink;
	int rc = sl_frame_check_start(r->frame, sink->fmt_name, sink->opts);
	if (!rc)
		return 0;
	const char *msg = sl_session_errmsg(p->s);
	uint32_t off =
		rc == SL_EMODE
			? sl_pipeline_opt_off(sink, strstr(msg, "trigger")
							    ? "trigger"
							    : "outputMode")
			: sl_pipeline_blame_opt(sink->st, msg);
	return sl_pipeline_err(p->f, err, rc, off, "%s", msg);
}
