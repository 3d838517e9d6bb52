/* embedopts.c — the options of the programs that embed text. See embedopts.h. */
#include "embed/embedopts.h"

#include "base/cli.h"
#include "nn/model.h"
#include "wordvec/wordavg.h"

#include <string.h>

void embed_opts_check_vectors_only(const embed_opts *o, char *const *files, int nfiles)
{
	if (o->sif_a > 0 && !o->vectors)
		cli_usage_error("--sif and --sif-a need --vectors");
	if (!o->pc_from)
		return;
	if (!o->vectors)
		cli_usage_error("--pc-from needs --vectors");
	if (strcmp(o->pc_from, "-"))
		return;
	int stdin_input = nfiles == 0;
	for (int i = 0; i < nfiles; i++)
		stdin_input |= !strcmp(files[i], "-");
	if (stdin_input)
		cli_usage_error("--pc-from -: standard input is also the input");
}

wordavg *embed_opts_open_vectors(const embed_opts *o, const char *const *fields, int nfields,
                                 int skip_bad)
{
	char err[512];
	wordavg *w = wordavg_open(o->vectors, o->sif_a, err, sizeof err);
	if (!w)
		cli_die("%s", err);
	if (o->pc_from && wordavg_fit_pc_file(w, o->pc_from, fields, nfields, skip_bad, err, sizeof err) < 0)
		cli_die("%s", err);
	return w;
}

void embed_opts_init(embed_opts *o)
{
	memset(o, 0, sizeof *o);
	encoder_opts_init(&o->enc);
	o->enc.batch_size = 64;
}

int embed_getopt(embed_opts *o, int c, const char *arg)
{
	switch (c) {
	case EMBED_OPT_MODEL: o->model = arg; break;
	case EMBED_OPT_VECTORS: o->vectors = arg; break;
	case EMBED_OPT_SIF: o->sif_a = WORDAVG_SIF_A; break;
	case EMBED_OPT_SIF_A: o->sif_a = cli_double("--sif-a", arg, 1e-12, 1); break;
	case EMBED_OPT_PC_FROM: o->pc_from = arg; break;
	case EMBED_OPT_POOLING:
		if ((o->enc.pooling = bert_pooling_parse(arg)) < 0)
			cli_usage_error("--pooling: '%s' is not cls, pooler, mean or max", arg);
		o->model_only = 1;
		break;
	case EMBED_OPT_NORMALIZE: o->enc.normalize = 1; break;
	case EMBED_OPT_NO_NORMALIZE: o->enc.normalize = 0; break;
	case EMBED_OPT_MAX_LENGTH:
		o->enc.max_length = (int)cli_long("--max-length", arg, 2, 1 << 20);
		o->model_only = 1;
		break;
	case EMBED_OPT_BATCH_SIZE:
		o->enc.batch_size = (int)cli_long("--batch-size", arg, 1, 1 << 16);
		o->model_only = 1;
		break;
	default: return 0;
	}
	return 1;
}
