/* sql/lexer.c - the first step of reading a pipeline file: its text into
 * tokens for sql/parser.c, and positions in the text for every message.
 *
 * Expressions are not interpreted in sql/: a WHERE condition and each
 * SELECT item travel verbatim to the engine, so the file language and the
 * C API accept exactly the same expressions. The parser only needs to know
 * where expressions start and end: a small tokenizer that knows quotes,
 * backticks, comments and parentheses is enough for that. Every message of
 * sql/ is made here (sl_pipeline_err), so that each starts with the
 * "FILE:LINE:COL: " of the token, option or expression at fault. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/internal.h"

/* ---- positions and errors ------------------------------------------- */

void sl_pipeline_linecol(const sl_pipeline_file *f, uint32_t off, int *line,
			 int *col)
{
	int l = 1, c = 1;
	for (uint32_t i = 0; i < off && i < f->len; i++) {
		unsigned char ch = (unsigned char)f->text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			/* UTF-8 continuation bytes do not start a column */
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int char_pos(const sl_pipeline_file *f, uint32_t off)
{
	int n = 1;
	for (uint32_t i = 0; i < off && i < f->len; i++)
		if (((unsigned char)f->text[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int sl_pipeline_verr(const sl_pipeline_file *f, sl_err *err, int code,
		     uint32_t off, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	int line, col;
	sl_pipeline_linecol(f, off, &line, &col);
	int k = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", f->filename,
			 line, col);
	if (k < 0 || (size_t)k >= sizeof(err->msg))
		k = (int)sizeof(err->msg) - 1;
	vsnprintf(err->msg + k, sizeof(err->msg) - (size_t)k, fmt, ap);
	err->code = code;
	err->pos = char_pos(f, off);
	return code;
}

int sl_pipeline_err(const sl_pipeline_file *f, sl_err *err, int code,
		    uint32_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_pipeline_verr(f, err, code, off, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- tokens ----------------------------------------------------------- */

static bool is_word_byte(unsigned char c)
{
	/* Bytes >= 0x80 are parts of UTF-8 letters in identifiers. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static void lex_push(struct sl_pipeline_lexer *lx, uint8_t kind, uint32_t off,
		     uint32_t len)
{
	if (lx->n == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->t = sl_xrealloc(lx->t, lx->cap * sizeof(*lx->t));
	}
	lx->t[lx->n++] =
		(struct sl_pipeline_token){ kind, lx->text[off], off, len };
}

/* Blanks comments in place (keeping line breaks, so positions stay) and
 * splits the rest into tokens. Operators come out as one token per
 * character: only expression boundaries matter here. */
int sl_pipeline_lex(struct sl_pipeline_lexer *lx, sl_err *err)
{
	char *s = lx->text;
	uint32_t n = (uint32_t)lx->f->len, i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			i++;
		} else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				s[i++] = ' ';
		} else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			/* Spark's bracketed comments nest. */
			uint32_t start = i, depth = 0;
			do {
				if (i + 1 < n && s[i] == '/' &&
				    s[i + 1] == '*') {
					depth++;
					s[i++] = ' ';
				} else if (i + 1 < n && s[i] == '*' &&
					   s[i + 1] == '/') {
					depth--;
					s[i++] = ' ';
				}
				if (s[i] != '\n')
					s[i] = ' ';
				i++;
			} while (depth && i < n);
			if (depth)
				return sl_pipeline_err(
					lx->f, err, SL_ESYNTAX, start,
					"unterminated /* comment");
		} else if (c == '\'' || c == '"' || c == '`') {
			uint32_t start = i++;
			for (;;) {
				if (i >= n)
					return sl_pipeline_err(
						lx->f, err, SL_ESYNTAX, start,
						c == '`' ? "unterminated "
							   "`identifier`"
							 : "unterminated "
							   "string");
				if (s[i] == '\\' && c != '`' && i + 1 < n) {
					i += 2;
				} else if ((unsigned char)s[i] == c) {
					/* a doubled quote is a quote */
					if (i + 1 < n &&
					    (unsigned char)s[i + 1] == c) {
						i += 2;
						continue;
					}
					i++;
					break;
				} else {
					i++;
				}
			}
			lex_push(lx, c == '`' ? TK_QUOTED_ID : TK_STRING, start,
				 i - start);
		} else if (is_word_byte(c)) {
			uint32_t start = i;
			while (i < n && is_word_byte((unsigned char)s[i]))
				i++;
			lex_push(lx, TK_WORD, start, i - start);
		} else if (c == 0) {
			return sl_pipeline_err(lx->f, err, SL_ESYNTAX, i,
					       "unexpected NUL byte");
		} else {
			lex_push(lx, TK_PUNCT, i, 1);
			i++;
		}
	}
	return 0;
}
