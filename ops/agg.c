/* ops/agg.c - the aggregate functions (see ops/agg.h for the contract).
 *
 * States are plain structs the operator allocates per group. States that
 * keep values (min, max, first, last, collect_list) own their bytes with
 * malloc rather than borrowing an arena: a group evicted behind the
 * watermark then gives its memory back at once, which is what keeps state
 * memory flat on an endless stream. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "core/decimal.h"
#include "core/map.h"
#include "ops/agg.h"
#include "sluice.h"

/* (int): TINYINT and SMALLINT are dtype ids whose values are ints */
static bool is_integral(sl_type t)
{
	return t == SL_INT || t == SL_LONG || (int)t == SL_BYTE ||
	       (int)t == SL_SHORT;
}

static bool is_numeric(sl_type t)
{
	return is_integral(t) || t == SL_DOUBLE || t == SL_FLOAT;
}

/* Spark casts a string argument of sum/avg to double; an unparsable one
 * is null. */
static bool to_double(const sl_value *v, double *d)
{
	switch (v->type) {
	case SL_INT:
		*d = v->v.i32;
		return true;
	case SL_LONG:
		*d = (double)v->v.i64;
		return true;
	case SL_DOUBLE:
		*d = v->v.f64;
		return true;
	case SL_FLOAT:
		*d = v->v.f32;
		return true;
	case SL_STRING: {
		char tmp[64], *end;
		if (!v->len || v->len >= sizeof(tmp))
			return false;
		memcpy(tmp, v->v.str, v->len);
		tmp[v->len] = 0;
		*d = strtod(tmp, &end);
		while (*end == ' ' || *end == '\t')
			end++;
		return end != tmp && !*end;
	}
	default:
		return false;
	}
}

/* ---- count --------------------------------------------------------------- */

typedef struct cnt_state {
	int64_t n;
} cnt_state;

static const sl_dtype *cnt_type(const sl_dtype *arg, sl_arena *a)
{
	return &sl_dtype_long;
}

static void cnt_init(void *st)
{
	((cnt_state *)st)->n = 0;
}

static int cnt_star_add(void *st, const sl_value *v)
{
	((cnt_state *)st)->n++;
	return 0;
}

static int cnt_star_remove(void *st, const sl_value *v)
{
	((cnt_state *)st)->n--;
	return 0;
}

static int cnt_add(void *st, const sl_value *v)
{
	if (!sl_v_is_null(v))
		((cnt_state *)st)->n++;
	return 0;
}

static int cnt_remove(void *st, const sl_value *v)
{
	if (!sl_v_is_null(v))
		((cnt_state *)st)->n--;
	return 0;
}

static void cnt_merge(void *st, const void *o)
{
	((cnt_state *)st)->n += ((const cnt_state *)o)->n;
}

static sl_value cnt_result(const void *st, sl_arena *out)
{
	return sl_v_long(((const cnt_state *)st)->n);
}

static void cnt_encode(const void *st, sl_buf *b)
{
	sl_buf_put_u64(b, (uint64_t)((const cnt_state *)st)->n);
}

static int cnt_decode(void *st, sl_rbuf *r)
{
	((cnt_state *)st)->n = (int64_t)sl_rbuf_u64(r);
	return r->err ? SL_EINVAL : 0;
}

const sl_agg_fn sl_agg_count_star = {
	.name = "count",
	.state_size = sizeof(cnt_state),
	.star = true,
	.result_type = cnt_type,
	.init = cnt_init,
	.add = cnt_star_add,
	.merge = cnt_merge,
	.result = cnt_result,
	.remove = cnt_star_remove,
	.encode = cnt_encode,
	.decode = cnt_decode,
};

const sl_agg_fn sl_agg_count = {
	.name = "count",
	.state_size = sizeof(cnt_state),
	.result_type = cnt_type,
	.init = cnt_init,
	.add = cnt_add,
	.merge = cnt_merge,
	.result = cnt_result,
	.remove = cnt_remove,
	.encode = cnt_encode,
	.decode = cnt_decode,
};

/* ---- sum ----------------------------------------------------------------- */

typedef struct sum_state {
	int64_t l;   /* integral inputs: wraps on overflow, as Spark's
	                non-ANSI long arithmetic does */
	double d;    /* double (and string) inputs */
	bool any;    /* a non-null input was seen */
	bool dbl;    /* the result is a double */
	/* DECIMAL(p,s) inputs: the exact sum of their unscaled values (all
	 * of one scale), which Spark's result DECIMAL(p+10,s) must hold;
	 * past it the sum is null (Spark's non-ANSI overflow) */
	bool dec, over;
	uint8_t p, s;
	sl_decimal dsum;
} sum_state;

/* Adds sign * v (a decimal) into *sum of the sum type of DECIMAL(p,s);
 * sets *over when the sum leaves that type. */
static void dec_accumulate(sl_decimal *sum, bool *over, const sl_value *v,
			   int sign, uint8_t p, uint8_t s)
{
	sl_decimal u = sl_v_dec_get(v), r;
	/* past the type the sum stays null, as Spark's does */
	if (*over)
		return;
	if (__builtin_add_overflow(*sum, sign > 0 ? u : -u, &r) ||
	    !sl_decimal_fits(r, sl_decimal_type_sum(sl_decimal_type_make(p, s))))
		*over = true;
	else
		*sum = r;
}

/* Folds another state's decimal sum (u, its overflow, its type) into
 * *sum. */
static void dec_merge(sl_decimal *sum, bool *over, uint8_t *p, uint8_t *s,
		      sl_decimal u, bool uover, uint8_t up, uint8_t us)
{
	sl_decimal r;
	*p = up;
	*s = us;
	if (*over || uover ||
	    __builtin_add_overflow(*sum, u, &r) ||
	    !sl_decimal_fits(r, sl_decimal_type_sum(sl_decimal_type_make(up, us))))
		*over = true;
	else
		*sum = r;
}

static void dec_encode(sl_buf *b, uint8_t p, uint8_t s, bool over,
		       sl_decimal u)
{
	sl_buf_put_u8(b, p);
	sl_buf_put_u8(b, s);
	sl_buf_put_u8(b, over);
	sl_buf_put_u64(b, (uint64_t)u);
	sl_buf_put_u64(b, (uint64_t)(u >> 64));
}

static void dec_decode(sl_rbuf *r, uint8_t *p, uint8_t *s, bool *over,
		       sl_decimal *u)
{
	*p = sl_rbuf_u8(r);
	*s = sl_rbuf_u8(r);
	*over = sl_rbuf_u8(r) != 0;
	uint64_t lo = sl_rbuf_u64(r), hi = sl_rbuf_u64(r);
	*u = (sl_decimal)((__extension__(unsigned __int128)hi << 64) | lo);
	if (!sl_dtype_decimal(*p, *s))
		r->err = true;
}

static const sl_dtype *sum_type(const sl_dtype *arg, sl_arena *a)
{
	if (is_integral(arg->id))
		return &sl_dtype_long;
	if (arg->id == SL_DECIMAL) {
		sl_decimal_type t = sl_decimal_type_sum(
			sl_decimal_type_make(arg->precision, arg->scale));
		return sl_dtype_decimal(t.precision, t.scale);
	}
	if (arg->id == SL_DOUBLE || arg->id == SL_FLOAT ||
	    arg->id == SL_STRING || arg->id == SL_NULL)
		return &sl_dtype_double;
	return NULL;
}

static void sum_init(void *st)
{
	memset(st, 0, sizeof(sum_state));
}

static int sum_apply(sum_state *s, const sl_value *v, int sign)
{
	double d;
	if (v->type == SL_INT || v->type == SL_LONG) {
		uint64_t x = v->type == SL_INT ? (uint64_t)(int64_t)v->v.i32
					       : (uint64_t)v->v.i64;
		s->l = (int64_t)(sign > 0 ? (uint64_t)s->l + x
					  : (uint64_t)s->l - x);
	} else if (v->type == SL_DECIMAL) {
		s->dec = true;
		s->p = v->pad[0];
		s->s = v->pad[1];
		dec_accumulate(&s->dsum, &s->over, v, sign, s->p, s->s);
	} else if (to_double(v, &d)) {
		s->d += sign * d;
		s->dbl = true;
	} else {
		return 0;
	}
	s->any = true;
	return 0;
}

static int sum_add(void *st, const sl_value *v)
{
	return sum_apply(st, v, 1);
}

static int sum_remove(void *st, const sl_value *v)
{
	return sum_apply(st, v, -1);
}

static void sum_merge(void *st, const void *o)
{
	sum_state *s = st;
	const sum_state *t = o;
	s->l = (int64_t)((uint64_t)s->l + (uint64_t)t->l);
	s->d += t->d;
	s->any |= t->any;
	s->dbl |= t->dbl;
	if (t->dec)
		dec_merge(&s->dsum, &s->over, &s->p, &s->s, t->dsum, t->over,
			  t->p, t->s);
	s->dec |= t->dec;
}

static sl_value sum_result(const void *st, sl_arena *out)
{
	const sum_state *s = st;
	if (!s->any)
		return sl_v_null();
	if (s->dec) {
		sl_decimal_type t =
			sl_decimal_type_sum(sl_decimal_type_make(s->p, s->s));
		return s->over ? sl_v_null()
			       : sl_v_dec(s->dsum, t.precision, t.scale, out);
	}
	if (s->dbl)
		return sl_v_double(s->d + (double)s->l);
	return sl_v_long(s->l);
}

static void sum_encode(const void *st, sl_buf *b)
{
	const sum_state *s = st;
	uint64_t d;
	memcpy(&d, &s->d, 8);
	sl_buf_put_u64(b, (uint64_t)s->l);
	sl_buf_put_u64(b, d);
	sl_buf_put_u8(b, (uint8_t)(s->any | s->dbl << 1 | s->dec << 2));
	if (s->dec)
		dec_encode(b, s->p, s->s, s->over, s->dsum);
}

static int sum_decode(void *st, sl_rbuf *r)
{
	sum_state *s = st;
	s->l = (int64_t)sl_rbuf_u64(r);
	uint64_t d = sl_rbuf_u64(r);
	memcpy(&s->d, &d, 8);
	uint8_t f = sl_rbuf_u8(r);
	s->any = f & 1;
	s->dbl = (f >> 1) & 1;
	s->dec = (f >> 2) & 1;
	if (s->dec)
		dec_decode(r, &s->p, &s->s, &s->over, &s->dsum);
	return r->err ? SL_EINVAL : 0;
}

const sl_agg_fn sl_agg_sum = {
	.name = "sum",
	.state_size = sizeof(sum_state),
	.result_type = sum_type,
	.init = sum_init,
	.add = sum_add,
	.merge = sum_merge,
	.result = sum_result,
	.remove = sum_remove,
	.encode = sum_encode,
	.decode = sum_decode,
};

/* ---- avg ----------------------------------------------------------------- */

/* Spark's Average sums non-decimal inputs as doubles. */
typedef struct avg_state {
	double sum;
	int64_t n;
	/* DECIMAL(p,s) inputs, as sum's */
	bool dec, over;
	uint8_t p, s;
	sl_decimal dsum;
} avg_state;

static const sl_dtype *avg_type(const sl_dtype *arg, sl_arena *a)
{
	if (arg->id == SL_DECIMAL) {
		sl_decimal_type t = sl_decimal_type_avg(
			sl_decimal_type_make(arg->precision, arg->scale));
		return sl_dtype_decimal(t.precision, t.scale);
	}
	if (is_numeric(arg->id) || arg->id == SL_STRING || arg->id == SL_NULL)
		return &sl_dtype_double;
	return NULL;
}

static void avg_init(void *st)
{
	memset(st, 0, sizeof(avg_state));
}

static int avg_add(void *st, const sl_value *v)
{
	avg_state *s = st;
	double d;
	if (v->type == SL_DECIMAL) {
		s->dec = true;
		s->p = v->pad[0];
		s->s = v->pad[1];
		dec_accumulate(&s->dsum, &s->over, v, 1, s->p, s->s);
		s->n++;
	} else if (to_double(v, &d)) {
		s->sum += d;
		s->n++;
	}
	return 0;
}

static int avg_remove(void *st, const sl_value *v)
{
	avg_state *s = st;
	double d;
	if (v->type == SL_DECIMAL) {
		dec_accumulate(&s->dsum, &s->over, v, -1, s->p, s->s);
		s->n--;
	} else if (to_double(v, &d)) {
		s->sum -= d;
		s->n--;
	}
	return 0;
}

static void avg_merge(void *st, const void *o)
{
	avg_state *s = st;
	const avg_state *t = o;
	s->sum += t->sum;
	s->n += t->n;
	if (t->dec)
		dec_merge(&s->dsum, &s->over, &s->p, &s->s, t->dsum, t->over,
			  t->p, t->s);
	s->dec |= t->dec;
}

static sl_value avg_result(const void *st, sl_arena *out)
{
	const avg_state *s = st;
	if (s->dec && s->n) {
		sl_decimal_type in = sl_decimal_type_make(s->p, s->s);
		sl_decimal_type ts = sl_decimal_type_sum(in);
		sl_decimal_type tr = sl_decimal_type_avg(in);
		sl_decimal q;
		if (s->over || !sl_decimal_fits(s->dsum, ts) ||
		    sl_decimal_avg(s->dsum, ts, s->n, tr, &q))
			return sl_v_null();
		return sl_v_dec(q, tr.precision, tr.scale, out);
	}
	return s->n ? sl_v_double(s->sum / (double)s->n) : sl_v_null();
}

static void avg_encode(const void *st, sl_buf *b)
{
	const avg_state *s = st;
	uint64_t d;
	memcpy(&d, &s->sum, 8);
	sl_buf_put_u64(b, d);
	/* the count's top bit says a decimal state follows (counts stay
	 * below 2^63) */
	sl_buf_put_u64(b, (uint64_t)s->n | (uint64_t)s->dec << 63);
	if (s->dec)
		dec_encode(b, s->p, s->s, s->over, s->dsum);
}

static int avg_decode(void *st, sl_rbuf *r)
{
	avg_state *s = st;
	uint64_t d = sl_rbuf_u64(r);
	memcpy(&s->sum, &d, 8);
	uint64_t n = sl_rbuf_u64(r);
	s->n = (int64_t)(n & ~(1ull << 63));
	s->dec = n >> 63;
	if (s->dec)
		dec_decode(r, &s->p, &s->s, &s->over, &s->dsum);
	return r->err ? SL_EINVAL : 0;
}

const sl_agg_fn sl_agg_avg = {
	.name = "avg",
	.state_size = sizeof(avg_state),
	.result_type = avg_type,
	.init = avg_init,
	.add = avg_add,
	.merge = avg_merge,
	.result = avg_result,
	.remove = avg_remove,
	.encode = avg_encode,
	.decode = avg_decode,
};

/* ---- values kept by a state: min, max, first, last ----------------------- */

typedef struct keep_state {
	sl_value v;
	void *blk;   /* malloc'd variable data of v */
	bool set;
} keep_state;

static const sl_dtype *same_type(const sl_dtype *arg, sl_arena *a)
{
	return arg;
}

/* min and max order their input: Spark refuses maps (no ordering) */
static const sl_dtype *ordered_type(const sl_dtype *arg, sl_arena *a)
{
	return sl_dtype_has_map(arg) ? NULL : arg;
}

static void keep_init(void *st)
{
	memset(st, 0, sizeof(keep_state));
}

static void keep_destroy(void *st)
{
	keep_state *s = st;
	free(s->blk);
	s->blk = NULL;
}

static void keep_set(keep_state *s, const sl_value *v)
{
	void *old = s->blk;
	s->v = sl_value_dup_heap(v, &s->blk);
	free(old);
	s->set = true;
}

static size_t keep_mem(const void *st)
{
	const keep_state *s = st;
	return s->blk ? sl_value_deep_size(&s->v) : 0;
}

static sl_value keep_result(const void *st, sl_arena *out)
{
	const keep_state *s = st;
	return s->set ? sl_value_copy(&s->v, out) : sl_v_null();
}

static void keep_encode(const void *st, sl_buf *b)
{
	const keep_state *s = st;
	sl_buf_put_u8(b, s->set);
	if (s->set)
		sl_value_encode(b, &s->v);
}

static int keep_decode(void *st, sl_rbuf *r)
{
	keep_state *s = st;
	if (!sl_rbuf_u8(r))
		return r->err ? SL_EINVAL : 0;
	sl_arena tmp;
	sl_arena_init(&tmp);
	sl_value v;
	int rc = sl_value_decode(r, &tmp, &v);
	if (!rc)
		keep_set(s, &v);
	sl_arena_free(&tmp);
	return rc;
}

/* Spark's min/max order: numbers by value (NaN largest), strings and
 * binaries bytewise, arrays and structs element by element. */
static int min_add(void *st, const sl_value *v)
{
	keep_state *s = st;
	if (!sl_v_is_null(v) && (!s->set || sl_value_cmp(v, &s->v) < 0))
		keep_set(s, v);
	return 0;
}

static int max_add(void *st, const sl_value *v)
{
	keep_state *s = st;
	if (!sl_v_is_null(v) && (!s->set || sl_value_cmp(v, &s->v) > 0))
		keep_set(s, v);
	return 0;
}

static void min_merge(void *st, const void *o)
{
	const keep_state *t = o;
	if (t->set)
		min_add(st, &t->v);
}

static void max_merge(void *st, const void *o)
{
	const keep_state *t = o;
	if (t->set)
		max_add(st, &t->v);
}

/* first/last with ignoreNulls = false, Spark's default: a null input is
 * a value like any other. */
static int first_add(void *st, const sl_value *v)
{
	keep_state *s = st;
	if (!s->set)
		keep_set(s, v);
	return 0;
}

static int last_add(void *st, const sl_value *v)
{
	keep_set(st, v);
	return 0;
}

static void first_merge(void *st, const void *o)
{
	const keep_state *t = o;
	if (t->set)
		first_add(st, &t->v);
}

static void last_merge(void *st, const void *o)
{
	const keep_state *t = o;
	if (t->set)
		last_add(st, &t->v);
}

#define KEEP_FN(nm, addf, mergef, rt)                                  \
	{                                                              \
		.name = nm, .state_size = sizeof(keep_state),          \
		.result_type = rt, .init = keep_init,                  \
		.add = addf, .merge = mergef, .result = keep_result,   \
		.destroy = keep_destroy, .mem = keep_mem,              \
		.encode = keep_encode, .decode = keep_decode,          \
	}

const sl_agg_fn sl_agg_min = KEEP_FN("min", min_add, min_merge, ordered_type);
const sl_agg_fn sl_agg_max = KEEP_FN("max", max_add, max_merge, ordered_type);
const sl_agg_fn sl_agg_first =
	KEEP_FN("first", first_add, first_merge, same_type);
const sl_agg_fn sl_agg_last = KEEP_FN("last", last_add, last_merge, same_type);

/* ---- collect_list -------------------------------------------------------- */

/* Elements are kept encoded: one growable buffer per group instead of a
 * value array plus a block per string, and encode/merge are appends. */
typedef struct list_state {
	sl_buf enc;
	uint32_t n;
} list_state;

static const sl_dtype *list_type(const sl_dtype *arg, sl_arena *a)
{
	sl_dtype *t = sl_arena_calloc(a, sizeof(*t));
	t->id = SL_ARRAY;
	t->elem = arg;
	return t;
}

static void list_init(void *st)
{
	memset(st, 0, sizeof(list_state));
}

static void list_destroy(void *st)
{
	sl_buf_free(&((list_state *)st)->enc);
}

/* Spark's collect_list skips nulls. */
static int list_add(void *st, const sl_value *v)
{
	list_state *s = st;
	if (sl_v_is_null(v))
		return 0;
	sl_value_encode(&s->enc, v);
	s->n++;
	return 0;
}

static void list_merge(void *st, const void *o)
{
	list_state *s = st;
	const list_state *t = o;
	sl_buf_put(&s->enc, t->enc.p, t->enc.len);
	s->n += t->n;
}

static sl_value list_result(const void *st, sl_arena *out)
{
	const list_state *s = st;
	sl_value *e = sl_arena_alloc(out, (s->n ? s->n : 1) * sizeof(*e));
	sl_rbuf r = sl_rbuf_make(s->enc.p, s->enc.len);
	for (uint32_t i = 0; i < s->n; i++)
		sl_value_decode(&r, out, &e[i]);
	sl_value v = { .type = SL_ARRAY, .len = s->n };
	v.v.arr = e;
	return v;
}

static size_t list_mem(const void *st)
{
	return ((const list_state *)st)->enc.cap;
}

static void list_encode(const void *st, sl_buf *b)
{
	const list_state *s = st;
	sl_buf_put_varint(b, s->n);
	sl_buf_put_varint(b, s->enc.len);
	sl_buf_put(b, s->enc.p, s->enc.len);
}

static int list_decode(void *st, sl_rbuf *r)
{
	list_state *s = st;
	uint64_t n = sl_rbuf_varint(r), len = sl_rbuf_varint(r);
	const uint8_t *p = sl_rbuf_get(r, len);
	if (!p || n > len)
		return SL_EINVAL;
	/* Check the elements decode before adopting them, so a corrupt
	 * state fails here and not at the next emit. */
	sl_arena tmp;
	sl_arena_init(&tmp);
	sl_rbuf e = sl_rbuf_make(p, len);
	sl_value v;
	for (uint64_t i = 0; i < n && !e.err; i++)
		sl_value_decode(&e, &tmp, &v);
	sl_arena_free(&tmp);
	if (e.err || e.off != len)
		return SL_EINVAL;
	s->enc.len = 0;
	sl_buf_put(&s->enc, p, len);
	s->n = (uint32_t)n;
	return 0;
}

const sl_agg_fn sl_agg_collect_list = {
	.name = "collect_list",
	.state_size = sizeof(list_state),
	.result_type = list_type,
	.init = list_init,
	.add = list_add,
	.merge = list_merge,
	.result = list_result,
	.destroy = list_destroy,
	.mem = list_mem,
	.encode = list_encode,
	.decode = list_decode,
};

/* ---- approx_count_distinct: HyperLogLog ---------------------------------- */

#define HLL_M (1u << SL_HLL_P)

typedef struct hll_state {
	uint8_t reg[HLL_M];
} hll_state;

static uint64_t xxh64_u32(uint32_t x, uint64_t seed)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	return XXH64(b, 4, seed);
}

static uint64_t xxh64_u64(uint64_t x, uint64_t seed)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	return XXH64(b, 8, seed);
}

/* Spark's XxHash64 of a value (seed chained through arrays and structs,
 * nulls leave the hash unchanged), so registers match Spark's. */
static uint64_t spark_hash(const sl_value *v, uint64_t seed)
{
	switch (v->type) {
	case SL_BOOL:
		return xxh64_u32(v->v.b ? 1 : 0, seed);
	case SL_INT:
	case SL_DATE:
		return xxh64_u32((uint32_t)v->v.i32, seed);
	case SL_LONG:
	case SL_TIMESTAMP:
		return xxh64_u64((uint64_t)v->v.i64, seed);
	case SL_DOUBLE: {
		double d = v->v.f64;
		uint64_t u;
		if (d == 0)
			d = 0; /* -0.0 hashes as 0.0 */
		if (isnan(d))
			u = 0x7ff8000000000000ull; /* doubleToLongBits */
		else
			memcpy(&u, &d, 8);
		return xxh64_u64(u, seed);
	}
	case SL_STRING:
	case SL_BINARY:
		return XXH64(v->v.str, v->len, seed);
	case SL_ARRAY:
	case SL_STRUCT:
		for (uint32_t i = 0; i < v->len; i++)
			seed = spark_hash(&v->v.arr[i], seed);
		return seed;
	case SL_MAP: /* each key, then its value, in the map's order */
		for (uint32_t i = 0; i < 2 * v->len; i++)
			seed = spark_hash(&v->v.arr[i], seed);
		return seed;
	default:
		return seed;
	}
}

static const sl_dtype *hll_type(const sl_dtype *arg, sl_arena *a)
{
	return &sl_dtype_long;
}

static void hll_init(void *st)
{
	memset(st, 0, sizeof(hll_state));
}

static int hll_add(void *st, const sl_value *v)
{
	hll_state *s = st;
	if (sl_v_is_null(v))
		return 0;
	uint64_t x = spark_hash(v, 42);
	uint32_t idx = (uint32_t)(x >> (64 - SL_HLL_P));
	/* The padding bit bounds the rank at 64 - p + 1. */
	uint64_t w = (x << SL_HLL_P) | (1ull << (SL_HLL_P - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
	if (rank > s->reg[idx])
		s->reg[idx] = rank;
	return 0;
}

static void hll_merge(void *st, const void *o)
{
	hll_state *s = st;
	const hll_state *t = o;
	for (uint32_t i = 0; i < HLL_M; i++)
		if (t->reg[i] > s->reg[i])
			s->reg[i] = t->reg[i];
}

/* Spark's linear-counting threshold for p = 9. */
#define HLL_LC_THRESHOLD 400.0

static sl_value hll_result(const void *st, sl_arena *out)
{
	const hll_state *s = st;
	double m = HLL_M, z = 0;
	uint32_t zeros = 0;
	for (uint32_t i = 0; i < HLL_M; i++) {
		z += ldexp(1.0, -(int)s->reg[i]);
		zeros += s->reg[i] == 0;
	}
	double alpha = 0.7213 / (1.0 + 1.079 / m);
	double e = alpha * m * m / z;
	/* Linear counting where Spark uses it (below its threshold). Spark
	 * corrects the raw estimate's bias between that and 5m with the
	 * HLL++ paper's empirical tables; sluice has no tables and keeps
	 * linear counting up to 2.5m (the classic HLL rule), which is as
	 * accurate there. Past 5m the estimate is Spark's. */
	if (zeros) {
		double lc = m * log(m / zeros);
		if (lc <= HLL_LC_THRESHOLD || e <= 2.5 * m)
			e = lc;
	}
	return sl_v_long((int64_t)llround(e));
}

static void hll_encode(const void *st, sl_buf *b)
{
	sl_buf_put(b, ((const hll_state *)st)->reg, HLL_M);
}

static int hll_decode(void *st, sl_rbuf *r)
{
	const uint8_t *p = sl_rbuf_get(r, HLL_M);
	if (!p)
		return SL_EINVAL;
	memcpy(((hll_state *)st)->reg, p, HLL_M);
	return 0;
}

const sl_agg_fn sl_agg_approx_count_distinct = {
	.name = "approx_count_distinct",
	.state_size = sizeof(hll_state),
	.result_type = hll_type,
	.init = hll_init,
	.add = hll_add,
	.merge = hll_merge,
	.result = hll_result,
	.encode = hll_encode,
	.decode = hll_decode,
};

/* ---- lookup -------------------------------------------------------------- */

static const struct {
	const char *name;
	const sl_agg_fn *fn;
} agg_names[] = {
	{ "count(*)", &sl_agg_count_star },
	{ "count(1)", &sl_agg_count_star },
	{ "count", &sl_agg_count },
	{ "sum", &sl_agg_sum },
	{ "avg", &sl_agg_avg },
	{ "mean", &sl_agg_avg },
	{ "min", &sl_agg_min },
	{ "max", &sl_agg_max },
	{ "approx_count_distinct", &sl_agg_approx_count_distinct },
	{ "collect_list", &sl_agg_collect_list },
	{ "first", &sl_agg_first },
	{ "first_value", &sl_agg_first },
	{ "last", &sl_agg_last },
	{ "last_value", &sl_agg_last },
};

const sl_agg_fn *sl_agg_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(agg_names) / sizeof(agg_names[0]); i++)
		if (!strcasecmp(agg_names[i].name, name))
			return agg_names[i].fn;
	return NULL;
}
