/* gemm.h — the one door to the BLAS: every matrix product of gcse, the
 * thread count of the products, and what the build links (the only file
 * that includes a BLAS header is gemm.c).
 *
 * Backend, chosen at build time (Makefile: make BLAS=blis|openblas|auto):
 *   BLIS      (-DGCSE_GEMM_BLIS)      bli_sgemm_ex / bli_dgemm, any strides;
 *   OpenBLAS  (-DGCSE_GEMM_OPENBLAS)  cblas_sgemm / cblas_dgemm, column-major
 *             with transpose flags (an operand with no unit stride is copied).
 *
 * Bits: an element of C depends only on its row of A, its column of B, k,
 * alpha and beta; never on the thread count, and with GEMM_ROWWISE never on
 * m (the number of rows around it). That is what lets a text's vector be the
 * same bits whatever the batch size, window or thread count.
 *   BLIS never splits k across threads; GEMM_ROWWISE turns off its
 *   small-matrix ("sup") kernels, which would change with m.
 *   OpenBLAS 0.3.21 takes four routes whose sums differ: a row-major direct
 *   kernel (sgemm_direct, AVX-512 CPUs, alpha 1 beta 0 NN), small-matrix
 *   kernels (SkylakeX/Cooperlake kernels, m n k <= 100^3), and a serial and
 *   a threaded driver that cut a k between GEMM_Q and 2 GEMM_Q into halves
 *   differently. gemm.c calls it column-major (no direct kernel), gives it
 *   only a multiple of 32 of k (both drivers then cut at the same places on
 *   every x86-64 kernel set, whose GEMM_Q are multiples of 32) and sums the
 *   k mod 32 rest itself in k order, and, for GEMM_ROWWISE, pads a product
 *   under 2^21 multiply-adds with zero rows so that it never takes the
 *   small-matrix kernels. On the kernel sets whose sums move with a row's
 *   place (Haswell, Zen), GEMM_ROWWISE products run on gcse's own packed
 *   kernel instead, AVX-512 or AVX2 as the CPU has; GCSE_GEMM_ISA=avx2 (or
 *   c) in the environment caps it, to run an AVX2-only CPU's path on a newer
 *   one (tests, bench/blis-known.sh). tests/unit/test_gemm.c checks all of
 *   this.
 *
 * Threads: gemm_set_threads(n) (cli_set_threads calls it). BLIS runs
 * products under 2^21 multiply-adds on one thread (without GEMM_ROWWISE);
 * OpenBLAS has its own threshold.
 *
 * When the backend has no optimised kernels for this CPU (BLIS's "generic"
 * configuration: reference C kernels, several times slower), the first
 * product of a process prints one line on stderr naming the cause and the
 * fix, unless gemm_set_notice(0) was called (cli_getopt does so for -q). */
#ifndef GCSE_GEMM_H
#define GCSE_GEMM_H

enum {
	GEMM_ROWWISE = 1,   /* each row of C the same bits whatever m */
};

/* C (m,n) = alpha A (m,k) B (k,n) + beta C. Every matrix has its own row and
 * column strides (element (i,j) of A is A[i*rsa + j*csa]; a transpose is a
 * swap of them). beta 0: C is only written. flags: 0 or GEMM_ROWWISE. */
void gemm_f32(long m, long n, long k, float alpha, const float *A, long rsa, long csa,
              const float *B, long rsb, long csb, float beta, float *C, long rsc, long csc, int flags);
/* The same in double (no flags: the thread count never changes the bits). */
void gemm_f64(long m, long n, long k, double alpha, const double *A, long rsa, long csa,
              const double *B, long rsb, long csb, double beta, double *C, long rsc, long csc);

/* Threads of the products (n >= 1). OpenMP's count is the caller's. */
void gemm_set_threads(int n);

/* "BLIS 0.9.0", "OpenBLAS 0.3.21": the backend linked and its version. */
const char *gemm_backend(void);
/* The kernel set the backend runs on this CPU: BLIS's configuration
 * ("zen3", "skx", "generic"), OpenBLAS's core ("Haswell", "Cooperlake"). */
const char *gemm_kernels(void);
/* 1 when that kernel set is the reference C code (BLIS "generic"). */
int gemm_generic(void);
/* "GEMM: BLIS 0.9.0, kernels zen3" (one line, no newline), for --version. */
const char *gemm_describe(void);
/* The notice line (without the program name), or NULL when the kernels
 * are optimised. */
const char *gemm_notice_text(void);
/* 0: never print the notice (-q); 1: print it at the first product (default). */
void gemm_set_notice(int on);
#endif
