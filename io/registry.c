/* io/registry.c - the sources, sinks and file formats sluice knows, by
 * name. Adding one: its own file, and one line in SL_REGISTRY below.
 *
 * A format (io/format.h) becomes a file source (io/source_file.c) if it
 * can be read and a file sink (io/sink_file.c) if it can be written; those
 * are made here before main runs, after the sources and sinks of their own
 * in sl_sources and sl_sinks (docs/OPTIONS.md lists them in that order). */
#include <strings.h>

#include "io/format.h"
#include "io/plugin.h"
#include "io/sink_file.h"
#include "io/source_file.h"

/* clang-format off */
#define SL_REGISTRY(SOURCE, SINK, FORMAT)	\
	SOURCE(sl_source_rate)			\
	SOURCE(sl_source_rate_micro_batch)	\
	SOURCE(sl_source_socket)		\
	SOURCE(sl_source_kafka)			\
	SOURCE(sl_source_input)			\
	SINK(sl_sink_console)			\
	SINK(sl_sink_memory)			\
	SINK(sl_sink_foreach)			\
	SINK(sl_sink_foreach_batch)		\
	SINK(sl_sink_noop)			\
	SINK(sl_sink_kafka)			\
	FORMAT(sl_format_text)			\
	FORMAT(sl_format_csv)			\
	FORMAT(sl_format_json)			\
	FORMAT(sl_format_parquet)
/* clang-format on */

#define NOTHING(x)
#define COUNT(x) +1

#define DECLARE_SOURCE(x) extern const sl_source_ops x;
#define DECLARE_SINK(x) extern const sl_sink_ops x;
/* A format's file source and sink, and their finalize steps, which must
 * know the format (sl_source_ops.finalize sees only the conf). */
#define DECLARE_FORMAT(x)                                                      \
	extern const sl_format_ops x;                                          \
	static sl_file_source_ops x##_source;                                  \
	static sl_file_sink_ops x##_sink;                                      \
	static const char *x##_source_finalize(const void *conf)               \
	{                                                                      \
		return sl_file_source_finalize(&x, conf);                      \
	}                                                                      \
	static const char *x##_sink_finalize(const void *conf)                 \
	{                                                                      \
		return sl_file_sink_finalize(&x, conf);                        \
	}
SL_REGISTRY(DECLARE_SOURCE, DECLARE_SINK, DECLARE_FORMAT)

enum { SL_NREGISTERED = 0 SL_REGISTRY(COUNT, COUNT, COUNT) };

const sl_source_ops *sl_sources[SL_NREGISTERED + 1];
const sl_sink_ops *sl_sinks[SL_NREGISTERED + 1];

#define LIST_FORMAT(x) &x,
const sl_format_ops *const sl_formats[] = {
	SL_REGISTRY(NOTHING, NOTHING, LIST_FORMAT) NULL,
};

#define ADD_SOURCE(x) sl_sources[nsources++] = &x;
#define ADD_SINK(x) sl_sinks[nsinks++] = &x;
#define ADD_FORMAT_SOURCE(x)                                                   \
	if (x.flags & SL_FORMAT_READ) {                                        \
		sl_file_source_ops_init(&x##_source, &x, x##_source_finalize); \
		sl_sources[nsources++] = &x##_source.ops;                      \
	}
#define ADD_FORMAT_SINK(x)                                                     \
	if (x.flags & SL_FORMAT_WRITE) {                                       \
		sl_file_sink_ops_init(&x##_sink, &x, x##_sink_finalize);       \
		sl_sinks[nsinks++] = &x##_sink.ops;                            \
	}

/* Before main: sl_sources and sl_sinks are read as plain arrays (docs,
 * error messages), from any thread. */
__attribute__((constructor)) static void registry_init(void)
{
	int nsources = 0, nsinks = 0;

	SL_REGISTRY(ADD_SOURCE, ADD_SINK, NOTHING)
	SL_REGISTRY(NOTHING, NOTHING, ADD_FORMAT_SOURCE)
	SL_REGISTRY(NOTHING, NOTHING, ADD_FORMAT_SINK)
}

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

const sl_format_ops *sl_format_lookup(const char *name)
{
	for (int i = 0; sl_formats[i]; i++)
		if (!strcasecmp(sl_formats[i]->name, name))
			return sl_formats[i];
	return NULL;
}
