/* io/input.c - the in-process input's queues (io/input.h): declaring an
 * input, the row builder's checks, the host's pushes and the partition
 * thread's take. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "io/format.h"
#include "core/rows.h"
#include "io/input.h"

#define INPUT_MAX_PARTS 1024
#define INPUT_DEFAULT_CAPACITY 65536u
#define INPUT_MAX_CAPACITY (1u << 24)

sl_input *sl_input_new(const void *session, const char *name,
		       const char *ddl, int nparts, const sl_input_opts *o,
		       sl_err *err)
{
	sl_input_opts opts = {.size = sizeof(opts)};
	sl_input *in;
	uint32_t cap = 4;

	if (!name || !*name)
		return sl_err_set(err, SL_EINVAL, "sl_session_input: the "
				  "input needs a name"), NULL;
	if (!ddl)
		return sl_err_set(err, SL_EINVAL, "input '%s': no schema",
				  name), NULL;
	if (nparts < 1 || nparts > INPUT_MAX_PARTS)
		return sl_err_set(err, SL_EINVAL, "input '%s': partitions "
				  "is %d, not between 1 and %d", name, nparts,
				  INPUT_MAX_PARTS), NULL;
	if (o) {
		if (o->size < sizeof(size_t))
			return sl_err_set(err, SL_EINVAL, "input '%s': "
					  "opts->size is %zu: set it to "
					  "sizeof(sl_input_opts)", name,
					  o->size), NULL;
		memcpy(&opts, o, o->size < sizeof(opts) ? o->size
							: sizeof(opts));
	}
	if ((unsigned)opts.backpressure > SL_INPUT_FAIL)
		return sl_err_set(err, SL_EINVAL, "input '%s': backpressure "
				  "%d is not SL_INPUT_BLOCK, "
				  "SL_INPUT_DROP_NEWEST or SL_INPUT_FAIL",
				  name, (int)opts.backpressure), NULL;
	if (opts.block_timeout_ms < 0 || opts.block_timeout_ms > 1000000000000)
		return sl_err_set(err, SL_EINVAL, "input '%s': "
				  "block_timeout_ms %lld is not between 0 "
				  "(forever) and 1e12", name,
				  (long long)opts.block_timeout_ms), NULL;
	if (opts.capacity > INPUT_MAX_CAPACITY)
		return sl_err_set(err, SL_EINVAL, "input '%s': capacity %u "
				  "is over %u rows", name, opts.capacity,
				  INPUT_MAX_CAPACITY), NULL;
	if (!opts.capacity)
		opts.capacity = INPUT_DEFAULT_CAPACITY;
	while (cap < opts.capacity)
		cap <<= 1;

	in = calloc(1, sizeof(*in));
	if (!in)
		return sl_err_set(err, -ENOMEM, "input '%s': out of memory",
				  name), NULL;
	sl_arena_init(&in->arena);
	sl_err e = {0};
	in->schema = sl_schema_parse(ddl, &in->arena, &e);
	if (!in->schema) {
		sl_err_set(err, SL_EINVAL, "input '%s': schema: %s", name,
			   e.msg);
		goto fail;
	}
	for (uint32_t i = 0; i < in->schema->n; i++) {
		const sl_field *f = &in->schema->fields[i];
		if (!sl_row_settable(f->type)) {
			char tn[64];
			sl_dtype_name(f->type, tn, sizeof(tn));
			sl_err_set(err, SL_EINVAL, "input '%s': column '%s' "
				   "is %s: an input's columns are STRING, "
				   "BINARY, INT, BIGINT, DOUBLE, BOOLEAN, "
				   "TIMESTAMP or DATE", name, f->name, tn);
			goto fail;
		}
		in->schema->fields[i].nullable = true;
	}
	in->name = strdup(name);
	in->session = session;
	in->ncols = in->schema->n;
	in->nparts = (uint32_t)nparts;
	in->capacity = cap;
	in->mask = cap - 1;
	in->mode = opts.backpressure;
	in->block_timeout_ms = opts.block_timeout_ms;
	in->parts = calloc(in->nparts, sizeof(*in->parts));
	if (!in->name || !in->parts)
		goto oom;
	for (uint32_t p = 0; p < in->nparts; p++) {
		sl_inq *q = &in->parts[p];
		q->vals = calloc((size_t)cap * (in->ncols ? in->ncols : 1),
				 sizeof(sl_value));
		q->slots = calloc(cap, sizeof(*q->slots));
		q->scratch_row = calloc(in->ncols ? in->ncols : 1,
					sizeof(sl_value));
		if (!q->vals || !q->slots || !q->scratch_row)
			goto oom;
		sl_arena_init(&q->scratch);
		sl_waiter_init(&q->consumer);
		sl_waiter_init(&q->producer);
	}
	return in;
oom:
	sl_err_set(err, -ENOMEM, "input '%s': out of memory for %u "
		   "partitions of %u rows", name, in->nparts, cap);
fail:
	sl_input_free(in);
	return NULL;
}

int sl_input_register(sl_input *in, sl_input **list, sl_err *err)
{
	if (sl_input_find(*list, in->name))
		return sl_err_set(err, SL_EINVAL, "input '%s' is already "
				  "declared in this session", in->name);
	in->next = *list;
	*list = in;
	return 0;
}

sl_input *sl_input_find(sl_input *list, const char *name)
{
	sl_input *x;

	for (x = list; x; x = x->next)
		if (!strcmp(x->name, name))
			break;
	return x;
}

void sl_input_free(void *arg)
{
	sl_input *in = arg;

	if (!in)
		return;
	for (uint32_t p = 0; in->parts && p < in->nparts; p++) {
		sl_inq *q = &in->parts[p];
		for (uint32_t i = 0; q->slots && i < in->capacity; i++)
			free(q->slots[i].bytes);
		free(q->slots);
		free(q->vals);
		free(q->scratch_row);
		sl_arena_free(&q->scratch);
	}
	free(in->parts);
	free(in->name);
	sl_arena_free(&in->arena);
	free(in);
}

/* ---- the row builder -------------------------------------------------- */

/* "input 'NAME'", for the setters' messages. */
static const char *who(const sl_input *in, char *buf, size_t n)
{
	snprintf(buf, n, "input '%s'", in->name);
	return buf;
}

int sl_input_row_check(const sl_input_row *r, uint32_t col, sl_err *err)
{
	char w[160];

	if (!r)
		return sl_err_set(err, SL_EINVAL, "input row: NULL");
	return sl_row_check_col(r->in->schema, col, who(r->in, w, sizeof(w)),
				err);
}

int sl_input_row_set_long(sl_input_row *r, uint32_t col, int64_t v,
			  sl_err *err)
{
	char w[160];

	if (!r)
		return sl_err_set(err, SL_EINVAL, "input row: NULL");
	return sl_row_set_long(r->in->schema, r->vals, col, v,
			       who(r->in, w, sizeof(w)), err);
}

int sl_input_row_set_double(sl_input_row *r, uint32_t col, double v,
			    sl_err *err)
{
	char w[160];

	if (!r)
		return sl_err_set(err, SL_EINVAL, "input row: NULL");
	return sl_row_set_double(r->in->schema, r->vals, col, v,
				 who(r->in, w, sizeof(w)), err);
}

int sl_input_row_set_string(sl_input_row *r, uint32_t col, const char *s,
			    size_t len, sl_err *err)
{
	char w[160];

	if (!r)
		return sl_err_set(err, SL_EINVAL, "input row: NULL");
	return sl_row_set_string(r->in->schema, r->vals, col, s, len,
				 who(r->in, w, sizeof(w)), err);
}

/* ---- the producer ----------------------------------------------------- */

/* Copies row into slot s: values, and string bytes into the slot's own
 * buffer. false when out of memory. */
static bool slot_fill(const sl_input *in, sl_inq *q, uint64_t s,
		      const sl_value *row, int64_t now)
{
	sl_inq_slot *sl = &q->slots[s & in->mask];
	sl_value *dst = q->vals + (size_t)(s & in->mask) * in->ncols;
	size_t need = 0, at = 0;

	for (uint32_t c = 0; c < in->ncols; c++)
		if (row[c].type == SL_STRING || row[c].type == SL_BINARY)
			need += row[c].len;
	if (need > sl->cap) {
		size_t cap = sl->cap ? sl->cap : 64;
		while (cap < need)
			cap *= 2;
		char *b = realloc(sl->bytes, cap);
		if (!b)
			return false;
		sl->bytes = b;
		sl->cap = cap;
	}
	for (uint32_t c = 0; c < in->ncols; c++) {
		dst[c] = row[c];
		if (row[c].type != SL_STRING && row[c].type != SL_BINARY)
			continue;
		/* Never the caller's pointer, not even for no bytes. */
		dst[c].v.str = "";
		if (row[c].len) {
			memcpy(sl->bytes + at, row[c].v.str, row[c].len);
			dst[c].v.str = sl->bytes + at;
			at += row[c].len;
		}
	}
	sl->push_ns = now;
	return true;
}

/* Room for n more rows in q, waiting as in's mode says. Returns the room
 * (>= n), or < 0 with err set; DROP_NEWEST returns what there is. */
static int64_t wait_room(sl_input *in, sl_inq *q, uint64_t h, uint32_t n,
			 uint32_t part, sl_err *err)
{
	uint64_t room = in->capacity - (h - q->tail_seen);
	int64_t deadline = 0;

	if (room >= n)
		return (int64_t)room;
	/* acquire: the consumer is done with the slots it freed */
	q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
	room = in->capacity - (h - q->tail_seen);
	if (room >= n || in->mode == SL_INPUT_DROP_NEWEST)
		return (int64_t)room;
	if (in->mode == SL_INPUT_FAIL)
		return sl_err_set(err, SL_EFULL, "input '%s': partition %u's "
				  "queue is full (%u rows)", in->name, part,
				  in->capacity);
	if (in->block_timeout_ms > 0)
		deadline = sl_now_ns() + in->block_timeout_ms * 1000000LL;
	for (;;) {
		uint32_t t = sl_waiter_prepare(&q->producer);
		int64_t left = -1;

		q->tail_seen = atomic_load_explicit(&q->tail,
						    memory_order_acquire);
		room = in->capacity - (h - q->tail_seen);
		if (room >= n)
			return (int64_t)room;
		if (atomic_load_explicit(&in->closed, memory_order_acquire))
			return sl_err_set(err, SL_ESTATE, "input '%s' was "
					  "closed while a push waited",
					  in->name);
		if (deadline) {
			left = deadline - sl_now_ns();
			if (left <= 0)
				return sl_err_set(err, SL_ETIMEOUT, "input "
						  "'%s': partition %u's queue "
						  "stayed full (%u rows) for "
						  "%lld ms", in->name, part,
						  in->capacity,
						  (long long)in->block_timeout_ms);
		}
		/* Bounded, so a stale view of a wake costs a retry only. */
		if (left < 0 || left > 100000000)
			left = 100000000;
		sl_waiter_wait(&q->producer, t, left);
	}
}

int sl_inq_push(sl_input *in, uint32_t part, const sl_value *const *rows,
		uint32_t n, sl_err *err)
{
	sl_inq *q;
	uint64_t h;
	int64_t room, now;
	uint32_t k;

	if (part >= in->nparts)
		return sl_err_set(err, SL_EINVAL, "input '%s': no partition "
				  "%u (it has %u)", in->name, part,
				  in->nparts);
	if (atomic_load_explicit(&in->closed, memory_order_relaxed))
		return sl_err_set(err, SL_ESTATE, "input '%s' is closed",
				  in->name);
	if (n > in->capacity)
		return sl_err_set(err, SL_EINVAL, "input '%s': a batch of %u "
				  "rows is more than the queue holds (%u)",
				  in->name, n, in->capacity);
	q = &in->parts[part];
	h = atomic_load_explicit(&q->head, memory_order_relaxed);
	room = wait_room(in, q, h, n, part, err);
	if (room < 0)
		return (int)room;
	k = room < n ? (uint32_t)room : n;
	now = sl_now_ns();
	for (uint32_t i = 0; i < k; i++)
		if (!slot_fill(in, q, h + i, rows[i], now)) {
			k = i;
			if (!k)
				return sl_err_set(err, -ENOMEM, "input '%s': "
						  "out of memory", in->name);
			break;
		}
	if (k < n)
		atomic_fetch_add_explicit(&q->dropped, n - k,
					  memory_order_relaxed);
	if (!k)
		return n == 1 ? 1 : 0;
	/* release: the slots' contents before the consumer sees them */
	atomic_store_explicit(&q->head, h + k, memory_order_release);
	sl_waiter_wake(&q->consumer);
	return n == 1 ? 0 : (int)k;
}

static void json_decref_v(void *j)
{
	json_decref(j);
}

int sl_inq_push_json(sl_input *in, uint32_t part, const char *json,
		     size_t len, sl_err *err)
{
	json_error_t je;
	json_t *j, *v;
	const char *key;
	sl_inq *q;
	int rc;

	if (part >= in->nparts)
		return sl_err_set(err, SL_EINVAL, "input '%s': no partition "
				  "%u (it has %u)", in->name, part,
				  in->nparts);
	if (!json)
		return sl_err_set(err, SL_EINVAL, "input '%s': no JSON text",
				  in->name);
	q = &in->parts[part];
	j = json_loadb(json, len, 0, &je);
	if (!j)
		return sl_err_set(err, SL_EINVAL, "input '%s': bad JSON at "
				  "column %d: %s", in->name, je.column,
				  je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return sl_err_set(err, SL_EINVAL, "input '%s': the JSON "
				  "text is not an object", in->name);
	}
	/* the values' arena may unwind (core/alloc.h): j goes too */
	sl_oom_defer(json_decref_v, j);
	sl_arena_reset(&q->scratch);
	for (uint32_t c = 0; c < in->ncols; c++)
		q->scratch_row[c] = sl_v_null();
	json_object_foreach(j, key, v)
	{
		int c = sl_schema_find(in->schema, key, strlen(key));
		char tn[64];

		if (c < 0)
			continue; /* Spark's JSON reader skips them too */
		if (sl_format_json_value(v, in->schema->fields[c].type,
					 &q->scratch, &q->scratch_row[c]))
			continue;
		sl_dtype_name(in->schema->fields[c].type, tn, sizeof(tn));
		sl_oom_undefer(j);
		json_decref(j);
		return sl_err_set(err, SL_EINVAL, "input '%s': field '%s' is "
				  "not of type %s", in->name,
				  in->schema->fields[c].name, tn);
	}
	sl_oom_undefer(j);
	const sl_value *row = q->scratch_row;
	rc = sl_inq_push(in, part, &row, 1, err);
	json_decref(j);
	return rc;
}

/* ---- the consumer ----------------------------------------------------- */

uint64_t sl_inq_ready(sl_input *in, uint32_t part)
{
	sl_inq *q = &in->parts[part];

	return atomic_load_explicit(&q->head, memory_order_acquire) -
	       atomic_load_explicit(&q->tail, memory_order_relaxed);
}

sl_batch *sl_inq_take(sl_input *in, uint32_t part, uint32_t max)
{
	sl_inq *q = &in->parts[part];
	uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	/* acquire: the slots' contents the producer wrote */
	uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t n = h - t < max ? (uint32_t)(h - t) : max;
	sl_batch *b;
	sl_value *dst;

	if (!n)
		return NULL;
	b = sl_batch_new(in->schema, n);
	dst = b->vals;
	b->ingest_ns = q->slots[t & in->mask].push_ns;
	for (uint32_t i = 0; i < n; i++, dst += in->ncols) {
		uint64_t s = (t + i) & in->mask;
		const sl_value *src = q->vals + (size_t)s * in->ncols;

		for (uint32_t c = 0; c < in->ncols; c++) {
			dst[c] = src[c];
			if ((src[c].type == SL_STRING ||
			     src[c].type == SL_BINARY) &&
			    !src[c].len)
				dst[c].v.str = "";
			else if ((src[c].type == SL_STRING ||
				  src[c].type == SL_BINARY)) {
				char *p = sl_arena_alloc(&b->arena, src[c].len);
				memcpy(p, src[c].v.str, src[c].len);
				dst[c].v.str = p;
			}
		}
	}
	b->nrows = n;
	b->partition = part;
	/* release: done with the slots before the producer reuses them */
	atomic_store_explicit(&q->tail, t + n, memory_order_release);
	sl_waiter_wake(&q->producer);
	return b;
}
