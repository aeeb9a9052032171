-- an unknown source format
CREATE SOURCE rates WITH (format = 'rat', rowsPerSecond = 10);
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT * FROM rates;
