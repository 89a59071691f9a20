#include "trainer.h"

#include <algorithm>
#include <cmath>

#include "error.h"
#include "loss.h"

namespace rg {

namespace {

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;

void adam_update(Model& model, const std::vector<torch::Tensor>& params, double lr) {
  auto& s = model.train_state();
  const double t = static_cast<double>(s.step + 1);
  const double bias1 = 1 - std::pow(kBeta1, t), bias2 = 1 - std::pow(kBeta2, t);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& g = params[i].grad();
    if (!g.defined()) continue;
    s.adam_m[i].mul_(kBeta1).add_(g, 1 - kBeta1);
    s.adam_v[i].mul_(kBeta2).addcmul_(g, g, 1 - kBeta2);
    const auto denom = (s.adam_v[i] / bias2).sqrt_().add_(kEps);
    params[i].addcdiv_(s.adam_m[i], denom, -lr / bias1);
  }
}

void ema_update(Model& model, const std::vector<torch::Tensor>& params) {
  auto& s = model.train_state();
  // Warm-up: early on the average follows the weights closely instead of the initialisation.
  const double decay = std::min(model.config().ema_decay, (1.0 + s.step) / (10.0 + s.step));
  for (size_t i = 0; i < params.size(); ++i) s.ema[i].mul_(decay).add_(params[i], 1 - decay);
}

}  // namespace

StepStats train_step(Model& model, const torch::Tensor& clean, const torch::Tensor& degraded, double lr) {
  if (clean.sizes() != degraded.sizes()) throw Error(kInput, "clean and degraded batches differ in shape");
  const bool image = model.config().image();
  const auto x0 = image ? model.prepare_image(clean, "clean") : model.prepare(clean, "clean");
  const auto y = image ? model.prepare_image(degraded, "degraded") : model.prepare(degraded, "degraded");
  const int64_t B = x0.size(0);
  auto& gen = model.generator();
  const auto t = torch::randint(0, model.config().train_steps, {B}, gen, torch::kLong);
  const auto n = gaussian(gen, x0.sizes(), model.device());

  model.set_training(true);
  const auto params = model.parameters();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  const auto summary = training_loss(model, x0, y, t, n);
  const double loss = summary.terms.total.item<double>();
  if (!std::isfinite(loss))
    throw Error(kNative,
                "non-finite loss at step " + std::to_string(model.train_state().step + 1) + "; weights unchanged");
  summary.terms.total.backward();

  StepStats st;
  const double clip = model.config().grad_clip;
  st.grad_norm = torch::nn::utils::clip_grad_norm_(params, clip > 0 ? clip : std::numeric_limits<double>::infinity());
  {
    torch::NoGradGuard no_grad;
    adam_update(model, params, lr > 0 ? lr : model.config().lr);
    ema_update(model, params);
  }
  st.step = ++model.train_state().step;
  st.loss = loss;
  st.dm = summary.terms.dm.item<double>();
  st.mse = summary.terms.mse.item<double>();
  st.lr_term = summary.terms.lr.item<double>();
  st.pm = summary.terms.pm.item<double>();
  st.sigma_post = summary.sigma_post.item<double>();
  st.sigma_prior = summary.sigma_prior.item<double>();
  return st;
}

}  // namespace rg
