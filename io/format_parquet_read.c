/* io/format_parquet_read.c - the Parquet reader of the file source and
 * static tables. A file is read footer first: the magic at both ends, the
 * FileMetaData (io/parquet_meta.c), then each row group's column chunks
 * of the schema's columns (only those: a schema that names fewer columns
 * than the file has reads fewer bytes), one io_uring read each
 * (io/uring.h), whose pages io/format_parquet_pages.c decodes. Columns
 * are matched by name, case-insensitively, as Spark does; a column the
 * file lacks reads as nulls.
 *
 * Without a schema option the schema is the footer's, as Spark infers it:
 * the first Parquet file of the directory (partition directories
 * included) by relative path, every column nullable, then the partition
 * columns the files lack (io/format_parquet_parts.c); a partition
 * column's value comes from the file's path.
 * Every fault in a file (bad magic, a truncated or damaged footer or page,
 * an encoding or type sluice does not read) is an error naming the file,
 * the byte offset of the footer, column chunk or page, and the problem. */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "expr/expr.h"
#include "io/parquet_read.h"

/* ---- the file's columns ----------------------------------------------- */

/* A top-level column of the file: its schema element and its first leaf
 * (chunk index); a group's leaves are counted, not read. */
struct pq_top {
	const pq_selem *el;
	int leaf;
};

/* The index after the subtree at i, its leaves counted (parquet_read.h). */
uint32_t pq_subtree_end(const pq_meta *m, uint32_t i, int *leaves,
			int depth)
{
	uint32_t n = (uint32_t)(m->schema[i].num_children > 0
					? m->schema[i].num_children
					: 0);

	if (depth > 64)
		return m->nschema;
	if (!n) {
		(*leaves)++;
		return i + 1;
	}
	i++;
	for (uint32_t k = 0; k < n && i < m->nschema; k++)
		i = pq_subtree_end(m, i, leaves, depth + 1);
	return i;
}

/* The file's top-level columns; their count, or -1 if the schema does not
 * add up. */
static int file_columns(const pq_meta *m, struct pq_top **out, sl_arena *a)
{
	int32_t n = m->schema[0].num_children;
	uint32_t i = 1;
	int leaves = 0;
	struct pq_top *t;

	if (n < 0 || (uint32_t)n >= m->nschema)
		return -1;
	t = sl_arena_calloc(a, ((size_t)n + 1) * sizeof(*t));
	for (int32_t k = 0; k < n; k++) {
		if (i >= m->nschema)
			return -1;
		t[k].el = &m->schema[i];
		t[k].leaf = leaves;
		i = pq_subtree_end(m, i, &leaves, 0);
	}
	for (uint32_t g = 0; g < m->nrgs; g++)
		if (m->rgs[g].ncols != (uint32_t)leaves)
			return -1;
	*out = t;
	return n;
}

/* sluice's type of a top-level file column (a STRUCT's in a), or -1 and
 * a message. */
static int file_column_type(const pq_meta *m, const struct pq_top *t,
			    sl_arena *a, const sl_dtype **out, char *why,
			    size_t n)
{
	return pq_file_type(m, (uint32_t)(t->el - m->schema), a, out, why, n);
}

/* ---- the schema ------------------------------------------------------- */

/* The schema of the directory's first Parquet file by name. */
static int infer_schema(sl_format_scan *scan, sl_err *err)
{
	struct pq_parts parts;
	char path[4096], why[160];
	struct pq_top *top;
	sl_arena a;
	pq_meta m;
	struct stat st;
	sl_schema *s;
	uint32_t nparts = 0;
	int fd, n, rc;

	pq_parts_find(&parts, scan->dir, scan->glob);
	if (!parts.first) {
		pq_parts_free(&parts);
		return sl_err_set(err, SL_EOPTION,
				  "source '%s': no option 'schema' and no "
				  "Parquet file in %s to take the schema from "
				  "(Spark's 'Unable to infer schema'): give "
				  "the schema in DDL",
				  scan->component,
				  scan->dir ? scan->dir : "the directory");
	}
	snprintf(path, sizeof(path), "%s/%s", scan->dir, parts.first);
	sl_arena_init(&a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = sl_err_set(err, SL_EIO, "source '%s': %s: %s",
				scan->component, path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) ||
	    (rc = pq_footer_read(fd, st.st_size, &m, &a, err)) < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		rc = sl_err_set(err, SL_EIO,
				"source '%s': taking the schema from %s: %s",
				scan->component, path, msg);
		goto out;
	}
	if ((n = file_columns(&m, &top, &a)) < 0) {
		rc = sl_err_set(err, SL_EIO,
				"source '%s': %s: the footer's schema does "
				"not match its column chunks",
				scan->component, path);
		goto out;
	}
	/* The partition columns the files lack follow theirs, as Spark
	 * puts them. */
	for (uint32_t i = 0; i < parts.ncols; i++) {
		int k;

		for (k = 0; k < n; k++)
			if (!strcasecmp(top[k].el->name, parts.cols[i].name))
				break;
		if (k == n)
			parts.cols[nparts++] = parts.cols[i];
		else
			free(parts.cols[i].name);
	}
	parts.ncols = nparts;
	s = sl_schema_new(scan->arena, (uint32_t)n + nparts);
	for (uint32_t i = 0; i < nparts; i++) {
		s->fields[n + i].name =
			sl_arena_strdup(scan->arena, parts.cols[i].name);
		s->fields[n + i].type = pq_parts_type(&parts, i);
		s->fields[n + i].nullable = true;
	}
	for (int k = 0; k < n; k++) {
		const sl_dtype *t;

		if (file_column_type(&m, &top[k], scan->arena, &t, why,
				     sizeof(why)) < 0) {
			rc = sl_err_set(err, SL_EANALYSIS,
					"source '%s': %s: column '%s' is %s, "
					"which sluice does not read yet; give "
					"a schema without it",
					scan->component, path, top[k].el->name,
					why);
			goto out;
		}
		s->fields[k].name = sl_arena_strdup(scan->arena,
						    top[k].el->name);
		s->fields[k].type = t;
		s->fields[k].nullable = true;
	}
	scan->schema = s;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	sl_arena_free(&a);
	pq_parts_free(&parts);
	return rc;
}

int pq_scan_init(sl_format_scan *scan, sl_err *err)
{
	const struct pq_conf *c = scan->conf;
	int rc;

	if (c->schema && *c->schema)
		rc = sl_format_scan_schema(scan, c->schema, err);
	else
		rc = infer_schema(scan, err);
	return rc ? rc : sl_format_scan_columns(scan, err);
}

/* ---- opening a file --------------------------------------------------- */

/* How the file's type src (physical phys) is read as the schema's dst;
 * -1 if it cannot be. */
/* Whether a schema's DECIMAL dst reads the file's decimals of
 * precision p and scale s: the same, or wider in both parts, as Spark's
 * vectorised reader widens (its scale may grow; its integer digits must
 * not shrink). */
static bool dec_widens(const sl_dtype *dst, int p, int s)
{
	return dst->id == SL_DECIMAL && dst->scale >= s &&
	       dst->precision - dst->scale >= p - s;
}

int pq_conversion(const pq_selem *el, const sl_dtype *src,
		  const sl_dtype *dst)
{
	int s = (int)src->id, d = (int)dst->id;
	bool small = s == (int)SL_BYTE || s == (int)SL_SHORT || s == SL_INT;

	switch (el->type) {
	case PQ_BOOLEAN: return d == SL_BOOL ? CV_BOOL : -1;
	case PQ_INT32:
		if (s == SL_DECIMAL)
			return dec_widens(dst, src->precision, src->scale)
				       ? CV_DEC_I32
				       : -1;
		if (s == SL_INT && d == SL_DECIMAL)
			return dec_widens(dst, 10, 0) ? CV_DEC_I32 : -1;
		if (s == SL_DATE)
			return d == SL_DATE ? CV_DATE : -1;
		if (!small)
			return -1;
		if (d == (int)SL_BYTE)
			return s == (int)SL_BYTE ? CV_I8 : -1;
		if (d == (int)SL_SHORT)
			return s != SL_INT ? CV_I16 : -1;
		return d == SL_INT	  ? CV_INT
		       : d == SL_LONG	  ? CV_I32_LONG
		       : d == SL_DOUBLE ? CV_I32_DOUBLE
					: -1;
	case PQ_INT64:
		if (s == SL_DECIMAL)
			return dec_widens(dst, src->precision, src->scale)
				       ? CV_DEC_I64
				       : -1;
		if (s == SL_LONG && d == SL_DECIMAL)
			return dec_widens(dst, 20, 0) ? CV_DEC_I64 : -1;
		if (s == SL_TIMESTAMP_NTZ)
			return d != SL_TIMESTAMP_NTZ ? -1
			       : el->lt_unit == PQ_UNIT_MILLIS ? CV_NTZ_MS
							       : CV_NTZ_US;
		if (s == SL_TIMESTAMP) {
			bool ms = el->logical == PQ_LT_TIMESTAMP
					  ? el->lt_unit == PQ_UNIT_MILLIS
					  : el->converted ==
						    PQ_CT_TIMESTAMP_MILLIS;

			return d == SL_TIMESTAMP ? ms ? CV_TS_MS : CV_TS_US
						 : -1;
		}
		return d == SL_LONG ? CV_LONG : d == SL_DOUBLE ? CV_I64_DOUBLE : -1;
	case PQ_INT96: return d == SL_TIMESTAMP ? CV_INT96 : -1;
	case PQ_FLOAT:
		return d == SL_FLOAT ? CV_F32 : d == SL_DOUBLE ? CV_FLOAT : -1;
	case PQ_DOUBLE: return d == SL_DOUBLE ? CV_DOUBLE : -1;
	case PQ_BYTE_ARRAY:
		if (s == SL_DECIMAL)
			return dec_widens(dst, src->precision, src->scale)
				       ? CV_DEC_BE
				       : -1;
		if (s == SL_STRING)
			return d == SL_STRING ? CV_STR : -1;
		return d == SL_BINARY ? CV_BIN : -1;
	case PQ_FIXED:
		if (s == SL_DECIMAL)
			return dec_widens(dst, src->precision, src->scale)
				       ? CV_DEC_BE
				       : -1;
		return d == SL_BINARY ? CV_BIN : -1;
	default: return -1;
	}
}

static void rcol_free(struct pq_rcol *c)
{
	free(c->chunk);
	free(c->dict);
	free(c->dict_mem);
	free(c->dict_wide);
	free(c->wide);
	free(c->page);
	free(c->vals);
	free(c->lv);
	free(c->tmp);
	free(c->dec);
	free(c->u64);
	free(c->rv);
	free(c->row_def);
	free(c->row_rep);
	free(c->row_val);
}

static void rd_free(struct pq_rd *rd)
{
	for (uint32_t i = 0; rd->cols && i < rd->ncols; i++)
		rcol_free(&rd->cols[i]);
	for (uint32_t i = 0; rd->leaves && i < rd->nleaves; i++)
		rcol_free(&rd->leaves[i]);
	free(rd->cols);
	free(rd->leaves);
	if (rd->fd >= 0)
		sl_uring_close(sl_uring_get(), rd->fd);
	sl_arena_free(&rd->a);
	free(rd);
}

static int map_columns(sl_format_reader *r, struct pq_rd *rd)
{
	const sl_format_scan *scan = r->scan;
	struct pq_top *top;
	int n = file_columns(&rd->m, &top, &rd->a);
	char why[160], tn[64], fn[64];

	if (n < 0)
		return pq_fail(r, "the footer's schema does not match its column "
			       "chunks");
	rd->ncols = scan->ndata;
	rd->cols = sl_xcalloc(rd->ncols + 1, sizeof(*rd->cols));
	/* Room for every leaf of the file: a STRUCT column reads some. */
	uint32_t nleaf = 0;
	for (uint32_t i = 1; i < rd->m.nschema; i++)
		nleaf += rd->m.schema[i].num_children <= 0;
	rd->leaves = sl_xcalloc(nleaf + 1, sizeof(*rd->leaves));
	rd->col_of = sl_arena_alloc(&rd->a, (scan->schema->n + 1) *
						    sizeof(*rd->col_of));
	for (uint32_t i = 0; i < scan->schema->n; i++)
		rd->col_of[i] = -1;
	for (uint32_t k = 0; k < scan->ndata; k++) {
		const sl_field *f = &scan->schema->fields[scan->data[k]];
		struct pq_rcol *c = &rd->cols[k];
		const sl_dtype *t;
		int j;

		c->name = f->name;
		c->leaf = -1;
		rd->col_of[scan->data[k]] = (int32_t)k;
		/* Not read by the query: left null, its chunks unread. */
		if (r->used && !r->used[scan->data[k]])
			continue;
		for (j = 0; j < n; j++)
			if (!strcasecmp(top[j].el->name, f->name))
				break;
		if (j == n) {
			/* Not in this file: a partition directory's value,
			 * or nulls. */
			c->part = pq_part_value(r->path, scan->dir, f->name,
						f->type, &rd->a, &c->pval);
			continue;
		}
		if (file_column_type(&rd->m, &top[j], &rd->a, &t, why,
				     sizeof(why)) < 0)
			return pq_unbad(r, pq_fail(r, "column '%s' is %s, "
						   "which sluice does not "
						   "read yet",
						   f->name, why));
		if (t->id == SL_STRUCT || t->id == SL_ARRAY ||
		    t->id == SL_MAP) {
			if (!sl_dtype_equal(t, f->type)) {
				sl_dtype_name(t, fn, sizeof(fn));
				sl_dtype_name(f->type, tn, sizeof(tn));
				return pq_unbad(r, pq_fail(r, "column '%s' is %s "
							   "in the file, and "
							   "the schema says %s",
							   f->name, fn, tn));
			}
			int rc = pq_struct_open(r, rd, c,
						(uint32_t)(top[j].el -
							   rd->m.schema),
						top[j].leaf);
			if (rc < 0)
				return rc;
			continue;
		}
		c->conv = pq_conversion(top[j].el, t, f->type);
		if (c->conv < 0) {
			sl_dtype_name(t, fn, sizeof(fn));
			sl_dtype_name(f->type, tn, sizeof(tn));
			return pq_unbad(r, pq_fail(r, "column '%s' is %s in "
						   "the file, and the schema "
						   "says %s",
						   f->name, fn, tn));
		}
		if (f->type->id == SL_DECIMAL) {
			bool dec = t->id == SL_DECIMAL;

			c->fprec = dec ? t->precision
				       : top[j].el->type == PQ_INT32 ? 10 : 20;
			c->fscale = dec ? t->scale : 0;
			c->dprec = f->type->precision;
			c->dscale = f->type->scale;
		}
		c->el = top[j].el;
		c->leaf = top[j].leaf;
		c->max_def = c->el->repetition == PQ_OPTIONAL;
	}
	return 0;
}

static void rd_free_v(void *rd)
{
	rd_free(rd);
}

int pq_reader_open(sl_format_reader *r)
{
	struct pq_rd *rd = sl_xcalloc(1, sizeof(*rd));
	sl_err e = { 0 };
	int rc;

	rd->fd = -1;
	sl_arena_init(&rd->a);
	/* freed by an unwind (core/alloc.h) until it is the reader's */
	sl_oom_defer(rd_free_v, rd);
	rd->size = r->size;
	rd->fd = sl_uring_openat(sl_uring_get(), AT_FDCWD, r->path,
				 O_RDONLY | O_CLOEXEC, 0);
	if (rd->fd < 0) {
		rc = pq_unbad(r, pq_fail(r, "cannot open: %s",
					 strerror(-rd->fd)));
		goto bad;
	}
	if (pq_footer_read(rd->fd, rd->size, &rd->m, &rd->a, &e) < 0) {
		rc = pq_fail(r, "%s", e.msg);
		goto bad;
	}
	if ((rc = map_columns(r, rd)) < 0)
		goto bad;
	sl_oom_undefer(rd);
	r->state = rd;
	return 0;
bad:
	sl_oom_undefer(rd);
	rd_free(rd);
	return rc;
}

void pq_reader_close(sl_format_reader *r)
{
	if (r->state)
		rd_free(r->state);
	r->state = NULL;
}

/* ---- row groups and rows ---------------------------------------------- */

/* Column c's chunk of row group g (the one rd->rg names) read in, its
 * page state reset. */
static int load_chunk(sl_format_reader *r, struct pq_rd *rd,
		      const pq_rowgroup *g, struct pq_rcol *c)
{
	const pq_chunkmeta *cm;
	int64_t start, len;
	ssize_t got;

	free(c->dict);
	free(c->dict_mem);
	free(c->dict_wide);
	c->dict = NULL;
	c->dict_mem = NULL;
	c->dict_wide = NULL;
	c->ndict = 0;
	c->nvals = c->at = 0;
	c->clen = c->cpos = 0;
	c->rg_rows = g->num_rows;
	c->page_at = 0;
	if (c->leaf < 0)
		return 0;
	cm = &g->cols[c->leaf];
	c->chunk_values = cm->num_values;
	c->taken = 0;
	start = cm->data_page_offset;
	if (cm->dict_page_offset > 0 && cm->dict_page_offset < start)
		start = cm->dict_page_offset;
	c->chunk_at = start;
	len = cm->total_compressed;
	if (!cm->has_meta || start < 4 || len < 0 ||
	    start + len > rd->size - 8)
		return pq_failc(r, c, "row group %u's column "
			       "chunk (%lld bytes at %lld) is outside "
			       "the file",
			    rd->rg, (long long)len,
			    (long long)start);
	if (cm->type != c->el->type)
		return pq_failc(r, c, "the column chunk's type "
			       "differs from the schema's");
	if (!pq_codec_name(cm->codec))
		return pq_failc(r, c, "compression codec %d is "
			       "not supported (sluice reads "
			       "uncompressed, snappy, gzip and zstd)",
			    cm->codec);
	c->codec = cm->codec;
	free(c->chunk);
	c->chunk = sl_xrealloc(NULL, (size_t)len + 1);
	got = sl_uring_pread(sl_uring_get(), rd->fd, c->chunk,
			     (size_t)len, (uint64_t)start);
	if (got < 0)
		return pq_unbad(r, pq_failc(r, c,
					    "reading %lld bytes: %s",
					    (long long)len,
					    strerror((int)-got)));
	if (got != (ssize_t)len)
		return pq_failc(r, c, "reading %lld bytes: short "
			       "read (truncated?)",
			    (long long)len);
	c->clen = (size_t)len;
	return 0;
}

/* Whether row group g has no row that satisfies predicate p, by its
 * column chunk's statistics. */
static bool pred_rules_out(const struct pq_rd *rd, const pq_rowgroup *g,
			   const sl_expr_pred *p)
{
	const struct pq_rcol *c;
	const pq_chunkmeta *cm;
	sl_value lo, hi;
	sl_dec_u wlo, whi;
	bool all_null;

	if (p->col < 0 || rd->col_of[p->col] < 0)
		return false;
	c = &rd->cols[rd->col_of[p->col]];
	if (c->leaf < 0 || (uint32_t)c->leaf >= g->ncols)
		return false;
	cm = &g->cols[c->leaf];
	all_null = cm->null_count >= 0 && cm->null_count == g->num_rows;
	switch (p->op) {
	case SL_PRED_IS_NULL: return cm->null_count == 0;
	case SL_PRED_NOT_NULL: return all_null;
	default: break;
	}
	/* A comparison is never true of a null. */
	if (all_null)
		return true;
	if (!cm->min || !pq_stat_value(c, cm->min, cm->min_len, &wlo, &lo) ||
	    !pq_stat_value(c, cm->max, cm->max_len, &whi, &hi) ||
	    lo.type != p->lit.type || hi.type != p->lit.type)
		return false;
	switch (p->op) {
	case SL_PRED_EQ:
		return sl_value_cmp(&p->lit, &lo) < 0 ||
		       sl_value_cmp(&p->lit, &hi) > 0;
	case SL_PRED_LT: return sl_value_cmp(&lo, &p->lit) >= 0;
	case SL_PRED_LE: return sl_value_cmp(&lo, &p->lit) > 0;
	case SL_PRED_GT: return sl_value_cmp(&hi, &p->lit) <= 0;
	case SL_PRED_GE: return sl_value_cmp(&hi, &p->lit) < 0;
	default: return false;
	}
}

/* Whether the query wants no row of row group g (r->preds). */
static bool rg_ruled_out(const sl_format_reader *r, const struct pq_rd *rd,
			 const pq_rowgroup *g)
{
	for (uint32_t i = 0; i < r->npreds; i++)
		if (pred_rules_out(rd, g, &r->preds[i]))
			return true;
	return false;
}

static int open_row_group(sl_format_reader *r, struct pq_rd *rd)
{
	const pq_rowgroup *g = &rd->m.rgs[rd->rg];
	int64_t most = 0;
	int rc;

	/* Every row has a value (or a null's level) in each leaf column: a
	 * count past them all is damage, not rows of nulls to make up. */
	for (uint32_t i = 0; i < g->ncols; i++)
		if (g->cols[i].num_values > most)
			most = g->cols[i].num_values;
	if (g->num_rows < 0 || (g->ncols && g->num_rows > most))
		return pq_fail(r, "row group %u says it has %lld rows but its "
			       "column chunks hold %lld values",
			    rd->rg, (long long)g->num_rows, (long long)most);

	for (uint32_t k = 0; k < rd->ncols; k++)
		if ((rc = load_chunk(r, rd, g, &rd->cols[k])) < 0)
			return rc;
	for (uint32_t k = 0; k < rd->nleaves; k++)
		if ((rc = load_chunk(r, rd, g, &rd->leaves[k])) < 0)
			return rc;
	rd->rg_left = g->num_rows;
	rd->rg++;
	return 0;
}

int pq_next_batch(sl_format_reader *r, sl_batch *b, uint32_t max)
{
	struct pq_rd *rd = r->state;
	const sl_format_scan *scan = r->scan;
	int rc;

	while (b->nrows < max) {
		if (rd->rg_left <= 0) {
			if (rd->rg >= rd->m.nrgs)
				return 0;
			if (r->npreds &&
			    rg_ruled_out(r, rd, &rd->m.rgs[rd->rg])) {
				rd->rg++;
				r->skipped++;
				continue;
			}
			if ((rc = open_row_group(r, rd)) < 0)
				return rc;
			continue;
		}
		sl_value *row = sl_batch_add_row(b);

		for (uint32_t k = 0; k < rd->ncols; k++) {
			struct pq_rcol *c = &rd->cols[k];
			sl_value v;

			if (c->leaf == PQ_LEAF_STRUCT) {
				if ((rc = pq_struct_value(r, rd, c, &b->arena,
							  &row[scan->data[k]])) <
				    0) {
					b->nrows--;
					return rc;
				}
				continue;
			}
			if (c->leaf < 0) {
				if (!c->part)
					continue;
				v = c->pval;
			} else {
				if (c->at == c->nvals &&
				    (rc = pq_next_page(r, c)) < 0) {
					b->nrows--;
					return rc;
				}
				v = c->vals[c->at++];
			}
			row[scan->data[k]] = pq_value_own(v, &b->arena);
		}
		rd->rg_left--;
	}
	return 1;
}
