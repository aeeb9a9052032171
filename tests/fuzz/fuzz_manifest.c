/* tests/fuzz/fuzz_manifest.c - libFuzzer target: reading a file sink's
 * manifest log (io/sink_file_manifest.c, sl_file_sink_list), as Spark's
 * and sluice's readers of a sink's output do. The first byte picks the
 * log's files (its low bits) and the bytes are split between them at each
 * "\n--\n": batch files "0", "1", "2" and a compacted "1.compact". The
 * listing must end in file names or an error with a message. */
#include "io/sink_file.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "0", "1", "1.compact", "2" };
	uint8_t k = size ? data[0] : 0;
	char out[256], meta[300], path[400];
	const uint8_t *p = data + (size ? 1 : 0), *end = data + size;
	char **files = NULL;
	size_t n = 0;
	sl_err err = { 0 };

	if (size > 65536)
		return 0;
	snprintf(out, sizeof(out), "%s/out", fuzz_dir());
	fuzz_rmtree(out);
	mkdir(out, 0755);
	snprintf(meta, sizeof(meta), "%s/_spark_metadata", out);
	mkdir(meta, 0755);
	/* Bit i of the first byte: names[i] exists (none: an empty log). */
	for (int i = 0; i < 4; i++) {
		const uint8_t *cut;

		if (!(k & (1u << i)))
			continue;
		cut = memmem(p, (size_t)(end - p), "\n--\n", 4);
		snprintf(path, sizeof(path), "%s/%s", meta, names[i]);
		fuzz_write(path, p, (size_t)((cut ? cut : end) - p));
		p = cut ? cut + 4 : end;
	}
	if (sl_file_sink_list(out, &files, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(files[i], "file %zu of %zu is NULL", i, n);
		sl_file_sink_list_free(files, n);
	} else {
		FUZZ_CHECK(err.msg[0], "listing failed without a message");
	}
	return 0;
}
