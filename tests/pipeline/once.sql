/* A deterministic run: one micro-batch of ten rows (trigger once), through
 * a view, with comments, backticks and mixed case; the query ends by
 * itself. Its console output must be once.out byte for byte. */
create source `numbers` with (
  format = 'rate-micro-batch',
  rowsPerBatch = 10,          -- values 0 .. 9
  numPartitions = 1,
  startTimestamp = 0
);
CREATE VIEW thirds AS
  SELECT value, timestamp FROM numbers WHERE value % 3 = 0;
CREATE SINK Screen WITH (format = 'console', 'trigger' = 'once');
Insert Into screen
  SELECT value,
         value * 10 AS v,          /* a comment inside the list */
         CAST(value AS STRING) AS s,
         timestamp
  FROM thirds;
