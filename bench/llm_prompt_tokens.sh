#!/bin/sh
# bench/llm_prompt_tokens.sh — the size in tokens of the requests kgextract
# --llm and kgsynth --llm send, to size a server's context per slot (it must
# hold the prompt and the answer: prompt tokens + max_tokens).
#
#   BUILD=build sh bench/llm_prompt_tokens.sh [records.ndjson] [N]
#   LLM_URL=http://127.0.0.1:8080 [LLM_MODEL=name] BUILD=build sh bench/llm_prompt_tokens.sh ...
#
# 1. kgextract --llm and kgsynth --llm -n 1 run over the first N records
#    (default 30) of the file (default: STS-B dev's sentence1 from
#    ../shared/data, else tests/data/kg/sentences.ndjson) against
#    tests/tools/fakellm.py --record, which keeps every request body;
# 2. each request's messages (system + user) are counted with BERT's
#    WordPiece (tests/tools/tokids with ../shared/data/vocab/
#    bert-base-uncased.txt, [CLS] and [SEP] not counted): an estimate, since
#    chat models have other tokenizers (BPE vocabularies of 32k-150k) and
#    chat templates add a few tokens per message;
# 3. with LLM_URL set, every recorded request is also sent to that server
#    (max_tokens 1) and its usage.prompt_tokens read: the exact count for
#    that model and chat template (response_format included as sent).
# Prints, per prompt file: requests, tokens min / median / max, and the
# max_tokens sent with them.
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
PY=${PYTHON:-python3}
SHARED=${GCSE_SHARED:-../shared/data}
N=${2:-30}
VOCAB=$SHARED/vocab/bert-base-uncased.txt
for b in kgextract kgsynth; do
	[ -x "$BUILD/bin/$b" ] || { echo "llm_prompt_tokens: no $BUILD/bin/$b; run make" >&2; exit 2; }
done
[ -x "$BUILD/tests/tools/tokids" ] || { echo "llm_prompt_tokens: no $BUILD/tests/tools/tokids; run make $BUILD/tests/tools/tokids" >&2; exit 2; }
[ -f "$VOCAB" ] || { echo "llm_prompt_tokens: no $VOCAB" >&2; exit 2; }
export GCSE_PROMPTS=$(pwd)/prompts
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
T=$(mktemp -d) || exit 2
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
if [ -n "$1" ]; then
	head -n "$N" "$1" >"$T/in.ndjson"
elif [ -f "$SHARED/sts/stsb-dev.ndjson" ]; then
	jq -c '{text: .sentence1}' "$SHARED/sts/stsb-dev.ndjson" | head -n "$N" >"$T/in.ndjson"
else
	grep -v '^$' tests/data/kg/sentences.ndjson | head -n "$N" >"$T/in.ndjson"
fi
"$PY" tests/tools/fakellm.py --idle 60 --port-file "$T/port" --record "$T/requests.ndjson" >/dev/null 2>&1 &
PID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
URL=http://127.0.0.1:$(cat "$T/port")
WN=
[ -d /usr/share/wordnet ] || WN="-w tests/data/wordnet"
"$BUILD/bin/kgextract" $WN -q --llm "$URL" "$T/in.ndjson" >/dev/null || exit 1
"$BUILD/bin/kgsynth" $WN -q --llm "$URL" --seed 1 "$T/in.ndjson" >/dev/null || exit 1
mkdir "$T/vocab" && ln -s "$(cd "$(dirname "$VOCAB")" && pwd)/$(basename "$VOCAB")" "$T/vocab/vocab.txt"
# the messages of each request as one text, and which prompt file it is
"$PY" - "$T/requests.ndjson" prompts >"$T/texts.ndjson" <<'PY'
import glob, json, os, sys
systems = {}
for f in glob.glob(os.path.join(sys.argv[2], "*.txt")):
    t = open(f, encoding="utf-8").read()
    if "[system]" in t:
        s = t.split("[system]", 1)[1].split("[user]", 1)[0].strip()
        systems[" ".join(s.split())] = os.path.basename(f)[:-4]
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    sysm = next((m["content"] for m in r["messages"] if m["role"] == "system"), "")
    name = systems.get(" ".join(sysm.split()), "?")
    if name.startswith("kgsynth"):   # the rewrite/contradict/... prompts share no system text
        user = next(m["content"] for m in r["messages"] if m["role"] == "user")
        for f in sorted(glob.glob(os.path.join(sys.argv[2], "kgsynth-*.txt"))):
            u = open(f, encoding="utf-8").read().split("[user]", 1)[1]
            tail = [l for l in u.strip().splitlines() if l.strip() and "{{" not in l][:1]
            if tail and tail[0].strip() in user:
                name = os.path.basename(f)[:-4]
                break
    text = "\n".join(m["content"] for m in r["messages"])
    print(json.dumps({"text": text, "prompt": name, "max_tokens": r.get("max_tokens")}))
PY
"$BUILD/tests/tools/tokids" "$T/vocab" 100000 <"$T/texts.ndjson" >"$T/ids.ndjson" || exit 1
if [ -n "${LLM_URL:-}" ]; then
	"$PY" - "$T/requests.ndjson" "$LLM_URL" "${LLM_MODEL:-}" >"$T/usage.txt" <<'PY' || exit 1
import json, os, sys, urllib.request
url = sys.argv[2].rstrip("/")
if not url.endswith("/chat/completions"):
    url += "/chat/completions" if url.endswith("/v1") else "/v1/chat/completions"
key = os.environ.get("GCSE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    r["max_tokens"] = 1
    if sys.argv[3]:
        r["model"] = sys.argv[3]
    h = {"Content-Type": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + key
    resp = json.load(urllib.request.urlopen(urllib.request.Request(url, json.dumps(r).encode(), h), timeout=600))
    print(resp["usage"]["prompt_tokens"])
PY
fi
"$PY" - "$T/texts.ndjson" "$T/ids.ndjson" "$T/usage.txt" <<'PY'
import json, os, sys
texts = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ids = [len(json.loads(l)["ids"]) - 2 for l in open(sys.argv[2])]
usage = [int(l) for l in open(sys.argv[3])] if os.path.exists(sys.argv[3]) else []
def row(name, xs):
    xs = sorted(xs)
    return "%-20s %5d %7d %7d %7d" % (name, len(xs), xs[0], xs[len(xs) // 2], xs[-1])
for label, counts in (("BERT WordPiece (estimate)", ids), ("server usage.prompt_tokens", usage)):
    if not counts:
        continue
    print("# %s: prompt tokens per request" % label)
    print("%-20s %5s %7s %7s %7s  %s" % ("prompt", "reqs", "min", "median", "max", "max_tokens sent (min-max)"))
    for name in sorted(set(t["prompt"] for t in texts)):
        xs = [c for t, c in zip(texts, counts) if t["prompt"] == name]
        mt = [t["max_tokens"] for t in texts if t["prompt"] == name]
        print(row(name, xs) + "  %d-%d" % (min(mt), max(mt)))
PY
