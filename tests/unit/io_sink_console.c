/* tests/unit/io_sink_console.c - the console sink (io/sink_console.c)
 * driven as the sink thread drives it: Spark's show() tables (widths,
 * truncation, alignment, nulls, escapes, wide and astral characters),
 * numRows and its footer, batches after batches, continuous epochs, and
 * failed or piped writes. The expected text is Spark's own output for the
 * same rows. The harness is tests/support/sink_harness.h. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/sink_harness.h"

/* ---- console ------------------------------------------------------------ */

#define BANNER(n)                                                              \
	"-------------------------------------------\n"                        \
	"Batch: " #n "\n"                                                      \
	"-------------------------------------------\n"

/* Commits epoch and expects the console to have printed its banner and
 * then table. */
static void commit_and_expect(sl_test_sink *t, int64_t epoch, const char *table)
{
	size_t n = strlen(table) + 160;
	char *want = malloc(n);

	cr_assert_eq(sl_test_sink_commit(t, epoch), 0);
	snprintf(want, n,
		 "-------------------------------------------\n"
		 "Batch: %lld\n"
		 "-------------------------------------------\n"
		 "%s",
		 (long long)epoch, table);
	sl_test_sink_expect_text(t, want);
	free(want);
}

/* A console over the long schema (numRows num_rows, NULL: the default)
 * shows one vector of n longs as table in batch 0. */
static void show_longs(const char *num_rows, const int64_t *v, uint32_t n,
		       const char *table)
{
	sl_test_sink t;
	const char *opts[] = { "numRows", num_rows, NULL };

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema,
			   num_rows ? opts : NULL);
	cr_assert_eq(sl_test_sink_write(&t, sl_test_long_batch(0, v, n)), 0);
	commit_and_expect(&t, 0, table);
	sl_test_sink_close(&t);
}

Test(console, plain_ints)
{
	show_longs(NULL, (int64_t[]){ 0, 20 }, 2,
		   "+-----+\n"
		   "|value|\n"
		   "+-----+\n"
		   "|    0|\n"
		   "|   20|\n"
		   "+-----+\n"
		   "\n");
}

Test(console, narrow_column_is_three_wide)
{
	static sl_field f[] = { { "x", &sl_dtype_long, false } };
	static const sl_schema sc = { 1, f };
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sc, NULL);
	sl_batch *b = sl_batch_new(&sc, 1);
	sl_batch_add_row(b)[0] = sl_v_long(7);
	sl_test_sink_write(&t, b);
	commit_and_expect(&t, 0,
			  "+---+\n"
			  "|  x|\n"
			  "+---+\n"
			  "|  7|\n"
			  "+---+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, long_strings_truncated)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_word_schema, NULL);
	/* 26 characters: cut; exactly 20: kept; 21: cut. */
	sl_test_sink_write(
		&t, sl_test_word_batch(
			    (const char *[]){ "abcdefghijklmnopqrstuvwxyz",
					      "exactly-twenty-chars",
					      "twenty-one-characters", "hi" },
			    4));
	commit_and_expect(&t, 0,
			  "+--------------------+\n"
			  "|                word|\n"
			  "+--------------------+\n"
			  "|abcdefghijklmnopq...|\n"
			  "|exactly-twenty-chars|\n"
			  "|twenty-one-charac...|\n"
			  "|                  hi|\n"
			  "+--------------------+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, truncate_false_left_aligns_and_keeps_all)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_word_schema,
			   (const char *[]){ "truncate", "false", NULL });
	sl_test_sink_write(
		&t,
		sl_test_word_batch(
			(const char *[]){ "abcdefghijklmnopqrstuvwxyz", "hi" },
			2));
	commit_and_expect(&t, 0,
			  "+--------------------------+\n"
			  "|word                      |\n"
			  "+--------------------------+\n"
			  "|abcdefghijklmnopqrstuvwxyz|\n"
			  "|hi                        |\n"
			  "+--------------------------+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, nulls)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_pair_schema, NULL);
	sl_batch *b = sl_batch_new(&sl_test_pair_schema, 2);
	sl_test_pair_add(b, 1, NULL);
	sl_test_pair_add(b, -1, "spark");
	sl_test_sink_write(&t, b);
	commit_and_expect(&t, 0,
			  "+----+-----+\n"
			  "|  id| name|\n"
			  "+----+-----+\n"
			  "|   1| null|\n"
			  "|null|spark|\n"
			  "+----+-----+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, num_rows_cut_across_vectors)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema,
			   (const char *[]){ "numRows", "2", NULL });
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 5 }, 1));
	sl_test_sink_write(&t,
			   sl_test_long_batch(1, (int64_t[]){ 6, 1000 }, 2));
	sl_test_sink_write(&t,
			   sl_test_long_batch(0, (int64_t[]){ 123456789 }, 1));
	/* Widths come from the shown rows only, as in show(). */
	commit_and_expect(&t, 0,
			  "+-----+\n"
			  "|value|\n"
			  "+-----+\n"
			  "|    5|\n"
			  "|    6|\n"
			  "+-----+\n"
			  "only showing top 2 rows\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, num_rows_one_says_row)
{
	show_longs("1", (int64_t[]){ 1, 2 }, 2,
		   "+-----+\n"
		   "|value|\n"
		   "+-----+\n"
		   "|    1|\n"
		   "+-----+\n"
		   "only showing top 1 row\n"
		   "\n");
}

Test(console, exactly_num_rows_has_no_footer)
{
	show_longs("2", (int64_t[]){ 1, 2 }, 2,
		   "+-----+\n"
		   "|value|\n"
		   "+-----+\n"
		   "|    1|\n"
		   "|    2|\n"
		   "+-----+\n"
		   "\n");
}

Test(console, empty_batch)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema, NULL);
	commit_and_expect(&t, 0,
			  "+-----+\n"
			  "|value|\n"
			  "+-----+\n"
			  "+-----+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, two_batches)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema, NULL);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 0, 1 }, 2));
	commit_and_expect(&t, 0,
			  "+-----+\n"
			  "|value|\n"
			  "+-----+\n"
			  "|    0|\n"
			  "|    1|\n"
			  "+-----+\n"
			  "\n");
	/* The next batch starts empty and counts on. */
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 2 }, 1));
	commit_and_expect(&t, 1,
			  "+-----+\n"
			  "|value|\n"
			  "+-----+\n"
			  "|    2|\n"
			  "+-----+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, continuous_still_says_batch)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_console,
				       &sl_test_long_schema, NULL, &err),
		     0);
	t.sk.continuous = true;
	cr_assert_eq(sl_test_sink_init(&t, &err), 0);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 3 }, 1));
	commit_and_expect(&t, 7,
			  "+-----+\n"
			  "|value|\n"
			  "+-----+\n"
			  "|    3|\n"
			  "+-----+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, control_characters_escaped)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_word_schema, NULL);
	/* The escape counts two characters towards truncation; a cut in the
	 * middle of one keeps its backslash, as Java's substring does. */
	sl_test_sink_write(
		&t,
		sl_test_word_batch(
			(const char *[]){ "a\tb\nc", "0123456789abcdef\tXYZW" },
			2));
	commit_and_expect(&t, 0,
			  "+--------------------+\n"
			  "|                word|\n"
			  "+--------------------+\n"
			  "|             a\\tb\\nc|\n"
			  "|0123456789abcdef\\...|\n"
			  "+--------------------+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, full_width_characters_count_double)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_word_schema, NULL);
	/* Two CJK characters are four columns wide; "é" is one. */
	sl_test_sink_write(
		&t,
		sl_test_word_batch((const char *[]){ "\xe6\x97\xa5\xe6\x9c\xac",
						     "caf\xc3\xa9" },
				   2));
	commit_and_expect(&t, 0,
			  "+----+\n"
			  "|word|\n"
			  "+----+\n"
			  "|\xe6\x97\xa5\xe6\x9c\xac|\n"
			  "|caf\xc3\xa9|\n"
			  "+----+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, astral_characters_count_two)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_word_schema, NULL);
	/* U+1F600 is two UTF-16 units, as Java counts it. When the cut at 17
	 * splits it, Java keeps a lone surrogate, which prints as '?'. */
	sl_test_sink_write(
		&t, sl_test_word_batch((const char *[]){ "\xf0\x9f\x98\x80",
							 "aaaaaaaaaaaaaaaa"
							 "\xf0\x9f\x98\x80"
							 "bcd" },
				       2));
	commit_and_expect(&t, 0,
			  "+--------------------+\n"
			  "|                word|\n"
			  "+--------------------+\n"
			  "|                  \xf0\x9f\x98\x80|\n"
			  "|aaaaaaaaaaaaaaaa?...|\n"
			  "+--------------------+\n"
			  "\n");
	sl_test_sink_close(&t);
}

Test(console, huge_num_rows)
{
	sl_test_sink t;
	int64_t v[200];

	for (int i = 0; i < 200; i++)
		v[i] = i;
	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema,
			   (const char *[]){ "numRows", "2147483647", NULL });
	sl_test_sink_write(&t, sl_test_long_batch(0, v, 200));
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	char *got = sl_test_sink_console_text(&t);
	cr_expect(strstr(got, "|  199|\n+-----+\n\n"), "%s", got);
	cr_expect_null(strstr(got, "only showing"));
	free(got);
	sl_test_sink_close(&t);
}

Test(console, num_rows_zero_rejected)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_expect_eq(sl_test_sink_open(
			     &t, &sl_sink_console, &sl_test_long_schema,
			     (const char *[]){ "numRows", "0", NULL }, &err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "numRows"), "%s", err.msg);
	sl_test_sink_close(&t);
}

Test(console, write_failure_is_reported)
{
	sl_test_sink t;

	sl_test_sink_start(&t, &sl_sink_console, &sl_test_long_schema, NULL);
	t.sk.console_fd = -1;
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 1 }, 1));
	cr_expect_eq(sl_test_sink_commit(&t, 4), SL_EIO);
	cr_expect(strstr(t.sk.err.msg, "console sink"), "%s", t.sk.err.msg);
	cr_expect(strstr(t.sk.err.msg, "batch 4"), "%s", t.sk.err.msg);
	sl_test_sink_close(&t);
}

Test(console, through_a_pipe)
{
	sl_test_sink t;
	sl_err err = { 0 };
	int p[2];
	char buf[512] = { 0 };

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(sl_test_sink_open(&t, &sl_sink_console,
				       &sl_test_long_schema, NULL, &err),
		     0);
	t.sk.console_fd = p[1];
	cr_assert_eq(sl_test_sink_init(&t, &err), 0);
	sl_test_sink_write(&t, sl_test_long_batch(0, (int64_t[]){ 42 }, 1));
	cr_assert_eq(sl_test_sink_commit(&t, 0), 0);
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	cr_expect_str_eq(buf, BANNER(0) "+-----+\n"
					"|value|\n"
					"+-----+\n"
					"|   42|\n"
					"+-----+\n"
					"\n");
	sl_test_sink_close(&t);
}
