-- examples/flight_counts.sql - the flight summaries of "Spark: The
-- Definitive Guide" (tests/data/flight-data/csv, one file per year) read as a
-- stream, one file a micro-batch, counted by destination, the whole
-- result printed after every batch. In PySpark:
--
--   streaming_file_df = spark.readStream.schema(schema)
--     .option("maxFilesPerTrigger", 1).option("header", True)
--     .csv("data/flight-data/csv")
--   grouped = streaming_file_df.groupBy("DEST_COUNTRY_NAME").count()
--   grouped.writeStream.format("console").outputMode("complete").start()
--
-- Run from the repository root (the path is relative):
--   build/sluice run examples/flight_counts.sql
-- availableNow stops once the six files are read; leave the trigger out
-- to keep watching the directory for new files.

CREATE SOURCE flights WITH (
  format = 'csv',
  path = 'tests/data/flight-data/csv',
  header = true,
  maxFilesPerTrigger = 1,
  schema = 'DEST_COUNTRY_NAME STRING, ORIGIN_COUNTRY_NAME STRING, count INT'
);

CREATE SINK console WITH (format = 'console', outputMode = 'complete',
                          trigger = 'availableNow');

INSERT INTO console
  SELECT DEST_COUNTRY_NAME, count(*) AS count
  FROM flights GROUP BY DEST_COUNTRY_NAME;
