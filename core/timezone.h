/* core/timezone.h - time zones as Spark's `spark.sql.session.timeZone`
 * and its zone arguments (from_utc_timestamp, to_utc_timestamp,
 * convert_timezone, date_format's zone, ...) name them, with java.time's
 * semantics, which Spark uses: the offset of a zone at a UTC instant, and a
 * local date-time to the UTC instant java.time's ZonedDateTime.of gives.
 *
 * Names are resolved as Spark's DateTimeUtils.getZoneId does: two
 * rewrites kept from before Spark 3.0 ("+h:mm" -> "+0h:mm", a trailing
 * "+hh:m" -> "+hh:0m"), then java.time's ZoneId.of(id, ZoneId.SHORT_IDS):
 * - "Z" and offsets "+h", "+hh", "+hhmm", "+hh:mm", "+hhmmss", "+hh:mm:ss"
 *   (and "-"), within +-18:00: a fixed offset whose id is Java's
 *   ("+01:00", "+01:00:30", "Z" for zero);
 * - "UTC", "GMT", "UT", alone or followed by such an offset ("UTC+8",
 *   "GMT+01:00", "UT-5"): a fixed offset with the prefix kept in the id
 *   ("UTC+08:00"; "UTC+0" is "UTC");
 * - the 28 short ids of ZoneId.SHORT_IDS ("EST" is -05:00, "PST" is
 *   America/Los_Angeles, "IST" Asia/Kolkata, ...);
 * - any other name of the form [A-Za-z][A-Za-z0-9~/._+-]+ is a region id,
 *   case-sensitive as in Java ("America/New_York", "Europe/Madrid",
 *   "US/Eastern", "Etc/GMT+5", "CET"), read from the TZif file of that name
 *   under the zoneinfo directory (Debian's tzdata: /usr/share/zoneinfo).
 *   Names there that are not zones in Java's database are refused as
 *   Java refuses them: "posixrules", "localtime", "Factory", "ROC",
 *   "posix/...", "right/...", and files that are not TZif (zone.tab,
 *   leapseconds, ...). Java's 13 deprecated "SystemV/..." ids have no
 *   file and are unknown here (the one difference from OpenJDK 17 over
 *   every name tzdata has).
 * Anything else is an error whose message is java.time's ("Unknown
 * time-zone ID: Mars/Olympus", "Invalid ID for ZoneOffset, invalid format:
 * +001", ...), code SL_EINVAL; Spark wraps it in its own error class for
 * the configuration (INVALID_CONF_VALUE.TIME_ZONE), which is the caller's.
 *
 * Offsets: the TZif table's transitions, and past its last transition the
 * POSIX TZ rule of its footer (RFC 8536), so every int64 microsecond instant
 * has an offset; before the first transition the file's first time type
 * (local mean time). Local -> UTC follows java.time: in an overlap the
 * earlier offset (the one before the transition), in a gap the local time is
 * moved later by the gap's length and the offset after it applies, which is
 * the instant local - offset-before.
 *
 * A zone is immutable once opened and may be read by any number of threads.
 * Opening a region reads and parses a file (a few kilobytes; about 40 us,
 * most of it expanding the footer rule into the table up to 2200), too
 * slow for a zone named per row, so an sl_tz_cache (owned by its caller,
 * e.g. a session: the library keeps no global state) keeps every zone it
 * opened until it is freed, and repeated names share one table. Queries
 * cost a binary search: an offset about 25 ns, local -> UTC about 120 ns,
 * a fixed offset a few ns.
 *
 * How Spark's operations map (timestamps are UTC microseconds, timestamp_ntz
 * values local microseconds):
 * - rendering a timestamp, hour(), to_date(), date_trunc(...) in the
 *   session zone: sl_tz_utc_to_local, then calendar fields of the local
 *   value;
 * - a string or timestamp_ntz without a zone to timestamp, make_timestamp,
 *   to_utc_timestamp(ts, tz): sl_tz_local_to_utc;
 * - from_utc_timestamp(ts, tz): sl_tz_utc_to_local;
 * - convert_timezone(from, to, ntz): sl_tz_local_to_utc in from, then
 *   sl_tz_utc_to_local in to. */
#ifndef SL_CORE_TIMEZONE_H
#define SL_CORE_TIMEZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/value.h"
#include "sluice.h"

/* Where Debian's tzdata package puts the TZif files. */
#define SL_TZ_DIR_DEFAULT "/usr/share/zoneinfo"
/* A TZif file larger than this is refused: the largest in tzdata is under
 * 4 KiB (64-bit data for every transition to 2037), so this leaves room
 * for anything real while bounding what a stray file can make us read. */
#define SL_TZ_FILE_MAX (256 * 1024)
/* The longest zone name accepted (the longest in tzdata is 32 bytes). */
#define SL_TZ_NAME_MAX 255
/* The most distinct names one cache holds (tzdata has about 600 region
 * names; the rest is room for fixed offsets named per row). */
#define SL_TZ_CACHE_MAX 4096

typedef struct sl_tz sl_tz;
typedef struct sl_tz_cache sl_tz_cache;

/* Opens the zone `name` (the forms above) from SL_TZ_DIR_DEFAULT. Returns
 * NULL with err set on failure: SL_EINVAL for a name java.time refuses or
 * that names no zone, SL_EIO for a zone file that cannot be read, is larger
 * than SL_TZ_FILE_MAX or is malformed (the message names the file and what
 * is wrong). Free with sl_tz_free. */
sl_tz *sl_tz_open(const char *name, sl_err *err);
/* The same with the zoneinfo directory dir (NULL: SL_TZ_DIR_DEFAULT). */
sl_tz *sl_tz_open_dir(const char *dir, const char *name, sl_err *err);
/* A zone from the TZif bytes data[0..len), with id as its id (e.g. a file
 * the caller read or embedded). SL_EIO with the id and the fault when the
 * bytes are not a well-formed TZif file; len over SL_TZ_FILE_MAX too. */
sl_tz *sl_tz_from_tzif(const char *id, const void *data, size_t len,
		       sl_err *err);
/* Frees a zone from sl_tz_open*, sl_tz_from_tzif. NULL is a no-op. Zones
 * from a cache are the cache's and are not freed with this. */
void sl_tz_free(sl_tz *z);

/* A cache of zones read from dir (NULL: SL_TZ_DIR_DEFAULT). Returns NULL
 * only when out of memory. Its lookups may run on several threads at once
 * (a mutex guards the table). */
sl_tz_cache *sl_tz_cache_new(const char *dir);
/* Frees the cache and every zone it handed out. NULL is a no-op. */
void sl_tz_cache_free(sl_tz_cache *c);
/* The zone `name`, opened on first use; the pointer stays valid until
 * sl_tz_cache_free. Errors as sl_tz_open's (failures are not remembered),
 * and SL_EINVAL once SL_TZ_CACHE_MAX names are held. */
const sl_tz *sl_tz_cache_get(sl_tz_cache *c, const char *name, sl_err *err);
/* How many distinct zone tables the cache holds (names sharing a table,
 * such as "IST" and "Asia/Kolkata", count once). */
size_t sl_tz_cache_zones(sl_tz_cache *c);

/* The zone's id as java.time's ZoneId.getId gives it: "America/New_York",
 * "+01:00", "Z", "UTC", "UTC+08:00", "America/Los_Angeles" for "PST". */
const char *sl_tz_id(const sl_tz *z);
/* True when the zone has one offset at every instant (a fixed offset, or a
 * region whose file has one), stored at *offset_s if not NULL. */
bool sl_tz_is_fixed(const sl_tz *z, int32_t *offset_s);

/* The offset from UTC in seconds (east positive) at the UTC instant
 * utc_us, microseconds since 1970-01-01T00:00:00Z; any int64 is valid.
 * Cannot fail. */
int32_t sl_tz_offset(const sl_tz *z, int64_t utc_us);
/* The UTC instant of the local date-time local_us (microseconds since
 * 1970-01-01T00:00:00 on the zone's wall clock) at *utc_us, as
 * java.time's ZonedDateTime.of(local, zone).toInstant(): the offset valid
 * there; in an overlap the earlier one; in a gap the offset before the gap
 * (the local time moved forward by the gap). The offset used is at
 * *offset_s if not NULL. Returns 0, or SL_EINVAL when the instant falls
 * outside int64. */
int sl_tz_local_to_utc(const sl_tz *z, int64_t local_us, int64_t *utc_us,
		       int32_t *offset_s);
/* utc_us on the zone's wall clock: utc_us + offset, the inverse of the
 * above outside gaps and overlaps. SL_EINVAL when it falls outside int64. */
int sl_tz_utc_to_local(const sl_tz *z, int64_t utc_us, int64_t *local_us);

/* The first change of offset strictly after the UTC second after_s (any
 * int64) at *at_s, with the offsets before and after it: 1, or 0 when there
 * is none before the end of the int64 microsecond range (a fixed zone, or a
 * rule whose daylight time never starts or never ends). Transitions that
 * change only the abbreviation or the DST flag are not changes. For
 * expressions that walk transitions and for tests. */
int sl_tz_next_transition(const sl_tz *z, int64_t after_s, int64_t *at_s,
			  int32_t *before_s, int32_t *after_off_s);

#endif
