/* wordpiece.c — WordPiece vocabulary learning by frequency merges (wordpiece.h). */
#include "wordvec/wordpiece.h"
#include "base/err.h"
#include "base/strmap.h"
#include "nn/tokenizer.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_WORD_CHARS 100

/* A pair of adjacent symbols and where it occurs. */
typedef struct pair {
	int a, b;
	int64_t count;
	int *words, nwords, cap;   /* words it occurred in (maybe stale, repeated) */
} pair;

typedef struct heap_ent {
	int64_t count;
	int pair;
} heap_ent;

typedef struct learner {
	strmap sym;                /* symbol strings -> ids */
	/* distinct words: symbols at w_off[i], w_len[i] of them (shrinks) */
	int *w_sym;
	size_t *w_off;
	int *w_len;
	int64_t *w_count;
	int *w_stamp;
	int nw;
	/* pairs: open addressing on (a,b) */
	pair *pairs;
	int npairs, pcap;
	int *slot;                 /* pair index + 1, or 0 */
	size_t nslot;              /* power of two */
	heap_ent *heap;
	size_t nheap, hcap;
	int oom;
} learner;

static uint64_t pair_hash(int a, int b)
{
	uint64_t z = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int grow_slots(learner *L)
{
	size_t n = L->nslot ? 2 * L->nslot : 1 << 16;
	int *s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (int i = 0; i < L->npairs; i++) {
		size_t h = pair_hash(L->pairs[i].a, L->pairs[i].b) & (n - 1);
		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = i + 1;
	}
	free(L->slot);
	L->slot = s;
	L->nslot = n;
	return 0;
}

/* Index of the pair (a,b), created with count 0 when absent; -1 when out of memory. */
static int pair_get(learner *L, int a, int b)
{
	if ((size_t)(L->npairs + 1) * 2 > L->nslot && grow_slots(L))
		return -1;
	size_t h = pair_hash(a, b) & (L->nslot - 1);
	while (L->slot[h]) {
		pair *p = &L->pairs[L->slot[h] - 1];
		if (p->a == a && p->b == b)
			return L->slot[h] - 1;
		h = (h + 1) & (L->nslot - 1);
	}
	if (L->npairs == L->pcap) {
		int cap = L->pcap ? 2 * L->pcap : 1 << 14;
		pair *np = realloc(L->pairs, (size_t)cap * sizeof *np);
		if (!np)
			return -1;
		L->pairs = np;
		L->pcap = cap;
	}
	pair *p = &L->pairs[L->npairs];
	memset(p, 0, sizeof *p);
	p->a = a;
	p->b = b;
	L->slot[h] = ++L->npairs;
	return L->npairs - 1;
}

/* x before y: the larger count; on a tie the pair whose first symbol, then
 * second symbol, comes first in byte order. */
static int heap_before(const learner *L, const heap_ent *x, const heap_ent *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	const pair *p = &L->pairs[x->pair], *q = &L->pairs[y->pair];
	if (p->a != q->a)
		return strcmp(strmap_key(&L->sym, p->a, NULL), strmap_key(&L->sym, q->a, NULL)) < 0;
	if (p->b != q->b)
		return strcmp(strmap_key(&L->sym, p->b, NULL), strmap_key(&L->sym, q->b, NULL)) < 0;
	return 0;
}

static void heap_push(learner *L, int64_t count, int pi)
{
	if (L->nheap == L->hcap) {
		size_t cap = L->hcap ? 2 * L->hcap : 1 << 16;
		heap_ent *h = realloc(L->heap, cap * sizeof *h);
		if (!h) {
			L->oom = 1;
			return;
		}
		L->heap = h;
		L->hcap = cap;
	}
	size_t i = L->nheap++;
	L->heap[i] = (heap_ent){count, pi};
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!heap_before(L, &L->heap[i], &L->heap[up]))
			break;
		heap_ent t = L->heap[i];
		L->heap[i] = L->heap[up];
		L->heap[up] = t;
		i = up;
	}
}

static heap_ent heap_pop(learner *L)
{
	heap_ent top = L->heap[0];
	L->heap[0] = L->heap[--L->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < L->nheap && heap_before(L, &L->heap[l], &L->heap[m]))
			m = l;
		if (r < L->nheap && heap_before(L, &L->heap[r], &L->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_ent t = L->heap[i];
		L->heap[i] = L->heap[m];
		L->heap[m] = t;
		i = m;
	}
	return top;
}

/* count of (a,b) += delta for word w; a positive change records w. The
 * pair is offered to the heap at its new count (entries whose count is no
 * longer the pair's are stale and skipped when popped). */
static void pair_add(learner *L, int a, int b, int64_t delta, int w)
{
	int pi = pair_get(L, a, b);
	if (pi < 0) {
		L->oom = 1;
		return;
	}
	pair *p = &L->pairs[pi];
	p->count += delta;
	if (delta > 0) {
		if (p->nwords == p->cap) {
			int cap = p->cap ? 2 * p->cap : 4;
			int *nw = realloc(p->words, (size_t)cap * sizeof *nw);
			if (!nw) {
				L->oom = 1;
				return;
			}
			p->words = nw;
			p->cap = cap;
		}
		if (!p->nwords || p->words[p->nwords - 1] != w)
			p->words[p->nwords++] = w;
	}
	if (p->count > 0)
		heap_push(L, p->count, pi);
}

/* Words: basic tokens of each input word, interned with summed counts. */
typedef struct collect {
	strmap *words;
	int64_t **counts;
	size_t *cap;
	int64_t add;
	int oom;
} collect;

static void on_word(const char *w, size_t len, size_t off, void *ctx)
{
	(void)off;
	collect *c = ctx;
	int id = strmap_intern(c->words, w, len);
	if (id < 0) {
		c->oom = 1;
		return;
	}
	if ((size_t)id >= *c->cap) {
		size_t cap = *c->cap ? 2 * *c->cap : 4096;
		int64_t *n = realloc(*c->counts, cap * sizeof *n);
		if (!n) {
			c->oom = 1;
			return;
		}
		memset(n + *c->cap, 0, (cap - *c->cap) * sizeof *n);
		*c->counts = n;
		*c->cap = cap;
	}
	(*c->counts)[id] += c->add;
}

static int cmp_i32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return (a > b) - (a < b);
}

char **wordpiece_learn(const char *const *words, const int64_t *counts, int nwords,
                       int vocab_size, int lowercase, int *ntokens, char *err, size_t errlen)
{
	static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
	learner L = {0};
	strmap wm;
	strmap_init(&wm);
	strmap_init(&L.sym);
	int64_t *wcount = NULL;
	size_t wcap = 0;
	char **tok = NULL;
	int nt = 0, tcap = 0, ok = 0;
	int32_t *chars = NULL;
	size_t nchars = 0;
	strmap invocab;            /* the tokens already in the vocabulary */
	strmap_init(&invocab);
	*ntokens = 0;

	collect c = {&wm, &wcount, &wcap, 0, 0};
	for (int i = 0; i < nwords && !c.oom; i++) {
		c.add = counts ? (counts[i] > 0 ? counts[i] : 1) : 1;
		if (tokenizer_basic_words(words[i], strlen(words[i]), lowercase, on_word, &c) < 0)
			c.oom = 1;
	}
	if (c.oom)
		goto oom;
	/* every distinct word as symbols: its characters, "##" after the first */
	L.nw = (int)wm.n;
	size_t total = 0;
	for (int w = 0; w < L.nw; w++) {
		size_t len;
		strmap_key(&wm, w, &len);
		total += len;
	}
	L.w_sym = malloc((total + 1) * sizeof *L.w_sym);
	L.w_off = malloc(((size_t)L.nw + 1) * sizeof *L.w_off);
	L.w_len = malloc(((size_t)L.nw + 1) * sizeof *L.w_len);
	L.w_count = malloc(((size_t)L.nw + 1) * sizeof *L.w_count);
	L.w_stamp = calloc((size_t)L.nw + 1, sizeof *L.w_stamp);
	chars = malloc((total + 1) * sizeof *chars);
	if (!L.w_sym || !L.w_off || !L.w_len || !L.w_count || !L.w_stamp || !chars)
		goto oom;
	size_t at = 0;
	for (int w = 0; w < L.nw; w++) {
		size_t len;
		const char *s = strmap_key(&wm, w, &len);
		L.w_off[w] = at;
		L.w_len[w] = 0;
		L.w_count[w] = wcount[w];
		utf8proc_ssize_t n = 0, k;
		for (size_t p = 0; p < len; p += (size_t)k, n++) {
			utf8proc_int32_t cp;
			k = utf8proc_iterate((const utf8proc_uint8_t *)s + p, (utf8proc_ssize_t)(len - p), &cp);
			if (k <= 0)
				break;
		}
		if (n == 0 || n > MAX_WORD_CHARS)
			continue;
		for (size_t p = 0, first = 1; p < len; p += (size_t)k, first = 0) {
			utf8proc_int32_t cp;
			k = utf8proc_iterate((const utf8proc_uint8_t *)s + p, (utf8proc_ssize_t)(len - p), &cp);
			if (k <= 0)
				break;
			char buf[8] = "##";
			memcpy(buf + 2, s + p, (size_t)k);
			int id = first ? strmap_intern(&L.sym, buf + 2, (size_t)k)
			               : strmap_intern(&L.sym, buf, (size_t)k + 2);
			if (id < 0)
				goto oom;
			L.w_sym[at++] = id;
			L.w_len[w]++;
			chars[nchars++] = cp;
		}
	}
	if (nchars == 0) {
		seterr(err, errlen, "no word with a character to learn from");
		goto done;
	}
	/* the vocabulary: specials, then each character as "c" and "##c" */
#define ADD(s, len) do { \
		if (nt == tcap) { \
			tcap = tcap ? 2 * tcap : 4096; \
			char **t_ = realloc(tok, (size_t)tcap * sizeof *t_); \
			if (!t_) goto oom; \
			tok = t_; \
		} \
		if (!(tok[nt] = malloc((len) + 1))) goto oom; \
		memcpy(tok[nt], (s), (len)); \
		tok[nt][len] = 0; \
		nt++; \
	} while (0)
	for (int i = 0; i < 5; i++)
		ADD(specials[i], strlen(specials[i]));
	qsort(chars, nchars, sizeof *chars, cmp_i32);
	for (size_t j = 0; j < nchars; j++) {
		if (j && chars[j] == chars[j - 1])
			continue;
		char buf[8] = "##";
		int k = (int)utf8proc_encode_char(chars[j], (utf8proc_uint8_t *)buf + 2);
		if (strmap_intern(&invocab, buf + 2, (size_t)k) < 0 || strmap_intern(&invocab, buf, (size_t)k + 2) < 0)
			goto oom;
		ADD(buf + 2, (size_t)k);
		ADD(buf, (size_t)k + 2);
	}
	/* the pairs of every word */
	for (int w = 0; w < L.nw && !L.oom; w++) {
		const int *s = L.w_sym + L.w_off[w];
		for (int i = 0; i + 1 < L.w_len[w]; i++)
			pair_add(&L, s[i], s[i + 1], L.w_count[w], w);
	}
	/* merges */
	int stamp = 0;
	while (nt < vocab_size && L.nheap && !L.oom) {
		heap_ent e = heap_pop(&L);
		pair *p = &L.pairs[e.pair];
		if (e.count != p->count || p->count <= 0)
			continue;   /* stale */
		int a = p->a, b = p->b;
		size_t la, lb;
		const char *sa = strmap_key(&L.sym, a, &la), *sb = strmap_key(&L.sym, b, &lb);
		size_t skip = lb >= 2 && sb[0] == '#' && sb[1] == '#' ? 2 : 0;
		char *merged = malloc(la + lb + 1);
		if (!merged)
			goto oom;
		memcpy(merged, sa, la);
		memcpy(merged + la, sb + skip, lb - skip);
		size_t lm = la + lb - skip;
		int cid = strmap_intern(&L.sym, merged, lm);
		if (cid >= 0 && strmap_find(&invocab, merged, lm) < 0) {
			if (strmap_intern(&invocab, merged, lm) < 0) {
				free(merged);
				goto oom;
			}
			ADD(merged, lm);
		}
		free(merged);
		if (cid < 0)
			goto oom;
		/* apply it in every word that has it (the list may hold stale
		 * entries and repeats: the stamp visits each word once) */
		stamp++;
		int nlist = p->nwords;
		int *list = p->words;
		p->words = NULL;
		p->nwords = p->cap = 0;
		for (int q = 0; q < nlist; q++) {
			int w = list[q];
			if (L.w_stamp[w] == stamp)
				continue;
			L.w_stamp[w] = stamp;
			int *s = L.w_sym + L.w_off[w], n = L.w_len[w];
			int64_t cnt = L.w_count[w];
			int o = 0;
			for (int i = 0; i < n; i++) {
				if (i + 1 < n && s[i] == a && s[i + 1] == b) {
					if (o > 0) {
						pair_add(&L, s[o - 1], a, -cnt, w);
						pair_add(&L, s[o - 1], cid, cnt, w);
					}
					if (i + 2 < n) {
						pair_add(&L, b, s[i + 2], -cnt, w);
						pair_add(&L, cid, s[i + 2], cnt, w);
					}
					pair_add(&L, a, b, -cnt, w);
					s[o++] = cid;
					i++;
				} else
					s[o++] = s[i];
			}
			L.w_len[w] = o;
		}
		free(list);
	}
	if (L.oom)
		goto oom;
#undef ADD
	ok = 1;
	goto done;
oom:
	seterr(err, errlen, "out of memory");
done:
	for (int i = 0; i < L.npairs; i++)
		free(L.pairs[i].words);
	free(L.pairs), free(L.slot), free(L.heap);
	free(L.w_sym), free(L.w_off), free(L.w_len), free(L.w_count), free(L.w_stamp);
	free(chars), free(wcount);
	strmap_free(&L.sym);
	strmap_free(&wm);
	strmap_free(&invocab);
	if (!ok) {
		for (int i = 0; i < nt; i++)
			free(tok[i]);
		free(tok);
		return NULL;
	}
	*ntokens = nt;
	return tok;
}
