/* io/sink_file.h - the file sinks (one per writable format, io/format.h;
 * io/sink_file.c): how the registry makes them, and reading what they
 * committed.
 *
 * The file sink writes part files into its output directory and makes them
 * visible batch by batch through the manifest log `<path>/_spark_metadata/N`
 * (Spark's FileStreamSink layout). A part file that is on disk but in no
 * manifest was written by a batch that never committed (a crash between
 * the write and the commit): it is not part of the output. Readers must
 * therefore take the file list from the manifest, never from a directory
 * listing; this is that list. */
#ifndef SL_IO_SINK_FILE_H
#define SL_IO_SINK_FILE_H

#include <stddef.h>

#include "core/value.h"
#include "io/format.h"
#include "io/plugin.h"

/* The file sink of one format: sk->ops points at `ops`. Made by the
 * registry (io/registry.c) for every format that can be written. */
typedef struct sl_file_sink_ops {
	sl_sink_ops ops;
	const sl_format_ops *format;
} sl_file_sink_ops;

/* Fills o: name, description and options from the format (the sink's
 * options, then the format's write options); finalize is the registry's
 * function that calls sl_file_sink_finalize with this format. */
void sl_file_sink_ops_init(sl_file_sink_ops *o, const sl_format_ops *format,
			   const char *(*finalize)(const void *conf));
/* The format's cross-option rules over the sink's conf. */
const char *sl_file_sink_finalize(const sl_format_ops *format,
				  const void *conf);

/* Lists the files the file sink at `path` has committed, in commit order
 * (the files of batch 0, then batch 1, ...), as absolute local paths.
 * Manifests written by Spark are read too: `N.compact` files, "delete"
 * entries, and "file:" URIs.
 *
 * *files is a malloc'd array of *n malloc'd strings: free it with
 * sl_file_sink_list_free(). Returns 0; SL_ENOTFOUND when path has no
 * `_spark_metadata` directory (not a file sink's output); SL_EINVAL when a
 * manifest is not one (bad version line, a line that is not JSON); SL_EIO
 * when it cannot be read. Uses the calling thread's io_uring ring. */
int sl_file_sink_list(const char *path, char ***files, size_t *n, sl_err *err);

/* Frees what sl_file_sink_list returned. NULL is a no-op. */
void sl_file_sink_list_free(char **files, size_t n);

#endif
