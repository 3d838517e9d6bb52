/* encoder.h — text in, sentence vector out: tokenizer + BERT + pooling.
 *
 *   encoder_opts o;
 *   encoder_opts_init(&o);                  // batch 32, directory defaults
 *   encoder *e = encoder_open("models/simcse", &o, err, sizeof err);
 *   float *v = malloc(n * encoder_dim(e) * sizeof *v);
 *   int ntrunc;
 *   if (encoder_embed(e, texts, NULL, n, v, &ntrunc, NULL, err, sizeof err))
 *           ... err ...
 *
 * encoder_embed tokenises every text, sorts them by length, runs batches of
 * opts.batch_size sequences each padded only to its longest, and writes the
 * vectors in input order. A text's vector is the same bits whatever the
 * batch size, the other texts and the thread count (see bert.h). Texts
 * longer than max_length tokens are cut, and counted. Threads are the
 * program's (cli_set_threads). An encoder is not safe to use from two
 * threads at once. */
#ifndef GCSE_ENCODER_H
#define GCSE_ENCODER_H
#include <stddef.h>

#include "nn/model.h"
#include "nn/tokenizer.h"

typedef struct encoder_opts {
	int batch_size;         /* sequences per forward pass (>= 1) */
	int max_length;         /* tokens per text, [CLS] and [SEP] included;
	                         * 0: the model's (tokenizer model_max_length
	                         * when smaller than the position table) */
	int pooling;            /* enum bert_pooling, or -1: the directory's default */
	int normalize;          /* 1 or 0, or -1: the directory's default */
} encoder_opts;

typedef struct encoder encoder;

/* batch_size 32, max_length 0, pooling -1, normalize -1. */
void encoder_opts_init(encoder_opts *o);

/* Load the tokenizer and the model of a Hugging Face directory. NULL with a
 * message (bad directory, bad options, a default pooling the directory asks
 * for but that is not supported, pooler pooling without pooler weights). */
encoder *encoder_open(const char *dir, const encoder_opts *o, char *err, size_t errlen);
void encoder_free(encoder *e);

/* Embed n texts (lens[i] bytes each; lens NULL: NUL-terminated) into out
 * (n x encoder_dim). *ntruncated_out (may be NULL): how many texts were cut
 * to max_length; trunc_flags (n, may be NULL): 1 for each cut text.
 * 0 on success, -1 with a message in err. */
int encoder_embed(encoder *e, const char *const *texts, const size_t *lens, int n, float *out,
                  int *ntruncated_out, unsigned char *trunc_flags, char *err, size_t errlen);
/* The same from token ids ([CLS] ... [SEP] already added): seqs[i] has
 * seq_lens[i] ids (1 .. max_length). */
int encoder_embed_ids(encoder *e, const int *const *seqs, const int *seq_lens, int n, float *out,
                      char *err, size_t errlen);

int encoder_dim(const encoder *e);              /* hidden size */
int encoder_max_length(const encoder *e);
int encoder_pooling(const encoder *e);          /* the pooling in use */
int encoder_normalize(const encoder *e);
const bert_model *encoder_model(const encoder *e);
const tokenizer *encoder_tokenizer(const encoder *e);
#endif
