# --threads above the cores this process may run on (issue 15, D1): every
# program with --threads caps it at the cores of its affinity mask, says so
# once on stderr (not after -q), and gives the output of the capped count.
# Before the cap, oversubscribed GEMM threads spun in each other's barriers
# (embed --threads 3 on 2 cores: 37 s instead of 0.7 s). The runs are pinned
# to one CPU with taskset, so the case is the same on any machine.
. tests/cli/lib.sh
M=tests/data/models/tiny-cls
W="-w tests/data/wordnet"
IN=tests/data/sts/texts.ndjson
KG=tests/data/kg/sentences.ndjson
D=tests/data/train
if ! command -v taskset >/dev/null 2>&1; then
	t_skip "threads capped at the affinity mask" "no taskset (util-linux)"
	exit 0
fi
# the first CPU this process may use
CPU=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
ONE="taskset -c $CPU"
# 120 s: a hang before the cap (minutes) fails instead of stalling the suite
TO="timeout 120"
NOTE='^%s: --threads %s: 1 core available to this process; using 1$'

kgextract $W $KG 2>/dev/null | kgsynth $W --seed 1 -n 2 >"$T/cand.ndjson" 2>/dev/null

# name, the command with THREADS where --threads goes (stdout compared)
check() {
	prog=$1
	for n in 1 16 "16 -q"; do
		echo "$2" | sed "s/THREADS/--threads $n/" >"$T/$prog.$(echo $n | tr -d ' ').sh"
	done
	$ONE sh "$T/$prog.1.sh" >"$T/$prog.1" 2>/dev/null
	t_case "$prog --threads 16 on 1 core: notice, capped" 0 - "$(printf "$NOTE" "$prog" 16)" \
	  "$ONE $TO sh $T/$prog.16.sh >$T/$prog.16"
	t_ok "$prog --threads 16 on 1 core: same output as --threads 1" "cmp $T/$prog.1 $T/$prog.16"
	t_ok "$prog --threads 16 -q: no notice" \
	  "$ONE $TO sh $T/$prog.16-q.sh >/dev/null 2>$T/$prog.err; ! grep -q 'available to this process' $T/$prog.err"
}
check embed "embed -m $M THREADS $IN"
check stsscore "stsscore -m $M THREADS tests/data/sts/small.ndjson"
check kgfilter "kgfilter -m $M THREADS $T/cand.ndjson"
check kgextract "kgextract $W -g $T/g.ndjson -m $M THREADS $KG >/dev/null && cat $T/g.ndjson"
check gcsetrain "gcsetrain THREADS --init $D/tiny-model -b 8 --lr 1e-3 --warmup 0 --max-steps 2 --out $T/gt $D/sentences.ndjson | jq -c 'del(.examples_per_s)'"

# not pinned: a count above nproc is capped, one within it is used silently
N=$(nproc)
t_case "embed --threads nproc+1: capped at nproc" 0 - \
  "^embed: --threads $((N + 1)): $N cores? available to this process; using $N\$" \
  "$TO embed -m $M --threads $((N + 1)) $IN >/dev/null"
t_ok "embed --threads nproc: no notice" \
  "embed -m $M --threads $N $IN >/dev/null 2>$T/n.err; ! grep -q 'available to this process' $T/n.err"
t_case "embed --threads 1025: usage error" 2 empty 'out of range' "embed -m $M --threads 1025 $IN"
