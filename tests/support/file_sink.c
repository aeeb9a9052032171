/* tests/support/file_sink.c - a file sink under test, driven as the sink
 * thread drives it, and the rows and files its tests look at
 * (tests/support/file_sink.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/sink_file.h"
#include "tests/support/file_sink.h"
#include "tests/support/tmpdir.h"

/* ---- schemas and rows ------------------------------------------------- */

static sl_field f_mix[] = {
	{ "id", &sl_dtype_long, true },	     { "name", &sl_dtype_string, true },
	{ "ts", &sl_dtype_timestamp, true }, { "x", &sl_dtype_double, true },
	{ "ok", &sl_dtype_bool, true },
};
const sl_schema sl_test_s_mix = { 5, f_mix };

static sl_field f_line[] = { { "value", &sl_dtype_string, true } };
const sl_schema sl_test_s_line = { 1, f_line };

static sl_field f_long[] = { { "value", &sl_dtype_long, false } };
const sl_schema sl_test_s_long = { 1, f_long };

static sl_field f_geo[] = {
	{ "country", &sl_dtype_string, true },
	{ "year", &sl_dtype_int, true },
	{ "n", &sl_dtype_long, true },
};
const sl_schema sl_test_s_geo = { 3, f_geo };

sl_value sl_test_astr(sl_batch *b, const char *s)
{
	size_t n = strlen(s);

	return sl_v_str(sl_arena_strndup(&b->arena, s, n), (uint32_t)n);
}

void sl_test_mix_add(sl_batch *b, int64_t id, const char *name, int64_t ts,
		     double x, int ok)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = id < 0 ? sl_v_null() : sl_v_long(id);
	r[1] = name ? sl_test_astr(b, name) : sl_v_null();
	r[2] = ts < 0 ? sl_v_null() : sl_v_ts(ts);
	r[3] = x < -1e300 ? sl_v_null() : sl_v_double(x);
	r[4] = ok < 0 ? sl_v_null() : sl_v_bool(ok);
}

sl_batch *sl_test_lines(const char *const *v, uint32_t n)
{
	sl_batch *b = sl_batch_new(&sl_test_s_line, n);

	for (uint32_t i = 0; i < n; i++)
		sl_batch_add_row(b)[0] =
			v[i] ? sl_test_astr(b, v[i]) : sl_v_null();
	return b;
}

/* values lo .. hi-1 */
sl_batch *sl_test_longs(int64_t lo, int64_t hi)
{
	sl_batch *b = sl_batch_new(&sl_test_s_long, (uint32_t)(hi - lo));

	for (int64_t v = lo; v < hi; v++)
		sl_batch_add_row(b)[0] = sl_v_long(v);
	return b;
}

void sl_test_geo_add(sl_batch *b, const char *country, int year, int64_t n)
{
	sl_value *r = sl_batch_add_row(b);

	r[0] = country ? sl_test_astr(b, country) : sl_v_null();
	r[1] = year < 0 ? sl_v_null() : sl_v_int(year);
	r[2] = sl_v_long(n);
}

/* ---- a sink under test ------------------------------------------------ */


/* ---- files ------------------------------------------------------------ */

char *sl_test_sink_dir;

void sl_test_sink_mkdir(void)
{
	sl_test_sink_dir = sl_test_tmpdir("sl_fsink");
}

void sl_test_sink_rmdir(void)
{
	if (sl_test_sink_dir)
		sl_test_tmpdir_free(sl_test_sink_dir);
	sl_test_sink_dir = NULL;
}

/* sl_test_sink_dir/sub, in one of a few static buffers (a test holds several).
 */
const char *sl_test_out_path(const char *sub)
{
	static char p[8][512];
	static unsigned k;
	char *b = p[k++ % 8];

	snprintf(b, 512, "%s/%s", sl_test_sink_dir, sub);
	return b;
}

/* A whole file, NUL-terminated; caller frees. */
/* The committed files of the sink at path; asserts success. */
char **sl_test_listed(const char *path, size_t *n)
{
	char **files;
	sl_err err = { 0 };

	cr_assert_eq(sl_file_sink_list(path, &files, n, &err), 0, "%s",
		     err.msg);
	return files;
}

/* The concatenated contents of every committed file (commit order). */
char *sl_test_listed_text(const char *path)
{
	size_t n, len = 0;
	char **files = sl_test_listed(path, &n);
	char *all = calloc(1, 1);

	for (size_t i = 0; i < n; i++) {
		char *s = sl_test_read_file(files[i]);
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
int sl_test_count_parts(const char *dir)
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
			n += sl_test_count_parts(p);
		else if (!strncmp(de->d_name, "part-", 5))
			n++;
	}
	closedir(d);
	return n;
}

bool sl_test_is_part_name(const char *base, const char *ext)
{
	/* part-00000-<36-char uuid>.c000<ext> */
	return strlen(base) == 5 + 6 + 36 + 5 + strlen(ext) &&
	       !strncmp(base, "part-00000-", 11) && base[19] == '-' &&
	       !strncmp(base + 47, ".c000", 5) && !strcmp(base + 52, ext);
}
