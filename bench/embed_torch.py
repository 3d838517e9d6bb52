#!/usr/bin/python3
"""embed_torch.py - the PyTorch side of bench/embed.sh (not a test).

  embed_torch.py make-model --shape small|base --vocab VOCAB --out DIR
      a random BERT of that shape in Hugging Face layout (config.json,
      model.safetensors, vocab.txt), BERT init N(0, 0.02)
  embed_torch.py make-fixed --vocab VOCAB --n N --tokens T
      N records {"text"} of T-2 whole-word tokens each (T with [CLS]/[SEP])
  embed_torch.py export-onnx --model DIR --out FILE
      the same model as ONNX (opset 14, dynamic batch and length): inputs
      input_ids and attention_mask (int64, B x T), output cls (B x C), the
      last layer's [CLS] row; for bench/embed_ort.js
  embed_torch.py run --model DIR --ids IDS --batch B --threads N
      embed the token ids in IDS ({"ids":[...]} per line, from tokids) with
      the same model in PyTorch: sort by length (as sentence-transformers
      does), batches of B padded to their longest, eval mode, no_grad; print
      {"sentences", "seconds", "per_s"} for the forward passes alone;
      with --check FILE (embed's output for the same texts) also the largest
      difference of the [CLS] vectors.

The model is the hand-written BertModel of scripts/make-fixtures.py (the one
the parity fixtures come from).
"""
import importlib.util
import json
import math
import os
import random
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("mf", os.path.join(HERE, "..", "scripts", "make-fixtures.py"))
mf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mf)

SHAPES = {
    "small": dict(num_hidden_layers=6, hidden_size=384, num_attention_heads=12, intermediate_size=1536),
    "base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072),
}


def arg(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    if default is None:
        sys.exit("embed_torch.py: missing " + name)
    return default


def read_vocab(path):
    return [line.rstrip("\n") for line in open(path, encoding="utf-8")]


def build(cfg):
    """The random model of a config: seeded, so make-model and run agree."""
    torch.manual_seed(0)
    m = mf.Bert(cfg, pooler=False)
    for p in m.parameters():
        torch.nn.init.normal_(p, 0.0, 0.02) if p.dim() > 1 else torch.nn.init.zeros_(p)
    for ln in [m.emb_ln] + [x for L in m.layers for x in (L.ln1, L.ln2)]:
        torch.nn.init.ones_(ln.weight)
    return m


def make_model():
    vocab = read_vocab(arg("--vocab"))
    out = arg("--out")
    cfg = dict(architectures=["BertModel"], attention_probs_dropout_prob=0.1, hidden_act="gelu",
               hidden_dropout_prob=0.1, initializer_range=0.02, layer_norm_eps=1e-12,
               max_position_embeddings=512, model_type="bert", pad_token_id=0,
               type_vocab_size=2, vocab_size=len(vocab), **SHAPES[arg("--shape")])
    m = build(cfg)
    os.makedirs(out, exist_ok=True)
    mf.write_safetensors(os.path.join(out, "model.safetensors"), mf.hf_state(m, "", False))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512}, f)


def make_fixed():
    vocab = read_vocab(arg("--vocab"))
    words = [w for w in vocab[1000:] if w.isalpha() and w.islower()]
    n, t = int(arg("--n")), int(arg("--tokens"))
    rng = random.Random(1)
    for _ in range(n):
        print(json.dumps({"text": " ".join(rng.choice(words) for _ in range(t - 2))}))


class Cls(torch.nn.Module):
    """The [CLS] row of the last layer, with dynamic batch and length: the
    hand-written model's shape arithmetic written with -1 where it can be."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids, mask):
        m = self.m
        NH = m.cfg["num_attention_heads"]
        C = m.cfg["hidden_size"]
        hs = C // NH
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = m.emb_ln(m.word(ids) + m.ttype(torch.zeros_like(ids)) + m.pos(pos))
        ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for L in m.layers:
            def heads(t):
                return t.reshape(t.shape[0], -1, NH, hs).permute(0, 2, 1, 3)
            q, k, v = heads(L.q(x)), heads(L.k(x)), heads(L.v(x))
            s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs) + ext
            p = torch.softmax(s, dim=-1)
            ctx = torch.matmul(p, v).permute(0, 2, 1, 3).reshape(x.shape[0], -1, C)
            x1 = L.ln1(L.ao(ctx) + x)
            x = L.ln2(L.o(torch.nn.functional.gelu(L.i(x1))) + x1)
        return x[:, 0]


def export_onnx():
    d = arg("--model")
    cfg = json.load(open(os.path.join(d, "config.json")))
    m = Cls(build(cfg)).eval()
    ids = torch.randint(1000, 2000, (2, 8), dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(m, (ids, mask), arg("--out"), input_names=["input_ids", "attention_mask"],
                          output_names=["cls"], opset_version=14,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "cls": {0: "batch"}})


def run():
    torch.set_num_threads(int(arg("--threads", "2")))
    d = arg("--model")
    cfg = json.load(open(os.path.join(d, "config.json")))
    m = build(cfg)   # the same weights make-model wrote to d
    m.eval()
    seqs = [json.loads(line)["ids"] for line in open(arg("--ids"))]
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    B = int(arg("--batch", "64"))
    out = [None] * len(seqs)
    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(order), B):
            idx = order[s:s + B]
            T = max(len(seqs[i]) for i in idx)
            ids = torch.zeros(len(idx), T, dtype=torch.long)
            mask = torch.zeros(len(idx), T, dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, :len(seqs[i])] = torch.tensor(seqs[i])
                mask[r, :len(seqs[i])] = 1
            h, _ = m(ids, mask)
            for r, i in enumerate(idx):
                out[i] = h[r, 0]
    dt = time.perf_counter() - t0
    res = {"sentences": len(seqs), "seconds": round(dt, 3), "per_s": round(len(seqs) / dt, 1)}
    if "--check" in sys.argv:   # max |difference| of [CLS] vectors against embed's output
        ref = [json.loads(line)["embedding"] for line in open(arg("--check"))]
        res["max_abs_diff_vs_gcse"] = max(float((out[i] - torch.tensor(ref[i])).abs().max()) for i in range(len(ref)))
    print(json.dumps(res))


if __name__ == "__main__":
    {"make-model": make_model, "make-fixed": make_fixed, "export-onnx": export_onnx, "run": run}[sys.argv[1]]()
