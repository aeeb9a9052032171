/* engine/group_state_plan.c - planning per-group state for C users
 * (sl_frame_group_state: Spark's mapGroupsWithState and
 * flatMapGroupsWithState). The frame is an sl_agg_frame with `gstate`
 * set, so everything that finds "the stateful operator" (the mode check,
 * the single stateful sink partition, the chain split) finds it as it
 * finds an aggregation. This file plans; the operator that runs it,
 * sl_group_state_op (ops/group_state.c), lives in the stateful sink
 * (engine/stateful.c). docs/STATEFUL.md, section 10. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/stateful.h"

static const sl_wm_frame *watermark_below(const sl_frame *f)
{
	for (; f; f = f->parent)
		if (f->kind == SL_FR_WATERMARK)
			return (const sl_wm_frame *)f;
	return NULL;
}

/* The other stateful operator below f, refused with Spark's words where
 * Spark refuses it too. */
static int refuse_below(const sl_agg_frame *below, sl_err *err)
{
	if (below->gstate)
		return sl_err_set(
			err, SL_EANALYSIS,
			"Multiple mapGroupsWithStates are not "
			"supported on a streaming DataFrames/Datasets");
	if (below->dedup)
		return sl_err_set(err, SL_EANALYSIS,
				  "mapGroupsWithState/flatMapGroupsWithState "
				  "over dropDuplicates/DISTINCT is not "
				  "supported: a query has one stateful "
				  "operator");
	return sl_err_set(err, SL_EANALYSIS,
			  "flatMapGroupsWithState in append mode is not "
			  "supported after aggregation on a streaming "
			  "DataFrame/Dataset (nor is mapGroupsWithState)");
}

/* The spec's mode: map is update; flat declares append or update. */
static int plan_mode(const sl_group_state_spec *spec, sl_output_mode *mode,
		     sl_err *err)
{
	const char *m = spec->output_mode;
	if (!spec->flat) {
		if (m && strcasecmp(m, "update"))
			return sl_err_set(err, SL_EINVAL,
					  "mapGroupsWithState: output_mode "
					  "'%s' is not allowed: map functions "
					  "run in update mode (leave it NULL, "
					  "or use flat for 'append')",
					  m);
		*mode = SL_MODE_UPDATE;
		return 0;
	}
	if (m && !strcasecmp(m, "append"))
		*mode = SL_MODE_APPEND;
	else if (m && !strcasecmp(m, "update"))
		*mode = SL_MODE_UPDATE;
	else
		return sl_err_set(err, SL_EINVAL,
				  "flatMapGroupsWithState: output_mode must "
				  "be 'append' or 'update' (the mode the "
				  "function is written for), not '%s'",
				  m ? m : "(null)");
	return 0;
}

sl_frame *sl_stateful_group_state(sl_frame *f, const char *const *keys,
				  const sl_group_state_spec *spec, sl_err *err)
{
	sl_arena *a = &f->session->arena;
	const sl_schema *in = f->schema;
	const sl_agg_frame *below = sl_stateful_find(f);
	if (below) {
		refuse_below(below, err);
		return NULL;
	}
	if (!spec || !spec->fn || !spec->output_schema) {
		sl_err_set(err, SL_EINVAL,
			   "group state: the spec needs a function (fn) and an "
			   "output_schema");
		return NULL;
	}
	if (spec->timeout > SL_GROUP_TIMEOUT_EVENT) {
		sl_err_set(err, SL_EINVAL,
			   "group state: unknown timeout %d (use "
			   "SL_GROUP_TIMEOUT_NONE, _PROCESSING or _EVENT)",
			   (int)spec->timeout);
		return NULL;
	}
	sl_output_mode mode = SL_MODE_UPDATE;
	if (plan_mode(spec, &mode, err))
		return NULL;
	sl_err e = { 0 };
	sl_schema *out = sl_schema_parse(spec->output_schema, a, &e);
	if (!out || !out->n) {
		sl_err_set(
			err, SL_EINVAL, "group state: output_schema '%s': %s",
			spec->output_schema, e.msg[0] ? e.msg : "no columns");
		return NULL;
	}

	uint32_t n = 0;
	while (keys && keys[n])
		n++;
	uint32_t *kcols = sl_arena_calloc(a, (n ? n : 1) * sizeof(*kcols));
	sl_schema *ks = sl_schema_new(a, n);
	if (sl_stateful_columns(in, keys, n, "group state key", kcols, err))
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		ks->fields[i] = in->fields[kcols[i]];

	/* The watermark's column, when it is still one of f's: it advances
	 * the watermark that event-time timeouts fire at. */
	const sl_wm_frame *wm = watermark_below(f);
	int32_t wm_col = -1;
	if (wm)
		wm_col = sl_schema_find(in, wm->column, strlen(wm->column));
	if (spec->timeout == SL_GROUP_TIMEOUT_EVENT && wm_col < 0) {
		sl_err_set(err, SL_EANALYSIS,
			   "Watermark must be specified in the query using "
			   "withWatermark() (sl_frame_with_watermark, on a "
			   "column of the grouped frame) for using event-time "
			   "timeout in a %s. Event-time timeout not supported "
			   "without watermark.",
			   spec->flat ? "flatMapGroupsWithState"
				      : "mapGroupsWithState");
		return NULL;
	}

	sl_agg_frame *ag = sl_arena_calloc(a, sizeof(*ag));
	ag->gstate = true;
	ag->gmode = mode;
	sl_group_state_op_spec *gs = &ag->gspec;
	gs->in = in;
	gs->nkeys = n;
	gs->keys = kcols;
	gs->key_schema = ks;
	gs->out = out;
	gs->fn = spec->fn;
	gs->ud = spec->ud;
	gs->flat = spec->flat;
	gs->timeout = spec->timeout;
	gs->wm_col = wm_col;
	gs->wm_delay_us = wm ? wm->delay_us : 0;
	const char **names = sl_arena_calloc(a, (n + 1) * sizeof(*names));
	for (uint32_t i = 0; i < n; i++)
		names[i] = ks->fields[i].name;
	sl_stateful_op_frame(ag, f, out, wm_col >= 0 ? wm : NULL, names, n);
	return &ag->f;
}

static sl_frame *frame_group_state(sl_frame *f, const char *const *keys,
			       const sl_group_state_spec *spec)
{
	sl_err err = { 0 };
	if (!f)
		return NULL;
	if (f->kind == SL_FR_STATIC) {
		sl_err_set(&err, SL_EANALYSIS,
			   "group state: a static table (sl_session_read_static) is "
			   "not a stream");
		return sl_fail(f->session, &err);
	}
	sl_group_state_spec full;
	if (spec && !sl_sized_in(&full, sizeof(full), spec)) {
		sl_err_set(&err, SL_EINVAL,
			   "group state: sl_group_state_spec.size is 0 (set "
			   "it to sizeof(sl_group_state_spec))");
		return sl_fail(f->session, &err);
	}
	sl_frame *o = sl_stateful_group_state(f, keys, spec ? &full : NULL,
					      &err);
	return o ? o : sl_fail(f->session, &err);
}

static void frame_group_state_run(sl_api_call *c)
{
	c->ret = frame_group_state((sl_frame *)c->a[0], c->a[1], c->a[2]);
}

sl_frame *sl_frame_group_state(sl_frame *f, const char *const *keys,
			       const sl_group_state_spec *spec)
{
	sl_api_call c = { .a = { f, keys, spec } };
	sl_api_guard(f ? f->session : NULL, "group_state",
		     frame_group_state_run, &c);
	return c.ret;
}
