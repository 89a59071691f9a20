"""The image reference for `npm run bench:throughput`: restoregrad's patch UNet (the DDPM UNet that
WeatherDiff uses) and its patch DDIM sampler, written the way WeatherDiffusion's public PyTorch code
runs them: nn.Modules, a Python loop over steps and over batches of patches, the time embedding
computed inside every network call, and the patches cut again at every step.

It mirrors what restoregrad does (native/core/nets/unet.cpp, native/core/image_sampler.cpp), so that
both do the same arithmetic: the same layers and widths, the same patch grid, 16 patches per network
call, `ddimFastSteps` DDIM steps with η = 0, tent-weighted averaging of overlapping predictions,
clipped x̂0, the config's target, and x_T drawn from PriorGrad's local-energy prior
(native/core/image_prior.cpp), which with η = 0 enters only there.

usage: throughput_reference_image.py CONFIG_JSON HEIGHT WIDTH THREADS  -> one JSON line
The line's `parameters` is the UNet's size, the same as restoregrad's denoiser for the same config.
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

# restoregrad's patches per network call (ImageRestoreOptions::max_patches); WeatherDiffusion uses 64.
MAX_PATCHES = 16


def group_norm(channels):
    # DDPM's 32 groups, or (as restoregrad) the largest divisor below that for narrower layers.
    groups = min(channels, 32)
    while channels % groups:
        groups -= 1
    return nn.GroupNorm(groups, channels, eps=1e-6)


def timestep_embedding(t, dim):
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / max(half - 1, 1)))
    emb = t.float()[:, None] * freq[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], 1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(temb, cout)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))  # DDPM's dropout sits here: the identity at inference
        return (x if self.nin_shortcut is None else self.nin_shortcut(x)) + h


class AttnBlock(nn.Module):
    # Separate q, k, v convs as in DDPM: the parameters and FLOPs of restoregrad's fused qkv conv.
    def __init__(self, channels):
        super().__init__()
        self.norm = group_norm(channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.k = nn.Conv2d(channels, channels, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.norm(x)
        q, k, v = self.q(y).reshape(b, c, h * w), self.k(y).reshape(b, c, h * w), self.v(y).reshape(b, c, h * w)
        weights = torch.softmax(torch.bmm(q.permute(0, 2, 1), k) * c ** -0.5, dim=2)
        return x + self.proj_out(torch.bmm(v, weights.permute(0, 2, 1)).reshape(b, c, h, w))


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DiffusionUNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, mult, blocks = c["unetWidth"], c["unetMultipliers"], c["unetResBlocks"]
        self.ch, temb = ch, 4 * ch
        self.temb = nn.Module()
        self.temb.dense = nn.ModuleList([nn.Linear(ch, temb), nn.Linear(temb, temb)])
        self.conv_in = nn.Conv2d(2 * c["imageChannels"], ch, 3, padding=1)

        def attends(level):
            return c["patchSize"] >> level in c["attentionResolutions"]

        skips, channels = [ch], ch  # the widths the down path leaves for the up path
        self.down = nn.ModuleList()
        for i, m in enumerate(mult):
            level = nn.Module()
            level.block, level.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(blocks):
                level.block.append(ResnetBlock(channels, ch * m, temb))
                channels = ch * m
                if attends(i):
                    level.attn.append(AttnBlock(channels))
                skips.append(channels)
            if i + 1 < len(mult):
                level.downsample = Downsample(channels)
                skips.append(channels)
            self.down.append(level)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(channels, channels, temb)
        self.mid.attn_1 = AttnBlock(channels)
        self.mid.block_2 = ResnetBlock(channels, channels, temb)
        self.up = nn.ModuleList()
        for i in reversed(range(len(mult))):
            level = nn.Module()
            level.block, level.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(blocks + 1):
                level.block.append(ResnetBlock(channels + skips.pop(), ch * mult[i], temb))
                channels = ch * mult[i]
                if attends(i):
                    level.attn.append(AttnBlock(channels))
            if i > 0:
                level.upsample = Upsample(channels)
            self.up.insert(0, level)
        self.norm_out = group_norm(channels)
        self.conv_out = nn.Conv2d(channels, c["imageChannels"], 3, padding=1)

    def forward(self, x, t):
        temb = self.temb.dense[1](F.silu(self.temb.dense[0](timestep_embedding(t, self.ch))))
        hs = [self.conv_in(x)]
        for i, level in enumerate(self.down):
            for b, block in enumerate(level.block):
                h = block(hs[-1], temb)
                if len(level.attn) > 0:
                    h = level.attn[b](h)
                hs.append(h)
            if i + 1 < len(self.down):
                hs.append(level.downsample(hs[-1]))
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(hs[-1], temb)), temb)
        for i in reversed(range(len(self.up))):
            level = self.up[i]
            for b, block in enumerate(level.block):
                h = block(torch.cat([h, hs.pop()], dim=1), temb)
                if len(level.attn) > 0:
                    h = level.attn[b](h)
            if i > 0:
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def patch_starts(side, patch, stride):
    # Every `stride` pixels and the last patch flush with the end, so every pixel is covered.
    return list(range(0, side - patch, stride)) + [side - patch]


def prior_sigma(y, floor):
    """PriorGrad's σ for images: the local RMS of y over the channels and a 7 × 7 window."""
    energy = F.pad(y.pow(2).mean(1, keepdim=True), (3, 3, 3, 3), mode="replicate")
    return F.avg_pool2d(energy, 7, stride=1).sqrt().clamp(floor, 1.0).expand_as(y)


def x0_from(prediction, x, at, target):
    if target == "epsilon":
        return (x - (1 - at) ** 0.5 * prediction) / at**0.5
    if target == "v":
        return at**0.5 * x - (1 - at) ** 0.5 * prediction
    return prediction


def restore(model, image, c):
    """WeatherDiffusion's generalized_steps_overlapping, with restoregrad's choices (see the top)."""
    P, S, steps = c["patchSize"], c["patchStride"], c["ddimFastSteps"]
    y = 2 * image - 1
    H, W = y.shape[2:]
    corners = [(h, w) for h in patch_starts(H, P, S) for w in patch_starts(W, P, S)]
    # restoregrad's tent window, weighting each patch's edges less (WeatherDiffusion averages uniformly).
    i = torch.arange(P, dtype=torch.float32)
    ramp = (torch.minimum(i, P - 1 - i) + 1) / max(P // 2, 1)
    window = ramp[:, None] * ramp[None, :]
    weights = torch.zeros(1, 1, H, W)
    for h, w in corners:
        weights[:, :, h : h + P, w : w + P] += window
    betas = torch.linspace(c["betaStart"], c["betaEnd"], c["trainSteps"], dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)
    seq = [k * (c["trainSteps"] // steps) for k in range(steps)]
    x = torch.randn(y.shape) * prior_sigma(y, c["priorgradFloor"])
    for k in reversed(range(steps)):
        t = torch.tensor([seq[k]])
        at = float(alpha_bar[seq[k]])
        an = float(alpha_bar[seq[k - 1]]) if k > 0 else 1.0
        x_patches = torch.cat([x[:, :, h : h + P, w : w + P] for h, w in corners], dim=0)
        y_patches = torch.cat([y[:, :, h : h + P, w : w + P] for h, w in corners], dim=0)
        output = torch.zeros_like(x)
        for first in range(0, len(corners), MAX_PATCHES):
            batch = slice(first, first + MAX_PATCHES)
            out = model(torch.cat([y_patches[batch], x_patches[batch]], dim=1), t) * window
            for n, (h, w) in enumerate(corners[batch]):
                output[0, :, h : h + P, w : w + P] += out[n]
        x0 = x0_from(output / weights, x, at, c["imageTarget"]).clamp(-1, 1)
        eps = (x - at**0.5 * x0) / (1 - at) ** 0.5
        x = an**0.5 * x0 + (1 - an) ** 0.5 * eps  # DDIM, η = 0
    return ((x + 1) / 2).clamp(0, 1)


def main():
    c = json.loads(sys.argv[1])
    height, width, threads = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    P = c["patchSize"]
    if height < P or width < P:
        sys.exit(f"pictures must be at least {P} × {P} (restoregrad mirrors smaller ones; this does not)")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = DiffusionUNet(c).eval()
    image = torch.randint(0, 256, (1, c["imageChannels"], height, width)) / 255.0
    with torch.no_grad():
        restore(model, image[:, :, :P, :P], c)  # warm-up, one patch, as restoregrad's case
        t0 = time.perf_counter()
        restore(model, image, c)
        elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parameters = sum(p.numel() for p in model.parameters())
    print(json.dumps({"seconds": elapsed, "pictures": 1, "maxRssMiB": rss, "parameters": parameters}))


if __name__ == "__main__":
    main()
