# kgsynth: candidates of every kind on the WordNet fixture, with and without
# the graph; determinism; bad input; options.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
IN=tests/data/kg/sentences.ndjson

kgextract $W -g "$T/g.ndjson" $IN >"$T/ext.ndjson" 2>/dev/null
t_case kgsynth-basic 0 kgsynth-basic.out '1 without any candidate' "kgsynth $W --seed 1 -n 2 $T/ext.ndjson"
t_case kgsynth-graph 0 kgsynth-graph.out '1 without any candidate' "kgsynth $W -g $T/g.ndjson --seed 1 -n 2 $T/ext.ndjson"
# plain records work the same (kgsynth analyses the text itself)
t_ok kgsynth-plain-input \
	"kgsynth $W --seed 1 -n 2 $IN 2>/dev/null | sed 's/.*\"candidates\"//' >$T/p1 && kgsynth $W --seed 1 -n 2 $T/ext.ndjson 2>/dev/null | sed 's/.*\"candidates\"//' >$T/p2 && cmp $T/p1 $T/p2"

# every kind of candidate, each named, from rules
kgsynth $W -g "$T/g.ndjson" --seed 3 -n 5 "$T/ext.ndjson" >"$T/many.ndjson" 2>/dev/null
for k in rewrite synonym related_swap contradiction entity_swap quantity; do
	t_ok "kgsynth-kind-$k" "grep -q '\"kind\":\"$k\"' $T/many.ndjson"
done
t_ok kgsynth-fallback "grep -q '\"fallback\":\"' $T/many.ndjson"
t_ok kgsynth-source "test \$(grep -o '\"source\":\"rules\"' $T/many.ndjson | wc -l) -eq \$(grep -o '\"kind\":' $T/many.ndjson | wc -l)"
t_ok kgsynth-stats "kgsynth $W --stats --seed 3 -n 5 $T/ext.ndjson 2>&1 >/dev/null | grep -q '^kgsynth: quantity [1-9]'"

# determinism: the same seed gives the same bytes; another seed, other candidates
t_ok kgsynth-deterministic "kgsynth $W --seed 9 -n 3 $IN >$T/d1 2>/dev/null && kgsynth $W --seed 9 -n 3 $IN >$T/d2 2>/dev/null && cmp $T/d1 $T/d2"
t_ok kgsynth-seed-matters "kgsynth $W --seed 9 -n 3 $IN >$T/d3 2>/dev/null && kgsynth $W --seed 10 -n 3 $IN >$T/d4 2>/dev/null && ! cmp -s $T/d3 $T/d4"

# existing candidates (an LLM's) are kept and extended
printf '%s\n' '{"text":"the man rides a horse","candidates":[{"text":"x","role":"positive","kind":"rewrite","source":"llm"}]}' >"$T/c.ndjson"
t_case kgsynth-keep-candidates 0 kgsynth-keep.out - "kgsynth $W --seed 1 $T/c.ndjson"
printf '%s\n' '{"text":"the man rides a horse","candidates":"no"}' >"$T/c2.ndjson"
t_case kgsynth-bad-candidates 1 empty ':1: field "candidates": expected array' "kgsynth $W $T/c2.ndjson"

# bad input, gzip, blank lines, a 10 MB line
printf '%s\n' '{"text":"the dog ran"}' '{bad json' '[1,2]' '{"x":1}' '{"text":5}' >"$T/bad.ndjson"
printf '{"text":"a \377 b"}\n\n' >>"$T/bad.ndjson"
printf '%s\n' '{"text":"the cat sat"}' >>"$T/bad.ndjson"
t_case kgsynth-bad-json 1 kgsynth-bad-first.out "kgsynth: $T/bad.ndjson:2: " "kgsynth $W --seed 1 $T/bad.ndjson"
t_case kgsynth-bad-object 1 empty ':1: .*object' "sed -n 3p $T/bad.ndjson | kgsynth $W"
t_case kgsynth-bad-missing 1 empty ':1: .*"text".*missing' "sed -n 4p $T/bad.ndjson | kgsynth $W"
t_case kgsynth-bad-type 1 empty ':1: .*"text".*string' "sed -n 5p $T/bad.ndjson | kgsynth $W"
t_case kgsynth-bad-utf8 1 empty ':1: .*UTF-8' "sed -n 6p $T/bad.ndjson | kgsynth $W"
t_case kgsynth-skip-bad 0 kgsynth-skip.out 'skipped 5 bad lines' "kgsynth $W --seed 1 --skip-bad $T/bad.ndjson"
gzip -c "$T/ext.ndjson" >"$T/ext.ndjson.gz"
t_case kgsynth-gzip 0 kgsynth-basic.out - "kgsynth $W --seed 1 -n 2 $T/ext.ndjson.gz"
awk 'BEGIN { printf "{\"text\":\"The dog ran.\",\"pad\":\""; for (i = 0; i < 1048576; i++) printf "0123456789"; print "\"}" }' >"$T/long.ndjson"
t_ok kgsynth-long-line \
	"kgsynth $W $T/long.ndjson >$T/long.out && test \$(wc -c <$T/long.out) -gt 10485760 && grep -q '\"role\":\"negative\"' $T/long.out && test \$(wc -l <$T/long.out) -eq 1"
printf '{"text":"!!!"}\n' >"$T/none.ndjson"
t_case kgsynth-no-candidate 0 kgsynth-none.out '1 of 1 records without all 1 positive.*1 without any candidate' "kgsynth $W $T/none.ndjson"

# the graph file
t_case kgsynth-graph-missing 1 empty 'kgsynth: /nonexistent/g.ndjson: ' "kgsynth $W -g /nonexistent/g.ndjson $IN"
printf '{"node":"dog","type":"noun.animal"}\n{oops\n' >"$T/badg.ndjson"
t_case kgsynth-graph-bad 1 empty "kgsynth: $T/badg.ndjson:2: bad JSON" "kgsynth $W -g $T/badg.ndjson $IN"
gzip -c "$T/g.ndjson" >"$T/g.ndjson.gz"
t_case kgsynth-graph-gzip 0 kgsynth-graph.out - "kgsynth $W -g $T/g.ndjson.gz --seed 1 -n 2 $T/ext.ndjson"

# options
t_case kgsynth-help 0 - - "kgsynth --help | grep -q -- '--seed'"
t_case kgsynth-version 0 - - "kgsynth --version | grep -q '^kgsynth'"
t_case kgsynth-n0 2 empty 'per-record' "kgsynth -n 0 $IN"
t_case kgsynth-n101 2 empty 'per-record' "kgsynth -n 101 $IN"
t_case kgsynth-seed-neg 2 empty 'seed' "kgsynth --seed -1 $IN"
t_case kgsynth-seed-bad 2 empty 'seed' "kgsynth --seed 12x $IN"
t_case kgsynth-bad-option 2 empty 'usage' "kgsynth --bogus $IN"
t_case kgsynth-no-wordnet 1 empty 'kgsynth: /nonexistent/data.noun' "kgsynth -w /nonexistent $IN"

# the rule path's mixes: families and shares per role
t_ok kgsynth-mix-default-explicit \
	"kgsynth $W --seed 1 -n 2 --positive-mix rewrite:0.7,synonym:0,related_swap:0.3 --negative-mix contradiction:0.7,entity_swap:0.15,quantity:0.15 $T/ext.ndjson 2>/dev/null | cmp -s - tests/golden/kgsynth-basic.out"
t_ok kgsynth-mix-roles \
	"kgsynth $W --seed 3 -n 3 --positive-mix synonym,rewrite:0 --negative-mix related_swap,entity_swap:0 $T/ext.ndjson 2>/dev/null |
	 jq -r '.candidates[] | \"\\(.role) \\(.fallback // .kind)\"' | sort -u >$T/mixroles &&
	 printf 'negative related_swap\npositive synonym\n' | cmp -s - $T/mixroles"
t_ok kgsynth-mix-related-negative \
	"kgsynth $W --seed 3 -n 3 --negative-mix related_swap $T/ext.ndjson 2>/dev/null |
	 jq -e '[.candidates[] | select(.kind == \"related_swap\")] | all(.role == \"negative\")' >/dev/null"
t_case kgsynth-mix-unknown 2 empty 'positive-mix: unknown family "bogus"' "kgsynth --positive-mix bogus:1 $IN"
t_case kgsynth-mix-twice 2 empty 'negative-mix: family quantity given twice' "kgsynth --negative-mix quantity,quantity $IN"
t_case kgsynth-mix-zero 2 empty 'no family with a share above 0' "kgsynth --positive-mix synonym:0 $IN"
t_case kgsynth-mix-bad-share 2 empty 'share must be a number' "kgsynth --positive-mix synonym:x $IN"
t_case kgsynth-mix-llm 2 empty 'rule path' "kgsynth --llm http://127.0.0.1:9 --positive-mix synonym $IN"
