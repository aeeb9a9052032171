/* core/timezone_file.c - reading a zone: TZif files (RFC 8536, versions 1
 * to 4) into core/timezone_impl.h's table, and the POSIX TZ rule of their
 * footer, parsed and evaluated for any year (core/timezone.c asks it for
 * instants past the table's last transition). Every count and offset in a
 * file is checked before it is used: a truncated or corrupted file is an
 * error naming the file and the fault, never a read past the bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/timezone_impl.h"

/* ---- the calendar --------------------------------------------------- */

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Leap years in 1..y (proleptic Gregorian, y may be <= 0). */
static int64_t leaps_through(int64_t y)
{
	return sl_tz_floor_div(y, 4) - sl_tz_floor_div(y, 100) +
	       sl_tz_floor_div(y, 400);
}

/* Days from 1970-01-01 to January 1 of year y. */
static int64_t year_start(int64_t y)
{
	return 365 * (y - 1970) + leaps_through(y - 1) - leaps_through(1969);
}

int64_t sl_tz_year_of_day(int64_t days)
{
	/* 146097 days per 400 years: the estimate is off by at most one. */
	int64_t y = 1970 + sl_tz_floor_div(days * 400, 146097);

	while (year_start(y) > days)
		y--;
	while (year_start(y + 1) <= days)
		y++;
	return y;
}

static const int16_t month_days[12] = { 31, 28, 31, 30, 31, 30,
					31, 31, 30, 31, 30, 31 };

/* Days from 1970-01-01 to the first of month m (1..12) of year y. */
static int64_t month_start(int64_t y, int m)
{
	int64_t d = year_start(y);

	for (int i = 1; i < m; i++)
		d += month_days[i - 1] + (i == 2 && is_leap(y));
	return d;
}

/* The day (since 1970-01-01) a rule date falls on in year y. */
static int64_t date_day(const tz_date *t, int64_t y)
{
	if (t->kind == 'J') /* Feb 29 is never day 60 */
		return year_start(y) + t->day - 1 +
		       (is_leap(y) && t->day >= 60);
	if (t->kind == 'N')
		return year_start(y) + t->day;
	int64_t first = month_start(y, t->month);
	int mdays = month_days[t->month - 1] + (t->month == 2 && is_leap(y));
	/* 1970-01-01 was a Thursday (4; Sunday is 0). */
	int wd_first = (int)((first + 4) % 7 + 7) % 7;
	int64_t day = first + (t->wday - wd_first + 7) % 7 + 7 * (t->week - 1);

	while (day >= first + mdays) /* week 5: the last such weekday */
		day -= 7;
	return day;
}

int64_t sl_tz_rule_instant(const tz_rule *r, int64_t y, int which)
{
	const tz_date *t = which ? &r->end : &r->start;
	/* The start is given in standard time, the end in daylight time. */
	int32_t off = which ? r->dst_off : r->std_off;

	return date_day(t, y) * 86400 + t->time - off;
}

int32_t sl_tz_rule_offset(const tz_rule *r, int64_t s)
{
	if (!r->has_dst)
		return r->std_off;
	/* The latest start or end at or before s. A year's dates lie within
	 * its own days, moved by at most 167 h of time and 26 h of offset, so
	 * the two years before s's hold one for certain and the year after
	 * may hold one too. Ties (a year's end at the next one's start, as in
	 * all-year daylight time "EST5EDT,0/0,J365/25") go to the later year.
	 */
	int64_t y = sl_tz_year_of_day(sl_tz_floor_div(s, 86400));
	int64_t best = INT64_MIN;
	int32_t off = r->std_off;

	for (int64_t yy = y - 2; yy <= y + 1; yy++)
		for (int which = 0; which < 2; which++) {
			int64_t t = sl_tz_rule_instant(r, yy, which);
			if (t <= s && t >= best) {
				best = t;
				off = which ? r->std_off : r->dst_off;
			}
		}
	return off;
}

/* ---- POSIX TZ strings ------------------------------------------------ */

/* A zone abbreviation: three or more letters, or <...> of letters, digits,
 * '+' and '-'. */
static const char *parse_abbr(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		p++;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-')
			p++;
		if (*p != '>' || p - s - 1 < 3)
			return NULL;
		return p + 1;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h: seconds at *v. */
static const char *parse_hms(const char *s, int max_h, int32_t *v)
{
	int sign = 1, part[3] = { 0, 0, 0 }, n = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (;;) {
		int digits = 0, x = 0;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			x = x * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || (n > 0 && (digits != 2 || x > 59)))
			return NULL;
		part[n++] = x;
		if (n == 3 || *s != ':')
			break;
		s++;
	}
	if (part[0] > max_h)
		return NULL;
	*v = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return s;
}

static const char *parse_num(const char *s, int lo, int hi, int16_t *v)
{
	int x = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		x = x * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || x < lo || x > hi)
		return NULL;
	*v = (int16_t)x;
	return s;
}

static const char *parse_date(const char *s, tz_date *t)
{
	memset(t, 0, sizeof(*t));
	if (*s == 'J') {
		t->kind = 'J';
		s = parse_num(s + 1, 1, 365, &t->day);
	} else if (*s == 'M') {
		t->kind = 'M';
		s = parse_num(s + 1, 1, 12, &t->month);
		if (s && *s++ == '.')
			s = parse_num(s, 1, 5, &t->week);
		else
			s = NULL;
		if (s && *s++ == '.')
			s = parse_num(s, 0, 6, &t->wday);
		else
			s = NULL;
	} else {
		t->kind = 'N';
		s = parse_num(s, 0, 365, &t->day);
	}
	if (!s)
		return NULL;
	t->time = 2 * 3600; /* POSIX's default: 02:00 */
	if (*s == '/')
		s = parse_hms(s + 1, 167, &t->time);
	return s;
}

int sl_tz_parse_rule(const char *s, tz_rule *r, const char **why)
{
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (!(s = parse_abbr(s)) || !(s = parse_hms(s, 24, &v))) {
		*why = "bad standard time name or offset";
		return -1;
	}
	/* POSIX offsets count west of UTC; ours count east. */
	r->std_off = -v;
	if (*s == '\0')
		return 0;
	if (!(s = parse_abbr(s))) {
		*why = "bad daylight time name";
		return -1;
	}
	r->has_dst = true;
	r->dst_off = r->std_off + 3600; /* POSIX: one hour ahead by default */
	if (*s != ',' && *s != '\0') {
		if (!(s = parse_hms(s, 24, &v))) {
			*why = "bad daylight time offset";
			return -1;
		}
		r->dst_off = -v;
	}
	/* zic always writes the dates; without them POSIX leaves the rule to
	 * the implementation, which a reader cannot know. */
	if (*s != ',') {
		*why = "daylight time without start and end dates";
		return -1;
	}
	if (!(s = parse_date(s + 1, &r->start)) || *s != ',' ||
	    !(s = parse_date(s + 1, &r->end))) {
		*why = "bad daylight time start or end";
		return -1;
	}
	if (*s != '\0') {
		*why = "text after the rule";
		return -1;
	}
	if (r->dst_off < -TZ_OFF_LIMIT || r->dst_off > TZ_OFF_LIMIT) {
		*why = "offset beyond 26 hours";
		return -1;
	}
	return 0;
}

/* ---- TZif ------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The six counts of a TZif header (RFC 8536 section 3.1). */
typedef struct tzif_head {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
	char version;
} tzif_head;

static int bad(sl_err *err, const char *what, const char *why)
{
	return sl_err_set(err, SL_EIO, "%s: malformed TZif file: %s", what,
			  why);
}

/* v1_of_v2: the version 1 header of a version 2+ file, which readers of
 * the 64-bit data skip; only its sizes matter, so zero types (a writer
 * that leaves the old block empty) are let through. */
static int read_head(const char *what, const uint8_t *p, size_t len,
		     bool v1_of_v2, tzif_head *h, sl_err *err)
{
	if (len < 44)
		return bad(err, what, "truncated header");
	if (memcmp(p, "TZif", 4) != 0)
		return bad(err, what, "no TZif magic");
	h->version = (char)p[4];
	/* Versions past 4 are meant to be readable as version 2+ data. */
	if (h->version != 0 && h->version < '2')
		return bad(err, what, "unknown version");
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (v1_of_v2 && h->version >= '2' && !h->typecnt && !h->charcnt &&
	    !h->timecnt && !h->leapcnt && !h->isutcnt && !h->isstdcnt)
		return 0;
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0)
		return bad(err, what, "no local time types, or more than 256");
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return bad(err, what, "UT/standard indicator counts");
	/* Counts come from the file: capped so the size sums below cannot
	 * overflow (SL_TZ_FILE_MAX bounds what can be there anyway). */
	if (h->timecnt > SL_TZ_FILE_MAX || h->charcnt > SL_TZ_FILE_MAX ||
	    h->leapcnt > SL_TZ_FILE_MAX)
		return bad(err, what, "counts larger than the file");
	return 0;
}

/* Bytes of a data block whose times take tsize bytes. */
static size_t block_size(const tzif_head *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + h->typecnt * 6u +
	       h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	       h->isutcnt;
}

/* A rule date in a year: when, and which way it turns. */
typedef struct rule_change {
	int64_t at, year;
	int which; /* 0: to daylight time, 1: to standard time */
} rule_change;

/* By instant, then as sl_tz_rule_offset breaks ties: the later year, then the
 * end over the start, comes last and wins. */
static int cmp_change(const void *a, const void *b)
{
	const rule_change *x = a, *y = b;

	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	if (x->year != y->year)
		return (x->year > y->year) - (x->year < y->year);
	return x->which - y->which;
}

/* The zone with the footer rule's changes from the table's end through
 * TZ_EXTEND_YEAR appended to its table, so instants before then cost a
 * binary search instead of the rule's calendar arithmetic (ten times as
 * much). Sorted as sl_tz_rule_offset ranks them, the last date of each
 * instant gives the offset from it on, so answers do not change; the rule
 * still serves what lies beyond. */
static sl_tz *extend_table(sl_tz *z)
{
	if (!z->has_rule || !z->rule.has_dst || z->n == 0)
		return z;
	int64_t last = z->trans[z->n - 1];
	int64_t y0 = sl_tz_year_of_day(sl_tz_floor_div(last, 86400)) - 1;
	if (y0 >= TZ_EXTEND_YEAR)
		return z;
	size_t years = (size_t)(TZ_EXTEND_YEAR - y0 + 1), m = 0;
	rule_change *ch = sl_xcalloc(2 * years, sizeof(*ch));
	for (int64_t y = y0; y <= TZ_EXTEND_YEAR; y++)
		for (int which = 0; which < 2; which++)
			ch[m++] = (rule_change){
				sl_tz_rule_instant(&z->rule, y, which), y, which
			};
	qsort(ch, m, sizeof(*ch), cmp_change);

	size_t cap = z->n + m + 1, n = z->n;
	sl_tz *e = sl_xcalloc(
		1, sizeof(*e) + cap * (sizeof(int64_t) + sizeof(int32_t)));
	*e = *z;
	e->trans = (int64_t *)(e + 1);
	e->off = (int32_t *)(e->trans + cap);
	memcpy(e->trans, z->trans, n * sizeof(int64_t));
	memcpy(e->off, z->off, n * sizeof(int32_t));
	/* From the second after the last transition the rule applies. */
	int32_t cur = z->off[n - 1], o = sl_tz_rule_offset(&z->rule, last + 1);
	if (o != cur) {
		e->trans[n] = last + 1;
		e->off[n++] = cur = o;
	}
	for (size_t i = 0; i < m; i++) {
		if (ch[i].at <= e->trans[n - 1] ||
		    (i + 1 < m && ch[i + 1].at == ch[i].at))
			continue; /* before the table's end, or not the last */
		o = ch[i].which ? z->rule.std_off : z->rule.dst_off;
		if (o != cur) {
			e->trans[n] = ch[i].at;
			e->off[n++] = cur = o;
		}
	}
	e->n = n;
	free(ch);
	free(z);
	return e;
}

int sl_tz_parse_tzif(const char *what, const uint8_t *p, size_t len,
		     sl_tz **out, sl_err *err)
{
	tzif_head h;
	size_t tsize = 4, at;
	int rc;

	*out = NULL;
	if (len > SL_TZ_FILE_MAX)
		return sl_err_set(err, SL_EIO,
				  "%s: TZif file larger than %d bytes", what,
				  SL_TZ_FILE_MAX);
	if ((rc = read_head(what, p, len, true, &h, err)) < 0)
		return rc;
	at = 44;
	if (h.version >= '2') {
		/* Skip the 32-bit block: the 64-bit one follows its header. */
		at += block_size(&h, 4);
		if (at > len)
			return bad(err, what, "truncated version 1 data");
		if ((rc = read_head(what, p + at, len - at, false, &h, err)) <
		    0)
			return rc;
		at += 44;
		tsize = 8;
	}
	if (block_size(&h, tsize) > len - at)
		return bad(err, what, "truncated data block");
	/* java.time ignores leap seconds; a "right/" file counts them in its
	 * times, which would then be off by up to 27 s. */
	if (h.leapcnt)
		return bad(err, what,
			   "leap-second records (not used by java.time)");

	const uint8_t *tt = p + at;
	const uint8_t *idx = tt + (size_t)h.timecnt * tsize;
	const uint8_t *types = idx + h.timecnt;
	int32_t utoff[256];

	for (uint32_t i = 0; i < h.typecnt; i++) {
		const uint8_t *ty = types + 6 * i;
		int32_t u = (int32_t)be32(ty);
		if (u < -TZ_OFF_LIMIT || u > TZ_OFF_LIMIT)
			return bad(err, what, "UT offset beyond 26 hours");
		if (ty[4] > 1)
			return bad(err, what, "DST flag not 0 or 1");
		if (ty[5] >= h.charcnt)
			return bad(err, what,
				   "abbreviation index past the table");
		utoff[i] = u;
	}

	sl_tz *z = sl_xcalloc(1, sizeof(*z) + h.timecnt * (sizeof(int64_t) +
							   sizeof(int32_t)));
	z->trans = (int64_t *)(z + 1);
	z->off = (int32_t *)(z->trans + h.timecnt);
	z->n = h.timecnt;
	z->off_first = utoff[0];
	for (uint32_t i = 0; i < h.timecnt; i++) {
		int64_t t = tsize == 8 ? be64(tt + 8 * i)
				       : (int64_t)(int32_t)be32(tt + 4 * i);
		if (i > 0 && t <= z->trans[i - 1]) {
			free(z);
			return bad(err, what, "transition times not ascending");
		}
		if (idx[i] >= h.typecnt) {
			free(z);
			return bad(err, what, "transition type past the types");
		}
		z->trans[i] = t;
		z->off[i] = utoff[idx[i]];
	}
	at += block_size(&h, tsize);

	/* The footer: "\n" TZ string "\n" (version 2+). */
	if (tsize == 8) {
		const uint8_t *nl;
		char rule[256];
		const char *why = NULL;
		if (at >= len || p[at] != '\n' ||
		    !(nl = memchr(p + at + 1, '\n', len - at - 1))) {
			free(z);
			return bad(err, what, "no footer");
		}
		size_t rlen = (size_t)(nl - (p + at + 1));
		if (rlen >= sizeof(rule) || memchr(p + at + 1, 0, rlen)) {
			free(z);
			return bad(err, what, "footer TZ string too long");
		}
		memcpy(rule, p + at + 1, rlen);
		rule[rlen] = '\0';
		if (rlen > 0) {
			if (sl_tz_parse_rule(rule, &z->rule, &why) < 0) {
				sl_err_set(err, SL_EIO,
					   "%s: malformed TZif file: footer "
					   "TZ string \"%s\": %s",
					   what, rule, why);
				free(z);
				return SL_EIO;
			}
			z->has_rule = true;
		}
	}
	/* One offset everywhere: no transition changes it and the rule, if
	 * any, keeps it. */
	z->fixed = true;
	z->fixed_off = z->n ? z->off[0] : utoff[0];
	if (z->n && z->off_first != z->fixed_off)
		z->fixed = false;
	for (size_t i = 1; i < z->n; i++)
		if (z->off[i] != z->fixed_off)
			z->fixed = false;
	if (z->has_rule && (z->rule.has_dst || z->rule.std_off != z->fixed_off))
		z->fixed = false;
	*out = extend_table(z);
	return 0;
}
