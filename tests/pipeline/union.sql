/* UNION ALL: two sources of different partitions and types as one stream,
 * defined once as a view and read by two queries (trigger once, so both
 * end by themselves): every row of both sides, and a GROUP BY over the
 * union. The second query reads the view's sources again, on their own
 * instances, as every later query on a source does; a third query
 * unites two SELECTs over one source. */
CREATE SOURCE small WITH (format = 'rate-micro-batch', rowsPerBatch = 4,
                          numPartitions = 2);
CREATE SOURCE big WITH (format = 'rate-micro-batch', rowsPerBatch = 6,
                        numPartitions = 3);

CREATE VIEW both AS
  SELECT 'small' AS side, CAST(value AS INT) AS n FROM small
  UNION ALL
  SELECT 'big', value + 100 FROM big WHERE value % 2 = 0;

CREATE SINK each_row WITH (format = 'console', trigger = 'once');
CREATE SINK per_side WITH (format = 'console', trigger = 'once',
                           outputMode = 'complete');

INSERT INTO each_row SELECT side, n FROM both;
INSERT INTO per_side
  SELECT side, count(*) AS rows, sum(n) AS total FROM both GROUP BY side;

-- Both SELECTs read one source: the second reads it on a new instance.
CREATE SINK split WITH (format = 'console', trigger = 'once');
INSERT INTO split
  SELECT concat('odd ', CAST(value AS STRING)) AS parity FROM big
    WHERE value % 2 = 1
  UNION ALL
  SELECT concat('even ', CAST(value AS STRING)) FROM big WHERE value % 2 = 0;
