/* pca.c — first principal direction (uncentred) and its removal; see pca.h. */
#include "wordvec/pca.h"
#include "base/gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PCA_BLOCK = 1024, PCA_MAX_ITERS = 100000 };

/* G (d,d) = X^T X in double, rows converted in blocks of PCA_BLOCK. The
 * product's bits never depend on the thread count (base/gemm.h), so G is the
 * same bits on any thread count. */
static int gram(const float *X, long n, int d, double *G)
{
	double *blk = malloc((size_t)PCA_BLOCK * d * sizeof *blk);
	if (!blk)
		return -1;
	memset(G, 0, (size_t)d * d * sizeof *G);
	for (long r0 = 0; r0 < n; r0 += PCA_BLOCK) {
		long m = n - r0 < PCA_BLOCK ? n - r0 : PCA_BLOCK;
		for (size_t i = 0; i < (size_t)m * d; i++)
			blk[i] = X[(size_t)r0 * d + i];
		/* G += blk^T blk: blk (m,d) row-major, blk^T read with swapped strides */
		gemm_f64(d, d, m, 1.0, blk, 1, d, blk, d, 1, 1.0, G, d, 1);
	}
	free(blk);
	return 0;
}

static double norm2(const double *v, int d)
{
	double s = 0;
	for (int i = 0; i < d; i++)
		s += v[i] * v[i];
	return sqrt(s);
}

int pca_first(const float *X, long n, int d, double *u, int *iters)
{
	if (iters)
		*iters = 0;
	if (n < 1 || d < 1)
		return -1;
	double *G = malloc((size_t)d * d * sizeof *G), *v = malloc((size_t)d * sizeof *v);
	if (!G || !v || gram(X, n, d, G)) {
		free(G), free(v);
		return -1;
	}
	/* start: the column sums (the mean direction, which dominates for
	 * vectors that share a common component); else the largest diagonal */
	for (int j = 0; j < d; j++)
		u[j] = 0;
	for (long i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			u[j] += X[(size_t)i * d + j];
	double nu = norm2(u, d);
	if (!(nu > 0)) {
		int best = 0;
		for (int j = 1; j < d; j++)
			if (G[(size_t)j * d + j] > G[(size_t)best * d + best])
				best = j;
		for (int j = 0; j < d; j++)
			u[j] = j == best;
		nu = 1;
	}
	for (int j = 0; j < d; j++)
		u[j] /= nu;
	int it = 0, rc = 0;
	for (; it < PCA_MAX_ITERS; it++) {
		for (int i = 0; i < d; i++) {
			double s = 0;
			const double *g = G + (size_t)i * d;
			for (int j = 0; j < d; j++)
				s += g[j] * u[j];
			v[i] = s;
		}
		double nv = norm2(v, d);
		if (!(nv > 0)) {       /* X^T X u = 0: all rows zero */
			rc = -1;
			break;
		}
		double diff = 0;
		for (int j = 0; j < d; j++) {
			v[j] /= nv;
			diff += (v[j] - u[j]) * (v[j] - u[j]);
			u[j] = v[j];
		}
		if (sqrt(diff) < 1e-12)
			break;
	}
	if (iters)
		*iters = it;
	if (rc == 0) {
		int big = 0;
		for (int j = 1; j < d; j++)
			if (fabs(u[j]) > fabs(u[big]))
				big = j;
		if (u[big] < 0)
			for (int j = 0; j < d; j++)
				u[j] = -u[j];
	}
	free(G);
	free(v);
	return rc;
}

void pca_remove(double *x, int d, const double *u)
{
	double dot = 0;
	for (int j = 0; j < d; j++)
		dot += x[j] * u[j];
	for (int j = 0; j < d; j++)
		x[j] -= dot * u[j];
}
