"""tests/pipeline/parquet_nested.py - STRUCT and ARRAY columns in Parquet
files (structs and lists in each other, nulls and empty lists at every
level), checked by pyarrow and Spark.

sluice writes them (groups of OPTIONAL fields, as Spark writes them) and
pyarrow reads every file (page checksums verified) and compares the rows
with the input; Spark reads the same directory and gets the same rows and
schema. pyarrow (REQUIRED and OPTIONAL fields, dictionary or plain, data
pages v1 and v2) and Spark (its v1 and v2 writers) write files that sluice
reads, taking the schema from the footer, and copies with its own writer
for pyarrow to compare; the older two-level lists read too, and maps
(pyarrow's) both ways. Run by tests/pipeline/parquet.sh:
    SLUICE=build/sluice python tests/pipeline/parquet_nested.py [-k NAME]
The last line is `N passed, M failed`."""
import datetime
import os
import shutil
import sys
import tempfile
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

import parquet as P

SCHEMA = ("id INT, s STRUCT<a: INT, b: STRING, t: STRUCT<c: DOUBLE, "
          "d: DATE, e: DECIMAL(20,2)>>, x STRING, l ARRAY<INT>, "
          "ll ARRAY<ARRAY<STRING>>, ls ARRAY<STRUCT<p: INT, q: ARRAY<BIGINT>>>")

# The array columns of each row, in the JSON and as read back.
ARRAYS = [
    {"l": [1, 2, None, 4], "ll": [["x", "y"], [], None, ["z"]],
     "ls": [{"p": 1, "q": [7]}, None, {"p": None, "q": []}]},
    {"l": [], "ll": None, "ls": None},
    {"l": None, "ll": [[None]], "ls": []},
    {"l": [None], "ll": [], "ls": [{"p": 3, "q": None}]},
]

# The JSON rows and what they are once read back.
ROWS = [
    ({"id": 1, "s": {"a": 1, "b": "x", "t": {"c": 1.5, "d": "2024-01-02",
                                          "e": -123.45}},
      "x": "p"},
     {"id": 1, "s": {"a": 1, "b": "x", "t": {
         "c": 1.5, "d": datetime.date(2024, 1, 2),
         "e": Decimal("-123.45")}}, "x": "p"}),
    ({"id": 2, "s": None, "x": None},
     {"id": 2, "s": None, "x": None}),
    ({"id": 3, "s": {"a": None, "b": "y", "t": None}, "x": "q"},
     {"id": 3, "s": {"a": None, "b": "y", "t": None}, "x": "q"}),
    ({"id": 4, "s": {"a": 4, "b": None, "t": {"c": None, "d": None,
                                           "e": None}}, "x": "r"},
     {"id": 4, "s": {"a": 4, "b": None, "t": {"c": None, "d": None,
                                           "e": None}}, "x": "r"}),
]


def with_arrays(rows):
    return [dict(r, **a) for r, a in zip(rows, ARRAYS)]


def copy_json(name, rows, schema, reps=1, dictionary=True):
    src = os.path.join(P.TMP, name + "-in")
    P.write_json(src, [r for r in rows] * reps)
    out = os.path.join(P.TMP, name)
    P.run_sluice("""
CREATE SOURCE src WITH (format = 'json', path = '%s', schema = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow',
  `parquet.enable.dictionary` = '%s');
INSERT INTO out SELECT * FROM src;
""" % (src, schema, out, out + ".ckpt", "true" if dictionary else "false"),
        name)
    return out


def by_id(rows):
    return sorted(rows, key=lambda r: r["id"])


def writer_structs(dictionary):
    """sluice's struct columns as pyarrow reads them: groups, nulls at
    each level, and the rows."""
    name = "w-structs-%s" % dictionary
    out = copy_json(name, with_arrays([j for j, _ in ROWS]), SCHEMA,
                    reps=50, dictionary=dictionary)
    t = P.read_back(out)
    s = t.schema.field("s")
    if not pa.types.is_struct(s.type) or \
            [f.name for f in s.type] != ["a", "b", "t"] or \
            not pa.types.is_struct(s.type.field("t").type) or \
            s.type.field("t").type.field("e").type != pa.decimal128(20, 2):
        P.fail("schema %r" % t.schema)
    if t.schema.field("ll").type != pa.list_(pa.list_(pa.string())):
        P.fail("ll is %s" % t.schema.field("ll").type)
    got = by_id(t.to_pylist())
    want = by_id(with_arrays([w for _, w in ROWS]) * 50)
    if got != want:
        P.fail("rows %r, want %r" % (got[:4], want[:4]))
    return out


def arrow_table():
    inner = pa.struct([pa.field("c", pa.float64()),
                       pa.field("d", pa.date32(), nullable=False)])
    st = pa.struct([pa.field("a", pa.int32(), nullable=False),
                    pa.field("b", pa.string()),
                    pa.field("t", inner)])
    rows = []
    for i in range(300):
        rows.append({"a": i, "b": None if i % 3 == 0 else "b%d" % (i % 7),
                     "t": None if i % 5 == 0 else
                     {"c": i / 4 if i % 2 else None,
                      "d": datetime.date(2024, 1, 1) +
                      datetime.timedelta(days=i % 40)}})
    lists = [None if i % 13 == 0 else
             [None if (i + j) % 4 == 0 else i * 10 + j for j in range(i % 5)]
             for i in range(300)]
    return pa.table({
        "id": pa.array(range(300), pa.int32()),
        "l": pa.array(lists, pa.list_(pa.int64())),
        "ls": pa.array([None if i % 7 == 0 else
                        [{"u": "u%d" % j, "w": [j] * (j % 3)}
                         for j in range(i % 4)] for i in range(300)],
                       pa.list_(pa.struct([pa.field("u", pa.string()),
                                           pa.field("w", pa.list_(
                                               pa.int32()))]))),
        "s": pa.array([None if i % 11 == 0 else r
                       for i, r in enumerate(rows)], st),
        "r": pa.array([{"z": "k%d" % (i % 3)} for i in range(300)],
                      pa.struct([pa.field("z", pa.string())])),
    })


def reader_arrow(dictionary, version):
    """pyarrow's struct columns, REQUIRED fields among them, read by
    sluice (the schema from the footer) and written again: pyarrow reads
    back the same rows."""
    name = "r-structs-%s-%s" % (dictionary, version)
    src = os.path.join(P.TMP, name + "-in")
    os.makedirs(src)
    t = arrow_table()
    pq.write_table(t, os.path.join(src, "a.parquet"),
                   use_dictionary=dictionary, data_page_version=version,
                   data_page_size=512, row_group_size=128)
    out, sql = P.copy_sql(name, src)
    P.run_sluice(sql, name)
    got = by_id(P.read_back(out).to_pylist())
    if got != by_id(t.to_pylist()):
        P.fail("rows differ: %r vs %r" % (got[:3], t.to_pylist()[:3]))
    # A query reaching into the struct: s.t.c and s.b.
    out = os.path.join(P.TMP, name + "-q")
    sql = """
CREATE SOURCE src WITH (format = 'parquet', path = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT id, s.t.c AS c, s.b AS b FROM src WHERE s IS NOT NULL;
""" % (src, out, out + ".ckpt")
    P.run_sluice(sql, name + "-q")
    want = [{"id": r["id"], "c": (r["s"]["t"] or {}).get("c"),
             "b": r["s"]["b"]} for r in t.to_pylist() if r["s"]]
    if by_id(P.read_back(out).to_pylist()) != by_id(want):
        P.fail("s.t.c, s.b rows differ")


def reader_older_lists():
    """The older list form the Parquet format's rules still read: a LIST
    group whose repeated field is the element (two levels). (Spark's
    legacy form, `bag` and `array`, is read in spark() below.)"""
    src = os.path.join(P.TMP, "two-level-in")
    os.makedirs(src)
    t = pa.table({"id": pa.array([1, 2, 3], pa.int32()),
                  "l": pa.array([[1, 2], [], None], pa.list_(
                      pa.field("element", pa.int32(), nullable=False)))})
    pq.write_table(t, os.path.join(src, "a.parquet"),
                   use_compliant_nested_type=False)
    md = pq.ParquetFile(os.path.join(src, "a.parquet")).schema
    if md.column(1).path != "l.list.item" and \
            md.column(1).path != "l.list.element":
        P.fail("pyarrow wrote %s" % md.column(1).path)
    out, sql = P.copy_sql("two-level", src)
    P.run_sluice(sql, "two-level")
    if P.read_back(out).to_pylist() != [
            {"id": 1, "l": [1, 2]}, {"id": 2, "l": []},
            {"id": 3, "l": None}]:
        P.fail("rows %r" % P.read_back(out).to_pylist())


def damaged():
    """Nested files with random bytes changed (a fixed seed) read to their
    end or fail with a message naming the file; none crashes."""
    import random
    import subprocess
    rnd = random.Random(20261208)
    t = arrow_table()
    for k in range(30):
        buf = pa.BufferOutputStream()
        pq.write_table(t, buf, compression=rnd.choice(P.CODECS),
                       use_dictionary=rnd.random() < 0.5,
                       data_page_version=rnd.choice(["1.0", "2.0"]),
                       data_page_size=256, row_group_size=100)
        d = bytearray(buf.getvalue().to_pybytes())
        for _ in range(rnd.randint(1, 6)):
            d[rnd.randrange(len(d) // (2 if k % 2 else 1))] = \
                rnd.randrange(256)
        src = os.path.join(P.TMP, "nested-damaged-%d" % k)
        os.makedirs(src)
        with open(os.path.join(src, "a.parquet"), "wb") as f:
            f.write(d)
        sql = os.path.join(P.TMP, "nested-damaged-%d.sql" % k)
        with open(sql, "w") as f:
            f.write("""CREATE SOURCE src WITH (format = 'parquet', path = '%s',
  schema = 'id INT, l ARRAY<BIGINT>, ls ARRAY<STRUCT<u: STRING, w: ARRAY<INT>>>');
CREATE SINK out WITH (format = 'noop', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % src)
        p = subprocess.run([P.SLUICE, "run", sql], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        if p.returncode not in (0, 1) or "Sanitizer" in p.stderr or \
                "runtime error" in p.stderr:
            P.fail("damaged file %d: exit %d: %s" %
                   (k, p.returncode, p.stderr[-1500:]))
        if p.returncode == 1 and "a.parquet" not in p.stderr:
            P.fail("damaged file %d: the error does not name the file: %s"
                   % (k, p.stderr))


def maps():
    """Map columns (pyarrow's: a MAP group of a repeated key_value of a
    REQUIRED key and an OPTIONAL value), also of structs of lists, and
    empty and null maps, read by sluice (the schema from the footer) and
    written again: pyarrow reads back the same entries in the same
    order."""
    src = os.path.join(P.TMP, "maps-in")
    os.makedirs(src)
    t = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int32()),
        "m": pa.array([[("a", 1), ("b", None)], [], None, [("c", 3)]],
                      pa.map_(pa.string(), pa.int32())),
        "mm": pa.array([[(1, {"x": [1, 2]}), (5, {"x": None})], None,
                        [(2, None)], []],
                       pa.map_(pa.int64(), pa.struct([pa.field(
                           "x", pa.list_(pa.int32()))])))})
    pq.write_table(t, os.path.join(src, "a.parquet"))
    out, sql = P.copy_sql("maps", src)
    P.run_sluice(sql, "maps")
    got = P.read_back(out)
    if got.schema.field("mm").type != t.schema.field("mm").type or \
            by_id(got.to_pylist()) != by_id(t.to_pylist()):
        P.fail("maps %r" % got.to_pylist())
    # A map a query reads from JSON objects.
    jout = copy_json("maps-json", [{"id": 1, "m": {"a": 1, "b": None}},
                                   {"id": 2, "m": {}}, {"id": 3, "m": None}],
                     "id INT, m MAP<STRING, INT>")
    if P.read_back(jout).to_pylist() != [
            {"id": 1, "m": [("a", 1), ("b", None)]}, {"id": 2, "m": []},
            {"id": 3, "m": None}]:
        P.fail("maps from JSON %r" % P.read_back(jout).to_pylist())
    return out


def as_dicts(row):
    """A row of the maps table with pyarrow's map entries (lists of pairs)
    as dicts, as Spark gives maps."""
    return {k: dict(v) if k in ("m", "mm") and v is not None else v
            for k, v in row.items()}


def spark(outs, maps_out):
    """Spark reads sluice's struct directories (rows and schema); sluice
    reads what Spark's v1 and v2 writers make of the same rows."""
    from pyspark.sql import SparkSession
    s = (SparkSession.builder.master("local[1]")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    try:
        want_type = ("struct<id:int,s:struct<a:int,b:string,t:struct<"
                     "c:double,d:date,e:decimal(20,2)>>,x:string,"
                     "l:array<int>,ll:array<array<string>>,"
                     "ls:array<struct<p:int,q:array<bigint>>>>")
        for out in outs:
            df = s.read.parquet(out)
            if df.schema.simpleString() != want_type:
                P.fail("Spark's schema %s" % df.schema.simpleString())
            got = by_id([r.asDict(recursive=True) for r in df.collect()])
            if got != by_id(P.read_back(out).to_pylist()):
                P.fail("Spark's rows of %s differ from pyarrow's" % out)
        if maps_out:
            df = s.read.parquet(maps_out)
            if df.schema.simpleString() != (
                    "struct<id:int,m:map<string,int>,mm:map<bigint,"
                    "struct<x:array<int>>>>"):
                P.fail("Spark's schema %s" % df.schema.simpleString())
            got = by_id([r.asDict(recursive=True) for r in df.collect()])
            want = by_id([as_dicts(r) for r in
                          P.read_back(maps_out).to_pylist()])
            if got != want:
                P.fail("Spark's maps %r, want %r" % (got, want))
        df = s.read.parquet(outs[0]).coalesce(1)
        for ver, legacy in (("v1", "false"), ("v2", "false"),
                            ("v1", "true")):
            # writeLegacyFormat: lists as `repeated group bag { optional
            # array }`, Spark 1.4's form.
            s.conf.set("spark.sql.parquet.writeLegacyFormat", legacy)
            src = os.path.join(P.TMP, "spark-structs-%s-%s" % (ver, legacy))
            df.write.option("parquet.writer.version", ver).parquet(src)
            name = "from-spark-structs-%s-%s" % (ver, legacy)
            out, sql = P.copy_sql(name, src)
            P.run_sluice(sql, name)
            spark_rows = by_id(pa.concat_tables(
                [pq.read_table(f) for f in P.parquet_files(src)]).to_pylist())
            if by_id(P.read_back(out).to_pylist()) != spark_rows:
                P.fail("sluice's copy of Spark's %s (legacy %s) file "
                       "differs" % (ver, legacy))
    finally:
        s.stop()


def main():
    P.TMP = tempfile.mkdtemp(prefix="sluice-parquet-nested-test.")
    outs = []
    R = P.Runner()
    t = R.t

    for dictionary in (True, False):
        o = t("writer: struct and array columns, nested, nulls at each "
              "level (%s)" %
              ("dictionary" if dictionary else "plain"), writer_structs,
              dictionary)
        if o:
            outs.append(o)
    for dictionary in (True, False):
        for version in ("1.0", "2.0"):
            t("reader: pyarrow's structs and lists, %s, data page v%s" %
              ("dictionary" if dictionary else "plain", version),
              reader_arrow, dictionary, version)
    t("reader: two-level lists", reader_older_lists)
    maps_out = t("reader and writer: map columns", maps)
    t("damaged nested files fail with a message, never crash", damaged)
    if os.environ.get("PARQUET_SPARK", "1") != "0" and outs:
        t("Spark reads sluice's structs, arrays and maps; sluice reads "
          "Spark's",
          spark, outs, maps_out)
    shutil.rmtree(P.TMP, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
