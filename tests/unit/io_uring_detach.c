/* tests/unit/io_uring_detach.c - a read-ahead reader outliving the thread
 * whose ring it reads through: the partition thread of a file source ends
 * (a FAILFAST record, a stop) with a file open, and the coordinator closes
 * it later. The ring going away must finish and detach the reader, so the
 * later stop touches nothing freed (ASan checks the memory; the asserts
 * check the detach itself, with io_uring and in fallback mode). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/uring.h"
#include "tests/support/tmpdir.h"

static char *dir;

static void setup(void)
{
	dir = sl_test_tmpdir("sl_uring_detach");
}

static void teardown(void)
{
	sl_test_tmpdir_free(dir);
}

TestSuite(uring_detach, .init = setup, .fini = teardown);

struct job {
	int fd;
	size_t size;
	sl_uring_reader rd[2];
	sl_uring *ring;
	ssize_t first;
};

/* Starts two readers on the thread's ring, takes one chunk of the first
 * (so reads are still queued behind it) and ends with both open. */
static void *reader_thread(void *arg)
{
	struct job *j = arg;
	const char *data;

	j->ring = sl_uring_get();
	cr_assert_eq(sl_uring_reader_start(&j->rd[0], j->ring, j->fd, j->size,
					   4096, 4),
		     0);
	cr_assert_eq(sl_uring_reader_start(&j->rd[1], j->ring, j->fd, j->size,
					   4096, 4),
		     0);
	j->first = sl_uring_reader_next(&j->rd[0], &data);
	return NULL;
}

static void run(bool fallback)
{
	char path[512];
	char *buf = malloc(64 * 1024);
	struct job j = { 0 };
	pthread_t t;

	if (fallback)
		setenv("SLUICE_NO_URING", "1", 1);
	snprintf(path, sizeof(path), "%s/data", dir);
	memset(buf, 'x', 64 * 1024);
	j.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(j.fd, 0);
	cr_assert_eq(write(j.fd, buf, 64 * 1024), 64 * 1024);
	j.size = 64 * 1024;
	cr_assert_eq(pthread_create(&t, NULL, reader_thread, &j), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	unsetenv("SLUICE_NO_URING");
	cr_assert_eq(j.first, 4096);
	/* The thread's ring is gone: both readers were detached from it,
	 * nothing of theirs is in flight, and stopping them here (another
	 * thread, as the coordinator) only frees their buffers. */
	for (int i = 0; i < 2; i++) {
		cr_assert_null(j.rd[i].r, "reader %d still bound to a freed "
					  "ring",
			       i);
		cr_assert_eq(j.rd[i].nq, 0);
		sl_uring_reader_stop(&j.rd[i]);
		sl_uring_reader_stop(&j.rd[i]); /* twice is harmless */
	}
	close(j.fd);
	free(buf);
}

Test(uring_detach, reader_stopped_after_its_thread_ended)
{
	run(false);
}

Test(uring_detach, reader_stopped_after_its_thread_ended_fallback)
{
	run(true);
}

/* A reader stopped on its own thread leaves the ring's list, so the ring's
 * exit does not touch it again (its memory may be reused by then). */
Test(uring_detach, stopped_reader_leaves_the_list)
{
	sl_uring r;
	sl_uring_reader a, b;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/small", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	cr_assert_eq(write(fd, "hello\n", 6), 6);
	sl_uring_init(&r, 32);
	cr_assert_eq(sl_uring_reader_start(&a, &r, fd, 6, 0, 2), 0);
	cr_assert_eq(sl_uring_reader_start(&b, &r, fd, 6, 0, 2), 0);
	sl_uring_reader_stop(&a);
	cr_assert_eq(r.readers, &b);
	cr_assert_null(b.prev);
	memset(&a, 0xff, sizeof(a)); /* a's memory reused */
	sl_uring_exit(&r);
	cr_assert_null(r.readers);
	cr_assert_null(b.r);
	sl_uring_reader_stop(&b);
	close(fd);
}
