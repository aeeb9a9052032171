/* tests/support/ckpt_store.c - the checkpoint store tests' directory,
 * plan and epoch log (tests/support/ckpt_store.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/support/ckpt_store.h"
#include "tests/support/tmpdir.h"

const char sl_test_ckpt_plan[] = "source = rate\n"
				 "source option rowsPerSecond = 100\n"
				 "where = value % 2 = 0\n"
				 "sink = kafka\n"
				 "sink option topic = a\n";

static char *dir;

const char *sl_test_ckpt_dir(void)
{
	return dir;
}

void sl_test_ckpt_dir_make(void)
{
	dir = sl_test_tmpdir("sl_ckpt");
}

/* Errors are not the test's: a test that left the directory unreadable
 * has failed already. */
void sl_test_ckpt_dir_remove(void)
{
	sl_test_rmtree(dir);
	free(dir);
	dir = NULL;
}

char *sl_test_ckpt_path(const char *sub)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 256, "%s/cp%s%s", dir, sub ? "/" : "", sub ? sub : "");
	return b;
}

sl_ckpt *sl_test_ckpt_open(const char *id)
{
	sl_err err = { 0 };
	sl_ckpt *c = NULL;
	int rc = sl_ckpt_open(sl_test_ckpt_path(NULL), id, NULL,
			      sl_test_ckpt_plan, &c, &err);

	cr_assert_eq(rc, 0, "open: %d %s", rc, err.msg);
	cr_assert_not_null(c);
	return c;
}

int64_t sl_test_ckpt_end_of(int64_t e, int p)
{
	return e < 0 ? p : (e + 1) * 100 + p;
}

void sl_test_ckpt_epoch_fill(sl_test_ckpt_epoch *ep, int64_t e)
{
	ep->src = (sl_ckpt_source){ .name = "0:rate",
				    .nparts = SL_TEST_CKPT_NPART,
				    .parts = ep->parts,
				    .blob = ep->blob };
	ep->o = (sl_ckpt_offsets){ .watermark_us = 1000 * e,
				   .nsources = 1,
				   .sources = &ep->src };
	for (int p = 0; p < SL_TEST_CKPT_NPART; p++) {
		ep->parts[p].partition = p;
		ep->parts[p].start = sl_test_ckpt_end_of(e - 1, p);
		ep->parts[p].end = sl_test_ckpt_end_of(e, p);
	}
	snprintf(ep->blob, sizeof(ep->blob), "{\"files\":[\"f%lld\"]}",
		 (long long)e);
}

void sl_test_ckpt_write_epoch(sl_ckpt *c, int64_t e, bool commit)
{
	sl_test_ckpt_epoch ep;
	sl_err err = { 0 };
	int rc;

	sl_test_ckpt_epoch_fill(&ep, e);
	rc = sl_ckpt_write_offsets(c, e, &ep.o, &err);
	cr_assert_eq(rc, 0, "offsets %lld: %s", (long long)e, err.msg);
	if (commit) {
		rc = sl_ckpt_commit(c, e, &err);
		cr_assert_eq(rc, 0, "commit %lld: %s", (long long)e, err.msg);
	}
}

void sl_test_ckpt_check_offsets(const sl_ckpt_offsets *o, int64_t e)
{
	char blob[64];

	cr_assert_eq(o->nsources, 1);
	cr_assert_str_eq(o->sources[0].name, "0:rate");
	cr_assert_eq(o->sources[0].nparts, SL_TEST_CKPT_NPART);
	for (int p = 0; p < SL_TEST_CKPT_NPART; p++) {
		cr_assert_eq(o->sources[0].parts[p].partition, p);
		cr_assert_eq(o->sources[0].parts[p].start,
			     sl_test_ckpt_end_of(e - 1, p));
		cr_assert_eq(o->sources[0].parts[p].end,
			     sl_test_ckpt_end_of(e, p));
	}
	cr_assert_eq(o->watermark_us, 1000 * e);
	cr_assert_gt(o->timestamp_us, 0);
	snprintf(blob, sizeof(blob), "{\"files\":[\"f%lld\"]}", (long long)e);
	cr_assert_str_eq(o->sources[0].blob, blob);
}

void sl_test_ckpt_recover(sl_ckpt *c, sl_ckpt_recovery *r)
{
	sl_err err = { 0 };
	int rc = sl_ckpt_recover(c, r, &err);

	cr_assert_eq(rc, 0, "recover: %d %s", rc, err.msg);
}
