#!/bin/sh
# bench/openblas.sh — the cross-check of bench/machine.md: OpenBLAS's sgemm
# on the same shapes as bench_peak's BLIS rows, in the same run. Debian's
# OpenBLAS (libopenblas0-pthread, libopenblas-pthread-dev) is downloaded
# with apt-get download and unpacked in a scratch folder, not installed, so
# the machine's BLAS alternatives stay as they are. Not a test; run it on a
# quiet machine.
#
#   BUILD=build sh bench/openblas.sh [threads] [reps]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
J=${1:-2}
N=${2:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
make -s "$BUILD/tests/tools/bench_peak"
(cd "$W" && apt-get download libopenblas0-pthread libopenblas-pthread-dev >/dev/null 2>&1) ||
	{ echo "openblas.sh: apt-get download failed (needs Debian's package archive)" >&2; exit 1; }
for d in "$W"/*.deb; do dpkg -x "$d" "$W/root"; done
L=$W/root/usr/lib/$(cc -print-multiarch)/openblas-pthread
I=$W/root/usr/include/$(cc -print-multiarch)/openblas-pthread
cc -O2 -I"$I" bench/openblas_sgemm.c -o "$W/openblas_sgemm" -L"$L" -lopenblas -Wl,-rpath,"$L"
export GOMP_SPINCOUNT=0
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "BLIS:     $("$BUILD/tests/tools/bench_peak" -j "$J" -n "$N")"
echo "OpenBLAS: $("$W/openblas_sgemm" "$J" "$N" 4096)"
