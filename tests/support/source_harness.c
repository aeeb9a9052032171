/* tests/support/source_harness.c - a source built as a session builds it
 * (tests/support/source_harness.h). */
#include <stdio.h>
#include <string.h>

#include "tests/support/source_harness.h"

int sl_test_source_make(const sl_source_ops *ops, const char *const *kv,
			sl_source *src, sl_arena *arena, sl_err *err)
{
	sl_kvs *given = sl_arena_calloc(arena, sizeof(*given));
	char comp[64];
	int rc;

	memset(src, 0, sizeof(*src));
	for (int i = 0; kv && kv[i]; i += 2)
		sl_kvs_add(given, arena, kv[i], kv[i + 1]);
	src->ops = ops;
	src->arena = arena;
	src->given = given;
	src->conf = sl_arena_calloc(arena, ops->conf_size);
	snprintf(comp, sizeof(comp), "source '%s'", ops->name);
	rc = sl_options_apply(ops->options, src->conf, given, NULL, comp,
			      arena, err);
	if (!rc)
		rc = sl_options_finalize(ops->finalize, src->conf, comp, err);
	if (rc)
		return rc;
	return ops->init(src, err);
}
