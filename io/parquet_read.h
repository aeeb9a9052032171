/* io/parquet_read.h - what the Parquet reader's files share
 * (io/format_parquet_read.c: the schema, opening a file, row groups and
 * rows, partition directories; io/format_parquet_pages.c: a column
 * chunk's pages decoded into values). */
#ifndef SL_IO_PARQUET_READ_H
#define SL_IO_PARQUET_READ_H

#include "io/parquet.h"

/* How a column's stored values become sluice's values. */
enum {
	CV_BOOL,
	CV_INT,    /* INT32 as INT (or widened to SMALLINT/INT) */
	CV_I8,     /* INT32 as TINYINT */
	CV_I16,    /* INT32 as SMALLINT */
	CV_I32_LONG,
	CV_I32_DOUBLE,
	CV_DATE,
	CV_LONG,
	CV_I64_DOUBLE,
	CV_TS_US,
	CV_TS_MS,
	CV_NTZ_US, /* TIMESTAMP(isAdjustedToUTC = false) as TIMESTAMP_NTZ */
	CV_NTZ_MS,
	CV_INT96,
	CV_FLOAT,  /* FLOAT as DOUBLE */
	CV_F32,    /* FLOAT as FLOAT */
	CV_DOUBLE,
	CV_STR,
	CV_BIN,
	/* DECIMAL(p,s) from its unscaled value: INT32, INT64, big-endian
	 * two's complement bytes (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY). */
	CV_DEC_I32,
	CV_DEC_I64,
	CV_DEC_BE,
};

/* Values of one page at most (a row group may have more in its pages). */
#define PQ_MAX_PAGE_VALUES (1 << 26)

struct pq_rcol {
	const char *name;
	int leaf; /* the file's leaf column, -1: not in the file (nulls) */
	const pq_selem *el;
	int conv, max_def;
	/* Decimals (CV_DEC_*): the file's precision and scale (an INT32's
	 * 10 and 0, an INT64's 20 and 0 read as a decimal) and the
	 * schema's, at least as wide (Spark's widening on read). */
	uint8_t fprec, fscale, dprec, dscale;
	int64_t rg_rows; /* rows of the open row group */
	/* The open row group's chunk. */
	uint8_t *chunk;
	size_t clen, cpos;
	int codec;
	sl_value *dict;
	uint32_t ndict;
	uint8_t *dict_mem;
	/* Decimals beyond int64 (SL_DEC_WIDE): the dictionary's and the
	 * open page's unscaled values, which its values point at. */
	sl_dec_u *dict_wide, *wide;
	size_t capwide;
	/* The open page's values. */
	uint8_t *page;
	size_t pagecap;
	sl_value *vals;
	uint32_t nvals, at;
	size_t capvals;
	uint32_t *lv;
	size_t caplv;
	sl_value *tmp;
	size_t captmp;
	/* A DELTA_* or BYTE_STREAM_SPLIT page's values as PLAIN bytes, and
	 * the integers of its delta streams. */
	uint8_t *dec;
	size_t capdec;
	uint64_t *u64;
	size_t capu64;
	int64_t chunk_at; /* the open chunk's file offset */
	int64_t page_at;  /* the open page header's file offset */
	/* Not in the file but a partition directory of its path: pval. */
	bool part;
	sl_value pval;
	/* A STRUCT column (leaf PQ_LEAF_STRUCT): how its leaves, columns
	 * of their own in the reader's leaves, make its values. */
	struct pq_node *node;
	uint32_t first, nleaves; /* its leaves: rd->leaves[first..] */
	/* A nested column's leaf: its repetition levels (max_rep > 0: in a
	 * list), the entries its chunk holds and has given, and the
	 * entries of the row being read (pq_struct_value). */
	int max_rep;
	uint32_t *rv;
	size_t caprv;
	int64_t chunk_values, taken;
	uint32_t *row_def, *row_rep;
	sl_value *row_val;
	uint32_t row_n, row_cap;
};

/* pq_rcol.leaf of a STRUCT column, whose leaves are read apart. */
#define PQ_LEAF_STRUCT (-2)

struct pq_rd {
	int fd;
	int64_t size;
	sl_arena a;
	pq_meta m;
	struct pq_rcol *cols;
	uint32_t ncols;
	uint32_t rg;     /* the next row group */
	int64_t rg_left; /* rows left in the open one */
	/* schema column -> index into cols, -1 (for the predicates) */
	int32_t *col_of;
	/* The leaves of the STRUCT columns read, each a column of its own;
	 * room for every leaf of the file. */
	struct pq_rcol *leaves;
	uint32_t nleaves;
};

/* The schema index after the subtree at i, its leaves added to *leaves
 * (io/format_parquet_read.c; depth: how deep i is, bounded). */
uint32_t pq_subtree_end(const pq_meta *m, uint32_t i, int *leaves,
			int depth);

/* ---- STRUCT columns (io/format_parquet_nested.c) ---------------------- */

/* How file column el's values become values of type dst (CV_*), or -1
 * (io/format_parquet_read.c). */
int pq_conversion(const pq_selem *el, const sl_dtype *src,
		  const sl_dtype *dst);
/* sluice's type of the top-level file column at schema index at (a
 * group: a STRUCT of its fields, in arena a); 0, or -1 with why for a
 * column sluice cannot read (lists, maps, repeated fields). */
int pq_file_type(const pq_meta *m, uint32_t at, sl_arena *a,
		 const sl_dtype **out, char *why, size_t n);
/* Makes c (a STRUCT column whose group is at schema index at, its first
 * leaf the file's leaf column leaf) read its leaves: 0, or < 0 with
 * r->err set. */
int pq_struct_open(sl_format_reader *r, struct pq_rd *rd, struct pq_rcol *c,
		   uint32_t at, int leaf);
/* The next row's value of STRUCT column c, its strings in a. */
int pq_struct_value(sl_format_reader *r, struct pq_rd *rd,
		    const struct pq_rcol *c, sl_arena *a, sl_value *out);
/* v with its bytes (strings, binaries, wide decimals) copied into a. */
sl_value pq_value_own(sl_value v, sl_arena *a);

/* "source 'NAME': PATH: why" (SL_EIO) in r->err, r->bad set (the file's
 * bytes are at fault); returns its code. */
int pq_fail(sl_format_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A statistics bound of column c (PLAIN bytes [p, p + len)) as a value of
 * the schema's type, when c's values order as their statistics do
 * (integers, dates, timestamps, decimals, strings);
 * false for the others and for a bound of the wrong size. */
bool pq_stat_value(const struct pq_rcol *c, const uint8_t *p, uint32_t len,
		   sl_dec_u *wide, sl_value *out);
/* An error pq_fail or pq_failc just set is not about the file's bytes
 * (I/O, the schema): a bad-file mode must not skip past it. Returns rc. */
int pq_unbad(sl_format_reader *r, int rc);
/* A fault of column c's open chunk or page: "column 'C' (page at byte
 * N): why", the page's offset in the file when a page is open, else the
 * chunk's. */
int pq_failc(sl_format_reader *r, const struct pq_rcol *c, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));
/* "PLAIN", "DELTA_BINARY_PACKED", ...; "unknown" past the list. */
const char *pq_encoding_name(int e);
/* Column c's next data page with values into c->vals (its dictionary
 * page read on the way): 0, or < 0 with r->err set. */
int pq_next_page(sl_format_reader *r, struct pq_rcol *c);

/* ---- partition directories (io/format_parquet_parts.c) --------------- */

#define PQ_MAX_PARTS 64

/* What the walk of a source's directory found: its first file by
 * relative path (malloc'd, NULL if none) and the partition columns in
 * the order their directories nest. */
struct pq_parts {
	char *first;
	struct pq_pcol {
		char *name;
		int kind;
	} cols[PQ_MAX_PARTS];
	uint32_t ncols;
};

/* Walks dir (files matching glob, NULL for every file) into p. */
void pq_parts_find(struct pq_parts *p, const char *dir, const char *glob);
void pq_parts_free(struct pq_parts *p);
/* The inferred type of p's partition column i. */
const sl_dtype *pq_parts_type(const struct pq_parts *p, uint32_t i);
/* The value of partition column col (of type t) in the path of a file
 * under dir: true and *out (null for __HIVE_DEFAULT_PARTITION__, or for
 * a value that is not of type t), false if the path has no col=
 * directory. Strings are in a. */
bool pq_part_value(const char *path, const char *dir, const char *col,
		   const sl_dtype *t, sl_arena *a, sl_value *out);

#endif
