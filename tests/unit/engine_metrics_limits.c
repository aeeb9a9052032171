/* tests/unit/engine_metrics_limits.c - the metrics server's bounds
 * (engine/metrics.c): clients that hold connections open by trickling a
 * request one byte at a time, more of them than the server's connection
 * limit, do not keep a scrape from being answered: a connection gets
 * SL_METRICS_REQUEST_S seconds for its request, and a newcomer at the
 * limit takes the place of one past it. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/metrics.h"
#include "sluice.h"

#define NTRICKLE 20 /* more than the connection limit */

static int connect_port(int port, int timeout_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct trickler {
	int port;
	atomic_bool *stop;
	pthread_t th;
};

/* Connects, then sends "GET /metrics HTTP/1.0\r\n..." a byte every
 * 400 ms, reconnecting when the server hangs up, until told to stop. */
static void *trickle(void *arg)
{
	struct trickler *t = arg;
	static const char req[] = "GET /metrics HTTP/1.0\r\nX-Slow: yes\r\n";
	struct timespec gap = { 0, 400 * 1000000L };
	size_t i = 0;
	int fd = -1;

	while (!atomic_load(t->stop)) {
		if (fd < 0) {
			fd = connect_port(t->port, 1);
			i = 0;
		}
		if (fd >= 0 &&
		    send(fd, &req[i++ % (sizeof(req) - 1)], 1, MSG_NOSIGNAL) != 1) {
			close(fd);
			fd = -1;
		}
		nanosleep(&gap, NULL);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* One scrape with a deadline of timeout_s: its HTTP status, or -errno. */
static int scrape(int port, int timeout_s)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[256];
	int fd = connect_port(port, timeout_s), status = -1;
	ssize_t k;

	if (fd < 0)
		return fd;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(req) - 1) {
		close(fd);
		return -EPIPE;
	}
	k = recv(fd, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = 0;
		if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			status = -EPROTO;
	} else {
		status = k < 0 ? -errno : -ECONNRESET;
	}
	close(fd);
	return status;
}

Test(metrics_limits, trickling_clients_do_not_starve_a_scrape,
     .timeout = 60)
{
	sl_session *s = sl_session_new();
	struct trickler t[NTRICKLE];
	atomic_bool stop = false;
	struct timespec settle = { SL_METRICS_REQUEST_S + 1, 0 };
	int port = sl_session_metrics_start(s, 0);
	int ok = 0;

	cr_assert_gt(port, 0, "%s", sl_session_errmsg(s));
	for (int i = 0; i < NTRICKLE; i++) {
		t[i] = (struct trickler){ .port = port, .stop = &stop };
		pthread_create(&t[i].th, NULL, trickle, &t[i]);
	}
	/* Every slot is taken, and the first connections are past their
	 * request deadline. */
	nanosleep(&settle, NULL);
	for (int i = 0; i < 3; i++)
		if (scrape(port, 3) == 200)
			ok++;
	atomic_store(&stop, true);
	for (int i = 0; i < NTRICKLE; i++)
		pthread_join(t[i].th, NULL);
	cr_assert_eq(ok, 3, "%d of 3 scrapes answered while %d clients "
			    "trickled",
		     ok, NTRICKLE);
	cr_assert_eq(scrape(port, 3), 200);
	sl_session_destroy(s);
}
