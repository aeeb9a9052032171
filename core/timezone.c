/* core/timezone.c - time zones by Spark's names (core/timezone.h): the
 * name rules of Spark's getZoneId and java.time's ZoneId.of, opening a
 * region's TZif file, the caller-owned cache, and the queries (offset at
 * an instant, local date-time to instant with java.time's gap and overlap
 * rules). The file format and the POSIX rules are core/timezone_file.c's. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/timezone_impl.h"

/* ---- names ----------------------------------------------------------- */

/* java.time's ZoneId.SHORT_IDS, as its documentation lists it. */
static const char *const short_ids[][2] = {
	{ "ACT", "Australia/Darwin" },
	{ "AET", "Australia/Sydney" },
	{ "AGT", "America/Argentina/Buenos_Aires" },
	{ "ART", "Africa/Cairo" },
	{ "AST", "America/Anchorage" },
	{ "BET", "America/Sao_Paulo" },
	{ "BST", "Asia/Dhaka" },
	{ "CAT", "Africa/Harare" },
	{ "CNT", "America/St_Johns" },
	{ "CST", "America/Chicago" },
	{ "CTT", "Asia/Shanghai" },
	{ "EAT", "Africa/Addis_Ababa" },
	{ "ECT", "Europe/Paris" },
	{ "EST", "-05:00" },
	{ "HST", "-10:00" },
	{ "IET", "America/Indiana/Indianapolis" },
	{ "IST", "Asia/Kolkata" },
	{ "JST", "Asia/Tokyo" },
	{ "MIT", "Pacific/Apia" },
	{ "MST", "-07:00" },
	{ "NET", "Asia/Yerevan" },
	{ "NST", "Pacific/Auckland" },
	{ "PLT", "Asia/Karachi" },
	{ "PNT", "America/Phoenix" },
	{ "PRT", "America/Puerto_Rico" },
	{ "PST", "America/Los_Angeles" },
	{ "SST", "Pacific/Guadalcanal" },
	{ "VST", "Asia/Ho_Chi_Minh" },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Spark's two rewrites (DateTimeUtils.getZoneId), kept from before 3.0:
 * the first "[+-]d:" anywhere becomes "[+-]0d:", then a trailing
 * "[+-]dd:d" becomes "[+-]dd:0d". out has room for len + 3. */
static void spark_rewrite(const char *in, char *out)
{
	size_t n = strlen(in), o = 0;
	bool done = false;

	for (size_t i = 0; i < n; i++) {
		out[o++] = in[i];
		if (!done && (in[i] == '+' || in[i] == '-') && i + 2 < n &&
		    is_digit(in[i + 1]) && in[i + 2] == ':') {
			out[o++] = '0';
			done = true;
		}
	}
	out[o] = '\0';
	if (o >= 5 && (out[o - 5] == '+' || out[o - 5] == '-') &&
	    is_digit(out[o - 4]) && is_digit(out[o - 3]) && out[o - 2] == ':' &&
	    is_digit(out[o - 1])) {
		out[o] = out[o - 1];
		out[o - 1] = '0';
		out[o + 1] = '\0';
	}
}

/* Java's ZoneOffset id: "Z", "+hh:mm", "+hh:mm:ss". */
static void offset_id(int32_t off, char *buf, size_t cap)
{
	int32_t a = off < 0 ? -off : off;

	if (off == 0)
		snprintf(buf, cap, "Z");
	else if (a % 60)
		snprintf(buf, cap, "%c%02d:%02d:%02d", off < 0 ? '-' : '+',
			 a / 3600, a / 60 % 60, a % 60);
	else
		snprintf(buf, cap, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600,
			 a / 60 % 60);
}

/* Two digits at s[pos], after a ':' when colon (ZoneOffset.parseNumber). */
static int two_digits(const char *s, size_t pos, bool colon, sl_err *err)
{
	if (colon && s[pos - 1] != ':')
		return sl_err_set(
			err, SL_EINVAL,
			"Invalid ID for ZoneOffset, invalid format: %s", s);
	if (!is_digit(s[pos]) || !is_digit(s[pos + 1]))
		return sl_err_set(err, SL_EINVAL,
				  "Invalid ID for ZoneOffset, non numeric "
				  "characters found: %s",
				  s);
	return (s[pos] - '0') * 10 + (s[pos + 1] - '0');
}

/* java.time's ZoneOffset.of: "Z", [+-]h, hh, hhmm, hh:mm, hhmmss,
 * hh:mm:ss within +-18:00. */
static int parse_offset(const char *s, int32_t *off, sl_err *err)
{
	char buf[16];
	int h, m = 0, sec = 0;
	size_t n = strlen(s);

	if (strcmp(s, "Z") == 0) {
		*off = 0;
		return 0;
	}
	if (n == 2) { /* "+h" is "+0h" */
		buf[0] = s[0];
		buf[1] = '0';
		buf[2] = s[1];
		buf[3] = '\0';
		s = buf;
		n = 3;
	}
	switch (n) {
	case 3: h = two_digits(s, 1, false, err); break;
	case 5:
		if ((h = two_digits(s, 1, false, err)) >= 0)
			m = two_digits(s, 3, false, err);
		break;
	case 6:
		if ((h = two_digits(s, 1, false, err)) >= 0)
			m = two_digits(s, 4, true, err);
		break;
	case 7:
		if ((h = two_digits(s, 1, false, err)) >= 0 &&
		    (m = two_digits(s, 3, false, err)) >= 0)
			sec = two_digits(s, 5, false, err);
		break;
	case 9:
		if ((h = two_digits(s, 1, false, err)) >= 0 &&
		    (m = two_digits(s, 4, true, err)) >= 0)
			sec = two_digits(s, 7, true, err);
		break;
	default:
		return sl_err_set(
			err, SL_EINVAL,
			"Invalid ID for ZoneOffset, invalid format: %s", s);
	}
	if (h < 0 || m < 0 || sec < 0)
		return SL_EINVAL;
	if (s[0] != '+' && s[0] != '-')
		return sl_err_set(err, SL_EINVAL,
				  "Invalid ID for ZoneOffset, plus/minus not "
				  "found when expected: %s",
				  s);
	int sign = s[0] == '-' ? -1 : 1;
	if (h > 18)
		return sl_err_set(
			err, SL_EINVAL,
			"Zone offset hours not in valid range: value %d "
			"is not in the range -18 to 18",
			sign * h);
	if (m > 59)
		return sl_err_set(
			err, SL_EINVAL,
			"Zone offset minutes not in valid range: value "
			"%d is not in the range -59 to 59",
			sign * m);
	if (sec > 59)
		return sl_err_set(
			err, SL_EINVAL,
			"Zone offset seconds not in valid range: value "
			"%d is not in the range -59 to 59",
			sign * sec);
	if (h == 18 && (m || sec))
		return sl_err_set(err, SL_EINVAL,
				  "Zone offset not in valid range: -18:00 to "
				  "+18:00");
	*off = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

/* A name resolved: a fixed offset, or a region whose file to read. */
typedef struct tz_name {
	bool fixed;
	int32_t off;
	char id[SL_TZ_NAME_MAX + 16];
} tz_name;

/* ZoneRegion.checkName's form, and names that are files under zoneinfo
 * but not zones in Java's database (nor safe paths: "." and ".." parts). */
static int check_region(const char *s, sl_err *err)
{
	/* ROC: the JDK's tzdb compiler leaves it out. */
	static const char *const not_zones[] = { "posixrules", "localtime",
						 "Factory", "ROC" };
	const char *p = s;

	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) || !p[1])
		goto format;
	for (p = s + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      is_digit(*p) || strchr("~/._+-", *p)))
			goto format;
	for (size_t i = 0; i < sizeof(not_zones) / sizeof(not_zones[0]); i++)
		if (strcmp(s, not_zones[i]) == 0)
			goto unknown;
	if (strncmp(s, "posix/", 6) == 0 || strncmp(s, "right/", 6) == 0)
		goto unknown;
	for (p = s;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			goto unknown;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
format:
	return sl_err_set(err, SL_EINVAL,
			  "Invalid ID for region-based ZoneId, invalid format: "
			  "%s",
			  s);
unknown:
	return sl_err_set(err, SL_EINVAL, "Unknown time-zone ID: %s", s);
}

/* Spark's getZoneId up to the point of reading a file. */
static int resolve_name(const char *name, tz_name *r, sl_err *err)
{
	char buf[SL_TZ_NAME_MAX + 4];
	const char *s = buf;
	size_t plen = 0;
	int rc;

	if (!name)
		return sl_err_set(err, SL_EINVAL, "no time zone name");
	if (strlen(name) > SL_TZ_NAME_MAX)
		return sl_err_set(err, SL_EINVAL,
				  "time zone name longer than %d bytes",
				  SL_TZ_NAME_MAX);
	spark_rewrite(name, buf);
	for (size_t i = 0; i < sizeof(short_ids) / sizeof(short_ids[0]); i++)
		if (strcmp(s, short_ids[i][0]) == 0) {
			s = short_ids[i][1];
			break;
		}
	memset(r, 0, sizeof(*r));
	if (strlen(s) <= 1 || s[0] == '+' || s[0] == '-') {
		r->fixed = true;
		if ((rc = parse_offset(s, &r->off, err)) < 0)
			return rc;
		offset_id(r->off, r->id, sizeof(r->id));
		return 0;
	}
	if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
		plen = 3;
	else if (strncmp(s, "UT", 2) == 0)
		plen = 2;
	if (plen && (s[plen] == '\0' || s[plen] == '+' || s[plen] == '-')) {
		r->fixed = true;
		if (s[plen] && parse_offset(s + plen, &r->off, NULL) < 0)
			return sl_err_set(err, SL_EINVAL,
					  "Invalid ID for offset-based ZoneId: "
					  "%s",
					  s);
		/* ZoneId.ofOffset: the prefix alone for zero. */
		memcpy(r->id, s, plen);
		if (r->off)
			offset_id(r->off, r->id + plen, sizeof(r->id) - plen);
		else
			r->id[plen] = '\0';
		return 0;
	}
	if ((rc = check_region(s, err)) < 0)
		return rc;
	snprintf(r->id, sizeof(r->id), "%s", s);
	return 0;
}

/* ---- opening --------------------------------------------------------- */

static sl_tz *fixed_zone(const tz_name *r)
{
	sl_tz *z = sl_xcalloc(1, sizeof(*z));

	snprintf(z->id, sizeof(z->id), "%s", r->id);
	z->fixed = true;
	z->fixed_off = z->off_first = r->off;
	return z;
}

sl_tz *sl_tz_from_tzif(const char *id, const void *data, size_t len,
		       sl_err *err)
{
	sl_tz *z;

	if (!id || !data) {
		sl_err_set(err, SL_EINVAL, "sl_tz_from_tzif: no id or data");
		return NULL;
	}
	if (sl_tz_parse_tzif(id, data, len, &z, err) < 0)
		return NULL;
	snprintf(z->id, sizeof(z->id), "%s", id);
	return z;
}

/* Reads dir/id, a region's TZif file. */
static sl_tz *open_region(const char *dir, const char *id, sl_err *err)
{
	char path[4096];
	struct stat st;
	uint8_t *data;
	ssize_t got = 0;
	sl_tz *z = NULL;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, id) >=
	    sizeof(path)) {
		sl_err_set(err, SL_EINVAL, "time zone path too long: %s/%s",
			   dir, id);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			sl_err_set(err, SL_EINVAL, "Unknown time-zone ID: %s",
				   id);
		else
			sl_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* A directory (America) names no zone. */
		sl_err_set(err, SL_EINVAL, "Unknown time-zone ID: %s", id);
		close(fd);
		return NULL;
	}
	if (st.st_size > SL_TZ_FILE_MAX) {
		sl_err_set(err, SL_EIO, "%s: TZif file larger than %d bytes",
			   path, SL_TZ_FILE_MAX);
		close(fd);
		return NULL;
	}
	/* One byte more than the limit, to see a file that grew since. */
	data = sl_xrealloc(NULL, SL_TZ_FILE_MAX + 1);
	while ((size_t)got <= SL_TZ_FILE_MAX) {
		ssize_t k =
			read(fd, data + got, SL_TZ_FILE_MAX + 1 - (size_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sl_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		got += k;
	}
	/* Data files under zoneinfo (zone.tab, leapseconds, ...) are not
	 * zones, as they are not in Java's database: Java's message. */
	if (got < 4 || memcmp(data, "TZif", 4) != 0) {
		sl_err_set(err, SL_EINVAL, "Unknown time-zone ID: %s", id);
		goto out;
	}
	if (sl_tz_parse_tzif(path, data, (size_t)got, &z, err) == 0)
		snprintf(z->id, sizeof(z->id), "%s", id);
out:
	free(data);
	close(fd);
	return z;
}

static sl_tz *open_resolved(const char *dir, const tz_name *r, sl_err *err)
{
	return r->fixed
		       ? fixed_zone(r)
		       : open_region(dir ? dir : SL_TZ_DIR_DEFAULT, r->id, err);
}

sl_tz *sl_tz_open_dir(const char *dir, const char *name, sl_err *err)
{
	tz_name r;

	if (resolve_name(name, &r, err) < 0)
		return NULL;
	return open_resolved(dir, &r, err);
}

sl_tz *sl_tz_open(const char *name, sl_err *err)
{
	return sl_tz_open_dir(NULL, name, err);
}

void sl_tz_free(sl_tz *z)
{
	free(z);
}

/* ---- the cache --------------------------------------------------------- */

/* Open addressing over names as given; several names may point at one
 * zone (zones[] owns them), found by its id. */
typedef struct tz_slot {
	char *name;
	sl_tz *zone;
} tz_slot;

struct sl_tz_cache {
	pthread_mutex_t lock;
	char *dir;
	tz_slot *slots; /* cap, a power of two, at most half full */
	size_t cap, used;
	sl_tz **zones;
	size_t nzones;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static tz_slot *slot_of(tz_slot *slots, size_t cap, const char *name)
{
	size_t i = name_hash(name) & (cap - 1);

	while (slots[i].name && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

sl_tz_cache *sl_tz_cache_new(const char *dir)
{
	sl_tz_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dir = strdup(dir ? dir : SL_TZ_DIR_DEFAULT);
	c->cap = 64;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->dir || !c->slots || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->dir);
		free(c->slots);
		free(c);
		return NULL;
	}
	return c;
}

void sl_tz_cache_free(sl_tz_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].name);
	for (size_t i = 0; i < c->nzones; i++)
		sl_tz_free(c->zones[i]);
	free(c->zones);
	free(c->slots);
	free(c->dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

size_t sl_tz_cache_zones(sl_tz_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->nzones;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void cache_put(sl_tz_cache *c, const char *name, sl_tz *z)
{
	if (2 * (c->used + 1) > c->cap) {
		size_t cap = c->cap * 2;
		tz_slot *s = sl_xcalloc(cap, sizeof(*s));
		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].name)
				*slot_of(s, cap, c->slots[i].name) =
					c->slots[i];
		free(c->slots);
		c->slots = s;
		c->cap = cap;
	}
	tz_slot *s = slot_of(c->slots, c->cap, name);
	s->name = sl_xstrdup(name);
	s->zone = z;
	c->used++;
}

/* The cached zone with this id, by its canonical name's slot. */
static sl_tz *cache_find_id(sl_tz_cache *c, const char *id)
{
	tz_slot *s = slot_of(c->slots, c->cap, id);

	return s->name && strcmp(s->zone->id, id) == 0 ? s->zone : NULL;
}

const sl_tz *sl_tz_cache_get(sl_tz_cache *c, const char *name, sl_err *err)
{
	sl_tz *z = NULL;
	tz_name r;

	if (!c || !name) {
		sl_err_set(err, SL_EINVAL, "sl_tz_cache_get: no cache or name");
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	tz_slot *s = slot_of(c->slots, c->cap, name);
	if (s->name) {
		z = s->zone;
		goto out;
	}
	if (resolve_name(name, &r, err) < 0)
		goto out;
	/* Two slots per new zone at most (its id and the name). */
	if (c->used + 2 > SL_TZ_CACHE_MAX) {
		sl_err_set(err, SL_EINVAL,
			   "time zone cache full (%d names): %s",
			   SL_TZ_CACHE_MAX, name);
		goto out;
	}
	if (!(z = cache_find_id(c, r.id))) {
		if (!(z = open_resolved(c->dir, &r, err)))
			goto out;
		c->zones = sl_xrealloc(c->zones,
				       (c->nzones + 1) * sizeof(*c->zones));
		c->zones[c->nzones++] = z;
		if (strcmp(name, z->id) != 0 &&
		    !slot_of(c->slots, c->cap, z->id)->name)
			cache_put(c, z->id, z);
	}
	cache_put(c, name, z);
out:
	pthread_mutex_unlock(&c->lock);
	return z;
}

/* ---- queries ----------------------------------------------------------- */

const char *sl_tz_id(const sl_tz *z)
{
	return z->id;
}

bool sl_tz_is_fixed(const sl_tz *z, int32_t *offset_s)
{
	if (z->fixed && offset_s)
		*offset_s = z->fixed_off;
	return z->fixed;
}

static int64_t clamp_s(int64_t s)
{
	return s < -TZ_SEC_LIMIT  ? -TZ_SEC_LIMIT
	       : s > TZ_SEC_LIMIT ? TZ_SEC_LIMIT
				  : s;
}

/* The offset at UTC second s (clamped to TZ_SEC_LIMIT). */
static int32_t offset_at(const sl_tz *z, int64_t s)
{
	if (z->fixed)
		return z->fixed_off;
	s = clamp_s(s);
	if (z->n == 0 || s > z->trans[z->n - 1]) {
		if (z->has_rule)
			return sl_tz_rule_offset(&z->rule, s);
		return z->n ? z->off[z->n - 1] : z->off_first;
	}
	if (s < z->trans[0])
		return z->off_first;
	size_t lo = 0, hi = z->n - 1; /* trans[lo] <= s */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (z->trans[mid] <= s)
			lo = mid;
		else
			hi = mid - 1;
	}
	return z->off[lo];
}

int32_t sl_tz_offset(const sl_tz *z, int64_t utc_us)
{
	return offset_at(z, sl_tz_floor_div(utc_us, 1000000));
}

/* The first transition time (table or rule) after s, change or not:
 * INT64_MAX when none. */
static int64_t next_raw(const sl_tz *z, int64_t s)
{
	if (z->n && s < z->trans[z->n - 1]) {
		size_t lo = 0, hi = z->n - 1; /* first trans > s */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (z->trans[mid] > s)
				hi = mid;
			else
				lo = mid + 1;
		}
		return z->trans[lo];
	}
	if (!z->has_rule || !z->rule.has_dst)
		return INT64_MAX;
	/* The rule's dates of the years around s: the next is within a
	 * year and a week of s. */
	int64_t y = sl_tz_year_of_day(sl_tz_floor_div(s, 86400));
	int64_t best = INT64_MAX;
	for (int64_t yy = y - 1; yy <= y + 2; yy++)
		for (int which = 0; which < 2; which++) {
			int64_t t = sl_tz_rule_instant(&z->rule, yy, which);
			if (t > s && t < best)
				best = t;
		}
	return best;
}

int sl_tz_next_transition(const sl_tz *z, int64_t after_s, int64_t *at_s,
			  int32_t *before_s, int32_t *after_off_s)
{
	if (z->fixed || after_s >= TZ_SEC_LIMIT)
		return 0;
	int64_t s = clamp_s(after_s);
	/* Transitions that keep the offset are skipped; a rule whose dates
	 * never change it (all-year daylight time) would be skipped for
	 * ever, so the walk gives up after a few years' worth of them. */
	for (int steps = 0; steps < 64;) {
		int64_t t = next_raw(z, s);
		if (t == INT64_MAX || t >= TZ_SEC_LIMIT)
			return 0;
		int32_t b = offset_at(z, t - 1), a = offset_at(z, t);
		if (a != b) {
			*at_s = t;
			if (before_s)
				*before_s = b;
			if (after_off_s)
				*after_off_s = a;
			return 1;
		}
		s = t;
		if (!z->n || t > z->trans[z->n - 1])
			steps++; /* only rule dates count: tables end */
	}
	return 0;
}

int sl_tz_local_to_utc(const sl_tz *z, int64_t local_us, int64_t *utc_us,
		       int32_t *offset_s)
{
	int64_t ls = sl_tz_floor_div(local_us, 1000000);
	int32_t off = z->fixed_off, best_valid = 0;
	bool valid = false, gap = false;

	if (!z->fixed) {
		/* Every offset the local time could have is in effect
		 * within TZ_OFF_LIMIT of it: try the one at the window's
		 * start and the one after each change inside. The earliest
		 * instant that maps back to the local time wins (java.time's
		 * earlier offset in an overlap); with none, it is in a gap
		 * [T + before, T + after) and takes the offset before. The
		 * walk is bounded: real zones change a few times a day at
		 * most. */
		int64_t lo = ls - TZ_OFF_LIMIT - 1, t = lo;
		int32_t o = offset_at(z, lo), before, after;
		int32_t gap_off = 0;

		for (int k = 0; k < 64; k++) {
			if (offset_at(z, ls - o) == o &&
			    (!valid || o > best_valid)) {
				best_valid = o;
				valid = true;
			}
			if (!sl_tz_next_transition(z, t, &t, &before, &after) ||
			    t > ls + TZ_OFF_LIMIT + 1)
				break;
			if (!gap && after > before && t + before <= ls &&
			    ls < t + after) {
				gap = true;
				gap_off = before;
			}
			o = after;
		}
		if (valid)
			off = best_valid;
		else if (gap)
			off = gap_off;
		else /* only a file with over 64 changes in 52 h gets here */
			off = offset_at(z, ls - offset_at(z, ls));
	}
	int64_t r;
	if (__builtin_sub_overflow(local_us, (int64_t)off * 1000000, &r))
		return SL_EINVAL;
	*utc_us = r;
	if (offset_s)
		*offset_s = off;
	return 0;
}

int sl_tz_utc_to_local(const sl_tz *z, int64_t utc_us, int64_t *local_us)
{
	int64_t off = sl_tz_offset(z, utc_us);

	if (__builtin_add_overflow(utc_us, off * 1000000, local_us))
		return SL_EINVAL;
	return 0;
}
