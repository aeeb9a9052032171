/* cli/cli.h - what the files of the `sluice` command share.
 *
 * main.c reads the command line and dispatches; run.c loads a pipeline file
 * (core/pipeline.h) and runs or validates it; demo.c runs a built-in
 * pipeline. Every command returns the process's exit status. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
	SL_EXIT_OK = 0,	   /* ran and stopped cleanly, or valid */
	SL_EXIT_FAIL = 1,  /* bad pipeline, or a query failed */
	SL_EXIT_USAGE = 2, /* bad command line */
};

typedef struct sl_cli_run_opts {
	double timeout_s; /* > 0: stop the queries after this long */
	double grace_s;   /* > 0: a stop may drain this long, then exit */
	bool progress;	  /* last progress of each query, every second */
	int metrics_port; /* > 0: serve /metrics on 127.0.0.1 (0: off) */
} sl_cli_run_opts;

/* Loads text (a pipeline file's contents, name for messages), starts every
 * query and waits until they all end, the timeout passes or SIGINT/SIGTERM
 * arrives; then stops them. */
int sl_cli_run_text(const char *text, size_t len, const char *name,
		    const sl_cli_run_opts *o);

int sl_cli_run(int argc, char **argv);	    /* sluice run FILE ... */
int sl_cli_validate(int argc, char **argv); /* sluice validate FILE */
int sl_cli_demo(int argc, char **argv);	    /* sluice demo */

void sl_cli_usage(FILE *to);
/* "sluice: <message>" and the usage on stderr; returns SL_EXIT_USAGE. */
int sl_cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
