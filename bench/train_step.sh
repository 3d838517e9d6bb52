#!/bin/sh
# bench/train_step.sh — one training step (forward + backward + Adam update)
# of the SimCSE loss, 64 sentences x 2 dropout views x 32 tokens, on 2
# threads: gcse's engine (tests/tools/bench_train) against the same step in
# PyTorch (bench/train_step_torch.py, a hand-written BERT) in the same run,
# on the small shape (6 layers, 384, 12 heads, FFN 1536, vocab 30522) and
# the BERT-base shape (12 layers, 768, 12 heads, FFN 3072). Reports the
# median wall seconds per step (after one warm-up step), the median process
# CPU seconds per step (less sensitive to other load, though a descheduled
# thread still costs its partner's barrier spins) and the peak RSS of each
# process (/usr/bin/time -v). Not a test: run it on a quiet machine.
#
# Also (issue 14): the rate of the step's linear-layer products, gemm_GF/s
# (3 x the forward's GFLOP, the [CLS]-only last layer counted as such, over
# the median step), against the rate OpenBLAS's own sgemm gets on the same
# four forward shapes on the same threads in the same run (bench/
# openblas_sgemm.c against the installed OpenBLAS, flop-weighted: vs_blas),
# and as a share of the register-only FMA peak that $BUILD's bench_peak
# measures in the same run (AVX-512 where the CPU has it, else AVX2: peak).
# The GEMM backend and kernels of $BUILD head the output. CLEAR_CORETYPE=1
# clears OPENBLAS_CORETYPE for this command (every program in it).
#
#   [CLEAR_CORETYPE=1] [BUILD=build] sh bench/train_step.sh [steps] [threads] [shapes]
#   shapes: "small base" (default), or either
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
BT=$BUILD/tests/tools/bench_train
PY=${PYTHON:-/usr/bin/python3}
N=${1:-3}
J=${2:-2}
SHAPES=${3:-small base}
# the backend $BUILD was built with (its stamp), so that make does not switch
# it to BLAS=auto's choice; BLAS= in the environment overrides
if [ -z "${BLAS-}" ]; then
	for s in "$BUILD"/gemm-*.stamp; do if [ -f "$s" ]; then BLAS=${s##*/gemm-}; BLAS=${BLAS%.stamp}; fi; done
fi
export BLAS=${BLAS:-auto}
[ -x "$BT" ] || { echo "train_step: no $BT; run: make BLAS=$BLAS BUILD=$BUILD $BT" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "train_step: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
NPROC=$(nproc)
export GOMP_SPINCOUNT=0 OMP_NUM_THREADS=$J
[ "${CLEAR_CORETYPE-}" = 1 ] && unset OPENBLAS_CORETYPE
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
make -s "$BUILD/tests/tools/bench_peak" || exit 2
ML=$(cc -print-multiarch)
OI=/usr/include/$ML/openblas-openmp OL=/usr/lib/$ML/openblas-openmp
if [ -f "$OI/cblas.h" ]; then
	cc -O2 -I"$OI" bench/openblas_sgemm.c -o "$T/openblas_sgemm" -L"$OL" -lopenblas -Wl,-rpath,"$OL" || exit 2
fi
"$BUILD/tests/tools/bench_peak" -j "$J" -n 3 -r 256 > "$T/peak" || exit 2
# the fp32 peak: AVX-512 FMAs where the CPU has them, else AVX2
PEAK=$(jq 'if .fma512_peak_j then .fma512_peak_j else .fma_peak_j end' "$T/peak")
echo "# $("$BUILD/bin/embed" --version | sed -n 2p); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-unset}"
echo "# peak: $(jq -c '{fma_peak_j, fma512_peak_j}' "$T/peak")"

# GFLOP of a step's linear layers: 3 x forward (dX and dW in backward), the
# last layer's attention output, FFN for the [CLS] rows alone
gflop() {   # L C FF rows cls_rows
	awk -v L="$1" -v C="$2" -v F="$3" -v N="$4" -v R="$5" 'BEGIN {
		full = 2 * N * (4 * C * C + 2 * C * F); last = 2 * N * 3 * C * C + 2 * R * (C * C + 2 * C * F)
		printf "%.3f", 3 * ((L - 1) * full + last) / 1e9 }'
}
# OpenBLAS's own rate on the four forward shapes (flop-weighted), GFLOP/s
blas_rate() {   # C FF
	[ -x "$T/openblas_sgemm" ] || { echo 0; return; }
	"$T/openblas_sgemm" "$J" 3 4096 "$1" "$2" > "$T/native" || { echo 0; return; }
	cat "$T/native" >&2
	jq --argjson C "$1" --argjson F "$2" '
	  [[3 * $C * $C, .sgemm_qkv_j], [$C * $C, .sgemm_attproj_j], [$C * $F, .sgemm_fc_j], [$F * $C, .sgemm_fcproj_j]]
	  | (map(.[0]) | add) / (map(.[0] / .[1]) | add) * 10 | round / 10' "$T/native"
}

run() {   # command... : prints "median_s median_cpu_s rss_kib"
	/usr/bin/time -v "$@" >"$T/out" 2>"$T/time" || { cat "$T/time" >&2; exit 1; }
	cat "$T/out" >&2
	med=$(sed -n 's/.*"median_s":\([0-9.e+-]*\).*/\1/p' "$T/out")
	cpu=$(sed -n 's/.*"median_cpu_s":\([0-9.e+-]*\).*/\1/p' "$T/out")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
	echo "$med $cpu $rss"
}

echo "# $NPROC cores, $J threads, $N timed steps, GOMP_SPINCOUNT=0, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %8s %8s %6s %9s %9s %6s %9s %9s %6s %8s %8s %7s %6s\n' shape gcse_s torch_s ratio gcse_cpu torch_cpu ratio \
	gcse_MiB torch_MiB ratio gemm_GF/s blas_GF/s vs_blas peak
for shape in $SHAPES; do
	case $shape in
	small) A="-L 6 -C 384 -H 12 -F 1536"; G=$(gflop 6 384 1536 4096 128); R=$(blas_rate 384 1536) ;;
	base) A="-L 12 -C 768 -H 12 -F 3072"; G=$(gflop 12 768 3072 4096 128); R=$(blas_rate 768 3072) ;;
	*) echo "train_step: unknown shape $shape" >&2; exit 2 ;;
	esac
	A="$A -V 30522 -B 64 -T 32 -n $N -j $J"
	set -- $(run "$BT" $A)
	cs=$1 cc=$2 cr=$3
	set -- $(run "$PY" bench/train_step_torch.py $A)
	ps=$1 pc=$2 pr=$3
	awk -v s="$shape" -v cs="$cs" -v ps="$ps" -v cc="$cc" -v pc="$pc" -v cr="$cr" -v pr="$pr" \
	    -v g="$G" -v br="$R" -v pk="$PEAK" 'BEGIN {
		printf "%-6s %8.3f %8.3f %6.2f %9.3f %9.3f %6.2f %9.0f %9.0f %6.2f %8.1f %8.1f %7.2f %5.0f%%\n", s, cs, ps,
		       cs / ps, cc, pc, cc / pc, cr / 1024, pr / 1024, cr / pr, g / cs, br,
		       (br > 0 ? g / cs / br : 0), 100 * g / cs / pk }'
done
