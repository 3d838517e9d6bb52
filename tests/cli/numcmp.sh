# tests/cli/numcmp.sh — the golden-file comparison every CLI test uses
# (tests/tools/numcmp): numbers within a relative 1e-6 / absolute 1e-9,
# every other byte equal. It must fail where a difference is real.
. tests/cli/lib.sh
N=$NUMCMP
printf '{"a":0.8789052382996011,"t":"x 12"}\nSTS12\t1.5\n' >"$T/e"
t_ok numcmp-same "$N $T/e $T/e"
printf '{"a":0.8789052313455252,"t":"x 12"}\nSTS12\t1.5000001\n' >"$T/g"
t_ok numcmp-last-bits "$N $T/e $T/g"
printf '{"a":0.8789,"t":"x 12"}\nSTS12\t1.5\n' >"$T/g"
t_case numcmp-beyond-rel 1 - 'line 1 differs' "$N $T/e $T/g"
t_ok numcmp-wider-rel "$N --rel 1e-4 $T/e $T/g"
printf '{"a":0.8789052382996011,"t":"x 13"}\nSTS12\t1.5\n' >"$T/g"
t_case numcmp-digits-in-string 1 - 'line 1 differs' "$N $T/e $T/g"
printf '{"a":0.8789052382996011,"t":"x 12"}\nSTS13\t1.5\n' >"$T/g"
t_case numcmp-digits-in-word 1 - 'line 2 differs' "$N $T/e $T/g"
printf '{"a":0.8789052382996011,"t":"x 12"}\n' >"$T/g"
t_case numcmp-fewer-lines 1 - 'line 2 differs' "$N $T/e $T/g"
printf '{"a":null,"t":"x 12"}\nSTS12\t1.5\n' >"$T/g"
t_case numcmp-null-for-number 1 - 'differs' "$N $T/e $T/g"
printf '[1e-12,-0.0]\n' >"$T/z1"; printf '[0,0]\n' >"$T/z2"
t_ok numcmp-abs-near-zero "$N $T/z1 $T/z2"
printf '[1e-8]\n' >"$T/z3"
t_case numcmp-beyond-abs 1 - differs "$N $T/z2 $T/z3"
printf '{"s":"a\\"1"}\n' >"$T/q1"; printf '{"s":"a\\"2"}\n' >"$T/q2"
t_case numcmp-escaped-quote 1 - differs "$N $T/q1 $T/q2"
t_case numcmp-usage 2 - usage "$N $T/e"
t_case numcmp-missing 2 - 'numcmp: .*nope' "$N $T/e $T/nope"
