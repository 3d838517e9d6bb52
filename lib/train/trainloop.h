/* trainloop.h — one optimizer step of gcsetrain, all of it, in one function
 * that gcsetrain, tests/tools/bench_train and tests/unit/test_train run:
 *
 *   1. batch     the examples idx[0..n) of the data as token rows
 *                (train_batch: 2 rows per example for simcse, [a | a]; 3 for
 *                the triples, [a | p | n]), every rank the whole batch with
 *                the same draws of r (word repetition)
 *   2. shard     this rank's rows of each block (dist_share)
 *   3. forward   train_forward on them, dropout keys from (seed, step, rank)
 *   4. loss      the loss of the global batch and d loss / d h of this
 *                rank's rows (below), then train_backward
 *   5. reduce    the gradient summed over ranks (dist_allreduce_sum_float)
 *   6. clip      grad_clip_norm
 *   7. update    Adam / AdamW, weight decay per tensor by optim_decays
 *
 * Steps 1 and 4 are a switch on the loss kind (step_batch and step_loss
 * in trainloop.c). simcse, contrastive and gcse share one case: their
 * batches are train_batch's, and the head outputs h of the whole batch are
 * gathered over ranks (and, for gcse with gate_cls, the [CLS] cosines that
 * the gate reads), so in-batch negatives span the global batch. A new loss
 * is one more loss_kind (loss.h), its rows per example (train_loop_rows),
 * its case in step_batch and in step_loss, and, if it has parameters of
 * its own (a head), their tensors with their kinds in the decay list that
 * train_loop_init builds (tensor_ranges in trainloop.c), so that
 * optim_decays applies to them too.
 *
 * With the same data, order, seed and learning rates the step gives the
 * same bits whatever the thread count, and N ranks with a global batch B
 * follow the trajectory of 1 rank with B (up to the order of the summed
 * gradients). Nothing is allocated by a step; nothing is printed. */
#ifndef GCSE_TRAINLOOP_H
#define GCSE_TRAINLOOP_H
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/train.h"
#include "train/traindata.h"

typedef struct train_loop_config {
	loss_config loss;       /* kind, tau, sigma, symmetric */
	int gate_cls;           /* gcse: d = (the [CLS] cosine / tau) - s' (gcsetrain --gate-on cls) */
	double clip;            /* clip the gradient norm at this (0: off) */
	double weight_decay;    /* on the tensors optim_decays names; 0: none */
	int adamw;              /* decoupled weight decay */
	uint64_t seed;          /* dropout keys: rng_derive(seed, step + 2), then per rank */
	int max_batch;          /* examples per step, over all ranks */
	int max_len;            /* tokens per text, [CLS] and [SEP] included */
	int pad_id;             /* the padding token */
	uint64_t head_seed;     /* the MLP head's initial weights (trainer_new) */
} train_loop_config;

typedef struct train_loop {
	train_loop_config cfg;
	trainer *t;             /* this rank's share of the batch: rows * ceil(max_batch / ranks) rows */
	adam opt;
	loss_ws lw;             /* the loss of the global batch */
	int rank, nrank;
	int rows;               /* rows per example */
	decay_range *ranges;    /* the arena with its weight decay, for adam_step_ranges */
	int nranges;
	/* buffers of a step (nothing is allocated by a step) */
	int *ids, *mask;        /* (rows * max_batch, max_len) the global batch */
	int *lids, *lmask;      /* this rank's rows (more than one rank) */
	float *dh, *ldh;        /* d loss / d h: global, this rank's */
	float *hg;              /* gathered h of the global batch (more than one rank) */
	float *sp;              /* (max_batch) s' of the batch (gcse) */
	float *gcls, *gcls_all; /* gate_cls: own and gathered [CLS] logits */
	size_t *share;          /* (nrank) examples of each rank in this step */
} train_loop;

/* What a step did. */
typedef struct train_step_stats {
	double loss;            /* mean loss of the global batch */
	double gate;            /* mean gate G (gcse; 0 for the others) */
	double norm;            /* gradient norm before clipping */
	int nonfinite;          /* 1: the loss or the norm was not finite (no update) */
	double secs[4];         /* wall seconds: batch + zeroing, forward, loss + backward +
	                           reduce, clip + update */
} train_step_stats;

/* Rows per example of a loss kind: 2 for simcse (two dropout views), 3 for
 * contrastive and gcse (anchor, positive, hard negative). */
int train_loop_rows(loss_kind kind);

/* Set up the step for m (which must outlive the loop): the trainer (its
 * dropout probabilities from config.json; change t->hidden_p / t->att_p
 * before the first step), Adam (weight decay as c says), the loss
 * workspace, the decay ranges and the buffers. Under MPI every rank calls
 * it with the same c. 0, or -1 with a message. */
int train_loop_init(train_loop *L, bert_model *m, const train_loop_config *c, char *err,
                    size_t errlen);
void train_loop_free(train_loop *L);

/* One step on the examples idx[0..n) of d (1 <= n <= max_batch; every rank
 * passes the same d, idx and rng state): the step numbered `step` (0-based,
 * for the dropout keys), learning rate lr, word repetition wr (NULL: none;
 * it draws from r). Fills *st. 0 when the parameters were updated; -1 with a
 * message otherwise: a bad batch, an MPI error, or a loss or gradient norm
 * that is not finite (st->nonfinite 1, "the loss is not finite (NaN)"), in
 * which case the parameters and Adam's state are left as they were. */
int train_loop_step(train_loop *L, const train_data *d, const int64_t *idx, int n,
                    const word_repeat *wr, rng *r, int64_t step, double lr, train_step_stats *st,
                    char *err, size_t errlen);

/* Under MPI: 0 when every rank holds the same parameters (the same summed
 * gradients and the same Adam step keep them so), -1 with a message when not
 * or on an MPI error. Call it on every rank, e.g. before rank 0 saves. */
int train_loop_in_sync(const train_loop *L, char *err, size_t errlen);

/* Under MPI: rank 0 has read d; send its token ids, offsets, s' (has_sprime)
 * and CRC to the other ranks, which allocate them (d->k must be set on
 * every rank). The texts are not sent. 0, or -1 with a message. */
int train_data_share(train_data *d, int has_sprime, char *err, size_t errlen);
#endif
