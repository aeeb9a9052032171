/* tests/unit/core_uuid.c - random UUIDs (core/uuid.h), which name a
 * query and the files a file sink writes: their form, their version and
 * variant bits, and that two are not the same. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "core/uuid.h"

Test(uuid, is_a_version_4_rfc_4122_uuid)
{
	char id[37];

	sl_uuid_v4(id);
	cr_assert_eq(strlen(id), 36, "%s", id);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			cr_assert_eq(id[i], '-', "%s", id);
		else
			cr_assert(isxdigit((unsigned char)id[i]) &&
					  !isupper((unsigned char)id[i]),
				  "%s: character %d", id, i);
	}
	cr_assert_eq(id[14], '4', "version: %s", id);
	cr_assert(strchr("89ab", id[19]), "variant: %s", id);
}

Test(uuid, two_differ)
{
	char a[37], b[37];

	sl_uuid_v4(a);
	sl_uuid_v4(b);
	cr_assert_str_neq(a, b);
}
