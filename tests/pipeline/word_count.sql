-- A running word count: lines from a socket, split into words,
-- counted in complete mode. tests/pipeline/run.sh serves the lines on a
-- free port and replaces 9999 by it.
CREATE SOURCE lines WITH (format = 'socket', host = '127.0.0.1', port = 9999);
CREATE VIEW words AS
  SELECT explode(split(value, ' ')) AS word FROM lines;
CREATE SINK out WITH (format = 'console', outputMode = 'complete');
INSERT INTO out SELECT word, count(*) AS count FROM words GROUP BY word;
