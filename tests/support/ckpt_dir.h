/* tests/support/ckpt_dir.h - a test's checkpoint directory: made new
 * under /tmp, looked into, removed. For the stateful tests
 * (core_group_state.c, core_stateful_chain.c, core_stateful_part.c). */
#ifndef SL_TEST_CKPT_DIR_H
#define SL_TEST_CKPT_DIR_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Makes the directory tmpl names ("/tmp/name.XXXXXX"), filling in its
 * X's. */
static inline void ckpt_dir_new(char *tmpl)
{
	cr_assert_not_null(mkdtemp(tmpl));
}

/* Whether dir holds file (a path below it). */
static inline bool ckpt_dir_has(const char *dir, const char *file)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static inline void ckpt_dir_remove(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

#endif
