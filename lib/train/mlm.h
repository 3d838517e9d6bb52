/* mlm.h — masked-LM pretraining: the prediction head of Hugging Face's
 * BertForMaskedLM (cls.predictions), its loss at the selected positions, and
 * the choice of those positions (BERT's 15%, 80/10/10).
 *
 * Head (R selected rows of the last hidden states x (R,C)):
 *   pre = x W^T + b                 transform.dense       W (C,C) [out,in], b (C)
 *   g   = gelu(pre)                 the exact erf GELU (config hidden_act "gelu")
 *   y   = LayerNorm(g; lnw, lnb)    transform.LayerNorm   eps of the config
 *   logits = y E^T + bias           decoder tied to the word embeddings E (V,C);
 *                                   bias (V) is cls.predictions.bias
 *   loss = mean over the R rows of cross_entropy(logits_r, label_r)
 * Only the selected positions are computed (Hugging Face computes every
 * position and ignores label -100: the same loss and gradients).
 *
 * Gradients: mlm_backward accumulates (+=) into the head's gradient tensors,
 * into dE (the tied decoder: the word-embedding gradient of the encoder) and
 * into dx (R,C). Nothing is allocated after mlm_ws_init. */
#ifndef GCSE_MLM_H
#define GCSE_MLM_H
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "nn/safetensors.h"

typedef struct mlm_head {
	float *W;       /* (C,C) transform.dense.weight */
	float *b;       /* (C)   transform.dense.bias */
	float *lnw;     /* (C)   transform.LayerNorm.weight */
	float *lnb;     /* (C)   transform.LayerNorm.bias */
	float *bias;    /* (V)   cls.predictions.bias (the decoder's) */
} mlm_head;

/* Floats of a head: C*C + 3C + V. mlm_head_point lays one out at p in that
 * order (W, b, lnw, lnb, bias). */
size_t mlm_head_size(int C, int V);
void mlm_head_point(mlm_head *h, float *p, int C, int V);
/* Hugging Face's init: W ~ N(0, std) from r, b = 0, lnw = 1, lnb = 0, bias = 0. */
void mlm_head_init(mlm_head *h, int C, int V, float std, rng *r);

/* The head's tensors under their BertForMaskedLM names (the decoder weight
 * and bias are tied, so not stored): out[5]; shapes[5][2] is the caller's. */
#define MLM_NTENSORS 5
void mlm_head_tensors(const mlm_head *h, int C, int V, st_out out[MLM_NTENSORS],
                      int64_t shapes[MLM_NTENSORS][2]);
/* Reads the five tensors from a safetensors file into h. 1 when the file
 * holds a head of these shapes, 0 when it holds none (h untouched), -1 with
 * a message when it holds a head of other shapes or cannot be read. */
int mlm_head_load(mlm_head *h, const char *path, int C, int V, char *err, size_t errlen);

/* Activations and scratch for up to maxR rows. */
typedef struct mlm_ws {
	int maxR, C, V, R;
	float *pre, *g, *y;        /* (R,C) */
	float *mean, *rstd;        /* (R) */
	float *logits;             /* (R,V): logits, then softmax probabilities */
	double *rowloss;           /* (R) */
	int *labels;               /* (R) copy */
	float *dy, *dg, *dpre;     /* (R,C) */
} mlm_ws;
int mlm_ws_init(mlm_ws *w, int maxR, int C, int V);   /* 0, or -1: out of memory */
void mlm_ws_free(mlm_ws *w);

/* Forward: x (R,C) the last hidden states of the selected positions, labels
 * (R) their original token ids in [0,V), E (V,C) the word embeddings.
 * Returns the mean cross-entropy (NaN when a label is out of range or R is
 * 0 or above maxR). scale: the backward's d loss / d logit is multiplied by
 * it (1 / R for the mean over this batch; a data-parallel rank passes
 * 1 / R_global for its share). Keeps what backward needs. */
double mlm_forward(mlm_ws *w, const mlm_head *h, const float *E, const float *x, const int *labels,
                   int R, float eps);
/* Backward of the last forward with d loss / d logit = (p - onehot) * scale:
 * dh's tensors, dE (V,C) and dx (R,C) +=. */
void mlm_backward(mlm_ws *w, const mlm_head *h, mlm_head *dh, const float *E, float *dE,
                  const float *x, float *dx, float scale);
/* The number of correctly predicted rows of the last forward (argmax ==
 * label), for the metrics. */
int mlm_correct(const mlm_ws *w);

/* Which positions to predict, and what the model sees there (BERT, as
 * transformers' DataCollatorForLanguageModeling / ...ForWholeWordMask):
 * every real token of ids (B,T) other than [CLS], [SEP] and [PAD] is
 * selected with probability prob (whole_word: every token of a word — a
 * token and the "##" pieces after it — is selected together, the word with
 * probability prob); a selected token is replaced by [MASK] with
 * probability 0.8, by a random token id in [first_real, V) with 0.1, and
 * kept with 0.1. At least one position is selected per batch (the first
 * eligible one when the draws chose none). ids is changed in place;
 * qpos (R) receives the selected flat positions b*T + i, ascending, and
 * labels (R) the original ids; returns R (0 when no position is eligible).
 * is_piece (V) marks the "##" tokens (NULL: none). Draws from r. */
typedef struct mlm_tokens {
	int cls, sep, pad, mask, V, first_real;
	const uint8_t *is_piece;
} mlm_tokens;
int mlm_select(int *ids, const int *mask, int B, int T, const mlm_tokens *tk, float prob,
               int whole_word, rng *r, int *qpos, int *labels);
#endif
