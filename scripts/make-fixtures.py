#!/usr/bin/python3
"""make-fixtures.py - random small BERT models and PyTorch reference outputs
for the parity tests (tests/unit/test_parity.c, test_encoder.c).

    /usr/bin/python3 scripts/make-fixtures.py        # from the repository root

Writes, for each model NAME below:
  tests/data/models/NAME/   a Hugging Face model directory: config.json,
                            model.safetensors, vocab.txt (and
                            sentence-transformers files for one model)
  tests/data/parity/NAME.safetensors   reference outputs:
      input_ids, attention_mask (B,T) I64  a padding-heavy batch whose longest
                                           sequence uses every position
      last_hidden_state (B,T,C) F32        all positions, padding included
      pooled_cls, pooled_mean, pooled_max (B,C) F32, pooled_pooler when the
      model has a pooler; the same L2-normalised as *_normalized
      text_ids (N,Tt) I64, text_len (N) I64  the fixture texts tokenised
      text_cls, text_mean, text_max (N,C) F32, text_pooler   each text alone
      __metadata__: "texts" (JSON list), "max_length", "default_pooling",
      "normalize", "max_diff_vs_float64" (how far float32 PyTorch is from a
      float64 run of the same model: the scale of rounding noise)

The model is a hand-written BERT with exactly the semantics of Hugging Face
transformers' BertModel in eval mode (post-LayerNorm, erf GELU, additive key
mask of the lowest float, absolute positions, token type 0); transformers
itself is not needed. Weights are random with a larger spread than BERT's
initialisation so that attention is peaked and GELU works off its linear part.
Everything is seeded: running the script again gives the same files.
CI does not run it (no torch there): its outputs are committed.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixturelib import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODELS = os.path.join(ROOT, "tests", "data", "models")
PARITY = os.path.join(ROOT, "tests", "data", "parity")

# ---------------------------------------------------------------------------
# vocabulary: specials, letters and digits (whole and ##), punctuation, words
SPECIALS = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ("the a an cat dog sat on mat is was and of to in it that with as for his "
         "her they he she be at by this had not are but from or have one all "
         "were we when there can said which do their if will up other about out "
         "many then them these so some would make like him into time has look "
         "two more write go see number no way could people my than first water "
         "been call who oil its now find long down day did get come made may part "
         "run play hello world good bad new old small big red blue green house "
         "car tree book read sun moon star sky rain snow").split()
PIECES = ["##s", "##ing", "##ed", "##er", "##ly", "##est", "##es"]
PUNCT = list(".,!?;:'\"()-")
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789")
VOCAB = SPECIALS + PUNCT + LETTERS + ["##" + c for c in LETTERS] + PIECES + WORDS

TEXTS = [
    "The cat sat on the mat.",
    "hello world!",
    "A dog was playing in the rain, and the cat looked at it.",
    "zyx qwv",
    "Red, green and blue houses; small cars (two of them).",
    "people read books",
    "the sun the moon the stars the sky the rain the snow the trees the houses the cars the books",
    "x",
]


# ---------------------------------------------------------------------------
# a small WordPiece for the fixture texts (plain ASCII: lower case, split on
# whitespace and punctuation, greedy longest match, [UNK] for the rest)
def wordpiece(text, vocab_index, max_length):
    words, cur = [], ""
    for ch in text.lower():
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = ""
        elif not ch.isalnum():
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    ids = [vocab_index["[CLS]"]]
    for w in words:
        pieces, start, ok = [], 0, True
        while start < len(w):
            end, found = len(w), None
            while start < end:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab_index:
                    found = sub
                    break
                end -= 1
            if found is None:
                ok = False
                break
            pieces.append(vocab_index[found])
            start = end
        ids.extend(pieces if ok else [vocab_index["[UNK]"]])
    ids = ids[: max_length - 1]
    ids.append(vocab_index["[SEP]"])
    return ids


# ---------------------------------------------------------------------------
# Hugging Face BertModel semantics, eval mode
class Bert(torch.nn.Module):
    def __init__(self, cfg, pooler):
        super().__init__()
        C, FF = cfg["hidden_size"], cfg["intermediate_size"]
        self.cfg = cfg
        self.word = torch.nn.Embedding(cfg["vocab_size"], C)
        self.pos = torch.nn.Embedding(cfg["max_position_embeddings"], C)
        self.ttype = torch.nn.Embedding(cfg["type_vocab_size"], C)
        self.emb_ln = torch.nn.LayerNorm(C, eps=cfg["layer_norm_eps"])
        self.layers = torch.nn.ModuleList()
        for _ in range(cfg["num_hidden_layers"]):
            L = torch.nn.Module()
            L.q, L.k, L.v = torch.nn.Linear(C, C), torch.nn.Linear(C, C), torch.nn.Linear(C, C)
            L.ao = torch.nn.Linear(C, C)
            L.ln1 = torch.nn.LayerNorm(C, eps=cfg["layer_norm_eps"])
            L.i = torch.nn.Linear(C, FF)
            L.o = torch.nn.Linear(FF, C)
            L.ln2 = torch.nn.LayerNorm(C, eps=cfg["layer_norm_eps"])
            self.layers.append(L)
        self.pooler = torch.nn.Linear(C, C) if pooler else None

    def forward(self, ids, mask):
        B, T = ids.shape
        NH = self.cfg["num_attention_heads"]
        C = self.cfg["hidden_size"]
        hs = C // NH
        pos = torch.arange(T).unsqueeze(0)
        tt = torch.zeros_like(ids)
        x = self.word(ids) + self.ttype(tt)
        x = x + self.pos(pos)
        x = self.emb_ln(x)
        ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for L in self.layers:
            def heads(t):
                return t.view(B, T, NH, hs).permute(0, 2, 1, 3)
            q, k, v = heads(L.q(x)), heads(L.k(x)), heads(L.v(x))
            s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs) + ext
            p = torch.softmax(s, dim=-1)
            ctx = torch.matmul(p, v).permute(0, 2, 1, 3).reshape(B, T, C)
            x1 = L.ln1(L.ao(ctx) + x)
            x = L.ln2(L.o(torch.nn.functional.gelu(L.i(x1))) + x1)
        pooled = torch.tanh(self.pooler(x[:, 0])) if self.pooler is not None else None
        return x, pooled


def poolings(h, mask, pooled):
    m = mask.unsqueeze(-1).to(h.dtype)
    out = {
        "cls": h[:, 0],
        "mean": (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9),
        "max": torch.where(m > 0, h, torch.full_like(h, -1e9)).max(1).values,
    }
    if pooled is not None:
        out["pooler"] = pooled
    return out


def hf_state(model, prefix, legacy):
    """Hugging Face tensor names -> tensors."""
    ln_w, ln_b = ("gamma", "beta") if legacy else ("weight", "bias")
    st = {}
    p = prefix
    st[p + "embeddings.word_embeddings.weight"] = model.word.weight
    st[p + "embeddings.position_embeddings.weight"] = model.pos.weight
    st[p + "embeddings.token_type_embeddings.weight"] = model.ttype.weight
    st[p + "embeddings.LayerNorm." + ln_w] = model.emb_ln.weight
    st[p + "embeddings.LayerNorm." + ln_b] = model.emb_ln.bias
    for l, L in enumerate(model.layers):
        b = p + "encoder.layer.%d." % l
        for nm, lin in (("attention.self.query", L.q), ("attention.self.key", L.k),
                        ("attention.self.value", L.v), ("attention.output.dense", L.ao),
                        ("intermediate.dense", L.i), ("output.dense", L.o)):
            st[b + nm + ".weight"] = lin.weight
            st[b + nm + ".bias"] = lin.bias
        st[b + "attention.output.LayerNorm." + ln_w] = L.ln1.weight
        st[b + "attention.output.LayerNorm." + ln_b] = L.ln1.bias
        st[b + "output.LayerNorm." + ln_w] = L.ln2.weight
        st[b + "output.LayerNorm." + ln_b] = L.ln2.bias
    if model.pooler is not None:
        st[p + "pooler.dense.weight"] = model.pooler.weight
        st[p + "pooler.dense.bias"] = model.pooler.bias
    return st


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------------------
SPECS = [
    # name, hidden, heads, layers, ffn, max_pos, options
    dict(name="tiny-cls", C=36, NH=3, L=2, FF=64, maxT=24, dtype=torch.float32),
    dict(name="tiny-legacy", C=32, NH=4, L=1, FF=48, maxT=16, dtype=torch.float32, prefix="bert.",
         legacy=True, pooler=True, extra=True),
    dict(name="tiny-bf16", C=40, NH=5, L=3, FF=80, maxT=20, dtype=torch.bfloat16, pooler=True),
    dict(name="tiny-f16", C=20, NH=4, L=2, FF=40, maxT=18, dtype=torch.float16),
    dict(name="tiny-st", C=64, NH=2, L=2, FF=96, maxT=40, dtype=torch.float32, st="mean", normalize=True),
]


def make(spec, seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    V = len(VOCAB) + 3                      # a few ids past the vocabulary file
    cfg = {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": V, "hidden_size": spec["C"], "num_hidden_layers": spec["L"],
        "num_attention_heads": spec["NH"], "intermediate_size": spec["FF"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": spec["maxT"], "type_vocab_size": 2, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
    }
    model = Bert(cfg, spec.get("pooler", False))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "ln" in n and n.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn_like(p))
            elif n.startswith(("word", "pos", "ttype")):
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (1.5 / math.sqrt(p.shape[1])))
        # the weights as stored (F16/BF16 rounding) are the model
        for p in model.parameters():
            p.copy_(p.to(spec["dtype"]).float())
    model.eval()

    d = os.path.join(MODELS, spec["name"])
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), cfg)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    write_json(os.path.join(d, "tokenizer_config.json"), {"do_lower_case": True, "model_max_length": spec["maxT"]})
    st = hf_state(model, spec.get("prefix", ""), spec.get("legacy", False))
    st = {k: v.detach().to(spec["dtype"]) for k, v in st.items()}
    if spec.get("extra"):
        # tensors a loader must ignore: a pre-training head and a buffer
        st["cls.predictions.bias"] = torch.randn(V).to(spec["dtype"])
        st["cls.predictions.transform.dense.weight"] = torch.randn(spec["C"], spec["C"]).to(spec["dtype"])
        st[spec.get("prefix", "") + "embeddings.position_ids"] = torch.arange(spec["maxT"]).unsqueeze(0)
    write_safetensors(os.path.join(d, "model.safetensors"), st, {"format": "pt"})
    if spec.get("st"):
        write_json(os.path.join(d, "modules.json"), [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ])
        os.makedirs(os.path.join(d, "1_Pooling"), exist_ok=True)
        os.makedirs(os.path.join(d, "2_Normalize"), exist_ok=True)
        write_json(os.path.join(d, "1_Pooling", "config.json"), {
            "word_embedding_dimension": spec["C"],
            "pooling_mode_cls_token": spec["st"] == "cls",
            "pooling_mode_mean_tokens": spec["st"] == "mean",
            "pooling_mode_max_tokens": spec["st"] == "max",
            "pooling_mode_mean_sqrt_len_tokens": False,
        })
        # sentence-transformers writes an empty-ish file there; keep the folder in git
        with open(os.path.join(d, "2_Normalize", ".keep"), "w") as f:
            f.write("")

    # a padding-heavy batch: the longest sequence fills every position
    T = spec["maxT"]
    lens = [T, 3, 1, T // 2 + 1, 2, 5]
    B = len(lens)
    ids = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lens):
        ids[b, :n] = torch.randint(0, V, (n,))
        ids[b, 0] = VOCAB.index("[CLS]")
        mask[b, :n] = 1
    ids[1, 3:] = torch.randint(0, V, (T - 3,))   # padding ids need not be [PAD]
    out = {"input_ids": ids, "attention_mask": mask}
    with torch.no_grad():
        h, pooled = model(ids, mask)
        pools = poolings(h, mask, pooled)
        m64 = Bert(cfg, model.pooler is not None).double()
        m64.load_state_dict(model.state_dict())
        m64.eval()
        h64, pooled64 = m64(ids, mask)
    out["last_hidden_state"] = h
    for k, v in pools.items():
        out["pooled_" + k] = v
        out["pooled_%s_normalized" % k] = torch.nn.functional.normalize(v, p=2, dim=1)
    diff64 = float((h.double() - h64).abs().max())

    # the fixture texts, each alone
    vi = {t: i for i, t in enumerate(VOCAB)}
    tids = [wordpiece(t, vi, T) for t in TEXTS]
    Tt = max(len(x) for x in tids)
    text_ids = torch.zeros(len(TEXTS), Tt, dtype=torch.long)
    for i, x in enumerate(tids):
        text_ids[i, :len(x)] = torch.tensor(x)
    out["text_ids"] = text_ids
    out["text_len"] = torch.tensor([len(x) for x in tids], dtype=torch.long)
    per = {}
    with torch.no_grad():
        for x in tids:
            xi = torch.tensor([x])
            hh, pp = model(xi, torch.ones_like(xi))
            for k, v in poolings(hh, torch.ones_like(xi), pp).items():
                per.setdefault(k, []).append(v[0])
    for k, v in per.items():
        out["text_" + k] = torch.stack(v)

    meta = {
        "texts": json.dumps(TEXTS),
        "max_length": str(T),
        "default_pooling": spec.get("st", "cls"),
        "normalize": "1" if spec.get("normalize") else "0",
        "max_diff_vs_float64": "%.3g" % diff64,
    }
    os.makedirs(PARITY, exist_ok=True)
    write_safetensors(os.path.join(PARITY, spec["name"] + ".safetensors"),
                      {k: v.contiguous() for k, v in out.items()}, meta)
    print("%-12s C%-3d NH%d L%d FF%-3d T%-2d %-9s float32 vs float64: %s" % (
        spec["name"], spec["C"], spec["NH"], spec["L"], spec["FF"], T,
        str(spec["dtype"]).replace("torch.", ""), meta["max_diff_vs_float64"]))


# ---------------------------------------------------------------------------
# Gradient fixtures (training) go here: reuse Bert, hf_state and
# write_safetensors above, write into tests/data/parity/ under their own names.
# ---------------------------------------------------------------------------


def main():
    torch.set_num_threads(1)
    for i, spec in enumerate(SPECS):
        make(spec, 1000 + i)


if __name__ == "__main__":
    main()
