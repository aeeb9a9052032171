-- an aggregation: refused until the stateful path exists
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console', outputMode = 'complete');
INSERT INTO out
  SELECT value % 3 AS k, count(*) AS n FROM rates GROUP BY value % 3;
