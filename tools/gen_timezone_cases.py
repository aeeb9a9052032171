#!/usr/bin/env python3
"""tools/gen_timezone_cases.py - expected values for tests/unit/core_timezone.c
from Python's zoneinfo, the reference for core/timezone.c.

Copies the TZif files of the zones below from the system's zoneinfo
(Debian's tzdata) into tests/data/zoneinfo/, so the test reads the very
bytes the values were computed from and a tzdata update cannot change
them, and writes tests/data/timezone_cases.txt:

    # comments
    Z <zone>                   the zone of the lines that follow
    O <utc_us> <offset_s>      offset at a UTC instant (microseconds)
    L <local_us> <utc_us>      local date-time -> UTC instant, java.time's way
    N <name> <id> <offset_s>   a name java.time accepts: its id, its offset
                               at 2020-07-01T00:00Z (over the system's tzdata)
    E <name> <message>         a name java.time refuses, with its message

The transitions of each zone are found by scanning its offsets every six
hours from 1800 to 2100 and bisecting each change to the second; every
transition gives offsets one microsecond either side, and local times
at each end of its gap or overlap and in its middle (one transition year
in ten past 2040, where the rules repeat). Random instants and local times add
more. Local -> UTC follows java.time's ZonedDateTime.of: in an overlap the
earlier offset, which is Python's fold=0; in a gap the local time moves
later by the gap's length and takes the offset after it. Python's fold=0 in
a gap keeps the wall time with the offset before: a different local time
but the same instant, which the script checks for every gap case.

The names (N and E lines) come from java.time itself: every file under
the system's zoneinfo, every id of the JDK's database and offsets spelled
every way, run through Spark's DateTimeUtils.getZoneId (its two rewrites,
then ZoneId.of(id, ZoneId.SHORT_IDS)) by a small Java program this script
writes and runs with `java` (OpenJDK 17's source launcher). The JDK's 13
deprecated SystemV/ ids are left out: tzdata has no files for them.

    python3 tools/gen_timezone_cases.py [zoneinfo-dir]
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Dublin",        # negative DST in the source data
    "Europe/Moscow",
    "Australia/Lord_Howe",  # 30-minute DST
    "Australia/Sydney",     # southern hemisphere
    "Asia/Kolkata",
    "Asia/Kathmandu",       # +05:45
    "Asia/Tehran",          # DST abolished in 2022
    "America/Sao_Paulo",    # DST abolished in 2019
    "America/Santiago",     # rule times of 24:00
    "America/St_Johns",     # -03:30
    "America/Nuuk",         # rule times of -1:00
    "Asia/Jerusalem",       # rule time of 26:00
    "Pacific/Apia",         # skipped 2011-12-30
    "Pacific/Kiritimati",   # skipped 1994-12-31
    "Pacific/Chatham",      # +12:45 / +13:45
    "Africa/Casablanca",    # Ramadan transitions listed to 2087
    "Antarctica/Troll",     # two-hour DST
    "Asia/Gaza",
]

US = 1_000_000
EPOCH = datetime(1970, 1, 1)
UTC = timezone.utc


def offset_at(tz, s):
    """Offset in seconds at UTC second s."""
    dt = (EPOCH + timedelta(seconds=s)).replace(tzinfo=UTC).astimezone(tz)
    return int(dt.utcoffset().total_seconds())


def local_offsets(tz, local_us):
    """(fold=0 offset, fold=1 offset) of a naive local time."""
    naive = EPOCH + timedelta(microseconds=local_us)
    o0 = int(naive.replace(tzinfo=tz, fold=0).utcoffset().total_seconds())
    o1 = int(naive.replace(tzinfo=tz, fold=1).utcoffset().total_seconds())
    return o0, o1


def java_local_to_utc(tz, local_us):
    """ZonedDateTime.of(local, zone).toInstant() in microseconds."""
    o0, o1 = local_offsets(tz, local_us)
    s = local_us // US
    exists0 = offset_at(tz, s - o0) == o0
    exists1 = offset_at(tz, s - o1) == o1
    if exists0 or exists1:
        # Valid or an overlap: the earlier instant, the larger offset
        # among the valid ones (fold=0 in an overlap).
        valid = [o for o, ok in ((o0, exists0), (o1, exists1)) if ok]
        utc = local_us - max(valid) * US
        if exists0 and exists1:
            assert utc == local_us - o0 * US  # fold=0 is the earlier
        return utc
    # A gap: Python's fold=0 takes the offset before, fold=1 the one after.
    before, after = o0, o1
    assert after > before, (tz, local_us, o0, o1)
    moved = local_us + (after - before) * US   # java.time moves it later
    utc = moved - after * US
    assert utc == local_us - before * US       # the same instant as fold=0
    return utc


def transitions(tz, y0=1800, y1=2100):
    """UTC seconds of every change of offset, scanning every 6 hours."""
    s = int((datetime(y0, 1, 1) - EPOCH).total_seconds())
    end = int((datetime(y1, 12, 31) - EPOCH).total_seconds())
    step = 6 * 3600
    prev = offset_at(tz, s)
    out = []
    while s < end:
        nxt = s + step
        o = offset_at(tz, nxt)
        if o != prev:
            lo, hi = s, nxt  # offset(lo) == prev, offset(hi) != prev
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_at(tz, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = offset_at(tz, hi)
            if prev != o:  # two changes in six hours: scan on from hi
                s = hi
                continue
        s = nxt
    return out


def cases(tz, rng):
    lines = []
    for t in transitions(tz):
        year = (EPOCH + timedelta(seconds=t)).year
        # The rule years repeat themselves: keep one in ten past 2040.
        if year > 2040 and year % 10:
            continue
        b, a = offset_at(tz, t - 1), offset_at(tz, t)
        for us, off in ((t * US - 1, b), (t * US, a)):
            lines.append(f"O {us} {off}")
        lo, hi = (t + b, t + a) if a > b else (t + a, t + b)
        # Each end of the gap or overlap, a microsecond either side, and
        # its middle.
        for local_us in (lo * US - 1, lo * US, (lo + hi) // 2 * US + 999_999,
                         hi * US - 1, hi * US):
            lines.append(f"L {local_us} {java_local_to_utc(tz, local_us)}")
    lo = int((datetime(1850, 1, 1) - EPOCH).total_seconds())
    hi = int((datetime(2100, 1, 1) - EPOCH).total_seconds())
    for _ in range(100):
        us = rng.randrange(lo, hi) * US + rng.randrange(US)
        lines.append(f"O {us} {offset_at(tz, us // US)}")
        lines.append(f"L {us} {java_local_to_utc(tz, us)}")
    return lines


JAVA_NAMES = r"""
import java.io.*;
import java.time.*;
public class Names {
    public static void main(String[] args) throws IOException {
        if (args.length > 0) {
            for (String id : ZoneId.getAvailableZoneIds())
                System.out.println(id);
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        Instant at = Instant.parse("2020-07-01T00:00:00Z");
        for (String name; (name = in.readLine()) != null;) {
            String id = name.replaceFirst("(\\+|\\-)(\\d):", "$10$2:")
                .replaceFirst("(\\+|\\-)(\\d\\d):(\\d)$", "$1$2:0$3");
            try {
                ZoneId z = ZoneId.of(id, ZoneId.SHORT_IDS);
                System.out.println("N " + name + " " + z.getId() + " "
                    + z.getRules().getOffset(at).getTotalSeconds());
            } catch (Exception e) {
                System.out.println("E " + name + " " + e.getMessage());
            }
        }
    }
}
"""


def offset_spellings():
    for prefix in ("", "UTC", "GMT", "UT"):
        for sign in "+-":
            for body in ("0", "1", "9", "01", "10", "18", "19", "0130",
                         "01:30", "013015", "01:30:15", "1:30", "01:3",
                         "1:3", "01:60", "18:00", "18:01", "001", "1:30:15",
                         "01:30:1", "0:00", "00:00:00", "05:45", "+1", "1:",
                         "01:", "0130:15", "-01"):
                yield prefix + sign + body
    yield from ("Z", "z", "UTC", "GMT", "UT", "U", "UTC0", "GMT0", "UT0",
                "UTZ", "GMTX", "ABC", "UCT", "Mars/Olympus", "1Europe",
                "America/New_York/", "America//New_York", "America/../UTC",
                "~abc", "a", "A-B", "america/new_york")


def java_names(src):
    """N and E lines from java.time for every name worth asking about."""
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "Names.java")
        with open(prog, "w") as f:
            f.write(JAVA_NAMES)
        ids = subprocess.run(["java", prog, "ids"], check=True,
                             capture_output=True, text=True).stdout.split()
        names = set(ids) | set(offset_spellings())
        for d, _, files in os.walk(src):
            rel = os.path.relpath(d, src)
            if rel.split(os.sep)[0] in ("posix", "right"):
                continue
            for f in files:
                names.add(f if rel == "." else os.path.join(rel, f))
        names = sorted(n for n in names
                       if n and not n.startswith("SystemV/")
                       and not any(c.isspace() for c in n))
        out = subprocess.run(["java", prog], input="\n".join(names) + "\n",
                             check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo"
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    data = os.path.join(root, "tests", "data")
    with open(os.path.join(src, "tzdata.zi")) as f:
        version = f.readline().strip().lstrip("# ")
    rng = random.Random(20261207)
    out = [
        "# tests/data/timezone_cases.txt - generated by "
        "tools/gen_timezone_cases.py",
        f"# from Python's zoneinfo over tzdata {version} "
        "(tests/data/zoneinfo/); do not edit",
    ]
    for name in ZONES:
        dst = os.path.join(data, "zoneinfo", name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(src, name), dst)
        with open(dst, "rb") as f:
            tz = ZoneInfo.from_file(f, key=name)
        out.append(f"Z {name}")
        out.extend(cases(tz, rng))
    out.append("# names, by java.time " + subprocess.run(
        ["java", "-version"], capture_output=True, text=True).stderr.split(
            "\n")[0])
    out.extend(java_names(src))
    with open(os.path.join(data, "timezone_cases.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(out)} lines, {len(ZONES)} zones", file=sys.stderr)


if __name__ == "__main__":
    main()
