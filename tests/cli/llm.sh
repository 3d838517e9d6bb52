# tests/cli/llm.sh — the LLM client (lib/llm/llm.h) through its test driver
# tests/tools/llmdrive, against the fake server tests/tools/fakellm.py on
# 127.0.0.1: order at --jobs 8, no record lost, bounded retries, Retry-After,
# fault recovery, answer extraction, re-asks, fallback and report, the cache
# (a second run sends nothing), the key never shown, clear errors when the
# server is down or refuses.
. tests/cli/lib.sh
ROOT=${GCSE_ROOT:-$(pwd)}
D=${GCSE_BUILD:-$ROOT/build}/tests/tools/llmdrive
PY=${PYTHON:-python3}
FAKE_LIFE=300
. tests/cli/llm-server.inc
if [ ! -x "$D" ]; then t_skip llm "no $D (make the tests/tools targets)"; exit 0; fi
fake_usable llm
export GCSE_LLM_API_KEY=sekrit-123

# nreq FILE SUBSTRING: requests whose sentence contains SUBSTRING
nreq() { jq --arg s "$2" '[.log[] | select(.sentence | contains($s))] | length' "$1"; }
# every output of this script goes through here, to look for the key at the end
run() { "$D" "$@" 2>>"$T/all.err"; }

start_first_fake llm

# ---- options
t_case "help lists the LLM options" 0 - - "$D --help | grep -q -- '--invalid-retries N' && $D --help | grep -q GCSE_LLM_API_KEY"
t_case "jobs out of range" 2 empty '--jobs: 0 is out of range' "$D --llm $URL --jobs 0 </dev/null"
t_case "bad --on-invalid" 2 empty "--on-invalid: 'maybe'" "$D --llm $URL --on-invalid maybe </dev/null"
t_case "not an http URL" 2 empty "is not an http:// or https:// URL" "$D --llm ftp://x </dev/null"
t_case "LLM option without --llm" 2 empty '--cache needs --llm URL' "$D --cache $T/c0 </dev/null"
t_case "missing prompt file named" 1 empty "prompts/nope.txt: No such file" "$D --llm $URL --prompt nope </dev/null"
t_case "--prompts not a folder" 1 empty "--prompts $T/none: not a directory" "$D --llm $URL --prompts $T/none </dev/null"
t_case "prompt placeholder without a value" 1 empty "unknown placeholder \\{\\{old\\}\\}" \
	"$D --llm $URL --prompt kgsynth-swap </dev/null"

# ---- order and completeness at --jobs 8: every 7th answer is slow, so
# answers arrive out of order; 300 records > the 64-request window
i=1
while [ $i -le 300 ]; do
	if [ $((i % 7)) -eq 0 ]; then echo "{\"id\":$i,\"text\":\"sentence $i [fake:slow delay=0.15]\"}"
	else echo "{\"id\":$i,\"text\":\"sentence $i\"}"; fi
	i=$((i + 1))
done >"$T/order.in"
run --llm "$URL" --jobs 8 "$T/order.in" >"$T/order.out"
t_ok "jobs 8: every record out, in input order" \
	"jq -r .id $T/order.out | awk '{ if (\$1 != NR) exit 1 } END { if (NR != 300) exit 1 }'"
t_ok "jobs 8: each answer belongs to its record" \
	"jq -e 'select(.candidates[0].answer.text != \"Rewritten: \" + .text or .candidates[0].source != \"llm\")' $T/order.out >/dev/null; [ \$? -eq 4 ]"
stats >"$T/s1"
t_ok "jobs 8: one request per record" "[ \$(jq .requests $T/s1) -eq 300 ]"

# ---- several requests per record stay grouped and ordered
printf '{"text":"g1"}\n{"text":"g2 [fake:slow delay=0.2]"}\n{"text":"g3"}\n' >"$T/g.in"
t_ok "-n 3: three answers per record, in order" \
	"$D --llm $URL -n 3 --jobs 8 $T/g.in 2>/dev/null | jq -c '[.text, (.candidates | length)]' | tr -d '\n' | grep -qx '\\[\"g1\",3\\]\\[\"g2 \\[fake:slow delay=0.2\\]\",3\\]\\[\"g3\",3\\]'"

# ---- transient faults are retried and recovered
cat >"$T/faults.in" <<'IN'
{"text":"f500 [fake:500 times=2]"}
{"text":"f503 [fake:503 times=1 after=0]"}
{"text":"ftrunc [fake:truncated times=1]"}
{"text":"freset [fake:reset times=1]"}
{"text":"fmal [fake:malformed times=1]"}
{"text":"fslow [fake:slow times=1 delay=3]"}
{"text":"fok"}
IN
reset_fake
run --llm "$URL" --jobs 4 --timeout 0.5 --backoff 0.05 "$T/faults.in" >"$T/faults.out"
stats >"$T/s2"
t_ok "faults: all 7 records answered by the LLM" \
	"[ \$(jq -r '.candidates[0].source' $T/faults.out | grep -c '^llm\$') -eq 7 ]"
t_ok "faults: 500 twice, then answered: 3 requests" "[ $(nreq $T/s2 f500) -eq 3 ]"
t_ok "faults: slow answer timed out, then answered: 2 requests" "[ $(nreq $T/s2 fslow) -eq 2 ]"
t_ok "faults: malformed body retried: 2 requests" "[ $(nreq $T/s2 fmal) -eq 2 ]"
t_ok "faults: truncated body retried: 2 requests" "[ $(nreq $T/s2 ftrunc) -eq 2 ]"
t_ok "faults: timeout named in the retry note" "grep -q 'no answer within 0.5 s (--timeout)' $T/all.err"

# ---- retries are bounded; the record falls back, marked
reset_fake
printf '{"text":"always [fake:500]"}\n{"text":"fine"}\n' >"$T/b.in"
run --llm "$URL" --retries 3 --backoff 0.02 "$T/b.in" >"$T/b.out"
stats >"$T/s3"
t_ok "retries: 1 + 3 requests, no more" "[ $(nreq $T/s3 always) -eq 4 ]"
t_ok "retries: gave up, fell back to the rules, marked" \
	"[ \"\$(jq -r '.candidates[0].source' $T/b.out | tr '\n' ' ')\" = 'rules llm ' ] && grep -q 'gave up after 4 attempts' $T/all.err"

# ---- Retry-After is honoured (1 s)
reset_fake
echo '{"text":"busy [fake:429 times=1 after=1]"}' >"$T/r.in"
run --llm "$URL" --backoff 0.01 "$T/r.in" >"$T/r.out"
stats >"$T/s4"
t_ok "429: asked again only after Retry-After" \
	"jq -e '[.log[] | select(.sentence | contains(\"busy\")) | .t] | length == 2 and .[1] - .[0] >= 0.95' $T/s4 >/dev/null"
t_ok "429: then answered" "jq -e '.candidates[0].source == \"llm\"' $T/r.out >/dev/null"

# ---- the answer is untrusted: wrappers, re-asks, fallback (a server that
# ignores response_format: what the model writes reaches the client)
reset_fake --schema ignore
cat >"$T/a.in" <<'IN'
{"text":"a1 [fake:fence]"}
{"text":"a2 [fake:think]"}
{"text":"a3 [fake:prose]"}
{"text":"a4 [fake:wrongshape times=1]"}
{"text":"a5 [fake:wrongshape]"}
{"text":"a6 [fake:wrongtype]"}
{"text":"a7 [fake:nojson]"}
{"text":"a8 [fake:empty]"}
{"text":"a9 [fake:cut]"}
IN
run --llm "$URL" --jobs 3 --invalid-retries 1 "$T/a.in" >"$T/a.out"
stats >"$T/s5"
t_ok "answers: fence, think block, prose extracted" \
	"jq -r 'select(.candidates[0].source == \"llm\") | .candidates[0].answer.text' $T/a.out | head -3 | tr '\n' '|' | grep -qx 'Rewritten: a1 \\[fake:fence\\]|Rewritten: a2 \\[fake:think\\]|Rewritten: a3 \\[fake:prose\\]|'"
t_ok "answers: wrong shape once, re-asked, then valid" \
	"[ $(nreq $T/s5 a4) -eq 2 ] && jq -se 'map(select(.text | startswith(\"a4\")))[0].candidates[0].source == \"llm\"' $T/a.out >/dev/null"
t_ok "answers: the re-ask tells the model what was wrong" \
	"jq -e '[.log[] | select(.sentence | startswith(\"a4\")) | .messages] == [2, 4]' $T/s5 >/dev/null"
t_ok "answers: still invalid after 1 re-ask: 2 requests, fallback" \
	"[ $(nreq $T/s5 a5) -eq 2 ] && [ \$(jq -r 'select(.candidates[0].source == \"rules\") | .text' $T/a.out | wc -l) -eq 5 ]"
t_ok "answers: nothing lost" "[ \$(wc -l <$T/a.out) -eq 9 ]"
t_ok "answers: cut off answers named" "grep -q 'record 9: no valid answer after 2 requests: JSON object cut off' $T/all.err"
t_ok "answers: counted in the summary" \
	"grep -q 'llm: 9 queries: 4 answered by the server, 0 from the cache, 5 fell back to the rules (5 never valid, 0 failed at the server)' $T/all.err"

# ---- --on-invalid report: the record stays, without an answer, exit 1
printf '{"text":"r [fake:wrongshape]"}\n' >"$T/rep.in"
t_case "report: exit 1, the failure named" 1 - 'record 1: no valid answer.*; reported' \
	"$D --llm $URL --invalid-retries 0 --on-invalid report $T/rep.in >$T/rep.out"
t_ok "report: record kept, with llm_errors instead of an answer" \
	"jq -e '.candidates == [] and (.llm_errors[0] | contains(\"wrong shape\"))' $T/rep.out >/dev/null"

# ---- a 4xx is not retried and is shown once, with the server's message
reset_fake
printf '{"text":"x1 [fake:400]"}\n{"text":"ok1"}\n{"text":"x2 [fake:400]"}\n{"text":"ok2"}\n' >"$T/4.in"
"$D" --llm "$URL" --jobs 1 "$T/4.in" >"$T/4.out" 2>"$T/4.err"
cat "$T/4.err" >>"$T/all.err"
stats >"$T/s6"
t_ok "4xx: one request each, not retried" "[ $(nreq $T/s6 x1) -eq 1 ] && [ $(nreq $T/s6 x2) -eq 1 ]"
t_ok "4xx: shown once with the server's message" \
	"[ \$(grep -c 'HTTP 400: fake error 400 for this request' $T/4.err) -eq 1 ] && grep -q '2 failed at the server' $T/4.err"
t_ok "4xx: both records kept, falling back" "[ \"\$(jq -r '.candidates[0].source' $T/4.out | tr '\n' ' ')\" = 'rules llm rules llm ' ]"

# ---- the cache: a second run sends nothing; a partial run is resumed
reset_fake
head -50 "$T/order.in" | sed 's/ \[fake:slow delay=0.15\]//' >"$T/c.in"
head -20 "$T/c.in" >"$T/c20.in"
run --llm "$URL" --jobs 4 --cache "$T/cache" "$T/c20.in" >/dev/null
stats >"$T/s7a"
run --llm "$URL" --jobs 4 --cache "$T/cache" "$T/c.in" >"$T/c1.out"
stats >"$T/s7b"
run --llm "$URL" --jobs 4 --cache "$T/cache" "$T/c.in" >"$T/c2.out"
stats >"$T/s7c"
t_ok "cache: a run after a partial one asks only the rest (30)" \
	"[ \$(jq .requests $T/s7a) -eq 20 ] && [ \$(jq .requests $T/s7b) -eq 50 ]"
t_ok "cache: the second run sends zero requests" "[ \$(jq .requests $T/s7c) -eq 50 ]"
t_ok "cache: same answers, marked cached" \
	"jq -c '[.id, .candidates[0].answer]' $T/c1.out >$T/c1.a && jq -c '[.id, .candidates[0].answer]' $T/c2.out | cmp -s - $T/c1.a && [ \$(jq -r '.candidates[0].cached' $T/c2.out | grep -c true) -eq 50 ]"
t_ok "cache: 50 plain JSON files with request and answer" \
	"[ \$(find $T/cache -name '*.json' | wc -l) -eq 50 ] && find $T/cache -name '*.json' | head -1 | xargs jq -e '.request.messages[1].content and .answer.text and (.key | length == 64)' >/dev/null"
t_ok "cache: no temporary files left" "[ -z \"\$(find $T/cache -name '.*tmp*')\" ]"
t_ok "cache: a changed model is a different question" \
	"$D --llm $URL --llm-model other --cache $T/cache $T/c20.in >/dev/null 2>&1 && [ \$(\"$PY\" -c 'import urllib.request,json;print(json.load(urllib.request.urlopen(\"$URL/stats\"))[\"requests\"])') -eq 70 ]"
reset_fake
i=1; while [ $i -le 30 ]; do echo "{\"id\":$i,\"text\":\"dup $((i % 10)) [fake:slow delay=0.05]\"}"; i=$((i + 1)); done >"$T/dup.in"
run --llm "$URL" --jobs 8 --cache "$T/dupcache" "$T/dup.in" >"$T/dup.out"
stats >"$T/s7d"
t_ok "cache: the same request twice in flight is sent once" \
	"[ \$(jq .requests $T/s7d) -eq 10 ] && [ \$(jq -r '.candidates[0].source' $T/dup.out | grep -c llm) -eq 30 ] && jq -r .id $T/dup.out | awk '{ if (\$1 != NR) exit 1 } END { if (NR != 30) exit 1 }'"
echo garbage >"$(grep -l '"model": null' $(find "$T/cache" -name '*.json') | head -1)"
t_ok "cache: a damaged file is ignored, said, asked again" \
	"$D --llm $URL --cache $T/cache $T/c.in 2>&1 >/dev/null | grep -q 'ignoring .*not valid JSON; asking again'"

# ---- the key: sent to the server, never shown
start_fake --require-key sekrit-123
echo '{"text":"k1 [fake:echokey]"}' >"$T/k.in"
run --llm "$URL" "$T/k.in" >"$T/k.out"
stats >"$T/s8"
t_ok "key: sent as a Bearer token" "jq -e '.log[0].auth and .log[0].status == 400' $T/s8 >/dev/null"
t_ok "key: the server's echo of it is scrubbed" "grep -q 'Authorization: Bearer \\[key\\]' $T/all.err"
start_fake --require-key other-key
t_case "key: HTTP 401 is fatal, with a hint" 1 empty 'HTTP 401: invalid API key \(check GCSE_LLM_API_KEY\)' \
	"printf '{\"text\":\"a\"}\n{\"text\":\"b\"}\n' | $D --llm $URL"
cat "$T/.err" >>"$T/all.err"
t_ok "key: never in any output, log or cache file" \
	"! grep -rq sekrit-123 $T/*.out $T/all.err $T/cache"

# ---- wrong path or model: fatal at once, with the server's message
t_case "HTTP 404 is fatal" 1 empty 'HTTP 404: no endpoint /nope \(check --llm, --llm-path and --llm-model\)' \
	"echo '{\"text\":\"a\"}' | $D --llm $URL --llm-path /nope"

# ---- a server that fails everything: give up instead of grinding on
start_fake --status 500
i=1; while [ $i -le 40 ]; do echo "{\"text\":\"s$i\"}"; i=$((i + 1)); done >"$T/dead.in"
t_case "every request fails: gives up, bounded" 1 - 'giving up: 8 requests in a row failed; the last: HTTP 500' \
	"$D --llm $URL --jobs 2 --retries 1 --backoff 0.01 $T/dead.in"
stats >"$T/s9"
t_ok "every request fails: at most (8 + jobs) x 2 requests" "[ \$(jq .requests $T/s9) -le 20 ]"

# ---- structured output (issue 17): every request carries the answer's JSON
# Schema, max_tokens and the seed; a schema-honouring server answers each
# record at once; the fake refuses a request without a matching schema
start_fake --schema require
head -30 "$T/c.in" >"$T/s.in"
run --llm "$URL" --jobs 4 --seed 42 "$T/s.in" >"$T/s.out"
stats >"$T/s10"
t_ok "schema: one request per record, all from the LLM" \
	"[ \$(jq .requests $T/s10) -eq 30 ] && [ \$(jq .max_per_prompt $T/s10) -eq 1 ] && [ \$(jq -r '.candidates[0].source' $T/s.out | grep -c llm) -eq 30 ]"
t_ok "schema: response_format json_schema, max_tokens and seed in every request" \
	"jq -e '[.log[] | .rf == \"json_schema\" and .schema == \"text\" and .max_tokens == 128 and .seed == 42 and .status == 200] | all and length == 30' $T/s10 >/dev/null"
t_ok "schema: --max-tokens wins; seeds above 2^31 are cut to 31 bits" \
	"head -2 $T/s.in | $D --llm $URL --max-tokens 77 --seed 2147483653 >/dev/null 2>&1 && $STATS | jq -e '.log[-2:] | map(.max_tokens == 77 and .seed == 5) | all' >/dev/null"
reset_fake
head -1 "$T/s.in" | "$D" --llm "$URL" --structured json >/dev/null 2>&1
head -1 "$T/s.in" | "$D" --llm "$URL" --json-mode >/dev/null 2>&1
stats >"$T/s10b"
reset_fake
head -1 "$T/s.in" | "$D" --llm "$URL" --structured none >/dev/null 2>&1
t_ok "schema: --structured json (--json-mode) sends json_object, none sends nothing" \
	"jq -e '[.log[-2:][] | .rf] == [\"json_object\", \"json_object\"]' $T/s10b >/dev/null && $STATS | jq -e '.log[-1].rf == null and .log[-1].status == 200' >/dev/null"
t_case "schema: --structured takes schema, json or none" 2 empty "--structured: 'yaml' is not 'schema', 'json' or 'none'" \
	"$D --llm $URL --structured yaml </dev/null"
# the fake itself: a schema that accepts what the checker refuses is refused
cat >"$T/badschema.py" <<'PY'
import json, sys, urllib.request, urllib.error
body = {"messages": [{"role": "user", "content": "Sentence: \"a\""}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "text", "schema":
            {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}}}
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/v1/chat/completions",
                           json.dumps(body).encode(), {"Content-Type": "application/json"}), timeout=5)
except urllib.error.HTTPError as e:
    print(e.code, json.load(e)["error"]["message"])
PY
reset_fake
t_ok "schema: the fake refuses a schema that lets a blank text through" \
	"$PY $T/badschema.py $URL | grep -q '^400 fake: the json_schema does not match .*accepts {\"text\": \"\"}'"

# ---- a server that rejects response_format: one fallback, said once
reset_fake --schema reject
run --llm "$URL" --jobs 1 "$T/s.in" >"$T/fb.out"
stats >"$T/s11"
t_ok "fallback: said once on stderr" \
	"[ \$(grep -c 'the server rejected response_format (HTTP 400: .response_format. is not supported by this server); asking without it from now on' $T/all.err) -eq 1 ]"
t_ok "fallback: one rejected request, then every record answered without it" \
	"[ \$(jq .requests $T/s11) -eq 31 ] && jq -e '[.log[0].status, .log[0].rf, ([.log[1:][] | .rf == null and .status == 200] | all)] == [400, \"json_schema\", true]' $T/s11 >/dev/null && [ \$(jq -r '.candidates[0].source' $T/fb.out | grep -c llm) -eq 30 ]"
reset_fake --schema reject
run --llm "$URL" --jobs 8 "$T/s.in" >"$T/fb8.out"
stats >"$T/s11b"
t_ok "fallback: at --jobs 8, the requests in flight are asked again too" \
	"[ \$(jq '[.log[] | select(.status == 400)] | length' $T/s11b) -le 8 ] && [ \$(jq '[.log[] | select(.status == 200)] | length' $T/s11b) -eq 30 ] && jq -r .id $T/fb8.out | awk '{ if (\$1 != NR) exit 1 } END { if (NR != 30) exit 1 }'"

# ---- errors that would repeat are not retried (issue 17)
reset_fake
printf '%s\n' '{"text":"same [fake:500 same=1]"}' '{"text":"varies [fake:500 times=2]"}' '{"text":"nimpl [fake:501]"}' >"$T/rep5.in"
"$D" --llm "$URL" --jobs 1 --backoff 0.01 "$T/rep5.in" >"$T/rep5.out" 2>"$T/rep5.err"
cat "$T/rep5.err" >>"$T/all.err"
stats >"$T/s12"
t_ok "500 with the same body twice: 2 requests, not retried" \
	"[ $(nreq $T/s12 same) -eq 2 ] && grep -q 'record 1: HTTP 500: fake error 500 for this request (the same error twice: not retried)' $T/rep5.err"
t_ok "500 with another body each time: retried, then answered" "[ $(nreq $T/s12 varies) -eq 3 ] && jq -se '.[1].candidates[0].source == \"llm\"' $T/rep5.out >/dev/null"
t_ok "501: one request, not retried" "[ $(nreq $T/s12 nimpl) -eq 1 ] && grep -q '2 errors not retried (they would repeat)' $T/rep5.err"

# ---- the record's time budget (issue 17, issue 15 D11): nothing waits past it
reset_fake
echo '{"text":"later [fake:429 after=3600]"}' >"$T/ra.in"
t_case "Retry-After 3600 s: capped by --record-timeout, said, not waited" 0 - \
	'asks to wait 3600 s \(Retry-After\), more than the [0-9.]+ s left of the record.s time budget \(--record-timeout 3 s\): not retried' \
	"timeout 20 $D --llm $URL --record-timeout 3 $T/ra.in >$T/ra.out"
t_ok "Retry-After 3600 s: one request, the record falls back" \
	"$STATS | jq -e '.requests == 1' >/dev/null && jq -e '.candidates[0].source == \"rules\"' $T/ra.out >/dev/null"
printf '%s\n' '{"text":"crawl [fake:slow delay=8]"}' '{"text":"fine"}' >"$T/slow.in"
timeout 20 "$D" --llm "$URL" --timeout 60 --record-timeout 1.5 "$T/slow.in" >"$T/slow.out" 2>"$T/slow.err"
echo $? >"$T/slow.rc"
cat "$T/slow.err" >>"$T/all.err"
t_ok "a server slower than the budget: the record ends at --record-timeout, said" \
	"[ \$(cat $T/slow.rc) -eq 0 ] && grep -q 'record 1: no answer within the record.s time budget (--record-timeout 1.5 s)' $T/slow.err"
t_ok "a server slower than the budget: both records out, counted" \
	"[ \"\$(jq -r '.candidates[0].source' $T/slow.out | tr '\n' ' ')\" = 'rules llm ' ] && grep -q '1 record out of time (--record-timeout 1.5 s)' $T/slow.err"
printf '%s\n' '{"text":"three [fake:slow delay=1]"}' >"$T/slow3.in"
t_case "the budget is the record's: its requests share it" 0 - 'record 1: no answer within the record.s time budget' \
	"timeout 20 $D --llm $URL --jobs 1 -n 3 --timeout 60 --record-timeout 1.6 $T/slow3.in >$T/slow3.out"
t_ok "the budget is the record's: the first answer in time, the others not" \
	"jq -e '[.candidates[].source] | sort == [\"llm\", \"rules\", \"rules\"]' $T/slow3.out >/dev/null"

# ---- answers checked before they are trusted: the candidate checks, counted
# by reason (a schema-honouring server: these answers are all schema-valid)
reset_fake
cat >"$T/chk.in" <<'IN'
{"text":"A man plays a guitar on the stage. [fake:copy]"}
{"text":"A man plays a guitar on the stage. [fake:long]"}
{"text":"A man plays a guitar on the stage. [fake:garbage]"}
{"text":"A man plays a guitar on the stage. [fake:nul]"}
{"text":"A man plays a guitar on the stage. [fake:badutf8]"}
{"text":"A man plays a guitar on the stage."}
IN
"$D" --llm "$URL" --invalid-retries 0 "$T/chk.in" >"$T/chk.out" 2>"$T/chk.err"
cat "$T/chk.err" >>"$T/all.err"
t_ok "checks: copy, length, unrelated, NUL and bad UTF-8 refused, the rules stand in" \
	"[ \"\$(jq -r '.candidates[0].source' $T/chk.out | tr '\n' ' ')\" = 'rules rules rules rules rules llm ' ]"
t_ok "checks: each reason named" \
	"grep -q 'record 1: .*text: the same as the sentence' $T/chk.err && grep -q 'record 2: .*far longer than the sentence' $T/chk.err && grep -q 'record 3: .*unrelated to the sentence (0 of its 6 content words)' $T/chk.err && grep -q 'record 4: .*contains a NUL character' $T/chk.err && grep -q 'record 5: .*not valid UTF-8' $T/chk.err"
t_ok "checks: counted by reason in the summary" \
	"grep -q 'llm: invalid answers by reason: 1 copies of the sentence, 1 length far from the sentence.s, 1 unrelated to the sentence, 2 NUL or invalid UTF-8' $T/chk.err"

# ---- messages that say what happened (issue 15 D12)
reset_fake --schema ignore
cat >"$T/msg.in" <<'IN'
{"text":"m1 [fake:huge size=3000000]"}
{"text":"m2 [fake:cutprose]"}
{"text":"m3 [fake:cut]"}
IN
"$D" --llm "$URL" --invalid-retries 0 "$T/msg.in" >/dev/null 2>"$T/msg.err"
cat "$T/msg.err" >>"$T/all.err"
t_ok "D12: a complete answer over 1 MiB is named by its size, not 'cut off'" \
	"grep -q 'record 1: no valid answer after 1 request: the answer is 3000012 bytes, more than the 1 MiB an answer may have' $T/msg.err && ! grep 'record 1' $T/msg.err | grep -q 'cut off'"
t_ok "D12: prose at the token limit is 'no JSON object', not the token limit" \
	"grep -q 'record 2: no valid answer after 1 request: no JSON object in the answer, which begins \"Well, let me think' $T/msg.err && ! grep 'record 2' $T/msg.err | grep -q 'token limit'"
t_ok "D12: JSON cut at the token limit names the limit sent" \
	"grep -q 'record 3: no valid answer after 1 request: JSON object cut off at the token limit (max_tokens 128: see --max-tokens)' $T/msg.err"

# ---- failed records are cached too (issue 17): a rerun does not pay again
reset_fake --schema ignore
printf '%s\n' '{"text":"bad [fake:wrongshape]"}' '{"text":"rej [fake:400]"}' '{"text":"flaky [fake:500 times=1]"}' '{"text":"good"}' >"$T/fc.in"
run --llm "$URL" --invalid-retries 1 --retries 0 --cache "$T/fcache" "$T/fc.in" >"$T/fc1.out"
N1=$(stats | jq .requests)
"$D" --llm "$URL" --invalid-retries 1 --retries 0 --cache "$T/fcache" "$T/fc.in" >"$T/fc2.out" 2>"$T/fc2.err"
cat "$T/fc2.err" >>"$T/all.err"
stats >"$T/s13"
t_ok "failed cache: invalid and rejected kept, the transient failure asked again" \
	"[ $N1 -eq 5 ] && [ \$(jq .requests $T/s13) -eq 6 ] && [ $(nreq $T/s13 flaky) -eq 2 ] && [ \$(find $T/fcache -name '*.json' | xargs grep -l '\"failed\"' | wc -l) -eq 2 ]"
t_ok "failed cache: the same records out, the stored failures named" \
	"cmp -s $T/fc1.out $T/fc2.out || [ \"\$(jq -c '.candidates[0].source' $T/fc2.out | tr '\n' ' ')\" = '\"rules\" \"rules\" \"llm\" \"llm\" ' ] && grep -q 'record 1: (kept in --cache) no valid answer after 2 requests: wrong shape: text: missing (--retry-failed asks again)' $T/fc2.err && grep -q '2 of them failures kept in the cache, --retry-failed asks again' $T/fc2.err"
run --llm "$URL" --invalid-retries 1 --retries 0 --cache "$T/fcache" --retry-failed "$T/fc.in" >/dev/null
t_ok "failed cache: --retry-failed asks them again (the flaky one is answered now)" "[ \$($STATS | jq .requests) -eq 9 ]"
t_case "--retry-failed needs --cache" 2 empty '--retry-failed needs --cache DIR' "$D --llm $URL --retry-failed </dev/null"

# ---- a closed output is noticed before the next request (issue 15 D6)
reset_fake --delay 50
i=1; while [ $i -le 40 ]; do echo "{\"id\":$i,\"text\":\"head $i\"}"; i=$((i + 1)); done >"$T/head.in"
t_ok "D6: | head -1 stops the requests at once, exit 0, quietly" \
	"( $D --llm $URL --jobs 1 $T/head.in 2>$T/head.err; echo \$? >$T/head.rc ) | head -1 | grep -q '\"id\":1,' && [ \$(cat $T/head.rc) -eq 0 ] && [ ! -s $T/head.err ] && [ \$($STATS | jq .requests) -le 4 ]"

# ---- server down: connection refused, clear message, quick
FREE=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t_case "server down: clear error, exit 1, nothing written" 1 empty \
	"cannot connect to http://127.0.0.1:$FREE/v1/chat/completions: .*(refused|connect).* \\(3 attempts\\)" \
	"echo '{\"text\":\"a\"}' | timeout 20 $D --llm http://127.0.0.1:$FREE --retries 2 --backoff 0.01"

# ---- the extraction prompt and a shape validator
reset_fake
t_ok "kgextract prompt: answers of the extraction shape" \
	"echo '{\"text\":\"Two dogs ran 15 km in Paris.\"}' | $D --llm $URL --prompt kgextract --var 'types=person, animal, place' --shape kgextract 2>/dev/null | jq -e '.candidates[0].source == \"llm\" and .candidates[0].answer.quantities[0].value == 15' >/dev/null"
