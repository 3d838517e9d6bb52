/* trainloop.c — one optimizer step: batch, shard, forward, loss, reduce,
 * clip, update (see trainloop.h). */
#include "train/trainloop.h"
#include "base/cli.h"
#include "base/err.h"
#include "train/dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int train_loop_rows(loss_kind kind)
{
	return kind == LOSS_MLM || kind == LOSS_DISTILL ? 1 : kind == LOSS_SIMCSE ? 2 : 3;
}

int train_loop_mlm_rows(int B, int T, float p)
{
	double all = (double)B * T, cap = ceil(2.0 * p * all) + 32;
	return (int)(cap < all ? cap : all);
}

/* The trainer's tensors (the encoder's, the MLP head's W and b, then the
 * masked-LM head's when it has one) as decay ranges of its arena; NULL when
 * out of memory or when they do not cover the arena exactly. no_head: the
 * loss does not train the MLP head (no decay for it either). */
static decay_range *tensor_ranges(const trainer *t, double wd, int no_head, int *nr)
{
	int ne = bert_num_tensors(&t->cfg), n = ne + 2 + (t->mlm ? MLM_NTENSORS : 0);
	int C = t->cfg.hidden_size;
	bert_tensor *ts = malloc((size_t)n * sizeof *ts);
	decay_range *r = malloc((size_t)n * sizeof *r);
	if (!ts || !r) {
		free(ts);
		free(r);
		return NULL;
	}
	bert_tensors(&t->cfg, &t->m->params, ts);
	/* masked-LM and distillation do not train the MLP head: like the pooler, no decay */
	ts[ne] = (bert_tensor){.name = "mlp.dense.weight", .data = t->head.W, .ndim = 2, .shape = {C, C},
	                       .numel = (size_t)C * C, .kind = BERT_T_MATRIX, .pooler = no_head};
	ts[ne + 1] = (bert_tensor){.name = "mlp.dense.bias", .data = t->head.b, .ndim = 1, .shape = {C},
	                           .numel = (size_t)C, .kind = BERT_T_BIAS};
	if (t->mlm) {   /* W a matrix; b and the decoder's bias biases; the LayerNorm's */
		static const int kind[MLM_NTENSORS] = {BERT_T_MATRIX, BERT_T_BIAS, BERT_T_LN_WEIGHT,
		                                       BERT_T_LN_BIAS, BERT_T_BIAS};
		st_out o[MLM_NTENSORS];
		int64_t shapes[MLM_NTENSORS][2];
		mlm_head_tensors(&t->mlmh, C, t->cfg.vocab_size, o, shapes);
		for (int i = 0; i < MLM_NTENSORS; i++) {
			bert_tensor *b = &ts[ne + 2 + i];
			memset(b, 0, sizeof *b);
			snprintf(b->name, sizeof b->name, "%s", o[i].name);
			b->data = (float *)o[i].data;
			b->ndim = o[i].ndim;
			b->shape[0] = shapes[i][0];
			b->shape[1] = o[i].ndim == 2 ? shapes[i][1] : 0;
			b->numel = (size_t)shapes[i][0] * (o[i].ndim == 2 ? (size_t)shapes[i][1] : 1);
			b->kind = kind[i];
		}
	}
	*nr = optim_decay_ranges(ts, n, t->params, t->nparams, wd, r);
	free(ts);
	if (*nr < 0) {
		free(r);
		return NULL;
	}
	return r;
}

int train_loop_init(train_loop *L, bert_model *m, const train_loop_config *c, char *err,
                    size_t errlen)
{
	memset(L, 0, sizeof *L);
	L->cfg = *c;
	L->rank = dist_rank();
	L->nrank = dist_size();
	L->rows = train_loop_rows(c->loss.kind);
	if (c->max_batch < 1 || c->max_len < 1) {
		seterr(err, errlen, "train_loop_init: batch %d, length %d", c->max_batch, c->max_len);
		return -1;
	}
	size_t B = (size_t)c->max_batch, T = (size_t)c->max_len, rows = (size_t)L->rows * B;
	size_t Bl = (B + (size_t)L->nrank - 1) / (size_t)L->nrank;   /* a rank's share, at most */
	int mlm = c->loss.kind == LOSS_MLM;
	if (mlm) {
		if (!(c->mlm_prob > 0 && c->mlm_prob <= 1) || c->mlm_tk.mask < 0) {
			seterr(err, errlen, c->mlm_tk.mask < 0 ? "the vocabulary has no [MASK] token"
			                                      : "mlm: a selection probability of %g", c->mlm_prob);
			return -1;
		}
		L->maxR = train_loop_mlm_rows((int)B, c->max_len, c->mlm_prob);
		/* a rank predicts at most the global bound, and at most its share's tokens */
		int lR = L->maxR < (int)Bl * c->max_len ? L->maxR : (int)Bl * c->max_len;
		L->t = trainer_new_mlm(m, (int)Bl, c->max_len, lR, c->head_seed, err, errlen);
	} else
		L->t = trainer_new(m, L->rows * (int)Bl, c->max_len, c->head_seed, err, errlen);
	if (!L->t)
		return -1;
	size_t C = (size_t)L->t->cfg.hidden_size;
	if (adam_init(&L->opt, L->t->nparams) || loss_ws_init(&L->lw, (int)B, (int)C))
		goto oom;
	if (mlm) {
		size_t R = (size_t)L->maxR;
		L->qpos = malloc(R * sizeof *L->qpos);
		L->labels = malloc(R * sizeof *L->labels);
		L->lqpos = malloc(R * sizeof *L->lqpos);
		L->llabels = malloc(R * sizeof *L->llabels);
		if (!L->qpos || !L->labels || !L->lqpos || !L->llabels ||
		    mlm_ws_init(&L->mw, L->maxR, (int)C, L->t->cfg.vocab_size))
			goto oom;
	}
	L->opt.weight_decay = c->weight_decay;
	L->opt.decoupled = c->adamw;
	L->ranges = tensor_ranges(L->t, c->weight_decay, mlm || c->loss.kind == LOSS_DISTILL,
	                          &L->nranges);
	if (!L->ranges) {
		seterr(err, errlen, "the trainer's tensors do not cover its parameters (or out of memory)");
		train_loop_free(L);
		return -1;
	}
	L->ids = malloc(rows * T * sizeof *L->ids);
	L->mask = malloc(rows * T * sizeof *L->mask);
	L->dh = malloc(rows * C * sizeof *L->dh);
	L->sp = malloc(B * sizeof *L->sp);
	L->gcls = malloc(B * sizeof *L->gcls);
	L->gcls_all = malloc(B * sizeof *L->gcls_all);
	L->share = malloc((size_t)L->nrank * sizeof *L->share);
	int ok = L->ids && L->mask && L->dh && L->sp && L->gcls && L->gcls_all && L->share;
	if (ok && c->loss.kind == LOSS_DISTILL) {
		L->lqpos = malloc((Bl ? Bl : 1) * sizeof *L->lqpos);
		L->tgt = malloc((Bl ? Bl : 1) * C * sizeof *L->tgt);
		L->cosb = malloc((Bl ? Bl : 1) * sizeof *L->cosb);
		ok = L->lqpos && L->tgt && L->cosb;
	}
	if (ok && c->gate_clean) {
		L->cids = malloc(2 * Bl * T * sizeof *L->cids);
		L->cmask = malloc(2 * Bl * T * sizeof *L->cmask);
		ok = L->cids && L->cmask;
	}
	if (ok && L->nrank > 1) {
		size_t lrows = (size_t)L->rows * (Bl ? Bl : 1);
		L->lids = malloc(lrows * T * sizeof *L->lids);
		L->lmask = malloc(lrows * T * sizeof *L->lmask);
		L->ldh = malloc(lrows * C * sizeof *L->ldh);
		L->hg = malloc(rows * C * sizeof *L->hg);
		ok = L->lids && L->lmask && L->ldh && L->hg;
	}
	if (ok)
		return 0;
oom:
	seterr(err, errlen, "out of memory for a batch of %zu x %zu tokens", B, T);
	train_loop_free(L);
	return -1;
}

void train_loop_free(train_loop *L)
{
	trainer_free(L->t);
	adam_free(&L->opt);
	loss_ws_free(&L->lw);
	free(L->ranges);
	free(L->ids);
	free(L->mask);
	free(L->lids);
	free(L->lmask);
	free(L->dh);
	free(L->ldh);
	free(L->hg);
	free(L->sp);
	free(L->gcls);
	free(L->gcls_all);
	free(L->share);
	free(L->cids);
	free(L->cmask);
	free(L->qpos);
	free(L->labels);
	free(L->lqpos);
	free(L->llabels);
	mlm_ws_free(&L->mw);
	free(L->tgt);
	free(L->cosb);
	memset(L, 0, sizeof *L);
}

/* The state of one step between its phases. */
typedef struct step_state {
	int n;                  /* examples in the global batch */
	int T;                  /* tokens per row */
	size_t lo;              /* this rank's examples [lo, lo + nl) of each block */
	int nl;
} step_state;

/* 1: the batch as token rows in L->ids, L->mask, by loss kind; returns
 * the tokens per row, or 0 for a kind without a batch. */
static int step_batch(train_loop *L, const train_data *d, const int64_t *idx, int n,
                      const word_repeat *wr, rng *r)
{
	switch (L->cfg.loss.kind) {
	case LOSS_SIMCSE:
	case LOSS_CONTRASTIVE:
	case LOSS_GCSE:
		return train_batch(d, idx, n, L->cfg.pad_id, wr, r, L->cfg.max_len, L->ids, L->mask);
	case LOSS_DISTILL:
		return train_batch_texts(d, idx, n, L->cfg.pad_id, L->cfg.max_len, L->ids, L->mask);
	case LOSS_MLM: {
		int T = train_batch_texts(d, idx, n, L->cfg.pad_id, L->cfg.max_len, L->ids, L->mask);
		if (T < 1)
			return T;
		/* the draws need room for every eligible token; past maxR they are undone */
		int R = mlm_select(L->ids, L->mask, n, T, &L->cfg.mlm_tk, L->cfg.mlm_prob,
		                   L->cfg.whole_word, r, L->qpos, L->labels, L->maxR);
		L->R = R;
		return T;
	}
	}
	return 0;
}

/* mlm: this rank's predicted positions, in its own rows [lo, lo + nl) */
static void mlm_share(train_loop *L, const step_state *s)
{
	size_t a = s->lo * (size_t)s->T, b = (s->lo + (size_t)s->nl) * (size_t)s->T;
	L->Rl = 0;
	for (int i = 0; i < L->R; i++)
		if ((size_t)L->qpos[i] >= a && (size_t)L->qpos[i] < b) {
			L->lqpos[L->Rl] = (int)((size_t)L->qpos[i] - a);
			L->llabels[L->Rl++] = L->labels[i];
		}
}

/* gate_clean: s_i of the gate from a forward without dropout of this
 * rank's anchors and hard negatives (rows [a | n] of its [a | p | n]), in
 * the gate's space (h = MLP(CLS), or the [CLS] vectors with gate_cls), into
 * L->gcls, gathered into L->gcls_all under MPI. Before the training
 * forward, whose activations the backward needs. */
static int clean_gate(train_loop *L, const int *ids, const int *mask, const step_state *s,
                      char *err, size_t errlen)
{
	trainer *t = L->t;
	int nl = s->nl, C = t->cfg.hidden_size;
	size_t k = (size_t)nl * s->T;
	if (nl > 0) {
		memcpy(L->cids, ids, k * sizeof *ids);                      /* anchors */
		memcpy(L->cmask, mask, k * sizeof *mask);
		memcpy(L->cids + k, ids + 2 * k, k * sizeof *ids);          /* hard negatives */
		memcpy(L->cmask + k, mask + 2 * k, k * sizeof *mask);
		if (train_forward(t, L->cids, L->cmask, 2 * nl, s->T, 0, 0, err, errlen))
			return -1;
		const float *v = L->cfg.gate_cls ? t->cls : t->h;
		cosine_forward(L->gcls, v, v + (size_t)nl * C, nl, C);
		for (int i = 0; i < nl; i++)
			L->gcls[i] = (float)(L->gcls[i] / L->cfg.loss.tau);
	}
	if (L->nrank > 1 && dist_allgather_rows(L->gcls, L->share, 1, L->gcls_all, err, errlen))
		return -1;
	return 0;
}

/* 1-3: the batch, this rank's rows of it, the forward on them. */
static int step_forward(train_loop *L, const train_data *d, const int64_t *idx, int n,
                        const word_repeat *wr, rng *r, int64_t step, step_state *s, double *secs,
                        char *err, size_t errlen)
{
	trainer *t = L->t;
	double t0 = now_seconds();
	s->n = n;
	s->T = step_batch(L, d, idx, n, wr, r);
	if (s->T < 1) {
		seterr(err, errlen, "loss kind %d has no batch", (int)L->cfg.loss.kind);
		return -1;
	}
	for (int q = 0; q < L->nrank; q++) {
		size_t a, b;
		dist_share((size_t)n, q, L->nrank, &a, &b);
		L->share[q] = b - a;
	}
	size_t hi;
	dist_share((size_t)n, L->rank, L->nrank, &s->lo, &hi);
	s->nl = (int)(hi - s->lo);
	const int *ids = L->ids, *mask = L->mask;
	if (L->nrank > 1) {   /* this rank's rows of each block, block after block */
		for (int j = 0; j < L->rows; j++) {
			size_t src = ((size_t)j * n + s->lo) * s->T, dst = (size_t)j * s->nl * s->T;
			size_t k = (size_t)s->nl * s->T;
			memcpy(L->lids + dst, L->ids + src, k * sizeof *L->ids);
			memcpy(L->lmask + dst, L->mask + src, k * sizeof *L->mask);
		}
		ids = L->lids;
		mask = L->lmask;
	}
	/* dropout masks are a function of (key, index in the rank's rows), so
	 * each rank other than 0 takes its own key, else rank r's rows would
	 * repeat rank 0's masks */
	uint64_t key = rng_derive(L->cfg.seed, (uint64_t)step + 2);
	if (L->rank > 0)
		key = rng_derive(key, 0x52414e4b00000000ULL + (uint64_t)L->rank);
	if (L->cfg.gate_clean && L->cfg.loss.kind == LOSS_GCSE &&
	    clean_gate(L, ids, mask, s, err, errlen))
		return -1;
	trainer_zero_grad(t);
	double t1 = now_seconds();
	secs[0] = t1 - t0;
	int rc = 0;
	if (L->cfg.loss.kind == LOSS_MLM) {
		mlm_share(L, s);
		if (L->Rl > 0)
			rc = train_forward_rows(t, ids, mask, s->nl, s->T, 1, key, L->lqpos, L->Rl, err, errlen);
	} else if (L->cfg.loss.kind == LOSS_DISTILL) {   /* the [CLS] rows only */
		for (int i = 0; i < s->nl; i++)
			L->lqpos[i] = i * s->T;
		if (s->nl > 0)
			rc = train_forward_rows(t, ids, mask, s->nl, s->T, 1, key, L->lqpos, s->nl, err, errlen);
	} else if (s->nl > 0)
		rc = train_forward(t, ids, mask, L->rows * s->nl, s->T, 1, key, err, errlen);
	secs[1] = now_seconds() - t1;
	return rc;
}

/* The contrastive family (simcse, contrastive, gcse): the loss of the
 * global batch on the gathered head outputs, its gradient for this rank's
 * rows, train_backward. *loss non-finite: nothing more was done. */
static int contrastive_loss(train_loop *L, const train_data *d, const int64_t *idx,
                            const step_state *s, double *loss, char *err, size_t errlen)
{
	trainer *t = L->t;
	int n = s->n, nl = s->nl, C = t->cfg.hidden_size, rows = L->rows;
	int triples = rows == 3, gcse = L->cfg.loss.kind == LOSS_GCSE;
	if (gcse)
		for (int i = 0; i < n; i++)
			L->sp[i] = d->sprime[idx[i]];
	const float *gate = NULL;
	if (L->cfg.gate_clean && gcse) {   /* computed before the forward (clean_gate) */
		gate = L->nrank > 1 ? L->gcls_all : L->gcls;
	} else if (L->cfg.gate_cls) {
		/* d = s_cls - s': the model's own [CLS] cosine (with dropout)
		 * against E''s [CLS] cosine, before the MLP head */
		const float *cls = t->cls;
		cosine_forward(L->gcls, cls, cls + (size_t)2 * nl * C, nl, C);
		for (int i = 0; i < nl; i++)
			L->gcls[i] = (float)(L->gcls[i] / L->cfg.loss.tau);
		gate = L->gcls;
		if (L->nrank > 1) {
			if (dist_allgather_rows(L->gcls, L->share, 1, L->gcls_all, err, errlen))
				return -1;
			gate = L->gcls_all;
		}
	}
	const float *h = t->h;
	if (L->nrank > 1) {   /* h of the global batch, block after block */
		for (int j = 0; j < rows; j++)
			if (dist_allgather_rows(t->h + (size_t)j * nl * C, L->share, (size_t)C,
			                        L->hg + (size_t)j * n * C, err, errlen))
				return -1;
		h = L->hg;
	}
	*loss = loss_forward_gated(&L->lw, &L->cfg.loss, h, h + (size_t)n * C,
	                           triples ? h + (size_t)2 * n * C : NULL, gcse ? L->sp : NULL, gate, n);
	if (!isfinite(*loss))
		return 0;
	float *dh = L->dh;
	memset(dh, 0, (size_t)rows * n * C * sizeof *dh);
	loss_backward(&L->lw, dh, dh + (size_t)n * C, triples ? dh + (size_t)2 * n * C : NULL, 1.0f);
	const float *mydh = dh;
	if (L->nrank > 1) {   /* this rank's rows of d loss / d h */
		for (int j = 0; j < rows; j++)
			memcpy(L->ldh + (size_t)j * nl * C, dh + ((size_t)j * n + s->lo) * C,
			       (size_t)nl * C * sizeof *dh);
		mydh = L->ldh;
	}
	if (nl > 0)
		train_backward(t, mydh);
	return 0;
}

/* mlm: the cross-entropy at this rank's predicted positions, scaled by 1 / R
 * of the global batch, and its backward; the loss and the correct
 * predictions summed over ranks. A batch with no position to predict (every
 * text empty) has loss 0 and no gradient. */
static int mlm_loss(train_loop *L, double *loss, double *acc, char *err, size_t errlen)
{
	float sum[2] = {0, 0};   /* this rank's loss sum and correct rows */
	*loss = 0;
	*acc = NAN;
	if (L->R == 0)
		return 0;
	if (L->Rl > 0) {
		int correct = 0;
		double l = train_mlm_loss(L->t, &L->mw, L->llabels, 1.0f / (float)L->R, 1, &correct);
		if (!isfinite(l)) {
			*loss = l;
			return 0;
		}
		sum[0] = (float)(l * L->Rl);
		sum[1] = (float)correct;
	}
	if (L->nrank > 1 && dist_allreduce_sum_float(sum, 2, err, errlen))
		return -1;
	*loss = (double)sum[0] / L->R;
	*acc = (double)sum[1] / L->R;
	return 0;
}

/* distill: 1 - cos([CLS], teacher) of this rank's examples, scaled by 1 / n
 * of the global batch, and its backward; the loss summed over ranks. */
static int distill_loss(train_loop *L, const train_data *d, const int64_t *idx,
                        const step_state *s, double *loss, char *err, size_t errlen)
{
	trainer *t = L->t;
	int C = t->cfg.hidden_size, D = d->tdim, nl = s->nl;
	if (!d->target || D < 1 || D > C) {
		seterr(err, errlen, "distill: teacher vectors of %d numbers for a model %d wide", D, C);
		return -1;
	}
	float sum = 0;
	if (nl > 0) {
		memset(L->tgt, 0, (size_t)nl * C * sizeof *L->tgt);
		for (int i = 0; i < nl; i++)
			memcpy(L->tgt + (size_t)i * C, d->target + (size_t)idx[s->lo + (size_t)i] * D,
			       (size_t)D * sizeof *L->tgt);
		double l = distill_forward(t->cls, L->tgt, nl, C, L->cosb);
		sum = (float)l;
		if (isfinite(l)) {   /* else the step stops after the sum: every rank sees it */
			memset(L->dh, 0, (size_t)nl * C * sizeof *L->dh);
			distill_backward(L->dh, t->cls, L->tgt, nl, C, 1.0f / (float)s->n, L->cosb);
			train_backward_rows(t, L->dh);
		}
	}
	if (L->nrank > 1 && dist_allreduce_sum_float(&sum, 1, err, errlen))
		return -1;
	*loss = (double)sum / s->n;
	return 0;
}

/* 4: the loss and the backward pass, by loss kind. */
static int step_loss(train_loop *L, const train_data *d, const int64_t *idx, const step_state *s,
                     double *loss, double *gate, double *acc, char *err, size_t errlen)
{
	int rc;
	switch (L->cfg.loss.kind) {
	case LOSS_SIMCSE:
	case LOSS_CONTRASTIVE:
	case LOSS_GCSE:
		rc = contrastive_loss(L, d, idx, s, loss, err, errlen);
		*gate = loss_mean_gate(&L->lw);
		return rc;
	case LOSS_MLM:
		*gate = 0;
		return mlm_loss(L, loss, acc, err, errlen);
	case LOSS_DISTILL:
		*gate = 0;
		return distill_loss(L, d, idx, s, loss, err, errlen);
	}
	seterr(err, errlen, "loss kind %d has no training step", (int)L->cfg.loss.kind);
	return -1;
}

static const char *nonfinite_name(double x)
{
	return isnan(x) ? "NaN" : x > 0 ? "+inf" : "-inf";
}

int train_loop_step(train_loop *L, const train_data *d, const int64_t *idx, int n,
                    const word_repeat *wr, rng *r, int64_t step, double lr, train_step_stats *st,
                    char *err, size_t errlen)
{
	trainer *t = L->t;
	step_state s;
	memset(st, 0, sizeof *st);
	st->loss = st->norm = NAN;
	if (n < 1 || n > L->cfg.max_batch) {
		seterr(err, errlen, "a batch of %d examples (1 to %d)", n, L->cfg.max_batch);
		return -1;
	}
	if (step_forward(L, d, idx, n, wr, r, step, &s, st->secs, err, errlen))
		return -1;
	double t0 = now_seconds();
	st->accuracy = NAN;
	if (step_loss(L, d, idx, &s, &st->loss, &st->gate, &st->accuracy, err, errlen))
		return -1;
	st->predicted = L->cfg.loss.kind == LOSS_MLM ? L->R : 0;
	/* 5, 6: the sum over ranks is the gradient of the global batch */
	if (isfinite(st->loss) && dist_allreduce_sum_float(t->grads, t->nparams, err, errlen))
		return -1;
	double t1 = now_seconds();
	st->secs[2] = t1 - t0;
	if (isfinite(st->loss))
		st->norm = grad_clip_norm(t->grads, t->nparams, L->cfg.clip);
	if (!isfinite(st->loss) || !isfinite(st->norm)) {
		int bad_loss = !isfinite(st->loss);
		st->nonfinite = 1;
		seterr(err, errlen, "the %s is not finite (%s)", bad_loss ? "loss" : "gradient norm",
		       nonfinite_name(bad_loss ? st->loss : st->norm));
		return -1;
	}
	/* 7 */
	adam_step_ranges(&L->opt, t->params, t->grads, lr, L->ranges, L->nranges);
	st->secs[3] = now_seconds() - t1;
	return 0;
}

int train_loop_in_sync(const train_loop *L, char *err, size_t errlen)
{
	if (L->nrank == 1)
		return 0;
	const trainer *t = L->t;
	uint32_t c = (uint32_t)crc32_z(0L, (const Bytef *)t->params, t->nparams * sizeof *t->params);
	int same = dist_same_u32(c, err, errlen);
	if (same < 0)
		return -1;
	if (!same) {
		seterr(err, errlen, "the ranks' parameters differ: the MPI reduction is not the same on every rank");
		return -1;
	}
	return 0;
}

int train_data_share(train_data *d, int has_sprime, char *err, size_t errlen)
{
	uint64_t hdr[4] = {d->n, d->n ? d->off[d->n * (size_t)d->k] : 0, d->crc, (uint64_t)d->tdim};
	if (dist_bcast(hdr, sizeof hdr, 0, err, errlen))
		return -1;
	if (dist_rank() != 0) {
		d->n = (size_t)hdr[0];
		d->crc = (uint32_t)hdr[2];
		d->tok = malloc((hdr[1] ? (size_t)hdr[1] : 1) * sizeof *d->tok);
		d->off = malloc((d->n * (size_t)d->k + 1) * sizeof *d->off);
		d->sprime = has_sprime ? malloc((d->n ? d->n : 1) * sizeof *d->sprime) : NULL;
		d->tdim = (int)hdr[3];
		d->target = d->tdim ? malloc((d->n ? d->n : 1) * (size_t)d->tdim * sizeof *d->target) : NULL;
		if (!d->tok || !d->off || (has_sprime && !d->sprime) || (d->tdim && !d->target)) {
			seterr(err, errlen, "out of memory for %zu examples", d->n);
			return -1;
		}
	}
	if (dist_bcast(d->tok, (size_t)hdr[1] * sizeof *d->tok, 0, err, errlen) ||
	    dist_bcast(d->off, (d->n * (size_t)d->k + 1) * sizeof *d->off, 0, err, errlen) ||
	    (has_sprime && dist_bcast(d->sprime, d->n * sizeof *d->sprime, 0, err, errlen)) ||
	    (d->tdim && dist_bcast(d->target, d->n * (size_t)d->tdim * sizeof *d->target, 0, err,
	                           errlen)))
		return -1;
	return 0;
}
