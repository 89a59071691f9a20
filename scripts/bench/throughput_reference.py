"""The reference for `npm run bench:throughput`: CDiffuSE's network and fast sampler written the way
its public PyTorch code runs them, a Python loop that calls the whole network (spectrogram
upsampler and every layer's conditioner projection included) at every reverse step.

usage: throughput_reference.py CONFIG_JSON BATCH SECONDS THREADS  -> one JSON line
       throughput_reference.py --gemm THREADS                     -> the machine's fp32 GEMM rate
Run with Debian's python3-torch (/usr/bin/python3). Weights are random: only time is measured.
"""
import json
import math
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class StepEmbedding(nn.Module):
    def __init__(self, steps, hidden):
        super().__init__()
        t = torch.arange(steps).unsqueeze(1).float()
        d = torch.arange(64).unsqueeze(0).float()
        table = t * 10.0 ** (d * 4.0 / 63.0)
        self.register_buffer("table", torch.cat([torch.sin(table), torch.cos(table)], 1))
        self.proj1 = nn.Linear(128, hidden)
        self.proj2 = nn.Linear(hidden, hidden)

    def forward(self, t):
        lo, hi = t.floor().long(), t.ceil().long()
        x = self.table[lo] + (self.table[hi] - self.table[lo]) * (t - lo).unsqueeze(1)
        return F.silu(self.proj2(F.silu(self.proj1(x))))


class Upsampler(nn.Module):
    def __init__(self, kind, hop):
        super().__init__()
        self.kind, self.hop = kind, hop
        if kind == "transposed":
            self.conv1 = nn.ConvTranspose2d(1, 1, [3, 32], stride=[1, 16], padding=[1, 8])
            self.conv2 = nn.ConvTranspose2d(1, 1, [3, 32], stride=[1, 16], padding=[1, 8])

    def forward(self, x):
        if self.kind == "repeat":
            return x.repeat_interleave(self.hop, 2)
        x = F.leaky_relu(self.conv1(x.unsqueeze(1)), 0.4)
        return F.leaky_relu(self.conv2(x), 0.4).squeeze(1)


class ResidualBlock(nn.Module):
    def __init__(self, bins, channels, dilation, hidden):
        super().__init__()
        self.dilated_conv = nn.Conv1d(channels, 2 * channels, 3, padding=dilation, dilation=dilation)
        self.diffusion_projection = nn.Linear(hidden, channels)
        self.conditioner_projection = nn.Conv1d(bins, 2 * channels, 1)
        self.output_projection = nn.Conv1d(channels, 2 * channels, 1)

    def forward(self, x, conditioner, step):
        y = x + self.diffusion_projection(step).unsqueeze(-1)
        y = self.dilated_conv(y) + self.conditioner_projection(conditioner)
        gate, filt = torch.chunk(y, 2, dim=1)
        y = self.output_projection(torch.sigmoid(gate) * torch.tanh(filt))
        residual, skip = torch.chunk(y, 2, dim=1)
        return (x + residual) / math.sqrt(2.0), skip


class DiffWave(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, L = c["residualChannels"], c["residualLayers"]
        bins = c["nFft"] // 2 + 1
        self.input_projection = nn.Conv1d(1, C, 1)
        self.embedding = StepEmbedding(c["trainSteps"], c["embeddingHidden"])
        self.upsampler = Upsampler(c["upsampler"], c["hop"])
        self.layers = nn.ModuleList(
            [ResidualBlock(bins, C, 2 ** (i % c["dilationCycle"]), c["embeddingHidden"]) for i in range(L)]
        )
        self.skip_projection = nn.Conv1d(C, C, 1)
        self.output_projection = nn.Conv1d(C, 1, 1)

    def forward(self, audio, spectrogram, t):
        x = F.relu(self.input_projection(audio.unsqueeze(1)))
        step = self.embedding(t)
        conditioner = self.upsampler(spectrogram)
        skip = 0
        for layer in self.layers:
            x, s = layer(x, conditioner, step)
            skip = skip + s
        x = F.relu(self.skip_projection(skip / math.sqrt(len(self.layers))))
        return self.output_projection(x).squeeze(1)


def spectrogram(y, c):
    peak = y.abs().amax(1, keepdim=True).clamp_min(1e-8)
    window = torch.hamming_window(c["nFft"])
    s = torch.stft(y / peak, c["nFft"], c["hop"], window=window, return_complex=True)
    return torch.log1p(s.abs())[:, :, : y.shape[1] // c["hop"]]


def restore(model, y, c):
    """CDiffuSE's fast conditional sampler, as its inference script runs it."""
    betas = torch.tensor(c["fastBetas"], dtype=torch.float64)
    train = torch.linspace(c["betaStart"], c["betaEnd"], c["trainSteps"], dtype=torch.float64)
    train_ab = torch.cumprod(1 - train, 0)
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    # Each fast step's fractional training step, matched by sqrt(alpha_bar).
    t = []
    for s in range(len(betas)):
        for k in range(len(train) - 1):
            if train_ab[k + 1] <= ab[s] <= train_ab[k]:
                a, b = train_ab[k].sqrt(), train_ab[k + 1].sqrt()
                t.append(k + float((a - ab[s].sqrt()) / (a - b)))
                break
        else:
            t.append(0.0)
    m = [min(((1 - ab[n]) / ab[n].sqrt()) ** 0.5, 1.0) for n in range(len(betas))]
    delta = [max(1 - (1 + m[n] ** 2) * ab[n], 0.0) for n in range(len(betas))]
    spec = spectrogram(y, c)
    S = len(betas)
    x = ab[-1].sqrt() * y + delta[-1] ** 0.5 * torch.randn_like(y)
    for n in range(S - 1, -1, -1):
        eps = model(x, spec, torch.tensor([t[n]], dtype=torch.float32))
        if n > 0:
            c1 = (1 - m[n]) / (1 - m[n - 1]) / alphas[n].sqrt()
            c2 = (m[n - 1] - m[n] * (1 - m[n]) / (1 - m[n - 1])) * ab[n - 1].sqrt()
            c3 = (1 - m[n]) * (1 - ab[n]).sqrt() / alphas[n].sqrt() * 0.5
            x = float(c1) * x + float(c2) * y - float(c3) * eps + float(delta[n - 1]) ** 0.5 * torch.randn_like(y)
        else:
            x = x - eps * float((1 - ab[0]).sqrt() / alphas[0].sqrt())
            x = 0.8 * x + 0.2 * y
        x = x.clamp(-1, 1)
    return x


def gemm_rate(threads):
    torch.set_num_threads(threads)
    best = 0.0
    for m, k, n in [(2048, 2048, 2048), (128, 192, 64000), (3840, 513, 16000)]:
        a, b = torch.randn(m, k), torch.randn(k, n)
        torch.mm(a, b)
        reps = 5
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b)
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9)
    return best


def main():
    if sys.argv[1] == "--gemm":
        print(json.dumps({"gemmGflops": gemm_rate(int(sys.argv[2]))}))
        return
    c = json.loads(sys.argv[1])
    batch, seconds, threads = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = DiffWave(c).eval()
    samples = int(seconds * c["sampleRate"]) // c["hop"] * c["hop"]
    y = 0.1 * torch.randn(batch, samples)
    with torch.no_grad():
        restore(model, y[:1, : 8 * c["hop"]], c)  # warm-up
        t0 = time.perf_counter()
        restore(model, y, c)
        elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "audioSeconds": batch * samples / c["sampleRate"], "maxRssMiB": rss}))


if __name__ == "__main__":
    main()
