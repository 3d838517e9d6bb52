/* wnfixture.h — the committed WordNet fixture (tests/data/wordnet, made by
 * tests/data/wordnet/make-fixture.py) for the unit tests of the KG code.
 *   wordnet *wn = wn_fixture_load();   // in main; NULL: "not ok" printed
 *   if (!wn) return 1; */
#ifndef GCSE_WNFIXTURE_H
#define GCSE_WNFIXTURE_H
#include <stdio.h>
#include <stdlib.h>

#include "kg/wordnet.h"

/* Its directory: under $GCSE_ROOT, else under the current directory. */
static inline const char *wn_fixture(void)
{
	static char path[4096];
	const char *root = getenv("GCSE_ROOT");
	snprintf(path, sizeof path, "%s/tests/data/wordnet", root && *root ? root : ".");
	return path;
}

/* The fixture loaded, or NULL after a "not ok - load fixture: why" line. */
static inline wordnet *wn_fixture_load(void)
{
	char err[512];
	wordnet *wn = wn_load(wn_fixture(), err, sizeof err);
	if (!wn)
		printf("not ok - load fixture: %s\n", err);
	return wn;
}
#endif
