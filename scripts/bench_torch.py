"""PyTorch reference for `npm run bench`: times one GAN training step (D step + G step, Adam, BCE
from logits) of the same DCGANs at the same batch size on this machine's CPU.

Usage: bench_torch.py --model tf-tutorial|course --batch 64 --steps 3   -> one JSON line on stdout.
"""
import argparse
import json
import resource
import time

import torch
from torch import nn


def tf_tutorial():
    """TensorFlow's DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan); TF 'same' padding as torch padding/output_padding."""
    g = nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, padding=2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, 2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, 2, padding=2, output_padding=1, bias=False), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    return g, d, 100, 1e-4


def course(width=64, latent=64):
    """ganbook's buildDcganGenerator / buildDcganDiscriminator (lib/src/models.ts)."""
    g = nn.Sequential(
        nn.Linear(latent, 7 * 7 * width, bias=False), nn.BatchNorm1d(7 * 7 * width), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (width, 7, 7)),
        nn.ConvTranspose2d(width, width // 2, 4, 2, padding=1, bias=False), nn.BatchNorm2d(width // 2), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(width // 2, 1, 4, 2, padding=1), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, width // 2, 4, 2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width // 2, width, 4, 2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(width * 7 * 7, 1),
    )
    return g, d, latent, 2e-4


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="tf-tutorial")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    g, d, latent, lr = tf_tutorial() if a.model == "tf-tutorial" else course()
    g_opt = torch.optim.Adam(g.parameters(), lr, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(a.batch, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(a.batch, 1), torch.zeros(a.batch, 1)

    def step():
        fake = g(torch.randn(a.batch, latent)).detach()
        d_opt.zero_grad()
        (bce(d(real), ones) + bce(d(fake), zeros)).backward()
        d_opt.step()
        g_opt.zero_grad()
        bce(d(g(torch.randn(a.batch, latent))), ones).backward()
        g_opt.step()

    step()  # warm-up
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    print(json.dumps({
        "stepSeconds": sorted(times)[len(times) // 2],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
