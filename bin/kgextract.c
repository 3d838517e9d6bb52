/* kgextract — annotate sentences with entities, quantities and main parts
 * (rules + WordNet, or an LLM with --llm); optionally write the knowledge
 * graph of the corpus. */
#include "base/cli.h"
#include "nn/encoder.h"
#include "kg/extract.h"
#include "kg/kgembed.h"
#include "kg/kggraph.h"
#include "llm/kgllm.h"
#include "llm/llm.h"
#include "llm/llmqueue.h"
#include "llm/llmrun.h"
#include "base/ndjson.h"
#include "llm/prompts.h"
#include "kg/wordnet.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
"usage: kgextract [options] [file ...]\n"
"\n"
"Read records {\"id\"?, \"text\", ...} as NDJSON (files, gzip files, or standard\n"
"input when none or '-') and write each one back with \"entities\",\n"
"\"quantities\" and \"parts\" added (see kgextract(1) for the formats). A record\n"
"without an \"id\" gets one: its 1-based position among the non-blank input\n"
"lines of all inputs. Every other field is kept. With --llm a chat model\n"
"finds them instead and each record gets \"kg_source\": \"llm\", or \"rules\"\n"
"when the model gave no valid answer and the rules stood in.\n"
"\n"
"options:\n"
"  -g, --graph FILE          also write the knowledge graph of the whole input to\n"
"                            FILE (NDJSON, one node per line)\n"
"      --entity-neighbors N  with --graph: neighbours per entity node (default\n"
"                            10, 0..1000)\n"
"      --part-neighbors N    with --graph: neighbours per main-part node\n"
"                            (default 5, 0..1000)\n"
"  -m, --model DIR           graph neighbours by the cosine of the node texts'\n"
"                            embeddings with the sentence encoder in DIR (a\n"
"                            Hugging Face BERT directory; its own pooling)\n"
"                            instead of WordNet relatedness; needs --graph\n"
"      --batch-size N        texts per forward pass of --model (default 64)\n"
"      --threads N           threads for --model (default: all cores)\n"
"  -f, --field NAME          the text field (default text)\n"
"      --seed S              with --llm: the seed sent with every request\n"
"                            (default 0, 0..2^63-1; its low 31 bits are sent)\n"
"  -w, --wordnet DIR         WordNet database directory (default $WNSEARCHDIR,\n"
"                            else /usr/share/wordnet)\n"
"      --skip-bad            skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet               no progress line (and no LLM summary unless\n"
"                            something failed)\n"
"      --progress            progress line on stderr even when it is not a terminal\n"
"  -h, --help                this help\n"
"  -V, --version             version\n"
"\n"
LLM_OPTIONS_HELP
"\n"
"Exit status: 0 ok, 1 bad input or runtime error (with --llm also: the server\n"
"cannot be reached or refuses, or --on-invalid report and a record got no\n"
"valid answer), 2 usage error.\n";

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

/* ---- the LLM path ----
 * One request per record; answers come back in submission order; a record
 * is written once its answer is in and every record before it is written. */

typedef struct pend pend;
struct pend {
	llm_qnode q;       /* first (llm/llmqueue.h); q.pending 1 while the answer is on its way */
	jv rec, text;
	int status;        /* -1 not asked (blank text), else LLM_OK, LLM_INVALID, LLM_FAILED */
	jv answer;
	char *error;
};

typedef struct state {
	kg_extractor *x;
	kg_analysis *a;
	const wordnet *wn;
	kg_graph *g;
	int *seen, seencap;
	int report;
	llm_queue queue;   /* records in input order, out when answered */
	long from_llm, fell_back, reported, blank, unlocated, repeated;
} state;

static void rule_fields(state *st, jv *rec)
{
	*rec = jv_object_set(*rec, jv_string("entities"), kg_entities_json(st->x, st->a));
	*rec = jv_object_set(*rec, jv_string("quantities"), kg_quantities_json(st->x, st->a));
	*rec = jv_object_set(*rec, jv_string("parts"), kg_parts_json(st->x, st->a));
	if (st->g) {
		int nseen;
		if (st->seencap < st->a->nent + 1) {
			st->seencap = 2 * (st->a->nent + 1);
			st->seen = xrealloc(st->seen, (size_t)st->seencap * sizeof *st->seen);
		}
		add_nodes(st->g, st->a, st->wn, st->seen, &nseen);
	}
}

static void finish(state *st, pend *x)
{
	const char *s = jv_string_value(x->text);
	kg_analyze(st->x, s, (size_t)jv_string_length_bytes(jv_copy(x->text)), st->a);
	jv out = x->rec;
	x->rec = jv_invalid();
	if (x->status == LLM_OK) {
		jv ents, qtys, parts, unloc = jv_array();
		st->repeated += kg_llm_fields(st->x, st->a, x->answer, &ents, &qtys, &parts, &unloc);
		if (st->g)
			kg_llm_add_nodes(st->g, st->wn, st->a, ents, parts);
		out = jv_object_set(out, jv_string("entities"), ents);
		out = jv_object_set(out, jv_string("quantities"), qtys);
		out = jv_object_set(out, jv_string("parts"), parts);
		out = jv_object_set(out, jv_string("kg_source"), jv_string("llm"));
		int nu = jv_array_length(jv_copy(unloc));
		st->unlocated += nu;
		if (nu)
			out = jv_object_set(out, jv_string("kg_unlocated"), unloc);
		else
			jv_free(unloc);
		st->from_llm++;
	} else if (x->status < 0 || !st->report) {
		rule_fields(st, &out);
		out = jv_object_set(out, jv_string("kg_source"), jv_string("rules"));
		if (x->status < 0)
			st->blank++;
		else
			st->fell_back++;
	} else {
		out = jv_object_set(out, jv_string("kg_source"), jv_string("none"));
		out = jv_object_set(out, jv_string("llm_error"), jv_string(x->error ? x->error : "failed"));
		st->reported++;
	}
	ndjson_write(out);
	ndjson_finish();   /* the reader sees each record at once; a closed output shows */
}

/* llm_queue_flush's out: a record whose answer came, written and freed. */
static void out_pend(void *ctx, llm_qnode *n)
{
	pend *x = (pend *)n;
	finish(ctx, x);
	jv_free(x->text);
	jv_free(x->answer);
	free(x->error);
	free(x);
}

static void deliver(void *ctx, const llm_result *r)
{
	state *st = ctx;
	pend *x = r->user;
	x->status = r->status;
	if (r->status == LLM_OK)
		x->answer = jv_copy(r->answer);
	else
		x->error = xstrdup(r->error ? r->error : "failed");
	x->q.pending = 0;
	llm_queue_flush(&st->queue, out_pend, st);
}

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
	const char *graph_path, *field, *wndir;
	long k_ent, k_part, seed;
	const char *model_dir;
	int batch;          /* 0: not given (64) */
	llm_opts lo;
	cli_opts co;
} opts;

enum { O_KENT = 256, O_KPART, O_BATCH, O_SEED };

/* The long options (getopt_long). */
static const struct option long_opts[] = {
	{"graph", required_argument, 0, 'g'},
	{"entity-neighbors", required_argument, 0, O_KENT},
	{"part-neighbors", required_argument, 0, O_KPART},
	{"model", required_argument, 0, 'm'},
	{"batch-size", required_argument, 0, O_BATCH},
	CLI_LONG_THREADS,
	{"field", required_argument, 0, 'f'},
	{"seed", required_argument, 0, O_SEED},
	{"wordnet", required_argument, 0, 'w'},
	CLI_LONG_OPTIONS,
	LLM_LONG_OPTIONS,
	{0, 0, 0, 0},
};

/* The options and their checks; a usage error ends the process (exit 2). */
static void parse(opts *o, int argc, char **argv)
{
	o->graph_path = NULL, o->field = "text", o->wndir = NULL;
	o->k_ent = 10, o->k_part = 5, o->seed = 0;
	int given_k = 0, seed_given = 0;
	o->model_dir = NULL;
	o->batch = 0;
	llm_opts_init(&o->lo);
	cli_opts_init(&o->co);
	cli_init("kgextract", help);
	int c;
	while ((c = getopt_long(argc, argv, "g:m:f:w:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->graph_path = optarg; break;
		case O_KENT: o->k_ent = cli_long("--entity-neighbors", optarg, 0, 1000), given_k = 1; break;
		case O_KPART: o->k_part = cli_long("--part-neighbors", optarg, 0, 1000), given_k = 1; break;
		case 'm': o->model_dir = optarg; break;
		case O_BATCH: o->batch = (int)cli_long("--batch-size", optarg, 1, 1 << 16); break;
		case 'f': o->field = optarg; break;
		case O_SEED: o->seed = cli_long("--seed", optarg, 0, INT64_MAX); seed_given = 1; break;
		case 'w': o->wndir = optarg; break;
		default:
			if (!cli_getopt(&o->co, c, optarg) && !llm_getopt(&o->lo, c, optarg))
				cli_usage_error(NULL);
		}
	}
	llm_opts_check(&o->lo, o->co.quiet, o->seed);
	if (seed_given && !o->lo.url)
		cli_usage_error("--seed needs --llm URL (the rules draw nothing at random)");
	if (!*o->field)
		cli_usage_error("--field: empty name");
	const char *same, *graph_path = o->graph_path;
	if (graph_path && (same = ndjson_same_file(argv + optind, argc - optind, graph_path)))
		cli_usage_error("--graph %s: the same file as %s", graph_path, same);
	if (given_k && !graph_path)
		cli_usage_error("--entity-neighbors and --part-neighbors need --graph FILE");
	if (o->model_dir && !graph_path)
		cli_usage_error("--model needs --graph FILE (it scores the graph's neighbours)");
	if (!o->model_dir && (o->co.threads >= 0 || o->batch))
		cli_usage_error("--threads and --batch-size need --model DIR");
	if (o->model_dir)
		cli_set_threads(o->co.threads);
	if (!o->wndir)
		o->wndir = wn_default_dir();
}

/* ---- the run -------------------------------------------------------------- */

/* What the steps of main share. */
typedef struct run {
	opts o;
	encoder *enc;       /* --model */
	FILE *gf;           /* --graph */
	wordnet *wn;
	state st;
	llm_client *cl;     /* --llm: the client, the prompt, its type list and format */
	prompt *pr;
	char *types;
	llm_format fmt;
	long nret, nbad;    /* records read so far, and how many of them were bad */
	char err[1024];
} run;

/* The encoder, the graph file, WordNet and the extractor. */
static void setup(run *R)
{
	const opts *o = &R->o;
	if (o->model_dir) {
		char e2[1024];
		encoder_opts eo;
		encoder_opts_init(&eo);
		eo.batch_size = o->batch ? o->batch : 64;
		if (!(R->enc = encoder_open(o->model_dir, &eo, e2, sizeof e2)))
			cli_die("%s: %s", o->model_dir, e2);
	}
	if (o->graph_path) {
		R->gf = fopen(o->graph_path, "w");
		if (!R->gf)
			cli_die("%s: %s", o->graph_path, strerror(errno));
	}
	R->wn = wn_load(o->wndir, R->err, sizeof R->err);
	if (!R->wn)
		cli_die("%s", R->err);
	R->st = (state){.x = kg_extractor_new(R->wn), .a = kg_analysis_new(), .wn = R->wn,
	                .g = o->graph_path ? kg_graph_new() : NULL, .report = o->lo.on_invalid == LLM_REPORT};
	R->fmt = (llm_format){.shape = jv_invalid(), .schema = jv_invalid()};
}

/* --llm: the prompt, the answer's format, the client. */
static void open_llm(run *R)
{
	char *err = R->err;
	size_t errlen = sizeof R->err;
	char *dir = prompts_dir(R->o.lo.prompts_dir, err, errlen);
	if (!dir)
		cli_die("%s", err);
	R->pr = prompt_load(dir, "kgextract", err, errlen);
	free(dir);
	static const char *const names[] = {"text", "types", NULL};
	if (!R->pr || !prompt_check(R->pr, names, err, errlen))
		cli_die("%s", err);
	R->types = kg_llm_types();
	if (llm_format_init(&R->fmt, "kgextract", LLM_SHAPE_KGEXTRACT, kg_llm_check, err, errlen))
		cli_die("%s", err);
	if (!(R->cl = llm_open(&R->o.lo, deliver, &R->st, err, errlen)))
		cli_die("%s", err);
}

/* --llm: queue record rec (its text text) and ask for its answer; a blank
 * text asks nothing. 1 when the client failed for good, else 0. */
static int submit_record(run *R, ndjson_reader *r, jv rec, jv text)
{
	state *st = &R->st;
	pend *x = xcalloc(1, sizeof *x);
	x->rec = rec;
	x->text = text;
	x->answer = jv_invalid();
	char *line1 = llm_one_line(jv_string_value(text));
	x->status = *line1 ? LLM_OK : -1;
	x->q.pending = *line1 != 0;
	free(line1);
	jv msgs = jv_invalid();
	if (x->q.pending) {
		const char *vars[] = {"text", jv_string_value(text), "types", R->types, NULL};
		msgs = prompt_messages(R->pr, vars, R->err, sizeof R->err);
		if (!jv_is_valid(msgs))
			cli_die("%s", R->err);
	}
	llm_queue_push(&st->queue, &x->q);
	/* a blank text asks nothing: out as soon as its turn comes (x may
	 * be freed here, and once submitted, inside llm_submit) */
	if (!x->q.pending) {
		llm_queue_flush(&st->queue, out_pend, st);
		return 0;
	}
	return llm_submit(R->cl, &(llm_request){
		.index = ndjson_lineno(r), .messages = msgs, .format = &R->fmt,
		.ctx = (void *)jv_string_value(x->text),
		.max_tokens = KG_LLM_EXTRACT_TOKENS(jv_string_length_bytes(jv_copy(x->text))),
		.user = x}) < 0;
}

/* One input record (llm_take_fn): an "id" when it has none, then annotated
 * by the rules and written, or queued for the LLM. */
static int take_record(void *ctx, ndjson_reader *r, jv rec)
{
	run *R = ctx;
	R->nret++;
	long ordinal = R->nret + (ndjson_skipped(r) - R->nbad);
	jv text;
	if (!ndjson_get_string(r, rec, R->o.field, &text)) {
		R->nbad++;
		jv_free(rec);
		return LLM_TAKE_BAD;
	}
	jv id = jv_object_get(jv_copy(rec), jv_string("id"));
	int has_id = jv_is_valid(id) && jv_get_kind(id) != JV_KIND_NULL;
	jv_free(id);
	if (!has_id)
		rec = jv_object_set(rec, jv_string("id"), jv_number((double)ordinal));
	if (R->cl)
		return submit_record(R, r, rec, text) ? LLM_TAKE_FATAL : LLM_TAKE_OK;
	const char *s = jv_string_value(text);
	int len = jv_string_length_bytes(jv_copy(text));
	kg_analyze(R->st.x, s, (size_t)len, R->st.a);
	rule_fields(&R->st, &rec);
	jv_free(text);
	ndjson_write(rec);
	return LLM_TAKE_OK;
}

/* --graph: the neighbours (by --model or WordNet), then the file written. */
static void write_graph(run *R)
{
	const opts *o = &R->o;
	state *st = &R->st;
	kg_scorer sc;
	if (R->enc) {
		kg_embed_scorer_init(&sc, R->enc, (int)o->k_ent, (int)o->k_part);
		kg_graph_build(st->g, &sc, (int)o->k_ent, (int)o->k_part);
		if (kg_embed_scorer_error(&sc))
			cli_die("%s: %s", o->model_dir, kg_embed_scorer_error(&sc));
		long nt, ne = kg_embed_scorer_count(&sc, &nt);
		if (nt)
			cli_msg("truncated %ld of %ld node texts to %d tokens", nt, ne, encoder_max_length(R->enc));
		kg_embed_scorer_free(&sc);
		encoder_free(R->enc);
	} else {
		kg_wordnet_scorer_init(&sc, R->wn);
		kg_graph_build(st->g, &sc, (int)o->k_ent, (int)o->k_part);
		kg_wordnet_scorer_free(&sc);
	}
	int ok = kg_graph_write(st->g, R->gf) == 0;
	if (fclose(R->gf) != 0)
		ok = 0;
	if (!ok)
		cli_die("%s: write error: %s", o->graph_path, strerror(errno));
	kg_graph_free(st->g);
}

int main(int argc, char **argv)
{
	static run R;
	parse(&R.o, argc, argv);
	setup(&R);
	if (R.o.lo.url)
		open_llm(&R);

	llm_run_records(argv + optind, argc - optind, &R.o.co, R.cl, take_record, &R);
	state *st = &R.st;
	if (R.cl && (!R.o.lo.quiet || st->fell_back || st->reported || st->unlocated || st->repeated))
		cli_msg("%ld records from the LLM, %ld from the rules after the LLM failed, %ld reported, "
		        "%ld blank (rules); %ld spans of the LLM not found in their sentence (left out, "
		        "listed in kg_unlocated), %ld repeated spans merged",
		        st->from_llm, st->fell_back, st->reported, st->blank, st->unlocated, st->repeated);
	if (st->g)
		write_graph(&R);
	free(st->seen);
	free(R.types);
	llm_format_free(&R.fmt);
	prompt_free(R.pr);
	kg_analysis_free(st->a);
	kg_extractor_free(st->x);
	wn_free(R.wn);
	if (st->reported) {
		cli_msg("%ld records got no valid answer (--on-invalid report)", st->reported);
		return EXIT_DATA;
	}
	return EXIT_OK;
}
