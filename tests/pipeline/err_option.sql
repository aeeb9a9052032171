-- a misspelt source option
CREATE SOURCE rates WITH (format = 'rate',
                          rowsPerSecnd = 10);
CREATE SINK out WITH (format = 'console');
INSERT INTO out SELECT * FROM rates;
