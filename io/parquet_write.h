/* io/parquet_write.h - what the Parquet writer's files share
 * (io/format_parquet_write.c: pages, row groups and files;
 * io/format_parquet_schema.c: the sink's columns as the file's leaf
 * columns, and the file's schema). */
#ifndef SL_IO_PARQUET_WRITE_H
#define SL_IO_PARQUET_WRITE_H

#include "io/parquet.h"

/* Structs nest at most this deep in a written column. */
#define PQ_MAX_STRUCTS 16

/* One leaf column of the file: a sink column of an atomic type, or a
 * field at some depth inside a sink column of STRUCTs. Every level is
 * OPTIONAL, as Spark writes them, so a leaf at depth d (d structs above
 * it) has definition levels 0..d+1: the number of its levels that are
 * not null, d + 1 for a value. */
struct pq_wcol {
	const char *name; /* the leaf's own name */
	uint32_t col;     /* the sink's column it is in */
	int id;           /* the dtype id */
	int phys;         /* PQ_INT32, ... */
	int prec, scale;  /* DECIMAL */
	int flen;         /* FIXED_LEN_BYTE_ARRAY: bytes */
	uint32_t depth;   /* structs above it */
	uint32_t path[PQ_MAX_STRUCTS]; /* the field index at each of them */
	const char *names[PQ_MAX_STRUCTS + 1]; /* path_in_schema */
};

struct pq_writer {
	struct pq_wcol *cols; /* the leaves, depth first */
	uint32_t ncols;
	int codec;
	int64_t block_size, page_size;
	bool dict;
	int64_t dict_limit;
	sl_buf row_meta; /* Spark's schema JSON for the footer */
};

/* The leaves of w's columns into pw->cols and pw->ncols; 0, or < 0 with
 * err set for a column of a type Parquet files of sluice cannot hold
 * (arrays, maps). */
int pq_writer_leaves(struct pq_writer *pw, const sl_format_writer *w,
		     sl_err *err);

/* FileMetaData's schema (field 2): the root, then each sink column, a
 * group for a STRUCT with its fields below it. */
void pq_put_schema(pq_enc *e, const struct pq_writer *pw,
		   const sl_format_writer *w);

#endif
