/* tests/support/line_server.h - a line-oriented TCP server on 127.0.0.1 and
 * a free port, for tests of the socket source (what `nc -lk 9999` is for
 * Spark's socket examples). One connection at a time; the test drives it.
 * Compiled once into build/libsltest.a (tests/support/line_server.c). */
#ifndef SL_TEST_LINE_SERVER_H
#define SL_TEST_LINE_SERVER_H

struct server {
	int ls, conn;  /* the listening socket; the accepted one, or -1 */
	char port[16]; /* the port the kernel chose, as text */
};

/* Listens on 127.0.0.1, port chosen by the kernel (in s->port). */
void server_listen(struct server *s);
/* After the query started (its source connected). */
void server_accept(struct server *s);
/* Sends text on the accepted connection. */
void server_send(struct server *s, const char *text);
/* Closes the connection, if any, and the listening socket. */
void server_close(struct server *s);

#endif
