/* lib/nn/: the BERT encoder for inference, from files to vectors; depends on
 * base/ alone, never prints and never exits: errors come back as a return
 * value and a message buffer.
 *
 * bert.h — the BERT encoder forward pass over a padded batch, and pooling.
 *
 *   bert_ctx *x = bert_ctx_new(model);
 *   if (bert_forward(x, ids, mask, B, T, err, sizeof err)) ...   // ids, mask (B,T)
 *   ... x->hidden (B,T,C): last hidden states ...
 *   bert_pool(x, BERT_POOL_CLS, 1, out, err, sizeof err);       // out (B,C)
 *
 * Post-LayerNorm BERT as Hugging Face's BertModel in eval mode: embeddings
 * (word + position + token type 0) and LayerNorm, then per layer
 * self-attention with a key padding mask, output projection, residual and
 * LayerNorm, FFN with the exact erf GELU, residual and LayerNorm.
 *
 * The activations arena is sized for the largest (B,T) seen and reused;
 * nothing else is allocated per call, and one layer's buffers serve every
 * layer (training keeps every layer's activations in its own layout,
 * lib/train/train.h). Kernels run on the OpenMP/GEMM threads
 * set by the program (cli_set_threads). A sequence's result does not depend on
 * the other sequences in the batch, on its padding or on the thread count. */
#ifndef GCSE_BERT_H
#define GCSE_BERT_H
#include <stddef.h>

#include "nn/model.h"

/* Activations of one layer, reused by every layer: the tensors share four
 * buffers in turn (x0/ln2, qkv/fch, atty/ln1, emb/attproj/res1/fcproj/res2),
 * so only the last layer's output (hidden) is meaningful after a forward.
 * Shapes use the capacity Bc, Tc; a forward on (B,T) uses the first B*T rows. */
typedef struct bert_acts {
	float *emb;             /* (Bc,Tc,C) embedding sums, input of the embedding LayerNorm */
	float *emb_mean;        /* (Bc,Tc) */
	float *emb_rstd;        /* (Bc,Tc) */
	float *x0;              /* (Bc,Tc,C) embeddings output = input of layer 0 */
	float *qkv;             /* (Bc,Tc,3C) Q | K | V (the bias is added in the attention) */
	float *atty;            /* (Bc,Tc,C) attention context before the output projection */
	float *attproj;         /* (Bc,Tc,C) atty W^T, no bias */
	float *res1;            /* (Bc,Tc,C) layer input + attproj + bias: input of ln1 */
	float *ln1;             /* (Bc,Tc,C) */
	float *ln1_mean;        /* (Bc,Tc) */
	float *ln1_rstd;        /* (Bc,Tc) */
	float *fch;             /* (Bc,Tc,FF) ln1 W^T + b, then GELU of it in place */
	float *fcproj;          /* (Bc,Tc,C) fch W^T, no bias */
	float *res2;            /* (Bc,Tc,C) ln1 + fcproj + bias: input of ln2 */
	float *ln2;             /* (Bc,Tc,C) layer output */
	float *ln2_mean;        /* (Bc,Tc) */
	float *ln2_rstd;        /* (Bc,Tc) */
	float *cls;             /* (Bc,C) [CLS] hidden states gathered for the pooler */
	float *pooled;          /* (Bc,C) pooler output tanh(cls W^T + b) */
	/* bert_encode's [CLS]-only last layer (the full layer's qkv and, for
	 * its keys, res1 are reused) */
	float *cls_in;          /* (Bc,C) the layer input at [CLS] */
	float *cls_a;           /* (Bc,C) attention context, then ln1 */
	float *cls_r;           /* (Bc,C) attproj / res1, then fcproj / res2 */
	float *cls_fch;         /* (Bc,FF) FFN hidden layer (GELU in place) */
	float *cls_att;         /* (Bc,NH,Tc) attention probabilities of the [CLS] query */
	float *cls_stats;       /* (4,Bc) ln1 mean, rstd, ln2 mean, rstd */
	float *cls_out;         /* (Bc,C) the layer output at [CLS] */
} bert_acts;

typedef struct bert_ctx {
	const bert_model *m;
	int Bc, Tc;             /* capacity of the arena */
	bert_acts a;
	float *arena;
	size_t arena_floats;
	float *scratch;         /* attention scratch, per thread */
	size_t scratch_floats;
	int *mask;              /* (B,T) 0/1 copy of the last forward's mask */
	size_t mask_cap;
	int B, T;               /* shape of the last forward */
	float *hidden;          /* (B,T,C) last hidden states of the last forward;
	                         * NULL after bert_encode's [CLS]-only forward */
	float *cls_hidden;      /* (B,C) after that forward: its [CLS] rows */
} bert_ctx;

/* A context for inference forwards of m (NULL: no memory). Every layer's
 * activations for training are kept by the training forward (lib/train), not here. */
bert_ctx *bert_ctx_new(const bert_model *m);
void bert_ctx_free(bert_ctx *x);

/* Forward pass. ids (B,T) token ids in [0, V); mask (B,T): nonzero for real
 * tokens, 0 for padding (NULL: all real); every sequence needs a real token;
 * 1 <= T <= max_position_embeddings. 0, or -1 with a message on bad input or no memory. */
int bert_forward(bert_ctx *x, const int *ids, const int *mask, int B, int T, char *err, size_t errlen);

/* Forward and pool in one call, out (B,C). With cls or pooler pooling the
 * last layer runs past its Q|K|V for the [CLS] rows only (its attention,
 * projection and FFN on B rows instead of B*T: nearly 1/L of the work
 * less), with the same bits as bert_forward + bert_pool; hidden is then
 * NULL and cls_hidden (B,C) holds those rows. Other poolings: bert_forward
 * + bert_pool. */
int bert_encode(bert_ctx *x, const int *ids, const int *mask, int B, int T, int pooling, int normalize,
                float *out, char *err, size_t errlen);

/* Pool the last forward's hidden states into out (B,C); normalize: divide
 * each vector by max(L2 norm, 1e-12). Pooler pooling needs pooler weights. */
int bert_pool(bert_ctx *x, int pooling, int normalize, float *out, char *err, size_t errlen);

/* The pooling kernels: h (B,T,C), mask (B,T), out (B,C). */
void pool_cls_forward(float *out, const float *h, int B, int T, int C);
void pool_mean_forward(float *out, const float *h, const int *mask, int B, int T, int C);
void pool_max_forward(float *out, const float *h, const int *mask, int B, int T, int C);
/* Their backwards: dh (B,T,C) += the gradient of out (B,C) = pool(h) for
 * dout (B,C). cls: row 0 of each sequence; mean: dout / count over the real
 * tokens (count clamped at 1e-9 as the forward); max: each channel to the
 * first real token holding its maximum (none when no value beat the
 * forward's -1e9 start). */
void pool_cls_backward(float *dh, const float *dout, int B, int T, int C);
void pool_mean_backward(float *dh, const float *dout, const int *mask, int B, int T, int C);
void pool_max_backward(float *dh, const float *dout, const float *h, const int *mask, int B,
                       int T, int C);
/* out (B,C) = tanh(cls (B,C) W^T + b); W (C,C), b (C). */
void pooler_forward(float *out, const float *cls, const float *w, const float *b, int B, int C);
/* x (B,C) scaled in place to unit L2 norm (x / max(|x|, 1e-12)). */
void l2norm_forward(float *x, int B, int C);
#endif
