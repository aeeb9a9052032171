/* examples/plugin.c - a source and a sink of the program's own
 * (sluice_plugin.h): "sensors" produces readings (sensor, reading) in two
 * partitions, the query keeps those above 0.8 and upper-cases the
 * sensor's name, and "lines" prints each row it receives and counts the
 * batches committed. Exits non-zero if anything went wrong. `make test`
 * builds and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "sluice_plugin.h"

/* ---- the source: reading i of partition p is ((i * 7 + p) % 10) / 10 */

struct sensors {
	long count; /* readings per partition */
};

static int sensors_init(void *ud, const char *const *values, void **state,
			const char **ddl, uint32_t *parts, char *err,
			size_t errlen)
{
	struct sensors *s = ud;

	s->count = atol(values[0]);
	if (s->count <= 0) {
		snprintf(err, errlen, "count must be positive, not '%s'",
			 values[0]);
		return SL_EOPTION;
	}
	*state = s;
	*ddl = "sensor STRING, reading DOUBLE";
	*parts = 2;
	return 0;
}

struct sensor_part {
	long next, count;
	uint32_t p;
};

static int sensors_open(void *state, uint32_t p, int64_t start, void **part,
			char *err, size_t errlen)
{
	struct sensor_part *sp = malloc(sizeof(*sp));

	if (!sp)
		return SL_EINVAL;
	sp->next = (long)start; /* after a restart: where the query was */
	sp->count = ((struct sensors *)state)->count;
	sp->p = p;
	*part = sp;
	return 0;
}

static int sensors_poll(void *part, sl_emit *e, uint32_t max, int64_t wait_ns,
			char *err, size_t errlen)
{
	struct sensor_part *sp = part;
	char name[32];
	int n = 0;

	if (sp->next >= sp->count)
		return SL_EOS;
	for (; (uint32_t)n < max && sp->next < sp->count; n++, sp->next++) {
		int len = snprintf(name, sizeof(name), "sensor-%u-%ld", sp->p,
				   sp->next % 3);
		if (sl_emit_row(e) || sl_emit_string(e, 0, name, (size_t)len) ||
		    sl_emit_double(e, 1, ((sp->next * 7 + sp->p) % 10) / 10.0)) {
			snprintf(err, errlen, "%s", sl_emit_errmsg(e));
			return SL_EINVAL;
		}
	}
	return n;
}

static int64_t sensors_available(void *state, uint32_t p)
{
	return ((struct sensors *)state)->count;
}

static void sensors_close(void *part)
{
	free(part);
}

/* ---- the sink: prints its rows ---- */

struct lines {
	long rows, commits;
};

static int lines_open(void *ud, const char *const *values, const char *schema,
		      void **state, char *err, size_t errlen)
{
	printf("sink 'lines' opened for rows of: %s\n", schema);
	*state = ud;
	return 0;
}

static int lines_write(void *state, const sl_rows *rows, int64_t epoch,
		       char *err, size_t errlen)
{
	struct lines *l = state;
	char name[64];

	for (uint32_t i = 0; i < sl_rows_count(rows); i++) {
		printf("batch %lld: %s %.1f\n", (long long)epoch,
		       sl_rows_string(rows, i, 0, name, sizeof(name)),
		       sl_rows_double(rows, i, 1));
		l->rows++;
	}
	return 0;
}

static int lines_commit(void *state, int64_t epoch, char *err, size_t errlen)
{
	((struct lines *)state)->commits++;
	return 0;
}

int main(void)
{
	struct sensors src = {0};
	struct lines out = {0};
	static const sl_plugin_option sensor_opts[] = {
		{"count", "20", "readings per partition", 0},
		{NULL, NULL, NULL, 0},
	};
	sl_source_plugin sp = {
		.size = sizeof(sp), .name = "sensors",
		.description = "made-up sensor readings",
		.options = sensor_opts, .ud = &src, .init = sensors_init,
		.open = sensors_open, .poll = sensors_poll,
		.available = sensors_available, .close = sensors_close,
	};
	sl_sink_plugin kp = {
		.size = sizeof(kp), .name = "lines", .ud = &out,
		.open = lines_open, .write = lines_write,
		.commit = lines_commit,
	};
	sl_session *s = sl_session_new();
	int rc = 1;

	if (sl_session_add_source(s, &sp) || sl_session_add_sink(s, &kp)) {
		fprintf(stderr, "register: %s\n", sl_session_errmsg(s));
		goto out;
	}
	sl_frame *f = sl_session_read_stream(
		s, "sensors", (const char *[]){"count", "30", NULL});
	f = f ? sl_frame_where(f, "reading > 0.8") : NULL;
	f = f ? sl_frame_select(f, (const char *[]){"upper(sensor) AS sensor",
						    "reading", NULL})
	      : NULL;
	sl_query *q = f ? sl_frame_start(f, "lines",
					 (const char *[]){"trigger",
							  "availableNow", NULL},
					 NULL)
			: NULL;
	if (!q) {
		fprintf(stderr, "query: %s\n", sl_session_errmsg(s));
		goto out;
	}
	sl_query_await(q, 30000);
	if (sl_query_exception(q)) {
		fprintf(stderr, "query failed: %s\n", sl_query_exception(q));
		goto out;
	}
	/* readings of 0.9 only: 3 of every 10 in each of 2 partitions */
	printf("%ld rows in %ld committed batches\n", out.rows, out.commits);
	rc = out.rows == 6 && out.commits >= 1 ? 0 : 1;
out:
	sl_session_destroy(s);
	return rc;
}
