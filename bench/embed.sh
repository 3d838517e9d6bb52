#!/bin/sh
# bench/embed.sh — embed throughput (sentences/s, 2 threads, batch 64) of
# gcse against the same random model in PyTorch, in the same run. Not a
# test. Needs ../shared/data (BERT vocabulary, STS-B dev), jq,
# /usr/bin/python3 with torch (scripts/install-deps --torch), GNU time.
#
#   [CLEAR_CORETYPE=1] [BUILD=build] [ORT_DIR=/work/ort] sh bench/embed.sh [N_FIXED] [N_BASE]
#   (defaults 2048 and 256)
#
# Rows: shape (small: 6 layers x 384, 12 heads, FFN 1536; base: 12 x 768),
# input (fixed: every sentence exactly 32 tokens; stsb: the 3,000 STS-B dev
# sentences, variable length), sentences/s of `embed` end to end (reading
# JSON, tokenising, forward, writing JSON) and of PyTorch's forward passes
# alone (on the same token ids, sorted by length, batches padded to their
# longest), their ratio, and the peak RSS of both.
#
# Also (issue 14): ort/s, ONNX Runtime's forward passes alone on the same
# model (exported by embed_torch.py export-onnx; small shape) and ids, with
# onnxruntime-node from ORT_DIR (default /work/ort; not a dependency: install
# it outside the project with `npm install --ignore-scripts --prefix DIR
# onnxruntime-node`; the column says "-" when it is absent); floor/s, the
# GEMM floor of tests/tools/bench_forward (the full forward's four products
# alone, batch 64 x 32 tokens, same model shape) and embed's share of it
# (fixed input). The GEMM backend of $BUILD heads the output;
# CLEAR_CORETYPE=1 clears OPENBLAS_CORETYPE for this command.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHARED=${GCSE_SHARED:-../shared/data}
NFIX=${1:-2048}
NBASE=${2:-256}
PY=/usr/bin/python3
ORT_DIR=${ORT_DIR:-/work/ort}
# the backend $BUILD was built with (its stamp), so that make does not switch
# it to BLAS=auto's choice; BLAS= in the environment overrides
if [ -z "${BLAS-}" ]; then
	for s in "$BUILD"/gemm-*.stamp; do if [ -f "$s" ]; then BLAS=${s##*/gemm-}; BLAS=${BLAS%.stamp}; fi; done
fi
export BLAS=${BLAS:-auto}
make -s "$BUILD/bin/embed" "$BUILD/tests/tools/tokids" "$BUILD/tests/tools/bench_forward"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=2 GOMP_SPINCOUNT=0
[ "${CLEAR_CORETYPE-}" = 1 ] && unset OPENBLAS_CORETYPE
echo "# $("$BUILD/bin/embed" --version | sed -n 2p); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-unset}"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); uptime: $(uptime | sed 's/.*load/load/')"
ORT=1
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ] || ! command -v node > /dev/null; then
	ORT=0
	echo "# ONNX Runtime: skipped (no $ORT_DIR/node_modules/onnxruntime-node or no node; see the header)"
fi
jq -c '{text: .sentence1}, {text: .sentence2}' "$SHARED/sts/stsb-dev.ndjson" > "$W/stsb.ndjson"
$PY bench/embed_torch.py make-fixed --vocab "$SHARED/vocab/bert-base-uncased.txt" --n "$NFIX" --tokens 32 > "$W/fixed.ndjson"
head -n "$NBASE" "$W/fixed.ndjson" > "$W/fixed-base.ndjson"
printf '%-6s %-6s %6s %10s %10s %7s %9s %9s %12s %8s %8s %8s %6s\n' shape input n gcse/s torch/s ratio gcse_MiB \
	torch_MiB max_abs_diff ort/s vs_ort floor/s share
for shape in small base; do
	$PY bench/embed_torch.py make-model --shape $shape --vocab "$SHARED/vocab/bert-base-uncased.txt" --out "$W/$shape"
	[ $ORT = 1 ] && [ $shape = small ] && $PY bench/embed_torch.py export-onnx --model "$W/$shape" --out "$W/$shape.onnx"
	"$BUILD/tests/tools/bench_forward" -s $shape -b 64 -t 32 -j 2 -n 3 > "$W/floor"
	floor=$(sed -n 's/^GEMM floor: *\([0-9.]*\).*/\1/p' "$W/floor")
	for input in fixed stsb; do
		in=$W/$input.ndjson
		[ $shape = base ] && [ $input = fixed ] && in=$W/fixed-base.ndjson
		n=$(wc -l < "$in")
		"$BUILD/tests/tools/tokids" "$W/$shape" 512 < "$in" > "$W/ids"
		best=
		for rep in 1 2; do
			if ! /usr/bin/time -f '%e %M' -o "$W/t" "$BUILD/bin/embed" -q -m "$W/$shape" --threads 2 --batch-size 64 < "$in" > "$W/out"; then
				echo "embed.sh: embed failed on $shape/$input: $(cat "$W/t")" >&2
				exit 1
			fi
			t=$(cut -d' ' -f1 "$W/t"); rss=$(cut -d' ' -f2 "$W/t")
			if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; grss=$rss; fi
		done
		head -n 64 "$W/out" > "$W/check"
		if ! /usr/bin/time -f '%M' -o "$W/tt" $PY bench/embed_torch.py run --model "$W/$shape" --ids "$W/ids" --batch 64 --threads 2 --check "$W/check" > "$W/torch.json"; then
			echo "embed.sh: PyTorch failed on $shape/$input: $(cat "$W/tt")" >&2
			exit 1
		fi
		tps=$(jq .per_s "$W/torch.json"); diff=$(jq .max_abs_diff_vs_gcse "$W/torch.json")
		gps=$(echo "scale=1; $n / $best" | bc)
		ops=- vso=-
		if [ $ORT = 1 ] && [ $shape = small ]; then
			if ! ORT_DIR=$ORT_DIR node bench/embed_ort.js "$W/$shape.onnx" "$W/ids" 64 2 "$W/check" > "$W/ort.json"; then
				echo "embed.sh: ONNX Runtime failed on $shape/$input" >&2
				exit 1
			fi
			ops=$(jq .per_s "$W/ort.json"); vso=$(echo "scale=2; $gps / $ops" | bc)
			diff="$diff/$(jq .max_abs_diff_vs_gcse "$W/ort.json")"
		fi
		share=-
		[ $input = fixed ] && share=$(echo "scale=2; $gps / $floor" | bc)
		printf '%-6s %-6s %6d %10s %10s %7s %9d %9d %12s %8s %8s %8s %6s\n' $shape $input "$n" "$gps" "$tps" \
			"$(echo "scale=2; $gps / $tps" | bc)" $((grss / 1024)) $(($(cat "$W/tt") / 1024)) "$diff" "$ops" "$vso" \
			"$floor" "$share"
	done
done
