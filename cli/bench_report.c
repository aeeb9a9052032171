/* cli/bench_report.c - what a `sluice bench` run measured, printed and
 * written: a line per second (received rate, end-to-end p50/p99/p99.9/max,
 * publish p99, publish delay p99, lag), the summary (records, throughput,
 * and every figure at p50/p75/p90/p95/p99/p99.9/p99.99/max), the summary as
 * JSON, the per-second figures as CSV, and the end-to-end latency of every
 * second as an HdrHistogram interval log, which HdrHistogram's own tools
 * and plotters read.
 *
 * The three latencies, each in ms (docs/BENCH-TOOL.md, "Reading the
 * figures"):
 * - end to end: from a record's scheduled send time to when the checker
 *   read it back;
 * - publish: from the send to the producer's delivery report (the broker's
 *   acknowledgement);
 * - publish delay: from the scheduled time to the send: how late the
 *   producer was against its schedule. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli/bench_internal.h"
#include "core/buf.h"

static double ns_to_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static double pct_ms(const sl_histogram *h, double p)
{
	return ns_to_ms(sl_histogram_percentile(h, p));
}

/* The percentiles of every summary. */
static const double pcts[] = { 50, 75, 90, 95, 99, 99.9, 99.99 };
static const char *const pct_names[] = { "p50", "p75", "p90", "p95",
					 "p99", "p99.9", "p99.99" };
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))

/* ---- files ---------------------------------------------------------------- */

int sl_bench_report_open(struct bench *b, struct tally *t)
{
	const sl_bench_opts *o = b->opts;

	if (o->csv_file) {
		t->csv = fopen(o->csv_file, "w");
		if (!t->csv) {
			sl_bench_err("--csv '%s': %s", o->csv_file,
				     strerror(errno));
			return -1;
		}
		fprintf(t->csv, "time_s,received_per_s,e2e_p50_ms,e2e_p99_ms,"
				"e2e_p99.9_ms,e2e_max_ms,publish_p99_ms,"
				"publish_delay_p99_ms,lag_records,warmup\n");
	}
	if (o->hdr_log) {
		t->hdr = fopen(o->hdr_log, "w");
		if (!t->hdr) {
			sl_bench_err("--hdr-log '%s': %s", o->hdr_log,
				     strerror(errno));
			return -1;
		}
		sl_bench_hdr_header(t->hdr, (double)sl_wall_us() / 1e6);
	}
	return 0;
}

void sl_bench_report_close(struct tally *t)
{
	if (t->csv)
		fclose(t->csv);
	if (t->hdr)
		fclose(t->hdr);
	t->csv = t->hdr = NULL;
}

/* ---- per second ------------------------------------------------------------ */

void sl_bench_print_header(struct bench *b)
{
	fprintf(b->out, "%7s %9s %9s %9s %9s %9s %9s %9s %8s\n", "time s",
		"recv/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "pub p99",
		"delay p99", "lag");
}

void sl_bench_end_second(struct bench *b, struct tally *t, double at,
			 double len)
{
	struct second s = { .t = at, .n = t->sec.count };
	bool warm = at <= b->opts->warmup_s + 1e-9;
	uint64_t sent = atomic_load(&b->sent);

	pthread_mutex_lock(&b->hlock);
	s.pub_p99 = sl_histogram_percentile(&b->pub_sec, 99);
	s.delay_p99 = sl_histogram_percentile(&b->delay_sec, 99);
	sl_histogram_reset(&b->pub_sec);
	sl_histogram_reset(&b->delay_sec);
	pthread_mutex_unlock(&b->hlock);
	s.lag = sent > t->received ? sent - t->received : 0;
	if (t->sec.count) {
		s.p50 = sl_histogram_percentile(&t->sec, 50);
		s.p99 = sl_histogram_percentile(&t->sec, 99);
		s.p999 = sl_histogram_percentile(&t->sec, 99.9);
		s.max = t->sec.max;
		fprintf(b->out,
			"%7.1f %9.0f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %8" PRIu64
			"%s\n",
			at, (double)s.n / len, ns_to_ms(s.p50), ns_to_ms(s.p99),
			ns_to_ms(s.p999), ns_to_ms(s.max), ns_to_ms(s.pub_p99),
			ns_to_ms(s.delay_p99), s.lag, warm ? "  (warmup)" : "");
	} else {
		fprintf(b->out, "%7.1f %9d %9s %9s %9s %9s %9.3f %9.3f %8" PRIu64
				"%s\n",
			at, 0, "-", "-", "-", "-", ns_to_ms(s.pub_p99),
			ns_to_ms(s.delay_p99), s.lag, warm ? "  (warmup)" : "");
	}
	fflush(b->out);
	if (t->csv)
		fprintf(t->csv, "%.3f,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%" PRIu64
				",%d\n",
			at, (double)s.n / len, ns_to_ms(s.p50), ns_to_ms(s.p99),
			ns_to_ms(s.p999), ns_to_ms(s.max), ns_to_ms(s.pub_p99),
			ns_to_ms(s.delay_p99), s.lag, warm ? 1 : 0);
	if (t->hdr && t->sec.count &&
	    sl_bench_hdr_interval(t->hdr, &t->sec, at - len, len) < 0)
		sl_bench_err("--hdr-log: cannot encode the histogram of second "
			     "%.1f", at);
	if (t->nsecs == t->capsecs) {
		uint32_t cap = t->capsecs ? t->capsecs * 2 : 64;
		struct second *n = realloc(t->secs, cap * sizeof(*n));

		if (!n) {
			sl_histogram_reset(&t->sec);
			return;
		}
		t->secs = n;
		t->capsecs = cap;
	}
	t->secs[t->nsecs++] = s;
	sl_histogram_reset(&t->sec);
}

/* ---- the summary ------------------------------------------------------------ */

/* {"count", "min", "mean", "p50", ..., "p99.99", "max"} in ms. */
static json_t *latency_json(const sl_histogram *h)
{
	json_t *j = json_object();

	json_object_set_new(j, "count", json_integer((json_int_t)h->count));
	json_object_set_new(j, "min", json_real(ns_to_ms(h->count ? h->min
								  : 0)));
	json_object_set_new(j, "mean",
			    json_real(h->count ? (double)h->sum_ns /
							 (double)h->count / 1e6
					       : 0.0));
	for (size_t i = 0; i < NPCTS; i++)
		json_object_set_new(j, pct_names[i],
				    json_real(pct_ms(h, pcts[i])));
	json_object_set_new(j, "max", json_real(ns_to_ms(h->max)));
	return j;
}

static void latency_line(FILE *f, const char *what, const sl_histogram *h)
{
	if (!h->count)
		return;
	fprintf(f, "  %-13s", what);
	for (size_t i = 0; i < NPCTS; i++)
		fprintf(f, " %s %.3f", pct_names[i], pct_ms(h, pcts[i]));
	fprintf(f, "  max %.3f  (%" PRIu64 ")\n", ns_to_ms(h->max), h->count);
}

static const char *mode_name(sl_bench_mode m)
{
	return m == SL_BENCH_RELAY ? "relay"
	       : m == SL_BENCH_TOPIC ? "topic"
				     : "external";
}

static json_t *summary_json(struct bench *b, struct tally *t,
			    const sl_bench_result *r, double send_rate)
{
	const sl_bench_opts *o = b->opts;
	json_t *secs = json_array();

	for (uint32_t i = 0; i < t->nsecs; i++)
		json_array_append_new(
			secs,
			json_pack("{s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I}",
				  "t", t->secs[i].t, "received",
				  (json_int_t)t->secs[i].n, "p50_ms",
				  ns_to_ms(t->secs[i].p50), "p99_ms",
				  ns_to_ms(t->secs[i].p99), "p99.9_ms",
				  ns_to_ms(t->secs[i].p999), "max_ms",
				  ns_to_ms(t->secs[i].max), "publish_p99_ms",
				  ns_to_ms(t->secs[i].pub_p99),
				  "publish_delay_p99_ms",
				  ns_to_ms(t->secs[i].delay_p99), "lag",
				  (json_int_t)t->secs[i].lag));
	const char *err = b->producer_error[0] ? b->producer_error
			  : atomic_load(&b->behind)
				  ? "the producer fell behind the rate"
				  : NULL;
	const char *keys[] = { "none", "round-robin", "uniform", "zipf" };
	json_t *j = json_pack(
		"{s:s, s:s, s:b, s:s, s:s?, s:i, s:f, s:I, s:I, s:f, s:f, s:s, "
		"s:I, s:i}",
		"mode", mode_name(o->mode), "bootstrap", b->bootstrap,
		"embedded", b->embedded, "from", o->from, "to",
		o->mode == SL_BENCH_TOPIC ? NULL : o->to, "partitions",
		b->from_parts, "rate", o->rate, "size", (json_int_t)o->size,
		"size_min", (json_int_t)(o->size_min ? o->size_min : o->size),
		"duration_s", o->duration_s, "warmup_s", o->warmup_s, "keys",
		keys[o->keys], "nkeys", (json_int_t)o->nkeys, "producers",
		o->producers);
	json_t *counts = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, "
		"s:f}",
		"scheduled", (json_int_t)b->scheduled, "sent",
		(json_int_t)r->sent, "acked",
		(json_int_t)atomic_load(&b->acked), "delivery_failed",
		(json_int_t)atomic_load(&b->delivery_failed), "received",
		(json_int_t)r->received, "received_bytes", (json_int_t)t->bytes,
		"lost", (json_int_t)r->lost,
		"duplicates", (json_int_t)r->duplicates, "reordered",
		(json_int_t)r->reordered, "foreign", (json_int_t)t->foreign,
		"send_rate", send_rate, "throughput", r->throughput,
		"throughput_mb_s", r->throughput * sl_bench_mean_size(o) / 1e6);
	json_object_update(j, counts);
	json_object_set_new(j, "consumers", json_integer(b->nconsumers));
	json_decref(counts);
	json_object_set_new(j, "latency_ms", latency_json(&t->all));
	pthread_mutex_lock(&b->hlock);
	json_object_set_new(j, "publish_latency_ms", latency_json(&b->pub_all));
	json_object_set_new(j, "publish_delay_ms", latency_json(&b->delay_all));
	pthread_mutex_unlock(&b->hlock);
	json_object_set_new(j, "ok", json_boolean(r->ok));
	json_object_set_new(j, "error", err ? json_string(err) : json_null());
	json_object_set_new(j, "seconds", secs);
	return j;
}

void sl_bench_print_summary(struct bench *b, struct tally *t, bool failed,
			    sl_bench_result *res)
{
	const sl_bench_opts *o = b->opts;
	sl_bench_result r = { 0 };
	uint64_t dr_failed = atomic_load(&b->delivery_failed);
	double span = t->measured > 1 && t->last_ns > b->t0
			      ? (double)(t->last_ns -
					 (b->t0 + (int64_t)((double)b->warm_n *
							    b->interval_ns))) /
					1e9
			      : 0;
	double send_span = (double)(atomic_load(&b->send_end_ns) - b->t0) / 1e9;
	const sl_histogram *h = &t->all;
	bool behind = atomic_load(&b->behind);

	r.sent = atomic_load(&b->sent);
	r.received = t->received;
	r.lost = r.sent > t->received ? r.sent - t->received : 0;
	r.duplicates = t->dups;
	r.reordered = t->reordered;
	r.throughput = span > 0 ? (double)t->measured / span : 0;
	r.p99_ms = pct_ms(h, 99);
	r.pct_ms = pct_ms(h, o->p_pct > 0 ? o->p_pct : 99);
	r.max_ms = ns_to_ms(h->max);
	r.ok = !failed && !r.lost && !dr_failed && !b->producer_error[0] &&
	       !behind;
	double send_rate = send_span > 0 ? (double)r.sent / send_span : 0;

	if (o->json || o->json_file) {
		json_t *j = summary_json(b, t, &r, send_rate);
		char *s = j ? json_dumps(j, JSON_INDENT(2) |
						    JSON_PRESERVE_ORDER |
						    JSON_REAL_PRECISION(6))
			    : NULL;

		if (s && o->json)
			printf("%s\n", s);
		if (s && o->json_file) {
			FILE *f = fopen(o->json_file, "w");
			if (!f || fprintf(f, "%s\n", s) < 0)
				sl_bench_err("--json-file '%s': %s",
					     o->json_file, strerror(errno));
			if (f)
				fclose(f);
		}
		free(s);
		json_decref(j);
	}
	FILE *f = b->out;

	fprintf(f,
		"\nsummary: %s, %.0f records/s offered, %u-byte records, "
		"%.1f s measured after %.1f s warmup\n",
		mode_name(o->mode), o->rate, o->size, o->duration_s,
		o->warmup_s);
	fprintf(f,
		"  records:    sent %" PRIu64 ", acknowledged %" PRIu64
		", received %" PRIu64 ", lost %" PRIu64 ", duplicates %" PRIu64
		", reordered %" PRIu64 "\n",
		r.sent, (uint64_t)atomic_load(&b->acked), r.received, r.lost,
		r.duplicates, r.reordered);
	if (dr_failed)
		fprintf(f, "  failed deliveries: %" PRIu64 "\n", dr_failed);
	if (t->foreign)
		fprintf(f,
			"  other records on the topic (ignored): %" PRIu64 "\n",
			t->foreign);
	fprintf(f,
		"  throughput: %.0f records/s received (%.2f MB/s of "
		"payload), %.0f records/s sent\n",
		r.throughput, r.throughput * sl_bench_mean_size(o) / 1e6, send_rate);
	fprintf(f, "  latency in ms:\n");
	latency_line(f, "end to end", h);
	pthread_mutex_lock(&b->hlock);
	latency_line(f, "publish", &b->pub_all);
	latency_line(f, "publish delay", &b->delay_all);
	pthread_mutex_unlock(&b->hlock);
	fprintf(f, "  end to end: from each record's scheduled send time to "
		   "when the checker read it;\n  publish: send to "
		   "acknowledgement; publish delay: schedule to send\n");
	if (behind)
		fprintf(f,
			"  the producer fell more than %lld s behind its "
			"schedule and stopped: the cluster does not take "
			"%.0f records/s\n",
			BEHIND_MAX_NS / NS_PER_S, o->rate);
	if (b->producer_error[0])
		fprintf(f, "  producer: %s\n", b->producer_error);
	if (t->cons_err[0])
		fprintf(f, "  checker: last consumer error: %s\n", t->cons_err);
	if (o->csv_file)
		fprintf(f, "  per-second figures: %s\n", o->csv_file);
	if (o->hdr_log)
		fprintf(f, "  end-to-end latency histograms: %s\n", o->hdr_log);
	if (o->plot) {
		if (sl_bench_plot(b, t, o->plot) == 0)
			fprintf(f, "  plot: %s\n", o->plot);
		else
			sl_bench_err("--plot '%s': cannot write it: %s", o->plot,
				     strerror(errno));
	}
	fprintf(f, "result: %s\n",
		r.ok ? "OK, every record sent was received exactly once"
		     : "FAILED");
	fflush(f);
	if (res)
		*res = r;
}

/* ---- the HdrHistogram log ---------------------------------------------------
 *
 * An interval log (HdrHistogram's HistogramLogWriter format): header
 * lines, then one line per interval, "start,length,max,histogram", the
 * histogram in HdrHistogram's V2 compressed encoding in base64. The
 * histogram written has 2 significant digits (128 sub-buckets per power
 * of two) over 1 ns .. 1 hour; each of sl_histogram's buckets (32 per
 * power of two) goes into the HdrHistogram bucket of its upper bound, so
 * a reader's percentiles are sl_histogram's within HdrHistogram's
 * resolution. */

#define HDR_DIGITS 2
#define HDR_SUB_COUNT 256 /* 2^ceil(log2(2 * 10^2)) */
#define HDR_SUB_HALF 128
#define HDR_SUB_HALF_MAG 7
#define HDR_LOWEST 1
#define HDR_HIGHEST 3600000000000LL /* 1 hour in ns */
#define HDR_COOKIE 0x1c849313u      /* V2 encoding, word size in bits 4+ */
#define HDR_COOKIE_Z 0x1c849314u    /* V2 compressed encoding */

static int hdr_buckets_needed(void)
{
	int64_t smallest_untrackable = HDR_SUB_COUNT; /* << unit magnitude 0 */
	int n = 1;

	while (smallest_untrackable <= HDR_HIGHEST) {
		smallest_untrackable <<= 1;
		n++;
	}
	return n;
}

static uint32_t hdr_index(int64_t v)
{
	uint64_t mask = HDR_SUB_COUNT - 1;
	int pow2ceil = 64 - __builtin_clzll((uint64_t)v | mask);
	int bucket = pow2ceil - (HDR_SUB_HALF_MAG + 1);
	uint64_t sub = (uint64_t)v >> bucket;

	return (uint32_t)(((uint64_t)(bucket + 1) << HDR_SUB_HALF_MAG) +
			  (sub - HDR_SUB_HALF));
}

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* ZigZag LEB128, as HdrHistogram writes counts (at most 9 bytes). */
static size_t put_zigzag(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	while (z >= 0x80 && n < 8) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

int sl_bench_hdr_interval(FILE *f, const sl_histogram *h, double start_s,
			  double len_s)
{
	uint32_t len = (uint32_t)(hdr_buckets_needed() + 1) * HDR_SUB_HALF;
	uint64_t *counts = calloc(len, sizeof(*counts));
	uint32_t top = 0;
	int rc = -1;

	if (!counts)
		return -1;
	for (unsigned k = 0; k < SL_HISTOGRAM_BUCKETS; k++) {
		if (!h->bucket[k])
			continue;
		int64_t v = sl_histogram_bucket_max(k);
		if (v > h->max)
			v = h->max;
		if (v < HDR_LOWEST)
			v = HDR_LOWEST;
		if (v > HDR_HIGHEST)
			v = HDR_HIGHEST;
		uint32_t i = hdr_index(v);
		counts[i] += h->bucket[k];
		if (i + 1 > top)
			top = i + 1;
	}
	/* header (40 bytes) + at most 9 bytes a count */
	size_t cap = 40 + (size_t)top * 9;
	uint8_t *raw = malloc(cap);
	uLongf zcap = compressBound((uLong)cap);
	uint8_t *z = malloc(8 + zcap);
	if (!raw || !z)
		goto out;
	size_t n = 40;
	for (uint32_t i = 0; i < top;) {
		if (counts[i]) {
			n += put_zigzag(raw + n, (int64_t)counts[i++]);
			continue;
		}
		uint32_t zeros = 0;
		while (i < top && !counts[i]) {
			zeros++;
			i++;
		}
		n += put_zigzag(raw + n, zeros > 1 ? -(int64_t)zeros : 0);
	}
	be32(raw, HDR_COOKIE);
	be32(raw + 4, (uint32_t)(n - 40));
	be32(raw + 8, 0); /* normalizing index offset */
	be32(raw + 12, HDR_DIGITS);
	be64(raw + 16, HDR_LOWEST);
	be64(raw + 24, (uint64_t)HDR_HIGHEST);
	double ratio = 1.0;
	uint64_t rbits;
	memcpy(&rbits, &ratio, sizeof(rbits));
	be64(raw + 32, rbits);
	if (compress2(z + 8, &zcap, raw, (uLong)n, Z_DEFAULT_COMPRESSION) !=
	    Z_OK)
		goto out;
	be32(z, HDR_COOKIE_Z);
	be32(z + 4, (uint32_t)zcap);
	sl_buf line = { 0 };
	sl_buf_printf(&line, "%.3f,%.3f,%.3f,", start_s, len_s,
		      ns_to_ms(h->max));
	sl_buf_put_base64(&line, z, 8 + zcap);
	sl_buf_putc(&line, '\n');
	fwrite(line.s, 1, line.len, f);
	sl_buf_free(&line);
	fflush(f);
	rc = 0;
out:
	free(counts);
	free(raw);
	free(z);
	return rc;
}

void sl_bench_hdr_header(FILE *f, double start_wall_s)
{
	fprintf(f, "#[Histogram log written by sluice bench: end-to-end latency "
		   "in ns, one interval a second]\n");
	fprintf(f, "#[StartTime: %.3f (seconds since epoch)]\n", start_wall_s);
	fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", start_wall_s);
	fprintf(f, "#[MaxValueDivisor: 1000000.0]\n");
	fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		   "\"Interval_Compressed_Histogram\"\n");
}
