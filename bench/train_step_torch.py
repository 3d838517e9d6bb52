#!/usr/bin/python3
"""train_step_torch.py — the PyTorch side of bench/train_step.sh.

One training step of unsupervised SimCSE on a hand-written BERT (post-LN,
erf GELU, dropout 0.1 on the embeddings, the attention probabilities and
both block outputs), the MLP head on [CLS], the SimCSE loss (tau 0.05),
gradient clipping at 1 and torch.optim.Adam: the same work as
tests/tools/bench_train does. B sentences x 2 dropout views x T tokens.

  train_step_torch.py [-L layers] [-C hidden] [-H heads] [-F ffn] [-V vocab]
                      [-B sentences] [-T tokens] [-n steps] [-j threads]

Prints one JSON line like bench_train: the seconds of every timed step
(after one warm-up step), their median and the median process CPU time.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, C, NH, FF, p):
        super().__init__()
        self.NH, self.p = NH, p
        self.q, self.k, self.v = nn.Linear(C, C), nn.Linear(C, C), nn.Linear(C, C)
        self.o = nn.Linear(C, C)
        self.ln1 = nn.LayerNorm(C, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(C, FF), nn.Linear(FF, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-12)

    def forward(self, x, ext):
        B, T, C = x.shape
        hs = C // self.NH
        split = lambda t: t.view(B, T, self.NH, hs).permute(0, 2, 1, 3)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hs) + ext, dim=-1)
        att = F.dropout(att, self.p, self.training)
        ctx = (att @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        x = self.ln1(x + F.dropout(self.o(ctx), self.p, self.training))
        h = F.dropout(self.fc2(F.gelu(self.fc1(x))), self.p, self.training)
        return self.ln2(x + h)


class Bert(nn.Module):
    def __init__(self, V, C, L, NH, FF, maxT=512, p=0.1):
        super().__init__()
        self.wte = nn.Embedding(V, C, padding_idx=0)
        self.wpe = nn.Embedding(maxT, C)
        self.wtt = nn.Embedding(2, C)
        self.ln = nn.LayerNorm(C, eps=1e-12)
        self.layers = nn.ModuleList([Layer(C, NH, FF, p) for _ in range(L)])
        self.mlp = nn.Linear(C, C)
        self.p = p
        for m in self.modules():   # BERT's init
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(0, 0.02)
            if isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward(self, ids, mask):
        B, T = ids.shape
        x = self.wte(ids) + self.wtt(torch.zeros_like(ids)) + self.wpe(torch.arange(T))[None]
        x = F.dropout(self.ln(x), self.p, self.training)
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, ext)
        return torch.tanh(self.mlp(x[:, 0]))


def main():
    ap = argparse.ArgumentParser()
    for k, v in [("L", 6), ("C", 384), ("H", 12), ("F", 1536), ("V", 30522), ("B", 64),
                 ("T", 32), ("n", 3), ("j", 2)]:
        ap.add_argument("-" + k, type=int, default=v)
    a = ap.parse_args()
    torch.set_num_threads(a.j)
    torch.manual_seed(1)
    model = Bert(a.V, a.C, a.L, a.H, a.F)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-5)
    g = torch.Generator().manual_seed(3)
    secs, cpu = [], []
    for s in range(a.n + 1):
        ids = torch.randint(999, a.V, (a.B, a.T), generator=g)
        ids[:, 0], ids[:, -1] = 101, 102
        ids = torch.cat([ids, ids])
        mask = torch.ones_like(ids)
        c0, t0 = time.process_time(), time.perf_counter()
        opt.zero_grad(set_to_none=False)
        h = model(ids, mask)
        z1, z2 = h[:a.B], h[a.B:]
        sim = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / 0.05
        loss = F.cross_entropy(sim, torch.arange(a.B))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        t1, c1 = time.perf_counter(), time.process_time()
        if s > 0:
            secs.append(round(t1 - t0, 4))
            cpu.append(round(c1 - c0, 4))
    nparams = sum(p.numel() for p in model.parameters())
    print(json.dumps({"impl": "torch", "layers": a.L, "hidden": a.C, "heads": a.H, "ffn": a.F,
                      "vocab": a.V, "sentences": a.B, "tokens": a.T, "steps": secs,
                      "median_s": sorted(secs)[len(secs) // 2],
                      "median_cpu_s": sorted(cpu)[len(cpu) // 2], "loss": float(loss),
                      "params": nparams, "torch": torch.__version__},
                     separators=(",", ":")))


if __name__ == "__main__":
    main()
