/* tests/fuzz/fuzz_json.c - libFuzzer target: one JSON-lines file through
 * the json file source (tests/fuzz/records.h), every mode and a few
 * schemas. */
#include "tests/fuzz/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records("json", data, size);
}
