-- examples/rate_demo.sql - a first pipeline file for `sluice run`.
--
--   build/sluice validate examples/rate_demo.sql      # the plan
--   build/sluice run examples/rate_demo.sql --timeout 5
--
-- The rate source makes rows of (timestamp, value), value counting up from
-- 0. The view keeps the even values; the query scales them and prints each
-- one-second epoch of the continuous trigger as a table, as Spark's console
-- sink does. docs/PIPELINE.md describes the language; `sluice options`
-- lists every option.

CREATE SOURCE rates WITH (
  format = 'rate',
  rowsPerSecond = 10,
  numPartitions = 2
);

CREATE VIEW evens AS
  SELECT value, timestamp FROM rates WHERE value % 2 = 0;

CREATE SINK console WITH (
  format = 'console',
  outputMode = 'append',
  trigger = 'continuous 1 second',
  queryName = 'rate_demo',
  numRows = 20
);

INSERT INTO console
  SELECT value * 10 AS v, CAST(timestamp AS STRING) AS at
  FROM evens;
