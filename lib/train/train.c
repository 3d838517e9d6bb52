/* train.c — training forward / backward of BERT + MLP head (see train.h). */
#include "train/train.h"
#include "base/bigmem.h"
#include "base/err.h"
#include "nn/dropout.h"
#include "nn/layers.h"
#include "base/rng.h"
#include "nn/safetensors.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t round16(size_t n)     /* floats: 64-byte aligned tensors */
{
	return (n + 15) / 16 * 16;
}

static size_t round64(size_t n)     /* bytes */
{
	return (n + 63) / 64 * 64;
}

/* Lay out (or, with base NULL, measure) the activation and bit arenas. */
static void layout(trainer *t, float *base, uint8_t *bbase, size_t *nf, size_t *nb)
{
	const bert_config *c = &t->cfg;
	size_t B = t->maxB, T = t->maxT, C = c->hidden_size, NH = c->num_attention_heads;
	size_t FF = c->intermediate_size, L = c->num_hidden_layers, N = B * T, NA = B * NH * T * T;
	size_t off = 0, boff = 0;
#define F(ptr, n) do { if (base) (ptr) = base + off; off += round16(n); } while (0)
#define BITS(ptr, n) do { if (bbase) (ptr) = bbase + boff; boff += round64(dropout_mask_bytes(n)); } while (0)
	F(t->emb, N * C);
	F(t->emb_mean, N);
	F(t->emb_rstd, N);
	F(t->x0, N * C);
	BITS(t->embbits, N * C);
	for (size_t l = 0; l < L; l++) {
		train_layer *y = &t->layers[l];
		size_t MR = (size_t)t->maxR;
		size_t R = l == L - 1 ? MR : N, na = l == L - 1 ? MR * NH * T : NA;
		F(y->qkv, N * 3 * C);
		F(y->att, na);
		BITS(y->attbits, na);
		F(y->atty, R * C);
		F(y->res1, R * C);
		BITS(y->res1bits, R * C);
		F(y->ln1, R * C);
		F(y->ln1_mean, R);
		F(y->ln1_rstd, R);
		F(y->fch, R * FF);
		F(y->fch_gelu, R * FF);
		F(y->res2, R * C);
		BITS(y->res2bits, R * C);
		F(y->ln2, R * C);
		F(y->ln2_mean, R);
		F(y->ln2_rstd, R);
	}
	F(t->cls_in, (size_t)t->maxR * C);
	F(t->drows, (size_t)t->maxR * C);
	F(t->h, B * C);
	F(t->kt, N * C);
	F(t->attd, NA);
	F(t->y, N * C);
	F(t->d1, N * C);
	F(t->d2, N * C);
	F(t->d3, N * C);
	F(t->d4, N * C);
	F(t->dqkv, N * 3 * C);
	F(t->dff1, N * FF);
	F(t->dff2, N * FF);
	F(t->datt, attention_backward_scratch((int)B, (int)T, (int)C, (int)NH));
	F(t->dpre, B * C);
#undef F
#undef BITS
	if (base)
		t->cls = t->layers[L - 1].ln2;
	*nf = off;
	*nb = boff;
}

static trainer *trainer_create(bert_model *m, int maxB, int maxT, int maxR, int mlm,
                               uint64_t head_seed, char *err, size_t errlen)
{
	const bert_config *c = &m->cfg;
	if (maxB < 1 || maxT < 1 || maxT > c->max_position_embeddings) {
		seterr(err, errlen, "bad batch shape %d x %d (the model takes at most %d tokens)",
		       maxB, maxT, c->max_position_embeddings);
		return NULL;
	}
	if (maxR < 1 || maxR > maxB * maxT) {
		seterr(err, errlen, "bad number of output rows %d for %d x %d tokens", maxR, maxB, maxT);
		return NULL;
	}
	trainer *t = calloc(1, sizeof *t);
	if (!t) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	t->m = m;
	t->cfg = *c;
	t->maxB = maxB;
	t->maxT = maxT;
	t->maxR = maxR;
	t->mlm = mlm;
	t->hidden_p = c->hidden_dropout_prob;
	t->att_p = c->attention_probs_dropout_prob;
	size_t C = c->hidden_size, V = c->vocab_size;
	t->nenc = model_num_params(c);
	t->nparams = t->nenc + C * C + C + (mlm ? mlm_head_size((int)C, (int)V) : 0);
	size_t pbytes = round64(t->nparams * sizeof(float));
	float *params = big_alloc(pbytes);
	t->grads = big_alloc(pbytes);
	t->layers = calloc((size_t)c->num_hidden_layers, sizeof *t->layers);
	t->ids = malloc((size_t)maxB * maxT * sizeof *t->ids);
	t->mask = malloc((size_t)maxB * maxT * sizeof *t->mask);
	t->qpos = malloc((size_t)maxR * sizeof *t->qpos);
	size_t nf, nb;
	if (t->layers)
		layout(t, NULL, NULL, &nf, &nb);
	if (!params || !t->grads || !t->layers || !t->ids || !t->mask || !t->qpos ||
	    !(t->act_arena = big_alloc(nf * sizeof(float))) ||
	    !(t->bit_arena = aligned_alloc(64, nb ? nb : 64))) {
		free(params);
		trainer_free(t);
		seterr(err, errlen, "out of memory for training %zu parameters on %d x %d tokens",
		       t->nparams, maxB, maxT);
		return NULL;
	}
	layout(t, t->act_arena, t->bit_arena, &nf, &nb);
	/* the model's parameters move into the joint arena */
	memcpy(params, m->arena, t->nenc * sizeof(float));
	free(m->arena);
	m->arena = params;
	bert_params_point(&m->params, params, c);
	t->params = params;
	t->head.W = params + t->nenc;
	t->head.b = t->head.W + C * C;
	rng r;
	rng_seed(&r, head_seed);
	rng_fill_normal(&r, t->head.W, C * C, 0.0f, c->initializer_range);
	memset(t->head.b, 0, C * sizeof(float));
	bert_params_point(&t->g, t->grads, c);
	t->dhead.W = t->grads + t->nenc;
	t->dhead.b = t->dhead.W + C * C;
	if (mlm) {
		mlm_head_point(&t->mlmh, t->head.b + C, (int)C, (int)V);
		mlm_head_point(&t->dmlmh, t->dhead.b + C, (int)C, (int)V);
		mlm_head_init(&t->mlmh, (int)C, (int)V, c->initializer_range, &r);
	}
	trainer_zero_grad(t);
	return t;
}

trainer *trainer_new(bert_model *m, int maxB, int maxT, uint64_t head_seed, char *err,
                     size_t errlen)
{
	return trainer_create(m, maxB, maxT, maxB, 0, head_seed, err, errlen);
}

trainer *trainer_new_mlm(bert_model *m, int maxB, int maxT, int maxR, uint64_t head_seed,
                         char *err, size_t errlen)
{
	return trainer_create(m, maxB, maxT, maxR, 1, head_seed, err, errlen);
}

void trainer_free(trainer *t)
{
	if (!t)
		return;
	free(t->grads);
	free(t->layers);
	free(t->ids);
	free(t->mask);
	free(t->qpos);
	free(t->act_arena);
	free(t->bit_arena);
	free(t);
}

size_t trainer_act_bytes(const trainer *t)
{
	trainer tmp = *t;
	train_layer *ly = calloc((size_t)t->cfg.num_hidden_layers, sizeof *ly);
	size_t nf = 0, nb = 0;
	if (ly) {
		tmp.layers = ly;
		layout(&tmp, NULL, NULL, &nf, &nb);
		free(ly);
	}
	return nf * sizeof(float) + nb;
}

void trainer_zero_grad(trainer *t)
{
	const size_t chunk = 1 << 16, n = t->nparams;
	long nchunks = (long)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static)
	for (long k = 0; k < nchunks; k++) {
		size_t i0 = (size_t)k * chunk, len = n - i0 < chunk ? n - i0 : chunk;
		memset(t->grads + i0, 0, len * sizeof(float));
	}
}

static uint64_t site_key(uint64_t key, int site)
{
	return rng_derive(key, (uint64_t)site);
}

/* A layer from the attention context on: out = LN2(h + dropout(FFN(h))),
 * h = LN1(in + dropout(atty Wo^T + bo)), for R rows; in (R,C). */
static void block_forward(trainer *t, int l, const float *in, int R, float hp, uint64_t key)
{
	const bert_config *c = &t->cfg;
	const bert_params *p = &t->m->params;
	train_layer *y = &t->layers[l];
	size_t L = (size_t)l;
	int C = c->hidden_size, FF = c->intermediate_size;
	float eps = c->layer_norm_eps;
	matmul_forward(t->y, y->atty, p->attprojw + L * C * C, NULL, 1, R, C, C);
	bias_dropout_residual_forward(y->res1, y->res1bits, t->y, p->attprojb + L * C, in, hp,
	                              site_key(key, 2 + 3 * l), R, C);
	layernorm_forward(y->ln1, y->ln1_mean, y->ln1_rstd, y->res1, p->ln1w + L * C, p->ln1b + L * C,
	                  1, R, C, eps);
	matmul_forward(y->fch, y->ln1, p->fcw + L * FF * C, NULL, 1, R, C, FF);
	bias_gelu_forward(y->fch_gelu, y->fch, p->fcb + L * FF, R, FF);
	matmul_forward(t->y, y->fch_gelu, p->fcprojw + L * C * FF, NULL, 1, R, FF, C);
	bias_dropout_residual_forward(y->res2, y->res2bits, t->y, p->fcprojb + L * C, y->ln1, hp,
	                              site_key(key, 3 + 3 * l), R, C);
	layernorm_forward(y->ln2, y->ln2_mean, y->ln2_rstd, y->res2, p->ln2w + L * C, p->ln2b + L * C,
	                  1, R, C, eps);
}

/* The forward to the last layer's outputs at R rows: qpos NULL for the
 * [CLS] rows (R = B), else R ascending flat positions. */
static int forward(trainer *t, const int *ids, const int *mask, int B, int T, int train,
                   uint64_t key, const int *qpos, int R, char *err, size_t errlen)
{
	const bert_config *c = &t->cfg;
	const bert_params *p = &t->m->params;
	if (B < 1 || T < 1 || B > t->maxB || T > t->maxT) {
		seterr(err, errlen, "batch %d x %d outside the trainer's %d x %d", B, T, t->maxB, t->maxT);
		return -1;
	}
	if (R < 1 || R > t->maxR) {
		seterr(err, errlen, "%d output rows, the trainer has room for 1 to %d", R, t->maxR);
		return -1;
	}
	for (int r = 0; qpos && r < R; r++)
		if (qpos[r] < 0 || qpos[r] >= B * T || (r && qpos[r] <= qpos[r - 1])) {
			seterr(err, errlen, "output row %d: position %d is not ascending inside the %d x %d batch",
			       r, qpos[r], B, T);
			return -1;
		}
	int C = c->hidden_size, NH = c->num_attention_heads, Lc = c->num_hidden_layers;
	int N = B * T;
	for (int b = 0; b < B; b++) {
		int any = 0;
		for (int i = 0; i < T; i++) {
			size_t k = (size_t)b * T + i;
			if (ids[k] < 0 || ids[k] >= c->vocab_size) {
				seterr(err, errlen, "token id %d (sequence %d, position %d) outside the vocabulary (%d)",
				       ids[k], b, i, c->vocab_size);
				return -1;
			}
			t->ids[k] = ids[k];
			t->mask[k] = !mask || mask[k] != 0;
			any |= t->mask[k];
		}
		if (!any) {
			seterr(err, errlen, "sequence %d has no real token", b);
			return -1;
		}
	}
	t->B = B;
	t->T = T;
	t->R = R;
	t->cls_rows = qpos == NULL;
	for (int r = 0; r < R; r++)
		t->qpos[r] = qpos ? qpos[r] : r * T;
	t->train = train != 0;
	float hp = train ? t->hidden_p : 0.0f, ap = train ? t->att_p : 0.0f;
	float eps = c->layer_norm_eps;

	embeddings_forward(t->emb, t->ids, p->wte, p->wpe, p->wtt, B, T, C);
	layernorm_forward(t->x0, t->emb_mean, t->emb_rstd, t->emb, p->emb_lnw, p->emb_lnb, B, T, C, eps);
	if (hp > 0.0f)
		dropout_forward(t->x0, t->embbits, t->x0, (size_t)N * C, hp, site_key(key, 0));
	const float *in = t->x0;
	for (int l = 0; l < Lc; l++) {
		size_t L = (size_t)l;
		train_layer *y = &t->layers[l];
		matmul_forward(y->qkv, in, p->qkvw + L * 3 * C * C, p->qkvb + L * 3 * C, B, T, C, 3 * C);
		if (l < Lc - 1) {
			attention_forward(y->atty, y->att, t->kt, y->qkv, t->mask, B, T, C, NH);
			if (ap > 0.0f)
				attention_dropout_forward(y->atty, y->attbits, t->attd, y->att, y->qkv, t->mask, ap,
				                          site_key(key, 1 + 3 * l), B, T, C, NH);
			block_forward(t, l, in, N, hp, key);
			in = y->ln2;
		} else {   /* the last layer: the R output rows only */
			attention_rows_forward(y->atty, y->att, y->attbits, t->attd, t->kt, y->qkv, t->mask, ap,
			                       site_key(key, 1 + 3 * l), t->cls_rows ? NULL : t->qpos, R, B, T,
			                       C, NH);
			for (int r = 0; r < R; r++)
				memcpy(t->cls_in + (size_t)r * C, in + (size_t)t->qpos[r] * C, (size_t)C * sizeof(float));
			block_forward(t, l, t->cls_in, R, hp, key);
		}
	}
	return 0;
}

int train_forward(trainer *t, const int *ids, const int *mask, int B, int T, int train,
                  uint64_t key, char *err, size_t errlen)
{
	if (B > t->maxR) {
		seterr(err, errlen, "batch of %d sequences, the trainer has room for %d [CLS] rows", B,
		       t->maxR);
		return -1;
	}
	if (forward(t, ids, mask, B, T, train, key, NULL, B, err, errlen))
		return -1;
	mlp_forward(t->h, t->cls, t->cfg.hidden_size, t->head.W, t->head.b, B, t->cfg.hidden_size);
	return 0;
}

int train_forward_rows(trainer *t, const int *ids, const int *mask, int B, int T, int train,
                       uint64_t key, const int *qpos, int R, char *err, size_t errlen)
{
	if (!qpos) {
		seterr(err, errlen, "no output rows");
		return -1;
	}
	return forward(t, ids, mask, B, T, train, key, qpos, R, err, errlen);
}

static void zero(float *x, size_t n)
{
	memset(x, 0, n * sizeof *x);
}

/* Backward of block_forward for R rows. On entry dA (R,C) = d out; on
 * return dA = d in (the residual path into the layer input) and dD (R,C) =
 * d atty. dB, dC and the FFN buffers are scratch. */
static void block_backward(trainer *t, int l, int R, float hp, float *dA, float *dB, float *dC,
                           float *dD)
{
	const bert_config *c = &t->cfg;
	const bert_params *p = &t->m->params;
	const bert_params *g = &t->g;
	train_layer *y = &t->layers[l];
	size_t L = (size_t)l;
	int C = c->hidden_size, FF = c->intermediate_size;
	size_t RC = (size_t)R * C;
	/* LayerNorm 2: dB = d res2 */
	zero(dB, RC);
	layernorm_backward(dB, g->ln2w + L * C, g->ln2b + L * C, dA, y->res2, p->ln2w + L * C,
	                   y->ln2_mean, y->ln2_rstd, 1, R, C);
	/* residual: dC = d ln1; FFN branch through the dropout */
	memcpy(dC, dB, RC * sizeof(float));
	const float *dy = dB;
	if (hp > 0.0f) {
		zero(dA, RC);
		dropout_backward(dA, dB, y->res2bits, RC, hp);
		dy = dA;
	}
	zero(t->dff2, (size_t)R * FF);
	matmul_backward(t->dff2, g->fcprojw + L * C * FF, g->fcprojb + L * C, dy, y->fch_gelu,
	                p->fcprojw + L * C * FF, 1, R, FF, C);
	zero(t->dff1, (size_t)R * FF);
	gelu_backward(t->dff1, y->fch, t->dff2, (long)R * FF);
	matmul_backward(dC, g->fcw + L * FF * C, g->fcb + L * FF, t->dff1, y->ln1, p->fcw + L * FF * C,
	                1, R, C, FF);
	/* LayerNorm 1: dB = d res1 */
	zero(dB, RC);
	layernorm_backward(dB, g->ln1w + L * C, g->ln1b + L * C, dC, y->res1, p->ln1w + L * C,
	                   y->ln1_mean, y->ln1_rstd, 1, R, C);
	/* residual: dA = d in; attention branch through the dropout */
	memcpy(dA, dB, RC * sizeof(float));
	dy = dB;
	if (hp > 0.0f) {
		zero(dC, RC);
		dropout_backward(dC, dB, y->res1bits, RC, hp);
		dy = dC;
	}
	zero(dD, RC);
	matmul_backward(dD, g->attprojw + L * C * C, g->attprojb + L * C, dy, y->atty,
	                p->attprojw + L * C * C, 1, R, C, C);
}

/* Backward from dA (R,C) = d loss / d (last layer outputs at the rows of
 * the last forward); dA is t->d1. */
static void backward(trainer *t)
{
	const bert_config *c = &t->cfg;
	const bert_params *p = &t->m->params;
	const bert_params *g = &t->g;
	int B = t->B, T = t->T, R = t->R, C = c->hidden_size, NH = c->num_attention_heads;
	int N = B * T, Lc = c->num_hidden_layers;
	size_t NC = (size_t)N * C;
	float hp = t->train ? t->hidden_p : 0.0f, ap = t->train ? t->att_p : 0.0f;
	float *dA = t->d1, *dB = t->d2, *dC = t->d3, *dD = t->d4;

	for (int l = Lc - 1; l >= 0; l--) {
		size_t L = (size_t)l;
		train_layer *y = &t->layers[l];
		const float *in = l ? t->layers[l - 1].ln2 : t->x0;
		if (l == Lc - 1) {
			block_backward(t, l, R, hp, dA, dB, dC, dD);
			attention_rows_backward(t->dqkv, dD, y->qkv, y->att, ap > 0.0f ? y->attbits : NULL, ap,
			                        t->mask, t->cls_rows ? NULL : t->qpos, R, B, T, C, NH);
			/* the residual reaches the output rows of the input: dB = d in */
			zero(dB, NC);
			for (int r = 0; r < R; r++)
				memcpy(dB + (size_t)t->qpos[r] * C, dA + (size_t)r * C, (size_t)C * sizeof(float));
			float *tmp = dA;
			dA = dB;
			dB = tmp;
		} else {
			block_backward(t, l, N, hp, dA, dB, dC, dD);
			attention_backward(t->dqkv, t->datt, dD, y->qkv, y->att, ap > 0.0f ? y->attbits : NULL,
			                   ap, t->mask, B, T, C, NH);
		}
		matmul_backward(dA, g->qkvw + L * 3 * C * C, g->qkvb + L * 3 * C, t->dqkv, in,
		                p->qkvw + L * 3 * C * C, B, T, C, 3 * C);
		/* the key bias adds q.b to every score of a row, which the softmax
		 * cancels: its gradient is exactly 0 (the sum above is rounding
		 * noise, which Adam would amplify into real updates) */
		zero(g->qkvb + L * 3 * C + C, (size_t)C);
	}
	/* embeddings: dA = d x0 */
	const float *dln = dA;
	if (hp > 0.0f) {
		zero(dB, NC);
		dropout_backward(dB, dA, t->embbits, NC, hp);
		dln = dB;
	}
	zero(dC, NC);
	layernorm_backward(dC, g->emb_lnw, g->emb_lnb, dln, t->emb, p->emb_lnw, t->emb_mean,
	                   t->emb_rstd, B, T, C);
	/* padding_idx: the lookup adds nothing to the [PAD] row (a tied decoder's
	 * gradient, added before, stays) */
	int pad = c->pad_token_id >= 0 && c->pad_token_id < c->vocab_size ? c->pad_token_id : -1;
	float *padrow = pad >= 0 ? g->wte + (size_t)pad * C : NULL;
	if (padrow)
		memcpy(dD, padrow, (size_t)C * sizeof(float));
	embeddings_backward(g->wte, g->wpe, g->wtt, dC, t->ids, B, T, C);
	if (padrow)
		memcpy(padrow, dD, (size_t)C * sizeof(float));
}

void train_backward(trainer *t, const float *dh)
{
	int B = t->B, C = t->cfg.hidden_size;
	/* head: d1 (B,C) = d [CLS] = d (last layer output) */
	zero(t->d1, (size_t)B * C);
	mlp_backward(t->d1, C, t->dhead.W, t->dhead.b, t->dpre, dh, t->h, t->cls, t->head.W, B, C);
	backward(t);
}

void train_backward_rows(trainer *t, const float *drows)
{
	memcpy(t->d1, drows, (size_t)t->R * t->cfg.hidden_size * sizeof(float));
	backward(t);
}

double train_mlm_loss(trainer *t, mlm_ws *w, const int *labels, float scale, int backward_too,
                      int *correct)
{
	int C = t->cfg.hidden_size;
	double L = mlm_forward(w, &t->mlmh, t->m->params.wte, t->cls, labels, t->R,
	                       t->cfg.layer_norm_eps);
	if (correct)
		*correct = isfinite(L) ? mlm_correct(w) : 0;
	if (!backward_too || !isfinite(L))
		return L;
	zero(t->drows, (size_t)t->R * C);
	mlm_backward(w, &t->mlmh, &t->dmlmh, t->m->params.wte, t->g.wte, t->cls, t->drows, scale);
	train_backward_rows(t, t->drows);
	return L;
}

/* ---- the head's file ------------------------------------------------------ */


int train_head_save(const trainer *t, const char *path, char *err, size_t errlen)
{
	int64_t C = t->cfg.hidden_size, sw[2] = {C, C}, sb[1] = {C};
	st_out o[2] = {
		{MLP_HEAD_W, ST_F32, 2, sw, t->head.W},
		{MLP_HEAD_B, ST_F32, 1, sb, t->head.b},
	};
	const char *meta[] = {"format", "pt", "gcse", "training-only MLP head: tanh(cls W^T + b)", NULL};
	return st_write(path, o, 2, meta, err, errlen);
}

int train_head_load(trainer *t, const char *path, char *err, size_t errlen)
{
	return mlp_head_read(path, t->cfg.hidden_size, t->head.W, t->head.b, err, errlen);
}

int train_mlm_save(const trainer *t, const char *dir, char *err, size_t errlen)
{
	st_out h[MLM_NTENSORS];
	int64_t shapes[MLM_NTENSORS][2];
	mlm_head_tensors(&t->mlmh, t->cfg.hidden_size, t->cfg.vocab_size, h, shapes);
	return model_save_with(t->m, dir, "bert.", 0, h, MLM_NTENSORS, err, errlen);
}
