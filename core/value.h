/* core/value.h - values, data types, schemas, arenas and record vectors.
 *
 * Everything that flows through sluice is a row of sl_values travelling in a
 * record vector (sl_batch). See docs/ARCHITECTURE.md, section 3, for who owns
 * and frees what. */
#ifndef SL_CORE_VALUE_H
#define SL_CORE_VALUE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- data types ------------------------------------------------------- */

typedef enum sl_type {
	SL_NULL = 0, /* the type of a literal NULL; as a value tag: "is null" */
	SL_BOOL,
	SL_INT,       /* int32 */
	SL_LONG,      /* int64 */
	SL_DOUBLE,    /* IEEE double */
	SL_STRING,    /* UTF-8 bytes, length-counted, not NUL-terminated */
	SL_BINARY,    /* bytes */
	SL_TIMESTAMP, /* int64 microseconds since the epoch, UTC */
	SL_DATE,      /* int32 days since 1970-01-01 */
	SL_ARRAY,     /* elements of one dtype */
	SL_STRUCT,    /* named fields, a schema */
	SL_DECIMAL,   /* DECIMAL(p,s): see "decimal values" below */
	SL_FLOAT,     /* IEEE single (Spark's FLOAT/REAL), in v.f32 */
	SL_MAP,       /* len entries; v.arr holds 2*len values, key then
	                 value of each entry in turn (keys distinct) */
	SL_TIMESTAMP_NTZ, /* int64 microseconds of a wall-clock time, no zone */
	SL_INTERVAL_YM,   /* INTERVAL YEAR TO MONTH: int32 months in v.i32 */
	SL_INTERVAL_DT,   /* INTERVAL DAY TO SECOND: int64 microseconds in v.i64 */
} sl_type;

/* TINYINT and SMALLINT: ids of data types (sl_dtype.id) but never value
 * tags: their values carry the SL_INT tag, an int32 within the type's
 * range, so whatever reads values renders, hashes and encodes them as
 * ints, which is what Spark does with them too. Outside sl_type so that
 * the switches over value tags need no case for them; a switch over a
 * dtype id that has them switches on (int). */
#define SL_BYTE ((sl_type)(SL_INTERVAL_DT + 1))  /* TINYINT: -128..127 */
#define SL_SHORT ((sl_type)(SL_INTERVAL_DT + 2)) /* SMALLINT: -32768..32767 */

struct sl_schema;

/* A data type. Primitive types are the static singletons below; array and
 * struct types are allocated in the session arena and live as long as it. */
typedef struct sl_dtype {
	sl_type id;
	uint8_t precision, scale;        /* SL_DECIMAL: 1..38, 0..precision */
	const struct sl_dtype *elem;     /* SL_ARRAY: element type; SL_MAP:
	                                    value type */
	const struct sl_dtype *key;      /* SL_MAP: key type */
	const struct sl_schema *fields;  /* SL_STRUCT: fields */
} sl_dtype;

extern const sl_dtype sl_dtype_null, sl_dtype_bool, sl_dtype_int, sl_dtype_long,
	sl_dtype_double, sl_dtype_string, sl_dtype_binary, sl_dtype_timestamp,
	sl_dtype_date, sl_dtype_byte, sl_dtype_short, sl_dtype_float,
	sl_dtype_timestamp_ntz;

/* The singleton for a primitive type id, NULL for SL_ARRAY/SL_STRUCT.
 * SL_DECIMAL gives DECIMAL(10,0), Spark's DECIMAL without arguments. */
const sl_dtype *sl_dtype_prim(sl_type id);

/* DECIMAL(p,s): a static singleton per (p,s), so decimal types compare by
 * pointer like the primitives and need no arena. NULL unless
 * 1 <= p <= 38 and 0 <= s <= p. */
const sl_dtype *sl_dtype_decimal(int precision, int scale);

/* Spark's SQL name of a type: "string", "bigint", "int", "double", "boolean",
 * "timestamp", "date", "binary", "tinyint", "smallint", "float",
 * "decimal(10,2)", "array<string>", "struct<a:int,b:string>".
 * Writes at most n bytes (NUL-terminated), returns the full length. */
size_t sl_dtype_name(const sl_dtype *t, char *buf, size_t n);

/* Parses a type name as Spark writes it in DDL and CAST: STRING, INT/INTEGER,
 * BIGINT/LONG, TINYINT/BYTE, SMALLINT/SHORT, DOUBLE, FLOAT/REAL, BOOLEAN,
 * TIMESTAMP, DATE, BINARY, DECIMAL[(p[,s])] (also DEC and NUMERIC;
 * DECIMAL alone is DECIMAL(10,0)), ARRAY<t>, STRUCT<a: t, ...>.
 * Case-insensitive. Returns NULL if unknown; complex types are allocated
 * in arena a. */
struct sl_arena;
const sl_dtype *sl_dtype_parse(const char *text, size_t len, struct sl_arena *a);

bool sl_dtype_equal(const sl_dtype *a, const sl_dtype *b);

typedef struct sl_field {
	const char *name;
	const sl_dtype *type;
	bool nullable;
} sl_field;

typedef struct sl_schema {
	uint32_t n;
	sl_field *fields;
} sl_schema;

/* Index of the field named name (case-insensitive, as Spark resolves), or -1. */
int sl_schema_find(const sl_schema *s, const char *name, size_t len);

/* "a, b, c": the column names of s, for messages (at most n bytes,
 * NUL-terminated); returns the full length. */
size_t sl_schema_list(const sl_schema *s, char *buf, size_t n);

/* A new schema of n fields in arena a; fields are zeroed for the caller. */
sl_schema *sl_schema_new(struct sl_arena *a, uint32_t n);

/* "a: int, b: string" style DDL, as in Spark's StructType.fromDDL:
 * "DEST_COUNTRY_NAME STRING, count INT". NULL and a message in err on error. */
struct sl_err;
sl_schema *sl_schema_parse(const char *ddl, struct sl_arena *a, struct sl_err *err);

/* ---- values ----------------------------------------------------------- */

/* A decimal's unscaled value (core/decimal.h's sl_decimal). */
__extension__ typedef __int128 sl_dec_u;

/* One value, 16 bytes. `type` is the value's type id, or SL_NULL when the value
 * is null (the column's declared type is in the schema). Pointers refer to
 * memory owned by the batch that holds the value (its arena or its holds). */
typedef struct sl_value {
	uint8_t type;   /* sl_type */
	uint8_t pad[3];
	uint32_t len;   /* SL_STRING/SL_BINARY: bytes; SL_ARRAY: elements;
	                   SL_STRUCT: fields */
	union {
		bool b;
		int32_t i32;        /* SL_INT, SL_DATE */
		int64_t i64;        /* SL_LONG, SL_TIMESTAMP */
		double f64;         /* SL_DOUBLE */
		float f32;          /* SL_FLOAT */
		const sl_dec_u *dec; /* SL_DECIMAL with SL_DEC_WIDE */
		const char *str;    /* SL_STRING */
		const uint8_t *bin; /* SL_BINARY */
		const struct sl_value *arr;    /* SL_ARRAY: len elements */
		const struct sl_value *fields; /* SL_STRUCT: len field values */
	} v;
} sl_value;

static inline sl_value sl_v_null(void) { sl_value x = {0}; return x; }
static inline sl_value sl_v_bool(bool b) { sl_value x = {0}; x.type = SL_BOOL; x.v.b = b; return x; }
static inline sl_value sl_v_int(int32_t i) { sl_value x = {0}; x.type = SL_INT; x.v.i32 = i; return x; }
static inline sl_value sl_v_long(int64_t i) { sl_value x = {0}; x.type = SL_LONG; x.v.i64 = i; return x; }
static inline sl_value sl_v_double(double d) { sl_value x = {0}; x.type = SL_DOUBLE; x.v.f64 = d; return x; }
static inline sl_value sl_v_ts(int64_t us) { sl_value x = {0}; x.type = SL_TIMESTAMP; x.v.i64 = us; return x; }
static inline sl_value sl_v_date(int32_t d) { sl_value x = {0}; x.type = SL_DATE; x.v.i32 = d; return x; }
/* Borrows s: the bytes must outlive the value (copy into an arena first). */
static inline sl_value sl_v_str(const char *s, uint32_t len) { sl_value x = {0}; x.type = SL_STRING; x.len = len; x.v.str = s; return x; }
static inline sl_value sl_v_bin(const uint8_t *b, uint32_t len) { sl_value x = {0}; x.type = SL_BINARY; x.len = len; x.v.bin = b; return x; }
static inline sl_value sl_v_float(float f) { sl_value x = {0}; x.type = SL_FLOAT; x.v.f32 = f; return x; }
static inline bool sl_v_is_null(const sl_value *x) { return x->type == SL_NULL; }

/* ---- decimal values ---------------------------------------------------
 *
 * A DECIMAL(p,s) value is its unscaled integer u (the value is u * 10^-s,
 * |u| < 10^p; core/decimal.h does the arithmetic), kept in the 16 bytes
 * of every value: pad[0] is p, pad[1] is s (so rendering, comparing and
 * hashing a value need no schema), and pad[2] says where u is. When u fits
 * an int64, whatever p is, it is in v.i64 (no allocation: most values,
 * including most sums into DECIMAL(38,s)); otherwise (SL_DEC_WIDE) v.dec
 * points at the 16-byte integer in the arena of the value's batch, as a
 * string's bytes do, and sl_value_copy copies it. Which of the two a value
 * uses depends only on u, so equal values have equal representations. */
#define SL_DEC_WIDE 1
struct sl_arena;
void *sl_arena_alloc(struct sl_arena *a, size_t n);
static inline sl_dec_u sl_v_dec_get(const sl_value *x)
{
	return x->pad[2] & SL_DEC_WIDE ? *x->v.dec : (sl_dec_u)x->v.i64;
}
/* A decimal value of DECIMAL(p,s) with unscaled u (|u| < 10^p, which the
 * caller checked); a u beyond int64 goes into arena a. */
static inline sl_value sl_v_dec(sl_dec_u u, int p, int s, struct sl_arena *a)
{
	sl_value x = {0};
	x.type = SL_DECIMAL;
	x.pad[0] = (uint8_t)p;
	x.pad[1] = (uint8_t)s;
	if (u >= INT64_MIN && u <= INT64_MAX) {
		x.v.i64 = (int64_t)u;
	} else {
		sl_dec_u *w = (sl_dec_u *)sl_arena_alloc(a, sizeof(*w));
		*w = u;
		x.pad[2] = SL_DEC_WIDE;
		x.v.dec = w;
	}
	return x;
}

/* A double as Java's (long) cast gives it, as Spark's CAST does: NaN is 0
 * and out-of-range values saturate, where a plain C cast is undefined. */
static inline int64_t sl_double_to_long(double d)
{
	if (d != d)
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* The same for Java's (int) cast. */
static inline int32_t sl_double_to_int(double d)
{
	if (d != d)
		return 0;
	if (d >= 2147483647.0)
		return INT32_MAX;
	if (d <= -2147483648.0)
		return INT32_MIN;
	return (int32_t)d;
}

/* Deep copy of v into arena a (strings, arrays, structs copied). */
sl_value sl_value_copy(const sl_value *v, struct sl_arena *a);

/* Spark's string rendering of a value, as CAST(v AS STRING) and show() print
 * it: "null" for null, timestamps "2024-01-02 03:04:05.123" (UTC, trailing
 * fractional zeros dropped), dates "2024-01-02", doubles as Java prints them
 * ("1.0", "0.1", "1.0E10"), arrays "[a, b]", structs "{a, 1}", binary
 * "[01 02]". Writes into buf from its start, snprintf's way: at most n-1
 * bytes plus NUL; returns the full length it needed. */
size_t sl_value_render(const sl_value *v, char *buf, size_t n);

/* Three-way comparison of two non-null values of the same type (numbers
 * compare across int/long/double). Used by ORDER BY-like paths and tests. */
int sl_value_cmp(const sl_value *a, const sl_value *b);

/* ---- arenas ----------------------------------------------------------- */

/* A bump allocator: many small allocations, one free. Not thread-safe: an
 * arena belongs to the one thread that owns its batch or plan. */
typedef struct sl_arena {
	struct sl_arena_chunk *head;
	char *cur, *end;
	size_t total; /* bytes obtained from malloc, for memory accounting */
} sl_arena;

void sl_arena_init(sl_arena *a);
/* 16-byte aligned; never returns NULL (aborts the process on out of memory,
 * like most allocators in this engine: see docs/ARCHITECTURE.md). */
void *sl_arena_alloc(sl_arena *a, size_t n);
void *sl_arena_calloc(sl_arena *a, size_t n);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n); /* NUL-terminated */
char *sl_arena_strdup(sl_arena *a, const char *s);
/* Frees every chunk but the first, and rewinds. */
void sl_arena_reset(sl_arena *a);
void sl_arena_free(sl_arena *a);

/* ---- record vectors and markers -------------------------------------- */

typedef enum sl_msg_kind {
	SL_MSG_ROWS = 0, /* a record vector */
	SL_MSG_MARKER,   /* end of epoch/batch `epoch` for this partition */
	SL_MSG_EOS,      /* end of this partition's stream */
	SL_MSG_ATTACH,   /* a dynamic partition's thread starts (again):
	                    start_offset is where it reads from */
	SL_MSG_ERROR,    /* the partition failed: errmsg */
} sl_msg_kind;

/* Something a batch keeps alive and releases when freed (a librdkafka
 * message, a mapped file, ...). */
typedef struct sl_hold {
	void (*release)(void *p);
	void *p;
} sl_hold;

/* A record vector or a control marker: the one thing rings carry. Owned by
 * one thread at a time; see docs/ARCHITECTURE.md section 3. */
typedef struct sl_batch {
	uint8_t kind;            /* sl_msg_kind */
	uint32_t partition;      /* the source partition it came from */
	int64_t epoch;           /* MARKER: the epoch/batch it ends; ROWS, as
	                            a sink's write sees it: the epoch/batch the
	                            rows belong to */
	const sl_schema *schema; /* the schema of the rows (plan lifetime) */
	uint32_t ncols;
	uint32_t nrows, cap;     /* rows used, rows allocated */
	sl_value *vals;          /* nrows * ncols, row-major */
	int64_t ingest_ns;       /* CLOCK_MONOTONIC when the source read it */
	int64_t end_offset;      /* source offset after the last row (MARKER:
	                            the partition's offset at the boundary) */
	int64_t start_offset;    /* MARKER: the partition's offset at the
	                            start of the epoch */
	uint64_t in_rows;        /* MARKER: rows the partition read from its
	                            source during the epoch */
	uint32_t nholds, capholds;
	sl_hold *holds;
	char *errmsg;            /* SL_MSG_ERROR: malloc'd message */
	sl_arena arena;          /* bytes of this batch's values */
} sl_batch;

/* A record vector for rows of schema s with room for cap rows. */
sl_batch *sl_batch_new(const sl_schema *s, uint32_t cap);
/* A control entry (MARKER, EOS, ERROR). msg is copied (ERROR only). */
sl_batch *sl_batch_marker(sl_msg_kind kind, uint32_t partition, int64_t epoch,
			  const char *msg);
/* Appends a row of ncols nulls and returns it; grows as needed. */
sl_value *sl_batch_add_row(sl_batch *b);
static inline sl_value *sl_batch_row(const sl_batch *b, uint32_t i)
{
	return b->vals + (size_t)i * b->ncols;
}
/* Keeps p alive until the batch is freed, then calls release(p). */
void sl_batch_hold(sl_batch *b, void (*release)(void *), void *p);
/* Releases the holds, the arena and the batch. NULL is a no-op. */
void sl_batch_free(sl_batch *b);
/* Appends deep copies of all rows of src (same column count) to dst. */
void sl_batch_append_copy(sl_batch *dst, const sl_batch *src);

/* ---- errors ----------------------------------------------------------- */

/* A detailed error: a code (SL_E* from sluice.h, or -errno) and a message that
 * names what was wrong and where. Functions that can fail take an sl_err * and
 * fill it; a NULL err is allowed and means "don't care". */
typedef struct sl_err {
	int code;
	int pos;       /* 1-based character position in the text being parsed
	                  (expressions, pipeline files), 0 when not positional */
	char msg[512];
} sl_err;

/* Sets err (if not NULL) and returns code, so callers can
 * `return sl_err_set(err, SL_EINVAL, "...", ...)`. */
/* Doubles a malloc'd array of rows of `width` values each, *cap rows
 * long, to 2 * *cap rows (out of memory unwinds, as sl_xrealloc). Returns
 * the new array. */
sl_value *sl_values_grow(sl_value *vals, uint32_t *cap, uint32_t width);

int sl_err_vset(sl_err *err, int code, const char *fmt, va_list ap);
int sl_err_set(sl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The well-formed UTF-8 sequence at s (n > 0 bytes left): its length, or
 * 0 with *bad the length of its maximal invalid subpart (>= 1), which is
 * what one U+FFFD replaces (Unicode's "maximal subpart" practice). */
size_t sl_utf8_seq(const unsigned char *s, size_t n, size_t *bad);

/* The value of hex digit c (either case), or -1. */
int sl_hexval(char c);

/* realloc, calloc and strdup that never return NULL: on out of memory
 * the thread unwinds to its recovery point, and the call or query it
 * serves fails with SL_ENOMEM (core/alloc.h). sl_xrealloc(p, 0) returns
 * a block, never NULL. */
void *sl_xrealloc(void *p, size_t n);
void *sl_xcalloc(size_t n, size_t size);
char *sl_xstrdup(const char *s);

/* Monotonic nanoseconds (CLOCK_MONOTONIC) and wall-clock microseconds. */
int64_t sl_now_ns(void);
int64_t sl_wall_us(void);

#endif
