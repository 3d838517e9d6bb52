# An output that is an input (issue 15, D9): `kgextract -g F F` truncated
# its own input (0 records, exit 0). kgextract refuses a --graph that is an
# input file, standard input or standard output (usage error, the file
# untouched); every program refuses to read the file its standard output
# writes to, as cat does (`prog F >> F` read its own records forever).
# ulimit and timeout bound a regression instead of filling the disk.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
M=tests/data/models/tiny-cls
D=tests/data/train
IN=tests/data/kg/sentences.ndjson
cp $IN "$T/F"
U="ulimit -f 2048; timeout 60"
same="cmp -s $IN $T/F"

t_case "kgextract -g F F: refused" 2 empty "^kgextract: --graph $T/F: the same file as $T/F\$" "kgextract $W -g $T/F $T/F"
t_ok "kgextract -g F F: F untouched" "$same"
t_case "kgextract -g F - <F: refused" 2 empty "the same file as standard input" "kgextract $W -g $T/F - <$T/F"
t_case "kgextract -g F <F: refused" 2 empty "the same file as standard input" "kgextract $W -g $T/F <$T/F"
t_case "kgextract -g through another name: refused" 2 empty "the same file as $T/F" \
  "ln -sf $T/F $T/L && kgextract $W -g $T/L $IN $T/F"
t_case "kgextract -g G >G: refused" 2 empty "^kgextract: --graph $T/G: the same file as standard output" \
  "kgextract $W -g $T/G $IN >$T/G"
t_ok "kgextract -g F F: F still untouched" "$same"
t_ok "kgextract -g to a new file works" "kgextract $W -q -g $T/new.ndjson $IN >/dev/null && [ -s $T/new.ndjson ]"

for p in "kgextract $W" "kgsynth $W" "kgfilter -m $M" "embed -m $M" "stsscore -m $M -p"; do
	n=${p%% *}
	t_case "$n F >>F: refused" 1 - "^$n: $T/F: input file is the output file\$" "$U $p -q $T/F >>$T/F"
	t_ok "$n F >>F: F untouched" "$same"
	t_case "$n <F >>F: refused" 1 - "^$n: <stdin>: input file is the output file\$" "$U $p -q <$T/F >>$T/F"
done
cp $D/sentences.ndjson "$T/S"
t_case "gcsetrain F >>F: refused" 1 - "^gcsetrain: $T/S: input file is the output file\$" \
  "$U gcsetrain -q --threads 1 --init $D/tiny-model -b 4 --max-steps 1 --out $T/o $T/S >>$T/S"
t_ok "gcsetrain F >>F: F untouched" "cmp -s $D/sentences.ndjson $T/S"
