/* cli/relay.c - `sluice relay --from TOPIC --to TOPIC`: a Kafka-to-Kafka
 * relay in one command line.
 *
 * The relay is the query a user would write with the public API:
 *
 *   sl_session_read_stream("kafka", subscribe FROM, includeHeaders true)
 *     -> select(key, value, headers [, partition])
 *     -> sl_frame_start("kafka", topic TO, trigger continuous 1 second)
 *
 * and it runs in the wait loop `sluice run` uses (cli/run.c: signals,
 * --timeout, --grace, --progress, --metrics-port), so a relay stops the
 * way a pipeline does: SIGINT/SIGTERM stop the query, whose last epoch
 * drains to Kafka and commits before the process exits 0.
 *
 * Key, value and headers travel unchanged. Without --keep-partition the
 * sink gets no partition column and its producer's murmur2 partitioner
 * (Kafka's default) places each record by its key; with it, the input
 * partition number is the output's (mirroring). Either way, records of one
 * input partition keep their order: one partition thread reads them and
 * one producer writes them in that order.
 *
 * The flags are one table (relay_flags) that parses, suggests a flag for
 * a misspelt one and prints the usage. --option passes any source or sink
 * option through; a flag's own option may not be set again that way. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "io/plugin.h"
#include "sluice.h"

#define RELAY "sluice relay"
#define RELAY_TRIGGER "continuous 1 second"
#define RELAY_QUERY "relay"
/* --option may be given this often; far more than a relay needs. */
#define RELAY_MAX_OPTIONS 64
/* Options the relay sets itself, per side. */
#define RELAY_OWN 10

typedef struct relay_opts {
	const char *from, *to, *bootstrap, *to_bootstrap, *trigger,
		*checkpoint, *group_id, *starting, *name;
	/* --to with ${topic}: what comes before and after it */
	char to_pre[256], to_suf[256];
	bool to_pattern;
	bool keep_partition, exactly_once, create_topics;
	const char *option[RELAY_MAX_OPTIONS]; /* --option, as given */
	uint32_t noptions;
	sl_cli_run_opts run;
} relay_opts;

enum flag_kind { FLAG_STRING, FLAG_SWITCH, FLAG_OPTION };

typedef struct relay_flag {
	const char *name; /* "--from" */
	const char *arg;  /* what its value is, for the usage */
	enum flag_kind kind;
	size_t offset; /* into relay_opts */
	const char *help;
} relay_flag;

static const relay_flag relay_flags[] = {
	{ "--from", "TOPIC[,TOPIC...]", FLAG_STRING, offsetof(relay_opts, from),
	  "topics to read (Spark's subscribe); required" },
	{ "--to", "TOPIC", FLAG_STRING, offsetof(relay_opts, to),
	  "topic to write; required. '${topic}' in it stands for each "
	  "record's\ninput topic: --to 'mirror.${topic}' writes topic a's "
	  "records to mirror.a" },
	{ "--bootstrap-servers", "LIST", FLAG_STRING,
	  offsetof(relay_opts, bootstrap),
	  "the cluster, host:port,... (default: embedded, the mock cluster "
	  "in this\nprocess, which nothing outside it can reach)" },
	{ "--to-bootstrap-servers", "LIST", FLAG_STRING,
	  offsetof(relay_opts, to_bootstrap),
	  "the cluster --to is on, when it is another (a cross-cluster "
	  "mirror;\ndefault: --bootstrap-servers)" },
	{ "--keep-partition", NULL, FLAG_SWITCH,
	  offsetof(relay_opts, keep_partition),
	  "write each record to its input partition's number (mirroring);\n"
	  "default: the partition follows the key (Kafka's murmur2)" },
	{ "--create-topics", NULL, FLAG_SWITCH,
	  offsetof(relay_opts, create_topics),
	  "make the --to topics that are missing, each with its input\n"
	  "topic's partition count (the sink's createTopics)" },
	{ "--starting-offsets", "earliest|latest|JSON", FLAG_STRING,
	  offsetof(relay_opts, starting),
	  "where a new relay starts (default: the committed offsets of\n"
	  "--group-id if given, else latest); a checkpoint overrides it" },
	{ "--group-id", "ID", FLAG_STRING, offsetof(relay_opts, group_id),
	  "consumer group: offsets are committed to it after each epoch" },
	{ "--exactly-once", NULL, FLAG_SWITCH,
	  offsetof(relay_opts, exactly_once),
	  "each epoch is one Kafka transaction with the --group-id offsets\n"
	  "(needs --group-id): a read_committed consumer of --to sees every\n"
	  "record once, across crashes; output shows when its epoch "
	  "commits" },
	{ "--checkpoint", "DIR", FLAG_STRING, offsetof(relay_opts, checkpoint),
	  "checkpointLocation: a restart resumes where the last epoch "
	  "ended" },
	{ "--trigger", "TRIGGER", FLAG_STRING, offsetof(relay_opts, trigger),
	  "default '" RELAY_TRIGGER "': records flow as they come; the "
	  "interval\nis how often an epoch commits" },
	{ "--query-name", "NAME", FLAG_STRING, offsetof(relay_opts, name),
	  "queryName, in progress and metrics (default '" RELAY_QUERY "')" },
	{ "--option", "KEY=VALUE", FLAG_OPTION, 0,
	  "any option, repeatable: source.KEY for the Kafka source,\n"
	  "sink.KEY for the sink or the writer (outputMode, ...), kafka.KEY "
	  "for a\nlibrdkafka property of both (docs/OPTIONS.md)" },
	{ NULL, NULL, FLAG_STRING, 0, NULL },
};

static void relay_usage(FILE *to)
{
	fputs("usage: " RELAY " --from TOPIC[,TOPIC...] --to TOPIC "
	      "[options]\n"
	      "\n"
	      "Copies every record of the --from topics into --to (key, "
	      "value, headers and\n"
	      "timestamp unchanged, in order per partition) until SIGINT or "
	      "SIGTERM, which\n"
	      "stop it after its last epoch has committed.\n"
	      "\n",
	      to);
	for (const relay_flag *f = relay_flags; f->name; f++) {
		char head[64];
		snprintf(head, sizeof(head), "%s%s%s", f->name,
			 f->arg ? " " : "", f->arg ? f->arg : "");
		fprintf(to, "  %s\n", head);
		/* the help, indented, a line at a time */
		for (const char *h = f->help; *h;) {
			size_t n = strcspn(h, "\n");
			fprintf(to, "        %.*s\n", (int)n, h);
			h += n + (h[n] == '\n');
		}
	}
	fputs("  --timeout SECONDS, --grace SECONDS, --progress, "
	      "--metrics-port PORT\n"
	      "        as for sluice run (sluice --help)\n"
	      "\n"
	      "Example: " RELAY " --from in --to out --bootstrap-servers "
	      "127.0.0.1:9092 \\\n"
	      "             --checkpoint /var/lib/sluice/in-out "
	      "--option kafka.acks=all\n"
	      "Exit status: 0 stopped cleanly, 1 the relay failed, 2 usage "
	      "error.\n",
	      to);
}

/* Keeps cand in *best if it is nearer to name than *best is. */
static void keep_if_nearer(const char *name, const char *cand,
			   const char **best, int *bestd)
{
	int d = sl_edit_distance(name, cand);
	if (d < *bestd) {
		*bestd = d;
		*best = cand;
	}
}

/* The known flag closest to a (its "--name" part), or NULL if none is
 * close enough to be a typo of it. */
static const char *closest_flag(const char *a)
{
	char name[64];
	const char *best = NULL;
	int bestd = 1 << 20;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
	for (const relay_flag *f = relay_flags; f->name; f++)
		keep_if_nearer(name, f->name, &best, &bestd);
	for (const char *const *r = sl_cli_run_flags; *r; r++)
		keep_if_nearer(name, *r, &best, &bestd);
	/* as option.c judges option names: two edits, or a third of it */
	if (best && (bestd <= 2 || (size_t)bestd * 3 <= strlen(best)))
		return best;
	return NULL;
}

static int unknown_flag(const char *a)
{
	const char *near = closest_flag(a);
	if (near)
		return sl_cli_command_usage_error(
			RELAY,
			"unknown option '%s'; did you mean "
			"'%s'?",
			a, near);
	return sl_cli_command_usage_error(RELAY, "unknown option '%s'", a);
}

/* Reads argv into o. Returns 0 (*help set for --help), or SL_EXIT_USAGE
 * after saying why. */
static int relay_parse(int argc, char **argv, relay_opts *o, bool *help)
{
	char msg[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		const relay_flag *f;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		}
		int r = sl_cli_run_option(argc, argv, &i, &o->run, msg,
					  sizeof(msg));
		if (r < 0)
			return sl_cli_command_usage_error(RELAY, "%s", msg);
		if (r > 0)
			continue;
		if (a[0] != '-')
			return sl_cli_command_usage_error(
				RELAY,
				"unexpected argument '%s': "
				"topics go after --from and "
				"--to",
				a);
		size_t nl = strcspn(a, "=");
		for (f = relay_flags; f->name; f++)
			if (strlen(f->name) == nl && !strncmp(a, f->name, nl))
				break;
		if (!f->name)
			return unknown_flag(a);
		if (f->kind == FLAG_SWITCH) {
			if (a[nl])
				return sl_cli_command_usage_error(
					RELAY, "%s takes no value", f->name);
			*(bool *)((char *)o + f->offset) = true;
			continue;
		}
		if (a[nl] == '=')
			val = a + nl + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return sl_cli_command_usage_error(RELAY, "%s needs %s",
							  f->name, f->arg);
		if (!*val)
			return sl_cli_command_usage_error(
				RELAY, "%s needs %s, got ''", f->name, f->arg);
		if (f->kind == FLAG_OPTION) {
			if (o->noptions == RELAY_MAX_OPTIONS)
				return sl_cli_command_usage_error(
					RELAY,
					"more than %d "
					"--option",
					RELAY_MAX_OPTIONS);
			o->option[o->noptions++] = val;
			continue;
		}
		const char **dst = (const char **)((char *)o + f->offset);
		if (*dst)
			return sl_cli_command_usage_error(
				RELAY,
				"%s given twice ('%s' and "
				"'%s')",
				f->name, *dst, val);
		*dst = val;
	}
	if (!o->from)
		return sl_cli_command_usage_error(
			RELAY, "--from TOPIC is missing: the topics "
			       "to read");
	if (!o->to)
		return sl_cli_command_usage_error(
			RELAY, "--to TOPIC is missing: the topic to "
			       "write");
	/* --to 'mirror.${topic}': one ${topic}, and around it only what a
	 * Kafka topic name may hold (so it needs no quoting in the
	 * expression that makes each record's topic). */
	const char *var = strstr(o->to, "${topic}");
	if (var) {
		const char *suf = var + 8;
		size_t pre = (size_t)(var - o->to);

		if (strstr(suf, "${") || pre >= sizeof(o->to_pre) ||
		    strlen(suf) >= sizeof(o->to_suf))
			return sl_cli_command_usage_error(
				RELAY, "--to '%s': one '${topic}' at most, "
				       "and nothing else in ${...}",
				o->to);
		for (const char *c = o->to; *c; c++) {
			if (c == var) {
				c += 7;
				continue;
			}
			if (!isalnum((unsigned char)*c) && *c != '.' &&
			    *c != '_' && *c != '-')
				return sl_cli_command_usage_error(
					RELAY,
					"--to '%s': '%c' cannot be in a "
					"Kafka topic name (letters, digits, "
					"'.', '_', '-')",
					o->to, *c);
		}
		memcpy(o->to_pre, o->to, pre);
		o->to_pre[pre] = 0;
		snprintf(o->to_suf, sizeof(o->to_suf), "%s", suf);
		o->to_pattern = true;
	}
	/* A relay into a topic it reads would copy its own output forever
	 * (on another cluster it is a mirror). */
	bool same = !o->to_bootstrap ||
		    !strcmp(o->to_bootstrap,
			    o->bootstrap ? o->bootstrap : "embedded");
	for (const char *t = o->from; same && *t;) {
		size_t n = strcspn(t, ",");
		while (n && (*t == ' ' || *t == '\t')) {
			t++;
			n--;
		}
		size_t m = n;
		while (m && (t[m - 1] == ' ' || t[m - 1] == '\t'))
			m--;
		size_t lp = strlen(o->to_pre), ls = strlen(o->to_suf);
		bool loop = o->to_pattern
				    ? !lp && !ls
				    : m == strlen(o->to) && !strncmp(t, o->to, m);
		if (loop)
			return sl_cli_command_usage_error(
				RELAY,
				"--to '%s' is among the --from "
				"topics: the relay would read "
				"its own output",
				o->to);
		t += n + (t[n] == ',');
	}
	if (o->exactly_once && !o->group_id)
		return sl_cli_command_usage_error(
			RELAY, "--exactly-once needs --group-id ID: the "
			       "consumer group whose offsets each "
			       "transaction commits, where a restart "
			       "resumes");
	return 0;
}

/* ---- the options of the source and the sink ------------------------------ */

/* key, value pairs for sl_session_read_stream / sl_frame_start, each with the
 * flag that set it (NULL: an --option). */
typedef struct relay_kvs {
	const char *kv[2 * (RELAY_OWN + RELAY_MAX_OPTIONS) + 1];
	const char *flag[RELAY_OWN + RELAY_MAX_OPTIONS];
	uint32_t n;
} relay_kvs;

static void kvs_add(relay_kvs *k, const char *key, const char *value,
		    const char *flag)
{
	k->flag[k->n] = flag;
	k->kv[2 * k->n] = key;
	k->kv[2 * k->n + 1] = value;
	k->kv[2 * ++k->n] = NULL;
}

/* Adds one --option (side "source" or "sink") unless the key is there
 * already: keys match case-insensitively, as the option tables do. */
static int kvs_add_option(relay_kvs *k, const char *side, const char *key,
			  const char *value, const char *given)
{
	for (uint32_t i = 0; i < k->n; i++) {
		if (strcasecmp(k->kv[2 * i], key))
			continue;
		if (k->flag[i] && !strncmp(k->flag[i], "--", 2))
			return sl_cli_command_usage_error(
				RELAY,
				"--option '%s': the %s's "
				"'%s' is set by %s; use %s",
				given, side, key, k->flag[i], k->flag[i]);
		if (k->flag[i])
			return sl_cli_command_usage_error(
				RELAY,
				"--option '%s': the %s's "
				"'%s' is set by %s",
				given, side, key, k->flag[i]);
		return sl_cli_command_usage_error(
			RELAY,
			"--option '%s': the %s's '%s' is "
			"given twice",
			given, side, key);
	}
	kvs_add(k, key, value, NULL);
	return 0;
}

/* Splits each --option into key and value (the keys are malloc'd into
 * keys[], freed by the caller) and adds it to its side. */
static int relay_add_options(const relay_opts *o, relay_kvs *src,
			     relay_kvs *sink, char **keys)
{
	static const char src_p[] = "source.", sink_p[] = "sink.";

	for (uint32_t i = 0; i < o->noptions; i++) {
		const char *g = o->option[i], *eq = strchr(g, '=');
		if (!eq || eq == g)
			return sl_cli_command_usage_error(
				RELAY,
				"--option '%s': expected "
				"KEY=VALUE",
				g);
		keys[i] = strndup(g, (size_t)(eq - g));
		if (!keys[i]) {
			fputs(RELAY ": out of memory\n", stderr);
			return SL_EXIT_FAIL;
		}
		const char *key = keys[i], *val = eq + 1;
		int rc = 0;
		if (!strncasecmp(key, src_p, sizeof(src_p) - 1) &&
		    key[sizeof(src_p) - 1]) {
			rc = kvs_add_option(src, "source",
					    key + sizeof(src_p) - 1, val, g);
		} else if (!strncasecmp(key, sink_p, sizeof(sink_p) - 1) &&
			   key[sizeof(sink_p) - 1]) {
			rc = kvs_add_option(sink, "sink",
					    key + sizeof(sink_p) - 1, val, g);
		} else if (!strncasecmp(key, "kafka.", 6) && key[6]) {
			/* a client property (security, SASL, ...) is
			 * usually the same for both clients */
			rc = kvs_add_option(src, "source", key, val, g);
			if (!rc)
				rc = kvs_add_option(sink, "sink", key, val, g);
		} else {
			return sl_cli_command_usage_error(
				RELAY,
				"--option '%s': say which side the option "
				"is for: source.%s or sink.%s (kafka.KEY is "
				"a librdkafka property for both)",
				g, key, key);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the run ---------------------------------------------------------- */

static void relay_announce(const relay_opts *o, bool embedded)
{
	const char *start = o->starting	  ? o->starting
			    : o->group_id ? "the group's committed offsets"
					  : "latest";

	fprintf(stderr,
		RELAY ": relaying %s -> %s on %s; trigger '%s', starting at "
		      "%s%s, %s; SIGINT or SIGTERM stops it\n",
		o->from, o->to,
		embedded ? "the embedded cluster (in this process only)"
			 : o->bootstrap,
		o->trigger ? o->trigger : RELAY_TRIGGER, start,
		o->exactly_once	 ? ", exactly once"
		: o->checkpoint ? ", checkpointed"
				: "",
		o->keep_partition ? "partitions kept" : "partitions by key");
	if (o->to_bootstrap)
		fprintf(stderr, RELAY ": writing to the cluster at %s\n",
			o->to_bootstrap);
	if (o->starting && !strcasecmp(o->starting, "earliest") &&
	    !o->checkpoint && !o->exactly_once)
		fputs(RELAY
		      ": note: without --checkpoint every start copies "
		      "the --from topics from their earliest offset again\n",
		      stderr);
}

static int relay_run(const relay_opts *o)
{
	relay_kvs src = { .n = 0 }, sink = { .n = 0 };
	char *keys[RELAY_MAX_OPTIONS] = { 0 };
	bool embedded = !o->bootstrap || !strcasecmp(o->bootstrap, "embedded");
	const char *bs = embedded ? "embedded" : o->bootstrap;
	sl_session *s = NULL;
	int rc;

	kvs_add(&src, "subscribe", o->from, "--from");
	kvs_add(&src, "kafka.bootstrap.servers", bs, "--bootstrap-servers");
	kvs_add(&src, "includeHeaders", "true",
		"the relay itself: headers always travel");
	/* Not given, the source's own rule applies: the group's committed
	 * offsets when there is a group, else latest. */
	if (o->starting)
		kvs_add(&src, "startingOffsets", o->starting,
			"--starting-offsets");
	if (o->group_id)
		kvs_add(&src, "kafka.group.id", o->group_id, "--group-id");
	if (!o->to_pattern)
		kvs_add(&sink, "topic", o->to, "--to");
	kvs_add(&sink, "kafka.bootstrap.servers",
		o->to_bootstrap ? o->to_bootstrap : bs,
		o->to_bootstrap ? "--to-bootstrap-servers"
				: "--bootstrap-servers");
	kvs_add(&sink, "writeTimestamp", "true",
		"the relay itself: record times travel");
	kvs_add(&sink, "trigger", o->trigger ? o->trigger : RELAY_TRIGGER,
		"--trigger");
	kvs_add(&sink, "queryName", o->name ? o->name : RELAY_QUERY,
		"--query-name");
	if (o->checkpoint)
		kvs_add(&sink, "checkpointLocation", o->checkpoint,
			"--checkpoint");
	if (o->exactly_once)
		kvs_add(&sink, "deliveryGuarantee", "exactly-once",
			"--exactly-once");
	if (o->create_topics)
		kvs_add(&sink, "createTopics", o->to, "--create-topics");
	rc = relay_add_options(o, &src, &sink, keys);
	if (rc)
		goto out;

	rc = SL_EXIT_FAIL;
	s = sl_cli_session_new();
	if (!s) {
		fputs(RELAY ": out of memory\n", stderr);
		goto out;
	}
	/* Before the source: making it waits for the cluster's metadata,
	 * and a signal meanwhile must still end the run cleanly. */
	sl_cli_signals_install();
	if (sl_cli_metrics_start(s, &o->run))
		goto out;
	/* The record's time goes along: CreateTime kept, LogAppendTime
	 * carried as CreateTime. */
	char topic_expr[600];
	const char *cols[7] = { "key", "value", "headers", "timestamp" };
	int nc = 4;
	if (o->keep_partition)
		cols[nc++] = "partition";
	if (o->to_pattern) {
		snprintf(topic_expr, sizeof(topic_expr),
			 "concat('%s', topic, '%s') AS topic", o->to_pre,
			 o->to_suf);
		cols[nc++] = topic_expr;
	}
	cols[nc] = NULL;
	sl_frame *in = sl_session_read_stream(s, "kafka", src.kv);
	sl_frame *sel = in ? sl_frame_select(in, cols) : NULL;
	sl_query *q = sel ? sl_frame_start(sel, "kafka", sink.kv, NULL) : NULL;
	if (!q) {
		fprintf(stderr, RELAY ": cannot start: %s\n",
			sl_session_errmsg(s));
		goto out;
	}
	relay_announce(o, embedded);
	const char *label = RELAY;
	rc = sl_cli_run_queries(
		s, &(sl_cli_queries){ .q = &q, .label = &label, .n = 1 },
		&o->run);
out:
	sl_session_destroy(s);
	for (uint32_t i = 0; i < o->noptions; i++)
		free(keys[i]);
	return rc;
}

int sl_cli_relay(int argc, char **argv)
{
	relay_opts o = { .from = NULL };
	bool help = false;
	int rc = relay_parse(argc, argv, &o, &help);

	if (help) {
		relay_usage(stdout);
		return SL_EXIT_OK;
	}
	return rc ? rc : relay_run(&o);
}
