/* tests/support/criterion_san.c - linked into every unit test binary: makes
 * Criterion usable under the sanitizers (see each comment). Without a
 * sanitizer this file defines nothing. */
#include <stddef.h>

#include "tests/support/sanitizer.h"

/* The sanitizer runtimes and BoxFort find these by name at run time, so
 * they must stay visible although the build hides symbols by default. */
#define SL_TEST_VISIBLE __attribute__((visibility("default")))

#if SL_TEST_TSAN
/* Criterion 2.4 cannot start under TSan (a known Criterion limitation): BoxFort
 * places its shared arena at a random 16 MiB slot in [0x2000_0000_0000,
 * 0x7f00_0000_0000) drawn with rand_r, tries a few slots, and nearly all of
 * that range is TSan's shadow or its reserved gaps, so the runner aborts
 * ("Could not initialize inheritable arena"). This rand_r, used only by
 * BoxFort in this binary, draws slots from [0x5500_0000_0000,
 * 0x5680_0000_0000) instead, the one application range TSan leaves free
 * there; BoxFort still skips any slot already mapped. */
SL_TEST_VISIBLE int rand_r(unsigned int *seed);
SL_TEST_VISIBLE int rand_r(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 0x350000 + (int)((*seed >> 8) % 0x18000);
}

/* Criterion ignores a test process's exit status, so a TSan report would
 * otherwise be printed and the test still counted as passing: stop at the
 * first report instead, which fails the test. */
SL_TEST_VISIBLE const char *__tsan_default_options(void);
SL_TEST_VISIBLE const char *__tsan_default_options(void)
{
	return "halt_on_error=1";
}
#endif

#if defined(__SANITIZE_ADDRESS__)
/* The Criterion runner itself leaks a 48-byte block at exit; only that is
 * suppressed, leaks in the tests and in sluice are still reported. */
SL_TEST_VISIBLE const char *__lsan_default_suppressions(void);
SL_TEST_VISIBLE const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}
#endif

