#!/usr/bin/env python3
"""tools/gen_unicode_tables.py - writes core/unicode_tables.c (the case
mapping and character class tables of core/unicode.c) and the expected
per-code-point vectors tests/data/unicode_case.tsv.

    python3 tools/gen_unicode_tables.py      (Python 3.11: Unicode 14.0)
    python3 tools/gen_unicode_tables.py --check JAVA.tsv
        (compares instead with tools/UnicodeJavaDump.java's output)

Sources, and why:
- Full case mappings are Python's str.upper(), str.lower() and str.title()
  of each one-character string: Python applies UnicodeData.txt and the
  unconditional SpecialCasing.txt mappings, as ICU's root locale does, which
  is what Spark 4 uses (spark.sql.icu.caseMappings.enabled, default true).
- Spark 4.3 ships ICU 78 (Unicode 17), newer than Python 3.11's Unicode 14.
  tests/data/unicode_case_spark.tsv is Spark's own answer for every code
  point (tools/spark_case_oracle.py). Where it differs from Python and the
  code point or its mapping is unassigned in Python's Unicode (a case pair
  added in Unicode 15-17), Spark's mapping is taken; any other difference
  stops this script, since it would be a rule of Spark's we do not know.
- Simple (one code point) mappings are not exposed by Python: they are the
  full mapping when that is one code point; otherwise the title case when
  it is one code point (upper of the Greek letters with ypogegrammeni:
  U+1FB3 -> U+1FBC, as UnicodeData.txt has it), else the code point itself;
  lower's only multi-code-point mapping, U+0130 -> U+0069 U+0307, has
  simple lower U+0069.
- Cased and Case_Ignorable (the final sigma rule) are not exposed either;
  they are read off Python's own final sigma: c + "Σ" lowers to a final
  sigma exactly when c is cased and not case-ignorable, "Α" + c + "Σ"
  when c is case-ignorable or that. Code points that Spark maps and Python
  does not know are taken as cased.
- Letter, digit and whitespace follow java.lang.Character (isLetter: L*,
  isDigit: Nd, isWhitespace: Zs/Zl/Zp except U+00A0, U+2007, U+202F, plus
  U+0009-U+000D and U+001C-U+001F), from Python's general categories.
"""
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAXCP = 0x110000
SIGMA, FINAL = "\u03a3", "\u03c2"


def code_points():
    return [c for c in range(MAXCP) if not 0xD800 <= c <= 0xDFFF]


def read_spark():
    spark = {}
    path = os.path.join(ROOT, "tests/data/unicode_case_spark.tsv")
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            cp, u, l, t = line.rstrip("\n").split("\t")
            dec = lambda x: tuple(int(h, 16) for h in x.split())
            spark[int(cp, 16)] = (dec(u), dec(l), dec(t))
    return spark


def unassigned(cps):
    return any(unicodedata.category(chr(c)) == "Cn" for c in cps)


def full_maps(spark):
    """cp -> (upper, lower, title) tuples of code points, changed ones only."""
    maps, adopted = {}, []
    for c in code_points():
        ch = chr(c)
        py = tuple(tuple(ord(x) for x in s)
                   for s in (ch.upper(), ch.lower(), ch.title()))
        sp = spark.get(c, ((c,), (c,), (c,)))
        if py != sp:
            if not (unassigned([c]) or any(unassigned(m) for m in sp + py)):
                sys.exit("U+%04X: Python %r, Spark %r: not a newer-Unicode "
                         "difference" % (c, py, sp))
            adopted.append(c)
            py = sp
        if py != ((c,), (c,), (c,)):
            maps[c] = py
    return maps, adopted


def simple(c, full, title):
    if len(full) == 1:
        return full[0]
    if c == 0x130:  # the one multi-code-point lower mapping
        return full[0]
    if len(title) == 1:
        return title[0]
    return c


def classes(maps, adopted):
    """cp -> flag byte."""
    flags = bytearray(MAXCP)
    for c in code_points():
        ch = chr(c)
        cat = unicodedata.category(ch)
        f = 0
        p1 = (ch + SIGMA).lower()[-1] == FINAL
        p2 = ("\u0391" + ch + SIGMA).lower()[-1] == FINAL
        if p1 or c in adopted:
            f |= 1  # cased
        elif p2:
            f |= 2  # case-ignorable
        if cat[0] == "L":
            f |= 4
        if cat == "Nd":
            f |= 8
        if (cat in ("Zs", "Zl", "Zp") and c not in (0xA0, 0x2007, 0x202F)) \
                or 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F:
            f |= 16
        flags[c] = f
    return flags


def delta_runs(pairs):
    """Sorted (cp, mapped) -> [(lo, hi, stride, delta)]: runs of the same
    delta, over consecutive code points (stride 1) or every other one
    (stride 2, the alternating upper/lower pairs of Latin Extended)."""
    runs = []
    i = 0
    while i < len(pairs):
        c, m = pairs[i]
        d = m - c
        best = (c, c, 1, 1)
        for stride in (1, 2):
            j = i
            while (j + 1 < len(pairs) and pairs[j + 1][0] == pairs[j][0] + stride
                   and pairs[j + 1][1] - pairs[j + 1][0] == d):
                j += 1
            if j - i + 1 > best[3]:
                best = (c, pairs[j][0], stride, j - i + 1)
        runs.append((best[0], best[1], best[2], d))
        i += best[3]
    return runs


def emit_block(w, name, idx):
    assert max(idx) < 65536
    w("static const uint16_t %s[257] = {\n" % name)
    for i in range(0, 257, 10):
        w("\t" + " ".join("%d," % x for x in idx[i:i + 10]) + "\n")
    w("};\n\n")


def emit(out, maps, flags, adopted):
    w = out.write
    w("/* core/unicode_tables.c - GENERATED by tools/gen_unicode_tables.py\n"
      " * (do not edit).\n"
      " * Case mapping and character class tables for core/unicode.c, from\n"
      " * Python %s's unicodedata (Unicode %s) and str.upper/lower/title,\n"
      " * with the %d code points whose mappings Spark 4.3 (ICU 78,\n"
      " * Unicode 17) has and Unicode %s lacks taken from\n"
      " * tests/data/unicode_case_spark.tsv. Layouts: core/unicode.h. */\n"
      % (sys.version.split()[0], unicodedata.unidata_version, len(adopted),
         unicodedata.unidata_version))
    w("/* clang-format off */\n#include \"core/unicode.h\"\n\n")
    w("const char sl_unicode_table_version[] = \"%s+spark-4.3-icu-78\";\n\n"
      % unicodedata.unidata_version)
    names = ("upper", "lower", "title")
    counts = {}
    for k, name in enumerate(names):
        pairs = []
        for c in sorted(maps):
            m = maps[c]
            s = simple(c, m[k], m[2])
            if name == "title":
                # Only where title case is not upper case (the digraphs,
                # Georgian): core/unicode.c falls back on upper's table.
                if s != simple(c, m[0], m[2]):
                    pairs.append((c, s))
            elif s != c:
                pairs.append((c, s))
        runs = delta_runs(pairs)
        w("static const sl_unicode_delta %s_deltas[] = {\n" % name)
        cells = ["{ 0x%05X, 0x%05X, %d, %d }," % r for r in runs]
        for i in range(0, len(cells), 2):
            w("\t" + " ".join(cells[i:i + 2]) + "\n")
        w("};\n\n")
        # first run reaching each 256-code-point block of the BMP
        emit_block(w, "%s_delta_block" % name,
                   [next((k for k, r in enumerate(runs) if r[1] >= b * 256),
                         len(runs)) for b in range(257)])
        counts[name] = len(runs)
    # full mappings that are not the simple one
    for k, name in enumerate(names):
        rows = []
        for c in sorted(maps):
            m = maps[c][k]
            if len(m) > 1:
                assert len(m) <= 3
                rows.append((c, m))
        w("static const sl_unicode_full %s_full[] = {\n" % name)
        for c, m in rows:
            cps = list(m) + [0] * (3 - len(m))
            w("\t{ 0x%05X, { 0x%05X, 0x%05X, 0x%05X } },\n" % ((c,) + tuple(cps)))
        w("};\n\n")
        emit_block(w, "%s_full_block" % name,
                   [next((k for k, r in enumerate(rows) if r[0] >= b * 256),
                         len(rows)) for b in range(257)])
        w("const sl_unicode_map sl_unicode_%s_map = {\n"
          "\t%s_deltas, %d, %s_delta_block,\n\t%s_full, %d, %s_full_block,\n"
          "};\n\n" % (name, name, counts[name], name, name, len(rows), name))
    runs = []
    prev = -1
    for c in range(MAXCP):
        if flags[c] != prev:
            runs.append((c << 8) | flags[c])
            prev = flags[c]
    w("/* (first code point << 8) | SL_UNICODE_* class bits, holding up to the\n"
      " * next entry's first code point. */\n")
    w("const uint32_t sl_unicode_class_runs[] = {\n")
    for i in range(0, len(runs), 6):
        w("\t" + " ".join("0x%08X," % r for r in runs[i:i + 6]) + "\n")
    w("};\nconst size_t sl_unicode_class_nruns = %d;\n" % len(runs))


def vectors(out, maps):
    out.write("# Expected full upper, lower, title of each code point that"
              " changes, Unicode %s + Spark 4.3 (tools/gen_unicode_tables.py)\n"
              % unicodedata.unidata_version)
    for c in sorted(maps):
        out.write("%X\t%s\n" % (c, "\t".join(" ".join("%X" % x for x in m)
                                             for m in maps[c])))


def check(path, maps, flags):
    """Compares the tables' rules with tools/UnicodeJavaDump.java's output:
    ICU's simple mappings and Cased/Case_Ignorable, Java's letter, digit,
    whitespace. Prints each difference, split by whether the code point is
    new since Python's Unicode (expected: the versions differ) or not."""
    diffs = {}
    with open(path) as f:
        head = f.readline().strip()
        for line in f:
            v = line.rstrip("\n").split("\t")
            c = int(v[0], 16)
            m = maps.get(c, ((c,), (c,), (c,)))
            mine = (simple(c, m[0], m[2]), simple(c, m[1], m[2]),
                    simple(c, m[2], m[2]))
            icu = tuple(int(x, 16) for x in v[1:4])
            cased, ign, letter, digit, ws = (x == "1" for x in v[4:9])
            fl = flags[c]
            new = unassigned([c])
            for name, ok in (
                    ("simple mappings (ICU)", mine == icu),
                    ("Case_Ignorable (ICU)", bool(fl & 2) == ign),
                    ("Cased, not ignorable (ICU)",
                     bool(fl & 1) == (cased and not ign)),
                    ("isLetter (Java)", bool(fl & 4) == letter),
                    ("isDigit (Java)", bool(fl & 8) == digit),
                    ("isWhitespace (Java)", bool(fl & 16) == ws)):
                if not ok:
                    diffs.setdefault((name, new), []).append(c)
    print(head)
    for (name, new), cps in sorted(diffs.items()):
        print("%s, %s: %d: %s" % (
            name, "new since Unicode %s" % unicodedata.unidata_version
            if new else "assigned in Unicode %s" % unicodedata.unidata_version,
            len(cps), " ".join("%04X" % c for c in cps[:40])))
    if not diffs:
        print("no differences")


def check_growth(maps):
    """core/unicode.h's SL_UNICODE_MAX_GROWTH: no mapping makes more than
    three UTF-8 bytes of output per byte of input."""
    for c, m in maps.items():
        n = len(chr(c).encode("utf-8"))
        for cps in m:
            out = len("".join(map(chr, cps)).encode("utf-8"))
            if out > 3 * n:
                sys.exit("U+%04X grows %d -> %d bytes" % (c, n, out))


def main():
    spark = read_spark()
    maps, adopted = full_maps(spark)
    check_growth(maps)
    flags = classes(maps, adopted)
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2], maps, flags)
        return
    with open(os.path.join(ROOT, "core/unicode_tables.c"), "w") as f:
        emit(f, maps, flags, adopted)
    with open(os.path.join(ROOT, "tests/data/unicode_case.tsv"), "w") as f:
        vectors(f, maps)
    print("Unicode %s; %d mapped code points, %d adopted from Spark" %
          (unicodedata.unidata_version, len(maps), len(adopted)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
