# tests/cli/kgllm.sh — kgextract --llm and kgsynth --llm against the fake
# chat server tests/tools/fakellm.py on 127.0.0.1 (no network): the record
# formats (golden), input order at --jobs 8, faults recovered, fallback to
# the rules marked, --on-invalid report, the cache (a second run sends
# nothing), the graph from LLM answers, the key never shown, a server that
# is down. Every run is bounded by timeout(1); the server exits when idle.
. tests/cli/lib.sh
ROOT=${GCSE_ROOT:-$(pwd)}
PY=${PYTHON:-python3}
FAKE_LIFE=300
. tests/cli/llm-server.inc
W="-w tests/data/wordnet"
IN=tests/data/kg/sentences.ndjson
fake_usable kgllm
export GCSE_LLM_API_KEY=kg-sekrit-77
TO="timeout 60"

# nreq: requests the current server has had; nreqs SUBSTRING: of those, whose sentence contains it
nreq() { stats | jq .requests; }
nreqs() { stats | jq --arg s "$1" '[.log[] | select(.sentence | contains($s))] | length'; }
# the same for use inside t_ok commands: \$($NREQ)
cat >"$T/nreq.py" <<'PY'
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(open(sys.argv[1]).read().strip() + "/stats", timeout=5))["requests"])
PY
NREQ="$PY $T/nreq.py $T/url"
# every stderr of the script goes to all.err, to look for the key at the end
E=$T/all.err

start_first_fake kgllm

# ---- options
for p in kgextract kgsynth; do
	t_case "$p-llm-help" 0 - - "$p --help | grep -q -- '--on-invalid WHAT' && $p --help | grep -q GCSE_LLM_API_KEY"
	t_case "$p-llm-option-needs-url" 2 empty '--jobs needs --llm URL' "$p $W --jobs 4 $IN"
	t_case "$p-llm-bad-url" 2 empty "is not an http:// or https:// URL" "$p $W --llm ftp://x $IN"
	t_case "$p-llm-bad-prompts" 1 empty "not a directory" "$p $W --llm $URL --prompts $T/none $IN"
done
mkdir "$T/badprompts" && cp prompts/*.txt "$T/badprompts" && echo 'Say {{nope}}.' >>"$T/badprompts/kgsynth-swap.txt"
t_case kgsynth-llm-prompt-typo 1 empty 'unknown placeholder \{\{nope\}\}' "kgsynth $W --llm $URL --prompts $T/badprompts $IN"

# ---- the record formats (the fake server answers deterministically)
t_case kgextract-llm-basic 0 kgllm-extract.out - "$TO kgextract $W --llm $URL -q $IN 2>>$E"
t_case kgsynth-llm-basic 0 kgllm-synth.out - "$TO kgsynth $W --llm $URL -q --seed 1 -n 2 $IN 2>>$E"
t_ok kgextract-llm-marked "[ \$(jq -r .kg_source tests/golden/kgllm-extract.out | sort -u) = llm ]"
# every span's offsets are bytes of the record's text that spell it
cat >"$T/offsets.py" <<'PY'
import json, sys
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = r["text"].encode()
    p = r["parts"]
    for s in r["entities"] + r["quantities"] + [p[k] for k in ("subject", "action", "state") if p[k]]:
        if b[s["start"]:s["end"]].decode() != s["text"]:
            print("bad span", s, file=sys.stderr)
            bad += 1
sys.exit(1 if bad else 0)
PY
t_ok kgextract-llm-offsets "$PY $T/offsets.py tests/golden/kgllm-extract.out"
t_ok kgextract-llm-unlocated-listed \
	"jq -se 'map(select(.kg_unlocated)) | length == 1 and .[0].kg_unlocated == [\"Zo s\"]' tests/golden/kgllm-extract.out >/dev/null"
t_ok kgsynth-llm-all-from-llm \
	"[ \$(jq -c '.candidates[] | select(.source == \"llm\" and (.prompt | startswith(\"kgsynth-\")))' tests/golden/kgllm-synth.out | wc -l) -eq 48 ]"
t_ok kgsynth-llm-requests-differ \
	"jq -e '[.candidates | map([.prompt, .style, .old, .new, .count]) | length == (unique | length)] | all' tests/golden/kgllm-synth.out >/dev/null"
t_ok kgsynth-llm-kinds-and-fields \
	"jq -e '[.candidates[] | (.kind | IN(\"rewrite\", \"related_swap\", \"contradiction\", \"entity_swap\", \"quantity\")) and
	  (if .kind == \"rewrite\" or .kind == \"contradiction\" then (.style | length > 0)
	   elif .kind == \"quantity\" then (.subject | length > 0) and (.count | type == \"number\")
	   else (.old | length > 0) and (.new | length > 0) end)] | all' tests/golden/kgllm-synth.out >/dev/null"
t_ok kgsynth-llm-seed-matters \
	"$TO kgsynth $W --llm $URL -q --seed 2 -n 2 $IN 2>>$E | $NUMCMP tests/golden/kgllm-synth.out - 2>/dev/null; [ \$? -eq 1 ]"

# ---- input order at --jobs 8: every 7th answer is slow, so answers arrive out of order
i=1
while [ $i -le 120 ]; do
	if [ $((i % 7)) -eq 0 ]; then echo "{\"text\":\"the dog $i ran [fake:slow delay=0.15]\"}"
	else echo "{\"text\":\"the dog $i ran\"}"; fi
	i=$((i + 1))
done >"$T/order.in"
$TO kgextract $W --llm "$URL" --jobs 8 -q "$T/order.in" >"$T/order-x.out" 2>>"$E"
t_ok kgextract-llm-order \
	"jq -r '[.id, (.text | split(\" \")[2]), .kg_source] | @tsv' $T/order-x.out | awk -F'\t' '{ if (\$1 != NR || \$2 != NR || \$3 != \"llm\") exit 1 } END { if (NR != 120) exit 1 }'"
$TO kgsynth $W --llm "$URL" --jobs 8 -q "$T/order.in" >"$T/order-s.out" 2>>"$E"
t_ok kgsynth-llm-order \
	"jq -r '[(.text | split(\" \")[2]), (.candidates | map(.text) | unique | length), .candidates[0].text == \"Rewritten: \" + .text] | @tsv' $T/order-s.out | awk -F'\t' '{ if (\$1 != NR || \$2 != 1 || \$3 != \"true\") exit 1 } END { if (NR != 120) exit 1 }'"

# ---- transient faults are retried and recovered
cat >"$T/faults.in" <<'IN'
{"text":"The dog f500 ran. [fake:500 times=2]"}
{"text":"The dog f503 ran. [fake:503 times=1 after=0]"}
{"text":"The dog ftrunc ran. [fake:truncated times=1]"}
{"text":"The dog freset ran. [fake:reset times=1]"}
{"text":"The dog fmal ran. [fake:malformed times=1]"}
{"text":"The dog fslow ran. [fake:slow times=1 delay=3]"}
{"text":"The dog fence ran. [fake:fence]"}
{"text":"The dog think ran. [fake:think]"}
{"text":"The dog ok ran."}
IN
reset_fake
$TO kgextract $W --llm "$URL" --jobs 4 --timeout 0.5 --backoff 0.02 "$T/faults.in" >"$T/faults-x.out" 2>"$T/faults-x.err"
cat "$T/faults-x.err" >>"$E"
t_ok kgextract-llm-faults-recovered \
	"[ \$(jq -r .kg_source $T/faults-x.out | grep -c '^llm\$') -eq 9 ] && [ $(nreqs f500) -eq 3 ] && [ $(nreqs fslow) -eq 2 ]"
t_ok kgextract-llm-summary "grep -q 'kgextract: 9 records from the LLM, 0 from the rules' $T/faults-x.err"
reset_fake
$TO kgsynth $W --llm "$URL" --jobs 4 --timeout 0.5 --backoff 0.02 "$T/faults.in" >"$T/faults-s.out" 2>"$T/faults-s.err"
cat "$T/faults-s.err" >>"$E"
t_ok kgsynth-llm-faults-recovered \
	"[ \$(jq -r '.candidates[].source' $T/faults-s.out | grep -c '^llm\$') -eq 18 ] && [ $(nreqs f500) -eq 6 ]"
t_ok kgsynth-llm-summary "grep -q 'kgsynth: 18 candidates from the LLM, 0 from the rules after the LLM failed' $T/faults-s.err"

# ---- an answer that stays invalid: the rules stand in, marked (a server
# that ignores response_format, so that the wrong shape reaches the client)
printf '%s\n' '{"text":"The dog wrong ran. [fake:wrongshape]"}' '{"text":"The man fails. [fake:500]"}' '{"text":"The dog fine ran."}' >"$T/fb.in"
reset_fake --schema ignore
$TO kgextract $W --llm "$URL" --invalid-retries 1 --retries 1 --backoff 0.02 "$T/fb.in" >"$T/fb-x.out" 2>"$T/fb-x.err"
cat "$T/fb-x.err" >>"$E"
kgextract $W "$T/fb.in" >"$T/fb-x.rules" 2>/dev/null
t_ok kgextract-llm-fallback-marked "[ \"\$(jq -r .kg_source $T/fb-x.out | tr '\n' ' ')\" = 'rules rules llm ' ]"
t_ok kgextract-llm-fallback-is-rules \
	"head -2 $T/fb-x.out | jq -c 'del(.kg_source)' >$T/fb1 && head -2 $T/fb-x.rules | jq -c . | cmp -s - $T/fb1"
t_ok kgextract-llm-fallback-counted \
	"grep -q '1 records from the LLM, 2 from the rules after the LLM failed' $T/fb-x.err && [ $(nreqs wrong) -eq 2 ] && [ $(nreqs fails) -eq 2 ]"
reset_fake --schema ignore
$TO kgsynth $W --llm "$URL" --invalid-retries 1 --retries 1 --backoff 0.02 --seed 4 "$T/fb.in" >"$T/fb-s.out" 2>"$T/fb-s.err"
cat "$T/fb-s.err" >>"$E"
kgsynth $W --seed 4 "$T/fb.in" >"$T/fb-s.rules" 2>/dev/null
t_ok kgsynth-llm-fallback-marked \
	"[ \"\$(jq -r '[.candidates[].source] | join(\",\")' $T/fb-s.out | tr '\n' ' ')\" = 'rules,rules rules,rules llm,llm ' ]"
t_ok kgsynth-llm-fallback-is-rules \
	"head -2 $T/fb-s.out | jq -c .candidates >$T/fb2 && head -2 $T/fb-s.rules | jq -c .candidates | cmp -s - $T/fb2"
t_ok kgsynth-llm-fallback-counted "grep -q '2 candidates from the LLM, 4 from the rules after the LLM failed' $T/fb-s.err"

# ---- --on-invalid report: the record stays, without the LLM's result; exit 1
printf '%s\n' '{"text":"The dog r ran. [fake:wrongshape]"}' '{"text":"The dog ran."}' >"$T/rep.in"
t_case kgextract-llm-report 1 - 'record 1: no valid answer.*reported' \
	"$TO kgextract $W --llm $URL --invalid-retries 0 --on-invalid report $T/rep.in >$T/rep-x.out"
cat "$T/.err" >>"$E"
t_ok kgextract-llm-report-record \
	"jq -se '.[0].kg_source == \"none\" and (.[0].llm_error | contains(\"wrong shape\")) and (.[0] | has(\"entities\") | not) and .[1].kg_source == \"llm\"' $T/rep-x.out >/dev/null"
t_case kgsynth-llm-report 1 - '2 candidates got no valid answer \(--on-invalid report\)' \
	"$TO kgsynth $W --llm $URL --invalid-retries 0 --on-invalid report $T/rep.in >$T/rep-s.out"
cat "$T/.err" >>"$E"
t_ok kgsynth-llm-report-record \
	"jq -se '.[0].candidates == [] and (.[0].llm_errors | length == 2) and (.[0].llm_errors[0] | startswith(\"positive 1 (\")) and (.[1].candidates | length == 2)' $T/rep-s.out >/dev/null"

# ---- blank texts ask nothing and keep their place
printf '%s\n' '{"text":"  "}' '{"text":"The cat sat."}' '{"text":""}' >"$T/blank.in"
reset_fake
t_ok kgextract-llm-blank \
	"$TO kgextract $W --llm $URL -q $T/blank.in 2>>$E | jq -r '[.id, .kg_source] | @tsv' | tr '\n\t' ' :' | grep -qx '1:rules 2:llm 3:rules ' && [ \$($NREQ) -eq 1 ]"
t_ok kgsynth-llm-blank \
	"$TO kgsynth $W --llm $URL -q $T/blank.in 2>>$E | jq -r '.candidates | length' | tr '\n' ' ' | grep -qx '0 2 0 ' && [ \$($NREQ) -eq 3 ]"

# ---- the graph from the LLM's answers (the fake types long words "thing")
reset_fake
t_ok kgextract-llm-graph \
	"$TO kgextract $W --llm $URL -q -g $T/g.ndjson $IN >/dev/null 2>>$E && jq -r 'select(.type == \"thing\") | .node' $T/g.ndjson | grep -qx dog && jq -r 'select(.role == \"subject\") | .node' $T/g.ndjson | grep -qx man"
t_ok kgsynth-llm-with-graph \
	"$TO kgsynth $W --llm $URL -q -g $T/g.ndjson --seed 1 -n 3 $IN 2>>$E | jq -se 'map(.candidates | length == 6) | all' >/dev/null"

# ---- the cache: a second run sends no request and writes the same bytes
reset_fake
$TO kgextract $W --llm "$URL" -q --cache "$T/cx" "$IN" >"$T/c1-x.out" 2>>"$E"
N1=$(nreq)
$TO kgextract $W --llm "$URL" --cache "$T/cx" "$IN" >"$T/c2-x.out" 2>"$T/c2-x.err"
cat "$T/c2-x.err" >>"$E"
t_ok kgextract-llm-cache-zero-requests "[ $N1 -eq 12 ] && [ \$($NREQ) -eq 12 ] && grep -q '12 from the cache' $T/c2-x.err"
t_ok kgextract-llm-cache-same-output "cmp $T/c1-x.out $T/c2-x.out"
reset_fake
$TO kgsynth $W --llm "$URL" -q --cache "$T/cs" -n 2 "$IN" >"$T/c1-s.out" 2>>"$E"
N1=$(nreq)
$TO kgsynth $W --llm "$URL" -q --cache "$T/cs" -n 2 "$IN" >"$T/c2-s.out" 2>>"$E"
t_ok kgsynth-llm-cache-zero-requests "[ $N1 -eq 48 ] && [ \$($NREQ) -eq 48 ]"
t_ok kgsynth-llm-cache-same-output "cmp $T/c1-s.out $T/c2-s.out"
t_ok kgsynth-llm-cache-files "[ \$(find $T/cs -name '*.json' | wc -l) -eq 48 ]"

# ---- the key: sent, never shown (not even when the server repeats it)
start_fake --require-key kg-sekrit-77
printf '%s\n' '{"text":"The dog k1 ran. [fake:echokey]"}' '{"text":"The dog ran."}' >"$T/k.in"
$TO kgextract $W --llm "$URL" --cache "$T/ck" "$T/k.in" >"$T/k-x.out" 2>>"$E"
$TO kgsynth $W --llm "$URL" --cache "$T/ck" "$T/k.in" >"$T/k-s.out" 2>>"$E"
t_ok kgllm-key-sent "[ \"\$(jq -r .kg_source $T/k-x.out | tr '\n' ' ')\" = 'rules llm ' ] && stats | jq -e '[.log[].auth] | all' >/dev/null"
t_ok kgllm-key-scrubbed "grep -q 'Authorization: Bearer \\[key\\]' $E"
start_fake --require-key other-key
t_case kgextract-llm-401 1 empty 'HTTP 401: invalid API key \(check GCSE_LLM_API_KEY\)' "$TO kgextract $W --llm $URL $IN"
cat "$T/.err" >>"$E"
t_case kgsynth-llm-401 1 empty 'HTTP 401: invalid API key' "$TO kgsynth $W --llm $URL $IN"
cat "$T/.err" >>"$E"
t_ok kgllm-key-never-printed "! grep -rq kg-sekrit-77 $T/*.out $E $T/cx $T/cs $T/ck"

# ---- structured output (issue 17): against a server that requires the
# schema, one request per record (kgextract) and per candidate (kgsynth),
# each with the format's schema, its max_tokens and the seed
start_fake --schema require
$TO kgextract $W --llm "$URL" -q --seed 9 "$IN" >"$T/sx.out" 2>>"$E"
stats >"$T/sx.stats"
t_ok kgextract-llm-schema-one-request-per-record \
	"[ \$(jq .requests $T/sx.stats) -eq 12 ] && [ \$(jq .max_per_prompt $T/sx.stats) -eq 1 ] && [ \$(jq -r .kg_source $T/sx.out | grep -c llm) -eq 12 ]"
t_ok kgextract-llm-schema-in-every-request \
	"jq -e '[.log[] | .rf == \"json_schema\" and .schema == \"kgextract\" and .seed == 9 and .max_tokens == 512 + (.sentence | utf8bytelength)] | all' $T/sx.stats >/dev/null"
t_ok kgextract-llm-schema-same-records "$NUMCMP tests/golden/kgllm-extract.out $T/sx.out"
reset_fake --schema require
$TO kgsynth $W --llm "$URL" -q --seed 3 -n 2 "$IN" >"$T/ss.out" 2>>"$E"
stats >"$T/ss.stats"
t_ok kgsynth-llm-schema-one-request-per-candidate \
	"[ \$(jq .requests $T/ss.stats) -eq 48 ] && [ \$(jq .prompts $T/ss.stats) -eq 48 ] && [ \$(jq '[.candidates[] | select(.source == \"llm\")] | length' $T/ss.out | paste -sd+ | bc) -eq 48 ]"
t_ok kgsynth-llm-schema-in-every-request \
	"jq -e '[.log[] | .rf == \"json_schema\" and .schema == \"text\" and .seed == 3 and .max_tokens == 128 + ((.sentence | utf8bytelength) / 2 | floor)] | all' $T/ss.stats >/dev/null"

# ---- a server that rejects response_format: one fallback, said once
reset_fake --schema reject
$TO kgextract $W --llm "$URL" --jobs 1 -q "$IN" >"$T/rj.out" 2>"$T/rj.err"
cat "$T/rj.err" >>"$E"
t_ok kgextract-llm-schema-fallback \
	"[ \$(grep -c 'kgextract: llm: the server rejected response_format' $T/rj.err) -eq 1 ] && $NUMCMP tests/golden/kgllm-extract.out $T/rj.out && [ \$($NREQ) -eq 13 ]"

# ---- answers checked before they are trusted (issue 17): a schema-valid
# extraction whose spans are not in the sentence, an absurd count, a
# candidate unrelated to its sentence or a copy of it: re-asked, then rules
printf '%s\n' '{"text":"The dog garbage ran. [fake:garbage]"}' '{"text":"The dog ran home."}' >"$T/gb.in"
reset_fake
$TO kgextract $W --llm "$URL" --invalid-retries 1 "$T/gb.in" >"$T/gb-x.out" 2>"$T/gb-x.err"
cat "$T/gb-x.err" >>"$E"
t_ok kgextract-llm-garbage-refused \
	"[ \"\$(jq -r .kg_source $T/gb-x.out | tr '\n' ' ')\" = 'rules llm ' ] && [ $(nreqs garbage) -eq 2 ] && grep -q 'record 1: no valid answer after 2 requests: 6 of its 6 spans are not in the sentence (the first: \"zorblat quux\")' $T/gb-x.err && grep -q 'invalid answers by reason: 2 spans not in the sentence' $T/gb-x.err"
printf '%s\n' '{"text":"The dog counts ran. [fake:hugecount]"}' '{"text":"The dog ran home."}' >"$T/hc.in"
reset_fake --schema ignore
$TO kgextract $W --llm "$URL" --invalid-retries 0 "$T/hc.in" >"$T/hc-x.out" 2>"$T/hc-x.err"
cat "$T/hc-x.err" >>"$E"
t_ok kgextract-llm-absurd-count-refused \
	"[ \"\$(jq -r .kg_source $T/hc-x.out | tr '\n' ' ')\" = 'rules llm ' ] && grep -q 'parts.subject.count: expected count, got number' $T/hc-x.err"
printf '%s\n' '{"text":"The brown dog happily chased the red ball across the garden. [fake:garbage]"}' '{"text":"The dog ran home. [fake:copy]"}' >"$T/gs.in"
reset_fake
$TO kgsynth $W --llm "$URL" --invalid-retries 0 --seed 1 "$T/gs.in" >"$T/gs.out" 2>"$T/gs.err"
cat "$T/gs.err" >>"$E"
t_ok kgsynth-llm-checks-refuse \
	"[ \"\$(jq -r '[.candidates[].source] | join(\",\")' $T/gs.out | tr '\n' ' ')\" = 'rules,rules rules,rules ' ] && grep -q 'invalid answers by reason: 2 copies of the sentence, 2 unrelated to the sentence' $T/gs.err"

# ---- failed records are cached too (issue 17)
reset_fake
$TO kgextract $W --llm "$URL" --invalid-retries 1 --cache "$T/cf" "$T/gb.in" >"$T/cf1.out" 2>>"$E"
N1=$(nreq)
$TO kgextract $W --llm "$URL" --invalid-retries 1 --cache "$T/cf" "$T/gb.in" >"$T/cf2.out" 2>"$T/cf2.err"
cat "$T/cf2.err" >>"$E"
t_ok kgextract-llm-failure-cached \
	"[ $N1 -eq 3 ] && [ \$($NREQ) -eq 3 ] && cmp $T/cf1.out $T/cf2.out && grep -q 'record 1: (kept in --cache) no valid answer after 2 requests' $T/cf2.err"
$TO kgextract $W --llm "$URL" --invalid-retries 1 --cache "$T/cf" --retry-failed "$T/gb.in" >/dev/null 2>>"$E"
t_ok kgextract-llm-retry-failed "[ \$($NREQ) -eq 5 ]"

# ---- a closed output is noticed before the next request (issue 15 D6)
i=1; while [ $i -le 30 ]; do echo "{\"text\":\"The dog $i ran.\"}"; i=$((i + 1)); done >"$T/head.in"
for p in kgextract kgsynth; do
	reset_fake --delay 50
	t_ok "$p-llm-head-stops-requests" \
		"( $TO $p $W --llm $URL --jobs 1 $T/head.in 2>$T/head-$p.err; echo \$? >$T/head-$p.rc ) | head -1 | grep -q 'The dog 1 ran' && [ \$(cat $T/head-$p.rc) -eq 0 ] && [ ! -s $T/head-$p.err ] && [ \$($NREQ) -le 5 ]"
done

# ---- a server that is down: a clear error, exit 1, quickly
FREE=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for p in kgextract kgsynth; do
	t_case "$p-llm-server-down" 1 empty \
		"$p: cannot connect to http://127.0.0.1:$FREE/v1/chat/completions: .*\\(3 attempts\\)" \
		"echo '{\"text\":\"The dog ran.\"}' | timeout 20 $p $W --llm http://127.0.0.1:$FREE --retries 2 --backoff 0.01"
done
