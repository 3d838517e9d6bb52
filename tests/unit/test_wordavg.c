/* test_wordavg.c — tokenizer_basic_words (the words of uncased BERT's basic
 * tokenizer, normalised) and the averaged / SIF-weighted word vectors of
 * lib/wordvec/wordavg.h, checked by hand on tests/data/wordavg/tiny.txt:
 *   rank word  vector          rank word  vector
 *    1   the   1 0 0            7   caf\u00e9  0 2 0   (normalises to "cafe")
 *    2   ,     0 1 0            8   n't   5 5 5   (never one basic token)
 *    3   cat   0 0 1            9   on    .5 .5 .5
 *    4   sat   1 1 0           10   mat   -1 0 1
 *    5   Dog   2 0 0           11   !     0 0 -1
 *    6   dog   9 9 9  (normalises like rank 5: the first wins) */
#include "t.h"
#include "nn/tokenizer.h"
#include "wordvec/vectors.h"
#include "wordvec/wordavg.h"

#include <omp.h>

#define TINY "tests/data/wordavg/tiny.txt"

/* ---- basic words ---- */

struct words {
	int n;
	char text[24][24];
	size_t off[24];
};

static void on_word(const char *w, size_t len, size_t off, void *ctx)
{
	struct words *ws = ctx;
	if (ws->n < 24 && len < 24) {
		memcpy(ws->text[ws->n], w, len);
		ws->text[ws->n][len] = 0;
		ws->off[ws->n] = off;
	}
	ws->n++;
}

static void check_words(const char *text, int lowercase, const char *const *want, int nwant)
{
	struct words ws = {0};
	T_EQ_INT(tokenizer_basic_words(text, strlen(text), lowercase, on_word, &ws), nwant);
	T_EQ_INT(ws.n, nwant);
	for (int i = 0; i < nwant; i++)
		T_EQ_STR(ws.text[i], want[i]);
}

static void test_words_punctuation_case(void)
{
	static const char *want[] = {"hello", ",", "world", "!", "don", "'", "t", "stop", "-", "now",
				     "(", "1", ".", "5", ")", "x", "$", "y"};
	check_words("Hello, WORLD! Don't stop-now (1.5) x$y", 1, want, 18);
	static const char *cased[] = {"Hello", ",", "WORLD", "!"};
	check_words("Hello,\tWORLD!\n", 0, cased, 4);
}

static void test_words_accents_unicode(void)
{
	/* Accents stripped when uncased; Greek final sigma; U+0130 -> i + dot
	 * stripped; CJK stand alone; control characters dropped (inside a word:
	 * the word is joined); U+00A0 (Zs) separates; Unicode punctuation splits. */
	static const char *want[] = {"cafe", "naive", "\u03bf\u03b4\u03bf\u03c2", "istanbul", "\u4e2d",
				     "\u6587", "ab", "c", "\u00ab", "d", "\u00bb"};
	check_words("Caf\u00e9 NA\u00cfVE \u039f\u0394\u039f\u03a3 \u0130stanbul \u4e2d\u6587 a\x01"
		    "b\u00a0c \u00abd\u00bb", 1, want, 11);
	static const char *cased[] = {"Caf\u00e9"};
	check_words("Caf\u00e9", 0, cased, 1);
	/* A lone combining mark is stripped to nothing: no word. */
	static const char *two[] = {"a", "b"};
	check_words("a \u0301 b", 1, two, 2);
}

static void test_words_offsets_and_empty(void)
{
	struct words ws = {0};
	static const char text[] = "  \u00c9t\u00e9, x";
	T_EQ_INT(tokenizer_basic_words(text, strlen(text), 1, on_word, &ws), 3);
	T_EQ_STR(ws.text[0], "ete");
	T_EQ_INT(ws.off[0], 2);
	T_EQ_STR(ws.text[1], ",");
	T_EQ_INT(ws.off[1], 7);
	T_EQ_STR(ws.text[2], "x");
	T_EQ_INT(ws.off[2], 9);
	memset(&ws, 0, sizeof ws);
	T_EQ_INT(tokenizer_basic_words("", 0, 1, on_word, &ws), 0);
	T_EQ_INT(tokenizer_basic_words(" \t\n ", 4, 1, on_word, &ws), 0);
	T_EQ_INT(ws.n, 0);
	/* len bounds the text: no read past it. */
	T_EQ_INT(tokenizer_basic_words("ab cd", 2, 1, on_word, &ws), 1);
	T_EQ_STR(ws.text[0], "ab");
}

/* Every basic word comes back unchanged from vocab_normalize_word and stays
 * one token there: the vocabulary side and the text side agree. */
static void test_words_agree_with_vocab_normalize(void)
{
	static const char text[] = "The Caf\u00e9's NA\u00cfVE \u039f\u0394\u039f\u03a3, \u4e2d-x!! \u0130 ok";
	struct words ws = {0};
	int n = tokenizer_basic_words(text, strlen(text), 1, on_word, &ws);
	T_ASSERT(n > 8 && n <= 24);
	for (int i = 0; i < n; i++) {
		char *out = NULL;
		T_EQ_INT(vocab_normalize_word(ws.text[i], 1, &out), 1);
		T_EQ_STR(out, ws.text[i]);
		free(out);
	}
}

/* ---- averaging ---- */

static wordavg *open_tiny(double a)
{
	char err[256];
	wordavg *w = wordavg_open(TINY, a, err, sizeof err);
	if (!w)
		printf("#   %s\n", err);
	return w;
}

static void check_vec(const float *v, double x, double y, double z, const char *what)
{
	if (!(fabs(v[0] - x) <= 1e-6 && fabs(v[1] - y) <= 1e-6 && fabs(v[2] - z) <= 1e-6)) {
		printf("#   %s: got [%.9g %.9g %.9g], expected [%.9g %.9g %.9g]\n", what, v[0], v[1], v[2],
		       x, y, z);
		t_cur_failed = 1;
	}
}

static void test_vocabulary(void)
{
	wordavg *w = open_tiny(0);
	T_ASSERT(w);
	T_EQ_INT(wordavg_dim(w), 3);
	T_EQ_INT(wordavg_nvectors(w), 11);
	T_EQ_INT(wordavg_nwords(w), 9);       /* dog twice, n't never */
	T_EQ_INT(wordavg_rank(w, "the", 3), 1);
	T_EQ_INT(wordavg_rank(w, "dog", 3), 5);
	T_EQ_INT(wordavg_rank(w, "cafe", 4), 7);
	T_EQ_INT(wordavg_rank(w, "caf\u00e9", strlen("caf\u00e9")), 0);
	T_EQ_INT(wordavg_rank(w, "n't", 3), 0);
	T_EQ_INT(wordavg_rank(w, "!", 1), 11);
	T_EQ_INT(wordavg_rank(w, "zebra", 5), 0);
	T_NEAR(wordavg_weight(w, 1), 1, 0);
	T_NEAR(wordavg_weight(w, 11), 1, 0);
	T_NEAR(wordavg_sif_a(w), 0, 0);
	wordavg_free(w);
}

static void test_average_by_hand(void)
{
	wordavg *w = open_tiny(0);
	float v[3];
	T_ASSERT(w);
	/* the cat sat on the mat . -> six found, "." unknown:
	 * (1+0+1+.5+1-1, 0+0+1+.5+0+0, 0+1+0+.5+0+1) / 6 */
	T_EQ_INT(wordavg_embed(w, "The cat sat on the mat.", 23, v), 6);
	check_vec(v, 2.5 / 6, 1.5 / 6, 2.5 / 6, "the cat sat on the mat.");
	/* dog , cafe ! -> ((2,0,0) + (0,1,0) + (0,2,0) + (0,0,-1)) / 4 */
	T_EQ_INT(wordavg_embed(w, "DOG, Caf\u00e9!", strlen("DOG, Caf\u00e9!"), v), 4);
	check_vec(v, 0.5, 0.75, -0.25, "DOG, Cafe!");
	/* Repeats count each time: (0,0,1) * 2 + (2,0,0), over 3. */
	T_EQ_INT(wordavg_embed(w, "cat cat dog", 11, v), 3);
	check_vec(v, 2.0 / 3, 0, 2.0 / 3, "cat cat dog");
	wordavg_free(w);
}

static void test_unknown_and_empty(void)
{
	wordavg *w = open_tiny(0);
	float v[3] = {7, 7, 7};
	T_ASSERT(w);
	/* Unknown words count for nothing, not even in the divisor. */
	T_EQ_INT(wordavg_embed(w, "the zebra", 9, v), 1);
	check_vec(v, 1, 0, 0, "the zebra");
	/* don ' t: nothing known (n't is not a basic token) -> zeros. */
	T_EQ_INT(wordavg_embed(w, "Don't", 5, v), 0);
	check_vec(v, 0, 0, 0, "Don't");
	v[0] = v[1] = v[2] = 7;
	T_EQ_INT(wordavg_embed(w, "", 0, v), 0);
	check_vec(v, 0, 0, 0, "empty");
	v[0] = v[1] = v[2] = 7;
	T_EQ_INT(wordavg_embed(w, " \u0301 ", 4, v), 0);
	check_vec(v, 0, 0, 0, "a lone accent");
	wordavg_free(w);
}

static void test_sif_by_hand(void)
{
	/* N = 11, H_11 = 83711/27720; p(r) = 1/(r H); weight = a/(a + p). */
	const double a = 0.1, h = 83711.0 / 27720.0;
	double g[12];
	float v[3];
	for (int r = 1; r <= 11; r++)
		g[r] = a / (a + 1.0 / (r * h));
	wordavg *w = open_tiny(a);
	T_ASSERT(w);
	T_NEAR(wordavg_sif_a(w), 0.1, 0);
	for (int r = 1; r <= 11; r++)
		T_NEAR(wordavg_weight(w, r), g[r], 1e-12);
	T_NEAR(wordavg_weight(w, 1), 0.2319436094, 1e-9);  /* 0.1 / (0.1 + 0.3311392768) */
	T_NEAR(wordavg_weight(w, 0), 0, 0);
	T_NEAR(wordavg_weight(w, 12), 0, 0);
	/* the zebra -> g1 * (1,0,0) / 1 */
	T_EQ_INT(wordavg_embed(w, "the zebra", 9, v), 1);
	check_vec(v, g[1], 0, 0, "sif the zebra");
	/* dog , cafe ! -> (g5 (2,0,0) + g2 (0,1,0) + g7 (0,2,0) + g11 (0,0,-1)) / 4 */
	T_EQ_INT(wordavg_embed(w, "DOG, Caf\u00e9!", strlen("DOG, Caf\u00e9!"), v), 4);
	check_vec(v, 2 * g[5] / 4, (g[2] + 2 * g[7]) / 4, -g[11] / 4, "sif DOG, Cafe!");
	/* Frequent words weigh less. */
	T_ASSERT(g[1] < g[2] && g[10] < g[11] && g[11] < 1);
	wordavg_free(w);
	/* The paper's default a = 1e-3. */
	w = open_tiny(WORDAVG_SIF_A);
	T_ASSERT(w);
	T_NEAR(wordavg_weight(w, 3), 1e-3 / (1e-3 + 1.0 / (3 * h)), 1e-15);
	wordavg_free(w);
}

static void test_many_normalize_threads(void)
{
	static const char *texts[] = {"The cat sat on the mat.", "DOG, Caf\u00e9!", "Don't", "",
				      "cat cat dog", "the zebra", "mat! mat! on"};
	enum { N = 7 };
	float one[N][3], many[N][3], norm[N][3], t1[N][3];
	int nempty = -1;
	wordavg *w = open_tiny(WORDAVG_SIF_A);
	T_ASSERT(w);
	for (int i = 0; i < N; i++)
		T_ASSERT(wordavg_embed(w, texts[i], strlen(texts[i]), one[i]) >= 0);
	T_EQ_INT(wordavg_embed_many(w, texts, NULL, N, &many[0][0], 0, &nempty), 0);
	T_EQ_INT(nempty, 2);
	T_ASSERT(!memcmp(one, many, sizeof one));
	int saved = omp_get_max_threads();
	omp_set_num_threads(1);
	T_EQ_INT(wordavg_embed_many(w, texts, NULL, N, &t1[0][0], 0, NULL), 0);
	omp_set_num_threads(saved > 1 ? saved : 2);
	T_ASSERT(!memcmp(t1, many, sizeof t1));
	omp_set_num_threads(saved);
	T_EQ_INT(wordavg_embed_many(w, texts, NULL, N, &norm[0][0], 1, &nempty), 0);
	T_EQ_INT(nempty, 2);
	for (int i = 0; i < N; i++) {
		double ss = 0, sn = 0;
		for (int j = 0; j < 3; j++) {
			ss += (double)one[i][j] * one[i][j];
			sn += (double)norm[i][j] * norm[i][j];
		}
		if (ss == 0) {
			T_NEAR(sn, 0, 0);
			continue;
		}
		T_NEAR(sn, 1, 1e-6);
		for (int j = 0; j < 3; j++)
			T_NEAR(norm[i][j], one[i][j] / sqrt(ss), 1e-6);
	}
	/* Lengths bound the texts. */
	size_t lens[2] = {3, 0};
	const char *two[2] = {"catXYZ", "the"};
	T_EQ_INT(wordavg_embed_many(w, two, lens, 2, &many[0][0], 0, &nempty), 0);
	T_EQ_INT(nempty, 1);
	check_vec(many[0], 0, 0, wordavg_weight(w, 3), "cat by length");
	wordavg_free(w);
}

/* Common component removal by hand: fitted on texts whose vectors all lie
 * along (1,0,0) ("the", "dog" = (2,0,0)), u = (1,0,0), so a vector loses
 * its first coordinate; texts with no known word do not count. */
static void test_pc_by_hand(void)
{
	static const char *fit[] = {"the", "Dog", "Don't", "the the dog"};
	static const char *texts[] = {"the cat", "sat", "the", "Don't"};
	char err[256];
	float v[3], many[4][3];
	wordavg *w = open_tiny(0);
	T_ASSERT(w && !wordavg_has_pc(w));
	T_EQ_INT(wordavg_fit_pc(w, fit, NULL, 4, err, sizeof err), 0);
	T_ASSERT(wordavg_has_pc(w));
	/* the cat: (1,0,1)/2 -> (0,0,.5); sat: (1,1,0) -> (0,1,0); the -> 0 */
	T_EQ_INT(wordavg_embed(w, "the cat", 7, v), 2);
	check_vec(v, 0, 0, 0.5, "pc the cat");
	T_EQ_INT(wordavg_embed(w, "sat", 3, v), 1);
	check_vec(v, 0, 1, 0, "pc sat");
	T_EQ_INT(wordavg_embed(w, "the", 3, v), 1);
	check_vec(v, 0, 0, 0, "pc the");
	/* normalised after the removal; a zero vector stays zero */
	int nempty = -1;
	T_EQ_INT(wordavg_embed_many(w, texts, NULL, 4, &many[0][0], 1, &nempty), 0);
	T_EQ_INT(nempty, 1);
	check_vec(many[0], 0, 0, 1, "pc normalised the cat");
	check_vec(many[1], 0, 1, 0, "pc normalised sat");
	check_vec(many[2], 0, 0, 0, "pc normalised the");
	check_vec(many[3], 0, 0, 0, "pc normalised Don't");
	/* a refit replaces u: along (0,0,1) now, "cat" */
	static const char *fit2[] = {"cat", "cat cat"};
	T_EQ_INT(wordavg_fit_pc(w, fit2, NULL, 2, err, sizeof err), 0);
	T_EQ_INT(wordavg_embed(w, "the cat", 7, v), 2);
	check_vec(v, 0.5, 0, 0, "refit the cat");
	/* nothing known: an error, and the last fit stays */
	static const char *none[] = {"Don't", "zebra"};
	T_EQ_INT(wordavg_fit_pc(w, none, NULL, 2, err, sizeof err), -1);
	T_ASSERT(strstr(err, "no text with a known word"));
	T_EQ_INT(wordavg_embed(w, "the cat", 7, v), 2);
	check_vec(v, 0.5, 0, 0, "after a failed fit");
	wordavg_free(w);
}

/* Fitting from an NDJSON file: every named field of every record. */
static void test_pc_from_file(void)
{
	char path[] = "/tmp/test_wordavg_XXXXXX", err[256];
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("{\"a\":\"the\",\"b\":\"Dog\",\"c\":1}\n\n{\"a\":\"the the\",\"b\":\"Don't\"}\n", f);
	fclose(f);
	wordavg *w = open_tiny(0);
	T_ASSERT(w);
	const char *fields[] = {"a", "b"};
	T_EQ_INT(wordavg_fit_pc_file(w, path, fields, 2, 0, err, sizeof err), 4);
	float v[3];
	T_EQ_INT(wordavg_embed(w, "sat", 3, v), 1);
	check_vec(v, 0, 1, 0, "file-fitted sat");
	/* a file with no usable text */
	f = fopen(path, "w");
	fputs("{\"a\":\"zebra\",\"b\":\"Don't\"}\n", f);
	fclose(f);
	T_EQ_INT(wordavg_fit_pc_file(w, path, fields, 2, 0, err, sizeof err), -1);
	T_ASSERT(strstr(err, path) && strstr(err, "no text with a known word"));
	remove(path);
	wordavg_free(w);
}

static void test_errors(void)
{
	char err[256] = "";
	T_ASSERT(!wordavg_open("tests/data/wordavg/bad.txt", 0, err, sizeof err));
	T_ASSERT(!strncmp(err, "tests/data/wordavg/bad.txt:3: ", 30));
	err[0] = 0;
	T_ASSERT(!wordavg_open("tests/data/wordavg/none.txt", 0, err, sizeof err));
	T_ASSERT(strstr(err, "tests/data/wordavg/none.txt") != NULL);
	err[0] = 0;
	T_ASSERT(!wordavg_open(TINY, -1, err, sizeof err));
	T_ASSERT(strstr(err, "SIF") != NULL);
	T_ASSERT(!wordavg_open(TINY, NAN, err, sizeof err));
	wordavg_free(NULL);
}

int main(void)
{
	T_RUN(test_words_punctuation_case);
	T_RUN(test_words_accents_unicode);
	T_RUN(test_words_offsets_and_empty);
	T_RUN(test_words_agree_with_vocab_normalize);
	T_RUN(test_vocabulary);
	T_RUN(test_average_by_hand);
	T_RUN(test_unknown_and_empty);
	T_RUN(test_sif_by_hand);
	T_RUN(test_many_normalize_threads);
	T_RUN(test_pc_by_hand);
	T_RUN(test_pc_from_file);
	T_RUN(test_errors);
	return t_done();
}
