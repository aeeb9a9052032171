/* engine/input.c - the public face of the in-process input
 * (include/sluice.h, "in-process input"): declaring an input in a session
 * (freed with it) and the host's pushes, whose failures become the input's
 * session's sl_session_errmsg(). The queues are io/input.c, the source that
 * reads them io/source_input.c. */
#include <errno.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "io/input.h"

static sl_input *session_input(sl_session *s, const char *name,
			   const char *schema_ddl, int partitions,
			   const sl_input_opts *opts)
{
	sl_err err = {0};
	sl_input *in;

	if (!s) {
		return NULL;
	}
	in = sl_input_new(s, name, schema_ddl, partitions, opts, &err);
	if (!in)
		return sl_fail(s, &err);
	if (sl_input_register(in, &s->inputs, &err) < 0) {
		sl_input_free(in);
		return sl_fail(s, &err);
	}
	sl_session_on_destroy(s, sl_input_free, in);
	return in;
}

static void session_input_run(sl_api_call *c)
{
	c->ret = session_input((sl_session *)c->a[0], c->a[1], c->a[2],
			       (int)(intptr_t)c->a[3], c->a[4]);
}

sl_input *sl_session_input(sl_session *s, const char *name,
			   const char *schema_ddl, int partitions,
			   const sl_input_opts *opts)
{
	sl_api_call c = { .a = { s, name, schema_ddl,
				 (const void *)(intptr_t)partitions, opts } };
	sl_api_guard(s, "input", session_input_run, &c);
	return c.ret;
}

sl_input_row *sl_input_row_new(sl_input *in)
{
	sl_input_row *r;

	if (!in)
		return NULL;
	r = calloc(1, sizeof(*r) + (in->ncols ? in->ncols : 1) *
					   sizeof(sl_value));
	if (r)
		r->in = in;
	return r;
}

void sl_input_row_free(sl_input_row *r)
{
	free(r);
}

void sl_input_row_reset(sl_input_row *r)
{
	if (!r)
		return;
	for (uint32_t c = 0; c < r->in->ncols; c++)
		r->vals[c] = sl_v_null();
}

/* The session an input belongs to: its failures are recorded there. */
static sl_session *in_session(const sl_input *in)
{
	return in ? (sl_session *)in->session : NULL;
}

static int fail_rc(const sl_input *in, int rc, const sl_err *err)
{
	if (rc < 0)
		sl_fail(in_session(in), err);
	return rc;
}

int sl_input_row_null(sl_input_row *r, uint32_t col)
{
	sl_err err = {0};

	if (sl_input_row_check(r, col, &err) < 0)
		return fail_rc(r ? r->in : NULL, err.code, &err);
	r->vals[col] = sl_v_null();
	return 0;
}

int sl_input_row_long(sl_input_row *r, uint32_t col, int64_t v)
{
	sl_err err = {0};

	return fail_rc(r ? r->in : NULL, sl_input_row_set_long(r, col, v, &err), &err);
}

int sl_input_row_double(sl_input_row *r, uint32_t col, double v)
{
	sl_err err = {0};

	return fail_rc(r ? r->in : NULL, sl_input_row_set_double(r, col, v, &err), &err);
}

int sl_input_row_string(sl_input_row *r, uint32_t col, const char *s,
			size_t len)
{
	sl_err err = {0};

	return fail_rc(r ? r->in : NULL, sl_input_row_set_string(r, col, s, len, &err), &err);
}

int sl_input_push(sl_input *in, uint32_t partition, const sl_input_row *row)
{
	sl_err err = {0};
	const sl_value *v;

	if (!in || !row || row->in != in) {
		sl_fail_code(in_session(in), SL_EINVAL, "sl_input_push: %s",
			     !in || !row ? "no input or no row"
					 : "the row was made for another input");
		return SL_EINVAL;
	}
	v = row->vals;
	return fail_rc(in, sl_inq_push(in, partition, &v, 1, &err), &err);
}

/* Rows taken in slices of this many pointers, off the stack. */
#define PUSH_SLICE 256

int sl_input_push_batch(sl_input *in, uint32_t partition,
			const sl_input_row *const *rows, uint32_t n)
{
	sl_err err = {0};
	const sl_value *vals[PUSH_SLICE];
	const sl_value **v = vals;
	int rc;

	if (!in || (!rows && n)) {
		sl_fail_code(in_session(in), SL_EINVAL,
			     "sl_input_push_batch: no input or "
			     "no rows");
		return SL_EINVAL;
	}
	if (!n)
		return 0;
	if (n > PUSH_SLICE && !(v = malloc(n * sizeof(*v)))) {
		sl_fail_code(in_session(in), -ENOMEM, "sl_input_push_batch: out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!rows[i] || rows[i]->in != in) {
			if (v != vals)
				free(v);
			sl_fail_code(in_session(in), SL_EINVAL,
				     "sl_input_push_batch: row %u "
				     "is %s", i, rows[i] ? "for another input"
							 : "NULL");
			return SL_EINVAL;
		}
		v[i] = rows[i]->vals;
	}
	rc = sl_inq_push(in, partition, v, n, &err);
	if (v != vals)
		free(v);
	/* One row: sl_inq_push answers as sl_input_push (0 queued, 1
	 * dropped); a batch counts the rows queued. */
	if (n == 1 && rc >= 0)
		rc = rc == 0 ? 1 : 0;
	return fail_rc(in, rc, &err);
}

typedef struct push_json_call {
	sl_input *in;
	uint32_t partition;
	const char *json;
	size_t len;
	sl_err err;
	int rc;
} push_json_call;

static void push_json_run(void *arg)
{
	push_json_call *c = arg;
	c->rc = sl_inq_push_json(c->in, c->partition, c->json, c->len,
				 &c->err);
}

int sl_input_push_json(sl_input *in, uint32_t partition, const char *json,
		       size_t len)
{
	if (!in)
		return SL_EINVAL;
	push_json_call c = { in, partition, json, len, { 0 }, 0 };
	/* The values' arena may run out (core/alloc.h): the push fails. */
	if (sl_oom_call(push_json_run, &c))
		c.rc = sl_err_set(&c.err, SL_ENOMEM,
				  "input: out of memory converting the JSON "
				  "row (%zu bytes)",
				  sl_oom_bytes());
	return fail_rc(in, c.rc, &c.err);
}

int sl_input_close(sl_input *in)
{
	if (!in)
		return SL_EINVAL;
	/* release: every push before it is seen by a reader that sees it */
	atomic_store_explicit(&in->closed, true, memory_order_release);
	for (uint32_t p = 0; p < in->nparts; p++) {
		sl_waiter_wake(&in->parts[p].consumer);
		sl_waiter_wake(&in->parts[p].producer);
	}
	return 0;
}

int64_t sl_input_committed(sl_input *in, uint32_t partition)
{
	if (!in || partition >= in->nparts) {
		sl_fail_code(in_session(in), SL_EINVAL,
			     "sl_input_committed: no partition %u", partition);
		return SL_EINVAL;
	}
	return atomic_load_explicit(&in->parts[partition].committed,
				    memory_order_acquire);
}

uint64_t sl_input_dropped(sl_input *in, uint32_t partition)
{
	if (!in || partition >= in->nparts)
		return 0;
	return atomic_load_explicit(&in->parts[partition].dropped,
				    memory_order_relaxed);
}
