/* tests/support/line_server.c - the line server the socket-source tests
 * talk to (tests/support/line_server.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/line_server.h"

/* Listens on 127.0.0.1, port chosen by the kernel (in s->port). */
void server_listen(struct server *s)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	s->ls = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(s->ls, 0);
	int one = 1;
	setsockopt(s->ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s->ls, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->ls, 4), 0);
	cr_assert_eq(getsockname(s->ls, (struct sockaddr *)&a, &len), 0);
	snprintf(s->port, sizeof(s->port), "%u", ntohs(a.sin_port));
	s->conn = -1;
}

/* After the query started (its source connected). */
void server_accept(struct server *s)
{
	s->conn = accept(s->ls, NULL, NULL);
	cr_assert_geq(s->conn, 0);
}

void server_send(struct server *s, const char *text)
{
	size_t n = strlen(text);
	cr_assert_eq(write(s->conn, text, n), (ssize_t)n);
}

void server_close(struct server *s)
{
	if (s->conn >= 0)
		close(s->conn);
	close(s->ls);
}
