/* gcsetrain — train a BERT sentence encoder with the SimCSE, contrastive or
 * GCSE loss (METHOD.md §5) on NDJSON records; metrics as NDJSON on stdout;
 * checkpoints that a SIGKILLed run resumes from exactly; data-parallel over
 * MPI ranks (lib/train/dist.h) when started by mpirun. */
#include "nn/bert.h"
#include "nn/bertconfig.h"
#include "train/checkpoint.h"
#include "base/cli.h"
#include "base/fileio.h"
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
#include "train/trainloop.h"
#include "wordvec/vectors.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
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
"  --loss mlm           {\"text\"}: masked-LM pretraining (BERT's: 15% of the\n"
"                       tokens predicted, 80/10/10 [MASK]/random/kept) with\n"
"                       BertForMaskedLM's head, its decoder tied to the word\n"
"                       embeddings\n"
"  --loss distill       {\"text\",\"embedding\"}: pull the [CLS] vector towards a\n"
"                       teacher's vector of the same text (loss 1 - cosine;\n"
"                       a shorter teacher vector is zero-padded), e.g. the\n"
"                       static one of embed --vectors FILE --sif --pc-from\n"
"Prints one metrics record per logging step on stdout: {\"step\",\"epoch\",\"loss\",\n"
"\"lr\",\"examples_per_s\"} plus \"gate\" (gcse: mean G), \"accuracy\" (mlm: share\n"
"of masked tokens predicted right) and \"eval_spearman\" (x100) when evaluated.\n"
"Writes the encoder to --out as a Hugging Face directory (config.json,\n"
"model.safetensors, vocab.txt, tokenizer_config.json) and the training-only\n"
"MLP head apart, as DIR/mlp_head.safetensors; after mlm, the directory of\n"
"BertForMaskedLM (encoder under \"bert.\", head as \"cls.predictions.*\"),\n"
"which every program here reads as a plain encoder.\n"
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
"      --fresh-head          with --init DIR: a new MLP head, not DIR's\n"
"                            mlp_head.safetensors (loaded by default)\n"
"      --resume DIR          continue the run whose checkpoint is in DIR (the\n"
"                            model options are then ignored; the others must\n"
"                            match the interrupted run)\n"
"\n"
"loss:\n"
"      --loss NAME           simcse (default), contrastive, gcse, mlm or distill\n"
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
"                            tokenizer, no dropout) instead of reading it from\n"
"                            the records: through DIR's MLP head (the space of\n"
"                            the training logits), or its [CLS] cosine with\n"
"                            --gate-on cls or when DIR has no head\n"
"      --gate-from MODE      gcse: s for the gate from the training forward\n"
"                            (dropout, default) or from a forward without\n"
"                            dropout (clean: G starts at 1 when the model is E',\n"
"                            about a third more time per step)\n"
"      --word-repeat         repeat one random word of each anchor (ESimCSE)\n"
"      --mlm-probability P   mlm: share of tokens predicted (default 0.15)\n"
"      --whole-word-mask     mlm: select whole words (a token and its ## pieces)\n"
"      --target-field NAME   distill: the teacher's vector (default embedding)\n"
"\n"
"training (defaults: simcse, mlm, distill | contrastive, gcse, as METHOD.md;\n"
"the lr of mlm and distill 1e-4):\n"
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
	const char *target;     /* --target-field (distill) */
	int vocab_size, cased;
	double vectors_rms;
	int loss, symmetric, gate_cls, gate_clean, word_repeat, fresh_head;
	double tau, sigma;
	double mlm_prob;        /* --mlm-probability */
	int whole_word;         /* --whole-word-mask */
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
	char *p = path_join(dir, name);
	if (!p)
		cli_die("out of memory");
	return p;
}

static void write_tokenizer(const char *dir, const tokenizer *tk, int max_pos)
{
	if (tokenizer_save(tk, dir, max_pos, err, sizeof err))
		cli_die("%s", err);
}

/* The whole output directory: encoder, tokenizer, head (after masked-LM:
 * BertForMaskedLM's model with its head, no MLP head). */
static void save_out(const char *dir, const trainer *t, const tokenizer *tk)
{
	if (t->mlm) {
		if (train_mlm_save(t, dir, err, sizeof err))
			cli_die("%s: %s", dir, err);
		write_tokenizer(dir, tk, t->cfg.max_position_embeddings);
		return;
	}
	if (model_save(t->m, dir, err, sizeof err))
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
		if (bert_config_load(&c, o->config, err, sizeof err))
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

/* ---- parsing -------------------------------------------------------------- */

enum {
	O_INIT = 256, O_CONFIG, O_VOCAB, O_VOCABVEC, O_VOCABWORDS, O_VOCABSIZE, O_CASED, O_INITVEC, O_VECRMS,
	O_RESUME, O_LOSS, O_TAU, O_SIGMA, O_GATE, O_GATEON, O_FROZEN, O_WREP, O_EPOCHS, O_LR, O_MAXLEN,
	O_WARMUP, O_MAXSTEPS, O_WD, O_ADAMW, O_CLIP, O_DROP, O_HDROP, O_ADROP, O_SEED, O_NOSHUF,
	O_LOGEVERY, O_EVAL, O_EVALEVERY, O_SAVEEVERY, O_CKDIR, O_MLMPROB, O_WWM, O_GATEFROM, O_FRESHHEAD,
	O_TARGET,
};

/* The defaults that depend on the loss, and the checks across options. */
static void settle(opts *o)
{
	int hard = o->loss == LOSS_CONTRASTIVE || o->loss == LOSS_GCSE, mlm = o->loss == LOSS_MLM;
	int distill = o->loss == LOSS_DISTILL;
	if (o->epochs < 0) o->epochs = hard ? 2 : 1;
	if (o->batch < 0) o->batch = hard ? 128 : 64;
	if (o->lr < 0) o->lr = hard ? 1e-5 : mlm || distill ? 1e-4 : 3e-5;
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
	if (o->gate_clean && o->loss != LOSS_GCSE)
		cli_usage_error("--gate-from is for --loss gcse");
	if (o->fresh_head && (!o->init || mlm || distill))
		cli_usage_error("--fresh-head is for --init DIR with a contrastive loss");
	if (o->word_repeat && (mlm || distill))
		cli_usage_error("--word-repeat is not for --loss %s", loss_kind_name((loss_kind)o->loss));
	if (o->target && !distill)
		cli_usage_error("--target-field is for --loss distill");
	if (distill && !o->target)
		o->target = "embedding";
	if ((o->mlm_prob >= 0 || o->whole_word) && !mlm)
		cli_usage_error("--mlm-probability and --whole-word-mask are for --loss mlm");
	if (o->mlm_prob < 0)
		o->mlm_prob = 0.15;
}

/* The long options (getopt_long). */
static const struct option long_opts[] = {
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
	{"mlm-probability", required_argument, 0, O_MLMPROB},
	{"whole-word-mask", no_argument, 0, O_WWM},
	{"gate-from", required_argument, 0, O_GATEFROM},
	{"fresh-head", no_argument, 0, O_FRESHHEAD},
	{"target-field", required_argument, 0, O_TARGET},
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

static void parse(opts *o, int argc, char **argv)
{
	/* -1: not given (the loss decides) */
	o->epochs = o->batch = o->max_len = o->warmup = -1;
	o->lr = -1;
	o->hdrop = o->adrop = -1;
	o->vocab_size = 30000;
	o->tau = LOSS_TAU;
	o->sigma = LOSS_SIGMA;
	o->mlm_prob = -1;
	o->clip = 1.0;
	o->seed = 42;
	o->shuffle = 1;
	o->log_every = 1;
	o->eval_every = 125;
	cli_opts co;
	cli_opts_init(&co);
	int c;
	while ((c = getopt_long(argc, argv, "o:b:qhV", long_opts, NULL)) != -1) {
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
				cli_usage_error("--loss: expected simcse, contrastive, gcse, mlm or distill, got '%s'",
				                optarg);
			break;
		case O_MLMPROB: o->mlm_prob = cli_double("--mlm-probability", optarg, 1e-6, 1); break;
		case O_WWM: o->whole_word = 1; break;
		case O_GATEFROM:
			if (!strcmp(optarg, "dropout"))
				o->gate_clean = 0;
			else if (!strcmp(optarg, "clean"))
				o->gate_clean = 1;
			else
				cli_usage_error("--gate-from: expected dropout or clean, got '%s'", optarg);
			break;
		case O_FRESHHEAD: o->fresh_head = 1; break;
		case O_TARGET: o->target = optarg; break;
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
	settle(o);
}


/* ---- the run -------------------------------------------------------------- */

typedef struct run {
	opts o;
	int rank, nrank, lead;
	bert_model *m;
	tokenizer *tk;
	train_data d;
	sts_set ev;             /* --eval records (rank 0) */
	bert_ctx *evx;          /* their encoder (rank 0) */
	word_repeat wr;
	uint8_t *is_piece;      /* (V) mlm: the "##" tokens */
	train_loop L;
	int B;                  /* examples per step */
	int64_t total;          /* steps */
	train_settings set;     /* what the checkpoint's meta records */
	train_progress ps;
	/* where the run stands */
	int64_t step, epoch, pos;
	int64_t *order;         /* (d.n) example order of the epoch */
	rng r;                  /* shuffling, word repetition */
	char *ckdir, *ckpath;   /* checkpoints */
	int64_t last_ckpt;      /* the step of the last checkpoint (-1: none) */
	const char *last_ckdir;
	progress pg;
	double tw;              /* when the last metrics record was written */
	int lock[2];            /* descriptors holding the locks of --out and the checkpoint folder */
	int stdout_closed;      /* no reader for the metrics any more */
} run;

/* --out and the checkpoint folder, made (with their parents) and checked
 * before anything else, so that a run never trains to find at its end that
 * it cannot write, and locked (base/fileio.h dir_lock) for the whole run,
 * so that a second run into them stops instead of mixing its files with
 * this one's; then a killed run's stray temporaries there are removed.
 * Rank 0 alone writes. */
static void prepare_out(run *R)
{
	if (!R->lead)
		return;
	const char *dirs[2] = {R->o.out, R->o.save_every ? R->ckdir : NULL};
	struct stat st[2];
	for (int i = 0; i < 2 && dirs[i]; i++) {
		if (mkdir_p(dirs[i], err, sizeof err))
			cli_die("%s", err);
		if (access(dirs[i], W_OK | X_OK) || stat(dirs[i], &st[i]))
			cli_die("%s: %s", dirs[i], strerror(errno));
		if (i == 1 && st[1].st_dev == st[0].st_dev && st[1].st_ino == st[0].st_ino)
			break;   /* --checkpoint-dir is --out: locked already */
		if ((R->lock[i] = dir_lock(dirs[i], err, sizeof err)) < 0)
			cli_die("%s", err);
		if (atomic_clean_stale(dirs[i], err, sizeof err) < 0)
			cli_die("%s", err);
	}
}

/* The model and tokenizer: from the checkpoint folder (--resume; the
 * parameters come with the checkpoint), else as the options say. */
static void load_model(run *R)
{
	opts *o = &R->o;
	if (o->resume) {
		bert_config c;
		char *p = join(o->resume, "config.json");
		if (bert_config_load(&c, p, err, sizeof err))
			cli_die("%s: %s", p, err);
		free(p);
		R->tk = tokenizer_load_dir(o->resume, err, sizeof err);
		if (!R->tk)
			cli_die("%s: %s", o->resume, err);
		R->m = model_new(&c, err, sizeof err);
		if (!R->m)
			cli_die("%s: %s", o->resume, err);
	} else
		R->m = start_model(o, &R->tk);
	int maxpos = R->m->cfg.max_position_embeddings;
	if (o->max_len > maxpos && !o->max_len_given)
		o->max_len = maxpos;   /* the default, cut to the model */
	if (o->max_len > maxpos)
		cli_usage_error("--max-length %ld: the model takes at most %d tokens", o->max_len, maxpos);
}

/* The training records (rank 0 reads them and sends them to the others),
 * the frozen model's s' (--frozen), the --eval records. */
static void load_data(run *R, char **files, int nfiles)
{
	const opts *o = &R->o;
	int k = o->loss == LOSS_SIMCSE || o->loss == LOSS_MLM || o->loss == LOSS_DISTILL ? 1 : 3;
	int gcse = o->loss == LOSS_GCSE;
	int maxT = (int)o->max_len;
	train_data *d = &R->d;
	d->k = k;
	if (R->lead) {
		train_data_read(d, files, nfiles, k, o->target, gcse && !o->frozen, gcse && o->frozen,
		                o->skip_bad, R->tk, maxT, o->tau);
		if (d->n == 0)
			cli_die("no training examples in the input");
		if (d->tdim > R->m->cfg.hidden_size)
			cli_die("the teacher's vectors (\"%s\") have %d numbers, more than the model's "
			        "hidden size %d", o->target, d->tdim, R->m->cfg.hidden_size);
		if (d->ntrunc)
			cli_msg("%zu texts cut at --max-length %d", d->ntrunc, maxT);
	}
	if (R->lead && gcse && o->frozen) {
		int head_used = 0;
		if (train_data_frozen_sprime(d, o->frozen, maxT, (int)(o->batch < 256 ? o->batch : 256),
		                             o->tau, !o->gate_cls, &head_used, err, sizeof err))
			cli_die("%s", err);
		if (!o->gate_cls && !head_used)
			cli_msg("%s has no %s: s' is its [CLS] cosine, not in the space of the training "
			        "logits (--gate-on cls reads s there too)", o->frozen, MLP_HEAD_FILE);
		d->crc ^= 0x5f3759dfu;   /* the data now includes computed s' */
		for (size_t i = 0; i < d->n; i++) {
			uint32_t b;
			memcpy(&b, &d->sprime[i], 4);
			d->crc = d->crc * 31u + b;
		}
	}
	if (R->nrank > 1 && train_data_share(d, gcse, err, sizeof err))
		cli_die("%s", err);
	if (o->eval && R->lead)
		sts_read(&R->ev, o->eval, R->tk, maxT, o->skip_bad);
}

/* mlm: the special tokens and the "##" pieces of the vocabulary. */
static mlm_tokens mlm_tokens_of(run *R)
{
	const tokenizer *tk = R->tk;
	int V = tokenizer_vocab_size(tk), Vm = R->m->cfg.vocab_size;   /* V <= Vm */
	if (tokenizer_mask_id(tk) < 0)
		cli_die("--loss mlm: the vocabulary has no [MASK] token");
	R->is_piece = xcalloc((size_t)Vm, 1);
	for (int i = 0; i < V; i++)
		R->is_piece[i] = !strncmp(tokenizer_token(tk, i), "##", 2);
	/* random replacements draw from the whole vocabulary, as transformers' collator */
	return (mlm_tokens){.cls = tokenizer_cls_id(tk), .sep = tokenizer_sep_id(tk),
	                    .pad = tokenizer_pad_id(tk), .mask = tokenizer_mask_id(tk),
	                    .V = R->m->cfg.vocab_size, .first_real = 0, .is_piece = R->is_piece};
}

/* mlm from --init DIR: its masked-LM head when it has one (a directory that
 * --loss mlm wrote, or BertForMaskedLM's), else the fresh one. */
static void load_mlm_head(run *R)
{
	trainer *t = R->L.t;
	char *p = join(R->o.init, "model.safetensors");
	int rc = mlm_head_load(&t->mlmh, p, t->cfg.hidden_size, t->cfg.vocab_size, err, sizeof err);
	if (rc < 0)
		cli_die("%s", err);
	if (R->lead && R->o.prog_mode != -1)   /* not with -q */
		cli_msg("%s: %s", R->o.init, rc == 1 ? "continuing with its masked-LM head" : "no masked-LM head; a fresh one");
	free(p);
}

/* --init DIR: its trained MLP head (DIR/mlp_head.safetensors, as gcsetrain
 * writes it) when it has one, so that stage 2 starts from E' whole (METHOD.md
 * section 5: at the start the model equals E'); --fresh-head or none: the
 * fresh one. */
static void load_mlp_head(run *R)
{
	char *p = join(R->o.init, MLP_HEAD_FILE);
	if (access(p, F_OK) == 0) {
		if (train_head_load(R->L.t, p, err, sizeof err))
			cli_die("%s", err);
		if (R->lead && R->o.prog_mode != -1)   /* not with -q */
			cli_msg("%s: continuing with its MLP head (--fresh-head: a new one)", R->o.init);
	}
	free(p);
}

/* The step (lib/train/trainloop.h), the number of steps, the settings that
 * a resumed run must share. */
static void setup_training(run *R)
{
	const opts *o = &R->o;
	R->B = (int)(o->batch < (long)R->d.n ? o->batch : (long)R->d.n);
	loss_config lc = loss_config_default((loss_kind)o->loss);
	lc.tau = o->tau;
	lc.sigma = o->sigma;
	lc.symmetric = o->symmetric;
	train_loop_config c = {
		.loss = lc, .gate_cls = o->gate_cls, .gate_clean = o->gate_clean, .clip = o->clip,
		.weight_decay = o->wd,
		.adamw = o->adamw, .seed = o->seed, .max_batch = R->B, .max_len = (int)o->max_len,
		.pad_id = tokenizer_pad_id(R->tk), .head_seed = rng_derive(o->seed, 1),
		.mlm_prob = (float)o->mlm_prob, .whole_word = o->whole_word,
	};
	if (o->loss == LOSS_MLM)
		c.mlm_tk = mlm_tokens_of(R);
	if (train_loop_init(&R->L, R->m, &c, err, sizeof err))
		cli_die("%s", err);
	trainer *t = R->L.t;
	if (o->loss == LOSS_MLM && o->init && !o->resume)
		load_mlm_head(R);
	else if (o->init && !o->resume && !o->fresh_head)
		load_mlp_head(R);
	if (o->hdrop >= 0)
		t->hidden_p = (float)o->hdrop;
	if (o->adrop >= 0)
		t->att_p = (float)o->adrop;
	int64_t steps_per_epoch = (int64_t)((R->d.n + (size_t)R->B - 1) / (size_t)R->B);
	R->total = steps_per_epoch * o->epochs;
	if (o->max_steps > 0 && o->max_steps < R->total)
		R->total = o->max_steps;
	if (o->word_repeat && word_repeat_init(&R->wr, R->tk))
		cli_die("out of memory");
	R->set = (train_settings){
		.loss = o->loss, .tau = o->tau, .sigma = o->sigma, .symmetric = o->symmetric,
		.gate_cls = o->gate_cls, .word_repeat = o->word_repeat, .epochs = o->epochs,
		.batch_size = o->batch, .lr = o->lr, .max_length = o->max_len, .warmup = o->warmup,
		.total_steps = R->total, .weight_decay = o->wd, .adamw = o->adamw, .grad_clip = o->clip,
		.hidden_dropout = t->hidden_p, .attention_dropout = t->att_p, .seed = o->seed,
		.shuffle = o->shuffle, .log_every = o->log_every, .eval_every = o->eval ? o->eval_every : 0,
		.examples = R->d.n, .data_crc = R->d.crc, .params = t->nparams,
		.tokenizer_crc = train_tokenizer_crc(R->tk), .mlm_prob = o->mlm_prob,
		.gate_clean = o->gate_clean,
		.whole_word = o->whole_word,
	};
	if (o->eval && R->lead)
		R->evx = bert_ctx_new(R->m);
}

/* The training state of a checkpoint, in the run's buffers. */
static train_ckpt ckpt_of(run *R)
{
	train_loop *L = &R->L;
	return (train_ckpt){.params = L->t->params, .adam_m = L->opt.m, .adam_v = L->opt.v,
	                    .nparams = L->t->nparams, .order = R->order, .norder = R->d.n,
	                    .step = R->step, .epoch = R->epoch, .pos = R->pos, .adam_t = L->opt.t};
}

/* Where training starts: the checkpoint of --resume (checked against the
 * settings now), or step 0 with the first epoch's order. */
static void start_state(run *R)
{
	const opts *o = &R->o;
	rng_seed(&R->r, o->seed);
	R->order = xmalloc(R->d.n * sizeof *R->order);
	R->ps = train_progress_start(R->m->has_pooler);
	R->last_ckpt = -1;
	R->last_ckdir = R->ckdir;
	if (!o->resume) {
		for (size_t i = 0; i < R->d.n; i++)
			R->order[i] = (int64_t)i;
		if (o->shuffle)
			rng_shuffle(&R->r, R->order, R->d.n, sizeof *R->order);
		return;
	}
	char *rp = join(o->resume, "train.safetensors"), *saved = NULL;
	train_ckpt ck = ckpt_of(R);
	if (train_ckpt_load(rp, &ck, &saved, err, sizeof err))
		cli_die("%s", err);
	int usage;
	if (train_meta_resume(saved, &R->set, &R->ps, &usage, err, sizeof err)) {
		if (usage)
			cli_usage_error("%s: %s", rp, err);
		cli_die("%s: %s", rp, err);
	}
	R->m->has_pooler = R->ps.has_pooler;
	free(saved);
	free(rp);
	R->step = ck.step;
	R->epoch = ck.epoch;
	R->pos = ck.pos;
	R->L.opt.t = ck.adam_t;
	if (rng_set_state(&R->r, ck.rng))
		cli_die("%s: bad random state", o->resume);
	R->last_ckpt = R->step;
	R->last_ckdir = o->resume;
	if (R->lead)
		cli_msg("resuming at step %lld of %lld (epoch %lld)", (long long)R->step,
		        (long long)R->total, (long long)R->epoch);
}

/* The checkpoint folder (made by prepare_out): the model's config and
 * tokenizer, written once. */
static void prepare_checkpoints(run *R)
{
	if (!R->o.save_every || !R->lead)
		return;
	char *p = join(R->ckdir, "config.json");
	if (bert_config_save(&R->m->cfg, p, err, sizeof err))
		cli_die("%s: %s", p, err);
	free(p);
	write_tokenizer(R->ckdir, R->tk, R->m->cfg.max_position_embeddings);
}

static void in_sync(const run *R)
{
	if (train_loop_in_sync(&R->L, err, sizeof err))
		cli_die("%s", err);
}

/* --eval: Spearman of the model now; the best model so far kept in --out. */
static double evaluate(run *R)
{
	const opts *o = &R->o;
	int pooling = R->m->pooling >= 0 ? R->m->pooling : BERT_POOL_CLS;
	err[0] = 0;
	double sp = sts_spearman(&R->ev, R->evx, pooling, R->B < 64 ? 64 : R->B,
	                         tokenizer_pad_id(R->tk), err, sizeof err);
	if (!isfinite(sp) && err[0])
		cli_die("--eval %s: %s", o->eval, err);
	if (sp > R->ps.best_eval || !R->ps.saved_out) {
		if (sp > R->ps.best_eval) {
			R->ps.best_eval = sp;
			R->ps.best_step = (long)R->step;
		}
		save_out(o->out, R->L.t, R->tk);
		R->ps.saved_out = 1;
	}
	return sp;
}

/* One metrics record: the means over the steps since the last one. Once
 * standard output is closed (| head -1), no more records: the metrics are
 * lost, the run is not; it goes on and writes its model. */
static void log_metrics(run *R, double lr, int evaluated, double sp)
{
	train_progress *ps = &R->ps;
	double tn = now_seconds();
	if (R->stdout_closed)
		goto done;
	jv rec = jv_object();
	rec = jv_object_set(rec, jv_string("step"), jv_number((double)R->step));
	double ep = (double)R->epoch + (double)R->pos / (double)R->d.n;
	rec = jv_object_set(rec, jv_string("epoch"), jv_number(round(ep * 1e4) / 1e4));
	rec = jv_object_set(rec, jv_string("loss"), jv_number(ps->win_loss / ps->win_steps));
	if (R->o.loss == LOSS_GCSE)
		rec = jv_object_set(rec, jv_string("gate"), jv_number(ps->win_gate / ps->win_steps));
	if (R->o.loss == LOSS_MLM)
		rec = jv_object_set(rec, jv_string("accuracy"),
		                    jv_number(round(ps->win_acc / ps->win_steps * 1e4) / 1e4));
	rec = jv_object_set(rec, jv_string("lr"), jv_number(lr));
	rec = jv_object_set(rec, jv_string("examples_per_s"),
	                    jv_number(round(ps->win_examples / fmax(tn - R->tw, 1e-9) * 10) / 10));
	if (evaluated)
		rec = jv_object_set(rec, jv_string("eval_spearman"), isfinite(sp) ? jv_number(sp) : jv_null());
	if (ndjson_write_flush(rec)) {   /* each record reaches a pipe at once */
		R->stdout_closed = 1;
		cli_msg("standard output is closed at step %lld: no more metrics records; training goes "
		        "on to write the model", (long long)R->step);
	}
done:
	ps->win_loss = ps->win_gate = ps->win_acc = 0;
	ps->win_steps = ps->win_examples = 0;
	R->tw = tn;
}

/* A checkpoint of the state after the last step (rank 0 writes it). */
static void save_checkpoint(run *R)
{
	in_sync(R);
	if (R->lead) {
		train_ckpt ck = ckpt_of(R);
		memcpy(ck.rng, R->r.s, sizeof ck.rng);
		char *meta = train_meta_text(&R->set, &R->ps);
		if (!meta)
			cli_die("out of memory");
		if (train_ckpt_save(R->ckpath, &ck, meta, err, sizeof err))
			cli_die("checkpoint: %s", err);
		free(meta);
	}
	R->last_ckpt = R->step;
	R->last_ckdir = R->ckdir;
}

/* A step failed: name it; after a non-finite loss, say which checkpoint is
 * intact. */
static noreturn void step_failed(run *R, const train_step_stats *st)
{
	progress_done(&R->pg);
	long long s = (long long)R->step + 1;
	if (!st->nonfinite)
		cli_die("step %lld: %s", s, err);
	if (R->last_ckpt >= 0)
		cli_die("step %lld: %s; stopped. The last checkpoint, %s (step %lld), is intact", s, err,
		        R->last_ckdir, (long long)R->last_ckpt);
	cli_die("step %lld: %s; stopped (no checkpoint was saved)", s, err);
}

static void train(run *R)
{
	const opts *o = &R->o;
	train_progress *ps = &R->ps;
	progress_init(&R->pg, o->prog_mode, "steps");
	R->tw = now_seconds();
	while (R->step < R->total) {
		int nb = (int)((int64_t)R->d.n - R->pos < R->B ? (int64_t)R->d.n - R->pos : R->B);
		double lr = lr_linear_warmup(o->lr, R->step, o->warmup, R->total);
		train_step_stats st;
		if (train_loop_step(&R->L, &R->d, R->order + R->pos, nb, o->word_repeat ? &R->wr : NULL,
		                    &R->r, R->step, lr, &st, err, sizeof err))
			step_failed(R, &st);
		R->step++;
		R->pos += nb;
		ps->win_loss += st.loss;
		ps->win_gate += st.gate;
		ps->win_acc += isfinite(st.accuracy) ? st.accuracy : 0;
		ps->win_steps++;
		ps->win_examples += nb;
		if (R->pos >= (int64_t)R->d.n) {
			R->epoch++;
			R->pos = 0;
			if (o->shuffle)
				rng_shuffle(&R->r, R->order, R->d.n, sizeof *R->order);
		}
		progress_tick(&R->pg, (long)R->step);
		int ev = R->lead && o->eval && (R->step % o->eval_every == 0 || R->step == R->total);
		double sp = ev ? evaluate(R) : NAN;
		if (R->lead && (ev || R->step % o->log_every == 0 || R->step == R->total))
			log_metrics(R, lr, ev, sp);
		if (o->save_every && R->step % o->save_every == 0)
			save_checkpoint(R);
	}
	progress_done(&R->pg);
}

static void run_free(run *R)
{
	free(R->order);
	free(R->ckpath);
	free(R->ckdir);
	bert_ctx_free(R->evx);
	sts_free(&R->ev);
	word_repeat_free(&R->wr);
	free(R->is_piece);
	train_loop_free(&R->L);
	model_free(R->m);
	tokenizer_free(R->tk);
	train_data_free(&R->d);
}

/* Options are parsed before MPI starts, so a usage error ends every rank
 * alike; ranks other than 0 parse with standard error on /dev/null, so that
 * the message is printed once, not interleaved N times. */
static void parse_once(opts *o, int argc, char **argv)
{
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
	parse(o, argc, argv);
	if (saved_err >= 0) {
		fflush(stderr);
		dup2(saved_err, 2);
		close(saved_err);
	}
}

int main(int argc, char **argv)
{
	cli_init("gcsetrain", help);
	static run R;
	parse_once(&R.o, argc, argv);
	char **files = argv + optind;
	int nfiles = argc - optind;
	if (dist_init(&argc, &argv, err, sizeof err))
		cli_die("MPI: %s", err);
	R.rank = dist_rank();
	R.nrank = dist_size();
	R.lead = R.rank == 0;
	char rankname[32];
	if (!R.lead) {   /* other ranks: messages labelled, no progress line */
		snprintf(rankname, sizeof rankname, "gcsetrain[%d]", R.rank);
		cli_prog = rankname;
		R.o.prog_mode = -1;
		gemm_set_notice(0);   /* the GEMM notice comes from rank 0 */
	}
	R.ckdir = R.o.ckdir ? xstrdup(R.o.ckdir) : join(R.o.out, "checkpoint");
	R.ckpath = join(R.ckdir, "train.safetensors");
	R.lock[0] = R.lock[1] = -1;
	prepare_out(&R);
	load_model(&R);
	load_data(&R, files, nfiles);
	setup_training(&R);
	start_state(&R);
	prepare_checkpoints(&R);
	train(&R);
	in_sync(&R);
	if (R.lead && (!R.o.eval || !R.ps.saved_out))
		save_out(R.o.out, R.L.t, R.tk);
	if (R.lead && R.o.eval)
		cli_msg("best eval Spearman %.2f at step %ld, kept in %s", R.ps.best_eval, R.ps.best_step,
		        R.o.out);
	run_free(&R);
	ndjson_finish();
	for (int i = 0; i < 2; i++)   /* the run's files are written: release the folders */
		if (R.lock[i] >= 0)
			close(R.lock[i]);
	dist_finalize();
	return 0;
}
