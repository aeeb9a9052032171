/* engine/checkpoint.c - opening a query's checkpoint directory: creating it,
 * metadata and the plan fingerprint check (with a message that names what
 * differs), the one-writer lock, clean-up after a crash, and per-source
 * blobs. The offsets/commits log and recovery are in engine/ckpt_log.c, the
 * crash-safe file primitives in engine/ckpt_file.c.
 *
 * start() opens the checkpoint on the caller's thread before any query
 * thread exists, so a refused or unreadable checkpoint is an error of
 * start. Files are written with plain syscalls today (temp file, fsync,
 * rename, fsync the directory); the io_uring layer may take them over.
 * docs/CHECKPOINTS.md is the user's description of what is here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/alloc.h"
#include "engine/ckpt_internal.h"
#include "sluice.h"

/* ---- names --------------------------------------------------------------- */

/* Source and key names become file names: keep them to a portable set so
 * no name can climb out of sources/ or collide with a temporary file. */
static int check_name(const char *what, const char *s, sl_err *err)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 128 || s[0] == '.')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == ':' || ch == '-'))
			goto bad;
	}
	return 0;
bad:
	return sl_err_set(err, SL_EINVAL,
			  "checkpoint %s name '%s' is not allowed (use 1-128 "
			  "of A-Z a-z 0-9 . _ : -, not starting with '.')",
			  what, s ? s : "(null)");
}

static char *path_join(const char *a, const char *b)
{
	char *p;

	p = sl_xasprintf("%s/%s", a, b);
	return p;
}

void sl_ckpt_fingerprint(const char *text, size_t len, char hex[SL_CKPT_FP_HEX])
{
	snprintf(hex, SL_CKPT_FP_HEX, "%016" PRIx64,
		 (uint64_t)XXH64(text, len, 0));
}

/* ---- plan differences ---------------------------------------------------- */

typedef struct lines {
	uint32_t n;
	const char **s;
	size_t *len;
} lines;

/* Splits text into lines (a trailing newline does not make an empty last
 * line). The pointers borrow text. */
static void lines_split(const char *text, lines *l)
{
	uint32_t cap = 8;
	const char *p = text;

	l->n = 0;
	l->s = NULL;
	l->len = NULL;
	l->s = sl_xrealloc(NULL, cap * sizeof(*l->s));
	l->len = sl_xrealloc(NULL, cap * sizeof(*l->len));
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (l->n == cap) {
			l->s = sl_xrealloc(l->s, cap * 2 * sizeof(*l->s));
			l->len = sl_xrealloc(l->len, cap * 2 * sizeof(*l->len));
			cap *= 2;
		}
		l->s[l->n] = p;
		l->len[l->n++] = n;
		p += n + (e != NULL);
	}
}

static void json_decref_v(void *j)
{
	json_decref(j);
}

static void lines_free_v(void *l);

static void lines_free(lines *l)
{
	free(l->s);
	free(l->len);
}

static void lines_free_v(void *l)
{
	lines_free(l);
}

/* The position of " = " in a "<what> = <value>" plan line, or -1. */
static int key_end(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(s + i, " = ", 3) == 0)
			return (int)i;
	return -1;
}

/* Says what differs between the stored plan and the new one, naming the
 * first line that differs, into buf. */
static void plan_diff(const char *old_text, const char *new_text,
		      const char *old_fp, const char *new_fp, char *buf,
		      size_t n)
{
	lines a, b;
	uint32_t i;

	lines_split(old_text, &a);
	lines_split(new_text, &b);
	for (i = 0; i < a.n && i < b.n; i++)
		if (a.len[i] != b.len[i] || memcmp(a.s[i], b.s[i], a.len[i]))
			break;
	if (i < a.n && i < b.n) {
		int ka = key_end(a.s[i], a.len[i]);
		int kb = key_end(b.s[i], b.len[i]);

		if (ka >= 0 && ka == kb && memcmp(a.s[i], b.s[i], ka) == 0)
			snprintf(buf, n, "%.*s was '%.*s', now '%.*s'", ka,
				 a.s[i], (int)(a.len[i] - ka - 3),
				 a.s[i] + ka + 3, (int)(b.len[i] - kb - 3),
				 b.s[i] + kb + 3);
		else
			snprintf(buf, n, "plan line %u was '%.*s', now '%.*s'",
				 i + 1, (int)a.len[i], a.s[i], (int)b.len[i],
				 b.s[i]);
	} else if (i < a.n) {
		snprintf(buf, n, "its plan had '%.*s' (line %u), now absent",
			 (int)a.len[i], a.s[i], i + 1);
	} else if (i < b.n) {
		snprintf(buf, n,
			 "the plan now has '%.*s' (line %u), before "
			 "absent",
			 (int)b.len[i], b.s[i], i + 1);
	} else {
		snprintf(buf, n,
			 "plan fingerprint was %s, now %s (the plan "
			 "text is the same)",
			 old_fp, new_fp);
	}
	lines_free(&a);
	lines_free(&b);
}

/* Whether two plans differ only in their "source partitions = N" line,
 * with more partitions in new_text. */
static bool plan_parts_grew(const char *old_text, const char *new_text)
{
	static const char key[] = "source partitions = ";
	size_t kl = sizeof(key) - 1;
	lines a, b;
	uint32_t differ = 0;
	bool grew = false;

	lines_split(old_text, &a);
	lines_split(new_text, &b);
	for (uint32_t i = 0; a.n == b.n && i < a.n; i++) {
		if (a.len[i] == b.len[i] && !memcmp(a.s[i], b.s[i], a.len[i]))
			continue;
		differ++;
		grew = a.len[i] > kl && b.len[i] > kl &&
		       !memcmp(a.s[i], key, kl) && !memcmp(b.s[i], key, kl) &&
		       strtoul(b.s[i] + kl, NULL, 10) >
			       strtoul(a.s[i] + kl, NULL, 10);
	}
	lines_free(&a);
	lines_free(&b);
	return a.n == b.n && differ == 1 && grew;
}

/* metadata keeps the plan as an array of its lines, so that the file reads
 * as the plan does. */
static json_t *plan_lines_json(const char *plan)
{
	json_t *a = json_array();
	lines l = { 0 };

	/* both released by an unwind (core/alloc.h) */
	sl_oom_defer(json_decref_v, a);
	sl_oom_defer(lines_free_v, &l);
	lines_split(plan, &l);
	for (uint32_t i = 0; i < l.n; i++)
		json_array_append_new(a, json_stringn(l.s[i], l.len[i]));
	sl_oom_undefer(&l);
	sl_oom_undefer(a);
	lines_free(&l);
	return a;
}

/* The stored plan as text again (malloc'd); non-strings count as empty. */
static char *plan_join(const json_t *a)
{
	size_t n = 1, at = 0;
	char *t;

	for (size_t i = 0; i < json_array_size(a); i++)
		n += json_string_length(json_array_get(a, i)) + 1;
	t = sl_xrealloc(NULL, n);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *s = json_array_get(a, i);
		size_t l = json_string_length(s);

		if (l)
			memcpy(t + at, json_string_value(s), l);
		at += l;
		t[at++] = '\n';
	}
	t[at] = '\0';
	return t;
}

/* ---- open ---------------------------------------------------------------- */

static const char *const known_entries[] = {
	"metadata", "offsets", "commits", "sources", "state", NULL,
};

/* A directory with no metadata is a new checkpoint only when it holds
 * nothing of anyone else's: pointing checkpointLocation at a directory of
 * other files is a mistake to report, and offsets without metadata are a
 * damaged checkpoint, not a fresh one. */
static int check_empty(sl_ckpt *c, sl_err *err)
{
	struct dirent *de;
	int rc = 0, fd;
	DIR *d;

	fd = openat(c->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return sl_err_set(err, SL_EIO, "cannot list %s: %s", c->path,
				  strerror(e));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		bool known = false;

		if (!strcmp(n, ".") || !strcmp(n, "..") ||
		    (n[0] == '.' && strlen(n) > 4 &&
		     !strcmp(n + strlen(n) - 4, ".tmp")))
			continue;
		for (int i = 0; known_entries[i]; i++)
			known |= !strcmp(n, known_entries[i]);
		if (!known)
			rc = sl_err_set(
				err, SL_EINVAL,
				"checkpoint location %s is not empty and "
				"holds no checkpoint (found '%s'); use "
				"an empty or new directory",
				c->path, n);
	}
	closedir(d);
	return rc;
}

static int read_metadata(sl_ckpt *c, const char *fp, const char *plan,
			 bool *found, sl_err *err)
{
	const json_t *jid, *jfp, *jplan;
	sl_err e = { 0 };
	char why[400];
	json_t *m;
	int64_t ver;
	int rc;

	*found = false;
	rc = sl_ckpt_json_read(c->root_fd, c->path, "metadata", &m, &e);
	if (rc == SL_ENOTFOUND)
		return 0;
	if (rc == SL_EINVAL)
		return sl_err_set(err, SL_EINVAL,
				  "checkpoint %s is unreadable: %s", c->path,
				  e.msg);
	if (rc < 0) {
		if (err)
			*err = e;
		return rc;
	}
	*found = true;
	jid = json_object_get(m, "id");
	jfp = json_object_get(m, "fingerprint");
	jplan = json_object_get(m, "plan");
	if (!json_is_object(m) || !sl_ckpt_json_i64(m, "version", &ver) ||
	    !json_is_string(jid) || !json_is_string(jfp) ||
	    (jplan && !json_is_array(jplan))) {
		json_decref(m);
		return sl_err_set(err, SL_EINVAL,
				  "checkpoint %s is unreadable: %s/metadata "
				  "lacks its version, id or fingerprint",
				  c->path, c->path);
	}
	if (ver > SL_CKPT_VERSION || ver < 1) {
		json_decref(m);
		return sl_err_set(err, SL_EINVAL,
				  "checkpoint %s has format version %" PRId64
				  "; this sluice reads version %d",
				  c->path, ver, SL_CKPT_VERSION);
	}
	if (strcmp(json_string_value(jfp), fp) != 0) {
		char *old = plan_join(jplan);

		c->plan_grew = c->parts_may_grow && plan_parts_grew(old, plan);
		plan_diff(old, plan, json_string_value(jfp), fp, why,
			  sizeof(why));
		free(old);
	}
	if (strcmp(json_string_value(jfp), fp) != 0 && !c->plan_grew) {
		json_decref(m);
		return sl_err_set(err, SL_EINVAL,
				  "checkpoint %s was written by a different "
				  "query: %s (use another checkpointLocation, "
				  "or delete it to start over)",
				  c->path, why);
	}
	free(c->id);
	c->id = sl_xstrdup(json_string_value(jid));
	json_decref(m);
	return 0;
}

static int write_metadata(sl_ckpt *c, const char *fp, const char *plan,
			  sl_err *err)
{
	json_t *m = json_object();
	int rc;

	sl_oom_defer(json_decref_v, m); /* core/alloc.h */
	json_object_set_new(m, "id", json_string(c->id));
	json_object_set_new(m, "fingerprint", json_string(fp));
	json_object_set_new(m, "plan", plan_lines_json(plan));
	json_object_set_new(m, "version", json_integer(SL_CKPT_VERSION));
	rc = sl_ckpt_json_write(c->root_fd, c->path, "metadata", m, err);
	sl_oom_undefer(m);
	json_decref(m);
	return rc;
}

static int clean_all_tmp(sl_ckpt *c, sl_err *err)
{
	struct dirent *de;
	int rc, fd;
	DIR *d;

	if ((rc = sl_ckpt_file_clean_tmp(c->root_fd, c->path, err)) < 0 ||
	    (rc = sl_ckpt_file_clean_tmp(c->off_fd, c->off_path, err)) < 0 ||
	    (rc = sl_ckpt_file_clean_tmp(c->com_fd, c->com_path, err)) < 0 ||
	    (rc = sl_ckpt_file_clean_tmp(c->src_fd, c->src_path, err)) < 0)
		return rc;
	fd = openat(c->src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return sl_err_set(err, SL_EIO, "cannot list %s: %s",
				  c->src_path, strerror(e));
	}
	rc = 0;
	while (rc >= 0 && (de = readdir(d)) != NULL) {
		char *p;
		int sfd;

		if (de->d_name[0] == '.')
			continue;
		sfd = openat(c->src_fd, de->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0) {
			/* A stray file here is not ours to judge. */
			if (errno != ENOTDIR && errno != ENOENT)
				rc = sl_err_set(err, SL_EIO,
						"cannot open %s/%s: %s",
						c->src_path, de->d_name,
						strerror(errno));
			continue;
		}
		p = path_join(c->src_path, de->d_name);
		rc = sl_ckpt_file_clean_tmp(sfd, p, err);
		close(sfd);
		free(p);
	}
	closedir(d);
	return rc < 0 ? rc : 0;
}

/* What sl_ckpt_open holds while it may unwind. */
struct open_tmp {
	sl_ckpt *c;
	int64_t *off, *com;
};

static void open_tmp_free(void *arg)
{
	struct open_tmp *t = arg;
	free(t->off);
	free(t->com);
	sl_ckpt_close(t->c);
}

int sl_ckpt_open(const char *dir, const char *query_id, const char *fingerprint,
		 const char *plan_text, sl_ckpt **out, sl_err *err)
{
	return sl_ckpt_open_flags(dir, query_id, fingerprint, plan_text, 0,
				  out, err);
}

int sl_ckpt_open_flags(const char *dir, const char *query_id,
		       const char *fingerprint, const char *plan_text,
		       unsigned flags, sl_ckpt **out, sl_err *err)
{
	char fp[SL_CKPT_FP_HEX];
	sl_ckpt *c;
	int64_t *off = NULL, *com = NULL;
	uint32_t noff = 0, ncom = 0;
	bool found;
	int rc;

	*out = NULL;
	if (!dir || !*dir)
		return sl_err_set(err, SL_EINVAL,
				  "checkpointLocation is empty");
	if (!plan_text)
		plan_text = "";
	if (!fingerprint) {
		sl_ckpt_fingerprint(plan_text, strlen(plan_text), fp);
		fingerprint = fp;
	}
	c = sl_xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->root_fd = c->off_fd = c->com_fd = c->src_fd = -1;
	/* closed by an unwind (core/alloc.h) until it is *out */
	struct open_tmp t = { c, NULL, NULL };
	sl_oom_defer(open_tmp_free, &t);
	c->path = sl_xstrdup(dir);
	/* "/x/" and "/x" are the same checkpoint; keep messages tidy. */
	for (size_t n = strlen(c->path); n > 1 && c->path[n - 1] == '/'; n--)
		c->path[n - 1] = '\0';
	c->off_path = path_join(c->path, "offsets");
	c->com_path = path_join(c->path, "commits");
	c->src_path = path_join(c->path, "sources");
	c->id = sl_xstrdup(query_id ? query_id : "");
	c->retain = SL_CKPT_RETAIN_DEFAULT;
	c->parts_may_grow = flags & SL_CKPT_PARTS_MAY_GROW;
	sl_ckpt_stat_set(c, last_committed, -1);

	rc = sl_ckpt_dir_open(AT_FDCWD, NULL, c->path, true, &c->root_fd, err);
	if (rc < 0)
		goto fail;
	/* One writer per checkpoint: two queries appending to the same log
	 * would interleave epochs. flock is tied to this open file, so it
	 * is released when the process dies, even by SIGKILL. */
	if (flock(c->root_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK
			     ? sl_err_set(err, SL_ESTATE,
					  "checkpoint %s is in use by another "
					  "running query",
					  c->path)
			     : sl_err_set(err, SL_EIO, "cannot lock %s: %s",
					  c->path, strerror(errno));
		goto fail;
	}
	rc = read_metadata(c, fingerprint, plan_text, &found, err);
	if (rc < 0)
		goto fail;
	if (!found) {
		rc = check_empty(c, err);
		if (rc < 0)
			goto fail;
		if (!c->id[0]) {
			rc = sl_err_set(err, SL_EINVAL,
					"a new checkpoint needs a query id");
			goto fail;
		}
	}
	/* The subdirectories before metadata: metadata is what makes the
	 * directory a checkpoint, so it comes last. A reopen creates any a
	 * crash left missing. */
	if ((rc = sl_ckpt_dir_open(c->root_fd, c->path, "offsets", true,
				   &c->off_fd, err)) < 0 ||
	    (rc = sl_ckpt_dir_open(c->root_fd, c->path, "commits", true,
				   &c->com_fd, err)) < 0 ||
	    (rc = sl_ckpt_dir_open(c->root_fd, c->path, "sources", true,
				   &c->src_fd, err)) < 0)
		goto fail;
	{
		int sfd;
		rc = sl_ckpt_dir_open(c->root_fd, c->path, "state", true, &sfd,
				      err);
		if (rc < 0)
			goto fail;
		close(sfd);
	}
	rc = clean_all_tmp(c, err);
	if (rc < 0)
		goto fail;
	/* Where the purge starts, and whether a directory without metadata
	 * already has history (then it is damaged, not new). */
	if ((rc = sl_ckpt_list_epochs(c->off_fd, c->off_path, &t.off, &noff,
				      err)) < 0 ||
	    (rc = sl_ckpt_list_epochs(c->com_fd, c->com_path, &t.com, &ncom,
				      err)) < 0)
		goto fail;
	off = t.off;
	com = t.com;
	c->purge_from = noff ? off[0] : 0;
	if (ncom && (!noff || com[0] < c->purge_from))
		c->purge_from = com[0];
	if (c->plan_grew &&
	    (rc = write_metadata(c, fingerprint, plan_text, err)) < 0)
		goto fail;
	if (!found) {
		if (noff || ncom) {
			rc = sl_err_set(err, SL_EINVAL,
					"checkpoint %s is damaged: it has "
					"offsets or commits but no metadata "
					"file",
					c->path);
			goto fail;
		}
		rc = write_metadata(c, fingerprint, plan_text, err);
		if (rc < 0)
			goto fail;
		c->created = true;
	}
	sl_oom_undefer(&t);
	free(off);
	free(com);
	*out = c;
	return 0;
fail:
	sl_oom_undefer(&t);
	free(t.off);
	free(t.com);
	sl_ckpt_close(c);
	return rc;
}

void sl_ckpt_close(sl_ckpt *c)
{
	if (!c)
		return;
	if (c->off_fd >= 0)
		close(c->off_fd);
	if (c->com_fd >= 0)
		close(c->com_fd);
	if (c->src_fd >= 0)
		close(c->src_fd);
	if (c->root_fd >= 0)
		close(c->root_fd); /* releases the flock */
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c->off_path);
	free(c->com_path);
	free(c->src_path);
	free(c->id);
	free(c);
}

const char *sl_ckpt_id(const sl_ckpt *c)
{
	return c->id;
}

const char *sl_ckpt_path(const sl_ckpt *c)
{
	return c->path;
}

bool sl_ckpt_is_new(const sl_ckpt *c)
{
	return c->created;
}

int sl_ckpt_set_retain(sl_ckpt *c, int64_t n, sl_err *err)
{
	if (n < 1)
		return sl_err_set(err, SL_EINVAL,
				  "minBatchesToRetain must be at least 1, "
				  "not %" PRId64,
				  n);
	sl_oom_lock(&c->lock); /* an unwind unlocks */
	c->retain = n;
	sl_oom_unlock(&c->lock);
	return 0;
}

void sl_ckpt_get_stats(sl_ckpt *c, sl_ckpt_stats *s)
{
	s->last_offsets_us = sl_ckpt_stat_get(c, last_offsets_us);
	s->last_commit_us = sl_ckpt_stat_get(c, last_commit_us);
	s->last_purge_us = sl_ckpt_stat_get(c, last_purge_us);
	s->max_commit_us = sl_ckpt_stat_get(c, max_commit_us);
	s->last_committed = sl_ckpt_stat_get(c, last_committed);
	s->ncommits = sl_ckpt_stat_get(c, ncommits);
}

/* ---- source blobs -------------------------------------------------------- */

/* A source blob's two names each become a path component. */
static int check_blob_names(const char *source, const char *key, sl_err *err)
{
	int rc;

	if ((rc = check_name("source", source, err)) < 0 ||
	    (rc = check_name("key", key, err)) < 0)
		return rc;
	return 0;
}

/* Under the checkpoint's lock, writes body (len bytes) as source's blob
 * key, creating the source's directory, or with body NULL reads the blob
 * into *out (*out_len bytes). */
static int source_blob_file(sl_ckpt *c, const char *source, const char *key,
			    const char *body, size_t len, char **out,
			    size_t *out_len, sl_err *err)
{
	char *sp = path_join(c->src_path, source);
	int rc, fd = -1;

	sl_oom_lock(&c->lock); /* an unwind unlocks */
	rc = sl_ckpt_dir_open(c->src_fd, c->src_path, source, body != NULL, &fd,
			      err);
	if (rc == 0)
		rc = body ? sl_ckpt_file_write(fd, sp, key, body, len, err)
			  : sl_ckpt_file_read(fd, sp, key, out, out_len, err);
	sl_oom_unlock(&c->lock);
	if (fd >= 0)
		close(fd);
	free(sp);
	return rc;
}

int sl_ckpt_put_source(sl_ckpt *c, const char *source, const char *key,
		       const char *json_text, sl_err *err)
{
	json_error_t je;
	json_t *chk;
	char *body = NULL;
	size_t len;
	int rc;

	if ((rc = check_blob_names(source, key, err)) < 0)
		return rc;
	chk = json_text ? json_loads(json_text, JSON_DECODE_ANY, &je) : NULL;
	if (!chk)
		return sl_err_set(err, SL_EINVAL,
				  "checkpoint blob %s/%s is not JSON (%s)",
				  source, key, json_text ? je.text : "NULL");
	json_decref(chk);
	/* Stored as given plus one newline, which get removes again. */
	len = strlen(json_text);
	body = sl_xrealloc(NULL, len + 2);
	memcpy(body, json_text, len);
	body[len] = '\n';
	body[len + 1] = '\0';
	sl_oom_own(body); /* freed by an unwind (core/alloc.h) */
	rc = source_blob_file(c, source, key, body, len + 1, NULL, NULL, err);
	sl_oom_disown(body);
	free(body);
	return rc;
}

int sl_ckpt_get_source(sl_ckpt *c, const char *source, const char *key,
		       char **json_text, sl_err *err)
{
	char *body = NULL;
	size_t len;
	int rc;

	*json_text = NULL;
	if ((rc = check_blob_names(source, key, err)) < 0)
		return rc;
	rc = source_blob_file(c, source, key, NULL, 0, &body, &len, err);
	if (rc < 0)
		return rc;
	if (len && body[len - 1] == '\n')
		body[len - 1] = '\0';
	*json_text = body;
	return 0;
}
