// Restores whole images of any size with a patch model (WeatherDiff): overlapping patches on a
// grid, the noise estimates averaged over overlaps at every DDIM step. Everything that does not
// depend on the step (padding, patch grid, overlap counts, Σ_prior, x_T, the conditioning
// patches, the step embeddings) is computed once per call.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "model.h"

namespace rg {

struct ImageRestoreOptions {
  int steps = 0;      // DDIM steps over every (T / steps)-th training step; 0: the config's ddimSteps
  double eta = -1;    // DDIM η in [0, 1]: 0 deterministic, 1 DDPM-like; negative: the config's ddimEta
  int stride = 0;     // patch grid stride in [1, patchSize]; 0: the config's patchStride
  uint64_t seed = 0;  // x_T and (η > 0) each step's noise come from this call's own generator
  bool use_ema = true;
  bool clip_denoised = true;  // clamp each step's x̂0 to the pixel range
  // How overlapping estimates are averaged: uniformly (WeatherDiff) or weighted by a tent window
  // that fades each patch towards its edges, where a network sees least context.
  bool tent_blend = true;
  int max_patches = 16;                       // patches per network forward
  const std::atomic<bool>* cancel = nullptr;  // checked before every step → rg::Error(kAborted)
  int64_t max_pixels = int64_t{1} << 24;      // larger images are rejected (kInput)
  // Above this size the conditioning patches are cut again at every step instead of being held.
  int64_t max_cache_bytes = int64_t{1} << 30;
};

// degraded [C, H, W], pixels in [0, 1] → restored [C, H, W] in [0, 1], on the CPU. With `sigma`,
// also the σ of the prior the noise was drawn from, exp(½·log σ²_prior) [C, H, W] on the CPU, in
// the sampler's [−1, 1] pixel scale, cut from the mirrored working image to the input's size.
// Without it nothing extra is copied.
torch::Tensor restore_image(Model& model, const torch::Tensor& degraded, const ImageRestoreOptions& options,
                            torch::Tensor* sigma = nullptr);

// Top-left offsets of the patches along one side (side >= patch): every `stride` pixels, and the
// last one flush with the end, so every pixel is covered.
std::vector<int64_t> patch_starts(int64_t side, int64_t patch, int64_t stride);

}  // namespace rg
