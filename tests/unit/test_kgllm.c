/* test_kgllm.c — kgextract --llm's answer handling (lib/llm/kgllm.h) on the
 * WordNet fixture: types, heads, span location (repeats, case, trailing
 * punctuation, spans that are not there), fields, graph nodes; and the
 * LLM plans of kgsynth (lib/kg/synth.h kg_synth_plan): shares, distinct
 * requests, determinism. */
#include "t.h"
#include "llm/kgllm.h"
#include "llm/llmanswer.h"
#include "kg/synth.h"
#include "wnfixture.h"

static wordnet *wn;
static kg_extractor *X;
static kg_analysis *A;

static void test_types(void)
{
	char *t = kg_llm_types(), out[96];
	T_ASSERT(strstr(t, "noun.person, ") != NULL);
	T_ASSERT(strstr(t, "noun.Tops") == NULL);
	T_ASSERT(strstr(t, "verb.") == NULL);
	T_EQ_STR(t + strlen(t) - 6, ", name");
	free(t);
	T_EQ_INT(kg_llm_type("person", out, sizeof out), wn_lexfile_by_name("noun.person"));
	T_EQ_STR(out, "noun.person");
	T_EQ_INT(kg_llm_type(" Noun.Animal ", out, sizeof out), wn_lexfile_by_name("noun.animal"));
	T_EQ_STR(out, "noun.animal");
	T_EQ_INT(kg_llm_type("Name", out, sizeof out), KG_TYPE_NAME);
	T_EQ_STR(out, "name");
	T_EQ_INT(kg_llm_type("gizmo", out, sizeof out), -1);
	T_EQ_STR(out, "gizmo");
	T_EQ_INT(kg_llm_type("verb.motion", out, sizeof out), wn_lexfile_by_name("verb.motion"));
}

static const char *tok_text(const kg_analysis *a, int t, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.*s", a->tok[t].end - a->tok[t].start, a->text + a->tok[t].start);
	return buf;
}

static void test_heads(void)
{
	const char *s = "A man on skis is racing down the hill.";
	kg_analyze(X, s, strlen(s), A);
	char b[64];
	int h = kg_span_head(A, 0, 13, 'n');                 /* "A man on skis" */
	T_ASSERT(h >= 0);
	T_EQ_STR(tok_text(A, h, b, sizeof b), "man");
	h = kg_span_head(A, 14, 23, 'v');                    /* "is racing" */
	T_ASSERT(h >= 0);
	T_EQ_STR(tok_text(A, h, b, sizeof b), "racing");
	T_EQ_INT(kg_span_head(A, 14, 16, 'n'), -1);          /* "is": no noun */
	T_EQ_INT(kg_span_head(A, 3, 5, 'n'), -1);            /* "an": inside a token */
}

static jv fields(const char *text, const char *answer, jv *q, jv *p, jv *un, int *rep)
{
	kg_analyze(X, text, strlen(text), A);
	jv ans = jv_parse(answer), e;
	*un = jv_array();
	*rep = kg_llm_fields(X, A, ans, &e, q, p, un);
	jv_free(ans);
	return e;
}

static char *dump(jv v)
{
	jv s = jv_dump_string(v, 0);
	char *o = strdup(jv_string_value(s));
	jv_free(s);
	return o;
}

static void test_fields(void)
{
	jv q, p, un;
	int rep;
	jv e = fields("Two dogs are playing in the park.",
	              "{\"entities\":[{\"text\":\"the park\",\"type\":\"location\"},{\"text\":\"dogs\",\"type\":\"animal\"},"
	              "{\"text\":\"cats\",\"type\":\"animal\"},{\"text\":\"Two dogs\",\"type\":\"animal\"},"
	              "{\"text\":\"dogs\",\"type\":\"animal\"}],"
	              "\"quantities\":[{\"text\":\"Two dogs\",\"value\":2,\"unit\":\"dog\"},{\"text\":\"park\",\"unit\":\"\"}],"
	              "\"parts\":{\"theme\":\"leisure\",\"subject\":{\"text\":\"two dogs\",\"type\":\"animal\",\"count\":2},"
	              "\"action\":\"are playing\",\"state\":\" in the park, \"}}",
	              &q, &p, &un, &rep);
	char *s = dump(e);
	T_EQ_STR(s, "[{\"text\":\"Two dogs\",\"type\":\"noun.animal\",\"start\":0,\"end\":8,\"lemma\":\"dog\"},"
	            "{\"text\":\"dogs\",\"type\":\"noun.animal\",\"start\":4,\"end\":8,\"lemma\":\"dog\"},"
	            "{\"text\":\"the park\",\"type\":\"noun.location\",\"start\":24,\"end\":32,\"lemma\":\"park\"}]");
	free(s);
	s = dump(q);
	T_EQ_STR(s, "[{\"text\":\"Two dogs\",\"value\":2,\"unit\":\"dog\",\"start\":0,\"end\":8},"
	            "{\"text\":\"park\",\"value\":null,\"unit\":null,\"start\":28,\"end\":32}]");
	free(s);
	s = dump(p);
	T_EQ_STR(s, "{\"theme\":\"leisure\",\"subject\":{\"text\":\"Two dogs\",\"type\":\"noun.animal\",\"count\":2,"
	            "\"lemma\":\"dog\",\"start\":0,\"end\":8},\"action\":{\"text\":\"are playing\",\"lemma\":\"play\","
	            "\"start\":9,\"end\":20},\"state\":{\"text\":\"in the park\",\"lemma\":\"park\",\"start\":21,\"end\":32}}");
	free(s);
	s = dump(un);
	T_EQ_STR(s, "[\"cats\"]");
	free(s);
	T_EQ_INT(rep, 1);   /* "dogs" named twice, once in the sentence */
}

static void test_repeats_and_case(void)
{
	jv q, p, un;
	int rep;
	/* the second "the dog" is the capitalised one at the start */
	jv e = fields("The dog saw the dog.",
	              "{\"entities\":[{\"text\":\"the dog\",\"type\":\"animal\"},{\"text\":\"the dog\",\"type\":\"animal\"},"
	              "{\"text\":\"the dog\",\"type\":\"animal\"}],\"quantities\":[],"
	              "\"parts\":{\"theme\":null,\"subject\":null,\"action\":\"flew\",\"state\":null}}",
	              &q, &p, &un, &rep);
	T_EQ_INT(jv_array_length(jv_copy(e)), 2);
	jv f = jv_array_get(jv_copy(e), 0);
	jv st = jv_object_get(f, jv_string("start"));
	T_EQ_INT((int)jv_number_value(st), 0);
	jv_free(st);
	T_EQ_INT(rep, 1);
	char *s = dump(p);
	T_EQ_STR(s, "{\"theme\":null,\"subject\":null,\"action\":null,\"state\":null}");
	free(s);
	s = dump(un);
	T_EQ_STR(s, "[\"flew\"]");
	free(s);
	jv_free(e);
	jv_free(q);
	/* quantities prefer an occurrence that overlaps none found before */
	e = fields("She bought 3 apples on March 3.",
	           "{\"entities\":[],\"quantities\":[{\"text\":\"3 apples\",\"value\":3},{\"text\":\"3\",\"value\":3}],"
	           "\"parts\":{}}", &q, &p, &un, &rep);
	jv q1 = jv_array_get(jv_copy(q), 1);
	st = jv_object_get(q1, jv_string("start"));
	T_EQ_INT((int)jv_number_value(st), 29);
	jv_free(st);
	jv_free(e);
	jv_free(q);
	jv_free(p);
	jv_free(un);
}

static void test_answer_shape(void)
{
	/* the shape the program validates with accepts what kgllm reads */
	jv shape = jv_parse(LLM_SHAPE_KGEXTRACT);
	char err[256];
	jv ok = jv_parse("{\"entities\":[{\"text\":\"a\",\"type\":\"b\"}],\"quantities\":[],"
	                 "\"parts\":{\"theme\":null,\"subject\":{\"text\":\"a\",\"type\":null,\"count\":null},"
	                 "\"action\":null,\"state\":null}}");
	T_ASSERT(llm_shape_check(ok, shape, err, sizeof err));
	jv bad = jv_parse("{\"entities\":[{\"text\":\"a\"}],\"quantities\":[],\"parts\":{}}");
	T_ASSERT(!llm_shape_check(bad, shape, err, sizeof err));
	jv_free(ok);
	jv_free(bad);
	jv_free(shape);
}

static void test_nodes(void)
{
	jv q, p, un;
	int rep;
	jv e = fields("Two dogs are playing in the park.",
	              "{\"entities\":[{\"text\":\"Two dogs\",\"type\":\"animal\"},{\"text\":\"dogs\",\"type\":\"animal\"},"
	              "{\"text\":\"the park\",\"type\":\"location\"}],\"quantities\":[],"
	              "\"parts\":{\"theme\":\"location\",\"subject\":{\"text\":\"Two dogs\"},\"action\":\"are playing\",\"state\":null}}",
	              &q, &p, &un, &rep);
	kg_graph *g = kg_graph_new();
	kg_llm_add_nodes(g, wn, A, e, p);
	int dog = kg_graph_find(g, KG_ENTITY, "noun.animal", "dog");
	T_ASSERT(dog >= 0);
	T_EQ_INT(kg_graph_node(g, dog)->freq, 1);          /* once per record */
	T_ASSERT(kg_graph_find(g, KG_ENTITY, "noun.location", "park") >= 0);
	int subj = kg_graph_find(g, KG_PART, "subject", "dog");
	T_ASSERT(subj >= 0);
	T_EQ_INT(kg_graph_node(g, subj)->pos, WN_NOUN);
	int act = kg_graph_find(g, KG_PART, "action", "play");
	T_ASSERT(act >= 0);
	T_EQ_INT(kg_graph_node(g, act)->pos, WN_VERB);
	T_EQ_INT(kg_graph_nnodes(g), 4);
	kg_graph_free(g);
	jv_free(e);
	jv_free(q);
	jv_free(p);
	jv_free(un);
}

/* The content check of an extraction answer: most spans must be in the
 * sentence (the rest are left out later and listed in kg_unlocated). */
static int xcheck(const char *text, const char *answer, char *err, size_t n)
{
	jv a = jv_parse(answer);
	int r = kg_llm_check(a, (void *)text, err, n);
	jv_free(a);
	return r;
}

static void test_llm_check(void)
{
	char e[300];
	const char *s = "Two dogs are playing in the park.";
	T_EQ_INT(xcheck(s, "{\"entities\":[{\"text\":\"Two dogs\",\"type\":\"animal\"},{\"text\":\"the Park.\",\"type\":\"place\"}],"
	                   "\"quantities\":[{\"text\":\"two dogs\",\"value\":2,\"unit\":\"dog\"}],"
	                   "\"parts\":{\"theme\":\"play\",\"subject\":{\"text\":\"Two dogs\",\"type\":\"animal\",\"count\":2},"
	                   "\"action\":\"are playing\",\"state\":\"in the park\"}}", e, sizeof e), LLM_R_OK);
	/* an empty answer is a fine answer */
	T_EQ_INT(xcheck(s, "{\"entities\":[],\"quantities\":[],\"parts\":{\"subject\":null}}", e, sizeof e), LLM_R_OK);
	/* half of the spans missing: still used (the missing ones are listed) */
	T_EQ_INT(xcheck(s, "{\"entities\":[{\"text\":\"dogs\",\"type\":\"animal\"},{\"text\":\"cats\",\"type\":\"animal\"}],"
	                   "\"quantities\":[],\"parts\":{}}", e, sizeof e), LLM_R_OK);
	/* mostly missing: invalid, the first one named */
	T_EQ_INT(xcheck(s, "{\"entities\":[{\"text\":\"zorblat quux\",\"type\":\"thing\"},{\"text\":\"dogs\",\"type\":\"x\"}],"
	                   "\"quantities\":[{\"text\":\"eleventy\",\"value\":110}],"
	                   "\"parts\":{\"subject\":{\"text\":\"the plonk\"},\"action\":\"snargles\",\"state\":\"  \"}}",
	                e, sizeof e), LLM_R_SPANS);
	T_EQ_STR(e, "4 of its 5 spans are not in the sentence (the first: \"zorblat quux\")");
	/* blank spans do not count either way */
	T_EQ_INT(xcheck(s, "{\"entities\":[{\"text\":\" \",\"type\":\"x\"}],\"quantities\":[],"
	                   "\"parts\":{\"action\":\"\",\"state\":null}}", e, sizeof e), LLM_R_OK);
	/* through llm_extract with kgextract's format: shape, then spans */
	llm_format f;
	T_EQ_INT(llm_format_init(&f, "kgextract", LLM_SHAPE_KGEXTRACT, kg_llm_check, e, sizeof e), 0);
	jv out;
	const char *c = "{\"entities\":[{\"text\":\"wibble\",\"type\":\"name\"}],\"quantities\":[],"
	                "\"parts\":{\"theme\":null,\"subject\":null,\"action\":null,\"state\":null}}";
	T_EQ_INT(llm_extract(c, strlen(c), &f, (void *)s, &out, e, sizeof e), LLM_R_SPANS);
	c = "{\"entities\":[{\"text\":\"dogs\",\"type\":\"\"}],\"quantities\":[],\"parts\":{}}";
	T_EQ_INT(llm_extract(c, strlen(c), &f, (void *)s, &out, e, sizeof e), LLM_R_SHAPE);
	llm_format_free(&f);
}

/* kgsynth's LLM candidates are held to what the rules make: every rule
 * candidate of the test sentences, many seeds, passes llm_check_text
 * (measured on 148,000 rule candidates of WordNet's examples and STS-B with
 * the full WordNet too: bench/llm-measurements.md). */
static void test_rule_candidates_pass_check(void)
{
	const char *root = getenv("GCSE_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/kg/sentences.ndjson", root && *root ? root : ".");
	FILE *fp = fopen(path, "r");
	if (!fp)
		T_FAIL("%s: cannot open", path);
	kg_synth *s = kg_synth_new(wn, NULL);
	char line[4096], e[300];
	int n = 0, bad = 0;
	while (fgets(line, sizeof line, fp)) {
		jv r = jv_parse(line);
		if (jv_get_kind(r) != JV_KIND_OBJECT) {   /* the blank line */
			jv_free(r);
			continue;
		}
		jv t = jv_object_get(r, jv_string("text"));
		const char *text = jv_string_value(t);
		char *anchor = llm_one_line(text);
		for (uint64_t seed = 0; seed < 20; seed++) {
			const kg_candidate *cv;
			int m = kg_synth_record(s, text, strlen(text), seed, 3, &cv, NULL, NULL);
			for (int i = 0; i < m; i++, n++) {
				jv a = jv_object_set(jv_object(), jv_string("text"), jv_string(cv[i].text));
				if (llm_check_text(a, anchor, e, sizeof e) != LLM_R_OK && bad++ < 5)
					printf("#   rule candidate refused: \"%s\" -> \"%s\": %s\n", anchor, cv[i].text, e);
				jv_free(a);
			}
		}
		free(anchor);
		jv_free(t);
	}
	fclose(fp);
	kg_synth_free(s);
	T_ASSERT(n > 500);
	T_EQ_INT(bad, 0);
}

/* ---- kgsynth's LLM plans ---- */

static void test_plan_shares(void)
{
	kg_synth *s = kg_synth_new(wn, NULL);
	const char *text = "Two dogs are playing in the park.";
	int count[KG_NKINDS] = {0}, planned[KG_NKINDS] = {0};
	kg_plan pl[2];
	const int N = 2000;
	for (int seed = 0; seed < N; seed++) {
		T_EQ_INT(kg_synth_plan(s, text, strlen(text), (uint64_t)seed, 1, pl), 2);
		T_EQ_INT(pl[0].role, KG_POSITIVE);
		T_EQ_INT(pl[1].role, KG_NEGATIVE);
		for (int i = 0; i < 2; i++) {
			count[pl[i].kind]++;
			planned[pl[i].planned]++;
			T_ASSERT(kg_prompt_name(pl[i].kind) != NULL);
		}
	}
	/* planned shares: 70/30 and 70/15/15, within 4 standard deviations */
	T_NEAR(planned[KG_REWRITE] / (double)N, 0.70, 0.041);
	T_NEAR(planned[KG_RELATED_SWAP] / (double)N, 0.30, 0.041);
	T_NEAR(planned[KG_CONTRADICTION] / (double)N, 0.70, 0.041);
	T_NEAR(planned[KG_ENTITY_SWAP] / (double)N, 0.15, 0.032);
	T_NEAR(planned[KG_QUANTITY] / (double)N, 0.15, 0.032);
	/* every family applies to this sentence */
	T_EQ_INT(count[KG_QUANTITY], planned[KG_QUANTITY]);
	T_EQ_INT(count[KG_SYNONYM], 0);
	kg_synth_free(s);
}

static void test_plan_params(void)
{
	kg_synth *s = kg_synth_new(wn, NULL);
	const char *text = "Two dogs are playing in the park.";
	enum { N = 40 };
	kg_plan pl[2 * N], pl2[2 * N];
	kg_synth_plan(s, text, strlen(text), 7, N, pl);
	kg_synth_plan(s, text, strlen(text), 7, N, pl2);
	T_ASSERT(!memcmp(pl, pl2, sizeof pl));                  /* deterministic */
	int seen[KG_NKINDS] = {0};
	for (int i = 0; i < 2 * N; i++) {
		const kg_plan *p = &pl[i];
		seen[p->kind]++;
		switch (p->kind) {
		case KG_REWRITE:
		case KG_CONTRADICTION:
			T_ASSERT(p->style[0] != 0);
			break;
		case KG_RELATED_SWAP:
		case KG_ENTITY_SWAP:
			T_ASSERT(strstr(text, p->old) != NULL);         /* as it appears */
			T_ASSERT(p->repl[0] && strcmp(p->repl, p->old));
			break;
		case KG_QUANTITY:
			T_EQ_STR(p->subject, "Two dogs");
			T_ASSERT(p->count != 2 && p->count >= 0 && p->count <= 10000);
			break;
		}
		/* no two requests of a record are the same */
		for (int j = 0; j < i; j++)
			T_ASSERT(pl[j].kind != p->kind || strcmp(pl[j].style, p->style) || strcmp(pl[j].old, p->old) ||
			         strcmp(pl[j].repl, p->repl) || pl[j].count != p->count);
	}
	T_ASSERT(seen[KG_REWRITE] > 0 && seen[KG_CONTRADICTION] > 0 && seen[KG_QUANTITY] > 0);
	/* a different seed, different plans */
	kg_synth_plan(s, text, strlen(text), 8, N, pl2);
	T_ASSERT(memcmp(pl, pl2, sizeof pl) != 0);
	kg_synth_free(s);
}

static void test_plan_fallbacks(void)
{
	kg_synth *s = kg_synth_new(wn, NULL);
	/* no subject to count, nothing to swap: quantity and swaps fall back */
	const char *text = "!!!";
	kg_plan pl[2];
	int fell = 0;
	for (int seed = 0; seed < 200; seed++) {
		kg_synth_plan(s, text, strlen(text), (uint64_t)seed, 1, pl);
		T_EQ_INT(pl[0].kind, KG_REWRITE);
		T_EQ_INT(pl[1].kind, KG_CONTRADICTION);
		fell += pl[0].planned != pl[0].kind || pl[1].planned != pl[1].kind;
	}
	T_ASSERT(fell > 20);
	/* 100 rewrites of one record: all styles differ */
	kg_plan *many = malloc(200 * sizeof *many);
	kg_synth_plan(s, text, strlen(text), 1, 100, many);
	for (int i = 0; i < 100; i++)
		for (int j = 0; j < i; j++)
			T_ASSERT(strcmp(many[i].style, many[j].style) != 0);
	free(many);
	kg_synth_free(s);
}

int main(void)
{
	if (!(wn = wn_fixture_load()))
		return 1;
	X = kg_extractor_new(wn);
	A = kg_analysis_new();
	T_RUN(test_types);
	T_RUN(test_heads);
	T_RUN(test_fields);
	T_RUN(test_repeats_and_case);
	T_RUN(test_answer_shape);
	T_RUN(test_nodes);
	T_RUN(test_llm_check);
	T_RUN(test_rule_candidates_pass_check);
	T_RUN(test_plan_shares);
	T_RUN(test_plan_params);
	T_RUN(test_plan_fallbacks);
	kg_analysis_free(A);
	kg_extractor_free(X);
	wn_free(wn);
	return t_done();
}
