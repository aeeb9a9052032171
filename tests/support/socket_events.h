/* tests/support/socket_events.h - the event stream of the stateful query
 * tests: lines "2024-01-01 12:07:00,dog" from a line server
 * (tests/support/line_server.h) read by the socket source as (timestamp,
 * word), the input of Spark's windowed-count and late-data examples.
 * Compiled once into build/libsltest.a. */
#ifndef SL_TEST_SOCKET_EVENTS_H
#define SL_TEST_SOCKET_EVENTS_H

#include "sluice.h"
#include "tests/support/line_server.h"

/* The frame (timestamp: timestamp, word: string) over srv's lines; the
 * test fails if it cannot be made. */
sl_frame *sl_test_socket_events(sl_session *s, const struct server *srv);

#endif
