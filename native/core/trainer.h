// One optimisation step: joint loss, gradient clipping, Adam, EMA.
#pragma once
#include <torch/torch.h>

#include "data_parallel.h"
#include "model.h"

namespace rg {

struct StepStats {
  int64_t step = 0;  // steps completed, this one included
  double loss = 0, dm = 0, mse = 0, lr_term = 0, pm = 0, sigma_post = 1, sigma_prior = 1, grad_norm = 0;
};

// clean, degraded: [B, T] float32 (speech) or [B, C, H, W] patches with pixels in [0, 1] (images), equal shapes. lr <=
// 0 takes the config's. A non-finite loss throws rg::Error(kNative) before any weight changes.
// With a group, clean and degraded are the whole global batch (B a multiple of the world size):
// this rank trains on its slice, drawing the same steps and noise as one process would for those
// rows; the statistics returned are the whole batch's.
StepStats train_step(Model& model, const torch::Tensor& clean, const torch::Tensor& degraded, double lr = 0,
                     DataParallel* group = nullptr);

}  // namespace rg
