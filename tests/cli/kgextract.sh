# kgextract: annotations and the graph on the WordNet fixture; ids; every
# bad-input case of the NDJSON reader; gzip, blank lines, a 10 MB line.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
IN=tests/data/kg/sentences.ndjson

t_case kgextract-basic 0 kgextract-basic.out - "kgextract $W $IN"
t_case kgextract-stdin 0 kgextract-basic.out - "kgextract $W < $IN"
t_case kgextract-dash 0 kgextract-basic.out - "kgextract $W - < $IN"
gzip -c $IN >"$T/s.ndjson.gz"
t_case kgextract-gzip 0 kgextract-basic.out - "kgextract $W $T/s.ndjson.gz"
t_case kgextract-graph 0 kgextract-graph.out - \
	"kgextract $W -g $T/g.ndjson $IN >/dev/null && cat $T/g.ndjson"
t_case kgextract-graph-k 0 kgextract-graph-k1.out - \
	"kgextract $W -g $T/g1.ndjson --entity-neighbors 1 --part-neighbors 0 $IN >/dev/null && cat $T/g1.ndjson"
t_ok kgextract-deterministic \
	"kgextract $W -g $T/d1 $IN >$T/o1 && kgextract $W -g $T/d2 $IN >$T/o2 && cmp $T/o1 $T/o2 && cmp $T/d1 $T/d2"

# ids: the 1-based position among the non-blank lines of all inputs; kept when present
printf '{"text":"a dog"}\n\n{"id":null,"text":"a cat"}\n' >"$T/a.ndjson"
printf '{"id":"x","text":"a horse"}\n{"text":"a car"}\n' >"$T/b.ndjson"
t_case kgextract-ids 0 kgextract-ids.out - \
	"kgextract $W $T/a.ndjson $T/b.ndjson | sed 's/,\"entities\".*//'"
printf '{"sentence":"the man rides a horse","text":7}\n' >"$T/f.ndjson"
t_case kgextract-field 0 kgextract-field.out - "kgextract $W -f sentence $T/f.ndjson"

# bad input: stop at the first bad line (nothing half-written), or skip and count
printf '%s\n' '{"text":"the dog ran"}' '{bad json' '[1,2]' '{"x":1}' '{"text":5}' >"$T/bad.ndjson"
printf '{"text":"a \377 b"}\n' >>"$T/bad.ndjson"
printf '%s\n' '{"text":"the cat sat"}' >>"$T/bad.ndjson"
t_case kgextract-bad-json 1 kgextract-bad-first.out "kgextract: $T/bad.ndjson:2: " "kgextract $W $T/bad.ndjson"
t_case kgextract-bad-object 1 empty ':1: .*object' "sed -n 3p $T/bad.ndjson | kgextract $W"
t_case kgextract-bad-missing 1 empty ':1: .*"text".*missing' "sed -n 4p $T/bad.ndjson | kgextract $W"
t_case kgextract-bad-type 1 empty ':1: .*"text".*string' "sed -n 5p $T/bad.ndjson | kgextract $W"
t_case kgextract-bad-utf8 1 empty ':1: .*UTF-8' "sed -n 6p $T/bad.ndjson | kgextract $W"
t_case kgextract-skip-bad 0 kgextract-skip.out 'skipped 5 bad lines' "kgextract $W --skip-bad $T/bad.ndjson"

# a 10 MB line passes through whole
awk 'BEGIN { printf "{\"text\":\"The dog ran.\",\"pad\":\""; for (i = 0; i < 1048576; i++) printf "0123456789"; print "\"}" }' >"$T/long.ndjson"
t_ok kgextract-long-line \
	"kgextract $W $T/long.ndjson >$T/long.out && test \$(wc -c <$T/long.out) -gt 10485760 && grep -q '\"lemma\":\"run\"' $T/long.out && test \$(wc -l <$T/long.out) -eq 1"

# usage and runtime errors
t_case kgextract-help 0 - - "kgextract --help | grep -q -- '--graph'"
t_case kgextract-version 0 - - "kgextract --version | grep -q '^kgextract'"
t_case kgextract-bad-option 2 empty 'usage' "kgextract --bogus $IN"
t_case kgextract-bad-k 2 empty 'entity-neighbors' "kgextract --entity-neighbors 1001 $IN"
t_case kgextract-bad-k2 2 empty 'part-neighbors' "kgextract --part-neighbors x $IN"
t_case kgextract-no-wordnet 1 empty 'kgextract: /nonexistent/data.noun' "kgextract -w /nonexistent $IN"
t_case kgextract-graph-unwritable 1 empty 'kgextract: /nonexistent/dir/g: ' "kgextract $W -g /nonexistent/dir/g $IN"
t_case kgextract-missing-file 1 empty 'kgextract: .*nofile' "kgextract $W $T/nofile.ndjson"

# the Debian WordNet, when installed
if [ -r /usr/share/wordnet/data.noun ]; then
	t_ok kgextract-real-wordnet \
		"printf '{\"text\":\"A man is riding a horse on the beach.\"}\n' | kgextract | grep -q '\"lemma\":\"ride\"'"
else
	t_skip kgextract-real-wordnet "/usr/share/wordnet not installed"
fi
