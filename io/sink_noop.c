/* io/sink_noop.c - the noop sink: takes every row and drops it, as Spark's
 * "noop" format does. Used to measure a query without a sink's cost, and
 * as the simplest example of the sink interface (core/plugin.h).
 *
 * It counts what it drops, so a debugger or a test can see that rows
 * arrived. */
#include <errno.h>
#include <stdlib.h>

#include "io/plugin.h"

static const sl_opt_def noop_options[] = {
	{ NULL },
};

typedef struct sl_noop {
	uint64_t rows;	  /* rows dropped since the start */
	uint64_t commits; /* epochs/batches committed */
} sl_noop;

static int noop_init(sl_sink *sk, sl_err *err)
{
	sl_noop *st = calloc(1, sizeof(*st));

	if (!st)
		return sl_err_set(err, -ENOMEM, "noop sink: out of memory");
	sk->state = st;
	return 0;
}

static int noop_write(sl_sink *sk, sl_batch *b)
{
	sl_noop *st = sk->state;

	/* Returning 0 lets the sink thread free the vector. */
	st->rows += b->nrows;
	return 0;
}

static int noop_commit(sl_sink *sk, int64_t epoch)
{
	sl_noop *st = sk->state;

	(void)epoch;
	st->commits++;
	return 0;
}

static void noop_destroy(sl_sink *sk)
{
	free(sk->state);
	sk->state = NULL;
}

const sl_sink_ops sl_sink_noop = {
	.name = "noop",
	.description = "Drops every row (for benchmarks: the query's cost "
		       "without a sink's).",
	.options = noop_options,
	.conf_size = 0,
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |
		 SL_MODE_BIT(SL_MODE_COMPLETE),
	.continuous = true,
	.init = noop_init,
	.write = noop_write,
	.commit = noop_commit,
	.destroy = noop_destroy,
};
