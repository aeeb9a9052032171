-- Counts by DEST_COUNTRY_NAME over the flight data, one file a
-- micro-batch (maxFilesPerTrigger 1), complete mode: each batch prints the
-- whole result table. HAVING keeps the busiest destinations.
CREATE SOURCE flights WITH (
  format = 'csv', path = '../data/flight-data/csv', header = true,
  maxFilesPerTrigger = 1,
  schema = 'DEST_COUNTRY_NAME STRING, ORIGIN_COUNTRY_NAME STRING, count INT');
CREATE SINK out WITH (format = 'console', outputMode = 'complete',
                      trigger = 'availableNow');
INSERT INTO out
  SELECT DEST_COUNTRY_NAME, count(*) AS count, sum(count) AS flights
  FROM flights
  GROUP BY DEST_COUNTRY_NAME
  HAVING sum(count) > 5000;
