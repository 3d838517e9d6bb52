# Every gzip reader detects a stream cut short (issue 15, D2): the NDJSON
# input of every program, kgsynth's graph (-g), word-vector files (--vectors,
# gcsetrain --vocab-from-vectors / --init-vectors) and gcsetrain's
# --vocab-from-words. Two cuts: the 8-byte trailer alone missing (the data
# ends at a line end, so only the trailer tells: kgsynth -g took such a
# graph as whole, exit 0), and a cut inside the compressed data.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
M=tests/data/models/tiny-cls
KG=tests/data/kg/sentences.ndjson
D=tests/data/train
V=$D/tiny.glove.txt

# cut FILE.gz: FILE.notrailer.gz (all but the trailer), FILE.cut.gz (60%)
cut_gz() {
	gzip -c "$1" >"$1.gz"
	s=$(wc -c <"$1.gz")
	head -c $((s - 8)) "$1.gz" >"$1.notrailer.gz"
	head -c $((s * 6 / 10)) "$1.gz" >"$1.cut.gz"
}
kgextract $W -q -g "$T/g.ndjson" $KG >"$T/ann.ndjson"
kgsynth $W -q --seed 1 "$T/ann.ndjson" >"$T/cand.ndjson" 2>/dev/null
cp $KG "$T/in.ndjson"
cp tests/data/sts/small.ndjson "$T/sts.ndjson"
cp $D/sentences.ndjson "$T/sent.ndjson"
cp $V "$T/v.txt"
awk '{print $1}' $V >"$T/words.txt"
for f in g ann cand in sts sent; do cut_gz "$T/$f.ndjson"; done
for f in v words; do cut_gz "$T/$f.txt"; done
t_ok "the trailer-less files decompress to whole lines" \
  "zcat $T/g.ndjson.notrailer.gz 2>/dev/null | cmp - $T/g.ndjson && zcat $T/v.txt.notrailer.gz 2>/dev/null | cmp - $T/v.txt"

for cut in notrailer cut; do
	# NDJSON input, every program
	t_case "kgextract input, $cut" 1 - "^kgextract: $T/in.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "kgextract $W -q $T/in.ndjson.$cut.gz >/dev/null"
	t_case "kgsynth input, $cut" 1 - "^kgsynth: $T/ann.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "kgsynth $W -q $T/ann.ndjson.$cut.gz >/dev/null"
	t_case "kgfilter input, $cut" 1 - "^kgfilter: $T/cand.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "kgfilter -q -m $M $T/cand.ndjson.$cut.gz >/dev/null"
	t_case "embed input, $cut" 1 - "^embed: $T/in.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "embed -q -m $M $T/in.ndjson.$cut.gz >/dev/null"
	t_case "stsscore input, $cut" 1 - "^stsscore: $T/sts.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "stsscore -m $M $T/sts.ndjson.$cut.gz"
	t_case "gcsetrain input, $cut" 1 - "^gcsetrain: $T/sent.ndjson.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "gcsetrain -q --threads 1 --init $D/tiny-model -b 4 --max-steps 1 --out $T/o-$cut $T/sent.ndjson.$cut.gz >/dev/null"
	# the graph
	t_case "kgsynth -g graph, $cut" 1 empty "^kgsynth: $T/g.ndjson.$cut.gz:[0-9]+: .*(unexpected end of file|bad JSON)" \
	  "kgsynth $W -q -g $T/g.ndjson.$cut.gz $T/ann.ndjson"
	# word vectors
	t_case "embed --vectors, $cut" 1 empty "^embed: $T/v.txt.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "embed -q --vectors $T/v.txt.$cut.gz $T/in.ndjson"
	t_case "stsscore --vectors, $cut" 1 empty "^stsscore: $T/v.txt.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "stsscore --vectors $T/v.txt.$cut.gz $T/sts.ndjson"
	t_case "gcsetrain --vocab-from-vectors, $cut" 1 empty "^gcsetrain: $T/v.txt.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "gcsetrain -q --threads 1 --config $D/tiny-config.json --vocab-from-vectors $T/v.txt.$cut.gz --out $T/v-$cut --max-steps 1 -b 4 $T/sent.ndjson"
	t_case "gcsetrain --init-vectors, $cut" 1 empty "^gcsetrain: $T/v.txt.$cut.gz:[0-9]+: read error: unexpected end of file\$" \
	  "gcsetrain -q --threads 1 --config $D/tiny-config.json --vocab-from-vectors $T/v.txt --init-vectors $T/v.txt.$cut.gz --out $T/i-$cut --max-steps 1 -b 4 $T/sent.ndjson"
	t_case "gcsetrain --vocab-from-words, $cut" 1 empty "^gcsetrain: $T/words.txt.$cut.gz: .*unexpected end of file\$" \
	  "gcsetrain -q --threads 1 --config $D/tiny-config.json --vocab-from-words $T/words.txt.$cut.gz --out $T/w-$cut --max-steps 1 -b 4 $T/sent.ndjson"
done
# and the whole files still read
t_ok "kgsynth -g whole gzip graph" "kgsynth $W -q -g $T/g.ndjson.gz $T/ann.ndjson >/dev/null"
t_ok "gcsetrain --vocab-from-words whole gzip list" \
  "gcsetrain -q --threads 1 --config $D/tiny-config.json --vocab-from-words $T/words.txt.gz --out $T/w --max-steps 1 -b 4 $T/sent.ndjson >/dev/null"
