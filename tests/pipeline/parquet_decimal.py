"""tests/pipeline/parquet_decimal.py - DECIMAL(p,s), FLOAT, TINYINT and
SMALLINT columns in Parquet files, checked by pyarrow and Spark.

sluice writes them (from JSON strings cast in SQL: negative and 38-digit
values, nulls, with and without dictionaries); pyarrow reads every file and
compares values (decimals as Python Decimals, exactly), types, physical
types and footer statistics; Spark reads the same directories. pyarrow
(decimals as FIXED_LEN_BYTE_ARRAY, its default, and as INT32/INT64) and
Spark (its v1 and v2 writers, dictionary and plain) write files that sluice
reads, taking the schema from the footer, and copies with its own writer
for pyarrow to compare. Spark's physical types for each decimal are the
ones sluice writes. Run by tests/pipeline/parquet.sh:
    SLUICE=build/sluice python tests/pipeline/parquet_decimal.py [-k NAME]
The last line is `N passed, M failed`."""
import decimal
import os
import shutil
import struct
import sys
import tempfile
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

import parquet as P

decimal.getcontext().prec = 60

# name, SQL type, pyarrow type, the physical type (and FIXED bytes) that
# sluice and Spark write.
COLUMNS = [
    ("d52", "DECIMAL(5,2)", pa.decimal128(5, 2), ("INT32", 0)),
    ("d90", "DECIMAL(9,0)", pa.decimal128(9, 0), ("INT32", 0)),
    ("d184", "DECIMAL(18,4)", pa.decimal128(18, 4), ("INT64", 0)),
    ("d190", "DECIMAL(19,0)", pa.decimal128(19, 0),
     ("FIXED_LEN_BYTE_ARRAY", 9)),
    ("d3810", "DECIMAL(38,10)", pa.decimal128(38, 10),
     ("FIXED_LEN_BYTE_ARRAY", 16)),
    ("d380", "DECIMAL(38,0)", pa.decimal128(38, 0),
     ("FIXED_LEN_BYTE_ARRAY", 16)),
    ("f", "FLOAT", pa.float32(), ("FLOAT", 0)),
    ("t8", "TINYINT", pa.int8(), ("INT32", 0)),
    ("s16", "SMALLINT", pa.int16(), ("INT32", 0)),
]
NINES38 = "9" * 38


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# The rows: JSON strings (numbers for f, t8, s16); a missing field is a
# null.
ROWS = [
    {"d52": "1.25", "d90": "123456789", "d184": "-99999999999999.9999",
     "d190": "-" + "9" * 19, "d3810": "-" + "9" * 28 + "." + "9" * 10,
     "d380": NINES38, "f": 1.5, "t8": -128, "s16": 32767},
    {"d52": "-999.99", "d90": "-999999999", "d184": "12345.6789",
     "d190": "9223372036854775808", "d3810": "1.0000000001",
     "d380": "-" + NINES38, "f": -0.1, "t8": 127, "s16": -32768},
    {},
    {"d52": "999.99", "d90": "0", "d184": "0.0001", "d190": "-1",
     "d3810": "0", "d380": "12345678901234567890123456789012345678",
     "f": 3.4028234663852886e38, "t8": 0, "s16": -1},
    {"d52": "0.00", "d90": "-1", "d184": "-12345678901234.5678",
     "d190": "9223372036854775807", "d3810": "-0.0000000001",
     "d380": "-9223372036854775809", "f": -0.0, "t8": -1, "s16": 300},
]


def want_row(r):
    """The values pyarrow and Spark must give for a row of ROWS."""
    w = {}
    for c, _, _, _ in COLUMNS:
        v = r.get(c)
        if v is None:
            w[c] = None
        elif c == "f":
            w[c] = f32(v)
        elif c in ("t8", "s16"):
            w[c] = v
        else:
            w[c] = Decimal(v)
    return w


def same(a, b, digits=True):
    # Decimals exactly, and with digits their digits and exponents too
    # (Decimal('1.250') == Decimal('1.25') in Python; pyarrow gives the
    # column's scale, Spark's Python rows may not); -0.0 and 0.0 apart.
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return (isinstance(a, Decimal) and isinstance(b, Decimal) and
                a == b and (not digits or a.as_tuple() == b.as_tuple()))
    if isinstance(a, float) and isinstance(b, float):
        return a == b and str(a) == str(b)
    return a == b and type(a) is type(b)


def rows_same(got, want, where, digits=True):
    if len(got) != len(want):
        P.fail("%s: %d rows, expected %d" % (where, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        for c in w:
            if not same(g.get(c), w[c], digits):
                P.fail("%s: row %d %s = %r, expected %r" %
                       (where, i, c, g.get(c), w[c]))


def scaled(c, v):
    """A Decimal of column c as pyarrow gives it: at the column's scale."""
    ty = [t for n, _, t, _ in COLUMNS if n == c][0]
    if v is None or not pa.types.is_decimal(ty):
        return v
    return v.quantize(Decimal(1).scaleb(-ty.scale))


def sink_sql(name, src, options):
    read = ", ".join("%s %s" % (c, "DOUBLE" if c == "f" else
                                "INT" if c in ("t8", "s16") else "STRING")
                     for c, _, _, _ in COLUMNS)
    cols = ", ".join("CAST(%s AS %s) AS %s" % (c, t, c)
                     for c, t, _, _ in COLUMNS)
    opts = "".join(", %s = %s" % (k, v) for k, v in options.items())
    out = os.path.join(P.TMP, name)
    return out, """
CREATE SOURCE src WITH (format = 'json', path = '%s', schema = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow'%s);
INSERT INTO out SELECT %s FROM src;
""" % (src, read, out, out + ".ckpt", opts, cols)


def check_footer(path, dictionary):
    """The physical and logical types of a file sluice wrote, and each
    column's statistics against the values."""
    f = pq.ParquetFile(path)
    md = f.metadata
    t = f.read()
    for k, (c, _, ty, (phys, flen)) in enumerate(COLUMNS):
        col = md.schema.column(k)
        if col.physical_type != phys:
            P.fail("%s: %s is %s, expected %s" % (path, c,
                                                  col.physical_type, phys))
        if flen and col.length != flen:
            P.fail("%s: %s is %d bytes, expected %d" % (path, c, col.length,
                                                        flen))
        if pa.types.is_decimal(ty):
            lt = str(col.logical_type)
            want = "Decimal(precision=%d, scale=%d)" % (ty.precision,
                                                       ty.scale)
            if lt != want or col.converted_type != "DECIMAL":
                P.fail("%s: %s's types %s / %s" % (path, c, lt,
                                                   col.converted_type))
        elif c in ("t8", "s16"):
            lt = str(col.logical_type)
            want = "Int(bitWidth=%d, isSigned=true)" % (8 if c == "t8"
                                                        else 16)
            if lt != want:
                P.fail("%s: %s's logical type %s" % (path, c, lt))
        vals = [v for v in t.column(c).to_pylist() if v is not None]
        for g in range(md.num_row_groups):
            ch = md.row_group(g).column(k)
            encs = ch.encodings
            if dictionary != ("PLAIN_DICTIONARY" in encs):
                P.fail("%s: %s's encodings %r" % (path, c, encs))
        if md.num_row_groups != 1:
            continue
        st = md.row_group(0).column(k).statistics
        nulls = t.num_rows - len(vals)
        if st is None or not st.has_min_max or st.null_count != nulls:
            P.fail("%s: %s's statistics %r" % (path, c, st))
        lo, hi = min(vals), max(vals)
        if c == "f":
            # Zeros: -0.0 the min and +0.0 the max, as parquet-mr.
            lo = -0.0 if lo == 0 else lo
            hi = 0.0 if hi == 0 else hi
        if not (same(st.min, lo) and same(st.max, hi)):
            P.fail("%s: %s's min, max %r, %r, expected %r, %r" %
                   (path, c, st.min, st.max, lo, hi))


def writer(dictionary, reps):
    name = "w-%s-%d" % (dictionary, reps)
    src = os.path.join(P.TMP, name + "-in")
    P.write_json(src, ROWS * reps)
    out, sql = sink_sql(name, src, {"`parquet.enable.dictionary`":
                                    "'%s'" % str(dictionary).lower()})
    P.run_sluice(sql, name)
    files = P.parquet_files(out)
    t = pa.concat_tables([pq.read_table(f) for f in files])
    want_types = [(c, ty) for c, _, ty, _ in COLUMNS]
    got_types = [(fld.name, fld.type) for fld in t.schema]
    if got_types != want_types:
        P.fail("pyarrow's types %r" % got_types)
    want = [{c: scaled(c, v) for c, v in want_row(r).items()}
            for r in ROWS * reps]
    rows_same(t.to_pylist(), want, out)
    # A dictionary of 5 distinct values is not smaller than PLAIN: given
    # up, as Spark's writer does.
    for f in files:
        check_footer(f, dictionary and reps > 1)
    return out, want


def reader_arrow(integers, dictionary, version):
    """pyarrow's files: decimals as FIXED_LEN_BYTE_ARRAY (its default) or
    INT32/INT64, dictionary or plain, data pages v1 or v2."""
    name = "r-%s-%s-%s" % (integers, dictionary, version)
    src = os.path.join(P.TMP, name + "-in")
    os.makedirs(src)
    rows = [{c: scaled(c, v) for c, v in want_row(r).items()}
            for r in ROWS * 30]
    t = pa.table({c: pa.array([r[c] for r in rows], type=ty)
                  for c, _, ty, _ in COLUMNS})
    path = os.path.join(src, "a.parquet")
    pq.write_table(t, path, use_dictionary=dictionary,
                   data_page_version=version,
                   store_decimal_as_integer=integers, data_page_size=512)
    phys = pq.ParquetFile(path).metadata.schema.column(0).physical_type
    if phys != ("INT32" if integers else "FIXED_LEN_BYTE_ARRAY"):
        P.fail("pyarrow wrote d52 as %s" % phys)
    out, sql = P.copy_sql(name, src)
    P.run_sluice(sql, name)
    got = P.read_back(out)
    if [(f.name, f.type) for f in got.schema] != \
            [(c, ty) for c, _, ty, _ in COLUMNS]:
        P.fail("sluice's copy has types %r" % got.schema)
    rows_same(got.to_pylist(), rows, out)


def reader_refused():
    """A decimal past 38 digits is an error naming the column and type;
    a schema that leaves it out reads the rest."""
    src = os.path.join(P.TMP, "wide-in")
    os.makedirs(src)
    pq.write_table(pa.table({
        "w": pa.array([Decimal("1.5")], pa.decimal256(40, 2)),
        "d": pa.array([Decimal("-7.25")], pa.decimal128(10, 2))}),
        os.path.join(src, "a.parquet"))
    out, sql = P.copy_sql("wide", src)
    p = P.run_sluice(sql, "wide", expect_rc=1)
    if "column 'w' is DECIMAL(40,2)" not in p.stderr:
        P.fail("stderr %r" % p.stderr)
    out, sql = P.copy_sql("wide-skip", src, schema="d DECIMAL(10,2)")
    P.run_sluice(sql, "wide-skip")
    got = P.read_back(out).to_pylist()
    if not (len(got) == 1 and same(got[0]["d"], Decimal("-7.25"))):
        P.fail("rows %r" % got)


def reader_widening():
    """A schema may widen a decimal column as Spark's (vectorised, the
    default) reader does: the scale may grow, the integer digits must not
    shrink; INT32 reads as a DECIMAL of 10 or more integer digits, INT64
    of 20 or more. Narrower is an error naming the column and both types.
    (Spark 4.3.0 gave these rows and refused the same narrowings.)"""
    src = os.path.join(P.TMP, "widen-in")
    os.makedirs(src)
    pq.write_table(pa.table({
        "d": pa.array([Decimal("-7.25"), None], pa.decimal128(10, 2)),
        "i": pa.array([5, None], pa.int32()),
        "l": pa.array([-3, None], pa.int64())}),
        os.path.join(src, "a.parquet"))
    for k, (schema, want) in enumerate((
            ("d DECIMAL(12,2)", [Decimal("-7.25"), None]),
            ("d DECIMAL(14,4)", [Decimal("-7.2500"), None]),
            ("i DECIMAL(12,2)", [Decimal("5.00"), None]),
            ("i DECIMAL(10,0)", [Decimal("5"), None]),
            ("l DECIMAL(20,0)", [Decimal("-3"), None]),
            ("l DECIMAL(38,10)", [Decimal("-3.0000000000"), None]))):
        name = "widen-%d" % k
        out, sql = P.copy_sql(name, src, schema=schema)
        P.run_sluice(sql, name)
        got = P.read_back(out)
        col, ty = schema.split(" ")
        p_, s_ = ty[8:-1].split(",")
        if got.schema.field(col).type != pa.decimal128(int(p_), int(s_)) \
                or got.column(col).to_pylist() != want or \
                [str(x) for x in got.column(col).to_pylist() if x] != \
                [str(x) for x in want if x]:
            P.fail("%s: %r %r" % (schema, got.schema,
                                  got.column(col).to_pylist()))
    for k, (schema, msg) in enumerate((
            ("d DECIMAL(10,3)", "column 'd' is decimal(10,2) in the file, "
             "and the schema says decimal(10,3)"),
            ("d DECIMAL(10,1)", "column 'd' is decimal(10,2) in the file, "
             "and the schema says decimal(10,1)"),
            ("i DECIMAL(9,0)", "column 'i' is int in the file, and the "
             "schema says decimal(9,0)"),
            ("l DECIMAL(19,0)", "column 'l' is bigint in the file, and the "
             "schema says decimal(19,0)"))):
        name = "narrow-%d" % k
        out, sql = P.copy_sql(name, src, schema=schema)
        p = P.run_sluice(sql, name, expect_rc=1)
        if msg not in p.stderr:
            P.fail("%s: stderr %r" % (schema, p.stderr))


def spark_session():
    from pyspark.sql import SparkSession
    return (SparkSession.builder.master("local[1]")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false").getOrCreate())


SPARK_TYPES = {"d52": "decimal(5,2)", "d90": "decimal(9,0)",
               "d184": "decimal(18,4)", "d190": "decimal(19,0)",
               "d3810": "decimal(38,10)", "d380": "decimal(38,0)",
               "f": "float", "t8": "tinyint", "s16": "smallint"}


def spark(outs):
    """Spark reads sluice's directories; Spark writes (v1 and v2,
    dictionary and plain) what sluice reads; Spark's physical types are
    sluice's."""
    s = spark_session()
    try:
        for out, want in outs:
            df = s.read.parquet(out)
            types = [(f.name, f.dataType.simpleString())
                     for f in df.schema.fields]
            if types != list(SPARK_TYPES.items()):
                P.fail("%s: Spark's schema %r" % (out, types))
            # The types are Spark's schema's, checked above.
            rows_same([r.asDict() for r in df.collect()], want, out,
                      digits=False)
        from pyspark.sql import types as T
        sch = T.StructType([T.StructField(c, T._parse_datatype_string(
            SPARK_TYPES[c])) for c, _, _, _ in COLUMNS])
        rows = [{c: scaled(c, v) for c, v in want_row(r).items()}
                for r in ROWS * 40]
        df = s.createDataFrame([tuple(r[c] for c, _, _, _ in COLUMNS)
                                for r in rows], sch).coalesce(1)
        for ver in ("v1", "v2"):
            for dictionary in ("true", "false"):
                src = os.path.join(P.TMP, "spark-%s-%s" % (ver, dictionary))
                (df.write.option("parquet.writer.version", ver)
                 .option("parquet.enable.dictionary", dictionary)
                 .parquet(src))
                md = pq.ParquetFile(P.parquet_files(src)[0]).metadata
                for k, (c, _, _, (phys, flen)) in enumerate(COLUMNS):
                    col = md.schema.column(k)
                    if col.physical_type != phys or \
                            (flen and col.length != flen):
                        P.fail("Spark wrote %s as %s(%d), sluice writes "
                               "%s(%d)" % (c, col.physical_type,
                                           col.length, phys, flen))
                # Dictionaries: parquet-mr's v1 writer has none for
                # FIXED_LEN_BYTE_ARRAY, its v2 writer has.
                for k in (0, 2) + ((4,) if ver == "v2" else ()):
                    encs = md.row_group(0).column(k).encodings
                    if (dictionary == "true") != any("DICTIONARY" in e
                                                     for e in encs):
                        P.fail("Spark's %s encodings %r" %
                               (COLUMNS[k][0], encs))
                name = "from-" + os.path.basename(src)
                out, sql = P.copy_sql(name, src)
                P.run_sluice(sql, name)
                rows_same(P.read_back(out).to_pylist(), rows, out)
    finally:
        s.stop()


def main():
    P.TMP = tempfile.mkdtemp(prefix="sluice-parquet-decimal-test.")
    outs = []
    R = P.Runner()
    t = R.t

    for dictionary, reps in ((False, 1), (False, 50), (True, 1), (True, 50)):
        o = t("writer: decimals, float, tinyint, smallint, %s, %d rows" %
              ("dictionary" if dictionary else "plain", len(ROWS) * reps),
              writer, dictionary, reps)
        if o:
            outs.append(o)
    for integers in (False, True):
        for dictionary in (False, True):
            for version in ("1.0", "2.0"):
                t("reader: pyarrow's decimals as %s, %s, data page v%s" %
                  ("INT32/INT64" if integers else "FIXED_LEN_BYTE_ARRAY",
                   "dictionary" if dictionary else "plain", version[0]),
                  reader_arrow, integers, dictionary, version)
    t("reader: a schema widens decimals as Spark's reader does",
      reader_widening)
    t("reader: DECIMAL past 38 digits refused, or left out by a schema",
      reader_refused)
    if os.environ.get("PARQUET_SPARK", "1") != "0" and outs:
        t("Spark reads sluice's decimals; sluice reads Spark's", spark, outs)
    shutil.rmtree(P.TMP, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
