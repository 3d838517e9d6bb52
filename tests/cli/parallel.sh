# parallel: kgextract, kgsynth, kgfilter and embed under GNU parallel
# (--pipe --keep-order -N K -j2) write the same bytes as one process, under
# the conditions their man pages state (PARALLEL); an error in one chunk
# fails the whole pipeline with the program's message.
. tests/cli/lib.sh
if ! command -v parallel >/dev/null 2>&1; then
	t_skip parallel-all 'GNU parallel is not installed (scripts/install-deps)'
	exit 0
fi
# parallel's own files go to the scratch dir; no options from $PARALLEL
export PARALLEL_HOME="$T/parallel-home"
unset PARALLEL
W="-w tests/data/wordnet"
M=examples/tiny-model
# --will-cite: no citation notice; --joblog: the tests below check that the
# input really was split into several jobs.
P="parallel --will-cite --pipe --keep-order -j2 --joblog $T/jobs"

# 109 WordNet-fixture sentences and 20 of our own, every record with an id;
# 129 records: -N 7 gives 19 chunks, the last one of 3 records.
{ examples/wordnet-sentences tests/data/wordnet && cat tests/data/parallel/sentences.ndjson; } >"$T/in.ndjson"

# kgextract: per record; the graph is built once over the whole input by a
# single process, and the records it writes are the same as without -g.
kgextract $W -q -g "$T/graph.ndjson" "$T/in.ndjson" >"$T/ext.ndjson"
t_ok parallel-kgextract-graph-free "kgextract $W -q $T/in.ndjson | cmp - $T/ext.ndjson"
t_ok parallel-kgextract "$P -N 7 kgextract $W -q <$T/in.ndjson >$T/p.ext && cmp $T/ext.ndjson $T/p.ext"
t_ok parallel-kgextract-jobs "test \$(tail -n +2 $T/jobs | wc -l) -eq 19"
# records without an id get their position in the input, so the chunks must
# be numbered first (the recipe of kgextract(1)); the input has a blank line
NUM='foreach inputs as $r (0; . + 1; . as $n | $r | if .id == null then .id = $n else . end)'
t_ok parallel-kgextract-ids \
	"kgextract $W -q tests/data/kg/sentences.ndjson >$T/e1 && jq -nc '$NUM' tests/data/kg/sentences.ndjson | $P -N 3 kgextract $W -q >$T/e2 && cmp $T/e1 $T/e2"
# ... and without numbering the chunks' ids differ (the condition matters)
t_ok parallel-kgextract-ids-needed \
	"$P -N 3 kgextract $W -q <tests/data/kg/sentences.ndjson >$T/e3 && ! cmp -s $T/e1 $T/e3"

# kgsynth with the prebuilt graph: candidates depend on the seed and the text
kgsynth $W -q -g "$T/graph.ndjson" -n 3 --seed 5 "$T/ext.ndjson" >"$T/syn.ndjson" 2>/dev/null
t_ok parallel-kgsynth \
	"$P -N 7 kgsynth $W -q -g $T/graph.ndjson -n 3 --seed 5 <$T/ext.ndjson >$T/p.syn 2>/dev/null && cmp $T/syn.ndjson $T/p.syn"
t_ok parallel-kgsynth-jobs "test \$(tail -n +2 $T/jobs | wc -l) -eq 19"

# kgfilter: fallback negatives come from the window, so -N must be a
# multiple of --window (30 = 3 x 10: chunks of 30,30,30,30,5 records)
kgfilter -q -m $M --window 10 "$T/syn.ndjson" >"$T/filt.ndjson"
t_ok parallel-kgfilter \
	"$P -N 30 kgfilter -q -m $M --window 10 --threads 1 <$T/syn.ndjson >$T/p.filt && cmp $T/filt.ndjson $T/p.filt"
t_ok parallel-kgfilter-jobs "test \$(tail -n +2 $T/jobs | wc -l) -eq 5"
t_ok parallel-kgfilter-window-needed \
	"$P -N 25 kgfilter -q -m $M --window 10 --threads 1 <$T/syn.ndjson >$T/p.filt2 && ! cmp -s $T/filt.ndjson $T/p.filt2"

# embed: nothing crosses records (windows are sorted by length, written back
# in input order); chunks of 7 against windows of 5 and batches of 3
embed -q -m $M --window 5 --batch-size 3 "$T/in.ndjson" >"$T/emb.ndjson" 2>/dev/null
t_ok parallel-embed \
	"$P -N 7 embed -q -m $M --threads 1 <$T/in.ndjson >$T/p.emb 2>/dev/null && cmp $T/emb.ndjson $T/p.emb"
t_ok parallel-embed-jobs "test \$(tail -n +2 $T/jobs | wc -l) -eq 19"

# an error in one chunk (line 51 of the input: line 11 of the third chunk)
# stops everything with exit 1. The program's message comes through
# parallel's buffered output, which GNU parallel can drop when --halt kills
# another job before it prints (seen about 1 run in 40 under load), so the
# test takes the message or parallel's own "This job failed"; the joblog
# always names the failed job (Exitval 1), and that chunk alone gives the
# message with its line (the README's recipe).
{ head -50 "$T/in.ndjson" && echo '{bad json' && tail -n +51 "$T/in.ndjson"; } >"$T/bad.ndjson"
t_case parallel-error 1 - 'kgsynth: <stdin>:11: invalid JSON|parallel: This job failed' \
	"parallel --will-cite --pipe --keep-order -j2 --joblog $T/badjobs --halt now,fail=1 -N 20 kgsynth $W -q <$T/bad.ndjson"
t_ok parallel-error-joblog "test \"\$(awk -F'\\t' '\$7 == 1 { print \$1 }' $T/badjobs)\" = 3"
t_case parallel-error-chunk 1 - 'kgsynth: <stdin>:11: invalid JSON' \
	"tail -n +41 $T/bad.ndjson | head -n 20 | kgsynth $W -q"
t_case parallel-error-embed 1 - 'embed: <stdin>:11: invalid JSON|parallel: This job failed' \
	"parallel --will-cite --pipe --keep-order -j2 --halt now,fail=1 -N 20 embed -q -m $M --threads 1 <$T/bad.ndjson"
