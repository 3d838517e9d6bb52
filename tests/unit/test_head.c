/* test_head.c — the training-only MLP head (Linear H->H + tanh on [CLS])
 * against the PyTorch fixture and against its naive reference. */
#include "train/head.h"
#include "base/rng.h"
#include "nn/safetensors.h"
#include "fixture.h"
#include "relerr.h"
#include "t.h"

static void test_head_fixture(void)
{
	st_file *f = fixture("head.safetensors");
	T_ASSERT(f);
	int N = atoi(st_meta(f, "N")), T = atoi(st_meta(f, "T")), H = atoi(st_meta(f, "H"));
	size_t nh = 0;
	float *hid = fx(f, "hidden", &nh), *W = fx(f, "W", NULL), *b = fx(f, "b", NULL);
	float *dout = fx(f, "dout", NULL), *out_ref = fx(f, "out", NULL);
	float *dhid_ref = fx(f, "dhidden", NULL), *dW_ref = fx(f, "dW", NULL), *db_ref = fx(f, "db", NULL);
	T_ASSERT(hid && W && b && dout && out_ref && dhid_ref && dW_ref && db_ref);
	T_EQ_INT(nh, (size_t)N * T * H);
	float *out = calloc((size_t)N * H, 4), *dpre = calloc((size_t)N * H, 4);
	float *dhid = calloc(nh, 4), *dW = calloc((size_t)H * H, 4), *db = calloc(H, 4);
	/* [CLS] rows are at hidden + i*T*H: row stride T*H */
	mlp_forward(out, hid, T * H, W, b, N, H);
	mlp_backward(dhid, T * H, dW, db, dpre, dout, out, hid, W, N, H);
	double eo = relerr(out, out_ref, (size_t)N * H), eh = relerr(dhid, dhid_ref, nh);
	double ew = relerr(dW, dW_ref, (size_t)H * H), eb = relerr(db, db_ref, H);
	printf("# head: out rel %.2g, grad rel input %.2g W %.2g b %.2g\n", eo, eh, ew, eb);
	T_ASSERT(eo <= 1e-5);
	T_ASSERT(eh <= 1e-4);
	T_ASSERT(ew <= 1e-4);
	T_ASSERT(eb <= 1e-4);
	/* non-[CLS] rows of the input receive no gradient */
	for (int i = 0; i < N; i++)
		for (int t = 1; t < T; t++)
			for (int h = 0; h < H; h++)
				T_ASSERT(dhid[((size_t)i * T + t) * H + h] == 0);
	free(hid), free(W), free(b), free(dout), free(out_ref), free(dhid_ref), free(dW_ref);
	free(db_ref), free(out), free(dpre), free(dhid), free(dW), free(db);
	st_close(f);
}

/* GEMM path against the naive reference on a bigger shape; accumulation. */
static void test_head_fast_matches_ref(void)
{
	const int N = 33, H = 70, ld = 2 * H + 5;
	rng r;
	rng_seed(&r, 8);
	float *x = malloc((size_t)N * ld * 4), *W = malloc((size_t)H * H * 4), *b = malloc(H * 4);
	float *dout = malloc((size_t)N * H * 4);
	rng_fill_normal(&r, x, (size_t)N * ld, 0, 1);
	rng_fill_normal(&r, W, (size_t)H * H, 0, 0.1f);
	rng_fill_normal(&r, b, H, 0, 0.1f);
	rng_fill_normal(&r, dout, (size_t)N * H, 0, 1);
	float *o1 = malloc((size_t)N * H * 4), *o2 = malloc((size_t)N * H * 4);
	mlp_forward(o1, x, ld, W, b, N, H);
	mlp_forward_ref(o2, x, ld, W, b, N, H);
	T_ASSERT(relerr(o1, o2, (size_t)N * H) <= 1e-5);
	float *dx1 = calloc((size_t)N * ld, 4), *dx2 = calloc((size_t)N * ld, 4);
	float *dW1 = calloc((size_t)H * H, 4), *dW2 = calloc((size_t)H * H, 4);
	float *db1 = calloc(H, 4), *db2 = calloc(H, 4), *dpre = malloc((size_t)N * H * 4);
	for (int rep = 0; rep < 2; rep++) {   /* twice: gradients accumulate */
		mlp_backward(dx1, ld, dW1, db1, dpre, dout, o2, x, W, N, H);
		mlp_backward_ref(dx2, ld, dW2, db2, dout, o2, x, W, N, H);
	}
	T_ASSERT(relerr(dx1, dx2, (size_t)N * ld) <= 1e-5);
	T_ASSERT(relerr(dW1, dW2, (size_t)H * H) <= 1e-5);
	T_ASSERT(relerr(db1, db2, H) <= 1e-5);
	float *dx3 = calloc((size_t)N * ld, 4);
	mlp_backward(dx3, ld, dW1, db1, dpre, dout, o2, x, W, N, H);
	for (size_t i = 0; i < (size_t)N * ld; i++)
		T_NEAR(dx1[i], 2 * (double)dx3[i], 1e-5 * (1 + fabs(dx1[i])));
	/* dinp may be NULL */
	mlp_backward(NULL, ld, dW1, db1, dpre, dout, o2, x, W, N, H);
	free(x), free(W), free(b), free(dout), free(o1), free(o2), free(dx1), free(dx2);
	free(dW1), free(dW2), free(db1), free(db2), free(dpre), free(dx3);
}

/* Finite differences of sum(dout * out) w.r.t. W and b. */
static void test_head_finite_differences(void)
{
	const int N = 3, H = 5;
	rng r;
	rng_seed(&r, 12);
	float x[15], W[25], b[5], dout[15], out[15], dpre[15], dx[15] = { 0 }, dW[25] = { 0 }, db[5] = { 0 };
	rng_fill_normal(&r, x, 15, 0, 1);
	rng_fill_normal(&r, W, 25, 0, 0.5f);
	rng_fill_normal(&r, b, 5, 0, 0.5f);
	rng_fill_normal(&r, dout, 15, 0, 1);
	mlp_forward(out, x, H, W, b, N, H);
	mlp_backward(dx, H, dW, db, dpre, dout, out, x, W, N, H);
	float *ps[3] = { W, b, x }, *gs[3] = { dW, db, dx };
	int ns[3] = { 25, 5, 15 };
	for (int t = 0; t < 3; t++)
		for (int i = 0; i < ns[t]; i++) {
			float keep = ps[t][i], o[15];
			double f[2], h[2];
			for (int s = 0; s < 2; s++) {
				ps[t][i] = keep + (s ? -1e-2f : 1e-2f);
				h[s] = ps[t][i];
				mlp_forward_ref(o, x, H, W, b, N, H);
				f[s] = 0;
				for (int k = 0; k < 15; k++)
					f[s] += (double)dout[k] * o[k];
			}
			ps[t][i] = keep;
			double fd = (f[0] - f[1]) / (h[0] - h[1]);
			T_NEAR(gs[t][i], fd, 1e-3 + 1e-2 * fabs(fd));
		}
}

int main(void)
{
	T_RUN(test_head_fixture);
	T_RUN(test_head_fast_matches_ref);
	T_RUN(test_head_finite_differences);
	return t_done();
}
