/* tests/pipeline/fault_foreach_sink.c - the fault matrix of the
 * foreachBatch sink with a checkpoint: the checkpoint directory's file
 * system fills up, or turns read-only, in the middle of a run. The query
 * must fail with a message naming the checkpoint and the reason; once the
 * fault is gone a restart from the same checkpoint goes on, and over both
 * runs:
 * - no batch the checkpoint committed is handed to the callback again;
 * - a batch handed over twice (the one in flight at the fault) comes with
 *   the same id and the same rows, as Spark's foreachBatch promises;
 * - the distinct batches hold every row once: nothing lost, nothing
 *   repeated under another id.
 * The checkpoint lives on a small tmpfs the test mounts (root only: a test
 * that cannot mount fails, it is never skipped). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define ROWS 20	       /* per batch */
#define MAX_BATCHES 4096 /* deliveries over both runs */

static char *dir;
static char mnt[512], ck[600];

/* What the callback saw, over both runs: each delivery's batch id and
 * the sum and count of its values (rows are value 0, 1, 2, ...). */
typedef struct delivery {
	int64_t id;
	int64_t first, count, sum;
	int run;
} delivery;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static delivery seen[MAX_BATCHES];
static int nseen;
static int run_no;

static int on_batch(void *ud, const sl_rows *rows, int64_t id)
{
	delivery d = { .id = id, .first = INT64_MAX, .run = run_no };

	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		int64_t v = sl_rows_long(rows, i, 1);
		d.count++;
		d.sum += v;
		if (v < d.first)
			d.first = v;
	}
	pthread_mutex_lock(&lock);
	if (nseen < MAX_BATCHES)
		seen[nseen++] = d;
	pthread_mutex_unlock(&lock);
	return 0;
}

static void setup(void)
{
	dir = sl_test_tmpdir("sl_fault_fe");
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(ck, sizeof(ck), "%s/ck", mnt);
	cr_assert_eq(mkdir(mnt, 0755), 0);
	cr_assert_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=2m"), 0,
		     "cannot mount a tmpfs on %s (%s): the fault tests need "
		     "root",
		     mnt, strerror(errno));
	nseen = 0;
	run_no = 0;
}

static void teardown(void)
{
	umount2(mnt, MNT_DETACH);
	sl_test_tmpdir_free(dir);
}

TestSuite(fault_foreach, .init = setup, .fini = teardown, .timeout = 90);

static sl_query *start(sl_session *s)
{
	static sl_sink_callbacks cb;

	cb = (sl_sink_callbacks){ .size = sizeof(cb), .batch = on_batch };
	run_no++;
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
					      OPTS("rowsPerBatch", "20"));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(in, "foreachBatch",
				     OPTS("checkpointLocation", ck, "trigger",
					  "processingTime 20 ms"),
				     &cb);
	cr_assert(q, "%s", sl_session_errmsg(s));
	return q;
}

static int deliveries(void)
{
	pthread_mutex_lock(&lock);
	int n = nseen;
	pthread_mutex_unlock(&lock);
	return n;
}

static void wait_deliveries(int n)
{
	for (int i = 0; i < 1000 && deliveries() < n; i++)
		usleep(10000);
	cr_assert_geq(deliveries(), n, "fewer than %d batches", n);
}

/* Batches the checkpoint committed: the highest commits/N + 1. */
static int64_t committed(void)
{
	char c[700];

	snprintf(c, sizeof(c), "%s/commits", ck);
	return sl_test_newest_number(c) + 1;
}

static void fails_naming(sl_query *q, const char *why)
{
	cr_assert_eq(sl_query_await(q, 10000), SL_ESTOPPED,
		     "the query did not fail");
	const char *e = sl_query_exception(q);
	cr_assert_not_null(e);
	cr_assert(strstr(e, ck), "'%s' does not name %s", e, ck);
	cr_assert(strstr(e, why), "'%s' does not say '%s'", e, why);
}

/* The rules of the file's opening comment, over every delivery. */
static void check(int64_t committed_at_fault)
{
	int64_t max_id = -1;

	for (int i = 0; i < nseen; i++)
		if (seen[i].id > max_id)
			max_id = seen[i].id;
	cr_assert_geq(max_id, committed_at_fault,
		      "the restart delivered nothing new");
	delivery *first = calloc((size_t)max_id + 1, sizeof(*first));
	int *times = calloc((size_t)max_id + 1, sizeof(*times));
	for (int i = 0; i < nseen; i++) {
		delivery *d = &seen[i];
		cr_assert_geq(d->id, 0);
		if (times[d->id]++) {
			/* handed over again: only after the restart, only
			 * a batch the checkpoint had not committed, and the
			 * same rows */
			cr_assert_eq(d->run, 2, "batch %lld twice in one run",
				     (long long)d->id);
			cr_assert_geq(d->id, committed_at_fault,
				      "committed batch %lld delivered again",
				      (long long)d->id);
			cr_assert(d->first == first[d->id].first &&
					  d->count == first[d->id].count &&
					  d->sum == first[d->id].sum,
				  "batch %lld came back with other rows",
				  (long long)d->id);
		} else {
			first[d->id] = *d;
		}
	}
	/* Batch ids run from 0 without a gap; batch b holds rows
	 * [b * ROWS, (b + 1) * ROWS) once, whatever the run. */
	for (int64_t b = 0; b <= max_id; b++) {
		cr_assert_geq(times[b], 1, "batch %lld never delivered",
			      (long long)b);
		int64_t lo = b * ROWS, n = first[b].count;
		cr_assert_eq(n, ROWS, "batch %lld has %lld rows",
			     (long long)b, (long long)n);
		cr_assert_eq(first[b].first, lo);
		cr_assert_eq(first[b].sum, n * lo + n * (n - 1) / 2,
			     "batch %lld does not hold rows %lld.. once",
			     (long long)b, (long long)lo);
	}
	free(first);
	free(times);
}

static void restart_and_check(int64_t at_fault)
{
	sl_session *s = sl_session_new();
	int before = deliveries();
	sl_query *q = start(s);

	wait_deliveries(before + 3);
	cr_assert_eq(sl_query_stop(q), 0, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_session_destroy(s);
	check(at_fault);
}

Test(fault_foreach, checkpoint_disk_full)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s);
	char fill[700];
	int fd;

	wait_deliveries(3);
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
	sl_session_destroy(s);
	int64_t at_fault = committed();
	cr_assert_eq(unlink(fill), 0);
	restart_and_check(at_fault);
}

Test(fault_foreach, checkpoint_read_only)
{
	sl_session *s = sl_session_new();
	sl_query *q = start(s);

	wait_deliveries(3);
	cr_assert_eq(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0,
		     "remount read-only: %s", strerror(errno));
	fails_naming(q, "Read-only file system");
	sl_session_destroy(s);
	int64_t at_fault = committed();
	cr_assert_eq(mount(NULL, mnt, NULL, MS_REMOUNT, NULL), 0,
		     "remount read-write: %s", strerror(errno));
	restart_and_check(at_fault);
}
