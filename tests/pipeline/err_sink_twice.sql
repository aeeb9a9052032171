CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT * FROM rates;
INSERT INTO out SELECT value FROM rates;
