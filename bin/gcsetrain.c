/* gcsetrain — train a BERT sentence encoder with the SimCSE, contrastive or
 * GCSE loss (METHOD.md §5) on NDJSON records; metrics as NDJSON on stdout;
 * checkpoints that a SIGKILLed run resumes from exactly; data-parallel over
 * MPI ranks (lib/train/dist.h) when started by mpirun. */
#include "nn/bert.h"
#include "nn/bertconfig.h"
#include "train/checkpoint.h"
#include "base/cli.h"
#include "base/gemm.h"
#include "train/dist.h"
#include "train/loss.h"
#include "nn/model.h"
#include "base/ndjson.h"
#include "train/optim.h"
#include "base/rng.h"
#include "nn/tokenizer.h"
#include "train/train.h"
#include "train/traindata.h"
#include "wordvec/vectors.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char help[] =
"usage: gcsetrain --out DIR (--init DIR | --config FILE VOCAB | --resume DIR) [options] [file ...]\n"
"\n"
"Train a BERT sentence encoder on NDJSON records (files, gzip files, or\n"
"standard input when none or '-'), read whole, shuffled every epoch:\n"
"  --loss simcse        {\"text\"}: each sentence twice with different dropout,\n"
"                       in-batch negatives (unsupervised SimCSE)\n"
"  --loss contrastive   {\"text1\",\"text2\",\"neg\"}: anchor, positive, hard negative\n"
"  --loss gcse          the same triples with the hard negative's logit decayed\n"
"                       by the Gaussian gate; needs the frozen model's logit\n"
"                       s' = cos/tau per triple: \"neg_logit\" (logit units, as\n"
"                       kgfilter writes it) or \"neg_cosine\" (divided by tau),\n"
"                       or --frozen DIR to compute it (no dropout)\n"
"Prints one metrics record per logging step on stdout: {\"step\",\"epoch\",\"loss\",\n"
"\"lr\",\"examples_per_s\"} plus \"gate\" (gcse: mean G) and \"eval_spearman\"\n"
"(x100) when evaluated. Writes the encoder to --out as a Hugging Face\n"
"directory (config.json, model.safetensors, vocab.txt, tokenizer_config.json)\n"
"and the training-only MLP head apart, as DIR/mlp_head.safetensors.\n"
"\n"
"model (one of):\n"
"      --init DIR            start from a Hugging Face BERT directory\n"
"      --config FILE         a fresh model (BERT init) with this config.json;\n"
"                            vocab_size and pad_token_id follow the vocabulary:\n"
"      --vocab FILE          vocab.txt, one token per line\n"
"      --vocab-from-vectors FILE  build the vocabulary from a word-vector file:\n"
"                            its most frequent words as whole-word tokens, every\n"
"                            character seen (alone and as ##c), the specials\n"
"      --vocab-from-words FILE  the same from a word list, most frequent first,\n"
"                            one word per line (more fields ignored; gzip ok)\n"
"      --vocab-size N        whole words to take (default 30000)\n"
"      --cased               a cased vocabulary (default: lowercase, uncased)\n"
"      --init-vectors FILE   initialise the embeddings of whole-word tokens from\n"
"                            word vectors (GloVe or word2vec text, gzip allowed;\n"
"                            a random projection when the sizes differ)\n"
"      --vectors-rms X       scale those rows to root mean square X (default 0:\n"
"                            the vectors' own scale)\n"
"      --resume DIR          continue the run whose checkpoint is in DIR (the\n"
"                            model options are then ignored; the others must\n"
"                            match the interrupted run)\n"
"\n"
"loss:\n"
"      --loss NAME           simcse (default), contrastive or gcse\n"
"      --temperature T       tau: logits are cosine / tau (default 0.05)\n"
"      --sigma S             gcse: Gaussian width in logit units (default 0.17)\n"
"      --gate MODE           gcse: one-sided (default: decay only when the model\n"
"                            rates the negative at most as close as the frozen\n"
"                            model does) or symmetric (both signs)\n"
"      --gate-on SPACE       gcse: where d = s - s' is read: head (default: s is\n"
"                            the training logit of h = MLP(CLS), as METHOD.md)\n"
"                            or cls (s from the [CLS] cosine, the space in which\n"
"                            s' is measured; the logit itself stays h's)\n"
"      --frozen DIR          gcse: compute s' with this frozen model (its\n"
"                            tokenizer, [CLS] cosine as kgfilter, no dropout)\n"
"                            instead\n"
"                            of reading it from the records\n"
"      --word-repeat         repeat one random word of each anchor (ESimCSE)\n"
"\n"
"training (defaults: simcse | contrastive, gcse, as METHOD.md):\n"
"  -o, --out DIR             where the model goes (required); with --eval the\n"
"                            best one, else the last\n"
"      --epochs N            passes over the data (1 | 2)\n"
"  -b, --batch-size N        examples per step (64 | 128)\n"
"      --lr X                peak learning rate (3e-5 | 1e-5)\n"
"      --max-length N        tokens per text, [CLS] and [SEP] included (32 | 64,\n"
"                            or the model's maximum when smaller)\n"
"      --warmup N            linear warm-up steps, then linear decay (0 | 190)\n"
"      --max-steps N         stop after N steps (default 0: the epochs)\n"
"      --weight-decay X      (default 0); not on biases and LayerNorm weights\n"
"      --adamw               decoupled weight decay (AdamW) instead of L2 (Adam)\n"
"      --grad-clip X         clip the gradient norm at X (default 1, as the\n"
"                            transformers Trainer; 0: off)\n"
"      --dropout P           hidden and attention dropout (default: config.json)\n"
"      --hidden-dropout P    hidden dropout only\n"
"      --attention-dropout P attention-probability dropout only\n"
"      --seed N              shuffling, dropout, word repetition, fresh weights\n"
"                            (default 42)\n"
"      --no-shuffle          keep the input order\n"
"      --log-every N         a metrics record every N steps, its loss the mean\n"
"                            since the previous record (default 1)\n"
"      --eval FILE           STS records {\"sentence1\",\"sentence2\",\"score\"}:\n"
"                            Spearman of the [CLS] cosines, and the best model\n"
"      --eval-every N        evaluate every N steps and at the end (default 125)\n"
"      --save-every N        checkpoint every N steps (default 0: never)\n"
"      --checkpoint-dir DIR  where checkpoints go (default OUT/checkpoint)\n"
"      --threads N           threads (default: all cores; results do not depend\n"
"                            on it)\n"
"      --skip-bad            skip bad input lines (counted) instead of failing\n"
"  -q, --quiet               no progress line\n"
"      --progress            progress line on stderr even when not a terminal\n"
"  -h, --help                this help\n"
"  -V, --version             version, and whether MPI is built in\n"
"\n"
"Under mpirun -np N (a build with MPI) N ranks train one model data-parallel:\n"
"--batch-size is the global batch, each rank encodes its share, the pooled\n"
"vectors are gathered so in-batch negatives span the whole batch, gradients\n"
"are summed before the step. Rank 0 alone reads the input and writes.\n"
"\n"
"Exit status: 0 ok, 1 bad input, runtime error or a non-finite loss, 2 usage error.\n";

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
	const char *init, *config, *vocab, *vocab_vec, *vocab_words, *init_vec, *resume, *frozen, *out;
	const char *ckdir, *eval;
	int vocab_size, cased;
	double vectors_rms;
	int loss, symmetric, gate_cls, word_repeat;
	double tau, sigma;
	long epochs, batch, max_len, warmup, max_steps, log_every, eval_every, save_every;
	double lr, wd, clip, hdrop, adrop;
	int adamw, shuffle, max_len_given;
	uint64_t seed;
	int skip_bad, prog_mode;
} opts;

/* ---- small helpers -------------------------------------------------------- */

static char err[1024];

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0777) && errno != EEXIST)
				cli_die("%s: %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0777) && errno != EEXIST)
		cli_die("%s: %s", p, strerror(errno));
	free(p);
}

/* vocab.txt and tokenizer_config.json of tk into dir, atomically */
static void write_tokenizer(const char *dir, const tokenizer *tk, int max_pos)
{
	strbuf b = {0};
	int V = tokenizer_vocab_size(tk);
	for (int i = 0; i < V; i++) {
		const char *s = tokenizer_token(tk, i);
		if (strpbrk(s, "\r\n"))
			cli_die("token %d contains a line break: cannot write vocab.txt", i);
		sb_puts(&b, s, strlen(s));
		sb_putc(&b, '\n');
	}
	char *path = join(dir, "vocab.txt");
	if (atomic_write_file(path, b.s, b.len, err, sizeof err))
		cli_die("%s", err);
	free(path);
	jv c = jv_object();
	c = jv_object_set(c, jv_string("do_lower_case"), jv_bool(tokenizer_lowercase(tk)));
	if (tokenizer_strip_accents(tk) != tokenizer_lowercase(tk))
		c = jv_object_set(c, jv_string("strip_accents"), jv_bool(tokenizer_strip_accents(tk)));
	c = jv_object_set(c, jv_string("model_max_length"), jv_number(max_pos));
	c = jv_object_set(c, jv_string("tokenizer_class"), jv_string("BertTokenizer"));
	jv s = jv_dump_string(c, JV_PRINT_PRETTY | JV_PRINT_INDENT_FLAGS(2) | JV_PRINT_SORTED);
	path = join(dir, "tokenizer_config.json");
	size_t n = strlen(jv_string_value(s));
	char *txt = xmalloc(n + 2);
	memcpy(txt, jv_string_value(s), n);
	txt[n++] = '\n';
	if (atomic_write_file(path, txt, n, err, sizeof err))
		cli_die("%s", err);
	jv_free(s);
	free(txt);
	free(path);
	free(b.s);
}

/* The whole output directory: encoder, tokenizer, head. */
static void save_out(const char *dir, const trainer *t, const tokenizer *tk)
{
	if (!model_save(t->m, dir, err, sizeof err))
		cli_die("%s: %s", dir, err);
	write_tokenizer(dir, tk, t->cfg.max_position_embeddings);
	char *path = join(dir, "mlp_head.safetensors");
	if (train_head_save(t, path, err, sizeof err))
		cli_die("%s", err);
	free(path);
}

/* ---- the model at the start ----------------------------------------------- */

/* The first field of every non-empty line of a word list (gzip allowed),
 * in file order (vocab_build skips words that are not one basic token).
 * Dies naming FILE:LINE on a line too long to be a word list. */
static char **read_word_list(const char *path, int *n)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		cli_die("%s: %s", path, strerror(errno));
	char line[4096];
	char **w = NULL;
	int nw = 0, cap = 0;
	long ln = 0;
	while (gzgets(f, line, sizeof line)) {
		ln++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n')
			cli_die("%s:%ld: line longer than %zu bytes", path, ln, sizeof line - 2);
		char *p = line + strspn(line, " \t\r\n");
		size_t k = strcspn(p, " \t\r\n");
		if (k == 0)
			continue;
		if (nw == cap)
			w = xrealloc(w, (size_t)(cap = cap ? 2 * cap : 1024) * sizeof *w);
		w[nw] = xmalloc(k + 1);
		memcpy(w[nw], p, k);
		w[nw++][k] = 0;
	}
	int e = 0;
	const char *msg = gzerror(f, &e);
	if (e != Z_OK && e != Z_STREAM_END)
		cli_die("%s: %s", path, msg);
	gzclose(f);
	if (nw == 0)
		cli_die("%s: no words", path);
	*n = nw;
	return w;
}

static tokenizer *fresh_vocab(const opts *o, wordvecs *wv)
{
	int lower = !o->cased;
	if (o->vocab) {
		tokenizer *tk = tokenizer_load_vocab(o->vocab, lower, err, sizeof err);
		if (!tk)
			cli_die("%s", err);
		return tk;
	}
	const char *src = o->vocab_words ? o->vocab_words : o->vocab_vec;
	int nw = wv->n;
	char **words = wv->words;
	if (o->vocab_words)
		words = read_word_list(o->vocab_words, &nw);
	int nt = 0;
	char **toks = vocab_build((const char *const *)words, nw, o->vocab_size, lower, &nt,
	                          err, sizeof err);
	if (!toks)
		cli_die("%s: %s", src, err);
	tokenizer *tk = tokenizer_from_tokens((const char *const *)toks, nt, lower, err, sizeof err);
	if (!tk)
		cli_die("%s: %s", src, err);
	vocab_free(toks, nt);
	if (o->vocab_words) {
		for (int i = 0; i < nw; i++)
			free(words[i]);
		free(words);
	}
	return tk;
}

static bert_model *start_model(const opts *o, tokenizer **tkp)
{
	bert_model *m;
	tokenizer *tk;
	wordvecs wv = {0};
	int have_wv = 0;
	const char *wvpath = o->vocab_vec ? o->vocab_vec : o->init_vec;
	if (wvpath && (o->vocab_vec || o->init_vec)) {
		if (wordvecs_read(&wv, wvpath, 0, err, sizeof err))
			cli_die("%s", err);
		have_wv = 1;
	}
	if (o->init) {
		m = model_load(o->init, err, sizeof err);
		if (!m)
			cli_die("%s: %s", o->init, err);
		tk = tokenizer_load_dir(o->init, err, sizeof err);
		if (!tk)
			cli_die("%s: %s", o->init, err);
		if (tokenizer_vocab_size(tk) > m->cfg.vocab_size)
			cli_die("%s: the vocabulary (%d tokens) is larger than the model's (%d)", o->init,
			        tokenizer_vocab_size(tk), m->cfg.vocab_size);
	} else {
		bert_config c;
		if (!bert_config_load(&c, o->config, err, sizeof err))
			cli_die("%s: %s", o->config, err);
		tk = fresh_vocab(o, &wv);
		c.vocab_size = tokenizer_vocab_size(tk);
		c.pad_token_id = tokenizer_pad_id(tk);
		m = model_init_random(&c, o->seed, err, sizeof err);
		if (!m)
			cli_die("%s: %s", o->config, err);
	}
	if (o->init_vec) {
		if (o->vocab_vec && strcmp(o->vocab_vec, o->init_vec)) {
			wordvecs_free(&wv);
			if (wordvecs_read(&wv, o->init_vec, 0, err, sizeof err))
				cli_die("%s", err);
		}
		int V = tokenizer_vocab_size(tk), nset = 0;
		const char **tokens = xmalloc((size_t)V * sizeof *tokens);
		for (int i = 0; i < V; i++)
			tokens[i] = tokenizer_token(tk, i);
		if (vectors_init_embeddings(m->params.wte, V, m->cfg.hidden_size, tokens, &wv,
		                            tokenizer_lowercase(tk), o->seed, o->vectors_rms, &nset, err,
		                            sizeof err))
			cli_die("%s: %s", o->init_vec, err);
		free(tokens);
		if (dist_rank() == 0)
			cli_msg("%s: %d of %d token embeddings set from word vectors", o->init_vec, nset, V);
	}
	if (have_wv)
		wordvecs_free(&wv);
	*tkp = tk;
	return m;
}

/* ---- the hyperparameters (checkpoint meta) -------------------------------- */

/* progress values kept in the meta, not compared on resume */
static const char *const progress_keys[] = {
	"win_loss", "win_gate", "win_steps", "win_examples", "best_eval", "best_step", "saved_out",
	"has_pooler", NULL,
};

typedef struct progress_state {
	double win_loss, win_gate;
	long win_steps, win_examples;
	double best_eval;       /* -inf: none yet */
	long best_step;
	int saved_out;
	int has_pooler;         /* the model has (untrained) pooler weights to save */
} progress_state;

static jv hyper_json(const opts *o, const train_data *d, const trainer *t, int64_t total)
{
	jv h = jv_object();
#define SETN(k, v) h = jv_object_set(h, jv_string(k), jv_number((double)(v)))
#define SETS(k, v) h = jv_object_set(h, jv_string(k), jv_string(v))
	SETS("loss", loss_kind_name((loss_kind)o->loss));
	SETN("temperature", o->tau);
	SETN("sigma", o->sigma);
	SETS("gate", o->symmetric ? "symmetric" : "one-sided");
	if (o->gate_cls)   /* only when set: older checkpoints keep their meta */
		SETS("gate_on", "cls");
	SETN("word_repeat", o->word_repeat);
	SETN("epochs", o->epochs);
	SETN("batch_size", o->batch);
	SETN("lr", o->lr);
	SETN("max_length", o->max_len);
	SETN("warmup", o->warmup);
	SETN("total_steps", total);
	SETN("weight_decay", o->wd);
	SETN("adamw", o->adamw);
	SETN("grad_clip", o->clip);
	SETN("hidden_dropout", t->hidden_p);
	SETN("attention_dropout", t->att_p);
	SETN("seed", (double)o->seed);
	SETN("shuffle", o->shuffle);
	SETN("log_every", o->log_every);
	SETN("eval_every", o->eval ? o->eval_every : 0);
	SETN("examples", d->n);
	SETN("data_crc32", d->crc);
	SETN("params", t->nparams);
#undef SETN
#undef SETS
	return h;
}

static char *meta_text(jv hyper, const progress_state *ps)
{
	jv h = jv_copy(hyper);
	h = jv_object_set(h, jv_string("win_loss"), jv_number(ps->win_loss));
	h = jv_object_set(h, jv_string("win_gate"), jv_number(ps->win_gate));
	h = jv_object_set(h, jv_string("win_steps"), jv_number(ps->win_steps));
	h = jv_object_set(h, jv_string("win_examples"), jv_number(ps->win_examples));
	h = jv_object_set(h, jv_string("best_eval"),
	                  isfinite(ps->best_eval) ? jv_number(ps->best_eval) : jv_null());
	h = jv_object_set(h, jv_string("best_step"), jv_number(ps->best_step));
	h = jv_object_set(h, jv_string("saved_out"), jv_number(ps->saved_out));
	h = jv_object_set(h, jv_string("has_pooler"), jv_number(ps->has_pooler));
	jv s = jv_dump_string(h, 0);
	char *r = xstrdup(jv_string_value(s));
	jv_free(s);
	return r;
}

static double meta_num(jv m, const char *k, double dflt)
{
	jv v = jv_object_get(jv_copy(m), jv_string(k));
	double r = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : dflt;
	jv_free(v);
	return r;
}

/* ---- MPI ranks (lib/train/dist.h) ----------------------------------------------- */

/* Rank 0 read the data (standard input reaches rank 0 alone under mpirun,
 * and s' from --frozen is computed once): send the token ids, offsets, s'
 * and CRC to the other ranks. The texts are not sent (rank 0 alone needs
 * them, for --frozen). */
static void share_data(train_data *d, int has_sprime)
{
	uint64_t hdr[3] = {d->n, d->n ? d->off[d->n * (size_t)d->k] : 0, d->crc};
	if (dist_bcast(hdr, sizeof hdr, 0, err, sizeof err))
		cli_die("%s", err);
	if (dist_rank() != 0) {
		d->n = (size_t)hdr[0];
		d->crc = (uint32_t)hdr[2];
		d->tok = xmalloc((hdr[1] ? (size_t)hdr[1] : 1) * sizeof *d->tok);
		d->off = xmalloc((d->n * (size_t)d->k + 1) * sizeof *d->off);
		d->sprime = has_sprime ? xmalloc((d->n ? d->n : 1) * sizeof *d->sprime) : NULL;
	}
	if (dist_bcast(d->tok, (size_t)hdr[1] * sizeof *d->tok, 0, err, sizeof err) ||
	    dist_bcast(d->off, (d->n * (size_t)d->k + 1) * sizeof *d->off, 0, err, sizeof err) ||
	    (has_sprime && dist_bcast(d->sprime, d->n * sizeof *d->sprime, 0, err, sizeof err)))
		cli_die("%s", err);
}

/* Every rank must hold the same parameters (the same summed gradients and
 * the same Adam step keep them so); checked where rank 0 saves them. */
static void check_in_sync(const trainer *t)
{
	if (dist_size() == 1)
		return;
	uint32_t c = (uint32_t)crc32_z(0L, (const Bytef *)t->params, t->nparams * sizeof *t->params);
	int same = dist_same_u32(c, err, sizeof err);
	if (same < 0)
		cli_die("%s", err);
	if (!same)
		cli_die("the ranks' parameters differ: the MPI reduction is not the same on every rank");
}

/* ---- main ----------------------------------------------------------------- */

enum {
	O_INIT = 256, O_CONFIG, O_VOCAB, O_VOCABVEC, O_VOCABWORDS, O_VOCABSIZE, O_CASED, O_INITVEC, O_VECRMS,
	O_RESUME, O_LOSS, O_TAU, O_SIGMA, O_GATE, O_GATEON, O_FROZEN, O_WREP, O_EPOCHS, O_LR, O_MAXLEN,
	O_WARMUP, O_MAXSTEPS, O_WD, O_ADAMW, O_CLIP, O_DROP, O_HDROP, O_ADROP, O_SEED, O_NOSHUF,
	O_LOGEVERY, O_EVAL, O_EVALEVERY, O_SAVEEVERY, O_CKDIR,
};

static void parse(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"init", required_argument, 0, O_INIT},
		{"config", required_argument, 0, O_CONFIG},
		{"vocab", required_argument, 0, O_VOCAB},
		{"vocab-from-vectors", required_argument, 0, O_VOCABVEC},
		{"vocab-from-words", required_argument, 0, O_VOCABWORDS},
		{"vocab-size", required_argument, 0, O_VOCABSIZE},
		{"cased", no_argument, 0, O_CASED},
		{"init-vectors", required_argument, 0, O_INITVEC},
		{"vectors-rms", required_argument, 0, O_VECRMS},
		{"resume", required_argument, 0, O_RESUME},
		{"loss", required_argument, 0, O_LOSS},
		{"temperature", required_argument, 0, O_TAU},
		{"sigma", required_argument, 0, O_SIGMA},
		{"gate", required_argument, 0, O_GATE},
		{"gate-on", required_argument, 0, O_GATEON},
		{"frozen", required_argument, 0, O_FROZEN},
		{"word-repeat", no_argument, 0, O_WREP},
		{"out", required_argument, 0, 'o'},
		{"epochs", required_argument, 0, O_EPOCHS},
		{"batch-size", required_argument, 0, 'b'},
		{"lr", required_argument, 0, O_LR},
		{"max-length", required_argument, 0, O_MAXLEN},
		{"warmup", required_argument, 0, O_WARMUP},
		{"max-steps", required_argument, 0, O_MAXSTEPS},
		{"weight-decay", required_argument, 0, O_WD},
		{"adamw", no_argument, 0, O_ADAMW},
		{"grad-clip", required_argument, 0, O_CLIP},
		{"dropout", required_argument, 0, O_DROP},
		{"hidden-dropout", required_argument, 0, O_HDROP},
		{"attention-dropout", required_argument, 0, O_ADROP},
		{"seed", required_argument, 0, O_SEED},
		{"no-shuffle", no_argument, 0, O_NOSHUF},
		{"log-every", required_argument, 0, O_LOGEVERY},
		{"eval", required_argument, 0, O_EVAL},
		{"eval-every", required_argument, 0, O_EVALEVERY},
		{"save-every", required_argument, 0, O_SAVEEVERY},
		{"checkpoint-dir", required_argument, 0, O_CKDIR},
		CLI_LONG_THREADS,
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	/* -1: not given (the loss decides) */
	o->epochs = o->batch = o->max_len = o->warmup = -1;
	o->lr = -1;
	o->hdrop = o->adrop = -1;
	o->vocab_size = 30000;
	o->tau = LOSS_TAU;
	o->sigma = LOSS_SIGMA;
	o->clip = 1.0;
	o->seed = 42;
	o->shuffle = 1;
	o->log_every = 1;
	o->eval_every = 125;
	cli_opts co;
	cli_opts_init(&co);
	int c;
	while ((c = getopt_long(argc, argv, "o:b:qhV", lo, NULL)) != -1) {
		switch (c) {
		case O_INIT: o->init = optarg; break;
		case O_CONFIG: o->config = optarg; break;
		case O_VOCAB: o->vocab = optarg; break;
		case O_VOCABVEC: o->vocab_vec = optarg; break;
		case O_VOCABWORDS: o->vocab_words = optarg; break;
		case O_VOCABSIZE: o->vocab_size = (int)cli_long("--vocab-size", optarg, 1, 10000000); break;
		case O_CASED: o->cased = 1; break;
		case O_INITVEC: o->init_vec = optarg; break;
		case O_VECRMS: o->vectors_rms = cli_double("--vectors-rms", optarg, 0, 1e6); break;
		case O_RESUME: o->resume = optarg; break;
		case O_LOSS:
			o->loss = loss_kind_parse(optarg);
			if (o->loss < 0)
				cli_usage_error("--loss: expected simcse, contrastive or gcse, got '%s'", optarg);
			break;
		case O_TAU: o->tau = cli_double("--temperature", optarg, 1e-4, 100); break;
		case O_SIGMA: o->sigma = cli_double("--sigma", optarg, 1e-6, 1e6); break;
		case O_GATEON:
			if (!strcmp(optarg, "head"))
				o->gate_cls = 0;
			else if (!strcmp(optarg, "cls"))
				o->gate_cls = 1;
			else
				cli_usage_error("--gate-on: expected head or cls, got '%s'", optarg);
			break;
		case O_GATE:
			if (!strcmp(optarg, "one-sided"))
				o->symmetric = 0;
			else if (!strcmp(optarg, "symmetric"))
				o->symmetric = 1;
			else
				cli_usage_error("--gate: expected one-sided or symmetric, got '%s'", optarg);
			break;
		case O_FROZEN: o->frozen = optarg; break;
		case O_WREP: o->word_repeat = 1; break;
		case 'o': o->out = optarg; break;
		case O_EPOCHS: o->epochs = cli_long("--epochs", optarg, 1, 1000000); break;
		case 'b': o->batch = cli_long("--batch-size", optarg, 1, 65536); break;
		case O_LR: o->lr = cli_double("--lr", optarg, 0, 1e300); break;
		case O_MAXLEN:
			o->max_len = cli_long("--max-length", optarg, 2, 1 << 20);
			o->max_len_given = 1;
			break;
		case O_WARMUP: o->warmup = cli_long("--warmup", optarg, 0, 1L << 40); break;
		case O_MAXSTEPS: o->max_steps = cli_long("--max-steps", optarg, 0, 1L << 40); break;
		case O_WD: o->wd = cli_double("--weight-decay", optarg, 0, 1e6); break;
		case O_ADAMW: o->adamw = 1; break;
		case O_CLIP: o->clip = cli_double("--grad-clip", optarg, 0, 1e300); break;
		case O_DROP: o->hdrop = o->adrop = cli_double("--dropout", optarg, 0, 0.99); break;
		case O_HDROP: o->hdrop = cli_double("--hidden-dropout", optarg, 0, 0.99); break;
		case O_ADROP: o->adrop = cli_double("--attention-dropout", optarg, 0, 0.99); break;
		case O_SEED: o->seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
		case O_NOSHUF: o->shuffle = 0; break;
		case O_LOGEVERY: o->log_every = cli_long("--log-every", optarg, 1, 1L << 40); break;
		case O_EVAL: o->eval = optarg; break;
		case O_EVALEVERY: o->eval_every = cli_long("--eval-every", optarg, 1, 1L << 40); break;
		case O_SAVEEVERY: o->save_every = cli_long("--save-every", optarg, 0, 1L << 40); break;
		case O_CKDIR: o->ckdir = optarg; break;
		case 'V':
			printf("gcsetrain (gcse) %s\n%s\n", GCSE_VERSION, gemm_describe());
			if (dist_built_with_mpi())
				printf("built with MPI: %s\n", dist_library());
			else
				printf("built without MPI\n");
			exit(fflush(stdout) ? EXIT_DATA : EXIT_OK);
		default:
			if (!cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	if (co.threads >= 0)   /* else OpenMP's and BLIS's own defaults */
		cli_set_threads(co.threads);
	o->skip_bad = co.skip_bad;
	o->prog_mode = co.progress;
	int hard = o->loss != LOSS_SIMCSE;
	if (o->epochs < 0) o->epochs = hard ? 2 : 1;
	if (o->batch < 0) o->batch = hard ? 128 : 64;
	if (o->lr < 0) o->lr = hard ? 1e-5 : 3e-5;
	if (o->max_len < 0) o->max_len = hard ? 64 : 32;
	if (o->warmup < 0) o->warmup = hard ? 190 : 0;
	if (!o->out)
		cli_usage_error("--out DIR is required");
	if (!o->resume) {
		if (!!o->init + !!o->config != 1)
			cli_usage_error("give the model: --init DIR or --config FILE (or --resume DIR)");
		if (o->config && !!o->vocab + !!o->vocab_vec + !!o->vocab_words != 1)
			cli_usage_error("--config needs one vocabulary: --vocab FILE, --vocab-from-vectors FILE "
			                "or --vocab-from-words FILE");
		if (o->init && (o->vocab || o->vocab_vec || o->vocab_words))
			cli_usage_error("--init DIR brings its own vocabulary: drop --vocab/--vocab-from-*");
	}
	if (o->frozen && o->loss != LOSS_GCSE)
		cli_usage_error("--frozen DIR is for --loss gcse");
	if (o->gate_cls && o->loss != LOSS_GCSE)
		cli_usage_error("--gate-on is for --loss gcse");
}

int main(int argc, char **argv)
{
	cli_init("gcsetrain", help);
	opts o = {0};
	/* Options are parsed before MPI starts, so a usage error ends every rank
	 * alike; ranks other than 0 parse with standard error on /dev/null, so
	 * that the message is printed once, not interleaved N times. */
	int saved_err = -1;
	if (dist_launcher_rank() > 0) {
		fflush(stderr);
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			saved_err = dup(2);
			dup2(dn, 2);
			close(dn);
		}
	}
	parse(&o, argc, argv);
	if (saved_err >= 0) {
		fflush(stderr);
		dup2(saved_err, 2);
		close(saved_err);
	}
	char **files = argv + optind;
	int nfiles = argc - optind;
	if (dist_init(&argc, &argv, err, sizeof err))
		cli_die("MPI: %s", err);
	int rank = dist_rank(), nrank = dist_size(), lead = rank == 0;
	char rankname[32];
	if (!lead) {   /* other ranks: messages labelled, no progress line */
		snprintf(rankname, sizeof rankname, "gcsetrain[%d]", rank);
		cli_prog = rankname;
		o.prog_mode = -1;
		gemm_set_notice(0);   /* the GEMM notice comes from rank 0 */
	}

	/* model and tokenizer */
	bert_model *m;
	tokenizer *tk;
	char *ckdir = o.ckdir ? xstrdup(o.ckdir) : join(o.out, "checkpoint");
	if (o.resume) {
		bert_config c;
		char *p = join(o.resume, "config.json");
		if (!bert_config_load(&c, p, err, sizeof err))
			cli_die("%s: %s", p, err);
		free(p);
		tk = tokenizer_load_dir(o.resume, err, sizeof err);
		if (!tk)
			cli_die("%s: %s", o.resume, err);
		m = model_new(&c, err, sizeof err);
		if (!m)
			cli_die("%s: %s", o.resume, err);
	} else
		m = start_model(&o, &tk);
	const bert_config *cfg = &m->cfg;
	if (o.max_len > cfg->max_position_embeddings && !o.max_len_given)
		o.max_len = cfg->max_position_embeddings;   /* the default, cut to the model */
	if (o.max_len > cfg->max_position_embeddings)
		cli_usage_error("--max-length %ld: the model takes at most %d tokens", o.max_len,
		                cfg->max_position_embeddings);
	int maxT = (int)o.max_len, C = cfg->hidden_size;

	/* data */
	loss_config lc = loss_config_default((loss_kind)o.loss);
	lc.tau = o.tau;
	lc.sigma = o.sigma;
	lc.symmetric = o.symmetric;
	int k = o.loss == LOSS_SIMCSE ? 1 : 3, gcse = o.loss == LOSS_GCSE;
	train_data d = {0};
	d.k = k;
	if (lead) {
		train_data_read(&d, files, nfiles, k, gcse && !o.frozen, gcse && o.frozen, o.skip_bad, tk,
		                maxT, o.tau);
		if (d.n == 0)
			cli_die("no training examples in the input");
		if (d.ntrunc)
			cli_msg("%zu texts cut at --max-length %d", d.ntrunc, maxT);
	}
	if (lead && gcse && o.frozen) {
		if (train_data_frozen_sprime(&d, o.frozen, maxT, (int)(o.batch < 256 ? o.batch : 256),
		                             o.tau, err, sizeof err))
			cli_die("%s", err);
		d.crc ^= 0x5f3759dfu;   /* the data now includes computed s' */
		for (size_t i = 0; i < d.n; i++) {
			uint32_t b;
			memcpy(&b, &d.sprime[i], 4);
			d.crc = d.crc * 31u + b;
		}
	}
	if (nrank > 1)
		share_data(&d, gcse);
	sts_set ev = {0};
	if (o.eval && lead)
		sts_read(&ev, o.eval, tk, maxT, o.skip_bad);

	/* trainer, optimizer, loss; the loss sees the global batch of B
	 * examples, the trainer a rank's share of at most Bl */
	int B = (int)(o.batch < (long)d.n ? o.batch : (long)d.n);
	int kk = k == 1 ? 2 : 3, rows = kk * B, Bl = (B + nrank - 1) / nrank;
	trainer *t = trainer_new(m, kk * Bl, maxT, rng_derive(o.seed, 1), err, sizeof err);
	if (!t)
		cli_die("%s", err);
	if (o.hdrop >= 0)
		t->hidden_p = (float)o.hdrop;
	if (o.adrop >= 0)
		t->att_p = (float)o.adrop;
	adam opt;
	loss_ws lw;
	if (adam_init(&opt, t->nparams) || loss_ws_init(&lw, B, C))
		cli_die("out of memory");
	opt.weight_decay = o.wd;
	opt.decoupled = o.adamw;
	int64_t steps_per_epoch = (int64_t)((d.n + (size_t)B - 1) / (size_t)B);
	int64_t total = steps_per_epoch * o.epochs;
	if (o.max_steps > 0 && o.max_steps < total)
		total = o.max_steps;
	jv hyper = hyper_json(&o, &d, t, total);
	word_repeat wr = {0};
	if (o.word_repeat && word_repeat_init(&wr, tk))
		cli_die("out of memory");
	int nt = bert_num_tensors(cfg);
	bert_tensor *ts = xmalloc((size_t)nt * sizeof *ts);
	bert_tensors(cfg, &m->params, ts);

	/* state */
	rng r;
	rng_seed(&r, o.seed);
	int64_t *order = xmalloc(d.n * sizeof *order);
	int64_t step = 0, epoch = 0, pos = 0;
	progress_state ps = {0, 0, 0, 0, -INFINITY, 0, 0, m->has_pooler};
	train_ckpt ck = {t->params, opt.m, opt.v, t->nparams, order, d.n, 0, 0, 0, 0, {0}};
	char *ckpath = join(ckdir, "train.safetensors");
	int64_t last_ckpt = -1;
	const char *last_ckdir = ckdir;
	if (o.resume) {
		char *rp = join(o.resume, "train.safetensors");
		char *saved = NULL;
		if (train_ckpt_load(rp, &ck, &saved, err, sizeof err))
			cli_die("%s", err);
		char *now = meta_text(hyper, &ps), msg[2048];
		int nd = ckpt_meta_diff(saved, now, progress_keys, msg, sizeof msg);
		if (nd != 0)
			cli_usage_error("%s: the checkpoint was made with other settings: %s", rp,
			                nd < 0 ? "unreadable meta" : msg);
		jv sm = jv_parse(saved);
		ps.win_loss = meta_num(sm, "win_loss", 0);
		ps.win_gate = meta_num(sm, "win_gate", 0);
		ps.win_steps = (long)meta_num(sm, "win_steps", 0);
		ps.win_examples = (long)meta_num(sm, "win_examples", 0);
		ps.best_eval = meta_num(sm, "best_eval", -INFINITY);
		ps.best_step = (long)meta_num(sm, "best_step", 0);
		ps.saved_out = (int)meta_num(sm, "saved_out", 0);
		ps.has_pooler = m->has_pooler = (int)meta_num(sm, "has_pooler", 0);
		jv_free(sm);
		free(now);
		free(saved);
		free(rp);
		step = ck.step;
		epoch = ck.epoch;
		pos = ck.pos;
		opt.t = ck.adam_t;
		if (!rng_set_state(&r, ck.rng))
			cli_die("%s: bad random state", o.resume);
		last_ckpt = step;
		last_ckdir = o.resume;
		if (lead)
			cli_msg("resuming at step %lld of %lld (epoch %lld)", (long long)step,
			        (long long)total, (long long)epoch);
	} else {
		for (size_t i = 0; i < d.n; i++)
			order[i] = (int64_t)i;
		if (o.shuffle)
			rng_shuffle(&r, order, d.n, sizeof *order);
	}
	if (o.save_every && lead) {
		mkdir_p(ckdir);
		char *p = join(ckdir, "config.json");
		if (!bert_config_save(cfg, p, err, sizeof err))
			cli_die("%s: %s", p, err);
		free(p);
		write_tokenizer(ckdir, tk, cfg->max_position_embeddings);
	}

	/* buffers of a step */
	int *ids = xmalloc((size_t)rows * maxT * sizeof *ids);
	int *mask = xmalloc((size_t)rows * maxT * sizeof *mask);
	float *dh = xmalloc((size_t)rows * C * sizeof *dh);
	float *sp = gcse ? xmalloc((size_t)B * sizeof *sp) : NULL;
	/* --gate-on cls: per own row, the [CLS] cosine / tau of the anchor and
	 * its negative (gcls), gathered over ranks (gcls_all): the loss's gate */
	float *gcls = o.gate_cls ? xmalloc((size_t)B * sizeof *gcls) : NULL;
	float *gcls_all = o.gate_cls && nrank > 1 ? xmalloc((size_t)B * sizeof *gcls_all) : NULL;
	/* more than one rank: this rank's rows (lids, lmask, ldh) and the
	 * gathered head outputs of the global batch (hg); share[r] examples of
	 * rank r in this step */
	int *lids = NULL, *lmask = NULL;
	float *ldh = NULL, *hg = NULL;
	size_t *share = xmalloc((size_t)nrank * sizeof *share);
	if (nrank > 1) {
		lids = xmalloc((size_t)kk * (Bl ? Bl : 1) * maxT * sizeof *lids);
		lmask = xmalloc((size_t)kk * (Bl ? Bl : 1) * maxT * sizeof *lmask);
		ldh = xmalloc((size_t)kk * (Bl ? Bl : 1) * C * sizeof *ldh);
		hg = xmalloc((size_t)rows * C * sizeof *hg);
	}
	bert_ctx *evx = o.eval && lead ? bert_ctx_new(m, 0) : NULL;
	int pad = tokenizer_pad_id(tk);
	progress pg;
	progress_init(&pg, o.prog_mode, "steps");
	double tw = now_seconds();

	while (step < total) {
		int nb = (int)((int64_t)d.n - pos < B ? (int64_t)d.n - pos : B);
		/* every rank builds the whole batch (the same draws of r), then
		 * takes rows [lo, hi) of each block: its anchors, positives,
		 * negatives */
		int T = train_batch(&d, order + pos, nb, pad, o.word_repeat ? &wr : NULL, &r, maxT, ids, mask);
		int nrows = kk * nb;
		for (int q = 0; q < nrank; q++) {
			size_t a, b;
			dist_share((size_t)nb, q, nrank, &a, &b);
			share[q] = b - a;
		}
		size_t lo, hi;
		dist_share((size_t)nb, rank, nrank, &lo, &hi);
		int nl = (int)(hi - lo);
		const int *fids = ids, *fmask = mask;
		if (nrank > 1) {
			for (int j = 0; j < kk; j++) {
				size_t src = ((size_t)j * nb + lo) * T, dst = (size_t)j * nl * T, n = (size_t)nl * T;
				memcpy(lids + dst, ids + src, n * sizeof *ids);
				memcpy(lmask + dst, mask + src, n * sizeof *mask);
			}
			fids = lids;
			fmask = lmask;
		}
		/* dropout: masks are a function of (key, index in the rank's rows),
		 * so each rank other than 0 takes its own key, else rank r's rows
		 * would repeat rank 0's masks */
		uint64_t key = rng_derive(o.seed, (uint64_t)step + 2);
		if (rank > 0)
			key = rng_derive(key, 0x52414e4b00000000ULL + (uint64_t)rank);
		trainer_zero_grad(t);
		if (nl > 0 && !train_forward(t, fids, fmask, kk * nl, T, 1, key, err, sizeof err))
			cli_die("step %lld: %s", (long long)step + 1, err);
		if (gcse)
			for (int i = 0; i < nb; i++)
				sp[i] = d.sprime[order[pos + i]];
		const float *gate = NULL;
		if (o.gate_cls) {
			/* d = s_cls - s': the model's own [CLS] cosine (with dropout)
			 * against E''s [CLS] cosine, before the MLP head */
			const float *cls = t->cls;
			cosine_forward(gcls, cls, cls + (size_t)2 * nl * C, nl, C);
			for (int i = 0; i < nl; i++)
				gcls[i] = (float)(gcls[i] / o.tau);
			gate = gcls;
			if (nrank > 1) {
				if (dist_allgather_rows(gcls, share, 1, gcls_all, err, sizeof err))
					cli_die("step %lld: %s", (long long)step + 1, err);
				gate = gcls_all;
			}
		}
		const float *h = t->h;
		if (nrank > 1) {   /* h of the global batch, block after block */
			for (int j = 0; j < kk; j++)
				if (dist_allgather_rows(t->h + (size_t)j * nl * C, share, (size_t)C,
				                        hg + (size_t)j * nb * C, err, sizeof err))
					cli_die("step %lld: %s", (long long)step + 1, err);
			h = hg;
		}
		double L = loss_forward_gated(&lw, &lc, h, h + (size_t)nb * C, k == 3 ? h + (size_t)2 * nb * C : NULL,
		                              sp, gate, nb);
		double norm = NAN;
		if (isfinite(L)) {
			memset(dh, 0, (size_t)nrows * C * sizeof *dh);
			loss_backward(&lw, dh, dh + (size_t)nb * C, k == 3 ? dh + (size_t)2 * nb * C : NULL, 1.0f);
			const float *mydh = dh;
			if (nrank > 1) {   /* this rank's rows of d loss / d h */
				for (int j = 0; j < kk; j++)
					memcpy(ldh + (size_t)j * nl * C, dh + ((size_t)j * nb + lo) * C,
					       (size_t)nl * C * sizeof *dh);
				mydh = ldh;
			}
			if (nl > 0)
				train_backward(t, mydh);
			/* the sum over ranks: the gradient of the global batch */
			if (dist_allreduce_sum_float(t->grads, t->nparams, err, sizeof err))
				cli_die("step %lld: %s", (long long)step + 1, err);
			norm = grad_clip_norm(t->grads, t->nparams, o.clip);
		}
		if (!isfinite(L) || !isfinite(norm)) {
			double bad = isfinite(L) ? norm : L;
			const char *what = isfinite(L) ? "gradient norm" : "loss";
			const char *val = isnan(bad) ? "NaN" : bad > 0 ? "+inf" : "-inf";
			progress_done(&pg);
			if (last_ckpt >= 0)
				cli_die("step %lld: the %s is not finite (%s); stopped. The last checkpoint, "
				        "%s (step %lld), is intact", (long long)step + 1, what, val, last_ckdir,
				        (long long)last_ckpt);
			cli_die("step %lld: the %s is not finite (%s); stopped (no checkpoint was saved)",
			        (long long)step + 1, what, val);
		}
		double lr = lr_linear_warmup(o.lr, step, o.warmup, total);
		if (o.wd > 0) {   /* no decay on biases and LayerNorm weights (transformers' rule) */
			adam_begin_step(&opt);
			for (int i = 0; i < nt; i++) {
				size_t lo = (size_t)(ts[i].data - t->params);
				int decay = ts[i].kind == BERT_T_EMBEDDING || ts[i].kind == BERT_T_MATRIX;
				adam_update_range(&opt, t->params, t->grads, lr, lo, lo + ts[i].numel, decay ? o.wd : 0);
			}
			adam_update_range(&opt, t->params, t->grads, lr, t->nenc, t->nenc + (size_t)C * C, o.wd);
			adam_update_range(&opt, t->params, t->grads, lr, t->nenc + (size_t)C * C, t->nparams, 0);
		} else
			adam_step(&opt, t->params, t->grads, lr);
		step++;
		pos += nb;
		ps.win_loss += L;
		ps.win_gate += loss_mean_gate(&lw);
		ps.win_steps++;
		ps.win_examples += nb;
		if (pos >= (int64_t)d.n) {
			epoch++;
			pos = 0;
			if (o.shuffle)
				rng_shuffle(&r, order, d.n, sizeof *order);
		}
		progress_tick(&pg, (long)step);

		int do_eval = lead && o.eval && (step % o.eval_every == 0 || step == total);
		double sp_eval = NAN;
		if (do_eval) {
			sp_eval = sts_spearman(&ev, evx, m->pooling >= 0 ? m->pooling : BERT_POOL_CLS,
			                       B < 64 ? 64 : B, pad, err, sizeof err);
			if (!isfinite(sp_eval) && err[0])
				cli_die("--eval %s: %s", o.eval, err);
			if (sp_eval > ps.best_eval || !ps.saved_out) {
				if (sp_eval > ps.best_eval) {
					ps.best_eval = sp_eval;
					ps.best_step = (long)step;
				}
				save_out(o.out, t, tk);
				ps.saved_out = 1;
			}
		}
		if (lead && (do_eval || step % o.log_every == 0 || step == total)) {
			double tn = now_seconds();
			jv rec = jv_object();
			rec = jv_object_set(rec, jv_string("step"), jv_number((double)step));
			double ep = (double)epoch + (double)pos / (double)d.n;
			rec = jv_object_set(rec, jv_string("epoch"), jv_number(round(ep * 1e4) / 1e4));
			rec = jv_object_set(rec, jv_string("loss"), jv_number(ps.win_loss / ps.win_steps));
			if (gcse)
				rec = jv_object_set(rec, jv_string("gate"), jv_number(ps.win_gate / ps.win_steps));
			rec = jv_object_set(rec, jv_string("lr"), jv_number(lr));
			rec = jv_object_set(rec, jv_string("examples_per_s"),
			                    jv_number(round(ps.win_examples / fmax(tn - tw, 1e-9) * 10) / 10));
			if (do_eval)
				rec = jv_object_set(rec, jv_string("eval_spearman"),
				                    isfinite(sp_eval) ? jv_number(sp_eval) : jv_null());
			ndjson_write(rec);
			ndjson_finish();   /* each record reaches a pipe at once */
			ps.win_loss = ps.win_gate = 0;
			ps.win_steps = ps.win_examples = 0;
			tw = tn;
		}
		if (o.save_every && step % o.save_every == 0) {
			check_in_sync(t);
			if (lead) {
				ck.step = step;
				ck.epoch = epoch;
				ck.pos = pos;
				ck.adam_t = opt.t;
				memcpy(ck.rng, r.s, sizeof ck.rng);
				char *meta = meta_text(hyper, &ps);
				if (train_ckpt_save(ckpath, &ck, meta, err, sizeof err))
					cli_die("checkpoint: %s", err);
				free(meta);
			}
			last_ckpt = step;
			last_ckdir = ckdir;
		}
	}
	progress_done(&pg);
	check_in_sync(t);
	if (lead && (!o.eval || !ps.saved_out))
		save_out(o.out, t, tk);
	if (lead && o.eval)
		cli_msg("best eval Spearman %.2f at step %ld, kept in %s", ps.best_eval, ps.best_step, o.out);

	jv_free(hyper);
	free(ids); free(mask); free(dh); free(sp); free(gcls); free(gcls_all); free(order); free(ckpath); free(ckdir); free(ts);
	free(lids); free(lmask); free(ldh); free(hg); free(share);
	bert_ctx_free(evx);
	sts_free(&ev);
	word_repeat_free(&wr);
	adam_free(&opt);
	loss_ws_free(&lw);
	trainer_free(t);
	model_free(m);
	tokenizer_free(tk);
	train_data_free(&d);
	ndjson_finish();
	dist_finalize();
	return 0;
}
