# tests/cli/layering.sh — lib/ is layered by subsystem (README "Layout"):
# each folder includes only the folders below it, and the folders whose
# headers say they never exit or print hold no exit() or stderr write.
. tests/cli/lib.sh
allowed() {
	case $1 in
	base) echo "base" ;;
	nn) echo "base nn" ;;
	train) echo "base nn train" ;;
	kg) echo "base nn kg" ;;
	llm) echo "base nn kg llm" ;;
	wordvec) echo "base nn kg wordvec" ;;
	embed) echo "base nn wordvec embed" ;;
	*) echo "" ;;
	esac
}
for dir in lib/*/; do
	d=$(basename "$dir")
	ok=$(allowed "$d")
	if [ -z "$ok" ]; then
		echo "#   lib/$d has no rule in tests/cli/layering.sh"
		echo "not ok - layering $d"
		continue
	fi
	bad=
	for inc in $(grep -ohE '#include "[a-z]+/' "$dir"*.[ch] | sed 's/#include "//; s#/##' | sort -u); do
		case " $ok " in *" $inc "*) ;; *) bad="$bad $inc" ;; esac
	done
	if [ -n "$bad" ]; then
		echo "#   lib/$d includes:$bad (allowed: $ok)"
		echo "not ok - layering $d"
	else
		echo "ok - layering $d"
	fi
done
# lib/nn and lib/kg never exit and never print: errors go back to the caller
t_case layering-nn-kg-quiet 1 - - "grep -nE '\\b(exit|abort)\\(|stderr' lib/nn/*.c lib/kg/*.c"
# and every library source sits in a subsystem folder
t_case layering-no-loose-files 2 - - "ls lib/*.c lib/*.h"
