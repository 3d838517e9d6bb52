/* dropout.c — inverted dropout with a counter-based bit mask. */
#include "nn/dropout.h"
#include "base/rng.h"

#include <string.h>

size_t dropout_mask_bytes(size_t n)
{
	return (n + 7) / 8;
}

/* Drop threshold on 32-bit draws: round(p * 2^32), clamped to [0, 2^32]. */
static uint64_t threshold(float p)
{
	if (!(p > 0.0f))
		return 0;
	if (p >= 1.0f)
		return 1ULL << 32;
	return (uint64_t)((double)p * 4294967296.0 + 0.5);
}

static float keep_scale(float p)
{
	return p >= 1.0f ? 0.0f : (float)(1.0 / (1.0 - (double)p));
}

int dropout_keep(uint64_t key, size_t i, float p)
{
	uint64_t h = rng_at(key, i / 2);
	uint32_t u = (i & 1) ? (uint32_t)(h >> 32) : (uint32_t)h;
	return (uint64_t)u >= threshold(p);
}

void dropout_forward_ref(float *out, uint8_t *mask, const float *inp, size_t n,
                         float p, uint64_t key)
{
	float scale = p > 0.0f ? keep_scale(p) : 1.0f;
	if (mask)
		memset(mask, 0, dropout_mask_bytes(n));
	for (size_t i = 0; i < n; i++) {
		int k = !(p > 0.0f) || dropout_keep(key, i, p);
		if (mask && k)
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
		out[i] = k ? inp[i] * scale : 0.0f;
	}
}

void dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n,
                     float p, uint64_t key)
{
	if (!(p > 0.0f)) {
		if (out != inp)
			memmove(out, inp, n * sizeof *out);
		if (mask) {
			memset(mask, 0xff, dropout_mask_bytes(n));
			if (n % 8)   /* unused high bits of the last byte stay 0 */
				mask[n / 8] = (uint8_t)((1u << (n % 8)) - 1);
		}
		return;
	}
	const uint64_t thr = threshold(p);
	const float scale = keep_scale(p);
	/* blocks of 64 elements = 8 mask bytes = 32 draws, one block per iteration */
	const long nblocks = (long)((n + 63) / 64);
	#pragma omp parallel for schedule(static) if (n >= 65536)
	for (long b = 0; b < nblocks; b++) {
		size_t i0 = (size_t)b * 64;
		size_t i1 = i0 + 64 < n ? i0 + 64 : n;
		uint64_t bits = 0;
		for (size_t i = i0; i < i1; i += 2) {
			uint64_t h = rng_at(key, i / 2);
			uint64_t k0 = (uint64_t)(uint32_t)h >= thr;
			uint64_t k1 = (h >> 32) >= thr;
			bits |= k0 << (i - i0);
			out[i] = k0 ? inp[i] * scale : 0.0f;
			if (i + 1 < i1) {
				bits |= k1 << (i + 1 - i0);
				out[i + 1] = k1 ? inp[i + 1] * scale : 0.0f;
			}
		}
		size_t nbytes = (i1 - i0 + 7) / 8;
		for (size_t j = 0; j < nbytes; j++)
			mask[i0 / 8 + j] = (uint8_t)(bits >> (8 * j));
	}
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *mask,
                      size_t n, float p)
{
	if (!(p > 0.0f)) {
		for (size_t i = 0; i < n; i++)
			dinp[i] += dout[i];
		return;
	}
	const float scale = keep_scale(p);
	#pragma omp parallel for schedule(static) if (n >= 65536)
	for (long i = 0; i < (long)n; i++)
		if (mask[i / 8] >> (i % 8) & 1)
			dinp[i] += dout[i] * scale;
}
