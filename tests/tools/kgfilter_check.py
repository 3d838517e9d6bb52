#!/usr/bin/env python3
"""kgfilter_check.py - check kgfilter's triples against an independent
reading of METHOD.md section 4, from vectors that `embed` wrote.

usage: kgfilter_check.py CAND EMB OUT ALPHA BETA [TAU]
  CAND  kgfilter's input (kgsynth records: id?, text, candidates), one window
  EMB   `embed --pooling cls --no-normalize` output for every text of CAND:
        {"text", "embedding"} lines
  OUT   kgfilter's output
Checks every triple: the positive and negative it should have picked (the
first acceptable candidate with its own role, else a swapped one, else the
anchor itself / another anchor), the statuses, kinds and sources, the cosines
(to 1e-9) and neg_logit = neg_cosine / TAU. For another anchor as the
negative (a seeded draw), it checks that it is a usable other anchor, under
beta when any is, else the lowest. Exit 1 with a list of problems."""
import json
import math
import sys
from array import array


def cosine(a, b):
    ab = sum(x * y for x, y in zip(a, b))
    aa = sum(x * x for x in a)
    bb = sum(y * y for y in b)
    if aa <= 0 or bb <= 0:
        return 0.0
    return max(-1.0, min(1.0, ab / (math.sqrt(aa) * math.sqrt(bb))))


def field(c, key):
    v = c.get(key)
    return v if isinstance(v, str) else "unknown"


def main():
    cand_path, emb_path, out_path = sys.argv[1:4]
    alpha, beta = float(sys.argv[4]), float(sys.argv[5])
    tau = float(sys.argv[6]) if len(sys.argv) > 6 else 0.05
    vec = {}
    for line in open(emb_path, encoding="utf-8"):
        r = json.loads(line)
        vec[r["text"]] = list(array("f", r["embedding"]))   # the float32 values
    recs = []
    for line in open(cand_path, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            if r.get("id") is None:
                r["id"] = len(recs) + 1     # position among the non-blank lines
            recs.append(r)
    out = [json.loads(l) for l in open(out_path, encoding="utf-8")]
    bad = []
    anchors = [r["text"] for r in recs]
    seen = set()
    k = 0
    for r in recs:
        a = r["text"]
        where = "id %s" % r["id"]
        cands = []
        for c in r.get("candidates") or []:
            if c["text"] != a and all(c["text"] != d["text"] for d in cands):
                cands.append(c)
        cos = [cosine(vec[a], vec[c["text"]]) for c in cands]
        pos, pstat = None, "fallback"
        for want, stat in (("positive", "kept"), ("negative", "swapped")):
            for i, c in enumerate(cands):
                if c["role"] == want and cos[i] >= alpha:
                    pos, pstat = i, stat
                    break
            if pos is not None:
                break
        neg, nstat = None, "fallback"
        for want, stat in (("negative", "kept"), ("positive", "swapped")):
            for i, c in enumerate(cands):
                if i != pos and c["role"] == want and cos[i] < beta:
                    neg, nstat = i, stat
                    break
            if neg is not None:
                break
        exp_pos = cands[pos]["text"] if pos is not None else a
        # a repeated triple is dropped
        if neg is not None and (a, exp_pos, cands[neg]["text"]) in seen:
            continue
        if neg is None and (k >= len(out) or out[k]["text1"] != a or out[k]["id"] != r["id"]):
            if not any(x[0] == a and x[1] == exp_pos for x in seen):
                bad.append("%s: no triple" % where)
            continue
        if k >= len(out):
            bad.append("%s: no triple" % where)
            break
        t = out[k]
        k += 1
        seen.add((t["text1"], t["text2"], t["neg"]))
        checks = [("id", t["id"], r["id"]), ("text1", t["text1"], a), ("text2", t["text2"], exp_pos),
                  ("pos_status", t["pos_status"], pstat), ("neg_status", t["neg_status"], nstat),
                  ("pos_kind", t["pos_kind"], field(cands[pos], "kind") if pos is not None else "dropout"),
                  ("pos_source", t["pos_source"], field(cands[pos], "source") if pos is not None else "anchor")]
        if neg is not None:
            checks += [("neg", t["neg"], cands[neg]["text"]), ("neg_kind", t["neg_kind"], field(cands[neg], "kind")),
                       ("neg_source", t["neg_source"], field(cands[neg], "source"))]
        else:
            checks += [("neg_kind", t["neg_kind"], "other_sentence"), ("neg_source", t["neg_source"], "input")]
            usable = [b for b in anchors if b != a and b != exp_pos]
            cs = {b: cosine(vec[a], vec[b]) for b in usable}
            if t["neg"] not in cs:
                bad.append("%s: neg %r is not another usable anchor" % (where, t["neg"]))
            elif any(v < beta for v in cs.values()):
                if not cs[t["neg"]] < beta:
                    bad.append("%s: neg %r not under beta though one is" % (where, t["neg"]))
            elif cs[t["neg"]] != min(cs.values()):
                bad.append("%s: neg %r is not the lowest" % (where, t["neg"]))
            if "neg_id" not in t:
                bad.append("%s: no neg_id" % where)
        for name, got, want in checks:
            if got != want:
                bad.append("%s: %s is %r, expected %r" % (where, name, got, want))
        pc = cos[pos] if pos is not None else 1.0
        nc = cosine(vec[a], vec[t["neg"]]) if t["neg"] in vec else None
        if abs(t["pos_cosine"] - pc) > 1e-9:
            bad.append("%s: pos_cosine %r, expected %r" % (where, t["pos_cosine"], pc))
        if nc is None or abs(t["neg_cosine"] - nc) > 1e-9:
            bad.append("%s: neg_cosine %r, expected %r" % (where, t["neg_cosine"], nc))
        if abs(t["neg_logit"] - t["neg_cosine"] / tau) > 1e-9 * max(1, abs(t["neg_logit"])):
            bad.append("%s: neg_logit %r is not neg_cosine / %g" % (where, t["neg_logit"], tau))
    if k != len(out):
        bad.append("%d triples, %d expected" % (len(out), k))
    for b in bad[:20]:
        print(b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
