/* stsscore — score STS records: cosine of two embeddings (or a given
 * similarity) against the gold score; Spearman and Pearson x100 per task. */
#include "base/cli.h"
#include "embed/textembed.h"
#include "base/ndjson.h"
#include "base/stats.h"

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

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
	const char *emb1, *emb2, *simf, *scoref, *taskf, *text1, *text2;
	int pairs;
	embed_opts eo;
	cli_opts co;
} opts;

enum { O_SCORE = 256, O_TASK, O_T1, O_T2 };

/* The long options (getopt_long). */
static const struct option long_opts[] = {
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

/* The options and their checks; a usage error ends the process (exit 2). */
static void parse(opts *o, int argc, char **argv)
{
	o->emb1 = "sentence1_embedding", o->emb2 = "sentence2_embedding";
	o->simf = NULL, o->scoref = "score", o->taskf = "task";
	o->text1 = "sentence1", o->text2 = "sentence2";
	o->pairs = 0;
	int given_emb = 0, given_text = 0, given_gold = 0;
	embed_opts_init(&o->eo);
	cli_opts_init(&o->co);
	cli_init("stsscore", help);
	int c;
	while ((c = getopt_long(argc, argv, "1:2:s:m:pqhV", long_opts, NULL)) != -1) {
		switch (c) {
		case O_T1: o->text1 = optarg, given_text = 1; break;
		case O_T2: o->text2 = optarg, given_text = 1; break;
		case '1': o->emb1 = optarg, given_emb = 1; break;
		case '2': o->emb2 = optarg, given_emb = 1; break;
		case 's': o->simf = optarg; break;
		case O_SCORE: o->scoref = optarg, given_gold = 1; break;
		case O_TASK: o->taskf = optarg, given_gold = 1; break;
		case 'p': o->pairs = 1; break;
		default:
			if (!embed_getopt(&o->eo, c, optarg) && !cli_getopt(&o->co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	const char *model_dir = o->eo.model, *vectors = o->eo.vectors, *simf = o->simf;
	if (model_dir && simf)
		cli_usage_error("--model and --sim exclude each other");
	if (vectors && model_dir)
		cli_usage_error("--model and --vectors exclude each other");
	if (vectors && simf)
		cli_usage_error("--vectors and --sim exclude each other");
	if (vectors && o->eo.model_only)
		cli_usage_error("--pooling and --batch-size need --model, not --vectors");
	/* an option that would change nothing is a usage error, not ignored */
	if (!model_dir && o->eo.model_only)
		cli_usage_error("--pooling and --batch-size need --model");
	if (!model_dir && !vectors && o->co.threads >= 0)
		cli_usage_error("--threads needs --model or --vectors");
	if (!model_dir && !vectors && given_text)
		cli_usage_error("--text1 and --text2 need --model or --vectors");
	if ((model_dir || vectors || simf) && given_emb)
		cli_usage_error("--emb1 and --emb2 name embedding fields: not with --model, --vectors or --sim");
	if (o->pairs && given_gold)
		cli_usage_error("--score and --task are for the summary: not with --pairs");
	cli_set_threads(o->co.threads);
	embed_opts_check_vectors_only(&o->eo, argv + optind, argc - optind);
}

/* ---- the run -------------------------------------------------------------- */

/* What the steps of main share. */
typedef struct run {
	opts o;
	text_embedder te;       /* --model or --vectors */
	int embeds;             /* embeds: sentences are embedded here */
	long ntrunc, nempty, npairs_nonfinite, nrec;
	progress pg;
	/* Validated records wait in a window; with --model the window's sentences
	 * are embedded together (sorted by length inside the encoder). */
	int cap;
	pending *win;
	const char **tx;
	size_t *tl;
	float *vv;
} run;

/* --vectors or --model: the embedder and its dimension. */
static void open_embedder(run *R)
{
	const opts *o = &R->o;
	const char *tf[2] = { o->text1, o->text2 };
	if (o->eo.vectors || o->eo.model)
		text_embedder_open(&R->te, &o->eo, o->eo.model, tf, 2, o->co.skip_bad);
}

/* Validate record rec into p: its gold score and task (summary), and its
 * similarity (--sim, or the cosine of the two embedding fields) or its two
 * sentences (embedded later). 0: a bad record (counted by the reader). */
static int take_record(run *R, ndjson_reader *r, jv rec, pending *p)
{
	const opts *o = &R->o;
	memset(p, 0, sizeof *p);
	p->gold = 0;
	if (!o->pairs && !ndjson_get_number(r, rec, o->scoref, &p->gold))
		return 0;
	if (!o->pairs) {
		int k = ndjson_opt_string(r, rec, o->taskf, &p->task);
		if (k < 0)
			return 0;
		if (k == 0)
			p->task = jv_string("all");
	}
	if (o->simf) {
		if (!ndjson_get_number(r, rec, o->simf, &p->sim))
			return 0;
	} else if (R->embeds) {
		if (!ndjson_get_string(r, rec, o->text1, &p->s1))
			return 0;
		if (!ndjson_get_string(r, rec, o->text2, &p->s2))
			return 0;
	} else {
		float *a = NULL, *b = NULL;
		int da = 0;
		if (!ndjson_get_vector(r, rec, o->emb1, &a, &da))
			return 0;
		if (!ndjson_get_vector(r, rec, o->emb2, &b, &da)) {
			free(a);
			return 0;
		}
		p->sim = cosine_sim(a, b, da);
		free(a);
		free(b);
	}
	return 1;
}

/* The first n records of the window: their sentences embedded (--model,
 * --vectors), then each one written (--pairs) or added to its task. */
static void flush_window(run *R, int n)
{
	pending *win = R->win;
	int dim = R->te.dim;
	if (R->embeds && n) {
		for (int i = 0; i < n; i++) {
			R->tx[2 * i] = jv_string_value(win[i].s1);
			R->tx[2 * i + 1] = jv_string_value(win[i].s2);
			R->tl[2 * i] = (size_t)jv_string_length_bytes(jv_copy(win[i].s1));
			R->tl[2 * i + 1] = (size_t)jv_string_length_bytes(jv_copy(win[i].s2));
		}
		text_embedder_embed(&R->te, R->tx, R->tl, 2 * n, R->vv, 0, NULL, &R->nempty, &R->ntrunc);
		for (int i = 0; i < n; i++)
			win[i].sim = cosine_sim(R->vv + (size_t)(2 * i) * dim,
			                        R->vv + (size_t)(2 * i + 1) * dim, dim);
	}
	for (int i = 0; i < n; i++) {
		pending *p = &win[i];
		if (R->o.pairs) {
			R->npairs_nonfinite += !isfinite(p->sim);   /* written as null */
			ndjson_write(jv_object_set(p->rec, jv_string("cosine"), jv_number(p->sim)));
			p->rec = jv_invalid();
		} else {
			add(find_task(jv_string_value(p->task)), p->sim, p->gold);
		}
		pending_free(p);
		progress_tick(&R->pg, ++R->nrec);
	}
}

/* Every input record, a window at a time; then the embedders' notes. */
static void read_records(run *R, char **files, int nfiles)
{
	R->embeds = R->te.enc || R->te.wa;
	ndjson_reader *r = ndjson_open(files, nfiles, R->o.co.skip_bad);
	progress_init(&R->pg, R->o.co.progress, "records");
	R->cap = R->embeds ? 512 : 1;
	size_t cap = (size_t)R->cap;
	R->win = xcalloc(cap, sizeof *R->win);
	R->tx = R->embeds ? xmalloc(2 * cap * sizeof *R->tx) : NULL;
	R->tl = R->embeds ? xmalloc(2 * cap * sizeof *R->tl) : NULL;
	R->vv = R->embeds ? xmalloc(2 * cap * R->te.dim * sizeof *R->vv) : NULL;
	int n = 0, eof = 0;
	while (!eof) {
		jv rec;
		if (ndjson_next(r, &rec)) {
			pending *p = &R->win[n];
			if (!take_record(R, r, rec, p)) {
				pending_free(p);
				jv_free(rec);
				continue;
			}
			p->rec = rec;
			n++;
			if (n < R->cap)
				continue;
		} else {
			eof = 1;
		}
		flush_window(R, n);
		n = 0;
	}
	free(R->win);
	free(R->tx);
	free(R->tl);
	free(R->vv);
	progress_done(&R->pg);
	ndjson_close(r);
	if (R->te.enc && R->ntrunc)
		cli_msg("truncated %ld sentences to %d tokens", R->ntrunc, text_embedder_max_length(&R->te));
	if (R->te.wa && R->nempty)
		cli_msg("%ld of %ld sentences have no word in %s (zero vector)", R->nempty, 2 * R->nrec,
		        R->o.eo.vectors);
	text_embedder_close(&R->te);
}

/* The summary: one record per task and the average over tasks. 1 when a
 * task's correlation is undefined, else 0. */
static int report_tasks(void)
{
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
	return bad;
}

int main(int argc, char **argv)
{
	static run R;
	parse(&R.o, argc, argv);
	open_embedder(&R);
	read_records(&R, argv + optind, argc - optind);
	if (!R.o.pairs && report_tasks()) {
		ndjson_finish();
		return EXIT_DATA;
	}
	ndjson_finish();
	if (R.npairs_nonfinite) {
		cli_msg("%ld of %ld cosines are not finite, written as null (embeddings holding a NaN or "
		        "an infinity)", R.npairs_nonfinite, R.nrec);
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
