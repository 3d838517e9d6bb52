/* fixture.h — read the PyTorch fixtures in tests/data/train/ (safetensors
 * files written by scripts/make-train-fixtures.py) from a unit test.
 *   st_file *f = fixture("loss.safetensors");   // NULL: a "#" line says why
 *   float *x = fx(f, "grad_a", &n);             // malloc'ed F32 copy, or NULL
 *   int *ids = fx_ints(f, "input_ids", &n);     // malloc'ed int copy of an integer tensor, or NULL
 *   double v = fx_double(f, "loss", 0);         // element i of an F64 tensor, NaN if absent
 *   bert_model *m = fixture_model();            // tests/data/train/tiny-model, or NULL
 *   int n = fx_encoder(&cfg, &params, ts);      // the encoder's tensors with their names
 *   bad = fx_compare(f, ts, n, "grad", 1e-4);   // each against "grad.NAME": how many are off
 * (everything but fixture and fx is inline: a test that does not call it gets
 * no unused-function warning.) */
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
/* One of our tensors with its fixture name (PREFIX.name in the file). */
typedef struct fx_tensor { char name[128]; const float *data; size_t numel; } fx_tensor;

/* The encoder's tensors (bert_tensors' names and order) into out, which has
 * room for bert_num_tensors(c); their number. */
static inline int fx_encoder(const bert_config *c, const bert_params *p, fx_tensor *out)
{
	int n = bert_num_tensors(c);
	bert_tensor *ts = malloc((size_t)n * sizeof *ts);
	bert_tensors(c, p, ts);
	for (int i = 0; i < n; i++) {
		snprintf(out[i].name, sizeof out[i].name, "%s", ts[i].name);
		out[i].data = ts[i].data;
		out[i].numel = ts[i].numel;
	}
	free(ts);
	return n;
}

/* Each tensor against PREFIX.NAME in f: max |x - ref| / max(max |ref|,
 * floor), the floor a millionth of the largest |ref| of them all (it
 * covers tensors that are 0 in exact arithmetic: an unused pooler's
 * gradient, torch's key-bias gradient of 1e-17). Prints one line per tensor
 * over tol and one with the worst; returns how many are over tol or missing
 * from f or of another size there. */
static inline int fx_compare(st_file *f, const fx_tensor *ts, int n, const char *prefix, double tol)
{
	double floor = 0, worst = 0;
	const char *wname = "";
	int bad = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			char key[200];
			snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
			size_t k = 0;
			float *ref = fx(f, key, &k);
			if (!ref || k != ts[i].numel) {
				if (pass) {
					printf("#   %s missing or of another size\n", key);
					bad++;
				}
			} else if (!pass) {
				floor = fmax(floor, 1e-6 * maxabs(ref, k));
			} else {
				double md = 0;
				for (size_t j = 0; j < k; j++) {
					double d = fabs((double)ts[i].data[j] - ref[j]);
					md = d > md || d != d ? d : md;
				}
				double e = md / fmax(maxabs(ref, k), floor);
				if (!(e <= tol)) {
					printf("#   %s: rel err %.3g > %g\n", key, e, tol);
					bad++;
				}
				if (!(e <= worst)) {
					worst = e;
					wname = ts[i].name;
				}
			}
			free(ref);
		}
	printf("# %s: %d tensors, worst rel err %.3g (%s)\n", prefix, n, worst, wname);
	return bad;
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
