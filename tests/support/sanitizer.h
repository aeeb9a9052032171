/* tests/support/sanitizer.h - whether a test program is built under
 * ThreadSanitizer (make SAN=tsan): SL_TEST_TSAN is 1 then, else 0, for
 * tests that scale their runs down or leave out what TSan cannot see. */
#ifndef SL_TEST_SANITIZER_H
#define SL_TEST_SANITIZER_H

#if defined(__SANITIZE_THREAD__)
#define SL_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SL_TEST_TSAN 1
#endif
#endif
#ifndef SL_TEST_TSAN
#define SL_TEST_TSAN 0
#endif

#endif
