/* tests/unit/engine_errors.c - each session keeps its own last error
 * (engine/session.c), session creation reports into the caller's errstr,
 * and every SL_E* code has a name (core/util.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "sluice.h"

Test(errors, two_sessions_on_one_thread_keep_their_own)
{
	sl_session *a = sl_session_new(), *b = sl_session_new();
	cr_assert_null(sl_session_read_stream(a, "no-such-format", NULL));
	cr_assert_eq(sl_session_errcode(a), SL_EFORMAT);
	cr_assert_eq(sl_session_errcode(b), 0);
	cr_assert_str_eq(sl_session_errmsg(b), "");

	sl_frame *in = sl_session_read_stream(b, "rate", NULL);
	cr_assert_not_null(in);
	cr_assert_null(sl_frame_where(in, "no_such_column > 1"));
	cr_assert_eq(sl_session_errcode(b), SL_EANALYSIS);
	/* b's failure left a's message alone */
	cr_assert_eq(sl_session_errcode(a), SL_EFORMAT);
	cr_assert(strstr(sl_session_errmsg(a), "no-such-format"), "%s",
		  sl_session_errmsg(a));
	cr_assert(strstr(sl_session_errmsg(b), "no_such_column"), "%s",
		  sl_session_errmsg(b));

	char buf[16];
	size_t len = sl_session_errmsg_copy(a, buf, sizeof(buf));
	cr_assert_eq(len, strlen(sl_session_errmsg(a)));
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	cr_assert_eq(strncmp(buf, sl_session_errmsg(a), sizeof(buf) - 1), 0);

	sl_session_clear_error(a);
	cr_assert_eq(sl_session_errcode(a), 0);
	cr_assert_str_eq(sl_session_errmsg(a), "");
	cr_assert_eq(sl_session_errcode(b), SL_EANALYSIS);
	sl_session_destroy(a);
	sl_session_destroy(b);
}

Test(errors, a_query_function_reports_into_its_session)
{
	sl_session *a = sl_session_new(), *b = sl_session_new();
	sl_frame *in = sl_session_read_stream(a, "rate", NULL);
	sl_query *q = sl_frame_start(in, "noop", NULL, NULL);
	cr_assert_not_null(q, "%s", sl_session_errmsg(a));
	sl_state_stats st = { .size = sizeof(st) };
	cr_assert_eq(sl_query_state_stats(q, &st), SL_EINVAL);
	cr_assert_eq(sl_session_errcode(a), SL_EINVAL);
	cr_assert_eq(sl_session_errcode(b), 0);
	cr_assert_null(sl_session_table(b, "nothing"));
	cr_assert_eq(sl_session_errcode(b), SL_ENOTFOUND);
	cr_assert_eq(sl_session_errcode(a), SL_EINVAL);
	sl_session_destroy(a);
	sl_session_destroy(b);
}

Test(errors, session_creation_writes_errstr)
{
	char errstr[256] = "untouched";
	sl_session *s = sl_session_new_conf(
		(const char *[]){ "spark.sql.ansi.enabled", "maybe", NULL },
		errstr, sizeof(errstr));
	cr_assert_null(s);
	cr_assert(strstr(errstr, "spark.sql.ansi.enabled"), "%s", errstr);

	s = sl_session_new_conf((const char *[]){ "spark.sql.ansi.enabled",
						  NULL },
				errstr, sizeof(errstr));
	cr_assert_null(s);
	cr_assert(strstr(errstr, "has no value"), "%s", errstr);

	s = sl_session_new_conf(
		(const char *[]){ "spark.sql.session.timeZone", "+01:00",
				  NULL },
		errstr, sizeof(errstr));
	cr_assert_not_null(s, "%s", errstr);
	cr_assert_str_eq(errstr, "");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "+01:00");
	sl_session_destroy(s);
	/* no errstr at all is allowed */
	cr_assert_null(sl_session_new_conf(
		(const char *[]){ "spark.sql.ansi.enabled", "maybe", NULL },
		NULL, 0));
}

Test(errors, every_code_has_a_name)
{
	static const struct {
		int code;
		const char *name;
	} codes[] = {
		{ SL_OK, "SL_OK" },
		{ SL_EINVAL, "SL_EINVAL" },
		{ SL_ESYNTAX, "SL_ESYNTAX" },
		{ SL_EANALYSIS, "SL_EANALYSIS" },
		{ SL_EOPTION, "SL_EOPTION" },
		{ SL_EFORMAT, "SL_EFORMAT" },
		{ SL_EMODE, "SL_EMODE" },
		{ SL_ESTATE, "SL_ESTATE" },
		{ SL_EIO, "SL_EIO" },
		{ SL_EKAFKA, "SL_EKAFKA" },
		{ SL_ETIMEOUT, "SL_ETIMEOUT" },
		{ SL_ENOTFOUND, "SL_ENOTFOUND" },
		{ SL_ESTOPPED, "SL_ESTOPPED" },
		{ SL_EOS, "SL_EOS" },
		{ SL_EFULL, "SL_EFULL" },
		{ SL_ENOMEM, "SL_ENOMEM" },
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_assert_str_eq(sl_errname(codes[i].code), codes[i].name);
		cr_assert_str_neq(sl_strerror(codes[i].code), "unknown error",
				  "%s", codes[i].name);
	}
	/* the codes run without a gap from SL_EINVAL to SL_ENOMEM, the last */
	for (int c = SL_ENOMEM; c <= SL_EINVAL; c++)
		cr_assert_not_null(sl_errname(c), "%d", c);
	cr_assert_null(sl_errname(SL_ENOMEM - 1));
	cr_assert_null(sl_errname(-ENOENT));
	/* end of stream is never an errno: sl_strerror does not read it as one */
	cr_assert_str_eq(sl_strerror(SL_EOS), "end of stream");
	cr_assert_str_eq(sl_errname(SL_EOS), "SL_EOS");
	cr_assert_lt(SL_EOS, -255, "Linux's errno values are below 256");
}
