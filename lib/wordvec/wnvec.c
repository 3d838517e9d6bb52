/* wnvec.c — word vectors from WordNet's hypernym graph and links (wnvec.h). */
#include "wordvec/wnvec.h"
#include "base/err.h"
#include "base/rng.h"
#include "base/strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wnvec_opts_init(wnvec_opts *o)
{
	o->dim = 128;
	o->decay = 0.5;
	o->seed = 1;
	o->inflect = 1;
}

/* The linked synsets that add half their direction. */
static int is_link(int kind)
{
	return kind == WN_SIMILAR || kind == WN_ALSO_SEE || kind == WN_DERIVED || kind == WN_ATTRIBUTE ||
	       kind == WN_VERB_GROUP;
}

/* u(s) for every synset: (nsyn, dim). */
static float *synset_vectors(const wordnet *wn, const wnvec_opts *o)
{
	uint32_t ns = wn_nsynsets(wn);
	int D = o->dim;
	float *R = malloc((size_t)ns * D * sizeof *R), *U = calloc((size_t)ns * D, sizeof *U);
	if (!R || !U) {
		free(R), free(U);
		return NULL;
	}
#pragma omp parallel for schedule(static)
	for (long s = 0; s < (long)ns; s++) {
		uint64_t key = rng_derive(o->seed, (uint64_t)s);
		for (int i = 0; i < D; i++)
			R[(size_t)s * D + i] = (float)rng_normal_at(key, (uint64_t)i);
	}
	double w[WNVEC_MAX_DEPTH + 1];
	w[0] = 1;
	for (int d = 1; d <= WNVEC_MAX_DEPTH; d++)
		w[d] = w[d - 1] * o->decay;
	int fail = 0;
#pragma omp parallel reduction(|:fail)
	{
		/* breadth-first over hypernym links: each ancestor once, at its
		 * shortest distance (stamp marks the synsets seen for s) */
		uint32_t *stamp = calloc(ns, sizeof *stamp), *queue = malloc(ns * sizeof *queue);
		uint8_t *dist = malloc(ns);
		if (!stamp || !queue || !dist)
			fail = 1;
#pragma omp for schedule(dynamic, 256)
		for (long s = 0; s < (long)ns; s++) {
			if (fail)
				continue;
			float *u = U + (size_t)s * D;
			uint32_t mark = (uint32_t)s + 1, head = 0, tail = 0;
			queue[tail++] = (uint32_t)s;
			stamp[s] = mark;
			dist[s] = 0;
			while (head < tail) {
				uint32_t a = queue[head++];
				const float *r = R + (size_t)a * D;
				float wa = (float)w[dist[a]];
				for (int i = 0; i < D; i++)
					u[i] += wa * r[i];
				if (dist[a] == WNVEC_MAX_DEPTH)
					continue;
				const wn_synset *sa = wn_synset_at(wn, a);
				for (uint32_t p = 0; p < sa->nptrs; p++) {
					const wn_ptr *q = wn_ptr_at(wn, sa->ptr0 + p);
					if ((q->kind != WN_HYPERNYM && q->kind != WN_INST_HYPERNYM) || stamp[q->target] == mark)
						continue;
					stamp[q->target] = mark;
					dist[q->target] = (uint8_t)(dist[a] + 1);
					queue[tail++] = q->target;
				}
			}
			const wn_synset *ss = wn_synset_at(wn, (uint32_t)s);
			for (uint32_t p = 0; p < ss->nptrs; p++) {
				const wn_ptr *q = wn_ptr_at(wn, ss->ptr0 + p);
				if (!is_link(q->kind))
					continue;
				const float *r = R + (size_t)q->target * D;
				for (int i = 0; i < D; i++)
					u[i] += 0.5f * r[i];
			}
		}
		free(stamp), free(queue), free(dist);
	}
	free(R);
	if (fail) {
		free(U);
		return NULL;
	}
	return U;
}

typedef struct entry {
	char *word;            /* normalised, malloc'ed */
	int vec;               /* row of its vector */
	uint64_t freq;         /* sense tag counts (the base's for a form) */
	int base;              /* entry index of its base (forms), else -1 */
	int done;
} entry;

typedef struct table {
	entry *e;
	int n, cap;
	strmap keys;           /* word -> entry index */
} table;

/* Add word (normalised here) with vector row vec; -1 out of memory, 0 when
 * not one basic token or already present, 1 added. */
static int add(table *t, const char *word, int vec, uint64_t freq, int base)
{
	char *w = NULL;
	int r = vocab_normalize_word(word, 1, &w);
	if (r < 0)
		return -1;
	if (r == 0 || !w)
		return 0;
	size_t len = strlen(w);
	if (strmap_find(&t->keys, w, len) >= 0) {
		free(w);
		return 0;
	}
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 1 << 16;
		entry *e = realloc(t->e, (size_t)cap * sizeof *e);
		if (!e) {
			free(w);
			return -1;
		}
		t->e = e;
		t->cap = cap;
	}
	if (strmap_intern(&t->keys, w, len) < 0) {
		free(w);
		return -1;
	}
	t->e[t->n++] = (entry){w, vec, freq, base, 0};
	return 1;
}

static const table *sort_table;

static int by_freq(const void *x, const void *y)
{
	const entry *a = &sort_table->e[*(const int *)x], *b = &sort_table->e[*(const int *)y];
	if (a->freq != b->freq)
		return a->freq < b->freq ? 1 : -1;
	return strcmp(a->word, b->word);
}

int wnvec_build(const wordnet *wn, const wnvec_opts *o, const char *const *order, int norder,
                wordvecs *wv, char *err, size_t errlen)
{
	memset(wv, 0, sizeof *wv);
	if (o->dim < 1 || o->dim > 4096 || !(o->decay >= 0 && o->decay <= 1)) {
		seterr(err, errlen, "bad options: dim %d (1 to 4096), decay %g (0 to 1)", o->dim, o->decay);
		return -1;
	}
	int D = o->dim, nl = wn_nlemmas(wn);
	float *U = synset_vectors(wn, o);
	float *V = U ? calloc((size_t)nl * D, sizeof *V) : NULL;
	table t = {0};
	strmap_init(&t.keys);
	int *sorted = NULL, rc = -1;
	if (!V)
		goto oom;
	/* the lemmas' vectors, in lemma order */
	for (int l = 0; l < nl; l++) {
		const wn_lemma *lm = wn_lemma_at(wn, l);
		float *v = V + (size_t)l * D;
		uint64_t freq = 0;
		for (int pos = 0; pos < WN_NPOS; pos++) {
			const uint32_t *sense;
			int k = wn_senses(wn, l, pos, &sense);
			for (int j = 0; j < k; j++) {
				const float *u = U + (size_t)sense[j] * D;
				float f = 1.0f / (float)(j + 1);
				for (int i = 0; i < D; i++)
					v[i] += f * u[i];
			}
			freq += lm->freq[pos];
		}
		double nn = 0;
		for (int i = 0; i < D; i++)
			nn += (double)v[i] * v[i];
		if (!(nn > 0) || strchr(lm->text, ' '))
			continue;
		float inv = (float)(1.0 / sqrt(nn));
		for (int i = 0; i < D; i++)
			v[i] *= inv;
		if (add(&t, lm->text, l, freq, -1) < 0)
			goto oom;
	}
	/* inflected forms that are no lemma, with their base's vector */
	int nbase = t.n;
	for (int e = 0; o->inflect && e < nbase; e++) {
		const char *base = t.e[e].word;
		int l = t.e[e].vec;
		const wn_lemma *lm = wn_lemma_at(wn, l);
		char form[256];
		if (lm->nsense[WN_NOUN] && wn_plural(wn, base, form, sizeof form) > 0 &&
		    wn_lookup(wn, form, strlen(form)) < 0 && add(&t, form, l, t.e[e].freq, e) < 0)
			goto oom;
		for (int f = WN_VBZ; lm->nsense[WN_VERB] && f <= WN_VBG; f++)
			if (wn_inflect_verb(wn, base, f, form, sizeof form) > 0 &&
			    wn_lookup(wn, form, strlen(form)) < 0 && add(&t, form, l, t.e[e].freq, e) < 0)
				goto oom;
	}
	/* the order: the given words, then the lemmas by tag counts with their
	 * forms right after them */
	wv->dim = D;
	wv->words = malloc((size_t)(t.n ? t.n : 1) * sizeof *wv->words);
	wv->vecs = malloc((size_t)(t.n ? t.n : 1) * D * sizeof *wv->vecs);
	size_t pool = 0;
	for (int e = 0; e < t.n; e++)
		pool += strlen(t.e[e].word) + 1;
	wv->pool = malloc(pool ? pool : 1);
	sorted = malloc((size_t)(nbase ? nbase : 1) * sizeof *sorted);
	if (!wv->words || !wv->vecs || !wv->pool || !sorted)
		goto oom;
	size_t at = 0;
#define EMIT(ix) do { \
		entry *x_ = &t.e[ix]; \
		if (!x_->done) { \
			x_->done = 1; \
			size_t l_ = strlen(x_->word) + 1; \
			memcpy(wv->pool + at, x_->word, l_); \
			wv->words[wv->n] = wv->pool + at; \
			at += l_; \
			memcpy(wv->vecs + (size_t)wv->n * D, V + (size_t)x_->vec * D, (size_t)D * sizeof(float)); \
			wv->n++; \
		} \
	} while (0)
	for (int i = 0; i < norder; i++) {
		char *w = NULL;
		if (vocab_normalize_word(order[i], 1, &w) < 0)
			goto oom;
		if (!w)
			continue;
		int ix = strmap_find(&t.keys, w, strlen(w));
		free(w);
		if (ix >= 0)
			EMIT(ix);
	}
	for (int e = 0; e < nbase; e++)
		sorted[e] = e;
	sort_table = &t;
	qsort(sorted, (size_t)nbase, sizeof *sorted, by_freq);
	/* forms follow their base: entries nbase.. are grouped by base in order */
	int *first = calloc((size_t)nbase + 1, sizeof *first);
	if (!first)
		goto oom;
	for (int e = nbase; e < t.n; e++)
		first[t.e[e].base + 1]++;
	for (int e = 0; e < nbase; e++)
		first[e + 1] += first[e];
	int *forms = malloc((size_t)(t.n - nbase + 1) * sizeof *forms), *fill = calloc((size_t)nbase + 1, sizeof *fill);
	if (!forms || !fill) {
		free(first), free(forms), free(fill);
		goto oom;
	}
	for (int e = nbase; e < t.n; e++) {
		int b = t.e[e].base;
		forms[first[b] + fill[b]++] = e;
	}
	for (int i = 0; i < nbase; i++) {
		int e = sorted[i];
		EMIT(e);
		for (int j = first[e]; j < first[e + 1]; j++)
			EMIT(forms[j]);
	}
#undef EMIT
	free(first), free(forms), free(fill);
	rc = 0;
	goto done;
oom:
	seterr(err, errlen, "out of memory");
	wordvecs_free(wv);
done:
	for (int e = 0; e < t.n; e++)
		free(t.e[e].word);
	free(t.e);
	strmap_free(&t.keys);
	free(sorted), free(U), free(V);
	return rc;
}
