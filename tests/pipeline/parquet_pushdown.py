"""tests/pipeline/parquet_pushdown.py - the query's columns and WHERE
reach the Parquet reader (engine/pushdown.c): a column the query does not
read is not read from the file, and a row group whose statistics rule out
a WHERE conjunct right on the source is not read either. Both are shown
by overwriting what must not be read with garbage (a read of it fails),
and the rows are checked against the same filter computed here, for each
comparison, both operand orders, nulls, strings, dates, timestamps,
decimals, an INT literal against a BIGINT column, AND and OR. Run by
tests/pipeline/parquet.sh:
    SLUICE=build/sluice python tests/pipeline/parquet_pushdown.py [-k NAME]
The last line is `N passed, M failed`."""
import datetime
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

import parquet as P

GROUP = 100  # rows per row group
N = 400


def table():
    """Four row groups of GROUP rows, id ascending; k has nulls in the
    second group only; s, dt, ts and dec ascend with id."""
    ids = list(range(N))
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    return pa.table({
        "id": pa.array(ids, pa.int32()),
        "l": pa.array([i * 10 for i in ids], pa.int64()),
        "k": pa.array([None if GROUP <= i < 2 * GROUP else i % 7
                       for i in ids], pa.int32()),
        "s": ["s%04d" % i for i in ids],
        "dt": pa.array([datetime.date(2024, 1, 1) +
                        datetime.timedelta(days=i) for i in ids],
                       pa.date32()),
        "ts": pa.array([base + datetime.timedelta(minutes=i) for i in ids],
                       pa.timestamp("us", tz="UTC")),
        "dec": pa.array([Decimal(i) / 100 for i in ids],
                        pa.decimal128(9, 2)),
    })


def write(src, t, garble_groups=(), garble_cols=()):
    """t as src/a.parquet (plain pages, no dictionary, uncompressed), the
    column chunks of garble_groups (every column) and of garble_cols
    (every group) overwritten with 0xff, the footer kept."""
    os.makedirs(src)
    path = os.path.join(src, "a.parquet")
    pq.write_table(t, path, row_group_size=GROUP, compression="none",
                   use_dictionary=False, write_statistics=True)
    data = bytearray(open(path, "rb").read())
    md = pq.ParquetFile(path).metadata
    for g in range(md.num_row_groups):
        for c in range(md.num_columns):
            if g in garble_groups or md.schema.column(c).name in garble_cols:
                cm = md.row_group(g).column(c)
                at = cm.data_page_offset
                data[at:at + cm.total_compressed_size] = \
                    b"\xff" * cm.total_compressed_size
    with open(path, "wb") as f:
        f.write(data)


def run(name, src, select, where, expect_rc=0):
    out = os.path.join(P.TMP, name)
    sql = os.path.join(P.TMP, name + ".sql")
    with open(sql, "w") as f:
        f.write("""CREATE SOURCE src WITH (format = 'parquet', path = '%s');
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT %s FROM src%s;
""" % (src, out, out + ".ckpt", select, " WHERE " + where if where else ""))
    p = subprocess.run([P.SLUICE, "run", sql, "--progress"],
                       capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if "Sanitizer" in p.stderr or "runtime error" in p.stderr or \
            p.returncode != expect_rc:
        P.fail("%s: exit %d: %s" % (name, p.returncode, p.stderr[-2000:]))
    return out, p


def ids(out):
    """The ids of the sink's files (none written: no rows)."""
    files = glob.glob(os.path.join(out, "*.parquet"))
    return sorted(i for f in files for i in
                  pq.read_table(f).column("id").to_pylist())


def skipped(p):
    """The last progress's numRowGroupsSkipped."""
    at = p.stderr.rfind('"numRowGroupsSkipped": "')
    if at < 0:
        P.fail("no numRowGroupsSkipped in the progress: %s" % p.stderr[-1500:])
    return int(p.stderr[at + 24:].split('"')[0])


def projection():
    """Columns the query does not use are not read: s is garbage in every
    group, and a query of id and l reads; one of s fails."""
    src = os.path.join(P.TMP, "proj-in")
    write(src, table(), garble_cols=("s",))
    out, _ = run("proj", src, "id, l + 1 AS l1", "k IS NOT NULL OR id = 3")
    got = P.read_back(out).to_pylist()
    want = [{"id": i, "l1": i * 10 + 1} for i in range(N)
            if not GROUP <= i < 2 * GROUP or i == 3]
    if got != want:
        P.fail("rows %r..." % got[:5])
    run("proj-s", src, "id, s", None, expect_rc=1)


# (WHERE, the rows it keeps, the row groups its statistics rule out)
CASES = [
    ("id >= 250", lambda r: r["id"] >= 250, 2),
    ("250 <= id", lambda r: r["id"] >= 250, 2),
    ("id > 299", lambda r: r["id"] > 299, 3),
    ("id < 100", lambda r: r["id"] < 100, 3),
    ("id <= 100", lambda r: r["id"] <= 100, 2),
    ("id = 150", lambda r: r["id"] == 150, 3),
    ("150 = id", lambda r: r["id"] == 150, 3),
    ("id = 1000", lambda r: False, 4),
    ("l >= 3000", lambda r: r["l"] >= 3000, 3),  # an INT literal, BIGINT l
    ("k IS NULL", lambda r: r["k"] is None, 3),
    ("k IS NOT NULL", lambda r: r["k"] is not None, 1),
    ("k = 3", lambda r: r["k"] == 3, 1),
    ("s >= 's0300'", lambda r: r["s"] >= "s0300", 3),
    ("dt < DATE '2024-01-05'", lambda r: r["dt"] < datetime.date(2024, 1, 5),
     3),
    ("ts >= TIMESTAMP '2024-01-01 06:00:00'",
     lambda r: r["ts"] >= datetime.datetime(
         2024, 1, 1, 6, tzinfo=datetime.timezone.utc), 3),
    ("dec > 3.5", lambda r: r["dec"] > Decimal("3.5"), 3),
    ("id >= 100 AND id < 200", lambda r: 100 <= r["id"] < 200, 3),
    ("id < 50 OR id > 350", lambda r: r["id"] < 50 or r["id"] > 350, 0),
    ("id + 0 >= 250", lambda r: r["id"] >= 250, 0),
]


def row_groups():
    """Each WHERE keeps the right rows, and rules out the row groups its
    statistics allow (progress numRowGroupsSkipped); the groups ruled out
    are then garbled and the same query still reads."""
    t = table()
    rows = t.to_pylist()
    for k, (where, keep, out_groups) in enumerate(CASES):
        src = os.path.join(P.TMP, "rg-%d-in" % k)
        write(src, t)
        out, p = run("rg-%d" % k, src, "id", where)
        got = ids(out)
        want = [r["id"] for r in rows if keep(r)]
        if got != want:
            P.fail("%s: ids %r, want %r" % (where, got[:8], want[:8]))
        if skipped(p) != out_groups:
            P.fail("%s: %d row groups skipped, want %d" %
                   (where, skipped(p), out_groups))
        if not out_groups or out_groups == 4:
            continue
        # The groups it ruled out are not read at all.
        kept = {r["id"] // GROUP for r in rows if keep(r)}
        src2 = os.path.join(P.TMP, "rg-%d-garbled-in" % k)
        write(src2, t, garble_groups=set(range(4)) - kept)
        out, p = run("rg-%d-garbled" % k, src2, "id", where)
        if ids(out) != want:
            P.fail("%s: rows differ with the skipped groups garbled" % where)


def main():
    P.TMP = tempfile.mkdtemp(prefix="sluice-parquet-pushdown-test.")
    R = P.Runner()
    t = R.t

    t("pushdown: columns the query does not read are not read", projection)
    t("pushdown: a WHERE rules row groups out by their statistics",
      row_groups)
    shutil.rmtree(P.TMP, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
