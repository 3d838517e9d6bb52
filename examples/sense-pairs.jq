# sense-pairs.jq — kgsynth records whose positive and negative both come
# from sense rule $rule: "example_sense" (the sense that the sentence is
# WordNet's example of) or "first_sense" (the word's most frequent sense;
# for one-word records). Records with a candidate missing or from another
# rule are left out. With one --positive-mix and one --negative-mix family
# of the sense kinds, both candidates are then on the same word.
#   kgsynth --positive-mix gloss:1 --negative-mix gloss_swap:1 ... |
#     jq -c --arg rule example_sense -f sense-pairs.jq
select([.candidates[]? | select(.rule == $rule) | .role] | sort == ["negative", "positive"])
