-- examples/windowed_counts.sql - Spark's event-time windows: words
-- counted in 10-minute windows that slide every 5 minutes. The event time
-- is when the line reached the socket (includeTimestamp). In PySpark:
--
--   words = lines.select(explode(split(lines.value, " ")).alias("word"),
--                        lines.timestamp)
--   windowedCounts = words.groupBy(
--       window(words.timestamp, "10 minutes", "5 minutes"),
--       words.word).count()
--
-- Start a server first (`nc -lk 9999`), then
--   build/sluice run examples/windowed_counts.sql
-- Without a watermark the windows are never closed, so the output mode
-- is complete (or update); examples/watermark_counts.sql adds one.

CREATE SOURCE lines WITH (format = 'socket', host = 'localhost', port = 9999,
                          includeTimestamp = true);

CREATE VIEW words AS
  SELECT explode(split(value, ' ')) AS word, timestamp FROM lines;

CREATE SINK console WITH (format = 'console', outputMode = 'complete',
                          truncate = false);

INSERT INTO console
  SELECT window.start, window.end, word, count(*) AS count
  FROM words
  GROUP BY window(timestamp, '10 minutes', '5 minutes'), word;
