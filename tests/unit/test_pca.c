/* test_pca — first principal direction and its removal (lib/pca). */
#include "wordvec/pca.h"
#include "base/rng.h"
#include "t.h"
#include "base/gemm.h"

#include <omp.h>

/* q (d,d): rows orthonormal, by Gram-Schmidt (twice) on random rows */
static void orthonormal(rng *r, double *q, int d)
{
	for (int i = 0; i < d; i++) {
		double *v = q + (size_t)i * d;
		for (int j = 0; j < d; j++)
			v[j] = rng_normal(r);
		for (int pass = 0; pass < 2; pass++)
			for (int k = 0; k < i; k++) {
				const double *w = q + (size_t)k * d;
				double dot = 0;
				for (int j = 0; j < d; j++)
					dot += v[j] * w[j];
				for (int j = 0; j < d; j++)
					v[j] -= dot * w[j];
			}
		double s = 0;
		for (int j = 0; j < d; j++)
			s += v[j] * v[j];
		for (int j = 0; j < d; j++)
			v[j] /= sqrt(s);
	}
}

/* X = A S V with A (n,d) orthonormal columns, S = diag(sv), V (d,d) the
 * right singular vectors as rows: the first right singular vector is V's
 * row 0. */
static void test_known_singular_vectors(void)
{
	enum { n = 40, d = 6 };
	rng r;
	rng_seed(&r, 11);
	double V[d * d], A[n * n], sv[d] = {9, 4, 2, 1, 0.5, 0.1};
	orthonormal(&r, V, d);
	orthonormal(&r, A, n);          /* rows of an n x n orthonormal: use d of them as columns */
	float X[n * d];
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++) {
			double s = 0;
			for (int k = 0; k < d; k++)
				s += A[(size_t)k * n + i] * sv[k] * V[(size_t)k * d + j];
			X[i * d + j] = (float)s;
		}
	double u[d];
	int it;
	T_ASSERT(pca_first(X, n, d, u, &it) == 0);
	double dot = 0;
	for (int j = 0; j < d; j++)
		dot += u[j] * V[j];
	printf("# |u . v1| = %.15f after %d iterations\n", fabs(dot), it);
	T_NEAR(fabs(dot), 1.0, 1e-9);
	double nu = 0;
	int big = 0;
	for (int j = 0; j < d; j++) {
		nu += u[j] * u[j];
		if (fabs(u[j]) > fabs(u[big]))
			big = j;
	}
	T_NEAR(nu, 1.0, 1e-12);
	T_ASSERT(u[big] > 0);                   /* the sign convention */
	/* removal: every row loses its u component, keeps the rest */
	for (int i = 0; i < n; i++) {
		double y[d], du = 0, dx = 0;
		for (int j = 0; j < d; j++)
			y[j] = X[i * d + j];
		pca_remove(y, d, u);
		for (int j = 0; j < d; j++) {
			du += y[j] * u[j];
			dx += (X[i * d + j] - y[j]) * V[d + j];     /* along v2: unchanged */
		}
		T_NEAR(du, 0.0, 1e-5);
		T_NEAR(dx, 0.0, 1e-5);
	}
}

/* A naive reference (double loops) on more rows than one block, and the
 * same bits on 1 and 2 threads. */
static void test_blocks_and_threads(void)
{
	enum { n = 2500, d = 9 };
	rng r;
	rng_seed(&r, 5);
	float *X = malloc((size_t)n * d * sizeof *X);
	double w[d];
	for (int j = 0; j < d; j++)
		w[j] = rng_normal(&r);
	for (int i = 0; i < n; i++) {
		double a = 1 + rng_normal(&r);
		for (int j = 0; j < d; j++)
			X[(size_t)i * d + j] = (float)(a * w[j] + 0.7 * rng_normal(&r));
	}
	double G[d * d] = {0}, ref[d], v[d];
	for (int i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				G[a * d + b] += (double)X[(size_t)i * d + a] * X[(size_t)i * d + b];
	for (int j = 0; j < d; j++)
		ref[j] = 1;
	for (int it = 0; it < 5000; it++) {
		double s = 0;
		for (int a = 0; a < d; a++) {
			v[a] = 0;
			for (int b = 0; b < d; b++)
				v[a] += G[a * d + b] * ref[b];
			s += v[a] * v[a];
		}
		for (int a = 0; a < d; a++)
			ref[a] = v[a] / sqrt(s);
	}
	double u1[d], u2[d];
	omp_set_num_threads(1);
	gemm_set_threads(1);
	T_ASSERT(pca_first(X, n, d, u1, NULL) == 0);
	omp_set_num_threads(2);
	gemm_set_threads(2);
	T_ASSERT(pca_first(X, n, d, u2, NULL) == 0);
	T_ASSERT(!memcmp(u1, u2, sizeof u1));
	double dot = 0;
	for (int j = 0; j < d; j++)
		dot += u1[j] * ref[j];
	T_NEAR(fabs(dot), 1.0, 1e-10);
	free(X);
}

static void test_degenerate(void)
{
	float Z[12] = {0};
	double u[4];
	T_ASSERT(pca_first(Z, 3, 4, u, NULL) == -1);      /* all zero: no direction */
	T_ASSERT(pca_first(Z, 0, 4, u, NULL) == -1);
	/* rows summing to zero: the start falls back to the largest diagonal */
	float X[8] = {1, 0.1f, 0, 0, -1, -0.1f, 0, 0};
	T_ASSERT(pca_first(X, 2, 4, u, NULL) == 0);
	T_NEAR(fabs(u[0]), 1 / sqrt(1.01), 1e-9);
	T_NEAR(u[1] / u[0], 0.1, 1e-6);
	/* one row: its own direction */
	float one[3] = {0, 3, -4};
	T_ASSERT(pca_first(one, 1, 3, u, NULL) == 0);
	T_NEAR(u[1], -0.6, 1e-12);              /* (0, .6, -.8), flipped by the sign convention */
	T_NEAR(u[2], 0.8, 1e-12);
}

int main(void)
{
	T_RUN(test_known_singular_vectors);
	T_RUN(test_blocks_and_threads);
	T_RUN(test_degenerate);
	return t_done();
}
