/* kgfilter — training triples from kgsynth's candidates, filtered with a
 * frozen evaluation model E' (METHOD.md §4). */
#include "base/cli.h"
#include "embed/embedopts.h"
#include "nn/encoder.h"
#include "kg/kgfilter.h"
#include "train/loss.h"
#include "nn/model.h"
#include "base/ndjson.h"
#include "base/rng.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: kgfilter -m DIR [options] [file ...]\n"
"\n"
"Read kgsynth records {\"id\"?, \"text\", \"candidates\": [{\"text\", \"role\",\n"
"\"kind\", \"source\"}]} as NDJSON (files, gzip files, or standard input when\n"
"none or '-'), score every candidate against its anchor with the frozen model\n"
"E' in DIR (cosine of the [CLS] vectors, no dropout) and write one training\n"
"triple per anchor, in input order:\n"
"  {\"id\", \"text1\", \"text2\", \"neg\", \"pos_cosine\", \"neg_cosine\", \"neg_logit\",\n"
"   \"pos_kind\", \"neg_kind\", \"pos_source\", \"neg_source\", \"pos_status\",\n"
"   \"neg_status\", \"neg_id\"?}\n"
"A positive is kept when cos >= alpha, a negative when cos < beta; a\n"
"negative at alpha or more may be the positive, a positive under beta the\n"
"negative (\"swapped\"). No acceptable positive: the anchor itself (a dropout\n"
"pair); no acceptable negative: another anchor of the same window\n"
"(\"fallback\"). Candidates equal to the anchor or to an earlier candidate,\n"
"and repeated triples, are dropped. A summary goes to stderr.\n"
"\n"
"options:\n"
"  -m, --model DIR       the frozen model E' (default: $GCSE_MODEL)\n"
"  -a, --alpha A         positive threshold, -1..1 (default 0.80)\n"
"  -b, --beta B          negative threshold, -1..1 (default 0.75)\n"
"      --no-swap         candidates keep their roles: a negative is never the\n"
"                        positive, nor a positive the negative (for an E'\n"
"                        that scores meaning-changing edits, e.g. negations,\n"
"                        above alpha)\n"
"      --tau T           neg_logit = neg_cosine / T, 0.001..10 (default 0.05,\n"
"                        gcsetrain's temperature)\n"
"  -s, --seed S          seed of the fallback negative's draw (default 0,\n"
"                        0..2^63-1)\n"
"      --window N        records scored at a time, 1..1000000 (default 256);\n"
"                        fallback negatives come from the same window (else\n"
"                        the one before), so the output depends on N\n"
"      --batch-size N    texts per forward pass (default 64)\n"
"      --max-length N    tokens per text, [CLS] and [SEP] included (default:\n"
"                        the model's maximum)\n"
"      --threads N       threads (default: all cores)\n"
"  -f, --field NAME      the anchor text field (default text)\n"
"      --skip-bad        skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet           no progress line and no summary\n"
"      --progress        progress line on stderr even when it is not a terminal\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"The output does not depend on --batch-size or --threads.\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

typedef struct fcand {
	char *text;
	int role;          /* KGF_POSITIVE, KGF_NEGATIVE */
	jv kind, source;   /* strings or null */
} fcand;

typedef struct frec {
	jv id;
	char *text;
	fcand *c;
	int nc;
} frec;

typedef struct stats {
	long anchors, triples, cands, dup_cands, dup_triples, no_neg, truncated, texts;
	long pos[3], neg[3];
	long pos_ok, pos_n, neg_ok, neg_n;    /* own-role candidates passing their threshold */
} stats;

typedef struct pool {        /* the anchors of the previous window */
	int n, cap, d;
	char **text;
	jv *id;
	float *vec;
} pool;

static uint64_t fnv64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void rec_free(frec *x)
{
	jv_free(x->id);
	free(x->text);
	for (int j = 0; j < x->nc; j++) {
		free(x->c[j].text);
		jv_free(x->c[j].kind);
		jv_free(x->c[j].source);
	}
	free(x->c);
}

/* An optional string field of a candidate: the string, null when absent or
 * null; anything else is bad (returns 0 with a message). */
static int opt_str(jv o, const char *key, int idx, jv *out, char *msg, size_t cap)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_STRING) {
		*out = v;
		return 1;
	}
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		*out = jv_null();
		return 1;
	}
	snprintf(msg, cap, "field \"candidates\"[%d].%s: expected string, got %s", idx, key, ndjson_kind_name(v));
	jv_free(v);
	return 0;
}

/* Parse one record's candidates into x (dropping duplicates). 0 and msg on
 * a bad candidate. */
static int parse_cands(jv rec, frec *x, stats *st, char *msg, size_t cap)
{
	jv arr = jv_object_get(jv_copy(rec), jv_string("candidates"));
	jv_kind k = jv_get_kind(arr);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(arr);
		return 1;
	}
	if (k != JV_KIND_ARRAY) {
		snprintf(msg, cap, "field \"candidates\": expected array, got %s", ndjson_kind_name(arr));
		jv_free(arr);
		return 0;
	}
	int n = jv_array_length(jv_copy(arr)), ok = 1;
	x->c = xcalloc((size_t)n + 1, sizeof *x->c);
	for (int i = 0; i < n && ok; i++) {
		jv o = jv_array_get(jv_copy(arr), i);
		if (jv_get_kind(o) != JV_KIND_OBJECT) {
			snprintf(msg, cap, "field \"candidates\"[%d]: expected object, got %s", i, ndjson_kind_name(o));
			jv_free(o);
			ok = 0;
			break;
		}
		jv t = jv_object_get(jv_copy(o), jv_string("text"));
		jv r = jv_object_get(jv_copy(o), jv_string("role"));
		jv kind = jv_invalid(), src = jv_invalid();
		int role = -1;
		if (jv_get_kind(r) == JV_KIND_STRING)
			role = !strcmp(jv_string_value(r), "positive") ? KGF_POSITIVE
			       : !strcmp(jv_string_value(r), "negative") ? KGF_NEGATIVE : -1;
		if (jv_get_kind(t) != JV_KIND_STRING) {
			snprintf(msg, cap, "field \"candidates\"[%d].text: %s", i,
			         jv_is_valid(t) ? "expected string" : "missing");
			ok = 0;
		} else if (ndjson_nul_at(t) >= 0) {
			snprintf(msg, cap, "field \"candidates\"[%d].text: \\u0000 (NUL) at byte %ld: not allowed in a text",
			         i, ndjson_nul_at(t) + 1);
			ok = 0;
		} else if (role < 0) {
			snprintf(msg, cap, "field \"candidates\"[%d].role: expected \"positive\" or \"negative\"", i);
			ok = 0;
		} else if (!opt_str(o, "kind", i, &kind, msg, cap) || !opt_str(o, "source", i, &src, msg, cap)) {
			ok = 0;
		} else {
			const char *s = jv_string_value(t);
			int dup = !strcmp(s, x->text);
			for (int j = 0; j < x->nc && !dup; j++)
				dup = !strcmp(s, x->c[j].text);
			if (dup) {
				st->dup_cands++;
			} else {
				fcand *c = &x->c[x->nc++];
				c->text = xstrdup(s);
				c->role = role;
				c->kind = kind;
				c->source = src;
				kind = jv_invalid(), src = jv_invalid();
			}
		}
		jv_free(kind);
		jv_free(src);
		jv_free(t);
		jv_free(r);
		jv_free(o);
	}
	jv_free(arr);
	return ok;
}

typedef struct run {
	encoder *enc;
	int d;
	double alpha, beta, tau;
	int swap;
	uint64_t seed;
	stats st;
	kgf_set seen;
	pool prev;
	progress pg;
} run;

static void pool_set(pool *p, frec *w, int m, const float *V, int d)
{
	for (int i = 0; i < p->n; i++) {
		free(p->text[i]);
		jv_free(p->id[i]);
	}
	if (m > p->cap) {
		p->cap = m;
		p->text = xrealloc(p->text, (size_t)m * sizeof *p->text);
		p->id = xrealloc(p->id, (size_t)m * sizeof *p->id);
		p->vec = xrealloc(p->vec, (size_t)m * (size_t)d * sizeof *p->vec);
	}
	for (int i = 0; i < m; i++) {
		p->text[i] = xstrdup(w[i].text);
		p->id[i] = jv_copy(w[i].id);
	}
	memcpy(p->vec, V, (size_t)m * (size_t)d * sizeof *V);
	p->n = m;
	p->d = d;
}

static void pool_free(pool *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->text[i]);
		jv_free(p->id[i]);
	}
	free(p->text);
	free(p->id);
	free(p->vec);
}

/* Another anchor as the negative: from the window (w, V), else from the
 * previous window. Returns its text and sets *cos and *id; NULL if none. */
static const char *other(run *R, frec *w, int m, const float *V, int i, const char *pos_text, double *cos,
                         jv *id)
{
	const float *a = V + (size_t)i * R->d;
	uint64_t key = rng_derive(R->seed, fnv64(w[i].text));
	for (int from = 0; from < 2; from++) {
		int n = from ? R->prev.n : m;
		if (!n)
			continue;
		double *c = xmalloc((size_t)n * sizeof *c);
		unsigned char *use = xmalloc((size_t)n);
		for (int j = 0; j < n; j++) {
			const char *t = from ? R->prev.text[j] : w[j].text;
			use[j] = (from || j != i) && strcmp(t, w[i].text) && strcmp(t, pos_text);
			c[j] = use[j] ? kgf_cosine(a, (from ? R->prev.vec : V) + (size_t)j * R->d, R->d) : 0;
		}
		int k = kgf_other(c, use, n, R->beta, key);
		const char *t = NULL;
		if (k >= 0) {
			*cos = c[k];
			*id = jv_copy(from ? R->prev.id[k] : w[k].id);
			t = from ? R->prev.text[k] : w[k].text;
		}
		free(c);
		free(use);
		if (t)
			return t;
	}
	return NULL;
}

static jv str_or(jv v, const char *dflt)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_copy(v) : jv_string(dflt);
}

/* Score and write a window of m records. */
static void window(run *R, frec *w, int m)
{
	if (!m)
		return;
	int total = m;
	for (int i = 0; i < m; i++)
		total += w[i].nc;
	const char **texts = xmalloc((size_t)total * sizeof *texts);
	int k = m;
	for (int i = 0; i < m; i++) {
		texts[i] = w[i].text;
		for (int j = 0; j < w[i].nc; j++)
			texts[k++] = w[i].c[j].text;
	}
	float *V = xmalloc((size_t)total * (size_t)R->d * sizeof *V);
	int nt = 0;
	char err[1024];
	if (encoder_embed(R->enc, texts, NULL, total, V, &nt, NULL, err, sizeof err))
		cli_die("%s", err);
	free(texts);
	R->st.truncated += nt;
	R->st.texts += total;
	stats *st = &R->st;
	int off = m, maxc = 1;
	for (int i = 0; i < m; i++)
		maxc = w[i].nc > maxc ? w[i].nc : maxc;
	kgf_cand *sc = xmalloc((size_t)maxc * sizeof *sc);
	for (int i = 0; i < m; i++) {
		frec *x = &w[i];
		const float *a = V + (size_t)i * R->d;
		int k = off;          /* the first candidate's row in V */
		off += x->nc;
		for (int j = 0; j < x->nc; j++) {
			sc[j].role = x->c[j].role;
			sc[j].cos = kgf_cosine(a, V + (size_t)(k + j) * R->d, R->d);
			st->cands++;
			if (sc[j].role == KGF_POSITIVE)
				st->pos_n++, st->pos_ok += sc[j].cos >= R->alpha;
			else
				st->neg_n++, st->neg_ok += sc[j].cos < R->beta;
		}
		kgf_pick p;
		kgf_choose(sc, x->nc, R->alpha, R->beta, R->swap, &p);
		const char *pos_text = p.pos >= 0 ? x->c[p.pos].text : x->text;
		double pos_cos = p.pos >= 0 ? sc[p.pos].cos : 1.0, neg_cos = 0;
		jv neg_id = jv_invalid();
		const char *neg_text = p.neg >= 0 ? x->c[p.neg].text : other(R, w, m, V, i, pos_text, &neg_cos, &neg_id);
		if (p.neg >= 0)
			neg_cos = sc[p.neg].cos;
		st->anchors++;
		if (!neg_text) {
			st->no_neg++;
			continue;
		}
		if (!kgf_set_add(&R->seen, x->text, pos_text, neg_text)) {
			st->dup_triples++;
			jv_free(neg_id);
			continue;
		}
		st->pos[p.pos_status]++;
		st->neg[p.neg_status]++;
		st->triples++;
		jv o = jv_object();
		o = jv_object_set(o, jv_string("id"), jv_copy(x->id));
		o = jv_object_set(o, jv_string("text1"), jv_string(x->text));
		o = jv_object_set(o, jv_string("text2"), jv_string(pos_text));
		o = jv_object_set(o, jv_string("neg"), jv_string(neg_text));
		o = jv_object_set(o, jv_string("pos_cosine"), jv_number(pos_cos));
		o = jv_object_set(o, jv_string("neg_cosine"), jv_number(neg_cos));
		o = jv_object_set(o, jv_string("neg_logit"), jv_number(neg_cos / R->tau));
		o = jv_object_set(o, jv_string("pos_kind"),
		                  p.pos >= 0 ? str_or(x->c[p.pos].kind, "unknown") : jv_string("dropout"));
		o = jv_object_set(o, jv_string("neg_kind"),
		                  p.neg >= 0 ? str_or(x->c[p.neg].kind, "unknown") : jv_string("other_sentence"));
		o = jv_object_set(o, jv_string("pos_source"),
		                  p.pos >= 0 ? str_or(x->c[p.pos].source, "unknown") : jv_string("anchor"));
		o = jv_object_set(o, jv_string("neg_source"),
		                  p.neg >= 0 ? str_or(x->c[p.neg].source, "unknown") : jv_string("input"));
		o = jv_object_set(o, jv_string("pos_status"), jv_string(kgf_status_name(p.pos_status)));
		o = jv_object_set(o, jv_string("neg_status"), jv_string(kgf_status_name(p.neg_status)));
		if (jv_is_valid(neg_id))
			o = jv_object_set(o, jv_string("neg_id"), neg_id);
		ndjson_write(o);
		progress_tick(&R->pg, st->anchors);
	}
	free(sc);
	pool_set(&R->prev, w, m, V, R->d);
	free(V);
	for (int i = 0; i < m; i++)
		rec_free(&w[i]);
}

static void summary(const run *R, int max_length)
{
	const stats *s = &R->st;
	cli_msg("%ld anchors, %ld triples; positive: %ld kept, %ld swapped from negatives, %ld fallback (the "
	        "anchor itself); negative: %ld kept, %ld swapped from positives, %ld fallback (another "
	        "sentence)", s->anchors, s->triples, s->pos[KGF_KEPT], s->pos[KGF_SWAPPED], s->pos[KGF_FALLBACK],
	        s->neg[KGF_KEPT], s->neg[KGF_SWAPPED], s->neg[KGF_FALLBACK]);
	cli_msg("%ld candidates scored: %ld of %ld positives at alpha %g or more, %ld of %ld negatives under "
	        "beta %g; dropped: %ld duplicate candidates, %ld duplicate triples, %ld anchors without any "
	        "possible negative", s->cands, s->pos_ok, s->pos_n, R->alpha, s->neg_ok, s->neg_n, R->beta,
	        s->dup_cands, s->dup_triples, s->no_neg);
	if (s->truncated)
		cli_msg("truncated %ld of %ld texts to %d tokens", s->truncated, s->texts, max_length);
}

int main(int argc, char **argv)
{
	const char *field = "text";
	double alpha = 0.80, beta = 0.75, tau = LOSS_TAU;
	long seed = 0;
	int win = 256;
	embed_opts eo;
	embed_opts_init(&eo);
	eo.model = getenv("GCSE_MODEL");
	eo.enc.pooling = BERT_POOL_CLS;
	eo.enc.normalize = 0;
	cli_opts co;
	cli_opts_init(&co);
	int swap = 1;
	enum { O_TAU = 256, O_WINDOW, O_NO_SWAP };
	static const struct option opts[] = {
		EMBED_LONG_MODEL,
		{"alpha", required_argument, 0, 'a'},
		{"beta", required_argument, 0, 'b'},
		{"no-swap", no_argument, 0, O_NO_SWAP},
		{"tau", required_argument, 0, O_TAU},
		{"seed", required_argument, 0, 's'},
		{"window", required_argument, 0, O_WINDOW},
		EMBED_LONG_BATCH_SIZE,
		EMBED_LONG_MAX_LENGTH,
		CLI_LONG_THREADS,
		{"field", required_argument, 0, 'f'},
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init("kgfilter", help);
	int c;
	while ((c = getopt_long(argc, argv, "m:a:b:s:f:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'a': alpha = cli_double("--alpha", optarg, -1, 1); break;
		case 'b': beta = cli_double("--beta", optarg, -1, 1); break;
		case O_NO_SWAP: swap = 0; break;
		case O_TAU: tau = cli_double("--tau", optarg, 0.001, 10); break;
		case 's': seed = cli_long("--seed", optarg, 0, INT64_MAX); break;
		case O_WINDOW: win = (int)cli_long("--window", optarg, 1, 1000000); break;
		case 'f': field = optarg; break;
		default:
			if (!embed_getopt(&eo, c, optarg) && !cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	const char *model_dir = eo.model;
	if (!model_dir || !*model_dir)
		cli_usage_error("no model: give -m DIR or set GCSE_MODEL");
	if (!*field)
		cli_usage_error("--field: empty name");
	cli_set_threads(co.threads);
	char err[1024];
	run R = {.alpha = alpha, .beta = beta, .swap = swap, .tau = tau, .seed = (uint64_t)seed};
	if (!(R.enc = encoder_open(model_dir, &eo.enc, err, sizeof err)))
		cli_die("%s: %s", model_dir, err);
	R.d = encoder_dim(R.enc);

	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, co.skip_bad);
	progress_init(&R.pg, co.progress, "anchors");
	frec *w = xcalloc((size_t)win, sizeof *w);
	int m = 0;
	long nret = 0, mybad = 0;
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
		frec *x = &w[m];
		memset(x, 0, sizeof *x);
		x->text = xstrdup(jv_string_value(text));
		jv_free(text);
		x->id = jv_object_get(jv_copy(rec), jv_string("id"));
		if (!jv_is_valid(x->id) || jv_get_kind(x->id) == JV_KIND_NULL) {
			jv_free(x->id);
			x->id = jv_number((double)ordinal);
		}
		char msg[256];
		long dup0 = R.st.dup_cands;
		if (!parse_cands(rec, x, &R.st, msg, sizeof msg)) {
			R.st.dup_cands = dup0;
			rec_free(x);
			jv_free(rec);
			mybad++;
			ndjson_bad(r, "%s", msg);
			continue;
		}
		jv_free(rec);
		if (++m == win) {
			window(&R, w, m);
			m = 0;
		}
	}
	window(&R, w, m);
	progress_done(&R.pg);
	ndjson_close(r);
	ndjson_finish();
	if (!co.quiet)
		summary(&R, encoder_max_length(R.enc));
	free(w);
	pool_free(&R.prev);
	kgf_set_free(&R.seen);
	encoder_free(R.enc);
	return EXIT_OK;
}
