/* expr/vec.c - vectorised evaluation: a bound expression over a whole
 * record vector, one tree node at a time, a chunk of rows at a time.
 *
 * The per-row evaluator (expr/eval.c) pays a call per node per row, boxes
 * every intermediate result in an sl_value and tests for null at every
 * node. Here each node runs one tight loop over up to VCHUNK rows of
 * unboxed 8-byte slots plus a byte-per-row null mask (absent when no row
 * is null), so the work per row is a few instructions per node and the
 * compiler can use SIMD. Only nodes whose per-row function is known
 * (sl_eval_vop) and that can neither fail nor allocate are handled; for
 * anything else sl_expr_vec_ok (expr/vec_ok.c) says no and the caller
 * evaluates row by row. ANSI's checked operators (overflow, a zero divisor) are computed
 * here too, with the check beside the loop: a chunk where one trips is
 * evaluated again row by row, which raises Spark's error for the row at
 * fault (or finds that only a null row tripped). The results are the
 * per-row evaluator's, value for value: tests/unit/expr_vec.c compares the
 * two on random vectors. */
#include <math.h>

#include "expr/vec.h"

/* ---- leaves ----------------------------------------------------------- */

/* Loops over the chunk's rows of column col, with x the row's value. */
/* The chunk's fields are copied to locals first: the stores in BODY
 * could otherwise alias them and force a reload per row. */
#define FOR_ROWS(c, col, BODY)                                                 \
	do {                                                                   \
		const sl_value *base_ = (c)->rows + (col);                     \
		const size_t nc_ = (c)->ncols;                                 \
		const uint32_t *const sel_ = (c)->sel;                         \
		const uint32_t n_ = (c)->n;                                    \
		if (sel_) {                                                    \
			for (uint32_t i = 0; i < n_; i++) {                    \
				const sl_value *x =                            \
					base_ + (size_t)sel_[i] * nc_;         \
				BODY;                                          \
			}                                                      \
		} else {                                                       \
			const sl_value *x = base_ + (size_t)(c)->first * nc_;  \
			for (uint32_t i = 0; i < n_; i++, x += nc_) {          \
				BODY;                                          \
			}                                                      \
		}                                                              \
	} while (0)

static void v_col(const sl_expr *e, const vchunk *c, vslot *buf, uint8_t *nb,
		  vres *r)
{
	uint8_t any = 0;

	switch (vclass(e->type)) {
	case VC_I32:
		FOR_ROWS(c, e->col, {
			buf[i].i = x->v.i32;
			nb[i] = x->type == SL_NULL;
			any |= nb[i];
		});
		break;
	case VC_I64:
		FOR_ROWS(c, e->col, {
			buf[i].i = x->v.i64;
			nb[i] = x->type == SL_NULL;
			any |= nb[i];
		});
		break;
	case VC_F64:
		FOR_ROWS(c, e->col, {
			buf[i].d = x->v.f64;
			nb[i] = x->type == SL_NULL;
			any |= nb[i];
		});
		break;
	default: /* VC_BOOL */
		/* The byte, not the bool: a null's payload need not be a
		 * valid bool. */
		FOR_ROWS(c, e->col, {
			buf[i].i = *(const uint8_t *)&x->v != 0;
			nb[i] = x->type == SL_NULL;
			any |= nb[i];
		});
		break;
	}
	*r = (vres){ .v = buf, .nul = any ? nb : NULL };
}

static void v_lit(const sl_expr *e, vslot *buf, vres *r)
{
	const sl_value *x = &e->lit;

	*r = (vres){ .v = buf, .k = true };
	switch (x->type) {
	case SL_NULL:
		r->knull = true;
		buf[0].i = 0;
		break;
	case SL_INT:
	case SL_DATE: buf[0].i = x->v.i32; break;
	case SL_DOUBLE: buf[0].d = x->v.f64; break;
	case SL_BOOL: buf[0].i = x->v.b; break;
	default: buf[0].i = x->v.i64; break;
	}
}

/* ---- helpers for operators -------------------------------------------- */

static void vx(const sl_expr *e, const vchunk *c, vslot *buf, uint8_t *nb,
	       vres *r);

/* Makes constant x a column of n equal values (in place: x->v[0] is the
 * value), for operators without a constant form. */
static void spread(vres *x, uint32_t n)
{
	vslot v = x->v[0];

	for (uint32_t i = 1; i < n; i++)
		x->v[i] = v;
	x->k = false;
}

/* The null mask of a binary operator (null if either operand is) into nb;
 * NULL if no row is null. */
static uint8_t *or_nulls(const vres *a, const vres *b, uint8_t *nb,
			 uint32_t n)
{
	if (a->nul && b->nul) {
		for (uint32_t i = 0; i < n; i++)
			nb[i] = a->nul[i] | b->nul[i];
		return nb;
	}
	const uint8_t *s = a->nul ? a->nul : b->nul;
	if (!s)
		return NULL;
	if (s != nb)
		memcpy(nb, s, n);
	return nb;
}

/* Makes sure r has a mask in nb (all rows non-null so far). */
static void need_mask(vres *r, uint8_t *nb, uint32_t n)
{
	if (!r->nul) {
		memset(nb, 0, n);
		r->nul = nb;
	}
}

/* Spark's double ordering: NaN equals NaN and is above everything. */
static inline bool d_eq(double l, double r)
{
	return l == r || (isnan(l) && isnan(r));
}
static inline bool d_lt(double l, double r)
{
	return l < r || (!isnan(l) && isnan(r));
}

/* ---- arithmetic ------------------------------------------------------- */

/* out = EXPR(l, r) over the chunk, r a constant or a column; l is always a
 * column here (a constant left operand is spread first). F: i or d. */
#define ARITH_LOOP(FL, FO, T, EXPR)                                            \
	do {                                                                   \
		const vslot *av_ = a.v, *bv_ = b.v;                            \
		if (b.k) {                                                     \
			const T r = (T)bv_[0].FL;                              \
			for (uint32_t i = 0; i < n; i++) {                     \
				const T l = (T)av_[i].FL;                      \
				o[i].FO = (EXPR);                              \
			}                                                      \
		} else {                                                       \
			for (uint32_t i = 0; i < n; i++) {                     \
				const T l = (T)av_[i].FL, r = (T)bv_[i].FL;    \
				o[i].FO = (EXPR);                              \
			}                                                      \
		}                                                              \
	} while (0)

/* x % r as Java computes it (sign of x) for r a positive power of two:
 * a mask instead of a division. */
static inline int64_t mod_pow2(int64_t x, int64_t r)
{
	/* x - trunc(x / r) * r: a negative x is biased by r - 1 before it is
	 * rounded down to a multiple of r (GCC's >> of a negative number is
	 * arithmetic); x + bias cannot overflow, bias being 0 for x >= 0. */
	int64_t bias = (x >> 63) & (r - 1);
	return x - (int64_t)((uint64_t)(x + bias) & (uint64_t)-r);
}

static void v_mod_int(vres a, vres b, vslot *o, uint8_t *nb, uint32_t n,
		      bool wide, bool *trip, vres *r)
{
	if (b.k) {
		int64_t d = b.v[0].i;
		if (d == 0) { /* division by zero: null, or ANSI's error */
			if (trip)
				*trip = true;
			*r = (vres){ .v = o, .k = true, .knull = true };
			return;
		}
		if (d == -1) /* also keeps MIN % -1 from trapping */
			for (uint32_t i = 0; i < n; i++)
				o[i].i = 0;
		else if (d > 0 && (d & (d - 1)) == 0 && wide)
			for (uint32_t i = 0; i < n; i++)
				o[i].i = mod_pow2(a.v[i].i, d);
		else if (d > 0 && (d & (d - 1)) == 0)
			for (uint32_t i = 0; i < n; i++)
				o[i].i = (int32_t)mod_pow2((int32_t)a.v[i].i, d);
		else if (wide)
			for (uint32_t i = 0; i < n; i++)
				o[i].i = a.v[i].i % d;
		else
			for (uint32_t i = 0; i < n; i++)
				o[i].i = (int32_t)a.v[i].i % (int32_t)d;
		return;
	}
	need_mask(r, nb, n);
	for (uint32_t i = 0; i < n; i++) {
		int64_t x = a.v[i].i, d = b.v[i].i;
		if (d == 0) {
			if (trip)
				*trip = true;
			nb[i] = 1;
			o[i].i = 0;
		} else if (d == -1) {
			o[i].i = 0;
		} else {
			o[i].i = wide ? x % d : (int32_t)x % (int32_t)d;
		}
	}
}

static void v_dmod_div(vres a, vres b, vslot *o, uint8_t *nb, uint32_t n,
		       bool div, bool *trip, vres *r)
{
	if (b.k && b.v[0].d == 0) {
		if (trip)
			*trip = true;
		*r = (vres){ .v = o, .k = true, .knull = true };
		return;
	}
	if (!b.k)
		need_mask(r, nb, n);
	for (uint32_t i = 0; i < n; i++) {
		double x = a.v[i].d, d = b.k ? b.v[0].d : b.v[i].d;
		if (d == 0) {
			if (trip)
				*trip = true;
			nb[i] = 1;
			o[i].d = 0;
		} else {
			o[i].d = div ? x / d : fmod(x, d);
		}
	}
}

/* Sets any when BUILTIN(l, r) overflows T for some row of the chunk:
 * ANSI's check, run before the wrapping loop (which may overwrite a's
 * values). */
#define OVERFLOW_LOOP(T, BUILTIN)                                              \
	do {                                                                   \
		T t_;                                                          \
		if (b.k)                                                       \
			for (uint32_t i = 0; i < n; i++)                       \
				any |= BUILTIN((T)a.v[i].i, (T)b.v[0].i, &t_); \
		else                                                           \
			for (uint32_t i = 0; i < n; i++)                       \
				any |= BUILTIN((T)a.v[i].i, (T)b.v[i].i, &t_); \
	} while (0)

/* Whether every l of the chunk lies in [lo, hi] (lo <= 0 <= hi): first
 * the cheap test, that all lie in [-2^k, 2^k) inside it (one add and one
 * or per row: the sum of l and 2^k is below 2^(k+1) for each exactly when
 * their or is); only when that fails, the exact compares. */
static bool within(const vslot *v, uint32_t n, int64_t lo, int64_t hi)
{
	int k = 62;
	while (k > 0 && (-(lo + 1) < ((int64_t)1 << k) - 1 ||
			 hi < ((int64_t)1 << k) - 1))
		k--;
	if (-(lo + 1) >= ((int64_t)1 << k) - 1 && hi >= ((int64_t)1 << k) - 1) {
		const uint64_t bias = (uint64_t)1 << k;
		uint64_t acc = 0;
		for (uint32_t i = 0; i < n; i++)
			acc |= (uint64_t)v[i].i + bias;
		if (!(acc >> (k + 1)))
			return true;
	}
	bool out = false;
	for (uint32_t i = 0; i < n; i++)
		out |= (v[i].i < lo) | (v[i].i > hi);
	return !out;
}

#define RANGE_LOOP(lo, hi) any = !within(a.v, n, (lo), (hi))

/* l + r, l - r, l * r for a constant r stay within [min, max] exactly
 * for l in these bounds. */
static bool const_overflows(sl_vop op, vres a, int64_t r, uint32_t n,
			    int64_t min, int64_t max)
{
	bool any = false;

	switch (op) {
	case VOP_ADD_I:
	case VOP_ADD_L:
		if (r >= 0)
			RANGE_LOOP(min, max - r);
		else
			RANGE_LOOP(min - r, max);
		break;
	case VOP_SUB_I:
	case VOP_SUB_L:
		if (r > 0)
			RANGE_LOOP(min + r, max);
		else if (r == min)
			RANGE_LOOP(min, -1);
		else
			RANGE_LOOP(min, max + r);
		break;
	default: /* multiply */
		if (r == 0 || r == 1)
			break;
		if (r == -1)
			RANGE_LOOP(min + 1, max);
		else if (r > 0)
			RANGE_LOOP(min / r, max / r);
		else
			RANGE_LOOP(max / r, min / r);
		break;
	}
	return any;
}

static bool arith_overflows(sl_vop op, vres a, vres b, uint32_t n)
{
	bool any = false;
	bool wide = op == VOP_ADD_L || op == VOP_SUB_L || op == VOP_MUL_L;

	if (b.k && (op == VOP_ADD_I || op == VOP_SUB_I || op == VOP_MUL_I ||
		    wide))
		return const_overflows(op, a, b.v[0].i, n,
				       wide ? INT64_MIN : INT32_MIN,
				       wide ? INT64_MAX : INT32_MAX);
	switch (op) {
	case VOP_ADD_I: OVERFLOW_LOOP(int32_t, __builtin_add_overflow); break;
	case VOP_SUB_I: OVERFLOW_LOOP(int32_t, __builtin_sub_overflow); break;
	case VOP_MUL_I: OVERFLOW_LOOP(int32_t, __builtin_mul_overflow); break;
	case VOP_ADD_L: OVERFLOW_LOOP(int64_t, __builtin_add_overflow); break;
	case VOP_SUB_L: OVERFLOW_LOOP(int64_t, __builtin_sub_overflow); break;
	case VOP_MUL_L: OVERFLOW_LOOP(int64_t, __builtin_mul_overflow); break;
	default: break;
	}
	return any;
}

static void v_arith(const sl_expr *e, sl_vop op, bool checked,
		    const vchunk *c, vslot *buf, uint8_t *nb, vres *res)
{
	vslot tv[VCHUNK];
	uint8_t tn[VCHUNK];
	vres a, b;
	uint32_t n = c->n;

	vx(e->args[0], c, buf, nb, &a);
	vx(e->args[1], c, tv, tn, &b);
	if ((a.k && a.knull) || (b.k && b.knull)) {
		*res = (vres){ .v = buf, .k = true, .knull = true };
		return;
	}
	/* Both constant: one row's worth is the answer for every row. */
	bool k = a.k && b.k;
	if (k)
		n = 1;
	else if (a.k)
		spread(&a, n);
	vslot *o = buf;
	*res = (vres){ .v = o, .k = k };
	res->nul = k ? NULL : or_nulls(&a, &b, nb, n);
	bool *trip = checked ? c->trip : NULL;
	if (trip && arith_overflows(op, a, b, n))
		*trip = true;
	switch (op) {
	case VOP_ADD_I:
		ARITH_LOOP(i, i, uint32_t, (int32_t)(l + r));
		break;
	case VOP_SUB_I:
		ARITH_LOOP(i, i, uint32_t, (int32_t)(l - r));
		break;
	case VOP_MUL_I:
		ARITH_LOOP(i, i, uint32_t, (int32_t)(l * r));
		break;
	case VOP_ADD_L:
		ARITH_LOOP(i, i, uint64_t, (int64_t)(l + r));
		break;
	case VOP_SUB_L:
		ARITH_LOOP(i, i, uint64_t, (int64_t)(l - r));
		break;
	case VOP_MUL_L:
		ARITH_LOOP(i, i, uint64_t, (int64_t)(l * r));
		break;
	case VOP_ADD_D: ARITH_LOOP(d, d, double, l + r); break;
	case VOP_SUB_D: ARITH_LOOP(d, d, double, l - r); break;
	case VOP_MUL_D: ARITH_LOOP(d, d, double, l * r); break;
	case VOP_MOD_I:
	case VOP_MOD_L:
		v_mod_int(a, b, o, nb, n, op == VOP_MOD_L, trip, res);
		break;
	case VOP_MOD_D:
	case VOP_DIV_D:
		v_dmod_div(a, b, o, nb, n, op == VOP_DIV_D, trip, res);
		break;
	default: break;
	}
	/* A constant result of a constant divisor of zero stays knull; any
	 * other constant result keeps k with no mask. */
	if (k && res->nul) {
		bool isnull = res->nul[0];
		res->nul = NULL;
		res->knull = isnull;
	}
}

static void v_neg(const sl_expr *e, bool checked, const vchunk *c, vslot *buf,
		  uint8_t *nb, vres *r)
{
	vx(e->args[0], c, buf, nb, r);
	if (r->k && r->knull)
		return;
	uint32_t n = r->k ? 1 : c->n;
	if (checked && e->type->id != SL_DOUBLE) {
		/* ANSI: -MIN overflows */
		int64_t min = e->type->id == SL_INT ? INT32_MIN : INT64_MIN;
		bool any = false;
		for (uint32_t i = 0; i < n; i++)
			any |= buf[i].i == min;
		if (any)
			*c->trip = true;
	}
	switch (e->type->id) {
	case SL_INT:
		for (uint32_t i = 0; i < n; i++)
			buf[i].i = (int32_t)(0u - (uint32_t)buf[i].i);
		break;
	case SL_LONG:
		for (uint32_t i = 0; i < n; i++)
			buf[i].i = (int64_t)(0ull - (uint64_t)buf[i].i);
		break;
	default:
		for (uint32_t i = 0; i < n; i++)
			buf[i].d = -buf[i].d;
		break;
	}
}

/* ---- comparisons ------------------------------------------------------ */

#define CMP_LOOP(FL, T, EXPR)                                                  \
	do {                                                                   \
		const vslot *av_ = a.v, *bv_ = b.v;                            \
		if (b.k) {                                                     \
			const T r = bv_[0].FL;                                 \
			for (uint32_t i = 0; i < n; i++) {                     \
				const T l = av_[i].FL;                         \
				o[i].i = (EXPR);                               \
			}                                                      \
		} else {                                                       \
			for (uint32_t i = 0; i < n; i++) {                     \
				const T l = av_[i].FL, r = bv_[i].FL;          \
				o[i].i = (EXPR);                               \
			}                                                      \
		}                                                              \
	} while (0)

static void v_cmp(const sl_expr *e, sl_vop op, const vchunk *c, vslot *buf,
		  uint8_t *nb, vres *res)
{
	vslot tv[VCHUNK];
	uint8_t tn[VCHUNK];
	vres a, b;
	uint32_t n = c->n;

	vx(e->args[0], c, buf, nb, &a);
	vx(e->args[1], c, tv, tn, &b);
	if (op == VOP_NSEQ) {
		/* never null: null <=> null is true, null <=> x false */
		bool dbl = vclass(e->args[0]->type) == VC_F64;
		bool az = a.k && a.knull, bz = b.k && b.knull;
		bool k = a.k && b.k;
		if (k)
			n = 1;
		else if (a.k)
			spread(&a, n);
		if (b.k && !k)
			spread(&b, n);
		for (uint32_t i = 0; i < n; i++) {
			bool ln = az || (a.nul && a.nul[i]);
			bool rn = bz || (b.nul && b.nul[i]);
			bool eq = dbl ? d_eq(a.v[i].d, b.v[i].d)
				      : a.v[i].i == b.v[i].i;
			buf[i].i = (ln || rn) ? (ln && rn) : eq;
		}
		*res = (vres){ .v = buf, .k = k };
		return;
	}
	if ((a.k && a.knull) || (b.k && b.knull)) {
		*res = (vres){ .v = buf, .k = true, .knull = true };
		return;
	}
	bool k = a.k && b.k;
	if (k)
		n = 1;
	else if (a.k)
		spread(&a, n);
	vslot *o = buf;
	*res = (vres){ .v = o, .k = k };
	res->nul = k ? NULL : or_nulls(&a, &b, nb, n);
	if (op == VOP_CMP_F64) {
		switch (e->op) {
		case CMP_EQ: CMP_LOOP(d, double, d_eq(l, r)); break;
		case CMP_NE: CMP_LOOP(d, double, !d_eq(l, r)); break;
		case CMP_LT: CMP_LOOP(d, double, d_lt(l, r)); break;
		case CMP_LE: CMP_LOOP(d, double, !d_lt(r, l)); break;
		case CMP_GT: CMP_LOOP(d, double, d_lt(r, l)); break;
		default: CMP_LOOP(d, double, !d_lt(l, r)); break;
		}
		return;
	}
	/* int, date, bigint, timestamp and boolean: all exact in i */
	switch (e->op) {
	case CMP_EQ: CMP_LOOP(i, int64_t, l == r); break;
	case CMP_NE: CMP_LOOP(i, int64_t, l != r); break;
	case CMP_LT: CMP_LOOP(i, int64_t, l < r); break;
	case CMP_LE: CMP_LOOP(i, int64_t, l <= r); break;
	case CMP_GT: CMP_LOOP(i, int64_t, l > r); break;
	default: CMP_LOOP(i, int64_t, l >= r); break;
	}
}

/* ---- logic ------------------------------------------------------------ */

/* SQL's three-valued AND/OR. Both sides are evaluated for every row: the
 * per-row evaluator's short cut only saves work, as vectorised operands
 * cannot fail. */
static void v_andor(const sl_expr *e, bool is_and, const vchunk *c,
		    vslot *buf, uint8_t *nb, vres *r)
{
	vslot tv[VCHUNK];
	uint8_t tn[VCHUNK];
	vres a, b;
	uint32_t n = c->n;

	vx(e->args[0], c, buf, nb, &a);
	vx(e->args[1], c, tv, tn, &b);
	uint8_t az = a.k && a.knull, bz = b.k && b.knull;
	bool k = a.k && b.k;
	if (k)
		n = 1;
	/* Constants as columns of n values with masks: AND/OR need the
	 * masks row by row anyway. */
	if (a.k && !k)
		spread(&a, n);
	if (b.k && !k)
		spread(&b, n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t ln = az | (a.nul ? a.nul[i] : 0);
		uint8_t rn = bz | (b.nul ? b.nul[i] : 0);
		uint8_t lv = !ln & (a.v[i].i != 0), rv = !rn & (b.v[i].i != 0);
		uint8_t decided, v;
		if (is_and) { /* a non-null false decides */
			decided = (!ln & !lv) | (!rn & !rv);
			v = lv & rv;
		} else { /* a non-null true decides */
			decided = lv | rv;
			v = decided;
		}
		buf[i].i = v;
		nb[i] = (uint8_t)(decided ^ 1) & (ln | rn);
	}
	if (k) {
		*r = (vres){ .v = buf, .k = true, .knull = nb[0] };
		return;
	}
	uint8_t any = 0;
	for (uint32_t i = 0; i < n; i++)
		any |= nb[i];
	*r = (vres){ .v = buf, .nul = any ? nb : NULL };
}

static void v_not(const sl_expr *e, const vchunk *c, vslot *buf, uint8_t *nb,
		  vres *r)
{
	vx(e->args[0], c, buf, nb, r);
	uint32_t n = r->k ? 1 : c->n;
	for (uint32_t i = 0; i < n; i++)
		buf[i].i = !buf[i].i;
}

static void v_isnull(const sl_expr *e, const vchunk *c, vslot *buf,
		     uint8_t *nb, vres *r)
{
	const sl_expr *arg = e->args[0];
	uint8_t want = !(e->flags & EXF_NOT); /* IS NULL: 1 when null */
	uint32_t n = c->n;

	if (arg->kind == EX_COL && vclass(arg->type) == VC_NONE) {
		FOR_ROWS(c, arg->col, buf[i].i = (x->type == SL_NULL) == want);
		*r = (vres){ .v = buf };
		return;
	}
	vres a;
	vx(arg, c, buf, nb, &a);
	if (a.k) {
		buf[0].i = a.knull == want;
		*r = (vres){ .v = buf, .k = true };
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		buf[i].i = (a.nul ? a.nul[i] : 0) == want;
	*r = (vres){ .v = buf };
}

/* ---- casts between numbers (sl_cast_value's rules) -------------------- */

static void v_cast(const sl_expr *e, const vchunk *c, vslot *buf, uint8_t *nb,
		   vres *r)
{
	sl_type from = e->args[0]->type->id, to = e->type->id;

	vx(e->args[0], c, buf, nb, r);
	if (r->k && r->knull)
		return;
	uint32_t n = r->k ? 1 : c->n;
	if (from == to)
		return;
	if (from == SL_DOUBLE) {
		for (uint32_t i = 0; i < n; i++) {
			double d = buf[i].d;
			buf[i].i = to == SL_INT	   ? sl_double_to_int(d)
				   : to == SL_LONG ? sl_double_to_long(d)
						   : d != 0;
		}
		return;
	}
	/* from int, bigint or boolean, held exactly in i */
	switch (to) {
	case SL_INT:
		for (uint32_t i = 0; i < n; i++)
			buf[i].i = (int32_t)buf[i].i; /* wraps, as Java */
		break;
	case SL_DOUBLE:
		for (uint32_t i = 0; i < n; i++)
			buf[i].d = (double)buf[i].i;
		break;
	case SL_BOOL:
		for (uint32_t i = 0; i < n; i++)
			buf[i].i = buf[i].i != 0;
		break;
	default: /* SL_LONG */
		break;
	}
}

/* ---- dispatch --------------------------------------------------------- */

/* Evaluates e over chunk c. buf/nb (VCHUNK each) are the node's own
 * storage: the result lands there (r->v == buf, r->nul NULL or nb). */
static void vx(const sl_expr *e, const vchunk *c, vslot *buf, uint8_t *nb,
	       vres *r)
{
	switch (e->kind) {
	case EX_COL: v_col(e, c, buf, nb, r); return;
	case EX_LIT: v_lit(e, buf, r); return;
	case EX_CAST: v_cast(e, c, buf, nb, r); return;
	default: break;
	}
	bool checked;
	sl_vop op = node_vop(e, &checked);
	switch (op) {
	case VOP_NULL: *r = (vres){ .v = buf, .k = true, .knull = true }; break;
	case VOP_NEG: v_neg(e, checked, c, buf, nb, r); break;
	case VOP_CMP_I32:
	case VOP_CMP_I64:
	case VOP_CMP_F64:
	case VOP_CMP_BOOL:
	case VOP_NSEQ: v_cmp(e, op, c, buf, nb, r); break;
	case VOP_AND:
	case VOP_OR: v_andor(e, op == VOP_AND, c, buf, nb, r); break;
	case VOP_NOT: v_not(e, c, buf, nb, r); break;
	case VOP_ISNULL: v_isnull(e, c, buf, nb, r); break;
	default: v_arith(e, op, checked, c, buf, nb, r); break;
	}
}

static void chunk_at(const sl_vec_in *in, uint32_t at, vchunk *c)
{
	c->rows = in->rows;
	c->ncols = in->ncols;
	c->sel = in->sel ? in->sel + at : NULL;
	c->first = at;
	c->n = in->n - at < VCHUNK ? in->n - at : VCHUNK;
}

/* The chunk again, row by row (a checked operator tripped in it): the
 * row evaluator raises the error of the first row at fault. truth: keep
 * the row numbers of true rows in keep[w...] (filter); else the values to
 * out (project). Returns the new w, or < 0 with err set. */
static int64_t chunk_by_rows(const sl_expr *e, const vchunk *c, bool truth,
			     uint32_t *keep, uint32_t w, sl_value *out,
			     size_t stride, sl_arena *a, sl_err *err)
{
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t row = c->sel ? c->sel[i] : c->first + i;
		sl_value v;
		int rc = sl_expr_eval(e, c->rows + (size_t)row * c->ncols, a,
				      &v, err);
		if (rc < 0)
			return rc;
		if (!truth)
			out[(size_t)i * stride] = v;
		else if (sl_value_truthy(&v))
			keep[w++] = row;
	}
	return w;
}

int64_t sl_expr_vec_filter(const sl_expr *e, const sl_vec_in *in,
			   uint32_t *keep, sl_arena *a, sl_err *err)
{
	vslot buf[VCHUNK];
	uint8_t nb[VCHUNK];
	uint32_t w = 0;

	for (uint32_t at = 0; at < in->n; at += VCHUNK) {
		vchunk c;
		vres r;
		bool trip = false;

		chunk_at(in, at, &c);
		c.trip = &trip;
		vx(e, &c, buf, nb, &r);
		if (trip) {
			int64_t rc = chunk_by_rows(e, &c, true, keep, w, NULL,
						   0, a, err);
			if (rc < 0)
				return rc;
			w = (uint32_t)rc;
			continue;
		}
		if (r.k) {
			if (r.knull || !r.v[0].i)
				continue;
			for (uint32_t i = 0; i < c.n; i++)
				keep[w++] = c.sel ? c.sel[i] : at + i;
			continue;
		}
		/* Branch-free: every row is written, the count advances only
		 * for kept ones (keep may be in->sel: w <= at + i). Locals,
		 * so the stores to keep cannot force reloads. */
		const vslot *v = r.v;
		const uint8_t *nul = r.nul;
		const uint32_t *sel = c.sel, n = c.n;
		if (sel && nul)
			for (uint32_t i = 0; i < n; i++) {
				keep[w] = sel[i];
				w += (uint32_t)(v[i].i != 0) & (nul[i] ^ 1u);
			}
		else if (sel)
			for (uint32_t i = 0; i < n; i++) {
				keep[w] = sel[i];
				w += (uint32_t)(v[i].i != 0);
			}
		else if (nul)
			for (uint32_t i = 0; i < n; i++) {
				keep[w] = at + i;
				w += (uint32_t)(v[i].i != 0) & (nul[i] ^ 1u);
			}
		else
			for (uint32_t i = 0; i < n; i++) {
				keep[w] = at + i;
				w += (uint32_t)(v[i].i != 0);
			}
	}
	return w;
}

int sl_expr_vec_project(const sl_expr *e, const sl_vec_in *in, sl_value *out,
			size_t stride, sl_arena *a, sl_err *err)
{
	vslot buf[VCHUNK];
	uint8_t nb[VCHUNK];
	sl_type t = e->type->id;

	for (uint32_t at = 0; at < in->n; at += VCHUNK) {
		vchunk c;
		vres r;
		bool trip = false;

		chunk_at(in, at, &c);
		c.trip = &trip;
		vx(e, &c, buf, nb, &r);
		if (trip) {
			int64_t rc = chunk_by_rows(e, &c, false, NULL, 0,
						   out + (size_t)at * stride,
						   stride, a, err);
			if (rc < 0)
				return (int)rc;
			continue;
		}
		if (r.k && !r.knull)
			spread(&r, c.n);
		/* Locals, so the stores to out cannot force reloads. */
		sl_value *o = out + (size_t)at * stride;
		const vslot *v = r.v;
		const uint8_t *nul = r.nul;
		const uint32_t n = c.n;
#define PUT(MK)                                                                \
	for (uint32_t i = 0; i < n; i++)                                       \
		o[i * stride] = MK;                                            \
	break
		switch (r.knull ? SL_NULL : t) {
		case SL_INT: PUT(sl_v_int((int32_t)v[i].i));
		case SL_DATE: PUT(sl_v_date((int32_t)v[i].i));
		case SL_LONG: PUT(sl_v_long(v[i].i));
		case SL_TIMESTAMP: PUT(sl_v_ts(v[i].i));
		case SL_DOUBLE: PUT(sl_v_double(v[i].d));
		case SL_BOOL: PUT(sl_v_bool(v[i].i != 0));
		default: PUT(sl_v_null());
		}
#undef PUT
		if (nul)
			for (uint32_t i = 0; i < n; i++)
				if (nul[i])
					o[i * stride] = sl_v_null();
	}
	return 0;
}
