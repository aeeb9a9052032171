-- an unknown column
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT value, vlue * 10 AS v FROM rates;
