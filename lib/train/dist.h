/* dist.h — data parallelism for gcsetrain: ranks, collectives, abort.
 *
 * Two builds of one file. libgcse.a holds the serial one (this process is
 * rank 0 of 1; the collectives copy or do nothing), so no program but
 * gcsetrain ever links MPI. The Makefile compiles lib/dist.c a second time
 * with -DGCSE_MPI into $(BUILD)/mpi/dist.o and links that object into
 * gcsetrain alone, ahead of the archive.
 *
 * The MPI build starts MPI only when a launcher started the process (mpirun,
 * mpiexec, srun: it finds OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or
 * PMI_SIZE in the environment); run alone it behaves as the serial build and
 * never touches MPI. Under MPI, dist_init also registers an exit handler: a
 * rank that exits before dist_finalize (cli_die, a usage error, EPIPE) calls
 * MPI_Abort with its exit status, so the other ranks, which may be waiting
 * in a collective, are ended too and mpirun returns instead of hanging.
 *
 * Every function is called from the main thread only (MPI_THREAD_FUNNELED).
 * Counts are size_t; calls larger than an MPI int are split into pieces.
 * The collectives return 0, or -1 with MPI's message in err (the
 * communicator returns errors instead of aborting at once). */
#ifndef GCSE_DIST_H
#define GCSE_DIST_H
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* Start (MPI_Init_thread under a launcher); call before any other dist_*.
 * 0, or -1 with a message. The serial build fails when a launcher started
 * it as one of several ranks (OMPI_COMM_WORLD_SIZE or PMI_SIZE above 1):
 * independent copies would overwrite each other's output. */
int dist_init(int *argc, char ***argv, char *err, size_t errlen);
/* The rank a launcher (mpirun, srun) gave this process, read from its
 * environment (OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK); 0 when there is
 * none. Usable before dist_init, in either build. */
long dist_launcher_rank(void);
/* End MPI (MPI_Finalize) if it was started; a no-op otherwise. */
void dist_finalize(void);
int dist_rank(void);          /* 0 .. size-1 */
int dist_size(void);          /* ranks in the job (1 without MPI) */
/* 1 when this build has MPI compiled in (whether or not it is running). */
int dist_built_with_mpi(void);
/* The MPI library's own version line ("Open MPI v4.1.4, ..."), or "none". */
const char *dist_library(void);

/* Rows [*lo, *hi) of n that rank r of `size` takes: n*r/size .. n*(r+1)/size
 * (contiguous, in rank order, shares differ by at most one). */
static inline void dist_share(size_t n, int r, int size, size_t *lo, size_t *hi)
{
	*lo = n * (size_t)r / (size_t)size;
	*hi = n * (size_t)(r + 1) / (size_t)size;
}

/* buf (n) := the element-wise sum of every rank's buf, on every rank
 * (MPI_Allreduce, MPI_IN_PLACE). */
int dist_allreduce_sum_float(float *buf, size_t n, char *err, size_t errlen);
/* Gather rows of rowlen floats: rank r contributes rows[r] rows from send;
 * recv receives every rank's rows in rank order (sum of rows[] rows), on
 * every rank. rows[] (dist_size() entries) must be the same on every rank.
 * send may be NULL: this rank's rows are already in their place in recv. */
int dist_allgather_rows(const float *send, const size_t *rows, size_t rowlen, float *recv,
                        char *err, size_t errlen);
/* buf (n bytes) of rank root to every rank (MPI_Bcast). */
int dist_bcast(void *buf, size_t n, int root, char *err, size_t errlen);
/* 1 when every rank passed the same v, else 0; -1 on an MPI error. */
int dist_same_u32(uint32_t v, char *err, size_t errlen);
int dist_barrier(char *err, size_t errlen);
/* End every rank with exit status code (MPI_Abort; exit without MPI). */
noreturn void dist_abort(int code);
#endif
