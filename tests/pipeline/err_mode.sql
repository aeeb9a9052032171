-- complete mode needs an aggregation
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console', outputMode = 'complete');
INSERT INTO out SELECT * FROM rates;
