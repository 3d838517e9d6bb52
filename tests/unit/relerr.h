/* relerr.h — how far a float result is from its reference, for the tests
 * against the PyTorch fixtures and the naive kernels:
 *   T_ASSERT(relerr(out, out_ref, n) <= 1e-5);
 * max |x - ref| / max |ref| (max |x - ref| when the reference is all
 * zero); NaN when either holds a NaN, so that a tolerance check fails. */
#ifndef GCSE_RELERR_H
#define GCSE_RELERR_H
#include <math.h>
#include <stddef.h>

static inline double relerr(const float *x, const float *ref, size_t n)
{
	double md = 0, mr = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(ref[i]))
			return NAN;
		md = fmax(md, fabs((double)x[i] - ref[i]));
		mr = fmax(mr, fabs((double)ref[i]));
	}
	return md / (mr > 0 ? mr : 1);
}
#endif
