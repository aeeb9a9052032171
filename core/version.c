/* core/version.c - the library's version, for a program to compare with
 * the header it was built with (include/sluice.h, SL_VERSION_NUM). */
#include "sluice.h"

int sl_version(void)
{
	return SL_VERSION_NUM;
}

const char *sl_version_str(void)
{
	return SLUICE_VERSION;
}
