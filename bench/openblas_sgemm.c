/* openblas_sgemm.c — OpenBLAS's own sgemm on the small shape's four linear
 * layers (C = A B^T, A rows x k, B n x k) on its own threads, no gcse code,
 * best of reps, GFLOP/s on 1 and on -j threads: the reference rate of
 * bench/openblas.sh and bench/train_step.sh, built by them against the
 * installed OpenBLAS. Not a test; not built by the Makefile (the programs
 * reach the BLAS through lib/base/gemm.c alone).
 *
 *   openblas_sgemm threads reps rows [C FF]   (default C 384, FF 1536) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void openblas_set_num_threads(int);

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double rate(int m, int n, int k, int threads, int reps)
{
	float *a = malloc((size_t)m * k * sizeof *a), *b = malloc((size_t)n * k * sizeof *b);
	float *c = malloc((size_t)m * n * sizeof *c);
	if (!a || !b || !c)
		exit(1);
	for (size_t i = 0; i < (size_t)m * k; i++)
		a[i] = (float)(i * 2654435761u % 1000) * 1e-3f - 0.5f;
	for (size_t i = 0; i < (size_t)n * k; i++)
		b[i] = (float)(i * 40503u % 1000) * 1e-3f - 0.5f;
	openblas_set_num_threads(threads);
	double best = 1e30;
	for (int r = 0; r < reps + 1; r++) {     /* the first is a warm-up */
		double t = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
		t = now() - t;
		if (r > 0 && t < best)
			best = t;
	}
	free(a), free(b), free(c);
	return 2.0 * m * n * k / best * 1e-9;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2, reps = argc > 2 ? atoi(argv[2]) : 5;
	int rows = argc > 3 ? atoi(argv[3]) : 4096;
	int C = argc > 4 ? atoi(argv[4]) : 384, FF = argc > 5 ? atoi(argv[5]) : 1536;
	if (threads < 1 || reps < 1 || rows < 1 || C < 1 || FF < 1) {
		fprintf(stderr, "usage: openblas_sgemm threads reps rows [C FF]\n");
		return 2;
	}
	const struct { const char *name; int n, k; } s[] = {
		{"qkv", 3 * C, C}, {"attproj", C, C}, {"fc", FF, C}, {"fcproj", C, FF},
	};
	printf("{\"kernels\":\"%s\",\"threads\":%d", openblas_get_corename(), threads);
	for (int i = 0; i < 4; i++) {
		printf(",\"sgemm_%s_1\":%.1f", s[i].name, rate(rows, s[i].n, s[i].k, 1, reps));
		printf(",\"sgemm_%s_j\":%.1f", s[i].name, rate(rows, s[i].n, s[i].k, threads, reps));
	}
	printf(",\"rows\":%d}\n", rows);
	return 0;
}
