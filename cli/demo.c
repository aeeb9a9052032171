/* cli/demo.c - `sluice demo`: a pipeline that needs nothing but the build.
 *
 * Rate rows, the even ones, times ten, printed by the console sink under
 * the continuous trigger for three seconds. It goes through the same path
 * as `sluice run` (a pipeline text, core/pipeline.c), so the demo also
 * shows what a pipeline file looks like. */
#include "cli/cli.h"

static const char demo_pipeline[] =
	"-- sluice demo: rate -> WHERE -> SELECT -> console, continuous\n"
	"CREATE SOURCE numbers WITH (format = 'rate', rowsPerSecond = 5);\n"
	"CREATE SINK screen WITH (format = 'console', outputMode = 'append',\n"
	"                         trigger = 'continuous 1 second');\n"
	"INSERT INTO screen\n"
	"  SELECT value * 10 AS v FROM numbers WHERE value % 2 = 0;\n";

int sl_cli_demo(int argc, char **argv)
{
	if (argc > 1)
		return sl_cli_usage_error("demo takes no arguments, got '%s'",
					  argv[1]);
	fprintf(stderr, "sluice demo: running for 3 seconds:\n\n%s\n",
		demo_pipeline);
	sl_cli_run_opts o = { .timeout_s = 3, .progress = false };
	return sl_cli_run_text(demo_pipeline, sizeof(demo_pipeline) - 1,
			       "<demo>", &o);
}
