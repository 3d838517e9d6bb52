/* test_dropout.c — mask rate, scaling, backward with the same mask,
 * determinism for a key whatever the OpenMP thread count. */
#include "nn/dropout.h"
#include "base/rng.h"
#include "t.h"

#include <omp.h>
#include <stdint.h>

static size_t popcount(const uint8_t *m, size_t nbytes)
{
	size_t c = 0;
	for (size_t i = 0; i < nbytes; i++)
		c += (size_t)__builtin_popcount(m[i]);
	return c;
}

static void test_rate_and_scaling(void)
{
	const size_t n = 1000003;   /* odd, not a multiple of 8 or 64 */
	float *x = malloc(n * 4), *y = malloc(n * 4);
	uint8_t *m = malloc(dropout_mask_bytes(n));
	rng r;
	rng_seed(&r, 4);
	rng_fill_normal(&r, x, n, 0, 1);
	const float ps[] = { 0.1f, 0.5f, 0.9f };
	for (int k = 0; k < 3; k++) {
		float p = ps[k];
		dropout_forward(y, m, x, n, p, 1234 + k);
		size_t kept = popcount(m, dropout_mask_bytes(n));
		double rate = 1.0 - (double)kept / n;
		/* binomial: sd = sqrt(p(1-p)/n) <= 5e-4; allow 5 sd */
		printf("# p %.2f: drop rate %.5f\n", p, rate);
		T_NEAR(rate, p, 5 * sqrt(p * (1 - p) / n));
		float scale = (float)(1.0 / (1.0 - p));
		size_t zeros = 0;
		for (size_t i = 0; i < n; i++) {
			int keep = m[i / 8] >> (i % 8) & 1;
			T_ASSERT(keep == dropout_keep(1234 + k, i, p));
			if (keep)
				T_ASSERT(y[i] == x[i] * scale);
			else {
				T_ASSERT(y[i] == 0);
				zeros++;
			}
		}
		T_ASSERT(zeros == n - kept);
		/* unused high bits of the last mask byte are clear */
		T_ASSERT((m[n / 8] >> (n % 8)) == 0);
		/* expectation is preserved: mean of y ~ mean of x */
		double sx = 0, sy = 0;
		for (size_t i = 0; i < n; i++) {
			sx += fabs(x[i]);
			sy += fabs(y[i]);
		}
		T_NEAR(sy / sx, 1.0, 0.02);
	}
	free(x), free(y), free(m);
}

static void test_backward_uses_mask(void)
{
	const size_t n = 5000;
	float *x = malloc(n * 4), *y = malloc(n * 4), *dy = malloc(n * 4), *dx = malloc(n * 4);
	uint8_t *m = malloc(dropout_mask_bytes(n));
	rng r;
	rng_seed(&r, 5);
	rng_fill_normal(&r, x, n, 0, 1);
	rng_fill_normal(&r, dy, n, 0, 1);
	for (size_t i = 0; i < n; i++)
		dx[i] = 0.5f;   /* backward accumulates */
	const float p = 0.3f;
	dropout_forward(y, m, x, n, p, 99);
	dropout_backward(dx, dy, m, n, p);
	for (size_t i = 0; i < n; i++) {
		int keep = m[i / 8] >> (i % 8) & 1;
		if (x[i] != 0)
			T_ASSERT(keep == (y[i] != 0));
		float want = 0.5f + (keep ? dy[i] * (float)(1.0 / 0.7) : 0.0f);
		T_ASSERT(dx[i] == want);
	}
	free(x), free(y), free(dy), free(dx), free(m);
}

static void test_p_zero_and_one(void)
{
	const size_t n = 77;
	float x[77], y[77], dx[77], dy[77];
	uint8_t m[10];
	for (size_t i = 0; i < n; i++) {
		x[i] = (float)i - 30.5f;
		dy[i] = 1.0f + (float)i;
		dx[i] = 0;
	}
	dropout_forward(y, m, x, n, 0.0f, 1);
	T_ASSERT(!memcmp(x, y, sizeof x));
	T_EQ_INT(popcount(m, dropout_mask_bytes(n)), n);
	dropout_forward(y, NULL, x, n, 0.0f, 1);   /* no mask needed */
	T_ASSERT(!memcmp(x, y, sizeof x));
	dropout_backward(dx, dy, NULL, n, 0.0f);
	T_ASSERT(!memcmp(dx, dy, sizeof dx));
	/* in place */
	memcpy(y, x, sizeof y);
	dropout_forward(y, m, y, n, 0.5f, 7);
	for (size_t i = 0; i < n; i++)
		T_ASSERT(y[i] == ((m[i / 8] >> (i % 8) & 1) ? x[i] * 2.0f : 0.0f));
	/* p = 1: everything dropped, no NaN or inf */
	dropout_forward(y, m, x, n, 1.0f, 7);
	for (size_t i = 0; i < n; i++)
		T_ASSERT(y[i] == 0);
	T_EQ_INT(popcount(m, dropout_mask_bytes(n)), 0);
	T_EQ_INT(dropout_mask_bytes(0), 0);
	T_EQ_INT(dropout_mask_bytes(8), 1);
	T_EQ_INT(dropout_mask_bytes(9), 2);
}

static void test_deterministic_across_threads(void)
{
	const size_t n = 3 * 65536 + 1001;   /* large enough for the parallel path */
	float *x = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4), *y3 = malloc(n * 4);
	uint8_t *m1 = malloc(dropout_mask_bytes(n)), *m2 = malloc(dropout_mask_bytes(n));
	uint8_t *m3 = malloc(dropout_mask_bytes(n));
	rng r;
	rng_seed(&r, 6);
	rng_fill_normal(&r, x, n, 0, 1);
	int saved = omp_get_max_threads();
	omp_set_num_threads(1);
	dropout_forward(y1, m1, x, n, 0.1f, 2024);
	omp_set_num_threads(3);
	dropout_forward(y2, m2, x, n, 0.1f, 2024);
	omp_set_num_threads(saved);
	dropout_forward_ref(y3, m3, x, n, 0.1f, 2024);
	T_ASSERT(!memcmp(m1, m2, dropout_mask_bytes(n)));
	T_ASSERT(!memcmp(y1, y2, n * 4));
	T_ASSERT(!memcmp(m1, m3, dropout_mask_bytes(n)));
	T_ASSERT(!memcmp(y1, y3, n * 4));
	/* another key: another mask */
	dropout_forward(y2, m2, x, n, 0.1f, 2025);
	T_ASSERT(memcmp(m1, m2, dropout_mask_bytes(n)));
	/* masks of different keys are independent: overlap of drops ~ p^2 */
	size_t both = 0;
	for (size_t i = 0; i < n; i++)
		both += !(m1[i / 8] >> (i % 8) & 1) && !(m2[i / 8] >> (i % 8) & 1);
	T_NEAR((double)both / n, 0.01, 0.002);
	free(x), free(y1), free(y2), free(y3), free(m1), free(m2), free(m3);
}

int main(void)
{
	T_RUN(test_rate_and_scaling);
	T_RUN(test_backward_uses_mask);
	T_RUN(test_p_zero_and_one);
	T_RUN(test_deterministic_across_threads);
	return t_done();
}
