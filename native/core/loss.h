// RestoreGrad's joint loss η·L_LR + L_DM + λ·L_PM on CDiffuSE's conditional process (speech) or
// the standard DDPM process (images, WeatherDiff).
#pragma once
#include <torch/torch.h>

#include "model.h"
#include "process.h"

namespace rg {

// Each term is the sum over elements that the paper writes, divided by the element count: a
// constant factor that keeps the loss scale independent of batch and crop size and leaves the
// balance between terms as written.
//
// L_DM = ‖target − prediction‖²_{Σ_post⁻¹} for every target. With x_t = √ᾱ·x0 + √(1−ᾱ)·g
// (process.h), the paper's ε-loss ‖g − ĝ‖² equals ᾱ/(1−ᾱ)·‖x0 − x̂0‖² for an x0 prediction and
// ᾱ·‖v − v̂‖² for a v prediction. Each target keeps the per-element Σ⁻¹ weighting and drops
// that per-step factor: ᾱ/(1−ᾱ) runs from 10⁴ to 0.7 over the speech schedule and would put
// the whole x0 loss on the quietest steps; ᾱ ≥ 0.41 (speech) makes v's factor at most 2.4.
struct LossTerms {
  torch::Tensor total, dm, lr, pm;
  torch::Tensor mse;  // unweighted ‖x̂0 − x0‖² per element: the clean estimate's error, whatever Σ is
};

// post/prior: log σ² ([B, T]) or undefined for σ = 1. With `learned` false only L_DM counts
// (weighted by Σ⁻¹ of `post`: PriorGrad's Σ_y or the identity). `x0_error` is x̂0 − x0;
// `alpha_bar_last` is L_LR's reference, lrScale·ᾱ_T.
LossTerms joint_loss(const torch::Tensor& x0, const torch::Tensor& target, const torch::Tensor& predicted,
                     const torch::Tensor& x0_error, const torch::Tensor& post, const torch::Tensor& prior,
                     double alpha_bar_last, double eta, double lambda, bool learned);

struct LossSummary {
  LossTerms terms;
  torch::Tensor sigma_post, sigma_prior;  // mean σ, for monitoring
};

// The whole training objective for one batch, given the steps t [B] (long) and unit noise n shaped
// as x0: [B, T] for speech, [B, C, H, W] patches in [-1, 1] for images. `keep` [B] (speech, with
// condition dropout): 1 keeps an example's conditioner, 0 zeroes it; undefined keeps all.
LossSummary training_loss(Model& model, const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& t,
                          const torch::Tensor& n, const torch::Tensor& keep = {});

}  // namespace rg
