/* wordavg.c — averaged (optionally SIF-weighted) word vectors; see wordavg.h.
 *
 * Layout: the file's vectors as read (wordvecs, file order), a strmap of the
 * usable normalised words whose id indexes rank[] (the 1-based file rank of
 * the first file word with that normal form), and weight[] per file rank. */
#include "wordvec/wordavg.h"
#include "base/cli.h"
#include "base/err.h"
#include "base/ndjson.h"
#include "wordvec/pca.h"
#include "base/strmap.h"
#include "nn/tokenizer.h"
#include "wordvec/vectors.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wordavg {
	wordvecs wv;
	strmap map;          /* normalised word -> id */
	int *rank;           /* (map.n) id -> 1-based file rank */
	double *weight;      /* (wv.n) weight of file rank r at [r - 1] */
	double sif_a;
	double *pc;          /* (dim) common component to remove, or NULL */
};

void wordavg_free(wordavg *w)
{
	if (!w)
		return;
	wordvecs_free(&w->wv);
	strmap_free(&w->map);
	free(w->rank);
	free(w->weight);
	free(w->pc);
	free(w);
}

wordavg *wordavg_open(const char *path, double sif_a, char *err, size_t errlen)
{
	wordavg *w;
	if (!(sif_a >= 0) || !isfinite(sif_a)) {
		seterr(err, errlen, "%s: SIF parameter a must be finite and >= 0", path);
		return NULL;
	}
	if (!(w = calloc(1, sizeof *w))) {
		seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	strmap_init(&w->map);
	w->sif_a = sif_a;
	if (wordvecs_read(&w->wv, path, 0, err, errlen)) {
		wordavg_free(w);
		return NULL;
	}
	if (w->wv.n == 0) {
		seterr(err, errlen, "%s: no word vectors", path);
		wordavg_free(w);
		return NULL;
	}
	int n = w->wv.n;
	w->rank = malloc((size_t)n * sizeof *w->rank);
	w->weight = malloc((size_t)n * sizeof *w->weight);
	if (!w->rank || !w->weight)
		goto oom;
	for (int i = 0; i < n; i++) {
		char *nw = NULL;
		int r = vocab_normalize_word(w->wv.words[i], 1, &nw);
		if (r < 0)
			goto oom;
		if (r == 1) {
			int before = (int)w->map.n;
			int id = strmap_intern(&w->map, nw, strlen(nw));
			if (id == before)
				w->rank[id] = i + 1;
		}
		free(nw);
	}
	/* Zipf: p(r) = (1/r) / H_N; H_N summed from the small terms up. */
	double h = 0;
	for (int r = n; r >= 1; r--)
		h += 1.0 / r;
	for (int r = 1; r <= n; r++)
		w->weight[r - 1] = sif_a > 0 ? sif_a / (sif_a + 1.0 / (r * h)) : 1.0;
	return w;
oom:
	seterr(err, errlen, "%s: out of memory", path);
	wordavg_free(w);
	return NULL;
}

int wordavg_dim(const wordavg *w) { return w->wv.dim; }
int wordavg_nvectors(const wordavg *w) { return w->wv.n; }
int wordavg_nwords(const wordavg *w) { return (int)w->map.n; }
double wordavg_sif_a(const wordavg *w) { return w->sif_a; }

int wordavg_rank(const wordavg *w, const char *word, size_t len)
{
	int id = strmap_find(&w->map, word, len);
	return id < 0 ? 0 : w->rank[id];
}

double wordavg_weight(const wordavg *w, int rank)
{
	return rank >= 1 && rank <= w->wv.n ? w->weight[rank - 1] : 0.0;
}

/* Accumulation of one text: sum of weight * vector in double, words found. */
typedef struct acc {
	const wordavg *w;
	double *sum;
	int found;
} acc;

static void on_word(const char *word, size_t len, size_t offset, void *ctx)
{
	acc *a = ctx;
	const wordavg *w = a->w;
	int r = wordavg_rank(w, word, len);
	(void)offset;
	if (!r)
		return;
	const float *v = w->wv.vecs + (size_t)(r - 1) * w->wv.dim;
	double g = w->weight[r - 1];
	for (int j = 0; j < w->wv.dim; j++)
		a->sum[j] += g * v[j];
	a->found++;
}

/* The vector of text into out with sum as scratch (dim doubles). */
static int embed_one(const wordavg *w, const char *text, size_t len, int normalize, double *sum,
                     float *out)
{
	int dim = w->wv.dim;
	acc a = { w, sum, 0 };
	memset(sum, 0, (size_t)dim * sizeof *sum);
	if (tokenizer_basic_words(text, len, 1, on_word, &a) < 0)
		return -1;
	if (!a.found) {
		memset(out, 0, (size_t)dim * sizeof *out);
		return 0;
	}
	double scale = 1.0 / a.found;
	if (w->pc) {   /* the average, less its common component */
		for (int j = 0; j < dim; j++)
			sum[j] *= scale;
		pca_remove(sum, dim, w->pc);
		scale = 1.0;
	}
	if (normalize) {
		double ss = 0;
		for (int j = 0; j < dim; j++)
			ss += sum[j] * sum[j];
		scale = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
	}
	for (int j = 0; j < dim; j++)
		out[j] = (float)(sum[j] * scale);
	return a.found;
}

int wordavg_embed(const wordavg *w, const char *text, size_t len, float *out)
{
	double *sum = malloc((size_t)w->wv.dim * sizeof *sum);
	if (!sum)
		return -1;
	int r = embed_one(w, text, len, 0, sum, out);
	free(sum);
	return r;
}

int wordavg_embed_many(const wordavg *w, const char *const *texts, const size_t *lens, int n,
                       float *out, int normalize, int *nempty)
{
	int bad = 0, empty = 0, dim = w->wv.dim;
#pragma omp parallel reduction(+ : bad, empty)
	{
		double *sum = malloc((size_t)dim * sizeof *sum);
		if (!sum)
			bad++;
#pragma omp for schedule(static)
		for (int i = 0; i < n; i++) {
			if (!sum)
				continue;
			size_t len = lens ? lens[i] : strlen(texts[i]);
			int r = embed_one(w, texts[i], len, normalize, sum, out + (size_t)i * dim);
			if (r < 0)
				bad++;
			else if (r == 0)
				empty++;
		}
		free(sum);
	}
	if (nempty)
		*nempty = empty;
	return bad ? -1 : 0;
}

int wordavg_has_pc(const wordavg *w) { return w->pc != NULL; }

int wordavg_fit_pc(wordavg *w, const char *const *texts, const size_t *lens, int n, char *err,
                   size_t errlen)
{
	int dim = w->wv.dim, nempty = 0;
	double *u = malloc((size_t)dim * sizeof *u);
	float *X = malloc(((size_t)n + 1) * dim * sizeof *X);
	double *keep = w->pc;
	w->pc = NULL;                   /* fit on the plain (weighted) averages */
	int rc = -1;
	if (!u || !X || wordavg_embed_many(w, texts, lens, n, X, 0, &nempty))
		seterr(err, errlen, "out of memory");
	else if (n == 0 || nempty == n)
		seterr(err, errlen, "no text with a known word to fit the common component on");
	else if (pca_first(X, n, dim, u, NULL))
		seterr(err, errlen, "out of memory");
	else
		rc = 0;
	free(X);
	if (rc) {
		free(u);
		w->pc = keep;
		return -1;
	}
	free(keep);
	w->pc = u;
	return 0;
}

long wordavg_fit_pc_file(wordavg *w, const char *path, const char *const *fields, int nfields,
                         int skip_bad, char *err, size_t errlen)
{
	char *files[1] = { (char *)path };
	ndjson_reader *r = ndjson_open(files, 1, skip_bad);
	size_t n = 0, cap = 0;
	jv *strs = NULL;
	jv rec;
	while (ndjson_next(r, &rec)) {
		if (n + (size_t)nfields > cap) {
			cap = 2 * cap + 1024 + (size_t)nfields;
			strs = xrealloc(strs, cap * sizeof *strs);
		}
		int got = 0;     /* a record counts with all its fields, or not at all */
		while (got < nfields && ndjson_get_string(r, rec, fields[got], &strs[n + (size_t)got]))
			got++;
		if (got == nfields)
			n += (size_t)nfields;
		else
			while (got > 0)
				jv_free(strs[n + (size_t)--got]);
		jv_free(rec);
	}
	ndjson_close(r);
	long rc = -1;
	if (n > (size_t)INT32_MAX) {
		seterr(err, errlen, "%s: too many texts", path);
	} else {
		const char **texts = xmalloc((n ? n : 1) * sizeof *texts);
		size_t *lens = xmalloc((n ? n : 1) * sizeof *lens);
		for (size_t i = 0; i < n; i++) {
			texts[i] = jv_string_value(strs[i]);
			lens[i] = (size_t)jv_string_length_bytes(jv_copy(strs[i]));
		}
		char e2[256];
		if (wordavg_fit_pc(w, texts, lens, (int)n, e2, sizeof e2))
			seterr(err, errlen, "%s: %s", path, e2);
		else
			rc = (long)n;
		free(texts);
		free(lens);
	}
	for (size_t i = 0; i < n; i++)
		jv_free(strs[i]);
	free(strs);
	return rc;
}
