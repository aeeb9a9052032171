/* cli/demo.c - `sluice demo` (what `make run` shows): the Kafka relay on
 * the embedded cluster, measured.
 *
 * A fixed-rate producer writes timestamped records into the topic
 * `entrada`; a sluice query (the pipeline printed below, built with the
 * public API) relays them under the continuous trigger into `salida`; a
 * checker reads `salida` and prints throughput and end-to-end latency
 * every second, then a summary. It is `sluice bench` (cli/bench.c) with
 * fixed settings: the embedded cluster (librdkafka's mock cluster, in this
 * process, so nothing needs installing), relay mode, 1000 records/s of
 * 100 bytes, 1 s of warmup and 10 s measured. The rate is kept low because
 * the mock cluster finds a fetch's offset by walking the partition's whole
 * log (one entry per produce request), so each fetch costs in proportion
 * to the records written so far: at 2000 records/s its one thread ran out
 * of time about 8 s in on a 2-core machine and the latency grew without
 * bound (docs/BENCH-TOOL.md, "The demo"). The mock cluster answers a
 * fetch only when fetch.wait.max.ms runs out, so its consumers wait 1 ms
 * and the latency shown is mostly that wait, twice (two hops); the figures
 * that speak for Kafka come from `sluice bench --bootstrap-servers` on a
 * real broker (docs/BENCH-TOOL.md). */
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"

static const char demo_title[] =
	"sluice demo: a Kafka relay on the embedded cluster, measured\n"
	"\n"
	"  producer (1000 records/s, 100 bytes, timestamped)\n"
	"    -> topic entrada\n"
	"    -> sluice query:\n"
	"         CREATE SOURCE entrada WITH (format = 'kafka', "
	"subscribe = 'entrada');\n"
	"         CREATE SINK salida WITH (format = 'kafka', "
	"topic = 'salida',\n"
	"                                  trigger = 'continuous 1 second');\n"
	"         INSERT INTO salida SELECT key, value FROM entrada;\n"
	"    -> topic salida\n"
	"    -> checker: latency from each record's scheduled send time\n"
	"\n"
	"The embedded cluster (librdkafka's mock) answers fetches every 1 ms: "
	"expect about\n"
	"1 ms per hop here. `sluice bench --bootstrap-servers HOST:PORT` "
	"measures a real\n"
	"cluster the same way.\n";

int sl_cli_demo(int argc, char **argv)
{
	sl_bench_opts o;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			fputs("usage: sluice demo\n\n"
			      "Relays 1000 records/s from topic entrada to "
			      "topic salida through a sluice\n"
			      "query on the embedded Kafka cluster for about "
			      "11 s, printing throughput and\n"
			      "latency every second and a summary. Exit status "
			      "0 when nothing was lost.\n",
			      stdout);
			return SL_EXIT_OK;
		}
		return sl_cli_usage_error("demo takes no arguments, got '%s'",
					  argv[1]);
	}
	sl_bench_defaults(&o);
	o.bootstrap = NULL; /* embedded */
	o.mode = SL_BENCH_RELAY;
	o.rate = 1000;
	o.size = 100;
	o.warmup_s = 1;
	o.duration_s = 10;
	o.partitions = 1;
	o.from = "entrada";
	o.to = "salida";
	o.title = demo_title;
	return sl_bench_run(&o, NULL);
}
