/* tests/support/expr_fixture.h - the fixture the expression tests
 * (tests/unit/expr_*.c) share: one arena, a 14-column schema with every
 * type, one row of values over it, and helpers that parse, bind and
 * evaluate an expression text against that row, failing the test
 * (Criterion assertions) when a step that should work does not. Compiled
 * once into build/libsltest.a. */
#ifndef SL_TEST_EXPR_FIXTURE_H
#define SL_TEST_EXPR_FIXTURE_H

#include <criterion/criterion.h>

#include "expr/expr.h"
#include "sluice.h"

/* 2024-01-02 03:04:05.123 UTC: the row's `ts` */
#define SL_TEST_EXPR_TS_US 1704164645123000LL
#define SL_TEST_EXPR_NCOLS 14

/* value BIGINT, s STRING, d DOUBLE, i INT, b BOOLEAN, ts TIMESTAMP,
 * n BIGINT, arr ARRAY<STRING>, st STRUCT<a: INT, b: STRING>, ns STRING,
 * nd DOUBLE, nb BOOLEAN, dt DATE, bin BINARY; the row holds 42,
 * 'Hello World', 2.5, -3, true, SL_TEST_EXPR_TS_US, null, [x, null, z],
 * {7, q}, null, null, null, 2024-01-02, [61 62 ff]. */
extern sl_arena sl_test_expr_arena;
extern sl_schema *sl_test_expr_schema;
extern sl_value sl_test_expr_row[SL_TEST_EXPR_NCOLS];

/* The options the helpers below bind with: sl_expr_defaults (ANSI on)
 * after setup; a test sets .ansi = false to check the legacy mode. */
extern sl_expr_options sl_test_expr_opts;
/* The suite's .init and .fini: (re)build and free the above. */
void sl_test_expr_setup(void);
void sl_test_expr_teardown(void);

/* Parses and binds; NULL with err filled on failure. */
sl_expr *sl_test_expr_compile(const char *text, sl_err *err);
/* Parses and binds, failing the test if either fails. */
sl_expr *sl_test_expr_must(const char *text);
/* The value of text on the row, failing the test if evaluation fails. */
sl_value sl_test_expr_value(const char *text);
/* That value rendered as Spark prints it; "<null>" for a null result. */
const char *sl_test_expr_text(const char *text);
/* Spark's name of text's result type ("bigint", "array<string>"). */
const char *sl_test_expr_type_name(const char *text);
/* The output column name bind gives text. */
const char *sl_test_expr_name(const char *text);
/* The error of text that must fail to parse (SL_ESYNTAX). */
sl_err sl_test_expr_parse_error(const char *text);
/* The message of text's runtime error (it must bind, then fail to
 * evaluate with SL_EINVAL, as ANSI's errors do). */
const char *sl_test_expr_eval_error(const char *text);
/* The error of text that parses but must fail to bind (SL_EANALYSIS). */
sl_err sl_test_expr_bind_error(const char *text);

#define EXPR_EQ(text, want)                                                    \
	cr_assert_str_eq(sl_test_expr_text(text), want, "%s", text)
#define EXPR_NULL(text)                                                        \
	cr_assert_str_eq(sl_test_expr_text(text), "<null>", "%s", text)
#define EXPR_TYPE(text, want)                                                  \
	cr_assert_str_eq(sl_test_expr_type_name(text), want, "%s", text)
#define EXPR_NAME(text, want)                                                  \
	cr_assert_str_eq(sl_test_expr_name(text), want, "%s", text)

#endif
