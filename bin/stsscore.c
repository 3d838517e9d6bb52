/* stsscore — score STS records: cosine of two embeddings (or a given
 * similarity) against the gold score; Spearman and Pearson x100 per task. */
#include "base/cli.h"
#include "embed/embedopts.h"
#include "nn/encoder.h"
#include "base/ndjson.h"
#include "base/stats.h"
#include "wordvec/wordavg.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: stsscore [options] [file ...]\n"
"\n"
"Read STS records {\"sentence1\",\"sentence2\",\"score\",\"task\"?} as NDJSON (files,\n"
"gzip files, or standard input when none or '-') that carry the two sentence\n"
"embeddings, or a precomputed similarity; print one summary record per task\n"
"{\"task\",\"n\",\"spearman\",\"pearson\"} (x100, in first-seen order) and then\n"
"{\"task\":\"avg\",...}: the plain mean over tasks (SimCSE's table convention).\n"
"Records without a task field belong to the task \"all\".\n"
"\n"
"options:\n"
"  -1, --emb1 FIELD      first embedding field (default sentence1_embedding)\n"
"  -2, --emb2 FIELD      second embedding field (default sentence2_embedding)\n"
"  -s, --sim FIELD       use this precomputed similarity field instead of\n"
"                        embeddings\n"
"  -m, --model DIR       embed sentence1 and sentence2 with this model (a\n"
"                        Hugging Face BERT directory; see embed(1)) instead\n"
"                        of reading embeddings\n"
"      --vectors FILE    embed sentence1 and sentence2 as the average of their\n"
"                        word vectors from FILE (GloVe or word2vec text, gzip\n"
"                        ok; see embed(1)) instead of reading embeddings\n"
"      --sif             with --vectors: SIF weights a/(a+p(w)), p(w) from\n"
"                        the word's rank in FILE by Zipf's law, a = 1e-3\n"
"      --sif-a A         --sif with this a (0 < A <= 1)\n"
"      --pc-from FILE    with --vectors: remove the common component (first\n"
"                        principal direction, uncentred) of the vectors of\n"
"                        FILE's --text1 and --text2 sentences: SIF's last\n"
"                        step (give the input file itself for the usual\n"
"                        evaluation)\n"
"      --pooling P       with --model: cls, pooler, mean or max (default:\n"
"                        the model directory's, else cls)\n"
"      --batch-size N    with --model: sentences per forward pass (default 64)\n"
"      --threads N       with --model or --vectors: threads (default: all\n"
"                        cores)\n"
"      --text1 FIELD     with --model or --vectors: first sentence field\n"
"                        (default sentence1)\n"
"      --text2 FIELD     with --model or --vectors: second sentence field\n"
"                        (default sentence2)\n"
"      --score FIELD     gold score field (default score)\n"
"      --task FIELD      task field (default task)\n"
"  -p, --pairs           pass every record through with the similarity added\n"
"                        as \"cosine\" instead of printing the summary\n"
"      --skip-bad        skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet           no progress line\n"
"      --progress        progress line on stderr even when it is not a terminal\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"With --vectors, the number of sentences with no known word (scored with a\n"
"zero vector: cosine 0) is printed on stderr. An option that does not apply\n"
"(--pooling without --model, --score with --pairs, ...) is a usage error.\n"
"A similarity that is not finite (a NaN or infinite embedding) makes the\n"
"task's correlations null and the exit status 1.\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

typedef struct task {
	char *name;
	double *pred, *gold;
	size_t n, cap;
} task;

static task *tasks;
static int ntasks;

static task *find_task(const char *name)
{
	for (int i = 0; i < ntasks; i++)
		if (!strcmp(tasks[i].name, name))
			return &tasks[i];
	tasks = xrealloc(tasks, (size_t)(ntasks + 1) * sizeof *tasks);
	task *t = &tasks[ntasks++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	return t;
}

static void add(task *t, double pred, double gold)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->pred = xrealloc(t->pred, t->cap * sizeof *t->pred);
		t->gold = xrealloc(t->gold, t->cap * sizeof *t->gold);
	}
	t->pred[t->n] = pred;
	t->gold[t->n] = gold;
	t->n++;
}

/* A validated record waiting for its similarity. */
typedef struct pending {
	jv rec, task, s1, s2;   /* invalid when unused */
	double gold, sim;
} pending;

static void pending_free(pending *p)
{
	jv_free(p->rec);
	jv_free(p->task);
	jv_free(p->s1);
	jv_free(p->s2);
	memset(p, 0, sizeof *p);
}

static jv num_or_null(double x)
{
	return isfinite(x) ? jv_number(x) : jv_null();
}

int main(int argc, char **argv)
{
	const char *emb1 = "sentence1_embedding", *emb2 = "sentence2_embedding";
	const char *simf = NULL, *scoref = "score", *taskf = "task";
	const char *text1 = "sentence1", *text2 = "sentence2";
	int pairs = 0, given_emb = 0, given_text = 0, given_gold = 0;
	embed_opts eo;
	embed_opts_init(&eo);
	cli_opts co;
	cli_opts_init(&co);
	enum { O_SCORE = 256, O_TASK, O_T1, O_T2 };
	static const struct option opts[] = {
		{"emb1", required_argument, 0, '1'},
		{"emb2", required_argument, 0, '2'},
		{"sim", required_argument, 0, 's'},
		EMBED_LONG_MODEL,
		EMBED_LONG_VECTORS,
		EMBED_LONG_POOLING,
		EMBED_LONG_BATCH_SIZE,
		CLI_LONG_THREADS,
		{"text1", required_argument, 0, O_T1},
		{"text2", required_argument, 0, O_T2},
		{"score", required_argument, 0, O_SCORE},
		{"task", required_argument, 0, O_TASK},
		{"pairs", no_argument, 0, 'p'},
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init("stsscore", help);
	int c;
	while ((c = getopt_long(argc, argv, "1:2:s:m:pqhV", opts, NULL)) != -1) {
		switch (c) {
		case O_T1: text1 = optarg, given_text = 1; break;
		case O_T2: text2 = optarg, given_text = 1; break;
		case '1': emb1 = optarg, given_emb = 1; break;
		case '2': emb2 = optarg, given_emb = 1; break;
		case 's': simf = optarg; break;
		case O_SCORE: scoref = optarg, given_gold = 1; break;
		case O_TASK: taskf = optarg, given_gold = 1; break;
		case 'p': pairs = 1; break;
		default:
			if (!embed_getopt(&eo, c, optarg) && !cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	const char *model_dir = eo.model, *vectors = eo.vectors;
	if (model_dir && simf)
		cli_usage_error("--model and --sim exclude each other");
	if (vectors && model_dir)
		cli_usage_error("--model and --vectors exclude each other");
	if (vectors && simf)
		cli_usage_error("--vectors and --sim exclude each other");
	if (vectors && eo.model_only)
		cli_usage_error("--pooling and --batch-size need --model, not --vectors");
	/* an option that would change nothing is a usage error, not ignored */
	if (!model_dir && eo.model_only)
		cli_usage_error("--pooling and --batch-size need --model");
	if (!model_dir && !vectors && co.threads >= 0)
		cli_usage_error("--threads needs --model or --vectors");
	if (!model_dir && !vectors && given_text)
		cli_usage_error("--text1 and --text2 need --model or --vectors");
	if ((model_dir || vectors || simf) && given_emb)
		cli_usage_error("--emb1 and --emb2 name embedding fields: not with --model, --vectors or --sim");
	if (pairs && given_gold)
		cli_usage_error("--score and --task are for the summary: not with --pairs");
	cli_set_threads(co.threads);
	embed_opts_check_vectors_only(&eo, argv + optind, argc - optind);
	encoder *enc = NULL;
	wordavg *wa = NULL;
	int dim = 0;
	char err[512];
	if (vectors) {
		const char *tf[2] = { text1, text2 };
		wa = embed_opts_open_vectors(&eo, tf, 2, co.skip_bad);
		dim = wordavg_dim(wa);
	} else if (model_dir) {
		if (!(enc = encoder_open(model_dir, &eo.enc, err, sizeof err)))
			cli_die("%s: %s", model_dir, err);
		dim = encoder_dim(enc);
	}
	long ntrunc = 0, nempty = 0, npairs_nonfinite = 0;
	int embeds = enc || wa;   /* sentences are embedded here */
	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, co.skip_bad);
	progress pg;
	progress_init(&pg, co.progress, "records");
	long nrec = 0;
	jv rec;
	/* Validated records wait in a window; with --model the window's sentences
	 * are embedded together (sorted by length inside the encoder). */
	int cap = embeds ? 512 : 1, n = 0, eof = 0;
	pending *win = xcalloc((size_t)cap, sizeof *win);
	const char **tx = embeds ? xmalloc(2 * (size_t)cap * sizeof *tx) : NULL;
	size_t *tl = embeds ? xmalloc(2 * (size_t)cap * sizeof *tl) : NULL;
	float *vv = embeds ? xmalloc(2 * (size_t)cap * dim * sizeof *vv) : NULL;
	while (!eof) {
		if (!ndjson_next(r, &rec)) {
			eof = 1;
		} else {
			pending *p = &win[n];
			memset(p, 0, sizeof *p);
			p->gold = 0;
			if (!pairs && !ndjson_get_number(r, rec, scoref, &p->gold))
				goto bad;
			if (!pairs) {
				int k = ndjson_opt_string(r, rec, taskf, &p->task);
				if (k < 0)
					goto bad;
				if (k == 0)
					p->task = jv_string("all");
			}
			if (simf) {
				if (!ndjson_get_number(r, rec, simf, &p->sim))
					goto bad;
			} else if (embeds) {
				if (!ndjson_get_string(r, rec, text1, &p->s1))
					goto bad;
				if (!ndjson_get_string(r, rec, text2, &p->s2))
					goto bad;
			} else {
				float *a = NULL, *b = NULL;
				int da = 0;
				if (!ndjson_get_vector(r, rec, emb1, &a, &da))
					goto bad;
				if (!ndjson_get_vector(r, rec, emb2, &b, &da)) {
					free(a);
					goto bad;
				}
				p->sim = cosine_sim(a, b, da);
				free(a);
				free(b);
			}
			p->rec = rec;
			n++;
			if (n < cap)
				continue;
			goto flush;
		bad:
			pending_free(p);
			jv_free(rec);
			continue;
		}
	flush:
		if (embeds && n) {
			for (int i = 0; i < n; i++) {
				tx[2 * i] = jv_string_value(win[i].s1);
				tx[2 * i + 1] = jv_string_value(win[i].s2);
				tl[2 * i] = (size_t)jv_string_length_bytes(jv_copy(win[i].s1));
				tl[2 * i + 1] = (size_t)jv_string_length_bytes(jv_copy(win[i].s2));
			}
			int nt = 0;
			if (wa) {
				if (wordavg_embed_many(wa, tx, tl, 2 * n, vv, 0, &nt))
					cli_die("out of memory");
				nempty += nt;
			} else {
				if (encoder_embed(enc, tx, tl, 2 * n, vv, &nt, NULL, err, sizeof err))
					cli_die("%s", err);
				ntrunc += nt;
			}
			for (int i = 0; i < n; i++)
				win[i].sim = cosine_sim(vv + (size_t)(2 * i) * dim,
				                        vv + (size_t)(2 * i + 1) * dim, dim);
		}
		for (int i = 0; i < n; i++) {
			pending *p = &win[i];
			if (pairs) {
				npairs_nonfinite += !isfinite(p->sim);   /* written as null */
				ndjson_write(jv_object_set(p->rec, jv_string("cosine"), jv_number(p->sim)));
				p->rec = jv_invalid();
			} else {
				add(find_task(jv_string_value(p->task)), p->sim, p->gold);
			}
			pending_free(p);
			progress_tick(&pg, ++nrec);
		}
		n = 0;
	}
	free(win);
	free(tx);
	free(tl);
	free(vv);
	progress_done(&pg);
	ndjson_close(r);
	if (enc) {
		if (ntrunc)
			cli_msg("truncated %ld sentences to %d tokens", ntrunc, encoder_max_length(enc));
		encoder_free(enc);
	}
	if (wa) {
		if (nempty)
			cli_msg("%ld of %ld sentences have no word in %s (zero vector)", nempty, 2 * nrec,
			        vectors);
		wordavg_free(wa);
	}
	if (!pairs) {
		double ssum = 0, psum = 0;
		size_t ntot = 0;
		int bad = 0;
		for (int i = 0; i < ntasks; i++) {
			task *t = &tasks[i];
			double s = 100 * spearman(t->pred, t->gold, t->n);
			double p = 100 * pearson(t->pred, t->gold, t->n);
			size_t nonfinite = 0;
			for (size_t k = 0; k < t->n; k++)
				nonfinite += !isfinite(t->pred[k]);
			if (nonfinite) {   /* both correlations are null then */
				cli_msg("task \"%s\": correlation undefined: %zu of %zu similarities are not finite "
				        "(embeddings holding a NaN or an infinity)", t->name, nonfinite, t->n);
				bad = 1;
			} else if (!isfinite(s) || !isfinite(p)) {
				cli_msg("task \"%s\": correlation undefined (%zu pairs, or constant scores)",
				        t->name, t->n);
				bad = 1;
			}
			ssum += s;
			psum += p;
			ntot += t->n;
			jv o = jv_object();
			o = jv_object_set(o, jv_string("task"), jv_string(t->name));
			o = jv_object_set(o, jv_string("n"), jv_number((double)t->n));
			o = jv_object_set(o, jv_string("spearman"), num_or_null(s));
			o = jv_object_set(o, jv_string("pearson"), num_or_null(p));
			ndjson_write(o);
		}
		if (ntasks == 0)
			cli_die("no records to score");
		jv o = jv_object();
		o = jv_object_set(o, jv_string("task"), jv_string("avg"));
		o = jv_object_set(o, jv_string("n"), jv_number((double)ntot));
		o = jv_object_set(o, jv_string("spearman"), num_or_null(ssum / ntasks));
		o = jv_object_set(o, jv_string("pearson"), num_or_null(psum / ntasks));
		ndjson_write(o);
		if (bad) {
			ndjson_finish();
			return EXIT_DATA;
		}
	}
	ndjson_finish();
	if (npairs_nonfinite) {
		cli_msg("%ld of %ld cosines are not finite, written as null (embeddings holding a NaN or "
		        "an infinity)", npairs_nonfinite, nrec);
		return EXIT_DATA;
	}
	for (int i = 0; i < ntasks; i++) {
		free(tasks[i].name);
		free(tasks[i].pred);
		free(tasks[i].gold);
	}
	free(tasks);
	return EXIT_OK;
}
