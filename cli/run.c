/* cli/run.c - `sluice run` and `sluice validate`: a pipeline file in, its
 * queries running (or its plan printed) out.
 *
 * The main thread only waits: the engine's threads do the work and the
 * console sink prints. Stopping is always sl_query_stop() on every query
 * (sources stop, what is in flight drains to the sink), whether the reason
 * is the timeout, a signal, or one query failing. That loop
 * (sl_cli_run_queries) and the run options' parser serve `sluice relay`
 * (cli/relay.c) too, which starts its query with the C API instead. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "sql/pipeline.h"
#include "sluice.h"

/* The signal that asked us to stop, 0 if none. Only the handler writes it;
 * the main loop polls it between short waits, so the handler need not
 * touch the engine. */
static volatile sig_atomic_t stop_signal;
static struct timespec first_signal;

void sl_cli_on_stop_signal(int sig)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	if (!stop_signal) {
		first_signal = now;
		stop_signal = sig;
		return;
	}
	/* A second signal means "now": fall back to the default action.
	 * Only a later one: timeout(1) and friends send each signal twice
	 * at once (to the process and to its group). */
	int64_t ms = (now.tv_sec - first_signal.tv_sec) * 1000 +
		     (now.tv_nsec - first_signal.tv_nsec) / 1000000;
	if (ms >= 500) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void sl_cli_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sl_cli_on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int sl_cli_stop_signal(void)
{
	return stop_signal;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The whole file (or standard input for "-") in a malloc'd buffer. */
static char *read_all(const char *path, size_t *len)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
		}
		size_t k = fread(buf + n, 1, cap - n, in);
		n += k;
		if (k == 0)
			break;
	}
	int saved = errno;
	bool bad = ferror(in);
	if (in != stdin)
		fclose(in);
	if (bad) {
		free(buf);
		errno = saved ? saved : EIO;
		return NULL;
	}
	if (!buf)
		errno = ENOMEM;
	*len = n;
	return buf;
}

/* A failed query's exception, once. */
static void report(const sl_cli_queries *qs, uint32_t i, bool *reported)
{
	const char *exc = sl_query_exception(qs->q[i]);
	if (!exc || reported[i])
		return;
	reported[i] = true;
	const char *name = sl_query_name(qs->q[i]);
	fprintf(stderr, "%s: query %s%s%sfailed: %s\n", qs->label[i],
		name ? "'" : "", name ? name : "", name ? "' " : "", exc);
}

static void print_progress(const sl_cli_queries *qs)
{
	for (uint32_t i = 0; i < qs->n; i++) {
		char *j = sl_query_last_progress(qs->q[i]);
		if (j)
			fprintf(stderr, "%s\n", j);
		free(j);
	}
}

/* Waits until every query has ended, the deadline passes or a signal
 * arrives. Returns SL_EXIT_FAIL if a query failed. */
static int wait_queries(sl_session *s, const sl_cli_queries *qs,
			const sl_cli_run_opts *o, bool *reported)
{
	int64_t start = now_ms();
	int64_t deadline =
		o->timeout_s > 0 ? start + (int64_t)(o->timeout_s * 1000) : -1;
	int64_t next_progress = start + 1000;
	bool one_ended = false;
	int rc = SL_EXIT_OK;

	for (;;) {
		sl_query *waiting = NULL;
		uint32_t active = 0;
		for (uint32_t i = 0; i < qs->n; i++) {
			sl_query *q = qs->q[i];
			if (sl_query_is_active(q)) {
				active++;
				waiting = waiting ? waiting : q;
			} else if (sl_query_exception(q)) {
				report(qs, i, reported);
				rc = SL_EXIT_FAIL;
			}
		}
		if (rc || !active || stop_signal)
			break;
		int64_t now = now_ms();
		if (deadline >= 0 && now >= deadline)
			break;
		if (o->progress && now >= next_progress) {
			print_progress(qs);
			next_progress += 1000;
		}
		/* Short waits keep the signal flag, the deadline and the
		 * progress clock polled without a wake-up channel. */
		int64_t tick = 100;
		if (deadline >= 0 && deadline - now < tick)
			tick = deadline - now;
		/* await_any returns at once forever after one query has
		 * ended, so from then on wait on one still running. */
		if (!one_ended)
			one_ended = sl_session_await_any(s, tick) == 1;
		else
			sl_query_await(waiting, tick);
	}
	if (stop_signal) {
		fprintf(stderr, "sluice: %s: stopping the queries\n",
			stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		/* --grace bounds the drain: past it SIGALRM's default action
		 * ends the process. Checkpoints are crash-safe, so that is
		 * still at-least-once; a drain within the grace period lets
		 * the in-flight epoch commit and a restart repeats nothing. */
		if (o->grace_s > 0)
			alarm((unsigned)ceil(o->grace_s));
	}
	return rc;
}

int sl_cli_run_queries(sl_session *s, const sl_cli_queries *qs,
		       const sl_cli_run_opts *o)
{
	bool *reported = calloc(qs->n ? qs->n : 1, sizeof(*reported));
	if (!reported) {
		/* sl_session_destroy stops the queries */
		fputs("sluice: out of memory\n", stderr);
		return SL_EXIT_FAIL;
	}
	int rc = wait_queries(s, qs, o, reported);
	for (uint32_t i = 0; i < qs->n; i++) {
		/* stop returns the query's error if it failed, also while
		 * stopping */
		if (sl_query_stop(qs->q[i]) < 0) {
			report(qs, i, reported);
			rc = SL_EXIT_FAIL;
		}
	}
	/* And once more when they have ended: a query shorter than the
	 * period still shows its last progress. */
	if (o->progress)
		print_progress(qs);
	free(reported);
	return rc;
}

sl_session *sl_cli_session_new(void)
{
	sl_session *s = sl_session_new();
	if (s)
		sl_session_set_log_cb(s, sl_log_stderr, NULL);
	return s;
}

int sl_cli_metrics_start(sl_session *s, const sl_cli_run_opts *o)
{
	if (o->metrics_port <= 0)
		return 0;
	int port = sl_session_metrics_start(s, o->metrics_port);
	if (port < 0) {
		fprintf(stderr, "sluice: %s\n", sl_session_errmsg(s));
		return -1;
	}
	fprintf(stderr, "sluice: metrics at http://127.0.0.1:%d/metrics\n",
		port);
	return 0;
}

/* The pipeline text loads into s, or NULL, said on stderr, when it does not
 * load or has no query to run: run and validate refuse the same files. */
static sl_pipeline *load_runnable(sl_session *s, const char *text, size_t len,
				  const char *name)
{
	sl_pipeline *p = NULL;
	sl_err err = { 0 };

	if (sl_pipeline_load(s, text, len, name, &p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
	} else if (!sl_pipeline_nqueries(p)) {
		fprintf(stderr,
			"%s: nothing to run: the file has no INSERT "
			"INTO statement\n",
			name);
	} else {
		return p;
	}
	sl_pipeline_free(p);
	return NULL;
}

int sl_cli_run_text(const char *text, size_t len, const char *name,
		    const sl_cli_run_opts *o)
{
	sl_session *s = sl_cli_session_new();
	sl_pipeline *p = NULL;
	sl_err err = { 0 };
	int rc = SL_EXIT_FAIL;

	if (!s) {
		fputs("sluice: out of memory\n", stderr);
		return SL_EXIT_FAIL;
	}
	/* Before load: loading may wait for Kafka metadata, and a signal
	 * meanwhile must still end the run cleanly. */
	sl_cli_signals_install();
	p = load_runnable(s, text, len, name);
	if (!p)
		goto out;
	uint32_t nq = sl_pipeline_nqueries(p);
	/* Before the queries start, so a port already taken fails the run
	 * before anything is read. */
	if (sl_cli_metrics_start(s, o))
		goto out;
	if (sl_pipeline_start(p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	sl_query **q = calloc(nq, sizeof(*q));
	const char **label = calloc(nq, sizeof(*label));
	if (!q || !label) {
		fputs("sluice: out of memory\n", stderr);
	} else {
		for (uint32_t i = 0; i < nq; i++) {
			q[i] = sl_pipeline_query(p, i);
			label[i] = sl_pipeline_query_label(p, i);
		}
		rc = sl_cli_run_queries(
			s, &(sl_cli_queries){ .q = q, .label = label, .n = nq },
			o);
	}
	free(q);
	free(label);
out:
	sl_pipeline_free(p);
	sl_session_destroy(s);
	return rc;
}

static char *read_or_complain(const char *path, size_t *len)
{
	char *text = read_all(path, len);
	if (!text)
		fprintf(stderr, "sluice: cannot read %s: %s\n",
			strcmp(path, "-") ? path : "standard input",
			strerror(errno));
	return text;
}

const char *const sl_cli_run_flags[] = { "--timeout", "--grace", "--progress",
					 "--metrics-port", NULL };

int sl_cli_run_option(int argc, char **argv, int *i, sl_cli_run_opts *o,
		      char *msg, size_t n)
{
	const char *a = argv[*i], *flag = NULL, *val;
	double *dst = NULL;
	char *end;

	if (!strcmp(a, "--progress")) {
		o->progress = true;
		return 1;
	}
	if (!strncmp(a, "--timeout", 9)) {
		flag = "--timeout";
		dst = &o->timeout_s;
	} else if (!strncmp(a, "--grace", 7)) {
		flag = "--grace";
		dst = &o->grace_s;
	} else if (!strncmp(a, "--metrics-port", 14)) {
		flag = "--metrics-port";
	}
	size_t fl = flag ? strlen(flag) : 0;
	if (!flag || (a[fl] && a[fl] != '='))
		return 0; /* not ours (--timeouts is someone else's) */
	if (a[fl] == '=') {
		val = a + fl + 1;
	} else if (*i + 1 < argc) {
		val = argv[++*i];
	} else {
		snprintf(msg, n, "%s needs %s", flag,
			 dst ? "a number of seconds" : "a port");
		return -1;
	}
	if (!dst) {
		long port = strtol(val, &end, 10);
		if (end == val || *end || port < 1 || port > 65535) {
			snprintf(msg, n,
				 "--metrics-port '%s' is not a TCP port "
				 "(1-65535)",
				 val);
			return -1;
		}
		o->metrics_port = (int)port;
		return 1;
	}
	*dst = strtod(val, &end);
	if (end == val || *end || !isfinite(*dst) || *dst <= 0) {
		snprintf(msg, n, "%s '%s' is not a positive number of seconds",
			 flag, val);
		return -1;
	}
	return 1;
}

int sl_cli_run(int argc, char **argv)
{
	sl_cli_run_opts o = { 0 };
	const char *path = NULL;
	char msg[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = sl_cli_run_option(argc, argv, &i, &o, msg, sizeof(msg));
		if (r < 0)
			return sl_cli_usage_error("%s", msg);
		if (r > 0)
			continue;
		if (a[0] == '-' && a[1])
			return sl_cli_usage_error("run: unknown option '%s'",
						  a);
		if (path)
			return sl_cli_usage_error("run takes one FILE, got "
						  "'%s' and '%s'",
						  path, a);
		path = a;
	}
	if (!path)
		return sl_cli_usage_error("run needs a pipeline FILE");

	size_t len;
	char *text = read_or_complain(path, &len);
	if (!text)
		return SL_EXIT_FAIL;
	int rc = sl_cli_run_text(text, len,
				 strcmp(path, "-") ? path : "<stdin>", &o);
	free(text);
	return rc;
}

int sl_cli_validate(int argc, char **argv)
{
	if (argc < 2)
		return sl_cli_usage_error("validate needs a pipeline FILE");
	if (argc > 2)
		return sl_cli_usage_error("validate takes one FILE, got '%s' "
					  "too",
					  argv[2]);
	const char *path = argv[1];
	if (path[0] == '-' && path[1])
		return sl_cli_usage_error("validate: unknown option '%s'",
					  path);
	size_t len;
	char *text = read_or_complain(path, &len);
	if (!text)
		return SL_EXIT_FAIL;
	const char *name = strcmp(path, "-") ? path : "<stdin>";

	sl_session *s = sl_cli_session_new();
	sl_pipeline *p = NULL;
	int rc = SL_EXIT_FAIL;
	if (!s) {
		fputs("sluice: out of memory\n", stderr);
	} else if ((p = load_runnable(s, text, len, name))) {
		size_t n = sl_pipeline_describe(p, NULL, 0) + 1;
		char *plan = malloc(n);
		if (plan) {
			sl_pipeline_describe(p, plan, n);
			fputs(plan, stdout);
			free(plan);
			rc = SL_EXIT_OK;
		}
	}
	sl_pipeline_free(p);
	sl_session_destroy(s);
	free(text);
	return rc;
}
