/* fixture.h — read the PyTorch fixtures in tests/data/train/ (safetensors
 * files written by scripts/make-train-fixtures.py) from a unit test.
 *   st_file *f = fixture("loss.safetensors");   // NULL: a "#" line says why
 *   float *x = fx(f, "grad_a", &n);             // malloc'ed F32 copy, or NULL
 *   int *ids = fx_ints(f, "input_ids", &n);     // malloc'ed int copy of an integer tensor, or NULL
 *   double v = fx_double(f, "loss", 0);         // element i of an F64 tensor, NaN if absent
 *   bert_model *m = fixture_model();            // tests/data/train/tiny-model, or NULL
 * (fx_ints, fx_double, maxabs and fixture_model are inline: a test that does not call them
 * gets no unused-function warning.) */
#ifndef GCSE_FIXTURE_H
#define GCSE_FIXTURE_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
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
static inline int *fx_ints(st_file *f, const char *name, size_t *n)
{
	const st_tensor *t = st_find(f, name);
	int64_t *v = t ? malloc((t->numel ? t->numel : 1) * sizeof *v) : NULL;
	if (!v || st_to_i64(f, t, v, ferr, sizeof ferr)) {
		free(v);
		return NULL;
	}
	int *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
	for (size_t i = 0; i < t->numel; i++)
		x[i] = (int)v[i];
	free(v);
	if (n)
		*n = t->numel;
	return x;
}

static inline double fx_double(st_file *f, const char *name, int i)
{
	const st_tensor *t = st_find(f, name);
	double v = NAN;
	if (t && t->dtype == ST_F64 && (size_t)i < t->numel)
		memcpy(&v, f->data + t->begin + (size_t)i * 8, 8);
	return v;
}

/* max |x[i]| */
static inline double maxabs(const float *x, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fmax(m, fabs((double)x[i]));
	return m;
}
/* The tiny model of the training fixtures (tests/data/train/tiny-model);
 * NULL with a "#" line saying why. */
static inline bert_model *fixture_model(void)
{
	const char *root = getenv("GCSE_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-model", root && *root ? root : ".");
	bert_model *m = model_load(path, ferr, sizeof ferr);
	if (!m)
		printf("#   %s: %s\n", path, ferr);
	return m;
}
#endif
