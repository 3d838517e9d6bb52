/* kgembed.c — the embedding neighbour scorer; see kgembed.h. */
#include "kg/kgembed.h"
#include "base/cli.h"
#include "base/gemm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 256 };

typedef struct ectx {
	encoder *enc;
	int k_entity, k_part;
	int k;            /* of the current group */
	int *top;         /* (n, k) member indices of each member's neighbours */
	float *score;     /* (n, k) */
	int *ntop;        /* (n) */
	long texts, truncated;
	char err[512];
} ectx;

int kg_top_k(const float *row, int n, int self, int k, int *idx, float *sc)
{
	int m = 0;
	if (k <= 0)
		return 0;
	for (int j = 0; j < n; j++) {
		float v = row[j];
		if (j == self || !(v > 0))
			continue;
		/* a later index loses ties, so it enters only when strictly better */
		if (m == k && !(v > sc[m - 1]))
			continue;
		int p = m < k ? m++ : k - 1;
		while (p > 0 && v > sc[p - 1]) {
			sc[p] = sc[p - 1];
			idx[p] = idx[p - 1];
			p--;
		}
		sc[p] = v;
		idx[p] = j;
	}
	return m;
}

static void prepare(void *vctx, const kg_graph *g, const int *members, int n)
{
	ectx *c = vctx;
	free(c->top);
	free(c->score);
	free(c->ntop);
	c->top = NULL, c->score = NULL, c->ntop = NULL;
	if (n < 2 || c->err[0])
		return;
	c->k = kg_graph_node(g, members[0])->kind == KG_ENTITY ? c->k_entity : c->k_part;
	if (c->k <= 0)
		return;
	if (c->k > n - 1)
		c->k = n - 1;
	int d = encoder_dim(c->enc);
	const char **texts = xmalloc((size_t)n * sizeof *texts);
	for (int i = 0; i < n; i++)
		texts[i] = kg_graph_node(g, members[i])->text;
	float *E = xmalloc((size_t)n * (size_t)d * sizeof *E);
	int nt = 0;
	char e2[400];
	int ok = encoder_embed(c->enc, texts, NULL, n, E, &nt, NULL, e2, sizeof e2) == 0;
	free(texts);
	if (!ok) {
		snprintf(c->err, sizeof c->err, "embedding graph nodes: %s", e2);
		free(E);
		return;
	}
	c->texts += n;
	c->truncated += nt;
	for (int i = 0; i < n; i++) {
		float *v = E + (size_t)i * d;
		double s = 0;
		for (int j = 0; j < d; j++)
			s += (double)v[j] * v[j];
		float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
		for (int j = 0; j < d; j++)
			v[j] *= inv;
	}
	c->top = xmalloc((size_t)n * (size_t)c->k * sizeof *c->top);
	c->score = xmalloc((size_t)n * (size_t)c->k * sizeof *c->score);
	c->ntop = xcalloc((size_t)n, sizeof *c->ntop);
	int rows = n < BLOCK ? n : BLOCK;
	float *S = xmalloc((size_t)rows * (size_t)n * sizeof *S);
	for (int r0 = 0; r0 < n; r0 += rows) {
		int m = n - r0 < rows ? n - r0 : rows;
		/* S (m, n) = E[r0 .. r0+m) E^T, a row's bits independent of m */
		gemm_f32(m, n, d, 1.0f, E + (size_t)r0 * d, d, 1, E, 1, d, 0.0f, S, n, 1, GEMM_ROWWISE);
		for (int i = 0; i < m; i++)
			c->ntop[r0 + i] = kg_top_k(S + (size_t)i * n, n, r0 + i, c->k, c->top + (size_t)(r0 + i) * c->k,
			                           c->score + (size_t)(r0 + i) * c->k);
	}
	free(S);
	free(E);
}

static int neighbors(void *vctx, const kg_graph *g, const int *members, int n, int i, kg_nb *out, int cap)
{
	(void)g;
	(void)n;
	ectx *c = vctx;
	if (!c->ntop)
		return 0;
	int m = c->ntop[i] < cap ? c->ntop[i] : cap;
	for (int j = 0; j < m; j++) {
		double v = c->score[(size_t)i * c->k + j];
		out[j].node = members[c->top[(size_t)i * c->k + j]];
		out[j].score = v > 1 ? 1 : v;
	}
	return m;
}

void kg_embed_scorer_init(kg_scorer *s, encoder *enc, int k_entity, int k_part)
{
	ectx *c = xcalloc(1, sizeof *c);
	c->enc = enc;
	c->k_entity = k_entity;
	c->k_part = k_part;
	s->name = "embedding";
	s->ctx = c;
	s->prepare = prepare;
	s->neighbors = neighbors;
}

const char *kg_embed_scorer_error(const kg_scorer *s)
{
	const ectx *c = s->ctx;
	return c->err[0] ? c->err : NULL;
}

long kg_embed_scorer_count(const kg_scorer *s, long *ntruncated)
{
	const ectx *c = s->ctx;
	if (ntruncated)
		*ntruncated = c->truncated;
	return c->texts;
}

void kg_embed_scorer_free(kg_scorer *s)
{
	ectx *c = s->ctx;
	if (!c)
		return;
	free(c->top);
	free(c->score);
	free(c->ntop);
	free(c);
	s->ctx = NULL;
}
