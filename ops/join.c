/* ops/join.c - stream-static equi-joins (ops/join.h, docs/STATEFUL.md,
 * "Stream-static join").
 *
 * The static table, read once by the engine (engine/static_table.c), is
 * hashed on its keys when a join frame is made. Rows with equal keys
 * are chained in table order, so a stream row's matches come out in the
 * order the file lists them. The stream side probes on the partition
 * threads, between the other fused stateless steps: no shuffle, no state,
 * which is why Spark allows this join in append mode only and keeps no
 * state store for it. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
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
	const sl_schema *out;   /* the joined rows */
};

#define NONE UINT32_MAX

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

void sl_join_free(sl_join *j)
{
	if (!j)
		return;
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

sl_join *sl_join_new(const sl_schema *ls, const sl_schema *rs,
		     const sl_batch *t, const char *const *keys_left,
		     const char *const *keys_right, int how, sl_arena *a,
		     sl_err *err)
{
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
	sl_join *j = sl_xcalloc(1, sizeof(*j));
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
	j->table = t;
	j->kt = sl_keytab_new(nk);
	j->next = sl_xrealloc(NULL, ((size_t)t->nrows + 1) * sizeof(*j->next));
	uint32_t *tail = NULL, cap = 0;
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
			j->head = sl_xrealloc(j->head, nc * sizeof(*j->head));
			sl_oom_own(tail);
			uint32_t *grown = sl_xrealloc(tail, nc * sizeof(*tail));
			sl_oom_disown(tail);
			tail = grown;
			cap = nc;
		}
		if (created)
			j->head[slot] = r;
		else
			j->next[tail[slot]] = r;
		tail[slot] = r;
	}
	free(tail);
	j->out = out;
	return j;
}

const sl_schema *sl_join_schema(const sl_join *j)
{
	return j->out;
}

/* ---- the join step ---------------------------------------------------------- */

int sl_join_probe(const sl_join *j, sl_batch *b, sl_err *err)
{
	uint32_t nl = b->ncols, nout = j->out->n, nk = j->nkeys;
	uint32_t cap = b->nrows ? b->nrows : 1, n = 0;
	sl_value *vals =
		sl_xrealloc(NULL, (size_t)cap * nout * sizeof(sl_value));

	(void)err;
	sl_oom_own(vals); /* until it is the batch's (core/alloc.h) */
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
				sl_value *old = vals;
				vals = sl_values_grow(vals, &cap, nout);
				sl_oom_own_swap(old, vals);
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
	sl_oom_disown(vals);
	free(b->vals);
	b->vals = vals;
	b->cap = cap;
	b->nrows = n;
	b->ncols = nout;
	b->schema = j->out;
	return 0;
}
