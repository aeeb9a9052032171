/* engine/metrics.c - metrics for operators: the session's queries in
 * Prometheus's text exposition format (version 0.0.4), served over HTTP at
 * 127.0.0.1:PORT/metrics by libmicrohttpd when the session's owner asks
 * (sl_session_metrics_start; `sluice run --metrics-port`). docs/METRICS.md
 * lists the metrics.
 *
 * Nothing here runs on the record path. Each scrape reads what the
 * engine's threads already keep: per-partition counters the partition
 * threads publish in relaxed atomics (rows read, position), the rings'
 * occupancy and blocked time (core/chan.h), the query's run-long latency
 * histogram and output count, which the sink thread adds to under q->lock
 * once per commit, and the source's lag callback (Kafka: the cached high
 * watermark). The server's one thread serves requests one at a time: a
 * scrape costs a few microseconds per partition, and a metrics endpoint
 * has one or two clients; clients that hold connections open without
 * finishing a request lose them to newcomers (conn_accept).
 *
 * Lifetime: queries are freed only by sl_session_destroy(), which stops
 * the server first, so the query pointers copied under the session's lock
 * stay valid for the whole scrape. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine/metrics.h"

/* MHD's own limit: room for newcomers while the connections they
 * replace are being closed. */
#define MHD_LIMIT (2 * SL_METRICS_MAX_CONNS)

/* A connection the server holds: its socket and when it was accepted. */
struct metrics_conn {
	struct MHD_Connection *c;
	int fd;
	int64_t since_ns;
	bool cut; /* shut down by us, not yet closed by MHD */
};

struct sl_metrics {
	struct MHD_Daemon *d;
	sl_session *s;
	int port;
	/* Touched by MHD's callbacks only, all on its one thread; the lock
	 * is for the case MHD ever calls them from another. */
	pthread_mutex_t lock;
	struct metrics_conn conns[MHD_LIMIT];
	uint32_t nconns;
};

const int64_t sl_metrics_le_ns[SL_METRICS_NLE] = {
	5000,	   10000,      25000,	   50000,      100000,
	250000,	   500000,     1000000,	   2500000,    5000000,
	10000000,  25000000,   50000000,   100000000,  250000000,
	500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
const char *const sl_metrics_le_text[SL_METRICS_NLE] = {
	"0.000005", "0.00001", "0.000025", "0.00005", "0.0001",
	"0.00025",  "0.0005",  "0.001",	   "0.0025",  "0.005",
	"0.01",	    "0.025",   "0.05",	   "0.1",     "0.25",
	"0.5",	    "1",       "2.5",	   "5",	      "10",
};

void sl_metrics_histogram_cumulative(const sl_histogram *h,
				     uint64_t cum[SL_METRICS_NLE])
{
	unsigned b = 0;
	uint64_t seen = 0;

	for (unsigned i = 0; i < SL_METRICS_NLE; i++) {
		while (b < SL_HISTOGRAM_BUCKETS &&
		       sl_histogram_bucket_max(b) <= sl_metrics_le_ns[i])
			seen += h->bucket[b++];
		cum[i] = seen;
	}
}

/* ---- the exposition text --------------------------------------------- */

/* One partition as a scrape sees it. */
typedef struct part_snap {
	uint64_t rows_in;
	int64_t lag; /* -1: unknown or no lag callback */
	uint32_t occupancy, capacity;
	uint64_t blocked_ns;
} part_snap;

/* One query as a scrape sees it: read once, then printed family by family
 * (the format wants each metric's samples together). */
typedef struct query_snap {
	const char *label; /* queryName, else the id; lives with the query */
	bool skip;	   /* a later query of the session has this label */
	bool active, has_lag;
	bool started;	   /* the coordinator runs (status past INIT) */
	bool dynamic;	   /* partitions come and go (a consumer group) */
	uint32_t assigned; /* partitions with a position: opened, reading */
	char *exception; /* strdup'd, or NULL */
	uint64_t rows_out;
	uint64_t commits, commit_ns_sum, commit_ns_max;
	bool has_sink_stats;
	sl_sink_stats sink;
	sl_histogram lat;
	uint32_t nparts;
	part_snap *parts;
} query_snap;

/* A label value, escaped as the format asks: backslash, double quote and
 * newline. */
static void put_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void put_query(FILE *f, const query_snap *q)
{
	fputs("query=\"", f);
	put_value(f, q->label);
	fputc('"', f);
}

static void put_family(FILE *f, const char *name, const char *type,
		       const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* An exception as a label value: its first 256 bytes, cut at a UTF-8
 * character boundary (the format wants valid UTF-8). */
static char *short_exception(const char *e)
{
	size_t n = strlen(e);

	if (n > 256) {
		n = 256;
		while (n && ((unsigned char)e[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(e, n);
}

static void snap_query(sl_query *q, query_snap *out)
{
	const sl_source_ops *ops = q->src->ops;

	out->label = q->name ? q->name : q->id;
	/* seq_cst like every other reader of active: a flag, no data
	 * hangs on it here. */
	out->active = atomic_load(&q->active);
	out->has_lag = ops->lag != NULL;
	out->has_sink_stats = q->sink.ops && q->sink.ops->stats;
	out->started = atomic_load(&q->status) != SL_QS_INIT;
	out->dynamic = q->dynamic_parts;
	pthread_mutex_lock(&q->lock);
	out->exception = q->exception ? short_exception(q->exception) : NULL;
	out->rows_out = q->rows_out;
	out->commits = q->commits;
	out->commit_ns_sum = q->commit_ns_sum;
	out->commit_ns_max = q->commit_ns_max;
	out->sink = q->sink_stats;
	out->lat = q->lat_total;
	pthread_mutex_unlock(&q->lock);
	out->nparts = q->nparts;
	out->parts = calloc(q->nparts ? q->nparts : 1, sizeof(*out->parts));
	for (uint32_t i = 0; out->parts && i < q->nparts; i++) {
		sl_part *p = &q->parts[i];
		part_snap *ps = &out->parts[i];

		/* relaxed: counters the partition thread publishes for us;
		 * a value one poll old is as good, nothing else is read on
		 * the strength of them. */
		ps->rows_in =
			atomic_load_explicit(&p->rows_in, memory_order_relaxed);
		int64_t pos = atomic_load_explicit(&p->position,
						   memory_order_relaxed);
		ps->lag = ops->lag ? ops->lag(q->src, i, pos) : -1;
		out->assigned += pos >= 0;
		ps->occupancy = sl_chan_size(p->ch);
		ps->capacity = sl_chan_capacity(p->ch);
		ps->blocked_ns = sl_chan_blocked_ns(p->ch);
	}
	if (!out->parts)
		out->nparts = 0;
}

/* A per-query family of one value each; what 0-4 picks it: commits,
 * commit seconds (sum), longest commit, delivery errors, retries (the
 * last two for sinks that count them). */
static void print_query_values(FILE *f, const query_snap *qs, uint32_t nq,
			       const char *name, int what)
{
	for (uint32_t k = 0; k < nq; k++) {
		const query_snap *q = &qs[k];

		if (q->skip || (what >= 3 && !q->has_sink_stats))
			continue;
		fprintf(f, "%s{", name);
		put_query(f, q);
		fputs("} ", f);
		switch (what) {
		case 0: fprintf(f, "%llu\n", (unsigned long long)q->commits); break;
		case 1: fprintf(f, "%.9f\n", q->commit_ns_sum / 1e9); break;
		case 2: fprintf(f, "%.9f\n", q->commit_ns_max / 1e9); break;
		case 3:
			fprintf(f, "%llu\n",
				(unsigned long long)q->sink.delivery_errors);
			break;
		default:
			fprintf(f, "%llu\n", (unsigned long long)q->sink.retries);
		}
	}
}

/* The sink's commits (their count and time: a summary) and the counters
 * of its client. */
static void print_commits(FILE *f, const query_snap *qs, uint32_t nq)
{
	put_family(f, "sluice_epoch_commit_seconds", "summary",
		   "Time the sink's commit of each epoch or batch took (a "
		   "Kafka transaction's commit with exactly-once).");
	print_query_values(f, qs, nq, "sluice_epoch_commit_seconds_sum", 1);
	print_query_values(f, qs, nq, "sluice_epoch_commit_seconds_count", 0);
	put_family(f, "sluice_epoch_commit_seconds_max", "gauge",
		   "The longest commit of an epoch or batch so far.");
	print_query_values(f, qs, nq, "sluice_epoch_commit_seconds_max", 2);
	put_family(f, "sluice_sink_delivery_errors_total", "counter",
		   "Records the sink's destination did not take (Kafka: failed "
		   "delivery reports).");
	print_query_values(f, qs, nq, "sluice_sink_delivery_errors_total", 3);
	put_family(f, "sluice_sink_retries_total", "counter",
		   "Requests the sink's client sent again (Kafka: the "
		   "producer's retries, from librdkafka's statistics).");
	print_query_values(f, qs, nq, "sluice_sink_retries_total", 4);
}

static void print_parts(FILE *f, const query_snap *qs, uint32_t nq,
			const char *name, const char *type, const char *help,
			int what)
{
	put_family(f, name, type, help);
	for (uint32_t k = 0; k < nq; k++) {
		const query_snap *q = &qs[k];

		if (q->skip)
			continue;
		for (uint32_t i = 0; i < q->nparts; i++) {
			const part_snap *p = &q->parts[i];

			if (what == 1 && (!q->has_lag || p->lag < 0))
				continue;
			fprintf(f, "%s{", name);
			put_query(f, q);
			fprintf(f, ",partition=\"%u\"} ", i);
			switch (what) {
			case 0:
				fprintf(f, "%llu\n",
					(unsigned long long)p->rows_in);
				break;
			case 1: fprintf(f, "%lld\n", (long long)p->lag); break;
			case 2: fprintf(f, "%u\n", p->occupancy); break;
			case 3: fprintf(f, "%u\n", p->capacity); break;
			default:
				fprintf(f, "%.9f\n",
					(double)p->blocked_ns / 1e9);
				break;
			}
		}
	}
}

static void print_text(FILE *f, const query_snap *qs, uint32_t nq)
{
	print_parts(f, qs, nq, "sluice_query_records_in_total", "counter",
		    "Records read from the source, per source partition.", 0);

	put_family(f, "sluice_query_records_out_total", "counter",
		   "Records the sink committed (a stateful query: the rows its "
		   "aggregation emitted).");
	for (uint32_t k = 0; k < nq; k++) {
		if (qs[k].skip)
			continue;
		fputs("sluice_query_records_out_total{", f);
		put_query(f, &qs[k]);
		fprintf(f, "} %llu\n", (unsigned long long)qs[k].rows_out);
	}

	print_parts(f, qs, nq, "sluice_kafka_consumer_lag", "gauge",
		    "Records in the Kafka partition after the query's "
		    "position (high watermark - position).",
		    1);

	put_family(f, "sluice_latency_seconds", "histogram",
		   "End-to-end latency of the records the sink received, from "
		   "the source's read to the sink, over the query's run.");
	for (uint32_t k = 0; k < nq; k++) {
		const query_snap *q = &qs[k];
		uint64_t cum[SL_METRICS_NLE];

		if (q->skip)
			continue;
		sl_metrics_histogram_cumulative(&q->lat, cum);
		for (unsigned i = 0; i < SL_METRICS_NLE; i++) {
			fputs("sluice_latency_seconds_bucket{", f);
			put_query(f, q);
			fprintf(f, ",le=\"%s\"} %llu\n", sl_metrics_le_text[i],
				(unsigned long long)cum[i]);
		}
		fputs("sluice_latency_seconds_bucket{", f);
		put_query(f, q);
		fprintf(f, ",le=\"+Inf\"} %llu\n",
			(unsigned long long)q->lat.count);
		fputs("sluice_latency_seconds_sum{", f);
		put_query(f, q);
		fprintf(f, "} %.9f\n", (double)q->lat.sum_ns / 1e9);
		fputs("sluice_latency_seconds_count{", f);
		put_query(f, q);
		fprintf(f, "} %llu\n", (unsigned long long)q->lat.count);
	}

	print_commits(f, qs, nq);

	print_parts(f, qs, nq, "sluice_ring_occupancy", "gauge",
		    "Record vectors and markers waiting in the partition's "
		    "ring to the sink thread.",
		    2);
	print_parts(f, qs, nq, "sluice_ring_capacity", "gauge",
		    "Entries the partition's ring holds when full.", 3);
	print_parts(f, qs, nq, "sluice_backpressure_seconds_total", "counter",
		    "Time the partition thread spent blocked on a full ring.",
		    4);

	put_family(f, "sluice_query_errors_total", "counter",
		   "1 if the query stopped with an exception, else 0.");
	for (uint32_t k = 0; k < nq; k++) {
		if (qs[k].skip)
			continue;
		fputs("sluice_query_errors_total{", f);
		put_query(f, &qs[k]);
		fprintf(f, "} %d\n", qs[k].exception ? 1 : 0);
	}
	put_family(f, "sluice_query_exception_info", "gauge",
		   "The exception a failed query stopped with (its first 256 "
		   "bytes), as a label.");
	for (uint32_t k = 0; k < nq; k++) {
		if (qs[k].skip || !qs[k].exception)
			continue;
		fputs("sluice_query_exception_info{", f);
		put_query(f, &qs[k]);
		fputs(",exception=\"", f);
		put_value(f, qs[k].exception);
		fputs("\"} 1\n", f);
	}
	put_family(f, "sluice_query_active", "gauge",
		   "1 while the query runs, 0 once it ended.");
	for (uint32_t k = 0; k < nq; k++) {
		if (qs[k].skip)
			continue;
		fputs("sluice_query_active{", f);
		put_query(f, &qs[k]);
		fprintf(f, "} %d\n", qs[k].active ? 1 : 0);
	}
}

static void snap_free(query_snap *snap, uint32_t nq)
{
	for (uint32_t k = 0; snap && k < nq; k++) {
		free(snap[k].exception);
		free(snap[k].parts);
	}
	free(snap);
}

/* Every query of the session, read once (*snap, NULL when there is none);
 * returns their number, or -1 out of memory. */
static int64_t snap_session(sl_session *s, query_snap **out)
{
	sl_query **qs = NULL;
	query_snap *snap = NULL;
	uint32_t nq;

	/* Only the pointers under the session's lock: the coordinators
	 * take it to mark their queries ended, and must not wait for a
	 * scrape. */
	pthread_mutex_lock(&s->lock);
	nq = s->nqueries;
	if (nq && (qs = malloc(nq * sizeof(*qs))))
		memcpy(qs, s->queries, nq * sizeof(*qs));
	pthread_mutex_unlock(&s->lock);
	if (nq && (!qs || !(snap = calloc(nq, sizeof(*snap))))) {
		free(qs);
		return -1;
	}
	for (uint32_t k = 0; k < nq; k++)
		snap_query(qs[k], &snap[k]);
	/* A name is unique among active queries only: a query that ended
	 * may share it with a newer one. The newest keeps the series, as
	 * Prometheus refuses two samples with the same labels. */
	for (uint32_t k = 0; k < nq; k++)
		for (uint32_t j = k + 1; j < nq && !snap[k].skip; j++)
			if (!strcmp(snap[k].label, snap[j].label))
				snap[k].skip = true;
	free(qs);
	*out = snap;
	return nq;
}

static char *session_metrics_text(sl_session *s)
{
	query_snap *snap = NULL;
	int64_t nq = snap_session(s, &snap);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (nq < 0)
		return NULL;
	f = open_memstream(&text, &len);
	if (f) {
		print_text(f, snap, (uint32_t)nq);
		if (fclose(f)) {
			free(text);
			text = NULL;
		}
	}
	snap_free(snap, (uint32_t)nq);
	return text;
}

static void session_metrics_text_run(sl_api_call *c)
{
	c->ret = session_metrics_text((sl_session *)c->a[0]);
}

char *sl_session_metrics_text(sl_session *s)
{
	sl_api_call c = { .a = { s } };
	sl_api_guard(s, "metrics_text", session_metrics_text_run, &c);
	return c.ret;
}

/* /health (live): 200 unless a query of the session stopped with an
 * exception (503, naming it): a process whose query failed is worth
 * restarting. /ready: 200 when at least one query runs and every running
 * query reads: started, and (a consumer group's member) holding at least
 * one partition; else 503 with the reason. The body is one line of text.
 * Returns the status, or 0 out of memory. */
static unsigned probe_text(sl_session *s, bool ready, char **body)
{
	query_snap *snap = NULL;
	int64_t nq = snap_session(s, &snap);
	unsigned status = 200, running = 0, parts = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (nq < 0 || !(f = open_memstream(&text, &len))) {
		snap_free(snap, nq < 0 ? 0 : (uint32_t)nq);
		return 0;
	}
	for (int64_t k = 0; k < nq && status == 200; k++) {
		const query_snap *q = &snap[k];

		if (q->skip)
			continue;
		if (q->exception) {
			fputs("query '", f);
			put_value(f, q->label);
			fputs("' failed: ", f);
			put_value(f, q->exception);
			status = 503;
		} else if (ready && q->active && !q->started) {
			fputs("query '", f);
			put_value(f, q->label);
			fputs("' is starting", f);
			status = 503;
		} else if (ready && q->active && q->dynamic && !q->assigned) {
			fputs("query '", f);
			put_value(f, q->label);
			fputs("' has no partition assigned yet", f);
			status = 503;
		}
		if (q->active) {
			running++;
			parts += q->assigned;
		}
	}
	if (status == 200 && ready && !running) {
		fputs("no query is running", f);
		status = 503;
	} else if (status == 200) {
		fprintf(f, "ok: %u queries running, %u partitions reading",
			running, parts);
	}
	fputc('\n', f);
	snap_free(snap, (uint32_t)nq);
	if (fclose(f)) {
		free(text);
		return 0;
	}
	*body = text;
	return status;
}

/* ---- the HTTP server ------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
			       char *body, bool metrics)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				metrics ? "text/plain; version=0.0.4; "
					  "charset=utf-8"
					: "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* GET (or HEAD) /metrics; 404 for any other path, 405 for any other
 * method. Answered on the first call, once the headers are in: a scrape
 * has no body to wait for. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct sl_metrics *m = cls;
	char *body;

	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			       strdup("method not allowed: GET /metrics\n"),
			       false);
	if (!strcmp(url, "/health") || !strcmp(url, "/ready")) {
		unsigned st = probe_text(m->s, url[1] == 'r', &body);

		if (!st)
			return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       strdup("out of memory\n"), false);
		return respond(c, st, body, false);
	}
	if (strcmp(url, "/metrics"))
		return respond(c, MHD_HTTP_NOT_FOUND,
			       strdup("not found: the metrics are at "
				      "/metrics (and /health, /ready)\n"),
			       false);
	body = sl_session_metrics_text(m->s);
	if (!body)
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       strdup("out of memory\n"), false);
	return respond(c, MHD_HTTP_OK, body, true);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* MHD tells of each connection it starts and closes: the table of what
 * is open, with the time each was accepted. */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
			enum MHD_ConnectionNotificationCode code)
{
	struct sl_metrics *m = cls;
	const union MHD_ConnectionInfo *ci;

	pthread_mutex_lock(&m->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED && m->nconns < MHD_LIMIT) {
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		m->conns[m->nconns++] = (struct metrics_conn){
			.c = c,
			.fd = ci ? ci->connect_fd : -1,
			.since_ns = mono_ns(),
		};
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		for (uint32_t i = 0; i < m->nconns; i++)
			if (m->conns[i].c == c) {
				m->conns[i] = m->conns[--m->nconns];
				break;
			}
	}
	pthread_mutex_unlock(&m->lock);
}

/* Ends a connection: MHD sees its socket shut and closes it. */
static void conn_cut(struct metrics_conn *mc)
{
	if (mc->fd >= 0 && !mc->cut)
		shutdown(mc->fd, SHUT_RDWR);
	mc->cut = true;
}

/* Asked by MHD before it takes each new connection. A connection that
 * has held its place for longer than a request may take (a client
 * trickling its request a byte at a time, or an idle keep-alive) is cut;
 * at the limit, a newcomer takes the place of the oldest one that is more
 * than a second old, so clients that hold connections open cannot keep a
 * scrape from being answered. */
static enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr,
				   socklen_t addrlen)
{
	struct sl_metrics *m = cls;
	int64_t now = mono_ns();
	struct metrics_conn *oldest = NULL;
	uint32_t live = 0;
	enum MHD_Result ok = MHD_YES;

	pthread_mutex_lock(&m->lock);
	for (uint32_t i = 0; i < m->nconns; i++) {
		struct metrics_conn *mc = &m->conns[i];

		if (!mc->cut &&
		    now - mc->since_ns > SL_METRICS_REQUEST_S * 1000000000LL)
			conn_cut(mc);
		if (mc->cut)
			continue;
		live++;
		if (!oldest || mc->since_ns < oldest->since_ns)
			oldest = mc;
	}
	if (live >= SL_METRICS_MAX_CONNS) {
		if (oldest && now - oldest->since_ns > 1000000000LL)
			conn_cut(oldest);
		else
			ok = MHD_NO;
	}
	if (m->nconns >= MHD_LIMIT)
		ok = MHD_NO;
	pthread_mutex_unlock(&m->lock);
	return ok;
}

int sl_session_metrics_start(sl_session *s, int port)
{
	struct sockaddr_in sa;
	struct sl_metrics *m;
	const union MHD_DaemonInfo *info;

	if (s->metrics) {
		sl_fail_code(s, SL_ESTATE,
			     "metrics: already served on 127.0.0.1:%d",
			     s->metrics->port);
		return SL_ESTATE;
	}
	if (port < 0 || port > 65535) {
		sl_fail_code(s, SL_EINVAL,
			     "metrics: port %d is not a TCP port (1-65535, "
			     "or 0 for any free one)",
			     port);
		return SL_EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		sl_fail_code(s, -ENOMEM, "metrics: out of memory");
		return -ENOMEM;
	}
	m->s = s;
	pthread_mutex_init(&m->lock, NULL);
	/* Loopback only: the endpoint has no authentication, and what it
	 * shows (query names, exceptions) is for the host's operators. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	/* One internal thread polls and answers; SL_METRICS_MAX_CONNS
	 * connections (conn_accept), each with SL_METRICS_REQUEST_S seconds
	 * for its request once another client needs its place, and dropped
	 * by MHD after that long without a byte. MHD prints nothing (no
	 * MHD_USE_ERROR_LOG): the library never prints. */
	m->d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD, (uint16_t)port, conn_accept, m,
		handle, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MHD_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)SL_METRICS_REQUEST_S, MHD_OPTION_NOTIFY_CONNECTION,
		conn_notify, m, MHD_OPTION_END);
	if (!m->d) {
		int e = errno;

		pthread_mutex_destroy(&m->lock);
		free(m);
		sl_fail_code(s, SL_EIO,
			     "metrics: cannot serve on 127.0.0.1:%d: %s", port,
			     e ? strerror(e) : "the HTTP server did not start");
		return SL_EIO;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info && info->port ? info->port : port;
	if (!m->port) {
		MHD_stop_daemon(m->d);
		pthread_mutex_destroy(&m->lock);
		free(m);
		sl_fail_code(s, SL_EIO, "metrics: the port bound is unknown");
		return SL_EIO;
	}
	s->metrics = m;
	return m->port;
}

void sl_session_metrics_stop(sl_session *s)
{
	if (!s || !s->metrics)
		return;
	/* Joins the server's thread and closes its sockets: no scrape runs
	 * once this returns, so the queries may be freed. */
	MHD_stop_daemon(s->metrics->d);
	pthread_mutex_destroy(&s->metrics->lock);
	free(s->metrics);
	s->metrics = NULL;
}
