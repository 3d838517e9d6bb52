# The demo pipeline (examples/Makefile) in miniature: every stage runs on the
# real programs, the report has every section, and a rerun does nothing.
. tests/cli/lib.sh
if [ ! -r /usr/share/wordnet/data.noun ]; then
	t_skip "demo pipeline" "no WordNet in /usr/share/wordnet (Debian: wordnet-base)"
	return 0 2>/dev/null || exit 0
fi
D="make -s --no-print-directory -C examples BIN=$GCSE_BUILD/bin OUT=$T/demo LIMIT=480 Q=-q"
D="$D CONFIG=tiny-bert-config.json SEED=3"
D="$D S1_OPTS='--loss distill -b 16 --lr 1e-3 --max-steps 4 --max-length 16 --threads 1'"
D="$D S2_OPTS='-b 16 --lr 1e-3 --max-steps 3 --max-length 16 --threads 1'"
t_case "demo: the whole pipeline runs" 0 - - "$D > $T/demo.out 2> $T/demo.err"
t_ok "demo: the report has every stage" "
  grep -q '^== 1 sentences: 480 WordNet example sentences' $T/demo.out &&
  grep -q '^== 4 triples' $T/demo.out && grep -q \"^== 5 stage 2: GCSE from E1 on \$(wc -l < $T/demo/triples.ndjson) triples\" $T/demo.out &&
  grep -Eq '^E1  \{\"n\":[0-9]+,\"correct\":[0-9]+,\"accuracy\":[0-9.]+\}' $T/demo/report.txt &&
  grep -Eq '^E2  \{\"n\":[0-9]+' $T/demo/report.txt && grep -q '^== 7 sample' $T/demo/report.txt &&
  [ \$(sed -n '/^== 7/,/^== wall/p' $T/demo/report.txt | grep -c '	') -eq 6 ] &&
  [ \$(wc -l < $T/demo/E1.metrics.ndjson) -eq 1 ] && jq -e '.step == 4' $T/demo/E1.metrics.ndjson > /dev/null &&
  jq -e '.step == 3 and .gate >= 0' $T/demo/E2.metrics.ndjson > /dev/null"
# Stage 2's triples come from word senses, in both pairings, from the
# sentences (the example's sense) and from the vocabulary's words alone
# (a negative the 4-step E1 scores at cosine 1 may fall back to another
# sentence: its last bits depend on the GEMM backend).
t_ok "demo: stage 2 triples are sense pairs, from sentences and from words" "
  [ \$(wc -l < $T/demo/triples.ndjson) -gt 1000 ] &&
  [ \"\$(jq -r .pos_kind $T/demo/triples.ndjson | sort -u | tr '\\n' ,)\" = 'gloss,sense_synonym,' ] &&
  jq -r .neg_kind $T/demo/triples.ndjson | grep -qx gloss_swap && jq -r .neg_kind $T/demo/triples.ndjson | grep -qx sense_swap &&
  jq -r .text $T/demo/vocab-words.ndjson > $T/words && jq -r .text1 $T/demo/triples.ndjson > $T/anchors &&
  grep -qxFf $T/words $T/anchors && grep -vxFf $T/words $T/anchors | grep -q ' '"
t_ok "demo: held-out sentences are not trained on" "
  [ \$(wc -l < $T/demo/heldout.ndjson) -eq 10 ] && [ \$(wc -l < $T/demo/train.ndjson) -eq 470 ] &&
  jq -r .text1 $T/demo/triples.ndjson > $T/anchors.txt &&
  ! jq -r .text $T/demo/heldout.ndjson | grep -Fxf - $T/anchors.txt > /dev/null"
t_ok "demo: WordNet vectors as wide as the model, a teacher vector per training sentence and per vocabulary word" "
  [ \$(head -1 $T/demo/wnvectors.txt | wc -w) -eq 17 ] &&
  [ \$(wc -l < $T/demo/glosses.ndjson) -eq 480 ] &&
  jq -e 'select(.source != \"wordnet-gloss\")' $T/demo/glosses.ndjson | [ \$(wc -c) -eq 0 ] &&
  nw=\$(wc -l < $T/demo/words.txt) && [ \$(wc -l < $T/demo/vocab-words.ndjson) -eq \$nw ] &&
  [ \$(wc -l < $T/demo/teacher.ndjson) -eq \$((470 + nw)) ] &&
  [ \"\$(sed -n 471p $T/demo/teacher.ndjson | jq -r .text)\" = \"\$(head -1 $T/demo/words.txt)\" ] &&
  jq -e '.embedding | length == 16' $T/demo/teacher.ndjson > /dev/null &&
  grep -q \"^== 3 stage 1: distillation of the SIF vectors of 470 sentences and \$nw words into a fresh model\" $T/demo.out"
t_ok "demo: a rerun has nothing to do" "$D -q $T/demo/report.txt"
t_ok "demo: the word list vocabulary came from the sentences and glosses, all of it" "
  jq -e '.vocab_size > 100' $T/demo/E1/config.json > /dev/null && grep -qx 'the' $T/demo/E1/vocab.txt &&
  jq -r .text $T/demo/train.ndjson | tr -cs \"[:alnum:]'\" '\\n' | tr '[:upper:]' '[:lower:]' > $T/trainwords &&
  w=\$(grep -vxFf $T/trainwords $T/demo/words.txt | grep -v \"'\" | tail -1) &&
  [ -n \"\$w\" ] && grep -qx \"\$w\" $T/demo/E1/vocab.txt"
# Training checkpoints every SAVE_EVERY steps; when the model is missing but a
# checkpoint is there (a killed run), the rule resumes instead of restarting.
t_case "demo: training resumes from its checkpoint" 0 - 'resuming E1' "
  rm -rf $T/demo/E1 && $D SAVE_EVERY=2 $T/demo/E1/model.safetensors > /dev/null 2>&1 &&
  [ -f $T/demo/E1/checkpoint/train.safetensors ] && rm $T/demo/E1/model.safetensors &&
  $D SAVE_EVERY=2 $T/demo/E1/model.safetensors > /dev/null && [ -f $T/demo/E1/model.safetensors ]"
