# triplet-accuracy.jq — the share of triples whose positive is closer to the
# anchor than the negative is, by cosine of their embeddings.
#   embed -m MODEL -f text1 -f text2 -f neg triples.ndjson |
#     jq -nc -f triplet-accuracy.jq
# prints {"n":..., "correct":..., "accuracy":...} (accuracy in percent).
def dot(a; b): [a, b] | transpose | map(.[0] * .[1]) | add;
def cosine(a; b): dot(a; b) / (((dot(a; a) * dot(b; b)) | sqrt) + 1e-30);
reduce inputs as $r ({n: 0, correct: 0};
  .n += 1
  | if cosine($r.text1_embedding; $r.text2_embedding) > cosine($r.text1_embedding; $r.neg_embedding)
    then .correct += 1 else . end)
| .accuracy = (if .n > 0 then (.correct / .n * 10000 | round) / 100 else null end)
