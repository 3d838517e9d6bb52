/* test_layers.c — fast kernels against their naive references, accuracy of
 * exp/erf/GELU, and bitwise independence of a row's result from batch size,
 * padding and thread count. */
#include "t.h"
#include "frand.h"
#include "nn/layers.h"
#include "base/gemm.h"

#include <omp.h>
#include <stdint.h>

static double maxdiff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs((double)b[i]));
		if (!(d <= m))
			m = d;
	}
	return m;
}

static void test_exp_accuracy(void)
{
	double worst = 0;
	for (double x = -87.0; x <= 88.0; x += 3.3e-4) {
		float f = (float)x;
		double r = exp((double)f), e = fabs(layers_expf(f) - r) / r;
		if (e > worst)
			worst = e;
	}
	printf("# exp: max relative error %.3g\n", worst);
	T_ASSERT(worst < 2.4e-7);                  /* 2 ulp */
	T_ASSERT(layers_expf(-88.0f) == 0.0f && layers_expf(-1e30f) == 0.0f && layers_expf(-INFINITY) == 0.0f);
	T_ASSERT(layers_expf(0.0f) == 1.0f);
}

static void test_erf_gelu_accuracy(void)
{
	double werf = 0, wgelu = 0;
	for (double x = -12.0; x <= 12.0; x += 1.7e-5) {
		float f = (float)x;
		double e = fabs(layers_erff(f) - erf((double)f));
		double g = 0.5 * f * (1 + erf(f / sqrt(2.0)));
		double eg = fabs(layers_gelu(f) - g) / fmax(1.0, fabs(f));
		werf = e > werf ? e : werf;
		wgelu = eg > wgelu ? eg : wgelu;
	}
	printf("# erf: max absolute error %.3g; gelu: max error / max(1,|x|) %.3g\n", werf, wgelu);
	T_ASSERT(werf < 3e-7);
	T_ASSERT(wgelu < 2e-7);
	T_ASSERT(layers_gelu(0.0f) == 0.0f);
	T_ASSERT(layers_gelu(1e30f) == 1e30f);
	T_ASSERT(fabsf(layers_gelu(-1e30f)) < 1e23f);        /* tends to -0 */
	T_ASSERT(layers_erff(100.0f) == 1.0f && layers_erff(-100.0f) == -1.0f);
	/* the tail of GELU keeps its relative accuracy (no 1 + erf cancellation) */
	double g = 0.5 * -5.0 * erfc(5.0 / sqrt(2.0));
	T_ASSERT(fabs(layers_gelu(-5.0f) - g) / fabs(g) < 1e-5);
}

/* Vector bodies and scalar tails agree bit for bit. */
static void test_gelu_simd_equals_scalar(void)
{
	int n = 10007;
	float *x = rvec(n, 8.0f), *y = malloc(n * sizeof *y), *r = malloc(n * sizeof *r);
	x[0] = 0.0f;
	x[1] = -0.0f;
	x[2] = 0.9f * 1.41421356f;
	x[3] = 3.92f * 1.41421356f;
	x[4] = 50.0f;
	x[5] = -50.0f;
	gelu_forward(y, x, n);
	for (int i = 0; i < n; i++)
		if (memcmp(&y[i], &(float){layers_gelu(x[i])}, 4))
			T_FAIL("gelu x=%.9g: vector %.9g, scalar %.9g", x[i], y[i], layers_gelu(x[i]));
	gelu_forward_naive(r, x, n);
	printf("# gelu vs naive: %.3g\n", maxdiff(y, r, n));
	T_ASSERT(maxdiff(y, r, n) < 5e-7);
	/* in place */
	memcpy(r, x, n * sizeof *r);
	gelu_forward(r, r, n);
	T_ASSERT(!memcmp(r, y, n * sizeof *r));
	/* fused bias + GELU */
	int N = 37, OC = 29;
	float *pre = rvec((size_t)N * OC, 3.0f), *bias = rvec(OC, 1.0f), *o = malloc(N * OC * sizeof *o);
	float *ref = malloc(N * OC * sizeof *ref), *pre2 = malloc(N * OC * sizeof *pre2);
	for (int i = 0; i < N * OC; i++)
		ref[i] = pre[i] + bias[i % OC];
	memcpy(pre2, pre, N * OC * sizeof *pre2);
	bias_gelu_forward(o, pre, bias, N, OC);
	T_ASSERT(!memcmp(pre, ref, N * OC * sizeof *pre));   /* GELU input kept */
	gelu_forward(ref, ref, N * OC);
	T_ASSERT(!memcmp(o, ref, N * OC * sizeof *o));
	bias_gelu_forward(pre2, pre2, bias, N, OC);           /* in place */
	T_ASSERT(!memcmp(pre2, ref, N * OC * sizeof *o));
	free(x), free(y), free(r), free(pre), free(bias), free(o), free(ref), free(pre2);
}

static void test_softmax(void)
{
	float x[40], p[40], q[40];
	int mask[40];
	for (int n = 1; n <= 40; n++) {
		for (int j = 0; j < n; j++) {
			x[j] = 20 * frand();
			mask[j] = (j * 7 + n) % 5 != 0;
		}
		mask[0] = 1;
		softmax_forward(p, x, mask, n);
		softmax_forward_naive(q, x, mask, n);
		T_ASSERT(maxdiff(p, q, n) < 1e-6);
		for (int j = 0; j < n; j++)
			if (!mask[j])
				T_ASSERT(p[j] == 0.0f);
		/* padding after the last entry changes nothing, bit for bit */
		for (int j = n; j < 40; j++) {
			x[j] = 100 * frand();
			mask[j] = 0;
		}
		softmax_forward(q, x, mask, 40);
		T_ASSERT(!memcmp(p, q, n * sizeof *p));
	}
	for (int j = 0; j < 3; j++)
		mask[j] = 0;
	softmax_forward(p, x, mask, 3);           /* nothing to attend to */
	T_ASSERT(p[0] == 0 && p[1] == 0 && p[2] == 0);
	float big[2] = {1e30f, -1e30f};
	softmax_forward(p, big, NULL, 2);
	T_ASSERT(p[0] == 1.0f && p[1] == 0.0f);
}

static void test_layernorm(void)
{
	int shapes[][3] = {{1, 1, 1}, {2, 3, 7}, {3, 5, 36}, {2, 17, 384}, {1, 4, 1000}};
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2];
		size_t n = (size_t)B * T * C;
		float *x = rvec(n, 4.0f), *w = rvec(C, 1.0f), *b = rvec(C, 1.0f);
		for (size_t i = 0; i < n; i++)
			x[i] += 3.0f;                  /* a mean away from 0 */
		float *o1 = malloc(n * 4), *o2 = malloc(n * 4), *m1 = malloc(B * T * 4), *m2 = malloc(B * T * 4);
		float *r1 = malloc(B * T * 4), *r2 = malloc(B * T * 4);
		layernorm_forward(o1, m1, r1, x, w, b, B, T, C, 1e-12f);
		layernorm_forward_naive(o2, m2, r2, x, w, b, B, T, C, 1e-12f);
		double d = maxdiff(o1, o2, n);
		printf("# layernorm %dx%dx%d: %.3g\n", B, T, C, d);
		T_ASSERT(d < 2e-5);
		T_ASSERT(maxdiff(m1, m2, B * T) < 1e-6);
		T_ASSERT(C == 1 || maxdiff(r1, r2, B * T) < 1e-4);
		free(x), free(w), free(b), free(o1), free(o2), free(m1), free(m2), free(r1), free(r2);
	}
}

static void test_embeddings(void)
{
	int B = 2, T = 3, C = 5, V = 7;
	float *wte = rvec(V * C, 1), *wpe = rvec(4 * C, 1), *wtt = rvec(2 * C, 1), out[30];
	int ids[6] = {6, 0, 3, 3, 2, 1};
	embeddings_forward(out, ids, wte, wpe, wtt, B, T, C);
	for (int r = 0; r < B * T; r++)
		for (int c = 0; c < C; c++)
			T_ASSERT(out[r * C + c] == (wte[ids[r] * C + c] + wtt[c]) + wpe[(r % T) * C + c]);
	free(wte), free(wpe), free(wtt);
}

static void test_matmul(void)
{
	int shapes[][4] = {{1, 1, 1, 1}, {1, 3, 5, 7}, {2, 9, 36, 108}, {4, 33, 64, 17}, {3, 200, 96, 40},
	                   {1, 5, 0, 3}};
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], OC = shapes[s][3];
		float *x = rvec((size_t)B * T * C, 1), *w = rvec((size_t)OC * C, 1), *b = rvec(OC, 1);
		float *o1 = malloc((size_t)B * T * OC * 4), *o2 = malloc((size_t)B * T * OC * 4);
		for (int withbias = 0; withbias < 2; withbias++) {
			matmul_forward(o1, x, w, withbias ? b : NULL, B, T, C, OC);
			matmul_forward_naive(o2, x, w, withbias ? b : NULL, B, T, C, OC);
			double d = maxdiff(o1, o2, (size_t)B * T * OC);
			if (!(d < 1e-5))
				T_FAIL("matmul %dx%dx%dx%d bias %d: %.3g", B, T, C, OC, withbias, d);
		}
		free(x), free(w), free(b), free(o1), free(o2);
	}
}

/* A row's result is the same whatever the number of rows around it (the
 * GEMM backends would otherwise switch kernels for small matrices, or move a
 * row's bits with its place: base/gemm.h) and thread count. */
static void test_matmul_row_independence(void)
{
	int N = 700, C = 384, OC = 1152;
	float *x = rvec((size_t)N * C, 1), *w = rvec((size_t)OC * C, 0.1f), *b = rvec(OC, 1);
	float *full = malloc((size_t)N * OC * 4), *part = malloc((size_t)N * OC * 4);
	matmul_forward(full, x, w, b, 1, N, C, OC);
	int cuts[][2] = {{0, 1}, {3, 5}, {10, 33}, {100, 200}, {0, 511}, {50, 600}, {699, 1}};
	for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
		int off = cuts[k][0], n = cuts[k][1];
		for (int th = 1; th <= 2; th++) {
			omp_set_num_threads(th);
			gemm_set_threads(th);
			matmul_forward(part, x + (size_t)off * C, w, b, 1, n, C, OC);
			if (memcmp(part, full + (size_t)off * OC, (size_t)n * OC * 4))
				T_FAIL("rows %d..%d (%d threads) differ from the same rows in a batch of %d",
				       off, off + n - 1, th, N);
		}
	}
	omp_set_num_threads(2);
	gemm_set_threads(2);
	free(x), free(w), free(b), free(full), free(part);
}

/* Fast attention on a copy of inp plus bias (3C, or NULL): attention_forward
 * storing att, or attention_forward_infer (bias added inside) when att is NULL. */
static void run_attention(int B, int T, int C, int NH, const int *mask, float *out, float *att,
                          const float *inp, const float *bias)
{
	size_t n = (size_t)B * T * 3 * C;
	float *x = malloc(n * 4);
	memcpy(x, inp, n * 4);
	if (att) {
		float *kt = malloc(((size_t)B * T * C + 1) * 4);
		for (size_t i = 0; bias && i < n; i++)
			x[i] += bias[i % (3 * C)];
		attention_forward(out, att, kt, x, mask, B, T, C, NH);
		free(kt);
	} else {
		float *scratch = malloc(attention_scratch_size(T, C, NH) * omp_get_max_threads() * 4);
		attention_forward_infer(out, scratch, x, bias, mask, B, T, C, NH);
		free(scratch);
	}
	free(x);
}

static void test_attention(void)
{
	/* head sizes 4..60 (vector and scalar paths), key counts around 8 and 16,
	 * few and many sequences per thread, a sequence too large to copy */
	int shapes[][4] = {{1, 1, 4, 1}, {2, 5, 36, 3}, {3, 17, 40, 5}, {2, 33, 64, 2}, {4, 20, 24, 8},
	                   {2, 40, 96, 3}, {1, 9, 12, 4}, {4, 9, 12, 4}, {6, 7, 15, 5}, {5, 31, 64, 4},
	                   {4, 100, 240, 4}};
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = shapes[s][3];
		size_t nin = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * NH * T * T;
		float *inp = rvec(nin, 2.0f), *bias = rvec(3 * C, 1.0f), *withb = malloc(nin * 4);
		float *o1 = malloc(nout * 4), *o2 = malloc(nout * 4), *o3 = malloc(nout * 4);
		float *a1 = malloc(natt * 4), *a2 = malloc(natt * 4);
		int *mask = malloc((size_t)B * T * sizeof *mask);
		for (size_t i = 0; i < nin; i++)
			withb[i] = inp[i] + bias[i % (3 * C)];
		for (int pattern = 0; pattern < 3; pattern++) {
			for (int b = 0; b < B; b++)
				for (int t = 0; t < T; t++) {
					int len = T - (b * 7) % T;             /* right padding */
					mask[b * T + t] = pattern == 0 ? 1 : pattern == 1 ? t < len : (t * 3 + b) % 4 != 1;
				}
			run_attention(B, T, C, NH, mask, o1, a1, inp, bias);
			attention_forward_naive(o2, a2, withb, mask, B, T, C, NH);
			double dout = maxdiff(o1, o2, nout), datt = maxdiff(a1, a2, natt);
			if (!(dout < 1e-5 && datt < 1e-6))
				T_FAIL("attention B%d T%d C%d NH%d mask %d: out %.3g att %.3g", B, T, C, NH, pattern,
				       dout, datt);
			/* without stored probabilities (inference): the same bits */
			run_attention(B, T, C, NH, mask, o3, NULL, inp, bias);
			T_ASSERT(!memcmp(o1, o3, nout * 4));
			/* the input is only read */
			float *x = malloc(nin * 4), *scr = malloc(attention_scratch_size(T, C, NH) * omp_get_max_threads() * 4);
			memcpy(x, inp, nin * 4);
			attention_forward_infer(o3, scr, x, bias, mask, B, T, C, NH);
			T_ASSERT(!memcmp(x, inp, nin * 4));
			free(x), free(scr);
		}
		free(inp), free(bias), free(withb), free(o1), free(o2), free(o3), free(a1), free(a2), free(mask);
	}
}

/* A sequence's attention output does not depend on the batch it is in, on
 * how far it is padded, or on the thread count. */
static void test_attention_batch_independence(void)
{
	int C = 48, NH = 4, L = 13;
	float *seq = rvec((size_t)L * 3 * C, 2.0f);
	float *alone = malloc((size_t)L * C * 4), *att = malloc((size_t)NH * L * L * 4);
	int mask1[13];
	for (int t = 0; t < L; t++)
		mask1[t] = 1;
	run_attention(1, L, C, NH, mask1, alone, att, seq, NULL);
	int Ts[] = {13, 16, 17, 40};
	for (size_t k = 0; k < sizeof Ts / sizeof *Ts; k++) {
		int B = 3, T = Ts[k];
		float *inp = rvec((size_t)B * T * 3 * C, 2.0f);
		int *mask = malloc((size_t)B * T * sizeof *mask);
		for (int b = 0; b < B; b++)
			for (int t = 0; t < T; t++)
				mask[b * T + t] = t < (b == 1 ? L : T - b);
		for (int t = 0; t < L; t++)
			memcpy(inp + ((size_t)T + t) * 3 * C, seq + (size_t)t * 3 * C, 3 * C * 4);
		float *out = malloc((size_t)B * T * C * 4), *a = malloc((size_t)B * NH * T * T * 4);
		for (int th = 1; th <= 2; th++) {
			omp_set_num_threads(th);
			run_attention(B, T, C, NH, mask, out, k % 2 ? a : NULL, inp, NULL);
			if (memcmp(out + (size_t)T * C, alone, (size_t)L * C * 4))
				T_FAIL("T=%d, %d threads: sequence output differs from its output alone", T, th);
		}
		free(inp), free(mask), free(out), free(a);
	}
	omp_set_num_threads(2);
	free(seq), free(alone), free(att);
}

static void test_residuals(void)
{
	int N = 9, C = 11;
	float *a = rvec(N * C, 1), *y = rvec(N * C, 1), *b = rvec(C, 1), o[99];
	residual_forward(o, a, y, N * C);
	for (int i = 0; i < N * C; i++)
		T_ASSERT(o[i] == a[i] + y[i]);
	bias_residual_forward(o, a, y, b, N, C);
	for (int i = 0; i < N * C; i++)
		T_ASSERT(o[i] == (y[i] + b[i % C]) + a[i]);
	/* fused residual + LayerNorm: the same bits as the two kernels */
	float *w = rvec(C, 1), *lb = rvec(C, 1), r2[99], o1[99], o2[99], m1[9], m2[9], s1[9], s2[9];
	residual_layernorm_forward(o1, r2, m1, s1, a, y, b, w, lb, 3, 3, C, 1e-12f);
	layernorm_forward(o2, m2, s2, o, w, lb, 3, 3, C, 1e-12f);
	T_ASSERT(!memcmp(r2, o, sizeof r2) && !memcmp(o1, o2, sizeof o1));
	T_ASSERT(!memcmp(m1, m2, sizeof m1) && !memcmp(s1, s2, sizeof s1));
	free(a), free(y), free(b), free(w), free(lb);
}

int main(void)
{
	frand_seed(12345);
	printf("# simd kernels: %s\n", layers_simd() == 2 ? "AVX-512 + AVX2+FMA" : layers_simd() ? "AVX2+FMA" : "plain C");
	T_RUN(test_exp_accuracy);
	T_RUN(test_erf_gelu_accuracy);
	T_RUN(test_gelu_simd_equals_scalar);
	T_RUN(test_softmax);
	T_RUN(test_layernorm);
	T_RUN(test_embeddings);
	T_RUN(test_matmul);
	T_RUN(test_matmul_row_independence);
	T_RUN(test_attention);
	T_RUN(test_attention_batch_independence);
	T_RUN(test_residuals);
	return t_done();
}
