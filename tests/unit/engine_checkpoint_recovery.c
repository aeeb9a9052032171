/* tests/unit/engine_checkpoint_recovery.c - the checkpoint store's log
 * (engine/ckpt_log.c, engine/ckpt_file.c): what a restart finds.
 *
 * Each test works in its own temporary directory: the offsets/commits
 * log and recovery (in-flight epochs, torn and corrupt files skipped by
 * name), purge, crash debris, the crash-safe file primitives, and a crash
 * test that SIGKILLs a writer at random moments and recovers. Layout,
 * metadata and fingerprints are in engine_checkpoint.c. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "sluice.h"
#include "tests/support/ckpt_store.h"
#include "tests/support/files.h"

TestSuite(ckpt, .init = sl_test_ckpt_dir_make, .fini = sl_test_ckpt_dir_remove,
	  .timeout = 60);

/* ---- the log and recovery ------------------------------------------------ */

Test(ckpt, fresh_recovery_is_empty)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	sl_test_ckpt_recover(c, &r);
	cr_assert_not(r.committed);
	cr_assert_eq(r.epoch, -1);
	cr_assert_eq(r.next_epoch, 0);
	cr_assert_not(r.in_flight);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, recover_latest_committed)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	sl_ckpt_stats st;

	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	sl_ckpt_get_stats(c, &st);
	cr_assert_eq(st.ncommits, 6);
	cr_assert_eq(st.last_committed, 5);
	cr_assert_geq(st.last_commit_us, 0);
	cr_assert_geq(st.max_commit_us, st.last_commit_us);
	sl_ckpt_close(c);

	c = sl_test_ckpt_open("q");
	sl_test_ckpt_recover(c, &r);
	cr_assert(r.committed);
	cr_assert_eq(r.epoch, 5);
	cr_assert_eq(r.next_epoch, 6);
	cr_assert_not(r.in_flight);
	cr_assert_str_eq(r.warning, "");
	sl_test_ckpt_check_offsets(&r.offsets, 5);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_get_stats(c, &st);
	cr_assert_eq(st.last_committed, 5);
	sl_ckpt_close(c);
}

Test(ckpt, in_flight_epoch_reported)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	sl_test_ckpt_write_epoch(c, 6, false);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 5);
	cr_assert_eq(r.next_epoch, 6);
	cr_assert(r.in_flight);
	sl_test_ckpt_check_offsets(&r.offsets, 5);
	sl_test_ckpt_check_offsets(&r.in_flight_offsets, 6);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	/* The re-run commits 6 and the next recovery starts after it. */
	sl_test_ckpt_write_epoch(c, 6, true);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 6);
	cr_assert_not(r.in_flight);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, in_flight_first_epoch)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	sl_test_ckpt_write_epoch(c, 0, false);
	sl_test_ckpt_recover(c, &r);
	cr_assert_not(r.committed);
	cr_assert_eq(r.next_epoch, 0);
	cr_assert(r.in_flight);
	sl_test_ckpt_check_offsets(&r.in_flight_offsets, 0);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, torn_commit_falls_back)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	struct stat st;

	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	sl_ckpt_close(c);
	cr_assert_eq(stat(sl_test_ckpt_path("commits/5"), &st), 0);
	cr_assert_eq(truncate(sl_test_ckpt_path("commits/5"), st.st_size / 2),
		     0);

	c = sl_test_ckpt_open("q");
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 4);
	cr_assert_eq(r.next_epoch, 5);
	sl_test_ckpt_check_offsets(&r.offsets, 4);
	/* offsets/5 is intact: epoch 5 is re-run with the same ends. */
	cr_assert(r.in_flight);
	sl_test_ckpt_check_offsets(&r.in_flight_offsets, 5);
	cr_assert(strstr(r.warning, sl_test_ckpt_path("commits/5")), "%s",
		  r.warning);
	cr_assert(strstr(r.warning, "torn"), "%s", r.warning);
	cr_assert(strstr(r.warning, "resuming after epoch 4"), "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	/* Committing 5 again repairs it. */
	cr_assert_eq(sl_ckpt_commit(c, 5, NULL), 0);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 5);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, corrupt_offsets_falls_back)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	sl_test_flip_byte(sl_test_ckpt_path("offsets/5"), 0.5);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 4);
	sl_test_ckpt_check_offsets(&r.offsets, 4);
	cr_assert_not(r.in_flight);
	cr_assert(strstr(r.warning, sl_test_ckpt_path("offsets/5")), "%s",
		  r.warning);
	cr_assert(strstr(r.warning, "corrupt"), "%s", r.warning);
	/* Named once, not again as an in-flight candidate. */
	cr_assert_null(strstr(strstr(r.warning, "offsets/5") + 1, "offsets/5"),
		       "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, missing_offsets_falls_back)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	cr_assert_eq(unlink(sl_test_ckpt_path("offsets/5")), 0);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 4);
	sl_test_ckpt_check_offsets(&r.offsets, 4);
	cr_assert(strstr(r.warning, sl_test_ckpt_path("offsets/5 is missing")),
		  "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, valid_checksum_wrong_shape_skipped)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	int fd;

	for (int e = 0; e <= 2; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	/* A well-formed file that says it is epoch 1, named 2. */
	fd = open(sl_test_ckpt_path("commits"), O_RDONLY | O_DIRECTORY);
	cr_assert_eq(sl_ckpt_file_write(fd, sl_test_ckpt_path("commits"), "2",
					"{\"version\":1,\"epoch\":1}", 23,
					NULL),
		     0);
	close(fd);
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 1);
	cr_assert(strstr(r.warning, "not a valid commit file for epoch 2"),
		  "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, every_commit_damaged_after_purge_is_an_error)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	sl_err err = { 0 };
	char p[64];

	cr_assert_eq(sl_ckpt_set_retain(c, 2, NULL), 0);
	for (int e = 0; e <= 5; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	for (int e = 4; e <= 5; e++) {
		snprintf(p, sizeof(p), "commits/%d", e);
		cr_assert_eq(truncate(sl_test_ckpt_path(p), 3), 0);
	}
	cr_assert_eq(sl_ckpt_recover(c, &r, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "no complete epoch"), "%s", err.msg);
	cr_assert(strstr(err.msg, "commits/5"), "%s", err.msg);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, commit_before_offsets_refused)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_commit(c, 0, &err), SL_ESTATE);
	cr_assert(strstr(err.msg, "offsets/0 was never written"), "%s",
		  err.msg);
	cr_assert_eq(sl_ckpt_commit(c, -1, &err), SL_EINVAL);
	sl_ckpt_close(c);
}

Test(ckpt, committed_offsets_not_rewritten)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_offsets o = { 0 };
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	for (int e = 0; e <= 2; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	cr_assert_eq(sl_ckpt_write_offsets(c, 2, &o, &err), SL_ESTATE);
	cr_assert(strstr(err.msg, "epoch 2 is committed"), "%s", err.msg);
	sl_ckpt_close(c);
	/* After a reopen, once recovery has said where the log is. */
	c = sl_test_ckpt_open("q");
	sl_test_ckpt_recover(c, &r);
	sl_ckpt_recovery_free(&r);
	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_ESTATE);
	cr_assert_eq(sl_ckpt_write_offsets(c, 3, &o, &err), 0, "%s", err.msg);
	sl_ckpt_close(c);
}

Test(ckpt, offsets_blob_must_be_json)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_source src = { .name = "s", .blob = "{not json" };
	sl_ckpt_offsets o = { .nsources = 1, .sources = &src };
	sl_ckpt_source anon = { .name = NULL };
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source 's'"), "%s", err.msg);
	o.sources = &anon;
	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_EINVAL);
	cr_assert_not(sl_test_path_exists(sl_test_ckpt_path("offsets/0")));
	sl_ckpt_close(c);
}

/* ---- purge and crash debris ---------------------------------------------- */

static int count_files(const char *sub, int64_t *lo, int64_t *hi)
{
	DIR *d = opendir(sl_test_ckpt_path(sub));
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	*lo = INT64_MAX;
	*hi = -1;
	while ((de = readdir(d)) != NULL) {
		int64_t e;

		if (de->d_name[0] == '.')
			continue;
		e = atoll(de->d_name);
		*lo = e < *lo ? e : *lo;
		*hi = e > *hi ? e : *hi;
		n++;
	}
	closedir(d);
	return n;
}

Test(ckpt, purge_keeps_min_batches_to_retain)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	int64_t lo, hi;
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_set_retain(c, 0, &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_set_retain(c, 3, NULL), 0);
	for (int e = 0; e < 10; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	sl_test_ckpt_write_epoch(c, 10, false);
	cr_assert_eq(count_files("commits", &lo, &hi), 3);
	cr_assert_eq(lo, 7);
	cr_assert_eq(hi, 9);
	/* The in-flight entry is newer than every commit: kept. */
	cr_assert_eq(count_files("offsets", &lo, &hi), 4);
	cr_assert_eq(lo, 7);
	cr_assert_eq(hi, 10);
	sl_ckpt_close(c);

	/* A reopened checkpoint purges from what it finds. */
	c = sl_test_ckpt_open("q");
	cr_assert_eq(sl_ckpt_set_retain(c, 3, NULL), 0);
	cr_assert_eq(sl_ckpt_commit(c, 10, NULL), 0);
	cr_assert_eq(count_files("commits", &lo, &hi), 3);
	cr_assert_eq(lo, 8);
	cr_assert_eq(count_files("offsets", &lo, &hi), 3);
	cr_assert_eq(lo, 8);
	sl_ckpt_close(c);
}

Test(ckpt, purge_default_is_100)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	int64_t lo, hi;

	for (int e = 0; e < 105; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	cr_assert_eq(count_files("commits", &lo, &hi), 100);
	cr_assert_eq(lo, 5);
	cr_assert_eq(count_files("offsets", &lo, &hi), 100);
	sl_ckpt_close(c);
}

Test(ckpt, stray_tmp_files_ignored_and_cleaned)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	char p[256];

	for (int e = 0; e <= 2; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	cr_assert_eq(sl_ckpt_put_source(c, "0:file", "seen", "[1]", NULL), 0);
	sl_ckpt_close(c);
	/* What a crash mid-write leaves: half-written temporary files. */
	sl_test_write_file(sl_test_ckpt_path("offsets/.3.tmp"),
			   "{\"version\":1,\"epo");
	sl_test_write_file(sl_test_ckpt_path("commits/.3.tmp"), "");
	sl_test_write_file(sl_test_ckpt_path(".metadata.tmp"), "{");
	snprintf(p, sizeof(p), "%s/.seen.tmp",
		 sl_test_ckpt_path("sources/0:file"));
	sl_test_write_file(p, "[1,");

	c = sl_test_ckpt_open("q");
	cr_assert_not(sl_test_path_exists(sl_test_ckpt_path("offsets/.3.tmp")));
	cr_assert_not(sl_test_path_exists(sl_test_ckpt_path("commits/.3.tmp")));
	cr_assert_not(sl_test_path_exists(sl_test_ckpt_path(".metadata.tmp")));
	cr_assert_not(sl_test_path_exists(p));
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 2);
	cr_assert_not(r.in_flight);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, tmp_files_ignored_by_recovery)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;

	sl_test_ckpt_write_epoch(c, 0, true);
	/* Appearing while open (not cleaned yet): still never an epoch. */
	sl_test_write_file(sl_test_ckpt_path("commits/.1.tmp"), "junk");
	sl_test_write_file(sl_test_ckpt_path("offsets/1.tmp"), "junk");
	sl_test_write_file(sl_test_ckpt_path("offsets/01"), "junk");
	sl_test_ckpt_recover(c, &r);
	cr_assert_eq(r.epoch, 0);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

/* ---- crash-safe file primitives ------------------------------------------ */

Test(ckpt, file_checksum_detects_each_damage)
{
	const char *dir = sl_test_ckpt_dir();
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	char p[256], *body;
	size_t len;
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_file_write(fd, dir, "f", "abc", 3, &err), 0);
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err), 0);
	cr_assert_eq(len, 4);
	cr_assert_str_eq(body, "abc\n"); /* the newline the line needs */
	free(body);

	snprintf(p, sizeof(p), "%s/f", dir);
	sl_test_write_file(p, "");
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
	sl_test_write_file(p, "abc\n# xxh64 00000000000000\n");
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "torn"), "%s", err.msg);
	sl_test_write_file(p, "abc\n# xxh64 0000000000000000\n");
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "corrupt"), "%s", err.msg);
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "nope", &body, &len, &err),
		     SL_ENOTFOUND);
	close(fd);
}

/* ---- crash test ---------------------------------------------------------- */

/* The writer a crash interrupts: resumes from the checkpoint as the engine
 * will (re-running an in-flight epoch with its logged offsets), then logs
 * and commits epochs as fast as it can until it is killed. */
static void crash_child(void)
{
	sl_ckpt_recovery r;
	sl_ckpt *c = NULL;
	int64_t e;

	if (sl_ckpt_open(sl_test_ckpt_path(NULL), "crash", NULL,
			 sl_test_ckpt_plan, &c, NULL) < 0 ||
	    sl_ckpt_set_retain(c, 5, NULL) < 0 ||
	    sl_ckpt_recover(c, &r, NULL) < 0)
		_exit(2);
	e = r.next_epoch;
	sl_ckpt_recovery_free(&r);
	for (;; e++) {
		sl_test_ckpt_epoch ep;

		sl_test_ckpt_epoch_fill(&ep, e);
		if (sl_ckpt_write_offsets(c, e, &ep.o, NULL) < 0)
			_exit(3);
		if (e % 7 == 0 &&
		    sl_ckpt_put_source(c, "0:rate", "last", ep.blob, NULL) < 0)
			_exit(4);
		if (sl_ckpt_commit(c, e, NULL) < 0)
			_exit(5);
	}
}

/* Every file left in commits/ and offsets/ must be whole. */
static void check_all_valid(const char *sub)
{
	DIR *d = opendir(sl_test_ckpt_path(sub));
	struct dirent *de;
	int fd = open(sl_test_ckpt_path(sub), O_RDONLY | O_DIRECTORY);

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		sl_err err = { 0 };
		char *body;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		cr_assert_eq(sl_ckpt_file_read(fd, sl_test_ckpt_path(sub),
					       de->d_name, &body, &len, &err),
			     0, "%s", err.msg);
		free(body);
	}
	closedir(d);
	close(fd);
}

Test(ckpt, survives_sigkill_at_random_moments, .timeout = 120)
{
	int64_t last = -1;
	unsigned seed = (unsigned)time(NULL), in_flight = 0;

	cr_log_info("crash test seed %u", seed);
	/* Created before the first kill, which may come before the writer
	 * has opened anything. */
	sl_ckpt_close(sl_test_ckpt_open("crash"));
	for (int round = 0; round < 20; round++) {
		sl_ckpt_recovery r;
		sl_ckpt *c = NULL;
		sl_err err = { 0 };
		char *blob = NULL;
		int status, rc;
		pid_t pid;

		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0)
			crash_child();
		usleep(2000 + rand_r(&seed) % 40000);
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFSIGNALED(status),
			  "writer failed by itself (exit %d) in round %d",
			  WEXITSTATUS(status), round);

		rc = sl_ckpt_open(sl_test_ckpt_path(NULL), "other", NULL,
				  sl_test_ckpt_plan, &c, &err);
		cr_assert_eq(rc, 0, "round %d: open: %s", round, err.msg);
		cr_assert_str_eq(sl_ckpt_id(c), "crash");
		rc = sl_ckpt_recover(c, &r, &err);
		cr_assert_eq(rc, 0, "round %d: recover: %s", round, err.msg);
		/* A process crash never tears a file: nothing skipped. */
		cr_assert_str_eq(r.warning, "", "round %d", round);
		cr_assert_geq(r.epoch, last, "round %d went back", round);
		if (r.committed)
			sl_test_ckpt_check_offsets(&r.offsets, r.epoch);
		if (r.in_flight) {
			sl_test_ckpt_check_offsets(&r.in_flight_offsets,
						   r.next_epoch);
			in_flight++;
		}
		last = r.epoch;
		sl_ckpt_recovery_free(&r);
		check_all_valid("commits");
		check_all_valid("offsets");
		rc = sl_ckpt_get_source(c, "0:rate", "last", &blob, &err);
		cr_assert(rc == 0 || rc == SL_ENOTFOUND, "%s", err.msg);
		free(blob);
		sl_ckpt_close(c);
	}
	cr_log_info("crash test: last epoch %lld, %u of 20 kills between an "
		    "epoch's offsets and its commit",
		    (long long)last, in_flight);
	cr_assert_gt(last, 0, "the writer never committed");
}
