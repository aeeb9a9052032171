/* cli/main.c - the `sluice` command: reads the command line and hands over
 * to run/validate (cli/run.c), the Kafka relay (cli/relay.c), the demo
 * (cli/demo.c), the Kafka benchmark (cli/bench.c), or prints the options
 * reference, the usage or the version. Exit status: 0 success, 1 a failed
 * pipeline or query, 2 a bad command line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "engine/trigger.h"
#include "sluice.h"

void sl_cli_usage(FILE *to)
{
	fputs("usage: sluice <command> [arguments]\n"
	      "\n"
	      "commands:\n"
	      "  run FILE [--timeout SECONDS] [--grace SECONDS] [--progress]\n"
	      "        [--metrics-port PORT]\n"
	      "        Run the pipeline in FILE ('-': standard input) until "
	      "its queries\n"
	      "        end, SECONDS pass, or SIGINT/SIGTERM arrives; then stop "
	      "them\n"
	      "        cleanly. --progress prints each query's last progress "
	      "(JSON)\n"
	      "        to stderr every second. --metrics-port serves "
	      "Prometheus metrics\n"
	      "        at http://127.0.0.1:PORT/metrics (docs/METRICS.md).\n"
	      "  validate FILE\n"
	      "        Check FILE as `run` would (formats, options, "
	      "expressions, output\n"
	      "        modes, triggers) and print its plan; starts nothing.\n"
	      "  relay --from TOPIC[,TOPIC...] --to TOPIC "
	      "[--bootstrap-servers LIST]\n"
	      "        [--keep-partition] [--starting-offsets "
	      "earliest|latest|JSON]\n"
	      "        [--group-id ID] [--checkpoint DIR] [--trigger "
	      "TRIGGER]\n"
	      "        [--query-name NAME] [--option KEY=VALUE]... "
	      "[run's options]\n"
	      "        Copy Kafka records (key, value, headers; in order per "
	      "partition)\n"
	      "        from --from to --to under the continuous trigger "
	      "until\n"
	      "        SIGINT/SIGTERM (sluice relay --help; "
	      "docs/PIPELINE.md).\n"
	      "  options\n"
	      "        Print the reference of every source, sink and writer "
	      "option.\n"
	      "  functions [NAME] [--markdown]\n"
	      "        List every SQL function with its signature and "
	      "description, or\n"
	      "        show NAME's with its example evaluated "
	      "(docs/FUNCTIONS.md).\n"
	      "  demo\n"
	      "        A Kafka relay on the embedded cluster (topics entrada "
	      "-> salida),\n"
	      "        with throughput and latency every second; about 11 "
	      "seconds.\n"
	      "  bench [--bootstrap-servers LIST|embedded] [--mode "
	      "relay|topic|external]\n"
	      "        [--rate N] [--duration SECONDS] [--keys ...] "
	      "[--find-max-rate ...] ...\n"
	      "        Benchmark a Kafka cluster, a sluice relay on it, or "
	      "someone else's relay:\n"
	      "        fixed-rate timestamped records; end-to-end and publish "
	      "latency,\n"
	      "        throughput, loss, duplicates, reordering "
	      "(sluice bench --help;\n"
	      "        docs/BENCH-TOOL.md).\n"
	      "  --help, --version\n"
	      "\n"
	      "Pipeline files are described in docs/PIPELINE.md.\n"
	      "Exit status: 0 success, 1 pipeline or query failure, 2 usage "
	      "error.\n",
	      to);
}

int sl_cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	sl_cli_usage(stderr);
	return SL_EXIT_USAGE;
}

int sl_cli_command_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(%s --help lists the options)\n", cmd);
	return SL_EXIT_USAGE;
}

static int cmd_options(int argc, char **argv)
{
	if (argc > 1)
		return sl_cli_usage_error("options takes no arguments, got "
					  "'%s'",
					  argv[1]);
	char *ref = sl_options_reference();
	if (!ref) {
		fputs("sluice: out of memory\n", stderr);
		return SL_EXIT_FAIL;
	}
	fputs(ref, stdout);
	free(ref);
	return SL_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return sl_cli_usage_error("no command given");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		sl_cli_usage(stdout);
		return SL_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") ||
	    !strcmp(cmd, "version")) {
		printf("sluice %s\n", SLUICE_VERSION);
		return SL_EXIT_OK;
	}
	if (!strcmp(cmd, "run"))
		return sl_cli_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return sl_cli_validate(argc - 1, argv + 1);
	if (!strcmp(cmd, "relay"))
		return sl_cli_relay(argc - 1, argv + 1);
	if (!strcmp(cmd, "options"))
		return cmd_options(argc - 1, argv + 1);
	if (!strcmp(cmd, "functions"))
		return sl_cli_functions(argc - 1, argv + 1);
	if (!strcmp(cmd, "demo"))
		return sl_cli_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return sl_cli_bench(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return sl_cli_usage_error("unknown option '%s'", cmd);
	return sl_cli_usage_error("unknown command '%s'", cmd);
}
