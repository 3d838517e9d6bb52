/* bench_peak — what this machine's cores can do in fp32, measured in one
 * run, to put the speed targets of bench/ in context:
 *
 *   fma_peak     register-only AVX2 FMAs (12 independent 8-wide chains, no
 *                loads): the AVX2 ceiling at this moment (clock, hypervisor
 *                and neighbours included);
 *   fma512_peak  the same with AVX-512 (16 independent 16-wide chains), when
 *                the CPU has AVX-512F (null otherwise): the fp32 ceiling no
 *                kernel can pass on such a CPU;
 *   sgemm        the GEMM backend this build links (base/gemm.h: "gemm" and
 *                "kernels" name it) on the shapes of a small-shape training
 *                step or embed batch (4096 or 2048 rows x the four linear
 *                layers), as the forward calls it (C = A B^T, row-wise).
 *
 * Each figure is GFLOP/s, best of -n repetitions, on 1 thread and on -j
 * threads (the FMA loops on -j OpenMP threads at once). Whatever -march the
 * build used, each FMA loop is compiled for its own ISA and run only when
 * the CPU has it. Not a test.
 *
 *   bench_peak [-j threads] [-n reps] [-r rows]
 */
#include "base/cli.h"
#include "base/gemm.h"

#include <getopt.h>
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define STEP(FMA, j) a[j] = FMA(a[j], x, y)
/* n iterations of 12 independent 8-wide FMA chains: 12 * 16 flops per
 * iteration. The accumulators start distinct so that no chain can be merged
 * with another; the sum is returned so that none is dead. */
__attribute__((target("avx2,fma"))) static float fma_chains(long n)
{
	__m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
	__m256 a[12];
	for (int j = 0; j < 12; j++)
		a[j] = _mm256_set1_ps((float)j);
	for (long i = 0; i < n; i++) {
		STEP(_mm256_fmadd_ps, 0); STEP(_mm256_fmadd_ps, 1);
		STEP(_mm256_fmadd_ps, 2); STEP(_mm256_fmadd_ps, 3);
		STEP(_mm256_fmadd_ps, 4); STEP(_mm256_fmadd_ps, 5);
		STEP(_mm256_fmadd_ps, 6); STEP(_mm256_fmadd_ps, 7);
		STEP(_mm256_fmadd_ps, 8); STEP(_mm256_fmadd_ps, 9);
		STEP(_mm256_fmadd_ps, 10); STEP(_mm256_fmadd_ps, 11);
	}
	__m256 s = a[0];
	for (int j = 1; j < 12; j++)
		s = _mm256_add_ps(s, a[j]);
	float v[8];
	_mm256_storeu_ps(v, s);
	return v[0] + v[7];
}

/* n iterations of 16 independent 16-wide FMA chains: 16 * 32 flops per
 * iteration (two 512-bit FMA pipes of latency 4 need 8 in flight). */
__attribute__((target("avx512f"))) static float fma512_chains(long n)
{
	__m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
	__m512 a[16];
	for (int j = 0; j < 16; j++)
		a[j] = _mm512_set1_ps((float)j);
	for (long i = 0; i < n; i++) {
		STEP(_mm512_fmadd_ps, 0); STEP(_mm512_fmadd_ps, 1);
		STEP(_mm512_fmadd_ps, 2); STEP(_mm512_fmadd_ps, 3);
		STEP(_mm512_fmadd_ps, 4); STEP(_mm512_fmadd_ps, 5);
		STEP(_mm512_fmadd_ps, 6); STEP(_mm512_fmadd_ps, 7);
		STEP(_mm512_fmadd_ps, 8); STEP(_mm512_fmadd_ps, 9);
		STEP(_mm512_fmadd_ps, 10); STEP(_mm512_fmadd_ps, 11);
		STEP(_mm512_fmadd_ps, 12); STEP(_mm512_fmadd_ps, 13);
		STEP(_mm512_fmadd_ps, 14); STEP(_mm512_fmadd_ps, 15);
	}
	__m512 s = a[0];
	for (int j = 1; j < 16; j++)
		s = _mm512_add_ps(s, a[j]);
	return _mm512_reduce_add_ps(s);
}

/* GFLOP/s of chains(n) (flops_per_iter each iteration) on `threads`
 * threads at once (all of them counted), best of reps. */
static double fma_peak(float (*chains)(long), long n, double flops_per_iter, int threads, int reps,
                       float *sink)
{
	double best = 1e30;
	for (int r = 0; r < reps; r++) {
		double t = now();
		float s = 0.0f;
#pragma omp parallel num_threads(threads) reduction(+ : s)
		s += chains(n);
		t = now() - t;
		*sink += s;
		best = t < best ? t : best;
	}
	return (double)threads * (double)n * flops_per_iter / best * 1e-9;
}

/* gemm_f32 C[m,n] = A[m,k] B[n,k]^T (the forward's y = x W^T), threads. */
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
	omp_set_num_threads(threads);
	gemm_set_threads(threads);
	double best = 1e30;
	for (int r = 0; r < reps + 1; r++) {            /* the first is a warm-up */
		double t = now();
		gemm_f32(m, n, k, 1.0f, a, k, 1, b, 1, k, 0.0f, c, n, 1, GEMM_ROWWISE);
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
	printf("{\"gemm\":\"%s\",\"kernels\":\"%s\",\"threads\":%d", gemm_backend(), gemm_kernels(), threads);
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		printf(",\"fma_peak_1\":%.1f,\"fma_peak_j\":%.1f", fma_peak(fma_chains, 100000000, 12 * 16, 1, reps, &sink),
		       fma_peak(fma_chains, 100000000, 12 * 16, threads, reps, &sink));
	else
		printf(",\"fma_peak_1\":null,\"fma_peak_j\":null");
	if (__builtin_cpu_supports("avx512f"))
		printf(",\"fma512_peak_1\":%.1f,\"fma512_peak_j\":%.1f",
		       fma_peak(fma512_chains, 50000000, 16 * 32, 1, reps, &sink),
		       fma_peak(fma512_chains, 50000000, 16 * 32, threads, reps, &sink));
	else
		printf(",\"fma512_peak_1\":null,\"fma512_peak_j\":null");
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
