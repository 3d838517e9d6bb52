/* encoder.c — text to vector: tokenise, sort by length, batch, forward, pool. */
#include "nn/encoder.h"
#include "base/err.h"
#include "nn/bert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct encoder {
	tokenizer *tok;
	bert_model *m;
	bert_ctx *ctx;
	int batch_size, max_length, pooling, normalize;
	/* work space, grown as needed */
	int *ids;               /* batch_size x max_length padded ids */
	int *mask;
	float *vecs;            /* batch_size x C */
};

void encoder_opts_init(encoder_opts *o)
{
	o->batch_size = 32;
	o->max_length = 0;
	o->pooling = -1;
	o->normalize = -1;
}

void encoder_free(encoder *e)
{
	if (!e)
		return;
	bert_ctx_free(e->ctx);
	model_free(e->m);
	tokenizer_free(e->tok);
	free(e->ids);
	free(e->mask);
	free(e->vecs);
	free(e);
}

encoder *encoder_open(const char *dir, const encoder_opts *o, char *err, size_t errlen)
{
	encoder_opts d;
	if (!o) {
		encoder_opts_init(&d);
		o = &d;
	}
	if (o->batch_size < 1 || o->batch_size > 1 << 20) {
		seterr(err, errlen, "batch size %d out of range", o->batch_size);
		return NULL;
	}
	encoder *e = calloc(1, sizeof *e);
	if (!e) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	char e2[512];
	e->m = model_load(dir, e2, sizeof e2);
	if (!e->m) {
		seterr(err, errlen, "%s", e2);
		goto fail;
	}
	e->tok = tokenizer_load_dir(dir, e2, sizeof e2);
	if (!e->tok) {
		seterr(err, errlen, "tokenizer: %s", e2);
		goto fail;
	}
	const bert_config *c = &e->m->cfg;
	if (tokenizer_vocab_size(e->tok) > c->vocab_size) {
		seterr(err, errlen, "the vocabulary (%d tokens) is larger than the model's (%d)",
		       tokenizer_vocab_size(e->tok), c->vocab_size);
		goto fail;
	}
	int maxpos = c->max_position_embeddings, tmax = tokenizer_model_max_length(e->tok);
	e->max_length = o->max_length;
	if (e->max_length == 0)
		e->max_length = tmax > 0 && tmax < maxpos ? tmax : maxpos;
	if (e->max_length < 2 || e->max_length > maxpos) {
		seterr(err, errlen, "max length %d out of range 2..%d (the model's position table)", e->max_length,
		       maxpos);
		goto fail;
	}
	e->pooling = o->pooling >= 0 ? o->pooling : e->m->pooling;
	if (e->pooling < 0) {
		seterr(err, errlen, "%s (choose a pooling)", e->m->pooling_note);
		goto fail;
	}
	if (e->pooling > BERT_POOL_MAX) {
		seterr(err, errlen, "unknown pooling %d", e->pooling);
		goto fail;
	}
	if (e->pooling == BERT_POOL_POOLER && !e->m->has_pooler) {
		seterr(err, errlen, "pooling \"pooler\": the model has no pooler weights");
		goto fail;
	}
	e->normalize = o->normalize >= 0 ? o->normalize != 0 : e->m->normalize;
	e->batch_size = o->batch_size;
	e->ctx = bert_ctx_new(e->m);
	e->ids = malloc((size_t)e->batch_size * e->max_length * sizeof *e->ids);
	e->mask = malloc((size_t)e->batch_size * e->max_length * sizeof *e->mask);
	e->vecs = malloc((size_t)e->batch_size * c->hidden_size * sizeof *e->vecs);
	if (!e->ctx || !e->ids || !e->mask || !e->vecs) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	return e;
fail:
	encoder_free(e);
	return NULL;
}

typedef struct seq {
	const int *ids;
	int len, index;
} seq;

static int by_length(const void *a, const void *b)
{
	const seq *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;        /* longest first */
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sort, batch, run; vectors into out in input order. */
static int run(encoder *e, seq *s, int n, float *out, char *err, size_t errlen)
{
	int C = e->m->cfg.hidden_size;
	qsort(s, n, sizeof *s, by_length);
	for (int i = 0; i < n; i += e->batch_size) {
		int B = n - i < e->batch_size ? n - i : e->batch_size, T = s[i].len;
		for (int b = 0; b < B; b++) {
			const seq *q = &s[i + b];
			int *row = e->ids + (size_t)b * T, *mrow = e->mask + (size_t)b * T;
			memcpy(row, q->ids, (size_t)q->len * sizeof *row);
			for (int t = 0; t < T; t++) {
				if (t >= q->len)
					row[t] = tokenizer_pad_id(e->tok);
				mrow[t] = t < q->len;
			}
		}
		if (bert_encode(e->ctx, e->ids, e->mask, B, T, e->pooling, e->normalize, e->vecs, err, errlen))
			return -1;
		for (int b = 0; b < B; b++)
			memcpy(out + (size_t)s[i + b].index * C, e->vecs + (size_t)b * C, (size_t)C * sizeof *out);
	}
	return 0;
}

int encoder_embed(encoder *e, const char *const *texts, const size_t *lens, int n, float *out,
                  int *ntruncated_out, unsigned char *trunc_flags, char *err, size_t errlen)
{
	if (ntruncated_out)
		*ntruncated_out = 0;
	if (n <= 0)
		return n == 0 ? 0 : -1;
	int L = e->max_length, ntrunc = 0;
	/* all texts' ids in one pool; offsets kept, pointers set after */
	size_t cap = (size_t)n * 16 + L, used = 0;
	int *pool = malloc(cap * sizeof *pool);
	size_t *off = malloc((size_t)n * sizeof *off);
	seq *s = malloc((size_t)n * sizeof *s);
	int ok = pool && off && s;
	if (!ok)
		seterr(err, errlen, "out of memory");
	for (int i = 0; ok && i < n; i++) {
		if (used + L > cap) {
			size_t nc = cap * 2 > used + L ? cap * 2 : used + L;
			int *p = realloc(pool, nc * sizeof *p);
			if (!p) {
				seterr(err, errlen, "out of memory");
				ok = 0;
				break;
			}
			pool = p;
			cap = nc;
		}
		const char *t = texts[i] ? texts[i] : "";
		int tr = 0, k = tokenizer_encode(e->tok, t, lens ? lens[i] : strlen(t), pool + used, L, &tr);
		if (k < 0) {
			seterr(err, errlen, "text %d: tokenizer out of memory", i);
			ok = 0;
			break;
		}
		off[i] = used;
		s[i].len = k;
		s[i].index = i;
		used += (size_t)k;
		ntrunc += tr != 0;
		if (trunc_flags)
			trunc_flags[i] = tr != 0;
	}
	if (ok) {
		for (int i = 0; i < n; i++)
			s[i].ids = pool + off[i];
		ok = run(e, s, n, out, err, errlen) == 0;
	}
	if (ok && ntruncated_out)
		*ntruncated_out = ntrunc;
	free(pool);
	free(off);
	free(s);
	return ok ? 0 : -1;
}

int encoder_embed_ids(encoder *e, const int *const *seqs, const int *seq_lens, int n, float *out,
                      char *err, size_t errlen)
{
	if (n <= 0)
		return n == 0 ? 0 : -1;
	seq *s = malloc((size_t)n * sizeof *s);
	if (!s) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (seq_lens[i] < 1 || seq_lens[i] > e->max_length) {
			seterr(err, errlen, "sequence %d: %d ids, expected 1..%d", i, seq_lens[i],
			       e->max_length);
			free(s);
			return -1;
		}
		s[i] = (seq){seqs[i], seq_lens[i], i};
	}
	int rc = run(e, s, n, out, err, errlen);
	free(s);
	return rc;
}

int encoder_dim(const encoder *e) { return e->m->cfg.hidden_size; }
int encoder_max_length(const encoder *e) { return e->max_length; }
int encoder_pooling(const encoder *e) { return e->pooling; }
int encoder_normalize(const encoder *e) { return e->normalize; }
const bert_model *encoder_model(const encoder *e) { return e->m; }
const tokenizer *encoder_tokenizer(const encoder *e) { return e->tok; }
