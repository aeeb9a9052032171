/* tests/fuzz/fuzz.h - what the libFuzzer targets of tests/fuzz/ share: a
 * scratch directory of the process (on /dev/shm when there is one, so the
 * checkpoint files' fsyncs cost little), writing a file whole, removing a
 * tree, and a source made from its options as the engine makes it. A
 * target's failure is a crash: abort() with a line on stderr naming what
 * two paths disagreed on. Header-only: each target is one program. */
#ifndef SL_TEST_FUZZ_H
#define SL_TEST_FUZZ_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/option.h"
#include "core/value.h"
#include "io/plugin.h"

#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz check failed: %s: ", #cond);    \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

static inline void fuzz_rmtree(const char *path);

static char fuzz_dir_path[128];

static inline void fuzz_dir_remove(void)
{
	fuzz_rmtree(fuzz_dir_path);
}

/* The process's scratch directory, made on first use and removed when the
 * process exits. */
static inline const char *fuzz_dir(void)
{
	char *dir = fuzz_dir_path;

	if (!dir[0]) {
		struct stat st;
		const char *base =
			stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)
				? "/dev/shm"
				: "/tmp";

		snprintf(dir, sizeof(fuzz_dir_path), "%s/sl_fuzz.XXXXXX", base);
		if (!mkdtemp(dir))
			abort();
		atexit(fuzz_dir_remove);
	}
	return dir;
}

/* Writes [data, data + n) as path, whole; aborts when it cannot. */
static inline void fuzz_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	FUZZ_CHECK(fd >= 0, "open %s", path);
	FUZZ_CHECK(n == 0 || write(fd, data, n) == (ssize_t)n, "write %s",
		   path);
	close(fd);
}

/* Removes path and everything below it (no symbolic links are made). */
static inline void fuzz_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char sub[1024];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (de->d_type == DT_DIR)
			fuzz_rmtree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Makes src of ops with the options kv (key, value, ..., NULL) as the
 * engine does: the option table, the cross-option rules, init. */
static inline int fuzz_source_make(const sl_source_ops *ops,
				   const char *const *kv, sl_source *src,
				   sl_arena *arena, sl_err *err)
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

/* Reads everything the source src has into batches, as the engine's
 * micro-batch 0 does, and drops them; the rows must be as many as poll
 * said. Returns 0 or the poll's error (p->err says what). */
static inline int fuzz_source_drain(sl_source *src, sl_source_part *p)
{
	int64_t end;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->src = src;
	if ((rc = src->ops->open(p)) < 0)
		return rc;
	end = src->ops->latest(p, 0);
	while (p->offset < end) {
		sl_batch *b = NULL;
		int n = src->ops->poll(p, end, 0, &b);

		if (n < 0) {
			sl_batch_free(b);
			rc = n;
			break;
		}
		if (b) {
			FUZZ_CHECK(b->nrows == (uint32_t)n, "%u rows, poll said %d",
				   b->nrows, n);
			for (uint32_t r = 0; r < b->nrows; r++) {
				char cell[64];

				for (uint32_t c = 0; c < src->schema->n; c++)
					sl_value_render(&sl_batch_row(b, r)[c],
							cell, sizeof(cell));
			}
			sl_batch_free(b);
		}
	}
	src->ops->close(p);
	return rc;
}

#endif
