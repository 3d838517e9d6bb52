/* layers.h — forward kernels of the BERT encoder, in the style of llm.c.
 *
 * Vocabulary: B batch, T tokens per sequence (padded), C channels, NH heads,
 * hs = C / NH head size, OC output channels, N rows (usually B*T). Tensors are
 * row-major float arrays; shapes are written as (B,T,C). Weights are stored
 * [out, in] as in PyTorch, so a linear layer is y = x W^T + b.
 *
 * Each fast kernel has a plain reference (..._naive) next to it; the tests
 * compare them. Fast kernels run on the OpenMP pool (BLIS for matmul) and
 * store what a backward pass needs (LayerNorm mean/rstd, attention
 * probabilities, GELU input). A row's result depends only on that row's
 * inputs (and, for attention, on the keys of its own sequence), never on B,
 * on the padding length T or on the number of threads: a sentence gets the
 * same vector whatever batch it is in. */
#ifndef GCSE_LAYERS_H
#define GCSE_LAYERS_H
#include <stddef.h>

/* embeddings_forward: out (B,T,C) = (wte[ids] + wtt[0]) + wpe[t].
 * ids (B,T) token ids (checked by the caller), wte (V,C) word embeddings,
 * wpe (maxT,C) position embeddings (T <= maxT), wtt (TV,C) token type
 * embeddings: every token has type 0. */
void embeddings_forward(float *out, const int *ids, const float *wte, const float *wpe,
                        const float *wtt, int B, int T, int C);

/* layernorm_forward: out (B,T,C) = (inp - mean) * rstd * weight + bias over C,
 * rstd = 1 / sqrt(var + eps); mean, rstd (B,T) kept for backward;
 * weight, bias (C). */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int T, int C, float eps);
void layernorm_forward_naive(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int B, int T, int C, float eps);

/* matmul_forward: out (B,T,OC) = inp (B,T,C) @ weight^T + bias; weight (OC,C),
 * bias (OC) or NULL, added after the product (the same bits as the fused
 * kernels that add a bias later). BLIS sgemm, always on its packed
 * (non-"sup") path so that each output row is bitwise independent of the
 * number of rows. */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int B, int T, int C, int OC);
void matmul_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          int B, int T, int C, int OC);

/* attention_forward: multi-head self-attention with a key padding mask.
 * inp (B,T,3C): per token Q | K | V, head h in columns h*hs .. h*hs+hs-1 of
 * each (biases included); mask (B,T): nonzero for a real token, 0 for
 * padding (applies to keys); out (B,T,C): per token the heads' context
 * vectors side by side; att (B,NH,T,T): softmax(Q K^T / sqrt(hs)) with padded
 * keys 0, kept for backward; kt (B,NH,hs,T): scratch (keys transposed).
 * A sequence with no real token gets zero attention and output. */
void attention_forward(float *out, float *att, float *kt, const float *inp, const int *mask,
                       int B, int T, int C, int NH);
/* attention_forward_infer: the same for inference, without storing the
 * probabilities: bias (3C) or NULL, the Q, K, V biases of the matmul that
 * made inp (so that it needs no bias pass), added as inp is read (inp is not
 * changed); scratch: attention_scratch_size(T,C,NH) floats per OpenMP
 * thread (omp_get_max_threads()). out has the same bits as
 * attention_forward on inp + bias. */
size_t attention_scratch_size(int T, int C, int NH);
void attention_forward_infer(float *out, float *scratch, const float *inp, const float *bias, const int *mask,
                             int B, int T, int C, int NH);
void attention_forward_naive(float *out, float *att, const float *inp, const int *mask,
                             int B, int T, int C, int NH);

/* softmax_forward: one row, probs (n) = softmax(x (n)) over the entries whose
 * mask (n, or NULL: all) is nonzero; the others get 0. */
void softmax_forward(float *probs, const float *x, const int *mask, int n);
void softmax_forward_naive(float *probs, const float *x, const int *mask, int n);

/* gelu_forward: out (N) = x * 0.5 * (1 + erf(x / sqrt(2))), the exact (erf)
 * GELU; out may equal inp. */
void gelu_forward(float *out, const float *inp, int N);
void gelu_forward_naive(float *out, const float *inp, int N);

/* bias_gelu_forward: fused bias + GELU after a matmul without bias.
 * pre (N,OC): on entry x W^T, on return x W^T + bias (the GELU input, kept
 * for backward); out (N,OC) = gelu(pre). out may equal pre (inference: the
 * GELU input is then not kept). bias (OC). */
void bias_gelu_forward(float *out, float *pre, const float *bias, int N, int OC);

/* residual_layernorm_forward: the fused residual connection and LayerNorm
 * that end an attention or FFN block: res (B,T,C) = inp + (y + ybias) (kept:
 * the LayerNorm input), out (B,T,C) = layernorm(res) with weight, bias (C),
 * mean, rstd (B,T). Same bits as bias_residual_forward + layernorm_forward. */
void residual_layernorm_forward(float *out, float *res, float *mean, float *rstd, const float *inp,
                                const float *y, const float *ybias, const float *weight,
                                const float *bias, int B, int T, int C, float eps);

/* residual_forward: out (N) = inp1 + inp2. */
void residual_forward(float *out, const float *inp1, const float *inp2, int N);
/* bias_residual_forward: out (N,C) = (y + bias) + res, i.e. a linear layer's
 * bias added after a matmul without bias, then the residual connection. */
void bias_residual_forward(float *out, const float *res, const float *y, const float *bias, int N, int C);

/* The vectorised exp and erf used above, one value at a time (for tests):
 * max relative error of layers_expf about 2 ulp, of layers_gelu about 1e-7
 * (of max(1, |x|)); max absolute error of layers_erff about 3e-7. */
float layers_expf(float x);
float layers_erff(float x);
float layers_gelu(float x);
/* 1 when the AVX2/FMA paths are compiled in (otherwise plain C). */
int layers_simd(void);
#endif
