/* tests/support/sluice_child.c - the sluice command in a child process
 * (tests/support/sluice_child.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/clock.h"
#include "tests/support/sluice_child.h"

const char *sl_test_child_sluice_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("SLUICE");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/../sluice", dirname(exe));
	return path;
}

void sl_test_child_spawn(sl_test_child *c, const char *const *argv,
			 const char *log)
{
	snprintf(c->log, sizeof(c->log), "%s", log);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	c->pid = pid;
	c->runs++;
}

void sl_test_child_start(sl_test_child *c, const char *file, const char *log)
{
	const char *argv[] = { sl_test_child_sluice_path(), "run", file, NULL };
	sl_test_child_spawn(c, argv, log);
}

void sl_test_child_print_log(const sl_test_child *c)
{
	char cmd[220];
	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2", c->log);
	if (system(cmd))
		return;
}

void sl_test_child_check_alive(sl_test_child *c)
{
	int st;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->pid = 0;
		sl_test_child_print_log(c);
		cr_assert_fail("sluice ended by itself (status %#x) in run %d",
			       st, c->runs);
	}
}

int sl_test_child_wait(sl_test_child *c, int64_t timeout_ms)
{
	int64_t dl = sl_test_now_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(c->pid, &st, WNOHANG);
		if (w == c->pid)
			break;
		if (sl_test_now_ms() > dl) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			c->pid = 0;
			sl_test_child_print_log(c);
			cr_assert_fail("sluice did not end within %lld ms",
				       (long long)timeout_ms);
		}
		sl_test_sleep_ms(10);
	}
	c->pid = 0;
	return st;
}

void sl_test_child_stop(sl_test_child *c, int64_t timeout_ms)
{
	kill(c->pid, SIGTERM);
	int st = sl_test_child_wait(c, timeout_ms);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		sl_test_child_print_log(c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "SIGTERM: a clean exit (status %#x)", st);
}
