# A text holding \u0000 (issue 15, D8): the programs take texts as C strings,
# which ended there (kgfilter wrote text1 "a cat" for "a cat\u0000 sat",
# kgsynth rewrote the cut text, embed embedded it). Now every field a program
# reads as text refuses such a record, naming file, line and field (exit 1;
# --skip-bad keeps the others), and a field it does not read keeps the NUL.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
M=tests/data/models/tiny-cls
D=tests/data/train
MSG='\\u0000 \(NUL\) at byte 6: not allowed in a text'
printf '{"text":"a cat sat"}\n{"text":"a cat\\u0000 sat"}\n{"text":"a dog ran"}\n' >"$T/t.ndjson"
printf '{"sentence1":"a cat","sentence2":"a dog","score":1}\n{"sentence1":"a cat\\u0000 x","sentence2":"a dog","score":2}\n{"sentence1":"a cow","sentence2":"a hen","score":3}\n' >"$T/s.ndjson"

for p in "kgextract $W" "kgsynth $W" "embed -m $M" "kgfilter -m $M"; do
	n=${p%% *}
	t_case "$n refuses a text with \\u0000" 1 - "^$n: $T/t.ndjson:2: field \"text\": $MSG\$" "$p -q $T/t.ndjson"
	t_case "$n --skip-bad keeps the other records" 0 - "^$n: $T/t.ndjson:2: field \"text\": $MSG" \
	  "[ \$($p -q --skip-bad $T/t.ndjson | wc -l) -eq 2 ]"
done
t_case "stsscore refuses a sentence with \\u0000" 1 - "^stsscore: $T/s.ndjson:2: field \"sentence1\": $MSG\$" \
  "stsscore -m $M $T/s.ndjson"
t_case "stsscore --vectors refuses a sentence with \\u0000" 1 - "^stsscore: $T/s.ndjson:2: field \"sentence1\": $MSG\$" \
  "stsscore --vectors $D/tiny.glove.txt $T/s.ndjson"
t_case "stsscore refuses a task name with \\u0000" 1 - "^stsscore: <stdin>:1: field \"task\": .u0000 \(NUL\) at byte 2" \
  "printf '{\"task\":\"A\\\\u0000B\",\"score\":1,\"sim\":0.5}\n' | stsscore -s sim"
t_case "gcsetrain refuses a text with \\u0000" 1 - "^gcsetrain: $T/t.ndjson:2: field \"text\": $MSG\$" \
  "gcsetrain -q --threads 1 --init $D/tiny-model -b 2 --max-steps 1 --out $T/g $T/t.ndjson"
t_case "kgfilter refuses a candidate text with \\u0000" 1 - \
  '^kgfilter: <stdin>:1: field "candidates"\[1\]\.text: \\u0000 \(NUL\) at byte 4: not allowed in a text$' \
  "echo '{\"text\":\"a cat\",\"candidates\":[{\"text\":\"a dog\",\"role\":\"negative\"},{\"text\":\"the\\\\u0000cat\",\"role\":\"positive\"}]}' | kgfilter -q -m $M"
kgextract $W -q -g "$T/g.ndjson" tests/data/kg/sentences.ndjson >/dev/null
t_case "kgsynth -g refuses a node name with \\u0000" 1 - "^kgsynth: $T/gn.ndjson:1: field \"node\": .u0000 \(NUL\) not allowed" \
  "sed '1s/\"node\":\"\\([a-z]*\\)/\"node\":\"\\1\\\\u0000x/' $T/g.ndjson >$T/gn.ndjson && ! cmp -s $T/g.ndjson $T/gn.ndjson &&
   kgsynth $W -q -g $T/gn.ndjson $T/t.ndjson"
t_case "kgsynth -g refuses a neighbour name with \\u0000" 1 - "^kgsynth: $T/gb.ndjson:[0-9]+: neighbor 1: .* without .u0000" \
  "sed '0,/\"neighbors\":\\[{\"node\":\"/s//&\\\\u0000/' $T/g.ndjson >$T/gb.ndjson && ! cmp -s $T/g.ndjson $T/gb.ndjson &&
   kgsynth $W -q -g $T/gb.ndjson $T/t.ndjson"
# fields a program does not read keep the NUL
printf '{"text":"a cat sat","note":"x\\u0000y"}\n' >"$T/k.ndjson"
for p in "kgextract $W" "kgsynth $W" "embed -m $M"; do
	t_ok "${p%% *} passes a \\u0000 through in other fields" "$p -q $T/k.ndjson | grep -q '^{\"text\":\"a cat sat\",\"note\":\"x\\\\u0000y\",'"
done
