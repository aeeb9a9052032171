/* tests/unit/io_file_sink.c - what the file sinks (json, csv, text) write,
 * driven through their sl_sink_ops as the sink thread drives them
 * (tests/support/file_sink.h): exact file contents of each format, their
 * type and option checks, partitionBy directories, the _spark_metadata
 * manifest, and sl_file_sink_list on Spark's own manifests. Commits,
 * replays and crashes are tests/unit/io_file_sink_commit.c. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/plugin.h"
#include "io/sink_file.h"
#include "sluice.h"
#include "tests/support/file_sink.h"

TestSuite(file_sink, .init = sl_test_sink_mkdir, .fini = sl_test_sink_rmdir);

/* ---- json --------------------------------------------------------------- */

Test(file_sink, json_contents_exact)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("out");
	sl_batch *b = sl_batch_new(&sl_test_s_mix, 4);
	size_t n;

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("json"), &sl_test_s_mix,
				  (const char *[]){ "path", path, NULL }, &err),
		0, "%s", err.msg);
	sl_test_mix_add(b, 1, "plain", SL_TEST_TS_2024, 1.5, 1);
	sl_test_mix_add(b, 2, "q\"uo\\te\nnl\ttab\x01",
			SL_TEST_TS_2024 + 1234567, 1e10, 0);
	sl_test_mix_add(b, -1, NULL, -1, -1e308, -1); /* all null */
	sl_test_mix_add(b, 4, "caf\xc3\xa9", -1, 0.0 / 0.0, -1);
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);

	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 1);
	const char *base = strrchr(files[0], '/') + 1;
	cr_expect(sl_test_is_part_name(base, ".json"), "%s", base);
	cr_expect(!strncmp(files[0], path, strlen(path)), "%s", files[0]);
	char *got = sl_test_read_file(files[0]);
	cr_expect_str_eq(
		got,
		"{\"id\":1,\"name\":\"plain\","
		"\"ts\":\"2024-01-01T00:00:00.000Z\",\"x\":1.5,\"ok\":true}\n"
		"{\"id\":2,\"name\":\"q\\\"uo\\\\te\\nnl\\ttab\\u0001\","
		"\"ts\":\"2024-01-01T00:00:01.234Z\",\"x\":1.0E10,"
		"\"ok\":false}\n"
		"{}\n"
		"{\"id\":4,\"name\":\"caf\xc3\xa9\",\"x\":\"NaN\"}\n");
	free(got);
	sl_file_sink_list_free(files, n);
	sl_test_sink_close(&t);
}

Test(file_sink, json_nested_and_dates)
{
	sl_arena a;
	sl_err err = { 0 };
	sl_test_sink t;

	sl_arena_init(&a);
	sl_schema *sc = sl_schema_parse(
		"arr ARRAY<INT>, st STRUCT<a: INT, b: STRING>, d DATE, "
		"bin BINARY, old TIMESTAMP",
		&a, &err);
	cr_assert_not_null(sc, "%s", err.msg);
	const char *path = sl_test_out_path("n");
	cr_assert_eq(sl_test_sink_open_init(&t, sl_sink_lookup("json"), sc,
				       (const char *[]){ "path", path, NULL },
				       &err),
		     0, "%s", err.msg);
	sl_batch *b = sl_batch_new(sc, 1);
	sl_value *r = sl_batch_add_row(b);
	sl_value *el = sl_arena_alloc(&b->arena, 3 * sizeof(sl_value));
	el[0] = sl_v_int(1);
	el[1] = sl_v_null();
	el[2] = sl_v_int(3);
	r[0] = (sl_value){ .type = SL_ARRAY, .len = 3, .v.arr = el };
	sl_value *fv = sl_arena_alloc(&b->arena, 2 * sizeof(sl_value));
	fv[0] = sl_v_int(7);
	fv[1] = sl_v_null(); /* left out, as Spark leaves null fields out */
	r[1] = (sl_value){ .type = SL_STRUCT, .len = 2, .v.fields = fv };
	r[2] = sl_v_date(19723); /* 2024-01-01 */
	r[3] = sl_v_bin((const uint8_t *)"hi!?", 4);
	r[4] = sl_v_ts(-1500); /* 1969-12-31T23:59:59.998 (floor) */
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);
	char *got = sl_test_listed_text(path);
	cr_expect_str_eq(got, "{\"arr\":[1,null,3],\"st\":{\"a\":7},"
			      "\"d\":\"2024-01-01\",\"bin\":\"aGkhPw==\","
			      "\"old\":\"1969-12-31T23:59:59.998Z\"}\n");
	free(got);
	sl_test_sink_close(&t);
	sl_arena_free(&a);
}

/* ---- csv ---------------------------------------------------------------- */

Test(file_sink, csv_contents_exact)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("c");
	sl_batch *b = sl_batch_new(&sl_test_s_mix, 5);

	cr_assert_eq(sl_test_sink_open_init(&t, sl_sink_lookup("csv"),
				       &sl_test_s_mix,
				       (const char *[]){ "path", path, "header",
							 "true", NULL },
				       &err),
		     0, "%s", err.msg);
	sl_test_mix_add(b, 1, "plain", SL_TEST_TS_2024, 1.5, 1);
	sl_test_mix_add(b, 2, "a,b", -1, -1e308, 0); /* separator */
	sl_test_mix_add(b, 3, "say \"hi\" \\o/", -1, 2.0,
			-1);			   /* quote, escape */
	sl_test_mix_add(b, 4, "", -1, -1e308, -1); /* empty vs null */
	sl_test_mix_add(b, -1, "  padded  ", -1, -1e308, -1); /* trimmed */
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);
	char *got = sl_test_listed_text(path);
	cr_expect_str_eq(got, "id,name,ts,x,ok\n"
			      "1,plain,2024-01-01T00:00:00.000Z,1.5,true\n"
			      "2,\"a,b\",,,false\n"
			      "3,\"say \\\"hi\\\" \\\\o/\",,2.0,\n"
			      "4,\"\",,,\n"
			      ",padded,,,\n");
	free(got);
	sl_test_sink_close(&t);
}

Test(file_sink, csv_options)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("c");
	sl_batch *b = sl_batch_new(&sl_test_s_mix, 3);

	cr_assert_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("csv"), &sl_test_s_mix,
			     (const char *[]){ "path", path, "sep", "\\t",
					       "nullValue", "NA", "quote", "'",
					       "ignoreLeadingWhiteSpace",
					       "false", NULL },
			     &err),
		     0, "%s", err.msg);
	sl_test_mix_add(b, 1, " it's", -1, 0.25, 1);
	sl_test_mix_add(b, 2, "NA", -1, -1e308,
			-1); /* the string, not a null */
	sl_test_mix_add(b, 3, "a\tb", -1, -1e308, -1);
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);
	char *got = sl_test_listed_text(path);
	cr_expect_str_eq(got, "1\t' it\\'s'\tNA\t0.25\ttrue\n"
			      "2\t'NA'\tNA\tNA\tNA\n"
			      "3\t'a\tb'\tNA\tNA\tNA\n");
	free(got);
	sl_test_sink_close(&t);
}

Test(file_sink, csv_refuses_nested_columns)
{
	sl_arena a;
	sl_err err = { 0 };
	sl_test_sink t;

	sl_arena_init(&a);
	sl_schema *sc = sl_schema_parse("id INT, tags ARRAY<STRING>", &a, &err);
	cr_assert_not_null(sc);
	cr_expect_eq(
		sl_test_sink_open_init(
			&t, sl_sink_lookup("csv"), sc,
			(const char *[]){ "path", sl_test_out_path("c"), NULL },
			&err),
		SL_EANALYSIS);
	cr_expect(strstr(err.msg, "tags"), "%s", err.msg);
	cr_expect(strstr(err.msg, "array<string>"), "%s", err.msg);
	sl_test_sink_close(&t);
	sl_arena_free(&a);
}

/* ---- text --------------------------------------------------------------- */

Test(file_sink, text_contents_exact)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("t");
	size_t n;

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("text"), &sl_test_s_line,
				  (const char *[]){ "path", path, NULL }, &err),
		0, "%s", err.msg);
	sl_test_sink_write_ok(
		&t,
		sl_test_lines((const char *[]){ "first", NULL, "a,\"b\"" }, 3));
	sl_test_sink_write_ok(&t, sl_test_lines((const char *[]){ "" }, 1));
	sl_test_sink_commit_ok(&t, 0);
	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 1);
	cr_expect(sl_test_is_part_name(strrchr(files[0], '/') + 1, ".txt"),
		  "%s", files[0]);
	sl_file_sink_list_free(files, n);
	char *got = sl_test_listed_text(path);
	cr_expect_str_eq(got, "first\n\na,\"b\"\n\n");
	free(got);
	sl_test_sink_close(&t);
}

Test(file_sink, text_refuses_non_string)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_expect_eq(
		sl_test_sink_open_init(
			&t, sl_sink_lookup("text"), &sl_test_s_long,
			(const char *[]){ "path", sl_test_out_path("t"), NULL },
			&err),
		SL_EANALYSIS);
	cr_expect(strstr(err.msg, "'value'"), "%s", err.msg);
	cr_expect(strstr(err.msg, "bigint"), "%s", err.msg);
	cr_expect(strstr(err.msg, "STRING"), "%s", err.msg);
	sl_test_sink_close(&t);

	memset(&err, 0, sizeof(err));
	cr_expect_eq(
		sl_test_sink_open_init(
			&t, sl_sink_lookup("text"), &sl_test_s_mix,
			(const char *[]){ "path", sl_test_out_path("t"), NULL },
			&err),
		SL_EANALYSIS);
	cr_expect(strstr(err.msg, "single STRING column"), "%s", err.msg);
	cr_expect(strstr(err.msg, "has 5"), "%s", err.msg);
	sl_test_sink_close(&t);
}

/* The one STRING column left after partitionBy is what text needs. */
Test(file_sink, text_with_partition_column)
{
	static sl_field f[] = { { "day", &sl_dtype_int, true },
				{ "line", &sl_dtype_string, true } };
	static const sl_schema sc = { 2, f };
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("t");

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("text"), &sc,
				  (const char *[]){ "path", path, "partitionBy",
						    "day", NULL },
				  &err),
		0, "%s", err.msg);
	sl_batch *b = sl_batch_new(&sc, 2);
	sl_value *r = sl_batch_add_row(b);
	r[0] = sl_v_int(1);
	r[1] = sl_test_astr(b, "one");
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);
	size_t n;
	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 1);
	cr_expect(strstr(files[0], "/t/day=1/part-00000-"), "%s", files[0]);
	sl_file_sink_list_free(files, n);
	sl_test_sink_close(&t);
}

/* ---- partitionBy ------------------------------------------------------- */

static char *find_listed(char **files, size_t n, const char *dir)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(files[i], dir))
			return files[i];
	return NULL;
}

Test(file_sink, partition_by_directories)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("p");
	sl_batch *b = sl_batch_new(&sl_test_s_geo, 8);
	size_t n;

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("json"), &sl_test_s_geo,
				  (const char *[]){ "path", path, "partitionBy",
						    " YEAR , country", NULL },
				  &err),
		0, "%s", err.msg);
	sl_test_geo_add(b, "US", 2024, 1);
	sl_test_geo_add(b, "FR", 2024, 2);
	sl_test_geo_add(b, "US", 2024, 3);
	sl_test_geo_add(b, "US", 2023, 4);
	sl_test_geo_add(b, NULL, 2023, 5);
	sl_test_geo_add(b, "", -1, 6);
	sl_test_geo_add(b, "a/b=c:d%", 2023, 7);
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 0);

	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 6);
	struct {
		const char *dir, *text;
	} want[] = {
		{ "/p/year=2024/country=US/", "{\"n\":1}\n{\"n\":3}\n" },
		{ "/p/year=2024/country=FR/", "{\"n\":2}\n" },
		{ "/p/year=2023/country=US/", "{\"n\":4}\n" },
		{ "/p/year=2023/country=__HIVE_DEFAULT_PARTITION__/",
		  "{\"n\":5}\n" },
		{ "/p/year=__HIVE_DEFAULT_PARTITION__/"
		  "country=__HIVE_DEFAULT_PARTITION__/",
		  "{\"n\":6}\n" },
		{ "/p/year=2023/country=a%2Fb%3Dc%3Ad%25/", "{\"n\":7}\n" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *f = find_listed(files, n, want[i].dir);
		cr_assert_not_null(f, "no file in %s", want[i].dir);
		cr_expect(sl_test_is_part_name(strrchr(f, '/') + 1, ".json"),
			  "%s", f);
		char *got = sl_test_read_file(f);
		cr_expect_str_eq(got, want[i].text, "%s", want[i].dir);
		free(got);
	}
	sl_file_sink_list_free(files, n);

	/* The manifest's URI percent-encodes the directory's own escapes. */
	char *man = sl_test_read_file(sl_test_out_path("p/_spark_metadata/0"));
	cr_expect(strstr(man, "/country=a%252Fb%253Dc%253Ad%2525/part-"), "%s",
		  man);
	free(man);

	/* The next batch reuses the directories. */
	b = sl_batch_new(&sl_test_s_geo, 1);
	sl_test_geo_add(b, "FR", 2024, 8);
	sl_test_sink_write_ok(&t, b);
	sl_test_sink_commit_ok(&t, 1);
	files = sl_test_listed(path, &n);
	cr_expect_eq(n, 7);
	sl_file_sink_list_free(files, n);
	sl_test_sink_close(&t);
}

Test(file_sink, partition_by_errors)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_expect_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("json"), &sl_test_s_geo,
			     (const char *[]){ "path", sl_test_out_path("p"),
					       "partitionBy", "yeer", NULL },
			     &err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "'yeer'"), "%s", err.msg);
	sl_test_sink_close(&t);
	cr_expect_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("json"), &sl_test_s_geo,
			     (const char *[]){ "path", sl_test_out_path("p"),
					       "partitionBy", "year,country,n",
					       NULL },
			     &err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "all columns"), "%s", err.msg);
	sl_test_sink_close(&t);
	cr_expect_eq(
		sl_test_sink_open_init(
			&t, sl_sink_lookup("json"), &sl_test_s_geo,
			(const char *[]){ "path", sl_test_out_path("p"),
					  "partitionBy", "year,YEAR", NULL },
			&err),
		SL_EANALYSIS);
	cr_expect(strstr(err.msg, "twice"), "%s", err.msg);
	sl_test_sink_close(&t);
}

Test(file_sink, options_errors)
{
	sl_test_sink t;
	sl_err err = { 0 };

	cr_expect_eq(sl_test_sink_open_init(&t, sl_sink_lookup("json"),
				       &sl_test_s_long, NULL, &err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "path"), "%s", err.msg);
	sl_test_sink_close(&t);
	cr_expect_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("csv"), &sl_test_s_long,
			     (const char *[]){ "path", sl_test_out_path("c"),
					       "sep", "ab", NULL },
			     &err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "sep"), "%s", err.msg);
	sl_test_sink_close(&t);
	/* csv options are not json options */
	cr_expect_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("json"), &sl_test_s_long,
			     (const char *[]){ "path", sl_test_out_path("j"),
					       "header", "true", NULL },
			     &err),
		     SL_EOPTION);
	sl_test_sink_close(&t);
	/* a file where the directory should be */
	FILE *f = fopen(sl_test_out_path("file"), "w");
	fclose(f);
	cr_expect_eq(sl_test_sink_open_init(
			     &t, sl_sink_lookup("json"), &sl_test_s_long,
			     (const char *[]){ "path", sl_test_out_path("file"),
					       NULL },
			     &err),
		     SL_EIO);
	cr_expect(strstr(err.msg, "not a directory"), "%s", err.msg);
	sl_test_sink_close(&t);
}

/* ---- the manifest ------------------------------------------------------ */

Test(file_sink, manifest_format)
{
	sl_test_sink t;
	sl_err err = { 0 };
	const char *path = sl_test_out_path("m");
	char real[4096], want[8192];
	struct stat st;

	cr_assert_eq(
		sl_test_sink_open_init(&t, sl_sink_lookup("json"), &sl_test_s_long,
				  (const char *[]){ "path", path, NULL }, &err),
		0, "%s", err.msg);
	sl_test_sink_write_ok(&t, sl_test_longs(0, 3));
	sl_test_sink_commit_ok(&t, 0);
	sl_test_sink_commit_ok(&t, 1); /* an empty batch */

	size_t n;
	char **files = sl_test_listed(path, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(stat(files[0], &st), 0);
	cr_assert_not_null(realpath(files[0], real));
	snprintf(want, sizeof(want),
		 "v1\n{\"path\":\"file://%s\",\"size\":%lld,\"isDir\":false,"
		 "\"modificationTime\":%lld,\"blockReplication\":1,"
		 "\"blockSize\":33554432,\"action\":\"add\"}",
		 real, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec * 1000 +
			 st.st_mtim.tv_nsec / 1000000);
	char *man = sl_test_read_file(sl_test_out_path("m/_spark_metadata/0"));
	cr_expect_str_eq(man, want);
	free(man);
	man = sl_test_read_file(sl_test_out_path("m/_spark_metadata/1"));
	cr_expect_str_eq(man, "v1");
	free(man);
	cr_expect_eq(st.st_size, 36); /* 3 x {"value":N}\n */
	sl_file_sink_list_free(files, n);
	sl_test_sink_close(&t);
}

/* Spark's own log: a compact file holding batches 0..9, a later delta, a
 * delete entry, file: URIs in both spellings. */
Test(file_sink, list_reads_spark_manifests)
{
	char dir[512];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/_spark_metadata", sl_test_sink_dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	FILE *f = fopen(sl_test_out_path("_spark_metadata/0"), "w");
	fputs("v1\n{\"path\":\"file:///old/x\",\"action\":\"add\"}", f);
	fclose(f);
	f = fopen(sl_test_out_path("_spark_metadata/9.compact"), "w");
	fputs("v1\n{\"path\":\"file:///d/a%20b\",\"size\":1,\"action\":\"add\"}"
	      "\n{\"path\":\"file:/d/c\",\"size\":1,\"action\":\"add\"}",
	      f);
	fclose(f);
	f = fopen(sl_test_out_path("_spark_metadata/10"), "w");
	fputs("v1\n{\"path\":\"file:/d/c\",\"action\":\"delete\"}\n"
	      "{\"path\":\"file:///d/e\",\"action\":\"add\"}\n",
	      f);
	fclose(f);
	f = fopen(sl_test_out_path("_spark_metadata/.11.abc.tmp"), "w");
	fputs("garbage", f);
	fclose(f);
	char **files = sl_test_listed(sl_test_sink_dir, &n);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(files[0], "/d/a b");
	cr_expect_str_eq(files[1], "/d/e");
	sl_file_sink_list_free(files, n);

	f = fopen(sl_test_out_path("_spark_metadata/11"), "w");
	fputs("v9\n", f);
	fclose(f);
	sl_err err = { 0 };
	char **x;
	cr_expect_eq(sl_file_sink_list(sl_test_sink_dir, &x, &n, &err),
		     SL_EINVAL);
	cr_expect(strstr(err.msg, "/11"), "%s", err.msg);
	cr_expect_eq(sl_file_sink_list("/nonexistent/dir", &x, &n, &err),
		     SL_ENOTFOUND);
}
