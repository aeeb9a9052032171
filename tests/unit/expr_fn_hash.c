/* tests/unit/expr_fn_hash.c - the hash and encoding groups
 * (expr/fn_hash.c, expr/fn_encode.c, expr/fn_digest.c): the digests
 * against the published test vectors (RFC 1321, FIPS 180-4's "abc" and
 * the two-block messages) and PySpark 4's values for Spark's own
 * hashing and encodings. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/expr_fixture.h"

TestSuite(expr_fn_hash, .init = sl_test_expr_setup,
	  .fini = sl_test_expr_teardown);

Test(expr_fn_hash, digests_match_the_standard_vectors)
{
	EXPR_EQ("md5('')", "d41d8cd98f00b204e9800998ecf8427e");
	EXPR_EQ("md5('abc')", "900150983cd24fb0d6963f7d28e17f72");
	EXPR_EQ("md5('12345678901234567890123456789012345678901234567890123456"
		"789012345678901234567890')",
		"57edf4a22be3c955ac49da2e2107b67a");
	EXPR_EQ("sha1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d");
	EXPR_EQ("sha1('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')",
		"84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	EXPR_EQ("sha2('abc', 256)",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPR_EQ("sha2('abc', 0)",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPR_EQ("sha2('abc', 224)",
		"23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
	EXPR_EQ("sha2('abc', 384)",
		"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		"8086072ba1e7cc2358baeca134c825a7");
	EXPR_EQ("sha2('abc', 512)",
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	EXPR_NULL("sha2('abc', 100)");
	EXPR_NULL("md5(ns)");
	EXPR_EQ("crc32('The quick brown fox jumps over the lazy dog')",
		"1095738169");
	EXPR_EQ("md5(X'0102')", "0cb988d042a7f28dd5fe2b55b3f5ac7a");
	EXPR_TYPE("crc32('a')", "bigint");
}

Test(expr_fn_hash, xxhash64_as_spark)
{
	/* Spark's own documented example, then values PySpark gives */
	EXPR_EQ("xxhash64('Spark', array(123), 2)", "5602566077635097486");
	EXPR_EQ("xxhash64(1)", "-6698625589789238999");
	EXPR_EQ("xxhash64(true)", "-6698625589789238999");
	EXPR_EQ("xxhash64(CAST(-1 AS BIGINT))", "3858142552250413010");
	EXPR_EQ("xxhash64('Spark')", "-4294468057691064905");
	EXPR_EQ("xxhash64(NULL)", "42");
	EXPR_EQ("xxhash64(-0.0e0)", "-5252525462095825812");
	EXPR_EQ("xxhash64(0.0e0)", "-5252525462095825812");
	EXPR_TYPE("xxhash64(s)", "bigint");
}

Test(expr_fn_hash, base64_hex)
{
	EXPR_EQ("base64('Spark SQL')", "U3BhcmsgU1FM");
	EXPR_EQ("base64(bin)", "YWL/");
	EXPR_EQ("length(base64(repeat('a', 58)))", "82"); /* 80 + CR LF */
	EXPR_EQ("decode(unbase64('U3Bhcmsg U1FM'), 'utf-8')", "Spark SQL");
	EXPR_EQ("unbase64('QUI')", "[41 42]");
	cr_assert_not_null(strstr(sl_test_expr_eval_error("unbase64('A')"),
				  "enough valid bits"));
	EXPR_EQ("hex(17)", "11");
	EXPR_EQ("hex(i)", "FFFFFFFFFFFFFFFD");
	EXPR_EQ("hex('Spark')", "537061726B");
	EXPR_EQ("unhex('F')", "[0F]");
	EXPR_NULL("unhex('GG')");
	EXPR_EQ("bin(13)", "1101");
	EXPR_EQ("bin(-1)", "1111111111111111111111111111111111111111111111111111"
			   "111111111111");
}

Test(expr_fn_hash, charsets)
{
	EXPR_EQ("hex(encode('a\xc3\xa9', 'UTF-16'))", "FEFF006100E9");
	EXPR_EQ("hex(encode('a\xf0\x9f\x98\x80', 'utf-16le'))", "61003DD800DE");
	EXPR_EQ("hex(encode('a', 'UTF-32'))", "00000061");
	EXPR_EQ("decode(X'FFFE6100', 'UTF-16')", "a");
	EXPR_EQ("decode(X'E9', 'ISO-8859-1')", "\xc3\xa9");
	const char *m = sl_test_expr_eval_error("decode(X'E9', 'US-ASCII')");
	cr_assert_not_null(strstr(m, "MALFORMED_CHARACTER_CODING"), "%s", m);
	m = sl_test_expr_eval_error("decode(X'C0AF', 'utf-8')");
	cr_assert_not_null(strstr(m, "MALFORMED_CHARACTER_CODING"), "%s", m);
	m = sl_test_expr_eval_error("encode('a', 'latin1')");
	cr_assert_not_null(strstr(m, "INVALID_PARAMETER_VALUE.CHARSET"), "%s",
			   m);
}

Test(expr_fn_hash, conv)
{
	EXPR_EQ("conv('100', 2, 10)", "4");
	EXPR_EQ("conv('-10', 16, -10)", "-16");
	EXPR_EQ("conv('-10', 16, 10)", "18446744073709551600");
	EXPR_EQ("conv('12x4', 10, 10)", "12");
	EXPR_NULL("conv('5', 1, 10)");
	EXPR_NULL("conv('', 10, 10)");
	const char *m =
		sl_test_expr_eval_error("conv('ffffffffffffffffff', 16, 10)");
	cr_assert_not_null(strstr(m, "ARITHMETIC_OVERFLOW"), "%s", m);
	sl_test_expr_opts.ansi = false;
	EXPR_EQ("conv('ffffffffffffffffff', 16, 10)", "18446744073709551615");
}
