/* embed — add sentence embeddings to NDJSON records, streaming. */
#include "base/cli.h"
#include "embed/embedopts.h"
#include "nn/encoder.h"
#include "nn/model.h"
#include "base/ndjson.h"
#include "wordvec/wordavg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: embed -m DIR [options] [file ...]\n"
"       embed --vectors FILE [--sif | --sif-a A] [options] [file ...]\n"
"\n"
"Read records as NDJSON (files, gzip files, or standard input when none or\n"
"'-'), embed the text of each record with the BERT model in DIR (a Hugging\n"
"Face directory: config.json, model.safetensors, vocab.txt or\n"
"tokenizer.json), or as the average of its word vectors, and write each\n"
"record back, in input order, with the vector added. Other fields pass\n"
"through unchanged.\n"
"\n"
"options:\n"
"  -m, --model DIR         model directory (default: $GCSE_MODEL)\n"
"      --vectors FILE      instead of a model: average the vectors of the\n"
"                          text's words (uncased BERT basic tokenizer words)\n"
"                          from FILE (GloVe or word2vec text, gzip ok);\n"
"                          texts with no known word get zeros (counted)\n"
"      --sif               with --vectors: SIF weights a/(a+p(w)), p(w) from\n"
"                          the word's rank in FILE by Zipf's law, a = 1e-3\n"
"      --sif-a A           --sif with this a (0 < A <= 1)\n"
"      --pc-from FILE      with --vectors: remove the common component (the\n"
"                          first principal direction, uncentred) of the\n"
"                          vectors of FILE's texts (the same --field\n"
"                          fields; NDJSON, gzip ok) from every vector: SIF's\n"
"                          last step\n"
"  -f, --field FIELD       text field to embed (default text); repeat for\n"
"                          several fields, each then gets FIELD_embedding\n"
"  -o, --output FIELD      name of the vector field when one field is\n"
"                          embedded (default embedding)\n"
"      --suffix S          with several fields, the vector of FIELD goes to\n"
"                          FIELD S (default _embedding)\n"
"      --pooling P         cls, pooler, mean or max (default: what the model\n"
"                          directory says, else cls)\n"
"      --normalize         scale vectors to unit length\n"
"      --no-normalize      do not, even if the model directory says so\n"
"      --max-length N      tokens per text, [CLS] and [SEP] included (default:\n"
"                          the model's maximum, at most 512)\n"
"      --batch-size N      texts per forward pass (default 64)\n"
"      --window N          records read, sorted by length and embedded at a\n"
"                          time; bounds memory (default 2048)\n"
"      --mark-truncated[=FIELD]  add FIELD (default truncated): true to records\n"
"                          whose text was cut at the maximum length\n"
"      --threads N         threads (default: all cores)\n"
"      --skip-bad          skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet             no progress line\n"
"      --progress          progress line even when stderr is not a terminal\n"
"  -h, --help              this help\n"
"  -V, --version           version\n"
"\n"
"Truncation is never silent: the number of texts cut is printed on stderr.\n"
"--pooling, --max-length, --batch-size and --mark-truncated need a model.\n"
"The output does not depend on --batch-size, --window or --threads.\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

#define MAXF 16

int main(int argc, char **argv)
{
	const char *fields[MAXF];
	int nfields = 0;
	const char *output = NULL, *suffix = "_embedding", *mark = NULL;
	int window = 2048;
	embed_opts eo;
	embed_opts_init(&eo);
	cli_opts co;
	cli_opts_init(&co);
	enum { O_SUFFIX = 256, O_WINDOW, O_MARK };
	static const struct option opts[] = {
		EMBED_LONG_MODEL,
		EMBED_LONG_VECTORS,
		{"field", required_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'},
		{"suffix", required_argument, 0, O_SUFFIX},
		EMBED_LONG_POOLING,
		EMBED_LONG_NORMALIZE,
		EMBED_LONG_MAX_LENGTH,
		EMBED_LONG_BATCH_SIZE,
		{"window", required_argument, 0, O_WINDOW},
		{"mark-truncated", optional_argument, 0, O_MARK},
		CLI_LONG_THREADS,
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init("embed", help);
	int c;
	while ((c = getopt_long(argc, argv, "m:f:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (nfields == MAXF)
				cli_usage_error("at most %d --field options", MAXF);
			fields[nfields++] = optarg;
			break;
		case 'o': output = optarg; break;
		case O_SUFFIX: suffix = optarg; break;
		case O_WINDOW: window = (int)cli_long("--window", optarg, 1, 1 << 24); break;
		case O_MARK: mark = optarg ? optarg : "truncated"; eo.model_only = 1; break;
		default:
			if (!embed_getopt(&eo, c, optarg) && !cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	cli_set_threads(co.threads);
	const char *model_dir = eo.model, *vectors = eo.vectors;
	if (vectors && model_dir)
		cli_usage_error("--model and --vectors exclude each other");
	if (vectors && eo.model_only)
		cli_usage_error("--pooling, --max-length, --batch-size and --mark-truncated need a model, not --vectors");
	embed_opts_check_vectors_only(&eo, argv + optind, argc - optind);
	if (!vectors && !model_dir)
		model_dir = getenv("GCSE_MODEL");
	if (!vectors && (!model_dir || !*model_dir))
		cli_usage_error("no model: give -m DIR or --vectors FILE, or set GCSE_MODEL");
	if (nfields == 0)
		fields[nfields++] = "text";
	if (output && nfields > 1)
		cli_usage_error("--output names one vector field; with several --field use --suffix");
	if (mark && !*mark)
		cli_usage_error("--mark-truncated: empty field name");

	/* Output field names. */
	char *keys[MAXF];
	for (int i = 0; i < nfields; i++) {
		if (nfields == 1) {
			keys[i] = xstrdup(output ? output : "embedding");
		} else {
			size_t n = strlen(fields[i]) + strlen(suffix) + 1;
			keys[i] = xmalloc(n);
			snprintf(keys[i], n, "%s%s", fields[i], suffix);
		}
	}

	char err[512];
	encoder *e = NULL;
	wordavg *wa = NULL;
	int dim;
	if (vectors) {
		wa = embed_opts_open_vectors(&eo, fields, nfields, co.skip_bad);
		dim = wordavg_dim(wa);
	} else {
		if (!(e = encoder_open(model_dir, &eo.enc, err, sizeof err)))
			cli_die("%s: %s", model_dir, err);
		dim = encoder_dim(e);
	}

	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, co.skip_bad);
	jv *recs = xmalloc((size_t)window * sizeof *recs);
	jv *strs = xmalloc((size_t)window * nfields * sizeof *strs);
	const char **texts = xmalloc((size_t)window * nfields * sizeof *texts);
	size_t *lens = xmalloc((size_t)window * nfields * sizeof *lens);
	unsigned char *trunc = xmalloc((size_t)window * nfields);
	float *vecs = xmalloc((size_t)window * nfields * dim * sizeof *vecs);
	char *vtext = xmalloc((size_t)window * nfields * NDJSON_FLOATS_MAX(dim));
	size_t *vlen = xmalloc((size_t)window * nfields * sizeof *vlen);
	progress pg;
	progress_init(&pg, co.progress, "records");
	long nrec = 0, ntexts = 0, ntrunc = 0, nempty = 0;
	int done = 0;
	while (!done) {
		int n = 0;
		jv rec;
		while (n < window) {
			if (!ndjson_next(r, &rec)) {
				done = 1;
				break;
			}
			int ok = 1, k;
			for (k = 0; k < nfields && ok; k++)
				ok = ndjson_get_string(r, rec, fields[k], &strs[n * nfields + k]);
			if (!ok) {
				for (int j = 0; j < k - 1; j++)
					jv_free(strs[n * nfields + j]);
				jv_free(rec);
				continue;
			}
			for (k = 0; k < nfields; k++) {
				jv s = strs[n * nfields + k];
				texts[n * nfields + k] = jv_string_value(s);
				lens[n * nfields + k] = (size_t)jv_string_length_bytes(jv_copy(s));
			}
			recs[n++] = rec;
		}
		if (n == 0)
			break;
		int nt = 0;
		if (wa) {
			if (wordavg_embed_many(wa, texts, lens, n * nfields, vecs, eo.enc.normalize == 1, &nt))
				cli_die("out of memory");
			nempty += nt;
			memset(trunc, 0, (size_t)n * nfields);
		} else {
			if (encoder_embed(e, texts, lens, n * nfields, vecs, &nt, trunc, err, sizeof err))
				cli_die("%s", err);
			ntrunc += nt;
		}
		ntexts += (long)n * nfields;
		/* The vectors' JSON text, formatted by all threads at once (shortest
		 * round-trip printing is the costly part of the output), then
		 * written in input order. */
		size_t vmax = NDJSON_FLOATS_MAX(dim);
#pragma omp parallel for schedule(dynamic, 16)
		for (int j = 0; j < n * nfields; j++)
			vlen[j] = ndjson_format_floats(vtext + (size_t)j * vmax, vecs + (size_t)j * dim, dim);
		for (int i = 0; i < n; i++) {
			const char *v[MAXF];
			int cut = 0;
			for (int k = 0; k < nfields; k++) {
				v[k] = vtext + (size_t)(i * nfields + k) * vmax;
				cut |= trunc[i * nfields + k];
				jv_free(strs[i * nfields + k]);
			}
			if (mark)
				recs[i] = jv_object_set(recs[i], jv_string(mark), cut ? jv_true() : jv_false());
			ndjson_write_vector_texts(recs[i], nfields, (const char *const *)keys, v,
			                          vlen + (size_t)i * nfields);
			progress_tick(&pg, ++nrec);
		}
	}
	progress_done(&pg);
	ndjson_close(r);
	ndjson_finish();
	if (ntrunc)
		cli_msg("truncated %ld of %ld texts to %d tokens", ntrunc, ntexts, encoder_max_length(e));
	if (nempty)
		cli_msg("%ld of %ld texts have no word in %s (zero vector)", nempty, ntexts, vectors);
	if (e)
		encoder_free(e);
	wordavg_free(wa);
	for (int i = 0; i < nfields; i++)
		free(keys[i]);
	free(recs);
	free(strs);
	free(texts);
	free(lens);
	free(trunc);
	free(vecs);
	free(vtext);
	free(vlen);
	return EXIT_OK;
}
