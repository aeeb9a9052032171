/* expr/vec_ok.c - which bound expressions expr/vec.c can evaluate a
 * vector at a time: every node's per-row function must be known
 * (sl_eval_vop), must read exactly the operand types its kernel holds in
 * a slot, and must neither fail nor allocate (an ANSI cast that can fail
 * goes row by row). Also caches each node's operator code at bind time. */
#include "expr/vec.h"

void sl_expr_cache_vops(sl_expr *e, int depth)
{
	if (!e || depth > VDEPTH || !e->eval)
		return;
	bool checked;
	sl_vop op = sl_eval_vop_checked(e, &checked);
	e->vop = (uint8_t)(op + 1);
	e->vop_checked = checked;
	for (uint32_t i = 0; i < e->nargs; i++)
		sl_expr_cache_vops(e->args[i], depth + 1);
}

/* ---- what can be vectorised ------------------------------------------- */

/* Operand types each operator's per-row function reads: it reads the
 * union field of its type without looking at the tag, so only operands of
 * exactly these types may be handled here. */
static bool args_are(const sl_expr *e, uint32_t n, int cls, sl_type t1,
		     sl_type t2)
{
	if (e->nargs != n)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		sl_type t = e->args[i]->type->id;
		if (cls != VC_NONE && vclass(e->args[i]->type) != cls)
			return false;
		if (cls == VC_NONE && t != t1 && t != t2)
			return false;
	}
	return true;
}

static bool vec_ok(const sl_expr *e, int depth)
{
	/* Bind sets eval and type on every node it has seen. */
	if (depth > VDEPTH || !e->eval || !e->type)
		return false;
	switch (e->kind) {
	case EX_COL: return e->col >= 0 && vclass(e->type) != VC_NONE;
	case EX_LIT:
		return e->lit.type == SL_NULL ||
		       (vclass(e->type) != VC_NONE &&
			e->lit.type == e->type->id);
	case EX_CAST:
		/* an ANSI cast that can fail (narrowing) goes row by row */
		if ((e->flags & EXF_ANSI) && e->type->id != SL_DOUBLE &&
		    !(e->type->id == SL_LONG && e->args[0]->type->id == SL_INT))
			return false;
		return e->eval == sl_eval_cast && e->nargs == 1 &&
		       is_num(e->type->id) && is_num(e->args[0]->type->id) &&
		       vec_ok(e->args[0], depth + 1);
	default: break;
	}
	bool checked;
	sl_vop op = node_vop(e, &checked);
	bool args;
	switch (op) {
	case VOP_NONE: return false;
	case VOP_NULL: return true; /* its operands are never evaluated */
	case VOP_ISNULL: {
		/* Only the null mask is needed: a column of any type. */
		const sl_expr *x = e->args[0];
		if (e->nargs != 1)
			return false;
		return (x->kind == EX_COL && x->col >= 0 && x->eval) ||
		       vec_ok(x, depth + 1);
	}
	case VOP_ADD_I:
	case VOP_SUB_I:
	case VOP_MUL_I:
	case VOP_MOD_I:
		args = args_are(e, 2, VC_NONE, SL_INT, SL_INT);
		break;
	case VOP_ADD_L:
	case VOP_SUB_L:
	case VOP_MUL_L:
	case VOP_MOD_L:
		args = args_are(e, 2, VC_NONE, SL_LONG, SL_LONG);
		break;
	case VOP_ADD_D:
	case VOP_SUB_D:
	case VOP_MUL_D:
	case VOP_MOD_D:
	case VOP_DIV_D:
		args = args_are(e, 2, VC_NONE, SL_DOUBLE, SL_DOUBLE);
		break;
	case VOP_NEG:
		args = args_are(e, 1, VC_NONE, SL_INT, SL_LONG) ||
		       args_are(e, 1, VC_NONE, SL_DOUBLE, SL_DOUBLE);
		args = args && e->args[0]->type->id == e->type->id;
		break;
	case VOP_CMP_I32: args = args_are(e, 2, VC_I32, 0, 0); break;
	case VOP_CMP_I64: args = args_are(e, 2, VC_I64, 0, 0); break;
	case VOP_CMP_F64: args = args_are(e, 2, VC_F64, 0, 0); break;
	case VOP_CMP_BOOL: args = args_are(e, 2, VC_BOOL, 0, 0); break;
	case VOP_NSEQ:
		/* sl_value_eq per type: one class for both sides. */
		args = e->nargs == 2 && vclass(e->args[0]->type) != VC_NONE &&
		       vclass(e->args[0]->type) == vclass(e->args[1]->type);
		break;
	case VOP_AND:
	case VOP_OR: args = args_are(e, 2, VC_BOOL, 0, 0); break;
	case VOP_NOT: args = args_are(e, 1, VC_BOOL, 0, 0); break;
	default: return false;
	}
	if (!args)
		return false;
	if ((op >= VOP_CMP_I32 && op <= VOP_CMP_BOOL) &&
	    (e->op > CMP_GE))
		return false;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (!vec_ok(e->args[i], depth + 1))
			return false;
	return true;
}

bool sl_expr_vec_ok(const sl_expr *e)
{
	return e && vec_ok(e, 0);
}
