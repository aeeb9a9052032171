-- examples/kafka_relay.sql - Spark's Kafka source and sink example
-- as a pipeline file: lines of text arrive in the topic `entrada`; each
-- word goes to the topic `salida` with the word as its key and a JSON
-- object as its value, {"word":"hello"}, as Spark writes it. In PySpark:
--
--   lines = spark.readStream.format("kafka")
--     .option("kafka.bootstrap.servers", ...).option("subscribe", "entrada")
--     .load()
--   words = lines.select(
--     explode(split(lines.value.cast("string"), " ")).alias("word"))
--   words.selectExpr("CAST(word AS STRING) AS key",
--                    "to_json(struct(*)) AS value")
--     .writeStream.format("kafka")
--     .option("kafka.bootstrap.servers", ...).option("topic", "salida")
--     .start()
--
--   build/sluice validate examples/kafka_relay.sql
--   build/sluice run examples/kafka_relay.sql --timeout 5
--
-- Spark's example writes word counts (groupBy("word").count(), output
-- mode complete); counting needs the stateful micro-batch path, which
-- pipeline files do not have yet, so this is its stateless form: one
-- record per word, output mode append, the default micro-batch trigger.
--
-- kafka.bootstrap.servers = 'embedded' (or no such option) runs against
-- the Kafka cluster sluice starts inside its own process (librdkafka's
-- mock cluster): nothing to install, but nothing else can reach it either,
-- so as written it relays nothing and stops after --timeout. Name a real
-- cluster ('host:9092') to use one; its topics must exist.

CREATE SOURCE entrada WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  subscribe = 'entrada',
  startingOffsets = 'earliest'
);

CREATE VIEW words AS
  SELECT explode(split(CAST(value AS STRING), ' ')) AS word
  FROM entrada;

CREATE SINK salida WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  topic = 'salida',
  outputMode = 'append',
  queryName = 'kafka_relay'
);

INSERT INTO salida
  SELECT CAST(word AS STRING) AS key, to_json(struct(*)) AS value
  FROM words;
