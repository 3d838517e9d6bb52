/* test_encoder.c — texts to vectors end to end (tokenizer, sorting, batching,
 * pooling) against the PyTorch vectors of the fixture texts, and the same
 * bits for any batch size, thread count and company. */
#include "t.h"
#include "nn/encoder.h"
#include "nn/safetensors.h"
#include "base/gemm.h"

#include <jv.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *names[] = {"tiny-cls", "tiny-legacy", "tiny-bf16", "tiny-f16", "tiny-st"};
static char err[512];

static const char *path(const char *fmt, const char *name)
{
	static char p[4][600];
	static int k;
	const char *r = getenv("GCSE_ROOT");
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], fmt, r && *r ? r : ".", name);
	return p[k];
}

/* The fixture texts (JSON list in the metadata), NULL-terminated. */
static char **fixture_texts(const st_file *f, int *n)
{
	jv a = jv_parse(st_meta(f, "texts"));
	*n = jv_array_length(jv_copy(a));
	char **t = calloc(*n + 1, sizeof *t);
	for (int i = 0; i < *n; i++) {
		jv s = jv_array_get(jv_copy(a), i);
		t[i] = strdup(jv_string_value(s));
		jv_free(s);
	}
	jv_free(a);
	return t;
}

static float *f32(const st_file *f, const char *name)
{
	const st_tensor *t = st_find(f, name);
	if (!t)
		return NULL;
	float *v = malloc(t->numel * sizeof *v);
	st_to_f32(f, t, v, err, sizeof err);
	return v;
}

static void l2(float *v, int C)
{
	double s = 0;
	for (int i = 0; i < C; i++)
		s += (double)v[i] * v[i];
	float n = sqrtf((float)s);
	for (int i = 0; i < C; i++)
		v[i] /= n > 1e-12f ? n : 1e-12f;
}

static double maxdiff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs((double)b[i]));
		m = d > m || d != d ? d : m;
	}
	return m;
}

static void test_texts_against_torch(void)
{
	static const char *pools[] = {"cls", "pooler", "mean", "max"};
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		st_file *f = st_open(path("%s/tests/data/parity/%s.safetensors", names[k]), err, sizeof err);
		T_ASSERT(f);
		int n;
		char **texts = fixture_texts(f, &n);
		encoder *e = encoder_open(path("%s/tests/data/models/%s", names[k]), NULL, err, sizeof err);
		if (!e)
			T_FAIL("%s: %s", names[k], err);
		int C = encoder_dim(e);
		T_EQ_INT(encoder_max_length(e), atoi(st_meta(f, "max_length")));
		T_EQ_STR(bert_pooling_name(encoder_pooling(e)), st_meta(f, "default_pooling"));
		T_EQ_INT(encoder_normalize(e), atoi(st_meta(f, "normalize")));

		/* the tokenizer gives the fixture's ids */
		const st_tensor *ti = st_find(f, "text_ids");
		int64_t *ids = malloc(ti->numel * sizeof *ids), lens[64];
		st_to_i64(f, ti, ids, err, sizeof err);
		st_to_i64(f, st_find(f, "text_len"), lens, err, sizeof err);
		int Tt = (int)ti->shape[1], buf[64], want_trunc = 0;
		for (int i = 0; i < n; i++) {
			int *pieces, np = tokenizer_tokenize(encoder_tokenizer(e), texts[i], strlen(texts[i]), &pieces);
			free(pieces);
			want_trunc += np + 2 > encoder_max_length(e);
			int tr, m = tokenizer_encode(encoder_tokenizer(e), texts[i], strlen(texts[i]), buf,
			                             encoder_max_length(e), &tr);
			T_EQ_INT(m, lens[i]);
			for (int j = 0; j < m; j++)
				if (buf[j] != ids[(size_t)i * Tt + j])
					T_FAIL("%s: text %d token %d: id %d, fixture %lld", names[k], i, j, buf[j],
					       (long long)ids[(size_t)i * Tt + j]);
		}
		free(ids);

		/* default pooling, then each pooling explicitly */
		float *out = malloc((size_t)n * C * sizeof *out);
		int ntr = -1;
		T_ASSERT(encoder_embed(e, (const char *const *)texts, NULL, n, out, &ntr, NULL, err, sizeof err) == 0);
		T_EQ_INT(ntr, want_trunc);
		char nm[32];
		snprintf(nm, sizeof nm, "text_%s", st_meta(f, "default_pooling"));
		float *ref = f32(f, nm);
		if (encoder_normalize(e))
			for (int i = 0; i < n; i++)
				l2(ref + (size_t)i * C, C);
		double d = maxdiff(out, ref, (size_t)n * C);
		printf("# %-11s texts, default pooling: max diff %.3g\n", names[k], d);
		T_ASSERT(d <= 1e-5);
		free(ref);
		encoder_free(e);
		for (int p = 0; p < 4; p++) {
			snprintf(nm, sizeof nm, "text_%s", pools[p]);
			ref = f32(f, nm);
			encoder_opts o;
			encoder_opts_init(&o);
			o.pooling = p;
			o.normalize = 0;
			e = encoder_open(path("%s/tests/data/models/%s", names[k]), &o, err, sizeof err);
			if (!ref) {
				T_ASSERT(!e && strstr(err, "no pooler"));
				continue;
			}
			T_ASSERT(e && encoder_embed(e, (const char *const *)texts, NULL, n, out, NULL, NULL, err, sizeof err) == 0);
			d = maxdiff(out, ref, (size_t)n * C);
			if (!(d <= 1e-5))
				T_FAIL("%s: texts, pooling %s: diff %.3g", names[k], pools[p], d);
			free(ref);
			encoder_free(e);
		}
		free(out);
		for (int i = 0; i < n; i++)
			free(texts[i]);
		free(texts);
		st_close(f);
	}
}

/* Vectors for a mixed bag of texts do not depend on batch size, threads,
 * or which other texts come along. */
static void test_batch_independence(void)
{
	const char *texts[] = {
		"the cat sat on the mat", "", "hello", "a b c d e f g h i j k l m n o p q r s t u v w x y z",
		"hello world, this is a test of many words and punctuation!!!", "x y", "[CLS] [SEP] [MASK]",
		"red green blue red green blue red green blue", "one", "two words", "three words here",
		"numbers 12345 67890", "(parens) and \"quotes\"", "tree house car book", "moon",
		"The Sun And The Moon", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "sky rain snow", "go", "see number",
	};
	int n = (int)(sizeof texts / sizeof *texts);
	encoder_opts o;
	encoder_opts_init(&o);
	o.pooling = BERT_POOL_MEAN;
	o.batch_size = 64;
	encoder *e = encoder_open(path("%s/tests/data/models/%s", "tiny-st"), &o, err, sizeof err);
	T_ASSERT(e);
	int C = encoder_dim(e);
	float *ref = malloc((size_t)n * C * sizeof *ref), *out = malloc((size_t)n * C * sizeof *out);
	T_ASSERT(encoder_embed(e, texts, NULL, n, ref, NULL, NULL, err, sizeof err) == 0);
	encoder_free(e);
	int sizes[] = {1, 2, 3, 7, 19};
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
		for (int th = 1; th <= 2; th++) {
			omp_set_num_threads(th);
			gemm_set_threads(th);
			o.batch_size = sizes[s];
			e = encoder_open(path("%s/tests/data/models/%s", "tiny-st"), &o, err, sizeof err);
			T_ASSERT(e && encoder_embed(e, texts, NULL, n, out, NULL, NULL, err, sizeof err) == 0);
			if (memcmp(out, ref, (size_t)n * C * sizeof *out))
				T_FAIL("batch size %d, %d threads: vectors differ", sizes[s], th);
			/* each text alone, and the texts in reverse order */
			for (int i = 0; i < n; i += 4) {
				T_ASSERT(encoder_embed(e, texts + i, NULL, 1, out, NULL, NULL, err, sizeof err) == 0);
				T_ASSERT(!memcmp(out, ref + (size_t)i * C, C * sizeof *out));
			}
			const char *rev[64];
			for (int i = 0; i < n; i++)
				rev[i] = texts[n - 1 - i];
			T_ASSERT(encoder_embed(e, rev, NULL, n, out, NULL, NULL, err, sizeof err) == 0);
			for (int i = 0; i < n; i++)
				T_ASSERT(!memcmp(out + (size_t)i * C, ref + (size_t)(n - 1 - i) * C, C * sizeof *out));
			encoder_free(e);
		}
	omp_set_num_threads(2);
	gemm_set_threads(2);
	free(ref), free(out);
}

static void test_truncation(void)
{
	char longtext[4000] = "";
	for (int i = 0; i < 300; i++)
		strcat(longtext, i % 2 ? "cat " : "dog ");
	const char *texts[] = {"good one", longtext, "the cat"};
	size_t lens[] = {4, strlen(longtext), 7};      /* "good" only: lens are honoured */
	encoder_opts o;
	encoder_opts_init(&o);
	o.max_length = 6;
	encoder *e = encoder_open(path("%s/tests/data/models/%s", "tiny-cls"), &o, err, sizeof err);
	T_ASSERT(e);
	int C = encoder_dim(e), ntr = -1;
	unsigned char flags[3] = {9, 9, 9};
	float out[3 * 36], one[36];
	T_ASSERT(encoder_embed(e, texts, lens, 3, out, &ntr, flags, err, sizeof err) == 0);
	T_EQ_INT(ntr, 1);
	T_ASSERT(flags[0] == 0 && flags[1] == 1 && flags[2] == 0);
	/* the cut text is [CLS] dog cat dog cat [SEP] */
	const tokenizer *tk = encoder_tokenizer(e);
	int ids[6] = {tokenizer_cls_id(tk), tokenizer_token_id(tk, "dog"), tokenizer_token_id(tk, "cat"),
	              tokenizer_token_id(tk, "dog"), tokenizer_token_id(tk, "cat"), tokenizer_sep_id(tk)};
	const int *seqs[1] = {ids};
	int sl[1] = {6};
	T_ASSERT(encoder_embed_ids(e, seqs, sl, 1, one, err, sizeof err) == 0);
	T_ASSERT(!memcmp(one, out + C, C * sizeof *one));
	const char *s5[1] = {"good"};
	T_ASSERT(encoder_embed(e, s5, NULL, 1, one, NULL, NULL, err, sizeof err) == 0);
	T_ASSERT(!memcmp(one, out, C * sizeof *one));
	sl[0] = 7;
	T_ASSERT(encoder_embed_ids(e, seqs, sl, 1, one, err, sizeof err) && strstr(err, "expected 1..6"));
	T_ASSERT(encoder_embed(e, texts, NULL, 0, out, &ntr, NULL, err, sizeof err) == 0 && ntr == 0);
	encoder_free(e);
}

static void test_open_errors(void)
{
	encoder_opts o;
	encoder_opts_init(&o);
	T_ASSERT(!encoder_open("/nonexistent", &o, err, sizeof err) && strstr(err, "no config.json"));
	o.max_length = 25;
	T_ASSERT(!encoder_open(path("%s/tests/data/models/%s", "tiny-cls"), &o, err, sizeof err));
	T_ASSERT(strstr(err, "max length 25 out of range 2..24"));
	o.max_length = 0;
	o.batch_size = 0;
	T_ASSERT(!encoder_open(path("%s/tests/data/models/%s", "tiny-cls"), &o, err, sizeof err));
	T_ASSERT(strstr(err, "batch size"));
	o.batch_size = 8;
	o.pooling = BERT_POOL_POOLER;
	T_ASSERT(!encoder_open(path("%s/tests/data/models/%s", "tiny-cls"), &o, err, sizeof err));
	T_ASSERT(strstr(err, "no pooler"));
	o.pooling = BERT_POOL_POOLER;
	encoder *e = encoder_open(path("%s/tests/data/models/%s", "tiny-legacy"), &o, err, sizeof err);
	T_ASSERT(e && encoder_pooling(e) == BERT_POOL_POOLER && encoder_normalize(e) == 0);
	encoder_free(e);
}

int main(void)
{
	T_RUN(test_texts_against_torch);
	T_RUN(test_batch_independence);
	T_RUN(test_truncation);
	T_RUN(test_open_errors);
	return t_done();
}
