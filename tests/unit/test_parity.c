/* test_parity.c — the forward pass against PyTorch (scripts/make-fixtures.py,
 * committed outputs in tests/data/parity): last hidden states at every
 * position and every pooling, plain and normalised, on padding-heavy batches
 * whose longest sequence uses every position; and a sentence's result is the
 * same bits whatever batch it is in and whatever the thread count.
 * Tolerance: |ours - torch| <= 1e-5 x max(1, |torch|). */
#include "t.h"
#include "nn/bert.h"
#include "nn/layers.h"
#include "nn/safetensors.h"
#include "base/gemm.h"

#include <omp.h>

static const char *names[] = {"tiny-cls", "tiny-legacy", "tiny-bf16", "tiny-f16", "tiny-st"};
static char err[512];

static const char *root(void)
{
	const char *r = getenv("GCSE_ROOT");
	return r && *r ? r : ".";
}

typedef struct fixture {
	bert_model *m;
	st_file *f;
	int B, T, C;
	int *ids, *mask;
} fixture;

static float *get_f32(const fixture *x, const char *name, size_t want)
{
	const st_tensor *t = st_find(x->f, name);
	if (!t || t->numel != want)
		return NULL;
	float *v = malloc(want * sizeof *v);
	if (st_to_f32(x->f, t, v, err, sizeof err)) {
		free(v);
		return NULL;
	}
	return v;
}

static int *get_ints(const st_file *f, const char *name, size_t *n)
{
	const st_tensor *t = st_find(f, name);
	if (!t)
		return NULL;
	int64_t *v = malloc(t->numel * sizeof *v);
	int *r = malloc(t->numel * sizeof *r);
	st_to_i64(f, t, v, err, sizeof err);
	for (size_t i = 0; i < t->numel; i++)
		r[i] = (int)v[i];
	free(v);
	*n = t->numel;
	return r;
}

static int open_fixture(fixture *x, const char *name)
{
	char p[600];
	memset(x, 0, sizeof *x);
	snprintf(p, sizeof p, "%s/tests/data/models/%s", root(), name);
	x->m = model_load(p, err, sizeof err);
	snprintf(p, sizeof p, "%s/tests/data/parity/%s.safetensors", root(), name);
	x->f = st_open(p, err, sizeof err);
	if (!x->m || !x->f)
		return 0;
	const st_tensor *t = st_find(x->f, "input_ids");
	x->B = (int)t->shape[0];
	x->T = (int)t->shape[1];
	x->C = x->m->cfg.hidden_size;
	size_t n;
	x->ids = get_ints(x->f, "input_ids", &n);
	x->mask = get_ints(x->f, "attention_mask", &n);
	return 1;
}

static void close_fixture(fixture *x)
{
	model_free(x->m);
	st_close(x->f);
	free(x->ids);
	free(x->mask);
}

/* Largest |a - b| / max(1, |b|); also the largest absolute difference. */
static double compare(const float *a, const float *b, size_t n, double *absmax)
{
	double m = 0, am = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]);
		am = d > am || d != d ? d : am;
		d /= fmax(1.0, fabs((double)b[i]));
		m = d > m || d != d ? d : m;
	}
	*absmax = am;
	return m;
}

#define TOL 1e-5

static void test_parity(void)
{
	static const char *pools[] = {"cls", "pooler", "mean", "max"};
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		fixture x;
		if (!open_fixture(&x, names[k]))
			T_FAIL("%s: %s", names[k], err);
		bert_ctx *ctx = bert_ctx_new(x.m);
		if (bert_forward(ctx, x.ids, x.mask, x.B, x.T, err, sizeof err))
			T_FAIL("%s: forward: %s", names[k], err);
		size_t nh = (size_t)x.B * x.T * x.C;
		float *ref = get_f32(&x, "last_hidden_state", nh);
		T_ASSERT(ref);
		double am, d = compare(ctx->hidden, ref, nh, &am);
		printf("# %-11s last_hidden_state   max abs diff %.3g (relative %.3g)\n", names[k], am, d);
		if (!(d <= TOL))
			T_FAIL("%s: last_hidden_state differs by %.3g", names[k], d);
		free(ref);
		float *out = malloc((size_t)x.B * x.C * sizeof *out);
		for (int p = 0; p < 4; p++)
			for (int norm = 0; norm < 2; norm++) {
				char nm[64];
				snprintf(nm, sizeof nm, "pooled_%s%s", pools[p], norm ? "_normalized" : "");
				ref = get_f32(&x, nm, (size_t)x.B * x.C);
				if (!ref) {     /* no pooler: pooling must refuse */
					T_ASSERT(p == BERT_POOL_POOLER && !x.m->has_pooler);
					T_ASSERT(bert_pool(ctx, p, norm, out, err, sizeof err) && strstr(err, "no pooler"));
					continue;
				}
				T_ASSERT(bert_pool(ctx, p, norm, out, err, sizeof err) == 0);
				d = compare(out, ref, (size_t)x.B * x.C, &am);
				printf("# %-11s %-26s max abs diff %.3g\n", names[k], nm, am);
				if (!(d <= TOL))
					T_FAIL("%s: %s differs by %.3g", names[k], nm, d);
				free(ref);
			}
		/* the directory's default pooling is the one the fixture used */
		const char *dp = st_meta(x.f, "default_pooling"), *dn = st_meta(x.f, "normalize");
		T_ASSERT(dp && dn);
		T_EQ_STR(bert_pooling_name(x.m->pooling), dp);
		T_EQ_INT(x.m->normalize, atoi(dn));
		free(out);
		bert_ctx_free(ctx);
		close_fixture(&x);
	}
}

/* The fixture texts, each embedded alone (no padding at all). */
static void test_parity_texts(void)
{
	static const char *pools[] = {"cls", "pooler", "mean", "max"};
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		fixture x;
		if (!open_fixture(&x, names[k]))
			T_FAIL("%s: %s", names[k], err);
		size_t n, nl;
		int *tids = get_ints(x.f, "text_ids", &n), *tlen = get_ints(x.f, "text_len", &nl);
		T_ASSERT(tids && tlen);
		int Tt = (int)(n / nl);
		bert_ctx *ctx = bert_ctx_new(x.m);
		float *out = malloc(x.C * sizeof *out);
		double worst = 0;
		for (int p = 0; p < 4; p++) {
			char nm[32];
			snprintf(nm, sizeof nm, "text_%s", pools[p]);
			float *ref = get_f32(&x, nm, nl * x.C);
			if (!ref)
				continue;
			for (size_t i = 0; i < nl; i++) {
				T_ASSERT(bert_forward(ctx, tids + i * Tt, NULL, 1, tlen[i], err, sizeof err) == 0);
				T_ASSERT(bert_pool(ctx, p, 0, out, err, sizeof err) == 0);
				double am, d = compare(out, ref + i * x.C, x.C, &am);
				worst = d > worst ? d : worst;
				if (!(d <= TOL))
					T_FAIL("%s: text %zu %s differs by %.3g", names[k], i, nm, d);
			}
			free(ref);
		}
		printf("# %-11s texts alone: max diff %.3g\n", names[k], worst);
		free(out), free(tids), free(tlen);
		bert_ctx_free(ctx);
		close_fixture(&x);
	}
}

/* Each sequence alone (padded to its own length), in reversed batches and
 * with 1 or 2 threads: the same bits as in the fixture batch. */
static void test_batch_independence(void)
{
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		fixture x;
		if (!open_fixture(&x, names[k]))
			T_FAIL("%s: %s", names[k], err);
		int B = x.B, T = x.T, C = x.C;
		omp_set_num_threads(2);
		gemm_set_threads(2);
		bert_ctx *ctx = bert_ctx_new(x.m);
		T_ASSERT(bert_forward(ctx, x.ids, x.mask, B, T, err, sizeof err) == 0);
		float *base = malloc((size_t)B * T * C * sizeof *base), *pb = malloc((size_t)B * C * 4 * sizeof *pb);
		memcpy(base, ctx->hidden, (size_t)B * T * C * sizeof *base);
		for (int p = 0; p < 4; p++)
			if (p != BERT_POOL_POOLER || x.m->has_pooler)
				T_ASSERT(bert_pool(ctx, p, 1, pb + (size_t)p * B * C, err, sizeof err) == 0);
		float *out = malloc((size_t)C * sizeof *out);
		for (int th = 1; th <= 2; th++) {
			omp_set_num_threads(th);
			gemm_set_threads(th);
			bert_ctx *c1 = bert_ctx_new(x.m);
			for (int b = 0; b < B; b++) {
				int len = 0;
				for (int t = 0; t < T; t++)
					len = x.mask[b * T + t] ? t + 1 : len;
				T_ASSERT(bert_forward(c1, x.ids + (size_t)b * T, NULL, 1, len, err, sizeof err) == 0);
				if (memcmp(c1->hidden, base + (size_t)b * T * C, (size_t)len * C * sizeof(float)))
					T_FAIL("%s: sequence %d alone (%d threads) differs from its rows in the batch",
					       names[k], b, th);
				for (int p = 0; p < 4; p++) {
					if (p == BERT_POOL_POOLER && !x.m->has_pooler)
						continue;
					T_ASSERT(bert_pool(c1, p, 1, out, err, sizeof err) == 0);
					if (memcmp(out, pb + ((size_t)p * B + b) * C, C * sizeof(float)))
						T_FAIL("%s: sequence %d alone, pooling %s: vector differs", names[k], b,
						       bert_pooling_name(p));
				}
			}
			/* reversed order, one sequence dropped, padded further */
			int B2 = B - 1, T2 = T + 3 <= x.m->cfg.max_position_embeddings ? T + 3 : T;
			int *ids = calloc((size_t)B2 * T2, sizeof *ids), *mask = calloc((size_t)B2 * T2, sizeof *mask);
			for (int i = 0; i < B2; i++) {
				int b = B - 1 - i;
				memcpy(ids + (size_t)i * T2, x.ids + (size_t)b * T, T * sizeof *ids);
				memcpy(mask + (size_t)i * T2, x.mask + (size_t)b * T, T * sizeof *mask);
			}
			T_ASSERT(bert_forward(c1, ids, mask, B2, T2, err, sizeof err) == 0);
			for (int i = 0; i < B2; i++) {
				int b = B - 1 - i;
				for (int t = 0; t < T; t++)
					if (x.mask[b * T + t] && memcmp(c1->hidden + ((size_t)i * T2 + t) * C,
					                                base + ((size_t)b * T + t) * C, C * sizeof(float)))
						T_FAIL("%s: sequence %d in another batch (%d threads): token %d differs",
						       names[k], b, th, t);
			}
			free(ids), free(mask);
			bert_ctx_free(c1);
		}
		omp_set_num_threads(2);
		gemm_set_threads(2);
		free(base), free(pb), free(out);
		bert_ctx_free(ctx);
		close_fixture(&x);
	}
}

/* A larger random model (several key and head blocks, batches over the
 * small-matrix thresholds of the GEMM backends): a sentence alone and inside
 * a batch of 24. */
static void test_batch_independence_large(void)
{
	bert_config c;
	bert_config_defaults(&c);
	c.vocab_size = 500, c.hidden_size = 96, c.num_attention_heads = 3, c.num_hidden_layers = 2;
	c.intermediate_size = 384, c.max_position_embeddings = 64;
	bert_model *m = model_init_random(&c, 7, err, sizeof err);
	T_ASSERT(m);
	int B = 24, T = 40, C = c.hidden_size;
	int *ids = malloc((size_t)B * T * sizeof *ids), *mask = malloc((size_t)B * T * sizeof *mask);
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			ids[b * T + t] = (b * 131 + t * 17) % 500;
			mask[b * T + t] = t < T - (b * 5) % T;
		}
	bert_ctx *ctx = bert_ctx_new(m), *c1 = bert_ctx_new(m);
	T_ASSERT(bert_forward(ctx, ids, mask, B, T, err, sizeof err) == 0);
	float *all = malloc((size_t)B * C * sizeof *all), *one = malloc((size_t)C * sizeof *one);
	T_ASSERT(bert_pool(ctx, BERT_POOL_MEAN, 0, all, err, sizeof err) == 0);
	for (int b = 0; b < B; b += 5) {
		int len = T - (b * 5) % T;
		T_ASSERT(bert_forward(c1, ids + (size_t)b * T, NULL, 1, len, err, sizeof err) == 0);
		T_ASSERT(bert_pool(c1, BERT_POOL_MEAN, 0, one, err, sizeof err) == 0);
		if (memcmp(one, all + (size_t)b * C, C * sizeof(float)))
			T_FAIL("sequence %d: mean vector alone differs from the batch's", b);
	}
	free(all), free(one), free(ids), free(mask);
	bert_ctx_free(ctx);
	bert_ctx_free(c1);
	model_free(m);
}

/* A context first sized by sequences too long for attention's whole-block
 * copy (T * 3C over 64K floats), then given shorter ones that are copied:
 * the scratch must hold the copy (it overflowed the heap before; ASan and a
 * segfault of embed on BERT-base shape with STS-B, longest batch first).
 * The short batch gives the same bits as in a fresh context. */
static void test_scratch_long_then_short(void)
{
	bert_config c;
	bert_config_defaults(&c);
	c.vocab_size = 100, c.hidden_size = 768, c.num_attention_heads = 12, c.num_hidden_layers = 1;
	c.intermediate_size = 16, c.max_position_embeddings = 64;
	bert_model *m = model_init_random(&c, 3, err, sizeof err);
	T_ASSERT(m);
	enum { B = 4, TL = 40, TS = 20 };       /* 40 x 2304 > 65536 >= 20 x 2304 */
	int ids[B * TL];
	for (int i = 0; i < B * TL; i++)
		ids[i] = (i * 37) % 100;
	float out[B * 768], fresh[B * 768];
	bert_ctx *x = bert_ctx_new(m), *y = bert_ctx_new(m);
	T_ASSERT(bert_encode(x, ids, NULL, B, TL, BERT_POOL_MEAN, 0, out, err, sizeof err) == 0);
	T_ASSERT(bert_encode(x, ids, NULL, B, TS, BERT_POOL_MEAN, 0, out, err, sizeof err) == 0);
	T_ASSERT(bert_encode(y, ids, NULL, B, TS, BERT_POOL_MEAN, 0, fresh, err, sizeof err) == 0);
	T_ASSERT(!memcmp(out, fresh, sizeof out));
	/* the per-thread scratch size never shrinks as sequences grow */
	for (int C = 12; C <= 1536; C *= 2)
		for (int T = 1; T < 512; T++)
			if (attention_scratch_size(T + 1, C, 12) < attention_scratch_size(T, C, 12))
				T_FAIL("attention_scratch_size(%d, %d) < (%d, %d)", T + 1, C, T, C);
	bert_ctx_free(x);
	bert_ctx_free(y);
	model_free(m);
}

/* bert_encode: with cls or pooler pooling its [CLS]-only last layer gives
 * the bits of the full forward + bert_pool; other poolings run the full
 * forward. After a [CLS]-only forward, mean and max pooling refuse. */
static void test_encode(void)
{
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		fixture x;
		if (!open_fixture(&x, names[k]))
			T_FAIL("%s: %s", names[k], err);
		size_t n = (size_t)x.B * x.C;
		float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
		bert_ctx *full = bert_ctx_new(x.m), *enc = bert_ctx_new(x.m);
		T_ASSERT(bert_forward(full, x.ids, x.mask, x.B, x.T, err, sizeof err) == 0);
		for (int p = 0; p < 4; p++)
			for (int norm = 0; norm < 2; norm++) {
				if (p == BERT_POOL_POOLER && !x.m->has_pooler) {
					T_ASSERT(bert_encode(enc, x.ids, x.mask, x.B, x.T, p, norm, got, err, sizeof err));
					T_ASSERT(strstr(err, "no pooler"));
					continue;
				}
				T_ASSERT(bert_pool(full, p, norm, want, err, sizeof err) == 0);
				T_ASSERT(bert_encode(enc, x.ids, x.mask, x.B, x.T, p, norm, got, err, sizeof err) == 0);
				if (memcmp(got, want, n * sizeof *got))
					T_FAIL("%s: bert_encode %s differs from forward + pool", names[k], bert_pooling_name(p));
				int cls_only = p == BERT_POOL_CLS || p == BERT_POOL_POOLER;
				T_ASSERT(cls_only ? !enc->hidden && enc->cls_hidden : enc->hidden && !enc->cls_hidden);
				if (cls_only) {
					T_ASSERT(bert_pool(enc, BERT_POOL_MEAN, 0, got, err, sizeof err));
					T_ASSERT(strstr(err, "[CLS] rows only"));
				}
			}
		free(want), free(got);
		bert_ctx_free(full), bert_ctx_free(enc);
		close_fixture(&x);
	}
}

static void test_forward_errors(void)
{
	fixture x;
	if (!open_fixture(&x, "tiny-cls"))
		T_FAIL("%s", err);
	bert_ctx *ctx = bert_ctx_new(x.m);
	int ids[30] = {0}, mask[30] = {0};
	T_ASSERT(bert_pool(ctx, BERT_POOL_CLS, 0, NULL, err, sizeof err) && strstr(err, "no forward"));
	T_ASSERT(bert_forward(ctx, ids, NULL, 1, 25, err, sizeof err) && strstr(err, "over the model's maximum 24"));
	T_ASSERT(bert_forward(ctx, ids, NULL, 0, 3, err, sizeof err) && strstr(err, "empty"));
	ids[2] = x.m->cfg.vocab_size;
	T_ASSERT(bert_forward(ctx, ids, NULL, 1, 3, err, sizeof err) && strstr(err, "outside the vocabulary"));
	ids[2] = -1;
	T_ASSERT(bert_forward(ctx, ids, NULL, 1, 3, err, sizeof err) && strstr(err, "token id -1"));
	ids[2] = 0;
	mask[0] = 1;
	T_ASSERT(bert_forward(ctx, ids, mask, 2, 3, err, sizeof err) && strstr(err, "sequence 1 has no real token"));
	T_ASSERT(bert_forward(ctx, ids, NULL, 2, 3, err, sizeof err) == 0);
	T_ASSERT(bert_pool(ctx, 9, 0, (float[72]){0}, err, sizeof err));
	/* a larger batch after a smaller one grows the arena; a smaller reuses it */
	int big[24 * 8];
	for (int i = 0; i < 24 * 8; i++)
		big[i] = i % 50;
	T_ASSERT(bert_forward(ctx, big, NULL, 8, 24, err, sizeof err) == 0);
	size_t cap = ctx->arena_floats;
	T_ASSERT(bert_forward(ctx, big, NULL, 3, 5, err, sizeof err) == 0);
	T_EQ_INT(ctx->arena_floats, cap);
	bert_ctx_free(ctx);
	close_fixture(&x);
}

int main(void)
{
	T_RUN(test_parity);
	T_RUN(test_parity_texts);
	T_RUN(test_batch_independence);
	T_RUN(test_batch_independence_large);
	T_RUN(test_scratch_long_then_short);
	T_RUN(test_encode);
	T_RUN(test_forward_errors);
	return t_done();
}
