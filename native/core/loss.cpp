#include "loss.h"

#include "spectrogram.h"

namespace rg {

LossTerms joint_loss(const torch::Tensor& x0, const torch::Tensor& target, const torch::Tensor& predicted,
                     const torch::Tensor& post, const torch::Tensor& prior, double alpha_bar_last, double eta,
                     double lambda, bool learned) {
  LossTerms l;
  const auto err2 = (target - predicted).pow(2);
  l.dm = (post.defined() ? err2 * torch::exp(-post) : err2).mean();
  l.mse = err2.mean().detach();
  if (!learned) {
    l.lr = torch::zeros({}, l.dm.options());
    l.pm = torch::zeros({}, l.dm.options());
    l.total = l.dm;
    return l;
  }
  const auto inv_post = torch::exp(-post);
  l.lr = (alpha_bar_last * x0.pow(2) * inv_post + post).mean();
  l.pm = (prior - post + torch::exp(post - prior)).mean();
  l.total = eta * l.lr + l.dm + lambda * l.pm;
  return l;
}

Diffused diffuse(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& alpha_bar,
                 const torch::Tensor& eps) {
  const auto ab = alpha_bar.unsqueeze(1);
  const auto sqrt_ab = ab.sqrt();
  const auto m = ((1 - ab) / sqrt_ab).clamp_max(1.0).sqrt();
  const auto sqrt_delta = (1 - (1 + m * m) * ab).clamp_min(0.0).sqrt();
  Diffused d;
  d.x_t = (1 - m) * sqrt_ab * x0 + m * sqrt_ab * y + sqrt_delta * eps;
  d.target = (m * sqrt_ab * (y - x0) + sqrt_delta * eps) / (1 - ab).sqrt();
  return d;
}

Diffused diffuse_image(const torch::Tensor& x0, const torch::Tensor& alpha_bar, const torch::Tensor& eps,
                       bool v_target) {
  const auto ab = alpha_bar.view({-1, 1, 1, 1});
  const auto a = ab.sqrt(), s = (1 - ab).sqrt();
  return {a * x0 + s * eps, v_target ? a * eps - s * x0 : eps};
}

LossSummary training_loss(Model& model, const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& t,
                          const torch::Tensor& n) {
  const auto& cfg = model.config();
  const auto spec = cfg.image() ? torch::Tensor() : log_spectrogram(y, cfg.n_fft, cfg.hop);
  const auto prior = model.prior_log_variance(y, spec);
  const auto post = model.posterior_log_variance(x0, y, prior);
  const auto eps = post.defined() ? n * torch::exp(0.5 * post) : n;
  const auto& sched = model.schedule();
  const auto alpha_bar =
      torch::tensor(sched.alpha_bar, torch::kFloat64).index_select(0, t.cpu()).to(x0.device(), torch::kFloat32);
  const auto d = cfg.image() ? diffuse_image(x0, alpha_bar, eps, cfg.v_target()) : diffuse(x0, y, alpha_bar, eps);
  const auto steps = t.to(x0.device());
  const auto predicted =
      cfg.image() ? model.unet()->forward(d.x_t, y, steps) : model.denoiser()->forward(d.x_t, spec, steps);
  LossSummary s;
  s.terms =
      joint_loss(x0, d.target, predicted, post, prior, sched.alpha_bar.back(), cfg.eta, cfg.lambda, cfg.learned());
  const auto one = torch::ones({}, x0.options());
  s.sigma_post = post.defined() ? torch::exp(0.5 * post).mean() : one;
  s.sigma_prior = prior.defined() ? torch::exp(0.5 * prior).mean() : one;
  return s;
}

}  // namespace rg
