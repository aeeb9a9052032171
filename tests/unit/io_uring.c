/* tests/unit/io_uring.c - the io_uring layer: every helper through the ring
 * and through the forced fallback (SLUICE_NO_URING=1) gives the same
 * bytes and results, read-ahead survives a file that shrank, sockets time
 * out and see the peer close, an fd wait wakes on another thread's write
 * and times out, each thread has its own ring, and the
 * fallback warns once. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/value.h"
#include "core/log.h"
#include "io/uring.h"
#include "tests/support/tmpdir.h"

static char *dir;

static void setup(void)
{
	dir = sl_test_tmpdir("sl_uring");
}

static void teardown(void)
{
	sl_test_tmpdir_free(dir);
}

TestSuite(uring, .init = setup, .fini = teardown);

static void ring_init(sl_uring *r, bool fallback)
{
	if (fallback)
		setenv("SLUICE_NO_URING", "1", 1);
	else
		unsetenv("SLUICE_NO_URING");
	sl_uring_init(r, 32);
	unsetenv("SLUICE_NO_URING");
	cr_assert_eq(sl_uring_active(r), !fallback, "active=%d reason=%s",
		     sl_uring_active(r), sl_uring_reason(r));
}

/* Pseudo-random bytes, so a misplaced chunk cannot go unnoticed. */
static void fill(char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (char)(seed >> 16);
	}
}

/* Writes, fsyncs, reads back in one piece and through a reader. Returns
 * the bytes the reader produced (malloc'd). */
static char *roundtrip(sl_uring *r, const char *name, const char *data,
		       size_t n, size_t chunk, unsigned depth)
{
	char path[128];
	int fd;
	char *back = malloc(n + 1), *viar = malloc(n + 1);
	size_t got = 0;
	sl_uring_reader rd;
	ssize_t k;
	const char *c;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = sl_uring_openat(r, AT_FDCWD, path, O_CREAT | O_RDWR | O_TRUNC,
			     0644);
	cr_assert_geq(fd, 0, "openat: %s", strerror(-fd));
	cr_assert_eq(sl_uring_write(r, fd, data, n, 0), (ssize_t)n);
	cr_assert_eq(sl_uring_fsync(r, fd, false), 0);
	cr_assert_eq(sl_uring_pread(r, fd, back, n, 0), (ssize_t)n);
	cr_assert_eq(memcmp(back, data, n), 0);
	cr_assert_eq(sl_uring_reader_start(&rd, r, fd, n, chunk, depth), 0);
	while ((k = sl_uring_reader_next(&rd, &c)) > 0) {
		cr_assert_leq(got + (size_t)k, n);
		memcpy(viar + got, c, (size_t)k);
		got += (size_t)k;
	}
	cr_assert_eq(k, 0);
	cr_assert_eq(got, n);
	sl_uring_reader_stop(&rd);
	cr_assert_eq(sl_uring_close(r, fd), 0);
	free(back);
	return viar;
}

Test(uring, same_bytes_through_ring_and_fallback)
{
	size_t n = 1000003; /* not a multiple of any chunk */
	char *data = malloc(n), *a, *b;
	sl_uring r1, r2;

	fill(data, n, 7);
	ring_init(&r1, false);
	ring_init(&r2, true);
	a = roundtrip(&r1, "a.bin", data, n, 65536, 3);
	b = roundtrip(&r2, "b.bin", data, n, 65536, 3);
	cr_assert_eq(memcmp(a, data, n), 0);
	cr_assert_eq(memcmp(b, data, n), 0);
	/* The ring did the work in one case, system calls in the other. */
	cr_assert_gt(r1.nops, 16);
	cr_assert_eq(r1.nsys, 0);
	cr_assert_eq(r2.nops, 0);
	cr_assert_gt(r2.nsys, 16);
	sl_uring_exit(&r1);
	sl_uring_exit(&r2);
	free(a);
	free(b);
	free(data);
}

Test(uring, reader_depths_and_tiny_files)
{
	sl_uring r;
	char data[5000];

	fill(data, sizeof(data), 3);
	ring_init(&r, false);
	for (unsigned depth = 1; depth <= SL_READER_MAX_DEPTH; depth++)
		for (size_t n = 0; n < sizeof(data); n += 997) {
			char name[32], *out;

			snprintf(name, sizeof(name), "f%u_%zu", depth, n);
			out = roundtrip(&r, name, data, n, 1000, depth);
			cr_assert_eq(memcmp(out, data, n), 0);
			free(out);
		}
	sl_uring_exit(&r);
}

/* The reader reads up to the size it was given; a file cut shorter since
 * gives what is there and then the end, not an error. */
static void shrink_case(bool fallback)
{
	sl_uring r;
	char path[128], buf[10000];
	const char *c;
	int fd;
	sl_uring_reader rd;
	ssize_t k;
	size_t got = 0;

	ring_init(&r, fallback);
	fill(buf, sizeof(buf), 9);
	snprintf(path, sizeof(path), "%s/shrink", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	cr_assert_eq(write(fd, buf, 3000), 3000);
	cr_assert_eq(sl_uring_reader_start(&rd, &r, fd, 10000, 1024, 2), 0);
	while ((k = sl_uring_reader_next(&rd, &c)) > 0) {
		cr_assert_eq(memcmp(c, buf + got, (size_t)k), 0);
		got += (size_t)k;
	}
	cr_assert_eq(k, 0);
	cr_assert_eq(got, 3000);
	sl_uring_reader_stop(&rd);
	close(fd);
	sl_uring_exit(&r);
}

Test(uring, reader_file_shorter_than_listed)
{
	shrink_case(false);
	shrink_case(true);
}

static void metadata_case(bool fallback)
{
	sl_uring r;
	char a[256], b[256], d[128];
	const char *names[3] = { "x", "missing", "sub" };
	struct statx st[3];
	int res[3], dfd, fd;

	ring_init(&r, fallback);
	snprintf(d, sizeof(d), "%s/m%d", dir, fallback);
	cr_assert_eq(sl_uring_mkdirat(&r, AT_FDCWD, d, 0755), 0);
	cr_assert_eq(sl_uring_mkdirat(&r, AT_FDCWD, d, 0755), -EEXIST);
	snprintf(a, sizeof(a), "%s/x", d);
	fd = sl_uring_openat(&r, AT_FDCWD, a, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sl_uring_write(&r, fd, "hello", 5, -1), 5);
	cr_assert_eq(sl_uring_write(&r, fd, " world", 6, -1), 6);
	sl_uring_close(&r, fd);
	snprintf(b, sizeof(b), "%s/sub", d);
	cr_assert_eq(sl_uring_mkdirat(&r, AT_FDCWD, b, 0755), 0);

	dfd = open(d, O_RDONLY | O_DIRECTORY);
	sl_uring_statx_many(&r, dfd, names, 3, 0, STATX_SIZE | STATX_TYPE, st,
			    res);
	close(dfd);
	cr_assert_eq(res[0], 0);
	cr_assert_eq(st[0].stx_size, 11);
	cr_assert(S_ISREG(st[0].stx_mode));
	cr_assert_eq(res[1], -ENOENT);
	cr_assert_eq(res[2], 0);
	cr_assert(S_ISDIR(st[2].stx_mode));

	snprintf(b, sizeof(b), "%s/sub/y", d);
	cr_assert_eq(sl_uring_renameat(&r, AT_FDCWD, a, AT_FDCWD, b, 0), 0);
	cr_assert_eq(sl_uring_statx(&r, AT_FDCWD, a, 0, STATX_SIZE, st),
		     -ENOENT);
	cr_assert_eq(sl_uring_statx(&r, AT_FDCWD, b, 0, STATX_SIZE, st), 0);
	cr_assert_eq(st[0].stx_size, 11);
	cr_assert_eq(sl_uring_unlinkat(&r, AT_FDCWD, b, 0), 0);
	cr_assert_eq(sl_uring_unlinkat(&r, AT_FDCWD, b, 0), -ENOENT);
	sl_uring_exit(&r);
}

Test(uring, metadata_ops_both_paths)
{
	metadata_case(false);
	metadata_case(true);
}

static void socket_case(bool fallback)
{
	sl_uring r;
	int sv[2];
	char buf[64];
	int64_t t0;

	ring_init(&r, fallback);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Nothing there: 0 timeout answers at once, a timeout waits. */
	cr_assert_eq(sl_uring_recv(&r, sv[0], buf, sizeof(buf), 0), -EAGAIN);
	t0 = sl_now_ns();
	cr_assert_eq(sl_uring_recv(&r, sv[0], buf, sizeof(buf), 50000000),
		     -EAGAIN);
	cr_assert_geq(sl_now_ns() - t0, 40000000);
	cr_assert_eq(sl_uring_send(&r, sv[1], "abc\n", 4), 4);
	cr_assert_eq(sl_uring_recv(&r, sv[0], buf, sizeof(buf), 1000000000), 4);
	cr_assert_eq(memcmp(buf, "abc\n", 4), 0);
	cr_assert_eq(sl_uring_send(&r, sv[1], "x", 1), 1);
	cr_assert_eq(sl_uring_recv(&r, sv[0], buf, sizeof(buf), -1), 1);
	close(sv[1]);
	cr_assert_eq(sl_uring_recv(&r, sv[0], buf, sizeof(buf), -1), 0);
	close(sv[0]);
	sl_uring_exit(&r);
}

Test(uring, socket_recv_timeout_and_close)
{
	socket_case(false);
	socket_case(true);
}

static void connect_case(bool fallback)
{
	sl_uring r;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int ls, fd, c;

	ring_init(&r, fallback);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(ls, 4), 0);
	cr_assert_eq(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(sl_uring_connect(&r, fd, (struct sockaddr *)&sa,
				      sizeof(sa), 1000000000),
		     0);
	c = accept(ls, NULL, NULL);
	cr_assert_geq(c, 0);
	cr_assert_eq(sl_uring_send(&r, c, "hi", 2), 2);
	close(c);
	close(fd);
	close(ls);
	/* Nobody listens on the port any more. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(sl_uring_connect(&r, fd, (struct sockaddr *)&sa,
				      sizeof(sa), 1000000000),
		     -ECONNREFUSED);
	close(fd);
	sl_uring_exit(&r);
}

Test(uring, connect_ok_and_refused)
{
	connect_case(false);
	connect_case(true);
}

/* Writes the eventfd after a pause, from another thread: the wait must
 * be asleep when the wake-up comes, not find it already there. */
static void *poke_later(void *arg)
{
	uint64_t one = 1;

	usleep(30000);
	cr_assert_eq(write(*(int *)arg, &one, sizeof(one)), sizeof(one));
	return NULL;
}

static void poll_fd_case(bool fallback)
{
	sl_uring r;
	pthread_t t;
	uint64_t v;
	int64_t t0, dt;
	int efd, rc;

	ring_init(&r, fallback);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(efd, 0);
	/* Nothing there: 0 only looks, a timeout waits it out. */
	cr_assert_eq(sl_uring_poll_fd(&r, efd, POLLIN, 0), 0);
	t0 = sl_now_ns();
	cr_assert_eq(sl_uring_poll_fd(&r, efd, POLLIN, 50000000), 0);
	cr_assert_geq(sl_now_ns() - t0, 40000000);
	/* Another thread's write wakes a long wait well before its end. */
	cr_assert_eq(pthread_create(&t, NULL, poke_later, &efd), 0);
	t0 = sl_now_ns();
	rc = sl_uring_poll_fd(&r, efd, POLLIN, 5000000000);
	dt = sl_now_ns() - t0;
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert(rc > 0 && (rc & POLLIN), "rc=%d", rc);
	cr_assert_lt(dt, 2000000000, "woke after %lld ns", (long long)dt);
	/* Already readable: answers at once, with or without a timeout. */
	cr_assert(sl_uring_poll_fd(&r, efd, POLLIN, 0) & POLLIN);
	cr_assert(sl_uring_poll_fd(&r, efd, POLLIN, -1) & POLLIN);
	cr_assert_eq(read(efd, &v, sizeof(v)), sizeof(v));
	cr_assert_eq(v, 1);
	/* Drained: waits again. */
	cr_assert_eq(sl_uring_poll_fd(&r, efd, POLLIN, 10000000), 0);
	/* The waits went through the ring (only looking is a poll(2)). */
	if (!fallback)
		cr_assert_eq(r.nops, 4, "nops=%llu",
			     (unsigned long long)r.nops);
	close(efd);
	sl_uring_exit(&r);
}

Test(uring, poll_fd_wakes_and_times_out)
{
	poll_fd_case(false);
	poll_fd_case(true);
}

static void *thread_ring(void *arg)
{
	sl_uring *r = sl_uring_get();

	cr_assert_eq(sl_uring_get(), r);
	*(sl_uring **)arg = r;
	return NULL;
}

Test(uring, one_ring_per_thread)
{
	sl_uring *mine = sl_uring_get(), *other = NULL;
	pthread_t th;

	cr_assert_eq(sl_uring_get(), mine);
	cr_assert(sl_uring_active(mine));
	pthread_create(&th, NULL, thread_ring, &other);
	pthread_join(th, NULL);
	cr_assert_not_null(other);
	cr_assert_neq(other, mine);
}

static void redirect(void)
{
	setup();
	cr_redirect_stderr();
}

Test(uring_warn, fallback_warns_once, .init = redirect, .fini = teardown)
{
	sl_uring a, b;
	char out[1024] = { 0 };
	FILE *f;
	size_t n;

	/* the warning goes to the thread's logger (core/log.h): here the
	 * one the `sluice` command installs, which prints to stderr */
	static const sl_logger to_stderr = { sl_log_stderr, NULL };
	const sl_logger *prev = sl_log_bind(&to_stderr);
	setenv("SLUICE_NO_URING", "1", 1);
	sl_uring_init(&a, 8);
	sl_uring_init(&b, 8);
	unsetenv("SLUICE_NO_URING");
	sl_log_bind(prev);
	cr_assert(!sl_uring_active(&a));
	cr_assert(!sl_uring_active(&b));
	fflush(stderr);
	f = cr_get_redirected_stderr();
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	cr_assert_not_null(strstr(out, "SLUICE_NO_URING"), "%s", out);
	cr_assert_null(strstr(strstr(out, "warning") + 1, "warning"),
		       "warned twice: %s", out);
}

/* After fork the child makes its own ring: the parent's queues are shared
 * mappings, and a child submitting into them would take the parent's
 * completions. Both then do I/O through their own rings. */
Test(uring, forked_child_gets_its_own_ring)
{
	sl_uring *parent = sl_uring_get();
	char path[] = "/tmp/sluice-uring-fork-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sl_uring *child = sl_uring_get();
		char buf[8] = { 0 };
		int ok = child != parent &&
			 sl_uring_write(child, fd, "child", 5, 0) == 5 &&
			 sl_uring_pread(child, fd, buf, 5, 0) == 5 &&
			 !memcmp(buf, "child", 5);
		_exit(ok ? 0 : 1);
	}
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed");
	char buf[8] = { 0 };
	cr_assert_eq(sl_uring_write(parent, fd, "parent", 6, 8), 6);
	cr_assert_eq(sl_uring_pread(parent, fd, buf, 6, 8), 6);
	cr_assert_eq(memcmp(buf, "parent", 6), 0);
	close(fd);
	unlink(path);
}

/* A ring that fails under its thread (here its fd is closed, so
 * io_uring_enter says EBADF) fails the operation with an error instead of
 * ending the process, and the thread goes on with plain system calls. */
Test(uring_warn, a_failed_ring_is_an_error_then_system_calls,
     .init = redirect, .fini = teardown)
{
	sl_uring r;
	char path[128], back[4] = { 0 };

	ring_init(&r, false);
	snprintf(path, sizeof(path), "%s/dead.bin", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	close(r.ring.ring_fd);
	cr_assert_eq(sl_uring_write(&r, fd, "abc", 3, 0), -EBADF);
	cr_assert(!sl_uring_active(&r));
	cr_assert_eq(sl_uring_write(&r, fd, "xyz", 3, 0), 3);
	cr_assert_eq(sl_uring_pread(&r, fd, back, 3, 0), 3);
	cr_assert_str_eq(back, "xyz");
	cr_assert_gt(r.nsys, 0);
	close(fd);
	sl_uring_exit(&r);
}
