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
# Issue 15, D12: extreme and non-finite similarities are handled the same way
# by both correlations, and say so; options that would change nothing are
# usage errors.
t_case "an embedding element outside the float range is bad input" 1 - \
  'stsscore: <stdin>:1: field "sentence1_embedding": element 0: 1e\+300 is outside the range of a float' \
  "sed '1s/\"sentence1_embedding\":\\[1,/\"sentence1_embedding\":[1e300,/' $D/small.ndjson | stsscore"
t_case "similarities near 1e300: the same correlations" 0 - empty \
  "jq -c '.sim = .score' $D/small.ndjson | stsscore -s sim >$T/s1 &&
   jq -c '.sim = .score * 1e300' $D/small.ndjson | stsscore -s sim >$T/s2 &&
   jq -n --slurpfile a $T/s1 --slurpfile b $T/s2 '[\$a, \$b] | transpose | all(.[0].spearman == .[1].spearman and (.[0].pearson - .[1].pearson | fabs) < 1e-9)' | grep -qx true"
PY=${PYTHON:-python3}
if command -v "$PY" >/dev/null 2>&1; then
	# tiny-cls with an infinite bias in the last LayerNorm: every embedding holds an infinity
	cp -r tests/data/models/tiny-cls "$T/inf-model"
	"$PY" -c 'import json, struct, sys
p = sys.argv[1] + "/model.safetensors"
b = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
o = 8 + n + json.loads(b[8:8 + n])["encoder.layer.1.output.LayerNorm.bias"]["data_offsets"][0]
b[o:o + 4] = struct.pack("<f", float("inf"))
open(p, "wb").write(b)' "$T/inf-model"
	t_case "non-finite embeddings: both correlations null, said, exit 1" 1 - \
	  '^stsscore: task "A": correlation undefined: 3 of 3 similarities are not finite' \
	  "stsscore -m $T/inf-model $D/small.ndjson >$T/inf.out; st=\$?;
	   jq -se 'all(.spearman == null and .pearson == null)' $T/inf.out >/dev/null && exit \$st"
	t_case "non-finite cosines with --pairs: null, counted, exit 1" 1 - \
	  '^stsscore: 7 of 7 cosines are not finite, written as null' \
	  "stsscore -m $T/inf-model -p $D/small.ndjson >$T/infp.out; st=\$?;
	   jq -se 'length == 7 and all(.cosine == null)' $T/infp.out >/dev/null && exit \$st"
else
	t_skip "non-finite embeddings" "no $PY"
fi
M=tests/data/models/tiny-cls
t_case "--pooling without --model" 2 empty '^stsscore: --pooling and --batch-size need --model$' "stsscore --pooling mean $D/small.ndjson"
t_case "--batch-size without --model" 2 empty 'need --model' "stsscore --batch-size 4 $D/small.ndjson"
t_case "--threads without --model or --vectors" 2 empty '^stsscore: --threads needs --model or --vectors$' "stsscore --threads 1 $D/small.ndjson"
t_case "--text1 without --model or --vectors" 2 empty 'need --model or --vectors' "stsscore --text1 a $D/small.ndjson"
t_case "--emb1 with --model" 2 empty 'emb1 and --emb2 name embedding fields' "stsscore -m $M --emb1 a $D/small.ndjson"
t_case "--emb2 with --sim" 2 empty 'emb1 and --emb2 name embedding fields' "stsscore -s score --emb2 a $D/small.ndjson"
t_case "--score with --pairs" 2 empty 'score and --task are for the summary' "stsscore -p --score x $D/small.ndjson"
t_ok "--pooling with --model still works" "stsscore -m $M --pooling mean --batch-size 2 --threads 1 $D/small.ndjson >/dev/null"
t_case "kgextract --entity-neighbors without --graph" 2 empty 'need --graph' \
  "kgextract -w tests/data/wordnet --entity-neighbors 3 tests/data/kg/sentences.ndjson"
