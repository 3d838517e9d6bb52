/* traindata.c — training records, batches, word repetition, frozen s',
 * STS evaluation (see traindata.h). */
#include "train/traindata.h"
#include "base/err.h"
#include "nn/bert.h"
#include "base/cli.h"
#include "nn/model.h"
#include "base/ndjson.h"
#include "base/stats.h"
#include "base/fileio.h"
#include "train/head.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* growable token store */
typedef struct toks {
	int *tok;
	size_t ntok, cap;
	size_t *off;
	size_t noff, offcap;
} toks;

static void toks_add(toks *t, const int *ids, int n)
{
	if (t->ntok + (size_t)n > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 4096;
		while (t->cap < t->ntok + (size_t)n)
			t->cap *= 2;
		t->tok = xrealloc(t->tok, t->cap * sizeof *t->tok);
	}
	memcpy(t->tok + t->ntok, ids, (size_t)n * sizeof *ids);
	t->ntok += (size_t)n;
	if (t->noff + 2 > t->offcap) {
		t->offcap = t->offcap ? 2 * t->offcap : 1024;
		t->off = xrealloc(t->off, t->offcap * sizeof *t->off);
	}
	if (t->noff == 0)
		t->off[t->noff++] = 0;
	t->off[t->noff++] = t->ntok;
}

/* [CLS] pieces [SEP] of text into ids (max_len); counts truncation. */
static int encode(const tokenizer *tk, const char *s, size_t len, int *ids, int max_len, size_t *ntrunc)
{
	int trunc = 0;
	int n = tokenizer_encode(tk, s, len, ids, max_len, &trunc);
	if (n < 0)
		cli_die("out of memory while tokenizing");
	*ntrunc += trunc != 0;
	return n;
}

void train_data_read(train_data *d, char **files, int nfiles, int k, const char *target,
                     int need_sprime, int keep_texts, int skip_bad, const tokenizer *tk, int max_len, double tau)
{
	static const char *const f1[] = {"text"}, *const f3[] = {"text1", "text2", "neg"};
	const char *const *fields = k == 1 ? f1 : f3;
	memset(d, 0, sizeof *d);
	d->k = k;
	ndjson_reader *r = ndjson_open(files, nfiles, skip_bad);
	toks t = {0};
	size_t cap = 0;
	int *ids = xmalloc((size_t)max_len * sizeof *ids);
	int seen_score = 0;
	jv rec;
	while (ndjson_next(r, &rec)) {
		jv txt[3];
		int got = 0;
		for (; got < k; got++)
			if (!ndjson_get_string(r, rec, fields[got], &txt[got]))
				break;
		double sp = NAN;
		int ok = got == k;
		float *tv = NULL;
		if (ok && target)
			ok = ndjson_get_vector(r, rec, target, &tv, &d->tdim);
		if (ok && need_sprime) {
			const char *which = "neg_logit";
			int h = ndjson_opt_number(r, rec, "neg_logit", &sp);
			if (h == 0) {
				which = "neg_cosine";
				h = ndjson_opt_number(r, rec, "neg_cosine", &sp);
				if (h == 1)
					sp /= tau;
			}
			if (h == 0) {
				if (!seen_score)
					cli_usage_error("%s:%ld: the gcse loss needs the frozen model's similarity "
					                "in the input (\"neg_logit\" or \"neg_cosine\") or --frozen DIR",
					                ndjson_filename(r), ndjson_lineno(r));
				ndjson_bad(r, "field \"neg_logit\": missing (nor \"neg_cosine\")");
			} else if (h == 1 && !isfinite(sp))
				ndjson_bad(r, "field \"%s\": not a finite number", which);
			ok = h == 1 && isfinite(sp);
			seen_score |= h == 1;
		}
		if (ok) {
			if (d->n == cap) {
				cap = cap ? 2 * cap : 1024;
				if (need_sprime)
					d->sprime = xrealloc(d->sprime, cap * sizeof *d->sprime);
				if (target)
					d->target = xrealloc(d->target, cap * (size_t)d->tdim * sizeof *d->target);
				if (keep_texts)
					d->texts = xrealloc(d->texts, cap * k * sizeof *d->texts);
			}
			for (int j = 0; j < k; j++) {
				const char *s = jv_string_value(txt[j]);
				size_t len = (size_t)jv_string_length_bytes(jv_copy(txt[j]));
				int n = encode(tk, s, len, ids, max_len, &d->ntrunc);
				toks_add(&t, ids, n);
				if (keep_texts)
					d->texts[d->n * k + j] = xstrdup(s);
			}
			if (need_sprime)
				d->sprime[d->n] = (float)sp;
			if (target)
				memcpy(d->target + d->n * (size_t)d->tdim, tv, (size_t)d->tdim * sizeof *tv);
			d->n++;
		}
		free(tv);
		for (int j = 0; j < got; j++)
			jv_free(txt[j]);
		jv_free(rec);
	}
	ndjson_close(r);
	free(ids);
	d->tok = t.tok;
	d->off = t.off;
	if (!d->off) {          /* no example: an empty offset table */
		d->off = xcalloc(1, sizeof *d->off);
	}
	uLong crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, (const Bytef *)&d->k, sizeof d->k);
	if (t.ntok)
		crc = crc32(crc, (const Bytef *)d->tok, (uInt)(t.ntok * sizeof *d->tok));
	for (size_t i = 0; i < d->n * (size_t)k; i++) {
		uint32_t len = (uint32_t)(d->off[i + 1] - d->off[i]);
		crc = crc32(crc, (const Bytef *)&len, sizeof len);
	}
	if (d->sprime && d->n)
		crc = crc32(crc, (const Bytef *)d->sprime, (uInt)(d->n * sizeof *d->sprime));
	if (d->target && d->n)
		crc = crc32_z(crc, (const Bytef *)d->target, d->n * (size_t)d->tdim * sizeof *d->target);
	d->crc = (uint32_t)crc;
}

void train_data_free(train_data *d)
{
	if (d->texts)
		for (size_t i = 0; i < d->n * (size_t)d->k; i++)
			free(d->texts[i]);
	free(d->texts);
	free(d->tok);
	free(d->off);
	free(d->sprime);
	free(d->target);
	memset(d, 0, sizeof *d);
}

int train_data_from_rows(train_data *d, int k, size_t n, const int *ids, const int *mask, int T,
                         const float *sprime, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->k = k;
	d->n = n;
	size_t rows = (size_t)k * n;
	d->tok = malloc((rows * (size_t)T + 1) * sizeof *d->tok);
	d->off = malloc((rows + 1) * sizeof *d->off);
	d->sprime = sprime ? malloc((n ? n : 1) * sizeof *d->sprime) : NULL;
	if (!d->tok || !d->off || (sprime && !d->sprime)) {
		train_data_free(d);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (sprime)
		memcpy(d->sprime, sprime, n * sizeof *sprime);
	size_t used = 0;
	/* example-major: text j of example i at off[i*k + j] */
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < k; j++) {
			size_t row = (size_t)j * n + i;
			int len = 0;
			while (len < T && (!mask || mask[row * (size_t)T + (size_t)len]))
				len++;
			if (len == 0) {
				train_data_free(d);
				seterr(err, errlen, "row %zu has no token", row);
				return -1;
			}
			d->off[i * (size_t)k + (size_t)j] = used;
			memcpy(d->tok + used, ids + row * (size_t)T, (size_t)len * sizeof *ids);
			used += (size_t)len;
		}
	d->off[rows] = used;
	return 0;
}

/* Encode texts[0..n) (every stride-th of texts) with model x (pooling)
 * into out (n, C); ids, mask have room for batch * max_len. */
static int encode_texts(bert_ctx *x, const tokenizer *tk, int pooling, char *const *texts,
                        size_t stride, size_t n, int max_len, int batch, int *ids, int *mask,
                        float *out, char *err, size_t errlen)
{
	int C = x->m->cfg.hidden_size, pad = tokenizer_pad_id(tk);
	size_t ntrunc = 0;
	int *len = xmalloc((size_t)batch * sizeof *len);
	for (size_t b0 = 0; b0 < n; b0 += (size_t)batch) {
		int B = n - b0 < (size_t)batch ? (int)(n - b0) : batch, T = 1;
		for (int b = 0; b < B; b++) {
			const char *s = texts[(b0 + b) * stride];
			len[b] = encode(tk, s, strlen(s), ids + (size_t)b * max_len, max_len, &ntrunc);
			T = len[b] > T ? len[b] : T;
		}
		/* compact to stride T, rows in increasing order (no overlap ahead) */
		for (int b = 0; b < B; b++) {
			memmove(ids + (size_t)b * T, ids + (size_t)b * max_len, (size_t)len[b] * sizeof *ids);
			for (int i = 0; i < T; i++) {
				if (i >= len[b])
					ids[(size_t)b * T + i] = pad;
				mask[(size_t)b * T + i] = i < len[b];
			}
		}
		if (bert_encode(x, ids, mask, B, T, pooling, 0, out + b0 * C, err, errlen)) {
			free(len);
			return -1;
		}
	}
	free(len);
	return 0;
}

int train_data_frozen_sprime(train_data *d, const char *dir, int max_len, int batch,
                             double tau, int use_head, int *head_used, char *err, size_t errlen)
{
	if (head_used)
		*head_used = 0;
	if (!d->texts || d->k != 3) {
		seterr(err, errlen, "frozen s': the texts of triples were not kept");
		return -1;
	}
	char e2[512];
	bert_model *m = model_load(dir, e2, sizeof e2);
	if (!m) {
		seterr(err, errlen, "%s", e2);
		return -1;
	}
	tokenizer *tk = tokenizer_load_dir(dir, e2, sizeof e2);
	if (!tk) {
		seterr(err, errlen, "%s: %s", dir, e2);
		model_free(m);
		return -1;
	}
	int rc = -1;
	/* s' is the frozen model's [CLS] cosine, as kgfilter computes it
	 * (METHOD.md 4-5), whatever pooling the directory prefers. */
	if (max_len > m->cfg.max_position_embeddings)
		max_len = m->cfg.max_position_embeddings;
	bert_ctx *x = bert_ctx_new(m);
	size_t C = m->cfg.hidden_size, n = d->n;
	int *ids = xmalloc((size_t)batch * max_len * sizeof *ids);
	int *mask = xmalloc((size_t)batch * max_len * sizeof *mask);
	float *ea = xmalloc((n ? n : 1) * C * sizeof *ea), *en = xmalloc((n ? n : 1) * C * sizeof *en);
	if (!d->sprime)
		d->sprime = xmalloc((n ? n : 1) * sizeof *d->sprime);
	float *W = NULL, *b = NULL, *tmp = NULL;
	char *hp = NULL;
	if (use_head) {   /* the directory's MLP head, when it has one */
		hp = path_join(dir, MLP_HEAD_FILE);
		if (hp && access(hp, F_OK) == 0) {
			W = xmalloc(C * C * sizeof *W);
			b = xmalloc(C * sizeof *b);
			tmp = xmalloc((n ? n : 1) * C * sizeof *tmp);
			if (mlp_head_read(hp, (int)C, W, b, e2, sizeof e2)) {
				seterr(err, errlen, "%s", e2);
				goto done;
			}
		}
	}
	if (encode_texts(x, tk, BERT_POOL_CLS, d->texts, 3, n, max_len, batch, ids, mask, ea, e2, sizeof e2) ||
	    encode_texts(x, tk, BERT_POOL_CLS, d->texts + 2, 3, n, max_len, batch, ids, mask, en, e2, sizeof e2))
		seterr(err, errlen, "%s: %s", dir, e2);
	else {
		if (W && n) {   /* h = tanh(W cls + b), row by row as the trainer's head */
			mlp_forward(tmp, ea, (int)C, W, b, (int)n, (int)C);
			memcpy(ea, tmp, n * C * sizeof *ea);
			mlp_forward(tmp, en, (int)C, W, b, (int)n, (int)C);
			memcpy(en, tmp, n * C * sizeof *en);
		}
		if (head_used)
			*head_used = W != NULL;
		for (size_t i = 0; i < n; i++)
			d->sprime[i] = (float)(cosine_sim(ea + i * C, en + i * C, (int)C) / tau);
		rc = 0;
	}
done:
	free(hp);
	free(W);
	free(b);
	free(tmp);
	free(ids);
	free(mask);
	free(ea);
	free(en);
	bert_ctx_free(x);
	tokenizer_free(tk);
	model_free(m);
	return rc;
}

/* ---- word repetition ----------------------------------------------------- */

int word_repeat_init(word_repeat *w, const tokenizer *tk)
{
	w->V = tokenizer_vocab_size(tk);
	w->cont = calloc((size_t)(w->V > 0 ? w->V : 1), 1);
	if (!w->cont)
		return -1;
	for (int i = 0; i < w->V; i++) {
		const char *s = tokenizer_token(tk, i);
		w->cont[i] = s && s[0] == '#' && s[1] == '#' && s[2];
	}
	return 0;
}

void word_repeat_free(word_repeat *w)
{
	free(w->cont);
	w->cont = NULL;
}

int word_repeat_apply(const word_repeat *w, rng *r, const int *ids, int len, int *out, int max_len)
{
	/* words are the pieces between [CLS] (0) and [SEP] (len - 1) */
	int nw = 0;
	for (int i = 1; i < len - 1; i++)
		nw += i == 1 || ids[i] < 0 || ids[i] >= w->V || !w->cont[ids[i]];
	memcpy(out, ids, (size_t)len * sizeof *ids);
	uint64_t pick = rng_below(r, nw > 0 ? (uint64_t)nw : 1);
	if (nw == 0)
		return len;
	int s = -1, e = len - 1, seen = 0;
	for (int i = 1; i < len - 1; i++) {
		int start = i == 1 || ids[i] < 0 || ids[i] >= w->V || !w->cont[ids[i]];
		if (!start)
			continue;
		if (s >= 0) {
			e = i;
			break;
		}
		if ((uint64_t)seen++ == pick)
			s = i;
	}
	int wl = e - s;
	if (len + wl > max_len)
		return len;
	memcpy(out + e, ids + s, (size_t)wl * sizeof *ids);
	memcpy(out + e + wl, ids + e, (size_t)(len - e) * sizeof *ids);
	return len + wl;
}

/* ---- batches ------------------------------------------------------------- */

int train_batch(const train_data *d, const int64_t *idx, int n, int pad_id,
                const word_repeat *wr, rng *r, int max_len, int *ids, int *mask)
{
	int blocks = d->k == 1 ? 2 : 3, rows = blocks * n, T = 1;
	/* first pass: rows at stride max_len, lengths in mask[row * max_len] */
	for (int bl = 0; bl < blocks; bl++)
		for (int i = 0; i < n; i++) {
			int row = bl * n + i, len;
			const int *src = train_text(d, (size_t)idx[i], d->k == 1 ? 0 : bl, &len);
			int *dst = ids + (size_t)row * max_len;
			if (bl == 0 && wr)
				len = word_repeat_apply(wr, r, src, len, dst, max_len);
			else
				memcpy(dst, src, (size_t)len * sizeof *src);
			mask[(size_t)row * max_len] = len;
			T = len > T ? len : T;
		}
	/* second pass: compact to stride T (rows in increasing order: the
	 * destination never overtakes the source) and pad */
	for (int row = 0; row < rows; row++) {
		int len = mask[(size_t)row * max_len];
		int *dst = ids + (size_t)row * T;
		memmove(dst, ids + (size_t)row * max_len, (size_t)len * sizeof *dst);
		for (int i = len; i < T; i++)
			dst[i] = pad_id;
		/* the mask row: its slot row*T <= row*max_len holds length data of
		 * rows >= row only at row*max_len, read above */
		int *mrow = mask + (size_t)row * T;
		for (int i = 0; i < T; i++)
			mrow[i] = i < len;
	}
	return T;
}

int train_batch_texts(const train_data *d, const int64_t *idx, int n, int pad_id, int max_len,
                      int *ids, int *mask)
{
	int T = 1;
	for (int i = 0; i < n; i++) {
		int len;
		train_text(d, (size_t)idx[i], 0, &len);
		T = len > T ? len : T;
	}
	for (int i = 0; i < n; i++) {
		int len;
		const int *src = train_text(d, (size_t)idx[i], 0, &len);
		int *dst = ids + (size_t)i * T, *m = mask + (size_t)i * T;
		memcpy(dst, src, (size_t)len * sizeof *src);
		for (int j = 0; j < T; j++) {
			if (j >= len)
				dst[j] = pad_id;
			m[j] = j < len;
		}
	}
	(void)max_len;
	return T;
}

typedef struct lenpos {
	int len;
	size_t pos;
	int64_t idx;
} lenpos;

static int cmp_lenpos(const void *x, const void *y)
{
	const lenpos *a = x, *b = y;
	if (a->len != b->len)
		return (a->len > b->len) - (a->len < b->len);
	return (a->pos > b->pos) - (a->pos < b->pos);
}

int train_order_buckets(const train_data *d, int64_t *order, size_t n, int B, int window, rng *r)
{
	if (B < 1 || window < 1 || n == 0)
		return 0;
	size_t chunk = (size_t)B * (size_t)window, nb = n / (size_t)B;
	lenpos *lp = malloc((chunk < n ? chunk : n) * sizeof *lp);
	int64_t *batch = malloc((nb ? nb : 1) * sizeof *batch), *tmp = malloc(n * sizeof *tmp);
	if (!lp || !batch || !tmp) {
		free(lp), free(batch), free(tmp);
		return -1;
	}
	for (size_t a = 0; a < n; a += chunk) {
		size_t m = n - a < chunk ? n - a : chunk;
		for (size_t i = 0; i < m; i++) {
			lp[i].idx = order[a + i];
			lp[i].pos = i;
			train_text(d, (size_t)order[a + i], 0, &lp[i].len);
		}
		qsort(lp, m, sizeof *lp, cmp_lenpos);
		for (size_t i = 0; i < m; i++)
			order[a + i] = lp[i].idx;
	}
	/* whole batches in random order; a last partial batch stays last */
	for (size_t i = 0; i < nb; i++)
		batch[i] = (int64_t)i;
	rng_shuffle(r, batch, nb, sizeof *batch);
	memcpy(tmp, order, n * sizeof *tmp);
	for (size_t i = 0; i < nb; i++)
		memcpy(order + i * (size_t)B, tmp + (size_t)batch[i] * B, (size_t)B * sizeof *order);
	free(lp), free(batch), free(tmp);
	return 0;
}

/* ---- STS evaluation ------------------------------------------------------ */

void sts_read(sts_set *s, const char *path, const tokenizer *tk, int max_len, int skip_bad)
{
	memset(s, 0, sizeof *s);
	char *files[1] = {(char *)path};
	ndjson_reader *r = ndjson_open(files, 1, skip_bad);
	toks t = {0};
	size_t cap = 0, ntrunc = 0;
	int *ids = xmalloc((size_t)max_len * sizeof *ids);
	jv rec;
	while (ndjson_next(r, &rec)) {
		jv a, b;
		double gold;
		if (ndjson_get_string(r, rec, "sentence1", &a)) {
			if (ndjson_get_string(r, rec, "sentence2", &b)) {
				if (ndjson_get_number(r, rec, "score", &gold)) {
					if (s->n == cap) {
						cap = cap ? 2 * cap : 1024;
						s->gold = xrealloc(s->gold, cap * sizeof *s->gold);
					}
					jv pair[2] = {a, b};
					for (int j = 0; j < 2; j++) {
						int n = encode(tk, jv_string_value(pair[j]),
						               (size_t)jv_string_length_bytes(jv_copy(pair[j])), ids,
						               max_len, &ntrunc);
						toks_add(&t, ids, n);
						s->maxlen = n > s->maxlen ? n : s->maxlen;
					}
					s->gold[s->n++] = gold;
				}
				jv_free(b);
			}
			jv_free(a);
		}
		jv_free(rec);
	}
	ndjson_close(r);
	free(ids);
	s->tok = t.tok;
	s->off = t.off ? t.off : xcalloc(1, sizeof *s->off);
	if (ntrunc)
		cli_msg("%s: %zu sentences cut at %d tokens", path, ntrunc, max_len);
}

void sts_free(sts_set *s)
{
	free(s->tok);
	free(s->off);
	free(s->gold);
	free(s->ids);
	free(s->mask);
	free(s->emb);
	free(s->pred);
	memset(s, 0, sizeof *s);
}

double sts_spearman(sts_set *s, struct bert_ctx *x, int pooling, int batch, int pad_id,
                    char *err, size_t errlen)
{
	int C = x->m->cfg.hidden_size;
	size_t ns = 2 * s->n;
	if (s->n < 2) {
		seterr(err, errlen, "the evaluation set needs at least 2 pairs");
		return NAN;
	}
	if (!s->emb || s->wsB < batch || s->wsC != C) {
		free(s->ids);
		free(s->mask);
		free(s->emb);
		free(s->pred);
		s->ids = xmalloc((size_t)batch * s->maxlen * sizeof *s->ids);
		s->mask = xmalloc((size_t)batch * s->maxlen * sizeof *s->mask);
		s->emb = xmalloc(ns * C * sizeof *s->emb);
		s->pred = xmalloc(s->n * sizeof *s->pred);
		s->wsB = batch;
		s->wsC = C;
	}
	for (size_t b0 = 0; b0 < ns; b0 += (size_t)batch) {
		int B = ns - b0 < (size_t)batch ? (int)(ns - b0) : batch, T = 1;
		for (int b = 0; b < B; b++) {
			int len = (int)(s->off[b0 + b + 1] - s->off[b0 + b]);
			T = len > T ? len : T;
		}
		for (int b = 0; b < B; b++) {
			const int *src = s->tok + s->off[b0 + b];
			int len = (int)(s->off[b0 + b + 1] - s->off[b0 + b]);
			for (int i = 0; i < T; i++) {
				s->ids[(size_t)b * T + i] = i < len ? src[i] : pad_id;
				s->mask[(size_t)b * T + i] = i < len;
			}
		}
		if (bert_encode(x, s->ids, s->mask, B, T, pooling, 0, s->emb + b0 * C, err, errlen))
			return NAN;
	}
	for (size_t i = 0; i < s->n; i++)
		s->pred[i] = cosine_sim(s->emb + 2 * i * C, s->emb + (2 * i + 1) * C, C);
	return 100.0 * spearman(s->pred, s->gold, s->n);
}
