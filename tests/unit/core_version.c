/* tests/unit/core_version.c - the library's version agrees with its
 * header's (core/version.c, include/sluice.h). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "sluice.h"

Test(version, library_and_header_agree)
{
	char text[32];
	snprintf(text, sizeof(text), "%d.%d.%d", SL_VERSION_MAJOR,
		 SL_VERSION_MINOR, SL_VERSION_PATCH);
	cr_assert_str_eq(SLUICE_VERSION, text);
	cr_assert_str_eq(sl_version_str(), SLUICE_VERSION);
	cr_assert_eq(sl_version(), SL_VERSION_NUM);
	cr_assert_eq(SL_VERSION(1, 2, 3), 0x010203);
	cr_assert(SL_VERSION_NUM >= SL_VERSION(0, 1, 0));
	cr_assert(SL_VERSION_NUM < SL_VERSION(SL_VERSION_MAJOR + 1, 0, 0));
}
