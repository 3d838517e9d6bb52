# Run the EXAMPLES of every man page: inside .EX/.EE, a line "$ cmd" is run
# with sh from examples/, and the lines after it (to the next "$ " or .EE)
# are its exact expected standard output.  Roff escapes \- \(dq \e are undone.
. tests/cli/lib.sh
for page in man/*.1; do
	name=$(basename "$page" .1)
	awk -v dir="$T/$name" '
		function unroff(s) { gsub(/\\-/, "-", s); gsub(/\\\(dq/, "\"", s); gsub(/\\e/, "\\", s); gsub(/\\&/, "", s); return s }
		/^\.SH / { ex = ($2 == "EXAMPLES") }
		ex && /^\.EX/ { inblk = 1; next }
		ex && /^\.EE/ { inblk = 0; if (out) close(out); out = ""; next }
		ex && inblk && /^\$ / { n++; cmd = dir "." n ".cmd"; out = dir "." n ".exp";
			print unroff(substr($0, 3)) > cmd; close(cmd); printf "" > out; next }
		ex && inblk && out != "" { print unroff($0) > out }
	' "$page"
	n=0
	for cmd in "$T/$name".*.cmd; do
		[ -f "$cmd" ] || continue
		n=$((n + 1))
		exp=${cmd%.cmd}.exp
		if (cd examples && sh "$cmd") >"$T/got" 2>"$T/err" </dev/null && golden_eq "$exp" "$T/got" 2>/dev/null; then
			echo "ok - man $name example $n"
		else
			echo "#   $(cat "$cmd")"
			diff "$exp" "$T/got" | head -20 | sed 's/^/#   /'
			head -5 "$T/err" | sed 's/^/#   stderr: /'
			echo "not ok - man $name example $n"
		fi
	done
	[ "$n" -gt 0 ] || echo "not ok - man $name has no runnable example"
done
