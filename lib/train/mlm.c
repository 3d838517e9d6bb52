/* mlm.c — BertForMaskedLM's prediction head and loss at the selected
 * positions, forward and backward; the choice of those positions (mlm.h). */
#include "train/mlm.h"
#include "base/err.h"
#include "nn/layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NAME_W "cls.predictions.transform.dense.weight"
#define NAME_B "cls.predictions.transform.dense.bias"
#define NAME_LNW "cls.predictions.transform.LayerNorm.weight"
#define NAME_LNB "cls.predictions.transform.LayerNorm.bias"
#define NAME_BIAS "cls.predictions.bias"

size_t mlm_head_size(int C, int V)
{
	return (size_t)C * C + 3 * (size_t)C + (size_t)V;
}

void mlm_head_point(mlm_head *h, float *p, int C, int V)
{
	(void)V;
	h->W = p;
	h->b = h->W + (size_t)C * C;
	h->lnw = h->b + C;
	h->lnb = h->lnw + C;
	h->bias = h->lnb + C;
}

void mlm_head_init(mlm_head *h, int C, int V, float std, rng *r)
{
	rng_fill_normal(r, h->W, (size_t)C * C, 0.0f, std);
	for (int c = 0; c < C; c++) {
		h->b[c] = 0.0f;
		h->lnw[c] = 1.0f;
		h->lnb[c] = 0.0f;
	}
	memset(h->bias, 0, (size_t)V * sizeof *h->bias);
}

void mlm_head_tensors(const mlm_head *h, int C, int V, st_out out[MLM_NTENSORS],
                      int64_t shapes[MLM_NTENSORS][2])
{
	const char *names[MLM_NTENSORS] = {NAME_W, NAME_B, NAME_LNW, NAME_LNB, NAME_BIAS};
	const float *data[MLM_NTENSORS] = {h->W, h->b, h->lnw, h->lnb, h->bias};
	for (int i = 0; i < MLM_NTENSORS; i++) {
		shapes[i][0] = i == 0 ? C : i == 4 ? V : C;
		shapes[i][1] = C;
		out[i].name = names[i];
		out[i].dtype = ST_F32;
		out[i].ndim = i == 0 ? 2 : 1;
		out[i].shape = shapes[i];
		out[i].data = data[i];
	}
}

int mlm_head_load(mlm_head *h, const char *path, int C, int V, char *err, size_t errlen)
{
	st_file *f = st_open(path, err, errlen);
	if (!f)
		return -1;
	st_out want[MLM_NTENSORS];
	int64_t shapes[MLM_NTENSORS][2];
	mlm_head_tensors(h, C, V, want, shapes);
	int found = 0, rc = 1;
	for (int i = 0; i < MLM_NTENSORS; i++)
		found += st_find(f, want[i].name) != NULL;
	if (found == 0)
		rc = 0;
	for (int i = 0; rc == 1 && i < MLM_NTENSORS; i++) {
		const st_tensor *t = st_find(f, want[i].name);
		if (!t) {
			seterr(err, errlen, "%s: masked-LM head without %s", path, want[i].name);
			rc = -1;
		} else if (t->ndim != want[i].ndim || t->shape[0] != shapes[i][0] ||
		           (t->ndim == 2 && t->shape[1] != shapes[i][1])) {
			seterr(err, errlen, "%s: %s does not match hidden size %d and vocabulary %d", path,
			       want[i].name, C, V);
			rc = -1;
		} else if (st_to_f32(f, t, (float *)want[i].data, err, errlen))
			rc = -1;
	}
	st_close(f);
	return rc;
}

int mlm_ws_init(mlm_ws *w, int maxR, int C, int V)
{
	memset(w, 0, sizeof *w);
	w->maxR = maxR, w->C = C, w->V = V;
	size_t RC = (size_t)(maxR > 0 ? maxR : 1) * C, R = maxR > 0 ? (size_t)maxR : 1;
	w->pre = malloc(RC * sizeof(float));
	w->g = malloc(RC * sizeof(float));
	w->y = malloc(RC * sizeof(float));
	w->dy = malloc(RC * sizeof(float));
	w->dg = malloc(RC * sizeof(float));
	w->dpre = malloc(RC * sizeof(float));
	w->mean = malloc(R * sizeof(float));
	w->rstd = malloc(R * sizeof(float));
	w->logits = malloc(R * (size_t)V * sizeof(float));
	w->rowloss = malloc(R * sizeof(double));
	w->labels = malloc(R * sizeof(int));
	if (!w->pre || !w->g || !w->y || !w->dy || !w->dg || !w->dpre || !w->mean || !w->rstd ||
	    !w->logits || !w->rowloss || !w->labels) {
		mlm_ws_free(w);
		return -1;
	}
	return 0;
}

void mlm_ws_free(mlm_ws *w)
{
	free(w->pre), free(w->g), free(w->y), free(w->dy), free(w->dg), free(w->dpre);
	free(w->mean), free(w->rstd), free(w->logits), free(w->rowloss), free(w->labels);
	memset(w, 0, sizeof *w);
}

double mlm_forward(mlm_ws *w, const mlm_head *h, const float *E, const float *x, const int *labels,
                   int R, float eps)
{
	int C = w->C, V = w->V;
	if (R < 1 || R > w->maxR)
		return NAN;
	for (int r = 0; r < R; r++)
		if (labels[r] < 0 || labels[r] >= V)
			return NAN;
	w->R = R;
	memcpy(w->labels, labels, (size_t)R * sizeof *labels);
	/* transform: pre (R,C) = x W^T + b, g = gelu(pre), y = LayerNorm(g) */
	matmul_forward(w->pre, x, h->W, NULL, 1, R, C, C);
	bias_gelu_forward(w->g, w->pre, h->b, R, C);
	layernorm_forward(w->y, w->mean, w->rstd, w->g, h->lnw, h->lnb, 1, R, C, eps);
	/* decoder: logits (R,V) = y E^T + bias */
	matmul_forward(w->logits, w->y, E, h->bias, 1, R, C, V);
	crossentropy_forward(w->logits, w->rowloss, w->labels, R, V);
	double L = 0;
	for (int r = 0; r < R; r++)
		L += w->rowloss[r];
	return L / R;
}

void mlm_backward(mlm_ws *w, const mlm_head *h, mlm_head *dh, const float *E, float *dE,
                  const float *x, float *dx, float scale)
{
	int C = w->C, V = w->V, R = w->R;
	crossentropy_backward(w->logits, w->labels, scale, R, V);
	/* decoder: dy (R,C) = dlogits E; dE (V,C) += dlogits^T y; dbias += colsum */
	memset(w->dy, 0, (size_t)R * C * sizeof *w->dy);
	matmul_backward(w->dy, dE, dh->bias, w->logits, w->y, E, 1, R, C, V);
	/* LayerNorm, GELU, dense */
	memset(w->dg, 0, (size_t)R * C * sizeof *w->dg);
	layernorm_backward(w->dg, dh->lnw, dh->lnb, w->dy, w->g, h->lnw, w->mean, w->rstd, 1, R, C);
	memset(w->dpre, 0, (size_t)R * C * sizeof *w->dpre);
	gelu_backward(w->dpre, w->pre, w->dg, (long)R * C);
	matmul_backward(dx, dh->W, dh->b, w->dpre, x, h->W, 1, R, C, C);
	w->R = 0;   /* the probabilities are gone */
}

int mlm_correct(const mlm_ws *w)
{
	int n = 0, V = w->V;
	for (int r = 0; r < w->R; r++) {
		const float *z = w->logits + (size_t)r * V;
		int best = 0;
		for (int v = 1; v < V; v++)
			if (z[v] > z[best])
				best = v;
		n += best == w->labels[r];
	}
	return n;
}

int mlm_select(int *ids, const int *mask, int B, int T, const mlm_tokens *tk, float prob,
               int whole_word, rng *r, int *qpos, int *labels)
{
	int R = 0, first = -1;
	for (int b = 0; b < B; b++) {
		int chosen = 0;   /* the current word is selected (whole_word) */
		for (int i = 0; i < T; i++) {
			int k = b * T + i, id = ids[k];
			if (!mask[k] || id == tk->cls || id == tk->sep || id == tk->pad)
				continue;
			if (first < 0)
				first = k;
			int piece = whole_word && tk->is_piece && id >= 0 && id < tk->V && tk->is_piece[id];
			if (!piece || !whole_word)
				chosen = rng_uniform(r) < prob;
			if (!chosen)
				continue;
			qpos[R] = k;
			labels[R++] = id;
		}
	}
	if (R == 0 && first >= 0) {
		qpos[0] = first;
		labels[R++] = ids[first];
	}
	/* what the model sees at each selected position */
	for (int q = 0; q < R; q++) {
		float u = rng_uniform(r);
		int k = qpos[q];
		if (u < 0.8f)
			ids[k] = tk->mask;
		else if (u < 0.9f)
			ids[k] = tk->first_real + (int)rng_below(r, (uint64_t)(tk->V - tk->first_real));
	}
	return R;
}
