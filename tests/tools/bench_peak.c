/* bench_peak — what this machine's cores can do in fp32, measured in one
 * run, to put the speed targets of bench/ in context:
 *
 *   fma_peak   register-only AVX2 FMAs (12 independent 8-wide chains, no
 *              loads): the ceiling no fp32 kernel can pass on this machine
 *              at this moment (clock, hypervisor and neighbours included);
 *   ukernel    BLIS's own sgemm micro-kernel on operands that stay in L1;
 *   sgemm      bli_sgemm on the shapes of a small-shape training step or
 *              embed batch (4096 or 2048 rows x the four linear layers).
 *
 * Each figure is GFLOP/s, best of -n repetitions, on 1 thread and on -j
 * threads (the FMA loop on -j OpenMP threads at once). Not a test.
 *
 *   bench_peak [-j threads] [-n reps] [-r rows]
 */
#include "base/cli.h"

#include <blis.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#if defined(__AVX2__) && defined(__FMA__)
/* n iterations of 12 independent FMA chains: 12 * 16 flops per iteration.
 * The accumulators start distinct so that no chain can be merged with
 * another; the sum is returned so that none is dead. */
static float fma_chains(long n)
{
	__m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
	__m256 a[12];
	for (int j = 0; j < 12; j++)
		a[j] = _mm256_set1_ps((float)j);
	for (long i = 0; i < n; i++) {
		a[0] = _mm256_fmadd_ps(a[0], x, y);
		a[1] = _mm256_fmadd_ps(a[1], x, y);
		a[2] = _mm256_fmadd_ps(a[2], x, y);
		a[3] = _mm256_fmadd_ps(a[3], x, y);
		a[4] = _mm256_fmadd_ps(a[4], x, y);
		a[5] = _mm256_fmadd_ps(a[5], x, y);
		a[6] = _mm256_fmadd_ps(a[6], x, y);
		a[7] = _mm256_fmadd_ps(a[7], x, y);
		a[8] = _mm256_fmadd_ps(a[8], x, y);
		a[9] = _mm256_fmadd_ps(a[9], x, y);
		a[10] = _mm256_fmadd_ps(a[10], x, y);
		a[11] = _mm256_fmadd_ps(a[11], x, y);
	}
	__m256 s = a[0];
	for (int j = 1; j < 12; j++)
		s = _mm256_add_ps(s, a[j]);
	float v[8];
	_mm256_storeu_ps(v, s);
	return v[0] + v[7];
}

/* GFLOP/s of the FMA chains on `threads` threads at once (all of them
 * counted), best of reps. */
static double fma_peak(int threads, int reps, float *sink)
{
	const long n = 100000000;
	double best = 1e30;
	for (int r = 0; r < reps; r++) {
		double t = now();
		float s = 0.0f;
#pragma omp parallel num_threads(threads) reduction(+ : s)
		s += fma_chains(n);
		t = now() - t;
		*sink += s;
		best = t < best ? t : best;
	}
	return (double)threads * (double)n * 12 * 16 / best * 1e-9;
}
#endif

/* BLIS's native sgemm micro-kernel, MR x NR x k with packed operands in
 * L1, as the macro-kernel calls it. */
static double ukernel_peak(int reps, float *sink)
{
	cntx_t *cntx = bli_gks_query_cntx();
	sgemm_ukr_ft ukr = bli_cntx_get_l3_nat_ukr_dt(BLIS_FLOAT, BLIS_GEMM_UKR, cntx);
	dim_t mr = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MR, cntx);
	dim_t nr = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NR, cntx);
	const dim_t k = 256;
	const long calls = 1000000;
	float *a = aligned_alloc(64, (size_t)(mr * k) * sizeof *a + 64);
	float *b = aligned_alloc(64, (size_t)(nr * k) * sizeof *b + 64);
	float *c = aligned_alloc(64, (size_t)(mr * nr) * sizeof *c + 64);
	if (!a || !b || !c) {
		fprintf(stderr, "bench_peak: out of memory\n");
		exit(1);
	}
	for (dim_t i = 0; i < mr * k; i++)
		a[i] = 1e-3f;
	for (dim_t i = 0; i < nr * k; i++)
		b[i] = 1e-3f;
	memset(c, 0, (size_t)(mr * nr) * sizeof *c);
	auxinfo_t aux;
	memset(&aux, 0, sizeof aux);
	bli_auxinfo_set_next_a(a, &aux);
	bli_auxinfo_set_next_b(b, &aux);
	float alpha = 1.0f, beta = 1.0f;
	double best = 1e30;
	for (int r = 0; r < reps; r++) {
		double t = now();
		for (long i = 0; i < calls; i++)
			ukr(mr, nr, k, &alpha, a, b, &beta, c, nr, 1, &aux, cntx);
		t = now() - t;
		best = t < best ? t : best;
	}
	*sink += c[0];
	free(a), free(b), free(c);
	return 2.0 * (double)(mr * nr * k) * (double)calls / best * 1e-9;
}

/* bli_sgemm C[m,n] = A[m,k] B[n,k]^T (the forward's y = x W^T), threads. */
static double sgemm_rate(int m, int n, int k, int threads, int reps)
{
	float *a = malloc((size_t)m * k * sizeof *a), *b = malloc((size_t)n * k * sizeof *b);
	float *c = malloc((size_t)m * n * sizeof *c);
	if (!a || !b || !c) {
		fprintf(stderr, "bench_peak: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < (size_t)m * k; i++)
		a[i] = (float)(i * 2654435761u % 1000) * 1e-3f - 0.5f;
	for (size_t i = 0; i < (size_t)n * k; i++)
		b[i] = (float)(i * 40503u % 1000) * 1e-3f - 0.5f;
	rntm_t rntm;
	bli_rntm_init(&rntm);
	bli_rntm_set_num_threads(threads, &rntm);
	float one = 1.0f, zero = 0.0f;
	double best = 1e30;
	for (int r = 0; r < reps + 1; r++) {            /* the first is a warm-up */
		double t = now();
		bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, m, n, k, &one, a, k, 1, b, k, 1, &zero, c, n, 1,
		             NULL, &rntm);
		t = now() - t;
		if (r > 0)
			best = t < best ? t : best;
	}
	free(a), free(b), free(c);
	return 2.0 * m * n * k / best * 1e-9;
}

int main(int argc, char **argv)
{
	cli_init("bench_peak", "usage: bench_peak [-j threads] [-n reps] [-r rows]\n");
	int threads = 2, reps = 5, rows = 4096, c;
	while ((c = getopt(argc, argv, "j:n:r:h")) != -1) {
		switch (c) {
		case 'j': threads = (int)cli_long("-j", optarg, 1, 1024); break;
		case 'n': reps = (int)cli_long("-n", optarg, 1, 1000); break;
		case 'r': rows = (int)cli_long("-r", optarg, 1, 1 << 20); break;
		case 'h': cli_help();
		default: cli_usage_error(NULL);
		}
	}
	float sink = 0.0f;
	printf("{\"arch\":\"%s\",\"threads\":%d", bli_arch_string(bli_arch_query_id()), threads);
#if defined(__AVX2__) && defined(__FMA__)
	printf(",\"fma_peak_1\":%.1f,\"fma_peak_j\":%.1f", fma_peak(1, reps, &sink), fma_peak(threads, reps, &sink));
#else
	printf(",\"fma_peak_1\":null,\"fma_peak_j\":null");   /* built without AVX2+FMA */
#endif
	printf(",\"ukernel_1\":%.1f", ukernel_peak(reps, &sink));
	/* the four linear layers of the small shape (C 384, FFN 1536) */
	static const struct { const char *name; int n, k; } shapes[] = {
		{"qkv", 1152, 384}, {"attproj", 384, 384}, {"fc", 1536, 384}, {"fcproj", 384, 1536},
	};
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		printf(",\"sgemm_%s_1\":%.1f", shapes[s].name, sgemm_rate(rows, shapes[s].n, shapes[s].k, 1, reps));
		printf(",\"sgemm_%s_j\":%.1f", shapes[s].name, sgemm_rate(rows, shapes[s].n, shapes[s].k, threads, reps));
	}
	printf(",\"rows\":%d,\"sink\":%g}\n", rows, (double)sink);
	return 0;
}
