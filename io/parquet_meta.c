/* io/parquet_meta.c - a Parquet file's footer and page headers as C
 * structs (io/parquet.h): FileMetaData (the schema, the row groups and
 * their column chunks) read from the Thrift compact bytes, fields sluice
 * does not use skipped; the footer found and checked (magic at both ends,
 * a length that fits the file); the mapping of the schema's columns to
 * sluice's types. Every fault is a message, never a read past the bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/parquet.h"
#include "io/uring.h"

/* The fields of a struct: `while (FIELDS(d, id, t))` */
#define FIELDS(d, last, id, t) pq_r_field(d, &last, &id, &t)

static void logical_type(pq_dec *d, pq_selem *el)
{
	int16_t last = 0, id, last2, id2, last3, id3;
	int t, t2, t3;

	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		if (t != PQ_T_STRUCT || !pq_r_enter(d)) {
			pq_r_skip(d, t);
			continue;
		}
		el->logical = id;
		last2 = 0;
		while (FIELDS(d, last2, id2, t2)) {
			if (id == PQ_LT_TIMESTAMP && id2 == 1)
				el->lt_utc = t2 == PQ_T_TRUE;
			else if (id == PQ_LT_TIMESTAMP && id2 == 2 &&
				 t2 == PQ_T_STRUCT && pq_r_enter(d)) {
				last3 = 0;
				while (FIELDS(d, last3, id3, t3)) {
					el->lt_unit = id3;
					pq_r_skip(d, t3);
				}
				pq_r_leave(d);
			} else if (id == PQ_LT_INTEGER && id2 == 1)
				el->lt_bits = pq_r_i8(d);
			else if (id == PQ_LT_INTEGER && id2 == 2)
				el->lt_signed = t2 == PQ_T_TRUE;
			else if (id == PQ_LT_DECIMAL && id2 == 1)
				el->scale = (int32_t)pq_r_int(d);
			else if (id == PQ_LT_DECIMAL && id2 == 2)
				el->precision = (int32_t)pq_r_int(d);
			else
				pq_r_skip(d, t2);
		}
		pq_r_leave(d);
	}
	pq_r_leave(d);
}

static void schema_element(pq_dec *d, pq_selem *el, sl_arena *a)
{
	int16_t last = 0, id;
	int t;
	uint32_t n;
	const uint8_t *s;

	memset(el, 0, sizeof(*el));
	el->type = -1;
	el->converted = -1;
	el->repetition = PQ_REQUIRED;
	el->name = "";
	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		switch (id) {
		case 1: el->type = (int)pq_r_int(d); break;
		case 2: el->type_length = (int32_t)pq_r_int(d); break;
		case 3: el->repetition = (int)pq_r_int(d); break;
		case 4:
			s = pq_r_bin(d, &n);
			el->name = sl_arena_strndup(a, (const char *)s, n);
			break;
		case 5: el->num_children = (int32_t)pq_r_int(d); break;
		case 6: el->converted = (int)pq_r_int(d); break;
		case 7: el->scale = (int32_t)pq_r_int(d); break;
		case 8: el->precision = (int32_t)pq_r_int(d); break;
		case 10:
			if (t == PQ_T_STRUCT) {
				logical_type(d, el);
				break;
			}
			/* fall through */
		default: pq_r_skip(d, t); break;
		}
	}
	pq_r_leave(d);
}

/* Statistics: null_count (3), max_value (5), min_value (6); the older
 * min and max (1, 2) are left: their order is not the column's for
 * byte arrays. */
static void statistics(pq_dec *d, pq_chunkmeta *c)
{
	int16_t last = 0, id;
	int t;

	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		if (id == 3 && t == PQ_T_I64)
			c->null_count = pq_r_int(d);
		else if (id == 5 && t == PQ_T_BINARY)
			c->max = pq_r_bin(d, &c->max_len);
		else if (id == 6 && t == PQ_T_BINARY)
			c->min = pq_r_bin(d, &c->min_len);
		else
			pq_r_skip(d, t);
	}
	pq_r_leave(d);
	/* One without the other bounds nothing. */
	if (!c->min || !c->max || d->bad)
		c->min = c->max = NULL;
}

static void column_meta(pq_dec *d, pq_chunkmeta *c)
{
	int16_t last = 0, id;
	int t, et;

	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		switch (id) {
		case 1: c->type = (int)pq_r_int(d); break;
		case 3: {
			uint32_t n = pq_r_list(d, &et), len;

			c->npath = n;
			for (uint32_t i = 0; i < n; i++)
				pq_r_bin(d, &len);
			break;
		}
		case 4: c->codec = (int)pq_r_int(d); break;
		case 5: c->num_values = pq_r_int(d); break;
		case 7: c->total_compressed = pq_r_int(d); break;
		case 9: c->data_page_offset = pq_r_int(d); break;
		case 11: c->dict_page_offset = pq_r_int(d); break;
		case 12:
			if (t == PQ_T_STRUCT) {
				statistics(d, c);
				break;
			}
			pq_r_skip(d, t);
			break;
		default: pq_r_skip(d, t); break;
		}
	}
	pq_r_leave(d);
}

static void column_chunk(pq_dec *d, pq_chunkmeta *c)
{
	int16_t last = 0, id;
	int t;

	memset(c, 0, sizeof(*c));
	c->dict_page_offset = -1;
	c->data_page_offset = -1;
	c->null_count = -1;
	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		if (id == 3 && t == PQ_T_STRUCT) {
			c->has_meta = true;
			column_meta(d, c);
		} else {
			pq_r_skip(d, t);
		}
	}
	pq_r_leave(d);
}

static void row_group(pq_dec *d, pq_rowgroup *g, sl_arena *a)
{
	int16_t last = 0, id;
	int t, et;

	memset(g, 0, sizeof(*g));
	if (!pq_r_enter(d))
		return;
	while (FIELDS(d, last, id, t)) {
		if (id == 1 && t == PQ_T_LIST) {
			uint32_t n = pq_r_list(d, &et);

			g->ncols = n;
			g->cols = sl_arena_calloc(a, (n + 1) * sizeof(*g->cols));
			for (uint32_t i = 0; i < n && !d->bad; i++)
				column_chunk(d, &g->cols[i]);
		} else if (id == 3) {
			g->num_rows = pq_r_int(d);
		} else {
			pq_r_skip(d, t);
		}
	}
	pq_r_leave(d);
}

int pq_meta_parse(const uint8_t *p, size_t n, pq_meta *m, sl_arena *a,
		  sl_err *err)
{
	pq_dec d = { .p = p, .end = p + n };
	int16_t last = 0, id;
	int t, et;
	bool have_schema = false, have_groups = false;

	memset(m, 0, sizeof(*m));
	pq_r_enter(&d);
	while (FIELDS(&d, last, id, t)) {
		if (id == 2 && t == PQ_T_LIST) {
			uint32_t k = pq_r_list(&d, &et);

			m->nschema = k;
			m->schema = sl_arena_calloc(a, (k + 1) * sizeof(*m->schema));
			for (uint32_t i = 0; i < k && !d.bad; i++)
				schema_element(&d, &m->schema[i], a);
			have_schema = true;
		} else if (id == 3) {
			m->num_rows = pq_r_int(&d);
		} else if (id == 4 && t == PQ_T_LIST) {
			uint32_t k = pq_r_list(&d, &et);

			m->nrgs = k;
			m->rgs = sl_arena_calloc(a, (k + 1) * sizeof(*m->rgs));
			for (uint32_t i = 0; i < k && !d.bad; i++)
				row_group(&d, &m->rgs[i], a);
			have_groups = true;
		} else if (id == 8) {
			return sl_err_set(err, SL_EIO,
					  "the footer names an encryption "
					  "algorithm: the file is encrypted (or "
					  "damaged), which sluice does not "
					  "read");
		} else {
			pq_r_skip(&d, t);
		}
	}
	if (d.bad)
		return sl_err_set(err, SL_EIO,
				  "the footer (FileMetaData) is damaged: its "
				  "Thrift bytes end or break at byte %zu of "
				  "%zu",
				  (size_t)(d.p - p), n);
	if (!have_schema || !have_groups || m->nschema == 0)
		return sl_err_set(err, SL_EIO,
				  "the footer (FileMetaData) has no %s",
				  have_schema ? "row groups" : "schema");
	return 0;
}

/* ---- the footer of a file --------------------------------------------- */

/* The bytes read with the footer's tail: most footers fit, so a file's
 * footer costs one read. */
#define PQ_TAIL_READ 65536

int pq_footer_read(int fd, int64_t size, pq_meta *m, sl_arena *a,
		   sl_err *err)
{
	sl_uring *r = sl_uring_get();
	uint8_t head[4], *tail, *buf;
	size_t ntail;
	int64_t at;
	uint32_t len;
	ssize_t got;
	int rc;

	if (size < 12)
		return sl_err_set(err, SL_EIO,
				  "not a Parquet file: %lld bytes is too short "
				  "(a Parquet file starts and ends with PAR1)",
				  (long long)size);
	ntail = size - 4 < PQ_TAIL_READ ? (size_t)(size - 4) : PQ_TAIL_READ;
	tail = sl_arena_alloc(a, ntail);
	if ((got = sl_uring_pread(r, fd, head, 4, 0)) != 4 ||
	    (got = sl_uring_pread(r, fd, tail, ntail,
				  (uint64_t)size - ntail)) != (ssize_t)ntail)
		return sl_err_set(err, SL_EIO, "read failed: %s",
				  got < 0 ? strerror((int)-got)
					  : "short read (the file shrank?)");
	if (memcmp(head, "PAR1", 4) || memcmp(tail + ntail - 4, "PAR1", 4)) {
		if (!memcmp(tail + ntail - 4, "PARE", 4))
			return sl_err_set(err, SL_EIO,
					  "the file is encrypted (magic PARE), "
					  "which sluice does not read");
		return sl_err_set(err, SL_EIO,
				  "not a Parquet file: no PAR1 magic at its "
				  "%s (byte %lld)",
				  memcmp(head, "PAR1", 4) ? "start" : "end",
				  memcmp(head, "PAR1", 4)
					  ? 0LL
					  : (long long)(size - 4));
	}
	len = pq_le32(tail + ntail - 8);
	if ((int64_t)len > size - 12)
		return sl_err_set(err, SL_EIO,
				  "the footer length at byte %lld says %u "
				  "bytes but the file has %lld (truncated?)",
				  (long long)(size - 8), len, (long long)size);
	at = size - 8 - (int64_t)len;
	if ((size_t)len + 8 <= ntail) {
		buf = tail + ntail - 8 - len;
	} else {
		buf = sl_arena_alloc(a, len);
		got = sl_uring_pread(r, fd, buf, len, (uint64_t)at);
		if (got != (ssize_t)len)
			return sl_err_set(err, SL_EIO,
					  "reading the footer failed: %s",
					  got < 0 ? strerror((int)-got)
						  : "short read");
	}
	if ((rc = pq_meta_parse(buf, len, m, a, err)) < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return sl_err_set(err, SL_EIO,
				  "the footer at byte %lld (%u bytes): %s",
				  (long long)at, len, msg);
	}
	return 0;
}

/* ---- page headers ----------------------------------------------------- */

int pq_page_parse(const uint8_t *p, size_t n, pq_page *pg, size_t *used)
{
	pq_dec d = { .p = p, .end = p + n };
	int16_t last = 0, id, last2, id2;
	int t, t2;

	memset(pg, 0, sizeof(*pg));
	pg->type = -1;
	pg->v2_compressed = true;
	pq_r_enter(&d);
	while (FIELDS(&d, last, id, t)) {
		if (id == 1)
			pg->type = (int)pq_r_int(&d);
		else if (id == 2)
			pg->usize = (int32_t)pq_r_int(&d);
		else if (id == 3)
			pg->csize = (int32_t)pq_r_int(&d);
		else if (id == 4 && t == PQ_T_I32) {
			pg->crc = (uint32_t)pq_r_int(&d);
			pg->has_crc = true;
		} else if ((id == 5 || id == 7 || id == 8) && t == PQ_T_STRUCT &&
			 pq_r_enter(&d)) {
			last2 = 0;
			while (FIELDS(&d, last2, id2, t2)) {
				int k = id * 16 + id2;

				if (k == 5 * 16 + 1 || k == 7 * 16 + 1 ||
				    k == 8 * 16 + 1)
					pg->nvalues = (int32_t)pq_r_int(&d);
				else if (k == 5 * 16 + 2 || k == 7 * 16 + 2 ||
					 k == 8 * 16 + 4)
					pg->encoding = (int)pq_r_int(&d);
				else if (k == 5 * 16 + 3)
					pg->def_encoding = (int)pq_r_int(&d);
				else if (k == 8 * 16 + 2)
					pg->nnulls = (int32_t)pq_r_int(&d);
				else if (k == 8 * 16 + 5)
					pg->def_len = (int32_t)pq_r_int(&d);
				else if (k == 8 * 16 + 6)
					pg->rep_len = (int32_t)pq_r_int(&d);
				else if (k == 8 * 16 + 7)
					pg->v2_compressed = t2 == PQ_T_TRUE;
				else
					pq_r_skip(&d, t2);
			}
			pq_r_leave(&d);
		} else {
			pq_r_skip(&d, t);
		}
	}
	if (d.bad || pg->usize < 0 || pg->csize < 0 || pg->nvalues < 0 ||
	    pg->def_len < 0 || pg->rep_len < 0)
		return -1;
	*used = (size_t)(d.p - p);
	return 0;
}

/* ---- types ------------------------------------------------------------ */

int pq_column_type(const pq_selem *el, const sl_dtype **out, char *why,
		   size_t n)
{
	int lt = el->logical, ct = el->converted;

	*out = NULL;
	if (el->num_children > 0 || el->type < 0) {
		snprintf(why, n, "a group (struct, list or map)");
		return -1;
	}
	if (el->repetition == PQ_REPEATED) {
		snprintf(why, n, "a repeated field");
		return -1;
	}
	if (lt == PQ_LT_DECIMAL || ct == PQ_CT_DECIMAL) {
		/* The unscaled value: INT32, INT64, or big-endian two's
		 * complement bytes (fixed or of any length). */
		bool phys = el->type == PQ_INT32 || el->type == PQ_INT64 ||
			    el->type == PQ_BYTE_ARRAY ||
			    (el->type == PQ_FIXED && el->type_length > 0);

		*out = sl_dtype_decimal(el->precision, el->scale);
		if (phys && *out)
			return 0;
		if (!phys)
			snprintf(why, n, "DECIMAL(%d,%d) of physical type %d",
				 el->precision, el->scale, el->type);
		else
			snprintf(why, n,
				 "DECIMAL(%d,%d) (sluice's decimals have 1 to "
				 "38 digits and a scale of 0 to the precision)",
				 el->precision, el->scale);
		*out = NULL;
		return -1;
	}
	switch (el->type) {
	case PQ_BOOLEAN: *out = &sl_dtype_bool; return 0;
	case PQ_INT32:
		if (lt == PQ_LT_DATE || ct == PQ_CT_DATE)
			*out = &sl_dtype_date;
		else if (lt == PQ_LT_INTEGER && el->lt_signed &&
			 el->lt_bits == 8)
			*out = &sl_dtype_byte;
		else if (lt == PQ_LT_INTEGER && el->lt_signed &&
			 el->lt_bits == 16)
			*out = &sl_dtype_short;
		else if (ct == PQ_CT_INT_8 && lt <= 0)
			*out = &sl_dtype_byte;
		else if (ct == PQ_CT_INT_16 && lt <= 0)
			*out = &sl_dtype_short;
		else if ((lt <= 0 || (lt == PQ_LT_INTEGER && el->lt_signed)) &&
			 (ct < 0 || ct == PQ_CT_INT_32))
			*out = &sl_dtype_int;
		break;
	case PQ_INT64:
		if (lt == PQ_LT_TIMESTAMP && el->lt_utc &&
		    (el->lt_unit == PQ_UNIT_MICROS ||
		     el->lt_unit == PQ_UNIT_MILLIS))
			*out = &sl_dtype_timestamp;
		else if (lt <= 0 && (ct == PQ_CT_TIMESTAMP_MICROS ||
				     ct == PQ_CT_TIMESTAMP_MILLIS))
			*out = &sl_dtype_timestamp;
		else if (lt == PQ_LT_TIMESTAMP && !el->lt_utc &&
			 (el->lt_unit == PQ_UNIT_MICROS ||
			  el->lt_unit == PQ_UNIT_MILLIS))
			/* a wall-clock time: Spark's TIMESTAMP_NTZ */
			*out = &sl_dtype_timestamp_ntz;
		else if ((lt <= 0 || (lt == PQ_LT_INTEGER && el->lt_signed)) &&
			   (ct < 0 || ct == PQ_CT_INT_64))
			*out = &sl_dtype_long;
		break;
	case PQ_INT96: *out = &sl_dtype_timestamp; return 0;
	case PQ_FLOAT: *out = &sl_dtype_float; return 0;
	case PQ_DOUBLE: *out = &sl_dtype_double; return 0;
	case PQ_BYTE_ARRAY:
		if (lt == PQ_LT_STRING || lt == PQ_LT_ENUM ||
		    lt == PQ_LT_JSON || ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM ||
		    ct == PQ_CT_JSON)
			*out = &sl_dtype_string;
		else if (lt <= 0 && ct < 0)
			*out = &sl_dtype_binary;
		break;
	case PQ_FIXED:
		if (lt <= 0 && ct < 0 && el->type_length >= 0)
			*out = &sl_dtype_binary;
		break;
	default: break;
	}
	if (*out)
		return 0;
	snprintf(why, n,
		 "physical type %d with logical type %d / converted type %d",
		 el->type, lt, ct);
	return -1;
}
