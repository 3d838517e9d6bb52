/* optim.h — Adam / AdamW over one flat parameter arena, which tensors get
 * weight decay, the linear warm-up / decay schedule, and global
 * gradient-norm clipping.
 *
 * The update is torch.optim.Adam / torch.optim.AdamW (amsgrad off), step t
 * counted from 1:
 *   Adam  (L2):        g = grad + wd * param
 *   AdamW (decoupled): param *= 1 - lr * wd;  g = grad
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Parameters, gradients, m and v share one layout (the model's arena), so
 * the step is one loop; OpenMP splits it in fixed chunks and every element
 * is independent, so the result never depends on the thread count.
 * Nothing is allocated by a step. */
#ifndef GCSE_OPTIM_H
#define GCSE_OPTIM_H
#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"

typedef struct adam {
	size_t n;              /* parameters */
	float *m, *v;          /* (n) first and second moments, zero at start */
	int64_t t;             /* steps taken (checkpointed with m and v) */
	double beta1, beta2;   /* 0.9, 0.999 */
	double eps;            /* 1e-8 */
	double weight_decay;   /* 0 (as the original GCSE / SimCSE training) */
	int decoupled;         /* 1: AdamW, 0: Adam with L2 in the gradient */
} adam;

/* Allocate zeroed m and v for n parameters, torch defaults, weight decay 0,
 * Adam. Returns 0, or -1 when out of memory. */
int adam_init(adam *o, size_t n);
void adam_free(adam *o);
/* One step: params (n) updated from grads (n) with learning rate lr. */
void adam_step(adam *o, float *params, const float *grads, double lr);
/* The same in two parts, for per-range settings (e.g. no decay on biases):
 * adam_begin_step advances t once; adam_update_range then updates elements
 * [lo, hi) with weight decay wd. adam_step == begin + update(0, n, o->weight_decay). */
void adam_begin_step(adam *o);
void adam_update_range(adam *o, float *params, const float *grads, double lr,
                       size_t lo, size_t hi, double wd);

/* ---- weight decay by tensor ---- */
/* Which tensors weight decay applies to, by kind (enum bert_tensor_kind):
 * weight matrices and embeddings, 1; biases and LayerNorm weights and
 * biases, 0 (the rule of BERT's pretraining, SimCSE and the transformers
 * Trainer). A training-only tensor (the MLP head, an MLM head) follows the
 * same rule through the kind it is given. */
int optim_decays(int kind);

/* A range [lo, hi) of the arena and the weight decay of its elements. */
typedef struct decay_range {
	size_t lo, hi;
	double wd;
} decay_range;

/* The arena [0, total) as ranges with weight decay wd on the tensors
 * optim_decays names and 0 on the others, in arena order, neighbours of the
 * same decay merged (so with wd 0 the whole arena is one range). ts (n
 * tensors, any order) must cover [0, total) exactly once, ts[i].data
 * pointing into the arena that starts at base. out has room for n ranges.
 * Returns the number of ranges, or -1 when the tensors do not cover the
 * arena exactly (a gap, an overlap, a tensor outside it). */
int optim_decay_ranges(const bert_tensor *ts, int n, const float *base, size_t total, double wd,
                       decay_range *out);

/* One Adam step over the ranges: adam_begin_step, then adam_update_range
 * on each with its decay. Over one range [0, n) with decay
 * o->weight_decay it is adam_step. */
void adam_step_ranges(adam *o, float *params, const float *grads, double lr, const decay_range *r,
                      int nr);

/* transformers.get_linear_schedule_with_warmup: the learning rate of the
 * optimizer step that follows `step` completed steps (0-based):
 *   step < warmup:  base * step / warmup
 *   otherwise:      base * max(0, (total - step) / max(1, total - warmup))
 * (so with warm-up the very first step runs at lr 0, as there). */
double lr_linear_warmup(double base, int64_t step, int64_t warmup, int64_t total);

/* L2 norm of x (n), summed in double over fixed chunks in a fixed order. */
double grad_norm(const float *x, size_t n);
/* torch.nn.utils.clip_grad_norm_: total = grad_norm; when max_norm > 0 and
 * c = max_norm / (total + 1e-6) < 1, grads *= c. Returns total (the
 * norm before clipping; non-finite when the gradients are). */
double grad_clip_norm(float *grads, size_t n, double max_norm);
#endif
