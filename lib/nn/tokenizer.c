/* tokenizer.c — BERT WordPiece tokenizer (see tokenizer.h for the rules).
 *
 * Layout: the vocabulary is one arena of NUL-terminated tokens; lookups go
 * through an open-addressing hash table keyed by (kind, bytes). Every token
 * is entered as kind 0 (the whole token); a token that starts with the
 * continuation prefix ("##") is also entered as kind 1 with the prefix cut
 * off, so that WordPiece can look up "##" + text[a:b] by hashing text[a:b]
 * incrementally, without building strings. */
#include "nn/tokenizer.h"
#include "base/err.h"
#include "base/fileio.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jv.h>
#include <utf8proc.h>

#define PREFIX_MAX 32          /* longest continuation prefix accepted */
#define MAX_CHARS_LIMIT 100000 /* largest max_input_chars_per_word accepted */

struct special {
	char *s;
	int len, id;
};

struct tokenizer {
	int n;                 /* vocabulary size */
	char **tok;            /* [n] id -> token, into arena */
	int *len;              /* [n] token byte lengths */
	char *arena;
	uint64_t *hkey;        /* [hmask+1] hash of (kind, bytes), 0 = empty slot */
	int32_t *hval;         /* [hmask+1] id * 2 + kind */
	size_t hmask;
	char prefix[PREFIX_MAX + 1];
	int plen;
	int max_chars;         /* max_input_chars_per_word (code points) */
	int max_piece;         /* longest token in bytes */
	int lower, strip, chinese, clean;
	int unk, cls, sep, pad, mask, model_max;
	struct special *sp;    /* literal special tokens, longest first */
	int nsp;
	unsigned char spfirst[256];  /* first bytes of special tokens */
	unsigned char aclass[128];   /* ASCII character classes */
};

enum { AC_OTHER, AC_PUNCT, AC_SPACE, AC_DROP };

/* ---- hashing ---- */

static inline uint64_t h_start(int kind)
{
	return kind ? 0x6c62272e07bb0142ULL : 0xcbf29ce484222325ULL;
}

static inline uint64_t h_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline uint64_t h_fin(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static uint64_t h_bytes(int kind, const char *s, size_t n)
{
	uint64_t h = h_start(kind);
	for (size_t i = 0; i < n; i++)
		h = h_step(h, (unsigned char)s[i]);
	return h_fin(h);
}

/* Does table entry v (id * 2 + kind) hold (kind, s[0..n))? */
static inline int h_match(const tokenizer *t, int32_t v, int kind, const char *s, size_t n)
{
	int id = v >> 1;
	if ((v & 1) != kind)
		return 0;
	if (kind)
		return (size_t)t->len[id] == t->plen + n && !memcmp(t->tok[id] + t->plen, s, n);
	return (size_t)t->len[id] == n && !memcmp(t->tok[id], s, n);
}

static inline int h_find(const tokenizer *t, int kind, const char *s, size_t n, uint64_t h)
{
	size_t i = h & t->hmask;
	while (t->hkey[i]) {
		if (t->hkey[i] == h && h_match(t, t->hval[i], kind, s, n))
			return t->hval[i] >> 1;
		i = (i + 1) & t->hmask;
	}
	return -1;
}

/* Insert (kind, s) -> id; a later duplicate replaces an earlier one, as
 * Python's dict does when reading vocab.txt. */
static void h_insert(tokenizer *t, int kind, const char *s, size_t n, int id)
{
	uint64_t h = h_bytes(kind, s, n);
	size_t i = h & t->hmask;
	while (t->hkey[i]) {
		if (t->hkey[i] == h && h_match(t, t->hval[i], kind, s, n)) {
			t->hval[i] = id * 2 + kind;
			return;
		}
		i = (i + 1) & t->hmask;
	}
	t->hkey[i] = h;
	t->hval[i] = id * 2 + kind;
}

/* ---- Unicode helpers ---- */

/* Strict UTF-8 decoding; an invalid sequence reads as U+FFFD of length 1
 * (and is then dropped by cleaning, as a decoder with errors="replace"). */
static inline int32_t utf8_next(const unsigned char *s, size_t n, size_t *k)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*k = 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
		*k = 2;
		return (int32_t)(((c & 0x1F) << 6) | (s[1] & 0x3F));
	}
	if (c >= 0xE0 && c <= 0xEF && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		int32_t cp = (int32_t)(((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F));
		if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
			*k = 3;
			return cp;
		}
	}
	if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
	    (s[3] & 0xC0) == 0x80) {
		int32_t cp = (int32_t)(((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) |
				       (s[3] & 0x3F));
		if (cp >= 0x10000 && cp <= 0x10FFFF) {
			*k = 4;
			return cp;
		}
	}
	*k = 1;
	return 0xFFFD;
}

static inline int utf8_put(char *d, int32_t c)
{
	if (c < 0x80) {
		d[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (char)(0xC0 | (c >> 6));
		d[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (char)(0xE0 | (c >> 12));
		d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		d[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | (c >> 18));
	d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	d[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* The reference _is_chinese_char: CJK Unified Ideographs and extensions
 * A-E, compatibility ideographs and their supplement. */
static inline int is_cjk(int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
	       (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static inline int is_punct_cat(int cat)
{
	return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

static inline int is_punct(int32_t c)
{
	if (c < 0x80)
		return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
		       (c >= 123 && c <= 126);
	return is_punct_cat(utf8proc_category(c));
}

/* Python's Final_Sigma context needs Case_Ignorable and Cased. Case_Ignorable:
 * Mn, Me, Cf, Lm, Sk and Word_Break MidLetter / MidNumLet / Single_Quote. */
static int sigma_ignorable(int32_t c)
{
	switch (c) {
	case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
	case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52:
	case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
		return 1;
	}
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_SK:
		return 1;
	default:
		return 0;
	}
}

/* Cased: Lu, Ll, Lt, Other_Lowercase, Other_Uppercase. The Other_ ranges that
 * are not already Case_Ignorable (Lm) are listed. */
static int sigma_cased(int32_t c)
{
	static const int32_t other[][2] = {
		{0x00AA, 0x00AA}, {0x00BA, 0x00BA}, {0x0345, 0x0345}, {0x2160, 0x217F},
		{0x24B6, 0x24E9}, {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
	};
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		return 1;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		if (c >= other[i][0] && c <= other[i][1])
			return 1;
	return 0;
}

/* Python: U+03A3 lowercases to final sigma U+03C2 when preceded by a cased
 * letter and not followed by one (case-ignorable characters skipped). */
static int final_sigma(const int32_t *w, int n, int i)
{
	int j;
	for (j = i - 1; j >= 0 && sigma_ignorable(w[j]); j--)
		;
	if (j < 0 || !sigma_cased(w[j]))
		return 0;
	for (j = i + 1; j < n && sigma_ignorable(w[j]); j++)
		;
	return j == n || !sigma_cased(w[j]);
}

/* ---- growable scratch arrays that start on the stack ---- */

typedef struct vec {
	void *p, *stack;
	size_t cap, esz;
} vec;

static void vec_init(vec *v, void *stack, size_t cap, size_t esz)
{
	v->p = v->stack = stack;
	v->cap = cap;
	v->esz = esz;
}

static int vec_need(vec *v, size_t n)
{
	size_t nc;
	void *q;
	if (n <= v->cap)
		return 0;
	nc = v->cap * 2 > n ? v->cap * 2 : n;
	if (v->p == v->stack) {
		q = malloc(nc * v->esz);
		if (q)
			memcpy(q, v->p, v->cap * v->esz);
	} else
		q = realloc(v->p, nc * v->esz);
	if (!q)
		return -1;
	v->p = q;
	v->cap = nc;
	return 0;
}

static void vec_free(vec *v)
{
	if (v->p != v->stack)
		free(v->p);
}

/* A transformed code point and the index of the word character it came from. */
struct ent {
	int32_t cp;
	uint32_t org;
};

enum { W_STACK = 128, T_STACK = 256, P_STACK = 128 };

typedef struct scratch {
	vec w, woff, t1, t2, pb, bd, hs, pid;
	int nw, ascii;
	int32_t w_st[W_STACK];
	size_t woff_st[W_STACK];
	struct ent t1_st[T_STACK], t2_st[T_STACK];
	char pb_st[4 * P_STACK + 4];
	int bd_st[P_STACK + 1];
	uint64_t hs_st[P_STACK + 1];
	int pid_st[P_STACK];
} scratch;

/* Where the output goes: ids (fixed or growable) or a word callback. */
typedef struct sink {
	int *ids;
	int n, cap, limit, grow;
	int truncated, stop, oom;
	int norm;              /* callback gets the normalised word, not the source */
	tokenizer_word_fn fn;
	void *ctx;
	const char *text;
} sink;

static int scratch_init(scratch *s, const tokenizer *t)
{
	vec_init(&s->w, s->w_st, W_STACK, sizeof(int32_t));
	vec_init(&s->woff, s->woff_st, W_STACK, sizeof(size_t));
	vec_init(&s->t1, s->t1_st, T_STACK, sizeof(struct ent));
	vec_init(&s->t2, s->t2_st, T_STACK, sizeof(struct ent));
	vec_init(&s->pb, s->pb_st, sizeof s->pb_st, 1);
	vec_init(&s->bd, s->bd_st, P_STACK + 1, sizeof(int));
	vec_init(&s->hs, s->hs_st, P_STACK + 1, sizeof(uint64_t));
	vec_init(&s->pid, s->pid_st, P_STACK, sizeof(int));
	s->nw = 0;
	s->ascii = 1;
	if (t->max_chars > P_STACK) {
		size_t m = (size_t)t->max_chars;
		if (vec_need(&s->pb, 4 * m + 4) || vec_need(&s->bd, m + 1) || vec_need(&s->hs, m + 1) ||
		    vec_need(&s->pid, m))
			return -1;
	}
	return 0;
}

static void scratch_free(scratch *s)
{
	vec_free(&s->w);
	vec_free(&s->woff);
	vec_free(&s->t1);
	vec_free(&s->t2);
	vec_free(&s->pb);
	vec_free(&s->bd);
	vec_free(&s->hs);
	vec_free(&s->pid);
}

static void emit(sink *k, int id)
{
	if (k->n >= k->limit) {
		k->truncated = 1;
		k->stop = 1;
		return;
	}
	if (k->n >= k->cap) {
		int nc;
		int *q;
		if (!k->grow || k->cap > INT_MAX / 2) {
			k->stop = k->oom = 1;
			return;
		}
		nc = k->cap ? 2 * k->cap : 64;
		q = realloc(k->ids, (size_t)nc * sizeof(int));
		if (!q) {
			k->stop = k->oom = 1;
			return;
		}
		k->ids = q;
		k->cap = nc;
	}
	k->ids[k->n++] = id;
}

/* ---- WordPiece ---- */

/* Greedy longest-match-first WordPiece over the code points e[0..m) (already
 * normalised); lower: ASCII-lowercase them on the way (the ASCII fast path). */
static void wordpiece(const tokenizer *t, scratch *s, sink *k, const struct ent *e, const int32_t *w, int m)
{
	char *pb;
	int *bd, *pid;
	uint64_t *hs;
	int np = 0, start = 0;
	if (m > t->max_chars) {
		emit(k, t->unk);
		return;
	}
	pb = s->pb.p;
	bd = s->bd.p;
	hs = s->hs.p;
	pid = s->pid.p;
	bd[0] = 0;
	for (int i = 0; i < m; i++) {
		int32_t c = e ? e[i].cp : w[i];
		if (!e && t->lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		bd[i + 1] = bd[i] + utf8_put(pb + bd[i], c);
	}
	while (start < m) {
		int kind = start > 0 && t->plen > 0;
		int base = bd[start], end = start, id = -1;
		uint64_t h = h_start(kind);
		while (end < m && bd[end + 1] - base <= t->max_piece) {
			for (int b = bd[end]; b < bd[end + 1]; b++)
				h = h_step(h, (unsigned char)pb[b]);
			end++;
			hs[end] = h_fin(h);
		}
		for (; end > start; end--) {
			id = h_find(t, kind, pb + base, (size_t)(bd[end] - base), hs[end]);
			if (id >= 0)
				break;
		}
		if (id < 0) {
			emit(k, t->unk);
			return;
		}
		pid[np++] = id;
		start = end;
	}
	for (int i = 0; i < np && !k->stop; i++)
		emit(k, pid[i]);
}

/* The callback with the normalised basic token (entries e[a..b), or ASCII
 * word characters w[a..b) lowercased when uncased) and the byte offset of its
 * first source character. */
static void emit_norm(const tokenizer *t, scratch *s, sink *k, const struct ent *e, int a, int b)
{
	const int32_t *w = s->w.p;
	const size_t *off = s->woff.p;
	uint32_t lo = e ? e[a].org : (uint32_t)a;
	vec buf;
	char st[256];
	size_t n = 0;
	vec_init(&buf, st, sizeof st, 1);
	if (vec_need(&buf, 4 * (size_t)(b - a) + 1)) {
		k->stop = k->oom = 1;
		return;
	}
	for (int i = a; i < b; i++) {
		int32_t c = e ? e[i].cp : w[i];
		if (e && e[i].org < lo)
			lo = e[i].org;
		if (!e && t->lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		n += (size_t)utf8_put((char *)buf.p + n, c);
	}
	((char *)buf.p)[n] = 0;
	k->fn(buf.p, n, off[lo], k->ctx);
	k->n++;
	vec_free(&buf);
}

/* Hand one basic token (entries e[a..b) of the transformed word, or word
 * characters w[a..b) on the ASCII path) to WordPiece or to the callback. */
static void piece(const tokenizer *t, scratch *s, sink *k, const struct ent *e, int a, int b)
{
	const int32_t *w = s->w.p;
	if (!k->fn) {
		wordpiece(t, s, k, e ? e + a : NULL, e ? NULL : w + a, b - a);
		return;
	}
	if (k->norm) {
		emit_norm(t, s, k, e, a, b);
		return;
	}
	/* Callback: the source characters the piece came from, original case. */
	uint32_t lo = e ? e[a].org : (uint32_t)a, hi = e ? e[a].org : (uint32_t)(b - 1);
	const size_t *off = s->woff.p;
	vec buf;
	char st[256];
	size_t n = 0;
	if (e)
		for (int i = a; i < b; i++) {
			if (e[i].org < lo)
				lo = e[i].org;
			if (e[i].org > hi)
				hi = e[i].org;
		}
	vec_init(&buf, st, sizeof st, 1);
	if (vec_need(&buf, 4 * (size_t)(hi - lo + 1))) {
		k->stop = k->oom = 1;
		return;
	}
	for (uint32_t i = lo; i <= hi; i++)
		n += (size_t)utf8_put((char *)buf.p + n, w[i]);
	k->fn(buf.p, n, off[lo], k->ctx);
	k->n++;
	vec_free(&buf);
}

/* Split entries e[0..m) (or ASCII word characters) on punctuation. */
static void split_punct(const tokenizer *t, scratch *s, sink *k, const struct ent *e, int m)
{
	const int32_t *w = s->w.p;
	int a = 0;
	for (int i = 0; i < m && !k->stop; i++) {
		int32_t c = e ? e[i].cp : w[i];
		int p = c < 0x80 ? t->aclass[c] == AC_PUNCT : is_punct(c);
		if (!p)
			continue;
		if (i > a)
			piece(t, s, k, e, a, i);
		if (!k->stop)
			piece(t, s, k, e, i, i + 1);
		a = i + 1;
	}
	if (a < m && !k->stop)
		piece(t, s, k, e, a, m);
}

static int push_ent(vec *v, int *n, int32_t cp, uint32_t org)
{
	struct ent *e;
	if (vec_need(v, (size_t)*n + 1))
		return -1;
	e = v->p;
	e[*n].cp = cp;
	e[*n].org = org;
	(*n)++;
	return 0;
}

/* NFD (canonical decomposition and canonical ordering) of in[0..n), dropping
 * nonspacing marks (Mn) afterwards. */
static int strip_accents(vec *out, const struct ent *in, int n, int *nout)
{
	int m = 0;
	struct ent *o;
	for (int i = 0; i < n; i++) {
		int32_t d[16];
		int bc = 0;
		utf8proc_ssize_t r;
		if (in[i].cp < 0x80) {
			if (push_ent(out, &m, in[i].cp, in[i].org))
				return -1;
			continue;
		}
		r = utf8proc_decompose_char(in[i].cp, d, 16, UTF8PROC_DECOMPOSE, &bc);
		if (r < 1 || r > 16) {
			d[0] = in[i].cp;
			r = 1;
		}
		for (utf8proc_ssize_t j = 0; j < r; j++) {
			int ccc = utf8proc_get_property(d[j])->combining_class, p;
			if (push_ent(out, &m, d[j], in[i].org))
				return -1;
			if (!ccc)
				continue;
			/* Canonical ordering: move left past marks of higher class. */
			o = out->p;
			for (p = m - 1; p > 0; p--) {
				int pc = utf8proc_get_property(o[p - 1].cp)->combining_class;
				struct ent tmp;
				if (pc <= ccc)
					break;
				tmp = o[p - 1];
				o[p - 1] = o[p];
				o[p] = tmp;
			}
		}
	}
	o = out->p;
	*nout = 0;
	for (int i = 0; i < m; i++)
		if (utf8proc_category(o[i].cp) != UTF8PROC_CATEGORY_MN)
			o[(*nout)++] = o[i];
	return 0;
}

/* Process the whitespace-separated word in s->w: lowercase, strip accents,
 * split on punctuation, WordPiece. */
static void flush_word(const tokenizer *t, scratch *s, sink *k)
{
	const int32_t *w = s->w.p;
	int n = s->nw, m1 = 0, m2 = 0;
	s->nw = 0;
	if (!n || k->stop)
		return;
	if (s->ascii) {
		s->ascii = 1;
		split_punct(t, s, k, NULL, n);
		return;
	}
	s->ascii = 1;
	for (int i = 0; i < n; i++) {
		int32_t c = w[i];
		int r;
		if (t->lower) {
			if (c == 0x130) { /* Python: LATIN CAPITAL I WITH DOT -> i + COMBINING DOT */
				r = push_ent(&s->t1, &m1, 'i', (uint32_t)i) ||
				    push_ent(&s->t1, &m1, 0x307, (uint32_t)i);
			} else if (c == 0x3A3)
				r = push_ent(&s->t1, &m1, final_sigma(w, n, i) ? 0x3C2 : 0x3C3, (uint32_t)i);
			else
				r = push_ent(&s->t1, &m1, utf8proc_tolower(c), (uint32_t)i);
		} else
			r = push_ent(&s->t1, &m1, c, (uint32_t)i);
		if (r) {
			k->stop = k->oom = 1;
			return;
		}
	}
	if (t->strip) {
		if (strip_accents(&s->t2, s->t1.p, m1, &m2)) {
			k->stop = k->oom = 1;
			return;
		}
		split_punct(t, s, k, s->t2.p, m2);
	} else
		split_punct(t, s, k, s->t1.p, m1);
}

static inline void push_char(scratch *s, sink *k, int32_t c, size_t off)
{
	if (vec_need(&s->w, (size_t)s->nw + 1) || (k->fn && vec_need(&s->woff, (size_t)s->nw + 1))) {
		k->stop = k->oom = 1;
		return;
	}
	((int32_t *)s->w.p)[s->nw] = c;
	if (k->fn)
		((size_t *)s->woff.p)[s->nw] = off;
	s->nw++;
	if (c >= 0x80)
		s->ascii = 0;
}

/* Literal special token at text[i]? Its index, or -1. */
static inline int match_special(const tokenizer *t, const char *text, size_t len, size_t i)
{
	for (int j = 0; j < t->nsp; j++)
		if ((size_t)t->sp[j].len <= len - i && !memcmp(text + i, t->sp[j].s, (size_t)t->sp[j].len))
			return j;
	return -1;
}

/* ASCII character classes from t->clean. */
static void set_aclass(tokenizer *t)
{
	for (int c = 0; c < 128; c++) {
		unsigned char a = AC_OTHER;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			a = AC_SPACE;
		else if (c < 32 || c == 127)
			a = !t->clean ? (c == 0x0b || c == 0x0c ? AC_SPACE : AC_OTHER) : AC_DROP;
		else if (is_punct(c))
			a = AC_PUNCT;
		t->aclass[c] = a;
	}
}

/* The whole pipeline over text, into k. */
static void run(const tokenizer *t, const char *text, size_t len, sink *k)
{
	const unsigned char *u = (const unsigned char *)text;
	scratch s;
	size_t i = 0;
	if (scratch_init(&s, t)) {
		k->stop = k->oom = 1;
		scratch_free(&s);
		return;
	}
	while (i < len && !k->stop) {
		unsigned c = u[i];
		int32_t cp;
		size_t kl;
		if (t->spfirst[c]) {
			int j = match_special(t, text, len, i);
			if (j >= 0) {
				flush_word(t, &s, k);
				if (k->stop)
					break;
				if (k->fn) {
					k->fn(t->sp[j].s, (size_t)t->sp[j].len, i, k->ctx);
					k->n++;
				} else
					emit(k, t->sp[j].id);
				i += (size_t)t->sp[j].len;
				continue;
			}
		}
		if (c < 0x80) {
			switch (t->aclass[c]) {
			case AC_DROP:
				break;
			case AC_SPACE:
				flush_word(t, &s, k);
				break;
			default:
				push_char(&s, k, (int32_t)c, i);
			}
			i++;
			continue;
		}
		cp = utf8_next(u + i, len - i, &kl);
		{
			int cat = utf8proc_category(cp);
			if (t->clean && (cp == 0xFFFD || cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF))
				;
			else if (cat == UTF8PROC_CATEGORY_ZS || cp == 0x2028 || cp == 0x2029 ||
				 (!t->clean && cp == 0x85))
				flush_word(t, &s, k);
			else if (t->chinese && is_cjk(cp)) {
				flush_word(t, &s, k);
				push_char(&s, k, cp, i);
				flush_word(t, &s, k);
			} else
				push_char(&s, k, cp, i);
		}
		i += kl;
	}
	flush_word(t, &s, k);
	scratch_free(&s);
}

int tokenizer_tokenize(const tokenizer *t, const char *text, size_t len, int **ids)
{
	sink k = {0};
	*ids = NULL;
	if (len > INT_MAX)
		return -1;
	k.limit = INT_MAX;
	k.grow = 1;
	run(t, text, len, &k);
	if (k.oom) {
		free(k.ids);
		return -1;
	}
	if (!k.ids) {
		k.ids = malloc(sizeof(int));
		if (!k.ids)
			return -1;
	}
	*ids = k.ids;
	return k.n;
}

int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int *ids, int max_len, int *truncated)
{
	sink k = {0};
	if (truncated)
		*truncated = 0;
	if (max_len < 2 || len > INT_MAX)
		return -1;
	ids[0] = t->cls;
	k.ids = ids + 1;
	k.cap = k.limit = max_len - 2;
	run(t, text, len, &k);
	if (k.oom)
		return -1;
	ids[k.n + 1] = t->sep;
	if (truncated)
		*truncated = k.truncated;
	return k.n + 2;
}

int tokenizer_words(const tokenizer *t, const char *text, size_t len, tokenizer_word_fn fn, void *ctx)
{
	sink k = {0};
	if (len > INT_MAX)
		return -1;
	k.limit = INT_MAX;
	k.fn = fn;
	k.ctx = ctx;
	run(t, text, len, &k);
	return k.oom ? -1 : k.n;
}

int tokenizer_basic_words(const char *text, size_t len, int lowercase, tokenizer_word_fn fn, void *ctx)
{
	tokenizer t;
	sink k = {0};
	if (len > INT_MAX)
		return -1;
	memset(&t, 0, sizeof t);
	t.lower = t.strip = !!lowercase;
	t.chinese = t.clean = 1;
	t.max_chars = 100;
	set_aclass(&t);
	k.limit = INT_MAX;
	k.fn = fn;
	k.ctx = ctx;
	k.norm = 1;
	run(&t, text, len, &k);
	return k.oom ? -1 : k.n;
}

/* ---- accessors ---- */

int tokenizer_vocab_size(const tokenizer *t) { return t->n; }
int tokenizer_lowercase(const tokenizer *t) { return t->lower; }
int tokenizer_strip_accents(const tokenizer *t) { return t->strip; }
int tokenizer_cls_id(const tokenizer *t) { return t->cls; }
int tokenizer_sep_id(const tokenizer *t) { return t->sep; }
int tokenizer_pad_id(const tokenizer *t) { return t->pad; }
int tokenizer_unk_id(const tokenizer *t) { return t->unk; }
int tokenizer_mask_id(const tokenizer *t) { return t->mask; }
int tokenizer_model_max_length(const tokenizer *t) { return t->model_max; }

const char *tokenizer_token(const tokenizer *t, int id)
{
	return id >= 0 && id < t->n ? t->tok[id] : NULL;
}

int tokenizer_token_id(const tokenizer *t, const char *token)
{
	size_t n = strlen(token);
	return h_find(t, 0, token, n, h_bytes(0, token, n));
}

void tokenizer_free(tokenizer *t)
{
	if (!t)
		return;
	free(t->tok);
	free(t->len);
	free(t->arena);
	free(t->hkey);
	free(t->hval);
	for (int i = 0; i < t->nsp; i++)
		free(t->sp[i].s);
	free(t->sp);
	free(t);
}

/* ---- building ---- */

/* Options gathered from files before the tokenizer is built. */
typedef struct opts {
	int lower;             /* 1 uncased */
	int strip;             /* -1: follow lower */
	int chinese, clean;
	int max_chars, model_max;
	char prefix[PREFIX_MAX + 1];
	char *unk, *cls, *sep, *pad, *mask;  /* token names (malloc'ed) */
	char **extra;          /* further literal special tokens */
	int nextra;
} opts;

static void opts_init(opts *o, int lower)
{
	memset(o, 0, sizeof *o);
	o->lower = lower;
	o->strip = -1;
	o->chinese = 1;
	o->clean = 1;
	o->max_chars = 100;
	strcpy(o->prefix, "##");
}

static int set_name(char **slot, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

static void opts_free(opts *o)
{
	free(o->unk);
	free(o->cls);
	free(o->sep);
	free(o->pad);
	free(o->mask);
	for (int i = 0; i < o->nextra; i++)
		free(o->extra[i]);
	free(o->extra);
}

static int add_extra(opts *o, const char *s)
{
	char **q = realloc(o->extra, (size_t)(o->nextra + 1) * sizeof *q);
	if (!q)
		return -1;
	o->extra = q;
	if (!(o->extra[o->nextra] = strdup(s)))
		return -1;
	o->nextra++;
	return 0;
}

static int add_special(tokenizer *t, const char *s)
{
	int id = tokenizer_token_id(t, s);
	struct special *q;
	if (id < 0 || !*s)
		return 0;
	for (int i = 0; i < t->nsp; i++)
		if (!strcmp(t->sp[i].s, s))
			return 0;
	q = realloc(t->sp, (size_t)(t->nsp + 1) * sizeof *q);
	if (!q)
		return -1;
	t->sp = q;
	if (!(q[t->nsp].s = strdup(s)))
		return -1;
	q[t->nsp].len = (int)strlen(s);
	q[t->nsp].id = id;
	t->nsp++;
	t->spfirst[(unsigned char)s[0]] = 1;
	return 0;
}

static int cmp_special(const void *a, const void *b)
{
	const struct special *x = a, *y = b;
	return (x->len < y->len) - (x->len > y->len);
}

/* Build from tokens[0..n) (index = id); takes nothing over. */
static tokenizer *build(const char *const *tokens, int n, opts *o, char *err, size_t errlen)
{
	tokenizer *t;
	size_t total = 0, cap = 16, off = 0;
	struct { const char *name, *what; int *id; } need[4];
	if (n <= 0) {
		seterr(err, errlen, "empty vocabulary");
		return NULL;
	}
	if (n > INT_MAX / 4) {
		seterr(err, errlen, "vocabulary too large");
		return NULL;
	}
	if (!(t = calloc(1, sizeof *t)))
		goto oom;
	t->n = n;
	for (int i = 0; i < n; i++) {
		if (!tokens[i]) {
			tokenizer_free(t);
			seterr(err, errlen, "vocabulary has no token with id %d", i);
			return NULL;
		}
		total += strlen(tokens[i]) + 1;
	}
	while (cap < 2 * (size_t)n * 2)
		cap *= 2;
	t->tok = malloc((size_t)n * sizeof *t->tok);
	t->len = malloc((size_t)n * sizeof *t->len);
	t->arena = malloc(total);
	t->hkey = calloc(cap, sizeof *t->hkey);
	t->hval = calloc(cap, sizeof *t->hval);
	if (!t->tok || !t->len || !t->arena || !t->hkey || !t->hval)
		goto oom;
	t->hmask = cap - 1;
	strcpy(t->prefix, o->prefix);
	t->plen = (int)strlen(t->prefix);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(tokens[i]);
		if (l > INT_MAX / 8) {
			tokenizer_free(t);
			seterr(err, errlen, "token %d too long", i);
			return NULL;
		}
		memcpy(t->arena + off, tokens[i], l + 1);
		t->tok[i] = t->arena + off;
		t->len[i] = (int)l;
		off += l + 1;
		if ((int)l > t->max_piece)
			t->max_piece = (int)l;
	}
	for (int i = 0; i < n; i++) {
		h_insert(t, 0, t->tok[i], (size_t)t->len[i], i);
		if (t->len[i] >= t->plen && !memcmp(t->tok[i], t->prefix, (size_t)t->plen))
			h_insert(t, 1, t->tok[i] + t->plen, (size_t)(t->len[i] - t->plen), i);
	}
	t->lower = !!o->lower;
	t->strip = o->strip < 0 ? t->lower : !!o->strip;
	t->chinese = !!o->chinese;
	t->clean = !!o->clean;
	t->max_chars = o->max_chars;
	t->model_max = o->model_max;
	need[0].name = o->unk ? o->unk : "[UNK]", need[0].id = &t->unk, need[0].what = "unknown";
	need[1].name = o->cls ? o->cls : "[CLS]", need[1].id = &t->cls, need[1].what = "classifier";
	need[2].name = o->sep ? o->sep : "[SEP]", need[2].id = &t->sep, need[2].what = "separator";
	need[3].name = o->pad ? o->pad : "[PAD]", need[3].id = &t->pad, need[3].what = "padding";
	for (int i = 0; i < 4; i++) {
		if ((*need[i].id = tokenizer_token_id(t, need[i].name)) < 0) {
			seterr(err, errlen, "vocabulary has no %s token %s", need[i].what, need[i].name);
			tokenizer_free(t);
			return NULL;
		}
		if (add_special(t, need[i].name))
			goto oom;
	}
	t->mask = tokenizer_token_id(t, o->mask ? o->mask : "[MASK]");
	if (add_special(t, o->mask ? o->mask : "[MASK]"))
		goto oom;
	for (int i = 0; i < o->nextra; i++)
		if (add_special(t, o->extra[i]))
			goto oom;
	if (t->nsp > 1)
		qsort(t->sp, (size_t)t->nsp, sizeof *t->sp, cmp_special);
	set_aclass(t);
	return t;
oom:
	tokenizer_free(t);
	seterr(err, errlen, "out of memory");
	return NULL;
}

tokenizer *tokenizer_from_tokens(const char *const *tokens, int n, int lowercase, char *err, size_t errlen)
{
	opts o;
	tokenizer *t;
	opts_init(&o, lowercase);
	t = build(tokens, n, &o, err, errlen);
	opts_free(&o);
	return t;
}

int tokenizer_write_vocab(const tokenizer *t, const char *path, char *err, size_t errlen)
{
	size_t n = 0;
	for (int i = 0; i < t->n; i++) {
		if (memchr(t->tok[i], '\n', (size_t)t->len[i]) || memchr(t->tok[i], '\r', (size_t)t->len[i])) {
			seterr(err, errlen, "%s: token %d contains a line break", path, i);
			return -1;
		}
		n += (size_t)t->len[i] + 1;
	}
	char *b = malloc(n ? n : 1), *q = b;
	if (!b) {
		seterr(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (int i = 0; i < t->n; i++) {
		memcpy(q, t->tok[i], (size_t)t->len[i]);
		q += t->len[i];
		*q++ = '\n';
	}
	char e[256];
	int rc = atomic_write_file(path, b, n, e, sizeof e);
	if (rc)
		seterr(err, errlen, "%s: %s", path, e);
	free(b);
	return rc;
}

int tokenizer_save(const tokenizer *t, const char *dir, int max_length, char *err, size_t errlen)
{
	char *vp = path_join(dir, "vocab.txt"), *cp = path_join(dir, "tokenizer_config.json");
	int rc = -1;
	if (!vp || !cp)
		seterr(err, errlen, "out of memory");
	else if (!tokenizer_write_vocab(t, vp, err, errlen)) {
		jv c = jv_object();
		c = jv_object_set(c, jv_string("do_lower_case"), jv_bool(t->lower));
		if (t->strip != t->lower)
			c = jv_object_set(c, jv_string("strip_accents"), jv_bool(t->strip));
		c = jv_object_set(c, jv_string("model_max_length"), jv_number(max_length));
		c = jv_object_set(c, jv_string("tokenizer_class"), jv_string("BertTokenizer"));
		jv s = jv_dump_string(c, JV_PRINT_PRETTY | JV_PRINT_INDENT_FLAGS(2) | JV_PRINT_SORTED);
		const char *txt = jv_string_value(s);
		const void *bufs[2] = {txt, "\n"};
		size_t lens[2] = {strlen(txt), 1};
		char e[256];
		rc = atomic_write(cp, bufs, lens, 2, e, sizeof e);
		if (rc)
			seterr(err, errlen, "%s: %s", cp, e);
		jv_free(s);
	}
	free(vp);
	free(cp);
	return rc;
}

/* ---- files ---- */


/* vocab.txt: split buf in place into lines (universal newlines, as Python's
 * text mode reads it); *lines is malloc'ed and points into buf. */
static int split_lines(char *buf, size_t n, char ***lines, int *nl)
{
	size_t cap = 1024;
	int m = 0;
	char **l = malloc(cap * sizeof *l), *p = buf, *end = buf + n;
	if (!l)
		return -1;
	while (p < end) {
		char *e = p;
		while (e < end && *e != '\n' && *e != '\r')
			e++;
		if ((size_t)m == cap) {
			char **q;
			if (m > INT_MAX / 4 || !(q = realloc(l, 2 * cap * sizeof *l))) {
				free(l);
				return -1;
			}
			l = q;
			cap *= 2;
		}
		l[m++] = p;
		if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
			*e++ = 0;
		if (e < end)
			*e++ = 0;
		p = e;
	}
	*lines = l;
	*nl = m;
	return 0;
}

static tokenizer *load_vocab_opts(const char *path, opts *o, char *err, size_t errlen)
{
	size_t n;
	char *buf = file_read(path, 0, &n), **lines = NULL;
	int nl = 0;
	tokenizer *t;
	if (!buf) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (memchr(buf, 0, n)) {
		free(buf);
		seterr(err, errlen, "%s: not a vocabulary (NUL byte)", path);
		return NULL;
	}
	if (split_lines(buf, n, &lines, &nl)) {
		free(buf);
		seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	t = build((const char *const *)lines, nl, o, err, errlen);
	if (!t && err && errlen) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", err);
		seterr(err, errlen, "%s: %s", path, msg);
	}
	free(lines);
	free(buf);
	return t;
}

tokenizer *tokenizer_load_vocab(const char *vocab_path, int lowercase, char *err, size_t errlen)
{
	opts o;
	tokenizer *t;
	opts_init(&o, lowercase);
	t = load_vocab_opts(vocab_path, &o, err, errlen);
	opts_free(&o);
	return t;
}

/* Parse a JSON file; 1 and *v on success, 0 if it does not exist, -1 with a
 * message on error. */
static int load_json(const char *path, jv *v, char *err, size_t errlen)
{
	size_t n;
	char *buf = file_read(path, 0, &n);
	if (!buf) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (n > INT_MAX) {
		free(buf);
		seterr(err, errlen, "%s: too large", path);
		return -1;
	}
	*v = jv_parse_sized(buf, (int)n);
	free(buf);
	if (!jv_is_valid(*v)) {
		jv msg = jv_invalid_get_msg(*v);
		seterr(err, errlen, "%s: %s", path,
		       jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid JSON");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(*v) != JV_KIND_OBJECT) {
		jv_free(*v);
		seterr(err, errlen, "%s: not a JSON object", path);
		return -1;
	}
	return 1;
}

/* obj[key] (obj not consumed); JV_KIND_NULL when absent. */
static jv get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

/* A boolean option: 1/0 stored, -2 absent/null (left alone), -1 wrong kind. */
static int get_bool(jv obj, const char *key, int *out)
{
	jv v = get(obj, key);
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_NULL)
		return -2;
	if (k != JV_KIND_TRUE && k != JV_KIND_FALSE)
		return -1;
	*out = k == JV_KIND_TRUE;
	return 0;
}

/* A token name: a string or {"content": string}; 1 if set, 0 if absent, -1 bad. */
static int get_token_name(jv obj, const char *key, char **slot)
{
	jv v = get(obj, key);
	int r = 0;
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv c = get(v, "content");
		jv_free(v);
		v = c;
	}
	if (jv_get_kind(v) == JV_KIND_STRING)
		r = set_name(slot, jv_string_value(v)) ? -1 : 1;
	else if (jv_get_kind(v) != JV_KIND_NULL)
		r = -1;
	jv_free(v);
	return r;
}

/* model_max_length of tokenizer_config.json; 0 if absent or a placeholder
 * (transformers writes a huge number when there is no limit). */
static int get_model_max(jv c)
{
	jv v = get(c, "model_max_length");
	int r = 0;
	if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 1 && jv_number_value(v) <= 1e6)
		r = (int)jv_number_value(v);
	jv_free(v);
	return r;
}

/* Special token names and options of tokenizer_config.json or
 * special_tokens_map.json. full: also the normaliser options. */
static int read_config(jv c, opts *o, int full, const char *path, char *err, size_t errlen)
{
	static const char *keys[] = {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token"};
	char **slots[] = {&o->unk, &o->cls, &o->sep, &o->pad, &o->mask};
	jv v;
	if (full) {
		int b;
		if (get_bool(c, "do_lower_case", &o->lower) == -1 ||
		    get_bool(c, "tokenize_chinese_chars", &o->chinese) == -1) {
			seterr(err, errlen, "%s: do_lower_case / tokenize_chinese_chars: expected a boolean", path);
			return -1;
		}
		if ((b = get_bool(c, "strip_accents", &o->strip)) == -1) {
			seterr(err, errlen, "%s: strip_accents: expected a boolean or null", path);
			return -1;
		}
		if (get_model_max(c))
			o->model_max = get_model_max(c);
	}
	for (int i = 0; i < 5; i++)
		if (get_token_name(c, keys[i], slots[i]) < 0) {
			seterr(err, errlen, "%s: %s: expected a string", path, keys[i]);
			return -1;
		}
	v = get(c, "additional_special_tokens");
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(v));
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			jv s = jv_get_kind(e) == JV_KIND_OBJECT ? get(e, "content") : jv_copy(e);
			int bad = jv_get_kind(s) == JV_KIND_STRING && add_extra(o, jv_string_value(s));
			jv_free(s);
			jv_free(e);
			if (bad) {
				jv_free(v);
				seterr(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	jv_free(v);
	return 0;
}


/* Kind name for messages. */
static const char *type_of(jv obj)
{
	jv v = get(obj, "type");
	static const char *none = "(none)";
	const char *r = none;
	/* jv strings die with v: only compare against known names. */
	if (jv_get_kind(v) == JV_KIND_STRING) {
		static const char *known[] = {"BertNormalizer", "BertPreTokenizer", "WordPiece",
					      "TemplateProcessing", "BertProcessing"};
		r = "other";
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (!strcmp(jv_string_value(v), known[i]))
				r = known[i];
	}
	jv_free(v);
	return r;
}

/* tokenizer.json (already parsed) into tokens + opts. */
static tokenizer *from_tokenizer_json(jv j, opts *o, const char *path, char *err, size_t errlen)
{
	jv model = get(j, "model"), vocab = get(model, "vocab"), norm = get(j, "normalizer");
	jv pre = get(j, "pre_tokenizer"), post = get(j, "post_processor"), added = get(j, "added_tokens");
	jv v;
	const char **tokens = NULL;
	char **owned = NULL;
	int n = 0, nadd = 0;
	tokenizer *t = NULL;
	const char *ty;
#define BAD(...) do { seterr(err, errlen, __VA_ARGS__); goto out; } while (0)
	if (jv_get_kind(model) != JV_KIND_OBJECT || jv_get_kind(vocab) != JV_KIND_OBJECT)
		BAD("%s: no model.vocab object", path);
	ty = type_of(model);
	if (strcmp(ty, "WordPiece") && strcmp(ty, "(none)"))
		BAD("%s: model type is not WordPiece", path);
	if (get_token_name(model, "unk_token", &o->unk) < 0)
		BAD("%s: model.unk_token: expected a string", path);
	v = get(model, "continuing_subword_prefix");
	if (jv_get_kind(v) == JV_KIND_STRING) {
		if (strlen(jv_string_value(v)) > PREFIX_MAX) {
			jv_free(v);
			BAD("%s: continuing_subword_prefix too long", path);
		}
		strcpy(o->prefix, jv_string_value(v));
	}
	jv_free(v);
	v = get(model, "max_input_chars_per_word");
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (!(d >= 0 && d <= MAX_CHARS_LIMIT) || d != (int)d) {
			jv_free(v);
			BAD("%s: max_input_chars_per_word out of range (0..%d)", path, MAX_CHARS_LIMIT);
		}
		o->max_chars = (int)d;
	}
	jv_free(v);
	if (jv_get_kind(norm) != JV_KIND_NULL) {
		if (strcmp(type_of(norm), "BertNormalizer"))
			BAD("%s: unsupported normalizer (only BertNormalizer)", path);
		if (get_bool(norm, "lowercase", &o->lower) == -1 || get_bool(norm, "clean_text", &o->clean) == -1 ||
		    get_bool(norm, "handle_chinese_chars", &o->chinese) == -1 ||
		    get_bool(norm, "strip_accents", &o->strip) == -1)
			BAD("%s: normalizer options: expected booleans", path);
	} else {
		o->lower = 0;
		o->clean = 0;
		o->chinese = 0;
		o->strip = 0;
	}
	if (jv_get_kind(pre) == JV_KIND_NULL || strcmp(type_of(pre), "BertPreTokenizer"))
		BAD("%s: unsupported pre_tokenizer (only BertPreTokenizer)", path);

	/* Vocabulary: ids 0..n-1, each exactly once, added tokens included. */
	jv_object_foreach(vocab, key, val) {
		double d = jv_get_kind(val) == JV_KIND_NUMBER ? jv_number_value(val) : -1;
		jv_free(key);
		jv_free(val);
		if (!(d >= 0 && d < INT_MAX / 4) || d != (int)d)
			BAD("%s: model.vocab: ids must be integers >= 0", path);
		if ((int)d + 1 > n)
			n = (int)d + 1;
	}
	if (jv_get_kind(added) == JV_KIND_ARRAY) {
		nadd = jv_array_length(jv_copy(added));
		for (int i = 0; i < nadd; i++) {
			jv a = jv_array_get(jv_copy(added), i), id = get(a, "id"), c = get(a, "content");
			double d = jv_get_kind(id) == JV_KIND_NUMBER ? jv_number_value(id) : -1;
			int ok = jv_get_kind(c) == JV_KIND_STRING;
			jv_free(a);
			jv_free(id);
			jv_free(c);
			if (!ok || !(d >= 0 && d < INT_MAX / 4) || d != (int)d)
				BAD("%s: added_tokens: each needs an integer id and a string content", path);
			if ((int)d + 1 > n)
				n = (int)d + 1;
		}
	}
	if (!n)
		BAD("%s: empty vocabulary", path);
	tokens = calloc((size_t)n, sizeof *tokens);
	owned = calloc((size_t)n, sizeof *owned);
	if (!tokens || !owned)
		BAD("out of memory");
	jv_object_foreach(vocab, key, val) {
		int id = (int)jv_number_value(val);
		char *s = strdup(jv_string_value(key));
		jv_free(key);
		jv_free(val);
		if (!s)
			BAD("out of memory");
		if (owned[id]) {
			free(s);
			BAD("%s: model.vocab: id %d used twice", path, id);
		}
		owned[id] = s;
	}
	for (int i = 0; i < nadd; i++) {
		jv a = jv_array_get(jv_copy(added), i), c = get(a, "content");
		jv jid = get(a, "id");
		int id = (int)jv_number_value(jid), bad = 0;
		jv_free(jid);
		if (!owned[id]) {
			if (!(owned[id] = strdup(jv_string_value(c))))
				bad = 1;
		} else if (strcmp(owned[id], jv_string_value(c)))
			bad = 2;
		if (!bad && add_extra(o, jv_string_value(c)))
			bad = 1;
		jv_free(a);
		jv_free(c);
		if (bad == 1)
			BAD("out of memory");
		if (bad == 2)
			BAD("%s: added token %d differs from the vocabulary's", path, id);
	}
	for (int i = 0; i < n; i++) {
		if (!owned[i])
			BAD("%s: vocabulary has no token with id %d", path, i);
		tokens[i] = owned[i];
	}

	/* [CLS] and [SEP] from the post-processor. */
	ty = type_of(post);
	if (!strcmp(ty, "BertProcessing")) {
		jv c = get(post, "cls"), s = get(post, "sep");
		jv c0 = jv_get_kind(c) == JV_KIND_ARRAY ? jv_array_get(jv_copy(c), 0) : jv_null();
		jv s0 = jv_get_kind(s) == JV_KIND_ARRAY ? jv_array_get(jv_copy(s), 0) : jv_null();
		int bad = 0;
		if (jv_get_kind(c0) == JV_KIND_STRING)
			bad |= set_name(&o->cls, jv_string_value(c0));
		if (jv_get_kind(s0) == JV_KIND_STRING)
			bad |= set_name(&o->sep, jv_string_value(s0));
		jv_free(c);
		jv_free(s);
		jv_free(c0);
		jv_free(s0);
		if (bad)
			BAD("out of memory");
	} else if (!strcmp(ty, "TemplateProcessing")) {
		/* single: [SpecialToken A] Sequence [SpecialToken B] */
		jv single = get(post, "single");
		int m = jv_get_kind(single) == JV_KIND_ARRAY ? jv_array_length(jv_copy(single)) : 0, bad = 0;
		for (int i = 0; i < m; i += m - 1 > 0 ? m - 1 : 1) {
			jv e = jv_array_get(jv_copy(single), i), st = get(e, "SpecialToken"), id = get(st, "id");
			if (jv_get_kind(id) == JV_KIND_STRING)
				bad |= set_name(i == 0 ? &o->cls : &o->sep, jv_string_value(id));
			jv_free(e);
			jv_free(st);
			jv_free(id);
		}
		jv_free(single);
		if (bad)
			BAD("out of memory");
	} else if (strcmp(ty, "(none)"))
		BAD("%s: unsupported post_processor", path);
	v = get(j, "padding");
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv p = get(v, "pad_token");
		int bad = jv_get_kind(p) == JV_KIND_STRING && set_name(&o->pad, jv_string_value(p));
		jv_free(p);
		if (bad) {
			jv_free(v);
			BAD("out of memory");
		}
	}
	jv_free(v);
	v = get(j, "truncation");
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv m = get(v, "max_length");
		if (jv_get_kind(m) == JV_KIND_NUMBER && jv_number_value(m) >= 1 && jv_number_value(m) <= 1e6)
			o->model_max = (int)jv_number_value(m);
		jv_free(m);
	}
	jv_free(v);
	t = build(tokens, n, o, err, errlen);
	if (!t && err && errlen) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", err);
		seterr(err, errlen, "%s: %s", path, msg);
	}
out:
#undef BAD
	if (owned)
		for (int i = 0; i < n; i++)
			free(owned[i]);
	free(owned);
	free(tokens);
	jv_free(model);
	jv_free(vocab);
	jv_free(norm);
	jv_free(pre);
	jv_free(post);
	jv_free(added);
	return t;
}

tokenizer *tokenizer_load_dir(const char *dir, char *err, size_t errlen)
{
	char *tj = path_join(dir, "tokenizer.json"), *vt = path_join(dir, "vocab.txt");
	char *tc = path_join(dir, "tokenizer_config.json"), *sm = path_join(dir, "special_tokens_map.json");
	jv j = jv_null(), cfg = jv_null(), map = jv_null();
	int hj = 0, hc = 0, hm = 0;
	tokenizer *t = NULL;
	opts o;
	opts_init(&o, 1);
	if (!tj || !vt || !tc || !sm) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if ((hc = load_json(tc, &cfg, err, errlen)) < 0 || (hj = load_json(tj, &j, err, errlen)) < 0)
		goto out;
	if (hj) {
		t = from_tokenizer_json(j, &o, tj, err, errlen);
		if (t && hc) {
			/* BertTokenizerFast: tokenizer_config.json overrides the normaliser. */
			int b;
			if (get_bool(cfg, "do_lower_case", &b) == 0)
				t->lower = b;
			if (get_bool(cfg, "tokenize_chinese_chars", &b) == 0)
				t->chinese = b;
			if (get_bool(cfg, "strip_accents", &b) == 0)
				t->strip = b;
			else if (get_bool(cfg, "do_lower_case", &b) == 0)
				t->strip = b;
			if (!t->model_max)
				t->model_max = get_model_max(cfg);
		}
		goto out;
	}
	if ((hm = load_json(sm, &map, err, errlen)) < 0)
		goto out;
	if (hc && read_config(cfg, &o, 1, tc, err, errlen))
		goto out;
	if (hm && read_config(map, &o, 0, sm, err, errlen))
		goto out;
	if (access(vt, F_OK)) {
		seterr(err, errlen, "%s: no tokenizer.json or vocab.txt", dir);
		goto out;
	}
	t = load_vocab_opts(vt, &o, err, errlen);
out:
	if (hj > 0)
		jv_free(j);
	if (hc > 0)
		jv_free(cfg);
	if (hm > 0)
		jv_free(map);
	opts_free(&o);
	free(tj);
	free(vt);
	free(tc);
	free(sm);
	return t;
}
