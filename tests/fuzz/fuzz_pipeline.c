/* tests/fuzz/fuzz_pipeline.c - libFuzzer target: a pipeline file (sql/)
 * through sl_pipeline_load, as `sluice validate` reads it: the lexer, the
 * parser, the builder (sources, views, the queries' frames: options,
 * schemas and every expression bound) and the plan's description. It
 * must end in a plan or an error naming the place, never a crash. Files
 * naming Kafka are skipped: their sources ask a cluster for metadata,
 * which this target has not got. Relative paths a file names resolve
 * against the working directory: tests/fuzz/run.sh runs each target in a
 * scratch directory of its own. */
#include <strings.h>

#include "sql/pipeline.h"
#include "tests/fuzz/fuzz.h"

static bool mentions(const uint8_t *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (!strncasecmp((const char *)p + i, word, w))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_session *s;
	sl_pipeline *p = NULL;
	sl_err err = { 0 };
	char plan[8192];

	if (size > 16384 || mentions(data, size, "kafka"))
		return 0;
	s = sl_session_new();
	FUZZ_CHECK(s, "no session");
	if (sl_pipeline_load(s, (const char *)data, size, "fuzz.sql", &p,
			     &err) == 0) {
		sl_pipeline_describe(p, plan, sizeof(plan));
		for (uint32_t i = 0; i < sl_pipeline_nqueries(p); i++)
			(void)sl_pipeline_query_label(p, i);
		sl_pipeline_free(p);
	} else {
		FUZZ_CHECK(err.msg[0], "load failed without a message");
		FUZZ_CHECK(!strncmp(err.msg, "fuzz.sql", 8),
			   "message does not name the file: %s", err.msg);
	}
	sl_session_destroy(s);
	return 0;
}
