"""tests/pipeline/parquet.py - Parquet files checked by an independent
reader and writer: pyarrow (and Spark, when PARQUET_SPARK is not 0).

sluice pipelines write Parquet from JSON input with every type the sink
writes, nulls included, for each compression; pyarrow reads every file and
its values, types, nulls and footer statistics are compared with the
input; Spark reads the output directory through its _spark_metadata log.
Run by tests/pipeline/parquet.sh (which makes the venv):
    SLUICE=build/sluice python tests/pipeline/parquet.py [-k NAME[|NAME]]
(-k runs the tests whose names contain one of the NAMEs.)
The last line is `N passed, M failed`."""
import datetime as dt
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

import pyarrow as pa
import pyarrow.parquet as pq

import parquet_bad

SLUICE = os.path.abspath(os.environ.get("SLUICE", "build/sluice"))
TMP = None  # main makes it
UTC = dt.timezone.utc
CODECS = ["none", "snappy", "gzip", "zstd"]

# The columns sluice writes, their SQL types and pyarrow's types.
COLUMNS = [
    ("b", "BOOLEAN", pa.bool_()),
    ("i", "INT", pa.int32()),
    ("l", "BIGINT", pa.int64()),
    ("t8", "TINYINT", pa.int8()),
    ("s16", "SMALLINT", pa.int16()),
    ("d", "DOUBLE", pa.float64()),
    ("s", "STRING", pa.string()),
    ("bin", "BINARY", pa.binary()),
    ("dt", "DATE", pa.date32()),
    ("ts", "TIMESTAMP", pa.timestamp("us", tz="UTC")),
]

# The rows: (JSON field values, the values pyarrow must give). A missing
# field is a null.
ROWS = [
    ({"b": True, "i": 1, "l": 10000000000, "t8": -5, "s16": 300,
      "d": 1.5, "s": "h\u00e9llo", "bin": "abc", "dt": "2024-01-02",
      "ts": "2024-01-02T03:04:05.123456Z"},
     {"b": True, "i": 1, "l": 10000000000, "t8": -5, "s16": 300,
      "d": 1.5, "s": "h\u00e9llo", "bin": b"abc",
      "dt": dt.date(2024, 1, 2),
      "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)}),
    ({"b": False, "i": -2147483648, "l": -9223372036854775808, "t8": 127,
      "s16": -32768, "d": -2.5e300, "s": "", "bin": "", "dt": "1969-12-31",
      "ts": "1960-01-01T00:00:00Z"},
     {"b": False, "i": -2147483648, "l": -9223372036854775808, "t8": 127,
      "s16": -32768, "d": -2.5e300, "s": "", "bin": b"",
      "dt": dt.date(1969, 12, 31),
      "ts": dt.datetime(1960, 1, 1, tzinfo=UTC)}),
    ({}, {}),
    ({"b": True, "i": 2147483647, "d": "NaN", "s": "zz \u2603",
      "ts": "2262-04-11T23:47:16Z"},
     {"b": True, "i": 2147483647, "d": float("nan"), "s": "zz \u2603",
      "ts": dt.datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC)}),
    ({"l": 7, "t8": -128, "s16": 32767, "d": 0.0, "bin": "\u0001x",
      "dt": "0001-01-01"},
     {"l": 7, "t8": -128, "s16": 32767, "d": 0.0, "bin": b"\x01x",
      "dt": dt.date(1, 1, 1)}),
]

# The null count and the min and max (None: none) of each column's
# statistics in the one row group of the ROWS file.
STATS = {
    "b": (2, False, True),
    "i": (2, -2147483648, 2147483647),
    "l": (2, -9223372036854775808, 10000000000),
    "t8": (2, -128, 127),
    "s16": (2, -32768, 32767),
    "d": (1, -2.5e300, 1.5),
    "s": (2, "", "zz \u2603"),
    "bin": (2, b"", b"abc"),
    "dt": (2, dt.date(1, 1, 1), dt.date(2024, 1, 2)),
    "ts": (2, dt.datetime(1960, 1, 1, tzinfo=UTC),
           dt.datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC)),
}



class Runner:
    """Runs the named checks of a test script: -k NAME|NAME picks those
    whose name has one of them; every failure is reported, and finish()
    prints `N passed, M failed` and exits 1 if any failed."""

    def __init__(self):
        self.only = sys.argv[2] if len(sys.argv) > 2 and \
            sys.argv[1] == "-k" else ""
        self.passed = self.failed = 0

    def t(self, name, fn, *args):
        if self.only and not any(k in name for k in self.only.split("|")):
            return None
        try:
            r = fn(*args)
            self.passed += 1
            print("ok   " + name)
            return r
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print("FAIL " + name + ": " + str(e))
            if not isinstance(e, AssertionError):
                traceback.print_exc()
            return None

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def fail(why):
    raise AssertionError(why)


def run_sluice(sql, name, expect_rc=0):
    path = os.path.join(TMP, name + ".sql")
    with open(path, "w") as f:
        f.write(sql)
    p = subprocess.run([SLUICE, "run", path], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    if "Sanitizer" in p.stderr or "runtime error" in p.stderr:
        fail("sluice run %s: %s" % (name, p.stderr.strip()))
    if p.returncode != expect_rc:
        fail("sluice run %s: exit %d, expected %d: %s" %
             (name, p.returncode, expect_rc, p.stderr.strip()))
    return p


def write_json(dirname, rows):
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, "in.json"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def sink_sql(name, src, options, select=None):
    """A pipeline that copies JSON files of src (the COLUMNS, SQL types)
    into Parquet under TMP/name with the sink's options."""
    read = ", ".join("%s %s" % (c, "INT" if t in ("TINYINT", "SMALLINT")
                               else t) for c, t, _ in COLUMNS)
    cols = ", ".join("CAST(%s AS %s) AS %s" % (c, t, c)
                     if t in ("TINYINT", "SMALLINT") else c
                     for c, t, _ in COLUMNS)
    opts = "".join(", %s = %s" % (k, v) for k, v in options.items())
    out = os.path.join(TMP, name)
    return out, """
CREATE SOURCE src WITH (format = 'json', path = '%s', schema = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow'%s);
INSERT INTO out SELECT %s FROM src;
""" % (src, read, out, out + ".ckpt", opts, select or cols)


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b and type(a) is type(b)


def check_table(t, want_rows, where):
    want_schema = pa.schema([(c, ty) for c, _, ty in COLUMNS])
    if not t.schema.equals(want_schema):
        fail("%s: schema\n%s\nexpected\n%s" % (where, t.schema, want_schema))
    got = t.to_pylist()
    if len(got) != len(want_rows):
        fail("%s: %d rows, expected %d" % (where, len(got), len(want_rows)))
    for i, (g, w) in enumerate(zip(got, want_rows)):
        for c, _, _ in COLUMNS:
            if not same(g[c], w.get(c)):
                fail("%s: row %d column %s is %r, expected %r" %
                     (where, i, c, g[c], w.get(c)))


def parquet_files(out):
    files = sorted(glob.glob(os.path.join(out, "*.parquet")))
    if not files:
        fail("no Parquet file in " + out)
    return files


# ---- the writer ------------------------------------------------------------

def writer_types_nulls(codec, reps=1):
    """The ROWS (reps times over) with every type, in one file: values,
    types, nulls and statistics as pyarrow reads them; dictionary pages
    where they make a column smaller, as Spark's writer decides at a
    chunk's first page: none for the ROWS once (each column's values are
    distinct), every column but the booleans for the ROWS 20 times."""
    name = "types-%s-%d" % (codec, reps)
    src = os.path.join(TMP, "in-" + name)
    write_json(src, [r for r, _ in ROWS] * reps)
    out, sql = sink_sql(name, src, {"compression": "'%s'" % codec})
    run_sluice(sql, name)
    files = parquet_files(out)
    if len(files) != 1:
        fail("%d files, expected 1" % len(files))
    # Spark's name: part-00000-<uuid>.c000<codec extension>.parquet.
    ext = {"none": "", "uncompressed": "", "snappy": ".snappy",
           "gzip": ".gz", "zstd": ".zstd"}[codec]
    base = os.path.basename(files[0])
    if not re.fullmatch(r"part-00000-[0-9a-f-]{36}\.c000%s\.parquet" %
                        re.escape(ext), base):
        fail("file name %s, expected part-00000-UUID.c000%s.parquet" %
             (base, ext))
    # Each page's CRC-32 checked too, as Spark's files have them.
    f = pq.ParquetFile(files[0], page_checksum_verification=True)
    # Spark's footer metadata: its schema JSON, which Spark's reader
    # takes the types from, and the version (no calendar rebase).
    kv = f.metadata.metadata or {}
    spark_types = {"BOOLEAN": "boolean", "INT": "integer", "BIGINT": "long",
                   "TINYINT": "byte", "SMALLINT": "short",
                   "DOUBLE": "double", "STRING": "string",
                   "BINARY": "binary", "DATE": "date",
                   "TIMESTAMP": "timestamp"}
    want_json = {"type": "struct", "fields": [
        {"name": c, "type": spark_types[t], "nullable": True,
         "metadata": {}} for c, t, _ in COLUMNS]}
    got_json = kv.get(b"org.apache.spark.sql.parquet.row.metadata")
    if got_json is None or json.loads(got_json) != want_json:
        fail("row metadata %r, expected %r" % (got_json, want_json))
    if kv.get(b"org.apache.spark.version") != b"4.0.0":
        fail("org.apache.spark.version is %r" %
             kv.get(b"org.apache.spark.version"))
    want_codec = {"none": "UNCOMPRESSED", "uncompressed": "UNCOMPRESSED",
                  "snappy": "SNAPPY", "gzip": "GZIP", "zstd": "ZSTD"}[codec]
    md = f.metadata
    for j in range(md.num_columns):
        if md.row_group(0).column(j).compression != want_codec:
            fail("column %d is %s, expected %s" %
                 (j, md.row_group(0).column(j).compression, want_codec))
        if md.row_group(0).column(j).has_dictionary_page != \
                (j != 0 and reps > 1):
            fail("column %d: dictionary page %r" %
                 (j, md.row_group(0).column(j).has_dictionary_page))
    check_table(f.read(), [w for _, w in ROWS] * reps, files[0])
    # Each column's statistics.
    for j, (c, _, _) in enumerate(COLUMNS):
        st = md.row_group(0).column(j).statistics
        nulls, lo, hi = STATS[c]
        nulls *= reps
        if st is None or st.null_count != nulls:
            fail("column %s: null count %r, expected %d" %
                 (c, st and st.null_count, nulls))
        if not st.has_min_max or not same(st.min, lo) or \
                not same(st.max, hi):
            fail("column %s: min/max %r/%r, expected %r/%r" %
                 (c, st.min, st.max, lo, hi))
    # The physical and logical types Spark writes.
    sch = f.schema
    want = {"t8": ("INT32", "Int(bitWidth=8, isSigned=true)"),
            "s16": ("INT32", "Int(bitWidth=16, isSigned=true)"),
            "dt": ("INT32", "Date"), "s": ("BYTE_ARRAY", "String"),
            "ts": ("INT64",
                   "Timestamp(isAdjustedToUTC=true, timeUnit=microseconds, "
                   "is_from_converted_type=false, "
                   "force_set_converted_type=false)"),
            "l": ("INT64", "None"), "bin": ("BYTE_ARRAY", "None")}
    for j, (c, _, _) in enumerate(COLUMNS):
        col = sch.column(j)
        if col.max_definition_level != 1:
            fail("column %s is not OPTIONAL" % c)
        if c in want and (col.physical_type, str(col.logical_type)) != \
                want[c]:
            fail("column %s is %s %s, expected %s" %
                 (c, col.physical_type, col.logical_type, want[c]))
    return out


def writer_row_groups():
    """parquet.block.size cuts a file into row groups; the pages of a
    column chunk end at parquet.page.size bytes."""
    src = os.path.join(TMP, "in-many")
    n = 30000
    rows = [{"i": k, "l": k * 3, "s": "row %d" % (k // 5) if k % 7 else None,
             "b": k % 3 == 0, "d": k / 4} for k in range(n)]
    write_json(src, rows)
    out, sql = sink_sql("many", src, {"'parquet.block.size'": 65536,
                                      "'parquet.page.size'": 8192,
                                      "'parquet.dictionary.page.size'":
                                      2048, "compression": "'snappy'"})
    run_sluice(sql, "many")
    files = parquet_files(out)
    f = pq.ParquetFile(files[0])
    if len(files) != 1 or f.metadata.num_row_groups < 4:
        fail("%d files, %d row groups: expected 1 file of several" %
             (len(files), f.metadata.num_row_groups))
    t = f.read()
    want = [{"i": r["i"], "l": r["l"], "s": r["s"], "b": r["b"],
             "d": r["d"]} for r in rows]
    got = t.select(["i", "l", "s", "b", "d"]).to_pylist()
    if got != want:
        bad = next(k for k in range(n) if got[k] != want[k])
        fail("row %d is %r, expected %r" % (bad, got[bad], want[bad]))
    rg = f.metadata.row_group(0)
    if rg.column(1).statistics.min != 0:
        fail("row group 0 min of i is %r" % rg.column(1).statistics.min)
    last = f.metadata.row_group(f.metadata.num_row_groups - 1)
    if last.column(1).statistics.max != n - 1:
        fail("last row group max of i is %r" % last.column(1).statistics.max)
    if sum(f.metadata.row_group(k).num_rows
           for k in range(f.metadata.num_row_groups)) != n:
        fail("row groups do not add up to %d rows" % n)
    # The strings' dictionary filled up (2048 bytes): a dictionary page,
    # then PLAIN pages. The unique i: its dictionary does not pay at the
    # first page, so none (Spark's writer gives up the same way). sluice
    # reads its own files back too.
    names = [c for c, _, _ in COLUMNS]
    cs, ci = rg.column(names.index("s")), rg.column(names.index("i"))
    if not cs.has_dictionary_page or \
            set(cs.encodings) != {"PLAIN_DICTIONARY", "PLAIN", "RLE"}:
        fail("column s: dictionary page %r, encodings %r" %
             (cs.has_dictionary_page, cs.encodings))
    if ci.has_dictionary_page or "PLAIN_DICTIONARY" in ci.encodings:
        fail("the unique column i has a dictionary: %r" % (ci.encodings,))
    out2, sql = copy_sql("many-back", out)
    run_sluice(sql, "many-back")
    if not read_back(out2).equals(t):
        fail("sluice read back other rows than it wrote")


def writer_no_dictionary():
    src = os.path.join(TMP, "in-nodict")
    write_json(src, [r for r, _ in ROWS])
    out, sql = sink_sql("nodict", src,
                        {"'parquet.enable.dictionary'": "false"})
    run_sluice(sql, "nodict")
    f = pq.ParquetFile(parquet_files(out)[0])
    for j in range(f.metadata.num_columns):
        if f.metadata.row_group(0).column(j).has_dictionary_page:
            fail("column %d has a dictionary page" % j)
    check_table(f.read(), [w for _, w in ROWS], out)


def partitioned_sql(src, out, schema, by):
    """JSON files of src (schema) into Parquet under out, partitionBy
    by."""
    return """
CREATE SOURCE src WITH (format = 'json', path = '%s', schema = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s', partitionBy = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % (src, schema, out, by, out + ".ckpt")


def writer_partitioned():
    """partitionBy: one file per directory, the partition column left
    out of the files."""
    src = os.path.join(TMP, "in-part")
    write_json(src, [{"i": k, "s": "p%d" % (k % 2)} for k in range(10)])
    out = os.path.join(TMP, "part")
    run_sluice(partitioned_sql(src, out, "i INT, s STRING", "s"), "part")
    for p in ("p0", "p1"):
        files = glob.glob(os.path.join(out, "s=" + p, "*.parquet"))
        if len(files) != 1:
            fail("s=%s has %d files" % (p, len(files)))
        t = pq.read_table(files[0], partitioning=None)
        if t.column_names != ["i"]:
            fail("s=%s columns %r" % (p, t.column_names))
        got = sorted(t.column("i").to_pylist())
        if got != [k for k in range(10) if "p%d" % (k % 2) == p]:
            fail("s=%s rows %r" % (p, got))


def writer_restart_and_max_records():
    """A restart from the checkpoint writes only the new file's rows;
    maxRecordsPerFile cuts a batch into complete Parquet files."""
    src = os.path.join(TMP, "in-restart")
    write_json(src, [{"i": k} for k in range(5)])
    out, sql = sink_sql("restart", src, {"maxRecordsPerFile": 2})
    run_sluice(sql, "restart")
    counts = sorted(pq.ParquetFile(f).metadata.num_rows
                    for f in parquet_files(out))
    if counts != [1, 2, 2]:
        fail("maxRecordsPerFile 2 gave files of %r rows" % counts)
    tmpf = os.path.join(TMP, "more.json")
    with open(tmpf, "w") as f:
        f.write("".join(json.dumps({"i": k}) + "\n" for k in range(5, 8)))
    os.rename(tmpf, os.path.join(src, "more.json"))
    run_sluice(sql, "restart")
    got = sorted(read_back(out).column("i").to_pylist())
    if got != list(range(8)):
        fail("after the restart the files hold %r" % got)
    with open(os.path.join(out, "_spark_metadata", "1")) as f:
        if f.read().count(".parquet") != 2:
            fail("batch 1's manifest does not list its 2 files")


def writer_split_array():
    """An ARRAY column a query makes (split) is a LIST column pyarrow
    reads back (more in tests/pipeline/parquet_nested.py)."""
    src = os.path.join(TMP, "in-nested")
    write_json(src, [{"s": "a,b"}, {"s": ""}, {"s": None}])
    out = os.path.join(TMP, "nested")
    run_sluice("""
CREATE SOURCE src WITH (format = 'json', path = '%s', schema = 's STRING');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT split(s, ',') AS parts FROM src;
""" % (src, out, out + ".ckpt"), "nested")
    got = read_back(out).column("parts").to_pylist()
    if got != [["a", "b"], [""], None]:
        fail("parts %r" % got)


# ---- the reader --------------------------------------------------------------

def arrow_table(n):
    """n rows of every type, nulls in every column, repeats for the
    dictionary."""
    rows = []
    for k in range(n):
        _, w = ROWS[k % len(ROWS)]
        r = dict(w)
        if k >= len(ROWS) and "i" in r:
            r["i"] = k
        rows.append(r)
    cols = {c: pa.array([r.get(c) for r in rows], type=ty)
            for c, _, ty in COLUMNS}
    return pa.table(cols), rows


def copy_sql(name, src, schema=None):
    """sluice reads Parquet files of src and writes them with its own
    writer (checked above by pyarrow) under TMP/name."""
    out = os.path.join(TMP, name)
    opt = ", schema = '%s'" % schema if schema else ""
    return out, """
CREATE SOURCE src WITH (format = 'parquet', path = '%s'%s);
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % (src, opt, out, out + ".ckpt")


def read_back(out):
    files = parquet_files(out)
    return pa.concat_tables([pq.read_table(f, page_checksum_verification=True)
                             for f in files])


def reader_arrow_file(codec, dictionary, page_version):
    name = "r-%s-%s-%s" % (codec, dictionary, page_version)
    src = os.path.join(TMP, name + "-in")
    os.makedirs(src)
    t, rows = arrow_table(3000)
    pq.write_table(t, os.path.join(src, "a.parquet"), compression=codec,
                   use_dictionary=dictionary, data_page_size=2048,
                   row_group_size=1000, data_page_version=page_version)
    md = pq.ParquetFile(os.path.join(src, "a.parquet")).metadata
    encs = md.row_group(0).column(6).encodings
    if dictionary != ("RLE_DICTIONARY" in encs):
        fail("pyarrow's encodings %r" % (encs,))
    out, sql = copy_sql(name, src)
    run_sluice(sql, name)
    check_table(read_back(out), rows, out)


# The encodings pyarrow writes besides PLAIN and dictionary, by column.
ENCODINGS = {
    "DELTA_BINARY_PACKED": ["i", "l", "t8", "s16", "dt", "ts"],
    "DELTA_LENGTH_BYTE_ARRAY": ["s", "bin"],
    "DELTA_BYTE_ARRAY": ["s", "bin"],
    "BYTE_STREAM_SPLIT": ["d", "i", "l"],
}


def reader_arrow_encodings(encoding, page_version):
    """pyarrow's DELTA_* and BYTE_STREAM_SPLIT pages (its footer says
    so), in several pages and row groups, read as pyarrow wrote them."""
    name = "enc-%s-%s" % (encoding, page_version)
    src = os.path.join(TMP, name + "-in")
    os.makedirs(src)
    t, rows = arrow_table(5000)
    # Long shared prefixes for DELTA_BYTE_ARRAY, and values past one
    # miniblock's range for the deltas.
    t = t.set_column(6, "s", pa.array(
        [None if r.get("s") is None else "prefix-%d-%s" % (k // 3, r["s"])
         for k, r in enumerate(rows)], pa.string()))
    t = t.set_column(2, "l", pa.array(
        [None if r.get("l") is None else r["l"] // 4 * (k % 5 - 2) + k * k
         for k, r in enumerate(rows)], pa.int64()))
    rows = t.to_pylist()
    cols = ENCODINGS[encoding]
    pq.write_table(t, os.path.join(src, "a.parquet"), compression="zstd",
                   use_dictionary=False, data_page_size=4096,
                   row_group_size=2000, data_page_version=page_version,
                   column_encoding={c: encoding for c in cols})
    md = pq.ParquetFile(os.path.join(src, "a.parquet")).metadata
    names = [c for c, _, _ in COLUMNS]
    for c in cols:
        encs = md.row_group(0).column(names.index(c)).encodings
        if encoding not in encs:
            fail("pyarrow wrote %s as %r" % (c, encs))
    out, sql = copy_sql(name, src)
    run_sluice(sql, name)
    check_table(read_back(out), rows, out)


# Partition directories as Spark lays them out: (a, b, c) values, the
# values sluice must give (Spark's inference: a BIGINT, b STRING with its
# %XX escapes undone, c DATE; the null directory).
PARTS = [("1", "p0", "2024-01-01", 1, "p0", dt.date(2024, 1, 1)),
         ("2", "a%2Fb", "2024-01-02", 2, "a/b", dt.date(2024, 1, 2)),
         ("__HIVE_DEFAULT_PARTITION__", "p 1", "2024-01-03", None, "p 1",
          dt.date(2024, 1, 3)),
         ("3000000000", "x", "2024-01-04", 3000000000, "x",
          dt.date(2024, 1, 4))]


def reader_partitions():
    """col=value/ directories: their files are read, the partition
    columns follow the files' in the schema with Spark's types, each
    row gets its directory's values."""
    src = os.path.join(TMP, "parts-in")
    want = []
    for k, (a, b, c, av, bv, cv) in enumerate(PARTS):
        d = os.path.join(src, "a=" + a, "b=" + b, "c=" + c)
        os.makedirs(d)
        pq.write_table(pa.table({"v": pa.array([k, k + 10], pa.int32())}),
                       os.path.join(d, "f.parquet"))
        want += [{"v": k, "a": av, "b": bv, "c": cv},
                 {"v": k + 10, "a": av, "b": bv, "c": cv}]
    # A directory that is no partition's, and hidden ones: not read.
    for k, d in enumerate(("other", "_tmp", ".x=1")):
        os.makedirs(os.path.join(src, d))
        pq.write_table(pa.table({"v": [97 + k]}),
                       os.path.join(src, d, "f.parquet"))
    out, sql = copy_sql("parts", src)
    run_sluice(sql, "parts")
    got = read_back(out)
    types = [(f.name, str(f.type)) for f in got.schema]
    if types != [("v", "int32"), ("a", "int64"), ("b", "string"),
                 ("c", "date32[day]")]:
        fail("schema %r" % types)
    rows = sorted(got.to_pylist(), key=lambda r: r["v"])
    if rows != sorted(want, key=lambda r: r["v"]):
        fail("rows %r, expected %r" % (rows, want))
    # A schema that names a partition column reads it from the path too.
    out, sql = copy_sql("parts-schema", src, schema="b STRING, v BIGINT")
    run_sluice(sql, "parts-schema")
    rows = sorted(read_back(out).to_pylist(), key=lambda r: r["v"])
    if rows != sorted(({"b": r["b"], "v": r["v"]} for r in want),
                      key=lambda r: r["v"]):
        fail("with a schema: rows %r" % rows)
    return src, want


def reader_partitions_round_trip():
    """sluice's own partitionBy output read back: the same rows."""
    src = os.path.join(TMP, "in-part-rt")
    write_json(src, [{"i": k, "s": "p%d" % (k % 3), "n": k % 2}
                     for k in range(30)])
    mid = os.path.join(TMP, "part-rt")
    run_sluice(partitioned_sql(src, mid, "i INT, s STRING, n INT", "s,n"),
               "part-rt")
    out, sql = copy_sql("part-rt-back", mid)
    run_sluice(sql, "part-rt-back")
    got = sorted(read_back(out).to_pylist(), key=lambda r: r["i"])
    if got != [{"i": k, "s": "p%d" % (k % 3), "n": k % 2}
               for k in range(30)]:
        fail("rows %r" % got[:4])


def reader_schema_projection():
    """A schema that names some columns in another order, one the file
    lacks (nulls) and an int read as bigint."""
    src = os.path.join(TMP, "proj-in")
    os.makedirs(src)
    t, rows = arrow_table(50)
    pq.write_table(t, os.path.join(src, "a.parquet"))
    out = os.path.join(TMP, "proj")
    run_sluice("""
CREATE SOURCE src WITH (format = 'parquet', path = '%s',
  schema = 'S STRING, i BIGINT, missing DOUBLE, s16 INT');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % (src, out, out + ".ckpt"), "proj")
    got = read_back(out)
    if [str(f.type) for f in got.schema] != ["string", "int64", "double",
                                             "int32"]:
        fail("schema %s" % got.schema)
    want = [{"S": r.get("s"), "i": r.get("i"), "missing": None,
             "s16": r.get("s16")} for r in rows]
    if got.to_pylist() != want:
        fail("rows %r, expected %r" % (got.to_pylist()[:3], want[:3]))


def reader_projection_reads_only_its_columns():
    """A schema naming some columns reads only their column chunks: the
    chunk of a column left out is overwritten with garbage and the read
    still gives the right rows; with that column in the schema it fails,
    naming the column and its chunk's offset."""
    buf = pa.BufferOutputStream()
    n = 500
    pq.write_table(pa.table({"i": pa.array(range(n), pa.int32()),
                             "s": ["v%d" % k for k in range(n)]}),
                   buf, compression="snappy", use_dictionary=False)
    data = bytearray(buf.getvalue().to_pybytes())
    cm = pq.ParquetFile(pa.BufferReader(bytes(data))).metadata \
        .row_group(0).column(1)
    start = cm.data_page_offset
    data[start:start + cm.total_compressed_size] = \
        b"\xff" * cm.total_compressed_size
    src = os.path.join(TMP, "projection-in")
    os.makedirs(src)
    with open(os.path.join(src, "a.parquet"), "wb") as f:
        f.write(data)
    out, sql = copy_sql("projection", src, schema="i INT")
    run_sluice(sql, "projection")
    if read_back(out).column("i").to_pylist() != list(range(n)):
        fail("rows of i differ")
    out, sql = copy_sql("projection-s", src, schema="i INT, s STRING")
    p = run_sluice(sql, "projection-s", expect_rc=1)
    if "column 's' (page at byte %d)" % start not in p.stderr:
        fail("stderr %r" % p.stderr)


def reader_required_columns():
    """REQUIRED (non-nullable) columns have no definition levels."""
    src = os.path.join(TMP, "req-in")
    os.makedirs(src)
    sch = pa.schema([pa.field("a", pa.int64(), nullable=False),
                     pa.field("s", pa.string(), nullable=False),
                     pa.field("n", pa.int32())])
    t = pa.table({"a": [1, 2, 3], "s": ["x", "y", "x"], "n": [4, None, 6]},
                 schema=sch)
    for v in ("1.0", "2.0"):
        pq.write_table(t, os.path.join(src, "v%s.parquet" % v[0]),
                       data_page_version=v)
    out, sql = copy_sql("req", src)
    run_sluice(sql, "req")
    got = read_back(out).to_pylist()
    if got != t.to_pylist() * 2:
        fail("rows %r" % got)


def reader_timestamp_units():
    """TIMESTAMP(MILLIS) and INT96 timestamps read as microseconds."""
    vals = [dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC), None,
            dt.datetime(1900, 3, 1, tzinfo=UTC),
            dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)]
    src = os.path.join(TMP, "ts-in")
    os.makedirs(src)
    pq.write_table(pa.table({"ts": pa.array(vals, pa.timestamp("ms", "UTC"))}),
                   os.path.join(src, "ms.parquet"), coerce_timestamps="ms")
    pq.write_table(pa.table({"ts": pa.array(vals, pa.timestamp("us", "UTC"))}),
                   os.path.join(src, "int96.parquet"),
                   use_deprecated_int96_timestamps=True)
    for name in ("ms", "int96"):
        col = pq.ParquetFile(os.path.join(src, name + ".parquet")).schema
        want = "INT96" if name == "int96" else "INT64"
        if col.column(0).physical_type != want:
            fail("%s is %s" % (name, col.column(0).physical_type))
    out, sql = copy_sql("ts", src)
    run_sluice(sql, "ts")
    got = read_back(out).column("ts").to_pylist()
    if got != vals * 2:
        fail("timestamps %r" % got)


def reader_float_and_many_files():
    """float32 reads as FLOAT (and is written back as float32); every
    file of the directory is read."""
    src = os.path.join(TMP, "float-in")
    os.makedirs(src)
    for k in range(3):
        pq.write_table(pa.table({"f": pa.array([k + 0.5, None],
                                               type=pa.float32())}),
                       os.path.join(src, "p%d.parquet" % k))
    out, sql = copy_sql("float", src)
    run_sluice(sql, "float")
    if read_back(out).schema.field("f").type != pa.float32():
        fail("type %s" % read_back(out).schema.field("f").type)
    got = sorted((v for v in read_back(out).column("f").to_pylist()),
                 key=lambda v: (v is None, v))
    if got != [0.5, 1.5, 2.5, None, None, None]:
        fail("values %r" % got)


def reader_ntz():
    """TIMESTAMP without a time zone (isAdjustedToUTC false, micros and
    millis) reads as TIMESTAMP_NTZ and is written back as pyarrow's
    timestamp without a zone (and Spark's timestamp_ntz, in
    spark_reads)."""
    import datetime
    src = os.path.join(TMP, "ntz-in")
    os.makedirs(src)
    when = [datetime.datetime(2024, 2, 29, 23, 59, 59, 123000), None,
            datetime.datetime(1969, 12, 31, 0, 0, 1)]
    pq.write_table(pa.table({"t": pa.array(when, pa.timestamp("us")),
                             "m": pa.array(when, pa.timestamp("ms"))}),
                   os.path.join(src, "a.parquet"))
    out, sql = copy_sql("ntz", src)
    path = os.path.join(TMP, "ntz.sql")
    with open(path, "w") as f:
        f.write(sql)
    v = subprocess.run([SLUICE, "validate", path], capture_output=True,
                       text=True, timeout=60)
    if "t: timestamp_ntz, m: timestamp_ntz" not in v.stdout:
        fail("validate: %s" % v.stdout)
    run_sluice(sql, "ntz")
    t = read_back(out)
    if t.schema.field("t").type != pa.timestamp("us") or \
            t.column("t").to_pylist() != when or \
            t.column("m").to_pylist() != when:
        fail("NTZ read back as %r: %r" % (t.schema, t.to_pylist()))
    return out


def reader_unsupported_columns():
    src = os.path.join(TMP, "list-in")
    os.makedirs(src)
    pq.write_table(pa.table({"l": pa.array([[({"a": 1}, 1)]],
                                           pa.map_(pa.struct([("a", pa.int32())]),
                                                   pa.int32())),
                             "i": [5]}), os.path.join(src, "a.parquet"))
    out, sql = copy_sql("list", src)
    p = run_sluice(sql, "list", expect_rc=1)
    if "column 'l' is a map not of a repeated key_value group of an " \
            "atomic key and a value, which sluice does not read yet" \
            not in p.stderr:
        fail("stderr %r" % p.stderr)
    # With a schema that leaves the map out, the rest reads.
    out, sql = copy_sql("list-skip", src, schema="i BIGINT")
    run_sluice(sql, "list-skip")
    if read_back(out).to_pylist() != [{"i": 5}]:
        fail("rows %r" % read_back(out).to_pylist())
    empty = os.path.join(TMP, "empty-in")
    os.makedirs(empty)
    out, sql = copy_sql("empty", empty)
    p = run_sluice(sql, "empty", expect_rc=1)
    if "no option 'schema' and no Parquet file in" not in p.stderr:
        fail("stderr %r" % p.stderr)


def spark_reads(outs, parts, ntz_out):
    """Spark reads sluice's directories (through _spark_metadata) and
    gets the rows and types pyarrow got."""
    from pyspark.sql import SparkSession
    s = (SparkSession.builder.master("local[1]")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    try:
        for out in outs:
            df = s.read.parquet(out)
            types = [(f.name, f.dataType.simpleString())
                     for f in df.schema.fields]
            want = [("b", "boolean"), ("i", "int"), ("l", "bigint"),
                    ("t8", "tinyint"), ("s16", "smallint"),
                    ("d", "double"), ("s", "string"), ("bin", "binary"),
                    ("dt", "date"), ("ts", "timestamp")]
            if types != want:
                fail("%s: Spark's schema %r" % (out, types))
            got = [r.asDict() for r in df.collect()]
            for i, (g, (_, w)) in enumerate(zip(got, ROWS)):
                for c, _, _ in COLUMNS:
                    wv = w.get(c)
                    if c == "ts" and wv is not None:
                        wv = wv.replace(tzinfo=None)
                    if c == "bin" and g[c] is not None:
                        g[c] = bytes(g[c])
                    if not same(g[c], wv):
                        fail("%s: Spark row %d %s = %r, expected %r" %
                             (out, i, c, g[c], wv))
            if len(got) != len(ROWS):
                fail("%s: Spark read %d rows" % (out, len(got)))
        if ntz_out:
            # sluice's TIMESTAMP_NTZ is Spark's timestamp_ntz, and
            # Spark's timestamp_ntz files read back the same.
            df = s.read.parquet(ntz_out)
            if [f.dataType.simpleString() for f in df.schema.fields] != \
                    ["timestamp_ntz", "timestamp_ntz"]:
                fail("Spark's NTZ schema %r" % df.schema)
            spark_ntz = os.path.join(TMP, "spark-ntz")
            df.coalesce(1).write.parquet(spark_ntz)
            out, sql = copy_sql("from-spark-ntz", spark_ntz)
            run_sluice(sql, "from-spark-ntz")
            if read_back(out).to_pylist() != \
                    pq.read_table(ntz_out).to_pylist():
                fail("sluice's copy of Spark's NTZ file differs")
        # Spark writes (its dictionary pages, INT96 timestamps, snappy)
        # and sluice reads.
        from pyspark.sql import types as T
        sch = T.StructType([T.StructField(c, {
            "BOOLEAN": T.BooleanType(), "INT": T.IntegerType(),
            "BIGINT": T.LongType(), "TINYINT": T.ByteType(),
            "SMALLINT": T.ShortType(), "DOUBLE": T.DoubleType(),
            "STRING": T.StringType(), "BINARY": T.BinaryType(),
            "DATE": T.DateType(), "TIMESTAMP": T.TimestampType()}[ty])
            for c, ty, _ in COLUMNS])
        rows = [w for _, w in ROWS] * 40
        data = [tuple(bytearray(r[c]) if c == "bin" and r.get(c) is not None
                      else r.get(c) for c, _, _ in COLUMNS) for r in rows]
        df = s.createDataFrame(data, sch).coalesce(1)
        # Every codec with parquet-mr's v1 writer (PLAIN and dictionary
        # pages v1) and v2 writer (data pages v2, RLE_DICTIONARY, RLE
        # booleans; without dictionaries DELTA_BINARY_PACKED integers and
        # DELTA_BYTE_ARRAY strings), each timestamp type Spark writes.
        cases = [(codec, ver, "INT96", "true") for codec in CODECS
                 for ver in ("v1", "v2")]
        cases += [("snappy", "v2", "TIMESTAMP_MICROS", "false"),
                  ("gzip", "v2", "INT96", "false"),
                  ("zstd", "v1", "TIMESTAMP_MILLIS", "true")]
        names = [c for c, _, _ in COLUMNS]
        for codec, ver, tstype, dictionary in cases:
            s.conf.set("spark.sql.parquet.outputTimestampType", tstype)
            src = os.path.join(TMP, "spark-%s-%s-%s-%s" %
                               (codec, ver, tstype, dictionary))
            (df.write.option("compression", codec)
             .option("parquet.writer.version", ver)
             .option("parquet.enable.dictionary", dictionary)
             .parquet(src))
            md = pq.ParquetFile(parquet_files(src)[0]).metadata
            phys = md.schema.column(9).physical_type
            if phys != ("INT96" if tstype == "INT96" else "INT64"):
                fail("Spark wrote ts (%s) as %s" % (tstype, phys))
            encs = md.row_group(0).column(names.index("i")).encodings
            sencs = md.row_group(0).column(names.index("s")).encodings
            if (ver, dictionary) == ("v2", "false") and \
                    ("DELTA_BINARY_PACKED" not in encs or
                     "DELTA_BYTE_ARRAY" not in sencs):
                fail("Spark's v2 writer wrote i as %r, s as %r" %
                     (encs, sencs))
            want = rows
            if tstype == "TIMESTAMP_MILLIS":
                want = [dict(r, ts=r["ts"].replace(
                    microsecond=r["ts"].microsecond // 1000 * 1000))
                    if r.get("ts") else r for r in rows]
            name = "from-" + os.path.basename(src)
            out, sql = copy_sql(name, src)
            run_sluice(sql, name)
            check_table(read_back(out), want, out)
        # Partition directories: Spark's schema and rows are sluice's.
        if parts:
            src, want = parts
            # Spark refuses a directory beside the partitions' (sluice
            # leaves it out).
            shutil.rmtree(os.path.join(src, "other"))
            df = s.read.parquet(src)
            types = [(f.name, f.dataType.simpleString())
                     for f in df.schema.fields]
            if types != [("v", "int"), ("a", "bigint"), ("b", "string"),
                         ("c", "date")]:
                fail("Spark's partition schema %r" % types)
            got = sorted((r.asDict() for r in df.collect()),
                         key=lambda r: r["v"])
            if got != sorted(want, key=lambda r: r["v"]):
                fail("Spark's partition rows %r" % got)
            # Spark's partitionBy output, read by sluice.
            src = os.path.join(TMP, "spark-partitioned")
            df.coalesce(1).write.partitionBy("a", "b", "c").parquet(src)
            out, sql = copy_sql("from-spark-partitioned", src)
            run_sluice(sql, "from-spark-partitioned")
            got = read_back(out)
            if got.column_names != ["v", "a", "b", "c"]:
                fail("sluice's columns of Spark's partitionBy: %r" %
                     got.column_names)
            if sorted(got.to_pylist(), key=lambda r: r["v"]) != \
                    sorted(want, key=lambda r: r["v"]):
                fail("sluice's rows of Spark's partitionBy: %r" %
                     got.to_pylist())
    finally:
        s.stop()


def main():
    global TMP
    TMP = tempfile.mkdtemp(prefix="sluice-parquet-test.")
    R = Runner()
    outs = []

    t = R.t

    for codec in ("none", "uncompressed", "snappy", "gzip", "zstd"):
        o = t("writer: every type and nulls, compression %s" % codec,
              writer_types_nulls, codec)
        if o:
            outs.append(o)
    t("writer: every type and nulls, dictionaries, compression snappy",
      writer_types_nulls, "snappy", 20)
    t("writer: row groups by parquet.block.size, pages by "
      "parquet.page.size", writer_row_groups)
    t("writer: parquet.enable.dictionary false: PLAIN only",
      writer_no_dictionary)
    t("writer: partitionBy directories", writer_partitioned)
    t("writer: restart from the checkpoint, maxRecordsPerFile",
      writer_restart_and_max_records)
    t("writer: an array a query makes is a LIST column", writer_split_array)
    for codec in ("none", "snappy", "gzip", "zstd"):
        for dictionary in (False, True):
            for version in ("1.0", "2.0"):
                t("reader: pyarrow's file, %s, %s, data page v%s" %
                  (codec, "dictionary" if dictionary else "plain",
                   version[0]), reader_arrow_file, codec, dictionary,
                  version)
    for encoding in ENCODINGS:
        for version in ("1.0", "2.0"):
            t("reader: pyarrow's %s pages, data page v%s" %
              (encoding, version[0]), reader_arrow_encodings, encoding,
              version)
    parts = t("reader: partition directories col=value/",
              reader_partitions)
    t("reader: sluice's partitionBy output read back",
      reader_partitions_round_trip)
    t("reader: a schema picks, reorders, widens and adds columns",
      reader_schema_projection)
    t("reader: float as float, every file read", reader_float_and_many_files)
    t("reader: REQUIRED columns, pages v1 and v2", reader_required_columns)
    t("reader: a schema's columns are the only chunks read",
      reader_projection_reads_only_its_columns)
    t("reader: TIMESTAMP(MILLIS) and INT96 timestamps",
      reader_timestamp_units)
    t("reader: bad files are errors naming the file",
      parquet_bad.reader_bad_files, sys.modules[__name__])
    t("reader: mode and ignoreCorruptFiles skip a bad file",
      parquet_bad.reader_bad_file_modes, sys.modules[__name__])
    ntz = t("reader: TIMESTAMP without a time zone as TIMESTAMP_NTZ",
            reader_ntz)
    t("reader: unsupported columns are errors, or left out by a schema",
      reader_unsupported_columns)
    t("reader: damaged files fail with a message, never crash",
      parquet_bad.reader_damaged_bytes, sys.modules[__name__])
    if os.environ.get("PARQUET_SPARK", "1") != "0" and outs:
        t("Spark reads sluice's files; sluice reads Spark's", spark_reads,
          outs, parts, ntz)
    shutil.rmtree(TMP, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
