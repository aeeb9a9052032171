/* bench/ring_hop.c - what one hop through an sl_chan costs.
 *
 * The partition-to-sink hop (docs/ARCHITECTURE.md section 2) is one sl_chan
 * between two threads. This measures it two ways, each beside a baseline in
 * the same run: a bare ck_ring SPSC with both threads busy-polling, the
 * ring with no waking and no parking (compare within one run:
 * docs/BENCHMARKS.md, "The machine").
 *
 *   latency:    N records sent every SPACING ns, each stamped with
 *               CLOCK_MONOTONIC just before its push and measured just
 *               after its pop; p50/p99/p99.9/max of that one-way delay.
 *   throughput: M pointers pushed as fast as the ring takes them.
 *
 * sl_chan runs with two consumers: one that polls (the ring's own cost,
 * wake checks included) and one that parks once the ring is empty (after
 * a short poll), the sink thread's idle policy, which adds a futex wake to
 * every record that finds it asleep. Figures are medians over --reps runs
 * of each variant, the variants interleaved so drift hits them alike.
 *
 * usage: ring_hop [-n N] [--spacing NS] [--entries M] [--reps R]
 *                 [--json FILE]
 */
#include "core/chan.h"

#include <ck_pr.h>
#include <ck_ring.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ck_ring's index updates are inline asm that ThreadSanitizer cannot see,
 * so under TSan it would report the baseline's slots as races (see
 * core/chan.c); the baseline is left out of such builds. */
#if defined(__SANITIZE_THREAD__)
#define RH_NO_CK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RH_NO_CK 1
#endif
#endif

#define RH_CAPACITY 1024
/* Polls of an empty ring before the parking consumer parks: well under
 * the spacing, so that between records it is asleep, as an idle sink is. */
#define RH_PARK_SPIN 64

enum rh_kind { RH_CK, RH_CHAN_POLL, RH_CHAN_PARK, RH_NKINDS };

static const char *const rh_name[RH_NKINDS] = {
	[RH_CK] = "ck_ring, consumer polls (baseline)",
	[RH_CHAN_POLL] = "sl_chan, consumer polls",
	[RH_CHAN_PARK] = "sl_chan, consumer parks",
};

static const char *const rh_key[RH_NKINDS] = {
	[RH_CK] = "ck_ring_poll",
	[RH_CHAN_POLL] = "sl_chan_poll",
	[RH_CHAN_PARK] = "sl_chan_park",
};

struct rh_rec {
	uint64_t t_push;
};

struct rh_run {
	enum rh_kind kind;
	ck_ring_t *ck;
	ck_ring_buffer_t *ckbuf;
	sl_chan *chan;
	sl_waiter w;
	_Atomic int ready; /* start line: both threads check in */

	/* latency mode when rec != NULL, else throughput */
	struct rh_rec *rec;
	uint64_t *lat;
	size_t n;
	uint64_t spacing;
	uint64_t m;

	uint64_t t_start, t_end;
	int bad; /* entries out of order: the run is void */
};

static uint64_t rh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rh_push(struct rh_run *r, void *p)
{
	if (r->kind != RH_CK) {
		sl_chan_push_spsc(r->chan, p, NULL);
		return;
	}
	while (!ck_ring_enqueue_spsc(r->ck, r->ckbuf, p))
		ck_pr_stall();
}

static void *rh_pop(struct rh_run *r)
{
	void *p;
	uint32_t t;

	switch (r->kind) {
	case RH_CK:
		while (!ck_ring_dequeue_spsc(r->ck, r->ckbuf, &p))
			ck_pr_stall();
		return p;
	case RH_CHAN_POLL:
		while (!(p = sl_chan_try_pop_spsc(r->chan)))
			ck_pr_stall();
		return p;
	default:
		for (;;) {
			for (int i = 0; i < RH_PARK_SPIN; i++) {
				p = sl_chan_try_pop_spsc(r->chan);
				if (p)
					return p;
			}
			t = sl_waiter_prepare(&r->w);
			p = sl_chan_try_pop_spsc(r->chan);
			if (p)
				return p;
			sl_waiter_wait(&r->w, t, -1);
		}
	}
}

/* Both threads spin here for the moment it takes the other to start, so
 * neither's thread start-up is timed. */
static void rh_start_line(struct rh_run *r)
{
	/* acq_rel: each thread's set-up (the ring, the arrays) happens before
	 * the other passes the line. */
	atomic_fetch_add_explicit(&r->ready, 1, memory_order_acq_rel);
	/* acquire: pairs with the other thread's increment. */
	while (atomic_load_explicit(&r->ready, memory_order_acquire) < 2)
		ck_pr_stall();
}

static void *rh_producer(void *arg)
{
	struct rh_run *r = arg;
	uint64_t t0, now;

	rh_start_line(r);
	if (!r->rec) {
		r->t_start = rh_now();
		for (uint64_t i = 0; i < r->m; i++)
			rh_push(r, (void *)(uintptr_t)(i + 1));
		return NULL;
	}
	/* A fixed schedule from t0, not a fixed gap after each push: a late
	 * record does not push the rest back. */
	t0 = rh_now();
	for (size_t i = 0; i < r->n; i++) {
		uint64_t due = t0 + i * r->spacing;

		while ((now = rh_now()) < due)
			ck_pr_stall();
		r->rec[i].t_push = now;
		rh_push(r, &r->rec[i]);
	}
	return NULL;
}

static void rh_consume(struct rh_run *r)
{
	rh_start_line(r);
	if (!r->rec) {
		for (uint64_t i = 0; i < r->m; i++)
			if (rh_pop(r) != (void *)(uintptr_t)(i + 1))
				r->bad = 1;
		r->t_end = rh_now();
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct rh_rec *p = rh_pop(r);
		uint64_t now = rh_now();

		if (p != &r->rec[i])
			r->bad = 1;
		r->lat[i] = now - p->t_push;
	}
}

static int rh_setup(struct rh_run *r, enum rh_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	atomic_init(&r->ready, 0);
	sl_waiter_init(&r->w);
	if (kind == RH_CK) {
		r->ck = aligned_alloc(64, (sizeof(*r->ck) + 63) & ~(size_t)63);
		r->ckbuf = aligned_alloc(64, RH_CAPACITY * sizeof(*r->ckbuf));
		if (!r->ck || !r->ckbuf)
			return -ENOMEM;
		ck_ring_init(r->ck, RH_CAPACITY);
		return 0;
	}
	/* The polling consumer never prepares, but its chan still has a
	 * waiter to wake, as in the engine: every push pays the check. */
	r->chan = sl_chan_new(RH_CAPACITY, &r->w);
	return r->chan ? 0 : -ENOMEM;
}

static void rh_teardown(struct rh_run *r)
{
	free(r->ck);
	free(r->ckbuf);
	sl_chan_free(r->chan);
}

/* Runs one variant to completion: the producer on a new thread, the
 * consumer on this one. */
static int rh_go(struct rh_run *r)
{
	pthread_t th;

	if (pthread_create(&th, NULL, rh_producer, r))
		return -1;
	rh_consume(r);
	pthread_join(th, NULL);
	return r->bad ? -1 : 0;
}

static int rh_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int rh_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define RH_NQ 4
static const double rh_q[RH_NQ] = { 0.50, 0.99, 0.999, 1.0 };
static const char *const rh_qkey[RH_NQ] = { "p50", "p99", "p999", "max" };
#define RH_MAX_REPS 15

struct rh_sample {
	double lat[RH_NKINDS][RH_NQ];
	double tput[RH_NKINDS];
};

struct rh_result {
	bool ran;
	double lat[RH_NQ]; /* ns, median over reps */
	double tput;	   /* entries/s, median over reps */
};

static double rh_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), rh_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void rh_usage(void)
{
	fprintf(stderr, "usage: ring_hop [-n N] [--spacing NS] [--entries M] "
			"[--reps R] [--json FILE]\n");
	exit(2);
}

static void rh_ratio(char *buf, size_t len, double v, double base)
{
	if (base > 0)
		snprintf(buf, len, "%.2f", v / base);
	else
		snprintf(buf, len, "-");
}

int main(int argc, char **argv)
{
	size_t n = 200000;
	uint64_t spacing = 2000, m = 10000000;
	int reps = 3;
	const char *json = NULL;
	struct rh_result res[RH_NKINDS] = { 0 };
	struct rh_sample *smp; /* one per rep */
	struct rh_run run;
	struct rh_rec *rec;
	uint64_t *lat;
	char ratio[16];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			rh_usage();
		if (!strcmp(a, "-n"))
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--spacing"))
			spacing = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--entries"))
			m = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--reps"))
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "--json"))
			json = argv[++i];
		else
			rh_usage();
	}
	if (!n || !m || reps < 1 || reps > RH_MAX_REPS)
		rh_usage();

	rec = calloc(n, sizeof(*rec));
	lat = calloc(n, sizeof(*lat));
	smp = calloc((size_t)reps, sizeof(*smp));
	if (!rec || !lat || !smp) {
		fprintf(stderr, "ring_hop: out of memory\n");
		return 1;
	}

	for (int rep = 0; rep < reps; rep++) {
		for (int k = 0; k < RH_NKINDS; k++) {
#ifdef RH_NO_CK
			if (k == RH_CK)
				continue;
#endif
			/* latency */
			if (rh_setup(&run, k) < 0)
				return 1;
			run.rec = rec;
			run.lat = lat;
			run.n = n;
			run.spacing = spacing;
			if (rh_go(&run) < 0) {
				fprintf(stderr, "ring_hop: %s: out of order\n",
					rh_name[k]);
				return 1;
			}
			rh_teardown(&run);
			qsort(lat, n, sizeof(*lat), rh_cmp_u64);
			for (int q = 0; q < RH_NQ; q++)
				smp[rep].lat[k][q] = (double)
					lat[(size_t)(rh_q[q] * (n - 1))];

			/* throughput */
			if (rh_setup(&run, k) < 0)
				return 1;
			run.m = m;
			if (rh_go(&run) < 0) {
				fprintf(stderr, "ring_hop: %s: out of order\n",
					rh_name[k]);
				return 1;
			}
			rh_teardown(&run);
			smp[rep].tput[k] = (double)m * 1e9 /
					   (double)(run.t_end - run.t_start);
			res[k].ran = true;
		}
	}
	for (int k = 0; k < RH_NKINDS; k++) {
		double v[RH_MAX_REPS];

		if (!res[k].ran)
			continue;
		for (int q = 0; q < RH_NQ; q++) {
			for (int rep = 0; rep < reps; rep++)
				v[rep] = smp[rep].lat[k][q];
			res[k].lat[q] = rh_median(v, reps);
		}
		for (int rep = 0; rep < reps; rep++)
			v[rep] = smp[rep].tput[k];
		res[k].tput = rh_median(v, reps);
	}

	printf("ring_hop: one-way hop, %zu records every %llu ns, capacity "
	       "%d, median of %d runs\n",
	       n, (unsigned long long)spacing, RH_CAPACITY, reps);
	printf("%-36s %9s %9s %9s %9s %7s\n", "latency (ns)", "p50", "p99",
	       "p99.9", "max", "p50 x");
	for (int k = 0; k < RH_NKINDS; k++) {
		if (!res[k].ran) {
			printf("%-36s %9s (not in TSan builds)\n", rh_name[k],
			       "-");
			continue;
		}
		rh_ratio(ratio, sizeof(ratio), res[k].lat[0],
			 res[RH_CK].ran ? res[RH_CK].lat[0] : 0);
		printf("%-36s %9.0f %9.0f %9.0f %9.0f %7s\n", rh_name[k],
		       res[k].lat[0], res[k].lat[1], res[k].lat[2],
		       res[k].lat[3], ratio);
	}
	printf("%-36s %19s %7s\n", "throughput", "entries/s", "x");
	for (int k = 0; k < RH_NKINDS; k++) {
		if (!res[k].ran)
			continue;
		rh_ratio(ratio, sizeof(ratio), res[k].tput,
			 res[RH_CK].ran ? res[RH_CK].tput : 0);
		printf("%-36s %19.0f %7s\n", rh_name[k], res[k].tput, ratio);
	}

	if (json) {
		FILE *f = fopen(json, "w");
		bool first = true;

		if (!f) {
			fprintf(stderr, "ring_hop: %s: %s\n", json,
				strerror(errno));
			return 1;
		}
		fprintf(f,
			"{\"bench\": \"ring_hop\", \"records\": %zu, "
			"\"spacing_ns\": %llu, \"entries\": %llu, "
			"\"capacity\": %d, \"reps\": %d, \"baseline\": \"%s\", "
			"\"variants\": [",
			n, (unsigned long long)spacing, (unsigned long long)m,
			RH_CAPACITY, reps, rh_key[RH_CK]);
		for (int k = 0; k < RH_NKINDS; k++) {
			if (!res[k].ran)
				continue;
			fprintf(f, "%s\n  {\"name\": \"%s\"", first ? "" : ",",
				rh_key[k]);
			for (int q = 0; q < RH_NQ; q++)
				fprintf(f, ", \"%s_ns\": %.0f", rh_qkey[q],
					res[k].lat[q]);
			fprintf(f, ", \"entries_per_s\": %.0f", res[k].tput);
			if (res[RH_CK].ran)
				fprintf(f,
					", \"p50_ratio\": %.3f, "
					"\"throughput_ratio\": %.3f",
					res[k].lat[0] / res[RH_CK].lat[0],
					res[k].tput / res[RH_CK].tput);
			fprintf(f, "}");
			first = false;
		}
		fprintf(f, "\n]}\n");
		fclose(f);
	}
	free(rec);
	free(lat);
	free(smp);
	return 0;
}
