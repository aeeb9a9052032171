/* tests/unit/core_buf.c - core/buf.h's one growable buffer in its three
 * places (malloc'd, arena, a caller's fixed array): text and binary puts,
 * padding, and the fixed mode's snprintf contract (bytes past the end are
 * counted, not stored). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sluice.h"

Test(buf, malloc_mode_grows_and_hands_over)
{
	sl_buf b = { 0 };

	for (int i = 0; i < 100; i++)
		sl_buf_printf(&b, "%d,", i % 10);
	sl_buf_fill(&b, '-', 3);
	cr_assert_eq(b.len, 203);
	char *s = sl_buf_take(&b);
	cr_assert_eq(strncmp(s, "0,1,2,", 6), 0);
	cr_assert_str_eq(s + 198, "9,---");
	cr_assert_eq(b.len, 0);
	cr_assert_null(b.p);
	free(s);
}

Test(buf, arena_mode_lives_in_the_arena)
{
	sl_arena a;
	sl_buf b;

	sl_arena_init(&a);
	sl_buf_init(&b, &a, 4);
	sl_buf_puts(&b, "abc");
	sl_buf_fill(&b, ' ', 40);
	sl_buf_putc(&b, '|');
	cr_assert_eq(b.len, 44);
	cr_assert_eq(strlen(sl_buf_cstr(&b)), 44);
	cr_assert_eq(b.s[43], '|');
	sl_arena_free(&a); /* owns every byte: ASan sees no leak */
}

Test(buf, fixed_mode_counts_what_does_not_fit)
{
	char mem[8];
	sl_buf b;

	sl_buf_fixed(&b, mem, sizeof(mem));
	sl_buf_puts(&b, "abcd");
	sl_buf_fill(&b, '.', 6);
	sl_buf_printf(&b, "%d", 12345);
	cr_assert_eq(b.len, 15);
	cr_assert_str_eq(sl_buf_cstr(&b), "abcd...");
	cr_assert_null(sl_buf_reserve(&b, 1));

	sl_buf_fixed(&b, NULL, 0); /* sizing only, as snprintf(NULL, 0) */
	sl_buf_puts(&b, "sized");
	cr_assert_eq(b.len, 5);
	cr_assert_str_eq(sl_buf_cstr(&b), "");
}

Test(buf, binary_puts_are_little_endian_and_leb128)
{
	sl_buf b = { 0 };

	sl_buf_put_u8(&b, 0xab);
	sl_buf_put_u32(&b, 0x01020304);
	sl_buf_put_varint(&b, 300);
	const uint8_t want[] = { 0xab, 4, 3, 2, 1, 0xac, 0x02 };
	cr_assert_eq(b.len, sizeof(want));
	cr_assert_eq(memcmp(b.p, want, sizeof(want)), 0);
	sl_buf_free(&b);
}

/* RFC 4648's test vectors. */
Test(buf, base64)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
					  "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
					   "Zm9vYg==", "Zm9vYmE=",
					   "Zm9vYmFy" };
	for (int i = 0; i < 7; i++) {
		sl_buf b = { 0 };
		sl_buf_put_base64(&b, (const uint8_t *)in[i], strlen(in[i]));
		cr_assert_str_eq(sl_buf_cstr(&b), out[i]);
		sl_buf_free(&b);
	}
	sl_buf b = { 0 };
	const uint8_t bin[] = { 0xff, 0x00, 0xfe };
	sl_buf_put_base64(&b, bin, 3);
	cr_assert_str_eq(sl_buf_cstr(&b), "/wD+");
	sl_buf_free(&b);
}
