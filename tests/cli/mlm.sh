# CLI tests of gcsetrain --loss mlm (masked-LM pretraining) on the tiny model:
# the metrics, the directory BertForMaskedLM writes (names, read back by
# embed as a plain encoder, its head continued by --init), learning, whole
# words, determinism across thread counts, SIGKILL + resume, usage errors.
. tests/cli/lib.sh
D=tests/data/train
M=$D/tiny-model
S=$D/sentences.ndjson
G="gcsetrain -q --threads 1 --init $M -b 8 --lr 1e-3 --loss mlm"
NM="jq -c 'del(.examples_per_s)'"

# the tensor names of a safetensors file, one per line, sorted
cat > "$T/names.sh" << 'SH'
n=$(od -An -tu8 -N8 "$1" | tr -d ' ')
dd if="$1" bs=1 skip=8 count="$n" 2> /dev/null | jq -r 'keys[] | select(. != "__metadata__")' | sort
SH
NAMES="sh $T/names.sh"

t_ok "help names the loss and its options" "gcsetrain --help > $T/help &&
  grep -q -- '--loss mlm' $T/help && grep -q -- '--mlm-probability' $T/help && grep -q -- '--whole-word-mask' $T/help"
t_case "metrics: loss and accuracy per record" 0 - - \
  "$G --epochs 2 --out $T/a $S > $T/a.out && [ \$(wc -l < $T/a.out) -eq 10 ] &&
   jq -e '(.loss | . > 0 and . < 20) and (.accuracy | . >= 0 and . <= 1) and (has(\"gate\") | not)' $T/a.out > /dev/null"
t_ok "the directory is BertForMaskedLM's: encoder under bert., the head as cls.predictions.*, no MLP head" \
  "$NAMES $T/a/model.safetensors > $T/a.names &&
   grep -qx 'bert.embeddings.word_embeddings.weight' $T/a.names &&
   grep -qx 'bert.encoder.layer.1.output.LayerNorm.bias' $T/a.names &&
   grep -qx 'cls.predictions.transform.dense.weight' $T/a.names &&
   grep -qx 'cls.predictions.transform.LayerNorm.weight' $T/a.names &&
   grep -qx 'cls.predictions.bias' $T/a.names &&
   ! grep -q 'decoder\\|pooler\\|^embeddings' $T/a.names && [ ! -e $T/a/mlp_head.safetensors ] &&
   [ -s $T/a/vocab.txt ] && [ -s $T/a/config.json ]"
t_ok "embed reads it as a plain encoder, and it has moved from the start" \
  "jq -c '{text}' $S | head -5 > $T/t5 &&
   embed -q -m $T/a $T/t5 > $T/ea && embed -q -m $M $T/t5 > $T/e0 &&
   [ \$(wc -l < $T/ea) -eq 5 ] && ! cmp -s $T/ea $T/e0"
t_case "--init from it continues with its head" 0 - 'continuing with its masked-LM head' \
  "gcsetrain --threads 1 --init $T/a -b 8 --loss mlm --max-steps 2 --out $T/a2 $T/t5 > /dev/null"
t_case "--init from a plain encoder: a fresh head, said" 0 - 'no masked-LM head; a fresh one' \
  "gcsetrain --threads 1 --init $M -b 8 --loss mlm --max-steps 1 --out $T/a3 $S > /dev/null"
t_ok "it learns: on the same 8 sentences, the last 20 steps' loss under half the first 20's, accuracy over 0.3" \
  "head -8 $S > $T/s8 &&
   $G --lr 3e-3 --mlm-probability 0.5 --dropout 0 --epochs 150 --no-shuffle --out $T/l $T/s8 > $T/l.out &&
   jq -s '((.[0:20] | map(.loss) | add) > 2 * (.[-20:] | map(.loss) | add)) and
          ((.[-20:] | map(.accuracy) | add) / 20 > 0.3)' $T/l.out | grep -qx true"
# the tiny vocabulary has no ## pieces: one with them, where "sitting" is sit ##ting
mkdir -p "$T/pc" && cp $M/config.json $M/model.safetensors "$T/pc/" &&
  sed -e 's/^sky$/##ting/' -e 's/^sea$/##s/' $M/vocab.txt > "$T/pc/vocab.txt"
printf '%s\n' '{"text":"cats sitting on mats"}' '{"text":"dogs sitting in parks"}' > "$T/pc.ndjson"
t_ok "whole-word masking draws other positions" \
  "gcsetrain -q --threads 1 --init $T/pc --loss mlm --epochs 6 -b 2 --whole-word-mask --mlm-probability 0.5 --out $T/w $T/pc.ndjson 2>/dev/null | $NM > $T/w.out &&
   gcsetrain -q --threads 1 --init $T/pc --loss mlm --epochs 6 -b 2 --mlm-probability 0.5 --out $T/w0 $T/pc.ndjson 2>/dev/null | $NM > $T/w0.out &&
   [ -s $T/w.out ] && ! cmp -s $T/w.out $T/w0.out"
t_ok "same seed, same bytes; thread count does not matter" \
  "$G --epochs 2 --dropout 0.2 --out $T/d1 $S | $NM > $T/d1.out &&
   gcsetrain -q --threads 2 --init $M -b 8 --lr 1e-3 --loss mlm --epochs 2 --dropout 0.2 --out $T/d2 $S | $NM > $T/d2.out &&
   cmp $T/d1.out $T/d2.out && cmp $T/d1/model.safetensors $T/d2/model.safetensors"

# ---- SIGKILL and resume ---------------------------------------------------------
R="$G -b 4 --epochs 50 --save-every 7 $S"
$R --out "$T/ra" > "$T/ra.out" 2>/dev/null
kill_at_checkpoint "$R" "$T/rb" "$T/rb1.out"
if [ -f "$T/rb/model.safetensors" ]; then
  t_skip "mlm: killed run resumes exactly" "the run finished before the kill"
else
  t_case "mlm: killed run resumes exactly (head, masks and accuracy window included)" 0 - \
    'resuming at step [0-9]+ of 500' \
    "$R --out $T/rb --resume $T/rb/checkpoint > $T/rb2.out &&
     s=\$(head -1 $T/rb2.out | jq .step) && [ \$s -gt 7 ] &&
     $NM $T/ra.out | tail -n +\$s > $T/ra.cmp && $NM $T/rb2.out > $T/rb.cmp && cmp $T/ra.cmp $T/rb.cmp &&
     cmp $T/ra/model.safetensors $T/rb/model.safetensors"
fi
t_case "resume refuses another masking probability" 2 empty \
  'other settings: mlm_probability: 0.15 \(checkpoint\) vs 0.2 \(now\)' \
  "$R --out $T/rc --resume $T/ra/checkpoint --mlm-probability 0.2"

# ---- usage and input errors ------------------------------------------------------
t_case "--mlm-probability is for mlm" 2 empty 'are for --loss mlm' \
  "gcsetrain --init $M --out $T/x --mlm-probability 0.2 $S"
t_case "--whole-word-mask is for mlm" 2 empty 'are for --loss mlm' \
  "gcsetrain --init $M --out $T/x --whole-word-mask $S"
t_case "--mlm-probability 0" 2 empty 'mlm-probability' "$G --out $T/x --mlm-probability 0 $S"
t_case "--mlm-probability above 1" 2 empty 'mlm-probability' "$G --out $T/x --mlm-probability 1.5 $S"
t_case "--word-repeat is not for mlm" 2 empty 'not for --loss mlm' "$G --out $T/x --word-repeat $S"
mkdir -p "$T/nomask" && cp $M/config.json $M/model.safetensors "$T/nomask/" &&
  grep -vx '\[MASK\]' $M/vocab.txt > "$T/nomask/vocab.txt" && echo '[unused0]' >> "$T/nomask/vocab.txt"
t_case "a vocabulary without [MASK]" 1 empty 'no \[MASK\] token' \
  "gcsetrain --init $T/nomask --loss mlm --out $T/x $S"
printf '%s\n' '{"text":"a cat"}' '{"txt":"a dog"}' > "$T/bad.ndjson"
t_case "bad record: file, line, field" 1 empty "^gcsetrain: $T/bad.ndjson:2: field \"text\": missing\$" \
  "$G --out $T/x $T/bad.ndjson"
