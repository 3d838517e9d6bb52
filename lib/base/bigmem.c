/* bigmem.c — see bigmem.h. */
#define _DEFAULT_SOURCE
#include "base/bigmem.h"

#include <stdlib.h>
#include <sys/mman.h>

enum { HUGE_PAGE = 2 << 20, HUGE_FROM = 4 << 20 };

void *big_alloc(size_t bytes)
{
	if (bytes < HUGE_FROM) {
		size_t n = (bytes + 63) / 64 * 64;
		return aligned_alloc(64, n ? n : 64);
	}
	size_t n = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	void *p = NULL;
	if (n < bytes || posix_memalign(&p, HUGE_PAGE, n) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}
