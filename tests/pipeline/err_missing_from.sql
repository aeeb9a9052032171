CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT value * 10 AS v WHERE value > 3;
