// RestoreGrad's joint loss η·L_LR + L_DM + λ·L_PM on CDiffuSE's conditional process (speech) or
// the standard DDPM process (images, WeatherDiff).
#pragma once
#include <torch/torch.h>

#include "model.h"

namespace rg {

// Each term is the sum over elements that the paper writes, divided by the element count: a
// constant factor that keeps the loss scale independent of batch and crop size and leaves the
// balance between terms as written.
struct LossTerms {
  torch::Tensor total, dm, lr, pm;
  torch::Tensor mse;  // unweighted ‖target − ε̂‖² per element: the x0 estimate's error, whatever Σ is
};

// post/prior: log σ² ([B, T]) or undefined for σ = 1. With `learned` false only L_DM counts
// (weighted by Σ⁻¹ of `post`: PriorGrad's Σ_y or the identity).
LossTerms joint_loss(const torch::Tensor& x0, const torch::Tensor& target, const torch::Tensor& predicted,
                     const torch::Tensor& post, const torch::Tensor& prior, double alpha_bar_last, double eta,
                     double lambda, bool learned);

// The forward process with ε = σ_post ⊙ n: x_t = (1−m)√ᾱ x0 + m√ᾱ y + √δ ε and the network's
// target [m√ᾱ (y − x0) + √δ ε] / √(1 − ᾱ). alpha_bar: [B].
struct Diffused {
  torch::Tensor x_t, target;
};
Diffused diffuse(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& alpha_bar,
                 const torch::Tensor& eps);

// Images: the DDPM forward process with ε = σ_post ⊙ n: x_t = √ᾱ x0 + √(1 − ᾱ) ε, target ε or
// (v_target) v = √ᾱ ε − √(1 − ᾱ) x0. x0, eps: [B, C, H, W]; alpha_bar: [B].
Diffused diffuse_image(const torch::Tensor& x0, const torch::Tensor& alpha_bar, const torch::Tensor& eps,
                       bool v_target);

struct LossSummary {
  LossTerms terms;
  torch::Tensor sigma_post, sigma_prior;  // mean σ, for monitoring
};

// The whole training objective for one batch, given the steps t [B] (long) and unit noise n shaped
// as x0: [B, T] for speech, [B, C, H, W] patches in [-1, 1] for images.
LossSummary training_loss(Model& model, const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& t,
                          const torch::Tensor& n);

}  // namespace rg
