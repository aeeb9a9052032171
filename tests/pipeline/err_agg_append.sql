-- an aggregation without a watermark cannot run in append mode
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console', outputMode = 'append');
INSERT INTO out
  SELECT value % 3 AS k, count(*) AS n FROM rates GROUP BY value % 3;
