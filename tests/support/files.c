/* tests/support/files.c - writing and reading a test's small files
 * (tests/support/files.h). */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/files.h"

void sl_test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "create %s", path);
	fputs(text, f);
	fclose(f);
}

void sl_test_write_file_in(const char *dir, const char *name,
			   const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sl_test_write_file(path, text);
}

bool sl_test_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

bool sl_test_path_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *sl_test_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

void sl_test_flip_byte(const char *p, double where)
{
	struct stat st;
	char ch;
	off_t at;
	int fd = open(p, O_RDWR);

	cr_assert_geq(fd, 0, "open %s", p);
	cr_assert_eq(fstat(fd, &st), 0);
	at = (off_t)(st.st_size * where);
	cr_assert_eq(pread(fd, &ch, 1, at), 1);
	ch ^= 0x04;
	cr_assert_eq(pwrite(fd, &ch, 1, at), 1);
	close(fd);
}
