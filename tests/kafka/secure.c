/* tests/kafka/secure.c - the Kafka source and sink against secured
 * listeners of the real broker, and the secrets they are given kept out of
 * everything sluice says. tests/kafka/run.sh starts the broker with
 * `broker.sh start DIR --secure`: beside PLAINTEXT (which the tests use to
 * make and read topics) it has SASL_PLAINTEXT and SASL_SSL listeners
 * (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; the SCRAM users made with Kafka's
 * StorageTool and ConfigCommand) and an SSL listener that requires a client
 * certificate, all with a CA, certificates and passwords made up at start
 * (DIR/secure.env, in the environment). Without them the tests fail.
 *
 * Each relay reads 150 records from a topic and writes them to another,
 * both through the secured listener, with librdkafka's security debug log
 * on; then the secrets (the SASL password, the client key's password) must
 * be in none of: every line the session logged (debug level included), the
 * progress JSON, the metrics text, the error messages.
 *
 * SCRAM: librdkafka before 2.6.1 sends a final message that Kafka 4.0 and
 * later refuse (Debian 12 has 2.0.2); there the test checks that the source
 * fails at once, saying so, and with a newer librdkafka or a Kafka 3.x
 * broker (SLUICE_KAFKA_VERSION=3.9.1 tests/kafka/run.sh ...) that the
 * relay runs. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/clock.h"
#include "tests/support/kafka.h"
#include "tests/support/sluice_child.h"
#include "tests/support/tmpdir.h"

#include "sluice.h"

#define NPART 3
#define PER 50

static void secure_setup(void)
{
	sl_test_kafka_broker_setup();
	cr_assert(getenv("SLUICE_KAFKA_SASL_SSL") &&
			  getenv("SLUICE_KAFKA_PASSWORD"),
		  "no secured listeners: run with tests/kafka/run.sh, which "
		  "starts the broker with --secure (DIR/secure.env)");
}

TestSuite(secure, .init = secure_setup, .timeout = 120);

static const char *env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s is not set", name);
	return v;
}

/* Everything the session logs, every level. */
typedef struct logbook {
	pthread_mutex_t lock;
	char *text;
	size_t len, cap;
} logbook;

static void log_cb(void *opaque, int level, const char *msg)
{
	logbook *b = opaque;
	size_t n = strlen(msg);

	pthread_mutex_lock(&b->lock);
	if (b->len + n + 2 > b->cap) {
		b->cap = (b->len + n + 2) * 2;
		b->text = realloc(b->text, b->cap);
		cr_assert_not_null(b->text);
	}
	memcpy(b->text + b->len, msg, n);
	b->len += n;
	b->text[b->len++] = '\n';
	b->text[b->len] = 0;
	pthread_mutex_unlock(&b->lock);
}

/* No secret in what: the SASL password, the client key's password. */
static void no_secret(const char *where, const char *what)
{
	const char *secrets[] = { env("SLUICE_KAFKA_PASSWORD"),
				  env("SLUICE_KAFKA_CLIENT_KEY_PASSWORD"),
				  NULL };

	for (int i = 0; what && secrets[i]; i++)
		cr_assert_null(strstr(what, secrets[i]),
			       "%s holds a secret: %.300s", where,
			       strstr(what, secrets[i]) - 100 > what
				       ? strstr(what, secrets[i]) - 100
				       : what);
}

/* opts (NULL-terminated pairs) after base into out (room for 40). */
static void opts_join(const char **out, const char *const *base,
		      const char *const *more)
{
	int n = 0;

	for (int i = 0; base[i]; i++)
		out[n++] = base[i];
	for (int i = 0; more && more[i] && n < 38; i++)
		out[n++] = more[i];
	out[n] = NULL;
}

/* The Kafka source on listener bs with the client properties auth. */
static sl_frame *secured_source(sl_session *s, const char *bs,
				const char *topic, const char *const *auth)
{
	const char *base[] = { "kafka.bootstrap.servers", bs, "subscribe",
			       topic, "startingOffsets", "earliest",
			       "kafka.debug", "security", "metadataTimeout",
			       "5 seconds", NULL };
	const char *o[40];

	opts_join(o, base, auth);
	return sl_session_read_stream(s, "kafka", o);
}

/* 150 records relayed from topic to topic through listener bs with the
 * client properties auth (both sides); then no secret anywhere. */
static void relay_through(const char *tag, const char *bs,
			  const char *const *auth)
{
	char in[128], out[128];
	logbook lb = { .lock = PTHREAD_MUTEX_INITIALIZER };
	int64_t hi[NPART];

	sl_test_kafka_make_ready_topic(in, sizeof(in), tag, NPART);
	sl_test_kafka_make_ready_topic(out, sizeof(out), "secure-out", NPART);
	rd_kafka_t *p = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						 sl_test_kafka_conf_new());
	sl_test_kafka_fill(p, in, NPART, PER);
	rd_kafka_destroy(p);

	sl_session *s = sl_session_new();
	sl_session_set_log_cb(s, log_cb, &lb);
	cr_assert_eq(sl_session_metrics_start(s, 0) >= 0, 1);
	sl_frame *f = secured_source(s, bs, in, auth);
	cr_assert_not_null(f, "%s: %s", tag, sl_session_errmsg(s));
	f = sl_frame_select(f, (const char *[]){ "key", "value", "partition",
						 NULL });
	cr_assert_not_null(f, "%s", sl_session_errmsg(s));
	const char *base[] = { "kafka.bootstrap.servers", bs, "topic", out,
			       "trigger", "continuous 100 ms", "kafka.debug",
			       "security", "queryName", tag, NULL };
	const char *o[40];
	opts_join(o, base, auth);
	sl_query *q = sl_frame_start(f, "kafka", o, NULL);
	cr_assert_not_null(q, "%s: %s", tag, sl_session_errmsg(s));

	int64_t t0 = sl_test_now_ms();
	for (;;) {
		long got = 0;

		sl_test_kafka_topic_ends(out, NPART, hi);
		for (int k = 0; k < NPART; k++)
			got += hi[k];
		if (got >= NPART * PER)
			break;
		cr_assert_null(sl_query_exception(q), "%s: %s", tag,
			       sl_query_exception(q));
		cr_assert_lt(sl_test_now_ms() - t0, 30000, "%s: %ld of %d out",
			     tag, got, NPART * PER);
		sl_test_sleep_ms(100);
	}
	fprintf(stderr, "secure: %s: %d records relayed in %lld ms\n", tag,
		NPART * PER, (long long)(sl_test_now_ms() - t0));
	for (int k = 0; k < NPART; k++)
		cr_assert_eq(hi[k], PER, "%s: partition %d has %lld", tag, k,
			     (long long)hi[k]);
	char *progress;
	while (!(progress = sl_query_last_progress(q))) {
		cr_assert_lt(sl_test_now_ms() - t0, 30000, "no progress");
		sl_test_sleep_ms(50);
	}
	char *metrics = sl_session_metrics_text(s);
	char want[160];
	/* the sink's commits and its client's counters are there */
	snprintf(want, sizeof(want),
		 "sluice_sink_delivery_errors_total{query=\"%s\"} 0", tag);
	cr_assert(strstr(metrics, want), "%s", metrics);
	snprintf(want, sizeof(want), "sluice_sink_retries_total{query=\"%s\"}",
		 tag);
	cr_assert(strstr(metrics, want), "%s", metrics);
	snprintf(want, sizeof(want),
		 "sluice_epoch_commit_seconds_count{query=\"%s\"}", tag);
	cr_assert(strstr(metrics, want), "%s", metrics);
	cr_assert_not_null(metrics);
	cr_assert_eq(sl_query_stop(q), 0, "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
	cr_assert_gt(lb.len, 0, "%s: nothing logged", tag);
	/* the debug log did see the handshake: the test looks where a
	 * secret could be */
	cr_assert(strstr(lb.text, "SASL") || strstr(lb.text, "SSL"),
		  "%s: no security lines in the log", tag);
	no_secret("the log", lb.text);
	no_secret("the progress JSON", progress);
	no_secret("the metrics", metrics);
	free(progress);
	free(metrics);
	free(lb.text);
}

/* The source on bs with auth fails within 10 s, saying `why`, without a
 * secret in the message or the log. */
static void refused(const char *tag, const char *bs, const char *const *auth,
		    const char *why, const char *also_secret)
{
	char in[128];
	logbook lb = { .lock = PTHREAD_MUTEX_INITIALIZER };

	sl_test_kafka_make_ready_topic(in, sizeof(in), tag, 1);
	sl_session *s = sl_session_new();
	sl_session_set_log_cb(s, log_cb, &lb);
	int64_t t0 = sl_test_now_ms();
	cr_assert_null(secured_source(s, bs, in, auth), "%s: made", tag);
	int64_t ms = sl_test_now_ms() - t0;
	const char *msg = sl_session_errmsg(s);
	fprintf(stderr, "secure: %s: refused after %lld ms: %s\n", tag,
		(long long)ms, msg);
	cr_assert(strstr(msg, why), "%s: %s", tag, msg);
	cr_assert_lt(ms, 10000, "%s: refused only after %lld ms", tag,
		     (long long)ms);
	no_secret("the error", msg);
	no_secret("the log", lb.text);
	if (also_secret) {
		cr_assert_null(strstr(msg, also_secret), "%s", msg);
		cr_assert(!lb.text || !strstr(lb.text, also_secret));
	}
	sl_session_destroy(s);
	free(lb.text);
}

#define SASL(mech)                                                            \
	"kafka.sasl.mechanism", mech, "kafka.sasl.username",                  \
		env("SLUICE_KAFKA_USER"), "kafka.sasl.password",              \
		env("SLUICE_KAFKA_PASSWORD")

Test(secure, sasl_plain)
{
	relay_through("sasl-plain", env("SLUICE_KAFKA_SASL_PLAINTEXT"),
		      (const char *[]){ "kafka.security.protocol",
					"SASL_PLAINTEXT", SASL("PLAIN"),
					NULL });
}

Test(secure, sasl_ssl_plain)
{
	relay_through("sasl-ssl-plain", env("SLUICE_KAFKA_SASL_SSL"),
		      (const char *[]){ "kafka.security.protocol", "SASL_SSL",
					SASL("PLAIN"), "kafka.ssl.ca.location",
					env("SLUICE_KAFKA_CA"), NULL });
}

/* TLS with a client certificate whose key is encrypted. */
Test(secure, tls_client_certificate)
{
	relay_through("tls",
		      env("SLUICE_KAFKA_SSL"),
		      (const char *[]){ "kafka.security.protocol", "SSL",
					"kafka.ssl.ca.location",
					env("SLUICE_KAFKA_CA"),
					"kafka.ssl.certificate.location",
					env("SLUICE_KAFKA_CLIENT_CERT"),
					"kafka.ssl.key.location",
					env("SLUICE_KAFKA_CLIENT_KEY"),
					"kafka.ssl.key.password",
					env("SLUICE_KAFKA_CLIENT_KEY_PASSWORD"),
					NULL });
}

static void scram(const char *mech, const char *bs, const char *proto)
{
	char tag[64];
	const char *auth[] = { "kafka.security.protocol", proto, SASL(mech),
			       "kafka.ssl.ca.location", env("SLUICE_KAFKA_CA"),
			       NULL };

	snprintf(tag, sizeof(tag), "%s-%s", proto, mech);
	for (char *c = tag; *c; c++)
		*c = *c == '_' ? '-' : *c;
	/* Kafka 3.x takes the older librdkafka's SCRAM too */
	if (rd_kafka_version() >= 0x020601ff ||
	    atoi(env("SLUICE_KAFKA_BROKER_VERSION")) < 4)
		relay_through(tag, bs, auth);
	else
		refused(tag, bs, auth, "SCRAM needs librdkafka 2.6.1", NULL);
}

Test(secure, sasl_ssl_scram_sha_256)
{
	scram("SCRAM-SHA-256", env("SLUICE_KAFKA_SASL_SSL"), "SASL_SSL");
}

Test(secure, sasl_scram_sha_512)
{
	scram("SCRAM-SHA-512", env("SLUICE_KAFKA_SASL_PLAINTEXT"),
	      "SASL_PLAINTEXT");
}

/* A wrong password fails at once, naming the authentication, quoting
 * neither password; so does a client key with the wrong password. */
Test(secure, wrong_credentials)
{
	const char *wrong = "wrong-Pa55word-given";

	refused("wrong-password", env("SLUICE_KAFKA_SASL_PLAINTEXT"),
		(const char *[]){ "kafka.security.protocol", "SASL_PLAINTEXT",
				  "kafka.sasl.mechanism", "PLAIN",
				  "kafka.sasl.username",
				  env("SLUICE_KAFKA_USER"),
				  "kafka.sasl.password", wrong, NULL },
		"uthentication", wrong);
	refused("wrong-key-password", env("SLUICE_KAFKA_SSL"),
		(const char *[]){ "kafka.security.protocol", "SSL",
				  "kafka.ssl.ca.location", env("SLUICE_KAFKA_CA"),
				  "kafka.ssl.certificate.location",
				  env("SLUICE_KAFKA_CLIENT_CERT"),
				  "kafka.ssl.key.location",
				  env("SLUICE_KAFKA_CLIENT_KEY"),
				  "kafka.ssl.key.password", wrong, NULL },
		"ssl.key", wrong);
}

/* `sluice validate` prints the plan with every option: a secret's value
 * is shown as (secret). */
Test(secure, validate_hides_secrets)
{
	char in[128], file[300], cmd[700], out[8192];
	char *dir = sl_test_tmpdir("sluice-secure");

	sl_test_kafka_make_ready_topic(in, sizeof(in), "secure-validate", 1);
	snprintf(file, sizeof(file), "%s/p.sql", dir);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'kafka', subscribe = '%s',\n"
		"  kafka.bootstrap.servers = '%s',\n"
		"  kafka.security.protocol = 'SASL_PLAINTEXT',\n"
		"  kafka.sasl.mechanism = 'PLAIN', kafka.sasl.username = '%s',\n"
		"  kafka.sasl.password = '%s');\n"
		"CREATE SINK output WITH (format = 'console');\n"
		"INSERT INTO output SELECT value FROM input;\n",
		in, env("SLUICE_KAFKA_SASL_PLAINTEXT"), env("SLUICE_KAFKA_USER"),
		env("SLUICE_KAFKA_PASSWORD"));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s validate %s 2>&1",
		 sl_test_child_sluice_path(), file);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	int st = pclose(p);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert(strstr(out, "kafka.sasl.password=(secret)"), "%s", out);
	no_secret("sluice validate", out);
	sl_test_tmpdir_free(dir);
}
