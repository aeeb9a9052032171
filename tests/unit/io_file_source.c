/* tests/unit/io_file_source.c - the file sources' files, driven through
 * their ops (tests/support/file_source.h) on files made in a temporary
 * directory: admission (maxFilesPerTrigger, latestFirst, fileNameOnly,
 * maxFileAge, hidden files, each file once), the checkpoint hooks,
 * cleanSource, option and schema errors, file-name patterns and
 * half-written files. What the records parse into is
 * tests/unit/io_file_records.c. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/plugin.h"
#include "io/source_file.h"
#include "tests/support/file_source.h"
#include "tests/support/tmpdir.h"

static sl_arena arena;
static sl_err err;
static char *dir, *arch;

static void setup(void)
{
	sl_arena_init(&arena);
	memset(&err, 0, sizeof(err));
	dir = sl_test_tmpdir("sl_fsrc");
	arch = sl_test_tmpdir("sl_farc");
}

static void teardown(void)
{
	sl_test_tmpdir_free(dir);
	sl_test_tmpdir_free(arch);
	sl_arena_free(&arena);
}

TestSuite(fsrc, .init = setup, .fini = teardown);

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int make_source(const sl_source_ops *ops, const char *const *kv,
		       sl_source *src)
{
	return sl_test_source_make(ops, kv, src, &arena, &err);
}

#define SRC(ops, src, ...) SL_TEST_SRC(&arena, &err, ops, src, __VA_ARGS__)

/* Files 1.txt .. n.txt holding "1" .. "n", each 10 seconds newer than
 * the one before, 1.txt 50 seconds old. */
static void put_numbered(int n)
{
	for (int i = 1; i <= n; i++) {
		char name[16], text[16];

		snprintf(name, sizeof(name), "%d.txt", i);
		snprintf(text, sizeof(text), "%d", i);
		sl_test_put_file(dir, name, text, 60 - 10 * i);
	}
}

/* ---- admission -------------------------------------------------------- */

/* The text of row 0 of each batch: which file it came from. */
static void expect_files(sl_source *src, sl_source_part *p, int64_t id,
			 const char *want)
{
	sl_batch *b = sl_test_source_batch_ok(src, p, id);
	char got[256] = "";

	for (uint32_t r = 0; r < b->nrows; r++) {
		if (r)
			strcat(got, " ");
		strcat(got, sl_test_cell(b, r, 0));
	}
	cr_assert_str_eq(got, want, "batch %lld", (long long)id);
	sl_batch_free(b);
}

Test(fsrc, mtime_order_each_file_once_hidden_skipped)
{
	sl_source src;
	sl_source_part p;

	sl_test_put_file(dir, "b.txt", "B", 30); /* oldest */
	sl_test_put_file(dir, "a.txt", "A", 20);
	sl_test_put_file(dir, "c.txt", "C", 10);
	sl_test_put_file(dir, ".hidden", "H", 40);
	sl_test_put_file(dir, "_SUCCESS", "S", 40);
	sl_test_put_file(dir, "x._COPYING_", "X", 40);
	SRC(sl_source_lookup("text"), &src, "path", dir);
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "B A C");
	expect_files(&src, &p, 1, "");
	expect_files(&src, &p, 2, "");
	sl_test_put_file(dir, "d.txt", "D", 5);
	expect_files(&src, &p, 3, "D");
	expect_files(&src, &p, 4, "");
	cr_assert_eq(p.offset, 4);
	sl_test_source_done(&src, &p);
}

Test(fsrc, max_files_per_trigger)
{
	sl_source src;
	sl_source_part p;

	put_numbered(5);
	SRC(sl_source_lookup("text"), &src, "path", dir, "maxFilesPerTrigger",
	    "2");
	sl_test_open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, 0), 2);
	/* Planning the same batch again gives the same end. */
	cr_assert_eq(src.ops->latest(&p, 0), 2);
	expect_files(&src, &p, 0, "1 2");
	expect_files(&src, &p, 1, "3 4");
	expect_files(&src, &p, 2, "5");
	expect_files(&src, &p, 3, "");
	sl_test_source_done(&src, &p);
}

/* latest(p, -1): everything available now (availableNow's first call),
 * then read maxFilesPerTrigger at a time. */
Test(fsrc, available_now_all_then_capped)
{
	sl_source src;
	sl_source_part p;

	put_numbered(3);
	SRC(sl_source_lookup("text"), &src, "path", dir, "maxFilesPerTrigger",
	    "2");
	sl_test_open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, -1), 3);
	sl_test_put_file(dir, "4.txt", "4", 20);
	expect_files(&src, &p, 0, "1 2");
	expect_files(&src, &p, 1, "3");
	expect_files(&src, &p, 2, "4");
	sl_test_source_done(&src, &p);
}

Test(fsrc, latest_first)
{
	sl_source src;
	sl_source_part p;

	put_numbered(3);
	SRC(sl_source_lookup("text"), &src, "path", dir, "latestFirst", "true",
	    "maxFilesPerTrigger", "2");
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "3 2");
	sl_test_put_file(dir, "4.txt", "4", 5);
	/* The newest of what is left now: 4 arrived after batch 0. */
	expect_files(&src, &p, 1, "4 1");
	sl_test_source_done(&src, &p);
}

Test(fsrc, max_file_age)
{
	sl_source src;
	sl_source_part p;
	int64_t day = 86400;

	/* The first batch takes every file, however old. */
	sl_test_put_file(dir, "old.txt", "old", 30 * day);
	sl_test_put_file(dir, "new.txt", "new", 0);
	SRC(sl_source_lookup("text"), &src, "path", dir, "maxFileAge",
	    "7 days");
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "old new");
	/* Then files older than the newest admitted minus 7 days are not. */
	sl_test_put_file(dir, "stale.txt", "stale", 8 * day);
	sl_test_put_file(dir, "recent.txt", "recent", 6 * day);
	expect_files(&src, &p, 1, "recent");
	sl_test_source_done(&src, &p);

	/* latestFirst with maxFilesPerTrigger ignores maxFileAge (Spark). */
	SRC(sl_source_lookup("text"), &src, "path", dir, "maxFileAge", "7 days",
	    "latestFirst", "true", "maxFilesPerTrigger", "10");
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "new recent stale old");
	sl_test_put_file(dir, "ancient.txt", "ancient", 100 * day);
	expect_files(&src, &p, 1, "ancient");
	sl_test_source_done(&src, &p);
}

static int64_t list_count;
static void count_entry(void *ud, const sl_file_entry *f)
{
	list_count++;
}

Test(fsrc, file_name_only_and_restore)
{
	sl_source src;
	sl_source_part p;
	/* The times the files really have: remembered entries older than
	 * maxFileAge allows are forgotten, so fake ones would be too. */
	sl_file_entry prev[2] = {
		{ "/elsewhere/a.txt", (1700000000 - 30) * 1000000000LL, 1, 0 },
		{ "/elsewhere/b.txt", (1700000000 - 20) * 1000000000LL, 1, 1 },
	};

	sl_test_put_file(dir, "a.txt", "A", 30);
	sl_test_put_file(dir, "b.txt", "B", 20);
	sl_test_put_file(dir, "c.txt", "C", 10);
	/* By name: a and b were seen before the restart, under another
	 * path. */
	SRC(sl_source_lookup("text"), &src, "path", dir, "fileNameOnly",
	    "true");
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	sl_test_open_part(&src, &p);
	cr_assert_eq(p.offset, 2);
	expect_files(&src, &p, 2, "C");
	expect_files(&src, &p, 3, "");
	list_count = 0;
	cr_assert_eq(sl_file_source_list(&src, count_entry, NULL), 3);
	cr_assert_eq(list_count, 3);
	sl_test_source_done(&src, &p);

	/* By full path the restored names are other files. */
	SRC(sl_source_lookup("text"), &src, "path", dir);
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 2, "A B C");
	sl_test_source_done(&src, &p);
}

Test(fsrc, restore_replays_uncommitted_files)
{
	sl_source src;
	sl_source_part p;
	char a[256], b[256];
	sl_file_entry prev[2];

	sl_test_put_file(dir, "a.txt", "A1\nA2", 30);
	sl_test_put_file(dir, "b.txt", "B", 20);
	sl_test_put_file(dir, "c.txt", "C", 10);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	snprintf(b, sizeof(b), "%s/b.txt", dir);
	prev[0] = (sl_file_entry){ a, 0, 5, 0 };
	prev[1] = (sl_file_entry){ b, 0, 1, 1 };
	SRC(sl_source_lookup("text"), &src, "path", dir);
	cr_assert_eq(sl_file_source_restore(&src, prev, 2, &err), 0);
	sl_test_open_part(&src, &p);
	/* The checkpoint says file 0 was committed, file 1 was planned. */
	p.offset = 1;
	expect_files(&src, &p, 1, "B");
	expect_files(&src, &p, 2, "C");
	sl_test_source_done(&src, &p);
}

/* ---- cleanSource ------------------------------------------------------ */

Test(fsrc, clean_source_delete_after_commit)
{
	sl_source src;
	sl_source_part p;
	char a[256], b[256];

	sl_test_put_file(dir, "a.txt", "A", 20);
	sl_test_put_file(dir, "b.txt", "B", 10);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	snprintf(b, sizeof(b), "%s/b.txt", dir);
	SRC(sl_source_lookup("text"), &src, "path", dir, "cleanSource",
	    "delete", "maxFilesPerTrigger", "1");
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	/* Read but not committed: still there. */
	cr_assert(exists(a));
	/* Planning batch 1 means batch 0 committed. */
	expect_files(&src, &p, 1, "B");
	cr_assert(!exists(a));
	cr_assert(exists(b));
	/* The hook cleans at once. */
	cr_assert_eq(sl_file_source_commit(&src, p.offset), 0);
	cr_assert(!exists(b));
	sl_test_source_done(&src, &p);
}

Test(fsrc, clean_source_archive_keeps_path)
{
	sl_source src;
	sl_source_part p;
	char a[256], real[PATH_MAX], moved[PATH_MAX + 128];
	sl_file_stats st;

	sl_test_put_file(dir, "a.txt", "A", 20);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	cr_assert_not_null(realpath(dir, real));
	SRC(sl_source_lookup("text"), &src, "path", dir, "cleanSource",
	    "archive", "sourceArchiveDir", arch);
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	expect_files(&src, &p, 1, "");
	cr_assert(!exists(a));
	snprintf(moved, sizeof(moved), "%s%s/a.txt", arch, real);
	cr_assert(exists(moved), "%s", moved);
	sl_file_source_stats(&src, &st);
	cr_assert_eq(st.cleaned, 1);
	sl_test_source_done(&src, &p);
}

Test(fsrc, clean_source_off_keeps_files)
{
	sl_source src;
	sl_source_part p;
	char a[256];

	sl_test_put_file(dir, "a.txt", "A", 20);
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	SRC(sl_source_lookup("text"), &src, "path", dir);
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "A");
	expect_files(&src, &p, 1, "");
	cr_assert_eq(sl_file_source_commit(&src, p.offset), 0);
	cr_assert(exists(a));
	sl_test_source_done(&src, &p);
}

Test(fsrc, clean_source_option_errors)
{
	sl_source src;

	cr_assert_eq(
		make_source(sl_source_lookup("text"),
			    (const char *const[]){ "path", dir, "cleanSource",
						   "archive", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "sourceArchiveDir"), "%s", err.msg);
	cr_assert_eq(
		make_source(sl_source_lookup("text"),
			    (const char *const[]){ "path", dir, "cleanSource",
						   "move", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "off, archive, delete"), "%s",
			   err.msg);
	cr_assert_eq(make_source(sl_source_lookup("text"),
				 (const char *const[]){
					 "path", dir, "cleanSource", "archive",
					 "sourceArchiveDir", dir, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "inside"), "%s", err.msg);
}

/* ---- options and schema errors ---------------------------------------- */

Test(fsrc, option_errors)
{
	sl_source src;

	cr_assert_eq(make_source(sl_source_lookup("csv"),
				 (const char *const[]){ "path", dir, NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "'schema' is required"), "%s",
			   err.msg);
	cr_assert_eq(
		make_source(sl_source_lookup("csv"),
			    (const char *const[]){ "path", "/nonexistent/x",
						   "schema", "a INT", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "not a directory"), "%s", err.msg);
	cr_assert_eq(
		make_source(sl_source_lookup("csv"),
			    (const char *const[]){ "path", dir, "schema",
						   "a INT", "sep", ";;", NULL },
			    &src),
		SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "'sep'"), "%s", err.msg);
	cr_assert_eq(make_source(sl_source_lookup("csv"),
				 (const char *const[]){ "path", dir, "schema",
							"a INT", "mode", "lax",
							NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_eq(make_source(sl_source_lookup("csv"),
				 (const char *const[]){ "path", dir, "schema",
							"a ARRAY<INT>", NULL },
				 &src),
		     SL_EOPTION);
	cr_assert_not_null(strstr(err.msg, "does not support"), "%s", err.msg);
	cr_assert_eq(
		make_source(sl_source_lookup("json"),
			    (const char *const[]){ "path", dir, "schema",
						   "a INT, _corrupt_record "
						   "INT",
						   NULL },
			    &src),
		SL_EOPTION);
	/* text has no CSV options */
	cr_assert_eq(make_source(sl_source_lookup("text"),
				 (const char *const[]){ "path", dir, "header",
							"true", NULL },
				 &src),
		     SL_EOPTION);
}

Test(fsrc, glob_pattern)
{
	sl_source src;
	sl_source_part p;
	char pat[128];

	sl_test_put_file(dir, "a.csv", "1", 20);
	sl_test_put_file(dir, "b.txt", "2", 10);
	snprintf(pat, sizeof(pat), "%s/*.csv", dir);
	SRC(sl_source_lookup("text"), &src, "path", pat);
	sl_test_open_part(&src, &p);
	expect_files(&src, &p, 0, "1");
	sl_test_source_done(&src, &p);
}

/* ---- files that are not moved in atomically --------------------------- */

Test(fsrc, half_written_file_is_read_as_it_was_listed)
{
	sl_source src;
	sl_source_part p;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/part.txt", dir);
	f = fopen(path, "w");
	fputs("line 1\nline 2\nline", f); /* the writer is mid-line */
	fflush(f);
	SRC(sl_source_lookup("text"), &src, "path", dir);
	sl_test_open_part(&src, &p);
	cr_assert_eq(src.ops->latest(&p, 0), 1);
	/* More arrives between the scan and the read. */
	fputs(" 3\nline 4\n", f);
	fclose(f);
	/* What the scan saw is read: the cut line is a (short) line, and
	 * the rest of the file is never read, since the file is done. */
	expect_files(&src, &p, 0, "line 1 line 2 line");
	expect_files(&src, &p, 1, "");
	sl_test_source_done(&src, &p);
}
