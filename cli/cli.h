/* cli/cli.h - what the files of the `sluice` command share.
 *
 * main.c reads the command line and dispatches; run.c loads a pipeline file
 * (sql/pipeline.h) and runs or validates it, and owns the wait loop every
 * long-running command shares (signals, --timeout, --grace, --progress,
 * --metrics-port); relay.c builds a Kafka relay with the public API and
 * runs it in that loop; demo.c runs a built-in pipeline. Every command
 * returns the process's exit status. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sluice.h"

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

/* The run options' flags, NULL-terminated (for "did you mean"). */
extern const char *const sl_cli_run_flags[];

/* If argv[*i] is a run option (--timeout S, --grace S, --progress,
 * --metrics-port P; "--flag=value" or "--flag value"), stores it in o and
 * moves *i past its value. Returns 1 if it took the argument, 0 if the
 * argument is not a run option, -1 for a bad or missing value, with the
 * message in msg (n bytes). */
int sl_cli_run_option(int argc, char **argv, int *i, sl_cli_run_opts *o,
		      char *msg, size_t n);

/* SIGINT/SIGTERM ask sl_cli_run_queries to stop; a second one, 0.5 s or
 * more later, kills. Install before anything that may block (Kafka
 * metadata), so an early signal still ends the run cleanly. */
void sl_cli_signals_install(void);
/* The handler sl_cli_signals_install installs, for a command that installs
 * it itself (sluice bench keeps the handlers it replaces), and the signal
 * that asked to stop, 0 if none. */
void sl_cli_on_stop_signal(int sig);
int sl_cli_stop_signal(void);

/* With o->metrics_port, serves the session's metrics and says where on
 * stderr. Returns 0, or -1 after printing why (the port is taken). */
int sl_cli_metrics_start(sl_session *s, const sl_cli_run_opts *o);
/* A new session whose log goes to stderr ("sluice: ..."), as every
 * command of the `sluice` program wants (the library itself prints
 * nothing). NULL when out of memory. */
sl_session *sl_cli_session_new(void);

/* Started queries and the labels that start messages about them. */
typedef struct sl_cli_queries {
	sl_query *const *q;
	const char *const *label;
	uint32_t n;
} sl_cli_queries;

/* Waits until the queries all end, o->timeout_s passes or SIGINT/SIGTERM
 * arrives (printing progress with o->progress); then stops every query
 * (a continuous query commits its last epoch) and prints each failure
 * with its label. Returns SL_EXIT_OK, or SL_EXIT_FAIL if one failed. */
int sl_cli_run_queries(sl_session *s, const sl_cli_queries *qs,
		       const sl_cli_run_opts *o);

/* Loads text (a pipeline file's contents, name for messages), starts every
 * query and runs them with sl_cli_run_queries. */
int sl_cli_run_text(const char *text, size_t len, const char *name,
		    const sl_cli_run_opts *o);

int sl_cli_run(int argc, char **argv);	    /* sluice run FILE ... */
int sl_cli_validate(int argc, char **argv); /* sluice validate FILE */
int sl_cli_functions(int argc, char **argv); /* sluice functions */
int sl_cli_demo(int argc, char **argv);	    /* sluice demo */
int sl_cli_relay(int argc, char **argv);    /* sluice relay --from --to */

void sl_cli_usage(FILE *to);
/* "sluice: <message>" and the usage on stderr; returns SL_EXIT_USAGE. */
int sl_cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* A usage error of the command cmd ("sluice bench"): "cmd: message" and
 * where its options are listed, on stderr. Returns SL_EXIT_USAGE. */
int sl_cli_command_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
