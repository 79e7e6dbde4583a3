"""Train a small byte-level Mamba1 or Mamba2 language model on Tiny Shakespeare.

  /usr/bin/python3 train.py --arch mamba1 --minutes 20 --out /tmp/ckpt-mamba1.pt

Split: the first 90% of the bytes train, the last 10% are held out. AdamW with a
wall-clock cosine schedule (the learning rate reaches its floor when the time budget
ends), one CPU thread. The checkpoint with the best held-out loss is kept (in this
module's own parameter names; export.py writes the official layouts).
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_ref import Mamba1Config, Mamba2Config, MambaLM  # noqa: E402

# Tiny Shakespeare from the shared data folder beside the repository.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                    "shared", "data", "text", "tinyshakespeare.txt")


def make_config(arch):
    if arch == "mamba1":
        return Mamba1Config(d_model=128, n_layer=4, d_state=16, expand=2)
    return Mamba2Config(d_model=96, n_layer=4, d_state=32, expand=2, headdim=32, ngroups=2,
                        chunk_size=64)


def load_split(path=DATA):
    data = open(path, "rb").read()
    cut = len(data) * 9 // 10
    return data[:cut], data[cut:]


def to_tensor(b):
    return torch.tensor(list(b), dtype=torch.long)


@torch.no_grad()
def eval_loss(model, data, seq, n_windows):
    """Mean NLL (nats/byte) over n_windows evenly spread windows of seq+1 bytes."""
    step = (len(data) - seq - 1) // n_windows
    starts = torch.arange(n_windows) * step
    idx = starts[:, None] + torch.arange(seq + 1)
    batch = data[idx]
    total = 0.0
    for i in range(0, n_windows, 16):
        b = batch[i : i + 16]
        logits = model(b[:, :-1])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1),
                                 reduction="sum").item()
    return total / (n_windows * seq)


def param_groups(model, wd):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if getattr(p, "_no_weight_decay", False) or p.dim() < 2 or "conv1d" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def save(model, args, step, held_loss, train_loss_ema):
    torch.save({"arch": args.arch, "state_dict": model.state_dict(), "step": step,
                "held_loss": held_loss, "train_loss_ema": train_loss_ema}, args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["mamba1", "mamba2"], required=True)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--lr-min", type=float, default=1e-4)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=float, default=60.0, help="seconds")
    ap.add_argument("--eval-windows", type=int, default=64, help="held-out windows of 256 bytes")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--init", help="start from this checkpoint (a warm restart of the schedule)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # training only; goldens use exact float32
    torch.manual_seed(args.seed)
    cfg = make_config(args.arch)
    model = MambaLM(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    train_b, held_b = load_split()
    train, held = to_tensor(train_b), to_tensor(held_b)
    opt = torch.optim.AdamW(param_groups(model, args.wd), lr=args.lr, betas=(0.9, 0.95))
    budget = args.minutes * 60.0
    print(f"{args.arch}: {n_params} parameters, config {cfg}, train {len(train)} bytes, "
          f"held-out {len(held)} bytes, budget {budget:.0f}s", flush=True)

    best = math.inf
    if args.init:
        ck = torch.load(args.init)
        assert ck["arch"] == args.arch, ck["arch"]
        model.load_state_dict(ck["state_dict"])
        model.eval()
        best = eval_loss(model, held, 256, args.eval_windows)
        model.train()
        save(model, args, ck["step"], best, ck["train_loss_ema"])
        print(f"initialised from {args.init} (step {ck['step']}), held {best:.4f}", flush=True)
        step0 = ck["step"]
    else:
        step0 = 0

    t0 = time.time()
    last_eval = t0
    step = 0
    ema = None
    while True:
        now = time.time()
        frac = (now - t0) / budget
        if frac >= 1.0:
            break
        lr = args.lr_min + 0.5 * (args.lr - args.lr_min) * (1 + math.cos(math.pi * frac))
        if step < args.warmup:
            lr *= (step + 1) / args.warmup
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(train) - args.seq - 1, (args.batch,))
        b = train[starts[:, None] + torch.arange(args.seq + 1)]
        logits = model(b[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if time.time() - last_eval >= args.eval_every:
            last_eval = time.time()
            model.eval()
            hl = eval_loss(model, held, 256, args.eval_windows)
            model.train()
            mark = ""
            if hl < best:
                best = hl
                save(model, args, step0 + step, hl, ema)
                mark = " *"
            print(f"t={time.time() - t0:6.0f}s step {step:6d} lr {lr:.2e} train(ema) {ema:.4f} "
                  f"held {hl:.4f}{mark}", flush=True)

    model.eval()
    hl = eval_loss(model, held, 256, args.eval_windows)
    if hl < best:
        best = hl
        save(model, args, step0 + step, hl, ema)
    print(f"done: {step} steps in {time.time() - t0:.0f}s, final held {hl:.4f}, best held {best:.4f}",
          flush=True)


if __name__ == "__main__":
    main()
