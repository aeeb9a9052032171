/* io/sink_memory.c - the memory sink: keeps the query's output in a table
 * of the session, named by the query's queryName, that the application
 * reads with sl_session_table() while the stream runs (Spark's
 * spark.sql("SELECT * FROM name")).
 *
 * Data flow: write() deep-copies each record vector of the epoch into one
 * batch (the vectors' own memory goes back to the sink thread at once);
 * commit() hands that batch to the session (engine/session.c), which appends
 * it to the table (append mode) or replaces the table with it (complete
 * mode). Readers never see a half-written epoch. */
#include <errno.h>
#include <stdlib.h>

#include "io/plugin.h"

/* The memory sink has no options of its own; queryName is a writer
 * option. */
static const sl_opt_def memory_options[] = {
	{ NULL },
};

typedef struct sl_memory {
	sl_batch *rows; /* the epoch's rows so far (deep copies), or NULL */
} sl_memory;

static int memory_init(sl_sink *sk, sl_err *err)
{
	if (!sk->query_name || !sk->query_name[0])
		return sl_err_set(err, SL_EOPTION,
				  "memory sink needs queryName (the table's "
				  "name)");
	if (!sk->publish)
		return sl_err_set(err, SL_EINVAL,
				  "memory sink needs a session to hold table "
				  "'%s'",
				  sk->query_name);
	sl_memory *st = calloc(1, sizeof(*st));
	if (!st)
		return sl_err_set(err, -ENOMEM, "memory sink: out of memory");
	sk->state = st;
	/* Like Spark, which registers the table when the query starts: it
	 * can be queried (empty) before the first epoch ends, and a query
	 * restarted under the same name starts a fresh table. */
	sk->publish(sk->publish_arg, sk->query_name,
				 sl_batch_new(sk->schema, 0), true);
	return 0;
}

static int memory_write(sl_sink *sk, sl_batch *b)
{
	sl_memory *st = sk->state;

	if (!b->nrows)
		return 0;
	if (!st->rows)
		st->rows = sl_batch_new(sk->schema, b->nrows);
	sl_batch_append_copy(st->rows, b);
	return 0;
}

static int memory_commit(sl_sink *sk, int64_t epoch)
{
	sl_memory *st = sk->state;
	sl_batch *rows = st->rows;

	(void)epoch;
	st->rows = NULL;
	if (sk->mode == SL_MODE_COMPLETE) {
		/* The epoch is the whole result table, even when empty. */
		if (!rows)
			rows = sl_batch_new(sk->schema, 0);
		sk->publish(sk->publish_arg, sk->query_name, rows,
					 true);
	} else if (rows) {
		sk->publish(sk->publish_arg, sk->query_name, rows,
					 false);
	}
	return 0;
}

static void memory_destroy(sl_sink *sk)
{
	sl_memory *st = sk->state;

	/* The table itself stays in the session after the query stops, as
	 * Spark's does; only an unfinished epoch is dropped. */
	if (!st)
		return;
	sl_batch_free(st->rows);
	free(st);
	sk->state = NULL;
}

/* Modes as Spark's memory sink takes them (append and complete).
 * Continuous is allowed: Spark lists the memory sink among the sinks of
 * continuous processing. */
const sl_sink_ops sl_sink_memory = {
	.name = "memory",
	.description = "Keeps the output in a table of the session named by "
		       "queryName, read with sl_session_table() (for tests "
		       "and debugging).",
	.options = memory_options,
	.conf_size = 0,
	.modes = SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_COMPLETE),
	.continuous = true,
	.init = memory_init,
	.write = memory_write,
	.commit = memory_commit,
	.destroy = memory_destroy,
};
