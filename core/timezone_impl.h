/* core/timezone_impl.h - what core/timezone.c (names, the cache, the
 * queries) and core/timezone_file.c (TZif files and POSIX TZ rules) share:
 * the zone's layout and the calendar arithmetic of the rules. Not for
 * other files: they use core/timezone.h. */
#ifndef SL_CORE_TIMEZONE_IMPL_H
#define SL_CORE_TIMEZONE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timezone.h"

/* RFC 8536 asks utoff to lie within (-25 h, 26 h); offsets beyond +-26 h
 * are refused, which bounds the window local -> UTC searches. */
#define TZ_OFF_LIMIT 93599
/* Seconds of the int64 microsecond range, plus two days so that every
 * instant with microseconds, and a local time off it by an offset, lies
 * inside: queries clamp seconds here, so calendar arithmetic on them (in
 * seconds and days) never overflows. */
#define TZ_SEC_LIMIT (INT64_MAX / 1000000 + 2 * 86400)

/* A zone's table holds its footer rule's changes up to this year too
 * (core/timezone_file.c's extend_table): two a year, 12 bytes each. */
#define TZ_EXTEND_YEAR 2200

/* One date of a POSIX TZ rule: "Jn" (day 1..365, Feb 29 never counted),
 * "n" (day 0..365, Feb 29 counted) or "Mm.w.d" (weekday d of week w of
 * month m, w = 5 the last), at `time` seconds of local time, which RFC
 * 8536 lets range over -167..167 hours. */
typedef struct tz_date {
	char kind; /* 'J', 'N' or 'M' */
	int16_t month, week, wday, day;
	int32_t time;
} tz_date;

/* A TZif footer: standard offset, and daylight offset with its start
 * (given in standard time) and end (given in daylight time). */
typedef struct tz_rule {
	int32_t std_off, dst_off; /* east of UTC, seconds */
	bool has_dst;
	tz_date start, end;
} tz_rule;

struct sl_tz {
	char id[SL_TZ_NAME_MAX + 16]; /* Java's getId (prefixes add 10) */
	bool fixed;		      /* one offset, fixed_off, everywhere */
	int32_t fixed_off;
	bool has_rule; /* a footer rule applies after the last transition */
	tz_rule rule;
	int32_t off_first; /* before the first transition (time type 0) */
	size_t n;	   /* transitions: the file's, then the rule's */
	int64_t *trans;	   /* UTC seconds, strictly ascending */
	int32_t *off;	   /* the offset from trans[i] on */
};

/* Parses TZif bytes into a zone (id set by the caller afterwards): 0 or
 * SL_EIO with err naming `what` (the file or id) and the fault. */
int sl_tz_parse_tzif(const char *what, const uint8_t *p, size_t len,
		     sl_tz **out, sl_err *err);
/* Parses a POSIX TZ string (RFC 8536's footer): 0 or -1 with *why set. */
int sl_tz_parse_rule(const char *s, tz_rule *r, const char **why);
/* The UTC second of the rule's start (which = 0) or end (1) in year y. */
int64_t sl_tz_rule_instant(const tz_rule *r, int64_t y, int which);
/* The rule's offset at UTC second s (|s| <= TZ_SEC_LIMIT). */
int32_t sl_tz_rule_offset(const tz_rule *r, int64_t s);
/* The proleptic Gregorian year holding day `days` since 1970-01-01. */
int64_t sl_tz_year_of_day(int64_t days);
/* floor(a / b) for b > 0. */
static inline int64_t sl_tz_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

#endif
