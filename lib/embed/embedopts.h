/* lib/embed/: what the embedding programs share on top of nn/ and wordvec/
 * (their options, textembed.h's text embedder); option parsing ends the
 * process on usage errors, opening and embedding on data errors.
 *
 * embedopts.h — the options of the programs that embed text (embed,
 * stsscore, kgfilter): where the vectors come from (-m/--model DIR, or
 * --vectors FILE with --sif/--sif-a/--pc-from) and how the model runs (--pooling,
 * --normalize/--no-normalize, --max-length, --batch-size). Declared once
 * here; each program splices the entries it has into its getopt_long table,
 * in its own order, and keeps its own --help text and its own checks of
 * how they combine (cli.h's pattern):
 *
 *   embed_opts eo;
 *   embed_opts_init(&eo);                    // batch 64, directory defaults
 *   static const struct option opts[] = { EMBED_LONG_MODEL, EMBED_LONG_VECTORS,
 *       EMBED_LONG_BATCH_SIZE, CLI_LONG_OPTIONS, {0, 0, 0, 0} };
 *   while ((c = getopt_long(argc, argv, "m:qhV", opts, NULL)) != -1) switch (c) {
 *       default: if (!embed_getopt(&eo, c, optarg) && !cli_getopt(&co, c, optarg))
 *                        cli_usage_error(NULL);
 *   }
 *   if (eo.vectors && eo.model_only) cli_usage_error("...");
 *   embed_opts_check_vectors_only(&eo, argv + optind, argc - optind);
 *   encoder *e = encoder_open(eo.model, &eo.enc, err, sizeof err);
 *
 * Bad values are usage errors (exit 2) naming the option: --pooling not one
 * of cls, pooler, mean, max; --sif-a outside (0, 1]; --max-length outside
 * 2..2^20; --batch-size outside 1..65536. */
#ifndef GCSE_EMBEDOPTS_H
#define GCSE_EMBEDOPTS_H
#include <getopt.h>

#include "nn/encoder.h"

enum {
	EMBED_OPT_MODEL = 'm',
	EMBED_OPT_VECTORS = 0x4500, EMBED_OPT_SIF, EMBED_OPT_SIF_A, EMBED_OPT_POOLING,
	EMBED_OPT_NORMALIZE, EMBED_OPT_NO_NORMALIZE, EMBED_OPT_MAX_LENGTH, EMBED_OPT_BATCH_SIZE,
	EMBED_OPT_PC_FROM,
};

#define EMBED_LONG_MODEL {"model", required_argument, NULL, EMBED_OPT_MODEL}
#define EMBED_LONG_VECTORS \
	{"vectors", required_argument, NULL, EMBED_OPT_VECTORS}, \
	{"sif", no_argument, NULL, EMBED_OPT_SIF}, \
	{"sif-a", required_argument, NULL, EMBED_OPT_SIF_A}, \
	{"pc-from", required_argument, NULL, EMBED_OPT_PC_FROM}
#define EMBED_LONG_POOLING {"pooling", required_argument, NULL, EMBED_OPT_POOLING}
#define EMBED_LONG_NORMALIZE \
	{"normalize", no_argument, NULL, EMBED_OPT_NORMALIZE}, \
	{"no-normalize", no_argument, NULL, EMBED_OPT_NO_NORMALIZE}
#define EMBED_LONG_MAX_LENGTH {"max-length", required_argument, NULL, EMBED_OPT_MAX_LENGTH}
#define EMBED_LONG_BATCH_SIZE {"batch-size", required_argument, NULL, EMBED_OPT_BATCH_SIZE}

typedef struct embed_opts {
	const char *model;      /* -m DIR; NULL: not given */
	const char *vectors;    /* --vectors FILE; NULL: not given */
	double sif_a;           /* --sif: WORDAVG_SIF_A, --sif-a A: A; 0: plain average */
	const char *pc_from;    /* --pc-from FILE: remove the common component
	                         * fitted on FILE's texts; NULL: not given */
	encoder_opts enc;       /* --pooling, --normalize (1), --no-normalize (0),
	                         * --max-length, --batch-size (default 64) */
	int model_only;         /* --pooling, --max-length or --batch-size given:
	                         * options only a model takes */
} embed_opts;

void embed_opts_init(embed_opts *o);
/* Usage errors of the options that only --vectors takes: --sif or --sif-a
 * without it; --pc-from without it, or "-" (standard input) when the
 * program's input files (files, nfiles; none = standard input) read it too. */
void embed_opts_check_vectors_only(const embed_opts *o, char *const *files, int nfiles);
/* --vectors opened with its SIF weights and, with --pc-from, the common
 * component fitted on the fields of that file's records (skip_bad: its bad
 * lines too are skipped and counted). Errors exit 1 ("prog: FILE: what",
 * "prog: FILE:LINE: field ..."). */
struct wordavg;
struct wordavg *embed_opts_open_vectors(const embed_opts *o, const char *const *fields, int nfields,
                                        int skip_bad);
/* Take option c (getopt_long's return) if it is one of the above: 1, else 0. */
int embed_getopt(embed_opts *o, int c, const char *arg);
#endif
