/* kgfilter.h — the filtering step of GCSE (METHOD.md §4): from an anchor's
 * candidates, scored by the frozen model E' (cosine with the anchor), pick
 * one positive and one hard negative for a training triple.
 *
 * Thresholds alpha (0.80) and beta (0.75):
 *   - a positive is acceptable as the positive when cos >= alpha;
 *   - a negative is acceptable as the negative when cos < beta;
 *   - roles may swap (when swap is non-zero, METHOD.md's rule): a negative
 *     with cos >= alpha may serve as the positive, a positive with
 *     cos < beta as the hard negative;
 *   - anything else is dropped.
 * The positive is the first acceptable candidate in the record's order with
 * its own role, else the first swapped one; the same for the negative (the
 * order of the candidates is the order kgsynth drew their families in, so
 * taking the first keeps the METHOD.md shares, where picking the best
 * cosine would favour some families). Never the same candidate for both
 * (possible only when beta > alpha).
 * No acceptable positive: the anchor itself (a dropout pair, status
 * KGF_FALLBACK, index -1). No acceptable negative: index -1, and the caller
 * takes another source sentence (kgf_other).
 *
 * Duplicates: kgf_set keeps 128-bit hashes of the triples written, so that
 * an exact duplicate triple is dropped (16 bytes per triple). */
#ifndef GCSE_KGFILTER_H
#define GCSE_KGFILTER_H
#include <stddef.h>
#include <stdint.h>

enum { KGF_POSITIVE = 0, KGF_NEGATIVE = 1 };
enum { KGF_KEPT = 0, KGF_SWAPPED = 1, KGF_FALLBACK = 2 };

typedef struct kgf_cand {
	int role;        /* KGF_POSITIVE or KGF_NEGATIVE: what kgsynth made it as */
	double cos;      /* E' cosine with the anchor */
} kgf_cand;

typedef struct kgf_pick {
	int pos, pos_status;   /* candidate index, or -1 (KGF_FALLBACK: the anchor itself) */
	int neg, neg_status;   /* candidate index, or -1 (KGF_FALLBACK: another sentence) */
} kgf_pick;

/* "kept", "swapped", "fallback". */
const char *kgf_status_name(int status);

void kgf_choose(const kgf_cand *c, int n, double alpha, double beta, int swap, kgf_pick *out);

/* Another source sentence as the negative: among the n pool entries with
 * usable[i] set (cos[i]: their cosine with the anchor), one drawn uniformly
 * with the key among those with cos < beta; when there is none, the one with
 * the lowest cosine (ties: the first). -1 when none is usable. */
int kgf_other(const double *cos, const unsigned char *usable, int n, double beta, uint64_t key);

/* Cosine of two float vectors in double; 0 when either is zero. */
double kgf_cosine(const float *a, const float *b, int d);

/* A set of triples (128-bit hashes of the three texts). */
typedef struct kgf_set {
	uint64_t *h;     /* 2 words per slot; (0, 0) empty */
	size_t cap, n;
} kgf_set;
/* 1 if (a, b, c) was not in the set (now added), 0 if it was. */
int kgf_set_add(kgf_set *s, const char *a, const char *b, const char *c);
void kgf_set_free(kgf_set *s);
#endif
