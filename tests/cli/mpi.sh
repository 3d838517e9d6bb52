# CLI tests of gcsetrain over MPI (issue 8), 2 ranks on localhost and the
# tiny model of tests/data/train: 2 ranks with a global batch of 16 (8 each)
# follow the 1-rank batch-16 trajectory (simcse, contrastive, gcse with word
# repetition, mlm, distill; dropout off), rank 0 alone writes, standard input reaches every
# rank, a rank's error ends the job, a SIGKILLed 2-rank run resumes exactly,
# and a 2-rank checkpoint resumes with 1 rank.
. tests/cli/lib.sh
D=tests/data/train
M=$D/tiny-model
S=$D/sentences.ndjson
X=$D/triples.ndjson
if ! gcsetrain --version | grep -q '^built with MPI'; then
	t_skip "gcsetrain over MPI" "gcsetrain was built without MPI (no mpicc; make MPI=1 requires it)"
	exit 0
fi
if ! command -v mpirun > /dev/null; then
	t_skip "gcsetrain over MPI" "mpirun is not installed (Debian: openmpi-bin)"
	exit 0
fi
# CI runs as root, which Open MPI refuses unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Two ranks on a shared 2-core machine: allow oversubscription, no core
# binding, shared memory and self transports only (no network). Under
# SANITIZE=1, ASan's leak checker reports Open MPI's own allocations at
# exit: leak checking is off for these runs only.
MPI="timeout 120 env ASAN_OPTIONS=detect_leaks=0 mpirun --oversubscribe --bind-to none --mca btl self,vader -x ASAN_OPTIONS -np 2"
G="gcsetrain -q --threads 1 --init $M --lr 1e-3 --warmup 0 --dropout 0"
NM="jq -c 'del(.examples_per_s)'"   # the metrics without the timing

# "$SAME A B": the same steps in the same order (at least 2), losses within 1e-5
cat > "$T/same.sh" << 'EOF'
jq -r '"\(.step) \(.loss)"' "$1" > "$1.sl" && jq -r '"\(.step) \(.loss)"' "$2" > "$2.sl" &&
[ "$(wc -l < "$1.sl")" -eq "$(wc -l < "$2.sl")" ] &&
paste -d' ' "$1.sl" "$2.sl" | awk '
	{ n++; d = $2 - $4; if (d < 0) d = -d; if ($1 != $3 || d > 1e-5) { print "step " $1 ": " $2 " vs " $4 > "/dev/stderr"; bad = 1 } }
	END { exit bad || n < 2 }'
EOF
SAME="sh $T/same.sh"

# ---- 2 ranks x 8 == 1 rank x 16 -------------------------------------------------
t_case "simcse: 2 ranks x 8 follow 1 rank x 16, one record per step" 0 - empty \
  "$G -b 16 --epochs 5 --out $T/s1 $S > $T/s1.out &&
   $MPI $G -b 16 --epochs 5 --save-every 6 --out $T/s2 $S > $T/s2.out &&
   [ \$(wc -l < $T/s2.out) -eq 15 ] && $SAME $T/s1.out $T/s2.out"
t_case "contrastive: 2 ranks follow 1 rank" 0 - empty \
  "$G -b 16 --epochs 3 --loss contrastive --out $T/c1 $X > $T/c1.out &&
   $MPI $G -b 16 --epochs 3 --loss contrastive --out $T/c2 $X > $T/c2.out && $SAME $T/c1.out $T/c2.out"
t_case "gcse with word repetition: 2 ranks follow 1 rank" 0 - empty \
  "$G -b 16 --epochs 3 --loss gcse --word-repeat --out $T/g1 $X > $T/g1.out &&
   $MPI $G -b 16 --epochs 3 --loss gcse --word-repeat --out $T/g2 $X > $T/g2.out && $SAME $T/g1.out $T/g2.out &&
   jq -e 'has(\"gate\")' $T/g2.out > /dev/null"
t_case "gcse --gate-on cls: 2 ranks follow 1 rank (gathered [CLS] gates)" 0 - empty \
  "$G -b 16 --epochs 3 --loss gcse --gate-on cls --gate symmetric --out $T/gc1 $X > $T/gc1.out &&
   $MPI $G -b 16 --epochs 3 --loss gcse --gate-on cls --gate symmetric --out $T/gc2 $X > $T/gc2.out &&
   $SAME $T/gc1.out $T/gc2.out && jq -e '.gate > 0' $T/gc2.out > /dev/null"
t_case "gcse --gate-from clean: 2 ranks follow 1 rank (gathered clean gates)" 0 - empty \
  "$G -b 16 --epochs 3 --loss gcse --gate-from clean --out $T/gk1 $X > $T/gk1.out &&
   $MPI $G -b 16 --epochs 3 --loss gcse --gate-from clean --out $T/gk2 $X > $T/gk2.out &&
   $SAME $T/gk1.out $T/gk2.out && jq -e '.gate > 0' $T/gk2.out > /dev/null"
t_case "mlm: 2 ranks follow 1 rank (masks drawn on the global batch, loss over all positions)" 0 - empty \
  "$G -b 16 --epochs 4 --loss mlm --mlm-probability 0.3 --out $T/m1 $S > $T/m1.out &&
   $MPI $G -b 16 --epochs 4 --loss mlm --mlm-probability 0.3 --out $T/m2 $S > $T/m2.out &&
   $SAME $T/m1.out $T/m2.out && jq -e 'has(\"accuracy\")' $T/m2.out > /dev/null"
jq -c '{text, embedding: [range(12) as $i | (.text | explode | .[($i * 3) % length]) % 7 - 3]}' $S > "$T/dis.ndjson"
t_case "distill: 2 ranks follow 1 rank (teacher vectors sent to every rank, loss over the global batch)" 0 - empty \
  "$G -b 16 --epochs 4 --loss distill --out $T/di1 $T/dis.ndjson > $T/di1.out &&
   $MPI $G -b 16 --epochs 4 --loss distill --out $T/di2 $T/dis.ndjson > $T/di2.out &&
   $SAME $T/di1.out $T/di2.out"
t_case "uneven shares: 3 examples per step, and 1 (rank 1 idle)" 0 - empty \
  "$G -b 3 --max-steps 6 --loss contrastive --out $T/u1 $X > $T/u1.out &&
   $MPI $G -b 3 --max-steps 6 --loss contrastive --out $T/u2 $X > $T/u2.out && $SAME $T/u1.out $T/u2.out &&
   $G -b 1 --max-steps 3 --loss contrastive --out $T/v1 $X > $T/v1.out &&
   $MPI $G -b 1 --max-steps 3 --loss contrastive --out $T/v2 $X > $T/v2.out && $SAME $T/v1.out $T/v2.out"

# ---- rank 0 writes, rank 0 reads -------------------------------------------------
t_case "standard input: rank 0 reads, every rank trains on it" 0 - empty \
  "$MPI $G -b 16 --epochs 5 --out $T/i2 < $S > $T/i2.out && $NM $T/s2.out > $T/a && $NM $T/i2.out > $T/b && cmp $T/a $T/b"
t_case "eval and messages: rank 0 alone" 0 - '^gcsetrain: best eval Spearman' \
  "$MPI gcsetrain --threads 1 --init $M -b 8 --lr 1e-3 --max-steps 5 --eval $D/sts.ndjson --eval-every 2 \
     --progress --out $T/e $S > $T/e.out 2> $T/e.err; rc=\$?; cat $T/e.err >&2; [ \$rc -eq 0 ] &&
   [ \"\$(jq -c 'has(\"eval_spearman\")' $T/e.out | tr '\n' ' ')\" = 'false true false true true ' ] &&
   [ \$(grep -c 'best eval' $T/e.err) -eq 1 ] && ! grep -q 'gcsetrain\\[' $T/e.err &&
   [ -s $T/e/model.safetensors ]"
printf '%s\n' '{"text":"a cat"}' '{"txt":"a dog"}' > "$T/bad.ndjson"
t_case "a bad record ends every rank" 1 - "^gcsetrain: $T/bad.ndjson:2: field \"text\": missing\$" \
  "$MPI $G --out $T/x $T/bad.ndjson"
t_case "usage error under mpirun" 2 - "^gcsetrain: --lr: 'x' is not a number" "$MPI $G --lr x --out $T/x $S"
t_ok "usage error under mpirun: printed once, by rank 0" \
  "! $MPI $G --lr x --out $T/x $S 2> $T/usage.err && [ \$(grep -c 'is not a number' $T/usage.err) -eq 1 ]"

# ---- resume ------------------------------------------------------------------------
t_case "a 2-rank checkpoint resumes with 1 rank" 0 - 'resuming at step 12 of 15' \
  "$G -b 16 --epochs 5 --save-every 6 --out $T/s3 --resume $T/s2/checkpoint $S > $T/s3.out &&
   tail -n 3 $T/s2.out > $T/s2.tail && $SAME $T/s2.tail $T/s3.out"
# dropout on (the model's 0.1) and word repetition: the same ranks resume bit for bit
R="gcsetrain -q --threads 1 --init $M --lr 1e-3 --warmup 0 -b 4 --epochs 50 --save-every 7 --word-repeat $S"
$MPI $R --out "$T/ra" > "$T/ra.out" 2>/dev/null
$MPI $R --out "$T/rb" > "$T/rb1.out" 2>/dev/null &
pid=$!
while kill -0 $pid 2>/dev/null && [ ! -f "$T/rb/checkpoint/train.safetensors" ]; do sleep 0.01; done
# SIGKILL the ranks (mpirun's children), as a crash would; mpirun then ends
kids=
for f in /proc/[0-9]*/stat; do
	read -r p _c _s pp _rest < "$f" 2>/dev/null && [ "$pp" = "$pid" ] && kids="$kids $p"
done
[ -n "$kids" ] && kill -9 $kids 2>/dev/null
wait $pid 2>/dev/null
if [ -f "$T/rb/model.safetensors" ]; then
	t_skip "killed 2-rank run resumes exactly" "the run finished before the kill"
else
	t_case "killed 2-rank run resumes exactly" 0 - 'resuming at step [0-9]+ of 500' \
	  "$MPI $R --out $T/rb --resume $T/rb/checkpoint > $T/rb2.out &&
	   s=\$(head -1 $T/rb2.out | jq .step) && [ \$s -gt 7 ] &&
	   $NM $T/ra.out | tail -n +\$s > $T/ra.cmp && $NM $T/rb2.out > $T/rb.cmp && cmp $T/ra.cmp $T/rb.cmp &&
	   cmp $T/ra/model.safetensors $T/rb/model.safetensors && cmp $T/ra/mlp_head.safetensors $T/rb/mlp_head.safetensors"
fi
