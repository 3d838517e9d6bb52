/* test_extract.c — tokens, tags, entities, quantities, main parts, numbers,
 * on the WordNet fixture (tests/data/wordnet). */
#include "t.h"
#include "kg/extract.h"
#include "wnfixture.h"

#include <time.h>

static wordnet *wn;
static kg_extractor *x;
static kg_analysis *a;

static void run(const char *s)
{
	kg_analyze(x, s, strlen(s), a);
}

static char spanbuf[512];
static const char *span(int s, int e)
{
	snprintf(spanbuf, sizeof spanbuf, "%.*s", e - s, a->text + s);
	return spanbuf;
}

/* The entity with this text, or NULL. */
static const kg_entity *entity(const char *text)
{
	for (int k = 0; k < a->nent; k++)
		if (!strcmp(span(a->ent[k].start, a->ent[k].end), text))
			return &a->ent[k];
	return NULL;
}

static void test_numbers(void)
{
	static const struct { const char *s; double v; } ok[] = {
		{"3", 3}, {"1,234.5", 1234.5}, {"0.25", 0.25}, {"twenty-five", 25},
		{"two hundred and ten", 210}, {"a dozen", 12}, {"three million", 3e6},
		{"a hundred", 100}, {"one thousand two hundred", 1200}, {"zero", 0},
		{"ninety nine", 99}, {"-4", -4}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		double v = -1;
		T_ASSERT(kg_parse_number(ok[i].s, strlen(ok[i].s), &v));
		T_NEAR(v, ok[i].v, 1e-9);
	}
	static const char *const bad[] = {"dog", "", "twenty dog", "1.2.3", "a", "and two"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		double v;
		T_ASSERT(!kg_parse_number(bad[i], strlen(bad[i]), &v));
	}
	char w[64];
	static const struct { long v; const char *s; } words[] = {
		{0, "zero"}, {7, "seven"}, {42, "forty-two"}, {100, "one hundred"},
		{1000, "one thousand"}, {123456, "one hundred twenty-three thousand four hundred fifty-six"},
		{1000000, "1000000"}};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		T_ASSERT(kg_number_words(words[i].v, w, sizeof w) > 0);
		T_EQ_STR(w, words[i].s);
	}
	for (long v = 0; v < 2000; v += 37) {      /* words read back */
		double r;
		T_ASSERT(kg_number_words(v, w, sizeof w) > 0);
		T_ASSERT(kg_parse_number(w, strlen(w), &r));
		T_NEAR(r, (double)v, 0);
	}
}

static void test_tokens(void)
{
	run("They didn't eat the ice cream.");
	/* They | did | n't | eat | the | ice cream | . */
	T_EQ_INT(a->ntok, 7);
	T_EQ_STR(a->tok[1].norm, "did");
	T_EQ_STR(a->tok[2].norm, "n't");
	T_EQ_INT(a->tok[2].tag, KG_NEG);
	T_EQ_STR(a->tok[5].norm, "ice cream");          /* a WordNet collocation is one token */
	T_EQ_INT(a->tok[5].tag, KG_NOUN);
	T_EQ_STR(span(a->tok[5].start, a->tok[5].end), "ice cream");
	run("I can't see.");
	T_EQ_STR(a->tok[1].norm, "can");
	T_EQ_STR(span(a->tok[1].start, a->tok[1].end), "ca");
	/* UTF-8: the offsets are bytes; a curly apostrophe splits like a straight one */
	run("Zo\xc3\xab\xe2\x80\x99s car isn\xe2\x80\x99t big.");
	T_EQ_STR(span(a->tok[0].start, a->tok[0].end), "Zo\xc3\xab");
	T_EQ_STR(a->tok[1].norm, "'s");
	T_EQ_INT(a->tok[1].start, 4);        /* "Zo\xc3\xab" is 4 bytes */
	T_EQ_STR(a->tok[4].norm, "n't");
	run("");
	T_EQ_INT(a->ntok, 0);
	T_EQ_INT(a->nent, 0);
	T_ASSERT(!a->parts.subject.present && !a->parts.action.present);
	run("!!! ...");
	T_EQ_INT(a->nent, 0);
	T_EQ_INT(a->nqty, 0);
}

static void test_tags(void)
{
	run("the man rides a horse");
	T_EQ_INT(a->tok[1].tag, KG_NOUN);
	T_EQ_INT(a->tok[2].tag, KG_VERB);
	T_EQ_INT(a->tok[2].form, WN_VBZ);
	T_EQ_STR(wn_lemma_at(wn, a->tok[2].lemma)->text, "ride");
	run("The children ran to the park.");
	T_EQ_INT(a->tok[1].tag, KG_NOUN);
	T_EQ_INT(a->tok[1].form, 1);                     /* plural */
	T_EQ_STR(wn_lemma_at(wn, a->tok[1].lemma)->text, "child");
	T_EQ_INT(a->tok[2].form, WN_VBD);
	run("The happy woman sold her car.");
	T_EQ_INT(a->tok[1].tag, KG_ADJ);
	T_EQ_INT(a->tok[4].tag, KG_POSS);
}

static void test_entities(void)
{
	run("A man on skis is racing down the hill.");
	const kg_entity *e = entity("A man on skis");
	T_ASSERT(e != NULL);
	T_EQ_STR(kg_type_name(e->type), "noun.person");
	T_ASSERT(entity("A man") != NULL);
	e = entity("skis");
	T_ASSERT(e != NULL);
	T_EQ_STR(kg_type_name(e->type), "noun.artifact");
	T_EQ_STR(wn_lemma_at(wn, e->lemma)->text, "ski");
	T_ASSERT(entity("the hill") != NULL);
	/* sorted by start, longer first */
	for (int k = 1; k < a->nent; k++)
		T_ASSERT(a->ent[k - 1].start < a->ent[k].start ||
		         (a->ent[k - 1].start == a->ent[k].start && a->ent[k - 1].end > a->ent[k].end));
	run("The happy woman sold her car.");
	T_ASSERT(entity("The happy woman") != NULL);
	T_ASSERT(entity("woman") != NULL);               /* the head inside a modified NP */
	T_ASSERT(entity("her car") != NULL);
	run("Yesterday John Smith met Mary in Paris.");
	e = entity("John Smith");
	T_ASSERT(e != NULL);
	T_EQ_STR(kg_type_name(e->type), "name");
	char node[64];
	T_ASSERT(kg_entity_node(a, e, wn, node, sizeof node) > 0);
	T_EQ_STR(node, "John Smith");
	T_ASSERT(entity("Paris") != NULL);
	T_ASSERT(entity("Yesterday") == NULL);
	run("They ate the ice cream.");
	e = entity("the ice cream");
	T_ASSERT(e != NULL);
	T_EQ_STR(kg_type_name(e->type), "noun.food");
	T_ASSERT(kg_entity_node(a, e, wn, node, sizeof node) > 0);
	T_EQ_STR(node, "ice cream");
	/* JSON */
	jv j = kg_entities_json(x, a);
	T_EQ_INT(jv_array_length(jv_copy(j)), 1);
	jv o = jv_array_get(j, 0);
	jv l = jv_object_get(jv_copy(o), jv_string("lemma"));
	T_EQ_STR(jv_string_value(l), "ice cream");
	jv st = jv_object_get(o, jv_string("start"));
	T_EQ_INT((int)jv_number_value(st), 9);
	jv_free(l);
	jv_free(st);
}

static const kg_quantity *qty(const char *text)
{
	for (int k = 0; k < a->nqty; k++)
		if (!strcmp(span(a->qty[k].start, a->qty[k].end), text))
			return &a->qty[k];
	return NULL;
}

static void test_quantities(void)
{
	run("She bought 3 apples for $5.99 on March 3, 2001.");
	T_EQ_INT(a->nqty, 3);
	const kg_quantity *q = qty("3 apples");
	T_ASSERT(q != NULL);
	T_NEAR(q->value, 3, 0);
	T_EQ_STR(q->unit, "apple");
	q = qty("$5.99");
	T_ASSERT(q != NULL);
	T_NEAR(q->value, 5.99, 1e-12);
	T_EQ_STR(q->unit, "USD");
	q = qty("March 3, 2001");
	T_ASSERT(q != NULL);
	T_EQ_STR(q->date, "2001-03-03");
	T_EQ_STR(q->unit, "date");
	run("The prices rose 15% in 1999 and 2GB cost 1,200 dollars over a 15-day period.");
	q = qty("15%");
	T_ASSERT(q && !strcmp(q->unit, "%") && q->value == 15);
	q = qty("1999");
	T_ASSERT(q && !strcmp(q->unit, "year"));
	q = qty("2GB");
	T_ASSERT(q && !strcmp(q->unit, "GB") && q->value == 2);
	q = qty("1,200");
	T_ASSERT(q && q->value == 1200);
	q = qty("15-day");
	T_ASSERT(q && !strcmp(q->unit, "day") && q->value == 15);
	run("There are twenty-five children and a dozen dogs in the city.");
	q = qty("twenty-five children");
	T_ASSERT(q && q->value == 25 && !strcmp(q->unit, "child") && q->words);
	q = qty("a dozen dogs");
	T_ASSERT(q && q->value == 12 && !strcmp(q->unit, "dog"));
	run("It opened on 2001-03-04 at 3:30 pm and closed on 12/25/1999 with 2.5 million visitors.");
	q = qty("2001-03-04");
	T_ASSERT(q && !strcmp(q->date, "2001-03-04"));
	q = qty("3:30 pm");
	T_ASSERT(q && !strcmp(q->unit, "time"));
	if (q)
		T_NEAR(q->value, 15.5, 1e-12);
	q = qty("12/25/1999");
	T_ASSERT(q && !strcmp(q->date, "1999-12-25"));
	q = qty("2.5 million");
	T_ASSERT(q && q->value == 2.5e6);
	/* offsets match the text for every quantity and entity */
	for (int k = 0; k < a->nqty; k++)
		T_ASSERT(a->qty[k].start >= 0 && a->qty[k].end <= (int)a->len && a->qty[k].start < a->qty[k].end);
	run("The one that got away.");
	T_EQ_INT(a->nqty, 0);                            /* "one" as a pronoun */
}

static void test_parts(void)
{
	run("A man on skis is racing down the hill.");
	const kg_parts *P = &a->parts;
	T_ASSERT(P->subject.present);
	T_EQ_STR(span(P->subject.start, P->subject.end), "A man on skis");
	T_EQ_INT(P->has_count, 1);
	T_NEAR(P->count, 1, 0);
	T_EQ_STR(span(P->action.start, P->action.end), "is racing");
	T_EQ_STR(wn_lemma_at(wn, P->action.lemma)->text, "race");
	T_EQ_STR(kg_type_name(P->theme), "verb.motion");
	T_EQ_STR(span(P->state.start, P->state.end), "down the hill");
	run("Two dogs are playing in the park.");
	T_EQ_INT(P->has_count, 1);
	T_NEAR(P->count, 2, 0);
	T_EQ_INT(P->plural, 1);
	T_EQ_INT(P->count_qty, 0);
	run("They didn't eat the ice cream.");
	T_EQ_INT(P->negated, 1);
	T_EQ_STR(span(P->action.start, P->action.end), "didn't eat");
	T_EQ_STR(kg_type_name(P->subject.type), "pronoun");
	T_EQ_INT(P->plural, 1);
	run("There are twenty-five children in the city.");
	T_EQ_INT(P->existential, 1);
	T_EQ_STR(span(P->subject.start, P->subject.end), "twenty-five children");
	T_NEAR(P->count, 25, 0);
	T_EQ_STR(span(P->state.start, P->state.end), "in the city");
	run("The sky is very blue today.");
	T_EQ_STR(wn_lemma_at(wn, P->action.lemma)->text, "be");
	T_EQ_STR(span(P->state.start, P->state.end), "very blue");
	T_EQ_INT(P->state.pos, WN_ADJ);
	run("A dog and a cat are sitting on the beach.");
	T_EQ_STR(span(P->subject.start, P->subject.end), "A dog and a cat");
	T_EQ_INT(P->coordinated, 1);
	T_EQ_INT(P->has_count, 0);
	run("a dog of the city");                        /* a fragment: a subject only */
	T_ASSERT(P->subject.present && !P->action.present);
	T_EQ_STR(kg_type_name(P->theme), "noun.animal");
	jv j = kg_parts_json(x, a);
	jv act = jv_object_get(jv_copy(j), jv_string("action"));
	T_EQ_INT(jv_get_kind(act), JV_KIND_NULL);
	jv_free(act);
	jv_free(j);
}

/* Issue 15, D10: kg_analyze is linear in the length of the text; it was
 * quadratic (a memmove of every later token per collocation, a scan of every
 * entity and date for each new entity, of every noun phrase per attached
 * phrase): a 4 MB line took 33 s. The CPU time for 4n bytes against n is
 * about 4 when linear and 16 when quadratic; the bound 8 leaves room for
 * noise. The entities found must scale too, and the dates stay dates. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_linear_in_length(void)
{
	static const char unit[] = "A man on skis is racing down the hill. She bought 3 apples for $5.99 "
	                           "on March 3, 2001. They didn't eat the ice cream in the city. A dog and a cat "
	                           "are sitting on the beach with a cup of tea on the table. ";
	size_t ul = sizeof unit - 1, n1 = 300000 / ul * ul, n4 = 4 * n1;
	char *t = malloc(n4 + ul);
	for (size_t k = 0; k < n4; k += ul)
		memcpy(t + k, unit, ul);
	double best[2] = {1e9, 1e9};
	int nent[2] = {0, 0}, nqty[2] = {0, 0};
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < 2; i++) {
			size_t n = i ? n4 : n1;
			double t0 = cpu_now();
			kg_analyze(x, t, n, a);
			double dt = cpu_now() - t0;
			if (dt < best[i])
				best[i] = dt;
			nent[i] = a->nent, nqty[i] = a->nqty;
		}
	free(t);
	printf("#   kg_analyze: %.3f s for %zu bytes, %.3f s for %zu (ratio %.1f)\n",
	       best[0], n1, best[1], n4, best[1] / best[0]);
	T_EQ_INT(nent[1], 4 * nent[0]);
	T_EQ_INT(nqty[1], 4 * nqty[0]);
	T_ASSERT(best[1] / best[0] < 8);
	/* the scratch tables of a long record do not leak into the next one */
	const char *s = "A man on skis bought 3 apples for $5.99 on March 3, 2001 in the city.";
	kg_extractor *x2 = kg_extractor_new(wn);
	kg_analysis *a2 = kg_analysis_new();
	kg_analyze(x2, s, strlen(s), a2);
	run(s);
	T_ASSERT(entity("March") == NULL && entity("A man on skis") != NULL);
	T_EQ_INT(a->nent, a2->nent);
	for (int k = 0; k < a->nent; k++)
		T_ASSERT(a->ent[k].start == a2->ent[k].start && a->ent[k].end == a2->ent[k].end &&
		         a->ent[k].head == a2->ent[k].head && a->ent[k].type == a2->ent[k].type);
	kg_analysis_free(a2);
	kg_extractor_free(x2);
}

int main(void)
{
	if (!(wn = wn_fixture_load()))
		return 1;
	x = kg_extractor_new(wn);
	a = kg_analysis_new();
	T_RUN(test_numbers);
	T_RUN(test_tokens);
	T_RUN(test_tags);
	T_RUN(test_entities);
	T_RUN(test_quantities);
	T_RUN(test_parts);
	T_RUN(test_linear_in_length);
	kg_analysis_free(a);
	kg_extractor_free(x);
	wn_free(wn);
	return t_done();
}
