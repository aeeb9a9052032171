/* expr/regex.c - split() and RLIKE: Java regular expressions run on
 * POSIX regcomp/regexec.
 *
 * Spark's patterns are Java regexes. They are translated once at bind time
 * to POSIX extended syntax (\d, \s, \w, classes, \Q..\E); constructs POSIX
 * cannot express (lookaround, lazy quantifiers, \p{..}) are refused at bind
 * with a message rather than silently matched differently. Patterns that
 * are plain text (the usual ' ' or ',') never reach regexec: they split by
 * memchr/memmem.
 *
 * Regexes compile and run under a UTF-8 locale (switched per thread with
 * uselocale, never process-wide) so that '.' and [^a-z] match a whole
 * character, as Java's do, not one byte of it.
 *
 * glibc's regexec serializes threads that share one regex_t, so each
 * partition thread compiles its own copy on first use (a per-thread cache
 * keyed by the interned pattern, freed when the thread exits). Interned
 * patterns live for the process: a query's patterns are few. */
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "expr/internal.h"

/* regexec with REG_STARTEND over s[0..n), which need not end in a NUL
 * (values point into their batch). glibc reads only the range, but
 * AddressSanitizer's interceptor of regexec reads up to a NUL first, so
 * under it the subject is copied with one. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's way of saying it */
#define SL_RX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) /* gcc's */
#define SL_RX_ASAN 1
#endif

static int rx_exec(const regex_t *re, const char *s, size_t n, regmatch_t *m)
{
#if defined(SL_RX_ASAN)
	char *z = malloc(n + 1);
	if (!z)
		return REG_ESPACE;
	memcpy(z, s, n);
	z[n] = 0;
	int rc = regexec(re, z, 1, m, REG_STARTEND);
	free(z);
	return rc;
#else
	(void)n;
	return regexec(re, s, 1, m, REG_STARTEND);
#endif
}

#define EV_ARGS                                                                \
	const sl_expr *e, const sl_value *row, sl_arena *a, sl_value *out,     \
		sl_err *err

/* ---- translation ------------------------------------------------------ */

static const char ere_meta[] = ".[]()*+?{}|^$\\";

static void put_lit(sl_buf *w, char c)
{
	if (c && strchr(ere_meta, c))
		sl_buf_putc(w, '\\');
	sl_buf_putc(w, c);
}

static int hexv(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* The character a simple escape \c stands for, or -1 if it is not one. */
static int simple_escape(char c)
{
	switch (c) {
	case 't': return '\t';
	case 'n': return '\n';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'a': return 7;
	case 'e': return 27;
	default:
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			return -1;
		return (unsigned char)c;
	}
}

/* [...]: collects literals, ranges and classes, then writes them in the
 * order POSIX needs (']' first, '-' last, '^' not first). */
static const char *tr_bracket(const char *p, size_t n, size_t *i, sl_buf *w)
{
	bool lit[256] = { false }, neg = false, any = false;
	char other[512];
	size_t no = 0;
	(*i)++;
	if (*i < n && p[*i] == '^') {
		neg = true;
		(*i)++;
	}
	for (;;) {
		if (*i >= n)
			return "unclosed character class";
		unsigned char c = (unsigned char)p[*i];
		if (c == ']' && any)
			break;
		if (no + 32 >= sizeof(other))
			return "character class too long";
		any = true;
		if (c == '[')
			return "nested character classes are not supported";
		if (c == '&' && *i + 1 < n && p[*i + 1] == '&')
			return "character class intersection (&&) is not "
			       "supported";
		if (c >= 0x80)
			return "non-ASCII characters in a character class "
			       "are not supported";
		int lo = c;
		if (c == '\\') {
			if (*i + 1 >= n)
				return "trailing backslash";
			char d = p[++*i];
			const char *cls = d == 'd'   ? "0-9"
					  : d == 's' ? "[:space:]"
					  : d == 'w' ? "[:alnum:]_"
						     : NULL;
			if (cls) {
				size_t l = strlen(cls);
				memcpy(other + no, cls, l);
				no += l;
				(*i)++;
				continue;
			}
			lo = simple_escape(d);
			if (lo < 0)
				return "unsupported escape in a character "
				       "class";
		}
		(*i)++;
		/* a range lo-hi (a '-' before ']' is a literal) */
		if (*i + 1 < n && p[*i] == '-' && p[*i + 1] != ']') {
			int hi = (unsigned char)p[*i + 1];
			size_t adv = 2;
			if (hi == '\\' && *i + 2 < n) {
				hi = simple_escape(p[*i + 2]);
				adv = 3;
			}
			if (hi < 0 || hi >= 0x80 || hi < lo)
				return "invalid range in a character class";
			if (strchr("]^-[", lo) || strchr("]^-[", hi))
				return "unsupported range in a character class";
			other[no++] = (char)lo;
			other[no++] = '-';
			other[no++] = (char)hi;
			*i += adv;
			continue;
		}
		lit[lo] = true;
	}
	(*i)++;
	for (int c = 1; c < 256; c++)
		if (lit[c] && c != ']' && c != '^' && c != '-')
			other[no++] = (char)c;
	bool caret = lit['^'], dash = lit['-'], close = lit[']'];
	if (!neg && !close && !no && !dash) { /* just '^' */
		sl_buf_puts(w, "\\^");
		return NULL;
	}
	sl_buf_putc(w, '[');
	if (neg)
		sl_buf_putc(w, '^');
	if (close)
		sl_buf_putc(w, ']');
	if (!close && !no && dash && caret) {
		sl_buf_puts(w, "-^]");
		return NULL;
	}
	sl_buf_put(w, other, no);
	if (caret)
		sl_buf_putc(w, '^');
	if (dash)
		sl_buf_putc(w, '-');
	sl_buf_putc(w, ']');
	return NULL;
}

const char *sl_regex_translate(const char *p, size_t n, sl_buf *w, int *cflags)
{
	size_t i = 0;
	if (n >= 4 && !memcmp(p, "(?i)", 4)) {
		*cflags |= REG_ICASE;
		i = 4;
	}
	while (i < n) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n)
				return "trailing backslash";
			char d = p[i + 1];
			const char *cls = NULL;
			switch (d) {
			case 'd': cls = "[0-9]"; break;
			case 'D': cls = "[^0-9]"; break;
			case 's': cls = "[[:space:]]"; break;
			case 'S': cls = "[^[:space:]]"; break;
			case 'w': cls = "[[:alnum:]_]"; break;
			case 'W': cls = "[^[:alnum:]_]"; break;
			case 'b': cls = "\\b"; break;
			case 'B': cls = "\\B"; break;
			default: break;
			}
			if (cls) {
				sl_buf_puts(w, cls);
				i += 2;
				continue;
			}
			if (d >= '1' && d <= '9') { /* back-reference */
				sl_buf_putc(w, '\\');
				sl_buf_putc(w, d);
				i += 2;
				continue;
			}
			if (d == 'Q') {
				i += 2;
				while (i < n && !(p[i] == '\\' && i + 1 < n &&
						  p[i + 1] == 'E'))
					put_lit(w, p[i++]);
				i += 2;
				continue;
			}
			if (d == 'x' && i + 3 < n && hexv(p[i + 2]) >= 0 &&
			    hexv(p[i + 3]) >= 0) {
				put_lit(w, (char)(hexv(p[i + 2]) << 4 |
						  hexv(p[i + 3])));
				i += 4;
				continue;
			}
			int ch = simple_escape(d);
			if (ch < 0)
				return "unsupported escape sequence";
			put_lit(w, (char)ch);
			i += 2;
			continue;
		}
		if (c == '[') {
			const char *why = tr_bracket(p, n, &i, w);
			if (why)
				return why;
			continue;
		}
		if (c == '(' && i + 1 < n && p[i + 1] == '?') {
			if (i + 2 < n && p[i + 2] == ':') {
				sl_buf_putc(w, '(');
				i += 3;
				continue;
			}
			return "(?...) groups other than (?:...) and a "
			       "leading (?i) are not supported";
		}
		if ((c == '*' || c == '+' || c == '?' || c == '}') &&
		    i + 1 < n && (p[i + 1] == '?' || p[i + 1] == '+'))
			return "lazy and possessive quantifiers are not "
			       "supported";
		sl_buf_putc(w, c);
		i++;
	}
	return NULL;
}

/* ---- interning and per-thread compiled copies ------------------------- */

/* Switches this thread to the UTF-8 locale; returns what to restore. */
static locale_t rx_enter(void)
{
	locale_t u = sl_utf8_locale();
	return u ? uselocale(u) : (locale_t)0;
}

static void rx_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

typedef struct rx_key {
	char *src; /* POSIX ERE */
	int cflags;
} rx_key;

static struct {
	pthread_mutex_t mu;
	rx_key **v;
	size_t n, cap;
} interned = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const rx_key *rx_intern(const char *src, int cflags)
{
	const rx_key *k = NULL;
	/* Made before the lock is taken, so that running out of memory
	 * unwinds (core/alloc.h) with no lock held; dropped when the key is
	 * there already. */
	size_t len = strlen(src) + 1;
	rx_key *nk = sl_try_realloc(NULL, sizeof(*nk));
	char *copy = sl_try_realloc(NULL, len);
	if (copy)
		memcpy(copy, src, len);
	if (!nk || !copy) {
		free(nk);
		free(copy);
		sl_oom_raise(sizeof(*nk) + len);
	}
	pthread_mutex_lock(&interned.mu);
	for (size_t i = 0; i < interned.n && !k; i++)
		if (interned.v[i]->cflags == cflags &&
		    !strcmp(interned.v[i]->src, src))
			k = interned.v[i];
	if (!k && interned.n == interned.cap) {
		size_t cap = interned.cap ? interned.cap * 2 : 16;
		rx_key **v = sl_try_realloc(interned.v, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&interned.mu);
			free(nk);
			free(copy);
			sl_oom_raise(cap * sizeof(*v));
		}
		interned.v = v;
		interned.cap = cap;
	}
	if (!k) {
		nk->src = copy;
		nk->cflags = cflags;
		interned.v[interned.n++] = nk;
		k = nk;
		nk = NULL;
		copy = NULL;
	}
	pthread_mutex_unlock(&interned.mu);
	free(nk);
	free(copy);
	return k;
}

typedef struct rx_compiled {
	const rx_key *k;
	regex_t re;
} rx_compiled;

typedef struct rx_tls {
	size_t n, cap;
	rx_compiled **v;
} rx_tls;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
	rx_tls *t = p;
	for (size_t i = 0; i < t->n; i++) {
		regfree(&t->v[i]->re);
		free(t->v[i]);
	}
	free(t->v);
	free(t);
}

static bool tls_ok;

static void tls_init(void)
{
	/* Without a key (the process has used every one) no pattern
	 * compiles: rx_get gives NULL, which its callers report. */
	tls_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

static const regex_t *rx_get(const rx_key *k)
{
	pthread_once(&tls_once, tls_init);
	if (!tls_ok)
		return NULL;
	rx_tls *t = pthread_getspecific(tls_key);
	if (!t) {
		t = sl_try_realloc(NULL, sizeof(*t));
		if (!t)
			sl_oom_raise(sizeof(*t));
		memset(t, 0, sizeof(*t));
		if (pthread_setspecific(tls_key, t)) {
			free(t);
			sl_oom_raise(sizeof(*t));
		}
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->k == k)
			return &t->v[i]->re;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		rx_compiled **v = sl_try_realloc(t->v, cap * sizeof(*v));
		if (!v)
			sl_oom_raise(cap * sizeof(*v));
		t->v = v;
		t->cap = cap;
	}
	rx_compiled *c = sl_try_realloc(NULL, sizeof(*c));
	if (!c)
		sl_oom_raise(sizeof(*c));
	c->k = k;
	locale_t old = rx_enter();
	int rc = regcomp(&c->re, k->src, k->cflags);
	rx_leave(old);
	if (rc) {
		free(c);
		return NULL; /* validated at bind: not expected */
	}
	t->v[t->n++] = c;
	return &c->re;
}

/* Translates and test-compiles a pattern; the interned key or an error. */
static const rx_key *rx_prepare(const char *p, size_t n, int cflags,
				sl_arena *a, const char **why)
{
	sl_buf w;
	sl_buf_init(&w, a, n * 2 + 16);
	int fl = REG_EXTENDED | cflags;
	*why = sl_regex_translate(p, n, &w, &fl);
	if (*why)
		return NULL;
	regex_t re;
	locale_t old = rx_enter();
	int rc = regcomp(&re, sl_buf_cstr(&w), fl);
	rx_leave(old);
	if (rc) {
		static _Thread_local char msg[128];
		regerror(rc, &re, msg, sizeof(msg));
		*why = msg;
		return NULL;
	}
	regfree(&re);
	return rx_intern(sl_buf_cstr(&w), fl);
}

/* ---- split ------------------------------------------------------------ */

enum { SP_BYTE, SP_TEXT, SP_SET, SP_REGEX, SP_EMPTY, SP_DYNAMIC };

typedef struct split_aux {
	int mode;
	bool plus;	  /* SP_SET: a run of the set, not one byte */
	uint8_t set[32];  /* SP_SET: bytes of the class */
	char ch;	  /* SP_BYTE */
	const char *text; /* SP_TEXT */
	size_t tlen;
	const rx_key *rx; /* SP_REGEX */
} split_aux;

static void set_add(uint8_t *set, int c)
{
	set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static bool set_has(const uint8_t *set, unsigned char c)
{
	return set[c >> 3] >> (c & 7) & 1;
}

/* split's pieces: string values appended to an arena buffer (core/buf.h),
 * which becomes the result array's storage. */
static void push_piece(sl_buf *pieces, const char *s, size_t len)
{
	sl_value v = sl_v_str(s, (uint32_t)len);
	sl_buf_put(pieces, &v, sizeof(v));
}

static uint32_t piece_count(const sl_buf *pieces)
{
	return (uint32_t)(pieces->len / sizeof(sl_value));
}

static void pieces_finish(sl_buf *pieces, sl_value *out)
{
	out->type = SL_ARRAY;
	out->len = piece_count(pieces);
	out->v.arr = (sl_value *)pieces->p;
}

/* The next match at or after `from`: [*ms, *me). */
typedef struct finder {
	const split_aux *sp;
	const regex_t *re;
} finder;

static bool find_next(const finder *f, const char *s, size_t n, size_t from,
		      size_t *ms, size_t *me)
{
	if (from > n || (from == n && f->sp->mode != SP_REGEX))
		return false;
	switch (f->sp->mode) {
	case SP_BYTE: {
		const char *p = memchr(s + from, f->sp->ch, n - from);
		if (!p)
			return false;
		*ms = (size_t)(p - s);
		*me = *ms + 1;
		return true;
	}
	case SP_SET: {
		const uint8_t *set = f->sp->set;
		size_t i = from;
		while (i < n && !set_has(set, (unsigned char)s[i]))
			i++;
		if (i >= n)
			return false;
		*ms = i++;
		if (f->sp->plus)
			while (i < n && set_has(set, (unsigned char)s[i]))
				i++;
		*me = i;
		return true;
	}
	case SP_TEXT: {
		const char *p =
			memmem(s + from, n - from, f->sp->text, f->sp->tlen);
		if (!p)
			return false;
		*ms = (size_t)(p - s);
		*me = *ms + f->sp->tlen;
		return true;
	}
	default: {
		regmatch_t m[1];
		m[0].rm_so = (regoff_t)from;
		m[0].rm_eo = (regoff_t)n;
		if (rx_exec(f->re, s, n, m))
			return false;
		*ms = (size_t)m[0].rm_so;
		*me = (size_t)m[0].rm_eo;
		return true;
	}
	}
}

/* Java's String.split(regex, limit) as Spark calls it (limit <= 0: no
 * limit, trailing empty strings kept). */
static void split_java(const finder *f, const char *s, size_t n, int limit,
		       sl_buf *b)
{
	size_t index = 0, from = 0, ms, me;
	bool limited = limit > 0, matched = false;
	while (find_next(f, s, n, from, &ms, &me)) {
		/* the next search starts after this match, one character
		 * further when it was empty (Matcher.find) */
		from = me == ms ? me + (me < n ? (size_t)sl_utf8_len(
							 (unsigned char)s[me])
					       : 1)
				: me;
		if (!limited || piece_count(b) < (uint32_t)limit - 1) {
			if (index == 0 && ms == 0 && me == 0)
				continue; /* no empty leading piece for a
					     zero-width match at 0 */
			push_piece(b, s + index, ms - index);
			index = me;
			matched = true;
		} else {
			break;
		}
	}
	if (!matched) {
		sl_buf_reset(b);
		push_piece(b, s, n);
		return;
	}
	push_piece(b, s + index, n - index);
}

/* Spark's split by an empty pattern: one piece per character, the last
 * holding the rest when a limit cuts it short. */
static void split_chars(const char *s, size_t n, int limit, sl_buf *b)
{
	if (!n) {
		push_piece(b, s, 0);
		return;
	}
	size_t chars = sl_utf8_count(s, n);
	size_t lim =
		limit <= 0 || (size_t)limit > chars ? chars : (size_t)limit;
	size_t i = 0;
	for (size_t k = 0; k + 1 < lim; k++) {
		size_t l = (size_t)sl_utf8_len((unsigned char)s[i]);
		if (i + l > n)
			l = n - i;
		push_piece(b, s + i, l);
		i += l;
	}
	push_piece(b, s + i, n - i);
}

/* \d, \s, \w (and with neg their complements) into set. */
static bool set_class(uint8_t *set, char d)
{
	uint8_t tmp[32] = { 0 };
	bool neg = d == 'D' || d == 'S' || d == 'W';
	switch (d | 0x20) {
	case 'd':
		for (int c = '0'; c <= '9'; c++)
			set_add(tmp, c);
		break;
	case 's':
		/* Java's \s: [ \t\n\x0B\f\r] */
		for (const char *c = " \t\n\v\f\r"; *c; c++)
			set_add(tmp, *c);
		break;
	case 'w':
		for (int c = 0; c < 128; c++)
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_')
				set_add(tmp, c);
		break;
	default: return false;
	}
	for (int k = 0; k < 32; k++)
		set[k] |= neg ? (uint8_t)~tmp[k] : tmp[k];
	return true;
}

/* A pattern that is one character class, optionally repeated with '+'
 * ('\\s+', '[,;]', '\\W+', ' +'): a byte-set scan instead of regexec
 * (which is slow and allocates per call). */
static bool analyse_set(const char *p, size_t n, split_aux *sp)
{
	uint8_t set[32] = { 0 };
	size_t i = 0;
	if (n && p[n - 1] == '+') {
		sp->plus = true;
		n--;
	}
	if (!n)
		return false;
	if (p[0] == '\\' && n == 2) {
		if (!set_class(set, p[1])) {
			int c = simple_escape(p[1]);
			if (c < 0)
				return false;
			set_add(set, c);
		}
		i = 2;
	} else if (p[0] == '[' && p[n - 1] == ']' && n > 2) {
		bool neg = p[1] == '^';
		i = neg ? 2 : 1;
		for (; i < n - 1; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c == '[' || c == ']' || c >= 0x80 ||
			    (c == '&' && p[i + 1] == '&'))
				return false;
			if (c == '\\') {
				char d = p[++i];
				if (i >= n - 1)
					return false;
				if ((d | 0x20) == 'd' || (d | 0x20) == 's' ||
				    (d | 0x20) == 'w') {
					if (d != (d | 0x20))
						return false;
					set_class(set, d);
					continue;
				}
				int e = simple_escape(d);
				if (e < 0)
					return false;
				set_add(set, e);
				continue;
			}
			if (i + 2 < n - 1 && p[i + 1] == '-') {
				unsigned char hi = (unsigned char)p[i + 2];
				if (hi < c || hi >= 0x80 || hi == '\\' ||
				    hi == '[' || hi == ']')
					return false;
				for (int k = c; k <= hi; k++)
					set_add(set, k);
				i += 2;
				continue;
			}
			set_add(set, c);
		}
		if (neg)
			for (int k = 0; k < 32; k++)
				set[k] = (uint8_t)~set[k];
		i = n;
	} else if (n == 1 && !strchr(ere_meta, p[0])) {
		set_add(set, (unsigned char)p[0]);
		i = 1;
	} else {
		return false;
	}
	if (i != n)
		return false;
	/* One byte of a multi-byte character must not match alone: a
	 * class with non-ASCII bytes needs '+' (whose run then covers
	 * whole characters). */
	bool high = false;
	for (int k = 16; k < 32; k++)
		high |= set[k] != 0;
	if (high && !sp->plus)
		return false;
	memcpy(sp->set, set, sizeof(set));
	sp->mode = SP_SET;
	return true;
}

static void analyse_pattern(const char *p, size_t n, split_aux *sp)
{
	if (n == 0) {
		sp->mode = SP_EMPTY;
		return;
	}
	/* 'c', or '\c' for a non-alphanumeric c: a one-byte delimiter */
	if (n == 1 && !strchr(ere_meta, p[0])) {
		sp->mode = SP_BYTE;
		sp->ch = p[0];
		return;
	}
	if (n == 2 && p[0] == '\\' && simple_escape(p[1]) >= 0 &&
	    !((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z') ||
	      (p[1] >= '0' && p[1] <= '9'))) {
		sp->mode = SP_BYTE;
		sp->ch = p[1];
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (strchr(ere_meta, p[i])) {
			sp->plus = false;
			if (!analyse_set(p, n, sp)) {
				sp->plus = false;
				sp->mode = SP_REGEX;
			}
			return;
		}
	sp->mode = SP_TEXT;
	sp->text = p;
	sp->tlen = n;
}

static int ev_split(EV_ARGS)
{
	sl_value x, pat, lim = sl_v_int(-1);
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (!rc)
		rc = sl_eval_child(e->args[1], row, a, &pat, err);
	if (!rc && e->nargs > 2)
		rc = sl_eval_child(e->args[2], row, a, &lim, err);
	if (rc)
		return rc;
	if (x.type == SL_NULL || pat.type == SL_NULL || lim.type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	sl_buf b;
	sl_buf_init(&b, a, 16 * sizeof(sl_value));
	if (!x.v.str)
		x.v.str = ""; /* an empty value may carry no pointer */
	const split_aux *sp = e->aux;
	split_aux dyn;
	finder f = { .sp = sp };
	regex_t tmp;
	bool own = false;
	locale_t old = rx_enter();
	if (sp->mode == SP_DYNAMIC) {
		/* a pattern that changes per row: compiled per row */
		analyse_pattern(pat.v.str, pat.len, &dyn);
		f.sp = &dyn;
		if (dyn.mode == SP_REGEX) {
			sl_buf w;
			sl_buf_init(&w, a, pat.len * 2 + 16);
			int fl = REG_EXTENDED;
			const char *why =
				sl_regex_translate(pat.v.str, pat.len, &w, &fl);
			if (why || regcomp(&tmp, sl_buf_cstr(&w), fl)) {
				rx_leave(old);
				return sl_err_set(err, SL_EINVAL,
						  "split: invalid pattern "
						  "'%.*s'%s%s",
						  (int)pat.len, pat.v.str,
						  why ? ": " : "",
						  why ? why : "");
			}
			own = true;
			f.re = &tmp;
		}
	} else if (sp->mode == SP_REGEX) {
		f.re = rx_get(sp->rx);
		if (!f.re) {
			rx_leave(old);
			return sl_err_set(err, SL_EINVAL,
					  "split: cannot compile pattern");
		}
	}
	if (f.sp->mode == SP_EMPTY)
		split_chars(x.v.str, x.len, lim.v.i32, &b);
	else
		split_java(&f, x.v.str, x.len, lim.v.i32, &b);
	if (own)
		regfree(&tmp);
	rx_leave(old);
	pieces_finish(&b, out);
	return 0;
}

static const sl_dtype array_of_string = { .id = SL_ARRAY,
					  .elem = &sl_dtype_string };

int sl_bind_split(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_coerce(cx, &e->args[0], &sl_dtype_string, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], &sl_dtype_string, err);
	if (!rc && e->nargs > 2)
		rc = sl_coerce(cx, &e->args[2], &sl_dtype_int, err);
	if (rc)
		return rc;
	split_aux *sp = sl_arena_calloc(cx->a, sizeof(*sp));
	const sl_expr *p = e->args[1];
	if (p->kind == EX_LIT && p->lit.type == SL_STRING) {
		analyse_pattern(p->lit.v.str, p->lit.len, sp);
		if (sp->mode == SP_REGEX) {
			const char *why;
			sp->rx = rx_prepare(p->lit.v.str, p->lit.len, 0, cx->a,
					    &why);
			if (!sp->rx)
				return sl_bind_fail(
					err, p, SL_EANALYSIS,
					"split: invalid regular expression "
					"'%s': %s",
					p->sql, why);
		}
	} else {
		sp->mode = SP_DYNAMIC;
	}
	if (e->nargs == 2) {
		/* Spark shows the default limit in the name */
		size_t n = strlen(e->sql);
		char *s = sl_arena_alloc(cx->a, n + 8);
		memcpy(s, e->sql, n - 1);
		memcpy(s + n - 1, ", -1)", 6);
		e->sql = s;
	}
	e->aux = sp;
	e->type = &array_of_string;
	e->eval = ev_split;
	return 0;
}

/* ---- RLIKE ------------------------------------------------------------ */

static int ev_rlike(EV_ARGS)
{
	sl_value x, pat;
	int rc = sl_eval_child(e->args[0], row, a, &x, err);
	if (!rc)
		rc = sl_eval_child(e->args[1], row, a, &pat, err);
	if (rc)
		return rc;
	if (x.type == SL_NULL || pat.type == SL_NULL) {
		*out = sl_v_null();
		return 0;
	}
	regmatch_t m[1] = { { .rm_so = 0, .rm_eo = (regoff_t)x.len } };
	if (!x.v.str)
		x.v.str = "";
	locale_t old = rx_enter();
	if (e->aux) {
		const regex_t *re = rx_get(e->aux);
		if (re)
			*out = sl_v_bool(
				!rx_exec(re, x.v.str, x.len, m));
		rx_leave(old);
		return re ? 0
			  : sl_err_set(err, SL_EINVAL,
				       "rlike: cannot compile pattern");
	}
	sl_buf w;
	sl_buf_init(&w, a, pat.len * 2 + 16);
	int fl = REG_EXTENDED | REG_NOSUB;
	regex_t re;
	const char *why = sl_regex_translate(pat.v.str, pat.len, &w, &fl);
	if (why || regcomp(&re, sl_buf_cstr(&w), fl)) {
		rx_leave(old);
		return sl_err_set(err, SL_EINVAL,
				  "rlike: invalid pattern '%.*s'%s%s",
				  (int)pat.len, pat.v.str, why ? ": " : "",
				  why ? why : "");
	}
	*out = sl_v_bool(!rx_exec(&re, x.v.str, x.len, m));
	regfree(&re);
	rx_leave(old);
	return 0;
}

int sl_bind_rlike(sl_bind_ctx *cx, sl_expr *e, sl_err *err)
{
	int rc = sl_coerce(cx, &e->args[0], &sl_dtype_string, err);
	if (!rc)
		rc = sl_coerce(cx, &e->args[1], &sl_dtype_string, err);
	if (rc)
		return rc;
	const sl_expr *p = e->args[1];
	if (p->kind == EX_LIT && p->lit.type == SL_STRING) {
		const char *why;
		e->aux = rx_prepare(p->lit.v.str, p->lit.len, REG_NOSUB, cx->a,
				    &why);
		if (!e->aux)
			return sl_bind_fail(err, p, SL_EANALYSIS,
					    "invalid regular expression '%s': "
					    "%s",
					    p->sql, why);
	}
	e->type = &sl_dtype_bool;
	e->eval = ev_rlike;
	return 0;
}

/* ---- for the regexp functions (expr/fn_regexp.c) ----------------------- */

const void *sl_regex_prepare(const char *p, size_t n, sl_arena *a,
			     const char **why)
{
	return rx_prepare(p, n, 0, a, why);
}

const void *sl_regex_compiled(const void *key)
{
	return rx_get(key);
}
