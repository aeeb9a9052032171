/* tests/unit/sql_validate_refuses.c - what `sluice run` would refuse,
 * `sluice validate` (sl_pipeline_load) refuses too, at the option that
 * causes it and without touching the file system: a file sink with an
 * empty path, a partitionBy naming no column, a column the format cannot
 * write; and a file source whose schema names a column twice, or whose
 * only column is the corrupt-record column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql/pipeline.h"
#include "sluice.h"
#include "tests/support/tmpdir.h"

static sl_session *s;
static sl_pipeline *p;
static char *dir;

static void setup(void)
{
	s = sl_session_new();
	cr_assert_not_null(s);
	p = NULL;
	dir = sl_test_tmpdir("sl_validate");
}

static void teardown(void)
{
	sl_pipeline_free(p);
	sl_session_destroy(s);
	sl_test_tmpdir_free(dir);
}

TestSuite(validate, .init = setup, .fini = teardown);

/* The pipeline text (one %s: the temporary directory, used for every
 * path) fails to load with a message starting with prefix and holding
 * part; nothing was made in the directory but `in`. */
static void refused(const char *fmt, const char *prefix, const char *part)
{
	char text[2048], in[600], out[600];
	sl_err e = { 0 };

	snprintf(in, sizeof(in), "%s/in", dir);
	cr_assert_eq(mkdir(in, 0755), 0);
	snprintf(text, sizeof(text), fmt, dir, dir, dir);
	cr_assert_lt(sl_pipeline_load(s, text, strlen(text), "t.sql", &p, &e),
		     0, "loaded: %s", text);
	cr_assert_eq(strncmp(e.msg, prefix, strlen(prefix)), 0,
		     "message '%s' does not start with '%s'", e.msg, prefix);
	cr_assert(strstr(e.msg, part), "message '%s' lacks '%s'", e.msg,
		  part);
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_neq(access(out, F_OK), 0, "validate made %s", out);
}

#define RATE "CREATE SOURCE r WITH (format = 'rate', rowsPerSecond = 1);\n"

Test(validate, file_sink_with_empty_path)
{
	refused(RATE "CREATE SINK j WITH (format = 'json', path = '',\n"
		     "  checkpointLocation = '%s/ck');\n"
		     "INSERT INTO j SELECT value FROM r;\n",
		"t.sql:2:", "sink 'json': option 'path' is required");
}

Test(validate, partition_by_naming_no_column)
{
	refused(RATE "CREATE SINK j WITH (format = 'json', path = '%s/out',\n"
		     "  partitionBy = 'nope', checkpointLocation = '%s/ck');\n"
		     "INSERT INTO j SELECT value FROM r;\n",
		"t.sql:3:", "partitionBy column 'nope' is not a column");
}

Test(validate, column_the_format_cannot_write)
{
	refused(RATE "CREATE SINK j WITH (format = 'csv', path = '%s/out',\n"
		     "  checkpointLocation = '%s/ck');\n"
		     "INSERT INTO j SELECT value, array(value) AS a FROM r;\n",
		"t.sql:", "CSV cannot hold this type");
}

Test(validate, schema_with_a_column_twice)
{
	refused("CREATE SOURCE r WITH (format = 'csv', path = '%s/in',\n"
		"  schema = 'a INT, b STRING, A DOUBLE');\n"
		"CREATE SINK c WITH (format = 'console');\n"
		"INSERT INTO c SELECT * FROM r;\n",
		"t.sql:2:", "column 'A' is there twice (columns 1 and 3");
}

Test(validate, corrupt_record_column_alone)
{
	refused("CREATE SOURCE r WITH (format = 'json', path = '%s/in',\n"
		"  schema = 'raw STRING', columnNameOfCorruptRecord = 'raw');\n"
		"CREATE SINK c WITH (format = 'console');\n"
		"INSERT INTO c SELECT * FROM r;\n",
		"t.sql:2:", "'columnNameOfCorruptRecord' = 'raw' names every "
			    "column");
}

/* Removes what refused() made, for the next call in the same test. */
static void drop_in(void)
{
	char in[600];
	snprintf(in, sizeof(in), "%s/in", dir);
	cr_assert_eq(rmdir(in), 0);
}

/* Maps: CSV cannot write them, nor DISTINCT take them (Spark
 * refuses DISTINCT over a map, though it groups by one), a JSON schema
 * with a map of non-string keys, a map in a comparison. */
Test(validate, maps_where_spark_refuses_them)
{
	refused(RATE "CREATE SINK j WITH (format = 'csv', path = '%s/out',\n"
		     "  checkpointLocation = '%s/ck');\n"
		     "INSERT INTO j SELECT map('k', value) AS m FROM r;\n",
		"t.sql:", "CSV cannot hold this type");
	drop_in();
	refused(RATE "CREATE SINK c WITH (format = 'console');\n"
		     "INSERT INTO c SELECT DISTINCT map('k', value) AS m "
		     "FROM r;\n",
		"t.sql:", "[UNSUPPORTED_FEATURE.SET_OPERATION_ON_MAP_TYPE]");
	drop_in();
	refused("CREATE SOURCE r WITH (format = 'json', path = '%s/in',\n"
		"  schema = 'm MAP<INT, STRING>');\n"
		"CREATE SINK c WITH (format = 'console');\n"
		"INSERT INTO c SELECT * FROM r;\n",
		"t.sql:", "INVALID_JSON_SCHEMA_MAP_TYPE");
	drop_in();
	refused(RATE "CREATE SINK c WITH (format = 'console');\n"
		     "INSERT INTO c SELECT map('k', value) = map('k', 1) AS e "
		     "FROM r;\n",
		"t.sql:", "INVALID_ORDERING_TYPE");
}

/* The same sinks with their options right load. */
Test(validate, the_fixed_files_load)
{
	char text[1024];
	sl_err e = { 0 };

	snprintf(text, sizeof(text),
		 RATE "CREATE SINK j WITH (format = 'json', path = '%s/out',\n"
		      "  partitionBy = 'value', checkpointLocation = '%s/ck');\n"
		      "INSERT INTO j SELECT value, value * 2 AS v FROM r;\n",
		 dir, dir);
	cr_assert_eq(sl_pipeline_load(s, text, strlen(text), "t.sql", &p, &e),
		     0, "%s", e.msg);
}
