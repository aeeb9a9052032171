-- UNION ALL of SELECTs with different column counts: refused at the
-- second SELECT, naming both sides' columns.
CREATE SOURCE r WITH (format = 'rate', rowsPerSecond = 10);
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT value FROM r
  UNION ALL SELECT value, timestamp FROM r;
