/* io/sink_foreach.c - the foreach and foreachBatch sinks: hand the query's
 * output to the application's callbacks (sl_sink_callbacks in sluice.h),
 * row by row (foreach, Spark's ForeachWriter) or one whole epoch/batch at a
 * time (foreachBatch, Spark's foreachBatch function).
 *
 * Both run on the query's sink thread, so callbacks are never called
 * concurrently. A non-zero return from a callback fails the write or commit
 * with sk->err naming the callback, and the engine stops the query with
 * that message.
 *
 * foreach: Spark opens one writer per partition and epoch. sluice has one
 * writer, the sink thread, so each epoch is one open/process.../close
 * sequence: open(partition of the epoch's first record vector, epoch) just
 * before the first row, process() per row, close(NULL) at commit. An epoch
 * with no rows still gets open(0, epoch) and close(NULL) at commit, as Spark
 * opens and closes the writer of an empty partition, so that per-epoch work
 * in open/close (a transaction, a file per epoch) always happens.
 *
 * foreachBatch: the epoch's rows are gathered into one set and given to the
 * batch callback at commit, then freed; the rows are valid only during the
 * call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/plugin.h"
#include "core/rows.h"

/* Neither sink has options of its own: they are configured by code. */
static const sl_opt_def foreach_options[] = {
	{ NULL },
};

typedef struct sl_foreach {
	/* The epoch/batch being written. Record vectors don't carry their
	 * epoch, so it is counted: epochs are numbered from 0 and committed
	 * in order, each exactly once. */
	int64_t epoch;
	bool open;	/* open() was called for this epoch, close() not yet */
	sl_batch *rows; /* foreachBatch: the epoch's rows, or NULL */
} sl_foreach;

static const char *epoch_word(const sl_sink *sk)
{
	return sk->continuous ? "epoch" : "batch";
}

static int foreach_state_new(sl_sink *sk, const char *name, sl_err *err)
{
	sl_foreach *st = calloc(1, sizeof(*st));

	if (!st)
		return sl_err_set(err, -ENOMEM, "%s sink: out of memory", name);
	sk->state = st;
	return 0;
}

/* ---- foreach ------------------------------------------------------------ */

static int foreach_init(sl_sink *sk, sl_err *err)
{
	const sl_sink_callbacks *cb = sk->cb;

	if (!cb || !cb->process)
		return sl_err_set(err, SL_EINVAL,
				  "foreach sink needs a process callback "
				  "(sl_sink_callbacks.process)%s",
				  cb && cb->batch
					  ? "; for one call per batch use the "
					    "foreachBatch format"
					  : "");
	return foreach_state_new(sk, "foreach", err);
}

static int foreach_open(sl_sink *sk, sl_foreach *st, uint32_t partition)
{
	const sl_sink_callbacks *cb = sk->cb;

	if (cb->open) {
		int rc = cb->open(cb->ud, partition, st->epoch);
		/* A writer that failed to open is not closed: there is
		 * nothing open to release. */
		if (rc)
			return sl_err_set(
				&sk->err, SL_EIO,
				"foreach sink: open callback returned "
				"%d for partition %u of %s %lld",
				rc, partition, epoch_word(sk),
				(long long)st->epoch);
	}
	st->open = true;
	return 0;
}

static void foreach_close(sl_sink *sk, sl_foreach *st, const char *error)
{
	const sl_sink_callbacks *cb = sk->cb;

	st->open = false;
	if (cb->close)
		cb->close(cb->ud, error);
}

static int foreach_write(sl_sink *sk, sl_batch *b)
{
	const sl_sink_callbacks *cb = sk->cb;
	sl_foreach *st = sk->state;
	int rc;

	if (!b->nrows)
		return 0;
	/* The sink thread stamps each vector with its epoch: after a restart
	 * from a checkpoint epochs do not start at 0. */
	if (!st->open)
		st->epoch = b->epoch;
	if (!st->open && (rc = foreach_open(sk, st, b->partition)))
		return rc;
	for (uint32_t i = 0; i < b->nrows; i++) {
		rc = cb->process(cb->ud, sl_rows_of_const(b), i);
		if (rc) {
			sl_err_set(&sk->err, SL_EIO,
				   "foreach sink: process callback returned "
				   "%d for row %u of a record vector of %s "
				   "%lld",
				   rc, i, epoch_word(sk), (long long)st->epoch);
			/* Spark closes a failed writer with the error. */
			foreach_close(sk, st, sk->err.msg);
			return SL_EIO;
		}
	}
	return 0;
}

static int foreach_commit(sl_sink *sk, int64_t epoch)
{
	sl_foreach *st = sk->state;
	int rc;

	if (!st->open) {
		/* No rows in this epoch: open and close it all the same
		 * (see the top of the file). */
		st->epoch = epoch;
		if ((rc = foreach_open(sk, st, 0)))
			return rc;
	}
	foreach_close(sk, st, NULL);
	st->epoch = epoch + 1;
	return 0;
}

static void foreach_destroy(sl_sink *sk)
{
	sl_foreach *st = sk->state;

	if (!st)
		return;
	/* The query stopped (or failed elsewhere) mid-epoch: the writer is
	 * released with an error, as Spark aborts an unfinished task. */
	if (st->open) {
		char msg[128];
		snprintf(msg, sizeof(msg),
			 "the query stopped before %s %lld was committed",
			 epoch_word(sk), (long long)st->epoch);
		foreach_close(sk, st, msg);
	}
	free(st);
	sk->state = NULL;
}

const sl_sink_ops sl_sink_foreach = {
	.name = "foreach",
	.description = "Calls the application's open/process/close callbacks "
		       "for every row of every epoch or micro-batch.",
	.options = foreach_options,
	.conf_size = 0,
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |
		 SL_MODE_BIT(SL_MODE_COMPLETE),
	/* Spark runs ForeachWriter under the continuous trigger too. */
	.continuous = true,
	.init = foreach_init,
	.write = foreach_write,
	.commit = foreach_commit,
	.destroy = foreach_destroy,
};

/* ---- foreachBatch ------------------------------------------------------- */

static int foreach_batch_init(sl_sink *sk, sl_err *err)
{
	const sl_sink_callbacks *cb = sk->cb;

	if (!cb || !cb->batch)
		return sl_err_set(err, SL_EINVAL,
				  "foreachBatch sink needs a batch callback "
				  "(sl_sink_callbacks.batch)%s",
				  cb && cb->process
					  ? "; for one call per row use the "
					    "foreach format"
					  : "");
	return foreach_state_new(sk, "foreachBatch", err);
}

static int foreach_batch_write(sl_sink *sk, sl_batch *b)
{
	sl_foreach *st = sk->state;

	/* The epoch's first record vector is kept as it is (no copy): its
	 * values stay valid as long as the vector lives, and it lives until
	 * commit. Later vectors are copied into it, since their own memory
	 * goes back to the caller when write returns 0. */
	if (!st->rows) {
		st->rows = b;
		return 1;
	}
	sl_batch_append_copy(st->rows, b);
	return 0;
}

static int foreach_batch_commit(sl_sink *sk, int64_t epoch)
{
	const sl_sink_callbacks *cb = sk->cb;
	sl_foreach *st = sk->state;
	sl_batch *rows = st->rows ? st->rows : sl_batch_new(sk->schema, 0);
	int rc;

	st->rows = NULL;
	st->epoch = epoch;
	rc = cb->batch(cb->ud, sl_rows_of_const(rows), epoch);
	sl_batch_free(rows);
	st->epoch = epoch + 1;
	if (rc)
		return sl_err_set(&sk->err, SL_EIO,
				  "foreachBatch sink: batch callback returned "
				  "%d for batch %lld",
				  rc, (long long)epoch);
	return 0;
}

static void foreach_batch_destroy(sl_sink *sk)
{
	sl_foreach *st = sk->state;

	if (!st)
		return;
	sl_batch_free(st->rows);
	free(st);
	sk->state = NULL;
}

const sl_sink_ops sl_sink_foreach_batch = {
	.name = "foreachBatch",
	.description = "Calls the application's batch callback with all the "
		       "rows of each micro-batch.",
	.options = foreach_options,
	.conf_size = 0,
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |
		 SL_MODE_BIT(SL_MODE_COMPLETE),
	/* Spark rejects foreachBatch under the continuous trigger: a batch
	 * function needs micro-batches. */
	.continuous = false,
	.init = foreach_batch_init,
	.write = foreach_batch_write,
	.commit = foreach_batch_commit,
	.destroy = foreach_batch_destroy,
};
