/* test_wordnet.c — the WordNet reader on the committed fixture
 * (tests/data/wordnet, made by make-fixture.py), and on the real database
 * when /usr/share/wordnet is installed. */
#include "t.h"
#include "kg/wordnet.h"
#include "base/strmap.h"
#include "wnfixture.h"

#include <stdint.h>
#include <unistd.h>

static wordnet *wn;

static int lemma(const char *s) { return wn_lookup(wn, s, strlen(s)); }

static uint32_t sense0(const char *s, int pos)
{
	const uint32_t *sen;
	int n = wn_senses(wn, lemma(s), pos, &sen);
	return n ? sen[0] : UINT32_MAX;
}

static int has_word(uint32_t sy, const char *w)
{
	const wn_synset *s = wn_synset_at(wn, sy);
	for (int i = 0; i < s->nwords; i++) {
		const wn_word *x = wn_word_at(wn, s->word0 + (uint32_t)i);
		if (strlen(w) == x->len && !memcmp(w, x->text, x->len))
			return 1;
	}
	return 0;
}

static void test_strmap(void)
{
	strmap m;
	strmap_init(&m);
	char k[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "key%d", i);
		T_EQ_INT(strmap_intern(&m, k, strlen(k)), i);
	}
	T_EQ_INT(strmap_intern(&m, "key7", 4), 7);
	T_EQ_INT(strmap_find(&m, "key999", 6), 999);
	T_EQ_INT(strmap_find(&m, "key1000", 7), -1);
	T_EQ_INT(strmap_find(&m, "key1", 3), -1);
	T_EQ_STR(strmap_key(&m, 42, NULL), "key42");
	T_EQ_INT(strmap_intern(&m, "", 0), 1000);
	T_EQ_INT(strmap_find(&m, "", 0), 1000);
	strmap_free(&m);
}

static void test_load(void)
{
	char err[512];
	wn = wn_load(wn_fixture(), err, sizeof err);
	if (!wn)
		T_FAIL("load %s: %s", wn_fixture(), err);
	T_EQ_INT(wn_nsynsets(wn), 49 + 19 + 15 + 4);
	T_EQ_STR(wn_lexname(5), "noun.animal");
	T_EQ_STR(wn_lexname(44), "adj.ppl");
	T_ASSERT(wn_lexname(45) == NULL);
	T_EQ_INT(wn_lexfile_by_name("verb.motion"), 38);
	T_EQ_INT(wn_pos_from_char('s'), WN_ADJ);
}

static void test_lookup(void)
{
	T_ASSERT(lemma("dog") >= 0);
	T_EQ_INT(lemma("Ice_Cream"), lemma("ice cream"));
	T_ASSERT(lemma("ice cream") >= 0);
	T_EQ_INT(lemma("unicorn"), -1);
	uint32_t car = sense0("car", WN_NOUN);
	T_ASSERT(car != UINT32_MAX);
	T_ASSERT(has_word(car, "automobile"));
	T_EQ_STR(wn_lexname(wn_synset_at(wn, car)->lexfile), "noun.artifact");
	/* case kept in synset words, lemma keys lowercase */
	uint32_t e = sense0("einstein", WN_NOUN);
	T_ASSERT(has_word(e, "Albert Einstein"));
	T_EQ_STR(wn_lemma_at(wn, lemma("Einstein"))->text, "einstein");
	/* tag counts from cntlist.rev */
	T_EQ_INT(wn_lemma_at(wn, lemma("man"))->freq[WN_NOUN], 80);
	/* the offset is the synset's byte position */
	const wn_synset *d = wn_synset_at(wn, sense0("dog", WN_NOUN));
	T_EQ_INT(wn_find_synset(wn, WN_NOUN, d->offset), (long)sense0("dog", WN_NOUN));
	T_EQ_INT(wn_find_synset(wn, WN_NOUN, d->offset + 1), -1);
}

static int morph1(const char *w, int pos, const char *want)
{
	int b[8];
	int n = wn_morphy(wn, w, strlen(w), pos, b, 8);
	for (int i = 0; i < n; i++)
		if (!strcmp(wn_lemma_at(wn, b[i])->text, want))
			return 1;
	return 0;
}

static void test_morphy(void)
{
	T_ASSERT(morph1("geese", WN_NOUN, "goose"));          /* exception list */
	T_ASSERT(morph1("dogs", WN_NOUN, "dog"));             /* -s */
	T_ASSERT(morph1("cities", WN_NOUN, "city"));          /* -ies */
	T_ASSERT(morph1("ice creams", WN_NOUN, "ice cream")); /* collocation, last word */
	T_ASSERT(morph1("ran", WN_VERB, "run"));
	T_ASSERT(morph1("rides", WN_VERB, "ride"));
	T_ASSERT(morph1("riding", WN_VERB, "ride"));          /* -ing -> -e */
	T_ASSERT(morph1("taking off", WN_VERB, "take off"));  /* collocation, first word */
	T_ASSERT(morph1("better", WN_ADJ, "good"));
	T_ASSERT(morph1("DOGS", WN_NOUN, "dog"));
	T_ASSERT(!morph1("dogs", WN_VERB, "dog"));
	int b[8];
	T_EQ_INT(wn_morphy(wn, "glass", 5, WN_NOUN, b, 8), 0);
	/* the exception lists both ways */
	const char *f[4];
	T_EQ_INT(wn_exc_forms(wn, WN_NOUN, "child", f, 4), 1);
	T_EQ_STR(f[0], "children");
	T_EQ_INT(wn_exc_bases(wn, WN_VERB, "took off", f, 4), 1);
	T_EQ_STR(f[0], "take off");
}

static void test_inflect(void)
{
	char o[64];
	static const char *const pl[][2] = {
		{"man", "men"}, {"woman", "women"}, {"child", "children"}, {"city", "cities"},
		{"box", "boxes"}, {"day", "days"}, {"cup of tea", "cups of tea"},
		{"ice cream", "ice creams"}, {"wolf", "wolves"}, {"person", "people"},
		{"human", "humans"}, {"fireman", "firemen"}};
	for (size_t i = 0; i < sizeof pl / sizeof *pl; i++) {
		T_ASSERT(wn_plural(wn, pl[i][0], o, sizeof o) > 0);
		T_EQ_STR(o, pl[i][1]);
	}
	static const char *const vf[][6] = {
		{"ride", "ride", "rides", "rode", "ridden", "riding"},
		{"go", "go", "goes", "went", "gone", "going"},
		{"carry", "carry", "carries", "carried", "carried", "carrying"},
		{"race", "race", "races", "raced", "raced", "racing"},
		{"take off", "take off", "takes off", "took off", "taken off", "taking off"},
		{"fix", "fix", "fixes", "fixed", "fixed", "fixing"},
		{"put", "put", "puts", "put", "put", "putting"},
		{"run", "run", "runs", "ran", "run", "running"},
		{"see", "see", "sees", "saw", "seen", "seeing"},
		{"be", "be", "is", "was", "been", "being"},
		{"echo", "echo", "echoes", "echoed", "echoed", "echoing"},
		{"die", "die", "dies", "died", "died", "dying"}};
	for (size_t i = 0; i < sizeof vf / sizeof *vf; i++)
		for (int f = WN_VB; f <= WN_VBG; f++) {
			T_ASSERT(wn_inflect_verb(wn, vf[i][0], f, o, sizeof o) > 0);
			T_EQ_STR(o, vf[i][1 + f]);
		}
	T_EQ_INT(wn_plural(wn, "dog", o, 3), -1);   /* does not fit */
}

static void test_relations(void)
{
	uint32_t dog = sense0("dog", WN_NOUN), cat = sense0("cat", WN_NOUN);
	uint32_t puppy = sense0("puppy", WN_NOUN), wolf = sense0("wolf", WN_NOUN);
	uint32_t canine = sense0("canine", WN_NOUN), entity = sense0("entity", WN_NOUN);
	T_EQ_INT(wn_depth(wn, entity), 1);
	T_EQ_INT(wn_depth(wn, dog), 10);
	wn_anc anc[64];
	int na = wn_ancestors(wn, dog, 2, anc, 64);
	T_EQ_INT(na, 3);
	T_EQ_INT(anc[0].synset, dog);
	T_EQ_INT(anc[1].synset, canine);
	T_EQ_INT(anc[1].dist, 1);
	T_EQ_INT(anc[2].dist, 2);
	/* Wu-Palmer through the lowest common ancestor: carnivore (depth 8) */
	T_NEAR(wn_wup(wn, dog, cat), 16.0 / 20.0, 1e-12);
	T_NEAR(wn_wup(wn, dog, wolf), 18.0 / 20.0, 1e-12);
	T_NEAR(wn_wup(wn, dog, puppy), 20.0 / 21.0, 1e-12);
	T_NEAR(wn_wup(wn, dog, dog), 1.0, 1e-12);
	T_EQ_INT(wn_wup(wn, dog, sense0("run", WN_VERB)) == 0, 1);
	wn_scored rel[64];
	int nr = wn_related(wn, dog, 2, rel, 64);
	T_ASSERT(nr >= 5);
	T_EQ_INT(rel[0].synset, dog);
	for (int i = 1; i < nr; i++)
		T_ASSERT(rel[i - 1].score >= rel[i].score);
	int seen_wolf = 0, seen_cat = 0;
	for (int i = 0; i < nr; i++) {
		seen_wolf |= rel[i].synset == wolf;
		seen_cat |= rel[i].synset == cat;
	}
	T_ASSERT(seen_wolf && seen_cat);
	/* adjective clusters: a satellite and its head */
	uint32_t glad = sense0("glad", WN_ADJ), happy = sense0("happy", WN_ADJ);
	T_ASSERT(wn_synset_at(wn, glad)->satellite);
	T_NEAR(wn_wup(wn, glad, happy), 0.8, 1e-12);
}

static void test_antonyms(void)
{
	int o[8];
	int n = wn_antonyms(wn, lemma("man"), WN_NOUN, 1, o, 8);
	T_EQ_INT(n, 1);
	T_EQ_STR(wn_lemma_at(wn, o[0])->text, "woman");
	n = wn_antonyms(wn, lemma("big"), WN_ADJ, 1, o, 8);   /* "large, big" ! "small" */
	T_EQ_INT(n, 1);
	T_EQ_STR(wn_lemma_at(wn, o[0])->text, "small");
	n = wn_antonyms(wn, lemma("glad"), WN_ADJ, 1, o, 8);  /* satellite: its head's */
	T_EQ_INT(n, 1);
	T_EQ_STR(wn_lemma_at(wn, o[0])->text, "unhappy");
	n = wn_antonyms(wn, lemma("rise"), WN_VERB, 1, o, 8);
	T_EQ_INT(n, 1);
	T_EQ_STR(wn_lemma_at(wn, o[0])->text, "fall");
	T_EQ_INT(wn_antonyms(wn, lemma("dog"), WN_NOUN, 1, o, 8), 0);
	const uint32_t *s;
	T_EQ_INT(wn_senses(wn, lemma("dog"), WN_VERB, &s), 0);
}

static void test_glosses(void)
{
	uint32_t dog = sense0("dog", WN_NOUN);
	wn_text d = wn_definition(wn, dog);
	T_EQ_INT((int)d.len, (int)strlen("a member of the genus Canis"));
	T_ASSERT(!memcmp(d.s, "a member of the genus Canis", d.len));
	wn_text ex[4];
	T_EQ_INT(wn_examples(wn, dog, ex, 4), 1);
	T_ASSERT(ex[0].len == strlen("the dog barked all night") && !memcmp(ex[0].s, "the dog barked all night", ex[0].len));
	T_EQ_INT(wn_examples(wn, sense0("entity", WN_NOUN), ex, 4), 0);
	/* all examples of the fixture */
	int total = 0;
	for (uint32_t i = 0; i < wn_nsynsets(wn); i++)
		total += wn_examples(wn, i, ex, 4);
	T_EQ_INT(total, 22);
}

/* Copy the fixture into dir, with data.noun changed by edit. */
static int copy_fixture(const char *dir, const char *from, const char *to)
{
	static const char *const files[] = {
		"data.noun", "data.verb", "data.adj", "data.adv", "index.noun", "index.verb",
		"index.adj", "index.adv", "noun.exc", "verb.exc", "adj.exc", "adv.exc", NULL};
	for (int i = 0; files[i]; i++) {
		char src[4200], dst[4200];
		snprintf(src, sizeof src, "%s/%s", wn_fixture(), files[i]);
		snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
		FILE *f = fopen(src, "rb"), *g = fopen(dst, "wb");
		if (!f || !g)
			return 0;
		static char buf[1 << 16];
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = 0;
		char *p = from && !strcmp(files[i], "data.noun") ? strstr(buf, from) : NULL;
		if (p) {
			fwrite(buf, 1, (size_t)(p - buf), g);
			fputs(to, g);
			fputs(p + strlen(from), g);
		} else
			fwrite(buf, 1, n, g);
		fclose(f);
		fclose(g);
	}
	return 1;
}

static void test_errors(void)
{
	char err[512] = "";
	T_ASSERT(wn_load("/nonexistent/wordnet", err, sizeof err) == NULL);
	T_ASSERT(strstr(err, "/nonexistent/wordnet/data.noun") != NULL);
	char dir[] = "/tmp/gcse-wn-XXXXXX";
	if (!mkdtemp(dir))
		T_FAIL("mkdtemp");
	/* one byte more in a gloss shifts every later offset */
	T_ASSERT(copy_fixture(dir, "a general concept", "a general concepts"));
	err[0] = 0;
	wordnet *bad = wn_load(dir, err, sizeof err);
	T_ASSERT(bad == NULL);
	T_ASSERT(strstr(err, "data.noun:6: synset offset") != NULL);
	/* a malformed line */
	T_ASSERT(copy_fixture(dir, " 03 n 01 entity 0", " 03 n zz entity 0"));
	bad = wn_load(dir, err, sizeof err);
	T_ASSERT(bad == NULL);
	T_ASSERT(strstr(err, "data.noun:3: malformed synset line") != NULL);
	/* the unchanged copy loads; cntlist.rev is optional */
	T_ASSERT(copy_fixture(dir, NULL, NULL));
	wordnet *ok = wn_load(dir, err, sizeof err);
	T_ASSERT(ok != NULL);
	if (ok)
		T_EQ_INT(wn_lemma_at(ok, wn_lookup(ok, "man", 3))->freq[WN_NOUN], 0);
	wn_free(ok);
	static const char *const files[] = {
		"data.noun", "data.verb", "data.adj", "data.adv", "index.noun", "index.verb",
		"index.adj", "index.adv", "noun.exc", "verb.exc", "adj.exc", "adv.exc", NULL};
	for (int i = 0; files[i]; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void test_real_wordnet(void)
{
	if (access("/usr/share/wordnet/data.noun", R_OK) != 0)
		T_SKIP("/usr/share/wordnet not installed (apt-get install wordnet-base)");
	char err[512];
	wordnet *w = wn_load("/usr/share/wordnet", err, sizeof err);
	if (!w)
		T_FAIL("%s", err);
	T_EQ_INT(wn_nsynsets(w), 117659);
	int b[8];
	int n = wn_morphy(w, "geese", 5, WN_NOUN, b, 8);
	T_ASSERT(n >= 1);
	if (n >= 1)
		T_EQ_STR(wn_lemma_at(w, b[0])->text, "goose");
	long ex = 0;
	wn_text t[32];
	for (uint32_t i = 0; i < wn_nsynsets(w); i++)
		ex += wn_examples(w, i, t, 32);
	T_ASSERT(ex > 48000 && ex < 49000);
	wn_free(w);
}

int main(void)
{
	T_RUN(test_strmap);
	T_RUN(test_load);
	if (!wn) {
		printf("not ok - fixture did not load\n");
		return 1;
	}
	T_RUN(test_lookup);
	T_RUN(test_morphy);
	T_RUN(test_inflect);
	T_RUN(test_relations);
	T_RUN(test_antonyms);
	T_RUN(test_glosses);
	T_RUN(test_errors);
	T_RUN(test_real_wordnet);
	wn_free(wn);
	return t_done();
}
