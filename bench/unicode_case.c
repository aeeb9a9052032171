/* bench/unicode_case.c - throughput of core/unicode.c's upper, lower and
 * initcap, beside a plain byte-at-a-time ASCII toupper loop measured in the
 * same run.
 *
 *   build/bench/unicode_case [--mb N] [--reps N]
 *
 * Inputs (N MiB each, 8 by default): ASCII words of mixed case; mixed
 * text, half ASCII words and half German, French, Greek, Russian, Turkish
 * and Chinese ones; and the ASCII text as 24-byte rows, one call per row
 * into a reused buffer, as an expression over a column would make them.
 * Prints MB/s of input (10^6 bytes) per second of the thread's CPU time,
 * the median of the repetitions. Not in
 * bench/run.sh's suite: run it by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/unicode.h"

static const char *ascii_words[] = { "the",   "Quick", "BROWN",	   "fox",
				     "jumps", "over",  "Lazy",	   "dogs",
				     "Spark", "SQL",   "stream42", "x" };
static const char *other_words[] = { "straße", "Größe",	 "élève",  "ΟΔΥΣΣΕΥΣ",
				     "λόγος",  "Москва", "привет", "İstanbul",
				     "ılık",   "数据流", "ﬁnal",   "ǆungla" };

static char *make_text(size_t size, bool mixed, unsigned seed)
{
	char *t = malloc(size);
	size_t n = 0;

	while (n < size) {
		const char *w;
		size_t len;

		seed = seed * 1103515245u + 12345u;
		w = mixed && (seed >> 20) % 2 ? other_words[(seed >> 8) % 12]
					      : ascii_words[(seed >> 8) % 12];
		len = strlen(w);
		if (n + len + 1 > size)
			break;
		memcpy(t + n, w, len);
		n += len;
		t[n++] = ' ';
	}
	memset(t + n, ' ', size - n);
	return t;
}

typedef int64_t (*map_fn)(sl_buf *, const char *, size_t);

/* CPU time of this thread: the machines are shared (bench/run.sh), and
 * time spent waiting for a core would count against the code measured. */
static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Seconds for one pass of fn over text, whole or as rows of `row` bytes. */
static double run_fn(map_fn fn, const char *text, size_t size, size_t row,
		     sl_buf *out)
{
	int64_t t0 = cpu_ns(), sum = 0;

	if (!row) {
		sl_buf_reset(out);
		sum += fn(out, text, size);
	} else {
		for (size_t i = 0; i + row <= size; i += row) {
			sl_buf_reset(out);
			sum += fn(out, text + i, row);
		}
	}
	bu_keep(sum);
	return (double)(cpu_ns() - t0) / 1e9;
}

/* The baseline: what a C programmer writes for ASCII upper case. */
static double run_baseline(const char *text, size_t size, char *dst)
{
	int64_t t0 = cpu_ns();

	for (size_t i = 0; i < size; i++) {
		char c = text[i];

		dst[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	bu_keep(dst[size / 2]);
	return (double)(cpu_ns() - t0) / 1e9;
}

static double run_length(const char *text, size_t size)
{
	int64_t t0 = cpu_ns();

	bu_keep((int64_t)sl_unicode_length(text, size));
	return (double)(cpu_ns() - t0) / 1e9;
}

static void report(const char *what, double *sec, int reps, size_t size)
{
	double med = bu_median(sec, reps);

	printf("%-34s %9.0f MB/s\n", what, (double)size / 1e6 / med);
}

int main(int argc, char **argv)
{
	size_t mb = 8, size;
	int reps = 5;
	char *ascii, *mixed, *dst;
	double sec[64];
	sl_buf out = { 0 };
	static const struct {
		const char *name;
		map_fn fn;
	} fns[] = { { "upper", sl_unicode_upper },
		    { "lower", sl_unicode_lower },
		    { "initcap", sl_unicode_initcap } };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = (size_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--mb N] [--reps N]\n",
				argv[0]);
			return 2;
		}
	}
	if (mb < 1 || mb > 1024 || reps < 1 || reps > 64) {
		fprintf(stderr, "--mb 1..1024, --reps 1..64\n");
		return 2;
	}
	size = mb << 20;
	ascii = make_text(size, false, 1);
	mixed = make_text(size, true, 2);
	dst = malloc(size);
	printf("unicode_case: %zu MiB inputs, median of %d, tables %s\n", mb,
	       reps, sl_unicode_table_version);

	for (int r = 0; r < reps; r++)
		sec[r] = run_baseline(ascii, size, dst);
	report("ASCII toupper loop (baseline)", sec, reps, size);
	for (size_t f = 0; f < 3; f++) {
		char what[64];

		for (int r = 0; r < reps; r++)
			sec[r] = run_fn(fns[f].fn, ascii, size, 0, &out);
		snprintf(what, sizeof(what), "%s, ASCII", fns[f].name);
		report(what, sec, reps, size);
		for (int r = 0; r < reps; r++)
			sec[r] = run_fn(fns[f].fn, ascii, size, 24, &out);
		snprintf(what, sizeof(what), "%s, ASCII 24-byte rows",
			 fns[f].name);
		report(what, sec, reps, size);
		for (int r = 0; r < reps; r++)
			sec[r] = run_fn(fns[f].fn, mixed, size, 0, &out);
		snprintf(what, sizeof(what), "%s, mixed", fns[f].name);
		report(what, sec, reps, size);
	}
	for (int r = 0; r < reps; r++)
		sec[r] = run_length(ascii, size);
	report("length, ASCII", sec, reps, size);
	for (int r = 0; r < reps; r++)
		sec[r] = run_length(mixed, size);
	report("length, mixed", sec, reps, size);
	sl_buf_free(&out);
	free(ascii);
	free(mixed);
	free(dst);
	return 0;
}
