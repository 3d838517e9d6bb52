#!/usr/bin/python3
"""Independent check of stsscore: add a synthetic prediction field to STS-B
dev (the same jq formula as tests/cli/stsscore.sh) and print scipy's Spearman
and Pearson x100, to compare with `stsscore -s pred`.

usage: /usr/bin/python3 scripts/check-stsscore.py [../shared/data/sts/stsb-dev.ndjson]
"""
import json
import math
import sys

import scipy.stats

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sts/stsb-dev.ndjson"
rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
pred = [math.floor(((k * 37) % 11) / 2 + r["score"]) for k, r in enumerate(rows)]
gold = [r["score"] for r in rows]
print(json.dumps({"n": len(rows),
                  "spearman": 100 * scipy.stats.spearmanr(pred, gold).correlation,
                  "pearson": 100 * scipy.stats.pearsonr(pred, gold)[0]}))
