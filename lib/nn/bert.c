/* bert.c — BERT encoder forward pass and pooling (see bert.h). */
#include "nn/bert.h"
#include "base/bigmem.h"
#include "base/err.h"
#include "nn/layers.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bert_ctx *bert_ctx_new(const bert_model *m)
{
	bert_ctx *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->m = m;
	return x;
}

void bert_ctx_free(bert_ctx *x)
{
	if (!x)
		return;
	free(x->arena);
	free(x->scratch);
	free(x->mask);
	free(x);
}

/* k floats from base at *n; NULL when only counting. Buffer i starts
 * 1 KB x i past a 4 KB boundary: rows of different buffers at the same
 * offset would otherwise alias in the store buffer (4K aliasing), which
 * slows every elementwise kernel down. */
static float *take(float *base, size_t *n, size_t k, int *i)
{
	size_t want = (size_t)(*i % 4) * 256;           /* floats past a 1024-float boundary */
	*n += (want + 1024 - *n % 1024) % 1024;
	float *p = base ? base + *n : NULL;
	*n += k;
	(*i)++;
	return p;
}

/* The layout: one layer's tensors in four buffers, reused in turn so that
 * the working set stays small (cache): X the layer input and output,
 * BIG Q|K|V then the FFN hidden layer, A the attention context then ln1, R
 * the embedding sums, then each block's residual sum. */
static size_t act_layout(bert_acts *a, float *base, const bert_config *c, size_t B, size_t T)
{
	size_t C = c->hidden_size, FF = c->intermediate_size, BT = B * T;
	size_t big = BT * (FF > 3 * C ? FF : 3 * C), n = 0;
	int i = 0;
	float *X = take(base, &n, BT * C, &i), *BIG = take(base, &n, big, &i), *A = take(base, &n, BT * C, &i);
	float *R = take(base, &n, BT * C, &i), *st = take(base, &n, 6 * BT, &i);
	float *cls = take(base, &n, B * C, &i), *pooled = take(base, &n, B * C, &i);
	/* the [CLS]-only last layer (bert_encode) */
	float *cin = take(base, &n, B * C, &i), *cA = take(base, &n, B * C, &i), *cR = take(base, &n, B * C, &i);
	float *cF = take(base, &n, B * FF, &i), *catt = take(base, &n, B * c->num_attention_heads * T, &i);
	float *cst = take(base, &n, 4 * B, &i), *cout = take(base, &n, B * C, &i);
	if (base) {
		memset(a, 0, sizeof *a);
		a->emb = R;
		a->x0 = X;
		a->qkv = BIG;
		a->atty = A;
		a->attproj = a->res1 = R;
		a->ln1 = A;
		a->fch = BIG;
		a->fcproj = a->res2 = R;
		a->ln2 = X;
		a->emb_mean = st;
		a->emb_rstd = st + BT;
		a->ln1_mean = st + 2 * BT;
		a->ln1_rstd = st + 3 * BT;
		a->ln2_mean = st + 4 * BT;
		a->ln2_rstd = st + 5 * BT;
		a->cls = cls;
		a->pooled = pooled;
		a->cls_in = cin;
		a->cls_a = cA;
		a->cls_r = cR;
		a->cls_fch = cF;
		a->cls_att = catt;
		a->cls_stats = cst;
		a->cls_out = cout;
	}
	return n;
}

/* Make room for B x T; 1 ok, 0 when out of memory or too large. */
static int reserve(bert_ctx *x, int B, int T)
{
	if (x->arena && B <= x->Bc && T <= x->Tc)
		return 1;
	int Bc = B > x->Bc ? B : x->Bc, Tc = T > x->Tc ? T : x->Tc;
	const bert_config *c = &x->m->cfg;
	size_t total = act_layout(NULL, NULL, c, (size_t)Bc, (size_t)Tc);
	if (total > SIZE_MAX / sizeof(float) / 2)
		return 0;
	total = (total + 15) / 16 * 16;
	float *arena = big_alloc(total * sizeof(float));
	if (!arena)
		return 0;
	free(x->arena);
	x->arena = arena;
	x->arena_floats = total;
	x->Bc = Bc;
	x->Tc = Tc;
	act_layout(&x->a, arena, c, (size_t)Bc, (size_t)Tc);
	return 1;
}

/* Attention scratch for the current thread count and capacity. */
static int reserve_scratch(bert_ctx *x)
{
	const bert_config *c = &x->m->cfg;
	size_t need = attention_scratch_size(x->Tc, c->hidden_size, c->num_attention_heads) *
	              (size_t)omp_get_max_threads();
	if (x->scratch && need <= x->scratch_floats)
		return 1;
	float *s = aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64);
	if (!s)
		return 0;
	free(x->scratch);
	x->scratch = s;
	x->scratch_floats = need;
	return 1;
}

/* The last layer for the [CLS] rows only: Q|K|V (with bias) of every
 * token, then attention from the [CLS] query, the output projection,
 * LayerNorm and FFN on B rows. attention_rows_forward reproduces the [CLS]
 * row of the full attention bit for bit, and a row of a product does not
 * depend on the other rows (matmul_forward), so out (B,C) holds the same
 * bits as the [CLS] rows of the full layer. in (B,T,C) the layer input. */
static void last_layer_cls(bert_ctx *x, const float *in, int B, int T)
{
	const bert_config *c = &x->m->cfg;
	const bert_params *p = &x->m->params;
	const bert_acts *a = &x->a;
	int C = c->hidden_size, NH = c->num_attention_heads, FF = c->intermediate_size;
	size_t L = (size_t)c->num_hidden_layers - 1;
	float eps = c->layer_norm_eps, *st = a->cls_stats;

	matmul_forward(a->qkv, in, p->qkvw + L * 3 * C * C, p->qkvb + L * 3 * C, B, T, C, 3 * C);
	/* kt (B,NH,hs,T) in the residual buffer, free in the last layer */
	attention_rows_forward(a->cls_a, a->cls_att, NULL, NULL, a->res1, a->qkv, x->mask, 0.0f, 0, NULL, B, B, T,
	                       C, NH);
	pool_cls_forward(a->cls_in, in, B, T, C);
	matmul_forward(a->cls_r, a->cls_a, p->attprojw + L * C * C, NULL, 1, B, C, C);
	residual_layernorm_forward(a->cls_a, a->cls_r, st, st + B, a->cls_in, a->cls_r, p->attprojb + L * C,
	                           p->ln1w + L * C, p->ln1b + L * C, 1, B, C, eps);
	matmul_forward(a->cls_fch, a->cls_a, p->fcw + L * FF * C, NULL, 1, B, C, FF);
	bias_gelu_forward(a->cls_fch, a->cls_fch, p->fcb + L * FF, B, FF);
	matmul_forward(a->cls_r, a->cls_fch, p->fcprojw + L * C * FF, NULL, 1, B, FF, C);
	residual_layernorm_forward(a->cls_out, a->cls_r, st + 2 * B, st + 3 * B, a->cls_a, a->cls_r,
	                           p->fcprojb + L * C, p->ln2w + L * C, p->ln2b + L * C, 1, B, C, eps);
}

static int forward(bert_ctx *x, const int *ids, const int *mask, int B, int T, int cls_only, char *err,
                   size_t errlen)
{
	const bert_config *c = &x->m->cfg;
	const bert_params *p = &x->m->params;
	if (B < 1 || T < 1) {
		seterr(err, errlen, "empty batch");
		return -1;
	}
	if (T > c->max_position_embeddings) {
		seterr(err, errlen, "sequence length %d over the model's maximum %d", T, c->max_position_embeddings);
		return -1;
	}
	size_t BT = (size_t)B * T;
	if (BT > INT32_MAX / 4) {
		seterr(err, errlen, "batch too large");
		return -1;
	}
	for (size_t i = 0; i < BT; i++)
		if (ids[i] < 0 || ids[i] >= c->vocab_size) {
			seterr(err, errlen, "token id %d (sequence %zu, position %zu) outside the vocabulary (%d)",
			       ids[i], i / T, i % T, c->vocab_size);
			return -1;
		}
	if (BT > x->mask_cap) {
		int *mk = realloc(x->mask, BT * sizeof *mk);
		if (!mk) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		x->mask = mk;
		x->mask_cap = BT;
	}
	for (int b = 0; b < B; b++) {
		int any = 0;
		for (int t = 0; t < T; t++) {
			int v = !mask || mask[(size_t)b * T + t] != 0;
			x->mask[(size_t)b * T + t] = v;
			any |= v;
		}
		if (!any) {
			seterr(err, errlen, "sequence %d has no real token", b);
			return -1;
		}
	}
	if (!reserve(x, B, T) || !reserve_scratch(x)) {
		seterr(err, errlen, "out of memory for activations of %d x %d tokens", B, T);
		return -1;
	}
	x->B = B;
	x->T = T;
	int C = c->hidden_size, NH = c->num_attention_heads, FF = c->intermediate_size, N = (int)BT;
	float eps = c->layer_norm_eps;
	bert_acts *a = &x->a;

	embeddings_forward(a->emb, ids, p->wte, p->wpe, p->wtt, B, T, C);
	layernorm_forward(a->x0, a->emb_mean, a->emb_rstd, a->emb, p->emb_lnw, p->emb_lnb, B, T, C, eps);
	const float *in = a->x0;
	x->hidden = x->cls_hidden = NULL;
	for (int l = 0; l < c->num_hidden_layers; l++) {
		size_t L = (size_t)l;
		if (cls_only && l == c->num_hidden_layers - 1) {
			last_layer_cls(x, in, B, T);
			x->cls_hidden = a->cls_out;
			return 0;
		}
		matmul_forward(a->qkv, in, p->qkvw + L * 3 * C * C, NULL, B, T, C, 3 * C);
		attention_forward_infer(a->atty, x->scratch, a->qkv, p->qkvb + L * 3 * C, x->mask, B, T, C, NH);
		matmul_forward(a->attproj, a->atty, p->attprojw + L * C * C, NULL, B, T, C, C);
		residual_layernorm_forward(a->ln1, a->res1, a->ln1_mean, a->ln1_rstd, in, a->attproj,
		                           p->attprojb + L * C, p->ln1w + L * C, p->ln1b + L * C, B, T, C, eps);
		matmul_forward(a->fch, a->ln1, p->fcw + L * FF * C, NULL, B, T, C, FF);
		bias_gelu_forward(a->fch, a->fch, p->fcb + L * FF, N, FF);
		matmul_forward(a->fcproj, a->fch, p->fcprojw + L * C * FF, NULL, B, T, FF, C);
		residual_layernorm_forward(a->ln2, a->res2, a->ln2_mean, a->ln2_rstd, a->ln1, a->fcproj,
		                           p->fcprojb + L * C, p->ln2w + L * C, p->ln2b + L * C, B, T, C, eps);
		in = a->ln2;
	}
	x->hidden = (float *)in;
	return 0;
}

int bert_forward(bert_ctx *x, const int *ids, const int *mask, int B, int T, char *err, size_t errlen)
{
	return forward(x, ids, mask, B, T, 0, err, errlen);
}

int bert_encode(bert_ctx *x, const int *ids, const int *mask, int B, int T, int pooling, int normalize,
                float *out, char *err, size_t errlen)
{
	int cls_only = pooling == BERT_POOL_CLS || pooling == BERT_POOL_POOLER;
	if (forward(x, ids, mask, B, T, cls_only, err, errlen))
		return -1;
	return bert_pool(x, pooling, normalize, out, err, errlen);
}

/* ---- pooling ---------------------------------------------------------- */

void pool_cls_forward(float *out, const float *h, int B, int T, int C)
{
	for (int b = 0; b < B; b++)
		memcpy(out + (size_t)b * C, h + (size_t)b * T * C, (size_t)C * sizeof *out);
}

void pool_mean_forward(float *out, const float *h, const int *mask, int B, int T, int C)
{
#pragma omp parallel for schedule(static)
	for (int b = 0; b < B; b++) {
		float *o = out + (size_t)b * C;
		int n = 0;
		memset(o, 0, (size_t)C * sizeof *o);
		for (int t = 0; t < T; t++) {
			if (!mask[(size_t)b * T + t])
				continue;
			const float *x = h + ((size_t)b * T + t) * C;
			n++;
#pragma omp simd
			for (int i = 0; i < C; i++)
				o[i] += x[i];
		}
		float d = n > 0 ? (float)n : 1e-9f;    /* as sentence-transformers: clamp(count, 1e-9) */
#pragma omp simd
		for (int i = 0; i < C; i++)
			o[i] /= d;
	}
}

void pool_max_forward(float *out, const float *h, const int *mask, int B, int T, int C)
{
#pragma omp parallel for schedule(static)
	for (int b = 0; b < B; b++) {
		float *o = out + (size_t)b * C;
		for (int i = 0; i < C; i++)
			o[i] = -1e9f;                   /* what sentence-transformers gives padding */
		for (int t = 0; t < T; t++) {
			if (!mask[(size_t)b * T + t])
				continue;
			const float *x = h + ((size_t)b * T + t) * C;
#pragma omp simd
			for (int i = 0; i < C; i++)
				o[i] = x[i] > o[i] ? x[i] : o[i];
		}
	}
}

void pool_cls_backward(float *dh, const float *dout, int B, int T, int C)
{
	for (int b = 0; b < B; b++) {
		float *d = dh + (size_t)b * T * C;
		const float *g = dout + (size_t)b * C;
		for (int c = 0; c < C; c++)
			d[c] += g[c];
	}
}

void pool_mean_backward(float *dh, const float *dout, const int *mask, int B, int T, int C)
{
	for (int b = 0; b < B; b++) {
		int n = 0;
		for (int t = 0; t < T; t++)
			n += mask[(size_t)b * T + t] != 0;
		float den = n > 0 ? (float)n : 1e-9f;
		const float *g = dout + (size_t)b * C;
		for (int t = 0; t < T; t++) {
			if (!mask[(size_t)b * T + t])
				continue;
			float *d = dh + ((size_t)b * T + t) * C;
			for (int c = 0; c < C; c++)
				d[c] += g[c] / den;
		}
	}
}

void pool_max_backward(float *dh, const float *dout, const float *h, const int *mask, int B,
                       int T, int C)
{
	for (int b = 0; b < B; b++)
		for (int c = 0; c < C; c++) {
			float best = -1e9f;
			int arg = -1;
			for (int t = 0; t < T; t++) {
				float x = h[((size_t)b * T + t) * C + c];
				if (mask[(size_t)b * T + t] && x > best) {
					best = x;
					arg = t;
				}
			}
			if (arg >= 0)
				dh[((size_t)b * T + arg) * C + c] += dout[(size_t)b * C + c];
		}
}

void pooler_forward(float *out, const float *cls, const float *w, const float *b, int B, int C)
{
	matmul_forward(out, cls, w, b, 1, B, C, C);
	for (size_t i = 0; i < (size_t)B * C; i++)
		out[i] = tanhf(out[i]);
}

void l2norm_forward(float *x, int B, int C)
{
	for (int b = 0; b < B; b++) {
		float *v = x + (size_t)b * C;
		float acc[8] = {0};
		int i = 0;
		for (; i + 8 <= C; i += 8)
#pragma omp simd
			for (int l = 0; l < 8; l++)
				acc[l] += v[i + l] * v[i + l];
		for (; i < C; i++)
			acc[i & 7] += v[i] * v[i];
		float ss = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
		float n = sqrtf(ss);
		n = n > 1e-12f ? n : 1e-12f;
		for (i = 0; i < C; i++)
			v[i] /= n;
	}
}

int bert_pool(bert_ctx *x, int pooling, int normalize, float *out, char *err, size_t errlen)
{
	const bert_config *c = &x->m->cfg;
	int B = x->B, T = x->T, C = c->hidden_size;
	if (!x->hidden && !x->cls_hidden) {
		seterr(err, errlen, "no forward pass to pool");
		return -1;
	}
	if (!x->hidden && (pooling == BERT_POOL_MEAN || pooling == BERT_POOL_MAX)) {
		seterr(err, errlen, "pooling \"%s\": the last forward kept the [CLS] rows only",
		       bert_pooling_name(pooling));
		return -1;
	}
	/* (B,C) [CLS] hidden states */
	const float *cls = x->cls_hidden;
	if (!cls && (pooling == BERT_POOL_CLS || pooling == BERT_POOL_POOLER)) {
		pool_cls_forward(x->a.cls, x->hidden, B, T, C);
		cls = x->a.cls;
	}
	switch (pooling) {
	case BERT_POOL_CLS:
		memcpy(out, cls, (size_t)B * C * sizeof *out);
		break;
	case BERT_POOL_POOLER:
		if (!x->m->has_pooler) {
			seterr(err, errlen, "pooling \"pooler\": the model has no pooler weights");
			return -1;
		}
		pooler_forward(x->a.pooled, cls, x->m->params.poolw, x->m->params.poolb, B, C);
		memcpy(out, x->a.pooled, (size_t)B * C * sizeof *out);
		break;
	case BERT_POOL_MEAN:
		pool_mean_forward(out, x->hidden, x->mask, B, T, C);
		break;
	case BERT_POOL_MAX:
		pool_max_forward(out, x->hidden, x->mask, B, T, C);
		break;
	default:
		seterr(err, errlen, "unknown pooling %d", pooling);
		return -1;
	}
	if (normalize)
		l2norm_forward(out, B, C);
	return 0;
}
