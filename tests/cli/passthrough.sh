# Fields a program does not know pass through unchanged (issue 15, D7):
# number literals come out as they came in, even those a double cannot hold
# (jq 1.6 made 9007199254740993 ...992, 12345678901234567890
# 1.2345678901234567e+19 and 1e400 null). Every program: kgextract, kgsynth,
# embed and stsscore --pairs write the input record first, so their output
# line starts with the input line; kgfilter copies "id" (and "neg_id");
# stsscore and gcsetrain read such literals as the numbers they are.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
M=tests/data/models/tiny-cls
D=tests/data/train
# the unknown fields, compact (as the writer prints them), without braces
X='"big":12345678901234567890,"huge":1e400,"tiny":-1e-400,"f":1.0,"e":1E+2,"z":-0.0,"p":0.12345678901234567890,"n":{"a":[9007199254740993,{"b":1.50}],"s":"1.0"},"u":[0.00001,1e-5]'
printf '{"id":9007199254740993,"text":"A man on skis is racing down the hill.",%s}\n{"id":9007199254740995,"text":"Two dogs are playing in the park.",%s}\n' "$X" "$X" >"$T/in.ndjson"
printf '{"sentence1":"a cat sits","sentence2":"a cat is sitting","score":4.80,"id":9007199254740993,%s}\n' "$X" >"$T/sts.ndjson"

# prefix IN OUT: every line of OUT starts with the same line of IN less its "}"
cat >"$T/prefix.sh" <<'EOF'
[ "$(wc -l <"$1")" -eq "$(wc -l <"$2")" ] || exit 1
sed 's/}$//' "$1" | while IFS= read -r want; do
	IFS= read -r got <&3 || exit 1
	case $got in "$want",*) ;; *) echo "got: $got" | cut -c1-400 >&2; exit 1 ;; esac
done 3<"$2"
EOF
P="sh $T/prefix.sh"
t_ok "kgextract passes numbers through as written" "kgextract $W -q $T/in.ndjson >$T/x.out && $P $T/in.ndjson $T/x.out"
t_ok "kgsynth passes numbers through as written" "kgsynth $W -q $T/in.ndjson >$T/s.out && $P $T/in.ndjson $T/s.out"
t_ok "embed passes numbers through as written" "embed -q -m $M $T/in.ndjson >$T/e.out && $P $T/in.ndjson $T/e.out"
t_ok "stsscore --pairs passes numbers through as written" \
  "stsscore -m $M -p $T/sts.ndjson >$T/p.out && $P $T/sts.ndjson $T/p.out"
t_ok "kgextract -g: the graph does not change the records" \
  "kgextract $W -q -g $T/g.ndjson $T/in.ndjson | cmp - $T/x.out"
t_ok "kgfilter keeps id and neg_id as written" \
  "kgfilter -q -m $M $T/s.out | grep -c '^{\"id\":9007199254740993,.*\"neg_id\":9007199254740995}\$' | grep -qx 1 &&
   kgfilter -q -m $M $T/s.out | grep -c '^{\"id\":9007199254740995,.*\"neg_id\":9007199254740993}\$' | grep -qx 1"
# numbers read: a kept literal reads as its double
t_case "stsscore reads 4.80 as 4.8" 0 - - \
  "sed 's/\"score\":4.8,/\"score\":4.80,/; s/\"score\":0.5,/\"score\":0.50000000000000000001,/' tests/data/sts/small.ndjson | stsscore >$T/k.out && stsscore tests/data/sts/small.ndjson | cmp - $T/k.out"
t_case "stsscore: a score of 1e400 is not finite" 1 - 'stsscore: <stdin>:1: field "score": not a finite number' \
  "sed '1s/\"score\":4.8,/\"score\":1e400,/' tests/data/sts/small.ndjson | stsscore"
t_case "stsscore: vectors of kept literals" 0 - - \
  "sed 's/\\[1,0,0\\]/[1.0,0.0,0E0]/' tests/data/sts/small.ndjson | stsscore >$T/v.out && stsscore tests/data/sts/small.ndjson | cmp - $T/v.out"
t_case "gcsetrain reads kept literals as numbers" 0 - - \
  "G='gcsetrain -q --threads 1 --init $D/tiny-model -b 4 --lr 1e-3 --warmup 0 --max-steps 2 --loss gcse';
   sed 's/\"neg_logit\": \\([0-9.]*\\)/\"neg_logit\": \\10000000000000000000001/' $D/triples.ndjson >$T/tr.ndjson &&
   ! cmp -s $T/tr.ndjson $D/triples.ndjson &&
   \$G --out $T/g1 $D/triples.ndjson | jq -c 'del(.examples_per_s)' >$T/g1.out &&
   \$G --out $T/g2 $T/tr.ndjson | jq -c 'del(.examples_per_s)' >$T/g2.out && cmp $T/g1.out $T/g2.out"
t_case "a record spelling the reserved name is refused" 1 empty \
  'kgsynth: <stdin>:1: field "\\u0000number": a name reserved for numbers kept as written' \
  "echo '{\"text\":\"a cat\",\"n\":{\"\\\\u0000number\":\"5\"}}' | kgsynth $W -q"
