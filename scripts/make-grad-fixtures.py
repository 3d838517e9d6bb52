#!/usr/bin/python3
"""make-grad-fixtures.py — whole-model training references for gcsetrain's engine.

Writes, under tests/data/train/ (or the folder given as the only argument):
  tiny-model/          a tiny random BERT in the Hugging Face layout
                       (config.json, model.safetensors, vocab.txt,
                       tokenizer_config.json) plus mlp_head.safetensors, the
                       training-only head (mlp.dense.weight / mlp.dense.bias)
  grads.safetensors    for one fixed batch (token ids and mask), under each
                       loss (simcse, contrastive, gcse), dropout 0:
                         LOSS.loss            the loss (F64)
                         LOSS.grad.NAME       d loss / d parameter NAME (every
                                              encoder tensor, HF names, and the
                                              head's two tensors)
                         LOSS.step3.NAME      the parameters after 3 steps of
                                              torch.optim.Adam under the linear
                                              schedule with gradient clipping
                       plus ids, mask (3N,T), sprime (N, logit units), lr (3)

The BERT is hand-written with Hugging Face BertModel's semantics (post-LN,
eps from the config, exact erf GELU, additive key mask of the lowest float,
token type 0, padding_idx: no gradient into the [PAD] row), as
scripts/make-fixtures.py writes its inference references; here it runs in
float64 from the float32 parameters, so the C engine's float32 error is
measured against an exact answer. Training sees h = tanh(CLS W^T + b).
Batch rows: simcse [a | a] (each sentence twice, the two dropout views),
contrastive and gcse [a | p | n]. Run with /usr/bin/python3; deterministic.
"""
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixturelib  # noqa: E402

mtf = fixturelib.load("mtf", "make-train-fixtures.py")

WORDS = ("a the cat dog man woman child bird sits runs walks sleeps eats plays on in under "
         "mat park street house tree sky sea red blue green big small happy sad is are not "
         "two three ball car rain sun").split()
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CFG = dict(vocab_size=len(SPECIAL) + len(WORDS), hidden_size=16, num_hidden_layers=2,
           num_attention_heads=2, intermediate_size=32, max_position_embeddings=16,
           type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12, hidden_dropout_prob=0.1,
           attention_probs_dropout_prob=0.1, initializer_range=0.02, hidden_act="gelu",
           model_type="bert", architectures=["BertModel"], position_embedding_type="absolute")


def param_specs(c):
    """(name, shape, kind) in Hugging Face order."""
    C, FF, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    s = [("embeddings.word_embeddings.weight", (c["vocab_size"], C), "emb"),
         ("embeddings.position_embeddings.weight", (c["max_position_embeddings"], C), "emb"),
         ("embeddings.token_type_embeddings.weight", (c["type_vocab_size"], C), "emb"),
         ("embeddings.LayerNorm.weight", (C,), "lnw"), ("embeddings.LayerNorm.bias", (C,), "b")]
    for l in range(L):
        p = "encoder.layer.%d." % l
        for q in ["query", "key", "value"]:
            s += [(p + "attention.self.%s.weight" % q, (C, C), "w"),
                  (p + "attention.self.%s.bias" % q, (C,), "b")]
        s += [(p + "attention.output.dense.weight", (C, C), "w"),
              (p + "attention.output.dense.bias", (C,), "b"),
              (p + "attention.output.LayerNorm.weight", (C,), "lnw"),
              (p + "attention.output.LayerNorm.bias", (C,), "b"),
              (p + "intermediate.dense.weight", (FF, C), "w"),
              (p + "intermediate.dense.bias", (FF,), "b"),
              (p + "output.dense.weight", (C, FF), "w"), (p + "output.dense.bias", (C,), "b"),
              (p + "output.LayerNorm.weight", (C,), "lnw"),
              (p + "output.LayerNorm.bias", (C,), "b")]
    s += [("pooler.dense.weight", (C, C), "w"), ("pooler.dense.bias", (C,), "b")]
    return s


def init_params(c, g):
    """Larger than BERT's init so that every path carries signal."""
    P = {}
    for name, shape, kind in param_specs(c):
        if kind == "emb":
            t = 0.5 * torch.randn(*shape, generator=g)
        elif kind == "w":
            t = 0.3 * torch.randn(*shape, generator=g)
        elif kind == "lnw":
            t = 1 + 0.1 * torch.randn(*shape, generator=g)
        else:
            t = 0.1 * torch.randn(*shape, generator=g)
        P[name] = t.float()
    P["embeddings.word_embeddings.weight"][c["pad_token_id"]] = 0
    return P


def bert_hidden(P, c, ids, mask):
    """Hugging Face BertModel (eval semantics = train with dropout 0): the last hidden states."""
    B, T = ids.shape
    C, NH = c["hidden_size"], c["num_attention_heads"]
    hs = C // NH
    eps = c["layer_norm_eps"]
    ln = lambda x, pre: torch.nn.functional.layer_norm(x, (C,), P[pre + "LayerNorm.weight"],
                                                       P[pre + "LayerNorm.bias"], eps)
    lin = lambda x, pre: x @ P[pre + "weight"].T + P[pre + "bias"]
    x = (P["embeddings.word_embeddings.weight"][ids] +
         P["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]) + \
        P["embeddings.position_embeddings.weight"][torch.arange(T)].unsqueeze(0)
    x = ln(x, "embeddings.")
    ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
    split = lambda t: t.reshape(B, T, NH, hs).permute(0, 2, 1, 3)
    for l in range(c["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        q = split(lin(x, p + "attention.self.query."))
        k = split(lin(x, p + "attention.self.key."))
        v = split(lin(x, p + "attention.self.value."))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hs) + ext, dim=-1)
        ctx = (att @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        x = ln(lin(ctx, p + "attention.output.dense.") + x, p + "attention.output.")
        h = torch.nn.functional.gelu(lin(x, p + "intermediate.dense."))
        x = ln(lin(h, p + "output.dense.") + x, p + "output.")
    return x


def bert_cls(P, c, ids, mask):
    """The [CLS] hidden states."""
    return bert_hidden(P, c, ids, mask)[:, 0]


def make_batch(g, N, T):
    """3N rows [anchors | positives | negatives] of [CLS] words [SEP] + padding."""
    V = CFG["vocab_size"]
    ids = torch.zeros(3 * N, T, dtype=torch.int64)
    mask = torch.zeros(3 * N, T, dtype=torch.int64)
    for r in range(3 * N):
        n = 2 + int(torch.randint(2, T - 1, (1,), generator=g))
        n = min(n, T)
        if r == 1:
            n = T                     # one full row
        ids[r, 0] = 2
        ids[r, 1:n - 1] = torch.randint(len(SPECIAL), V, (n - 2,), generator=g)
        ids[r, n - 1] = 3
        mask[r, :n] = 1
    return ids, mask


def write_model_dir(d, P, head):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CFG, f, indent=2, sort_keys=True)
        f.write("\n")
    mtf.write_safetensors(os.path.join(d, "model.safetensors"),
                          [(n, P[n]) for n, _, _ in param_specs(CFG)], {"format": "pt"})
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("".join(w + "\n" for w in SPECIAL + WORDS))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": CFG["max_position_embeddings"],
                   "tokenizer_class": "BertTokenizer"}, f, indent=2, sort_keys=True)
        f.write("\n")
    mtf.write_safetensors(os.path.join(d, "mlp_head.safetensors"),
                          [("mlp.dense.weight", head[0]), ("mlp.dense.bias", head[1])],
                          {"format": "pt"})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "data", "train")
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(31337)
    P32 = init_params(CFG, g)
    C = CFG["hidden_size"]
    head32 = ((0.3 * torch.randn(C, C, generator=g)).float(),
              (0.1 * torch.randn(C, generator=g)).float())
    write_model_dir(os.path.join(out, "tiny-model"), P32, head32)
    N, T = 4, 9
    ids, mask = make_batch(g, N, T)
    names = [n for n, _, _ in param_specs(CFG)]
    steps, base_lr, max_norm = 3, 0.01, 1.0
    lrs = [base_lr * (steps - s) / steps for s in range(steps)]   # warm-up 0, total 3
    tensors = [("ids", ids), ("mask", mask), ("lr", torch.tensor(lrs, dtype=torch.float64))]
    sprime = None
    for kind in ["simcse", "contrastive", "gcse"]:
        P = {n: P32[n].double().clone().requires_grad_() for n in names}
        W = head32[0].double().clone().requires_grad_()
        b = head32[1].double().clone().requires_grad_()
        params = [P[n] for n in names] + [W, b]
        opt = torch.optim.Adam(params, lr=base_lr, betas=(0.9, 0.999), eps=1e-8)

        def loss_fn():
            rows = torch.cat([ids[:N], ids[:N]]) if kind == "simcse" else ids
            m = torch.cat([mask[:N], mask[:N]]) if kind == "simcse" else mask
            h = torch.tanh(bert_cls(P, CFG, rows, m) @ W.T + b)
            if kind == "simcse":
                return mtf.loss_ref("simcse", h[:N], h[N:])[0], h
            return mtf.loss_ref(kind, h[:N], h[N:2 * N], h[2 * N:], sprime)[0], h

        if kind == "gcse":
            # s' around the model's own s_i: d = s - s' = +0.1, +0.02, -0.05, -0.4
            # (d = 0 exactly is the loss tests' job: here the float32 s could
            # fall on either side of it)
            with torch.no_grad():
                h = torch.tanh(bert_cls(P, CFG, ids, mask) @ W.T + b)
                s = torch.nn.functional.cosine_similarity(h[:N], h[2 * N:]) / mtf.TAU
            sprime = (s - torch.tensor([0.1, 0.02, -0.05, -0.4], dtype=torch.float64)).float().double()
            tensors.append(("sprime", sprime.float()))
        for step in range(steps):
            opt.zero_grad()
            loss, _ = loss_fn()
            loss.backward()
            # padding_idx: the [PAD] row of the word embeddings gets no gradient
            P["embeddings.word_embeddings.weight"].grad[CFG["pad_token_id"]] = 0
            if step == 0:
                tensors.append((kind + ".loss", loss.detach().reshape(1)))
                # unused tensors (the pooler) have no gradient: 0
                tensors += [(kind + ".grad." + n, (P[n].grad if P[n].grad is not None else
                                                   torch.zeros_like(P[n])).float()) for n in names]
                tensors += [(kind + ".grad.mlp.dense.weight", W.grad.float()),
                            (kind + ".grad.mlp.dense.bias", b.grad.float())]
            norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
            tensors.append((kind + ".norm%d" % step, torch.tensor([norm], dtype=torch.float64)))
            for gr in opt.param_groups:
                gr["lr"] = lrs[step]
            opt.step()
        tensors += [(kind + ".step3." + n, P[n].detach().float()) for n in names]
        tensors += [(kind + ".step3.mlp.dense.weight", W.detach().float()),
                    (kind + ".step3.mlp.dense.bias", b.detach().float())]
    mtf.write_safetensors(os.path.join(out, "grads.safetensors"), tensors,
                          {"N": N, "T": T, "steps": steps, "base_lr": base_lr,
                           "max_norm": max_norm, "tau": mtf.TAU, "sigma": mtf.SIGMA})


if __name__ == "__main__":
    main()
