/* io/parquet.h - what the Parquet format's files share: the format's
 * options, the numbers of the file format (parquet.thrift's enums), the
 * Thrift compact protocol that the footer and the page headers are
 * written in (io/parquet_thrift.c), the RLE/bit-packed hybrid of levels
 * and dictionary indices and the page compressions (io/parquet_codec.c).
 *
 * io/format_parquet.c is the format (its options and ops),
 * io/format_parquet_write.c the writer, io/format_parquet_read.c the
 * reader, io/parquet_meta.c the footer and page headers as C structs. */
#ifndef SL_IO_PARQUET_H
#define SL_IO_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/format.h"

/* The options, read and written (one conf struct, io/format.h). */
struct pq_conf {
	const char *schema;  /* read: DDL, or NULL to take the footer's */
	int compression;     /* write: PQ_CODEC_* by pq_codec_names order */
	int64_t block_size;  /* write: parquet.block.size, row group bytes */
	int64_t page_size;   /* write: parquet.page.size, page bytes */
	bool dictionary;     /* write: parquet.enable.dictionary */
	int64_t dict_page_size; /* write: parquet.dictionary.page.size */
};

/* The compression option's values, in order (none and uncompressed are
 * the same); pq_conf_codec maps the index to a PQ_CODEC_*. */
extern const char *const pq_codec_names[];
int pq_conf_codec(int index);

/* parquet.thrift: Type */
enum {
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_INT96 = 3,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FIXED = 7,
};
/* ConvertedType */
enum {
	PQ_CT_UTF8 = 0,
	PQ_CT_MAP = 1,
	PQ_CT_MAP_KEY_VALUE = 2,
	PQ_CT_LIST = 3,
	PQ_CT_ENUM = 4,
	PQ_CT_DECIMAL = 5,
	PQ_CT_DATE = 6,
	PQ_CT_TIMESTAMP_MILLIS = 9,
	PQ_CT_TIMESTAMP_MICROS = 10,
	PQ_CT_INT_8 = 15,
	PQ_CT_INT_16 = 16,
	PQ_CT_INT_32 = 17,
	PQ_CT_INT_64 = 18,
	PQ_CT_JSON = 19,
};
/* LogicalType's union members */
enum {
	PQ_LT_STRING = 1,
	PQ_LT_MAP = 2,
	PQ_LT_LIST = 3,
	PQ_LT_ENUM = 4,
	PQ_LT_DECIMAL = 5,
	PQ_LT_DATE = 6,
	PQ_LT_TIME = 7,
	PQ_LT_TIMESTAMP = 8,
	PQ_LT_INTEGER = 10,
	PQ_LT_UNKNOWN = 11,
	PQ_LT_JSON = 12,
};
/* TimeUnit's members */
enum { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };
/* FieldRepetitionType */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
/* Encoding */
enum {
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9,
};
/* CompressionCodec */
enum {
	PQ_CODEC_NONE = 0,
	PQ_CODEC_SNAPPY = 1,
	PQ_CODEC_GZIP = 2,
	PQ_CODEC_ZSTD = 6,
};
/* PageType */
enum {
	PQ_PAGE_DATA = 0,
	PQ_PAGE_INDEX = 1,
	PQ_PAGE_DICTIONARY = 2,
	PQ_PAGE_DATA_V2 = 3,
};

/* ---- the Thrift compact protocol (io/parquet_thrift.c) ---------------- */

/* Compact protocol type ids. */
enum {
	PQ_T_STOP = 0,
	PQ_T_TRUE = 1,
	PQ_T_FALSE = 2,
	PQ_T_I8 = 3,
	PQ_T_I16 = 4,
	PQ_T_I32 = 5,
	PQ_T_I64 = 6,
	PQ_T_DOUBLE = 7,
	PQ_T_BINARY = 8,
	PQ_T_LIST = 9,
	PQ_T_SET = 10,
	PQ_T_MAP = 11,
	PQ_T_STRUCT = 12,
};

#define PQ_MAX_DEPTH 32

/* Writing: fields of nested structs, each struct's last field id kept
 * for the delta in the next field's header. */
typedef struct pq_enc {
	sl_buf *b;
	int depth;
	int16_t last[PQ_MAX_DEPTH];
} pq_enc;

void pq_enc_init(pq_enc *e, sl_buf *b);
void pq_w_i32(pq_enc *e, int16_t id, int32_t v);
void pq_w_i64(pq_enc *e, int16_t id, int64_t v);
void pq_w_i8(pq_enc *e, int16_t id, int8_t v);
void pq_w_bool(pq_enc *e, int16_t id, bool v);
void pq_w_bin(pq_enc *e, int16_t id, const void *p, size_t n);
static inline void pq_w_str(pq_enc *e, int16_t id, const char *s)
{
	pq_w_bin(e, id, s, __builtin_strlen(s));
}
/* A struct field (id > 0) or a list element (id 0), ended by
 * pq_w_end. */
void pq_w_struct(pq_enc *e, int16_t id);
void pq_w_end(pq_enc *e);
/* A list field's header: n elements of compact type t follow, written
 * with the element writers below (or pq_w_struct(e, 0)). */
void pq_w_list(pq_enc *e, int16_t id, int t, uint32_t n);
void pq_w_elem_i32(pq_enc *e, int32_t v);
void pq_w_elem_bin(pq_enc *e, const void *p, size_t n);

/* Reading, over bytes [p, end): any fault (a varint or a string past the
 * end, nesting too deep, a bad type) sets bad, after which every read
 * returns zero. */
typedef struct pq_dec {
	const uint8_t *p, *end;
	bool bad;
	int depth;
} pq_dec;

/* The next field of the struct being read: 1 with *id and *type (for a
 * bool field, PQ_T_TRUE or PQ_T_FALSE is its value), 0 at its stop byte
 * (or on a fault). *last is the struct's last field id, start it at 0. */
int pq_r_field(pq_dec *d, int16_t *last, int16_t *id, int *type);
int64_t pq_r_int(pq_dec *d); /* i16, i32, i64 (zigzag varint) */
int8_t pq_r_i8(pq_dec *d);
double pq_r_double(pq_dec *d);
/* Bytes: a pointer into the input. */
const uint8_t *pq_r_bin(pq_dec *d, uint32_t *n);
/* A list's or set's header: the element type and count. */
uint32_t pq_r_list(pq_dec *d, int *elem);
/* Skips a value of compact type t. */
void pq_r_skip(pq_dec *d, int t);
/* Entering and leaving a nested struct (depth bounded). */
bool pq_r_enter(pq_dec *d);
void pq_r_leave(pq_dec *d);

/* ---- levels and compression (io/parquet_codec.c) ---------------------- */

/* Appends the RLE/bit-packed hybrid encoding of v[0..n) (each < 2^bw,
 * bw in 1..32) to b. */
void pq_rle_encode(sl_buf *b, const uint32_t *v, size_t n, int bw);
/* The bit width of levels 0..max. */
static inline int pq_level_width(uint32_t max)
{
	int w = 0;

	while (max >> w)
		w++;
	return w;
}
/* Decodes n values of bit width bw from [p, p + len) into out; false if
 * the bytes end first or bw is out of range. */
bool pq_rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out,
		   size_t n);

/* DELTA_BINARY_PACKED: the n values of the stream at [p, p + len) into
 * out (as unsigned: the caller truncates INT32s), *used its bytes. 0, -1
 * if the bytes end first, -2 for a header or bit width out of range, -3
 * if the stream holds other than n values. */
int pq_delta_decode(const uint8_t *p, size_t len, uint64_t *out, size_t n,
		    size_t *used);

/* Compresses [p, p + n) with codec into out (appended). 0, or < 0 with
 * err set. */
int pq_compress(int codec, const uint8_t *p, size_t n, sl_buf *out,
		sl_err *err);
/* Decompresses [p, p + n), which must give exactly want bytes, into out
 * (want bytes, caller's). 0, or < 0 with a message in err naming what
 * failed (the caller adds the file). */
int pq_decompress(int codec, const uint8_t *p, size_t n, uint8_t *out,
		  size_t want, sl_err *err);
/* The bytes of a FIXED_LEN_BYTE_ARRAY DECIMAL(p,s), as Spark's writer:
 * the fewest that hold 10^p - 1 in two's complement. */
int pq_decimal_bytes(int p);
/* A DECIMAL's unscaled value as n bytes of big-endian two's complement
 * (FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY decimals), n in 1..16. */
void pq_decimal_put(uint8_t *out, int n, sl_dec_u u);
/* The unscaled value of len such bytes (0 for none); false past 16
 * bytes that are more than the sign's extension. */
bool pq_decimal_get(const uint8_t *p, uint32_t len, sl_dec_u *out);

/* "snappy": the codec's name in messages, NULL if sluice has none. */
const char *pq_codec_name(int codec);

/* ---- the footer and page headers (io/parquet_meta.c) ------------------ */

/* A SchemaElement. type -1: none (a group); converted -1: none; logical
 * 0: none, else the LogicalType member (PQ_LT_*). */
typedef struct pq_selem {
	const char *name;
	int type, repetition, converted, logical;
	int32_t type_length, num_children, scale, precision;
	int lt_unit, lt_bits; /* TIMESTAMP's unit; INTEGER's width */
	bool lt_utc, lt_signed;
} pq_selem;

/* A ColumnChunk's ColumnMetaData. dict_page_offset -1: none. */
typedef struct pq_chunkmeta {
	bool has_meta;
	int type, codec;
	uint32_t npath;
	int64_t num_values, total_compressed;
	int64_t data_page_offset, dict_page_offset;
	/* Its statistics: min_value and max_value as PLAIN bytes (a
	 * BYTE_ARRAY's without the length), into the footer; NULL when the
	 * file has none. null_count -1 when unknown. */
	const uint8_t *min, *max;
	uint32_t min_len, max_len;
	int64_t null_count;
} pq_chunkmeta;

typedef struct pq_rowgroup {
	int64_t num_rows;
	uint32_t ncols;
	pq_chunkmeta *cols;
} pq_rowgroup;

typedef struct pq_meta {
	pq_selem *schema; /* depth first, the root first */
	uint32_t nschema;
	int64_t num_rows;
	pq_rowgroup *rgs;
	uint32_t nrgs;
} pq_meta;

/* Parses FileMetaData from [p, p + n) into m (allocated in a). 0, or < 0
 * with a message in err. */
int pq_meta_parse(const uint8_t *p, size_t n, pq_meta *m, sl_arena *a,
		  sl_err *err);
/* Checks the magic of the file of size bytes open on fd and parses its
 * footer. 0, or < 0 with a message in err (the caller names the file). */
int pq_footer_read(int fd, int64_t size, pq_meta *m, sl_arena *a,
		   sl_err *err);

/* A PageHeader. */
typedef struct pq_page {
	int type;
	int32_t usize, csize, nvalues, nnulls, def_len, rep_len;
	int encoding, def_encoding;
	bool v2_compressed;
	bool has_crc;  /* the header has a crc: CRC-32 of the page's */
	uint32_t crc;  /* csize stored bytes (as written: compressed) */
} pq_page;

/* Parses the page header at [p, p + n): 0 and *used its bytes, or -1. */
int pq_page_parse(const uint8_t *p, size_t n, pq_page *pg, size_t *used);

/* sluice's type of a leaf column: 0 and *out, or -1 with why ("DECIMAL(10,2)",
 * "a group ...") for a column sluice cannot read. */
int pq_column_type(const pq_selem *el, const sl_dtype **out, char *why,
		   size_t n);

/* ---- the writer (io/format_parquet_write.c) and the reader
 * (io/format_parquet_read.c): the ops of io/format.h ---------------------- */

/* The writer's columns as Spark's StructType JSON, for the footer
 * (io/format_parquet.c). */
void pq_spark_schema_json(sl_buf *b, const sl_format_writer *w);
int pq_writer_init(sl_format_writer *w, sl_err *err);
int pq_file_open(const sl_format_writer *w, void **file, sl_buf *out,
		 sl_err *err);
int pq_write_batch(const sl_format_writer *w, void *file, const sl_batch *b,
		   uint32_t from, uint32_t n, sl_buf *out, sl_err *err);
/* Releases a file the sink gives up, writing nothing. */
void pq_file_abandon(const sl_format_writer *w, void *file);
int pq_file_close(const sl_format_writer *w, void *file, sl_buf *out,
		  sl_err *err);
void pq_writer_free(sl_format_writer *w);
int pq_scan_init(sl_format_scan *scan, sl_err *err);
int pq_reader_open(sl_format_reader *r);
int pq_next_batch(sl_format_reader *r, sl_batch *b, uint32_t max);
void pq_reader_close(sl_format_reader *r);

/* Little-endian loads and stores. */
static inline uint32_t pq_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline uint64_t pq_le64(const uint8_t *p)
{
	return (uint64_t)pq_le32(p) | (uint64_t)pq_le32(p + 4) << 32;
}

#endif
