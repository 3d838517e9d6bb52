/* layers.h — forward and backward kernels of the BERT encoder, in the style of llm.c.
 *
 * Vocabulary: B batch, T tokens per sequence (padded), C channels, NH heads,
 * hs = C / NH head size, OC output channels, N rows (usually B*T). Tensors are
 * row-major float arrays; shapes are written as (B,T,C). Weights are stored
 * [out, in] as in PyTorch, so a linear layer is y = x W^T + b.
 *
 * Each forward kernel is followed by its backward (llm.c style): backward
 * kernels ACCUMULATE (+=) into their outputs, the caller zeroes gradients
 * once per step; row reductions (bias, LayerNorm weight, embedding tables)
 * use no atomics and add rows in row order, so no result depends on the
 * number of threads. Each fast kernel has a plain reference (..._naive)
 * next to it; the tests (test_layers, test_backward) compare them. Fast
 * kernels run on the OpenMP pool (base/gemm.h for matmul) and store what a
 * backward pass needs (LayerNorm mean/rstd, attention
 * probabilities, GELU input). A row's result depends only on that row's
 * inputs (and, for attention, on the keys of its own sequence), never on B,
 * on the padding length T or on the number of threads: a sentence gets the
 * same vector whatever batch it is in. */
#ifndef GCSE_LAYERS_H
#define GCSE_LAYERS_H
#include <stddef.h>
#include <stdint.h>

/* embeddings_forward: out (B,T,C) = (wte[ids] + wtt[0]) + wpe[t].
 * ids (B,T) token ids (checked by the caller), wte (V,C) word embeddings,
 * wpe (maxT,C) position embeddings (T <= maxT), wtt (TV,C) token type
 * embeddings: every token has type 0. */
void embeddings_forward(float *out, const int *ids, const float *wte, const float *wpe,
                        const float *wtt, int B, int T, int C);
/* embeddings_backward: dout (B,T,C); ids (B,T); dwte (V,C), dwpe (maxT,C),
 * dwtt (TV,C) receive += (row ids[b,t] of dwte, row t of dwpe, row 0 of
 * dwtt). Threads split the channels; each element sums its rows in order,
 * so a repeated id is deterministic. */
void embeddings_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                         const int *ids, int B, int T, int C);
void embeddings_backward_naive(float *dwte, float *dwpe, float *dwtt, const float *dout,
                               const int *ids, int B, int T, int C);

/* layernorm_forward: out (B,T,C) = (inp - mean) * rstd * weight + bias over C,
 * rstd = 1 / sqrt(var + eps); mean, rstd (B,T) kept for backward;
 * weight, bias (C). */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int T, int C, float eps);
void layernorm_forward_naive(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int B, int T, int C, float eps);
/* layernorm_backward: dout, inp (B,T,C); weight (C); mean, rstd (B,T) as
 * layernorm_forward stored them. dinp (B,T,C), dweight, dbias (C) += .
 * dinp may be NULL. Also the backward of residual_layernorm_forward (with
 * inp = res), followed by the residual's. */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int T, int C);
void layernorm_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int B, int T, int C);

/* matmul_forward: out (B,T,OC) = inp (B,T,C) @ weight^T + bias; weight (OC,C),
 * bias (OC) or NULL, added after the product (the same bits as the fused
 * kernels that add a bias later). gemm_f32 with GEMM_ROWWISE, so that each
 * output row is bitwise independent of the number of rows (base/gemm.h). */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int B, int T, int C, int OC);
void matmul_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          int B, int T, int C, int OC);
/* gemm_strided: C (m,n) = alpha A (m,k) B (k,n) + beta C, every matrix with
 * its own row and column strides (a transpose is a swap of them): gemm_f32
 * (base/gemm.h), whose bits never depend on the thread count. */
void gemm_strided(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
                  const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc);
/* matmul_backward: dinp (B,T,C) += dout W; dweight (OC,C) += dout^T inp;
 * dbias (OC) += column sums of dout. dinp and dbias may be NULL. gemm_strided. */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int B, int T, int C, int OC);
void matmul_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int B, int T, int C, int OC);

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

/* attention_dropout_forward: dropout on the attention probabilities (the
 * training forward of Hugging Face BERT), after attention_forward: att
 * (B,NH,T,T), inp (B,T,3C) and mask (B,T) as there; drop
 * (dropout_mask_bytes(B*NH*T*T)) receives the keep bits (dropout.h, key);
 * attd (B,NH,T,T) scratch receives the dropped probabilities; out (B,T,C) is
 * recomputed from them. With p == 0 it does nothing (drop is not written). */
void attention_dropout_forward(float *out, uint8_t *drop, float *attd, const float *att,
                               const float *inp, const int *mask, float p, uint64_t key,
                               int B, int T, int C, int NH);
/* attention_backward: dout (B,T,C); inp (B,T,3C) Q|K|V; att (B,NH,T,T) the
 * probabilities attention_forward stored; mask (B,T). drop/p: the dropout of
 * attention_dropout_forward (drop NULL or p == 0: none). dinp (B,T,3C) is
 * OVERWRITTEN with d inp (unlike the other backwards: it is written a
 * sequence at a time, which keeps each sequence's block in cache while its
 * heads update it); scratch of attention_backward_scratch(B,T,C,NH) floats
 * (B*T*(2T + hs)). */
size_t attention_backward_scratch(int B, int T, int C, int NH);
void attention_backward(float *dinp, float *scratch, const float *dout, const float *inp,
                        const float *att, const uint8_t *drop, float p, const int *mask,
                        int B, int T, int C, int NH);
void attention_backward_naive(float *dinp, const float *dout, const float *inp,
                              const float *att, const uint8_t *drop, float p, const int *mask,
                              int B, int T, int C, int NH);
/* attention_rows_forward: the attention of R query rows only, what the last
 * layer needs when only some positions reach the loss: the [CLS] rows when
 * only [CLS] is pooled, the masked positions of masked-LM. qpos (R): the
 * rows' flat positions b*T + i, strictly ascending; NULL: the [CLS] rows
 * (qpos[b] = b*T, R = B). out (R,C) their context, att (R,NH,T) their
 * probabilities, kt (B,NH,hs,T) scratch; inp, mask as attention_forward,
 * whose rows it reproduces bit for bit (p == 0). p > 0: dropout on the
 * probabilities, keep bits into drop (dropout_mask_bytes(R*NH*T)), attd
 * (R,NH,T) scratch. */
void attention_rows_forward(float *out, float *att, uint8_t *drop, float *attd, float *kt,
                            const float *inp, const int *mask, float p, uint64_t key,
                            const int *qpos, int R, int B, int T, int C, int NH);
/* attention_rows_backward: dout (R,C); dinp (B,T,3C) overwritten as by
 * attention_backward (Q of the R rows, K and V of every key; the rest 0). */
void attention_rows_backward(float *dinp, const float *dout, const float *inp, const float *att,
                             const uint8_t *drop, float p, const int *mask, const int *qpos, int R,
                             int B, int T, int C, int NH);

/* softmax_forward: one row, probs (n) = softmax(x (n)) over the entries whose
 * mask (n, or NULL: all) is nonzero; the others get 0. */
void softmax_forward(float *probs, const float *x, const int *mask, int n);
void softmax_forward_naive(float *probs, const float *x, const int *mask, int n);
/* softmax_backward: one row, probs (n) as softmax_forward wrote them (0 on
 * masked entries): dx (n) += probs * (dprobs - probs . dprobs). */
void softmax_backward(float *dx, const float *dprobs, const float *probs, int n);
void softmax_backward_naive(float *dx, const float *dprobs, const float *probs, int n);

/* crossentropy_forward: R rows of logits (R,V) in p are replaced by their
 * softmax probabilities; loss (R) = -log softmax(logits_r)[labels[r]]
 * = logsumexp(logits_r) - logits_r[labels[r]]; labels in [0,V).
 * crossentropy_backward: p (R,V) the probabilities of the forward, replaced
 * by d loss / d logits = (p - onehot(label)) * scale (scale 1/R: the mean). */
void crossentropy_forward(float *p, double *loss, const int *labels, int R, int V);
void crossentropy_forward_naive(float *p, double *loss, const int *labels, int R, int V);
void crossentropy_backward(float *p, const int *labels, float scale, int R, int V);

/* gelu_forward: out (N) = x * 0.5 * (1 + erf(x / sqrt(2))), the exact (erf)
 * GELU; out may equal inp. */
void gelu_forward(float *out, const float *inp, int N);
void gelu_forward_naive(float *out, const float *inp, int N);
/* gelu_backward: dinp (N) += dout * gelu'(inp), gelu'(x) = Phi(x) + x phi(x)
 * (absolute error about 3e-7). */
void gelu_backward(float *dinp, const float *inp, const float *dout, long N);
void gelu_backward_naive(float *dinp, const float *inp, const float *dout, long N);

/* bias_gelu_forward: fused bias + GELU after a matmul without bias.
 * pre (N,OC): on entry x W^T, on return x W^T + bias (the GELU input, kept
 * for backward); out (N,OC) = gelu(pre). out may equal pre (inference: the
 * GELU input is then not kept). bias (OC). */
void bias_gelu_forward(float *out, float *pre, const float *bias, int N, int OC);
/* Its backward: gelu_backward on the kept pre, then matmul_backward with
 * dbias (which sums the columns). */

/* residual_layernorm_forward: the fused residual connection and LayerNorm
 * that end an attention or FFN block: res (B,T,C) = inp + (y + ybias) (kept:
 * the LayerNorm input), out (B,T,C) = layernorm(res) with weight, bias (C),
 * mean, rstd (B,T). Same bits as bias_residual_forward + layernorm_forward. */
void residual_layernorm_forward(float *out, float *res, float *mean, float *rstd, const float *inp,
                                const float *y, const float *ybias, const float *weight,
                                const float *bias, int B, int T, int C, float eps);

/* residual_forward: out (N) = inp1 + inp2. */
void residual_forward(float *out, const float *inp1, const float *inp2, int N);
/* residual_backward: dinp1, dinp2 (N) += dout. */
void residual_backward(float *dinp1, float *dinp2, const float *dout, long N);
/* bias_residual_forward: out (N,C) = (y + bias) + res, i.e. a linear layer's
 * bias added after a matmul without bias, then the residual connection. */
void bias_residual_forward(float *out, const float *res, const float *y, const float *bias, int N, int C);
/* bias_dropout_residual_forward: the end of a training block before its
 * LayerNorm, out (N,C) = dropout(y + bias) + res, in one pass: the mask and
 * scaling of dropout_forward on y + bias (same key, same bits, written to
 * bits, dropout_mask_bytes(N*C)); p == 0: bias_residual_forward (bits not
 * written). Backward: dropout_backward, then bias_residual_backward's parts. */
void bias_dropout_residual_forward(float *out, uint8_t *bits, const float *y, const float *bias,
                                   const float *res, float p, uint64_t key, int N, int C);
/* bias_residual_backward: dres, dy (N,C) += dout (either may be NULL);
 * dbias (C) += column sums of dout. */
void bias_residual_backward(float *dres, float *dy, float *dbias, const float *dout,
                            int N, int C);
/* colsum_add: acc (C) += column sums of x (N,C), rows in order per column. */
void colsum_add(float *acc, const float *x, int N, int C);

/* The vectorised exp and erf used above, one value at a time (for tests):
 * max relative error of layers_expf about 2 ulp, of layers_gelu about 1e-7
 * (of max(1, |x|)); max absolute error of layers_erff about 3e-7. */
float layers_expf(float x);
float layers_erff(float x);
float layers_gelu(float x);
/* 2 when the AVX-512 paths are compiled in, 1 for AVX2/FMA, 0 for plain C. */
int layers_simd(void);
#endif
