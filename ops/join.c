/* ops/join.c - stream-static equi-joins (ops/join.h, docs/STATEFUL.md,
 * "Stream-static join").
 *
 * The static side is read once through the file source's own ops (so its
 * options, schema and parse modes are exactly a stream's) into one batch,
 * and hashed on its keys when a join frame is made. Rows with equal keys
 * are chained in table order, so a stream row's matches come out in the
 * order the file lists them. The stream side probes on the partition
 * threads, between the other fused stateless steps: no shuffle, no state,
 * which is why Spark allows this join in append mode only and keeps no
 * state store for it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/stateful.h"
#include "ops/join.h"
#include "ops/keyhash.h"

struct sl_join {
	int how;
	uint32_t nkeys;
	int32_t *lkey;          /* stream key columns */
	sl_type *ktype;         /* the type both sides' keys are compared in */
	uint32_t nright;
	int32_t *rcol;          /* static columns appended to a stream row */
	const sl_batch *table;  /* the static rows (the static frame's) */
	sl_keytab *kt;          /* key tuple -> slot */
	uint32_t *head;         /* per slot: first table row */
	uint32_t *next;         /* per table row: next with its key, or NONE */
};

#define NONE UINT32_MAX

/* ---- reading the static table --------------------------------------------- */

static void batch_free_cb(void *p)
{
	sl_batch_free(p);
}

/* The file source watches a directory, optionally with a file-name glob.
 * One file becomes its directory plus a glob that matches only its name:
 * each character in brackets, which also escapes glob metacharacters. */
static const char *one_file_path(sl_arena *a, const char *path)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return path;
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dl = slash ? (size_t)(slash - path) : 0;
	size_t nl = strlen(name);
	char *out = sl_arena_calloc(a, dl + 3 + 3 * nl + 1);
	size_t k = 0;
	if (slash) {
		memcpy(out, path, dl ? dl : 1);
		k = dl ? dl : 1;
		if (dl)
			out[k++] = '/';
	} else {
		memcpy(out, "./", 2);
		k = 2;
	}
	for (size_t i = 0; i < nl; i++) {
		out[k++] = '[';
		out[k++] = name[i];
		out[k++] = ']';
	}
	out[k] = 0;
	return out;
}

sl_frame *sl_static_read(sl_session *s, const char *format,
			 const char *const *options, sl_err *err)
{
	if (!format || (strcasecmp(format, "csv") && strcasecmp(format, "json") &&
			strcasecmp(format, "text"))) {
		sl_err_set(err, SL_EFORMAT,
			   "read_static: format '%s' cannot be read as a "
			   "static table (use csv, json or text)",
			   format ? format : "(none)");
		return NULL;
	}
	/* Options with a one-file path rewritten to the source's form. */
	size_t n = 0;
	while (options && options[n])
		n += 2;
	const char **opts = sl_arena_calloc(&s->arena,
					    (n + 1) * sizeof(*opts));
	for (size_t i = 0; i < n; i += 2) {
		opts[i] = options[i];
		opts[i + 1] = options[i + 1];
		if (opts[i + 1] && !strcasecmp(opts[i], "path"))
			opts[i + 1] = one_file_path(&s->arena, opts[i + 1]);
	}
	sl_frame *src_f = sl_read_stream(s, format, opts);
	if (!src_f) {
		sl_err_set(err, sl_session_errcode(s), "%s",
			   sl_session_errmsg(s));
		return NULL;
	}
	struct sl_source *src = src_f->src;
	sl_batch *rows = sl_batch_new(src->schema, 64);
	int rc = 0;
	/* Every file there now, each partition drained to its end once. */
	for (uint32_t i = 0; i < src->nparts && rc >= 0; i++) {
		sl_source_part p = { .src = src, .index = i };
		if ((rc = src->ops->open(&p)) < 0) {
			*err = p.err;
			break;
		}
		int64_t end = src->ops->latest(&p, -1);
		while (p.offset < end) {
			int64_t before = p.offset;
			sl_batch *got = NULL;
			rc = src->ops->poll(&p, end, 0, &got);
			if (got) {
				sl_batch_append_copy(rows, got);
				sl_batch_free(got);
			}
			if (rc == SL_EOS_RC) {
				rc = 0;
				break;
			}
			if (rc < 0) {
				*err = p.err;
				break;
			}
			if (rc == 0 && p.offset == before)
				break; /* nothing more to read: no spin */
		}
		if (src->ops->close)
			src->ops->close(&p);
	}
	if (rc < 0) {
		if (!err->msg[0])
			sl_err_set(err, SL_EIO, "read_static: reading failed");
		sl_batch_free(rows);
		return NULL;
	}
	sl_session_on_destroy(s, batch_free_cb, rows);
	sl_frame *f = sl_arena_calloc(&s->arena, sizeof(*f));
	f->session = s;
	f->kind = SL_FR_STATIC;
	f->format = src->ops->name;
	f->schema = src->schema;
	f->rows = rows;
	f->gen = -1;
	return f;
}

/* ---- building the join ---------------------------------------------------- */

static bool integral(sl_type t)
{
	return t == SL_INT || t == SL_LONG;
}

/* The type two key columns are compared in: their own if equal; numbers
 * widen as Spark's implicit casts do (int -> bigint -> double). */
static bool common_type(sl_type a, sl_type b, sl_type *out)
{
	if (a == b && a != SL_ARRAY && a != SL_STRUCT) {
		*out = a;
		return true;
	}
	if (integral(a) && integral(b)) {
		*out = SL_LONG;
		return true;
	}
	if ((integral(a) || a == SL_DOUBLE) && (integral(b) || b == SL_DOUBLE)) {
		*out = SL_DOUBLE;
		return true;
	}
	return false;
}

/* v in type t; false for null (SQL equality: a null key matches nothing). */
static bool key_value(const sl_value *v, sl_type t, sl_value *out)
{
	if (v->type == SL_NULL)
		return false;
	if (v->type == t) {
		*out = *v;
		return true;
	}
	if (t == SL_LONG && v->type == SL_INT) {
		*out = sl_v_long(v->v.i32);
		return true;
	}
	if (t == SL_DOUBLE) {
		*out = sl_v_double(v->type == SL_INT ? (double)v->v.i32
						      : (double)v->v.i64);
		return true;
	}
	*out = *v;
	return true;
}

static void join_free_cb(void *p)
{
	sl_join *j = p;
	sl_keytab_free(j->kt);
	free(j->head);
	free(j->next);
	free(j);
}

static int find_col(const sl_schema *sc, const char *name, const char *side,
		    sl_err *err)
{
	int c = sl_schema_find(sc, name, strlen(name));
	if (c < 0) {
		char cols[512];
		sl_schema_list(sc, cols, sizeof(cols));
		return sl_err_set(err, SL_EANALYSIS,
				  "join: the %s side has no column '%s' "
				  "(columns: [%s])",
				  side, name, cols);
	}
	return c;
}

sl_frame *sl_join_frame(sl_frame *stream, sl_frame *stat,
			const char *const *keys_left,
			const char *const *keys_right, int how, sl_err *err)
{
	sl_session *s = stream->session;
	sl_arena *a = &s->arena;

	if (!stat || stat->kind != SL_FR_STATIC) {
		sl_err_set(err, SL_EANALYSIS,
			   "join: the right side must be a static table "
			   "(sl_read_static); stream-stream joins are not "
			   "supported");
		return NULL;
	}
	if (stream->kind == SL_FR_STATIC) {
		sl_err_set(err, SL_EANALYSIS,
			   "join: the left side must be a stream (a join of "
			   "two static tables is not a streaming query)");
		return NULL;
	}
	for (const sl_frame *f = stream; f; f = f->parent)
		if (f->kind == SL_FR_AGGREGATE) {
			sl_err_set(err, SL_EANALYSIS,
				   "join: joining the result of an "
				   "aggregation or dropDuplicates is not "
				   "supported (a stream-static join is a "
				   "stateless step over input rows)");
			return NULL;
		}
	if (!keys_right)
		keys_right = keys_left;
	uint32_t nk = 0;
	while (keys_left && keys_left[nk]) {
		if (!keys_right[nk]) {
			sl_err_set(err, SL_EINVAL,
				   "join: %u left keys but fewer right keys",
				   nk + 1);
			return NULL;
		}
		nk++;
	}
	if (!nk || keys_right[nk]) {
		sl_err_set(err, SL_EINVAL,
			   nk ? "join: more right keys than left keys"
			      : "join: no join keys given");
		return NULL;
	}
	const sl_schema *ls = stream->schema, *rs = stat->schema;
	sl_join *j = calloc(1, sizeof(*j));
	if (!j)
		abort();
	j->how = how;
	j->nkeys = nk;
	j->lkey = sl_arena_calloc(a, nk * sizeof(*j->lkey));
	j->ktype = sl_arena_calloc(a, nk * sizeof(*j->ktype));
	int32_t *rkey = sl_arena_calloc(a, nk * sizeof(*rkey));
	bool *is_key = sl_arena_calloc(a, (rs->n ? rs->n : 1) * sizeof(bool));
	for (uint32_t i = 0; i < nk; i++) {
		int lc = find_col(ls, keys_left[i], "stream (left)", err);
		int rc = lc < 0 ? lc : find_col(rs, keys_right[i],
						  "static (right)", err);
		if (rc < 0) {
			free(j);
			return NULL;
		}
		const sl_dtype *lt = ls->fields[lc].type, *rt = rs->fields[rc].type;
		if (!common_type(lt->id, rt->id, &j->ktype[i])) {
			char ln[64], rn[64];
			sl_dtype_name(lt, ln, sizeof(ln));
			sl_dtype_name(rt, rn, sizeof(rn));
			sl_err_set(err, SL_EANALYSIS,
				   "join: key '%s' is %s on the stream side "
				   "but '%s' is %s on the static side; CAST "
				   "one side so that they compare",
				   keys_left[i], ln, keys_right[i], rn);
			free(j);
			return NULL;
		}
		j->lkey[i] = lc;
		rkey[i] = rc;
		is_key[rc] = true;
	}
	/* Output: the stream's columns, then the table's non-key ones. */
	for (uint32_t c = 0; c < rs->n; c++)
		j->nright += !is_key[c];
	j->rcol = sl_arena_calloc(a, (j->nright ? j->nright : 1) *
					     sizeof(*j->rcol));
	sl_schema *out = sl_schema_new(a, ls->n + j->nright);
	for (uint32_t c = 0; c < ls->n; c++)
		out->fields[c] = ls->fields[c];
	uint32_t k = ls->n;
	for (uint32_t c = 0; c < rs->n; c++) {
		if (is_key[c])
			continue;
		const char *nm = rs->fields[c].name;
		/* Two columns of one name could not be told apart by any
		 * expression above the join: say so now. */
		if (sl_schema_find(ls, nm, strlen(nm)) >= 0) {
			sl_err_set(err, SL_EANALYSIS,
				   "join: column '%s' is on both sides; "
				   "rename one (select ... AS) or make it a "
				   "join key",
				   nm);
			free(j);
			return NULL;
		}
		j->rcol[k - ls->n] = (int32_t)c;
		out->fields[k] = rs->fields[c];
		/* A left join null-extends the unmatched stream rows. */
		if (how == SL_JOIN_LEFT)
			out->fields[k].nullable = true;
		k++;
	}

	/* The hash table: rows with a null key never match, so they are
	 * left out. */
	const sl_batch *t = stat->rows;
	j->table = t;
	j->kt = sl_keytab_new(nk);
	j->next = malloc(((size_t)t->nrows + 1) * sizeof(*j->next));
	uint32_t *tail = NULL, cap = 0;
	if (!j->next)
		abort();
	for (uint32_t r = 0; r < t->nrows; r++) {
		const sl_value *row = sl_batch_row(t, r);
		sl_value key[nk];
		bool ok = true;
		j->next[r] = NONE;
		for (uint32_t i = 0; i < nk && ok; i++)
			ok = key_value(&row[rkey[i]], j->ktype[i], &key[i]);
		if (!ok)
			continue;
		bool created;
		uint32_t slot = sl_keytab_insert(j->kt, key, &created);
		if (slot >= cap) {
			uint32_t nc = cap ? cap * 2 : 64;
			while (nc <= slot)
				nc *= 2;
			j->head = realloc(j->head, nc * sizeof(*j->head));
			tail = realloc(tail, nc * sizeof(*tail));
			if (!j->head || !tail)
				abort();
			cap = nc;
		}
		if (created)
			j->head[slot] = r;
		else
			j->next[tail[slot]] = r;
		tail[slot] = r;
	}
	free(tail);
	sl_session_on_destroy(s, join_free_cb, j);

	sl_frame *f = sl_arena_calloc(a, sizeof(*f));
	*f = *stream;
	f->kind = SL_FR_JOIN;
	f->parent = stream;
	f->schema = out;
	f->cond = NULL;
	f->items = NULL;
	f->nitems = 0;
	f->pass = NULL;
	f->gen = -1;
	f->rows = NULL;
	f->join = j;
	return f;
}

/* ---- the join step ---------------------------------------------------------- */

int sl_join_run(const sl_frame *f, sl_batch *b, sl_err *err)
{
	const sl_join *j = f->join;
	uint32_t nl = b->ncols, nout = f->schema->n, nk = j->nkeys;
	uint32_t cap = b->nrows ? b->nrows : 1, n = 0;
	sl_value *vals = malloc((size_t)cap * nout * sizeof(sl_value));

	(void)err;
	if (!vals)
		abort();
	for (uint32_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);
		sl_value key[nk];
		bool ok = true;
		for (uint32_t i = 0; i < nk && ok; i++)
			ok = key_value(&row[j->lkey[i]], j->ktype[i], &key[i]);
		int64_t slot = ok ? sl_keytab_find(j->kt, key) : -1;
		uint32_t m = slot >= 0 ? j->head[slot] : NONE;
		if (m == NONE && j->how != SL_JOIN_LEFT)
			continue;
		do {
			if (n == cap) {
				cap *= 2;
				vals = realloc(vals, (size_t)cap * nout *
							     sizeof(sl_value));
				if (!vals)
					abort();
			}
			sl_value *o = vals + (size_t)n++ * nout;
			memcpy(o, row, nl * sizeof(sl_value));
			/* Values of the table stay in its arena: it lives
			 * as long as the session, longer than any row. */
			const sl_value *tr = m != NONE
						     ? sl_batch_row(j->table, m)
						     : NULL;
			for (uint32_t c = 0; c < j->nright; c++)
				o[nl + c] = tr ? tr[j->rcol[c]] : sl_v_null();
			m = m != NONE ? j->next[m] : NONE;
		} while (m != NONE);
	}
	free(b->vals);
	b->vals = vals;
	b->cap = cap;
	b->nrows = n;
	b->ncols = nout;
	b->schema = f->schema;
	return 0;
}
