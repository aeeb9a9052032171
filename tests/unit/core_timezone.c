/* tests/unit/core_timezone.c - time zones (core/timezone.h): offsets and
 * local -> UTC against Python's zoneinfo over 22 zones
 * (tests/data/timezone_cases.txt, from tools/gen_timezone_cases.py, over
 * the TZif files copied in tests/data/zoneinfo/), the names java.time
 * accepts and refuses (expected ids and messages from running
 * ZoneId.of on OpenJDK 17), POSIX footer rules, the whole int64 range,
 * malformed files (truncated and corrupted copies), the cache, and every
 * zone of the system's tzdata. */
#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timezone.h"
#include "tests/support/tmpdir.h"

#define US 1000000LL
/* 2020-07-01T00:00:00Z */
#define JUL2020 (1593561600LL * US)

/* tests/data: the tests run from the repository root (make runs them
 * there), or SLUICE_TEST_DATA. */
static const char *data_dir(void)
{
	const char *env = getenv("SLUICE_TEST_DATA");

	return env ? env : "tests/data";
}

static const char *zoneinfo_dir(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/zoneinfo", data_dir());
	return buf;
}

/* ---- Python's zoneinfo ------------------------------------------------- */

Test(timezone, zoneinfo_cases)
{
	char path[PATH_MAX + 64], line[512], zone[256] = "";
	FILE *f;
	sl_tz_cache *c = sl_tz_cache_new(zoneinfo_dir());
	const sl_tz *z = NULL;
	long n_off = 0, n_local = 0, bad = 0, zones = 0;
	sl_err err = { 0 };

	snprintf(path, sizeof(path), "%s/timezone_cases.txt", data_dir());
	cr_assert(f = fopen(path, "r"), "%s", path);
	while (fgets(line, sizeof(line), f)) {
		long long a, b;
		if (line[0] == '#')
			continue;
		if (line[0] == 'N' || line[0] == 'E')
			break; /* the names: java_names below */
		if (sscanf(line, "Z %255s", zone) == 1) {
			z = sl_tz_cache_get(c, zone, &err);
			cr_assert(z, "%s: %s", zone, err.msg);
			cr_assert_str_eq(sl_tz_id(z), zone);
			zones++;
			continue;
		}
		cr_assert(z);
		if (sscanf(line, "O %lld %lld", &a, &b) == 2) {
			int32_t off = sl_tz_offset(z, a);
			n_off++;
			if (off != b && bad++ < 20)
				cr_log_error("%s offset at %lld: %d, want %lld",
					     zone, a, off, b);
		} else if (sscanf(line, "L %lld %lld", &a, &b) == 2) {
			int64_t utc = 0;
			int32_t off = 0;
			n_local++;
			cr_assert_eq(sl_tz_local_to_utc(z, a, &utc, &off), 0);
			cr_assert_eq(utc, a - off * US);
			if (utc != b && bad++ < 20)
				cr_log_error("%s local %lld: %lld, want %lld",
					     zone, a, (long long)utc, b);
		} else {
			cr_assert_fail("bad line: %s", line);
		}
	}
	fclose(f);
	cr_assert_eq(zones, 22);
	cr_assert_eq(sl_tz_cache_zones(c), 22);
	cr_assert_gt(n_off, 8000);
	cr_assert_gt(n_local, 16000);
	cr_assert_eq(bad, 0, "%ld of %ld cases differ", bad, n_off + n_local);
	sl_tz_cache_free(c);
}

/* ---- names --------------------------------------------------------------- */

/* The names of tests/data/timezone_cases.txt, as java.time resolved them
 * (over the system's tzdata): every id, offset and message the same. */
Test(timezone, java_names)
{
	char path[PATH_MAX + 64], line[512];
	FILE *f;
	int n = 0, e = 0;

	snprintf(path, sizeof(path), "%s/timezone_cases.txt", data_dir());
	cr_assert(f = fopen(path, "r"), "%s", path);
	while (fgets(line, sizeof(line), f)) {
		char name[256], id[256];
		int off;
		sl_err err = { 0 };
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "N %255s %255s %d", name, id, &off) == 3) {
			sl_tz *z = sl_tz_open(name, &err);
			cr_expect(z, "%s: %s", name, err.msg);
			if (z) {
				cr_expect_str_eq(sl_tz_id(z), id, "%s", name);
				cr_expect_eq(sl_tz_offset(z, JUL2020), off,
					     "%s", name);
			}
			sl_tz_free(z);
			n++;
		} else if (line[0] == 'E' &&
			   sscanf(line, "E %255s", name) == 1) {
			const char *msg = line + 2 + strlen(name) + 1;
			sl_tz *z = sl_tz_open(name, &err);
			cr_expect_null(z, "%s", name);
			sl_tz_free(z);
			cr_expect_eq(err.code, SL_EINVAL, "%s", name);
			cr_expect_str_eq(err.msg, msg, "%s", name);
			e++;
		}
	}
	fclose(f);
	cr_assert_gt(n, 700);
	cr_assert_gt(e, 100);
}

/* What ZoneId.of(getZoneId(name)) gives on OpenJDK 17: the id and the
 * offset at 2020-07-01T00:00Z. */
static const struct {
	const char *name, *id;
	int32_t off;
} names[] = {
	{ "Z", "Z", 0 },
	{ "UTC", "UTC", 0 },
	{ "GMT", "GMT", 0 },
	{ "UT", "UT", 0 },
	{ "UTC+8", "UTC+08:00", 8 * 3600 },
	{ "UTC+08:00", "UTC+08:00", 8 * 3600 },
	{ "GMT+01:00", "GMT+01:00", 3600 },
	{ "GMT+1", "GMT+01:00", 3600 },
	{ "UT-5", "UT-05:00", -5 * 3600 },
	{ "UTC+0", "UTC", 0 },
	{ "GMT-00:00", "GMT", 0 },
	{ "UTC+1:00", "UTC+01:00", 3600 },
	{ "UTC+01:30", "UTC+01:30", 5400 },
	{ "UTC+01:00:01", "UTC+01:00:01", 3601 },
	{ "GMT0", "GMT0", 0 },
	{ "+01:00", "+01:00", 3600 },
	{ "-08:00", "-08:00", -8 * 3600 },
	{ "+1", "+01:00", 3600 },
	{ "+5", "+05:00", 5 * 3600 },
	{ "+01", "+01:00", 3600 },
	{ "+0100", "+01:00", 3600 },
	{ "+01:00:30", "+01:00:30", 3630 },
	{ "+010030", "+01:00:30", 3630 },
	{ "+05:30:00", "+05:30", 19800 },
	{ "-00:30", "-00:30", -1800 },
	{ "+0:00", "Z", 0 },
	{ "+18:00", "+18:00", 18 * 3600 },
	{ "-18", "-18:00", -18 * 3600 },
	{ "+1:00", "+01:00", 3600 },
	{ "+01:3", "+01:03", 3780 },
	{ "+1:3", "+01:03", 3780 },
	{ "EST", "-05:00", -5 * 3600 },
	{ "MST", "-07:00", -7 * 3600 },
	{ "HST", "-10:00", -10 * 3600 },
	{ "PST", "America/Los_Angeles", -7 * 3600 },
	{ "IST", "Asia/Kolkata", 19800 },
	{ "MIT", "Pacific/Apia", 13 * 3600 },
	{ "America/New_York", "America/New_York", -4 * 3600 },
	{ "Europe/Madrid", "Europe/Madrid", 2 * 3600 },
	{ "US/Eastern", "US/Eastern", -4 * 3600 },
	{ "Etc/GMT+5", "Etc/GMT+5", -5 * 3600 },
	{ "Etc/UTC", "Etc/UTC", 0 },
	{ "Zulu", "Zulu", 0 },
	{ "UCT", "UCT", 0 },
	{ "Universal", "Universal", 0 },
	{ "CET", "CET", 2 * 3600 },
	{ "EST5EDT", "EST5EDT", -4 * 3600 },
	{ "Asia/Calcutta", "Asia/Calcutta", 19800 },
};

Test(timezone, names)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sl_err err = { 0 };
		sl_tz *z = sl_tz_open(names[i].name, &err);
		cr_assert(z, "%s: %s", names[i].name, err.msg);
		cr_expect_str_eq(sl_tz_id(z), names[i].id, "%s", names[i].name);
		cr_expect_eq(sl_tz_offset(z, JUL2020), names[i].off, "%s",
			     names[i].name);
		sl_tz_free(z);
	}
}

/* java.time's messages for names it refuses. */
static const struct {
	const char *name, *msg;
} refused[] = {
	{ "UTC0", "Unknown time-zone ID: UTC0" },
	{ "america/new_york", "Unknown time-zone ID: america/new_york" },
	{ "utc", "Unknown time-zone ID: utc" },
	{ "ZZ", "Unknown time-zone ID: ZZ" },
	{ "Mars/Olympus", "Unknown time-zone ID: Mars/Olympus" },
	{ "posixrules", "Unknown time-zone ID: posixrules" },
	{ "localtime", "Unknown time-zone ID: localtime" },
	{ "Factory", "Unknown time-zone ID: Factory" },
	{ "posix/America/New_York",
	  "Unknown time-zone ID: posix/America/New_York" },
	{ "right/UTC", "Unknown time-zone ID: right/UTC" },
	{ "America", "Unknown time-zone ID: America" },
	{ "America/../America/New_York",
	  "Unknown time-zone ID: America/../America/New_York" },
	{ "America//New_York", "Unknown time-zone ID: America//New_York" },
	{ "leapseconds", "Unknown time-zone ID: leapseconds" },
	{ "zone.tab", "Unknown time-zone ID: zone.tab" },
	{ "z", "Invalid ID for ZoneOffset, invalid format: z" },
	{ "A", "Invalid ID for ZoneOffset, invalid format: A" },
	{ "", "Invalid ID for ZoneOffset, invalid format: " },
	{ "+18:01", "Zone offset not in valid range: -18:00 to +18:00" },
	{ "+19", "Zone offset hours not in valid range: value 19 is not in "
		 "the range -18 to 18" },
	{ "-19", "Zone offset hours not in valid range: value -19 is not in "
		 "the range -18 to 18" },
	{ "+01:60", "Zone offset minutes not in valid range: value 60 is not "
		    "in the range -59 to 59" },
	{ "+01:00:60", "Zone offset seconds not in valid range: value 60 is "
		       "not in the range -59 to 59" },
	{ "+01:-30", "Invalid ID for ZoneOffset, non numeric characters "
		     "found: +01:-30" },
	{ "+1:2:3", "Invalid ID for ZoneOffset, non numeric characters found: "
		    "+01:2:3" },
	{ "UTC+", "Invalid ID for offset-based ZoneId: UTC+" },
	{ "GMT+25", "Invalid ID for offset-based ZoneId: GMT+25" },
	{ "GMT+01:00 ", "Invalid ID for offset-based ZoneId: GMT+01:00 " },
	{ "Europe/Madrid ", "Invalid ID for region-based ZoneId, invalid "
			    "format: Europe/Madrid " },
	{ "1Europe", "Invalid ID for region-based ZoneId, invalid format: "
		     "1Europe" },
};

Test(timezone, refused_names)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		sl_err err = { 0 };
		sl_tz *z = sl_tz_open(refused[i].name, &err);
		cr_expect_null(z, "%s", refused[i].name);
		sl_tz_free(z);
		cr_expect_eq(err.code, SL_EINVAL, "%s", refused[i].name);
		cr_expect(strncmp(err.msg, refused[i].msg,
				  strlen(refused[i].msg)) == 0,
			  "%s: %s", refused[i].name, err.msg);
	}
	char longname[400];
	sl_err err = { 0 };
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_null(sl_tz_open(longname, &err));
	cr_assert_eq(err.code, SL_EINVAL);
	cr_assert_null(sl_tz_open(NULL, &err));
}

/* ---- TZif files built here -------------------------------------------- */

static void put32(uint8_t **p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}

/* A version 2 TZif file: transitions at[i] to type idx[i] of offs[] (DST
 * flags 0), footer "\n" footer "\n". Returns its length in buf. */
static size_t build_tzif(uint8_t *buf, const int64_t *at, const uint8_t *idx,
			 uint32_t n, const int32_t *offs, uint32_t ntypes,
			 const char *footer)
{
	uint8_t *p = buf;

	/* The version 1 block: one type, one abbreviation byte. */
	memcpy(p, "TZif2", 5);
	memset(p + 5, 0, 15);
	p += 20;
	uint32_t v1[6] = { 0, 0, 0, 0, 1, 1 };
	for (int i = 0; i < 6; i++)
		put32(&p, v1[i]);
	put32(&p, 0);
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	memcpy(p, "TZif2", 5);
	memset(p + 5, 0, 15);
	p += 20;
	uint32_t v2[6] = { 0, 0, 0, n, ntypes, 4 };
	for (int i = 0; i < 6; i++)
		put32(&p, v2[i]);
	for (uint32_t i = 0; i < n; i++) {
		put32(&p, (uint32_t)((uint64_t)at[i] >> 32));
		put32(&p, (uint32_t)at[i]);
	}
	for (uint32_t i = 0; i < n; i++)
		*p++ = idx[i];
	for (uint32_t i = 0; i < ntypes; i++) {
		put32(&p, (uint32_t)offs[i]);
		*p++ = 0;
		*p++ = 0;
	}
	memcpy(p, "XYZ", 4);
	p += 4;
	*p++ = '\n';
	memcpy(p, footer, strlen(footer));
	p += strlen(footer);
	*p++ = '\n';
	return (size_t)(p - buf);
}

static sl_tz *rule_zone(const char *footer, int32_t off0)
{
	uint8_t buf[512];
	sl_err err = { 0 };
	size_t n = build_tzif(buf, NULL, NULL, 0, &off0, 1, footer);
	sl_tz *z = sl_tz_from_tzif(footer, buf, n, &err);

	cr_assert(z, "%s: %s", footer, err.msg);
	return z;
}

/* Microseconds of a UTC date-time (proleptic Gregorian, via timegm's
 * arithmetic done here so no libc time zone is involved). */
static int64_t utc_us(int y, int mo, int d, int h, int mi)
{
	int64_t yy = y - (mo <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t days =
		era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return ((days * 24 + h) * 60 + mi) * 60 * US;
}

Test(timezone, footer_rules)
{
	/* US rules from the footer alone match the table in 2021. */
	sl_tz *z = rule_zone("EST5EDT,M3.2.0,M11.1.0", -5 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2021, 3, 14, 6, 59)), -5 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2021, 3, 14, 7, 0)), -4 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2021, 11, 7, 5, 59)), -4 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2021, 11, 7, 6, 0)), -5 * 3600);
	/* Far years: the second Sunday of March 2400, the 400-year cycle. */
	cr_assert_eq(sl_tz_offset(z, utc_us(2400, 3, 12, 7, 0)), -4 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2400, 3, 12, 6, 59)), -5 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(-2000, 7, 1, 0, 0)), -4 * 3600);
	int64_t t;
	int32_t b, a;
	cr_assert_eq(sl_tz_next_transition(z, utc_us(2021, 1, 1, 0, 0) / US, &t,
					   &b, &a),
		     1);
	cr_assert_eq(t * US, utc_us(2021, 3, 14, 7, 0));
	cr_assert_eq(b, -5 * 3600);
	cr_assert_eq(a, -4 * 3600);
	/* Gap and overlap from the rule: 02:30 on 2021-03-14 is 07:30Z,
	 * 01:30 on 2021-11-07 is the earlier 05:30Z. */
	int64_t u;
	cr_assert_eq(
		sl_tz_local_to_utc(z, utc_us(2021, 3, 14, 2, 30), &u, NULL), 0);
	cr_assert_eq(u, utc_us(2021, 3, 14, 7, 30));
	cr_assert_eq(
		sl_tz_local_to_utc(z, utc_us(2021, 11, 7, 1, 30), &u, NULL), 0);
	cr_assert_eq(u, utc_us(2021, 11, 7, 5, 30));
	/* The file's table, extended by its rule to 2200 when it is read,
	 * agrees with the rule alone at every hour from 2038 to 2300. */
	sl_err err = { 0 };
	sl_tz *ny = sl_tz_open_dir(zoneinfo_dir(), "America/New_York", &err);
	cr_assert(ny, "%s", err.msg);
	for (int64_t h = utc_us(2038, 1, 1, 0, 0); h < utc_us(2300, 1, 1, 0, 0);
	     h += 3600 * US) {
		cr_assert_eq(sl_tz_offset(ny, h), sl_tz_offset(z, h), "%lld",
			     (long long)h);
		int64_t u1, u2;
		sl_tz_local_to_utc(ny, h + 1800 * US, &u1, NULL);
		sl_tz_local_to_utc(z, h + 1800 * US, &u2, NULL);
		cr_assert_eq(u1, u2);
	}
	sl_tz_free(ny);
	sl_tz_free(z);

	/* All-year daylight time (RFC 8536 section 3.3.1's example). */
	z = rule_zone("EST5EDT,0/0,J365/25", -5 * 3600);
	for (int y = 1990; y < 2030; y++)
		for (int m = 1; m <= 12; m++)
			cr_assert_eq(sl_tz_offset(z, utc_us(y, m, 1, 3, 0)),
				     -4 * 3600, "%d-%d", y, m);
	cr_assert_eq(sl_tz_next_transition(z, 0, &t, &b, &a), 0);
	sl_tz_free(z);

	/* Southern hemisphere, explicit DST offset, half-hour DST and
	 * Julian days: Lord Howe's "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0". */
	z = rule_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800);
	cr_assert_eq(sl_tz_offset(z, utc_us(2030, 1, 1, 0, 0)), 39600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2030, 7, 1, 0, 0)), 37800);
	sl_tz_free(z);
	z = rule_zone("AAA3BBB,J60/0,J300/0", -3 * 3600);
	/* J60 is March 1 in leap years too. */
	cr_assert_eq(sl_tz_offset(z, utc_us(2024, 2, 29, 12, 0)), -3 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2024, 3, 1, 3, 0)), -2 * 3600);
	sl_tz_free(z);
	z = rule_zone("AAA3BBB,59/0,300/0", -3 * 3600);
	/* zero-based 59 is Feb 29 in leap years, March 1 otherwise. */
	cr_assert_eq(sl_tz_offset(z, utc_us(2024, 2, 29, 3, 0)), -2 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2023, 2, 28, 12, 0)), -3 * 3600);
	cr_assert_eq(sl_tz_offset(z, utc_us(2023, 3, 1, 3, 0)), -2 * 3600);
	sl_tz_free(z);
	/* A fixed footer: "<+0330>-3:30". */
	z = rule_zone("<+0330>-3:30", 12600);
	int32_t fixed = 0;
	cr_assert(sl_tz_is_fixed(z, &fixed));
	cr_assert_eq(fixed, 12600);
	sl_tz_free(z);
}

/* Every int64 instant has an offset; past the table the rule repeats every
 * 400 years (146097 days, whole weeks), to the range's ends. */
Test(timezone, whole_range)
{
	sl_err err = { 0 };
	sl_tz *z = sl_tz_open_dir(zoneinfo_dir(), "America/New_York", &err);
	cr_assert(z, "%s", err.msg);
	int64_t cycle = 146097LL * 86400 * US;
	int64_t t0 = utc_us(2100, 3, 14, 6, 30);

	for (int64_t t = INT64_MIN; t < utc_us(1883, 1, 1, 0, 0);
	     t += cycle * 37)
		cr_assert_eq(sl_tz_offset(z, t), -17762); /* LMT -4:56:02 */
	/* 37 cycles at a time (14,800 years): 19 steps to the end. Before
	 * the first transition (1883) it is local mean time throughout. */
	for (int64_t t = t0; t < INT64_MAX - cycle * 38; t += cycle * 37)
		for (int64_t d = -3 * 3600 * US; d <= 3 * 3600 * US;
		     d += 1800 * US)
			cr_assert_eq(sl_tz_offset(z, t + d),
				     sl_tz_offset(z, t0 + d));
	int32_t off = sl_tz_offset(z, INT64_MAX);
	cr_assert(off == -4 * 3600 || off == -5 * 3600);
	int64_t u;
	cr_assert_eq(sl_tz_local_to_utc(z, INT64_MAX, &u, NULL), SL_EINVAL);
	cr_assert_eq(sl_tz_local_to_utc(z, INT64_MIN, &u, NULL), 0);
	cr_assert_eq(u, INT64_MIN + 17762 * US);
	cr_assert_eq(sl_tz_utc_to_local(z, INT64_MIN, &u), SL_EINVAL);
	cr_assert_eq(sl_tz_utc_to_local(z, JUL2020, &u), 0);
	cr_assert_eq(u, JUL2020 - 4 * 3600 * US);
	/* 2000 to 2030: two changes a year. */
	int64_t s = utc_us(2000, 1, 1, 0, 0) / US,
		end = utc_us(2030, 1, 1, 0, 0) / US;
	int count = 0;
	while (sl_tz_next_transition(z, s, &s, NULL, NULL) && s < end)
		count++;
	cr_assert_eq(count, 60);
	sl_tz_free(z);

	z = sl_tz_open("+05:30", &err);
	cr_assert_eq(sl_tz_offset(z, INT64_MIN), 19800);
	cr_assert_eq(sl_tz_offset(z, INT64_MAX), 19800);
	cr_assert_eq(sl_tz_local_to_utc(z, INT64_MIN, &u, NULL), SL_EINVAL);
	cr_assert_eq(sl_tz_local_to_utc(z, JUL2020, &u, &off), 0);
	cr_assert_eq(u, JUL2020 - 19800 * US);
	cr_assert_eq(off, 19800);
	cr_assert_eq(sl_tz_next_transition(z, 0, &s, NULL, NULL), 0);
	sl_tz_free(z);
}

/* ---- malformed files ---------------------------------------------------- */

static size_t read_all(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	cr_assert(f, "%s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Every truncation of a real file is an error naming it; random byte
 * changes either parse or are errors, and never read past the bytes
 * (the ASan build checks that). */
Test(timezone, truncated_and_corrupted)
{
	static uint8_t orig[SL_TZ_FILE_MAX], buf[SL_TZ_FILE_MAX];
	char path[PATH_MAX + 64];
	sl_err err;
	const char *files[] = { "America/New_York", "Australia/Lord_Howe",
				"Africa/Casablanca" };

	for (size_t f = 0; f < 3; f++) {
		snprintf(path, sizeof(path), "%s/%s", zoneinfo_dir(), files[f]);
		size_t n = read_all(path, orig, sizeof(orig));
		cr_assert_gt(n, 100);
		sl_tz *z = sl_tz_from_tzif(files[f], orig, n, &err);
		cr_assert(z, "%s", err.msg);
		sl_tz_free(z);
		for (size_t len = 0; len < n; len++) {
			/* Exactly sized, so ASan sees a read past the end. */
			uint8_t *cut = malloc(len ? len : 1);
			memcpy(cut, orig, len);
			memset(&err, 0, sizeof(err));
			z = sl_tz_from_tzif(files[f], cut, len, &err);
			cr_assert_null(z, "%s cut at %zu parsed", files[f],
				       len);
			cr_assert_eq(err.code, SL_EIO);
			cr_assert(strncmp(err.msg, files[f],
					  strlen(files[f])) == 0,
				  "%s", err.msg);
			free(cut);
		}
		srand(12345);
		int ok = 0, bad_copies = 0;
		for (int k = 0; k < 4000; k++) {
			memcpy(buf, orig, n);
			for (int j = 0, m = 1 + rand() % 4; j < m; j++)
				buf[rand() % n] = (uint8_t)rand();
			uint8_t *copy = malloc(n);
			memcpy(copy, buf, n);
			z = sl_tz_from_tzif(files[f], copy, n, &err);
			if (z) {
				ok++;
				/* Whatever it parsed answers queries. */
				int64_t u;
				for (int64_t t = -4000000000LL * US;
				     t < 4000000000LL * US;
				     t += 86400 * 97 * US) {
					int32_t o = sl_tz_offset(z, t);
					cr_assert(o >= -93599 && o <= 93599);
					sl_tz_local_to_utc(z, t, &u, NULL);
				}
				sl_tz_free(z);
			} else {
				bad_copies++;
				cr_assert_eq(err.code, SL_EIO);
			}
			free(copy);
		}
		cr_log_info("%s: %d corrupted copies parsed, %d refused",
			    files[f], ok, bad_copies);
		cr_assert_gt(bad_copies, 100);
	}
}

static void expect_bad(const uint8_t *p, size_t n, const char *why)
{
	sl_err err = { 0 };
	sl_tz *z = sl_tz_from_tzif("Test/Zone", p, n, &err);

	cr_assert_null(z, "parsed, expected %s", why);
	cr_assert_eq(err.code, SL_EIO);
	cr_assert(strstr(err.msg, "Test/Zone") && strstr(err.msg, why),
		  "%s (expected %s)", err.msg, why);
}

Test(timezone, malformed_faults)
{
	uint8_t buf[1024];
	int64_t at[2] = { 1000, 2000 };
	uint8_t idx[2] = { 1, 0 };
	int32_t offs[2] = { 3600, 7200 };
	size_t n = build_tzif(buf, at, idx, 2, offs, 2, "AAA-1");
	sl_err err = { 0 };
	sl_tz *z = sl_tz_from_tzif("Test/Zone", buf, n, &err);

	cr_assert(z, "%s", err.msg);
	cr_assert_eq(sl_tz_offset(z, 999 * US), 3600);
	cr_assert_eq(sl_tz_offset(z, 1000 * US), 7200);
	cr_assert_eq(sl_tz_offset(z, 2000 * US), 3600);
	sl_tz_free(z);

	/* The second header starts after the 7 bytes of the v1 block. */
	size_t h2 = 44 + 7, data = h2 + 44;
	uint8_t b[1024];
#define CORRUPT(stmt, why)                                                     \
	do {                                                                   \
		memcpy(b, buf, n);                                             \
		stmt;                                                          \
		expect_bad(b, n, why);                                         \
	} while (0)
	CORRUPT(b[0] = 'X', "no TZif magic");
	CORRUPT(b[h2 + 1] = 'X', "no TZif magic");
	CORRUPT(b[4] = '1', "unknown version");
	CORRUPT(b[h2 + 39] = 0, "no local time types");
	CORRUPT(b[h2 + 35] = 200, "truncated data block");
	CORRUPT(b[h2 + 31] = 1, "truncated data block");
	CORRUPT(b[h2 + 23] = 1, "UT/standard indicator counts");
	CORRUPT(b[h2 + 32] = 0x7f, "counts larger than the file");
	CORRUPT(b[data + 14] = 0, "not ascending"); /* at[1] 208 */
	CORRUPT(b[data + 16] = 2, "transition type past the types");
	CORRUPT(b[data + 18] = 0x7f, "UT offset beyond 26 hours");
	CORRUPT(b[data + 22] = 2, "DST flag not 0 or 1");
	CORRUPT(b[data + 23] = 4, "abbreviation index past the table");
	CORRUPT(b[n - 7] = 'X', "no footer");
	CORRUPT(b[n - 1] = 'X', "no footer");
	CORRUPT(b[n - 2] = '+', "footer TZ string \"AAA-+\"");
	CORRUPT(b[n - 5] = '1', "bad standard time name");
#undef CORRUPT
	/* Leap seconds: a "right/" file. */
	memcpy(b, buf, n);
	b[h2 + 31] = 1;
	memset(b + n, 0, 12);
	memmove(b + n - 7 + 12, b + n - 7, 7); /* room for the record */
	expect_bad(b, n + 12, "leap-second");
	/* Footers. */
	const char *footers[][2] = {
		{ "EST5EDT", "daylight time without start and end dates" },
		{ "EST5EDT,M3.2.0", "bad daylight time start or end" },
		{ "EST5EDT,M13.2.0,M11.1.0", "bad daylight time start or end" },
		{ "EST5EDT,M3.6.0,M11.1.0", "bad daylight time start or end" },
		{ "EST5EDT,M3.2.7,M11.1.0", "bad daylight time start or end" },
		{ "EST5EDT,J0,J365", "bad daylight time start or end" },
		{ "EST5EDT,M3.2.0/168,M11.1.0",
		  "bad daylight time start or end" },
		{ "EST5EDT,M3.2.0,M11.1.0x", "text after the rule" },
		{ "EST25", "bad standard time name or offset" },
		{ "ES5", "bad standard time name or offset" },
		{ "<+05>", "bad standard time name or offset" },
		{ "<+5>-5", "bad standard time name or offset" },
		{ "EST5:60", "bad standard time name or offset" },
		{ "EST5ED", "bad daylight time name" },
	};
	for (size_t i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		n = build_tzif(buf, NULL, NULL, 0, offs, 1, footers[i][0]);
		expect_bad(buf, n, footers[i][1]);
	}
	/* Fine footers: RFC 8536's -167..167 h rule times. */
	n = build_tzif(buf, NULL, NULL, 0, offs, 1,
		       "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	z = sl_tz_from_tzif("Test/Zone", buf, n, &err);
	cr_assert(z, "%s", err.msg);
	sl_tz_free(z);
	n = build_tzif(buf, NULL, NULL, 0, offs, 1,
		       "IST-2IDT,M3.4.4/26,M10.5.0");
	z = sl_tz_from_tzif("Test/Zone", buf, n, &err);
	cr_assert(z, "%s", err.msg);
	sl_tz_free(z);
	/* A version 2 file whose version 1 block is empty. */
	n = build_tzif(buf, at, idx, 2, offs, 2, "AAA-1");
	memcpy(b, buf, 44);
	memset(b + 20, 0, 24);
	memcpy(b + 44, buf + 51, n - 51);
	z = sl_tz_from_tzif("Test/Zone", b, n - 7, &err);
	cr_assert(z, "%s", err.msg);
	cr_assert_eq(sl_tz_offset(z, 1000 * US), 7200);
	sl_tz_free(z);
	b[h2 - 7 + 39] = 0; /* but the 64-bit block needs its types */
	expect_bad(b, n - 7, "no local time types");
	/* Too large, from bytes and from a file. */
	static uint8_t big[SL_TZ_FILE_MAX + 1];
	memcpy(big, buf, n);
	expect_bad(big, sizeof(big), "larger than");
}

static void write_file(const char *dir, const char *name, const void *p,
		       size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert(f = fopen(path, "wb"), "%s", path);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Files under a zoneinfo directory: a malformed or oversized one is an
 * error naming its path; one that is not TZif names no zone. */
Test(timezone, zone_files)
{
	char *dir = sl_test_tmpdir("sl_tz");
	static uint8_t buf[SL_TZ_FILE_MAX + 1];
	char path[PATH_MAX + 64];
	sl_err err = { 0 };

	snprintf(path, sizeof(path), "%s/America/New_York", zoneinfo_dir());
	size_t n = read_all(path, buf, sizeof(buf));
	write_file(dir, "Good", buf, n);
	write_file(dir, "Cut", buf, n / 2);
	write_file(dir, "Text", "Hello, world\n", 13);
	memset(buf + n, 0, sizeof(buf) - n);
	write_file(dir, "Big", buf, sizeof(buf));

	sl_tz *z = sl_tz_open_dir(dir, "Good", &err);
	cr_assert(z, "%s", err.msg);
	cr_assert_str_eq(sl_tz_id(z), "Good");
	cr_assert_eq(sl_tz_offset(z, JUL2020), -4 * 3600);
	sl_tz_free(z);

	cr_assert_null(sl_tz_open_dir(dir, "Cut", &err));
	cr_assert_eq(err.code, SL_EIO);
	snprintf(path, sizeof(path), "%s/Cut: malformed TZif file", dir);
	cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);

	cr_assert_null(sl_tz_open_dir(dir, "Big", &err));
	cr_assert_eq(err.code, SL_EIO);
	snprintf(path, sizeof(path), "%s/Big: TZif file larger than", dir);
	cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);

	cr_assert_null(sl_tz_open_dir(dir, "Text", &err));
	cr_assert_eq(err.code, SL_EINVAL);
	cr_assert(strncmp(err.msg, "Unknown time-zone ID: Text", 26) == 0, "%s",
		  err.msg);
	cr_assert_null(sl_tz_open_dir(dir, "Missing", &err));
	cr_assert_str_eq(err.msg, "Unknown time-zone ID: Missing");
	/* A missing directory: every region is unknown, offsets still
	 * work. */
	cr_assert_null(sl_tz_open_dir("/nonexistent", "Europe/Paris", &err));
	cr_assert_str_eq(err.msg, "Unknown time-zone ID: Europe/Paris");
	z = sl_tz_open_dir("/nonexistent", "UTC+3", &err);
	cr_assert(z);
	sl_tz_free(z);
	sl_test_tmpdir_free(dir);
}

/* ---- the cache ------------------------------------------------------------
 */

Test(timezone, cache)
{
	sl_tz_cache *c = sl_tz_cache_new(zoneinfo_dir());
	sl_err err = { 0 };

	const sl_tz *a = sl_tz_cache_get(c, "America/New_York", &err);
	cr_assert(a, "%s", err.msg);
	cr_assert_eq(sl_tz_cache_get(c, "America/New_York", &err), a);
	cr_assert_eq(sl_tz_cache_zones(c), 1);
	/* "IST" is Asia/Kolkata: one table for both names. */
	const sl_tz *k = sl_tz_cache_get(c, "Asia/Kolkata", &err);
	cr_assert(k, "%s", err.msg);
	cr_assert_eq(sl_tz_cache_get(c, "IST", &err), k);
	cr_assert_eq(sl_tz_cache_zones(c), 2);
	/* Fixed offsets by their several spellings. */
	const sl_tz *f = sl_tz_cache_get(c, "+1", &err);
	cr_assert_str_eq(sl_tz_id(f), "+01:00");
	cr_assert_eq(sl_tz_cache_get(c, "+01:00", &err), f);
	cr_assert_eq(sl_tz_cache_get(c, "+0100", &err), f);
	cr_assert_eq(sl_tz_cache_get(c, "+1:00", &err), f);
	cr_assert_neq(sl_tz_cache_get(c, "UTC+1", &err), f); /* id UTC+01:00 */
	cr_assert_eq(sl_tz_cache_zones(c), 4);
	/* Failures are not kept. */
	cr_assert_null(sl_tz_cache_get(c, "Mars/Olympus", &err));
	cr_assert_str_eq(err.msg, "Unknown time-zone ID: Mars/Olympus");
	cr_assert_null(sl_tz_cache_get(c, "Mars/Olympus", &err));
	cr_assert_eq(sl_tz_cache_zones(c), 4);
	/* Bounded: every offset of a day's seconds fills it. */
	int got = 0, full = 0;
	for (int s = 0; s < SL_TZ_CACHE_MAX + 10; s++) {
		char name[32];
		snprintf(name, sizeof(name), "+%02d:%02d:%02d", s / 3600,
			 s / 60 % 60, s % 60);
		if (sl_tz_cache_get(c, name, &err))
			got++;
		else
			full++;
	}
	cr_assert_gt(full, 0);
	cr_assert(strstr(err.msg, "time zone cache full"), "%s", err.msg);
	cr_assert_leq(got, SL_TZ_CACHE_MAX);
	/* What it holds stays usable. */
	cr_assert_eq(sl_tz_cache_get(c, "IST", &err), k);
	cr_assert_eq(sl_tz_offset(a, JUL2020), -4 * 3600);
	sl_tz_cache_free(c);
	sl_tz_cache_free(NULL);
	sl_tz_free(NULL);
}

static sl_tz_cache *shared;

static void *cache_reader(void *arg)
{
	static const char *const zones[] = {
		"America/New_York",   "Europe/London", "Asia/Kolkata", "IST",
		"Pacific/Apia",	      "MIT",	       "+05:30",       "UTC",
		"Australia/Lord_Howe"
	};
	uintptr_t seed = (uintptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		sl_err err = { 0 };
		const char *name = zones[(seed + (uintptr_t)i * 7) % 9];
		const sl_tz *z = sl_tz_cache_get(shared, name, &err);
		if (!z)
			return (void *)1;
		int64_t u;
		sl_tz_local_to_utc(z, JUL2020 + i * 3600 * US, &u, NULL);
		if (sl_tz_offset(z, u) + 0 > 18 * 3600)
			return (void *)1;
	}
	return NULL;
}

/* Lookups from several threads at once share one table per zone. */
Test(timezone, cache_threads)
{
	pthread_t t[4];
	void *rc;

	shared = sl_tz_cache_new(zoneinfo_dir());
	for (uintptr_t i = 0; i < 4; i++)
		cr_assert_eq(
			pthread_create(&t[i], NULL, cache_reader, (void *)i),
			0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &rc);
		cr_assert_null(rc);
	}
	cr_assert_eq(sl_tz_cache_zones(shared), 7);
	sl_tz_cache_free(shared);
}

/* ---- the system's tzdata ---------------------------------------------------
 */

/* Every zone and link tzdata.zi lists (but Factory and ROC) opens from
 * SL_TZ_DIR_DEFAULT and answers for 1800..2200 without a hole: local -> UTC ->
 * local is the identity outside gaps and overlaps. Needs Debian's tzdata
 * package. */
Test(timezone, system_tzdata)
{
	char line[512], name[256];
	FILE *f = fopen(SL_TZ_DIR_DEFAULT "/tzdata.zi", "r");
	sl_tz_cache *c = sl_tz_cache_new(NULL);
	int zones = 0, links = 0;

	cr_assert(f, SL_TZ_DIR_DEFAULT "/tzdata.zi is missing: install "
				       "Debian's tzdata package");
	while (fgets(line, sizeof(line), f)) {
		char target[256];
		if (sscanf(line, "Z %255s", name) == 1)
			zones++;
		else if (sscanf(line, "L %255s %255s", target, name) == 2)
			links++;
		else
			continue;
		/* Not in Java's database (java_names checks they are refused).
		 */
		if (strcmp(name, "Factory") == 0 || strcmp(name, "ROC") == 0)
			continue;
		sl_err err = { 0 };
		const sl_tz *z = sl_tz_cache_get(c, name, &err);
		cr_assert(z, "%s: %s", name, err.msg);
		for (int64_t t = -5364662400LL * US; t < 7258118400LL * US;
		     t += 86400LL * 30 * US + 3600 * US) {
			int64_t local, back;
			int32_t off;
			cr_assert_eq(sl_tz_utc_to_local(z, t, &local), 0);
			cr_assert_eq(sl_tz_local_to_utc(z, local, &back, &off),
				     0);
			/* The earlier instant of an overlap may differ. */
			if (back != t)
				cr_assert(back < t &&
						  back >= t - 26 * 3600 * US,
					  "%s at %lld", name, (long long)t);
		}
	}
	fclose(f);
	cr_log_info("tzdata: %d zones, %d links", zones, links);
	cr_assert_gt(zones, 300);
	sl_tz_cache_free(c);
}
