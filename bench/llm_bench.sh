#!/bin/sh
# bench/llm_bench.sh — throughput and memory of the LLM client (lib/llm/llm.h)
# through tests/tools/llmdrive against tests/tools/fakellm.py on 127.0.0.1.
#
#   1. the server answers every request after a fixed delay (default 50 ms):
#      records/s at --jobs 1, 4 and 16 (ideal: jobs / delay);
#   2. peak RSS (/usr/bin/time -v) over 1k and over 100k records with no
#      delay at --jobs 16: the queue's window keeps memory flat.
#
#   BUILD=build sh bench/llm_bench.sh [delay_ms] [big_n]
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
D=$BUILD/tests/tools/llmdrive
PY=${PYTHON:-python3}
DELAY=${1:-50}
BIG=${2:-100000}
[ -x "$D" ] || { echo "llm_bench: no $D; run: make BUILD=$BUILD $D" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "llm_bench: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
export GCSE_PROMPTS=$(pwd)/prompts
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy GCSE_LLM_API_KEY OPENAI_API_KEY
T=$(mktemp -d) || exit 2
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

start_fake() {   # options...
	rm -f "$T/port"
	"$PY" tests/tools/fakellm.py --idle 60 --max-life 1800 --log-limit 0 --port-file "$T/port" "$@" >/dev/null &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	URL=http://127.0.0.1:$(cat "$T/port")
}
gen() {   # n
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"id\":%d,\"text\":\"Sentence number %d: a man is playing a guitar on a stage.\"}\n", i, i }'
}
now() { date +%s.%N; }

echo "# server delay ${DELAY} ms; $(nproc) cores; $(uname -sr)"
start_fake --delay "$DELAY"
echo "jobs  records  seconds  records/s  ideal/s"
for j in 1 4 16; do
	n=$((j * 100))
	gen "$n" >"$T/in"
	t0=$(now)
	"$D" -q --llm "$URL" --jobs "$j" "$T/in" >"$T/out" || exit 1
	t1=$(now)
	[ "$(wc -l <"$T/out")" -eq "$n" ] || { echo "llm_bench: records lost" >&2; exit 1; }
	awk -v j="$j" -v n="$n" -v a="$t0" -v b="$t1" -v d="$DELAY" \
		'BEGIN { s = b - a; printf "%4d  %7d  %7.2f  %9.1f  %7.1f\n", j, n, s, n / s, j * 1000 / d }'
done

echo
echo "# peak RSS, no server delay, --jobs 16"
start_fake
echo "records  seconds  records/s  peak_RSS_KiB"
for n in 1000 "$BIG"; do
	gen "$n" >"$T/in"
	/usr/bin/time -v "$D" -q --llm "$URL" --jobs 16 "$T/in" 2>"$T/time" >"$T/out" || { cat "$T/time" >&2; exit 1; }
	[ "$(wc -l <"$T/out")" -eq "$n" ] || { echo "llm_bench: records lost" >&2; exit 1; }
	awk -v n="$n" '/Elapsed \(wall clock\)/ { split($NF, p, ":"); s = (length(p) == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
		/Maximum resident set size/ { r = $NF }
		END { printf "%7d  %7.2f  %9.1f  %12d\n", n, s, n / s, r }' "$T/time"
done
