/* tests/unit/io_file_sink.c - the file sink (json, csv, text) driven
 * through its sl_sink_ops as the sink thread drives it (init, write...,
 * commit(N), destroy): exact file contents, partitionBy directories, the
 * _spark_metadata manifest, exactly-once commits across replays and a
 * simulated crash, the io_uring fallback; sl_file_sink_list on Spark's own
 * manifests; one query end to end through the public API; and the console
 * sink's write through the I/O layer on a non-blocking pipe. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/plugin.h"
#include "io/sink_file.h"
#include "sluice.h"

extern const sl_sink_ops sl_sink_file_json, sl_sink_file_csv, sl_sink_file_text,
	sl_sink_console;

/* ---- schemas and rows ------------------------------------------------- */

static sl_field f_mix[] = {
	{ "id", &sl_dtype_long, true },	     { "name", &sl_dtype_string, true },
	{ "ts", &sl_dtype_timestamp, true }, { "x", &sl_dtype_double, true },
	{ "ok", &sl_dtype_bool, true },
};
static const sl_schema s_mix = { 5, f_mix };

static sl_field f_line[] = { { "value", &sl_dtype_string, true } };
static const sl_schema s_line = { 1, f_line };

static sl_field f_long[] = { { "value", &sl_dtype_long, false } };
static const sl_schema s_long = { 1, f_long };

static sl_field f_geo[] = {
	{ "country", &sl_dtype_string, true },
	{ "year", &sl_dtype_int, true },
	{ "n", &sl_dtype_long, true },
};
static const sl_schema s_geo = { 3, f_geo };

static sl_value astr(sl_batch *b, const char *s)
{
	size_t n = strlen(s);

	return sl_v_str(sl_arena_strndup(&b->arena, s, n), (uint32_t)n);
}

/* 2024-01-01T00:00:00Z in microseconds. */
#define TS_2024 1704067200000000LL

static void mix_add(sl_batch *b, int64_t id, const char *name, int64_t ts,
		    double x, int ok)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = id < 0 ? sl_v_null() : sl_v_long(id);
	r[1] = name ? astr(b, name) : sl_v_null();
	r[2] = ts < 0 ? sl_v_null() : sl_v_ts(ts);
	r[3] = x < -1e300 ? sl_v_null() : sl_v_double(x);
	r[4] = ok < 0 ? sl_v_null() : sl_v_bool(ok);
}

static sl_batch *lines(const char *const *v, uint32_t n)
{
	sl_batch *b = sl_batch_new(&s_line, n);

	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] = v[i] ? astr(b, v[i]) : sl_v_null();
	return b;
}

/* values lo .. hi-1 */
static sl_batch *longs(int64_t lo, int64_t hi)
{
	sl_batch *b = sl_batch_new(&s_long, (uint32_t)(hi - lo));

	for (int64_t v = lo; v < hi; v++)
		sl_batch_add_row(b)[0] = sl_v_long(v);
	return b;
}

static void geo_add(sl_batch *b, const char *country, int year, int64_t n)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = country ? astr(b, country) : sl_v_null();
	r[1] = year < 0 ? sl_v_null() : sl_v_int(year);
	r[2] = sl_v_long(n);
}

/* ---- a sink under test ------------------------------------------------ */

typedef struct tsink {
	sl_sink sk;
	sl_arena arena;
} tsink;

/* Fills sk as core/query.c does, options (key, value, ..., NULL) through
 * the sink's own table, then init. Returns the first failure. */
static int tsink_open(tsink *t, const sl_sink_ops *ops, const sl_schema *sc,
		      const char *const *opts, sl_err *err)
{
	sl_kvs given = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	sl_arena_init(&t->arena);
	t->sk.ops = ops;
	t->sk.conf = sl_arena_calloc(&t->arena, ops->conf_size);
	for (size_t i = 0; opts && opts[i]; i += 2)
		sl_kvs_add(&given, &t->arena, opts[i], opts[i + 1]);
	rc = sl_options_apply(ops->options, t->sk.conf, &given, NULL, ops->name,
			      &t->arena, err);
	if (rc)
		return rc;
	t->sk.schema = sc;
	t->sk.mode = SL_MODE_APPEND;
	t->sk.console_fd = 1;
	t->sk.nparts = 1;
	t->sk.arena = &t->arena;
	return ops->init(&t->sk, err);
}

/* Writes b as the sink thread does: frees it unless the sink kept it. */
static void tsink_write(tsink *t, sl_batch *b)
{
	int rc = t->sk.ops->write(&t->sk, b);

	cr_assert(rc == 0 || rc == 1, "write: %d %s", rc, t->sk.err.msg);
	if (rc == 0)
		sl_batch_free(b);
}

static void tsink_commit(tsink *t, int64_t epoch)
{
	int rc = t->sk.ops->commit(&t->sk, epoch);

	cr_assert_eq(rc, 0, "commit %lld: %d %s", (long long)epoch, rc,
		     t->sk.err.msg);
}

static void tsink_close(tsink *t)
{
	if (t->sk.ops && t->sk.state)
		t->sk.ops->destroy(&t->sk);
	sl_arena_free(&t->arena);
}

/* ---- files ------------------------------------------------------------ */

static char tmpdir[256];

static void mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl_fsink_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void rm_tmp(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/sub, in one of a few static buffers (a test holds several). */
static const char *out_path(const char *sub)
{
	static char p[8][512];
	static unsigned k;
	char *b = p[k++ % 8];

	snprintf(b, 512, "%s/%s", tmpdir, sub);
	return b;
}

/* A whole file, NUL-terminated; caller frees. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* The committed files of the sink at path; asserts success. */
static char **listed(const char *path, size_t *n)
{
	char **files;
	sl_err err = { 0 };

	cr_assert_eq(sl_file_sink_list(path, &files, n, &err), 0, "%s",
		     err.msg);
	return files;
}

/* The concatenated contents of every committed file (commit order). */
static char *listed_text(const char *path)
{
	size_t n, len = 0;
	char **files = listed(path, &n);
	char *all = calloc(1, 1);

	for (size_t i = 0; i < n; i++) {
		char *s = slurp(files[i]);
		size_t l = strlen(s);

		all = realloc(all, len + l + 1);
		memcpy(all + len, s, l + 1);
		len += l;
		free(s);
	}
	sl_file_sink_list_free(files, n);
	return all;
}

/* Part files on disk under dir (recursively), manifest or not. */
static int count_parts(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[1024];

		if (de->d_name[0] == '.' || de->d_name[0] == '_')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			n += count_parts(p);
		else if (!strncmp(de->d_name, "part-", 5))
			n++;
	}
	closedir(d);
	return n;
}

static bool is_part_name(const char *base, const char *ext)
{
	/* part-00000-<36-char uuid>.c000<ext> */
	return strlen(base) == 5 + 6 + 36 + 5 + strlen(ext) &&
	       !strncmp(base, "part-00000-", 11) && base[19] == '-' &&
	       !strncmp(base + 47, ".c000", 5) && !strcmp(base + 52, ext);
}

/* ---- json --------------------------------------------------------------- */

Test(file_sink, json_contents_exact, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("out");
	sl_batch *b = sl_batch_new(&s_mix, 4);
	size_t n;

	cr_assert_eq(tsink_open(&t, &sl_sink_file_json, &s_mix,
				(const char *[]){ "path", path, NULL }, &err),
		     0, "%s", err.msg);
	mix_add(b, 1, "plain", TS_2024, 1.5, 1);
	mix_add(b, 2, "q\"uo\\te\nnl\ttab\x01", TS_2024 + 1234567, 1e10, 0);
	mix_add(b, -1, NULL, -1, -1e308, -1); /* all null */
	mix_add(b, 4, "caf\xc3\xa9", -1, 0.0 / 0.0, -1);
	tsink_write(&t, b);
	tsink_commit(&t, 0);

	char **files = listed(path, &n);
	cr_assert_eq(n, 1);
	const char *base = strrchr(files[0], '/') + 1;
	cr_expect(is_part_name(base, ".json"), "%s", base);
	cr_expect(!strncmp(files[0], path, strlen(path)), "%s", files[0]);
	char *got = slurp(files[0]);
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
	tsink_close(&t);
}

Test(file_sink, json_nested_and_dates, .init = mk_tmp, .fini = rm_tmp)
{
	sl_arena a;
	sl_err err = { 0 };
	tsink t;

	sl_arena_init(&a);
	sl_schema *sc = sl_schema_parse(
		"arr ARRAY<INT>, st STRUCT<a: INT, b: STRING>, d DATE, "
		"bin BINARY, old TIMESTAMP",
		&a, &err);
	cr_assert_not_null(sc, "%s", err.msg);
	const char *path = out_path("n");
	cr_assert_eq(tsink_open(&t, &sl_sink_file_json, sc,
				(const char *[]){ "path", path, NULL }, &err),
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
	tsink_write(&t, b);
	tsink_commit(&t, 0);
	char *got = listed_text(path);
	cr_expect_str_eq(got, "{\"arr\":[1,null,3],\"st\":{\"a\":7},"
			      "\"d\":\"2024-01-01\",\"bin\":\"aGkhPw==\","
			      "\"old\":\"1969-12-31T23:59:59.998Z\"}\n");
	free(got);
	tsink_close(&t);
	sl_arena_free(&a);
}

/* ---- csv ---------------------------------------------------------------- */

Test(file_sink, csv_contents_exact, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("c");
	sl_batch *b = sl_batch_new(&s_mix, 5);

	cr_assert_eq(tsink_open(&t, &sl_sink_file_csv, &s_mix,
				(const char *[]){ "path", path, "header",
						  "true", NULL },
				&err),
		     0, "%s", err.msg);
	mix_add(b, 1, "plain", TS_2024, 1.5, 1);
	mix_add(b, 2, "a,b", -1, -1e308, 0);	       /* separator */
	mix_add(b, 3, "say \"hi\" \\o/", -1, 2.0, -1); /* quote, escape */
	mix_add(b, 4, "", -1, -1e308, -1);	       /* empty vs null */
	mix_add(b, -1, "  padded  ", -1, -1e308, -1);  /* trimmed */
	tsink_write(&t, b);
	tsink_commit(&t, 0);
	char *got = listed_text(path);
	cr_expect_str_eq(got, "id,name,ts,x,ok\n"
			      "1,plain,2024-01-01T00:00:00.000Z,1.5,true\n"
			      "2,\"a,b\",,,false\n"
			      "3,\"say \\\"hi\\\" \\\\o/\",,2.0,\n"
			      "4,\"\",,,\n"
			      ",padded,,,\n");
	free(got);
	tsink_close(&t);
}

Test(file_sink, csv_options, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("c");
	sl_batch *b = sl_batch_new(&s_mix, 3);

	cr_assert_eq(
		tsink_open(&t, &sl_sink_file_csv, &s_mix,
			   (const char *[]){ "path", path, "sep", "\\t",
					     "nullValue", "NA", "quote", "'",
					     "ignoreLeadingWhiteSpace", "false",
					     NULL },
			   &err),
		0, "%s", err.msg);
	mix_add(b, 1, " it's", -1, 0.25, 1);
	mix_add(b, 2, "NA", -1, -1e308, -1); /* the string, not a null */
	mix_add(b, 3, "a\tb", -1, -1e308, -1);
	tsink_write(&t, b);
	tsink_commit(&t, 0);
	char *got = listed_text(path);
	cr_expect_str_eq(got, "1\t' it\\'s'\tNA\t0.25\ttrue\n"
			      "2\t'NA'\tNA\tNA\tNA\n"
			      "3\t'a\tb'\tNA\tNA\tNA\n");
	free(got);
	tsink_close(&t);
}

Test(file_sink, csv_refuses_nested_columns, .init = mk_tmp, .fini = rm_tmp)
{
	sl_arena a;
	sl_err err = { 0 };
	tsink t;

	sl_arena_init(&a);
	sl_schema *sc = sl_schema_parse("id INT, tags ARRAY<STRING>", &a, &err);
	cr_assert_not_null(sc);
	cr_expect_eq(tsink_open(&t, &sl_sink_file_csv, sc,
				(const char *[]){ "path", out_path("c"), NULL },
				&err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "tags"), "%s", err.msg);
	cr_expect(strstr(err.msg, "array<string>"), "%s", err.msg);
	tsink_close(&t);
	sl_arena_free(&a);
}

/* ---- text --------------------------------------------------------------- */

Test(file_sink, text_contents_exact, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("t");
	size_t n;

	cr_assert_eq(tsink_open(&t, &sl_sink_file_text, &s_line,
				(const char *[]){ "path", path, NULL }, &err),
		     0, "%s", err.msg);
	tsink_write(&t, lines((const char *[]){ "first", NULL, "a,\"b\"" }, 3));
	tsink_write(&t, lines((const char *[]){ "" }, 1));
	tsink_commit(&t, 0);
	char **files = listed(path, &n);
	cr_assert_eq(n, 1);
	cr_expect(is_part_name(strrchr(files[0], '/') + 1, ".txt"), "%s",
		  files[0]);
	sl_file_sink_list_free(files, n);
	char *got = listed_text(path);
	cr_expect_str_eq(got, "first\n\na,\"b\"\n\n");
	free(got);
	tsink_close(&t);
}

Test(file_sink, text_refuses_non_string, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };

	cr_expect_eq(tsink_open(&t, &sl_sink_file_text, &s_long,
				(const char *[]){ "path", out_path("t"), NULL },
				&err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "'value'"), "%s", err.msg);
	cr_expect(strstr(err.msg, "bigint"), "%s", err.msg);
	cr_expect(strstr(err.msg, "STRING"), "%s", err.msg);
	tsink_close(&t);

	memset(&err, 0, sizeof(err));
	cr_expect_eq(tsink_open(&t, &sl_sink_file_text, &s_mix,
				(const char *[]){ "path", out_path("t"), NULL },
				&err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "single STRING column"), "%s", err.msg);
	cr_expect(strstr(err.msg, "has 5"), "%s", err.msg);
	tsink_close(&t);
}

/* The one STRING column left after partitionBy is what text needs. */
Test(file_sink, text_with_partition_column, .init = mk_tmp, .fini = rm_tmp)
{
	static sl_field f[] = { { "day", &sl_dtype_int, true },
				{ "line", &sl_dtype_string, true } };
	static const sl_schema sc = { 2, f };
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("t");

	cr_assert_eq(tsink_open(&t, &sl_sink_file_text, &sc,
				(const char *[]){ "path", path, "partitionBy",
						  "day", NULL },
				&err),
		     0, "%s", err.msg);
	sl_batch *b = sl_batch_new(&sc, 2);
	sl_value *r = sl_batch_add_row(b);
	r[0] = sl_v_int(1);
	r[1] = astr(b, "one");
	tsink_write(&t, b);
	tsink_commit(&t, 0);
	size_t n;
	char **files = listed(path, &n);
	cr_assert_eq(n, 1);
	cr_expect(strstr(files[0], "/t/day=1/part-00000-"), "%s", files[0]);
	sl_file_sink_list_free(files, n);
	tsink_close(&t);
}

/* ---- partitionBy ------------------------------------------------------- */

static char *find_listed(char **files, size_t n, const char *dir)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(files[i], dir))
			return files[i];
	return NULL;
}

Test(file_sink, partition_by_directories, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("p");
	sl_batch *b = sl_batch_new(&s_geo, 8);
	size_t n;

	cr_assert_eq(tsink_open(&t, &sl_sink_file_json, &s_geo,
				(const char *[]){ "path", path, "partitionBy",
						  " YEAR , country", NULL },
				&err),
		     0, "%s", err.msg);
	geo_add(b, "US", 2024, 1);
	geo_add(b, "FR", 2024, 2);
	geo_add(b, "US", 2024, 3);
	geo_add(b, "US", 2023, 4);
	geo_add(b, NULL, 2023, 5);
	geo_add(b, "", -1, 6);
	geo_add(b, "a/b=c:d%", 2023, 7);
	tsink_write(&t, b);
	tsink_commit(&t, 0);

	char **files = listed(path, &n);
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
		cr_expect(is_part_name(strrchr(f, '/') + 1, ".json"), "%s", f);
		char *got = slurp(f);
		cr_expect_str_eq(got, want[i].text, "%s", want[i].dir);
		free(got);
	}
	sl_file_sink_list_free(files, n);

	/* The manifest's URI percent-encodes the directory's own escapes. */
	char *man = slurp(out_path("p/_spark_metadata/0"));
	cr_expect(strstr(man, "/country=a%252Fb%253Dc%253Ad%2525/part-"), "%s",
		  man);
	free(man);

	/* The next batch reuses the directories. */
	b = sl_batch_new(&s_geo, 1);
	geo_add(b, "FR", 2024, 8);
	tsink_write(&t, b);
	tsink_commit(&t, 1);
	files = listed(path, &n);
	cr_expect_eq(n, 7);
	sl_file_sink_list_free(files, n);
	tsink_close(&t);
}

Test(file_sink, partition_by_errors, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };

	cr_expect_eq(tsink_open(&t, &sl_sink_file_json, &s_geo,
				(const char *[]){ "path", out_path("p"),
						  "partitionBy", "yeer", NULL },
				&err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "'yeer'"), "%s", err.msg);
	tsink_close(&t);
	cr_expect_eq(tsink_open(&t, &sl_sink_file_json, &s_geo,
				(const char *[]){ "path", out_path("p"),
						  "partitionBy",
						  "year,country,n", NULL },
				&err),
		     SL_EANALYSIS);
	cr_expect(strstr(err.msg, "all columns"), "%s", err.msg);
	tsink_close(&t);
	cr_expect_eq(
		tsink_open(&t, &sl_sink_file_json, &s_geo,
			   (const char *[]){ "path", out_path("p"),
					     "partitionBy", "year,YEAR", NULL },
			   &err),
		SL_EANALYSIS);
	cr_expect(strstr(err.msg, "twice"), "%s", err.msg);
	tsink_close(&t);
}

Test(file_sink, options_errors, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };

	cr_expect_eq(tsink_open(&t, &sl_sink_file_json, &s_long, NULL, &err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "path"), "%s", err.msg);
	tsink_close(&t);
	cr_expect_eq(tsink_open(&t, &sl_sink_file_csv, &s_long,
				(const char *[]){ "path", out_path("c"), "sep",
						  "ab", NULL },
				&err),
		     SL_EOPTION);
	cr_expect(strstr(err.msg, "sep"), "%s", err.msg);
	tsink_close(&t);
	/* csv options are not json options */
	cr_expect_eq(tsink_open(&t, &sl_sink_file_json, &s_long,
				(const char *[]){ "path", out_path("j"),
						  "header", "true", NULL },
				&err),
		     SL_EOPTION);
	tsink_close(&t);
	/* a file where the directory should be */
	FILE *f = fopen(out_path("file"), "w");
	fclose(f);
	cr_expect_eq(
		tsink_open(&t, &sl_sink_file_json, &s_long,
			   (const char *[]){ "path", out_path("file"), NULL },
			   &err),
		SL_EIO);
	cr_expect(strstr(err.msg, "not a directory"), "%s", err.msg);
	tsink_close(&t);
}

/* ---- the manifest ------------------------------------------------------ */

Test(file_sink, manifest_format, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("m");
	char real[4096], want[8192];
	struct stat st;

	cr_assert_eq(tsink_open(&t, &sl_sink_file_json, &s_long,
				(const char *[]){ "path", path, NULL }, &err),
		     0, "%s", err.msg);
	tsink_write(&t, longs(0, 3));
	tsink_commit(&t, 0);
	tsink_commit(&t, 1); /* an empty batch */

	size_t n;
	char **files = listed(path, &n);
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
	char *man = slurp(out_path("m/_spark_metadata/0"));
	cr_expect_str_eq(man, want);
	free(man);
	man = slurp(out_path("m/_spark_metadata/1"));
	cr_expect_str_eq(man, "v1");
	free(man);
	cr_expect_eq(st.st_size, 36); /* 3 x {"value":N}\n */
	sl_file_sink_list_free(files, n);
	tsink_close(&t);
}

/* Spark's own log: a compact file holding batches 0..9, a later delta, a
 * delete entry, file: URIs in both spellings. */
Test(file_sink, list_reads_spark_manifests, .init = mk_tmp, .fini = rm_tmp)
{
	char dir[512];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/_spark_metadata", tmpdir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	FILE *f = fopen(out_path("_spark_metadata/0"), "w");
	fputs("v1\n{\"path\":\"file:///old/x\",\"action\":\"add\"}", f);
	fclose(f);
	f = fopen(out_path("_spark_metadata/9.compact"), "w");
	fputs("v1\n{\"path\":\"file:///d/a%20b\",\"size\":1,\"action\":\"add\"}"
	      "\n{\"path\":\"file:/d/c\",\"size\":1,\"action\":\"add\"}",
	      f);
	fclose(f);
	f = fopen(out_path("_spark_metadata/10"), "w");
	fputs("v1\n{\"path\":\"file:/d/c\",\"action\":\"delete\"}\n"
	      "{\"path\":\"file:///d/e\",\"action\":\"add\"}\n",
	      f);
	fclose(f);
	f = fopen(out_path("_spark_metadata/.11.abc.tmp"), "w");
	fputs("garbage", f);
	fclose(f);
	char **files = listed(tmpdir, &n);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(files[0], "/d/a b");
	cr_expect_str_eq(files[1], "/d/e");
	sl_file_sink_list_free(files, n);

	f = fopen(out_path("_spark_metadata/11"), "w");
	fputs("v9\n", f);
	fclose(f);
	sl_err err = { 0 };
	char **x;
	cr_expect_eq(sl_file_sink_list(tmpdir, &x, &n, &err), SL_EINVAL);
	cr_expect(strstr(err.msg, "/11"), "%s", err.msg);
	cr_expect_eq(sl_file_sink_list("/nonexistent/dir", &x, &n, &err),
		     SL_ENOTFOUND);
}

/* ---- exactly once ------------------------------------------------------ */

/* Checks that the listed JSON output of a long column holds each value in
 * [0, n) exactly once. */
static void expect_each_once(const char *path, int64_t n)
{
	char *all = listed_text(path);
	char *counts = calloc((size_t)n, 1);
	int64_t rows = 0;

	for (char *p = all; (p = strstr(p, "{\"value\":")); rows++) {
		long long v = strtoll(p + 9, &p, 10);

		cr_assert(v >= 0 && v < n, "value %lld out of range", v);
		counts[v]++;
	}
	cr_expect_eq(rows, n, "%lld rows listed, wanted %lld", (long long)rows,
		     (long long)n);
	for (int64_t v = 0; v < n; v++)
		cr_expect_eq(counts[v], 1, "value %lld seen %d times",
			     (long long)v, counts[v]);
	free(counts);
	free(all);
}

Test(file_sink, replayed_commit_does_not_double, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("x");

	cr_assert_eq(tsink_open(&t, &sl_sink_file_json, &s_long,
				(const char *[]){ "path", path, NULL }, &err),
		     0, "%s", err.msg);
	tsink_write(&t, longs(0, 100));
	tsink_commit(&t, 3);
	tsink_write(&t, longs(0, 100));
	tsink_commit(&t, 3);
	expect_each_once(path, 100);
	cr_expect_eq(count_parts(path), 1, "the replay's file was deleted");
	/* and batches after it go on */
	tsink_write(&t, longs(100, 150));
	tsink_commit(&t, 4);
	expect_each_once(path, 150);
	tsink_close(&t);
}

/* The crash test runs each sink life in a child process of its own: a
 * child that dies without commit is the crash. The parent touches no
 * io_uring ring until the end, because a forked child would share the
 * parent's ring (sl_uring_get keeps one per thread, and fork copies it). */
#define BIG 60000 /* ~1 MB of JSON: past one write chunk, so on disk */

static const char *crash_path;

/* What each child does: steps of (batch to write [lo, hi), commit id or -1,
 * destroy or die). */
static int crash_child(int64_t lo, int64_t hi, int64_t commit, bool destroy,
		       int64_t lo2, int64_t hi2, int64_t commit2)
{
	const char *opts[] = { "path", crash_path, NULL };
	sl_err err = { 0 };
	tsink c;

	if (tsink_open(&c, &sl_sink_file_json, &s_long, opts, &err))
		return 2;
	if (c.sk.ops->write(&c.sk, longs(lo, hi)) < 0)
		return 3;
	if (commit >= 0 && c.sk.ops->commit(&c.sk, commit) < 0)
		return 4;
	if (hi2 > lo2 && (c.sk.ops->write(&c.sk, longs(lo2, hi2)) < 0 ||
			  c.sk.ops->commit(&c.sk, commit2) < 0))
		return 5;
	if (destroy)
		c.sk.ops->destroy(&c.sk);
	return 0; /* without destroy: files stay as a crash leaves them */
}

#define IN_CHILD(...)                                                          \
	do {                                                                   \
		int status_;                                                   \
		pid_t pid_ = fork();                                           \
		cr_assert_geq(pid_, 0);                                        \
		if (pid_ == 0)                                                 \
			_exit(crash_child(__VA_ARGS__));                       \
		cr_assert_eq(waitpid(pid_, &status_, 0), pid_);                \
		cr_assert(WIFEXITED(status_) && WEXITSTATUS(status_) == 0,     \
			  "child step failed: %d", WEXITSTATUS(status_));      \
	} while (0)

/* A batch is written and the process dies before commit; the restarted
 * query replays it. Then the other crash: the manifest is written but the
 * engine did not learn of it, so it replays the batch once more. The
 * output holds every row once. */
Test(file_sink, crash_then_replay, .init = mk_tmp, .fini = rm_tmp)
{
	crash_path = out_path("x");

	IN_CHILD(0, 10, 0, true, 0, 0, 0);
	IN_CHILD(10, 10 + BIG, -1, false, 0, 0, 0); /* dies in batch 1 */
	cr_expect_eq(count_parts(crash_path), 2,
		     "the crashed batch left a file");
	IN_CHILD(10, 10 + BIG, 1, true, 0, 0, 0); /* replays batch 1 */
	/* dies after batch 2's manifest, before the engine's commit */
	IN_CHILD(10 + BIG, 20 + BIG, 2, false, 0, 0, 0);
	/* replays batch 2, then goes on with batch 3 */
	IN_CHILD(10 + BIG, 20 + BIG, 2, true, 20 + BIG, 30 + BIG, 3);
	/* batches 0, 1, 2, 3 and the crashed batch 1's garbage; the replay
	 * of batch 2 deleted its own file */
	cr_expect_eq(count_parts(crash_path), 5);
	expect_each_once(crash_path, 30 + BIG);
}

Test(file_sink, uncommitted_batch_removed_at_destroy, .init = mk_tmp,
     .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("x");

	cr_assert_eq(
		tsink_open(&t, &sl_sink_file_json, &s_long,
			   (const char *[]){ "path", path, "maxRecordsPerFile",
					     "10", NULL },
			   &err),
		0, "%s", err.msg);
	tsink_write(&t, longs(0, 25));
	cr_expect_eq(count_parts(path), 2, "two full files are on disk");
	tsink_close(&t);
	cr_expect_eq(count_parts(path), 0);
}

Test(file_sink, max_records_per_file, .init = mk_tmp, .fini = rm_tmp)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("x");
	size_t n;

	cr_assert_eq(
		tsink_open(&t, &sl_sink_file_csv, &s_long,
			   (const char *[]){ "path", path, "header", "true",
					     "maxRecordsPerFile", "2", NULL },
			   &err),
		0, "%s", err.msg);
	tsink_write(&t, longs(0, 5));
	tsink_commit(&t, 0);
	char **files = listed(path, &n);
	cr_assert_eq(n, 3);
	const char *want[] = { "value\n0\n1\n", "value\n2\n3\n", "value\n4\n" };
	for (size_t i = 0; i < n; i++) {
		char suffix[32];
		snprintf(suffix, sizeof(suffix), ".c%03zu.csv", i);
		cr_expect(strstr(files[i], suffix), "%s", files[i]);
		char *got = slurp(files[i]);
		cr_expect_str_eq(got, want[i]);
		free(got);
	}
	sl_file_sink_list_free(files, n);
	tsink_close(&t);
}

/* Rows cross the write chunk: the output is whole and in order. */
static void big_batch(void)
{
	tsink t;
	sl_err err = { 0 };
	const char *path = out_path("big");
	const int64_t n = 200000;

	cr_assert_eq(tsink_open(&t, &sl_sink_file_text, &s_line,
				(const char *[]){ "path", path, NULL }, &err),
		     0, "%s", err.msg);
	for (int64_t lo = 0; lo < n; lo += 1000) {
		sl_batch *b = sl_batch_new(&s_line, 1000);
		for (int64_t v = lo; v < lo + 1000; v++) {
			char s[32];
			snprintf(s, sizeof(s), "line %lld", (long long)v);
			sl_batch_add_row(b)[0] = astr(b, s);
		}
		tsink_write(&t, b);
	}
	tsink_commit(&t, 0);
	char *all = listed_text(path);
	char *p = all;
	for (int64_t v = 0; v < n; v++) {
		char s[32];
		int l = snprintf(s, sizeof(s), "line %lld\n", (long long)v);
		cr_assert(!strncmp(p, s, (size_t)l), "row %lld", (long long)v);
		p += l;
	}
	cr_expect_eq(*p, '\0');
	free(all);
	tsink_close(&t);
}

Test(file_sink, big_batch_in_order, .init = mk_tmp, .fini = rm_tmp)
{
	big_batch();
}

/* The plain system-call path writes the same bytes. */
Test(file_sink, big_batch_without_io_uring, .init = mk_tmp, .fini = rm_tmp)
{
	setenv("SLUICE_NO_URING", "1", 1);
	big_batch();
}

/* ---- end to end ------------------------------------------------------- */

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* rate-micro-batch -> json through the public API, trigger once: every
 * row of the batch is in the committed output once. */
Test(file_sink, query_rate_to_json_once, .init = mk_tmp, .fini = rm_tmp)
{
	const char *path = out_path("q");
	sl_session *s = sl_session_new();

	cr_assert_not_null(sl_sink_lookup("json"),
			   "sink 'json' is not registered in io/registry.c");
	sl_frame *in = sl_read_stream(
		s, "rate-micro-batch",
		OPTS("rowsPerBatch", "500", "numPartitions", "3"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_frame *o = sl_frame_select(in, OPTS("value"));
	cr_assert_not_null(o, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		o, "json", OPTS("path", path, "trigger", "once"), NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_query_await(q, 10000), 1, "%s",
		     sl_query_exception(q) ? sl_query_exception(q) : "");
	sl_query_stop(q);
	sl_session_destroy(s);
	expect_each_once(path, 500);
}

/* The file sink refuses what Spark's refuses: continuous triggers and
 * output modes other than append. */
Test(file_sink, query_refuses_continuous_and_complete, .init = mk_tmp,
     .fini = rm_tmp)
{
	sl_session *s = sl_session_new();

	cr_assert_not_null(sl_sink_lookup("csv"),
			   "sink 'csv' is not registered in io/registry.c");
	sl_frame *in = sl_read_stream(s, "rate", NULL);
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	cr_expect_null(sl_frame_start(
		in, "csv",
		OPTS("path", out_path("c"), "trigger", "continuous 1 second"),
		NULL));
	cr_expect(strstr(sl_session_errmsg(s), "continuous"), "%s",
		  sl_session_errmsg(s));
	cr_expect_null(sl_frame_start(
		in, "csv",
		OPTS("path", out_path("c"), "outputMode", "complete"), NULL));
	sl_session_destroy(s);
}

/* ---- console through the I/O layer ------------------------------------- */

typedef struct drain {
	int fd;
	char *buf;
	size_t len, cap;
} drain;

/* Reads a pipe slowly, so that the writer finds it full. */
static void *drain_main(void *arg)
{
	drain *d = arg;
	struct pollfd p = { .fd = d->fd, .events = POLLIN };

	for (;;) {
		if (d->len + 4096 > d->cap) {
			d->cap = d->cap ? d->cap * 2 : 65536;
			d->buf = realloc(d->buf, d->cap);
		}
		poll(&p, 1, -1);
		usleep(200);
		ssize_t r = read(d->fd, d->buf + d->len, 4096);
		if (r == 0)
			break;
		if (r > 0)
			d->len += (size_t)r;
	}
	return NULL;
}

static size_t console_bytes(int fd, bool nonblock, int rows)
{
	tsink t;
	sl_err err = { 0 };
	int p[2];
	drain d = { 0 };
	pthread_t th;

	cr_assert_eq(pipe(p), 0);
	if (nonblock)
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	memset(&t, 0, sizeof(t));
	sl_arena_init(&t.arena);
	t.sk.ops = &sl_sink_console;
	t.sk.conf = sl_arena_calloc(&t.arena, sl_sink_console.conf_size);
	sl_kvs given = { 0 };
	sl_kvs_add(&given, &t.arena, "numRows", "1000000");
	cr_assert_eq(sl_options_apply(sl_sink_console.options, t.sk.conf,
				      &given, NULL, "console", &t.arena, &err),
		     0);
	t.sk.schema = &s_long;
	t.sk.console_fd = fd >= 0 ? fd : p[1];
	cr_assert_eq(sl_sink_console.init(&t.sk, &err), 0);
	d.fd = p[0];
	pthread_create(&th, NULL, drain_main, &d);
	tsink_write(&t, longs(0, rows));
	cr_assert_eq(sl_sink_console.commit(&t.sk, 0), 0, "%s", t.sk.err.msg);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	/* every row is there, then the closing border and a blank line */
	char last[64];
	snprintf(last, sizeof(last), "|%*d|\n", 5, rows - 1);
	cr_expect(d.len > 0 && memmem(d.buf, d.len, last, strlen(last)),
		  "last row missing");
	cr_expect(d.len >= 2 && d.buf[d.len - 1] == '\n' &&
		  d.buf[d.len - 2] == '\n');
	free(d.buf);
	tsink_close(&t);
	return d.len;
}

Test(file_sink, console_pipe_blocking_and_non_blocking)
{
	/* 20,000 rows: ~160 KB, more than a pipe holds */
	size_t a = console_bytes(-1, false, 20000);
	size_t b = console_bytes(-1, true, 20000);

	cr_expect_eq(a, b);
	cr_expect_gt(a, 65536);
}
