# CLI tests of gcsetrain --loss distill on the tiny model: records from
# embed --vectors (a teacher of fewer dimensions), learning, the MLP head
# left alone, determinism across thread counts, SIGKILL + resume, and the
# errors (file, line, field) of bad teacher vectors.
. tests/cli/lib.sh
D=tests/data/train
M=$D/tiny-model
S=$D/sentences.ndjson
G="gcsetrain -q --threads 1 --init $M -b 8 --lr 3e-3 --loss distill"
NM="jq -c 'del(.examples_per_s)'"
# a 16-d teacher from the text's letters (the tiny model is 16 wide)
jq -c '{text, embedding: [range(16) as $i | (.text | explode | .[($i * 5) % length]) % 11 - 5]}' \
  $S > "$T/s16.ndjson"

t_ok "help names the loss and its field" "gcsetrain --help > $T/help &&
  grep -q -- '--loss distill' $T/help && grep -q -- '--target-field' $T/help"
t_case "a teacher from embed --vectors (3-d, zero-padded): one metrics record per step" 0 - - \
  "embed -q --vectors tests/data/wordavg/tiny.txt $S 2>/dev/null | $G --max-steps 3 --out $T/e - > $T/e.out &&
   [ \$(wc -l < $T/e.out) -eq 3 ] && jq -e '(.loss | . >= 0 and . <= 2) and (has(\"gate\") | not)' $T/e.out > /dev/null &&
   [ -s $T/e/model.safetensors ] && [ -s $T/e/mlp_head.safetensors ]"
t_ok "it learns: the loss of the last 10 steps under half the first 10's" \
  "$G --dropout 0 --epochs 40 --out $T/l $T/s16.ndjson > $T/l.out &&
   jq -s '(.[0:10] | map(.loss) | add) > 2 * (.[-10:] | map(.loss) | add)' $T/l.out | grep -qx true"
t_ok "the [CLS] vectors embed writes are now close to the teacher's (mean cosine over 0.7, under 0.3 before)" \
  "jq -c '{text, teacher: .embedding}' $T/s16.ndjson | embed -q -m $T/l --pooling cls > $T/l.emb &&
   jq -s 'map(. as \$r | [range(16)] | map(\$r.embedding[.] * \$r.teacher[.]) | add /
          (([\$r.embedding[] | . * .] | add | sqrt) * ([\$r.teacher[] | . * .] | add | sqrt)))
          | add / length > 0.7' $T/l.emb | grep -qx true &&
   jq -c '{text, teacher: .embedding}' $T/s16.ndjson | embed -q -m $M --pooling cls > $T/l0.emb &&
   jq -s 'map(. as \$r | [range(16)] | map(\$r.embedding[.] * \$r.teacher[.]) | add /
          (([\$r.embedding[] | . * .] | add | sqrt) * ([\$r.teacher[] | . * .] | add | sqrt)))
          | add / length < 0.3' $T/l0.emb | grep -qx true"
t_ok "--target-field names another field" \
  "jq -c '{text, t: .embedding}' $T/s16.ndjson > $T/tf.ndjson &&
   $G --max-steps 2 --out $T/tf --target-field t $T/tf.ndjson | $NM > $T/tf.out &&
   $G --max-steps 2 --out $T/tf0 $T/s16.ndjson | $NM > $T/tf0.out && cmp $T/tf.out $T/tf0.out"
t_ok "the MLP head is carried along untouched (2 steps and 200 write the same)" \
  "cmp $T/tf0/mlp_head.safetensors $T/l/mlp_head.safetensors"
t_ok "same seed, same bytes; thread count does not matter" \
  "$G --epochs 2 --out $T/d1 $T/s16.ndjson | $NM > $T/d1.out &&
   gcsetrain -q --threads 2 --init $M -b 8 --lr 3e-3 --loss distill --epochs 2 --out $T/d2 $T/s16.ndjson | $NM > $T/d2.out &&
   cmp $T/d1.out $T/d2.out && cmp $T/d1/model.safetensors $T/d2/model.safetensors"

# ---- SIGKILL and resume ---------------------------------------------------------
R="$G -b 4 --epochs 60 --save-every 7 $T/s16.ndjson"
$R --out "$T/ra" > "$T/ra.out" 2>/dev/null
kill_at_checkpoint "$R" "$T/rb" "$T/rb1.out"
if [ -f "$T/rb/model.safetensors" ]; then
  t_skip "distill: killed run resumes exactly" "the run finished before the kill"
else
  t_case "distill: killed run resumes exactly" 0 - 'resuming at step [0-9]+ of 600' \
    "$R --out $T/rb --resume $T/rb/checkpoint > $T/rb2.out &&
     s=\$(head -1 $T/rb2.out | jq .step) && [ \$s -gt 7 ] &&
     $NM $T/ra.out | tail -n +\$s > $T/ra.cmp && $NM $T/rb2.out > $T/rb.cmp && cmp $T/ra.cmp $T/rb.cmp &&
     cmp $T/ra/model.safetensors $T/rb/model.safetensors"
fi
jq -c '.embedding[0] += 1' $T/s16.ndjson > "$T/s16b.ndjson"
t_case "resume refuses other teacher vectors" 1 empty 'not the data the run was trained on.*teacher vectors' \
  "$G -b 4 --epochs 60 --save-every 7 --out $T/rc --resume $T/ra/checkpoint $T/s16b.ndjson"

# ---- usage and input errors ------------------------------------------------------
t_case "--target-field is for distill" 2 empty 'is for --loss distill' \
  "gcsetrain --init $M --out $T/x --target-field e $S"
t_case "--word-repeat is not for distill" 2 empty 'not for --loss distill' \
  "$G --out $T/x --word-repeat $T/s16.ndjson"
t_case "--fresh-head is not for distill" 2 empty 'fresh-head' "$G --out $T/x --fresh-head $T/s16.ndjson"
t_case "records without the teacher: file, line, field" 1 empty \
  "^gcsetrain: $S:1: field \"embedding\": missing\$" "$G --out $T/x $S"
{ head -2 $T/s16.ndjson; jq -c '.embedding |= .[0:15]' $T/s16.ndjson | sed -n 3p; } > "$T/short.ndjson"
t_case "a vector of another length: file, line, field" 1 empty \
  "^gcsetrain: $T/short.ndjson:3: field \"embedding\": expected 16 numbers, got 15\$" \
  "$G --out $T/x $T/short.ndjson"
{ head -1 $T/s16.ndjson; printf '%s\n' '{"text":"a cat","embedding":[1,"x",3]}'; } > "$T/str.ndjson"
t_case "a vector with a string in it" 1 empty 'str.ndjson:2: field "embedding": (expected 16 numbers|element 1)' \
  "$G --out $T/x $T/str.ndjson"
t_case "--skip-bad skips it and says so" 0 - 'skipped 1 bad line' \
  "$G --max-steps 1 --skip-bad --out $T/sk $T/str.ndjson > /dev/null"
jq -c '.embedding += [1]' $T/s16.ndjson > "$T/s17.ndjson"
t_case "a teacher wider than the model" 1 empty 'have 17 numbers, more than the model.s hidden size 16' \
  "$G --out $T/x $T/s17.ndjson"
