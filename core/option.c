/* core/option.c - option tables: parse, validate and document the options of
 * a source, a sink or the writer.
 *
 * Every component declares its options once, in a table of sl_opt_def
 * (core/plugin.h). The same table fills the component's conf struct here,
 * rejects what it does not know with a message that says what it does know,
 * and prints the Markdown that docs/OPTIONS.md is generated from, so the
 * reference cannot drift from the code. Runs when a frame or query is built,
 * never on the data path. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/option.h"

/* ---- key/value lists -------------------------------------------------- */

void sl_kvs_add(sl_kvs *k, sl_arena *a, const char *key, const char *value)
{
	if (k->n == k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : 8;
		sl_kv *kv = sl_arena_alloc(a, cap * sizeof(*kv));

		/* The old array stays in the arena: arenas free all at once,
		 * and option lists are small and built once per plan. */
		if (k->n)
			memcpy(kv, k->kv, k->n * sizeof(*kv));
		k->kv = kv;
		k->cap = cap;
	}
	k->kv[k->n].key = sl_arena_strdup(a, key);
	k->kv[k->n].value = sl_arena_strdup(a, value ? value : "");
	k->n++;
}

const char *sl_kvs_get(const sl_kvs *k, const char *key)
{
	if (!k)
		return NULL;
	/* The last one wins, as when Spark's DataStreamReader.option() is
	 * called twice with the same key. */
	for (uint32_t i = k->n; i-- > 0;)
		if (!strcasecmp(k->kv[i].key, key))
			return k->kv[i].value;
	return NULL;
}

/* ---- durations -------------------------------------------------------- */

struct dur_unit {
	const char *name;
	double ms;
};

/* Spark's interval words (singular and plural) plus the short forms of
 * JavaUtils.timeStringAs ("10s", "500ms"), which users mix freely. Months and
 * years are left out: they have no fixed length, and Spark rejects them in
 * triggers too. */
/* clang-format off */
static const struct dur_unit dur_units[] = {
	{ "us", 0.001 }, { "usec", 0.001 },
	{ "microsecond", 0.001 }, { "microseconds", 0.001 },
	{ "ms", 1 }, { "msec", 1 }, { "milli", 1 }, { "millis", 1 },
	{ "millisecond", 1 }, { "milliseconds", 1 },
	{ "s", 1e3 }, { "sec", 1e3 }, { "secs", 1e3 },
	{ "second", 1e3 }, { "seconds", 1e3 },
	{ "m", 60e3 }, { "min", 60e3 }, { "mins", 60e3 },
	{ "minute", 60e3 }, { "minutes", 60e3 },
	{ "h", 3600e3 }, { "hr", 3600e3 }, { "hrs", 3600e3 },
	{ "hour", 3600e3 }, { "hours", 3600e3 },
	{ "d", 86400e3 }, { "day", 86400e3 }, { "days", 86400e3 },
	{ "w", 604800e3 }, { "week", 604800e3 }, { "weeks", 604800e3 },
	{ NULL, 0 },
};
/* clang-format on */

static const struct dur_unit *dur_unit_find(const char *s, size_t len)
{
	for (const struct dur_unit *u = dur_units; u->name; u++)
		if (strlen(u->name) == len && !strncasecmp(u->name, s, len))
			return u;
	return NULL;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* More than this many milliseconds (about 285 years) is surely a typo, and
 * keeps the double arithmetic below exact to the millisecond. */
#define DUR_MAX_MS 9e15

int sl_duration_parse(const char *text, int64_t *ms, sl_err *err)
{
	const char *s;
	double total = 0;
	int pairs = 0;

	if (!text)
		text = "";
	s = skip_space(text);
	if (!*s)
		return sl_err_set(err, SL_EINVAL,
				  "duration '%s' is empty; write e.g. "
				  "'10 seconds', '500 ms' or '1 minute'",
				  text);
	/* SQL's INTERVAL literal prefix, as in "interval 10 minutes". */
	if (!strncasecmp(s, "interval", 8) &&
	    (isspace((unsigned char)s[8]) || !s[8]))
		s = skip_space(s + 8);

	/* One or more "<number> <unit>" pairs ("1 minute 30 seconds"), or one
	 * bare number of milliseconds. */
	while (*s) {
		const char *num = s, *unit;
		char *endp;
		double v;
		const struct dur_unit *u;

		if (*s == '-')
			return sl_err_set(err, SL_EINVAL,
					  "duration '%s' is negative; "
					  "durations must be >= 0",
					  text);
		if (!isdigit((unsigned char)*s) && *s != '.' && *s != '+')
			return sl_err_set(err, SL_EINVAL,
					  "duration '%s': expected a number at "
					  "'%s'",
					  text, s);
		errno = 0;
		v = strtod(num, &endp);
		if (endp == num || errno || !isfinite(v))
			return sl_err_set(err, SL_EINVAL,
					  "duration '%s': '%.*s' is not a "
					  "number",
					  text, (int)strcspn(num, " \t"), num);
		s = skip_space(endp);
		unit = s;
		while (isalpha((unsigned char)*s))
			s++;
		if (s == unit) {
			/* A bare number is milliseconds, like Spark's
			 * Trigger.ProcessingTime(long) - but only alone. */
			if (pairs || *skip_space(s))
				return sl_err_set(err, SL_EINVAL,
						  "duration '%s': missing unit "
						  "after '%.*s'",
						  text, (int)(endp - num), num);
			total = v;
			pairs++;
			break;
		}
		u = dur_unit_find(unit, (size_t)(s - unit));
		if (!u)
			return sl_err_set(err, SL_EINVAL,
					  "duration '%s': unknown unit '%.*s' "
					  "(use ms, seconds, minutes, hours, "
					  "days or weeks)",
					  text, (int)(s - unit), unit);
		total += v * u->ms;
		pairs++;
		s = skip_space(s);
	}
	if (!pairs)
		return sl_err_set(err, SL_EINVAL, "duration '%s' has no number",
				  text);
	if (total > DUR_MAX_MS)
		return sl_err_set(err, SL_EINVAL, "duration '%s' is too large",
				  text);
	/* Round to the nearest millisecond: "1.5 ms" is 2 ms, not 1. */
	*ms = (int64_t)llround(total);
	return 0;
}

/* ---- applying a table ------------------------------------------------- */

/* Names longer than the buffer are not worth suggesting for. */
#define EDIT_MAX 64

int sl_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int prev[EDIT_MAX + 1], cur[EDIT_MAX + 1];

	if (la > EDIT_MAX || lb > EDIT_MAX)
		return 1 << 20;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub =
			    prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
					   tolower((unsigned char)b[j - 1]));
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			int m = sub < del ? sub : del;

			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(int));
	}
	return prev[lb];
}

static int unknown_option(const sl_opt_def *table, const char *key,
			  const char *comp, sl_err *err)
{
	char known[320];
	sl_buf kb;
	const char *best = NULL;
	int bestd = 1 << 20;

	sl_buf_fixed(&kb, known, sizeof(known));
	for (const sl_opt_def *d = table; d && d->name; d++) {
		int dist = sl_edit_distance(key, d->name);

		if (dist < bestd) {
			bestd = dist;
			best = d->name;
		}
		sl_buf_printf(&kb, "%s%s%s", kb.len ? ", " : "", d->name,
			  d->type == SL_OPT_PREFIX ? "*" : "");
	}
	sl_buf_cstr(&kb);
	if (kb.len >= sizeof(known))
		strcpy(known + sizeof(known) - 5, " ...");
	/* Two edits catch most typos; longer names may drift a bit more. */
	if (best && (bestd <= 2 || (size_t)bestd * 3 <= strlen(best)))
		return sl_err_set(err, SL_EOPTION,
				  "%s: unknown option '%s'; did you mean '%s'? "
				  "(known: %s)",
				  comp, key, best, known[0] ? known : "none");
	return sl_err_set(err, SL_EOPTION,
			  "%s: unknown option '%s' (known: %s)", comp, key,
			  known[0] ? known : "none");
}

static bool has_min(const sl_opt_def *d)
{
	return d->min != d->max && isfinite(d->min);
}

static bool has_max(const sl_opt_def *d)
{
	return d->min != d->max && isfinite(d->max);
}

/* "must be >= 1", "must be between 1 and 1024": the range in words. */
static void range_text(const sl_opt_def *d, char *buf, size_t n)
{
	const char *u = d->type == SL_OPT_DURATION ? " ms" : "";

	if (has_min(d) && has_max(d))
		snprintf(buf, n, "between %.15g%s and %.15g%s", d->min, u,
			 d->max, u);
	else if (has_min(d))
		snprintf(buf, n, ">= %.15g%s", d->min, u);
	else if (has_max(d))
		snprintf(buf, n, "<= %.15g%s", d->max, u);
	else
		buf[0] = 0;
}

static int check_range(const sl_opt_def *d, double v, const char *text,
		       const char *comp, sl_err *err)
{
	char r[96];

	if ((has_min(d) && v < d->min) || (has_max(d) && v > d->max)) {
		range_text(d, r, sizeof(r));
		return sl_err_set(err, SL_EOPTION,
				  "%s: option '%s' = '%s' is out of range: "
				  "must be %s",
				  comp, d->name, text, r);
	}
	return 0;
}

/* Parses text as the value of d into conf. `text` is either what the user
 * gave or d->def. */
static int apply_one(const sl_opt_def *d, void *conf, const char *text,
		     const char *comp, sl_arena *a, sl_err *err)
{
	char *field = (char *)conf + d->offset;
	const char *s = skip_space(text);
	char *endp;

	switch (d->type) {
	case SL_OPT_STRING:
		*(const char **)field = sl_arena_strdup(a, text);
		return 0;
	case SL_OPT_INT: {
		long long v;

		errno = 0;
		v = strtoll(s, &endp, 10);
		if (endp == s || *skip_space(endp)) {
			/* "1.5" is a number, just not one this option takes. */
			(void)strtod(s, &endp);
			if (endp != s && !*skip_space(endp))
				return sl_err_set(
				    err, SL_EOPTION,
				    "%s: option '%s' = '%s' is not "
				    "a whole number",
				    comp, d->name, text);
			return sl_err_set(err, SL_EOPTION,
					  "%s: option '%s' = '%s' is not a "
					  "number",
					  comp, d->name, text);
		}
		if (errno == ERANGE ||
		    check_range(d, (double)v, text, comp, err)) {
			if (errno == ERANGE)
				return sl_err_set(err, SL_EOPTION,
						  "%s: option '%s' = '%s' is "
						  "out of range",
						  comp, d->name, text);
			return SL_EOPTION;
		}
		*(int64_t *)field = v;
		return 0;
	}
	case SL_OPT_DOUBLE: {
		double v;

		errno = 0;
		v = strtod(s, &endp);
		if (endp == s || *skip_space(endp) || !isfinite(v))
			return sl_err_set(err, SL_EOPTION,
					  "%s: option '%s' = '%s' is not a "
					  "number",
					  comp, d->name, text);
		if (check_range(d, v, text, comp, err))
			return SL_EOPTION;
		*(double *)field = v;
		return 0;
	}
	case SL_OPT_BOOL: {
		size_t len = strlen(s);

		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == 4 && !strncasecmp(s, "true", 4))
			*(bool *)field = true;
		else if (len == 5 && !strncasecmp(s, "false", 5))
			*(bool *)field = false;
		else
			return sl_err_set(err, SL_EOPTION,
					  "%s: option '%s' = '%s' is not a "
					  "boolean (true or false)",
					  comp, d->name, text);
		return 0;
	}
	case SL_OPT_DURATION: {
		int64_t ms;
		sl_err derr;

		if (sl_duration_parse(text, &ms, &derr))
			return sl_err_set(err, SL_EOPTION,
					  "%s: option '%s' = '%s' is not a "
					  "duration: %s",
					  comp, d->name, text, derr.msg);
		if (check_range(d, (double)ms, text, comp, err))
			return SL_EOPTION;
		*(int64_t *)field = ms;
		return 0;
	}
	case SL_OPT_ENUM: {
		char allowed[256];
		sl_buf ab;
		size_t len = strlen(s);

		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		sl_buf_fixed(&ab, allowed, sizeof(allowed));
		for (int i = 0; d->allowed && d->allowed[i]; i++) {
			if (strlen(d->allowed[i]) == len &&
			    !strncasecmp(d->allowed[i], s, len)) {
				*(int *)field = i;
				return 0;
			}
			sl_buf_printf(&ab, "%s%s", i ? ", " : "", d->allowed[i]);
		}
		sl_buf_cstr(&ab);
		return sl_err_set(err, SL_EOPTION,
				  "%s: option '%s' = '%s' is not one of: %s",
				  comp, d->name, text, allowed);
	}
	case SL_OPT_PREFIX:
		break;
	}
	return sl_err_set(err, SL_EOPTION, "%s: option '%s' has a bad type",
			  comp, d->name);
}

static void clear_field(const sl_opt_def *d, void *conf)
{
	char *field = (char *)conf + d->offset;

	switch (d->type) {
	case SL_OPT_STRING:
		*(const char **)field = NULL;
		break;
	case SL_OPT_INT:
	case SL_OPT_DURATION:
		*(int64_t *)field = 0;
		break;
	case SL_OPT_DOUBLE:
		*(double *)field = 0;
		break;
	case SL_OPT_BOOL:
		*(bool *)field = false;
		break;
	case SL_OPT_ENUM:
		*(int *)field = 0;
		break;
	case SL_OPT_PREFIX:
		memset(field, 0, sizeof(sl_kvs));
		break;
	}
}

static bool in_list(const char *const *list, const char *key)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcasecmp(list[i], key))
			return true;
	return false;
}

static bool has_prefix(const char *key, const char *prefix)
{
	return !strncasecmp(key, prefix, strlen(prefix));
}

int sl_options_apply(const sl_opt_def *table, void *conf, const sl_kvs *given,
		     const char *const *ignore, const char *component,
		     sl_arena *a, sl_err *err)
{
	const char *comp = component ? component : "options";
	int rc;

	for (const sl_opt_def *d = table; d && d->name; d++) {
		clear_field(d, conf);
		if (d->def && d->type != SL_OPT_PREFIX &&
		    (rc = apply_one(d, conf, d->def, comp, a, err)))
			return rc;
	}

	for (uint32_t i = 0; given && i < given->n; i++) {
		const char *key = given->kv[i].key, *val = given->kv[i].value;
		const sl_opt_def *exact = NULL;
		bool taken = false;

		if (!val)
			val = "";
		if (in_list(ignore, key))
			continue;
		for (const sl_opt_def *d = table; d && d->name; d++)
			if (d->type != SL_OPT_PREFIX &&
			    !strcasecmp(d->name, key)) {
				exact = d;
				break;
			}
		if (exact) {
			if ((rc = apply_one(exact, conf, val, comp, a, err)))
				return rc;
			taken = true;
		}
		/* A prefix entry also collects keys that have an entry of their
		 * own, so "kafka.bootstrap.servers" can be documented and
		 * required by name and still reach the client library with the
		 * rest of "kafka.*". */
		for (const sl_opt_def *d = table; d && d->name; d++) {
			if (d->type != SL_OPT_PREFIX ||
			    !has_prefix(key, d->name))
				continue;
			sl_kvs_add((sl_kvs *)((char *)conf + d->offset), a,
				   key + strlen(d->name), val);
			taken = true;
		}
		if (!taken)
			return unknown_option(table, key, comp, err);
	}

	for (const sl_opt_def *d = table; d && d->name; d++) {
		bool found = false;

		if (!d->required)
			continue;
		for (uint32_t i = 0; given && i < given->n && !found; i++)
			found = d->type == SL_OPT_PREFIX
				    ? has_prefix(given->kv[i].key, d->name)
				    : !strcasecmp(given->kv[i].key, d->name);
		if (!found)
			return sl_err_set(err, SL_EOPTION,
					  "%s: option '%s' is required", comp,
					  d->name);
	}

	return 0;
}

int sl_options_finalize(const char *(*finalize)(const void *conf),
			const void *conf, const char *component, sl_err *err)
{
	const char *msg = finalize ? finalize(conf) : NULL;
	if (!msg)
		return 0;
	return sl_err_set(err, SL_EOPTION, "%s: %s",
			  component ? component : "options", msg);
}

/* ---- Markdown --------------------------------------------------------- */

static const char *type_name(sl_opt_type t)
{
	switch (t) {
	case SL_OPT_STRING:
		return "string";
	case SL_OPT_INT:
		return "int";
	case SL_OPT_DOUBLE:
		return "double";
	case SL_OPT_BOOL:
		return "bool";
	case SL_OPT_DURATION:
		return "duration";
	case SL_OPT_ENUM:
		return "enum";
	case SL_OPT_PREFIX:
		return "passthrough";
	}
	return "?";
}

/* Table cells may not hold '|' or line breaks. */
static void markdown_cell(sl_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			sl_buf_puts(b, "\\|");
		else if (*s == '\n')
			sl_buf_putc(b, ' ');
		else
			sl_buf_putc(b, *s);
	}
}

size_t sl_options_markdown(const sl_opt_def *table, const char *title,
			   const char *intro, char *buf, size_t n)
{
	sl_buf b;

	sl_buf_fixed(&b, buf, buf ? n : 0);
	if (title)
		sl_buf_printf(&b, "## %s\n\n", title);
	if (intro && *intro)
		sl_buf_printf(&b, "%s\n\n", intro);
	if (!table || !table->name) {
		sl_buf_printf(&b, "No options.\n\n");
		sl_buf_cstr(&b);
		return b.len;
	}
	sl_buf_printf(&b, "| option | type | default | allowed / range | "
		      "description |\n");
	sl_buf_printf(&b, "| --- | --- | --- | --- | --- |\n");
	for (const sl_opt_def *d = table; d->name; d++) {
		char r[96];

		sl_buf_printf(&b, "| `%s%s` | %s | ", d->name,
			  d->type == SL_OPT_PREFIX ? "*" : "",
			  type_name(d->type));
		if (d->required)
			sl_buf_printf(&b, "required");
		else if (d->def && *d->def)
			sl_buf_printf(&b, "`%s`", d->def);
		else if (d->def)
			sl_buf_printf(&b, "`\"\"`");
		sl_buf_printf(&b, " | ");
		switch (d->type) {
		case SL_OPT_ENUM:
			for (int i = 0; d->allowed && d->allowed[i]; i++)
				sl_buf_printf(&b, "%s`%s`", i ? ", " : "",
					  d->allowed[i]);
			break;
		case SL_OPT_BOOL:
			sl_buf_printf(&b, "`true`, `false`");
			break;
		case SL_OPT_INT:
		case SL_OPT_DOUBLE:
		case SL_OPT_DURATION:
			range_text(d, r, sizeof(r));
			sl_buf_printf(&b, "%s", r);
			break;
		default:
			break;
		}
		sl_buf_printf(&b, " | ");
		markdown_cell(&b, d->desc);
		sl_buf_printf(&b, " |\n");
	}
	sl_buf_printf(&b, "\n");
	sl_buf_cstr(&b);
	return b.len;
}

bool sl_option_secret(const char *key)
{
	static const char *const words[] = { "password", "secret", "jaas",
					     "oauthbearer.config", "key.pem",
					     "ssl_key", "token", NULL };

	for (int i = 0; key && words[i]; i++)
		if (strcasestr(key, words[i]))
			return true;
	return false;
}
