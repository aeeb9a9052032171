/* tests/support/socket_events.c - (timestamp, word) events from a line
 * server for the stateful query tests (socket_events.h). */
#include "tests/support/socket_events.h"

#include <criterion/criterion.h>

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

sl_frame *sl_test_socket_events(sl_session *s, const struct server *srv)
{
	sl_frame *in = sl_session_read_stream(
		s, "socket", OPTS("host", "127.0.0.1", "port", srv->port));
	cr_assert(in, "%s", sl_session_errmsg(s));
	sl_frame *e = sl_frame_select(
		in, OPTS("CAST(split(value, ',')[0] AS TIMESTAMP) AS timestamp",
			 "split(value, ',')[1] AS word"));
	cr_assert(e, "%s", sl_session_errmsg(s));
	return e;
}
