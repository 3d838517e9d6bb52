/* textembed.h — the text embedder of the programs that embed text (embed,
 * stsscore): a model directory's encoder (-m) or a word average (--vectors),
 * opened from their options and run on a batch of texts. Errors end the
 * process with the programs' messages (exit 1).
 *
 *   text_embedder t;
 *   text_embedder_open(&t, &eo, model_dir, fields, nfields, skip_bad);
 *   text_embedder_embed(&t, texts, lens, n, out, 0, NULL, &nempty, &ntrunc);
 *   text_embedder_close(&t); */
#ifndef GCSE_TEXTEMBED_H
#define GCSE_TEXTEMBED_H
#include <stddef.h>

#include "embed/embedopts.h"

typedef struct text_embedder {
	encoder *enc;           /* -m DIR; NULL with --vectors */
	struct wordavg *wa;     /* --vectors FILE; NULL with a model */
	int dim;                /* the vectors' size */
} text_embedder;

/* --vectors when eo->vectors is set (--sif, and --pc-from fitted on the
 * fields of its records: embedopts.h), else the model in model_dir.
 * "prog: DIR: what" when the model cannot be opened. */
void text_embedder_open(text_embedder *t, const embed_opts *eo, const char *model_dir,
                        const char *const *fields, int nfields, int skip_bad);

/* n texts (lens[i] bytes each) into out (n x dim). With --vectors, each
 * vector is scaled to unit length when normalize is 1 (a model normalises
 * as its options say), *nempty grows by the texts with no known word and
 * trunc (n flags, may be NULL) is zeroed; with a model, *ntrunc grows by the
 * texts cut to its max length and trunc marks them. */
void text_embedder_embed(text_embedder *t, const char *const *texts, const size_t *lens, int n,
                         float *out, int normalize, unsigned char *trunc, long *nempty,
                         long *ntrunc);

/* The model's max length in tokens (0 with --vectors). */
int text_embedder_max_length(const text_embedder *t);

void text_embedder_close(text_embedder *t);
#endif
