/* tests/unit/engine_checkpoint_grow.c - sl_ckpt_open_flags with
 * SL_CKPT_PARTS_MAY_GROW (engine/checkpoint.c): a stored plan that
 * differs from the new one only in a grown "source partitions" line is
 * the same query, and the metadata then keeps the new plan; anything else
 * is refused as before. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "sluice.h"
#include "tests/support/ckpt_store.h"

TestSuite(ckpt_grow, .init = sl_test_ckpt_dir_make,
	  .fini = sl_test_ckpt_dir_remove);

static const char plan2[] = "source = kafka\nsource partitions = 2\n"
			    "sink = kafka\nsink option topic = a\n";
static const char plan4[] = "source = kafka\nsource partitions = 4\n"
			    "sink = kafka\nsink option topic = a\n";

/* Opens the checkpoint with plan and flags; returns the code, the message
 * in err. */
static int open_with(const char *plan, unsigned flags, sl_err *err)
{
	sl_ckpt *c = NULL;
	int rc = sl_ckpt_open_flags(sl_test_ckpt_path(NULL), "q", NULL, plan,
				    flags, &c, err);

	sl_ckpt_close(c);
	return rc;
}

Test(ckpt_grow, more_partitions_resume_when_allowed)
{
	sl_err err = { 0 };

	cr_assert_eq(open_with(plan2, 0, &err), 0, "%s", err.msg);
	/* without the flag: refused, naming the count */
	cr_assert_eq(open_with(plan4, 0, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source partitions was '2', now '4'"), "%s",
		  err.msg);
	/* with it: the same query; the metadata keeps the new plan, so a
	 * plain open of it matches from now on */
	cr_assert_eq(open_with(plan4, SL_CKPT_PARTS_MAY_GROW, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(open_with(plan4, 0, &err), 0, "%s", err.msg);
}

Test(ckpt_grow, fewer_partitions_or_another_change_are_refused)
{
	sl_err err = { 0 };
	char other[256];

	cr_assert_eq(open_with(plan4, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(open_with(plan2, SL_CKPT_PARTS_MAY_GROW, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "source partitions"), "%s", err.msg);
	/* more partitions and another topic: a different query */
	snprintf(other, sizeof(other), "%s", plan4);
	memcpy(strstr(other, "= 4"), "= 6", 3);
	*strrchr(other, 'a') = 'b';
	cr_assert_eq(open_with(other, SL_CKPT_PARTS_MAY_GROW, &err), SL_EINVAL);
	cr_assert(strstr(err.msg, "different query"), "%s", err.msg);
}
