/* engine/plugin_internal.h - what the host's sources and sinks
 * (engine/plugin.c) and file formats (engine/plugin_format.c) share:
 * the row emitter behind sl_emit_*, the plugins' option tables and
 * error messages, and the format lookups. Private to those files and
 * the session's lookups. */
#ifndef SL_ENGINE_PLUGIN_INTERNAL_H
#define SL_ENGINE_PLUGIN_INTERNAL_H

#include "core/option.h"
#include "engine/engine.h"
#include "io/plugin.h"
#include "sluice_plugin.h"

/* The record vector sl_emit_row and the setters fill: rows of `schema`
 * appended to b, at most max of them; messages name `who`. */
struct sl_emit {
	const sl_schema *schema;
	const char *who; /* "source 'NAME'" */
	sl_batch *b;
	uint32_t max;
	sl_err err;
};

/* The option table of a plugin: every option a string, the conf an array
 * of their values in the plugin's order, from offset base on; *conf_size
 * covers base and the array. NULL-terminated, in arena a. */
sl_opt_def *sl_plugin_opt_table(const sl_plugin_option *o, sl_arena *a,
				size_t base, size_t *conf_size);

/* "WHO: MSG" (the code's description when the plugin wrote none) into
 * err; returns rc (SL_EINVAL if rc >= 0). */
int sl_plugin_err(sl_err *err, int rc, const char *who, const char *msg);

/* The file source or file sink of the format plugin `name` registered
 * in s (engine/plugin_format.c), or NULL. */
const sl_source_ops *sl_plugin_format_source(const sl_session *s,
					     const char *name);
const sl_sink_ops *sl_plugin_format_sink(const sl_session *s,
					 const char *name);

#endif
