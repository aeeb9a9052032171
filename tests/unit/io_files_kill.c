/* tests/unit/io_files_kill.c - the file source and the file sink across
 * kill -9: files dropped while the query runs, each processed
 * exactly once, each record in the output exactly once.
 *
 * `sluice run FILE` reads a csv directory (maxFilesPerTrigger = 5) into
 * the json file sink (processingTime 100 ms, checkpointLocation) in a
 * child process. A writer thread drops 100 files of 50 records into the
 * watched directory, one every 40 ms: each is written under a staging
 * directory on the same file system and rename(2)d in, as Spark requires.
 * Meanwhile the child is killed with SIGKILL at a random moment of each
 * run (every other time just after a batch is logged, so that kills land
 * inside batches and their commits, not only in the trigger's idle time),
 * five times, and started again on the same checkpoint and output;
 * then it runs until the committed output holds every record (or 30 s
 * pass) and gets SIGTERM.
 *
 * The committed output is what the manifest lists (sl_file_sink_list):
 * files a kill left without a manifest are not output. Checked:
 * - every record id is there exactly once: none lost, none twice;
 * - each input file's 50 records are all there, once (the file was
 *   processed once, whole);
 * - the checkpoint's file list (sources/<source>/state) names each of the
 *   100 files once, under distinct numbers, and numbers all of them.
 *
 * The kill moments come from a seed printed on stderr; SLUICE_KILL_SEED
 * replays one. The binary is $SLUICE, else $B/sluice, else the sluice
 * next to this test's directory (build/test/io_files_kill ->
 * build/sluice, build-asan/... under SAN=asan). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/sink_file.h"
#include "sluice.h"
#include "tests/support/tmpdir.h"

#define NFILES 100
#define NREC 50
#define NIDS (NFILES * NREC)
#define NKILLS 5
#define DROP_MS 40

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char *sluice_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("SLUICE");
	const char *b = getenv("B");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	if (b && *b) {
		snprintf(path, sizeof(path), "%s/sluice", b);
		return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		snprintf(path, sizeof(path), "%s/../sluice", dirname(exe));
		if (!access(path, X_OK))
			return path;
	}
	return "build/sluice";
}

/* The child running now, 0 if none: killed by the suite's fini when an
 * assertion ends the test while it runs. */
static pid_t live_child;

static void kill_live_child(void)
{
	if (live_child > 0) {
		kill(live_child, SIGKILL);
		waitpid(live_child, NULL, 0);
		live_child = 0;
	}
}

TestSuite(files_kill, .fini = kill_live_child);

/* ---- the run's directories and state ----------------------------------- */

struct run {
	char dir[64];	/* temp dir holding everything below */
	char in[96];	/* the watched directory */
	char stage[96]; /* where files are written before the rename */
	char out[96];	/* the sink's output */
	char ckpt[96];	/* checkpointLocation */
	char file[96];	/* the pipeline file */
	char log[96];	/* the child's stdout and stderr, appended */
	pid_t pid;
	int runs;
	pthread_t writer;
	_Atomic int dropped; /* files renamed into in/ */
	_Atomic bool writer_failed;
};

static void *writer_main(void *arg)
{
	struct run *r = arg;
	int64_t t0 = now_ms();

	for (int f = 0; f < NFILES; f++) {
		char tmp[160], dst[160];
		int64_t due = t0 + (int64_t)f * DROP_MS;
		int64_t now = now_ms();
		FILE *o;

		if (due > now)
			sleep_ms(due - now);
		snprintf(tmp, sizeof(tmp), "%s/f%03d.csv", r->stage, f);
		snprintf(dst, sizeof(dst), "%s/f%03d.csv", r->in, f);
		o = fopen(tmp, "w");
		if (!o) {
			atomic_store(&r->writer_failed, true);
			return NULL;
		}
		/* id, file, k: the id is unique over the whole run */
		for (int k = 0; k < NREC; k++)
			fprintf(o, "%d,%d,%d\n", f * NREC + k, f, k);
		if (fclose(o) || rename(tmp, dst)) {
			atomic_store(&r->writer_failed, true);
			return NULL;
		}
		atomic_fetch_add(&r->dropped, 1);
	}
	return NULL;
}

static void run_init(struct run *r)
{
	char *tmp = sl_test_tmpdir("sl_fkill");
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", tmp);
	free(tmp);
	snprintf(r->in, sizeof(r->in), "%s/in", r->dir);
	snprintf(r->stage, sizeof(r->stage), "%s/stage", r->dir);
	snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
	snprintf(r->ckpt, sizeof(r->ckpt), "%s/ckpt", r->dir);
	snprintf(r->file, sizeof(r->file), "%s/kill.sql", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/log", r->dir);
	cr_assert_eq(mkdir(r->in, 0755), 0);
	cr_assert_eq(mkdir(r->stage, 0755), 0);
	f = fopen(r->file, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"CREATE SOURCE input WITH (format = 'csv', path = '%s',\n"
		"  schema = 'id BIGINT, file INT, k INT',\n"
		"  maxFilesPerTrigger = '5');\n"
		"CREATE SINK output WITH (format = 'json', path = '%s',\n"
		"  checkpointLocation = '%s',\n"
		"  trigger = 'processingTime 100 ms');\n"
		"INSERT INTO output SELECT * FROM input;\n",
		r->in, r->out, r->ckpt);
	fclose(f);
}

static void run_free(struct run *r)
{
	cr_assert_eq(sl_test_rmtree(r->dir), 0, "%s", r->dir);
}

/* Starts `sluice run FILE --timeout 90` (the timeout only bounds an
 * orphan if this test dies), its output appended to the log. */
static void start_child(struct run *r)
{
	const char *bin = sluice_path();
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "run", r->file, "--timeout", "90",
		      (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	r->pid = live_child = pid;
	r->runs++;
}

static void print_log(struct run *r)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2", r->log);
	if (system(cmd))
		return;
}

/* Fails the test if the child ended by itself (a crash, a failed query). */
static void check_alive(struct run *r)
{
	int st;

	if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
		r->pid = live_child = 0;
		print_log(r);
		cr_assert_fail("sluice ended by itself (status %#x) in run %d",
			       st, r->runs);
	}
}

static int wait_child(struct run *r, int64_t timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	int st = 0;

	for (;;) {
		if (waitpid(r->pid, &st, WNOHANG) == r->pid)
			break;
		if (now_ms() > dl) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &st, 0);
			r->pid = live_child = 0;
			print_log(r);
			cr_assert_fail("sluice did not end within %lld ms",
				       (long long)timeout_ms);
		}
		sleep_ms(10);
	}
	r->pid = live_child = 0;
	return st;
}

/* ---- reading the committed output -------------------------------------- */

struct tally {
	uint8_t count[NIDS];  /* copies of each id */
	int per_file[NFILES]; /* records of each input file */
	size_t unique, total, bad, files, garbage;
	char first_bad[160];
};

static void tally_line(struct tally *t, const char *line, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, 0, &je);
	json_t *id = o ? json_object_get(o, "id") : NULL;
	json_t *fl = o ? json_object_get(o, "file") : NULL;
	json_t *k = o ? json_object_get(o, "k") : NULL;
	json_int_t v, f;

	if (!json_is_integer(id) || !json_is_integer(fl) || !json_is_integer(k))
		goto bad;
	v = json_integer_value(id);
	f = json_integer_value(fl);
	if (v < 0 || v >= NIDS || f != v / NREC ||
	    json_integer_value(k) != v % NREC)
		goto bad;
	if (t->count[v] < 255 && t->count[v]++ == 0)
		t->unique++;
	t->per_file[f]++;
	t->total++;
	json_decref(o);
	return;
bad:
	if (!t->bad++)
		snprintf(t->first_bad, sizeof(t->first_bad), "%.*s",
			 (int)(len < 120 ? len : 120), line);
	json_decref(o);
}

/* Reads every file the manifest lists (and counts the part files it does
 * not: the garbage of kills between part files and manifest). Returns 0,
 * or SL_ENOTFOUND while there is no _spark_metadata yet. */
static int read_output(const char *out, struct tally *t)
{
	char **files = NULL;
	size_t n = 0;
	sl_err err = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	rc = sl_file_sink_list(out, &files, &n, &err);
	if (rc == SL_ENOTFOUND)
		return rc;
	cr_assert_eq(rc, 0, "sl_file_sink_list(%s): %s", out, err.msg);
	t->files = n;
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		cr_assert_not_null(f, "%s is in the manifest but: %s", files[i],
				   strerror(errno));
		while ((len = getline(&line, &cap, f)) > 0) {
			if (line[len - 1] == '\n')
				len--;
			if (len)
				tally_line(t, line, (size_t)len);
		}
		free(line);
		fclose(f);
	}
	/* part files on disk that no manifest lists */
	DIR *d = opendir(out);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char full[PATH_MAX];
		bool listed = false;

		if (strncmp(e->d_name, "part-", 5))
			continue;
		snprintf(full, sizeof(full), "%s/%s", out, e->d_name);
		for (size_t i = 0; i < n && !listed; i++) {
			const char *b = strrchr(files[i], '/');

			listed = b && !strcmp(b + 1, e->d_name);
		}
		t->garbage += !listed;
	}
	if (d)
		closedir(d);
	sl_file_sink_list_free(files, n);
	return 0;
}

/* ---- the checkpoint's file list ---------------------------------------- */

/* The source's state blob (sources/<name>/state) as JSON, NULL if none. */
static json_t *ckpt_file_list(const char *ckpt)
{
	char sdir[160];
	DIR *d;
	struct dirent *e;
	json_t *j = NULL;

	snprintf(sdir, sizeof(sdir), "%s/sources", ckpt);
	d = opendir(sdir);
	cr_assert_not_null(d, "%s: %s", sdir, strerror(errno));
	while (!j && (e = readdir(d))) {
		char path[PATH_MAX], buf[1 << 16], *hash;
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/state", sdir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		hash = strstr(buf, "\n# xxh64 ");
		cr_assert_not_null(hash, "%s has no checksum line", path);
		*hash = 0;
		j = json_loads(buf, 0, NULL);
		cr_assert_not_null(j, "%s is not JSON: %.200s", path, buf);
	}
	closedir(d);
	return j;
}

/* Each of the NFILES input files is in the list exactly once, the
 * numbers are distinct and below "next", and nothing else is there. */
static void check_ckpt_files(struct run *r)
{
	json_t *j = ckpt_file_list(r->ckpt);
	json_t *files, *next;
	int seen[NFILES] = { 0 };
	bool *idx;
	json_int_t nx;
	size_t i;

	cr_assert_not_null(j, "the checkpoint has no file list in %s/sources",
			   r->ckpt);
	files = json_object_get(j, "files");
	next = json_object_get(j, "next");
	cr_assert(json_is_array(files) && json_is_integer(next));
	nx = json_integer_value(next);
	cr_assert_eq(json_array_size(files), NFILES,
		     "the checkpoint lists %zu files, %d were dropped",
		     json_array_size(files), NFILES);
	cr_assert_eq(nx, NFILES, "the checkpoint's next file number is %lld",
		     (long long)nx);
	idx = calloc((size_t)nx, 1);
	cr_assert_not_null(idx);
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);
		const char *p = json_string_value(json_object_get(f, "path"));
		json_int_t x = json_integer_value(json_object_get(f, "index"));
		const char *b = p ? strrchr(p, '/') : NULL;
		int num;

		cr_assert(b && sscanf(b, "/f%03d.csv", &num) == 1 && num >= 0 &&
				  num < NFILES,
			  "the checkpoint lists a file that was not dropped: "
			  "%s",
			  p ? p : "(null)");
		cr_assert_eq(seen[num]++, 0, "the checkpoint lists %s twice",
			     p);
		cr_assert(x >= 0 && x < nx && !idx[x],
			  "%s has number %lld, out of range or taken", p,
			  (long long)x);
		idx[x] = true;
	}
	free(idx);
	json_decref(j);
}

/* ---- where a kill landed -------------------------------------------- */

enum landed { L_IDLE, L_INFLIGHT, L_UNCOMMITTED, L_NKINDS };

static const char *const landed_name[L_NKINDS] = {
	"between batches",
	"batch in flight (re-run)",
	"after the manifest, before commits/N (replay skipped)",
};

/* What the restart has to do, from the files a kill left: nothing but
 * go on; re-run a logged batch; or re-run one whose manifest exists, so
 * that the sink drops it as a replay. */
static enum landed classify(struct run *r, int64_t *o, int64_t *c, int64_t *m)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/offsets", r->ckpt);
	*o = sl_test_newest_number(p);
	snprintf(p, sizeof(p), "%s/commits", r->ckpt);
	*c = sl_test_newest_number(p);
	snprintf(p, sizeof(p), "%s/_spark_metadata", r->out);
	*m = sl_test_newest_number(p);
	if (*m > *c)
		return L_UNCOMMITTED;
	return *o > *c ? L_INFLIGHT : L_IDLE;
}

/* Most of a processingTime trigger is spent waiting for the next tick, so
 * a kill at a random time mostly lands between batches. Every other kill
 * waits instead for the next batch to be logged (offsets/N appears) and
 * then 0..11 ms more: in the batch's run, its sink commit, or between its
 * manifest and commits/N. Returns the ms waited. */
static int kill_in_batch(struct run *r)
{
	char p[160];
	int64_t t = now_ms(), dl = t + 2000;
	int64_t o;

	snprintf(p, sizeof(p), "%s/offsets", r->ckpt);
	o = sl_test_newest_number(p);
	while (sl_test_newest_number(p) == o && now_ms() < dl) {
		check_alive(r);
		sleep_ms(1);
	}
	sleep_ms(rand() % 12);
	return (int)(now_ms() - t);
}

/* ---- the test ----------------------------------------------------------- */

Test(files_kill, hundred_files_five_kills, .timeout = 120)
{
	static struct tally t; /* 5 KB of counts: not on the stack */
	struct run r;
	unsigned seed;
	const char *s = getenv("SLUICE_KILL_SEED");
	int64_t t0 = now_ms(), dl;
	int killed_at[NKILLS], landed[L_NKINDS] = { 0 };

	seed = s && *s ? (unsigned)strtoul(s, NULL, 10)
		       : (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	run_init(&r);
	fprintf(stderr, "io_files_kill: seed %u (SLUICE_KILL_SEED), dir %s\n",
		seed, r.dir);

	/* The files arrive over 4 s, while the runs are killed. */
	cr_assert_eq(pthread_create(&r.writer, NULL, writer_main, &r), 0);
	for (int i = 0; i < NKILLS; i++) {
		/* 150..1000 ms: sometimes before the first commit, sometimes
		 * several batches in, at any point of a batch */
		int ms = 150 + rand() % 851;

		start_child(&r);
		sleep_ms(ms);
		check_alive(&r);
		if (i % 2)
			ms += kill_in_batch(&r);
		cr_assert_eq(kill(r.pid, SIGKILL), 0);
		int st = wait_child(&r, 10000);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			  "run %d ended with status %#x before the kill",
			  r.runs, st);
		killed_at[i] = atomic_load(&r.dropped);
		int64_t o, c, m;
		enum landed l = classify(&r, &o, &c, &m);

		landed[l]++;
		fprintf(stderr,
			"io_files_kill: run %d killed after %d ms, %d files "
			"dropped; offsets/%lld commits/%lld manifest %lld: "
			"%s\n",
			r.runs, ms, killed_at[i], (long long)o, (long long)c,
			(long long)m, landed_name[l]);
	}
	pthread_join(r.writer, NULL);
	cr_assert_not(atomic_load(&r.writer_failed), "the writer failed");
	cr_assert_eq(atomic_load(&r.dropped), NFILES);
	/* The kills must have landed while files were still arriving. */
	cr_assert_lt(killed_at[0], NFILES,
		     "every file was there before the first kill");

	/* The last run: until the committed output holds every record. */
	start_child(&r);
	dl = now_ms() + 30000;
	for (;;) {
		check_alive(&r);
		if (!read_output(r.out, &t) && t.unique == NIDS)
			break;
		if (now_ms() > dl) {
			print_log(&r);
			cr_assert_fail("the output has %zu of %d records after "
				       "30 s",
				       t.unique, NIDS);
		}
		sleep_ms(100);
	}
	/* A few more batches: a replay that doubles records would show. */
	sleep_ms(300);
	check_alive(&r);
	cr_assert_eq(kill(r.pid, SIGTERM), 0);
	int st = wait_child(&r, 15000);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_log(&r);
		cr_assert_fail("sluice exited with status %#x after SIGTERM",
			       st);
	}

	cr_assert_eq(read_output(r.out, &t), 0);
	fprintf(stderr,
		"io_files_kill: %d runs, %zu records in %zu committed files "
		"(%zu part files left by kills), %lld ms\n",
		r.runs, t.total, t.files, t.garbage,
		(long long)(now_ms() - t0));
	fprintf(stderr, "io_files_kill: kills %s: %d, %s: %d, %s: %d\n",
		landed_name[L_IDLE], landed[L_IDLE], landed_name[L_INFLIGHT],
		landed[L_INFLIGHT], landed_name[L_UNCOMMITTED],
		landed[L_UNCOMMITTED]);
	cr_assert_eq(t.bad, 0, "%zu output lines are not records: %s", t.bad,
		     t.first_bad);
	for (int v = 0; v < NIDS; v++)
		cr_assert_eq(t.count[v], 1,
			     "record %d (file f%03d.csv, line %d) is in the "
			     "output %d times",
			     v, v / NREC, v % NREC + 1, t.count[v]);
	for (int f = 0; f < NFILES; f++)
		cr_assert_eq(t.per_file[f], NREC,
			     "file f%03d.csv gave %d records, not %d", f,
			     t.per_file[f], NREC);
	cr_assert_eq(t.total, (size_t)NIDS);
	check_ckpt_files(&r);
	run_free(&r);
}
