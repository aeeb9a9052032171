/* expr/vec.h - what the vectorised evaluator's two files share: the
 * chunk of rows in flight, a node's result over it, the slot classes of
 * the primitive types and the node's operator code. expr/vec_ok.c decides
 * which trees can run vectorised; expr/vec.c runs them. Internal to expr/. */
#ifndef SL_EXPR_VEC_H
#define SL_EXPR_VEC_H

#include "expr/internal.h"

/* Rows per pass: the temporaries of one tree level (VCHUNK * 9 bytes)
 * live on the stack, so this bounds the stack at VDEPTH levels to about
 * 75 KiB, while a node's fixed cost is still spread over many rows. */
#define VCHUNK 256
#define VDEPTH 32

/* One value of a column in flight: integers of every width (int and date
 * sign-extended, boolean 0/1) in i, doubles in d. */
typedef union vslot {
	int64_t i;
	double d;
} vslot;

/* The rows of one pass: chunk rows 0..n-1 are sel[0..n) or first.. */
typedef struct vchunk {
	const sl_value *rows;
	uint32_t ncols;
	const uint32_t *sel;
	uint32_t first;
	uint32_t n;
	bool *trip; /* set when a checked operator met a case it must raise */
} vchunk;

/* A node's result over a chunk. A constant (k) has its value in v[0] and
 * is the same for every row; knull: a constant null. */
typedef struct vres {
	vslot *v;
	uint8_t *nul; /* 1 where the row is null; NULL when none is */
	bool k, knull;
} vres;

/* How a value of a primitive type is held in a slot. */
enum { VC_NONE, VC_I32, VC_I64, VC_F64, VC_BOOL };

/* The node's vectorised operator (cached by bind, else looked up). */
static inline sl_vop node_vop(const sl_expr *e, bool *checked)
{
	if (e->vop) {
		*checked = e->vop_checked;
		return (sl_vop)(e->vop - 1);
	}
	return sl_eval_vop_checked(e, checked);
}

static inline int vclass(const sl_dtype *t)
{
	switch (t->id) {
	case SL_INT:
	case SL_DATE: return VC_I32;
	case SL_LONG:
	case SL_TIMESTAMP: return VC_I64;
	case SL_DOUBLE: return VC_F64;
	case SL_BOOL: return VC_BOOL;
	default: return VC_NONE;
	}
}

static inline bool is_num(sl_type t)
{
	return t == SL_INT || t == SL_LONG || t == SL_DOUBLE || t == SL_BOOL;
}
#endif
