#!/usr/bin/python3
"""make-train-fixtures.py — PyTorch references for the training pieces.

Writes, under tests/data/train/ (or the folder given as the only argument):
  loss.safetensors   SimCSE, contrastive, GCSE (one-sided and symmetric):
                     inputs, loss and the gradient w.r.t. every input
  head.safetensors   the MLP head (Linear H->H + tanh on [CLS]): output and
                     gradients w.r.t. input, weight and bias
  layers.safetensors backward of every encoder kernel (embeddings, LayerNorm,
                     linear, attention with padding mask and with dropout
                     on the probabilities, masked softmax, GELU) by autograd:
                     inputs, the upstream gradient dout and every input
                     gradient
  adam.safetensors   3 steps of torch.optim.Adam (with and without L2 weight
                     decay) and AdamW under the linear warm-up / decay schedule
                     of transformers' get_linear_schedule_with_warmup, with
                     torch.nn.utils.clip_grad_norm_

References are computed in float64 from the float32 inputs (losses, head),
so the C code's fp32 error is measured against an exact answer; the
optimizer runs in float32 as torch runs it. Run with /usr/bin/python3 (torch);
the output is deterministic (fixed seeds).

The GCSE loss follows METHOD.md §5: s_i = cos(h_i, h_i-)/tau, d_i = s_i - s'_i,
G_i = exp(-d_i^2 / (2 sigma^2)) if d_i <= 0 (or always, symmetric) else 0,
logit = s_i - stopgrad(G_i * s_i): value (1 - G_i) s_i, gradient 1.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixturelib import write_safetensors  # noqa: E402 (also mtf.write_safetensors for the others)

TAU = 0.05
SIGMA = 0.17


def unit(x):
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-8)


def loss_ref(kind, a, p, n=None, sprime=None, symmetric=False):
    """Loss and (for gcse) the gate G, all in float64."""
    N = a.shape[0]
    sp = unit(a) @ unit(p).T / TAU
    if kind == "simcse":
        logits, G = sp, torch.zeros(N, dtype=a.dtype)
    else:
        sn = unit(a) @ unit(n).T / TAU
        G = torch.zeros(N, dtype=a.dtype)
        if kind == "gcse":
            s = torch.diagonal(sn)
            d = s.detach() - sprime
            g = torch.exp(-d * d / (2 * SIGMA * SIGMA))
            G = g if symmetric else torch.where(d <= 0, g, torch.zeros_like(g))
            sn = sn - torch.diag_embed((G * s).detach())
        logits = torch.cat([sp, sn], dim=1)
    loss = torch.nn.functional.cross_entropy(logits, torch.arange(N))
    return loss, G


def make_loss(out):
    g = torch.Generator().manual_seed(20250101)
    N, C = 6, 16
    tensors = []
    for case in ["simcse", "contrastive", "gcse", "gcse_sym"]:
        kind = "gcse" if case.startswith("gcse") else case
        sym = case == "gcse_sym"
        a32 = torch.randn(N, C, generator=g)
        # positives: noisy copies of the anchors (a realistic, peaked softmax)
        p32 = a32 + 1.5 * torch.randn(N, C, generator=g)
        n32 = 0.5 * a32 + torch.randn(N, C, generator=g)
        sprime32 = None
        if kind == "gcse":
            # row 0: anchor and hard negative on the same axis, so
            # s_0 = cos/tau = 20 exactly and d_0 = 0 exactly (s'_0 = 20)
            a32[0] = 0
            n32[0] = 0
            a32[0, 3] = 2.0
            n32[0, 3] = 3.0
            a64, n64 = a32.double(), n32.double()
            s = torch.diagonal(unit(a64) @ unit(n64).T / TAU)
            # d: 0, small +, small -, moderate -, large +, large -
            d = torch.tensor([0.0, 0.1, -0.1, -0.3, 2.0, -4.0], dtype=torch.float64)
            sprime32 = (s - d).float()
            sprime32[0] = 20.0
        a = a32.double().requires_grad_()
        p = p32.double().requires_grad_()
        n = n32.double().requires_grad_()
        sp64 = sprime32.double() if sprime32 is not None else None
        loss, G = loss_ref(kind, a, p, n if kind != "simcse" else None, sp64, sym)
        loss.backward()
        tensors += [(case + ".a", a32), (case + ".p", p32)]
        if kind != "simcse":
            tensors.append((case + ".n", n32))
        if sprime32 is not None:
            tensors += [(case + ".sprime", sprime32), (case + ".G", G.detach())]
        tensors += [(case + ".loss", loss.detach().reshape(1)),
                    (case + ".da", a.grad), (case + ".dp", p.grad)]
        if kind != "simcse":
            tensors.append((case + ".dn", n.grad))
    write_safetensors(os.path.join(out, "loss.safetensors"), tensors,
                      {"N": N, "C": C, "tau": TAU, "sigma": SIGMA})


def make_head(out):
    g = torch.Generator().manual_seed(7)
    N, T, H = 4, 3, 8
    # hidden states (N,T,H): the head reads the [CLS] rows (t = 0)
    hid32 = torch.randn(N, T, H, generator=g)
    W32 = 0.3 * torch.randn(H, H, generator=g)
    b32 = 0.1 * torch.randn(H, generator=g)
    dout32 = torch.randn(N, H, generator=g)
    hid = hid32.double().requires_grad_()
    W = W32.double().requires_grad_()
    b = b32.double().requires_grad_()
    y = torch.tanh(hid[:, 0, :] @ W.T + b)
    y.backward(dout32.double())
    write_safetensors(os.path.join(out, "head.safetensors"), [
        ("hidden", hid32), ("W", W32), ("b", b32), ("dout", dout32),
        ("out", y.detach()), ("dhidden", hid.grad), ("dW", W.grad), ("db", b.grad)],
        {"N": N, "T": T, "H": H})


def make_layers(out):
    """Per-kernel backward references (float64 autograd on float32 inputs)."""
    g = torch.Generator().manual_seed(4242)
    B, T, C, NH, OC, V, maxT = 2, 5, 8, 2, 12, 11, 7
    hs = C // NH
    r = lambda *shape, s=1.0: (s * torch.randn(*shape, generator=g)).float()
    d64 = lambda x: x.double().requires_grad_()
    ts = []
    # embeddings: out = (wte[ids] + wtt[0]) + wpe[t]; id 3 repeats
    ids = torch.randint(0, V, (B, T), generator=g)
    ids[0, 1] = ids[1, 3] = ids[1, 4] = 3
    wte, wpe, wtt, dout = r(V, C), r(maxT, C), r(2, C), r(B, T, C)
    a, b_, c_ = d64(wte), d64(wpe), d64(wtt)
    y = (a[ids] + c_[0]) + b_[:T].unsqueeze(0)
    y.backward(dout.double())
    ts += [("emb.ids", ids), ("emb.wte", wte), ("emb.wpe", wpe), ("emb.wtt", wtt),
           ("emb.dout", dout), ("emb.dwte", a.grad), ("emb.dwpe", b_.grad),
           ("emb.dwtt", c_.grad)]
    # layernorm, eps 1e-12 as BERT
    x, w, bb, dout = r(B, T, C, s=2.0) + 0.5, 1 + r(C, s=0.3), r(C, s=0.3), r(B, T, C)
    xa, wa, ba = d64(x), d64(w), d64(bb)
    y = torch.nn.functional.layer_norm(xa, (C,), wa, ba, 1e-12)
    y.backward(dout.double())
    ts += [("ln.x", x), ("ln.w", w), ("ln.b", bb), ("ln.dout", dout), ("ln.out", y.detach()),
           ("ln.dx", xa.grad), ("ln.dw", wa.grad), ("ln.db", ba.grad)]
    # linear: out = x W^T + b, W (OC, C)
    x, W, bb, dout = r(B, T, C), r(OC, C, s=0.5), r(OC, s=0.1), r(B, T, OC)
    xa, Wa, ba = d64(x), d64(W), d64(bb)
    y = xa @ Wa.T + ba
    y.backward(dout.double())
    ts += [("mm.x", x), ("mm.W", W), ("mm.b", bb), ("mm.dout", dout), ("mm.out", y.detach()),
           ("mm.dx", xa.grad), ("mm.dW", Wa.grad), ("mm.db", ba.grad)]
    # attention: inp (B,T,3C) Q|K|V; sequence 1 has two padding tokens;
    # case "att": no dropout; case "attd": dropout p on the probabilities
    # with the keep mask given (B,NH,T,T)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 3:] = 0
    p = 0.25
    keep = (torch.rand(B, NH, T, T, generator=g) >= p).to(torch.int64)
    for case, pp in [("att", 0.0), ("attd", p)]:
        inp, dout = r(B, T, 3 * C), r(B, T, C)
        ia = d64(inp)
        q, k, v = ia[..., :C], ia[..., C:2 * C], ia[..., 2 * C:]
        split = lambda t: t.reshape(B, T, NH, hs).permute(0, 2, 1, 3)
        sc = split(q) @ split(k).transpose(-1, -2) / math.sqrt(hs)
        sc = sc + (1 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min
        att = torch.softmax(sc, dim=-1)
        attd = att * keep.double() / (1 - pp) if pp > 0 else att
        y = (attd @ split(v)).permute(0, 2, 1, 3).reshape(B, T, C)
        y.backward(dout.double())
        ts += [(case + ".inp", inp), (case + ".dout", dout), (case + ".att", att.detach()),
               (case + ".out", y.detach()), (case + ".dinp", ia.grad)]
    ts += [("att.mask", mask), ("attd.keep", keep), ("attd.p", torch.tensor([p], dtype=torch.float64))]
    # masked softmax of one row (entries 2 and 5 masked)
    n = 9
    x, dout = r(n, s=2.0), r(n)
    m = torch.ones(n, dtype=torch.int64)
    m[2] = m[5] = 0
    xa = d64(x)
    y = torch.softmax(xa.masked_fill(m == 0, float("-inf")), dim=0)
    y.backward(dout.double())
    ts += [("sm.x", x), ("sm.mask", m), ("sm.dout", dout), ("sm.probs", y.detach()),
           ("sm.dx", xa.grad)]
    # exact GELU, including the tails
    x = torch.cat([torch.linspace(-9, 9, 37), r(64, s=2.0)]).float()
    dout = r(x.numel())
    xa = d64(x)
    y = torch.nn.functional.gelu(xa)
    y.backward(dout.double())
    ts += [("gelu.x", x), ("gelu.dout", dout), ("gelu.out", y.detach()), ("gelu.dx", xa.grad)]
    write_safetensors(os.path.join(out, "layers.safetensors"), ts,
                      {"B": B, "T": T, "C": C, "NH": NH, "OC": OC, "V": V, "maxT": maxT})


def linear_warmup(warmup, total):
    # transformers.get_linear_schedule_with_warmup's lr_lambda
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def make_adam(out):
    g = torch.Generator().manual_seed(11)
    n, steps = 10, 3
    base_lr, warmup, total, max_norm = 0.1, 2, 5, 1.0
    init = torch.randn(n, generator=g)
    # step 0 and 2 clipped (norm > 1), step 1 not
    grads = [2.0 * torch.randn(n, generator=g), 0.1 * torch.randn(n, generator=g),
             torch.randn(n, generator=g)]
    tensors = [("init", init)] + [("grad.%d" % i, grads[i]) for i in range(steps)]
    for case, cls, wd in [("adam", torch.optim.Adam, 0.0), ("adam_l2", torch.optim.Adam, 0.05),
                          ("adamw", torch.optim.AdamW, 0.05)]:
        p = torch.nn.Parameter(init.clone())
        opt = cls([p], lr=base_lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_warmup(warmup, total))
        lrs, norms = [], []
        for i in range(steps):
            opt.zero_grad()
            p.grad = grads[i].clone()
            norms.append(float(torch.nn.utils.clip_grad_norm_([p], max_norm)))
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        st = opt.state[p]
        tensors += [(case + ".params", p.detach().clone()), (case + ".m", st["exp_avg"]),
                    (case + ".v", st["exp_avg_sq"]),
                    (case + ".lr", torch.tensor(lrs, dtype=torch.float64)),
                    (case + ".norm", torch.tensor(norms, dtype=torch.float64)),
                    (case + ".wd", torch.tensor([wd], dtype=torch.float64))]
    write_safetensors(os.path.join(out, "adam.safetensors"), tensors,
                      {"n": n, "steps": steps, "base_lr": base_lr, "warmup": warmup,
                       "total": total, "max_norm": max_norm})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "train")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    make_loss(out)
    make_head(out)
    make_adam(out)
    make_layers(out)


if __name__ == "__main__":
    main()
