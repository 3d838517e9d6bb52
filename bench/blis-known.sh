#!/bin/sh
# bench/blis-known.sh — issue 14's "no slowdown on a CPU that BLIS knows",
# measured on this machine's cores whatever CPU it is: BLIS forced to the
# kernels it picks on CPUs it knows (bench/blis_arch_shim.c, LD_PRELOAD)
# against OpenBLAS as gcse runs it there, on the same cores, in one run.
# Rows (group/config):
#   here/blis           BLIS as it finds this CPU (generic on Zen 5)
#   avx2/blis-zen3      an AVX2-only CPU that BLIS knows (Zen 3): built for
#                       x86-64-v3, BLIS's zen3 kernels
#   avx2/openblas       the same CPU on OpenBLAS: built for x86-64-v3,
#                       OPENBLAS_CORETYPE=Haswell (its kernels there) and
#                       gcse's row-wise kernel capped at AVX2 (GCSE_GEMM_ISA)
#   avx512/blis-zen3    an AVX-512 CPU that BLIS 0.9 takes for zen3 (Zen 4:
#                       its CPUID check takes every family-0x19 model as
#                       zen3): native build, BLIS's zen3 kernels
#   avx512/blis-skx     an Intel AVX-512 CPU (Skylake-X and later): BLIS's
#                       skx kernels
#   avx512/openblas-hsw OpenBLAS with OPENBLAS_CORETYPE=Haswell (what these
#                       machines set; gcse's AVX-512 row-wise kernel)
#   avx512/openblas     OpenBLAS with OPENBLAS_CORETYPE cleared (its choice)
# The avx512 rows need AVX-512F here. Columns: sgemm_GF/s, bench_peak's four
# linear-layer shapes of the small model (4,096 rows, flop-weighted); embed/s
# and floor/s, bench_forward's [CLS] encode and its GEMM floor (small shape,
# 64 x 32 tokens); step_s, bench_train's median SimCSE step (small shape,
# 64 x 2 x 32); then per group, OpenBLAS's time over BLIS's (at least 1:
# BLIS is at least as fast). $J threads, best or median of $N.
# A proxy for those CPUs: their kernels, on this machine's cores (its caches,
# clocks and vector units). Not a test.
#
#   sh bench/blis-known.sh [threads] [reps]
set -eu
cd "$(dirname "$0")/.."
J=${1:-2}
N=${2:-5}
ML=$(cc -print-multiarch)
BI=/usr/include/$ML/blis-openmp
[ -f "$BI/blis.h" ] || { echo "blis-known.sh: no BLIS (OpenMP flavour): scripts/install-deps" >&2; exit 2; }
TOOLS="bench_peak bench_forward bench_train"
build() {   # BLAS BUILD [ARCH]
	make -s BLAS="$1" BUILD="$2" ${3:+ARCH=$3} $(for t in $TOOLS; do echo "$2/tests/tools/$t"; done)
}
build blis build-blis
build openblas build-openblas
build blis build-blis-v3 -march=x86-64-v3
build openblas build-openblas-v3 -march=x86-64-v3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -O2 -shared -fPIC -isystem "$BI" bench/blis_arch_shim.c -o "$W/shim.so"
export GOMP_SPINCOUNT=0 OMP_NUM_THREADS=$J
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $J threads, $N reps; $(uptime | sed 's/.*load/load/')"
echo "# CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), family $(sed -n 's/^cpu family[^:]*: //p' /proc/cpuinfo | head -1); OPENBLAS_CORETYPE as found: ${OPENBLAS_CORETYPE-unset}"
ROWS="here/blis avx2/blis-zen3 avx2/openblas"
grep -qw avx512f /proc/cpuinfo && ROWS="$ROWS avx512/blis-zen3 avx512/blis-skx avx512/openblas-hsw avx512/openblas"
SHIM="LD_PRELOAD=$W/shim.so GCSE_BLIS_ARCH"
printf '%-20s %-11s %10s %8s %8s %7s\n' config kernels sgemm_GF/s embed/s floor/s step_s
for row in $ROWS; do
	case $row in
	here/blis) D=build-blis E="env" ;;
	avx2/blis-zen3) D=build-blis-v3 E="env $SHIM=zen3" ;;
	avx2/openblas) D=build-openblas-v3 E="env OPENBLAS_CORETYPE=Haswell GCSE_GEMM_ISA=avx2" ;;
	avx512/blis-zen3) D=build-blis E="env $SHIM=zen3" ;;
	avx512/blis-skx) D=build-blis E="env $SHIM=skx" ;;
	avx512/openblas-hsw) D=build-openblas E="env OPENBLAS_CORETYPE=Haswell" ;;
	avx512/openblas) D=build-openblas E="env -u OPENBLAS_CORETYPE" ;;
	esac
	B=$D/tests/tools
	$E "$B/bench_peak" -j "$J" -n "$N" > "$W/peak" 2>/dev/null
	$E "$B/bench_forward" -j "$J" -n "$N" > "$W/fwd" 2>/dev/null
	$E "$B/bench_train" -L 6 -C 384 -H 12 -F 1536 -V 30522 -B 64 -T 32 -n "$N" -j "$J" > "$W/train" 2>/dev/null
	k=$(jq -r .kernels "$W/peak")
	g=$(jq '[[3 * 384 * 384, .sgemm_qkv_j], [384 * 384, .sgemm_attproj_j], [384 * 1536, .sgemm_fc_j],
	         [1536 * 384, .sgemm_fcproj_j]] | (map(.[0]) | add) / (map(.[0] / .[1]) | add)' "$W/peak")
	e=$(sed -n 's/^encode cls: *\([0-9.]*\).*/\1/p' "$W/fwd")
	f=$(sed -n 's/^GEMM floor: *\([0-9.]*\).*/\1/p' "$W/fwd")
	s=$(jq .median_s "$W/train")
	printf '%-20s %-11s %10.1f %8.1f %8.1f %7.3f\n' "$row" "$k" "$g" "$e" "$f" "$s" | tee -a "$W/rows"
done
echo "# OpenBLAS time / BLIS time (>= 1: BLIS at least as fast), embed and training step:"
awk '{ split($1, p, "/"); g = p[1]; c = p[2]; e[$1] = $4; s[$1] = $6 }
     END {
	if ("avx2/blis-zen3" in s)
		printf "avx2   zen3 vs openblas:      embed %.2f  step %.2f\n",
		       e["avx2/blis-zen3"] / e["avx2/openblas"], s["avx2/openblas"] / s["avx2/blis-zen3"]
	if ("avx512/blis-zen3" in s)
		for (i = 0; i < 2; i++) {
			o = i ? "avx512/openblas" : "avx512/openblas-hsw"
			printf "avx512 zen3 vs %-15s embed %.2f  step %.2f\n", substr(o, 8) ":",
			       e["avx512/blis-zen3"] / e[o], s[o] / s["avx512/blis-zen3"]
			printf "avx512 skx  vs %-15s embed %.2f  step %.2f\n", substr(o, 8) ":",
			       e["avx512/blis-skx"] / e[o], s[o] / s["avx512/blis-skx"]
		}
     }' "$W/rows"
