#!/usr/bin/env python3
"""tools/spark_case_oracle.py - asks Spark itself what upper, lower and
initcap give, and writes the answers as test vectors for core/unicode.c.

Spark is the oracle (docs/ARCHITECTURE.md): these files are its output, not
ours. Needs PySpark and Java 17, which `make test` does not: the vectors are
committed and the unit tests read them.

    python3 -m venv /tmp/pyspark-venv
    /tmp/pyspark-venv/bin/pip install pyspark
    /tmp/pyspark-venv/bin/python tools/spark_case_oracle.py

Writes
  tests/data/unicode_case_spark.tsv    every code point (surrogates aside)
      whose upper, lower or initcap of the one-character string is not
      itself: "CP<TAB>UPPER<TAB>LOWER<TAB>INITCAP", each a space-separated
      list of hex code points;
  tests/data/unicode_strings_spark.tsv the strings below (context: final
      sigma, word starts): "INPUT<TAB>UPPER<TAB>LOWER<TAB>INITCAP" as hex
      UTF-8 bytes.
The strings go through a Parquet file and are read back, so the expressions
run in generated code over a scan, as in a real query, not folded as
literals. Spark's default spark.sql.icu.caseMappings.enabled=true is used.
"""
import os
import sys
import tempfile

from pyspark.sql import SparkSession, functions as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Context cases: final sigma (Unicode's rule, which ICU follows), word starts
# after ASCII space only, full title case at a word start, dotted I.
STRINGS = [
    "", "straße", "ŉ", "ǰ", "ΐ", "ﬁ", "ﬃ", "İ", "İstanbul", "ΑΣ", "ΑΣ Α",
    "Σ", "ΣΑ", "ΑΣΑ", "Α.Σ", "Α1Σ", "ΑΣ1Α", "Α'Σ", "ΑΣ'", "ΑΣ.Α",
    "Α\u0301Σ", "ΑΣ\u0301", "ΑΣ\u0301Α", "ΑΣΣ", "ΟΔΥΣΣΕΥΣ", "a Σ", "aΣ",
    "AΣb", "ΑΣ-Α", "Α-Σ", "ΑΣ\u00adΑ", "Α\u00adΣ", "ΑΣ ΣΑ", "Α Σ", "ΣΣ",
    "hello world", " hello  world ", "hELLO wORLD", "ǆungla ǆ", "ß x ß",
    "ﬁsh ﬁ", "ŉ x", "a\tb c", "a\u00a0b c", "a\nb", "𐐨x 𐐨x", "ᾳ ᾳx", "ǅ",
    "ǲ", "ΐ a", "i\u0307", "\u0130x \u0130", "𐐀𐐁", "ǉ ǈ Ǉ", "x\u0345",
    "\u0345 x", "\u03a3\u0345", "\u1e9e", "ꞵ", "\U0001e900", "\u2c2f",
    "\u0587", "ᏸ", "ꭰ", "Ꭰ", "Ⴀ", "ა", "\U00016e40", "\U0001e921", "ǰa",
    "a ǰ", "ΑΣ \u03a3", "x ΣΑ", "SPARK sql", "123 abc", "a-b c_d e.f",
    "ß" * 10, "Ǆ", "ǈa ǋb", "ΆΣ ΈΣ", "𝐀Σ", "ＡΣ", "Σ\u0301",
]


def hexcps(s):
    return " ".join("%X" % ord(c) for c in s)


def main():
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "2g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    tmp = tempfile.mkdtemp(prefix="spark-case-")
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    spark.createDataFrame([(c, chr(c)) for c in cps], "cp int, s string") \
        .write.parquet(tmp + "/cps")
    spark.createDataFrame(list(enumerate(STRINGS)), "i int, s string") \
        .write.parquet(tmp + "/strings")

    def mapped(name, key):
        df = spark.read.parquet(tmp + "/" + name)
        return df.select(key, "s", F.upper("s").alias("u"),
                         F.lower("s").alias("l"),
                         F.initcap("s").alias("t")).orderBy(key).collect()

    ver = spark.version
    with open(os.path.join(ROOT, "tests/data/unicode_case_spark.tsv"), "w") as f:
        f.write("# Spark %s upper/lower/initcap of each one-code-point string "
                "that changes (tools/spark_case_oracle.py)\n" % ver)
        for r in mapped("cps", "cp"):
            if r.u == r.s and r.l == r.s and r.t == r.s:
                continue
            f.write("%X\t%s\t%s\t%s\n" % (r.cp, hexcps(r.u), hexcps(r.l),
                                          hexcps(r.t)))
    with open(os.path.join(ROOT, "tests/data/unicode_strings_spark.tsv"),
              "w") as f:
        f.write("# Spark %s upper/lower/initcap of strings, UTF-8 hex "
                "(tools/spark_case_oracle.py)\n" % ver)
        for r in mapped("strings", "i"):
            f.write("\t".join(x.encode("utf-8").hex() or "-"
                              for x in (r.s, r.u, r.l, r.t)) + "\n")
    spark.stop()
    print("Spark", ver, "vectors written", file=sys.stderr)


if __name__ == "__main__":
    main()
