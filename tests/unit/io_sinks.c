/* tests/unit/io_sinks.c - what holds for every built-in sink (names,
 * output modes, continuous support, documented option tables), the noop
 * sink, and the sl_rows_* accessors the callbacks read rows with. The
 * console, memory and foreach sinks have their own io_sink_*.c; the harness
 * is tests/support/sink_harness.h. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "core/rows.h"
#include "tests/support/sink_harness.h"

/* ---- noop --------------------------------------------------------------- */

Test(noop, drops_everything)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_noop, &sl_test_long_schema,
				       NULL, &err),
		     0);
	cr_assert_eq(sl_test_sink_init(&t, &err), 0);
	cr_expect_eq(sl_test_sink_write(
			     &t, sl_test_long_batch(0, (int64_t[]){ 1, 2 }, 2)),
		     0);
	cr_expect_eq(sl_test_sink_commit(&t, 0), 0);
	cr_expect_eq(sl_test_sink_commit(&t, 1), 0);
	sl_test_sink_close(&t);
}

Test(noop, rejects_unknown_options)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_expect_eq(sl_test_sink_open(&t, &sl_sink_noop, &sl_test_long_schema,
				       (const char *[]){ "numRows", "3", NULL },
				       &err),
		     SL_EOPTION);
	sl_test_sink_close(&t);
}

/* ---- what each sink supports -------------------------------------------- */

#define ALL_MODES                                                              \
	(SL_MODE_BIT(SL_MODE_APPEND) | SL_MODE_BIT(SL_MODE_UPDATE) |           \
	 SL_MODE_BIT(SL_MODE_COMPLETE))

Test(sinks, names_modes_and_triggers)
{
	cr_expect_str_eq(sl_sink_console.name, "console");
	cr_expect_str_eq(sl_sink_memory.name, "memory");
	cr_expect_str_eq(sl_sink_foreach.name, "foreach");
	cr_expect_str_eq(sl_sink_foreach_batch.name, "foreachBatch");
	cr_expect_str_eq(sl_sink_noop.name, "noop");

	/* Output modes: Spark's for each sink. */
	cr_expect_eq(sl_sink_console.modes, ALL_MODES);
	cr_expect_eq(sl_sink_memory.modes,
		     SL_MODE_BIT(SL_MODE_APPEND) |
			     SL_MODE_BIT(SL_MODE_COMPLETE));
	cr_expect_eq(sl_sink_foreach.modes, ALL_MODES);
	cr_expect_eq(sl_sink_foreach_batch.modes, ALL_MODES);
	cr_expect_eq(sl_sink_noop.modes, ALL_MODES);

	/* Continuous trigger: Spark's console and memory sinks, plus foreach
	 * and noop. */
	cr_expect(sl_sink_console.continuous);
	cr_expect(sl_sink_memory.continuous);
	cr_expect(sl_sink_foreach.continuous);
	cr_expect(!sl_sink_foreach_batch.continuous);
	cr_expect(sl_sink_noop.continuous);
}

Test(sinks, option_tables_end_and_document)
{
	const sl_sink_ops *all[] = { &sl_sink_console, &sl_sink_memory,
				     &sl_sink_foreach, &sl_sink_foreach_batch,
				     &sl_sink_noop };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const sl_opt_def *d = all[i]->options;
		int n = 0;

		cr_assert_not_null(d, "%s", all[i]->name);
		for (; d->name; d++, n++) {
			cr_expect_not_null(d->desc, "%s.%s", all[i]->name,
					   d->name);
			cr_assert_lt(n, 16, "%s: no {NULL} end", all[i]->name);
		}
		cr_expect_not_null(all[i]->description);
	}
}

/* ---- sl_rows ------------------------------------------------------------ */

Test(rows, accessors)
{
	static sl_field f[] = {
		{ "Id", &sl_dtype_long, true },
		{ "score", &sl_dtype_double, true },
		{ "ok", &sl_dtype_bool, true },
		{ "name", &sl_dtype_string, true },
	};
	static const sl_schema sc = { 4, f };
	sl_batch *b = sl_batch_new(&sc, 2);
	sl_value *r = sl_batch_add_row(b);
	char buf[16];

	r[0] = sl_v_long(-7);
	r[1] = sl_v_double(2.9);
	r[2] = sl_v_bool(true);
	r[3] = sl_test_arena_str(b, "x");
	sl_batch_add_row(b); /* all nulls */

	cr_expect_eq(sl_rows_count(sl_rows_of(b)), 2);
	cr_expect_eq(sl_rows_ncols(sl_rows_of(b)), 4);
	cr_expect_str_eq(sl_rows_colname(sl_rows_of(b), 1), "score");
	cr_expect_null(sl_rows_colname(sl_rows_of(b), 4));
	cr_expect_eq(sl_rows_colindex(sl_rows_of(b), "id"), 0);
	cr_expect_eq(sl_rows_colindex(sl_rows_of(b), "NAME"), 3);
	cr_expect_eq(sl_rows_colindex(sl_rows_of(b), "nope"), -1);

	cr_expect_eq(sl_rows_long(sl_rows_of(b), 0, 0), -7);
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 0, 1), 2); /* truncated */
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 0, 2), 1);
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 0, 3), 0); /* not numeric */
	cr_expect_float_eq(sl_rows_double(sl_rows_of(b), 0, 1), 2.9, 1e-12);
	cr_expect_float_eq(sl_rows_double(sl_rows_of(b), 0, 0), -7.0, 1e-12);
	cr_expect_str_eq(sl_rows_string(sl_rows_of(b), 0, 3, buf, sizeof(buf)), "x");
	cr_expect_str_eq(sl_rows_string(sl_rows_of(b), 0, 0, buf, sizeof(buf)), "-7");

	cr_expect(!sl_rows_is_null(sl_rows_of(b), 0, 0));
	cr_expect(sl_rows_is_null(sl_rows_of(b), 1, 0));
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 1, 0), 0);
	cr_expect_str_eq(sl_rows_string(sl_rows_of(b), 1, 3, buf, sizeof(buf)), "null");

	/* Out of range reads as null rather than crashing. */
	cr_expect(sl_rows_is_null(sl_rows_of(b), 2, 0));
	cr_expect(sl_rows_is_null(sl_rows_of(b), 0, 9));
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 5, 0), 0);
	cr_expect_str_eq(sl_rows_string(sl_rows_of(b), 5, 0, buf, sizeof(buf)), "null");
	sl_rows_free(sl_rows_of(b));

	cr_expect_eq(sl_rows_count(NULL), 0);
	cr_expect_eq(sl_rows_ncols(NULL), 0);
	cr_expect_eq(sl_rows_colindex(NULL, "x"), -1);
	sl_rows_free(NULL);
}

Test(rows, long_from_double_saturates)
{
	static sl_field f[] = { { "d", &sl_dtype_double, true } };
	static const sl_schema sc = { 1, f };
	sl_batch *b = sl_batch_new(&sc, 3);

	sl_batch_add_row(b)[0] = sl_v_double(1e300);
	sl_batch_add_row(b)[0] = sl_v_double(-1e300);
	sl_batch_add_row(b)[0] = sl_v_double(0.0 / 0.0);
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 0, 0), INT64_MAX);
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 1, 0), INT64_MIN);
	cr_expect_eq(sl_rows_long(sl_rows_of(b), 2, 0), 0);
	sl_rows_free(sl_rows_of(b));
}
