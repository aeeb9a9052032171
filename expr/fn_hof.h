/* expr/fn_hof.h - the binds of the higher-order functions (expr/fn_hof.c)
 * and of the generators (expr/fn_gen.c), whose entries are the collection
 * group's (expr/fn_collection.c). */
#ifndef SL_EXPR_FN_HOF_H
#define SL_EXPR_FN_HOF_H

#include "expr/lambda.h"

/* transform, filter, exists, forall, aggregate, reduce, zip_with: which
 * one by the entry's name */
int sl_fn_bind_hof(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* array_sort(array[, comparator]) */
int sl_fn_bind_array_sort(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* explode_outer, posexplode, posexplode_outer, inline, inline_outer */
int sl_fn_bind_generator(sl_bind_ctx *cx, sl_expr *e, sl_err *err);
/* expr/fn_collection.c: sort_array and array_sort without a comparator */
int sl_fn_bind_sort(sl_bind_ctx *cx, sl_expr *e, sl_err *err);

#endif
