/* tests/unit/core_checkpoint.c - the checkpoint store (core/checkpoint.c,
 * core/ckpt_log.c, core/ckpt_file.c).
 *
 * Each test works in its own mkdtemp directory: layout and metadata, the
 * fingerprint check and its message, the offsets/commits log and recovery
 * (in-flight epochs, torn and corrupt files skipped by name), unreadable
 * checkpoints as clear errors, purge, crash debris, source blobs, and a
 * crash test that SIGKILLs a writer at random moments and recovers. */
#include "core/checkpoint.h"
#include "sluice.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char PLAN[] = "source = rate\n"
			   "source option rowsPerSecond = 100\n"
			   "where = value % 2 = 0\n"
			   "sink = kafka\n"
			   "sink option topic = a\n";

/* ---- helpers ------------------------------------------------------------- */

static char dir[64];

static void mk_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sl_ckpt_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void rm_dir(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(ckpt, .init = mk_dir, .fini = rm_dir, .timeout = 60);

/* The checkpoint inside the temp dir (the temp dir itself exists). */
static char *cp(const char *sub)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 256, "%s/cp%s%s", dir, sub ? "/" : "", sub ? sub : "");
	return b;
}

static sl_ckpt *open_ok(const char *id)
{
	sl_err err = { 0 };
	sl_ckpt *c = NULL;
	int rc = sl_ckpt_open(cp(NULL), id, NULL, PLAN, &c, &err);

	cr_assert_eq(rc, 0, "open: %d %s", rc, err.msg);
	cr_assert_not_null(c);
	return c;
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	cr_assert_not_null(f, "open %s", p);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f, "create %s", p);
	fputs(text, f);
	fclose(f);
}

/* End offset of partition p after epoch e: the log the tests write. */
static int64_t end_of(int64_t e, int p)
{
	return e < 0 ? p : (e + 1) * 100 + p;
}

#define NPART 3

static void write_epoch(sl_ckpt *c, int64_t e, bool commit)
{
	sl_ckpt_part parts[NPART];
	char blob[64];
	sl_ckpt_source src = {
		.name = "0:rate", .nparts = NPART, .parts = parts, .blob = blob
	};
	sl_ckpt_offsets o = { .watermark_us = 1000 * e,
			      .nsources = 1,
			      .sources = &src };
	sl_err err = { 0 };
	int rc;

	for (int p = 0; p < NPART; p++) {
		parts[p].partition = p;
		parts[p].start = end_of(e - 1, p);
		parts[p].end = end_of(e, p);
	}
	snprintf(blob, sizeof(blob), "{\"files\":[\"f%lld\"]}", (long long)e);
	rc = sl_ckpt_write_offsets(c, e, &o, &err);
	cr_assert_eq(rc, 0, "offsets %lld: %s", (long long)e, err.msg);
	if (commit) {
		rc = sl_ckpt_commit(c, e, &err);
		cr_assert_eq(rc, 0, "commit %lld: %s", (long long)e, err.msg);
	}
}

static void check_offsets(const sl_ckpt_offsets *o, int64_t e)
{
	char blob[64];

	cr_assert_eq(o->nsources, 1);
	cr_assert_str_eq(o->sources[0].name, "0:rate");
	cr_assert_eq(o->sources[0].nparts, NPART);
	for (int p = 0; p < NPART; p++) {
		cr_assert_eq(o->sources[0].parts[p].partition, p);
		cr_assert_eq(o->sources[0].parts[p].start, end_of(e - 1, p));
		cr_assert_eq(o->sources[0].parts[p].end, end_of(e, p));
	}
	cr_assert_eq(o->watermark_us, 1000 * e);
	cr_assert_gt(o->timestamp_us, 0);
	snprintf(blob, sizeof(blob), "{\"files\":[\"f%lld\"]}", (long long)e);
	cr_assert_str_eq(o->sources[0].blob, blob);
}

static void recover_ok(sl_ckpt *c, sl_ckpt_recovery *r)
{
	sl_err err = { 0 };
	int rc = sl_ckpt_recover(c, r, &err);

	cr_assert_eq(rc, 0, "recover: %d %s", rc, err.msg);
}

/* ---- layout, metadata, fingerprints -------------------------------------- */

Test(ckpt, new_checkpoint_creates_layout)
{
	sl_ckpt *c = open_ok("id-1");
	char *m;

	cr_assert(sl_ckpt_is_new(c));
	cr_assert_str_eq(sl_ckpt_id(c), "id-1");
	cr_assert_str_eq(sl_ckpt_path(c), cp(NULL));
	cr_assert(is_dir(cp("offsets")));
	cr_assert(is_dir(cp("commits")));
	cr_assert(is_dir(cp("sources")));
	cr_assert(is_dir(cp("state")));
	m = slurp(cp("metadata"));
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
	char p[256];
	sl_ckpt *c = NULL;
	sl_err err = { 0 };

	snprintf(p, sizeof(p), "%s/a/b/c/", dir);
	cr_assert_eq(sl_ckpt_open(p, "x", NULL, PLAN, &c, &err), 0, "%s",
		     err.msg);
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	cr_assert_str_eq(sl_ckpt_path(c), p);
	sl_ckpt_close(c);
}

Test(ckpt, reopen_keeps_id)
{
	sl_ckpt *c = open_ok("first-id");

	sl_ckpt_close(c);
	c = open_ok("second-id");
	cr_assert_not(sl_ckpt_is_new(c));
	cr_assert_str_eq(sl_ckpt_id(c), "first-id");
	sl_ckpt_close(c);
}

static int open_plan(const char *plan, sl_err *err)
{
	sl_ckpt *c = NULL;
	int rc = sl_ckpt_open(cp(NULL), "q", NULL, plan, &c, err);

	sl_ckpt_close(c);
	return rc;
}

Test(ckpt, mismatch_names_the_differing_option)
{
	sl_err err = { 0 };
	char plan[512];
	int rc;

	sl_ckpt_close(open_ok("q"));
	snprintf(plan, sizeof(plan), "%s", PLAN);
	*strrchr(plan, 'a') = 'b'; /* topic = a -> topic = b */
	rc = open_plan(plan, &err);
	cr_assert_eq(rc, SL_EINVAL);
	cr_assert(strstr(err.msg, cp(NULL)), "%s", err.msg);
	cr_assert(strstr(err.msg, "was written by a different query: "
				  "sink option topic was 'a', now 'b'"),
		  "%s", err.msg);
	/* Refused without touching it: the original still opens. */
	sl_ckpt_close(open_ok("q"));
}

Test(ckpt, mismatch_other_shapes)
{
	sl_err err = { 0 };
	char plan[512];

	sl_ckpt_close(open_ok("q"));
	/* A line of another kind: named by number. */
	cr_assert_eq(open_plan("source = kafka\n", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source was 'rate', now 'kafka'"), "%s",
		  err.msg);
	snprintf(plan, sizeof(plan), "%soutput mode = append\n", PLAN);
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

	sl_ckpt_close(open_ok("q"));
	rc = sl_ckpt_open(cp(NULL), "q", "0123456789abcdef", PLAN, &c, &err);
	cr_assert_eq(rc, SL_EINVAL);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, "fingerprint was"), "%s", err.msg);
}

Test(ckpt, fingerprint_helper)
{
	char a[SL_CKPT_FP_HEX], b[SL_CKPT_FP_HEX], d[SL_CKPT_FP_HEX];

	sl_ckpt_fingerprint(PLAN, strlen(PLAN), a);
	sl_ckpt_fingerprint(PLAN, strlen(PLAN), b);
	sl_ckpt_fingerprint(PLAN, strlen(PLAN) - 2, d);
	cr_assert_eq(strlen(a), 16);
	cr_assert_eq(strspn(a, "0123456789abcdef"), 16);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, d);
}

Test(ckpt, second_open_is_refused_while_in_use)
{
	sl_ckpt *c = open_ok("q"), *c2 = NULL;
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c2, &err),
		     SL_ESTATE);
	cr_assert(strstr(err.msg, "in use"), "%s", err.msg);
	sl_ckpt_close(c);
	c = open_ok("q");
	sl_ckpt_close(c);
}

/* ---- the log and recovery ------------------------------------------------ */

Test(ckpt, fresh_recovery_is_empty)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	recover_ok(c, &r);
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
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	sl_ckpt_stats st;

	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	sl_ckpt_get_stats(c, &st);
	cr_assert_eq(st.ncommits, 6);
	cr_assert_eq(st.last_committed, 5);
	cr_assert_geq(st.last_commit_us, 0);
	cr_assert_geq(st.max_commit_us, st.last_commit_us);
	sl_ckpt_close(c);

	c = open_ok("q");
	recover_ok(c, &r);
	cr_assert(r.committed);
	cr_assert_eq(r.epoch, 5);
	cr_assert_eq(r.next_epoch, 6);
	cr_assert_not(r.in_flight);
	cr_assert_str_eq(r.warning, "");
	check_offsets(&r.offsets, 5);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_get_stats(c, &st);
	cr_assert_eq(st.last_committed, 5);
	sl_ckpt_close(c);
}

Test(ckpt, in_flight_epoch_reported)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	write_epoch(c, 6, false);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 5);
	cr_assert_eq(r.next_epoch, 6);
	cr_assert(r.in_flight);
	check_offsets(&r.offsets, 5);
	check_offsets(&r.in_flight_offsets, 6);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	/* The re-run commits 6 and the next recovery starts after it. */
	write_epoch(c, 6, true);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 6);
	cr_assert_not(r.in_flight);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, in_flight_first_epoch)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	write_epoch(c, 0, false);
	recover_ok(c, &r);
	cr_assert_not(r.committed);
	cr_assert_eq(r.next_epoch, 0);
	cr_assert(r.in_flight);
	check_offsets(&r.in_flight_offsets, 0);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, torn_commit_falls_back)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	struct stat st;

	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	sl_ckpt_close(c);
	cr_assert_eq(stat(cp("commits/5"), &st), 0);
	cr_assert_eq(truncate(cp("commits/5"), st.st_size / 2), 0);

	c = open_ok("q");
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 4);
	cr_assert_eq(r.next_epoch, 5);
	check_offsets(&r.offsets, 4);
	/* offsets/5 is intact: epoch 5 is re-run with the same ends. */
	cr_assert(r.in_flight);
	check_offsets(&r.in_flight_offsets, 5);
	cr_assert(strstr(r.warning, cp("commits/5")), "%s", r.warning);
	cr_assert(strstr(r.warning, "torn"), "%s", r.warning);
	cr_assert(strstr(r.warning, "resuming after epoch 4"), "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	/* Committing 5 again repairs it. */
	cr_assert_eq(sl_ckpt_commit(c, 5, NULL), 0);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 5);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

static void flip_byte(const char *p, double where)
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

Test(ckpt, corrupt_offsets_falls_back)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	flip_byte(cp("offsets/5"), 0.5);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 4);
	check_offsets(&r.offsets, 4);
	cr_assert_not(r.in_flight);
	cr_assert(strstr(r.warning, cp("offsets/5")), "%s", r.warning);
	cr_assert(strstr(r.warning, "corrupt"), "%s", r.warning);
	/* Named once, not again as an in-flight candidate. */
	cr_assert_null(strstr(strstr(r.warning, "offsets/5") + 1, "offsets/5"),
		       "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, missing_offsets_falls_back)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	cr_assert_eq(unlink(cp("offsets/5")), 0);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 4);
	check_offsets(&r.offsets, 4);
	cr_assert(strstr(r.warning, cp("offsets/5 is missing")), "%s",
		  r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, valid_checksum_wrong_shape_skipped)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	int fd;

	for (int e = 0; e <= 2; e++)
		write_epoch(c, e, true);
	/* A well-formed file that says it is epoch 1, named 2. */
	fd = open(cp("commits"), O_RDONLY | O_DIRECTORY);
	cr_assert_eq(sl_ckpt_file_write(fd, cp("commits"), "2",
					"{\"version\":1,\"epoch\":1}", 23,
					NULL),
		     0);
	close(fd);
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 1);
	cr_assert(strstr(r.warning, "not a valid commit file for epoch 2"),
		  "%s", r.warning);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, every_commit_damaged_after_purge_is_an_error)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	sl_err err = { 0 };
	char p[64];

	cr_assert_eq(sl_ckpt_set_retain(c, 2, NULL), 0);
	for (int e = 0; e <= 5; e++)
		write_epoch(c, e, true);
	for (int e = 4; e <= 5; e++) {
		snprintf(p, sizeof(p), "commits/%d", e);
		cr_assert_eq(truncate(cp(p), 3), 0);
	}
	cr_assert_eq(sl_ckpt_recover(c, &r, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "no complete epoch"), "%s", err.msg);
	cr_assert(strstr(err.msg, "commits/5"), "%s", err.msg);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, commit_before_offsets_refused)
{
	sl_ckpt *c = open_ok("q");
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_commit(c, 0, &err), SL_ESTATE);
	cr_assert(strstr(err.msg, "offsets/0 was never written"), "%s",
		  err.msg);
	cr_assert_eq(sl_ckpt_commit(c, -1, &err), SL_EINVAL);
	sl_ckpt_close(c);
}

Test(ckpt, committed_offsets_not_rewritten)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_offsets o = { 0 };
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	for (int e = 0; e <= 2; e++)
		write_epoch(c, e, true);
	cr_assert_eq(sl_ckpt_write_offsets(c, 2, &o, &err), SL_ESTATE);
	cr_assert(strstr(err.msg, "epoch 2 is committed"), "%s", err.msg);
	sl_ckpt_close(c);
	/* After a reopen, once recovery has said where the log is. */
	c = open_ok("q");
	recover_ok(c, &r);
	sl_ckpt_recovery_free(&r);
	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_ESTATE);
	cr_assert_eq(sl_ckpt_write_offsets(c, 3, &o, &err), 0, "%s", err.msg);
	sl_ckpt_close(c);
}

Test(ckpt, offsets_blob_must_be_json)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_source src = { .name = "s", .blob = "{not json" };
	sl_ckpt_offsets o = { .nsources = 1, .sources = &src };
	sl_ckpt_source anon = { .name = NULL };
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source 's'"), "%s", err.msg);
	o.sources = &anon;
	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, &err), SL_EINVAL);
	cr_assert_not(exists(cp("offsets/0")));
	sl_ckpt_close(c);
}

/* ---- unreadable checkpoints ---------------------------------------------- */

Test(ckpt, garbage_metadata_is_a_clear_error)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };

	sl_ckpt_close(open_ok("q"));
	spit(cp("metadata"), "hello, I am not a checkpoint\n");
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err),
		     SL_EINVAL);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, cp("metadata")), "%s", err.msg);
	cr_assert(strstr(err.msg, "torn") || strstr(err.msg, "corrupt"), "%s",
		  err.msg);

	/* Valid checksum, wrong content. */
	{
		int fd = open(cp(NULL), O_RDONLY | O_DIRECTORY);
		cr_assert_eq(sl_ckpt_file_write(fd, cp(NULL), "metadata",
						"[1,2]\n", 6, NULL),
			     0);
		close(fd);
	}
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "lacks its version"), "%s", err.msg);
}

Test(ckpt, newer_version_refused)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	const char *m = "{\"id\":\"q\",\"fingerprint\":\"x\",\"version\":7}\n";
	int fd;

	cr_assert_eq(mkdir(cp(NULL), 0755), 0);
	fd = open(cp(NULL), O_RDONLY | O_DIRECTORY);
	cr_assert_eq(sl_ckpt_file_write(fd, cp(NULL), "metadata", m, strlen(m),
					NULL),
		     0);
	close(fd);
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "format version 7"), "%s", err.msg);
}

Test(ckpt, location_is_a_file)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	char p[256];

	spit(cp(NULL), "x");
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err), SL_EIO);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, cp(NULL)), "%s", err.msg);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);

	/* A file in the middle of the path. */
	snprintf(p, sizeof(p), "%s/sub", cp(NULL));
	cr_assert_lt(sl_ckpt_open(p, "q", NULL, PLAN, &c, &err), 0);
	cr_assert(strstr(err.msg, cp(NULL)), "%s", err.msg);
}

Test(ckpt, subdirectory_is_a_file)
{
	sl_ckpt *c = open_ok("q");
	sl_err err = { 0 };

	sl_ckpt_close(c);
	cr_assert_eq(rmdir(cp("commits")), 0);
	spit(cp("commits"), "x");
	c = NULL;
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err), SL_EIO);
	cr_assert(strstr(err.msg, cp("commits")), "%s", err.msg);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);
}

Test(ckpt, unreadable_epoch_file_is_an_error)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	for (int e = 0; e <= 1; e++)
		write_epoch(c, e, true);
	/* A directory where offsets/2 should be: not torn, unreadable. */
	cr_assert_eq(mkdir(cp("offsets/2"), 0755), 0);
	cr_assert_eq(mkdir(cp("commits/2"), 0755), 0);
	cr_assert_eq(sl_ckpt_recover(c, &r, &err), SL_EIO);
	cr_assert(strstr(err.msg, cp("commits/2")), "%s", err.msg);
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, foreign_directory_refused)
{
	sl_ckpt *c = NULL;
	sl_err err = { 0 };
	char p[256];

	cr_assert_eq(mkdir(cp(NULL), 0755), 0);
	snprintf(p, sizeof(p), "%s/notes.txt", cp(NULL));
	spit(p, "mine");
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "notes.txt"), "%s", err.msg);
	cr_assert_not(exists(cp("offsets")));
}

Test(ckpt, history_without_metadata_refused)
{
	sl_ckpt *c = open_ok("q");
	sl_err err = { 0 };

	write_epoch(c, 0, true);
	sl_ckpt_close(c);
	cr_assert_eq(unlink(cp("metadata")), 0);
	c = NULL;
	cr_assert_eq(sl_ckpt_open(cp(NULL), "q", NULL, PLAN, &c, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "no metadata"), "%s", err.msg);
}

Test(ckpt, empty_existing_directory_is_new)
{
	sl_ckpt *c;

	cr_assert_eq(mkdir(cp(NULL), 0755), 0);
	c = open_ok("q");
	cr_assert(sl_ckpt_is_new(c));
	sl_ckpt_close(c);
}

/* ---- purge and crash debris ---------------------------------------------- */

static int count_files(const char *sub, int64_t *lo, int64_t *hi)
{
	DIR *d = opendir(cp(sub));
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
	sl_ckpt *c = open_ok("q");
	int64_t lo, hi;
	sl_err err = { 0 };

	cr_assert_eq(sl_ckpt_set_retain(c, 0, &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_set_retain(c, 3, NULL), 0);
	for (int e = 0; e < 10; e++)
		write_epoch(c, e, true);
	write_epoch(c, 10, false);
	cr_assert_eq(count_files("commits", &lo, &hi), 3);
	cr_assert_eq(lo, 7);
	cr_assert_eq(hi, 9);
	/* The in-flight entry is newer than every commit: kept. */
	cr_assert_eq(count_files("offsets", &lo, &hi), 4);
	cr_assert_eq(lo, 7);
	cr_assert_eq(hi, 10);
	sl_ckpt_close(c);

	/* A reopened checkpoint purges from what it finds. */
	c = open_ok("q");
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
	sl_ckpt *c = open_ok("q");
	int64_t lo, hi;

	for (int e = 0; e < 105; e++)
		write_epoch(c, e, true);
	cr_assert_eq(count_files("commits", &lo, &hi), 100);
	cr_assert_eq(lo, 5);
	cr_assert_eq(count_files("offsets", &lo, &hi), 100);
	sl_ckpt_close(c);
}

Test(ckpt, stray_tmp_files_ignored_and_cleaned)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;
	char p[256];

	for (int e = 0; e <= 2; e++)
		write_epoch(c, e, true);
	cr_assert_eq(sl_ckpt_put_source(c, "0:file", "seen", "[1]", NULL), 0);
	sl_ckpt_close(c);
	/* What a crash mid-write leaves: half-written temporary files. */
	spit(cp("offsets/.3.tmp"), "{\"version\":1,\"epo");
	spit(cp("commits/.3.tmp"), "");
	spit(cp(".metadata.tmp"), "{");
	snprintf(p, sizeof(p), "%s/.seen.tmp", cp("sources/0:file"));
	spit(p, "[1,");

	c = open_ok("q");
	cr_assert_not(exists(cp("offsets/.3.tmp")));
	cr_assert_not(exists(cp("commits/.3.tmp")));
	cr_assert_not(exists(cp(".metadata.tmp")));
	cr_assert_not(exists(p));
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 2);
	cr_assert_not(r.in_flight);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

Test(ckpt, tmp_files_ignored_by_recovery)
{
	sl_ckpt *c = open_ok("q");
	sl_ckpt_recovery r;

	write_epoch(c, 0, true);
	/* Appearing while open (not cleaned yet): still never an epoch. */
	spit(cp("commits/.1.tmp"), "junk");
	spit(cp("offsets/1.tmp"), "junk");
	spit(cp("offsets/01"), "junk");
	recover_ok(c, &r);
	cr_assert_eq(r.epoch, 0);
	cr_assert_str_eq(r.warning, "");
	sl_ckpt_recovery_free(&r);
	sl_ckpt_close(c);
}

/* ---- source blobs -------------------------------------------------------- */

Test(ckpt, source_blobs_round_trip)
{
	sl_ckpt *c = open_ok("q");
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
	c = open_ok("q");
	cr_assert_eq(sl_ckpt_get_source(c, "0:file", "seen", &got, &err), 0);
	cr_assert_str_eq(got, "42\n");
	free(got);
	cr_assert(exists(cp("sources/1:kafka/initial")));

	/* Bad names and bad JSON. */
	cr_assert_eq(sl_ckpt_put_source(c, "../x", "k", "1", &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", ".hidden", "1", &err),
		     SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", "", "1", &err), SL_EINVAL);
	cr_assert_eq(sl_ckpt_put_source(c, "s", "k", "{", &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "not JSON"), "%s", err.msg);

	/* A corrupt blob is reported, not returned. */
	flip_byte(cp("sources/1:kafka/initial"), 0.0);
	cr_assert_eq(sl_ckpt_get_source(c, "1:kafka", "initial", &got, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "sources/1:kafka/initial"), "%s", err.msg);
	cr_assert_null(got);
	sl_ckpt_close(c);
}

/* ---- crash-safe file primitives ------------------------------------------ */

Test(ckpt, file_checksum_detects_each_damage)
{
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
	spit(p, "");
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
	spit(p, "abc\n# xxh64 00000000000000\n");
	cr_assert_eq(sl_ckpt_file_read(fd, dir, "f", &body, &len, &err),
		     SL_EINVAL);
	cr_assert(strstr(err.msg, "torn"), "%s", err.msg);
	spit(p, "abc\n# xxh64 0000000000000000\n");
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

	if (sl_ckpt_open(cp(NULL), "crash", NULL, PLAN, &c, NULL) < 0 ||
	    sl_ckpt_set_retain(c, 5, NULL) < 0 ||
	    sl_ckpt_recover(c, &r, NULL) < 0)
		_exit(2);
	e = r.next_epoch;
	sl_ckpt_recovery_free(&r);
	for (;; e++) {
		sl_ckpt_part parts[NPART];
		char blob[64];
		sl_ckpt_source src = { .name = "0:rate",
				       .nparts = NPART,
				       .parts = parts,
				       .blob = blob };
		sl_ckpt_offsets o = { .watermark_us = 1000 * e,
				      .nsources = 1,
				      .sources = &src };

		for (int p = 0; p < NPART; p++) {
			parts[p].partition = p;
			parts[p].start = end_of(e - 1, p);
			parts[p].end = end_of(e, p);
		}
		snprintf(blob, sizeof(blob), "{\"files\":[\"f%lld\"]}",
			 (long long)e);
		if (sl_ckpt_write_offsets(c, e, &o, NULL) < 0)
			_exit(3);
		if (e % 7 == 0 &&
		    sl_ckpt_put_source(c, "0:rate", "last", blob, NULL) < 0)
			_exit(4);
		if (sl_ckpt_commit(c, e, NULL) < 0)
			_exit(5);
	}
}

/* Every file left in commits/ and offsets/ must be whole. */
static void check_all_valid(const char *sub)
{
	DIR *d = opendir(cp(sub));
	struct dirent *de;
	int fd = open(cp(sub), O_RDONLY | O_DIRECTORY);

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		sl_err err = { 0 };
		char *body;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		cr_assert_eq(sl_ckpt_file_read(fd, cp(sub), de->d_name, &body,
					       &len, &err),
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
	sl_ckpt_close(open_ok("crash"));
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

		rc = sl_ckpt_open(cp(NULL), "other", NULL, PLAN, &c, &err);
		cr_assert_eq(rc, 0, "round %d: open: %s", round, err.msg);
		cr_assert_str_eq(sl_ckpt_id(c), "crash");
		rc = sl_ckpt_recover(c, &r, &err);
		cr_assert_eq(rc, 0, "round %d: recover: %s", round, err.msg);
		/* A process crash never tears a file: nothing skipped. */
		cr_assert_str_eq(r.warning, "", "round %d", round);
		cr_assert_geq(r.epoch, last, "round %d went back", round);
		if (r.committed)
			check_offsets(&r.offsets, r.epoch);
		if (r.in_flight) {
			check_offsets(&r.in_flight_offsets, r.next_epoch);
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
