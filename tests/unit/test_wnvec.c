/* test_wnvec.c — word vectors from WordNet's structure (lib/wordvec/wnvec.h)
 * on the fixture WordNet (tests/data/wordnet): synonyms share a vector,
 * co-hyponyms are closer than words of other branches, inflected forms take
 * their base's vector, the order file comes first, and the result is the
 * same bits whatever the thread count; a naive twin of one synset's sum. */
#include "t.h"
#include "base/rng.h"
#include "kg/wordnet.h"
#include "wordvec/wnvec.h"

#include <omp.h>

static char err[512];
static wordnet *wn;

static const float *vec(const wordvecs *w, const char *word)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->words[i], word))
			return w->vecs + (size_t)i * w->dim;
	return NULL;
}

static int rank(const wordvecs *w, const char *word)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->words[i], word))
			return i;
	return -1;
}

static double cosine(const float *a, const float *b, int d)
{
	double s = 0, na = 0, nb = 0;
	for (int i = 0; i < d; i++)
		s += (double)a[i] * b[i], na += (double)a[i] * a[i], nb += (double)b[i] * b[i];
	return s / sqrt(na * nb);
}

static void test_structure(void)
{
	wnvec_opts o;
	wnvec_opts_init(&o);
	wordvecs w;
	T_ASSERT(wnvec_build(wn, &o, NULL, 0, &w, err, sizeof err) == 0);
	T_EQ_INT(w.dim, 128);
	const float *car = vec(&w, "car"), *automobile = vec(&w, "automobile"), *truck = vec(&w, "truck");
	const float *dog = vec(&w, "dog"), *cat = vec(&w, "cat"), *apple = vec(&w, "apple");
	T_ASSERT(car && automobile && truck && dog && cat && apple);
	/* unit length */
	double n = 0;
	for (int i = 0; i < 128; i++)
		n += (double)car[i] * car[i];
	T_NEAR(n, 1, 1e-5);
	/* automobile has the one sense car has first; car has more senses */
	T_ASSERT(cosine(car, automobile, 128) > 0.8);
	/* co-hyponyms closer than other branches */
	double dc = cosine(dog, cat, 128), da = cosine(dog, apple, 128), ct = cosine(car, truck, 128);
	printf("# cos dog-cat %.3f, dog-apple %.3f, car-truck %.3f, car-cat %.3f\n", dc, da, ct,
	       cosine(car, cat, 128));
	T_ASSERT(dc > da + 0.1);
	T_ASSERT(ct > cosine(car, cat, 128) + 0.1);
	/* inflected forms carry their base's vector; lemmas keep their own */
	T_ASSERT(vec(&w, "dogs") && !memcmp(vec(&w, "dogs"), dog, 128 * sizeof(float)));
	T_ASSERT(vec(&w, "geese") && !memcmp(vec(&w, "geese"), vec(&w, "goose"), 128 * sizeof(float)));
	T_ASSERT(vec(&w, "ran") && !memcmp(vec(&w, "ran"), vec(&w, "run"), 128 * sizeof(float)));
	T_ASSERT(vec(&w, "eating") && !memcmp(vec(&w, "eating"), vec(&w, "eat"), 128 * sizeof(float)));
	/* a form follows its base, and multi-word lemmas are out */
	T_EQ_INT(rank(&w, "dogs"), rank(&w, "dog") + 1);
	T_EQ_INT(rank(&w, "ice cream"), -1);
	T_EQ_INT(rank(&w, "ice"), -1);
	wordvecs_free(&w);
	/* no forms with inflect 0 */
	o.inflect = 0;
	T_ASSERT(wnvec_build(wn, &o, NULL, 0, &w, err, sizeof err) == 0);
	T_EQ_INT(rank(&w, "dogs"), -1);
	wordvecs_free(&w);
}

static void test_order_and_bits(void)
{
	wnvec_opts o;
	wnvec_opts_init(&o);
	o.dim = 16;
	const char *order[] = {"Woman", "nosuchword", "ran", "cat"};
	wordvecs a, b;
	omp_set_num_threads(1);
	T_ASSERT(wnvec_build(wn, &o, order, 4, &a, err, sizeof err) == 0);
	omp_set_num_threads(2);
	T_ASSERT(wnvec_build(wn, &o, order, 4, &b, err, sizeof err) == 0);
	T_EQ_STR(a.words[0], "woman");
	T_EQ_STR(a.words[1], "ran");
	T_EQ_STR(a.words[2], "cat");
	T_EQ_INT(a.n, b.n);
	T_ASSERT(!memcmp(a.vecs, b.vecs, (size_t)a.n * a.dim * sizeof(float)));
	/* another seed, other directions */
	wordvecs c;
	o.seed = 2;
	T_ASSERT(wnvec_build(wn, &o, order, 4, &c, err, sizeof err) == 0);
	T_ASSERT(memcmp(a.vecs, c.vecs, (size_t)a.n * a.dim * sizeof(float)));
	wordvecs_free(&a), wordvecs_free(&b), wordvecs_free(&c);
	/* bad options */
	o.dim = 0;
	T_ASSERT(wnvec_build(wn, &o, NULL, 0, &a, err, sizeof err) == -1);
	T_ASSERT(strstr(err, "dim"));
}

/* "puppy": a hyponym of dog (domestic dog) in the fixture; its vector before
 * normalisation is the decayed sum over its hypernym chain, computed here
 * by walking the chain naively (the fixture's nouns have one hypernym each). */
static void test_naive_chain(void)
{
	wnvec_opts o;
	wnvec_opts_init(&o);
	o.dim = 8;
	o.inflect = 0;
	wordvecs w;
	T_ASSERT(wnvec_build(wn, &o, NULL, 0, &w, err, sizeof err) == 0);
	int l = wn_lookup(wn, "puppy", 5);
	T_ASSERT(l >= 0);
	const uint32_t *s;
	int k = wn_senses(wn, l, WN_NOUN, &s);
	T_EQ_INT(k, 1);
	double ref[8] = {0}, wgt = 1;
	uint32_t cur = s[0];
	for (int d = 0; d <= WNVEC_MAX_DEPTH; d++) {
		for (int i = 0; i < 8; i++)
			ref[i] += wgt * rng_normal_at(rng_derive(o.seed, cur), (uint64_t)i);
		const wn_synset *ss = wn_synset_at(wn, cur);
		long up = -1;
		for (uint32_t p = 0; p < ss->nptrs; p++) {
			const wn_ptr *q = wn_ptr_at(wn, ss->ptr0 + p);
			if (q->kind == WN_HYPERNYM || q->kind == WN_INST_HYPERNYM)
				up = q->target;
			else if (q->kind == WN_SIMILAR || q->kind == WN_ALSO_SEE || q->kind == WN_DERIVED ||
			         q->kind == WN_ATTRIBUTE || q->kind == WN_VERB_GROUP)
				T_FAIL("the fixture's puppy chain has a link: extend the twin");
		}
		if (up < 0)
			break;
		cur = (uint32_t)up;
		wgt *= o.decay;
	}
	double nn = 0;
	for (int i = 0; i < 8; i++)
		nn += ref[i] * ref[i];
	const float *v = vec(&w, "puppy");
	T_ASSERT(v);
	for (int i = 0; i < 8; i++)
		T_NEAR(v[i], ref[i] / sqrt(nn), 1e-5);
	wordvecs_free(&w);
}

int main(void)
{
	char path[1024];
	const char *root = getenv("GCSE_ROOT");
	snprintf(path, sizeof path, "%s/tests/data/wordnet", root && *root ? root : ".");
	wn = wn_load(path, err, sizeof err);
	if (!wn) {
		printf("#   %s\n", err);
		return 1;
	}
	T_RUN(test_structure);
	T_RUN(test_order_and_bits);
	T_RUN(test_naive_chain);
	wn_free(wn);
	return t_done();
}
