/* tests/pipeline/fault_file_sink.c - the fault matrix of the file sink
 * with a checkpoint: the checkpoint directory's file system fills up, or
 * turns read-only, in the middle of a run. The query must fail with a
 * message naming the checkpoint and the reason; once the fault is gone, a
 * restart from the same checkpoint goes on, and what the sink committed
 * over both runs (its _spark_metadata log, as a reader sees it) holds
 * every row of the committed batches exactly once. The checkpoint lives on
 * a small tmpfs the test mounts (root only: a test that cannot mount
 * fails, it is never skipped). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/sink_file.h"
#include "sluice.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define ROWS 20 /* per batch */

static char *dir;
static char mnt[512], ck[600], out[600];

static void setup(void)
{
	dir = sl_test_tmpdir("sl_fault");
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(ck, sizeof(ck), "%s/ck", mnt);
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(mkdir(mnt, 0755), 0);
	cr_assert_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=2m"), 0,
		     "cannot mount a tmpfs on %s (%s): the fault tests need "
		     "root",
		     mnt, strerror(errno));
}

static void teardown(void)
{
	umount2(mnt, MNT_DETACH);
	sl_test_tmpdir_free(dir);
}

TestSuite(fault, .init = setup, .fini = teardown, .timeout = 90);

static sl_query *start(sl_session *s)
{
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "20"));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(in, "json",
				     OPTS("path", out, "checkpointLocation", ck,
					  "trigger", "processingTime 20 ms"),
				     NULL);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

/* Batches the sink has committed: its manifest's highest number + 1. */
static int64_t committed_batches(void)
{
	char meta[700];
	int64_t n = -1;

	snprintf(meta, sizeof(meta), "%s/_spark_metadata", out);
	n = sl_test_newest_number(meta);
	return n + 1;
}

static void wait_batches(int64_t n)
{
	for (int i = 0; i < 1000 && committed_batches() < n; i++)
		usleep(10000);
	cr_assert_geq(committed_batches(), n, "no batch %lld", (long long)n);
}

/* The committed output holds each value of [0, batches * ROWS) once. */
static void exactly_once(void)
{
	char **files;
	size_t n;
	sl_err err = { 0 };
	int64_t batches = committed_batches(), want = batches * ROWS;
	unsigned char *seen = calloc((size_t)want + 1, 1);
	int64_t total = 0;

	cr_assert_eq(sl_file_sink_list(out, &files, &n, &err), 0, "%s",
		     err.msg);
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "r");
		char line[256];

		cr_assert_not_null(f, "%s", files[i]);
		while (fgets(line, sizeof(line), f)) {
			const char *v = strstr(line, "\"value\":");
			cr_assert_not_null(v, "%s: %s", files[i], line);
			long long x = atoll(v + 8);
			cr_assert(x >= 0 && x < want, "value %lld outside "
						      "%lld committed rows",
				  x, (long long)want);
			cr_assert_eq(seen[x], 0, "value %lld twice", x);
			seen[x] = 1;
			total++;
		}
		fclose(f);
	}
	cr_assert_eq(total, want, "%lld rows committed, %lld read",
		     (long long)want, (long long)total);
	sl_file_sink_list_free(files, n);
	free(seen);
}

/* The query fails within 10 s with a message naming the checkpoint and
 * holding why. */
static void fails_naming(sl_query *q, const char *why)
{
	cr_assert_eq(sl_query_await(q, 10000), SL_ESTOPPED,
		     "the query did not fail");
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	cr_assert(strstr(e, ck), "'%s' does not name %s", e, ck);
	cr_assert(strstr(e, why), "'%s' does not say '%s'", e, why);
}

/* A restart after the fault: it must run on past where the first run
 * failed. */
static void restart_and_check(int64_t before)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s);

	wait_batches(before + 3);
	cr_assert_eq(sl_query_stop(q), 0, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_session_destroy(s);
	exactly_once();
}

Test(fault, checkpoint_disk_full)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s);
	char fill[700];
	int fd;

	wait_batches(3);
	/* Fill the checkpoint's file system. */
	snprintf(fill, sizeof(fill), "%s/filler", mnt);
	fd = open(fill, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	{
		static char block[4096];
		while (write(fd, block, sizeof(block)) > 0)
			;
	}
	close(fd);
	fails_naming(q, "No space left on device");
	int64_t before = committed_batches();
	sl_session_destroy(s);
	exactly_once();
	cr_assert_eq(unlink(fill), 0);
	restart_and_check(before);
}

Test(fault, checkpoint_read_only)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s);

	wait_batches(3);
	cr_assert_eq(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0,
		     "remount read-only: %s", strerror(errno));
	fails_naming(q, "Read-only file system");
	int64_t before = committed_batches();
	sl_session_destroy(s);
	exactly_once();
	cr_assert_eq(mount(NULL, mnt, NULL, MS_REMOUNT, NULL), 0,
		     "remount read-write: %s", strerror(errno));
	restart_and_check(before);
}
