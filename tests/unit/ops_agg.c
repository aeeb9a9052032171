/* tests/unit/ops_agg.c - aggregate functions (ops/agg.c) and group keys
 * (ops/keyhash.c).
 *
 * Aggregates: Spark's null semantics and result types, merge and remove,
 * encode/decode round trips, and the HyperLogLog error bound. Keys: the
 * canonical encoding round-trips, hashing agrees with equality for mixed
 * types, nulls, strings and doubles, and the key table survives growth
 * to a million keys, deletion and compaction. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/agg.h"
#include "ops/keyhash.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct agg_run {
	const sl_agg_fn *fn;
	_Alignas(16) unsigned char st[1024];
	sl_arena out;
} agg_run;

static void run_init(agg_run *r, const char *name)
{
	r->fn = sl_agg_lookup(name);
	cr_assert_not_null(r->fn, "%s", name);
	cr_assert_leq(r->fn->state_size, sizeof(r->st));
	r->fn->init(r->st);
	sl_arena_init(&r->out);
}

static void run_add(agg_run *r, sl_value v)
{
	r->fn->add(r->st, &v);
}

static sl_value run_result(agg_run *r)
{
	return r->fn->result(r->st, &r->out);
}

static void run_fini(agg_run *r)
{
	if (r->fn->destroy)
		r->fn->destroy(r->st);
	sl_arena_free(&r->out);
}

/* ---- count, sum, avg ----------------------------------------------------- */

Test(agg, lookup_names)
{
	cr_assert_eq(sl_agg_lookup("COUNT"), &sl_agg_count);
	cr_assert_eq(sl_agg_lookup("count(*)"), &sl_agg_count_star);
	cr_assert_eq(sl_agg_lookup("count(1)"), &sl_agg_count_star);
	cr_assert_eq(sl_agg_lookup("mean"), &sl_agg_avg);
	cr_assert_eq(sl_agg_lookup("approx_count_distinct"),
		     &sl_agg_approx_count_distinct);
	cr_assert_null(sl_agg_lookup("median"));
}

Test(agg, count_star_counts_nulls_count_x_does_not)
{
	agg_run a, b;
	run_init(&a, "count(*)");
	run_init(&b, "count");
	sl_value vals[] = { sl_v_int(1), sl_v_null(), sl_v_int(3),
			    sl_v_null() };
	for (int i = 0; i < 4; i++) {
		a.fn->add(a.st, NULL);
		run_add(&b, vals[i]);
	}
	sl_value ra = run_result(&a), rb = run_result(&b);
	cr_assert_eq(ra.type, SL_LONG);
	cr_assert_eq(ra.v.i64, 4);
	cr_assert_eq(rb.type, SL_LONG);
	cr_assert_eq(rb.v.i64, 2);
	/* an empty group counts 0, never null */
	agg_run c;
	run_init(&c, "count");
	cr_assert_eq(run_result(&c).type, SL_LONG);
	cr_assert_eq(run_result(&c).v.i64, 0);
	b.fn->remove(b.st, &vals[0]);
	cr_assert_eq(run_result(&b).v.i64, 1);
	run_fini(&a);
	run_fini(&b);
	run_fini(&c);
}

Test(agg, result_types_follow_spark)
{
	sl_arena a;
	sl_arena_init(&a);
	cr_assert_eq(sl_agg_count.result_type(&sl_dtype_string, &a)->id,
		     SL_LONG);
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_int, &a)->id, SL_LONG);
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_long, &a)->id, SL_LONG);
	cr_assert_eq(sl_agg_sum.result_type(&sl_dtype_double, &a)->id,
		     SL_DOUBLE);
	cr_assert_null(sl_agg_sum.result_type(&sl_dtype_bool, &a));
	cr_assert_null(sl_agg_sum.result_type(&sl_dtype_timestamp, &a));
	cr_assert_eq(sl_agg_avg.result_type(&sl_dtype_int, &a)->id, SL_DOUBLE);
	cr_assert_eq(sl_agg_min.result_type(&sl_dtype_string, &a)->id,
		     SL_STRING);
	cr_assert_eq(sl_agg_approx_count_distinct
			     .result_type(&sl_dtype_string, &a)->id,
		     SL_LONG);
	const sl_dtype *lt = sl_agg_collect_list.result_type(&sl_dtype_int, &a);
	cr_assert_eq(lt->id, SL_ARRAY);
	cr_assert_eq(lt->elem->id, SL_INT);
	sl_arena_free(&a);
}

Test(agg, sum_integers_is_long_doubles_double_nulls_skipped)
{
	agg_run s;
	run_init(&s, "sum");
	cr_assert_eq(run_result(&s).type, SL_NULL, "sum of nothing is null");
	run_add(&s, sl_v_null());
	cr_assert_eq(run_result(&s).type, SL_NULL, "sum of nulls is null");
	run_add(&s, sl_v_int(2000000000));
	run_add(&s, sl_v_int(2000000000));
	sl_value r = run_result(&s);
	cr_assert_eq(r.type, SL_LONG);
	cr_assert_eq(r.v.i64, 4000000000LL, "no int overflow");
	run_fini(&s);

	run_init(&s, "sum");
	run_add(&s, sl_v_double(1.5));
	run_add(&s, sl_v_null());
	run_add(&s, sl_v_double(2.25));
	r = run_result(&s);
	cr_assert_eq(r.type, SL_DOUBLE);
	cr_assert_float_eq(r.v.f64, 3.75, 1e-12);
	s.fn->remove(s.st, &(sl_value){ .type = SL_DOUBLE, .v.f64 = 1.5 });
	cr_assert_float_eq(run_result(&s).v.f64, 2.25, 1e-12);
	run_fini(&s);

	/* strings are cast to double, as Spark's sum does */
	run_init(&s, "sum");
	run_add(&s, sl_v_str("1.5", 3));
	run_add(&s, sl_v_str("x", 1));
	r = run_result(&s);
	cr_assert_eq(r.type, SL_DOUBLE);
	cr_assert_float_eq(r.v.f64, 1.5, 1e-12);
	run_fini(&s);
}

Test(agg, avg_is_double_and_null_when_empty)
{
	agg_run s;
	run_init(&s, "avg");
	cr_assert_eq(run_result(&s).type, SL_NULL);
	run_add(&s, sl_v_int(1));
	run_add(&s, sl_v_null());
	run_add(&s, sl_v_long(2));
	sl_value r = run_result(&s);
	cr_assert_eq(r.type, SL_DOUBLE);
	cr_assert_float_eq(r.v.f64, 1.5, 1e-12);

	agg_run t;
	run_init(&t, "avg");
	run_add(&t, sl_v_int(6));
	s.fn->merge(s.st, t.st);
	cr_assert_float_eq(run_result(&s).v.f64, 3.0, 1e-12);
	run_fini(&s);
	run_fini(&t);
}

/* ---- min, max, first, last ----------------------------------------------- */

Test(agg, min_max_numbers_and_strings_copy_their_bytes)
{
	agg_run mn, mx;
	run_init(&mn, "min");
	run_init(&mx, "max");
	cr_assert_eq(run_result(&mn).type, SL_NULL);
	const char *words[] = { "pear", "apple", "zebra", "mango" };
	for (int i = 0; i < 4; i++) {
		char *tmp = strdup(words[i]);
		sl_value v = sl_v_str(tmp, (uint32_t)strlen(tmp));
		run_add(&mn, v);
		run_add(&mx, v);
		run_add(&mn, sl_v_null());
		/* the state must not borrow the input's bytes */
		memset(tmp, 'X', strlen(tmp));
		free(tmp);
	}
	sl_value a = run_result(&mn), b = run_result(&mx);
	cr_assert_eq(a.type, SL_STRING);
	cr_assert_eq(a.len, 5);
	cr_assert(!memcmp(a.v.str, "apple", 5));
	cr_assert(!memcmp(b.v.str, "zebra", 5));
	cr_assert_gt(mn.fn->mem(mn.st), 0);
	run_fini(&mn);
	run_fini(&mx);

	run_init(&mn, "min");
	run_init(&mx, "max");
	run_add(&mn, sl_v_int(5));
	run_add(&mn, sl_v_int(-3));
	run_add(&mx, sl_v_double(1.0));
	run_add(&mx, sl_v_double(NAN));
	run_add(&mx, sl_v_double(7.0));
	cr_assert_eq(run_result(&mn).type, SL_INT, "min keeps the type");
	cr_assert_eq(run_result(&mn).v.i32, -3);
	cr_assert(isnan(run_result(&mx).v.f64), "NaN is the largest double");
	run_fini(&mn);
	run_fini(&mx);
}

Test(agg, first_last_keep_nulls_by_default)
{
	agg_run f, l;
	run_init(&f, "first");
	run_init(&l, "last");
	cr_assert_eq(run_result(&f).type, SL_NULL);
	sl_value seq[] = { sl_v_null(), sl_v_str("b", 1), sl_v_str("c", 1),
			   sl_v_null() };
	for (int i = 0; i < 4; i++) {
		run_add(&f, seq[i]);
		run_add(&l, seq[i]);
	}
	cr_assert_eq(run_result(&f).type, SL_NULL, "first was null");
	cr_assert_eq(run_result(&l).type, SL_NULL, "last was null");
	run_fini(&f);
	run_fini(&l);

	run_init(&f, "first");
	run_init(&l, "last");
	run_add(&f, sl_v_str("b", 1));
	run_add(&f, sl_v_str("c", 1));
	run_add(&l, sl_v_str("b", 1));
	run_add(&l, sl_v_str("c", 1));
	cr_assert(!memcmp(run_result(&f).v.str, "b", 1));
	cr_assert(!memcmp(run_result(&l).v.str, "c", 1));
	run_fini(&f);
	run_fini(&l);
}

/* ---- collect_list -------------------------------------------------------- */

Test(agg, collect_list_skips_nulls_keeps_order_and_merges)
{
	agg_run a, b;
	run_init(&a, "collect_list");
	run_init(&b, "collect_list");
	sl_value r = run_result(&a);
	cr_assert_eq(r.type, SL_ARRAY, "an empty list, not null");
	cr_assert_eq(r.len, 0);
	run_add(&a, sl_v_str("x", 1));
	run_add(&a, sl_v_null());
	run_add(&a, sl_v_str("yy", 2));
	run_add(&b, sl_v_str("z", 1));
	a.fn->merge(a.st, b.st);
	r = run_result(&a);
	cr_assert_eq(r.len, 3);
	cr_assert(!memcmp(r.v.arr[0].v.str, "x", 1));
	cr_assert_eq(r.v.arr[1].len, 2);
	cr_assert(!memcmp(r.v.arr[2].v.str, "z", 1));
	run_fini(&a);
	run_fini(&b);
}

/* ---- state encoding ------------------------------------------------------ */

Test(agg, every_state_round_trips_through_encode_decode)
{
	const char *names[] = { "count(*)", "count", "sum", "avg", "min",
				"max", "first", "last", "collect_list",
				"approx_count_distinct" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		agg_run a, b;
		run_init(&a, names[k]);
		run_init(&b, names[k]);
		for (int i = 0; i < 50; i++) {
			char s[16];
			int n = snprintf(s, sizeof(s), "v%d", i % 17);
			sl_value v = i % 2 ? sl_v_long(i * 7 % 23)
					   : sl_v_str(s, (uint32_t)n);
			if (!strcmp(names[k], "sum") ||
			    !strcmp(names[k], "avg"))
				v = sl_v_long(i);
			a.fn->add(a.st, a.fn->star ? NULL : &v);
		}
		sl_buf enc = { 0 };
		a.fn->encode(a.st, &enc);
		sl_rbuf r = sl_rbuf_make(enc.p, enc.len);
		cr_assert_eq(b.fn->decode(b.st, &r), 0, "%s", names[k]);
		cr_assert_eq(r.off, enc.len, "%s consumed", names[k]);
		sl_value x = run_result(&a), y = run_result(&b);
		char bx[512], by[512];
		sl_value_render(&x, bx, sizeof(bx));
		sl_value_render(&y, by, sizeof(by));
		cr_assert_str_eq(bx, by, "%s", names[k]);
		/* truncated input fails cleanly */
		agg_run c;
		run_init(&c, names[k]);
		sl_rbuf t = sl_rbuf_make(enc.p, enc.len ? enc.len - 1 : 0);
		int rc = c.fn->decode(c.st, &t);
		cr_assert(rc < 0 || t.err || enc.len == 0, "%s", names[k]);
		sl_buf_free(&enc);
		run_fini(&a);
		run_fini(&b);
		run_fini(&c);
	}
}

/* ---- approx_count_distinct ----------------------------------------------- */

static int64_t hll_count(int64_t n, bool strings, int64_t offset)
{
	agg_run a;
	run_init(&a, "approx_count_distinct");
	for (int64_t i = 0; i < n; i++) {
		if (strings) {
			char s[32];
			int len = snprintf(s, sizeof(s), "user-%lld",
					   (long long)(i + offset));
			run_add(&a, sl_v_str(s, (uint32_t)len));
		} else {
			run_add(&a, sl_v_long(i + offset));
		}
		/* duplicates must not count */
		if (i % 3 == 0)
			run_add(&a, sl_v_long(offset));
	}
	run_add(&a, sl_v_null());
	int64_t r = run_result(&a).v.i64;
	run_fini(&a);
	return r;
}

Test(agg, hll_error_bound_on_100k_distinct)
{
	/* p = 9: standard error 1.04/sqrt(512) = 4.6%. Hashing is fixed, so
	 * each case is deterministic; 3 sigma (13.8%) bounds them all, and
	 * the mean error over the cases must look like the expected SE. */
	double sum_sq = 0;
	int cases = 0;
	for (int64_t off = 0; off < 5; off++) {
		for (int s = 0; s < 2; s++) {
			int64_t est = hll_count(100000, s, off * 1000003);
			double err = (double)(est - 100000) / 100000;
			cr_assert_lt(fabs(err), 0.138,
				     "estimate %lld (error %.3f)",
				     (long long)est, err);
			sum_sq += err * err;
			cases++;
		}
	}
	double rms = sqrt(sum_sq / cases);
	cr_assert_lt(rms, 0.08, "rms error %.4f", rms);
}

Test(agg, hll_small_cardinalities_are_near_exact)
{
	cr_assert_eq(hll_count(0, false, 1), 0, "nulls do not count");
	int64_t e = hll_count(100, false, 7);
	cr_assert(e >= 97 && e <= 103, "100 -> %lld", (long long)e);
	/* 1,000 strings plus the bigint 0 added as the duplicate; about 2m
	 * registers' worth, where linear counting's SE is about 4.6% */
	e = hll_count(1000, true, 0);
	cr_assert(labs((long)(e - 1001)) < 138, "1001 -> %lld", (long long)e);
}

Test(agg, hll_merge_is_union)
{
	agg_run a, b;
	run_init(&a, "approx_count_distinct");
	run_init(&b, "approx_count_distinct");
	for (int i = 0; i < 20000; i++)
		run_add(&a, sl_v_int(i));
	for (int i = 10000; i < 30000; i++)
		run_add(&b, sl_v_int(i));
	a.fn->merge(a.st, b.st);
	int64_t e = run_result(&a).v.i64;
	cr_assert(labs((long)(e - 30000)) < 30000 * 0.138, "%lld",
		  (long long)e);
	run_fini(&a);
	run_fini(&b);
}

/* ---- keys ---------------------------------------------------------------- */

Test(keyhash, encode_decode_round_trip_nested)
{
	sl_arena a;
	sl_arena_init(&a);
	sl_value inner[3] = { sl_v_int(1), sl_v_null(), sl_v_str("hé", 3) };
	sl_value arr = { .type = SL_ARRAY, .len = 3 };
	arr.v.arr = inner;
	sl_value st[2] = { arr, sl_v_double(-2.5) };
	sl_value v = { .type = SL_STRUCT, .len = 2 };
	v.v.fields = st;
	sl_value vals[] = { v, sl_v_bool(true), sl_v_ts(-5), sl_v_date(19000),
			    sl_v_bin((const uint8_t *)"\0\1", 2), sl_v_null() };
	sl_buf b = { 0 };
	for (size_t i = 0; i < 6; i++)
		sl_value_encode(&b, &vals[i]);
	sl_rbuf r = sl_rbuf_make(b.p, b.len);
	for (size_t i = 0; i < 6; i++) {
		sl_value out;
		cr_assert_eq(sl_value_decode(&r, &a, &out), 0);
		cr_assert(sl_key_equal(&out, &vals[i], 1), "value %zu", i);
	}
	cr_assert_eq(r.off, b.len);
	/* a truncated encoding is an error, not a crash */
	sl_rbuf t = sl_rbuf_make(b.p, 7);
	sl_value out;
	cr_assert_lt(sl_value_decode(&t, &a, &out), 0);
	sl_buf_free(&b);
	sl_arena_free(&a);
}

Test(keyhash, equality_and_hash_agree_across_types_nulls_doubles)
{
	char s1[] = "word", s2[] = "word";
	sl_value k1[3] = { sl_v_str(s1, 4), sl_v_null(), sl_v_double(0.0) };
	sl_value k2[3] = { sl_v_str(s2, 4), sl_v_null(), sl_v_double(-0.0) };
	cr_assert(sl_key_equal(k1, k2, 3), "-0.0 groups with 0.0");
	cr_assert_eq(sl_key_hash(k1, 3), sl_key_hash(k2, 3));

	sl_value n1 = sl_v_double(NAN), n2 = sl_v_double(-NAN);
	cr_assert(sl_key_equal(&n1, &n2, 1), "all NaNs group together");
	cr_assert_eq(sl_key_hash(&n1, 1), sl_key_hash(&n2, 1));

	/* null is its own key, distinct from "" and 0 */
	sl_value a = sl_v_null(), b = sl_v_str("", 0), c = sl_v_int(0),
		 d = sl_v_long(0);
	cr_assert(!sl_key_equal(&a, &b, 1));
	cr_assert(!sl_key_equal(&a, &c, 1));
	cr_assert(!sl_key_equal(&c, &d, 1), "int 0 and bigint 0 differ");
	cr_assert_neq(sl_key_hash(&a, 1), sl_key_hash(&b, 1));
	cr_assert_neq(sl_key_hash(&c, 1), sl_key_hash(&d, 1));

	/* ("ab", "c") and ("a", "bc") must not collide by construction */
	sl_value x[2] = { sl_v_str("ab", 2), sl_v_str("c", 1) };
	sl_value y[2] = { sl_v_str("a", 1), sl_v_str("bc", 2) };
	cr_assert(!sl_key_equal(x, y, 2));
	cr_assert_neq(sl_key_hash(x, 2), sl_key_hash(y, 2));
}

Test(keyhash, table_mixed_keys_with_nulls_and_strings)
{
	sl_keytab *t = sl_keytab_new(2);
	char buf[32];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(buf, sizeof(buf), "k%d", i % 100);
		sl_value k[2] = { i % 7 ? sl_v_str(buf, (uint32_t)n)
					: sl_v_null(),
				  i % 2 ? sl_v_int(i % 10) : sl_v_null() };
		sl_keytab_insert(t, k, NULL);
	}
	/* keys: (null | "k0".."k99") x (null | 0..9 odd-only values) */
	uint32_t n = sl_keytab_count(t);
	sl_value nn[2] = { sl_v_null(), sl_v_null() };
	cr_assert_geq(sl_keytab_find(t, nn), 0, "(null, null) is a key");
	sl_value k[2] = { sl_v_str("k3", 2), sl_v_int(3) };
	int64_t s = sl_keytab_find(t, k);
	cr_assert_geq(s, 0);
	const sl_value *stored = sl_keytab_key(t, (uint32_t)s);
	cr_assert_neq(stored[0].v.str, k[0].v.str, "the key was copied");
	cr_assert(sl_key_equal(stored, k, 2));
	/* iteration visits each live key once */
	uint32_t seen = 0;
	for (int64_t i = sl_keytab_next(t, -1); i >= 0;
	     i = sl_keytab_next(t, i))
		seen++;
	cr_assert_eq(seen, n);
	sl_keytab_free(t);
}

Test(keyhash, table_grows_to_a_million_keys_then_deletes)
{
	const uint32_t N = 1000000;
	sl_keytab *t = sl_keytab_new(1);
	for (uint32_t i = 0; i < N; i++) {
		sl_value k = sl_v_long((int64_t)i * 2654435761u);
		bool created;
		uint32_t s = sl_keytab_insert(t, &k, &created);
		cr_assert(created);
		cr_assert_eq(s, i, "slots are dense");
	}
	cr_assert_eq(sl_keytab_count(t), N);
	size_t full = sl_keytab_mem(t);
	for (uint32_t i = 0; i < N; i++) {
		sl_value k = sl_v_long((int64_t)i * 2654435761u);
		cr_assert_eq(sl_keytab_find(t, &k), (int64_t)i);
	}
	/* delete the even keys; the odd ones stay findable across the
	 * backward shifts */
	for (uint32_t i = 0; i < N; i += 2)
		sl_keytab_delete(t, i);
	cr_assert_eq(sl_keytab_count(t), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		sl_value k = sl_v_long((int64_t)i * 2654435761u);
		cr_assert_eq(sl_keytab_find(t, &k), i % 2 ? (int64_t)i : -1);
	}
	/* freed slots are reused, no growth */
	for (uint32_t i = 0; i < N / 2; i++) {
		sl_value k = sl_v_long(-(int64_t)i - 1);
		cr_assert_lt(sl_keytab_insert(t, &k, NULL), N);
	}
	cr_assert_eq(sl_keytab_slots(t), N);
	cr_assert_leq(sl_keytab_mem(t), full + full / 4);
	sl_keytab_free(t);
}

Test(keyhash, churn_keeps_string_key_memory_bounded)
{
	/* a sliding population of 1,000 live string keys through 300,000
	 * inserts: compaction must keep the arena near the live size */
	sl_keytab *t = sl_keytab_new(1);
	char buf[64];
	size_t peak = 0;
	for (int i = 0; i < 300000; i++) {
		int n = snprintf(buf, sizeof(buf),
				 "a-rather-long-key-string-%08d", i);
		sl_value k = sl_v_str(buf, (uint32_t)n);
		sl_keytab_insert(t, &k, NULL);
		if (i >= 1000) {
			n = snprintf(buf, sizeof(buf),
				     "a-rather-long-key-string-%08d", i - 1000);
			sl_value old = sl_v_str(buf, (uint32_t)n);
			int64_t s = sl_keytab_find(t, &old);
			cr_assert_geq(s, 0);
			sl_keytab_delete(t, (uint32_t)s);
		}
		if (i > 10000 && sl_keytab_mem(t) > peak)
			peak = sl_keytab_mem(t);
	}
	cr_assert_eq(sl_keytab_count(t), 1000);
	cr_assert_lt(peak, (size_t)2 << 20, "peak %zu bytes", peak);
	sl_keytab_free(t);
}
