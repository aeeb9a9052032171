/* tests/fuzz/records.h - the body of the file-records targets
 * (fuzz_csv.c, fuzz_json.c): the input's first byte picks the options
 * (mode, schema, and for CSV header and separator), the rest is the file,
 * read through the file source's ops as the engine reads micro-batch 0.
 * Every mode must end in rows or a clear error, never a crash. */
#ifndef SL_TEST_FUZZ_RECORDS_H
#define SL_TEST_FUZZ_RECORDS_H

#include "tests/fuzz/fuzz.h"

static const char *const fuzz_modes[] = { "PERMISSIVE", "DROPMALFORMED",
					  "FAILFAST" };
static const char *const fuzz_schemas[2][4] = {
	{
		/* csv: atomic types only */
		"a INT, b STRING, c DOUBLE",
		"a BIGINT, b BOOLEAN, c DATE, d TIMESTAMP, "
		"_corrupt_record STRING",
		"s STRING",
		"f FLOAT, _corrupt_record STRING, ts TIMESTAMP, i INT",
	},
	{
		/* json: nested ones too */
		"a INT, b STRING, c DOUBLE",
		"a BIGINT, b BOOLEAN, c DATE, d TIMESTAMP, "
		"_corrupt_record STRING",
		"s STRING, n ARRAY<INT>, t STRUCT<x: INT, y: ARRAY<STRING>>",
		"b BINARY, f FLOAT, ts TIMESTAMP, _corrupt_record STRING",
	},
};

static int fuzz_records(const char *format, const uint8_t *data, size_t size)
{
	char dir[256], file[300];
	uint8_t k = size ? data[0] : 0;
	const char *kv[12] = { "path", dir, "mode", fuzz_modes[k % 3],
			       "schema",
			       fuzz_schemas[strcmp(format, "csv") != 0][(k >> 2) % 4] };
	int n = 6;
	sl_arena arena;
	sl_err err = { 0 };
	sl_source src;
	sl_source_part p;

	if (!strcmp(format, "csv")) {
		if (k & 0x10) {
			kv[n++] = "header";
			kv[n++] = "true";
		}
		kv[n++] = "sep";
		kv[n++] = (k & 0x40) ? ";" : ",";
	}
	kv[n] = NULL;
	snprintf(dir, sizeof(dir), "%s/in", fuzz_dir());
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/part.%s", dir, format);
	fuzz_write(file, data + (size ? 1 : 0), size ? size - 1 : 0);
	sl_arena_init(&arena);
	if (fuzz_source_make(sl_source_lookup(format), kv, &src, &arena,
			     &err) == 0) {
		int rc = fuzz_source_drain(&src, &p);

		FUZZ_CHECK(rc == 0 || p.err.msg[0], "error %d without a message",
			   rc);
		src.ops->destroy(&src);
	} else {
		FUZZ_CHECK(0, "source setup failed: %s", err.msg);
	}
	sl_arena_free(&arena);
	return 0;
}

#endif
