/* kgextract — annotate sentences with entities, quantities and main parts
 * (rules + WordNet); optionally write the knowledge graph of the corpus. */
#include "cli.h"
#include "extract.h"
#include "kggraph.h"
#include "ndjson.h"
#include "wordnet.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: kgextract [options] [file ...]\n"
"\n"
"Read records {\"id\"?, \"text\", ...} as NDJSON (files, gzip files, or standard\n"
"input when none or '-') and write each one back with \"entities\",\n"
"\"quantities\" and \"parts\" added (see kgextract(1) for the formats). A record\n"
"without an \"id\" gets one: its 1-based position among the non-blank input\n"
"lines of all inputs. Every other field is kept.\n"
"\n"
"options:\n"
"  -g, --graph FILE          also write the knowledge graph of the whole input to\n"
"                            FILE (NDJSON, one node per line)\n"
"      --entity-neighbors N  neighbours per entity node (default 10, 0..1000)\n"
"      --part-neighbors N    neighbours per main-part node (default 5, 0..1000)\n"
"  -f, --field NAME          the text field (default text)\n"
"  -w, --wordnet DIR         WordNet database directory (default $WNSEARCHDIR,\n"
"                            else /usr/share/wordnet)\n"
"      --skip-bad            skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet               no progress line\n"
"      --progress            progress line on stderr even when it is not a terminal\n"
"  -h, --help                this help\n"
"  -V, --version             version\n"
"\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

/* Add a record's nodes to the graph, each node once per record. */
static void add_nodes(kg_graph *g, const kg_analysis *a, const wordnet *wn, int *seen, int *nseen)
{
	char buf[512];
	int n = 0;
	for (int k = 0; k < a->nent; k++) {
		const kg_entity *e = &a->ent[k];
		if (!kg_entity_node(a, e, wn, buf, sizeof buf))
			continue;
		const char *type = kg_type_name(e->type);
		int id = kg_graph_find(g, KG_ENTITY, type, buf), dup = 0;
		for (int j = 0; j < n && id >= 0; j++)
			dup |= seen[j] == id;
		if (dup)
			continue;
		id = kg_graph_add(g, KG_ENTITY, type, buf, e->type == KG_TYPE_NAME ? (e->lemma >= 0 ? WN_NOUN : -1) : WN_NOUN,
		                  e->type == KG_TYPE_NAME ? a->tok[e->head].lemma : e->lemma, -1);
		seen[n++] = id;
	}
	const kg_parts *P = &a->parts;
	const kg_part *parts[3] = {&P->subject, &P->action, &P->state};
	static const char *const roles[3] = {"subject", "action", "state"};
	for (int r = 0; r < 3; r++) {
		const kg_part *p = parts[r];
		if (!p->present || p->type == KG_TYPE_PRONOUN || !kg_part_node(a, p, wn, buf, sizeof buf))
			continue;
		int lemma = p->lemma, pos = p->pos;
		if (a->tok[p->head].tag == KG_NAME)
			pos = a->tok[p->head].lemma >= 0 ? WN_NOUN : -1, lemma = a->tok[p->head].lemma;
		kg_graph_add(g, KG_PART, roles[r], buf, pos, lemma, P->theme);
	}
	*nseen = n;
}

int main(int argc, char **argv)
{
	const char *graph_path = NULL, *field = "text", *wndir = NULL;
	int skip_bad = 0, prog_mode = 0;
	long k_ent = 10, k_part = 5;
	enum { O_SKIP = 256, O_PROGRESS, O_KENT, O_KPART };
	static const struct option opts[] = {
		{"graph", required_argument, 0, 'g'},
		{"entity-neighbors", required_argument, 0, O_KENT},
		{"part-neighbors", required_argument, 0, O_KPART},
		{"field", required_argument, 0, 'f'},
		{"wordnet", required_argument, 0, 'w'},
		{"skip-bad", no_argument, 0, O_SKIP},
		{"quiet", no_argument, 0, 'q'},
		{"progress", no_argument, 0, O_PROGRESS},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	cli_init("kgextract", help);
	int c;
	while ((c = getopt_long(argc, argv, "g:f:w:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'g': graph_path = optarg; break;
		case O_KENT: k_ent = cli_long("--entity-neighbors", optarg, 0, 1000); break;
		case O_KPART: k_part = cli_long("--part-neighbors", optarg, 0, 1000); break;
		case 'f': field = optarg; break;
		case 'w': wndir = optarg; break;
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
	FILE *gf = NULL;
	if (graph_path) {
		gf = fopen(graph_path, "w");
		if (!gf)
			cli_die("%s: %s", graph_path, strerror(errno));
	}
	char err[512];
	wordnet *wn = wn_load(wndir, err, sizeof err);
	if (!wn)
		cli_die("%s", err);
	kg_extractor *x = kg_extractor_new(wn);
	kg_analysis *a = kg_analysis_new();
	kg_graph *g = graph_path ? kg_graph_new() : NULL;
	int *seen = NULL, seencap = 0, nseen;

	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, skip_bad);
	progress pg;
	progress_init(&pg, prog_mode, "records");
	long nrec = 0, nret = 0, mybad = 0;
	jv rec;
	while (ndjson_next(r, &rec)) {
		nret++;
		long ordinal = nret + (ndjson_skipped(r) - mybad);
		jv text;
		if (!ndjson_get_string(r, rec, field, &text)) {
			mybad++;
			jv_free(rec);
			continue;
		}
		const char *s = jv_string_value(text);
		int len = jv_string_length_bytes(jv_copy(text));
		kg_analyze(x, s, (size_t)len, a);
		jv id = jv_object_get(jv_copy(rec), jv_string("id"));
		int has_id = jv_is_valid(id) && jv_get_kind(id) != JV_KIND_NULL;
		jv_free(id);
		if (!has_id)
			rec = jv_object_set(rec, jv_string("id"), jv_number((double)ordinal));
		rec = jv_object_set(rec, jv_string("entities"), kg_entities_json(x, a));
		rec = jv_object_set(rec, jv_string("quantities"), kg_quantities_json(x, a));
		rec = jv_object_set(rec, jv_string("parts"), kg_parts_json(x, a));
		if (g) {
			if (seencap < a->nent + 1) {
				seencap = 2 * (a->nent + 1);
				seen = xrealloc(seen, (size_t)seencap * sizeof *seen);
			}
			add_nodes(g, a, wn, seen, &nseen);
		}
		jv_free(text);
		ndjson_write(rec);
		progress_tick(&pg, ++nrec);
	}
	progress_done(&pg);
	ndjson_close(r);
	ndjson_finish();
	if (g) {
		kg_scorer sc;
		kg_wordnet_scorer_init(&sc, wn);
		kg_graph_build(g, &sc, (int)k_ent, (int)k_part);
		kg_wordnet_scorer_free(&sc);
		int ok = kg_graph_write(g, gf);
		if (fclose(gf) != 0)
			ok = 0;
		if (!ok)
			cli_die("%s: write error: %s", graph_path, strerror(errno));
		kg_graph_free(g);
	}
	free(seen);
	kg_analysis_free(a);
	kg_extractor_free(x);
	wn_free(wn);
	return EXIT_OK;
}
