/* test_wordpiece.c — WordPiece vocabulary learning (lib/wordvec/wordpiece.h):
 * a hand-worked example, the fast learner against a naive twin (recount
 * every pair after every merge) on a few hundred words, and the tokenizer
 * reading the result: every training word splits without [UNK]. */
#include "t.h"
#include "nn/tokenizer.h"
#include "base/rng.h"
#include "wordvec/vectors.h"
#include "wordvec/wordpiece.h"

static char err[256];

/* ---- the naive twin: strings, a full recount per merge ------------------ */
typedef struct nword { char **sym; int n; int64_t count; } nword;

static char *cat(const char *a, const char *b)
{
	const char *bb = b[0] == '#' && b[1] == '#' ? b + 2 : b;
	char *s = malloc(strlen(a) + strlen(bb) + 1);
	strcpy(s, a);
	strcat(s, bb);
	return s;
}

/* words are lowercase ASCII letters here, so characters are bytes */
static char **naive(const char *const *words, const int64_t *counts, int nwords, int size, int *nt)
{
	nword *w = calloc((size_t)nwords, sizeof *w);
	char **tok = malloc((size_t)(size + 64 * 2 + 5) * sizeof *tok);
	const char *sp[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
	int n = 0;
	for (int i = 0; i < 5; i++)
		tok[n++] = strdup(sp[i]);
	int seen[256] = {0};
	for (int i = 0; i < nwords; i++) {
		int len = (int)strlen(words[i]);
		w[i].sym = malloc((size_t)len * sizeof *w[i].sym);
		w[i].n = len;
		w[i].count = counts[i];
		for (int k = 0; k < len; k++) {
			char b[4] = "##";
			b[2] = words[i][k];
			w[i].sym[k] = strdup(k ? b : b + 2);
			seen[(unsigned char)words[i][k]] = 1;
		}
	}
	for (int c = 0; c < 256; c++)
		if (seen[c]) {
			char b[4] = "##";
			b[2] = (char)c;
			tok[n++] = strdup(b + 2);
			tok[n++] = strdup(b);
		}
	while (n < size) {
		/* best pair: count, then first symbol, then second, byte order */
		const char *ba = NULL, *bb = NULL;
		int64_t bc = 0;
		for (int i = 0; i < nwords; i++)
			for (int k = 0; k + 1 < w[i].n; k++) {
				const char *a = w[i].sym[k], *b = w[i].sym[k + 1];
				int64_t c = 0;
				for (int j = 0; j < nwords; j++)
					for (int q = 0; q + 1 < w[j].n; q++)
						if (!strcmp(w[j].sym[q], a) && !strcmp(w[j].sym[q + 1], b))
							c += w[j].count;   /* every adjacent pair, overlaps too */
				int better = c > bc || (c == bc && c > 0 &&
				             (strcmp(a, ba) < 0 || (!strcmp(a, ba) && strcmp(b, bb) < 0)));
				if (better)
					ba = a, bb = b, bc = c;
			}
		if (!ba)
			break;
		char *a = strdup(ba), *b = strdup(bb), *m = cat(a, b);
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= !strcmp(tok[i], m);
		if (!dup)
			tok[n++] = strdup(m);
		for (int i = 0; i < nwords; i++) {
			int o = 0;
			for (int k = 0; k < w[i].n; k++) {
				if (k + 1 < w[i].n && !strcmp(w[i].sym[k], a) && !strcmp(w[i].sym[k + 1], b)) {
					free(w[i].sym[k]);
					free(w[i].sym[k + 1]);
					w[i].sym[o++] = strdup(m);
					k++;
				} else
					w[i].sym[o++] = w[i].sym[k];
			}
			w[i].n = o;
		}
		free(a), free(b), free(m);
	}
	for (int i = 0; i < nwords; i++) {
		for (int k = 0; k < w[i].n; k++)
			free(w[i].sym[k]);
		free(w[i].sym);
	}
	free(w);
	*nt = n;
	return tok;
}

/* ---- tests ------------------------------------------------------------ */

static void test_hand_example(void)
{
	/* low 5, lower 2, newest 6, widest 3: (##e,##s) and (##s,##t) both 9,
	 * "##e" < "##s" -> ##es; then ##est (9); then (l,##o) and (##o,##w) both
	 * 7, "##o" < "l" ('#' < 'l') -> ##ow; then low (7) */
	const char *words[] = {"low", "lower", "newest", "widest"};
	int64_t counts[] = {5, 2, 6, 3};
	int nt = 0;
	char **t = wordpiece_learn(words, counts, 4, 5 + 2 * 10 + 4, 1, &nt, err, sizeof err);
	T_ASSERT(t);
	T_EQ_INT(nt, 29);
	T_EQ_STR(t[0], "[PAD]");
	T_EQ_STR(t[4], "[MASK]");
	T_EQ_STR(t[5], "d");       /* the characters d e i l n o r s t w, each twice */
	T_EQ_STR(t[6], "##d");
	T_EQ_STR(t[23], "w");
	T_EQ_STR(t[24], "##w");
	T_EQ_STR(t[25], "##es");
	T_EQ_STR(t[26], "##est");
	T_EQ_STR(t[27], "##ow");
	T_EQ_STR(t[28], "low");
	vocab_free(t, nt);
	/* an upper bound larger than there is to merge stops when no pair is left */
	t = wordpiece_learn(words, counts, 4, 1000, 1, &nt, err, sizeof err);
	T_ASSERT(t && nt < 1000);
	int whole = 0;
	for (int i = 0; i < nt; i++)
		whole += !strcmp(t[i], "newest") || !strcmp(t[i], "widest") || !strcmp(t[i], "lower");
	T_EQ_INT(whole, 3);
	vocab_free(t, nt);
}

static void test_against_naive(void)
{
	rng r;
	rng_seed(&r, 5);
	enum { NW = 300 };
	char *words[NW];
	int64_t counts[NW];
	const char *parts[] = {"re", "un", "play", "ing", "ed", "s", "er", "walk", "talk", "able",
	                       "a", "b", "o", "th", "e", "ly", "qu", "x"};
	for (int i = 0; i < NW; i++) {
		char buf[64] = "";
		int np = 1 + (int)rng_below(&r, 4);
		for (int k = 0; k < np; k++)
			strcat(buf, parts[rng_below(&r, sizeof parts / sizeof *parts)]);
		words[i] = strdup(buf);
		counts[i] = 1 + (int64_t)rng_below(&r, 50);
	}
	/* the naive twin needs distinct words (the learner sums repeats itself) */
	int64_t given[NW];
	memcpy(given, counts, sizeof given);
	for (int i = 0; i < NW; i++)
		for (int j = 0; j < i; j++)
			if (counts[j] && !strcmp(words[i], words[j])) {
				counts[j] += counts[i];
				counts[i] = 0;
				break;
			}
	const char *dw[NW];
	int64_t dc[NW];
	int nd = 0;
	for (int i = 0; i < NW; i++)
		if (counts[i]) {
			dw[nd] = words[i];
			dc[nd++] = counts[i];
		}
	for (int size = 60; size <= 180; size += 60) {
		int n1 = 0, n2 = 0;
		char **a = wordpiece_learn((const char *const *)words, given, NW, size, 1, &n1, err, sizeof err);
		char **b = naive(dw, dc, nd, size, &n2);
		T_ASSERT(a && b);
		T_EQ_INT(n1, n2);
		for (int i = 0; i < n1 && i < n2; i++)
			if (strcmp(a[i], b[i]))
				T_FAIL("size %d: token %d is %s, the naive twin says %s", size, i, a[i], b[i]);
		/* every word has a split without [UNK] */
		tokenizer *tk = tokenizer_from_tokens((const char *const *)a, n1, 1, err, sizeof err);
		T_ASSERT(tk);
		for (int i = 0; i < nd; i++) {
			int ids[64];
			int n = tokenizer_encode(tk, dw[i], strlen(dw[i]), ids, 64, NULL);
			T_ASSERT(n >= 3);
			for (int k = 1; k < n - 1; k++)
				if (ids[k] == 1)
					T_FAIL("%s has an [UNK] piece", dw[i]);
		}
		tokenizer_free(tk);
		vocab_free(a, n1);
		vocab_free(b, n2);
	}
	for (int i = 0; i < NW; i++)
		free(words[i]);
}

/* basic tokenization first: punctuation apart, accents stripped, case folded */
static void test_basic_words(void)
{
	const char *words[] = {"Don't", "CAFÉ", "café"};
	int64_t counts[] = {3, 1, 1};
	int nt = 0;
	char **t = wordpiece_learn(words, counts, 3, 200, 1, &nt, err, sizeof err);
	T_ASSERT(t);
	int cafe = 0, dont = 0, apos = 0, upper = 0;
	for (int i = 5; i < nt; i++) {
		cafe += !strcmp(t[i], "cafe");
		dont += !strcmp(t[i], "don't");
		apos += !strcmp(t[i], "'");
		upper += t[i][0] >= 'A' && t[i][0] <= 'Z';
	}
	T_EQ_INT(cafe, 1);
	T_EQ_INT(dont, 0);
	T_EQ_INT(apos, 1);
	T_EQ_INT(upper, 0);
	vocab_free(t, nt);
	/* nothing to learn from */
	const char *none[] = {"", "   "};
	T_ASSERT(!wordpiece_learn(none, NULL, 2, 100, 1, &nt, err, sizeof err));
	T_ASSERT(strstr(err, "no word"));
}

int main(void)
{
	T_RUN(test_hand_example);
	T_RUN(test_against_naive);
	T_RUN(test_basic_words);
	return t_done();
}
