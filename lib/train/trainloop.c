/* trainloop.c — one optimizer step: batch, shard, forward, loss, reduce,
 * clip, update (see trainloop.h). */
#include "train/trainloop.h"
#include "base/cli.h"
#include "base/err.h"
#include "train/dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int train_loop_rows(loss_kind kind)
{
	return kind == LOSS_SIMCSE ? 2 : 3;
}

/* The trainer's tensors (the encoder's, then the MLP head's W and b) as
 * decay ranges of its arena; NULL when out of memory or when they do not
 * cover the arena exactly. */
static decay_range *tensor_ranges(const trainer *t, double wd, int *nr)
{
	int ne = bert_num_tensors(&t->cfg), n = ne + 2;
	int C = t->cfg.hidden_size;
	bert_tensor *ts = malloc((size_t)n * sizeof *ts);
	decay_range *r = malloc((size_t)n * sizeof *r);
	if (!ts || !r) {
		free(ts);
		free(r);
		return NULL;
	}
	bert_tensors(&t->cfg, &t->m->params, ts);
	ts[ne] = (bert_tensor){.name = "mlp.dense.weight", .data = t->head.W, .ndim = 2, .shape = {C, C},
	                       .numel = (size_t)C * C, .kind = BERT_T_MATRIX};
	ts[ne + 1] = (bert_tensor){.name = "mlp.dense.bias", .data = t->head.b, .ndim = 1, .shape = {C},
	                           .numel = (size_t)C, .kind = BERT_T_BIAS};
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
	L->t = trainer_new(m, L->rows * (int)Bl, c->max_len, c->head_seed, err, errlen);
	if (!L->t)
		return -1;
	size_t C = (size_t)L->t->cfg.hidden_size;
	if (adam_init(&L->opt, L->t->nparams) || loss_ws_init(&L->lw, (int)B, (int)C))
		goto oom;
	L->opt.weight_decay = c->weight_decay;
	L->opt.decoupled = c->adamw;
	L->ranges = tensor_ranges(L->t, c->weight_decay, &L->nranges);
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
	}
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
	trainer_zero_grad(t);
	double t1 = now_seconds();
	secs[0] = t1 - t0;
	int rc = s->nl > 0 ? train_forward(t, ids, mask, L->rows * s->nl, s->T, 1, key, err, errlen) : 0;
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
	if (L->cfg.gate_cls) {
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

/* 4: the loss and the backward pass, by loss kind. */
static int step_loss(train_loop *L, const train_data *d, const int64_t *idx, const step_state *s,
                     double *loss, double *gate, char *err, size_t errlen)
{
	int rc;
	switch (L->cfg.loss.kind) {
	case LOSS_SIMCSE:
	case LOSS_CONTRASTIVE:
	case LOSS_GCSE:
		rc = contrastive_loss(L, d, idx, s, loss, err, errlen);
		*gate = loss_mean_gate(&L->lw);
		return rc;
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
	if (step_loss(L, d, idx, &s, &st->loss, &st->gate, err, errlen))
		return -1;
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
	uint64_t hdr[3] = {d->n, d->n ? d->off[d->n * (size_t)d->k] : 0, d->crc};
	if (dist_bcast(hdr, sizeof hdr, 0, err, errlen))
		return -1;
	if (dist_rank() != 0) {
		d->n = (size_t)hdr[0];
		d->crc = (uint32_t)hdr[2];
		d->tok = malloc((hdr[1] ? (size_t)hdr[1] : 1) * sizeof *d->tok);
		d->off = malloc((d->n * (size_t)d->k + 1) * sizeof *d->off);
		d->sprime = has_sprime ? malloc((d->n ? d->n : 1) * sizeof *d->sprime) : NULL;
		if (!d->tok || !d->off || (has_sprime && !d->sprime)) {
			seterr(err, errlen, "out of memory for %zu examples", d->n);
			return -1;
		}
	}
	if (dist_bcast(d->tok, (size_t)hdr[1] * sizeof *d->tok, 0, err, errlen) ||
	    dist_bcast(d->off, (d->n * (size_t)d->k + 1) * sizeof *d->off, 0, err, errlen) ||
	    (has_sprime && dist_bcast(d->sprime, d->n * sizeof *d->sprime, 0, err, errlen)))
		return -1;
	return 0;
}
