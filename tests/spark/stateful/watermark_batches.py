# tests/spark/stateful/watermark_batches.py - the oracle for sluice's
# watermark tests: runs event-time queries in PySpark (local, UTC) batch by
# batch and prints each batch's rows, the watermark in effect and the rows
# dropped by the watermark. The expected data of
# tests/pipeline/stateful_spark_watermark.c was produced by this script:
#
#   /path/to/spark-venv/bin/python tests/spark/stateful/watermark_batches.py
#
# Input: one CSV file ("event time,word") per micro-batch in a directory
# read with readStream. Two ways of feeding it:
#   step:    a file is written, then processAllAvailable(): every batch
#            whose watermark moved is followed by Spark's batch without data
#            before the next file arrives;
#   backlog: every file is there before the query starts, read with
#            maxFilesPerTrigger 1 and trigger(availableNow): data batches
#            follow each other, Spark runs a batch without data only after
#            the last one.
import json
import os
import shutil
import sys
import tempfile

from pyspark.sql import SparkSession
from pyspark.sql.functions import window, session_window, col

D = "2024-01-01 "

# Spark's late-data example (its programming guide's, as tests/pipeline/
# late_data.sql plays it).
LATE = [
    [D + "12:07:00,dog", D + "12:08:00,owl"],
    [D + "12:14:00,dog", D + "12:09:00,cat"],
    [D + "12:15:00,cat", D + "12:08:00,dog", D + "12:13:00,owl",
     D + "12:21:00,owl"],
    [D + "12:04:00,donkey", D + "12:17:00,owl"],
]
# Rows whose windows end between the previous batch's watermark and the
# current one (12:03 b: windows ending 12:05 and 12:10, watermark 12:10
# after 12:20 a; the one before was 11:50).
EDGE = [
    [D + "12:00:00,a"],
    [D + "12:20:00,a"],
    [D + "12:03:00,b", D + "12:10:00,c"],
    [D + "12:40:00,z"],
]
# A row late for one of its windows only (12:08 b with the watermark
# 12:10: [12:00, 12:10) has ended, [12:05, 12:15) not).
PARTIAL = [
    [D + "12:00:00,a"],
    [D + "12:20:00,a"],
    [D + "12:08:00,b"],
    [D + "12:40:00,z"],
]
# dropDuplicates: duplicates within and across batches, rows behind the
# watermark, rows exactly on it.
DEDUP = [
    [D + "12:00:00,a", D + "12:00:00,a", D + "12:05:00,b"],
    [D + "12:20:00,c", D + "12:05:00,b", D + "12:00:00,a"],
    [D + "12:10:00,d", D + "12:09:00,e", D + "12:20:00,c", D + "12:15:00,f"],
    [D + "12:10:00,d", D + "12:30:00,g", D + "12:15:00,f"],
    [D + "12:20:00,c", D + "12:21:00,h"],
]


def spark_session():
    return (SparkSession.builder.master("local[1]")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.ui.enabled", "false")
            .getOrCreate())


def write_file(d, i, lines):
    tmp = os.path.join(d, ".%04d.tmp" % i)
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    path = os.path.join(d, "%04d.csv" % i)
    os.rename(tmp, path)
    os.utime(path, (1700000000 + i, 1700000000 + i))


def fmt(v):
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def run(spark, name, batches, feed, mode, build):
    root = tempfile.mkdtemp(prefix="sl-spark-")
    inp = os.path.join(root, "in")
    os.mkdir(inp)
    got = []

    def each(df, batch_id):
        rows = sorted("|".join(fmt(v) for v in r) for r in df.collect())
        got.append((batch_id, rows))

    if feed == "backlog":
        for i, b in enumerate(batches):
            write_file(inp, i, b)
    reader = (spark.readStream.schema("timestamp TIMESTAMP, word STRING")
              .option("maxFilesPerTrigger", 1))
    df = build(reader.csv(inp))
    w = (df.writeStream.outputMode(mode).foreachBatch(each)
         .option("checkpointLocation", os.path.join(root, "ckpt")))
    if feed == "backlog":
        q = w.trigger(availableNow=True).start()
        q.awaitTermination()
    else:
        q = w.start()
        for i, b in enumerate(batches):
            write_file(inp, i, b)
            q.processAllAvailable()
        q.stop()
    progress = {}
    for p in q.recentProgress:
        ops = p.get("stateOperators") or [{}]
        progress[p["batchId"]] = (
            p.get("numInputRows"),
            p.get("eventTime", {}).get("watermark"),
            ops[0].get("numRowsDroppedByWatermark"),
            ops[0].get("numRowsTotal"))
    print("== %s (%s, %s)" % (name, feed, mode))
    for batch_id, rows in got:
        n, wm, dropped, total = progress.get(batch_id, (None,) * 4)
        print("batch %d: input %s, watermark %s, dropped %s, state %s" %
              (batch_id, n, wm, dropped, total))
        for r in rows:
            print("  " + r)
    sys.stdout.flush()
    shutil.rmtree(root)


def windowed(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .groupBy(window(col("timestamp"), "10 minutes", "5 minutes"),
                     col("word"))
            .count()
            .select(col("window.start"), col("window.end"), "word", "count"))


def dedup_keyed(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .dropDuplicates(["word", "timestamp"]))


def dedup_unkeyed(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .dropDuplicates(["word"]))


def sessions(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .groupBy(session_window(col("timestamp"), "5 minutes"),
                     col("word"))
            .count()
            .select(col("session_window.start"), col("session_window.end"),
                    "word", "count"))


def plain_key(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .groupBy("timestamp", "word").count())


def dedup_then_count(df):
    return (df.withWatermark("timestamp", "10 minutes")
            .dropDuplicates(["word", "timestamp"])
            .groupBy(window(col("timestamp"), "10 minutes"), col("word"))
            .count()
            .select(col("window.start"), col("window.end"), "word", "count"))


def main():
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    which = sys.argv[1:] or ["late", "edge", "dedup", "more", "partial",
                              "chain"]
    if "more" in which:
        # complete mode keeps late rows; session windows and a plain
        # timestamp key in append mode
        run(spark, "late", LATE, "step", "complete", windowed)
        run(spark, "sessions", LATE, "step", "append", sessions)
        run(spark, "sessions", LATE, "backlog", "append", sessions)
        run(spark, "plain key", EDGE, "step", "append", plain_key)
        run(spark, "plain key", EDGE, "backlog", "append", plain_key)
        if which == ["more"]:
            return
    if "partial" in which:
        for mode in ("update", "append"):
            run(spark, "partial", PARTIAL, "step", mode, windowed)
        if which == ["partial"]:
            return
    if "chain" in which:
        # two stateful operators: dropDuplicates, then windowed counts
        for feed in ("step", "backlog"):
            for mode in ("append", "update"):
                run(spark, "dedup then count", DEDUP, feed, mode,
                    dedup_then_count)
        if which == ["chain"]:
            return
    for feed in ("step", "backlog"):
        for mode in ("update", "append"):
            if "late" in which:
                run(spark, "late", LATE, feed, mode, windowed)
            if "edge" in which:
                run(spark, "edge", EDGE, feed, mode, windowed)
        if "dedup" in which:
            run(spark, "dedup keyed", DEDUP, feed, "append", dedup_keyed)
            run(spark, "dedup unkeyed", DEDUP, feed, "append", dedup_unkeyed)


if __name__ == "__main__":
    main()
