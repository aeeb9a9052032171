/* io/input.h - the in-process input (sl_session_input, include/sluice.h):
 * per-partition queues the host pushes rows into and the source "input"
 * (io/source_input.c) reads. The queue side is io/input.c; the public
 * functions are engine/input.c, which turns failures into the session's
 * error message.
 *
 * A partition's queue is a single-producer single-consumer ring of row
 * slots: `capacity` rows of the schema's sl_values, each slot with its own
 * byte buffer for strings (grown when a row needs more, reused after). A
 * push copies the row into the next free slot and publishes it with one
 * release store of `head`; the partition thread of the query takes every
 * published slot (up to a record vector's worth) into an sl_batch and
 * frees the slots with one release store of `tail`. No lock on either
 * side; each side parks on its own sl_waiter (core/chan.h) only when it
 * must wait, and the other side's wake costs a fence and a load when
 * nobody sleeps. */
#ifndef SL_IO_INPUT_H
#define SL_IO_INPUT_H

#include <stdatomic.h>

#include "core/chan.h"
#include "core/value.h"
#include "sluice.h"

typedef struct sl_inq_slot {
	char *bytes; /* the row's string bytes; malloc'd, grown by the producer */
	size_t cap;
	int64_t push_ns; /* CLOCK_MONOTONIC at the push */
} sl_inq_slot;

typedef struct sl_inq {
	/* producer's */
	_Alignas(64) _Atomic uint64_t head; /* slots published */
	uint64_t tail_seen;                 /* the producer's copy of tail */
	_Atomic uint64_t dropped;
	sl_arena scratch;  /* push_json's bytes, reset every push */
	sl_value *scratch_row;
	/* consumer's */
	_Alignas(64) _Atomic uint64_t tail; /* slots freed */
	/* both: what the query committed (the source's commit, on the
	 * coordinator; read by the host) */
	_Alignas(64) _Atomic int64_t committed;
	sl_value *vals;      /* capacity * ncols */
	sl_inq_slot *slots;  /* capacity */
	sl_waiter consumer;  /* the partition thread waits here for rows */
	sl_waiter producer;  /* a blocked push waits here for room */
} sl_inq;

struct sl_input {
	char *name;
	const void *session; /* the sessions' inputs are told apart by it */
	const sl_schema *schema; /* in arena */
	uint32_t ncols, nparts;
	uint32_t capacity, mask;
	sl_input_backpressure mode;
	int64_t block_timeout_ms;
	_Atomic bool closed;
	_Atomic bool reading; /* a query has the input open */
	sl_inq *parts;
	sl_arena arena; /* the schema */
	struct sl_input *next; /* the session's list of inputs */
};

struct sl_input_row {
	const sl_input *in;
	sl_value vals[]; /* ncols; strings borrowed until the push */
};

/* A new input (not yet findable); NULL with err set. */
sl_input *sl_input_new(const void *session, const char *name,
		       const char *ddl, int nparts, const sl_input_opts *o,
		       sl_err *err);
/* Adds in to list, the session's inputs (so that a source "input" finds
 * it by name): SL_EINVAL if the name is taken there. The list belongs to
 * the session and is built on the thread that builds it. */
int sl_input_register(sl_input *in, sl_input **list, sl_err *err);
/* Frees in (the session is destroyed: no query runs; the list goes with
 * the session). */
void sl_input_free(void *in);
/* The input named name in list, or NULL. */
sl_input *sl_input_find(sl_input *list, const char *name);

/* 0 if r is a row and col one of its columns, else SL_EINVAL. */
int sl_input_row_check(const sl_input_row *r, uint32_t col, sl_err *err);
int sl_input_row_set_long(sl_input_row *r, uint32_t col, int64_t v,
			  sl_err *err);
int sl_input_row_set_double(sl_input_row *r, uint32_t col, double v,
			    sl_err *err);
int sl_input_row_set_string(sl_input_row *r, uint32_t col, const char *s,
			    size_t len, sl_err *err);

/* The pushes (include/sluice.h says what they return); err set on < 0. */
int sl_inq_push(sl_input *in, uint32_t part, const sl_value *const *rows,
		uint32_t n, sl_err *err);
int sl_inq_push_json(sl_input *in, uint32_t part, const char *json,
		     size_t len, sl_err *err);

/* Consumer side (the partition thread): up to max published rows as a
 * record vector (NULL if none), their slots freed. */
sl_batch *sl_inq_take(sl_input *in, uint32_t part, uint32_t max);
/* Rows published and not yet taken (exact on the consumer's thread). */
uint64_t sl_inq_ready(sl_input *in, uint32_t part);

#endif
