/* tests/unit/engine_api_struct.c - the public structs with a leading size
 * (engine/api_struct.c): the library reads and writes only the bytes the
 * caller's size covers, so a program built against a shorter, older
 * version of a struct keeps working; size 0 is refused. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "sluice.h"

static int on_batch(void *ud, const sl_rows *rows, int64_t batch_id)
{
	(void)ud;
	(void)rows;
	(void)batch_id;
	return 0;
}

/* A caller's struct of `size` bytes inside a buffer filled with 0xab: the
 * bytes after size must stay 0xab. */
static bool untouched_after(const unsigned char *buf, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++)
		if (buf[i] != 0xab)
			return false;
	return true;
}

Test(api_struct, an_old_short_status_is_filled_only_as_far_as_it_goes)
{
	sl_session *s = sl_session_new();
	sl_query *q = sl_frame_start(sl_session_read_stream(s, "rate", NULL), "noop",
				     NULL, NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));

	union {
		sl_status st;
		unsigned char b[sizeof(sl_status) + 16];
	} u;
	memset(u.b, 0xab, sizeof(u.b));
	/* a version of sl_status that ended after message */
	u.st.size = offsetof(sl_status, is_data_available);
	sl_query_status(q, &u.st);
	cr_assert_eq(u.st.size, offsetof(sl_status, is_data_available));
	cr_assert_gt(strlen(u.st.message), 0);
	cr_assert(untouched_after(u.b, offsetof(sl_status, is_data_available),
				  sizeof(u.b)));

	/* size 0: nothing written */
	memset(u.b, 0xab, sizeof(u.b));
	u.st.size = 0;
	sl_query_status(q, &u.st);
	cr_assert(untouched_after(u.b, sizeof(size_t), sizeof(u.b)));

	/* the whole struct, and what a newer caller's extra bytes hold stays */
	memset(u.b, 0xab, sizeof(u.b));
	u.st.size = sizeof(u.b);
	sl_query_status(q, &u.st);
	cr_assert_eq(u.st.size, sizeof(u.b));
	cr_assert_gt(strlen(u.st.message), 0);
	cr_assert(untouched_after(u.b, sizeof(sl_status), sizeof(u.b)));
	sl_session_destroy(s);
}

Test(api_struct, state_stats_old_size_and_size_zero)
{
	sl_session *s = sl_session_new();
	sl_frame *g = sl_frame_group_by(sl_session_read_stream(s, "rate", NULL),
					(const char *[]){ "value % 2 AS k",
							  NULL },
					(const char *[]){ "count(*) AS n",
							  NULL });
	cr_assert_not_null(g, "%s", sl_session_errmsg(s));
	sl_query *q = sl_frame_start(
		g, "noop", (const char *[]){ "outputMode", "complete", NULL },
		NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));

	sl_state_stats zero = { 0 };
	cr_assert_eq(sl_query_state_stats(q, &zero), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "sl_state_stats.size"), "%s",
		  sl_session_errmsg(s));

	union {
		sl_state_stats st;
		unsigned char b[sizeof(sl_state_stats)];
	} u;
	memset(u.b, 0xab, sizeof(u.b));
	/* a version that had only batch_id and num_rows_total */
	u.st.size = offsetof(sl_state_stats, num_rows_updated);
	cr_assert_eq(sl_query_state_stats(q, &u.st), 0);
	cr_assert_geq(u.st.batch_id, -1);
	cr_assert(untouched_after(u.b, offsetof(sl_state_stats,
						 num_rows_updated),
				  sizeof(u.b)));
	sl_session_destroy(s);
}

Test(api_struct, callbacks_beyond_the_callers_size_are_not_read)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	sl_sink_callbacks cb = { .size = 0, .batch = on_batch };
	cr_assert_null(sl_frame_start(in, "foreachBatch", NULL, &cb));
	cr_assert_eq(sl_session_errcode(s), SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "sl_sink_callbacks.size"),
		  "%s", sl_session_errmsg(s));

	/* an older version without the batch member: its batch is not there */
	cb.size = offsetof(sl_sink_callbacks, batch);
	cr_assert_null(sl_frame_start(in, "foreachBatch", NULL, &cb));
	cr_assert(strstr(sl_session_errmsg(s), "needs a batch callback"),
		  "%s", sl_session_errmsg(s));

	cb.size = sizeof(cb);
	sl_query *q = sl_frame_start(in, "foreachBatch", NULL, &cb);
	cr_assert_not_null(q, "%s", sl_session_errmsg(s));
	/* the library copied the struct: the caller's may go */
	memset(&cb, 0, sizeof(cb));
	cr_assert_eq(sl_query_await(q, 300), 0);
	cr_assert_eq(sl_query_stop(q), 0);
	sl_session_destroy(s);
}

static int count_fn(void *ud, const sl_rows *key, const sl_rows *rows,
		    sl_group_state *st)
{
	(void)ud;
	(void)key;
	(void)rows;
	sl_group_state_emit(st);
	return 0;
}

Test(api_struct, group_state_spec_old_size_leaves_later_members_zero)
{
	sl_session *s = sl_session_new();
	sl_frame *in = sl_session_read_stream(s, "rate", NULL);
	sl_group_state_spec spec = {
		.size = 0,
		.fn = count_fn,
		.output_schema = "value BIGINT",
		.timeout = SL_GROUP_TIMEOUT_EVENT,
	};
	cr_assert_null(sl_frame_group_state(in, (const char *[]){ "value",
								  NULL },
					    &spec));
	cr_assert(strstr(sl_session_errmsg(s), "sl_group_state_spec.size"),
		  "%s", sl_session_errmsg(s));
	/* the full struct: an event-time timeout without a watermark fails */
	spec.size = sizeof(spec);
	cr_assert_null(sl_frame_group_state(in, (const char *[]){ "value",
								  NULL },
					    &spec));
	cr_assert(strstr(sl_session_errmsg(s), "Watermark"), "%s",
		  sl_session_errmsg(s));
	/* a version that ended before timeout: no timeout, so it builds */
	spec.size = offsetof(sl_group_state_spec, timeout);
	cr_assert_not_null(sl_frame_group_state(in,
						(const char *[]){ "value",
								  NULL },
						&spec),
			   "%s", sl_session_errmsg(s));
	sl_session_destroy(s);
}
