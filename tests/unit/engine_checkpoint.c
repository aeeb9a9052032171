/* tests/unit/engine_checkpoint.c - the checkpoint store (engine/checkpoint.c,
 * engine/ckpt_file.c): what a checkpoint is.
 *
 * Each test works in its own temporary directory: layout and metadata,
 * the fingerprint check and its message, unreadable checkpoints as clear
 * errors, source blobs. The log and its recovery are in
 * engine_checkpoint_recovery.c. */
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

/* ---- layout, metadata, fingerprints -------------------------------------- */

Test(ckpt, new_checkpoint_creates_layout)
{
	sl_ckpt *c = sl_test_ckpt_open("id-1");
	char *m;

	cr_assert(sl_ckpt_is_new(c));
	cr_assert_str_eq(sl_ckpt_id(c), "id-1");
	cr_assert_str_eq(sl_ckpt_path(c), sl_test_ckpt_path(NULL));
	cr_assert(sl_test_path_is_dir(sl_test_ckpt_path("offsets")));
	cr_assert(sl_test_path_is_dir(sl_test_ckpt_path("commits")));
	cr_assert(sl_test_path_is_dir(sl_test_ckpt_path("sources")));
	cr_assert(sl_test_path_is_dir(sl_test_ckpt_path("state")));
	m = sl_test_read_file(sl_test_ckpt_path("metadata"));
	/* Readable JSON, then the checksum line. */
	cr_assert(strstr(m, "\"id\": \"id-1\""), "%s", m);
	cr_assert(strstr(m, "\"version\": 1"), "%s", m);
	cr_assert(strstr(m, "\"sink option topic = a\""), "%s", m);
	cr_assert(strstr(m, "\n# xxh64 "), "%s", m);
	cr_assert_eq(m[strlen(m) - 1], '\n');
	free(m);
	sl_ckpt_close(c);
}

Test(ckpt, trailing_slash_and_parents_created)
{
	const char *dir = sl_test_ckpt_dir();
	char p[256];
	sl_ckpt *c = NULL;
	sl_err err = { 0 };

	snprintf(p, sizeof(p), "%s/a/b/c/", dir);
	cr_assert_eq(sl_ckpt_open(p, "x", NULL, sl_test_ckpt_plan, &c, &err), 0,
		     "%s", err.msg);
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	cr_assert_str_eq(sl_ckpt_path(c), p);
	sl_ckpt_close(c);
}

Test(ckpt, reopen_keeps_id)
{
	sl_ckpt *c = sl_test_ckpt_open("first-id");

	sl_ckpt_close(c);
	c = sl_test_ckpt_open("second-id");
	cr_assert_not(sl_ckpt_is_new(c));
	cr_assert_str_eq(sl_ckpt_id(c), "first-id");
	sl_ckpt_close(c);
}

static int open_plan(const char *plan, sl_err *err)
{
	sl_ckpt *c = NULL;
	int rc =
		sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL, plan, &c, err);

	sl_ckpt_close(c);
	return rc;
}

Test(ckpt, mismatch_names_the_differing_option)
{
	sl_err err = { 0 };
	char plan[512];
	int rc;

	sl_ckpt_close(sl_test_ckpt_open("q"));
	snprintf(plan, sizeof(plan), "%s", sl_test_ckpt_plan);
	*strrchr(plan, 'a') = 'b'; /* topic = a -> topic = b */
	rc = open_plan(plan, &err);
	cr_assert_eq(rc, SL_EINVAL);
	cr_assert(strstr(err.msg, sl_test_ckpt_path(NULL)), "%s", err.msg);
	cr_assert(strstr(err.msg, "was written by a different query: "
				  "sink option topic was 'a', now 'b'"),
		  "%s", err.msg);
	/* Refused without touching it: the original still opens. */
	sl_ckpt_close(sl_test_ckpt_open("q"));
}

Test(ckpt, mismatch_other_shapes)
{
	sl_err err = { 0 };
	char plan[512];

	sl_ckpt_close(sl_test_ckpt_open("q"));
	/* A line of another kind: named by number. */
	cr_assert_eq(open_plan("source = kafka\n", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source was 'rate', now 'kafka'"), "%s",
		  err.msg);
	snprintf(plan, sizeof(plan), "%soutput mode = append\n",
		 sl_test_ckpt_plan);
	cr_assert_eq(open_plan(plan, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "now has 'output mode = append' (line 6)"),
		  "%s", err.msg);
	cr_assert_eq(open_plan("source = rate\n", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "'source option rowsPerSecond = 100' "
				  "(line 2), now absent"),
		  "%s", err.msg);
	cr_assert_eq(open_plan("select *\n", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "plan line 1 was 'source = rate', now "
				  "'select *'"),
		  "%s", err.msg);
}

Test(ckpt, mismatch_fingerprint_same_text)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	int rc;

	sl_ckpt_close(sl_test_ckpt_open("q"));
	rc = sl_ckpt_open(sl_test_ckpt_path(NULL), "q", "0123456789abcdef",
			  sl_test_ckpt_plan, &c, &err);
	cr_assert_eq(rc, SL_EINVAL);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, "fingerprint was"), "%s", err.msg);
}

Test(ckpt, fingerprint_helper)
{
	char a[SL_CKPT_FP_HEX], b[SL_CKPT_FP_HEX], d[SL_CKPT_FP_HEX];

	sl_ckpt_fingerprint(sl_test_ckpt_plan, strlen(sl_test_ckpt_plan), a);
	sl_ckpt_fingerprint(sl_test_ckpt_plan, strlen(sl_test_ckpt_plan), b);
	sl_ckpt_fingerprint(sl_test_ckpt_plan, strlen(sl_test_ckpt_plan) - 2,
			    d);
	cr_assert_eq(strlen(a), 16);
	cr_assert_eq(strspn(a, "0123456789abcdef"), 16);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, d);
}

Test(ckpt, second_open_is_refused_while_in_use)
{
	sl_ckpt *c = sl_test_ckpt_open("q"), *c2 = NULL;
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c2, &err),
		     SL_ESTATE);
	cr_assert(strstr(err.msg, "in use"), "%s", err.msg);
	sl_ckpt_close(c);
	c = sl_test_ckpt_open("q");
	sl_ckpt_close(c);
}

/* ---- unreadable checkpoints ---------------------------------------------- */

Test(ckpt, garbage_metadata_is_a_clear_error)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };

	sl_ckpt_close(sl_test_ckpt_open("q"));
	sl_test_write_file(sl_test_ckpt_path("metadata"),
			   "hello, I am not a checkpoint\n");
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EINVAL);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, sl_test_ckpt_path("metadata")), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "torn") || strstr(err.msg, "corrupt"), "%s",
		  err.msg);

	/* Valid checksum, wrong content. */
	{
		int fd = open(sl_test_ckpt_path(NULL), O_RDONLY | O_DIRECTORY);
		cr_assert_eq(sl_ckpt_file_write(fd, sl_test_ckpt_path(NULL),
						"metadata", "[1,2]\n", 6, NULL),
			     0);
		close(fd);
	}
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "lacks its version"), "%s", err.msg);
}

Test(ckpt, newer_version_refused)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	const char *m = "{\"id\":\"q\",\"fingerprint\":\"x\",\"version\":7}\n";
	int fd;

	cr_assert_eq(mkdir(sl_test_ckpt_path(NULL), 0755), 0);
	fd = open(sl_test_ckpt_path(NULL), O_RDONLY | O_DIRECTORY);
	cr_assert_eq(sl_ckpt_file_write(fd, sl_test_ckpt_path(NULL), "metadata",
					m, strlen(m), NULL),
		     0);
	close(fd);
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "format version 7"), "%s", err.msg);
}

Test(ckpt, location_is_a_file)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	char p[256];

	sl_test_write_file(sl_test_ckpt_path(NULL), "x");
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EIO);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, sl_test_ckpt_path(NULL)), "%s", err.msg);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);

	/* A file in the middle of the path. */
	snprintf(p, sizeof(p), "%s/sub", sl_test_ckpt_path(NULL));
	cr_assert_lt(sl_ckpt_open(p, "q", NULL, sl_test_ckpt_plan, &c, &err),
		     0);
	cr_assert(strstr(err.msg, sl_test_ckpt_path(NULL)), "%s", err.msg);
}

Test(ckpt, subdirectory_is_a_file)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_err err = { 0 };

	sl_ckpt_close(c);
	cr_assert_eq(rmdir(sl_test_ckpt_path("commits")), 0);
	sl_test_write_file(sl_test_ckpt_path("commits"), "x");
	c = NULL;
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EIO);
	cr_assert(strstr(err.msg, sl_test_ckpt_path("commits")), "%s", err.msg);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);
}

Test(ckpt, unreadable_epoch_file_is_an_error)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	for (int e = 0; e <= 1; e++)
		sl_test_ckpt_write_epoch(c, e, true);
	/* A directory where offsets/2 should be: not torn, unreadable. */
	cr_assert_eq(mkdir(sl_test_ckpt_path("offsets/2"), 0755), 0);
	cr_assert_eq(mkdir(sl_test_ckpt_path("commits/2"), 0755), 0);
	cr_assert_eq(sl_ckpt_recover(c, &r, &err), SL_EIO);
	cr_assert(strstr(err.msg, sl_test_ckpt_path("commits/2")), "%s",
		  err.msg);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, foreign_directory_refused)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	char p[256];

	cr_assert_eq(mkdir(sl_test_ckpt_path(NULL), 0755), 0);
	snprintf(p, sizeof(p), "%s/notes.txt", sl_test_ckpt_path(NULL));
	sl_test_write_file(p, "mine");
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "notes.txt"), "%s", err.msg);
	cr_assert_not(sl_test_path_exists(sl_test_ckpt_path("offsets")));
}

Test(ckpt, history_without_metadata_refused)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_err err = { 0 };

	sl_test_ckpt_write_epoch(c, 0, true);
	sl_ckpt_close(c);
	cr_assert_eq(unlink(sl_test_ckpt_path("metadata")), 0);
	c = NULL;
	cr_assert_eq(sl_ckpt_open(sl_test_ckpt_path(NULL), "q", NULL,
				  sl_test_ckpt_plan, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "no metadata"), "%s", err.msg);
}

Test(ckpt, empty_existing_directory_is_new)
{
	sl_ckpt *c;

	cr_assert_eq(mkdir(sl_test_ckpt_path(NULL), 0755), 0);
	c = sl_test_ckpt_open("q");
	cr_assert(sl_ckpt_is_new(c));
	sl_ckpt_close(c);
}

/* ---- source blobs -------------------------------------------------------- */

Test(ckpt, source_blobs_round_trip)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	const char *v1 = "{\"files\": [\"a.json\", \"b.json\"], \"n\": 2}";
	sl_err err = { 0 };
	char *got = NULL;

	cr_assert_eq(sl_ckpt_get_source(c, "0:file", "seen", &got, &err),
		     SL_ENOTFOUND);
	cr_assert_null(got);
	cr_assert_eq(sl_ckpt_put_source(c, "0:file", "seen", v1, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(sl_ckpt_put_source(c, "1:kafka", "initial", "{}", &err),
		     0);
	cr_assert_eq(sl_ckpt_get_source(c, "0:file", "seen", &got, &err), 0,
		     "%s", err.msg);
	cr_assert_str_eq(got, v1);
	free(got);
	cr_assert_eq(sl_ckpt_get_source(c, "0:file", "other", &got, &err),
		     SL_ENOTFOUND);

	/* Overwrite, then read back after a reopen. */
	cr_assert_eq(sl_ckpt_put_source(c, "0:file", "seen", "42\n", &err), 0);
	sl_ckpt_close(c);
	c = sl_test_ckpt_open("q");
	cr_assert_eq(sl_ckpt_get_source(c, "0:file", "seen", &got, &err), 0);
	cr_assert_str_eq(got, "42\n");
	free(got);
	cr_assert(sl_test_path_exists(
		sl_test_ckpt_path("sources/1:kafka/initial")));

	/* Bad names and bad JSON. */
	cr_assert_eq(sl_ckpt_put_source(c, "../x", "k", "1", &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", ".hidden", "1", &err),
		     SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", "", "1", &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", "k", "{", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "not JSON"), "%s", err.msg);

	/* A corrupt blob is reported, not returned. */
	sl_test_flip_byte(sl_test_ckpt_path("sources/1:kafka/initial"), 0.0);
	cr_assert_eq(sl_ckpt_get_source(c, "1:kafka", "initial", &got, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "sources/1:kafka/initial"), "%s", err.msg);
	cr_assert_null(got);
	sl_ckpt_close(c);
}
