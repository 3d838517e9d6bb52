# CLI tests of stsscore: summary, pairs, gz input, stdin, bad input, options.
. tests/cli/lib.sh
D=tests/data/sts
t_case "stsscore summary" 0 stsscore-small.out empty "stsscore $D/small.ndjson"
t_case "stsscore stdin dash" 0 stsscore-small.out - "stsscore - < $D/small.ndjson"
t_case "stsscore stdin none" 0 stsscore-small.out - "stsscore < $D/small.ndjson"
gzip -c $D/small.ndjson > "$T/small.ndjson.gz"
t_case "stsscore gzip input" 0 stsscore-small.out - "stsscore $T/small.ndjson.gz"
t_case "stsscore pairs pass-through" 0 stsscore-pairs.out - "stsscore --pairs $D/small.ndjson"
t_case "stsscore two files, one task" 0 stsscore-twice.out - "stsscore --task nope $D/small.ndjson $D/small.ndjson"
# A precomputed similarity field; ties in both columns.
printf '%s\n' '{"s":1,"score":1}' '{"s":2,"score":1}' '{"s":2,"score":3}' '{"s":4,"score":2}' > "$T/sim.ndjson"
t_case "stsscore --sim with ties" 0 stsscore-sim.out - "stsscore -s s $T/sim.ndjson"
t_case "stsscore renamed fields" 0 stsscore-small.out - \
  "jq -c '{task, a: .sentence1_embedding, b: .sentence2_embedding, gold: .score}' $D/small.ndjson | stsscore -1 a -2 b --score gold"
# Bad input: program, file, line, field; exit 1; nothing half-written.
t_case "bad json names file and line" 1 - '^stsscore: /tmp/.*/bad.ndjson:2: invalid JSON: ' "printf '%s\n' '{\"s\":1}' '{\"s\":' > $T/bad.ndjson; stsscore -p -s s $T/bad.ndjson"
t_case "not an object" 1 empty '^stsscore: /tmp/.*/array.ndjson:1: expected a JSON object, got array$' "echo '[1,2]' > $T/array.ndjson; stsscore $T/array.ndjson"
t_case "invalid utf-8" 1 - '^stsscore: <stdin>:2: invalid UTF-8 at byte 13$' "printf '{\"s\":1}\n{\"s\":2,\"t\":\"\\377\"}\n' | stsscore -p -s s"
t_case "missing field" 1 empty '^stsscore: <stdin>:1: field "score": missing$' "echo '{\"s\":1}' | stsscore -s s"
t_case "wrong type" 1 empty '^stsscore: <stdin>:2: field "score": expected number, got string$' "printf '%s\n' '{\"s\":1,\"score\":1}' '{\"s\":1,\"score\":\"x\"}' | stsscore -s s"
t_case "bad vector element" 1 empty 'field "sentence2_embedding": element 1: expected a finite number, got null' \
  "echo '{\"score\":1,\"sentence1_embedding\":[1,2],\"sentence2_embedding\":[1,null]}' | stsscore"
t_case "dimension mismatch" 1 empty 'field "sentence2_embedding": expected 2 numbers, got 3' \
  "echo '{\"score\":1,\"sentence1_embedding\":[1,2],\"sentence2_embedding\":[1,2,3]}' | stsscore"
t_case "pairs: error after good lines keeps whole lines" 1 stsscore-pairs-partial.out 'small.ndjson.bad:4: invalid JSON' \
  "{ head -3 $D/small.ndjson; echo '{broken'; } > $T/small.ndjson.bad; stsscore -p $T/small.ndjson.bad"
t_case "skip-bad counts" 0 stsscore-skip.out 'skipped 3 bad lines' \
  "{ cat $D/small.ndjson; echo '{broken'; echo '[]'; echo '{\"score\":2}'; } | stsscore --skip-bad"
t_case "no records" 1 empty 'no records to score' "stsscore < /dev/null"
t_case "missing file" 1 empty '^stsscore: /nonexistent.ndjson: No such file or directory$' "stsscore /nonexistent.ndjson"
t_case "truncated gzip" 1 - 'read error' "head -c 60 $T/small.ndjson.gz > $T/cut.gz; stsscore $T/cut.gz"
t_case "constant column is an error" 1 - 'correlation undefined' "printf '%s\n' '{\"s\":1,\"score\":1}' '{\"s\":2,\"score\":1}' | stsscore -s s"
# A 10 MB line works.
awk 'BEGIN { printf "{\"s\":1,\"score\":1,\"pad\":\""; for (i = 0; i < 1100000; i++) printf "abcdefghij"; print "\"}"; print "{\"s\":2,\"score\":3}" }' > "$T/long.ndjson"
t_case "10 MB line" 0 stsscore-long.out - "stsscore -s s $T/long.ndjson"
# Closed stdout ends quietly with success.
yes '{"s":1}' | head -300000 > "$T/many.ndjson"
t_case "closed stdout ends quietly with 0" 0 empty empty "(stsscore -p -s s $T/many.ndjson; echo \$? > $T/rc) | head -1 >/dev/null; test \$(cat $T/rc) = 0"
t_case "full disk is an error" 1 empty 'write error' "stsscore -p $D/small.ndjson > /dev/full"
# Usage.
t_case "help" 0 - empty "stsscore --help | grep -q -- '--pairs'"
t_case "version" 0 - empty "stsscore --version | grep -q '^stsscore (gcse) '"
t_case "unknown option" 2 empty "Try 'stsscore --help'" "stsscore --frobnicate"
# Spearman equals scipy.stats.spearmanr on STS-B dev with a synthetic
# prediction (see scripts/check-stsscore.py, which printed the numbers below).
if have_shared; then
	jq -c -s 'to_entries[] | .value + {pred: ((((.key * 37) % 11) / 2 + .value.score) | floor)}' \
		"$SHARED/sts/stsb-dev.ndjson" > "$T/dev.ndjson"
	t_case "stsb-dev spearman = scipy" 0 - empty \
		"stsscore -s pred $T/dev.ndjson | jq -e 'select(.task == \"avg\") | (.spearman - 66.01105279170106 | fabs) < 1e-9 and (.pearson - 67.05089774232195 | fabs) < 1e-9 and .n == 1500'"
else
	t_skip "stsb-dev spearman = scipy" "no $SHARED"
fi
