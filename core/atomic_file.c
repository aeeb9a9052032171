/* core/atomic_file.c - the crash-safe file write (core/atomic_file.h).
 *
 * Plain syscalls relative to a directory fd (openat, renameat2,
 * unlinkat): the writes it serves are off the record path (the
 * coordinator and sink threads, once per epoch or batch). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "core/atomic_file.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fail(int dirfd, const char *tmp, int fd, int e,
		sl_atomic_step step, sl_atomic_step *failed)
{
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	*failed = step;
	return -e;
}

int sl_atomic_file_write(int dirfd, const char *tmp, const char *name,
			 const void *body, size_t len, bool noreplace,
			 sl_atomic_step *failed)
{
	int fd, rc;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*failed = SL_ATOMIC_CREATE;
		return -errno;
	}
	if ((rc = write_all(fd, body, len)) < 0)
		return fail(dirfd, tmp, fd, -rc, SL_ATOMIC_WRITE, failed);
	/* The content must be on disk before the rename can be: otherwise a
	 * power loss may persist the new name pointing at empty blocks. A
	 * failed fsync is final (the kernel may have dropped the dirty pages),
	 * so it is never retried. */
	if (fsync(fd) < 0)
		return fail(dirfd, tmp, fd, errno, SL_ATOMIC_FSYNC, failed);
	if (close(fd) < 0)
		return fail(dirfd, tmp, -1, errno, SL_ATOMIC_CLOSE, failed);
	rc = renameat2(dirfd, tmp, dirfd, name,
		       noreplace ? RENAME_NOREPLACE : 0);
	if (rc < 0 && noreplace && errno == EINVAL)
		rc = renameat(dirfd, tmp, dirfd, name);
	if (rc < 0 && noreplace && errno == EEXIST) {
		unlinkat(dirfd, tmp, 0);
		return 1;
	}
	if (rc < 0)
		return fail(dirfd, tmp, -1, errno, SL_ATOMIC_RENAME, failed);
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) < 0) {
		*failed = SL_ATOMIC_FSYNC_DIR;
		return -errno;
	}
	return 0;
}
