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

StepStats train_step(Model& model, const torch::Tensor& clean, const torch::Tensor& degraded, double lr,
                     DataParallel* group) {
  if (clean.sizes() != degraded.sizes()) throw Error(kInput, "clean and degraded batches differ in shape");
  const int64_t world = group ? group->world_size() : 1, rank = group ? group->rank() : 0;
  const int64_t rows = clean.dim() > 0 ? clean.size(0) : 0, B = rows / world;
  if (rows % world != 0)
    throw Error(kInput, "a batch of " + std::to_string(rows) + " does not split evenly over " + std::to_string(world) +
                            " ranks");
  const bool image = model.config().image();
  const auto mine = [&](const torch::Tensor& x) { return world == 1 ? x : x.narrow(0, rank * B, B); };
  const auto x0 = image ? model.prepare_image(mine(clean), "clean") : model.prepare(mine(clean), "clean");
  const auto y = image ? model.prepare_image(mine(degraded), "degraded") : model.prepare(mine(degraded), "degraded");
  // Steps and noise are drawn for the whole batch, in one process's order, then sliced.
  auto& gen = model.generator();
  auto shape = x0.sizes().vec();
  shape[0] = B * world;
  const auto t = mine(torch::randint(0, model.config().train_steps, {B * world}, gen, torch::kLong));
  const auto n = mine(gaussian(gen, shape, model.device()));
  const double dropout = image ? 0.0 : model.config().cond_dropout;
  const auto keep = dropout > 0 ? mine(torch::rand({B * world}, gen).ge(dropout)) : torch::Tensor();

  model.set_training(true);
  const auto params = model.parameters();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  const auto summary = training_loss(model, x0, y, t, n, keep);
  auto stats = torch::stack({summary.terms.total, summary.terms.dm, summary.terms.mse, summary.terms.lr,
                             summary.terms.pm, summary.sigma_post, summary.sigma_prior})
                   .detach()
                   .to(torch::kFloat32);
  summary.terms.total.backward();
  if (group) {
    // Each rank's loss is a mean over its equal slice: the mean of the ranks' gradients is the
    // whole batch's. The statistics ride along in the same all-reduce.
    std::vector<torch::Tensor> tensors{stats};
    for (const auto& p : params)
      if (p.grad().defined()) tensors.push_back(p.mutable_grad());
    group->average(tensors);
  }
  const auto s = stats.cpu();
  const auto v = s.accessor<float, 1>();
  const double loss = v[0];
  if (!std::isfinite(loss))
    throw Error(kNative,
                "non-finite loss at step " + std::to_string(model.train_state().step + 1) + "; weights unchanged");

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
  st.dm = v[1];
  st.mse = v[2];
  st.lr_term = v[3];
  st.pm = v[4];
  st.sigma_post = v[5];
  st.sigma_prior = v[6];
  return st;
}

}  // namespace rg
