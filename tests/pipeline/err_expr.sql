-- a syntax error in the WHERE condition
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console');
INSERT INTO out
  SELECT value * 10 AS v
  FROM rates
  WHERE value % = 2;
