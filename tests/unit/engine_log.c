/* tests/unit/engine_log.c - the library prints nothing in its host's
 * process (core/log.h): what it has to say reaches the session's log
 * callback, from whichever thread says it, and without a callback fd 2
 * stays empty. The message used is a checkpoint warning: a query resumed
 * over a torn commit file says so. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/tmpdir.h"

typedef struct {
	pthread_mutex_t lock;
	int nwarn;
	char last[1024];
} heard;

static void on_log(void *opaque, int level, const char *msg)
{
	heard *h = opaque;
	pthread_mutex_lock(&h->lock);
	if (level == SL_LOG_WARN) {
		h->nwarn++;
		snprintf(h->last, sizeof(h->last), "%s", msg);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Runs a checkpointed micro-batch query (rate-micro-batch into noop)
 * until it has committed a few batches, with cb as the session's log
 * callback (NULL: none). */
static void run_checkpointed(const char *dir, sl_log_cb cb, void *opaque)
{
	sl_session *s = sl_session_new();
	if (cb)
		sl_session_set_log_cb(s, cb, opaque);
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      (const char *[]){ "rowsPerBatch", "10",
							NULL });
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		in, "noop",
		(const char *[]){ "checkpointLocation", dir, "trigger",
				  "processingTime 20 ms", NULL },
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	sl_query_await(q, 300);
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	sl_session_destroy(s);
}

/* Cuts the newest commits/<n> in half, as a power loss can. */
static void tear_last_commit(const char *dir)
{
	long last = -1;
	char p[512];
	for (long n = 0; n < 10000; n++) {
		snprintf(p, sizeof(p), "%s/commits/%ld", dir, n);
		if (access(p, F_OK) == 0)
			last = n;
	}
	cr_assert_geq(last, 0, "no commit file in %s/commits", dir);
	snprintf(p, sizeof(p), "%s/commits/%ld", dir, last);
	struct stat sb;
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(truncate(p, sb.st_size / 2), 0);
}

Test(log, the_callback_hears_a_checkpoint_warning)
{
	char *dir = sl_test_tmpdir("sl_log_cb");
	heard h = { .lock = PTHREAD_MUTEX_INITIALIZER };
	run_checkpointed(dir, on_log, &h);
	cr_assert_eq(h.nwarn, 0, "a fresh checkpoint warned: %s", h.last);
	tear_last_commit(dir);
	run_checkpointed(dir, on_log, &h);
	cr_assert_eq(h.nwarn, 1, "%d warnings, last: %s", h.nwarn, h.last);
	cr_assert(strstr(h.last, "checkpoint "), "%s", h.last);
	cr_assert(strstr(h.last, "torn"), "%s", h.last);
	cr_assert(strstr(h.last, dir), "%s", h.last);
	sl_test_tmpdir_free(dir);
}

Test(log, without_a_callback_nothing_reaches_fd_2)
{
	char *dir = sl_test_tmpdir("sl_log_quiet");
	char capture[512];
	snprintf(capture, sizeof(capture), "%s.stderr", dir);
	run_checkpointed(dir, NULL, NULL);
	tear_last_commit(dir);

	fflush(stderr);
	int saved = dup(2);
	int fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 2), 2);
	close(fd);
	run_checkpointed(dir, NULL, NULL); /* would warn: nobody listens */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	struct stat sb;
	cr_assert_eq(stat(capture, &sb), 0);
	cr_assert_eq(sb.st_size, 0, "the library wrote %lld bytes to fd 2",
		     (long long)sb.st_size);
	unlink(capture);

	/* and the same run with a callback did have something to say */
	tear_last_commit(dir);
	heard h = { .lock = PTHREAD_MUTEX_INITIALIZER };
	run_checkpointed(dir, on_log, &h);
	cr_assert_eq(h.nwarn, 1, "%d warnings", h.nwarn);
	sl_test_tmpdir_free(dir);
}

Test(log, the_stderr_logger_writes_what_the_command_printed)
{
	char path[] = "/tmp/sl_log_stderr_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	cr_assert_eq(dup2(fd, 2), 2);
	sl_log_stderr(NULL, SL_LOG_WARN, "checkpoint /x: torn");
	sl_log_stderr(NULL, SL_LOG_DEBUG, "kafka chatter");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char buf[128] = { 0 };
	cr_assert_gt(pread(fd, buf, sizeof(buf) - 1, 0), 0);
	close(fd);
	unlink(path);
	cr_assert_str_eq(buf, "sluice: checkpoint /x: torn\n");
}
