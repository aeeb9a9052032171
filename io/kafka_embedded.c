/* io/kafka_embedded.c - the in-process Kafka cluster (librdkafka's mock
 * cluster) behind kafka.bootstrap.servers = "embedded". See
 * io/kafka_embedded.h for what it is for and its limits.
 *
 * A mock cluster needs a client handle to live in: a producer that never
 * produces, made here and destroyed with the cluster. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "io/kafka_embedded.h"
#include "sluice.h"

static pthread_mutex_t emb_lock = PTHREAD_MUTEX_INITIALIZER;
static rd_kafka_t *emb_rk;
static rd_kafka_mock_cluster_t *emb_cluster;
static char emb_bootstrap[256];

/* The handle only hosts the cluster: keep its logs quiet. */
static void emb_log_cb(const rd_kafka_t *rk, int level, const char *fac,
		       const char *buf)
{
}

/* Starts the cluster if it is not running. Called with emb_lock held. */
static int emb_start(sl_err *err)
{
	char errstr[512];
	rd_kafka_conf_t *conf;

	if (emb_cluster)
		return 0;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, emb_log_cb);
	emb_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!emb_rk) {
		rd_kafka_conf_destroy(conf);
		return sl_err_set(err, SL_EKAFKA,
				  "embedded Kafka: cannot create the host "
				  "client: %s",
				  errstr);
	}
	/* One broker: the demo and tests need no replication, and every
	 * extra mock broker is another thread and socket. */
	emb_cluster = rd_kafka_mock_cluster_new(emb_rk, 1);
	if (!emb_cluster) {
		rd_kafka_destroy(emb_rk);
		emb_rk = NULL;
		return sl_err_set(err, SL_EKAFKA,
				  "embedded Kafka: the mock cluster did not "
				  "start");
	}
	snprintf(emb_bootstrap, sizeof(emb_bootstrap), "%s",
		 rd_kafka_mock_cluster_bootstraps(emb_cluster));
	return 0;
}

const char *sl_kafka_embedded_bootstrap(sl_err *err)
{
	const char *bs = NULL;

	pthread_mutex_lock(&emb_lock);
	if (!emb_start(err))
		bs = emb_bootstrap;
	pthread_mutex_unlock(&emb_lock);
	return bs;
}

int sl_kafka_embedded_topic_create(const char *topic, int partitions,
				   sl_err *err)
{
	rd_kafka_resp_err_t e;
	int rc;

	pthread_mutex_lock(&emb_lock);
	rc = emb_start(err);
	if (!rc) {
		e = rd_kafka_mock_topic_create(emb_cluster, topic, partitions,
					       1);
		if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			rc = sl_err_set(err, SL_EKAFKA,
					"embedded Kafka: cannot create topic "
					"'%s': %s",
					topic, rd_kafka_err2str(e));
	}
	pthread_mutex_unlock(&emb_lock);
	return rc;
}

rd_kafka_mock_cluster_t *sl_kafka_embedded_cluster(void)
{
	rd_kafka_mock_cluster_t *c;

	pthread_mutex_lock(&emb_lock);
	c = emb_cluster;
	pthread_mutex_unlock(&emb_lock);
	return c;
}

void sl_kafka_embedded_shutdown(void)
{
	pthread_mutex_lock(&emb_lock);
	if (emb_cluster)
		rd_kafka_mock_cluster_destroy(emb_cluster);
	if (emb_rk)
		rd_kafka_destroy(emb_rk);
	emb_cluster = NULL;
	emb_rk = NULL;
	emb_bootstrap[0] = 0;
	pthread_mutex_unlock(&emb_lock);
}
