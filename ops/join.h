/* ops/join.h - the stream-static equi-join: a static table read once
 * (sl_read_static) hashed on its key columns, probed by every stream row
 * on the partition threads as one step of the fused stateless chain.
 *
 * The hash table is built when the join frame is made and never written
 * again, so the partition threads of every query that uses it probe it
 * concurrently without a lock. It and the table's rows live until the
 * session is destroyed: output rows point into the table's arena. */
#ifndef SL_OPS_JOIN_H
#define SL_OPS_JOIN_H

#include "core/engine.h"

enum { SL_JOIN_INNER, SL_JOIN_LEFT };

typedef struct sl_join sl_join;

/* Reads a static table: format csv, json or text with the file source's
 * options (path may also name one file). Returns a SL_FR_STATIC frame or
 * NULL with err set. */
sl_frame *sl_static_read(sl_session *s, const char *format,
			 const char *const *options, sl_err *err);

/* The join frame of stream and stat on key pairs (keys_left[i] of stream
 * = keys_right[i] of stat). Output: stream's columns, then stat's non-key
 * columns (Spark's join(other, usingColumns) rule, applied to every form).
 * how: SL_JOIN_INNER or SL_JOIN_LEFT. NULL with err set on error. */
sl_frame *sl_join_frame(sl_frame *stream, sl_frame *stat,
			const char *const *keys_left,
			const char *const *keys_right, int how, sl_err *err);

/* The join step: replaces b's rows (all of them: the caller compacts)
 * by the joined rows of schema f->schema. Returns 0. */
int sl_join_run(const sl_frame *f, sl_batch *b, sl_err *err);

#endif
