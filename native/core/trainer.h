// One optimisation step: joint loss, gradient clipping, Adam, EMA.
#pragma once
#include <torch/torch.h>

#include "model.h"

namespace rg {

struct StepStats {
  int64_t step = 0;  // steps completed, this one included
  double loss = 0, dm = 0, mse = 0, lr_term = 0, pm = 0, sigma_post = 1, sigma_prior = 1, grad_norm = 0;
};

// clean, degraded: [B, T] float32 (speech) or [B, C, H, W] patches with pixels in [0, 1] (images), equal shapes. lr <=
// 0 takes the config's. A non-finite loss throws rg::Error(kNative) before any weight changes.
StepStats train_step(Model& model, const torch::Tensor& clean, const torch::Tensor& degraded, double lr = 0);

}  // namespace rg
