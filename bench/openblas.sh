#!/bin/sh
# bench/openblas.sh — the GEMM backends on the small shape's four linear
# layers (4,096 rows), in one run (issue 14; bench/machine.md):
#   blis      tests/tools/bench_peak built with BLAS=blis (build-blis/)
#   openblas  the same built with BLAS=openblas (build-openblas/): gemm_f32
#             as the forward calls it (row-wise, bits independent of the batch)
#   native    OpenBLAS's own cblas_sgemm on its own threads, no gcse code
#             (bench/openblas_sgemm.c against the installed OpenBLAS): the rate
#             "OpenBLAS gets on the same GEMMs"
# each with the environment as found and with OPENBLAS_CORETYPE cleared (in
# this command only). bench_peak also gives the register-only FMA peaks
# (AVX2, AVX-512). Needs BLIS and OpenBLAS (scripts/install-deps). Not a test.
#
#   sh bench/openblas.sh [threads] [reps]
set -eu
cd "$(dirname "$0")/.."
J=${1:-2}
N=${2:-5}
ML=$(cc -print-multiarch)
OI=/usr/include/$ML/openblas-openmp OL=/usr/lib/$ML/openblas-openmp
[ -f "$OI/cblas.h" ] || { echo "openblas.sh: no OpenBLAS (OpenMP flavour): scripts/install-deps" >&2; exit 2; }
make -s BLAS=blis BUILD=build-blis build-blis/tests/tools/bench_peak
make -s BLAS=openblas BUILD=build-openblas build-openblas/tests/tools/bench_peak
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -O2 -I"$OI" bench/openblas_sgemm.c -o "$W/openblas_sgemm" -L"$OL" -lopenblas -Wl,-rpath,"$OL"
export GOMP_SPINCOUNT=0 OMP_NUM_THREADS=$J
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $J threads, $N reps; uptime: $(uptime | sed 's/.*load/load/')"
echo "# CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); OPENBLAS_CORETYPE as found: ${OPENBLAS_CORETYPE-unset}"
for env in found cleared; do
	if [ $env = found ]; then E=env; else E="env -u OPENBLAS_CORETYPE"; fi
	echo "## OPENBLAS_CORETYPE $env"
	echo "blis:     $($E build-blis/tests/tools/bench_peak -j "$J" -n "$N")"
	echo "openblas: $($E build-openblas/tests/tools/bench_peak -j "$J" -n "$N")"
	echo "native:   $($E "$W/openblas_sgemm" "$J" "$N" 4096)"
done
