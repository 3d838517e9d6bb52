/* embed — add sentence embeddings to NDJSON records, streaming. */
#include "base/cli.h"
#include "embed/textembed.h"
#include "base/ndjson.h"

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

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
	const char *fields[MAXF];
	int nfields;
	const char *output, *suffix, *mark;
	int window;
	const char *model_dir;   /* -m DIR, else $GCSE_MODEL; NULL with --vectors */
	embed_opts eo;
	cli_opts co;
} opts;

enum { O_SUFFIX = 256, O_WINDOW, O_MARK };

/* The long options (getopt_long). */
static const struct option long_opts[] = {
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

/* The options and their checks; a usage error ends the process (exit 2). */
static void parse(opts *o, int argc, char **argv)
{
	o->nfields = 0;
	o->output = NULL, o->suffix = "_embedding", o->mark = NULL;
	o->window = 2048;
	embed_opts_init(&o->eo);
	cli_opts_init(&o->co);
	cli_init("embed", help);
	int c;
	while ((c = getopt_long(argc, argv, "m:f:o:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (o->nfields == MAXF)
				cli_usage_error("at most %d --field options", MAXF);
			o->fields[o->nfields++] = optarg;
			break;
		case 'o': o->output = optarg; break;
		case O_SUFFIX: o->suffix = optarg; break;
		case O_WINDOW: o->window = (int)cli_long("--window", optarg, 1, 1 << 24); break;
		case O_MARK: o->mark = optarg ? optarg : "truncated"; o->eo.model_only = 1; break;
		default:
			if (!embed_getopt(&o->eo, c, optarg) && !cli_getopt(&o->co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	cli_set_threads(o->co.threads);
	const char *model_dir = o->eo.model, *vectors = o->eo.vectors;
	if (vectors && model_dir)
		cli_usage_error("--model and --vectors exclude each other");
	if (vectors && o->eo.model_only)
		cli_usage_error("--pooling, --max-length, --batch-size and --mark-truncated need a model, not --vectors");
	embed_opts_check_vectors_only(&o->eo, argv + optind, argc - optind);
	if (!vectors && !model_dir)
		model_dir = getenv("GCSE_MODEL");
	if (!vectors && (!model_dir || !*model_dir))
		cli_usage_error("no model: give -m DIR or --vectors FILE, or set GCSE_MODEL");
	o->model_dir = model_dir;
	if (o->nfields == 0)
		o->fields[o->nfields++] = "text";
	if (o->output && o->nfields > 1)
		cli_usage_error("--output names one vector field; with several --field use --suffix");
	if (o->mark && !*o->mark)
		cli_usage_error("--mark-truncated: empty field name");
}

/* ---- the run -------------------------------------------------------------- */

/* What the steps of main share: the embedder, a window of records with their
 * texts and vectors, the counts. */
typedef struct run {
	opts o;
	char *keys[MAXF];       /* the vector fields */
	text_embedder te;       /* a model or --vectors */
	jv *recs, *strs;
	const char **texts;
	size_t *lens;
	unsigned char *trunc;
	float *vecs;
	char *vtext;            /* the vectors' JSON text */
	size_t *vlen;
	progress pg;
	long nrec, ntexts, ntrunc, nempty;
} run;

/* The output field names and the embedder. */
static void setup(run *R)
{
	const opts *o = &R->o;
	int nfields = o->nfields;
	for (int i = 0; i < nfields; i++) {
		if (nfields == 1) {
			R->keys[i] = xstrdup(o->output ? o->output : "embedding");
		} else {
			size_t n = strlen(o->fields[i]) + strlen(o->suffix) + 1;
			R->keys[i] = xmalloc(n);
			snprintf(R->keys[i], n, "%s%s", o->fields[i], o->suffix);
		}
	}
	text_embedder_open(&R->te, &o->eo, o->model_dir, o->fields, nfields, o->co.skip_bad);
}

/* The window's buffers: --window records, their texts and vectors. */
static void alloc_window(run *R)
{
	int window = R->o.window, nfields = R->o.nfields, dim = R->te.dim;
	R->recs = xmalloc((size_t)window * sizeof *R->recs);
	R->strs = xmalloc((size_t)window * nfields * sizeof *R->strs);
	R->texts = xmalloc((size_t)window * nfields * sizeof *R->texts);
	R->lens = xmalloc((size_t)window * nfields * sizeof *R->lens);
	R->trunc = xmalloc((size_t)window * nfields);
	R->vecs = xmalloc((size_t)window * nfields * dim * sizeof *R->vecs);
	R->vtext = xmalloc((size_t)window * nfields * NDJSON_FLOATS_MAX(dim));
	R->vlen = xmalloc((size_t)window * nfields * sizeof *R->vlen);
}

/* Up to --window records with all their text fields; *done at the end of
 * the input. The number read. */
static int read_window(run *R, ndjson_reader *r, int *done)
{
	int window = R->o.window, nfields = R->o.nfields;
	int n = 0;
	jv rec;
	while (n < window) {
		if (!ndjson_next(r, &rec)) {
			*done = 1;
			break;
		}
		int ok = 1, k;
		for (k = 0; k < nfields && ok; k++)
			ok = ndjson_get_string(r, rec, R->o.fields[k], &R->strs[n * nfields + k]);
		if (!ok) {
			for (int j = 0; j < k - 1; j++)
				jv_free(R->strs[n * nfields + j]);
			jv_free(rec);
			continue;
		}
		for (k = 0; k < nfields; k++) {
			jv s = R->strs[n * nfields + k];
			R->texts[n * nfields + k] = jv_string_value(s);
			R->lens[n * nfields + k] = (size_t)jv_string_length_bytes(jv_copy(s));
		}
		R->recs[n++] = rec;
	}
	return n;
}

/* The window's n records: their texts embedded, the vectors' JSON text
 * formatted, each record written in input order. */
static void embed_window(run *R, int n)
{
	int nfields = R->o.nfields, dim = R->te.dim;
	text_embedder_embed(&R->te, R->texts, R->lens, n * nfields, R->vecs, R->o.eo.enc.normalize == 1,
	                    R->trunc, &R->nempty, &R->ntrunc);
	R->ntexts += (long)n * nfields;
	/* The vectors' JSON text, formatted by all threads at once (shortest
	 * round-trip printing is the costly part of the output), then
	 * written in input order. */
	size_t vmax = NDJSON_FLOATS_MAX(dim);
	char *vtext = R->vtext;
	size_t *vlen = R->vlen;
	const float *vecs = R->vecs;
#pragma omp parallel for schedule(dynamic, 16)
	for (int j = 0; j < n * nfields; j++)
		vlen[j] = ndjson_format_floats(vtext + (size_t)j * vmax, vecs + (size_t)j * dim, dim);
	for (int i = 0; i < n; i++) {
		const char *v[MAXF];
		int cut = 0;
		for (int k = 0; k < nfields; k++) {
			v[k] = vtext + (size_t)(i * nfields + k) * vmax;
			cut |= R->trunc[i * nfields + k];
			jv_free(R->strs[i * nfields + k]);
		}
		if (R->o.mark)
			R->recs[i] = jv_object_set(R->recs[i], jv_string(R->o.mark), cut ? jv_true() : jv_false());
		ndjson_write_vector_texts(R->recs[i], nfields, (const char *const *)R->keys, v,
		                          vlen + (size_t)i * nfields);
		progress_tick(&R->pg, ++R->nrec);
	}
}

static void run_free(run *R)
{
	text_embedder_close(&R->te);
	for (int i = 0; i < R->o.nfields; i++)
		free(R->keys[i]);
	free(R->recs);
	free(R->strs);
	free(R->texts);
	free(R->lens);
	free(R->trunc);
	free(R->vecs);
	free(R->vtext);
	free(R->vlen);
}

int main(int argc, char **argv)
{
	static run R;
	parse(&R.o, argc, argv);
	setup(&R);
	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, R.o.co.skip_bad);
	alloc_window(&R);
	progress_init(&R.pg, R.o.co.progress, "records");
	int done = 0;
	while (!done) {
		int n = read_window(&R, r, &done);
		if (n == 0)
			break;
		embed_window(&R, n);
	}
	progress_done(&R.pg);
	ndjson_close(r);
	ndjson_finish();
	if (R.ntrunc)
		cli_msg("truncated %ld of %ld texts to %d tokens", R.ntrunc, R.ntexts, text_embedder_max_length(&R.te));
	if (R.nempty)
		cli_msg("%ld of %ld texts have no word in %s (zero vector)", R.nempty, R.ntexts, R.o.eo.vectors);
	run_free(&R);
	return EXIT_OK;
}
