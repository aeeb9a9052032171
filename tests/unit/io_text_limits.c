/* tests/unit/io_text_limits.c - the text readers' edges a fuzzer found
 * (tests/fuzz/corpus/fuzz_csv/regress-*): a date or timestamp field with
 * many digits, and a timestamp past what microseconds in an int64 hold,
 * are malformed (no value), not an overflow; and a file sink's empty
 * manifest directory lists no files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/csv.h"
#include "io/sink_file.h"
#include "tests/support/tmpdir.h"

static bool ts(const char *s, int64_t *us)
{
	return sl_text_to_ts(s, strlen(s), us);
}

static bool date(const char *s, int32_t *d)
{
	return sl_text_to_date(s, strlen(s), d);
}

Test(text_limits, long_digit_runs_are_refused)
{
	int32_t d;
	int64_t us;

	cr_assert_not(date("77777777777777777777777777777777", &d));
	cr_assert_not(date("2024-0000000000000000000001-01", &d));
	cr_assert_not(ts("77777777777777777777777777777777", &us));
	cr_assert_not(ts("2024-01-01 000000000000000000000012:00", &us));
	/* a long fraction is cut to microseconds, as before */
	cr_assert(ts("2024-01-01 00:00:00.1234567890123456789012", &us));
	cr_assert_eq(us % 1000000, 123456);
}

Test(text_limits, timestamps_past_int64_are_refused)
{
	int64_t us;

	cr_assert_not(ts("626729-01-01", &us));
	cr_assert_not(ts("-626729-01-01", &us));
	cr_assert_not(ts("294248-01-01 00:00:00", &us));
	/* the last whole year that fits */
	cr_assert(ts("294247-01-01 00:00:00", &us));
	cr_assert_gt(us, 9200000000000000000LL);
}

Test(text_limits, empty_manifest_lists_nothing)
{
	char *dir = sl_test_tmpdir("sl_text_limits");
	char meta[512];
	char **files = (char **)1;
	size_t n = 7;
	sl_err err = { 0 };

	snprintf(meta, sizeof(meta), "%s/_spark_metadata", dir);
	cr_assert_eq(mkdir(meta, 0755), 0);
	cr_assert_eq(sl_file_sink_list(dir, &files, &n, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(n, 0);
	sl_file_sink_list_free(files, n);
	sl_test_tmpdir_free(dir);
}
