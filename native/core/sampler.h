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
  const std::atomic<bool>* cancel = nullptr;  // checked before every step → rg::Error(kAborted)
  // Above this size the per-layer conditioner projections are redone at every step instead of
  // being held for the whole call: long inputs then need L·2C/bins times less memory.
  int64_t max_cache_bytes = int64_t{1} << 30;
};

// degraded [B, T] → restored [B, T].
torch::Tensor restore(Model& model, const torch::Tensor& degraded, const RestoreOptions& options);

}  // namespace rg
