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
#   BUILD=build sh bench/train_step.sh [steps] [threads] [shapes]
#   shapes: "small base" (default), or either
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
BT=$BUILD/tests/tools/bench_train
PY=${PYTHON:-/usr/bin/python3}
N=${1:-3}
J=${2:-2}
SHAPES=${3:-small base}
[ -x "$BT" ] || { echo "train_step: no $BT; run: make BUILD=$BUILD $BT" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "train_step: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
NPROC=$(nproc)
export GOMP_SPINCOUNT=0 OMP_NUM_THREADS=$J
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT

run() {   # command... : prints "median_s median_cpu_s rss_kib"
	/usr/bin/time -v "$@" >"$T/out" 2>"$T/time" || { cat "$T/time" >&2; exit 1; }
	cat "$T/out" >&2
	med=$(sed -n 's/.*"median_s":\([0-9.e+-]*\).*/\1/p' "$T/out")
	cpu=$(sed -n 's/.*"median_cpu_s":\([0-9.e+-]*\).*/\1/p' "$T/out")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
	echo "$med $cpu $rss"
}

echo "# $NPROC cores, $J threads, $N timed steps, GOMP_SPINCOUNT=0, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %8s %8s %6s %9s %9s %6s %9s %9s %6s\n' shape gcse_s torch_s ratio gcse_cpu torch_cpu ratio gcse_MiB torch_MiB ratio
for shape in $SHAPES; do
	case $shape in
	small) A="-L 6 -C 384 -H 12 -F 1536" ;;
	base) A="-L 12 -C 768 -H 12 -F 3072" ;;
	*) echo "train_step: unknown shape $shape" >&2; exit 2 ;;
	esac
	A="$A -V 30522 -B 64 -T 32 -n $N -j $J"
	set -- $(run "$BT" $A)
	cs=$1 cc=$2 cr=$3
	set -- $(run "$PY" bench/train_step_torch.py $A)
	ps=$1 pc=$2 pr=$3
	awk -v s="$shape" -v cs="$cs" -v ps="$ps" -v cc="$cc" -v pc="$pc" -v cr="$cr" -v pr="$pr" 'BEGIN {
		printf "%-6s %8.3f %8.3f %6.2f %9.3f %9.3f %6.2f %9.0f %9.0f %6.2f\n", s, cs, ps, cs / ps,
		       cc, pc, cc / pc, cr / 1024, pr / 1024, cr / pr }'
done
