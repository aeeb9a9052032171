/* bench/relay/child.c - a relay alone in a child process (this program
 * re-run with --child): its memory under a fixed-rate load from the
 * parent, and, under cachegrind, its instructions per relayed record
 * (bench/relay.c, bench/relay/relay.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/relay/relay.h"
#include "io/kafka_embedded.h"
#include "sluice.h"

/* ---- the relay alone in a child process (memory) ------------------------ */

static _Atomic bool child_stop;

static void *child_stdin(void *arg)
{
	char b[64];

	while (read(0, b, sizeof(b)) > 0)
		;
	atomic_store(&child_stop, true);
	return NULL;
}

/* Rows sluice's sink has written, from the query's progress records
 * (committed epochs only). */
static int64_t sluice_relayed(sl_query *q)
{
	char *js = sl_query_recent_progress(q);
	json_t *arr = js ? json_loads(js, 0, NULL) : NULL;
	int64_t n = 0;

	for (size_t i = 0; arr && i < json_array_size(arr); i++)
		n += json_integer_value(json_object_get(
			json_object_get(json_array_get(arr, i), "sink"),
			"numOutputRows"));
	json_decref(arr);
	free(js);
	return n;
}

/* Runs one relay until stdin closes (or, with count > 0, until it has
 * relayed count records), sampling VmRSS every 250 ms; prints
 * {"vmhwm_kib":..,"samples":[[s,kib],..],"relayed":..} on stdout. */
int child_main(const char *impl, const char *in, const char *out,
		      int64_t slow_us, int64_t count)
{
	struct relay r = { .impl = impl, .slow_us = slow_us };
	pthread_t th;
	int64_t t0 = bu_now_ns();
	long samples[4096][2];
	int ns = 0;

	snprintf(r.in, sizeof(r.in), "%s", in);
	snprintf(r.out, sizeof(r.out), "%s", out);
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (relay_start(&r))
		return 1;
	if (!count)
		pthread_create(&th, NULL, child_stdin, NULL);
	while (!atomic_load(&child_stop)) {
		bu_sleep_ms(count ? 100 : 250);
		if (count && r.q)
			atomic_store(&r.relayed, sluice_relayed(r.q));
		if (count && atomic_load(&r.relayed) >= count)
			break;
		if (ns < 4096) {
			samples[ns][0] = (long)((bu_now_ns() - t0) / 1000000);
			samples[ns][1] = bu_status_kib("VmRSS");
			ns++;
		}
	}
	if (r.q && strcmp(impl, "slow") != 0)
		atomic_store(&r.relayed, sluice_relayed(r.q));
	printf("{\"vmhwm_kib\": %ld, \"relayed\": %lld, \"samples\": [",
	       bu_status_kib("VmHWM"), (long long)atomic_load(&r.relayed));
	for (int i = 0; i < ns; i++)
		printf("%s[%.2f, %ld]", i ? ", " : "",
		       (double)samples[i][0] / 1e3, samples[i][1]);
	printf("]}\n");
	fflush(stdout);
	/* A slow sink would take minutes to drain on stop: leave without
	 * it, the figures are out. */
	if (strcmp(impl, "slow") == 0)
		_exit(0);
	relay_stop(&r);
	return 0;
}

/* Starts this program as a child relay; *wfd closes to stop it, *rfd
 * carries its figures. */
static pid_t child_spawn(const char *impl, const char *in, const char *out,
			 int64_t slow_us, int *wfd, int *rfd)
{
	int pin[2], pout[2];
	char us[32];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	char *argv[] = { "/proc/self/exe", "--child", (char *)impl,
			 "--bootstrap", (char *)g_addr, "--in", (char *)in,
			 "--out", (char *)out, "--slow-us", us, NULL };

	snprintf(us, sizeof(us), "%lld", (long long)slow_us);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
		die("%s", "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ))
		die("%s", "posix_spawn failed");
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	*wfd = pin[1];
	*rfd = pout[0];
	return pid;
}

static char *child_finish(pid_t pid, int wfd, int rfd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t k;
	int st;

	close(wfd);
	while ((k = read(rfd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)k;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = 0;
	close(rfd);
	waitpid(pid, &st, 0);
	while (len && (buf[len - 1] == '\n'))
		buf[--len] = 0;
	if (!len) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A slow sink's VmRSS once a second, and whether it levelled off: the
 * highest sample of the last third of the run against the highest of the
 * middle third. A queue without a bound in bytes keeps growing into the
 * last third; a bounded one has stopped by then. */
static void slow_summary(const char *res, double seconds)
{
	json_t *j = json_loads(res, 0, NULL);
	json_t *smp = json_object_get(j, "samples");
	long mid = 0, last = 0, next = 1;
	size_t n = json_array_size(smp);

	printf("  VmRSS (MiB) each second:");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(smp, i);
		double t = json_number_value(json_array_get(e, 0));
		long kib = (long)json_integer_value(json_array_get(e, 1));

		if (t >= (double)next) {
			printf(" %ld", kib / 1024);
			next = (long)t + 1;
		}
		if (t >= seconds / 3 && t < 2 * seconds / 3 && kib > mid)
			mid = kib;
		if (t >= 2 * seconds / 3 && kib > last)
			last = kib;
	}
	printf("\n  VmHWM %lld MiB; highest VmRSS in the middle third %ld "
	       "MiB, in the last third %ld MiB: %s\n",
	       (long long)json_integer_value(json_object_get(j, "vmhwm_kib")) /
		       1024,
	       mid / 1024, last / 1024,
	       last > mid + mid / 10 ? "STILL GROWING" : "levelled off");
	json_decref(j);
}

/* The relay alone under a fixed-rate load; its memory goes to the JSON. */
void measure_rss(const char *impl, int rate, int size, double seconds,
			int64_t slow_us)
{
	struct checker c;
	struct gen g = { .size = size, .rate = rate };
	char in[128], out[128];
	int wfd, rfd;
	pid_t pid;
	char *res;
	bool slow = strcmp(impl, "slow") == 0;

	topic_make(in, sizeof(in), "in");
	topic_make(out, sizeof(out), "out");
	pid = child_spawn(impl, in, out, slow_us, &wfd, &rfd);
	snprintf(g.topic, sizeof(g.topic), "%s", in);
	g.n = (int64_t)(rate * seconds);
	/* A slow sink writes nothing to OUT: warm up on nothing. */
	checker_start(&c, out, g.n);
	g.warm = slow ? NULL : &c;
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	if (!slow) {
		int64_t deadline = bu_now_ns() + 5000000000LL;

		while (atomic_load(&c.received) < g.n &&
		       bu_now_ns() < deadline)
			bu_sleep_ms(10);
	}
	checker_stop(&c);
	res = child_finish(pid, wfd, rfd);
	printf("  %-9s %6d rec/s x %4d B for %.0f s: %s\n", impl, rate, size,
	       seconds, res ? res : "child failed");
	if (slow && res)
		slow_summary(res, seconds);
	if (g_json && res) {
		json_sep();
		fprintf(g_json,
			"{\"kind\": \"%s\", \"impl\": \"%s\", \"rate\": %d, "
			"\"size\": %d, \"seconds\": %.1f, \"slow_us\": %lld, "
			"\"received\": %lld, \"child\": %s}",
			slow ? "slow_sink" : "rss", impl, rate, size, seconds,
			(long long)slow_us, (long long)c.received, res);
		fflush(g_json);
	}
	free(res);
	free(c.lat);
	free(c.arrive);
}

/* ---- instructions per record ------------------------------------------- */

char g_self[4096]; /* this program's path, for valgrind */

/* Instructions valgrind counted in one run of the relay alone (a child
 * under cachegrind) moving n pre-produced records; -1 on failure. */
static double ipr_run(const char *impl, int64_t n, int size)
{
	struct gen g = { .size = size, .rate = 0, .n = n };
	char in[128], out[128], cnt[32], logf[64], line[256];
	char *argv[] = { "valgrind", "--tool=cachegrind", "--cache-sim=no",
			 "--cachegrind-out-file=/dev/null", logf, g_self,
			 "--child", (char *)impl, "--bootstrap",
			 (char *)g_addr, "--in", in, "--out", out, "--count",
			 cnt, NULL };
	double ir = -1;
	pid_t pid;
	int st, rc;
	FILE *f;
	posix_spawn_file_actions_t fa;

	topic_make(in, sizeof(in), "in");
	topic_make(out, sizeof(out), "out");
	snprintf(g.topic, sizeof(g.topic), "%s", in);
	pthread_create(&g.th, NULL, gen_main, &g);
	pthread_join(g.th, NULL);
	snprintf(cnt, sizeof(cnt), "%lld", (long long)n);
	snprintf(logf, sizeof(logf), "--log-file=/tmp/slb-vg-%d.log",
		 (int)getpid());
	/* The child's figures line is not wanted here: only the count. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "valgrind", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	waitpid(pid, &st, 0);
	f = fopen(logf + strlen("--log-file="), "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "I   refs:");
		double v = 0;

		if (!p)
			continue;
		for (p += 9; *p; p++)
			if (*p >= '0' && *p <= '9')
				v = v * 10 + (*p - '0');
		ir = v;
	}
	if (f)
		fclose(f);
	unlink(logf + strlen("--log-file="));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return ir;
}

void measure_ipr(const int *counts, int ncounts)
{
	static const char *const impls[2] = { "sluice", "baseline" };

	if (ncounts < 2)
		return;
	printf("instructions per record (cachegrind, relay alone, 100 B): "
	       "(I(N2) - I(N1)) / (N2 - N1)\n");
	for (int k = 0; k < 2; k++) {
		double i1 = ipr_run(impls[k], counts[0], 100);
		double i2 = ipr_run(impls[k], counts[1], 100);
		double per = (i1 > 0 && i2 > 0)
				     ? (i2 - i1) / (counts[1] - counts[0])
				     : -1;

		printf("  %-9s N=%d: %.0f, N=%d: %.0f -> %.0f per record\n",
		       impls[k], counts[0], i1, counts[1], i2, per);
		if (g_json) {
			json_sep();
			fprintf(g_json,
				"{\"kind\": \"ipr\", \"impl\": \"%s\", "
				"\"size\": 100, \"counts\": [%d, %d], "
				"\"irefs\": [%.0f, %.0f], "
				"\"per_record\": %.1f}",
				impls[k], counts[0], counts[1], i1, i2, per);
			fflush(g_json);
		}
	}
}

