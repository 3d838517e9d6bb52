#!/bin/sh
# bench/embed.sh — embed throughput (sentences/s, 2 threads, batch 64) of
# gcse against the same random model in PyTorch, in the same run. Not a
# test. Needs ../shared/data (BERT vocabulary, STS-B dev), jq,
# /usr/bin/python3 with torch (scripts/install-deps --torch), GNU time.
#
#   sh bench/embed.sh [N_FIXED] [N_BASE]        (defaults 2048 and 256)
#
# Rows: shape (small: 6 layers x 384, 12 heads, FFN 1536; base: 12 x 768),
# input (fixed: every sentence exactly 32 tokens; stsb: the 3,000 STS-B dev
# sentences, variable length), sentences/s of `embed` end to end (reading
# JSON, tokenising, forward, writing JSON) and of PyTorch's forward passes
# alone (on the same token ids, sorted by length, batches padded to their
# longest), their ratio, and the peak RSS of both.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHARED=${GCSE_SHARED:-../shared/data}
NFIX=${1:-2048}
NBASE=${2:-256}
PY=/usr/bin/python3
make -s "$BUILD/bin/embed" "$BUILD/tests/tools/tokids"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=2 GOMP_SPINCOUNT=0
jq -c '{text: .sentence1}, {text: .sentence2}' "$SHARED/sts/stsb-dev.ndjson" > "$W/stsb.ndjson"
$PY bench/embed_torch.py make-fixed --vocab "$SHARED/vocab/bert-base-uncased.txt" --n "$NFIX" --tokens 32 > "$W/fixed.ndjson"
head -n "$NBASE" "$W/fixed.ndjson" > "$W/fixed-base.ndjson"
printf '%-6s %-6s %6s %10s %10s %7s %9s %9s %12s\n' shape input n gcse/s torch/s ratio gcse_MiB torch_MiB max_abs_diff
for shape in small base; do
	$PY bench/embed_torch.py make-model --shape $shape --vocab "$SHARED/vocab/bert-base-uncased.txt" --out "$W/$shape"
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
		printf '%-6s %-6s %6d %10s %10s %7s %9d %9d %12s\n' $shape $input "$n" "$gps" "$tps" \
			"$(echo "scale=2; $gps / $tps" | bc)" $((grss / 1024)) $(($(cat "$W/tt") / 1024)) "$diff"
	done
done
