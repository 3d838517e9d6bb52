/* textembed.c — a model's encoder or a word average, one text embedder
 * for embed and stsscore (textembed.h). */
#include <string.h>

#include "base/cli.h"
#include "embed/textembed.h"
#include "wordvec/wordavg.h"

void text_embedder_open(text_embedder *t, const embed_opts *eo, const char *model_dir,
                        const char *const *fields, int nfields, int skip_bad)
{
	memset(t, 0, sizeof *t);
	if (eo->vectors) {
		t->wa = embed_opts_open_vectors(eo, fields, nfields, skip_bad);
		t->dim = wordavg_dim(t->wa);
	} else {
		char err[512];
		if (!(t->enc = encoder_open(model_dir, &eo->enc, err, sizeof err)))
			cli_die("%s: %s", model_dir, err);
		t->dim = encoder_dim(t->enc);
	}
}

void text_embedder_embed(text_embedder *t, const char *const *texts, const size_t *lens, int n,
                         float *out, int normalize, unsigned char *trunc, long *nempty,
                         long *ntrunc)
{
	int nt = 0;
	if (t->wa) {
		if (wordavg_embed_many(t->wa, texts, lens, n, out, normalize, &nt))
			cli_die("out of memory");
		*nempty += nt;
		if (trunc)
			memset(trunc, 0, (size_t)n);
	} else {
		char err[512];
		if (encoder_embed(t->enc, texts, lens, n, out, &nt, trunc, err, sizeof err))
			cli_die("%s", err);
		*ntrunc += nt;
	}
}

int text_embedder_max_length(const text_embedder *t)
{
	return t->enc ? encoder_max_length(t->enc) : 0;
}

void text_embedder_close(text_embedder *t)
{
	if (t->enc)
		encoder_free(t->enc);
	wordavg_free(t->wa);
	memset(t, 0, sizeof *t);
}
