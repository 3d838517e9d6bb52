/* kgsynth — positive and negative candidates for each sentence: by rules
 * (WordNet, and the knowledge graph of kgextract when given), or by an LLM
 * (--llm) with the rules as the fallback. */
#include "base/cli.h"
#include "kg/kggraph.h"
#include "llm/kgllm.h"
#include "llm/llm.h"
#include "llm/llmqueue.h"
#include "llm/llmrun.h"
#include "base/ndjson.h"
#include "llm/prompts.h"
#include "kg/synth.h"
#include "kg/wordnet.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
"usage: kgsynth [options] [file ...]\n"
"\n"
"Read records {\"text\", ...} as NDJSON (files, gzip files, or standard input\n"
"when none or '-'), typically from kgextract, and write each one back with\n"
"\"candidates\": [{\"text\",\"role\",\"kind\",\"source\",...}] appended (an\n"
"existing candidates array is kept and extended). Per record N positives\n"
"(70% rewrite, 30% related_swap) and N negatives (70% contradiction, 15%\n"
"entity_swap, 15% quantity), made by rules from WordNet and the graph\n"
"(\"source\": \"rules\"), or with --llm by a chat model (\"source\": \"llm\"; a\n"
"candidate the model fails to give is made by the rules instead).\n"
"Records for which some candidate could not be made are counted on stderr.\n"
"\n"
"options:\n"
"  -n, --per-record N    positives and negatives per record (default 1, 1..100)\n"
"  -s, --seed S          random seed (default 0, 0..2^63-1); a record's\n"
"                        candidates depend only on the seed and its text;\n"
"                        with --llm also every request's seed (low 31 bits)\n"
"      --positive-mix SPEC  the rule path's positive families and shares,\n"
"                        \"kind:share,...\" (default " KG_MIX_POSITIVE ");\n"
"                        the order gives the fallbacks, share 0 a fallback only\n"
"      --negative-mix SPEC  the same for negatives (default\n"
"                        " KG_MIX_NEGATIVE "); any family\n"
"                        may be on either side: its candidates take that role;\n"
"                        also gloss, sense_synonym (positives) and sense_swap,\n"
"                        gloss_swap (negatives), from a word's WordNet senses\n"
"  -g, --graph FILE      knowledge graph from kgextract --graph (plain or gzip);\n"
"                        without one, WordNet alone\n"
"  -f, --field NAME      the text field (default text)\n"
"  -w, --wordnet DIR     WordNet database directory (default $WNSEARCHDIR,\n"
"                        else /usr/share/wordnet)\n"
"      --stats           print the number of candidates per kind on stderr\n"
"      --skip-bad        skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet           no progress line (and no LLM summary unless something\n"
"                        failed)\n"
"      --progress        progress line on stderr even when it is not a terminal\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
LLM_OPTIONS_HELP
"\n"
"Exit status: 0 ok, 1 bad input or runtime error (with --llm also: the server\n"
"cannot be reached or refuses, or --on-invalid report and a candidate got no\n"
"valid answer), 2 usage error.\n";

/* ---- the rule path's candidate objects ---- */

static jv rule_cand(const kg_candidate *c)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("text"), jv_string(c->text));
	o = jv_object_set(o, jv_string("role"), jv_string(c->role == KG_POSITIVE ? "positive" : "negative"));
	o = jv_object_set(o, jv_string("kind"), jv_string(kg_kind_name(c->kind)));
	o = jv_object_set(o, jv_string("source"), jv_string("rules"));
	o = jv_object_set(o, jv_string("rule"), jv_string(c->rule ? c->rule : ""));
	if (c->planned != c->kind)
		o = jv_object_set(o, jv_string("fallback"), jv_string(kg_kind_name(c->planned)));
	return o;
}

/* ---- the LLM path ----
 * Each record becomes 2n requests (one per plan, see synth.h); answers come
 * back in submission order; a record is written once all its answers are in
 * and every record before it is written (records are queued in input order). */

typedef struct rec rec;
typedef struct slot {
	rec *owner;
	int done;          /* 1 answered (text), 2 failed (error) */
	char *text;
	char *error;
} slot;

struct rec {
	llm_qnode q;       /* first (llm/llmqueue.h); q.pending: slots still unanswered */
	jv rec, text, cands;
	char *anchor;      /* the text on one line: sent, and the validator's context */
	int nslots;
	kg_plan *plans;
	slot *slots;
};

typedef struct state {
	kg_synth *s;
	long seed;
	int n, report;
	llm_queue queue;   /* records in input order, out when answered */
	long per_kind[KG_NKINDS][2];   /* [kind][0 rules, 1 llm] */
	long nrec, nopos, noneg, none;
	long from_llm, fell_back, missing, reported;
} state;

/* One line of plain text: control characters and runs of blanks become one
 * space, trimmed. */
static char *plain_line(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	char *o = llm_one_line(t);
	free(t);
	return o;
}

static jv llm_cand(const kg_plan *p, const char *text)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("text"), jv_string(text));
	o = jv_object_set(o, jv_string("role"), jv_string(p->role == KG_POSITIVE ? "positive" : "negative"));
	o = jv_object_set(o, jv_string("kind"), jv_string(kg_kind_name(p->kind)));
	o = jv_object_set(o, jv_string("source"), jv_string("llm"));
	o = jv_object_set(o, jv_string("prompt"), jv_string(kg_prompt_name(p->kind)));
	switch (p->kind) {
	case KG_REWRITE:
	case KG_CONTRADICTION:
		o = jv_object_set(o, jv_string("style"), jv_string(p->style));
		break;
	case KG_RELATED_SWAP:
	case KG_ENTITY_SWAP:
		o = jv_object_set(o, jv_string("old"), jv_string(p->old));
		o = jv_object_set(o, jv_string("new"), jv_string(p->repl));
		break;
	case KG_QUANTITY:
		o = jv_object_set(o, jv_string("subject"), jv_string(p->subject));
		o = jv_object_set(o, jv_string("count"), jv_number((double)p->count));
		break;
	}
	if (p->planned != p->kind)
		o = jv_object_set(o, jv_string("fallback"), jv_string(kg_kind_name(p->planned)));
	return o;
}

static void rec_free(rec *x)
{
	for (int j = 0; j < x->nslots; j++) {
		free(x->slots[j].text);
		free(x->slots[j].error);
	}
	free(x->slots);
	free(x->plans);
	free(x->anchor);
	jv_free(x->text);
	jv_free(x->cands);
	jv_free(x->rec);
	free(x);
}

/* Write a finished record: the LLM's candidates, the rules' in place of the
 * failed ones (or, with --on-invalid report, "llm_errors"). */
static void finish(state *st, rec *x)
{
	const kg_candidate *cv = NULL;
	int np = 0, nn = 0, m = 0, failed = 0;
	for (int j = 0; j < x->nslots; j++)
		failed += x->slots[j].done != 1;
	if (x->nslots == 0 || (failed && !st->report))
		m = kg_synth_record(st->s, jv_string_value(x->text), (size_t)jv_string_length_bytes(jv_copy(x->text)),
		                    (uint64_t)st->seed, st->n, &cv, &np, &nn);
	jv cands = x->cands;
	x->cands = jv_invalid();
	jv errs = jv_array();
	int have[2] = {0, 0};
	if (x->nslots == 0) {
		/* a blank text: nothing to ask; the rules' answer (usually none) */
		for (int i = 0; i < m; i++) {
			cands = jv_array_append(cands, rule_cand(&cv[i]));
			st->per_kind[cv[i].kind][0]++;
		}
		have[0] = np, have[1] = nn;
	}
	for (int j = 0; j < x->nslots; j++) {
		const kg_plan *p = &x->plans[j];
		const slot *sl = &x->slots[j];
		int i = j < st->n ? j : j - st->n;   /* sample number within its role */
		if (sl->done == 1) {
			cands = jv_array_append(cands, llm_cand(p, sl->text));
			st->per_kind[p->kind][1]++;
			st->from_llm++;
			have[p->role]++;
		} else if (st->report) {
			errs = jv_array_append(errs, jv_string_fmt("%s %d (%s): %s", p->role == KG_POSITIVE ? "positive" : "negative",
			                                           i + 1, kg_kind_name(p->kind), sl->error ? sl->error : "failed"));
			st->reported++;
		} else {
			const kg_candidate *c = NULL;
			if (p->role == KG_POSITIVE && i < np)
				c = &cv[i];
			else if (p->role == KG_NEGATIVE && i < nn)
				c = &cv[np + i];
			if (c) {
				cands = jv_array_append(cands, rule_cand(c));
				st->per_kind[c->kind][0]++;
				st->fell_back++;
				have[p->role]++;
			} else
				st->missing++;
		}
	}
	st->nopos += have[0] < st->n;
	st->noneg += have[1] < st->n;
	st->none += have[0] + have[1] == 0;
	jv out = jv_object_set(jv_copy(x->rec), jv_string("candidates"), cands);
	if (jv_array_length(jv_copy(errs)) > 0)
		out = jv_object_set(out, jv_string("llm_errors"), errs);
	else
		jv_free(errs);
	ndjson_write(out);
	ndjson_finish();   /* the reader sees each record at once; a closed output shows */
}

/* llm_queue_flush's out: a record whose answers all came, written and
 * freed. */
static void out_rec(void *ctx, llm_qnode *n)
{
	finish(ctx, (rec *)n);
	rec_free((rec *)n);
}

static void deliver(void *ctx, const llm_result *r)
{
	state *st = ctx;
	slot *sl = r->user;
	if (r->status == LLM_OK) {
		jv t = jv_object_get(jv_copy(r->answer), jv_string("text"));
		sl->text = plain_line(jv_string_value(t));
		jv_free(t);
		sl->done = 1;
	} else {
		sl->error = xstrdup(r->error ? r->error : "failed");
		sl->done = 2;
	}
	sl->owner->q.pending--;
	llm_queue_flush(&st->queue, out_rec, st);
}

static prompt *prompts[KG_NKINDS];

static void load_prompts(const char *opt)
{
	char err[1024];
	char *dir = prompts_dir(opt, err, sizeof err);
	if (!dir)
		cli_die("%s", err);
	static const char *const names_style[] = {"text", "style", NULL};
	static const char *const names_swap[] = {"text", "old", "new", NULL};
	static const char *const names_qty[] = {"text", "subject", "count", NULL};
	for (int k = 0; k < KG_NKINDS; k++) {
		const char *name = kg_prompt_name(k);
		if (!name)
			continue;
		if (!(prompts[k] = prompt_load(dir, name, err, sizeof err)))
			cli_die("%s", err);
		const char *const *names = k == KG_REWRITE || k == KG_CONTRADICTION ? names_style
		                           : k == KG_QUANTITY ? names_qty : names_swap;
		if (!prompt_check(prompts[k], names, err, sizeof err))
			cli_die("%s", err);
	}
	free(dir);
}

static jv plan_messages(const kg_plan *p, const char *anchor)
{
	char count[32], err[512];
	const char *vars[8] = {"text", anchor};
	switch (p->kind) {
	case KG_REWRITE:
	case KG_CONTRADICTION:
		vars[2] = "style", vars[3] = p->style;
		break;
	case KG_RELATED_SWAP:
	case KG_ENTITY_SWAP:
		vars[2] = "old", vars[3] = p->old, vars[4] = "new", vars[5] = p->repl;
		break;
	case KG_QUANTITY:
		snprintf(count, sizeof count, "%ld", p->count);
		vars[2] = "subject", vars[3] = p->subject, vars[4] = "count", vars[5] = count;
		break;
	}
	jv m = prompt_messages(prompts[p->kind], vars, err, sizeof err);
	if (!jv_is_valid(m))
		cli_die("%s", err);
	return m;
}

static void print_stats(const state *st, int llm)
{
	for (int k = 0; k < KG_NKINDS; k++) {
		if (llm)
			cli_msg("%s %ld (llm %ld, rules %ld)", kg_kind_name(k), st->per_kind[k][0] + st->per_kind[k][1],
			        st->per_kind[k][1], st->per_kind[k][0]);
		else
			cli_msg("%s %ld", kg_kind_name(k), st->per_kind[k][0]);
	}
}

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
	const char *graph_path, *field, *wndir;
	int stats;
	long n, seed;
	llm_opts lo;
	cli_opts co;
	const char *mixspec[2];   /* --positive-mix, --negative-mix; NULL: not given */
	kg_mix mix[2];            /* and parsed */
} opts;

enum { O_STATS = 256, O_POSMIX, O_NEGMIX };

/* The long options (getopt_long). */
static const struct option long_opts[] = {
	{"per-record", required_argument, 0, 'n'},
	{"seed", required_argument, 0, 's'},
	{"graph", required_argument, 0, 'g'},
	{"field", required_argument, 0, 'f'},
	{"wordnet", required_argument, 0, 'w'},
	{"stats", no_argument, 0, O_STATS},
	{"positive-mix", required_argument, 0, O_POSMIX},
	{"negative-mix", required_argument, 0, O_NEGMIX},
	CLI_LONG_OPTIONS,
	LLM_LONG_OPTIONS,
	{0, 0, 0, 0},
};

/* The options and their checks; a usage error ends the process (exit 2). */
static void parse(opts *o, int argc, char **argv)
{
	o->graph_path = NULL, o->field = "text", o->wndir = NULL;
	o->stats = 0;
	o->n = 1, o->seed = 0;
	llm_opts_init(&o->lo);
	cli_opts_init(&o->co);
	o->mixspec[0] = o->mixspec[1] = NULL;
	char err[1024];
	cli_init("kgsynth", help);
	int c;
	while ((c = getopt_long(argc, argv, "n:s:g:f:w:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->n = cli_long("--per-record", optarg, 1, 100); break;
		case 's': o->seed = cli_long("--seed", optarg, 0, INT64_MAX); break;
		case 'g': o->graph_path = optarg; break;
		case 'f': o->field = optarg; break;
		case 'w': o->wndir = optarg; break;
		case O_STATS: o->stats = 1; break;
		case O_POSMIX: o->mixspec[KG_POSITIVE] = optarg; break;
		case O_NEGMIX: o->mixspec[KG_NEGATIVE] = optarg; break;
		default:
			if (!cli_getopt(&o->co, c, optarg) && !llm_getopt(&o->lo, c, optarg))
				cli_usage_error(NULL);
		}
	}
	llm_opts_check(&o->lo, o->co.quiet, o->seed);
	if (!*o->field)
		cli_usage_error("--field: empty name");
	for (int role = 0; role < 2; role++) {
		const char *name = role == KG_POSITIVE ? "--positive-mix" : "--negative-mix";
		if (!o->mixspec[role])
			continue;
		if (o->lo.url)
			cli_usage_error("%s: the rule path's mix; with --llm the plans follow METHOD.md's shares",
			                name);
		if (kg_mix_parse(&o->mix[role], o->mixspec[role], err, sizeof err))
			cli_usage_error("%s: %s", name, err);
	}
}

/* ---- the run -------------------------------------------------------------- */

/* What the steps of main share. */
typedef struct run {
	opts o;
	wordnet *wn;
	kg_graph *g;        /* --graph */
	kg_synth *s;
	state st;
	llm_client *cl;     /* --llm */
	llm_format fmt;
	char err[1024];
} run;

/* WordNet, the graph, the synthesiser with the mixes. */
static void setup(run *R)
{
	const opts *o = &R->o;
	const char *wndir = o->wndir;
	if (!wndir)
		wndir = wn_default_dir();
	R->wn = wn_load(wndir, R->err, sizeof R->err);
	if (!R->wn)
		cli_die("%s", R->err);
	if (o->graph_path && !(R->g = kg_graph_read(o->graph_path, R->wn, R->err, sizeof R->err)))
		cli_die("%s", R->err);
	R->s = kg_synth_new(R->wn, R->g);
	for (int role = 0; role < 2; role++)
		if (o->mixspec[role])
			kg_synth_set_mix(R->s, role, &o->mix[role]);
	R->st = (state){.s = R->s, .seed = o->seed, .n = (int)o->n, .report = o->lo.on_invalid == LLM_REPORT};
	R->fmt = (llm_format){.shape = jv_invalid(), .schema = jv_invalid()};
}

/* --llm: the prompts, the answer's format, the client. */
static void open_llm(run *R)
{
	load_prompts(R->o.lo.prompts_dir);
	if (llm_format_init(&R->fmt, "text", LLM_SHAPE_TEXT, llm_check_text, R->err, sizeof R->err))
		cli_die("%s", R->err);
	if (!(R->cl = llm_open(&R->o.lo, deliver, &R->st, R->err, sizeof R->err)))
		cli_die("%s", R->err);
}

/* The record's "candidates" into *cands: its array, or a new one when it
 * has none. 0 (the record is bad, counted) when the field is not an array. */
static int old_candidates(ndjson_reader *r, jv in, jv *cands)
{
	*cands = jv_object_get(jv_copy(in), jv_string("candidates"));
	jv_kind ck = jv_get_kind(*cands);
	if (ck != JV_KIND_ARRAY && ck != JV_KIND_NULL && ck != JV_KIND_INVALID) {
		ndjson_bad(r, "field \"candidates\": expected array, got %s", ndjson_kind_name(*cands));
		jv_free(*cands);
		return 0;
	}
	if (ck != JV_KIND_ARRAY) {
		jv_free(*cands);
		*cands = jv_array();
	}
	return 1;
}

/* The rule path: the record's candidates made and appended, the record
 * written. */
static void rules_record(run *R, jv in, jv text, jv cands)
{
	state *st = &R->st;
	long n = R->o.n;
	const kg_candidate *cv;
	int np, nn;
	int m = kg_synth_record(R->s, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)),
	                        (uint64_t)R->o.seed, (int)n, &cv, &np, &nn);
	for (int i = 0; i < m; i++) {
		cands = jv_array_append(cands, rule_cand(&cv[i]));
		st->per_kind[cv[i].kind][0]++;
	}
	st->nopos += np < n;
	st->noneg += nn < n;
	st->none += m == 0;
	in = jv_object_set(in, jv_string("candidates"), cands);
	jv_free(text);
	ndjson_write(in);
}

/* --llm: queue the record and ask for each of its planned candidates; a
 * blank text asks nothing. 1 when the client failed for good, else 0. */
static int submit_record(run *R, ndjson_reader *r, jv in, jv text, jv cands)
{
	state *st = &R->st;
	long n = R->o.n;
	rec *x = xcalloc(1, sizeof *x);
	x->rec = in;
	x->text = text;
	x->cands = cands;
	x->anchor = plain_line(jv_string_value(text));
	if (*x->anchor) {
		x->nslots = x->q.pending = 2 * (int)n;
		x->plans = xmalloc((size_t)x->nslots * sizeof *x->plans);
		x->slots = xcalloc((size_t)x->nslots, sizeof *x->slots);
		kg_synth_plan(R->s, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)),
		              (uint64_t)R->o.seed, (int)n, x->plans);
	}
	llm_queue_push(&st->queue, &x->q);
	/* a blank text asks nothing: out as soon as its turn comes (x may
	 * be freed here, or inside the last llm_submit) */
	int ns = x->nslots, fatal = 0;
	if (!ns)
		llm_queue_flush(&st->queue, out_rec, st);
	long line = ndjson_lineno(r);
	for (int j = 0; j < ns && !fatal; j++) {
		x->slots[j].owner = x;
		jv msgs = plan_messages(&x->plans[j], x->anchor);
		fatal = llm_submit(R->cl, &(llm_request){
			.index = line, .same_record = j > 0, .messages = msgs, .format = &R->fmt,
			.ctx = x->anchor, .max_tokens = KG_LLM_SYNTH_TOKENS(strlen(x->anchor)),
			.user = &x->slots[j]}) < 0;
	}
	return fatal;
}

/* One input record (llm_take_fn), by the rules or through the LLM. */
static int take_record(void *ctx, ndjson_reader *r, jv in)
{
	run *R = ctx;
	jv text, cands;
	if (!ndjson_get_string(r, in, R->o.field, &text)) {
		jv_free(in);
		return LLM_TAKE_BAD;
	}
	if (!old_candidates(r, in, &cands)) {
		jv_free(text);
		jv_free(in);
		return LLM_TAKE_BAD;
	}
	R->st.nrec++;
	if (R->cl)
		return submit_record(R, r, in, text, cands) ? LLM_TAKE_FATAL : LLM_TAKE_OK;
	rules_record(R, in, text, cands);
	return LLM_TAKE_OK;
}

int main(int argc, char **argv)
{
	static run R;
	parse(&R.o, argc, argv);
	setup(&R);
	if (R.o.lo.url)
		open_llm(&R);

	llm_run_records(argv + optind, argc - optind, &R.o.co, R.cl, take_record, &R);
	const state *st = &R.st;
	if (R.cl && (!R.o.lo.quiet || st->fell_back || st->missing || st->reported))
		cli_msg("%ld candidates from the LLM, %ld from the rules after the LLM failed, "
		        "%ld reported, %ld missing (the LLM failed and the rules could not make one)",
		        st->from_llm, st->fell_back, st->reported, st->missing);
	if (st->nopos || st->noneg)
		cli_msg("%ld of %ld records without all %ld positive(s), %ld without all negative(s), "
		        "%ld without any candidate", st->nopos, st->nrec, R.o.n, st->noneg, st->none);
	if (R.o.stats)
		print_stats(st, R.cl != NULL);
	for (int k = 0; k < KG_NKINDS; k++)
		prompt_free(prompts[k]);
	llm_format_free(&R.fmt);
	kg_synth_free(R.s);
	kg_graph_free(R.g);
	wn_free(R.wn);
	if (st->reported) {
		cli_msg("%ld candidates got no valid answer (--on-invalid report)", st->reported);
		return EXIT_DATA;
	}
	return EXIT_OK;
}
