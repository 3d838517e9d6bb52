/* rng.h — seeded random numbers for training: reproducible, savable, parallel.
 *
 * Two kinds of generator:
 *
 * 1. A sequential generator, xoshiro256** (Blackman & Vigna): the state is
 *    four uint64 (rng.s), which a checkpoint stores and restores as they are,
 *    so a resumed run draws exactly the numbers an uninterrupted one would.
 *    Seeded through splitmix64, so any 64-bit seed (0 included) is fine.
 *    Used for shuffling, parameter initialisation, word-repetition noise.
 *
 * 2. A counter-based generator: rng_at(key, i) is the i-th output of a
 *    splitmix64 stream that starts at `key`, computed directly from (key, i)
 *    with no state. A dropout mask is then a pure function of (key, element
 *    index), so OpenMP threads can fill any part of it in any order and the
 *    result never depends on the thread count. Keys come from the sequential
 *    generator (rng_next) or from rng_derive(seed, step, site), which makes
 *    them a function of the training step and needs no saved state at all.
 *
 * Neither is cryptographic. Everything here is deterministic across
 * platforms (integer arithmetic; normals use libm log/cos/sqrt). */
#ifndef GCSE_RNG_H
#define GCSE_RNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct rng {
	uint64_t s[4];   /* xoshiro256** state; never all zero */
} rng;

/* Seed from one 64-bit number (splitmix64 expansion). */
void rng_seed(rng *r, uint64_t seed);
/* Restore a saved state; returns 0, or -1 (and leaves *r alone) if s is all
 * zero, which is not a valid xoshiro state. */
int rng_set_state(rng *r, const uint64_t s[4]);
/* Next 64 random bits. */
uint64_t rng_next(rng *r);
/* Uniform float in [0, 1) with 24 random bits; double with 53 bits. */
float rng_uniform(rng *r);
double rng_uniform_double(rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's method); n >= 1. */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal N(0,1) by Box-Muller; each call consumes two 64-bit draws
 * and returns the cosine branch (no cached spare, so the state stays 4 words). */
double rng_normal(rng *r);
/* x[i] = mean + std * N(0,1), i in [0,n), in order (pairs: cos and sin branch). */
void rng_fill_normal(rng *r, float *x, size_t n, float mean, float std);
/* Fisher-Yates shuffle of n elements of `size` bytes each. */
void rng_shuffle(rng *r, void *base, size_t n, size_t size);
/* out[0..n) = a random permutation of 0..n-1. */
void rng_permutation(rng *r, int64_t *out, size_t n);
/* Advance by 2^128 draws: non-overlapping sub-streams from one seed. */
void rng_jump(rng *r);

/* ---- counter-based ---- */
/* splitmix64's output function (a bijective 64-bit mixer). */
static inline uint64_t rng_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
/* The i-th value of the splitmix64 stream starting at key. */
static inline uint64_t rng_at(uint64_t key, uint64_t i)
{
	return rng_mix64(key + (i + 1) * 0x9e3779b97f4a7c15ULL);
}
/* A well-mixed key from two numbers, e.g. rng_derive(rng_derive(seed, step), site). */
static inline uint64_t rng_derive(uint64_t a, uint64_t b)
{
	return rng_mix64(rng_mix64(a ^ 0x6a09e667f3bcc909ULL) + rng_mix64(b + 0x9e3779b97f4a7c15ULL));
}
/* Uniform float in [0,1) from (key, i). */
static inline float rng_uniform_at(uint64_t key, uint64_t i)
{
	return (float)(rng_at(key, i) >> 40) * (1.0f / 16777216.0f);
}
/* N(0,1) from (key, i): Box-Muller on draws 2i and 2i+1 (cosine branch). */
double rng_normal_at(uint64_t key, uint64_t i);
#endif
