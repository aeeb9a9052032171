/* tests/unit/engine_session_conf.c - the session's configuration
 * (engine/session_conf.c): Spark's keys checked when set, any other key
 * kept as given, the newest setting winning. */
#include <criterion/criterion.h>
#include <string.h>

#include "sluice.h"

Test(session_conf, defaults_are_spark_4s)
{
	sl_session *s = sl_session_new();
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.ansi.enabled"),
			 "true");
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "UTC");
	cr_assert_null(sl_session_conf_get(s, "spark.sql.shuffle.partitions"));
	cr_assert_null(sl_session_conf_get(s, NULL));
	sl_session_destroy(s);
}

Test(session_conf, booleans_as_spark_reads_them)
{
	sl_session *s = sl_session_new();
	const char *yes[] = { "true", "TRUE", " True " }, *no[] = { "false",
								   "FALSE" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cr_assert_eq(sl_session_conf_set(s, "spark.sql.ansi.enabled",
						 no[i]),
			     0, "%s", no[i]);
		cr_assert_str_eq(sl_session_conf_get(s,
						     "spark.sql.ansi.enabled"),
				 no[i]);
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_assert_eq(sl_session_conf_set(s, "spark.sql.ansi.enabled",
						 yes[i]),
			     0, "%s", yes[i]);
	const char *bad[] = { "yes", "1", "", "truee" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(sl_session_conf_set(s, "spark.sql.ansi.enabled",
						 bad[i]),
			     SL_EINVAL, "'%s'", bad[i]);
		cr_assert(strstr(sl_session_errmsg(s),
				 "INVALID_CONF_VALUE.TYPE_MISMATCH"),
			  "%s", sl_session_errmsg(s));
	}
	/* refusals keep the last good value */
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.ansi.enabled"),
			 " True ");
	sl_session_destroy(s);
}

Test(session_conf, time_zones_are_opened_when_set)
{
	sl_session *s = sl_session_new();
	const char *good[] = { "Europe/Madrid", "UTC", "+01:00", "Z",
			       "America/New_York" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(sl_session_conf_set(s,
						 "spark.sql.session.timeZone",
						 good[i]),
			     0, "%s: %s", good[i], sl_session_errmsg(s));
	cr_assert_eq(sl_session_conf_set(s, "spark.sql.session.timeZone",
					 "Nowhere/Atlantis"),
		     SL_EINVAL);
	cr_assert(strstr(sl_session_errmsg(s), "INVALID_CONF_VALUE.TIME_ZONE"),
		  "%s", sl_session_errmsg(s));
	cr_assert(strstr(sl_session_errmsg(s), "Nowhere/Atlantis"), "%s",
		  sl_session_errmsg(s));
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.session.timeZone"),
			 "America/New_York");
	sl_session_destroy(s);
}

Test(session_conf, other_keys_are_kept_newest_first)
{
	sl_session *s = sl_session_new();
	cr_assert_eq(sl_session_conf_set(s, "spark.sql.shuffle.partitions",
					 "8"),
		     0);
	cr_assert_eq(sl_session_conf_set(s, "spark.sql.shuffle.partitions",
					 "4"),
		     0);
	cr_assert_str_eq(sl_session_conf_get(s, "spark.sql.shuffle.partitions"),
			 "4");
	cr_assert_null(sl_session_conf_get(s, "Spark.SQL.Shuffle.Partitions"),
		       "keys are case-sensitive, as Spark's");
	cr_assert_eq(sl_session_conf_set(s, "", "x"), SL_EINVAL);
	cr_assert_eq(sl_session_conf_set(s, "k", NULL), SL_EINVAL);
	sl_session_destroy(s);
}
