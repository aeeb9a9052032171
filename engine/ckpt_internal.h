/* engine/ckpt_internal.h - what the checkpoint's files share and nobody else
 * needs: the handle, and the JSON and directory helpers built on the
 * crash-safe primitives.
 *
 * engine/checkpoint.c opens the directory (metadata, fingerprint, source
 * blobs); engine/ckpt_log.c keeps the offsets/commits log and recovers from
 * it; engine/ckpt_file.c holds the crash-safe file primitives under both. */
#ifndef SL_CORE_CKPT_INTERNAL_H
#define SL_CORE_CKPT_INTERNAL_H

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "engine/checkpoint.h"

struct sl_ckpt {
	pthread_mutex_t lock; /* every call but the getters of constants */
	char *path;
	char *off_path, *com_path, *src_path;
	int root_fd, off_fd, com_fd, src_fd;
	char *id;
	bool created;
	/* SL_CKPT_PARTS_MAY_GROW given, and the stored plan had fewer
	 * source partitions: the metadata is rewritten with the new plan. */
	bool parts_may_grow, plan_grew;
	int64_t retain;
	/* The lowest epoch that may still have offsets/commits files: where
	 * the next purge starts, so a purge touches only what it deletes
	 * instead of listing the directories every epoch. */
	int64_t purge_from;
	/* Stats are written under the lock but read without it, so that a
	 * progress report never waits behind a commit's fsyncs. Relaxed:
	 * each field is a number on its own; a reader may pair one commit's
	 * epoch with the previous one's duration, which a report tolerates. */
	_Atomic int64_t last_offsets_us, last_commit_us, last_purge_us;
	_Atomic int64_t max_commit_us, last_committed;
	_Atomic uint64_t ncommits;
};

#define sl_ckpt_stat_set(c, f, v)                                              \
	atomic_store_explicit(&(c)->f, (v), memory_order_relaxed)
#define sl_ckpt_stat_get(c, f)                                                 \
	atomic_load_explicit(&(c)->f, memory_order_relaxed)

/* An epoch's file name: its number in decimal. */
static inline void sl_ckpt_epoch_name(int64_t epoch, char buf[24])
{
	snprintf(buf, 24, "%" PRId64, epoch);
}

static inline bool sl_ckpt_json_i64(const json_t *o, const char *key,
				    int64_t *v)
{
	const json_t *x = json_object_get(o, key);

	if (!json_is_integer(x))
		return false;
	*v = json_integer_value(x);
	return true;
}

/* j as indented JSON through sl_ckpt_file_write. */
int sl_ckpt_json_write(int dirfd, const char *dirpath, const char *name,
		       const json_t *j, sl_err *err);
/* A checked file parsed as JSON: 0, SL_ENOTFOUND, SL_EINVAL (torn, corrupt
 * or not JSON), SL_EIO. */
int sl_ckpt_json_read(int dirfd, const char *dirpath, const char *name,
		      json_t **out, sl_err *err);
/* The epoch file names of a directory, ascending (*out malloc'd). */
int sl_ckpt_list_epochs(int dirfd, const char *dirpath, int64_t **out,
			uint32_t *n, sl_err *err);
int sl_ckpt_cmp_i64(const void *a, const void *b);

#endif
