/* tests/support/clock.h - the tests' clock: milliseconds on CLOCK_MONOTONIC
 * for deadlines, and a sleep that EINTR does not cut short. Compiled once
 * into build/libsltest.a (tests/support/clock.c). */
#ifndef SL_TEST_CLOCK_H
#define SL_TEST_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t sl_test_now_ms(void);
/* Sleeps ms milliseconds, all of them even when a signal comes. */
void sl_test_sleep_ms(int64_t ms);

#endif
