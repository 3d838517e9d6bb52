# scripts/senteval2ndjson on a miniature SentEval layout of our own.
. tests/cli/lib.sh
t_case "senteval layout to NDJSON" 0 senteval.out empty "scripts/senteval2ndjson tests/data/senteval"
t_case "senteval output is valid for stsscore" 0 - empty \
  "scripts/senteval2ndjson tests/data/senteval | jq -c '. + {sim: (.sentence1 | length)}' | stsscore -s sim --pairs | wc -l | grep -qx 5"
mkdir -p "$T/s/STS12-en-test"
printf 'a\tb\nc\td\n' > "$T/s/STS12-en-test/STS.input.x.txt"
printf '1\n' > "$T/s/STS12-en-test/STS.gs.x.txt"
t_case "senteval more pairs than scores" 1 - 'STS.input.x.txt:2: more pairs than scores' "scripts/senteval2ndjson $T/s"
t_case "senteval empty folder" 1 empty 'no STS12-16' "mkdir -p $T/e; scripts/senteval2ndjson $T/e"
t_case "senteval usage" 2 empty 'usage' "scripts/senteval2ndjson"

# make sts-table: the 7-task table of a model (here the miniature layout)
t_case "make sts-table" 0 sts-table.out - \
  "make -s --no-print-directory sts-table BUILD=$GCSE_BUILD MODEL=examples/tiny-model STS_DIR=tests/data/senteval"
t_case "make sts-table usage" 2 - 'usage: make sts-table' "make -s --no-print-directory sts-table BUILD=$GCSE_BUILD"
