/* layers.c — forward and backward kernels of the BERT encoder (see layers.h).
 *
 * Determinism: every reduction has a fixed order that depends only on the
 * row's own data: LayerNorm sums over C in 32 fixed lanes (index mod 32),
 * softmax sums in 8 lanes (key index mod 8), dot products and context sums
 * run in index order; padding only ever adds exact zeros. The AVX2 code and
 * its plain C mirror perform the same IEEE operations (fused multiply-adds
 * where the target has FMA), so an element gets the same bits whether it
 * falls in a vector body, a tail, or a differently blocked call.
 *
 * Speed: outside the GEMMs (base/gemm.h) everything is one pass over memory at
 * most (biases are added inside the kernels that follow a product), the
 * attention works on small per-thread copies that stay in cache, and exp and
 * GELU are polynomial evaluations in AVX2 registers. */
#include "nn/layers.h"
#include "nn/dropout.h"
#include "base/gemm.h"
#include "base/rng.h"

#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LAYERS_AVX2 1
/* AVX-512F where the build targets it (-march=native on such a CPU): the
 * element-wise kernels (exp, GELU and its gradient) and LayerNorm's 32-lane
 * sums run 16 wide with the very operations of the 8-wide code in every
 * lane, so the bits do not change; softmax and attention keep their 8
 * lanes, which define their sums. */
#ifdef __AVX512F__
#define LAYERS_AVX512 1
#endif
#endif

#ifdef __FMA__
#define FMA(a, b, c) __builtin_fmaf(a, b, c)
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif

int layers_simd(void)
{
#if defined(LAYERS_AVX512)
	return 2;
#elif defined(LAYERS_AVX2)
	return 1;
#else
	return 0;
#endif
}

/* ---- exp and GELU ------------------------------------------------------
 * exp(x) = 2^n * p(r), n = round(x / ln 2), r = x - n ln 2 (two-part ln 2),
 * p a degree-6 least-squares fit of exp on [-ln2/2, ln2/2] (Chebyshev nodes,
 * relative error 2e-9). Inputs are clamped to [-87, 88]; below -87 the result
 * is 0.
 * erfc(a), a >= 0, as exp(-a^2) * erfcx(a) with erfcx (the scaled
 * complementary error function, smooth and bounded) a degree-8 polynomial in
 * t = (a - 2.5) / (a + 2.5), least-squares fitted on [0, 3.92] (relative
 * error 5e-8 with float coefficients); from 3.92 on erfc is taken as 0
 * (erf(3.92) rounds to 1 in float). GELU uses 1 + erf(u) = erfc(-u): for
 * negative inputs it keeps its relative accuracy (no cancellation). */
#define EXP_LO -87.0f
#define EXP_HI 88.0f
#define EXP_MAGIC 12582912.0f           /* 1.5 * 2^23: adding it rounds to an integer */
#define LOG2E 1.44269504f
#define LN2_HI 0.693145752f
#define LN2_LO 1.42860677e-6f
#define E6 1.382942060e-03f
#define E5 8.374771520e-03f
#define E4 4.166835803e-02f
#define E3 1.666642083e-01f
#define E2 4.999999149e-01f
#define ERF_MAX 3.92f
#define ERFCX_K 2.5f
#define R8 3.448081686e-04f
#define R7 8.931877962e-04f
#define R6 -2.666252559e-03f
#define R5 -4.002310689e-03f
#define R4 3.992351916e-02f
#define R3 -1.250325386e-01f
#define R2 2.517131756e-01f
#define R1 -3.717367407e-01f
#define R0 2.108063642e-01f
#define SQRT1_2 0.70710677f

/* exp for x in [-87, 0] (no clamping; used where that range is known). */
static inline float exp1_nc(float x)
{
	float n = FMA(x, LOG2E, EXP_MAGIC) - EXP_MAGIC;
	float r = FMA(n, -LN2_HI, x);
	r = FMA(n, -LN2_LO, r);
	float p = E6;
	p = FMA(p, r, E5);
	p = FMA(p, r, E4);
	p = FMA(p, r, E3);
	p = FMA(p, r, E2);
	p = FMA(p, r, 1.0f);
	p = FMA(p, r, 1.0f);
	int32_t bits = ((int32_t)n + 127) * (1 << 23);
	float s;
	memcpy(&s, &bits, 4);
	return p * s;
}

static inline float exp1(float x)
{
	float xc = x < EXP_LO ? EXP_LO : x;
	xc = xc > EXP_HI ? EXP_HI : xc;
	return x < EXP_LO ? 0.0f : exp1_nc(xc);
}

/* erfcx(ac) = exp(ac^2) erfc(ac), ac in [0, ERF_MAX]: the polynomial in t,
 * one per width: erfcx1 (erfc1, gelu1, gelu_grad1), erfcx8 (gelu8,
 * gelu_grad8), erfcx16 (gelu16, gelu_grad16), operation for operation. */
static inline float erfcx1(float ac)
{
	float t = (ac - ERFCX_K) / (ac + ERFCX_K);
	float r = R8;
	r = FMA(r, t, R7);
	r = FMA(r, t, R6);
	r = FMA(r, t, R5);
	r = FMA(r, t, R4);
	r = FMA(r, t, R3);
	r = FMA(r, t, R2);
	r = FMA(r, t, R1);
	r = FMA(r, t, R0);
	return r;
}

static inline float erfc1(float a)              /* erfc(a), a >= 0 */
{
	float ac = a > ERF_MAX ? ERF_MAX : a;
	float r = erfcx1(ac);
	float e = exp1_nc(-(ac * ac)) * r;
	return a < ERF_MAX ? e : 0.0f;
}

static inline float gelu1(float x)
{
	float u = x * SQRT1_2;
	float e = erfc1(fabsf(u));
	float r = u < 0 ? e : 2.0f - e;                 /* 1 + erf(u) */
	return (x * 0.5f) * r;
}

float layers_expf(float x) { return exp1(x); }
float layers_gelu(float x) { return gelu1(x); }

float layers_erff(float x)
{
	float e = 1.0f - erfc1(fabsf(x));
	return x < 0 ? -e : e;
}

#ifdef LAYERS_AVX2
#define SET1 _mm256_set1_ps
/* the polynomial and the scaling of exp8 and exp8_nc, xc already in range */
static inline __m256 exp8_poly(__m256 xc)
{
	__m256 magic = SET1(EXP_MAGIC);
	__m256 n = _mm256_sub_ps(_mm256_fmadd_ps(xc, SET1(LOG2E), magic), magic);
	__m256 r = _mm256_fmadd_ps(n, SET1(-LN2_HI), xc);
	r = _mm256_fmadd_ps(n, SET1(-LN2_LO), r);
	__m256 p = SET1(E6);
	p = _mm256_fmadd_ps(p, r, SET1(E5));
	p = _mm256_fmadd_ps(p, r, SET1(E4));
	p = _mm256_fmadd_ps(p, r, SET1(E3));
	p = _mm256_fmadd_ps(p, r, SET1(E2));
	p = _mm256_fmadd_ps(p, r, SET1(1.0f));
	p = _mm256_fmadd_ps(p, r, SET1(1.0f));
	__m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
	return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __m256 exp8(__m256 x)
{
	__m256 lo = SET1(EXP_LO);
	__m256 res = exp8_poly(_mm256_min_ps(_mm256_max_ps(x, lo), SET1(EXP_HI)));
	return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), res);
}

static inline __m256 exp8_nc(__m256 x)          /* x in [-87, 0] */
{
	return exp8_poly(x);
}

static inline __m256 erfcx8(__m256 ac)           /* erfcx1 on 8 lanes */
{
	__m256 t = _mm256_div_ps(_mm256_sub_ps(ac, SET1(ERFCX_K)), _mm256_add_ps(ac, SET1(ERFCX_K)));
	__m256 r = SET1(R8);
	r = _mm256_fmadd_ps(r, t, SET1(R7));
	r = _mm256_fmadd_ps(r, t, SET1(R6));
	r = _mm256_fmadd_ps(r, t, SET1(R5));
	r = _mm256_fmadd_ps(r, t, SET1(R4));
	r = _mm256_fmadd_ps(r, t, SET1(R3));
	r = _mm256_fmadd_ps(r, t, SET1(R2));
	r = _mm256_fmadd_ps(r, t, SET1(R1));
	r = _mm256_fmadd_ps(r, t, SET1(R0));
	return r;
}

static inline __m256 gelu8(__m256 x)
{
	__m256 u = _mm256_mul_ps(x, SET1(SQRT1_2));
	__m256 a = _mm256_andnot_ps(SET1(-0.0f), u);
	__m256 ac = _mm256_min_ps(a, SET1(ERF_MAX));
	__m256 r = erfcx8(ac);
	__m256 e = _mm256_mul_ps(exp8_nc(_mm256_xor_ps(_mm256_mul_ps(ac, ac), SET1(-0.0f))), r);
	e = _mm256_and_ps(e, _mm256_cmp_ps(a, SET1(ERF_MAX), _CMP_LT_OQ));
	__m256 neg = _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ);
	__m256 one_erf = _mm256_blendv_ps(_mm256_sub_ps(SET1(2.0f), e), e, neg);
	return _mm256_mul_ps(_mm256_mul_ps(x, SET1(0.5f)), one_erf);
}
#endif

#ifdef LAYERS_AVX512
/* exp16, exp16_nc, gelu16: exp8, exp8_nc, gelu8 on 16 lanes, operation for
 * operation (AVX-512F only: sign bits by integer logic, selections by masks). */
#define SET16 _mm512_set1_ps
static inline __m512 neg16(__m512 x)
{
	return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

static inline __m512 exp16_poly(__m512 xc)
{
	__m512 magic = SET16(EXP_MAGIC);
	__m512 n = _mm512_sub_ps(_mm512_fmadd_ps(xc, SET16(LOG2E), magic), magic);
	__m512 r = _mm512_fmadd_ps(n, SET16(-LN2_HI), xc);
	r = _mm512_fmadd_ps(n, SET16(-LN2_LO), r);
	__m512 p = SET16(E6);
	p = _mm512_fmadd_ps(p, r, SET16(E5));
	p = _mm512_fmadd_ps(p, r, SET16(E4));
	p = _mm512_fmadd_ps(p, r, SET16(E3));
	p = _mm512_fmadd_ps(p, r, SET16(E2));
	p = _mm512_fmadd_ps(p, r, SET16(1.0f));
	p = _mm512_fmadd_ps(p, r, SET16(1.0f));
	__m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
	return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

static inline __m512 exp16(__m512 x)
{
	__m512 lo = SET16(EXP_LO);
	__m512 res = exp16_poly(_mm512_min_ps(_mm512_max_ps(x, lo), SET16(EXP_HI)));
	return _mm512_maskz_mov_ps(_knot_mask16(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ)), res);
}

static inline __m512 exp16_nc(__m512 x)          /* x in [-87, 0] */
{
	return exp16_poly(x);
}

static inline __m512 erfcx16(__m512 ac)         /* erfcx1 on 16 lanes */
{
	__m512 t = _mm512_div_ps(_mm512_sub_ps(ac, SET16(ERFCX_K)), _mm512_add_ps(ac, SET16(ERFCX_K)));
	__m512 r = SET16(R8);
	r = _mm512_fmadd_ps(r, t, SET16(R7));
	r = _mm512_fmadd_ps(r, t, SET16(R6));
	r = _mm512_fmadd_ps(r, t, SET16(R5));
	r = _mm512_fmadd_ps(r, t, SET16(R4));
	r = _mm512_fmadd_ps(r, t, SET16(R3));
	r = _mm512_fmadd_ps(r, t, SET16(R2));
	r = _mm512_fmadd_ps(r, t, SET16(R1));
	return _mm512_fmadd_ps(r, t, SET16(R0));
}

static inline __m512 gelu16(__m512 x)
{
	__m512 u = _mm512_mul_ps(x, SET16(SQRT1_2));
	__m512 a = _mm512_abs_ps(u);
	__m512 ac = _mm512_min_ps(a, SET16(ERF_MAX));
	__m512 r = erfcx16(ac);
	__m512 e = _mm512_mul_ps(exp16_nc(neg16(_mm512_mul_ps(ac, ac))), r);
	e = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, SET16(ERF_MAX), _CMP_LT_OQ), e);
	__mmask16 neg = _mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_LT_OQ);
	__m512 one_erf = _mm512_mask_blend_ps(neg, _mm512_sub_ps(SET16(2.0f), e), e);
	return _mm512_mul_ps(_mm512_mul_ps(x, SET16(0.5f)), one_erf);
}
#endif

/* ---- backward helpers ------------------------------------------------
 * Backward kernels accumulate (+=) into their outputs, as in llm.c. Row
 * reductions (bias, LayerNorm weight, embedding tables) give each output
 * element to one thread, which adds the rows in row order; no product's
 * bits depend on the thread count (base/gemm.h): no result depends on the
 * number of threads. */

/* The scale of a kept element, exactly as dropout.c computes it. */
static float keep_scale(float p)
{
	return p >= 1.0f ? 0.0f : (float)(1.0 / (1.0 - (double)p));
}

static inline int bit_at(const uint8_t *bits, size_t i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static inline float lanes8(const float acc[8])
{
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* This thread's share [*c0, *c1) of C columns (contiguous, 16-aligned):
 * every column belongs to one thread, which adds the rows in order, so the
 * bits do not depend on the team size; each thread reads long stretches of
 * every row, which the hardware prefetches. Call inside a parallel region. */
static void col_range(int C, int *c0, int *c1)
{
	int nt = omp_get_num_threads(), t = omp_get_thread_num();
	int per = ((C + nt - 1) / nt + 15) / 16 * 16;
	*c0 = t * per < C ? t * per : C;
	*c1 = *c0 + per < C ? *c0 + per : C;
}

void colsum_add(float *acc, const float *x, int N, int C)
{
#pragma omp parallel if ((long)N * C >= 32768)
	{
		int c0, c1;
		col_range(C, &c0, &c1);
		for (long r = 0; r < N; r++) {
			const float *xr = x + (size_t)r * C;
#pragma omp simd
			for (int c = c0; c < c1; c++)
				acc[c] += xr[c];
		}
	}
}

/* ---- embeddings ------------------------------------------------------- */

void embeddings_forward(float *out, const int *ids, const float *wte, const float *wpe,
                        const float *wtt, int B, int T, int C)
{
	long N = (long)B * T;
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		int t = (int)(r % T);
		const float *we = wte + (size_t)ids[r] * C, *pe = wpe + (size_t)t * C;
		float *o = out + (size_t)r * C;
#pragma omp simd
		for (int c = 0; c < C; c++)
			o[c] = (we[c] + wtt[c]) + pe[c];
	}
}

void embeddings_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                         const int *ids, int B, int T, int C)
{
	long N = (long)B * T;
#pragma omp parallel if (N * C >= 32768)
	{
		int c0, c1;
		col_range(C, &c0, &c1);
		for (long r = 0; r < N; r++) {
			const float *d = dout + (size_t)r * C;
			float *we = dwte + (size_t)ids[r] * C, *pe = dwpe + (size_t)(r % T) * C;
#pragma omp simd
			for (int c = c0; c < c1; c++) {
				we[c] += d[c];
				pe[c] += d[c];
				dwtt[c] += d[c];
			}
		}
	}
}

void embeddings_backward_naive(float *dwte, float *dwpe, float *dwtt, const float *dout,
                               const int *ids, int B, int T, int C)
{
	for (int c = 0; c < C; c++) {
		double st = 0;
		for (long r = 0; r < (long)B * T; r++) {
			float d = dout[(size_t)r * C + c];
			dwte[(size_t)ids[r] * C + c] += d;
			dwpe[(size_t)(r % T) * C + c] += d;
			st += d;
		}
		dwtt[c] += (float)st;
	}
}

/* ---- layer norm ------------------------------------------------------- */

/* Row reductions for LayerNorm: 32 fixed lanes (lane = index mod 32, so
 * four independent vector chains), combined in a fixed order. */
static inline float lanes32(float acc[32])
{
	float a8[8];
	for (int l = 0; l < 8; l++)
		a8[l] = (acc[l] + acc[l + 8]) + (acc[l + 16] + acc[l + 24]);
	return ((a8[0] + a8[4]) + (a8[2] + a8[6])) + ((a8[1] + a8[5]) + (a8[3] + a8[7]));
}

static inline float sum32(const float *x, int n)
{
	float acc[32] = {0};
	int i = 0;
#if defined(LAYERS_AVX512)
	__m512 a0 = _mm512_setzero_ps(), a1 = a0;           /* lanes 0-15, 16-31 */
	for (; i + 32 <= n; i += 32) {
		a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
		a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + i + 16));
	}
	_mm512_storeu_ps(acc, a0);
	_mm512_storeu_ps(acc + 16, a1);
#elif defined(LAYERS_AVX2)
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	for (; i + 32 <= n; i += 32) {
		a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
		a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
		a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
		a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
	}
	_mm256_storeu_ps(acc, a0);
	_mm256_storeu_ps(acc + 8, a1);
	_mm256_storeu_ps(acc + 16, a2);
	_mm256_storeu_ps(acc + 24, a3);
#endif
	for (; i < n; i++)
		acc[i & 31] += x[i];
	return lanes32(acc);
}

static inline float sqdev32(const float *x, float m, int n)
{
	float acc[32] = {0};
	int i = 0;
#if defined(LAYERS_AVX512)
	__m512 vm = _mm512_set1_ps(m), a0 = _mm512_setzero_ps(), a1 = a0;
	for (; i + 32 <= n; i += 32) {
		__m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), vm);
		__m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm);
		a0 = _mm512_fmadd_ps(d0, d0, a0);
		a1 = _mm512_fmadd_ps(d1, d1, a1);
	}
	_mm512_storeu_ps(acc, a0);
	_mm512_storeu_ps(acc + 16, a1);
#elif defined(LAYERS_AVX2)
	__m256 vm = _mm256_set1_ps(m), a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	for (; i + 32 <= n; i += 32) {
		__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
		__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm);
		__m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), vm);
		__m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), vm);
		a0 = _mm256_fmadd_ps(d0, d0, a0);
		a1 = _mm256_fmadd_ps(d1, d1, a1);
		a2 = _mm256_fmadd_ps(d2, d2, a2);
		a3 = _mm256_fmadd_ps(d3, d3, a3);
	}
	_mm256_storeu_ps(acc, a0);
	_mm256_storeu_ps(acc + 8, a1);
	_mm256_storeu_ps(acc + 16, a2);
	_mm256_storeu_ps(acc + 24, a3);
#endif
	for (; i < n; i++) {
		float d = x[i] - m;
		acc[i & 31] = FMA(d, d, acc[i & 31]);
	}
	return lanes32(acc);
}

static inline void layernorm_row(float *o, float *mean, float *rstd, const float *x, const float *weight,
                                 const float *bias, int C, float eps)
{
	float m = sum32(x, C) / (float)C;
	float v = sqdev32(x, m, C) / (float)C;
	float s = 1.0f / sqrtf(v + eps);
#pragma omp simd
	for (int c = 0; c < C; c++)
		o[c] = FMA((x[c] - m) * s, weight[c], bias[c]);
	*mean = m;
	*rstd = s;
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int T, int C, float eps)
{
	long N = (long)B * T;
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++)
		layernorm_row(out + (size_t)r * C, mean + r, rstd + r, inp + (size_t)r * C, weight, bias, C, eps);
}

void residual_layernorm_forward(float *out, float *res, float *mean, float *rstd, const float *inp,
                                const float *y, const float *ybias, const float *weight,
                                const float *bias, int B, int T, int C, float eps)
{
	long N = (long)B * T;
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		float *x = res + (size_t)r * C;
		const float *a = inp + (size_t)r * C, *yy = y + (size_t)r * C;
#pragma omp simd
		for (int c = 0; c < C; c++)
			x[c] = (yy[c] + ybias[c]) + a[c];
		layernorm_row(out + (size_t)r * C, mean + r, rstd + r, x, weight, bias, C, eps);
	}
}

void layernorm_forward_naive(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int B, int T, int C, float eps)
{
	for (long r = 0; r < (long)B * T; r++) {
		const float *x = inp + (size_t)r * C;
		double m = 0, v = 0;
		for (int c = 0; c < C; c++)
			m += x[c];
		m /= C;
		for (int c = 0; c < C; c++)
			v += (x[c] - m) * (x[c] - m);
		v /= C;
		double s = 1.0 / sqrt(v + eps);
		for (int c = 0; c < C; c++)
			out[(size_t)r * C + c] = (float)((x[c] - m) * s * weight[c] + bias[c]);
		mean[r] = (float)m;
		rstd[r] = (float)s;
	}
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int T, int C)
{
	long N = (long)B * T;
	if (dinp) {
#pragma omp parallel for schedule(static)
		for (long r = 0; r < N; r++) {
			const float *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
			float *dx = dinp + (size_t)r * C;
			float m = mean[r], s = rstd[r];
			float a1[8] = {0}, a2[8] = {0};
			int c = 0;
			for (; c + 8 <= C; c += 8)
#pragma omp simd
				for (int l = 0; l < 8; l++) {
					float dn = weight[c + l] * d[c + l];
					a1[l] += dn;
					a2[l] = FMA(dn, (x[c + l] - m) * s, a2[l]);
				}
			for (; c < C; c++) {
				float dn = weight[c] * d[c];
				a1[c & 7] += dn;
				a2[c & 7] = FMA(dn, (x[c] - m) * s, a2[c & 7]);
			}
			float dmean = lanes8(a1) / (float)C, dnmean = lanes8(a2) / (float)C;
#pragma omp simd
			for (c = 0; c < C; c++) {
				float norm = (x[c] - m) * s;
				float dn = weight[c] * d[c];
				dx[c] += (dn - dmean - norm * dnmean) * s;
			}
		}
	}
#pragma omp parallel if (N * C >= 32768)
	{
		int c0, c1;
		col_range(C, &c0, &c1);
		for (long r = 0; r < N; r++) {
			const float *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
			float m = mean[r], s = rstd[r];
#pragma omp simd
			for (int c = c0; c < c1; c++) {
				dweight[c] = FMA(d[c], (x[c] - m) * s, dweight[c]);
				dbias[c] += d[c];
			}
		}
	}
}

void layernorm_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int B, int T, int C)
{
	long N = (long)B * T;
	for (long r = 0; r < N; r++) {
		const float *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
		double m = mean[r], s = rstd[r], dmean = 0, dnmean = 0;
		for (int c = 0; c < C; c++) {
			double norm = (x[c] - m) * s, dn = (double)weight[c] * d[c];
			dmean += dn;
			dnmean += dn * norm;
		}
		dmean /= C;
		dnmean /= C;
		for (int c = 0; c < C; c++) {
			double norm = (x[c] - m) * s, dn = (double)weight[c] * d[c];
			if (dinp)
				dinp[(size_t)r * C + c] += (float)((dn - dmean - norm * dnmean) * s);
		}
	}
	for (int c = 0; c < C; c++) {
		double sw = 0, sb = 0;
		for (long r = 0; r < N; r++) {
			double d = dout[(size_t)r * C + c];
			sw += d * (inp[(size_t)r * C + c] - (double)mean[r]) * rstd[r];
			sb += d;
		}
		dweight[c] += (float)sw;
		dbias[c] += (float)sb;
	}
}

/* ---- matmul ----------------------------------------------------------- */

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int B, int T, int C, int OC)
{
	long N = (long)B * T;
	if (N == 0 || OC == 0)
		return;
	if (C == 0)
		memset(out, 0, (size_t)N * OC * sizeof *out);
	else {
		/* row-wise: a row's bits do not depend on N (gemm.h) */
		gemm_f32(N, OC, C, 1.0f, inp, C, 1, weight, 1, C, 0.0f, out, OC, 1, GEMM_ROWWISE);
	}
	/* the bias after the product, as the fused kernels (bias_gelu_forward,
	 * attention_forward_infer, residual_layernorm_forward) add it */
	if (bias) {
#pragma omp parallel for schedule(static)
		for (long r = 0; r < N; r++) {
			float *o = out + (size_t)r * OC;
#pragma omp simd
			for (int c = 0; c < OC; c++)
				o[c] += bias[c];
		}
	}
}

void matmul_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          int B, int T, int C, int OC)
{
	for (long r = 0; r < (long)B * T; r++)
		for (int o = 0; o < OC; o++) {
			float v = bias ? bias[o] : 0.0f;
			for (int c = 0; c < C; c++)
				v += inp[(size_t)r * C + c] * weight[(size_t)o * C + c];
			out[(size_t)r * OC + o] = v;
		}
}

void gemm_strided(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
                  const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc)
{
	gemm_f32(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, 0);
}

void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int B, int T, int C, int OC)
{
	long N = (long)B * T;
	if (N == 0 || OC == 0 || C == 0) {
		if (dbias && N > 0)
			colsum_add(dbias, dout, (int)N, OC);
		return;
	}
	/* dinp (N,C) += dout (N,OC) . W (OC,C) */
	if (dinp)
		gemm_strided(N, C, OC, 1.0f, dout, OC, 1, weight, C, 1, 1.0f, dinp, C, 1);
	/* dW (OC,C) += dout^T (OC,N) . inp (N,C): dout read with swapped strides */
	gemm_strided(OC, C, N, 1.0f, dout, 1, OC, inp, C, 1, 1.0f, dweight, C, 1);
	if (dbias)
		colsum_add(dbias, dout, (int)N, OC);
}

void matmul_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int B, int T, int C, int OC)
{
	long N = (long)B * T;
	if (dinp)
		for (long r = 0; r < N; r++)
			for (int c = 0; c < C; c++) {
				double s = 0;
				for (int o = 0; o < OC; o++)
					s += (double)dout[(size_t)r * OC + o] * weight[(size_t)o * C + c];
				dinp[(size_t)r * C + c] += (float)s;
			}
	for (int o = 0; o < OC; o++) {
		for (int c = 0; c < C; c++) {
			double s = 0;
			for (long r = 0; r < N; r++)
				s += (double)dout[(size_t)r * OC + o] * inp[(size_t)r * C + c];
			dweight[(size_t)o * C + c] += (float)s;
		}
		if (dbias) {
			double s = 0;
			for (long r = 0; r < N; r++)
				s += dout[(size_t)r * OC + o];
			dbias[o] += (float)s;
		}
	}
}

/* ---- softmax ---------------------------------------------------------- */

/* Softmax of R rows of a (row stride ld) over their first n entries, in
 * place, masked entries 0 (mask (n) shared by the rows, or NULL). Rows are
 * interleaved so that their exponentials overlap; each row gets exactly the
 * operations of softmax_forward. lse (R) or NULL: each row's log-sum-exp,
 * max + log(sum of exp(x - max)). */
static inline __attribute__((always_inline)) void softmax_rows(float *a, int ld, int R, const int *mask,
                                                               int n, float *lse)
{
	float mx[4], acc[4][8];
	int j = 0;
#pragma GCC unroll 4
	for (int r = 0; r < R; r++) {
		mx[r] = -INFINITY;
		for (int l = 0; l < 8; l++)
			acc[r][l] = 0.0f;
	}
#ifdef LAYERS_AVX2
	__m256 ninf = _mm256_set1_ps(-INFINITY), vmx[4], vacc[4];
#pragma GCC unroll 4
	for (int r = 0; r < R; r++) {
		vmx[r] = ninf;
		vacc[r] = _mm256_setzero_ps();
	}
	for (; j + 8 <= n; j += 8) {
		__m256 off = ninf;
		if (mask)
			off = _mm256_castsi256_ps(_mm256_cmpeq_epi32(
				_mm256_loadu_si256((const __m256i *)(mask + j)), _mm256_setzero_si256()));
#pragma GCC unroll 4
		for (int r = 0; r < R; r++) {
			__m256 v = _mm256_loadu_ps(a + (size_t)r * ld + j);
			if (mask)
				v = _mm256_blendv_ps(v, ninf, off);
			vmx[r] = _mm256_max_ps(vmx[r], v);
		}
	}
#pragma GCC unroll 4
	for (int r = 0; r < R; r++) {
		float lanes[8];
		_mm256_storeu_ps(lanes, vmx[r]);
		for (int l = 0; l < 8; l++)
			mx[r] = lanes[l] > mx[r] ? lanes[l] : mx[r];
	}
#endif
	for (int r = 0; r < R; r++)
		for (int jj = j; jj < n; jj++)
			if ((!mask || mask[jj]) && a[(size_t)r * ld + jj] > mx[r])
				mx[r] = a[(size_t)r * ld + jj];
	j = 0;
#ifdef LAYERS_AVX2
	for (; j + 8 <= n; j += 8) {
		__m256 off = ninf;
		if (mask)
			off = _mm256_castsi256_ps(_mm256_cmpeq_epi32(
				_mm256_loadu_si256((const __m256i *)(mask + j)), _mm256_setzero_si256()));
#pragma GCC unroll 4
		for (int r = 0; r < R; r++) {
			float *x = a + (size_t)r * ld + j;
			__m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x), _mm256_set1_ps(mx[r])));
			if (mask)
				e = _mm256_andnot_ps(off, e);
			vacc[r] = _mm256_add_ps(vacc[r], e);
			_mm256_storeu_ps(x, e);
		}
	}
#pragma GCC unroll 4
	for (int r = 0; r < R; r++)
		_mm256_storeu_ps(acc[r], vacc[r]);
#endif
	for (int r = 0; r < R; r++) {
		float *x = a + (size_t)r * ld;
		if (mx[r] == -INFINITY) {               /* nothing to attend to */
			memset(x, 0, (size_t)n * sizeof *x);
			if (lse)
				lse[r] = -INFINITY;
			continue;
		}
		for (int jj = j; jj < n; jj++) {
			float e = !mask || mask[jj] ? exp1(x[jj] - mx[r]) : 0.0f;
			x[jj] = e;
			acc[r][jj & 7] += e;
		}
		float sum = ((acc[r][0] + acc[r][4]) + (acc[r][2] + acc[r][6])) +
		            ((acc[r][1] + acc[r][5]) + (acc[r][3] + acc[r][7]));
		float inv = 1.0f / sum;
#pragma omp simd
		for (int jj = 0; jj < n; jj++)
			x[jj] *= inv;
		if (lse)
			lse[r] = mx[r] + logf(sum);
	}
}

void softmax_forward(float *probs, const float *x, const int *mask, int n)
{
	if (probs != x)
		memmove(probs, x, (size_t)n * sizeof *probs);
	softmax_rows(probs, n, 1, mask, n, NULL);
}

void softmax_forward_naive(float *probs, const float *x, const int *mask, int n)
{
	double mx = -INFINITY, sum = 0;
	for (int j = 0; j < n; j++)
		if (!mask || mask[j])
			mx = x[j] > mx ? x[j] : mx;
	for (int j = 0; j < n; j++) {
		probs[j] = !mask || mask[j] ? expf((float)(x[j] - mx)) : 0.0f;
		sum += probs[j];
	}
	for (int j = 0; j < n; j++)
		probs[j] = sum > 0 ? (float)(probs[j] / sum) : 0.0f;
}

void softmax_backward(float *dx, const float *dprobs, const float *probs, int n)
{
	float acc[8] = {0};
	int j = 0;
	for (; j + 8 <= n; j += 8)
#pragma omp simd
		for (int l = 0; l < 8; l++)
			acc[l] = FMA(probs[j + l], dprobs[j + l], acc[l]);
	for (; j < n; j++)
		acc[j & 7] = FMA(probs[j], dprobs[j], acc[j & 7]);
	float dot = lanes8(acc);
#pragma omp simd
	for (j = 0; j < n; j++)
		dx[j] += probs[j] * (dprobs[j] - dot);
}

void softmax_backward_naive(float *dx, const float *dprobs, const float *probs, int n)
{
	double dot = 0;
	for (int j = 0; j < n; j++)
		dot += (double)probs[j] * dprobs[j];
	for (int j = 0; j < n; j++)
		dx[j] += (float)(probs[j] * (dprobs[j] - dot));
}

/* ---- cross-entropy over a vocabulary ---------------------------------- */

void crossentropy_forward(float *p, double *loss, const int *labels, int R, int V)
{
#pragma omp parallel for schedule(static)
	for (int r = 0; r < R; r++) {
		float *z = p + (size_t)r * V, lse = 0, zl = z[labels[r]];
		softmax_rows(z, V, 1, NULL, V, &lse);
		loss[r] = (double)lse - zl;
	}
}

void crossentropy_forward_naive(float *p, double *loss, const int *labels, int R, int V)
{
	for (int r = 0; r < R; r++) {
		float *z = p + (size_t)r * V;
		double mx = -INFINITY, s = 0;
		for (int v = 0; v < V; v++)
			mx = z[v] > mx ? z[v] : mx;
		for (int v = 0; v < V; v++)
			s += exp((double)z[v] - mx);
		loss[r] = mx + log(s) - z[labels[r]];
		for (int v = 0; v < V; v++)
			z[v] = (float)(exp((double)z[v] - mx) / s);
	}
}

void crossentropy_backward(float *p, const int *labels, float scale, int R, int V)
{
#pragma omp parallel for schedule(static)
	for (int r = 0; r < R; r++) {
		float *z = p + (size_t)r * V;
		z[labels[r]] -= 1.0f;
#pragma omp simd
		for (int v = 0; v < V; v++)
			z[v] *= scale;
	}
}

/* ---- attention -------------------------------------------------------- */

/* Keys of one head transposed, with bias: kt[d*T + j] = k_j[d] + bias[d]
 * (bias may be NULL) for j < n; k rows have stride ld. */
static void pack_keys(float *kt, const float *k, const float *bias, int n, int hs, int ld, int T)
{
	int j = 0;
#ifdef LAYERS_AVX2
	for (; j + 8 <= n; j += 8) {
		int d = 0;
		for (; d + 8 <= hs; d += 8) {
			__m256 r[8], t[8], s[8];
			for (int q = 0; q < 8; q++) {
				r[q] = _mm256_loadu_ps(k + (size_t)(j + q) * ld + d);
				if (bias)
					r[q] = _mm256_add_ps(r[q], _mm256_loadu_ps(bias + d));
			}
			for (int q = 0; q < 8; q += 2) {
				t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
				t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
			}
			for (int q = 0; q < 8; q += 4) {
				s[q] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(1, 0, 1, 0));
				s[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(3, 2, 3, 2));
				s[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(1, 0, 1, 0));
				s[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(3, 2, 3, 2));
			}
			for (int q = 0; q < 4; q++) {
				_mm256_storeu_ps(kt + (size_t)(d + q) * T + j, _mm256_permute2f128_ps(s[q], s[q + 4], 0x20));
				_mm256_storeu_ps(kt + (size_t)(d + q + 4) * T + j, _mm256_permute2f128_ps(s[q], s[q + 4], 0x31));
			}
		}
		for (; d < hs; d++)
			for (int q = 0; q < 8; q++)
				kt[(size_t)d * T + j + q] = bias ? k[(size_t)(j + q) * ld + d] + bias[d]
				                                 : k[(size_t)(j + q) * ld + d];
	}
#endif
	for (; j < n; j++)
		for (int d = 0; d < hs; d++)
			kt[(size_t)d * T + j] = bias ? k[(size_t)j * ld + d] + bias[d] : k[(size_t)j * ld + d];
}

/* n rows of hs values with bias into a contiguous block: out[i*hs + d] = x_i[d] + bias[d]. */
static void pack_rows(float *out, const float *x, const float *bias, int n, int hs, int ld)
{
	for (int i = 0; i < n; i++) {
		const float *xi = x + (size_t)i * ld;
		float *o = out + (size_t)i * hs;
		if (bias) {
#pragma omp simd
			for (int d = 0; d < hs; d++)
				o[d] = xi[d] + bias[d];
		} else
			memcpy(o, xi, (size_t)hs * sizeof *o);
	}
}

/* Scores of R query rows (R <= 4) against keys j0 .. j0+W-1 (W = 16, 8 or 1):
 * a[r*T + j] = (sum over d in order of q_r[d] k_j[d]) * inv_scale. Each score is
 * the same chain of fused multiply-adds whatever R and W, so the blocking
 * never changes a bit. q rows have stride ldq. */
static inline __attribute__((always_inline)) void score_block(float *a, const float *q, int ldq,
                                                              const float *kt, int T, int hs, int R,
                                                              int j0, int W, float inv_scale)
{
#ifdef LAYERS_AVX2
	if (W >= 8) {
		__m256 acc[4][2];
		int nv = W / 8;
#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
			acc[r][0] = acc[r][1] = _mm256_setzero_ps();
		for (int d = 0; d < hs; d++) {
			const float *k = kt + (size_t)d * T + j0;
			__m256 k0 = _mm256_loadu_ps(k), k1 = nv > 1 ? _mm256_loadu_ps(k + 8) : k0;
			__asm__("" : "+x"(k0), "+x"(k1));      /* keep in registers: one load each */
#pragma GCC unroll 4
			for (int r = 0; r < R; r++) {
				__m256 qb = _mm256_broadcast_ss(q + (size_t)r * ldq + d);
				acc[r][0] = _mm256_fmadd_ps(qb, k0, acc[r][0]);
				if (nv > 1)
					acc[r][1] = _mm256_fmadd_ps(qb, k1, acc[r][1]);
			}
		}
		__m256 sc = _mm256_set1_ps(inv_scale);
#pragma GCC unroll 4
		for (int r = 0; r < R; r++)
#pragma GCC unroll 2
			for (int v = 0; v < nv; v++)
				_mm256_storeu_ps(a + (size_t)r * T + j0 + 8 * v, _mm256_mul_ps(acc[r][v], sc));
		return;
	}
#endif
	for (int r = 0; r < R; r++)
		for (int j = j0; j < j0 + W; j++) {
			float acc = 0;
			for (int d = 0; d < hs; d++)
				acc = FMA(q[(size_t)r * ldq + d], kt[(size_t)d * T + j], acc);
			a[(size_t)r * T + j] = acc * inv_scale;
		}
}

/* Context of R rows (R <= 4) for channels d0 .. d0+W-1 (W = 16, 8 or 1):
 * o_r[d] = sum over j < n in order of p_r[j] v_j[d]. p rows have stride T,
 * v rows stride ldv, o rows stride ldo. */
static inline __attribute__((always_inline)) void context_block(float *o, int ldo, const float *p, int T,
                                                                const float *v, int ldv, int n, int R,
                                                                int d0, int W)
{
#ifdef LAYERS_AVX2
	if (W >= 8) {
		__m256 acc[4][2];
		int nv = W / 8;
#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
			acc[r][0] = acc[r][1] = _mm256_setzero_ps();
		for (int j = 0; j < n; j++) {
			const float *vj = v + (size_t)j * ldv + d0;
			__m256 v0 = _mm256_loadu_ps(vj), v1 = nv > 1 ? _mm256_loadu_ps(vj + 8) : v0;
			__asm__("" : "+x"(v0), "+x"(v1));
#pragma GCC unroll 4
			for (int r = 0; r < R; r++) {
				__m256 pb = _mm256_broadcast_ss(p + (size_t)r * T + j);
				acc[r][0] = _mm256_fmadd_ps(pb, v0, acc[r][0]);
				if (nv > 1)
					acc[r][1] = _mm256_fmadd_ps(pb, v1, acc[r][1]);
			}
		}
#pragma GCC unroll 4
		for (int r = 0; r < R; r++)
#pragma GCC unroll 2
			for (int q = 0; q < nv; q++)
				_mm256_storeu_ps(o + (size_t)r * ldo + d0 + 8 * q, acc[r][q]);
		return;
	}
#endif
	for (int r = 0; r < R; r++)
		for (int d = d0; d < d0 + W; d++) {
			float acc = 0;
			for (int j = 0; j < n; j++)
				acc = FMA(p[(size_t)r * T + j], v[(size_t)j * ldv + d], acc);
			o[(size_t)r * ldo + d] = acc;
		}
}

/* One (sequence, head) of attention: xb (T,3C) the sequence's Q|K|V rows,
 * mb (T) its mask, ob (T,C) its output rows, ab (T,T) its probabilities or
 * NULL. bias (3C) or NULL is added to Q, K, V as they are read. ktb: hs x T
 * keys scratch. With scr (inference) the
 * values and each block of query rows are copied there with bias (rows in
 * cache, contiguous) and the probabilities of the current 4 rows live there
 * too; without it (att given, no bias) they are read in place. */
/* Context rows i0 .. i0+R-1 (R 4 or 1) of one head from probabilities p
 * (row stride T) over kend keys: the blocking of attention_head. */
static void context_rows(float *oi, const float *p, int T, const float *v, int ldv, int kend,
                         int R, int hs, int C)
{
	int d = 0;
	if (R == 4) {
		for (; d + 16 <= hs; d += 16)
			context_block(oi, C, p, T, v, ldv, kend, 4, d, 16);
		for (; d + 8 <= hs; d += 8)
			context_block(oi, C, p, T, v, ldv, kend, 4, d, 8);
		for (; d < hs; d++)
			context_block(oi, C, p, T, v, ldv, kend, 4, d, 1);
	} else {
		for (; d + 16 <= hs; d += 16)
			context_block(oi, C, p, T, v, ldv, kend, 1, d, 16);
		for (; d + 8 <= hs; d += 8)
			context_block(oi, C, p, T, v, ldv, kend, 1, d, 8);
		for (; d < hs; d++)
			context_block(oi, C, p, T, v, ldv, kend, 1, d, 1);
	}
}

static void attention_head(float *ob, float *ab, float *ktb, float *scr, const float *xb,
                           const float *bias, const int *mb, int h, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	float inv_scale = 1.0f / (float)sqrt((double)hs);
	int kend = T;                   /* keys past the last real one are skipped */
	while (kend > 0 && !mb[kend - 1])
		kend--;
	int prefix = 1;                 /* all keys before kend real: no mask needed */
	for (int j = 0; j < kend; j++)
		prefix &= mb[j] != 0;
	const int *m = prefix ? NULL : mb;
	const float *bq = bias ? bias + h * hs : NULL, *bk = bias ? bias + C + h * hs : NULL;
	const float *bv = bias ? bias + 2 * C + h * hs : NULL;
	const float *v = xb + 2 * C + h * hs, *q = xb + h * hs;
	float *vb = NULL, *qb = NULL, *prob = NULL;
	int ldv = C3;
	if (scr) {
		vb = scr;
		qb = vb + (size_t)T * hs;
		prob = qb + 4 * (size_t)hs;
		pack_rows(vb, v, bv, kend, hs, C3);
		v = vb;
		ldv = hs;
	}
	ob += h * hs;
	pack_keys(ktb, xb + C + h * hs, bk, kend, hs, C3, T);
	for (int i = 0; i < T;) {
		/* 4 rows at a time, then single rows; R and W are
		 * constants in each call so that the accumulators
		 * live in registers */
		int R = T - i >= 4 ? 4 : 1;
		float *a = ab ? ab + (size_t)i * T : prob;
		const float *qi = q + (size_t)i * C3;
		int ldq = C3;
		if (qb) {
			pack_rows(qb, qi, bq, R, hs, C3);
			qi = qb;
			ldq = hs;
		}
		float *oi = ob + (size_t)i * C;
		int j = 0;
		if (R == 4) {
			for (; j + 16 <= kend; j += 16)
				score_block(a, qi, ldq, ktb, T, hs, 4, j, 16, inv_scale);
			for (; j + 8 <= kend; j += 8)
				score_block(a, qi, ldq, ktb, T, hs, 4, j, 8, inv_scale);
			for (; j < kend; j++)
				score_block(a, qi, ldq, ktb, T, hs, 4, j, 1, inv_scale);
			softmax_rows(a, T, 4, m, kend, NULL);
		} else {
			for (; j + 16 <= kend; j += 16)
				score_block(a, qi, ldq, ktb, T, hs, 1, j, 16, inv_scale);
			for (; j + 8 <= kend; j += 8)
				score_block(a, qi, ldq, ktb, T, hs, 1, j, 8, inv_scale);
			for (; j < kend; j++)
				score_block(a, qi, ldq, ktb, T, hs, 1, j, 1, inv_scale);
			softmax_rows(a, T, 1, m, kend, NULL);
		}
		if (ab)
			for (int r = 0; r < R; r++)
				memset(a + (size_t)r * T + kend, 0, (size_t)(T - kend) * sizeof *a);
		context_rows(oi, a, T, v, ldv, kend, R, hs, C);
		i += R;
	}
}

void attention_forward(float *out, float *att, float *kt, const float *inp, const int *mask,
                       int B, int T, int C, int NH)
{
	size_t hsT = (size_t)(C / NH) * T;
#pragma omp parallel for collapse(2) schedule(static)
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++)
			attention_head(out + (size_t)b * T * C, att + ((size_t)b * NH + h) * T * T,
			               kt + ((size_t)b * NH + h) * hsT, NULL, inp + (size_t)b * T * 3 * C, NULL,
			               mask + (size_t)b * T, h, T, C, NH);
}

/* Sequences whose Q|K|V rows fit this many floats are first copied whole
 * into per-thread scratch: one sequential read (which the hardware
 * prefetches) instead of each head reading its columns across the rows. */
#define ATT_COPY_MAX (64 * 1024)

/* Per-thread scratch: keys, values, 4 query rows, 4 probability rows. */
static size_t attention_work_size(int T, int C, int NH)
{
	size_t hs = (size_t)(C / NH);
	return (2 * hs * T + 4 * hs + 4 * (size_t)T + 15) / 16 * 16;
}

/* Non-decreasing in T, so that scratch sized for the longest sequences of a
 * context also holds every shorter batch: the copy space is the largest
 * block copied for any length up to T (a batch too long to be copied can be
 * followed by a shorter one that is). */
size_t attention_scratch_size(int T, int C, int NH)
{
	size_t row = (size_t)3 * C, copyable = ATT_COPY_MAX / row;
	size_t rows = (size_t)T < copyable ? (size_t)T : copyable;
	return attention_work_size(T, C, NH) + (rows * row + 15) / 16 * 16;
}

void attention_forward_infer(float *out, float *scratch, const float *inp, const float *bias, const int *mask,
                             int B, int T, int C, int NH)
{
	size_t hsT = (size_t)(C / NH) * T, per_thread = attention_scratch_size(T, C, NH);
	size_t blk = (size_t)T * 3 * C, work = attention_work_size(T, C, NH);
	if (B >= 2 * omp_get_max_threads()) {
		/* whole sequences per thread */
#pragma omp parallel for schedule(static)
		for (int b = 0; b < B; b++) {
			float *scr = scratch + per_thread * (size_t)omp_get_thread_num();
			const float *xb = inp + (size_t)b * blk;
			if (blk <= ATT_COPY_MAX) {
				memcpy(scr + work, xb, blk * sizeof *xb);
				xb = scr + work;
			}
			for (int h = 0; h < NH; h++)
				attention_head(out + (size_t)b * T * C, NULL, scr, scr + hsT, xb, bias,
				               mask + (size_t)b * T, h, T, C, NH);
		}
	} else {
#pragma omp parallel for collapse(2) schedule(static)
		for (int b = 0; b < B; b++)
			for (int h = 0; h < NH; h++) {
				float *scr = scratch + per_thread * (size_t)omp_get_thread_num();
				attention_head(out + (size_t)b * T * C, NULL, scr, scr + hsT, inp + (size_t)b * blk, bias,
				               mask + (size_t)b * T, h, T, C, NH);
			}
	}
}

void attention_forward_naive(float *out, float *att, const float *inp, const int *mask,
                             int B, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	float scale = (float)sqrt((double)hs);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++)
			for (int i = 0; i < T; i++) {
				const float *q = inp + ((size_t)b * T + i) * C3 + h * hs;
				float *a = att + (((size_t)b * NH + h) * T + i) * T;
				int any = 0;
				for (int j = 0; j < T; j++) {
					const float *k = inp + ((size_t)b * T + j) * C3 + C + h * hs;
					float s = 0;
					for (int d = 0; d < hs; d++)
						s += q[d] * k[d];
					/* as Hugging Face: an additive mask of the lowest float */
					a[j] = s / scale + (mask[(size_t)b * T + j] ? 0.0f : -3.4028235e38f);
					any |= mask[(size_t)b * T + j] != 0;
				}
				if (any)
					softmax_forward_naive(a, a, NULL, T);
				else
					memset(a, 0, (size_t)T * sizeof *a);
				float *o = out + ((size_t)b * T + i) * C + h * hs;
				for (int d = 0; d < hs; d++) {
					float s = 0;
					for (int j = 0; j < T; j++)
						s += a[j] * inp[((size_t)b * T + j) * C3 + 2 * C + h * hs + d];
					o[d] = s;
				}
			}
}

static int last_key(const int *mb, int T)
{
	int kend = T;
	while (kend > 0 && !mb[kend - 1])
		kend--;
	return kend;
}

size_t attention_backward_scratch(int B, int T, int C, int NH)
{
	size_t hs = (size_t)(C / NH);
	(void)NH;
	return (size_t)B * T * (2 * (size_t)T + hs);
}

/* out[0..m) += sum_{k<n} w[k*ws] x[k*xs + 0..m): a row of a small matrix
 * product, 32 (then 8, then 1) outputs at a time with the accumulators in
 * registers (several independent FMA chains per k). Each output is summed
 * in k order whatever path it takes. */
static inline void rowprod_add(float *restrict out, const float *w, size_t ws, const float *x,
                               size_t xs, int n, int m)
{
	int o = 0;
#ifdef LAYERS_AVX2
	for (; o + 32 <= m; o += 32) {
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (int k = 0; k < n; k++) {
			__m256 wk = _mm256_broadcast_ss(w + (size_t)k * ws);
			const float *xk = x + (size_t)k * xs + o;
			a0 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(xk), a0);
			a1 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(xk + 8), a1);
			a2 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(xk + 16), a2);
			a3 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(xk + 24), a3);
		}
		_mm256_storeu_ps(out + o, _mm256_add_ps(_mm256_loadu_ps(out + o), a0));
		_mm256_storeu_ps(out + o + 8, _mm256_add_ps(_mm256_loadu_ps(out + o + 8), a1));
		_mm256_storeu_ps(out + o + 16, _mm256_add_ps(_mm256_loadu_ps(out + o + 16), a2));
		_mm256_storeu_ps(out + o + 24, _mm256_add_ps(_mm256_loadu_ps(out + o + 24), a3));
	}
	for (; o + 8 <= m; o += 8) {
		__m256 a0 = _mm256_setzero_ps();
		for (int k = 0; k < n; k++)
			a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + (size_t)k * ws),
			                     _mm256_loadu_ps(x + (size_t)k * xs + o), a0);
		_mm256_storeu_ps(out + o, _mm256_add_ps(_mm256_loadu_ps(out + o), a0));
	}
#endif
	for (; o < m; o++) {
		float a = 0;
		for (int k = 0; k < n; k++)
			a = FMA(w[(size_t)k * ws], x[(size_t)k * xs + o], a);
		out[o] += a;
	}
}

/* Prefetch n floats at p into the cache (for writing when rw): a sequence's
 * rows are strided per head, which hardware prefetchers do not follow. */
static inline void prefetch_floats(const float *p, size_t n, int rw)
{
	for (size_t i = 0; i < n; i += 16) {
		if (rw)
			__builtin_prefetch(p + i, 1, 3);
		else
			__builtin_prefetch(p + i, 0, 3);
	}
}

void attention_backward(float *dinp, float *scratch, const float *dout, const float *inp,
                        const float *att, const uint8_t *drop, float p, const int *mask,
                        int B, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	float rscale = (float)(1.0 / sqrt((double)hs));
	int dropping = drop && p > 0.0f;
	float ks = dropping ? keep_scale(p) : 1.0f;
	size_t per = (size_t)T * (2 * (size_t)T + hs);
	/* a sequence per iteration, its heads in turn: the sequence's rows
	 * (T x 3C) are read once from memory and stay in cache for every head */
#pragma omp parallel for schedule(static)
	for (int b = 0; b < B; b++) {
		/* the next sequence's rows while this one is worked on */
		if (b + 1 < B) {
			size_t rows = (size_t)(b + 1) * T;
			prefetch_floats(inp + rows * C3, (size_t)T * C3, 0);
			prefetch_floats(dout + rows * C, (size_t)T * C, 0);
			prefetch_floats(att + (size_t)(b + 1) * NH * T * T, (size_t)NH * T * T, 0);
		}
		/* this sequence's gradient block, written in one sequential pass:
		 * the heads then update it in cache */
		memset(dinp + (size_t)b * T * C3, 0, (size_t)T * C3 * sizeof *dinp);
		/* scratch: one slot per sequence, reused (and so cached) by its heads */
		float *g = scratch + (size_t)b * per;
		float *pd = g + (size_t)T * T, *vt = pd + (size_t)T * T;
		for (int h = 0; h < NH; h++) {
			int kend = last_key(mask + (size_t)b * T, T);
			const float *xb = inp + (size_t)b * T * C3;
			const float *q = xb + h * hs, *k = xb + C + h * hs, *v = xb + 2 * C + h * hs;
			const float *dob = dout + (size_t)b * T * C + h * hs;
			float *dxb = dinp + (size_t)b * T * C3;
			float *dq = dxb + h * hs, *dk = dxb + C + h * hs, *dv = dxb + 2 * C + h * hs;
			/* g (T,kend) the scores' gradient, pd (T,kend) the dropped
			 * probabilities, vt (hs,kend) V transposed */
			pack_keys(vt, v, NULL, kend, hs, C3, kend);
			for (int i = 0; i < T; i++) {
				size_t row = (((size_t)b * NH + h) * T + i) * T;
				const float *a = att + row, *doi = dob + (size_t)i * C;
				float *gi = g + (size_t)i * kend, *pdi = pd + (size_t)i * kend;
				/* d(dropped probabilities) = dout_i V^T */
				memset(gi, 0, (size_t)kend * sizeof *gi);
				rowprod_add(gi, doi, 1, vt, (size_t)kend, hs, kend);
				/* through the dropout, the softmax and the 1/sqrt(hs) scale */
				float dot = 0;
				for (int j = 0; j < kend; j++) {
					float keep = dropping ? (bit_at(drop, row + j) ? ks : 0.0f) : 1.0f;
					pdi[j] = a[j] * keep;
					gi[j] *= keep;
					dot = FMA(a[j], gi[j], dot);
				}
				for (int j = 0; j < kend; j++)
					gi[j] = a[j] * (gi[j] - dot) * rscale;
				/* dq_i += g_i K */
				rowprod_add(dq + (size_t)i * C3, gi, 1, k, (size_t)C3, kend, hs);
			}
			/* dk_j += g[:,j]^T Q, dv_j += pd[:,j]^T dout */
			for (int j = 0; j < kend; j++) {
				rowprod_add(dk + (size_t)j * C3, g + j, (size_t)kend, q, (size_t)C3, T, hs);
				rowprod_add(dv + (size_t)j * C3, pd + j, (size_t)kend, dob, (size_t)C, T, hs);
			}
		}
	}
}

void attention_backward_naive(float *dinp, const float *dout, const float *inp,
                              const float *att, const uint8_t *drop, float p, const int *mask,
                              int B, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	double rscale = 1.0 / sqrt((double)hs);
	int dropping = drop && p > 0.0f;
	double ks = dropping ? keep_scale(p) : 1.0;
	double *da = malloc((size_t)(T > 0 ? T : 1) * sizeof *da);
	memset(dinp, 0, (size_t)B * T * C3 * sizeof *dinp);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++)
			for (int i = 0; i < T; i++) {
				size_t row = (((size_t)b * NH + h) * T + i) * T;
				const float *a = att + row;
				const float *dout_i = dout + ((size_t)b * T + i) * C + h * hs;
				for (int j = 0; j < T; j++) {
					const float *vj = inp + ((size_t)b * T + j) * C3 + 2 * C + h * hs;
					float *dvj = dinp + ((size_t)b * T + j) * C3 + 2 * C + h * hs;
					double keep = dropping ? (bit_at(drop, row + j) ? ks : 0.0) : 1.0;
					double s = 0;
					for (int d = 0; d < hs; d++) {
						s += (double)dout_i[d] * vj[d];
						dvj[d] += (float)(a[j] * keep * dout_i[d]);
					}
					da[j] = mask[(size_t)b * T + j] ? s * keep : 0.0;
				}
				double dot = 0;
				for (int j = 0; j < T; j++)
					dot += a[j] * da[j];
				const float *qi = inp + ((size_t)b * T + i) * C3 + h * hs;
				float *dqi = dinp + ((size_t)b * T + i) * C3 + h * hs;
				for (int j = 0; j < T; j++) {
					double g = a[j] * (da[j] - dot) * rscale;
					const float *kj = inp + ((size_t)b * T + j) * C3 + C + h * hs;
					float *dkj = dinp + ((size_t)b * T + j) * C3 + C + h * hs;
					for (int d = 0; d < hs; d++) {
						dqi[d] += (float)(g * kj[d]);
						dkj[d] += (float)(g * qi[d]);
					}
				}
			}
	free(da);
}

/* Rows of qpos (R, ascending flat positions b*T + i; NULL: the [CLS] rows,
 * qpos[b] = b*T, R = B) that belong to sequence b: [first[b], first[b+1]). */
static void rows_by_sequence(int *first, const int *qpos, int R, int B, int T)
{
	int r = 0;
	for (int b = 0; b <= B; b++) {
		if (!qpos)
			r = b < R ? b : R;
		else
			while (r < R && qpos[r] < b * T)
				r++;
		first[b] = r;
	}
}

static inline int row_pos(const int *qpos, int r, int T)
{
	return qpos ? qpos[r] : r * T;
}

void attention_rows_backward(float *dinp, const float *dout, const float *inp, const float *att,
                             const uint8_t *drop, float p, const int *mask, const int *qpos, int R,
                             int B, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	float rscale = (float)(1.0 / sqrt((double)hs));
	int dropping = drop && p > 0.0f;
	float ks = dropping ? keep_scale(p) : 1.0f;
	int first[B + 1];
	rows_by_sequence(first, qpos, R, B, T);
#pragma omp parallel for schedule(static)
	for (int b = 0; b < B; b++) {
		memset(dinp + (size_t)b * T * C3, 0, (size_t)T * C3 * sizeof *dinp);
		int kend = last_key(mask + (size_t)b * T, T);
		const float *xb = inp + (size_t)b * T * C3;
		float *dxb = dinp + (size_t)b * T * C3;
		for (int h = 0; h < NH; h++)
			for (int r = first[b]; r < first[b + 1]; r++) {
				int i = row_pos(qpos, r, T) - b * T;
				size_t row = ((size_t)r * NH + h) * T;
				const float *a = att + row;
				const float *dout_r = dout + (size_t)r * C + h * hs;
				float da[kend > 0 ? kend : 1];
				float dot = 0;
				for (int j = 0; j < kend; j++) {
					const float *vj = xb + (size_t)j * C3 + 2 * C + h * hs;
					float *dvj = dxb + (size_t)j * C3 + 2 * C + h * hs;
					float keep = dropping ? (bit_at(drop, row + j) ? ks : 0.0f) : 1.0f;
					float aj = a[j] * keep, s = 0;
#pragma omp simd reduction(+:s)
					for (int d = 0; d < hs; d++) {
						s += dout_r[d] * vj[d];
						dvj[d] = FMA(aj, dout_r[d], dvj[d]);
					}
					da[j] = s * keep;
					dot = FMA(a[j], da[j], dot);
				}
				const float *q = xb + (size_t)i * C3 + h * hs;
				float *dq = dxb + (size_t)i * C3 + h * hs;
				for (int j = 0; j < kend; j++) {
					float g = a[j] * (da[j] - dot) * rscale;
					const float *kj = xb + (size_t)j * C3 + C + h * hs;
					float *dkj = dxb + (size_t)j * C3 + C + h * hs;
#pragma omp simd
					for (int d = 0; d < hs; d++) {
						dq[d] = FMA(g, kj[d], dq[d]);
						dkj[d] = FMA(g, q[d], dkj[d]);
					}
				}
			}
	}
}

void attention_dropout_forward(float *out, uint8_t *drop, float *attd, const float *att,
                               const float *inp, const int *mask, float p, uint64_t key,
                               int B, int T, int C, int NH)
{
	if (!(p > 0.0f))
		return;
	int hs = C / NH, C3 = 3 * C;
	dropout_forward(attd, drop, att, (size_t)B * NH * T * T, p, key);
#pragma omp parallel for collapse(2) schedule(static)
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++) {
			int kend = last_key(mask + (size_t)b * T, T);
			const float *v = inp + (size_t)b * T * C3 + 2 * C + h * hs;
			const float *ab = attd + ((size_t)b * NH + h) * T * T;
			float *ob = out + (size_t)b * T * C + h * hs;
			for (int i = 0; i < T;) {
				int R = T - i >= 4 ? 4 : 1;
				context_rows(ob + (size_t)i * C, ab + (size_t)i * T, T, v, C3, kend, R, hs, C);
				i += R;
			}
		}
}

void attention_rows_forward(float *out, float *att, uint8_t *drop, float *attd, float *kt,
                            const float *inp, const int *mask, float p, uint64_t key,
                            const int *qpos, int R, int B, int T, int C, int NH)
{
	int hs = C / NH, C3 = 3 * C;
	float inv_scale = 1.0f / (float)sqrt((double)hs);
	size_t hsT = (size_t)hs * T;
	int first[B + 1];
	rows_by_sequence(first, qpos, R, B, T);
#pragma omp parallel for collapse(2) schedule(static)
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++) {
			if (first[b] == first[b + 1])
				continue;
			/* row i of attention_head: the same operations */
			const int *mb = mask + (size_t)b * T;
			int kend = last_key(mb, T), prefix = 1;
			for (int j = 0; j < kend; j++)
				prefix &= mb[j] != 0;
			const float *xb = inp + (size_t)b * T * C3;
			float *ktb = kt + ((size_t)b * NH + h) * hsT;
			pack_keys(ktb, xb + C + h * hs, NULL, kend, hs, C3, T);
			for (int r = first[b]; r < first[b + 1]; r++) {
				const float *q = xb + (size_t)(row_pos(qpos, r, T) - b * T) * C3 + h * hs;
				float *a = att + ((size_t)r * NH + h) * T;
				int j = 0;
				for (; j + 16 <= kend; j += 16)
					score_block(a, q, C3, ktb, T, hs, 1, j, 16, inv_scale);
				for (; j + 8 <= kend; j += 8)
					score_block(a, q, C3, ktb, T, hs, 1, j, 8, inv_scale);
				for (; j < kend; j++)
					score_block(a, q, C3, ktb, T, hs, 1, j, 1, inv_scale);
				softmax_rows(a, T, 1, prefix ? NULL : mb, kend, NULL);
				memset(a + kend, 0, (size_t)(T - kend) * sizeof *a);
			}
		}
	const float *probs = att;
	if (p > 0.0f) {
		dropout_forward(attd, drop, att, (size_t)R * NH * T, p, key);
		probs = attd;
	}
#pragma omp parallel for collapse(2) schedule(static)
	for (int r = 0; r < R; r++)
		for (int h = 0; h < NH; h++) {
			int b = row_pos(qpos, r, T) / T;
			int kend = last_key(mask + (size_t)b * T, T);
			context_rows(out + (size_t)r * C + h * hs, probs + ((size_t)r * NH + h) * T, T,
			             inp + (size_t)b * T * C3 + 2 * C + h * hs, C3, kend, 1, hs, C);
		}
}

/* ---- GELU and residuals ----------------------------------------------- */

void gelu_forward(float *out, const float *inp, int N)
{
	const long chunk = 4096;
	long nchunks = (N + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
	for (long ch = 0; ch < nchunks; ch++) {
		long i = ch * chunk, end = i + chunk < N ? i + chunk : N;
#ifdef LAYERS_AVX512
		for (; i + 16 <= end; i += 16)
			_mm512_storeu_ps(out + i, gelu16(_mm512_loadu_ps(inp + i)));
#endif
#ifdef LAYERS_AVX2
		for (; i + 8 <= end; i += 8)
			_mm256_storeu_ps(out + i, gelu8(_mm256_loadu_ps(inp + i)));
#endif
		for (; i < end; i++)
			out[i] = gelu1(inp[i]);
	}
}

void gelu_forward_naive(float *out, const float *inp, int N)
{
	for (int i = 0; i < N; i++)
		out[i] = (float)(0.5 * inp[i] * (1.0 + erf(inp[i] / sqrt(2.0))));
}

void bias_gelu_forward(float *out, float *pre, const float *bias, int N, int OC)
{
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		float *p = pre + (size_t)r * OC, *o = out + (size_t)r * OC;
		int c = 0;
#ifdef LAYERS_AVX512
		for (; c + 16 <= OC; c += 16) {
			__m512 x = _mm512_add_ps(_mm512_loadu_ps(p + c), _mm512_loadu_ps(bias + c));
			if (o != p)
				_mm512_storeu_ps(p + c, x);
			_mm512_storeu_ps(o + c, gelu16(x));
		}
#endif
#ifdef LAYERS_AVX2
		for (; c + 8 <= OC; c += 8) {
			__m256 x = _mm256_add_ps(_mm256_loadu_ps(p + c), _mm256_loadu_ps(bias + c));
			if (o != p)
				_mm256_storeu_ps(p + c, x);
			_mm256_storeu_ps(o + c, gelu8(x));
		}
#endif
		for (; c < OC; c++) {
			float x = p[c] + bias[c];
			p[c] = x;
			o[c] = gelu1(x);
		}
	}
}

void residual_forward(float *out, const float *inp1, const float *inp2, int N)
{
#pragma omp parallel for simd schedule(static)
	for (long i = 0; i < N; i++)
		out[i] = inp1[i] + inp2[i];
}

void bias_dropout_residual_forward(float *out, uint8_t *bits, const float *y, const float *bias,
                                   const float *res, float p, uint64_t key, int N, int C)
{
	if (!(p > 0.0f)) {
		bias_residual_forward(out, res, y, bias, N, C);
		return;
	}
	/* dropout.c's rule and blocks: 64 elements = 8 mask bytes = 32 draws */
	const uint64_t thr = p >= 1.0f ? 1ULL << 32 : (uint64_t)((double)p * 4294967296.0 + 0.5);
	const float scale = keep_scale(p);
	const size_t n = (size_t)N * C;
	const long nblocks = (long)((n + 63) / 64);
#pragma omp parallel for schedule(static) if (n >= 65536)
	for (long b = 0; b < nblocks; b++) {
		size_t i0 = (size_t)b * 64, i1 = i0 + 64 < n ? i0 + 64 : n;
		uint64_t kb = 0;
		size_t c = i0 % (size_t)C;
		for (size_t i = i0; i < i1; i += 2) {
			uint64_t h = rng_at(key, i / 2);
			for (size_t k = i; k < i + 2 && k < i1; k++) {
				uint64_t keep = ((k & 1) ? h >> 32 : (uint64_t)(uint32_t)h) >= thr;
				kb |= keep << (k - i0);
				float v = y[k] + bias[c];
				out[k] = (keep ? v * scale : 0.0f) + res[k];
				c = c + 1 == (size_t)C ? 0 : c + 1;
			}
		}
		size_t nbytes = (i1 - i0 + 7) / 8;
		for (size_t j = 0; j < nbytes; j++)
			bits[i0 / 8 + j] = (uint8_t)(kb >> (8 * j));
	}
}

void bias_residual_forward(float *out, const float *res, const float *y, const float *bias, int N, int C)
{
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		float *o = out + (size_t)r * C;
		const float *a = res + (size_t)r * C, *x = y + (size_t)r * C;
#pragma omp simd
		for (int c = 0; c < C; c++)
			o[c] = (x[c] + bias[c]) + a[c];
	}
}

/* gelu'(x) = Phi(x) + x phi(x) with a = |x| / sqrt 2, e = exp(-a^2):
 * phi = e / sqrt(2 pi); erfc(a) = e r(t) as in gelu1 (0 from ERF_MAX on),
 * Phi = 1 - erfc(a) / 2 for x >= 0, erfc(a) / 2 below (no cancellation in
 * the tail). The AVX2 code and the scalar tail perform the same operations. */
#define INV_SQRT_2PI 0.398942280f

static inline float gelu_grad1(float x)
{
	float a = fabsf(x) * SQRT1_2;
	float e = exp1(-(a * a));
	float ac = a > ERF_MAX ? ERF_MAX : a;
	float r = erfcx1(ac);
	float half_erfc = a < ERF_MAX ? 0.5f * (e * r) : 0.0f;
	float cdf = x >= 0.0f ? 1.0f - half_erfc : half_erfc;
	return FMA(x * INV_SQRT_2PI, e, cdf);
}

#ifdef LAYERS_AVX2
static inline __m256 gelu_grad8(__m256 x)
{
	__m256 a = _mm256_mul_ps(_mm256_andnot_ps(SET1(-0.0f), x), SET1(SQRT1_2));
	__m256 e = exp8(_mm256_xor_ps(_mm256_mul_ps(a, a), SET1(-0.0f)));
	__m256 ac = _mm256_min_ps(a, SET1(ERF_MAX));
	__m256 r = erfcx8(ac);
	__m256 he = _mm256_mul_ps(SET1(0.5f), _mm256_mul_ps(e, r));
	he = _mm256_and_ps(he, _mm256_cmp_ps(a, SET1(ERF_MAX), _CMP_LT_OQ));
	__m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
	__m256 cdf = _mm256_blendv_ps(he, _mm256_sub_ps(SET1(1.0f), he), pos);
	return _mm256_fmadd_ps(_mm256_mul_ps(x, SET1(INV_SQRT_2PI)), e, cdf);
}
#endif

#ifdef LAYERS_AVX512
static inline __m512 gelu_grad16(__m512 x)
{
	__m512 a = _mm512_mul_ps(_mm512_abs_ps(x), SET16(SQRT1_2));
	__m512 e = exp16(neg16(_mm512_mul_ps(a, a)));
	__m512 r = erfcx16(_mm512_min_ps(a, SET16(ERF_MAX)));
	__m512 he = _mm512_mul_ps(SET16(0.5f), _mm512_mul_ps(e, r));
	he = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, SET16(ERF_MAX), _CMP_LT_OQ), he);
	__mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
	__m512 cdf = _mm512_mask_blend_ps(pos, he, _mm512_sub_ps(SET16(1.0f), he));
	return _mm512_fmadd_ps(_mm512_mul_ps(x, SET16(INV_SQRT_2PI)), e, cdf);
}
#endif

void gelu_backward(float *dinp, const float *inp, const float *dout, long N)
{
	const long chunk = 4096;
	long nchunks = (N + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (N >= 32768)
	for (long ch = 0; ch < nchunks; ch++) {
		long i = ch * chunk, end = i + chunk < N ? i + chunk : N;
#ifdef LAYERS_AVX512
		for (; i + 16 <= end; i += 16) {
			__m512 g = gelu_grad16(_mm512_loadu_ps(inp + i));
			_mm512_storeu_ps(dinp + i, _mm512_fmadd_ps(_mm512_loadu_ps(dout + i), g,
			                                           _mm512_loadu_ps(dinp + i)));
		}
#endif
#ifdef LAYERS_AVX2
		for (; i + 8 <= end; i += 8) {
			__m256 g = gelu_grad8(_mm256_loadu_ps(inp + i));
			_mm256_storeu_ps(dinp + i, _mm256_fmadd_ps(_mm256_loadu_ps(dout + i), g,
			                                           _mm256_loadu_ps(dinp + i)));
		}
#endif
		for (; i < end; i++)
			dinp[i] = FMA(dout[i], gelu_grad1(inp[i]), dinp[i]);
	}
}

void gelu_backward_naive(float *dinp, const float *inp, const float *dout, long N)
{
	for (long i = 0; i < N; i++) {
		double x = inp[i];
		double g = 0.5 * (1.0 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
		dinp[i] += (float)(dout[i] * g);
	}
}

void residual_backward(float *dinp1, float *dinp2, const float *dout, long N)
{
#pragma omp parallel for simd schedule(static) if (N >= 32768)
	for (long i = 0; i < N; i++) {
		dinp1[i] += dout[i];
		dinp2[i] += dout[i];
	}
}

void bias_residual_backward(float *dres, float *dy, float *dbias, const float *dout,
                            int N, int C)
{
	long n = (long)N * C;
#pragma omp parallel for simd schedule(static) if (n >= 32768)
	for (long i = 0; i < n; i++) {
		if (dres)
			dres[i] += dout[i];
		if (dy)
			dy[i] += dout[i];
	}
	colsum_add(dbias, dout, N, C);
}
