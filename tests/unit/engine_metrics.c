/* tests/unit/engine_metrics.c - the metrics endpoint (engine/metrics.c,
 * docs/METRICS.md): scraped over a plain TCP socket while queries run, as
 * Prometheus would; the histogram's buckets; errors; the Kafka source's
 * lag against the embedded cluster; start and stop. Run under TSan too
 * (make SAN=tsan build-tsan/test/engine_metrics): the counters are read
 * while the threads that write them run. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/metrics.h"
#include "io/kafka_embedded.h"
#include "sluice.h"
#include "tests/support/kafka_plugin.h"
#include "tests/support/sanitizer.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

/* ---- a scrape over a plain socket ---------------------------------------- */

typedef struct reply {
	int status;
	char *head; /* status line and headers */
	char *body;
} reply;

static int connect_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static reply http(int port, const char *method, const char *path)
{
	char req[256];
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	reply r = { 0 };
	int fd = connect_port(port);

	cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\n\r\n", method, path);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t k = read(fd, buf + n, cap - n - 1);
		cr_assert_geq(k, 0, "read: %s", strerror(errno));
		if (!k)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = 0;
	char *sep = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(sep, "no end of headers in: %s", buf);
	*sep = 0;
	r.head = buf;
	r.body = sep + 4;
	cr_assert_eq(sscanf(buf, "HTTP/1.%*d %d", &r.status), 1, "%s", buf);
	return r;
}

/* The value of the sample `series` (name and labels as printed), or -1
 * when the body has none. */
static double sample(const char *body, const char *series)
{
	size_t l = strlen(series);

	for (const char *p = body; p && *p;) {
		if (!strncmp(p, series, l) && p[l] == ' ')
			return strtod(p + l + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static double part_sample(const char *body, const char *name, const char *query,
			  uint32_t part)
{
	char series[256];

	snprintf(series, sizeof(series), "%s{query=\"%s\",partition=\"%u\"}",
		 name, query, part);
	return sample(body, series);
}

static double query_sample(const char *body, const char *name,
			   const char *query)
{
	char series[256];

	snprintf(series, sizeof(series), "%s{query=\"%s\"}", name, query);
	return sample(body, series);
}

static double records_in(const char *body, const char *query, uint32_t np)
{
	double sum = 0;

	for (uint32_t i = 0; i < np; i++) {
		double v = part_sample(body, "sluice_query_records_in_total",
				       query, i);
		cr_assert_geq(v, 0, "no records_in for partition %u", i);
		sum += v;
	}
	return sum;
}

/* The histogram of query: cumulative buckets never decrease, +Inf is
 * _count, so _count is the sum of the bucket increments. Returns _count. */
static double check_histogram(const char *body, const char *query)
{
	char series[256];
	double prev = 0, incr = 0;

	for (unsigned i = 0; i < SL_METRICS_NLE; i++) {
		snprintf(
			series, sizeof(series),
			"sluice_latency_seconds_bucket{query=\"%s\",le=\"%s\"}",
			query, sl_metrics_le_text[i]);
		double v = sample(body, series);
		cr_assert_geq(v, prev, "bucket le=%s: %g after %g",
			      sl_metrics_le_text[i], v, prev);
		incr += v - prev;
		prev = v;
	}
	snprintf(series, sizeof(series),
		 "sluice_latency_seconds_bucket{query=\"%s\",le=\"+Inf\"}",
		 query);
	double inf = sample(body, series);
	double count =
		query_sample(body, "sluice_latency_seconds_count", query);
	double sum = query_sample(body, "sluice_latency_seconds_sum", query);
	cr_assert_geq(inf, prev);
	incr += inf - prev;
	cr_assert_eq(inf, count, "+Inf %g, _count %g", inf, count);
	cr_assert_eq(incr, count);
	cr_assert_geq(sum, 0);
	return count;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The listening socket of port, from /proc/net/tcp (state 0A): its local
 * address as the kernel prints it ("0100007F" is 127.0.0.1), or "" when
 * none listens there. */
static void listener(int port, char addr[16])
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];

	addr[0] = 0;
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char a[16];
		unsigned p, st;

		if (sscanf(line, " %*d: %15[0-9A-F]:%X %*[0-9A-F]:%*X %X", a,
			   &p, &st) == 3 &&
		    (int)p == port && st == 0x0A)
			snprintf(addr, 16, "%s", a);
	}
	fclose(f);
}

/* ---- the endpoint over HTTP ---------------------------------------------- */

Test(metrics, endpoint_serves_prometheus_text, .timeout = 60)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(
		s, "rate", OPTS("rowsPerSecond", "2000", "numPartitions", "2"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		in, "noop",
		OPTS("queryName", "relay", "trigger", "continuous 100 ms"),
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));

	int port = sl_session_metrics_start(s, 0);
	cr_assert_gt(port, 0, "%s", sl_session_errmsg(s));
	cr_assert_eq(sl_session_metrics_start(s, 0), SL_ESTATE);

	/* Loopback only: the one listener on the port is 127.0.0.1's. */
	char addr[16];
	listener(port, addr);
	cr_assert_str_eq(addr, "0100007F");

	reply r1 = http(port, "GET", "/metrics");
	cr_assert_eq(r1.status, 200);
	cr_assert_not_null(strcasestr(r1.head, "\r\nContent-Type: text/plain; "
					       "version=0.0.4"),
			   "%s", r1.head);
	cr_assert_not_null(strstr(r1.body, "# TYPE sluice_latency_seconds "
					   "histogram\n"));
	double in1 = records_in(r1.body, "relay", 2);

	/* Until the first epochs commit, and the rows grow meanwhile. */
	double count = 0, in2 = 0;
	reply r2 = { 0 };
	for (int i = 0; i < 100 && (count <= 0 || in2 <= in1); i++) {
		sleep_ms(50);
		free(r2.head);
		r2 = http(port, "GET", "/metrics");
		cr_assert_eq(r2.status, 200);
		in2 = records_in(r2.body, "relay", 2);
		count = check_histogram(r2.body, "relay");
	}
	cr_assert_gt(in2, in1, "records_in did not grow: %g then %g", in1, in2);
	cr_assert_gt(count, 0, "no latency samples: %s", r2.body);
	cr_assert_gt(query_sample(r2.body, "sluice_query_records_out_total",
				  "relay"),
		     0);
	for (uint32_t i = 0; i < 2; i++) {
		double occ = part_sample(r2.body, "sluice_ring_occupancy",
					 "relay", i);
		double cap = part_sample(r2.body, "sluice_ring_capacity",
					 "relay", i);
		cr_assert_geq(occ, 0);
		cr_assert_gt(cap, 0);
		cr_assert_leq(occ, cap);
		cr_assert_geq(part_sample(r2.body,
					  "sluice_backpressure_seconds_total",
					  "relay", i),
			      0);
		/* the rate source has no lag */
		cr_assert_eq(part_sample(r2.body, "sluice_kafka_consumer_lag",
					 "relay", i),
			     -1);
	}
	cr_assert_eq(query_sample(r2.body, "sluice_query_active", "relay"), 1);
	cr_assert_eq(
		query_sample(r2.body, "sluice_query_errors_total", "relay"), 0);

	reply r3 = http(port, "GET", "/other");
	cr_assert_eq(r3.status, 404);
	reply r4 = http(port, "POST", "/metrics");
	cr_assert_eq(r4.status, 405);
	/* A query string is not part of the path. */
	reply r5 = http(port, "GET", "/metrics?x=1");
	cr_assert_eq(r5.status, 200);

	/* Stopped: the port is closed when stop returns. */
	sl_session_metrics_stop(s);
	cr_assert_eq(connect_port(port), -ECONNREFUSED);
	listener(port, addr);
	cr_assert_str_eq(addr, "");
	sl_session_metrics_stop(s); /* no-op */

	/* The query ran on; after it stops it reads as ended. */
	sl_query_stop(q);
	char *t = sl_session_metrics_text(s);
	cr_assert_not_null(t);
	cr_assert_eq(query_sample(t, "sluice_query_active", "relay"), 0);
	cr_assert_geq(records_in(t, "relay", 2), in2);
	free(t);

	/* A fixed port works too, and it may start again. */
	int again = sl_session_metrics_start(s, port);
	cr_assert_eq(again, port, "%s", sl_session_errmsg(s));
	reply r6 = http(port, "GET", "/metrics");
	cr_assert_eq(r6.status, 200);
	free(r1.head);
	free(r2.head);
	free(r3.head);
	free(r4.head);
	free(r5.head);
	free(r6.head);
	/* destroy stops the server */
	sl_session_destroy(s);
	cr_assert_eq(connect_port(port), -ECONNREFUSED);
}

Test(metrics, port_taken_is_an_error)
{
	sl_session *a = sl_session_new(), *b = sl_session_new();
	int port = sl_session_metrics_start(a, 0);

	cr_assert_gt(port, 0);
	cr_assert_eq(sl_session_metrics_start(b, port), SL_EIO);
	cr_assert_not_null(strstr(sl_session_errmsg(b), "127.0.0.1"), "%s",
			   sl_session_errmsg(b));
	cr_assert_eq(sl_session_metrics_start(b, 70000), SL_EINVAL);
	sl_session_destroy(a);
	sl_session_destroy(b);
}

/* ---- labels, errors ---------------------------------------------------- */

static int fail_batch(void *ud, const sl_rows *rows, int64_t id)
{
	(void)ud;
	(void)rows;
	(void)id;
	return -1;
}

Test(metrics, failed_query_and_escaped_labels, .timeout = 30)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "100"));
	sl_sink_callbacks cb = { .size = sizeof(cb), .batch = fail_batch };
	sl_query *q = sl_frame_start(in, "foreachBatch",
				     OPTS("queryName", "we\"ird\\name\nx",
					  "trigger", "processingTime 50 ms"),
				     &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	/* A query without a name goes by its id. */
	sl_frame *in2 = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "10"));
	sl_query *q2 = sl_frame_start(in2, "noop", NULL, NULL);
	cr_assert_not_null(q2, "%s", sl_session_errmsg(s));

	cr_assert_eq(sl_query_await(q, 20000), SL_ESTOPPED);
	char *t = sl_session_metrics_text(s);
	cr_assert_not_null(t);
	const char *label = "we\\\"ird\\\\name\\nx";
	cr_assert_eq(query_sample(t, "sluice_query_errors_total", label), 1,
		     "%s", t);
	cr_assert_eq(query_sample(t, "sluice_query_active", label), 0);
	char series[256];
	snprintf(series, sizeof(series),
		 "sluice_query_exception_info{query=\"%s\",exception=\"",
		 label);
	cr_assert_not_null(strstr(t, series), "%s", t);
	cr_assert_eq(
		query_sample(t, "sluice_query_errors_total", sl_query_id(q2)),
		0);
	cr_assert_eq(query_sample(t, "sluice_query_active", sl_query_id(q2)),
		     1);
	free(t);
	sl_session_destroy(s);
}

/* A name freed by an ended query may be reused: one series per label, the
 * newest query's (Prometheus refuses duplicate samples). */
Test(metrics, reused_name_is_one_series, .timeout = 30)
{
	sl_session *s = sl_session_new();
	sl_frame *a = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "10"));
	sl_query *q1 = sl_frame_start(a, "noop", OPTS("queryName", "n"), NULL);
	cr_assert_not_null(q1, "%s", sl_session_errmsg(s));
	sl_query_stop(q1);
	sl_frame *b = sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "10"));
	sl_query *q2 = sl_frame_start(b, "noop", OPTS("queryName", "n"), NULL);
	cr_assert_not_null(q2, "%s", sl_session_errmsg(s));

	char *t = sl_session_metrics_text(s);
	const char *line = "sluice_query_active{query=\"n\"} ";
	char *first = strstr(t, line);
	cr_assert_not_null(first);
	cr_assert_null(strstr(first + 1, line), "%s", t);
	cr_assert_eq(query_sample(t, "sluice_query_active", "n"), 1);
	free(t);
	sl_session_destroy(s);
}

/* ---- the histogram's buckets ------------------------------------------- */

Test(metrics, histogram_buckets)
{
	sl_histogram h = { 0 };
	uint64_t cum[SL_METRICS_NLE];

	sl_histogram_add(&h, 1000, 1);	   /* 1 us */
	sl_histogram_add(&h, 4000, 2);	   /* 4 us: bucket [3968, 4032) */
	sl_histogram_add(&h, 40000, 1);	   /* 40 us */
	sl_histogram_add(&h, 3000000000LL, 1);  /* 3 s */
	sl_histogram_add(&h, 20000000000LL, 1); /* 20 s: only +Inf */
	sl_metrics_histogram_cumulative(&h, cum);
	cr_assert_eq(cum[0], 3);  /* le 5 us */
	cr_assert_eq(cum[1], 3);  /* le 10 us */
	cr_assert_eq(cum[3], 4);  /* le 50 us */
	cr_assert_eq(cum[17], 4); /* le 2.5 s */
	cr_assert_eq(cum[18], 5); /* le 5 s */
	cr_assert_eq(cum[SL_METRICS_NLE - 1], 5);
	cr_assert_eq(h.count, 6);
	for (unsigned i = 1; i < SL_METRICS_NLE; i++)
		cr_assert_geq(cum[i], cum[i - 1]);
	/* Never too high: a sample just above a bound is not counted at
	 * it, whichever internal bucket it falls in. */
	for (int64_t ns = 4900; ns < 5300; ns += 7) {
		sl_histogram one = { 0 };
		sl_histogram_add(&one, ns, 1);
		sl_metrics_histogram_cumulative(&one, cum);
		if (ns > 5000)
			cr_assert_eq(cum[0], 0, "%lld ns", (long long)ns);
		cr_assert_eq(cum[1], 1, "%lld ns", (long long)ns);
	}
}

/* ---- scrapes racing the engine (the TSan run's point) ---------------- */

static void *scraper(void *arg)
{
	sl_session *s = arg;

	for (int i = 0; i < 200; i++) {
		char *t = sl_session_metrics_text(s);
		cr_assert_not_null(t);
		free(t);
		sleep_ms(2);
	}
	return NULL;
}

Test(metrics, scrapes_while_queries_run, .timeout = 60)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(
		s, "rate",
		OPTS("rowsPerSecond", "200000", "numPartitions", "4"));
	sl_query *q = sl_frame_start(
		in, "noop",
		OPTS("queryName", "busy", "trigger", "continuous 20 ms"), NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	sl_frame *in2 =
		sl_session_read_stream(s, "rate", OPTS("rowsPerSecond", "1000"));
	sl_query *q2 = sl_frame_start(
		in2, "noop",
		OPTS("queryName", "mb", "trigger", "processingTime 10 ms"),
		NULL);
	cr_assert_not_null(q2, "%s", sl_session_errmsg(s));
	int port = sl_session_metrics_start(s, 0);
	cr_assert_gt(port, 0);

	pthread_t th;
	pthread_create(&th, NULL, scraper, s);
	for (int i = 0; i < 50; i++) {
		reply r = http(port, "GET", "/metrics");
		cr_assert_eq(r.status, 200);
		check_histogram(r.body, "busy");
		check_histogram(r.body, "mb");
		free(r.head);
		if (i == 25)
			sl_query_stop(q2); /* a query ends mid-scrapes */
	}
	pthread_join(th, NULL);
	sl_session_destroy(s);
}

/* ---- Kafka: the consumer's lag ----------------------------------------- */

/* n records "k<i>" / "v<i>" to partition 0 of the embedded cluster's
 * topic (the lag counts records; their contents do not matter). */
static void produce(const char *topic, int n)
{
	sl_err err = { 0 };
	const char *bs = sl_kafka_embedded_bootstrap(&err);
	cr_assert_not_null(bs, "%s", err.msg);
	sl_kplugin_produce(bs, topic, 0, 0, n);
}

static void cluster_down(void)
{
	sl_kafka_embedded_shutdown();
}

/* Not under TSan: librdkafka starts its threads with C11 thrd_create,
 * which GCC 12's TSan does not intercept (see the Makefile's kafka-test). */
Test(metrics, kafka_consumer_lag, .timeout = 60, .fini = cluster_down,
     .disabled = SL_TEST_TSAN)
{
	cr_assert_eq(sl_kafka_embedded_topic_create("mlag", 1, NULL), 0);
	produce("mlag", 100);

	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "kafka",
				      OPTS("kafka.bootstrap.servers",
					   "embedded", "subscribe", "mlag",
					   "startingOffsets", "earliest"));
	cr_assert_not_null(in, "%s", sl_session_errmsg(s));
	/* The first batch at once, the next in an hour: the query reads
	 * the first 100 records and then stays where it is. */
	sl_query *q = sl_frame_start(
		in, "noop",
		OPTS("queryName", "k", "trigger", "processingTime 1 hour"),
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	int port = sl_session_metrics_start(s, 0);
	cr_assert_gt(port, 0);

	double in_rows = -1, lag = -1;
	for (int i = 0; i < 200 && in_rows < 100; i++) {
		reply r = http(port, "GET", "/metrics");
		in_rows = records_in(r.body, "k", 1);
		lag = part_sample(r.body, "sluice_kafka_consumer_lag", "k", 0);
		free(r.head);
		sleep_ms(50);
	}
	cr_assert_eq(in_rows, 100);
	/* 50 more while the query waits for its next trigger: the
	 * consumer's fetches see the new high watermark. */
	produce("mlag", 50);
	for (int i = 0; i < 200 && lag != 50; i++) {
		reply r = http(port, "GET", "/metrics");
		lag = part_sample(r.body, "sluice_kafka_consumer_lag", "k", 0);
		cr_assert_eq(records_in(r.body, "k", 1), 100);
		free(r.head);
		sleep_ms(50);
	}
	cr_assert_eq(lag, 50);
	sl_session_destroy(s);
}
