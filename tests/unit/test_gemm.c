/* test_gemm — the one door to the BLAS (lib/base/gemm): products against a
 * double reference for every stride layout, and the bits gemm.h promises:
 * a row of a GEMM_ROWWISE product is the same whatever the rows around it,
 * and no product depends on the thread count. Shapes cover what OpenBLAS
 * 0.3.21 treats differently (small-matrix kernels under 100^3
 * multiply-adds, k between GEMM_Q and 2 GEMM_Q, k not a multiple of 32)
 * and the model's own (384, 1152, 1536). Whichever backend the build links. */
#include "base/gemm.h"
#include "base/rng.h"
#include "t.h"

#include <omp.h>
#include <stdint.h>

static void fill(rng *r, float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)rng_normal(r);
}

static void set_threads(int n)
{
	omp_set_num_threads(n);
	gemm_set_threads(n);
}

/* max |C - ref| / (|alpha| sum |a b| + |beta c|) over C, in double */
static double rel_err32(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
                        const float *B, long rsb, long csb, float beta, const float *C0, const float *C,
                        long rsc, long csc)
{
	double worst = 0;
	for (long i = 0; i < m; i++)
		for (long j = 0; j < n; j++) {
			double s = 0, a = 0;
			for (long p = 0; p < k; p++) {
				double t = (double)A[i * rsa + p * csa] * B[p * rsb + j * csb];
				s += t, a += fabs(t);
			}
			double c0 = beta == 0 ? 0 : C0[i * rsc + j * csc];
			double want = alpha * s + beta * c0, scale = fabs(alpha) * a + fabs(beta * c0) + 1e-30;
			double e = fabs(C[i * rsc + j * csc] - want) / scale;
			if (!(e <= worst))
				worst = e == e ? e : INFINITY;
		}
	return worst;
}

/* Every layout of A, B and C (row-major, column-major, neither stride 1,
 * padded leading dimensions), with alpha, beta, and beta 0 over NaN. */
static void test_layouts(void)
{
	rng r;
	rng_seed(&r, 14);
	const long shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 9, 40}, {64, 48, 96}, {5, 130, 33}, {33, 1, 64},
	                          {1, 70, 65}, {40, 40, 0}};
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
		for (int lay = 0; lay < 8; lay++) {
			/* bit 0: A column-major; bit 1: B column-major; bit 2: C column-major.
			 * Odd layouts add a gap: leading dimension + 3; layout 7 also
			 * gives A strides with no unit one (copied by OpenBLAS). */
			long pad = lay & 1 ? 3 : 0;
			long rsa = lay & 1 ? 1 : k + pad, csa = lay & 1 ? m + pad : 1;
			long rsb = lay & 2 ? 1 : n + pad, csb = lay & 2 ? k + pad : 1;
			long rsc = lay & 4 ? 1 : n + pad, csc = lay & 4 ? m + pad : 1;
			if (lay == 7)
				rsa = 2, csa = 2 * m + 1;
			size_t na = (size_t)((m ? m - 1 : 0) * rsa + (k ? k - 1 : 0) * csa + 1);
			size_t nb = (size_t)((k ? k - 1 : 0) * rsb + (n - 1) * csb + 1);
			size_t nc = (size_t)((m - 1) * rsc + (n - 1) * csc + 1);
			float *A = malloc(na * 4), *B = malloc(nb * 4), *C0 = malloc(nc * 4), *C = malloc(nc * 4);
			fill(&r, A, na), fill(&r, B, nb), fill(&r, C0, nc);
			const float ab[][2] = {{1, 0}, {0.5f, 1}, {-2, 0.25f}};
			for (int v = 0; v < 3; v++) {
				float alpha = ab[v][0], beta = ab[v][1];
				for (int fl = 0; fl < 2; fl++) {
					float *Cw = C;
					memcpy(Cw, C0, nc * 4);
					if (beta == 0)   /* beta 0: C is only written, NaN or not */
						for (long i = 0; i < m; i++)
							for (long j = 0; j < n; j++)
								Cw[i * rsc + j * csc] = NAN;
					gemm_f32(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, Cw, rsc, csc,
					         fl ? GEMM_ROWWISE : 0);
					double e = rel_err32(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C0, Cw, rsc, csc);
					if (!(e < 1e-5))
						T_FAIL("m %ld n %ld k %ld layout %d alpha %g beta %g flags %d: relative error %g",
						       m, n, k, lay, alpha, beta, fl, e);
				}
			}
			/* elements outside the matrix (the gaps) are never written */
			if (pad && !(lay & 4)) {
				memcpy(C, C0, nc * 4);
				gemm_f32(m, n, k, 1, A, rsa, csa, B, rsb, csb, 0, C, rsc, csc, 0);
				for (long i = 0; i + 1 < m; i++)
					for (long j = n; j < rsc; j++)
						if (memcmp(&C[i * rsc + j], &C0[i * rsc + j], 4))
							T_FAIL("m %ld n %ld k %ld layout %d: gap element (%ld,%ld) written", m, n, k,
							       lay, i, j);
			}
			free(A), free(B), free(C0), free(C);
		}
	}
	/* m or n 0: nothing is touched */
	float c = 7;
	gemm_f32(0, 1, 1, 1, &c, 1, 1, &c, 1, 1, 0, &c, 1, 1, 0);
	gemm_f32(1, 0, 1, 1, &c, 1, 1, &c, 1, 1, 0, &c, 1, 1, GEMM_ROWWISE);
	T_ASSERT(c == 7);
}

static void test_f64(void)
{
	rng r;
	rng_seed(&r, 64);
	const long m = 37, n = 29, k = 300;
	double *A = malloc(m * k * 8), *B = malloc(k * n * 8), *C = malloc(m * n * 8), *C2 = malloc(m * n * 8);
	for (long i = 0; i < m * k; i++)
		A[i] = rng_normal(&r);
	for (long i = 0; i < k * n; i++)
		B[i] = rng_normal(&r);
	for (long i = 0; i < m * n; i++)
		C[i] = C2[i] = rng_normal(&r);
	/* C = 2 A^T-stored-as-column-major ... : A (m,k) column-major, B row-major */
	gemm_f64(m, n, k, 2.0, A, 1, m, B, n, 1, 0.5, C, n, 1);
	double worst = 0;
	for (long i = 0; i < m; i++)
		for (long j = 0; j < n; j++) {
			long double s = 0;
			for (long p = 0; p < k; p++)
				s += (long double)A[i + p * m] * B[p * n + j];
			double want = (double)(2 * s) + 0.5 * C2[i * n + j];
			double e = fabs(C[i * n + j] - want) / (fabs(want) + 1);
			worst = e > worst ? e : worst;
		}
	T_ASSERT(worst < 1e-12);
	free(A), free(B), free(C), free(C2);
}

/* Row-wise products: every block of rows, on 1 and 2 threads, gives the
 * same bits as the same rows inside the whole product. */
static void test_rowwise_bits(void)
{
	rng r;
	rng_seed(&r, 7);
	/* (n, k): the model's products (C 384, FFN 1536, qkv 1152; the demo's
	 * 128 and 512), the test models' small ones, and k off the multiples
	 * of 32 and between OpenBLAS's GEMM_Q and 2 GEMM_Q */
	const long nk[][2] = {{384, 384}, {1152, 384}, {384, 1536}, {128, 128}, {128, 512}, {512, 128},
	                      {32, 32},   {64, 32},    {48, 40},    {7, 33},    {100, 31}, {1, 5},
	                      {96, 400},  {40, 650},   {33, 1000}};
	const long M = 300;
	const long cuts[][2] = {{0, 1}, {5, 1}, {3, 5}, {10, 8}, {20, 9}, {0, 16}, {1, 17}, {40, 31},
	                        {100, 64}, {7, 100}, {0, 257}, {299, 1}};
	for (size_t s = 0; s < sizeof nk / sizeof *nk; s++) {
		long n = nk[s][0], k = nk[s][1];
		float *X = malloc((size_t)(M * k) * 4), *W = malloc((size_t)(n * k) * 4);
		float *full = malloc((size_t)(M * n) * 4), *part = malloc((size_t)(M * n) * 4);
		fill(&r, X, (size_t)(M * k)), fill(&r, W, (size_t)(n * k));
		for (int form = 0; form < 3; form++) {
			/* form 0: y = x W^T (the forward); 1: B row-major (k,n) (W read as
			 * such); 2: A column-major (x read as a (k,M) column-major) */
			long rsa = form == 2 ? 1 : k, csa = form == 2 ? M : 1;
			long rsb = form == 1 ? n : 1, csb = form == 1 ? 1 : k;
			set_threads(2);
			gemm_f32(M, n, k, 1.0f, X, rsa, csa, W, rsb, csb, 0.0f, full, n, 1, GEMM_ROWWISE);
			for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
				long off = cuts[c][0], m = cuts[c][1];
				for (int th = 1; th <= 2; th++) {
					set_threads(th);
					memset(part, 0, (size_t)(m * n) * 4);
					gemm_f32(m, n, k, 1.0f, X + off * rsa, rsa, csa, W, rsb, csb, 0.0f, part, n, 1,
					         GEMM_ROWWISE);
					if (memcmp(part, full + off * n, (size_t)(m * n) * 4)) {
						set_threads(2);
						T_FAIL("n %ld k %ld form %d: rows %ld..%ld alone (%d threads) differ from the "
						       "same rows among %ld", n, k, form, off, off + m - 1, th, M);
					}
				}
			}
		}
		free(X), free(W), free(full), free(part);
	}
	set_threads(2);
}

/* Any product, 1 thread against 2: the same bits (training's backward and
 * loss products, alpha and beta included). k spans OpenBLAS's GEMM_Q
 * cuts: below, between Q and 2Q, multiples of 32 and not. */
static void test_thread_bits(void)
{
	rng r;
	rng_seed(&r, 99);
	const long shapes[][3] = {{128, 384, 128}, {384, 384, 4096}, {384, 1536, 4100}, {256, 256, 333},
	                          {200, 300, 400},  {300, 200, 650},  {129, 257, 1000}, {500, 500, 500},
	                          {64, 64, 64},     {700, 90, 37}};
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
		float *A = malloc((size_t)(m * k) * 4), *B = malloc((size_t)(k * n) * 4);
		float *C0 = malloc((size_t)(m * n) * 4), *C1 = malloc((size_t)(m * n) * 4),
		      *C2 = malloc((size_t)(m * n) * 4);
		fill(&r, A, (size_t)(m * k)), fill(&r, B, (size_t)(k * n)), fill(&r, C0, (size_t)(m * n));
		for (int form = 0; form < 2; form++) {
			/* form 0: A^T read from a (k,m) row-major buffer (dW = dout^T x),
			 * B row-major; form 1: both row-major, alpha 0.7, beta 1 */
			long rsa = form ? k : 1, csa = form ? 1 : m;
			float alpha = form ? 0.7f : 1.0f, beta = form ? 1.0f : 0.0f;
			set_threads(1);
			memcpy(C1, C0, (size_t)(m * n) * 4);
			gemm_f32(m, n, k, alpha, A, rsa, csa, B, n, 1, beta, C1, n, 1, 0);
			set_threads(2);
			memcpy(C2, C0, (size_t)(m * n) * 4);
			gemm_f32(m, n, k, alpha, A, rsa, csa, B, n, 1, beta, C2, n, 1, 0);
			if (memcmp(C1, C2, (size_t)(m * n) * 4))
				T_FAIL("m %ld n %ld k %ld form %d: 1 and 2 threads differ", m, n, k, form);
		}
		free(A), free(B), free(C0), free(C1), free(C2);
	}
	/* double: the Gram matrix of lib/wordvec/pca.c, G += X^T X */
	const long m = 1000, d = 300;
	double *X = malloc(m * d * 8), *G1 = calloc(d * d, 8), *G2 = calloc(d * d, 8);
	for (long i = 0; i < m * d; i++)
		X[i] = rng_normal(&r);
	set_threads(1);
	gemm_f64(d, d, m, 1.0, X, 1, d, X, d, 1, 1.0, G1, d, 1);
	set_threads(2);
	gemm_f64(d, d, m, 1.0, X, 1, d, X, d, 1, 1.0, G2, d, 1);
	T_ASSERT(!memcmp(G1, G2, (size_t)(d * d) * 8));
	free(X), free(G1), free(G2);
}

/* What the backend says about itself hangs together. */
static void test_backend_info(void)
{
	const char *b = gemm_backend(), *k = gemm_kernels(), *d = gemm_describe(), *n = gemm_notice_text();
	T_ASSERT(!strncmp(b, "BLIS ", 5) || !strncmp(b, "OpenBLAS ", 9));
	T_ASSERT(*k);
	T_ASSERT(!strncmp(d, "GEMM: ", 6) && strstr(d, b) && strstr(d, k));
	T_EQ_INT(gemm_generic(), !strcmp(k, "generic") || !strcmp(k, "GENERIC"));
	T_EQ_INT(n != NULL, gemm_generic());
	if (n) {
		T_ASSERT(strstr(n, b) != NULL);
		T_ASSERT(strstr(n, !strncmp(b, "BLIS", 4) ? "make BLAS=openblas" : "make BLAS=blis") != NULL);
	}
	printf("# %s\n", d);
}

int main(void)
{
	T_RUN(test_backend_info);
	T_RUN(test_layouts);
	T_RUN(test_f64);
	T_RUN(test_rowwise_bits);
	T_RUN(test_thread_bits);
	return t_done();
}
