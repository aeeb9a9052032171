-- examples/watermark_counts.sql - Spark's watermark example:
-- words with an event time, counted in 10-minute windows sliding every 5
-- minutes, with a 10-minute watermark. A row up to 10 minutes older than
-- the latest event time seen still updates its windows; an older one is
-- dropped (and counted in the progress's numRowsDroppedByWatermark), and
-- the windows the watermark has passed leave the state, so memory stays
-- bounded. In PySpark:
--
--   windowedCounts = words
--     .withWatermark("timestamp", "10 minutes")
--     .groupBy(window(words.timestamp, "10 minutes", "5 minutes"),
--              words.word)
--     .count()
--
-- Each line is "event time,word", e.g. "2024-01-01 12:07:00,dog". Start a
-- server (`nc -lk 9999`), run
--   build/sluice run examples/watermark_counts.sql
-- and type lines; tests/pipeline/late_data.sql plays Spark's late-data sequence.
-- Output mode update prints the windows each batch changed; append would
-- print each window once, when the watermark closes it.

CREATE SOURCE lines WITH (format = 'socket', host = 'localhost', port = 9999);

CREATE VIEW words AS
  SELECT CAST(split(value, ',')[0] AS TIMESTAMP) AS timestamp,
         split(value, ',')[1] AS word
  FROM lines;

CREATE SINK console WITH (format = 'console', outputMode = 'update',
                          truncate = false);

-- WATERMARK applies to the relation FROM reads (the view's timestamp).
INSERT INTO console
  SELECT window.start, window.end, word, count(*) AS count
  FROM words WATERMARK timestamp DELAY OF INTERVAL 10 MINUTES
  GROUP BY window(timestamp, '10 minutes', '5 minutes'), word;
