/* tests/unit/engine_checkpoint_ranges.c - recovery refuses an offsets file
 * whose checksum holds but whose ranges no source can have written: a
 * partition's end before its start (the rows would be read again), or an
 * end of INT64_MAX (the query would wait for it forever). The message
 * names the file, the source and the partition; a valid range next to
 * them recovers as before. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "sluice.h"
#include "tests/support/ckpt_store.h"

TestSuite(ckpt_ranges, .init = sl_test_ckpt_dir_make,
	  .fini = sl_test_ckpt_dir_remove, .timeout = 60);

/* Epoch 0 of one source with partition 0 [start, end), committed, then
 * recovered by a new handle: its return code and r, err. */
static int write_and_recover(int64_t start, int64_t end, sl_ckpt_recovery *r,
			     sl_err *err)
{
	sl_ckpt *c = sl_test_ckpt_open("q");
	sl_ckpt_part parts[2] = { { 0, start, end }, { 1, 0, 5 } };
	sl_ckpt_source src = { "0:rate", 2, parts, NULL };
	sl_ckpt_offsets o = { .nsources = 1, .sources = &src };
	int rc;

	cr_assert_eq(sl_ckpt_write_offsets(c, 0, &o, err), 0, "%s", err->msg);
	cr_assert_eq(sl_ckpt_commit(c, 0, err), 0, "%s", err->msg);
	sl_ckpt_close(c);
	c = sl_test_ckpt_open("q");
	rc = sl_ckpt_recover(c, r, err);
	sl_ckpt_close(c);
	return rc;
}

Test(ckpt_ranges, end_before_start_is_refused)
{
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	cr_assert_eq(write_and_recover(100, 40, &r, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "/offsets/0"), "%s", err.msg);
	cr_assert(strstr(err.msg, "source '0:rate' partition 0 has start 100 "
				  "and end 40 (end before start)"),
		  "%s", err.msg);
	cr_assert(strstr(err.msg, "checkpointLocation"), "%s", err.msg);
	sl_ckpt_recovery_free(&r);
}

Test(ckpt_ranges, end_at_int64_max_is_refused)
{
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	cr_assert_eq(write_and_recover(0, INT64_MAX, &r, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "an end no source reaches"), "%s", err.msg);
	sl_ckpt_recovery_free(&r);
}

Test(ckpt_ranges, empty_and_ordinary_ranges_recover)
{
	sl_ckpt_recovery r;
	sl_err err = { 0 };

	cr_assert_eq(write_and_recover(7, 7, &r, &err), 0, "%s", err.msg);
	cr_assert(r.committed);
	cr_assert_eq(r.offsets.sources[0].parts[0].start, 7);
	cr_assert_eq(r.offsets.sources[0].parts[0].end, 7);
	cr_assert_eq(r.offsets.sources[0].parts[1].end, 5);
	sl_ckpt_recovery_free(&r);
}
