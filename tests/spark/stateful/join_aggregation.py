# tests/spark/stateful/join_aggregation.py - the oracle for sluice's
# aggregations and dropDuplicates over a stream-static join: runs them in
# PySpark (local, UTC) batch by batch, as watermark_batches.py does (one
# CSV file of "event time,word" per micro-batch, processAllAvailable after
# each), and prints each batch's rows. The expected data of
# tests/pipeline/stateful_join.c was produced by it:
#
#   /path/to/spark-venv/bin/python tests/spark/stateful/join_aggregation.py
#
# The static table (word, kind): dog and cat are pets, owl is a bird;
# donkey has no row (an inner join drops it, a left join keeps it with a
# null kind).
import os
import shutil
import sys
import tempfile

from pyspark.sql import SparkSession
from pyspark.sql.functions import window, col, count

from watermark_batches import LATE, spark_session, write_file, fmt

TABLE = ["dog,pet", "cat,pet", "owl,bird"]
# LATE, then a donkey inside the watermark
INPUT = LATE + [["2024-01-01 12:30:00,donkey", "2024-01-01 12:31:00,dog"]]


def run(spark, name, mode, build):
    root = tempfile.mkdtemp(prefix="sl-spark-")
    inp = os.path.join(root, "in")
    os.mkdir(inp)
    with open(os.path.join(root, "kinds.csv"), "w") as f:
        f.write("\n".join(TABLE) + "\n")
    table = spark.read.schema("word STRING, kind STRING").csv(
        os.path.join(root, "kinds.csv"))
    got = []

    def each(df, batch_id):
        rows = sorted("|".join(fmt(v) for v in r) for r in df.collect())
        got.append((batch_id, rows))

    stream = (spark.readStream.schema("timestamp TIMESTAMP, word STRING")
              .option("maxFilesPerTrigger", 1).csv(inp))
    try:
        q = (build(stream, table).writeStream.outputMode(mode)
             .foreachBatch(each)
             .option("checkpointLocation", os.path.join(root, "ckpt"))
             .start())
    except Exception as e:  # an analysis error: print Spark's message
        print("== %s (%s): refused: %s" % (name, mode,
                                          str(e).splitlines()[0]))
        shutil.rmtree(root)
        return
    for i, b in enumerate(INPUT):
        write_file(inp, i, b)
        q.processAllAvailable()
    q.stop()
    print("== %s (%s)" % (name, mode))
    for batch_id, rows in got:
        print("batch %d:" % batch_id)
        for r in rows:
            print("  " + r)
    sys.stdout.flush()
    shutil.rmtree(root)


def windowed(how):
    def build(stream, table):
        return (stream.withWatermark("timestamp", "10 minutes")
                .join(table, "word", how)
                .groupBy(window(col("timestamp"), "10 minutes"),
                         col("kind"))
                .agg(count("*").alias("n"))
                .select(col("window.start"), col("window.end"), "kind",
                        "n"))
    return build


def kinds(stream, table):
    return stream.join(table, "word", "inner").groupBy("kind").count()


def dedup(stream, table):
    return (stream.withWatermark("timestamp", "10 minutes")
            .join(table, "word", "left")
            .dropDuplicates(["kind", "timestamp"])
            .select("timestamp", "word", "kind"))


def plain(stream, table):
    return stream.join(table, "word", "inner")


def main():
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    run(spark, "inner join, windowed count", "append", windowed("inner"))
    run(spark, "inner join, windowed count", "update", windowed("inner"))
    run(spark, "left join, windowed count", "update", windowed("left"))
    run(spark, "inner join, count by kind", "complete", kinds)
    run(spark, "left join, dropDuplicates", "append", dedup)
    run(spark, "inner join, no aggregation", "update", plain)


if __name__ == "__main__":
    main()
