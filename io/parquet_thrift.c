/* io/parquet_thrift.c - the Thrift compact protocol, as Parquet's footer
 * (FileMetaData) and page headers are written in it: field headers with
 * the id as a delta from the struct's last one when it fits in four bits,
 * integers as zigzag varints, bytes length-prefixed, list headers with
 * the size in four bits below 15, a struct ended by a zero byte.
 *
 * The decoder never reads past its end: a fault marks it bad and every
 * later read gives zero, so a parser of a damaged footer runs to its end
 * and then reports it (io/parquet_meta.c). */
#include <string.h>

#include "io/parquet.h"

/* ---- writing ---------------------------------------------------------- */

static void put_varint(sl_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		sl_buf_put_u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	sl_buf_put_u8(b, (uint8_t)v);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void pq_enc_init(pq_enc *e, sl_buf *b)
{
	memset(e, 0, sizeof(*e));
	e->b = b;
}

static void field(pq_enc *e, int16_t id, int t)
{
	int16_t delta = (int16_t)(id - e->last[e->depth]);

	if (delta > 0 && delta <= 15) {
		sl_buf_put_u8(e->b, (uint8_t)(delta << 4 | t));
	} else {
		sl_buf_put_u8(e->b, (uint8_t)t);
		put_varint(e->b, zigzag(id));
	}
	e->last[e->depth] = id;
}

void pq_w_i32(pq_enc *e, int16_t id, int32_t v)
{
	field(e, id, PQ_T_I32);
	put_varint(e->b, zigzag(v));
}

void pq_w_i64(pq_enc *e, int16_t id, int64_t v)
{
	field(e, id, PQ_T_I64);
	put_varint(e->b, zigzag(v));
}

void pq_w_i8(pq_enc *e, int16_t id, int8_t v)
{
	field(e, id, PQ_T_I8);
	sl_buf_put_u8(e->b, (uint8_t)v);
}

void pq_w_bool(pq_enc *e, int16_t id, bool v)
{
	field(e, id, v ? PQ_T_TRUE : PQ_T_FALSE);
}

void pq_w_bin(pq_enc *e, int16_t id, const void *p, size_t n)
{
	field(e, id, PQ_T_BINARY);
	pq_w_elem_bin(e, p, n);
}

void pq_w_struct(pq_enc *e, int16_t id)
{
	if (id > 0)
		field(e, id, PQ_T_STRUCT);
	e->depth++;
	e->last[e->depth] = 0;
}

void pq_w_end(pq_enc *e)
{
	sl_buf_put_u8(e->b, PQ_T_STOP);
	e->depth--;
}

void pq_w_list(pq_enc *e, int16_t id, int t, uint32_t n)
{
	field(e, id, PQ_T_LIST);
	if (n < 15) {
		sl_buf_put_u8(e->b, (uint8_t)(n << 4 | (uint32_t)t));
	} else {
		sl_buf_put_u8(e->b, (uint8_t)(0xf0 | t));
		put_varint(e->b, n);
	}
}

void pq_w_elem_i32(pq_enc *e, int32_t v)
{
	put_varint(e->b, zigzag(v));
}

void pq_w_elem_bin(pq_enc *e, const void *p, size_t n)
{
	put_varint(e->b, n);
	sl_buf_put(e->b, p, n);
}

/* ---- reading ---------------------------------------------------------- */

static uint64_t get_varint(pq_dec *d)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c;

		if (d->bad || d->p >= d->end)
			break;
		c = *d->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	d->bad = true;
	return 0;
}

int64_t pq_r_int(pq_dec *d)
{
	uint64_t u = get_varint(d);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int8_t pq_r_i8(pq_dec *d)
{
	if (d->bad || d->p >= d->end) {
		d->bad = true;
		return 0;
	}
	return (int8_t)*d->p++;
}

double pq_r_double(pq_dec *d)
{
	uint64_t u;
	double x;

	if (d->bad || d->end - d->p < 8) {
		d->bad = true;
		return 0;
	}
	u = pq_le64(d->p);
	d->p += 8;
	memcpy(&x, &u, sizeof(x));
	return x;
}

const uint8_t *pq_r_bin(pq_dec *d, uint32_t *n)
{
	uint64_t len = get_varint(d);
	const uint8_t *s = d->p;

	*n = 0;
	if (d->bad || len > (uint64_t)(d->end - d->p)) {
		d->bad = true;
		return (const uint8_t *)"";
	}
	d->p += len;
	*n = (uint32_t)len;
	return s;
}

int pq_r_field(pq_dec *d, int16_t *last, int16_t *id, int *type)
{
	uint8_t c;

	if (d->bad || d->p >= d->end) {
		d->bad = true;
		return 0;
	}
	c = *d->p++;
	if (c == PQ_T_STOP)
		return 0;
	*type = c & 0x0f;
	if (c >> 4)
		*id = (int16_t)(*last + (c >> 4));
	else
		*id = (int16_t)pq_r_int(d);
	*last = *id;
	if (*type > PQ_T_STRUCT) {
		d->bad = true;
		return 0;
	}
	return !d->bad;
}

uint32_t pq_r_list(pq_dec *d, int *elem)
{
	uint8_t c;
	uint64_t n;

	if (d->bad || d->p >= d->end) {
		d->bad = true;
		return 0;
	}
	c = *d->p++;
	*elem = c & 0x0f;
	n = c >> 4;
	if (n == 15)
		n = get_varint(d);
	/* Every element takes a byte at least (bools in lists too). */
	if (d->bad || n > (uint64_t)(d->end - d->p)) {
		d->bad = true;
		return 0;
	}
	return (uint32_t)n;
}

bool pq_r_enter(pq_dec *d)
{
	if (d->bad || ++d->depth > PQ_MAX_DEPTH) {
		d->bad = true;
		return false;
	}
	return true;
}

void pq_r_leave(pq_dec *d)
{
	d->depth--;
}

void pq_r_skip(pq_dec *d, int t)
{
	uint32_t n;
	int16_t last = 0, id;
	int et, ft;

	if (d->bad)
		return;
	switch (t) {
	case PQ_T_TRUE:
	case PQ_T_FALSE: return; /* a field's bool is in its header */
	case PQ_T_I8: pq_r_i8(d); return;
	case PQ_T_I16:
	case PQ_T_I32:
	case PQ_T_I64: get_varint(d); return;
	case PQ_T_DOUBLE: pq_r_double(d); return;
	case PQ_T_BINARY: pq_r_bin(d, &n); return;
	case PQ_T_LIST:
	case PQ_T_SET:
		if (!pq_r_enter(d))
			return;
		n = pq_r_list(d, &et);
		for (uint32_t i = 0; i < n && !d->bad; i++) {
			if (et == PQ_T_TRUE || et == PQ_T_FALSE)
				pq_r_i8(d); /* a list's bool is a byte */
			else
				pq_r_skip(d, et);
		}
		pq_r_leave(d);
		return;
	case PQ_T_MAP: {
		uint8_t kv;

		if (!pq_r_enter(d))
			return;
		n = (uint32_t)get_varint(d);
		if (n && (d->bad || n > (uint64_t)(d->end - d->p))) {
			d->bad = true;
			pq_r_leave(d);
			return;
		}
		kv = n ? *d->p++ : 0;
		for (uint32_t i = 0; i < n && !d->bad; i++) {
			pq_r_skip(d, kv >> 4);
			pq_r_skip(d, kv & 0x0f);
		}
		pq_r_leave(d);
		return;
	}
	case PQ_T_STRUCT:
		if (!pq_r_enter(d))
			return;
		while (pq_r_field(d, &last, &id, &ft))
			pq_r_skip(d, ft);
		pq_r_leave(d);
		return;
	default: d->bad = true; return;
	}
}
