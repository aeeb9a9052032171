/* bench/relay/relay.h - private to the relay benchmark (bench/relay.c,
 * the measurements and main): what its parts share. bench/relay/traffic.c
 * makes the clients and topics and runs the generator (produces to IN) and
 * the checker (consumes OUT); bench/relay/relays.c runs the two relays
 * measured, sluice's query and the librdkafka loop; bench/relay/child.c
 * runs a relay alone in a child process, for its memory and, under
 * cachegrind, its instructions per record. */
#ifndef SL_BENCH_RELAY_H
#define SL_BENCH_RELAY_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sluice.h"

#define MAGIC 0x31424c53u /* "SLB1" */
#define HDR 24		  /* magic, phase, seq, scheduled time */
#define MAX_LIST 8
#define MAX_REPS 9
#define BATCH 1024

extern char **environ;

/* ---- bench/relay.c: the run's settings and its JSON output ------------ */

extern const char *g_bs;   /* bootstrap as given */
extern const char *g_addr; /* host:port the clients use */
extern bool g_embedded;
extern int g_parts;
extern const char *g_ckpt_parent; /* --ckpt-parent */
extern rd_kafka_t *g_admin;	  /* creates topics on a broker */
extern unsigned g_topic_seq;
extern FILE *g_json; /* --json, or NULL */
extern bool g_json_first;

/* Prints "relay: " fmt (with arg) and exits 1. */
void die(const char *fmt, const char *arg);
/* Before each record of the JSON output's "runs" array. */
void json_sep(void);

/* ---- bench/relay/traffic.c: clients, topics, generator, checker ------- */

/* A client configuration with sluice's settings (io/kafka_common.c). */
rd_kafka_conf_t *kconf(bool consumer);
/* A client from c; exits on failure. */
rd_kafka_t *knew(bool consumer, rd_kafka_conf_t *c);
/* Assigns the topic's partitions (g_parts) to rk from the beginning. */
void kassign(rd_kafka_t *rk, const char *topic);
/* A fresh topic named after `what`, made and ready, in name. */
void topic_make(char *name, size_t n, const char *what);

struct checker {
	pthread_t th;
	char topic[128];
	int64_t n;	 /* measured records expected */
	int64_t *lat;	 /* ns by sequence number, -1 until seen */
	int64_t *arrive; /* receive times in arrival order */
	_Atomic int64_t received;
	_Atomic bool warm_seen;
	_Atomic bool stop;
	int64_t dups, t_first, t_last;
};

/* Starts the checker thread on topic, expecting n measured records. */
void checker_start(struct checker *c, const char *topic, int64_t n);
void checker_stop(struct checker *c);

struct gen {
	pthread_t th;
	char topic[128];
	int size;
	double rate;	      /* records/s; 0: as fast as possible */
	int64_t n;	      /* measured records */
	struct checker *warm; /* warm up until it sees a record; NULL: none */
	int64_t t0;	      /* scheduled time of record 0 */
	int64_t max_lag;      /* worst send time behind schedule, ns */
	int64_t t_end;	      /* when the last record was delivered */
	bool failed;
};

/* The generator thread (pthread_create with a struct gen). */
void *gen_main(void *arg);

/* ---- bench/relay/relays.c: the two relays ----------------------------- */

struct relay {
	/* "sluice", "baseline", "slow"; "nockpt" and "ckpt": sluice with
	 * trigger 'continuous 100 ms', without and with a checkpoint */
	const char *impl;
	char in[128], out[128];
	int64_t slow_us;
	/* sluice */
	sl_session *s;
	sl_query *q;
	char ckdir[160];      /* ckpt: its checkpointLocation */
	double commit_ms_med; /* ckpt: median checkpoint.lastCommitMs */
	double commit_ms_top; /* ckpt: the highest lastCommitMs seen */
	double commit_ms_max; /* ckpt: checkpoint.maxCommitMs at the end */
	int ncommit;	      /* progress records with a lastCommitMs */
	/* nockpt, ckpt: medians over the progress records of latencyMs.p99
	 * and latencyMs.max, the engine's own latency (source poll to sink
	 * write, one epoch each): no broker or checker in it, so a stall of
	 * the sink thread shows plainly */
	double eng_p99_ms, eng_max_ms;
	/* baseline */
	pthread_t th;
	_Atomic bool stop;
	_Atomic int64_t relayed;
	bool failed;
};

/* Starts r->impl between r->in and r->out; 0 or -1. */
int relay_start(struct relay *r);
void relay_stop(struct relay *r);

/* ---- bench/relay/child.c: the relay alone in a child process ----------- */

extern char g_self[4096]; /* this program's path, for valgrind */

/* --child IMPL: relays IN to OUT until stdin closes, or until count
 * records are written (count > 0). */
int child_main(const char *impl, const char *in, const char *out,
	       int64_t slow_us, int64_t count);
/* VmHWM and VmRSS of the relay alone under rate records/s of size bytes. */
void measure_rss(const char *impl, int rate, int size, double seconds,
		 int64_t slow_us);
/* Instructions per record under cachegrind, between counts[0] and
 * counts[1] records. */
void measure_ipr(const int *counts, int ncounts);

#endif
