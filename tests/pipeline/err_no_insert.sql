-- definitions only: nothing to run
CREATE SOURCE rates WITH (format = 'rate');
CREATE SINK out WITH (format = 'console');
