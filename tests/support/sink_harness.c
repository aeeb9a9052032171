/* tests/support/sink_harness.c - one sink driven as the sink thread
 * drives it, and the vectors the sink tests write
 * (tests/support/sink_harness.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/support/sink_harness.h"

/* ---- schemas and batches ------------------------------------------------ */

static sl_field long_fields[] = { { "value", &sl_dtype_long, false } };
const sl_schema sl_test_long_schema = { 1, long_fields };

static sl_field word_fields[] = { { "word", &sl_dtype_string, true } };
const sl_schema sl_test_word_schema = { 1, word_fields };

static sl_field pair_fields[] = {
	{ "id", &sl_dtype_long, true },
	{ "name", &sl_dtype_string, true },
};
const sl_schema sl_test_pair_schema = { 2, pair_fields };

/* A vector of longs, as a source would make it. */
sl_batch *sl_test_long_batch(uint32_t part, const int64_t *v, uint32_t n)
{
	sl_batch *b = sl_batch_new(&sl_test_long_schema, n);

	b->partition = part;
	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] = sl_v_long(v[i]);
	return b;
}

/* Strings live in the batch's arena, as they do in real vectors, so a sink
 * that keeps a pointer past write() shows up under ASan. */
sl_value sl_test_arena_str(sl_batch *b, const char *s)
{
	size_t n = strlen(s);

	return sl_v_str(sl_arena_strndup(&b->arena, s, n), (uint32_t)n);
}

sl_batch *sl_test_word_batch(const char *const *w, uint32_t n)
{
	sl_batch *b = sl_batch_new(&sl_test_word_schema, n);

	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] =
			w[i] ? sl_test_arena_str(b, w[i]) : sl_v_null();
	return b;
}

/* id, name pairs; id < 0 means a null id. */
void sl_test_pair_add(sl_batch *b, int64_t id, const char *name)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = id < 0 ? sl_v_null() : sl_v_long(id);
	r[1] = name ? sl_test_arena_str(b, name) : sl_v_null();
}

/* ---- a sink under test -------------------------------------------------- */

/* Fills sk as engine/query.c does and applies opts (key, value, ..., NULL)
 * through the sink's own option table. Returns the option or init result. */
int sl_test_sink_open(sl_test_sink *t, const sl_sink_ops *ops,
		      const sl_schema *sc, const char *const *opts, sl_err *err)
{
	sl_kvs given = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	sl_arena_init(&t->arena);
	t->fd = memfd_create("console", 0);
	cr_assert_geq(t->fd, 0);
	t->sk.ops = ops;
	t->sk.conf =
		sl_arena_calloc(&t->arena, ops->conf_size ? ops->conf_size : 1);
	for (size_t i = 0; opts && opts[i]; i += 2)
		sl_kvs_add(&given, &t->arena, opts[i], opts[i + 1]);
	rc = sl_options_apply(ops->options, t->sk.conf, &given, NULL, ops->name,
			      &t->arena, err);
	if (!rc)
		rc = sl_options_finalize(ops->finalize, t->sk.conf, ops->name,
					 err);
	if (rc)
		return rc;
	t->sk.schema = sc;
	t->sk.mode = SL_MODE_APPEND;
	t->sk.console_fd = t->fd;
	t->sk.nparts = 1;
	t->sk.arena = &t->arena;
	return 0;
}

int sl_test_sink_init(sl_test_sink *t, sl_err *err)
{
	return t->sk.ops->init(&t->sk, err);
}

int sl_test_sink_open_init(sl_test_sink *t, const sl_sink_ops *ops,
			   const sl_schema *sc, const char *const *opts,
			   sl_err *err)
{
	int rc = sl_test_sink_open(t, ops, sc, opts, err);
	return rc ? rc : sl_test_sink_init(t, err);
}

void sl_test_sink_start(sl_test_sink *t, const sl_sink_ops *ops,
			const sl_schema *sc, const char *const *opts)
{
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(t, ops, sc, opts, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(sl_test_sink_init(t, &err), 0, "%s", err.msg);
}

int sl_test_sink_commit(sl_test_sink *t, int64_t epoch)
{
	return t->sk.ops->commit(&t->sk, epoch);
}

/* Writes b as the sink thread does: frees it unless the sink kept it. */
int sl_test_sink_write(sl_test_sink *t, sl_batch *b)
{
	int rc = t->sk.ops->write(&t->sk, b);

	cr_assert(rc == 0 || rc == 1 || rc < 0);
	if (rc == 0 || rc < 0)
		sl_batch_free(b);
	return rc;
}

void sl_test_sink_write_ok(sl_test_sink *t, sl_batch *b)
{
	int rc = sl_test_sink_write(t, b);

	cr_assert(rc == 0 || rc == 1, "write: %d %s", rc, t->sk.err.msg);
}

void sl_test_sink_commit_ok(sl_test_sink *t, int64_t epoch)
{
	int rc = sl_test_sink_commit(t, epoch);

	cr_assert_eq(rc, 0, "commit %lld: %d %s", (long long)epoch, rc,
		     t->sk.err.msg);
}

void sl_test_sink_close(sl_test_sink *t)
{
	if (t->sk.ops && t->sk.state)
		t->sk.ops->destroy(&t->sk);
	close(t->fd);
	sl_arena_free(&t->arena);
}

/* Everything the console wrote since the last call; caller frees. */
char *sl_test_sink_console_text(sl_test_sink *t)
{
	off_t n = lseek(t->fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)n + 1);

	cr_assert_eq(pread(t->fd, buf, (size_t)n, 0), n);
	cr_assert_eq(ftruncate(t->fd, 0), 0);
	lseek(t->fd, 0, SEEK_SET);
	return buf;
}

void sl_test_sink_expect_text(sl_test_sink *t, const char *want)
{
	char *got = sl_test_sink_console_text(t);

	cr_expect_str_eq(got, want, "got:\n%s\nwanted:\n%s", got, want);
	free(got);
}
