"""bench/parquet.py - Parquet writing and reading: sluice beside pyarrow
on the same data, machine and run.

The table: BENCH_ROWS rows (10,000,000 unless set) of 6 columns: id
BIGINT (sequential), n INT (0..999), d DOUBLE, s STRING (one of 1,000
words), u STRING (unique per row), ts TIMESTAMP (one a second). pyarrow
writes it uncompressed as the input (not timed), then each is timed,
median of BENCH_REPEAT (3) runs:
- write, snappy, dictionaries on (both defaults): pyarrow's
  pq.write_table; sluice's Parquet -> Parquet copy minus its Parquet ->
  noop read of the same input, each a `sluice run` (availableNow) of one
  file (one partition thread, the sink thread);
- read: pyarrow's pq.read_table(use_threads=False) of its snappy file;
  sluice's Parquet -> noop of its own snappy file;
- the snappy files' sizes.
Rows per CPU second (the figure per core: sluice's threads and
pyarrow's each counted) and rows per wall second. Prints a table and writes
$B/bench/parquet.json. Needs pyarrow (the tests' venv:
tests/spark/setup.sh):
    build/spark-venv/bin/python bench/parquet.py"""
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

B = os.environ.get("B", "build")
SLUICE = os.path.abspath(os.environ.get("SLUICE", os.path.join(B, "sluice")))
ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SCHEMA = "id BIGINT, n INT, d DOUBLE, s STRING, u STRING, ts TIMESTAMP"


def table():
    """The table, made from Python lists (no numpy in the venv); the
    values are fixed functions of the row number."""
    r = range(ROWS)
    words = ["word%04d" % k for k in range(1000)]
    return pa.table({
        "id": pa.array(r, pa.int64()),
        "n": pa.array([k * 7919 % 1000 for k in r], pa.int32()),
        "d": pa.array([k * 2654435761 % 1000003 / 7.0 for k in r],
                      pa.float64()),
        "s": pa.array([words[k * 31 % 1000] for k in r], pa.string()),
        "u": pa.array(["user-%d" % k for k in r], pa.string()),
        "ts": pa.array([1700000000000000 + k * 1000000 for k in r],
                       pa.timestamp("us", tz="UTC")),
    })


def timed(fn):
    """fn's wall seconds and CPU seconds (this process's threads and its
    children's, so sluice's threads count, each on its core)."""
    w0, c0 = time.perf_counter(), time.process_time()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    fn()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (r1.ru_utime - r0.ru_utime) + \
        (r1.ru_stime - r0.ru_stime)
    return time.perf_counter() - w0, cpu


def median_of(fn):
    """The median wall and CPU seconds of REPEAT runs of fn."""
    runs = [timed(fn) for _ in range(REPEAT)]
    return (statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs))


def sluice_run(tmp, src, sink, out=None):
    """One `sluice run` of src's Parquet files into sink."""
    sql = os.path.join(tmp, "q.sql")
    opts = ""
    if out:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out + ".ckpt", ignore_errors=True)
        opts = ", path = '%s', checkpointLocation = '%s.ckpt'" % (out, out)
    with open(sql, "w") as f:
        f.write("""CREATE SOURCE src WITH (format = 'parquet', path = '%s',
  schema = '%s');
CREATE SINK out WITH (format = '%s', trigger = 'availableNow'%s);
INSERT INTO out SELECT * FROM src;
""" % (src, SCHEMA, sink, opts))

    p = subprocess.run([SLUICE, "run", sql], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if p.returncode:
        sys.exit("sluice: %s" % p.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="sluice-bench-parquet.")
    try:
        t = table()
        src = os.path.join(tmp, "in")
        os.makedirs(src)
        pq.write_table(t, os.path.join(src, "in.parquet"),
                       compression="none")
        arrow_file = os.path.join(tmp, "arrow.snappy.parquet")
        aw = median_of(lambda: pq.write_table(t, arrow_file,
                                              compression="snappy"))
        ar = median_of(lambda: pq.read_table(arrow_file, use_threads=False))
        out = os.path.join(tmp, "out")
        copy = median_of(lambda: sluice_run(tmp, src, "parquet", out))
        read_in = median_of(lambda: sluice_run(tmp, src, "noop"))
        sw = tuple(max(copy[i] - read_in[i], 1e-9) for i in (0, 1))
        files = glob.glob(os.path.join(out, "*.parquet"))
        if len(files) != 1:
            sys.exit("sluice wrote %d files" % len(files))
        back = pq.read_table(files[0])
        if back.num_rows != ROWS or back.column("u")[ROWS - 1].as_py() != \
                "user-%d" % (ROWS - 1):
            sys.exit("sluice's file does not hold the table")
        own = os.path.join(tmp, "own")
        os.makedirs(own)
        shutil.copy(files[0], os.path.join(own, "own.snappy.parquet"))
        sr = median_of(lambda: sluice_run(tmp, own, "noop"))
        ssize, asize = os.path.getsize(files[0]), os.path.getsize(arrow_file)
        res = {
            "rows": ROWS, "columns": 6, "repeat": REPEAT,
            "pyarrow": pa.__version__,
            "load_average": os.getloadavg(),
            "write_rows_per_cpu_s": {"sluice": ROWS / sw[1],
                                     "pyarrow": ROWS / aw[1]},
            "read_rows_per_cpu_s": {"sluice": ROWS / sr[1],
                                    "pyarrow": ROWS / ar[1]},
            "write_rows_per_s": {"sluice": ROWS / sw[0],
                                 "pyarrow": ROWS / aw[0]},
            "read_rows_per_s": {"sluice": ROWS / sr[0],
                                "pyarrow": ROWS / ar[0]},
            "file_bytes": {"sluice": ssize, "pyarrow": asize},
            "sluice_copy_s": copy[0],
            "sluice_read_uncompressed_s": read_in[0],
        }
        print("Parquet, %d rows x 6 columns, snappy, median of %d "
              "(pyarrow %s beside; load average %.1f)" %
              (ROWS, REPEAT, pa.__version__, os.getloadavg()[0]))
        print("%-30s %14s %14s %7s" % ("", "sluice", "pyarrow", "ratio"))
        for k, lbl in (("write_rows_per_cpu_s", "write rows per CPU second"),
                       ("read_rows_per_cpu_s", "read rows per CPU second"),
                       ("write_rows_per_s", "write rows/s (wall)"),
                       ("read_rows_per_s", "read rows/s (wall)"),
                       ("file_bytes", "file bytes")):
            a, b = res[k]["sluice"], res[k]["pyarrow"]
            print("%-30s %14.0f %14.0f %7.2f" % (lbl, a, b, a / b))
        os.makedirs(os.path.join(B, "bench"), exist_ok=True)
        with open(os.path.join(B, "bench", "parquet.json"), "w") as f:
            json.dump(res, f, indent=2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
