# tests/cli/wnvectors.sh — word vectors from WordNet (wnvectors) as the
# programs that read word vectors read them; options and errors.
. tests/cli/lib.sh
W="-w tests/data/wordnet"
t_case wnvectors-basic 0 - 'wnvectors: [0-9]+ words of 16 dimensions' "wnvectors $W --dim 16 >$T/v.txt"
t_ok wnvectors-format "awk 'NF != 17 { exit 1 }' $T/v.txt && test \$(wc -l <$T/v.txt) -gt 100"
t_ok wnvectors-quiet "wnvectors $W -q --dim 16 2>$T/err | cmp -s - $T/v.txt && ! test -s $T/err"
t_ok wnvectors-deterministic "wnvectors $W -q --dim 16 --threads 1 | cmp -s - $T/v.txt"
t_ok wnvectors-seed "! wnvectors $W -q --dim 16 --seed 2 | cmp -s - $T/v.txt"
# read back: embed --vectors averages them
printf '{"text":"the dog ran"}\n{"text":"a cat"}\n' >$T/in.ndjson
t_ok wnvectors-embed "embed -q --vectors $T/v.txt $T/in.ndjson | jq -e 'select(.embedding | length == 16)' >/dev/null"
# the order file: uniq -c counts or plain words; its words first
printf '  7 cat\n  3 dog\n  1 nosuch\n' >$T/order.txt
t_ok wnvectors-order-counts "wnvectors $W -q --order $T/order.txt | head -2 | cut -d' ' -f1 | tr '\n' ' ' | grep -qx 'cat dog '"
printf 'Woman\ncat\n' | gzip >$T/order.gz
t_ok wnvectors-order-gzip "wnvectors $W -q --order $T/order.gz | head -2 | cut -d' ' -f1 | tr '\n' ' ' | grep -qx 'woman cat '"
t_ok wnvectors-forms "wnvectors $W -q | cut -d' ' -f1 | grep -qx dogs && ! wnvectors $W -q --no-inflect | cut -d' ' -f1 | grep -qx dogs"
t_ok wnvectors-closed-stdout "wnvectors $W -q | head -1 >/dev/null"
# errors
t_case wnvectors-order-missing 1 empty 'wnvectors: /nonexistent/o.txt: ' "wnvectors $W --order /nonexistent/o.txt"
printf '' >$T/empty.txt
t_case wnvectors-order-empty 1 empty 'no words' "wnvectors $W --order $T/empty.txt"
head -c $(($(wc -c <$T/order.gz) - 4)) $T/order.gz >$T/cut.gz
t_case wnvectors-order-cut 1 empty 'wnvectors: .*cut.gz' "wnvectors $W --order $T/cut.gz"
t_case wnvectors-no-wordnet 1 empty 'wnvectors: /nonexistent/data.noun' "wnvectors -w /nonexistent"
t_case wnvectors-dim0 2 empty 'dim' "wnvectors $W --dim 0"
t_case wnvectors-decay 2 empty 'decay' "wnvectors $W --decay 1.5"
t_case wnvectors-arg 2 empty 'reads no input' "wnvectors $W file.txt"
t_case wnvectors-bad-option 2 empty 'usage' "wnvectors --bogus"
t_ok wnvectors-help "wnvectors --help | grep -q -- '--order'"
t_ok wnvectors-version "wnvectors --version | grep -q '^wnvectors'"
# the full WordNet, when installed: about 150k words
if [ -f /usr/share/wordnet/data.noun ]; then
	t_ok wnvectors-full "test \$(wnvectors -q --dim 4 | wc -l) -gt 100000"
else
	t_skip wnvectors-full "no /usr/share/wordnet (apt-get install wordnet-base)"
fi
t_case wnvectors-skip-bad 2 empty 'reads no input' "wnvectors $W --skip-bad"
t_case wnvectors-threads-bad 2 empty 'threads' "wnvectors $W --threads x"
