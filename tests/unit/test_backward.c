/* test_backward.c — every backward kernel against (1) central finite
 * differences of a double-precision forward, (2) its naive reference,
 * (3) PyTorch autograd (tests/data/train/layers.safetensors, written by
 * scripts/make-train-fixtures.py), and (4) itself under another thread count
 * (bitwise). The objective is L = sum(dout * forward(inputs)). */
#include "t.h"
#include "frand.h"
#include "nn/dropout.h"
#include "nn/bert.h"
#include "nn/layers.h"
#include "nn/safetensors.h"
#include "base/gemm.h"

#include <omp.h>
#include <stdint.h>

static float *zvec(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}
/* max |x - ref| / max |ref| */
static double relerr(const float *x, const double *ref, size_t n)
{
	double md = 0, mr = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)x[i] - ref[i]);
		md = d > md || d != d ? d : md;
		mr = fmax(mr, fabs(ref[i]));
	}
	return md / (mr > 0 ? mr : 1);
}
static double relerr_f(const float *x, const float *ref, size_t n)
{
	double *r = malloc((n ? n : 1) * sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = ref[i];
	double e = relerr(x, r, n);
	free(r);
	return e;
}

/* ---- finite differences ---------------------------------------------------
 * fd_grad: the gradient of obj with respect to the float array x (n), by
 * central differences of obj evaluated in double on a double copy. */
typedef double (*objective)(void *ctx);
typedef struct fdvar {
	double *x;     /* the double inputs obj reads */
	size_t n;
} fdvar;

static double *fd_grad(objective obj, void *ctx, fdvar v)
{
	double *g = malloc(v.n * sizeof *g);
	for (size_t i = 0; i < v.n; i++) {
		double x0 = v.x[i], h = 1e-5 * fmax(1.0, fabs(x0));
		v.x[i] = x0 + h;
		double lp = obj(ctx);
		v.x[i] = x0 - h;
		double lm = obj(ctx);
		v.x[i] = x0;
		g[i] = (lp - lm) / (2 * h);
	}
	return g;
}
static double *to_d(const float *x, size_t n)
{
	double *d = malloc((n ? n : 1) * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	return d;
}

#define CHECK_REL(name, got, ref, n, tol) do { \
	double e_ = relerr(got, ref, n); \
	printf("# %-28s rel err %.3g\n", name, e_); \
	T_ASSERT(e_ <= (tol)); } while (0)

/* ---- layer norm ---------------------------------------------------------- */
typedef struct { int N, C; double *x, *w, *b; const float *dout; } ln_ctx;
static double ln_obj(void *p)
{
	ln_ctx *c = p;
	double L = 0;
	for (int r = 0; r < c->N; r++) {
		const double *x = c->x + (size_t)r * c->C;
		double m = 0, v = 0;
		for (int k = 0; k < c->C; k++)
			m += x[k];
		m /= c->C;
		for (int k = 0; k < c->C; k++)
			v += (x[k] - m) * (x[k] - m);
		v /= c->C;
		double s = 1 / sqrt(v + 1e-12);
		for (int k = 0; k < c->C; k++)
			L += c->dout[(size_t)r * c->C + k] * ((x[k] - m) * s * c->w[k] + c->b[k]);
	}
	return L;
}

static void test_layernorm_fd(void)
{
	int B = 3, T = 4, C = 19, N = B * T;
	float *x = rvec((size_t)N * C, 2.0f), *w = rvec(C, 1.0f), *b = rvec(C, 0.5f);
	float *dout = rvec((size_t)N * C, 1.0f), *out = zvec((size_t)N * C);
	float *mean = zvec(N), *rstd = zvec(N);
	for (int i = 0; i < N * C; i++)
		x[i] += 0.3f;
	layernorm_forward(out, mean, rstd, x, w, b, B, T, C, 1e-12f);
	float *dx = zvec((size_t)N * C), *dw = zvec(C), *db = zvec(C);
	layernorm_backward(dx, dw, db, dout, x, w, mean, rstd, B, T, C);
	ln_ctx c = {N, C, to_d(x, (size_t)N * C), to_d(w, C), to_d(b, C), dout};
	double *gx = fd_grad(ln_obj, &c, (fdvar){c.x, (size_t)N * C});
	double *gw = fd_grad(ln_obj, &c, (fdvar){c.w, C});
	double *gb = fd_grad(ln_obj, &c, (fdvar){c.b, C});
	CHECK_REL("layernorm dinp (fd)", dx, gx, (size_t)N * C, 1e-4);
	CHECK_REL("layernorm dweight (fd)", dw, gw, C, 1e-4);
	CHECK_REL("layernorm dbias (fd)", db, gb, C, 1e-4);
	/* naive reference */
	float *nx = zvec((size_t)N * C), *nw = zvec(C), *nb = zvec(C);
	layernorm_backward_naive(nx, nw, nb, dout, x, w, mean, rstd, B, T, C);
	T_ASSERT(relerr_f(dx, nx, (size_t)N * C) < 1e-5);
	T_ASSERT(relerr_f(dw, nw, C) < 1e-5 && relerr_f(db, nb, C) < 1e-5);
	/* accumulates */
	layernorm_backward(dx, dw, db, dout, x, w, mean, rstd, B, T, C);
	T_NEAR(dw[3], 2 * nw[3], 1e-5 * fmax(1, fabs(nw[3])));
	T_NEAR(dx[7], 2 * nx[7], 1e-5 * fmax(1, fabs(nx[7])));
	free(x); free(w); free(b); free(dout); free(out); free(mean); free(rstd);
	free(dx); free(dw); free(db); free(nx); free(nw); free(nb);
	free(c.x); free(c.w); free(c.b); free(gx); free(gw); free(gb);
}

/* ---- matmul -------------------------------------------------------------- */
typedef struct { int N, C, OC; double *x, *W, *b; const float *dout; } mm_ctx;
static double mm_obj(void *p)
{
	mm_ctx *c = p;
	double L = 0;
	for (int r = 0; r < c->N; r++)
		for (int o = 0; o < c->OC; o++) {
			double y = c->b[o];
			for (int k = 0; k < c->C; k++)
				y += c->x[(size_t)r * c->C + k] * c->W[(size_t)o * c->C + k];
			L += c->dout[(size_t)r * c->OC + o] * y;
		}
	return L;
}

static void test_matmul_fd(void)
{
	int B = 2, T = 5, C = 13, OC = 17, N = B * T;
	float *x = rvec((size_t)N * C, 1), *W = rvec((size_t)OC * C, 0.5f), *b = rvec(OC, 0.2f);
	float *dout = rvec((size_t)N * OC, 1);
	float *dx = zvec((size_t)N * C), *dW = zvec((size_t)OC * C), *db = zvec(OC);
	matmul_backward(dx, dW, db, dout, x, W, B, T, C, OC);
	mm_ctx c = {N, C, OC, to_d(x, (size_t)N * C), to_d(W, (size_t)OC * C), to_d(b, OC), dout};
	double *gx = fd_grad(mm_obj, &c, (fdvar){c.x, (size_t)N * C});
	double *gW = fd_grad(mm_obj, &c, (fdvar){c.W, (size_t)OC * C});
	double *gb = fd_grad(mm_obj, &c, (fdvar){c.b, OC});
	CHECK_REL("matmul dinp (fd)", dx, gx, (size_t)N * C, 1e-4);
	CHECK_REL("matmul dweight (fd)", dW, gW, (size_t)OC * C, 1e-4);
	CHECK_REL("matmul dbias (fd)", db, gb, OC, 1e-4);
	float *nx = zvec((size_t)N * C), *nW = zvec((size_t)OC * C), *nb = zvec(OC);
	matmul_backward_naive(nx, nW, nb, dout, x, W, B, T, C, OC);
	T_ASSERT(relerr_f(dx, nx, (size_t)N * C) < 1e-5);
	T_ASSERT(relerr_f(dW, nW, (size_t)OC * C) < 1e-5 && relerr_f(db, nb, OC) < 1e-5);
	/* NULL dinp and dbias: only the weight gradient, accumulated */
	matmul_backward(NULL, dW, NULL, dout, x, W, B, T, C, OC);
	T_NEAR(dW[5], 2 * nW[5], 1e-5 * fmax(1, fabs(nW[5])));
	free(x); free(W); free(b); free(dout); free(dx); free(dW); free(db);
	free(nx); free(nW); free(nb); free(c.x); free(c.W); free(c.b); free(gx); free(gW); free(gb);
}

/* ---- softmax ------------------------------------------------------------- */
typedef struct { int n; double *x; const int *mask; const float *dout; } sm_ctx;
static double sm_obj(void *p)
{
	sm_ctx *c = p;
	double mx = -INFINITY, s = 0, L = 0;
	for (int j = 0; j < c->n; j++)
		if (c->mask[j])
			mx = fmax(mx, c->x[j]);
	for (int j = 0; j < c->n; j++)
		if (c->mask[j])
			s += exp(c->x[j] - mx);
	for (int j = 0; j < c->n; j++)
		if (c->mask[j])
			L += c->dout[j] * exp(c->x[j] - mx) / s;
	return L;
}

static void test_softmax_fd(void)
{
	for (int n = 1; n <= 21; n += 4) {
		float *x = rvec(n, 3), *dout = rvec(n, 1), *pr = zvec(n), *dx = zvec(n), *nx = zvec(n);
		int *mask = malloc(n * sizeof *mask);
		for (int j = 0; j < n; j++)
			mask[j] = j == 0 || j % 3 != 1;
		softmax_forward(pr, x, mask, n);
		softmax_backward(dx, dout, pr, n);
		softmax_backward_naive(nx, dout, pr, n);
		sm_ctx c = {n, to_d(x, n), mask, dout};
		double *g = fd_grad(sm_obj, &c, (fdvar){c.x, n});
		T_ASSERT(relerr(dx, g, n) <= 1e-4);
		T_ASSERT(relerr_f(dx, nx, n) <= 1e-5);
		for (int j = 0; j < n; j++)
			if (!mask[j])
				T_ASSERT(dx[j] == 0.0f);
		free(x); free(dout); free(pr); free(dx); free(nx); free(mask); free(c.x); free(g);
	}
}

/* ---- GELU ---------------------------------------------------------------- */
typedef struct { long n; double *x; const float *dout; } ge_ctx;
static double ge_obj(void *p)
{
	ge_ctx *c = p;
	double L = 0;
	for (long i = 0; i < c->n; i++)
		L += c->dout[i] * 0.5 * c->x[i] * (1 + erf(c->x[i] / sqrt(2.0)));
	return L;
}

static void test_gelu_fd(void)
{
	long n = 301;
	float *x = rvec(n, 6), *dout = rvec(n, 1), *dx = zvec(n), *nx = zvec(n);
	x[0] = 0; x[1] = -20; x[2] = 20; x[3] = -5.5f;
	gelu_backward(dx, x, dout, n);
	gelu_backward_naive(nx, x, dout, n);
	ge_ctx c = {n, to_d(x, n), dout};
	double *g = fd_grad(ge_obj, &c, (fdvar){c.x, n});
	CHECK_REL("gelu (fd)", dx, g, n, 1e-4);
	T_ASSERT(relerr_f(dx, nx, n) <= 1e-6);
	/* elementwise: each derivative right, not only the largest */
	for (long i = 0; i < n; i++)
		T_NEAR(dx[i], g[i], 1e-5 + 1e-4 * fabs(g[i]));
	free(x); free(dout); free(dx); free(nx); free(c.x); free(g);
}

/* gelu' over [-12, 12] against double, and the same bits whether an element
 * falls in the vector body or in the scalar tail. */
static void test_gelu_grad_accuracy_and_tails(void)
{
	long n = 24001;
	float *x = malloc(n * sizeof *x), *one = malloc(n * sizeof *one), *g = zvec(n), *g2 = zvec(n + 1);
	for (long i = 0; i < n; i++) {
		x[i] = (float)(-12.0 + 1e-3 * i);
		one[i] = 1.0f;
	}
	gelu_backward(g, x, one, n);
	double worst = 0;
	for (long i = 0; i < n; i++) {
		double v = x[i], ref = 0.5 * (1 + erf(v / sqrt(2.0))) + v * exp(-0.5 * v * v) / sqrt(2 * M_PI);
		worst = fmax(worst, fabs(g[i] - ref));
	}
	printf("# gelu': max abs error %.3g\n", worst);
	T_ASSERT(worst < 5e-7);
	float *xs = malloc((n + 1) * sizeof *xs), *ones = malloc((n + 1) * sizeof *ones);
	xs[0] = 0;
	memcpy(xs + 1, x, n * sizeof *x);
	for (long i = 0; i <= n; i++)
		ones[i] = 1.0f;
	gelu_backward(g2, xs, ones, n + 1);
	T_ASSERT(!memcmp(g, g2 + 1, n * sizeof *g));
	free(x); free(one); free(g); free(g2); free(xs); free(ones);
}

/* ---- attention ----------------------------------------------------------- */
typedef struct {
	int B, T, C, NH;
	double *inp;
	const int *mask;
	const uint8_t *drop;   /* NULL: no dropout */
	float p;
	const float *dout;     /* (B,T,C), or (R,C) with rows */
	int rows;              /* only R query rows (attention_rows_*): drop bits indexed (r,h,j) */
	const int *qpos;       /* with rows: their flat positions (NULL: the [CLS] rows) */
	int R;
} at_ctx;
static double at_obj(void *pv)
{
	at_ctx *c = pv;
	int hs = c->C / c->NH, C3 = 3 * c->C, T = c->T;
	double L = 0, *a = malloc(T * sizeof *a);
	double ks = 1.0 / (1.0 - (double)c->p);
	int nq = c->rows ? c->R : c->B * T;
	for (int r = 0; r < nq; r++) {
		int pos = !c->rows ? r : c->qpos ? c->qpos[r] : r * T, b = pos / T, i = pos % T;
		for (int h = 0; h < c->NH; h++) {
			const double *q = c->inp + (size_t)pos * C3 + h * hs;
			double mx = -INFINITY, s = 0;
			int any = 0;
			for (int j = 0; j < T; j++) {
				const double *k = c->inp + ((size_t)b * T + j) * C3 + c->C + h * hs;
				double d = 0;
				for (int e = 0; e < hs; e++)
					d += q[e] * k[e];
				a[j] = d / sqrt((double)hs);
				if (c->mask[b * T + j]) {
					mx = fmax(mx, a[j]);
					any = 1;
				}
			}
			for (int j = 0; j < T; j++) {
				a[j] = c->mask[b * T + j] ? exp(a[j] - mx) : 0;
				s += a[j];
			}
			for (int j = 0; j < T; j++) {
				a[j] = any ? a[j] / s : 0;
				if (c->drop) {
					size_t idx = c->rows ? ((size_t)r * c->NH + h) * T + j
					                     : (((size_t)b * c->NH + h) * T + i) * T + j;
					a[j] *= (c->drop[idx / 8] >> (idx % 8) & 1) ? ks : 0;
				}
			}
			for (int e = 0; e < hs; e++) {
				double o = 0;
				for (int j = 0; j < T; j++)
					o += a[j] * c->inp[((size_t)b * T + j) * C3 + 2 * c->C + h * hs + e];
				L += c->dout[(size_t)r * c->C + h * hs + e] * o;
			}
		}
	}
	free(a);
	return L;
}

static void attention_case(float p)
{
	int B = 3, T = 6, C = 12, NH = 3;
	size_t n3 = (size_t)B * T * 3 * C, n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
	float *inp = rvec(n3, 1.5f), *dout = rvec(n, 1), *out = zvec(n), *att = zvec(na);
	float *kt = zvec(n3), *attd = zvec(na), *dinp = zvec(n3), *ninp = zvec(n3);
	float *datt = zvec(attention_backward_scratch(B, T, C, NH));
	uint8_t *drop = calloc(dropout_mask_bytes(na), 1);
	int mask[18] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0};
	attention_forward(out, att, kt, inp, mask, B, T, C, NH);
	attention_dropout_forward(out, drop, attd, att, inp, mask, p, 77, B, T, C, NH);
	attention_backward(dinp, datt, dout, inp, att, p > 0 ? drop : NULL, p, mask, B, T, C, NH);
	attention_backward_naive(ninp, dout, inp, att, p > 0 ? drop : NULL, p, mask, B, T, C, NH);
	at_ctx c = {B, T, C, NH, to_d(inp, n3), mask, p > 0 ? drop : NULL, p, dout, 0, NULL, 0};
	/* the forward output agrees with the double forward */
	double L = 0;
	for (size_t i = 0; i < n; i++)
		L += (double)dout[i] * out[i];
	T_NEAR(L, at_obj(&c), 1e-4 * fmax(1, fabs(L)));
	double *g = fd_grad(at_obj, &c, (fdvar){c.inp, n3});
	CHECK_REL(p > 0 ? "attention+dropout (fd)" : "attention (fd)", dinp, g, n3, 1e-4);
	T_ASSERT(relerr_f(dinp, ninp, n3) < 1e-5);
	if (p > 0) {   /* the dropout really dropped some and kept most */
		size_t kept = 0;
		for (size_t i = 0; i < na; i++)
			kept += drop[i / 8] >> (i % 8) & 1;
		T_ASSERT(kept > na / 2 && kept < na);
	}
	free(inp); free(dout); free(out); free(att); free(kt); free(attd); free(datt);
	free(dinp); free(ninp); free(drop); free(c.inp); free(g);
}
static void test_attention_fd(void) { attention_case(0.0f); }
static void test_attention_dropout_fd(void) { attention_case(0.3f); }

/* The attention of some query rows only (attention_rows_*): the [CLS] rows
 * (qpos NULL) or any ascending positions (masked-LM's); forward equals those
 * rows of attention_forward bit for bit, backward equals finite differences
 * (with and without dropout) and, without dropout, attention_backward with
 * dout on those rows only. */
static void attention_rows_case(float p, const int *qpos, int R)
{
	int B = 3, T = 7, C = 12, NH = 3;
	size_t n3 = (size_t)B * T * 3 * C, n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
	size_t nr = (size_t)R * NH * T;
	float *inp = rvec(n3, 1.5f), *dout = rvec((size_t)R * C, 1), *out = zvec(n), *att = zvec(na);
	float *kt = zvec(n3), *orow = zvec((size_t)R * C), *arow = zvec(nr), *attd = zvec(nr);
	float *dinp = zvec(n3);
	uint8_t *drop = calloc(dropout_mask_bytes(nr), 1);
	int mask[21] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0};
	attention_forward(out, att, kt, inp, mask, B, T, C, NH);
	attention_rows_forward(orow, arow, drop, attd, kt, inp, mask, p, 99, qpos, R, B, T, C, NH);
	if (p == 0)   /* those rows of attention_forward, bit for bit */
		for (int r = 0; r < R; r++) {
			int pos = qpos ? qpos[r] : r * T, b = pos / T, i = pos % T;
			T_ASSERT(!memcmp(orow + (size_t)r * C, out + (size_t)pos * C, C * sizeof *out));
			for (int h = 0; h < NH; h++)
				T_ASSERT(!memcmp(arow + ((size_t)r * NH + h) * T,
				                 att + (((size_t)b * NH + h) * T + i) * T, T * sizeof *att));
		}
	attention_rows_backward(dinp, dout, inp, arow, p > 0 ? drop : NULL, p, mask, qpos, R, B, T, C, NH);
	at_ctx c = {B, T, C, NH, to_d(inp, n3), mask, p > 0 ? drop : NULL, p, dout, 1, qpos, R};
	double L = 0;
	for (size_t i = 0; i < (size_t)R * C; i++)
		L += (double)dout[i] * orow[i];
	T_NEAR(L, at_obj(&c), 1e-4 * fmax(1, fabs(L)));
	double *g = fd_grad(at_obj, &c, (fdvar){c.inp, n3});
	CHECK_REL(p > 0 ? "attention rows+dropout (fd)" : "attention rows (fd)", dinp, g, n3, 1e-4);
	/* the general backward with dout only on those rows agrees (no dropout) */
	if (p == 0) {
		float *dfull = zvec(n), *g2 = zvec(n3), *datt = zvec(attention_backward_scratch(B, T, C, NH));
		for (int r = 0; r < R; r++)
			memcpy(dfull + (size_t)(qpos ? qpos[r] : r * T) * C, dout + (size_t)r * C, C * sizeof *dfull);
		attention_backward(g2, datt, dfull, inp, att, NULL, 0, mask, B, T, C, NH);
		T_ASSERT(relerr_f(dinp, g2, n3) < 1e-5);
		free(dfull); free(g2); free(datt);
	}
	free(inp); free(dout); free(out); free(att); free(kt); free(orow); free(arow); free(attd);
	free(dinp); free(drop); free(c.inp); free(g);
}
/* rows of masked-LM: several in one sequence, none in another, one on padding */
static const int some_rows[] = {1, 2, 6, 15, 16, 19};
static void test_attention_cls(void) { attention_rows_case(0.0f, NULL, 3); }
static void test_attention_cls_dropout(void) { attention_rows_case(0.25f, NULL, 3); }
static void test_attention_rows(void) { attention_rows_case(0.0f, some_rows, 6); }
static void test_attention_rows_dropout(void) { attention_rows_case(0.25f, some_rows, 6); }

/* ---- embeddings and residuals ------------------------------------------- */
static void test_embeddings(void)
{
	int B = 3, T = 7, C = 70, V = 9, maxT = 10, N = B * T;
	int ids[21];
	for (int i = 0; i < N; i++)
		ids[i] = (i * 5) % V;
	ids[4] = ids[11] = ids[19] = 2;
	float *dout = rvec((size_t)N * C, 1);
	float *we = zvec((size_t)V * C), *pe = zvec((size_t)maxT * C), *te = zvec(2 * C);
	float *nwe = zvec((size_t)V * C), *npe = zvec((size_t)maxT * C), *nte = zvec(2 * C);
	embeddings_backward(we, pe, te, dout, ids, B, T, C);
	embeddings_backward_naive(nwe, npe, nte, dout, ids, B, T, C);
	/* same row order: bitwise equal tables, sums equal to rounding */
	T_ASSERT(!memcmp(we, nwe, (size_t)V * C * sizeof *we));
	T_ASSERT(!memcmp(pe, npe, (size_t)maxT * C * sizeof *pe));
	T_ASSERT(relerr_f(te, nte, 2 * C) < 1e-6);
	/* rows past T of the position table and type row 1 untouched */
	for (int c = 0; c < C; c++)
		T_ASSERT(pe[(size_t)8 * C + c] == 0 && te[C + c] == 0);
	/* a direct double check of one repeated row */
	for (int c = 0; c < C; c += 13) {
		double s = 0;
		for (int r = 0; r < N; r++)
			if (ids[r] == 2)
				s += dout[(size_t)r * C + c];
		T_NEAR(we[2 * C + c], s, 1e-5);
	}
	free(dout); free(we); free(pe); free(te); free(nwe); free(npe); free(nte);
}

static void test_residuals(void)
{
	int N = 5, C = 70;
	size_t n = (size_t)N * C;
	float *dout = rvec(n, 1), *a = rvec(n, 1), *b = rvec(n, 1), *a0 = malloc(n * 4), *b0 = malloc(n * 4);
	memcpy(a0, a, n * 4);
	memcpy(b0, b, n * 4);
	residual_backward(a, b, dout, (long)n);
	for (size_t i = 0; i < n; i++)
		T_ASSERT(a[i] == a0[i] + dout[i] && b[i] == b0[i] + dout[i]);
	float *db = zvec(C);
	bias_residual_backward(a, NULL, db, dout, N, C);
	for (int c = 0; c < C; c++) {
		double s = 0;
		for (int r = 0; r < N; r++)
			s += dout[(size_t)r * C + c];
		T_NEAR(db[c], s, 1e-5);
	}
	T_ASSERT(a[3] == (a0[3] + dout[3]) + dout[3]);
	free(dout); free(a); free(b); free(a0); free(b0); free(db);
}

/* The fused bias + dropout + residual equals the three kernels, bit for bit
 * (mask bits included), on the serial and the parallel path. */
static void test_bias_dropout_residual(void)
{
	int shapes[2][2] = {{7, 13}, {700, 101}};   /* 91 and 70700 elements */
	for (int k = 0; k < 2; k++) {
		int N = shapes[k][0], C = shapes[k][1];
		size_t n = (size_t)N * C, nb = dropout_mask_bytes(n);
		float *y = rvec(n, 1), *b = rvec(C, 1), *res = rvec(n, 1), *o1 = zvec(n), *o2 = zvec(n);
		float *t = zvec(n);
		uint8_t *b1 = calloc(nb, 1), *b2 = calloc(nb, 1);
		bias_dropout_residual_forward(o1, b1, y, b, res, 0.3f, 1234, N, C);
		for (size_t i = 0; i < n; i++)
			t[i] = y[i] + b[i % C];
		dropout_forward(t, b2, t, n, 0.3f, 1234);
		residual_forward(o2, t, res, (int)n);
		T_ASSERT(!memcmp(o1, o2, n * sizeof *o1));
		T_ASSERT(!memcmp(b1, b2, nb));
		bias_dropout_residual_forward(o1, NULL, y, b, res, 0.0f, 1234, N, C);
		bias_residual_forward(o2, res, y, b, N, C);
		T_ASSERT(!memcmp(o1, o2, n * sizeof *o1));
		free(y); free(b); free(res); free(o1); free(o2); free(t); free(b1); free(b2);
	}
}

/* ---- pooling ------------------------------------------------------------- */
typedef struct { int B, T, C, kind; double *h; const int *mask; const float *dout; } po_ctx;
static double po_obj(void *p)
{
	po_ctx *c = p;
	float *hf = malloc((size_t)c->B * c->T * c->C * sizeof *hf), *o = malloc((size_t)c->B * c->C * sizeof *o);
	for (size_t i = 0; i < (size_t)c->B * c->T * c->C; i++)
		hf[i] = (float)c->h[i];
	if (c->kind == 0)
		pool_cls_forward(o, hf, c->B, c->T, c->C);
	else if (c->kind == 1)
		pool_mean_forward(o, hf, c->mask, c->B, c->T, c->C);
	else
		pool_max_forward(o, hf, c->mask, c->B, c->T, c->C);
	double L = 0;
	for (size_t i = 0; i < (size_t)c->B * c->C; i++)
		L += (double)c->dout[i] * o[i];
	free(hf);
	free(o);
	return L;
}

/* The pooling backward against finite differences of the float forwards of
 * bert.h (exact for these piecewise-linear maps: steps of 1/64 are exact in
 * float, and no maximum is within a step of another; the mean sums in
 * float, so 2e-5 there). */
static void test_pooling(void)
{
	int B = 3, T = 5, C = 6;
	size_t n = (size_t)B * T * C;
	int mask[15] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0};
	float *h = malloc(n * sizeof *h), *dout = rvec((size_t)B * C, 1);
	for (size_t i = 0; i < n; i++)   /* distinct values, 1/4 apart */
		h[i] = (float)(((i * 37) % n) * 0.25 - 10);
	for (int kind = 0; kind < 3; kind++) {
		float *dh = zvec(n);
		if (kind == 0)
			pool_cls_backward(dh, dout, B, T, C);
		else if (kind == 1)
			pool_mean_backward(dh, dout, mask, B, T, C);
		else
			pool_max_backward(dh, dout, h, mask, B, T, C);
		po_ctx c = {B, T, C, kind, to_d(h, n), mask, dout};
		double *g = malloc(n * sizeof *g);
		for (size_t i = 0; i < n; i++) {
			double x0 = c.h[i];
			c.h[i] = x0 + 1.0 / 64;
			double lp = po_obj(&c);
			c.h[i] = x0 - 1.0 / 64;
			double lm = po_obj(&c);
			c.h[i] = x0;
			g[i] = (lp - lm) * 32;
		}
		if (relerr(dh, g, n) > 2e-5)
			printf("#   pooling kind %d: rel err %.3g\n", kind, relerr(dh, g, n));
		T_ASSERT(relerr(dh, g, n) <= (kind == 1 ? 2e-5 : 1e-6));   /* mean: float sums */
		free(dh); free(c.h); free(g);
	}
	free(h); free(dout);
}

/* ---- bitwise independence from the thread count -------------------------- */
static void set_threads(int n)
{
	omp_set_num_threads(n);
	gemm_set_threads(n);
}

static void test_thread_independence(void)
{
	int B = 8, T = 24, C = 96, NH = 4, OC = 160, V = 50, N = B * T;
	size_t nc = (size_t)N * C, n3 = nc * 3, na = (size_t)B * NH * T * T;
	float *x = rvec(nc, 1), *w = rvec(C, 1), *bb = rvec(C, 1), *W = rvec((size_t)OC * C, 0.3f);
	float *doc = rvec((size_t)N * OC, 1), *dout = rvec(nc, 1), *inp = rvec(n3, 1);
	float *mean = zvec(N), *rstd = zvec(N), *tmp = zvec(n3), *att = zvec(na), *kt = zvec(n3);
	int *mask = malloc(N * sizeof *mask), *ids = malloc(N * sizeof *ids);
	for (int i = 0; i < N; i++) {
		mask[i] = i % T < T - (i / T) % 5;
		ids[i] = (i * 7) % V;
	}
	layernorm_forward(tmp, mean, rstd, x, w, bb, B, T, C, 1e-12f);
	attention_forward(tmp, att, kt, inp, mask, B, T, C, NH);
	uint8_t *drop = malloc(dropout_mask_bytes(na));
	float *attd = zvec(na);
	attention_dropout_forward(tmp, drop, attd, att, inp, mask, 0.1f, 5, B, T, C, NH);
	float *res[2][8];
	size_t sz[8] = {nc, C, C, nc, (size_t)OC * C, OC, n3, (size_t)V * C};
	for (int k = 0; k < 2; k++) {
		set_threads(k ? 2 : 1);
		for (int i = 0; i < 8; i++)
			res[k][i] = zvec(sz[i]);
		float *datt = zvec(attention_backward_scratch(B, T, C, NH)), *dpe = zvec((size_t)T * C), *dte = zvec(2 * C);
		layernorm_backward(res[k][0], res[k][1], res[k][2], dout, x, w, mean, rstd, B, T, C);
		matmul_backward(res[k][3], res[k][4], res[k][5], doc, x, W, B, T, C, OC);
		attention_backward(res[k][6], datt, dout, inp, att, drop, 0.1f, mask, B, T, C, NH);
		embeddings_backward(res[k][7], dpe, dte, dout, ids, B, T, C);
		free(datt); free(dpe); free(dte);
	}
	set_threads(2);
	for (int i = 0; i < 8; i++) {
		if (memcmp(res[0][i], res[1][i], sz[i] * sizeof(float)))
			printf("#   output %d differs between 1 and 2 threads\n", i);
		T_ASSERT(!memcmp(res[0][i], res[1][i], sz[i] * sizeof(float)));
	}
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 8; i++)
			free(res[k][i]);
	free(x); free(w); free(bb); free(W); free(doc); free(dout); free(inp); free(mean);
	free(rstd); free(tmp); free(att); free(kt); free(mask); free(ids); free(drop); free(attd);
}

/* ---- PyTorch fixtures ---------------------------------------------------- */
static char ferr[512];
static st_file *fixture(void)
{
	const char *root = getenv("GCSE_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/layers.safetensors",
	         root && *root ? root : ".");
	st_file *f = st_open(path, ferr, sizeof ferr);
	if (!f)
		printf("#   %s: %s\n", path, ferr);
	return f;
}
/* float copy of a tensor; NULL (and a note) when absent */
static float *fx(st_file *f, const char *name)
{
	const st_tensor *t = st_find(f, name);
	if (!t) {
		printf("#   fixture tensor %s missing\n", name);
		return NULL;
	}
	float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
	if (st_to_f32(f, t, x, ferr, sizeof ferr)) {
		free(x);
		return NULL;
	}
	return x;
}
static double *fxd(st_file *f, const char *name, size_t *n)
{
	const st_tensor *t = st_find(f, name);
	if (!t || t->dtype != ST_F64) {
		printf("#   fixture tensor %s missing or not F64\n", name);
		return NULL;
	}
	double *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
	memcpy(x, f->data + t->begin, t->numel * sizeof *x);
	if (n)
		*n = t->numel;
	return x;
}
static int *fxi(st_file *f, const char *name)
{
	const st_tensor *t = st_find(f, name);
	if (!t)
		return NULL;
	int64_t *v = malloc((t->numel ? t->numel : 1) * sizeof *v);
	int *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
	if (st_to_i64(f, t, v, ferr, sizeof ferr)) {
		free(v);
		free(x);
		return NULL;
	}
	for (size_t i = 0; i < t->numel; i++)
		x[i] = (int)v[i];
	free(v);
	return x;
}

static void test_torch_embeddings_layernorm_matmul(void)
{
	st_file *f = fixture();
	T_ASSERT(f);
	const int B = 2, T = 5, C = 8, OC = 12, V = 11, maxT = 7, N = B * T;
	int *ids = fxi(f, "emb.ids");
	float *dout = fx(f, "emb.dout");
	T_ASSERT(ids && dout);
	float *we = zvec((size_t)V * C), *pe = zvec((size_t)maxT * C), *te = zvec(2 * C);
	embeddings_backward(we, pe, te, dout, ids, B, T, C);
	double *r1 = fxd(f, "emb.dwte", NULL), *r2 = fxd(f, "emb.dwpe", NULL), *r3 = fxd(f, "emb.dwtt", NULL);
	T_ASSERT(r1 && r2 && r3);
	CHECK_REL("torch embeddings dwte", we, r1, (size_t)V * C, 1e-6);
	CHECK_REL("torch embeddings dwpe", pe, r2, (size_t)maxT * C, 1e-6);
	CHECK_REL("torch embeddings dwtt", te, r3, 2 * C, 1e-6);
	free(ids); free(dout); free(we); free(pe); free(te); free(r1); free(r2); free(r3);

	float *x = fx(f, "ln.x"), *w = fx(f, "ln.w"), *b = fx(f, "ln.b");
	dout = fx(f, "ln.dout");
	T_ASSERT(x && w && b && dout);
	float *out = zvec((size_t)N * C), *mean = zvec(N), *rstd = zvec(N);
	float *dx = zvec((size_t)N * C), *dw = zvec(C), *db = zvec(C);
	layernorm_forward(out, mean, rstd, x, w, b, B, T, C, 1e-12f);
	layernorm_backward(dx, dw, db, dout, x, w, mean, rstd, B, T, C);
	double *ro = fxd(f, "ln.out", NULL), *rx = fxd(f, "ln.dx", NULL), *rw = fxd(f, "ln.dw", NULL),
	       *rb = fxd(f, "ln.db", NULL);
	T_ASSERT(ro && rx && rw && rb);
	CHECK_REL("torch layernorm out", out, ro, (size_t)N * C, 1e-5);
	CHECK_REL("torch layernorm dinp", dx, rx, (size_t)N * C, 1e-4);
	CHECK_REL("torch layernorm dweight", dw, rw, C, 1e-4);
	CHECK_REL("torch layernorm dbias", db, rb, C, 1e-4);
	free(x); free(w); free(b); free(dout); free(out); free(mean); free(rstd);
	free(dx); free(dw); free(db); free(ro); free(rx); free(rw); free(rb);

	x = fx(f, "mm.x");
	float *W = fx(f, "mm.W");
	b = fx(f, "mm.b");
	dout = fx(f, "mm.dout");
	T_ASSERT(x && W && b && dout);
	out = zvec((size_t)N * OC);
	dx = zvec((size_t)N * C);
	float *dW = zvec((size_t)OC * C);
	db = zvec(OC);
	matmul_forward(out, x, W, b, B, T, C, OC);
	matmul_backward(dx, dW, db, dout, x, W, B, T, C, OC);
	ro = fxd(f, "mm.out", NULL);
	rx = fxd(f, "mm.dx", NULL);
	rw = fxd(f, "mm.dW", NULL);
	rb = fxd(f, "mm.db", NULL);
	T_ASSERT(ro && rx && rw && rb);
	CHECK_REL("torch matmul out", out, ro, (size_t)N * OC, 1e-5);
	CHECK_REL("torch matmul dinp", dx, rx, (size_t)N * C, 1e-4);
	CHECK_REL("torch matmul dweight", dW, rw, (size_t)OC * C, 1e-4);
	CHECK_REL("torch matmul dbias", db, rb, OC, 1e-4);
	free(x); free(W); free(b); free(dout); free(out); free(dx); free(dW); free(db);
	free(ro); free(rx); free(rw); free(rb);
	st_close(f);
}

static void test_torch_attention(void)
{
	st_file *f = fixture();
	T_ASSERT(f);
	const int B = 2, T = 5, C = 8, NH = 2;
	size_t n3 = (size_t)B * T * 3 * C, n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
	int *mask = fxi(f, "att.mask"), *keep = fxi(f, "attd.keep");
	double *pp = fxd(f, "attd.p", NULL);
	T_ASSERT(mask && keep && pp);
	float p = (float)*pp;
	uint8_t *bits = calloc(dropout_mask_bytes(na), 1);
	for (size_t i = 0; i < na; i++)
		if (keep[i])
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
	for (int k = 0; k < 2; k++) {
		const char *cs = k ? "attd" : "att";
		char name[64];
		snprintf(name, sizeof name, "%s.inp", cs);
		float *inp = fx(f, name);
		snprintf(name, sizeof name, "%s.dout", cs);
		float *dout = fx(f, name);
		T_ASSERT(inp && dout);
		float *out = zvec(n), *att = zvec(na), *kt = zvec(n3), *dinp = zvec(n3);
		float *datt = zvec(attention_backward_scratch(B, T, C, NH));
		attention_forward(out, att, kt, inp, mask, B, T, C, NH);
		if (k) {   /* the forward with the fixture's mask: attd = att * keep / (1 - p) */
			float *attd = zvec(na);
			for (size_t i = 0; i < na; i++)
				attd[i] = keep[i] ? att[i] * (float)(1.0 / (1.0 - (double)p)) : 0.0f;
			for (int b = 0; b < B; b++)
				for (int h = 0; h < NH; h++)
					for (int i = 0; i < T; i++)
						for (int d = 0; d < C / NH; d++) {
							double s = 0;
							for (int j = 0; j < T; j++)
								s += attd[(((size_t)b * NH + h) * T + i) * T + j] *
								     inp[((size_t)b * T + j) * 3 * C + 2 * C + h * (C / NH) + d];
							out[((size_t)b * T + i) * C + h * (C / NH) + d] = (float)s;
						}
			free(attd);
		}
		attention_backward(dinp, datt, dout, inp, att, k ? bits : NULL, k ? p : 0.0f, mask,
		                   B, T, C, NH);
		snprintf(name, sizeof name, "%s.att", cs);
		double *ra = fxd(f, name, NULL);
		snprintf(name, sizeof name, "%s.out", cs);
		double *ro = fxd(f, name, NULL);
		snprintf(name, sizeof name, "%s.dinp", cs);
		double *rd = fxd(f, name, NULL);
		T_ASSERT(ra && ro && rd);
		snprintf(name, sizeof name, "torch %s probs", cs);
		CHECK_REL(name, att, ra, na, 1e-5);
		snprintf(name, sizeof name, "torch %s out", cs);
		CHECK_REL(name, out, ro, n, 1e-5);
		snprintf(name, sizeof name, "torch %s dinp", cs);
		CHECK_REL(name, dinp, rd, n3, 1e-4);
		free(inp); free(dout); free(out); free(att); free(kt); free(datt); free(dinp);
		free(ra); free(ro); free(rd);
	}
	free(mask); free(keep); free(pp); free(bits);
	st_close(f);
}

static void test_torch_softmax_gelu(void)
{
	st_file *f = fixture();
	T_ASSERT(f);
	size_t n = 0;
	float *x = fx(f, "sm.x"), *dout = fx(f, "sm.dout");
	int *mask = fxi(f, "sm.mask");
	double *rp = fxd(f, "sm.probs", &n), *rd = fxd(f, "sm.dx", NULL);
	T_ASSERT(x && dout && mask && rp && rd);
	float *pr = zvec(n), *dx = zvec(n);
	softmax_forward(pr, x, mask, (int)n);
	softmax_backward(dx, dout, pr, (int)n);
	CHECK_REL("torch softmax probs", pr, rp, n, 1e-6);
	CHECK_REL("torch softmax dx", dx, rd, n, 1e-5);
	free(x); free(dout); free(mask); free(rp); free(rd); free(pr); free(dx);

	x = fx(f, "gelu.x");
	dout = fx(f, "gelu.dout");
	rp = fxd(f, "gelu.out", &n);
	rd = fxd(f, "gelu.dx", NULL);
	T_ASSERT(x && dout && rp && rd);
	pr = zvec(n);
	dx = zvec(n);
	gelu_forward(pr, x, (int)n);
	gelu_backward(dx, x, dout, (long)n);
	CHECK_REL("torch gelu out", pr, rp, n, 1e-6);
	CHECK_REL("torch gelu dx", dx, rd, n, 1e-5);
	free(x); free(dout); free(rp); free(rd); free(pr); free(dx);
	st_close(f);
}

int main(void)
{
	frand_seed(987654321);
	T_RUN(test_layernorm_fd);
	T_RUN(test_matmul_fd);
	T_RUN(test_softmax_fd);
	T_RUN(test_gelu_fd);
	T_RUN(test_gelu_grad_accuracy_and_tails);
	T_RUN(test_attention_fd);
	T_RUN(test_attention_dropout_fd);
	T_RUN(test_attention_cls);
	T_RUN(test_attention_cls_dropout);
	T_RUN(test_attention_rows);
	T_RUN(test_attention_rows_dropout);
	T_RUN(test_embeddings);
	T_RUN(test_residuals);
	T_RUN(test_bias_dropout_residual);
	T_RUN(test_pooling);
	T_RUN(test_thread_independence);
	T_RUN(test_torch_embeddings_layernorm_matmul);
	T_RUN(test_torch_attention);
	T_RUN(test_torch_softmax_gelu);
	return t_done();
}
