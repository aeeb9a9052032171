/* io/parquet_write.h - what the Parquet writer's files share
 * (io/format_parquet_write.c: pages, row groups and files;
 * io/format_parquet_schema.c: the sink's columns as the file's leaf
 * columns, and the file's schema). */
#ifndef SL_IO_PARQUET_WRITE_H
#define SL_IO_PARQUET_WRITE_H

#include "io/parquet.h"

/* Structs and arrays nest at most this deep in a written column. */
#define PQ_MAX_STRUCTS 16

/* A step down a leaf's path: a struct's field, a list's elements, a
 * map's keys or its values. */
enum { PQ_STEP_FIELD, PQ_STEP_ELEM, PQ_STEP_KEY, PQ_STEP_VALUE };

/* One leaf column of the file: a sink column of an atomic type, or an
 * atomic value at some depth inside a sink column of STRUCTs and ARRAYs.
 * Every level is OPTIONAL, as Spark writes them (a list: an OPTIONAL
 * group, LIST, of a REPEATED group `list` of an OPTIONAL `element`; a
 * map: an OPTIONAL group, MAP, of a REPEATED group `key_value` of a
 * REQUIRED `key` and an OPTIONAL `value`) but a map's keys, so
 * the leaf's definition level counts the levels of its path that are not
 * null (a struct: 1; a list: 2 once it has an element, 1 when empty),
 * max_def with a value; its repetition level is the depth of the list
 * whose new element an entry starts (0: a new row). */
struct pq_wcol {
	const char *name; /* the leaf's own name */
	uint32_t col;     /* the sink's column it is in */
	int id;           /* the dtype id */
	int phys;         /* PQ_INT32, ... */
	int prec, scale;  /* DECIMAL */
	int flen;         /* FIXED_LEN_BYTE_ARRAY: bytes */
	uint32_t nsteps;  /* from the sink's column down to the leaf */
	uint8_t step[PQ_MAX_STRUCTS];   /* PQ_STEP_* */
	uint32_t path[PQ_MAX_STRUCTS];  /* a FIELD step's field index */
	uint32_t rep_at[PQ_MAX_STRUCTS]; /* an ELEM step's elements' level */
	uint32_t max_def, max_rep;
	const char *names[2 * PQ_MAX_STRUCTS + 1]; /* path_in_schema */
	uint32_t nnames;
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
 * (maps, structs without fields, nesting past PQ_MAX_STRUCTS). */
int pq_writer_leaves(struct pq_writer *pw, const sl_format_writer *w,
		     sl_err *err);

/* FileMetaData's schema (field 2): the root, then each sink column, a
 * group for a STRUCT with its fields below it, the three levels of a
 * LIST for an ARRAY. */
void pq_put_schema(pq_enc *e, const struct pq_writer *pw,
		   const sl_format_writer *w);

#endif
