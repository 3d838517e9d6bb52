/* test_vectors.c — word-vector reader (GloVe / word2vec text, gzip), error
 * reports, the fresh vocabulary and the embedding initialisation. */
#include "base/rng.h"
#include "t.h"
#include "nn/tokenizer.h"
#include "wordvec/vectors.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static char root[900];

static void data(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/tests/data/train/%s", root, name);
}

static void write_tmp(char *path, size_t n, const char *name, const char *text)
{
	snprintf(path, n, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
}

static const char *const WORDS[] = { "the", ",", ".", "of", "Café", "dog", "dogs", "hot",
                                     "e-mail", "don't", "Dog", "北京", "日", "naïve", "a", "z9" };

static void check_tiny(const wordvecs *wv)
{
	T_EQ_INT(wv->n, 16);
	T_EQ_INT(wv->dim, 4);
	for (int i = 0; i < 16; i++)
		T_EQ_STR(wv->words[i], WORDS[i]);
	T_ASSERT(wv->vecs[0] == 0.5f && wv->vecs[1] == -0.25f && wv->vecs[3] == 1.0f);
	T_ASSERT(wv->vecs[15 * 4 + 0] == 3e-2f && wv->vecs[15 * 4 + 1] == -40.0f);
	T_ASSERT(wv->vecs[14 * 4 + 3] == 1e-3f);
}

static void test_read_formats(void)
{
	char p[1024], err[512];
	const char *files[] = { "tiny.glove.txt", "tiny.glove.txt.gz", "tiny.w2v.txt" };
	for (int k = 0; k < 3; k++) {
		wordvecs wv;
		data(p, sizeof p, files[k]);
		int rc = wordvecs_read(&wv, p, 0, err, sizeof err);
		if (rc)
			printf("#   %s\n", err);
		T_EQ_INT(rc, 0);
		check_tiny(&wv);
		wordvecs_free(&wv);
		/* a limit keeps the first (most frequent) words */
		T_EQ_INT(wordvecs_read(&wv, p, 5, err, sizeof err), 0);
		T_EQ_INT(wv.n, 5);
		T_EQ_STR(wv.words[4], "Café");
		wordvecs_free(&wv);
	}
}

static void expect_error(const char *name, const char *text, const char *want)
{
	char p[256], err[512] = "", full[600];
	wordvecs wv;
	write_tmp(p, sizeof p, name, text);
	T_EQ_INT(wordvecs_read(&wv, p, 0, err, sizeof err), -1);
	snprintf(full, sizeof full, "%s%s", p, want);
	printf("# %s\n", err);
	T_EQ_STR(err, full);
	T_ASSERT(wv.n == 0 && !wv.words && !wv.vecs);
}

static void test_errors(void)
{
	expect_error("few.txt", "a 1 2 3\nb 1 2\n", ":2: expected 4 fields (a word and 3 numbers), got 3");
	expect_error("many.txt", "a 1 2 3\nb 1 2 3 4\n", ":2: expected 4 fields (a word and 3 numbers), got 5");
	expect_error("num.txt", "a 1 2 3\nb 1 x 3\n", ":2: field 3: bad number \"x\"");
	expect_error("num2.txt", "a 1 2 3\nb 1 2 3.5e\n", ":2: field 4: bad number \"3.5e\"");
	expect_error("nan.txt", "a 1 2 nan\n", ":1: field 4: bad number \"nan\"");
	expect_error("inf.txt", "a 1 2 1e39\n", ":1: field 4: bad number \"1e39\"");
	expect_error("one.txt", "word\n", ":1: expected a word and its vector, got 1 field");
	expect_error("empty.txt", "", ": no vectors");
	expect_error("hdr-short.txt", "3 2\na 1 2\nb 3 4\n", ": the header says 3 vectors, the file has 2 (truncated?)");
	expect_error("hdr-long.txt", "1 2\na 1 2\nb 3 4\n", ":3: more vectors than the 1 of the header");
	expect_error("hdr-dim.txt", "2 3\na 1 2\n", ":2: expected 4 fields (a word and 3 numbers), got 3");
	/* blank lines are skipped, line numbers still count them */
	expect_error("blank.txt", "a 1 2\n\nb 1\n", ":3: expected 3 fields (a word and 2 numbers), got 2");
	char err[512];
	wordvecs wv;
	T_EQ_INT(wordvecs_read(&wv, "/nonexistent/v.txt", 0, err, sizeof err), -1);
	T_ASSERT(strstr(err, "/nonexistent/v.txt: "));
	/* a truncated gzip stream is an error, not a silently short file */
	char p[1024], q[256];
	data(p, sizeof p, "tiny.glove.txt.gz");
	FILE *f = fopen(p, "rb");
	unsigned char buf[4096];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	snprintf(q, sizeof q, "%s/cut.txt.gz", dir);
	f = fopen(q, "wb");
	fwrite(buf, 1, n - 12, f);
	fclose(f);
	T_EQ_INT(wordvecs_read(&wv, q, 0, err, sizeof err), -1);
	printf("# %s\n", err);
	T_ASSERT(strstr(err, "cut.txt.gz:"));
}

static void test_normalize(void)
{
	struct { const char *in; int lower, single; const char *out; } c[] = {
		{ "Café", 1, 1, "cafe" },
		{ "Café", 0, 1, "Café" },
		{ "NAÏVE", 1, 1, "naive" },
		{ "e-mail", 1, 0, "e-mail" },
		{ "don't", 1, 0, "don't" },
		{ ",", 1, 1, "," },
		{ "...", 1, 0, "..." },
		{ "北京", 1, 0, "北京" },
		{ "日", 1, 1, "日" },
		{ "two words", 1, 0, "two words" },
		{ "", 1, 0, "" },
		{ "ΟΔΟΣ", 1, 1, "οδος" },   /* final sigma, accents none */
		{ "İ", 1, 1, "i" },
	};
	for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
		char *o = NULL;
		int r = vocab_normalize_word(c[k].in, c[k].lower, &o);
		if (r != c[k].single || !o || strcmp(o, c[k].out))
			printf("#   \"%s\" -> %d \"%s\"\n", c[k].in, r, o ? o : "(null)");
		T_EQ_INT(r, c[k].single);
		T_EQ_STR(o, c[k].out);
		free(o);
	}
	char *o = NULL;
	T_EQ_INT(vocab_normalize_word("\xff\xfe", 1, &o), 0);   /* invalid UTF-8 */
	T_ASSERT(o == NULL);
	char longw[120];
	memset(longw, 'x', 101);
	longw[101] = 0;
	T_EQ_INT(vocab_normalize_word(longw, 1, &o), 0);   /* over 100 characters */
	free(o);
}

static int find(char **tok, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(tok[i], s))
			return i;
	return -1;
}

static void test_vocab(void)
{
	char err[512];
	int n = 0;
	char **tok = vocab_build(WORDS, 16, 0, 1, &n, err, sizeof err);
	T_ASSERT(tok);
	static const char *const head[] = { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", ",",
	                                    ".", "of", "cafe", "dog", "dogs", "hot", "日", "naive",
	                                    "a", "z9" };
	for (int i = 0; i < 17; i++)
		T_EQ_STR(tok[i], head[i]);
	/* characters of all words (24 distinct), as "c" and "##c"; four of them
	 * (",", ".", "日", "a") were already whole words */
	T_EQ_INT(n, 17 + 2 * 24 - 4);
	const char *chars[] = { "t", "h", "e", ",", ".", "o", "f", "c", "a", "d", "g", "s", "-",
	                        "m", "i", "l", "n", "'", "北", "京", "日", "v", "z", "9" };
	for (int k = 0; k < 24; k++) {
		char cont[16];
		snprintf(cont, sizeof cont, "##%s", chars[k]);
		T_ASSERT(find(tok, n, chars[k]) >= 0);
		T_ASSERT(find(tok, n, cont) >= 17);
	}
	for (int i = 0; i < n; i++)   /* no duplicates */
		T_EQ_INT(find(tok, n, tok[i]), i);
	/* character tokens come in code point order */
	T_EQ_STR(tok[17], "'");
	T_EQ_STR(tok[18], "##'");
	/* any text made of seen characters tokenizes without [UNK] */
	tokenizer *tk = tokenizer_from_tokens((const char *const *)tok, n, 1, err, sizeof err);
	T_ASSERT(tk);
	const char *text = "The Café's e-mail, naïve 北京 dogs. Of hot fish";
	int *ids = NULL;
	int m = tokenizer_tokenize(tk, text, strlen(text), &ids);
	T_ASSERT(m > 10);
	T_EQ_INT(ids[0], 5);   /* "the" */
	T_EQ_INT(ids[1], 9);   /* "cafe" */
	for (int i = 0; i < m; i++)
		T_ASSERT(ids[i] != tokenizer_unk_id(tk));
	free(ids);
	tokenizer_free(tk);
	vocab_free(tok, n);
	/* a limit on whole words; characters still from every word */
	tok = vocab_build(WORDS, 16, 3, 1, &n, err, sizeof err);
	T_ASSERT(tok);
	T_EQ_STR(tok[7], ".");
	T_ASSERT(strlen(tok[8]) == 1 || strncmp(tok[8], "##", 2) == 0);   /* chars follow */
	T_ASSERT(find(tok, n, "dog") < 0 && find(tok, n, "##g") > 0);
	T_EQ_INT(n, 8 + 2 * 24 - 2);   /* "," and "." already present */
	vocab_free(tok, n);
	/* cased: no lowercasing, "Dog" and "dog" both whole words */
	tok = vocab_build(WORDS, 16, 0, 0, &n, err, sizeof err);
	T_ASSERT(find(tok, n, "Dog") > 0 && find(tok, n, "dog") > 0 && find(tok, n, "Café") > 0);
	vocab_free(tok, n);
}

static void test_embeddings(void)
{
	char p[1024], err[512];
	wordvecs wv;
	data(p, sizeof p, "tiny.glove.txt");
	T_EQ_INT(wordvecs_read(&wv, p, 0, err, sizeof err), 0);
	int V = 0;
	char **tok = vocab_build((const char *const *)wv.words, wv.n, 0, 1, &V, err, sizeof err);
	T_ASSERT(tok);
	/* H == dim: rows are the vectors themselves */
	float *E = malloc((size_t)V * 4 * sizeof *E);
	for (int i = 0; i < V * 4; i++)
		E[i] = -7.0f;   /* marker for rows left alone */
	int nset = -1;
	T_EQ_INT(vectors_init_embeddings(E, V, 4, (const char *const *)tok, &wv, 1, 1, 0, &nset,
	                                 err, sizeof err), 0);
	T_EQ_INT(nset, 12);
	int dog = find(tok, V, "dog"), cafe = find(tok, V, "cafe"), ri = find(tok, V, "日");
	T_ASSERT(!memcmp(E + dog * 4, wv.vecs + 5 * 4, 16));    /* "dog", not "Dog" */
	T_ASSERT(!memcmp(E + cafe * 4, wv.vecs + 4 * 4, 16));   /* "Café" */
	T_ASSERT(!memcmp(E + ri * 4, wv.vecs + 12 * 4, 16));
	T_ASSERT(!memcmp(E + 5 * 4, wv.vecs, 16));               /* "the" */
	int untouched[] = { 0, 2, find(tok, V, "##a"), find(tok, V, "t") };
	for (int k = 0; k < 4; k++)
		for (int h = 0; h < 4; h++)
			T_ASSERT(E[untouched[k] * 4 + h] == -7.0f);
	free(E);
	/* H != dim: a fixed linear map (hot = dog + dogs survives it) */
	const int H = 7;
	float *A = calloc((size_t)V * H, sizeof *A), *B = calloc((size_t)V * H, sizeof *B);
	float *C = calloc((size_t)V * H, sizeof *C);
	T_EQ_INT(vectors_init_embeddings(A, V, H, (const char *const *)tok, &wv, 1, 42, 0, &nset,
	                                 err, sizeof err), 0);
	T_EQ_INT(nset, 12);
	vectors_init_embeddings(B, V, H, (const char *const *)tok, &wv, 1, 42, 0, NULL, err, sizeof err);
	vectors_init_embeddings(C, V, H, (const char *const *)tok, &wv, 1, 43, 0, NULL, err, sizeof err);
	T_ASSERT(!memcmp(A, B, (size_t)V * H * sizeof *A));
	T_ASSERT(memcmp(A, C, (size_t)V * H * sizeof *A));
	int hot = find(tok, V, "hot"), dogs = find(tok, V, "dogs");
	for (int h = 0; h < H; h++)
		T_NEAR(A[hot * H + h], A[dog * H + h] + A[dogs * H + h], 1e-5);
	/* target RMS: one factor for all rows set */
	T_EQ_INT(vectors_init_embeddings(B, V, H, (const char *const *)tok, &wv, 1, 42, 0.02,
	                                 &nset, err, sizeof err), 0);
	double ss = 0, ratio = B[dog * H] / A[dog * H];
	for (int t = 0; t < V; t++) {
		double rs = 0;
		for (int h = 0; h < H; h++)
			rs += (double)B[t * H + h] * B[t * H + h];
		ss += rs;
		if (rs > 0)
			for (int h = 0; h < H; h++)
				T_NEAR(B[t * H + h], ratio * A[t * H + h], 1e-6);
	}
	T_NEAR(sqrt(ss / (12.0 * H)), 0.02, 1e-6);
	free(A), free(B), free(C);
	vocab_free(tok, V);
	wordvecs_free(&wv);
}

/* The projection keeps the vectors' per-coordinate scale (N(0, 1/dim) entries). */
static void test_projection_scale(void)
{
	char p[256], err[512];
	rng r;
	rng_seed(&r, 17);
	snprintf(p, sizeof p, "%s/big.txt", dir);
	FILE *f = fopen(p, "w");
	const int nw = 300, D = 50, H = 400;
	double ms = 0;
	for (int i = 0; i < nw; i++) {
		fprintf(f, "w%d", i);
		for (int k = 0; k < D; k++) {
			float x = (float)(0.4 * rng_normal(&r));
			fprintf(f, " %.9g", x);
			ms += (double)x * x;
		}
		fputc('\n', f);
	}
	fclose(f);
	ms /= (double)nw * D;
	wordvecs wv;
	T_EQ_INT(wordvecs_read(&wv, p, 0, err, sizeof err), 0);
	const char **tok = malloc(nw * sizeof *tok);
	for (int i = 0; i < nw; i++)
		tok[i] = wv.words[i];
	float *E = calloc((size_t)nw * H, sizeof *E);
	int nset;
	T_EQ_INT(vectors_init_embeddings(E, nw, H, tok, &wv, 1, 5, 0, &nset, err, sizeof err), 0);
	T_EQ_INT(nset, nw);
	double me = 0;
	for (size_t i = 0; i < (size_t)nw * H; i++)
		me += (double)E[i] * E[i];
	me /= (double)nw * H;
	printf("# mean square: vectors %.4f, projected %.4f\n", ms, me);
	T_NEAR(me / ms, 1.0, 0.1);
	free(E);
	free(tok);
	wordvecs_free(&wv);
}

static void test_shared_glove(void)
{
	char p[1024], err[512];
	snprintf(p, sizeof p, "%s/vectors/glove-6b-100d-top50k.txt.gz", t_shared());
	if (access(p, R_OK) != 0)
		T_SKIP("shared GloVe file absent (../shared/data)");
	wordvecs wv;
	clock_t t0 = clock();
	int rc = wordvecs_read(&wv, p, 0, err, sizeof err);
	if (rc)
		printf("#   %s\n", err);
	T_EQ_INT(rc, 0);
	printf("# read %d x %d in %.2f s cpu\n", wv.n, wv.dim, (double)(clock() - t0) / CLOCKS_PER_SEC);
	T_EQ_INT(wv.n, 50000);
	T_EQ_INT(wv.dim, 100);
	T_EQ_STR(wv.words[0], "the");
	int V = 0;
	char **tok = vocab_build((const char *const *)wv.words, wv.n, 30000, 1, &V, err, sizeof err);
	T_ASSERT(tok);
	T_EQ_STR(tok[5], "the");
	T_ASSERT(V > 30005 && V < 33000);
	printf("# vocabulary: %d tokens (30000 whole words)\n", V);
	const int H = 128;
	float *E = calloc((size_t)V * H, sizeof *E);
	int nset = 0;
	T_EQ_INT(vectors_init_embeddings(E, V, H, (const char *const *)tok, &wv, 1, 1, 0.02, &nset,
	                                 err, sizeof err), 0);
	printf("# initialised %d rows\n", nset);
	T_ASSERT(nset >= 30000);
	/* neighbours survive the projection: cos(king, queen) > cos(king, the) */
	int k = find(tok, V, "king"), q = find(tok, V, "queen"), th = find(tok, V, "the");
	T_ASSERT(k > 0 && q > 0);
	double kq = 0, kt = 0, kk = 0, qq = 0, tt = 0;
	for (int h = 0; h < H; h++) {
		kq += (double)E[k * H + h] * E[q * H + h];
		kt += (double)E[k * H + h] * E[th * H + h];
		kk += (double)E[k * H + h] * E[k * H + h];
		qq += (double)E[q * H + h] * E[q * H + h];
		tt += (double)E[th * H + h] * E[th * H + h];
	}
	printf("# cos(king, queen) %.3f, cos(king, the) %.3f\n", kq / sqrt(kk * qq), kt / sqrt(kk * tt));
	T_ASSERT(kq / sqrt(kk * qq) > kt / sqrt(kk * tt) + 0.2);
	free(E);
	vocab_free(tok, V);
	wordvecs_free(&wv);
}

int main(void)
{
	const char *r = getenv("GCSE_ROOT");
	snprintf(root, sizeof root, "%s", r && *r ? r : ".");
	strcpy(dir, "/tmp/gcse-test-vec-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_read_formats);
	T_RUN(test_errors);
	T_RUN(test_normalize);
	T_RUN(test_vocab);
	T_RUN(test_embeddings);
	T_RUN(test_projection_scale);
	T_RUN(test_shared_glove);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
