/* tests/support/sluice_child.h - the sluice command in a child process,
 * for the Kafka tests that run it (`sluice run FILE` in ckpt_relay.c,
 * stateful_kill.c and scale_out.c, `sluice relay` in relay_cli.c under
 * tests/kafka/): started, watched, stopped, its log shown when a test
 * fails. Compiled once into build/libsltest.a. */
#ifndef SL_TEST_SLUICE_CHILD_H
#define SL_TEST_SLUICE_CHILD_H

#include <stdint.h>
#include <sys/types.h>

/* build/sluice: $SLUICE, else next to this binary's directory
 * (build/kafka-test/NAME -> build/sluice). */
const char *sl_test_child_sluice_path(void);

/* A child process of a test, and where its output goes. */
typedef struct sl_test_child {
	pid_t pid;     /* 0: not running */
	int runs;      /* times started */
	char log[160]; /* stdout and stderr, appended across runs */
} sl_test_child;

/* Starts argv[0] with argv (NULL-terminated) in a child process, its
 * stdout and stderr appended to log. The child gets SIGKILL when the
 * test's process ends: a failed assertion ends it without any cleanup,
 * and a sluice left running would hold the broker's cores. */
void sl_test_child_spawn(sl_test_child *c, const char *const *argv,
			 const char *log);

/* Starts `sluice run FILE`, its output appended to log. */
void sl_test_child_start(sl_test_child *c, const char *file, const char *log);

/* The last 30 lines of the child's log, to stderr (a test about to fail
 * shows why). */
void sl_test_child_print_log(const sl_test_child *c);

/* Fails the test if the child died by itself (a crash, a failed query). */
void sl_test_child_check_alive(sl_test_child *c);

/* Waits for the child; returns its wait status. Fails the test if it
 * is not gone within timeout_ms (then kills it). */
int sl_test_child_wait(sl_test_child *c, int64_t timeout_ms);

/* A planned stop: SIGTERM, then a clean exit within timeout_ms. */
void sl_test_child_stop(sl_test_child *c, int64_t timeout_ms);

#endif
