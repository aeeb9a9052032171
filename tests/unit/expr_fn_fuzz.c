/* tests/unit/expr_fn_fuzz.c - every function of the table called with
 * every combination (up to three arguments) of awkward values: nulls,
 * empty and multi-byte text, zero, the int limits, NaN, negative and
 * huge counts, arrays, structs, binary, dates. Each call must either be
 * refused at bind or evaluate to a value or an error; a crash or a
 * sanitizer report fails the test (run it under make SAN=asan). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "expr/fn.h"
#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_fuzz, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

static const char *const pool[] = {
	"NULL",	      "''",	   "'h\xc3\xa9,l|o'", "-1",	   "0",
	"2147483647", "-2147483648", "CAST('NaN' AS DOUBLE)", "arr",
	"st",	      "bin",	   "ts",	      "'$.a[0]'", "'[0-9]+'",
	"dt",	      "value",
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static int tried, bound;

static void call(const sl_func *f, const char *const *args, int n)
{
	char text[512];
	int k = snprintf(text, sizeof(text), "%s(", f->name);
	for (int i = 0; i < n; i++)
		k += snprintf(text + k, sizeof(text) - (size_t)k, "%s%s",
			      i ? ", " : "", args[i]);
	snprintf(text + k, sizeof(text) - (size_t)k, ")");
	sl_err err = { 0 };
	sl_arena a;
	sl_arena_init(&a);
	tried++;
	sl_expr *e = sl_expr_parse(text, false, &a, &err);
	if (e && !sl_expr_bind_with(e, sl_test_expr_schema,
				    &sl_test_expr_opts, &a, &err)) {
		bound++;
		sl_value v;
		(void)sl_expr_eval(e, sl_test_expr_row, &a, &v, &err);
	}
	sl_arena_free(&a);
}

Test(expr_fn_fuzz, awkward_arguments_never_crash, .timeout = 600)
{
	size_t ng;
	const sl_func_group *g = sl_func_groups(&ng);
	for (size_t gi = 1; gi < ng; gi++) /* the groups of expr/fn_*.c */
		for (size_t fi = 0; fi < *g[gi].n; fi++) {
			const sl_func *f = &g[gi].fns[fi];
			int lo = f->min, hi = f->max < 0 ? f->min + 2 : f->max;
			if (hi > 3)
				hi = 3;
			for (int n = lo; n <= hi; n++) {
				const char *a[3] = { 0 };
				size_t total = 1;
				for (int i = 0; i < n; i++)
					total *= NPOOL;
				for (size_t c = 0; c < total; c++) {
					size_t x = c;
					for (int i = 0; i < n; i++) {
						a[i] = pool[x % NPOOL];
						x /= NPOOL;
					}
					call(f, a, n);
				}
			}
		}
	cr_log_info("%d calls, %d bound", tried, bound);
	cr_assert_gt(tried, 10000);
	cr_assert_gt(bound, tried / 20, "%d of %d bound", bound, tried);
}
