/* tests/fuzz/fuzz_csv.c - libFuzzer target: one CSV file through the csv
 * file source (tests/fuzz/records.h), every mode and a few schemas. */
#include "tests/fuzz/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records("csv", data, size);
}
