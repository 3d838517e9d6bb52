/* frand.h — reproducible random test data for the kernel tests: a 64-bit
 * LCG, uniform floats in [-1, 1), vectors of them. Each test binary seeds
 * it once in main, before its first test:
 *   frand_seed(12345);
 *   float *x = rvec(n, 0.5f);   // malloc'ed: n values 0.5f * frand() */
#ifndef GCSE_FRAND_H
#define GCSE_FRAND_H
#include <stdint.h>
#include <stdlib.h>

static uint64_t frand_state;

static inline void frand_seed(uint64_t seed)
{
	frand_state = seed;
}

static inline float frand(void)          /* uniform in [-1, 1) */
{
	frand_state = frand_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((frand_state >> 40) * (1.0 / (1 << 23)) - 1.0);
}

static inline float *rvec(size_t n, float scale)
{
	float *v = malloc((n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = scale * frand();
	return v;
}
#endif
