/* engine/session_conf.c - the session's configuration: Spark's `SET key =
 * value` (sql/ turns the statement into sl_session_conf_set) and
 * spark.conf.set. Every key is kept as given, in order; the keys the
 * engine reads are checked when set and kept parsed beside:
 *
 *   spark.sql.ansi.enabled      true (Spark 4's default) or false
 *   spark.sql.session.timeZone  a zone core/timezone.h opens, "UTC" by
 *                               default (sluice does not take the host's)
 *   spark.sql.mapKeyDedupPolicy EXCEPTION (Spark's default) or LAST_WIN
 *
 * A setting applies to the frames made after it, as a SET in Spark
 * applies to the queries after it. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/timezone.h"
#include "engine/engine.h"

#define CONF_ANSI "spark.sql.ansi.enabled"
#define CONF_TIME_ZONE "spark.sql.session.timeZone"
#define CONF_MAP_DEDUP "spark.sql.mapKeyDedupPolicy"

void sl_session_conf_init(sl_session *s)
{
	s->ansi = true;
	s->time_zone = "UTC";
}

void sl_session_conf_free(sl_session *s)
{
	sl_tz_cache_free(s->tz_cache);
	s->tz_cache = NULL;
}

/* Spark's boolean configuration values: true or false, any case, spaces
 * around them ignored. */
static int conf_bool(const char *key, const char *value, bool *out,
		     sl_err *err)
{
	size_t n = strlen(value), b = 0;
	while (b < n && value[b] == ' ')
		b++;
	while (n > b && value[n - 1] == ' ')
		n--;
	if (n - b == 4 && !strncasecmp(value + b, "true", 4))
		*out = true;
	else if (n - b == 5 && !strncasecmp(value + b, "false", 5))
		*out = false;
	else
		return sl_err_set(err, SL_EINVAL,
				  "[INVALID_CONF_VALUE.TYPE_MISMATCH] The value "
				  "'%s' in the config \"%s\" is invalid: it "
				  "must be a boolean (true or false)",
				  value, key);
	return 0;
}

/* Spark upper-cases the value before checking it */
static int conf_map_dedup(sl_session *s, const char *value, sl_err *err)
{
	if (!strcasecmp(value, "EXCEPTION") || !strcasecmp(value, "LAST_WIN")) {
		s->map_last_win = !strcasecmp(value, "LAST_WIN");
		return 0;
	}
	return sl_err_set(err, SL_EINVAL,
			  "[INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS] The value "
			  "'%s' in the config \"%s\" is invalid: it must be "
			  "EXCEPTION or LAST_WIN",
			  value, CONF_MAP_DEDUP);
}

static int conf_time_zone(sl_session *s, const char *value, sl_err *err)
{
	sl_err why = { 0 };

	if (!s->tz_cache && !(s->tz_cache = sl_tz_cache_new(NULL)))
		return sl_err_set(err, -ENOMEM, "out of memory");
	const sl_tz *z = sl_tz_cache_get(s->tz_cache, value, &why);
	if (!z)
		return sl_err_set(err, SL_EINVAL,
				  "[INVALID_CONF_VALUE.TIME_ZONE] The value "
				  "'%s' in the config \"%s\" is invalid: "
				  "cannot resolve the given timezone (%s)",
				  value, CONF_TIME_ZONE, why.msg);
	s->time_zone = sl_arena_strdup(&s->arena, sl_tz_id(z));
	return 0;
}

static int session_conf_set(sl_session *s, const char *key, const char *value)
{
	sl_err err = { 0 };
	int rc = 0;

	if (!key || !*key || !value) {
		sl_fail_code(s, SL_EINVAL, "SET needs a key and a value");
		return SL_EINVAL;
	}
	if (!strcmp(key, CONF_ANSI))
		rc = conf_bool(key, value, &s->ansi, &err);
	else if (!strcmp(key, CONF_TIME_ZONE))
		rc = conf_time_zone(s, value, &err);
	else if (!strcmp(key, CONF_MAP_DEDUP))
		rc = conf_map_dedup(s, value, &err);
	if (rc) {
		sl_fail(s, &err);
		return err.code;
	}
	sl_kvs_add(&s->conf, &s->arena, key, value);
	return 0;
}

static void session_conf_set_run(sl_api_call *c)
{
	c->rc = session_conf_set((sl_session *)c->a[0], c->a[1], c->a[2]);
}

int sl_session_conf_set(sl_session *s, const char *key, const char *value)
{
	sl_api_call c = { .a = { s, key, value } };
	sl_api_guard(s, "conf_set", session_conf_set_run, &c);
	return c.rc;
}

int sl_session_bind(const sl_session *s, sl_expr *e, const sl_schema *in,
		    sl_arena *a, sl_err *err)
{
	sl_expr_options o = sl_expr_defaults;
	o.ansi = s->ansi;
	o.map_last_win = s->map_last_win;
	return sl_expr_bind_with(e, in, &o, a, err);
}

const char *sl_session_conf_get(sl_session *s, const char *key)
{
	if (!key)
		return NULL;
	/* The newest setting wins: kvs keep every SET in order. */
	for (uint32_t i = s->conf.n; i-- > 0;)
		if (!strcmp(s->conf.kv[i].key, key))
			return s->conf.kv[i].value;
	if (!strcmp(key, CONF_ANSI))
		return s->ansi ? "true" : "false";
	if (!strcmp(key, CONF_TIME_ZONE))
		return s->time_zone;
	if (!strcmp(key, CONF_MAP_DEDUP))
		return s->map_last_win ? "LAST_WIN" : "EXCEPTION";
	return NULL;
}
