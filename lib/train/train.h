/* lib/train/: training on top of nn/ (backward passes, losses, head, Adam,
 * checkpoints, data-parallel ranks); the engine never prints or exits: only
 * the training-data readers stop on bad input (through base/ndjson) and
 * dist_abort ends every rank.
 *
 * train.h — training forward and backward of the whole BERT encoder plus
 * the training-only MLP head (METHOD.md §5), in the llm.c style.
 *
 * One parameter arena and one gradient arena of the same layout:
 *   [ encoder: model_num_params(cfg) floats, bert_params order | head W (C,C) | head b (C)
 *     | masked-LM head (trainer_new_mlm only): mlm_head_size(C,V) floats, lib/train/mlm.h ]
 * The model's own arena is replaced by the trainer's (model_free still frees
 * it), so model_save keeps writing a standard Hugging Face directory; the
 * head is saved apart (train_head_save). The optimizer is one flat loop over
 * the whole arena.
 *
 * Activations live in one arena sized once for maxB sequences of maxT tokens;
 * a forward on (B,T) with B <= maxB, T <= maxT uses the first B*T rows.
 * Nothing is allocated by a forward or backward.
 *
 * Training forward = Hugging Face BertModel in train mode: dropout (inverted,
 * lib/dropout.h) after the embedding LayerNorm, on the attention
 * probabilities, after the attention output projection and after the FFN
 * output projection, with the probabilities of config.json (overridable).
 * The masks are pure functions of (key, site, element): site keys are
 * rng_derive(key, site) with site 0 for the embeddings and 1 + 3 l + {0,1,2}
 * for layer l's probabilities, attention output and FFN output. So a forward
 * is deterministic for a key and independent of the thread count. With every
 * probability 0 the forward computes what bert_forward computes.
 *
 * Only some rows reach the loss — the [CLS] vectors of the contrastive
 * losses, the selected positions of masked-LM — so the last layer computes
 * the attention of those queries alone and runs its projection, LayerNorms
 * and FFN on those R rows (its keys and values still come from every token):
 * the same vectors as the full layer, at a fraction of its cost.
 *
 * The contrastive losses see h = tanh(CLS W^T + b) per sequence
 * (train_forward); train_backward takes d loss / d h and accumulates into
 * the gradient arena. Masked-LM reads the last hidden states of the selected
 * rows (train_forward_rows, t->cls) through the masked-LM head
 * (train_mlm_loss), whose decoder is tied to the word embeddings. The gradient of the
 * padding token's embedding row stays 0, as torch's nn.Embedding(padding_idx),
 * and so does the key bias's: adding q.b to all scores of a row does not
 * change the softmax, so that gradient is exactly 0 (computed, it would be
 * rounding noise that Adam's normalisation turns into real updates). */
#ifndef GCSE_TRAIN_H
#define GCSE_TRAIN_H
#include <stddef.h>
#include <stdint.h>

#include "train/head.h"
#include "train/mlm.h"
#include "nn/model.h"

/* One layer's activations. R rows after the attention: B*T, or B (the
 * output rows: [CLS] or masked positions) in the last layer. */
typedef struct train_layer {
	float *qkv;             /* (B,T,3C) */
	float *att;             /* (B,NH,T,T) softmax probabilities (before dropout); last: (B,NH,T) */
	uint8_t *attbits;       /* dropout keep bits of att */
	float *atty;            /* (R,C) attention context (dropped probabilities) */
	float *res1;            /* (R,C) input + dropout(atty Wo^T + bo): LayerNorm 1 input */
	uint8_t *res1bits;      /* dropout keep bits of the attention output */
	float *ln1;             /* (R,C) */
	float *ln1_mean, *ln1_rstd;  /* (R) */
	float *fch;             /* (R,FF) GELU input */
	float *fch_gelu;        /* (R,FF) GELU output */
	float *res2;            /* (R,C) ln1 + dropout(fch_gelu Wf^T + bf): LayerNorm 2 input */
	uint8_t *res2bits;
	float *ln2;             /* (R,C) layer output */
	float *ln2_mean, *ln2_rstd;  /* (R) */
} train_layer;

typedef struct trainer {
	bert_model *m;          /* parameters point into params */
	bert_config cfg;
	size_t nenc;            /* encoder floats = model_num_params(cfg) */
	size_t nparams;         /* nenc + C*C + C */
	float *params;          /* (nparams) = m->arena */
	float *grads;           /* (nparams) same layout */
	bert_params g;          /* gradient tensors, into grads */
	mlp_head head, dhead;   /* head W (C,C), b (C) in params / grads */
	int mlm;                /* has the masked-LM head (trainer_new_mlm) */
	mlm_head mlmh, dmlmh;   /* in params / grads after the MLP head */
	float hidden_p, att_p;  /* dropout probabilities (config.json unless changed) */
	int maxB, maxT, maxR;   /* maxR: output rows of the last layer (maxB for [CLS]) */
	int B, T, R;            /* shape of the last forward, its output rows */
	int *qpos;              /* (maxR) the output rows' flat positions b*T + i */
	int cls_rows;           /* the rows are the [CLS] rows (qpos[b] = b*T) */
	int train;              /* the last forward was in training mode */
	/* activations */
	int *ids, *mask;        /* (maxB,maxT) copies of the last forward's input */
	float *emb;             /* (B,T,C) embedding sums: LayerNorm input */
	float *emb_mean, *emb_rstd;
	uint8_t *embbits;
	float *x0;              /* (B,T,C) dropout(LayerNorm(emb)): layer 0 input */
	train_layer *layers;    /* (L) */
	float *cls;             /* (R,C) last hidden states of the output rows: the last layer's ln2 */
	float *cls_in;          /* (R,C) those rows of the last layer's input */
	float *drows;           /* (R,C) d loss / d cls (masked-LM) */
	float *h;               /* (B,C) head output: what the loss reads */
	/* scratch */
	float *kt, *attd, *y;   /* attention keys, dropped probabilities, projection out */
	float *d1, *d2, *d3, *d4;  /* (B,T,C) gradients */
	float *dqkv;            /* (B,T,3C) */
	float *dff1, *dff2;     /* (B,T,FF) */
	float *datt;            /* attention backward scratch */
	float *dpre;            /* (B,C) */
	float *act_arena;
	uint8_t *bit_arena;
} trainer;

/* Take over m (which must outlive the trainer): move its parameters into a
 * new arena with room for the head, initialise the head (W ~ N(0,
 * initializer_range) from head_seed, b = 0, as BERT's init of SimCSE's MLP),
 * allocate gradients and activations for maxB x maxT. NULL with a message. */
trainer *trainer_new(bert_model *m, int maxB, int maxT, uint64_t head_seed, char *err,
                     size_t errlen);
/* The same with the masked-LM head (initialised as Hugging Face does, after
 * the MLP head, from head_seed) and room for maxR output rows (selected
 * positions) in the last layer. */
trainer *trainer_new_mlm(bert_model *m, int maxB, int maxT, int maxR, uint64_t head_seed,
                         char *err, size_t errlen);
/* Frees the trainer's buffers (not m, which keeps the parameter arena). */
void trainer_free(trainer *t);
/* Every gradient (encoder and head) to 0. */
void trainer_zero_grad(trainer *t);

/* Forward of B sequences of T tokens: ids (B,T) in [0,V), mask (B,T) nonzero
 * for real tokens (every sequence needs one; NULL: all real). train != 0:
 * dropout with hidden_p / att_p and site keys from key; 0: none. Leaves the
 * head output in t->h (B,C). 0, or -1 with a message on bad input. */
int train_forward(trainer *t, const int *ids, const int *mask, int B, int T, int train,
                  uint64_t key, char *err, size_t errlen);
/* Backward of the last forward: dh (B,C) = d loss / d h; gradients +=. */
void train_backward(trainer *t, const float *dh);
/* Forward to the last hidden states of R output rows, qpos (R) strictly
 * ascending flat positions b*T + i (at most maxR): t->cls (R,C). No head.
 * 0, or -1 with a message on bad input. */
int train_forward_rows(trainer *t, const int *ids, const int *mask, int B, int T, int train,
                       uint64_t key, const int *qpos, int R, char *err, size_t errlen);
/* Backward of train_forward_rows: drows (R,C) = d loss / d t->cls. */
void train_backward_rows(trainer *t, const float *drows);
/* Masked-LM after train_forward_rows (trainer_new_mlm): the loss of the
 * head at the output rows against labels (R) (mean cross-entropy, NaN on a
 * bad label), *correct (or NULL) the rows predicted right; with backward_too
 * the backward through the head (d loss / d logit scaled by scale: 1/R for
 * the mean) and the encoder, gradients +=. */
double train_mlm_loss(trainer *t, mlm_ws *w, const int *labels, float scale, int backward_too,
                      int *correct);

/* The head as its own safetensors file, tensors "mlp.dense.weight" (C,C)
 * and "mlp.dense.bias" (C), the names of SimCSE's BertForCL. Load checks
 * the shapes. 0 on success, -1 with a message. */
int train_head_save(const trainer *t, const char *path, char *err, size_t errlen);
int train_head_load(trainer *t, const char *path, char *err, size_t errlen);

/* Bytes of the activation arenas (for reports). */
size_t trainer_act_bytes(const trainer *t);
/* A masked-LM trainer's model as Hugging Face's BertForMaskedLM saves it:
 * config.json and model.safetensors with the encoder under "bert." (no
 * pooler) and the head's tensors (cls.predictions.*, the tied decoder
 * omitted). Every program here reads it as a plain encoder. 0, or -1 with a
 * message. */
int train_mlm_save(const trainer *t, const char *dir, char *err, size_t errlen);
#endif
