#!/bin/sh
# bench/kg_long.sh — kgextract and kgsynth on one record whose text is SIZE
# megabytes long (issue 15, D10: both were quadratic in the length of a
# line). The text is the 12 sentences of tests/data/kg/sentences.ndjson,
# repeated in order, so every run sees the same input.
#   sh bench/kg_long.sh [BIN_DIR [SIZE_MB ...]]     (default: build/bin, 1 2 4)
# Prints one line per program and size: wall seconds, user seconds, peak RSS.
# WordNet: the system's (/usr/share/wordnet), as the programs' default.
cd "$(dirname "$0")/.." || exit 2
BIN=${1:-build/bin}
[ $# -gt 0 ] && shift
SIZES=${*:-1 2 4}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
jq -r .text tests/data/kg/sentences.ndjson | tr '\n' ' ' >"$tmp/unit"
for mb in $SIZES; do
	bytes=$(awk -v m="$mb" 'BEGIN { printf "%d", m * 1000000 }')
	unit=$(wc -c <"$tmp/unit")
	reps=$((bytes / unit + 1))
	awk -v r="$reps" '{ for (i = 0; i < r; i++) printf "%s", $0 }' "$tmp/unit" |
		head -c "$bytes" | jq -Rsc '{text: .}' >"$tmp/in.ndjson"
	for p in kgextract kgsynth; do
		in=$tmp/in.ndjson
		[ $p = kgsynth ] && in=$tmp/ann.ndjson
		out=/dev/null
		[ $p = kgextract ] && out=$tmp/ann.ndjson
		/usr/bin/time -f "$p ${mb} MB: %e s wall, %U s user, %S s sys, %M KB" -o "$tmp/time" \
			"$BIN/$p" -q "$in" >"$out" || echo "$p ${mb} MB: failed"
		cat "$tmp/time"
	done
done
