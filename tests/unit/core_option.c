/* tests/unit/core_option.c - option tables, durations, triggers, writer
 * options and the generated options reference. */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trigger.h"

extern const sl_source_ops sl_source_rate;

struct tconf {
	const char *name;
	int64_t count;
	double ratio;
	bool verbose;
	int64_t timeout;
	int color;
	sl_kvs kafka;
	const char *topic;
};

static const char *const colors[] = {"red", "green", "blue", NULL};

/* The test component's finalize step: a rule across two options. */
static const char *ratio_not_half(const void *conf)
{
	const struct tconf *c = conf;

	return c->ratio == 0.5 && c->count == 13 ? "ratio 0.5 clashes with "
						   "count 13"
						 : NULL;
}

/* clang-format off */
static const sl_opt_def table[] = {
	{ .name = "name", .type = SL_OPT_STRING,
	  .offset = offsetof(struct tconf, name), .def = "anon",
	  .desc = "A name | with a pipe." },
	{ .name = "count", .type = SL_OPT_INT,
	  .offset = offsetof(struct tconf, count), .min = 1, .max = 100,
	  .def = "10", .desc = "How many." },
	{ .name = "ratio", .type = SL_OPT_DOUBLE,
	  .offset = offsetof(struct tconf, ratio), .min = 0, .max = 1,
	  .def = "0.5", .desc = "A fraction." },
	{ .name = "verbose", .type = SL_OPT_BOOL,
	  .offset = offsetof(struct tconf, verbose), .def = "false",
	  .desc = "Talk more." },
	{ .name = "timeout", .type = SL_OPT_DURATION,
	  .offset = offsetof(struct tconf, timeout), .min = 0,
	  .max = INFINITY, .def = "30 seconds", .desc = "How long." },
	{ .name = "color", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct tconf, color), .def = "green",
	  .allowed = colors, .desc = "Which colour." },
	{ .name = "kafka.", .type = SL_OPT_PREFIX,
	  .offset = offsetof(struct tconf, kafka),
	  .desc = "Passed to the client." },
	{ .name = NULL },
};
/* clang-format on */

/* clang-format off */
static const sl_opt_def req_table[] = {
	{ .name = "topic", .type = SL_OPT_STRING,
	  .offset = offsetof(struct tconf, topic), .required = true,
	  .desc = "Where." },
	{ .name = NULL },
};
/* clang-format on */

static sl_arena arena;
static sl_err err;
static struct tconf conf;

static void setup(void)
{
	sl_arena_init(&arena);
	memset(&err, 0, sizeof(err));
	memset(&conf, 0xa5, sizeof(conf)); /* apply must not rely on zeroes */
}

static void teardown(void)
{
	sl_arena_free(&arena);
}

static sl_kvs *kvs(const char *const *kv)
{
	sl_kvs *k = sl_arena_calloc(&arena, sizeof(*k));

	for (int i = 0; kv && kv[i]; i += 2)
		sl_kvs_add(k, &arena, kv[i], kv[i + 1]);
	return k;
}

#define KV(...) kvs((const char *const[]){__VA_ARGS__, NULL})

static int apply(const sl_opt_def *t, sl_kvs *given)
{
	return sl_options_apply(t, &conf, given, NULL, "source 'test'", &arena,
				&err);
}

/* given applied to the rate source's own table, into a conf of its own. */
static int apply_rate(sl_kvs *given)
{
	return sl_options_apply(sl_source_rate.options,
				sl_arena_calloc(&arena, 256), given, NULL,
				"source 'rate'", &arena, &err);
}

TestSuite(options, .init = setup, .fini = teardown);

Test(options, defaults)
{
	cr_assert_eq(apply(table, NULL), 0, "%s", err.msg);
	cr_assert_str_eq(conf.name, "anon");
	cr_assert_eq(conf.count, 10);
	cr_assert_float_eq(conf.ratio, 0.5, 1e-12);
	cr_assert_eq(conf.verbose, false);
	cr_assert_eq(conf.timeout, 30000);
	cr_assert_eq(conf.color, 1);
	cr_assert_eq(conf.kafka.n, 0);
}

Test(options, each_type)
{
	cr_assert_eq(apply(table, KV("name", "bob", "count", "42", "ratio",
				     "0.25", "verbose", "true", "timeout",
				     "500ms", "color", "blue")),
		     0, "%s", err.msg);
	cr_assert_str_eq(conf.name, "bob");
	cr_assert_eq(conf.count, 42);
	cr_assert_float_eq(conf.ratio, 0.25, 1e-12);
	cr_assert_eq(conf.verbose, true);
	cr_assert_eq(conf.timeout, 500);
	cr_assert_eq(conf.color, 2);
}

Test(options, case_insensitive)
{
	cr_assert_eq(apply(table, KV("COUNT", "7", "Verbose", "TRUE", "color",
				     "RED", "TimeOut", "1 Minute")),
		     0, "%s", err.msg);
	cr_assert_eq(conf.count, 7);
	cr_assert_eq(conf.verbose, true);
	cr_assert_eq(conf.color, 0);
	cr_assert_eq(conf.timeout, 60000);
}

Test(options, last_value_wins)
{
	cr_assert_eq(apply(table, KV("count", "7", "count", "8")), 0);
	cr_assert_eq(conf.count, 8);
}

Test(options, strings_are_copied)
{
	char val[8] = "abc";
	sl_kvs *k = sl_arena_calloc(&arena, sizeof(*k));

	sl_kvs_add(k, &arena, "name", val);
	val[0] = 'X';
	cr_assert_eq(apply(table, k), 0);
	cr_assert_str_eq(conf.name, "abc");
	cr_assert_neq(conf.name, k->kv[0].value);
}

Test(options, unknown_key_suggests)
{
	cr_assert_eq(apply_rate(KV("rowsPerSecnd", "5")), SL_EOPTION);
	cr_assert_str_eq(err.msg,
			 "source 'rate': unknown option 'rowsPerSecnd'; did "
			 "you mean 'rowsPerSecond'? (known: rowsPerSecond, "
			 "numPartitions, rampUpTime)");
	cr_assert_eq(err.code, SL_EOPTION);
}

Test(options, unknown_key_without_suggestion)
{
	cr_assert_eq(apply(table, KV("zzzzzzzzzz", "1")), SL_EOPTION);
	cr_assert_null(strstr(err.msg, "did you mean"), "%s", err.msg);
	cr_assert(strstr(err.msg, "unknown option 'zzzzzzzzzz'"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "kafka.*"), "%s", err.msg);
}

Test(options, bad_number)
{
	cr_assert_eq(apply(table, KV("count", "abc")), SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'test': option 'count' = 'abc' is "
				  "not a number");
	cr_assert_eq(apply(table, KV("count", "1.5")), SL_EOPTION);
	cr_assert(strstr(err.msg, "not a whole number"), "%s", err.msg);
	cr_assert_eq(apply(table, KV("count", "")), SL_EOPTION);
	cr_assert_eq(apply(table, KV("count", "5x")), SL_EOPTION);
	cr_assert_eq(apply(table, KV("ratio", "nan")), SL_EOPTION);
	cr_assert_eq(apply(table, KV("count", "99999999999999999999")),
		     SL_EOPTION);
	cr_assert(strstr(err.msg, "out of range"), "%s", err.msg);
}

Test(options, number_whitespace_ok)
{
	cr_assert_eq(apply(table, KV("count", " 12 ")), 0, "%s", err.msg);
	cr_assert_eq(conf.count, 12);
}

Test(options, ranges)
{
	cr_assert_eq(apply(table, KV("count", "0")), SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'test': option 'count' = '0' is out "
				  "of range: must be between 1 and 100");
	cr_assert_eq(apply(table, KV("count", "101")), SL_EOPTION);
	cr_assert_eq(apply(table, KV("count", "100")), 0);
	cr_assert_eq(apply(table, KV("count", "1")), 0);
	cr_assert_eq(apply(table, KV("ratio", "1.5")), SL_EOPTION);
	cr_assert(strstr(err.msg, "between 0 and 1"), "%s", err.msg);
}

Test(options, min_only_range)
{
	cr_assert_eq(apply_rate(KV("rampUpTime", "-1")), SL_EOPTION);
	cr_assert(strstr(err.msg, "negative"), "%s", err.msg);
	cr_assert_eq(apply_rate(KV("rowsPerSecond", "0")), SL_EOPTION);
	cr_assert(strstr(err.msg, "'rowsPerSecond' = '0' is out of range"),
		  "%s", err.msg);
}

Test(options, enum_lists_allowed)
{
	cr_assert_eq(apply(table, KV("color", "mauve")), SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'test': option 'color' = 'mauve' is "
				  "not one of: red, green, blue");
}

Test(options, bool_values)
{
	cr_assert_eq(apply(table, KV("verbose", "False")), 0);
	cr_assert_eq(conf.verbose, false);
	cr_assert_eq(apply(table, KV("verbose", "yes")), SL_EOPTION);
	cr_assert(strstr(err.msg, "not a boolean (true or false)"), "%s",
		  err.msg);
}

Test(options, bad_duration)
{
	cr_assert_eq(apply(table, KV("timeout", "10 parsecs")), SL_EOPTION);
	cr_assert(strstr(err.msg, "option 'timeout' = '10 parsecs'"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "unknown unit 'parsecs'"), "%s", err.msg);
}

Test(options, prefix_collection)
{
	cr_assert_eq(apply(table, KV("kafka.bootstrap.servers", "b:9092",
				     "KAFKA.acks", "all", "count", "3")),
		     0, "%s", err.msg);
	cr_assert_eq(conf.kafka.n, 2);
	cr_assert_str_eq(conf.kafka.kv[0].key, "bootstrap.servers");
	cr_assert_str_eq(conf.kafka.kv[0].value, "b:9092");
	cr_assert_str_eq(sl_kvs_get(&conf.kafka, "acks"), "all");
	cr_assert_eq(conf.count, 3);
}

Test(options, prefix_many_grows)
{
	sl_kvs *k = sl_arena_calloc(&arena, sizeof(*k));
	char key[32], val[32];

	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "kafka.k%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		sl_kvs_add(k, &arena, key, val);
	}
	cr_assert_eq(apply(table, k), 0);
	cr_assert_eq(conf.kafka.n, 40);
	cr_assert_str_eq(sl_kvs_get(&conf.kafka, "K39"), "v39");
	cr_assert_str_eq(sl_kvs_get(&conf.kafka, "k0"), "v0");
}

Test(options, required)
{
	cr_assert_eq(apply(req_table, NULL), SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'test': option 'topic' is required");
	cr_assert_eq(apply(req_table, KV("TOPIC", "t1")), 0);
	cr_assert_str_eq(conf.topic, "t1");
}

Test(options, ignore_list)
{
	cr_assert_eq(sl_options_apply(table, &conf,
				      KV("outputMode", "append", "count", "5",
					 "checkpointlocation", "/tmp/x"),
				      sl_writer_option_names, "sink 'test'",
				      &arena, &err),
		     0, "%s", err.msg);
	cr_assert_eq(conf.count, 5);
	cr_assert_eq(apply(table, KV("outputMode", "append")), SL_EOPTION);
}

Test(options, finalize_checks_across_options)
{
	/* Parsing takes each option alone; the cross-option rule is the
	 * component's finalize step, run on the parsed conf. */
	cr_assert_eq(apply(table, KV("count", "13")), 0, "%s", err.msg);
	cr_assert_eq(sl_options_finalize(ratio_not_half, &conf, "source 'test'",
					 &err),
		     SL_EOPTION);
	cr_assert_str_eq(err.msg, "source 'test': ratio 0.5 clashes with "
				  "count 13");
	cr_assert_eq(sl_options_finalize(ratio_not_half, &conf, NULL, &err),
		     SL_EOPTION);
	cr_assert_str_eq(err.msg, "options: ratio 0.5 clashes with count 13");

	memset(&err, 0, sizeof(err));
	cr_assert_eq(apply(table, KV("count", "13", "ratio", "0.4")), 0);
	cr_assert_eq(sl_options_finalize(ratio_not_half, &conf, "source 'test'",
					 &err),
		     0);
	cr_assert_eq(err.code, 0);
	/* A component without rules has no finalize step. */
	cr_assert_eq(sl_options_finalize(NULL, &conf, "source 'test'", &err),
		     0);
}

Test(options, kvs_get)
{
	sl_kvs *k = KV("a", "1", "B", "2", "a", "3");

	cr_assert_str_eq(sl_kvs_get(k, "A"), "3");
	cr_assert_str_eq(sl_kvs_get(k, "b"), "2");
	cr_assert_null(sl_kvs_get(k, "c"));
	cr_assert_null(sl_kvs_get(NULL, "c"));
}

Test(options, null_err_is_fine)
{
	cr_assert_eq(sl_options_apply(table, &conf, KV("count", "x"), NULL, "c",
				      &arena, NULL),
		     SL_EOPTION);
}

/* ---- durations -------------------------------------------------------- */

struct dcase {
	const char *text;
	int64_t ms;
};

Test(duration, accepted)
{
	static const struct dcase cases[] = {
	    {"10 seconds", 10000},
	    {"1 second", 1000},
	    {"100 ms", 100},
	    {"100 milliseconds", 100},
	    {"5 minutes", 300000},
	    {"1 min", 60000},
	    {"1 hour", 3600000},
	    {"2 days", 172800000},
	    {"1.5 seconds", 1500},
	    {"250", 250},
	    {"interval 10 minutes", 600000},
	    {"INTERVAL 1 SECOND", 1000},
	    {"10s", 10000},
	    {"500ms", 500},
	    {"  3 Hours ", 10800000},
	    {"0", 0},
	    {"0 seconds", 0},
	    {"1 minute 30 seconds", 90000},
	    {"1 week", 604800000},
	    {"1500 us", 2},
	    {".5s", 500},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;
		sl_err e = {0};

		cr_assert_eq(sl_duration_parse(cases[i].text, &ms, &e), 0,
			     "%s: %s", cases[i].text, e.msg);
		cr_assert_eq(ms, cases[i].ms, "%s: got %lld", cases[i].text,
			     (long long)ms);
	}
}

Test(duration, rejected)
{
	static const char *const bad[] = {
	    "",		"   ", "-5 seconds", "10 parsecs",
	    "seconds",	"abc", "1 month",    "10 seconds 5",
	    "interval", "5 5", "1e30 days",  NULL,
	};

	for (int i = 0; bad[i]; i++) {
		int64_t ms = 0;
		sl_err e = {0};

		cr_assert_eq(sl_duration_parse(bad[i], &ms, &e), SL_EINVAL,
			     "'%s' accepted as %lld", bad[i], (long long)ms);
		cr_assert(strstr(e.msg, "duration '"), "%s", e.msg);
	}
}

Test(duration, messages_name_the_text)
{
	int64_t ms;
	sl_err e = {0};

	sl_duration_parse("-5 seconds", &ms, &e);
	cr_assert(strstr(e.msg, "'-5 seconds'") && strstr(e.msg, "negative"),
		  "%s", e.msg);
	sl_duration_parse("10 parsecs", &ms, &e);
	cr_assert(strstr(e.msg, "unknown unit 'parsecs'"), "%s", e.msg);
	sl_duration_parse("", &ms, &e);
	cr_assert(strstr(e.msg, "empty"), "%s", e.msg);
	cr_assert_eq(sl_duration_parse(NULL, &ms, NULL), SL_EINVAL);
}

/* ---- triggers --------------------------------------------------------- */

struct tcase {
	const char *text;
	sl_trigger_kind kind;
	int64_t ms;
};

Test(trigger, accepted)
{
	static const struct tcase cases[] = {
	    {"", SL_TRIG_DEFAULT, 0},
	    {"  ", SL_TRIG_DEFAULT, 0},
	    {"default", SL_TRIG_DEFAULT, 0},
	    {"Default", SL_TRIG_DEFAULT, 0},
	    {"processingTime 10 seconds", SL_TRIG_PROCESSING, 10000},
	    {"processingTime=10 seconds", SL_TRIG_PROCESSING, 10000},
	    {"processingTime='10 seconds'", SL_TRIG_PROCESSING, 10000},
	    {"processingtime = \"2 minutes\"", SL_TRIG_PROCESSING, 120000},
	    {"PROCESSINGTIME 500", SL_TRIG_PROCESSING, 500},
	    {"processingTime 0 seconds", SL_TRIG_PROCESSING, 0},
	    {"once", SL_TRIG_ONCE, 0},
	    {"ONCE", SL_TRIG_ONCE, 0},
	    {"once=true", SL_TRIG_ONCE, 0},
	    {"availableNow", SL_TRIG_AVAILABLE_NOW, 0},
	    {"availablenow", SL_TRIG_AVAILABLE_NOW, 0},
	    {"availableNow=True", SL_TRIG_AVAILABLE_NOW, 0},
	    {"continuous 1 second", SL_TRIG_CONTINUOUS, 1000},
	    {"continuous=1 second", SL_TRIG_CONTINUOUS, 1000},
	    {"continuous='1 second'", SL_TRIG_CONTINUOUS, 1000},
	    {"Continuous 100ms", SL_TRIG_CONTINUOUS, 100},
	    {" continuous  interval 2 seconds ", SL_TRIG_CONTINUOUS, 2000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_trigger t = {SL_TRIG_ONCE, 99};
		sl_err e = {0};

		cr_assert_eq(sl_trigger_parse(cases[i].text, &t, &e), 0,
			     "%s: %s", cases[i].text, e.msg);
		cr_assert_eq(t.kind, cases[i].kind, "%s", cases[i].text);
		cr_assert_eq(t.interval_ms, cases[i].ms, "%s", cases[i].text);
	}
}

Test(trigger, null_is_default)
{
	sl_trigger t = {SL_TRIG_ONCE, 5};

	cr_assert_eq(sl_trigger_parse(NULL, &t, NULL), 0);
	cr_assert_eq(t.kind, SL_TRIG_DEFAULT);
}

Test(trigger, rejected)
{
	static const char *const bad[] = {
	    "sometimes",
	    "continuous",
	    "continuous 0 seconds",
	    "continuous -1 second",
	    "processingTime",
	    "processingTime ten seconds",
	    "processingTime='10 seconds",
	    "once 5 seconds",
	    "availableNow=false",
	    "default 1 second",
	    NULL,
	};

	for (int i = 0; bad[i]; i++) {
		sl_trigger t;
		sl_err e = {0};

		cr_assert_eq(sl_trigger_parse(bad[i], &t, &e), SL_EOPTION,
			     "'%s' accepted", bad[i]);
		cr_assert(strstr(e.msg, "processingTime '<interval>'") &&
			      strstr(e.msg, "availableNow") &&
			      strstr(e.msg, "continuous '<interval>'"),
			  "%s", e.msg);
		cr_assert(strstr(e.msg, bad[i]), "%s", e.msg);
	}
}

Test(trigger, describe)
{
	sl_trigger t = {SL_TRIG_CONTINUOUS, 1000};
	char buf[64];

	sl_trigger_describe(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "continuous 1000 ms");
	t = (sl_trigger){SL_TRIG_PROCESSING, 10000};
	sl_trigger_describe(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "processingTime 10000 ms");
	t = (sl_trigger){SL_TRIG_ONCE, 0};
	sl_trigger_describe(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "once");
	t = (sl_trigger){SL_TRIG_AVAILABLE_NOW, 0};
	sl_trigger_describe(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "availableNow");
	t = (sl_trigger){SL_TRIG_DEFAULT, 0};
	cr_assert_eq(sl_trigger_describe(&t, buf, 3), strlen("default"));
	cr_assert_str_eq(buf, "de");
}

/* ---- writer options --------------------------------------------------- */

Test(writer, defaults_and_values)
{
	sl_writer_conf w;
	sl_trigger t;

	memset(&w, 0xa5, sizeof(w));
	cr_assert_eq(sl_options_apply(sl_writer_options, &w, NULL, NULL,
				      "query", &arena, &err),
		     0, "%s", err.msg);
	cr_assert_eq(w.output_mode, SL_MODE_APPEND);
	cr_assert_null(w.trigger);
	cr_assert_null(w.query_name);
	cr_assert_null(w.checkpoint);

	cr_assert_eq(sl_options_apply(sl_writer_options, &w,
				      KV("outputMode", "Complete", "trigger",
					 "continuous 1 second", "queryName",
					 "q1", "checkpointLocation", "/tmp/c"),
				      NULL, "query", &arena, &err),
		     0, "%s", err.msg);
	cr_assert_eq(w.output_mode, SL_MODE_COMPLETE);
	cr_assert_str_eq(w.query_name, "q1");
	cr_assert_str_eq(w.checkpoint, "/tmp/c");
	cr_assert_eq(sl_trigger_parse(w.trigger, &t, &err), 0);
	cr_assert_eq(t.kind, SL_TRIG_CONTINUOUS);

	cr_assert_eq(sl_options_apply(sl_writer_options, &w,
				      KV("outputMode", "update"), NULL, "query",
				      &arena, &err),
		     0);
	cr_assert_eq(w.output_mode, SL_MODE_UPDATE);
	cr_assert_eq(sl_options_apply(sl_writer_options, &w,
				      KV("outputMode", "replace"), NULL,
				      "query", &arena, &err),
		     SL_EOPTION);
	cr_assert(strstr(err.msg, "append, update, complete"), "%s", err.msg);
}

Test(writer, names_match_table)
{
	int n = 0;

	for (; sl_writer_option_names[n]; n++)
		cr_assert_str_eq(sl_writer_option_names[n],
				 sl_writer_options[n].name);
	cr_assert_null(sl_writer_options[n].name);
	cr_assert_eq(n, 8);
}

/* ---- Markdown --------------------------------------------------------- */

Test(markdown, table)
{
	char buf[4096];
	size_t n = sl_options_markdown(table, "Source `test`", "A test.", buf,
				       sizeof(buf));

	cr_assert_eq(n, strlen(buf));
	cr_assert(strstr(buf, "## Source `test`\n\nA test.\n\n"), "%s", buf);
	cr_assert(strstr(buf, "| option | type | default | allowed / range "
			      "| description |\n| --- | --- | --- | --- | "
			      "--- |\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `count` | int | `10` | between 1 and 100 | "
			      "How many. |\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `color` | enum | `green` | `red`, `green`, "
			      "`blue` | Which colour. |\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `timeout` | duration | `30 seconds` | >= 0 "
			      "ms | How long. |\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `verbose` | bool | `false` | `true`, "
			      "`false` |"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `kafka.*` | passthrough |  |  | "), "%s", buf);
	cr_assert(strstr(buf, "A name \\| with a pipe."), "%s", buf);
}

Test(markdown, required_and_truncation)
{
	char buf[4096], small[16];
	size_t n = sl_options_markdown(req_table, "T", NULL, buf, sizeof(buf));

	cr_assert(strstr(buf, "| `topic` | string | required |  | Where. |"),
		  "%s", buf);
	cr_assert_eq(
	    sl_options_markdown(req_table, "T", NULL, small, sizeof(small)), n);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(strncmp(small, buf, sizeof(small) - 1), 0);
	cr_assert_eq(sl_options_markdown(req_table, "T", NULL, NULL, 0), n);
}

Test(markdown, no_options)
{
	static const sl_opt_def none[] = {{.name = NULL}};
	char buf[256];

	sl_options_markdown(none, "Sink `noop`", NULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "## Sink `noop`\n\nNo options.\n\n");
}

Test(reference, every_component)
{
	char *doc = sl_options_reference(), *again = sl_options_reference();
	char want[128];

	cr_assert_not_null(doc);
	cr_assert_str_eq(doc, again, "output must be stable");
	cr_assert(strstr(doc, "sluice options"), "%s", doc);
	cr_assert(strstr(doc, "Do not edit by hand"), "%s", doc);
	for (int i = 0; sl_sources[i]; i++) {
		snprintf(want, sizeof(want), "## Source `%s`\n",
			 sl_sources[i]->name);
		cr_assert(strstr(doc, want), "missing %s", want);
	}
	for (int i = 0; sl_sinks[i]; i++) {
		snprintf(want, sizeof(want), "## Sink `%s`\n",
			 sl_sinks[i]->name);
		cr_assert(strstr(doc, want), "missing %s", want);
	}
	cr_assert(strstr(doc, "## Writer options\n"), "%s", doc);
	cr_assert(strstr(doc, "| `rowsPerSecond` | int | `1` |"), "%s", doc);
	cr_assert(strstr(doc, "| `rowsPerBatch` | int | required |"), "%s",
		  doc);
	cr_assert(strstr(doc, "| `outputMode` | enum | `append` | `append`, "
			      "`update`, `complete` |"),
		  "%s", doc);
	cr_assert_eq(doc[strlen(doc) - 1], '\n');
	cr_assert_neq(doc[strlen(doc) - 2], '\n');
	free(doc);
	free(again);
}
