# tests/cli/lib.sh — helpers for CLI tests; sourced by tests/cli/*.sh, run from
# the repository root by tests/run (programs are on PATH).
#
#   t_case NAME RC GOLDEN ERR_REGEX 'shell command'
#     runs the command with sh -c; passes when its exit status is RC, its
#     stdout equals tests/golden/GOLDEN (GOLDEN "-": not checked; "empty":
#     must be empty) and its stderr matches the extended regex ERR_REGEX
#     ("-": not checked; "empty": must be empty).  UPDATE_GOLDEN=1 rewrites the golden file instead.
#     The GEMM notice (base/gemm.h: one line when the backend runs reference
#     kernels on this CPU) is dropped from stderr first: it depends on the
#     build and the CPU, not on the program (tests/cli/gemm.sh tests it).
#     "Equals" is golden_eq's: numbers within a relative 1e-6 / absolute
#     1e-9, every other byte equal (the last bits of a float move between
#     CPUs and GEMM kernels; a golden file never pins them).
#   golden_eq EXPECTED GOT         that comparison (tests/tools/numcmp); byte
#     equality between two runs of one binary stays `cmp`
#   t_ok NAME 'shell command'      passes when the command exits 0
#   t_skip NAME WHY                a visible skip
# $T is a scratch directory, removed at exit; $SHARED the shared data folder.
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
SHARED=${GCSE_SHARED:-../shared/data}
t_case() {
	_n=$1 _rc=$2 _g=$3 _e=$4 _c=$5
	sh -c "$_c" >"$T/.out" 2>"$T/.err0" </dev/null
	_got=$?
	grep -v 'has no optimised kernels for this CPU and runs its generic reference kernels' "$T/.err0" >"$T/.err"
	_why=
	[ "$_got" -eq "$_rc" ] || _why="exit $_got, expected $_rc"
	case $_g in
	-) ;;
	empty) [ -s "$T/.out" ] && _why="$_why; stdout not empty" ;;
	*)
		if [ -n "${UPDATE_GOLDEN-}" ]; then
			cp "$T/.out" "tests/golden/$_g"
		elif ! golden_eq "tests/golden/$_g" "$T/.out" 2>/dev/null; then
			_why="$_why; stdout differs from tests/golden/$_g"
			diff "tests/golden/$_g" "$T/.out" 2>&1 | head -20 | sed 's/^/#   /'
		fi ;;
	esac
	if [ "$_e" = empty ]; then
		[ -s "$T/.err" ] && _why="$_why; stderr not empty"
	elif [ "$_e" != - ] && ! grep -Eq -- "$_e" "$T/.err"; then
		_why="$_why; stderr does not match /$_e/"
	fi
	if [ -n "$_why" ]; then
		echo "#   command: $_c"
		echo "#   why: $_why"
		head -c 2000 "$T/.err" | sed 's/^/#   stderr: /'
		echo "not ok - $_n"
	else
		echo "ok - $_n"
	fi
}
NUMCMP=${GCSE_BUILD:-build}/tests/tools/numcmp
golden_eq() { "$NUMCMP" "$@"; }
t_ok() { t_case "$1" 0 - - "$2"; }
t_skip() { echo "skip - $1 # $2"; }
have_shared() { [ -d "$SHARED" ]; }
# A crash mid-run: start the training command CMD (a string, split into
# words) with --out DIR, its stdout to LOG, in the background, and kill -9 it
# as soon as its first checkpoint is written (or let it be if it ends first).
kill_at_checkpoint() {   # CMD DIR LOG
	$1 --out "$2" > "$3" 2>/dev/null &
	_kpid=$!
	while kill -0 $_kpid 2>/dev/null && [ ! -f "$2/checkpoint/train.safetensors" ]; do sleep 0.01; done
	kill -9 $_kpid 2>/dev/null
	wait $_kpid 2>/dev/null
}
