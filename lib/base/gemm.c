/* gemm.c — the matrix products of gcse on BLIS or OpenBLAS; see gemm.h for
 * the bits each keeps and why. Only this file includes a BLAS header. */
#include "base/gemm.h"
#include "base/cli.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(GCSE_GEMM_BLIS) == defined(GCSE_GEMM_OPENBLAS)
#error "build with exactly one of -DGCSE_GEMM_BLIS and -DGCSE_GEMM_OPENBLAS (the Makefile's BLAS=)"
#endif

#ifdef GCSE_GEMM_BLIS
#include <blis.h>
#else
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>
#endif

static atomic_int notice_on = 1, notice_done = 0;

void gemm_set_notice(int on)
{
	atomic_store(&notice_on, on != 0);
}

/* The notice, once per process, at the first product. */
static void notice(void)
{
	if (atomic_load_explicit(&notice_done, memory_order_relaxed))
		return;
	if (atomic_exchange(&notice_done, 1))
		return;
	const char *s = gemm_notice_text();
	if (s && atomic_load(&notice_on))
		cli_msg("%s", s);
}

const char *gemm_notice_text(void)
{
	static char buf[320];
	if (!gemm_generic())
		return NULL;
	snprintf(buf, sizeof buf,
	         "%s has no optimised kernels for this CPU and runs its generic reference kernels "
	         "(several times slower): rebuild with 'make BLAS=%s'",
	         gemm_backend(),
#ifdef GCSE_GEMM_BLIS
	         "openblas"
#else
	         "blis"
#endif
	);
	return buf;
}

static const char *describe_extra(void);

const char *gemm_describe(void)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "GEMM: %s, kernels %s%s%s", gemm_backend(), gemm_kernels(),
	         gemm_generic() ? " (generic reference kernels: no optimised ones for this CPU)" : "",
	         describe_extra());
	return buf;
}

#ifdef GCSE_GEMM_BLIS
/* ---- BLIS --------------------------------------------------------------- */

const char *gemm_backend(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "BLIS %s", bli_info_get_version_str());
	return buf;
}

const char *gemm_kernels(void)
{
	return bli_arch_string(bli_arch_query_id());
}

int gemm_generic(void)
{
	return bli_arch_query_id() == BLIS_ARCH_GENERIC;
}

static const char *describe_extra(void)
{
	return "";
}

void gemm_set_threads(int n)
{
	bli_thread_set_num_threads(n < 1 ? 1 : n);
}

void gemm_f32(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
              const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc, int flags)
{
	if (m <= 0 || n <= 0)
		return;
	notice();
	rntm_t rntm;
	rntm_t *rp = NULL;
	if (flags & GEMM_ROWWISE) {
		/* The packed path computes every element with the same
		 * microkernel and k blocking whatever m is; the small-matrix
		 * ("sup") path would use other kernels for small m. */
		bli_rntm_init_from_global(&rntm);
		bli_rntm_disable_l3_sup(&rntm);
		rp = &rntm;
	} else if ((double)m * n * k < (double)(1 << 21)) {
		/* waking a team costs more than the product; BLIS never
		 * splits k, so the bits are the same either way */
		rntm = (rntm_t)BLIS_RNTM_INITIALIZER;
		bli_rntm_set_num_threads(1, &rntm);
		rp = &rntm;
	}
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)m, (dim_t)n, (dim_t)k, &alpha, (float *)A,
	             (inc_t)rsa, (inc_t)csa, (float *)B, (inc_t)rsb, (inc_t)csb, &beta, C, (inc_t)rsc,
	             (inc_t)csc, NULL, rp);
}

void gemm_f64(long m, long n, long k, double alpha, const double *A, long rsa, long csa,
              const double *B, long rsb, long csb, double beta, double *C, long rsc, long csc)
{
	if (m <= 0 || n <= 0)
		return;
	notice();
	bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)m, (dim_t)n, (dim_t)k, &alpha, (double *)A,
	          (inc_t)rsa, (inc_t)csa, (double *)B, (inc_t)rsb, (inc_t)csb, &beta, C, (inc_t)rsc,
	          (inc_t)csc);
}

#else
/* ---- OpenBLAS ----------------------------------------------------------- */

enum {
	ROW_UNIT = 48,          /* rows per call: a multiple of this */
	ROW_BLOCK_MAX = 2048,   /* and at most this (far below GEMM_R) */
	SMALL_MNK = 1 << 21,    /* and more multiply-adds than this */
};

const char *gemm_backend(void)
{
	/* openblas_get_config(): "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..." */
	static char buf[64];
	const char *c = openblas_get_config();
	int n = 0;
	if (c && !strncmp(c, "OpenBLAS ", 9))
		n = 9 + (int)strcspn(c + 9, " ");
	snprintf(buf, sizeof buf, "%.*s", n ? n : 8, n ? c : "OpenBLAS");
	return buf;
}

const char *gemm_kernels(void)
{
	const char *s = openblas_get_corename();
	return s ? s : "unknown";
}

int gemm_generic(void)
{
	return !strcmp(gemm_kernels(), "generic") || !strcmp(gemm_kernels(), "GENERIC");
}

void gemm_set_threads(int n)
{
	/* OpenBLAS (OpenMP build) follows omp_get_max_threads(); every call
	 * below runs it on one thread, the blocks on the OpenMP team */
	openblas_set_num_threads(n < 1 ? 1 : n);
}

/* Operand X (r,c), strides (rs,cs), as a column-major BLAS operand: its
 * transpose flag and leading dimension; 0 when neither stride is 1 (or the
 * other is too small for a leading dimension): then it is copied. */
static int as_blas(long r, long c, long rs, long cs, enum CBLAS_TRANSPOSE *t, long *ld)
{
	if (rs == 1 && (c == 1 || cs >= (r > 1 ? r : 1))) {
		*t = CblasNoTrans;
		*ld = c == 1 ? (r > 1 ? r : 1) : cs;
		return 1;
	}
	if (cs == 1 && (r == 1 || rs >= (c > 1 ? c : 1))) {
		*t = CblasTrans;
		*ld = r == 1 ? (c > 1 ? c : 1) : rs;
		return 1;
	}
	return 0;
}

static void *xalloc(size_t n, size_t size, int zero)
{
	void *p = zero ? calloc(n ? n : 1, size) : malloc((n ? n : 1) * size);
	if (!p)
		cli_die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

/* Rows [r0, r0 + mb) of C as blocks: count and bounds. */
typedef struct rowblock {
	long r0, mb;   /* rows of C */
	long rows;     /* rows given to OpenBLAS: mb, or more (zero rows, copied) */
	int direct;    /* A and C used in place; else copied */
} rowblock;

static long round_up(long x, long u)
{
	return (x + u - 1) / u * u;
}

/* Cut the m rows of C into blocks, one OpenBLAS call each, about one per
 * thread. Every block but a last one of fewer than ROW_UNIT rows starts at
 * a multiple of ROW_UNIT, holds a multiple of ROW_UNIT rows and more than
 * SMALL_MNK multiply-adds: on every kernel set a row then gets the same
 * operations whichever block it falls in, so the cut may follow the thread
 * count; the last short block is the same for every thread count.
 * rowwise: a row's bits may not depend on m either: short blocks are copied
 * and padded with zero rows to a whole block (on the kernel sets where this
 * path serves row-wise products, a row's place in a block does not matter).
 * direct: A and C can be used in place (else every block is copied). */
static int cut_rows(long m, long n, long k, int direct, int rowwise, rowblock **out)
{
	int th = omp_in_parallel() ? 1 : omp_get_max_threads();
	long minrows = round_up((long)((double)SMALL_MNK / ((double)n * k)) + 1, ROW_UNIT);
	long rb = round_up((m + th - 1) / th, ROW_UNIT);
	if (rb < minrows)
		rb = minrows;
	if (rb > ROW_BLOCK_MAX)
		rb = minrows > ROW_BLOCK_MAX ? minrows : ROW_BLOCK_MAX;
	long full = m / ROW_UNIT * ROW_UNIT;   /* rows in whole blocks */
	if (!rowwise && full < 2 * minrows) {   /* too few to cut: one block, whatever it is */
		*out = xalloc(1, sizeof **out, 0);
		**out = (rowblock){0, m, m, direct};
		return 1;
	}
	if (full < minrows)
		full = 0;                      /* rowwise: every row in a padded block */
	int nb = (int)((full + rb - 1) / rb) + (m > full ? (int)((m - full + rb - 1) / rb) : 0);
	rowblock *b = xalloc((size_t)nb, sizeof *b, 0);
	int i = 0;
	for (long r = 0; r < full; r += rb) {
		long mb = full - r < rb ? full - r : rb;
		if (mb < minrows && i > 0)   /* too small alone: into the previous block */
			b[i - 1].mb += mb, b[i - 1].rows += mb;
		else
			b[i++] = (rowblock){r, mb, mb, direct};
	}
	for (long r = full; r < m; r += rb) {
		long mb = m - r < rb ? m - r : rb, rows = mb;
		if (rowwise) {
			rows = round_up(mb, ROW_UNIT);
			rows = rows < minrows ? minrows : rows;
		}
		b[i++] = (rowblock){r, mb, rows, direct && rows == mb};
	}
	*out = b;
	return i;
}

/* One type's product: the rows of C by blocks (cut_rows), each block one
 * OpenBLAS call on one thread, column-major (no direct kernel): C^T (n, rows)
 * = B^T A^T, the blocks over the OpenMP team. */
#define DEFINE_GEMM(LINK, NAME, T, CBLAS)                                                          \
	LINK void NAME(long m, long n, long k, T alpha, const T *A, long rsa, long csa, const T *B,      \
	          long rsb, long csb, T beta, T *C, long rsc, long csc, int rowwise)                  \
	{                                                                                          \
		if (m <= 0 || n <= 0)                                                              \
			return;                                                                    \
		notice();                                                                          \
		if (k <= 0) {                                                                      \
			for (long i = 0; i < m; i++)                                               \
				for (long j = 0; j < n; j++)                                       \
					C[i * rsc + j * csc] = beta == 0 ? 0 : beta * C[i * rsc + j * csc]; \
			return;                                                                    \
		}                                                                                  \
		/* first operand B^T (n,k): strides (csb, rsb); copied if need be */               \
		enum CBLAS_TRANSPOSE tb, ta;                                                       \
		long ldb, lda;                                                                     \
		T *Bp = NULL;                                                                      \
		if (!as_blas(n, k, csb, rsb, &tb, &ldb)) {                                         \
			Bp = xalloc((size_t)(n * k), sizeof *Bp, 0);                               \
			for (long j = 0; j < n; j++)                                               \
				for (long p = 0; p < k; p++)                                       \
					Bp[j * k + p] = B[p * rsb + j * csb];                      \
			B = Bp, rsb = 1, csb = k;                                                  \
			as_blas(n, k, csb, rsb, &tb, &ldb);                                        \
		}                                                                                  \
		/* A^T (k, rows) and C^T (n, rows) in place: C row-major, A either */              \
		int direct = csc == 1 && (m == 1 || rsc >= n) && as_blas(k, m, csa, rsa, &ta, &lda); \
		rowblock *blk;                                                                     \
		int nb = cut_rows(m, n, k, direct, rowwise, &blk);                                 \
		int outer = !omp_in_parallel() && omp_get_max_threads() > 1;                       \
		int saved = omp_get_max_threads();                                                 \
		_Pragma("omp parallel for schedule(dynamic, 1) if (outer && nb > 1)")                 \
		for (int bi = 0; bi < nb; bi++) {                                                  \
			rowblock *b = blk + bi;                                                    \
			/* OpenBLAS runs on one thread: inside an active team it does,          \
			 * else only if OpenMP's count is 1 here */                           \
			int alone = !omp_in_parallel();                                            \
			if (alone)                                                                 \
				omp_set_num_threads(1);                                            \
			if (b->direct) {                                                           \
				enum CBLAS_TRANSPOSE t = CblasNoTrans;                             \
				long ld = 1;                                                       \
				as_blas(k, b->rows, csa, rsa, &t, &ld);                            \
				CBLAS(CblasColMajor, tb, t, (blasint)n, (blasint)b->rows, (blasint)k, alpha, B, \
				      (blasint)ldb, A + b->r0 * rsa, (blasint)ld, beta, C + b->r0 * rsc,   \
				      (blasint)(rsc > n ? rsc : n));                               \
			} else {                                                                   \
				T *Ap = xalloc((size_t)(b->rows * k), sizeof *Ap, 1);              \
				T *Cp = xalloc((size_t)(b->rows * n), sizeof *Cp, 0);              \
				for (long i = 0; i < b->mb; i++)                                   \
					for (long p = 0; p < k; p++)                               \
						Ap[i * k + p] = A[(b->r0 + i) * rsa + p * csa];    \
				if (beta != 0)                                                     \
					for (long i = 0; i < b->mb; i++)                           \
						for (long j = 0; j < n; j++)                       \
							Cp[i * n + j] = C[(b->r0 + i) * rsc + j * csc]; \
				CBLAS(CblasColMajor, tb, CblasNoTrans, (blasint)n, (blasint)b->rows, (blasint)k, \
				      alpha, B, (blasint)ldb, Ap, (blasint)k, beta, Cp, (blasint)n);  \
				for (long i = 0; i < b->mb; i++)                                   \
					for (long j = 0; j < n; j++)                               \
						C[(b->r0 + i) * rsc + j * csc] = Cp[i * n + j];    \
				free(Ap), free(Cp);                                                \
			}                                                                          \
			if (alone)                                                                 \
				omp_set_num_threads(saved);                                        \
		}                                                                                  \
		free(blk), free(Bp);                                                               \
	}

DEFINE_GEMM(static, gemm_f32_, float, cblas_sgemm)
DEFINE_GEMM(static, gemm_f64_, double, cblas_dgemm)

void gemm_f64(long m, long n, long k, double alpha, const double *A, long rsa, long csa,
              const double *B, long rsb, long csb, double beta, double *C, long rsc, long csc)
{
	gemm_f64_(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, 0);
}

/* ---- row-wise products where OpenBLAS's kernels move the bits ---------------
 * OpenBLAS's Haswell sgemm kernel (sgemm_kernel_8x4_haswell_2.c, also the
 * Zen one) sums the first and last 8 rows of each M block, for one half of
 * each 12-column chunk, with even and odd k in two accumulators: an element's
 * bits depend on where its row falls in the call. Its SkylakeX/Cooperlake
 * kernels sum every element alike (measured: tests/unit/test_gemm.c). On the
 * others, row-wise products run here instead: B packed once into panels of
 * NR columns, A by blocks of MR-row panels (zero rows past m), one
 * micro-kernel computing a whole MR x NR tile as one fused multiply-add
 * chain per element over each chunk of 384 k, the chunks added to C in
 * order: every row gets the same operations wherever it falls, whatever m
 * or the thread count. AVX-512 (12 x 32) or
 * AVX2 (6 x 16) when the CPU has it, whatever -march the build used;
 * GCSE_GEMM_ISA=avx2 or c in the environment caps it (gemm.h). */

static int ob_rowwise_invariant(void)
{
	const char *k = gemm_kernels();
	return !strcmp(k, "SkylakeX") || !strcmp(k, "Cooperlake");
}

typedef void ukr_fn(long k, const float *a, const float *b, float *t);

/* the reference: t (MR x NR) = a^T b over k, in k order (no contraction) */
enum { REF_MR = 4, REF_NR = 8 };
static void ukr_ref(long k, const float *a, const float *b, float *t)
{
	float c[REF_MR * REF_NR] = {0};
	for (long p = 0; p < k; p++, a += REF_MR, b += REF_NR)
		for (int i = 0; i < REF_MR; i++)
			for (int j = 0; j < REF_NR; j++)
				c[i * REF_NR + j] += a[i] * b[j];
	memcpy(t, c, sizeof c);
}

#define UK_ROW2(FMA, SET1, i)                                                                   \
	x = SET1(a[i]);                                                                             \
	c##i##0 = FMA(x, b0, c##i##0);                                                              \
	c##i##1 = FMA(x, b1, c##i##1);

__attribute__((target("avx2,fma"))) static void ukr_avx2(long k, const float *a, const float *b, float *t)
{
	__m256 z = _mm256_setzero_ps(), x, b0, b1;
	__m256 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
	       c50 = z, c51 = z;
	for (long p = 0; p < k; p++, a += 6, b += 16) {
		b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 0)
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 1)
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 2)
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 3)
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 4)
		UK_ROW2(_mm256_fmadd_ps, _mm256_set1_ps, 5)
	}
	_mm256_storeu_ps(t + 0, c00), _mm256_storeu_ps(t + 8, c01);
	_mm256_storeu_ps(t + 16, c10), _mm256_storeu_ps(t + 24, c11);
	_mm256_storeu_ps(t + 32, c20), _mm256_storeu_ps(t + 40, c21);
	_mm256_storeu_ps(t + 48, c30), _mm256_storeu_ps(t + 56, c31);
	_mm256_storeu_ps(t + 64, c40), _mm256_storeu_ps(t + 72, c41);
	_mm256_storeu_ps(t + 80, c50), _mm256_storeu_ps(t + 88, c51);
}

__attribute__((target("avx512f"))) static void ukr_avx512(long k, const float *a, const float *b, float *t)
{
	__m512 z = _mm512_setzero_ps(), x, b0, b1;
	__m512 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
	       c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z;
	__m512 cA0 = z, cA1 = z, cB0 = z, cB1 = z;
	for (long p = 0; p < k; p++, a += 12, b += 32) {
		b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 0)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 1)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 2)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 3)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 4)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 5)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 6)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 7)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 8)
		UK_ROW2(_mm512_fmadd_ps, _mm512_set1_ps, 9)
		x = _mm512_set1_ps(a[10]);
		cA0 = _mm512_fmadd_ps(x, b0, cA0), cA1 = _mm512_fmadd_ps(x, b1, cA1);
		x = _mm512_set1_ps(a[11]);
		cB0 = _mm512_fmadd_ps(x, b0, cB0), cB1 = _mm512_fmadd_ps(x, b1, cB1);
	}
	_mm512_storeu_ps(t + 0, c00), _mm512_storeu_ps(t + 16, c01);
	_mm512_storeu_ps(t + 32, c10), _mm512_storeu_ps(t + 48, c11);
	_mm512_storeu_ps(t + 64, c20), _mm512_storeu_ps(t + 80, c21);
	_mm512_storeu_ps(t + 96, c30), _mm512_storeu_ps(t + 112, c31);
	_mm512_storeu_ps(t + 128, c40), _mm512_storeu_ps(t + 144, c41);
	_mm512_storeu_ps(t + 160, c50), _mm512_storeu_ps(t + 176, c51);
	_mm512_storeu_ps(t + 192, c60), _mm512_storeu_ps(t + 208, c61);
	_mm512_storeu_ps(t + 224, c70), _mm512_storeu_ps(t + 240, c71);
	_mm512_storeu_ps(t + 256, c80), _mm512_storeu_ps(t + 272, c81);
	_mm512_storeu_ps(t + 288, c90), _mm512_storeu_ps(t + 304, c91);
	_mm512_storeu_ps(t + 320, cA0), _mm512_storeu_ps(t + 336, cA1);
	_mm512_storeu_ps(t + 352, cB0), _mm512_storeu_ps(t + 368, cB1);
}

typedef struct ukr {
	int mr, nr;
	ukr_fn *fn;
	const char *name;
} ukr;

/* The widest kernel the CPU has, capped by GCSE_GEMM_ISA (avx512, avx2, c);
 * chosen once. */
static const ukr *ukr_pick(void)
{
	static const ukr u512 = {12, 32, ukr_avx512, "AVX-512 12x32"}, u2 = {6, 16, ukr_avx2, "AVX2 6x16"},
	                 uref = {REF_MR, REF_NR, ukr_ref, "C 4x8"};
	static const ukr *_Atomic picked;
	const ukr *u = atomic_load(&picked);
	if (u)
		return u;
	const char *cap = getenv("GCSE_GEMM_ISA");
	int level = 2;
	if (cap && *cap) {
		if (!strcmp(cap, "avx2"))
			level = 1;
		else if (!strcmp(cap, "c"))
			level = 0;
		else if (strcmp(cap, "avx512"))
			cli_msg("GCSE_GEMM_ISA=%s: not avx512, avx2 or c; ignored", cap);
	}
	__builtin_cpu_init();
	if (level >= 2 && __builtin_cpu_supports("avx512f"))
		u = &u512;
	else if (level >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		u = &u2;
	else
		u = &uref;
	const ukr *none = NULL;
	return atomic_compare_exchange_strong(&picked, &none, u) ? u : none;
}

static const char *describe_extra(void)
{
	static char buf[96];
	if (ob_rowwise_invariant())
		return "";
	snprintf(buf, sizeof buf, "; row-wise products: gcse's %s kernel", ukr_pick()->name);
	return buf;
}

/* A row of a tile into C: c = alpha t + beta c (beta 0: c is only written). */
static void tile_out(float *restrict c, long csc, const float *restrict t, long nv, float alpha, float beta)
{
	if (csc == 1) {
		if (beta == 0)
			for (long j = 0; j < nv; j++)
				c[j] = alpha * t[j];
		else if (beta == 1)
			for (long j = 0; j < nv; j++)
				c[j] += alpha * t[j];
		else
			for (long j = 0; j < nv; j++)
				c[j] = alpha * t[j] + beta * c[j];
	} else
		for (long j = 0; j < nv; j++)
			c[j * csc] = beta == 0 ? alpha * t[j] : alpha * t[j] + beta * c[j * csc];
}

/* n floats on a 64-byte boundary (aligned_alloc wants a size that is a
 * multiple of the alignment); NULL when out of memory. */
static float *alloc64(size_t n)
{
	return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
}

/* C = alpha A B + beta C by the micro-kernel u; k >= 1. */
static void own_rows(const ukr *u, long m, long n, long k, float alpha, const float *A, long rsa, long csa,
                     const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc)
{
	const long MR = u->mr, NR = u->nr, np = (n + NR - 1) / NR;
	float *Bp = alloc64((size_t)(np * k * NR));
	if (!Bp)
		cli_die("out of memory (%ld x %ld matrix)", k, np * NR);
	/* B panel jp: Bp[jp k NR + p NR + j] = B(p, jp NR + j), zeros past n */
#pragma omp parallel for schedule(static) if (np * k * NR > (1L << 16))
	for (long jp = 0; jp < np; jp++) {
		float *d = Bp + jp * k * NR;
		long nv = n - jp * NR < NR ? n - jp * NR : NR;
		for (long p = 0; p < k; p++, d += NR) {
			const float *s = B + p * rsb + jp * NR * csb;
			for (long j = 0; j < nv; j++)
				d[j] = s[j * csb];
			for (long j = nv; j < NR; j++)
				d[j] = 0;
		}
	}
	/* k by chunks of KC (a chunk of a B panel stays in L1/L2), A by blocks
	 * of mc rows (about 192 KiB a chunk, L2) and, when there are few
	 * blocks, the columns by groups, so that every thread has work. An
	 * element's chunks are summed in k order into C whatever the split. */
	const long KC = 384, kc0 = k < KC ? k : KC;
	long mc = (192L << 10) / ((long)sizeof(float) * kc0 * MR) * MR;
	mc = mc < MR ? MR : mc > 16 * MR ? 16 * MR : mc;
	long nrb = (m + mc - 1) / mc, th = omp_in_parallel() ? 1 : omp_get_max_threads();
	long ncg = nrb >= 2 * th ? 1 : (2 * th + nrb - 1) / nrb;
	if (ncg > np)
		ncg = np;
	long ntask = nrb * ncg;
#pragma omp parallel if (ntask > 1)
	{
		float *Ap = alloc64((size_t)(mc * kc0));
		float t[12 * 32];
		if (!Ap)
			cli_die("out of memory (%ld x %ld matrix)", mc, kc0);
#pragma omp for schedule(dynamic, 1)
		for (long task = 0; task < ntask; task++) {
			long r0 = task / ncg * mc, mb = m - r0 < mc ? m - r0 : mc;
			long jp0 = task % ncg * np / ncg, jp1 = (task % ncg + 1) * np / ncg;
			long nip = (mb + MR - 1) / MR;
			for (long pc = 0; pc < k; pc += KC) {
				long kc = k - pc < KC ? k - pc : KC;
				/* A panel ip: Ap[ip kc MR + p MR + i] = A(r0 + ip MR + i, pc + p), zeros past m */
				for (long ip = 0; ip < nip; ip++) {
					float *d = Ap + ip * kc * MR;
					long mv = mb - ip * MR < MR ? mb - ip * MR : MR;
					const float *a = A + (r0 + ip * MR) * rsa + pc * csa;
					for (long p = 0; p < kc; p++, d += MR) {
						for (long i = 0; i < mv; i++)
							d[i] = a[i * rsa + p * csa];
						for (long i = mv; i < MR; i++)
							d[i] = 0;
					}
				}
				for (long jp = jp0; jp < jp1; jp++) {
					long nv = n - jp * NR < NR ? n - jp * NR : NR;
					for (long ip = 0; ip < nip; ip++) {
						long mv = mb - ip * MR < MR ? mb - ip * MR : MR;
						u->fn(kc, Ap + ip * kc * MR, Bp + jp * k * NR + pc * NR, t);
						for (long i = 0; i < mv; i++)
							tile_out(C + (r0 + ip * MR + i) * rsc + jp * NR * csc, csc, t + i * NR, nv,
							         alpha, pc > 0 ? 1.0f : beta);
					}
				}
			}
		}
		free(Ap);
	}
	free(Bp);
}

void gemm_f32(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
              const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc, int flags)
{
	if ((flags & GEMM_ROWWISE) && m > 0 && n > 0 && k > 0 && !ob_rowwise_invariant()) {
		notice();
		own_rows(ukr_pick(), m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
		return;
	}
	gemm_f32_(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, (flags & GEMM_ROWWISE) != 0);
}
#endif
