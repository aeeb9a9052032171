/* core/atomic_file.h - the one crash-safe file write: a temporary file in
 * the same directory, written, fsynced and closed, renamed over its name,
 * then the directory fsynced, so after a crash the name holds the old
 * content or the new, never a mix. The checkpoint's files
 * (engine/ckpt_file.c, which adds a checksum line) and the file sink's
 * manifests (io/sink_file_manifest.c, Spark's format byte for byte) are
 * written through it; each names its failures in its own words from the
 * step that failed. */
#ifndef SL_CORE_ATOMIC_FILE_H
#define SL_CORE_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The step of sl_atomic_file_write that failed. */
typedef enum sl_atomic_step {
	SL_ATOMIC_CREATE,    /* creating the temporary file */
	SL_ATOMIC_WRITE,     /* writing it */
	SL_ATOMIC_FSYNC,     /* fsyncing it */
	SL_ATOMIC_CLOSE,     /* closing it */
	SL_ATOMIC_RENAME,    /* renaming it over name */
	SL_ATOMIC_FSYNC_DIR, /* fsyncing the directory (after the rename) */
} sl_atomic_step;

/* Writes body[0..len) to dirfd/name through the temporary file dirfd/tmp.
 * noreplace: the rename refuses to replace an existing name (a file
 * system without RENAME_NOREPLACE gets a plain rename: then one writer
 * per name is assumed). Returns 0; 1 when noreplace and name existed
 * (nothing written); or -errno with *failed set. The temporary file is
 * removed whenever the rename did not happen. */
int sl_atomic_file_write(int dirfd, const char *tmp, const char *name,
			 const void *body, size_t len, bool noreplace,
			 sl_atomic_step *failed);

#endif
