-- examples/word_count_kafka.sql - Spark's word count with Kafka on
-- both sides: lines arrive in the topic `entrada`, the running count of
-- every word goes to the topic `salida` (key: the word, value: JSON
-- {"word":..,"count":..}), the whole table after every micro-batch
-- (output mode complete, as Spark's example writes it). In PySpark:
--
--   words = lines.select(
--     explode(split(lines.value.cast("string"), " ")).alias("word"))
--   wordCounts = words.groupBy("word").count()
--   wordCounts.selectExpr("CAST(word AS STRING) AS key",
--                         "to_json(struct(*)) AS value")
--     .writeStream.format("kafka").outputMode("complete")
--     .option("kafka.bootstrap.servers", ...).option("topic", "salida")
--     .start()
--
--   build/sluice validate examples/word_count_kafka.sql
--   build/sluice run examples/word_count_kafka.sql --timeout 5
--
-- kafka.bootstrap.servers = 'embedded' runs against the Kafka cluster
-- sluice starts inside its own process (nothing else can reach it); name
-- a real cluster ('host:9092') to count a real topic.

CREATE SOURCE entrada WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  subscribe = 'entrada',
  startingOffsets = 'earliest'
);

CREATE VIEW words AS
  SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM entrada;

CREATE VIEW counts AS
  SELECT word, count(*) AS count FROM words GROUP BY word;

CREATE SINK salida WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  topic = 'salida',
  outputMode = 'complete'
);

INSERT INTO salida
  SELECT CAST(word AS STRING) AS key, to_json(struct(word, count)) AS value
  FROM counts;
