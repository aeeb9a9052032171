/* tests/fuzz/fuzz_parquet.c - libFuzzer target: the Parquet footer and
 * page-header readers (io/parquet_meta.c), read only. The first byte
 * picks which: odd, the bytes are a page header (pq_page_parse); even,
 * they are a footer's FileMetaData (pq_meta_parse), and every schema
 * element of a parsed footer goes through pq_column_type. Each must end
 * in a result or an error, never read outside the bytes (ASan). The
 * corpus holds the footers of Parquet files Spark wrote. */
#include "io/parquet.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t k = size ? data[0] : 0;
	uint8_t *copy;
	sl_arena a;
	sl_err err = { 0 };

	if (size > 1 << 20)
		return 0;
	data++, size = size ? size - 1 : 0;
	/* An exact-size copy, so a read past the end is ASan's to see. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (k & 1) {
		pq_page pg;
		size_t used = 0;

		if (pq_page_parse(copy, size, &pg, &used) == 0)
			FUZZ_CHECK(used <= size, "page header of %zu bytes in %zu",
				   used, size);
	} else {
		pq_meta m;

		sl_arena_init(&a);
		if (pq_meta_parse(copy, size, &m, &a, &err) == 0) {
			for (uint32_t i = 0; i < m.nschema; i++) {
				const sl_dtype *t;
				char why[128];

				(void)pq_column_type(&m.schema[i], &t, why,
						     sizeof(why));
			}
			for (uint32_t g = 0; g < m.nrgs; g++)
				FUZZ_CHECK(m.rgs[g].ncols == 0 ||
						   m.rgs[g].cols,
					   "row group %u has no columns", g);
		} else {
			FUZZ_CHECK(err.msg[0], "footer refused without a "
					       "message");
		}
		sl_arena_free(&a);
	}
	free(copy);
	return 0;
}
