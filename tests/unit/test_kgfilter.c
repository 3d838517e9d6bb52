/* test_kgfilter.c — the filtering rules of METHOD.md §4 (lib/kg/kgfilter.h):
 * thresholds at their bounds, role swaps, fallbacks, the other-sentence
 * draw, cosines, the triple set; and the embedding neighbour scorer of the
 * graph (lib/kg/kgembed.h) against a naive computation, on a tiny model. */
#include "t.h"
#include "base/cli.h"
#include "kg/kgembed.h"
#include "kg/kgfilter.h"

static void test_choose_kept(void)
{
	kgf_cand c[] = {{KGF_NEGATIVE, 0.5}, {KGF_POSITIVE, 0.79}, {KGF_POSITIVE, 0.80}, {KGF_POSITIVE, 0.95},
	                {KGF_NEGATIVE, 0.2}};
	kgf_pick p;
	kgf_choose(c, 5, 0.80, 0.75, 1, &p);
	T_EQ_INT(p.pos, 2);                 /* cos == alpha is enough; the first in order */
	T_EQ_INT(p.pos_status, KGF_KEPT);
	T_EQ_INT(p.neg, 0);                 /* the first acceptable negative, not the lowest */
	T_EQ_INT(p.neg_status, KGF_KEPT);
}

static void test_choose_swapped(void)
{
	/* no positive reaches alpha, a negative does: it is the positive; the
	 * only negative under beta is a positive */
	kgf_cand c[] = {{KGF_POSITIVE, 0.60}, {KGF_NEGATIVE, 0.90}, {KGF_NEGATIVE, 0.75}, {KGF_POSITIVE, 0.79}};
	kgf_pick p;
	kgf_choose(c, 4, 0.80, 0.75, 1, &p);
	T_EQ_INT(p.pos, 1);
	T_EQ_INT(p.pos_status, KGF_SWAPPED);
	T_EQ_INT(p.neg, 0);                 /* 0.75 is not < beta; 0.60 is */
	T_EQ_INT(p.neg_status, KGF_SWAPPED);
	/* an own-role candidate wins over a swapped one, whatever the order */
	kgf_cand d[] = {{KGF_NEGATIVE, 0.99}, {KGF_POSITIVE, 0.81}, {KGF_POSITIVE, 0.1}, {KGF_NEGATIVE, 0.7}};
	kgf_choose(d, 4, 0.80, 0.75, 1, &p);
	T_EQ_INT(p.pos, 1);
	T_EQ_INT(p.pos_status, KGF_KEPT);
	T_EQ_INT(p.neg, 3);
	T_EQ_INT(p.neg_status, KGF_KEPT);
}

static void test_choose_no_swap(void)
{
	/* the candidates of test_choose_swapped with roles fixed: no positive
	 * reaches alpha, so the anchor; the negatives are 0.90 and 0.75, neither
	 * under beta, so another sentence: the positives are never the negative */
	kgf_cand c[] = {{KGF_POSITIVE, 0.60}, {KGF_NEGATIVE, 0.90}, {KGF_NEGATIVE, 0.75}, {KGF_POSITIVE, 0.79}};
	kgf_pick p;
	kgf_choose(c, 4, 0.80, 0.75, 0, &p);
	T_EQ_INT(p.pos, -1);
	T_EQ_INT(p.pos_status, KGF_FALLBACK);
	T_EQ_INT(p.neg, -1);
	T_EQ_INT(p.neg_status, KGF_FALLBACK);
	/* own roles are still taken; beta 1 keeps a near-duplicate negative */
	kgf_cand d[] = {{KGF_NEGATIVE, 0.99}, {KGF_POSITIVE, 0.81}};
	kgf_choose(d, 2, 0.80, 1.0, 0, &p);
	T_EQ_INT(p.pos, 1);
	T_EQ_INT(p.pos_status, KGF_KEPT);
	T_EQ_INT(p.neg, 0);
	T_EQ_INT(p.neg_status, KGF_KEPT);
}

static void test_choose_fallback(void)
{
	kgf_cand c[] = {{KGF_POSITIVE, 0.78}, {KGF_NEGATIVE, 0.76}};
	kgf_pick p;
	kgf_choose(c, 2, 0.80, 0.75, 1, &p);
	T_EQ_INT(p.pos, -1);
	T_EQ_INT(p.pos_status, KGF_FALLBACK);
	T_EQ_INT(p.neg, -1);
	T_EQ_INT(p.neg_status, KGF_FALLBACK);
	kgf_choose(NULL, 0, 0.80, 0.75, 1, &p);
	T_EQ_INT(p.pos, -1);
	T_EQ_INT(p.neg, -1);
	/* beta above alpha: one candidate could be both; it is the positive only */
	kgf_cand d[] = {{KGF_POSITIVE, 0.5}};
	kgf_choose(d, 1, 0.4, 0.6, 1, &p);
	T_EQ_INT(p.pos, 0);
	T_EQ_INT(p.neg, -1);
	T_EQ_STR(kgf_status_name(KGF_SWAPPED), "swapped");
}

static void test_other(void)
{
	double cos[] = {0.9, 0.1, 0.5, 0.2, 0.76};
	unsigned char use[] = {1, 1, 0, 1, 1};
	int hits[5] = {0};
	for (uint64_t key = 0; key < 400; key++) {
		int k = kgf_other(cos, use, 5, 0.75, key);
		T_ASSERT(k == 1 || k == 3);              /* under beta and usable */
		hits[k]++;
		T_EQ_INT(kgf_other(cos, use, 5, 0.75, key), k);   /* a function of the key */
	}
	T_ASSERT(hits[1] > 150 && hits[3] > 150);
	/* none under beta: the lowest cosine (ties: the first) */
	double c2[] = {0.9, 0.8, 0.8};
	unsigned char u2[] = {1, 1, 1};
	T_EQ_INT(kgf_other(c2, u2, 3, 0.75, 7), 1);
	unsigned char u3[] = {0, 0, 0};
	T_EQ_INT(kgf_other(c2, u3, 3, 0.75, 7), -1);
}

static void test_cosine(void)
{
	float a[] = {1, 2, 2}, b[] = {2, 4, 4}, c[] = {-1, -2, -2}, z[] = {0, 0, 0}, e[] = {2, 0, 1};
	T_NEAR(kgf_cosine(a, b, 3), 1.0, 1e-15);
	T_NEAR(kgf_cosine(a, c, 3), -1.0, 1e-15);
	T_NEAR(kgf_cosine(a, z, 3), 0.0, 0);
	T_NEAR(kgf_cosine(a, e, 3), 4.0 / (3.0 * sqrt(5.0)), 1e-15);
}

static void test_set(void)
{
	kgf_set s = {0};
	T_EQ_INT(kgf_set_add(&s, "a", "b", "c"), 1);
	T_EQ_INT(kgf_set_add(&s, "a", "b", "c"), 0);
	T_EQ_INT(kgf_set_add(&s, "ab", "", "c"), 1);      /* the boundaries count */
	T_EQ_INT(kgf_set_add(&s, "a", "bc", ""), 1);
	T_EQ_INT(kgf_set_add(&s, "b", "a", "c"), 1);
	char x[32];
	for (int i = 0; i < 5000; i++) {                   /* grows */
		snprintf(x, sizeof x, "t%d", i);
		T_EQ_INT(kgf_set_add(&s, x, "p", "n"), 1);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(x, sizeof x, "t%d", i);
		T_EQ_INT(kgf_set_add(&s, x, "p", "n"), 0);
	}
	T_EQ_INT((long)s.n, 5004);
	kgf_set_free(&s);
}

static void test_top_k(void)
{
	float row[] = {0.5f, 0.9f, 1.0f, 0.5f, -0.2f, 0.0f, 0.7f, 0.5f};
	int idx[8];
	float sc[8];
	int m = kg_top_k(row, 8, 2, 4, idx, sc);          /* 2 is the node itself */
	T_EQ_INT(m, 4);
	T_EQ_INT(idx[0], 1);
	T_EQ_INT(idx[1], 6);
	T_EQ_INT(idx[2], 0);                               /* ties: the lower index */
	T_EQ_INT(idx[3], 3);
	m = kg_top_k(row, 8, 2, 10, idx, sc);              /* only scores > 0 */
	T_EQ_INT(m, 5);
	T_EQ_INT(idx[4], 7);
	T_EQ_INT(kg_top_k(row, 8, 2, 0, idx, sc), 0);
}

/* ---- the embedding scorer on a tiny model ---- */

static const char *model_dir(void)
{
	static char path[4096];
	const char *root = getenv("GCSE_ROOT");
	snprintf(path, sizeof path, "%s/tests/data/models/tiny-cls", root && *root ? root : ".");
	return path;
}

static const char *const words[] = {"cat", "dog", "horse", "car", "tree", "book", "sun", "moon", "star",
                                    "house", "water", "rain", "snow", "sky", "red car", "old book"};
enum { NW = sizeof words / sizeof *words };

static kg_graph *small_graph(void)
{
	kg_graph *g = kg_graph_new();
	for (int i = 0; i < NW; i++)
		kg_graph_add(g, KG_ENTITY, "thing", words[i], -1, -1, -1);
	for (int i = 0; i < 6; i++)
		kg_graph_add(g, KG_PART, "subject", words[i], -1, -1, -1);
	return g;
}

static void test_embed_scorer(void)
{
	char err[512];
	encoder_opts o;
	encoder_opts_init(&o);
	encoder *e = encoder_open(model_dir(), &o, err, sizeof err);
	if (!e)
		T_FAIL("%s", err);
	kg_graph *g = small_graph();
	kg_scorer sc;
	kg_embed_scorer_init(&sc, e, 4, 2);
	kg_graph_build(g, &sc, 4, 2);
	T_ASSERT(kg_embed_scorer_error(&sc) == NULL);
	T_EQ_INT(kg_embed_scorer_count(&sc, NULL), NW + 6);
	kg_embed_scorer_free(&sc);
	/* naive: every pair's cosine from the encoder's vectors */
	int d = encoder_dim(e);
	float *V = malloc((size_t)NW * d * sizeof *V);
	T_ASSERT(encoder_embed(e, words, NULL, NW, V, NULL, NULL, err, sizeof err) == 0);
	for (int id = 0; id < kg_graph_nnodes(g); id++) {
		const kg_node *nd = kg_graph_node(g, id);
		int k = nd->kind == KG_ENTITY ? 4 : 2, n = nd->kind == KG_ENTITY ? NW : 6, self = -1;
		for (int i = 0; i < NW; i++)
			if (!strcmp(words[i], nd->text))
				self = i;
		T_ASSERT(self >= 0);
		double best[NW];
		int nb = 0;
		for (int j = 0; j < n; j++)
			if (j != self) {
				double c = kgf_cosine(V + (size_t)self * d, V + (size_t)j * d, d);
				if (c > 0)
					best[nb++] = c;
			}
		/* the k highest naive cosines, as a sorted list */
		for (int i = 0; i < nb; i++)
			for (int j = i + 1; j < nb; j++)
				if (best[j] > best[i]) {
					double t = best[i];
					best[i] = best[j];
					best[j] = t;
				}
		T_EQ_INT(nd->nnb, nb < k ? nb : k);
		for (int j = 0; j < nd->nnb; j++) {
			T_NEAR(nd->nb[j].score, best[j], 1e-5);
			const char *t = kg_graph_node(g, nd->nb[j].node)->text;
			int jj = -1;
			for (int i = 0; i < n; i++)
				if (!strcmp(words[i], t))
					jj = i;
			T_ASSERT(jj >= 0 && jj != self);
			T_NEAR(nd->nb[j].score, kgf_cosine(V + (size_t)self * d, V + (size_t)jj * d, d), 1e-5);
		}
	}
	free(V);
	kg_graph_free(g);
	encoder_free(e);
}

/* The same graph bytes whatever the batch size and the thread count. */
static char *graph_text(int batch, int threads)
{
	char err[512];
	encoder_opts o;
	encoder_opts_init(&o);
	o.batch_size = batch;
	cli_set_threads(threads);
	encoder *e = encoder_open(model_dir(), &o, err, sizeof err);
	if (!e)
		return NULL;
	kg_graph *g = small_graph();
	kg_scorer sc;
	kg_embed_scorer_init(&sc, e, 5, 3);
	kg_graph_build(g, &sc, 5, 3);
	kg_embed_scorer_free(&sc);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	kg_graph_write(g, f);
	fclose(f);
	kg_graph_free(g);
	encoder_free(e);
	return buf;
}

static void test_embed_scorer_deterministic(void)
{
	char *a = graph_text(64, 2), *b = graph_text(1, 1), *c = graph_text(3, 2);
	T_ASSERT(a && b && c);
	T_ASSERT(strstr(a, "\"neighbors\":[{") != NULL);
	T_EQ_STR(a, b);
	T_EQ_STR(a, c);
	free(a);
	free(b);
	free(c);
}

/* A group of one node, and parts with k = 0: nothing embedded, no neighbours. */
static void test_embed_scorer_small_groups(void)
{
	char err[512];
	encoder_opts o;
	encoder_opts_init(&o);
	encoder *e = encoder_open(model_dir(), &o, err, sizeof err);
	if (!e)
		T_FAIL("%s", err);
	kg_graph *g = kg_graph_new();
	kg_graph_add(g, KG_ENTITY, "lonely", "cat", -1, -1, -1);
	kg_graph_add(g, KG_PART, "state", "red", -1, -1, -1);
	kg_graph_add(g, KG_PART, "state", "blue", -1, -1, -1);
	kg_scorer sc;
	kg_embed_scorer_init(&sc, e, 3, 0);
	kg_graph_build(g, &sc, 3, 0);
	T_ASSERT(kg_embed_scorer_error(&sc) == NULL);
	for (int i = 0; i < kg_graph_nnodes(g); i++)
		T_EQ_INT(kg_graph_node(g, i)->nnb, 0);
	T_EQ_INT(kg_embed_scorer_count(&sc, NULL), 0);   /* nothing to embed */
	kg_embed_scorer_free(&sc);
	kg_graph_free(g);
	encoder_free(e);
}

int main(void)
{
	T_RUN(test_choose_kept);
	T_RUN(test_choose_swapped);
	T_RUN(test_choose_no_swap);
	T_RUN(test_choose_fallback);
	T_RUN(test_other);
	T_RUN(test_cosine);
	T_RUN(test_set);
	T_RUN(test_top_k);
	T_RUN(test_embed_scorer);
	T_RUN(test_embed_scorer_deterministic);
	T_RUN(test_embed_scorer_small_groups);
	return t_done();
}
