"""bench/spark/relay.py BOOTSTRAP FROM TO TRIGGER CHECKPOINT JARS - the
relay `make bench` measures Spark with: Structured Streaming in local mode
copying topic FROM to topic TO (key and value as they are), as a Spark
user writes it:

    spark.readStream.format("kafka").option("subscribe", FROM)
         .load().select("key", "value")
         .writeStream.format("kafka").option("topic", TO)
         .trigger(...).start()

TRIGGER: microbatch (Spark's default trigger: a batch as soon as the last
one ends), continuous (trigger(continuous="1 second")) or realtime (the
real-time mode of Spark releases that have it). JARS: the Kafka connector's
jars, comma-separated (bench/spark/run.sh fetches them from Maven Central).
Prints "READY" once the query runs, then runs until killed."""
import sys

from pyspark.sql import SparkSession

bootstrap, src, dst, trigger, ckpt, jars = sys.argv[1:7]
spark = (SparkSession.builder.master("local[2]")
         .appName("sluice-bench-spark-relay")
         .config("spark.jars", jars)
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.ui.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = (spark.readStream.format("kafka")
      .option("kafka.bootstrap.servers", bootstrap)
      .option("subscribe", src)
      .option("startingOffsets", "latest")
      .load()
      .select("key", "value"))
w = (df.writeStream.format("kafka")
     .option("kafka.bootstrap.servers", bootstrap)
     .option("topic", dst)
     .option("kafka.linger.ms", "0")
     .option("checkpointLocation", ckpt))
if trigger == "continuous":
    w = w.trigger(continuous="1 second")
elif trigger == "realtime":
    w = w.trigger(realTime="5 seconds")
elif trigger != "microbatch":
    sys.exit("relay.py: unknown trigger " + trigger)
q = w.start()
print("READY", flush=True)
q.awaitTermination()
