#include "image_sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "process.h"

namespace rg {

namespace {

// Indices that extend 0..n−1 to `size` by mirror reflection (…, 2, 1, 0, 1, 2, …, n−1, n−2, …),
// also when the extension is longer than the image.
torch::Tensor reflect_indices(int64_t n, int64_t size) {
  std::vector<int64_t> idx(size);
  const int64_t period = std::max<int64_t>(2 * (n - 1), 1);
  for (int64_t i = 0; i < size; ++i) {
    const int64_t r = i % period;
    idx[i] = n == 1 ? 0 : (r < n ? r : period - r);
  }
  return torch::tensor(idx, torch::kLong);
}

// [1, 1, P, P]: the outer product of (1, 2, …, P/2, …, 2, 1)/(P/2), never zero, so every pixel
// covered by a patch gets weight.
torch::Tensor tent_window(int64_t patch, const torch::TensorOptions& options) {
  const auto i = torch::arange(patch, options);
  const auto ramp = (torch::min(i, patch - 1 - i) + 1) / std::max<double>(patch / 2, 1);
  return (ramp.unsqueeze(1) * ramp.unsqueeze(0)).view({1, 1, patch, patch});
}

struct Patch {
  int64_t top, left;
};

class PatchGrid {
 public:
  PatchGrid(int64_t height, int64_t width, int64_t patch, int64_t stride) : patch_(patch) {
    for (int64_t top : patch_starts(height, patch, stride))
      for (int64_t left : patch_starts(width, patch, stride)) patches_.push_back({top, left});
  }
  int64_t size() const { return static_cast<int64_t>(patches_.size()); }

  // image [1, C, H, W] → patches [first, first + count) as [count, C, P, P].
  torch::Tensor cut(const torch::Tensor& image, int64_t first, int64_t count) const {
    std::vector<torch::Tensor> out;
    for (int64_t k = first; k < first + count; ++k)
      out.push_back(image[0].narrow(1, patches_[k].top, patch_).narrow(2, patches_[k].left, patch_));
    return torch::stack(out);
  }
  // Adds patches [count, C, P, P] back at their places in sum [1, C, H, W].
  void add(torch::Tensor& sum, const torch::Tensor& values, int64_t first) const {
    for (int64_t k = 0; k < values.size(0); ++k)
      sum[0].narrow(1, patches_[first + k].top, patch_).narrow(2, patches_[first + k].left, patch_).add_(values[k]);
  }

 private:
  int64_t patch_;
  std::vector<Patch> patches_;
};

void check_options(const ModelConfig& c, int steps, double eta, int stride, const ImageRestoreOptions& o) {
  if (steps < 1 || steps > c.train_steps)
    throw Error(kInput, "steps must be in [1, " + std::to_string(c.train_steps) + "], got " + std::to_string(steps));
  if (!(eta >= 0 && eta <= 1)) throw Error(kInput, "eta must be in [0, 1]");
  if (stride < 1 || stride > c.patch_size)
    throw Error(kInput, "stride must be in [1, " + std::to_string(c.patch_size) + "], got " + std::to_string(stride));
  if (o.max_patches < 1) throw Error(kInput, "max patches per forward must be at least 1");
}

}  // namespace

std::vector<int64_t> patch_starts(int64_t side, int64_t patch, int64_t stride) {
  std::vector<int64_t> starts;
  for (int64_t p = 0; p + patch < side; p += stride) starts.push_back(p);
  starts.push_back(side - patch);
  return starts;
}

torch::Tensor restore_image(Model& model, const torch::Tensor& degraded, const ImageRestoreOptions& options,
                            torch::Tensor* sigma_out) {
  const auto& cfg = model.config();
  if (!cfg.image()) throw Error(kInput, "this is a speech model: it does not restore images");
  const int steps = options.steps == 0 ? cfg.ddim_steps : options.steps;
  const double eta = options.eta < 0 ? cfg.ddim_eta : options.eta;
  const int stride = options.stride == 0 ? cfg.patch_stride : options.stride;
  check_options(cfg, steps, eta, stride, options);
  if (degraded.dim() != 3) throw Error(kInput, "image must be [channels, height, width]");
  const int64_t C = degraded.size(0), H = degraded.size(1), W = degraded.size(2), P = cfg.patch_size;
  if (H * W > options.max_pixels)
    throw Error(kInput, "image of " + std::to_string(H) + "×" + std::to_string(W) + " pixels exceeds the limit of " +
                            std::to_string(options.max_pixels));
  const auto y_small = model.prepare_image(degraded.unsqueeze(0), "image");

  EmaScope ema(model, options.use_ema);
  model.set_training(false);
  c10::InferenceMode inference;
  auto& counters = model.counters();
  auto& unet = model.unet();

  // Step-invariant work, once per call. Images smaller than a patch are mirrored to cover one.
  const int64_t Hp = std::max(H, P), Wp = std::max(W, P);
  const auto device = y_small.device();
  const auto y =
      y_small.index_select(2, reflect_indices(H, Hp).to(device)).index_select(3, reflect_indices(W, Wp).to(device));
  const PatchGrid grid(Hp, Wp, P, stride);
  const auto window = options.tent_blend ? tent_window(P, y.options()) : torch::ones({1, 1, P, P}, y.options());
  auto weights = torch::zeros({1, 1, Hp, Wp}, y.options());
  grid.add(weights, window.expand({grid.size(), 1, P, P}), 0);
  const auto inv_weights = 1.0 / weights;
  const auto prior = model.prior_log_variance(y, torch::Tensor());
  const auto sigma = prior.defined() ? torch::exp(0.5 * prior) : torch::ones_like(y);
  const auto t = ddim_timesteps(cfg.train_steps, steps);
  const auto embeddings = unet->embed(torch::tensor(t, torch::kLong));
  ++counters.step_embedding_runs;
  const int64_t chunk = options.max_patches;
  const bool cache = grid.size() * C * P * P * 4 <= options.max_cache_bytes;
  std::vector<torch::Tensor> y_chunks;
  for (int64_t first = 0; cache && first < grid.size(); first += chunk)
    y_chunks.push_back(grid.cut(y, first, std::min(chunk, grid.size() - first)));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  auto x = gaussian(gen, y.sizes(), device) * sigma;

  const auto& alpha_bar = model.schedule().alpha_bar;
  for (int k = steps - 1; k >= 0; --k) {
    if (options.cancel && options.cancel->load()) throw Error(kAborted, "restoration aborted");
    auto eps = torch::zeros_like(x);
    const auto step = embeddings.narrow(0, k, 1);
    for (int64_t first = 0, c = 0; first < grid.size(); first += chunk, ++c) {
      const int64_t count = std::min(chunk, grid.size() - first);
      const auto y_patches = cache ? y_chunks[c] : grid.cut(y, first, count);
      grid.add(eps, unet->forward_embedded(grid.cut(x, first, count), y_patches, step) * window, first);
      ++counters.network_runs;
    }
    eps.mul_(inv_weights);
    const double at = alpha_bar[t[k]], an = k > 0 ? alpha_bar[t[k - 1]] : 1.0;
    // The prediction (averaged over patches: every target's map to ε̂ and x̂0 is linear) gives ε̂
    // and x̂0; DDIM (Song et al.) then steps to the previous visited t. With η > 0 part of ε̂ is
    // replaced by fresh noise, drawn from the prior N(0, Σ_prior).
    const auto ab = torch::scalar_tensor(at, x.options());
    auto x0 = x0_from(eps, x, ab, cfg.target());
    eps = noise_from(eps, x, ab, cfg.target());
    if (options.clip_denoised) {
      // DDPM's clipped x̂0 (as guided-diffusion's DDIM): an early estimate, amplified by 1/√ᾱ,
      // cannot leave the pixel range, and ε̂ is recomputed so that x_t stays consistent with it.
      x0 = x0.clamp(-1.0, 1.0);
      eps = (x - std::sqrt(at) * x0) / std::sqrt(1 - at);
    }
    x = ddim_step(x0, eps, at, an, eta, eta > 0 && k > 0 ? sigma * gaussian(gen, x.sizes(), device) : torch::Tensor());
  }
  const auto restored = ((x + 1.0) * 0.5).clamp(0.0, 1.0);
  if (sigma_out) *sigma_out = sigma[0].narrow(1, 0, H).narrow(2, 0, W).to(torch::kCPU).contiguous();
  return restored[0].narrow(1, 0, H).narrow(2, 0, W).to(torch::kCPU).contiguous();
}

}  // namespace rg
