/* blis_arch_shim.c — an LD_PRELOAD library for bench/blis-known.sh: makes
 * BLIS take the configuration named in GCSE_BLIS_ARCH (zen3, zen2, zen,
 * haswell, skx; anything else: generic) instead of the one its CPUID check
 * picks. Debian 12's BLIS 0.9 does not know newer CPUs (Zen 5) and runs its
 * generic kernels there, and its own BLIS_ARCH_TYPE override aborts for
 * every value; bli_arch_query_id is an exported symbol that BLIS's context
 * lookup calls through the PLT, so a preloaded one replaces it. This lets
 * one machine run the kernels BLIS would use on a CPU it knows (Zen 3 and
 * Zen 4: zen3) to compare them with OpenBLAS on the same cores. Only for
 * benchmarks: the CPU must have the configuration's instructions (AVX2 and
 * FMA for zen*, haswell; AVX-512 for skx). Not part of gcse. */
#include <blis.h>
#include <stdlib.h>
#include <string.h>

arch_t bli_arch_query_id(void)
{
	static const struct { const char *name; arch_t id; } map[] = {
		{"zen3", BLIS_ARCH_ZEN3}, {"zen2", BLIS_ARCH_ZEN2}, {"zen", BLIS_ARCH_ZEN},
		{"haswell", BLIS_ARCH_HASWELL}, {"skx", BLIS_ARCH_SKX}};
	const char *s = getenv("GCSE_BLIS_ARCH");
	for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(s, map[i].name))
			return map[i].id;
	return BLIS_ARCH_GENERIC;
}
