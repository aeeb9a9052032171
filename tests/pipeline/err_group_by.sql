-- an aggregation selecting a column it does not group by
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console', outputMode = 'complete');
INSERT INTO out
  SELECT value, count(*) AS n FROM rates GROUP BY value % 3;
