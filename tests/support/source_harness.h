/* tests/support/source_harness.h - builds a source the way a session does
 * (its option table applied to the given key/value pairs, its finalize,
 * then init), for
 * the source tests (tests/unit/io_*.c). Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_SOURCE_HARNESS_H
#define SL_TEST_SOURCE_HARNESS_H

#include "io/plugin.h"
#include "sluice.h"

/* Fills src for ops with options kv (key, value, ..., NULL), everything
 * in arena; the errors are named "source '<name>'". Returns the option
 * or finalize result, else init's. */
int sl_test_source_make(const sl_source_ops *ops, const char *const *kv,
			sl_source *src, sl_arena *arena, sl_err *err);

/* sl_test_source_make that must succeed (the test fails with err.msg). */
#define SL_TEST_SRC(arena, err, ops, src, ...)                                 \
	cr_assert_eq(sl_test_source_make(                                      \
			     ops, (const char *const[]){ __VA_ARGS__, NULL },  \
			     src, arena, err),                                 \
		     0, "%s", (err)->msg)

/* A source test file's arena and err, fresh for each test of the suites
 * declared with .init = source_setup, .fini = source_teardown. */
#define SL_TEST_SOURCE_FIXTURE                                                 \
	static sl_arena arena;                                                 \
	static sl_err err;                                                     \
	static void source_setup(void)                                         \
	{                                                                      \
		sl_arena_init(&arena);                                         \
		memset(&err, 0, sizeof(err));                                  \
	}                                                                      \
	static void source_teardown(void)                                      \
	{                                                                      \
		sl_arena_free(&arena);                                         \
	}

#endif
