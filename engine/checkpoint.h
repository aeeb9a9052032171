/* engine/checkpoint.h - a query's checkpoint directory (checkpointLocation):
 * the write-ahead log of epoch/batch offsets, their commits, per-source
 * blobs, and the crash-safe file primitives every checkpoint file uses.
 *
 * Where it sits: the coordinator writes offsets/N when it fixes epoch or
 * batch N (micro-batch: before the partitions read it; continuous: once every
 * source and sink has acknowledged it), the sink side writes commits/N after
 * the sink committed N, and `start` recovers from the directory before any
 * thread runs. docs/CHECKPOINTS.md describes the layout and the guarantees
 * for users, docs/ARCHITECTURE.md section 4 the protocol. Implemented in
 * engine/checkpoint.c (open, metadata, source blobs), engine/ckpt_log.c
 * (offsets, commits, purge, recovery) and engine/ckpt_file.c (files).
 *
 * Layout, all plain JSON text followed by a checksum line:
 *   <dir>/metadata                     id, plan fingerprint, plan, version
 *   <dir>/offsets/<N>                  epoch N: per source, per partition
 *                                      start and end offsets; watermark;
 *                                      an optional JSON blob per source
 *   <dir>/commits/<N>                  epoch N is committed by the sink(s)
 *   <dir>/sources/<source>/<key>       named JSON blobs a source keeps
 *   <dir>/state/<op>/<part>/<N>.delta|.snapshot   reserved for state stores
 *
 * Errors: SL_EIO (with the path and the OS's reason) when the directory or a
 * file cannot be read or written; SL_EINVAL when what is there is not a
 * checkpoint of this query (garbage metadata, another query's plan);
 * SL_ENOTFOUND for a source blob that was never written; SL_ESTATE for a
 * call in the wrong order (commit before offsets) or a checkpoint already
 * in use.
 *
 * Thread-safety: an sl_ckpt serialises its own calls (one mutex), so the
 * coordinator, the sink thread and progress reporting may share one. Two
 * handles on the same directory are refused (flock on the directory), in
 * this process or another. */
#ifndef SL_CORE_CHECKPOINT_H
#define SL_CORE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/value.h"

#define SL_CKPT_VERSION 1
#define SL_CKPT_RETAIN_DEFAULT 100 /* minBatchesToRetain, as Spark's */
#define SL_CKPT_FP_HEX 17	   /* 16 hex digits + NUL */

typedef struct sl_ckpt sl_ckpt;

/* One partition's offsets in an epoch: rows in [start, end) belong to it. */
typedef struct sl_ckpt_part {
	int32_t partition;
	int64_t start, end;
} sl_ckpt_part;

/* One source's offsets in an epoch. `name` identifies the source within the
 * query (stable across restarts: its index in the plan, or format and
 * position, e.g. "0:kafka"). `blob` is NULL or JSON text (any JSON value)
 * the source wants logged with the epoch, e.g. the files of this batch. */
typedef struct sl_ckpt_source {
	const char *name;
	uint32_t nparts;
	sl_ckpt_part *parts;
	const char *blob;
} sl_ckpt_source;

/* What offsets/<N> records. watermark_us is the event-time watermark the
 * epoch ran with (INT64_MIN or 0 when the query has none: stored as given).
 * timestamp_us is the wall clock of the write, filled by write_offsets (an
 * input value is ignored) and returned by recovery. */
typedef struct sl_ckpt_offsets {
	int64_t watermark_us;
	int64_t timestamp_us;
	uint32_t nsources;
	sl_ckpt_source *sources;
} sl_ckpt_offsets;

/* What a restart needs; filled by sl_ckpt_recover, freed with
 * sl_ckpt_recovery_free (its strings and arrays live in `arena`).
 *
 * - committed: a committed epoch exists; `epoch` is the latest complete one
 *   (offsets/N and commits/N both present and valid), `offsets` its offsets:
 *   sources resume at each partition's `end`. Otherwise epoch is -1.
 * - next_epoch: the number the engine gives its next epoch/batch (N + 1, or
 *   0 for a fresh checkpoint).
 * - in_flight: offsets/<next_epoch> exists and is valid but was never
 *   committed (the query died during that epoch). Micro-batch must re-run it
 *   with exactly in_flight_offsets' end offsets (its starts equal the last
 *   commit's ends); continuous resumes sources from `offsets` (or, with
 *   nothing committed, from in_flight_offsets' starts) and numbers on from
 *   next_epoch.
 * - warning: "" or one line naming every file that was skipped and why
 *   (torn, bad checksum, unparsable, wrong epoch): print it, the query goes
 *   on from the last complete epoch. */
typedef struct sl_ckpt_recovery {
	bool committed;
	int64_t epoch;
	int64_t next_epoch;
	sl_ckpt_offsets offsets;
	bool in_flight;
	sl_ckpt_offsets in_flight_offsets;
	char warning[1024];
	sl_arena arena;
} sl_ckpt_recovery;

/* Timings for progress reports, in microseconds (CLOCK_MONOTONIC), each
 * covering write + fsync + rename + fsync of the directory. Read without
 * waiting for a commit in progress: fields are each current, not
 * necessarily from the same commit. */
typedef struct sl_ckpt_stats {
	int64_t last_offsets_us; /* the last sl_ckpt_write_offsets */
	int64_t last_commit_us; /* the last sl_ckpt_commit, without its purge */
	int64_t last_purge_us;	/* the purge that followed it */
	int64_t max_commit_us;	/* the slowest commit since open */
	int64_t last_committed; /* epoch of the last commit, -1 none */
	uint64_t ncommits;	/* commits since open */
} sl_ckpt_stats;

/* ---- the checkpoint ------------------------------------------------------ */

/* Opens the checkpoint at dir, creating it (and its parents) when absent or
 * empty: the directory tree, then metadata (written last, so a crash during
 * creation leaves a directory that is simply created again).
 *
 * When dir holds a checkpoint, its fingerprint must equal `fingerprint`;
 * otherwise the open is refused with SL_EINVAL and a message naming the
 * first plan line that differs ("checkpoint /x was written by a different
 * query: sink option topic was 'a', now 'b'"). For that message, build
 * plan_text as one fact per line, "<what> = <value>" ("source = kafka",
 * "source option subscribe = t1", "where = v > 1", "sink option topic = a").
 * fingerprint may be NULL: sl_ckpt_fingerprint(plan_text) is used.
 *
 * query_id is recorded in a new checkpoint; a reopened one keeps the id it
 * was created with (sl_ckpt_id), as a restarted Spark query keeps its id.
 * Stray temporary files left by a crash in the middle of a write are
 * removed. Returns 0 and *out (free with sl_ckpt_close), or < 0 with err. */
int sl_ckpt_open(const char *dir, const char *query_id, const char *fingerprint,
		 const char *plan_text, sl_ckpt **out, sl_err *err);

/* sl_ckpt_open with flags. SL_CKPT_PARTS_MAY_GROW: the source keeps its
 * partition i the same across runs when its partition count grows (a
 * Kafka topic given partitions), so a stored plan that differs only in
 * its "source partitions = N" line, with fewer then, is the same query;
 * the metadata then keeps the new plan. */
#define SL_CKPT_PARTS_MAY_GROW 1u
int sl_ckpt_open_flags(const char *dir, const char *query_id,
		       const char *fingerprint, const char *plan_text,
		       unsigned flags, sl_ckpt **out, sl_err *err);

/* Closes the handle (and releases the directory lock). NULL is a no-op. */
void sl_ckpt_close(sl_ckpt *c);

/* The query id stored in metadata, and the directory, for the life of c. */
const char *sl_ckpt_id(const sl_ckpt *c);
const char *sl_ckpt_path(const sl_ckpt *c);
/* true when sl_ckpt_open created the checkpoint (nothing to recover). */
bool sl_ckpt_is_new(const sl_ckpt *c);

/* minBatchesToRetain: how many committed epochs' offsets and commits files
 * to keep (>= 1; default SL_CKPT_RETAIN_DEFAULT). Returns 0 or SL_EINVAL. */
int sl_ckpt_set_retain(sl_ckpt *c, int64_t n, sl_err *err);

/* Writes offsets/<epoch> crash-safely (the write-ahead log entry of epoch:
 * it must be on disk before the epoch's output is committed anywhere).
 * Overwrites an uncommitted entry of the same epoch, as a re-run after
 * recovery does; an epoch at or below the last one committed (by this
 * handle, or found by sl_ckpt_recover) is refused with SL_ESTATE. Blobs
 * must be valid JSON (SL_EINVAL otherwise). */
int sl_ckpt_write_offsets(sl_ckpt *c, int64_t epoch, const sl_ckpt_offsets *o,
			  sl_err *err);

/* Writes commits/<epoch> crash-safely once every sink has committed epoch;
 * offsets/<epoch> must exist (SL_ESTATE otherwise). Then purges: epochs
 * older than the last minBatchesToRetain committed ones lose their offsets
 * and commits files. A purge failure is not an error of the commit (the
 * epoch is durable); it is retried by the next commit. */
int sl_ckpt_commit(sl_ckpt *c, int64_t epoch, sl_err *err);

/* Reads the directory and fills *out (see sl_ckpt_recovery). Corrupt or
 * torn files are skipped and named in out->warning. Returns 0, SL_EIO when
 * a file cannot be read (permissions, a directory where a file should be),
 * or SL_EINVAL when history exists but no usable epoch does (every commit
 * corrupt after older ones were purged: resuming from scratch would
 * silently skip or repeat data). out must be freed even on error. */
int sl_ckpt_recover(sl_ckpt *c, sl_ckpt_recovery *out, sl_err *err);
void sl_ckpt_recovery_free(sl_ckpt_recovery *r);

/* Stores JSON text as sources/<source>/<key>, crash-safely. Names are
 * [A-Za-z0-9._:-], not starting with '.', up to 128 bytes (SL_EINVAL). */
int sl_ckpt_put_source(sl_ckpt *c, const char *source, const char *key,
		       const char *json_text, sl_err *err);
/* Reads sources/<source>/<key> into *json_text (malloc'd, free with free()).
 * SL_ENOTFOUND if absent, SL_EINVAL if corrupt, SL_EIO if unreadable. */
int sl_ckpt_get_source(sl_ckpt *c, const char *source, const char *key,
		       char **json_text, sl_err *err);

void sl_ckpt_get_stats(sl_ckpt *c, sl_ckpt_stats *s);

/* The plan fingerprint: XXH64 of text as 16 lowercase hex digits. */
void sl_ckpt_fingerprint(const char *text, size_t len,
			 char hex[SL_CKPT_FP_HEX]);

/* ---- crash-safe files (engine/ckpt_file.c) -------------------------------
 *
 * Every checkpoint file is its body (text, normally JSON) followed by one
 * line "# xxh64 <16 hex digits>\n", the XXH64 of the body. A file without a
 * complete last line, or whose checksum differs, is torn or corrupt. These
 * are for any room that keeps files in a checkpoint (state stores, a file
 * sink's manifest). They use plain syscalls relative to a directory fd: the
 * io_uring layer can take them over later without changing callers. */

/* Writes name in dirfd atomically and durably: body (plus a newline if it
 * lacks one, so the checksum has a line of its own) and the checksum line
 * into ".<name>.tmp", fsync, rename over name, fsync the directory. dirpath is
 * used in messages only. On failure the temp file is removed and name is
 * untouched. Returns 0 or SL_EIO. */
int sl_ckpt_file_write(int dirfd, const char *dirpath, const char *name,
		       const char *body, size_t len, sl_err *err);

/* Reads and checks name in dirfd: *body (malloc'd, NUL-terminated, without
 * the checksum line) and *len. Returns 0; SL_ENOTFOUND if absent; SL_EINVAL
 * if torn or corrupt (err says how); SL_EIO if it cannot be read. */
int sl_ckpt_file_read(int dirfd, const char *dirpath, const char *name,
		      char **body, size_t *len, sl_err *err);

/* Removes ".*.tmp" files left in dirfd by writes a crash interrupted.
 * Returns how many it removed, or SL_EIO. */
int sl_ckpt_file_clean_tmp(int dirfd, const char *dirpath, sl_err *err);

/* Opens (creating it when `create`) the directory name under dirfd
 * (AT_FDCWD: a path) and returns its O_DIRECTORY fd in *fd. A new directory
 * is made durable (its parent fsynced). Returns 0, SL_ENOTFOUND (absent and
 * not `create`) or SL_EIO naming the path ("is not a directory", ...). */
int sl_ckpt_dir_open(int dirfd, const char *dirpath, const char *name,
		     bool create, int *fd, sl_err *err);

#endif
