/* expr/lex.c - splits Spark SQL expression text into tokens.
 *
 * The parser (expr/parse.c) pulls one token at a time. Tokens keep their
 * byte span so errors can point at the exact character, and string
 * literals are unescaped here with Spark's rules (so '\\s+' reaches split()
 * as \s+, and '\%' stays \% for LIKE). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>

#include "expr/internal.h"

void sl_lex_init(sl_lexer *lx, const char *text, sl_arena *a)
{
	lx->text = text;
	lx->n = strlen(text);
	lx->i = 0;
	lx->a = a;
}

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

size_t sl_unescape_sql(const char *s, size_t n, char quote, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == quote && i + 1 < n && s[i + 1] == quote) {
			out[o++] = quote;
			i++;
			continue;
		}
		if (s[i] != '\\' || i + 1 == n) {
			out[o++] = s[i];
			continue;
		}
		char c = s[i + 1];
		/* \U and eight hex digits: any code point (Spark 4) */
		if (c == 'U' && i + 9 < n) {
			uint32_t cp = 0;
			int k = 2;
			while (k < 10 && sl_hexval(s[i + k]) >= 0)
				cp = cp << 4 | (uint32_t)sl_hexval(s[i + k++]);
			if (k == 10 && cp <= 0x10ffff) {
				o += (size_t)sl_utf8_put(out + o, cp);
				i += 9;
				continue;
			}
		}
		if (c == 'u' && i + 5 < n && sl_hexval(s[i + 2]) >= 0 &&
		    sl_hexval(s[i + 3]) >= 0 && sl_hexval(s[i + 4]) >= 0 &&
		    sl_hexval(s[i + 5]) >= 0) {
			uint32_t cp = 0;
			for (int k = 2; k < 6; k++)
				cp = cp << 4 | (uint32_t)sl_hexval(s[i + k]);
			o += (size_t)sl_utf8_put(out + o, cp);
			i += 5;
			continue;
		}
		/* \ooo: three octal digits, the first 0 or 1 (Spark's rule) */
		if (i + 3 < n && (c == '0' || c == '1') && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			uint32_t cp = (uint32_t)((c - '0') << 6 |
						 (s[i + 2] - '0') << 3 |
						 (s[i + 3] - '0'));
			o += (size_t)sl_utf8_put(out + o, cp);
			i += 3;
			continue;
		}
		i++;
		switch (c) {
		case '0': out[o++] = 0; break;
		case 'b': out[o++] = '\b'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'Z': out[o++] = 0x1a; break;
		case '%':
		case '_':
			/* kept escaped, as MySQL and Spark do, for LIKE */
			out[o++] = '\\';
			out[o++] = c;
			break;
		default: out[o++] = c; break;
		}
	}
	out[o] = 0;
	return o;
}

static void lex_err(sl_tok *t, const char *why)
{
	t->type = TK_ERR;
	t->err = why;
}

/* r'...' and R"...": the body as written, no escapes (Spark's raw
 * string literals) */
static void lex_raw_string(sl_lexer *lx, sl_tok *t)
{
	char q = lx->text[lx->i + 1];
	size_t body = lx->i + 2, j = body;
	while (j < lx->n && lx->text[j] != q)
		j++;
	if (j >= lx->n) {
		t->len = lx->n - t->off;
		lx->i = lx->n;
		return lex_err(t, "unterminated string literal");
	}
	t->type = TK_STR;
	t->s = sl_arena_strndup(lx->a, lx->text + body, j - body);
	t->slen = j - body;
	lx->i = j + 1;
	t->len = lx->i - t->off;
}

static void lex_string(sl_lexer *lx, sl_tok *t)
{
	char q = lx->text[lx->i];
	size_t j = lx->i + 1;
	/* a doubled quote is one quote inside the literal: 'it''s' */
	while (j < lx->n &&
	       (lx->text[j] != q || (j + 1 < lx->n && lx->text[j + 1] == q)))
		j += (lx->text[j] == '\\' || lx->text[j] == q) && j + 1 < lx->n
			     ? 2
			     : 1;
	if (j >= lx->n) {
		t->len = lx->n - t->off;
		lx->i = lx->n;
		return lex_err(t, "unterminated string literal");
	}
	size_t body = lx->i + 1, blen = j - body;
	char *out = sl_arena_alloc(lx->a, blen + 1);
	t->type = TK_STR;
	t->slen = sl_unescape_sql(lx->text + body, blen, q, out);
	t->s = out;
	lx->i = j + 1;
	t->len = lx->i - t->off;
}

static void lex_qident(sl_lexer *lx, sl_tok *t)
{
	size_t j = lx->i + 1, end = j;
	/* sized to this identifier, not to the rest of the text, so many
	 * backticked names stay linear in memory */
	while (end < lx->n && (lx->text[end] != '`' ||
			       (end + 1 < lx->n && lx->text[end + 1] == '`')))
		end += lx->text[end] == '`' ? 2 : 1;
	char *out = sl_arena_alloc(lx->a, end - j + 1);
	size_t o = 0;
	for (;;) {
		if (j >= lx->n) {
			t->len = lx->n - t->off;
			lx->i = lx->n;
			return lex_err(t, "unterminated `identifier`");
		}
		if (lx->text[j] == '`') {
			if (j + 1 < lx->n && lx->text[j + 1] == '`') {
				out[o++] = '`';
				j += 2;
				continue;
			}
			break;
		}
		out[o++] = lx->text[j++];
	}
	out[o] = 0;
	t->type = TK_QIDENT;
	t->s = out;
	t->slen = o;
	lx->i = j + 1;
	t->len = lx->i - t->off;
}

static void lex_number(sl_lexer *lx, sl_tok *t)
{
	const char *s = lx->text;
	size_t j = lx->i;
	bool frac = false, expo = false;
	while (j < lx->n && isdigit((unsigned char)s[j]))
		j++;
	if (j < lx->n && s[j] == '.') {
		frac = true;
		j++;
		while (j < lx->n && isdigit((unsigned char)s[j]))
			j++;
	}
	if (j < lx->n && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;
		if (k < lx->n && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < lx->n && isdigit((unsigned char)s[k])) {
			expo = true;
			j = k;
			while (j < lx->n && isdigit((unsigned char)s[j]))
				j++;
		}
	}
	size_t end = j;
	char suf = 0;
	if (j < lx->n) {
		char c = (char)toupper((unsigned char)s[j]);
		if (c == 'B' && j + 1 < lx->n &&
		    toupper((unsigned char)s[j + 1]) == 'D') {
			suf = 'B';
			j += 2;
		} else if (c == 'L' || c == 'S' || c == 'Y' || c == 'D' ||
			   c == 'F') {
			suf = c;
			j++;
		}
	}
	t->len = j - t->off;
	lx->i = j;
	if (j < lx->n && ident_char((unsigned char)s[j])) {
		while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
			lx->i++;
		t->len = lx->i - t->off;
		return lex_err(t, "malformed number");
	}
	t->type = TK_NUM;
	t->suffix = suf;
	t->expo = expo;
	if ((frac || expo) && (suf == 'L' || suf == 'S' || suf == 'Y'))
		return lex_err(t, "malformed number");
	if (frac || expo || suf == 'D' || suf == 'F' || suf == 'B') {
		char tmp[64];
		size_t n = end - t->off;
		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, s + t->off, n);
		tmp[n] = 0;
		t->is_int = false;
		t->d = strtod(tmp, NULL);
		return;
	}
	t->is_int = true;
	t->u = 0;
	t->overflow = false;
	for (size_t k = t->off; k < end; k++) {
		unsigned d = (unsigned)(s[k] - '0');
		if (t->u > (UINT64_MAX - d) / 10)
			t->overflow = true;
		t->u = t->u * 10 + d;
	}
	if (t->overflow) {
		/* Beyond 64 bits Spark makes a decimal; sluice a double. */
		t->is_int = false;
		t->d = strtod(s + t->off, NULL);
	}
}

static void skip_space(sl_lexer *lx)
{
	const char *s = lx->text;
	for (;;) {
		while (lx->i < lx->n && isspace((unsigned char)s[lx->i]))
			lx->i++;
		if (lx->i + 1 < lx->n && s[lx->i] == '-' &&
		    s[lx->i + 1] == '-') {
			while (lx->i < lx->n && s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (lx->i + 1 < lx->n && s[lx->i] == '/' &&
		    s[lx->i + 1] == '*') {
			const char *e = strstr(s + lx->i + 2, "*/");
			lx->i = e ? (size_t)(e - s) + 2 : lx->n;
			continue;
		}
		return;
	}
}

void sl_lex_next(sl_lexer *lx, sl_tok *t)
{
	memset(t, 0, sizeof(*t));
	skip_space(lx);
	const char *s = lx->text;
	t->off = lx->i;
	if (lx->i >= lx->n) {
		t->type = TK_EOF;
		return;
	}
	unsigned char c = (unsigned char)s[lx->i];
	char c1 = lx->i + 1 < lx->n ? s[lx->i + 1] : 0;
	char c2 = lx->i + 2 < lx->n ? s[lx->i + 2] : 0;
	if (isdigit(c) || (c == '.' && isdigit((unsigned char)c1)))
		return lex_number(lx, t);
	if (c == '\'' || c == '"')
		return lex_string(lx, t);
	if ((c == 'r' || c == 'R') && (c1 == '\'' || c1 == '"'))
		return lex_raw_string(lx, t);
	if (c == '`')
		return lex_qident(lx, t);
	if (ident_start(c)) {
		size_t j = lx->i;
		while (j < lx->n && ident_char((unsigned char)s[j]))
			j++;
		t->type = TK_IDENT;
		t->s = sl_arena_strndup(lx->a, s + lx->i, j - lx->i);
		t->slen = j - lx->i;
		t->len = t->slen;
		lx->i = j;
		return;
	}
	t->type = TK_OP;
	t->len = 1;
	t->op = c;
	switch (c) {
	case '<':
		if (c1 == '=' && c2 == '>') {
			t->op = OP_NSEQ;
			t->len = 3;
		} else if (c1 == '=') {
			t->op = OP_LE;
			t->len = 2;
		} else if (c1 == '>') {
			t->op = OP_LTGT;
			t->len = 2;
		} else if (c1 == '<') {
			t->op = OP_SHL;
			t->len = 2;
		}
		break;
	case '>':
		if (c1 == '=') {
			t->op = OP_GE;
			t->len = 2;
		} else if (c1 == '>') {
			t->op = c2 == '>' ? OP_USHR : OP_SHR;
			t->len = c2 == '>' ? 3 : 2;
		}
		break;
	case '-':
		if (c1 == '>') {
			t->op = OP_ARROW;
			t->len = 2;
		}
		break;
	case '=':
		if (c1 == '=') {
			t->op = OP_EQ2;
			t->len = 2;
		}
		break;
	case '!':
		/* `!x` is NOT x, `!=` is <> */
		if (c1 == '=') {
			t->op = OP_NE;
			t->len = 2;
		}
		break;
	case '|':
		/* `||` concatenates, `|` is bitwise OR */
		if (c1 == '|') {
			t->op = OP_CONCAT;
			t->len = 2;
		}
		break;
	case ':':
		if (c1 == ':') {
			t->op = OP_DCOLON;
			t->len = 2;
		}
		break;
	case '(':
	case ')':
	case ',':
	case '.':
	case '*':
	case '+':
	case '/':
	case '%':
	case '&':
	case '^':
	case '~':
	case '[':
	case ']': break;
	default: lx->i++; return lex_err(t, "unexpected character");
	}
	lx->i += t->len;
}
