/* tests/unit/expr_fn_table.c - the function table as a whole
 * (expr/func.c's groups, expr/fn_doc.c): every function is found by
 * name, no name is in two groups, every entry is documented, every
 * example binds and evaluates, and the reference lists them all. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "expr/fn.h"
#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_table, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_table, names_unique_and_found)
{
	size_t ng, total = 0;
	const sl_func_group *g = sl_func_groups(&ng);
	cr_assert_gt(ng, 5);
	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; k < *g[i].n; k++) {
			const sl_func *f = &g[i].fns[k];
			cr_assert_eq(sl_func_find(f->name), f,
				     "%s is shadowed by another entry",
				     f->name);
			total++;
		}
	cr_assert_gt(total, 200);
}

Test(expr_fn_table, every_entry_documented_and_its_example_runs)
{
	size_t ng;
	const sl_func_group *g = sl_func_groups(&ng);
	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; k < *g[i].n; k++) {
			const sl_func *f = &g[i].fns[k];
			sl_func_doc d = sl_func_doc_of(f);
			cr_assert(d.sig && ((f->flags & FN_SYNTAX) ||
					    strncmp(d.sig, f->name,
						    strlen(f->name)) == 0),
				  "%s: signature %s", f->name, d.sig);
			cr_assert(d.desc && strlen(d.desc) > 10,
				  "%s has no description", f->name);
			bool runs = !(f->flags & (FN_AGG | FN_WINDOW | FN_GEN));
			cr_assert(!runs || d.example, "%s has no example",
				  f->name);
			if (!runs)
				continue;
			sl_err err = { 0 };
			sl_expr *e = sl_test_expr_compile(d.example, &err);
			cr_assert_not_null(e, "%s: %s", d.example, err.msg);
			sl_value v;
			cr_assert_eq(sl_expr_eval(e, sl_test_expr_row,
						  &sl_test_expr_arena, &v,
						  &err),
				     0, "%s: %s", d.example, err.msg);
		}
}

Test(expr_fn_table, reference)
{
	sl_err err = { 0 };
	char *all = sl_func_reference(NULL, true, &err);
	cr_assert_not_null(all);
	cr_assert_not_null(strstr(all, "## string"));
	cr_assert_not_null(strstr(all, "- `lpad(str, len[, pad])`"));
	cr_assert_not_null(strstr(all, "`sha2('Spark', 256)` gives `"));
	cr_assert_null(strstr(all, "error:"), "an example fails");
	free(all);
	char *one = sl_func_reference("xxhash64", false, &err);
	cr_assert_not_null(one);
	cr_assert_not_null(strstr(one, "5602566077635097486"), "%s", one);
	free(one);
	cr_assert_null(sl_func_reference("no_such_fn", false, &err));
	cr_assert_eq(err.code, SL_ENOTFOUND);
}
