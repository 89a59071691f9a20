#include "model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <mutex>

#include "error.h"
#include "spectrogram.h"

namespace rg {

namespace {

// torch's initialisers draw from the global generator: serialise construction so that a seed
// gives the same weights even when several models are created at once.
std::mutex& init_mutex() {
  static std::mutex m;
  return m;
}

int64_t count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

torch::Tensor gaussian(at::Generator& gen, at::IntArrayRef shape, torch::Device device) {
  return torch::randn(shape, gen, torch::kFloat32).to(device);
}

Model::Model(const ModelConfig& config, torch::Device device, uint64_t seed)
    : config_(config), device_(device), generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  validate(config_);
  schedule_ = linear_schedule(config_.train_steps, config_.beta_start, config_.beta_end);
  {
    std::lock_guard<std::mutex> lock(init_mutex());
    torch::manual_seed(seed);
    denoiser_ = WaveNet(config_);
    if (config_.learned()) {
      prior_ = Encoder(1, config_.encoder_width, config_.encoder_blocks, config_.log_var_min, config_.log_var_max);
      posterior_ = Encoder(2, config_.encoder_width, config_.encoder_blocks, config_.log_var_min, config_.log_var_max);
    }
  }
  denoiser_->to(device_);
  if (prior_) prior_->to(device_);
  if (posterior_) posterior_->to(device_);
  torch::NoGradGuard no_grad;
  for (const auto& p : parameters()) {
    state_.adam_m.push_back(torch::zeros_like(p));
    state_.adam_v.push_back(torch::zeros_like(p));
    state_.ema.push_back(p.detach().clone());
  }
}

ParamCounts Model::param_counts() const {
  ParamCounts c;
  c.denoiser = count(*denoiser_);
  c.prior = prior_ ? count(*prior_) : 0;
  c.posterior = posterior_ ? count(*posterior_) : 0;
  c.total = c.denoiser + c.prior + c.posterior;
  return c;
}

std::vector<std::pair<std::string, torch::Tensor>> Model::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  const auto add = [&](const std::string& prefix, const torch::nn::Module& m) {
    for (const auto& item : m.named_parameters()) out.emplace_back(prefix + item.key(), item.value());
  };
  add("denoiser.", *denoiser_);
  if (prior_) add("prior.", *prior_);
  if (posterior_) add("posterior.", *posterior_);
  return out;
}

std::vector<torch::Tensor> Model::parameters() const {
  std::vector<torch::Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

void Model::set_training(bool on) {
  denoiser_->train(on);
  if (prior_) prior_->train(on);
  if (posterior_) posterior_->train(on);
}

torch::Tensor Model::prior_log_variance(const torch::Tensor& y, const torch::Tensor& spec) {
  switch (config_.prior) {
    case PriorKind::Standard:
      if (config_.noise_scale == 1.0) return {};
      return torch::full_like(y, 2.0 * std::log(config_.noise_scale));
    case PriorKind::PriorGrad: return priorgrad_log_variance(spec, config_.hop, config_.priorgrad_floor);
    case PriorKind::Learned: ++counters_.prior_runs; return prior_->forward(y.unsqueeze(1));
  }
  return {};
}

torch::Tensor Model::posterior_log_variance(const torch::Tensor& x0, const torch::Tensor& y,
                                            const torch::Tensor& prior) {
  if (config_.prior != PriorKind::Learned) return prior;
  return posterior_->forward(torch::stack({x0, y}, 1));
}

torch::Tensor Model::prepare(const torch::Tensor& signal, const char* what) const {
  if (signal.dim() != 2) throw Error(kInput, std::string(what) + " must be [batch, samples]");
  if (signal.size(0) < 1) throw Error(kInput, std::string(what) + " is an empty batch");
  if (signal.size(1) < config_.hop)
    throw Error(kInput, std::string(what) + " is too short: " + std::to_string(signal.size(1)) +
                            " samples, the model needs at least " + std::to_string(config_.hop));
  if (!torch::isfinite(signal).all().item<bool>()) throw Error(kInput, std::string(what) + " contains NaN or Inf");
  const int64_t T = signal.size(1), padded = (T + config_.hop - 1) / config_.hop * config_.hop;
  auto x = signal.to(device_, torch::kFloat32);
  return padded == T ? x : torch::constant_pad_nd(x, {0, padded - T});
}

}  // namespace rg
