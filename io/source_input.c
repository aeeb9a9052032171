/* io/source_input.c - the source "input": reads an in-process input
 * (sl_session_input, include/sluice.h; the queues are io/input.c), the
 * rows a host pushes from its own threads. Partition p of the source is
 * partition p of the input; its offset counts the rows the query took,
 * from 0 or from the checkpoint's resume offset, so a restarted query
 * continues the numbering and sl_input_committed() tells the host where
 * to replay from. The source's commit publishes each committed end
 * offset for the host. One query reads an input at a time. */
#include <stddef.h>
#include <string.h>

#include "io/input.h"
#include "io/plugin.h"

/* Rows per record vector, as the rate source's. */
#define INPUT_MAX_ROWS 1024

struct input_conf {
	const char *name;
};

static int input_init(sl_source *src, sl_err *err)
{
	const struct input_conf *c = src->conf;
	sl_input *in = sl_input_find(src->inputs, c->name);

	if (!in)
		return sl_err_set(err, SL_ENOTFOUND, "source 'input': no "
				  "input named '%s' in this session "
				  "(sl_session_input declares one)", c->name);
	src->state = in;
	src->schema = in->schema;
	src->nparts = in->nparts;
	return 0;
}

static int input_open(sl_source_part *p)
{
	sl_input *in = p->src->state;
	sl_inq *q = &in->parts[p->index];

	/* Partitions open one after another on the thread that starts the
	 * query: partition 0 claims the input for it. */
	if (p->index == 0) {
		bool was = false;
		if (!atomic_compare_exchange_strong(&in->reading, &was, true))
			return sl_err_set(&p->err, SL_ESTATE, "source "
					  "'input': input '%s' is read by "
					  "another running query", in->name);
	}
	p->offset = p->has_resume ? p->resume : 0;
	p->state = in;
	atomic_store_explicit(&q->committed, p->offset, memory_order_release);
	return 0;
}

static int input_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		      sl_batch **out)
{
	sl_input *in = p->state;
	sl_inq *q = &in->parts[p->index];
	int64_t want = end - p->offset;
	sl_batch *b;

	*out = NULL;
	if (want <= 0)
		return 0;
	if (want > INPUT_MAX_ROWS)
		want = INPUT_MAX_ROWS;
	b = sl_inq_take(in, p->index, (uint32_t)want);
	if (!b) {
		/* closed first, then empty: a row pushed before the close
		 * is seen by the second look */
		if (atomic_load_explicit(&in->closed, memory_order_acquire) &&
		    !sl_inq_ready(in, p->index))
			return SL_SOURCE_END;
		if (wait_ns <= 0)
			return 0;
		uint32_t t = sl_waiter_prepare(&q->consumer);
		if (!sl_inq_ready(in, p->index) &&
		    !atomic_load_explicit(&in->closed, memory_order_acquire))
			sl_waiter_wait(&q->consumer, t, wait_ns);
		b = sl_inq_take(in, p->index, (uint32_t)want);
		if (!b)
			return 0;
	}
	p->offset += b->nrows;
	b->end_offset = p->offset;
	*out = b;
	return (int)b->nrows;
}

/* Micro-batch: what is queued now. */
static int64_t input_latest(sl_source_part *p, int64_t batch_id)
{
	sl_input *in = p->src->state;

	(void)batch_id;
	return p->offset + (int64_t)sl_inq_ready(in, p->index);
}

static void input_close(sl_source_part *p)
{
	sl_input *in = p->src->state;

	if (p->index == 0)
		atomic_store_explicit(&in->reading, false,
				      memory_order_release);
}

static void input_commit(sl_source *src, const int64_t *ends, uint32_t n,
			 bool last)
{
	sl_input *in = src->state;

	(void)last;
	for (uint32_t i = 0; i < n && i < in->nparts; i++)
		atomic_store_explicit(&in->parts[i].committed, ends[i],
				      memory_order_release);
}

/* clang-format off */
static const sl_opt_def input_options[] = {
	{
		.name = "name",
		.type = SL_OPT_STRING,
		.offset = offsetof(struct input_conf, name),
		.required = true,
		.desc = "The input to read: the name given to "
			"sl_session_input in the same session.",
	},
	{ .name = NULL },
};
/* clang-format on */

/* clang-format off */
const sl_source_ops sl_source_input = {
	.name = "input",
	.description = "Rows a C host pushes from its own threads into an "
		       "input it declared with sl_session_input (in-process, "
		       "no network); the schema and partitions are the "
		       "input's.",
	.options = input_options,
	.conf_size = sizeof(struct input_conf),
	.init = input_init,
	.open = input_open,
	.poll = input_poll,
	.latest = input_latest,
	.close = input_close,
	.commit = input_commit,
	.continuous = true,
};
/* clang-format on */
