/* rng.c — xoshiro256** with splitmix64 seeding, Box-Muller normals,
 * Fisher-Yates shuffling; the counter-based helpers live in rng.h. */
#include "base/rng.h"

#include <math.h>
#include <string.h>

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rng_seed(rng *r, uint64_t seed)
{
	/* splitmix64: consecutive outputs of the stream starting at seed */
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_at(seed, (uint64_t)i);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;   /* cannot happen for splitmix64, kept for safety */
}

int rng_set_state(rng *r, const uint64_t s[4])
{
	if (!(s[0] | s[1] | s[2] | s[3]))
		return -1;
	memcpy(r->s, s, sizeof r->s);
	return 0;
}

uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

float rng_uniform(rng *r)
{
	return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

double rng_uniform_double(rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t rng_below(rng *r, uint64_t n)
{
	/* Lemire, "Fast random integer generation in an interval" (2019) */
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = (0 - n) % n;
		while (lo < t) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Box-Muller on two 53-bit uniforms; u1 in (0,1] so log never sees 0. */
static void box_muller(uint64_t a, uint64_t b, double *z0, double *z1)
{
	double u1 = (double)((a >> 11) + 1) * (1.0 / 9007199254740992.0);
	double u2 = (double)(b >> 11) * (1.0 / 9007199254740992.0);
	double rad = sqrt(-2.0 * log(u1));
	double th = 6.283185307179586476925286766559 * u2;
	*z0 = rad * cos(th);
	if (z1)
		*z1 = rad * sin(th);
}

double rng_normal(rng *r)
{
	uint64_t a = rng_next(r), b = rng_next(r);
	double z;
	box_muller(a, b, &z, NULL);
	return z;
}

void rng_fill_normal(rng *r, float *x, size_t n, float mean, float std)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2) {
		uint64_t a = rng_next(r), b = rng_next(r);
		double z0, z1;
		box_muller(a, b, &z0, &z1);
		x[i] = (float)(mean + std * z0);
		x[i + 1] = (float)(mean + std * z1);
	}
	if (i < n)
		x[i] = (float)(mean + std * rng_normal(r));
}

/* swap two size-byte elements, through a small buffer */
static void swap_elems(unsigned char *x, unsigned char *y, size_t size)
{
	unsigned char tmp[256];
	while (size) {
		size_t k = size < sizeof tmp ? size : sizeof tmp;
		memcpy(tmp, x, k);
		memcpy(x, y, k);
		memcpy(y, tmp, k);
		x += k;
		y += k;
		size -= k;
	}
}

void rng_shuffle(rng *r, void *base, size_t n, size_t size)
{
	unsigned char *p = base;
	if (size == 0)
		return;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rng_below(r, i);
		if (j != i - 1)
			swap_elems(p + j * size, p + (i - 1) * size, size);
	}
}

void rng_permutation(rng *r, int64_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (int64_t)i;
	rng_shuffle(r, out, n, sizeof *out);
}

void rng_jump(rng *r)
{
	static const uint64_t J[4] = { 0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
	                               0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL };
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 64; b++) {
			if (J[i] & (1ULL << b)) {
				s0 ^= r->s[0];
				s1 ^= r->s[1];
				s2 ^= r->s[2];
				s3 ^= r->s[3];
			}
			rng_next(r);
		}
	r->s[0] = s0;
	r->s[1] = s1;
	r->s[2] = s2;
	r->s[3] = s3;
}

double rng_normal_at(uint64_t key, uint64_t i)
{
	double z;
	box_muller(rng_at(key, 2 * i), rng_at(key, 2 * i + 1), &z, NULL);
	return z;
}
