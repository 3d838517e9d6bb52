#!/usr/bin/python3
"""make-distill-fixtures.py — references for gcsetrain --loss distill.

Writes tests/data/train/distill.safetensors (or into the folder given as the
only argument) for the tiny model of make-grad-fixtures.py (tests/data/train/
tiny-model, read from there):

  ids, mask (B,T)    the batch (one text per row, padded)
  target (B,D)       the teacher's vectors, D < hidden size (zero-padded to
                     it by gcsetrain); one row all zeros (a text the teacher
                     has no word of: cosine 0, no gradient)
  loss               (F64) mean over the rows of 1 - cos(h_CLS, target)
  grad.NAME          d loss / d NAME for every encoder tensor (HF names);
                     the [PAD] row of the word embeddings gets none (the
                     lookup's padding_idx); the pooler none (not used)
  norm0..2, step3.NAME  3 AdamW steps (lr from "lr", weight decay 0.01 on
                     the matrices and embeddings, none on biases and
                     LayerNorm weights) with gradient clipping at max_norm

Computed in float64 from the float32 parameters; dropout 0. Run with
/usr/bin/python3; deterministic.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixturelib import load  # noqa: E402


mgf = load("mgf", "make-grad-fixtures.py")
mlmf = load("mlmf", "make-mlm-fixtures.py")
mtf = mgf.mtf


def distill_loss(P, c, ids, mask, target):
    """1 - cosine of the [CLS] hidden state and the zero-padded teacher vector."""
    B, T = ids.shape
    C, pad = c["hidden_size"], c["pad_token_id"]
    W = P["embeddings.word_embeddings.weight"]
    Wl = torch.cat([W[:pad], W[pad:pad + 1].detach(), W[pad + 1:]])
    cls = mgf.bert_hidden(dict(P, **{"embeddings.word_embeddings.weight": Wl}), c, ids, mask)[:, 0]
    t = torch.nn.functional.pad(target, (0, C - target.shape[1]))
    return (1 - torch.nn.functional.cosine_similarity(cls, t, dim=1, eps=1e-8)).mean()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "data", "train")
    torch.set_num_threads(1)
    c = mgf.CFG
    C = c["hidden_size"]
    P32 = mlmf.read_safetensors(os.path.join(HERE, "..", "tests", "data", "train", "tiny-model",
                                             "model.safetensors"))
    names = [n for n, _, _ in mgf.param_specs(c)]
    g = torch.Generator().manual_seed(1234)
    B, T, D = 5, 9, C - 3
    ids, mask = mgf.make_batch(g, B, T)
    ids, mask = ids[:B].clone(), mask[:B].clone()
    target = torch.randn(B, D, generator=g).float()
    target[3] = 0
    tensors = [("ids", ids), ("mask", mask), ("target", target)]
    steps, base_lr, max_norm, wd = 3, 0.01, 1.0, 0.01
    lrs = [base_lr * (steps - s) / steps for s in range(steps)]
    tensors.append(("lr", torch.tensor(lrs, dtype=torch.float64)))
    P = {n: P32[n].double().clone().requires_grad_() for n in names}
    decay = [P[n] for n in names if not (n.endswith("bias") or n.endswith("LayerNorm.weight"))]
    nodecay = [P[n] for n in names if n.endswith("bias") or n.endswith("LayerNorm.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=base_lr, betas=(0.9, 0.999), eps=1e-8)
    for step in range(steps):
        opt.zero_grad()
        loss = distill_loss(P, c, ids, mask, target.double())
        loss.backward()
        if step == 0:
            tensors.append(("loss", loss.detach().reshape(1)))
            tensors += [("grad." + n, (P[n].grad if P[n].grad is not None else
                                       torch.zeros_like(P[n])).float()) for n in names]
        norm = float(torch.nn.utils.clip_grad_norm_([P[n] for n in names], max_norm))
        tensors.append(("norm%d" % step, torch.tensor([norm], dtype=torch.float64)))
        for gr in opt.param_groups:
            gr["lr"] = lrs[step]
        opt.step()
    tensors += [("step3." + n, P[n].detach().float()) for n in names]
    mtf.write_safetensors(os.path.join(out, "distill.safetensors"), tensors,
                          {"B": B, "T": T, "D": D, "steps": steps, "base_lr": base_lr,
                           "max_norm": max_norm, "weight_decay": wd})


if __name__ == "__main__":
    main()
