/* test_bigmem.c — big_alloc (lib/base/bigmem.h): alignment, the whole
 * block writable and readable back, free() releases it, and the sizes at
 * the edges (0, just under and at the huge-page threshold). */
#include "t.h"
#include "base/bigmem.h"

#include <stdint.h>
#include <string.h>

/* write a pattern over every byte of p (n bytes), then check it */
static int pattern_ok(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + 7);
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 131 + 7))
			return 0;
	return 1;
}

static void test_small(void)
{
	size_t sizes[] = {0, 1, 63, 64, 65, 4096, (4u << 20) - 1};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		unsigned char *p = big_alloc(sizes[i]);
		T_ASSERT(p != NULL);
		T_EQ_INT((int)((uintptr_t)p % 64), 0);
		T_ASSERT(pattern_ok(p, sizes[i]));
		free(p);
	}
}

static void test_huge(void)
{
	size_t sizes[] = {4u << 20, (4u << 20) + 1, (47u << 20) + 12345};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		unsigned char *p = big_alloc(sizes[i]);
		T_ASSERT(p != NULL);
		T_EQ_INT((int)((uintptr_t)p % (2u << 20)), 0);
		T_ASSERT(pattern_ok(p, sizes[i]));
		free(p);
	}
	/* a size whose rounding up to 2 MiB would wrap: refused, not a short block */
	T_ASSERT(big_alloc(SIZE_MAX - 100) == NULL);
}

int main(void)
{
	T_RUN(test_small);
	T_RUN(test_huge);
	return t_done();
}
