/* bench/bench_util.h - small helpers the benchmark programs share: clocks,
 * medians, percentiles, peak RSS, removing a scratch directory, and writing
 * figures as JSON.
 *
 * Header-only (static inline): every bench/NAME.c is built as a program of its
 * own (Makefile: $(B)/bench/%), so there is no object to share. Nothing
 * here is timed; it runs before and after the measured loops. */
#ifndef SL_BENCH_UTIL_H
#define SL_BENCH_UTIL_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline int64_t bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void bu_sleep_until(int64_t t_ns)
{
	struct timespec ts = { .tv_sec = t_ns / 1000000000,
			       .tv_nsec = t_ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

static inline void bu_sleep_ms(int64_t ms)
{
	bu_sleep_until(bu_now_ns() + ms * 1000000);
}

static inline int bu_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline int bu_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of n values (sorts v). 0 when n is 0. */
static inline double bu_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), bu_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The p-th percentile (0..100) of n sorted values, nearest rank. */
static inline int64_t bu_pct_sorted(const int64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p / 100.0 * (double)n);
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* A field of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1. */
static inline long bu_status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

static inline int bu_remove_entry(const char *path, const struct stat *st,
				  int kind, struct FTW *walk)
{
	(void)st;
	(void)walk;
	if ((kind == FTW_DP ? rmdir(path) : unlink(path)) == 0 ||
	    errno == ENOENT)
		return 0;
	return -errno;
}

/* Removes a directory and everything below it (a checkpoint a run left);
 * 0 when it is gone or never was. Bench programs do not link the test
 * helpers (tests/support/tmpdir.c), hence a copy of their own. */
static inline int bu_rmtree(const char *path)
{
	int rc;

	if (access(path, F_OK) != 0)
		return 0;
	rc = nftw(path, bu_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc < 0 ? -errno : rc;
}

/* Keeps the optimiser from deleting a computation whose result is unused. */
static inline void bu_keep(int64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

#endif
