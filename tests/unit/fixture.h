/* fixture.h — read the PyTorch fixtures in tests/data/train/ (safetensors
 * files written by scripts/make-train-fixtures.py) from a unit test.
 *   st_file *f = fixture("loss.safetensors");   // NULL: a "#" line says why
 *   float *x = fx(f, "grad_a", &n);             // malloc'ed F32 copy, or NULL */
#ifndef GCSE_FIXTURE_H
#define GCSE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>

#include "nn/safetensors.h"

static char ferr[512];

static st_file *fixture(const char *name)
{
	const char *root = getenv("GCSE_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/%s", root && *root ? root : ".", name);
	st_file *f = st_open(path, ferr, sizeof ferr);
	if (!f)
		printf("#   %s: %s\n", path, ferr);
	return f;
}

static float *fx(st_file *f, const char *name, size_t *n)
{
	const st_tensor *t = st_find(f, name);
	if (!t)
		return NULL;
	float *x = calloc(t->numel ? t->numel : 1, sizeof *x);
	if (st_to_f32(f, t, x, ferr, sizeof ferr)) {
		free(x);
		return NULL;
	}
	if (n)
		*n = t->numel;
	return x;
}
#endif
