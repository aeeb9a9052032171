/* tests/support/sink_harness.h - drives one sink through its sl_sink_ops
 * as the sink thread does (options, init, write..., commit, destroy), for
 * the sink tests (tests/unit/io_sink*.c); plus the small schemas and
 * record vectors they write. The console writes into a memfd the tests
 * read back. Compiled once into build/libsltest.a. */
#ifndef SL_TEST_SINK_HARNESS_H
#define SL_TEST_SINK_HARNESS_H

#include "io/plugin.h"
#include "sluice.h"

extern const sl_sink_ops sl_sink_console, sl_sink_memory, sl_sink_foreach,
	sl_sink_foreach_batch, sl_sink_noop;

/* value BIGINT NOT NULL; word STRING; id BIGINT, name STRING. */
extern const sl_schema sl_test_long_schema, sl_test_word_schema,
	sl_test_pair_schema;

/* A vector of longs over sl_test_long_schema, as a source would make it. */
sl_batch *sl_test_long_batch(uint32_t part, const int64_t *v, uint32_t n);
/* A string in b's arena, as in real vectors, so a sink that keeps a
 * pointer past write() shows up under ASan. */
sl_value sl_test_arena_str(sl_batch *b, const char *s);
/* A vector of words (NULL: a null) over sl_test_word_schema. */
sl_batch *sl_test_word_batch(const char *const *w, uint32_t n);
/* Adds an (id, name) row to b; id < 0 or name NULL: a null. */
void sl_test_pair_add(sl_batch *b, int64_t id, const char *name);

typedef struct sl_test_sink {
	sl_sink sk;
	sl_arena arena;
	int fd; /* the console's memfd */
} sl_test_sink;

/* Fills sk as engine/query.c does and applies opts (key, value, ..., NULL)
 * through the sink's own option table and finalize. Returns the option
 * result. */
int sl_test_sink_open(sl_test_sink *t, const sl_sink_ops *ops,
		      const sl_schema *sc, const char *const *opts,
		      sl_err *err);
int sl_test_sink_init(sl_test_sink *t, sl_err *err);
/* sl_test_sink_open, then sl_test_sink_init if it succeeded: the first
 * failure. */
int sl_test_sink_open_init(sl_test_sink *t, const sl_sink_ops *ops,
			   const sl_schema *sc, const char *const *opts,
			   sl_err *err);
/* sl_test_sink_open and sl_test_sink_init, failing the test unless both
 * succeed. */
void sl_test_sink_start(sl_test_sink *t, const sl_sink_ops *ops,
			const sl_schema *sc, const char *const *opts);
/* Writes b as the sink thread does: frees it unless the sink kept it. */
int sl_test_sink_write(sl_test_sink *t, sl_batch *b);
/* The sink's commit of epoch. */
int sl_test_sink_commit(sl_test_sink *t, int64_t epoch);
/* Write and commit, failing the test unless they succeed. */
void sl_test_sink_write_ok(sl_test_sink *t, sl_batch *b);
void sl_test_sink_commit_ok(sl_test_sink *t, int64_t epoch);
void sl_test_sink_close(sl_test_sink *t);

/* Everything the console wrote since the last call; caller frees. */
char *sl_test_sink_console_text(sl_test_sink *t);
/* Expects that text to be want. */
void sl_test_sink_expect_text(sl_test_sink *t, const char *want);

#endif
