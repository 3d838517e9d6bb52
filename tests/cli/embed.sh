# CLI tests of embed (and stsscore --model): output, pass-through, batch /
# thread / window independence, pooling, truncation, bad input, usage.
. tests/cli/lib.sh
M=tests/data/models/tiny-cls
ST=tests/data/models/tiny-st
IN=tests/data/sts/texts.ndjson
# Same vectors (to 1e-5: SIMD paths may differ between machines) and the
# same other fields as the committed output.
cat > "$T/close.sh" <<'CLOSE'
	jq -n --slurpfile a "$1" --slurpfile b "$2" --arg f "$3" '
	  ($a | length) == ($b | length) and
	  ([$a, $b] | transpose | all(
	     (.[0] | del(.[$f])) == (.[1] | del(.[$f])) and
	     ([.[0][$f], .[1][$f]] | (.[0] | length) == (.[1] | length) and
	        (transpose | all((.[0] - .[1]) | fabs <= 1e-5)))))' | grep -qx true
CLOSE
embed -m $M $IN > "$T/base.ndjson" 2> "$T/base.err"
t_case "embed runs, truncation counted" 0 - '^embed: truncated 1 of 6 texts to 24 tokens$' "embed -m $M $IN > /dev/null"
t_case "embed output matches golden (1e-5)" 0 - empty "sh $T/close.sh tests/golden/embed-tiny.ndjson $T/base.ndjson embedding"
t_case "embed keeps fields and order" 0 embed-fields.out - "jq -c 'del(.embedding)' $T/base.ndjson"
t_case "embed dimension is hidden size" 0 - - "jq -e '.embedding | length == 36' $T/base.ndjson > /dev/null"
for opt in "--batch-size 1" "--batch-size 3" "--batch-size 1000" "--threads 1" "--window 1" "--window 2 --batch-size 2"; do
	t_case "embed identical with $opt" 0 - - "embed -m $M $opt $IN | cmp -s - $T/base.ndjson"
done
t_case "embed stdin and dash" 0 - - "embed -m $M < $IN | cmp -s - $T/base.ndjson && embed -m $M - < $IN | cmp -s - $T/base.ndjson"
gzip -c $IN > "$T/in.ndjson.gz"
t_case "embed gzip input" 0 - - "embed -m $M $T/in.ndjson.gz | cmp -s - $T/base.ndjson"
t_case "embed GCSE_MODEL" 0 - - "GCSE_MODEL=$M embed $IN | cmp -s - $T/base.ndjson"
t_case "embed a record's vector is batch-independent" 0 - - \
  "sed -n 4p $IN | embed -m $M | jq -c .embedding > $T/one; sed -n 3p $T/base.ndjson | jq -c .embedding | cmp -s - $T/one"
t_case "embed --output" 0 - - "embed -m $M -o vec $IN | jq -e 'has(\"vec\") and (has(\"embedding\") | not)' > /dev/null"
t_case "embed replaces an existing vector field" 0 - - \
  "embed -m $M $IN | embed -m $M | cmp -s - $T/base.ndjson"
t_case "embed several fields" 0 embed-two.out - \
  "jq -c '{a: .text, b: (.title // \"none\")}' $IN | embed -m $M -f a -f b | jq -c '[keys, (.a_embedding | length), (.b_embedding | length)]'"
t_case "embed --normalize gives unit vectors" 0 - - \
  "embed -m $M --normalize $IN | jq -e '[.embedding[] | . * .] | add | . - 1 | fabs < 1e-5' | grep -vqx false"
t_case "embed sentence-transformers default (mean, normalised)" 0 - - \
  "embed -m $ST $IN | jq -e '[.embedding[] | . * .] | add | . - 1 | fabs < 1e-5' | grep -vqx false"
t_case "embed --no-normalize overrides the directory" 0 - - \
  "embed -m $ST --no-normalize $IN | jq -e '[.embedding[] | . * .] | add | . - 1 | fabs > 1e-3' | grep -vqx false"
for p in cls mean max; do
	t_case "embed --pooling $p" 0 - - "embed -m $M --pooling $p $IN | jq -e '.embedding | length == 36' | grep -vqx false"
done
t_case "embed mean differs from cls" 0 - - "! embed -m $M --pooling mean $IN | cmp -s - $T/base.ndjson"
t_case "embed --pooling pooler without pooler weights" 1 empty 'pooler' "embed -m $M --pooling pooler $IN"
t_case "embed --pooling pooler with pooler weights" 0 - - "embed -m tests/data/models/tiny-legacy --pooling pooler $IN > /dev/null"
t_case "embed truncation is counted" 0 - '^embed: truncated 5 of 6 texts to 4 tokens$' "embed -m $M --max-length 4 $IN > /dev/null"
t_case "embed --mark-truncated" 0 embed-mark.out - "embed -m $M --max-length 12 --mark-truncated $IN | jq -c '[.id, .truncated]'"
t_case "embed --mark-truncated=cut" 0 - - "embed -m $M --max-length 12 --mark-truncated=cut $IN | jq -e 'has(\"cut\")' | grep -vqx false"
# Bad input.
t_case "embed missing text field" 1 empty '^embed: <stdin>:2: field "text": missing$' "printf '{\"text\":\"a\"}\n{\"txt\":\"b\"}\n' | embed -m $M"
t_case "embed wrong type" 1 empty '^embed: <stdin>:1: field "text": expected string, got number$' "echo '{\"text\":5}' | embed -m $M"
t_case "embed invalid JSON" 1 - 'embed: <stdin>:2: invalid JSON' "printf '{\"text\":\"a\"}\n{nope\n' | embed -m $M"
t_case "embed --skip-bad" 0 - 'skipped 2 bad lines' "printf '{\"text\":\"a\"}\n{nope\n{\"text\":[]}\n{\"text\":\"b\"}\n' | embed -m $M --skip-bad | wc -l | grep -qx 2"
t_case "embed second field missing" 1 empty 'field "b": missing' "echo '{\"a\":\"x\"}' | embed -m $M -f a -f b"
t_case "embed closed stdout" 0 - - "(for i in \$(seq 2000); do cat $IN; done | embed -q -m $M 2>/dev/null; echo \$? > $T/rc) | head -1 > /dev/null; test \$(cat $T/rc) = 0"
# Model and usage errors.
t_case "embed no model" 2 empty 'no model' "env -u GCSE_MODEL embed $IN"
t_case "embed model dir missing" 1 empty '^embed: /nonexistent: ' "embed -m /nonexistent $IN"
t_case "embed bad pooling" 2 empty 'pooling' "embed -m $M --pooling avg $IN"
t_case "embed bad batch size" 2 empty 'batch-size' "embed -m $M --batch-size 0 $IN"
t_case "embed --output with two fields" 2 empty 'suffix' "embed -m $M -f a -f b -o v $IN"
t_case "embed help" 0 - empty "embed --help | grep -q -- '--mark-truncated'"
t_case "embed version" 0 - empty "embed --version | grep -q '^embed (gcse) '"
# stsscore --model embeds the pairs itself, and agrees with embed | stsscore.
t_case "stsscore --model = embed | stsscore" 0 - empty \
  "embed -m $M -f sentence1 -f sentence2 tests/data/sts/small.ndjson | stsscore > $T/a; stsscore -m $M tests/data/sts/small.ndjson > $T/b; cmp -s $T/a $T/b"
t_case "stsscore --model --pairs" 0 - empty "stsscore -m $M -p tests/data/sts/small.ndjson | jq -e 'has(\"cosine\")' | grep -vqx false"
t_case "stsscore --model with --sim" 2 empty 'exclude' "stsscore -m $M -s x tests/data/sts/small.ndjson"
t_case "stsscore --model missing sentence2" 1 empty 'field "sentence2": missing' "echo '{\"sentence1\":\"a\",\"score\":1}' | stsscore -m $M"
