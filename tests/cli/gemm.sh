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

# GCSE_GEMM_ISA caps gcse's own row-wise kernel (OpenBLAS on kernel sets
# whose sums move with a row's place: --version then names that kernel);
# test_gemm's row-wise checks pass on each capped kernel.
if grep -q "row-wise products: gcse's" "$T/version"; then
	for isa in avx2 c; do
		case $isa in avx2) want="(AVX2 6x16|C 4x8)" ;; c) want="C 4x8" ;; esac
		t_case "GCSE_GEMM_ISA=$isa: --version names the capped kernel" 0 - - \
		  "GCSE_GEMM_ISA=$isa embed --version | grep -Eq \"row-wise products: gcse's $want kernel\""
		t_case "GCSE_GEMM_ISA=$isa: test_gemm passes on it" 0 - - \
		  "GCSE_GEMM_ISA=$isa ${GCSE_BUILD:-build}/tests/test_gemm > /dev/null"
	done
	t_case "GCSE_GEMM_ISA: a bad value named and ignored" 0 - - \
	  "GCSE_GEMM_ISA=sse9 embed --version 2>&1 | grep -q '^embed: GCSE_GEMM_ISA=sse9: not avx512, avx2 or c; ignored'"
else
	t_skip "GCSE_GEMM_ISA" "this backend's kernels keep row-wise bits (no gcse kernel in use)"
fi

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
	t_case "blas-probe: OpenBLAS chosen only over generic or narrower BLIS" 0 - - \
	  "out=\$(scripts/blas-probe cc $bi $T/ob $T/ob); case \$out in openblas*) echo \"\$out\" | grep -Eq 'generic|AVX2 kernels' ;; blis*) echo \"\$out\" | grep -q 'optimised kernels' ;; *) false ;; esac"
	# the decision on other CPUs: BLIS's answer stood in (version, configuration, AVX-512F)
	for c in "generic 0:openblas:blis" "generic 1:openblas:blis" "zen3 0:blis:blis" "zen3 1:openblas:blis" \
	         "haswell 1:openblas:blis" "skx 1:blis:blis" "knl 1:blis:blis"; do
		ans=${c%%:*} r=${c#*:}
		with=${r%%:*} without=${r#*:}
		t_case "blas-probe: BLIS $ans, OpenBLAS installed -> $with" 0 - - \
		  "GCSE_PROBE_ANSWER='0.9.0 $ans' scripts/blas-probe cc $bi $T/ob $T/ob | grep -q '^$with '"
		t_case "blas-probe: BLIS $ans, no OpenBLAS -> $without" 0 - - \
		  "GCSE_PROBE_ANSWER='0.9.0 $ans' scripts/blas-probe cc $bi '' '' | grep -q '^$without '"
	done
else
	t_skip "blas-probe with BLIS" "no BLIS headers installed"
fi
