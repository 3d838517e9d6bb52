/* pca.h — the first principal direction of a set of vectors, uncentred, and
 * its removal: SIF's "common component removal" (Arora, Liang and Ma 2017).
 *
 *   double u[d];
 *   if (pca_first(X, n, d, u, NULL) == 0)    // X (n,d): one vector a row
 *           pca_remove(x, d, u);             // x (d, double) -= (x . u) u
 *
 * u is the first right singular vector of X (the top eigenvector of X^T X,
 * not of the covariance: no mean is subtracted, as TruncatedSVD does in the
 * SIF code). X^T X is accumulated in double (dgemm over blocks of rows),
 * then power iteration from the normalised column sums runs until two
 * iterates differ by less than 1e-12 (at most 100,000 products). The sign
 * is fixed: the component of largest magnitude is positive. The result does
 * not depend on the thread count. */
#ifndef GCSE_PCA_H
#define GCSE_PCA_H

/* u (d): the unit first direction of the rows of X (n,d). 0 on success; -1
 * when every row is zero (no direction) or out of memory. *iters (may be
 * NULL): power iterations used. */
int pca_first(const float *X, long n, int d, double *u, int *iters);
/* x (d) becomes x - (x . u) u, in double (wordavg removes it from each
 * average before rounding to float). */
void pca_remove(double *x, int d, const double *u);
#endif
