/* tests/pipeline/checkpoint_restart.c - checkpoints wired into execution
 * (engine/exec_checkpoint.c with engine/checkpoint.h): queries stopped and
 * started again on the same checkpointLocation resume where they
 * committed.
 *
 * Micro-batch through rate-micro-batch (deterministic: batch N's rows
 * depend only on its offsets) and foreachBatch: batch ids go on, no value
 * is lost or repeated; a batch that failed after its offsets were logged
 * runs again with the same end offsets; a torn latest commit resumes from
 * the epoch before with a warning; another query's checkpoint and an
 * unreadable one are refused at start. Continuous through the rate source:
 * a stop checkpoints the final epoch, so a restart repeats nothing. The
 * file source keeps its admitted files across a restart. Runs under TSan
 * (make SAN=tsan pipeline-test): the checkpoint handoff from the sink
 * thread to the coordinator is part of what it checks. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice.h"
#include "tests/support/collect_values.h"
#include "tests/support/files.h"
#include "tests/support/tmpdir.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* The highest N with a file dir/sub/N, or -1. */
static int64_t newest(const char *dir, const char *sub)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	cr_assert(sl_test_path_is_dir(p), "%s", p);
	return sl_test_newest_number(p);
}

/* ---- micro-batch ------------------------------------------------------- */

typedef struct mb_run {
	const char *ckpt;
	const char *trigger;   /* NULL: default */
	const char *where;     /* NULL: none */
	int64_t run_ms;        /* let it run this long, then stop */
	uint32_t min_batches;  /* and at least until this run has delivered
	                          this many batches (30 s at most): a loaded
	                          machine may run few in run_ms */
	int fail_at;
	/* results */
	char id[40];
	int stop_rc;
	char *progress; /* last progress JSON, malloc'd */
	char *status;   /* status JSON at the end, malloc'd */
	char err[512];  /* start's error, "" if it started */
} mb_run;

/* Waits while q runs until c has seen n batches in all, 30 s at most: a
 * loaded machine may run few batches in a test's fixed run time. */
static void await_batches(sl_query *q, sl_test_values *c, uint32_t n)
{
	for (int waited = 0; waited < 3000; waited++) {
		pthread_mutex_lock(&c->lock);
		uint32_t got = c->nbatches;
		pthread_mutex_unlock(&c->lock);
		if (got >= n || !sl_query_is_active(q))
			return;
		sl_query_await(q, 10);
	}
}

/* rate-micro-batch (10 rows a batch over 2 partitions) -> foreachBatch. */
static void run_mb(mb_run *r, sl_test_values *c)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate-micro-batch",
				      OPTS("rowsPerBatch", "10",
					   "numPartitions", "2"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *f = in;
	if (r->where) {
		f = sl_frame_where(f, r->where);
		cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	}
	f = sl_frame_select(f, OPTS("value"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	c->fail_at = r->fail_at;
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = c, .batch = sl_test_values_batch };
	const char *opts[8] = { "checkpointLocation", r->ckpt, NULL };
	if (r->trigger) {
		opts[2] = "trigger";
		opts[3] = r->trigger;
	}
	sl_query *q = sl_frame_start(f, "foreachBatch", opts, &cb);
	r->err[0] = 0;
	if (!q) {
		snprintf(r->err, sizeof(r->err), "%s", sl_session_errmsg(s));
		sl_session_destroy(s);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", sl_query_id(q));
	pthread_mutex_lock(&c->lock);
	uint32_t first = c->nbatches;
	pthread_mutex_unlock(&c->lock);
	sl_query_await(q, r->run_ms);
	await_batches(q, c, first + r->min_batches);
	r->stop_rc = sl_query_stop(q);
	r->progress = sl_query_last_progress(q);
	r->status = sl_query_status_json(q);
	sl_session_destroy(s);
}

/* Every value 0 .. n-1 exactly once. */
static void assert_exact(sl_test_values *c, const char *what)
{
	int64_t *v = malloc((c->nvals + 1) * sizeof(int64_t));
	memcpy(v, c->vals, c->nvals * sizeof(int64_t));
	qsort(v, c->nvals, sizeof(int64_t), sl_test_cmp_int64);
	for (uint32_t i = 0; i < c->nvals; i++)
		cr_assert_eq(v[i], (int64_t)i,
			     "%s: value %u is %ld (missing or repeated)", what,
			     i, (long)v[i]);
	free(v);
}

/* The batch run again (again_vals, ten values) holds the ten values it
 * held before, in any order; sorts before. */
static void assert_same_batch(int64_t before[10], const int64_t *again_vals)
{
	int64_t again[10];
	memcpy(again, again_vals, sizeof(again));
	qsort(before, 10, sizeof(int64_t), sl_test_cmp_int64);
	qsort(again, 10, sizeof(int64_t), sl_test_cmp_int64);
	cr_assert_arr_eq(before, again, sizeof(again));
}

/* Frees what run_mb kept of a run. */
static void mb_run_free(mb_run *r)
{
	free(r->progress);
	free(r->status);
}

Test(exec_ckpt, microbatch_restart_goes_on_without_loss_or_repeat)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	mb_run r1 = { .ckpt = dir, .run_ms = 250, .min_batches = 3 };
	run_mb(&r1, &c);
	cr_assert_str_empty(r1.err);
	cr_assert_eq(r1.stop_rc, 0);
	uint32_t n1 = c.nbatches;
	cr_assert_gt(n1, 2);
	cr_assert_eq(c.batch_ids[n1 - 1], (int64_t)n1 - 1);

	mb_run r2 = { .ckpt = dir, .run_ms = 250, .min_batches = 3 };
	run_mb(&r2, &c);
	cr_assert_str_empty(r2.err);
	cr_assert_gt(c.nbatches, n1 + 2);
	/* the same query, and batch ids go on */
	cr_assert_str_eq(r1.id, r2.id);
	for (uint32_t i = 0;
	     i < c.nbatches && i < SL_TEST_VALUES_MAX_BATCHES; i++)
		cr_assert_eq(c.batch_ids[i], (int64_t)i, "batch %u has id %ld",
			     i, (long)c.batch_ids[i]);
	cr_assert_eq(c.nvals, 10 * c.nbatches);
	assert_exact(&c, "two runs");

	/* progress tells the checkpoint's state */
	json_t *j = json_loads(r2.progress, 0, NULL);
	cr_assert_not_null(j, "%s", r2.progress);
	json_t *ck = json_object_get(j, "checkpoint");
	cr_assert(json_is_object(ck), "%s", r2.progress);
	cr_assert(json_is_integer(json_object_get(ck, "currentEpoch")));
	cr_assert(json_is_string(json_object_get(ck, "location")));
	json_t *dur = json_object_get(j, "durationMs");
	cr_assert(json_is_integer(json_object_get(dur, "walCommit")));
	json_decref(j);
	mb_run_free(&r1);
	mb_run_free(&r2);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(dir);
}

Test(exec_ckpt, failed_batch_runs_again_with_the_same_offsets)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	/* The third batch (id 2) fails in the sink: offsets/2 is logged,
	 * commits/2 never written. */
	mb_run r1 = { .ckpt = dir, .run_ms = 5000, .fail_at = 3 };
	run_mb(&r1, &c);
	cr_assert_str_empty(r1.err);
	cr_assert_lt(r1.stop_rc, 0, "the query failed");
	cr_assert_eq(c.nbatches, 3);
	cr_assert_eq(c.batch_ids[2], 2);
	int64_t failed[10];
	cr_assert_eq(c.nval[2], 10);
	memcpy(failed, c.vals + c.first_val[2], sizeof(failed));
	cr_assert_eq(newest(dir, "offsets"), 2);
	cr_assert_eq(newest(dir, "commits"), 1);

	sl_test_values c2;
	sl_test_values_init(&c2);
	mb_run r2 = { .ckpt = dir, .run_ms = 200, .min_batches = 2 };
	run_mb(&r2, &c2);
	cr_assert_str_empty(r2.err);
	cr_assert_gt(c2.nbatches, 1);
	/* batch 2 again, with exactly the same rows */
	cr_assert_eq(c2.batch_ids[0], 2);
	cr_assert_eq(c2.nval[0], 10);
	assert_same_batch(failed, c2.vals);
	for (uint32_t i = 1;
	     i < c2.nbatches && i < SL_TEST_VALUES_MAX_BATCHES; i++)
		cr_assert_eq(c2.batch_ids[i], 2 + (int64_t)i);
	/* batches 0-1 of the first run and everything of the second: each
	 * value once */
	c.nvals = c.first_val[2];
	for (uint32_t i = 0; i < c2.nvals; i++)
		sl_test_values_add(&c, c2.vals[i]);
	assert_exact(&c, "first run's commits + second run");
	mb_run_free(&r1);
	mb_run_free(&r2);
	sl_test_values_free(&c);
	sl_test_values_free(&c2);
	sl_test_tmpdir_free(dir);
}

Test(exec_ckpt, checkpoint_of_another_query_is_refused)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	mb_run r1 = { .ckpt = dir, .run_ms = 100, .where = "value > 3" };
	run_mb(&r1, &c);
	cr_assert_str_empty(r1.err);
	mb_run_free(&r1);

	mb_run r2 = { .ckpt = dir, .run_ms = 100, .where = "value > 4" };
	uint32_t before = c.nbatches;
	run_mb(&r2, &c);
	cr_assert_str_not_empty(r2.err, "a different WHERE must be refused");
	cr_assert_not_null(strstr(r2.err, "different query"), "%s", r2.err);
	cr_assert_not_null(strstr(r2.err, "where"), "names what differs: %s",
			   r2.err);
	cr_assert_not_null(strstr(r2.err, dir), "names the checkpoint: %s",
			   r2.err);
	cr_assert_eq(c.nbatches, before, "nothing ran");

	/* the right query still resumes */
	mb_run r3 = { .ckpt = dir, .run_ms = 100, .where = "value > 3" };
	run_mb(&r3, &c);
	cr_assert_str_empty(r3.err, "%s", r3.err);
	mb_run_free(&r3);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(dir);
}

Test(exec_ckpt, torn_latest_commit_resumes_from_the_epoch_before)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	mb_run r1 = { .ckpt = dir, .run_ms = 200, .min_batches = 3 };
	run_mb(&r1, &c);
	cr_assert_str_empty(r1.err);
	mb_run_free(&r1);
	int64_t last = newest(dir, "commits");
	cr_assert_geq(last, 2);
	cr_assert_eq(c.batch_ids[c.nbatches - 1], last);
	int64_t lastvals[10];
	cr_assert_eq(c.nval[c.nbatches - 1], 10);
	memcpy(lastvals, c.vals + c.first_val[c.nbatches - 1],
	       sizeof(lastvals));

	/* tear commits/<last>: cut it in the middle, as a power loss can */
	char p[512];
	snprintf(p, sizeof(p), "%s/commits/%ld", dir, (long)last);
	struct stat sb;
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(truncate(p, sb.st_size / 2), 0);

	sl_test_values c2;
	sl_test_values_init(&c2);
	mb_run r2 = { .ckpt = dir, .run_ms = 200 };
	run_mb(&r2, &c2);
	cr_assert_str_empty(r2.err, "%s", r2.err);
	/* batch <last> runs again, the same rows */
	cr_assert_eq(c2.batch_ids[0], last);
	assert_same_batch(lastvals, c2.vals);
	/* and the query says why */
	json_t *j = json_loads(r2.progress, 0, NULL);
	cr_assert_not_null(j);
	const char *w = json_string_value(
		json_object_get(json_object_get(j, "checkpoint"), "warning"));
	cr_assert_not_null(w, "%s", r2.progress);
	char name[64];
	snprintf(name, sizeof(name), "commits/%ld", (long)last);
	cr_assert_not_null(strstr(w, name), "warning names the file: %s", w);
	json_decref(j);
	/* the status says it too */
	cr_assert_not_null(strstr(r2.status, "checkpointWarning"), "%s",
			   r2.status);
	cr_assert_not_null(strstr(r2.status, name), "%s", r2.status);
	mb_run_free(&r2);
	sl_test_values_free(&c);
	sl_test_values_free(&c2);
	sl_test_tmpdir_free(dir);
}

Test(exec_ckpt, unreadable_checkpoint_is_a_clear_error)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	mb_run r1 = { .ckpt = dir, .run_ms = 100 };
	run_mb(&r1, &c);
	cr_assert_str_empty(r1.err);
	mb_run_free(&r1);
	int64_t last = newest(dir, "commits");
	cr_assert_geq(last, 0);

	/* a directory where the newest commit file should be: cannot be
	 * read (permissions would do too, but tests may run as root) */
	char p[512];
	snprintf(p, sizeof(p), "%s/commits/%ld", dir, (long)last);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	uint32_t before = c.nbatches;
	mb_run r2 = { .ckpt = dir, .run_ms = 100 };
	run_mb(&r2, &c);
	cr_assert_str_not_empty(r2.err, "an unreadable checkpoint must fail");
	cr_assert_not_null(strstr(r2.err, p), "names the file: %s", r2.err);
	cr_assert_eq(c.nbatches, before);
	cr_assert_eq(rmdir(p), 0);

	/* offsets/ is a file: not a checkpoint we can use */
	snprintf(p, sizeof(p), "%s/offsets", dir);
	cr_assert_eq(sl_test_rmtree(p), 0);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	mb_run r3 = { .ckpt = dir, .run_ms = 100 };
	run_mb(&r3, &c);
	cr_assert_str_not_empty(r3.err);
	cr_assert_not_null(strstr(r3.err, "offsets"), "%s", r3.err);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(dir);
}

/* ---- continuous -------------------------------------------------------- */

/* rate (2 partitions) -> foreach, continuous every 30 ms, for run_ms. */
static void run_cont(const char *ckpt, int64_t run_ms, sl_test_values *c,
		     char **progress)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "5000",
						      "numPartitions", "2"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *f = sl_frame_select(in, OPTS("value"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = c, .open = sl_test_values_open,
				 .process = sl_test_values_process };
	sl_query *q = sl_frame_start(f, "foreach",
				     OPTS("trigger", "continuous 30 ms",
					  "checkpointLocation", ckpt),
				     &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	sl_query_await(q, run_ms);
	cr_assert_eq(sl_query_stop(q), 0);
	if (progress)
		*progress = sl_query_last_progress(q);
	sl_session_destroy(s);
}

Test(exec_ckpt, continuous_stop_and_restart_repeats_nothing)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	char *prog1 = NULL;
	run_cont(dir, 300, &c, &prog1);
	uint32_t n1 = c.nvals;
	cr_assert_gt(n1, 100);
	json_t *j1 = json_loads(prog1, 0, NULL);
	cr_assert_not_null(j1, "%s", prog1);
	int64_t last_epoch = json_integer_value(json_object_get(j1, "batchId"));
	json_decref(j1);
	free(prog1);
	/* the stop checkpointed the final epoch */
	cr_assert_eq(newest(dir, "commits"), last_epoch);

	char *prog = NULL;
	run_cont(dir, 300, &c, &prog);
	cr_assert_gt(c.nvals, n1 + 100);
	/* Each partition's values go on exactly where they stopped: no
	 * value twice, none skipped (partition p has p, p + 2, ...). */
	int64_t *v = malloc(c.nvals * sizeof(int64_t));
	memcpy(v, c.vals, c.nvals * sizeof(int64_t));
	qsort(v, c.nvals, sizeof(int64_t), sl_test_cmp_int64);
	int64_t next[2] = { 0, 1 };
	for (uint32_t i = 0; i < c.nvals; i++) {
		int p = (int)(v[i] % 2);
		cr_assert_eq(v[i], next[p], "partition %d: got %ld, want %ld",
			     p, (long)v[i], (long)next[p]);
		next[p] += 2;
	}
	free(v);
	/* progress: committed epoch and offsets per partition */
	json_t *j = json_loads(prog, 0, NULL);
	cr_assert_not_null(j, "%s", prog);
	/* epochs go on after the last one of the first run */
	cr_assert_gt(json_integer_value(json_object_get(j, "batchId")),
		     last_epoch + 3);
	cr_assert_eq(newest(dir, "commits"),
		     json_integer_value(json_object_get(j, "batchId")));
	json_t *ck = json_object_get(j, "checkpoint");
	cr_assert(json_is_integer(json_object_get(ck, "lastCommittedEpoch")),
		  "%s", prog);
	json_t *offs = json_object_get(ck, "committedOffsets");
	cr_assert(json_is_integer(json_object_get(offs, "0")), "%s", prog);
	cr_assert(json_is_integer(json_object_get(offs, "1")), "%s", prog);
	cr_assert(json_is_number(json_object_get(ck, "lastCommitMs")), "%s",
		  prog);
	json_decref(j);
	free(prog);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(dir);
}

/* ---- the file source keeps its files ----------------------------------- */

static uint32_t run_text_once(const char *in_dir, const char *ckpt,
			      sl_test_values *c)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "text", OPTS("path", in_dir));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *f = sl_frame_select(in, OPTS("CAST(value AS BIGINT) AS v"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = c, .batch = sl_test_values_batch };
	uint32_t before = c->nvals;
	sl_query *q = sl_frame_start(f, "foreachBatch",
				     OPTS("trigger", "once",
					  "checkpointLocation", ckpt),
				     &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	return c->nvals - before;
}

Test(exec_ckpt, file_source_remembers_its_files)
{
	char *in = sl_test_tmpdir("sl_exec_ckpt");
	char *ck = sl_test_tmpdir("sl_exec_ckpt");
	/* a fresh checkpoint location */
	cr_assert_eq(sl_test_rmtree(ck), 0);
	sl_test_write_file_in(in, "a.txt", "1\n2\n");
	sl_test_write_file_in(in, "b.txt", "3\n");
	sl_test_values c;
	sl_test_values_init(&c);
	cr_assert_eq(run_text_once(in, ck, &c), 3);
	/* nothing new: nothing read again */
	cr_assert_eq(run_text_once(in, ck, &c), 0);
	sl_test_write_file_in(in, "c.txt", "4\n5\n");
	cr_assert_eq(run_text_once(in, ck, &c), 2, "only the new file");
	qsort(c.vals, c.nvals, sizeof(int64_t), sl_test_cmp_int64);
	for (uint32_t i = 0; i < c.nvals; i++)
		cr_assert_eq(c.vals[i], (int64_t)i + 1);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(in);
	sl_test_tmpdir_free(ck);
}

/* How many files dir/sub holds whose names are epochs (digits only). */
static int count_epochs(const char *dir, const char *sub)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	DIR *d = opendir(p);
	cr_assert_not_null(d, "%s", p);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *c = e->d_name;
		while (*c >= '0' && *c <= '9')
			c++;
		n += c != e->d_name && !*c;
	}
	closedir(d);
	return n;
}

Test(exec_ckpt, min_batches_to_retain_keeps_that_many)
{
	char *dir = sl_test_tmpdir("sl_exec_ckpt");
	sl_test_values c;
	sl_test_values_init(&c);
	sl_session *s = sl_session_new();
	sl_frame *f = sl_session_read_stream(s, "rate-micro-batch",
				     OPTS("rowsPerBatch", "10"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	f = sl_frame_select(f, OPTS("value"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	sl_sink_callbacks cb = { .size = sizeof(cb), .ud = &c, .batch = sl_test_values_batch };
	sl_query *q = sl_frame_start(f, "foreachBatch",
				     OPTS("checkpointLocation", dir,
					  "minBatchesToRetain", "3"),
				     &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	sl_query_await(q, 250);
	await_batches(q, &c, 4);
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_query_exception(q));
	sl_session_destroy(s);
	cr_assert_gt(c.nbatches, 3);
	int64_t last = newest(dir, "commits");
	cr_assert_eq(last, (int64_t)c.nbatches - 1);
	cr_assert_eq(newest(dir, "offsets"), last);
	cr_assert_eq(count_epochs(dir, "offsets"), 3);
	cr_assert_eq(count_epochs(dir, "commits"), 3);

	/* below 1 is refused at start, naming the option */
	s = sl_session_new();
	f = sl_session_read_stream(s, "rate-micro-batch", OPTS("rowsPerBatch", "10"));
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	q = sl_frame_start(f, "foreachBatch",
			   OPTS("checkpointLocation", dir,
				"minBatchesToRetain", "0"),
			   &cb);
	cr_assert_null(q);
	cr_assert(strstr(sl_session_errmsg(s), "minBatchesToRetain"), "%s",
		  sl_session_errmsg(s));
	sl_session_destroy(s);
	sl_test_values_free(&c);
	sl_test_tmpdir_free(dir);
}
