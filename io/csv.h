/* io/csv.h - line-level parsing for the text sources: splitting a CSV
 * record into fields (Spark's CSV reader options sep, quote, escape,
 * nullValue) and turning field text into typed values the way Spark's CSV
 * reader does, failing (rather than giving null) on text that is not a
 * value of the column's type, which is what makes a record malformed.
 *
 * Used by io/source_file.c on its partition thread; no state, no I/O. */
#ifndef SL_IO_CSV_H
#define SL_IO_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/value.h"

typedef struct sl_csv_opts {
	char sep;    /* field separator */
	char quote;  /* 0: no quoting */
	char escape; /* escapes quote inside a quoted field; 0: none */
	const char *null_value; /* a field equal to this, unquoted, is null */
	size_t null_len;
} sl_csv_opts;

typedef struct sl_csv_field {
	const char *s; /* unescaped bytes (in the scratch buffer or the line) */
	uint32_t len;
	bool quoted;
} sl_csv_field;

/* Splits one record (no line terminator) into fields as Spark 4 does
 * (io/csv.c quoted_field). Unescaped text is written to scratch, which
 * must hold len bytes. Stores at most max fields in f but counts them all
 * in *nfields. Returns 0, or 1 with *why set (a static string) when a
 * quote was left open: its field is the rest of the line, which Spark
 * does not count malformed by itself, but names when the field count is
 * then wrong. */
int sl_csv_split(const sl_csv_opts *o, const char *line, size_t len,
		 char *scratch, sl_csv_field *f, uint32_t max,
		 uint32_t *nfields, const char **why);

/* true if the field is null under o: empty and unquoted, or equal to
 * nullValue once unquoted (Spark's nullValue and emptyValue). */
bool sl_csv_is_null(const sl_csv_opts *o, const sl_csv_field *f);

/* Parses text s[0..n) as a value of primitive type t (strings and binaries
 * are copied into a). Returns 0, or -1 if the text is not a value of that
 * type (then *out is null). Integers: optional sign and digits, in range;
 * doubles: decimal or exponent notation, NaN, Infinity, Inf; booleans:
 * true/false (any case); timestamps: "yyyy-MM-dd[ T]HH:mm[:ss[.S...]]"
 * with an optional Z or +-HH[:mm] zone (UTC without one) or a bare date;
 * dates: "yyyy-MM-dd". */
int sl_text_to_value(const char *s, size_t n, const sl_dtype *t, sl_arena *a,
		     sl_value *out);

/* Parses a timestamp / date as above. */
/* The range of an INT, SMALLINT or TINYINT (id SL_INT, SL_SHORT, SL_BYTE)
 * value: out of it, text or a JSON number is not one. */
int64_t sl_text_int_min(sl_type id);
int64_t sl_text_int_max(sl_type id);
bool sl_text_to_ts(const char *s, size_t n, int64_t *us);
bool sl_text_to_date(const char *s, size_t n, int32_t *days);

/* A CSV option's one character: 0 for "" or "\\u0000" (none), '\t' for
 * "\\t", -1 if the text is longer than one character. Shared by the csv
 * source and sink, as is the check of sep, quote and escape together
 * (NULL, or what is wrong with them). */
int sl_csv_opt_char(const char *s);
const char *sl_csv_check_chars(const char *sep, const char *quote,
			       const char *escape);

#endif
