/* test_loss.c — contrastive losses against the PyTorch fixtures
 * (scripts/make-train-fixtures.py), against the naive reference, and by
 * finite differences; cosine building blocks. */
#include "train/loss.h"
#include "base/rng.h"
#include "nn/safetensors.h"
#include "fixture.h"
#include "relerr.h"
#include "t.h"
#include "base/gemm.h"

#include <omp.h>

/* float copy of a tensor (malloc'ed), element count in *n; NULL if absent */
static double fx_f64(st_file *f, const char *name)
{
	const st_tensor *t = st_find(f, name);
	double v = NAN;
	if (t && t->dtype == ST_F64 && t->numel == 1)
		memcpy(&v, f->data + t->begin, sizeof v);
	return v;
}

/* relerr (relerr.h) against a double reference */
static double relerr_d(const float *x, const double *ref, size_t n)
{
	double md = 0, mr = 0;
	for (size_t i = 0; i < n; i++) {
		md = fmax(md, fabs((double)x[i] - ref[i]));
		mr = fmax(mr, fabs(ref[i]));
	}
	return md / (mr > 0 ? mr : 1);
}

/* One fixture case: loss (rel 1e-5), gradients (rel 1e-4), gate. */
static void check_case(const char *cs, loss_config cfg)
{
	st_file *f = fixture("loss.safetensors");
	T_ASSERT(f);
	char k[64];
	size_t na = 0, nn = 0;
	const int hard = cfg.kind != LOSS_SIMCSE;
#define FX(var, suffix) snprintf(k, sizeof k, "%s.%s", cs, suffix); float *var = fx(f, k, NULL)
	snprintf(k, sizeof k, "%s.a", cs);
	float *a = fx(f, k, &na);
	FX(p, "p");
	FX(da_ref, "da");
	FX(dp_ref, "dp");
	snprintf(k, sizeof k, "%s.n", cs);
	float *n = hard ? fx(f, k, &nn) : NULL;
	FX(dn_ref, "dn");
	FX(sprime, "sprime");
	FX(G_ref, "G");
#undef FX
	snprintf(k, sizeof k, "%s.loss", cs);
	double loss_ref_v = fx_f64(f, k);
	int N = atoi(st_meta(f, "N")), C = atoi(st_meta(f, "C"));
	T_ASSERT(a && p && da_ref && dp_ref && (size_t)N * C == na && isfinite(loss_ref_v));
	T_ASSERT(!hard || (n && dn_ref));
	T_ASSERT(cfg.kind != LOSS_GCSE || (sprime && G_ref));

	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, N + 3, C) == 0);   /* bigger than needed: fine */
	double L = loss_forward(&ws, &cfg, a, p, n, sprime, N);
	float *da = calloc(na, sizeof *da), *dp = calloc(na, sizeof *dp), *dn = calloc(na, sizeof *dn);
	loss_backward(&ws, da, dp, dn, 1.0f);
	double el = fabs(L - loss_ref_v) / fabs(loss_ref_v);
	double ea = relerr(da, da_ref, na), ep = relerr(dp, dp_ref, na);
	double en = hard ? relerr(dn, dn_ref, na) : 0;
	printf("# %s: loss %.9g (ref %.9g) rel %.2g; grad rel a %.2g p %.2g n %.2g\n", cs, L,
	       loss_ref_v, el, ea, ep, en);
	T_ASSERT(el <= 1e-5);
	T_ASSERT(ea <= 1e-4);
	T_ASSERT(ep <= 1e-4);
	T_ASSERT(en <= 1e-4);
	if (cfg.kind == LOSS_GCSE) {
		double mg = 0;
		for (int i = 0; i < N; i++) {
			T_NEAR(ws.G[i], G_ref[i], 1e-6);
			mg += G_ref[i];
		}
		T_NEAR(loss_mean_gate(&ws), mg / N, 1e-6);
	}
	/* the naive reference agrees with PyTorch too */
	double *ra = malloc(na * sizeof *ra), *rp = malloc(na * sizeof *rp), *rn = malloc(na * sizeof *rn);
	double Lr = loss_ref(&cfg, a, p, n, sprime, N, C, ra, rp, rn);
	T_NEAR(Lr, loss_ref_v, 1e-9 * fabs(loss_ref_v));
	float *rf = calloc(na, sizeof *rf);
	for (size_t i = 0; i < na; i++)
		rf[i] = (float)ra[i];
	T_ASSERT(relerr(rf, da_ref, na) <= 1e-6);
	/* backward accumulates: a second call doubles the gradient */
	loss_backward(&ws, da, dp, dn, 1.0f);
	for (size_t i = 0; i < na; i++)
		T_NEAR(da[i], 2 * (double)da_ref[i], 1e-4 * 2 * fabs(da_ref[i]) + 1e-6);
	loss_ws_free(&ws);
	free(a), free(p), free(n), free(da_ref), free(dp_ref), free(dn_ref), free(sprime);
	free(G_ref), free(da), free(dp), free(dn), free(ra), free(rp), free(rn), free(rf);
	st_close(f);
}

static void test_simcse_fixture(void) { check_case("simcse", loss_config_default(LOSS_SIMCSE)); }
static void test_contrastive_fixture(void)
{
	check_case("contrastive", loss_config_default(LOSS_CONTRASTIVE));
}
static void test_gcse_fixture(void) { check_case("gcse", loss_config_default(LOSS_GCSE)); }
static void test_gcse_symmetric_fixture(void)
{
	loss_config c = loss_config_default(LOSS_GCSE);
	c.symmetric = 1;
	check_case("gcse_sym", c);
}

static void randn(rng *r, float *x, size_t n, float sd)
{
	rng_fill_normal(r, x, n, 0.0f, sd);
}

/* Fast (GEMM) path against the naive double reference on a larger batch. */
static void test_fast_matches_ref(void)
{
	const int N = 40, C = 96;
	size_t nc = (size_t)N * C;
	rng r;
	rng_seed(&r, 5);
	float *a = malloc(nc * 4), *p = malloc(nc * 4), *n = malloc(nc * 4), *sp = malloc(N * 4);
	randn(&r, a, nc, 1);
	randn(&r, p, nc, 1);
	randn(&r, n, nc, 1);
	for (size_t i = 0; i < nc; i++) {
		p[i] += 0.5f * a[i];
		n[i] += 0.3f * a[i];
	}
	for (int i = 0; i < N; i++)   /* s' spread around s: d in about [-0.6, 0.6] */
		sp[i] = (float)(0.5 * 20 + 0.6 * (2 * rng_uniform_double(&r) - 1));
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, N, C) == 0);
	double *ra = malloc(nc * 8), *rp = malloc(nc * 8), *rn = malloc(nc * 8);
	float *da = malloc(nc * 4), *dp = malloc(nc * 4), *dn = malloc(nc * 4);
	for (int kind = 0; kind < 4; kind++) {
		loss_config cfg = loss_config_default(kind < 3 ? (loss_kind)kind : LOSS_GCSE);
		cfg.symmetric = kind == 3;
		if (cfg.kind == LOSS_GCSE)   /* put s' near each row's own s */
			for (int i = 0; i < N; i++) {
				double s = 0;
				float c1;
				cosine_forward(&c1, a + (size_t)i * C, n + (size_t)i * C, 1, C);
				s = c1 / cfg.tau;
				sp[i] = (float)(s + 0.6 * (2 * rng_uniform_double(&r) - 1));
			}
		memset(da, 0, nc * 4);
		memset(dp, 0, nc * 4);
		memset(dn, 0, nc * 4);
		double L = loss_forward(&ws, &cfg, a, p, n, sp, N);
		loss_backward(&ws, da, dp, dn, 0.5f);
		double Lr = loss_ref(&cfg, a, p, n, sp, N, C, ra, rp, rn);
		for (size_t i = 0; i < nc; i++) {
			ra[i] *= 0.5;
			rp[i] *= 0.5;
			rn[i] *= 0.5;
		}
		printf("# kind %d: loss %.9g ref %.9g; grad rel a %.2g p %.2g n %.2g\n", kind, L, Lr,
		       relerr_d(da, ra, nc), relerr_d(dp, rp, nc),
		       cfg.kind == LOSS_SIMCSE ? 0.0 : relerr_d(dn, rn, nc));
		T_ASSERT(fabs(L - Lr) <= 1e-5 * fabs(Lr));
		T_ASSERT(relerr_d(da, ra, nc) <= 1e-4);
		T_ASSERT(relerr_d(dp, rp, nc) <= 1e-4);
		if (cfg.kind != LOSS_SIMCSE)
			T_ASSERT(relerr_d(dn, rn, nc) <= 1e-4);
	}
	loss_ws_free(&ws);
	free(a), free(p), free(n), free(sp), free(ra), free(rp), free(rn), free(da), free(dp), free(dn);
}

/* Central finite differences of loss_ref (double) and loss_forward (fp32)
 * against their analytic gradients. GCSE is checked where the gate is
 * locally constant (d > 0 one-sided: G = 0; d << 0: G ~ 0): elsewhere the
 * analytic gradient deliberately differs from the derivative of the value,
 * since the offset -G_i s_i is detached (METHOD.md §5). */
static void fd_case(loss_config cfg, const char *label)
{
	const int N = 5, C = 7;
	const size_t nc = (size_t)N * C;
	rng r;
	rng_seed(&r, 99 + cfg.kind);
	float x[3][5 * 7], sp[5];
	for (int t = 0; t < 3; t++)
		randn(&r, x[t], nc, 1);
	for (size_t i = 0; i < nc; i++)
		x[1][i] += 0.7f * x[0][i];
	if (cfg.kind == LOSS_GCSE)
		for (int i = 0; i < N; i++) {
			float c1;
			cosine_forward(&c1, x[0] + i * C, x[2] + i * C, 1, C);
			/* d = +1, -5, +1, -5, ... */
			sp[i] = (float)(c1 / cfg.tau - (i % 2 ? -5.0 : 1.0));
		}
	double g[3][5 * 7];
	loss_ref(&cfg, x[0], x[1], x[2], sp, N, C, g[0], g[1], g[2]);
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, N, C) == 0);
	float gf[3][5 * 7];
	memset(gf, 0, sizeof gf);
	loss_forward(&ws, &cfg, x[0], x[1], x[2], sp, N);
	loss_backward(&ws, gf[0], gf[1], gf[2], 1.0f);
	int ntens = cfg.kind == LOSS_SIMCSE ? 2 : 3;
	double worst_ref = 0, worst_fast = 0;
	for (int t = 0; t < ntens; t++)
		for (size_t i = 0; i < nc; i++) {
			float keep = x[t][i];
			double dummy[5 * 7 * 3];
			/* reference, h = 1e-3 (double arithmetic; actual float step) */
			float up = keep + 1e-3f, dn = keep - 1e-3f;
			x[t][i] = up;
			double lp = loss_ref(&cfg, x[0], x[1], x[2], sp, N, C, dummy, dummy + 35, dummy + 70);
			x[t][i] = dn;
			double lm = loss_ref(&cfg, x[0], x[1], x[2], sp, N, C, dummy, dummy + 35, dummy + 70);
			double fd = (lp - lm) / ((double)up - dn);
			worst_ref = fmax(worst_ref, fabs(fd - g[t][i]) / (1e-3 + fabs(g[t][i])));
			/* fast path, h = 1e-2 (fp32 logits are noisy) */
			up = keep + 1e-2f;
			dn = keep - 1e-2f;
			x[t][i] = up;
			lp = loss_forward(&ws, &cfg, x[0], x[1], x[2], sp, N);
			x[t][i] = dn;
			lm = loss_forward(&ws, &cfg, x[0], x[1], x[2], sp, N);
			fd = (lp - lm) / ((double)up - dn);
			worst_fast = fmax(worst_fast, fabs(fd - gf[t][i]) / (1e-2 + fabs(gf[t][i])));
			x[t][i] = keep;
		}
	printf("# %s: finite differences, worst relative error ref %.2g fast %.2g\n", label,
	       worst_ref, worst_fast);
	T_ASSERT(worst_ref <= 1e-4);
	T_ASSERT(worst_fast <= 2e-2);
	loss_ws_free(&ws);
}

static void test_finite_differences(void)
{
	fd_case(loss_config_default(LOSS_SIMCSE), "simcse");
	fd_case(loss_config_default(LOSS_CONTRASTIVE), "contrastive");
	fd_case(loss_config_default(LOSS_GCSE), "gcse (gate locally constant)");
}

/* The gate itself, on hand-made rows: value and the detached gradient. */
static void test_gcse_gate_handmade(void)
{
	/* N = 2, C = 2, integer rows so every cosine is exact in double:
	 * a_0 = n_0 = (1,0): s_0 = 20; a_1 = (0,1), n_1 = (3,4): s_1 = 0.8/0.05 = 16;
	 * p_0 = (3,4), p_1 = (4,3). Row 0's logits: [12, 16, 20 (1 - G_0), 12]. */
	float a[4] = { 1, 0, 0, 1 }, n[4] = { 1, 0, 3, 4 };
	float p[4] = { 3, 4, 4, 3 };
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, 2, 2) == 0);
	loss_config one = loss_config_default(LOSS_GCSE), sym = one;
	sym.symmetric = 1;
	struct { float sp0, sp1; double G0_one, G1_one, G0_sym, G1_sym; } c[] = {
		/* d = 0 exactly: G = 1 (both variants) */
		{ 20.0f, 16.0f, 1, 1, 1, 1 },
		/* d_0 = +0.17 (one sigma above): one-sided 0, symmetric e^-1/2 */
		{ 19.83f, 16.0f, 0, 1, exp(-0.5), 1 },
		/* d_0 = -0.34 (two sigma below): e^-2 both */
		{ 20.34f, 16.0f, exp(-2.0), 1, exp(-2.0), 1 },
		/* large |d| (d_0 = -50, d_1 = +50): G underflows to 0 */
		{ 70.0f, -34.0f, 0, 0, 0, 0 },
	};
	for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
		float sp[2] = { c[k].sp0, c[k].sp1 };
		loss_forward(&ws, &one, a, p, n, sp, 2);
		/* s' is float: the expected gate uses the stored value of d */
		double d0 = 20.0 - sp[0];
		double e0 = d0 <= 0 ? exp(-d0 * d0 / (2 * 0.17 * 0.17)) : 0;
		T_NEAR(ws.G[0], e0, 1e-12);
		T_NEAR(ws.G[0], c[k].G0_one, 1e-5);
		T_NEAR(ws.G[1], c[k].G1_one, 1e-5);
		/* the own-negative logit is (1 - G) s: its probability is
		 * exp((1 - G) s) / sum; check through the stored softmax */
		double l[4] = { 12, 16, (1 - ws.G[0]) * 20, 12 };   /* row 0: p_0, p_1, n_0, n_1 */
		double mx = fmax(fmax(l[0], l[1]), fmax(l[2], l[3])), s = 0;
		for (int j = 0; j < 4; j++)
			s += exp(l[j] - mx);
		T_NEAR(ws.probs[2], exp(l[2] - mx) / s, 1e-6);
		loss_forward(&ws, &sym, a, p, n, sp, 2);
		T_NEAR(ws.G[0], c[k].G0_sym, 1e-5);
		T_NEAR(ws.G[1], c[k].G1_sym, 1e-5);
	}
	/* detached offset: d loss / d logit_{1,N+1} is P/N whatever G is, so
	 * with G_1 = 1 the gradient reaching n_1 is that of the plain logit:
	 * compare with the contrastive gradient taken at the same softmax.
	 * dn_1 = (P_{1,3} / N) / tau * d cos(a_1, n_1) / d n_1. */
	float sp[2] = { 20.0f, 16.0f };
	float da[4] = { 0 }, dp[4] = { 0 }, dn[4] = { 0 };
	loss_forward(&ws, &one, a, p, n, sp, 2);
	T_NEAR(ws.G[1], 1.0, 1e-12);
	loss_backward(&ws, da, dp, dn, 1.0f);
	double P13 = ws.probs[1 * 4 + 3];
	float dc[2] = { 0, 0 }, one_f = (float)(P13 / 2 / 0.05);
	cosine_backward(NULL, dc, &one_f, a + 2, n + 2, 1, 2);
	/* dn_1 also gets row 0's in-batch term P_{0,3}: add it */
	float dc0[2] = { 0, 0 }, g03 = (float)(ws.probs[3] / 2 / 0.05);
	cosine_backward(NULL, dc0, &g03, a, n + 2, 1, 2);
	T_NEAR(dn[2], dc[0] + dc0[0], 1e-5);
	T_NEAR(dn[3], dc[1] + dc0[1], 1e-5);
	T_ASSERT(fabs(dn[2]) + fabs(dn[3]) > 1e-3);   /* not muted by (1 - G) = 0 */
	loss_ws_free(&ws);
}

/* loss_forward_gated: the gate reads d_i = gate_i - s'_i (another space's
 * similarity) while the decay multiplies the head logit s_i. Against the
 * reference with d > 0, d = 0 and d << 0 in both gate modes; with gate =
 * s the plain loss; with every d > 0 (one-sided) the contrastive loss. */
static void test_gated(void)
{
	const int N = 6, C = 16;
	const size_t nc = (size_t)N * C;
	rng r;
	rng_seed(&r, 4242);
	float a[6 * 16], p[6 * 16], n[6 * 16], sp[6], gate[6], s[6];
	randn(&r, a, nc, 1);
	randn(&r, p, nc, 1);
	randn(&r, n, nc, 1);
	for (size_t i = 0; i < nc; i++) {
		p[i] += 0.5f * a[i];
		n[i] += 0.4f * a[i];
	}
	cosine_forward(s, a, n, N, C);
	static const double dset[6] = {0.3, 0.0, -0.1, -0.17, -2.0, -40.0};
	for (int i = 0; i < N; i++) {
		s[i] = (float)(s[i] / LOSS_TAU);
		sp[i] = (float)(s[i] - 3.0 * (i + 1));     /* d on the head: far above 0, G = 0 */
		gate[i] = (float)(sp[i] + dset[i]);       /* d on the gate's space */
	}
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, N, C) == 0);
	double ra[6 * 16], rp[6 * 16], rn[6 * 16];
	float da[6 * 16], dp[6 * 16], dn[6 * 16];
	for (int sym = 0; sym < 2; sym++) {
		loss_config cfg = loss_config_default(LOSS_GCSE);
		cfg.symmetric = sym;
		memset(da, 0, sizeof da), memset(dp, 0, sizeof dp), memset(dn, 0, sizeof dn);
		double L = loss_forward_gated(&ws, &cfg, a, p, n, sp, gate, N);
		loss_backward(&ws, da, dp, dn, 1.0f);
		double Lr = loss_ref_gated(&cfg, a, p, n, sp, gate, N, C, ra, rp, rn);
		printf("# gated, %s: loss %.9g ref %.9g, G", sym ? "symmetric" : "one-sided", L, Lr);
		for (int i = 0; i < N; i++) {
			double d = (double)gate[i] - sp[i];
			double want = (d <= 0 || sym) ? exp(-d * d / (2 * cfg.sigma * cfg.sigma)) : 0.0;
			printf(" %.4g", ws.G[i]);
			T_NEAR(ws.G[i], want, 1e-6);
		}
		printf("\n");
		T_ASSERT(fabs(L - Lr) <= 1e-5 * fabs(Lr));
		T_ASSERT(relerr_d(da, ra, nc) <= 1e-4 && relerr_d(dp, rp, nc) <= 1e-4 && relerr_d(dn, rn, nc) <= 1e-4);
		/* the head's own d is far above 0: ungated, G = 0 in one-sided mode */
		double Lh = loss_forward(&ws, &cfg, a, p, n, sp, N);
		if (!sym)
			T_ASSERT(loss_mean_gate(&ws) == 0.0);
		T_ASSERT(fabs(Lh - L) > 1e-4);     /* the gate changed the loss */
	}
	/* gate = s reads the head's own d: the plain loss */
	loss_config g1 = loss_config_default(LOSS_GCSE);
	for (int i = 0; i < N; i++)
		sp[i] = (float)(s[i] + dset[i] + 0.05);
	double L0 = loss_forward(&ws, &g1, a, p, n, sp, N);
	double L1 = loss_forward_gated(&ws, &g1, a, p, n, sp, s, N);
	T_ASSERT(fabs(L0 - L1) <= 1e-6 * fabs(L0));
	/* every d > 0 one-sided: no decay, the contrastive loss */
	for (int i = 0; i < N; i++)
		gate[i] = sp[i] + 0.5f;
	loss_config ct = loss_config_default(LOSS_CONTRASTIVE);
	double Lc = loss_forward(&ws, &ct, a, p, n, NULL, N);
	double Lg = loss_forward_gated(&ws, &g1, a, p, n, sp, gate, N);
	T_ASSERT(fabs(Lc - Lg) <= 1e-6 * fabs(Lc) && loss_mean_gate(&ws) == 0.0);   /* s in double vs the fp32 logit */
	/* other kinds ignore the gate */
	T_ASSERT(loss_forward_gated(&ws, &ct, a, p, n, NULL, gate, N) == Lc);
	loss_ws_free(&ws);
}

static void test_cosine_blocks(void)
{
	const int N = 6, C = 9;
	rng r;
	rng_seed(&r, 3);
	float a[54], b[54], c[6], dout[6], da[54] = { 0 }, db[54] = { 0 };
	randn(&r, a, 54, 1);
	randn(&r, b, 54, 1);
	randn(&r, dout, 6, 1);
	for (int k = 0; k < C; k++)   /* row 5 of a is zero: clamped norm */
		a[5 * C + k] = 0;
	cosine_forward(c, a, b, N, C);
	cosine_backward(da, db, dout, a, b, N, C);
	for (int i = 0; i < N; i++) {
		double xy = 0, xx = 0, yy = 0;
		for (int k = 0; k < C; k++) {
			xy += (double)a[i * C + k] * b[i * C + k];
			xx += (double)a[i * C + k] * a[i * C + k];
			yy += (double)b[i * C + k] * b[i * C + k];
		}
		T_NEAR(c[i], xy / (fmax(sqrt(xx), 1e-8) * fmax(sqrt(yy), 1e-8)), 1e-6);
	}
	/* finite differences on the rows with a real norm */
	for (int i = 0; i < 5 * C; i++) {
		float keep = a[i], cp[6], cm[6];
		a[i] = keep + 1e-2f;
		cosine_forward(cp, a, b, N, C);
		float up = a[i];
		a[i] = keep - 1e-2f;
		cosine_forward(cm, a, b, N, C);
		double fd = dout[i / C] * ((double)cp[i / C] - cm[i / C]) / ((double)up - a[i]);
		a[i] = keep;
		T_NEAR(da[i], fd, 2e-3 + 1e-2 * fabs(fd));
	}
	/* l2norm: unit rows, and backward is the projection onto the tangent */
	float u[54], rn[6], du[54], dx[54] = { 0 };
	unitnorm_forward(u, rn, a, N, C);
	for (int i = 0; i < 5; i++) {
		double s = 0;
		for (int k = 0; k < C; k++)
			s += (double)u[i * C + k] * u[i * C + k];
		T_NEAR(s, 1.0, 1e-6);
	}
	T_NEAR(rn[5], 1e8, 1);
	randn(&r, du, 54, 1);
	unitnorm_backward(dx, du, u, rn, N, C);
	for (int i = 0; i < 5; i++) {
		double dot = 0;
		for (int k = 0; k < C; k++)
			dot += (double)dx[i * C + k] * a[i * C + k];
		T_NEAR(dot, 0.0, 1e-5);   /* scaling the input does not change its unit vector */
	}
	for (int k = 0; k < C; k++)   /* clamped row: plain scaling */
		T_NEAR(dx[5 * C + k], du[5 * C + k] * 1e8, 1e8 * 1e-6);
}

static void test_bad_inputs(void)
{
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, 4, 3) == 0);
	float a[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3 };
	loss_config g = loss_config_default(LOSS_GCSE), s = loss_config_default(LOSS_SIMCSE);
	T_ASSERT(isnan(loss_forward(&ws, &g, a, a, a, NULL, 4)));   /* no s' */
	T_ASSERT(isnan(loss_forward(&ws, &s, a, a, NULL, NULL, 5)));  /* N > maxN */
	T_ASSERT(isnan(loss_forward(&ws, &s, a, a, NULL, NULL, 0)));
	T_ASSERT(isfinite(loss_forward(&ws, &s, a, a, NULL, NULL, 4)));
	a[4] = NAN;
	T_ASSERT(!isfinite(loss_forward(&ws, &s, a, a, NULL, NULL, 4)));
	T_EQ_INT(loss_kind_parse("gcse"), LOSS_GCSE);
	T_EQ_INT(loss_kind_parse("simcse"), LOSS_SIMCSE);
	T_EQ_INT(loss_kind_parse("contrastive"), LOSS_CONTRASTIVE);
	T_EQ_INT(loss_kind_parse("nope"), -1);
	T_EQ_STR(loss_kind_name(LOSS_GCSE), "gcse");
	loss_ws_free(&ws);
}

/* Same loss and gradients with 1 and 2 threads (GEMM backend and OpenMP). */
static void test_thread_count_invariance(void)
{
	const int N = 128, C = 256;   /* big enough for multi-threaded GEMMs */
	size_t nc = (size_t)N * C;
	rng r;
	rng_seed(&r, 77);
	float *a = malloc(nc * 4), *p = malloc(nc * 4), *n = malloc(nc * 4);
	float *g1 = calloc(3 * nc, 4), *g2 = calloc(3 * nc, 4), sp[128];
	randn(&r, a, nc, 1);
	randn(&r, p, nc, 1);
	randn(&r, n, nc, 1);
	for (int i = 0; i < N; i++)
		sp[i] = (float)(5 * rng_uniform_double(&r));
	loss_config cfg = loss_config_default(LOSS_GCSE);
	loss_ws ws;
	T_ASSERT(loss_ws_init(&ws, N, C) == 0);
	int saved = omp_get_max_threads();
	omp_set_num_threads(1);
	gemm_set_threads(1);
	double l1 = loss_forward(&ws, &cfg, a, p, n, sp, N);
	loss_backward(&ws, g1, g1 + nc, g1 + 2 * nc, 1.0f);
	omp_set_num_threads(2);
	gemm_set_threads(2);
	double l2 = loss_forward(&ws, &cfg, a, p, n, sp, N);
	loss_backward(&ws, g2, g2 + nc, g2 + 2 * nc, 1.0f);
	omp_set_num_threads(saved);
	gemm_set_threads(saved);
	T_ASSERT(l1 == l2);
	T_ASSERT(!memcmp(g1, g2, 3 * nc * 4));
	loss_ws_free(&ws);
	free(a), free(p), free(n), free(g1), free(g2);
}

int main(void)
{
	T_RUN(test_simcse_fixture);
	T_RUN(test_contrastive_fixture);
	T_RUN(test_gcse_fixture);
	T_RUN(test_gcse_symmetric_fixture);
	T_RUN(test_fast_matches_ref);
	T_RUN(test_finite_differences);
	T_RUN(test_gcse_gate_handmade);
	T_RUN(test_gated);
	T_RUN(test_cosine_blocks);
	T_RUN(test_bad_inputs);
	T_RUN(test_thread_count_invariance);
	return t_done();
}
