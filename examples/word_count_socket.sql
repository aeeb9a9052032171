-- examples/word_count_socket.sql - Spark's running word count:
-- lines of text from a socket, split into words, counted, the whole
-- result table printed after every micro-batch (output mode complete).
-- In PySpark:
--
--   lines = spark.readStream.format("socket")
--     .option("host", "localhost").option("port", 9999).load()
--   words = lines.select(explode(split(lines.value, " ")).alias("word"))
--   wordCounts = words.groupBy("word").count()
--   wordCounts.writeStream.outputMode("complete").format("console").start()
--
-- Start a server first (`nc -lk 9999`), then
--   build/sluice run examples/word_count_socket.sql
-- and type lines into nc.

CREATE SOURCE lines WITH (format = 'socket', host = 'localhost', port = 9999);

CREATE VIEW words AS
  SELECT explode(split(value, ' ')) AS word FROM lines;

CREATE SINK console WITH (format = 'console', outputMode = 'complete');

INSERT INTO console
  SELECT word, count(*) AS count FROM words GROUP BY word;
