/* optim.c — Adam / AdamW, weight decay by tensor, linear warm-up schedule,
 * gradient clipping. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536   /* elements per parallel work item */

int adam_init(adam *o, size_t n)
{
	memset(o, 0, sizeof *o);
	o->n = n;
	o->m = calloc(n ? n : 1, sizeof(float));
	o->v = calloc(n ? n : 1, sizeof(float));
	o->beta1 = 0.9;
	o->beta2 = 0.999;
	o->eps = 1e-8;
	if (!o->m || !o->v) {
		adam_free(o);
		return -1;
	}
	return 0;
}

void adam_free(adam *o)
{
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
	o->n = 0;
}

void adam_begin_step(adam *o)
{
	o->t++;
}

/* Adam without weight decay on n elements: no branch in the loop, so that it
 * vectorises (sqrtf too: built with -fno-math-errno); the same operations
 * as the general loop below, so the same bits. */
static void adam_chunk(float *restrict p, const float *restrict g, float *restrict m,
                       float *restrict v, long n, float b1, float b2, float omb1, float omb2,
                       float step_size, float bc2_sqrt, float eps)
{
#pragma omp simd
	for (long i = 0; i < n; i++) {
		float mi = b1 * m[i] + omb1 * g[i];
		float vi = b2 * v[i] + omb2 * g[i] * g[i];
		m[i] = mi;
		v[i] = vi;
		p[i] = p[i] - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
	}
}

void adam_update_range(adam *o, float *params, const float *grads, double lr,
                       size_t lo, size_t hi, double wd)
{
	if (hi > o->n)
		hi = o->n;
	if (lo >= hi)
		return;
	const int64_t t = o->t > 0 ? o->t : 1;
	const float b1 = (float)o->beta1, b2 = (float)o->beta2;
	const float omb1 = (float)(1 - o->beta1), omb2 = (float)(1 - o->beta2);
	const double bc1 = 1 - pow(o->beta1, (double)t), bc2 = 1 - pow(o->beta2, (double)t);
	const float step_size = (float)(lr / bc1);
	const float bc2_sqrt = (float)sqrt(bc2);
	const float eps = (float)o->eps;
	const int decoupled = o->decoupled;
	const float fwd = (float)wd, decay = (float)(1 - lr * wd);
	float *m = o->m, *v = o->v;
	const long nchunks = (long)((hi - lo + CHUNK - 1) / CHUNK);
	#pragma omp parallel for schedule(static) if (hi - lo >= 2 * CHUNK)
	for (long c = 0; c < nchunks; c++) {
		size_t i0 = lo + (size_t)c * CHUNK;
		size_t i1 = i0 + CHUNK < hi ? i0 + CHUNK : hi;
		if (wd == 0) {
			adam_chunk(params + i0, grads + i0, m + i0, v + i0, (long)(i1 - i0), b1, b2, omb1, omb2,
			           step_size, bc2_sqrt, eps);
			continue;
		}
		for (size_t i = i0; i < i1; i++) {
			float p = params[i], g = grads[i];
			if (decoupled)
				p *= decay;
			else
				g += fwd * p;
			float mi = b1 * m[i] + omb1 * g;
			float vi = b2 * v[i] + omb2 * g * g;
			m[i] = mi;
			v[i] = vi;
			params[i] = p - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
		}
	}
}

void adam_step(adam *o, float *params, const float *grads, double lr)
{
	adam_begin_step(o);
	adam_update_range(o, params, grads, lr, 0, o->n, o->weight_decay);
}

int optim_decays(int kind)
{
	return kind == BERT_T_EMBEDDING || kind == BERT_T_MATRIX;
}

static int cmp_range(const void *a, const void *b)
{
	const decay_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int optim_decay_ranges(const bert_tensor *ts, int n, const float *base, size_t total, double wd,
                       decay_range *out)
{
	for (int i = 0; i < n; i++) {
		if (ts[i].data < base || (size_t)(ts[i].data - base) > total ||
		    ts[i].numel > total - (size_t)(ts[i].data - base))
			return -1;
		out[i].lo = (size_t)(ts[i].data - base);
		out[i].hi = out[i].lo + ts[i].numel;
		out[i].wd = optim_decays(ts[i].kind) ? wd : 0;
	}
	qsort(out, (size_t)n, sizeof *out, cmp_range);
	int k = 0;
	size_t end = 0;
	for (int i = 0; i < n; i++) {
		if (out[i].lo != end)
			return -1;   /* a gap or an overlap */
		end = out[i].hi;
		if (out[i].lo == out[i].hi)
			continue;
		if (k > 0 && out[k - 1].wd == out[i].wd)
			out[k - 1].hi = out[i].hi;
		else
			out[k++] = out[i];
	}
	return end == total ? k : -1;
}

void adam_step_ranges(adam *o, float *params, const float *grads, double lr, const decay_range *r,
                      int nr)
{
	adam_begin_step(o);
	for (int i = 0; i < nr; i++)
		adam_update_range(o, params, grads, lr, r[i].lo, r[i].hi, r[i].wd);
}

double lr_linear_warmup(double base, int64_t step, int64_t warmup, int64_t total)
{
	if (step < warmup)
		return base * (double)step / (double)(warmup > 1 ? warmup : 1);
	double den = (double)(total - warmup > 1 ? total - warmup : 1);
	double f = (double)(total - step) / den;
	return base * (f > 0 ? f : 0);
}

double grad_norm(const float *x, size_t n)
{
	const long nchunks = (long)((n + CHUNK - 1) / CHUNK);
	double part[64], total = 0;
	/* blocks of up to 64 chunks: partial sums in parallel, added in order */
	for (long c0 = 0; c0 < nchunks; c0 += 64) {
		long nc = nchunks - c0 < 64 ? nchunks - c0 : 64;
		#pragma omp parallel for schedule(static) if (nc > 1)
		for (long c = 0; c < nc; c++) {
			size_t i0 = (size_t)(c0 + c) * CHUNK;
			size_t i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
			double s = 0;
			for (size_t i = i0; i < i1; i++)
				s += (double)x[i] * x[i];
			part[c] = s;
		}
		for (long c = 0; c < nc; c++)
			total += part[c];
	}
	return sqrt(total);
}

double grad_clip_norm(float *grads, size_t n, double max_norm)
{
	double total = grad_norm(grads, n);
	double c = max_norm / (total + 1e-6);
	if (max_norm > 0 && c < 1) {
		float coef = (float)c;
		#pragma omp parallel for schedule(static) if (n >= 2 * CHUNK)
		for (long i = 0; i < (long)n; i++)
			grads[i] *= coef;
	}
	return total;
}
