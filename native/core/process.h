// The diffusion processes behind one contract: CDiffuSE's conditional process (speech) and the
// DDPM/DDIM process (images). Each gives the forward `diffuse`, the training target, x̂0 and the
// noise estimate from whatever the network predicts, and one reverse step. The joint loss and both
// samplers go through here, so a new target or prior variant is one place to change.
//
// Both processes write x_t = √ᾱ·x0 + √(1−ᾱ)·g. For DDPM g is the Gaussian noise ε; in CDiffuSE's
// process g = [m√ᾱ·(y − x0) + √δ·ε] / √(1−ᾱ), the "combined noise" its network predicts. The
// prediction targets are then, for both:
//   epsilon  g                       (CDiffuSE, DDPM)
//   x0       x0
//   v        √ᾱ·g − √(1−ᾱ)·x0       (Salimans & Ho)
// and any of them gives the other two with ᾱ and x_t. ε ~ N(0, Σ) in every Gaussian term.
#pragma once
#include <torch/torch.h>

#include <string>

#include "config.h"
#include "schedule.h"

namespace rg {

// ᾱ per item as a tensor that broadcasts against x ([B] → [B, 1, …]), or one ᾱ for all.
torch::Tensor alpha_bar_like(const torch::Tensor& alpha_bar, const torch::Tensor& x);

// Conversions between the targets at noise level ᾱ (a tensor broadcasting against x_t).
torch::Tensor noise_from(const torch::Tensor& prediction, const torch::Tensor& x_t, const torch::Tensor& alpha_bar,
                         Target target);
torch::Tensor x0_from(const torch::Tensor& prediction, const torch::Tensor& x_t, const torch::Tensor& alpha_bar,
                      Target target);
torch::Tensor target_from(const torch::Tensor& x0, const torch::Tensor& noise, const torch::Tensor& alpha_bar,
                          Target target);

struct Diffused {
  torch::Tensor x_t, target;
};

// CDiffuSE's conditional process: x_t = (1−m)√ᾱ x0 + m√ᾱ y + √δ ε with m, δ of schedule.h.
// x0, y, eps: [B, T]; alpha_bar: [B].
Diffused diffuse_conditional(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& alpha_bar,
                             const torch::Tensor& eps, Target target);

// DDPM: x_t = √ᾱ x0 + √(1−ᾱ) ε. x0, eps: [B, …]; alpha_bar: [B].
Diffused diffuse_ddpm(const torch::Tensor& x0, const torch::Tensor& alpha_bar, const torch::Tensor& eps, Target target);

// CDiffuSE's reverse process on schedule `rs`: the start x_S = √ᾱ_S·y + √δ_S·noise, and step n
// (S−1 … 0) x ← c1·x + c2·y − c3·ĝ + √δ̄·noise; the last step has no y term and no noise. `noise`
// is drawn from N(0, Σ_prior) by the caller (unused at n = 0).
torch::Tensor conditional_start(const ReverseSchedule& rs, const torch::Tensor& y, const torch::Tensor& noise);
torch::Tensor conditional_step(const ReverseSchedule& rs, int n, const torch::Tensor& x, const torch::Tensor& y,
                               const torch::Tensor& noise_estimate, const torch::Tensor& noise);

// Training steps DDIM visits for `steps` sampling steps: 0, k, 2k, … with k = T / steps.
std::vector<int64_t> ddim_timesteps(int train_steps, int steps);

// One DDIM step (Song et al.) from ᾱ_t to ᾱ_prev given x̂0 and ĝ; with η > 0 part of ĝ is replaced
// by `fresh` noise from N(0, Σ_prior) (undefined when η = 0).
torch::Tensor ddim_step(const torch::Tensor& x0, const torch::Tensor& noise_estimate, double alpha_bar,
                        double alpha_bar_prev, double eta, const torch::Tensor& fresh);

}  // namespace rg
