-- examples/kafka_continuous.sql - Spark's continuous-mode Kafka
-- example as a pipeline file: every record of the topic `entrada` is
-- copied to the topic `salida`, key and value cast to strings, one record
-- at a time (the continuous trigger; its interval is how often progress is
-- checkpointed, not a batching delay). In PySpark:
--
--   spark.readStream.format("kafka")
--     .option("kafka.bootstrap.servers", ...).option("subscribe", "entrada")
--     .load()
--     .selectExpr("CAST(key AS STRING)", "CAST(value AS STRING)")
--     .writeStream.format("kafka")
--     .option("kafka.bootstrap.servers", ...).option("topic", "salida")
--     .trigger(continuous="1 second").start()
--
--   build/sluice validate examples/kafka_continuous.sql
--   build/sluice run examples/kafka_continuous.sql --timeout 5
--
-- kafka.bootstrap.servers = 'embedded' (or no such option) runs against
-- the Kafka cluster sluice starts inside its own process (librdkafka's
-- mock cluster): nothing to install, but nothing else can reach it either,
-- so as written it relays nothing and stops after --timeout. Name a real
-- cluster ('host:9092,host2:9092') to relay one. Topics on a real cluster
-- must exist; the embedded one makes them on first use.
--
-- startingOffsets = earliest reads what `entrada` already holds (Spark's
-- default, latest, would start at its end).

CREATE SOURCE entrada WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  subscribe = 'entrada',
  startingOffsets = 'earliest'
);

CREATE SINK salida WITH (
  format = 'kafka',
  kafka.bootstrap.servers = 'embedded',
  topic = 'salida',
  outputMode = 'append',
  trigger = 'continuous 1 second',
  queryName = 'kafka_continuous'
);

INSERT INTO salida
  SELECT CAST(key AS STRING), CAST(value AS STRING)
  FROM entrada;
