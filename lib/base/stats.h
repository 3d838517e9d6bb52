/* stats.h — similarity and correlation: cosine, Pearson, Spearman. */
#ifndef GCSE_STATS_H
#define GCSE_STATS_H
#include <stddef.h>

/* Cosine similarity of two float vectors of length n, accumulated in double.
 * A zero vector has cosine 0 with anything. */
double cosine_sim(const float *a, const float *b, int n);
/* Pearson correlation of x and y (n >= 2); NaN when a side is constant or
 * holds a NaN or an infinity. Any finite values work (no overflow). */
double pearson(const double *x, const double *y, size_t n);
/* Ranks 1..n of x with ties given their average rank (as scipy.stats.rankdata). */
void rank_average(const double *x, size_t n, double *ranks);
/* Spearman correlation: Pearson of the average ranks (as scipy.stats.spearmanr);
 * NaN in the same cases as Pearson. */
double spearman(const double *x, const double *y, size_t n);
#endif
