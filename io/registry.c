/* io/registry.c - the sources and sinks sluice knows, by format name.
 * Adding a source or sink: its own file, and one line here. */
#include <strings.h>

#include "core/plugin.h"

extern const sl_source_ops sl_source_rate, sl_source_rate_micro_batch,
	sl_source_text, sl_source_csv, sl_source_json, sl_source_socket,
	sl_source_kafka;
extern const sl_sink_ops sl_sink_console, sl_sink_memory, sl_sink_foreach,
	sl_sink_foreach_batch, sl_sink_noop, sl_sink_kafka, sl_sink_file_json,
	sl_sink_file_csv, sl_sink_file_text;

const sl_source_ops *const sl_sources[] = {
	&sl_source_rate,
	&sl_source_rate_micro_batch,
	&sl_source_text,
	&sl_source_csv,
	&sl_source_json,
	&sl_source_socket,
	&sl_source_kafka,
	NULL,
};

const sl_sink_ops *const sl_sinks[] = {
	&sl_sink_console, &sl_sink_memory, &sl_sink_foreach,
	&sl_sink_foreach_batch, &sl_sink_noop, &sl_sink_kafka,
	&sl_sink_file_json, &sl_sink_file_csv, &sl_sink_file_text, NULL,
};

const sl_source_ops *sl_source_lookup(const char *name)
{
	for (int i = 0; sl_sources[i]; i++)
		if (!strcasecmp(sl_sources[i]->name, name))
			return sl_sources[i];
	return NULL;
}

const sl_sink_ops *sl_sink_lookup(const char *name)
{
	for (int i = 0; sl_sinks[i]; i++)
		if (!strcasecmp(sl_sinks[i]->name, name))
			return sl_sinks[i];
	return NULL;
}
