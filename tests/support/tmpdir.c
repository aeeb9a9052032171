/* tests/support/tmpdir.c - temporary directories for tests
 * (tests/support/tmpdir.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/support/tmpdir.h"

char *sl_test_tmpdir(const char *name)
{
	char *path = NULL;
	cr_assert_gt(asprintf(&path, "/tmp/%s.XXXXXX", name), 0);
	cr_assert_not_null(mkdtemp(path), "mkdtemp %s: %s", path,
			   strerror(errno));
	return path;
}

bool sl_test_exists(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
	return rc == 0 || errno == ENOENT ? 0 : -errno;
}

int sl_test_rmtree(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	int rc = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc < 0 ? -errno : rc;
}

int64_t sl_test_newest_number(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int64_t best = -1;

	while (d && (e = readdir(d))) {
		char *end;
		long long v = strtoll(e->d_name, &end, 10);

		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !*end &&
		    v > best)
			best = v;
	}
	if (d)
		closedir(d);
	return best;
}

void sl_test_tmpdir_free(char *dir)
{
	if (!dir)
		return;
	int rc = sl_test_rmtree(dir);
	cr_assert_eq(rc, 0, "removing %s: %s", dir, strerror(-rc));
	free(dir);
}
