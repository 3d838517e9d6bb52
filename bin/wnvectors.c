/* wnvectors — word vectors from WordNet's structure, in GloVe's text format,
 * for the programs that read word vectors (embed and stsscore --vectors,
 * gcsetrain --init-vectors). See lib/wordvec/wnvec.h. */
#include "base/cli.h"
#include "base/ndjson.h"
#include "kg/wordnet.h"
#include "wordvec/vectors.h"
#include "wordvec/wnvec.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: wnvectors [options]\n"
"\n"
"Write a vector for every single-word WordNet lemma, and for the inflected\n"
"forms that are no lemma themselves (dogs, ran), on standard output in\n"
"GloVe's text format (`word v1 ... vd`, one per line), most frequent word\n"
"first. A word's vector is made from WordNet alone: each synset has a random\n"
"direction; a synset sums its own and its hypernyms' (halved per link) and\n"
"half of those it is linked to (similar to, also see, derivation, attribute,\n"
"verb group); a word sums its senses, the k-th weighted 1/k, normalised to\n"
"length 1. Synonyms share directions, co-hyponyms their parents'.\n"
"\n"
"options:\n"
"  -d, --dim N           vector size (default 128, 1..4096)\n"
"      --decay X         weight per hypernym link (default 0.5, 0..1)\n"
"  -s, --seed S          the synsets' random directions (default 1)\n"
"      --order FILE      words in frequency order, one per line or `COUNT\n"
"                        WORD` as uniq -c writes (plain or gzip): these come\n"
"                        first, in that order; the rest by WordNet's sense\n"
"                        tag counts (SIF weights read the order as frequency)\n"
"      --no-inflect      lemmas only\n"
"  -w, --wordnet DIR     WordNet database directory (default $WNSEARCHDIR,\n"
"                        else /usr/share/wordnet)\n"
"      --threads N       threads (default: all cores; the output does not\n"
"                        depend on it)\n"
"  -q, --quiet           no message on stderr\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"Exit status: 0 ok, 1 runtime error (WordNet or FILE unreadable, a write\n"
"error), 2 usage error.\n";

int main(int argc, char **argv)
{
	const char *wndir = NULL, *order = NULL;
	wnvec_opts wo;
	wnvec_opts_init(&wo);
	cli_opts co;
	cli_opts_init(&co);
	enum { O_DECAY = 256, O_ORDER, O_NOINFL };
	static const struct option opts[] = {
		{"dim", required_argument, 0, 'd'},
		{"decay", required_argument, 0, O_DECAY},
		{"seed", required_argument, 0, 's'},
		{"order", required_argument, 0, O_ORDER},
		{"no-inflect", no_argument, 0, O_NOINFL},
		{"wordnet", required_argument, 0, 'w'},
		CLI_LONG_THREADS,
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init("wnvectors", help);
	int c;
	while ((c = getopt_long(argc, argv, "d:s:w:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': wo.dim = (int)cli_long("--dim", optarg, 1, 4096); break;
		case O_DECAY: wo.decay = cli_double("--decay", optarg, 0, 1); break;
		case 's': wo.seed = (uint64_t)cli_long("--seed", optarg, 0, INT64_MAX); break;
		case O_ORDER: order = optarg; break;
		case O_NOINFL: wo.inflect = 0; break;
		case 'w': wndir = optarg; break;
		default:
			if (!cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s' (wnvectors reads no input)", argv[optind]);
	if (co.skip_bad)
		cli_usage_error("--skip-bad: wnvectors reads no input");
	if (co.progress > 0)
		cli_usage_error("--progress: wnvectors has no progress line");
	cli_set_threads(co.threads);
	char err[1024];
	char **words = NULL;
	int nwords = 0;
	if (order && word_list_read(order, &words, NULL, &nwords, err, sizeof err))
		cli_die("%s", err);
	wordnet *wn = wn_load(wndir ? wndir : wn_default_dir(), err, sizeof err);
	if (!wn)
		cli_die("%s", err);
	wordvecs wv;
	if (wnvec_build(wn, &wo, (const char *const *)words, nwords, &wv, err, sizeof err))
		cli_die("%s", err);
	char num[32];
	for (int i = 0; i < wv.n; i++) {
		fputs(wv.words[i], stdout);
		for (int j = 0; j < wv.dim; j++) {
			fmt_float(num, wv.vecs[(size_t)i * wv.dim + j]);
			putchar(' ');
			fputs(num, stdout);
		}
		putchar('\n');
	}
	if (!co.quiet)
		cli_msg("%d words of %d dimensions", wv.n, wv.dim);
	wordvecs_free(&wv);
	vocab_free(words, nwords);
	wn_free(wn);
	ndjson_finish();
	return 0;
}
