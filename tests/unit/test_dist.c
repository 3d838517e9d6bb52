/* test_dist.c — the serial build of lib/train/dist.h (what libgcse.a holds):
 * rank 0 of 1, collectives that copy or keep, and dist_share's partition of
 * a batch (the MPI runs themselves are tests/cli/mpi.sh). */
#include "train/dist.h"
#include "t.h"

static void test_serial_is_rank_0_of_1(void)
{
	char err[128] = "";
	int argc = 1;
	char *args[] = {"test_dist", NULL}, **argv = args;
	T_EQ_INT(dist_init(&argc, &argv, err, sizeof err), 0);
	T_EQ_INT(dist_rank(), 0);
	T_EQ_INT(dist_size(), 1);
	T_EQ_INT(dist_built_with_mpi(), 0);
	T_EQ_STR(dist_library(), "none");
	dist_finalize();
}

/* A build without MPI started by mpirun as one of several ranks refuses. */
static void test_serial_refuses_several_ranks(void)
{
	char err[256] = "";
	int argc = 1;
	char *args[] = {"test_dist", NULL}, **argv = args;
	setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
	int rc = dist_init(&argc, &argv, err, sizeof err);
	unsetenv("OMPI_COMM_WORLD_SIZE");
	T_EQ_INT(rc, -1);
	T_ASSERT(strstr(err, "one of 2 ranks") && strstr(err, "built without MPI"));
	setenv("PMI_SIZE", "1", 1);   /* one rank: fine */
	rc = dist_init(&argc, &argv, err, sizeof err);
	unsetenv("PMI_SIZE");
	T_EQ_INT(rc, 0);
}

static void test_serial_collectives(void)
{
	char err[128] = "";
	float x[5] = {1, -2, 3.5f, 0, 7}, y[5] = {0};
	T_EQ_INT(dist_allreduce_sum_float(x, 5, err, sizeof err), 0);
	T_ASSERT(x[0] == 1 && x[1] == -2 && x[2] == 3.5f && x[4] == 7);   /* sum over 1 rank */
	size_t rows[1] = {2};
	T_EQ_INT(dist_allgather_rows(x, rows, 2, y, err, sizeof err), 0);
	T_ASSERT(y[0] == 1 && y[1] == -2 && y[2] == 3.5f && y[3] == 0 && y[4] == 0);
	T_EQ_INT(dist_allgather_rows(NULL, rows, 2, y, err, sizeof err), 0);   /* in place */
	T_ASSERT(y[0] == 1 && y[3] == 0);
	unsigned char b[3] = {1, 2, 3};
	T_EQ_INT(dist_bcast(b, 3, 0, err, sizeof err), 0);
	T_ASSERT(b[0] == 1 && b[2] == 3);
	T_EQ_INT(dist_same_u32(42, err, sizeof err), 1);
	T_EQ_INT(dist_barrier(err, sizeof err), 0);
}

/* Shares are contiguous, in rank order, cover [0, n) once, and differ by at
 * most one row; n smaller than the ranks leaves some ranks empty. */
/* The launcher's rank comes from its environment, before MPI starts. */
static void test_launcher_rank(void)
{
	unsetenv("OMPI_COMM_WORLD_RANK");
	unsetenv("PMIX_RANK");
	unsetenv("PMI_RANK");
	T_EQ_INT((int)dist_launcher_rank(), 0);
	setenv("PMI_RANK", "3", 1);
	T_EQ_INT((int)dist_launcher_rank(), 3);
	setenv("OMPI_COMM_WORLD_RANK", "1", 1);   /* Open MPI's name comes first */
	T_EQ_INT((int)dist_launcher_rank(), 1);
	unsetenv("OMPI_COMM_WORLD_RANK");
	unsetenv("PMI_RANK");
}

static void test_share_partitions(void)
{
	for (int size = 1; size <= 7; size++)
		for (size_t n = 0; n <= 40; n++) {
			size_t next = 0, mn = (size_t)-1, mx = 0;
			for (int r = 0; r < size; r++) {
				size_t lo, hi;
				dist_share(n, r, size, &lo, &hi);
				T_EQ_INT(lo, next);
				T_ASSERT(hi >= lo);
				next = hi;
				mn = hi - lo < mn ? hi - lo : mn;
				mx = hi - lo > mx ? hi - lo : mx;
			}
			T_EQ_INT(next, n);
			T_ASSERT(mx - mn <= 1);
		}
	size_t lo, hi;
	dist_share(3, 0, 2, &lo, &hi);
	T_ASSERT(lo == 0 && hi == 1);
	dist_share(3, 1, 2, &lo, &hi);
	T_ASSERT(lo == 1 && hi == 3);
}

int main(void)
{
	T_RUN(test_serial_is_rank_0_of_1);
	T_RUN(test_serial_refuses_several_ranks);
	T_RUN(test_serial_collectives);
	T_RUN(test_share_partitions);
	T_RUN(test_launcher_rank);
	return t_done();
}
