/* kgfilter.c — triples from scored candidates; see kgfilter.h. */
#include "kg/kgfilter.h"
#include "base/cli.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *kgf_status_name(int status)
{
	switch (status) {
	case KGF_KEPT: return "kept";
	case KGF_SWAPPED: return "swapped";
	case KGF_FALLBACK: return "fallback";
	}
	return "?";
}

void kgf_choose(const kgf_cand *c, int n, double alpha, double beta, int swap, kgf_pick *out)
{
	out->pos = -1, out->pos_status = KGF_FALLBACK;
	out->neg = -1, out->neg_status = KGF_FALLBACK;
	/* the positive: own role first, then a swapped negative */
	int passes = swap ? 2 : 1;
	for (int pass = 0; pass < passes && out->pos < 0; pass++)
		for (int i = 0; i < n; i++)
			if (c[i].role == (pass ? KGF_NEGATIVE : KGF_POSITIVE) && c[i].cos >= alpha) {
				out->pos = i;
				out->pos_status = pass ? KGF_SWAPPED : KGF_KEPT;
				break;
			}
	for (int pass = 0; pass < passes && out->neg < 0; pass++)
		for (int i = 0; i < n; i++)
			if (i != out->pos && c[i].role == (pass ? KGF_POSITIVE : KGF_NEGATIVE) && c[i].cos < beta) {
				out->neg = i;
				out->neg_status = pass ? KGF_SWAPPED : KGF_KEPT;
				break;
			}
}

int kgf_other(const double *cos, const unsigned char *usable, int n, double beta, uint64_t key)
{
	int below = 0, lowest = -1;
	for (int i = 0; i < n; i++) {
		if (!usable[i])
			continue;
		below += cos[i] < beta;
		if (lowest < 0 || cos[i] < cos[lowest])
			lowest = i;
	}
	if (!below)
		return lowest;
	rng r;
	rng_seed(&r, key);
	int k = (int)rng_below(&r, (uint64_t)below);
	for (int i = 0; i < n; i++)
		if (usable[i] && cos[i] < beta && k-- == 0)
			return i;
	return lowest;   /* not reached */
}

double kgf_cosine(const float *a, const float *b, int d)
{
	double ab = 0, aa = 0, bb = 0;
	for (int i = 0; i < d; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	if (aa <= 0 || bb <= 0)
		return 0;
	double c = ab / (sqrt(aa) * sqrt(bb));
	return c > 1 ? 1 : c < -1 ? -1 : c;
}

/* Two independent 64-bit hashes of the three texts (with their lengths, so
 * that ("ab", "c") and ("a", "bc") differ). */
static void hash3(const char *a, const char *b, const char *c, uint64_t h[2])
{
	uint64_t x = 0x243f6a8885a308d3ULL, y = 0x13198a2e03707344ULL;
	const char *t[3] = {a, b, c};
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(t[k]);
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)t[k][i];
			x = (x ^ ch) * 0x100000001b3ULL;
			y = rng_mix64(y + ch + 0x9e3779b97f4a7c15ULL);
		}
		x = rng_mix64(x ^ (n + 1));
		y = rng_mix64(y ^ (0x5851f42d4c957f2dULL * (n + 1)));
	}
	h[0] = x | 1;   /* never (0, 0) */
	h[1] = y;
}

static size_t slot_of(const kgf_set *s, const uint64_t h[2])
{
	size_t m = s->cap - 1, i = (size_t)(h[0] ^ (h[1] >> 7)) & m;
	while (s->h[2 * i] && (s->h[2 * i] != h[0] || s->h[2 * i + 1] != h[1]))
		i = (i + 1) & m;
	return i;
}

int kgf_set_add(kgf_set *s, const char *a, const char *b, const char *c)
{
	uint64_t h[2];
	hash3(a, b, c, h);
	if (2 * (s->n + 1) > s->cap) {
		size_t oc = s->cap;
		uint64_t *old = s->h;
		s->cap = oc ? 2 * oc : 1024;
		s->h = xcalloc(2 * s->cap, sizeof *s->h);
		for (size_t i = 0; i < oc; i++)
			if (old[2 * i]) {
				size_t j = slot_of(s, old + 2 * i);
				s->h[2 * j] = old[2 * i];
				s->h[2 * j + 1] = old[2 * i + 1];
			}
		free(old);
	}
	size_t j = slot_of(s, h);
	if (s->h[2 * j])
		return 0;
	s->h[2 * j] = h[0];
	s->h[2 * j + 1] = h[1];
	s->n++;
	return 1;
}

void kgf_set_free(kgf_set *s)
{
	free(s->h);
	s->h = NULL;
	s->cap = s->n = 0;
}
