/* bigmem.h — memory for the large, long-lived arrays: model parameters,
 * activations, gradients, optimizer state.
 *
 *   float *p = big_alloc(bytes);   // 64-byte aligned, uninitialised; NULL if out of memory
 *   free(p);                       // the usual free
 *
 * A block of 4 MiB or more is aligned to 2 MiB and marked for transparent
 * huge pages (madvise MADV_HUGEPAGE, where the kernel has them; a hint, no
 * error when it is refused): the first touch of a 47 MB embedding table
 * then takes about 24 page faults instead of 11,500, which on a virtual
 * machine was most of a model's load time (bench/embed-measurements.md). */
#ifndef GCSE_BIGMEM_H
#define GCSE_BIGMEM_H
#include <stddef.h>

void *big_alloc(size_t bytes);
#endif
