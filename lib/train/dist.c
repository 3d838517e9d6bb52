/* dist.c — see dist.h. Compiled twice: serial (libgcse.a) and with
 * -DGCSE_MPI (gcsetrain only). */
#include "train/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest piece of one MPI call, in elements: well inside an int. */
#define DIST_PIECE ((size_t)1 << 30)

long dist_launcher_rank(void)
{
	static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", NULL};
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v)
			return atol(v);
	}
	return 0;
}

#ifdef GCSE_MPI
#include <mpi.h>

static int started, finished, g_rank, g_size = 1;
static int *g_cnt, *g_disp;     /* (size) scratch of dist_allgather_rows */
static char g_lib[MPI_MAX_LIBRARY_VERSION_STRING];

static int launched(void)
{
	static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
	                                   "PMI_SIZE", NULL};
	for (int i = 0; vars[i]; i++)
		if (getenv(vars[i]))
			return 1;
	return 0;
}

static int mpierr(int rc, const char *what, char *err, size_t errlen)
{
	if (rc == MPI_SUCCESS)
		return 0;
	char msg[MPI_MAX_ERROR_STRING];
	int len = 0;
	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		snprintf(msg, sizeof msg, "error %d", rc);
	snprintf(err, errlen, "%s: %s", what, msg);
	return -1;
}

/* A rank leaving before dist_finalize takes the job down with its status;
 * a clean exit 0 (e.g. EPIPE on rank 0) must not hang the others either. */
static void dist_on_exit(int status, void *arg)
{
	(void)arg;
	if (!started || finished)
		return;
	if (g_size > 1) {
		fflush(stdout);
		fflush(stderr);
		MPI_Abort(MPI_COMM_WORLD, status);
	}
	finished = 1;
	MPI_Finalize();
}

int dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
	if (started || !launched())
		return 0;
	int provided = 0;
	int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
	if (rc != MPI_SUCCESS)
		return mpierr(rc, "MPI_Init_thread", err, errlen);
	started = 1;
	on_exit(dist_on_exit, NULL);
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &g_size);
	g_cnt = calloc((size_t)g_size, sizeof *g_cnt);
	g_disp = calloc((size_t)g_size, sizeof *g_disp);
	if (!g_cnt || !g_disp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (provided < MPI_THREAD_FUNNELED) {
		snprintf(err, errlen, "the MPI library does not support threads (MPI_THREAD_FUNNELED)");
		return -1;
	}
	return 0;
}

void dist_finalize(void)
{
	if (!started || finished)
		return;
	finished = 1;
	MPI_Finalize();
	free(g_cnt);
	free(g_disp);
	g_cnt = g_disp = NULL;
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_built_with_mpi(void) { return 1; }

const char *dist_library(void)
{
	if (!g_lib[0]) {
		int len = 0;
		MPI_Get_library_version(g_lib, &len);   /* callable before MPI_Init */
		char *nl = strpbrk(g_lib, "\r\n");
		if (nl)
			*nl = 0;
	}
	return g_lib;
}

int dist_allreduce_sum_float(float *buf, size_t n, char *err, size_t errlen)
{
	if (g_size == 1)
		return 0;
	for (size_t i = 0; i < n; i += DIST_PIECE) {
		size_t m = n - i < DIST_PIECE ? n - i : DIST_PIECE;
		int rc = MPI_Allreduce(MPI_IN_PLACE, buf + i, (int)m, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
		if (mpierr(rc, "MPI_Allreduce", err, errlen))
			return -1;
	}
	return 0;
}

int dist_allgather_rows(const float *send, const size_t *rows, size_t rowlen, float *recv,
                        char *err, size_t errlen)
{
	size_t total = 0;
	for (int r = 0; r < g_size; r++) {
		if (rows[r] > (size_t)INT_MAX - total) {
			snprintf(err, errlen, "allgather: more than %d rows", INT_MAX);
			return -1;
		}
		total += rows[r];
	}
	if (g_size == 1) {
		if (send && rows[0])
			memmove(recv, send, rows[0] * rowlen * sizeof *recv);
		return 0;
	}
	if (rowlen < 1 || rowlen > (size_t)INT_MAX) {
		snprintf(err, errlen, "allgather: bad row length %zu", rowlen);
		return -1;
	}
	/* counts in rows: one contiguous datatype of rowlen floats */
	for (int r = 0, d = 0; r < g_size; r++) {
		g_cnt[r] = (int)rows[r];
		g_disp[r] = d;
		d += (int)rows[r];
	}
	MPI_Datatype row;
	int rc = MPI_Type_contiguous((int)rowlen, MPI_FLOAT, &row);
	if (!rc)
		rc = MPI_Type_commit(&row);
	if (mpierr(rc, "MPI_Type_contiguous", err, errlen))
		return -1;
	rc = MPI_Allgatherv(send ? (const void *)send : MPI_IN_PLACE, g_cnt[g_rank], row, recv, g_cnt,
	                    g_disp, row, MPI_COMM_WORLD);
	MPI_Type_free(&row);
	return mpierr(rc, "MPI_Allgatherv", err, errlen);
}

int dist_bcast(void *buf, size_t n, int root, char *err, size_t errlen)
{
	if (g_size == 1)
		return 0;
	for (size_t i = 0; i < n; i += DIST_PIECE) {
		size_t m = n - i < DIST_PIECE ? n - i : DIST_PIECE;
		int rc = MPI_Bcast((char *)buf + i, (int)m, MPI_BYTE, root, MPI_COMM_WORLD);
		if (mpierr(rc, "MPI_Bcast", err, errlen))
			return -1;
	}
	return 0;
}

int dist_same_u32(uint32_t v, char *err, size_t errlen)
{
	if (g_size == 1)
		return 1;
	unsigned lo = v, hi = v;
	int rc = MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UNSIGNED, MPI_MIN, MPI_COMM_WORLD);
	if (!rc)
		rc = MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UNSIGNED, MPI_MAX, MPI_COMM_WORLD);
	if (mpierr(rc, "MPI_Allreduce", err, errlen))
		return -1;
	return lo == hi;
}

int dist_barrier(char *err, size_t errlen)
{
	if (g_size == 1)
		return 0;
	return mpierr(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", err, errlen);
}

noreturn void dist_abort(int code)
{
	if (started && !finished && g_size > 1) {
		fflush(stdout);
		fflush(stderr);
		MPI_Abort(MPI_COMM_WORLD, code);
	}
	exit(code);
}

#else /* serial: rank 0 of 1 */

/* Started by mpirun as one of several ranks, a build without MPI would run
 * independent copies that overwrite each other's output: refuse. */
int dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
	(void)argc;
	(void)argv;
	static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v && atol(v) > 1) {
			snprintf(err, errlen, "started as one of %ld ranks (%s), but built without MPI "
			         "(rebuild with mpicc installed, or make MPI=1)", atol(v), vars[i]);
			return -1;
		}
	}
	return 0;
}
void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_built_with_mpi(void) { return 0; }
const char *dist_library(void) { return "none"; }

int dist_allreduce_sum_float(float *buf, size_t n, char *err, size_t errlen)
{
	(void)buf, (void)n, (void)err, (void)errlen;
	return 0;
}

int dist_allgather_rows(const float *send, const size_t *rows, size_t rowlen, float *recv,
                        char *err, size_t errlen)
{
	(void)err, (void)errlen;
	if (send && rows[0])
		memmove(recv, send, rows[0] * rowlen * sizeof *recv);
	return 0;
}

int dist_bcast(void *buf, size_t n, int root, char *err, size_t errlen)
{
	(void)buf, (void)n, (void)root, (void)err, (void)errlen;
	return 0;
}

int dist_same_u32(uint32_t v, char *err, size_t errlen)
{
	(void)v, (void)err, (void)errlen;
	return 1;
}

int dist_barrier(char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return 0;
}

noreturn void dist_abort(int code) { exit(code); }
#endif
