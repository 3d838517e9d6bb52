/* stats.c — cosine, Pearson, Spearman with average ranks for ties. */
#include "base/stats.h"
#include "base/cli.h"

#include <math.h>
#include <stdlib.h>

double cosine_sim(const float *a, const float *b, int n)
{
	double ab = 0, aa = 0, bb = 0;
	for (int i = 0; i < n; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	if (aa == 0 || bb == 0)
		return 0;
	return ab / (sqrt(aa) * sqrt(bb));
}

/* A power of two near 1 / max|x| (1 when x is all 0), or 0 when some x is
 * not finite. Pearson's r does not change when a side is scaled, and a power
 * of two scales every sum and product exactly: the same bits as unscaled,
 * without the overflow of squares near 1e300. */
static double unit_scale(const double *x, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return 0;
		if (fabs(x[i]) > m)
			m = fabs(x[i]);
	}
	if (m == 0)
		return 1;
	int e;
	frexp(m, &e);             /* m in [2^(e-1), 2^e) */
	return ldexp(1, -e);
}

double pearson(const double *x, const double *y, size_t n)
{
	if (n < 2)
		return NAN;
	double kx = unit_scale(x, n), ky = unit_scale(y, n);
	if (kx == 0 || ky == 0)
		return NAN;
	double mx = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		mx += x[i] * kx;
		my += y[i] * ky;
	}
	mx /= (double)n;
	my /= (double)n;
	double sxy = 0, sxx = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		double dx = x[i] * kx - mx, dy = y[i] * ky - my;
		sxy += dx * dy;
		sxx += dx * dx;
		syy += dy * dy;
	}
	if (sxx == 0 || syy == 0)
		return NAN;
	double r = sxy / sqrt(sxx * syy);
	return r > 1 ? 1 : r < -1 ? -1 : r;
}

static const double *sort_keys;

static int cmp_index(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	double x = sort_keys[i], y = sort_keys[j];
	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return i < j ? -1 : i > j;
}

void rank_average(const double *x, size_t n, double *ranks)
{
	size_t *idx = xmalloc(n * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	sort_keys = x;
	qsort(idx, n, sizeof *idx, cmp_index);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && x[idx[j]] == x[idx[i]])
			j++;
		/* positions i..j-1 share ranks i+1..j: their average */
		double r = 0.5 * (double)(i + 1 + j);
		for (size_t k = i; k < j; k++)
			ranks[idx[k]] = r;
		i = j;
	}
	free(idx);
}

double spearman(const double *x, const double *y, size_t n)
{
	if (n < 2 || unit_scale(x, n) == 0 || unit_scale(y, n) == 0)
		return NAN;    /* a NaN or infinity has no rank: undefined, as Pearson */
	double *rx = xmalloc(n * sizeof *rx), *ry = xmalloc(n * sizeof *ry);
	rank_average(x, n, rx);
	rank_average(y, n, ry);
	double r = pearson(rx, ry, n);
	free(rx);
	free(ry);
	return r;
}
