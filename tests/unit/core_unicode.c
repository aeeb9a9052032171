/* tests/unit/core_unicode.c - core/unicode.c: UTF-8 decoding, Spark's
 * upper/lower/initcap, the per-code-point mappings and classes.
 *
 * References: tests/data/unicode_case_spark.tsv and
 * unicode_strings_spark.tsv are Spark 4.3's own output
 * (tools/spark_case_oracle.py); tests/data/unicode_case.tsv is the expected
 * full mappings the tables were generated from (tools/gen_unicode_tables.py,
 * Python's unicodedata). Invalid input is built here, in arrays of exactly
 * its length, so ASan sees any read past the end. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/unicode.h"
#include "sluice.h"

#define NCP 0x110000

/* tests/data next to this file (compiled by its path from the repository
 * root), or SLUICE_TEST_DATA. */
static FILE *open_data(const char *name)
{
	char path[PATH_MAX];
	const char *env = getenv("SLUICE_TEST_DATA");
	char *slash;
	FILE *f;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
	} else {
		snprintf(path, sizeof(path), "%s", __FILE__);
		slash = strrchr(path, '/');
		cr_assert(slash);
		snprintf(slash, sizeof(path) - (size_t)(slash - path),
			 "/../data/%s", name);
	}
	f = fopen(path, "r");
	cr_assert(f, "cannot open %s", path);
	return f;
}

/* A space-separated list of hex code points, as UTF-8 into out. */
static size_t cps_utf8(const char *field, uint8_t *out)
{
	size_t n = 0;
	char *end;

	while (*field) {
		unsigned long cp = strtoul(field, &end, 16);

		cr_assert(end != field);
		n += sl_unicode_encode((uint32_t)cp, out + n);
		field = end;
		while (*field == ' ')
			field++;
	}
	return n;
}

static size_t hex_bytes(const char *hex, uint8_t *out)
{
	size_t n = 0;
	unsigned b;

	if (strcmp(hex, "-") == 0)
		return 0;
	while (hex[0] && hex[1] && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

/* Splits line at tabs into at most 4 fields (the newline dropped). */
static int fields(char *line, char **f)
{
	int n = 0;

	line[strcspn(line, "\n")] = 0;
	f[n++] = line;
	while (n < 4 && (line = strchr(line, '\t'))) {
		*line++ = 0;
		f[n++] = line;
	}
	return n;
}

typedef int64_t (*map_fn)(sl_buf *, const char *, size_t);

/* fn(in) must be want; in is copied to an array of exactly its size. */
static void expect_map(map_fn fn, const char *name, const uint8_t *in, size_t n,
		       const uint8_t *want, size_t wn)
{
	char *copy = malloc(n ? n : 1);
	sl_buf b = { 0 };
	int64_t r;

	memcpy(copy, in, n);
	r = fn(&b, copy, n);
	cr_assert_eq(r, (int64_t)wn,
		     "%s of %zu bytes (first U+%04X): %lld "
		     "bytes, want %zu",
		     name, n, n ? in[0] : 0, (long long)r, wn);
	cr_assert_eq(b.len, wn);
	cr_assert(wn == 0 || memcmp(b.p, want, wn) == 0,
		  "%s: wrong bytes (input starts %02X)", name, n ? in[0] : 0);
	sl_buf_free(&b);
	free(copy);
}

/* ---- decoding ------------------------------------------------------------ */

Test(unicode, decode_every_code_point)
{
	uint8_t u[4];
	uint32_t cp, c;
	bool bad;
	size_t len;

	for (c = 0; c < NCP; c++) {
		len = sl_unicode_encode(c, u);
		cr_assert_eq(len, c < 0x80	? 1
				  : c < 0x800	? 2
				  : c < 0x10000 ? 3
						: 4);
		if (c >= 0xD800 && c <= 0xDFFF) {
			/* An encoded surrogate is three bad bytes. */
			cr_assert_eq(sl_unicode_decode(u, len, &cp, &bad), 1);
			cr_assert(bad);
			cr_assert_eq(cp, u[0]);
			continue;
		}
		cr_assert_eq(sl_unicode_decode(u, len, &cp, &bad), len);
		cr_assert(!bad);
		cr_assert_eq(cp, c);
		/* Every shorter prefix of a multi-byte sequence is truncated.
		 */
		if (len > 1) {
			cr_assert_eq(sl_unicode_decode(u, len - 1, &cp, &bad),
				     1);
			cr_assert(bad);
		}
	}
	cr_assert_eq(sl_unicode_decode(u, 0, &cp, &bad), 0);
}

/* Bad sequences, each with how many code points (bad bytes or not) it
 * decodes to. */
static const struct {
	const char *bytes;
	size_t n, cps;
} bad_cases[] = {
	{ "\x80", 1, 1 }, /* stray continuation */
	{ "\xBF\x80", 2, 2 },
	{ "\xC0\x80", 2, 2 },	  /* overlong NUL */
	{ "\xC1\xBF", 2, 2 },	  /* overlong 0x7F */
	{ "\xE0\x80\x80", 3, 3 }, /* overlong, three bytes */
	{ "\xE0\x9F\xBF", 3, 3 },
	{ "\xF0\x80\x80\x80", 4, 4 }, /* overlong, four bytes */
	{ "\xF0\x8F\xBF\xBF", 4, 4 },
	{ "\xED\xA0\x80", 3, 3 },     /* U+D800 */
	{ "\xED\xBF\xBF", 3, 3 },     /* U+DFFF */
	{ "\xF4\x90\x80\x80", 4, 4 }, /* U+110000 */
	{ "\xF5\x80\x80\x80", 4, 4 },
	{ "\xFE", 1, 1 },
	{ "\xFF", 1, 1 },
	{ "\xC3", 1, 1 }, /* truncated at the end */
	{ "\xE2\x82", 2, 2 },
	{ "\xF0\x9F\x98", 3, 3 },
	{ "\xC3x", 2, 2 },		  /* truncated by ASCII */
	{ "\xE2\x82\xE2\x82\xAC", 5, 3 }, /* truncated, then a euro */
	{ "\xC3\xA9\xA9", 3, 2 },	  /* é and a stray byte */
};

Test(unicode, invalid_bytes_counted_and_flagged)
{
	for (size_t k = 0; k < sizeof(bad_cases) / sizeof(bad_cases[0]); k++) {
		size_t n = bad_cases[k].n;
		char *s = malloc(n);

		memcpy(s, bad_cases[k].bytes, n);
		cr_assert_eq(sl_unicode_length(s, n), bad_cases[k].cps,
			     "case %zu", k);
		cr_assert(!sl_unicode_valid(s, n), "case %zu", k);
		free(s);
	}
	cr_assert(
		sl_unicode_valid("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10));
	cr_assert_eq(
		sl_unicode_length("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10),
		4);
	cr_assert_eq(sl_unicode_length("", 0), 0);
	cr_assert_eq(sl_unicode_length("0123456789abcdefg", 17), 17);
}

Test(unicode, invalid_bytes_pass_through)
{
	static const map_fn fns[] = { sl_unicode_upper, sl_unicode_lower,
				      sl_unicode_initcap };

	for (size_t k = 0; k < sizeof(bad_cases) / sizeof(bad_cases[0]); k++) {
		const char *b = bad_cases[k].bytes;
		size_t n = bad_cases[k].n;
		uint8_t in[64], want[64];
		size_t len = 0;

		/* Alone: every function returns the bytes as they were
		 * (the ASCII 'x' of one case aside). */
		for (int f = 0; f < 3; f++) {
			memcpy(want, b, n);
			for (size_t i = 0; i < n; i++)
				if (want[i] == 'x' && f == 0)
					want[i] = 'X';
			/* é (upper and initcap: É) before its stray byte */
			if (b[0] == '\xC3' && n > 1 && b[1] == '\xA9' && f != 1)
				want[1] = 0x89;
			expect_map(fns[f], "bad alone", (const uint8_t *)b, n,
				   want, n);
		}
		/* Between letters: "ßΣ" + bad + "Σa": the bad bytes stay, the
		 * sigma before them is final (a bad byte is not cased), the
		 * one after is not (nothing cased before it). */
		memcpy(in, "\xC3\x9F\xCE\xA3", 4);
		memcpy(in + 4, b, n);
		memcpy(in + 4 + n,
		       "\xCE\xA3"
		       "a",
		       3);
		len = 7 + n;
		memcpy(want, "SS\xCE\xA3", 4);
		memcpy(want + 4, b, n);
		for (size_t i = 4; i < 4 + n; i++)
			if (want[i] == 'x')
				want[i] = 'X';
		if (b[0] == '\xC3' && n > 1 && b[1] == '\xA9')
			want[5] = 0x89; /* É */
		memcpy(want + 4 + n,
		       "\xCE\xA3"
		       "A",
		       3);
		expect_map(sl_unicode_upper, "upper bad", in, len, want, len);
		memcpy(want, "\xC3\x9F\xCF\x82", 4);
		memcpy(want + 4, b, n);
		memcpy(want + 4 + n,
		       "\xCF\x83"
		       "a",
		       3);
		/* A case that starts with a cased letter (é) makes the first
		 * sigma not final. */
		if (b[0] == '\xC3' && n > 1 && b[1] == '\xA9')
			want[3] = 0x83;
		expect_map(sl_unicode_lower, "lower bad", in, len, want, len);
	}
}

/* ---- every code point, against Spark ------------------------------------ */

typedef struct {
	uint8_t u[16], l[16], t[16];
	uint8_t un, ln, tn;
	bool set;
} cp_vec;

static cp_vec *load_cp_vectors(const char *name, size_t *rows)
{
	cp_vec *v = calloc(NCP, sizeof(*v));
	char line[512], *f[4];
	FILE *fp = open_data(name);

	*rows = 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long cp;

		if (line[0] == '#')
			continue;
		cr_assert_eq(fields(line, f), 4);
		cp = strtoul(f[0], NULL, 16);
		cr_assert_lt(cp, NCP);
		v[cp].un = (uint8_t)cps_utf8(f[1], v[cp].u);
		v[cp].ln = (uint8_t)cps_utf8(f[2], v[cp].l);
		v[cp].tn = (uint8_t)cps_utf8(f[3], v[cp].t);
		v[cp].set = true;
		(*rows)++;
	}
	fclose(fp);
	return v;
}

Test(unicode, every_code_point_as_spark_maps_it, .timeout = 120)
{
	size_t rows;
	cp_vec *v = load_cp_vectors("unicode_case_spark.tsv", &rows);
	uint8_t in[4];
	size_t n, checked = 0;

	cr_assert_gt(rows, 2900);
	for (uint32_t c = 0; c < NCP; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = sl_unicode_encode(c, in);
		if (!v[c].set) {
			expect_map(sl_unicode_upper, "upper", in, n, in, n);
			expect_map(sl_unicode_lower, "lower", in, n, in, n);
			expect_map(sl_unicode_initcap, "initcap", in, n, in, n);
		} else {
			expect_map(sl_unicode_upper, "upper", in, n, v[c].u,
				   v[c].un);
			expect_map(sl_unicode_lower, "lower", in, n, v[c].l,
				   v[c].ln);
			expect_map(sl_unicode_initcap, "initcap", in, n, v[c].t,
				   v[c].tn);
		}
		checked++;
	}
	cr_assert_eq(checked, NCP - 0x800);
	free(v);
}

/* The per-code-point full mappings against the generator's vectors, and
 * the simple ones against them where the full mapping is one code point. */
Test(unicode, per_code_point_mappings, .timeout = 60)
{
	size_t rows;
	cp_vec *v = load_cp_vectors("unicode_case.tsv", &rows);
	uint32_t to[3];
	uint8_t got[16], in[4];
	size_t m, gn;

	for (uint32_t c = 0; c < NCP; c++) {
		size_t (*full[3])(uint32_t,
				  uint32_t *) = { sl_unicode_full_upper,
						  sl_unicode_full_lower,
						  sl_unicode_full_title };
		uint32_t (*simple[3])(uint32_t) = { sl_unicode_simple_upper,
						    sl_unicode_simple_lower,
						    sl_unicode_simple_title };
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		for (int k = 0; k < 3; k++) {
			const uint8_t *want = k == 0   ? v[c].u
					      : k == 1 ? v[c].l
						       : v[c].t;
			size_t wn = k == 0   ? v[c].un
				    : k == 1 ? v[c].ln
					     : v[c].tn;

			if (!v[c].set) {
				wn = sl_unicode_encode(c, in);
				want = in;
			}
			m = full[k](c, to);
			gn = 0;
			for (size_t j = 0; j < m; j++)
				gn += sl_unicode_encode(to[j], got + gn);
			cr_assert(gn == wn && memcmp(got, want, wn) == 0,
				  "full mapping %d of U+%04X", k, c);
			if (m == 1)
				cr_assert_eq(simple[k](c), to[0], "U+%04X", c);
		}
	}
	free(v);
	/* Simple mappings of code points whose full one is longer. */
	cr_assert_eq(sl_unicode_simple_upper(0xDF), 0xDF);     /* ß */
	cr_assert_eq(sl_unicode_simple_upper(0x1FB3), 0x1FBC); /* ᾳ -> ᾼ */
	cr_assert_eq(sl_unicode_simple_upper(0x1F80), 0x1F88);
	cr_assert_eq(sl_unicode_simple_upper(0x1F88), 0x1F88);
	cr_assert_eq(sl_unicode_simple_lower(0x130), 'i');
	cr_assert_eq(sl_unicode_simple_upper(0x1C5), 0x1C4); /* ǅ -> Ǆ */
	cr_assert_eq(sl_unicode_simple_title(0x1C6), 0x1C5); /* ǆ -> ǅ */
	cr_assert_eq(sl_unicode_simple_title(0xFB01), 0xFB01);
	cr_assert_eq(sl_unicode_simple_upper(0x110000), 0x110000);
	cr_assert_eq(sl_unicode_simple_lower(0xFFFFFFFF), 0xFFFFFFFF);
}

/* ---- strings, against Spark ---------------------------------------------- */

Test(unicode, strings_as_spark_maps_them)
{
	char line[4096], *f[4];
	uint8_t in[1024], u[1024], l[1024], t[1024];
	size_t n, un, ln, tn, rows = 0;
	FILE *fp = open_data("unicode_strings_spark.tsv");

	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#')
			continue;
		cr_assert_eq(fields(line, f), 4);
		n = hex_bytes(f[0], in);
		un = hex_bytes(f[1], u);
		ln = hex_bytes(f[2], l);
		tn = hex_bytes(f[3], t);
		expect_map(sl_unicode_upper, "upper", in, n, u, un);
		expect_map(sl_unicode_lower, "lower", in, n, l, ln);
		expect_map(sl_unicode_initcap, "initcap", in, n, t, tn);
		rows++;
	}
	fclose(fp);
	cr_assert_gt(rows, 80);
}

static void check(map_fn fn, const char *in, const char *want)
{
	expect_map(fn, in, (const uint8_t *)in, strlen(in),
		   (const uint8_t *)want, strlen(want));
}

Test(unicode, special_cases)
{
	check(sl_unicode_upper, "straße", "STRASSE");
	check(sl_unicode_upper, "ŉ", "ʼN");
	check(sl_unicode_upper, "ǰ", "J\xCC\x8C");
	check(sl_unicode_upper, "ΐ", "\xCE\x99\xCC\x88\xCC\x81");
	check(sl_unicode_upper, "ﬁ ﬂ ﬃ", "FI FL FFI");
	check(sl_unicode_lower, "İ", "i\xCC\x87");
	check(sl_unicode_upper, "i", "I"); /* no Turkish rule */
	check(sl_unicode_lower, "I", "i");
	check(sl_unicode_lower, "ΟΔΥΣΣΕΥΣ", "οδυσσευς");
	check(sl_unicode_lower, "ΑΣ ΑΣ.", "ας ας.");
	check(sl_unicode_lower, "Σ", "σ");
	check(sl_unicode_lower, "Α1Σ", "α1σ");
	check(sl_unicode_lower, "Α'Σ", "α'ς");
	check(sl_unicode_lower, "ΑΣ'Α", "ασ'α");
	check(sl_unicode_initcap, "ﬁsh ßig ǆx", "Fish Ssig ǅx");
	check(sl_unicode_initcap, "hELLO\twORLD  x", "Hello\tworld  X");
	check(sl_unicode_initcap, "İX ΑΣ", "İx Ας");
	check(sl_unicode_initcap, "", "");
}

/* ---- a reference, one code point at a time ------------------------------- */

/* The rules of core/unicode.h spelled out slowly over decoded code points,
 * to check the chunked, word-at-a-time functions on random input. */
static size_t slow_map(int mode, const uint8_t *s, size_t n, uint8_t *o)
{
	size_t i = 0, w = 0, len, m;
	uint32_t cp, to[3];
	bool bad, word = true;

	while (i < n) {
		len = sl_unicode_decode(s + i, n - i, &cp, &bad);
		if (bad) {
			o[w++] = s[i++];
			word = false;
			continue;
		}
		if (mode == 0) {
			m = sl_unicode_full_upper(cp, to);
		} else if (mode == 2 && word) {
			m = sl_unicode_full_title(cp, to);
		} else if (cp == 0x3A3) {
			/* Before: the last code point that is not ignorable. */
			bool before = false, after = false;
			size_t j = 0, l2;
			uint32_t c2;
			bool b2;

			while (j < i) {
				l2 = sl_unicode_decode(s + j, i - j, &c2, &b2);
				if (b2)
					before = false;
				else if (!sl_unicode_is_case_ignorable(c2))
					before = sl_unicode_is_cased(c2);
				j += l2;
			}
			for (j = i + len; j < n; j += l2) {
				l2 = sl_unicode_decode(s + j, n - j, &c2, &b2);
				if (b2)
					break;
				if (!sl_unicode_is_case_ignorable(c2)) {
					after = sl_unicode_is_cased(c2);
					break;
				}
			}
			to[0] = before && !after ? 0x3C2 : 0x3C3;
			m = 1;
		} else {
			m = sl_unicode_full_lower(cp, to);
		}
		for (size_t k = 0; k < m; k++)
			w += sl_unicode_encode(to[k], o + w);
		word = cp == ' ';
		i += len;
	}
	return w;
}

Test(unicode, random_input_matches_reference, .timeout = 120)
{
	static const char *pieces[] = {
		"a",
		"Z",
		" ",
		"  ",
		"q",
		"Σ",
		"ς",
		"ß",
		"İ",
		"ǆ",
		"ΐ",
		"ﬁ",
		"'",
		".",
		"1",
		"\xCC\x81",
		"\xC3",
		"\x80",
		"\xE2\x82",
		"\xF0\x9F",
		"\xED\xA0\x80",
		"\xC0\xAF",
		"\xF4\x90\x80\x80",
		"𐐨",
		"Ꭰ",
		"ᾳ",
		"hello world ",
		"THE QUICK BROWN FOX ",
		"\t",
		"é",
		"\xFF",
	};
	static const map_fn fns[] = { sl_unicode_upper, sl_unicode_lower,
				      sl_unicode_initcap };
	uint8_t *in = malloc(5000), *want = malloc(15000);
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		size_t n = 0, target;

		seed = seed * 1103515245u + 12345u;
		/* Long inputs too: past one chunk (1,024 bytes). */
		target = round % 10 == 0 ? 2500 : (seed >> 16) % 40;
		while (n < target) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = pieces[(seed >> 16) %
				   (sizeof(pieces) / sizeof(pieces[0]))];
			if (n + strlen(p) > 4900)
				break;
			memcpy(in + n, p, strlen(p));
			n += strlen(p);
		}
		for (int f = 0; f < 3; f++) {
			size_t wn = slow_map(f, in, n, want);

			expect_map(fns[f], "random", in, n, want, wn);
		}
		{
			size_t cps = 0, i = 0;
			uint32_t cp;
			bool bad;

			while (i < n) {
				i += sl_unicode_decode(in + i, n - i, &cp,
						       &bad);
				cps++;
			}
			cr_assert_eq(sl_unicode_length((char *)in, n), cps);
		}
	}
	free(in);
	free(want);
}

/* ---- buffers --------------------------------------------------------------
 */

Test(unicode, fixed_buffer_counts_what_did_not_fit)
{
	char mem[8];
	sl_buf b;
	int64_t r;

	sl_buf_fixed(&b, mem, sizeof(mem));
	r = sl_unicode_upper(&b, "straße straße", strlen("straße straße"));
	cr_assert_eq(r, 15);
	cr_assert_eq(b.len, 15);
	cr_assert_str_eq(sl_buf_cstr(&b), "STRASSE");

	sl_buf_fixed(&b, mem, sizeof(mem));
	r = sl_unicode_lower(&b, "ABC", 3);
	cr_assert_eq(r, 3);
	cr_assert_str_eq(sl_buf_cstr(&b), "abc");
}

/* A fixed buffer just big enough for a long result: the chunks that fit
 * are written in place, the last ones through the spare array. */
Test(unicode, fixed_buffer_long_input)
{
	static char in[3000], mem[3001], mixed[3000], mem2[3400];
	sl_buf b;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('a' + i % 26);
	sl_buf_fixed(&b, mem, sizeof(mem));
	cr_assert_eq(sl_unicode_upper(&b, in, sizeof(in)), 3000);
	for (size_t i = 0; i < sizeof(in); i++)
		cr_assert_eq(mem[i], 'A' + i % 26);
	/* ŉ (two bytes) every twenty: 150 of them upper to ʼN (three). */
	for (size_t i = 0; i < sizeof(mixed); i += 20) {
		memcpy(mixed + i, "\xC5\x89", 2);
		memset(mixed + i + 2, 'x', 18);
	}
	sl_buf_fixed(&b, mem2, sizeof(mem2));
	cr_assert_eq(sl_unicode_upper(&b, mixed, sizeof(mixed)), 3150);
	for (size_t i = 0; i < 3150; i += 21) {
		cr_assert_eq(memcmp(mem2 + i, "\xCA\xBCN", 3), 0);
		for (size_t k = 3; k < 21; k++)
			cr_assert_eq(mem2[i + k], 'X');
	}
	cr_assert_eq(memcmp(mem2 + 3150 - 4, "XXXX", 4), 0);
	/* Too small: counted, not written past. */
	sl_buf_fixed(&b, mem2, 100);
	cr_assert_eq(sl_unicode_upper(&b, mixed, sizeof(mixed)), 3150);
	cr_assert_eq(strlen(sl_buf_cstr(&b)), 99);
	sl_buf b2 = { 0 };
	cr_assert_eq(sl_unicode_lower(&b2, NULL, 0), 0);
	sl_buf_free(&b2);
}

Test(unicode, appends_to_what_is_there)
{
	sl_buf b = { 0 };

	sl_buf_puts(&b, "x=");
	cr_assert_eq(sl_unicode_initcap(&b, "ab cd", 5), 5);
	cr_assert_str_eq(sl_buf_cstr(&b), "x=Ab Cd");
	sl_buf_free(&b);
}

Test(unicode, too_long_is_refused)
{
	sl_buf b = { 0 };

	/* Refused before any byte is read. */
	cr_assert_eq(sl_unicode_upper(&b, "", SL_UNICODE_MAX_INPUT + 1),
		     SL_EINVAL);
	cr_assert_eq(b.len, 0);
	sl_buf_free(&b);
}

/* ---- classes ---------------------------------------------------------------
 */

Test(unicode, classes_as_java)
{
	/* Character.isWhitespace */
	static const uint32_t ws[] = { 9,      10,     11,     12,     13,
				       0x1C,   0x1D,   0x1E,   0x1F,   ' ',
				       0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
				       0x2004, 0x2005, 0x2006, 0x2008, 0x2009,
				       0x200A, 0x2028, 0x2029, 0x205F, 0x3000 };
	static const uint32_t not_ws[] = {
		0, 8, 0x0E, 0x85, 0xA0, 0x2007, 0x202F, 0x200B, 0xFEFF, 'a'
	};
	size_t n_ws = 0;

	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
		cr_assert(sl_unicode_is_whitespace(ws[i]), "U+%04X", ws[i]);
	for (size_t i = 0; i < sizeof(not_ws) / sizeof(not_ws[0]); i++)
		cr_assert(!sl_unicode_is_whitespace(not_ws[i]), "U+%04X",
			  not_ws[i]);
	for (uint32_t c = 0; c < NCP; c++)
		n_ws += sl_unicode_is_whitespace(c);
	cr_assert_eq(n_ws, sizeof(ws) / sizeof(ws[0]));

	cr_assert(sl_unicode_is_letter('a') && sl_unicode_is_letter('Z'));
	cr_assert(!sl_unicode_is_letter('1') && !sl_unicode_is_letter('_'));
	cr_assert(sl_unicode_is_letter(0xDF) && sl_unicode_is_letter(0x4E00));
	cr_assert(sl_unicode_is_letter(0x2B0)); /* Lm */
	cr_assert(sl_unicode_is_letter(0x10428));
	cr_assert(!sl_unicode_is_letter(0x301) && !sl_unicode_is_letter(0xD7));
	cr_assert(sl_unicode_is_digit('0') && sl_unicode_is_digit(0x660));
	cr_assert(sl_unicode_is_digit(0xFF19) && sl_unicode_is_digit(0x1D7CE));
	cr_assert(!sl_unicode_is_digit(0xB2) && !sl_unicode_is_digit(0x2160));
	cr_assert(!sl_unicode_is_digit('a'));
	cr_assert(sl_unicode_is_cased('a') && sl_unicode_is_cased(0x3A3));
	cr_assert(sl_unicode_is_cased(0x2B0) == false); /* ignorable first */
	cr_assert(sl_unicode_is_case_ignorable('\'') &&
		  sl_unicode_is_case_ignorable('.') &&
		  sl_unicode_is_case_ignorable(0x301) &&
		  sl_unicode_is_case_ignorable(0xAD));
	cr_assert(!sl_unicode_is_case_ignorable('1') &&
		  !sl_unicode_is_case_ignorable('-'));
	cr_assert_eq(sl_unicode_classes(0x110000), 0);
	cr_assert_eq(sl_unicode_class_runs[0] >> 8, 0);
}
