/* sql/explain.c - the plan `sluice validate` prints (sl_pipeline_describe):
 * what sql/builder.c built, statement by statement: each source with its
 * format, options and schema, each view, each sink with its mode and
 * trigger, and each query's chain of operators from its source to its
 * sink, views expanded. */
#include <stdio.h>

#include "core/buf.h"
#include "sql/internal.h"

static const char *mode_name(int m)
{
	return m == SL_MODE_APPEND   ? "append"
	       : m == SL_MODE_UPDATE ? "update"
				     : "complete";
}

static void out_where(sl_buf *o, const sl_pipeline *p,
		      const sl_pipeline_stmt *st)
{
	int l, c;
	sl_pipeline_linecol(p->f, st->off, &l, &c);
	sl_buf_printf(o, " (%s:%d:%d)\n", p->f->filename, l, c);
}

/* The format and the component's own options (a sink's writer options
 * have lines of their own). */
static void out_opts(sl_buf *o, const struct sl_pipeline_rel *r)
{
	bool sink = r->st->kind == SL_PIPELINE_SINK, first = true;
	sl_buf_printf(o, "  format   %s\n", r->fmt_name);
	for (uint32_t k = 0; r->opts[k]; k += 2) {
		if (sink && sl_pipeline_is_writer_option(r->opts[k]))
			continue;
		sl_buf_printf(o, "%s %s=%s", first ? "  options " : ",",
			      r->opts[k],
			      sl_option_secret(r->opts[k]) ? "(secret)"
							   : r->opts[k + 1]);
		first = false;
	}
	if (!first)
		sl_buf_printf(o, "\n");
}

static void out_schema(sl_buf *o, sl_frame *f)
{
	char sc[1024];
	sl_frame_schema(f, sc, sizeof(sc));
	sl_buf_printf(o, "  schema   %s\n", sc);
}

static void out_chain(sl_buf *o, const struct sl_pipeline_rel *r);

/* The operators from the source up to one SELECT r, views expanded. */
static void out_select(sl_buf *o, const struct sl_pipeline_rel *r)
{
	const sl_pipeline_select *sel = &r->st->sel;
	char via[160] = "";
	if (r->from->st->kind == SL_PIPELINE_SOURCE)
		sl_buf_printf(o, "  read     %s (%s)\n", r->from->st->name.s,
			      r->from->fmt_name);
	else
		out_chain(o, r->from);
	if (r->st->kind == SL_PIPELINE_VIEW)
		snprintf(via, sizeof(via), "   [view %s]", r->st->name.s);
	if (sel->join.s)
		sl_buf_printf(o, "  join     %s (%s, static table)%s\n",
			      sel->join.s, sel->join_left ? "left" : "inner",
			      via);
	if (sel->wm_col.s)
		sl_buf_printf(o, "  watermark %s delay %s%s\n", sel->wm_col.s,
			      sel->wm_delay.s, via);
	if (sel->where.s)
		sl_buf_printf(o, "  where    %s%s\n", sel->where.s, via);
	if (r->aggregate) {
		sl_buf_printf(o, "  group by ");
		for (uint32_t k = 0; k < sel->ngroup; k++)
			sl_buf_printf(o, "%s%s", k ? ", " : "",
				      sel->group[k].s);
		sl_buf_printf(o, "%s%s   (stateful, micro-batch)\n",
			      sel->ngroup ? "" : "() [global]", via);
		if (sel->having.s)
			sl_buf_printf(o, "  having   %s%s\n", sel->having.s,
				      via);
	}
	if (r->distinct)
		sl_buf_printf(o, "  distinct (stateful, micro-batch)%s\n", via);
	if (!sel->star || r->aggregate) {
		sl_buf_printf(o, "  select   ");
		for (uint32_t k = 0; k < sel->nitems; k++)
			sl_buf_printf(o, "%s%s", k ? ", " : "",
				      sel->items[k].s);
		sl_buf_printf(o, "%s\n", via);
	}
}

/* r's SELECT, then each of its UNION ALL SELECTs. */
static void out_chain(sl_buf *o, const struct sl_pipeline_rel *r)
{
	out_select(o, r);
	for (const struct sl_pipeline_rel *a = r->arm; a; a = a->arm) {
		if (r->st->kind == SL_PIPELINE_VIEW)
			sl_buf_printf(o, "  union all   [view %s]\n",
				      r->st->name.s);
		else
			sl_buf_printf(o, "  union all\n");
		out_select(o, a);
	}
}

size_t sl_pipeline_describe(const sl_pipeline *p, char *buf, size_t n)
{
	sl_buf o;
	/* fixed: what does not fit is counted, not stored, as snprintf */
	sl_buf_fixed(&o, buf, n);
	uint32_t count[SL_PIPELINE_SET + 1] = { 0 };
	for (uint32_t i = 0; i < p->nrels; i++)
		count[p->rels[i].st->kind]++;
	sl_buf_printf(&o,
		      "pipeline %s: %u source%s, %u view%s, %u sink%s, %u "
		      "quer%s\n",
		      p->f->filename, count[SL_PIPELINE_SOURCE],
		      count[SL_PIPELINE_SOURCE] == 1 ? "" : "s",
		      count[SL_PIPELINE_VIEW],
		      count[SL_PIPELINE_VIEW] == 1 ? "" : "s",
		      count[SL_PIPELINE_SINK],
		      count[SL_PIPELINE_SINK] == 1 ? "" : "s",
		      count[SL_PIPELINE_INSERT],
		      count[SL_PIPELINE_INSERT] == 1 ? "y" : "ies");
	for (uint32_t i = 0; i < p->nrels; i++) {
		const struct sl_pipeline_rel *r = &p->rels[i];
		const sl_pipeline_stmt *st = r->st;
		sl_buf_printf(&o, "\n");
		switch (st->kind) {
		case SL_PIPELINE_SOURCE:
			sl_buf_printf(&o, "source %s", st->name.s);
			out_where(&o, p, st);
			out_opts(&o, r);
			out_schema(&o, r->frame);
			break;
		case SL_PIPELINE_VIEW:
			sl_buf_printf(&o, "view %s", st->name.s);
			out_where(&o, p, st);
			out_chain(&o, r);
			out_schema(&o, r->frame);
			break;
		case SL_PIPELINE_SINK: {
			char trig[96];
			sl_trigger_describe(&r->trig, trig, sizeof(trig));
			sl_buf_printf(&o, "sink %s", st->name.s);
			out_where(&o, p, st);
			out_opts(&o, r);
			sl_buf_printf(&o, "  mode     %s\n",
				      mode_name(r->mode));
			sl_buf_printf(&o, "  trigger  %s\n", trig);
			if (r->query_name)
				sl_buf_printf(&o, "  name     %s\n",
					      r->query_name);
			if (!r->writer)
				sl_buf_printf(
					&o,
					"  (no INSERT INTO writes to it)\n");
			break;
		}
		case SL_PIPELINE_SET:
			sl_buf_printf(&o, "set %s = %s\n", st->opts[0].key.s,
				      sl_option_secret(st->opts[0].key.s)
					      ? "(secret)"
					      : st->opts[0].value.s);
			break;
		case SL_PIPELINE_INSERT: {
			char trig[96];
			sl_trigger_describe(&r->sink->trig, trig, sizeof(trig));
			sl_buf_printf(&o, "query INSERT INTO %s", st->name.s);
			out_where(&o, p, st);
			out_chain(&o, r);
			out_schema(&o, r->frame);
			sl_buf_printf(&o,
				      "  write    %s (%s), outputMode %s, "
				      "trigger %s\n",
				      r->sink->st->name.s, r->sink->fmt_name,
				      mode_name(r->sink->mode), trig);
			break;
		}
		}
	}
	sl_buf_cstr(&o);
	return o.len;
}
