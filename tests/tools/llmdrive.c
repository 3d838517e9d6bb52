/* llmdrive — test driver for lib/llm/llm.h: asks an LLM to rewrite each record's
 * text with one of the prompt files and writes the records back in input
 * order with the answers; a failed answer falls back to a trivial rule-based
 * one (source "rules") or is reported (--on-invalid report). This is the
 * wiring kgextract and kgsynth use, reduced to its bones; tests/cli/llm.sh
 * runs it against tests/tools/fakellm.py. */
#include "base/cli.h"
#include "llm/kgllm.h"
#include "llm/llm.h"
#include "base/ndjson.h"
#include "llm/prompts.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
"usage: llmdrive --llm URL [options] [file ...]\n"
"\n"
"Read records {\"text\", ...} as NDJSON; ask the LLM N times per record with the\n"
"prompt file NAME.txt; write each record with \"candidates\": [{\"answer\",\n"
"\"source\": \"llm\"|\"rules\", \"cached\"}] in input order. A record whose answer\n"
"stays invalid gets the rule-based answer {\"text\": \"(rules) TEXT\"} or, with\n"
"--on-invalid report, an \"llm_errors\" list instead (exit status 1).\n"
"\n"
"options:\n"
"  -n N                  requests per record, 1..16 (default 1)\n"
"      --prompt NAME     prompt file NAME.txt (default kgsynth-rewrite)\n"
"      --style S         value of {{style}} (default: cycle over a few styles)\n"
"      --var NAME=VALUE  value of another placeholder (repeatable)\n"
"      --shape JSON      check answers against this shape (llmanswer.h), or\n"
"                        'kgextract' for LLM_SHAPE_KGEXTRACT and its span\n"
"                        check, instead of {\"text\": ...} with kgsynth's\n"
"                        candidate checks (llm_check_text)\n"
"      --seed S          the seed sent with every request (default 0)\n"
"      --max-answer N    each request's own max_tokens (default 128)\n"
"      --skip-bad        skip bad lines instead of failing\n"
"  -q, --quiet           no summary unless something failed\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
LLM_OPTIONS_HELP
"\n"
"Exit status: 0 ok, 1 bad input, runtime error or reported records, 2 usage error.\n";

static const char *const styles[] = {
	"a news anchor", "casual speech", "formal writing", "a question", "a condensed note",
};

typedef struct rec {
	jv rec;
	char *anchor;       /* the record's text on one line */
	int pending;        /* answers still to come */
	jv cands, errs;
} rec;

typedef struct drive {
	int n;
	long reported;
	int report;
} drive;

static void deliver(void *ctx, const llm_result *r)
{
	drive *d = ctx;
	rec *x = r->user;
	if (r->status == LLM_OK) {
		jv c = jv_object_set(jv_object(), jv_string("answer"), jv_copy(r->answer));
		c = jv_object_set(c, jv_string("source"), jv_string("llm"));
		c = jv_object_set(c, jv_string("cached"), jv_bool(r->cached));
		x->cands = jv_array_append(x->cands, c);
	} else if (!d->report) {
		jv t = jv_string_fmt("(rules) %s", x->anchor);
		jv c = jv_object_set(jv_object(), jv_string("answer"),
		                     jv_object_set(jv_object(), jv_string("text"), t));
		c = jv_object_set(c, jv_string("source"), jv_string("rules"));
		x->cands = jv_array_append(x->cands, c);
	} else {
		x->errs = jv_array_append(x->errs, jv_string(r->error ? r->error : "failed"));
		d->reported++;
	}
	if (--x->pending > 0)
		return;
	jv out = jv_object_set(x->rec, jv_string("candidates"), x->cands);
	if (jv_array_length(jv_copy(x->errs)) > 0)
		out = jv_object_set(out, jv_string("llm_errors"), x->errs);
	else
		jv_free(x->errs);
	ndjson_write(out);
	ndjson_finish();
	free(x->anchor);
	free(x);
}

int main(int argc, char **argv)
{
	cli_init("llmdrive", help);
	llm_opts lo;
	llm_opts_init(&lo);
	cli_opts co;
	cli_opts_init(&co);
	int n = 1;
	const char *prompt_name = "kgsynth-rewrite", *style = NULL, *shape_text = NULL;
	long seed = 0, max_answer = 128;
	const char **vars = xcalloc(8, sizeof *vars);
	int nvars = 0, capvars = 8;
	enum { O_PROMPT = 1000, O_STYLE, O_VAR, O_SHAPE, O_SEED, O_MAXANS };
	static const struct option longopts[] = {
		{"prompt", required_argument, NULL, O_PROMPT},
		{"style", required_argument, NULL, O_STYLE},
		{"var", required_argument, NULL, O_VAR},
		{"shape", required_argument, NULL, O_SHAPE},
		{"seed", required_argument, NULL, O_SEED},
		{"max-answer", required_argument, NULL, O_MAXANS},
		/* cli_getopt's options, without --progress (no progress line here) */
		{"skip-bad", no_argument, NULL, CLI_OPT_SKIP_BAD},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		LLM_LONG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "n:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': n = (int)cli_long("-n", optarg, 1, 16); break;
		case O_PROMPT: prompt_name = optarg; break;
		case O_STYLE: style = optarg; break;
		case O_VAR: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				cli_usage_error("--var: '%s' is not NAME=VALUE", optarg);
			if (nvars + 3 > capvars) {
				capvars *= 2;
				vars = xrealloc(vars, (size_t)capvars * sizeof *vars);
			}
			*eq = 0;
			vars[nvars++] = optarg;
			vars[nvars++] = eq + 1;
			break;
		}
		case O_SHAPE: shape_text = optarg; break;
		case O_SEED: seed = cli_long("--seed", optarg, 0, INT64_MAX); break;
		case O_MAXANS: max_answer = cli_long("--max-answer", optarg, 0, 1000000); break;
		default:
			if (!cli_getopt(&co, c, optarg) && !llm_getopt(&lo, c, optarg))
				cli_usage_error(NULL);
		}
	}
	llm_opts_check(&lo, co.quiet, seed);
	if (!lo.url)
		cli_usage_error("--llm URL is required");

	char err[1024];
	llm_format fmt;
	int kgx = shape_text && !strcmp(shape_text, "kgextract");
	if (llm_format_init(&fmt, kgx ? "kgextract" : shape_text ? "answer" : "text",
	                    kgx ? LLM_SHAPE_KGEXTRACT : shape_text ? shape_text : LLM_SHAPE_TEXT,
	                    kgx ? kg_llm_check : shape_text ? NULL : llm_check_text, err, sizeof err))
		cli_usage_error("--shape: %s", err);
	char *dir = prompts_dir(lo.prompts_dir, err, sizeof err);
	if (!dir)
		cli_die("%s", err);
	prompt *p = prompt_load(dir, prompt_name, err, sizeof err);
	free(dir);
	if (!p)
		cli_die("%s", err);
	/* Every placeholder of the prompt must have a value: text, style, --var. */
	const char **names = xcalloc((size_t)nvars / 2 + 3, sizeof *names);
	names[0] = "text";
	names[1] = "style";
	for (int i = 0; i < nvars; i += 2)
		names[2 + i / 2] = vars[i];
	if (!prompt_check(p, names, err, sizeof err))
		cli_die("%s", err);

	drive d = {.n = n, .report = lo.on_invalid == LLM_REPORT};
	llm_client *cl = llm_open(&lo, deliver, &d, err, sizeof err);
	if (!cl)
		cli_die("%s", err);
	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, co.skip_bad);
	const char **fill = xcalloc((size_t)nvars + 6, sizeof *fill);
	jv in;
	long k = 0;
	int fatal = 0;
	while (!fatal && ndjson_next(r, &in)) {
		jv text;
		if (!ndjson_get_string(r, in, "text", &text)) {
			jv_free(in);
			continue;
		}
		rec *x = xcalloc(1, sizeof *x);
		x->rec = in;
		x->anchor = llm_one_line(jv_string_value(text));
		jv_free(text);
		x->pending = n;
		x->cands = jv_array();
		x->errs = jv_array();
		long line = ndjson_lineno(r);
		long queued = llm_get_stats(cl)->submitted;
		for (int i = 0; i < n && !fatal; i++, k++) {
			fill[0] = "text";
			fill[1] = x->anchor;
			fill[2] = "style";
			fill[3] = style ? style : styles[k % (long)(sizeof styles / sizeof *styles)];
			memcpy(fill + 4, vars, (size_t)nvars * sizeof *vars);
			fill[4 + nvars] = NULL;
			jv msgs = prompt_messages(p, fill, err, sizeof err);
			if (!jv_is_valid(msgs))
				cli_die("%s", err);
			fatal = llm_submit(cl, &(llm_request){
				.index = line, .same_record = i > 0, .messages = msgs, .format = &fmt,
				.ctx = x->anchor, .max_tokens = max_answer, .user = x}) < 0;
		}
		/* After a fatal error x is never written; free it if no request
		 * of it was queued (else the queue still points to it). */
		if (fatal && llm_get_stats(cl)->submitted == queued) {
			jv_free(x->rec);
			jv_free(x->cands);
			jv_free(x->errs);
			free(x->anchor);
			free(x);
		}
	}
	if (!fatal)
		fatal = llm_drain(cl) < 0;
	ndjson_finish();
	llm_finish(cl, fatal);
	ndjson_close(r);
	prompt_free(p);
	llm_format_free(&fmt);
	free(fill);
	free(names);
	free(vars);
	if (d.reported) {
		cli_msg("%ld answers reported, not replaced", d.reported);
		return EXIT_DATA;
	}
	return EXIT_OK;
}
