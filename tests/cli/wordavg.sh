# CLI tests of embed --vectors and stsscore --vectors (averaged word vectors,
# SIF): golden output on a tiny vectors file, options, usage errors, a bad
# vectors file, and the STS-B dev baseline of ../shared/docs/METHOD.md §7.
. tests/cli/lib.sh
V=tests/data/wordavg/tiny.txt
IN=tests/data/wordavg/texts.ndjson
EV=examples/tiny-vectors.txt
PAIRS=examples/sts-pairs.ndjson
# Vectors worked out by hand in tests/unit/test_wordavg.c; exact bytes here.
t_case "embed --vectors golden" 0 wordavg-embed.out \
  '^embed: 2 of 6 texts have no word in tests/data/wordavg/tiny.txt \(zero vector\)$' "embed --vectors $V $IN"
t_case "embed --vectors --sif-a 0.1 golden" 0 wordavg-embed-sif.out - "embed --vectors $V --sif-a 0.1 $IN"
t_case "embed --sif is --sif-a 0.001" 0 - - \
  "embed --vectors $V --sif $IN > $T/s1; embed --vectors $V --sif-a 0.001 $IN | cmp -s - $T/s1 && ! cmp -s $T/s1 tests/golden/wordavg-embed.out"
t_case "embed --vectors --threads 1 identical" 0 wordavg-embed.out - "embed --vectors $V --threads 1 $IN"
t_case "embed --vectors ignores GCSE_MODEL" 0 wordavg-embed.out - "GCSE_MODEL=/nonexistent embed --vectors $V $IN"
t_case "embed --vectors --normalize" 0 - - \
  "embed --vectors $V --normalize $IN | jq -e '[.embedding[] | . * .] | add | (. == 0) or (. - 1 | fabs < 1e-6)' | grep -vqx false"
t_case "embed --vectors two fields" 0 - - \
  "jq -c '{a: .text, b: .text}' $IN | embed --vectors $V -f a -f b | jq -e '.a_embedding == .b_embedding and (.a_embedding | length == 3)' | grep -vqx false"
gzip -c $V > "$T/v.txt.gz"
t_case "embed --vectors gzip file" 0 wordavg-embed.out - "embed --vectors $T/v.txt.gz $IN"
# stsscore embeds the two sentences itself, as embed -f sentence1 -f sentence2 | stsscore.
t_case "stsscore --vectors golden" 0 wordavg-sts.out \
  '^stsscore: 2 of 14 sentences have no word in examples/tiny-vectors.txt \(zero vector\)$' "stsscore --vectors $EV $PAIRS"
t_case "stsscore --vectors equals embed | stsscore" 0 wordavg-sts.out - \
  "embed -q --vectors $EV -f sentence1 -f sentence2 $PAIRS 2>/dev/null | stsscore"
t_case "stsscore --vectors --sif equals embed --sif | stsscore" 0 - - \
  "stsscore --vectors $EV --sif $PAIRS 2>/dev/null > $T/a; embed --vectors $EV --sif -f sentence1 -f sentence2 $PAIRS 2>/dev/null | stsscore | cmp -s - $T/a"
t_case "stsscore --vectors --pairs" 0 - - \
  "stsscore --vectors $EV --pairs $PAIRS 2>/dev/null | jq -e 'select(.sentence2 == \"v\") | .cosine == 0' | grep -qx true"
t_case "stsscore --vectors --text1/--text2" 0 wordavg-sts.out - \
  "jq -c '{t1: .sentence1, t2: .sentence2, score, task}' $PAIRS | stsscore --vectors $EV --text1 t1 --text2 t2 2>/dev/null"
# --pc-from: SIF's common component removal. Fitted on texts whose vectors
# all lie along "the" = (1,0,0), it zeroes the first coordinate and leaves
# the others (tests/unit/test_wordavg.c has the arithmetic).
printf '{"text":"the"}\n{"text":"the the"}\n{"text":"zebra"}\n' > "$T/the.ndjson"
t_case "embed --pc-from removes the fitted direction" 0 - - \
  "embed -q --vectors $V --pc-from $T/the.ndjson -o pc $IN | embed -q --vectors $V -o plain |
   jq -s -e 'length == 6 and all(.[]; .pc[0] == 0 and .pc[1:] == .plain[1:])' | grep -qx true"
t_case "embed --pc-from golden (fitted on the input)" 0 wordavg-embed-pc.out - "embed -q --vectors $V --sif-a 0.1 --pc-from $IN $IN"
t_case "embed --pc-from on stdin input, fit from a file" 0 wordavg-embed-pc.out - "embed -q --vectors $V --sif-a 0.1 --pc-from $IN < $IN"
t_case "stsscore --pc-from equals embed --pc-from | stsscore" 0 - - \
  "stsscore -q --vectors $EV --sif --pc-from $PAIRS $PAIRS > $T/a; embed -q --vectors $EV --sif --pc-from $PAIRS -f sentence1 -f sentence2 $PAIRS | stsscore | cmp -s - $T/a && ! cmp -s $T/a tests/golden/wordavg-sts.out"
for p in embed stsscore; do
	t_case "$p --pc-from without --vectors" 2 empty 'pc-from needs --vectors' "$p -m tests/data/models/tiny-cls --pc-from $IN $IN"
	t_case "$p --pc-from - with standard input" 2 empty 'standard input is also the input' "$p --vectors $V --pc-from - < $IN"
	t_case "$p --pc-from: no known word" 1 empty "^$p: $T/none.ndjson: no text with a known word" \
	  "echo '{\"text\":\"zebra\",\"sentence1\":\"zebra\",\"sentence2\":\"gnu\"}' > $T/none.ndjson; $p --vectors $V --pc-from $T/none.ndjson $PAIRS"
	t_case "$p --pc-from: a bad line names FILE:LINE" 1 empty "^$p: $T/badpc.ndjson:2: " \
	  "printf '{\"text\":\"the\",\"sentence1\":\"a\",\"sentence2\":\"b\"}\n{oops\n' > $T/badpc.ndjson; $p --vectors $V --pc-from $T/badpc.ndjson $PAIRS"
done
# Usage errors.
for p in embed stsscore; do
	t_case "$p -m and --vectors" 2 empty 'exclude each other' "$p -m tests/data/models/tiny-cls --vectors $V $IN"
	t_case "$p --sif without --vectors" 2 empty 'need --vectors' "$p -m tests/data/models/tiny-cls --sif $IN"
	t_case "$p --sif-a out of range" 2 empty 'sif-a' "$p --vectors $V --sif-a 0 $IN"
	t_case "$p --pooling with --vectors" 2 empty 'not --vectors' "$p --vectors $V --pooling mean $IN"
	t_case "$p bad vectors file names FILE:LINE" 1 empty "^$p: tests/data/wordavg/bad.txt:3: " \
	  "$p --vectors tests/data/wordavg/bad.txt $IN"
	t_case "$p missing vectors file" 1 empty "^$p: $T/none.txt" "$p --vectors $T/none.txt $IN"
	t_case "$p --help lists --vectors and --sif" 0 - - "$p --help | grep -q -- '--vectors FILE' && $p --help | grep -q -- '--sif-a A'"
done
t_case "stsscore --vectors and --sim" 2 empty 'exclude each other' "stsscore --vectors $V --sim x $PAIRS"
t_case "embed --max-length with --vectors" 2 empty 'not --vectors' "embed --vectors $V --max-length 8 $IN"
# The baseline on STS-B dev (METHOD.md §7: 55.5 averaged, 68.4 with SIF).
G=$SHARED/vectors/glove-6b-100d-top50k.txt.gz
D=$SHARED/sts/stsb-dev.ndjson
if have_shared && [ -f "$G" ] && [ -f "$D" ]; then
	t_case "stsscore --vectors GloVe STS-B dev: 55.5 +- 1" 0 - empty \
	  "stsscore -q --vectors $G $D | jq -e 'select(.task == \"avg\") | .spearman | . > 54.5 and . < 56.5' | grep -qx true"
	t_case "stsscore --vectors --sif GloVe STS-B dev: 68.4 +- 2" 0 - empty \
	  "stsscore -q --vectors $G --sif $D | jq -e 'select(.task == \"avg\") | .spearman | . > 66.4 and . < 70.4' | grep -qx true"
	t_case "stsscore --vectors --sif --pc-from GloVe STS-B dev: 72.3 +- 2" 0 - empty \
	  "stsscore -q --vectors $G --sif --pc-from $D $D | jq -e 'select(.task == \"avg\") | .spearman | . > 70.3 and . < 74.3' | grep -qx true"
else
	t_skip "stsscore --vectors --sif --pc-from GloVe STS-B dev" "no $G or $D"
	t_skip "stsscore --vectors GloVe STS-B dev" "no $G or $D"
	t_skip "stsscore --vectors --sif GloVe STS-B dev" "no $G or $D"
fi
