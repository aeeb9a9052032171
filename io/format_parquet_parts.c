/* io/format_parquet_parts.c - partition directories under a Parquet
 * source's directory, Spark's layout: `col=value/` directories (nested
 * in column order; Spark hides names that start with . or _, but not
 * _x=y directories), the files inside. The file source lists their files
 * (SL_FORMAT_PARTITIONS, io/source_file_catalog.c); here the walk that
 * finds the first file and the partition columns for the schema, each
 * column's type inferred from all its values as Spark does (INT, else
 * BIGINT, DATE for yyyy-mm-dd, else STRING; __HIVE_DEFAULT_PARTITION__ is
 * null; %XX escapes undone), and the value of a partition column in one
 * file's path. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "expr/expr.h"
#include "io/parquet_read.h"

#define PQ_PART_DEPTH 16 /* as the file source lists them */
#define PQ_PART_NULL "__HIVE_DEFAULT_PARTITION__"

/* Kinds in the order they widen; any two different give STRING, except
 * INT and BIGINT. */
enum { PK_NONE, PK_INT, PK_LONG, PK_DATE, PK_STRING };

static bool hidden(const char *name)
{
	return name[0] == '.' || name[0] == '_';
}

/* Undoes Spark's escaping of partition values (%XX) into out (n + 1
 * bytes at least). */
static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static void unescape(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[k++] = (char)(hexval(s[i + 1]) * 16 +
					  hexval(s[i + 2]));
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
}

static bool all_digits(const char *s, size_t from)
{
	if (!s[from])
		return false;
	for (size_t i = from; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int value_kind(const char *v)
{
	size_t n = strlen(v);
	bool neg = v[0] == '-';

	if (!strcmp(v, PQ_PART_NULL))
		return PK_NONE;
	if (all_digits(v, neg) && n - neg <= 19) {
		errno = 0;
		long long x = strtoll(v, NULL, 10);

		if (errno)
			return PK_STRING;
		return x >= INT32_MIN && x <= INT32_MAX ? PK_INT : PK_LONG;
	}
	if (n == 10 && v[4] == '-' && v[7] == '-') {
		char y[5] = { v[0], v[1], v[2], v[3], 0 };
		char m[3] = { v[5], v[6], 0 }, d[3] = { v[8], v[9], 0 };

		if (all_digits(y, 0) && all_digits(m, 0) && all_digits(d, 0))
			return PK_DATE;
	}
	return PK_STRING;
}

static int widen(int a, int b)
{
	if (a == PK_NONE || a == b)
		return b;
	if (b == PK_NONE)
		return a;
	if ((a == PK_INT || a == PK_LONG) && (b == PK_INT || b == PK_LONG))
		return PK_LONG;
	return PK_STRING;
}

static void add_column(struct pq_parts *p, const char *seg)
{
	const char *eq = strchr(seg, '=');
	size_t kn = (size_t)(eq - seg);
	char *v = sl_xrealloc(NULL, strlen(eq + 1) + 1);
	uint32_t i;

	unescape(eq + 1, strlen(eq + 1), v);
	for (i = 0; i < p->ncols; i++)
		if (strlen(p->cols[i].name) == kn &&
		    !strncasecmp(p->cols[i].name, seg, kn))
			break;
	if (i == p->ncols) {
		if (p->ncols == PQ_MAX_PARTS) {
			free(v);
			return;
		}
		p->cols[i].name = sl_xrealloc(NULL, kn + 1);
		memcpy(p->cols[i].name, seg, kn);
		p->cols[i].name[kn] = '\0';
		p->cols[i].kind = PK_NONE;
		p->ncols++;
	}
	p->cols[i].kind = widen(p->cols[i].kind, value_kind(v));
	free(v);
}

static void walk(struct pq_parts *p, const char *dir, const char *rel,
		 const char *glob, int depth)
{
	char path[4352];
	DIR *d;
	struct dirent *de;
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char sub[4096];

		if (hidden(de->d_name) &&
		    !(de->d_name[0] == '_' && strchr(de->d_name, '=')))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < PQ_PART_DEPTH &&
			    strchr(de->d_name + 1, '=')) {
				add_column(p, de->d_name);
				walk(p, dir, sub, glob, depth + 1);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) || hidden(de->d_name) ||
		    (glob && fnmatch(glob, de->d_name, FNM_PERIOD)))
			continue;
		if (!p->first || strcmp(sub, p->first) < 0) {
			free(p->first);
			p->first = sl_xstrdup(sub);
		}
	}
	closedir(d);
}

void pq_parts_find(struct pq_parts *p, const char *dir, const char *glob)
{
	memset(p, 0, sizeof(*p));
	if (dir)
		walk(p, dir, "", glob, 0);
}

void pq_parts_free(struct pq_parts *p)
{
	for (uint32_t i = 0; i < p->ncols; i++)
		free(p->cols[i].name);
	free(p->first);
	memset(p, 0, sizeof(*p));
}

const sl_dtype *pq_parts_type(const struct pq_parts *p, uint32_t i)
{
	switch (p->cols[i].kind) {
	case PK_INT: return &sl_dtype_int;
	case PK_LONG: return &sl_dtype_long;
	case PK_DATE: return &sl_dtype_date;
	default: return &sl_dtype_string;
	}
}

bool pq_part_value(const char *path, const char *dir, const char *col,
		   const sl_dtype *t, sl_arena *a, sl_value *out)
{
	size_t dn = dir ? strlen(dir) : 0, cn = strlen(col);
	const char *s = path, *seg, *end;

	if (dir && !strncmp(path, dir, dn) && path[dn] == '/')
		s = path + dn + 1;
	/* The directories between the source's and the file's name. */
	for (seg = s; (end = strchr(seg, '/')); seg = end + 1) {
		size_t n = (size_t)(end - seg);
		char *v;
		sl_value str;

		if (n <= cn || seg[cn] != '=' || strncasecmp(seg, col, cn))
			continue;
		if (n - cn - 1 == strlen(PQ_PART_NULL) &&
		    !strncmp(seg + cn + 1, PQ_PART_NULL, n - cn - 1)) {
			*out = sl_v_null();
			return true;
		}
		v = sl_arena_alloc(a, n - cn);
		unescape(seg + cn + 1, n - cn - 1, v);
		str = sl_v_str(v, (uint32_t)strlen(v));
		if (t->id == SL_STRING)
			*out = str;
		else
			sl_cast_value(&str, &sl_dtype_string, t, a, out);
		return true;
	}
	return false;
}
