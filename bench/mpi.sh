#!/bin/sh
# bench/mpi.sh — gcsetrain data-parallel over MPI on this machine: seconds per
# SimCSE step (global batch 64 x 32 tokens, dropout 0.1) with 1 rank and with
# 2 ranks (one thread each, GOMP_SPINCOUNT=0), on the small shape (6 layers,
# 384, 12 heads, FFN 1536, vocab 30522, as bench/train_step.sh), and the time
# of one MPI_Allreduce of the whole gradient arena between 2 ranks (a small
# MPI program compiled here with mpicc), to put the communication share
# against the compute. The data and the 30522-token vocabulary are synthetic
# (whole-word tokens "w5".."w30521"), so every text fills the 32 tokens.
# Reports the median over steps 2..N (step 1 pays the first touch of memory)
# and the load average before and after. Not a test; about 1-2 minutes.
#
#   BUILD=build sh bench/mpi.sh [steps]      (default 4 steps)
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
GT=$BUILD/bin/gcsetrain
N=${1:-4}
[ -x "$GT" ] || { echo "mpi: no $GT; run: make BUILD=$BUILD" >&2; exit 2; }
"$GT" --version | grep -q '^built with MPI' ||
	{ echo "mpi: $GT was built without MPI (make MPI=1)" >&2; exit 2; }
command -v mpirun > /dev/null && command -v mpicc > /dev/null ||
	{ echo "mpi: needs mpirun and mpicc (Debian: openmpi-bin libopenmpi-dev)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "mpi: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
NPROC=$(nproc)   # before OMP_NUM_THREADS, which nproc obeys
export GOMP_SPINCOUNT=0 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI="mpirun --oversubscribe --bind-to none --mca btl self,vader -np 2"
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT

cat > "$T/config.json" << 'EOF'
{"attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
 "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
 "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
 "num_attention_heads": 12, "num_hidden_layers": 6, "type_vocab_size": 2, "vocab_size": 30522}
EOF
awk 'BEGIN { print "[PAD]"; print "[UNK]"; print "[CLS]"; print "[SEP]"; print "[MASK]";
	for (i = 5; i < 30522; i++) print "w" i }' > "$T/vocab.txt"
awk -v n=$((64 * N)) 'BEGIN { srand(1); for (s = 0; s < n; s++) { t = "";
	for (w = 0; w < 40; w++) t = t " w" (5 + int(rand() * 30517));
	printf "{\"text\":\"%s\"}\n", substr(t, 2) } }' > "$T/data.ndjson"

G="$GT -q --threads 1 --config $T/config.json --vocab $T/vocab.txt -b 64 --max-length 32 --max-steps $N --log-every 1 --seed 1"
# median seconds per step over steps 2..N: 64 / examples_per_s
med() { jq -r 'select(.step > 1) | 64 / .examples_per_s' "$1" | sort -g |
	awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $NPROC cores, 1 thread per rank, $N steps (median of 2..$N), GOMP_SPINCOUNT=0, $(uname -sr)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# whole runs (set-up included) under /usr/bin/time: wall and CPU seconds of
# all processes (mpirun waits for its ranks, so their CPU time is counted)
TF='%e %U %S'
/usr/bin/time -f "$TF" -o "$T/r1.time" $G --save-every "$N" --out "$T/r1" "$T/data.ndjson" \
	> "$T/r1.out" 2> "$T/r1.err" || { cat "$T/r1.err" >&2; exit 1; }
/usr/bin/time -f "$TF" -o "$T/r2.time" $MPI $G --out "$T/r2" "$T/data.ndjson" \
	> "$T/r2.out" 2> "$T/r2.err" || { cat "$T/r2.err" >&2; exit 1; }
# the arena's size, from the checkpoint's meta (safetensors: 8-byte header length, JSON)
ck=$T/r1/checkpoint/train.safetensors
hl=$(od -An -t u8 -N8 "$ck" | tr -d ' ')
P=$(dd if="$ck" bs=1 skip=8 count="$hl" 2> /dev/null | jq -r '.__metadata__.meta | fromjson | .params')

cat > "$T/ar.c" << 'EOF'
/* median wall seconds of MPI_Allreduce(sum, in place) of n floats */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int n = atoi(argv[1]), reps = atoi(argv[2]), rank;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	float *x = calloc((size_t)n, sizeof *x);
	double *t = calloc((size_t)reps, sizeof *t);
	MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);   /* warm-up */
	for (int r = 0; r < reps; r++) {
		MPI_Barrier(MPI_COMM_WORLD);
		double t0 = MPI_Wtime();
		MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
		t[r] = MPI_Wtime() - t0;
	}
	qsort(t, (size_t)reps, sizeof *t, cmp);
	if (rank == 0)
		printf("%.6f\n", t[reps / 2]);
	free(x);
	free(t);
	MPI_Finalize();
	return 0;
}
EOF
mpicc -O2 -o "$T/ar" "$T/ar.c" || exit 1
AR=$($MPI "$T/ar" "$P" 9) || exit 1
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

s1=$(med "$T/r1.out")
s2=$(med "$T/r2.out")
echo "# per-step seconds, rank 1 / rank 2 runs:"
jq -c '{step, loss, s: (64 / .examples_per_s)}' "$T/r1.out" | sed 's/^/#   1 rank:  /'
jq -c '{step, loss, s: (64 / .examples_per_s)}' "$T/r2.out" | sed 's/^/#   2 ranks: /'
awk -v p="$P" -v s1="$s1" -v s2="$s2" -v ar="$AR" -v t1="$(cat "$T/r1.time")" -v t2="$(cat "$T/r2.time")" 'BEGIN {
	mb = p * 4 / 1e6
	printf "params %d (%.1f MB of fp32 gradients)\n", p, mb
	printf "%-28s %8.3f s\n", "1 rank, step", s1
	printf "%-28s %8.3f s  (speed-up %.2f, efficiency %.0f%%)\n", "2 ranks, step", s2, s1 / s2, 50 * s1 / s2
	printf "%-28s %8.3f s  (%.1f%% of the 2-rank step; %.2f GB/s algorithm bandwidth)\n",
	       "allreduce of the gradients", ar, 100 * ar / s2, mb / 1e3 / ar
	split(t1, a, " "); split(t2, b, " ")
	printf "whole runs: 1 rank %.1f s wall, %.1f s CPU; 2 ranks %.1f s wall, %.1f s CPU\n",
	       a[1], a[2] + a[3], b[1], b[2] + b[3]
}'
