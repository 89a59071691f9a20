// One model: ε-network θ, Prior Net ψ and Posterior Net φ (learned prior only), the training
// schedule, optimiser and EMA state. Training, sampling and checkpoints operate on it.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "nets/encoder.h"
#include "nets/unet.h"
#include "nets/wavenet.h"
#include "schedule.h"

namespace rg {

struct ParamCounts {
  int64_t total = 0, denoiser = 0, prior = 0, posterior = 0;
};

// How often step-invariant and per-step work ran: shows that the sampler hoists the former.
struct Counters {
  std::atomic<int64_t> conditioner_runs{0}, step_embedding_runs{0}, prior_runs{0}, network_runs{0};
};

// Log-variances of the noise: undefined tensors mean σ = 1 (the standard prior).
struct Variances {
  torch::Tensor prior, posterior;
};

// Adam's moments and the EMA copy of every trainable parameter, in parameter order.
struct TrainState {
  std::vector<torch::Tensor> adam_m, adam_v, ema;
  int64_t step = 0;
};

class Model {
 public:
  Model(const ModelConfig& config, torch::Device device, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  torch::Device device() const { return device_; }
  const Schedule& schedule() const { return schedule_; }
  ParamCounts param_counts() const;

  // Trainable parameters, named with their network's prefix ("denoiser.", "prior.", "posterior.").
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const;
  std::vector<torch::Tensor> parameters() const;
  void set_training(bool on);

  WaveNet& denoiser() { return denoiser_; }
  UNet& unet() { return unet_; }  // the ε-network of image models (denoiser() is that of speech)
  // Prior log σ² from the degraded signal (and its spectrogram, for speech PriorGrad); undefined
  // for standard. Images: y [B, C, H, W] → [B, C, H, W].
  torch::Tensor prior_log_variance(const torch::Tensor& y, const torch::Tensor& spec);
  // Posterior log σ² from clean and degraded (learned); PriorGrad trains with its fixed prior.
  // `spec` is needed by a learned prior on PriorGrad's base (speech).
  torch::Tensor posterior_log_variance(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& prior,
                                       const torch::Tensor& spec = {});

  TrainState& train_state() { return state_; }
  at::Generator& generator() { return generator_; }
  Counters& counters() { return counters_; }

  // Pads [B, T] with zeros to a whole number of frames; validates finiteness and length.
  torch::Tensor prepare(const torch::Tensor& signal, const char* what) const;
  // Images [B, C, H, W] with pixels in [0, 1] → the network's [-1, 1] on the model's device;
  // validates finiteness, channel count and size (each side in [1, kMaxImageSide]).
  torch::Tensor prepare_image(const torch::Tensor& images, const char* what) const;
  static constexpr int64_t kMaxImageSide = 16384;

 private:
  // The handcrafted log σ² of the baselines: the standard prior's constant (undefined at σ = 1)
  // or PriorGrad's map.
  torch::Tensor handcrafted_log_variance(const torch::Tensor& y, const torch::Tensor& spec, bool priorgrad) const;
  // A learned encoder's output on its base, block-averaged (config.sigma_block).
  torch::Tensor learned_log_variance(const torch::Tensor& correction, const torch::Tensor& y,
                                     const torch::Tensor& spec) const;

  ModelConfig config_;
  torch::Device device_;
  Schedule schedule_;
  WaveNet denoiser_{nullptr};
  UNet unet_{nullptr};
  Encoder prior_{nullptr}, posterior_{nullptr};
  TrainState state_;
  at::Generator generator_;
  Counters counters_;
};

// While alive, the networks hold the EMA weights and the EMA state the trained ones (nothing
// changes when `on` is false). Swaps the tensors' storage: no copies.
class EmaScope {
 public:
  EmaScope(Model& model, bool on);
  ~EmaScope();
  EmaScope(const EmaScope&) = delete;
  EmaScope& operator=(const EmaScope&) = delete;

 private:
  void swap();
  Model& model_;
  bool on_;
};

// The mean of v over blocks of `block` samples ([B, T]) or block×block pixels ([B, C, H, W]),
// repeated back to v's shape; the last block may be partial. block ≤ 1 returns v.
torch::Tensor block_average(const torch::Tensor& v, int block);

// Uniform draws and Gaussian noise from the model's own generator, made on the CPU so that a
// seed gives the same numbers on every device, then moved to the model's device.
torch::Tensor gaussian(at::Generator& gen, at::IntArrayRef shape, torch::Device device);

}  // namespace rg
