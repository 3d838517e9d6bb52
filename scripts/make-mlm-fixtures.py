#!/usr/bin/python3
"""make-mlm-fixtures.py — masked-LM references for gcsetrain's engine (--loss mlm).

Writes tests/data/train/mlm.safetensors (or into the folder given as the only
argument) for the tiny model of make-grad-fixtures.py (tests/data/train/
tiny-model, read from there) with a random masked-LM head as Hugging Face's
BertForMaskedLM has it (cls.predictions: transform.dense, the exact GELU,
transform.LayerNorm, a decoder tied to the word embeddings plus the bias
cls.predictions.bias):

  the head's five tensors under their BertForMaskedLM names
  ids, mask (B,T)    the batch as the model sees it (some tokens already
                     replaced by [MASK] or another token)
  qpos, labels (R)   the selected positions (flat b*T + i, ascending) and
                     their original tokens: the loss is the mean
                     cross-entropy of the logits at those positions
  loss               (F64)
  grad.NAME          d loss / d NAME for every encoder tensor (HF names, no
                     "bert." prefix) and the head's tensors; the word
                     embeddings' gradient holds the lookup's part and the
                     tied decoder's (the [PAD] row only the decoder's: the
                     lookup has padding_idx)
  norm0..2, step3.NAME  3 AdamW steps (lr from "lr", weight decay 0.01 on the
                     matrices and embeddings, none on biases and LayerNorm
                     weights: transformers' rule) with gradient clipping
  metadata "saved_names": the tensor names save_pretrained writes for
                     BertForMaskedLM (tied tensors omitted), one per line

Computed in float64 from the float32 parameters; dropout 0. Run with
/usr/bin/python3; deterministic.
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixturelib import load  # noqa: E402


mgf = load("mgf", "make-grad-fixtures.py")
mtf = mgf.mtf
HEAD = ["cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        "cls.predictions.bias"]


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32"
        a, b = h["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(h["shape"])
    return out


def mlm_loss(P, H, c, ids, mask, qpos, labels):
    """BertForMaskedLM's loss at qpos. The lookup reads the word embeddings
    with the [PAD] row detached (nn.Embedding's padding_idx: no gradient
    from the lookup into that row); the tied decoder reads them as they are."""
    B, T = ids.shape
    C, pad = c["hidden_size"], c["pad_token_id"]
    W = P["embeddings.word_embeddings.weight"]
    Wl = torch.cat([W[:pad], W[pad:pad + 1].detach(), W[pad + 1:]])
    x = mgf.bert_hidden(dict(P, **{"embeddings.word_embeddings.weight": Wl}), c, ids,
                        mask).reshape(B * T, C)[qpos]
    y = x @ H[HEAD[0]].T + H[HEAD[1]]
    y = torch.nn.functional.gelu(y)
    y = torch.nn.functional.layer_norm(y, (C,), H[HEAD[2]], H[HEAD[3]], c["layer_norm_eps"])
    logits = y @ W.T + H[HEAD[4]]
    return torch.nn.functional.cross_entropy(logits, labels)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "data", "train")
    torch.set_num_threads(1)
    c = mgf.CFG
    C, V = c["hidden_size"], c["vocab_size"]
    P32 = read_safetensors(os.path.join(HERE, "..", "tests", "data", "train", "tiny-model",
                                        "model.safetensors"))
    names = [n for n, _, _ in mgf.param_specs(c)]
    g = torch.Generator().manual_seed(4711)
    H32 = {HEAD[0]: (0.3 * torch.randn(C, C, generator=g)).float(),
           HEAD[1]: (0.1 * torch.randn(C, generator=g)).float(),
           HEAD[2]: (1 + 0.1 * torch.randn(C, generator=g)).float(),
           HEAD[3]: (0.1 * torch.randn(C, generator=g)).float(),
           HEAD[4]: (0.2 * torch.randn(V, generator=g)).float()}
    B, T = 4, 9
    ids, mask = mgf.make_batch(g, B, T)
    ids, mask = ids[:B].clone(), mask[:B].clone()
    # selected: positions of real tokens other than [CLS]/[SEP], several per
    # sequence and none in one; then 80/10/10 as the collator: [MASK] (id 4),
    # another token, or kept
    real = [(b * T + i) for b in range(B) for i in range(1, T)
            if mask[b, i] and int(ids[b, i]) not in (0, 2, 3)]
    qpos = torch.tensor(sorted(p for k, p in enumerate(real) if k % 3 != 1 and p // T != 2),
                        dtype=torch.int64)
    labels = ids.reshape(-1)[qpos].clone()
    flat = ids.reshape(-1)
    for k, p in enumerate(qpos.tolist()):
        if k % 5 == 3:
            flat[p] = 5 + (int(flat[p]) + 7) % (V - 5)
        elif k % 5 != 4:
            flat[p] = 4
    tensors = [("ids", ids), ("mask", mask), ("qpos", qpos), ("labels", labels)]
    tensors += [(n, H32[n]) for n in HEAD]
    steps, base_lr, max_norm, wd = 3, 0.01, 1.0, 0.01
    lrs = [base_lr * (steps - s) / steps for s in range(steps)]
    tensors.append(("lr", torch.tensor(lrs, dtype=torch.float64)))
    P = {n: P32[n].double().clone().requires_grad_() for n in names}
    H = {n: H32[n].double().clone().requires_grad_() for n in HEAD}
    decay = [P[n] for n in names if not (n.endswith("bias") or n.endswith("LayerNorm.weight"))]
    decay += [H[HEAD[0]]]
    nodecay = [P[n] for n in names if n.endswith("bias") or n.endswith("LayerNorm.weight")]
    nodecay += [H[n] for n in HEAD[1:]]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=base_lr, betas=(0.9, 0.999), eps=1e-8)
    for step in range(steps):
        opt.zero_grad()
        loss = mlm_loss(P, H, c, ids, mask, qpos, labels)
        loss.backward()
        if step == 0:
            tensors.append(("loss", loss.detach().reshape(1)))
            tensors += [("grad." + n, (P[n].grad if P[n].grad is not None else
                                       torch.zeros_like(P[n])).float()) for n in names]
            tensors += [("grad." + n, H[n].grad.float()) for n in HEAD]
        params = [P[n] for n in names] + [H[n] for n in HEAD]
        norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
        tensors.append(("norm%d" % step, torch.tensor([norm], dtype=torch.float64)))
        for gr in opt.param_groups:
            gr["lr"] = lrs[step]
        opt.step()
    tensors += [("step3." + n, P[n].detach().float()) for n in names]
    tensors += [("step3." + n, H[n].detach().float()) for n in HEAD]
    # what save_pretrained writes for BertForMaskedLM: the encoder under
    # "bert." without the pooler (add_pooling_layer=False), the head without
    # the tied decoder weight and bias
    saved = ["bert." + n for n in names if not n.startswith("pooler.")] + HEAD
    mtf.write_safetensors(os.path.join(out, "mlm.safetensors"), tensors,
                          {"B": B, "T": T, "R": int(qpos.numel()), "steps": steps,
                           "base_lr": base_lr, "max_norm": max_norm, "weight_decay": wd,
                           "saved_names": "\n".join(saved)})


if __name__ == "__main__":
    main()
