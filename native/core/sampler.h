// The fused sampler: CDiffuSE's whole conditional reverse process in one call. Everything that
// does not depend on the step (spectrogram, upsampled conditioner and its per-layer projections,
// step embeddings for the schedule, Σ_prior) is computed once per call.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "model.h"

namespace rg {

struct RestoreOptions {
  std::vector<double> betas;  // inference schedule; empty = the training schedule
  // One seed per batch item (or one for all, offset by the item's index): an item's noise does
  // not depend on what else shares its batch.
  std::vector<uint64_t> seeds = {0};
  bool use_ema = true;
  // Run the dilated convolutions and conditioner projections in bfloat16 (about 3× faster GEMMs
  // on CPUs with AVX-512 BF16, half the cache); the sampler's arithmetic stays float32.
  bool bf16 = false;
  const std::atomic<bool>* cancel = nullptr;  // checked before every step → rg::Error(kAborted)
  // Memory budget of the per-layer conditioner projections held for the whole call. A batch over
  // it runs as groups of items that fit; an item over it alone projects again at every step
  // (L·2C/bins times less memory, about 3× the arithmetic for speech-base).
  int64_t max_cache_bytes = int64_t{1} << 30;
};

// Bytes of cached conditioner projections for one item of `samples` samples.
int64_t conditioner_cache_bytes(const ModelConfig& config, int64_t samples, bool bf16 = false);

// degraded [B, T] → restored [B, T]. With `sigma`, also the σ of the prior the noise was drawn
// from, exp(½·log σ²_prior) [B, T] on the CPU: the Prior Net's map (learned), the handcrafted one
// (PriorGrad) or noiseScale everywhere (standard). Without it nothing extra is copied.
torch::Tensor restore(Model& model, const torch::Tensor& degraded, const RestoreOptions& options,
                      torch::Tensor* sigma = nullptr);

}  // namespace rg
