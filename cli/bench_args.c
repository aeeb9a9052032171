/* cli/bench_args.c - the command line of `sluice bench` and its workload
 * files: one setter serves both (an option is "--name value" on the
 * command line and "name": value in a workload file's JSON object), so a
 * run written down is the run typed. Options given on the command line
 * after --workload override the file's. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/bench_internal.h"
#include "cli/cli.h"

void sl_bench_usage(FILE *to)
{
	fputs("usage: sluice bench [options]\n"
	      "\n"
	      "Sends timestamped records at a fixed rate into a Kafka topic and "
	      "reads them\n"
	      "back, printing every second and in a summary: end-to-end "
	      "latency, publish\n"
	      "(acknowledgement) latency and publish delay against the "
	      "schedule, at\n"
	      "p50/p75/p90/p95/p99/p99.9/p99.99/max, throughput, consumer lag, "
	      "loss,\n"
	      "duplicates and reordering. Latency is measured from each "
	      "record's scheduled\n"
	      "send time.\n"
	      "\n"
	      "  --bootstrap-servers LIST|embedded  the cluster (default: "
	      "embedded, a mock\n"
	      "                        cluster inside this process; for demos, "
	      "not figures)\n"
	      "  --mode relay|topic|external\n"
	      "                        relay (default): a sluice query copies "
	      "--from to --to\n"
	      "                        and the checker reads --to; topic: the "
	      "checker reads\n"
	      "                        --from (the cluster alone); external: a "
	      "relay bench\n"
	      "                        does not run copies --from to --to\n"
	      "  --rate N              records per second (default 1000)\n"
	      "  --size BYTES|MIN-MAX  payload size, >= 24 (default 100); a "
	      "range: uniform\n"
	      "  --payload-file FILE   the payload's bytes after its 24-byte "
	      "header, from FILE\n"
	      "  --duration SECONDS    measured time (default 10)\n"
	      "  --warmup SECONDS      sent first, not in the figures "
	      "(default 1)\n"
	      "  --partitions N        partitions of the topics bench creates "
	      "(default 1)\n"
	      "  --from TOPIC          (default sluice-bench-in; --topic is "
	      "the same)\n"
	      "  --to TOPIC            (default sluice-bench-out)\n"
	      "  --keys none|round-robin:N|uniform:N|zipf:N[:S]\n"
	      "                        record keys (default none: records go "
	      "round robin\n"
	      "                        over the partitions, without a key)\n"
	      "  --producers N         producer threads (default 1)\n"
	      "  --consumers N         checker consumers, each its own thread "
	      "(default 1;\n"
	      "                        at most one a partition)\n"
	      "  --no-create           fail on a missing topic instead of "
	      "creating it\n"
	      "  --kafka KEY=VALUE     a librdkafka property for every client "
	      "(repeatable)\n"
	      "  --json                the summary as one JSON object on "
	      "stdout (the\n"
	      "                        per-second lines go to stderr)\n"
	      "  --json-file FILE      the summary JSON written to FILE too\n"
	      "  --csv FILE            the per-second figures as CSV\n"
	      "  --hdr-log FILE        the end-to-end latency of each second as "
	      "an\n"
	      "                        HdrHistogram interval log\n"
	      "  --plot FILE.png       latency per second and by percentile, "
	      "drawn\n"
	      "  --rate-steps R1,R2,.. one run per rate, then a table\n"
	      "  --find-max-rate       runs at rising rates (from --rate, "
	      "doubling, then\n"
	      "                        bisecting) and reports the highest "
	      "whose latency\n"
	      "                        percentile stays under --p99-bound with "
	      "nothing lost\n"
	      "  --p99-bound MS        the bound (with --percentile P: that "
	      "percentile's)\n"
	      "  --percentile P        (default 99)\n"
	      "  --rate-max N          the highest rate --find-max-rate tries "
	      "(default 1e6)\n"
	      "  --workload FILE       options from a JSON object "
	      "{\"rate\": 5000, ...};\n"
	      "                        options after it override its\n"
	      "\n"
	      "Exit status: 0 every record sent was received exactly once (a "
	      "rate found,\n"
	      "with --find-max-rate), 1 loss or a failure, 2 usage error. "
	      "docs/BENCH-TOOL.md\n"
	      "has the details.\n",
	      to);
}

static int parse_num(const char *opt, const char *text, double lo, double hi,
		     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno || !isfinite(v) || v < lo || v > hi)
		return sl_cli_command_usage_error(
			BENCH, "%s '%s': expected a number from %g to %g", opt,
			text, lo, hi);
	*out = v;
	return 0;
}

/* --keys: none, round-robin:N, uniform:N, zipf:N[:S]. */
static int parse_keys(sl_bench_opts *o, const char *val)
{
	const char *colon = strchr(val, ':');
	size_t klen = colon ? (size_t)(colon - val) : strlen(val);
	double n, s = 1.0;

	if (!strcmp(val, "none")) {
		o->keys = SL_BENCH_KEYS_NONE;
		return 0;
	}
	if (!colon)
		goto bad;
	if (klen == 11 && !strncmp(val, "round-robin", klen))
		o->keys = SL_BENCH_KEYS_ROUND_ROBIN;
	else if (klen == 7 && !strncmp(val, "uniform", klen))
		o->keys = SL_BENCH_KEYS_UNIFORM;
	else if (klen == 4 && !strncmp(val, "zipf", klen))
		o->keys = SL_BENCH_KEYS_ZIPF;
	else
		goto bad;
	char num[64];
	const char *second = strchr(colon + 1, ':');
	size_t nlen = second ? (size_t)(second - colon - 1) : strlen(colon + 1);
	if (nlen >= sizeof(num))
		goto bad;
	memcpy(num, colon + 1, nlen);
	num[nlen] = 0;
	if (parse_num("--keys", num, 1, SL_BENCH_MAX_KEYS, &n))
		return SL_EXIT_USAGE;
	if (second) {
		if (o->keys != SL_BENCH_KEYS_ZIPF)
			goto bad;
		if (parse_num("--keys", second + 1, 0.01, 10, &s))
			return SL_EXIT_USAGE;
	}
	o->nkeys = (uint32_t)n;
	o->zipf_s = s;
	return 0;
bad:
	return sl_cli_command_usage_error(
		BENCH,
		"--keys '%s': expected none, round-robin:N, uniform:N or "
		"zipf:N[:S]",
		val);
}

/* --rate-steps 1000,2000,5000 */
static int parse_steps(sl_bench_opts *o, const char *val)
{
	char buf[1024];

	if (strlen(val) >= sizeof(buf))
		return sl_cli_command_usage_error(BENCH, "--rate-steps: too "
						  "long");
	snprintf(buf, sizeof(buf), "%s", val);
	o->nsteps = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nsteps == SL_BENCH_MAX_STEPS)
			return sl_cli_command_usage_error(
				BENCH, "--rate-steps: more than %d rates",
				SL_BENCH_MAX_STEPS);
		if (parse_num("--rate-steps", tok, 0.001, 1e7,
			      &o->steps[o->nsteps]))
			return SL_EXIT_USAGE;
		o->nsteps++;
	}
	if (!o->nsteps)
		return sl_cli_command_usage_error(BENCH, "--rate-steps needs "
						  "at least one rate");
	return 0;
}

/* The flags: options without a value. */
static bool is_flag(const char *name)
{
	return !strcmp(name, "json") || !strcmp(name, "no-create") ||
	       !strcmp(name, "find-max-rate");
}

/* Strings given to the options must outlive the run: the command line's
 * do; a workload file's copies are kept here and freed after the run. */
#define MAX_KEPT 256
struct kept {
	char *p[MAX_KEPT];
	int n;
};

static const char *keep(struct kept *k, const char *s)
{
	if (k->n == MAX_KEPT)
		return NULL;
	return k->p[k->n++] = strdup(s);
}

/* Applies option `name` (no leading dashes) = val. */
static int set_opt(sl_bench_opts *o, const char *name, const char *val,
		   bool *to_given)
{
	double v;

	if (!strcmp(name, "json")) {
		o->json = true;
	} else if (!strcmp(name, "no-create")) {
		o->create = false;
	} else if (!strcmp(name, "find-max-rate")) {
		o->find_max = true;
	} else if (!strcmp(name, "bootstrap-servers")) {
		o->bootstrap = val;
	} else if (!strcmp(name, "mode")) {
		if (!strcmp(val, "relay"))
			o->mode = SL_BENCH_RELAY;
		else if (!strcmp(val, "topic"))
			o->mode = SL_BENCH_TOPIC;
		else if (!strcmp(val, "external"))
			o->mode = SL_BENCH_EXTERNAL;
		else
			return sl_cli_command_usage_error(
				BENCH,
				"--mode '%s': expected relay, topic or external",
				val);
	} else if (!strcmp(name, "rate")) {
		return parse_num("--rate", val, 0.001, 1e7, &o->rate);
	} else if (!strcmp(name, "size")) {
		/* N, or MIN-MAX: sizes uniform over the range */
		const char *dash = strchr(val, '-');
		double lo = 0;
		char first[32];
		if (dash && (size_t)(dash - val) < sizeof(first)) {
			memcpy(first, val, (size_t)(dash - val));
			first[dash - val] = 0;
			if (parse_num("--size", first, SL_BENCH_HEADER,
				      16 << 20, &lo))
				return SL_EXIT_USAGE;
			val = dash + 1;
		}
		if (parse_num("--size", val, lo > 0 ? lo : SL_BENCH_HEADER,
			      16 << 20, &v))
			return SL_EXIT_USAGE;
		o->size = (uint32_t)v;
		o->size_min = (uint32_t)lo;
	} else if (!strcmp(name, "payload-file")) {
		o->payload_file = val;
	} else if (!strcmp(name, "duration")) {
		return parse_num("--duration", val, 0.001, 86400,
				 &o->duration_s);
	} else if (!strcmp(name, "warmup")) {
		return parse_num("--warmup", val, 0, 3600, &o->warmup_s);
	} else if (!strcmp(name, "partitions")) {
		if (parse_num("--partitions", val, 1, 10000, &v))
			return SL_EXIT_USAGE;
		o->partitions = (int)v;
	} else if (!strcmp(name, "producers")) {
		if (parse_num("--producers", val, 1, SL_BENCH_MAX_PRODUCERS,
			      &v))
			return SL_EXIT_USAGE;
		o->producers = (int)v;
	} else if (!strcmp(name, "consumers")) {
		if (parse_num("--consumers", val, 1, SL_BENCH_MAX_CONSUMERS,
			      &v))
			return SL_EXIT_USAGE;
		o->consumers = (int)v;
	} else if (!strcmp(name, "from") || !strcmp(name, "topic")) {
		if (!*val)
			return sl_cli_command_usage_error(
				BENCH, "--%s needs a topic", name);
		o->from = val;
	} else if (!strcmp(name, "to")) {
		if (!*val)
			return sl_cli_command_usage_error(BENCH,
							  "--to needs a topic");
		o->to = val;
		*to_given = true;
	} else if (!strcmp(name, "keys")) {
		return parse_keys(o, val);
	} else if (!strcmp(name, "json-file")) {
		o->json_file = val;
	} else if (!strcmp(name, "csv")) {
		o->csv_file = val;
	} else if (!strcmp(name, "hdr-log")) {
		o->hdr_log = val;
	} else if (!strcmp(name, "plot")) {
		o->plot = val;
	} else if (!strcmp(name, "rate-steps")) {
		return parse_steps(o, val);
	} else if (!strcmp(name, "p99-bound")) {
		return parse_num("--p99-bound", val, 0.001, 3.6e6,
				 &o->p_bound_ms);
	} else if (!strcmp(name, "percentile")) {
		return parse_num("--percentile", val, 1, 100, &o->p_pct);
	} else if (!strcmp(name, "rate-max")) {
		return parse_num("--rate-max", val, 0.001, 1e7, &o->rate_max);
	} else if (!strcmp(name, "kafka") || !strcmp(name, "X")) {
		const char *e = strchr(val, '=');

		if (!e || e == val)
			return sl_cli_command_usage_error(
				BENCH, "--kafka '%s': expected KEY=VALUE", val);
		if (o->nprops == SL_BENCH_MAX_PROPS)
			return sl_cli_command_usage_error(
				BENCH, "more than %d --kafka properties",
				SL_BENCH_MAX_PROPS);
		o->prop_key[o->nprops] = strndup(val, (size_t)(e - val));
		o->prop_value[o->nprops++] = e + 1;
	} else {
		return sl_cli_command_usage_error(BENCH,
						  "unknown option '--%s'", name);
	}
	return 0;
}

/* A workload file: a JSON object of options; a value is a string, a
 * number, true (a flag), or for "kafka" an object of properties. */
static int load_workload(sl_bench_opts *o, const char *path, bool *to_given,
			 struct kept *kept)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	const char *k;
	json_t *v;
	int rc = 0;

	if (!j)
		return sl_cli_command_usage_error(
			BENCH, "--workload '%s': line %d, column %d: %s", path,
			je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return sl_cli_command_usage_error(
			BENCH, "--workload '%s': expected a JSON object", path);
	}
	json_object_foreach(j, k, v)
	{
		char num[64];
		const char *val = NULL;

		if (!strcmp(k, "kafka") && json_is_object(v)) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv)
			{
				char kv[1024];
				if (!json_is_string(pv)) {
					rc = sl_cli_command_usage_error(
						BENCH,
						"--workload '%s': kafka.%s: "
						"expected a string",
						path, pk);
					goto out;
				}
				snprintf(kv, sizeof(kv), "%s=%s", pk,
					 json_string_value(pv));
				const char *kk = keep(kept, kv);
				if (!kk) {
					rc = sl_cli_command_usage_error(
						BENCH, "--workload '%s': too "
						       "many options", path);
					goto out;
				}
				if ((rc = set_opt(o, "kafka", kk, to_given)))
					goto out;
			}
			continue;
		}
		if (is_flag(k)) {
			if (!json_is_boolean(v)) {
				rc = sl_cli_command_usage_error(
					BENCH,
					"--workload '%s': \"%s\": expected true "
					"or false",
					path, k);
				goto out;
			}
			if (!json_is_true(v))
				continue;
		} else if (json_is_string(v)) {
			val = json_string_value(v);
		} else if (json_is_number(v)) {
			snprintf(num, sizeof(num), "%.17g", json_number_value(v));
			val = num;
		} else {
			rc = sl_cli_command_usage_error(
				BENCH,
				"--workload '%s': \"%s\": expected a string or "
				"a number",
				path, k);
			goto out;
		}
		if (!strcmp(k, "workload")) {
			rc = sl_cli_command_usage_error(
				BENCH, "--workload '%s': a workload cannot "
				       "name another",
				path);
			goto out;
		}
		const char *kv = val ? keep(kept, val) : NULL;
		if (val && !kv) {
			rc = sl_cli_command_usage_error(
				BENCH, "--workload '%s': too many options",
				path);
			goto out;
		}
		if ((rc = set_opt(o, k, kv, to_given))) {
			fprintf(stderr, "  (in the workload file %s)\n", path);
			goto out;
		}
	}
out:
	json_decref(j);
	return rc;
}

static int bench_main(int argc, char **argv, sl_bench_opts *o,
		      struct kept *kept)
{
	bool to_given = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char name[64];
		char *eq;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			sl_bench_usage(stdout);
			return SL_EXIT_OK;
		}
		if (strncmp(a, "--", 2) && strcmp(a, "-X"))
			return sl_cli_command_usage_error(
				BENCH, "unexpected argument '%s'", a);
		/* --name=value or --name value */
		snprintf(name, sizeof(name), "%s", a + (a[1] == '-' ? 2 : 1));
		if ((eq = strchr(name, '='))) {
			*eq = 0;
			val = strchr(a, '=') + 1;
		} else if (is_flag(name)) {
			val = NULL;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return sl_cli_command_usage_error(
				BENCH, "option %s needs a value", a);
		}
		int rc = !strcmp(name, "workload")
				 ? load_workload(o, val, &to_given, kept)
				 : set_opt(o, name, val, &to_given);
		if (rc)
			return rc;
	}
	if (o->mode == SL_BENCH_TOPIC && to_given)
		return sl_cli_command_usage_error(
			BENCH, "--to is for --mode relay or external; topic mode "
			       "reads --from back");
	if (o->mode != SL_BENCH_TOPIC && !strcmp(o->from, o->to))
		return sl_cli_command_usage_error(
			BENCH,
			"--from and --to are both '%s': a relay into its own "
			"input would loop",
			o->from);
	if (o->find_max && !o->p_bound_ms)
		return sl_cli_command_usage_error(
			BENCH, "--find-max-rate needs --p99-bound MS");
	if (o->find_max && o->nsteps)
		return sl_cli_command_usage_error(
			BENCH, "--find-max-rate and --rate-steps: choose one");
	double top = o->rate;
	for (uint32_t i = 0; i < o->nsteps; i++)
		if (o->steps[i] > top)
			top = o->steps[i];
	if (o->find_max)
		top = o->rate_max > 0 ? o->rate_max : 1e6;
	if ((o->warmup_s + o->duration_s) * top > 4e9)
		return sl_cli_command_usage_error(
			BENCH, "rate x (warmup + duration) is over "
			       "4 billion records");
	return o->nsteps || o->find_max ? sl_bench_steps(o)
				      : sl_bench_run(o, NULL);
}

int sl_cli_bench(int argc, char **argv)
{
	struct kept kept = { .n = 0 };
	sl_bench_opts o;

	sl_bench_defaults(&o);
	int rc = bench_main(argc, argv, &o, &kept);

	for (uint32_t i = 0; i < o.nprops; i++)
		free((char *)o.prop_key[i]);
	for (int i = 0; i < kept.n; i++)
		free(kept.p[i]);
	return rc;
}
