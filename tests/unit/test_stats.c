/* Unit tests of lib/stats: cosine, Pearson, Spearman with ties (hand-checked). */
#include "base/stats.h"
#include "t.h"

static void test_cosine(void)
{
	float a[] = {1, 0, 0}, b[] = {0, 1, 0}, c[] = {2, 0, 0}, z[] = {0, 0, 0}, d[] = {-3, 0, 0};
	T_NEAR(cosine_sim(a, b, 3), 0, 0);
	T_NEAR(cosine_sim(a, c, 3), 1, 1e-15);
	T_NEAR(cosine_sim(a, d, 3), -1, 1e-15);
	T_NEAR(cosine_sim(a, z, 3), 0, 0);
	float e[] = {1, 1}, f[] = {1, 0};
	T_NEAR(cosine_sim(e, f, 2), 1 / sqrt(2.0), 1e-12);
}

static void test_ranks_ties(void)
{
	double x[] = {10, 20, 20, 5, 20}, r[5];
	rank_average(x, 5, r);
	/* 5 -> 1, 10 -> 2, the three 20s share ranks 3,4,5 -> 4 */
	double want[] = {2, 4, 4, 1, 4};
	for (int i = 0; i < 5; i++)
		T_NEAR(r[i], want[i], 0);
}

static void test_pearson(void)
{
	double x[] = {1, 2, 3, 4}, y[] = {2, 4, 6, 8}, z[] = {4, 3, 2, 1}, k[] = {1, 1, 1, 1};
	T_NEAR(pearson(x, y, 4), 1, 1e-15);
	T_NEAR(pearson(x, z, 4), -1, 1e-15);
	T_ASSERT(isnan(pearson(x, k, 4)));
	T_ASSERT(isnan(pearson(x, y, 1)));
	/* x = 1..5, y = 2,1,4,3,5: sxy = 8, sxx = syy = 10 -> 0.8 */
	double a[] = {1, 2, 3, 4, 5}, b[] = {2, 1, 4, 3, 5};
	T_NEAR(pearson(a, b, 5), 0.8, 1e-15);
}

static void test_spearman(void)
{
	/* Monotone but non-linear: Spearman 1, Pearson < 1. */
	double x[] = {1, 2, 3, 4, 5}, y[] = {1, 4, 9, 16, 100};
	T_NEAR(spearman(x, y, 5), 1, 1e-15);
	T_ASSERT(pearson(x, y, 5) < 0.99);
	/* Ties on both sides, checked by hand: ranks (1,2.5,2.5,4) vs
	 * (1.5,1.5,4,3): sxy 2.25, sxx 4.5, syy 4.5 -> 0.5 */
	double s[] = {1, 2, 2, 4}, g[] = {1, 1, 3, 2};
	T_NEAR(spearman(s, g, 4), 0.5, 1e-15);
	/* Reversed order -> -1 */
	double r[] = {5, 4, 3, 2, 1};
	T_NEAR(spearman(x, r, 5), -1, 1e-15);
}

/* Issue 15, D12: values near 1e300 gave a null Pearson (overflowing
 * squares) but a number for Spearman; a NaN or an infinity gave a numeric
 * Spearman too. Now any finite values work, with the same bits as the values
 * scaled by a power of two, and a non-finite one makes both NaN. */
static void test_extremes(void)
{
	double x[] = {1, 2, 3, 4, 5}, y[] = {2, 1, 4, 3, 5}, bx[5], by[5], sx[5];
	for (int i = 0; i < 5; i++) {
		bx[i] = x[i] * 0x1p996;     /* about 6.7e299: squares overflow */
		by[i] = y[i] * 1e300;
		sx[i] = x[i] * 0x1p-1000;   /* squares underflow */
	}
	double r = pearson(x, y, 5);
	T_ASSERT(pearson(bx, y, 5) == r);
	T_ASSERT(pearson(sx, y, 5) == r);
	T_NEAR(pearson(bx, by, 5), r, 1e-15);
	T_ASSERT(spearman(bx, by, 5) == spearman(x, y, 5));
	double n[] = {1, 2, NAN, 4, 5}, inf[] = {1, 2, INFINITY, 4, 5};
	T_ASSERT(isnan(pearson(n, y, 5)) && isnan(spearman(n, y, 5)));
	T_ASSERT(isnan(pearson(y, n, 5)) && isnan(spearman(y, n, 5)));
	T_ASSERT(isnan(pearson(inf, y, 5)) && isnan(spearman(inf, y, 5)));
	/* cosines of the largest floats stay finite (accumulated in double) */
	float a[] = {3.4e38f, -3.4e38f, 1}, b[] = {3.4e38f, 3.4e38f, 3.4e38f};
	T_ASSERT(isfinite(cosine_sim(a, b, 3)));
	T_NEAR(cosine_sim(a, a, 3), 1, 1e-15);
}

int main(void)
{
	T_RUN(test_cosine);
	T_RUN(test_ranks_ties);
	T_RUN(test_pearson);
	T_RUN(test_spearman);
	T_RUN(test_extremes);
	return t_done();
}
