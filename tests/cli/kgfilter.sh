# kgfilter: triples from kgsynth's candidates with a tiny random model as E'
# (tests/data/models/tiny-cls): the record format (golden), the METHOD.md §4
# rules checked against an independent reading (tests/tools/kgfilter_check.py
# on vectors from `embed`) at several thresholds, fallbacks and windows,
# duplicates, determinism over --batch-size and --threads, every bad-input
# case, options. Also kgextract --model (graph neighbours by embeddings).
. tests/cli/lib.sh
ROOT=${GCSE_ROOT:-$(pwd)}
PY=${PYTHON:-python3}
M=tests/data/models/tiny-cls
W="-w tests/data/wordnet"
IN=tests/data/kg/sentences.ndjson
E=tests/data/kgf/edge.ndjson
CHECK="$PY $ROOT/tests/tools/kgfilter_check.py"

kgextract $W "$IN" 2>/dev/null | kgsynth $W --seed 1 -n 2 >"$T/cand.ndjson" 2>/dev/null
kgsynth $W --seed 5 -n 4 "$IN" >"$T/cand4.ndjson" 2>/dev/null
# every text of the inputs, embedded by `embed` as kgfilter's E' does
jq -c '.text, .candidates[]?.text | {text: .}' "$T/cand.ndjson" "$T/cand4.ndjson" "$E" |
	embed -m $M --pooling cls --no-normalize -q >"$T/emb.ndjson" 2>/dev/null

t_case kgfilter-basic 0 kgfilter-basic.out \
	'kgfilter: 12 anchors, 12 triples; positive: [0-9]+ kept, [0-9]+ swapped from negatives, [0-9]+ fallback' \
	"kgfilter -m $M $T/cand.ndjson"
t_case kgfilter-stdin 0 kgfilter-basic.out - "kgfilter -m $M < $T/cand.ndjson"
t_case kgfilter-dash 0 kgfilter-basic.out - "kgfilter -m $M - < $T/cand.ndjson"
gzip -c "$T/cand.ndjson" >"$T/cand.ndjson.gz"
t_case kgfilter-gzip 0 kgfilter-basic.out - "kgfilter -m $M $T/cand.ndjson.gz"
t_case kgfilter-model-env 0 kgfilter-basic.out - "GCSE_MODEL=$M kgfilter $T/cand.ndjson"

# the rules, read independently, at thresholds that make every path happen
for ab in "0.80 0.75" "-1 1" "1 -1" "0.9 0.6" "0.5 0.95" "0.85 0.85"; do
	set -- $ab
	t_ok "kgfilter-rules-alpha$1-beta$2" \
		"kgfilter -m $M -q --alpha $1 --beta $2 $T/cand4.ndjson >$T/r.out && $CHECK $T/cand4.ndjson $T/emb.ndjson $T/r.out $1 $2"
done
t_ok kgfilter-rules-edge "kgfilter -m $M -q $E >$T/e.out && $CHECK $E $T/emb.ndjson $T/e.out 0.8 0.75"
t_ok kgfilter-tau "kgfilter -m $M -q --tau 0.1 $T/cand.ndjson >$T/t.out && $CHECK $T/cand.ndjson $T/emb.ndjson $T/t.out 0.8 0.75 0.1"
# every status occurs (on the 4-candidate input at alpha 0.88)
t_ok kgfilter-statuses \
	"kgfilter -m $M -q --alpha 0.88 $T/cand4.ndjson | jq -r '\"pos_\" + .pos_status, \"neg_\" + .neg_status' | sort -u | tr '\n' ' ' | grep -qx 'neg_fallback neg_kept neg_swapped pos_fallback pos_kept pos_swapped '"
# --no-swap on the same input: every status but swapped, and the texts of
# the triples it keeps are those of the default run where that kept both
t_ok kgfilter-no-swap \
	"kgfilter -m $M -q --alpha 0.88 --no-swap $T/cand4.ndjson >$T/ns.out && jq -r '\"pos_\" + .pos_status, \"neg_\" + .neg_status' $T/ns.out | sort -u | tr '\n' ' ' | grep -qx 'neg_fallback neg_kept pos_fallback pos_kept ' && kgfilter -m $M -q --alpha 0.88 $T/cand4.ndjson | jq -c 'select(.pos_status == \"kept\" and .neg_status == \"kept\") | [.id, .text2, .neg]' >$T/k1 && jq -c 'select(.pos_status == \"kept\" and .neg_status == \"kept\") | [.id, .text2, .neg]' $T/ns.out >$T/k2 && test -s $T/k1 && cmp -s $T/k1 $T/k2"
# hand-checkable: everything passes / nothing passes
# (the record "!!!" has no candidate at all: always the fallbacks)
t_ok kgfilter-all-pass \
	"kgfilter -m $M -q --alpha -1 --beta 1 $T/cand.ndjson | jq -r 'select(.text1 != \"!!!\") | [.pos_status, .neg_status] | @tsv' | sort -u | tr '\t\n' ': ' | grep -qx 'kept:kept '"
# alpha 1: only a candidate whose vector is the anchor's (the tiny model cuts
# texts at 24 tokens, so some are) is kept; beta -1: no negative, ever
t_ok kgfilter-none-pass \
	"kgfilter -m $M -q --alpha 1 --beta -1 $T/cand.ndjson | jq -e -s 'all((.pos_status == \"fallback\" and .text2 == .text1 and .pos_cosine == 1 and .pos_kind == \"dropout\") or (.pos_status == \"kept\" and .pos_cosine == 1)) and any(.pos_status == \"fallback\") and all(.neg_status == \"fallback\" and .neg_kind == \"other_sentence\" and (.neg_id != null))' >/dev/null"

# duplicates: candidates equal to the anchor or to each other, repeated triples
t_case kgfilter-duplicates 0 kgfilter-edge.out '2 duplicate candidates, 1 duplicate triples' "kgfilter -m $M $E"
t_ok kgfilter-ids "kgfilter -m $M -q $E | jq -r .id | tr '\n' ' ' | grep -qx 'd1 2 d3 d4 6 '"

# fallback negatives come from the window, else the one before; none: dropped, counted
t_case kgfilter-window1 0 - '1 anchors without any possible negative' \
	"kgfilter -m $M --window 1 --beta -1 $T/cand.ndjson >$T/w1.out"
t_ok kgfilter-window1-previous \
	"[ \$(wc -l <$T/w1.out) -eq 11 ] && jq -s -e '[.[] | .neg_id] == [1, \"s2\", 3, 4, 5, 6, 7, 8, 9, 10, 11]' $T/w1.out >/dev/null"
t_ok kgfilter-window-same-anchor-pool \
	"kgfilter -m $M -q --window 4 --beta -1 $T/cand.ndjson | jq -r '[.id, .neg_id] | @tsv' | awk -F'\t' 'NR <= 4 { if (\$2 !~ /^(1|s2|3|4)\$/) exit 1 } NR > 4 && NR <= 8 { if (\$2 !~ /^[5-8]\$/) exit 1 }'"
jq -c 'del(.candidates)' "$T/cand.ndjson" >"$T/nocand.ndjson"
t_ok kgfilter-seed-matters \
	"kgfilter -m $M -q --seed 1 $T/nocand.ndjson >$T/s1 && kgfilter -m $M -q --seed 2 $T/nocand.ndjson >$T/s2 && ! cmp -s $T/s1 $T/s2 && kgfilter -m $M -q --seed 1 $T/nocand.ndjson | cmp -s - $T/s1"
t_ok kgfilter-other-under-beta \
	"kgfilter -m $M -q --beta 0.6 $T/nocand.ndjson >$T/ob.out && $CHECK $T/nocand.ndjson $T/emb.ndjson $T/ob.out 0.8 0.6"

# the output does not depend on --batch-size or --threads
t_ok kgfilter-deterministic \
	"kgfilter -m $M -q $T/cand4.ndjson >$T/d1 && kgfilter -m $M -q --batch-size 1 --threads 1 $T/cand4.ndjson >$T/d2 && kgfilter -m $M -q --batch-size 5 --threads 2 $T/cand4.ndjson >$T/d3 && cmp $T/d1 $T/d2 && cmp $T/d1 $T/d3"

# bad input: stop at the first bad line, or skip and count
printf '%s\n' '{"text":"the dog ran","candidates":[]}' '{bad json' '[1,2]' '{"x":1}' '{"text":5}' >"$T/bad.ndjson"
printf '{"text":"a \377 b"}\n' >>"$T/bad.ndjson"
printf '%s\n' '{"text":"a","candidates":"no"}' '{"text":"a","candidates":[3]}' '{"text":"a","candidates":[{"role":"positive"}]}' \
	'{"text":"a","candidates":[{"text":"b","role":"maybe"}]}' '{"text":"a","candidates":[{"text":"b","role":"negative","kind":7}]}' \
	'{"text":"the cat sat","candidates":[{"text":"a cat sat","role":"positive"}]}' >>"$T/bad.ndjson"
t_case kgfilter-bad-json 1 - "kgfilter: $T/bad.ndjson:2: " "kgfilter -m $M $T/bad.ndjson"
t_case kgfilter-bad-object 1 empty ':1: .*object' "sed -n 3p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-missing 1 empty ':1: field "text": missing' "sed -n 4p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-type 1 empty ':1: field "text": expected string' "sed -n 5p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-utf8 1 empty ':1: .*UTF-8' "sed -n 6p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-candidates 1 empty ':1: field "candidates": expected array, got string' "sed -n 7p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-candidate 1 empty ':1: field "candidates"\[0\]: expected object, got number' "sed -n 8p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-cand-text 1 empty ':1: field "candidates"\[0\].text: missing' "sed -n 9p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-role 1 empty ':1: field "candidates"\[0\].role: expected "positive" or "negative"' "sed -n 10p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-bad-kind 1 empty ':1: field "candidates"\[0\].kind: expected string, got number' "sed -n 11p $T/bad.ndjson | kgfilter -m $M"
t_case kgfilter-skip-bad 0 kgfilter-skip.out 'skipped 10 bad lines' "kgfilter -m $M --skip-bad $T/bad.ndjson"
printf '\n\n{"text":"the cat sat","candidates":[]}\n\n{"text":"a dog","candidates":[]}\n' >"$T/blank.ndjson"
t_ok kgfilter-blank-lines "kgfilter -m $M -q $T/blank.ndjson | jq -r .id | tr '\n' ' ' | grep -qx '1 2 '"

# usage and runtime errors
t_case kgfilter-help 0 - - "kgfilter --help | grep -q -- '--alpha' && kgfilter --help | grep -q -- '--window'"
t_case kgfilter-version 0 - - "kgfilter --version | grep -q '^kgfilter'"
t_case kgfilter-no-model 2 empty 'no model' "env -u GCSE_MODEL kgfilter $T/cand.ndjson"
t_case kgfilter-bad-alpha 2 empty 'alpha' "kgfilter -m $M --alpha 1.5 $T/cand.ndjson"
t_case kgfilter-bad-beta 2 empty 'beta' "kgfilter -m $M --beta x $T/cand.ndjson"
t_case kgfilter-bad-tau 2 empty 'tau' "kgfilter -m $M --tau 0 $T/cand.ndjson"
t_case kgfilter-bad-window 2 empty 'window' "kgfilter -m $M --window 0 $T/cand.ndjson"
t_case kgfilter-bad-seed 2 empty 'seed' "kgfilter -m $M --seed -1 $T/cand.ndjson"
t_case kgfilter-bad-option 2 empty 'usage' "kgfilter -m $M --bogus $T/cand.ndjson"
t_case kgfilter-bad-model 1 empty 'kgfilter: .*nonexistent' "kgfilter -m /nonexistent $T/cand.ndjson"
t_case kgfilter-missing-file 1 empty 'kgfilter: .*nofile' "kgfilter -m $M $T/nofile.ndjson"

# kgextract --model: graph neighbours by the cosine of node-text embeddings
t_case kgextract-graph-model 0 kgextract-graph-model.out - \
	"kgextract $W -g $T/gm.ndjson -m $M $IN >/dev/null && cat $T/gm.ndjson"
t_ok kgextract-graph-model-deterministic \
	"kgextract $W -g $T/gm2.ndjson -m $M --batch-size 1 --threads 1 $IN >/dev/null && cmp $T/gm.ndjson $T/gm2.ndjson"
t_ok kgextract-graph-model-differs "kgextract $W -g $T/gw.ndjson $IN >/dev/null && ! cmp -s $T/gm.ndjson $T/gw.ndjson"
t_ok kgextract-graph-model-k \
	"kgextract $W -g $T/gk.ndjson -m $M --entity-neighbors 1 --part-neighbors 2 $IN >/dev/null && jq -se 'all(if .type then (.neighbors | length) <= 1 else (.neighbors | length) <= 2 end) and any(.role and (.neighbors | length) == 2)' $T/gk.ndjson >/dev/null"
t_ok kgextract-graph-model-records-same "kgextract $W -g $T/gx.ndjson -m $M $IN | $NUMCMP tests/golden/kgextract-basic.out - 2>/dev/null"
t_case kgextract-model-needs-graph 2 empty '--model needs --graph' "kgextract $W -m $M $IN"
t_case kgextract-model-bad 1 empty 'kgextract: .*nonexistent' "kgextract $W -g $T/g.ndjson -m /nonexistent $IN"
t_case kgextract-threads-needs-model 2 empty 'need --model' "kgextract $W --threads 2 $IN"
