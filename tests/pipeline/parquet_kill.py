"""tests/pipeline/parquet_kill.py - the Parquet file sink across kill -9:
a checkpointed JSON -> Parquet query is killed with SIGKILL ten times at
random moments (half of them just after a batch is logged, so kills land
inside batches and their commits) while JSON files are dropped into its
input directory (written aside and renamed in), and started again on the
same checkpoint and output each time; a last run (availableNow) drains
what is left. Then the committed output, what the _spark_metadata log
lists (compact files and deletes included), holds every input record
exactly once, each listed file opens in pyarrow with the query's schema,
and no listed file is missing.
Run by tests/pipeline/parquet.sh after tests/pipeline/parquet.py:
    SLUICE=build/sluice python tests/pipeline/parquet_kill.py
PARQUET_KILL_SEED replays one run's kill moments (each run prints its random seed).
The last line is `N passed, M failed`."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import pyarrow as pa
import pyarrow.parquet as pq

SLUICE = os.path.abspath(os.environ.get("SLUICE", "build/sluice"))
FILES, ROWS, KILLS = 60, 200, 10


def pipeline(tmp, trigger):
    return """
CREATE SOURCE src WITH (format = 'json', path = '%s/in',
  schema = 'id BIGINT, f INT, s STRING, d DOUBLE', maxFilesPerTrigger = '3');
CREATE SINK out WITH (format = 'parquet', path = '%s/out',
  checkpointLocation = '%s/ckpt', trigger = '%s',
  'parquet.block.size' = '4096');
INSERT INTO out SELECT id, f, s, d FROM src;
""" % (tmp, tmp, tmp, trigger)


def drop_files(tmp, stop):
    """FILES files of ROWS records, one every 30 ms, renamed in."""
    stage = os.path.join(tmp, "stage")
    os.makedirs(stage)
    for f in range(FILES):
        if stop.is_set():
            return
        p = os.path.join(stage, "f%03d.json" % f)
        with open(p, "w") as out:
            for k in range(ROWS):
                i = f * ROWS + k
                out.write(json.dumps({"id": i, "f": f, "s": "r%d" % i,
                                      "d": i / 8}) + "\n")
        os.rename(p, os.path.join(tmp, "in", "f%03d.json" % f))
        time.sleep(0.03)


def committed(out):
    """The files the manifest lists: the latest compact file and the
    batches after it, adds less deletes."""
    meta = os.path.join(out, "_spark_metadata")
    names = [n for n in os.listdir(meta) if not n.startswith(".")]
    ids = sorted((int(n.split(".")[0]), n.endswith(".compact"))
                 for n in names if n.split(".")[0].isdigit())
    start = max([i for i, c in ids if c], default=-1)
    files = {}
    for i, c in ids:
        if i < start:
            continue
        with open(os.path.join(meta, "%d%s" % (i, ".compact" if c else ""))) \
                as f:
            lines = f.read().split("\n")
        if lines[0] != "v1":
            raise AssertionError("manifest %d starts %r" % (i, lines[0]))
        for line in lines[1:]:
            if not line:
                continue
            e = json.loads(line)
            path = urllib.parse.unquote(urllib.parse.urlparse(e["path"]).path)
            if e["action"] == "delete":
                files.pop(path, None)
            else:
                files[path] = e
    return files


def kill_restart():
    seed = int(os.environ.get("PARQUET_KILL_SEED", time.time_ns() % 10**9))
    print("seed %d (PARQUET_KILL_SEED replays it)" % seed, file=sys.stderr)
    rnd = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="sluice-parquet-kill.")
    os.makedirs(os.path.join(tmp, "in"))
    with open(os.path.join(tmp, "run.sql"), "w") as f:
        f.write(pipeline(tmp, "processingTime 100 milliseconds"))
    with open(os.path.join(tmp, "last.sql"), "w") as f:
        f.write(pipeline(tmp, "availableNow"))
    stop = threading.Event()
    dropper = threading.Thread(target=drop_files, args=(tmp, stop))
    dropper.start()
    try:
        for k in range(KILLS):
            p = subprocess.Popen([SLUICE, "run", os.path.join(tmp, "run.sql"),
                                  "--progress"],
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            seen = threading.Event()

            def watch(pipe=p.stderr, seen=seen):
                for line in pipe:
                    if '"batchId"' in line:
                        seen.set()
            reader = threading.Thread(target=watch)
            reader.start()
            if k % 2:
                # Just after a batch's progress: inside a later batch.
                seen.wait(5)
                time.sleep(rnd.uniform(0, 0.05))
            else:
                time.sleep(rnd.uniform(0.05, 0.8))
            p.send_signal(signal.SIGKILL)
            p.wait()
            reader.join()
            p.stderr.close()
        dropper.join()
        p = subprocess.run([SLUICE, "run", os.path.join(tmp, "last.sql")],
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        if p.returncode:
            raise AssertionError("the last run: exit %d: %s" %
                                 (p.returncode, p.stderr[-2000:]))
        files = committed(os.path.join(tmp, "out"))
        ids = []
        want = pa.schema([("id", pa.int64()), ("f", pa.int32()),
                          ("s", pa.string()), ("d", pa.float64())])
        for path, e in files.items():
            if not os.path.exists(path):
                raise AssertionError("the manifest lists %s, which is not "
                                     "there" % path)
            if os.path.getsize(path) != e["size"]:
                raise AssertionError("%s is %d bytes, the manifest says %d" %
                                     (path, os.path.getsize(path),
                                      e["size"]))
            t = pq.read_table(path)
            if not t.schema.equals(want):
                raise AssertionError("%s: schema %s" % (path, t.schema))
            for r in t.to_pylist():
                if r != {"id": r["id"], "f": r["id"] // ROWS,
                         "s": "r%d" % r["id"], "d": r["id"] / 8}:
                    raise AssertionError("%s: row %r" % (path, r))
            ids += t.column("id").to_pylist()
        if len(ids) != len(set(ids)):
            dup = sorted(i for i in set(ids) if ids.count(i) > 1)[:10]
            raise AssertionError("records committed twice: %r" % dup)
        if sorted(ids) != list(range(FILES * ROWS)):
            lost = sorted(set(range(FILES * ROWS)) - set(ids))[:10]
            raise AssertionError("%d records lost: %r ..." %
                                 (FILES * ROWS - len(ids), lost))
        print("%d files committed over %d kills" % (len(files), KILLS),
              file=sys.stderr)
    finally:
        stop.set()
        dropper.join()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    name = "kill -9 x%d during file -> parquet: exactly once, every " \
           "file opens" % KILLS
    try:
        kill_restart()
        print("ok   " + name)
        print("1 passed, 0 failed")
    except AssertionError as e:
        print("FAIL %s: %s" % (name, e))
        print("0 passed, 1 failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
