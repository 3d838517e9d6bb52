# CLI tests of gcsetrain on a tiny model (2 layers, hidden 16, 45 tokens):
# usage and input errors, the three losses, a fresh model from word vectors,
# evaluation, determinism across thread counts, SIGKILL + resume giving the
# same losses and bytes, a non-finite loss leaving the checkpoint intact.
. tests/cli/lib.sh
D=tests/data/train
M=$D/tiny-model
S=$D/sentences.ndjson
X=$D/triples.ndjson
# --threads 1: the suite shares 2 cores, and tiny steps do not gain from threads
G="gcsetrain -q --threads 1 --init $M -b 8 --lr 1e-3 --warmup 0"
NM="jq -c 'del(.examples_per_s)'"   # the metrics without the timing

# ---- usage --------------------------------------------------------------------
t_ok "help lists every option" "gcsetrain --help > $T/help &&
  for o in init config vocab vocab-from-vectors vocab-from-words vocab-size cased init-vectors vectors-rms resume \
    loss temperature sigma gate gate-on gate-from fresh-head mlm-probability whole-word-mask frozen word-repeat out epochs batch-size lr max-length warmup \
    max-steps weight-decay adamw grad-clip dropout hidden-dropout attention-dropout seed \
    no-shuffle log-every eval eval-every save-every checkpoint-dir threads skip-bad quiet \
    progress help version; do grep -q -- \"--\$o\" $T/help || { echo missing \$o; exit 1; }; done"
t_case "no --out" 2 empty '^gcsetrain: --out DIR is required' "gcsetrain --init $M $S"
t_case "no model" 2 empty 'give the model' "gcsetrain --out $T/x $S"
t_case "config without vocabulary" 2 empty 'needs one vocabulary' "gcsetrain --config $D/tiny-config.json --out $T/x $S"
t_case "bad loss name" 2 empty "^gcsetrain: --loss: expected simcse, contrastive, gcse, mlm or distill, got 'x'" "$G --out $T/x --loss x $S"
t_case "bad number" 2 empty 'gcsetrain: .*--lr' "$G --out $T/x --lr abc $S"
t_case "frozen is for gcse" 2 empty 'frozen DIR is for --loss gcse' "$G --out $T/x --frozen $M $S"
t_case "max-length over the model" 2 empty 'at most 16 tokens' "$G --out $T/x --max-length 17 $S"
jq -c 'del(.neg_logit)' $X > "$T/nologit.ndjson"
t_case "gcse without s' nor --frozen" 2 empty "needs the frozen model's similarity.*--frozen DIR" \
  "$G --out $T/x --loss gcse $T/nologit.ndjson"

# ---- bad input ------------------------------------------------------------------
printf '%s\n' '{"text":"a cat"}' '{"txt":"a dog"}' '{"text":"the sun"}' '{"text":3}' > "$T/bad.ndjson"
t_case "bad record: file, line, field" 1 empty "^gcsetrain: $T/bad.ndjson:2: field \"text\": missing\$" \
  "$G --out $T/x $T/bad.ndjson"
t_case "skip-bad skips and counts" 0 - 'skipped 2 bad lines' "$G --out $T/skip --skip-bad $T/bad.ndjson"
t_case "triples need text1, text2, neg" 1 empty ':1: field "text1": missing' "$G --out $T/x --loss contrastive $S"
printf '%s\n' '{"text1":"a","text2":"b","neg":"c","neg_logit":3}' '{"text1":"a","text2":"b","neg":"c"}' > "$T/half.ndjson"
t_case "one record without s'" 1 empty ':2: field "neg_logit": missing' "$G --out $T/x --loss gcse $T/half.ndjson"
t_case "no examples" 1 empty 'no training examples' "$G --out $T/x < /dev/null"

# ---- the output folder ----------------------------------------------------------
# (issue 15 D3) --out is checked and made before the first step, not after
# the whole run
: > "$T/afile"
t_case "--out under a file: refused before training" 1 empty "$T/afile/x: Not a directory" \
  "$G --out $T/afile/x $S"
t_case "--out is a file: refused before training" 1 empty "$T/afile: not a directory" "$G --out $T/afile $S"
t_case "--out with missing parents: made" 0 - empty \
  "$G --out $T/new/a/b $S > /dev/null && [ -s $T/new/a/b/model.safetensors ]"
# (issue 15 D4) one run at a time in an output folder (and in a checkpoint
# folder): a second run is refused, not mixed into the first one's files
$G -b 4 --epochs 400 --save-every 50 --out "$T/lk" $S > /dev/null 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null && [ ! -f "$T/lk/checkpoint/train.safetensors" ]; do sleep 0.01; done
if ! kill -0 $pid 2>/dev/null; then
  t_skip "a second run into a busy --out is refused" "the first run finished too soon"
else
  t_case "a second run into a busy --out is refused" 1 empty "^gcsetrain: $T/lk is in use by another process \\(pid $pid holds" \
    "$G --out $T/lk --max-steps 1 $S"
  t_case "a second run into a busy --checkpoint-dir is refused" 1 empty "$T/lk/checkpoint is in use by another process" \
    "$G --out $T/lk2 --save-every 1 --checkpoint-dir $T/lk/checkpoint --max-steps 1 $S"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null
t_case "the folder is free again once the run is gone" 0 - empty "$G --out $T/lk --max-steps 1 $S > /dev/null"

# (issue 15 D5) standard output closed early: the metrics are lost, the run
# is not: it trains to the end and writes the same model (exit 0), or fails
$G --out "$T/hc0" -b 4 --epochs 20 $S > /dev/null
if command -v python3 > /dev/null; then
  t_case "stdout closed before the first record: the run still ends with its model" 0 empty \
    'standard output is closed at step 1: no more metrics records' \
    "python3 -c 'import os, subprocess, sys; r, w = os.pipe(); os.close(r); sys.exit(subprocess.run(sys.argv[1:], stdout=w).returncode)' \
       $G --out $T/hc1 -b 4 --epochs 20 $S && cmp $T/hc0/model.safetensors $T/hc1/model.safetensors"
else
  t_skip "stdout closed before the first record: the run still ends with its model" "no python3"
fi
t_case "| head -1: the run still ends with its model, exit 0" 0 - - \
  "{ $G --out $T/hc2 -b 4 --epochs 20 $S; echo \$? > $T/hc2.rc; } | head -1 > /dev/null &&
   [ \"\$(cat $T/hc2.rc)\" = 0 ] && cmp $T/hc0/model.safetensors $T/hc2/model.safetensors"

# ---- training runs ------------------------------------------------------------
t_case "simcse: one record per step, model written" 0 - empty \
  "$G --out $T/s --epochs 2 $S > $T/s.out && [ \$(wc -l < $T/s.out) -eq 10 ] &&
   jq -e 'has(\"step\") and has(\"epoch\") and has(\"loss\") and has(\"lr\") and has(\"examples_per_s\")' $T/s.out > /dev/null &&
   jq -s -e '.[-1] | .step == 10 and .epoch == 2' $T/s.out > /dev/null &&
   for f in config.json model.safetensors vocab.txt tokenizer_config.json mlp_head.safetensors; do
     [ -s $T/s/\$f ] || exit 1; done && cmp $M/vocab.txt $T/s/vocab.txt"
t_case "embed reads the written model" 0 - empty \
  "head -3 $S | embed -q -m $T/s | jq -e '.embedding | length == 16' > /dev/null"
t_case "the written model loads again (and stdin input)" 0 - empty \
  "gcsetrain -q --threads 1 --init $T/s --out $T/s2 --max-steps 1 < $S > /dev/null"
t_case "log-every averages" 0 - empty \
  "$G --out $T/l --epochs 2 --log-every 4 $S | jq -c .step | tr '\n' ' ' | grep -qx '4 8 10 '"
t_case "contrastive" 0 - empty "$G --out $T/c --loss contrastive $X | jq -e '.loss > 0' > /dev/null"
t_case "gcse with stored logits: gate reported" 0 - empty \
  "$G --out $T/g --loss gcse --word-repeat --gate symmetric $X | jq -e 'has(\"gate\")' > /dev/null"
jq -c '.neg_cosine = .neg_logit * 0.05 | del(.neg_logit)' $X > "$T/cosine.ndjson"
t_case "neg_cosine is neg_logit times tau" 0 - empty \
  "$G --out $T/g1 --loss gcse $X | $NM > $T/g1.out && $G --out $T/g2 --loss gcse $T/cosine.ndjson | $NM > $T/g2.out && cmp $T/g1.out $T/g2.out"
# The gate at step 0 when the model is its own E' (METHOD.md section 5: at the
# start the model equals E', d is about 0, G about 1): --init brings E''s MLP
# head and --frozen computes s' through it (or in [CLS] space with --gate-on
# cls), so without dropout every gate is open, one-sided too; a fresh head
# (--fresh-head) puts s in another space and shuts them; dropout in s moves
# d by more than sigma, unless s comes from a clean forward (--gate-from clean).
GF="$G --loss gcse --frozen $M --max-steps 1 $T/nologit.ndjson"
t_case "the model as its own E', no dropout: every gate open (head space, one-sided)" 0 - empty \
  "$GF --out $T/g0 --dropout 0 | jq -e '.gate > 0.99999' > /dev/null"
t_case "the same in [CLS] space (--gate-on cls)" 0 - empty \
  "$GF --out $T/gc --dropout 0 --gate-on cls | jq -e '.gate > 0.99999' > /dev/null"
t_case "--fresh-head: s in another space, the gates shut" 0 - empty \
  "$GF --out $T/gf --dropout 0 --fresh-head --gate symmetric | jq -e '.gate < 0.5' > /dev/null"
t_case "with dropout, s moves by more than sigma: the gates shut" 0 - empty \
  "$GF --out $T/gd --dropout 0.1 | jq -e '.gate < 0.5' > /dev/null"
t_case "--gate-from clean: with dropout in training, every G is 1 at step 0" 0 - empty \
  "$GF --out $T/gk --dropout 0.1 --gate-from clean | jq -e '.gate > 0.99999' > /dev/null &&
   $GF --out $T/gk2 --dropout 0.1 --gate-from clean --gate-on cls | jq -e '.gate > 0.99999' > /dev/null"
t_ok "--gate-from clean: the training step is unchanged but for the gate (same bits with G = 0 either way)" \
  "$G --loss gcse --max-steps 2 --dropout 0.1 --out $T/gz1 $X | $NM | jq -c 'del(.gate)' > $T/gz1.out &&
   $G --loss gcse --max-steps 2 --dropout 0.1 --sigma 1e-6 --out $T/gz2 $X | $NM | jq -c 'del(.gate)' > $T/gz2.out &&
   $G --loss gcse --max-steps 2 --dropout 0.1 --sigma 1e-6 --gate-from clean --out $T/gz3 $X | $NM | jq -c 'del(.gate)' > $T/gz3.out &&
   cmp $T/gz2.out $T/gz3.out && cmp $T/gz2/model.safetensors $T/gz3/model.safetensors"
t_case "--init loads the directory's MLP head (said without -q)" 0 - 'continuing with its MLP head' \
  "gcsetrain --threads 1 --init $M -b 8 --max-steps 1 --out $T/h1 $S > /dev/null &&
   gcsetrain -q --threads 1 --init $T/h1 -b 8 --max-steps 1 --lr 0 --out $T/h2 $S > /dev/null &&
   cmp $T/h1/mlp_head.safetensors $T/h2/mlp_head.safetensors &&
   gcsetrain -q --threads 1 --init $T/h1 -b 8 --max-steps 1 --lr 0 --fresh-head --out $T/h3 $S > /dev/null &&
   ! cmp -s $T/h1/mlp_head.safetensors $T/h3/mlp_head.safetensors"
t_case "--gate-from needs gcse" 2 empty 'gate-from is for --loss gcse' "gcsetrain --init $M --gate-from clean --out $T/x $S"
t_case "--gate-from: bad value" 2 empty "expected dropout or clean, got 'x'" "gcsetrain --init $M --loss gcse --gate-from x --out $T/x $S"
t_case "--fresh-head needs --init" 2 empty 'fresh-head is for --init' \
  "gcsetrain --config $D/tiny-config.json --vocab $M/vocab.txt --fresh-head --out $T/x $S"
t_case "gate-on needs gcse" 2 empty 'gate-on is for --loss gcse' "gcsetrain --init $M --gate-on cls --out $T/x $S"
t_case "gate-on: bad space" 2 empty "expected head or cls, got 'mlp'" "gcsetrain --init $M --loss gcse --gate-on mlp --out $T/x $S"
t_case "gcse with --frozen" 0 - empty "$G --out $T/f --loss gcse --frozen $M $T/nologit.ndjson | jq -e '.gate >= 0' > /dev/null"
t_case "fresh model from word vectors" 0 - '12 of 61 token embeddings set from word vectors' \
  "gcsetrain --threads 1 -q --config $D/tiny-config.json --vocab-from-vectors $D/tiny.glove.txt.gz \
     --init-vectors $D/tiny.glove.txt.gz --out $T/v --max-steps 2 -b 4 $S > /dev/null &&
   [ \$(jq .vocab_size $T/v/config.json) -eq \$(wc -l < $T/v/vocab.txt) ]"
printf 'the 3\ncat\t2\n\n  sat 1\nrunning\n' > "$T/words.txt"
t_case "fresh model from a word list" 0 - - \
  "gcsetrain --threads 1 -q --config $D/tiny-config.json --vocab-from-words $T/words.txt \
     --out $T/w --max-steps 2 -b 4 $S > /dev/null &&
   sed -n '6,9p' $T/w/vocab.txt | tr '\n' ' ' | grep -qx 'the cat sat running ' &&
   grep -qx '##g' $T/w/vocab.txt && [ \$(jq .vocab_size $T/w/config.json) -eq \$(wc -l < $T/w/vocab.txt) ]"
t_case "word list: one vocabulary source only" 2 empty 'needs one vocabulary' \
  "gcsetrain --config $D/tiny-config.json --vocab-from-words $T/words.txt --vocab $D/tiny-model/vocab.txt --out $T/w2 $S"
t_case "word list: missing file" 1 - 'nowords.txt: No such file' \
  "gcsetrain --config $D/tiny-config.json --vocab-from-words $T/nowords.txt --out $T/w3 $S"
t_case "eval: spearman at eval steps, best kept" 0 - 'best eval Spearman' \
  "gcsetrain --threads 1 --init $M -b 8 --lr 1e-3 --epochs 2 --eval $D/sts.ndjson --eval-every 4 --out $T/e $S > $T/e.out &&
   jq -c 'has(\"eval_spearman\")' $T/e.out | tr '\n' ' ' | grep -qx 'false false false true false false false true false true '"

# ---- determinism ----------------------------------------------------------------
t_ok "same seed, same bytes; thread count does not matter" \
  "$G --out $T/d1 --dropout 0.2 --word-repeat $S | $NM > $T/d1.out &&
   gcsetrain -q --threads 2 --init $M -b 8 --lr 1e-3 --warmup 0 --out $T/d2 --dropout 0.2 --word-repeat $S | $NM > $T/d2.out &&
   cmp $T/d1.out $T/d2.out && cmp $T/d1/model.safetensors $T/d2/model.safetensors &&
   $G --out $T/d3 --dropout 0.2 --word-repeat --seed 7 $S | $NM > $T/d3.out && ! cmp -s $T/d1.out $T/d3.out"

# ---- SIGKILL and resume ---------------------------------------------------------
R="$G -b 4 --epochs 50 --save-every 7 --word-repeat $S"
$R --out "$T/ra" > "$T/ra.out" 2>/dev/null
kill_at_checkpoint "$R" "$T/rb" "$T/rb1.out"
if [ -f "$T/rb/model.safetensors" ]; then
  t_skip "killed run resumes exactly" "the run finished before the kill"
else
  # what a kill between write and rename leaves: a stray temporary
  : > "$T/rb/checkpoint/.train.safetensors.tmp.Zk9x3Q"
  t_case "killed run resumes exactly" 0 - 'resuming at step [0-9]+ of 500' \
    "$R --out $T/rb --resume $T/rb/checkpoint > $T/rb2.out &&
     s=\$(head -1 $T/rb2.out | jq .step) && [ \$s -gt 7 ] &&
     $NM $T/ra.out | tail -n +\$s > $T/ra.cmp && $NM $T/rb2.out > $T/rb.cmp && cmp $T/ra.cmp $T/rb.cmp &&
     cmp $T/ra/model.safetensors $T/rb/model.safetensors && cmp $T/ra/mlp_head.safetensors $T/rb/mlp_head.safetensors"
  t_ok "the resumed run removed the killed one's stray temporaries" \
    "[ -z \"\$(find $T/rb -name '.*.tmp.*')\" ]"
fi
t_case "resume refuses other settings" 2 empty 'other settings: lr: 0.001 \(checkpoint\) vs 0.002 \(now\)' \
  "$R --out $T/rb --resume $T/ra/checkpoint --lr 2e-3"
# (issue 15 D12) other data is a data error (exit 1) that says what differs
cp -r "$T/ra/checkpoint" "$T/rv"
sed -i 's/^cat$/kat/' "$T/rv/vocab.txt"
t_case "resume: an edited checkpoint vocabulary is named (exit 1)" 1 empty \
  "$T/rv/train.safetensors: the checkpoint's tokenizer \\(vocab.txt, tokenizer_config.json\\) has changed since the run started" \
  "$R --out $T/rv-out --resume $T/rv"
sed 's/child/dog/' $S > "$T/other.ndjson"
t_case "resume: other records, as many (exit 1)" 1 empty \
  'the input is not the data the run was trained on: the same number of examples \(40\) but other token ids' \
  "$G -b 4 --epochs 50 --save-every 7 --word-repeat --out $T/rv-out --resume $T/ra/checkpoint $T/other.ndjson"

# ---- a non-finite loss ----------------------------------------------------------
N="$G --lr 1e30 --save-every 1 --out $T/n $S"
t_case "non-finite loss stops, names the step" 1 - 'step 2: the loss is not finite.*checkpoint.*step 1\), is intact' "$N"
t_ok "the checkpoint before it still loads" \
  "$N --resume $T/n/checkpoint 2> $T/n.err; [ \$? -eq 1 ] && grep -q 'resuming at step 1 of 5' $T/n.err &&
   grep -q 'step 2: the loss is not finite' $T/n.err"
