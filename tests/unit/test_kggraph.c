/* test_kggraph.c — graph nodes, top-k neighbours with a plugged-in scorer and
 * with the WordNet scorer, the NDJSON file round trip and its errors. */
#include "t.h"
#include "kg/kggraph.h"
#include "wnfixture.h"

#include <unistd.h>

static wordnet *wn;

static int lemma(const char *s) { return wn_lookup(wn, s, strlen(s)); }

/* A scorer for the test: score = 1 / (1 + |len(a) - len(b)|). */
static int n_prepare;
static void len_prepare(void *ctx, const kg_graph *g, const int *m, int n)
{
	(void)ctx, (void)g, (void)m, (void)n;
	n_prepare++;
}
static int len_neighbors(void *ctx, const kg_graph *g, const int *m, int n, int i, kg_nb *out, int cap)
{
	(void)ctx;
	int k = 0;
	size_t li = strlen(kg_graph_node(g, m[i])->text);
	for (int j = 0; j < n && k < cap; j++) {
		if (j == i)
			continue;
		size_t lj = strlen(kg_graph_node(g, m[j])->text);
		out[k].node = m[j];
		out[k].score = 1.0 / (1.0 + (double)(li > lj ? li - lj : lj - li));
		k++;
	}
	return k;
}

static void test_nodes(void)
{
	kg_graph *g = kg_graph_new();
	int a = kg_graph_add(g, KG_ENTITY, "noun.animal", "dog", WN_NOUN, lemma("dog"), -1);
	int b = kg_graph_add(g, KG_ENTITY, "noun.animal", "dog", WN_NOUN, lemma("dog"), -1);
	T_EQ_INT(a, b);
	T_EQ_INT(kg_graph_node(g, a)->freq, 2);
	int c = kg_graph_add(g, KG_PART, "subject", "dog", WN_NOUN, lemma("dog"), 5);
	T_ASSERT(c != a);                                 /* entities and parts are apart */
	kg_graph_add(g, KG_PART, "subject", "dog", WN_NOUN, lemma("dog"), 38);
	kg_graph_add(g, KG_PART, "subject", "dog", WN_NOUN, lemma("dog"), 38);
	T_EQ_INT(kg_graph_node(g, c)->theme, 38);         /* the most frequent theme */
	T_EQ_INT(kg_graph_find(g, KG_ENTITY, "noun.animal", "dog"), a);
	T_EQ_INT(kg_graph_find(g, KG_ENTITY, "noun.animal", "cat"), -1);
	T_EQ_INT(kg_graph_find(g, KG_ENTITY, "subject", "dog"), -1);
	T_EQ_INT(kg_graph_ngroups(g), 2);
	kg_graph_free(g);
}

static void test_plugged_scorer(void)
{
	kg_graph *g = kg_graph_new();
	static const char *const w[] = {"bb", "a", "ccc", "dddd", "ee", "f"};
	for (int i = 0; i < 6; i++)
		kg_graph_add(g, KG_ENTITY, "t", w[i], -1, -1, -1);
	kg_graph_add(g, KG_PART, "action", "x", -1, -1, -1);
	kg_graph_add(g, KG_PART, "action", "yy", -1, -1, -1);
	kg_scorer s = {"len", NULL, len_prepare, len_neighbors};
	n_prepare = 0;
	kg_graph_build(g, &s, 3, 1);
	T_EQ_INT(n_prepare, 2);                           /* once per group */
	const kg_node *bb = kg_graph_node(g, kg_graph_find(g, KG_ENTITY, "t", "bb"));
	T_EQ_INT(bb->nnb, 3);
	/* "ee" (score 1) first, then "a", "ccc", "f" at 0.5: ties by text */
	T_EQ_STR(kg_graph_node(g, bb->nb[0].node)->text, "ee");
	T_EQ_STR(kg_graph_node(g, bb->nb[1].node)->text, "a");
	T_EQ_STR(kg_graph_node(g, bb->nb[2].node)->text, "ccc");
	T_NEAR(bb->nb[1].score, 0.5, 0);
	const kg_node *x = kg_graph_node(g, kg_graph_find(g, KG_PART, "action", "x"));
	T_EQ_INT(x->nnb, 1);                              /* k for parts */
	const int *m;
	T_EQ_INT(kg_graph_members(g, kg_graph_group(g, KG_ENTITY, "t"), &m), 6);
	T_EQ_STR(kg_graph_node(g, m[0])->text, "a");
	T_EQ_STR(kg_graph_node(g, m[5])->text, "f");
	kg_graph_free(g);
}

static kg_graph *animals(void)
{
	kg_graph *g = kg_graph_new();
	static const char *const w[] = {"dog", "cat", "wolf", "puppy", "horse", "car"};
	for (int i = 0; i < 6; i++)
		kg_graph_add(g, KG_ENTITY, i == 5 ? "noun.artifact" : "noun.animal", w[i], WN_NOUN,
		             lemma(w[i]), -1);
	kg_graph_add(g, KG_ENTITY, "name", "Zorro", -1, -1, -1);
	kg_graph_add(g, KG_PART, "action", "ride", WN_VERB, lemma("ride"), 38);
	kg_graph_add(g, KG_PART, "action", "run", WN_VERB, lemma("run"), 38);
	kg_graph_add(g, KG_PART, "action", "eat", WN_VERB, lemma("eat"), 34);
	kg_graph_add(g, KG_PART, "state", "happy", WN_ADJ, lemma("happy"), -1);
	kg_graph_add(g, KG_PART, "state", "glad", WN_ADJ, lemma("glad"), -1);
	return g;
}

static void test_wordnet_scorer(void)
{
	kg_graph *g = animals();
	kg_scorer s;
	kg_wordnet_scorer_init(&s, wn);
	kg_graph_build(g, &s, 10, 5);
	kg_wordnet_scorer_free(&s);
	const kg_node *dog = kg_graph_node(g, kg_graph_find(g, KG_ENTITY, "noun.animal", "dog"));
	/* puppy (hyponym, 20/21), wolf (sibling, 18/20), cat (cousin, 16/20), horse
	 * (through "animal", depth 7, 3 steps above dog and 1 above horse: 14/18) */
	T_EQ_INT(dog->nnb, 4);
	T_EQ_STR(kg_graph_node(g, dog->nb[3].node)->text, "horse");
	T_NEAR(dog->nb[3].score, 14.0 / 18.0, 1e-12);
	T_EQ_STR(kg_graph_node(g, dog->nb[0].node)->text, "puppy");
	T_NEAR(dog->nb[0].score, 20.0 / 21.0, 1e-12);
	T_EQ_STR(kg_graph_node(g, dog->nb[1].node)->text, "wolf");
	T_EQ_STR(kg_graph_node(g, dog->nb[2].node)->text, "cat");
	T_NEAR(dog->nb[2].score, 0.8, 1e-12);
	const kg_node *car = kg_graph_node(g, kg_graph_find(g, KG_ENTITY, "noun.artifact", "car"));
	T_EQ_INT(car->nnb, 0);                            /* alone in its group */
	const kg_node *ride = kg_graph_node(g, kg_graph_find(g, KG_PART, "action", "ride"));
	T_EQ_INT(ride->nnb, 1);                           /* run (sibling); eat is elsewhere */
	T_EQ_STR(kg_graph_node(g, ride->nb[0].node)->text, "run");
	const kg_node *glad = kg_graph_node(g, kg_graph_find(g, KG_PART, "state", "glad"));
	T_EQ_INT(glad->nnb, 1);
	T_NEAR(glad->nb[0].score, 0.8, 1e-12);            /* satellite and head */
	const kg_node *z = kg_graph_node(g, kg_graph_find(g, KG_ENTITY, "name", "Zorro"));
	T_EQ_INT(z->nnb, 0);

	/* write, read back, write again: the same bytes */
	char p1[] = "/tmp/gcse-kg1-XXXXXX", p2[] = "/tmp/gcse-kg2-XXXXXX";
	int f1 = mkstemp(p1), f2 = mkstemp(p2);
	T_ASSERT(f1 >= 0 && f2 >= 0);
	FILE *o = fdopen(f1, "w");
	T_ASSERT(kg_graph_write(g, o) == 0);
	fclose(o);
	char err[512];
	kg_graph *h = kg_graph_read(p1, wn, err, sizeof err);
	if (!h)
		T_FAIL("read: %s", err);
	T_EQ_INT(kg_graph_nnodes(h), kg_graph_nnodes(g));
	const kg_node *d2 = kg_graph_node(h, kg_graph_find(h, KG_ENTITY, "noun.animal", "dog"));
	T_EQ_INT(d2->nnb, 4);
	T_EQ_STR(kg_graph_node(h, d2->nb[1].node)->text, "wolf");
	T_NEAR(d2->nb[0].score, 0.9524, 0);               /* rounded to 4 decimals */
	T_EQ_INT(d2->lemma, lemma("dog"));
	const kg_node *r2 = kg_graph_node(h, kg_graph_find(h, KG_PART, "action", "ride"));
	T_EQ_INT(r2->pos, WN_VERB);
	T_EQ_INT(r2->theme, 38);
	o = fdopen(f2, "w");
	T_ASSERT(kg_graph_write(h, o) == 0);
	fclose(o);
	FILE *a1 = fopen(p1, "r"), *a2 = fopen(p2, "r");
	char b1[8192], b2[8192];
	size_t n1 = fread(b1, 1, sizeof b1, a1), n2 = fread(b2, 1, sizeof b2, a2);
	fclose(a1);
	fclose(a2);
	T_EQ_INT((long)n1, (long)n2);
	T_ASSERT(n1 > 0 && !memcmp(b1, b2, n1));
	unlink(p1);
	unlink(p2);
	kg_graph_free(h);
	kg_graph_free(g);
}

static void read_error(const char *content, const char *want)
{
	char p[] = "/tmp/gcse-kg3-XXXXXX";
	int fd = mkstemp(p);
	FILE *f = fdopen(fd, "w");
	fputs(content, f);
	fclose(f);
	char err[512] = "";
	kg_graph *g = kg_graph_read(p, NULL, err, sizeof err);
	unlink(p);
	if (g) {
		kg_graph_free(g);
		T_FAIL("read accepted %s", content);
	}
	if (!strstr(err, want))
		T_FAIL("error \"%s\" lacks \"%s\"", err, want);
}

static void test_read_errors(void)
{
	read_error("{\"node\":\"a\",\"type\":\"t\"}\n{bad\n", ":2: bad JSON");
	read_error("[1]\n", ":1: not a JSON object");
	read_error("{\"type\":\"t\"}\n", ":1: field \"node\"");
	read_error("{\"node\":\"a\"}\n", ":1: expected exactly one of");
	read_error("{\"node\":\"a\",\"type\":\"t\",\"role\":\"subject\"}\n", "exactly one");
	read_error("{\"node\":\"a\",\"type\":\"t\",\"neighbors\":{}}\n", "field \"neighbors\"");
	read_error("{\"node\":\"a\",\"type\":\"t\",\"neighbors\":[{\"node\":3}]}\n", "neighbor 1");
	read_error("{\"node\":\"a\",\"type\":\"t\"}\n\n{\"node\":\"a\",\"type\":\"t\"}\n", ":3: duplicate node");
	char err[512];
	T_ASSERT(kg_graph_read("/nonexistent/graph.ndjson", NULL, err, sizeof err) == NULL);
	T_ASSERT(strstr(err, "/nonexistent/graph.ndjson") != NULL);
	/* a neighbour that is not a node of the file becomes one, of frequency 0 */
	char p[] = "/tmp/gcse-kg4-XXXXXX";
	int fd = mkstemp(p);
	FILE *f = fdopen(fd, "w");
	fputs("{\"node\":\"a\",\"type\":\"t\",\"freq\":4,\"neighbors\":[{\"node\":\"b\",\"score\":0.5}]}\n", f);
	fclose(f);
	kg_graph *g = kg_graph_read(p, NULL, err, sizeof err);
	unlink(p);
	T_ASSERT(g != NULL);
	if (!g)
		return;
	int b = kg_graph_find(g, KG_ENTITY, "t", "b");
	T_ASSERT(b >= 0);
	T_EQ_INT(kg_graph_node(g, b)->freq, 0);
	T_EQ_INT(kg_graph_node(g, kg_graph_find(g, KG_ENTITY, "t", "a"))->freq, 4);
	kg_graph_free(g);
}

int main(void)
{
	if (!(wn = wn_fixture_load()))
		return 1;
	T_RUN(test_nodes);
	T_RUN(test_plugged_scorer);
	T_RUN(test_wordnet_scorer);
	T_RUN(test_read_errors);
	wn_free(wn);
	return t_done();
}
