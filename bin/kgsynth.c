/* kgsynth — rule-based positive and negative candidates for each sentence
 * (WordNet, and the knowledge graph of kgextract when given). */
#include "cli.h"
#include "kggraph.h"
#include "ndjson.h"
#include "synth.h"
#include "wordnet.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: kgsynth [options] [file ...]\n"
"\n"
"Read records {\"text\", ...} as NDJSON (files, gzip files, or standard input\n"
"when none or '-'), typically from kgextract, and write each one back with\n"
"\"candidates\": [{\"text\",\"role\",\"kind\",\"source\",\"rule\",\"fallback\"?}]\n"
"appended (an existing candidates array is kept and extended). Per record N\n"
"positives (70% rewrite, 30% related_swap) and N negatives (70% contradiction,\n"
"15% entity_swap, 15% quantity), made by rules from WordNet and the graph.\n"
"Records for which some candidate could not be made are counted on stderr.\n"
"\n"
"options:\n"
"  -n, --per-record N    positives and negatives per record (default 1, 1..100)\n"
"  -s, --seed S          random seed (default 0, 0..2^63-1); a record's\n"
"                        candidates depend only on the seed and its text\n"
"  -g, --graph FILE      knowledge graph from kgextract --graph (plain or gzip);\n"
"                        without one, WordNet alone\n"
"  -f, --field NAME      the text field (default text)\n"
"  -w, --wordnet DIR     WordNet database directory (default $WNSEARCHDIR,\n"
"                        else /usr/share/wordnet)\n"
"      --stats           print the number of candidates per kind on stderr\n"
"      --skip-bad        skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet           no progress line\n"
"      --progress        progress line on stderr even when it is not a terminal\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

int main(int argc, char **argv)
{
	const char *graph_path = NULL, *field = "text", *wndir = NULL;
	int skip_bad = 0, prog_mode = 0, stats = 0;
	long n = 1, seed = 0;
	enum { O_SKIP = 256, O_PROGRESS, O_STATS };
	static const struct option opts[] = {
		{"per-record", required_argument, 0, 'n'},
		{"seed", required_argument, 0, 's'},
		{"graph", required_argument, 0, 'g'},
		{"field", required_argument, 0, 'f'},
		{"wordnet", required_argument, 0, 'w'},
		{"stats", no_argument, 0, O_STATS},
		{"skip-bad", no_argument, 0, O_SKIP},
		{"quiet", no_argument, 0, 'q'},
		{"progress", no_argument, 0, O_PROGRESS},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	cli_init("kgsynth", help);
	int c;
	while ((c = getopt_long(argc, argv, "n:s:g:f:w:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = cli_long("--per-record", optarg, 1, 100); break;
		case 's': seed = cli_long("--seed", optarg, 0, INT64_MAX); break;
		case 'g': graph_path = optarg; break;
		case 'f': field = optarg; break;
		case 'w': wndir = optarg; break;
		case O_STATS: stats = 1; break;
		case O_SKIP: skip_bad = 1; break;
		case 'q': prog_mode = -1; break;
		case O_PROGRESS: prog_mode = 1; break;
		case 'h': cli_help();
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	}
	if (!*field)
		cli_usage_error("--field: empty name");
	if (!wndir)
		wndir = wn_default_dir();
	char err[1024];
	wordnet *wn = wn_load(wndir, err, sizeof err);
	if (!wn)
		cli_die("%s", err);
	kg_graph *g = NULL;
	if (graph_path && !(g = kg_graph_read(graph_path, wn, err, sizeof err)))
		cli_die("%s", err);
	kg_synth *s = kg_synth_new(wn, g);

	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, skip_bad);
	progress pg;
	progress_init(&pg, prog_mode, "records");
	long nrec = 0, nopos = 0, noneg = 0, none = 0;
	long per_kind[KG_NKINDS] = {0};
	jv rec;
	while (ndjson_next(r, &rec)) {
		jv text;
		if (!ndjson_get_string(r, rec, field, &text)) {
			jv_free(rec);
			continue;
		}
		jv cands = jv_object_get(jv_copy(rec), jv_string("candidates"));
		jv_kind ck = jv_get_kind(cands);
		if (ck != JV_KIND_ARRAY && ck != JV_KIND_NULL && ck != JV_KIND_INVALID) {
			ndjson_bad(r, "field \"candidates\": expected array, got %s", ndjson_kind_name(cands));
			jv_free(cands);
			jv_free(text);
			jv_free(rec);
			continue;
		}
		if (ck != JV_KIND_ARRAY) {
			jv_free(cands);
			cands = jv_array();
		}
		const kg_candidate *cv;
		int np, nn;
		int m = kg_synth_record(s, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)),
		                        (uint64_t)seed, (int)n, &cv, &np, &nn);
		for (int i = 0; i < m; i++) {
			jv o = jv_object();
			o = jv_object_set(o, jv_string("text"), jv_string(cv[i].text));
			o = jv_object_set(o, jv_string("role"),
			                  jv_string(cv[i].role == KG_POSITIVE ? "positive" : "negative"));
			o = jv_object_set(o, jv_string("kind"), jv_string(kg_kind_name(cv[i].kind)));
			o = jv_object_set(o, jv_string("source"), jv_string("rules"));
			o = jv_object_set(o, jv_string("rule"), jv_string(cv[i].rule ? cv[i].rule : ""));
			if (cv[i].planned != cv[i].kind)
				o = jv_object_set(o, jv_string("fallback"), jv_string(kg_kind_name(cv[i].planned)));
			cands = jv_array_append(cands, o);
			per_kind[cv[i].kind]++;
		}
		nopos += np < n;
		noneg += nn < n;
		none += m == 0;
		rec = jv_object_set(rec, jv_string("candidates"), cands);
		jv_free(text);
		ndjson_write(rec);
		progress_tick(&pg, ++nrec);
	}
	progress_done(&pg);
	ndjson_close(r);
	ndjson_finish();
	if (nopos || noneg)
		cli_msg("%ld of %ld records without all %ld positive(s), %ld without all negative(s), "
		        "%ld without any candidate", nopos, nrec, n, noneg, none);
	if (stats)
		for (int k = 0; k < KG_NKINDS; k++)
			cli_msg("%s %ld", kg_kind_name(k), per_kind[k]);
	kg_synth_free(s);
	kg_graph_free(g);
	wn_free(wn);
	return EXIT_OK;
}
