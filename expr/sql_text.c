/* expr/sql_text.c - Spark's pretty SQL text of bound expressions: what
 * names unnamed output columns ("(value * 10)", "upper(name)") and what
 * binding's messages quote. expr/bind.c sets each node's text as it binds
 * it; a long left-deep chain gets its text in one pass (sl_sql_of).
 * Where a column or field under a node is spelled otherwise than in the
 * schema, the node also gets the spelled text Spark names it by. */
#include <stdio.h>

#include "core/decimal.h"
#include "expr/internal.h"

void sl_type_sql(const sl_dtype *t, char *buf, size_t n)
{
	char tmp[256];
	size_t k = 0;
	switch (t->id) {
	case SL_ARRAY:
		sl_type_sql(t->elem, tmp, sizeof(tmp));
		snprintf(buf, n, "ARRAY<%s>", tmp);
		return;
	case SL_MAP:
		sl_type_sql(t->key, tmp, sizeof(tmp));
		k = (size_t)snprintf(buf, n, "MAP<%s, ", tmp);
		sl_type_sql(t->elem, tmp, sizeof(tmp));
		if (k < n)
			snprintf(buf + k, n - k, "%s>", tmp);
		return;
	case SL_STRUCT:
		k = (size_t)snprintf(buf, n, "STRUCT<");
		for (uint32_t i = 0; i < t->fields->n && k < n; i++) {
			sl_type_sql(t->fields->fields[i].type, tmp,
				    sizeof(tmp));
			k += (size_t)snprintf(buf + k, n - k, "%s%s: %s",
					      i ? ", " : "",
					      t->fields->fields[i].name, tmp);
		}
		if (k < n)
			snprintf(buf + k, n - k, ">");
		return;
	default:
		sl_dtype_name(t, tmp, sizeof(tmp));
		for (k = 0; tmp[k] && k + 1 < n; k++)
			buf[k] = (char)(tmp[k] >= 'a' && tmp[k] <= 'z'
						? tmp[k] - 32
						: tmp[k]);
		buf[k] = 0;
	}
}

const char *sl_lit_sql(sl_bind_ctx *cx, const sl_value *v, const sl_dtype *t)
{
	sl_buf w;
	sl_buf_init(&w, cx->a, 32);
	if (v->type == SL_NULL) {
		sl_buf_puts(&w, "NULL");
	} else if (t->id == SL_BINARY) {
		/* Spark names a binary literal by its hex form: X'0A1B' */
		sl_buf_puts(&w, "X'");
		for (uint32_t i = 0; i < v->len; i++)
			sl_buf_printf(&w, "%02X", v->v.bin[i]);
		sl_buf_putc(&w, '\'');
	} else if (t->id == SL_DATE || t->id == SL_TIMESTAMP ||
		   t->id == SL_TIMESTAMP_NTZ) {
		sl_buf_puts(&w, t->id == SL_DATE	  ? "DATE '"
				: t->id == SL_TIMESTAMP ? "TIMESTAMP '"
							: "TIMESTAMP_NTZ '");
		sl_value_render_buf(&w, v);
		sl_buf_putc(&w, '\'');
	} else if (v->type == SL_DECIMAL) {
		/* a decimal literal is named by Java's BigDecimal text: 1.50,
		 * 1E-7 */
		sl_fmt_decimal_java(&w, v);
	} else {
		/* Spark's pretty form: strings and numbers bare */
		sl_value_render_buf(&w, v);
	}
	return sl_buf_cstr(&w);
}

static const char *cmp_sym(int op)
{
	static const char *const s[] = {
		"=", "=", "<", "<=", ">", ">=", "<=>"
	};
	return s[op];
}

const char *sl_spelled_sql(const sl_expr *e)
{
	return e->spelled && e->sql && e->spelled_of == e->sql ? e->spelled
								: e->sql;
}

/* The text of one child: as spelled or with the schema's names. */
static const char *child_text(const sl_expr *c, bool spelled)
{
	return spelled ? sl_spelled_sql(c) : c->sql;
}

/* The node's own SQL text from its children's (which bind has set). */
static const char *node_text(sl_bind_ctx *cx, const sl_expr *e, bool sp)
{
	sl_buf w;
	sl_buf_init(&w, cx->a, 64);
	const sl_expr *const *a = (const sl_expr *const *)e->args;
	char tbuf[256];
	switch (e->kind) {
	case EX_NEG:
		sl_buf_printf(&w, "(%c %s)", e->op ? '+' : '-', child_text(a[0], sp));
		break;
	case EX_NOT: sl_buf_printf(&w, "(NOT %s)", child_text(a[0], sp)); break;
	case EX_ARITH:
		sl_buf_printf(&w, "(%s %c %s)", child_text(a[0], sp), e->op, child_text(a[1], sp));
		break;
	case EX_CMP:
		if (e->flags & EXF_NE_FORM)
			sl_buf_printf(&w, "(NOT (%s = %s))", child_text(a[0], sp),
				      child_text(a[1], sp));
		else
			sl_buf_printf(&w, "(%s %s %s)", child_text(a[0], sp),
				      cmp_sym(e->op), child_text(a[1], sp));
		break;
	case EX_AND:
		if (e->op) {
			/* x BETWEEN lo AND hi, kept as Spark 4 names it */
			sl_buf_printf(&w, "between(%s, %s, %s)",
				      child_text(a[0]->args[0], sp), child_text(a[0]->args[1], sp),
				      child_text(a[1]->args[1], sp));
			break;
		}
		/* fall through */
	case EX_OR:
		sl_buf_printf(&w, "(%s %s %s)", child_text(a[0], sp),
			      e->kind == EX_AND ? "AND" : "OR", child_text(a[1], sp));
		break;
	case EX_ISNULL:
		sl_buf_printf(&w, "(%s IS %sNULL)", child_text(a[0], sp),
			      e->flags & EXF_NOT ? "NOT " : "");
		break;
	case EX_IN:
		sl_buf_printf(&w, "(%s IN (", child_text(a[0], sp));
		for (uint32_t i = 1; i < e->nargs; i++)
			sl_buf_printf(&w, "%s%s", i > 1 ? ", " : "", child_text(a[i], sp));
		sl_buf_puts(&w, "))");
		break;
	case EX_LIKE:
		if (e->op)
			sl_buf_printf(&w, "RLIKE(%s, %s)", child_text(a[0], sp),
				      child_text(a[1], sp));
		else
			sl_buf_printf(&w, "%s LIKE %s", child_text(a[0], sp), child_text(a[1], sp));
		if (!e->op && e->col != '\\')
			sl_buf_printf(&w, " ESCAPE '%c'", (char)e->col);
		break;
	case EX_CASE: {
		sl_buf_puts(&w, "CASE");
		uint32_t end = e->nargs - !!(e->flags & EXF_HAS_ELSE);
		for (uint32_t i = 0; i + 1 < end; i += 2)
			sl_buf_printf(&w, " WHEN %s THEN %s", child_text(a[i], sp),
				      child_text(a[i + 1], sp));
		if (e->flags & EXF_HAS_ELSE)
			sl_buf_printf(&w, " ELSE %s", child_text(a[e->nargs - 1], sp));
		sl_buf_puts(&w, " END");
		break;
	}
	case EX_CAST:
		/* Spark writes a cast to a complex type as its operand */
		if (e->type->id == SL_MAP || e->type->id == SL_ARRAY ||
		    e->type->id == SL_STRUCT) {
			sl_buf_puts(&w, child_text(a[0], sp));
			break;
		}
		sl_type_sql(e->type, tbuf, sizeof(tbuf));
		sl_buf_printf(&w, "%s(%s AS %s)", e->op ? "TRY_CAST" : "CAST",
			      child_text(a[0], sp), tbuf);
		break;
	case EX_INDEX: sl_buf_printf(&w, "%s[%s]", child_text(a[0], sp), child_text(a[1], sp)); break;
	case EX_FUNC:
		sl_buf_printf(&w, "%s(", e->fn ? e->fn->name : e->ident);
		for (uint32_t i = 0; i < e->nargs; i++) {
			sl_buf_printf(&w, "%s%s", i ? ", " : "", child_text(a[i], sp));
			if (a[i]->alias)
				sl_buf_printf(&w, " AS %s", a[i]->alias);
		}
		sl_buf_putc(&w, ')');
		break;
	default: sl_buf_puts(&w, "?");
	}
	return sl_buf_cstr(&w);
}

/* Whether a child's spelled text differs from its sql, so the node needs
 * its own spelled text. */
static bool any_spelled(const sl_expr *e)
{
	for (uint32_t i = 0; i < e->nargs; i++)
		if (e->args[i] && sl_spelled_sql(e->args[i]) != e->args[i]->sql)
			return true;
	return false;
}

const char *sl_node_sql(sl_bind_ctx *cx, sl_expr *e)
{
	const char *sql = node_text(cx, e, false);
	e->spelled = any_spelled(e) ? node_text(cx, e, true) : NULL;
	e->spelled_of = sql;
	return sql;
}

/* The text of a chain from its bottom up (chain[0] is the top), as
 * spelled or with the schema's names. */
static const char *chain_text(sl_bind_ctx *cx, const sl_expr **chain,
			      uint32_t n, const sl_expr *bottom, bool sp)
{
	sl_buf w;
	sl_buf_init(&w, cx->a, 64);
	for (uint32_t i = 0; i < n; i++) {
		if (chain[i]->kind == EX_CAST)
			continue;
		sl_buf_puts(&w, chain[i]->kind == EX_CMP &&
						(chain[i]->flags & EXF_NE_FORM)
					? "(NOT ("
					: "(");
	}
	sl_buf_puts(&w, child_text(bottom, sp));
	for (uint32_t i = n; i-- > 0;) {
		const sl_expr *x = chain[i];
		const char *r = x->nargs > 1 ? child_text(x->args[1], sp) : "";
		switch (x->kind) {
		case EX_CAST: break;
		case EX_ARITH: sl_buf_printf(&w, " %c %s)", x->op, r); break;
		case EX_CMP:
			if (x->flags & EXF_NE_FORM)
				sl_buf_printf(&w, " = %s))", r);
			else
				sl_buf_printf(&w, " %s %s)", cmp_sym(x->op), r);
			break;
		default:
			sl_buf_printf(&w, " %s %s)",
				      x->kind == EX_AND ? "AND" : "OR", r);
		}
	}
	return sl_buf_cstr(&w);
}

/* The SQL text of a bound node of a chain whose inner nodes have none
 * (NULL): written in one pass down the left spine and back up, then kept.
 * Implicit casts on the spine add no text, as in node_sql. */
const char *sl_sql_of(sl_bind_ctx *cx, sl_expr *e)
{
	if (e->sql)
		return e->sql;
	uint32_t n = 0;
	for (const sl_expr *x = e; !x->sql; x = x->args[0])
		n++;
	const sl_expr **chain = sl_arena_alloc(cx->a, n * sizeof(*chain));
	const sl_expr *bottom = e;
	for (uint32_t i = 0; i < n; i++, bottom = bottom->args[0])
		chain[i] = bottom;
	bool spelled = sl_spelled_sql(bottom) != bottom->sql;
	for (uint32_t i = 0; i < n && !spelled; i++)
		spelled = chain[i]->nargs > 1 &&
			  sl_spelled_sql(chain[i]->args[1]) != chain[i]->args[1]->sql;
	e->sql = chain_text(cx, chain, n, bottom, false);
	e->spelled = spelled ? chain_text(cx, chain, n, bottom, true) : NULL;
	e->spelled_of = e->sql;
	return e->sql;
}
