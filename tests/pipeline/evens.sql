-- The acceptance case: rate rows, the even ones, times ten, on the console
-- under the continuous trigger. run.sh runs it with --timeout 3.
CREATE SOURCE rates WITH (format = 'rate', rowsPerSecond = 10,
                          numPartitions = 2);

CREATE SINK out WITH (
  format = 'console',
  outputMode = 'append',
  trigger = 'continuous 1 second',
  queryName = 'evens'
);

INSERT INTO out SELECT value * 10 AS v FROM rates WHERE value % 2 = 0;
