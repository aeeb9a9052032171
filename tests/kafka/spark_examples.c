/* tests/kafka/spark_examples.c - Spark's Kafka examples, run by
 * sluice against a real Apache Kafka broker, checked against what Spark
 * writes for them.
 *
 *   (a) subscribe `entrada`, selectExpr("CAST(key AS STRING)",
 *       "CAST(value AS STRING)"), write `salida`, trigger continuous
 *       1 second: the output is the input, key and value, byte for byte
 *       (null stays null; Spark's CAST(binary AS STRING) keeps the bytes).
 *   (b) lines in `entrada`, explode(split(CAST(value AS STRING), ' ')) AS
 *       word, then selectExpr("CAST(word AS STRING) AS key",
 *       "to_json(struct(*)) AS value") to `salida`: one record per word,
 *       value exactly {"word":"..."} as Spark's to_json writes it. Spark's
 *       example counts the words (groupBy("word").count(), output mode
 *       complete); counting arrives with the stateful micro-batch path, so
 *       this is the stateless form.
 *   (c) the same two pipelines as files, examples/kafka_continuous.sql and
 *       examples/kafka_relay.sql, run by `sluice run FILE --timeout N`
 *       (SLUICE: the binary, default build/sluice; both relative to the
 *       repository root, the working directory, or SLUICE_ROOT), with the
 *       broker's address and topics of the test's own put into a copy.
 *
 * Topics get names of their own (entrada-<pid>-...), as the test binaries
 * share one broker. The broker is SLUICE_KAFKA_BOOTSTRAP's (tests/kafka/
 * run.sh); without it the tests fail, never skip. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/files.h"
#include "tests/support/kafka.h"

#include "sluice.h"

extern char **environ;

static rd_kafka_t *client(rd_kafka_type_t type)
{
	rd_kafka_conf_t *conf = sl_test_kafka_conf_new();

	sl_test_kafka_set(conf, "fetch.wait.max.ms", "20");
	if (type == RD_KAFKA_CONSUMER)
		sl_test_kafka_set(conf, "group.id", "examples-checker");
	return sl_test_kafka_client_new(type, conf);
}

/* A record as the tests write and read it: NULL is Kafka's null. */
typedef struct rec {
	const char *key, *value;
	size_t klen, vlen;
} rec;

/* Literals only: R(key, value), and a null key or value. */
#define R(k, v) { k, v, sizeof(k) - 1, sizeof(v) - 1 }
#define R_NOKEY(v) { NULL, v, 0, sizeof(v) - 1 }
#define R_NOVALUE(k) { k, NULL, sizeof(k) - 1, 0 }

static void produce(const char *topic, const rec *r, int n)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER);

	for (int i = 0; i < n; i++)
		cr_assert_eq(rd_kafka_producev(
				     rk, RD_KAFKA_V_TOPIC(topic),
				     RD_KAFKA_V_PARTITION(0),
				     RD_KAFKA_V_KEY(r[i].key, r[i].klen),
				     RD_KAFKA_V_VALUE((void *)r[i].value,
						      r[i].vlen),
				     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				     RD_KAFKA_V_END),
			     0);
	cr_assert_eq(rd_kafka_flush(rk, 15000), 0);
	rd_kafka_destroy(rk);
}

/* What came out: copies of n records (key/value NULL when null). */
typedef struct got {
	int n;
	char *key[64], *value[64];
	size_t klen[64], vlen[64];
} got;

static char *dup_bytes(const void *p, size_t n)
{
	char *d;

	if (!p)
		return NULL;
	d = malloc(n + 1);
	memcpy(d, p, n);
	d[n] = 0;
	return d;
}

/* Reads topic from the beginning until want records came or deadline_ms
 * passed, then 500 ms more: a stray extra record is caught too. */
static void consume(const char *topic, int want, int64_t deadline_ms,
		    got *g)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	int64_t until = sl_test_now_ms() + deadline_ms;
	bool extra = false;

	memset(g, 0, sizeof(*g));
	rd_kafka_topic_partition_list_add(l, topic, 0)->offset =
		RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	while (sl_test_now_ms() < until) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);

		if (m && !m->err && g->n < 64) {
			g->key[g->n] = dup_bytes(m->key, m->key_len);
			g->value[g->n] = dup_bytes(m->payload, m->len);
			g->klen[g->n] = m->key_len;
			g->vlen[g->n] = m->len;
			g->n++;
		}
		if (m)
			rd_kafka_message_destroy(m);
		if (g->n >= want && !extra) {
			extra = true;
			until = sl_test_now_ms() + 500;
		}
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static void got_free(got *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->key[i]);
		free(g->value[i]);
	}
}

static bool same(const char *a, size_t al, const char *b, size_t bl)
{
	if (!a || !b)
		return !a && !b;
	return al == bl && !memcmp(a, b, al);
}

/* The output is exactly want, record by record. */
static void expect(const got *g, const rec *want, int n)
{
	cr_assert_eq(g->n, n, "%d records came out, expected %d", g->n, n);
	for (int i = 0; i < n; i++) {
		cr_assert(same(g->key[i], g->klen[i], want[i].key,
			       want[i].klen),
			  "record %d: key '%s', expected '%s'", i,
			  g->key[i] ? g->key[i] : "(null)",
			  want[i].key ? want[i].key : "(null)");
		cr_assert(same(g->value[i], g->vlen[i], want[i].value,
			       want[i].vlen),
			  "record %d: value '%s', expected '%s'", i,
			  g->value[i] ? g->value[i] : "(null)",
			  want[i].value ? want[i].value : "(null)");
	}
}

/* ---- (a) CAST(key AS STRING), CAST(value AS STRING), continuous --------- */

/* Keys and values as Kafka carries them: plain, null key, null value
 * (a tombstone), UTF-8, empty, and bytes that are not UTF-8 (Spark's
 * CAST(binary AS STRING) does not check them; they come out unchanged). */
static const rec cast_in[] = {
	R("k1", "v1"),
	R_NOKEY("no key"),
	R_NOVALUE("tombstone"),
	R("ñ", "año €"),
	R("", ""),
	{ "\xff\xfe", "\xc3\x28 bad utf-8", 2, 13 },
	R("k1", "v2"),
};
#define NCAST ((int)(sizeof(cast_in) / sizeof(cast_in[0])))

TestSuite(spark_examples, .init = sl_test_kafka_broker_setup);

Test(spark_examples, a_cast_key_value_continuous)
{
	char in[128], out[128];
	got g;

	sl_test_kafka_make_ready_topic(in, sizeof(in), "entrada", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "salida", 1);
	sl_session *s = sl_session_new();
	sl_frame *df = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "subscribe", in,
				  "startingOffsets", "earliest", NULL });
	cr_assert_not_null(df, "%s", sl_session_errmsg(s));
	sl_frame *kv = sl_frame_select(
		df, (const char *[]){ "CAST(key AS STRING)",
				      "CAST(value AS STRING)", NULL });
	cr_assert_not_null(kv, "%s", sl_session_errmsg(s));
	char schema[256];
	sl_frame_schema(kv, schema, sizeof(schema));
	/* Spark names a cast column after the column: key, value. */
	cr_assert_str_eq(schema, "key: string, value: string");
	sl_query *q = sl_frame_start(
		kv, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "topic", out, "trigger",
				  "continuous 1 second", NULL },
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));

	/* Half before the relay reads, half while it runs. */
	produce(in, cast_in, 3);
	usleep(300000);
	produce(in, cast_in + 3, NCAST - 3);
	consume(out, NCAST, 15000, &g);
	cr_assert(sl_query_is_active(q), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "");
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	expect(&g, cast_in, NCAST);
	got_free(&g);
}

/* ---- (b) words: explode(split(...)), to_json(struct(*)) ----------------- */

/* Lines, and what Spark writes for them: split(str, ' ') is a regex split
 * keeping empty strings (limit -1: leading, inner and trailing ones);
 * explode gives no row for a null line; to_json writes {"word":...} with
 * Jackson's escapes (\" \\ \t) and UTF-8 as it is. */
static const rec lines_in[] = {
	R("l1", "hola mundo"),
	R("l2", "a  b"),
	R("l3", " lead"),
	R("l4", "trail "),
	R("l5", "ñandú \"q\" back\\slash"),
	R("l6", "tab\there"),
	R_NOVALUE("l7"),
	R("l8", ""),
};

static const rec words_out[] = {
	R("hola", "{\"word\":\"hola\"}"),
	R("mundo", "{\"word\":\"mundo\"}"),
	R("a", "{\"word\":\"a\"}"),
	R("", "{\"word\":\"\"}"),
	R("b", "{\"word\":\"b\"}"),
	R("", "{\"word\":\"\"}"),
	R("lead", "{\"word\":\"lead\"}"),
	R("trail", "{\"word\":\"trail\"}"),
	R("", "{\"word\":\"\"}"),
	R("ñandú", "{\"word\":\"ñandú\"}"),
	R("\"q\"", "{\"word\":\"\\\"q\\\"\"}"),
	R("back\\slash", "{\"word\":\"back\\\\slash\"}"),
	R("tab\there", "{\"word\":\"tab\\there\"}"),
	R("", "{\"word\":\"\"}"),
};
#define NLINES ((int)(sizeof(lines_in) / sizeof(lines_in[0])))
#define NWORDS ((int)(sizeof(words_out) / sizeof(words_out[0])))

static void words_via_api(const char *trigger)
{
	char in[128], out[128];
	got g;

	sl_test_kafka_make_ready_topic(in, sizeof(in), "entrada", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "salida", 1);
	produce(in, lines_in, NLINES);
	sl_session *s = sl_session_new();
	sl_frame *lines = sl_session_read_stream(
		s, "kafka",
		(const char *[]){ "kafka.bootstrap.servers",
				  sl_test_kafka_broker, "subscribe", in,
				  "startingOffsets", "earliest", NULL });
	cr_assert_not_null(lines, "%s", sl_session_errmsg(s));
	sl_frame *words = sl_frame_select(
		lines,
		(const char *[]){
			"explode(split(CAST(value AS STRING), ' ')) AS word",
			NULL });
	cr_assert_not_null(words, "%s", sl_session_errmsg(s));
	sl_frame *kv = sl_frame_select(
		words, (const char *[]){ "CAST(word AS STRING) AS key",
					 "to_json(struct(*)) AS value", NULL });
	cr_assert_not_null(kv, "select on the words: %s",
			   sl_session_errmsg(s));
	sl_query *q =
		sl_frame_start(kv, "kafka",
			       (const char *[]){ "kafka.bootstrap.servers",
						 sl_test_kafka_broker, "topic",
						 out, "outputMode", "append",
						 "trigger", trigger, NULL },
			       NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	consume(out, NWORDS, 15000, &g);
	cr_assert(sl_query_is_active(q), "%s",
		  sl_query_exception(q) ? sl_query_exception(q) : "");
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
	expect(&g, words_out, NWORDS);
	got_free(&g);
}

Test(spark_examples, b_words_to_json_micro_batch)
{
	words_via_api("processingTime 200 milliseconds");
}

Test(spark_examples, b_words_to_json_continuous)
{
	words_via_api("continuous 1 second");
}

/* ---- (c) the pipeline files, run by the sluice command ------------------- */

static const char *root_path(char *buf, size_t n, const char *rel)
{
	const char *root = getenv("SLUICE_ROOT");

	if (rel[0] == '/')
		snprintf(buf, n, "%s", rel);
	else
		snprintf(buf, n, "%s/%s", root && *root ? root : ".", rel);
	return buf;
}

/* text with every `from` replaced by `to` (malloc'd). */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, from)); p += fl)
		n++;
	out = malloc(strlen(text) + n * (tl + 1) + 1);
	for (o = out, p = text;;) {
		const char *hit = strstr(p, from);

		if (!hit) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, tl);
		o += tl;
		p = hit + fl;
	}
	return out;
}

/* Runs `sluice run FILE --timeout secs` with the example's 'embedded',
 * 'entrada' and 'salida' replaced by the broker and topics in, out.
 * Returns its exit status; its stderr is in errbuf. A run that outlives
 * its timeout by 30 s is killed and fails the test. */
static int run_example(const char *example, const char *in, const char *out,
		       int secs, char *errbuf, size_t errn)
{
	char path[512], bin[512], tmpl[] = "/tmp/sluice-examples-XXXXXX";
	char file[600], errfile[600], to_in[160], to_out[160], secs_s[16];
	char *text, *t1, *t2, *t3;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;
	const char *sl = getenv("SLUICE");

	root_path(bin, sizeof(bin), sl && *sl ? sl : "build/sluice");
	cr_assert_eq(access(bin, X_OK), 0,
		     "no sluice binary at %s (run make, or set SLUICE)", bin);
	text = sl_test_read_file(root_path(path, sizeof(path), example));
	cr_assert(strstr(text, "'embedded'"), "%s names no 'embedded'", path);
	snprintf(to_in, sizeof(to_in), "'%s'", in);
	snprintf(to_out, sizeof(to_out), "'%s'", out);
	t1 = replace_all(text, "'embedded'", sl_test_kafka_broker);
	t2 = replace_all(t1, "'entrada'", to_in);
	t3 = replace_all(t2, "'salida'", to_out);
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(file, sizeof(file), "%s/pipeline.sql", tmpl);
	snprintf(errfile, sizeof(errfile), "%s/stderr", tmpl);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(t3, f);
	fclose(f);
	free(text);
	free(t1);
	free(t2);
	free(t3);

	snprintf(secs_s, sizeof(secs_s), "%d", secs);
	char *argv[] = { bin, "run", file, "--timeout", secs_s, NULL };
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errfile,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int64_t deadline = sl_test_now_ms() + (secs + 30) * 1000LL;
	pid_t w = 0;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       sl_test_now_ms() < deadline)
		usleep(50000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		cr_assert_fail("sluice run %s did not end %d s after its "
			       "--timeout %d",
			       example, 30, secs);
	}
	char *err = sl_test_read_file(errfile);
	snprintf(errbuf, errn, "%s", err);
	free(err);
	unlink(errfile);
	unlink(file);
	rmdir(tmpl);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(spark_examples, c_pipeline_file_kafka_continuous)
{
	char in[128], out[128], err[4096];
	got g;

	sl_test_kafka_make_ready_topic(in, sizeof(in), "entrada", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "salida", 1);
	produce(in, cast_in, NCAST);
	int rc = run_example("examples/kafka_continuous.sql", in, out, 5, err,
			     sizeof(err));
	cr_assert_eq(rc, 0, "sluice run: exit %d: %s", rc, err);
	consume(out, NCAST, 10000, &g);
	expect(&g, cast_in, NCAST);
	got_free(&g);
}

Test(spark_examples, c_pipeline_file_kafka_relay_words)
{
	char in[128], out[128], err[4096];
	got g;

	sl_test_kafka_make_ready_topic(in, sizeof(in), "entrada", 1);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "salida", 1);
	produce(in, lines_in, NLINES);
	int rc = run_example("examples/kafka_relay.sql", in, out, 5, err,
			     sizeof(err));
	cr_assert_eq(rc, 0, "sluice run: exit %d: %s", rc, err);
	consume(out, NWORDS, 10000, &g);
	expect(&g, words_out, NWORDS);
	got_free(&g);
}

/* As written (kafka.bootstrap.servers = 'embedded') the examples run on
 * the in-process cluster: nothing to relay, a clean stop at --timeout. */
Test(spark_examples, c_pipeline_files_run_on_the_embedded_cluster)
{
	static const char *const files[] = { "examples/kafka_continuous.sql",
					     "examples/kafka_relay.sql" };
	const char *sl = getenv("SLUICE");
	char bin[512], path[512];

	root_path(bin, sizeof(bin), sl && *sl ? sl : "build/sluice");
	for (int i = 0; i < 2; i++) {
		char cmd[1200];
		int64_t t0 = sl_test_now_ms();

		snprintf(cmd, sizeof(cmd),
			 "timeout 20 '%s' run '%s' --timeout 2 >/dev/null 2>&1", bin,
			 root_path(path, sizeof(path), files[i]));
		int rc = system(cmd);
		int64_t ms = sl_test_now_ms() - t0;

		cr_assert_eq(rc, 0, "%s: exit status %d", files[i], rc);
		cr_assert_lt(ms, 15000, "%s took %lld ms", files[i],
			     (long long)ms);
	}
}
