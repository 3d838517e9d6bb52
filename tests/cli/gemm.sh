# CLI tests of the GEMM backend (lib/base/gemm, issue 14): --version names
# it and its kernels; the one-line notice on stderr appears exactly when the
# backend runs reference kernels on this CPU (BLIS "generic"), once, and never
# with -q; only lib/base/gemm.c includes a BLAS header; scripts/blas-probe.
# Either backend, on any CPU: what is checked follows what --version says.
. tests/cli/lib.sh
M=tests/data/models/tiny-cls
IN=tests/data/sts/texts.ndjson
NOTICE='has no optimised kernels for this CPU and runs its generic reference kernels'

for p in embed gcsetrain kgextract kgfilter kgsynth stsscore; do
	t_case "$p --version names the GEMM backend" 0 - empty \
	  "$p --version | grep -Eq '^GEMM: (BLIS|OpenBLAS) [0-9][^,]*, kernels [^ ]+'"
done
embed --version > "$T/version"
if grep -q '^GEMM: .*, kernels generic' "$T/version"; then generic=1; else generic=0; fi
echo "# $(sed -n 2p "$T/version") (generic: $generic)"
if [ $generic = 1 ]; then
	t_case "gemm notice: once, naming the fix" 0 - - \
	  "embed -m $M $IN 2>&1 >/dev/null | grep -c \"$NOTICE.*'make BLAS=\" | grep -qx 1"
	t_case "gemm notice: with the program's name" 0 - - \
	  "embed -m $M $IN 2>&1 >/dev/null | grep -q \"^embed: .*$NOTICE\""
	t_case "gemm notice: stsscore --model too" 0 - - \
	  "jq -c '{sentence1: .text, sentence2: .text, score: 1}' $IN | stsscore -m $M 2>&1 >/dev/null | grep -q \"^stsscore: .*$NOTICE\""
else
	t_case "gemm notice: none with optimised kernels" 0 - - \
	  "! embed -m $M $IN 2>&1 >/dev/null | grep -q \"$NOTICE\""
fi
t_case "gemm notice: never with -q" 0 - - "! embed -q -m $M $IN 2>&1 >/dev/null | grep -q \"$NOTICE\""
t_case "gemm notice: not without a product" 0 - - \
  "! stsscore tests/data/sts/small.ndjson 2>&1 >/dev/null | grep -q \"$NOTICE\""

# One door: only lib/base/gemm.c includes blis.h or cblas.h.
t_case "gemm: only lib/base/gemm.c includes a BLAS header" 0 - - \
  "test \"\$(grep -rlE '#include <(blis|cblas)\\.h>' lib bin tests | sort)\" = lib/base/gemm.c"

# scripts/blas-probe (the Makefile's BLAS=auto)
t_case "blas-probe: nothing installed" 0 - - \
  "scripts/blas-probe cc '' '' '' | grep -q '^none '"
mkdir -p "$T/ob"
: > "$T/ob/cblas.h"
t_case "blas-probe: OpenBLAS only" 0 - - \
  "scripts/blas-probe cc '' $T/ob $T/ob | grep -qx 'openblas BLIS is not installed'"
t_case "blas-probe: no BLIS header where said" 0 - - \
  "scripts/blas-probe cc $T/nothing '' '' | grep -q '^none '"
# with the installed BLIS (if any): blis unless its kernels are generic
bi=$(ls -d /usr/include/*/blis-openmp /usr/include/*/blis-pthread /usr/include/blis 2>/dev/null | head -1)
if [ -n "$bi" ]; then
	t_case "blas-probe: the installed BLIS, no OpenBLAS" 0 - - \
	  "scripts/blas-probe cc $bi '' '' | grep -Eq '^blis BLIS [0-9.]+ has (optimised kernels for this CPU \\([a-z0-9]+\\)|only its generic reference kernels for this CPU and OpenBLAS is not installed)'"
	t_case "blas-probe: OpenBLAS chosen only over generic BLIS" 0 - - \
	  "out=\$(scripts/blas-probe cc $bi $T/ob $T/ob); case \$out in openblas*) echo \"\$out\" | grep -q generic ;; blis*) echo \"\$out\" | grep -q 'optimised kernels' ;; *) false ;; esac"
else
	t_skip "blas-probe with BLIS" "no BLIS headers installed"
fi
