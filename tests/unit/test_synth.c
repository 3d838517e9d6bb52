/* test_synth.c — rule-based candidates on the WordNet fixture: every kind,
 * inflection and agreement, the METHOD.md shares, fallbacks, determinism. */
#include "t.h"
#include "kg/synth.h"
#include "wnfixture.h"

#include <time.h>

static wordnet *wn;
static kg_synth *S;

/* kg_synth_kind on text with the generator seeded by seed: the candidate
 * (malloc'ed) and its rule, or NULL. */
static char *make_seeded(kg_synth *s, const char *text, int kind, int seed, const char **rule)
{
	rng r;
	rng_seed(&r, (uint64_t)seed);
	char *o;
	return kg_synth_kind(s, text, strlen(text), kind, &r, &o, rule) ? o : NULL;
}

/* Does some seed in [0, n) make kind give exactly want (and rule, if given)? */
static int makes(kg_synth *s, const char *text, int kind, const char *want, const char *rule, int n)
{
	for (int seed = 0; seed < n; seed++) {
		const char *ru;
		char *o = make_seeded(s, text, kind, seed, &ru);
		if (!o)
			continue;
		int hit = !strcmp(o, want) && (!rule || !strcmp(rule, ru));
		free(o);
		if (hit)
			return 1;
	}
	return 0;
}

static int cannot(const char *text, int kind)
{
	for (int seed = 0; seed < 20; seed++) {
		char *o = make_seeded(S, text, kind, seed, NULL);
		if (o) {
			free(o);
			return 0;
		}
	}
	return 1;
}

static void test_rewrite(void)
{
	T_ASSERT(makes(S, "Two dogs are playing in the park.", KG_REWRITE, "In the park, two dogs are playing.", "front_pp", 20));
	T_ASSERT(makes(S, "the man rides a horse", KG_REWRITE, "a horse is ridden by the man", "passive", 20));
	T_ASSERT(makes(S, "She bought 3 apples.", KG_REWRITE, "3 apples were bought by her.", "passive", 40));
	T_ASSERT(makes(S, "They didn't eat the ice cream.", KG_REWRITE, "They did not eat the ice cream.", "contraction", 20));
	T_ASSERT(makes(S, "They did not eat the cake.", KG_REWRITE, "They didn't eat the cake.", "contraction", 20));
	T_ASSERT(makes(S, "The sky is very blue today.", KG_REWRITE, "The sky is blue today.", "condense", 20));
	T_ASSERT(makes(S, "In the city, the children ran.", KG_REWRITE, "The children ran in the city.", "back_pp", 20));
	T_ASSERT(makes(S, "She ran quickly.", KG_REWRITE, "She quickly ran.", "move_adverb", 20));
	T_ASSERT(makes(S, "She quickly ran to the park.", KG_REWRITE, "She ran to the park quickly.", "move_adverb", 20));
	T_ASSERT(makes(S, "The dog and the cat ran.", KG_REWRITE, "The cat and the dog ran.", "swap_coord", 20));
	/* a PP that is the complement of "be" stays */
	T_ASSERT(!makes(S, "The dogs are in the park.", KG_REWRITE, "In the park, the dogs are.", NULL, 20));
}

static void test_synonym(void)
{
	T_ASSERT(makes(S, "The children ran to the park.", KG_SYNONYM, "The kids ran to the park.", "synonym", 10));
	T_ASSERT(makes(S, "She bought a car.", KG_SYNONYM, "She purchased a car.", "synonym", 20));
	T_ASSERT(makes(S, "She bought a car.", KG_SYNONYM, "She bought an automobile.", "synonym", 20));  /* a -> an */
	T_ASSERT(cannot("The dog barked.", KG_SYNONYM));
}

static void test_related(void)
{
	/* plural kept: "dogs" -> a plural neighbour */
	int plural_ok = 1, any = 0;
	for (int seed = 0; seed < 30; seed++) {
		const char *ru;
		char *o = make_seeded(S, "Two dogs are playing.", KG_RELATED_SWAP, seed, &ru);
		if (!o)
			continue;
		any++;
		T_EQ_STR(ru, "wordnet_neighbor");
		if (strncmp(o, "Two dogs", 8) && !strstr(o, "s are playing."))
			plural_ok = 0;
		free(o);
	}
	T_ASSERT(any > 0);
	T_ASSERT(plural_ok);
	T_ASSERT(makes(S, "Two dogs are playing.", KG_RELATED_SWAP, "Two wolves are playing.", NULL, 40));
	T_ASSERT(makes(S, "The children ran to the park.", KG_RELATED_SWAP, "The skiers ran to the park.", NULL, 40));
	T_ASSERT(cannot("!!!", KG_RELATED_SWAP));
}

static void test_contradiction(void)
{
	T_ASSERT(makes(S, "Two dogs are playing in the park.", KG_CONTRADICTION, "Two dogs are not playing in the park.", "negation", 20));
	T_ASSERT(makes(S, "the man rides a horse", KG_CONTRADICTION, "the man does not ride a horse", "negation", 20));
	T_ASSERT(makes(S, "The children ran to the park.", KG_CONTRADICTION, "The children did not run to the park.", "negation", 20));
	T_ASSERT(makes(S, "They didn't eat the ice cream.", KG_CONTRADICTION, "They ate the ice cream.", "unnegation", 20));
	T_ASSERT(makes(S, "They did not eat the cake.", KG_CONTRADICTION, "They ate the cake.", "unnegation", 20));
	T_ASSERT(makes(S, "The dog can run.", KG_CONTRADICTION, "The dog cannot run.", "negation", 20));
	T_ASSERT(makes(S, "The dog can't run.", KG_CONTRADICTION, "The dog can run.", "unnegation", 20));
	T_ASSERT(makes(S, "The happy woman sold her car.", KG_CONTRADICTION, "The happy man sold her car.", "antonym", 40));
	T_ASSERT(makes(S, "The happy woman sold her car.", KG_CONTRADICTION, "The unhappy woman sold her car.", "antonym", 40));
	T_ASSERT(makes(S, "The men ran.", KG_CONTRADICTION, "The women ran.", "antonym", 40));   /* plural kept */
	T_ASSERT(makes(S, "Prices rose.", KG_CONTRADICTION, "Prices fell.", "antonym", 40));        /* tense kept */
	T_ASSERT(makes(S, "Run to the park.", KG_CONTRADICTION, "Do not run to the park.", "negation", 20));
	T_ASSERT(cannot("a cake", KG_CONTRADICTION));
}

static void test_entity_swap(void)
{
	int n = 0;
	for (int seed = 0; seed < 20; seed++) {
		const char *ru;
		char *o = make_seeded(S, "The man rides a horse.", KG_ENTITY_SWAP, seed, &ru);
		if (!o)
			continue;
		n++;
		T_EQ_STR(ru, "wordnet_random");
		T_ASSERT(strcmp(o, "The man rides a horse."));
		T_ASSERT(!strstr(o, "adult male"));             /* never a synonym */
		free(o);
	}
	T_ASSERT(n > 0);
	T_ASSERT(cannot("Yesterday John met Mary.", KG_ENTITY_SWAP));
}

static void test_quantity(void)
{
	/* the subject's count, with agreement of the noun and the verb */
	int n = 0;
	for (int seed = 0; seed < 40; seed++) {
		const char *ru;
		char *o = make_seeded(S, "A man on skis is racing down the hill.", KG_QUANTITY, seed, &ru);
		if (!o)
			continue;
		n++;
		T_EQ_STR(ru, "subject_count");
		if (strstr(o, " men on skis "))
			T_ASSERT(strstr(o, " are racing") != NULL);
		else
			T_ASSERT(strstr(o, " man on skis is racing") != NULL);
		free(o);
	}
	T_EQ_INT(n, 40);
	for (int seed = 0; seed < 40; seed++) {
		const char *ru;
		char *o = make_seeded(S, "Two dogs are playing.", KG_QUANTITY, seed, &ru);
		T_ASSERT(o);
		T_EQ_STR(ru, "subject_count");
		T_ASSERT(strncmp(o, "Two ", 4) && (strstr(o, " dogs are playing.") || !strcmp(o, "One dog is playing.")));
		free(o);
	}
	for (int seed = 0; seed < 20; seed++) {
		const char *ru;
		char *o = make_seeded(S, "She bought 3 apples.", KG_QUANTITY, seed, &ru);
		T_ASSERT(o);
		T_EQ_STR(ru, "quantity_value");     /* a pronoun subject has no count to change */
		long v = -1;
		char unit[32] = "";
		T_ASSERT(sscanf(o, "She bought %ld %31[a-z]", &v, unit) == 2);
		T_ASSERT(v >= 0 && v <= 10000 && v != 3);
		free(o);
	}
	for (int seed = 0; seed < 20; seed++) {
		const char *ru;
		char *o = make_seeded(S, "Prices rose in 1999.", KG_QUANTITY, seed, &ru);
		T_ASSERT(o);
		T_EQ_STR(ru, "date_shift");
		int y = 0;
		T_ASSERT(sscanf(o, "Prices rose in %d.", &y) == 1);
		T_ASSERT(y != 1999 && y >= 1969 && y <= 2029);
		free(o);
	}
	T_ASSERT(cannot("She sighed.", KG_QUANTITY));
	T_ASSERT(cannot("A dog and a cat ran.", KG_QUANTITY));   /* a coordinated subject has no count */
}

static int planned[KG_NKINDS], done[KG_NKINDS];

/* The sense kinds: the sense is the one whose example is the sentence, else
 * the first; the same word in the positive and the negative. */
static void test_senses(void)
{
	const char *river = "they pulled the canoe up on the bank", *money = "he cashed a check at the bank";
	T_ASSERT(makes(S, river, KG_GLOSS, "they pulled the canoe up on the sloping land beside a body of water", "example_sense", 5));
	T_ASSERT(makes(S, river, KG_SENSE_SYNONYM, "they pulled the canoe up on the riverside", "example_sense", 5));
	T_ASSERT(makes(S, river, KG_SENSE_SWAP, "they pulled the canoe up on the depository", "example_sense", 5));
	T_ASSERT(makes(S, river, KG_GLOSS_SWAP, "they pulled the canoe up on the financial institution that accepts deposits", "example_sense", 5));
	T_ASSERT(makes(S, money, KG_GLOSS, "he cashed a check at the financial institution that accepts deposits", "example_sense", 5));
	T_ASSERT(makes(S, money, KG_SENSE_SYNONYM, "he cashed a check at the depository", "example_sense", 5));
	T_ASSERT(makes(S, money, KG_SENSE_SWAP, "he cashed a check at the riverside", "example_sense", 5));
	/* an article dropped after a possessive too; "riverside", never tagged
	 * in the fixture's corpus, is fit: rare words are */
	T_ASSERT(makes(S, "he sold his bank", KG_GLOSS, "he sold his financial institution that accepts deposits", "first_sense", 5));
	/* no example: the first sense */
	T_ASSERT(makes(S, "The bank was closed.", KG_SENSE_SWAP, "The riverside was closed.", "first_sense", 5));
	T_ASSERT(makes(S, "The bank was closed.", KG_GLOSS, "The financial institution that accepts deposits was closed.", "first_sense", 5));
	/* a verb's definition inflected like it */
	T_ASSERT(makes(S, "the children ran to the store", KG_GLOSS, "the children moved fast by using one's feet to the store", "example_sense", 5));
	/* one sense only: no other sense to swap in */
	T_ASSERT(cannot("the dog barked all night", KG_SENSE_SWAP));
	T_ASSERT(cannot("the dog barked all night", KG_GLOSS_SWAP));
	for (int k = KG_GLOSS; k <= KG_GLOSS_SWAP; k++)
		T_ASSERT(kg_kind_role(k) == (k <= KG_SENSE_SYNONYM ? KG_POSITIVE : KG_NEGATIVE));
	T_ASSERT(!strcmp(kg_kind_name(KG_SENSE_SYNONYM), "sense_synonym"));
}

static void test_record(void)
{
	const char *s = "Two dogs are playing in the park.";
	const kg_candidate *c;
	int np, nn;
	int m = kg_synth_record(S, s, strlen(s), 7, 1, &c, &np, &nn);
	T_EQ_INT(m, 2);
	T_EQ_INT(np, 1);
	T_EQ_INT(nn, 1);
	T_EQ_INT(c[0].role, KG_POSITIVE);
	T_EQ_INT(c[1].role, KG_NEGATIVE);
	m = kg_synth_record(S, s, strlen(s), 7, 4, &c, &np, &nn);
	T_ASSERT(np >= 2 && nn >= 3);
	for (int i = 0; i < m; i++) {
		T_ASSERT(strcmp(c[i].text, s));
		T_ASSERT(!strchr(c[i].text, '\n'));
		T_EQ_INT(c[i].role, kg_kind_role(c[i].kind));
		T_ASSERT(c[i].rule && *c[i].rule);
		for (int j = 0; j < i; j++)
			T_ASSERT(strcmp(c[i].text, c[j].text));
	}
	/* the same seed and text: the same candidates; the record's place does not matter */
	char first[4][256];
	m = kg_synth_record(S, s, strlen(s), 99, 2, &c, NULL, NULL);
	for (int i = 0; i < m && i < 4; i++)
		snprintf(first[i], sizeof first[i], "%s", c[i].text);
	kg_synth_record(S, "She sighed.", 11, 99, 2, &c, NULL, NULL);
	int m2 = kg_synth_record(S, s, strlen(s), 99, 2, &c, NULL, NULL);
	T_EQ_INT(m2, m);
	for (int i = 0; i < m && i < 4; i++)
		T_EQ_STR(c[i].text, first[i]);
	/* a line break in the anchor does not reach a candidate */
	m = kg_synth_record(S, "Two dogs are\nplaying in the park.", 33, 1, 2, &c, NULL, NULL);
	for (int i = 0; i < m; i++)
		T_ASSERT(!strchr(c[i].text, '\n'));
	m = kg_synth_record(S, "!!!", 3, 1, 1, &c, &np, &nn);
	T_EQ_INT(m, 0);
}

static void test_shares(void)
{
	const char *s = "Two dogs are playing in the park.";
	memset(planned, 0, sizeof planned);
	memset(done, 0, sizeof done);
	int N = 2000;
	for (int seed = 0; seed < N; seed++) {
		const kg_candidate *c;
		int m = kg_synth_record(S, s, strlen(s), (uint64_t)seed, 1, &c, NULL, NULL);
		for (int i = 0; i < m; i++) {
			planned[c[i].planned]++;
			done[c[i].kind]++;
		}
	}
	T_NEAR(planned[KG_REWRITE] / (double)N, 0.70, 0.04);
	T_NEAR(planned[KG_RELATED_SWAP] / (double)N, 0.30, 0.04);
	T_NEAR(planned[KG_CONTRADICTION] / (double)N, 0.70, 0.04);
	T_NEAR(planned[KG_ENTITY_SWAP] / (double)N, 0.15, 0.03);
	T_NEAR(planned[KG_QUANTITY] / (double)N, 0.15, 0.03);
	/* every family applies to this sentence: no fallbacks */
	for (int k = 0; k < KG_NKINDS; k++)
		T_EQ_INT(done[k], planned[k]);
}

static void test_fallback(void)
{
	/* no verb, no antonym: contradictions fall back (entity swap or count) */
	const char *s = "a cake";
	int fb = 0;
	for (int seed = 0; seed < 50; seed++) {
		const kg_candidate *c;
		int m = kg_synth_record(S, s, strlen(s), (uint64_t)seed, 1, &c, NULL, NULL);
		for (int i = 0; i < m; i++) {
			if (c[i].role != KG_NEGATIVE)
				continue;
			T_ASSERT(c[i].kind != KG_CONTRADICTION);
			if (c[i].planned == KG_CONTRADICTION)
				fb++;
		}
	}
	T_ASSERT(fb > 20);
}

static void test_graph(void)
{
	/* a small graph: neighbours and random picks come from it */
	kg_graph *g = kg_graph_new();
	static const char *const w[] = {"dog", "puppy", "wolf", "cat", "horse"};
	for (int i = 0; i < 5; i++)
		kg_graph_add(g, KG_ENTITY, "noun.animal", w[i], WN_NOUN, wn_lookup(wn, w[i], strlen(w[i])), -1);
	kg_scorer sc;
	kg_wordnet_scorer_init(&sc, wn);
	kg_graph_build(g, &sc, 10, 5);
	kg_wordnet_scorer_free(&sc);
	kg_synth *s = kg_synth_new(wn, g);
	/* dog's neighbours: puppy, wolf, cat, horse; never the nearest (puppy) */
	int seen[5] = {0};
	for (int seed = 0; seed < 60; seed++) {
		const char *ru;
		char *o = make_seeded(s, "The dog barked.", KG_RELATED_SWAP, seed, &ru);
		if (!o)
			continue;
		if (strcmp(ru, "graph_neighbor")) {     /* the action "bark": not in the graph */
			free(o);
			continue;
		}
		for (int i = 0; i < 5; i++) {
			char want[64];
			snprintf(want, sizeof want, "The %s barked.", w[i]);
			seen[i] |= !strcmp(o, want);
		}
		free(o);
	}
	T_ASSERT(!seen[0] && !seen[1]);
	T_ASSERT(seen[2] && seen[3] && seen[4]);
	T_ASSERT(makes(s, "The dog barked.", KG_ENTITY_SWAP, "The horse barked.", "graph_random", 40));
	kg_synth_free(s);
	kg_graph_free(g);
}

/* Does some seed in [0, n) make kind give exactly want, and none give bad
 * (by rule, if given)? */
static int makes_not(kg_synth *s, const char *text, int kind, const char *want, const char *bad,
                     const char *rule, int n)
{
	int hit = 0;
	for (int seed = 0; seed < n; seed++) {
		const char *ru;
		char *o = make_seeded(s, text, kind, seed, &ru);
		if (!o)
			continue;
		if (rule && strcmp(rule, ru)) {
			free(o);
			continue;
		}
		hit |= !strcmp(o, want);
		int b = !strcmp(o, bad);
		free(o);
		if (b)
			return 0;
	}
	return hit;
}

static kg_graph *case_graph(void)
{
	/* nodes first seen at the start of a sentence keep its capital (a
	 * capitalised subject may even be tagged a name: role "subject") */
	kg_graph *g = kg_graph_new();
	static const char *const w[] = {"dog", "Puppy", "Wolf", "Cat", "Horse"};
	for (int i = 0; i < 5; i++) {
		int l = wn_lookup(wn, w[i], strlen(w[i]));
		kg_graph_add(g, KG_ENTITY, "noun.animal", w[i], WN_NOUN, l, -1);
		kg_graph_add(g, KG_PART, "subject", w[i], WN_NOUN, l, -1);
	}
	static const char *const nm[] = {"John", "Mary", "Alice"};
	for (int i = 0; i < 3; i++)
		kg_graph_add(g, KG_ENTITY, "name", nm[i], -1, -1, -1);
	kg_scorer sc;
	kg_wordnet_scorer_init(&sc, wn);
	kg_graph_build(g, &sc, 10, 5);
	kg_wordnet_scorer_free(&sc);
	return g;
}

static void test_graph_case(void)
{
	kg_graph *g = case_graph();
	kg_synth *s = kg_synth_new(wn, g);
	/* mid-sentence: lowercase */
	T_ASSERT(makes_not(s, "The dog barked.", KG_RELATED_SWAP, "The wolf barked.", "The Wolf barked.", "graph_neighbor", 60));
	T_ASSERT(makes_not(s, "The dog barked.", KG_RELATED_SWAP, "The cat barked.", "The Cat barked.", "graph_neighbor", 60));
	T_ASSERT(makes_not(s, "The dog barked.", KG_ENTITY_SWAP, "The horse barked.", "The Horse barked.", "graph_random", 60));
	T_ASSERT(makes_not(s, "I saw two dogs.", KG_ENTITY_SWAP, "I saw two horses.", "I saw two Horses.", "graph_random", 60));
	/* at the start of the sentence: capitalised like the word it replaces */
	T_ASSERT(makes(s, "Dogs barked.", KG_RELATED_SWAP, "Wolves barked.", "graph_neighbor", 60));
	T_ASSERT(makes(s, "Dogs barked.", KG_ENTITY_SWAP, "Horses barked.", "graph_random", 60));
	/* a lowercase sentence stays lowercase */
	T_ASSERT(makes_not(s, "dogs barked.", KG_ENTITY_SWAP, "horses barked.", "Horses barked.", "graph_random", 60));
	/* names keep their capitals wherever they go */
	T_ASSERT(makes_not(s, "Yesterday John met Mary.", KG_ENTITY_SWAP, "Yesterday Alice met Mary.",
	                   "Yesterday alice met Mary.", "graph_random", 60));
	T_ASSERT(makes(s, "John met Mary.", KG_ENTITY_SWAP, "Alice met Mary.", "graph_random", 60));
	kg_synth_free(s);
	kg_graph_free(g);
}

/* Issue 15, D10: a record's candidates cost time linear in its length (the
 * analyses under them were quadratic). CPU time for 4n bytes against n:
 * about 4 when linear, 16 when quadratic; summed over 6 seeds, since each
 * seed takes its own path through the rules (re-analysing the whole text a
 * different number of times). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_linear_in_length(void)
{
	static const char unit[] = "Two dogs are playing in the park. A man on skis bought 3 apples on "
	                           "March 3, 2001 in the city. The happy woman sold her car. ";
	size_t ul = sizeof unit - 1, n1 = 100000 / ul * ul, n4 = 4 * n1;
	char *t = malloc(n4 + 1);
	for (size_t k = 0; k < n4; k += ul)
		memcpy(t + k, unit, ul);
	double cpu[2] = {0, 0};
	int got[2] = {0, 0};
	for (int i = 0; i < 2; i++)
		for (int seed = 1; seed <= 6; seed++) {
			const kg_candidate *c;
			int np, nn;
			double t0 = cpu_now();
			got[i] += kg_synth_record(S, t, i ? n4 : n1, (uint64_t)seed, 2, &c, &np, &nn);
			cpu[i] += cpu_now() - t0;
		}
	free(t);
	printf("#   kg_synth_record: %.3f s for %zu bytes, %.3f s for %zu (ratio %.1f)\n",
	       cpu[0], n1, cpu[1], n4, cpu[1] / cpu[0]);
	T_ASSERT(got[0] >= 12 && got[1] >= 12);
	T_ASSERT(cpu[1] / cpu[0] < 8);
}

int main(void)
{
	if (!(wn = wn_fixture_load()))
		return 1;
	S = kg_synth_new(wn, NULL);
	T_RUN(test_rewrite);
	T_RUN(test_synonym);
	T_RUN(test_related);
	T_RUN(test_contradiction);
	T_RUN(test_entity_swap);
	T_RUN(test_quantity);
	T_RUN(test_senses);
	T_RUN(test_record);
	T_RUN(test_shares);
	T_RUN(test_fallback);
	T_RUN(test_graph);
	T_RUN(test_graph_case);
	T_RUN(test_linear_in_length);
	kg_synth_free(S);
	wn_free(wn);
	return t_done();
}
