#include "loss.h"

#include "process.h"
#include "spectrogram.h"

namespace rg {

LossTerms joint_loss(const torch::Tensor& x0, const torch::Tensor& target, const torch::Tensor& predicted,
                     const torch::Tensor& x0_error, const torch::Tensor& post, const torch::Tensor& prior,
                     double alpha_bar_last, double eta, double lambda, bool learned) {
  LossTerms l;
  const auto err2 = (target - predicted).pow(2);
  l.dm = (post.defined() ? err2 * torch::exp(-post) : err2).mean();
  l.mse = x0_error.detach().pow(2).mean();
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

LossSummary training_loss(Model& model, const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& t,
                          const torch::Tensor& n, const torch::Tensor& keep) {
  const auto& cfg = model.config();
  const auto spec = cfg.image() ? torch::Tensor() : log_spectrogram(y, cfg.n_fft, cfg.hop);
  const auto one = torch::ones({}, x0.options());
  if (cfg.regression()) {
    // No diffusion: x̂0 = f(y) in one pass, at step 0 with y in x_t's place.
    const auto predicted =
        model.denoiser()->forward(y, spec, torch::zeros_like(t).to(x0.device()), cfg.noisy_input ? y : torch::Tensor());
    LossSummary s;
    s.terms = joint_loss(x0, x0, predicted, predicted - x0, {}, {}, 0, 0, 0, false);
    s.sigma_post = s.sigma_prior = one;
    return s;
  }
  const auto prior = model.prior_log_variance(y, spec);
  const auto post = model.posterior_log_variance(x0, y, prior, spec);
  const auto eps = post.defined() ? n * torch::exp(0.5 * post) : n;
  const auto& sched = model.schedule();
  const auto alpha_bar =
      torch::tensor(sched.alpha_bar, torch::kFloat64).index_select(0, t.cpu()).to(x0.device(), torch::kFloat32);
  const auto target = cfg.target();
  const auto d =
      cfg.image() ? diffuse_ddpm(x0, alpha_bar, eps, target) : diffuse_conditional(x0, y, alpha_bar, eps, target);
  const auto steps = t.to(x0.device());
  torch::Tensor predicted;
  if (cfg.image()) {
    predicted = model.unet()->forward(d.x_t, y, steps);
  } else {
    // Condition dropout zeroes the spectrogram and the noisy channel of the dropped examples.
    const auto k = keep.defined() ? keep.to(x0.device(), torch::kFloat32) : torch::Tensor();
    const auto spec_in = k.defined() ? spec * k.view({-1, 1, 1}) : spec;
    const auto noisy_in = cfg.noisy_input ? (k.defined() ? y * k.view({-1, 1}) : y) : torch::Tensor();
    predicted = model.denoiser()->forward(d.x_t, spec_in, steps, noisy_in);
  }
  const auto x0_error = x0_from(predicted, d.x_t, alpha_bar_like(alpha_bar, x0), target) - x0;
  LossSummary s;
  s.terms = joint_loss(x0, d.target, predicted, x0_error, post, prior, cfg.lr_scale * sched.alpha_bar.back(), cfg.eta,
                       cfg.lambda, cfg.learned());
  s.sigma_post = post.defined() ? torch::exp(0.5 * post).mean() : one;
  s.sigma_prior = prior.defined() ? torch::exp(0.5 * prior).mean() : one;
  return s;
}

}  // namespace rg
