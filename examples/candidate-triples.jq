# candidate-triples.jq — kgsynth records to unfiltered triples: the anchor,
# its first positive and its first negative candidate (records without both
# are left out). Held-out triples made this way do not depend on any model.
#   kgsynth ... | jq -c -f candidate-triples.jq
def first_of($role): [.candidates[]? | select(.role == $role)][0].text;
{id, text1: .text, text2: first_of("positive"), neg: first_of("negative")}
| select(.text2 != null and .neg != null)
