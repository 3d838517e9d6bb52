/* loss.h — contrastive losses on pooled sentence embeddings (METHOD.md §5),
 * forward and backward, plus cosine-similarity building blocks.
 *
 * Notation: N rows per batch, C channels. a = anchors h_i (N,C), p =
 * positives h_i+ (N,C), n = hard negatives h_i- (N,C). Rows are contiguous.
 * cos(x,y) = x/max(|x|,eps) . y/max(|y|,eps) with eps = 1e-8, and logits are
 * s = cos / tau (tau 0.05: cosine x 20).
 *
 *   LOSS_SIMCSE       logits_i = [ s(a_i, p_j) for j ]                    (N,N)
 *   LOSS_CONTRASTIVE  logits_i = [ s(a_i, p_j) for j, s(a_i, n_j) for j ] (N,2N)
 *   LOSS_GCSE         as contrastive, but the own hard negative is decayed:
 *                       s_i = s(a_i, n_i),  d_i = s_i - s'_i,
 *                       G_i = exp(-d_i^2 / (2 sigma^2)) if d_i <= 0 else 0
 *                             (symmetric: for both signs of d_i),
 *                       logits_i[N+i] = (1 - G_i) * s_i
 *   loss = mean_i cross_entropy(logits_i, target i)
 *
 * s'_i is the frozen model's similarity of the same anchor / hard negative,
 * in LOGIT units (its cosine / tau), as kgfilter stores it or a frozen
 * forward pass computes it; sigma (0.17) is in the same units.
 *
 * Gradient of the GCSE term (METHOD.md §5: "The change to the own
 * hard-negative logit is a constant offset (-G_i * s_i, no gradient through
 * G_i or the offset)"): the logit is s_i - stopgrad(G_i * s_i), so its value
 * is (1 - G_i) s_i but d logit / d s_i = 1, not (1 - G_i). Backward therefore
 * treats that logit exactly like any other.
 *
 * Precision: similarities are fp32 GEMMs (base/gemm.h); log-sum-exp, the loss and
 * the gate are computed in double. Nothing is allocated after loss_ws_init. */
#ifndef GCSE_LOSS_H
#define GCSE_LOSS_H
#include <stddef.h>

typedef enum { LOSS_SIMCSE, LOSS_CONTRASTIVE, LOSS_GCSE } loss_kind;

#define LOSS_TAU 0.05
#define LOSS_SIGMA 0.17
#define LOSS_EPS 1e-8

typedef struct loss_config {
	loss_kind kind;
	double tau;       /* temperature, default LOSS_TAU */
	double sigma;     /* gcse: Gaussian width in logit units, default LOSS_SIGMA */
	int symmetric;    /* gcse: apply G for both signs of d (older variant) */
} loss_config;

/* Defaults of METHOD.md for a kind (tau 0.05, sigma 0.17, one-sided). */
loss_config loss_config_default(loss_kind kind);
/* "simcse", "contrastive", "gcse" -> kind; -1 if unknown. */
int loss_kind_parse(const char *name);
const char *loss_kind_name(loss_kind kind);

/* Workspace sized once for up to maxN rows of C channels. */
typedef struct loss_ws {
	int maxN, C;
	float *ahat, *phat, *nhat;   /* (maxN,C) unit-norm rows of a, p, n */
	float *arn, *prn, *nrn;      /* (maxN) 1 / max(|row|, eps) */
	float *probs;                /* (maxN, 2*maxN): softmax of logits row i, stride M */
	float *dlogits;              /* (maxN, 2*maxN): d loss / d cos, scratch of backward */
	float *dhat;                 /* (maxN,C) scratch */
	double *rowloss;             /* (maxN) cross-entropy of row i */
	double *s;                   /* (maxN) s_i = s(a_i, n_i) before the decay */
	double *G;                   /* (maxN) gate G_i (0 unless gcse) */
	/* set by loss_forward for loss_backward: */
	int N, M;                    /* rows; logits per row (N or 2N) */
	loss_config cfg;
	double loss;
} loss_ws;

/* 0 on success, -1 if out of memory. */
int loss_ws_init(loss_ws *ws, int maxN, int C);
void loss_ws_free(loss_ws *ws);

/* Forward. a, p: (N,C); n: (N,C) for contrastive and gcse, else ignored;
 * sprime: (N) for gcse (logit units), else ignored. 1 <= N <= maxN.
 * Returns the mean loss; NAN for a missing input or N out of range.
 * Non-finite inputs give a non-finite loss (the caller stops training). */
double loss_forward(loss_ws *ws, const loss_config *cfg, const float *a,
                    const float *p, const float *n, const float *sprime, int N);
/* gcse with the gate read in another space: d_i = gate_i - s'_i, where
 * gate (N, logit units) is the caller's similarity of anchor i and its hard
 * negative (gcsetrain --gate-on cls: their [CLS] cosine / tau, before the
 * MLP head); the decay still multiplies the head logit s_i, and gate is a
 * constant of the step (no gradient). gate NULL: loss_forward (gate_i =
 * s_i). Other kinds ignore gate. */
double loss_forward_gated(loss_ws *ws, const loss_config *cfg, const float *a, const float *p,
                          const float *n, const float *sprime, const float *gate, int N);
/* Backward of the last forward: da, dp (and dn, unless simcse) are (N,C)
 * and receive += dloss * d loss / d input. dn may be NULL for simcse. */
void loss_backward(loss_ws *ws, float *da, float *dp, float *dn, float dloss);

/* Mean of G_i over the last forward (0 for simcse / contrastive). */
double loss_mean_gate(const loss_ws *ws);

/* Naive reference (double loops, no BLAS, allocates): loss and
 * d loss / d input (overwritten, not accumulated) for the same config. */
double loss_ref(const loss_config *cfg, const float *a, const float *p,
                const float *n, const float *sprime, int N, int C,
                double *da, double *dp, double *dn);

/* loss_ref for loss_forward_gated. */
double loss_ref_gated(const loss_config *cfg, const float *a, const float *p, const float *n,
                      const float *sprime, const float *gate, int N, int C, double *da, double *dp,
                      double *dn);

/* ---- building blocks ---- */
/* inp, out are (N,C), rn is (N): out = inp * rn, rn = 1 / max(|inp_row|, eps). */
void unitnorm_forward(float *out, float *rn, const float *inp, int N, int C);
/* dinp += (dout - (dout . out) out) * rn per row, where the norm was above
 * eps; dinp += dout * rn where it was clamped (rn == 1/eps: the clamp has
 * no gradient, as torch's clamp_min). */
void unitnorm_backward(float *dinp, const float *dout, const float *out,
                     const float *rn, int N, int C);
/* Row-wise cosine: a, b are (N,C), out is (N): out_i = cos(a_i, b_i). */
void cosine_forward(float *out, const float *a, const float *b, int N, int C);
/* da_i += dout_i * d cos / d a_i, db_i likewise (either may be NULL). */
void cosine_backward(float *da, float *db, const float *dout, const float *a,
                     const float *b, int N, int C);
#endif
