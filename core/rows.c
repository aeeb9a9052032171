/* core/rows.c - putting a host's typed values into a row (core/rows.h):
 * one set of checks for every public row builder. */
#include <stdint.h>

#include "core/rows.h"

bool sl_row_settable(const sl_dtype *t)
{
	switch ((int)t->id) {
	case SL_BOOL: case SL_INT: case SL_LONG: case SL_DOUBLE:
	case SL_STRING: case SL_BINARY: case SL_TIMESTAMP: case SL_DATE:
		return true;
	default: return false;
	}
}

int sl_row_check_col(const sl_schema *sc, uint32_t col, const char *who,
		     sl_err *err)
{
	if (col >= sc->n)
		return sl_err_set(err, SL_EINVAL, "%s: no column %u (the "
				  "schema has %u)", who, col, sc->n);
	return 0;
}

static int wrong_type(const sl_schema *sc, uint32_t col, const char *what,
		      const char *who, sl_err *err)
{
	char tn[64];

	sl_dtype_name(sc->fields[col].type, tn, sizeof(tn));
	return sl_err_set(err, SL_EINVAL, "%s: column '%s' is %s, not set "
			  "by %s", who, sc->fields[col].name, tn, what);
}

int sl_row_set_long(const sl_schema *sc, sl_value *row, uint32_t col,
		    int64_t v, const char *who, sl_err *err)
{
	if (sl_row_check_col(sc, col, who, err) < 0)
		return err->code;
	switch ((int)sc->fields[col].type->id) {
	case SL_INT:
	case SL_DATE:
		if (v < INT32_MIN || v > INT32_MAX)
			return sl_err_set(err, SL_EINVAL, "%s: column '%s': "
					  "%lld is out of range", who,
					  sc->fields[col].name, (long long)v);
		row[col] = sc->fields[col].type->id == SL_INT
				   ? sl_v_int((int32_t)v)
				   : sl_v_date((int32_t)v);
		return 0;
	case SL_LONG: row[col] = sl_v_long(v); return 0;
	case SL_TIMESTAMP: row[col] = sl_v_ts(v); return 0;
	case SL_BOOL: row[col] = sl_v_bool(v != 0); return 0;
	case SL_DOUBLE: row[col] = sl_v_double((double)v); return 0;
	default: return wrong_type(sc, col, "a long", who, err);
	}
}

int sl_row_set_double(const sl_schema *sc, sl_value *row, uint32_t col,
		      double v, const char *who, sl_err *err)
{
	if (sl_row_check_col(sc, col, who, err) < 0)
		return err->code;
	if (sc->fields[col].type->id != SL_DOUBLE)
		return wrong_type(sc, col, "a double", who, err);
	row[col] = sl_v_double(v);
	return 0;
}

int sl_row_set_string(const sl_schema *sc, sl_value *row, uint32_t col,
		      const char *s, size_t len, const char *who, sl_err *err)
{
	if (sl_row_check_col(sc, col, who, err) < 0)
		return err->code;
	if (len > UINT32_MAX)
		return sl_err_set(err, SL_EINVAL, "%s: column '%s': %zu bytes "
				  "is too long", who, sc->fields[col].name,
				  len);
	switch ((int)sc->fields[col].type->id) {
	case SL_STRING: row[col] = sl_v_str(s, (uint32_t)len); return 0;
	case SL_BINARY:
		row[col] = sl_v_bin((const uint8_t *)s, (uint32_t)len);
		return 0;
	default: return wrong_type(sc, col, "a string", who, err);
	}
}
