-- Late data: words with event times, counted in
-- 10-minute windows sliding every 5 minutes, with a 10-minute watermark,
-- update mode. run.sh sends "2024-01-01 12:07:00,dog" lines in four
-- micro-batches: (12:08, dog) arrives late but inside the watermark and
-- updates its old windows; (12:04, donkey) is beyond it and is dropped.
-- run.sh checks every batch's rows against PySpark's for the same input
-- (tests/spark/stateful/watermark_batches.py).
CREATE SOURCE lines WITH (format = 'socket', host = '127.0.0.1', port = 9999);
CREATE VIEW words AS
  SELECT CAST(split(value, ',')[0] AS TIMESTAMP) AS timestamp,
         split(value, ',')[1] AS word
  FROM lines;
CREATE SINK out WITH (format = 'console', outputMode = 'update',
                      truncate = false);
INSERT INTO out
  SELECT window.start, window.end, word, count(*) AS count
  FROM words WATERMARK timestamp DELAY OF INTERVAL 10 MINUTES
  GROUP BY window(timestamp, '10 minutes', '5 minutes'), word;
