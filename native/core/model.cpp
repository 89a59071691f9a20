#include "model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <mutex>

#include "error.h"
#include "image_prior.h"
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
    const auto& c = config_;
    // Speech: one channel in and out, 1-D. Images: C channels in (2C for the posterior), C out, 2-D.
    const int dims = c.image() ? 2 : 1, channels = c.image() ? c.image_channels : 1;
    if (c.image())
      unet_ = UNet(c);
    else
      denoiser_ = WaveNet(c);
    if (c.learned()) {
      prior_ = Encoder(dims, channels, channels, c.encoder_width, c.encoder_blocks, c.log_var_min, c.log_var_max);
      posterior_ =
          Encoder(dims, 2 * channels, channels, c.encoder_width, c.encoder_blocks, c.log_var_min, c.log_var_max);
    }
  }
  if (denoiser_) denoiser_->to(device_);
  if (unet_) unet_->to(device_);
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
  c.denoiser = denoiser_ ? count(*denoiser_) : count(*unet_);
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
  if (denoiser_) add("denoiser.", *denoiser_);
  if (unet_) add("denoiser.", *unet_);
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
  if (denoiser_) denoiser_->train(on);
  if (unet_) unet_->train(on);
  if (prior_) prior_->train(on);
  if (posterior_) posterior_->train(on);
}

torch::Tensor Model::handcrafted_log_variance(const torch::Tensor& y, const torch::Tensor& spec, bool priorgrad) const {
  if (priorgrad) {
    if (config_.image()) return local_energy_log_variance(y, config_.priorgrad_floor);
    return priorgrad_log_variance(spec, config_.hop, config_.priorgrad_floor);
  }
  if (config_.noise_scale == 1.0) return {};
  return torch::full_like(y, 2.0 * std::log(config_.noise_scale));
}

torch::Tensor Model::learned_log_variance(const torch::Tensor& correction, const torch::Tensor& y,
                                          const torch::Tensor& spec) const {
  const auto base = handcrafted_log_variance(y, spec, config_.priorgrad_base());
  const auto v = base.defined() ? base + correction : correction;
  return block_average(v, config_.sigma_block);
}

torch::Tensor Model::prior_log_variance(const torch::Tensor& y, const torch::Tensor& spec) {
  switch (config_.prior) {
    case PriorKind::Standard: return handcrafted_log_variance(y, spec, false);
    case PriorKind::PriorGrad: return handcrafted_log_variance(y, spec, true);
    case PriorKind::Learned:
      ++counters_.prior_runs;
      return learned_log_variance(prior_->forward(config_.image() ? y : y.unsqueeze(1)), y, spec);
  }
  return {};
}

torch::Tensor Model::posterior_log_variance(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& prior,
                                            const torch::Tensor& spec) {
  if (config_.prior != PriorKind::Learned) return prior;
  const auto correction = posterior_->forward(config_.image() ? torch::cat({x0, y}, 1) : torch::stack({x0, y}, 1));
  return learned_log_variance(correction, y, spec);
}

torch::Tensor block_average(const torch::Tensor& v, int block) {
  if (block <= 1) return v;
  namespace F = torch::nn::functional;
  if (v.dim() == 2) {  // speech [B, T]
    const int64_t T = v.size(1);
    const auto mean =
        F::avg_pool1d(v.unsqueeze(1), F::AvgPool1dFuncOptions(block).ceil_mode(true).count_include_pad(false));
    return mean.squeeze(1).repeat_interleave(block, 1).narrow(1, 0, T);
  }
  const int64_t H = v.size(2), W = v.size(3);  // images [B, C, H, W]
  const auto mean = F::avg_pool2d(v, F::AvgPool2dFuncOptions(block).ceil_mode(true).count_include_pad(false));
  return mean.repeat_interleave(block, 2).repeat_interleave(block, 3).narrow(2, 0, H).narrow(3, 0, W);
}

torch::Tensor Model::prepare(const torch::Tensor& signal, const char* what) const {
  if (config_.image()) throw Error(kInput, "this is an image model: it does not take audio");
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

EmaScope::EmaScope(Model& model, bool on) : model_(model), on_(on) {
  swap();
}
EmaScope::~EmaScope() {
  swap();
}

void EmaScope::swap() {
  if (!on_) return;
  torch::NoGradGuard no_grad;
  const auto params = model_.parameters();
  auto& ema = model_.train_state().ema;
  for (size_t i = 0; i < params.size(); ++i) {
    auto held = params[i].detach();
    params[i].set_data(ema[i]);
    ema[i] = held;
  }
}

torch::Tensor Model::prepare_image(const torch::Tensor& images, const char* what) const {
  const std::string name(what);
  if (!config_.image()) throw Error(kInput, "this is a speech model: it does not take images");
  if (images.dim() != 4) throw Error(kInput, name + " must be [batch, channels, height, width]");
  if (images.size(0) < 1) throw Error(kInput, name + " is an empty batch");
  if (images.size(1) != config_.image_channels)
    throw Error(kInput, name + " has " + std::to_string(images.size(1)) + " channels, the model takes " +
                            std::to_string(config_.image_channels));
  for (int d : {2, 3})
    if (images.size(d) < 1 || images.size(d) > kMaxImageSide)
      throw Error(kInput, name + " sides must be in [1, " + std::to_string(kMaxImageSide) + "] pixels");
  if (!torch::isfinite(images).all().item<bool>()) throw Error(kInput, name + " contains NaN or Inf");
  return images.to(device_, torch::kFloat32) * 2.0 - 1.0;
}

}  // namespace rg
