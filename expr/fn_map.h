/* expr/fn_map.h - the MAP functions (expr/fn_map.c, expr/map_build.c)
 * and the hooks through which binding, casts and the function table reach
 * them: m[k], the map forms of size/element_at/explode, the refusal of
 * maps where Spark needs ordering or hashing, and casts of maps. */
#ifndef SL_EXPR_FN_MAP_H
#define SL_EXPR_FN_MAP_H

#include "core/map.h"
#include "expr/fn.h"

extern const sl_func sl_funcs_map[];
extern const size_t sl_funcs_map_n;

/* expr/map_build.c: a map under construction in arena a. */
typedef struct sl_map_builder {
	sl_value *kv; /* 2 * cap values */
	uint32_t n, cap;
	sl_arena *a;
	bool last_win; /* spark.sql.mapKeyDedupPolicy LAST_WIN */
} sl_map_builder;

/* e: the call building the map, whose bind noted the dedup policy
 * (sl_map_note_policy). */
void sl_map_builder_init(sl_map_builder *b, const sl_expr *e, sl_arena *a,
			 uint32_t cap);
/* Notes the session's spark.sql.mapKeyDedupPolicy in e for its builder. */
void sl_map_note_policy(const sl_bind_ctx *cx, sl_expr *e);
/* Adds an entry (copied by value; the key must be non-null: the caller
 * raises NULL_MAP_KEY). Fails past SL_FN_MAX_OUT entries. */
int sl_map_builder_add(sl_map_builder *b, const sl_value *k,
		       const sl_value *v, sl_err *err);
/* The map, its keys checked distinct: a duplicate raises Spark's
 * DUPLICATED_MAP_KEY (spark.sql.mapKeyDedupPolicy EXCEPTION, its
 * default) or, with LAST_WIN, keeps the key's first place with the last
 * value given it. */
int sl_map_builder_finish(sl_map_builder *b, sl_value *out, sl_err *err);
/* Spark's NULL_MAP_KEY error. */
int sl_map_null_key(sl_err *err);
/* The index of key k among map m's entries, or -1 (k non-null, of the
 * map's key type). */
int64_t sl_map_find(const sl_value *m, const sl_value *k);

/* CAST of a map to a map (keys and values cast; ANSI's errors when ansi)
 * or to a string. */
int sl_map_cast(const sl_value *in, const sl_dtype *from, const sl_dtype *to,
		bool ansi, sl_arena *a, sl_value *out, sl_err *err);
/* Whether Spark casts from to a map type to (explicitly or, implicit,
 * as its coercions do). */
bool sl_map_can_cast(const sl_dtype *from, const sl_dtype *to, bool implicit);

/* expr/fn_map.c: hooks. */
/* A call of a general function with a map argument (size, cardinality,
 * element_at, try_element_at, explode; hash, xxhash64 and the functions
 * that order elements refused): true if the map form applies, with its
 * bind's result in *rc. */
bool sl_map_bind_call(sl_bind_ctx *cx, sl_expr *e, int *rc, sl_err *err);
/* expr/fn_gen.c: explode, explode_outer, posexplode and
 * posexplode_outer of a map: true when e is one (*rc its bind's). */
bool sl_map_bind_explode(sl_bind_ctx *cx, sl_expr *e, int *rc, sl_err *err);
/* The common type of two map types (CASE, coalesce, map_concat): keys
 * and values widened, with ANSI on without string promotion (Spark 4
 * refuses MAP<INT, ..> beside MAP<STRING, ..>), without ANSI strings
 * winning; NULL if none. */
const sl_dtype *sl_map_common_type(const sl_bind_ctx *cx, const sl_dtype *a,
				   const sl_dtype *b);
/* m[k]: the value of key k (null when absent, in both modes). */
int sl_map_bind_index(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* m.k (an EX_FIELD node over a map): becomes m['k'], as Spark reads it. */
int sl_map_bind_field(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* Spark refuses maps (and types holding them) where it needs ordering:
 * comparisons and IN (DATATYPE_MISMATCH.INVALID_ORDERING_TYPE naming
 * the operator and the type). 0 when no argument of e is a map. */
int sl_map_check_orderable(const sl_expr *e, sl_err *err);

#endif
