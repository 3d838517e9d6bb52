/* traindata.h — gcsetrain's data: training records read whole and
 * tokenized once, batches padded for the trainer, ESimCSE-style word
 * repetition, the frozen model's s', and an STS evaluation set.
 *
 * Records (NDJSON, one per line; lib/ndjson.h reports FILE:LINE errors):
 *   simcse:               {"text": "..."}                     (k = 1 text)
 *   contrastive, gcse:    {"text1": anchor, "text2": positive, "neg": hard negative}
 *                         (k = 3 texts), plus for gcse the frozen model's
 *                         similarity of anchor and hard negative:
 *                         "neg_logit" (logit units, cosine / tau, as kgfilter
 *                         writes it) or "neg_cosine" (converted: / tau).
 * Each text becomes [CLS] pieces [SEP], at most max_len ids.
 *
 * A batch of n examples is 1 or 3 blocks of rows, [anchors | positives |
 * negatives]; simcse repeats the block ([a | a], two dropout views). */
#ifndef GCSE_TRAINDATA_H
#define GCSE_TRAINDATA_H
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "nn/tokenizer.h"

typedef struct train_data {
	int k;                  /* texts per example: 1 (simcse) or 3 */
	size_t n;               /* examples */
	int *tok;               /* all token ids, text after text */
	size_t *off;            /* (n*k + 1) start of text j of example i at off[i*k + j] */
	float *sprime;          /* (n) s' in logit units; NULL unless gcse */
	size_t ntrunc;          /* texts cut at max_len */
	uint32_t crc;           /* crc32 of the token ids and s' (identifies the data) */
	char **texts;           /* (n*k) the texts, kept only when asked (frozen s') */
} train_data;

/* Read records from files (none or "-": stdin) for loss kind k (1 or 3).
 * need_sprime: gcse without --frozen: every record must carry neg_logit or
 * neg_cosine (a first record without either is a usage error: "needs
 * neg_logit in the input or --frozen"); keep_texts: keep the texts for
 * train_data_frozen_sprime. Bad records end the program (ndjson) unless
 * skip_bad. tau converts neg_cosine. */
void train_data_read(train_data *d, char **files, int nfiles, int k, int need_sprime,
                     int keep_texts, int skip_bad, const tokenizer *tk, int max_len, double tau);
void train_data_free(train_data *d);

/* A data set from token rows (tests, benchmarks): text j of example i is
 * row j*n + i of ids (k*n rows of T ids), its leading ids with mask nonzero
 * (mask NULL: all T). sprime (n, may be NULL) is copied; crc 0, no texts.
 * 0, or -1 with a message (out of memory, a row without a token). */
int train_data_from_rows(train_data *d, int k, size_t n, const int *ids, const int *mask, int T,
                         const float *sprime, char *err, size_t errlen);

/* Fill d->sprime from a frozen model directory (its own tokenizer, its
 * default pooling, no dropout): s'_i = cos(E'(anchor_i), E'(neg_i)) / tau,
 * batch rows of at most max_len tokens. Needs keep_texts. 0, or -1 with a
 * message. */
int train_data_frozen_sprime(train_data *d, const char *dir, int max_len, int batch,
                             double tau, char *err, size_t errlen);

/* Token ids of text j of example i (len in *len). */
static inline const int *train_text(const train_data *d, size_t i, int j, int *len)
{
	size_t a = d->off[i * d->k + j];
	*len = (int)(d->off[i * d->k + j + 1] - a);
	return d->tok + a;
}

/* Word repetition (ESimCSE): which ids continue a word ("##" pieces). */
typedef struct word_repeat {
	uint8_t *cont;          /* (V) 1 for a "##" piece */
	int V;
} word_repeat;
int word_repeat_init(word_repeat *w, const tokenizer *tk);
void word_repeat_free(word_repeat *w);
/* Copy ids (len, [CLS] ... [SEP]) to out with one whole word, chosen
 * uniformly with r, written twice in a row; returns the new length. When the
 * sentence has no word or the copy would pass max_len, out is the input
 * unchanged (one draw is consumed either way). out has room for max_len. */
int word_repeat_apply(const word_repeat *w, rng *r, const int *ids, int len, int *out, int max_len);

/* Batch assembly into ids/mask (rows, T): rows = 2n for k = 1 (simcse:
 * [a | a]) or 3n for k = 3 ([a | p | n]); T = the longest row; padding
 * pad_id, mask 0. idx (n) the examples; wr (may be NULL) repeats a word in
 * each anchor (the first block) with r. Returns T. ids and mask have room
 * for rows * max_len. */
int train_batch(const train_data *d, const int64_t *idx, int n, int pad_id,
                const word_repeat *wr, rng *r, int max_len, int *ids, int *mask);

/* One block of rows (masked-LM): text 0 of each example idx (n), padded to
 * the longest (returned); ids and mask have room for n * max_len. */
int train_batch_texts(const train_data *d, const int64_t *idx, int n, int pad_id, int max_len,
                      int *ids, int *mask);

/* Length buckets: reorder order (a permutation of n examples) so that each
 * run of B consecutive examples has texts of similar length (less padding,
 * the same examples per epoch): windows of window*B examples are sorted by
 * the length of their first text (ties: the order they had), cut into
 * batches of B, and the whole batches shuffled with r (a last partial batch
 * stays last). 0, or -1 when out of memory (order unchanged). */
int train_order_buckets(const train_data *d, int64_t *order, size_t n, int B, int window, rng *r);

/* STS evaluation set: records {"sentence1","sentence2","score"}. */
typedef struct sts_set {
	size_t n;
	int *tok;
	size_t *off;            /* (2n + 1) sentence1 of record i is text 2i */
	double *gold;           /* (n) */
	int maxlen;             /* longest text */
	/* workspace, allocated by the first sts_spearman */
	int *ids, *mask;
	float *emb;             /* (2n, C) */
	double *pred;           /* (n) */
	int wsB, wsC;
} sts_set;
/* Read (program-level: bad lines end the program unless skip_bad). */
void sts_read(sts_set *s, const char *path, const tokenizer *tk, int max_len, int skip_bad);
void sts_free(sts_set *s);

struct bert_ctx;
/* Spearman x 100 of cos(E(sentence1), E(sentence2)) against the gold
 * scores; E encodes with x (inference, no dropout) in batches of `batch`
 * sentences and pools as bert_pool(pooling) without normalisation. NAN
 * with a message on failure. */
double sts_spearman(sts_set *s, struct bert_ctx *x, int pooling, int batch, int pad_id,
                    char *err, size_t errlen);
#endif
