/* loss.c — SimCSE, hard-negative contrastive and GCSE losses (see loss.h). */
#include "train/loss.h"
#include "nn/layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

loss_config loss_config_default(loss_kind kind)
{
	loss_config c = { kind, LOSS_TAU, LOSS_SIGMA, 0 };
	return c;
}

int loss_kind_parse(const char *name)
{
	if (!strcmp(name, "simcse"))
		return LOSS_SIMCSE;
	if (!strcmp(name, "contrastive"))
		return LOSS_CONTRASTIVE;
	if (!strcmp(name, "gcse"))
		return LOSS_GCSE;
	if (!strcmp(name, "mlm"))
		return LOSS_MLM;
	if (!strcmp(name, "distill"))
		return LOSS_DISTILL;
	return -1;
}

const char *loss_kind_name(loss_kind kind)
{
	switch (kind) {
	case LOSS_SIMCSE: return "simcse";
	case LOSS_CONTRASTIVE: return "contrastive";
	case LOSS_GCSE: return "gcse";
	case LOSS_MLM: return "mlm";
	case LOSS_DISTILL: return "distill";
	}
	return "?";
}

int loss_ws_init(loss_ws *ws, int maxN, int C)
{
	memset(ws, 0, sizeof *ws);
	if (maxN < 1 || C < 1)
		return -1;
	size_t nc = (size_t)maxN * C, nm = (size_t)maxN * 2 * maxN;
	ws->maxN = maxN;
	ws->C = C;
	ws->ahat = malloc(nc * sizeof(float));
	ws->phat = malloc(nc * sizeof(float));
	ws->nhat = malloc(nc * sizeof(float));
	ws->dhat = malloc(nc * sizeof(float));
	ws->arn = malloc((size_t)maxN * sizeof(float));
	ws->prn = malloc((size_t)maxN * sizeof(float));
	ws->nrn = malloc((size_t)maxN * sizeof(float));
	ws->probs = malloc(nm * sizeof(float));
	ws->dlogits = malloc(nm * sizeof(float));
	ws->s = calloc((size_t)maxN, sizeof(double));
	ws->G = calloc((size_t)maxN, sizeof(double));
	ws->rowloss = calloc((size_t)maxN, sizeof(double));
	if (!ws->ahat || !ws->phat || !ws->nhat || !ws->dhat || !ws->arn || !ws->prn ||
	    !ws->nrn || !ws->probs || !ws->dlogits || !ws->s || !ws->G || !ws->rowloss) {
		loss_ws_free(ws);
		return -1;
	}
	return 0;
}

void loss_ws_free(loss_ws *ws)
{
	free(ws->ahat);
	free(ws->phat);
	free(ws->nhat);
	free(ws->dhat);
	free(ws->arn);
	free(ws->prn);
	free(ws->nrn);
	free(ws->probs);
	free(ws->dlogits);
	free(ws->s);
	free(ws->G);
	free(ws->rowloss);
	memset(ws, 0, sizeof *ws);
}

/* ---- building blocks ---- */

void unitnorm_forward(float *out, float *rn, const float *inp, int N, int C)
{
	#pragma omp parallel for schedule(static) if ((long)N * C >= 32768)
	for (int i = 0; i < N; i++) {
		const float *x = inp + (size_t)i * C;
		double ss = 0;
		for (int c = 0; c < C; c++)
			ss += (double)x[c] * x[c];
		double norm = sqrt(ss);
		float r = (float)(1.0 / (norm > LOSS_EPS ? norm : LOSS_EPS));
		rn[i] = r;
		for (int c = 0; c < C; c++)
			out[(size_t)i * C + c] = x[c] * r;
	}
}

void unitnorm_backward(float *dinp, const float *dout, const float *out,
                     const float *rn, int N, int C)
{
	const float clamped = (float)(1.0 / LOSS_EPS);
	#pragma omp parallel for schedule(static) if ((long)N * C >= 32768)
	for (int i = 0; i < N; i++) {
		const float *dy = dout + (size_t)i * C, *y = out + (size_t)i * C;
		float *dx = dinp + (size_t)i * C;
		float r = rn[i];
		double dot = 0;
		if (r < clamped)
			for (int c = 0; c < C; c++)
				dot += (double)dy[c] * y[c];
		float fdot = (float)dot;
		for (int c = 0; c < C; c++)
			dx[c] += (dy[c] - fdot * y[c]) * r;
	}
}

/* x.x, y.y and x.y of two C-vectors, in double */
static void dots(const float *x, const float *y, int C, double *xx, double *yy, double *xy)
{
	double a = 0, b = 0, ab = 0;
	for (int c = 0; c < C; c++) {
		a += (double)x[c] * x[c];
		b += (double)y[c] * y[c];
		ab += (double)x[c] * y[c];
	}
	*xx = a, *yy = b, *xy = ab;
}

void cosine_forward(float *out, const float *a, const float *b, int N, int C)
{
	#pragma omp parallel for schedule(static) if ((long)N * C >= 32768)
	for (int i = 0; i < N; i++) {
		const float *x = a + (size_t)i * C, *y = b + (size_t)i * C;
		double xx, yy, xy;
		dots(x, y, C, &xx, &yy, &xy);
		double nx = fmax(sqrt(xx), LOSS_EPS), ny = fmax(sqrt(yy), LOSS_EPS);
		out[i] = (float)(xy / (nx * ny));
	}
}

void cosine_backward(float *da, float *db, const float *dout, const float *a,
                     const float *b, int N, int C)
{
	#pragma omp parallel for schedule(static) if ((long)N * C >= 32768)
	for (int i = 0; i < N; i++) {
		const float *x = a + (size_t)i * C, *y = b + (size_t)i * C;
		double xx, yy, xy;
		dots(x, y, C, &xx, &yy, &xy);
		double nxr = sqrt(xx), nyr = sqrt(yy);
		int cx = nxr > LOSS_EPS, cy = nyr > LOSS_EPS;   /* norm not clamped */
		double nx = cx ? nxr : LOSS_EPS, ny = cy ? nyr : LOSS_EPS;
		double cs = xy / (nx * ny), g = dout[i];
		/* cos = (x/nx).(y/ny); d/dx = y/(nx ny) - cos x / nx^2 (second term
		 * only where nx is the true norm) */
		for (int c = 0; c < C; c++) {
			if (da)
				da[(size_t)i * C + c] += (float)(g * (y[c] / (nx * ny) -
				                                 (cx ? cs * x[c] / (nx * nx) : 0.0)));
			if (db)
				db[(size_t)i * C + c] += (float)(g * (x[c] / (nx * ny) -
				                                 (cy ? cs * y[c] / (ny * ny) : 0.0)));
		}
	}
}

/* ---- distillation ---- */

double distill_forward(const float *u, const float *t, int N, int C, float *cos)
{
	cosine_forward(cos, u, t, N, C);
	double sum = 0;
	for (int i = 0; i < N; i++)
		sum += 1.0 - (double)cos[i];
	return sum;
}

void distill_backward(float *du, const float *u, const float *t, int N, int C, float scale,
                      float *cos)
{
	for (int i = 0; i < N; i++)   /* d (1 - cos) / d cos */
		cos[i] = -scale;
	cosine_backward(du, NULL, cos, u, t, N, C);
}

/* ---- the losses ---- */

double loss_forward(loss_ws *ws, const loss_config *cfg, const float *a,
                    const float *p, const float *n, const float *sprime, int N)
{
	return loss_forward_gated(ws, cfg, a, p, n, sprime, NULL, N);
}

double loss_forward_gated(loss_ws *ws, const loss_config *cfg, const float *a, const float *p,
                          const float *n, const float *sprime, const float *gate, int N)
{
	const int C = ws->C;
	const int hard = cfg->kind != LOSS_SIMCSE;
	if (cfg->kind == LOSS_MLM || cfg->kind == LOSS_DISTILL || N < 1 || N > ws->maxN || !a || !p ||
	    (hard && !n) ||
	    (cfg->kind == LOSS_GCSE && !sprime) || !(cfg->tau > 0))
		return NAN;
	const int M = hard ? 2 * N : N;
	const double inv_tau = 1.0 / cfg->tau;
	ws->N = N;
	ws->M = M;
	ws->cfg = *cfg;

	unitnorm_forward(ws->ahat, ws->arn, a, N, C);
	unitnorm_forward(ws->phat, ws->prn, p, N, C);
	if (hard)
		unitnorm_forward(ws->nhat, ws->nrn, n, N, C);

	/* logits row i at probs + i*M: [ ahat_i . phat_j / tau, ahat_i . nhat_j / tau ] */
	float *L = ws->probs;
	gemm_strided(N, N, C, (float)inv_tau, ws->ahat, C, 1, ws->phat, 1, C, 0.0f, L, M, 1);
	if (hard)
		gemm_strided(N, N, C, (float)inv_tau, ws->ahat, C, 1, ws->nhat, 1, C, 0.0f, L + N, M, 1);

	/* s_i again in double from the raw rows: the GCSE gate is steep in d
	 * (dG/dd up to 1/sigma), so d is computed without fp32 rounding */
	for (int i = 0; i < N; i++) {
		ws->G[i] = 0;
		ws->s[i] = 0;
	}
	if (hard) {
		for (int i = 0; i < N; i++) {
			double xx = 0, yy = 0, xy = 0;
			const float *x = a + (size_t)i * C, *y = n + (size_t)i * C;
			for (int c = 0; c < C; c++) {
				xx += (double)x[c] * x[c];
				yy += (double)y[c] * y[c];
				xy += (double)x[c] * y[c];
			}
			ws->s[i] = xy / (fmax(sqrt(xx), LOSS_EPS) * fmax(sqrt(yy), LOSS_EPS)) / cfg->tau;
		}
	}
	if (cfg->kind == LOSS_GCSE) {
		/* METHOD.md §5: d_i = s_i - s'_i, G_i = exp(-d^2 / (2 sigma^2)) for
		 * d <= 0 (both signs if symmetric), logit = (1 - G_i) s_i. The offset
		 * -G_i s_i is a constant: backward uses d logit / d s_i = 1. With
		 * gate, d_i = gate_i - s'_i; the decay still applies to s_i. */
		const double two_s2 = 2.0 * cfg->sigma * cfg->sigma;
		for (int i = 0; i < N; i++) {
			double s = ws->s[i], d = (gate ? (double)gate[i] : s) - (double)sprime[i];
			double G = (d <= LOSS_GATE_TIE || cfg->symmetric) ? exp(-d * d / two_s2) : 0.0;
			if (isnan(d))
				G = NAN;
			ws->G[i] = G;
			L[(size_t)i * M + N + i] = (float)((1.0 - G) * s);
		}
	}

	/* softmax cross-entropy per row, in double; probs overwrite the logits */
	#pragma omp parallel for schedule(static) if ((long)N * M >= 16384)
	for (int i = 0; i < N; i++) {
		float *row = L + (size_t)i * M;
		double mx = row[0];
		for (int j = 1; j < M; j++)
			if (row[j] > mx)
				mx = row[j];
		double sum = 0;
		for (int j = 0; j < M; j++)
			sum += exp((double)row[j] - mx);
		double lse = mx + log(sum);
		ws->rowloss[i] = lse - (double)row[i];
		for (int j = 0; j < M; j++)
			row[j] = (float)exp((double)row[j] - lse);
	}
	double total = 0;
	for (int i = 0; i < N; i++)
		total += ws->rowloss[i];
	ws->loss = total / N;
	return ws->loss;
}

void loss_backward(loss_ws *ws, float *da, float *dp, float *dn, float dloss)
{
	const int N = ws->N, M = ws->M, C = ws->C;
	const int hard = ws->cfg.kind != LOSS_SIMCSE;
	/* d loss / d logit_ij = (P_ij - [j == i]) / N; logits = cos / tau, and the
	 * gcse logit N+i has unit derivative w.r.t. s_i (detached offset). */
	const double scale = (double)dloss / N / ws->cfg.tau;
	float *D = ws->dlogits;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < M; j++) {
			double g = (double)ws->probs[(size_t)i * M + j] - (j == i);
			D[(size_t)i * M + j] = (float)(g * scale);
		}
	/* d ahat = D[:, :N] phat + D[:, N:] nhat */
	gemm_strided(N, C, N, 1.0f, D, M, 1, ws->phat, C, 1, 0.0f, ws->dhat, C, 1);
	if (hard)
		gemm_strided(N, C, N, 1.0f, D + N, M, 1, ws->nhat, C, 1, 1.0f, ws->dhat, C, 1);
	unitnorm_backward(da, ws->dhat, ws->ahat, ws->arn, N, C);
	/* d phat = D[:, :N]^T ahat */
	gemm_strided(N, C, N, 1.0f, D, 1, M, ws->ahat, C, 1, 0.0f, ws->dhat, C, 1);
	unitnorm_backward(dp, ws->dhat, ws->phat, ws->prn, N, C);
	if (hard && dn) {
		gemm_strided(N, C, N, 1.0f, D + N, 1, M, ws->ahat, C, 1, 0.0f, ws->dhat, C, 1);
		unitnorm_backward(dn, ws->dhat, ws->nhat, ws->nrn, N, C);
	}
}

double loss_mean_gate(const loss_ws *ws)
{
	double s = 0;
	for (int i = 0; i < ws->N; i++)
		s += ws->G[i];
	return ws->N ? s / ws->N : 0;
}

/* ---- naive reference ---- */

/* unit rows and 1/norm in double; clamped[i] when the norm was below eps */
static void ref_unit(const float *x, int N, int C, double *u, double *r, int *cl)
{
	for (int i = 0; i < N; i++) {
		double ss = 0;
		for (int c = 0; c < C; c++)
			ss += (double)x[(size_t)i * C + c] * x[(size_t)i * C + c];
		double nrm = sqrt(ss);
		cl[i] = !(nrm > LOSS_EPS);
		r[i] = 1.0 / (cl[i] ? LOSS_EPS : nrm);
		for (int c = 0; c < C; c++)
			u[(size_t)i * C + c] = x[(size_t)i * C + c] * r[i];
	}
}

/* dx_i = (du_i - (du_i . u_i) u_i) r_i  (or du_i r_i where clamped) */
static void ref_unit_back(const double *du, const double *u, const double *r,
                          const int *cl, int N, int C, double *dx)
{
	for (int i = 0; i < N; i++) {
		double dot = 0;
		for (int c = 0; c < C; c++)
			dot += du[(size_t)i * C + c] * u[(size_t)i * C + c];
		if (cl[i])
			dot = 0;
		for (int c = 0; c < C; c++)
			dx[(size_t)i * C + c] = (du[(size_t)i * C + c] - dot * u[(size_t)i * C + c]) * r[i];
	}
}

double loss_ref(const loss_config *cfg, const float *a, const float *p,
                const float *n, const float *sprime, int N, int C,
                double *da, double *dp, double *dn)
{
	return loss_ref_gated(cfg, a, p, n, sprime, NULL, N, C, da, dp, dn);
}

double loss_ref_gated(const loss_config *cfg, const float *a, const float *p, const float *n,
                      const float *sprime, const float *gate, int N, int C, double *da, double *dp,
                      double *dn)
{
	const int hard = cfg->kind != LOSS_SIMCSE;
	if (cfg->kind == LOSS_MLM || cfg->kind == LOSS_DISTILL || N < 1 || C < 1 || (hard && !n) ||
	    (cfg->kind == LOSS_GCSE && !sprime))
		return NAN;
	const int M = hard ? 2 * N : N;
	size_t nc = (size_t)N * C;
	double *ua = malloc(nc * sizeof *ua), *up = malloc(nc * sizeof *up);
	double *un = malloc(nc * sizeof *un), *du = malloc(3 * nc * sizeof *du);
	double *r = malloc(3 * (size_t)N * sizeof *r), *L = malloc((size_t)N * M * sizeof *L);
	int *cl = malloc(3 * (size_t)N * sizeof *cl);
	double loss = NAN;
	if (!ua || !up || !un || !du || !r || !L || !cl)
		goto out;
	ref_unit(a, N, C, ua, r, cl);
	ref_unit(p, N, C, up, r + N, cl + N);
	if (hard)
		ref_unit(n, N, C, un, r + 2 * N, cl + 2 * N);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < M; j++) {
			const double *v = j < N ? up + (size_t)j * C : un + (size_t)(j - N) * C;
			double dot = 0;
			for (int c = 0; c < C; c++)
				dot += ua[(size_t)i * C + c] * v[c];
			L[(size_t)i * M + j] = dot / cfg->tau;
		}
	if (cfg->kind == LOSS_GCSE)
		for (int i = 0; i < N; i++) {
			double s = L[(size_t)i * M + N + i], d = (gate ? gate[i] : s) - sprime[i];
			double G = (d <= LOSS_GATE_TIE || cfg->symmetric) ?
			           exp(-d * d / (2 * cfg->sigma * cfg->sigma)) : 0.0;
			L[(size_t)i * M + N + i] = s - G * s;
		}
	loss = 0;
	for (int i = 0; i < N; i++) {
		double *row = L + (size_t)i * M, mx = row[0], sum = 0;
		for (int j = 1; j < M; j++)
			mx = fmax(mx, row[j]);
		for (int j = 0; j < M; j++)
			sum += exp(row[j] - mx);
		double lse = mx + log(sum);
		loss += lse - row[i];
		for (int j = 0; j < M; j++)   /* row becomes d loss / d cos */
			row[j] = (exp(row[j] - lse) - (j == i)) / N / cfg->tau;
	}
	loss /= N;
	/* d ua_i = sum_j D_ij v_j ; d up_j = sum_i D_ij ua_i ; d un likewise */
	double *dua = du, *dup = du + nc, *dun = du + 2 * nc;
	memset(du, 0, 3 * nc * sizeof *du);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < M; j++) {
			double g = L[(size_t)i * M + j];
			const double *v = j < N ? up + (size_t)j * C : un + (size_t)(j - N) * C;
			double *dv = j < N ? dup + (size_t)j * C : dun + (size_t)(j - N) * C;
			for (int c = 0; c < C; c++) {
				dua[(size_t)i * C + c] += g * v[c];
				dv[c] += g * ua[(size_t)i * C + c];
			}
		}
	ref_unit_back(dua, ua, r, cl, N, C, da);
	ref_unit_back(dup, up, r + N, cl + N, N, C, dp);
	if (hard && dn)
		ref_unit_back(dun, un, r + 2 * N, cl + 2 * N, N, C, dn);
out:
	free(ua);
	free(up);
	free(un);
	free(du);
	free(r);
	free(L);
	free(cl);
	return loss;
}
